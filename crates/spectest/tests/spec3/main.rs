//! Runs every `.wast` file of the WebAssembly 3.0 spec testsuite (outside
//! `proposals/`, which holds proposals beyond 3.0) on the interpreter with
//! every proposal nanowasm implements turned on, one trial per file and
//! configuration: `interp/<path>` and `interp-fuel/<path>` (fuel metering
//! on); where the x86-64 compiler is built, also with `Strategy::Compiler`
//! as `compiled/<path>`, `compiled-fuel/<path>` (fuel and epochs) and
//! `compiled-explicit/<path>` (explicit bounds checks), where
//! a module the compiler does not support fails its file (so the list
//! below says which 3.0 features the compiler lacks). Scripts are parsed by
//! nanowasm's own text format.
//!
//! `known_failures.txt` lists the files expected to fail, the 3.0
//! features not implemented yet; it can only shrink: a listed trial that
//! passes fails the run until it is removed.
//!
//! The suite is found through `$NANOWASM_TESTSUITE3` or `../shared/testsuite`
//! beside the repository; the test fails if it is missing.

use std::path::{Path, PathBuf};

use libtest_mimic::Arguments;
use nanowasm::{Config, Features, MemoryBounds, Strategy};

#[path = "../common/ratchet.rs"]
mod ratchet;
use ratchet::{known_failures, ratchet_trial, run_file, wast_files};

fn testsuite3() -> PathBuf {
    if let Ok(dir) = std::env::var("NANOWASM_TESTSUITE3") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testsuite")
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
    config.features(all).strategy(Strategy::Interpreter);
    let mut fuel = config.clone();
    fuel.consume_fuel(true);
    let mut configs = vec![("interp", config.clone()), ("interp-fuel", fuel)];
    if Strategy::Auto.resolve() == Strategy::Compiler {
        let mut compiled = config;
        compiled.strategy(Strategy::Compiler);
        let mut compiled_fuel = compiled.clone();
        compiled_fuel.consume_fuel(true).epoch_interruption(true);
        let mut explicit = compiled.clone();
        explicit.memory_bounds(MemoryBounds::Explicit);
        let guard = compiled.get_guard_regions();
        configs.push(("compiled", compiled));
        configs.push(("compiled-fuel", compiled_fuel));
        // Explicit bounds checks too, where guard regions are the default.
        if guard {
            configs.push(("compiled-explicit", explicit));
        }
    }
    let known = known_failures("spec3/known_failures.txt");
    let mut trials = Vec::new();
    for (prefix, config) in configs {
        for path in &files {
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let name = format!("{prefix}/{rel}");
            let path = path.clone();
            let config = config.clone();
            trials.push(ratchet_trial(name, &known, move || {
                run_file(&path, &config)
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
