//! Control: traps, fuel and epoch checks, branches, calls and returns,
//! copies, constants and `select`.

use alloc::sync::Arc;

use super::{
    after, exit, next, operands, s, set_v128, trap, v128, Cx, Done, FrameRec, Handler, Ip, Pending,
    Sp,
};
use crate::interp::code::{ops, words_of, Cmp32, CompiledFunc};
use crate::interp::exec::{grow_stack, translation_failed, Exit};
use crate::interp::handlers::Callee;
use crate::store::{FuncEntity, StoreInner};
use crate::trap::TrapCode;

/// Defines a handler that reads its operands `$o` of type `ops::$t`, runs
/// `$body` (which may `return` to trap or to jump) and goes on to the next
/// instruction.
macro_rules! handler {
    ($(#[$m:meta])* $name:ident($o:ident: $t:ident, $ip:ident, $sp:ident, $mem:ident, $len:ident, $cx:ident) $body:block) => {
        $(#[$m])*
        #[allow(unused_variables, unreachable_code)]
        pub(crate) unsafe fn $name($ip: Ip, $sp: Sp, $mem: *mut u8, $len: usize, $cx: *mut Cx) -> Done {
            let $o: &ops::$t = operands!($ip, ops::$t);
            $body
            next!(after!($ip, ops::$t), $sp, $mem, $len, $cx)
        }
    };
}
pub(crate) use handler;

handler!(
    /// `unreachable`.
    unreachable(o: Unreachable, ip, sp, mem, len, cx) {
        return trap(cx, ip, TrapCode::Unreachable);
    }
);

handler!(
    /// Fuel for the straight-line block that starts here.
    consume_fuel(o: ConsumeFuel, ip, sp, mem, len, cx) {
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        let n = u64::from(o.fuel);
        if inner.fuel < n {
            inner.fuel = 0;
            return trap(cx, ip, TrapCode::OutOfFuel);
        }
        inner.fuel -= n;
    }
);

handler!(
    /// The epoch deadline, at function entry and loop headers.
    check_interrupt(o: CheckInterrupt, ip, sp, mem, len, cx) {
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        if inner.engine.epoch() >= inner.epoch_deadline {
            return trap(cx, ip, TrapCode::Interrupted);
        }
    }
);

/// The instruction `rel` words from `ip` (a branch target).
#[inline(always)]
fn jump(ip: Ip, rel: i32) -> Ip {
    ip.wrapping_offset(rel as isize)
}

handler!(
    /// An unconditional jump.
    br(o: Br, ip, sp, mem, len, cx) {
        next!(jump(ip, o.target), sp, mem, len, cx);
    }
);

handler!(
    /// `br_if` on a non-zero `i32`.
    br_if_nez(o: BrIfNez, ip, sp, mem, len, cx) {
        if s!(sp, o.cond) as u32 != 0 {
            next!(jump(ip, o.target), sp, mem, len, cx);
        }
    }
);

handler!(
    /// `br_if` on a zero `i32` (`if`, and a negated condition).
    br_if_eqz(o: BrIfEqz, ip, sp, mem, len, cx) {
        if s!(sp, o.cond) as u32 == 0 {
            next!(jump(ip, o.target), sp, mem, len, cx);
        }
    }
);

/// The instance of the generic handler `$h::<C>` for comparison `$cmp`.
macro_rules! per_cmp {
    ($cmp:expr, $h:ident) => {{
        use Cmp32::*;
        match $cmp {
            Eq => $h::<{ Eq as u8 }> as Handler,
            Ne => $h::<{ Ne as u8 }>,
            LtS => $h::<{ LtS as u8 }>,
            LtU => $h::<{ LtU as u8 }>,
            GtS => $h::<{ GtS as u8 }>,
            GtU => $h::<{ GtU as u8 }>,
            LeS => $h::<{ LeS as u8 }>,
            LeU => $h::<{ LeU as u8 }>,
            GeS => $h::<{ GeS as u8 }>,
            GeU => $h::<{ GeU as u8 }>,
        }
    }};
}

/// A jump on an `i32` comparison, one handler per comparison.
unsafe fn br_if_cmp<const C: u8>(ip: Ip, sp: Sp, mem: *mut u8, len: usize, cx: *mut Cx) -> Done {
    let o = operands!(ip, ops::BrIfCmp32);
    let cmp = const { Cmp32::ALL[C as usize] };
    if cmp.eval(s!(sp, o.a) as u32, s!(sp, o.b) as u32) {
        next!(jump(ip, o.target), sp, mem, len, cx);
    }
    next!(after!(ip, ops::BrIfCmp32), sp, mem, len, cx)
}

/// The handler of a fused comparison and branch.
pub(crate) fn br_if_cmp32(cmp: Cmp32) -> Handler {
    per_cmp!(cmp, br_if_cmp)
}

/// A jump on an `i32` comparison with a constant, one handler per
/// comparison.
unsafe fn br_if_cmp_imm<const C: u8>(
    ip: Ip,
    sp: Sp,
    mem: *mut u8,
    len: usize,
    cx: *mut Cx,
) -> Done {
    let o = operands!(ip, ops::BrIfCmpImm32);
    let cmp = const { Cmp32::ALL[C as usize] };
    if cmp.eval(s!(sp, o.a) as u32, o.imm) {
        next!(jump(ip, o.target), sp, mem, len, cx);
    }
    next!(after!(ip, ops::BrIfCmpImm32), sp, mem, len, cx)
}

/// The handler of a fused comparison with a constant and branch.
pub(crate) fn br_if_cmp_imm32(cmp: Cmp32) -> Handler {
    per_cmp!(cmp, br_if_cmp_imm)
}

handler!(
    /// `br_table`: entry `min(index, len)` of the `Br`s that follow.
    br_table(o: BrTable, ip, sp, mem, len, cx) {
        let i = (s!(sp, o.index) as u32).min(o.len) as usize;
        let entry = after!(ip, ops::BrTable).wrapping_add(i * (1 + words_of::<ops::Br>()));
        // The entry is a `Br` (the translator emits `len + 1` of them right
        // after the `BrTable`, so they never move): jump straight to its
        // target rather than dispatching through it.
        let br = operands!(entry, ops::Br);
        next!(jump(entry, br.target), sp, mem, len, cx);
    }
);

/// Returns to the caller, or ends the activation from its entry frame.
pub(crate) unsafe fn ret(_ip: Ip, _sp: Sp, mem: *mut u8, len: usize, cx: *mut Cx) -> Done {
    // SAFETY: every handler receives the activation's live context.
    let c = unsafe { &mut *cx };
    let Some(caller) = c.frames.pop() else {
        return Done::Return;
    };
    c.func = caller.func;
    c.index = caller.index;
    // SAFETY: the caller's base is inside the value stack, which was long
    // enough for the caller's frame when it was entered and never shrinks.
    let sp = unsafe { c.stack.add(caller.base) };
    let (mut mem, mut len) = (mem, len);
    if caller.instance != c.instance {
        // SAFETY: handlers run with the store live and otherwise unused.
        let inner = unsafe { Cx::inner(cx) };
        (mem, len) = c.enter_instance(inner, caller.instance);
    }
    next!(caller.ret_ip, sp, mem, len, cx)
}

handler!(
    /// A direct call.
    call(o: Call, ip, sp, mem, len, cx) {
        // SAFETY: `funcs` is the current instance's function map, which
        // validation checked `func` against.
        let target = unsafe { *(*cx).funcs.add(o.func as usize) };
        // SAFETY: this handler's own conditions.
        return unsafe { enter(ip, after!(ip, ops::Call), sp, o.args, target, mem, len, cx) };
    }
);

handler!(
    /// An indirect call, checked for the element and its type.
    call_indirect(o: CallIndirect, ip, sp, mem, len, cx) {
        let target = match indirect_target(cx, ip, s!(sp, o.index), o.ty, o.table) {
            Ok(target) => target,
            Err(done) => return done,
        };
        // SAFETY: this handler's own conditions.
        return unsafe { enter(ip, after!(ip, ops::CallIndirect), sp, o.args, target, mem, len, cx) };
    }
);

handler!(
    /// A direct tail call.
    return_call(o: ReturnCall, ip, sp, mem, len, cx) {
        // SAFETY: as in `call`.
        let target = unsafe { *(*cx).funcs.add(o.func as usize) };
        // SAFETY: this handler's own conditions.
        return unsafe { enter_tail(ip, sp, o.args, o.results, target, mem, len, cx) };
    }
);

handler!(
    /// An indirect tail call, checked as `call_indirect` is.
    return_call_indirect(o: ReturnCallIndirect, ip, sp, mem, len, cx) {
        let target = match indirect_target(cx, ip, s!(sp, o.index), o.ty, o.table) {
            Ok(target) => target,
            Err(done) => return done,
        };
        // SAFETY: this handler's own conditions.
        return unsafe { enter_tail(ip, sp, o.args, o.results, target, mem, len, cx) };
    }
);

handler!(
    /// A call through a function reference (`call_ref`).
    call_ref(o: CallRef, ip, sp, mem, len, cx) {
        let target = match s!(sp, o.func) {
            0 => return trap(cx, ip, TrapCode::NullFunctionReference),
            raw => (raw - 1) as u32,
        };
        // SAFETY: this handler's own conditions.
        return unsafe { enter(ip, after!(ip, ops::CallRef), sp, o.args, target, mem, len, cx) };
    }
);

handler!(
    /// A tail call through a function reference (`return_call_ref`).
    return_call_ref(o: ReturnCallRef, ip, sp, mem, len, cx) {
        let target = match s!(sp, o.func) {
            0 => return trap(cx, ip, TrapCode::NullFunctionReference),
            raw => (raw - 1) as u32,
        };
        // SAFETY: this handler's own conditions.
        return unsafe { enter_tail(ip, sp, o.args, o.results, target, mem, len, cx) };
    }
);

/// The flag in the `table` of a `CallIndirect` or `ReturnCallIndirect`
/// that says the table is 64-bit (its index an `i64`).
pub(crate) const TABLE64: u32 = 1 << 31;

/// The store function that element `i` of the current instance's table
/// `table` holds, if it has the type `ty` of the current module; otherwise
/// the trap.
#[inline(always)]
fn indirect_target(cx: *mut Cx, ip: Ip, i: u64, ty: u32, table: u32) -> Result<u32, Done> {
    // SAFETY: handlers run with the store live and otherwise unused.
    let inner = unsafe { Cx::inner(cx) };
    // SAFETY: every handler receives the activation's live context.
    let inst = &inner.instances[unsafe { (*cx).instance } as usize];
    let expected = inst.type_ids[ty as usize];
    // A 64-bit table's index is the whole slot; a table has fewer than
    // 2^32 elements, so an index clamped to `u32::MAX` is as far out.
    let i = if table & TABLE64 != 0 {
        i.min(u64::from(u32::MAX)) as u32
    } else {
        i as u32
    };
    let table = &inner.tables[inst.tables[(table & !TABLE64) as usize] as usize];
    let Some(&raw) = table.elements.get(i as usize) else {
        return Err(trap(cx, ip, TrapCode::UndefinedElement));
    };
    if raw == 0 {
        return Err(trap(cx, ip, TrapCode::UninitializedElement));
    }
    let target = (raw - 1) as u32;
    let actual = inner.funcs[target as usize].type_id();
    // Same type: one compare. Otherwise the function's type may still
    // declare the expected one as a supertype (GC subtyping).
    if actual != expected && !inner.engine.inner.types.is_subtype(actual, expected) {
        return Err(trap(cx, ip, TrapCode::IndirectCallTypeMismatch));
    }
    Ok(target)
}

/// Tail-calls store function `target` from the instruction at `ip`, with
/// its arguments in the current frame's slots from `args`: a wasm callee's
/// frame replaces the current one (the arguments move to its first slots,
/// no frame record is pushed, and the call depth stays), so it returns
/// straight to the current frame's caller; a host callee runs now, and its
/// `results` slots move to the frame's first slots before returning.
///
/// # Safety
/// A handler's conditions.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn enter_tail(
    ip: Ip,
    sp: Sp,
    args: u32,
    results: u32,
    target: u32,
    mem: *mut u8,
    len: usize,
    cx: *mut Cx,
) -> Done {
    // SAFETY: handlers run with the store live and otherwise unused.
    let inner = unsafe { Cx::inner(cx) };
    let Some((f, instance, index)) = cached(inner, target) else {
        let tail = Some(results);
        let call = Pending {
            target,
            args,
            ret: ip,
            tail,
        };
        // SAFETY: this function's own conditions.
        return unsafe { uncached(call, ip, sp, mem, len, cx) };
    };
    // SAFETY: every handler receives the activation's live context.
    let c = unsafe { &mut *cx };
    // SAFETY: as in `enter`.
    let f = unsafe { &*f };
    // SAFETY: the arguments lie in the current frame, above its first slot,
    // inside the value stack; `copy` allows the overlap.
    unsafe { core::ptr::copy(sp.add(args as usize), sp, f.param_slots as usize) };
    // SAFETY: `sp` points into the value stack that starts at `c.stack`.
    let base = unsafe { sp.offset_from(c.stack) } as usize;
    // SAFETY: `c.stack`/`c.stack_len` are the store's value stack (a
    // handler's conditions).
    let Some(callee_sp) = (unsafe { frame_at(c, inner, None, base, f) }) else {
        return trap(cx, ip, TrapCode::StackOverflow);
    };
    // SAFETY: this function's own conditions; `callee_sp` is `f`'s frame.
    unsafe { start(c, inner, f, instance, index, callee_sp, mem, len, cx) }
}

/// Frames with at most this many declared locals zero this many slots.
const ZEROED: usize = 8;

/// Calls store function `target` from the instruction at `ip` (continuing
/// at `ret`), with its arguments in the caller's slots from `args`: a wasm
/// callee becomes the current frame, a host callee runs now.
///
/// # Safety
/// A handler's conditions.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn enter(
    ip: Ip,
    ret: Ip,
    sp: Sp,
    args: u32,
    target: u32,
    mem: *mut u8,
    len: usize,
    cx: *mut Cx,
) -> Done {
    // SAFETY: handlers run with the store live and otherwise unused.
    let inner = unsafe { Cx::inner(cx) };
    let Some((f, instance, index)) = cached(inner, target) else {
        let call = Pending {
            target,
            args,
            ret,
            tail: None,
        };
        // SAFETY: this function's own conditions.
        return unsafe { uncached(call, ip, sp, mem, len, cx) };
    };
    // SAFETY: every handler receives the activation's live context.
    let c = unsafe { &mut *cx };
    // SAFETY: the module (kept by the instance, which the store keeps)
    // never drops a translation it made, so `f` outlives the activation.
    let f = unsafe { &*f };
    // SAFETY: `sp` points into the value stack that starts at `c.stack`.
    let caller_base = unsafe { sp.offset_from(c.stack) } as usize;
    let caller = Some((ret, caller_base));
    // SAFETY: `c.stack`/`c.stack_len` are the store's value stack (a
    // handler's conditions).
    let Some(callee_sp) = (unsafe { frame_at(c, inner, caller, caller_base + args as usize, f) })
    else {
        return trap(cx, ip, TrapCode::StackOverflow);
    };
    // SAFETY: this function's own conditions; `callee_sp` is `f`'s frame.
    unsafe { start(c, inner, f, instance, index, callee_sp, mem, len, cx) }
}

/// A call whose callee is not in the call cache: the slow path is a
/// handler-shaped function called in tail position (the call travels in
/// the context), which LLVM reliably turns into a jump.
///
/// # Safety
/// A handler's conditions.
#[inline(always)]
unsafe fn uncached(call: Pending, ip: Ip, sp: Sp, mem: *mut u8, len: usize, cx: *mut Cx) -> Done {
    // SAFETY: every handler receives the activation's live context.
    unsafe { (*cx).pending = call };
    // SAFETY: this function's own conditions.
    unsafe { call_uncached(ip, sp, mem, len, cx) }
}

/// The code, instance and function index of store function `target`, if
/// it is a wasm function in the call cache.
#[inline(always)]
fn cached(inner: &StoreInner, target: u32) -> Option<(*const CompiledFunc, u32, u32)> {
    match inner.interp.callees.get(target as usize) {
        Some(Some(c)) => Some((Arc::as_ptr(&c.code), c.instance, c.index)),
        _ => None,
    }
}

/// Runs `f` (function `index` of `instance`) from its first instruction in
/// its readied frame at `sp`, entering its instance if it is another.
///
/// # Safety
/// A handler's conditions, with `c` and `inner` the context and store of
/// `cx`, and `sp` the frame [`frame_at`] readied for `f`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn start(
    c: &mut Cx,
    inner: &mut StoreInner,
    f: &CompiledFunc,
    instance: u32,
    index: u32,
    sp: Sp,
    mem: *mut u8,
    len: usize,
    cx: *mut Cx,
) -> Done {
    c.func = f;
    c.index = index;
    let (mut mem, mut len) = (mem, len);
    if instance != c.instance {
        (mem, len) = c.enter_instance(inner, instance);
    }
    next!(f.code.as_ptr(), sp, mem, len, cx)
}

/// Readies the frame of `f` whose first slot is `base`: checks the call
/// depth, makes the value stack long enough for the frame (growing it,
/// which may move it, if it is too short), pushes the record of the frame
/// that calls it (`caller`: where that one continues and its first slot;
/// `None` for the host's entry, whose depth `exec::invoke` checks) and
/// zeroes its declared locals. Returns its first slot, or `None` (with
/// nothing pushed) on a stack overflow: the call depth reached or a value
/// stack that may not grow that far. Both ways into a frame use it: a call
/// ([`enter`]) and the host's entry (`exec::run`).
///
/// # Safety
/// `c.stack` and `c.stack_len` are `inner`'s value stack (as
/// [`Cx::refresh_stack`] leaves them).
#[inline(always)]
pub(crate) unsafe fn frame_at(
    c: &mut Cx,
    inner: &mut StoreInner,
    caller: Option<(Ip, usize)>,
    base: usize,
    f: &CompiledFunc,
) -> Option<Sp> {
    let n = c.frames.len();
    if caller.is_some() && n >= c.max_frames {
        return None;
    }
    // `ZEROED` more: see the zeroing of the locals below.
    let need = base + f.frame_slots as usize + ZEROED;
    if need > c.stack_len {
        if !grow_stack_for_call(inner, need) {
            return None;
        }
        c.refresh_stack(inner);
    }
    if let Some((ret_ip, caller_base)) = caller {
        // `Vec::push` by hand: the record is written straight into the
        // vector, never built in this frame (see `Resolved`), and only now,
        // with the stack checked: built earlier, its parts would hold
        // registers across the check and spill.
        if n == c.frames.capacity() {
            grow_frames(c);
        }
        // SAFETY: there is room for one more record (ensured above); it is
        // written before the length covers it.
        unsafe {
            c.frames.as_mut_ptr().add(n).write(FrameRec {
                func: c.func,
                ret_ip,
                base: caller_base,
                instance: c.instance,
                index: c.index,
            });
            c.frames.set_len(n + 1);
        }
    }
    // SAFETY: the stack is at least `need` slots long (checked above): the
    // declared locals lie between the parameters and `frame_slots`, and
    // `ZEROED` slots from the first local are within `need`.
    unsafe {
        let sp = c.stack.add(base);
        let locals = (f.local_slots - f.param_slots) as usize;
        let first = sp.add(f.param_slots as usize);
        if locals <= ZEROED {
            // Most frames have a few locals: two vector stores beat a
            // `memset` call. The slots past the locals are the frame's
            // temporaries (written before they are read) or unused stack.
            first.cast::<[u64; ZEROED]>().write_unaligned([0; ZEROED]);
        } else {
            first.write_bytes(0, locals);
        }
        Some(sp)
    }
}

/// A call whose callee is not in the call cache: a host function, or a
/// wasm function called for the first time from this store.
///
/// # Safety
/// A handler's conditions, with `cx.pending` describing the call.
#[inline(never)]
unsafe fn call_uncached(ip: Ip, sp: Sp, mem: *mut u8, len: usize, cx: *mut Cx) -> Done {
    // SAFETY: every handler receives the activation's live context.
    let p = unsafe { (*cx).pending };
    // SAFETY: handlers run with the store live and otherwise unused.
    let inner = unsafe { Cx::inner(cx) };
    match resolve(inner, p.target) {
        Resolved::Wasm => {}
        // SAFETY: this function's own conditions.
        Resolved::Host => return unsafe { call_host(ip, sp, mem, len, cx) },
        Resolved::Failed => return translation_failed_at(cx, ip, inner, p.target),
    }
    // Now in the cache.
    match p.tail {
        // SAFETY: this function's own conditions.
        None => unsafe { enter(ip, p.ret, sp, p.args, p.target, mem, len, cx) },
        // SAFETY: this function's own conditions.
        Some(results) => unsafe { enter_tail(ip, sp, p.args, results, p.target, mem, len, cx) },
    }
}

/// What [`resolve`] found.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Resolved {
    /// A wasm function, now in the call cache.
    Wasm,
    /// A host function.
    Host,
    /// A wasm function whose translation failed.
    Failed,
}

/// Looks up store function `target` on its first call from wasm:
/// translates it if needed and caches it in `callees`.
#[cold]
#[inline(never)]
fn resolve(inner: &mut StoreInner, target: u32) -> Resolved {
    let (instance, index) = match inner.funcs[target as usize] {
        FuncEntity::Wasm {
            instance, index, ..
        } => (instance, index),
        FuncEntity::Host { .. } => return Resolved::Host,
    };
    let Ok(code) = inner.instances[instance as usize].module.compiled(index) else {
        return Resolved::Failed;
    };
    let code = Arc::clone(code);
    let at = target as usize;
    if inner.interp.callees.len() <= at {
        inner.interp.callees.resize(at + 1, None);
    }
    inner.interp.callees[at] = Some(Callee {
        code,
        instance,
        index,
    });
    Resolved::Wasm
}

/// Ends the activation with the translation error of wasm function
/// `target`.
#[cold]
#[inline(never)]
fn translation_failed_at(cx: *mut Cx, ip: Ip, inner: &StoreInner, target: u32) -> Done {
    let e = match inner.funcs[target as usize] {
        FuncEntity::Wasm {
            instance, index, ..
        } => match inner.instances[instance as usize].module.compiled(index) {
            Err(e) => translation_failed(e),
            Ok(_) => translation_failed("the function's code vanished"),
        },
        FuncEntity::Host { .. } => translation_failed("a host function has no code"),
    };
    exit(cx, ip, Exit::Error(e))
}

/// Makes room for one more frame record (cold: the frame stack is kept
/// between activations, so it rarely grows).
#[cold]
#[inline(never)]
fn grow_frames(c: &mut Cx) {
    c.frames.reserve(c.frames.len().max(16));
}

/// [`grow_stack`] for a handler: whether the stack could grow (a `bool`
/// comes back in a register; see [`Resolved`]).
#[cold]
#[inline(never)]
fn grow_stack_for_call(inner: &mut StoreInner, need: usize) -> bool {
    grow_stack(inner, need).is_ok()
}

/// Calls the host function `cx.pending` describes (see [`enter`]).
///
/// # Safety
/// A handler's conditions.
#[inline(never)]
unsafe fn call_host(ip: Ip, sp: Sp, _: *mut u8, _: usize, cx: *mut Cx) -> Done {
    // SAFETY: every handler receives the activation's live context.
    let Pending {
        target,
        args,
        ret: resume,
        tail,
    } = unsafe { (*cx).pending };
    // SAFETY: every handler receives the activation's live context.
    let c = unsafe { &mut *cx };
    // SAFETY: `sp` points into the value stack that starts at `c.stack`.
    let caller_base = unsafe { sp.offset_from(c.stack) } as usize;
    // SAFETY: `call_host` is the store's own trampoline.
    if !unsafe { (c.call_host)(c, target, caller_base, caller_base + args as usize) } {
        // `call_host` left the reason in `cx.exit`.
        // SAFETY: every handler receives the activation's live context.
        unsafe {
            (*cx).exit_ip = ip;
            (*cx).exit_base = caller_base;
        }
        return Done::Exit;
    }
    // SAFETY: handlers run with the store live and otherwise unused (the
    // host function has returned).
    let inner = unsafe { Cx::inner(cx) };
    // The host may have grown the value stack (by calling back into wasm)
    // and grown or moved memories.
    c.refresh_stack(inner);
    let (mem, len) = c.memory(inner);
    // SAFETY: the caller's frame is inside the (possibly moved) stack.
    let sp = unsafe { c.stack.add(caller_base) };
    if let Some(results) = tail {
        // A tail call: the results become the calling frame's, which
        // returns now. They lie in its frame (the translator reserved
        // `args + results` slots), above its first slot.
        // SAFETY: both ranges are inside the frame; `copy` allows overlap.
        unsafe { core::ptr::copy(sp.add(args as usize), sp, results as usize) };
        // SAFETY: this function's own conditions.
        return unsafe { ret(ip, sp, mem, len, cx) };
    }
    next!(resume, sp, mem, len, cx)
}

handler!(
    /// Copies one slot.
    copy(o: Copy, ip, sp, mem, len, cx) {
        s!(sp, o.dst) = s!(sp, o.src);
    }
);

handler!(
    /// Two one-slot copies, in order (the second may read what the first
    /// wrote).
    copy_pair(o: CopyPair, ip, sp, mem, len, cx) {
        s!(sp, o.dst0) = s!(sp, o.src0);
        s!(sp, o.dst1) = s!(sp, o.src1);
    }
);

handler!(
    /// Copies two slots.
    copy2(o: Copy2, ip, sp, mem, len, cx) {
        s!(sp, o.dst) = s!(sp, o.src);
        s!(sp, o.dst + 1) = s!(sp, o.src + 1);
    }
);

handler!(
    /// A 32-bit constant.
    const32(o: Const32, ip, sp, mem, len, cx) {
        s!(sp, o.dst) = u64::from(o.value);
    }
);

handler!(
    /// A 64-bit constant.
    const64(o: Const64, ip, sp, mem, len, cx) {
        s!(sp, o.dst) = u64::from(o.lo) | (u64::from(o.hi) << 32);
    }
);

handler!(
    /// A `v128` constant from the pool.
    const_v128(o: ConstV128, ip, sp, mem, len, cx) {
        // SAFETY: `func` is the current frame's code, alive while it runs.
        let v = unsafe { (&(*(*cx).func).pool)[o.index as usize] };
        set_v128!(sp, o.dst, v);
    }
);

handler!(
    /// `select`.
    select(o: Select, ip, sp, mem, len, cx) {
        s!(sp, o.dst) = if s!(sp, o.cond) as u32 != 0 { s!(sp, o.a) } else { s!(sp, o.b) };
    }
);

handler!(
    /// `select` of `v128`s.
    select2(o: Select2, ip, sp, mem, len, cx) {
        let v = if s!(sp, o.cond) as u32 != 0 { v128!(sp, o.a) } else { v128!(sp, o.b) };
        set_v128!(sp, o.dst, v);
    }
);
