//! What the spec tests share: a testsuite folder's `.wast` files, running
//! one with nanowasm's own script parser, and the known-failures ratchet.

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};
use nanowasm::Config;
use nanowasm_spectest::Located;

/// Every `.wast` file below `dir`, sorted.
pub fn wast_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "wast") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Runs the parsed `script` of `path` on an engine configured by `config`;
/// the failures (the first 20) are the error.
#[allow(dead_code)] // Not every test binary uses every entry point.
pub fn run_script(script: &[Located], config: &Config) -> Result<(), String> {
    run_script_checked(script, config, None)
}

/// [`run_script`] with a check of every module the script loads.
pub fn run_script_checked(
    script: &[Located],
    config: &Config,
    check: Option<&nanowasm_spectest::ModuleCheck>,
) -> Result<(), String> {
    let outcome = nanowasm_spectest::run_checked(script, config, check);
    if outcome.failures.is_empty() {
        return Ok(());
    }
    let n = outcome.failures.len();
    let mut shown: Vec<String> = outcome.failures.into_iter().take(20).collect();
    if n > 20 {
        shown.push(format!("... and {} more", n - 20));
    }
    Err(format!(
        "{n} of {} directives failed:\n{}",
        n + outcome.passed,
        shown.join("\n")
    ))
}

/// Parses `path` with nanowasm's script parser and runs it (see
/// [`run_script`]).
#[allow(dead_code)] // Not every test binary uses every entry point.
pub fn run_file(path: &Path, config: &Config) -> Result<(), String> {
    run_file_checked(path, config, None)
}

/// [`run_file`] with a check of every module the script loads.
#[allow(dead_code)] // Not every test binary uses every entry point.
pub fn run_file_checked(
    path: &Path,
    config: &Config,
    check: Option<&nanowasm_spectest::ModuleCheck>,
) -> Result<(), String> {
    let src = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let script = nanowasm_text::wast::parse_script(&src)
        .map_err(|e| e.display_with(&path.display().to_string(), &src))?;
    run_script_checked(&script, config, check)
}

/// The trial names listed in `tests/<list>` (blank lines and `#` comments
/// skipped).
pub fn known_failures(list: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(list);
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// A trial that runs `run`, judged against the known-failures list: a
/// listed trial may fail, and fails the run if it passes (the list can only
/// shrink).
pub fn ratchet_trial(
    name: String,
    known: &[String],
    run: impl FnOnce() -> Result<(), String> + Send + 'static,
) -> Trial {
    let expected_to_fail = known.contains(&name);
    Trial::test(name, move || match (run(), expected_to_fail) {
        (Ok(()), false) | (Err(_), true) => Ok(()),
        (Err(e), false) => Err(Failed::from(e)),
        (Ok(()), true) => Err(Failed::from(
            "listed in known_failures.txt but passes: remove it from the list",
        )),
    })
}
