//! `fd_*`: operations on open descriptors.

use std::io::{Seek, SeekFrom};
use std::os::fd::AsFd;

use rustix::fs::{FileType, OFlags, Stat, Timestamps};

use crate::ctx::{fdflags, filetype, rights, FileEntry, Kind, Stdio, WasiCtx};
use crate::errno::{BlockingResult, Errno, WasiResult};
use crate::mem::{retry, write_pieces, GuestMemory};
use crate::perms::{DirPerms, FilePerms};

/// `fstflags`.
pub mod fstflags {
    #![allow(missing_docs)]
    pub const ATIM: u16 = 1;
    pub const ATIM_NOW: u16 = 2;
    pub const MTIM: u16 = 4;
    pub const MTIM_NOW: u16 = 8;
}

/// One directory entry as `fd_readdir` reports it.
#[derive(Clone, Debug)]
pub struct Dirent {
    /// The entry's name.
    pub name: Vec<u8>,
    /// Its inode number.
    pub ino: u64,
    /// Its WASI file type.
    pub ty: u8,
}

fn wasi_filetype(t: FileType) -> u8 {
    match t {
        FileType::RegularFile => filetype::REGULAR_FILE,
        FileType::Directory => filetype::DIRECTORY,
        FileType::Symlink => filetype::SYMBOLIC_LINK,
        FileType::CharacterDevice => filetype::CHARACTER_DEVICE,
        FileType::BlockDevice => filetype::BLOCK_DEVICE,
        FileType::Socket => filetype::SOCKET_STREAM,
        _ => filetype::UNKNOWN,
    }
}

fn nanos(sec: i64, nsec: i64) -> u64 {
    (sec.max(0) as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(nsec.max(0) as u64)
}

/// A `filestat` (64 bytes): `dev: u64` at 0, `ino: u64` at 8, `filetype:
/// u8` at 16, `nlink: u64` at 24, `size: u64` at 32, `atim: u64` at 40,
/// `mtim: u64` at 48, `ctim: u64` at 56 (times in nanoseconds since the
/// epoch).
#[allow(clippy::unnecessary_cast)] // the field types differ between targets
pub fn filestat_bytes(st: &Stat) -> [u8; 64] {
    let mut b = [0u8; 64];
    b[0..8].copy_from_slice(&st.st_dev.to_le_bytes());
    b[8..16].copy_from_slice(&st.st_ino.to_le_bytes());
    b[16] = wasi_filetype(FileType::from_raw_mode(st.st_mode));
    b[24..32].copy_from_slice(&(st.st_nlink as u64).to_le_bytes());
    b[32..40].copy_from_slice(&(st.st_size as u64).to_le_bytes());
    let (a, m, c) = (
        nanos(st.st_atime as i64, st.st_atime_nsec as i64),
        nanos(st.st_mtime as i64, st.st_mtime_nsec as i64),
        nanos(st.st_ctime as i64, st.st_ctime_nsec as i64),
    );
    b[40..48].copy_from_slice(&a.to_le_bytes());
    b[48..56].copy_from_slice(&m.to_le_bytes());
    b[56..64].copy_from_slice(&c.to_le_bytes());
    b
}

/// The host timestamps for `*_filestat_set_times`: each time is set to the
/// given value (`ATIM`/`MTIM`), to now (`*_NOW`), or left alone.
pub(crate) fn timestamps(atim: u64, mtim: u64, fst: u16) -> WasiResult<Timestamps> {
    use rustix::fs::{UTIME_NOW, UTIME_OMIT};
    let one = |t: u64, set: u16, now: u16| -> WasiResult<rustix::fs::Timespec> {
        if fst & set != 0 && fst & now != 0 {
            return Err(Errno::Inval);
        }
        Ok(if fst & now != 0 {
            rustix::fs::Timespec {
                tv_sec: 0,
                tv_nsec: UTIME_NOW,
            }
        } else if fst & set != 0 {
            rustix::fs::Timespec {
                tv_sec: (t / 1_000_000_000) as _,
                tv_nsec: (t % 1_000_000_000) as _,
            }
        } else {
            rustix::fs::Timespec {
                tv_sec: 0,
                tv_nsec: UTIME_OMIT,
            }
        })
    };
    Ok(Timestamps {
        last_access: one(atim, fstflags::ATIM, fstflags::ATIM_NOW)?,
        last_modification: one(mtim, fstflags::MTIM, fstflags::MTIM_NOW)?,
    })
}

/// The rights check: `ENOTCAPABLE` unless `base` has every bit of
/// `right`. It comes after the checks of the descriptor itself (`EBADF`
/// for an unknown one, then the errors of its kind: `ESPIPE`, `ENOTDIR`,
/// ...), as in wasmtime.
pub(crate) fn need(base: u64, right: u64) -> WasiResult<()> {
    if base & right == right {
        Ok(())
    } else {
        Err(Errno::Notcapable)
    }
}

/// The rights check of a read or write on a file: a file the host did not
/// open for that access at all (`write`: writing, else reading) fails as
/// the host call would, with `unopened` (`EBADF` for reads and writes, as
/// in wasmtime and POSIX: `path_open` opens for reading or writing exactly
/// when the rights asked for allow it); a file opened for it whose right
/// the guest dropped (`fd_fdstat_set_rights`) with `ENOTCAPABLE`.
fn need_file(f: &FileEntry, base: u64, right: u64, write: bool, unopened: Errno) -> WasiResult<()> {
    if base & right == right {
        return Ok(());
    }
    let mode = rustix::fs::fcntl_getfl(&f.file)? & OFlags::ACCMODE;
    let opened = if write {
        mode == OFlags::WRONLY || mode == OFlags::RDWR
    } else {
        mode == OFlags::RDONLY || mode == OFlags::RDWR
    };
    Err(if opened { Errno::Notcapable } else { unopened })
}

/// `fd_read(fd, iovs: *iovec, iovs_len, nread: *size) -> errno`: reads
/// into the buffers in order. An `iovec` is 8 bytes: `buf: u32` at 0,
/// `buf_len: u32` at 4.
pub fn fd_read(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    count: u32,
    nread: u32,
) -> BlockingResult<()> {
    let deadline = ctx.deadline;
    let e = ctx.get(fd)?;
    let base = e.base;
    let nonblocking = e.flags & fdflags::NONBLOCK != 0;
    let n = match &mut e.kind {
        Kind::Stdio(which, s) => {
            need(base, rights::FD_READ)?;
            mem.read_iovecs(iovs, count, |buf| {
                WasiCtx::stdio_read(*which, s, buf, deadline)
            })?
        }
        Kind::File(f) => {
            need_file(f, base, rights::FD_READ, false, Errno::Badf)?;
            // A FIFO or a terminal (not a regular file) can make it wait.
            match f.deadline(deadline) {
                Some(deadline) => mem.read_iovecs(iovs, count, |buf| {
                    crate::poll::read_waiting(f.file.as_fd(), buf, deadline)
                })?,
                None => mem.read_iovecs(iovs, count, |buf| {
                    retry(|| rustix::io::read(&f.file, &mut *buf))
                })?,
            }
        }
        Kind::Stream(s) => {
            need(base, rights::FD_READ)?;
            let flags = rustix::net::RecvFlags::empty();
            mem.read_iovecs(iovs, count, |buf| {
                crate::poll::stream_recv(s, buf, flags, nonblocking, deadline)
            })?
        }
        Kind::Dir(_) | Kind::Listener(_) => return Err(Errno::Badf.into()),
    };
    Ok(mem.write_u32(nread, n as u32)?)
}

/// `fd_pread(fd, iovs: *iovec, iovs_len, offset: u64, nread: *size) ->
/// errno`: reads at `offset` without moving the file position.
pub fn fd_pread(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    count: u32,
    offset: u64,
    nread: u32,
) -> WasiResult<()> {
    let e = ctx.get(fd)?;
    let base = e.base;
    let n = match &mut e.kind {
        Kind::File(f) => {
            need_file(f, base, rights::FD_READ, false, Errno::Badf)?;
            need(base, rights::FD_SEEK)?;
            mem.read_iovecs(iovs, count, |buf| {
                retry(|| rustix::io::pread(&f.file, &mut *buf, offset))
            })?
        }
        Kind::Stdio(..) | Kind::Stream(_) => return Err(Errno::Spipe),
        Kind::Dir(_) | Kind::Listener(_) => return Err(Errno::Badf),
    };
    mem.write_u32(nread, n as u32)
}

/// `fd_write(fd, iovs: *ciovec, iovs_len, nwritten: *size) -> errno`:
/// writes the buffers in order (a `ciovec` is laid out as an `iovec`).
pub fn fd_write(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    count: u32,
    nwritten: u32,
) -> BlockingResult<()> {
    // The buffers stay in guest memory: files take them in one `writev`;
    // the standard streams (through their wrapping) and sockets piece by
    // piece.
    let bufs = mem.ciovecs(iovs, count)?;
    let deadline = ctx.deadline;
    // The entry and the output wrapping are separate fields of `ctx`.
    let e = ctx.fds.get_mut(&fd).ok_or(Errno::Badf)?;
    let base = e.base;
    let nonblocking = e.flags & fdflags::NONBLOCK != 0;
    let n = match &mut e.kind {
        Kind::Stdio(which, s) => {
            need(base, rights::FD_WRITE)?;
            let output = &mut ctx.output;
            write_pieces(&bufs, |piece| output.write(*which, s, piece, deadline))?
        }
        Kind::File(f) => {
            need_file(f, base, rights::FD_WRITE, true, Errno::Badf)?;
            if !f.perms.contains(FilePerms::WRITE) {
                return Err(Errno::Perm.into());
            }
            // A FIFO or a terminal (not a regular file) can make it wait.
            if let Some(deadline) = f.deadline(deadline) {
                // Room seen by the wait may be taken by another writer
                // before the write: it must not block then.
                let _nonblocking = crate::poll::NonBlocking::new(f.file.as_fd())?;
                write_pieces(&bufs, |piece| {
                    crate::poll::write_all(f.file.as_fd(), piece, Some(deadline))
                })?
            } else {
                retry(|| rustix::io::writev(&f.file, &bufs))?
            }
        }
        Kind::Stream(s) => {
            need(base, rights::FD_WRITE)?;
            write_pieces(&bufs, |piece| {
                crate::poll::stream_send(s, piece, nonblocking, deadline)
            })?
        }
        Kind::Dir(_) | Kind::Listener(_) => return Err(Errno::Badf.into()),
    };
    Ok(mem.write_u32(nwritten, n as u32)?)
}

/// `fd_pwrite(fd, iovs: *ciovec, iovs_len, offset: u64, nwritten: *size)
/// -> errno`: writes at `offset` without moving the file position.
pub fn fd_pwrite(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    count: u32,
    offset: u64,
    nwritten: u32,
) -> WasiResult<()> {
    let bufs = mem.ciovecs(iovs, count)?;
    let e = ctx.get(fd)?;
    let base = e.base;
    let n = match &mut e.kind {
        Kind::File(f) => {
            need_file(f, base, rights::FD_WRITE, true, Errno::Badf)?;
            need(base, rights::FD_SEEK)?;
            retry(|| rustix::io::pwritev(&f.file, &bufs, offset))?
        }
        Kind::Stdio(..) | Kind::Stream(_) => return Err(Errno::Spipe),
        Kind::Dir(_) | Kind::Listener(_) => return Err(Errno::Badf),
    };
    mem.write_u32(nwritten, n as u32)
}

/// `fd_seek(fd, offset: i64, whence: u8, newoffset: *u64) -> errno`;
/// `whence` is 0 (set), 1 (current) or 2 (end).
pub fn fd_seek(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    offset: i64,
    whence: u32,
    out: u32,
) -> WasiResult<()> {
    let e = ctx.get(fd)?;
    let pos = match whence {
        0 => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::Inval)?),
        1 => SeekFrom::Current(offset),
        2 => SeekFrom::End(offset),
        _ => return Err(Errno::Inval),
    };
    // As in wasmtime: reading the position needs `fd_tell`, moving it
    // `fd_seek` too.
    let right = if matches!(pos, SeekFrom::Current(0)) {
        rights::FD_TELL
    } else {
        rights::FD_TELL | rights::FD_SEEK
    };
    let base = e.base;
    let n = match &mut e.kind {
        Kind::File(f) => {
            need(base, right)?;
            f.file.seek(pos)?
        }
        Kind::Stdio(..) | Kind::Stream(_) => return Err(Errno::Spipe),
        Kind::Dir(_) | Kind::Listener(_) => return Err(Errno::Badf),
    };
    mem.write_u64(out, n)
}

/// `fd_tell(fd, offset: *u64) -> errno`.
pub fn fd_tell(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, out: u32) -> WasiResult<()> {
    fd_seek(ctx, mem, fd, 0, 1, out)
}

/// `fd_close(fd) -> errno`.
pub fn fd_close(ctx: &mut WasiCtx, fd: u32) -> WasiResult<()> {
    ctx.fds.remove(&fd).map(drop).ok_or(Errno::Badf)
}

/// `fd_renumber(fd, to) -> errno`: moves `fd` to number `to`, closing
/// what `to` was.
pub fn fd_renumber(ctx: &mut WasiCtx, fd: u32, to: u32) -> WasiResult<()> {
    if !ctx.fds.contains_key(&to) {
        return Err(Errno::Badf);
    }
    let e = ctx.fds.remove(&fd).ok_or(Errno::Badf)?;
    ctx.fds.insert(to, e);
    Ok(())
}

/// `fd_sync(fd) -> errno`.
pub fn fd_sync(ctx: &mut WasiCtx, fd: u32) -> WasiResult<()> {
    let e = ctx.get(fd)?;
    match &e.kind {
        Kind::File(_) | Kind::Dir(_) => need(e.base, rights::FD_SYNC)?,
        _ => {}
    }
    match &e.kind {
        Kind::File(f) => Ok(rustix::fs::fsync(&f.file)?),
        Kind::Dir(d) => Ok(rustix::fs::fsync(&d.fd)?),
        _ => Err(Errno::Inval),
    }
}

/// `fd_datasync(fd) -> errno`.
pub fn fd_datasync(ctx: &mut WasiCtx, fd: u32) -> WasiResult<()> {
    let e = ctx.get(fd)?;
    match &e.kind {
        Kind::File(_) | Kind::Dir(_) => need(e.base, rights::FD_DATASYNC)?,
        _ => {}
    }
    match &e.kind {
        Kind::File(f) => Ok(rustix::fs::fdatasync(&f.file)?),
        Kind::Dir(d) => Ok(rustix::fs::fdatasync(&d.fd)?),
        _ => Err(Errno::Inval),
    }
}

/// `fd_advise(fd, offset: u64, len: u64, advice: u8) -> errno`.
pub fn fd_advise(ctx: &mut WasiCtx, fd: u32, offset: u64, len: u64, advice: u32) -> WasiResult<()> {
    use rustix::fs::Advice;
    let advice = match advice {
        0 => Advice::Normal,
        1 => Advice::Sequential,
        2 => Advice::Random,
        3 => Advice::WillNeed,
        4 => Advice::DontNeed,
        5 => Advice::NoReuse,
        _ => return Err(Errno::Inval),
    };
    let e = ctx.get(fd)?;
    match &e.kind {
        Kind::File(f) => {
            need(e.base, rights::FD_ADVISE)?;
            let len = std::num::NonZeroU64::new(len);
            Ok(rustix::fs::fadvise(&f.file, offset, len, advice)?)
        }
        Kind::Dir(_) => Err(Errno::Badf),
        _ => Err(Errno::Spipe),
    }
}

/// `fd_allocate(fd, offset: u64, len: u64) -> errno`: not supported
/// (`ENOTSUP`), as in wasmtime.
pub fn fd_allocate(ctx: &mut WasiCtx, fd: u32) -> WasiResult<()> {
    let e = ctx.get(fd)?;
    match &e.kind {
        Kind::File(f) => {
            need_file(f, e.base, rights::FD_ALLOCATE, true, Errno::Notsup)?;
            Err(Errno::Notsup)
        }
        _ => Err(Errno::Badf),
    }
}

/// The WASI file type of a host descriptor.
fn host_filetype(fd: impl AsFd) -> u8 {
    match rustix::fs::fstat(fd) {
        Ok(st) => wasi_filetype(FileType::from_raw_mode(st.st_mode)),
        Err(_) => filetype::UNKNOWN,
    }
}

/// `fd_fdstat_get(fd, buf: *fdstat) -> errno`. An `fdstat` is 24 bytes:
/// `fs_filetype: u8` at 0, `fs_flags: fdflags (u16)` at 2,
/// `fs_rights_base: u64` at 8, `fs_rights_inheriting: u64` at 16.
pub fn fd_fdstat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
) -> WasiResult<()> {
    let e = ctx.get(fd)?;
    let (ty, flags) = match &e.kind {
        Kind::Stdio(which, Stdio::Inherit) => {
            let host = match which {
                0 => rustix::stdio::stdin(),
                1 => rustix::stdio::stdout(),
                _ => rustix::stdio::stderr(),
            };
            let ty = if rustix::termios::isatty(host) {
                filetype::CHARACTER_DEVICE
            } else {
                filetype::UNKNOWN
            };
            (ty, e.flags)
        }
        Kind::Stdio(..) => (filetype::UNKNOWN, e.flags),
        Kind::File(f) => {
            let fl = rustix::fs::fcntl_getfl(&f.file)?;
            let mut flags = 0;
            if fl.contains(OFlags::APPEND) {
                flags |= fdflags::APPEND;
            }
            if fl.contains(OFlags::NONBLOCK) {
                flags |= fdflags::NONBLOCK;
            }
            if fl.contains(OFlags::DSYNC) {
                flags |= fdflags::DSYNC;
            }
            if fl.contains(OFlags::SYNC) {
                flags |= fdflags::SYNC;
            }
            (host_filetype(&f.file), flags)
        }
        Kind::Dir(_) => (filetype::DIRECTORY, 0),
        Kind::Listener(_) | Kind::Stream(_) => (filetype::SOCKET_STREAM, e.flags),
    };
    let mut b = [0u8; 24];
    b[0] = ty;
    b[2..4].copy_from_slice(&flags.to_le_bytes());
    b[8..16].copy_from_slice(&e.base.to_le_bytes());
    b[16..24].copy_from_slice(&e.inheriting.to_le_bytes());
    mem.write(buf, &b)
}

/// `fd_fdstat_set_flags(fd, flags: fdflags) -> errno`: `APPEND` and
/// `NONBLOCK` can be changed.
pub fn fd_fdstat_set_flags(ctx: &mut WasiCtx, fd: u32, flags: u16) -> WasiResult<()> {
    let e = ctx.get(fd)?;
    need(e.base, rights::FD_FDSTAT_SET_FLAGS)?;
    match &mut e.kind {
        Kind::File(f) => {
            let mut fl = rustix::fs::fcntl_getfl(&f.file)?;
            fl.set(OFlags::APPEND, flags & fdflags::APPEND != 0);
            fl.set(OFlags::NONBLOCK, flags & fdflags::NONBLOCK != 0);
            rustix::fs::fcntl_setfl(&f.file, fl)?;
            Ok(())
        }
        Kind::Stream(s) => {
            s.set_nonblocking(flags & fdflags::NONBLOCK != 0)?;
            e.flags = flags & fdflags::NONBLOCK;
            Ok(())
        }
        Kind::Stdio(..) => {
            // The host's own streams keep their mode; the flag is recorded.
            e.flags = flags & (fdflags::APPEND | fdflags::NONBLOCK);
            Ok(())
        }
        Kind::Dir(_) | Kind::Listener(_) => Ok(()),
    }
}

/// `fd_fdstat_set_rights(fd, fs_rights_base: u64, fs_rights_inheriting:
/// u64) -> errno`: rights can only be dropped (`ENOTCAPABLE` otherwise).
pub fn fd_fdstat_set_rights(
    ctx: &mut WasiCtx,
    fd: u32,
    base: u64,
    inheriting: u64,
) -> WasiResult<()> {
    let e = ctx.get(fd)?;
    if base & !e.base != 0 || inheriting & !e.inheriting != 0 {
        return Err(Errno::Notcapable);
    }
    e.base = base;
    e.inheriting = inheriting;
    Ok(())
}

/// `fd_filestat_get(fd, buf: *filestat) -> errno` (layout at
/// [`filestat_bytes`]).
pub fn fd_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
) -> WasiResult<()> {
    let b = filestat(ctx, fd)?;
    mem.write(buf, &b)
}

/// The `filestat` of `fd` for [`fd_filestat_get`], its times as the clock
/// grant shows them.
pub(crate) fn filestat(ctx: &mut WasiCtx, fd: u32) -> WasiResult<[u8; 64]> {
    let e = ctx.get(fd)?;
    need(e.base, rights::FD_FILESTAT_GET)?;
    let b = match &e.kind {
        Kind::File(f) => filestat_bytes(&rustix::fs::fstat(&f.file)?),
        Kind::Dir(d) => filestat_bytes(&rustix::fs::fstat(&d.fd)?),
        Kind::Stream(s) => filestat_bytes(&rustix::fs::fstat(s)?),
        Kind::Listener(l) => filestat_bytes(&rustix::fs::fstat(l)?),
        Kind::Stdio(which, Stdio::Inherit) => {
            let host = match which {
                0 => rustix::stdio::stdin(),
                1 => rustix::stdio::stdout(),
                _ => rustix::stdio::stderr(),
            };
            let mut b = filestat_bytes(&rustix::fs::fstat(host)?);
            if !rustix::termios::isatty(host) {
                b[16] = filetype::UNKNOWN;
            }
            b
        }
        Kind::Stdio(..) => [0u8; 64],
    };
    Ok(ctx.wrap_filestat(b))
}

/// `fd_filestat_set_size(fd, size: u64) -> errno`: truncates or extends.
pub fn fd_filestat_set_size(ctx: &mut WasiCtx, fd: u32, size: u64) -> WasiResult<()> {
    let e = ctx.get(fd)?;
    let base = e.base;
    match &e.kind {
        Kind::File(f) if !f.perms.contains(FilePerms::WRITE) => Err(Errno::Perm),
        Kind::File(f) => {
            // A file not open for writing is EINVAL, as in wasmtime (and
            // `ftruncate`).
            need_file(f, base, rights::FD_FILESTAT_SET_SIZE, true, Errno::Inval)?;
            Ok(f.file.set_len(size)?)
        }
        _ => Err(Errno::Badf),
    }
}

/// `fd_filestat_set_times(fd, atim: u64, mtim: u64, fst_flags: fstflags)
/// -> errno`.
pub fn fd_filestat_set_times(
    ctx: &mut WasiCtx,
    fd: u32,
    atim: u64,
    mtim: u64,
    fst: u16,
) -> WasiResult<()> {
    let times = timestamps(atim, mtim, fst)?;
    let e = ctx.get(fd)?;
    match &e.kind {
        Kind::File(f) if !f.perms.contains(FilePerms::WRITE) => return Err(Errno::Perm),
        Kind::Dir(d) if !d.perms.contains(DirPerms::MUTATE) => return Err(Errno::Perm),
        Kind::File(_) | Kind::Dir(_) => need(e.base, rights::FD_FILESTAT_SET_TIMES)?,
        _ => {}
    }
    match &e.kind {
        Kind::File(f) => Ok(rustix::fs::futimens(&f.file, &times)?),
        Kind::Dir(d) => Ok(rustix::fs::futimens(&d.fd, &times)?),
        _ => Err(Errno::Badf),
    }
}

/// `fd_prestat_get(fd, buf: *prestat) -> errno`. A `prestat` is 8 bytes:
/// `tag: u8` at 0 (0: a directory), `pr_name_len: u32` at 4. `EBADF` for
/// a descriptor that is not a preopened directory.
pub fn fd_prestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
) -> WasiResult<()> {
    match &ctx.get(fd)?.kind {
        Kind::Dir(d) => {
            let name = d.preopen.as_ref().ok_or(Errno::Badf)?;
            let mut b = [0u8; 8];
            b[4..8].copy_from_slice(&(name.len() as u32).to_le_bytes());
            mem.write(buf, &b)
        }
        _ => Err(Errno::Badf),
    }
}

/// `fd_prestat_dir_name(fd, path: *u8, path_len) -> errno`: the preopen's
/// guest path (not NUL-terminated); `ENAMETOOLONG` if the buffer is
/// shorter.
pub fn fd_prestat_dir_name(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    len: u32,
) -> WasiResult<()> {
    match &ctx.get(fd)?.kind {
        Kind::Dir(d) => {
            let name = d.preopen.as_ref().ok_or(Errno::Badf)?;
            if (len as usize) < name.len() {
                return Err(Errno::Nametoolong);
            }
            mem.write(path, name.as_bytes())
        }
        _ => Err(Errno::Badf),
    }
}

/// Writes the `dirent`s of directory `fd` from position `cookie` on into
/// `out`, each cut off at its end; returns the bytes written. Positions:
/// `.` and `..` first, then the rest in the host's order. The directory is
/// read afresh on every call and streamed straight into `out`, so the
/// host holds no listing, however large the directory and however many
/// descriptors of it the guest holds.
fn fill_dirents(fd: impl AsFd, cookie: u64, out: &mut [u8]) -> WasiResult<usize> {
    let fd = fd.as_fd();
    let start = usize::try_from(cookie).unwrap_or(usize::MAX);
    let is_dot = |name: &[u8]| name == b"." || name == b"..";
    // The dots, wherever the host lists them (first, on every common
    // file system: the scan stops when both are seen).
    let mut dots = Vec::with_capacity(2);
    let mut dir = rustix::fs::Dir::read_from(fd)?;
    while let Some(ent) = dir.read() {
        let ent = ent?;
        let name = ent.file_name().to_bytes();
        if is_dot(name) {
            dots.push(Dirent {
                ino: ent.ino(),
                ty: wasi_filetype(ent.file_type()),
                name: name.to_vec(),
            });
            if dots.len() == 2 {
                break;
            }
        }
    }
    drop(dir);
    dots.sort_by(|a, b| a.name.cmp(&b.name));
    let mut n = 0;
    let mut i = 0;
    for d in &dots {
        if i >= start && !put_dirent(out, &mut n, i, d.ino, d.ty, &d.name) {
            return Ok(n);
        }
        i += 1;
    }
    if n == out.len() {
        return Ok(n);
    }
    let mut dir = rustix::fs::Dir::read_from(fd)?;
    while let Some(ent) = dir.read() {
        let ent = ent?;
        let name = ent.file_name().to_bytes();
        if is_dot(name) {
            continue;
        }
        let ty = wasi_filetype(ent.file_type());
        if i >= start && !put_dirent(out, &mut n, i, ent.ino(), ty, name) {
            break;
        }
        i += 1;
    }
    Ok(n)
}

/// Writes the `dirent` of entry `i` at `out[*n..]`, cut off at the end;
/// false when `out` is full.
fn put_dirent(out: &mut [u8], n: &mut usize, i: usize, ino: u64, ty: u8, name: &[u8]) -> bool {
    let mut head = [0u8; 24];
    head[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    head[8..16].copy_from_slice(&ino.to_le_bytes());
    head[16..20].copy_from_slice(&(name.len() as u32).to_le_bytes());
    head[20] = ty;
    for part in [&head[..], name] {
        let k = part.len().min(out.len() - *n);
        out[*n..*n + k].copy_from_slice(&part[..k]);
        *n += k;
    }
    *n < out.len()
}

/// `fd_readdir(fd, buf: *u8, buf_len, cookie: u64, bufused: *size) ->
/// errno`: entries from position `cookie` on, each a 24-byte `dirent`
/// (`d_next: u64` at 0, the cookie of the next entry; `d_ino: u64` at 8;
/// `d_namlen: u32` at 16; `d_type: u8` at 20) followed by the name. The
/// last entry may be cut off; `bufused == buf_len` tells the guest to ask
/// again with a larger buffer.
pub fn fd_readdir(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    buf_len: u32,
    cookie: u64,
    used: u32,
) -> WasiResult<()> {
    let e = ctx.get(fd)?;
    let Kind::Dir(d) = &mut e.kind else {
        return Err(Errno::Notdir);
    };
    if !d.perms.contains(DirPerms::READ) {
        return Err(Errno::Perm);
    }
    need(e.base, rights::FD_READDIR)?;
    // Straight into guest memory, each entry cut off at the buffer's end.
    let out = mem.slice_mut(buf, buf_len)?;
    let n = fill_dirents(&d.fd, cookie, out)?;
    mem.write_u32(used, n as u32)
}
