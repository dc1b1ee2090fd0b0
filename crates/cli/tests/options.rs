//! The command line in wasmtime's shape: option groups and their help,
//! refusals with reasons, humantime durations, `--preload`, `settings`,
//! `compile`, and `run --manifest` with a module.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn nanowasm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(args)
        .output()
        .expect("run nanowasm")
}

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nanowasm-options-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const SPIN: &str = r#"(module (func (export "_start") (loop $l (br $l))))"#;

#[test]
fn group_help_lists_the_keys_and_exits_0() {
    for (flag, key) in [
        ("-W", "-W max-memory-size=N"),
        ("-S", "-S inherit-env[=y|n]"),
        ("-C", "-C strategy=val"),
        ("-O", "-O memory-init-cow[=y|n]"),
    ] {
        let out = nanowasm(&[flag, "help"]);
        assert!(out.status.success(), "{flag} help: {}", stderr(&out));
        assert!(stdout(&out).contains(key), "{flag} help: {}", stdout(&out));
    }
    // The top-level help names the groups and the implied `run`.
    let help = stdout(&nanowasm(&["--help"]));
    for s in [
        "-W, --wasm",
        "-S, --wasi",
        "-C, --codegen",
        "settings",
        "compile",
    ] {
        assert!(help.contains(s), "{s}: {help}");
    }
    assert!(help.contains("the `run` subcommand will be used"), "{help}");
}

#[test]
fn unknown_and_unsupported_keys_are_refused_with_a_reason() {
    let dir = scratch("refused");
    let m = write(&dir, "spin.wat", SPIN);
    let cases: [(&[&str], &str); 6] = [
        (&["-W", "bogus=1"], "unknown -W / --wasm option: `bogus`"),
        (
            &["-W", "wmemcheck"],
            "-W wmemcheck: not supported by nanowasm: there is no memory checker",
        ),
        (
            &["-W", "threads"],
            "-W threads: not supported by nanowasm: the proposal is not implemented",
        ),
        (
            &["-S", "preview2=n"],
            "-S preview2: not supported by nanowasm",
        ),
        (&["-C", "cranelift-opt-level=2"], "single-pass baseline"),
        (&["-W", "timeout=soon"], "invalid duration `soon`"),
    ];
    for (flags, message) in cases {
        let mut args = flags.to_vec();
        args.push(&m);
        let out = nanowasm(&args);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(message),
            "{flags:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn every_strategy_runs_and_an_unknown_one_is_refused() {
    let dir = scratch("strategy");
    let m = write(
        &dir,
        "exit.wat",
        r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            (memory (export "memory") 1)
            (func (export "_start") (call $exit (i32.add (i32.const 40) (i32.const 2)))))"#,
    );
    // wasmtime's compiler names select nanowasm's compiler.
    for flag in [
        "strategy=auto",
        "strategy=interpreter",
        "strategy=compiler",
        "compiler=cranelift",
        "compiler=winch",
    ] {
        let out = nanowasm(&["-C", flag, "-C", "cache=n", &m]);
        assert_eq!(out.status.code(), Some(42), "{flag}: {}", stderr(&out));
    }
    let out = nanowasm(&["-C", "strategy=fast", &m]);
    assert_ne!(out.status.code(), Some(0));
    let e = stderr(&out);
    assert!(e.contains("unknown strategy"), "{e}");
    // A module the compiler cannot compile: refused with the reason by
    // `compiler`, run by the interpreter under `auto`.
    let simd = write(
        &dir,
        "wide_tail_call.wat",
        // A tail call whose callee takes 320 bytes of arguments, more than
        // the compiler reserves for tail calls (256) and than its caller's.
        r#"(module
            (func $wide (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64))
            (func (export "_start") (return_call $wide (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0))))"#,
    );
    let out = nanowasm(&["-C", "strategy=compiler", &simd]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(e.contains("not supported by the compiler yet"), "{e}");
    let out = nanowasm(&["-C", "strategy=auto", &simd]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Both bounds strategies trap an access out of bounds alike.
    let oob = write(
        &dir,
        "oob.wat",
        r#"(module (memory 1)
            (func (export "_start") (drop (i32.load (i32.const 65535)))))"#,
    );
    let mut codes = Vec::new();
    for flag in ["signals-based-traps=y", "signals-based-traps=n"] {
        let out = nanowasm(&["-C", "strategy=compiler", "-O", flag, &oob]);
        let e = stderr(&out);
        assert!(e.contains("out of bounds memory access"), "{flag}: {e}");
        codes.push(out.status.code());
    }
    assert_eq!(codes[0], codes[1]);
    assert_ne!(codes[0], Some(0));
}

#[test]
fn durations_are_humantime() {
    let dir = scratch("durations");
    let spin = write(&dir, "spin.wat", SPIN);
    let nop = write(&dir, "nop.wat", r#"(module (func (export "_start")))"#);
    // Long ones parse (and do not fire).
    for t in ["1h30m", "1h 30m", "2days", "90"] {
        let out = nanowasm(&["--timeout", t, &nop]);
        assert!(out.status.success(), "--timeout {t}: {}", stderr(&out));
    }
    // A short one stops a runaway guest, as the -W key or the long flag.
    for args in [["-W", "timeout=300ms"], ["--timeout", "300ms"]] {
        let start = std::time::Instant::now();
        let out = nanowasm(&[args[0], args[1], &spin]);
        assert_eq!(out.status.code(), Some(134), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("wasm trap: interrupted"));
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
    }
    let out = nanowasm(&["--timeout", "soon", &nop]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn proposals_can_be_switched_off() {
    let dir = scratch("proposals");
    let m = write(
        &dir,
        "simd.wat",
        r#"(module (func (export "_start") (drop (v128.const i64x2 0 0))))"#,
    );
    assert!(nanowasm(&[&m]).status.success());
    for flags in [["-W", "simd=n"], ["-W", "all-proposals=n"]] {
        let out = nanowasm(&[flags[0], flags[1], &m]);
        assert_eq!(out.status.code(), Some(1), "{flags:?}");
        assert!(stderr(&out).contains("simd"), "{flags:?}: {}", stderr(&out));
    }
}

#[test]
fn preload_links_another_module_by_name() {
    let dir = scratch("preload");
    let lib = write(
        &dir,
        "lib.wat",
        r#"(module
  (global $base (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $base (i32.const 40)))
  (func (export "add") (param i32) (result i32) (i32.add (local.get 0) (global.get $base))))"#,
    );
    let main = write(
        &dir,
        "main.wat",
        r#"(module
  (import "lib" "add" (func $add (param i32) (result i32)))
  (func (export "go") (result i32) (call $add (i32.const 2))))"#,
    );
    let out = nanowasm(&["--preload", &format!("lib={lib}"), "--invoke", "go", &main]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "42\n");
    // A preload that does not load: the chain names it.
    let out = nanowasm(&["--preload", "lib=/definitely/not/here.wat", &main]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .starts_with("Error: failed to process preload `lib` at `/definitely/not/here.wat`"),
        "{}",
        stderr(&out)
    );
    // Without it, the import is missing.
    let out = nanowasm(&["--invoke", "go", &main]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("failed to instantiate"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn invoke_errors_name_the_function() {
    let dir = scratch("invoke");
    let m = write(
        &dir,
        "f.wat",
        r#"(module (memory (export "mem") 1) (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))"#,
    );
    let out = nanowasm(&["--invoke", "add", &m, "0x10", "2"]);
    assert_eq!(stdout(&out), "18\n", "{}", stderr(&out));
    for (args, message) in [
        (
            vec!["--invoke", "add", &m, "1"],
            "not enough arguments for `add`",
        ),
        (
            vec!["--invoke", "nope", &m],
            "no func export named `nope` found",
        ),
        (
            vec!["--invoke", "mem", &m],
            "export of `mem` wasn't a function",
        ),
        (
            vec!["--invoke", "add", &m, "x", "1"],
            "invalid i32 argument `x`",
        ),
    ] {
        let out = nanowasm(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn settings_prints_proposals_limits_and_cpu_features() {
    let out = nanowasm(&["settings"]);
    assert!(out.status.success());
    let s = stdout(&out);
    for part in [
        "Strategy:",
        "interpreter",
        "WebAssembly proposals",
        "  simd ",
        "Store limits",
        "Host CPU features",
    ] {
        assert!(s.contains(part), "{part}: {s}");
    }
    let json = stdout(&nanowasm(&["settings", "--json"]));
    assert!(
        json.starts_with("{\"version\":") && json.trim_end().ends_with('}'),
        "{json}"
    );
}

#[test]
fn compile_of_a_missing_file_is_an_error() {
    let out = nanowasm(&["compile", "missing.wasm", "-o", "x.cwasm"]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(
        e.starts_with("Error: failed to compile `missing.wasm`"),
        "{e}"
    );
    assert!(e.contains("cannot read"), "{e}");
}

#[test]
fn a_manifest_and_a_module_together_are_refused() {
    let dir = scratch("manifest");
    let m = write(&dir, "spin.wat", SPIN);
    let out = nanowasm(&["run", "--manifest", "app.toml", &m]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the argument '--manifest <MANIFEST>' cannot be used with"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_manifest_may_name_wat_modules() {
    let dir = scratch("manifest-wat");
    write(
        &dir,
        "hello.wat",
        r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 9))))"#,
    );
    let manifest = write(
        &dir,
        "app.toml",
        "[run]\nentry = \"p\"\n\n[[process]]\nname = \"p\"\nmodule = \"hello.wat\"\n",
    );
    let out = nanowasm(&["run", "--manifest", &manifest]);
    assert_eq!(out.status.code(), Some(9), "{}", stderr(&out));
}

#[test]
fn completion_scripts_name_the_subcommands() {
    let out = nanowasm(&["completion", "bash"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let script = stdout(&out);
    assert!(
        script.contains("nanowasm") && script.contains("settings"),
        "{script}"
    );
    let out = nanowasm(&["completion", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn tcplisten_as_a_wasi_key_binds_like_the_flag() {
    let dir = scratch("tcplisten");
    let m = write(&dir, "nop.wat", r#"(module (func (export "_start")))"#);
    for args in [
        ["-S", "tcplisten=256.0.0.1:1"],
        ["--tcplisten", "256.0.0.1:1"],
    ] {
        let out = nanowasm(&[args[0], args[1], &m]);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).contains("failed to bind to address '256.0.0.1:1'"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let out = nanowasm(&["-S", "tcplisten=127.0.0.1:0", &m]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn cli_n_defines_no_wasi() {
    let dir = scratch("cli-n");
    let m = write(
        &dir,
        "exit.wat",
        r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (func (export "_start") (call $exit (i32.const 0))))"#,
    );
    let out = nanowasm(&["-S", "cli=n", &m]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("failed to instantiate"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_module_may_come_from_standard_input() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(["--invoke", "seven", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"(module (func (export "seven") (result i32) (i32.const 7)))"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "7\n");
}

#[test]
fn profile_perfmap_names_compiled_functions() {
    let dir = scratch("perfmap");
    let m = write(
        &dir,
        "named.wat",
        r#"(module $app (func $work (export "_start") (drop (i32.const 1))))"#,
    );
    let child = Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(["run", "--profile=perfmap", &m])
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let path = format!("/tmp/perf-{pid}.map");
    let map = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    // `START SIZE NAME`, hexadecimal.
    let line = map.lines().find(|l| l.ends_with(" app!work")).unwrap_or("");
    let fields: Vec<&str> = line.split(' ').collect();
    assert_eq!(fields.len(), 3, "{map}");
    assert!(u64::from_str_radix(fields[0], 16).unwrap() > 0, "{map}");
    assert!(u64::from_str_radix(fields[1], 16).unwrap() > 0, "{map}");
    for (flag, message) in [
        ("--profile=jitdump", "not supported"),
        ("--profile=fast", "unknown profiling strategy"),
    ] {
        let out = nanowasm(&[flag, &m]);
        assert_ne!(out.status.code(), Some(0));
        assert!(stderr(&out).contains(message), "{flag}: {}", stderr(&out));
    }
}

/// `nanowasm compile` then `run --allow-precompiled`, on a WASI program:
/// the same output and exit status as the module itself; without the flag,
/// and for a damaged artifact, a clear error.
#[test]
fn compile_then_run_precompiled() {
    let dir = scratch("aot");
    let wasm = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/wasi/bin/args.wasm");
    let wasm = wasm.to_str().unwrap().to_owned();
    let cwasm = dir.join("args.cwasm");
    let cwasm = cwasm.to_str().unwrap().to_owned();
    let out = nanowasm(&["compile", &wasm, "-o", &cwasm]);
    assert!(out.status.success(), "{}", stderr(&out));
    let direct = nanowasm(&["run", &wasm, "a", "b c"]);
    let pre = nanowasm(&["run", "--allow-precompiled", &cwasm, "a", "b c"]);
    assert_eq!(pre.status.code(), direct.status.code(), "{}", stderr(&pre));
    assert!(!direct.stdout.is_empty());
    // argv[0] is the file given, so compare the arguments after it.
    let tail = |o: &Output| {
        String::from_utf8_lossy(&o.stdout)
            .replace(&cwasm, "")
            .replace(&wasm, "")
    };
    assert_eq!(tail(&pre), tail(&direct));
    let out = nanowasm(&["run", &cwasm]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--allow-precompiled"),
        "{}",
        stderr(&out)
    );
    // A damaged artifact is refused, not run.
    let mut bytes = std::fs::read(&cwasm).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    let bad = dir.join("bad.cwasm");
    std::fs::write(&bad, &bytes).unwrap();
    let out = nanowasm(&["run", "--allow-precompiled", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("checksum mismatch"),
        "{}",
        stderr(&out)
    );
    // Settings must match: an artifact compiled without fuel does not load
    // into a run with fuel.
    let out = nanowasm(&["run", "--allow-precompiled", "--fuel", "1000", &cwasm]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("fuel"), "{}", stderr(&out));
    // ... nor into a run with the other bounds checks.
    let out = nanowasm(&[
        "run",
        "--allow-precompiled",
        "-O",
        "signals-based-traps=n",
        &cwasm,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("memory bounds checks"),
        "{}",
        stderr(&out)
    );
    let explicit = dir.join("explicit.cwasm");
    let explicit = explicit.to_str().unwrap();
    let out = nanowasm(&[
        "compile",
        "-O",
        "signals-based-traps=n",
        &wasm,
        "-o",
        explicit,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = nanowasm(&[
        "run",
        "--allow-precompiled",
        "-O",
        "signals-based-traps=n",
        explicit,
        "a",
        "b c",
    ]);
    assert_eq!(out.status.code(), direct.status.code(), "{}", stderr(&out));
    // A module the compiler cannot compile yet is an error for `compile`.
    let simd = write(
        &dir,
        "wide_tail_call.wat",
        // A tail call whose callee takes 320 bytes of arguments, more than
        // the compiler reserves for tail calls (256) and than its caller's.
        r#"(module
            (func $wide (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64))
            (func (export "_start") (return_call $wide (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0))))"#,
    );
    let out = nanowasm(&["compile", &simd]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not supported by the compiler yet"),
        "{}",
        stderr(&out)
    );
}

/// `nanowasm objdump`: a module's compiled functions, disassembled, from
/// the module itself or from its artifact (the same code), filtered by
/// name; the settings show in the code (explicit bounds checks compare
/// against the memory's length).
#[test]
fn objdump_disassembles_compiled_code() {
    let dir = scratch("objdump");
    let wat = write(
        &dir,
        "m.wat",
        r#"(module (memory 1)
            (func $load (export "load") (param i32) (result i32) (i32.load (local.get 0)))
            (func $add (export "add") (param i32 i32) (result i32)
                (i32.add (local.get 0) (local.get 1))))"#,
    );
    let out = nanowasm(&["objdump", &wat]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("<load (func[0])>:"), "{text}");
    assert!(text.contains("<add (func[1])>:"), "{text}");
    assert!(text.contains("push    rbp"), "{text}");
    assert!(text.contains("ret"), "{text}");
    // Only the functions asked for.
    let out = nanowasm(&["objdump", "--funcs", "add", &wat]);
    let only = stdout(&out);
    assert!(only.contains("<add") && !only.contains("<load"), "{only}");
    // The artifact holds the same code.
    let cwasm = dir.join("m.cwasm");
    let cwasm = cwasm.to_str().unwrap();
    assert!(nanowasm(&["compile", &wat, "-o", cwasm]).status.success());
    let from_artifact = nanowasm(&["objdump", cwasm]);
    assert!(from_artifact.status.success(), "{}", stderr(&from_artifact));
    assert_eq!(stdout(&from_artifact), text);
    // Guard regions: the load is not checked; explicit checks compare
    // with the length in the context.
    let explicit = stdout(&nanowasm(&[
        "objdump",
        "-O",
        "signals-based-traps=n",
        "--funcs",
        "load",
        &wat,
    ]));
    let guarded = stdout(&nanowasm(&["objdump", "--funcs", "load", &wat]));
    assert!(
        explicit.lines().count() > guarded.lines().count(),
        "{explicit}\n{guarded}"
    );
    // Bytes on request; a missing file is an error.
    let bytes = stdout(&nanowasm(&["objdump", "--bytes", "--funcs", "add", &wat]));
    assert!(bytes.contains("55 "), "{bytes}");
    let out = nanowasm(&["objdump", "no-such.wasm"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no-such.wasm"), "{}", stderr(&out));
}

/// Where the CPU has AVX2 the compiler uses its three-operand forms and
/// broadcasts; `-C avx2=n` compiles for the SSE4.1 baseline, and its
/// artifact says it needs no AVX2 (the header's CPU field, offset 20).
#[test]
fn avx2_is_used_where_the_cpu_has_it_and_can_be_turned_off() {
    if !std::is_x86_feature_detected!("avx2") {
        return;
    }
    let dir = scratch("avx2");
    let wat = write(
        &dir,
        "simd.wat",
        r#"(module (func (export "f") (param i32) (result i32)
            (i32x4.extract_lane 1
                (i32x4.mul (i32x4.add (i32x4.splat (local.get 0)) (i32x4.splat (local.get 0)))
                    (i8x16.splat (local.get 0))))))"#,
    );
    let avx = stdout(&nanowasm(&["objdump", &wat]));
    assert!(
        avx.contains("vpaddd") && avx.contains("vpbroadcastb"),
        "{avx}"
    );
    let sse = stdout(&nanowasm(&["objdump", "-C", "avx2=n", &wat]));
    assert!(sse.contains("paddd") && !sse.contains("vp"), "{sse}");
    for (flag, needs_avx2) in [("avx2=y", true), ("avx2=n", false)] {
        let out = dir.join(format!("{flag}.cwasm"));
        let out = out.to_str().unwrap();
        let r = nanowasm(&["compile", "-C", flag, &wat, "-o", out]);
        assert!(r.status.success(), "{}", stderr(&r));
        let bytes = std::fs::read(out).unwrap();
        let cpu = u32::from_le_bytes(bytes[20..24].try_into().unwrap());
        assert_eq!(cpu & 16 != 0, needs_avx2, "{flag}: {cpu:#x}");
        // Both run here, with the same answer: (3 + 3) * 0x03030303.
        let run = nanowasm(&["run", "--allow-precompiled", "--invoke", "f", out, "3"]);
        assert!(run.status.success(), "{}", stderr(&run));
        assert_eq!(stdout(&run).trim(), (6 * 0x0303_0303).to_string());
    }
}
