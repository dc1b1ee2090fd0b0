//! WASI through the embedding API: captured stdio, bad guest pointers,
//! `proc_exit`, capability denial, and isolation between stores.

use nanowasm_runtime::{Engine, ErrorKind, Linker, Module, Store};
use nanowasm_wasi::{Stdio, WasiCtx};

fn instantiate(wat: &str, cx: WasiCtx) -> (Store<WasiCtx>, nanowasm_runtime::Instance) {
    let engine = Engine::default();
    let bytes = nanowasm_text::parse_wat(wat).unwrap();
    let module = Module::new(&engine, &bytes).unwrap();
    let mut linker = Linker::new(&engine);
    nanowasm_wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
    let mut store = Store::new(&engine, cx);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    (store, instance)
}

const WRITE: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello, wasi\n")
  ;; write(fd, iovec at 0 -> (ptr, len)) -> errno
  (func (export "write") (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
  ;; The same with the iovec array itself at `iovs`.
  (func (export "write_raw") (param $iovs i32) (param $out i32) (result i32)
    (call $fd_write (i32.const 1) (local.get $iovs) (i32.const 1) (local.get $out))))"#;

#[test]
fn stdout_is_captured() {
    let (out, buf) = Stdio::buffer(Vec::new());
    let cx = WasiCtx::builder().stdout(out).build().unwrap();
    let (mut store, inst) = instantiate(WRITE, cx);
    let write = inst
        .get_typed_func::<(i32, i32, i32), i32>(&mut store, "write")
        .unwrap();
    assert_eq!(write.call(&mut store, (1, 16, 12)).unwrap(), 0);
    assert_eq!(&*buf.lock().unwrap(), b"hello, wasi\n");
}

/// With several memories (multi-memory), WASI uses the one exported as
/// `memory`, whatever its index.
#[test]
fn the_exported_memory_is_used_not_memory_0() {
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
      (memory $scratch 1)
      (memory $io (export "memory") 1)
      (data (memory $scratch) (i32.const 16) "wrong memory\n")
      (data (memory $io) (i32.const 16) "right memory\n")
      (func (export "write") (result i32)
        (i32.store $io (i32.const 0) (i32.const 16))
        (i32.store $io (i32.const 4) (i32.const 13))
        (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))"#;
    let mut config = nanowasm_runtime::Config::new();
    config.wasm_multi_memory(true);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, nanowasm_text::parse_wat(wat).unwrap()).unwrap();
    let mut linker = Linker::new(&engine);
    nanowasm_wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
    let (out, buf) = Stdio::buffer(Vec::new());
    let mut store = Store::new(&engine, WasiCtx::builder().stdout(out).build().unwrap());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let write = inst.get_typed_func::<(), i32>(&mut store, "write").unwrap();
    assert_eq!(write.call(&mut store, ()).unwrap(), 0);
    assert_eq!(&*buf.lock().unwrap(), b"right memory\n");
}

#[test]
fn bad_pointers_are_efault_not_panics() {
    let (out, buf) = Stdio::buffer(Vec::new());
    let cx = WasiCtx::builder().stdout(out).build().unwrap();
    let (mut store, inst) = instantiate(WRITE, cx);
    let write = inst
        .get_typed_func::<(i32, i32, i32), i32>(&mut store, "write")
        .unwrap();
    let raw = inst
        .get_typed_func::<(i32, i32), i32>(&mut store, "write_raw")
        .unwrap();
    const EFAULT: i32 = 21;
    // A buffer running past the end of memory, a huge length, an iovec
    // array and a result pointer outside memory.
    assert_eq!(write.call(&mut store, (1, 65530, 100)).unwrap(), EFAULT);
    assert_eq!(write.call(&mut store, (1, 16, -1)).unwrap(), EFAULT);
    assert_eq!(raw.call(&mut store, (65532, 8)).unwrap(), EFAULT);
    assert_eq!(raw.call(&mut store, (-8, 8)).unwrap(), EFAULT);
    assert!(buf.lock().unwrap().is_empty());
    // An unknown descriptor.
    assert_eq!(write.call(&mut store, (77, 16, 12)).unwrap(), 8);
}

#[test]
fn proc_exit_ends_the_call_with_its_status() {
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start") (call $exit (i32.const 7)) unreachable))"#;
    let (mut store, inst) = instantiate(wat, WasiCtx::builder().build().unwrap());
    let start = inst.get_typed_func::<(), ()>(&mut store, "_start").unwrap();
    let err = start.call(&mut store, ()).unwrap_err();
    assert_eq!(err.exit_status(), Some(7), "expected exit 7, got {err:?}");
    assert!(matches!(
        err.kind(),
        ErrorKind::Exit(nanowasm_runtime::I32Exit(7))
    ));
}

const OPEN: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "secret.txt")
  (func (export "prestat") (param $fd i32) (result i32) (call $prestat (local.get $fd) (i32.const 0)))
  ;; Opens "secret.txt" (10 bytes at 100) for reading beneath $dir.
  (func (export "open") (param $dir i32) (result i32)
    (call $open (local.get $dir) (i32.const 0) (i32.const 100) (i32.const 10) (i32.const 0)
      (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 200))))"#;

#[test]
fn stores_do_not_share_capabilities() {
    let dir = std::env::temp_dir().join(format!("nanowasm-wasi-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("secret.txt"), b"tenant a only").unwrap();
    let a = WasiCtx::builder()
        .preopened_dir(
            &dir,
            "/a",
            nanowasm_wasi::DirPerms::READ,
            nanowasm_wasi::FilePerms::READ,
        )
        .build()
        .unwrap();
    let b = WasiCtx::builder().build().unwrap();
    let (mut sa, ia) = instantiate(OPEN, a);
    let (mut sb, ib) = instantiate(OPEN, b);
    let open_a = ia.get_typed_func::<i32, i32>(&mut sa, "open").unwrap();
    let open_b = ib.get_typed_func::<i32, i32>(&mut sb, "open").unwrap();
    let pre_b = ib.get_typed_func::<i32, i32>(&mut sb, "prestat").unwrap();
    assert_eq!(
        open_a.call(&mut sa, 3).unwrap(),
        0,
        "a opens through its preopen"
    );
    // Store b was granted nothing: descriptor 3 does not exist there.
    assert_eq!(pre_b.call(&mut sb, 3).unwrap(), 8);
    assert_eq!(open_b.call(&mut sb, 3).unwrap(), 8);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_preopen_is_a_build_error() {
    let err = WasiCtx::builder()
        .preopened_dir(
            "/definitely/not/here",
            "/x",
            nanowasm_wasi::DirPerms::all(),
            nanowasm_wasi::FilePerms::all(),
        )
        .build()
        .err()
        .expect("error");
    assert!(err.to_string().contains("/definitely/not/here"), "{err}");
}
