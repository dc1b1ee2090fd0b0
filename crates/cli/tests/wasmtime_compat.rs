//! The `nanowasm` CLI against wasmtime, case by case, where the behaviour
//! can be compared: the same module runs under `nanowasm` and under
//! `tests/wasmtime_run.py`, which does what `wasmtime run` does through the
//! wasmtime Python package (the engine, through its C API), and their stdout
//! and exit statuses must agree.
//!
//! Without the `wasmtime` package only nanowasm's side is checked (against
//! the values wasmtime gives, written in each test), unless
//! `NANOWASM_REQUIRE_PEERS=1` (set by `.ci/run`) makes a missing peer fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// A scratch directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nanowasm-compat-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn nanowasm(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run nanowasm")
}

/// Whether the wasmtime Python package is importable; without it and with
/// `NANOWASM_REQUIRE_PEERS=1`, fails.
fn have_wasmtime() -> bool {
    static HAVE: OnceLock<bool> = OnceLock::new();
    let have = *HAVE.get_or_init(|| {
        Command::new("python3")
            .args(["-c", "import wasmtime"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !have && std::env::var("NANOWASM_REQUIRE_PEERS").is_ok_and(|v| v == "1") {
        panic!("the Python package `wasmtime` is missing (pip install wasmtime)");
    }
    have
}

/// The same run under wasmtime, or `None` without the package.
fn wasmtime(args: &[&str], env: &[(&str, &str)]) -> Option<Output> {
    if !have_wasmtime() {
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wasmtime_run.py");
    Some(
        Command::new("python3")
            .arg(script)
            .args(args)
            .envs(env.iter().copied())
            .output()
            .expect("run python3"),
    )
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs both; checks that stdout and the exit status agree, and returns
/// nanowasm's output.
fn same(ours: &[&str], theirs: &[&str], env: &[(&str, &str)]) -> Output {
    let n = nanowasm(ours, env);
    if let Some(w) = wasmtime(theirs, env) {
        assert_eq!(
            (n.status.code(), text(&n.stdout)),
            (w.status.code(), text(&w.stdout)),
            "nanowasm {ours:?} (left) and wasmtime {theirs:?} (right) differ\n\
             nanowasm's stderr: {}\nwasmtime's stderr: {}",
            text(&n.stderr),
            text(&w.stderr)
        );
    }
    n
}

/// Prints each argument of argv on a line of its own.
const ARGS: &str = r#"(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $n i32) (local $i i32) (local $p i32) (local $len i32)
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (local.set $n (i32.load (i32.const 0)))
    (drop (call $get (i32.const 16) (i32.const 1024)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $p (i32.load (i32.add (i32.const 16) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $len (i32.const 0))
      (block $e (loop $s
        (br_if $e (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $len)))))
        (local.set $len (i32.add (local.get $len) (i32.const 1)))
        (br $s)))
      ;; The terminating NUL becomes the newline.
      (i32.store8 (i32.add (local.get $p) (local.get $len)) (i32.const 10))
      (i32.store (i32.const 8) (local.get $p))
      (i32.store (i32.const 12) (i32.add (local.get $len) (i32.const 1)))
      (drop (call $write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 4)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))))"#;

#[test]
fn implicit_run_gives_the_guest_every_argument_after_the_module() {
    let dir = scratch("implicit");
    let m = write(&dir, "args.wat", ARGS);
    let m = m.to_str().unwrap();
    // cargo's runner: `nanowasm /path/x.wasm --nocapture -- a b`.
    let out = same(
        &[m, "--nocapture", "--", "a", "b"],
        &[m, "--nocapture", "--", "a", "b"],
        &[],
    );
    assert_eq!(text(&out.stdout), "args.wat\n--nocapture\n--\na\nb\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // `run` spelled out: the same.
    let explicit = nanowasm(&["run", m, "--nocapture", "--", "a", "b"], &[]);
    assert_eq!(explicit.stdout, out.stdout);
    // Flags of nanowasm's own after the module are the guest's too.
    let out = same(&[m, "-W", "fuel=1"], &[m, "-W", "fuel=1"], &[]);
    assert_eq!(text(&out.stdout), "args.wat\n-W\nfuel=1\n");
}

#[test]
fn argv0_is_the_file_name_or_argv0() {
    let dir = scratch("argv0");
    let m = write(&dir, "prog.wat", ARGS);
    let m = m.to_str().unwrap();
    // A full path: only the file name reaches the guest.
    let out = same(&[m, "x"], &[m, "x"], &[]);
    assert_eq!(text(&out.stdout), "prog.wat\nx\n");
    let out = same(
        &["--argv0", "tool", m, "x"],
        &["--argv0", "tool", m, "x"],
        &[],
    );
    assert_eq!(text(&out.stdout), "tool\nx\n");
}

fn exit_module(dir: &Path, status: i32) -> PathBuf {
    write(
        dir,
        &format!("exit_{}.wat", status as u32),
        &format!(
            r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const {status})) unreachable))"#
        ),
    )
}

#[test]
fn exit_statuses_follow_wasmtime_invalid_ones_included() {
    let dir = scratch("exit");
    for (status, expected) in [(0, 0), (3, 3), (125, 125), (126, 1), (300, 1), (-1, 1)] {
        let m = exit_module(&dir, status);
        let m = m.to_str().unwrap();
        let out = same(&[m], &[m], &[]);
        let stderr = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(expected),
            "proc_exit({status}): {stderr}"
        );
        if expected == 1 {
            assert!(
                stderr.starts_with("Error: failed to run main module `"),
                "{stderr}"
            );
            assert!(stderr.contains("invalid exit status"), "{stderr}");
        } else {
            assert!(stderr.is_empty(), "proc_exit({status}): {stderr}");
        }
    }
}

/// The number of frames in a trap's backtrace: nanowasm's lines `N: ...`
/// after `wasm backtrace:`, wasmtime's `frames: N` (from the script).
fn our_frames(stderr: &str) -> usize {
    let Some(at) = stderr.find("wasm backtrace:") else {
        return 0;
    };
    stderr[at..]
        .lines()
        .skip(1)
        .take_while(|l| {
            let l = l.trim_start();
            l.split_once(": ")
                .is_some_and(|(n, _)| n.chars().all(|c| c.is_ascii_digit()))
        })
        .count()
}

fn their_frames(stderr: &str) -> Option<usize> {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("frames: "))
        .map(|n| n.parse().unwrap())
}

#[test]
fn a_trap_exits_134_with_the_chain_and_every_frame() {
    let dir = scratch("trap");
    let m = write(
        &dir,
        "trap.wat",
        "(module (func $c unreachable) (func $b call $c) (func (export \"_start\") call $b))",
    );
    let m = m.to_str().unwrap();
    let n = nanowasm(&[m], &[]);
    let stderr = text(&n.stderr);
    assert_eq!(n.status.code(), Some(134), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "Error: failed to run main module `{m}`\n\nCaused by:\n    \
             0: failed to invoke command default\n    1: wasm trap: unreachable\n"
        )),
        "{stderr}"
    );
    assert_eq!(our_frames(&stderr), 3, "{stderr}");
    if let Some(w) = wasmtime(&[m], &[]) {
        assert_eq!(w.status.code(), Some(134));
        assert_eq!(
            their_frames(&text(&w.stderr)),
            Some(3),
            "{}",
            text(&w.stderr)
        );
    }
}

/// Loops `$n` times (the `--invoke` argument), then returns `$n`.
const SPIN: &str = r#"(module
  (func (export "spin") (param $n i32) (result i32) (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $n)))"#;

#[test]
fn fuel_runs_out_under_both_and_suffices_under_both() {
    let dir = scratch("fuel");
    let m = write(&dir, "spin.wat", SPIN);
    let m = m.to_str().unwrap();
    // 1,000 iterations take thousands of units in either engine.
    for flag in ["fuel=100", "fuel=1000000"] {
        let out = same(
            &["-W", flag, "--invoke", "spin", m, "1000"],
            &["-W", flag, "--invoke", "spin", m, "1000"],
            &[],
        );
        if flag == "fuel=100" {
            assert_eq!(out.status.code(), Some(134));
            assert!(text(&out.stderr).contains("all fuel consumed"));
        } else {
            assert_eq!(text(&out.stdout), "1000\n");
        }
    }
    // The old long flag is an alias.
    let out = nanowasm(&["--fuel", "100", "--invoke", "spin", m, "1000"], &[]);
    assert_eq!(out.status.code(), Some(134));
}

#[test]
fn max_memory_size_makes_memory_grow_fail() {
    let dir = scratch("memory");
    let m = write(
        &dir,
        "grow.wat",
        r#"(module (memory 1) (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
    );
    let m = m.to_str().unwrap();
    for (limit, result) in [("65536", "-1\n"), ("131072", "1\n")] {
        let flag = format!("max-memory-size={limit}");
        let out = same(
            &["-W", &flag, "--invoke", "grow", m],
            &["-W", &flag, "--invoke", "grow", m],
            &[],
        );
        assert_eq!(text(&out.stdout), result, "{flag}");
    }
    let out = nanowasm(&["--max-memory-size", "65536", "--invoke", "grow", m], &[]);
    assert_eq!(text(&out.stdout), "-1\n");
}

#[test]
fn max_table_elements_makes_table_grow_fail() {
    let dir = scratch("table");
    let m = write(
        &dir,
        "table.wat",
        r#"(module (table 1 funcref) (func (export "grow") (result i32) (table.grow (ref.null func) (i32.const 1))))"#,
    );
    let m = m.to_str().unwrap();
    for (limit, result) in [("1", "-1\n"), ("2", "1\n")] {
        let flag = format!("max-table-elements={limit}");
        let out = same(
            &["-W", &flag, "--invoke", "grow", m],
            &["-W", &flag, "--invoke", "grow", m],
            &[],
        );
        assert_eq!(text(&out.stdout), result, "{flag}");
    }
}

#[test]
fn max_instances_refuses_an_instance_too_many() {
    let dir = scratch("instances");
    let m = write(&dir, "nop.wat", r#"(module (func (export "_start")))"#);
    let m = m.to_str().unwrap();
    let out = same(
        &["-W", "max-instances=0", m],
        &["-W", "max-instances=0", m],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let out = same(
        &["-W", "max-instances=1", m],
        &["-W", "max-instances=1", m],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

fn env_program() -> String {
    format!(
        "{}/../../tests/wasi/bin/env.wasm",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn inherit_env_passes_the_host_environment() {
    let m = env_program();
    let var = [("NANOWASM_COMPAT_VAR", "from-the-host")];
    let mine = |out: &Output| -> Vec<String> {
        text(&out.stdout)
            .lines()
            .filter(|l| l.contains("NANOWASM_COMPAT"))
            .map(str::to_owned)
            .collect()
    };
    // Nothing without the flag.
    let out = same(&[&m], &[&m], &var);
    assert!(mine(&out).is_empty(), "{}", text(&out.stdout));
    // Everything with it.
    let n = nanowasm(&["-S", "inherit-env", &m], &var);
    assert!(n.status.success(), "{}", text(&n.stderr));
    assert!(
        mine(&n)
            .iter()
            .any(|l| l.contains("NANOWASM_COMPAT_VAR=from-the-host")),
        "{}",
        text(&n.stdout)
    );
    // `--env` overrides an inherited variable.
    let args = [
        "-S",
        "inherit-env",
        "--env",
        "NANOWASM_COMPAT_VAR=overridden",
        &m,
    ];
    let o = nanowasm(&args, &var);
    assert!(
        mine(&o)
            .iter()
            .any(|l| l.contains("NANOWASM_COMPAT_VAR=overridden"))
            && !mine(&o).iter().any(|l| l.contains("from-the-host")),
        "{}",
        text(&o.stdout)
    );
    if let Some(w) = wasmtime(&["-S", "inherit-env", &m], &var) {
        assert_eq!(mine(&n), mine(&w));
        let w = wasmtime(&args, &var).unwrap();
        assert_eq!(mine(&o), mine(&w));
    }
}

#[test]
fn reactors_run_initialize_first() {
    let dir = scratch("reactor");
    // A reactor: `_initialize` sets the state `--invoke` reads.
    let reactor = write(
        &dir,
        "reactor.wat",
        r#"(module
  (global $g (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $g (i32.const 42)))
  (func (export "get") (result i32) (global.get $g)))"#,
    );
    let reactor = reactor.to_str().unwrap();
    let out = same(
        &["--invoke", "get", reactor],
        &["--invoke", "get", reactor],
        &[],
    );
    assert_eq!(text(&out.stdout), "42\n");
    // No `--invoke` and no `_start`: `_initialize` runs, and that is all.
    let out = same(&[reactor], &[reactor], &[]);
    assert!(out.status.success() && out.stdout.is_empty());
    // Both `_initialize` and `_start`: `_initialize` first.
    let both = write(
        &dir,
        "both.wat",
        r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $g (i32.const 7)))
  (func (export "_start") (call $exit (global.get $g))))"#,
    );
    let both = both.to_str().unwrap();
    let out = same(&[both], &[both], &[]);
    assert_eq!(out.status.code(), Some(7));
}

#[test]
fn an_invalid_module_is_an_error_naming_the_file_and_the_spec_message() {
    let dir = scratch("invalid");
    let m = write(
        &dir,
        "invalid.wat",
        "(module (func (export \"_start\") (result i32) (i64.const 0)))",
    );
    let m = m.to_str().unwrap();
    let out = same(&[m], &[m], &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.starts_with(&format!("Error: failed to compile `{m}`\n\nCaused by:\n")),
        "{stderr}"
    );
    // The spec testsuite's message, as wasmtime's text has it too.
    assert!(stderr.contains("type mismatch"), "{stderr}");
    if let Some(w) = wasmtime(&[m], &[]) {
        assert!(
            text(&w.stderr).contains("type mismatch"),
            "{}",
            text(&w.stderr)
        );
    }
}

/// The lines of a backtrace that show a frame (`N: ...`).
fn frame_lines(stderr: &str) -> Vec<&str> {
    let Some(at) = stderr.find("wasm backtrace:") else {
        return Vec::new();
    };
    stderr[at..]
        .lines()
        .skip(1)
        .filter(|l| {
            l.trim_start()
                .split_once(": ")
                .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        })
        .collect()
}

#[test]
fn a_stack_overflow_prints_a_capped_backtrace() {
    let dir = scratch("overflow");
    let m = write(
        &dir,
        "deep.wat",
        r#"(module
  (func $r (param i32) (result i32) (i32.add (call $r (local.get 0)) (i32.const 1)))
  (func (export "_start") (drop (call $r (i32.const 0)))))"#,
    );
    let m = m.to_str().unwrap();
    let n = nanowasm(&[m], &[]);
    let stderr = text(&n.stderr);
    assert_eq!(n.status.code(), Some(134), "{stderr}");
    assert!(stderr.contains("call stack exhausted"), "{stderr}");
    // The innermost frames, the number left out, the outermost frames
    // (ending with `_start`, numbered as in the whole backtrace).
    let frames = frame_lines(&stderr);
    assert!(stderr.lines().count() < 60, "{stderr}");
    let omitted = stderr
        .lines()
        .position(|l| l.contains("frames omitted"))
        .expect("a line saying how many frames were left out");
    let before = stderr
        .lines()
        .take(omitted)
        .filter(|l| frames.contains(l))
        .count();
    let last = frames.last().unwrap().trim_start();
    assert!(
        last.contains("func 1"),
        "the outermost frame is `_start`: {stderr}"
    );
    let index: usize = last.split(':').next().unwrap().parse().unwrap();
    assert!(
        index > 1000,
        "outermost frames keep their numbers: {stderr}"
    );
    // wasmtime prints its 20 innermost frames; so does nanowasm before the
    // frames it leaves out.
    if let Some(w) = wasmtime(&[m], &[]) {
        assert_eq!(w.status.code(), Some(134));
        assert_eq!(Some(before), their_frames(&text(&w.stderr)), "{stderr}");
    }
}

#[test]
fn a_validation_error_names_the_function_and_the_types() {
    let dir = scratch("valerr");
    let m = write(
        &dir,
        "invalid.wat",
        r#"(module
  (func $add (param i32 i64) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "_start")))"#,
    );
    let m = m.to_str().unwrap();
    let out = same(&[m], &[m], &[]);
    let stderr = text(&out.stderr);
    // wasmtime's text: "type mismatch: expected i32, found i64"; nanowasm's
    // has the spec message first, then the types, then the function.
    assert!(
        stderr.contains("type mismatch: expected i32, found i64"),
        "{stderr}"
    );
    assert!(
        stderr.contains("in function 0 `add`, at `i32.add`"),
        "{stderr}"
    );
    if let Some(w) = wasmtime(&[m], &[]) {
        let theirs = text(&w.stderr);
        assert!(
            theirs.contains("type mismatch: expected i32, found i64"),
            "{theirs}"
        );
    }
}

/// Exception handling: the same values from catches (across calls,
/// `call_indirect`, nested handlers, `catch_ref` and `throw_ref`, several
/// values), and an uncaught exception exits as a trap does, 134.
#[test]
fn exceptions_give_what_wasmtime_gives() {
    let dir = scratch("exceptions");
    let m = write(
        &dir,
        "exn.wat",
        r#"(module
          (tag $a (param i32))
          (tag $b (param i32 i64))
          (tag $none)
          (table 1 funcref)
          (elem (i32.const 0) $thrower)
          (func $thrower (param i32)
            (if (i32.eq (local.get 0) (i32.const 1)) (then (throw $a (i32.const 11))))
            (if (i32.eq (local.get 0) (i32.const 2)) (then (throw $b (i32.const 22) (i64.const -5))))
            (if (i32.eq (local.get 0) (i32.const 3)) (then (throw $none))))
          (func (export "direct") (param i32) (result i32)
            (block $ha (result i32)
              (block $hb (result i32 i64)
                (block $hn
                  (try_table (catch $a $ha) (catch $b $hb) (catch $none $hn)
                    (call $thrower (local.get 0)))
                  (return (i32.const 0)))
                (return (i32.const 33)))
              (i32.wrap_i64)
              (i32.add)))
          (func (export "indirect") (param i32) (result i32)
            (block $h
              (try_table (catch_all $h)
                (call_indirect (param i32) (local.get 0) (i32.const 0)))
              (return (i32.const 7)))
            (i32.const 99))
          (func (export "rethrown") (param i32) (result i32) (local exnref)
            (block $outer (result i32)
              (try_table (catch $a $outer)
                (block $inner (result i32 exnref)
                  (try_table (catch_ref $a $inner) (call $thrower (local.get 0)))
                  (return (i32.const -1)))
                (local.set 1)
                (drop)
                (throw_ref (local.get 1)))
              (unreachable)))
          (func (export "uncaught") (param i32) (result i32)
            (call $thrower (local.get 0))
            (i32.const 5)))"#,
    );
    let m = m.to_str().unwrap();
    for (func, arg, expect) in [
        ("direct", "0", "0\n"),
        ("direct", "1", "11\n"),
        ("direct", "2", "17\n"),
        ("direct", "3", "33\n"),
        ("indirect", "0", "7\n"),
        ("indirect", "2", "99\n"),
        ("rethrown", "1", "11\n"),
        ("uncaught", "0", "5\n"),
    ] {
        let args = ["-W", "exceptions=y", "--invoke", func, m, arg];
        let out = same(&args, &args, &[]);
        assert_eq!(text(&out.stdout), expect, "{func}({arg})");
        assert!(out.status.success(), "{func}({arg}): {}", text(&out.stderr));
    }
    let args = ["-W", "exceptions=y", "--invoke", "uncaught", m, "2"];
    let out = same(&args, &args, &[]);
    assert_eq!(out.status.code(), Some(134));
    assert!(
        text(&out.stderr).contains("uncaught exception"),
        "{}",
        text(&out.stderr)
    );
}

/// Typed function references: the same results from `call_ref`,
/// `return_call_ref`, `br_on_null`, `br_on_non_null` and a typed table
/// with an initializer, on every back end, and the same exit status (134,
/// a trap) for a null `call_ref` and `ref.as_non_null`.
#[test]
fn typed_function_references_give_what_wasmtime_gives() {
    let dir = scratch("function-references");
    let m = write(
        &dir,
        "refs.wat",
        r#"(module
          (type $un (func (param i32) (result i32)))
          (func $inc (type $un) (i32.add (local.get 0) (i32.const 1)))
          (func $dbl (type $un) (i32.mul (local.get 0) (i32.const 2)))
          (elem declare func $inc $dbl)
          (table $t 2 (ref $un) (ref.func $inc))
          (func (export "pick") (param i32) (result i32)
            (call_ref $un (i32.const 20)
              (if (result (ref $un)) (local.get 0)
                (then (ref.func $dbl)) (else (ref.func $inc)))))
          (func $count (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0))
              (then (i32.const 77))
              (else (return_call_ref $un (i32.sub (local.get 0) (i32.const 1))
                                        (ref.func $count)))))
          (elem declare func $count)
          (func (export "count") (param i32) (result i32)
            (call_ref $un (local.get 0) (ref.func $count)))
          (func (export "on_null") (param i32) (result i32)
            (block $null
              (return (call_ref $un (i32.const 5)
                (br_on_null $null
                  (select (result (ref null $un))
                    (ref.null $un) (ref.func $dbl) (local.get 0))))))
            (i32.const -1))
          (func (export "on_non_null") (param i32) (result i32) (local $f (ref $un))
            (local.set $f
              (block $nn (result (ref $un))
                (br_on_non_null $nn
                  (select (result (ref null $un))
                    (ref.null $un) (ref.func $inc) (local.get 0)))
                (return (i32.const -2))))
            (call_ref $un (i32.const 8) (local.get $f)))
          (func (export "table") (param i32) (result i32)
            (call_ref $un (local.get 0) (table.get $t (i32.const 1))))
          (func (export "null_call") (param i32) (result i32)
            (call_ref $un (local.get 0) (ref.null $un)))
          (func (export "as_non_null") (param i32) (result i32)
            (call_ref $un (local.get 0)
              (ref.as_non_null (select (result (ref null $un))
                (ref.null $un) (ref.func $inc) (local.get 0))))))"#,
    );
    let m = m.to_str().unwrap();
    for strategy in ["interpreter", "compiler"] {
        let strat = format!("strategy={strategy}");
        for (func, arg, expect) in [
            ("pick", "0", "21\n"),
            ("pick", "1", "40\n"),
            ("count", "100000", "77\n"),
            ("on_null", "1", "-1\n"),
            ("on_null", "0", "10\n"),
            ("on_non_null", "1", "-2\n"),
            ("on_non_null", "0", "9\n"),
            ("table", "4", "5\n"),
            ("as_non_null", "0", "1\n"),
        ] {
            let ours = [
                "-C",
                &strat,
                "-W",
                "function-references=y",
                "--invoke",
                func,
                m,
                arg,
            ];
            let theirs = ["-W", "function-references=y", "--invoke", func, m, arg];
            let out = same(&ours, &theirs, &[]);
            assert_eq!(text(&out.stdout), expect, "{strategy}: {func}({arg})");
            assert!(out.status.success(), "{func}({arg}): {}", text(&out.stderr));
        }
        for (func, message) in [
            ("null_call", "null function reference"),
            ("as_non_null", "null reference"),
        ] {
            let ours = [
                "-C",
                &strat,
                "-W",
                "function-references=y",
                "--invoke",
                func,
                m,
                "1",
            ];
            let theirs = ["-W", "function-references=y", "--invoke", func, m, "1"];
            let out = same(&ours, &theirs, &[]);
            assert_eq!(out.status.code(), Some(134), "{strategy}: {func}");
            assert!(text(&out.stderr).contains(message), "{}", text(&out.stderr));
        }
    }
}

/// GC modules: the same results and trap statuses as wasmtime's, with the
/// default strategy (which runs them on the interpreter) and with
/// `-C strategy=interpreter`.
#[test]
fn gc_modules_give_what_wasmtime_gives() {
    let dir = scratch("gc");
    let m = write(
        &dir,
        "gc.wat",
        r#"(module
          (type $node (struct (field $next (mut (ref null $node))) (field $v i32)))
          (type $bytes (array (mut i8)))
          (type $shape (sub (struct (field i32))))
          (type $circle (sub $shape (struct (field i32) (field f64))))
          ;; The sum 1 + .. + n through a list of n structs.
          (func (export "list") (param $n i32) (result i32)
            (local $l (ref null $node)) (local $s i32)
            (block $done (loop $build
              (br_if $done (i32.eqz (local.get $n)))
              (local.set $l (struct.new $node (local.get $l) (local.get $n)))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br $build)))
            (block $end (loop $sum
              (br_if $end (ref.is_null (local.get $l)))
              (local.set $s (i32.add (local.get $s)
                (struct.get $node $v (ref.as_non_null (local.get $l)))))
              (local.set $l (struct.get $node $next (ref.as_non_null (local.get $l))))
              (br $sum)))
            (local.get $s))
          ;; Signed and unsigned reads of packed array elements.
          (func (export "bytes") (param $i i32) (result i32)
            (local $a (ref $bytes))
            (local.set $a (array.new $bytes (i32.const 200) (i32.const 4)))
            (array.set $bytes (local.get $a) (i32.const 1) (i32.const -1))
            (i32.add (array.get_s $bytes (local.get $a) (local.get $i))
                     (i32.mul (i32.const 1000) (array.get_u $bytes (local.get $a) (local.get $i)))))
          (func (export "i31") (param i32) (result i32)
            (i31.get_s (ref.i31 (local.get 0))))
          ;; 1 if a circle is a shape (it is), 2 if a shape is a circle.
          (func (export "casts") (param i32) (result i32)
            (local $s (ref $shape))
            (local.set $s (select (result (ref $shape))
              (struct.new $circle (i32.const 1) (f64.const 2))
              (struct.new $shape (i32.const 3))
              (local.get 0)))
            (block $is (result (ref $circle))
              (br_on_cast $is (ref $shape) (ref $circle) (local.get $s))
              (return (i32.const 2)))
            (drop)
            (i32.const 1))
          (func (export "bad_cast") (param i32) (result i32)
            (struct.get $circle 0 (ref.cast (ref $circle) (struct.new $shape (local.get 0)))))
          (func (export "oob") (param i32) (result i32)
            (array.get_u $bytes (array.new_default $bytes (i32.const 4)) (local.get 0)))
          (func (export "null_field") (param i32) (result i32)
            (struct.get $node $v (ref.null $node))))"#,
    );
    let m = m.to_str().unwrap();
    for strategy in ["auto", "interpreter"] {
        let strat = format!("strategy={strategy}");
        for (func, arg, expect) in [
            ("list", "1000", "500500\n"),
            ("bytes", "1", "254999\n"),
            ("bytes", "0", "199944\n"),
            ("i31", "1073741824", "-1073741824\n"),
            ("casts", "1", "1\n"),
            ("casts", "0", "2\n"),
        ] {
            let ours = ["-C", &strat, "-W", "gc=y", "--invoke", func, m, arg];
            let theirs = ["-W", "gc=y", "--invoke", func, m, arg];
            let out = same(&ours, &theirs, &[]);
            assert_eq!(text(&out.stdout), expect, "{strategy}: {func}({arg})");
            assert!(out.status.success(), "{func}({arg}): {}", text(&out.stderr));
        }
        for (func, message) in [
            ("bad_cast", "cast failure"),
            ("oob", "out of bounds array access"),
            ("null_field", "null structure reference"),
        ] {
            let ours = ["-C", &strat, "-W", "gc=y", "--invoke", func, m, "9"];
            let theirs = ["-W", "gc=y", "--invoke", func, m, "9"];
            let out = same(&ours, &theirs, &[]);
            assert_eq!(out.status.code(), Some(134), "{strategy}: {func}");
            assert!(text(&out.stderr).contains(message), "{}", text(&out.stderr));
        }
    }
}
