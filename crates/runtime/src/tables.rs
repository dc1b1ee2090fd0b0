//! The semantics of the table, element-segment and data-segment
//! instructions on a store, shared by the back ends: the interpreter's
//! handlers and the compiler's libcalls both call these.
//!
//! `instance` is the store index of the running instance; table and
//! segment numbers are the module's (validated). References are raw: 0 is
//! null, otherwise a store index plus one. Indices and lengths are `u64`,
//! as a 64-bit table or memory has them (a 32-bit one's zero-extended).

use crate::interp::exec::range;
use crate::prelude::*;
use crate::store::StoreInner;
use crate::trap::TrapCode;

const OOB: TrapCode = TrapCode::TableOutOfBounds;

/// The store index of table `table` of `instance`.
#[inline(always)]
fn table_index(inner: &StoreInner, instance: u32, table: u32) -> usize {
    inner.instances[instance as usize].tables[table as usize] as usize
}

/// `table.get`.
#[inline(always)]
pub(crate) fn get(inner: &StoreInner, instance: u32, table: u32, i: u64) -> Result<u64, TrapCode> {
    let t = table_index(inner, instance, table);
    let el = &inner.tables[t].elements;
    usize::try_from(i)
        .ok()
        .and_then(|i| el.get(i))
        .copied()
        .ok_or(OOB)
}

/// `table.set`.
#[inline(always)]
pub(crate) fn set(
    inner: &mut StoreInner,
    instance: u32,
    table: u32,
    i: u64,
    v: u64,
) -> Result<(), TrapCode> {
    let t = table_index(inner, instance, table);
    let el = &mut inner.tables[t].elements;
    *usize::try_from(i)
        .ok()
        .and_then(|i| el.get_mut(i))
        .ok_or(OOB)? = v;
    Ok(())
}

/// `table.size`.
#[inline(always)]
pub(crate) fn size(inner: &StoreInner, instance: u32, table: u32) -> u64 {
    inner.tables[table_index(inner, instance, table)]
        .elements
        .len() as u64
}

/// `table.grow`: the old size, or `None` if the table cannot grow.
#[inline(always)]
pub(crate) fn grow(
    inner: &mut StoreInner,
    instance: u32,
    table: u32,
    init: u64,
    delta: u64,
) -> Option<u64> {
    let t = table_index(inner, instance, table);
    crate::table::grow(inner, t as u32, delta, init)
}

/// `table.fill`.
#[inline(always)]
pub(crate) fn fill(
    inner: &mut StoreInner,
    instance: u32,
    table: u32,
    i: u64,
    v: u64,
    n: u64,
) -> Result<(), TrapCode> {
    let t = table_index(inner, instance, table);
    let el = &mut inner.tables[t].elements;
    let r = range(i, n, el.len(), OOB)?;
    el[r].fill(v);
    Ok(())
}

/// `table.copy`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn copy(
    inner: &mut StoreInner,
    instance: u32,
    dst_table: u32,
    src_table: u32,
    d: u64,
    s: u64,
    n: u64,
) -> Result<(), TrapCode> {
    let (dt, st) = (
        table_index(inner, instance, dst_table),
        table_index(inner, instance, src_table),
    );
    let sr = range(s, n, inner.tables[st].elements.len(), OOB);
    let dr = range(d, n, inner.tables[dt].elements.len(), OOB);
    let (sr, dr) = (sr?, dr?);
    if dt == st {
        inner.tables[dt].elements.copy_within(sr, dr.start);
    } else {
        let items: Vec<u64> = inner.tables[st].elements[sr].to_vec();
        inner.tables[dt].elements[dr].copy_from_slice(&items);
    }
    Ok(())
}

/// `table.init`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn init(
    inner: &mut StoreInner,
    instance: u32,
    table: u32,
    seg: u32,
    d: u64,
    s: u64,
    n: u64,
) -> Result<(), TrapCode> {
    let t = table_index(inner, instance, table);
    let inst = &inner.instances[instance as usize];
    let items: &[u64] = inst.elems[seg as usize].as_deref().unwrap_or(&[]);
    let sr = range(s, n, items.len(), OOB);
    let dr = range(d, n, inner.tables[t].elements.len(), OOB);
    let (sr, dr) = (sr?, dr?);
    let items: Vec<u64> = items[sr].to_vec();
    inner.tables[t].elements[dr].copy_from_slice(&items);
    Ok(())
}

/// `elem.drop`.
#[inline(always)]
pub(crate) fn elem_drop(inner: &mut StoreInner, instance: u32, seg: u32) {
    inner.instances[instance as usize].elems[seg as usize] = None;
}

/// `memory.init` into `mem` (the instance's memory the instruction names).
#[inline(always)]
pub(crate) fn memory_init(
    inner: &StoreInner,
    instance: u32,
    mem: &mut [u8],
    seg: u32,
    d: u64,
    s: u64,
    n: u64,
) -> Result<(), TrapCode> {
    let inst = &inner.instances[instance as usize];
    let module = inst.module.binary();
    let data: &[u8] = if inst.data_dropped[seg as usize] {
        &[]
    } else {
        &module.bytes[module.datas[seg as usize].range.clone()]
    };
    let oob = TrapCode::MemoryOutOfBounds;
    let sr = range(s, n, data.len(), oob);
    let dr = range(d, n, mem.len(), oob);
    let (sr, dr) = (sr?, dr?);
    mem[dr].copy_from_slice(&data[sr]);
    Ok(())
}

/// `data.drop`.
#[inline(always)]
pub(crate) fn data_drop(inner: &mut StoreInner, instance: u32, seg: u32) {
    inner.instances[instance as usize].data_dropped[seg as usize] = true;
}

/// `ref.func`: the raw reference to function `func` of `instance`.
#[inline(always)]
pub(crate) fn func_ref(inner: &StoreInner, instance: u32, func: u32) -> u64 {
    u64::from(inner.instances[instance as usize].funcs[func as usize]) + 1
}
