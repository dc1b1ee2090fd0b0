//! `NANOWASM_LOG`: off by default (nothing on stderr), and with a filter
//! the events a user debugging a run needs: the module load, the
//! translation of functions and the instantiation at `debug`, every WASI
//! call with its arguments and errno at `trace`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Writes `hello\n` to stdout, asks for a file missing from its read-only
/// preopen (`noent`) and closes a descriptor it does not have (`badf`).
const GUEST: &str = r#"(module $logdemo
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\n")
  (data (i32.const 32) "missing.txt")
  (func $main (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $path_open (i32.const 3) (i32.const 0) (i32.const 32) (i32.const 11)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 64)))
    (drop (call $fd_close (i32.const 99)))))"#;

/// A scratch directory for one test, holding the guest and its preopen.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("nanowasm-logging-{}-{test}", std::process::id()));
        std::fs::create_dir_all(dir.join("data")).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn data(&self) -> String {
        format!("{}::/data", self.0.join("data").display())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `nanowasm run --dir-ro DATA::/data FILE` with `NANOWASM_LOG` set to
/// `log` (unset for `None`).
fn run(scratch: &Scratch, file: &Path, log: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nanowasm"));
    cmd.args(["run", "--dir-ro", &scratch.data()]).arg(file);
    match log {
        Some(filter) => cmd.env("NANOWASM_LOG", filter),
        None => cmd.env_remove("NANOWASM_LOG"),
    };
    cmd.output().expect("run nanowasm")
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("utf-8 stderr")
}

/// The lines of `stderr` at `level` from `target` whose text (after the
/// target) starts with `message`.
fn events<'a>(stderr: &'a str, level: &str, target: &str, message: &str) -> Vec<&'a str> {
    let prefix = format!(" {level} {target}: {message}");
    stderr.lines().filter(|l| l.contains(&prefix)).collect()
}

#[test]
fn unset_logs_nothing() {
    let s = Scratch::new("unset");
    let out = run(&s, &s.file("guest.wat", GUEST), None);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(out.stdout, b"hello\n");
    assert_eq!(stderr_of(&out), "");
    // An empty filter is as good as none.
    let out = run(&s, &s.file("guest.wat", GUEST), Some(""));
    assert_eq!(stderr_of(&out), "");
}

#[test]
fn debug_names_the_load_the_compilation_and_the_instantiation() {
    let s = Scratch::new("debug");
    let out = run(&s, &s.file("guest.wat", GUEST), Some("debug"));
    assert!(out.status.success(), "{}", stderr_of(&out));
    // The guest's output is not mixed with the log.
    assert_eq!(out.stdout, b"hello\n");
    let err = stderr_of(&out);
    let load = events(&err, "DEBUG", "nanowasm_runtime::module", "module loaded");
    assert_eq!(load.len(), 1, "{err}");
    for field in [
        "name=\"logdemo\"",
        "functions=1",
        "imported_functions=3",
        "imports=3",
        "exports=2",
        "decode_and_validate=",
    ] {
        assert!(load[0].contains(field), "{field} in {}", load[0]);
    }
    let wasi = events(&err, "DEBUG", "nanowasm_wasi::ctx", "WASI context");
    assert_eq!(wasi.len(), 1, "{err}");
    // argv[0] names the module (its path or its file name).
    assert!(wasi[0].contains("guest.wat\"] env=[]"), "{}", wasi[0]);
    let preopen = events(&err, "DEBUG", "nanowasm_wasi::ctx", "preopened directory");
    assert_eq!(preopen.len(), 1, "{err}");
    assert!(
        preopen[0].ends_with(
            "preopened directory fd=3 guest=/data perms=DirPerms(READ) file_perms=FilePerms(READ)"
        ),
        "{}",
        preopen[0]
    );
    let inst = events(&err, "DEBUG", "nanowasm_runtime::instance", "instantiated");
    assert_eq!(inst.len(), 1, "{err}");
    assert!(
        inst[0].contains("module=\"logdemo\" instance=0 imports=3"),
        "{}",
        inst[0]
    );
    // The default strategy compiles the module when it is loaded.
    let compiled = events(&err, "DEBUG", "nanowasm_runtime::module", "module compiled");
    assert_eq!(compiled.len(), 1, "{err}");
    assert!(
        compiled[0].contains("functions=1 code_bytes="),
        "{}",
        compiled[0]
    );
    // Loaded and compiled, then instantiated.
    let at = |line: &str| err.find(line).unwrap();
    assert!(
        at(load[0]) < at(compiled[0]) && at(compiled[0]) < at(inst[0]),
        "{err}"
    );
    // WASI calls are at `trace` only.
    assert!(!err.contains("TRACE"), "{err}");
    assert!(!err.contains("fd_write"), "{err}");
}

#[test]
fn trace_names_every_wasi_call_its_arguments_and_errno() {
    let s = Scratch::new("trace");
    let out = run(&s, &s.file("guest.wat", GUEST), Some("trace"));
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(out.stdout, b"hello\n");
    let err = stderr_of(&out);
    // Everything `debug` has.
    assert_eq!(
        events(&err, "DEBUG", "nanowasm_runtime::module", "module loaded").len(),
        1
    );
    assert_eq!(
        events(&err, "DEBUG", "nanowasm_runtime::instance", "instantiated").len(),
        1
    );
    // The imports and exports of the module.
    let imports = events(&err, "TRACE", "nanowasm_runtime::module", "import ");
    assert_eq!(imports.len(), 3, "{err}");
    assert!(imports[1].ends_with("import module=wasi_snapshot_preview1 name=path_open kind=func"));
    // The calls, in order, each once it returned: its outcome and its
    // arguments (and, during `path_open`, the path it was given).
    let wasi: Vec<&str> = err
        .lines()
        .filter_map(|l| l.split_once(" TRACE nanowasm_wasi"))
        .map(|(_, rest)| rest)
        .collect();
    assert_eq!(
        wasi,
        [
            ": fd_write -> success fd=1 iovs=0 iovs_len=1 nwritten=8",
            "::mem: path argument path=\"missing.txt\"",
            ": path_open -> noent (44) fd=3 dirflags=0 path=32 path_len=11 oflags=0 \
             fs_rights_base=2 fs_rights_inheriting=0 fdflags=0 opened_fd=64",
            ": fd_close -> badf (8) fd=99",
        ],
        "{err}"
    );
}

#[test]
fn a_filter_selects_targets() {
    let s = Scratch::new("filter");
    let out = run(&s, &s.file("guest.wat", GUEST), Some("nanowasm_wasi=trace"));
    assert!(out.status.success(), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(
        err.contains(" TRACE nanowasm_wasi: fd_write -> success fd=1 "),
        "{err}"
    );
    assert!(
        err.contains(" DEBUG nanowasm_wasi::ctx: WASI context "),
        "{err}"
    );
    assert!(!err.contains("nanowasm_runtime"), "{err}");
}

#[test]
fn a_trap_is_logged_at_debug() {
    let s = Scratch::new("trap");
    let guest = s.file(
        "trap.wat",
        r#"(module $oops
            (memory (export "memory") 1)
            (func $boom unreachable)
            (func $main (export "_start") (call $boom)))"#,
    );
    let out = run(&s, &guest, Some("nanowasm_runtime=debug"));
    assert_eq!(out.status.code(), Some(134), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    let trapped = events(
        &err,
        "DEBUG",
        "nanowasm_runtime::interp::exec",
        "wasm trapped",
    );
    assert_eq!(trapped.len(), 1, "{err}");
    assert!(
        trapped[0].ends_with(
            "wasm trapped trap=unreachable at=oops!boom (func 0) at offset 0x32 depth=2"
        ),
        "{}",
        trapped[0]
    );
    // The error itself is still reported after the log.
    assert!(err.contains("wasm trap: unreachable"), "{err}");
}

#[test]
fn a_bad_filter_is_reported_and_the_run_goes_on() {
    let s = Scratch::new("bad");
    let out = run(&s, &s.file("guest.wat", GUEST), Some("nanowasm_wasi=loud"));
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(out.stdout, b"hello\n");
    let err = stderr_of(&out);
    assert!(
        err.starts_with("warning: NANOWASM_LOG=\"nanowasm_wasi=loud\" is not a valid filter ("),
        "{err}"
    );
    assert!(err.ends_with("); logging stays off\n"), "{err}");
}
