//! Globals.

use nanowasm_core::{GlobalType, ValType};

use crate::error::Error;
use crate::store::{AsContext, AsContextMut, GlobalEntity, Stored};
use crate::table::ref_to_raw;
use crate::values::Val;

/// A global of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Global(pub(crate) Stored);

pub(crate) fn val_to_raw(v: &Val) -> u128 {
    match v {
        Val::I32(x) => u128::from(*x as u32),
        Val::I64(x) => u128::from(*x as u64),
        Val::F32(x) => u128::from(*x),
        Val::F64(x) => u128::from(*x),
        Val::V128(x) => *x,
        r => u128::from(ref_to_raw(r).unwrap_or(0)),
    }
}

/// A number from its raw bits (a reference type gives a null function
/// reference: references go through `StoreInner::raw_to_val`).
pub(crate) fn num_to_val(raw: u128, ty: ValType) -> Val {
    match ty {
        ValType::I32 => Val::I32(raw as u32 as i32),
        ValType::I64 => Val::I64(raw as u64 as i64),
        ValType::F32 => Val::F32(raw as u32),
        ValType::F64 => Val::F64(raw as u64),
        ValType::V128 => Val::V128(raw),
        ValType::Ref(_) => Val::FuncRef(None),
    }
}

impl Global {
    /// A new global of type `ty` holding `value`, which must be of that
    /// type (and, if a reference, of this store).
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, value: Val) -> Result<Global, Error> {
        let inner = &mut store.as_context_mut().inner;
        inner.check_val(&value, ty.content, "the global")?;
        let index = inner.globals.len() as u32;
        inner.globals.push(GlobalEntity {
            ty,
            value: val_to_raw(&value),
        });
        // (Compiled contexts' global pointers may be stale now.)
        inner.resizes += 1;
        Ok(Global(Stored {
            store: inner.id,
            index,
        }))
    }

    /// The global's type; an error if `store` does not own the global.
    pub fn ty(&self, store: impl AsContext) -> Result<GlobalType, Error> {
        let inner = &store.as_context().inner;
        inner.check(self.0)?;
        Ok(inner.globals[self.0.index as usize].ty)
    }

    /// The current value; an error if `store` does not own the global.
    pub fn get(&self, store: impl AsContext) -> Result<Val, Error> {
        let inner = &store.as_context().inner;
        inner.check(self.0)?;
        let g = &inner.globals[self.0.index as usize];
        Ok(inner.raw_to_val(g.value, g.ty.content))
    }

    /// Sets the value of a mutable global; `value` must be of the global's
    /// type (and, if a reference, of this store).
    pub fn set(&self, mut store: impl AsContextMut, value: Val) -> Result<(), Error> {
        let inner = &mut store.as_context_mut().inner;
        inner.check(self.0)?;
        let ty = inner.globals[self.0.index as usize].ty;
        if !ty.mutable {
            return Err(Error::usage("cannot set an immutable global"));
        }
        inner.check_val(&value, ty.content, "the global")?;
        inner.globals[self.0.index as usize].value = val_to_raw(&value);
        Ok(())
    }
}
