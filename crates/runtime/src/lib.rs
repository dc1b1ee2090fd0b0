//! nanowasm: a WebAssembly runtime.
//!
//! (The embedding API is being built; see the crate README.)
#![deny(missing_docs)]

mod interp;
mod trap;

pub use trap::TrapCode;
