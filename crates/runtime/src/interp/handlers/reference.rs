//! Globals, tables and references.

use super::control::handler;
use super::{after, next, operands, s, set_v128, trap, v128, Cx, Done, Ip, Sp};
use crate::interp::code::ops;
use crate::interp::exec::range;
use crate::prelude::*;
use crate::store::StoreInner;
use crate::trap::TrapCode;

/// The store index of global `global` of the current instance.
///
/// # Safety
/// `cx` is the activation's live context; `global` was validated.
#[inline(always)]
unsafe fn global_index(cx: *mut Cx, global: u32) -> usize {
    // SAFETY: `globals` is the current instance's global map, which
    // validation checked `global` against.
    unsafe { *(*cx).globals.add(global as usize) as usize }
}

/// The store index of table `table` of the current instance.
///
/// # Safety
/// `cx` is the activation's live context.
#[inline(always)]
unsafe fn table_index(inner: &StoreInner, cx: *mut Cx, table: u32) -> usize {
    // SAFETY: the caller's guarantee.
    inner.instances[unsafe { (*cx).instance } as usize].tables[table as usize] as usize
}

handler!(
    /// `global.get`.
    global_get(o: GlobalGet, ip, sp, mem, len, cx) {
        // SAFETY: handlers run with the store live and otherwise unused;
        // `global` was validated.
        let (inner, g) = unsafe { (Cx::inner(cx), global_index(cx, o.global)) };
        s!(sp, o.dst) = inner.globals[g].value as u64;
    }
);

handler!(
    /// `global.get` of a `v128`.
    global_get2(o: GlobalGet2, ip, sp, mem, len, cx) {
        // SAFETY: as in `global_get`.
        let (inner, g) = unsafe { (Cx::inner(cx), global_index(cx, o.global)) };
        set_v128!(sp, o.dst, inner.globals[g].value);
    }
);

handler!(
    /// `global.set`.
    global_set(o: GlobalSet, ip, sp, mem, len, cx) {
        // SAFETY: as in `global_get`.
        let (inner, g) = unsafe { (Cx::inner(cx), global_index(cx, o.global)) };
        inner.globals[g].value = u128::from(s!(sp, o.src));
    }
);

handler!(
    /// `global.set` of a `v128`.
    global_set2(o: GlobalSet2, ip, sp, mem, len, cx) {
        // SAFETY: as in `global_get`.
        let (inner, g) = unsafe { (Cx::inner(cx), global_index(cx, o.global)) };
        inner.globals[g].value = v128!(sp, o.src);
    }
);

handler!(
    /// `table.get`.
    table_get(o: TableGet, ip, sp, mem, len, cx) {
        let i = s!(sp, o.index) as u32;
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        // SAFETY: as above.
        let t = unsafe { table_index(inner, cx, o.table) };
        match inner.tables[t].elements.get(i as usize) {
            Some(&v) => s!(sp, o.dst) = v,
            None => return trap(cx, ip, TrapCode::TableOutOfBounds),
        }
    }
);

handler!(
    /// `table.set`.
    table_set(o: TableSet, ip, sp, mem, len, cx) {
        let (i, v) = (s!(sp, o.args) as u32, s!(sp, o.args + 1));
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        // SAFETY: as above.
        let t = unsafe { table_index(inner, cx, o.table) };
        match inner.tables[t].elements.get_mut(i as usize) {
            Some(e) => *e = v,
            None => return trap(cx, ip, TrapCode::TableOutOfBounds),
        }
    }
);

handler!(
    /// `table.size`.
    table_size(o: TableSize, ip, sp, mem, len, cx) {
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        // SAFETY: as above.
        let t = unsafe { table_index(inner, cx, o.table) };
        s!(sp, o.dst) = inner.tables[t].elements.len() as u64;
    }
);

handler!(
    /// `table.grow`.
    table_grow(o: TableGrow, ip, sp, mem, len, cx) {
        let (init, delta) = (s!(sp, o.args), s!(sp, o.args + 1) as u32);
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        // SAFETY: as above.
        let t = unsafe { table_index(inner, cx, o.table) };
        let r = crate::table::grow(inner, t as u32, u64::from(delta), init);
        s!(sp, o.args) = u64::from(r.map_or(u32::MAX, |old| old as u32));
    }
);

handler!(
    /// `table.fill`.
    table_fill(o: TableFill, ip, sp, mem, len, cx) {
        let (i, v, n) = (s!(sp, o.args) as u32, s!(sp, o.args + 1), s!(sp, o.args + 2) as u32);
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        // SAFETY: as above.
        let t = unsafe { table_index(inner, cx, o.table) };
        let el = &mut inner.tables[t].elements;
        match range(u64::from(i), u64::from(n), el.len(), TrapCode::TableOutOfBounds) {
            Ok(r) => el[r].fill(v),
            Err(code) => return trap(cx, ip, code),
        }
    }
);

handler!(
    /// `table.copy`.
    table_copy(o: TableCopy, ip, sp, mem, len, cx) {
        let (d, src, n) = (s!(sp, o.args) as u32, s!(sp, o.args + 1) as u32, s!(sp, o.args + 2) as u32);
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        // SAFETY: as above.
        let (dt, st) = unsafe { (table_index(inner, cx, o.dst_table), table_index(inner, cx, o.src_table)) };
        let oob = TrapCode::TableOutOfBounds;
        let (sr, dr) = match (
            range(u64::from(src), u64::from(n), inner.tables[st].elements.len(), oob),
            range(u64::from(d), u64::from(n), inner.tables[dt].elements.len(), oob),
        ) {
            (Ok(sr), Ok(dr)) => (sr, dr),
            (Err(code), _) | (_, Err(code)) => return trap(cx, ip, code),
        };
        if dt == st {
            inner.tables[dt].elements.copy_within(sr, dr.start);
        } else {
            let items: Vec<u64> = inner.tables[st].elements[sr].to_vec();
            inner.tables[dt].elements[dr].copy_from_slice(&items);
        }
    }
);

handler!(
    /// `table.init`.
    table_init(o: TableInit, ip, sp, mem, len, cx) {
        let (d, src, n) = (s!(sp, o.args) as u32, s!(sp, o.args + 1) as u32, s!(sp, o.args + 2) as u32);
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        // SAFETY: as above.
        let t = unsafe { table_index(inner, cx, o.table) };
        // SAFETY: every handler receives the activation's live context.
        let inst = &inner.instances[unsafe { (*cx).instance } as usize];
        let items: &[u64] = inst.elems[o.seg as usize].as_deref().unwrap_or(&[]);
        let oob = TrapCode::TableOutOfBounds;
        let (sr, dr) = match (
            range(u64::from(src), u64::from(n), items.len(), oob),
            range(u64::from(d), u64::from(n), inner.tables[t].elements.len(), oob),
        ) {
            (Ok(sr), Ok(dr)) => (sr, dr),
            (Err(code), _) | (_, Err(code)) => return trap(cx, ip, code),
        };
        let items: Vec<u64> = items[sr].to_vec();
        inner.tables[t].elements[dr].copy_from_slice(&items);
    }
);

handler!(
    /// `elem.drop`.
    elem_drop(o: ElemDrop, ip, sp, mem, len, cx) {
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        // SAFETY: every handler receives the activation's live context.
        inner.instances[unsafe { (*cx).instance } as usize].elems[o.seg as usize] = None;
    }
);

handler!(
    /// `ref.func`.
    ref_func(o: RefFunc, ip, sp, mem, len, cx) {
        // SAFETY: `funcs` is the current instance's function map, which
        // validation checked `func` against.
        s!(sp, o.dst) = u64::from(unsafe { *(*cx).funcs.add(o.func as usize) }) + 1;
    }
);

handler!(
    /// `ref.is_null`.
    ref_is_null(o: RefIsNull, ip, sp, mem, len, cx) {
        s!(sp, o.dst) = u64::from(s!(sp, o.src) == 0);
    }
);
