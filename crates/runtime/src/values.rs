//! Values passed between the host and WebAssembly.

use crate::prelude::*;
use nanowasm_core::{HeapType, ValType};

use crate::func::Func;
use crate::store::{AsContext, AsContextMut};

/// A host reference (`externref`): a handle to a value the host stored in
/// the store, or a WebAssembly GC value that `extern.convert_any` (or
/// [`ExternRef::convert_any`]) made an `externref`. Copying the handle does
/// not copy the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExternRef {
    pub(crate) store: u64,
    /// Its slot encoding: a host value's index plus one, or an `any`
    /// reference with bit 63 set (see `gc`).
    pub(crate) raw: u64,
}

impl ExternRef {
    /// Stores `value` in `store` and returns a reference to it.
    pub fn new<T>(
        mut store: impl AsContextMut<Data = T>,
        value: impl core::any::Any + Send + Sync,
    ) -> ExternRef {
        let inner = &mut store.as_context_mut().inner;
        let index = inner.externs.len() as u64;
        inner.externs.push(Box::new(value));
        ExternRef {
            store: inner.id,
            raw: index + 1,
        }
    }

    /// The value the reference holds; an error if `store` does not hold
    /// this reference, or if it holds a WebAssembly GC value (made by
    /// `extern.convert_any`) rather than host data. (wasmtime's returns
    /// `Ok(None)` for the latter.)
    pub fn data<'a, T: 'a>(
        &self,
        store: &'a impl AsContext<Data = T>,
    ) -> Result<&'a (dyn core::any::Any + Send + Sync), crate::Error> {
        let inner = &store.as_context().inner;
        inner.check_id(self.store)?;
        if self.raw & crate::gc::EXTERN_ANY != 0 {
            return Err(crate::Error::usage(
                "this externref holds a WebAssembly GC value (from extern.convert_any), not host data",
            ));
        }
        inner
            .externs
            .get((self.raw - 1) as usize)
            .map(|b| &**b)
            .ok_or_else(|| crate::Error::bug("an externref names no host value"))
    }

    /// `extern.convert_any`: `any` as an `externref` (which
    /// [`AnyRef::convert_extern`] turns back into the same `anyref`).
    pub fn convert_any(store: impl AsContext, any: AnyRef) -> Result<ExternRef, crate::Error> {
        let inner = &store.as_context().inner;
        inner.check_id(any.store)?;
        Ok(ExternRef {
            store: inner.id,
            raw: crate::gc::extern_convert_any(any.raw),
        })
    }
}

/// A reference of the GC `any` hierarchy (`anyref`, `eqref`, `i31ref`,
/// `structref`, `arrayref` and their concrete types): an `i31`, a struct,
/// an array, or a host value converted by `any.convert_extern`. A struct or
/// array handed to the host stays alive until the innermost [`RootScope`]
/// ends, or, outside any scope, until the store is dropped (as a wasmtime
/// `Rooted`). A handle used after its object was collected is refused with
/// an error, never taken for another object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AnyRef {
    pub(crate) store: u64,
    /// Its slot encoding (see `gc`), never 0.
    pub(crate) raw: u64,
}

impl AnyRef {
    /// The `i31ref` of the low 31 bits of `value`.
    pub fn from_i31(store: impl AsContext, value: i32) -> AnyRef {
        AnyRef {
            store: store.as_context().inner.id,
            raw: crate::gc::i31(value as u32),
        }
    }

    /// `any.convert_extern`: `e` as an `anyref`.
    pub fn convert_extern(store: impl AsContext, e: ExternRef) -> Result<AnyRef, crate::Error> {
        let inner = &store.as_context().inner;
        inner.check_id(e.store)?;
        Ok(AnyRef {
            store: inner.id,
            raw: crate::gc::any_convert_extern(e.raw),
        })
    }

    /// Whether it is an `i31`.
    pub fn is_i31(&self) -> bool {
        crate::gc::is_i31(self.raw)
    }

    /// The `i31`'s value sign-extended (`i31.get_s`), if it is one.
    pub fn i31_s(&self) -> Option<i32> {
        self.is_i31().then(|| crate::gc::i31_get_s(self.raw) as i32)
    }

    /// The `i31`'s value zero-extended (`i31.get_u`), if it is one.
    pub fn i31_u(&self) -> Option<u32> {
        self.is_i31().then(|| crate::gc::i31_get_u(self.raw))
    }

    /// Whether it is a struct; an error if `store` does not hold it.
    pub fn is_struct(&self, store: impl AsContext) -> Result<bool, crate::Error> {
        self.shape(store, |s| matches!(s, crate::gc::Shape::Struct { .. }))
    }

    /// Whether it is an array; an error if `store` does not hold it.
    pub fn is_array(&self, store: impl AsContext) -> Result<bool, crate::Error> {
        self.shape(store, |s| matches!(s, crate::gc::Shape::Array { .. }))
    }

    /// Whether it is an `eqref` (an `i31`, a struct or an array), which
    /// `ref.eq` compares; an error if `store` does not hold it.
    pub fn is_eq(&self, store: impl AsContext) -> Result<bool, crate::Error> {
        Ok(self.is_i31() || self.shape(store, |_| true)?)
    }

    fn shape(
        &self,
        store: impl AsContext,
        f: impl FnOnce(&crate::gc::Shape) -> bool,
    ) -> Result<bool, crate::Error> {
        let inner = &store.as_context().inner;
        inner.check_id(self.store)?;
        inner.check_handle(self.raw)?;
        let slot = crate::gc::slot_of_handle(self.raw);
        Ok(inner.gc.get(slot).is_some_and(|(l, _)| f(&l.shape)))
    }
}

/// A WebAssembly value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Val {
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32`, as its bits (so NaN payloads survive).
    F32(u32),
    /// `f64`, as its bits.
    F64(u64),
    /// `v128`.
    V128(u128),
    /// `funcref`, null or a function.
    FuncRef(Option<Func>),
    /// `externref`, null or a host reference.
    ExternRef(Option<ExternRef>),
    /// `exnref`, null or an exception.
    ExnRef(Option<crate::exn::ExnRef>),
    /// A reference of the GC `any` hierarchy (`anyref`, `eqref`,
    /// `i31ref`, structs, arrays), null or not.
    AnyRef(Option<AnyRef>),
}

/// `n` values (values or cells) in `stack` if they fit, else in `heap`
/// (filled with `stack`'s first, which callers make a zero): scratch space
/// for a call's arguments or results that allocates only for signatures
/// longer than `N` (at least 1).
pub(crate) fn scratch<'a, T: Clone, const N: usize>(
    stack: &'a mut [T; N],
    heap: &'a mut Vec<T>,
    n: usize,
) -> &'a mut [T] {
    if n <= N {
        &mut stack[..n]
    } else {
        heap.resize(n, stack[0].clone());
        heap
    }
}

impl Val {
    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FUNCREF,
            Val::ExternRef(_) => ValType::EXTERNREF,
            Val::ExnRef(_) => ValType::EXNREF,
            Val::AnyRef(_) => ValType::ANYREF,
        }
    }

    /// Whether the value is of type `ty`: a reference must be of the
    /// type's hierarchy (`func`, `extern` or `exn`), not be null unless the
    /// type allows null, and not be a non-null reference of a bottom type.
    /// Which store a reference belongs to, and whether a function matches a
    /// concrete function type, are checked separately (they need the store).
    #[inline]
    pub(crate) fn matches(&self, ty: ValType) -> bool {
        let ValType::Ref(t) = ty else {
            return self.ty() == ty;
        };
        let (kind, present) = match self {
            Val::FuncRef(r) => (RefKind::Func, r.is_some()),
            Val::ExternRef(r) => (RefKind::Extern, r.is_some()),
            Val::ExnRef(r) => (RefKind::Exn, r.is_some()),
            Val::AnyRef(r) => (RefKind::Any, r.is_some()),
            _ => return false,
        };
        let bottom = matches!(
            t.heap(),
            HeapType::NoFunc | HeapType::NoExtern | HeapType::NoExn | HeapType::None
        );
        // A concrete type is a function type or a struct or array type:
        // either representation passes here; `StoreInner::matches_concrete`
        // checks which, and the type itself.
        let kind_ok = match t.heap() {
            HeapType::Concrete(_) => matches!(kind, RefKind::Func | RefKind::Any),
            h => RefKind::of(h) == kind,
        };
        kind_ok && if present { !bottom } else { t.nullable() }
    }

    /// The default (zero or null) value of a type.
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(0),
            ValType::Ref(r) => match RefKind::of(r.heap()) {
                RefKind::Func => Val::FuncRef(None),
                RefKind::Exn => Val::ExnRef(None),
                RefKind::Extern => Val::ExternRef(None),
                RefKind::Any => Val::AnyRef(None),
            },
        }
    }

    /// The `i32`, if it is one.
    pub fn i32(&self) -> Option<i32> {
        match self {
            Val::I32(v) => Some(*v),
            _ => None,
        }
    }

    /// The `i64`, if it is one.
    pub fn i64(&self) -> Option<i64> {
        match self {
            Val::I64(v) => Some(*v),
            _ => None,
        }
    }

    /// The `f32`, if it is one.
    pub fn f32(&self) -> Option<f32> {
        match self {
            Val::F32(v) => Some(f32::from_bits(*v)),
            _ => None,
        }
    }

    /// The `f64`, if it is one.
    pub fn f64(&self) -> Option<f64> {
        match self {
            Val::F64(v) => Some(f64::from_bits(*v)),
            _ => None,
        }
    }

    /// The `i32`; panics if the value is not one (as wasmtime's).
    #[track_caller]
    pub fn unwrap_i32(&self) -> i32 {
        self.i32()
            .unwrap_or_else(|| panic!("expected i32, found {}", self.ty()))
    }

    /// The `i64`; panics if the value is not one (as wasmtime's).
    #[track_caller]
    pub fn unwrap_i64(&self) -> i64 {
        self.i64()
            .unwrap_or_else(|| panic!("expected i64, found {}", self.ty()))
    }

    /// The `f32`; panics if the value is not one (as wasmtime's).
    #[track_caller]
    pub fn unwrap_f32(&self) -> f32 {
        self.f32()
            .unwrap_or_else(|| panic!("expected f32, found {}", self.ty()))
    }

    /// The `f64`; panics if the value is not one (as wasmtime's).
    #[track_caller]
    pub fn unwrap_f64(&self) -> f64 {
        self.f64()
            .unwrap_or_else(|| panic!("expected f64, found {}", self.ty()))
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}

impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
}

impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
}

/// Which of the runtime's reference representations a heap type's values
/// take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RefKind {
    /// Functions ([`Val::FuncRef`]).
    Func,
    /// Host references ([`Val::ExternRef`]).
    Extern,
    /// Exceptions ([`Val::ExnRef`]).
    Exn,
    /// GC references (`any` and below: [`Val::AnyRef`]).
    Any,
}

impl RefKind {
    /// The representation of `heap`'s values, for an abstract heap type.
    /// A concrete one is taken for a function type here (the default of a
    /// value of unknown type); `StoreInner::ref_kind` asks the engine's
    /// registry.
    pub(crate) const fn of(heap: HeapType) -> RefKind {
        match heap {
            HeapType::Func | HeapType::NoFunc | HeapType::Concrete(_) => RefKind::Func,
            HeapType::Extern | HeapType::NoExtern => RefKind::Extern,
            HeapType::Exn | HeapType::NoExn => RefKind::Exn,
            _ => RefKind::Any,
        }
    }
}

/// A scope for the GC objects handed to the host (wasmtime's
/// `RootScope`): those that reach the host while it lives are kept only
/// until it is dropped. Without a scope they stay until the store is
/// dropped, so a host that calls into GC code in a loop uses one per
/// iteration. It gives the store's access (`AsContext`, `AsContextMut`).
///
/// ```
/// use nanowasm_runtime::{Engine, Linker, Module, RootScope, Store, Val};
///
/// let engine = Engine::default();
/// let module = Module::new(
///     &engine,
///     r#"(module (type $p (struct (field i32)))
///          (func (export "make") (param i32) (result anyref)
///            (struct.new $p (local.get 0))))"#,
/// )?;
/// let mut store = Store::new(&engine, ());
/// let instance = Linker::new(&engine).instantiate(&mut store, &module)?;
/// let make = instance.get_func(&mut store, "make").unwrap();
/// for i in 0..1_000 {
///     let mut scope = RootScope::new(&mut store);
///     let mut out = [Val::I32(0)];
///     make.call(&mut scope, &[Val::I32(i)], &mut out)?;
///     // `out[0]` is usable here; the struct is released when `scope` ends.
/// }
/// # Ok::<(), nanowasm_runtime::Error>(())
/// ```
pub struct RootScope<C: AsContextMut> {
    store: C,
    mark: usize,
}

impl<C: AsContextMut> RootScope<C> {
    /// A scope over `store`.
    pub fn new(mut store: C) -> RootScope<C> {
        let mark = store.as_context_mut().inner.gc.begin_scope();
        RootScope { store, mark }
    }
}

impl<C: AsContextMut> Drop for RootScope<C> {
    fn drop(&mut self) {
        self.store.as_context_mut().inner.gc.end_scope(self.mark);
    }
}

impl<C: AsContextMut> AsContext for RootScope<C> {
    type Data = C::Data;
    fn as_context(&self) -> &crate::Store<C::Data> {
        self.store.as_context()
    }
}

impl<C: AsContextMut> AsContextMut for RootScope<C> {
    fn as_context_mut(&mut self) -> &mut crate::Store<C::Data> {
        self.store.as_context_mut()
    }
}
