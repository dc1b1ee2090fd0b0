//! `poll_oneoff`: wait for clocks and descriptors.
//!
//! A `subscription` is 48 bytes: `userdata: u64` at 0, the tag `u8` at 8
//! (0 clock, 1 fd_read, 2 fd_write), then at 16 either a clock (`id: u32`
//! at 16, `timeout: u64` at 24, `precision: u64` at 32, `flags: u16` at 40,
//! bit 0 = absolute time) or a descriptor (`fd: u32` at 16). An `event` is
//! 32 bytes: `userdata: u64` at 0, `error: u16` at 8, `type: u8` at 10,
//! and for descriptors `nbytes: u64` at 16 and `flags: u16` at 24 (bit 0 =
//! hang-up). In `wasi_unstable` a subscription is 56 bytes: the clock
//! starts with an `identifier: u64` at 16 (unused), so its other fields
//! are 8 bytes further.
//!
//! Also the waits of the other calls that can block (reads and writes of
//! sockets and of the host's standard streams, `sock_accept`), each
//! bounded by the context's deadline ([`WasiCtx::set_deadline`]).

use std::net::TcpStream;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use nanowasm_runtime::TrapCode;
use rustix::event::{PollFd, PollFlags};
use rustix::fs::{FileType, OFlags};
use rustix::net::{RecvFlags, SendFlags};
use rustix::time::{ClockId, Timespec};

use crate::clock::{clock_id, now};
use crate::ctx::{rights, Clocks, FileEntry, Kind, Stdio, WasiCtx};
use crate::errno::{BlockingResult, Errno, WasiError, WasiResult};
use crate::mem::GuestMemory;

struct Event {
    userdata: u64,
    error: Errno,
    ty: u8,
    nbytes: u64,
    hangup: bool,
}

impl Event {
    fn bytes(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&self.userdata.to_le_bytes());
        b[8..10].copy_from_slice(&(self.error as u16).to_le_bytes());
        b[10] = self.ty;
        b[16..24].copy_from_slice(&self.nbytes.to_le_bytes());
        b[24..26].copy_from_slice(&u16::from(self.hangup).to_le_bytes());
        b
    }
}

/// A clock subscription.
struct ClockSub {
    userdata: u64,
    clock: ClockId,
    timeout: u64,
    absolute: bool,
}

fn clock_event(userdata: u64) -> Event {
    Event {
        userdata,
        error: Errno::Success,
        ty: 0,
        nbytes: 0,
        hangup: false,
    }
}

/// Where the fields of a clock subscription are: `wasi_snapshot_preview1`
/// and `wasi_unstable` (whose clock subscription starts with an extra
/// `identifier: u64`) differ.
#[derive(Clone, Copy)]
pub(crate) struct Layout {
    /// The size of a subscription.
    size: u32,
    /// The offset of the clock's `id: u32`; `timeout: u64` follows at
    /// `+8`, and `flags: u16` at `+24`.
    clock: usize,
}

/// `wasi_snapshot_preview1`: 48-byte subscriptions.
pub(crate) const PREVIEW1: Layout = Layout {
    size: 48,
    clock: 16,
};

/// `wasi_unstable`: 56-byte subscriptions, the clock's fields 8 bytes
/// further.
pub(crate) const PREVIEW0: Layout = Layout {
    size: 56,
    clock: 24,
};

/// `poll_oneoff(in: *subscription, out: *event, nsubscriptions, nevents:
/// *size) -> errno`.
///
/// Clock subscriptions reveal only the time the granted clocks show:
///
/// - host clocks: the call sleeps until the deadline;
/// - no clocks: a relative timeout still sleeps (the guest has no clock to
///   measure it with), but an absolute one, a time on a clock the guest
///   may not read, gets an event with error `ENOTCAPABLE` at once;
/// - coarse clocks (resolution `r`): the guest's view of the clock,
///   truncated to `r`, must reach the deadline, so the call wakes on an
///   `r` boundary; a relative timeout counts from the guest's (truncated)
///   view of now. When it wakes thus depends only on the truncated time
///   and the timeout, never on the host time between two boundaries;
/// - virtual clocks ([`crate::WasiCtxBuilder::virtual_clocks`]): nothing
///   sleeps, virtual time jumps to the earliest deadline unless a
///   descriptor is ready at once.
///
/// The whole call waits at most until the context's deadline
/// ([`WasiCtx::set_deadline`]); if it passes first, the guest ends with
/// the interrupt trap.
pub fn poll_oneoff(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    subs: u32,
    out: u32,
    n: u32,
    nevents: u32,
) -> BlockingResult<()> {
    poll_with(ctx, mem, subs, out, n, nevents, PREVIEW1)
}

/// The most subscriptions one `poll_oneoff` takes (`EINVAL` past it), so
/// that the host's copies (subscriptions, events, waits) stay within a few
/// MiB whatever the guest asks; the same order as Linux's `poll` limit of
/// open descriptors, and far more than any guest waits on at once.
pub const MAX_SUBSCRIPTIONS: u32 = 1 << 16;

/// [`poll_oneoff`] with subscriptions laid out as `layout` says.
pub(crate) fn poll_with(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    subs: u32,
    out: u32,
    n: u32,
    nevents: u32,
    layout: Layout,
) -> BlockingResult<()> {
    if n == 0 || n > MAX_SUBSCRIPTIONS {
        return Err(Errno::Inval.into());
    }
    let raw = mem
        .slice(subs, n.checked_mul(layout.size).ok_or(Errno::Fault)?)?
        .to_vec();
    // The output array must be writable before anything waits.
    mem.slice_mut(out, n.checked_mul(32).ok_or(Errno::Fault)?)?;
    let mut ready = Vec::new();
    let mut subs = Vec::new(); // clock subscriptions
    let mut waits = Vec::new(); // (userdata, type, host fd number)
    for s in raw.chunks_exact(layout.size as usize) {
        let u64_at = |i: usize| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or_default());
        let u32_at = |i: usize| u32::from_le_bytes(s[i..i + 4].try_into().unwrap_or_default());
        let userdata = u64_at(0);
        let ty = s[8];
        let event = |error, nbytes, hangup| Event {
            userdata,
            error,
            ty,
            nbytes,
            hangup,
        };
        match ty {
            0 => match clock_id(u32_at(layout.clock)) {
                Err(e) => ready.push(event(e, 0, false)),
                Ok(clock) => subs.push(ClockSub {
                    userdata,
                    clock,
                    timeout: u64_at(layout.clock + 8),
                    absolute: s[layout.clock + 24] & 1 != 0, // `flags: u16`
                }),
            },
            1 | 2 => {
                let fd = u32_at(16);
                let read = ty == 1;
                match ctx.fds.get(&fd).map(|e| (e.base, &e.kind)) {
                    None | Some((_, Kind::Dir(_))) => ready.push(event(Errno::Badf, 0, false)),
                    // As wasi-common: waiting on a descriptor needs its
                    // `poll_fd_readwrite` right.
                    Some((base, _)) if base & rights::POLL_FD_READWRITE == 0 => {
                        ready.push(event(Errno::Notcapable, 0, false))
                    }
                    Some((_, kind)) => match kind {
                        Kind::Stdio(which, Stdio::Inherit) => {
                            waits.push((userdata, ty, *which as i32))
                        }
                        Kind::Stdio(_, Stdio::Buffer(b)) => {
                            let len = if read {
                                b.lock().map(|b| b.len()).unwrap_or(0)
                            } else {
                                0
                            };
                            ready.push(event(Errno::Success, len as u64, false));
                        }
                        Kind::Stdio(_, Stdio::Null) => ready.push(event(Errno::Success, 0, read)),
                        Kind::File(f) => {
                            let nbytes = if read {
                                let size = f.file.metadata().map(|m| m.len()).unwrap_or(0);
                                let pos = rustix::fs::tell(&f.file).unwrap_or(0);
                                size.saturating_sub(pos)
                            } else {
                                0
                            };
                            ready.push(event(Errno::Success, nbytes, false));
                        }
                        Kind::Stream(s) => {
                            waits.push((userdata, ty, std::os::fd::AsRawFd::as_raw_fd(s)));
                        }
                        Kind::Listener(l) => {
                            waits.push((userdata, ty, std::os::fd::AsRawFd::as_raw_fd(l)));
                        }
                        Kind::Dir(_) => ready.push(event(Errno::Badf, 0, false)),
                    },
                }
            }
            _ => return Err(Errno::Inval.into()),
        }
    }
    let deadline = ctx.deadline;
    let events = match &mut ctx.clocks {
        Clocks::Virtual { start, t } if !subs.is_empty() => {
            poll_virtual(*start, t, ready, &subs, &waits)?
        }
        clocks => {
            let mono = now(ClockId::Monotonic);
            let mut wakes = Vec::with_capacity(subs.len());
            for c in &subs {
                match wake_time(*clocks, c, mono) {
                    Ok(at) => wakes.push((c.userdata, at)),
                    Err(e) => ready.push(Event {
                        error: e,
                        ..clock_event(c.userdata)
                    }),
                }
            }
            poll_host(ready, &wakes, &waits, deadline)?
        }
    };
    Ok(write_events(mem, events, n, out, nevents)?)
}

/// When clock subscription `c` fires, on the host's monotonic clock
/// (which reads `mono` now), given what the guest's clocks show (see
/// [`poll_oneoff`]); an error for the event instead if it may not wait
/// on that clock. Saturates: a deadline past the end of time never comes.
fn wake_time(clocks: Clocks, c: &ClockSub, mono: u64) -> Result<u64, Errno> {
    match clocks {
        Clocks::Denied if c.absolute => Err(Errno::Notcapable),
        Clocks::Coarse(r) => {
            let host = now(c.clock);
            let seen = host - host % r;
            let target = if c.absolute {
                c.timeout
            } else {
                seen.saturating_add(c.timeout)
            };
            // The first time the truncated clock reads `target` or later.
            let boundary = match target % r {
                0 => target,
                rem => target.saturating_add(r - rem),
            };
            Ok(mono.saturating_add(boundary.saturating_sub(host)))
        }
        Clocks::Denied | Clocks::Host | Clocks::Virtual { .. } => Ok(if c.absolute {
            mono.saturating_add(c.timeout.saturating_sub(now(c.clock)))
        } else {
            mono.saturating_add(c.timeout)
        }),
    }
}

/// Waits on the host clocks and descriptors: `wakes` are the clock
/// subscriptions' (userdata, time on the monotonic clock), `deadline`
/// bounds the wait (the interrupt trap when it passes first).
fn poll_host(
    mut ready: Vec<Event>,
    wakes: &[(u64, u64)],
    waits: &[(u64, u8, i32)],
    deadline: Option<Instant>,
) -> BlockingResult<Vec<Event>> {
    let start = now(ClockId::Monotonic);
    // The deadline on the monotonic clock (which `Instant` also reads).
    let deadline = deadline.map(|d| {
        let left = d.saturating_duration_since(Instant::now()).as_nanos();
        start.saturating_add(u64::try_from(left).unwrap_or(u64::MAX))
    });
    loop {
        let t = now(ClockId::Monotonic);
        let mut events: Vec<Event> = std::mem::take(&mut ready);
        for &(userdata, at) in wakes {
            if at <= t {
                events.push(clock_event(userdata));
            }
        }
        let wait = if events.is_empty() {
            wakes.iter().map(|&(_, at)| at - t).min()
        } else {
            Some(0)
        };
        // Wait no longer than the deadline.
        let (wait, bounded) = match (wait, deadline) {
            (Some(w), Some(d)) if w <= d.saturating_sub(t) => (Some(w), false),
            (_, Some(d)) => (Some(d.saturating_sub(t)), true),
            (w, None) => (w, false),
        };
        if !waits.is_empty() {
            tracing::trace!(
                descriptors = waits.len(),
                timeout_ns = ?wait,
                "poll_oneoff waits for descriptors"
            );
            events.extend(poll_fds(waits, wait)?);
        } else if let Some(ns) = wait {
            if ns > 0 {
                tracing::trace!(ns, "poll_oneoff sleeps");
                std::thread::sleep(Duration::from_nanos(ns));
            }
        }
        if events.is_empty() {
            if bounded && deadline.is_some_and(|d| now(ClockId::Monotonic) >= d) {
                return Err(interrupted());
            }
            continue;
        }
        let t = now(ClockId::Monotonic);
        for &(userdata, at) in wakes {
            if at <= t && !events.iter().any(|e| e.ty == 0 && e.userdata == userdata) {
                events.push(clock_event(userdata));
            }
        }
        return Ok(events);
    }
}

/// The trap that ends a guest whose deadline passed while it waited: the
/// one epoch interruption gives.
fn interrupted() -> WasiError {
    WasiError::Trap(TrapCode::Interrupted)
}

/// Clock subscriptions on virtual time (`start` the realtime clock at
/// `t == 0`): descriptors ready at once win; otherwise `t` jumps to the
/// earliest deadline. No host clock is read and nothing sleeps.
fn poll_virtual(
    start: u64,
    t: &mut u64,
    mut events: Vec<Event>,
    subs: &[ClockSub],
    waits: &[(u64, u8, i32)],
) -> WasiResult<Vec<Event>> {
    if !waits.is_empty() {
        events.extend(poll_fds(waits, Some(0))?);
    }
    // Each deadline as a value of `t`.
    let deadlines: Vec<(u64, u64)> = subs
        .iter()
        .map(|c| {
            let deadline = match (c.absolute, c.clock) {
                (false, _) => t.saturating_add(c.timeout),
                (true, ClockId::Realtime) => c.timeout.saturating_sub(start),
                (true, _) => c.timeout,
            };
            (c.userdata, deadline)
        })
        .collect();
    if events.is_empty() {
        if let Some(earliest) = deadlines.iter().map(|&(_, d)| d).min() {
            *t = (*t).max(earliest);
        }
    }
    for &(userdata, deadline) in &deadlines {
        if deadline <= *t {
            events.push(clock_event(userdata));
        }
    }
    Ok(events)
}

/// A `poll` timeout of `ns` nanoseconds.
fn timespec(ns: u64) -> Timespec {
    Timespec {
        tv_sec: (ns / 1_000_000_000) as _,
        tv_nsec: (ns % 1_000_000_000) as _,
    }
}

/// Bytes a pipe with room for one more write takes without blocking.
pub(crate) const PIPE_BUF: usize = 4096;

/// Whether reads and writes of host descriptor `fd` can wait: it is not a
/// regular file or a block device (but a pipe, socket, terminal...).
pub(crate) fn can_wait(fd: BorrowedFd<'_>) -> bool {
    !rustix::fs::fstat(fd).is_ok_and(|st| {
        matches!(
            FileType::from_raw_mode(st.st_mode),
            FileType::RegularFile | FileType::BlockDevice
        )
    })
}

impl FileEntry {
    /// The deadline for a read or write of this file: none if it cannot
    /// wait (a regular file) or is in non-blocking mode (where the call
    /// fails with `EAGAIN` instead of waiting).
    pub(crate) fn deadline(&self, deadline: Option<Instant>) -> Option<Instant> {
        deadline.filter(|_| {
            self.can_wait
                && rustix::fs::fcntl_getfl(&self.file)
                    .is_ok_and(|fl| !fl.contains(OFlags::NONBLOCK))
        })
    }
}

/// A FIFO's or terminal's file description in non-blocking mode while
/// this lives, for a read or write under a deadline: another reader or
/// writer of the same FIFO (another tenant, with its own description) can
/// take the bytes, or the room, between the wait for readiness and the
/// call, and a blocking call would then wait past the deadline.
pub(crate) struct NonBlocking<'a> {
    fd: BorrowedFd<'a>,
    flags: OFlags,
}

impl<'a> NonBlocking<'a> {
    pub(crate) fn new(fd: BorrowedFd<'a>) -> WasiResult<NonBlocking<'a>> {
        let flags = rustix::fs::fcntl_getfl(fd)?;
        rustix::fs::fcntl_setfl(fd, flags | OFlags::NONBLOCK)?;
        Ok(NonBlocking { fd, flags })
    }
}

impl Drop for NonBlocking<'_> {
    fn drop(&mut self) {
        let _ = rustix::fs::fcntl_setfl(self.fd, self.flags);
    }
}

/// Reads from a FIFO or terminal in blocking mode (a file that [can
/// wait](can_wait)) into `buf`, waiting for bytes at most until
/// `deadline`; the read itself never blocks ([`NonBlocking`]): when
/// another reader took the bytes first, it waits again.
pub(crate) fn read_waiting(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    deadline: Instant,
) -> BlockingResult<usize> {
    let _nonblocking = NonBlocking::new(fd)?;
    loop {
        wait_ready(fd, PollFlags::IN, deadline)?;
        match rustix::io::read(fd, &mut *buf) {
            Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => {}
            r => return Ok(r?),
        }
    }
}

/// With a deadline, waits (at most until it) for host descriptor `fd` to
/// have bytes to read (a read may still find them taken by another
/// reader: see [`read_waiting`]). Callers pass a deadline only for a
/// descriptor that [can wait](can_wait).
pub(crate) fn wait_readable(fd: BorrowedFd<'_>, deadline: Option<Instant>) -> BlockingResult<()> {
    match deadline {
        Some(deadline) => wait_ready(fd, PollFlags::IN, deadline),
        None => Ok(()),
    }
}

/// Writes all of `data` to host descriptor `fd`, as a blocking stream
/// would (a short count only if a write fails after some bytes). With a
/// deadline (callers pass one only for a descriptor that [can
/// wait](can_wait)), it is written in pieces of at most [`PIPE_BUF`]
/// bytes, each after waiting (at most until the deadline) for room: a
/// pipe with room takes such a piece without blocking.
pub(crate) fn write_all(
    fd: BorrowedFd<'_>,
    data: &[u8],
    deadline: Option<Instant>,
) -> BlockingResult<usize> {
    let mut done = 0;
    while done < data.len() {
        let end = match deadline {
            Some(deadline) => {
                wait_ready(fd, PollFlags::OUT, deadline)?;
                data.len().min(done + PIPE_BUF)
            }
            None => data.len(),
        };
        match rustix::io::write(fd, &data[done..end]) {
            Ok(n) => done += n,
            Err(rustix::io::Errno::INTR) => continue,
            // A host standard stream in non-blocking mode, which another
            // writer filled since the wait.
            Err(rustix::io::Errno::AGAIN) if deadline.is_some() => continue,
            Err(e) if done == 0 => return Err(e.into()),
            Err(_) => break,
        }
    }
    Ok(done)
}

/// Waits until host descriptor `fd` is ready for `events` (`IN` or
/// `OUT`; an error or a hang-up counts as ready, for the operation that
/// follows to report), at most until `deadline`: past it, the interrupt
/// trap.
pub(crate) fn wait_ready(
    fd: BorrowedFd<'_>,
    events: PollFlags,
    deadline: Instant,
) -> BlockingResult<()> {
    tracing::trace!(
        fd = std::os::fd::AsRawFd::as_raw_fd(&fd),
        ?events,
        "waiting for a descriptor to be ready"
    );
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let left = u64::try_from(left.as_nanos()).unwrap_or(u64::MAX);
        let mut pfd = [PollFd::new(&fd, events)];
        match rustix::event::poll(&mut pfd, Some(&timespec(left))) {
            Ok(0) | Err(rustix::io::Errno::INTR) => {}
            Ok(_) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        if left == 0 {
            return Err(interrupted());
        }
    }
}

/// Receives from a connected socket into `buf` (`flags`: peek, wait for
/// all). A blocking socket waits for data at most until `deadline`, and
/// then receives without blocking (it is only this context's, so nothing
/// else takes the data in between); a non-blocking one fails with
/// `EAGAIN` as usual.
pub(crate) fn stream_recv(
    s: &TcpStream,
    buf: &mut [u8],
    flags: RecvFlags,
    nonblocking: bool,
    deadline: Option<Instant>,
) -> BlockingResult<usize> {
    if buf.is_empty() {
        return Ok(0);
    }
    let deadline = deadline.filter(|_| !nonblocking);
    loop {
        let flags = match deadline {
            Some(d) => {
                wait_ready(s.as_fd(), PollFlags::IN, d)?;
                flags | RecvFlags::DONTWAIT
            }
            None => flags,
        };
        match rustix::net::recv(s, &mut *buf, flags) {
            Ok((n, _)) => return Ok(n),
            Err(rustix::io::Errno::INTR) => {}
            Err(rustix::io::Errno::AGAIN) if deadline.is_some() => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Sends `data` on a connected socket; the count sent. A blocking socket
/// waits for room at most until `deadline`, then sends what fits without
/// blocking.
pub(crate) fn stream_send(
    s: &TcpStream,
    data: &[u8],
    nonblocking: bool,
    deadline: Option<Instant>,
) -> BlockingResult<usize> {
    if data.is_empty() {
        return Ok(0);
    }
    let deadline = deadline.filter(|_| !nonblocking);
    loop {
        let flags = match deadline {
            Some(d) => {
                wait_ready(s.as_fd(), PollFlags::OUT, d)?;
                SendFlags::NOSIGNAL | SendFlags::DONTWAIT
            }
            None => SendFlags::NOSIGNAL,
        };
        match rustix::net::send(s, data, flags) {
            Ok(n) => return Ok(n),
            Err(rustix::io::Errno::INTR) => {}
            Err(rustix::io::Errno::AGAIN) if deadline.is_some() => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Polls host descriptors for up to `timeout` nanoseconds (`None`: until
/// one is ready) and returns their events.
fn poll_fds(waits: &[(u64, u8, i32)], timeout: Option<u64>) -> WasiResult<Vec<Event>> {
    // SAFETY: the raw descriptors belong to entries of `ctx` (or the
    // process's standard streams), which stay open for this call.
    let borrowed: Vec<BorrowedFd<'_>> = waits
        .iter()
        .map(|&(_, _, fd)| unsafe { BorrowedFd::borrow_raw(fd) })
        .collect();
    let mut pfds: Vec<PollFd<'_>> = borrowed
        .iter()
        .zip(waits)
        .map(|(fd, &(_, ty, _))| {
            let flags = if ty == 1 {
                PollFlags::IN
            } else {
                PollFlags::OUT
            };
            PollFd::new(fd, flags)
        })
        .collect();
    let timeout = timeout.map(timespec);
    match rustix::event::poll(&mut pfds, timeout.as_ref()) {
        Ok(_) | Err(rustix::io::Errno::INTR) => {}
        Err(e) => return Err(e.into()),
    }
    let mut events = Vec::new();
    for (p, &(userdata, ty, _)) in pfds.iter().zip(waits) {
        let r = p.revents();
        if r.is_empty() {
            continue;
        }
        let error = if r.contains(PollFlags::NVAL) {
            Errno::Badf
        } else {
            Errno::Success
        };
        let nbytes = if ty == 1 {
            rustix::io::ioctl_fionread(p.as_fd()).unwrap_or(0)
        } else {
            0
        };
        events.push(Event {
            userdata,
            error,
            ty,
            nbytes,
            hangup: r.contains(PollFlags::HUP),
        });
    }
    Ok(events)
}

/// Writes at most `n` events at `out` and their count at `nevents`.
fn write_events(
    mem: &mut GuestMemory<'_>,
    mut events: Vec<Event>,
    n: u32,
    out: u32,
    nevents: u32,
) -> WasiResult<()> {
    events.truncate(n as usize);
    for (i, e) in events.iter().enumerate() {
        mem.write(out + 32 * i as u32, &e.bytes())?;
    }
    mem.write_u32(nevents, events.len() as u32)
}
