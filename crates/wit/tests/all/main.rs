//! The tests of `nanowasm-wit`: one binary.

mod constructs;
mod corpus;
mod errors;
mod no_panic;
mod oracle;
