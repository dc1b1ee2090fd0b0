//! Internal crate of nanowasm; not a stable API.
//!
//! The binary decoder and validator for WebAssembly 2.0: `bytes → decode +
//! validate → Module`, in one pass. Errors distinguish malformed from
//! invalid modules and carry the spec testsuite's message and the byte
//! offset.
//!
//! An [`Error`] displays like wasmparser's, the spec testsuite's message
//! first, then what is known beyond it:
//!
//! ```text
//! type mismatch: expected i32, found i64 (in function 3 `add`, at `i32.add`, offset 0x23)
//! type mismatch: expected [i32 i32] but found [i32] (in function 0, at `end`, offset 0x21)
//! unexpected end of section or function (at offset 0xe)
//! ```
//!
//! Inside a function body the error names the function (its index, imports
//! included, and its name from the `name` section, which is looked up even
//! though it comes after the code section) and the instruction. Each part
//! has an accessor ([`Error::message`], [`Error::detail`],
//! [`Error::func_index`], [`Error::func_name`], [`Error::instruction`],
//! [`Error::offset`]); the [`error`] module documents the format.
//!
//! The crate is `#![no_std]` and needs only `alloc`. Its `std` feature (on by
//! default) links `std`; with it, the duplicate-export check uses a hash set
//! instead of a B-tree set. [`Error`] implements `core::error::Error` either
//! way.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod branch_hints;
mod decode;
pub mod error;
mod features3;
pub mod module;
pub mod name;
pub mod operators;
pub mod reader;
mod section;
pub mod types;
mod validate;

pub use decode::{decode, decode_trusted, validate};
pub use error::{Error, ErrorKind, Result};
pub use module::{Bytes, Module};
pub use name::Names;
pub use nanowasm_core::{Feature, Features};
pub use operators::{BrTable, Imm, Instr, OperatorReader};
pub use section::code::{MAX_FUNCTION_SIZE, MAX_LOCALS};
pub use types::TypeSection;
pub use validate::const_expr::extended_arith;
pub use validate::func::FuncValidator;
pub use validate::visit::{FrameKind, FuncStart, Label, NoVisitor, Resolved, Types, VisitOperator};

#[cfg(test)]
mod tests;
