//! Builds `examples/minimal` (a `#![no_std]`, `#![no_main]` program on
//! libc with its own panic handler, the bare facade with
//! `default-features = false`), runs it and checks its output, and checks
//! that the bare facade leaves the optional parts out of the dependency
//! graph. The build fails if anything in the engine links `std`.
//!
//! The example is its own workspace (see its `Cargo.toml`), so this test runs
//! a nested `cargo build` into a directory of this workspace's target.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn manifest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/minimal/Cargo.toml")
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The example, built once (debug profile: the test checks behaviour; CI
/// builds the release profile for the size).
fn exe() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let target_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("minimal");
        let build = Command::new(cargo())
            .args(["build", "--locked", "--manifest-path"])
            .arg(manifest())
            .arg("--target-dir")
            .arg(&target_dir)
            .output()
            .expect("cargo runs");
        assert!(
            build.status.success(),
            "building examples/minimal failed (does something link std?):\n{}",
            String::from_utf8_lossy(&build.stderr)
        );
        target_dir.join("debug/minimal")
    })
}

fn minimal(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(exe())
        .args(args)
        .output()
        .expect("the example runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn counts_primes() {
    assert_eq!(
        minimal(&[]),
        (true, "primes below 100000: 9592\n".into(), String::new())
    );
    assert_eq!(
        minimal(&["1000000"]),
        (true, "primes below 1000000: 78498\n".into(), String::new())
    );
    assert_eq!(
        minimal(&["2"]),
        (true, "primes below 2: 0\n".into(), String::new())
    );
}

#[test]
fn rejects_a_bad_argument() {
    let (ok, stdout, stderr) = minimal(&["many"]);
    assert!(!ok);
    assert_eq!(stdout, "");
    assert!(
        stderr.starts_with("minimal: `many` is not a count"),
        "{stderr}"
    );
}

/// `cargo tree` of the example: the facade with `default-features =
/// false` must not bring the text format, WASI, nanoprocesses, tracing,
/// the demanglers, or the system interfaces that linear memory in virtual
/// memory needs (`rustix`, `libc`).
#[test]
fn the_bare_facade_leaves_the_optional_crates_out() {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "--locked",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .arg("--manifest-path")
        .arg(manifest())
        .output()
        .expect("cargo tree runs");
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{tree}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(tree.contains("nanowasm-runtime "), "{tree}");
    for absent in [
        "nanowasm-text ",
        "nanowasm-wasi ",
        "nanowasm-host ",
        "tracing ",
        "rustc-demangle ",
        "cpp_demangle ",
        "rustix ",
        "libc ",
    ] {
        assert!(!tree.contains(absent), "{absent}in:\n{tree}");
    }
}
