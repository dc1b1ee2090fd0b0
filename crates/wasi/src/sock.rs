//! `sock_*`: sockets the host preopened (`--tcplisten`) and connections
//! accepted on them. A guest cannot create or connect sockets itself.

use std::os::fd::AsFd;

use rustix::event::PollFlags;
use rustix::net::RecvFlags;

use crate::ctx::{fdflags, rights, Entry, Kind, WasiCtx};
use crate::errno::{BlockingResult, Errno, Fatal, WasiResult};
use crate::fd::need;
use crate::mem::{write_pieces, GuestMemory};
use crate::poll::stream_recv;

/// `sock_accept(fd, flags: fdflags, fd_out: *fd) -> errno`: accepts a
/// connection on a listening socket (`NONBLOCK` in `flags` makes the new
/// socket non-blocking).
pub fn sock_accept(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u16,
    out: u32,
) -> BlockingResult<()> {
    let deadline = ctx.deadline;
    let e = ctx.get(fd)?;
    if !matches!(e.kind, Kind::Listener(_)) {
        return Err(Errno::Notsock.into());
    }
    need(e.base, rights::SOCK_ACCEPT)?;
    // Charged to the quota and budget before the host accepts.
    let charge = ctx.charge()?;
    let e = ctx.get(fd)?;
    let Kind::Listener(l) = &e.kind else {
        return Err(Errno::Notsock.into());
    };
    if let Some(deadline) = deadline {
        // Another user of the same listening socket (a duplicate the
        // embedder kept) could take the connection between the wait and
        // the accept, which then blocks until the next one.
        crate::poll::wait_ready(l.as_fd(), PollFlags::IN, deadline)?;
    }
    let (stream, _) = l.accept()?;
    let nonblock = flags & fdflags::NONBLOCK != 0;
    stream.set_nonblocking(nonblock)?;
    let new = ctx.insert(Entry {
        kind: Kind::Stream(stream),
        base: rights::SOCKET & !rights::SOCK_ACCEPT,
        inheriting: 0,
        flags: if nonblock { fdflags::NONBLOCK } else { 0 },
        charge,
    })?;
    Ok(mem.write_u32(out, new)?)
}

/// `sock_recv(fd, ri_data: *iovec, ri_data_len, ri_flags: u16,
/// ro_datalen: *size, ro_flags: *u16) -> errno`: `ri_flags` bit 0 peeks,
/// bit 1 waits for all requested bytes.
pub fn sock_recv(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    count: u32,
    flags: u16,
    datalen: u32,
    oflags: u32,
) -> BlockingResult<()> {
    let deadline = ctx.deadline;
    let e = ctx.get(fd)?;
    let nonblocking = e.flags & fdflags::NONBLOCK != 0;
    let base = e.base;
    let Kind::Stream(s) = &mut e.kind else {
        return Err(Errno::Notsock.into());
    };
    need(base, rights::FD_READ)?;
    let recv = |buf: &mut [u8], flags| stream_recv(s, buf, flags, nonblocking, deadline);
    // Into the buffers as `fd_read` reads (a bounded host buffer at most),
    // so "wait for all" waits for all of what one call can take.
    let n = mem.read_iovecs(iovs, count, |buf: &mut [u8]| {
        if flags & 1 != 0 {
            recv(buf, RecvFlags::PEEK)
        } else if flags & 2 != 0 {
            let mut got = 0;
            while got < buf.len() {
                match recv(&mut buf[got..], RecvFlags::empty()) {
                    Ok(0) => break,
                    Ok(k) => got += k,
                    Err(e) if got == 0 || e.is_fatal() => return Err(e),
                    Err(_) => break,
                }
            }
            Ok(got)
        } else {
            recv(buf, RecvFlags::empty())
        }
    })?;
    mem.write_u32(datalen, n as u32)?;
    Ok(mem.write_u16(oflags, 0)?)
}

/// `sock_send(fd, si_data: *ciovec, si_data_len, si_flags: u16,
/// so_datalen: *size) -> errno`.
pub fn sock_send(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    count: u32,
    datalen: u32,
) -> BlockingResult<()> {
    let bufs = mem.ciovecs(iovs, count)?;
    let deadline = ctx.deadline;
    let e = ctx.get(fd)?;
    let nonblocking = e.flags & fdflags::NONBLOCK != 0;
    let base = e.base;
    let Kind::Stream(s) = &mut e.kind else {
        return Err(Errno::Notsock.into());
    };
    need(base, rights::FD_WRITE)?;
    let n = write_pieces(&bufs, |piece| {
        crate::poll::stream_send(s, piece, nonblocking, deadline)
    })?;
    Ok(mem.write_u32(datalen, n as u32)?)
}

/// `sock_shutdown(fd, how: sdflags) -> errno`: bit 0 shuts down reading,
/// bit 1 writing.
pub fn sock_shutdown(ctx: &mut WasiCtx, fd: u32, how: u32) -> WasiResult<()> {
    let e = ctx.get(fd)?;
    let Kind::Stream(s) = &e.kind else {
        return Err(Errno::Notsock);
    };
    need(e.base, rights::SOCK_SHUTDOWN)?;
    let how = match how & 3 {
        1 => std::net::Shutdown::Read,
        2 => std::net::Shutdown::Write,
        3 => std::net::Shutdown::Both,
        _ => return Err(Errno::Inval),
    };
    Ok(s.shutdown(how)?)
}
