//! `path_*`: operations on paths beneath a directory descriptor.
//!
//! Every path is resolved by the kernel with `openat2(RESOLVE_BENEATH |
//! RESOLVE_NO_MAGICLINKS)` against the directory's host descriptor:
//! absolute paths, `..` above the directory and symbolic links leading out
//! of it fail (`EPERM`, as in wasmtime), whoever created the link and
//! however the tree changes meanwhile. Operations on a final component
//! (`unlinkat`, `mkdirat`, ...) run on the parent directory opened that
//! way, with the component itself, which those calls never follow.
//!
//! Paths are `(ptr, len)` pairs of UTF-8 bytes in guest memory, not
//! NUL-terminated.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{AtFlags, Mode, OFlags, ResolveFlags};

use crate::ctx::{fdflags, rights, DirEntry, Entry, FileEntry, Kind, WasiCtx};
use crate::errno::{Errno, WasiResult};
use crate::fd::{filestat_bytes, need, timestamps};
use crate::mem::GuestMemory;
use crate::perms::{DirPerms, FilePerms};

/// `lookupflags`: follow a final symbolic link.
pub const SYMLINK_FOLLOW: u32 = 1;

/// `oflags`.
pub mod oflags {
    #![allow(missing_docs)]
    pub const CREAT: u16 = 1;
    pub const DIRECTORY: u16 = 2;
    pub const EXCL: u16 = 4;
    pub const TRUNC: u16 = 8;
}

const RESOLVE: ResolveFlags = ResolveFlags::BENEATH.union(ResolveFlags::NO_MAGICLINKS);

/// Opens `path` beneath `dir`. The kernel enforces the confinement.
pub(crate) fn open_beneath(
    dir: BorrowedFd<'_>,
    path: &str,
    flags: OFlags,
    mode: Mode,
) -> WasiResult<OwnedFd> {
    if path.is_empty() {
        return Err(Errno::Noent);
    }
    if path.starts_with('/') {
        return Err(Errno::Perm);
    }
    // `openat2` asks for a retry (EAGAIN) if a rename raced the lookup.
    for _ in 0..64 {
        match rustix::fs::openat2(dir, path, flags | OFlags::CLOEXEC, mode, RESOLVE) {
            Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => continue,
            r => return Ok(r?),
        }
    }
    Err(Errno::Again)
}

/// The directory a path operation starts from, and its inheriting
/// rights. The checks come in wasmtime's order: an unknown descriptor or a
/// standard stream is `EBADF`, another descriptor that is not a directory
/// `ENOTDIR`; a change beneath a grant without [`DirPerms::MUTATE`], or a
/// lookup beneath one without [`DirPerms::READ`], is `EPERM`; then `right`
/// (every bit of it) must be among the directory's base rights, else
/// `ENOTCAPABLE`.
fn dir(ctx: &mut WasiCtx, fd: u32, right: u64) -> WasiResult<(&DirEntry, u64)> {
    let e = ctx.get(fd)?;
    let base = e.base;
    match &e.kind {
        Kind::Dir(d) => {
            let needed = if right & rights::MUTATING != 0 {
                DirPerms::MUTATE
            } else {
                DirPerms::READ
            };
            if !d.perms.contains(needed) {
                return Err(Errno::Perm);
            }
            need(base, right)?;
            Ok((d, e.inheriting))
        }
        Kind::Stdio(..) => Err(Errno::Badf),
        Kind::File(_) | Kind::Stream(_) | Kind::Listener(_) => Err(Errno::Notdir),
    }
}

/// Opens the directory holding `path`'s final component; returns it and
/// the component (with a trailing `/` kept, so the kernel checks that the
/// target is a directory).
fn parent(dir: BorrowedFd<'_>, path: &str) -> WasiResult<(OwnedFd, String)> {
    if path.is_empty() {
        return Err(Errno::Noent);
    }
    if path.starts_with('/') {
        return Err(Errno::Perm);
    }
    let trimmed = path.trim_end_matches('/');
    let slash = if trimmed.len() < path.len() { "/" } else { "" };
    let (head, last) = match trimmed.rfind('/') {
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => (".", trimmed),
    };
    let head = if head.is_empty() { "." } else { head };
    let p = open_beneath(dir, head, OFlags::PATH | OFlags::DIRECTORY, Mode::empty())?;
    if !slash.is_empty() {
        // With a trailing slash the kernel follows a final symbolic link
        // even in a `*at` call that is told not to (`AT_SYMLINK_NOFOLLOW`):
        // `esc/` with `esc -> ../outside` would reach outside. The
        // component must lead to a directory beneath, or to nothing yet
        // (`mkdir("new/")`: a link out of the directory fails with `EXDEV`
        // before its target is looked up); callers that read or change
        // what it names resolve it with [`open_beneath`].
        match open_beneath(dir, path, OFlags::PATH | OFlags::DIRECTORY, Mode::empty()) {
            Ok(_) | Err(Errno::Noent) => {}
            Err(e) => return Err(e),
        }
    }
    if last == "." || last == ".." {
        // The component names a directory itself: make sure that it is
        // beneath too (`..` of the preopen is not).
        open_beneath(
            dir,
            trimmed,
            OFlags::PATH | OFlags::DIRECTORY,
            Mode::empty(),
        )?;
    }
    Ok((p, format!("{last}{slash}")))
}

/// Whether `path` ends with `/`: then its final component is followed
/// (as the kernel does) and must be resolved beneath the directory, by
/// [`open_beneath`], never by a `*at` call on the component.
fn slashed(path: &str) -> bool {
    path.len() > 1 && path.ends_with('/')
}

/// `path_open(fd, dirflags: lookupflags, path, path_len, oflags: u16,
/// fs_rights_base: u64, fs_rights_inheriting: u64, fdflags: u16,
/// opened_fd: *fd) -> errno`: opens a file or directory beneath `fd`. The
/// new descriptor's rights are those asked for, within the directory's
/// inheriting rights (what is asked for beyond them is left out, as in
/// wasmtime); write access is asked for with `fd_write` (or
/// `fd_allocate`, `fd_filestat_set_size`) in `fs_rights_base`. The
/// directory needs `path_open`, and `path_create_file` for `O_CREAT`,
/// `path_filestat_set_size` for `O_TRUNC` (`ENOTCAPABLE` otherwise).
pub fn path_open(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    dirflags: u32,
    path: u32,
    path_len: u32,
    oflags: u16,
    base: u64,
    inheriting: u64,
    fdflags: u16,
    out: u32,
) -> WasiResult<()> {
    let path = mem.path(path, path_len)?.to_owned();
    let read = base & (rights::FD_READ | rights::FD_READDIR) != 0;
    let write = base & (rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE) != 0;
    // As wasmtime: creating or truncating changes the directory, writing
    // (appending included) needs write permission on files, reading read
    // permission.
    let changes_dir = oflags & (oflags::CREAT | oflags::TRUNC) != 0;
    let writes = write || fdflags & fdflags::APPEND != 0;
    // Creating needs `path_create_file`, truncating
    // `path_filestat_set_size`, on the directory.
    let mut right = rights::PATH_OPEN;
    if oflags & oflags::CREAT != 0 {
        right |= rights::PATH_CREATE_FILE;
    }
    if oflags & oflags::TRUNC != 0 {
        right |= rights::PATH_FILESTAT_SET_SIZE;
    }
    let (d, dir_inheriting) = dir(ctx, fd, right)?;
    let (perms, file_perms) = (d.perms, d.file_perms);
    if !perms.contains(DirPerms::READ)
        || (changes_dir && !perms.contains(DirPerms::MUTATE))
        || (writes && !file_perms.contains(FilePerms::WRITE))
        || (base & rights::FD_READ != 0 && !file_perms.contains(FilePerms::READ))
    {
        return Err(Errno::Perm);
    }
    let mut flags = match (read, write) {
        (_, false) => OFlags::RDONLY,
        (false, true) => OFlags::WRONLY,
        (true, true) => OFlags::RDWR,
    };
    if oflags & oflags::CREAT != 0 {
        flags |= OFlags::CREATE;
    }
    if oflags & oflags::DIRECTORY != 0 {
        flags |= OFlags::DIRECTORY;
    }
    if oflags & oflags::EXCL != 0 {
        flags |= OFlags::EXCL;
    }
    if oflags & oflags::TRUNC != 0 {
        flags |= OFlags::TRUNC;
    }
    if fdflags & fdflags::APPEND != 0 {
        flags |= OFlags::APPEND;
    }
    if fdflags & fdflags::NONBLOCK != 0 {
        flags |= OFlags::NONBLOCK;
    }
    if fdflags & (fdflags::DSYNC | fdflags::RSYNC) != 0 {
        flags |= OFlags::DSYNC;
    }
    if fdflags & fdflags::SYNC != 0 {
        flags |= OFlags::SYNC;
    }
    if dirflags & SYMLINK_FOLLOW == 0 {
        flags |= OFlags::NOFOLLOW;
    }
    // `openat2` insists on no mode unless a file may be created.
    let mode = if flags.contains(OFlags::CREATE) {
        Mode::from_raw_mode(0o666)
    } else {
        Mode::empty()
    };
    // The descriptor is charged to the quota and budget before the host
    // opens it.
    let charge = ctx.charge()?;
    let (d, _) = dir(ctx, fd, rights::PATH_OPEN)?;
    // Opened without waiting (a FIFO with no peer would hold the open
    // for good, past any deadline: without one, reading opens at once and
    // writing fails with `ENXIO`); the descriptor then gets the mode the
    // guest asked for, and its reads and writes wait as `fd_read` and
    // `fd_write` do.
    let host = open_beneath(d.fd.as_fd(), &path, flags | OFlags::NONBLOCK, mode)?;
    if !flags.contains(OFlags::NONBLOCK) {
        let fl = rustix::fs::fcntl_getfl(&host)?;
        rustix::fs::fcntl_setfl(&host, fl - OFlags::NONBLOCK)?;
    }
    let st = rustix::fs::fstat(&host)?;
    let is_dir = rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Directory;
    let entry = if is_dir {
        let mut b = rights::DIRECTORY | (base & rights::FD_READ);
        if !perms.contains(DirPerms::MUTATE) {
            b &= !rights::MUTATING;
        }
        Entry {
            kind: Kind::Dir(DirEntry {
                fd: host,
                preopen: None,
                perms,
                file_perms,
            }),
            base: b & base & dir_inheriting,
            inheriting: inheriting & dir_inheriting,
            flags: 0,
            charge,
        }
    } else {
        if oflags & oflags::DIRECTORY != 0 {
            return Err(Errno::Notdir);
        }
        let mut b = rights::FILE;
        if !read {
            b &= !rights::FD_READ;
        }
        if !write {
            b &= !(rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE);
        }
        if !file_perms.contains(FilePerms::WRITE) {
            b &= !rights::MUTATING;
        }
        Entry {
            kind: Kind::File(FileEntry {
                file: std::fs::File::from(host),
                perms: file_perms,
                can_wait: !matches!(
                    rustix::fs::FileType::from_raw_mode(st.st_mode),
                    rustix::fs::FileType::RegularFile | rustix::fs::FileType::BlockDevice
                ),
            }),
            base: b & (base | rights::FD_FILESTAT_GET) & dir_inheriting,
            inheriting: inheriting & dir_inheriting,
            flags: 0,
            charge,
        }
    };
    let new = ctx.insert(entry)?;
    if let Err(e) = mem.write_u32(out, new) {
        ctx.fds.remove(&new);
        return Err(e);
    }
    Ok(())
}

/// `path_create_directory(fd, path, path_len) -> errno`.
pub fn path_create_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    len: u32,
) -> WasiResult<()> {
    let path = mem.path(path, len)?;
    let (d, _) = dir(ctx, fd, rights::PATH_CREATE_DIRECTORY)?;
    let (p, last) = parent(d.fd.as_fd(), path)?;
    Ok(rustix::fs::mkdirat(
        &p,
        last.as_str(),
        Mode::from_raw_mode(0o777),
    )?)
}

/// `path_remove_directory(fd, path, path_len) -> errno`: removes an empty
/// directory.
pub fn path_remove_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    len: u32,
) -> WasiResult<()> {
    let path = mem.path(path, len)?;
    let (d, _) = dir(ctx, fd, rights::PATH_REMOVE_DIRECTORY)?;
    let (p, last) = parent(d.fd.as_fd(), path)?;
    Ok(rustix::fs::unlinkat(&p, last.as_str(), AtFlags::REMOVEDIR)?)
}

/// `path_unlink_file(fd, path, path_len) -> errno`: removes a file or a
/// symbolic link (never what it points to).
pub fn path_unlink_file(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    len: u32,
) -> WasiResult<()> {
    let path = mem.path(path, len)?;
    let (d, _) = dir(ctx, fd, rights::PATH_UNLINK_FILE)?;
    let (p, last) = parent(d.fd.as_fd(), path)?;
    if last.ends_with('/') {
        // `unlink("file/")`: the trailing slash needs a directory, and a
        // directory cannot be unlinked.
        let st = rustix::fs::statat(&p, last.trim_end_matches('/'), AtFlags::SYMLINK_NOFOLLOW)?;
        return Err(
            if rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Directory {
                Errno::Isdir
            } else {
                Errno::Notdir
            },
        );
    }
    Ok(rustix::fs::unlinkat(&p, last.as_str(), AtFlags::empty())?)
}

/// `path_symlink(old_path, old_path_len, fd, new_path, new_path_len) ->
/// errno`: creates a symbolic link at `new_path` with the text `old_path`.
/// Absolute targets are refused (`EPERM`, as in wasmtime): they could
/// never resolve beneath the directory.
pub fn path_symlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old: u32,
    old_len: u32,
    fd: u32,
    new: u32,
    new_len: u32,
) -> WasiResult<()> {
    let target = mem.path(old, old_len)?.to_owned();
    let path = mem.path(new, new_len)?;
    let (d, _) = dir(ctx, fd, rights::PATH_SYMLINK)?;
    if target.starts_with('/') {
        return Err(Errno::Perm);
    }
    let (p, last) = parent(d.fd.as_fd(), path)?;
    Ok(rustix::fs::symlinkat(target.as_str(), &p, last.as_str())?)
}

/// `path_readlink(fd, path, path_len, buf, buf_len, bufused: *size) ->
/// errno`: the link's text, truncated to `buf_len` bytes.
pub fn path_readlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    len: u32,
    buf: u32,
    buf_len: u32,
    used: u32,
) -> WasiResult<()> {
    let path = mem.path(path, len)?;
    let (d, _) = dir(ctx, fd, rights::PATH_READLINK)?;
    let (p, last) = parent(d.fd.as_fd(), path)?;
    if slashed(path) {
        // `parent` found a directory beneath there: not a link.
        return Err(Errno::Inval);
    }
    let target = rustix::fs::readlinkat(&p, last.as_str(), Vec::new())?;
    let bytes = target.as_bytes();
    let n = bytes.len().min(buf_len as usize);
    mem.write(buf, &bytes[..n])?;
    mem.write_u32(used, n as u32)
}

/// The parents and final components of two paths, each beneath its own
/// directory descriptor (for links and renames).
#[allow(clippy::type_complexity)]
fn two_parents(
    ctx: &mut WasiCtx,
    mem: &GuestMemory<'_>,
    (fd, right, ptr, len): (u32, u64, u32, u32),
    (fd2, right2, ptr2, len2): (u32, u64, u32, u32),
) -> WasiResult<((OwnedFd, String), (OwnedFd, String))> {
    let first = mem.path(ptr, len)?.to_owned();
    let second = mem.path(ptr2, len2)?.to_owned();
    let (d, _) = dir(ctx, fd, right)?;
    let a = parent(d.fd.as_fd(), &first)?;
    let (d, _) = dir(ctx, fd2, right2)?;
    let b = parent(d.fd.as_fd(), &second)?;
    Ok((a, b))
}

/// `path_link(old_fd, old_flags: lookupflags, old_path, old_path_len,
/// new_fd, new_path, new_path_len) -> errno`: a hard link. Following a
/// symbolic link first is not supported (`EINVAL`, as in wasmtime).
pub fn path_link(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old_fd: u32,
    old_flags: u32,
    old: u32,
    old_len: u32,
    new_fd: u32,
    new: u32,
    new_len: u32,
) -> WasiResult<()> {
    let ((op, olast), (np, nlast)) = two_parents(
        ctx,
        mem,
        (old_fd, rights::PATH_LINK_SOURCE, old, old_len),
        (new_fd, rights::PATH_LINK_TARGET, new, new_len),
    )?;
    if old_flags & SYMLINK_FOLLOW != 0 {
        return Err(Errno::Inval);
    }
    Ok(rustix::fs::linkat(
        &op,
        olast.as_str(),
        &np,
        nlast.as_str(),
        AtFlags::empty(),
    )?)
}

/// `path_rename(fd, old_path, old_path_len, new_fd, new_path,
/// new_path_len) -> errno`.
pub fn path_rename(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    old: u32,
    old_len: u32,
    new_fd: u32,
    new: u32,
    new_len: u32,
) -> WasiResult<()> {
    let ((op, olast), (np, nlast)) = two_parents(
        ctx,
        mem,
        (fd, rights::PATH_RENAME_SOURCE, old, old_len),
        (new_fd, rights::PATH_RENAME_TARGET, new, new_len),
    )?;
    Ok(rustix::fs::renameat(
        &op,
        olast.as_str(),
        &np,
        nlast.as_str(),
    )?)
}
/// `path_filestat_get(fd, flags: lookupflags, path, path_len, buf:
/// *filestat) -> errno` (see [`crate::fd::fd_filestat_get`] for the
/// layout).
pub fn path_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    len: u32,
    buf: u32,
) -> WasiResult<()> {
    let b = filestat(ctx, mem, fd, flags, path, len)?;
    mem.write(buf, &b)
}

/// The `filestat` for [`path_filestat_get`], its times as the clock grant
/// shows them.
pub(crate) fn filestat(
    ctx: &mut WasiCtx,
    mem: &GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    len: u32,
) -> WasiResult<[u8; 64]> {
    let path = mem.path(path, len)?;
    let (d, _) = dir(ctx, fd, rights::PATH_FILESTAT_GET)?;
    let st = if flags & SYMLINK_FOLLOW != 0 || slashed(path) {
        let f = open_beneath(d.fd.as_fd(), path, OFlags::PATH, Mode::empty())?;
        rustix::fs::fstat(&f)?
    } else {
        let (p, last) = parent(d.fd.as_fd(), path)?;
        rustix::fs::statat(&p, last.as_str(), AtFlags::SYMLINK_NOFOLLOW)?
    };
    Ok(ctx.wrap_filestat(filestat_bytes(&st)))
}

/// `path_filestat_set_times(fd, flags: lookupflags, path, path_len, atim:
/// u64, mtim: u64, fst_flags: fstflags) -> errno`.
pub fn path_filestat_set_times(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    len: u32,
    atim: u64,
    mtim: u64,
    fst: u16,
) -> WasiResult<()> {
    let path = mem.path(path, len)?;
    let (d, _) = dir(ctx, fd, rights::PATH_FILESTAT_SET_TIMES)?;
    let times = timestamps(atim, mtim, fst)?;
    if flags & SYMLINK_FOLLOW != 0 || slashed(path) {
        // Resolve beneath, then set the times of what was found through
        // its descriptor (`/proc/self/fd` reaches an `O_PATH` descriptor).
        let f = open_beneath(d.fd.as_fd(), path, OFlags::PATH, Mode::empty())?;
        let proc = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&f));
        Ok(rustix::fs::utimensat(
            rustix::fs::CWD,
            proc.as_str(),
            &times,
            AtFlags::empty(),
        )?)
    } else {
        let (p, last) = parent(d.fd.as_fd(), path)?;
        Ok(rustix::fs::utimensat(
            &p,
            last.as_str(),
            &times,
            AtFlags::SYMLINK_NOFOLLOW,
        )?)
    }
}
