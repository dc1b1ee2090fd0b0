//! `wasi:filesystem`: `types` (descriptors, directory listings, error
//! codes) and `preopens`, each operation the preview1 one on the
//! descriptor behind the resource (see the module above).

use super::*;
use crate::ctx::filetype;
use crate::path::{oflags, SYMLINK_FOLLOW};

fn desc_type(t: u8) -> &'static str {
    match t {
        filetype::BLOCK_DEVICE => "block-device",
        filetype::CHARACTER_DEVICE => "character-device",
        filetype::DIRECTORY => "directory",
        filetype::REGULAR_FILE => "regular-file",
        filetype::SYMBOLIC_LINK => "symbolic-link",
        filetype::SOCKET_DGRAM | filetype::SOCKET_STREAM => "socket",
        _ => "unknown",
    }
}

/// A timestamp as the guest may see it: none when the clock grant hides
/// it (the wrapped preview1 `filestat` reads 0 then).
fn timestamp(ns: u64) -> Val {
    if ns == 0 {
        Val::Option(None)
    } else {
        Val::Option(Some(Box::new(datetime(ns).unwrap_or(Val::Option(None)))))
    }
}

fn le64(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

/// A `descriptor-stat` from a preview1 `filestat`.
fn stat_val(b: &[u8; 64]) -> Val {
    record(vec![
        ("type", Val::Enum(desc_type(b[16]).into())),
        ("link-count", Val::U64(le64(b, 24))),
        ("size", Val::U64(le64(b, 32))),
        ("data-access-timestamp", timestamp(le64(b, 40))),
        ("data-modification-timestamp", timestamp(le64(b, 48))),
        ("status-change-timestamp", timestamp(le64(b, 56))),
    ])
}

/// A `metadata-hash-value` of a `filestat`: its device and inode.
fn hash_val(b: &[u8; 64]) -> Val {
    let (dev, ino) = (le64(b, 0), le64(b, 8));
    record(vec![
        ("lower", Val::U64(ino ^ dev.rotate_left(32))),
        ("upper", Val::U64(dev)),
    ])
}

fn path_flags(v: &Val) -> Result<u32, Error> {
    Ok(if has(arg_flags(v)?, "symlink-follow") {
        SYMLINK_FOLLOW
    } else {
        0
    })
}

/// A `new-timestamp`: (time, set, now) for preview1's `fstflags`.
fn new_time(v: &Val) -> Result<(u64, bool, bool), Error> {
    match v {
        Val::Variant(l, p) => match (l.as_str(), p) {
            ("no-change", _) => Ok((0, false, false)),
            ("now", _) => Ok((0, false, true)),
            ("timestamp", Some(p)) => match &**p {
                Val::Record(f) => {
                    let mut s = 0u64;
                    let mut ns = 0u64;
                    for (n, v) in f {
                        match (n.as_str(), v) {
                            ("seconds", Val::U64(x)) => s = *x,
                            ("nanoseconds", Val::U32(x)) => ns = u64::from(*x),
                            _ => {}
                        }
                    }
                    Ok((
                        s.saturating_mul(1_000_000_000).saturating_add(ns),
                        true,
                        false,
                    ))
                }
                _ => Err(trap_msg("expected a datetime")),
            },
            _ => Err(trap_msg("bad new-timestamp")),
        },
        _ => Err(trap_msg("expected a new-timestamp")),
    }
}

fn fst(a: (u64, bool, bool), m: (u64, bool, bool)) -> u16 {
    use crate::fd::fstflags::*;
    let mut f = 0;
    if a.1 {
        f |= ATIM;
    }
    if a.2 {
        f |= ATIM_NOW;
    }
    if m.1 {
        f |= MTIM;
    }
    if m.2 {
        f |= MTIM_NOW;
    }
    f
}

/// Why a write to file descriptor `fd` is refused before it is tried: a
/// descriptor not opened for writing is `not-permitted` under a read-only
/// grant (as wasmtime's WASI 0.2 answers; preview1 says `EBADF`), else
/// `bad-descriptor`.
fn write_denied(ctx: &mut WasiCtx, fd: u32) -> Option<Errno> {
    match ctx.fds.get(&fd).map(|e| (&e.kind, e.base)) {
        Some((Kind::File(f), base)) if base & rights::FD_WRITE == 0 => {
            Some(if f.perms.contains(crate::FilePerms::WRITE) {
                Errno::Badf
            } else {
                Errno::Perm
            })
        }
        _ => None,
    }
}

/// A stream on descriptor `fd`, if it is a file (`EISDIR`/`EBADF`
/// otherwise, as preview1 would answer a read of it).
fn file_stream<T: 'static>(
    cx: &mut Cx<'_, T>,
    a: &[&Val],
    make: impl FnOnce(u32, u64) -> Res,
    output: bool,
) -> Result<Val, Error> {
    let r = rep(a[0])?;
    let (fd, owner) = match cx.table().get(r)? {
        Res::Desc { fd, owner, .. } => (*fd, *owner),
        _ => return Err(trap_msg("not a descriptor")),
    };
    if output {
        if let Some(e) = write_denied(cx.ctx(), fd) {
            return Ok(fs_err(e));
        }
    }
    match cx.ctx().fds.get(&fd).map(|e| &e.kind) {
        Some(Kind::File(_)) => {}
        Some(Kind::Dir(_)) => return Ok(fs_err(Errno::Isdir)),
        _ => return Ok(fs_err(Errno::Badf)),
    }
    let res = make(fd, owner);
    let v = if output {
        cx.new_res::<OutputStream>(res)?
    } else {
        cx.new_res::<InputStream>(res)?
    };
    Ok(ok(Some(v)))
}

pub(super) fn filesystem<T: 'static>(linker: &mut Linker<T>, get: &Getter<T>) -> Result<(), Error> {
    let mut i = iface(linker, "wasi:filesystem/preopens")?;
    def(&mut i, get, "get-directories", |cx, _| {
        let pre: Vec<(u32, String)> = cx
            .ctx()
            .fds
            .iter()
            .filter_map(|(fd, e)| match &e.kind {
                Kind::Dir(d) => d.preopen.clone().map(|p| (*fd, p)),
                _ => None,
            })
            .collect();
        let mut out = Vec::with_capacity(pre.len());
        for (fd, name) in pre {
            // Every handle of a preopen is the same open: listings made
            // through one stay valid after another is handed out.
            let t = cx.table();
            let owner = match t.owners.get(&fd) {
                Some(o) => *o,
                None => t.owner(fd),
            };
            let d = cx.new_res::<Descriptor>(Res::Desc {
                fd,
                owner,
                preopen: true,
            })?;
            out.push(Val::Tuple(vec![d, Val::String(name)]));
        }
        Ok(Val::List(out))
    })?;

    let mut i = iface(linker, "wasi:filesystem/types")?;
    i.resource(
        "descriptor",
        ResourceType::host::<Descriptor>(),
        dropper(get),
    )?;
    i.resource(
        "directory-entry-stream",
        ResourceType::host::<DirStream>(),
        dropper(get),
    )?;
    def(&mut i, get, "filesystem-error-code", |cx, a| {
        match cx.table().get(rep(a[0])?)? {
            Res::Error {
                errno: Some(e),
                net: false,
                ..
            } => Ok(some(Val::Enum(error_code(*e).to_string()))),
            Res::Error { .. } => Ok(Val::Option(None)),
            _ => Err(trap_msg("not an error")),
        }
    })?;
    let m = |n: &str| format!("[method]descriptor.{n}");

    def(&mut i, get, &m("read-via-stream"), |cx, a| {
        let offset = arg_u64(a[1])?;
        file_stream(
            cx,
            a,
            |fd, owner| Res::Input {
                src: Src::File { fd, owner },
                offset,
                closed: false,
            },
            false,
        )
    })?;
    def(&mut i, get, &m("write-via-stream"), |cx, a| {
        let offset = arg_u64(a[1])?;
        file_stream(
            cx,
            a,
            |fd, owner| Res::Output {
                dst: Dst::File {
                    fd,
                    owner,
                    append: false,
                },
                offset,
                failed: false,
            },
            true,
        )
    })?;
    def(&mut i, get, &m("append-via-stream"), |cx, a| {
        file_stream(
            cx,
            a,
            |fd, owner| Res::Output {
                dst: Dst::File {
                    fd,
                    owner,
                    append: true,
                },
                offset: 0,
                failed: false,
            },
            true,
        )
    })?;
    def(&mut i, get, &m("advise"), |cx, a| {
        let fd = cx.desc(a[0])?;
        let advice = match &a[3] {
            Val::Enum(e) => match e.as_str() {
                "normal" => 0,
                "sequential" => 1,
                "random" => 2,
                "will-need" => 3,
                "dont-need" => 4,
                _ => 5,
            },
            _ => return Err(trap_msg("expected an advice")),
        };
        let (off, len) = (arg_u64(a[1])?, arg_u64(a[2])?);
        fs_result(
            crate::fd::fd_advise(cx.ctx(), fd, off, len, advice)
                .map(|_| None)
                .map_err(Into::into),
        )
    })?;
    def(&mut i, get, &m("sync-data"), |cx, a| {
        let fd = cx.desc(a[0])?;
        fs_result(
            crate::fd::fd_datasync(cx.ctx(), fd)
                .map(|_| None)
                .map_err(Into::into),
        )
    })?;
    def(&mut i, get, &m("sync"), |cx, a| {
        let fd = cx.desc(a[0])?;
        fs_result(
            crate::fd::fd_sync(cx.ctx(), fd)
                .map(|_| None)
                .map_err(Into::into),
        )
    })?;
    def(&mut i, get, &m("get-flags"), |cx, a| {
        let fd = cx.desc(a[0])?;
        fs_result(scratch(cx.ctx(), 24, |ctx, mem| {
            crate::fd::fd_fdstat_get(ctx, mem, fd, 0)?;
            let ty = mem.u8(0)?;
            let fl = mem.u16(2)?;
            let base = u64_at(mem, 8)?;
            let mut f = Vec::new();
            if base & (rights::FD_READ | rights::FD_READDIR) != 0 {
                f.push("read".to_string());
            }
            if base & rights::FD_WRITE != 0 {
                f.push("write".to_string());
            }
            if fl & crate::ctx::fdflags::SYNC != 0 {
                f.push("file-integrity-sync".to_string());
            }
            if fl & crate::ctx::fdflags::DSYNC != 0 {
                f.push("data-integrity-sync".to_string());
            }
            if ty == filetype::DIRECTORY && base & rights::PATH_CREATE_DIRECTORY != 0 {
                f.push("mutate-directory".to_string());
            }
            Ok(Some(Val::Flags(f)))
        }))
    })?;
    def(&mut i, get, &m("get-type"), |cx, a| {
        let fd = cx.desc(a[0])?;
        fs_result(scratch(cx.ctx(), 24, |ctx, mem| {
            crate::fd::fd_fdstat_get(ctx, mem, fd, 0)?;
            let ty = mem.u8(0)?;
            Ok(Some(Val::Enum(desc_type(ty).into())))
        }))
    })?;
    def(&mut i, get, &m("set-size"), |cx, a| {
        let fd = cx.desc(a[0])?;
        let size = arg_u64(a[1])?;
        fs_result(
            crate::fd::fd_filestat_set_size(cx.ctx(), fd, size)
                .map(|_| None)
                .map_err(Into::into),
        )
    })?;
    def(&mut i, get, &m("set-times"), |cx, a| {
        let fd = cx.desc(a[0])?;
        let (at, mt) = (new_time(a[1])?, new_time(a[2])?);
        fs_result(
            crate::fd::fd_filestat_set_times(cx.ctx(), fd, at.0, mt.0, fst(at, mt))
                .map(|_| None)
                .map_err(Into::into),
        )
    })?;
    def(&mut i, get, &m("read"), |cx, a| {
        let fd = cx.desc(a[0])?;
        let len = arg_u64(a[1])?.min(MAX_CHUNK as u64) as u32;
        let offset = arg_u64(a[2])?;
        fs_result(scratch(cx.ctx(), 16 + len as usize, |ctx, mem| {
            mem.write_u32(0, 16)?;
            mem.write_u32(4, len)?;
            crate::fd::fd_pread(ctx, mem, fd, 0, 1, offset, 8)?;
            let n = u32_at(mem, 8)?;
            let b = mem.slice(16, n)?;
            Ok(Some(Val::Tuple(vec![
                bytes(b),
                Val::Bool(n == 0 && len > 0),
            ])))
        }))
    })?;
    def(&mut i, get, &m("write"), |cx, a| {
        let fd = cx.desc(a[0])?;
        let data = arg_bytes(a[1])?;
        let offset = arg_u64(a[2])?;
        let chunk = &data[..data.len().min(MAX_CHUNK)];
        if let Some(e) = write_denied(cx.ctx(), fd) {
            return Ok(fs_err(e));
        }
        fs_result(scratch(cx.ctx(), 16 + chunk.len(), |ctx, mem| {
            mem.write(16, chunk)?;
            mem.write_u32(0, 16)?;
            mem.write_u32(4, chunk.len() as u32)?;
            crate::fd::fd_pwrite(ctx, mem, fd, 0, 1, offset, 8)?;
            Ok(Some(Val::U64(u64::from(u32_at(mem, 8)?))))
        }))
    })?;
    def(&mut i, get, &m("read-directory"), |cx, a| {
        let r = rep(a[0])?;
        let (fd, owner) = match cx.table().get(r)? {
            Res::Desc { fd, owner, .. } => (*fd, *owner),
            _ => return Err(trap_msg("not a descriptor")),
        };
        // Checked now (not a directory, no right to list it), as the
        // first batch is read.
        let first = read_batch(cx.ctx(), fd, 0);
        match first {
            Err(e) => fs_result(Err(e)),
            Ok((ahead, cookie, done)) => {
                let s = cx.new_res::<DirStream>(Res::Dir {
                    fd,
                    owner,
                    cookie,
                    ahead,
                    done,
                })?;
                Ok(ok(Some(s)))
            }
        }
    })?;
    def(
        &mut i,
        get,
        "[method]directory-entry-stream.read-directory-entry",
        |cx, a| {
            let r = rep(a[0])?;
            let t = cx.table();
            let (fd, owner, cookie, done) = match t.get_mut(r)? {
                Res::Dir {
                    ahead,
                    fd,
                    owner,
                    cookie,
                    done,
                } => {
                    if let Some((name, ty)) = ahead.pop_front() {
                        return Ok(ok(Some(some(record(vec![
                            ("type", Val::Enum(desc_type(ty).into())),
                            ("name", Val::String(name)),
                        ])))));
                    }
                    (*fd, *owner, *cookie, *done)
                }
                _ => return Err(trap_msg("not a directory-entry-stream")),
            };
            if done {
                return Ok(ok(Some(Val::Option(None))));
            }
            if !cx.table().live(fd, owner) {
                return Ok(fs_err(Errno::Badf));
            }
            match read_batch(cx.ctx(), fd, cookie) {
                Err(e) => fs_result(Err(e)),
                Ok((mut ahead, c, d)) => {
                    let first = ahead.pop_front();
                    if let Res::Dir {
                        ahead: a,
                        cookie,
                        done,
                        ..
                    } = cx.table().get_mut(r)?
                    {
                        *a = ahead;
                        *cookie = c;
                        *done = d || first.is_none();
                    }
                    Ok(ok(Some(match first {
                        Some((name, ty)) => some(record(vec![
                            ("type", Val::Enum(desc_type(ty).into())),
                            ("name", Val::String(name)),
                        ])),
                        None => Val::Option(None),
                    })))
                }
            }
        },
    )?;
    def(&mut i, get, &m("stat"), |cx, a| {
        let fd = cx.desc(a[0])?;
        fs_result(
            crate::fd::filestat(cx.ctx(), fd)
                .map(|b| Some(stat_val(&b)))
                .map_err(Into::into),
        )
    })?;
    def(&mut i, get, &m("stat-at"), |cx, a| {
        let fd = cx.desc(a[0])?;
        let flags = path_flags(a[1])?;
        let path = arg_str(a[2])?;
        fs_result(with_paths(cx.ctx(), &[path], 0, |ctx, mem, p| {
            let b = crate::path::filestat(ctx, mem, fd, flags, p[0].0, p[0].1)?;
            Ok(Some(stat_val(&b)))
        }))
    })?;
    def(&mut i, get, &m("metadata-hash"), |cx, a| {
        let fd = cx.desc(a[0])?;
        fs_result(
            crate::fd::filestat(cx.ctx(), fd)
                .map(|b| Some(hash_val(&b)))
                .map_err(Into::into),
        )
    })?;
    def(&mut i, get, &m("metadata-hash-at"), |cx, a| {
        let fd = cx.desc(a[0])?;
        let flags = path_flags(a[1])?;
        let path = arg_str(a[2])?;
        fs_result(with_paths(cx.ctx(), &[path], 0, |ctx, mem, p| {
            let b = crate::path::filestat(ctx, mem, fd, flags, p[0].0, p[0].1)?;
            Ok(Some(hash_val(&b)))
        }))
    })?;
    def(&mut i, get, &m("is-same-object"), |cx, a| {
        let (x, y) = (cx.desc(a[0])?, cx.desc(a[1])?);
        let sx = crate::fd::filestat(cx.ctx(), x);
        let sy = crate::fd::filestat(cx.ctx(), y);
        Ok(Val::Bool(match (sx, sy) {
            (Ok(a), Ok(b)) => a[0..16] == b[0..16],
            _ => false,
        }))
    })?;
    def(&mut i, get, &m("set-times-at"), |cx, a| {
        let fd = cx.desc(a[0])?;
        let flags = path_flags(a[1])?;
        let path = arg_str(a[2])?;
        let (at, mt) = (new_time(a[3])?, new_time(a[4])?);
        fs_result(with_paths(cx.ctx(), &[path], 0, |ctx, mem, p| {
            crate::path::path_filestat_set_times(
                ctx,
                mem,
                fd,
                flags,
                p[0].0,
                p[0].1,
                at.0,
                mt.0,
                fst(at, mt),
            )?;
            Ok(None)
        }))
    })?;
    def(&mut i, get, &m("open-at"), |cx, a| {
        let dir = cx.desc(a[0])?;
        let lookup = path_flags(a[1])?;
        let path = arg_str(a[2])?;
        let open = arg_flags(a[3])?;
        let flags = arg_flags(a[4])?;
        let (read, write) = (has(flags, "read"), has(flags, "write"));
        let mut of = 0u16;
        for (name, bit) in [
            ("create", oflags::CREAT),
            ("directory", oflags::DIRECTORY),
            ("exclusive", oflags::EXCL),
            ("truncate", oflags::TRUNC),
        ] {
            if has(open, name) {
                of |= bit;
            }
        }
        let mut fdflags = 0u16;
        if has(flags, "file-integrity-sync") {
            fdflags |= crate::ctx::fdflags::SYNC;
        }
        if has(flags, "data-integrity-sync") {
            fdflags |= crate::ctx::fdflags::DSYNC;
        }
        if has(flags, "requested-write-sync") {
            fdflags |= crate::ctx::fdflags::RSYNC;
        }
        // The rights of a descriptor opened for these flags: what it may
        // be used for as a file or a directory.
        const RW: u64 = rights::FD_READ
            | rights::FD_READDIR
            | rights::FD_WRITE
            | rights::FD_ALLOCATE
            | rights::FD_FILESTAT_SET_SIZE;
        let mut base = (rights::FILE | rights::DIRECTORY) & !RW;
        if read || !write {
            base |= rights::FD_READDIR;
        }
        if read {
            base |= rights::FD_READ;
        }
        if write {
            base |= rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE;
        }
        if !write && !has(flags, "mutate-directory") {
            base &= !(rights::MUTATING & !rights::FD_FILESTAT_SET_TIMES);
        }
        let inheriting = rights::FILE | rights::DIRECTORY;
        if of & oflags::TRUNC != 0 && !write {
            // Truncating needs writing: `invalid`, once the grant allows
            // changes at all (`not-permitted` before, as wasmtime).
            let mutable = match cx.ctx().fds.get(&dir).map(|e| &e.kind) {
                Some(Kind::Dir(d)) => d.perms.contains(crate::DirPerms::MUTATE),
                _ => true,
            };
            return Ok(fs_err(if mutable { Errno::Inval } else { Errno::Perm }));
        }
        let opened = with_paths(cx.ctx(), &[path], 0, |ctx, mem, p| {
            crate::path::path_open(
                ctx, mem, dir, lookup, p[0].0, p[0].1, of, base, inheriting, fdflags, 0,
            )?;
            u32_at(mem, 0)
        });
        match opened {
            Ok(fd) => {
                let owner = cx.table().owner(fd);
                let d = cx.new_res::<Descriptor>(Res::Desc {
                    fd,
                    owner,
                    preopen: false,
                });
                match d {
                    Ok(d) => Ok(ok(Some(d))),
                    Err(e) => {
                        let _ = crate::fd::fd_close(cx.ctx(), fd);
                        Err(e)
                    }
                }
            }
            Err(e) => fs_result(Err(e)),
        }
    })?;
    def(&mut i, get, &m("readlink-at"), |cx, a| {
        let fd = cx.desc(a[0])?;
        let path = arg_str(a[1])?;
        let max = crate::mem::PATH_MAX as u32;
        fs_result(with_paths(
            cx.ctx(),
            &[path],
            max as usize,
            |ctx, mem, p| {
                let buf = p[0].0 + p[0].1;
                crate::path::path_readlink(ctx, mem, fd, p[0].0, p[0].1, buf, max, 0)?;
                let n = u32_at(mem, 0)?;
                let s = String::from_utf8(mem.slice(buf, n)?.to_vec()).map_err(|_| Errno::Ilseq)?;
                Ok(Some(Val::String(s)))
            },
        ))
    })?;
    for (name, f) in [
        (
            "create-directory-at",
            crate::path::path_create_directory as PathOp,
        ),
        ("remove-directory-at", crate::path::path_remove_directory),
        ("unlink-file-at", crate::path::path_unlink_file),
    ] {
        def(&mut i, get, &m(name), move |cx, a| {
            let fd = cx.desc(a[0])?;
            let path = arg_str(a[1])?;
            fs_result(with_paths(cx.ctx(), &[path], 0, |ctx, mem, p| {
                f(ctx, mem, fd, p[0].0, p[0].1)?;
                Ok(None)
            }))
        })?;
    }
    def(&mut i, get, &m("symlink-at"), |cx, a| {
        let fd = cx.desc(a[0])?;
        let (old, new) = (arg_str(a[1])?, arg_str(a[2])?);
        fs_result(with_paths(cx.ctx(), &[old, new], 0, |ctx, mem, p| {
            crate::path::path_symlink(ctx, mem, p[0].0, p[0].1, fd, p[1].0, p[1].1)?;
            Ok(None)
        }))
    })?;
    def(&mut i, get, &m("rename-at"), |cx, a| {
        let fd = cx.desc(a[0])?;
        let old = arg_str(a[1])?;
        let fd2 = cx.desc(a[2])?;
        let new = arg_str(a[3])?;
        fs_result(with_paths(cx.ctx(), &[old, new], 0, |ctx, mem, p| {
            crate::path::path_rename(ctx, mem, fd, p[0].0, p[0].1, fd2, p[1].0, p[1].1)?;
            Ok(None)
        }))
    })?;
    def(&mut i, get, &m("link-at"), |cx, a| {
        let fd = cx.desc(a[0])?;
        let flags = path_flags(a[1])?;
        let old = arg_str(a[2])?;
        let fd2 = cx.desc(a[3])?;
        let new = arg_str(a[4])?;
        fs_result(with_paths(cx.ctx(), &[old, new], 0, |ctx, mem, p| {
            crate::path::path_link(ctx, mem, fd, flags, p[0].0, p[0].1, fd2, p[1].0, p[1].1)?;
            Ok(None)
        }))
    })?;
    Ok(())
}

type PathOp = fn(&mut WasiCtx, &mut GuestMemory<'_>, u32, u32, u32) -> crate::errno::WasiResult<()>;

/// Directory entries of `fd` from position `cookie` (at most 64 KiB of
/// them, `.` and `..` left out), the next cookie, and whether the end
/// was reached.
#[allow(clippy::type_complexity)]
fn read_batch(
    ctx: &mut WasiCtx,
    fd: u32,
    mut cookie: u64,
) -> Result<(VecDeque<(String, u8)>, u64, bool), WasiError> {
    // A batch of only `.` and `..` is followed by the next one.
    loop {
        let (out, next, done) = read_one_batch(ctx, fd, cookie)?;
        if !out.is_empty() || done {
            return Ok((out, next, done));
        }
        cookie = next;
    }
}

#[allow(clippy::type_complexity)]
fn read_one_batch(
    ctx: &mut WasiCtx,
    fd: u32,
    cookie: u64,
) -> Result<(VecDeque<(String, u8)>, u64, bool), WasiError> {
    const BUF: u32 = 64 << 10;
    scratch(ctx, 8 + BUF as usize, |ctx, mem| {
        crate::fd::fd_readdir(ctx, mem, fd, 8, BUF, cookie, 0)?;
        let used = u32_at(mem, 0)? as usize;
        let mut out = VecDeque::new();
        let mut at = 8usize;
        let end = 8 + used;
        let mut next = cookie;
        while at + 24 <= end {
            let d_next = u64_at(mem, at as u32)?;
            let namlen = u32_at(mem, at as u32 + 16)? as usize;
            let ty = mem.u8(at as u32 + 20)?;
            if at + 24 + namlen > end {
                break; // cut off: read again from `next`
            }
            let name = &mem.0[at + 24..at + 24 + namlen];
            if name != b"." && name != b".." {
                out.push_back((String::from_utf8_lossy(name).into_owned(), ty));
            }
            next = d_next;
            at += 24 + namlen;
        }
        let done = used < BUF as usize;
        if out.is_empty() && !done && next == cookie {
            // One name longer than the buffer: cannot happen (names are
            // at most 255 bytes), but never loop.
            return Err(Errno::Nametoolong.into());
        }
        Ok((out, next, done))
    })
}
