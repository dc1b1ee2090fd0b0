//! The engine: configuration shared by modules and stores.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use nanowasm_core::Features;

use crate::interp::translate::TranslateConfig;

/// Engine configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) features: Features,
    pub(crate) consume_fuel: bool,
    pub(crate) epoch_interruption: bool,
    pub(crate) max_call_depth: usize,
    pub(crate) max_stack_slots: usize,
    pub(crate) max_wasm_stack: usize,
    pub(crate) memory_init_cow: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            features: Features::default(),
            consume_fuel: false,
            epoch_interruption: false,
            max_call_depth: 10_000,
            max_stack_slots: 1 << 20,
            max_wasm_stack: 512 << 10,
            memory_init_cow: true,
        }
    }
}

impl Config {
    /// The default configuration: WebAssembly 2.0, no fuel, no epochs.
    pub fn new() -> Config {
        Config::default()
    }

    /// Which proposals modules may use.
    pub fn features(&mut self, features: Features) -> &mut Config {
        self.features = features;
        self
    }

    /// Count executed instructions against each store's fuel
    /// ([`Store::set_fuel`](crate::Store::set_fuel)); running out traps.
    pub fn consume_fuel(&mut self, enable: bool) -> &mut Config {
        self.consume_fuel = enable;
        self
    }

    /// Check the engine's epoch against each store's deadline at function
    /// entries and loop headers, so another thread can interrupt a running
    /// guest with [`Engine::increment_epoch`].
    pub fn epoch_interruption(&mut self, enable: bool) -> &mut Config {
        self.epoch_interruption = enable;
        self
    }

    /// The deepest wasm call nesting before a `call stack exhausted` trap.
    pub fn max_call_depth(&mut self, depth: usize) -> &mut Config {
        self.max_call_depth = depth.max(1);
        self
    }

    /// The most value-stack slots (8 bytes each) one store may use before
    /// a `call stack exhausted` trap.
    pub fn max_stack_slots(&mut self, slots: usize) -> &mut Config {
        self.max_stack_slots = slots.max(1024);
        self
    }

    /// The most native stack, in bytes, that running a store may take from
    /// its thread (default 512 KiB, as wasmtime's option of the same name).
    ///
    /// Wasm-to-wasm calls take none: the interpreter keeps wasm frames on
    /// its own value stack (see [`max_call_depth`](Config::max_call_depth)
    /// and [`max_stack_slots`](Config::max_stack_slots)). What takes native
    /// stack is a host function calling back into wasm: each such re-entry
    /// is checked against a limit set when the store is first entered from
    /// the host, this many bytes below that point, so host→wasm→host
    /// recursion traps with `call stack exhausted` instead of overflowing
    /// the thread's stack (which would abort the process). Whatever this
    /// setting, a re-entry also traps when less than 80 KiB of the thread's
    /// real stack would remain (128 KiB in debug builds; on Linux, where
    /// the thread's stack bounds are known), so small threads are safe too.
    pub fn max_wasm_stack(&mut self, bytes: usize) -> &mut Config {
        self.max_wasm_stack = bytes;
        self
    }

    /// Initialize a module's own memory by mapping its data segments
    /// copy-on-write from a memory image, built once per module, instead of
    /// copying them into every instance (default: on; wasmtime's option of
    /// the same name). Applies when every active data segment has a
    /// constant offset and fits the memory's initial size; other modules
    /// are initialized by copying either way. Instances then share the
    /// image's pages until they write to them.
    pub fn memory_init_cow(&mut self, enable: bool) -> &mut Config {
        self.memory_init_cow = enable;
        self
    }
}

/// A configured engine: cheap to clone, shared by every module and store
/// made with it, thread-safe.
#[derive(Clone, Debug, Default)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

#[derive(Debug, Default)]
pub(crate) struct EngineInner {
    pub(crate) config: Config,
    pub(crate) epoch: AtomicU64,
    /// Linear-memory mappings released by dropped stores, reset and ready
    /// for the next instance (see `linear.rs`).
    pub(crate) memory_pool: Arc<crate::linear::MemoryPool>,
}

impl Engine {
    /// An engine with this configuration.
    pub fn new(config: &Config) -> Engine {
        Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                epoch: AtomicU64::new(0),
                memory_pool: Arc::default(),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Advances the epoch by one. Stores whose deadline is reached trap with
    /// `interrupted` at their next check (when epoch interruption is on).
    /// May be called from any thread.
    pub fn increment_epoch(&self) {
        self.inner.epoch.fetch_add(1, Ordering::Release);
    }

    pub(crate) fn epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::Acquire)
    }

    pub(crate) fn translate_config(&self) -> TranslateConfig {
        TranslateConfig {
            fuel: self.inner.config.consume_fuel,
            epoch: self.inner.config.epoch_interruption,
            features: self.inner.config.features,
        }
    }

    /// Whether two handles name the same engine.
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }
}
