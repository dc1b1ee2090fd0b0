//! The interpreter: translation of validated WebAssembly into a compact
//! register-based code, and its execution.

pub(crate) mod code;
pub(crate) mod exec;
pub(crate) mod handlers;
pub(crate) mod num;
pub(crate) mod simd;
pub(crate) mod translate;
