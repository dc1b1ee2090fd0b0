//! Activations: how the host enters the interpreter, and what the
//! handlers (`handlers.rs`) need from the store.
//!
//! One activation runs every wasm frame from the host's call to its return:
//! a call pushes a `FrameRec` on the activation's frame stack and
//! switches to the callee, so wasm recursion never recurses on the host
//! stack. Host functions are called directly through [`call_host`]; if
//! they call back into wasm, that activation runs above `stack_top` on the
//! same value stack.

use crate::prelude::*;
use alloc::sync::Arc;

use nanowasm_core::ValType;

use super::code::CompiledFunc;
use super::handlers::{self, control, Cx, Done};
use crate::error::{Error, ErrorKind, FrameInfo, Trap};
use crate::func::{cells_of, Caller};
use crate::global::val_to_raw;
use crate::store::{type_mismatch, FuncEntity, Store, StoreInner};
use crate::trap::TrapCode;
use crate::values::{scratch, Val};

/// Writes `v` into the slot(s) at `at`; returns the slot after them.
#[inline]
fn store_val(stack: &mut [u64], at: usize, v: &Val) -> usize {
    let raw = val_to_raw(v);
    stack[at] = raw as u64;
    if let Val::V128(_) = v {
        stack[at + 1] = (raw >> 64) as u64;
        at + 2
    } else {
        at + 1
    }
}

#[inline]
fn load_val(inner: &StoreInner, at: usize, ty: ValType) -> Val {
    let stack = &inner.interp.stack;
    let raw = if ty == ValType::V128 {
        u128::from(stack[at]) | (u128::from(stack[at + 1]) << 64)
    } else {
        u128::from(stack[at])
    };
    inner.raw_to_val(raw, ty)
}

#[cold]
#[inline(never)]
pub(crate) fn translation_failed(e: &str) -> Error {
    Error::usage(format!("translation failed: {e}"))
}

/// The interpreter's state in a store: what its activations share.
#[derive(Default)]
pub(crate) struct StoreState {
    /// The value stack shared by all activations in this store.
    pub stack: Vec<u64>,
    /// The first free slot of `stack` (activations nest above it).
    pub top: usize,
    /// A frame stack kept for the next activation (empty between them).
    pub frames: handlers::FrameCache,
    /// The call cache: for store function `i`, once it has been called
    /// from wasm, its code, instance and index (`None` for host functions
    /// and functions not called yet).
    pub callees: Vec<Option<handlers::Callee>>,
}

/// Calls store function `func` with `params`, writing `results`: the
/// host's way into a store, checked against the store's native stack limit
/// (host functions that call back into wasm come here again).
pub(crate) fn invoke<T>(
    store: &mut Store<T>,
    func: u32,
    params: &[Val],
    results: &mut [Val],
) -> Result<(), Error> {
    #[cfg(nanowasm_compiler)]
    if let Some((instance, index)) = crate::compiler::compiled_target(&store.inner, func) {
        return crate::compiler::invoke(store, instance, index, params, results);
    }
    let (instance, index) = match store.inner.funcs[func as usize] {
        FuncEntity::Wasm {
            instance, index, ..
        } => (instance, index),
        FuncEntity::Host { host, .. } => return invoke_host(store, host, params, results),
    };
    let inner = &mut store.inner;
    let compiled = match inner.instances[instance as usize].module.compiled(index) {
        Ok(c) => Arc::clone(c),
        Err(e) => return Err(translation_failed(e)),
    };
    let base = inner.interp.top;
    // Room for the parameters; `run` makes room for the rest of the frame.
    reserve(inner, base + compiled.param_slots as usize)?;
    let mut at = base;
    for p in params {
        at = store_val(&mut inner.interp.stack, at, p);
    }
    debug_assert_eq!(at, base + compiled.param_slots as usize);
    let saved_depth = inner.depth;
    if saved_depth + 1 > inner.max_call_depth() {
        return Err(TrapCode::StackOverflow.into());
    }
    let saved_entry = crate::stack::enter(inner)?;
    inner.depth = saved_depth + 1;
    let r = run(store, &compiled, base, instance, index);
    store.inner.interp.top = base;
    store.inner.depth = saved_depth;
    store.inner.stack_entry = saved_entry;
    r?;
    let inner = &store.inner;
    let mut at = base;
    for (slot, &t) in results.iter_mut().zip(inner.func_type(func).results()) {
        *slot = load_val(inner, at, t);
        at += if t == ValType::V128 { 2 } else { 1 };
    }
    Ok(())
}

/// Runs `func` (function `index` of `instance`), whose frame is at slot
/// `base`, until it returns.
fn run<T>(
    store: &mut Store<T>,
    func: &Arc<CompiledFunc>,
    base: usize,
    instance: u32,
    index: u32,
) -> Result<(), Error> {
    let max_frames = store
        .inner
        .max_call_depth()
        .saturating_sub(store.inner.depth);
    let frames = core::mem::take(&mut store.inner.interp.frames.0);
    let store_ptr: *mut Store<T> = store;
    let dangling = core::ptr::NonNull::<u64>::dangling().as_ptr();
    let mut cx = Cx {
        store: store_ptr.cast(),
        call_host: call_host::<T>,
        frames,
        max_frames,
        func: Arc::as_ptr(func),
        instance: u32::MAX,
        index,
        funcs: core::ptr::null(),
        globals: core::ptr::null(),
        mem: usize::MAX,
        stack: dangling,
        stack_len: 0,
        exit: None,
        exit_ip: core::ptr::null(),
        exit_base: 0,
        pending: handlers::Pending {
            target: 0,
            args: 0,
            ret: core::ptr::null(),
            tail: None,
        },
        resume: (core::ptr::null(), dangling, core::ptr::null_mut(), 0),
    };
    // SAFETY: `store_ptr` comes from the live `&mut Store<T>`, which is not
    // used again until the activation ends; every access below goes
    // through `cx.store`.
    let entry = unsafe {
        let inner = &mut (*store_ptr).inner;
        let (mem, len) = cx.enter_instance(inner, instance);
        cx.refresh_stack(inner);
        // The frame, as a call makes it but with no caller (its parameters
        // are in place): `refresh_stack` made `cx.stack` the store's value
        // stack.
        control::frame_at(&mut cx, inner, None, base, func).map(|sp| (sp, mem, len))
    };
    let mut done = entry.map(|(sp, mem, len)| {
        // SAFETY: `func`'s code starts with an instruction and `sp`, the
        // memory and `cx` are this activation's: `run`'s conditions.
        unsafe { handlers::run(func.code.as_ptr(), sp, mem, len, &mut cx) }
    });
    let result = loop {
        match done {
            None => break Err(TrapCode::StackOverflow.into()),
            Some(Done::Return) => break Ok(()),
            Some(Done::Exit | Done::Next) => {
                let exit = cx.exit.take().unwrap_or(Exit::Error(Error::bug(
                    "the interpreter stopped without a reason",
                )));
                // SAFETY: as for `entry`: the activation is between
                // handlers, and nothing else uses the store.
                let inner = unsafe { &mut (*store_ptr).inner };
                let Some(exn) = thrown(inner, &exit) else {
                    break Err(exit_error(store, &cx, exit));
                };
                // An exception: its handler in this activation, if any.
                cx.refresh_stack(inner);
                // SAFETY: `cx` is this activation's, stopped at a throw
                // (or a failed call) of its current frame.
                match unsafe { unwind(&mut cx, inner, exn) } {
                    Ok(Some((ip, sp, mem, len))) => {
                        // SAFETY: `ip` is a landing pad of the current
                        // frame's code, `sp` its frame and `mem`/`len` its
                        // instance's memory: `run`'s conditions.
                        done = Some(unsafe { handlers::run(ip, sp, mem, len, &mut cx) });
                    }
                    Ok(None) => break Err(uncaught(inner, exn)),
                    Err(e) => break Err(e),
                }
            }
        }
    };
    let mut frames = core::mem::take(&mut cx.frames);
    frames.clear();
    if frames.capacity() > store.inner.interp.frames.0.capacity() {
        store.inner.interp.frames.0 = frames;
    }
    result
}

/// Calls host function `func` for the wasm frame at `caller_base`, with
/// the arguments in the slots from `args` (where the results go): the
/// interpreter's [`HostCall`](handlers::HostCall) for stores of `T`.
///
/// # Safety
/// `cx.store` is the live `Store<T>` of the running activation, otherwise
/// unused while this runs.
pub(crate) unsafe fn call_host<T>(cx: &mut Cx, func: u32, caller_base: usize, args: usize) -> bool {
    // SAFETY: the caller's guarantee.
    match unsafe { call_host_result::<T>(cx, func, caller_base, args) } {
        Ok(()) => true,
        Err(e) => {
            cx.exit = Some(e);
            false
        }
    }
}

/// Runs host function call `f` from the current frame: the value stack's
/// top at `top` (above the caller's frame and the arguments) and the call
/// depth counting the interpreter's frames, both restored afterwards; an
/// error if the host replaced the whole store meanwhile (nothing of this
/// frame is in the new one).
fn in_host<T, R>(
    store: &mut Store<T>,
    cx: &Cx,
    top: usize,
    f: impl FnOnce(Caller<'_, T>) -> R,
) -> Result<R, Exit> {
    let id = store.inner.id;
    let saved_top = store.inner.interp.top;
    let saved_depth = store.inner.depth;
    store.inner.interp.top = top;
    store.inner.depth += cx.frames.len() + 1;
    let r = f(Caller {
        store: &mut *store,
        instance: cx.instance,
    });
    if store.inner.id != id {
        return Err(Exit::Error(store_replaced()));
    }
    store.inner.interp.top = saved_top;
    store.inner.depth = saved_depth;
    Ok(r)
}

/// [`call_host`] with its error as a value.
///
/// # Safety
/// As for [`call_host`].
unsafe fn call_host_result<T>(
    cx: &mut Cx,
    func: u32,
    caller_base: usize,
    args: usize,
) -> Result<(), Exit> {
    // SAFETY: the caller's guarantee; `Cx` is a separate object.
    let store = unsafe { &mut *cx.store.cast::<Store<T>>() };
    let FuncEntity::Host { host, .. } = store.inner.funcs[func as usize] else {
        return Err(Exit::Error(Error::bug("a host call to a wasm function")));
    };
    // SAFETY: the current frame's code is alive while it runs.
    let caller_slots = unsafe { (*cx.func).frame_slots } as usize;
    // Host types are only ever added: `host` stays valid while the host
    // runs, so the type is borrowed, not cloned.
    let ty = &store.inner.host_types[host as usize];
    let f = store.hosts.get(host);
    if let Some((n, raw)) = f.raw.as_ref().filter(|&&(n, _)| n <= 16) {
        // A typed host function works on a copy of the argument cells
        // (the host may grow the value stack by calling back into wasm).
        let (np, nr) = (cells_of(ty.params()), cells_of(ty.results()));
        let mut cells = [0u64; 16];
        cells[..np].copy_from_slice(&store.inner.interp.stack[args..args + np]);
        let top = (caller_base + caller_slots).max(args);
        let cells = &mut cells[..*n];
        in_host(store, cx, top, |caller| raw(caller, cells))?.map_err(Exit::Error)?;
        reserve(&mut store.inner, args + nr).map_err(|_| TrapCode::StackOverflow)?;
        store.inner.interp.stack[args..args + nr].copy_from_slice(&cells[..nr]);
        return Ok(());
    }
    let mut at = args;
    // The objects handed to the host here are rooted for the call only (as
    // wasmtime roots a host call's arguments); the caller's frame keeps
    // them meanwhile anyway.
    let mark = store.inner.gc.begin_scope();
    // Small signatures use stack buffers: no allocation per call.
    let (np, nr) = (ty.params().len(), ty.results().len());
    let (mut pbuf, mut rbuf) = ([Val::I32(0); 8], [Val::I32(0); 8]);
    let (mut pheap, mut rheap) = (Vec::new(), Vec::new());
    let params = scratch(&mut pbuf, &mut pheap, np);
    let results = scratch(&mut rbuf, &mut rheap, nr);
    for (p, &t) in params.iter_mut().zip(ty.params()) {
        *p = load_val(&store.inner, at, t);
        at += if t == ValType::V128 { 2 } else { 1 };
    }
    for (r, &t) in results.iter_mut().zip(ty.results()) {
        *r = Val::default_for(t);
    }
    let top = (caller_base + caller_slots).max(args);
    let r = in_host(store, cx, top, |caller| (f.call)(caller, params, results)).and_then(|r| {
        r.map_err(Exit::Error)?;
        // Nothing is written before every result is checked.
        let inner = &store.inner;
        for (v, &t) in results
            .iter()
            .zip(inner.host_types[host as usize].results())
        {
            check_host_result(inner, v, t).map_err(Exit::Error)?;
        }
        Ok(())
    });
    store.inner.gc.end_scope(mark);
    r?;
    let result_slots = cells_of(store.inner.host_types[host as usize].results());
    reserve(&mut store.inner, args + result_slots).map_err(|_| TrapCode::StackOverflow)?;
    let inner = &mut store.inner;
    let mut at = args;
    for v in results.iter() {
        at = store_val(&mut inner.interp.stack, at, v);
    }
    Ok(())
}

/// [`invoke`] of a host function.
#[inline(never)]
fn invoke_host<T>(
    store: &mut Store<T>,
    host: u32,
    params: &[Val],
    results: &mut [Val],
) -> Result<(), Error> {
    let f = store.hosts.get(host);
    let id = store.inner.id;
    let saved_entry = crate::stack::enter(&mut store.inner)?;
    let r = (f.call)(
        Caller {
            store: &mut *store,
            instance: Caller::<T>::NO_INSTANCE,
        },
        params,
        results,
    );
    if store.inner.id != id {
        return Err(store_replaced());
    }
    store.inner.stack_entry = saved_entry;
    r?;
    let inner = &store.inner;
    for (v, &t) in results
        .iter()
        .zip(inner.host_types[host as usize].results())
    {
        check_host_result(inner, v, t)?;
    }
    Ok(())
}

/// Checks a value a host function returned as a result of type `t`: of
/// that type, and a reference of this store.
#[inline]
pub(crate) fn check_host_result(inner: &StoreInner, v: &Val, t: ValType) -> Result<(), Error> {
    if !v.matches(t) {
        return Err(type_mismatch(
            "a host function returned a value of the wrong type: its result",
            t,
            v,
        ));
    }
    inner
        .check_ref(v)
        .map_err(|_| host_result_of_another_store())?;
    if !inner.matches_concrete(v, t) {
        return Err(type_mismatch(
            "a host function returned a value of the wrong type: its result",
            t,
            v,
        ));
    }
    Ok(())
}

#[cold]
#[inline(never)]
pub(crate) fn host_result_of_another_store() -> Error {
    Error::usage(
        "a host function returned a reference of another store (object used with the wrong store)",
    )
}

#[cold]
#[inline(never)]
pub(crate) fn store_replaced() -> Error {
    Error::usage("a host function replaced the store it was called from")
}

/// Makes the value stack at least `need` slots long.
#[inline]
fn reserve(inner: &mut StoreInner, need: usize) -> Result<(), Error> {
    if need > inner.interp.stack.len() {
        grow_stack(inner, need)
    } else {
        Ok(())
    }
}

#[cold]
#[inline(never)]
pub(crate) fn grow_stack(inner: &mut StoreInner, need: usize) -> Result<(), Error> {
    if need > inner.engine.config().max_stack_slots {
        return Err(TrapCode::StackOverflow.into());
    }
    let new_len = need
        .max(inner.interp.stack.len() * 2)
        .min(inner.engine.config().max_stack_slots)
        .max(need);
    inner.interp.stack.resize(new_len, 0);
    Ok(())
}

/// The wasm frames of the activation `cx`, innermost first.
fn backtrace<T>(store: &Store<T>, cx: &Cx) -> Vec<FrameInfo> {
    let current = (cx.func, cx.exit_ip, cx.instance, cx.index);
    // A caller's `ret_ip` is the instruction after its call: the word
    // before it is inside the call.
    let callers = cx
        .frames
        .iter()
        .rev()
        .map(|f| (f.func, f.ret_ip.wrapping_sub(1), f.instance, f.index));
    core::iter::once(current)
        .chain(callers)
        .filter_map(|(func, ip, instance, index)| {
            let module = &store.inner.instances.get(instance as usize)?.module;
            let names = &module.binary().names;
            // SAFETY: frames only name translations their module keeps.
            let func: &CompiledFunc = unsafe { func.as_ref()? };
            let word = (ip as usize).wrapping_sub(func.code.as_ptr() as usize) / 8;
            let offset = func.wasm_offset(word) as usize;
            Some(FrameInfo {
                func_index: index,
                func_name: names.function(index).map(str::to_owned),
                offset,
                module_name: names.module.clone(),
            })
        })
        .collect()
}

/// `[start, start + len)` within `size`, or a trap.
#[inline(always)]
pub(crate) fn range(
    start: u64,
    len: u64,
    size: usize,
    trap: TrapCode,
) -> Result<core::ops::Range<usize>, TrapCode> {
    let end = start.checked_add(len).ok_or(trap)?;
    if end > size as u64 {
        return Err(trap);
    }
    Ok(start as usize..end as usize)
}

/// The exception object `exit` throws: a `throw`'s, or one that a host
/// function (or a nested activation) failed with, if it is this store's.
fn thrown(inner: &StoreInner, exit: &Exit) -> Option<u32> {
    match exit {
        Exit::Throw(exn) => Some(*exn),
        Exit::Error(e) => e
            .as_exception()
            .filter(|x| x.0.store == inner.id)
            .map(|x| x.0.index),
        Exit::Trap(_) => None,
    }
}

/// The error of an exception that no handler caught: a reference to it
/// (so it is never freed) and its tag's description.
fn uncaught(inner: &mut StoreInner, exn: u32) -> Error {
    inner.exns.expose(exn);
    let tag = inner.exns.get(exn).tag;
    let what = crate::exn::describe_tag(inner, tag);
    tracing::debug!(exception = %what, "uncaught exception");
    let r = crate::exn::ExnRef(crate::store::Stored {
        store: inner.id,
        index: exn,
    });
    ErrorKind::Exception(r, what).into()
}

/// Finds the handler of exception object `exn`, thrown by the current
/// frame at `cx.exit_ip` (its frame at `cx.exit_base`), there or in a
/// caller of this activation (each searched at its call, the frames
/// above popped): writes what the clause passes into the frame's slots
/// and returns the landing pad, its frame and its instance's memory.
/// `None`: no handler here (the frames are all popped).
///
/// # Safety
/// `cx` is this activation's, stopped at a throw of its current frame,
/// with its value stack refreshed.
unsafe fn unwind(
    cx: &mut Cx,
    inner: &mut StoreInner,
    exn: u32,
) -> Result<Option<(handlers::Ip, handlers::Sp, *mut u8, usize)>, Error> {
    use crate::interp::code::ClauseKind;
    let mut ip = cx.exit_ip;
    let mut base = cx.exit_base;
    loop {
        // SAFETY: `cx.func` is the running frame's code, kept alive by its
        // module (and the call cache) while the activation runs.
        let func = unsafe { &*cx.func };
        // SAFETY: `ip` points into `func`'s code.
        let word = unsafe { ip.offset_from(func.code.as_ptr()) } as u32;
        let tag = inner.exns.get(exn).tag;
        let mut limit = u32::MAX;
        // The legacy catch blocks the exception leaves (those around the
        // throw, inside the handler that takes it): their hidden slots.
        let mut left: Vec<usize> = Vec::new();
        for h in &func.handlers {
            if (h.catch_start..h.catch_end).contains(&word) {
                left.push(base + h.base_slot as usize);
                continue;
            }
            if word < h.start || word >= h.end || h.nesting > limit {
                continue;
            }
            for c in &h.clauses {
                if let ClauseKind::Delegate(n) = c.kind {
                    // The search goes on outside the delegate's label.
                    limit = n;
                    break;
                }
                let tags = &inner.instances[cx.instance as usize].tags;
                if c.tag.is_some_and(|t| tags[t as usize] != tag) {
                    continue;
                }
                let raw = u64::from(exn) + 1;
                // A clause of any tag (`catch_all`) takes no values.
                let values: &[u64] = match c.tag {
                    Some(_) => &inner.exns.get(exn).values,
                    None => &[],
                };
                let mut at = base + h.base_slot as usize;
                let n = values.len() + usize::from(c.kind != ClauseKind::Values);
                let slots = inner
                    .interp
                    .stack
                    .get_mut(at..at + n)
                    .ok_or_else(|| Error::bug("a landing pad's slots are outside the stack"))?;
                if c.kind == ClauseKind::RefValues {
                    slots[0] = raw;
                    at = 1;
                } else {
                    at = 0;
                }
                slots[at..at + values.len()].copy_from_slice(values);
                if c.kind == ClauseKind::ValuesRef {
                    slots[n - 1] = raw;
                }
                match c.kind {
                    ClauseKind::ValuesRef => inner.exns.expose(exn),
                    ClauseKind::RefValues => inner.exns.hold(exn),
                    _ => {}
                }
                leave_catches(inner, &left, exn);
                if c.kind == ClauseKind::Values {
                    inner.exns.release(exn);
                }
                let (mem, len) = cx.memory(inner);
                // SAFETY: the pad is a word of `func`'s code (checked when
                // it was encoded), and `base` is the frame's slot in the
                // value stack that starts at `cx.stack`.
                let (pad, sp) =
                    unsafe { (func.code.as_ptr().add(c.pad as usize), cx.stack.add(base)) };
                return Ok(Some((pad, sp, mem, len)));
            }
        }
        leave_catches(inner, &left, exn);
        // Not here: the caller, at its call.
        let Some(caller) = cx.frames.pop() else {
            return Ok(None);
        };
        cx.func = caller.func;
        cx.index = caller.index;
        if caller.instance != cx.instance {
            cx.enter_instance(inner, caller.instance);
        }
        // SAFETY: a return address follows its call instruction in the
        // same code.
        ip = unsafe { caller.ret_ip.sub(1) };
        base = caller.base;
    }
}

/// The legacy catch blocks whose hidden slots are `left` no longer hold
/// their exceptions (the one in flight, `exn`, is not freed).
fn leave_catches(inner: &mut StoreInner, left: &[usize], exn: u32) {
    for &slot in left {
        if let Some(raw) = inner.interp.stack.get(slot).copied().filter(|&r| r != 0) {
            inner.exns.unhold((raw - 1) as u32, Some(exn));
        }
    }
}

/// The error of an activation that ended with `exit`.
#[cold]
#[inline(never)]
fn exit_error<T>(store: &Store<T>, cx: &Cx, exit: Exit) -> Error {
    match exit {
        Exit::Trap(code) => {
            let backtrace = backtrace(store, cx);
            log_trap(code, &backtrace, "wasm trapped");
            Error::from(Trap { code, backtrace })
        }
        // A trap a host function returned (a WASI call ended by its
        // deadline, say) gets the wasm frames that called it, unless it
        // carries its own (from wasm it called in turn).
        Exit::Error(e) => match e.trap_without_backtrace() {
            Some(code) => {
                let backtrace = backtrace(store, cx);
                log_trap(code, &backtrace, "a host function trapped");
                Error::from(Trap { code, backtrace })
            }
            None => e,
        },
        // `run` handles exceptions before it comes here.
        Exit::Throw(_) => Error::bug("an exception reached `exit_error`"),
    }
}

/// Logs a trap at `debug`: its code, the innermost frame and the depth.
pub(crate) fn log_trap(code: TrapCode, backtrace: &[FrameInfo], what: &'static str) {
    tracing::debug!(
        trap = %code,
        at = %FrameOrNone(backtrace.first()),
        depth = backtrace.len(),
        "{what}"
    );
}

/// Displays a frame, or `-` for none.
struct FrameOrNone<'a>(Option<&'a FrameInfo>);

impl core::fmt::Display for FrameOrNone<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(frame) => frame.fmt(f),
            None => f.write_str("-"),
        }
    }
}

/// Why an activation ended early.
pub(crate) enum Exit {
    Trap(TrapCode),
    Error(Error),
    /// An exception (a store exception object) was thrown.
    Throw(u32),
}

impl From<TrapCode> for Exit {
    fn from(t: TrapCode) -> Exit {
        Exit::Trap(t)
    }
}
