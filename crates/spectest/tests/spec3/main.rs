//! Runs every `.wast` file of the WebAssembly 3.0 spec testsuite (outside
//! `proposals/`, which holds proposals beyond 3.0) on the interpreter with
//! every proposal nanowasm implements turned on, one trial per file and
//! configuration: `interp/<path>` and `interp-fuel/<path>` (fuel metering
//! on); where the x86-64 compiler is built, also compiled, as
//! `compiled/<path>`, `compiled-fuel/<path>` (fuel and epochs) and
//! `compiled-explicit/<path>` (explicit bounds checks). The compiled trials
//! run with `Strategy::Auto`, the default, and check every module the
//! script loads: either the compiler compiled it, or `Strategy::Compiler`
//! refuses it for one of the features the compiler leaves to the
//! interpreter, GC and exception handling, with an error naming it (see
//! [`REFUSED`]); any other refusal fails the file. Scripts are parsed by
//! nanowasm's own text format.
//!
//! `known_failures.txt` lists the files expected to fail, the 3.0
//! features not implemented yet; it can only shrink: a listed trial that
//! passes fails the run until it is removed.
//!
//! The suite is found through `$NANOWASM_TESTSUITE3` or `../shared/testsuite`
//! beside the repository; the test fails if it is missing.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use libtest_mimic::Arguments;
use nanowasm::{Config, Engine, Features, MemoryBounds, Module, Strategy};

#[path = "../common/ratchet.rs"]
mod ratchet;
use ratchet::{known_failures, ratchet_trial, run_file_checked, wast_files};

/// What `Strategy::Compiler`'s error says when it refuses a module for a
/// feature the interpreter runs alone: GC (its types or instructions), or
/// an exception-handling instruction.
const REFUSED: &[&str] = &[
    "GC (its types and instructions",
    "`throw`",
    "`throw_ref`",
    "`try_table`",
    "`try`",
    "`catch`",
    "`catch_all`",
    "`rethrow`",
    "`delegate`",
];

/// A module check the trials of one configuration share.
type SharedCheck = dyn Fn(&Module, &[u8]) -> Result<(), String> + Send + Sync;

/// The check of the compiled trials: a module `Strategy::Auto` left to the
/// interpreter must be one that `compiler` (the same configuration with
/// `Strategy::Compiler`) refuses for GC or exception handling.
fn compiled_or_refused(compiler: Engine) -> impl Fn(&Module, &[u8]) -> Result<(), String> {
    move |module, bytes| {
        if !module.compiled_functions().is_empty() {
            return Ok(());
        }
        match Module::from_binary(&compiler, bytes) {
            // No functions to compile.
            Ok(m) if m.compiled_functions().is_empty() => Ok(()),
            Ok(_) => Err("`Auto` interpreted a module the compiler compiles".into()),
            Err(e) if REFUSED.iter().any(|r| e.to_string().contains(r)) => Ok(()),
            Err(e) => Err(format!(
                "the compiler refuses the module, not for GC or exceptions: {e}"
            )),
        }
    }
}

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
        compiled.strategy(Strategy::Auto);
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
        let check: Option<Arc<SharedCheck>> = prefix.starts_with("compiled").then(|| {
            let mut compiler = config.clone();
            compiler.strategy(Strategy::Compiler);
            Arc::new(compiled_or_refused(Engine::new(&compiler))) as Arc<_>
        });
        for path in &files {
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let name = format!("{prefix}/{rel}");
            let path = path.clone();
            let config = config.clone();
            let check = check.clone();
            trials.push(ratchet_trial(name, &known, move || {
                let check = check
                    .as_deref()
                    .map(|c| c as &nanowasm_spectest::ModuleCheck);
                run_file_checked(&path, &config, check)
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
