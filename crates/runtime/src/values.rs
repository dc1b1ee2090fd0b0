//! Values passed between the host and WebAssembly.

use crate::prelude::*;
use nanowasm_core::{HeapType, ValType};

use crate::func::Func;
use crate::store::{AsContext, AsContextMut, Stored};

/// A host reference (`externref`): a handle to a value the host stored in
/// the store. Copying the handle does not copy the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExternRef(pub(crate) Stored);

impl ExternRef {
    /// Stores `value` in `store` and returns a reference to it.
    pub fn new<T>(
        mut store: impl AsContextMut<Data = T>,
        value: impl core::any::Any + Send + Sync,
    ) -> ExternRef {
        let inner = &mut store.as_context_mut().inner;
        let index = inner.externs.len() as u32;
        inner.externs.push(Box::new(value));
        ExternRef(Stored {
            store: inner.id,
            index,
        })
    }

    /// The value the reference holds; an error if `store` does not hold
    /// this reference. (wasmtime's returns `Result<Option<_>>`, `None` for
    /// a reference its GC gave a host value of another kind; here every
    /// reference holds a host value.)
    pub fn data<'a, T: 'a>(
        &self,
        store: &'a impl AsContext<Data = T>,
    ) -> Result<&'a (dyn core::any::Any + Send + Sync), crate::Error> {
        let inner = &store.as_context().inner;
        inner.check(self.0)?;
        Ok(&*inner.externs[self.0.index as usize])
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
            _ => return false,
        };
        let bottom = matches!(
            t.heap(),
            HeapType::NoFunc | HeapType::NoExtern | HeapType::NoExn | HeapType::None
        );
        RefKind::of(t.heap()) == kind && if present { !bottom } else { t.nullable() }
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
                RefKind::Extern | RefKind::Any => Val::ExternRef(None),
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
    /// GC references (`any` and below), which no module the runtime accepts
    /// has yet.
    Any,
}

impl RefKind {
    /// The representation of `heap`'s values. A concrete heap type is a
    /// function type: the runtime refuses modules with struct and array
    /// types (GC) for now, so no other kind is registered.
    pub(crate) const fn of(heap: HeapType) -> RefKind {
        match heap {
            HeapType::Func | HeapType::NoFunc | HeapType::Concrete(_) => RefKind::Func,
            HeapType::Extern | HeapType::NoExtern => RefKind::Extern,
            HeapType::Exn | HeapType::NoExn => RefKind::Exn,
            _ => RefKind::Any,
        }
    }
}
