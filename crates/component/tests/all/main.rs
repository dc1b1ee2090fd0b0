//! The integration tests of `nanowasm-component`.

mod no_panic;
mod verdict;
