//! Builds `crates/no-std-check` (a `#![no_std]`, `#![no_main]` program with
//! its own panic handler that depends on this crate, `nanowasm-core` and
//! `nanowasm-runtime` with `default-features = false`) and runs it: the
//! build fails if any of them links `std`, and the program decodes and
//! validates a module, checks that corrupted copies are rejected, and runs
//! the module in the engine.
//!
//! The check is its own workspace (see its `Cargo.toml`), so this test runs
//! a nested `cargo build` into a directory of this workspace's target.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn no_std_check_builds_and_runs() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../no-std-check/Cargo.toml");
    let target_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-std-check");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let build = Command::new(cargo)
        .arg("build")
        .arg("--locked")
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir)
        .output()
        .expect("cargo runs");
    assert!(
        build.status.success(),
        "building crates/no-std-check failed (does something link std?):\n{}",
        String::from_utf8_lossy(&build.stderr)
    );

    let exe = target_dir.join("debug/nanowasm-no-std-check");
    let run = Command::new(&exe).output().expect("the check runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "{} failed: {stdout}{stderr}",
        exe.display()
    );
    assert_eq!(
        stdout,
        "no_std decode+validate ok: 5 types, 1 imports, 5 functions, 4 exports, \
         45 instructions, 19 data bytes\n\
         rejected a corrupted copy: illegal opcode 0x27 (in function 2 `mul`, offset 0x93)\n\
         no_std engine ok: 6*7 = 42, sum 1..=100000 = 5000050000, simd 14, \
         logged \"checked without std\", trapped: wasm trap: undefined element\n"
    );
    assert_eq!(stderr, "");
}
