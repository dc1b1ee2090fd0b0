//! Red-team attacks on the WASI layer after the issue 13 fixes: each test
//! is an attack that got through once (or a probe that held), kept as a
//! regression test.

use nanowasm_runtime::Val;

mod support;
use support::raw::Raw as Guest;

const PREOPEN: i64 = 3;

/// A guest with a fresh `jail` preopened as `/d` (descriptor 3), holding
/// `f.txt` ("0123456789") and `sub/`, beside an `outside` directory.
fn guest(name: &str, build: impl FnOnce(&mut nanowasm_wasi::WasiCtxBuilder)) -> Guest {
    let dir = std::env::temp_dir().join(format!("nanowasm-redteam-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let jail = dir.join("jail");
    std::fs::create_dir_all(jail.join("sub")).unwrap();
    std::fs::create_dir_all(dir.join("outside")).unwrap();
    std::fs::write(jail.join("f.txt"), b"0123456789").unwrap();
    Guest::new(dir.clone(), &jail, build)
}

fn mtime(p: &std::path::Path) -> std::time::SystemTime {
    std::fs::symlink_metadata(p).unwrap().modified().unwrap()
}

/// A symbolic link the guest made (`esc -> ../outside`) named with a
/// trailing slash (`esc/`): the kernel follows the final link of a path
/// with a trailing slash even with `AT_SYMLINK_NOFOLLOW`, so a `*at` call
/// on the final component must not see it. `path_filestat_get` must not
/// stat, and `path_filestat_set_times` must not touch, the directory
/// outside.
#[test]
fn trailing_slash_does_not_follow_a_link_out_of_the_preopen() {
    let mut g = guest("slash", |_| {});
    let outside = g.dir.join("outside");
    let before = mtime(&outside);
    let (t, tn) = g.s("../outside");
    let (l, ln) = g.s("esc");
    assert_eq!(g.call("path_symlink", &[t, tn, PREOPEN, l, ln]), 0);
    // Stat: the inode of the directory outside must not show.
    let (p, n) = g.s("esc/");
    let e = g.call("path_filestat_get", &[PREOPEN, 0, p, n, 512]);
    if e == 0 {
        use std::os::unix::fs::MetadataExt;
        let ino = g.u64_at(512 + 8);
        assert_ne!(
            ino,
            std::fs::metadata(&outside).unwrap().ino(),
            "path_filestat_get(\"esc/\") stat'ed the directory outside the preopen"
        );
    }
    // Times: mtime set to 1 s after the epoch, explicitly (MTIM = 4).
    let e = g.call(
        "path_filestat_set_times",
        &[PREOPEN, 0, p, n, 0, 1_000_000_000, 4],
    );
    assert_eq!(
        mtime(&outside),
        before,
        "path_filestat_set_times(\"esc/\") changed the directory outside the preopen (errno {e})"
    );
    assert_ne!(e, 0);
    // The same through the lookup flag that follows links: refused.
    let e = g.call(
        "path_filestat_set_times",
        &[PREOPEN, 1, p, n, 0, 1_000_000_000, 4],
    );
    assert_ne!(e, 0);
    assert_eq!(mtime(&outside), before);
    // A trailing slash on a name that does not exist yet still works.
    let (p, n) = g.s("newdir/");
    assert_eq!(g.call("path_create_directory", &[PREOPEN, p, n]), 0);
    let (p, n) = g.s("newdir/");
    let (q, m) = g.s("renamed/");
    assert_eq!(g.call("path_rename", &[PREOPEN, p, n, PREOPEN, q, m]), 0);
    assert!(g.dir.join("jail/renamed").is_dir());
}

/// `path_readlink("esc/")` must not tell whether something exists
/// outside: it fails the same way for a link out of the preopen to an
/// existing directory and to a missing one.
#[test]
fn trailing_slash_readlink_is_no_oracle_outside() {
    let mut g = guest("readlink", |_| {});
    let (t, tn) = g.s("../outside");
    let (l, ln) = g.s("esc");
    assert_eq!(g.call("path_symlink", &[t, tn, PREOPEN, l, ln]), 0);
    let (t, tn) = g.s("../missing");
    let (l, ln) = g.s("gone");
    assert_eq!(g.call("path_symlink", &[t, tn, PREOPEN, l, ln]), 0);
    let (p, n) = g.s("esc/");
    let a = g.call("path_readlink", &[PREOPEN, p, n, 512, 64, 600]);
    let (p, n) = g.s("gone/");
    let b = g.call("path_readlink", &[PREOPEN, p, n, 512, 64, 600]);
    assert_eq!(
        a, b,
        "readlink errno differs for an existing and a missing host path outside"
    );
}

/// Resident memory of this process, in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split(' ').nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// `fd_readdir` kept a copy of the whole listing per open directory
/// descriptor: a guest that opens one large directory many times (up to
/// its descriptor quota) and reads one byte of each makes the host hold
/// that many copies, however small the guest's memory. The host's memory
/// for `fd_readdir` must not grow with the number of descriptors times the
/// directory's size.
#[test]
fn readdir_does_not_keep_a_listing_per_descriptor() {
    let mut g = guest("readdir", |_| {});
    let big = g.dir.join("jail/big");
    std::fs::create_dir(&big).unwrap();
    let long = "x".repeat(200);
    for i in 0..3000 {
        std::fs::write(big.join(format!("{long}{i}")), b"").unwrap();
    }
    const DIRECTORY: i64 = 2;
    let mut fds = Vec::new();
    for _ in 0..100 {
        fds.push(
            g.open(PREOPEN as u32, "big", DIRECTORY, 1 << 14, 0)
                .unwrap(),
        );
    }
    let before = rss();
    for &fd in &fds {
        // fd_readdir(fd, buf, 1 byte, cookie 0, used)
        assert_eq!(g.call("fd_readdir", &[fd as i64, 512, 1, 0, 600]), 0);
        assert_eq!(g.u32_at(600), 1);
    }
    let grew = rss().saturating_sub(before);
    assert!(
        grew < 16 << 20,
        "fd_readdir on 100 descriptors of one 3,000-entry directory grew the host by {} MiB",
        grew >> 20
    );
    // Reading on from a cookie still works: the entry after `.` and `..`.
    let fd = fds[0] as i64;
    assert_eq!(g.call("fd_readdir", &[fd, 512, 4096, 2, 600]), 0);
    assert!(g.u32_at(600) > 24);
    assert_eq!(g.u64_at(512), 3, "d_next of the third entry");
}

/// Two guests (two contexts, each with a 200 ms deadline) read one byte
/// from one FIFO both can open. One byte is written: both see the FIFO
/// readable, one reads the byte, and the other's `read` must not block past
/// its deadline (the wait for readiness and the read are separate steps; a
/// blocking read after the wait is a race another tenant can win).
#[test]
fn a_fifo_read_raced_by_another_reader_ends_at_the_deadline() {
    let shared = std::env::temp_dir().join(format!("nanowasm-redteam-fifo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&shared);
    std::fs::create_dir_all(&shared).unwrap();
    let fifo = shared.join("p");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    // Keeps the FIFO open for writing, so that readers wait for data.
    let mut writer = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let mut stuck = false;
    'rounds: for round in 0..20 {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let readers: Vec<_> = (0..2)
            .map(|k| {
                let (shared, tx, ready_tx) = (shared.clone(), tx.clone(), ready_tx.clone());
                std::thread::spawn(move || {
                    let mut g = guest(&format!("fifo{round}-{k}"), |b| {
                        b.preopened_dir(
                            &shared,
                            "/s",
                            nanowasm_wasi::DirPerms::all(),
                            nanowasm_wasi::FilePerms::all(),
                        );
                    });
                    let fd = g.open(4, "p", 0, 2, 0).unwrap();
                    let deadline =
                        std::time::Instant::now() + std::time::Duration::from_millis(200);
                    g.store.data_mut().set_deadline(Some(deadline));
                    // iovec at 64 -> 128, 4 bytes
                    ready_tx.send(()).unwrap();
                    let f = g.inst.get_func(&g.store, "fd_read").unwrap();
                    let mut out = [Val::I32(0)];
                    let r = f.call(
                        &mut g.store,
                        &[Val::I32(fd as i32), Val::I32(64), Val::I32(1), Val::I32(0)],
                        &mut out,
                    );
                    let _ = tx.send(r.is_ok());
                })
            })
            .collect();
        ready_rx.recv().unwrap();
        ready_rx.recv().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::io::Write::write_all(&mut writer, b"x").unwrap();
        for _ in 0..2 {
            if rx.recv_timeout(std::time::Duration::from_secs(3)).is_err() {
                stuck = true;
                // Free the stuck reader.
                std::io::Write::write_all(&mut writer, b"y").unwrap();
                break 'rounds;
            }
        }
        for r in readers {
            r.join().unwrap();
        }
    }
    let _ = std::fs::remove_dir_all(&shared);
    assert!(
        !stuck,
        "a reader blocked in fd_read for seconds past its 200 ms deadline"
    );
}
