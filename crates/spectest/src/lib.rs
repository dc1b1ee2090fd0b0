//! Internal crate of nanowasm; not a stable API.
//!
//! Runs WebAssembly spec scripts (`.wast`) on the engine.

pub mod spectest;
