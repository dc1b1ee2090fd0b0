//! `clock_*`, `random_get`, `sched_yield`: time, randomness, scheduling.
//!
//! Clock ids: 0 realtime (since the epoch), 1 monotonic, 2 process CPU
//! time, 3 thread CPU time; times are `u64` nanoseconds.

use rustix::time::{ClockId, Timespec};

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

/// `clock_res_get(id: clockid, resolution: *timestamp) -> errno`.
pub fn clock_res_get(mem: &mut GuestMemory<'_>, id: u32, out: u32) -> WasiResult<()> {
    let res = ns(rustix::time::clock_getres(clock_id(id)?)).max(1);
    mem.write_u64(out, res)
}

/// `clock_time_get(id: clockid, precision: timestamp, time: *timestamp)
/// -> errno`.
pub fn clock_time_get(mem: &mut GuestMemory<'_>, id: u32, out: u32) -> WasiResult<()> {
    mem.write_u64(out, now(clock_id(id)?))
}

/// `random_get(buf: *u8, buf_len: size) -> errno`: fills the buffer from
/// the host's cryptographic random source.
pub fn random_get(mem: &mut GuestMemory<'_>, buf: u32, len: u32) -> WasiResult<()> {
    let mut out = mem.slice_mut(buf, len)?;
    while !out.is_empty() {
        match rustix::rand::getrandom(&mut *out, rustix::rand::GetRandomFlags::empty()) {
            Ok(n) => out = &mut out[n..],
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
