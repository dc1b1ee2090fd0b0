//! `nanowasm run --timeout` stops a guest blocked in a WASI call (an
//! endless sleep, a read of a silent stdin, an accept nobody connects to,
//! a write to a full stdout pipe) the way it stops a running one: exit
//! status 134 and "wasm trap: interrupted".
//!
//! Every child is watched: one still running after `STUCK` is killed and
//! fails the test, which therefore never hangs.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const STUCK: Duration = Duration::from_secs(10);

fn temp_wat(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nanowasm-timeout-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Waits for `child` at most `STUCK` (killing it then, and failing), and
/// returns its status, its standard error and how long it ran.
fn watch(mut child: Child, start: Instant) -> (ExitStatus, String, Duration) {
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let took = start.elapsed();
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                e.read_to_string(&mut err).unwrap();
            }
            return (status, err, took);
        }
        if start.elapsed() > STUCK {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nanowasm still running after {STUCK:?}: --timeout did not stop it");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `nanowasm run --timeout 300ms [extra...] FILE` with stdin and
/// stdout as given (stderr captured).
fn run(file: &PathBuf, extra: &[&str], stdin: Stdio, stdout: Stdio) -> (Child, Instant) {
    let start = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(["run", "--timeout", "300ms"])
        .args(extra)
        .arg(file)
        .stdin(stdin)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, start)
}

/// The message after the file name, without the backtrace (each run has
/// one: of the loop an epoch interruption stopped, or of the wasm frames
/// that made the blocked call).
fn cause(stderr: &str) -> &str {
    let at = stderr.find("Caused by:").unwrap_or(0);
    let rest = &stderr[at..];
    let rest = rest
        .find("\n       wasm backtrace:")
        .map_or(rest, |end| &rest[..end]);
    rest.trim_end()
}

/// Checks an interrupted run: status 134, the epoch timeout's message,
/// within a few seconds.
fn assert_interrupted(what: &str, (status, stderr, took): (ExitStatus, String, Duration)) {
    assert_eq!(status.code(), Some(134), "{what}: {stderr}");
    assert!(
        stderr.contains("wasm backtrace:\n         0: "),
        "{what}: the trap names the wasm frame that blocked: {stderr}"
    );
    assert_eq!(
        cause(&stderr),
        "Caused by:\n    0: failed to invoke command default\n    1: wasm trap: interrupted",
        "{what}: {stderr}"
    );
    assert!(took >= Duration::from_millis(290), "{what}: {took:?}");
    assert!(took < Duration::from_secs(5), "{what}: {took:?}");
}

const SLEEPER: &str = r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; One relative monotonic clock subscription of u64::MAX ns.
  (func (export "_start")
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const -1))
    (drop (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))))"#;

#[test]
fn timeout_stops_an_endless_sleep_like_a_running_guest() {
    let sleeper = temp_wat("sleeper.wat", SLEEPER);
    let (child, start) = run(&sleeper, &[], Stdio::null(), Stdio::null());
    let slept = watch(child, start);
    // The same as a guest stopped while running.
    let spin = temp_wat(
        "spin.wat",
        r#"(module (func (export "_start") (loop $l (br $l))))"#,
    );
    let (child, start) = run(&spin, &[], Stdio::null(), Stdio::null());
    let (status, stderr, _) = watch(child, start);
    assert_eq!(status.code(), Some(134), "{stderr}");
    assert_eq!(cause(&slept.1), cause(&stderr));
    assert_interrupted("poll_oneoff", slept);
}

#[test]
fn timeout_stops_a_read_of_a_silent_stdin() {
    let reader = temp_wat(
        "reader.wat",
        r#"(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 64))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
    );
    // A pipe that stays open and never gets a byte.
    let (mut child, start) = run(&reader, &[], Stdio::piped(), Stdio::null());
    let stdin = child.stdin.take();
    let result = watch(child, start);
    drop(stdin);
    assert_interrupted("fd_read of stdin", result);
}

#[test]
fn timeout_stops_an_accept_nobody_answers() {
    let acceptor = temp_wat(
        "acceptor.wat",
        r#"(module
  (import "wasi_snapshot_preview1" "sock_accept"
    (func $sock_accept (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $sock_accept (i32.const 3) (i32.const 0) (i32.const 0)))))"#,
    );
    let (child, start) = run(
        &acceptor,
        &["--tcplisten", "127.0.0.1:0"],
        Stdio::null(),
        Stdio::null(),
    );
    assert_interrupted("sock_accept", watch(child, start));
}

#[test]
fn timeout_stops_a_write_to_a_full_stdout_pipe() {
    let writer = temp_wat(
        "writer.wat",
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  ;; 64 KiB per write, forever (or until a write fails).
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 65536))
    (loop $l
      (br_if $l (i32.eqz
        (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))))"#,
    );
    // Nobody reads the pipe: it fills, and the write waits.
    let (mut child, start) = run(&writer, &[], Stdio::null(), Stdio::piped());
    let stdout = child.stdout.take();
    let result = watch(child, start);
    drop(stdout);
    assert_interrupted("fd_write to a full pipe", result);
}
