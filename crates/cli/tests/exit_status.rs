//! `proc_exit` statuses through `nanowasm run`, as wasmtime treats them: a
//! status in `0..126` is the process's exit status; any other (as `u32`,
//! so negative ones too) is refused as an invalid exit status, which is
//! reported and exits with 1, instead of being truncated to 8 bits (where
//! 256 would read as success).

use std::path::PathBuf;
use std::process::{Command, Output};

fn module(status: i32) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nanowasm-exit-status-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("exit_{}.wat", status as u32));
    let wat = format!(
        r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const {status})) unreachable))"#
    );
    std::fs::write(&path, wat).unwrap();
    path
}

fn run(status: i32) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .arg("run")
        .arg(module(status))
        .output()
        .expect("run nanowasm")
}

#[test]
fn statuses_below_126_are_the_exit_status() {
    for status in [0, 3, 125] {
        let out = run(status);
        assert_eq!(
            out.status.code(),
            Some(status),
            "proc_exit({status}): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "proc_exit({status}) printed an error"
        );
    }
}

#[test]
fn statuses_from_126_are_an_error_exiting_1() {
    for status in [126, 255, 256, 512, -1] {
        let out = run(status);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "proc_exit({status}): {stderr}");
        assert!(
            stderr.contains("invalid exit status"),
            "proc_exit({status}): {stderr}"
        );
    }
}

/// The same statuses from a nanoprocess under `run --manifest`.
#[test]
fn manifest_processes_follow_the_same_rule() {
    for (status, code) in [(3, 3), (256, 1), (-1, 1)] {
        let wat = module(status);
        let wasm = wat.with_extension("wasm");
        let built = Command::new(env!("CARGO_BIN_EXE_nanowasm"))
            .arg("wat2wasm")
            .arg(&wat)
            .arg("-o")
            .arg(&wasm)
            .status()
            .unwrap();
        assert!(built.success());
        let manifest = wat.with_extension("toml");
        std::fs::write(
            &manifest,
            format!(
                "[run]\nentry = \"p\"\n\n[[process]]\nname = \"p\"\nmodule = \"{}\"\n",
                wasm.file_name().unwrap().to_str().unwrap()
            ),
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_nanowasm"))
            .arg("run")
            .arg("--manifest")
            .arg(&manifest)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(code),
            "proc_exit({status}): {stderr}"
        );
        if code == 1 {
            assert!(stderr.contains("invalid exit status"), "{stderr}");
        }
    }
}
