//! Runs the example and checks its output, and checks that the bare facade
//! it depends on leaves the optional parts out of the dependency graph.

use std::process::Command;

fn minimal(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_minimal"))
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

/// `cargo tree` of this package: the facade with `default-features =
/// false` must not bring the text format, WASI, nanoprocesses, tracing or
/// the demanglers.
#[test]
fn the_bare_facade_leaves_the_optional_crates_out() {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "--offline", "-e", "normal", "--prefix", "none"])
        .args(["-p", env!("CARGO_PKG_NAME")])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
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
    ] {
        assert!(!tree.contains(absent), "{absent}in:\n{tree}");
    }
}
