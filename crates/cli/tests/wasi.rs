//! The WASI conformance programs of `tests/wasi` (C, built with wasi-libc),
//! one trial per program and runtime:
//!
//! - `wasi/nanowasm/NAME` runs `nanowasm run` on it;
//! - `wasi/wasmtime/NAME` runs wasmtime (the Python package `wasmtime`) on
//!   it, so the recorded expectations are shown to be wasmtime's.
//!
//! Both compare stdout, the exit status and the final state of the sandbox
//! (and of the directory beside it, which no program may touch) with
//! `tests/wasi/expected`. The harness that sets up the sandbox and compares
//! is `tests/wasi/reference.py` (Python 3, present wherever CI runs).
//! Without the `wasmtime` package the wasmtime trials are ignored, unless
//! `NANOWASM_REQUIRE_PEERS=1` (set by `.ci/run`) makes them fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::{Arguments, Failed, Trial};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/wasi")
}

fn run(runtime: Option<&str>, name: &str) -> Result<(), Failed> {
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

fn main() {
    let args = Arguments::from_args();
    let mut names: Vec<String> = std::fs::read_dir(root().join("src"))
        .expect("tests/wasi/src")
        .filter_map(|e| {
            let p = e.ok()?.path();
            let stem = p.file_stem()?.to_string_lossy().into_owned();
            (p.extension()? == "c").then_some(stem)
        })
        .collect();
    names.sort();
    assert!(
        names.len() >= 30,
        "expected the WASI programs in tests/wasi/src"
    );
    let have_wasmtime = Command::new("python3")
        .args(["-c", "import wasmtime"])
        .output()
        .is_ok_and(|o| o.status.success());
    let required = std::env::var("NANOWASM_REQUIRE_PEERS").is_ok_and(|v| v == "1");
    let nanowasm = format!("{} run", env!("CARGO_BIN_EXE_nanowasm"));
    let mut trials = Vec::new();
    for name in &names {
        let (n, cmd) = (name.clone(), nanowasm.clone());
        trials.push(Trial::test(format!("wasi/nanowasm/{name}"), move || {
            run(Some(&cmd), &n)
        }));
        let n = name.clone();
        let trial = Trial::test(format!("wasi/wasmtime/{name}"), move || {
            if !have_wasmtime {
                return Err(
                    "the Python package `wasmtime` is missing (pip install wasmtime)".into(),
                );
            }
            run(None, &n)
        });
        trials.push(trial.with_ignored_flag(!have_wasmtime && !required));
    }
    libtest_mimic::run(&args, trials).exit();
}
