//! Regression tests for issue 13 in the nanoprocess host: a directory
//! grant stays the directory that was checked (item 1), cross calls
//! neither deadlock nor wait past a deadline (item 3), unlimited fuel is
//! unlimited (item 7), and one tenant's open files cannot starve the others
//! (item 6).

use std::path::{Path, PathBuf};

use nanowasm_host::{FaultKind, HostError, Manifest, System, Value};

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("nanowasm-hardening-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_wat(dir: &Path, name: &str, wat: &str) {
    std::fs::write(dir.join(name), nanowasm_text::parse_wat(wat).unwrap()).unwrap();
}

fn system(dir: &Path, manifest: &str) -> System {
    System::new(&Manifest::parse(manifest, dir).unwrap()).unwrap()
}

fn call_i32(sys: &System, process: &str, func: &str) -> i32 {
    match sys.call(process, func, "() -> i32", &[]) {
        Ok(Some(Value::I32(v))) => v,
        other => panic!("{process}.{func}: {other:?}"),
    }
}

// ---------------------------------------------------------------------
// Item 1: a directory grant stays the directory that was checked.

/// Replaces `child` (in the directory it holds as descriptor 3) with a
/// symbolic link to `../outside`, a sibling of that directory; with
/// `init`, in its `_initialize`, before any other process runs.
fn swapper(init: bool) -> String {
    let init = if init {
        r#"(func (export "_initialize") (global.set $swapped (call $swap)))"#
    } else {
        ""
    };
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "path_rename"
    (func $rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink"
    (func $symlink (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "child")
  (data (i32.const 16) "child.old")
  (data (i32.const 32) "../outside")
  (global $swapped (mut i32) (i32.const -1))
  (func $swap (result i32)
    (local $e i32)
    (local.set $e (call $rename (i32.const 3) (i32.const 0) (i32.const 5)
                                (i32.const 3) (i32.const 16) (i32.const 9)))
    (if (local.get $e) (then (return (local.get $e))))
    (call $symlink (i32.const 32) (i32.const 10) (i32.const 3) (i32.const 0) (i32.const 5)))
  (func (export "swap") (result i32) (call $swap))
  (func (export "swapped") (result i32) (global.get $swapped))
  {init})"#
    )
}

/// Opens `secret.txt` or `ok.txt` for reading, or creates `pwned`, in
/// the directory it holds as descriptor 3; returns the errno (0: done).
const PEEK: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "secret.txt")
  (data (i32.const 16) "ok.txt")
  (data (i32.const 32) "pwned")
  (func $open_at (param $p i32) (param $l i32) (param $oflags i32) (param $rights i64) (result i32)
    (local $e i32)
    (local.set $e (call $open (i32.const 3) (i32.const 1) (local.get $p) (local.get $l)
                              (local.get $oflags) (local.get $rights) (i64.const 0)
                              (i32.const 0) (i32.const 64)))
    (if (i32.eqz (local.get $e)) (then (drop (call $close (i32.load (i32.const 64))))))
    (local.get $e))
  (func (export "secret") (result i32)
    (call $open_at (i32.const 0) (i32.const 10) (i32.const 0) (i64.const 2)))
  (func (export "ok") (result i32)
    (call $open_at (i32.const 16) (i32.const 6) (i32.const 0) (i64.const 2)))
  (func (export "write") (result i32)
    (call $open_at (i32.const 32) (i32.const 5) (i32.const 1) (i64.const 64))))"#;

/// `root/cap/child/ok.txt` inside the grants, `root/outside/secret.txt`
/// outside them; the parent holds `cap` read-write, the child `cap/child`.
fn symlink_swap_system(name: &str, init: bool) -> (System, PathBuf) {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("cap/child")).unwrap();
    std::fs::write(dir.join("cap/child/ok.txt"), "fine").unwrap();
    std::fs::create_dir_all(dir.join("outside")).unwrap();
    std::fs::write(dir.join("outside/secret.txt"), "host secret").unwrap();
    write_wat(&dir, "swapper.wasm", &swapper(init));
    write_wat(&dir, "peek.wasm", PEEK);
    let manifest = r#"
        [[process]]
        name = "parent"
        module = "swapper.wasm"
        dirs = [{ host = "cap", guest = "/cap" }]
        [[process]]
        name = "child"
        parent = "parent"
        module = "peek.wasm"
        dirs = [{ host = "cap/child", guest = "/child" }]
    "#;
    (system(&dir, manifest), dir)
}

/// The child sees the directory that was checked (now `cap/child.old`),
/// not what the parent put at its path.
fn assert_child_contained(sys: &System, dir: &Path) {
    assert!(
        std::fs::symlink_metadata(dir.join("cap/child"))
            .unwrap()
            .file_type()
            .is_symlink(),
        "the parent did replace the child's directory by a symbolic link"
    );
    const ENOENT: i32 = 44;
    assert_eq!(
        call_i32(sys, "child", "secret"),
        ENOENT,
        "the child reached a file outside its grant"
    );
    assert_eq!(call_i32(sys, "child", "ok"), 0);
    assert_eq!(call_i32(sys, "child", "write"), 0);
    assert!(!dir.join("outside/pwned").exists(), "wrote outside");
    assert!(dir.join("cap/child.old/pwned").exists());
}

#[test]
fn a_symlink_swapped_in_by_a_parent_initializer_does_not_redirect_the_child() {
    let (sys, dir) = symlink_swap_system("swap-init", true);
    // The parent's `_initialize` ran (before the child was instantiated)
    // and made the swap.
    assert_eq!(call_i32(&sys, "parent", "swapped"), 0);
    assert_child_contained(&sys, &dir);
    // And a restart of the child opens nothing by path either.
    sys.restart("child").unwrap();
    assert_child_contained(&sys, &dir);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_symlink_swapped_in_before_a_restart_does_not_redirect_the_child() {
    let (sys, dir) = symlink_swap_system("swap-restart", false);
    const ENOENT: i32 = 44;
    assert_eq!(call_i32(&sys, "child", "ok"), 0);
    assert_eq!(call_i32(&sys, "child", "secret"), ENOENT);
    assert_eq!(call_i32(&sys, "parent", "swap"), 0);
    sys.restart("child").unwrap();
    assert_child_contained(&sys, &dir);
    // A fresh instance from the template (as an embedder makes copies)
    // gets the checked directory too.
    let mut copy = sys.template("child").unwrap().instantiate().unwrap();
    let sig = nanowasm_host::Sig::parse("() -> i32").unwrap();
    assert_eq!(
        copy.call("secret", &sig, &[]).unwrap(),
        Some(Value::I32(ENOENT))
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_child_grant_must_be_beneath_its_parents_grant() {
    let dir = scratch("beneath");
    std::fs::create_dir_all(dir.join("cap/child")).unwrap();
    std::fs::create_dir_all(dir.join("other")).unwrap();
    // Inside the parent's directory by its text, outside by a symlink;
    // and a symlink that stays inside.
    std::os::unix::fs::symlink("../other", dir.join("cap/link")).unwrap();
    std::os::unix::fs::symlink("child", dir.join("cap/inner")).unwrap();
    write_wat(&dir, "peek.wasm", PEEK);
    let family = |child: &str| {
        format!(
            "[[process]]\nname = \"p\"\nmodule = \"peek.wasm\"\n\
             dirs = [{{ host = \"cap\", guest = \"/cap\" }}]\n\
             [[process]]\nname = \"c\"\nparent = \"p\"\nmodule = \"peek.wasm\"\n\
             dirs = [{{ host = \"{child}\", guest = \"/c\" }}]\n"
        )
    };
    for child in ["other", "cap/../other", "cap/link"] {
        let err = Manifest::parse(&family(child), &dir)
            .and_then(|m| System::new(&m).map(drop))
            .expect_err(child);
        assert!(err.to_string().contains("does not hold"), "{child}: {err}");
    }
    // A symlink that stays inside the parent's directory is followed.
    for child in ["cap/child", "cap/./child", "cap/inner"] {
        let sys = Manifest::parse(&family(child), &dir)
            .and_then(|m| System::new(&m))
            .unwrap_or_else(|e| panic!("{child}: {e}"));
        assert_eq!(call_i32(&sys, "c", "ok"), 44, "{child}");
    }
    // Checked when parsed, swapped before the system is built: the open
    // beneath the parent's descriptor is the authority, and refuses.
    let m = Manifest::parse(&family("cap/child"), &dir).unwrap();
    std::fs::rename(dir.join("cap/child"), dir.join("cap/child.old")).unwrap();
    std::os::unix::fs::symlink("../other", dir.join("cap/child")).unwrap();
    let err = System::new(&m)
        .map(drop)
        .expect_err("escaping grant opened");
    let msg = err.to_string();
    assert!(
        msg.contains("`c`") && msg.contains("cap/child") && msg.contains("beneath"),
        "{msg}"
    );
    // Parents form a tree: a cycle would leave a grant no root to be
    // opened beneath.
    let cycle = "[[process]]\nname = \"a\"\nparent = \"b\"\nmodule = \"peek.wasm\"\n\
                 [[process]]\nname = \"b\"\nparent = \"a\"\nmodule = \"peek.wasm\"\n";
    let err = Manifest::parse(cycle, &dir).expect_err("cycle of parents");
    assert!(err.to_string().contains("form a cycle"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------
// Item 7: a process without `fuel_per_call` has unlimited fuel, even when
// another process in the system has a budget.

/// Spins in `_initialize`, in `cabi_realloc` and in `spin(n)`.
const HUNGRY: &str = r#"(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func $spin (param $n i32)
    (loop $l (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "_initialize") (call $spin (i32.const 200000)))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (call $spin (i32.const 200000))
    (global.get $next))
  (func (export "spin") (param i32) (call $spin (local.get 0)))
  (func (export "len") (param i32 i32) (result i32) (local.get 1)))"#;

/// Calls `hungry.len` with a string (so the host calls its realloc).
const FEEDER: &str = r#"(module
  (import "hungry" "len" (func $len (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hello")
  (func (export "run") (result i32) (call $len (i32.const 0) (i32.const 5))))"#;

#[test]
fn a_process_without_a_fuel_budget_has_unlimited_fuel() {
    let dir = scratch("fuel");
    write_wat(&dir, "hungry.wasm", HUNGRY);
    write_wat(&dir, "feeder.wasm", FEEDER);
    write_wat(
        &dir,
        "frugal.wasm",
        r#"(module (func (export "spin") (param $n i32)
             (loop $l (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))"#,
    );
    let manifest = r#"
        [[process]]
        name = "frugal"
        module = "frugal.wasm"
        limits = { fuel_per_call = 50000 }
        [[process]]
        name = "hungry"
        module = "hungry.wasm"
        [[process]]
        name = "feeder"
        module = "feeder.wasm"
        imports = [{ module = "hungry", name = "len", sig = "(string) -> i32" }]
    "#;
    // `hungry`'s `_initialize` alone takes more than `frugal`'s budget.
    let sys = system(&dir, manifest);
    let spin = |p: &str, n: i32| sys.call(p, "spin", "(i32)", &[Value::I32(n)]);
    // Far more than `frugal`'s budget, in one call, then again.
    spin("hungry", 50_000_000).unwrap();
    spin("hungry", 50_000_000).unwrap();
    // Its `cabi_realloc`, called by the host for a string argument and
    // for a cross call.
    let len = sys.call(
        "hungry",
        "len",
        "(string) -> i32",
        &[Value::String("hello".into())],
    );
    assert_eq!(len.unwrap(), Some(Value::I32(5)));
    assert_eq!(call_i32(&sys, "feeder", "run"), 5);
    sys.restart("hungry").unwrap();
    // The budget still holds where it is set, for every call.
    spin("frugal", 1000).unwrap();
    match spin("frugal", 1_000_000) {
        Err(HostError::Fault {
            process,
            kind: FaultKind::OutOfFuel,
            ..
        }) => assert_eq!(process, "frugal"),
        other => panic!("expected frugal to run out of fuel, got {other:?}"),
    }
    sys.restart("frugal").unwrap();
    spin("frugal", 1000).unwrap();
    let _ = std::fs::remove_dir_all(dir);
}
