//! `nanowasm compile MODULE [-o OUT]`: wasmtime's ahead-of-time compilation
//! to a `.cwasm` artifact, which `nanowasm run --allow-precompiled` (and
//! `Module::deserialize_file`) load without compiling again.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args as ClapArgs;
use nanowasm::{Config, Engine, Module, Strategy};

use crate::opts::{self, GroupParser, Setting, Value};

/// Arguments of `nanowasm compile`.
#[derive(ClapArgs)]
pub struct Args {
    /// The module (binary or text).
    #[arg(value_name = "MODULE")]
    module: PathBuf,

    /// Where to write the artifact (default: the module's path with the
    /// extension `.cwasm`).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,

    /// The settings compiled into the code.
    #[command(flatten)]
    settings: Settings,
}

/// The settings compiled into the code, shared by `nanowasm compile` and
/// `nanowasm objdump`.
#[derive(ClapArgs)]
pub struct Settings {
    /// Proposals and the settings compiled into the code (wasmtime's
    /// `-W`): `fuel=N` and `epoch-interruption` (or `timeout=...`) compile
    /// fuel metering and epoch checks in; `nanowasm run` must then be given
    /// them too, since an artifact loads only into an engine of the same
    /// settings.
    #[arg(short = 'W', long = "wasm", value_name = "KEY[=VAL[,..]]", value_parser = GroupParser(&opts::WASM))]
    wasm: Vec<Vec<Setting>>,

    /// Code generation (wasmtime's `-C`): `strategy=compiler` (the
    /// default here: a module the compiler does not support yet is an
    /// error) or `strategy=auto` (such a module's artifact then holds only
    /// its WebAssembly, which the interpreter runs).
    #[arg(short = 'C', long = "codegen", value_name = "KEY[=VAL[,..]]", value_parser = GroupParser(&opts::CODEGEN))]
    codegen: Vec<Vec<Setting>>,

    /// Tuning (wasmtime's `-O`): `signals-based-traps=n` compiles explicit
    /// bounds checks instead of relying on guard regions; `nanowasm run`
    /// must then be given it too.
    #[arg(short = 'O', long = "optimize", value_name = "KEY[=VAL[,..]]", value_parser = GroupParser(&opts::OPTIMIZE))]
    optimize: Vec<Vec<Setting>>,
}

impl Settings {
    /// The engine configuration these settings describe.
    pub(crate) fn config(&self) -> Result<Config, String> {
        let mut config = Config::new();
        config.features(opts::features(opts::flatten(&self.wasm))?);
        for s in opts::flatten(&self.wasm) {
            match (s.key, &s.value) {
                ("fuel", Value::Num(_)) => {
                    config.consume_fuel(true);
                }
                ("epoch-interruption", Value::Bool(b)) => {
                    config.epoch_interruption(*b);
                }
                ("timeout", Value::Duration(_)) => {
                    config.epoch_interruption(true);
                }
                ("all-proposals", _) | (_, Value::Bool(_)) => {}
                (key, _) => return Err(format!("-W {key}: does not apply to compilation")),
            }
        }
        let strategy = opts::strategy(opts::flatten(&self.codegen))?.unwrap_or(Strategy::Compiler);
        if strategy == Strategy::Interpreter {
            return Err("-C strategy=interpreter: nothing to compile ahead of time".into());
        }
        config.strategy(strategy);
        if let Some(avx2) = opts::avx2(opts::flatten(&self.codegen)) {
            config.avx2(avx2);
        }
        if let Some(bounds) = opts::memory_bounds(opts::flatten(&self.optimize)) {
            config.memory_bounds(bounds);
        }
        Ok(config)
    }
}

/// Runs the subcommand: exit 0 with the artifact written, 1 on an error
/// (printed), 2 for bad options.
pub fn run(args: Args) -> ExitCode {
    let config = match args.settings.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("nanowasm compile: {e}");
            return ExitCode::from(2);
        }
    };
    let engine = Engine::new(&config);
    let result = crate::input::read_module(&args.module)
        .and_then(|bytes| Module::new(&engine, &bytes).map_err(|e| e.to_string()))
        .and_then(|m| m.serialize().map_err(|e| e.to_string()));
    let artifact = match result {
        Ok(a) => a,
        Err(e) => {
            eprintln!(
                "Error: failed to compile `{}`\n\nCaused by:\n    {e}",
                args.module.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| args.module.with_extension("cwasm"));
    if let Err(e) = std::fs::write(&out, artifact) {
        eprintln!("Error: failed to write `{}`: {e}", out.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
