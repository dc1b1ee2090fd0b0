//! One file per binary section, each adding an `impl Decoder` method that
//! reads and validates that section's contents.
//!
//! Spec: <https://webassembly.github.io/spec/core/binary/modules.html>.

pub mod code;
mod custom;
mod data;
mod data_count;
mod element;
mod export;
mod function;
mod global;
mod import;
mod memory;
mod start;
mod table;
mod tag;
mod r#type;
