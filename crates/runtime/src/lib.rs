//! The nanowasm engine: modules, stores, instances, the linker and the
//! interpreter. Embedders use it through the `nanowasm` crate, which
//! re-exports everything here beside WASI and nanoprocesses.
//!
//! The embedding API follows wasmtime's vocabulary:
//!
//! ```
//! use nanowasm_runtime::{Engine, Linker, Module, Store};
//!
//! let engine = Engine::default();
//! // (module (import "host" "double" (func $d (param i32) (result i32)))
//! //         (func (export "run") (param i32) (result i32)
//! //           (call $d (i32.add (local.get 0) (i32.const 1)))))
//! let wasm = [
//!     0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01,
//!     0x7f, 0x02, 0x0f, 0x01, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x06, 0x64, 0x6f, 0x75, 0x62, 0x6c,
//!     0x65, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x72, 0x75, 0x6e, 0x00,
//!     0x01, 0x0a, 0x0b, 0x01, 0x09, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x10, 0x00, 0x0b,
//! ];
//! let module = Module::new(&engine, &wasm)?;
//! let mut linker = Linker::new(&engine);
//! linker.func_wrap("host", "double", |x: i32| x * 2)?;
//! let mut store = Store::new(&engine, ());
//! let instance = linker.instantiate(&mut store, &module)?;
//! let run = instance.get_typed_func::<i32, i32>(&mut store, "run")?;
//! assert_eq!(run.call(&mut store, 20)?, 42);
//! # Ok::<(), nanowasm_runtime::Error>(())
//! ```
#![deny(missing_docs)]
#![no_std]

extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

/// What the standard prelude would bring, for a `no_std` crate: every
/// module starts with `use crate::prelude::*;`.
mod prelude {
    pub(crate) use alloc::borrow::ToOwned;
    pub(crate) use alloc::boxed::Box;
    pub(crate) use alloc::format;
    pub(crate) use alloc::string::{String, ToString};
    pub(crate) use alloc::vec;
    pub(crate) use alloc::vec::Vec;
}

// Without the `tracing` feature, `tracing::` names this crate, whose root
// re-exports the stand-ins of `no_tracing` (see there).
#[cfg(not(feature = "tracing"))]
extern crate self as tracing;
#[cfg(not(feature = "tracing"))]
mod no_tracing;
#[cfg(not(feature = "tracing"))]
use no_tracing::{debug, enabled, no_tracing_fields, trace, Level};
// The clock of log events: read only when an event is recorded.
#[cfg(not(feature = "tracing"))]
use no_tracing::Instant;
#[cfg(feature = "tracing")]
use std::time::Instant;

mod code_budget;
#[cfg(nanowasm_compiler)]
mod compiler;
mod engine;
mod error;
mod exn;
mod float;
mod func;
mod gc;
mod global;
mod instance;
mod interp;
/// `Deref<Target = [u8]>` and `DerefMut` for a linear memory type whose
/// `ptr` is valid for `len` initialized bytes that it owns exclusively
/// (both implementations of `linear`).
macro_rules! slices_of_mapping {
    ($t:ty) => {
        impl core::ops::Deref for $t {
            type Target = [u8];
            fn deref(&self) -> &[u8] {
                // SAFETY: `ptr` is valid for `len` initialized bytes (mapped
                // or allocated, or dangling with `len == 0`), owned by
                // `self`.
                unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
            }
        }

        impl core::ops::DerefMut for $t {
            fn deref_mut(&mut self) -> &mut [u8] {
                // SAFETY: as in `deref`, and `&mut self` makes the access
                // exclusive.
                unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
            }
        }
    };
}

// Linear memory: virtual memory (`mmap`), or a heap buffer where there is
// none (`nanowasm_portable`, set by the build script without `std`).
#[cfg(not(nanowasm_portable))]
mod linear;
#[cfg(nanowasm_portable)]
#[path = "linear_heap.rs"]
mod linear;

/// The interface both linear memories share, tested on whichever this
/// build has (CI runs both).
#[cfg(test)]
mod linear_interface_tests {
    use super::linear::LinearMemory;

    #[test]
    fn grows_zeroed_keeps_contents_and_refuses_without_aborting() {
        let pool = Default::default();
        let mut m = LinearMemory::new(0, &pool).unwrap();
        assert!(m.is_empty());
        m.resize(65536).unwrap();
        assert!(m.iter().all(|&b| b == 0));
        m[65535] = 7;
        m.resize(10 * 65536).unwrap();
        assert_eq!(m[65535], 7);
        assert_eq!(m.len(), 10 * 65536);
        assert!(m[65536..].iter().all(|&b| b == 0));
        assert!(m.resize(usize::MAX).is_none(), "refused, not an abort");
        assert_eq!(m.len(), 10 * 65536);
    }
}
mod linker;
mod memory;
mod module;
mod stack;
mod store;
mod sync;
mod table;
mod tables;
mod trap;
mod values;

pub use engine::{Config, Engine, MemoryBounds, Precompiled, ProfilingStrategy, Strategy};
pub use error::{
    CompileError, CompileErrorKind, Error, ErrorKind, FrameInfo, I32Exit, Result, Trap,
};
pub use exn::{ExnRef, Tag};
pub use func::{
    Caller, CellsFunc, Func, HostReturn, IntoFunc, TypedFunc, WasmParams, WasmResults, WasmTy,
};
pub use gc::GcStats;
pub use global::Global;
pub use instance::{Extern, Instance};
pub use linker::{InstancePre, Linker};
pub use memory::Memory;
pub use module::{CompiledFunction, ExportType, ExternType, ImportType, Module};
pub use nanowasm_core::{
    ExternKind, Feature, Features, FuncType, GlobalType, HeapType, Limits, MemoryType, RefType,
    TableType, ValType,
};
pub use store::{
    AsContext, AsContextMut, Store, StoreLimits, StoreLimitsBuilder, DEFAULT_GC_HEAP_LIMIT,
};
pub use table::Table;
pub use trap::TrapCode;
pub use values::{AnyRef, ExternRef, RootScope, Val};
