//! The harness the WASI tests share: a WAT guest linked against every
//! WASI function ([`nanowasm_wasi::add_to_linker`]), its store holding the
//! [`WasiCtx`] under test, and typed calls into its exports. Each test file
//! brings its own guest and adds what it needs in a trait of its own.

// Each test binary uses a part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use nanowasm_runtime::{Engine, Error, Instance, Linker, Module, Store, WasmParams, WasmResults};
use nanowasm_wasi::WasiCtx;

/// A guest instance and its store.
pub struct Guest {
    pub store: Store<WasiCtx>,
    pub inst: Instance,
}

impl Guest {
    /// Instantiates the module `wat` with `cx` as its WASI context.
    pub fn with(wat: &str, cx: WasiCtx) -> Guest {
        let engine = Engine::default();
        let bytes = nanowasm_text::parse_wat(wat).unwrap();
        let module = Module::new(&engine, &bytes).unwrap();
        let mut linker = Linker::new(&engine);
        nanowasm_wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
        let mut store = Store::new(&engine, cx);
        let inst = linker.instantiate(&mut store, &module).unwrap();
        Guest { store, inst }
    }

    /// Calls export `name`; its results or the error (a trap) it ended with.
    pub fn try_call<P: WasmParams, R: WasmResults>(
        &mut self,
        name: &str,
        args: P,
    ) -> Result<R, Error> {
        self.inst
            .get_typed_func::<P, R>(&mut self.store, name)
            .unwrap()
            .call(&mut self.store, args)
    }

    /// Calls export `name`, which must not trap.
    pub fn call<P: WasmParams, R: WasmResults>(&mut self, name: &str, args: P) -> R {
        self.try_call(name, args).unwrap()
    }

    /// The guest's memory `memory`.
    pub fn mem(&mut self) -> &mut [u8] {
        let m = self.inst.get_memory(&self.store, "memory").unwrap();
        m.data_mut(&mut self.store).unwrap()
    }

    pub fn u64_at(&mut self, at: usize) -> u64 {
        u64::from_le_bytes(self.mem()[at..at + 8].try_into().unwrap())
    }

    pub fn u32_at(&mut self, at: usize) -> u32 {
        u32::from_le_bytes(self.mem()[at..at + 4].try_into().unwrap())
    }

    /// Sets the context's deadline `after` from now.
    pub fn deadline_in(&mut self, after: Duration) {
        self.store
            .data_mut()
            .set_deadline(Some(Instant::now() + after));
    }
}

pub mod raw;
