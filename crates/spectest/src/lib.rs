//! Internal crate of nanowasm; not a stable API.
//!
//! Runs WebAssembly spec scripts (`.wast`) on the engine: a parsed script
//! ([`script`]) is executed directive by directive ([`run`]) against a
//! store with the `spectest` host module ([`spectest`]).
#![forbid(unsafe_code)]

mod component;
pub mod run;
pub mod script;
pub mod spectest;

pub use run::{run, run_checked, ModuleCheck, Outcome};
pub use script::{Action, Directive, Expected, Located, ModuleSource, Value};
