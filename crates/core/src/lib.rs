//! Internal crate of nanowasm; not a stable API.
//!
//! Everything the other crates agree on lives here: value and module types
//! ([`types`]), the single opcode table ([`opcode`]), the proposal switches
//! ([`Features`]) and LEB128 coding ([`leb128`]). It has no dependencies and
//! no `unsafe`.
#![forbid(unsafe_code)]

pub mod features;
pub mod leb128;
pub mod opcode;
pub mod types;

pub use features::{Feature, Features};
pub use opcode::{ImmKind, Opcode, Sig};
pub use types::*;
