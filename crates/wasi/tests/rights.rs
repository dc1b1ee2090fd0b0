//! WASI rights, as the preview1 rights model (and wasmtime's wasi-common,
//! where rights were enforced) has them: every `fd_*` and `path_*` call
//! needs its right in the descriptor's base rights and fails with
//! `ENOTCAPABLE` without it; the checks come in wasmtime's order (an
//! unknown descriptor is `EBADF`, a `path_*` call on a descriptor that is
//! not a directory `ENOTDIR`, then the rights). Rights can be dropped with
//! `fd_fdstat_set_rights`, never added; a descriptor opened with
//! `path_open` gets the rights asked for within the directory's
//! inheriting rights; truncating needs `fd_filestat_set_size`, or
//! `path_filestat_set_size` on the directory for `O_TRUNC`.

use nanowasm_wasi::ctx::rights as r;
use nanowasm_wasi::Stdio;

mod support;
use support::raw::{Raw as Guest, BUF, IOV, OUT};

const EBADF: i32 = 8;
const ENOTDIR: i32 = 54;
const ENOTCAPABLE: i32 = 76;
const EPERM: i32 = 63;

/// A guest with a fresh directory preopened as `/d` (descriptor 3):
/// `f.txt` ("0123456789"), `sub/` and `link -> f.txt`.
fn guest(name: &str, build: impl FnOnce(&mut nanowasm_wasi::WasiCtxBuilder)) -> Guest {
    let dir = std::env::temp_dir().join(format!("nanowasm-rights-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("f.txt"), b"0123456789").unwrap();
    std::os::unix::fs::symlink("f.txt", dir.join("link")).unwrap();
    Guest::new(dir.clone(), &dir, build)
}

/// Each `fd_*` call on a file, with its right and without it.
#[test]
fn fd_calls_need_their_rights() {
    let mut g = guest("fd", |_| {});
    let cases: &[(&str, u64, &[i64])] = &[
        ("fd_read", r::FD_READ, &[IOV, 1, OUT]),
        ("fd_pread", r::FD_READ, &[IOV, 1, 0, OUT]),
        ("fd_pread", r::FD_SEEK, &[IOV, 1, 0, OUT]),
        ("fd_write", r::FD_WRITE, &[IOV, 1, OUT]),
        ("fd_pwrite", r::FD_WRITE, &[IOV, 1, 0, OUT]),
        ("fd_pwrite", r::FD_SEEK, &[IOV, 1, 0, OUT]),
        ("fd_seek", r::FD_SEEK, &[2, 0, OUT]),
        ("fd_tell", r::FD_TELL, &[OUT]),
        ("fd_sync", r::FD_SYNC, &[]),
        ("fd_datasync", r::FD_DATASYNC, &[]),
        ("fd_advise", r::FD_ADVISE, &[0, 10, 0]),
        ("fd_allocate", r::FD_ALLOCATE, &[0, 10]),
        ("fd_fdstat_set_flags", r::FD_FDSTAT_SET_FLAGS, &[0]),
        ("fd_filestat_get", r::FD_FILESTAT_GET, &[OUT]),
        ("fd_filestat_set_size", r::FD_FILESTAT_SET_SIZE, &[10]),
        (
            "fd_filestat_set_times",
            r::FD_FILESTAT_SET_TIMES,
            &[0, 0, 2],
        ),
    ];
    for &(name, right, rest) in cases {
        let fd = g.open(3, "f.txt", 0, r::FILE, 0).unwrap();
        let (base, _) = g.rights(fd);
        assert_eq!(
            base & right,
            right,
            "{name}: the file has the right at first"
        );
        let mut args = vec![fd as i64];
        args.extend_from_slice(rest);
        let with = g.call(name, &args);
        assert_ne!(with, ENOTCAPABLE, "{name} with its right");
        assert_eq!(g.set_rights(fd, base & !right, 0), 0);
        assert_eq!(
            g.call(name, &args),
            ENOTCAPABLE,
            "{name} without {right:#x}"
        );
        assert_eq!(g.call("fd_close", &[fd as i64]), 0);
    }
    // The file was never changed without the right: still 10 bytes.
    assert_eq!(std::fs::metadata(g.dir.join("f.txt")).unwrap().len(), 10);
    // An unknown descriptor comes first.
    assert_eq!(g.call("fd_read", &[77, IOV, 1, OUT]), EBADF);
}

/// `fd_readdir` and each `path_*` call on a directory, with its right and
/// without it.
#[test]
fn path_calls_need_their_rights() {
    let mut g = guest("path", |_| {});
    let (f, f_n) = g.s("f.txt");
    let (link, link_n) = g.s("link");
    let (new, new_n) = g.s("new");
    let (gone, gone_n) = g.s("gone");
    let cases: Vec<(&str, u64, Vec<i64>)> = vec![
        ("fd_readdir", r::FD_READDIR, vec![BUF, 256, 0, OUT]),
        (
            "path_create_directory",
            r::PATH_CREATE_DIRECTORY,
            vec![new, new_n],
        ),
        (
            "path_filestat_get",
            r::PATH_FILESTAT_GET,
            vec![0, f, f_n, BUF],
        ),
        (
            "path_filestat_set_times",
            r::PATH_FILESTAT_SET_TIMES,
            vec![0, f, f_n, 0, 0, 2],
        ),
        (
            "path_readlink",
            r::PATH_READLINK,
            vec![link, link_n, BUF, 64, OUT],
        ),
        (
            "path_remove_directory",
            r::PATH_REMOVE_DIRECTORY,
            vec![gone, gone_n],
        ),
        ("path_unlink_file", r::PATH_UNLINK_FILE, vec![gone, gone_n]),
        (
            "path_open",
            r::PATH_OPEN,
            vec![0, f, f_n, 0, r::FD_READ as i64, 0, 0, OUT],
        ),
        // O_CREAT needs path_create_file, O_TRUNC path_filestat_set_size.
        (
            "path_open",
            r::PATH_CREATE_FILE,
            vec![0, new, new_n, 1, 0, 0, 0, OUT],
        ),
        (
            "path_open",
            r::PATH_FILESTAT_SET_SIZE,
            vec![0, f, f_n, 8, r::FD_WRITE as i64, 0, 0, OUT],
        ),
    ];
    for (name, right, rest) in cases {
        let d = g
            .open(3, ".", 2, r::DIRECTORY | r::FD_READ, r::DIRECTORY | r::FILE)
            .unwrap();
        let (base, inheriting) = g.rights(d);
        assert_eq!(
            base & right,
            right,
            "{name}: the directory has the right at first"
        );
        assert_eq!(g.set_rights(d, base & !right, inheriting), 0);
        let mut args = vec![d as i64];
        args.extend_from_slice(&rest);
        assert_eq!(
            g.call(name, &args),
            ENOTCAPABLE,
            "{name} without {right:#x}"
        );
        assert_eq!(g.call("fd_close", &[d as i64]), 0);
    }
    // Nothing was created, removed or truncated.
    assert!(!g.dir.join("new").exists());
    assert_eq!(std::fs::metadata(g.dir.join("f.txt")).unwrap().len(), 10);
    // The two-directory calls need their right on each side.
    let two: &[(&str, u64, u64)] = &[
        ("path_link", r::PATH_LINK_SOURCE, r::PATH_LINK_TARGET),
        ("path_rename", r::PATH_RENAME_SOURCE, r::PATH_RENAME_TARGET),
    ];
    for &(name, source, target) in two {
        for missing in [source, target] {
            let a = g.open(3, ".", 2, r::DIRECTORY, 0).unwrap();
            let b = g.open(3, "sub", 2, r::DIRECTORY, 0).unwrap();
            let (base, _) = g.rights(if missing == source { a } else { b });
            g.set_rights(if missing == source { a } else { b }, base & !missing, 0);
            let args: Vec<i64> = if name == "path_link" {
                vec![a as i64, 0, f, f_n, b as i64, new, new_n]
            } else {
                vec![a as i64, f, f_n, b as i64, new, new_n]
            };
            assert_eq!(
                g.call(name, &args),
                ENOTCAPABLE,
                "{name} without {missing:#x}"
            );
            g.call("fd_close", &[a as i64]);
            g.call("fd_close", &[b as i64]);
        }
    }
    let d = g.open(3, ".", 2, r::DIRECTORY, 0).unwrap();
    let (base, _) = g.rights(d);
    g.set_rights(d, base & !r::PATH_SYMLINK, 0);
    assert_eq!(
        g.call("path_symlink", &[f, f_n, d as i64, new, new_n]),
        ENOTCAPABLE
    );
    assert!(g.dir.join("f.txt").exists() && !g.dir.join("sub/new").exists());
    assert!(std::fs::symlink_metadata(g.dir.join("new")).is_err());
}

/// `path_*` on a descriptor that is not a directory: `ENOTDIR` for a file
/// (before any rights check: a file has no path rights), `EBADF` for an
/// unknown descriptor and for the standard streams (as wasmtime).
#[test]
fn path_calls_on_non_directories() {
    let mut g = guest("notdir", |_| {});
    let file = g.open(3, "f.txt", 0, r::FILE, 0).unwrap();
    let (p, n) = g.s("x");
    let calls: Vec<(&str, Vec<i64>)> = vec![
        ("path_open", vec![0, p, n, 0, 2, 0, 0, OUT]),
        ("path_create_directory", vec![p, n]),
        ("path_filestat_get", vec![0, p, n, BUF]),
        ("path_filestat_set_times", vec![0, p, n, 0, 0, 2]),
        ("path_readlink", vec![p, n, BUF, 64, OUT]),
        ("path_remove_directory", vec![p, n]),
        ("path_unlink_file", vec![p, n]),
    ];
    for (name, rest) in &calls {
        for (fd, want) in [(file as i64, ENOTDIR), (1, EBADF), (99, EBADF)] {
            let mut args = vec![fd];
            args.extend_from_slice(rest);
            assert_eq!(g.call(name, &args), want, "{name} on descriptor {fd}");
        }
    }
    assert_eq!(g.call("path_symlink", &[p, n, file as i64, p, n]), ENOTDIR);
    assert_eq!(
        g.call("path_link", &[file as i64, 0, p, n, 3, p, n]),
        ENOTDIR
    );
    assert_eq!(
        g.call("path_link", &[3, 0, p, n, file as i64, p, n]),
        ENOTDIR
    );
    assert_eq!(
        g.call("path_rename", &[file as i64, p, n, 3, p, n]),
        ENOTDIR
    );
    assert_eq!(
        g.call("path_rename", &[3, p, n, file as i64, p, n]),
        ENOTDIR
    );
    // fd_readdir on a file is ENOTDIR too.
    assert_eq!(
        g.call("fd_readdir", &[file as i64, BUF, 64, 0, OUT]),
        ENOTDIR
    );
}

/// `fd_fdstat_set_rights` only drops rights; `path_open` gives what was
/// asked within the directory's inheriting rights.
#[test]
fn rights_only_shrink() {
    let mut g = guest("shrink", |_| {});
    let fd = g.open(3, "f.txt", 0, r::FD_READ | r::FD_SEEK, 0).unwrap();
    let (base, _) = g.rights(fd);
    assert_eq!(base & r::FD_WRITE, 0);
    assert_eq!(g.set_rights(fd, base | r::FD_WRITE, 0), ENOTCAPABLE);
    assert_eq!(
        g.set_rights(fd, base, r::FD_READ),
        ENOTCAPABLE,
        "inheriting too"
    );
    assert_eq!(g.set_rights(fd, r::FD_READ, 0), 0);
    assert_eq!(g.rights(fd), (r::FD_READ, 0));
    assert_eq!(
        g.set_rights(fd, base, 0),
        ENOTCAPABLE,
        "a dropped right stays dropped"
    );
    // A directory whose inheriting rights lack fd_write opens files
    // without it, whatever is asked; writing is then refused.
    let d = g
        .open(3, ".", 2, r::DIRECTORY, r::FILE & !r::FD_WRITE)
        .unwrap();
    let (_, inheriting) = g.rights(d);
    assert_eq!(inheriting & r::FD_WRITE, 0);
    let f = g.open(d, "f.txt", 0, r::FILE, 0).unwrap();
    assert_eq!(g.rights(f).0 & r::FD_WRITE, 0);
    assert_ne!(g.call("fd_write", &[f as i64, IOV, 1, OUT]), 0);
    assert_eq!(std::fs::read(g.dir.join("f.txt")).unwrap(), b"0123456789");
}

/// Truncation: without `fd_filestat_set_size` on the file, or
/// `path_filestat_set_size` on the directory for `O_TRUNC`, the file keeps
/// its size.
#[test]
fn truncation_needs_its_right() {
    let mut g = guest("trunc", |_| {});
    // Open for writing, but without fd_filestat_set_size.
    let fd = g.open(3, "f.txt", 0, r::FD_WRITE | r::FD_SEEK, 0).unwrap();
    assert_eq!(g.call("fd_filestat_set_size", &[fd as i64, 0]), ENOTCAPABLE);
    assert_eq!(std::fs::metadata(g.dir.join("f.txt")).unwrap().len(), 10);
    // O_TRUNC through a directory without path_filestat_set_size.
    let d = g.open(3, ".", 2, r::DIRECTORY, r::FILE).unwrap();
    let (base, inheriting) = g.rights(d);
    assert_eq!(
        g.set_rights(d, base & !r::PATH_FILESTAT_SET_SIZE, inheriting),
        0
    );
    assert_eq!(g.open(d, "f.txt", 8, r::FD_WRITE, 0), Err(ENOTCAPABLE));
    assert_eq!(std::fs::metadata(g.dir.join("f.txt")).unwrap().len(), 10);
    // With the rights, both truncate.
    assert_eq!(g.open(3, "f.txt", 8, r::FD_WRITE, 0).map(|_| ()), Ok(()));
    assert_eq!(std::fs::metadata(g.dir.join("f.txt")).unwrap().len(), 0);
}

/// The standard streams and sockets are checked too.
#[test]
fn streams_and_sockets_need_their_rights() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (out, buf) = Stdio::buffer(Vec::new());
    let mut g = guest("sock", |b| {
        b.stdout(out).preopened_listener(listener);
    });
    // Descriptor 3 is the directory, 4 the listener.
    let (base, _) = g.rights(1);
    assert_eq!(g.set_rights(1, base & !r::FD_WRITE, 0), 0);
    assert_eq!(g.call("fd_write", &[1, IOV, 1, OUT]), ENOTCAPABLE);
    assert!(buf.lock().unwrap().is_empty());
    // A connection waits in the backlog; accept it, then drop rights.
    let client = std::net::TcpStream::connect(addr).unwrap();
    assert_eq!(g.call("sock_accept", &[4, 0, OUT]), 0);
    let s = g.u32_at(0) as i64;
    let (base, _) = g.rights(s as u32);
    assert_eq!(
        g.set_rights(
            s as u32,
            base & !(r::FD_READ | r::FD_WRITE | r::SOCK_SHUTDOWN),
            0
        ),
        0
    );
    assert_eq!(
        g.call("sock_recv", &[s, IOV, 1, 0, OUT, OUT + 4]),
        ENOTCAPABLE
    );
    assert_eq!(g.call("sock_send", &[s, IOV, 1, 0, OUT]), ENOTCAPABLE);
    assert_eq!(g.call("sock_shutdown", &[s, 3]), ENOTCAPABLE);
    let (base, _) = g.rights(4);
    assert_eq!(g.set_rights(4, base & !r::SOCK_ACCEPT, 0), 0);
    assert_eq!(g.call("sock_accept", &[4, 0, OUT]), ENOTCAPABLE);
    drop(client);
}

/// A read-only preopen keeps refusing changes with `EPERM`, before the
/// rights (its base rights lack every mutating one).
#[test]
fn readonly_preopens_stay_eperm() {
    let dir = std::env::temp_dir().join(format!("nanowasm-rights-ro-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("f.txt"), b"0123456789").unwrap();
    let mut g = guest("ro-unused", |b| {
        b.preopened_dir(
            &dir,
            "/ro",
            nanowasm_wasi::DirPerms::READ,
            nanowasm_wasi::FilePerms::READ,
        );
    });
    // Descriptor 4 is the read-only one.
    let (p, n) = g.s("f.txt");
    assert_eq!(g.call("path_unlink_file", &[4, p, n]), EPERM);
    assert_eq!(g.open(4, "f.txt", 8, r::FD_WRITE, 0), Err(EPERM));
    let fd = g.open(4, "f.txt", 0, r::FD_READ, 0).unwrap();
    assert_eq!(g.call("fd_write", &[fd as i64, IOV, 1, OUT]), EBADF);
    assert_eq!(g.call("fd_filestat_set_size", &[fd as i64, 0]), EPERM);
    assert_eq!(std::fs::read(dir.join("f.txt")).unwrap(), b"0123456789");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `DirPerms` and `FilePerms` separately, as in wasmtime: `READ` on the
/// directory to look anything up, `MUTATE` to change entries (creating
/// and truncating included), `FilePerms::READ`/`WRITE` to open files for
/// reading/writing. Each denial is `EPERM`; the preopen is descriptor 4.
#[test]
fn dir_and_file_perms_are_separate() {
    use nanowasm_wasi::{DirPerms, FilePerms};
    const CREAT: i64 = 1;
    const TRUNC: i64 = 8;
    let grant = |name: &str, dir: DirPerms, file: FilePerms| {
        guest(name, move |b| {
            let host =
                std::env::temp_dir().join(format!("nanowasm-rights-{name}-{}", std::process::id()));
            b.preopened_dir(host, "/p", dir, file);
        })
    };
    let contents = |g: &Guest| std::fs::read(g.dir.join("f.txt")).unwrap();

    // Files writable, directory fixed: existing files can be written,
    // nothing created, removed or truncated.
    let mut g = grant("perms-files", DirPerms::READ, FilePerms::all());
    let fd = g.open(4, "f.txt", 0, r::FD_WRITE | r::FD_READ, 0).unwrap();
    g.poke(128, b"abcd");
    assert_eq!(g.call("fd_write", &[fd as i64, IOV, 1, OUT]), 0);
    assert_eq!(contents(&g), b"abcd456789");
    assert_eq!(g.open(4, "new.txt", CREAT, r::FD_READ, 0), Err(EPERM));
    assert_eq!(g.open(4, "f.txt", TRUNC, r::FD_WRITE, 0), Err(EPERM));
    let (p, n) = g.s("f.txt");
    assert_eq!(g.call("path_unlink_file", &[4, p, n]), EPERM);
    let (p, n) = g.s("newdir");
    assert_eq!(g.call("path_create_directory", &[4, p, n]), EPERM);
    assert!(!g.dir.join("new.txt").exists() && !g.dir.join("newdir").exists());

    // Directory changeable, files read-only: entries can be created and
    // removed, no file opened for writing.
    let mut g = grant("perms-dir", DirPerms::all(), FilePerms::READ);
    assert_eq!(g.open(4, "f.txt", 0, r::FD_WRITE, 0), Err(EPERM));
    let fd = g.open(4, "f.txt", 0, r::FD_READ, 0).unwrap();
    assert_eq!(g.call("fd_write", &[fd as i64, IOV, 1, OUT]), EBADF);
    let (p, n) = g.s("newdir");
    assert_eq!(g.call("path_create_directory", &[4, p, n]), 0);
    assert!(g.dir.join("newdir").is_dir());
    g.open(4, "empty.txt", CREAT, r::FD_READ, 0).unwrap();
    assert!(g.dir.join("empty.txt").is_file());
    let (p, n) = g.s("f.txt");
    assert_eq!(g.call("path_unlink_file", &[4, p, n]), 0);
    assert!(!g.dir.join("f.txt").exists());

    // Changeable but not readable: nothing can be looked up or listed.
    let mut g = grant("perms-noread", DirPerms::MUTATE, FilePerms::all());
    assert_eq!(g.open(4, "f.txt", 0, r::FD_READ, 0), Err(EPERM));
    let (p, n) = g.s("f.txt");
    assert_eq!(g.call("path_filestat_get", &[4, 0, p, n, OUT]), EPERM);
    assert_eq!(g.call("fd_readdir", &[4, BUF, 256, 0, OUT]), EPERM);
    let (p, n) = g.s("made");
    assert_eq!(g.call("path_create_directory", &[4, p, n]), 0);

    // Readable directory, no file permissions: files cannot be opened.
    let mut g = grant("perms-nofile", DirPerms::READ, FilePerms::empty());
    assert_eq!(g.open(4, "f.txt", 0, r::FD_READ, 0), Err(EPERM));
    assert_eq!(g.open(4, "f.txt", 0, r::FD_WRITE, 0), Err(EPERM));
    let (p, n) = g.s("f.txt");
    assert_eq!(g.call("path_filestat_get", &[4, 0, p, n, OUT]), 0);
    assert_eq!(contents(&g), b"0123456789");
}

/// `poll_oneoff` on a descriptor needs its `poll_fd_readwrite` right (the
/// event carries `ENOTCAPABLE`), and takes at most
/// `poll::MAX_SUBSCRIPTIONS` subscriptions (`EINVAL`), before reading any.
#[test]
fn poll_needs_its_right_and_bounds_the_subscriptions() {
    const EINVAL: i32 = 28;
    const SUB: usize = 2048;
    const EVENTS: i64 = 3072;
    let mut g = guest("poll", |_| {});
    for (rights, expected) in [
        (r::FILE, 0u16),
        (r::FILE & !r::POLL_FD_READWRITE, ENOTCAPABLE as u16),
    ] {
        let fd = g.open(3, "f.txt", 0, rights, 0).unwrap();
        let mut sub = [0u8; 48];
        sub[0..8].copy_from_slice(&7u64.to_le_bytes()); // userdata
        sub[8] = 1; // fd_read
        sub[16..20].copy_from_slice(&fd.to_le_bytes());
        g.poke(SUB, &sub);
        assert_eq!(
            g.call("poll_oneoff", &[SUB as i64, EVENTS, 1, OUT]),
            0,
            "poll_oneoff"
        );
        assert_eq!(g.u32_at(OUT as usize), 1, "one event");
        assert_eq!(g.u64_at(EVENTS as usize), 7, "its userdata");
        let error = g.u32_at(EVENTS as usize + 8) as u16;
        assert_eq!(error, expected, "event error with rights {rights:#x}");
    }
    let too_many = i64::from(nanowasm_wasi::poll::MAX_SUBSCRIPTIONS) + 1;
    assert_eq!(
        g.call("poll_oneoff", &[SUB as i64, EVENTS, too_many, OUT]),
        EINVAL
    );
}
