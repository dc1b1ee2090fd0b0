//! Internal crate of nanowasm; not a stable API.
//!
//! The binary decoder and validator for WebAssembly 2.0: `bytes → decode +
//! validate → Module`, in one pass. Errors distinguish malformed from
//! invalid modules and carry the spec testsuite's message and the byte
//! offset.
#![forbid(unsafe_code)]

mod decode;
pub mod error;
mod features3;
pub mod module;
pub mod name;
pub mod operators;
pub mod reader;
mod section;
mod validate;

pub use decode::{decode, validate};
pub use error::{Error, ErrorKind, Result};
pub use module::Module;
pub use name::Names;
pub use nanowasm_core::{Feature, Features};
pub use operators::{BrTable, Imm, Instr, OperatorReader};
pub use section::code::{MAX_FUNCTION_SIZE, MAX_LOCALS};

#[cfg(test)]
mod tests;
