//! Regression tests for issue 13 in the nanoprocess host: a directory
//! grant stays the directory that was checked (item 1), cross calls
//! neither deadlock nor wait past a deadline (item 3), unlimited fuel is
//! unlimited (item 7), and one tenant's open files cannot starve the others
//! (item 6).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nanowasm_host::{FaultKind, HostError, Manifest, System, Value};

mod support;
use support::{call_i32, scratch, system, within, write_wat};

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
// Item 3: no deadlock on a call back into the callee, and lock waits
// bounded by the deadline.

/// `get: () -> string` returns "hello from b"; `ping` counts its calls.
const CALLEE: &str = r#"(module
  (memory (export "memory") 1)
  (data (i32.const 0) "hello from b")
  (global $next (mut i32) (i32.const 1024))
  (global $pings (mut i32) (i32.const 0))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (func (export "get") (result i64) (i64.shl (i64.const 12) (i64.const 32)))
  (func (export "ping") (result i32)
    (global.set $pings (i32.add (global.get $pings) (i32.const 1)))
    (global.get $pings)))"#;

/// Calls `b.get`; its `cabi_realloc`, which the host calls to copy the
/// result in, calls `b.ping` first: back into the callee during the copy.
const REENTRANT_CALLER: &str = r#"(module
  (import "b" "get" (func $get (result i64)))
  (import "b" "ping" (func $ping (result i32)))
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (global $seen (mut i32) (i32.const 0))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (global.set $seen (call $ping))
    (global.get $next))
  ;; (length << 8) | first byte of the string `b.get` returned.
  (func (export "run") (result i32)
    (local $r i64)
    (local.set $r (call $get))
    (i32.or (i32.shl (i32.wrap_i64 (i64.shr_u (local.get $r) (i64.const 32))) (i32.const 8))
            (i32.load8_u (i32.wrap_i64 (local.get $r)))))
  (func (export "seen") (result i32) (global.get $seen)))"#;

#[test]
fn a_callers_realloc_calling_back_into_the_callee_does_not_deadlock() {
    let dir = scratch("reenter");
    write_wat(&dir, "b.wasm", CALLEE);
    write_wat(&dir, "a.wasm", REENTRANT_CALLER);
    let manifest = r#"
        [[process]]
        name = "b"
        module = "b.wasm"
        limits = { deadline_ms = 10000 }
        [[process]]
        name = "a"
        module = "a.wasm"
        limits = { deadline_ms = 10000 }
        imports = [{ module = "b", name = "get", sig = "() -> string" },
                   { module = "b", name = "ping", sig = "() -> i32" }]
    "#;
    let sys = system(&dir, manifest);
    within(Duration::from_secs(60), move || {
        // The callee is released before the caller's allocator runs, so
        // the call back into it is an ordinary call.
        assert_eq!(call_i32(&sys, "a", "run"), (12 << 8) | i32::from(b'h'));
        assert_eq!(call_i32(&sys, "a", "seen"), 1);
        // The callee is still usable, and can be restarted.
        assert_eq!(call_i32(&sys, "b", "ping"), 2);
        assert!(sys.failure("b").unwrap().is_none());
        sys.restart("b").unwrap();
        assert_eq!(call_i32(&sys, "b", "ping"), 1);
        sys.restart("a").unwrap();
        assert_eq!(call_i32(&sys, "a", "run"), (12 << 8) | i32::from(b'h'));
    });
    let _ = std::fs::remove_dir_all(dir);
}

/// `spin` never returns (until its deadline interrupts it).
const SPINNER: &str = r#"(module (func (export "spin") (loop $l (br $l))))"#;

/// `run` calls `q.spin`; `quick` returns 7.
const WAITER: &str = r#"(module
  (import "q" "spin" (func $spin))
  (func (export "run") (call $spin))
  (func (export "quick") (result i32) (i32.const 7)))"#;

fn assert_deadline(r: Result<Option<Value>, HostError>, who: &str, started: Instant) {
    let waited = started.elapsed();
    match r {
        Err(HostError::Fault {
            process,
            kind: FaultKind::Deadline,
            message,
        }) => {
            assert_eq!(process, who, "{message}");
            assert!(message.contains("busy"), "{message}");
        }
        other => panic!("expected `{who}` to give up at its deadline, got {other:?}"),
    }
    // The deadline is 300 ms; the busy process holds on for 2 s.
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_millis(1500),
        "gave up after {waited:?}"
    );
}

#[test]
fn waiting_for_a_busy_process_ends_at_the_deadline() {
    let dir = scratch("busy");
    write_wat(&dir, "q.wasm", SPINNER);
    write_wat(&dir, "a.wasm", WAITER);
    let manifest = r#"
        [[process]]
        name = "q"
        module = "q.wasm"
        limits = { deadline_ms = 2000 }
        [[process]]
        name = "a"
        module = "a.wasm"
        limits = { deadline_ms = 300 }
        imports = [{ module = "q", name = "spin", sig = "()" }]
    "#;
    let sys = std::sync::Arc::new(system(&dir, manifest));
    within(Duration::from_secs(60), move || {
        // Another thread keeps `q` busy; `a`'s call into it gives up when
        // `a`'s deadline passes.
        let busy = {
            let sys = sys.clone();
            std::thread::spawn(move || sys.call("q", "spin", "()", &[]))
        };
        std::thread::sleep(Duration::from_millis(100));
        let t = Instant::now();
        assert_deadline(sys.call("a", "run", "()", &[]), "a", t);
        // `a` is not down: giving up on a busy callee is not its fault.
        assert_eq!(call_i32(&sys, "a", "quick"), 7);
        match busy.join().unwrap() {
            Err(HostError::Fault {
                kind: FaultKind::Deadline,
                ..
            }) => {}
            other => panic!("the spin should end at q's deadline: {other:?}"),
        }
        sys.restart("q").unwrap();
        // Now `a` itself is busy (inside `q.spin`, where its own deadline
        // does not reach): a host call to it waits at most its deadline.
        let busy = {
            let sys = sys.clone();
            std::thread::spawn(move || sys.call("a", "run", "()", &[]))
        };
        std::thread::sleep(Duration::from_millis(100));
        let t = Instant::now();
        assert_deadline(sys.call("a", "quick", "() -> i32", &[]), "a", t);
        assert!(busy.join().unwrap().is_err());
        sys.restart("q").unwrap();
        assert_eq!(call_i32(&sys, "a", "quick"), 7);
    });
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

// ---------------------------------------------------------------------
// Items 5 and 3: a blocking WASI call ends at the process's deadline, so
// the process (and its lock) is not held for good.

/// Sleeps for u64::MAX nanoseconds in `poll_oneoff`.
const SLEEPER: &str = r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "sleep") (result i32)
    (i32.store8 (i32.const 8) (i32.const 0))   ;; a clock subscription
    (i32.store (i32.const 16) (i32.const 1))   ;; monotonic
    (i64.store (i32.const 24) (i64.const -1))  ;; u64::MAX ns from now
    (call $poll (i32.const 0) (i32.const 128) (i32.const 1) (i32.const 256)))
  (func (export "quick") (result i32) (i32.const 7)))"#;

#[test]
fn a_blocking_wasi_call_ends_at_the_process_deadline() {
    let dir = scratch("sleep");
    write_wat(&dir, "sleeper.wasm", SLEEPER);
    let manifest = r#"
        [[process]]
        name = "sleeper"
        module = "sleeper.wasm"
        clocks = true
        limits = { deadline_ms = 200 }
    "#;
    let sys = system(&dir, manifest);
    within(Duration::from_secs(60), move || {
        let t = Instant::now();
        match sys.call("sleeper", "sleep", "() -> i32", &[]) {
            Err(HostError::Fault {
                process,
                kind: FaultKind::Deadline,
                ..
            }) => assert_eq!(process, "sleeper"),
            other => panic!("expected a deadline fault, got {other:?}"),
        }
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
        sys.restart("sleeper").unwrap();
        assert_eq!(call_i32(&sys, "sleeper", "quick"), 7);
    });
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------
// Item 1, the same hole for module files: every module is read before any
// guest code runs, so a process's `_initialize` cannot replace the module
// of a process built after it.

/// Writes `len` bytes at 1024 over `victim.wasm`, in the directory it
/// holds as descriptor 3, in its `_initialize`.
fn overwriter(evil: &[u8]) -> String {
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
  (global $done (mut i32) (i32.const -1))
  (func (export "_initialize")
    (local $e i32)
    ;; O_CREAT | O_TRUNC, FD_WRITE
    (local.set $e (call $open (i32.const 3) (i32.const 1) (i32.const 0) (i32.const 11)
                              (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 0)
                              (i32.const 64)))
    (if (local.get $e) (then (global.set $done (local.get $e)) (return)))
    (i32.store (i32.const 128) (i32.const 1024))
    (i32.store (i32.const 132) (i32.const {len}))
    (global.set $done (call $write (i32.load (i32.const 64)) (i32.const 128) (i32.const 1)
                                   (i32.const 136))))
  (func (export "done") (result i32) (global.get $done)))"#,
        len = evil.len()
    )
}

#[test]
fn a_process_cannot_swap_the_module_of_a_process_built_after_it() {
    let dir = scratch("module-swap");
    std::fs::create_dir_all(dir.join("mods")).unwrap();
    let good = r#"(module (func (export "who") (result i32) (i32.const 1)))"#;
    let evil =
        nanowasm_text::parse_wat(r#"(module (func (export "who") (result i32) (i32.const 666)))"#)
            .unwrap();
    write_wat(&dir.join("mods"), "victim.wasm", good);
    write_wat(&dir, "overwriter.wasm", &overwriter(&evil));
    let manifest = r#"
        [[process]]
        name = "overwriter"
        module = "overwriter.wasm"
        dirs = [{ host = "mods", guest = "/mods" }]
        [[process]]
        name = "victim"
        module = "mods/victim.wasm"
        parent = "overwriter"
    "#;
    // (Only an ancestor may hold the directory of a process's module
    // read-write: see redteam.rs for any other process.)
    let sys = system(&dir, manifest);
    // The overwriter did replace the file, in its `_initialize`...
    assert_eq!(call_i32(&sys, "overwriter", "done"), 0);
    assert_eq!(std::fs::read(dir.join("mods/victim.wasm")).unwrap(), evil);
    // ... after the victim's module had been read.
    assert_eq!(call_i32(&sys, "victim", "who"), 1);
    // Restarts use the compiled template, not the file.
    sys.restart("victim").unwrap();
    assert_eq!(call_i32(&sys, "victim", "who"), 1);
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------
// Item 13: modules built for the older snapshot link in nanoprocesses too.

#[test]
fn a_wasi_unstable_module_runs_as_a_nanoprocess() {
    let dir = scratch("unstable");
    write_wat(
        &dir,
        "old.wasm",
        r#"(module
  (import "wasi_unstable" "args_sizes_get"
    (func $sizes (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "argc") (result i32)
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (i32.load (i32.const 0))))"#,
    );
    let sys = system(
        &dir,
        r#"
[[process]]
name = "old"
module = "old.wasm"
args = ["old", "a", "b"]
"#,
    );
    assert_eq!(call_i32(&sys, "old", "argc"), 3);
}

// ---------------------------------------------------------------------
// Tables: a table may declare 2^32 elements (32 GiB of host memory), so a
// process has a table limit even when its manifest sets none.

#[test]
fn tables_are_limited_by_default() {
    let dir = scratch("tables");
    write_wat(
        &dir,
        "t.wasm",
        r#"(module
  (table 0 funcref)
  (func (export "grow") (param i32) (result i32)
    (table.grow (ref.null func) (local.get 0))))"#,
    );
    let sys = system(
        &dir,
        r#"
[[process]]
name = "t"
module = "t.wasm"
"#,
    );
    let grow = |n: i32| match sys.call("t", "grow", "(i32) -> i32", &[Value::I32(n)]) {
        Ok(Some(Value::I32(v))) => v,
        other => panic!("grow({n}): {other:?}"),
    };
    assert_eq!(grow(1_000), 0, "a small table grows");
    assert_eq!(grow(2_000_000), -1, "past the default limit");
    assert_eq!(grow(-1), -1, "2^32 - 1 more elements");
    assert_eq!(grow(0), 1_000, "the table is unchanged");
}

// ---------------------------------------------------------------------
// A manifest that fails to build leaves nothing running behind it.

#[test]
fn a_system_that_fails_to_build_leaves_no_thread_behind() {
    let dir = scratch("nothread");
    write_wat(&dir, "p.wasm", "(module)");
    let manifest = r#"
[[process]]
name = "p"
module = "p.wasm"
dirs = [{ host = "missing", guest = "/m" }]
limits = { deadline_ms = 100 }
"#;
    let threads = || std::fs::read_dir("/proc/self/task").unwrap().count();
    let before = threads();
    for _ in 0..20 {
        let m = Manifest::parse(manifest, &dir).unwrap();
        assert!(System::new(&m).is_err(), "a missing grant is an error");
    }
    // Other tests of this binary may run threads meanwhile: 20 leaked
    // tickers would show whatever they do.
    assert!(threads() < before + 10, "{before} -> {}", threads());
}
