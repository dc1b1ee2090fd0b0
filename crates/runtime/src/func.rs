//! Functions: handles, host functions, typed calls.

use crate::prelude::*;
use alloc::sync::Arc;
use core::marker::PhantomData;

use nanowasm_core::{FuncType, ValType};

use crate::error::Error;
use crate::instance::Extern;
use crate::interp::exec;
use crate::store::{AsContext, AsContextMut, FuncEntity, Store, Stored};
use crate::values::{scratch, AnyRef, ExternRef, Val};

/// A host function's implementation on values.
pub(crate) type DynHostFn<T> =
    dyn Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync;

/// A typed host function's implementation on cells: its parameters in the
/// 8-byte cells wasm passes them in (two for a `v128`), overwritten by
/// its results.
pub(crate) type RawHostFn<T> = dyn Fn(Caller<'_, T>, &mut [u64]) -> Result<(), Error> + Send + Sync;

/// A host function: its implementation on values, and for a typed closure
/// ([`Func::wrap`], [`Linker::func_wrap`](crate::Linker::func_wrap)) also
/// one on cells, which calls from wasm take without converting to and
/// from [`Val`]s.
#[doc(hidden)]
pub struct HostFunc<T> {
    pub(crate) call: Box<DynHostFn<T>>,
    /// The cells the raw form reads and writes (the larger of its
    /// parameters' and results'), and the raw form.
    pub(crate) raw: Option<(usize, Box<RawHostFn<T>>)>,
}

impl<T> HostFunc<T> {
    /// A host function on values only.
    pub(crate) fn dynamic(
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Arc<HostFunc<T>> {
        Arc::new(HostFunc {
            call: Box::new(f),
            raw: None,
        })
    }

    /// A host function on cells, of a type without references (raw cells
    /// cannot carry them safely: see [`Linker::func_new_cells`](crate::Linker::func_new_cells)).
    pub(crate) fn from_cells(
        ty: &FuncType,
        f: impl Fn(Caller<'_, T>, &mut [u64]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Result<Arc<HostFunc<T>>, Error> {
        if has_refs(ty) {
            return Err(wrong_type(
                "host functions on cells cannot have references, and this is",
                ty,
            ));
        }
        let n = area_cells(ty);
        let results: Vec<ValType> = ty.results().to_vec();
        let f = Arc::new(f);
        let g = Arc::clone(&f);
        let call = move |caller: Caller<'_, T>, args: &[Val], out: &mut [Val]| {
            let (mut buf, mut heap) = ([0u64; 16], Vec::new());
            let cells = scratch(&mut buf, &mut heap, n);
            write_val_cells(cells, args);
            g(caller, cells)?;
            read_val_cells(None, cells, &results, out);
            Ok(())
        };
        Ok(Arc::new(HostFunc {
            call: Box::new(call),
            raw: Some((
                n,
                Box::new(move |caller: Caller<'_, T>, cells: &mut [u64]| f(caller, cells)),
            )),
        }))
    }
}

/// Writes `vals` in cells (two for a `v128`).
pub(crate) fn write_val_cells(cells: &mut [u64], vals: &[Val]) {
    let mut k = 0;
    for v in vals {
        let raw = crate::global::val_to_raw(v);
        cells[k] = raw as u64;
        k += 1;
        if matches!(v, Val::V128(_)) {
            cells[k] = (raw >> 64) as u64;
            k += 1;
        }
    }
}

/// Reads values of `types` from cells into `out`, references as of store
/// `inner` (`None`: `types` has no references).
pub(crate) fn read_val_cells(
    inner: Option<&crate::store::StoreInner>,
    cells: &[u64],
    types: &[ValType],
    out: &mut [Val],
) {
    let mut k = 0;
    for (o, &t) in out.iter_mut().zip(types) {
        let mut raw = u128::from(cells[k]);
        k += 1;
        if t == ValType::V128 {
            raw |= u128::from(cells[k]) << 64;
            k += 1;
        }
        *o = match inner {
            Some(inner) => inner.raw_to_val(raw, t),
            None => crate::global::num_to_val(raw, t),
        };
    }
}

/// How many 8-byte cells values of `types` take (two for a `v128`).
pub(crate) fn cells_of(types: &[ValType]) -> usize {
    types
        .iter()
        .map(|&t| if t == ValType::V128 { 2 } else { 1 })
        .sum()
}

/// The cells a call of type `ty` passes: its parameters, which its results
/// overwrite.
pub(crate) fn area_cells(ty: &FuncType) -> usize {
    cells_of(ty.params()).max(cells_of(ty.results()))
}

/// Whether `ty` has a reference, which raw cells cannot carry safely.
pub(crate) fn has_refs(ty: &FuncType) -> bool {
    ty.params().iter().chain(ty.results()).any(|t| t.is_ref())
}

/// A function of a store: defined by a module instance or by the host.
///
/// Calls through `Func` check the arguments' types at run time; a
/// [`TypedFunc`] checks once.
///
/// ```
/// use nanowasm_runtime::{Engine, Func, FuncType, Instance, Module, Store, Val, ValType};
///
/// let engine = Engine::default();
/// let mut store = Store::new(&engine, ());
/// // A host function from a closure: its type comes from the Rust types.
/// let double = Func::wrap(&mut store, |x: i32| x * 2);
/// // And one with a type given at run time.
/// let ty = FuncType::new([ValType::I64], [ValType::I64]);
/// let negate = Func::new(&mut store, ty, |_caller, args, results| {
///     results[0] = Val::I64(-args[0].unwrap_i64());
///     Ok(())
/// });
/// let module = Module::new(
///     &engine,
///     r#"(module
///          (import "" "double" (func $double (param i32) (result i32)))
///          (import "" "negate" (func $negate (param i64) (result i64)))
///          (func (export "run") (param i32) (result i32)
///            (call $double (local.get 0))))"#,
/// )?;
/// let instance = Instance::new(&mut store, &module, &[double.into(), negate.into()])?;
/// let run = instance.get_func(&store, "run").unwrap();
/// let mut results = [Val::I32(0)];
/// run.call(&mut store, &[Val::I32(21)], &mut results)?;
/// assert_eq!(results[0].unwrap_i32(), 42);
/// // A wrong argument type is an error, not a crash.
/// assert!(run.call(&mut store, &[Val::I64(21)], &mut results).is_err());
/// # Ok::<(), nanowasm_runtime::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Func(pub(crate) Stored);

/// The context a host function runs in: the store and the calling
/// instance.
pub struct Caller<'a, T> {
    pub(crate) store: &'a mut Store<T>,
    /// The calling instance, [`Caller::NO_INSTANCE`] for a call from the
    /// host. (Not an `Option<u32>`: a reference and a `u32` travel in two
    /// registers, where with an `Option` the `Caller` went through memory,
    /// and reading it back as one 16-byte load from two smaller stores
    /// stalled every host function call on store forwarding.)
    pub(crate) instance: u32,
}

impl<T> Caller<'_, T> {
    /// `instance` of a call from the host, not from an instance.
    pub(crate) const NO_INSTANCE: u32 = u32::MAX;

    /// The host data.
    pub fn data(&self) -> &T {
        self.store.data()
    }

    /// The host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.store.data_mut()
    }

    /// An export of the calling instance (e.g. its `memory`).
    pub fn get_export(&self, name: &str) -> Option<Extern> {
        let instance = Some(self.instance).filter(|&i| i != Self::NO_INSTANCE)?;
        crate::instance::Instance(Stored {
            store: self.store.inner.id,
            index: instance,
        })
        .get_export(&*self.store, name)
    }

    /// The engine.
    pub fn engine(&self) -> &crate::Engine {
        self.store.engine()
    }
}

impl<T> AsContext for Caller<'_, T> {
    type Data = T;
    fn as_context(&self) -> &Store<T> {
        self.store
    }
}

impl<T> AsContextMut for Caller<'_, T> {
    fn as_context_mut(&mut self) -> &mut Store<T> {
        self.store
    }
}

impl Func {
    /// A host function of type `ty` implemented by `f`, which receives the
    /// arguments and must fill in the results.
    pub fn new<T>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Func {
        let store = store.as_context_mut();
        Func::from_host_new(store, ty, HostFunc::dynamic(f))
    }

    /// A host function of type `ty`, registered in the store's engine now.
    pub(crate) fn from_host_new<T>(
        store: &mut Store<T>,
        ty: FuncType,
        f: Arc<HostFunc<T>>,
    ) -> Func {
        let type_id = store.inner.engine.inner.types.register(&ty);
        Func::from_host(store, &Arc::new(ty), type_id, f)
    }

    /// A host function of type `ty` on cells, as
    /// [`Linker::func_new_cells`](crate::Linker::func_new_cells) defines
    /// one: `f` gets the arguments in 8-byte cells, which its results
    /// overwrite, so calls from wasm skip converting to and from [`Val`]s.
    /// `ty` must have no references.
    pub fn new_cells<T>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &mut [u64]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Result<Func, Error> {
        let host = HostFunc::from_cells(&ty, f)?;
        Ok(Func::from_host_new(store.as_context_mut(), ty, host))
    }

    /// A host function whose type `ty` has id `type_id` in the store's
    /// engine already (a [`Linker`](crate::Linker) registers its functions'
    /// types once, when they are defined, not at every instantiation).
    pub(crate) fn from_host<T>(
        store: &mut Store<T>,
        ty: &Arc<FuncType>,
        type_id: u32,
        f: Arc<HostFunc<T>>,
    ) -> Func {
        let host = store.hosts.push(f);
        store.inner.host_types.push(ty.clone());
        let index = store.inner.funcs.len() as u32;
        store.inner.funcs.push(FuncEntity::Host { host, type_id });
        // (Compiled contexts' function references are stale now.)
        store.inner.resizes += 1;
        Func(Stored {
            store: store.inner.id,
            index,
        })
    }

    /// A host function from a Rust closure whose parameter and result types
    /// give the wasm type, e.g. `|a: i32, b: i32| a + b` or
    /// `|caller: Caller<'_, T>, x: i64| -> Result<i64, Error> { ... }`.
    pub fn wrap<T, Params, Results>(
        mut store: impl AsContextMut<Data = T>,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Func {
        let store = store.as_context_mut();
        let (ty, host) = f.into_host();
        Func::from_host_new(store, ty, host)
    }

    /// The function's type; an error if `store` does not own the function.
    pub fn ty(&self, store: impl AsContext) -> Result<FuncType, Error> {
        let store = store.as_context();
        store.inner.check(self.0)?;
        Ok(store.inner.func_type(self.0.index).clone())
    }

    /// Calls the function. `params` must match its parameter types (and
    /// their references belong to `store`) and `results` must have room for
    /// its results. A host function must produce results of its type, and
    /// references of `store`, or the call fails.
    pub fn call<T>(
        &self,
        mut store: impl AsContextMut<Data = T>,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<(), Error> {
        let store = store.as_context_mut();
        store.inner.check(self.0)?;
        let ty = store.inner.func_type(self.0.index);
        if params.len() != ty.params().len()
            || params.iter().zip(ty.params()).any(|(v, t)| !v.matches(*t))
        {
            return Err(wrong_type("wrong argument types for", ty));
        }
        if results.len() < ty.results().len() {
            return Err(wrong_type("results buffer too small for", ty));
        }
        for v in params {
            store.inner.check_ref(v)?;
        }
        // Typed function references: a function argument must have the
        // parameter's concrete type (checked once the references are known
        // to be of this store).
        if params
            .iter()
            .zip(ty.params())
            .any(|(v, t)| !store.inner.matches_concrete(v, *t))
        {
            return Err(wrong_type("wrong argument types for", ty));
        }
        exec::invoke(store, self.0.index, params, results)
    }

    /// Calls the function with its arguments in `cells`, 8-byte cells in
    /// order (a `v128` takes two, low half first; `i32` and `f32` are in
    /// the low 32 bits), which the results then overwrite. `cells` must
    /// have room for the larger of the two. For a compiled function this
    /// skips converting to and from [`Val`]s; calls between nanoprocesses
    /// use it.
    ///
    /// Functions whose type has references are refused: raw cells cannot
    /// carry them safely. Use [`Func::call`] or a [`TypedFunc`].
    pub fn call_cells<T>(
        &self,
        mut store: impl AsContextMut<Data = T>,
        cells: &mut [u64],
    ) -> Result<(), Error> {
        let store = store.as_context_mut();
        store.inner.check(self.0)?;
        let ty = store.inner.func_type(self.0.index);
        if has_refs(ty) {
            return Err(wrong_type("Func::call_cells cannot call", ty));
        }
        let n = area_cells(ty);
        let Some(cells) = cells.get_mut(..n) else {
            return Err(wrong_type("too few cells for", ty));
        };
        #[cfg(nanowasm_compiler)]
        if let Some((instance, index)) =
            crate::compiler::compiled_target(&store.inner, self.0.index)
        {
            return crate::compiler::invoke_cells(store, instance, index, cells);
        }
        // Otherwise through values: small signatures on the stack.
        let (np, nr) = (ty.params().len(), ty.results().len());
        let (mut pbuf, mut rbuf) = ([Val::I32(0); 8], [Val::I32(0); 8]);
        let (mut pheap, mut rheap) = (Vec::new(), Vec::new());
        let params = scratch(&mut pbuf, &mut pheap, np);
        read_val_cells(None, cells, ty.params(), params);
        let results = scratch(&mut rbuf, &mut rheap, nr);
        for (r, &t) in results.iter_mut().zip(ty.results()) {
            *r = Val::default_for(t);
        }
        exec::invoke(store, self.0.index, params, results)?;
        write_val_cells(cells, results);
        Ok(())
    }

    /// [`Func::call_cells`] with its checks made once: the function's type
    /// has no references, and its cells and (for compiled code) its target
    /// are worked out now, not at every call. Component-to-component
    /// calls use it for `realloc`, the lifted core function and
    /// `post-return`.
    #[doc(hidden)]
    pub fn cells_func(&self, store: impl AsContext) -> Result<CellsFunc, Error> {
        let store = store.as_context();
        store.inner.check(self.0)?;
        let ty = store.inner.func_type(self.0.index);
        if has_refs(ty) {
            return Err(wrong_type("Func::call_cells cannot call", ty));
        }
        #[cfg(nanowasm_compiler)]
        let target = crate::compiler::compiled_target(&store.inner, self.0.index);
        #[cfg(not(nanowasm_compiler))]
        let target = None;
        Ok(CellsFunc {
            func: *self,
            cells: area_cells(ty),
            target,
        })
    }

    /// A typed view of the function, checked against `Params -> Results`.
    pub fn typed<Params: WasmParams, Results: WasmResults>(
        &self,
        store: impl AsContext,
    ) -> Result<TypedFunc<Params, Results>, Error> {
        let store = store.as_context();
        store.inner.check(self.0)?;
        let ty = store.inner.func_type(self.0.index);
        if ty.params() != Params::types().as_slice() || ty.results() != Results::types().as_slice()
        {
            return Err(Error::usage(format!(
                "type mismatch: the function has type {ty}, not {}",
                FuncType::new(Params::types(), Results::types())
            )));
        }
        let n = Params::cells().max(Results::cells());
        Ok(TypedFunc {
            func: *self,
            plain: n <= 16 && !gc_refs(ty),
            _marker: PhantomData,
        })
    }
}

/// A function called on cells ([`Func::call_cells`]) whose checks were
/// made when it was made ([`Func::cells_func`]): a call checks only that
/// the store is the function's and that `cells` is long enough.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct CellsFunc {
    func: Func,
    /// `area_cells` of its type (read only by compiled calls).
    #[cfg_attr(not(nanowasm_compiler), allow(dead_code))]
    cells: usize,
    /// Its compiled instance and function index, if compiled.
    #[cfg_attr(not(nanowasm_compiler), allow(dead_code))]
    target: Option<(u32, u32)>,
}

impl CellsFunc {
    /// The function.
    pub fn func(&self) -> Func {
        self.func
    }

    /// [`Func::call_cells`].
    #[inline]
    pub fn call<T>(
        &self,
        mut store: impl AsContextMut<Data = T>,
        cells: &mut [u64],
    ) -> Result<(), Error> {
        let store = store.as_context_mut();
        // A store's functions never change: what `cells_func` found
        // holds for every call in the same store.
        store.inner.check(self.func.0)?;
        #[cfg(nanowasm_compiler)]
        if let Some((instance, index)) = self.target {
            let Some(cells) = cells.get_mut(..self.cells) else {
                return Err(wrong_type(
                    "too few cells for",
                    store.inner.func_type(self.func.0.index),
                ));
            };
            return crate::compiler::invoke_cells(store, instance, index, cells);
        }
        self.func.call_cells(store, cells)
    }
}

#[cold]
#[inline(never)]
fn wrong_type(what: &str, ty: &FuncType) -> Error {
    Error::usage(format!("{what} a function of type {ty}"))
}

/// A function with a statically known type: calls skip the dynamic checks.
///
/// Parameters are a Rust type or a tuple of them (`i32`, `i64`, `f32`,
/// `f64`, `u32`, `u64`, `Option<Func>`, ...), results likewise.
///
/// ```
/// use nanowasm_runtime::{Engine, Instance, Module, Store};
///
/// let engine = Engine::default();
/// let module = Module::new(
///     &engine,
///     r#"(module (func (export "divmod") (param i32 i32) (result i32 i32)
///          (i32.div_u (local.get 0) (local.get 1))
///          (i32.rem_u (local.get 0) (local.get 1))))"#,
/// )?;
/// let mut store = Store::new(&engine, ());
/// let instance = Instance::new(&mut store, &module, &[])?;
/// let divmod = instance.get_typed_func::<(i32, i32), (i32, i32)>(&mut store, "divmod")?;
/// assert_eq!(divmod.call(&mut store, (17, 5))?, (3, 2));
/// // A trap is an error with the trap's code and the wasm backtrace.
/// let err = divmod.call(&mut store, (1, 0)).unwrap_err();
/// assert!(err.to_string().starts_with("wasm trap: integer divide by zero"));
/// // Asking for the wrong type fails at lookup, not at the call.
/// assert!(instance.get_typed_func::<i64, i64>(&mut store, "divmod").is_err());
/// # Ok::<(), nanowasm_runtime::Error>(())
/// ```
pub struct TypedFunc<Params, Results> {
    func: Func,
    /// Whether a call of compiled code may pass the values in cells on
    /// the stack: at most 16 cells, and no reference to a GC object
    /// (worked out once, from the checked type; read only by compiled
    /// calls).
    #[cfg_attr(not(nanowasm_compiler), allow(dead_code))]
    plain: bool,
    _marker: PhantomData<fn(Params) -> Results>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P, R> Copy for TypedFunc<P, R> {}

impl<Params: WasmParams, Results: WasmResults> TypedFunc<Params, Results> {
    /// Calls the function.
    pub fn call<T>(
        &self,
        mut store: impl AsContextMut<Data = T>,
        params: Params,
    ) -> Result<Results, Error> {
        let store = store.as_context_mut();
        store.inner.check(self.func.0)?;
        // Compiled code takes its arguments in cells: written and read
        // here directly, without `Val`s.
        #[cfg(nanowasm_compiler)]
        {
            let n = Params::cells().max(Results::cells());
            let target = crate::compiler::compiled_target(&store.inner, self.func.0.index);
            if let Some((instance, index)) = target.filter(|_| self.plain) {
                let id = store.inner.id;
                let mut cells = [0u64; 16];
                if !params.store_cells(id, &mut cells) {
                    return Err(crate::store::wrong_store());
                }
                crate::compiler::invoke_cells(store, instance, index, &mut cells[..n])?;
                return Results::load_cells(id, &cells)
                    .ok_or_else(|| Error::usage("result type mismatch"));
            }
        }
        // Small calls use stack buffers: no allocation per call.
        let (mut args_buf, mut results_buf) = ([Val::I32(0); 4], [Val::I32(0); 4]);
        let (mut args_vec, mut results_vec) = (Vec::new(), Vec::new());
        let args = scratch(&mut args_buf, &mut args_vec, Params::COUNT);
        params.store(args);
        for v in args.iter() {
            store.inner.check_ref(v)?;
        }
        let results = scratch(&mut results_buf, &mut results_vec, Results::COUNT);
        exec::invoke(store, self.func.0.index, args, results)?;
        Results::load(results).ok_or_else(|| Error::usage("result type mismatch"))
    }

    /// The untyped function.
    pub fn func(&self) -> Func {
        self.func
    }
}

/// A Rust type that is a wasm value type.
pub trait WasmTy: Sized {
    /// Its wasm type.
    fn valtype() -> ValType;
    /// Into a [`Val`].
    fn into_val(self) -> Val;
    /// From a [`Val`] of the right type.
    fn from_val(v: Val) -> Option<Self>;

    /// How many 8-byte cells it takes where wasm passes values: two for a
    /// `v128`, one otherwise.
    #[doc(hidden)]
    fn cells() -> usize {
        if Self::valtype() == ValType::V128 {
            2
        } else {
            1
        }
    }

    /// Reads it from the start of `cells`, references as of store `store`.
    #[doc(hidden)]
    fn load_cells(store: u64, cells: &[u64]) -> Option<Self> {
        let ty = Self::valtype();
        let mut raw = u128::from(*cells.first()?);
        if ty == ValType::V128 {
            raw |= u128::from(*cells.get(1)?) << 64;
        }
        // Typed calls carry references in cells only when no GC object
        // can be among them (see `typed_host`): nothing to pin.
        Self::from_val(match ty {
            ValType::Ref(r) => {
                crate::table::raw_to_ref(store, raw as u64, crate::values::RefKind::of(r.heap()))
            }
            t => crate::global::num_to_val(raw, t),
        })
    }

    /// Writes it to the start of `cells`; false if it is a reference of
    /// another store than `store`.
    #[doc(hidden)]
    fn store_cells(self, store: u64, cells: &mut [u64]) -> bool {
        let v = self.into_val();
        let owner = match &v {
            Val::FuncRef(Some(f)) => f.0.store,
            Val::ExternRef(Some(e)) => e.store,
            Val::ExnRef(Some(e)) => e.0.store,
            Val::AnyRef(Some(a)) => a.store,
            _ => store,
        };
        let raw = crate::global::val_to_raw(&v);
        cells[0] = raw as u64;
        if matches!(v, Val::V128(_)) {
            cells[1] = (raw >> 64) as u64;
        }
        owner == store
    }
}

macro_rules! wasm_ty {
    ($t:ty, $vt:expr, $to:expr, $from:pat => $back:expr $(, $extra:item)*) => {
        impl WasmTy for $t {
            fn valtype() -> ValType {
                $vt
            }
            fn into_val(self) -> Val {
                #[allow(clippy::redundant_closure_call)]
                ($to)(self)
            }
            fn from_val(v: Val) -> Option<Self> {
                match v {
                    $from => Some($back),
                    _ => None,
                }
            }
            $($extra)*
        }
    };
}

/// A number type: also its cells directly, without a [`Val`] in between
/// (a typed call's arguments and results; compiled code keeps an `i32` in
/// the low 32 bits of its cell, the upper ones zero, and an `f32` as its
/// bits).
macro_rules! wasm_num {
    ($t:ty, $vt:expr, $to:expr, $from:pat => $back:expr, $cell:expr, $uncell:expr) => {
        wasm_ty!(
            $t,
            $vt,
            $to,
            $from => $back,
            #[inline]
            fn load_cells(_store: u64, cells: &[u64]) -> Option<Self> {
                #[allow(clippy::redundant_closure_call)]
                cells.first().map(|&c| ($uncell)(c))
            },
            #[inline]
            fn store_cells(self, _store: u64, cells: &mut [u64]) -> bool {
                #[allow(clippy::redundant_closure_call)]
                {
                    cells[0] = ($cell)(self);
                }
                true
            }
        );
    };
}

wasm_num!(i32, ValType::I32, Val::I32, Val::I32(x) => x, |x: i32| x as u32 as u64, |c: u64| c as i32);
wasm_num!(u32, ValType::I32, |x: u32| Val::I32(x as i32), Val::I32(x) => x as u32, |x: u32| x as u64, |c: u64| c as u32);
wasm_num!(i64, ValType::I64, Val::I64, Val::I64(x) => x, |x: i64| x as u64, |c: u64| c as i64);
wasm_num!(u64, ValType::I64, |x: u64| Val::I64(x as i64), Val::I64(x) => x as u64, |x: u64| x, |c: u64| c);
wasm_num!(f32, ValType::F32, |x: f32| Val::F32(x.to_bits()), Val::F32(x) => f32::from_bits(x), |x: f32| x.to_bits() as u64, |c: u64| f32::from_bits(c as u32));
wasm_num!(f64, ValType::F64, |x: f64| Val::F64(x.to_bits()), Val::F64(x) => f64::from_bits(x), |x: f64| x.to_bits(), |c: u64| f64::from_bits(c));
wasm_ty!(u128, ValType::V128, Val::V128, Val::V128(x) => x);
wasm_ty!(Option<Func>, ValType::FUNCREF, Val::FuncRef, Val::FuncRef(x) => x);
wasm_ty!(Option<ExternRef>, ValType::EXTERNREF, Val::ExternRef, Val::ExternRef(x) => x);
wasm_ty!(Option<AnyRef>, ValType::ANYREF, Val::AnyRef, Val::AnyRef(x) => x);

/// Parameter lists: `()`, a single [`WasmTy`], or tuples of them.
pub trait WasmParams: Sized {
    /// How many values.
    const COUNT: usize;
    /// The wasm types.
    fn types() -> Vec<ValType>;
    /// Writes the values into `out` (of length `types().len()`).
    fn store(self, out: &mut [Val]);
    /// How many 8-byte cells the values take (two for a `v128`).
    #[doc(hidden)]
    fn cells() -> usize;
    /// Writes the values into `out` in cells; false if one is a reference
    /// of another store than `store`.
    #[doc(hidden)]
    fn store_cells(self, store: u64, out: &mut [u64]) -> bool;
}

/// Result lists: `()`, a single [`WasmTy`], or tuples of them.
pub trait WasmResults: Sized {
    /// How many values.
    const COUNT: usize;
    /// The wasm types.
    fn types() -> Vec<ValType>;
    /// Reads the values.
    fn load(vals: &[Val]) -> Option<Self>;
    /// How many 8-byte cells the values take (two for a `v128`).
    #[doc(hidden)]
    fn cells() -> usize;
    /// Reads the values from cells, references as of store `store`.
    #[doc(hidden)]
    fn load_cells(store: u64, cells: &[u64]) -> Option<Self>;
}

impl<A: WasmTy> WasmParams for A {
    const COUNT: usize = 1;
    fn types() -> Vec<ValType> {
        vec![A::valtype()]
    }
    fn store(self, out: &mut [Val]) {
        out[0] = self.into_val();
    }
    fn cells() -> usize {
        <A as WasmTy>::cells()
    }
    fn store_cells(self, store: u64, out: &mut [u64]) -> bool {
        WasmTy::store_cells(self, store, out)
    }
}

impl<A: WasmTy> WasmResults for A {
    const COUNT: usize = 1;
    fn types() -> Vec<ValType> {
        vec![A::valtype()]
    }
    fn load(vals: &[Val]) -> Option<Self> {
        A::from_val(*vals.first()?)
    }
    fn cells() -> usize {
        <A as WasmTy>::cells()
    }
    fn load_cells(store: u64, cells: &[u64]) -> Option<Self> {
        WasmTy::load_cells(store, cells)
    }
}

macro_rules! tuples {
    ($( ($($n:tt $t:ident),*) )*) => {$(
        impl<$($t: WasmTy),*> WasmParams for ($($t,)*) {
            const COUNT: usize = { let n: &[usize] = &[$($n),*]; n.len() };
            fn types() -> Vec<ValType> {
                vec![$($t::valtype()),*]
            }
            #[allow(unused_variables)]
            fn store(self, out: &mut [Val]) {
                $( out[$n] = self.$n.into_val(); )*
            }
            fn cells() -> usize {
                0 $( + <$t as WasmTy>::cells() )*
            }
            #[allow(unused_variables, unused_mut, unused_assignments)]
            fn store_cells(self, store: u64, out: &mut [u64]) -> bool {
                let (mut k, mut ok) = (0, true);
                $(
                    ok &= WasmTy::store_cells(self.$n, store, &mut out[k..]);
                    k += <$t as WasmTy>::cells();
                )*
                ok
            }
        }
        impl<$($t: WasmTy),*> WasmResults for ($($t,)*) {
            const COUNT: usize = { let n: &[usize] = &[$($n),*]; n.len() };
            fn types() -> Vec<ValType> {
                vec![$($t::valtype()),*]
            }
            #[allow(unused_variables)]
            fn load(vals: &[Val]) -> Option<Self> {
                Some(($($t::from_val(*vals.get($n)?)?,)*))
            }
            fn cells() -> usize {
                0 $( + <$t as WasmTy>::cells() )*
            }
            #[allow(unused_variables, unused_mut, unused_assignments)]
            fn load_cells(store: u64, cells: &[u64]) -> Option<Self> {
                let mut k = 0;
                Some(($({
                    let v = <$t as WasmTy>::load_cells(store, cells.get(k..)?)?;
                    k += <$t as WasmTy>::cells();
                    v
                },)*))
            }
        }
    )*};
}

tuples! {
    ()
    (0 P0)
    (0 P0, 1 P1)
    (0 P0, 1 P1, 2 P2)
    (0 P0, 1 P1, 2 P2, 3 P3)
    (0 P0, 1 P1, 2 P2, 3 P3, 4 P4)
    (0 P0, 1 P1, 2 P2, 3 P3, 4 P4, 5 P5)
    (0 P0, 1 P1, 2 P2, 3 P3, 4 P4, 5 P5, 6 P6)
    (0 P0, 1 P1, 2 P2, 3 P3, 4 P4, 5 P5, 6 P6, 7 P7)
}

/// What a wrapped host closure may return: results, or a `Result` of them.
pub trait HostReturn {
    /// The results' types.
    type Results: WasmResults + WasmParams;
    /// Into a `Result`.
    fn into_result(self) -> Result<Self::Results, Error>;
}

impl<R: WasmResults + WasmParams> HostReturn for R {
    type Results = R;
    fn into_result(self) -> Result<R, Error> {
        Ok(self)
    }
}

impl<R: WasmResults + WasmParams> HostReturn for Result<R, Error> {
    type Results = R;
    fn into_result(self) -> Result<R, Error> {
        self
    }
}

/// Rust closures that can become host functions (see [`Func::wrap`]).
pub trait IntoFunc<T, Params, Results>: Send + Sync + 'static {
    /// The wasm type and the untyped implementation.
    fn into_host(self) -> (FuncType, Arc<HostFunc<T>>);
}

/// Whether values of `ty` may carry a GC object: an `anyref` (or below)
/// or an `externref` (`extern.convert_any`).
fn gc_refs(ty: &FuncType) -> bool {
    ty.params().iter().chain(ty.results()).any(|t| {
        matches!(t, ValType::Ref(r) if !matches!(
            r.heap(),
            nanowasm_core::HeapType::Func | nanowasm_core::HeapType::NoFunc
                | nanowasm_core::HeapType::Exn | nanowasm_core::HeapType::NoExn
        ))
    })
}

/// A typed closure's host function: `call` on values, `raw` on cells.
fn typed_host<T>(
    ty: &FuncType,
    call: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync + 'static,
    raw: impl Fn(Caller<'_, T>, &mut [u64]) -> Result<(), Error> + Send + Sync + 'static,
) -> Arc<HostFunc<T>> {
    // An `externref` or `anyref` may carry a GC object, which the host
    // must pin when it receives it (`StoreInner::raw_to_val`): such
    // functions take the values path.
    let raw: Option<(usize, Box<RawHostFn<T>>)> = if gc_refs(ty) {
        None
    } else {
        Some((area_cells(ty), Box::new(raw)))
    };
    Arc::new(HostFunc {
        call: Box::new(call),
        raw,
    })
}

/// Writes a typed closure's results over its argument cells.
fn store_results<R: WasmParams>(r: R, store: u64, cells: &mut [u64]) -> Result<(), Error> {
    if r.store_cells(store, cells) {
        Ok(())
    } else {
        Err(exec::host_result_of_another_store())
    }
}

macro_rules! into_func {
    ($( ($($n:tt $t:ident),*) )*) => {$(
        #[allow(non_snake_case, unused_variables, unused_mut, unused_assignments)]
        impl<T, F, R, $($t: WasmTy + 'static),*> IntoFunc<T, ($($t,)*), R> for F
        where
            F: Fn($($t),*) -> R + Send + Sync + 'static,
            R: HostReturn + 'static,
        {
            fn into_host(self) -> (FuncType, Arc<HostFunc<T>>) {
                let ty = FuncType::new(vec![$($t::valtype()),*], <R::Results as WasmResults>::types());
                let f = Arc::new(self);
                let g = Arc::clone(&f);
                let call = move |_caller: Caller<'_, T>, args: &[Val], results: &mut [Val]| -> Result<(), Error> {
                    $( let $t = $t::from_val(args[$n]).ok_or_else(|| Error::usage("argument type"))?; )*
                    let r = (f)($($t),*).into_result()?;
                    r.store(results);
                    Ok(())
                };
                let raw = move |caller: Caller<'_, T>, cells: &mut [u64]| -> Result<(), Error> {
                    let store = caller.store.inner.id;
                    let mut k = 0;
                    $(
                        let $t = cells.get(k..).and_then(|c| $t::load_cells(store, c))
                            .ok_or_else(|| Error::usage("argument type"))?;
                        k += <$t as WasmTy>::cells();
                    )*
                    store_results((g)($($t),*).into_result()?, store, cells)
                };
                let host = typed_host(&ty, call, raw);
                (ty, host)
            }
        }

        #[allow(non_snake_case, unused_variables, unused_mut, unused_assignments)]
        impl<T, F, R, $($t: WasmTy + 'static),*> IntoFunc<T, (Caller<'static, T>, $($t,)*), R> for F
        where
            F: Fn(Caller<'_, T>, $($t),*) -> R + Send + Sync + 'static,
            R: HostReturn + 'static,
        {
            fn into_host(self) -> (FuncType, Arc<HostFunc<T>>) {
                let ty = FuncType::new(vec![$($t::valtype()),*], <R::Results as WasmResults>::types());
                let f = Arc::new(self);
                let g = Arc::clone(&f);
                let call = move |caller: Caller<'_, T>, args: &[Val], results: &mut [Val]| -> Result<(), Error> {
                    $( let $t = $t::from_val(args[$n]).ok_or_else(|| Error::usage("argument type"))?; )*
                    let r = (f)(caller, $($t),*).into_result()?;
                    r.store(results);
                    Ok(())
                };
                let raw = move |caller: Caller<'_, T>, cells: &mut [u64]| -> Result<(), Error> {
                    let store = caller.store.inner.id;
                    let mut k = 0;
                    $(
                        let $t = cells.get(k..).and_then(|c| $t::load_cells(store, c))
                            .ok_or_else(|| Error::usage("argument type"))?;
                        k += <$t as WasmTy>::cells();
                    )*
                    store_results((g)(caller, $($t),*).into_result()?, store, cells)
                };
                let host = typed_host(&ty, call, raw);
                (ty, host)
            }
        }
    )*};
}

into_func! {
    ()
    (0 P0)
    (0 P0, 1 P1)
    (0 P0, 1 P1, 2 P2)
    (0 P0, 1 P1, 2 P2, 3 P3)
    (0 P0, 1 P1, 2 P2, 3 P3, 4 P4)
    (0 P0, 1 P1, 2 P2, 3 P3, 4 P4, 5 P5)
    (0 P0, 1 P1, 2 P2, 3 P3, 4 P4, 5 P5, 6 P6)
    (0 P0, 1 P1, 2 P2, 3 P3, 4 P4, 5 P5, 6 P6, 7 P7)
    (0 P0, 1 P1, 2 P2, 3 P3, 4 P4, 5 P5, 6 P6, 7 P7, 8 P8)
    (0 P0, 1 P1, 2 P2, 3 P3, 4 P4, 5 P5, 6 P6, 7 P7, 8 P8, 9 P9)
}
