//! Descriptor quotas: a context's own limit on the descriptors its guest
//! opens (`EMFILE` past it), and a budget of host descriptors shared by
//! many contexts (`ENFILE` once spent), given back on close and when a
//! context is dropped. Standard streams and preopens count for neither.

use nanowasm_runtime::{Engine, Instance, Linker, Module, Store};
use nanowasm_wasi::{FdBudget, WasiCtx, WasiCtxBuilder};

const EMFILE: i32 = 33;
const ENFILE: i32 = 41;

/// `open()` opens (creating) "f.txt" beneath descriptor 3 and leaves the
/// new descriptor at 0; `close(fd)`; `fd()` reads descriptor 0's result.
const GUEST: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $fd_renumber (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "f.txt")
  (func (export "open") (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 5)
      (i32.const 1) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0)))
  (func (export "fd") (result i32) (i32.load (i32.const 0)))
  (func (export "close") (param i32) (result i32) (call $fd_close (local.get 0)))
  (func (export "renumber") (param i32 i32) (result i32)
    (call $fd_renumber (local.get 0) (local.get 1))))"#;

struct Guest {
    store: Store<WasiCtx>,
    inst: Instance,
}

impl Guest {
    fn new(dir: &std::path::Path, build: impl FnOnce(&mut WasiCtxBuilder)) -> Guest {
        let mut b = WasiCtx::builder();
        b.preopened_dir(
            dir,
            "/d",
            nanowasm_wasi::DirPerms::all(),
            nanowasm_wasi::FilePerms::all(),
        );
        build(&mut b);
        let engine = Engine::default();
        let module = Module::new(&engine, nanowasm_text::parse_wat(GUEST).unwrap()).unwrap();
        let mut linker = Linker::new(&engine);
        nanowasm_wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
        let mut store = Store::new(&engine, b.build().unwrap());
        let inst = linker.instantiate(&mut store, &module).unwrap();
        Guest { store, inst }
    }

    /// `path_open`: the new descriptor, or the errno.
    fn open(&mut self) -> Result<i32, i32> {
        let f = self
            .inst
            .get_typed_func::<(), i32>(&mut self.store, "open")
            .unwrap();
        match f.call(&mut self.store, ()).unwrap() {
            0 => {
                let fd = self.inst.get_typed_func::<(), i32>(&mut self.store, "fd");
                Ok(fd.unwrap().call(&mut self.store, ()).unwrap())
            }
            e => Err(e),
        }
    }

    fn close(&mut self, fd: i32) -> i32 {
        let f = self
            .inst
            .get_typed_func::<i32, i32>(&mut self.store, "close");
        f.unwrap().call(&mut self.store, fd).unwrap()
    }

    fn renumber(&mut self, from: i32, to: i32) -> i32 {
        let f = self
            .inst
            .get_typed_func::<(i32, i32), i32>(&mut self.store, "renumber");
        f.unwrap().call(&mut self.store, (from, to)).unwrap()
    }
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("nanowasm-quota-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn max_open_files_is_emfile_and_close_frees_a_slot() {
    let dir = scratch("max");
    let mut g = Guest::new(&dir, |b| {
        b.max_open_files(3);
    });
    // Stdio (0-2) and the preopen (3) are not counted: three opens fit.
    let fds: Vec<i32> = (0..3).map(|_| g.open().unwrap()).collect();
    assert_eq!(g.open(), Err(EMFILE));
    assert_eq!(g.close(fds[1]), 0);
    let again = g.open().unwrap();
    assert_eq!(g.open(), Err(EMFILE));
    // Moving a descriptor over another closes that one: a slot is free.
    assert_eq!(g.renumber(again, fds[0]), 0);
    assert!(g.open().is_ok());
    assert_eq!(g.open(), Err(EMFILE));
    // Closing a preopen gives no slot: it never took one.
    drop(g);
    let mut g = Guest::new(&dir, |b| {
        b.max_open_files(1);
    });
    let fd = g.open().unwrap();
    assert_eq!(g.open(), Err(EMFILE));
    assert_eq!(g.close(fd), 0);
    assert!(g.open().is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_budget_is_shared_and_given_back() {
    let dir = scratch("budget");
    let budget = FdBudget::new(4);
    assert_eq!((budget.in_use(), budget.max()), (0, 4));
    let mut a = Guest::new(&dir, |b| {
        b.fd_budget(budget.clone());
    });
    let mut b = Guest::new(&dir, |b| {
        b.fd_budget(budget.clone()).max_open_files(100);
    });
    // Neither context's standard streams or preopen drew from it.
    assert_eq!(budget.in_use(), 0);
    let a1 = a.open().unwrap();
    a.open().unwrap();
    a.open().unwrap();
    assert_eq!(budget.in_use(), 3);
    b.open().unwrap();
    assert_eq!(budget.in_use(), 4);
    // Spent: both contexts get ENFILE, whatever their own quota.
    assert_eq!(b.open(), Err(ENFILE));
    assert_eq!(a.open(), Err(ENFILE));
    assert_eq!(a.close(a1), 0);
    assert_eq!(budget.in_use(), 3);
    assert!(b.open().is_ok());
    assert_eq!(budget.in_use(), 4);
    // Dropping a context gives back everything it held.
    drop(a);
    assert_eq!(budget.in_use(), 2);
    drop(b);
    assert_eq!(budget.in_use(), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_limits_opens_go_on() {
    let dir = scratch("none");
    let mut g = Guest::new(&dir, |_| {});
    for _ in 0..200 {
        g.open().unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
