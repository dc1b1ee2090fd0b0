//! Out-of-bounds traps from faults, for memories with guard regions.
//!
//! Compiled code does not check most loads and stores when memories have
//! guard regions (`MemoryBounds`): an access past a memory's size lands in
//! the inaccessible rest of its reservation and faults. A process-wide
//! handler for `SIGSEGV`, `SIGBUS`, `SIGILL` and `SIGFPE` looks for the
//! faulting instruction among the unchecked accesses of the modules whose
//! code this thread is running ([`Activation`]s, pushed by `vm::invoke`).
//! If it is one, the handler makes the access look as if it had called
//! the out-of-bounds trap stub: it pushes the access's trap site as the
//! return address and resumes at the stub, which unwinds as every compiled
//! trap does (the wasm offset and backtrace come from the same site
//! tables). Otherwise the fault is not ours and goes to the handler that
//! was installed before (the embedder's, or Rust's stack-overflow
//! handler); if that was the default action, it is restored and the fault
//! repeats with it.
//!
//! Compiled code never raises `SIGILL` or `SIGFPE` (division checks its
//! operands, and no `ud2` is reachable), so those are always passed on.
//!
//! The handler touches only a thread-local with a constant initializer
//! and the modules' immutable fault tables, which the activations keep
//! alive: nothing that can lock or allocate.

use core::cell::Cell;
use core::ffi::{c_int, c_void};
use std::sync::Once;

use super::CompiledModule;

/// A module whose code runs on this thread, from `vm::invoke`'s entry to
/// its return; they nest when host functions call back into wasm.
///
/// `repr(C)`: compiled code pushes one, in its frame, for a direct call
/// into another instance's code (`codegen`'s import calls), with the
/// module at offset 0 and the previous activation at 8.
#[repr(C)]
pub(crate) struct Activation {
    module: *const CompiledModule,
    prev: *const Activation,
}

/// The address of this thread's list of activations (where compiled code
/// pushes and pops them around direct calls).
#[inline]
pub(crate) fn active_slot() -> *const () {
    ACTIVE.with(|a| core::ptr::from_ref(a).cast())
}

std::thread_local! {
    /// The innermost entry trampoline's stack pointer on this thread, which
    /// a trap in compiled code unwinds to: per thread, not per context or
    /// store, so that a trap in another instance's code (called directly)
    /// or after a host function replaced the store finds it.
    static ENTRY_SP: Cell<usize> = const { Cell::new(0) };
}

/// The address of this thread's entry stack pointer.
#[inline]
pub(crate) fn entry_sp_slot() -> *mut usize {
    ENTRY_SP.with(Cell::as_ptr)
}

std::thread_local! {
    static ACTIVE: Cell<*const Activation> = const { Cell::new(core::ptr::null()) };
}

/// A number for this thread, never 0, different from every other live
/// thread's: the address of its entry stack pointer cell.
#[inline]
pub(crate) fn thread_token() -> u64 {
    entry_sp_slot() as u64
}

/// Runs `f` (which enters `module`'s code) with `module` registered as
/// active on this thread.
pub(crate) fn with_activation<R>(module: &CompiledModule, f: impl FnOnce() -> R) -> R {
    struct Restore(*const Activation);
    impl Drop for Restore {
        fn drop(&mut self) {
            ACTIVE.with(|a| a.set(self.0));
            if self.0.is_null() {
                // The outermost activation on this thread ended: contexts
                // of stores dropped under it are no longer used.
                super::vm::free_parked_contexts();
            }
        }
    }
    let act = Activation {
        module,
        prev: ACTIVE.with(Cell::get),
    };
    let _restore = Restore(act.prev);
    ACTIVE.with(|a| a.set(&act));
    f()
}

const SIGNALS: [c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

/// The handlers installed before ours, by `SIGNALS` index.
struct Previous(core::cell::UnsafeCell<[libc::sigaction; 4]>);
// SAFETY: written once, inside `INSTALL`, before our handler is installed
// (so before any handler can read it); only read afterwards.
unsafe impl Sync for Previous {}

static PREVIOUS: Previous = Previous(core::cell::UnsafeCell::new(
    // SAFETY: `sigaction` is plain data for which all-zero is valid (the
    // default action, no flags).
    unsafe { core::mem::zeroed() },
));
static INSTALL: Once = Once::new();

/// Installs the handler (once per process).
pub(crate) fn install() {
    INSTALL.call_once(|| {
        for (i, &sig) in SIGNALS.iter().enumerate() {
            // SAFETY: `sigaction` with a valid signal number and valid
            // pointers; the previous action is saved before ours replaces
            // it, and `PREVIOUS` is not read until ours is in place.
            unsafe {
                let prev = &mut (*PREVIOUS.0.get())[i];
                libc::sigaction(sig, core::ptr::null(), prev);
                let mut ours: libc::sigaction = core::mem::zeroed();
                ours.sa_sigaction = handler as *const () as usize;
                ours.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER | libc::SA_ONSTACK;
                libc::sigemptyset(&mut ours.sa_mask);
                libc::sigaction(sig, &ours, core::ptr::null_mut());
            }
        }
    });
}

/// Where an unchecked access at `pc` resumes, if it is one of the active
/// modules'.
fn fault_target(pc: usize) -> Option<(usize, usize)> {
    let mut act = ACTIVE.with(Cell::get);
    while !act.is_null() {
        // SAFETY: activations live on the stack of this thread's frames
        // that are still running (`with_activation`), and each keeps its
        // module alive through the instance that is running it.
        let (module, prev) = unsafe { (&*(*act).module, (*act).prev) };
        if let Some(t) = module.fault_target(pc) {
            return Some(t);
        }
        act = prev;
    }
    None
}

unsafe extern "C" fn handler(sig: c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
    if sig == libc::SIGSEGV || sig == libc::SIGBUS {
        // SAFETY: with SA_SIGINFO the kernel passes the interrupted
        // context, which the handler may change to resume elsewhere.
        let gregs = unsafe { &mut (*ctx.cast::<libc::ucontext_t>()).uc_mcontext.gregs };
        let pc = gregs[libc::REG_RIP as usize] as usize;
        if let Some((stub, ret)) = fault_target(pc) {
            let sp = gregs[libc::REG_RSP as usize] as usize - 8;
            // SAFETY: `sp` is just below the faulting compiled frame's
            // stack pointer, on a stack with room for the trap path (the
            // prologue's stack-limit check); this is what a `call` to the
            // stub would have written.
            unsafe { (sp as *mut usize).write(ret) };
            gregs[libc::REG_RSP as usize] = sp as i64;
            gregs[libc::REG_RIP as usize] = stub as i64;
            return;
        }
    }
    // SAFETY: the previous handler, called as the kernel would have.
    unsafe { chain(sig, info, ctx) }
}

/// Passes a signal that is not ours to the handler installed before.
///
/// # Safety
/// Only from the signal handler, with its arguments.
unsafe fn chain(sig: c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
    let Some(i) = SIGNALS.iter().position(|&s| s == sig) else {
        return;
    };
    // SAFETY: written before our handler was installed, read-only since.
    let prev = unsafe { &(*PREVIOUS.0.get())[i] };
    match prev.sa_sigaction {
        libc::SIG_DFL | libc::SIG_IGN => {
            // The fault repeats when the handler returns, then with the
            // previous (default) action.
            // SAFETY: restores a valid action for a valid signal.
            unsafe { libc::sigaction(sig, prev, core::ptr::null_mut()) };
        }
        f if prev.sa_flags & libc::SA_SIGINFO != 0 => {
            // SAFETY: the previous handler asked for this signature.
            let f: extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) =
                unsafe { core::mem::transmute::<usize, _>(f) };
            f(sig, info, ctx);
        }
        f => {
            // SAFETY: a plain `sa_handler`.
            let f: extern "C" fn(c_int) = unsafe { core::mem::transmute::<usize, _>(f) };
            f(sig);
        }
    }
}
