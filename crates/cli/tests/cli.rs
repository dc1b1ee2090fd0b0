//! End-to-end tests of the `nanowasm` binary.

use std::path::PathBuf;
use std::process::{Command, Output};

fn nanowasm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(args)
        .output()
        .expect("run nanowasm")
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nanowasm-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn example() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/hello.wasm").to_owned()
}

#[test]
fn validate_valid_module_is_silent() {
    let out = nanowasm(&["validate", &example()]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
}

#[test]
fn validate_reports_file_offset_and_message() {
    let bad = temp_file("truncated.wasm", b"\0asm\x01\0\0\0\x01\x04\x01\x60\x01\x7f");
    let out = nanowasm(&["validate", &example(), bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        format!(
            "{}: unexpected end of section or function (at offset 0xe)\n",
            bad.display()
        )
    );
}

#[test]
fn validate_invalid_module() {
    // (func (result i32) (i64.const 0))
    let bad = temp_file(
        "invalid.wasm",
        b"\0asm\x01\0\0\0\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x06\x01\x04\x00\x42\x00\x0b",
    );
    let out = nanowasm(&["validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.ends_with(
            "type mismatch: expected [i32] but found [i64] (in function 0, at `end`, offset 0x1a)\n"
        ),
        "{stderr}"
    );
}

#[test]
fn validate_missing_file() {
    let out = nanowasm(&["validate", "/definitely/not/here.wasm"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("/definitely/not/here.wasm: cannot read:"),
        "{stderr}"
    );
}

#[test]
fn validate_features_flag() {
    // (func (drop (v128.const i64x2 0 0)))
    let mut simd =
        b"\0asm\x01\0\0\0\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x17\x01\x15\x00\xfd\x0c"
            .to_vec();
    simd.extend_from_slice(&[0; 16]);
    simd.extend_from_slice(b"\x1a\x0b");
    let path = temp_file("simd.wasm", &simd);
    let path = path.to_str().unwrap();
    assert!(nanowasm(&["validate", path]).status.success());
    let out = nanowasm(&["validate", "--features=-simd", path]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("feature not enabled: v128.const needs the `simd` proposal"),
        "{stderr}"
    );

    // A proposal nanowasm does not implement at all.
    let out = nanowasm(&["validate", "--features", "threads", path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("not implemented"));
    let out = nanowasm(&["validate", "--features", "bogus", path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("unknown feature `bogus`"));
}

#[test]
fn help_explains_subcommands() {
    let out = nanowasm(&["--help"]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("validate"), "{stdout}");
    let out = nanowasm(&["validate", "--help"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("--features"), "{stdout}");
}

#[test]
fn wat_input_and_wat2wasm() {
    let wat = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/hello.wat");
    let out = nanowasm(&["run", "--invoke", "fib", wat, "10"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "55\n");
    let dst = temp_file("hello-out.wasm", b"");
    let out = nanowasm(&["wat2wasm", wat, "-o", dst.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&dst).unwrap(),
        std::fs::read(example()).unwrap()
    );
    // A syntax error: file:line:col, the line, a caret.
    let bad = temp_file("bad.wat", b"(module\n  (func i32.nope))");
    let out = nanowasm(&["validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(
            "bad.wat:2:9: unknown operator `i32.nope`\n    (func i32.nope))\n          ^"
        ),
        "{stderr}"
    );
}

#[test]
fn run_traps_exit_134_with_backtrace() {
    let out = nanowasm(&["run", "--fuel", "100", "--invoke", "fib", &example(), "25"]);
    assert_eq!(out.status.code(), Some(134));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("wasm trap: all fuel consumed"), "{stderr}");
    assert!(
        stderr.contains("0: hello!fib (func 0) at offset 0x"),
        "{stderr}"
    );
}

#[test]
fn wast_reports_counts() {
    let script = temp_file(
        "t.wast",
        br#"(module (func (export "f") (result i32) (i32.const 7)))
            (assert_return (invoke "f") (i32.const 7))
            (assert_return (invoke "f") (i32.const 8))
            (assert_trap (module (func $s unreachable) (start $s)) "unreachable")"#,
    );
    let out = nanowasm(&["wast", script.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.ends_with(": 3 passed, 1 failed\n"), "{stdout}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("line 3: expected [I32(8)], got [I32(7)]"),
        "{stderr}"
    );
}

#[test]
fn wast_takes_proposals_with_w() {
    let script = temp_file(
        "tail.wast",
        br#"(module
              (func $count (export "count") (param i64) (result i64)
                (if (result i64) (i64.eqz (local.get 0))
                  (then (i64.const 7))
                  (else (return_call $count (i64.sub (local.get 0) (i64.const 1)))))))
            (assert_return (invoke "count" (i64.const 1000000)) (i64.const 7))"#,
    );
    let path = script.to_str().unwrap();
    let out = nanowasm(&["wast", "-W", "tail-call", path]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.ends_with(": 2 passed, 0 failed\n"), "{stdout}");
    let out = nanowasm(&["wast", "-W", "all-proposals", path]);
    assert!(out.status.success());
    // On by default, as in wasmtime; turned off, the module is rejected,
    // naming the proposal.
    let out = nanowasm(&["wast", path]);
    assert!(out.status.success());
    let out = nanowasm(&["wast", "-W", "tail-call=n", path]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("`tail-call` proposal"), "{stderr}");
    // Only proposals apply.
    let out = nanowasm(&["wast", "-W", "fuel=10", path]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("-W fuel: only proposals apply"), "{stderr}");
}

#[test]
fn print_round_trips_through_wat2wasm() {
    let out = nanowasm(&["print", &example()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // Names from the name section become identifiers.
    assert!(text.starts_with("(module $hello\n"), "{text}");
    assert!(
        text.contains("(func $fib (type 0) (param $n i32) (result i32)"),
        "{text}"
    );
    assert!(text.contains("call $fib"), "{text}");
    let wat = temp_file("printed.wat", text.as_bytes());
    let wasm = wat.with_extension("wasm");
    let out = nanowasm(&[
        "wat2wasm",
        wat.to_str().unwrap(),
        "-o",
        wasm.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&wasm).unwrap(),
        std::fs::read(example()).unwrap()
    );
}

#[test]
fn print_rejects_a_malformed_module() {
    let bad = temp_file("bad-magic.wasm", b"\0asm\x02\0\0\0");
    let out = nanowasm(&["print", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("unknown binary version"), "{stderr}");
    assert!(out.stdout.is_empty());
}

fn wat(name: &str) -> String {
    format!("{}/../../tests/wasi/wat/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn stdin_streams_line_by_line() {
    use std::io::{BufRead, BufReader, Write};
    let mut child = Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(["run", &wat("echo_stdin.wat")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    // Each line comes back before the next is written: nothing waits for
    // the end of input.
    for line in ["first line\n", "second\n", "third and last\n"] {
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.flush().unwrap();
        let mut got = String::new();
        stdout.read_line(&mut got).unwrap();
        assert_eq!(got, line);
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn tcplisten_socket_echo() {
    use std::io::{Read, Write};
    // Find a free port, then hand it to the guest.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(["run", "--tcplisten", &addr, &wat("tcp_echo.wat")])
        .spawn()
        .unwrap();
    let mut conn = None;
    for _ in 0..200 {
        match std::net::TcpStream::connect(&addr) {
            Ok(c) => {
                conn = Some(c);
                break;
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
    }
    let mut conn = conn.expect("connect to the guest's socket");
    conn.write_all(b"ping over wasi sockets").unwrap();
    conn.shutdown(std::net::Shutdown::Write).unwrap();
    let mut back = String::new();
    conn.read_to_string(&mut back).unwrap();
    assert_eq!(back, "ping over wasi sockets");
    assert!(child.wait().unwrap().success());
}

#[test]
fn wasi_dir_env_and_exit_status() {
    let out = Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args([
            "run",
            "--env",
            "GREETING=hi",
            "--env",
            "NANOWASM_TEST_UNSET_VAR",
        ])
        .arg(format!(
            "{}/../../tests/wasi/bin/env.wasm",
            env!("CARGO_MANIFEST_DIR")
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("GREETING=hi"), "{stdout}");
    // An inherited variable that the host does not have is not passed.
    assert!(!stdout.contains("NANOWASM_TEST_UNSET_VAR"), "{stdout}");
    let out = nanowasm(&[
        "run",
        &format!(
            "{}/../../tests/wasi/bin/exit_code.wasm",
            env!("CARGO_MANIFEST_DIR")
        ),
    ]);
    assert_eq!(out.status.code(), Some(3));
    let out = nanowasm(&["run", "--dir", "/definitely/not/here", &example()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/definitely/not/here"));
}

#[test]
fn timeout_interrupts_a_runaway_guest() {
    let spin = temp_file(
        "spin.wat",
        b"(module (func (export \"_start\") (loop $l (br $l))))",
    );
    let start = std::time::Instant::now();
    let out = nanowasm(&["run", "--timeout", "200ms", spin.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(134));
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("interrupt"), "{stderr}");
}

#[test]
fn run_manifest_runs_the_nanoprocess_example() {
    let src = format!(
        "{}/../../examples/nanoprocesses",
        env!("CARGO_MANIFEST_DIR")
    );
    let dir = std::env::temp_dir().join(format!("nanowasm-cli-manifest-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    for f in [
        "app.toml",
        "parser.wasm",
        "compressor.wasm",
        "logger.wasm",
        "data/input.txt",
    ] {
        std::fs::copy(format!("{src}/{f}"), dir.join(f)).unwrap();
    }
    let out = nanowasm(&["run", "--manifest", dir.join("app.toml").to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("3 lines, 15 words; /logs is not reachable"),
        "{stdout}"
    );
    let log = std::fs::read_to_string(dir.join("logs/app.log")).unwrap();
    assert_eq!(log.lines().count(), 4, "{log}");
    // A manifest that grants nothing the module imports fails at link time.
    std::fs::write(
        dir.join("bad.toml"),
        "[run]\nentry = \"p\"\nfunc = \"run\"\n[[process]]\nname = \"p\"\nmodule = \"parser.wasm\"\n",
    )
    .unwrap();
    let out = nanowasm(&["run", "--manifest", dir.join("bad.toml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not granted"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

/// GC modules validate, print and run (on the interpreter, which `Auto`
/// picks for them); `-W gc=n` refuses them with a message naming the
/// proposal.
#[test]
fn gc_modules_validate_print_and_run() {
    let path = temp_file(
        "gc.wat",
        br#"(module
  (type $p (struct (field $x (mut i32)) (field $y f64)))
  (type $a (array (mut i8)))
  (func (export "f") (result i32)
    (struct.get $p $x (struct.new $p (i32.const 7) (f64.const 1)))))"#,
    );
    let path = path.to_str().unwrap();
    for args in [
        &["validate", path][..],
        &["validate", "--features", "gc", path],
    ] {
        let out = nanowasm(args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = nanowasm(&["print", path]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("(type $p (struct (field $x (mut i32)) (field $y f64)))"),
        "{text}"
    );
    assert!(text.contains("struct.get $p $x"), "{text}");
    let out = nanowasm(&["run", "--invoke", "f", path]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "7");
    let out = nanowasm(&["run", "-W", "gc=n", "--invoke", "f", path]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("`gc` proposal"), "{stderr}");
}
