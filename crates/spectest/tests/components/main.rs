//! Runs the component model's reference tests (`../shared/component-model-
//! tests`, or `$NANOWASM_COMPONENT_TESTS`) as `nanowasm wast` does: our
//! script parser, component text format, validator and component runtime.
//! In scope: every `.wast` file outside `async/` (WASI 0.3's async, the
//! next step) and the files `nyi.txt` lists (tests that land ahead of
//! implementations). One trial per file and configuration: `interp/<path>`
//! and, where the compiler is built, `compiled/<path>` (`Strategy::Auto`).
//!
//! `counts.txt` lists how many directives of each file pass; it is a
//! ratchet: a file that passes fewer fails its trial, and one that passes
//! more fails it too until the list is updated. `async/` files run as
//! `async/<path>` trials that only report their counts (run with
//! `--nocapture`), and fail only on a panic.
//!
//! The suite must be present: a missing directory fails the run.

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use nanowasm::{Config, Strategy};

fn root() -> PathBuf {
    if let Ok(dir) = std::env::var("NANOWASM_COMPONENT_TESTS") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/component-model-tests")
}

fn wast_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            wast_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "wast") {
            out.push(p);
        }
    }
}

/// `(passed, total)` directives of one file.
fn run(path: &Path, config: &Config) -> Result<(usize, usize, Vec<String>), String> {
    let src = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let script = nanowasm_text::wast::parse_script(&src)
        .map_err(|e| e.display_with(&path.display().to_string(), &src))?;
    let outcome = nanowasm_spectest::run(&script, config);
    let failed = outcome.failures.len();
    Ok((outcome.passed, outcome.passed + failed, outcome.failures))
}

fn main() {
    let args = Arguments::from_args();
    let root = root();
    assert!(
        root.join("nyi.txt").is_file(),
        "the component model's reference tests are missing: set NANOWASM_COMPONENT_TESTS or put them at {}",
        root.display()
    );
    let nyi: Vec<PathBuf> = std::fs::read_to_string(root.join("nyi.txt"))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| root.join(l.trim_start_matches("./")))
        .collect();
    let mut files = Vec::new();
    wast_files(&root, &mut files);
    let counts = include_str!("counts.txt");
    let mut configs = vec![("interp", {
        let mut c = Config::new();
        c.strategy(Strategy::Interpreter);
        c
    })];
    if Strategy::Auto.resolve() == Strategy::Compiler {
        configs.push(("compiled", Config::new()));
    }
    let mut trials = Vec::new();
    for (prefix, config) in configs {
        for path in &files {
            if nyi.contains(path) {
                continue;
            }
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let is_async = rel.starts_with("async/");
            if is_async && prefix != "interp" {
                continue;
            }
            let name = format!("{prefix}/{rel}");
            let want = counts
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{rel} ")))
                .and_then(|r| r.split('/').next()?.parse::<usize>().ok());
            let path = path.clone();
            let config = config.clone();
            trials.push(Trial::test(name, move || {
                let (passed, total, failures) = run(&path, &config).map_err(Failed::from)?;
                println!("{rel} {passed}/{total}");
                if is_async {
                    return Ok(());
                }
                match want {
                    Some(w) if w == passed => Ok(()),
                    Some(w) if passed > w => {
                        Err(format!("{passed}/{total} pass, counts.txt says {w}: raise it").into())
                    }
                    Some(w) => Err(format!(
                        "{passed}/{total} pass, counts.txt says {w}:\n{}",
                        failures.join("\n")
                    )
                    .into()),
                    None => Err(format!("not in counts.txt: {rel} {passed}/{total}").into()),
                }
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
