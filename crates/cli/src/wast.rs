//! `nanowasm wast FILE...`: runs spec scripts.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args as ClapArgs;
use nanowasm::{Config, Feature};

use crate::opts::{self, GroupParser, Setting, Value};

/// Arguments of `nanowasm wast`.
#[derive(ClapArgs)]
pub struct Args {
    /// `.wast` scripts.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Meter fuel while running (checks that metering changes no result).
    #[arg(long)]
    fuel: bool,

    /// Proposals, as for `run` (wasmtime's `-W`): `tail-call`,
    /// `extended-const`, `all-proposals`, `simd=n`, ...; other `-W` keys do
    /// not apply to scripts.
    #[arg(short = 'W', long = "wasm", value_name = "KEY[=VAL[,..]]", value_parser = GroupParser(&opts::WASM))]
    wasm: Vec<Vec<Setting>>,

    /// Code generation, as for `run` (wasmtime's `-C`): only
    /// `strategy=auto|compiler|interpreter` applies to scripts.
    #[arg(short = 'C', long = "codegen", value_name = "KEY[=VAL[,..]]", value_parser = GroupParser(&opts::CODEGEN))]
    codegen: Vec<Vec<Setting>>,

    /// Tuning, as for `run` (wasmtime's `-O`): `signals-based-traps=n`
    /// runs compiled code with explicit bounds checks.
    #[arg(short = 'O', long = "optimize", value_name = "KEY[=VAL[,..]]", value_parser = GroupParser(&opts::OPTIMIZE))]
    optimize: Vec<Vec<Setting>>,
}

/// Runs the subcommand: prints `FILE: N passed, M failed` per file and the
/// failures; exits 1 if anything failed.
pub fn run(args: Args) -> ExitCode {
    let mut config = Config::new();
    config.consume_fuel(args.fuel);
    for s in opts::flatten(&args.wasm) {
        let proposal = matches!(s.value, Value::Bool(_))
            && (s.key == "all-proposals" || Feature::from_name(s.key).is_some());
        if !proposal {
            eprintln!(
                "nanowasm wast: -W {}: only proposals apply to spec scripts",
                s.key
            );
            return ExitCode::from(2);
        }
    }
    match opts::strategy(opts::flatten(&args.codegen)) {
        Ok(Some(strategy)) => {
            config.strategy(strategy);
        }
        Ok(None) => {}
        Err(e) => {
            eprintln!("nanowasm wast: {e}");
            return ExitCode::from(2);
        }
    }
    match opts::features(opts::flatten(&args.wasm)) {
        Ok(features) => {
            config.features(features);
        }
        Err(e) => {
            eprintln!("nanowasm wast: {e}");
            return ExitCode::from(2);
        }
    }
    if let Some(bounds) = opts::memory_bounds(opts::flatten(&args.optimize)) {
        config.memory_bounds(bounds);
    }
    if let Some(avx2) = opts::avx2(opts::flatten(&args.codegen)) {
        config.avx2(avx2);
    }
    let (mut passed, mut failed) = (0, 0);
    for path in &args.files {
        let name = path.display().to_string();
        let src = match std::fs::read_to_string(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{name}: cannot read: {e}");
                failed += 1;
                continue;
            }
        };
        let script = match nanowasm_text::wast::parse_script(&src) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{}", e.display_with(&name, &src));
                failed += 1;
                continue;
            }
        };
        let outcome = nanowasm_spectest::run(&script, &config);
        println!(
            "{name}: {} passed, {} failed",
            outcome.passed,
            outcome.failures.len()
        );
        for f in &outcome.failures {
            eprintln!("{name}:{f}");
        }
        passed += outcome.passed;
        failed += outcome.failures.len();
    }
    if args.files.len() > 1 {
        println!("total: {passed} passed, {failed} failed");
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
