//! nanowasm: a WebAssembly runtime.
//!
//! This crate is the one embedders depend on. It re-exports
//!
//! - the engine ([`Engine`], [`Store`], [`Module`], [`Linker`],
//!   [`Instance`], [`TypedFunc`], ...) from `nanowasm-runtime`, at the
//!   crate root, in wasmtime's vocabulary;
//! - [`wasi`]: WASI preview1 with capability-based file access
//!   (`nanowasm-wasi`);
//! - [`host`]: nanoprocesses, isolated instances composed by a manifest
//!   with typed calls between them (`nanowasm-host`).
//!
//! The three live in their own crates because WASI and nanoprocesses are
//! built on the engine's public API alone; this facade closes the loop
//! without a dependency cycle.
//!
//! ```
//! # #[cfg(feature = "wat")]
//! # fn main() -> nanowasm::Result<()> {
//! use nanowasm::{Engine, Linker, Module, Store};
//!
//! let engine = Engine::default();
//! // Text (WAT) or binary: `Module::new` takes both.
//! let module = Module::new(
//!     &engine,
//!     r#"(module (func (export "add") (param i32 i32) (result i32)
//!          (i32.add (local.get 0) (local.get 1))))"#,
//! )?;
//! let mut store = Store::new(&engine, ());
//! let instance = Linker::new(&engine).instantiate(&mut store, &module)?;
//! let add = instance.get_typed_func::<(i32, i32), i32>(&mut store, "add")?;
//! assert_eq!(add.call(&mut store, (2, 3))?, 5);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "wat"))]
//! # fn main() {}
//! ```
//!
//! wasmtime's README example runs unchanged but for the crate's name:
//! see `examples/hello.rs`.
//!
//! Nanoprocesses from a manifest:
//!
//! ```no_run
//! # #[cfg(feature = "host")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use nanowasm::host::{Manifest, System};
//!
//! let manifest = Manifest::from_file("app.toml".as_ref())?;
//! let mut system = System::new(&manifest)?;
//! system.run()?;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "host"))]
//! # fn main() {}
//! ```
//!
//! # Features
//!
//! All on by default; `default-features = false` gives the bare engine
//! (the interpreter and the embedding API), `no_std` + `alloc`, for a small
//! build (see `examples/minimal`).
//!
//! | Feature    | What it adds                                                  |
//! |------------|---------------------------------------------------------------|
//! | `std`      | links `std`: memories in virtual memory (`mmap`), `Module::from_file`; every feature below needs it |
//! | `wat`      | `Module::new`/`from_file` accept the text format              |
//! | `demangle` | demangled Rust and C++ names in backtraces                    |
//! | `tracing`  | the engine logs through `tracing`                             |
//! | `wasi`     | [`wasi`]: WASI preview1                                       |
//! | `host`     | [`host`]: nanoprocesses (implies `wasi`)                      |
//! | `component`| [`component`]: the component model                            |
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(not(feature = "std"), no_std)]

// One explicit list, so what the facade promises is visible here and a
// new item in the runtime is exported only on purpose.
pub use nanowasm_runtime::{
    AnyRef, AsContext, AsContextMut, Caller, CompileError, CompileErrorKind, CompiledFunction,
    Config, Engine, Error, ErrorKind, ExnRef, ExportType, Extern, ExternKind, ExternRef,
    ExternType, Feature, Features, FrameInfo, Func, FuncType, GcStats, Global, GlobalType,
    HeapType, HostReturn, I32Exit, ImportType, Instance, InstancePre, IntoFunc, Limits, Linker,
    Memory, MemoryBounds, MemoryType, Module, Precompiled, ProfilingStrategy, RefType, Result,
    Store, StoreLimits, StoreLimitsBuilder, Strategy, Table, TableType, Tag, Trap, TrapCode,
    TypedFunc, Val, ValType, WasmParams, WasmResults, WasmTy,
};

/// WASI preview1 (`wasi_snapshot_preview1`): [`wasi::WasiCtx`] and
/// [`wasi::add_to_linker`]. See the `nanowasm-wasi` crate. Needs the `wasi`
/// feature (on by default).
#[cfg(feature = "wasi")]
pub mod wasi {
    pub use nanowasm_wasi::*;
}

/// Nanoprocesses: [`host::Manifest`], [`host::System`]. See the
/// `nanowasm-host` crate. Needs the `host` feature (on by default).
#[cfg(feature = "host")]
pub mod host {
    pub use nanowasm_host::*;
}

/// The component model, in wasmtime's shape (`wasmtime::component`):
/// [`component::Component`], [`component::Linker`],
/// [`component::Instance`], [`component::Func`], [`component::Val`],
/// resources ([`component::ResourceType`], [`component::ResourceAny`]).
/// Needs the `component` feature (on by default).
#[cfg(feature = "component")]
pub mod component {
    pub use nanowasm_component::runtime::*;
}
