//! `clock_*`, `random_get`, `sched_yield`: time, randomness, scheduling.
//!
//! Clock ids: 0 realtime (since the epoch), 1 monotonic, 2 process CPU
//! time, 3 thread CPU time; times are `u64` nanoseconds. The clocks and
//! the random source are the host's, or wrapped ones (coarse or virtual
//! clocks, a seeded stream): see [`crate::ctx`].

use rand_core::RngCore;
use rustix::time::{ClockId, Timespec};

use crate::ctx::{Clocks, Random, WasiCtx};
use crate::errno::{Errno, WasiResult};
use crate::mem::GuestMemory;

pub(crate) fn clock_id(id: u32) -> WasiResult<ClockId> {
    Ok(match id {
        0 => ClockId::Realtime,
        1 => ClockId::Monotonic,
        2 => ClockId::ProcessCPUTime,
        3 => ClockId::ThreadCPUTime,
        _ => return Err(Errno::Inval),
    })
}

fn ns(t: Timespec) -> u64 {
    (t.tv_sec.max(0) as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(t.tv_nsec.max(0) as u64)
}

/// The current time of a clock, in nanoseconds.
pub(crate) fn now(id: ClockId) -> u64 {
    ns(rustix::time::clock_gettime(id))
}

/// `clock_res_get(id: clockid, resolution: *timestamp) -> errno`: the
/// host clock's resolution, at least the coarse resolution if coarse, and
/// 1 µs if virtual.
pub fn clock_res_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    id: u32,
    out: u32,
) -> WasiResult<()> {
    let res = match ctx.clocks {
        Clocks::Denied => return Err(Errno::Notcapable),
        Clocks::Host => host_res(clock_id(id)?),
        Clocks::Coarse(r) => host_res(clock_id(id)?).max(r),
        Clocks::Virtual { .. } => {
            clock_id(id)?;
            VIRTUAL_TICK
        }
    };
    mem.write_u64(out, res)
}

/// The resolution of the virtual clocks, and how far one read advances
/// them: 1 µs.
pub(crate) const VIRTUAL_TICK: u64 = 1_000;

fn host_res(id: ClockId) -> u64 {
    ns(rustix::time::clock_getres(id)).max(1)
}

/// The time of clock `id` as the guest sees it, in nanoseconds (which,
/// with virtual clocks, advances them by one tick).
pub(crate) fn guest_now(ctx: &mut WasiCtx, id: u32) -> WasiResult<u64> {
    match &mut ctx.clocks {
        Clocks::Denied => Err(Errno::Notcapable),
        Clocks::Host => Ok(now(clock_id(id)?)),
        Clocks::Coarse(r) => {
            let t = now(clock_id(id)?);
            Ok(t - t % *r)
        }
        Clocks::Virtual { start, t } => {
            let v = match clock_id(id)? {
                ClockId::Realtime => start.saturating_add(*t),
                _ => *t,
            };
            *t = t.saturating_add(VIRTUAL_TICK);
            Ok(v)
        }
    }
}

/// `clock_time_get(id: clockid, precision: timestamp, time: *timestamp)
/// -> errno`: the host clock, truncated to the coarse resolution if
/// coarse; with virtual clocks the virtual time, which then advances by
/// 1 µs.
pub fn clock_time_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    id: u32,
    out: u32,
) -> WasiResult<()> {
    let t = guest_now(ctx, id)?;
    mem.write_u64(out, t)
}

/// `random_get(buf: *u8, buf_len: size) -> errno`: fills the buffer from
/// the host's cryptographic random source, or from the context's seeded
/// stream.
pub fn random_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    buf: u32,
    len: u32,
) -> WasiResult<()> {
    let seeded = match &mut ctx.random {
        Random::Denied => return Err(Errno::Notcapable),
        Random::Seeded(rng) => Some(rng),
        Random::Host => None,
    };
    let mut out = mem.slice_mut(buf, len)?;
    match seeded {
        Some(rng) => {
            rng.fill_bytes(out);
            Ok(())
        }
        None => {
            while !out.is_empty() {
                match rustix::rand::getrandom(&mut *out, rustix::rand::GetRandomFlags::empty()) {
                    Ok(n) => out = &mut out[n..],
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(())
        }
    }
}

impl WasiCtx {
    /// A host timestamp (nanoseconds since the epoch, e.g. a file's
    /// modification time) as the clock grant lets the guest see it: as it
    /// is with the host's clocks, truncated with coarse ones, and 0 with
    /// no clocks or virtual ones (it would tell the host's time).
    pub(crate) fn wrap_timestamp(&self, ns: u64) -> u64 {
        match self.clocks {
            Clocks::Host => ns,
            Clocks::Coarse(r) => ns - ns % r,
            Clocks::Denied | Clocks::Virtual { .. } => 0,
        }
    }

    /// A `filestat` ([`crate::fd::filestat_bytes`]) with its three
    /// timestamps (at 40, 48 and 56) wrapped by
    /// [`wrap_timestamp`](Self::wrap_timestamp).
    pub(crate) fn wrap_filestat(&self, mut b: [u8; 64]) -> [u8; 64] {
        for at in [40, 48, 56] {
            let mut t = [0u8; 8];
            t.copy_from_slice(&b[at..at + 8]);
            let t = self.wrap_timestamp(u64::from_le_bytes(t));
            b[at..at + 8].copy_from_slice(&t.to_le_bytes());
        }
        b
    }
}
