//! Builds every C example in `examples/` (and the API test in `tests/c/`)
//! with `cc` against the static library (`libnanowasm_c.a`, which cargo
//! builds before this test), runs it, and checks its whole output against
//! `NAME.out` beside it.
//!
//! The programs read `NAME.wasm`, which this test encodes from `NAME.wat`
//! with nanowasm's text encoder, so nothing binary is committed. A missing C compiler is a failure, not a skip: set `CC` to
//! use another compiler than `cc`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory of this profile's artifacts (`target/debug`,
/// `target/release`, ...): this test runs from its `deps/` subdirectory.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    exe.parent()
        .and_then(Path::parent)
        .expect("the test runs from target/PROFILE/deps")
        .to_path_buf()
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The static library cargo built for this test: in `deps/` (a test's
/// dependencies are not copied up to the profile directory), the newest
/// `libnanowasm_c*.a` there.
fn static_lib() -> PathBuf {
    let deps = profile_dir().join("deps");
    let newest = std::fs::read_dir(&deps)
        .expect("the deps directory")
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libnanowasm_c") && name.ends_with(".a")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max();
    match newest {
        Some((_, path)) => path,
        None => panic!(
            "no libnanowasm_c*.a in {}: it is built with the crate (crate-type staticlib)",
            deps.display()
        ),
    }
}

/// Compiles `src/NAME.c` into `dir/NAME`.
fn compile(src: &Path, name: &str, dir: &Path) -> PathBuf {
    let lib = static_lib();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let exe = dir.join(name);
    let output = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&exe)
        .arg("-I")
        .arg(crate_dir().join("include"))
        .arg(src.join(format!("{name}.c")))
        .arg(&lib)
        .args(["-lpthread", "-ldl", "-lm"])
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run the C compiler `{cc}` ({e}): install one (Debian: apt-get install gcc) or set CC")
        });
    assert!(
        output.status.success(),
        "{cc} failed on {name}.c:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    exe
}

/// Builds and runs program `src/NAME.c` in a scratch directory holding its
/// module; returns its standard output after checking it succeeded.
fn run(src: &Path, name: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("c-examples")
        .join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("clear the scratch directory");
    }
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    let wat_path = src.join(format!("{name}.wat"));
    if wat_path.exists() {
        let wat = std::fs::read_to_string(&wat_path).expect("read the example's module");
        let wasm = nanowasm_text::parse_wat(&wat)
            .unwrap_or_else(|e| panic!("{}: {e}", wat_path.display()));
        std::fs::write(dir.join(format!("{name}.wasm")), wasm).expect("write the module");
    }
    let exe = compile(src, name, &dir);
    let output = Command::new(&exe)
        .current_dir(&dir)
        .output()
        .expect("run the example");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{name} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Runs program `dir/NAME.c` (`dir` relative to the crate) and compares
/// its output with `dir/NAME.out`.
fn check_in(dir: &str, name: &str) {
    let src = crate_dir().join(dir);
    let expected = std::fs::read_to_string(src.join(format!("{name}.out")))
        .expect("the program's expected output");
    let actual = run(&src, name);
    assert_eq!(actual, expected, "output of {dir}/{name}.c");
}

/// Runs example `examples/NAME.c`.
fn check(name: &str) {
    check_in("examples", name);
}

#[test]
fn hello() {
    check("hello");
}

#[test]
fn callback() {
    check("callback");
}

#[test]
fn memory() {
    check("memory");
}

#[test]
fn trap() {
    check("trap");
}

#[test]
fn global() {
    check("global");
}

#[test]
fn table() {
    check("table");
}

#[test]
fn wasi() {
    check("wasi");
}

#[test]
fn api() {
    check_in("tests/c", "api");
}
