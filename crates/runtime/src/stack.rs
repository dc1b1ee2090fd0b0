//! The native stack limit of host↔wasm recursion.
//!
//! Wasm calls never recurse on the native stack (one interpreter loop runs
//! every frame of an activation), but a host function that calls back into
//! wasm does: each host→wasm→host cycle costs one interpreter activation
//! and the host function's frames. Unchecked, a guest that makes a host
//! function re-enter it without end overflows the thread's stack, which
//! aborts the process.
//!
//! So each store records where it was entered from the host (the
//! outermost entry), and every entry while it runs checks the stack
//! pointer: below [`Config::max_wasm_stack`](crate::Config::max_wasm_stack)
//! under the outermost entry, or less than [`RESERVE`] above the low end
//! of the thread's real stack, it traps with `call stack exhausted`. Like
//! wasmtime, which measures its `max_wasm_stack` from the first wasm entry
//! too.
//!
//! Without `std` a thread's stack bounds are unknown (there are no
//! threads to ask about, and no thread-local storage to cache them in):
//! only `max_wasm_stack` bounds re-entry, and the embedder must run
//! stores on a stack at least that deep plus [`RESERVE`].

#[cfg(feature = "std")]
use core::cell::Cell;

use crate::error::Error;
use crate::store::StoreInner;
use crate::trap::TrapCode;

/// The native stack one host→wasm→host cycle may use between two checks:
/// the entry, one interpreter activation and a host call, with room to
/// spare: measured at 1.6 KiB in a release build and 27 KiB in a debug
/// build, whose frames are far larger (see the `max_wasm_stack_bounds_reentry`
/// test).
pub(crate) const CYCLE_MAX: usize = if cfg!(debug_assertions) {
    64 << 10
} else {
    16 << 10
};

/// The stack kept free at the low end of a thread's stack: 64 KiB for the
/// host function that runs after the last check (and the trap's own path),
/// plus one cycle. The thread's guard page lies below it.
pub(crate) const RESERVE: usize = (64 << 10) + CYCLE_MAX;

#[cfg(feature = "std")]
std::thread_local! {
    /// This thread's stack as `(low, high)` addresses; `high` is 0 until
    /// first asked.
    static BOUNDS: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
    /// `low + RESERVE` of `BOUNDS`, the lowest stack address at which the
    /// host may enter a store; `usize::MAX` until `BOUNDS` is known.
    static FLOOR: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The stack pointer.
#[inline(always)]
#[cfg(target_arch = "x86_64")]
pub(crate) fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: copies the stack pointer into a register; reads and writes
    // no memory, and changes neither the stack nor the flags.
    unsafe {
        core::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags));
    }
    sp
}

/// The stack pointer.
#[inline(always)]
#[cfg(target_arch = "aarch64")]
pub(crate) fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: copies the stack pointer into a register; reads and writes
    // no memory, and changes neither the stack nor the flags.
    unsafe {
        core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
    }
    sp
}

/// An address in the current stack frame: the stack pointer, give or take
/// the frame's size.
#[inline(always)]
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub(crate) fn stack_pointer() -> usize {
    let marker = 0u8;
    core::hint::black_box(&marker) as *const u8 as usize
}

/// The lowest stack address at which the host may enter a store, if this
/// thread's is known; `usize::MAX` if not asked yet.
#[inline(always)]
#[cfg(feature = "std")]
fn floor() -> usize {
    FLOOR.with(Cell::get)
}

/// Without `std` the floor is unknown: none.
#[inline(always)]
#[cfg(not(feature = "std"))]
fn floor() -> usize {
    0
}

/// The current thread's stack bounds, cached per thread.
#[inline]
#[cfg(feature = "std")]
fn thread_bounds() -> (usize, usize) {
    let cached = BOUNDS.with(Cell::get);
    if cached.1 != 0 {
        return cached;
    }
    let bounds = query_thread_bounds();
    BOUNDS.with(|b| b.set(bounds));
    FLOOR.with(|f| f.set(bounds.0.saturating_add(RESERVE)));
    bounds
}

/// The current thread's stack as the system reports it; the whole address
/// space if it cannot (then only `max_wasm_stack` bounds recursion).
#[cold]
#[inline(never)]
#[cfg(all(feature = "std", target_os = "linux"))]
fn query_thread_bounds() -> (usize, usize) {
    // SAFETY: `attr` is initialized by `pthread_getattr_np` before it is
    // read, and destroyed only when that succeeded; `pthread_self()` is
    // the calling thread, which is alive. `pthread_attr_getstack` writes
    // the two out-pointers, which point at locals.
    unsafe {
        let mut attr = core::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
        if libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()) != 0 {
            return (0, usize::MAX);
        }
        let mut addr: *mut libc::c_void = core::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let ok = libc::pthread_attr_getstack(attr.as_ptr(), &mut addr, &mut size) == 0;
        libc::pthread_attr_destroy(attr.as_mut_ptr());
        let low = addr as usize;
        match low.checked_add(size) {
            Some(high) if ok && size > 0 => (low, high),
            _ => (0, usize::MAX),
        }
    }
}

#[cold]
#[inline(never)]
#[cfg(all(feature = "std", not(target_os = "linux")))]
fn query_thread_bounds() -> (usize, usize) {
    (0, usize::MAX)
}

/// Without `std`: unknown, so the whole address space.
#[inline(always)]
#[cfg(not(feature = "std"))]
fn thread_bounds() -> (usize, usize) {
    (0, usize::MAX)
}

/// Checks the native stack at an entry into `inner` from the host.
/// Returns what `inner.stack_entry` must be set back to when the entry
/// returns: 0 after the outermost entry, which marks the store as no
/// longer running.
///
/// The outermost entry only records where it is (and checks that the
/// thread has [`RESERVE`] left): a few instructions on every call from
/// the host. Re-entries, which come after a wasm→host call and so are
/// never the cheap path, check the full limit.
#[inline(always)]
pub(crate) fn enter(inner: &mut StoreInner) -> Result<usize, Error> {
    let sp = stack_pointer();
    if inner.stack_entry != 0 {
        return enter_again(inner, sp);
    }
    if sp < floor() {
        // This thread's first entry (the floor is not known yet), or a
        // host with less than the reserve left.
        check_floor(sp)?;
    }
    inner.stack_entry = sp;
    Ok(0)
}

/// Whether `sp` is at least [`RESERVE`] above the end of this thread's
/// stack.
#[cold]
#[inline(never)]
fn check_floor(sp: usize) -> Result<(), Error> {
    if sp < thread_bounds().0.saturating_add(RESERVE) {
        return Err(exhausted());
    }
    Ok(())
}

/// An entry while the store is running: a host function called back into
/// it. Traps `max_wasm_stack` below the outermost entry, or [`RESERVE`]
/// above the end of the thread's stack, whichever comes first.
#[inline(never)]
fn enter_again(inner: &mut StoreInner, sp: usize) -> Result<usize, Error> {
    let (low, high) = thread_bounds();
    let floor = low.saturating_add(RESERVE);
    let entry = inner.stack_entry;
    if sp < floor {
        return Err(exhausted());
    }
    if !(low..high).contains(&entry) {
        // The store was entered on another thread, and a host function
        // moved it here (a scoped thread, say): the outermost entry is on
        // another stack. This thread is held to its own stack's end; the
        // outermost entry stays the outermost.
        return Ok(entry);
    }
    if sp > entry {
        // Above the outermost entry on the same thread: that entry is no
        // longer running (a host function panicked through it), so this
        // entry is the outermost one now.
        inner.stack_entry = sp;
        return Ok(0);
    }
    if entry - sp > inner.max_wasm_stack {
        return Err(exhausted());
    }
    Ok(entry)
}

#[cold]
#[inline(never)]
fn exhausted() -> Error {
    TrapCode::StackOverflow.into()
}

/// [`enter`] for compiled code: also returns [`compiled_limit`]. The
/// outermost entry on a thread whose stack is known takes a few
/// instructions.
#[cfg(nanowasm_compiler)]
#[inline]
pub(crate) fn enter_compiled(inner: &mut StoreInner) -> Result<(usize, usize), Error> {
    let sp = stack_pointer();
    // (Without `std` the floor is unknown and `compiled_limit` decides.)
    if cfg!(feature = "std") && inner.stack_entry == 0 {
        let floor = floor();
        if sp >= floor {
            // `floor` is known (it is `usize::MAX` until it is), so `sp`
            // is on this thread's stack: the limit is `compiled_limit`'s.
            inner.stack_entry = sp;
            return Ok((0, floor.max(sp.saturating_sub(inner.max_wasm_stack))));
        }
    }
    if inner.stack_entry != 0 {
        return enter_again_compiled(inner, sp);
    }
    let saved = enter(inner)?;
    Ok((saved, compiled_limit(inner)))
}

/// [`enter_again`] and then [`compiled_limit`], with the thread's bounds
/// looked up once: a host function calling back into compiled code (as a
/// component-to-component call does, several times) takes this path.
#[cfg(nanowasm_compiler)]
#[inline(never)]
fn enter_again_compiled(inner: &mut StoreInner, sp: usize) -> Result<(usize, usize), Error> {
    let (low, high) = thread_bounds();
    let floor = low.saturating_add(RESERVE);
    let entry = inner.stack_entry;
    if sp < floor {
        return Err(exhausted());
    }
    let max = inner.max_wasm_stack;
    if !(low..high).contains(&entry) {
        // As in `enter_again`: the outermost entry is on another thread's
        // stack, and `compiled_limit` measures from here.
        return Ok((entry, floor.max(sp.saturating_sub(max))));
    }
    if sp > entry {
        // As in `enter_again`: this entry is the outermost one now.
        inner.stack_entry = sp;
        return Ok((0, floor.max(sp.saturating_sub(max))));
    }
    if entry - sp > max {
        return Err(exhausted());
    }
    Ok((entry, floor.max(entry.saturating_sub(max))))
}

/// The lowest stack address compiled code may reach in an activation of
/// `inner` (after [`enter`]): `max_wasm_stack` below the outermost entry
/// (below this entry when the store re-entered on another thread, whose
/// stack the outermost entry is not on), and never into the reserve above
/// the thread's stack end.
#[cfg(nanowasm_compiler)]
pub(crate) fn compiled_limit(inner: &StoreInner) -> usize {
    let (low, high) = thread_bounds();
    let floor = low.saturating_add(RESERVE);
    let entry = if (low..high).contains(&inner.stack_entry) {
        inner.stack_entry
    } else {
        stack_pointer()
    };
    floor.max(entry.saturating_sub(inner.max_wasm_stack))
}
