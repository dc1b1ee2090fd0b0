//! Runs every `.wast` file of the WebAssembly 3.0 spec testsuite (outside
//! `proposals/`, which holds proposals beyond 3.0) on the interpreter with
//! every proposal nanowasm implements turned on, one trial per file and
//! configuration: `interp/<path>` and `interp-fuel/<path>` (fuel metering
//! on). Scripts are parsed by nanowasm's own text format.
//!
//! `known_failures.txt` lists the files expected to fail, the 3.0
//! features not implemented yet; it can only shrink: a listed trial that
//! passes fails the run until it is removed.
//!
//! The suite is found through `$NANOWASM_TESTSUITE3` or `../shared/testsuite`
//! beside the repository; the test fails if it is missing.

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use nanowasm::{Config, Features};

#[path = "../common/files.rs"]
mod files;
use files::wast_files;

fn testsuite3() -> PathBuf {
    if let Ok(dir) = std::env::var("NANOWASM_TESTSUITE3") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testsuite")
}

fn run_file(path: &Path, config: &Config) -> Result<(), String> {
    let src = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let script = nanowasm_text::wast::parse_script(&src)
        .map_err(|e| e.display_with(&path.display().to_string(), &src))?;
    let outcome = nanowasm_spectest::run(&script, config);
    if outcome.failures.is_empty() {
        return Ok(());
    }
    let n = outcome.failures.len();
    let shown: Vec<String> = outcome.failures.into_iter().take(10).collect();
    Err(format!(
        "{n} of {} directives failed:\n{}",
        n + outcome.passed,
        shown.join("\n")
    ))
}

fn known_failures() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spec3/known_failures.txt");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

fn main() {
    let args = Arguments::from_args();
    let root = testsuite3();
    assert!(
        root.is_dir(),
        "the Wasm 3.0 testsuite is missing: set NANOWASM_TESTSUITE3 or put it at {}",
        root.display()
    );
    let files: Vec<PathBuf> = wast_files(&root)
        .into_iter()
        .filter(|p| !p.starts_with(root.join("proposals")))
        .collect();
    assert!(
        files.len() >= 264,
        "expected the 264 files of the 3.0 testsuite, found {}",
        files.len()
    );
    let mut all = Features::MVP;
    all.apply_list("all").expect("`all` is a feature list");
    let mut config = Config::new();
    config.features(all);
    let mut fuel = config.clone();
    fuel.consume_fuel(true);
    let known = known_failures();
    let mut trials = Vec::new();
    for (prefix, config) in [("interp", config), ("interp-fuel", fuel)] {
        for path in &files {
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let name = format!("{prefix}/{rel}");
            let expected_to_fail = known.contains(&name);
            let path = path.clone();
            let config = config.clone();
            trials.push(Trial::test(name, move || {
                match (run_file(&path, &config), expected_to_fail) {
                    (Ok(()), false) => Ok(()),
                    (Err(e), false) => Err(Failed::from(e)),
                    (Err(_), true) => Ok(()),
                    (Ok(()), true) => Err(Failed::from(
                        "listed in known_failures.txt but passes: remove it from the list",
                    )),
                }
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
