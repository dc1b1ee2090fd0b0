//! The integration tests of `nanowasm-component`.

mod no_panic;
mod reference;
mod runtime;
mod verdict;
