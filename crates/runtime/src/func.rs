//! Functions: handles, host functions, typed calls.

use crate::prelude::*;
use alloc::sync::Arc;
use core::marker::PhantomData;

use nanowasm_core::{FuncType, ValType};

use crate::error::Error;
use crate::instance::Extern;
use crate::interp::exec;
use crate::store::{AsContext, AsContextMut, FuncEntity, Store, Stored};
use crate::values::{scratch, ExternRef, Val};

/// A host function's implementation.
pub(crate) type HostFunc<T> =
    dyn Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync;

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
    pub(crate) instance: Option<u32>,
}

impl<T> Caller<'_, T> {
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
        let instance = self.instance?;
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
        Func::from_host_new(store, ty, Arc::new(f))
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
        exec::invoke(store, self.0.index, params, results)
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
        Ok(TypedFunc {
            func: *self,
            _marker: PhantomData,
        })
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
}

macro_rules! wasm_ty {
    ($t:ty, $vt:expr, $to:expr, $from:pat => $back:expr) => {
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
        }
    };
}

wasm_ty!(i32, ValType::I32, Val::I32, Val::I32(x) => x);
wasm_ty!(u32, ValType::I32, |x: u32| Val::I32(x as i32), Val::I32(x) => x as u32);
wasm_ty!(i64, ValType::I64, Val::I64, Val::I64(x) => x);
wasm_ty!(u64, ValType::I64, |x: u64| Val::I64(x as i64), Val::I64(x) => x as u64);
wasm_ty!(f32, ValType::F32, |x: f32| Val::F32(x.to_bits()), Val::F32(x) => f32::from_bits(x));
wasm_ty!(f64, ValType::F64, |x: f64| Val::F64(x.to_bits()), Val::F64(x) => f64::from_bits(x));
wasm_ty!(u128, ValType::V128, Val::V128, Val::V128(x) => x);
wasm_ty!(Option<Func>, ValType::FUNCREF, Val::FuncRef, Val::FuncRef(x) => x);
wasm_ty!(Option<ExternRef>, ValType::EXTERNREF, Val::ExternRef, Val::ExternRef(x) => x);

/// Parameter lists: `()`, a single [`WasmTy`], or tuples of them.
pub trait WasmParams: Sized {
    /// How many values.
    const COUNT: usize;
    /// The wasm types.
    fn types() -> Vec<ValType>;
    /// Writes the values into `out` (of length `types().len()`).
    fn store(self, out: &mut [Val]);
}

/// Result lists: `()`, a single [`WasmTy`], or tuples of them.
pub trait WasmResults: Sized {
    /// How many values.
    const COUNT: usize;
    /// The wasm types.
    fn types() -> Vec<ValType>;
    /// Reads the values.
    fn load(vals: &[Val]) -> Option<Self>;
}

impl<A: WasmTy> WasmParams for A {
    const COUNT: usize = 1;
    fn types() -> Vec<ValType> {
        vec![A::valtype()]
    }
    fn store(self, out: &mut [Val]) {
        out[0] = self.into_val();
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

macro_rules! into_func {
    ($( ($($n:tt $t:ident),*) )*) => {$(
        #[allow(non_snake_case, unused_variables, unused_mut)]
        impl<T, F, R, $($t: WasmTy + 'static),*> IntoFunc<T, ($($t,)*), R> for F
        where
            F: Fn($($t),*) -> R + Send + Sync + 'static,
            R: HostReturn + 'static,
        {
            fn into_host(self) -> (FuncType, Arc<HostFunc<T>>) {
                let ty = FuncType::new(vec![$($t::valtype()),*], <R::Results as WasmResults>::types());
                let f = move |_caller: Caller<'_, T>, args: &[Val], results: &mut [Val]| -> Result<(), Error> {
                    $( let $t = $t::from_val(args[$n]).ok_or_else(|| Error::usage("argument type"))?; )*
                    let r = (self)($($t),*).into_result()?;
                    r.store(results);
                    Ok(())
                };
                (ty, Arc::new(f))
            }
        }

        #[allow(non_snake_case, unused_variables, unused_mut)]
        impl<T, F, R, $($t: WasmTy + 'static),*> IntoFunc<T, (Caller<'static, T>, $($t,)*), R> for F
        where
            F: Fn(Caller<'_, T>, $($t),*) -> R + Send + Sync + 'static,
            R: HostReturn + 'static,
        {
            fn into_host(self) -> (FuncType, Arc<HostFunc<T>>) {
                let ty = FuncType::new(vec![$($t::valtype()),*], <R::Results as WasmResults>::types());
                let f = move |caller: Caller<'_, T>, args: &[Val], results: &mut [Val]| -> Result<(), Error> {
                    $( let $t = $t::from_val(args[$n]).ok_or_else(|| Error::usage("argument type"))?; )*
                    let r = (self)(caller, $($t),*).into_result()?;
                    r.store(results);
                    Ok(())
                };
                (ty, Arc::new(f))
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
