//! Exception handling: `throw`, `throw_ref` (and legacy `rethrow`), and
//! the release of a legacy `catch` block's exception. A throw ends the
//! dispatch loop as a trap does, with the exception and the throwing
//! frame's base; `exec::run` finds the handler (see `exec::unwind`).

use super::control::handler;
use super::{after, exit, next, operands, s, trap, Cx, Done, Exit, Ip, Sp};
use crate::interp::code::ops;
use crate::trap::TrapCode;

/// Ends the activation with exception object `exn` thrown at `ip` by the
/// frame at `sp`.
#[cold]
#[inline(never)]
fn throw_exn(cx: *mut Cx, ip: Ip, sp: Sp, exn: u32) -> Done {
    // SAFETY: every handler receives the activation's live context, and
    // `sp` points into the value stack that starts at `stack`.
    unsafe {
        let c = &mut *cx;
        c.exit_base = sp.offset_from(c.stack) as usize;
    }
    exit(cx, ip, Exit::Throw(exn))
}

handler!(
    /// `throw`: a new exception of the tag, with the values in the slots.
    throw(o: Throw, ip, sp, mem, len, cx) {
        // SAFETY: handlers run with the store live and otherwise unused;
        // every handler receives the activation's live context.
        let (inner, instance) = unsafe { (Cx::inner(cx), (*cx).instance) };
        // Validation checked the tag index against the module's tags,
        // which the instance has.
        let tag = inner.instances[instance as usize].tags[o.tag as usize];
        let n = crate::func::cells_of(inner.tags[tag as usize].ty.params());
        let values: alloc::boxed::Box<[u64]> = (0..n).map(|k| s!(sp, o.args + k as u32)).collect();
        match inner.exns.alloc(tag, values, false) {
            Ok(exn) => return throw_exn(cx, ip, sp, exn),
            Err(e) => return exit(cx, ip, Exit::Error(e)),
        }
    }
);

handler!(
    /// `throw_ref`: the exception the reference names; null traps.
    throw_ref(o: ThrowRef, ip, sp, mem, len, cx) {
        match s!(sp, o.src) {
            0 => return trap(cx, ip, TrapCode::NullExceptionReference),
            raw => return throw_exn(cx, ip, sp, (raw - 1) as u32),
        }
    }
);

handler!(
    /// Leaving a legacy `catch` block (at its end, or by a branch): it no
    /// longer holds its exception, which is freed unless a reference to
    /// it was made.
    exn_release(o: ExnRelease, ip, sp, mem, len, cx) {
        let raw = s!(sp, o.src);
        if raw != 0 {
            // SAFETY: handlers run with the store live and otherwise unused.
            let inner = unsafe { Cx::inner(cx) };
            inner.exns.unhold((raw - 1) as u32, None);
        }
    }
);
