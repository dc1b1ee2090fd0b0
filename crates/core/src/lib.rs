//! Internal crate of nanowasm; not a stable API.
//!
//! Everything the other crates agree on lives here: value and module types
//! ([`types`]), the single opcode table ([`opcode`]), the proposal switches
//! ([`Features`]) and LEB128 coding ([`leb128`]). It has no dependencies and
//! no `unsafe`.
//!
//! The crate is `#![no_std]` and needs only `alloc`. Its `std` feature (on by
//! default) links `std` and is forwarded by the crates above it; nothing here
//! needs it today, so `default-features = false` gives the same API.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod features;
pub mod leb128;
pub mod opcode;
pub mod subtype;
pub mod types;

pub use features::{Feature, Features};
pub use opcode::{ImmKind, Opcode, Sig};
pub use types::*;
