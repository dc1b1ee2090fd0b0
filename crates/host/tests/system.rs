//! Nanoprocess systems: the three-process example, capability denial,
//! containment of every fault kind under concurrent load, concurrent
//! cross calls into one shared process, malformed
//! cross-process arguments, and manifest checks.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nanowasm_host::{FaultKind, HostError, Manifest, System, Value};

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/nanoprocesses")
}

/// A scratch directory with the example's modules, data and an empty log
/// directory, so tests do not share files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nanowasm-host-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    for m in ["parser.wasm", "compressor.wasm", "logger.wasm"] {
        std::fs::copy(example_dir().join(m), dir.join(m)).unwrap();
    }
    std::fs::copy(
        example_dir().join("data/input.txt"),
        dir.join("data/input.txt"),
    )
    .unwrap();
    dir
}

fn example_system(name: &str) -> (System, PathBuf) {
    example_system_with(name, |_| {})
}

/// The example system, with its manifest changed by `edit` first.
fn example_system_with(name: &str, edit: impl FnOnce(&mut Manifest)) -> (System, PathBuf) {
    let dir = scratch(name);
    let text = std::fs::read_to_string(example_dir().join("app.toml")).unwrap();
    let mut m = Manifest::parse(&text, &dir).unwrap();
    edit(&mut m);
    (System::new(&m).unwrap(), dir)
}

#[test]
fn the_example_runs_and_each_process_sees_only_its_own_files() {
    let (sys, dir) = example_system("example");
    sys.run().unwrap();
    let log = std::fs::read_to_string(dir.join("logs/app.log")).unwrap();
    assert!(
        log.contains("[1] line 1: 9 words, 43 bytes, 86 compressed"),
        "{log}"
    );
    assert!(
        log.contains("/logs is not reachable to the parser"),
        "{log}"
    );
    // The logger holds /logs only: the parser's data is not there for it.
    let probe = |path: &str| {
        sys.call(
            "logger",
            "probe",
            "(string) -> i32",
            &[Value::String(path.into())],
        )
        .unwrap()
    };
    assert_ne!(probe("/data/input.txt"), Some(Value::I32(0)));
    assert_ne!(probe("../data/input.txt"), Some(Value::I32(0)));
    assert_eq!(probe("/logs/app.log"), Some(Value::I32(0)));
    // The compressor has no capabilities: no files, no clocks.
    let r = sys.call(
        "compressor",
        "compress",
        "(bytes) -> bytes",
        &[Value::Bytes(b"aaab".to_vec())],
    );
    assert_eq!(r.unwrap(), Some(Value::Bytes(vec![3, b'a', 1, b'b'])));
    let _ = std::fs::remove_dir_all(dir);
}

fn write_wat(dir: &Path, name: &str, wat: &str) {
    std::fs::write(dir.join(name), nanowasm_text::parse_wat(wat).unwrap()).unwrap();
}

#[test]
fn an_import_that_is_not_granted_fails_at_link_time() {
    let dir = scratch("denied");
    write_wat(
        &dir,
        "sneaky.wasm",
        r#"(module (import "logger" "log" (func (param i32 i32))) (memory (export "memory") 1))"#,
    );
    let text = r#"
        [[process]]
        name = "logger"
        module = "logger.wasm"
        [[process]]
        name = "sneaky"
        module = "sneaky.wasm"
    "#;
    let err = System::new(&Manifest::parse(text, &dir).unwrap())
        .err()
        .expect("link error");
    let msg = err.to_string();
    assert!(
        msg.contains("sneaky") && msg.contains("logger::log") && msg.contains("not granted"),
        "{msg}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn every_fault_stays_inside_its_process_under_concurrent_load() {
    // The runaway must run out of fuel, not time, even in a debug build on
    // a loaded machine: a smaller fuel budget and a generous deadline.
    let (sys, dir) = example_system_with("contain", |m| {
        let c = m.processes.iter_mut().find(|p| p.name == "compressor");
        let limits = &mut c.unwrap().limits;
        limits.fuel_per_call = Some(5_000_000);
        limits.deadline_ms = Some(120_000);
    });
    let sys = Arc::new(sys);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let busy = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    // Two threads keep the logger busy and check every answer.
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (sys, stop, busy) = (sys.clone(), stop.clone(), busy.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                loop {
                    sys.call(
                        "logger",
                        "log",
                        "(string)",
                        &[Value::String("still fine".into())],
                    )
                    .unwrap();
                    n += 1;
                    if n == 1 {
                        busy.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                }
                n
            })
        })
        .collect();
    // The faults come while both workers are calling (each has made a
    // call): on a loaded machine, or with fast calls, the fault sequence
    // could otherwise end before a worker has run at all.
    let start = std::time::Instant::now();
    while busy.load(std::sync::atomic::Ordering::Relaxed) < 2 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "the workers never got to call the logger"
        );
        std::thread::yield_now();
    }
    let kinds = [
        (0, FaultKind::Trap),
        (1, FaultKind::StackOverflow),
        (2, FaultKind::OutOfFuel),
        (3, FaultKind::Trap), // malloc fails at the memory limit, then it traps
    ];
    for (how, kind) in kinds {
        match sys.call(
            "compressor",
            "misbehave",
            "(i32) -> i32",
            &[Value::I32(how)],
        ) {
            Err(HostError::Fault {
                process, kind: k, ..
            }) => {
                assert_eq!(process, "compressor");
                assert_eq!(k, kind, "misbehave({how})");
            }
            other => panic!("misbehave({how}): expected a fault, got {other:?}"),
        }
        // Down until restarted; everyone else unaffected.
        assert!(matches!(
            sys.call(
                "compressor",
                "compress",
                "(bytes) -> bytes",
                &[Value::Bytes(vec![1])]
            ),
            Err(HostError::Down { .. })
        ));
        assert!(sys.failure("compressor").unwrap().is_some());
        assert!(sys.failure("logger").unwrap().is_none());
        sys.restart("compressor").unwrap();
        let r = sys.call(
            "compressor",
            "compress",
            "(bytes) -> bytes",
            &[Value::Bytes(b"zz".to_vec())],
        );
        assert_eq!(r.unwrap(), Some(Value::Bytes(vec![2, b'z'])));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let calls: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(calls > 0);
    let lines = sys.call("logger", "lines", "() -> i32", &[]).unwrap();
    assert_eq!(lines, Some(Value::I32(calls as i32)));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_deadline_interrupts_a_runaway_process() {
    let dir = scratch("deadline");
    let text = r#"
        [[process]]
        name = "compressor"
        module = "compressor.wasm"
        limits = { deadline_ms = 50 }
    "#;
    let sys = System::new(&Manifest::parse(text, &dir).unwrap()).unwrap();
    let start = std::time::Instant::now();
    match sys.call("compressor", "misbehave", "(i32) -> i32", &[Value::I32(2)]) {
        Err(HostError::Fault {
            kind: FaultKind::Deadline,
            ..
        }) => {}
        other => panic!("expected a deadline fault, got {other:?}"),
    }
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn malformed_cross_process_arguments_are_rejected_without_harm() {
    let dir = scratch("malformed");
    // A caller passing bad (ptr, len) pairs to the logger's `log`.
    write_wat(
        &dir,
        "evil.wasm",
        r#"(module
          (import "logger" "log" (func $log (param i32 i32)))
          (memory (export "memory") 1)
          (data (i32.const 100) "\ff\fe not utf-8")
          (func (export "oob") (call $log (i32.const 65530) (i32.const 100)))
          (func (export "huge") (call $log (i32.const 0) (i32.const -1)))
          (func (export "utf8") (call $log (i32.const 100) (i32.const 13)))
          (func (export "ok") (call $log (i32.const 104) (i32.const 9))))"#,
    );
    let text = r#"
        [[process]]
        name = "logger"
        module = "logger.wasm"
        dirs = [{ host = "logs", guest = "/logs" }]
        [[process]]
        name = "evil"
        module = "evil.wasm"
        imports = [{ module = "logger", name = "log", sig = "(string)" }]
    "#;
    let sys = System::new(&Manifest::parse(text, &dir).unwrap()).unwrap();
    for (f, what) in [
        ("oob", "outside its memory"),
        ("huge", "limit"),
        ("utf8", "UTF-8"),
    ] {
        let err = sys.call("evil", f, "()", &[]).expect_err("rejected");
        assert!(err.to_string().contains(what), "{f}: {err}");
    }
    // The logger was never entered, and is fine.
    assert_eq!(
        sys.call("logger", "lines", "() -> i32", &[]).unwrap(),
        Some(Value::I32(0))
    );
    assert!(sys.failure("logger").unwrap().is_none());
    sys.call("evil", "ok", "()", &[]).unwrap();
    assert_eq!(
        sys.call("logger", "lines", "() -> i32", &[]).unwrap(),
        Some(Value::I32(1))
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn manifests_are_checked() {
    let dir = scratch("manifests");
    let bad = |text: &str, want: &str| {
        let err = Manifest::parse(text, &dir)
            .map(|m| System::new(&m).map(drop))
            .and_then(|r| r)
            .expect_err("rejected");
        assert!(err.to_string().contains(want), "{err}");
    };
    bad(
        r#"[[process]]
           name = "a"
           module = "logger.wasm"
           imports = [{ module = "b", name = "f", sig = "()" }]
           [[process]]
           name = "b"
           module = "logger.wasm"
           imports = [{ module = "a", name = "f", sig = "()" }]"#,
        "cycle",
    );
    bad(
        r#"[[process]]
           name = "a"
           module = "logger.wasm"
           imports = [{ module = "nobody", name = "f", sig = "()" }]"#,
        "not in the manifest",
    );
    bad(
        r#"[[process]]
           name = "a"
           module = "logger.wasm"
           imports = [{ module = "a", name = "f", sig = "(int)" }]"#,
        "bad signature",
    );
    bad(
        r#"[[process]]
           name = "parent"
           module = "logger.wasm"
           dirs = [{ host = "data", guest = "/data", readonly = true }]
           [[process]]
           name = "child"
           parent = "parent"
           module = "logger.wasm"
           dirs = [{ host = "data", guest = "/data" }]"#,
        "read-write access",
    );
    bad(
        "[[process]]\nname = \"x\"\nmodule = \"missing.wasm\"",
        "missing.wasm",
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Reads a clock, draws random bytes, writes three bytes to stdout; each
/// returns its value, or minus the WASI errno.
const PROBE: &str = r#"(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $ct (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $rg (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fw (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "\40\00\00\00\03\00\00\00")
  (data (i32.const 64) "ok\n")
  (func $result (param $errno i32) (param $at i32) (result i64)
    (if (result i64) (local.get $errno)
      (then (i64.sub (i64.const 0) (i64.extend_i32_u (local.get $errno))))
      (else (i64.load (local.get $at)))))
  (func (export "now") (result i64)
    (call $result (call $ct (i32.const 0) (i64.const 0) (i32.const 0)) (i32.const 0)))
  (func (export "rand") (result i64)
    (call $result (call $rg (i32.const 8) (i32.const 8)) (i32.const 8)))
  (func (export "write") (result i64)
    (i64.store (i32.const 32) (i64.const 0))
    (call $result (call $fw (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 32)) (i32.const 32))))"#;

#[test]
fn children_get_wrapped_capabilities() {
    let dir = scratch("wrapped");
    write_wat(&dir, "probe.wasm", PROBE);
    let text = r#"
        [[process]]
        name = "root"
        module = "probe.wasm"
        clocks = true
        random = true
        stdout = "null"
        [[process]]
        name = "virt"
        parent = "root"
        module = "probe.wasm"
        clocks = { virtual_start_ns = 5000 }
        random = { seed = 7 }
        stdout = "null"
        [[process]]
        name = "twin"
        module = "probe.wasm"
        clocks = { virtual_start_ns = 5000 }
        random = { seed = 7 }
        [[process]]
        name = "coarse"
        parent = "root"
        module = "probe.wasm"
        clocks = { resolution_ms = 1000 }
        stdout = "null"
        [[process]]
        name = "quota"
        module = "probe.wasm"
        stdout = { prefix = "[quota] ", max_bytes = 5 }
        [[process]]
        name = "bare"
        module = "probe.wasm"
    "#;
    let sys = System::new(&Manifest::parse(text, &dir).unwrap()).unwrap();
    let call = |p: &str, f: &str| match sys.call(p, f, "() -> i64", &[]).unwrap() {
        Some(Value::I64(v)) => v,
        other => panic!("{p}.{f}: {other:?}"),
    };
    const ENOTCAPABLE: i64 = -76;
    const ENOSPC: i64 = -51;
    // Virtual time: starts where the manifest says, 1 µs per read, and
    // the same for every process given the same start.
    assert_eq!((call("virt", "now"), call("virt", "now")), (5000, 6000));
    assert_eq!((call("twin", "now"), call("twin", "now")), (5000, 6000));
    // Seeded randomness: the same stream for the same seed.
    let r = call("virt", "rand");
    assert_eq!(r, call("twin", "rand"));
    assert_ne!(call("virt", "rand"), r, "a stream, not one value");
    // The parent's clock is the host's; the coarse child's is rounded.
    assert!(call("root", "now") > 1_600_000_000_000_000_000);
    let c = call("coarse", "now");
    assert!(
        c > 1_600_000_000_000_000_000 && c % 1_000_000_000 == 0,
        "{c}"
    );
    // Nothing granted, nothing given.
    assert_eq!(call("bare", "now"), ENOTCAPABLE);
    assert_eq!(call("bare", "rand"), ENOTCAPABLE);
    assert_eq!(call("coarse", "rand"), ENOTCAPABLE);
    // A 5-byte output quota: 3 bytes, then 2 of the next 3, then none.
    assert_eq!(call("quota", "write"), 3);
    assert_eq!(call("quota", "write"), 2);
    assert_eq!(call("quota", "write"), ENOSPC);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_child_cannot_unwrap_what_its_parent_holds_wrapped() {
    let dir = scratch("unwrap");
    write_wat(&dir, "probe.wasm", PROBE);
    let family = |parent: &str, child: &str| {
        format!(
            "[[process]]\nname = \"p\"\nmodule = \"probe.wasm\"\n{parent}\n\
             [[process]]\nname = \"c\"\nparent = \"p\"\nmodule = \"probe.wasm\"\n{child}\n"
        )
    };
    let check = |parent: &str, child: &str| {
        Manifest::parse(&family(parent, child), &dir).map(|m| System::new(&m).map(drop))
    };
    let refused = |parent: &str, child: &str, want: &str| match check(parent, child) {
        Err(e) => assert!(e.to_string().contains(want), "{e}"),
        Ok(r) => panic!("{child} under {parent} accepted: {r:?}"),
    };
    let allowed = |parent: &str, child: &str| {
        check(parent, child)
            .unwrap_or_else(|e| panic!("{child} under {parent}: {e}"))
            .unwrap()
    };
    refused(
        "clocks = { resolution_ms = 10 }",
        "clocks = true",
        "clocks Host",
    );
    refused(
        "clocks = { resolution_ms = 10 }",
        "clocks = { resolution_ms = 5 }",
        "clocks Coarse",
    );
    allowed(
        "clocks = { resolution_ms = 10 }",
        "clocks = { resolution_ms = 20 }",
    );
    refused("clocks = \"virtual\"", "clocks = true", "clocks Host");
    allowed("", "clocks = \"virtual\"");
    refused("random = { seed = 1 }", "random = true", "randomness Host");
    allowed("", "random = { seed = 1 }");
    refused(
        "stdout = { prefix = \"[p] \" }",
        "stdout = { prefix = \"[c] \" }",
        "output",
    );
    allowed(
        "stdout = { prefix = \"[p] \" }",
        "stdout = { prefix = \"[p] [c] \" }",
    );
    refused(
        "stdout = { max_bytes = 50 }",
        "stdout = { max_bytes = 100 }",
        "output",
    );
    refused("stdout = { max_bytes = 50 }", "", "output");
    refused("stdout = \"null\"", "", "output");
    allowed("stdout = \"null\"", "stdout = \"null\"");
    // Named exports: only what the parent holds, or the parent's own.
    let imports =
        |sig: &str| format!("imports = [{{ module = \"p\", name = \"now\", sig = \"{sig}\" }}]");
    allowed("", &imports("() -> i64"));
    let text = r#"
        [[process]]
        name = "x"
        module = "probe.wasm"
        [[process]]
        name = "p"
        module = "probe.wasm"
        [[process]]
        name = "c"
        parent = "p"
        module = "probe.wasm"
        imports = [{ module = "x", name = "now", sig = "() -> i64" }]
    "#;
    let err = Manifest::parse(text, &dir).expect_err("refused");
    assert!(err.to_string().contains("the import `x::now`"), "{err}");
    // Settings are spelled out, not guessed.
    refused("", "clocks = \"sometimes\"", "`clocks` must be");
    refused("", "random = { sead = 1 }", "no setting `sead`");
    refused("", "stdout = \"file\"", "`stdout` must be");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn call_depth_is_limited_per_process() {
    let dir = scratch("depth");
    write_wat(
        &dir,
        "rec.wasm",
        r#"(module
            (func $rec (export "rec") (param i32) (result i32)
                (if (result i32) (i32.eqz (local.get 0))
                    (then (i32.const 0))
                    (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1))))))))"#,
    );
    let text = r#"
        [[process]]
        name = "shallow"
        module = "rec.wasm"
        limits = { max_call_depth = 50 }
        [[process]]
        name = "deep"
        module = "rec.wasm"
    "#;
    let sys = System::new(&Manifest::parse(text, &dir).unwrap()).unwrap();
    let rec = |p: &str, n: i32| sys.call(p, "rec", "(i32) -> i32", &[Value::I32(n)]);
    assert_eq!(rec("shallow", 40).unwrap(), Some(Value::I32(40)));
    match rec("shallow", 200) {
        Err(HostError::Fault { kind, .. }) => assert_eq!(kind, FaultKind::StackOverflow),
        other => panic!("expected a stack fault, got {other:?}"),
    }
    assert_eq!(rec("deep", 5000).unwrap(), Some(Value::I32(5000)));
    let _ = std::fs::remove_dir_all(dir);
}

/// Four threads, each driving its own caller process, call one shared
/// process (`upper`, which upper-cases a string) as fast as they can:
/// every reply is the right one for its own request (the callee's gate
/// lets one call in at a time, the strings never mix), no thread waits
/// forever (a waiter missed by a leaving thread looks again within 1 ms),
/// and all make progress (the gate turns fair under a tight loop).
#[test]
fn concurrent_cross_calls_to_one_process_stay_exclusive_and_all_progress() {
    let dir = scratch("concurrent-cross");
    // A bump allocator from 4096 (the callers' strings are at 16).
    const REALLOC: &str = r#"
        (global $next (mut i32) (i32.const 4096))
        (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
          (local $p i32)
          (local.set $p (global.get $next))
          (global.set $next (i32.add (local.get $p) (local.get 3)))
          (if (i32.gt_u (global.get $next) (i32.const 60000))
            (then (local.set $p (i32.const 4096))
                  (global.set $next (i32.add (i32.const 4096) (local.get 3)))))
          (local.get $p))"#;
    write_wat(
        &dir,
        "upper.wasm",
        &format!(
            r#"(module
            (memory (export "memory") 1)
            {REALLOC}
            ;; Upper-cases in place, slowly (a byte at a time), and returns it.
            (func (export "upper") (param $p i32) (param $n i32) (result i64)
              (local $i i32) (local $c i32)
              (block $d (loop $l
                (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
                (local.set $c (i32.load8_u (i32.add (local.get $p) (local.get $i))))
                (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
                  (then (i32.store8 (i32.add (local.get $p) (local.get $i)) (i32.sub (local.get $c) (i32.const 32)))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $l)))
              (i64.or (i64.shl (i64.extend_i32_u (local.get $n)) (i64.const 32))
                      (i64.extend_i32_u (local.get $p)))))"#
        ),
    );
    // A caller: `run(tag)` builds a 64-byte string from its tag byte at 16,
    // calls `upper.upper` on it, and returns the sum of the reply's bytes
    // (or -1 if any byte is not the upper-cased tag).
    let caller = format!(
        r#"(module
        (import "upper" "upper" (func $upper (param i32 i32) (result i64)))
        (memory (export "memory") 1)
        {REALLOC}
        (func (export "run") (param $tag i32) (result i32)
          (local $r i64) (local $p i32) (local $i i32) (local $sum i32)
          (memory.fill (i32.const 16) (local.get $tag) (i32.const 64))
          (local.set $r (call $upper (i32.const 16) (i32.const 64)))
          (if (i64.ne (i64.shr_u (local.get $r) (i64.const 32)) (i64.const 64))
            (then (return (i32.const -1))))
          (local.set $p (i32.wrap_i64 (local.get $r)))
          (block $d (loop $l
            (br_if $d (i32.ge_u (local.get $i) (i32.const 64)))
            (if (i32.ne (i32.load8_u (i32.add (local.get $p) (local.get $i)))
                        (i32.sub (local.get $tag) (i32.const 32)))
              (then (return (i32.const -1))))
            (local.set $sum (i32.add (local.get $sum) (i32.sub (local.get $tag) (i32.const 32))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $l)))
          (local.get $sum)))"#
    );
    let mut text = String::from("[[process]]\nname = \"upper\"\nmodule = \"upper.wasm\"\n");
    for k in 0..4 {
        write_wat(&dir, &format!("caller{k}.wasm"), &caller);
        text.push_str(&format!(
            "[[process]]\nname = \"caller{k}\"\nmodule = \"caller{k}.wasm\"\n\
             imports = [{{ module = \"upper\", name = \"upper\", sig = \"(string) -> string\" }}]\n"
        ));
    }
    let sys = Arc::new(System::new(&Manifest::parse(&text, &dir).unwrap()).unwrap());
    let workers: Vec<_> = (0..4u8)
        .map(|k| {
            let sys = sys.clone();
            std::thread::spawn(move || {
                let tag = i32::from(b'a' + k);
                for _ in 0..2_000 {
                    let r = sys
                        .call(
                            &format!("caller{k}"),
                            "run",
                            "(i32) -> i32",
                            &[Value::I32(tag)],
                        )
                        .unwrap();
                    assert_eq!(r, Some(Value::I32(64 * (tag - 32))), "caller{k}");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let _ = std::fs::remove_dir_all(dir);
}
