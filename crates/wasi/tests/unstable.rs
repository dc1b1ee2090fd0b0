//! `wasi_unstable` (snapshot 0): WAT guests importing the old module name
//! see its layouts: `fd_seek`'s whence order, the 56-byte `filestat` and
//! `subscription`, rights without `SOCK_ACCEPT`, and no `sock_accept`.

use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use nanowasm_runtime::{Engine, Linker, Module, Store};
use nanowasm_wasi::WasiCtx;

mod support;
use support::Guest;

const SEC: u64 = 1_000_000_000;
const EINVAL: i64 = 28;

/// Memory: 0 results, 100 the file name "f", 200 a `filestat` or
/// `fdstat` (with 72 bytes of 0xaa before the call, to see how many it
/// wrote), 512 subscriptions (the test writes them), 1020 `nevents`,
/// 1024 events, 2048 `argv`, 3072 `argv_buf`.
const GUEST: &str = r#"(module
  (import "wasi_unstable" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_filestat_get" (func $fd_filestat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "path_filestat_get"
    (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_fdstat_set_rights"
    (func $fd_fdstat_set_rights (param i32 i64 i64) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "f")

  ;; Opens "f" beneath descriptor 3 for reading and seeking: the new
  ;; descriptor, or minus the errno.
  (func (export "open") (result i32)
    (local $e i32)
    (local.set $e (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 1)
      (i32.const 0) (i64.const 2097190) (i64.const 0) (i32.const 0) (i32.const 0)))
    (if (result i32) (local.get $e)
      (then (i32.sub (i32.const 0) (local.get $e)))
      (else (i32.load (i32.const 0)))))

  ;; fd_seek: the new offset, or minus the errno.
  (func (export "seek") (param $fd i32) (param $off i64) (param $whence i32) (result i64)
    (local $e i32)
    (local.set $e (call $fd_seek (local.get $fd) (local.get $off) (local.get $whence) (i32.const 8)))
    (if (result i64) (local.get $e)
      (then (i64.sub (i64.const 0) (i64.extend_i32_u (local.get $e))))
      (else (i64.load (i32.const 8)))))

  (func (export "fstat") (param $fd i32) (result i32)
    (memory.fill (i32.const 200) (i32.const 0xaa) (i32.const 72))
    (call $fd_filestat_get (local.get $fd) (i32.const 200)))
  (func (export "pstat") (result i32)
    (memory.fill (i32.const 200) (i32.const 0xaa) (i32.const 72))
    (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))
  (func (export "fdstat") (param $fd i32) (result i32)
    (call $fd_fdstat_get (local.get $fd) (i32.const 200)))
  (func (export "set_rights") (param $fd i32) (param $base i64) (param $inheriting i64) (result i32)
    (call $fd_fdstat_set_rights (local.get $fd) (local.get $base) (local.get $inheriting)))
  (func (export "poll") (param $n i32) (result i32)
    (call $poll_oneoff (i32.const 512) (i32.const 1024) (local.get $n) (i32.const 1020)))
  (func (export "args_sizes") (result i32)
    (call $args_sizes_get (i32.const 0) (i32.const 4)))
  (func (export "args") (result i32)
    (call $args_get (i32.const 2048) (i32.const 3072))))"#;

/// This file's guest, [`GUEST`], with `cx`.
fn guest(cx: WasiCtx) -> Guest {
    Guest::with(GUEST, cx)
}

/// A fresh directory holding `f` = "0123456789".
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nanowasm-unstable-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("f"), b"0123456789").unwrap();
    dir
}

#[test]
fn fd_seek_uses_the_snapshot0_whence_order() {
    let dir = scratch("seek");
    let cx = WasiCtx::builder()
        .preopened_dir(
            &dir,
            "/d",
            nanowasm_wasi::DirPerms::READ,
            nanowasm_wasi::FilePerms::READ,
        )
        .build()
        .unwrap();
    let mut g = guest(cx);
    let fd: i32 = g.call("open", ());
    assert!(fd > 3, "path_open: errno {}", -fd);
    // CUR = 0, END = 1, SET = 2 (snapshot 1: SET = 0, CUR = 1, END = 2).
    assert_eq!(g.call::<_, i64>("seek", (fd, 2i64, 2)), 2, "SET");
    assert_eq!(g.call::<_, i64>("seek", (fd, 3i64, 0)), 5, "CUR");
    assert_eq!(g.call::<_, i64>("seek", (fd, -1i64, 1)), 9, "END");
    assert_eq!(g.call::<_, i64>("seek", (fd, 0i64, 0)), 9, "CUR again");
    assert_eq!(g.call::<_, i64>("seek", (fd, 0i64, 3)), -EINVAL);
    assert_eq!(g.call::<_, i64>("seek", (fd, 0i64, 256)), -EINVAL);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn filestat_is_56_bytes_with_a_u32_nlink() {
    let dir = scratch("stat");
    let meta = std::fs::metadata(dir.join("f")).unwrap();
    let cx = WasiCtx::builder()
        .allow_clocks(true)
        .preopened_dir(
            &dir,
            "/d",
            nanowasm_wasi::DirPerms::READ,
            nanowasm_wasi::FilePerms::READ,
        )
        .build()
        .unwrap();
    let mut g = guest(cx);
    let fd: i32 = g.call("open", ());
    for how in ["fstat", "pstat"] {
        let e: i32 = if how == "fstat" {
            g.call("fstat", fd)
        } else {
            g.call("pstat", ())
        };
        assert_eq!(e, 0, "{how}");
        let mtim = meta.mtime() as u64 * SEC + meta.mtime_nsec() as u64;
        assert_eq!(g.u64_at(200), meta.dev(), "{how}: dev");
        assert_eq!(g.u64_at(208), meta.ino(), "{how}: ino");
        assert_eq!(g.mem()[216], 4, "{how}: filetype (regular file)");
        assert_eq!(g.u32_at(220), 1, "{how}: nlink");
        assert_eq!(g.u64_at(224), 10, "{how}: size");
        assert_eq!(g.u64_at(240), mtim, "{how}: mtim");
        assert_eq!(&g.mem()[256..272], &[0xaa; 16], "{how}: 56 bytes written");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A snapshot-0 clock subscription: `identifier` at 16, `id` at 24,
/// `timeout` at 32, `precision` at 40, `flags` at 48.
fn clock_sub(userdata: u64, identifier: u64, id: u32, timeout: u64, flags: u16) -> [u8; 56] {
    let mut s = [0u8; 56];
    s[0..8].copy_from_slice(&userdata.to_le_bytes());
    s[8] = 0;
    s[16..24].copy_from_slice(&identifier.to_le_bytes());
    s[24..28].copy_from_slice(&id.to_le_bytes());
    s[32..40].copy_from_slice(&timeout.to_le_bytes());
    s[40..48].copy_from_slice(&1000u64.to_le_bytes());
    s[48..50].copy_from_slice(&flags.to_le_bytes());
    s
}

#[test]
fn poll_oneoff_reads_56_byte_subscriptions() {
    let cx = WasiCtx::builder().virtual_clocks(0).build().unwrap();
    let mut g = guest(cx);
    // An absolute monotonic deadline at 5 s and a relative one of 10 s:
    // virtual time jumps to 5 s and only the first fires.
    let a = clock_sub(7, 0x1111, 1, 5 * SEC, 1);
    let b = clock_sub(8, 0x2222, 1, 10 * SEC, 0);
    g.mem()[512..568].copy_from_slice(&a);
    g.mem()[568..624].copy_from_slice(&b);
    assert_eq!(g.call::<_, i32>("poll", 2), 0);
    assert_eq!(g.u32_at(1020), 1, "nevents");
    assert_eq!(g.u64_at(1024), 7, "userdata, not the identifier");
    assert_eq!(g.mem()[1024 + 8..1024 + 11], [0, 0, 0], "no error, a clock");
    assert_eq!(g.store.data().virtual_time(), Some(5 * SEC));
    // A descriptor subscription after a clock one (now at 50 s): the
    // array's stride is 56 bytes. Null stdin is readable at once, so time
    // stays.
    let a = clock_sub(7, 0x1111, 1, 50 * SEC, 1);
    g.mem()[512..568].copy_from_slice(&a);
    let mut fd = [0u8; 56];
    fd[0..8].copy_from_slice(&9u64.to_le_bytes());
    fd[8] = 1;
    fd[16..20].copy_from_slice(&0u32.to_le_bytes());
    g.mem()[568..624].copy_from_slice(&fd);
    assert_eq!(g.call::<_, i32>("poll", 2), 0);
    assert_eq!(g.u32_at(1020), 1);
    assert_eq!(g.u64_at(1024), 9);
    assert_eq!(g.mem()[1024 + 10], 1, "an fd_read event");
    assert_eq!(g.store.data().virtual_time(), Some(5 * SEC));
}

#[test]
fn args_through_wasi_unstable() {
    let cx = WasiCtx::builder().arg("prog").arg("x y").build().unwrap();
    let mut g = guest(cx);
    assert_eq!(g.call::<_, i32>("args_sizes", ()), 0);
    assert_eq!((g.u32_at(0), g.u32_at(4)), (2, 9));
    assert_eq!(g.call::<_, i32>("args", ()), 0);
    assert_eq!((g.u32_at(2048), g.u32_at(2052)), (3072, 3077));
    assert_eq!(&g.mem()[3072..3081], b"prog\0x y\0");
}

#[test]
fn rights_have_no_sock_accept_and_there_is_no_sock_accept() {
    const SOCK_ACCEPT: u64 = 1 << 29;
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let cx = WasiCtx::builder().preopened_listener(l).build().unwrap();
    let mut g = guest(cx);
    assert_eq!(g.call::<_, i32>("fdstat", 3), 0);
    let base = g.u64_at(208);
    assert_eq!(base & SOCK_ACCEPT, 0, "{base:#x}");
    assert_ne!(base & (1 << 28), 0, "SOCK_SHUTDOWN stays: {base:#x}");
    // Asking for it (or any unknown right) is invalid, before the
    // descriptor is even looked at; giving it up is what the rights read
    // back mean.
    let set = |g: &mut Guest, fd: i32, b: u64, i: u64| -> i32 {
        g.call("set_rights", (fd, b as i64, i as i64))
    };
    assert_eq!(set(&mut g, 3, base | SOCK_ACCEPT, 0), EINVAL as i32);
    assert_eq!(set(&mut g, 3, base, 1 << 40), EINVAL as i32);
    assert_eq!(set(&mut g, 99, SOCK_ACCEPT, 0), EINVAL as i32);
    assert_eq!(set(&mut g, 3, base, 0), 0);
    assert_eq!(g.call::<_, i32>("fdstat", 3), 0);
    assert_eq!(g.u64_at(208), base);
    // wasmtime's snapshot 0 has no `sock_accept` either: linking fails.
    let engine = Engine::default();
    let bytes = nanowasm_text::parse_wat(
        r#"(module (import "wasi_unstable" "sock_accept" (func (param i32 i32 i32) (result i32)))
             (memory (export "memory") 1))"#,
    )
    .unwrap();
    let module = Module::new(&engine, &bytes).unwrap();
    let mut linker = Linker::new(&engine);
    nanowasm_wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
    let mut store = Store::new(&engine, WasiCtx::builder().build().unwrap());
    let err = linker.instantiate(&mut store, &module).unwrap_err();
    assert!(err.to_string().contains("sock_accept"), "{err}");
}

#[test]
fn both_module_names_are_wasi() {
    assert_eq!(
        nanowasm_wasi::MODULES,
        ["wasi_snapshot_preview1", "wasi_unstable"]
    );
    assert!(nanowasm_wasi::is_wasi_module("wasi_unstable"));
    assert!(nanowasm_wasi::is_wasi_module(nanowasm_wasi::MODULE));
    assert!(!nanowasm_wasi::is_wasi_module("env"));
}
