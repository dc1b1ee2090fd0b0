//! Red-team attacks on the nanoprocess host after the issue 13 fixes: each
//! test is an attack, kept as a regression test.

use std::time::{Duration, Instant};

use nanowasm_host::{FaultKind, HostError, Manifest, System};

mod support;
use support::{call_i32, scratch, system, within, write_wat};

/// `nap` sleeps 3 s in `poll_oneoff`; `spin` loops until its own deadline.
const SLOW: &str = r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "nap") (result i32)
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 3000000000))
    (call $poll (i32.const 0) (i32.const 128) (i32.const 1) (i32.const 256)))
  (func (export "spin") (result i32) (loop $l (br $l)) (i32.const 0)))"#;

const CALLER: &str = r#"(module
  (import "slow" "nap" (func $nap (result i32)))
  (import "slow" "spin" (func $spin (result i32)))
  (func (export "nap") (result i32) (call $nap))
  (func (export "spin") (result i32) (call $spin)))"#;

/// A process with `deadline_ms = 100` calls a process with a longer
/// deadline. Time inside a callee is bounded by the callee's own deadline
/// (as each wasmtime store has its own epoch deadline): bounding it by the
/// caller's would let any caller with a short deadline interrupt, and so
/// take down, a shared callee. So the call ends at the callee's deadline,
/// not the caller's, with the callee's fault; SECURITY.md says to give a
/// shared process a deadline no longer than its callers may wait.
#[test]
fn a_cross_call_is_bounded_by_the_callees_deadline() {
    let dir = scratch("xdeadline");
    write_wat(&dir, "slow.wasm", SLOW);
    write_wat(&dir, "caller.wasm", CALLER);
    let manifest = r#"
        [[process]]
        name = "slow"
        module = "slow.wasm"
        clocks = true
        limits = { deadline_ms = 400 }
        [[process]]
        name = "caller"
        module = "caller.wasm"
        limits = { deadline_ms = 100 }
        imports = [{ module = "slow", name = "nap", sig = "() -> i32" },
                   { module = "slow", name = "spin", sig = "() -> i32" }]
    "#;
    let sys = system(&dir, manifest);
    within(Duration::from_secs(30), move || {
        for f in ["nap", "spin"] {
            let t = Instant::now();
            let r = sys.call("caller", f, "() -> i32", &[]);
            let took = t.elapsed();
            assert!(
                matches!(
                    r,
                    Err(HostError::Fault {
                        kind: FaultKind::Deadline,
                        ..
                    })
                ),
                "{f}: {r:?}"
            );
            assert!(
                took >= Duration::from_millis(350) && took < Duration::from_millis(2000),
                "{f}: the callee's 400 ms deadline, not {took:?}"
            );
            let down = sys.failure("slow").unwrap().unwrap_or_default();
            assert!(down.contains("deadline"), "{f}: {down}");
            assert_eq!(sys.failure("caller").unwrap(), None, "{f}");
            let _ = sys.restart("slow");
            let _ = sys.restart("caller");
        }
    });
    let _ = std::fs::remove_dir_all(dir);
}

/// A guest whose `plant` replaces the directory `name` (in the directory
/// it holds as descriptor 3) by a symbolic link to `target`; the errno.
fn planter(name: &str, target: &str) -> String {
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "path_remove_directory"
    (func $rmdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink"
    (func $symlink (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{name}")
  (data (i32.const 16) "{target}")
  (func (export "plant") (result i32)
    (local $e i32)
    (local.set $e (call $rmdir (i32.const 3) (i32.const 0) (i32.const {nlen})))
    (if (local.get $e) (then (return (local.get $e))))
    (call $symlink (i32.const 16) (i32.const {tlen}) (i32.const 3) (i32.const 0)
      (i32.const {nlen}))))"#,
        nlen = name.len(),
        tlen = target.len()
    )
}

/// Opens `secret.txt` in the directory it holds as descriptor 3; the errno.
const PEEK: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "secret.txt")
  (func (export "secret") (result i32)
    (call $open (i32.const 3) (i32.const 1) (i32.const 0) (i32.const 10)
                (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 64))))"#;

/// Two processes without a parent whose grants overlap: `a` holds `cap`
/// read-write, `b` holds `cap/b`. `a` replaces `cap/b` by a symbolic link
/// climbing out of `cap`; the next system built from the same manifest (a
/// service restart) must not give `b` what the link points to.
#[test]
fn a_grant_inside_another_processes_grant_is_not_redirected_by_it() {
    let dir = scratch("overlap");
    std::fs::create_dir_all(dir.join("cap/b")).unwrap();
    std::fs::write(dir.join("secret.txt"), "host secret").unwrap();
    write_wat(&dir, "a.wasm", &planter("b", ".."));
    write_wat(&dir, "b.wasm", PEEK);
    let manifest = r#"
        [[process]]
        name = "a"
        module = "a.wasm"
        dirs = [{ host = "cap", guest = "/cap" }]
        [[process]]
        name = "b"
        module = "b.wasm"
        dirs = [{ host = "cap/b", guest = "/b" }]
    "#;
    const ENOENT: i32 = 44;
    let sys = system(&dir, manifest);
    assert_eq!(call_i32(&sys, "b", "secret"), ENOENT);
    assert_eq!(call_i32(&sys, "a", "plant"), 0);
    drop(sys);
    assert!(std::fs::symlink_metadata(dir.join("cap/b"))
        .unwrap()
        .file_type()
        .is_symlink());
    match System::new(&Manifest::parse(manifest, &dir).unwrap()) {
        // Refused: fine.
        Err(_) => {}
        Ok(sys) => assert_ne!(
            call_i32(&sys, "b", "secret"),
            0,
            "b reached a file outside `cap` through a link `a` planted"
        ),
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// `get` returns "hello"; `boom` traps.
const TRAPPY_CALLEE: &str = r#"(module
  (memory (export "memory") 1)
  (data (i32.const 16) "hello")
  (global $next (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get 3)))
    (local.get $p))
  (func (export "get") (result i64) (i64.or (i64.shl (i64.const 5) (i64.const 32)) (i64.const 16)))
  (func (export "boom") (result i32) unreachable))"#;

/// Its `cabi_realloc` calls `b.boom`, which traps, while the host copies
/// the result of `b.get` into it.
const TRAPPING_REALLOC_CALLER: &str = r#"(module
  (import "b" "get" (func $get (result i64)))
  (import "b" "boom" (func $boom (result i32)))
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (drop (call $boom))
    (i32.const 2048))
  (func (export "run") (result i32) (drop (call $get)) (i32.const 1))
  (func (export "ping") (result i32) (i32.const 7)))"#;

/// A callee that traps inside the caller's `cabi_realloc` (called back
/// while its result is copied): no deadlock, no panic, the callee is down
/// and restartable, and the caller still answers.
#[test]
fn a_callee_trapping_inside_the_callers_realloc_is_contained() {
    let dir = scratch("realloc-trap");
    write_wat(&dir, "b.wasm", TRAPPY_CALLEE);
    write_wat(&dir, "a.wasm", TRAPPING_REALLOC_CALLER);
    let manifest = r#"
        [[process]]
        name = "b"
        module = "b.wasm"
        limits = { deadline_ms = 5000 }
        [[process]]
        name = "a"
        module = "a.wasm"
        limits = { deadline_ms = 5000 }
        imports = [{ module = "b", name = "get", sig = "() -> string" },
                   { module = "b", name = "boom", sig = "() -> i32" }]
    "#;
    let sys = system(&dir, manifest);
    within(Duration::from_secs(30), move || {
        match sys.call("a", "run", "() -> i32", &[]) {
            Err(HostError::Fault {
                process,
                kind: FaultKind::Trap,
                ..
            }) => assert_eq!(process, "b"),
            other => panic!("expected b's trap, got {other:?}"),
        }
        assert!(sys.failure("b").unwrap().is_some());
        assert_eq!(call_i32(&sys, "a", "ping"), 7);
        sys.restart("b").unwrap();
        assert!(sys.failure("b").unwrap().is_none());
    });
    let _ = std::fs::remove_dir_all(dir);
}

/// `p` holds `cap` read-only; its child `c` holds `cap/s/c`; a sibling
/// `s` holds `cap/s` read-write. `s` replaces `cap/s/c` by a link to `..`
/// (`cap`): in the next system `c` must not get `cap` (and `p`'s
/// `secret.txt` there), which neither `s` nor `c` holds.
#[test]
fn a_sibling_cannot_widen_a_childs_grant_within_its_parents() {
    let dir = scratch("widen");
    std::fs::create_dir_all(dir.join("cap/s/c")).unwrap();
    std::fs::write(dir.join("cap/secret.txt"), "p's secret").unwrap();
    write_wat(
        &dir,
        "p.wasm",
        r#"(module (func (export "ping") (result i32) (i32.const 1)))"#,
    );
    write_wat(&dir, "s.wasm", &planter("c", ".."));
    write_wat(&dir, "c.wasm", PEEK);
    let manifest = r#"
        [[process]]
        name = "p"
        module = "p.wasm"
        dirs = [{ host = "cap", guest = "/cap", readonly = true }]
        [[process]]
        name = "s"
        module = "s.wasm"
        dirs = [{ host = "cap/s", guest = "/s" }]
        [[process]]
        name = "c"
        parent = "p"
        module = "c.wasm"
        dirs = [{ host = "cap/s/c", guest = "/c", readonly = true }]
    "#;
    const ENOENT: i32 = 44;
    let sys = system(&dir, manifest);
    assert_eq!(call_i32(&sys, "c", "secret"), ENOENT);
    assert_eq!(call_i32(&sys, "s", "plant"), 0);
    drop(sys);
    match System::new(&Manifest::parse(manifest, &dir).unwrap()) {
        Err(_) => {}
        Ok(sys) => assert_ne!(
            call_i32(&sys, "c", "secret"),
            0,
            "c reached its parent's file outside its own grant through a link a sibling planted"
        ),
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Writes `evil` over `victim.wasm` in the directory it holds as
/// descriptor 3 when `swap` is called; the errno.
fn module_overwriter(evil: &[u8]) -> String {
    let data: String = evil.iter().map(|b| format!("\\{b:02x}")).collect();
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "victim.wasm")
  (data (i32.const 1024) "{data}")
  (func (export "swap") (result i32)
    (local $e i32)
    (local.set $e (call $open (i32.const 3) (i32.const 1) (i32.const 0) (i32.const 11)
                              (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 0)
                              (i32.const 64)))
    (if (local.get $e) (then (return (local.get $e))))
    (i32.store (i32.const 128) (i32.const 1024))
    (i32.store (i32.const 132) (i32.const {len}))
    (call $write (i32.load (i32.const 64)) (i32.const 128) (i32.const 1) (i32.const 136))))"#,
        len = evil.len()
    )
}

/// A process holding the directory of another process's module read-write
/// replaces the module file; the next system built from the same manifest
/// (a service restart) runs the replacement with the victim's grants.
/// Reading every module before any guest runs closes this only within one
/// run.
#[test]
fn a_process_cannot_choose_another_processes_module_for_the_next_run() {
    let dir = scratch("module-next-run");
    std::fs::create_dir_all(dir.join("mods")).unwrap();
    let good = r#"(module (func (export "who") (result i32) (i32.const 1)))"#;
    let evil =
        nanowasm_text::parse_wat(r#"(module (func (export "who") (result i32) (i32.const 666)))"#)
            .unwrap();
    write_wat(&dir.join("mods"), "victim.wasm", good);
    write_wat(&dir, "overwriter.wasm", &module_overwriter(&evil));
    let manifest = r#"
        [[process]]
        name = "overwriter"
        module = "overwriter.wasm"
        dirs = [{ host = "mods", guest = "/mods" }]
        [[process]]
        name = "victim"
        module = "mods/victim.wasm"
    "#;
    // Refused when the system is built, before anything runs.
    let e = System::new(&Manifest::parse(manifest, &dir).unwrap())
        .err()
        .expect("a module inside another process's writable grant is refused");
    let e = e.to_string();
    assert!(e.contains("`victim`") && e.contains("`overwriter`"), "{e}");
    // A read-only grant of the directory is fine.
    let readonly = manifest.replace(
        r#"guest = "/mods" }"#,
        r#"guest = "/mods", readonly = true }"#,
    );
    let sys = system(&dir, &readonly);
    assert_eq!(call_i32(&sys, "victim", "who"), 1);
    let _ = std::fs::remove_dir_all(dir);
}

/// Four processes without a parent: `a` holds `cap`, `d` holds `cap/x`,
/// `e` holds `cap/x/e`, `t` holds `cap/t` (with its `secret.txt`), all
/// read-write. `d` replaces `cap/x/e` by a link to `../t`, which stays
/// inside `cap`: in the next run `e` must not get `t`'s directory, which
/// neither `d` nor `e` holds.
#[test]
fn a_link_that_stays_inside_a_container_does_not_hand_over_a_siblings_grant() {
    let dir = scratch("nested");
    std::fs::create_dir_all(dir.join("cap/x/e")).unwrap();
    std::fs::create_dir_all(dir.join("cap/t")).unwrap();
    std::fs::write(dir.join("cap/t/secret.txt"), "t's secret").unwrap();
    let idle = r#"(module (func (export "ping") (result i32) (i32.const 1)))"#;
    write_wat(&dir, "idle.wasm", idle);
    write_wat(&dir, "d.wasm", &planter("e", "../t"));
    write_wat(&dir, "e.wasm", PEEK);
    let manifest = r#"
        [[process]]
        name = "a"
        module = "idle.wasm"
        dirs = [{ host = "cap", guest = "/cap" }]
        [[process]]
        name = "d"
        module = "d.wasm"
        dirs = [{ host = "cap/x", guest = "/x" }]
        [[process]]
        name = "e"
        module = "e.wasm"
        dirs = [{ host = "cap/x/e", guest = "/e" }]
        [[process]]
        name = "t"
        module = "idle.wasm"
        dirs = [{ host = "cap/t", guest = "/t" }]
    "#;
    const ENOENT: i32 = 44;
    let sys = system(&dir, manifest);
    assert_eq!(call_i32(&sys, "e", "secret"), ENOENT);
    assert_eq!(call_i32(&sys, "d", "plant"), 0);
    drop(sys);
    match System::new(&Manifest::parse(manifest, &dir).unwrap()) {
        Err(e) => assert!(e.to_string().contains("symbolic link"), "{e}"),
        Ok(sys) => assert_ne!(
            call_i32(&sys, "e", "secret"),
            0,
            "e reached t's file through a link d planted"
        ),
    }
    let _ = std::fs::remove_dir_all(dir);
}
