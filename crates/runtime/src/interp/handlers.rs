//! The interpreter's instruction handlers, one function per instruction
//! (per opcode for the numeric, SIMD and memory families), split by family.
//!
//! # Dispatch
//!
//! Every handler has the signature [`Handler`]: the instruction pointer
//! (`ip`, the handler's own word in the code), the current frame's slots
//! (`sp`), the current memory's base and length, and the activation's
//! context ([`Cx`]). The hot state lives in those argument registers, not in
//! memory. A handler does its work and ends with [`next!`], which reads the
//! next instruction's handler from the code and calls it in tail position.
//! With optimizations on, LLVM turns that call into a jump (`jmp *reg`), so
//! each instruction costs one indirect jump and the native stack does not
//! grow. Without optimizations (`opt-level = 0`, where no tail call is made)
//! `build.rs` selects the portable loop instead: `next!` stores the state in
//! the context and returns [`Done::Next`], and [`run`] calls the next
//! handler.
//!
//! A handler leaves the activation by returning [`Done::Return`] (the entry
//! frame returned), [`Done::Trap`]/[`Done::Error`] (with `cx.exit` set).

use crate::prelude::*;
pub(crate) mod control;
pub(crate) mod exception;
pub(crate) mod gc;
pub(crate) mod memory;
pub(crate) mod numeric;
pub(crate) mod reference;
pub(crate) mod simd;

use super::code::CompiledFunc;
use super::exec::Exit;
use crate::store::StoreInner;
use crate::trap::TrapCode;
use nanowasm_core::{Feature, ImmKind, Opcode, Sig};

/// The instruction pointer: a handler's word in a function's code.
pub(crate) type Ip = *const u64;
/// The current frame's first slot.
pub(crate) type Sp = *mut u64;

/// One instruction's handler.
pub(crate) type Handler = unsafe fn(Ip, Sp, *mut u8, usize, *mut Cx) -> Done;

/// How a handler left the activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Done {
    /// The entry frame returned.
    Return,
    /// A trap or error; `cx.exit` says which.
    Exit,
    /// (Portable loop only) run the handler at `cx.resume`.
    #[allow(dead_code)]
    Next,
}

/// A call in progress (see `Cx::pending`).
#[derive(Clone, Copy)]
pub(crate) struct Pending {
    /// The callee (a store function index).
    pub target: u32,
    /// The first argument slot, relative to the caller's frame.
    pub args: u32,
    /// Where the caller continues.
    pub ret: Ip,
    /// For a tail call, the callee's result slots: its frame replaces the
    /// caller's (see `control::enter_tail`).
    pub tail: Option<u32>,
}

/// A frame record: the caller's state while a callee runs.
#[derive(Clone, Copy)]
pub(crate) struct FrameRec {
    /// The caller's code.
    pub func: *const CompiledFunc,
    /// Where the caller continues.
    pub ret_ip: Ip,
    /// The caller's first slot, as an index into the value stack (which
    /// may move when it grows).
    pub base: usize,
    /// The caller's instance (store index).
    pub instance: u32,
    /// The caller's function index in its module (for backtraces).
    pub index: u32,
}

/// A resolved wasm callee (see `StoreInner::callees`).
#[derive(Clone)]
pub(crate) struct Callee {
    /// Its code, kept alive here (and by its module).
    pub code: alloc::sync::Arc<CompiledFunc>,
    /// Its instance (store index).
    pub instance: u32,
    /// Its index in its module.
    pub index: u32,
}

/// A frame stack kept by the store between activations, always empty
/// there (its raw pointers are only meaningful while an activation runs).
#[derive(Default)]
pub(crate) struct FrameCache(pub Vec<FrameRec>);

// SAFETY: the cache holds no frames between activations (`exec::run`
// clears it before storing it), so no pointer in it is ever used from
// another thread; only its allocation moves with the store.
unsafe impl Send for FrameCache {}
// SAFETY: as above: shared access sees an empty vector.
unsafe impl Sync for FrameCache {}

/// Calls host function `func` (a store index) from the frame at slot
/// `caller_base`, with its arguments in the slots from `args`, writing its
/// results there; on failure it sets `cx.exit` and returns `false` (a
/// `bool`, not a `Result`, so nothing comes back through memory): the store's type
/// parameter is erased behind this function pointer.
pub(crate) type HostCall =
    unsafe fn(cx: &mut Cx, func: u32, caller_base: usize, args: usize) -> bool;

/// An activation's context: what handlers need besides the hot registers.
pub(crate) struct Cx {
    /// The `Store<T>` (type-erased) whose `inner` is at offset 0
    /// (`#[repr(C)]`); see [`Cx::inner`].
    pub store: *mut (),
    /// Calls a host function; monomorphized for the store's `T`.
    pub call_host: HostCall,
    /// The callers of the current frame, innermost last.
    pub frames: Vec<FrameRec>,
    /// `frames.len()` may not reach this (the call depth limit less the
    /// depth of the activations below this one).
    pub max_frames: usize,
    /// The current frame's code, instance and function index.
    pub func: *const CompiledFunc,
    pub instance: u32,
    pub index: u32,
    /// The current instance's function and global index maps (store
    /// indices), and its memory 0 (`usize::MAX` without one).
    pub funcs: *const u32,
    pub globals: *const u32,
    pub mem: usize,
    /// The value stack's first slot and length (refreshed when it grows).
    pub stack: *mut u64,
    pub stack_len: usize,
    /// Why the activation ended (with [`Done::Exit`]), and where.
    pub exit: Option<Exit>,
    pub exit_ip: Ip,
    /// The base slot of the frame that threw (an `Exit::Throw`, or a host
    /// call that failed with an exception).
    pub exit_base: usize,
    /// The call being made, for the handlers of slow calls (which take
    /// only a handler's arguments).
    pub pending: Pending,
    /// (Portable loop only) the state for the next handler.
    #[cfg_attr(nanowasm_tail_dispatch, allow(dead_code))]
    pub resume: (Ip, Sp, *mut u8, usize),
}

impl Cx {
    /// The store's entities.
    ///
    /// # Safety
    /// `store` points at a live `Store<T>`, which no other reference is
    /// using while the returned one lives.
    #[inline(always)]
    pub(crate) unsafe fn inner<'a>(cx: *mut Cx) -> &'a mut StoreInner {
        // SAFETY: `Store<T>` is `#[repr(C)]` with `inner` first, so the
        // store's address is that of its `inner`; the caller guarantees it
        // is live and unaliased.
        unsafe { &mut *(*cx).store.cast::<StoreInner>() }
    }

    /// Points the context at instance `instance`'s maps and memory;
    /// returns the memory's base and length.
    pub(crate) fn enter_instance(
        &mut self,
        inner: &mut StoreInner,
        instance: u32,
    ) -> (*mut u8, usize) {
        self.instance = instance;
        let inst = &inner.instances[instance as usize];
        self.funcs = inst.funcs.as_ptr();
        self.globals = inst.globals.as_ptr();
        self.mem = inst.memories.first().map_or(usize::MAX, |&m| m as usize);
        self.memory(inner)
    }

    /// The current memory's base and length (a dangling base and 0
    /// without a memory, so every access is out of bounds).
    #[inline]
    pub(crate) fn memory(&self, inner: &mut StoreInner) -> (*mut u8, usize) {
        match inner.memories.get_mut(self.mem) {
            Some(m) => {
                let data: &mut [u8] = &mut m.data;
                (data.as_mut_ptr(), data.len())
            }
            None => (core::ptr::NonNull::<u8>::dangling().as_ptr(), 0),
        }
    }

    /// Re-reads the value stack's address after it may have moved.
    #[inline]
    pub(crate) fn refresh_stack(&mut self, inner: &mut StoreInner) {
        self.stack = inner.interp.stack.as_mut_ptr();
        self.stack_len = inner.interp.stack.len();
    }
}

/// Operand `k` of a table or bulk-memory instruction whose `wide` mask
/// has bit `k` set when that operand is an `i64` (a 64-bit memory's or
/// table's address or length): the whole slot, else its `i32`.
#[inline(always)]
pub(crate) fn arg(v: u64, wide: u32, k: u32) -> u64 {
    if wide >> k & 1 != 0 {
        v
    } else {
        u64::from(v as u32)
    }
}

/// The `-1` a failed `memory.grow` or `table.grow` returns: an `i64` if
/// bit 0 of `wide` is set, else an `i32`.
#[inline(always)]
pub(crate) fn minus_one(wide: u32) -> u64 {
    if wide & 1 != 0 {
        u64::MAX
    } else {
        u64::from(u32::MAX)
    }
}

/// Ends the activation with a trap at `ip`.
#[cold]
#[inline(never)]
pub(crate) fn trap(cx: *mut Cx, ip: Ip, code: TrapCode) -> Done {
    exit(cx, ip, Exit::Trap(code))
}

/// Ends the activation with `e` at `ip`.
#[cold]
#[inline(never)]
pub(crate) fn exit(cx: *mut Cx, ip: Ip, e: Exit) -> Done {
    // SAFETY: every handler receives the activation's live context.
    let cx = unsafe { &mut *cx };
    cx.exit = Some(e);
    cx.exit_ip = ip;
    Done::Exit
}

/// Reads the operands of the instruction at `ip`.
macro_rules! operands {
    ($ip:expr, $t:ty) => {{
        // SAFETY: the code was encoded by `Instr::encode`, which wrote the
        // handler that is running now followed by its `$t` operands, so
        // `ip + 1` points at a valid, aligned `$t` inside the code, which
        // the current frame's `CompiledFunc` keeps alive.
        unsafe { &*($ip.add(1) as *const $t) }
    }};
}

/// The instruction after the one at `ip` whose operands are a `$t`.
macro_rules! after {
    ($ip:expr, $t:ty) => {
        // `wrapping_add`: the result is only dereferenced by `next!`, and
        // the translator ends every function with `Return`.
        $ip.wrapping_add(1 + $crate::interp::code::words_of::<$t>())
    };
}

/// Slot `$r` of the frame at `$sp`, as a place.
macro_rules! s {
    ($sp:expr, $r:expr) => {
        // SAFETY: `sp` is the current frame's first slot; the value stack
        // was made at least `frame_slots` long from there before the frame
        // was entered (and is re-read whenever it moves), and every slot an
        // instruction names is below `frame_slots`: the translator sizes
        // the frame from `Instr::slots_end` of its own code.
        *unsafe { &mut *$sp.add($r as usize) }
    };
}

/// The `v128` in slots `$r`, `$r + 1`.
macro_rules! v128 {
    ($sp:expr, $r:expr) => {
        u128::from(s!($sp, $r)) | (u128::from(s!($sp, $r + 1)) << 64)
    };
}

/// Writes a `v128` into slots `$r`, `$r + 1`.
macro_rules! set_v128 {
    ($sp:expr, $r:expr, $v:expr) => {{
        let v: u128 = $v;
        s!($sp, $r) = v as u64;
        s!($sp, $r + 1) = (v >> 64) as u64;
    }};
}

/// Runs the handler of the instruction at `$ip`: a tail call (a jump), or,
/// in the portable loop, a return to [`run`].
macro_rules! next {
    ($ip:expr, $sp:expr, $mem:expr, $len:expr, $cx:expr) => {{
        let ip: $crate::interp::handlers::Ip = $ip;
        #[cfg(nanowasm_tail_dispatch)]
        {
            // SAFETY: `ip` is the start of an instruction of the current
            // frame's code (the next one, a branch target or a return
            // address), whose first word is its handler, written by
            // `Instr::encode`; the handler's own safety conditions are
            // those this handler was called with.
            return unsafe {
                let h = *(ip as *const $crate::interp::handlers::Handler);
                h(ip, $sp, $mem, $len, $cx)
            };
        }
        #[cfg(not(nanowasm_tail_dispatch))]
        {
            // SAFETY: every handler receives the activation's live context.
            unsafe { (*$cx).resume = (ip, $sp, $mem, $len) };
            return $crate::interp::handlers::Done::Next;
        }
    }};
}

/// A row of the opcode table (`nanowasm_core::for_each_opcode!`), for the
/// predicates and handler instances of [`handler_tables!`].
#[derive(Clone, Copy)]
pub(crate) struct Row {
    pub op: Opcode,
    pub sig: Sig,
    pub imm: ImmKind,
    pub feature: Feature,
}

/// Defines lookup functions `fn(Opcode) -> Option<Handler>`, each over a
/// table built from the opcode table, one function a line:
///
/// ```ignore
/// handler_tables! {
///     /// The handler of unary numeric instruction `op`.
///     pub(crate) fn unary = |r| arity(&r) == 1 => unary_op::<{ r.op as u16 }>;
/// }
/// ```
///
/// For each opcode, `r` is a constant [`Row`]: where the predicate holds,
/// the opcode's entry is the handler expression, a generic handler
/// instantiated with constants computed from `r`.
///
/// The table is a `static`, evaluated at compile time, so only the handlers
/// it holds are instantiated (code is generated for what its value
/// references, not for every opcode).
macro_rules! handler_tables {
    ($( $(#[$m:meta])* $vis:vis fn $f:ident = |$r:ident| $pred:expr => $h:expr; )*) => {
        // `$` for the callback defined below, whose own metavariables must
        // be left alone by this expansion.
        $crate::interp::handlers::handler_tables!(@callback ($)
            $( [$(#[$m])* $vis fn $f = |$r| ($pred) => ($h)] )*
        );
    };
    (@callback ($d:tt) $($table:tt)*) => {
        macro_rules! handler_tables_of_rows {
            ($d ($d row:tt)*) => {
                $( $crate::interp::handlers::handler_tables!(@table $table $d ($d row)*); )*
            };
        }
        ::nanowasm_core::for_each_opcode!(handler_tables_of_rows);
    };
    // The constant row `$r` a predicate and a handler see.
    (@row $r:ident $v:ident $imm:ident $feat:ident ($sig:expr)) => {
        #[allow(non_upper_case_globals)]
        const $r: Row = Row {
            op: ::nanowasm_core::Opcode::$v,
            sig: $sig,
            imm: ::nanowasm_core::ImmKind::$imm,
            feature: ::nanowasm_core::Feature::$feat,
        };
    };
    (@table
        [$(#[$m:meta])* $vis:vis fn $f:ident = |$r:ident| ($pred:expr) => ($h:expr)]
        $( $v:ident $visit:ident $name:literal $prefix:tt $code:literal $imm:ident $feat:ident ($sig:expr); )*
    ) => {
        $(#[$m])*
        $vis fn $f(opcode: ::nanowasm_core::Opcode) -> Option<$crate::interp::handlers::Handler> {
            use ::nanowasm_core::opcode::COUNT;
            use $crate::interp::handlers::{Handler, Row};
            // Two levels, as most opcodes have no handler in a given
            // family: a byte per opcode (0 for none, else 1 + the index of
            // its handler), and the family's handlers alone. A table of
            // `Option<Handler>` per opcode took 3.5 KB per family, and as
            // many relocations as handlers either way.
            // Which rows have a handler in this family.
            const MATCH: [bool; COUNT] = {
                let mut m = [false; COUNT];
                $( {
                    $crate::interp::handlers::handler_tables!(@row $r $v $imm $feat ($sig));
                    m[$r.op as usize] = $pred && $crate::interp::handlers::compiled_in($r.feature);
                } )*
                m
            };
            const N: usize = {
                let (mut n, mut i) = (0, 0);
                while i < COUNT {
                    n += MATCH[i] as usize;
                    i += 1;
                }
                assert!(n < 256, "a family's handlers are indexed by a byte");
                n
            };
            static INDEX: [u8; COUNT] = {
                let (mut t, mut n, mut i) = ([0u8; COUNT], 0, 0);
                while i < COUNT {
                    if MATCH[i] {
                        n += 1;
                        t[i] = n as u8;
                    }
                    i += 1;
                }
                t
            };
            static HANDLERS: [Option<Handler>; N] = {
                let mut t: [Option<Handler>; N] = [None; N];
                $( {
                    $crate::interp::handlers::handler_tables!(@row $r $v $imm $feat ($sig));
                    if MATCH[$r.op as usize] {
                        t[INDEX[$r.op as usize] as usize - 1] = Some($h);
                    }
                } )*
                t
            };
            match INDEX[opcode as usize] {
                0 => None,
                i => HANDLERS[i as usize - 1],
            }
        }
    };
}

/// Whether the handlers of instructions of `feature` are compiled in:
/// SIMD's and relaxed SIMD's only with the crate feature `simd` (without
/// it, the validator refuses them, see `Module::new`, and no SIMD handler
/// is linked).
pub(crate) const fn compiled_in(feature: Feature) -> bool {
    cfg!(feature = "simd") || !matches!(feature, Feature::Simd | Feature::RelaxedSimd)
}

pub(crate) use {after, handler_tables, next, operands, s, set_v128, v128};

/// Runs handlers from `ip` until the activation ends.
///
/// # Safety
/// `ip` is an instruction of the code of `cx.func`, `sp` that frame's
/// slots (the value stack long enough for it), `mem`/`len` the current
/// memory, and `cx` the live context of this activation.
pub(crate) unsafe fn run(ip: Ip, sp: Sp, mem: *mut u8, len: usize, cx: *mut Cx) -> Done {
    // SAFETY: the caller's guarantees are the handler's.
    let h = unsafe { *(ip as *const Handler) };
    #[cfg(nanowasm_tail_dispatch)]
    {
        // SAFETY: as above.
        unsafe { h(ip, sp, mem, len, cx) }
    }
    #[cfg(not(nanowasm_tail_dispatch))]
    {
        // SAFETY: as above.
        let mut done = unsafe { h(ip, sp, mem, len, cx) };
        while done == Done::Next {
            // SAFETY: `next!` stored the next instruction and its state.
            done = unsafe {
                let (ip, sp, mem, len) = (*cx).resume;
                let h = *(ip as *const Handler);
                h(ip, sp, mem, len, cx)
            };
        }
        done
    }
}
