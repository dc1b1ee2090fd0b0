//! Globals, tables and references.

use super::control::handler;
use super::{after, arg, minus_one, next, operands, s, set_v128, trap, v128, Cx, Done, Ip, Sp};
use crate::interp::code::ops;
use crate::tables;
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

/// The running instance of `cx`.
///
/// # Safety
/// `cx` is the activation's live context.
#[inline(always)]
unsafe fn instance(cx: *mut Cx) -> u32 {
    // SAFETY: the caller's guarantee.
    unsafe { (*cx).instance }
}

handler!(
    /// `table.get`.
    table_get(o: TableGet, ip, sp, mem, len, cx) {
        // SAFETY: handlers run with the store live and otherwise unused.
        let (inner, inst) = unsafe { (Cx::inner(cx), instance(cx)) };
        match tables::get(inner, inst, o.table, arg(s!(sp, o.index), o.wide, 0)) {
            Ok(v) => s!(sp, o.dst) = v,
            Err(code) => return trap(cx, ip, code),
        }
    }
);

handler!(
    /// `table.set`.
    table_set(o: TableSet, ip, sp, mem, len, cx) {
        let (i, v) = (arg(s!(sp, o.args), o.wide, 0), s!(sp, o.args + 1));
        // SAFETY: handlers run with the store live and otherwise unused.
        let (inner, inst) = unsafe { (Cx::inner(cx), instance(cx)) };
        if let Err(code) = tables::set(inner, inst, o.table, i, v) {
            return trap(cx, ip, code);
        }
    }
);

handler!(
    /// `table.size`.
    table_size(o: TableSize, ip, sp, mem, len, cx) {
        // SAFETY: handlers run with the store live and otherwise unused.
        let (inner, inst) = unsafe { (Cx::inner(cx), instance(cx)) };
        s!(sp, o.dst) = tables::size(inner, inst, o.table);
    }
);

handler!(
    /// `table.grow`.
    table_grow(o: TableGrow, ip, sp, mem, len, cx) {
        let (init, delta) = (s!(sp, o.args), arg(s!(sp, o.args + 1), o.wide, 0));
        // SAFETY: handlers run with the store live and otherwise unused.
        let (inner, inst) = unsafe { (Cx::inner(cx), instance(cx)) };
        s!(sp, o.args) = tables::grow(inner, inst, o.table, init, delta).unwrap_or(minus_one(o.wide));
    }
);

handler!(
    /// `table.fill`.
    table_fill(o: TableFill, ip, sp, mem, len, cx) {
        let (i, v, n) = (arg(s!(sp, o.args), o.wide, 0), s!(sp, o.args + 1), arg(s!(sp, o.args + 2), o.wide, 2));
        // SAFETY: handlers run with the store live and otherwise unused.
        let (inner, inst) = unsafe { (Cx::inner(cx), instance(cx)) };
        if let Err(code) = tables::fill(inner, inst, o.table, i, v, n) {
            return trap(cx, ip, code);
        }
    }
);

handler!(
    /// `table.copy`.
    table_copy(o: TableCopy, ip, sp, mem, len, cx) {
        let (d, src, n) = (arg(s!(sp, o.args), o.wide, 0), arg(s!(sp, o.args + 1), o.wide, 1), arg(s!(sp, o.args + 2), o.wide, 2));
        // SAFETY: handlers run with the store live and otherwise unused.
        let (inner, inst) = unsafe { (Cx::inner(cx), instance(cx)) };
        if let Err(code) = tables::copy(inner, inst, o.dst_table, o.src_table, d, src, n) {
            return trap(cx, ip, code);
        }
    }
);

handler!(
    /// `table.init`.
    table_init(o: TableInit, ip, sp, mem, len, cx) {
        let (d, src, n) = (arg(s!(sp, o.args), o.wide, 0), arg(s!(sp, o.args + 1), o.wide, 1), arg(s!(sp, o.args + 2), o.wide, 2));
        // SAFETY: handlers run with the store live and otherwise unused.
        let (inner, inst) = unsafe { (Cx::inner(cx), instance(cx)) };
        if let Err(code) = tables::init(inner, inst, o.table, o.seg, d, src, n) {
            return trap(cx, ip, code);
        }
    }
);

handler!(
    /// `elem.drop`.
    elem_drop(o: ElemDrop, ip, sp, mem, len, cx) {
        // SAFETY: handlers run with the store live and otherwise unused.
        let (inner, inst) = unsafe { (Cx::inner(cx), instance(cx)) };
        tables::elem_drop(inner, inst, o.seg);
    }
);

handler!(
    /// `ref.func`.
    ref_func(o: RefFunc, ip, sp, mem, len, cx) {
        // SAFETY: handlers run with the store live and otherwise unused.
        let (inner, inst) = unsafe { (Cx::inner(cx), instance(cx)) };
        s!(sp, o.dst) = tables::func_ref(inner, inst, o.func);
    }
);

handler!(
    /// `ref.as_non_null`: a null reference traps; the value stays where
    /// it is.
    ref_as_non_null(o: RefAsNonNull, ip, sp, mem, len, cx) {
        if s!(sp, o.src) == 0 {
            return trap(cx, ip, TrapCode::NullReference);
        }
    }
);

handler!(
    /// `ref.is_null`.
    ref_is_null(o: RefIsNull, ip, sp, mem, len, cx) {
        s!(sp, o.dst) = u64::from(s!(sp, o.src) == 0);
    }
);
