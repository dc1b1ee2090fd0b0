//! Linear memory: one handler per load and store opcode (its width and
//! extension are constants), lane accesses, and the bulk operations.
//!
//! The memory's base and length are handler arguments: a bounds check is
//! one add and one compare against a register.

use nanowasm_core::{MemoryType, Opcode, Sig, ValType};

use super::control::handler;
use super::{
    after, arg, handler_tables, minus_one, next, operands, s, set_v128, trap, v128, Cx, Done, Ip,
    Sp,
};
use crate::interp::code::ops;
use crate::interp::exec::range;
use crate::interp::simd as simd_sem;
use crate::tables;
use crate::trap::TrapCode;

/// The bytes an access of this typing rule touches (its natural alignment
/// is log2 of it).
const fn access_bytes(sig: &Sig) -> usize {
    match *sig {
        Sig::Load(_, a) | Sig::Store(_, a) | Sig::LoadLane(a) | Sig::StoreLane(a) => 1 << a,
        _ => 0,
    }
}

/// Whether a typing rule is a load of a number (not a `v128`).
const fn is_scalar_load(sig: &Sig) -> bool {
    matches!(sig, Sig::Load(..)) && !is_v128_load(sig)
}

/// Whether a typing rule is a load of a `v128`.
const fn is_v128_load(sig: &Sig) -> bool {
    matches!(sig, Sig::Load(ValType::V128, _))
}

/// The effective address of an `n`-byte access, or `None` out of bounds.
#[inline(always)]
fn ea(addr: u64, offset: u32, n: usize, len: usize) -> Option<usize> {
    let start = u64::from(addr as u32) + u64::from(offset);
    if start + n as u64 > len as u64 {
        return None;
    }
    Some(start as usize)
}

/// Reads `n` (1, 2, 4 or 8) bytes at `p`, zero-extended.
///
/// # Safety
/// `p..p + n` is inside the memory.
#[inline(always)]
unsafe fn read(p: *const u8, n: usize) -> u64 {
    // SAFETY: the caller's guarantee; unaligned reads of plain integers.
    unsafe {
        match n {
            1 => u64::from(*p),
            2 => u64::from(u16::from_le(p.cast::<u16>().read_unaligned())),
            4 => u64::from(u32::from_le(p.cast::<u32>().read_unaligned())),
            _ => u64::from_le(p.cast::<u64>().read_unaligned()),
        }
    }
}

/// The value a scalar load of `op` produces from its zero-extended bytes.
#[inline(always)]
const fn extend(op: Opcode, raw: u64) -> u64 {
    use Opcode as O;
    match op {
        O::I32Load8S => raw as u8 as i8 as i32 as u32 as u64,
        O::I32Load16S => raw as u16 as i16 as i32 as u32 as u64,
        O::I64Load8S => raw as u8 as i8 as i64 as u64,
        O::I64Load16S => raw as u16 as i16 as i64 as u64,
        O::I64Load32S => raw as u32 as i32 as i64 as u64,
        _ => raw,
    }
}

/// Defines a load handler `$name::<OP, N, V>` (load `OP` of `N` bytes,
/// producing a `v128` if `V`) over operands `ops::$t`, whose address is
/// `$addr` (a `u32`, wrapped as `i32.add` wraps).
macro_rules! load_handler {
    ($(#[$m:meta])* $name:ident($o:ident: $t:ident, $sp:ident) => $addr:expr) => {
        $(#[$m])*
        unsafe fn $name<const OP: u16, const N: usize, const V: bool>(
            ip: Ip,
            $sp: Sp,
            mem: *mut u8,
            len: usize,
            cx: *mut Cx,
        ) -> Done {
            let $o = operands!(ip, ops::$t);
            let op = const { Opcode::ALL[OP as usize] };
            let (n, v128_result) = (N, V);
            let addr: u32 = $addr;
            let Some(at) = ea(u64::from(addr), $o.offset, n, len) else {
                return trap(cx, ip, TrapCode::MemoryOutOfBounds);
            };
            // SAFETY: `at..at + n` is within the memory's `len` bytes
            // (checked), and `mem`/`len` are the current memory's.
            let p = unsafe { mem.add(at) };
            if !v128_result {
                // SAFETY: as above.
                s!($sp, $o.dst) = extend(op, unsafe { read(p, n) });
            } else if n == 16 {
                // SAFETY: as above.
                let v = u128::from_le(unsafe { p.cast::<u128>().read_unaligned() });
                set_v128!($sp, $o.dst, v);
            } else {
                // SAFETY: as above.
                set_v128!($sp, $o.dst, simd_sem::load(op, unsafe { read(p, n) }));
            }
            next!(after!(ip, ops::$t), $sp, mem, len, cx)
        }
    };
}

load_handler!(
    /// A load from the address in a slot.
    load_op(o: Load, sp) => s!(sp, o.addr) as u32
);
load_handler!(
    /// A load from `a + imm` (an `i32.add` of a constant fused in).
    load_add_imm_op(o: LoadAddImm, sp) => (s!(sp, o.a) as u32).wrapping_add(o.imm)
);
load_handler!(
    /// A load from `a + b` (an `i32.add` fused in).
    load_add_op(o: LoadAdd, sp) => (s!(sp, o.a) as u32).wrapping_add(s!(sp, o.b) as u32)
);

/// `Store` of `N` bytes.
unsafe fn store_op<const N: usize>(ip: Ip, sp: Sp, mem: *mut u8, len: usize, cx: *mut Cx) -> Done {
    let o = operands!(ip, ops::Store);
    let n = N;
    let Some(at) = ea(s!(sp, o.addr), o.offset, n, len) else {
        return trap(cx, ip, TrapCode::MemoryOutOfBounds);
    };
    let v = if n == 16 {
        v128!(sp, o.src)
    } else {
        u128::from(s!(sp, o.src))
    };
    // SAFETY: `at..at + n` is within the memory's `len` bytes (checked),
    // and `mem`/`len` are the current memory's; unaligned writes of plain
    // integers.
    unsafe {
        let p = mem.add(at);
        match n {
            1 => *p = v as u8,
            2 => p.cast::<u16>().write_unaligned((v as u16).to_le()),
            4 => p.cast::<u32>().write_unaligned((v as u32).to_le()),
            8 => p.cast::<u64>().write_unaligned((v as u64).to_le()),
            _ => p.cast::<u128>().write_unaligned(v.to_le()),
        }
    }
    next!(after!(ip, ops::Store), sp, mem, len, cx)
}

/// `LoadLane` of `N` bytes.
unsafe fn load_lane_op<const N: usize>(
    ip: Ip,
    sp: Sp,
    mem: *mut u8,
    len: usize,
    cx: *mut Cx,
) -> Done {
    let o = operands!(ip, ops::LoadLane);
    let n = N;
    let Some(at) = ea(s!(sp, o.addr), o.offset, n, len) else {
        return trap(cx, ip, TrapCode::MemoryOutOfBounds);
    };
    let mut v = v128!(sp, o.src).to_le_bytes();
    let lane = (o.lane as usize * n) & 15;
    // SAFETY: `at..at + n` is within the memory (checked); validation
    // keeps `lane < 16 / n`, and the mask keeps the copy inside `v`.
    let bytes = unsafe { core::slice::from_raw_parts(mem.add(at), n) };
    if let Some(dst) = v.get_mut(lane..lane + n) {
        dst.copy_from_slice(bytes);
    }
    set_v128!(sp, o.dst, u128::from_le_bytes(v));
    next!(after!(ip, ops::LoadLane), sp, mem, len, cx)
}

/// `StoreLane` of `N` bytes.
unsafe fn store_lane_op<const N: usize>(
    ip: Ip,
    sp: Sp,
    mem: *mut u8,
    len: usize,
    cx: *mut Cx,
) -> Done {
    let o = operands!(ip, ops::StoreLane);
    let n = N;
    let Some(at) = ea(s!(sp, o.addr), o.offset, n, len) else {
        return trap(cx, ip, TrapCode::MemoryOutOfBounds);
    };
    let v = v128!(sp, o.src).to_le_bytes();
    let lane = (o.lane as usize * n) & 15;
    if let Some(src) = v.get(lane..lane + n) {
        // SAFETY: `at..at + n` is within the memory (checked).
        unsafe { core::slice::from_raw_parts_mut(mem.add(at), n) }.copy_from_slice(src);
    }
    next!(after!(ip, ops::StoreLane), sp, mem, len, cx)
}

handler_tables! {
    /// The handler of load `op`.
    pub(crate) fn load = |r| matches!(r.sig, Sig::Load(..))
        => load_op::<{ r.op as u16 }, { access_bytes(&r.sig) }, { is_v128_load(&r.sig) }>;
    /// The handler of scalar load `op` from `a + imm`.
    pub(crate) fn load_add_imm = |r| is_scalar_load(&r.sig)
        => load_add_imm_op::<{ r.op as u16 }, { access_bytes(&r.sig) }, false>;
    /// The handler of scalar load `op` from `a + b`.
    pub(crate) fn load_add = |r| is_scalar_load(&r.sig)
        => load_add_op::<{ r.op as u16 }, { access_bytes(&r.sig) }, false>;
    /// The handler of store `op`.
    pub(crate) fn store = |r| matches!(r.sig, Sig::Store(..))
        => store_op::<{ access_bytes(&r.sig) }>;
    /// The handler of `v128.loadN_lane` `op`.
    pub(crate) fn load_lane = |r| matches!(r.sig, Sig::LoadLane(..))
        => load_lane_op::<{ access_bytes(&r.sig) }>;
    /// The handler of `v128.storeN_lane` `op`.
    pub(crate) fn store_lane = |r| matches!(r.sig, Sig::StoreLane(..))
        => store_lane_op::<{ access_bytes(&r.sig) }>;
}

/// The current memory as a slice.
///
/// # Safety
/// `mem`/`len` are the current memory's base and length, and nothing else
/// accesses it while the slice lives.
#[inline]
unsafe fn bytes<'a>(mem: *mut u8, len: usize) -> &'a mut [u8] {
    // SAFETY: the caller's guarantee (`mem` is dangling and `len` 0
    // without a memory, which makes an empty slice).
    unsafe { core::slice::from_raw_parts_mut(mem, len) }
}

/// `UseMemory`: points the context and the `mem`/`len` registers at memory
/// `index` of the current instance.
pub(crate) unsafe fn use_memory(ip: Ip, sp: Sp, _: *mut u8, _: usize, cx: *mut Cx) -> Done {
    let o = operands!(ip, ops::UseMemory);
    // SAFETY: handlers run with the store live and otherwise unused.
    let inner = unsafe { Cx::inner(cx) };
    // SAFETY: every handler receives the activation's live context.
    let c = unsafe { &mut *cx };
    let inst = &inner.instances[c.instance as usize];
    // Validation checked the index against the module's memories, which
    // the instance has.
    c.mem = inst
        .memories
        .get(o.index as usize)
        .map_or(usize::MAX, |&m| m as usize);
    let (mem, len) = c.memory(inner);
    next!(after!(ip, ops::UseMemory), sp, mem, len, cx)
}

handler!(
    /// `memory.copy` from memory `src_mem` to another memory `dst_mem`.
    memory_copy_between(o: MemoryCopyBetween, ip, sp, mem, len, cx) {
        let (d, src, n) = (arg(s!(sp, o.args), o.wide, 0), arg(s!(sp, o.args + 1), o.wide, 1), arg(s!(sp, o.args + 2), o.wide, 2));
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        // SAFETY: every handler receives the activation's live context.
        let inst = &inner.instances[unsafe { (*cx).instance } as usize];
        let (dm, sm) = (inst.memories[o.dst_mem as usize] as usize, inst.memories[o.src_mem as usize] as usize);
        let oob = TrapCode::MemoryOutOfBounds;
        let (sr, dr) = match (
            range(src, n, inner.memories[sm].data.len(), oob),
            range(d, n, inner.memories[dm].data.len(), oob),
        ) {
            (Ok(sr), Ok(dr)) => (sr, dr),
            (Err(t), _) | (_, Err(t)) => return trap(cx, ip, t),
        };
        if dm == sm {
            // Two indices may name one memory (imported twice).
            inner.memories[dm].data.copy_within(sr, dr.start);
        } else {
            let (lo, hi) = inner.memories.split_at_mut(dm.max(sm));
            let (d_mem, s_mem) = if dm < sm { (&mut lo[dm], &hi[0]) } else { (&mut hi[0], &lo[sm]) };
            d_mem.data[dr].copy_from_slice(&s_mem.data[sr]);
        }
    }
);

handler!(
    /// `memory.size`.
    memory_size(o: MemorySize, ip, sp, mem, len, cx) {
        s!(sp, o.dst) = len as u64 / MemoryType::PAGE_SIZE;
    }
);

handler!(
    /// `Addr64`: a 64-bit memory's effective address, checked below 4 GiB.
    addr64(o: Addr64, ip, sp, mem, len, cx) {
        let offset = u64::from(o.hi) << 32 | u64::from(o.lo);
        match s!(sp, o.addr).checked_add(offset) {
            Some(ea) if ea <= u64::from(u32::MAX) => s!(sp, o.addr) = ea,
            _ => return trap(cx, ip, TrapCode::MemoryOutOfBounds),
        }
    }
);

/// `memory.grow`.
pub(crate) unsafe fn memory_grow(ip: Ip, sp: Sp, _: *mut u8, _: usize, cx: *mut Cx) -> Done {
    let o = operands!(ip, ops::MemoryGrow);
    let d = arg(s!(sp, o.delta), o.wide, 0);
    // SAFETY: every handler receives the activation's live context.
    let c = unsafe { &mut *cx };
    if c.mem == usize::MAX {
        return trap(cx, ip, TrapCode::MemoryOutOfBounds);
    }
    // SAFETY: handlers run with the store live and otherwise unused.
    let inner = unsafe { Cx::inner(cx) };
    let r = crate::memory::grow(inner, c.mem as u32, d);
    s!(sp, o.dst) = r.unwrap_or(minus_one(o.wide));
    // Growing may move the memory.
    let (mem, len) = c.memory(inner);
    next!(after!(ip, ops::MemoryGrow), sp, mem, len, cx)
}

handler!(
    /// `memory.fill`.
    memory_fill(o: MemoryFill, ip, sp, mem, len, cx) {
        let (d, val, n) = (arg(s!(sp, o.args), o.wide, 0), s!(sp, o.args + 1) as u8, arg(s!(sp, o.args + 2), o.wide, 2));
        // SAFETY: `mem`/`len` are the current memory's.
        let m = unsafe { bytes(mem, len) };
        match range(d, n, m.len(), TrapCode::MemoryOutOfBounds) {
            Ok(r) => m[r].fill(val),
            Err(t) => return trap(cx, ip, t),
        }
    }
);

handler!(
    /// `memory.copy`.
    memory_copy(o: MemoryCopy, ip, sp, mem, len, cx) {
        let (d, src, n) = (arg(s!(sp, o.args), o.wide, 0), arg(s!(sp, o.args + 1), o.wide, 1), arg(s!(sp, o.args + 2), o.wide, 2));
        // SAFETY: `mem`/`len` are the current memory's.
        let m = unsafe { bytes(mem, len) };
        let oob = TrapCode::MemoryOutOfBounds;
        match (range(src, n, len, oob), range(d, n, len, oob)) {
            (Ok(sr), Ok(dr)) => m.copy_within(sr, dr.start),
            (Err(t), _) | (_, Err(t)) => return trap(cx, ip, t),
        }
    }
);

handler!(
    /// `memory.init`.
    memory_init(o: MemoryInit, ip, sp, mem, len, cx) {
        let (d, src, n) = (arg(s!(sp, o.args), o.wide, 0), arg(s!(sp, o.args + 1), o.wide, 1), arg(s!(sp, o.args + 2), o.wide, 2));
        // SAFETY: handlers run with the store live and otherwise unused;
        // every handler receives the activation's live context.
        let (inner, inst) = unsafe { (Cx::inner(cx), (*cx).instance) };
        // SAFETY: `mem`/`len` are the current memory's; the segment's bytes
        // belong to the module, not to the memory.
        let m = unsafe { bytes(mem, len) };
        if let Err(code) = tables::memory_init(inner, inst, m, o.seg, d, src, n) {
            return trap(cx, ip, code);
        }
    }
);

handler!(
    /// `data.drop`.
    data_drop(o: DataDrop, ip, sp, mem, len, cx) {
        // SAFETY: handlers run with the store live and otherwise unused;
        // every handler receives the activation's live context.
        let (inner, inst) = unsafe { (Cx::inner(cx), (*cx).instance) };
        tables::data_drop(inner, inst, o.seg);
    }
);
