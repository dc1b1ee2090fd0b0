//! Tables.

use crate::prelude::*;
use nanowasm_core::{Limits, TableType, ValType};

use crate::error::Error;
use crate::func::Func;
use crate::store::{AsContext, AsContextMut, StoreInner, Stored, TableEntity};
use crate::values::{ExternRef, RefKind, Val};

/// A table of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Table(pub(crate) Stored);

/// A raw reference from a [`Val`] (0 for null). Only the index or raw
/// value is kept: the caller has checked that the reference belongs to the
/// store.
pub(crate) fn ref_to_raw(v: &Val) -> Option<u64> {
    match v {
        Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) | Val::AnyRef(None) => {
            Some(0)
        }
        Val::FuncRef(Some(f)) => Some(u64::from(f.0.index) + 1),
        Val::ExternRef(Some(e)) => Some(crate::gc::extern_slot_of_handle(e.raw)),
        Val::ExnRef(Some(e)) => Some(u64::from(e.0.index) + 1),
        Val::AnyRef(Some(a)) => Some(crate::gc::slot_of_handle(a.raw)),
        _ => None,
    }
}

/// A [`Val`] from a raw reference of representation `kind` (see
/// `StoreInner::raw_to_val`, which also pins what the host may keep).
pub(crate) fn raw_to_ref(store: u64, raw: u64, kind: RefKind) -> Val {
    let s = |raw: u64| Stored {
        store,
        index: (raw - 1) as u32,
    };
    match (kind, raw) {
        (RefKind::Func, 0) => Val::FuncRef(None),
        (RefKind::Extern, 0) => Val::ExternRef(None),
        (RefKind::Exn, 0) => Val::ExnRef(None),
        (RefKind::Any, 0) => Val::AnyRef(None),
        (RefKind::Func, r) => Val::FuncRef(Some(Func(s(r)))),
        (RefKind::Extern, raw) => Val::ExternRef(Some(ExternRef { store, raw })),
        (RefKind::Exn, r) => Val::ExnRef(Some(crate::exn::ExnRef(s(r)))),
        (RefKind::Any, raw) => Val::AnyRef(Some(crate::values::AnyRef { store, raw })),
    }
}

impl Table {
    /// A new table of type `ty`, every element `init`, which must be a
    /// reference of the table's element type (and of this store).
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table, Error> {
        let inner = &mut store.as_context_mut().inner;
        inner.check_val(&init, ValType::Ref(ty.element), "a table element")?;
        let raw = ref_to_raw(&init).unwrap_or(0);
        if ty.limits.max.is_some_and(|max| max < ty.limits.min) {
            return Err(Error::usage(format!(
                "invalid table type: minimum {} above maximum",
                ty.limits.min
            )));
        }
        if ty.limits.min > u64::from(u32::MAX) {
            return Err(Error::limit(format!(
                "a table of {} elements is more than a table may have",
                ty.limits.min
            )));
        }
        if inner
            .limits
            .table_elements
            .is_some_and(|max| ty.limits.min > max)
        {
            return Err(Error::limit("table exceeds the store's element limit"));
        }
        let refused = || Error::limit("the host refused memory for a table");
        let elements = if raw == 0 {
            null_elements(ty.limits.min as usize).ok_or_else(refused)?
        } else {
            let mut elements = Vec::new();
            elements
                .try_reserve_exact(ty.limits.min as usize)
                .map_err(|_| refused())?;
            elements.resize(ty.limits.min as usize, raw);
            elements
        };
        let index = inner.tables.len() as u32;
        inner.tables.push(TableEntity { elements, ty });
        Ok(Table(Stored {
            store: inner.id,
            index,
        }))
    }

    fn entity<'a>(&self, inner: &'a StoreInner) -> Result<&'a TableEntity, Error> {
        inner.check(self.0)?;
        Ok(&inner.tables[self.0.index as usize])
    }

    /// Checks that `value` may be stored in this table of `inner` (whose
    /// ownership of the table is checked): the table's element type, and a
    /// reference of this store. Returns it raw.
    fn checked_raw(&self, inner: &StoreInner, value: &Val) -> Result<u64, Error> {
        let t = self.entity(inner)?;
        inner.check_val(value, ValType::Ref(t.ty.element), "a table element")?;
        Ok(ref_to_raw(value).unwrap_or(0))
    }

    /// The number of elements; an error if `store` does not own the table.
    pub fn size(&self, store: impl AsContext) -> Result<u64, Error> {
        Ok(self.entity(&store.as_context().inner)?.elements.len() as u64)
    }

    /// The table's type with its current size as minimum; an error if
    /// `store` does not own the table.
    pub fn ty(&self, store: impl AsContext) -> Result<TableType, Error> {
        let t = self.entity(&store.as_context().inner)?;
        Ok(TableType {
            element: t.ty.element,
            limits: Limits {
                min: t.elements.len() as u64,
                max: t.ty.limits.max,
            },
            table64: t.ty.table64,
        })
    }

    /// Element `index`, `None` if out of bounds; an error if `store` does
    /// not own the table.
    pub fn get(&self, store: impl AsContext, index: u64) -> Result<Option<Val>, Error> {
        let inner = &store.as_context().inner;
        let t = self.entity(inner)?;
        let Some(&raw) = usize::try_from(index).ok().and_then(|i| t.elements.get(i)) else {
            return Ok(None);
        };
        Ok(Some(
            inner.raw_to_val(u128::from(raw), ValType::Ref(t.ty.element)),
        ))
    }

    /// Sets element `index` to `value`, a reference of the table's element
    /// type and of this store.
    pub fn set(&self, mut store: impl AsContextMut, index: u64, value: Val) -> Result<(), Error> {
        let inner = &mut store.as_context_mut().inner;
        let raw = self.checked_raw(inner, &value)?;
        let slot = usize::try_from(index)
            .ok()
            .and_then(|i| inner.tables[self.0.index as usize].elements.get_mut(i))
            .ok_or_else(|| Error::usage("table index out of bounds"))?;
        *slot = raw;
        Ok(())
    }

    /// Grows by `delta` elements set to `init` (a reference of the table's
    /// element type and of this store); returns the previous size.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64, init: Val) -> Result<u64, Error> {
        let inner = &mut store.as_context_mut().inner;
        let raw = self.checked_raw(inner, &init)?;
        grow(inner, self.0.index, delta, raw)
            .ok_or_else(|| Error::limit("table cannot grow that much"))
    }

    /// Sets the `len` elements from `dst` to `value` (a reference of the
    /// table's element type and of this store), as `table.fill` does; out
    /// of bounds, nothing changes.
    pub fn fill(
        &self,
        mut store: impl AsContextMut,
        dst: u64,
        value: Val,
        len: u64,
    ) -> Result<(), Error> {
        let inner = &mut store.as_context_mut().inner;
        let raw = self.checked_raw(inner, &value)?;
        let elements = &mut inner.tables[self.0.index as usize].elements;
        let range = dst
            .checked_add(len)
            .filter(|&end| end <= elements.len() as u64)
            .map(|end| dst as usize..end as usize)
            .ok_or_else(|| Error::usage("table fill out of bounds"))?;
        elements[range].fill(raw);
        Ok(())
    }
}

/// `n` null elements, or `None` if the host refuses the memory. The
/// allocator zeroes them (null is 0), so the pages of a large table cost
/// nothing until written: a module's `(table 4294967295 funcref)` gets a
/// lazily backed table or an error, never an allocation failure abort.
pub(crate) fn null_elements(n: usize) -> Option<Vec<u64>> {
    if n == 0 {
        return Some(Vec::new());
    }
    let layout = alloc::alloc::Layout::array::<u64>(n).ok()?;
    // SAFETY: `layout` has a non-zero size (n > 0). A non-null result is
    // memory for `n` zeroed `u64`s (zero is a valid `u64`) from the global
    // allocator with the layout of `Vec<u64>` of capacity `n`, which is
    // what `Vec::from_raw_parts` requires, with length `n` ≤ capacity.
    unsafe {
        let p = alloc::alloc::alloc_zeroed(layout).cast::<u64>();
        if p.is_null() {
            return None;
        }
        Some(Vec::from_raw_parts(p, n, n))
    }
}

/// `table.grow`: the previous size, or `None`.
pub(crate) fn grow(inner: &mut StoreInner, table: u32, delta: u64, init: u64) -> Option<u64> {
    let limit = inner.limits.table_elements;
    let t = &mut inner.tables[table as usize];
    let old = t.elements.len() as u64;
    let new = old.checked_add(delta)?;
    // A table has at most 2^32 - 1 elements, even a 64-bit one.
    let max = t.ty.limits.max.unwrap_or(u64::MAX).min(u64::from(u32::MAX));
    if new > max || limit.is_some_and(|l| new > l) {
        return None;
    }
    let new = usize::try_from(new).ok()?;
    inner.resizes += 1;
    t.elements.try_reserve_exact(new - t.elements.len()).ok()?;
    t.elements.resize(new, init);
    Some(old)
}
