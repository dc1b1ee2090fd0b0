//! GC: structs, arrays, `i31`, `ref.eq`, casts and the `any`/`extern`
//! conversions (see `crate::gc` for the heap and the encoding of
//! references). The handlers read their operands from the slots and call
//! safe functions over the store; a translator bug or a reference that
//! names no object ends the activation with an error, never undefined
//! behaviour.

use super::control::handler;
use super::{after, exit, next, operands, s, Cx, Done, Exit, Ip, Sp};
use crate::error::Error;
use crate::gc::{self, Field, Shape};
use crate::interp::code::ops;
use crate::interp::exec::range;
use crate::prelude::*;
use crate::store::StoreInner;
use crate::trap::TrapCode;

/// How a field or element is read and written.
pub(crate) mod kind {
    /// A packed `i8`, sign-extended when read.
    pub(crate) const I8_S: u32 = 0;
    /// A packed `i8`, zero-extended when read.
    pub(crate) const I8_U: u32 = 1;
    /// A packed `i16`, sign-extended when read.
    pub(crate) const I16_S: u32 = 2;
    /// A packed `i16`, zero-extended when read.
    pub(crate) const I16_U: u32 = 3;
    /// 4 bytes (`i32`, `f32`).
    pub(crate) const B32: u32 = 4;
    /// 8 bytes (`i64`, `f64`, references).
    pub(crate) const B64: u32 = 5;
    /// 16 bytes (`v128`, two slots).
    pub(crate) const V128: u32 = 6;

    /// The size in bytes.
    #[inline(always)]
    pub(crate) fn size(kind: u32) -> u8 {
        match kind {
            I8_S | I8_U => 1,
            I16_S | I16_U => 2,
            B32 => 4,
            B64 => 8,
            _ => 16,
        }
    }

    /// The slot value of `bits` read as `kind` (the low slot of a `v128`).
    #[inline(always)]
    pub(crate) fn extend(kind: u32, bits: u128) -> u64 {
        match kind {
            I8_S => u64::from(bits as u8 as i8 as i32 as u32),
            I16_S => u64::from(bits as u16 as i16 as i32 as u32),
            _ => bits as u64,
        }
    }
}

/// What a cast tests against: an abstract heap type's code, or
/// [`CONCRETE`](target::CONCRETE)` + 2 * index + is_func` for a module's
/// type.
pub(crate) mod target {
    use nanowasm_core::HeapType;

    pub(crate) const ANY: u32 = 0;
    pub(crate) const EQ: u32 = 1;
    pub(crate) const I31: u32 = 2;
    pub(crate) const STRUCT: u32 = 3;
    pub(crate) const ARRAY: u32 = 4;
    /// A top type of another hierarchy (`func`, `extern`, `exn`): every
    /// non-null value.
    pub(crate) const TOP: u32 = 5;
    /// A bottom type: no non-null value.
    pub(crate) const BOTTOM: u32 = 6;
    /// The first concrete code.
    pub(crate) const CONCRETE: u32 = 16;

    /// The code of an abstract heap type.
    pub(crate) fn abstract_code(h: HeapType) -> u32 {
        match h {
            HeapType::Any => ANY,
            HeapType::Eq => EQ,
            HeapType::I31 => I31,
            HeapType::Struct => STRUCT,
            HeapType::Array => ARRAY,
            HeapType::Func | HeapType::Extern | HeapType::Exn => TOP,
            _ => BOTTOM,
        }
    }
}

/// The first slot past the current frame, as an index into the value
/// stack: what the collector scans.
#[inline(always)]
fn live_slots(cx: *mut Cx, sp: Sp) -> usize {
    // SAFETY: every handler receives the activation's live context, and
    // `sp` points into the value stack that starts at `stack`; the
    // current frame's code is alive while it runs.
    unsafe {
        let c = &*cx;
        sp.offset_from(c.stack) as usize + (*c.func).frame_slots as usize
    }
}

/// Why a GC instruction failed: a trap, or a reference that names no
/// object of the expected shape (a translator or collector bug, reported
/// as an error). Two words, returned in registers: a handler whose helper
/// returned its failure through memory would lose its tail call.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Fault {
    Trap(TrapCode),
    Bug,
}

fn bad_ref() -> Fault {
    Fault::Bug
}

fn trap_of(code: TrapCode) -> Fault {
    Fault::Trap(code)
}

/// Ends the activation with `f` at `ip`.
#[cold]
#[inline(never)]
fn fault(cx: *mut Cx, ip: Ip, f: Fault) -> Done {
    match f {
        Fault::Trap(code) => exit(cx, ip, Exit::Trap(code)),
        Fault::Bug => exit(
            cx,
            ip,
            Exit::Error(Error::bug("a GC reference names no object of its type")),
        ),
    }
}

/// The layout index of module type `ty` of `instance`.
fn layout_of(inner: &StoreInner, instance: u32, ty: u32) -> Result<u32, Fault> {
    inner.instances[instance as usize]
        .gc_layouts
        .get(ty as usize)
        .copied()
        .filter(|&l| l != u32::MAX)
        .ok_or_else(bad_ref)
}

/// The element of array layout `layout`.
fn elem_of(inner: &StoreInner, layout: u32) -> Result<Field, Fault> {
    match inner.gc.layouts.get(layout as usize).map(|l| &l.shape) {
        Some(Shape::Array { elem }) => Ok(*elem),
        _ => Err(bad_ref()),
    }
}

/// The value of `kind` in the slots from `at` of the frame at `sp`.
///
/// # Safety
/// `at` (and `at + 1` for a `v128`) are slots of the current frame.
#[inline(always)]
unsafe fn slot_value(sp: Sp, at: u32, kind: u32) -> u128 {
    let lo = u128::from(s!(sp, at));
    if kind == kind::V128 {
        lo | u128::from(s!(sp, at + 1)) << 64
    } else {
        lo
    }
}

/// Writes the value `bits` read as `kind` into the slots from `at`.
///
/// # Safety
/// As for [`slot_value`].
#[inline(always)]
unsafe fn set_slot_value(sp: Sp, at: u32, kind: u32, bits: u128) {
    s!(sp, at) = kind::extend(kind, bits);
    if kind == kind::V128 {
        s!(sp, at + 1) = (bits >> 64) as u64;
    }
}

/// Runs `f`, ending the activation if it fails.
macro_rules! run {
    ($cx:expr, $ip:expr, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(f) => return fault($cx, $ip, f),
        }
    };
}

/// `struct.new`: a new struct of module type `o.ty` whose field values are
/// in the frame's slots from `o.args`; its reference.
///
/// # Safety
/// As for a handler: `cx` is the live context, `sp` the current frame.
#[inline(never)]
unsafe fn struct_new_in(o: &ops::StructNew, sp: Sp, cx: *mut Cx) -> Result<u64, Fault> {
    let live = live_slots(cx, sp);
    // SAFETY: handlers run with the store live and otherwise unused.
    let (inner, instance) = unsafe { (Cx::inner(cx), (*cx).instance) };
    let layout = layout_of(inner, instance, o.ty)?;
    let size = match inner.gc.layouts.get(layout as usize).map(|l| &l.shape) {
        Some(Shape::Struct { size, .. }) => *size as usize,
        _ => return Err(Fault::Bug),
    };
    let r = gc::alloc(inner, layout, size, Some(live)).map_err(trap_of)?;
    if o.n > 0 {
        let (l, data) = inner.gc.get_mut(r).ok_or(Fault::Bug)?;
        let Shape::Struct { fields, .. } = &l.shape else {
            return Err(Fault::Bug);
        };
        let mut at = o.args;
        for f in fields.iter() {
            let k = if f.size == 16 { kind::V128 } else { kind::B64 };
            // SAFETY: the translator put the `n` field values (a `v128`
            // in two slots) in the frame's slots from `args`.
            let v = unsafe { slot_value(sp, at, k) };
            at += if f.size == 16 { 2 } else { 1 };
            gc::write(data, f.offset as usize, f.size, v).ok_or(Fault::Bug)?;
        }
    }
    Ok(r)
}

handler!(
    /// `struct.new`, `struct.new_default`.
    struct_new(o: StructNew, ip, sp, mem, len, cx) {
        // SAFETY: the handler's own guarantees.
        let r = run!(cx, ip, unsafe { struct_new_in(o, sp, cx) });
        s!(sp, o.dst) = r;
    }
);

/// The payload of the struct `r` (null traps).
fn struct_data(inner: &mut StoreInner, r: u64) -> Result<&mut [u8], Fault> {
    if r == 0 {
        return Err(trap_of(TrapCode::NullStructReference));
    }
    inner.gc.get_mut(r).map(|(_, d)| d).ok_or_else(bad_ref)
}

handler!(
    /// `struct.get`, `struct.get_s`, `struct.get_u`.
    struct_get(o: StructGet, ip, sp, mem, len, cx) {
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        let data = run!(cx, ip, struct_data(inner, s!(sp, o.obj)));
        let Some(v) = gc::read(data, o.offset as usize, kind::size(o.kind)) else {
            return fault(cx, ip, Fault::Bug);
        };
        // SAFETY: `dst` is a slot (two for a `v128`) of the frame.
        unsafe { set_slot_value(sp, o.dst, o.kind, v) };
    }
);

handler!(
    /// `struct.set`.
    struct_set(o: StructSet, ip, sp, mem, len, cx) {
        // SAFETY: `src` is a slot (two for a `v128`) of the frame.
        let v = unsafe { slot_value(sp, o.src, o.kind) };
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        let data = run!(cx, ip, struct_data(inner, s!(sp, o.obj)));
        if gc::write(data, o.offset as usize, kind::size(o.kind), v).is_none() {
            return fault(cx, ip, Fault::Bug);
        }
    }
);

/// A new zeroed array of layout `layout` and `n` elements; its element.
fn new_array(
    inner: &mut StoreInner,
    layout: u32,
    n: u64,
    live: usize,
) -> Result<(u64, Field), Fault> {
    let elem = elem_of(inner, layout)?;
    let size = gc::array_size(&elem, n).map_err(trap_of)?;
    if n > u64::from(u32::MAX) {
        return Err(trap_of(TrapCode::GcHeapExhausted));
    }
    let r = gc::alloc(inner, layout, size, Some(live)).map_err(trap_of)?;
    Ok((r, elem))
}

/// `array.new`, `array.new_default`: the new array's reference.
///
/// # Safety
/// As for a handler.
#[inline(never)]
unsafe fn array_new_in(o: &ops::ArrayNew, sp: Sp, cx: *mut Cx) -> Result<u64, Fault> {
    let live = live_slots(cx, sp);
    let (v, n) = if o.default != 0 {
        (0, s!(sp, o.args) as u32)
    } else {
        // SAFETY: the value (two slots for a `v128`) is at `args`, the
        // length after it.
        let v = unsafe { slot_value(sp, o.args, o.kind) };
        let w = if o.kind == kind::V128 { 2 } else { 1 };
        (v, s!(sp, o.args + w) as u32)
    };
    // SAFETY: handlers run with the store live and otherwise unused.
    let (inner, instance) = unsafe { (Cx::inner(cx), (*cx).instance) };
    let layout = layout_of(inner, instance, o.ty)?;
    let (r, elem) = new_array(inner, layout, u64::from(n), live)?;
    if v != 0 {
        let (_, data) = inner.gc.get_mut(r).ok_or(Fault::Bug)?;
        gc::fill(data, elem.size, 0, n as usize, v).ok_or(Fault::Bug)?;
    }
    Ok(r)
}

handler!(
    /// `array.new`, `array.new_default`.
    array_new(o: ArrayNew, ip, sp, mem, len, cx) {
        // SAFETY: the handler's own guarantees.
        let r = run!(cx, ip, unsafe { array_new_in(o, sp, cx) });
        s!(sp, o.dst) = r;
    }
);

/// `array.new_fixed`: the new array's reference.
///
/// # Safety
/// As for a handler.
#[inline(never)]
unsafe fn array_new_fixed_in(o: &ops::ArrayNewFixed, sp: Sp, cx: *mut Cx) -> Result<u64, Fault> {
    let live = live_slots(cx, sp);
    // SAFETY: handlers run with the store live and otherwise unused.
    let (inner, instance) = unsafe { (Cx::inner(cx), (*cx).instance) };
    let layout = layout_of(inner, instance, o.ty)?;
    let (r, elem) = new_array(inner, layout, u64::from(o.n), live)?;
    let (_, data) = inner.gc.get_mut(r).ok_or(Fault::Bug)?;
    let w = if o.kind == kind::V128 { 2 } else { 1 };
    for k in 0..o.n {
        // SAFETY: the translator put the `n` values in the frame's slots
        // from `args`.
        let v = unsafe { slot_value(sp, o.args + k * w, o.kind) };
        let at = k as usize * usize::from(elem.size);
        gc::write(data, at, elem.size, v).ok_or(Fault::Bug)?;
    }
    Ok(r)
}

handler!(
    /// `array.new_fixed`.
    array_new_fixed(o: ArrayNewFixed, ip, sp, mem, len, cx) {
        // SAFETY: the handler's own guarantees.
        let r = run!(cx, ip, unsafe { array_new_fixed_in(o, sp, cx) });
        s!(sp, o.dst) = r;
    }
);

/// The bytes of data segment `seg` of `instance` (empty once dropped).
fn data_segment(inner: &StoreInner, instance: u32, seg: u32) -> &[u8] {
    let inst = &inner.instances[instance as usize];
    let module = inst.module.binary();
    match inst.data_dropped.get(seg as usize) {
        Some(false) => module
            .datas
            .get(seg as usize)
            .and_then(|d| module.bytes.get(d.range.clone()))
            .unwrap_or(&[]),
        _ => &[],
    }
}

/// The references of element segment `seg` of `instance` (empty once
/// dropped).
fn elem_segment(inner: &StoreInner, instance: u32, seg: u32) -> &[u64] {
    inner.instances[instance as usize]
        .elems
        .get(seg as usize)
        .and_then(|e| e.as_deref())
        .unwrap_or(&[])
}

/// Copies `n` elements of `size` bytes from segment `seg` at `s` (data:
/// a byte offset; elements: an index) into `data` from element `d`.
#[allow(clippy::too_many_arguments)]
fn copy_from_segment(
    inner: &StoreInner,
    instance: u32,
    elem: bool,
    seg: u32,
    s: u64,
    n: u64,
    size: u8,
    out: &mut [u8],
) -> Result<(), Fault> {
    if elem {
        let items = elem_segment(inner, instance, seg);
        let src = range(s, n, items.len(), TrapCode::TableOutOfBounds).map_err(trap_of)?;
        for (chunk, &v) in out.chunks_exact_mut(8).zip(&items[src]) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
    } else {
        let bytes = data_segment(inner, instance, seg);
        let len = n
            .checked_mul(u64::from(size))
            .ok_or(trap_of(TrapCode::MemoryOutOfBounds))?;
        let src = range(s, len, bytes.len(), TrapCode::MemoryOutOfBounds).map_err(trap_of)?;
        out.copy_from_slice(&bytes[src]);
    }
    Ok(())
}

/// `array.new_data`/`array.new_elem`: a new array of `n` elements from
/// segment `seg` at `s`.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn array_from_segment(
    inner: &mut StoreInner,
    instance: u32,
    ty: u32,
    elem: bool,
    seg: u32,
    s: u64,
    n: u64,
    live: usize,
) -> Result<u64, Fault> {
    let layout = layout_of(inner, instance, ty)?;
    let field = elem_of(inner, layout)?;
    // The source is checked before anything is allocated (its bounds
    // trap first, as the specification orders it).
    if elem {
        range(
            s,
            n,
            elem_segment(inner, instance, seg).len(),
            TrapCode::TableOutOfBounds,
        )
        .map_err(trap_of)?;
    } else {
        let len = n
            .checked_mul(u64::from(field.size))
            .ok_or(trap_of(TrapCode::MemoryOutOfBounds))?;
        range(
            s,
            len,
            data_segment(inner, instance, seg).len(),
            TrapCode::MemoryOutOfBounds,
        )
        .map_err(trap_of)?;
    }
    let size = gc::array_size(&field, n).map_err(trap_of)?;
    let mut staged = Vec::new();
    staged
        .try_reserve_exact(size)
        .map_err(|_| trap_of(TrapCode::GcHeapExhausted))?;
    staged.resize(size, 0);
    copy_from_segment(inner, instance, elem, seg, s, n, field.size, &mut staged)?;
    let (r, _) = new_array(inner, layout, n, live)?;
    let (_, data) = inner.gc.get_mut(r).ok_or_else(bad_ref)?;
    data.copy_from_slice(&staged);
    Ok(r)
}

handler!(
    /// `array.new_data`, `array.new_elem`.
    array_new_segment(o: ArrayNewSegment, ip, sp, mem, len, cx) {
        let live = live_slots(cx, sp);
        let (s, n) = (s!(sp, o.args) as u32, s!(sp, o.args + 1) as u32);
        // SAFETY: handlers run with the store live and otherwise unused.
        let (inner, instance) = unsafe { (Cx::inner(cx), (*cx).instance) };
        let r = run!(cx, ip, array_from_segment(inner, instance, o.ty, o.elem != 0, o.seg, u64::from(s), u64::from(n), live));
        s!(sp, o.dst) = r;
    }
);

/// The element layout and payload of the array `r` (null traps).
fn array_data(inner: &mut StoreInner, r: u64) -> Result<(Field, &mut [u8]), Fault> {
    if r == 0 {
        return Err(trap_of(TrapCode::NullArrayReference));
    }
    match inner.gc.get_mut(r) {
        Some((l, data)) => match l.shape {
            Shape::Array { elem } => Ok((elem, data)),
            Shape::Struct { .. } => Err(bad_ref()),
        },
        None => Err(bad_ref()),
    }
}

/// The byte range of elements `[i, i + n)` of an array of `elem`s whose
/// payload is `len` bytes, or an out-of-bounds trap.
fn elements(elem: &Field, len: usize, i: u64, n: u64) -> Result<core::ops::Range<usize>, Fault> {
    let count = len / usize::from(elem.size.max(1));
    let r = range(i, n, count, TrapCode::ArrayOutOfBounds).map_err(trap_of)?;
    let size = usize::from(elem.size);
    Ok(r.start * size..r.end * size)
}

handler!(
    /// `array.get`, `array.get_s`, `array.get_u`.
    array_get(o: ArrayGet, ip, sp, mem, len, cx) {
        let i = s!(sp, o.idx) as u32;
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        let (elem, data) = run!(cx, ip, array_data(inner, s!(sp, o.arr)));
        let at = run!(cx, ip, elements(&elem, data.len(), u64::from(i), 1));
        let Some(v) = gc::read(data, at.start, elem.size) else {
            return fault(cx, ip, Fault::Bug);
        };
        // SAFETY: `dst` is a slot (two for a `v128`) of the frame.
        unsafe { set_slot_value(sp, o.dst, o.kind, v) };
    }
);

handler!(
    /// `array.set`.
    array_set(o: ArraySet, ip, sp, mem, len, cx) {
        let (r, i) = (s!(sp, o.args), s!(sp, o.args + 1) as u32);
        // SAFETY: the value (two slots for a `v128`) follows the index.
        let v = unsafe { slot_value(sp, o.args + 2, o.kind) };
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        let (elem, data) = run!(cx, ip, array_data(inner, r));
        let at = run!(cx, ip, elements(&elem, data.len(), u64::from(i), 1));
        if gc::write(data, at.start, elem.size, v).is_none() {
            return fault(cx, ip, Fault::Bug);
        }
    }
);

handler!(
    /// `array.len`.
    array_len(o: ArrayLen, ip, sp, mem, len, cx) {
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        let (elem, data) = run!(cx, ip, array_data(inner, s!(sp, o.arr)));
        s!(sp, o.dst) = (data.len() / usize::from(elem.size.max(1))) as u64;
    }
);

/// `array.fill` with its operands in the slots from `args`.
///
/// # Safety
/// As for a handler.
#[inline(never)]
unsafe fn array_fill_in(o: &ops::ArrayFill, sp: Sp, cx: *mut Cx) -> Result<(), Fault> {
    let (r, d) = (s!(sp, o.args), s!(sp, o.args + 1) as u32);
    // SAFETY: the value (two slots for a `v128`) follows the offset, the
    // length the value.
    let v = unsafe { slot_value(sp, o.args + 2, o.kind) };
    let w = if o.kind == kind::V128 { 2 } else { 1 };
    let n = s!(sp, o.args + 2 + w) as u32;
    // SAFETY: handlers run with the store live and otherwise unused.
    let inner = unsafe { Cx::inner(cx) };
    let (elem, data) = array_data(inner, r)?;
    elements(&elem, data.len(), u64::from(d), u64::from(n))?;
    gc::fill(data, elem.size, d as usize, n as usize, v).ok_or(Fault::Bug)
}

handler!(
    /// `array.fill`.
    array_fill(o: ArrayFill, ip, sp, mem, len, cx) {
        // SAFETY: the handler's own guarantees.
        run!(cx, ip, unsafe { array_fill_in(o, sp, cx) });
    }
);

/// `array.copy` of `n` elements.
#[inline(never)]
fn array_copy_in(
    inner: &mut StoreInner,
    (dst, d): (u64, u64),
    (src, s): (u64, u64),
    n: u64,
) -> Result<(), Fault> {
    if dst == 0 || src == 0 {
        return Err(trap_of(TrapCode::NullArrayReference));
    }
    let (elem, dst_len) = match inner.gc.get(dst) {
        Some((l, data)) => match l.shape {
            Shape::Array { elem } => (elem, data.len()),
            Shape::Struct { .. } => return Err(bad_ref()),
        },
        None => return Err(bad_ref()),
    };
    let src_len = inner.gc.get(src).ok_or_else(bad_ref)?.1.len();
    let dr = elements(&elem, dst_len, d, n)?;
    let sr = elements(&elem, src_len, s, n)?;
    match inner.gc.pair_mut(dst, src).ok_or_else(bad_ref)? {
        (data, None) => data.copy_within(sr, dr.start),
        (data, Some(from)) => data[dr].copy_from_slice(&from[sr]),
    }
    Ok(())
}

handler!(
    /// `array.copy`.
    array_copy(o: ArrayCopy, ip, sp, mem, len, cx) {
        let a = o.args;
        let dst = (s!(sp, a), u64::from(s!(sp, a + 1) as u32));
        let src = (s!(sp, a + 2), u64::from(s!(sp, a + 3) as u32));
        let n = u64::from(s!(sp, a + 4) as u32);
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        run!(cx, ip, array_copy_in(inner, dst, src, n));
    }
);

/// `array.init_data`/`array.init_elem`.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn array_init_in(
    inner: &mut StoreInner,
    instance: u32,
    elem_seg: bool,
    seg: u32,
    r: u64,
    d: u64,
    s: u64,
    n: u64,
) -> Result<(), Fault> {
    let (elem, data) = array_data(inner, r)?;
    let dr = elements(&elem, data.len(), d, n)?;
    let mut staged = vec![0u8; dr.len()];
    copy_from_segment(inner, instance, elem_seg, seg, s, n, elem.size, &mut staged)?;
    let (_, data) = array_data(inner, r)?;
    data[dr].copy_from_slice(&staged);
    Ok(())
}

handler!(
    /// `array.init_data`, `array.init_elem`.
    array_init(o: ArrayInit, ip, sp, mem, len, cx) {
        let a = o.args;
        let r = s!(sp, a);
        let (d, s, n) = (s!(sp, a + 1) as u32, s!(sp, a + 2) as u32, s!(sp, a + 3) as u32);
        // SAFETY: handlers run with the store live and otherwise unused.
        let (inner, instance) = unsafe { (Cx::inner(cx), (*cx).instance) };
        run!(cx, ip, array_init_in(inner, instance, o.elem != 0, o.seg, r, u64::from(d), u64::from(s), u64::from(n)));
    }
);

handler!(
    /// `ref.i31`.
    ref_i31(o: RefI31, ip, sp, mem, len, cx) {
        s!(sp, o.dst) = gc::i31(s!(sp, o.src) as u32);
    }
);

handler!(
    /// `i31.get_s`, `i31.get_u`.
    i31_get(o: I31Get, ip, sp, mem, len, cx) {
        let r = s!(sp, o.src);
        if r == 0 {
            return fault(cx, ip, Fault::Trap(TrapCode::NullI31Reference));
        }
        let v = if o.signed != 0 { gc::i31_get_s(r) } else { gc::i31_get_u(r) };
        s!(sp, o.dst) = u64::from(v);
    }
);

handler!(
    /// `ref.eq`: the same `i31` value or the same object (null equals
    /// null).
    ref_eq(o: RefEq, ip, sp, mem, len, cx) {
        s!(sp, o.dst) = u64::from(s!(sp, o.a) == s!(sp, o.b));
    }
);

handler!(
    /// `any.convert_extern`, `extern.convert_any`.
    convert_ref(o: ConvertRef, ip, sp, mem, len, cx) {
        let r = s!(sp, o.src);
        s!(sp, o.dst) = if o.to_any != 0 {
            gc::any_convert_extern(r)
        } else {
            gc::extern_convert_any(r)
        };
    }
);

/// Whether the reference `r` passes a test against `target` (null passes
/// if `nullable`). Validation put `r` in the target's hierarchy.
pub(crate) fn passes(
    inner: &StoreInner,
    instance: u32,
    r: u64,
    target: u32,
    nullable: bool,
) -> bool {
    if r == 0 {
        return nullable;
    }
    let object = |r: u64| inner.gc.get(r).map(|(l, _)| l);
    match target {
        target::ANY | target::TOP => true,
        target::EQ => gc::is_i31(r) || object(r).is_some(),
        target::I31 => gc::is_i31(r),
        target::STRUCT => object(r).is_some_and(|l| matches!(l.shape, Shape::Struct { .. })),
        target::ARRAY => object(r).is_some_and(|l| matches!(l.shape, Shape::Array { .. })),
        t if t >= target::CONCRETE => {
            let index = (t - target::CONCRETE) / 2;
            let Some(&want) = inner.instances[instance as usize]
                .type_ids
                .get(index as usize)
            else {
                return false;
            };
            if t & 1 == 1 {
                // A function type: the function's type or a subtype.
                let Some(f) = inner.funcs.get((r - 1) as usize) else {
                    return false;
                };
                inner.engine.inner.types.is_subtype(f.type_id(), want)
            } else {
                object(r).is_some_and(|l| l.is_subtype_of(want))
            }
        }
        _ => false,
    }
}

handler!(
    /// `ref.test`.
    ref_test(o: RefTest, ip, sp, mem, len, cx) {
        // SAFETY: handlers run with the store live and otherwise unused.
        let (inner, instance) = unsafe { (Cx::inner(cx), (*cx).instance) };
        s!(sp, o.dst) = u64::from(passes(inner, instance, s!(sp, o.src), o.target, o.nullable != 0));
    }
);

handler!(
    /// `ref.cast`.
    ref_cast(o: RefCast, ip, sp, mem, len, cx) {
        // SAFETY: handlers run with the store live and otherwise unused.
        let (inner, instance) = unsafe { (Cx::inner(cx), (*cx).instance) };
        if !passes(inner, instance, s!(sp, o.src), o.target, o.nullable != 0) {
            return fault(cx, ip, Fault::Trap(TrapCode::CastFailure));
        }
    }
);
