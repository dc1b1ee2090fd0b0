//! Internal crate of nanowasm; not a stable API.
//!
//! A decoder and a validator (a type checker) for component-model binaries
//! (issue 17, second layer), following the component model's `Binary.md`:
//!
//! - [`decode`] reads the preamble (`\0asm`, version `0x0d`, layer `1`) and
//!   every section into the [`ast`]: custom sections, nested core modules
//!   (decoded and validated by `nanowasm-binary` with
//!   `Features::front_end()`), core instances, core types (function and
//!   module types), nested components (recursively, at most
//!   [`MAX_NESTING`] deep), instances, aliases, types (every defined value
//!   type, function, component, instance and resource types), canonical
//!   functions (`lift`, `lower`, `resource.new`/`drop`/`rep`), start,
//!   imports and exports. Value sections and value imports, async functions,
//!   the async/stream/future/thread/error-context built-ins and options,
//!   maps, fixed-length lists and core GC types are `Unsupported` errors.
//! - [`validate`] checks index spaces, names and types: subtyping at
//!   instantiation and ascription, resources and their substitution, the
//!   canonical ABI's signatures and options, which types imports and
//!   exports may use; [`validate_with_types`] also returns the resolved
//!   [`typeck::Types`]. See `ARCHITECTURE.md`, "Component binaries (issue
//!   17, second layer)", for the list of rules checked and not.
//!
//! Errors are `nanowasm_binary::Error`s with the byte offset in the
//! outermost binary and, where possible, wasmparser's wording.

#![forbid(unsafe_code)]

pub mod ast;
mod decode;
pub mod names;
pub mod runtime;
pub mod typeck;
mod types;
mod validate;
mod wit;

pub use ast::Component;
pub use decode::{decode, encoding, Encoding, MAX_NESTING};
pub use nanowasm_binary::{Error, ErrorKind, Result};
pub use validate::{validate, validate_with_types};
pub use wit::print_wit;

/// Decodes and validates a component binary.
pub fn decode_and_validate(bytes: &[u8]) -> Result<Component> {
    let c = decode(bytes)?;
    validate(&c)?;
    Ok(c)
}
