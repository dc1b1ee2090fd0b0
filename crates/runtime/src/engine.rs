//! The engine: configuration shared by modules and stores.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};
use nanowasm_core::subtype::{heap_subtype, rec_group_key, val_subtype, TypeSpace, REC_MARK};
use nanowasm_core::{FuncType, HeapType, SubType, ValType};

use nanowasm_core::{Feature, Features};

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
    pub(crate) strategy: Strategy,
    pub(crate) profiler: ProfilingStrategy,
    pub(crate) memory_bounds: MemoryBounds,
    pub(crate) avx2: bool,
}

/// How compiled code keeps loads and stores inside linear memory
/// ([`Config::memory_bounds`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MemoryBounds {
    /// Guard regions where the engine compiles (x86-64 Linux), explicit
    /// checks otherwise.
    #[default]
    Auto,
    /// Every memory reserves 4 GiB of address space plus a 32 MiB guard,
    /// all inaccessible beyond the memory's size, so compiled loads and
    /// stores carry no check: an access out of bounds faults, and a signal
    /// handler turns the fault into a wasm trap. (wasmtime's default.)
    /// Costs address space: about 32,000 memories fit in 128 TiB.
    GuardRegions,
    /// Every compiled load and store compares its address with the
    /// memory's size. Memories take only the address space they use, for
    /// hosts with very many instances. (The interpreter always checks.)
    Explicit,
}

/// What kind of compiled artifact bytes are ([`Engine::detect_precompiled`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Precompiled {
    /// A module (`Module::serialize`, `nanowasm compile`).
    Module,
}

/// How compiled code is made visible to profilers
/// ([`Config::profiler`], wasmtime's `ProfilingStrategy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProfilingStrategy {
    /// Nothing.
    #[default]
    None,
    /// Each compiled function is appended to `/tmp/perf-<pid>.map`
    /// (`START SIZE NAME` in hexadecimal), which `perf report` reads to
    /// name the guest's functions. Functions the interpreter runs are not
    /// listed.
    PerfMap,
}

/// How an engine runs WebAssembly code ([`Config::strategy`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Strategy {
    /// The best back end for this host and configuration: the compiler on
    /// x86-64 Linux (when the build has the `compiler` feature and the
    /// CPU has SSE4.1, `popcnt`, `lzcnt` and BMI1) for modules it can
    /// compile, the interpreter otherwise. Today the compiler does not
    /// compile SIMD, tail calls or memories other than memory 0: modules
    /// using them run in the interpreter.
    #[default]
    Auto,
    /// The interpreter: translates each function on its first call, runs
    /// everywhere.
    Interpreter,
    /// The x86-64 compiler: compiles whole modules at
    /// [`Module::new`](crate::Module::new), which fails with the reason
    /// when a module, the engine's configuration or the host is outside
    /// what the compiler supports.
    Compiler,
}

impl Strategy {
    /// The back end `Auto` stands for on this host, and any other strategy
    /// as it is. (`Auto` may still run a module the compiler cannot
    /// compile in the interpreter.)
    pub fn resolve(self) -> Strategy {
        match self {
            Strategy::Auto if cfg!(nanowasm_compiler) => Strategy::Compiler,
            Strategy::Auto => Strategy::Interpreter,
            s => s,
        }
    }

    /// The name used by `-C strategy=NAME`.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Auto => "auto",
            Strategy::Interpreter => "interpreter",
            Strategy::Compiler => "compiler",
        }
    }
}

/// The proposals on by default, as in wasmtime: WebAssembly 2.0 and the
/// standardized (Wasm 3.0) proposals that nanowasm implements: tail calls,
/// extended constant expressions, multi-memory, memory64 (with table64),
/// exception handling, typed function references and relaxed SIMD. SIMD and
/// relaxed SIMD only where their handlers are compiled in (crate feature
/// `simd`, on by default).
fn default_features() -> Features {
    let simd = cfg!(feature = "simd");
    Features::WASM2
        .with(Feature::Simd, simd)
        .with(Feature::RelaxedSimd, simd)
        .with(Feature::TailCall, true)
        .with(Feature::ExtendedConst, true)
        .with(Feature::MultiMemory, true)
        .with(Feature::Memory64, true)
        .with(Feature::Exceptions, true)
        .with(Feature::FunctionReferences, true)
        .with(Feature::Gc, true)
}

impl Default for Config {
    fn default() -> Self {
        Config {
            features: default_features(),
            consume_fuel: false,
            epoch_interruption: false,
            max_call_depth: 10_000,
            max_stack_slots: 1 << 20,
            max_wasm_stack: 512 << 10,
            memory_init_cow: true,
            strategy: Strategy::Auto,
            profiler: ProfilingStrategy::None,
            memory_bounds: MemoryBounds::Auto,
            avx2: true,
        }
    }
}

impl Config {
    /// The default configuration: WebAssembly 2.0 and the implemented 3.0
    /// proposals (see [`Config::features`]), no fuel, no epochs.
    ///
    /// Methods are named as wasmtime's `Config`'s where the setting is the
    /// same:
    ///
    /// ```
    /// use nanowasm_runtime::{Config, Engine, Store, Strategy};
    ///
    /// let mut config = Config::new();
    /// config
    ///     .consume_fuel(true)
    ///     .wasm_simd(false)
    ///     .max_wasm_stack(256 << 10)
    ///     .strategy(Strategy::Interpreter);
    /// let engine = Engine::new(&config);
    /// let mut store = Store::new(&engine, ());
    /// store.set_fuel(10_000)?;
    /// assert_eq!(store.get_fuel()?, 10_000);
    /// # Ok::<(), nanowasm_runtime::Error>(())
    /// ```
    pub fn new() -> Config {
        Config::default()
    }

    /// Which proposals modules may use. By default WebAssembly 2.0 and
    /// the standardized 3.0 proposals nanowasm implements (tail calls,
    /// extended constant expressions, multi-memory, relaxed SIMD), as in
    /// wasmtime.
    pub fn features(&mut self, features: Features) -> &mut Config {
        self.features = features;
        self
    }

    /// The proposals modules may use.
    pub fn get_features(&self) -> Features {
        self.features
    }

    /// Whether modules may use 128-bit SIMD (default: on if the crate
    /// feature `simd` is, which it is by default). Without that feature,
    /// enabling SIMD makes every [`Module::new`](crate::Module::new) fail
    /// with an error that says so.
    pub fn wasm_simd(&mut self, enable: bool) -> &mut Config {
        self.features = self.features.with(Feature::Simd, enable);
        self
    }

    /// Whether modules may use tail calls, `return_call` and
    /// `return_call_indirect` (default: on).
    pub fn wasm_tail_call(&mut self, enable: bool) -> &mut Config {
        self.features = self.features.with(Feature::TailCall, enable);
        self
    }

    /// Whether memories and tables may be 64-bit (memory64, which includes
    /// table64; default: on). A 64-bit memory still gets at most 4 GiB:
    /// `memory.grow` past that returns -1, and a larger minimum fails
    /// instantiation with a limit error.
    pub fn wasm_memory64(&mut self, enable: bool) -> &mut Config {
        self.features = self.features.with(Feature::Memory64, enable);
        self
    }

    /// Whether constant expressions may use `i32`/`i64` `add`, `sub` and
    /// `mul` (extended-const; default: on).
    pub fn wasm_extended_const(&mut self, enable: bool) -> &mut Config {
        self.features = self.features.with(Feature::ExtendedConst, enable);
        self
    }

    /// Whether modules may use relaxed SIMD (default: on where SIMD is). Each relaxed
    /// instruction makes one fixed choice among the results the proposal
    /// allows, the same on every host (see ARCHITECTURE.md). Needs the
    /// `simd` crate feature, as SIMD does.
    pub fn wasm_relaxed_simd(&mut self, enable: bool) -> &mut Config {
        self.features = self.features.with(Feature::RelaxedSimd, enable);
        self
    }

    /// Whether modules may have several memories, each memory instruction
    /// naming its own (multi-memory; default: on).
    pub fn wasm_multi_memory(&mut self, enable: bool) -> &mut Config {
        self.features = self.features.with(Feature::MultiMemory, enable);
        self
    }

    /// Whether modules may use typed function references: `(ref $t)`,
    /// `call_ref`, `return_call_ref`, `br_on_null`, `br_on_non_null`,
    /// `ref.as_non_null` and tables with initializers (default: on).
    pub fn wasm_function_references(&mut self, enable: bool) -> &mut Config {
        self.features = self.features.with(Feature::FunctionReferences, enable);
        self
    }

    /// Whether modules may use GC: struct and array types, `i31ref`,
    /// subtyping, casts, and a collected heap per store (default: on).
    /// The interpreter runs such modules; the compiler refuses them, so
    /// [`Strategy::Auto`] runs them in the interpreter (see
    /// ARCHITECTURE.md, "GC").
    pub fn wasm_gc(&mut self, enable: bool) -> &mut Config {
        self.features = self.features.with(Feature::Gc, enable);
        self
    }

    /// Whether modules may use bulk memory operations (default: on).
    pub fn wasm_bulk_memory(&mut self, enable: bool) -> &mut Config {
        self.features = self.features.with(Feature::BulkMemory, enable);
        self
    }

    /// Whether blocks and functions may have several results (default: on).
    pub fn wasm_multi_value(&mut self, enable: bool) -> &mut Config {
        self.features = self.features.with(Feature::MultiValue, enable);
        self
    }

    /// Whether modules may use reference types (default: on).
    pub fn wasm_reference_types(&mut self, enable: bool) -> &mut Config {
        self.features = self.features.with(Feature::ReferenceTypes, enable);
        self
    }

    /// Which back end runs the code (default [`Strategy::Auto`]).
    pub fn strategy(&mut self, strategy: Strategy) -> &mut Config {
        self.strategy = strategy;
        self
    }

    /// How compiled code keeps memory accesses in bounds (default
    /// [`MemoryBounds::Auto`]: guard regions when the engine compiles).
    pub fn memory_bounds(&mut self, bounds: MemoryBounds) -> &mut Config {
        self.memory_bounds = bounds;
        self
    }

    /// Whether compiled code may use AVX2 (VEX-encoded three-operand SIMD
    /// and float instructions, `vpbroadcast`) when the CPU has it, checked
    /// at run time (default: on). Off, the code needs only the SSE4.1
    /// baseline, for artifacts that must load on older CPUs.
    pub fn avx2(&mut self, enable: bool) -> &mut Config {
        self.avx2 = enable;
        self
    }

    /// Whether compiled code uses AVX2: allowed by [`avx2`](Config::avx2)
    /// and present on this CPU.
    pub fn get_avx2(&self) -> bool {
        self.avx2 && cpu_has_avx2()
    }

    /// Whether this configuration's memories have guard regions and its
    /// compiled code relies on them: the strategy compiles, and guard
    /// regions are not turned off (nor unavailable: a portable build keeps
    /// memory in heap buffers).
    pub fn get_guard_regions(&self) -> bool {
        cfg!(all(nanowasm_compiler, not(nanowasm_portable)))
            && self.strategy.resolve() == Strategy::Compiler
            && self.memory_bounds != MemoryBounds::Explicit
    }

    /// How compiled code is shown to profilers (default: not at all).
    pub fn profiler(&mut self, profiler: ProfilingStrategy) -> &mut Config {
        self.profiler = profiler;
        self
    }

    /// The back end chosen with [`strategy`](Config::strategy).
    pub fn get_strategy(&self) -> Strategy {
        self.strategy
    }

    /// Whether fuel is counted.
    pub fn get_consume_fuel(&self) -> bool {
        self.consume_fuel
    }

    /// Whether epochs are checked.
    pub fn get_epoch_interruption(&self) -> bool {
        self.epoch_interruption
    }

    /// The native stack limit set by [`max_wasm_stack`](Config::max_wasm_stack).
    pub fn get_max_wasm_stack(&self) -> usize {
        self.max_wasm_stack
    }

    /// The call depth limit set by [`max_call_depth`](Config::max_call_depth).
    pub fn get_max_call_depth(&self) -> usize {
        self.max_call_depth
    }

    /// Whether memories are initialized copy-on-write.
    pub fn get_memory_init_cow(&self) -> bool {
        self.memory_init_cow
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
///
/// ```
/// use nanowasm_runtime::{Config, Engine, Module, Store, TrapCode};
///
/// let engine = Engine::new(Config::new().epoch_interruption(true));
/// let module = Module::new(&engine, r#"(module (func (export "spin") (loop (br 0))))"#)?;
/// let mut store = Store::new(&engine, ());
/// // Interrupt the guest at the next epoch tick, from another thread.
/// store.set_epoch_deadline(1);
/// let ticker = engine.clone();
/// std::thread::spawn(move || {
///     std::thread::sleep(std::time::Duration::from_millis(10));
///     ticker.increment_epoch();
/// });
/// let instance = nanowasm_runtime::Instance::new(&mut store, &module, &[])?;
/// let spin = instance.get_typed_func::<(), ()>(&mut store, "spin")?;
/// let err = spin.call(&mut store, ()).unwrap_err();
/// assert_eq!(err.trap_code(), Some(TrapCode::Interrupted));
/// # Ok::<(), nanowasm_runtime::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

impl Default for Engine {
    /// [`Engine::new`] with the default configuration. (Not derived: the
    /// memory pool must be made for the configuration, with guard
    /// regions when its compiled code relies on them.)
    fn default() -> Engine {
        Engine::new(&Config::default())
    }
}

#[derive(Debug)]
pub(crate) struct EngineInner {
    pub(crate) config: Config,
    pub(crate) epoch: AtomicU64,
    /// Linear-memory mappings released by dropped stores, reset and ready
    /// for the next instance (see `linear.rs`).
    pub(crate) memory_pool: Arc<crate::linear::MemoryPool>,
    /// Function types, each with one engine-wide id.
    pub(crate) types: TypeRegistry,
    /// The compiler threads' buffers, kept from one compile to the next.
    #[cfg(nanowasm_compiler)]
    pub(crate) compile_scratch: crate::compiler::ScratchPool,
}

/// The engine's types: every distinct type gets one id, so a type check
/// anywhere (imports, `call_indirect`, across instances and stores of the
/// engine) is one integer compare, plus a walk up the declared supertypes
/// when the ids differ (GC subtyping).
///
/// Types are registered a rec group at a time, and canonicalized
/// iso-recursively: two rec groups are the same when their types are the
/// same with references inside the group written as positions in it and
/// references outside it as the ids of what they name
/// ([`rec_group_key`]). So equal types of different modules get the same
/// id. Modules register their types once, when they are loaded; host
/// functions when they are made. Ids are never reused: the registry holds
/// each type once, however many modules use it.
///
/// In the registry's types (and in every type the runtime hands out),
/// [`HeapType::Concrete`](nanowasm_core::HeapType::Concrete) holds an id of
/// this registry, not a module's type index.
#[derive(Debug, Default)]
pub(crate) struct TypeRegistry {
    inner: crate::sync::RwLock<Registry>,
}

#[derive(Debug, Default)]
struct Registry {
    /// Each rec group's key to the id of its first type.
    groups: hashbrown::HashMap<alloc::vec::Vec<SubType>, u32>,
    /// The types by id, their indices ids.
    types: alloc::vec::Vec<SubType>,
}

/// How many type ids the modules of one engine may use: ids live in 22
/// bits of a rec group's key ([`REC_MARK`]); the last 64 Ki are kept for
/// host function types.
const MAX_MODULE_TYPE_IDS: usize = REC_MARK as usize - (1 << 16);

impl TypeRegistry {
    /// The id of host function type `ty` (whose concrete heap types, if
    /// any, are ids of this registry), registering it on first sight.
    pub(crate) fn register(&self, ty: &FuncType) -> u32 {
        let group = alloc::vec![SubType::func(ty.clone())];
        if let Some(&id) = self.inner.read().groups.get(&group) {
            return id;
        }
        let mut r = self.inner.write();
        let next = r.types.len() as u32;
        let id = *r.groups.entry(group).or_insert(next);
        if id == next {
            r.types.push(SubType::func(ty.clone()));
        }
        id
    }

    /// Registers the types of a module's type section; returns the id of
    /// each of its type indices.
    pub(crate) fn register_module(
        &self,
        section: &nanowasm_binary::TypeSection,
    ) -> Result<alloc::vec::Vec<u32>, crate::Error> {
        let all: alloc::vec::Vec<SubType> = section.iter().cloned().collect();
        let mut ids: alloc::vec::Vec<u32> = alloc::vec::Vec::with_capacity(all.len());
        let mut r = self.inner.write();
        for group in section.rec_groups() {
            let key = rec_group_key(&all, group.clone(), |i| ids[i as usize]);
            let base = match r.groups.get(&key) {
                Some(&base) => base,
                None => {
                    let base = r.types.len() as u32;
                    if r.types.len() + key.len() > MAX_MODULE_TYPE_IDS {
                        return Err(crate::Error::limit(
                            "too many distinct types in one engine (the limit is 4,128,768)",
                        ));
                    }
                    for t in &all[group.start as usize..group.end as usize] {
                        let canonical = t.map_indices(|i| {
                            if group.contains(&i) {
                                base + (i - group.start)
                            } else {
                                ids[i as usize]
                            }
                        });
                        r.types.push(canonical);
                    }
                    r.groups.insert(key, base);
                    base
                }
            };
            ids.extend(base..base + (group.end - group.start));
        }
        Ok(ids)
    }

    /// Whether the type with id `a` is `b` or declares it among its
    /// supertypes.
    pub(crate) fn is_subtype(&self, a: u32, b: u32) -> bool {
        if a == b {
            return true;
        }
        let r = self.inner.read();
        // An id the registry never gave out (a host's made-up type) is
        // no subtype of anything.
        let n = r.types.len() as u32;
        a < n && b < n && heap_subtype(&*r, HeapType::Concrete(a), HeapType::Concrete(b))
    }
}

impl TypeRegistry {
    /// Type `id`, if the registry gave it out.
    pub(crate) fn sub_type(&self, id: u32) -> Option<SubType> {
        self.inner.read().types.get(id as usize).cloned()
    }

    /// Whether `id` is a function type.
    pub(crate) fn is_func(&self, id: u32) -> bool {
        self.inner
            .read()
            .types
            .get(id as usize)
            .is_some_and(|t| matches!(t.composite, nanowasm_core::CompositeType::Func(_)))
    }

    /// The declared supertypes of `id`, outermost first, then `id`.
    pub(crate) fn supertypes(&self, id: u32) -> alloc::vec::Vec<u32> {
        let r = self.inner.read();
        let mut chain = alloc::vec![id];
        let mut at = id;
        // Validation bounds the depth (63); the bound here only guards
        // against a cycle, which registration rules out.
        while let Some(s) = r.types.get(at as usize).and_then(|t| t.supertype) {
            if chain.len() > 64 {
                break;
            }
            chain.push(s);
            at = s;
        }
        chain.reverse();
        chain
    }
}

impl TypeRegistry {
    /// Whether value type `a` matches `b` (both in registry ids).
    pub(crate) fn val_subtype(&self, a: ValType, b: ValType) -> bool {
        if a == b {
            return true;
        }
        let r = self.inner.read();
        let known = |t: ValType| match t {
            ValType::Ref(x) => match x.heap() {
                HeapType::Concrete(i) => (i as usize) < r.types.len(),
                _ => true,
            },
            _ => true,
        };
        known(a) && known(b) && val_subtype(&*r, a, b)
    }
}

impl TypeSpace for Registry {
    fn sub_type(&self, index: u32) -> &SubType {
        &self.types[index as usize]
    }

    fn same(&self, a: u32, b: u32) -> bool {
        a == b
    }
}

impl Engine {
    /// An engine with this configuration.
    pub fn new(config: &Config) -> Engine {
        Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                epoch: AtomicU64::new(0),
                memory_pool: Arc::new(crate::linear::MemoryPool::new(config.get_guard_regions())),
                types: TypeRegistry::default(),
                #[cfg(nanowasm_compiler)]
                compile_scratch: Default::default(),
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

    /// Where the epoch is, for compiled code's checks (which read it with
    /// a plain load: x86-64 loads are atomic and acquire).
    #[cfg(nanowasm_compiler)]
    pub(crate) fn epoch_ptr(&self) -> *const u64 {
        self.inner.epoch.as_ptr()
    }

    pub(crate) fn epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::Acquire)
    }

    pub(crate) fn translate_config(&self) -> TranslateConfig {
        TranslateConfig {
            fuel: self.inner.config.consume_fuel,
            epoch: self.inner.config.epoch_interruption,
            features: self.inner.config.features,
            guard_regions: self.inner.config.get_guard_regions(),
            avx2: self.inner.config.get_avx2(),
        }
    }

    /// What `bytes` are, if they are a compiled artifact that
    /// [`Module::deserialize`](crate::Module::deserialize) loads (only the
    /// magic is looked at: loading checks the rest). wasmtime's name.
    pub fn detect_precompiled(&self, bytes: &[u8]) -> Option<Precompiled> {
        #[cfg(nanowasm_compiler)]
        if crate::compiler::artifact::is_artifact(bytes) {
            return Some(Precompiled::Module);
        }
        let _ = bytes;
        None
    }

    /// Whether two handles name the same engine.
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }
}

/// Whether this CPU has AVX2 (and so AVX), as compiled code would use it.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
pub(crate) fn cpu_has_avx2() -> bool {
    std::is_x86_feature_detected!("avx2")
}

/// Without `std` or off x86-64: never (only the compiler uses it).
#[cfg(not(all(feature = "std", target_arch = "x86_64")))]
pub(crate) fn cpu_has_avx2() -> bool {
    false
}
