//! `nanowasm run` of WASI 0.2 command components: the programs of
//! `tests/components` (the C programs of `tests/wasi` and more, built
//! through the preview1 component adapter), one trial per program and
//! runtime:
//!
//! - `components/nanowasm/NAME` runs `nanowasm run` on it;
//! - `components/wasmtime/NAME` runs wasmtime's component runtime (the
//!   Python package `wasmtime`) on it, so the recorded expectations are
//!   shown to be wasmtime's (ignored without the package, unless
//!   `NANOWASM_REQUIRE_PEERS=1`).
//!
//! Both compare stdout, the exit status and the final state of the sandbox
//! (and of the directory beside it, which no program may touch) with
//! `tests/components/expected`, through `tests/components/reference.py`.
//! Also: components written in text through `nanowasm run` (exit statuses,
//! flags, a component that is not a command).

use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::{Arguments, Failed, Trial};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/components")
}

fn reference(runtime: Option<&str>, name: &str) -> Result<(), Failed> {
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("reference.py"));
    if let Some(r) = runtime {
        cmd.arg("--runtime").arg(r);
    }
    let out = cmd
        .arg(name)
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into())
    }
}

#[path = "../../wasi/tests/p2_guest.rs"]
mod p2_guest;

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nanowasm-run-components-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn nanowasm(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(args)
        .output()
        .expect("run nanowasm")
}

fn check(cond: bool, what: &str, out: &std::process::Output) -> Result<(), Failed> {
    if cond {
        Ok(())
    } else {
        Err(format!(
            "{what}: status {:?}\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into())
    }
}

/// Text components through `nanowasm run`: statuses, flags, errors.
fn text_components() -> Result<(), Failed> {
    let body = r#"
        (data (i32.const 1024) "hi ")
        (func $run (result i32)
          (call $print (i32.const 1024) (i32.const 3))
          (call $args (i32.const 16))
          (call $print (i32.load (i32.load offset=0 (i32.const 16))) (i32.load offset=4 (i32.load (i32.const 16))))
          (call $environ (i32.const 16))
          (call $num (i64.extend_i32_u (i32.load (i32.const 20))))
          (i32.const 0))"#;
    let ok = temp_file("ok.wasm", &p2_guest::binary(&p2_guest::command(body)));
    let ok = ok.to_str().unwrap();
    let out = nanowasm(&["run", "--env", "A=1", "--env", "B=2", ok, "x"]);
    check(
        out.status.code() == Some(0) && out.stdout == b"hi ok.wasm2\n",
        "args and env",
        &out,
    )?;
    let out = nanowasm(&["run", "--argv0", "prog", ok]);
    check(out.stdout == b"hi prog0\n", "argv0", &out)?;
    // `-W component-model` as wasmtime: on by default, `=n` refuses
    // components (and nothing runs), and the always-on features accept
    // only `=y`.
    let out = nanowasm(&["run", "-W", "component-model=y,component-model-async=y", ok]);
    check(out.stdout == b"hi ok.wasm0\n", "-W component-model=y", &out)?;
    let out = nanowasm(&["run", "-W", "component-model=n", ok]);
    check(
        out.status.code() == Some(1)
            && out.stdout.is_empty()
            && String::from_utf8_lossy(&out.stderr).contains("-W component-model=n"),
        "-W component-model=n",
        &out,
    )?;
    let out = nanowasm(&["run", "-W", "component-model-more-flags=n", ok]);
    check(
        out.status.code() == Some(2)
            && String::from_utf8_lossy(&out.stderr).contains("more than 32 flags"),
        "-W component-model-more-flags=n",
        &out,
    )?;
    // `run` returning err: status 1, silently (as wasmtime).
    let err = temp_file(
        "err.wasm",
        &p2_guest::binary(&p2_guest::command("(func $run (result i32) (i32.const 1))")),
    );
    let out = nanowasm(&["run", err.to_str().unwrap()]);
    check(
        out.status.code() == Some(1) && out.stderr.is_empty(),
        "run returns err",
        &out,
    )?;
    // A trap: 134, as wasmtime.
    let trap = temp_file(
        "trap.wasm",
        &p2_guest::binary(&p2_guest::command("(func $run (result i32) unreachable)")),
    );
    let out = nanowasm(&["run", trap.to_str().unwrap()]);
    check(out.status.code() == Some(134), "trap", &out)?;
    // A canonical ABI trap (a dropped handle): 134 too.
    let abi = temp_file(
        "abi.wasm",
        &p2_guest::binary(&p2_guest::command(
            "(func $run (result i32) (call $drop-output (i32.const 77)) (i32.const 0))",
        )),
    );
    let out = nanowasm(&["run", abi.to_str().unwrap()]);
    check(out.status.code() == Some(134), "ABI trap", &out)?;
    // A loop under --timeout: the interrupt trap.
    let spin = temp_file(
        "spin.wasm",
        &p2_guest::binary(&p2_guest::command(
            "(func $run (result i32) (loop $l (br $l)) (i32.const 0))",
        )),
    );
    let out = nanowasm(&["run", "--timeout", "300ms", spin.to_str().unwrap()]);
    check(
        out.status.code() == Some(134)
            && String::from_utf8_lossy(&out.stderr).contains("interrupt"),
        "timeout",
        &out,
    )?;
    // Not a command.
    let lib = temp_file(
        "lib.wasm",
        &p2_guest::binary(
            r#"(component
              (core module $M (func (export "f") (result i32) (i32.const 1)))
              (core instance $m (instantiate $M))
              (func (export "f") (result u32) (canon lift (core func $m "f"))))"#,
        ),
    );
    let out = nanowasm(&["run", lib.to_str().unwrap()]);
    check(
        out.status.code() == Some(1)
            && String::from_utf8_lossy(&out.stderr).contains("wasi:cli/run"),
        "not a command",
        &out,
    )?;
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![Trial::test("components/text", text_components)];
    let bin = root().join("bin");
    // The programs, when they are there (`tests/components/build.sh`).
    let mut names: Vec<String> = std::fs::read_dir(&bin)
        .map(|d| {
            d.filter_map(|e| {
                let p = e.ok()?.path();
                let stem = p.file_stem()?.to_string_lossy().into_owned();
                (p.extension()? == "wasm").then_some(stem)
            })
            .collect()
        })
        .unwrap_or_default();
    names.sort();
    let have_wasmtime = Command::new("python3")
        .args(["-c", "import wasmtime"])
        .output()
        .is_ok_and(|o| o.status.success());
    let required = std::env::var("NANOWASM_REQUIRE_PEERS").is_ok_and(|v| v == "1");
    let nanowasm = format!("{} run", env!("CARGO_BIN_EXE_nanowasm"));
    for name in &names {
        let (n, cmd) = (name.clone(), nanowasm.clone());
        trials.push(Trial::test(
            format!("components/nanowasm/{name}"),
            move || reference(Some(&cmd), &n),
        ));
        let n = name.clone();
        let trial = Trial::test(format!("components/wasmtime/{name}"), move || {
            if !have_wasmtime {
                return Err(
                    "the Python package `wasmtime` is missing (pip install wasmtime)".into(),
                );
            }
            reference(None, &n)
        });
        trials.push(trial.with_ignored_flag(!have_wasmtime && !required));
    }
    libtest_mimic::run(&args, trials).exit();
}
