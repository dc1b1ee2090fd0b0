//! Stores: one isolated domain of instances and everything they own.

use crate::prelude::*;
use alloc::sync::Arc;
use core::any::Any;
use core::sync::atomic::{AtomicU64, Ordering};

use nanowasm_core::{FuncType, GlobalType, MemoryType, TableType, ValType};

use crate::engine::Engine;
use crate::func::HostFunc;
use crate::module::Module;
use crate::values::Val;

/// A handle's identity: which store, which entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Stored {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

/// Gives each store a distinct id so handles cannot be used across stores.
/// This counter is the only process-wide state; a guest cannot reach it.
static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// Resource limits of one store. `None` means unlimited (up to what the
/// module's own types allow).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreLimits {
    /// Bytes one linear memory may grow to.
    pub memory_size: Option<usize>,
    /// Elements one table may grow to.
    pub table_elements: Option<u64>,
    /// Instances in the store.
    pub instances: usize,
    /// Memories in the store.
    pub memories: usize,
    /// Tables in the store.
    pub tables: usize,
    /// Nested calls (wasm and host frames) in the store, at most the
    /// engine's [`Config::max_call_depth`](crate::Config::max_call_depth);
    /// deeper calls trap with `call stack exhausted`.
    pub call_depth: Option<usize>,
    /// Bytes the store's GC heap (structs and arrays) may hold, counting
    /// each object's payload and a fixed overhead; an allocation that does
    /// not fit after a collection traps with
    /// [`TrapCode::GcHeapExhausted`](crate::TrapCode::GcHeapExhausted).
    pub gc_heap: usize,
}

/// The default [`StoreLimits::gc_heap`]: 4 GiB, what one linear memory of
/// a 32-bit module may reach.
pub const DEFAULT_GC_HEAP_LIMIT: usize = 1 << 32;

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            memory_size: None,
            table_elements: None,
            instances: 10_000,
            memories: 10_000,
            tables: 10_000,
            call_depth: None,
            gc_heap: DEFAULT_GC_HEAP_LIMIT,
        }
    }
}

/// Builds [`StoreLimits`].
#[derive(Clone, Copy, Debug, Default)]
pub struct StoreLimitsBuilder(StoreLimits);

impl StoreLimitsBuilder {
    /// Unlimited except for the default instance/memory/table counts.
    pub fn new() -> Self {
        Self::default()
    }
    /// The most bytes one memory may have; `memory.grow` beyond returns -1.
    pub fn memory_size(mut self, bytes: usize) -> Self {
        self.0.memory_size = Some(bytes);
        self
    }
    /// The most elements one table may have; `table.grow` beyond returns -1.
    pub fn table_elements(mut self, n: u64) -> Self {
        self.0.table_elements = Some(n);
        self
    }
    /// The most instances.
    pub fn instances(mut self, n: usize) -> Self {
        self.0.instances = n;
        self
    }
    /// The most memories.
    pub fn memories(mut self, n: usize) -> Self {
        self.0.memories = n;
        self
    }
    /// The most tables.
    pub fn tables(mut self, n: usize) -> Self {
        self.0.tables = n;
        self
    }
    /// The most nested calls (capped by the engine's
    /// [`Config::max_call_depth`](crate::Config::max_call_depth)).
    pub fn call_depth(mut self, n: usize) -> Self {
        self.0.call_depth = Some(n.max(1));
        self
    }
    /// The most bytes the GC heap may hold (default
    /// [`DEFAULT_GC_HEAP_LIMIT`]); an allocation beyond traps.
    pub fn gc_heap(mut self, bytes: usize) -> Self {
        self.0.gc_heap = bytes;
        self
    }
    /// The limits.
    pub fn build(self) -> StoreLimits {
        self.0
    }
}

pub(crate) enum FuncEntity {
    Wasm {
        instance: u32,
        index: u32,
        type_id: u32,
    },
    Host {
        host: u32,
        type_id: u32,
    },
}

impl FuncEntity {
    pub(crate) fn type_id(&self) -> u32 {
        match self {
            FuncEntity::Wasm { type_id, .. } | FuncEntity::Host { type_id, .. } => *type_id,
        }
    }
}

pub(crate) struct MemoryEntity {
    pub(crate) data: crate::linear::LinearMemory,
    pub(crate) ty: MemoryType,
}

pub(crate) struct TableEntity {
    /// Raw references: 0 is null, otherwise a store index plus one.
    pub(crate) elements: Vec<u64>,
    pub(crate) ty: TableType,
}

pub(crate) struct GlobalEntity {
    pub(crate) ty: GlobalType,
    /// Raw bits (see `interp::code` for the representation).
    pub(crate) value: u128,
}

pub(crate) struct InstanceEntity {
    pub(crate) module: Module,
    /// Store indices of the instance's functions, tables, memories and
    /// globals, in the module's index spaces.
    pub(crate) funcs: Vec<u32>,
    pub(crate) tables: Vec<u32>,
    pub(crate) memories: Vec<u32>,
    pub(crate) globals: Vec<u32>,
    /// Store indices of the instance's tags.
    pub(crate) tags: Vec<u32>,
    /// Element segments (`None` once dropped), as raw references.
    pub(crate) elems: Vec<Option<Box<[u64]>>>,
    /// Whether each data segment was dropped.
    pub(crate) data_dropped: Vec<bool>,
    /// Store type ids of the module's types.
    pub(crate) type_ids: Arc<[u32]>,
    /// The GC heap's layout of each of the module's struct and array
    /// types (`u32::MAX` for a function type); empty without such types.
    pub(crate) gc_layouts: Box<[u32]>,
}

/// Everything in a store but the host data and host functions.
pub(crate) struct StoreInner {
    pub(crate) id: u64,
    pub(crate) engine: Engine,
    pub(crate) funcs: Vec<FuncEntity>,
    pub(crate) instances: Vec<InstanceEntity>,
    pub(crate) memories: Vec<MemoryEntity>,
    pub(crate) tables: Vec<TableEntity>,
    pub(crate) globals: Vec<GlobalEntity>,
    pub(crate) externs: Vec<Box<dyn Any + Send + Sync>>,
    /// State a crate built on the engine keeps per store (see
    /// [`Store::extension_mut`]), with its type's id (compared without a
    /// virtual call).
    pub(crate) extension: Option<(core::any::TypeId, Box<dyn Any + Send + Sync>)>,
    pub(crate) tags: Vec<crate::exn::TagEntity>,
    /// Exception objects (see `exn`).
    pub(crate) exns: crate::exn::Exns,
    /// The types of the host functions (by `FuncEntity::Host::host`).
    pub(crate) host_types: Vec<Arc<FuncType>>,
    /// `[] -> []`, never the type of a function here (see `func_type`).
    empty_type: FuncType,
    pub(crate) fuel: u64,
    pub(crate) epoch_deadline: u64,
    pub(crate) limits: StoreLimits,
    /// The interpreter's execution state (value stack, frame stack, call
    /// cache): the back end's, not the store's.
    pub(crate) interp: crate::interp::exec::StoreState,
    /// The compiler's state (instance contexts, a failed libcall's error).
    #[cfg(nanowasm_compiler)]
    pub(crate) compiled: crate::compiler::StoreState,
    /// Wasm call depth across nested activations.
    pub(crate) depth: usize,
    /// The store's layout generation: how many times a memory or a table
    /// has been resized (whose data may then have moved), a function or a
    /// global added, or the store entered at another address. Compiled
    /// code's contexts refresh their copies of bases, lengths and pointers
    /// after a call into the host only when this changed, and compiled code
    /// calls into another instance directly only when that instance's
    /// context has seen the current value. Every resize goes through
    /// `memory::grow` or `table::grow`, every function through
    /// `Func::from_host_new` or instantiation, every global through
    /// `Global::new` or instantiation, and every move is seen by
    /// `compiler::vm::invoke_cells`: each counts it.
    pub(crate) resizes: u64,
    /// The GC heap (structs and arrays).
    pub(crate) gc: crate::gc::GcHeap,
    /// Compiled activations of this store on the native stack: the
    /// collector does not run while there are any (their frames may hold
    /// references it cannot see).
    #[cfg(nanowasm_compiler)]
    pub(crate) compiled_active: u32,
    /// The native stack address of the outermost entry from the host; 0
    /// while the store is not running (see `stack.rs`).
    pub(crate) stack_entry: usize,
    /// The engine's `Config::max_wasm_stack`, kept here for the entry path.
    pub(crate) max_wasm_stack: usize,
}

impl StoreInner {
    /// The type of store function `func`: a wasm function's from its
    /// module, a host function's from `host_types`.
    #[inline]
    pub(crate) fn func_type(&self, func: u32) -> &FuncType {
        match self.funcs[func as usize] {
            FuncEntity::Wasm {
                instance, index, ..
            } => {
                let module = &self.instances[instance as usize].module;
                // Instances only hold functions of their own module, whose
                // types it has.
                module
                    .binary()
                    .funcs
                    .get(index as usize)
                    .and_then(|&t| module.inner.func_types.get(t as usize))
                    .unwrap_or(&self.empty_type)
            }
            FuncEntity::Host { host, .. } => &self.host_types[host as usize],
        }
    }

    /// The deepest call nesting allowed: the engine's, or the store's
    /// limit if lower.
    #[inline]
    pub(crate) fn max_call_depth(&self) -> usize {
        let engine = self.engine.config().max_call_depth;
        self.limits.call_depth.map_or(engine, |d| d.min(engine))
    }

    /// Checks that handle `s` belongs to this store. Every public method
    /// that takes a handle and a store checks this first: a handle of
    /// another store (or of a dropped one: store ids are never reused) is
    /// an error, never a panic, and never another entity of this store. A
    /// handle that passes indexes its store's vectors in bounds, since
    /// entities are never removed from a store.
    #[inline]
    pub(crate) fn check(&self, s: Stored) -> Result<(), crate::Error> {
        if s.store == self.id {
            Ok(())
        } else {
            Err(wrong_store())
        }
    }

    /// [`check`](Self::check) of a handle that is a store id and a raw
    /// value (`ExternRef`, `AnyRef`).
    #[inline]
    pub(crate) fn check_id(&self, store: u64) -> Result<(), crate::Error> {
        if store == self.id {
            Ok(())
        } else {
            Err(wrong_store())
        }
    }

    /// Checks that a reference value, if it is one, belongs to this store.
    #[inline]
    pub(crate) fn check_ref(&self, v: &Val) -> Result<(), crate::Error> {
        match v {
            Val::FuncRef(Some(f)) => self.check(f.0),
            Val::ExternRef(Some(e)) => {
                self.check_id(e.store)?;
                if e.raw & crate::gc::EXTERN_ANY != 0 {
                    self.check_handle(e.raw & !crate::gc::EXTERN_ANY)?;
                }
                Ok(())
            }
            Val::ExnRef(Some(e)) => self.check(e.0),
            Val::AnyRef(Some(a)) => {
                self.check_id(a.store)?;
                self.check_handle(a.raw)
            }
            _ => Ok(()),
        }
    }

    /// Checks that `AnyRef` handle `h` (of this store; an `ExternRef`'s
    /// without bit 63) still names the object it was handed out for.
    #[inline]
    pub(crate) fn check_handle(&self, h: u64) -> Result<(), crate::Error> {
        match self.gc.check_handle(h) {
            Some(_) => Ok(()),
            None => Err(crate::Error::usage(
                "a GC reference used after its object was collected (its root scope ended)",
            )),
        }
    }

    /// The representation of values of `heap` (engine ids): a concrete
    /// type's is a function's or a GC object's, as the registry says.
    pub(crate) fn ref_kind(&self, heap: nanowasm_core::HeapType) -> crate::values::RefKind {
        use crate::values::RefKind;
        match heap {
            nanowasm_core::HeapType::Concrete(id) if !self.engine.inner.types.is_func(id) => {
                RefKind::Any
            }
            h => RefKind::of(h),
        }
    }

    /// The value of `ty` whose raw bits are `raw`, with this store's
    /// references. A struct or array handed out this way (directly, or
    /// inside an `externref`) is pinned: the host may keep it.
    pub(crate) fn raw_to_val(&self, raw: u128, ty: ValType) -> Val {
        use crate::values::RefKind;
        let ValType::Ref(r) = ty else {
            return crate::global::num_to_val(raw, ty);
        };
        let (kind, mut raw) = (self.ref_kind(r.heap()), raw as u64);
        match kind {
            RefKind::Any if raw != 0 => raw = self.gc.pin(raw),
            RefKind::Extern if raw & crate::gc::EXTERN_ANY != 0 => {
                raw = self.gc.pin(raw & !crate::gc::EXTERN_ANY) | crate::gc::EXTERN_ANY;
            }
            _ => {}
        }
        crate::table::raw_to_ref(self.id, raw, kind)
    }

    /// Checks that `v` may be stored in a place of type `ty` of this
    /// store (`what` names the place): its type matches, and a reference
    /// belongs to this store.
    #[inline]
    pub(crate) fn check_val(&self, v: &Val, ty: ValType, what: &str) -> Result<(), crate::Error> {
        if !v.matches(ty) {
            return Err(type_mismatch(what, ty, v));
        }
        self.check_ref(v)?;
        if !self.matches_concrete(v, ty) {
            return Err(type_mismatch(what, ty, v));
        }
        Ok(())
    }

    /// Whether `v`, a value of this store that [`Val::matches`] `ty`, also
    /// has the concrete type `ty` names, if it names one: a function's type
    /// is that type or declares it as a supertype.
    #[inline]
    pub(crate) fn matches_concrete(&self, v: &Val, ty: ValType) -> bool {
        match (v, ty) {
            (Val::AnyRef(Some(a)), ValType::Ref(r)) => match r.heap() {
                nanowasm_core::HeapType::Concrete(want) => self
                    .gc
                    .get(crate::gc::slot_of_handle(a.raw))
                    .is_some_and(|(l, _)| l.is_subtype_of(want)),
                // The abstract types below `any` the value must be of.
                h => crate::interp::handlers::gc::passes(
                    self,
                    0,
                    crate::gc::slot_of_handle(a.raw),
                    crate::interp::handlers::gc::target::abstract_code(h),
                    false,
                ),
            },
            // A null of a concrete type may come as either kind of null
            // (`Val::default_for` cannot tell a function type from a
            // struct type): `Val::matches` checked that the type is
            // nullable.
            (Val::FuncRef(Some(_)), ValType::Ref(r)) if matches!(r.heap(), nanowasm_core::HeapType::Concrete(id) if !self.engine.inner.types.is_func(id)) => {
                false
            }
            (Val::FuncRef(Some(f)), ValType::Ref(r)) => match r.heap() {
                nanowasm_core::HeapType::Concrete(want) => {
                    let have = self.funcs[f.0.index as usize].type_id();
                    self.engine.inner.types.is_subtype(have, want)
                }
                _ => true,
            },
            _ => true,
        }
    }
}

#[cold]
#[inline(never)]
pub(crate) fn wrong_store() -> crate::Error {
    crate::Error::usage("object used with the wrong store")
}

/// `what` expected a value of type `ty` and got `v`.
#[cold]
#[inline(never)]
pub(crate) fn type_mismatch(what: &str, ty: ValType, v: &Val) -> crate::Error {
    let found = match v {
        Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) | Val::AnyRef(None) => {
            format!("a null {}", v.ty())
        }
        _ => v.ty().to_string(),
    };
    crate::Error::usage(format!("{what} has type {ty}, not {found}"))
}

/// An isolated domain: instances, their memories, tables, globals and
/// functions, host data `T`, fuel and limits. Nothing in one store can reach
/// another store.
///
/// ```
/// use nanowasm_runtime::{Config, Engine, Linker, Module, Store, StoreLimitsBuilder, TrapCode};
///
/// let engine = Engine::new(Config::new().consume_fuel(true));
/// let module = Module::new(
///     &engine,
///     r#"(module (memory (export "mem") 1)
///          (func (export "grow") (result i32) (memory.grow (i32.const 10)))
///          (func (export "spin") (loop (br 0))))"#,
/// )?;
/// // Host data: here a request counter.
/// let mut store = Store::new(&engine, 0u64);
/// store.set_limits(StoreLimitsBuilder::new().memory_size(4 << 16).build());
/// store.set_fuel(1_000_000)?;
/// let instance = Linker::new(&engine).instantiate(&mut store, &module)?;
/// *store.data_mut() += 1;
/// // Growing past the limit fails inside wasm (`memory.grow` returns -1).
/// let grow = instance.get_typed_func::<(), i32>(&mut store, "grow")?;
/// assert_eq!(grow.call(&mut store, ())?, -1);
/// // Running out of fuel traps; the store stays usable.
/// let spin = instance.get_typed_func::<(), ()>(&mut store, "spin")?;
/// let err = spin.call(&mut store, ()).unwrap_err();
/// assert_eq!(err.trap_code(), Some(TrapCode::OutOfFuel));
/// assert_eq!(*store.data(), 1);
/// # Ok::<(), nanowasm_runtime::Error>(())
/// ```
// `repr(C)` with `inner` first: the interpreter reaches the `StoreInner`
// of a type-erased store pointer (`interp::handlers::Cx::inner`).
#[repr(C)]
pub struct Store<T> {
    pub(crate) inner: StoreInner,
    pub(crate) hosts: HostFuncs<T>,
    pub(crate) data: T,
}

/// A store's host functions. A call holds its function through an `Rc`
/// for its duration (a host function may replace the whole store, which
/// must not free the closure that is running): a count that is not
/// atomic, since an atomic increment and decrement were most of the cost
/// of a call from wasm into the host. (The `Arc` inside is shared with
/// the linker that defined the function, and so with other stores.)
#[allow(clippy::redundant_allocation)]
pub(crate) struct HostFuncs<T>(Vec<alloc::rc::Rc<Arc<HostFunc<T>>>>);

// SAFETY: the `Rc`s are cloned only by a call that has the store mutably
// (so on one thread), and dropped before it returns: between calls each
// has exactly one owner, this vector, and moving the store to another
// thread moves them all. The closures themselves are `Send + Sync`.
unsafe impl<T> Send for HostFuncs<T> {}
// SAFETY: shared access (`&Store`) never clones or drops an `Rc`.
unsafe impl<T> Sync for HostFuncs<T> {}

impl<T> HostFuncs<T> {
    /// Adds a host function; its index.
    pub(crate) fn push(&mut self, f: Arc<HostFunc<T>>) -> u32 {
        self.0.push(alloc::rc::Rc::new(f));
        self.0.len() as u32 - 1
    }

    /// Host function `i`, held for a call.
    #[allow(clippy::redundant_allocation)]
    pub(crate) fn get(&self, i: u32) -> alloc::rc::Rc<Arc<HostFunc<T>>> {
        self.0[i as usize].clone()
    }
}

impl<T> Store<T> {
    /// A new store.
    pub fn new(engine: &Engine, data: T) -> Store<T> {
        Store {
            inner: StoreInner {
                id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
                engine: engine.clone(),
                funcs: Vec::new(),
                instances: Vec::new(),
                memories: Vec::new(),
                tables: Vec::new(),
                globals: Vec::new(),
                externs: Vec::new(),
                tags: Vec::new(),
                exns: Default::default(),
                extension: None,
                host_types: Vec::new(),
                empty_type: FuncType::new([], []),
                fuel: 0,
                epoch_deadline: u64::MAX,
                limits: StoreLimits::default(),
                interp: Default::default(),
                #[cfg(nanowasm_compiler)]
                compiled: Default::default(),
                depth: 0,
                resizes: 0,
                gc: Default::default(),
                #[cfg(nanowasm_compiler)]
                compiled_active: 0,
                stack_entry: 0,
                max_wasm_stack: engine.config().max_wasm_stack,
            },
            hosts: HostFuncs(Vec::new()),
            data,
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The host data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }

    /// Per-store state of type `S` for a crate built on the engine (the
    /// component model keeps its component instances and resource handle
    /// tables here), made with `S::default()` on first use. A store holds
    /// one such value: asking for another type replaces it.
    #[doc(hidden)]
    #[inline]
    pub fn extension_mut<S: Any + Send + Sync + Default>(&mut self) -> &mut S {
        let id = core::any::TypeId::of::<S>();
        if !matches!(&self.inner.extension, Some((t, _)) if *t == id) {
            self.new_extension::<S>();
        }
        match &mut self.inner.extension {
            // SAFETY: the box holds a value of the type whose id is stored
            // with it (both are set together, just above or at an earlier
            // call), and that id is `S`'s: the `dyn Any` is an `S`.
            Some((_, e)) => unsafe { &mut *(&mut **e as *mut (dyn Any + Send + Sync)).cast::<S>() },
            None => unreachable!("the extension was just set to an `S`"),
        }
    }

    /// Sets the extension to a new `S` (see [`Store::extension_mut`]).
    #[cold]
    #[inline(never)]
    fn new_extension<S: Any + Send + Sync + Default>(&mut self) {
        self.inner.extension = Some((core::any::TypeId::of::<S>(), Box::new(S::default())));
    }

    /// Consumes the store, returning the host data.
    pub fn into_data(self) -> T {
        self.data
    }

    /// Sets the remaining fuel (requires `Config::consume_fuel`).
    pub fn set_fuel(&mut self, fuel: u64) -> Result<(), crate::Error> {
        if !self.inner.engine.config().consume_fuel {
            return Err(crate::Error::usage(
                "fuel is not enabled in this engine's config",
            ));
        }
        self.inner.fuel = fuel;
        Ok(())
    }

    /// The remaining fuel (requires `Config::consume_fuel`).
    pub fn get_fuel(&self) -> Result<u64, crate::Error> {
        if !self.inner.engine.config().consume_fuel {
            return Err(crate::Error::usage(
                "fuel is not enabled in this engine's config",
            ));
        }
        Ok(self.inner.fuel)
    }

    /// Interrupt running wasm once the engine's epoch reaches the current
    /// epoch plus `delta` (requires `Config::epoch_interruption`).
    pub fn set_epoch_deadline(&mut self, delta: u64) {
        self.inner.epoch_deadline = self.inner.engine.epoch().saturating_add(delta);
    }

    /// Statistics of the store's GC heap.
    pub fn gc_stats(&self) -> crate::gc::GcStats {
        self.inner.gc.stats()
    }

    /// Collects the store's GC heap now (wasmtime's `Store::gc`). Objects
    /// that wasm still reaches, or that were handed to the host, stay.
    pub fn gc(&mut self) {
        let live = self.inner.interp.top;
        crate::gc::collect(&mut self.inner, live);
    }

    /// Sets the store's resource limits.
    pub fn set_limits(&mut self, limits: StoreLimits) {
        self.inner.limits = limits;
    }
}

/// Things that give shared access to a store: `&Store<T>`, `&mut Store<T>`,
/// `Caller<T>`.
pub trait AsContext {
    /// The store's host data type.
    type Data;
    /// The store.
    fn as_context(&self) -> &Store<Self::Data>;
}

/// Things that give exclusive access to a store.
pub trait AsContextMut: AsContext {
    /// The store.
    fn as_context_mut(&mut self) -> &mut Store<Self::Data>;
}

impl<T> AsContext for Store<T> {
    type Data = T;
    fn as_context(&self) -> &Store<T> {
        self
    }
}

impl<T> AsContextMut for Store<T> {
    fn as_context_mut(&mut self) -> &mut Store<T> {
        self
    }
}

impl<S: AsContext + ?Sized> AsContext for &S {
    type Data = S::Data;
    fn as_context(&self) -> &Store<S::Data> {
        (**self).as_context()
    }
}

impl<S: AsContext + ?Sized> AsContext for &mut S {
    type Data = S::Data;
    fn as_context(&self) -> &Store<S::Data> {
        (**self).as_context()
    }
}

impl<S: AsContextMut + ?Sized> AsContextMut for &mut S {
    fn as_context_mut(&mut self) -> &mut Store<S::Data> {
        (**self).as_context_mut()
    }
}
