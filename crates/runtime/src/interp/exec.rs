//! Execution of [`CompiledFunc`] code.
//!
//! One loop runs every wasm frame of an activation: a call pushes the
//! caller's `(function, pc, base)` on `calls` and switches to the callee,
//! so wasm recursion never recurses on the host stack. Host functions are
//! called directly; if they call back into wasm, that activation runs
//! above `stack_top` on the same value stack.

use std::sync::Arc;

use nanowasm_core::{Opcode, ValType};

use super::code::{CompiledFunc, Instr};
use super::{num, simd};
use crate::error::{Error, FrameInfo, Trap};
use crate::func::Caller;
use crate::global::{raw_to_val, val_to_raw};
use crate::store::{type_mismatch, FuncEntity, Store, StoreInner};
use crate::trap::TrapCode;
use crate::values::{scratch, Val};

struct Frame {
    func: Arc<CompiledFunc>,
    pc: usize,
    base: usize,
    instance: u32,
    /// The function's index in its module (for backtraces).
    index: u32,
}

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
fn load_val(store: u64, stack: &[u64], at: usize, ty: ValType) -> Val {
    let raw = if ty == ValType::V128 {
        u128::from(stack[at]) | (u128::from(stack[at + 1]) << 64)
    } else {
        u128::from(stack[at])
    };
    raw_to_val(store, raw, ty)
}

fn slots(types: &[ValType]) -> usize {
    types
        .iter()
        .map(|&t| if t == ValType::V128 { 2 } else { 1 })
        .sum()
}

/// Zeroes `stack[from..to]` (a frame's declared locals). Most frames have
/// none: skip the `memset` call then (on an empty stack its pointer is
/// dangling, and a zero-length masked store there is very slow).
#[inline]
fn zero_locals(stack: &mut [u64], from: usize, to: usize) {
    if from < to {
        stack[from..to].fill(0);
    }
}

#[cold]
#[inline(never)]
fn translation_failed(e: &str) -> Error {
    Error::Usage(format!("translation failed: {e}"))
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
    let (instance, index, type_id) = match store.inner.funcs[func as usize] {
        FuncEntity::Wasm {
            instance,
            index,
            type_id,
        } => (instance, index, type_id),
        FuncEntity::Host { host, type_id } => {
            return invoke_host(store, host, type_id, params, results)
        }
    };
    let inner = &mut store.inner;
    let compiled = match inner.instances[instance as usize].module.compiled(index) {
        Ok(c) => Arc::clone(c),
        Err(e) => return Err(translation_failed(e)),
    };
    let base = inner.stack_top;
    // The translator makes `frame_slots` cover the parameters, the locals
    // and the results.
    reserve(inner, base + compiled.frame_slots as usize)?;
    let mut at = base;
    for p in params {
        at = store_val(&mut inner.stack, at, p);
    }
    debug_assert_eq!(at, base + compiled.param_slots as usize);
    zero_locals(
        &mut inner.stack,
        base + compiled.param_slots as usize,
        base + compiled.local_slots as usize,
    );
    let saved_depth = inner.depth;
    if saved_depth + 1 > inner.max_call_depth() {
        return Err(TrapCode::StackOverflow.into());
    }
    let saved_entry = crate::stack::enter(inner)?;
    inner.depth = saved_depth + 1;
    let frame = Frame {
        func: compiled,
        pc: 0,
        base,
        instance,
        index,
    };
    let r = run(store, frame);
    store.inner.stack_top = base;
    store.inner.depth = saved_depth;
    store.inner.stack_entry = saved_entry;
    r?;
    let inner = &store.inner;
    let mut at = base;
    // Store types are only ever added: `type_id` is still valid.
    for (slot, &t) in results
        .iter_mut()
        .zip(inner.types[type_id as usize].results())
    {
        *slot = load_val(inner.id, &inner.stack, at, t);
        at += if t == ValType::V128 { 2 } else { 1 };
    }
    Ok(())
}

/// [`invoke`] of a host function.
#[inline(never)]
fn invoke_host<T>(
    store: &mut Store<T>,
    host: u32,
    type_id: u32,
    params: &[Val],
    results: &mut [Val],
) -> Result<(), Error> {
    let f = store.hosts[host as usize].clone();
    let id = store.inner.id;
    let saved_entry = crate::stack::enter(&mut store.inner)?;
    let r = f(
        Caller {
            store: &mut *store,
            instance: None,
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
    for (v, &t) in results.iter().zip(inner.types[type_id as usize].results()) {
        check_host_result(inner, v, t)?;
    }
    Ok(())
}

/// Checks a value a host function returned as a result of type `t`: of
/// that type, and a reference of this store.
#[inline]
fn check_host_result(inner: &StoreInner, v: &Val, t: ValType) -> Result<(), Error> {
    if !v.matches(t) {
        return Err(type_mismatch(
            "a host function returned a value of the wrong type: its result",
            t,
            v,
        ));
    }
    inner
        .check_ref(v)
        .map_err(|_| host_result_of_another_store())
}

#[cold]
#[inline(never)]
fn host_result_of_another_store() -> Error {
    Error::Usage(
        "a host function returned a reference of another store (object used with the wrong store)"
            .into(),
    )
}

#[cold]
#[inline(never)]
fn store_replaced() -> Error {
    Error::Usage("a host function replaced the store it was called from".into())
}

/// Makes the value stack at least `need` slots long.
#[inline]
fn reserve(inner: &mut StoreInner, need: usize) -> Result<(), Error> {
    if need > inner.stack.len() {
        grow_stack(inner, need)
    } else {
        Ok(())
    }
}

#[cold]
#[inline(never)]
fn grow_stack(inner: &mut StoreInner, need: usize) -> Result<(), Error> {
    if need > inner.engine.config().max_stack_slots {
        return Err(TrapCode::StackOverflow.into());
    }
    let new_len = need
        .max(inner.stack.len() * 2)
        .min(inner.engine.config().max_stack_slots)
        .max(need);
    inner.stack.resize(new_len, 0);
    Ok(())
}

fn backtrace<T>(store: &Store<T>, cur: &Frame, calls: &[Frame]) -> Vec<FrameInfo> {
    std::iter::once(cur)
        .chain(calls.iter().rev())
        .map(|f| {
            let module = &store.inner.instances[f.instance as usize].module;
            let names = &module.binary().names;
            let offset = f
                .func
                .offsets
                .get(f.pc.saturating_sub(1))
                .copied()
                .unwrap_or(0) as usize;
            FrameInfo {
                func_index: f.index,
                func_name: names.function(f.index).map(str::to_owned),
                offset,
                module_name: names.module.clone(),
            }
        })
        .collect()
}

#[inline]
fn ea(addr: u64, offset: u32, size: usize, len: usize) -> Result<usize, TrapCode> {
    let start = u64::from(addr as u32) + u64::from(offset);
    let end = start + size as u64;
    if end > len as u64 {
        return Err(TrapCode::MemoryOutOfBounds);
    }
    Ok(start as usize)
}

#[inline]
fn read_n<const N: usize>(mem: &[u8], addr: u64, offset: u32) -> Result<[u8; N], TrapCode> {
    let start = ea(addr, offset, N, mem.len())?;
    let mut out = [0u8; N];
    out.copy_from_slice(&mem[start..start + N]);
    Ok(out)
}

#[inline]
fn write_n(mem: &mut [u8], addr: u64, offset: u32, bytes: &[u8]) -> Result<(), TrapCode> {
    let start = ea(addr, offset, bytes.len(), mem.len())?;
    mem[start..start + bytes.len()].copy_from_slice(bytes);
    Ok(())
}

/// `[start, start + len)` within `size`, or a trap.
#[inline]
fn range(
    start: u64,
    len: u64,
    size: usize,
    trap: TrapCode,
) -> Result<std::ops::Range<usize>, TrapCode> {
    let end = start.checked_add(len).ok_or(trap)?;
    if end > size as u64 {
        return Err(trap);
    }
    Ok(start as usize..end as usize)
}

#[inline]
fn run<T>(store: &mut Store<T>, mut cur: Frame) -> Result<(), Error> {
    let mut calls: Vec<Frame> = Vec::new();
    match run_loop(store, &mut cur, &mut calls) {
        Ok(()) => Ok(()),
        Err(e) => Err(exit_error(store, &cur, &calls, e)),
    }
}

/// The error of an activation that ended with `exit` in frame `cur`.
#[cold]
#[inline(never)]
fn exit_error<T>(store: &Store<T>, cur: &Frame, calls: &[Frame], exit: Exit) -> Error {
    match exit {
        Exit::Trap(code) => {
            let backtrace = backtrace(store, cur, calls);
            log_trap(code, &backtrace, "wasm trapped");
            Error::Trap(Trap { code, backtrace })
        }
        // A trap a host function returned (a WASI call ended by its
        // deadline, say) gets the wasm frames that called it, unless it
        // carries its own (from wasm it called in turn).
        Exit::Error(e) => match e.trap_without_backtrace() {
            Some(code) => {
                let backtrace = backtrace(store, cur, calls);
                log_trap(code, &backtrace, "a host function trapped");
                Error::Trap(Trap { code, backtrace })
            }
            None => e,
        },
    }
}

/// Logs a trap at `debug`: its code, the innermost frame and the depth.
fn log_trap(code: TrapCode, backtrace: &[FrameInfo], what: &'static str) {
    tracing::debug!(
        trap = %code,
        at = %FrameOrNone(backtrace.first()),
        depth = backtrace.len(),
        "{what}"
    );
}

/// Displays a frame, or `-` for none.
struct FrameOrNone<'a>(Option<&'a FrameInfo>);

impl std::fmt::Display for FrameOrNone<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(frame) => frame.fmt(f),
            None => f.write_str("-"),
        }
    }
}

enum Exit {
    Trap(TrapCode),
    Error(Error),
}

impl From<TrapCode> for Exit {
    fn from(t: TrapCode) -> Exit {
        Exit::Trap(t)
    }
}

/// A pointer to slot `base` of the value stack.
#[inline]
fn frame_regs(inner: &mut StoreInner, base: usize) -> *mut u64 {
    inner.stack.as_mut_ptr().wrapping_add(base)
}

#[inline]
fn mem_index(inner: &StoreInner, instance: u32) -> usize {
    inner.instances[instance as usize]
        .memories
        .first()
        .map_or(usize::MAX, |&m| m as usize)
}

/// The interpreter loop's hot state, kept in registers: `step` is inlined
/// into `run_loop`, so these fields live in locals, not memory.
struct LoopState {
    /// The next instruction of the current frame.
    pc: usize,
    /// The current frame's code (`cur.func.code`), kept here so that the
    /// fetch is not reloaded through `cur` after every register write
    /// (which the compiler must assume may alias it). The frame's `Arc`
    /// keeps it alive; refreshed wherever `cur` changes.
    code: *const Instr,
    code_len: usize,
    /// The current frame's slots. Valid while the value stack is not
    /// reallocated: refreshed after every call and return (the only places
    /// that reserve stack or switch frames).
    regs: *mut u64,
    /// The store index of the current instance's memory 0.
    mem: usize,
    max_depth: usize,
}

fn run_loop<T>(store: &mut Store<T>, cur: &mut Frame, calls: &mut Vec<Frame>) -> Result<(), Exit> {
    let mut st = LoopState {
        pc: cur.pc,
        code: cur.func.code.as_ptr(),
        code_len: cur.func.code.len(),
        regs: frame_regs(&mut store.inner, cur.base),
        mem: mem_index(&store.inner, cur.instance),
        max_depth: store.inner.max_call_depth(),
    };
    loop {
        match step(store, cur, calls, &mut st) {
            Ok(false) => {}
            Ok(true) => return Ok(()),
            Err(e) => {
                // Traps report the faulting instruction in the backtrace.
                cur.pc = st.pc;
                return Err(e);
            }
        }
    }
}

/// Executes one instruction; `Ok(true)` when the activation returned.
#[inline(always)]
fn step<T>(
    store: &mut Store<T>,
    cur: &mut Frame,
    calls: &mut Vec<Frame>,
    st: &mut LoopState,
) -> Result<bool, Exit> {
    macro_rules! s {
        ($r:expr) => {
            // SAFETY: `regs` points at the current frame's base in the value
            // stack, which `reserve` made at least `base + frame_slots` long
            // before the frame was entered and which is not reallocated
            // until `regs` is refreshed. Every register in the frame's code
            // is below `frame_slots` (the translator sizes the frame from
            // `Instr::slots_end` of its own code).
            *unsafe { &mut *st.regs.add($r as usize) }
        };
    }
    macro_rules! v128 {
        ($r:expr) => {
            u128::from(s!($r)) | (u128::from(s!($r + 1)) << 64)
        };
    }
    macro_rules! set_v128 {
        ($r:expr, $v:expr) => {{
            let v: u128 = $v;
            s!($r) = v as u64;
            s!($r + 1) = (v >> 64) as u64;
        }};
    }
    macro_rules! memory {
        () => {
            match store.inner.memories.get_mut(st.mem) {
                Some(m) => &mut m.data,
                None => return Err(TrapCode::MemoryOutOfBounds.into()),
            }
        };
    }
    {
        if st.pc >= st.code_len {
            // The translator ends every function with `Return` and keeps
            // branch targets inside it, so this is never taken.
            return Err(TrapCode::Unreachable.into());
        }
        // SAFETY: `code`/`code_len` are the current frame's instructions
        // (refreshed on every frame switch), kept alive by `cur.func`, and
        // `pc < code_len` was just checked.
        let instr = unsafe { *st.code.add(st.pc) };
        st.pc += 1;
        match instr {
            Instr::Unreachable => return Err(TrapCode::Unreachable.into()),
            Instr::ConsumeFuel(n) => {
                let n = u64::from(n);
                if store.inner.fuel < n {
                    store.inner.fuel = 0;
                    return Err(TrapCode::OutOfFuel.into());
                }
                store.inner.fuel -= n;
            }
            Instr::CheckInterrupt => {
                if store.inner.engine.epoch() >= store.inner.epoch_deadline {
                    return Err(TrapCode::Interrupted.into());
                }
            }
            Instr::Br(t) => st.pc = t as usize,
            Instr::BrIfNez { cond, target } => {
                if s!(cond) as u32 != 0 {
                    st.pc = target as usize;
                }
            }
            Instr::BrIfEqz { cond, target } => {
                if s!(cond) as u32 == 0 {
                    st.pc = target as usize;
                }
            }
            Instr::BrIfCmp32 { cmp, a, b, target } => {
                if cmp.eval(s!(a) as u32, s!(b) as u32) {
                    st.pc = target as usize;
                }
            }
            Instr::BrTable { index, len } => {
                let i = (s!(index) as u32).min(len);
                st.pc += i as usize;
            }
            Instr::Return => match calls.pop() {
                None => return Ok(true),
                Some(caller) => {
                    let instance_changed = caller.instance != cur.instance;
                    *cur = caller;
                    st.pc = cur.pc;
                    st.code = cur.func.code.as_ptr();
                    st.code_len = cur.func.code.len();
                    st.regs = frame_regs(&mut store.inner, cur.base);
                    if instance_changed {
                        st.mem = mem_index(&store.inner, cur.instance);
                    }
                }
            },
            Instr::Copy { dst, src } => s!(dst) = s!(src),
            Instr::Copy2 { dst, src } => {
                s!(dst) = s!(src);
                s!(dst + 1) = s!(src + 1);
            }
            Instr::Const32 { dst, value } => s!(dst) = u64::from(value),
            Instr::Const64 { dst, lo, hi } => s!(dst) = u64::from(lo) | (u64::from(hi) << 32),
            Instr::ConstV128 { dst, index } => {
                let v = cur.func.pool[index as usize];
                set_v128!(dst, v);
            }
            Instr::Call { func, args } => {
                let target = store.inner.instances[cur.instance as usize].funcs[func as usize];
                cur.pc = st.pc;
                call(store, cur, calls, target, args, st.max_depth, &mut st.mem)?;
                st.pc = cur.pc;
                st.code = cur.func.code.as_ptr();
                st.code_len = cur.func.code.len();
                st.regs = frame_regs(&mut store.inner, cur.base);
            }
            Instr::CallIndirect {
                ty,
                table,
                index,
                args,
            } => {
                let i = s!(index) as u32;
                let inst = &store.inner.instances[cur.instance as usize];
                let expected = inst.type_ids[ty as usize];
                let t = &store.inner.tables[inst.tables[table as usize] as usize];
                let raw = *t
                    .elements
                    .get(i as usize)
                    .ok_or(TrapCode::UndefinedElement)?;
                if raw == 0 {
                    return Err(TrapCode::UninitializedElement.into());
                }
                let target = (raw - 1) as u32;
                if store.inner.funcs[target as usize].type_id() != expected {
                    return Err(TrapCode::IndirectCallTypeMismatch.into());
                }
                cur.pc = st.pc;
                call(store, cur, calls, target, args, st.max_depth, &mut st.mem)?;
                st.pc = cur.pc;
                st.code = cur.func.code.as_ptr();
                st.code_len = cur.func.code.len();
                st.regs = frame_regs(&mut store.inner, cur.base);
            }
            Instr::Select { dst, cond, a, b } => {
                s!(dst) = if s!(cond) as u32 != 0 { s!(a) } else { s!(b) };
            }
            Instr::Select2 { dst, cond, a, b } => {
                let v = if s!(cond) as u32 != 0 {
                    v128!(a)
                } else {
                    v128!(b)
                };
                set_v128!(dst, v);
            }
            Instr::GlobalGet { dst, global } => {
                let g = store.inner.instances[cur.instance as usize].globals[global as usize];
                s!(dst) = store.inner.globals[g as usize].value as u64;
            }
            Instr::GlobalGet2 { dst, global } => {
                let g = store.inner.instances[cur.instance as usize].globals[global as usize];
                let v = store.inner.globals[g as usize].value;
                set_v128!(dst, v);
            }
            Instr::GlobalSet { src, global } => {
                let g = store.inner.instances[cur.instance as usize].globals[global as usize];
                store.inner.globals[g as usize].value = u128::from(s!(src));
            }
            Instr::GlobalSet2 { src, global } => {
                let g = store.inner.instances[cur.instance as usize].globals[global as usize];
                store.inner.globals[g as usize].value = v128!(src);
            }
            Instr::I32Load { dst, addr, offset } => {
                let a = s!(addr);
                let b: [u8; 4] = read_n(memory!(), a, offset)?;
                s!(dst) = u64::from(u32::from_le_bytes(b));
            }
            Instr::I64Load { dst, addr, offset } => {
                let a = s!(addr);
                let b: [u8; 8] = read_n(memory!(), a, offset)?;
                s!(dst) = u64::from_le_bytes(b);
            }
            Instr::I32Load8U { dst, addr, offset } => {
                let a = s!(addr);
                let b: [u8; 1] = read_n(memory!(), a, offset)?;
                s!(dst) = u64::from(b[0]);
            }
            Instr::I32Load8S { dst, addr, offset } => {
                let a = s!(addr);
                let b: [u8; 1] = read_n(memory!(), a, offset)?;
                s!(dst) = u64::from(b[0] as i8 as i32 as u32);
            }
            Instr::I32Load16U { dst, addr, offset } => {
                let a = s!(addr);
                let b: [u8; 2] = read_n(memory!(), a, offset)?;
                s!(dst) = u64::from(u16::from_le_bytes(b));
            }
            Instr::I32Load16S { dst, addr, offset } => {
                let a = s!(addr);
                let b: [u8; 2] = read_n(memory!(), a, offset)?;
                s!(dst) = u64::from(i16::from_le_bytes(b) as i32 as u32);
            }
            Instr::I32Store { addr, src, offset } => {
                let (a, v) = (s!(addr), s!(src));
                write_n(memory!(), a, offset, &v.to_le_bytes()[..4])?;
            }
            Instr::I64Store { addr, src, offset } => {
                let (a, v) = (s!(addr), s!(src));
                write_n(memory!(), a, offset, &v.to_le_bytes()[..8])?;
            }
            Instr::I32Store8 { addr, src, offset } => {
                let (a, v) = (s!(addr), s!(src));
                write_n(memory!(), a, offset, &v.to_le_bytes()[..1])?;
            }
            Instr::I32Store16 { addr, src, offset } => {
                let (a, v) = (s!(addr), s!(src));
                write_n(memory!(), a, offset, &v.to_le_bytes()[..2])?;
            }
            Instr::Load {
                op,
                dst,
                addr,
                offset,
            } => {
                let a = s!(addr);
                let m = memory!();
                use Opcode as O;
                let v: u64 = match op {
                    O::I32Load | O::F32Load => u64::from(u32::from_le_bytes(read_n(m, a, offset)?)),
                    O::I64Load | O::F64Load => u64::from_le_bytes(read_n(m, a, offset)?),
                    O::I32Load8S => {
                        u64::from(i8::from_le_bytes(read_n(m, a, offset)?) as i32 as u32)
                    }
                    O::I32Load8U => u64::from(u8::from_le_bytes(read_n(m, a, offset)?)),
                    O::I32Load16S => {
                        u64::from(i16::from_le_bytes(read_n(m, a, offset)?) as i32 as u32)
                    }
                    O::I32Load16U => u64::from(u16::from_le_bytes(read_n(m, a, offset)?)),
                    O::I64Load8S => i8::from_le_bytes(read_n(m, a, offset)?) as i64 as u64,
                    O::I64Load8U => u64::from(u8::from_le_bytes(read_n(m, a, offset)?)),
                    O::I64Load16S => i16::from_le_bytes(read_n(m, a, offset)?) as i64 as u64,
                    O::I64Load16U => u64::from(u16::from_le_bytes(read_n(m, a, offset)?)),
                    O::I64Load32S => i32::from_le_bytes(read_n(m, a, offset)?) as i64 as u64,
                    O::I64Load32U => u64::from(u32::from_le_bytes(read_n(m, a, offset)?)),
                    O::V128Load => {
                        let v = u128::from_le_bytes(read_n(m, a, offset)?);
                        set_v128!(dst, v);
                        return Ok(false);
                    }
                    _ => {
                        let n = match op {
                            O::V128Load8Splat => 1,
                            O::V128Load16Splat => 2,
                            O::V128Load32Splat | O::V128Load32Zero => 4,
                            _ => 8,
                        };
                        let start = ea(a, offset, n, m.len())?;
                        let mut bytes = [0u8; 8];
                        bytes[..n].copy_from_slice(&m[start..start + n]);
                        let v = simd::load(op, u64::from_le_bytes(bytes));
                        set_v128!(dst, v);
                        return Ok(false);
                    }
                };
                s!(dst) = v;
            }
            Instr::Store {
                op,
                addr,
                src,
                offset,
            } => {
                let a = s!(addr);
                let v = s!(src);
                use Opcode as O;
                match op {
                    O::V128Store => {
                        let x = v128!(src);
                        write_n(memory!(), a, offset, &x.to_le_bytes())?;
                    }
                    _ => {
                        let n = match op {
                            O::I32Store8 | O::I64Store8 => 1,
                            O::I32Store16 | O::I64Store16 => 2,
                            O::I32Store | O::F32Store | O::I64Store32 => 4,
                            _ => 8,
                        };
                        write_n(memory!(), a, offset, &v.to_le_bytes()[..n])?;
                    }
                }
            }
            Instr::LoadLane {
                op,
                lane,
                dst,
                addr,
                src,
                offset,
            } => {
                let a = s!(addr);
                let mut v = v128!(src).to_le_bytes();
                let n = match op {
                    Opcode::V128Load8Lane => 1,
                    Opcode::V128Load16Lane => 2,
                    Opcode::V128Load32Lane => 4,
                    _ => 8,
                };
                let m = memory!();
                let start = ea(a, offset, n, m.len())?;
                let at = lane as usize * n;
                v[at..at + n].copy_from_slice(&m[start..start + n]);
                set_v128!(dst, u128::from_le_bytes(v));
            }
            Instr::StoreLane {
                op,
                lane,
                addr,
                src,
                offset,
            } => {
                let a = s!(addr);
                let v = v128!(src).to_le_bytes();
                let n = match op {
                    Opcode::V128Store8Lane => 1,
                    Opcode::V128Store16Lane => 2,
                    Opcode::V128Store32Lane => 4,
                    _ => 8,
                };
                let at = lane as usize * n;
                write_n(memory!(), a, offset, &v[at..at + n])?;
            }
            Instr::MemorySize { dst } => {
                let len = memory!().len() as u64;
                s!(dst) = len / nanowasm_core::MemoryType::PAGE_SIZE;
            }
            Instr::MemoryGrow { dst, delta } => {
                let d = u64::from(s!(delta) as u32);
                if st.mem == usize::MAX {
                    return Err(TrapCode::MemoryOutOfBounds.into());
                }
                let r = crate::memory::grow(&mut store.inner, st.mem as u32, d);
                s!(dst) = u64::from(r.map_or(u32::MAX, |old| old as u32));
            }
            Instr::MemoryFill { args } => {
                let (d, val, n) = (s!(args) as u32, s!(args + 1) as u8, s!(args + 2) as u32);
                let m = memory!();
                let r = range(
                    u64::from(d),
                    u64::from(n),
                    m.len(),
                    TrapCode::MemoryOutOfBounds,
                )?;
                m[r].fill(val);
            }
            Instr::MemoryCopy { args } => {
                let (d, src, n) = (s!(args) as u32, s!(args + 1) as u32, s!(args + 2) as u32);
                let m = memory!();
                let sr = range(
                    u64::from(src),
                    u64::from(n),
                    m.len(),
                    TrapCode::MemoryOutOfBounds,
                )?;
                let dr = range(
                    u64::from(d),
                    u64::from(n),
                    m.len(),
                    TrapCode::MemoryOutOfBounds,
                )?;
                m.copy_within(sr, dr.start);
            }
            Instr::MemoryInit { seg, args } => {
                let (d, src, n) = (s!(args) as u32, s!(args + 1) as u32, s!(args + 2) as u32);
                let inst = &store.inner.instances[cur.instance as usize];
                let module = inst.module.clone();
                let m = module.binary();
                let data: &[u8] = if inst.data_dropped[seg as usize] {
                    &[]
                } else {
                    &m.bytes[m.datas[seg as usize].range.clone()]
                };
                let sr = range(
                    u64::from(src),
                    u64::from(n),
                    data.len(),
                    TrapCode::MemoryOutOfBounds,
                )?;
                let mm = memory!();
                let dr = range(
                    u64::from(d),
                    u64::from(n),
                    mm.len(),
                    TrapCode::MemoryOutOfBounds,
                )?;
                mm[dr].copy_from_slice(&data[sr]);
            }
            Instr::DataDrop { seg } => {
                store.inner.instances[cur.instance as usize].data_dropped[seg as usize] = true;
            }
            Instr::TableGet { table, dst, index } => {
                let i = s!(index) as u32;
                let t = store.inner.instances[cur.instance as usize].tables[table as usize];
                let v = *store.inner.tables[t as usize]
                    .elements
                    .get(i as usize)
                    .ok_or(TrapCode::TableOutOfBounds)?;
                s!(dst) = v;
            }
            Instr::TableSet { table, args } => {
                let (i, v) = (s!(args) as u32, s!(args + 1));
                let t = store.inner.instances[cur.instance as usize].tables[table as usize];
                *store.inner.tables[t as usize]
                    .elements
                    .get_mut(i as usize)
                    .ok_or(TrapCode::TableOutOfBounds)? = v;
            }
            Instr::TableSize { table, dst } => {
                let t = store.inner.instances[cur.instance as usize].tables[table as usize];
                s!(dst) = store.inner.tables[t as usize].elements.len() as u64;
            }
            Instr::TableGrow { table, args } => {
                let (init, delta) = (s!(args), s!(args + 1) as u32);
                let t = store.inner.instances[cur.instance as usize].tables[table as usize];
                let r = crate::table::grow(&mut store.inner, t, u64::from(delta), init);
                s!(args) = u64::from(r.map_or(u32::MAX, |old| old as u32));
            }
            Instr::TableFill { table, args } => {
                let (i, v, n) = (s!(args) as u32, s!(args + 1), s!(args + 2) as u32);
                let t = store.inner.instances[cur.instance as usize].tables[table as usize];
                let el = &mut store.inner.tables[t as usize].elements;
                let r = range(
                    u64::from(i),
                    u64::from(n),
                    el.len(),
                    TrapCode::TableOutOfBounds,
                )?;
                el[r].fill(v);
            }
            Instr::TableCopy {
                dst_table,
                src_table,
                args,
            } => {
                let (d, src, n) = (s!(args) as u32, s!(args + 1) as u32, s!(args + 2) as u32);
                let inst = &store.inner.instances[cur.instance as usize];
                let (dt, st) = (
                    inst.tables[dst_table as usize] as usize,
                    inst.tables[src_table as usize] as usize,
                );
                let sr = range(
                    u64::from(src),
                    u64::from(n),
                    store.inner.tables[st].elements.len(),
                    TrapCode::TableOutOfBounds,
                )?;
                let dr = range(
                    u64::from(d),
                    u64::from(n),
                    store.inner.tables[dt].elements.len(),
                    TrapCode::TableOutOfBounds,
                )?;
                if dt == st {
                    store.inner.tables[dt].elements.copy_within(sr, dr.start);
                } else {
                    let items: Vec<u64> = store.inner.tables[st].elements[sr].to_vec();
                    store.inner.tables[dt].elements[dr].copy_from_slice(&items);
                }
            }
            Instr::TableInit { table, seg, args } => {
                let (d, src, n) = (s!(args) as u32, s!(args + 1) as u32, s!(args + 2) as u32);
                let inst = &store.inner.instances[cur.instance as usize];
                let t = inst.tables[table as usize] as usize;
                let items: &[u64] = inst.elems[seg as usize].as_deref().unwrap_or(&[]);
                let sr = range(
                    u64::from(src),
                    u64::from(n),
                    items.len(),
                    TrapCode::TableOutOfBounds,
                )?;
                let dr = range(
                    u64::from(d),
                    u64::from(n),
                    store.inner.tables[t].elements.len(),
                    TrapCode::TableOutOfBounds,
                )?;
                let items: Vec<u64> = items[sr].to_vec();
                store.inner.tables[t].elements[dr].copy_from_slice(&items);
            }
            Instr::ElemDrop { seg } => {
                store.inner.instances[cur.instance as usize].elems[seg as usize] = None;
            }
            Instr::RefFunc { dst, func } => {
                s!(dst) =
                    u64::from(store.inner.instances[cur.instance as usize].funcs[func as usize])
                        + 1;
            }
            Instr::RefIsNull { dst, src } => s!(dst) = u64::from(s!(src) == 0),
            Instr::Unary { op, dst, src } => s!(dst) = num::unary(op, s!(src))?,
            Instr::Binary { op, dst, a, b } => s!(dst) = num::binary(op, s!(a), s!(b))?,
            Instr::I32Add { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(x.wrapping_add(y));
            }
            Instr::I32Sub { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(x.wrapping_sub(y));
            }
            Instr::I32Mul { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(x.wrapping_mul(y));
            }
            Instr::I32And { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(x & y);
            }
            Instr::I32Or { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(x | y);
            }
            Instr::I32Xor { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(x ^ y);
            }
            Instr::I32Shl { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(x.wrapping_shl(y));
            }
            Instr::I32ShrS { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from((x as i32).wrapping_shr(y) as u32);
            }
            Instr::I32ShrU { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(x.wrapping_shr(y));
            }
            Instr::I32Eq { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(u32::from(x == y));
            }
            Instr::I32Ne { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(u32::from(x != y));
            }
            Instr::I32LtS { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(u32::from((x as i32) < (y as i32)));
            }
            Instr::I32LtU { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(u32::from(x < y));
            }
            Instr::I32GtS { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(u32::from((x as i32) > (y as i32)));
            }
            Instr::I32GtU { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(u32::from(x > y));
            }
            Instr::I32LeS { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(u32::from((x as i32) <= (y as i32)));
            }
            Instr::I32LeU { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(u32::from(x <= y));
            }
            Instr::I32GeS { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(u32::from((x as i32) >= (y as i32)));
            }
            Instr::I32GeU { dst, a, b } => {
                let (x, y) = (s!(a) as u32, s!(b) as u32);
                s!(dst) = u64::from(u32::from(x >= y));
            }
            Instr::I64Add { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = x.wrapping_add(y);
            }
            Instr::I64Sub { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = x.wrapping_sub(y);
            }
            Instr::I64Mul { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = x.wrapping_mul(y);
            }
            Instr::I64And { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = x & y;
            }
            Instr::I64Or { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = x | y;
            }
            Instr::I64Xor { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = x ^ y;
            }
            Instr::I64Shl { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = x.wrapping_shl(y as u32);
            }
            Instr::I64ShrS { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = (x as i64).wrapping_shr(y as u32) as u64;
            }
            Instr::I64ShrU { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = x.wrapping_shr(y as u32);
            }
            Instr::I64Eq { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = u64::from(x == y);
            }
            Instr::I64Ne { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = u64::from(x != y);
            }
            Instr::I64LtS { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = u64::from((x as i64) < (y as i64));
            }
            Instr::I64LtU { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = u64::from(x < y);
            }
            Instr::I64GtS { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = u64::from((x as i64) > (y as i64));
            }
            Instr::I64GtU { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = u64::from(x > y);
            }
            Instr::I64LeS { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = u64::from((x as i64) <= (y as i64));
            }
            Instr::I64LeU { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = u64::from(x <= y);
            }
            Instr::I64GeS { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = u64::from((x as i64) >= (y as i64));
            }
            Instr::I64GeU { dst, a, b } => {
                let (x, y) = (s!(a), s!(b));
                s!(dst) = u64::from(x >= y);
            }
            Instr::F32Add { dst, a, b } => {
                let (x, y) = (f32::from_bits(s!(a) as u32), f32::from_bits(s!(b) as u32));
                s!(dst) = u64::from((x + y).to_bits());
            }
            Instr::F32Sub { dst, a, b } => {
                let (x, y) = (f32::from_bits(s!(a) as u32), f32::from_bits(s!(b) as u32));
                s!(dst) = u64::from((x - y).to_bits());
            }
            Instr::F32Mul { dst, a, b } => {
                let (x, y) = (f32::from_bits(s!(a) as u32), f32::from_bits(s!(b) as u32));
                s!(dst) = u64::from((x * y).to_bits());
            }
            Instr::F32Div { dst, a, b } => {
                let (x, y) = (f32::from_bits(s!(a) as u32), f32::from_bits(s!(b) as u32));
                s!(dst) = u64::from((x / y).to_bits());
            }
            Instr::F64Add { dst, a, b } => {
                let (x, y) = (f64::from_bits(s!(a)), f64::from_bits(s!(b)));
                s!(dst) = (x + y).to_bits();
            }
            Instr::F64Sub { dst, a, b } => {
                let (x, y) = (f64::from_bits(s!(a)), f64::from_bits(s!(b)));
                s!(dst) = (x - y).to_bits();
            }
            Instr::F64Mul { dst, a, b } => {
                let (x, y) = (f64::from_bits(s!(a)), f64::from_bits(s!(b)));
                s!(dst) = (x * y).to_bits();
            }
            Instr::F64Div { dst, a, b } => {
                let (x, y) = (f64::from_bits(s!(a)), f64::from_bits(s!(b)));
                s!(dst) = (x / y).to_bits();
            }
            Instr::I32Eqz { dst, src } => s!(dst) = u64::from(s!(src) as u32 == 0),
            Instr::I64Eqz { dst, src } => s!(dst) = u64::from(s!(src) == 0),
            Instr::SimdUnary { op, dst, src } => set_v128!(dst, simd::unary(op, v128!(src))),
            Instr::SimdBinary { op, dst, a, b } => {
                set_v128!(dst, simd::binary(op, v128!(a), v128!(b)))
            }
            Instr::SimdTernary { op, dst, a, b, c } => {
                set_v128!(dst, simd::ternary(op, v128!(a), v128!(b), v128!(c)))
            }
            Instr::SimdTest { op, dst, src } => s!(dst) = u64::from(simd::test(op, v128!(src))),
            Instr::SimdShift { op, dst, a, count } => {
                set_v128!(dst, simd::shift(op, v128!(a), s!(count) as u32))
            }
            Instr::SimdSplat { op, dst, src } => set_v128!(dst, simd::splat(op, s!(src))),
            Instr::SimdExtract { op, lane, dst, src } => {
                s!(dst) = simd::extract_lane(op, v128!(src), lane)
            }
            Instr::SimdReplace {
                op,
                lane,
                dst,
                a,
                x,
            } => {
                set_v128!(dst, simd::replace_lane(op, v128!(a), lane, s!(x)))
            }
            Instr::Shuffle { dst, a, b, lanes } => {
                let l = cur.func.pool[lanes as usize].to_le_bytes();
                set_v128!(dst, simd::shuffle(v128!(a), v128!(b), l));
            }
        }
    }
    Ok(false)
}

/// Performs a call from the current frame: wasm callees become the current
/// frame; host callees run now.
#[inline]
fn call<T>(
    store: &mut Store<T>,
    cur: &mut Frame,
    calls: &mut Vec<Frame>,
    target: u32,
    args: u32,
    max_depth: usize,
    mem: &mut usize,
) -> Result<(), Exit> {
    let new_base = cur.base + args as usize;
    match store.inner.funcs[target as usize] {
        FuncEntity::Wasm {
            instance, index, ..
        } => {
            if calls.len() + store.inner.depth >= max_depth {
                return Err(TrapCode::StackOverflow.into());
            }
            let module = &store.inner.instances[instance as usize].module;
            let compiled = match module.compiled(index) {
                Ok(c) => Arc::clone(c),
                Err(e) => return Err(Exit::Error(translation_failed(e))),
            };
            reserve(&mut store.inner, new_base + compiled.frame_slots as usize)
                .map_err(|_| TrapCode::StackOverflow)?;
            zero_locals(
                &mut store.inner.stack,
                new_base + compiled.param_slots as usize,
                new_base + compiled.local_slots as usize,
            );
            let callee = Frame {
                func: compiled,
                pc: 0,
                base: new_base,
                instance,
                index,
            };
            let caller = std::mem::replace(cur, callee);
            let changed = caller.instance != instance;
            calls.push(caller);
            if changed {
                *mem = mem_index(&store.inner, instance);
            }
            Ok(())
        }
        FuncEntity::Host { host, type_id } => {
            // Store types are only ever added: `type_id` stays valid while
            // the host runs, so the type is borrowed, not cloned.
            let ty = &store.inner.types[type_id as usize];
            let id = store.inner.id;
            let mut at = new_base;
            // Small signatures use stack buffers: no allocation per call.
            let (np, nr) = (ty.params().len(), ty.results().len());
            let (mut pbuf, mut rbuf) = ([Val::I32(0); 8], [Val::I32(0); 8]);
            let (mut pheap, mut rheap) = (Vec::new(), Vec::new());
            let params = scratch(&mut pbuf, &mut pheap, np);
            let results = scratch(&mut rbuf, &mut rheap, nr);
            for (p, &t) in params.iter_mut().zip(ty.params()) {
                *p = load_val(id, &store.inner.stack, at, t);
                at += if t == ValType::V128 { 2 } else { 1 };
            }
            for (r, &t) in results.iter_mut().zip(ty.results()) {
                *r = Val::default_for(t);
            }
            let f = store.hosts[host as usize].clone();
            let saved_top = store.inner.stack_top;
            let saved_depth = store.inner.depth;
            store.inner.stack_top = cur.base + cur.func.frame_slots as usize;
            store.inner.depth += calls.len() + 1;
            let r = f(
                Caller {
                    store: &mut *store,
                    instance: Some(cur.instance),
                },
                params,
                results,
            );
            if store.inner.id != id {
                // The host swapped the whole store (`mem::replace` through
                // the caller): nothing of this frame is in the new one.
                return Err(Exit::Error(store_replaced()));
            }
            store.inner.stack_top = saved_top;
            store.inner.depth = saved_depth;
            r.map_err(Exit::Error)?;
            // Nothing is written before every result is checked.
            let inner = &store.inner;
            for (v, &t) in results.iter().zip(inner.types[type_id as usize].results()) {
                check_host_result(inner, v, t).map_err(Exit::Error)?;
            }
            let result_slots = slots(store.inner.types[type_id as usize].results());
            reserve(&mut store.inner, new_base + result_slots)
                .map_err(|_| TrapCode::StackOverflow)?;
            let inner = &mut store.inner;
            let mut at = new_base;
            for v in results.iter() {
                at = store_val(&mut inner.stack, at, v);
            }
            // The host may have grown or replaced memories.
            *mem = mem_index(&store.inner, cur.instance);
            Ok(())
        }
    }
}
