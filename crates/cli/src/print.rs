//! `nanowasm print FILE`: a module as readable WAT.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args as ClapArgs;
use nanowasm_core::Features;

/// Arguments of `nanowasm print`.
#[derive(ClapArgs)]
pub struct Args {
    /// The module (`.wasm` binary, or `.wat` text to normalize).
    #[arg(value_name = "FILE")]
    input: PathBuf,

    /// Write the text here instead of to stdout.
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
}

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    let bytes = match crate::input::read_module(&args.input) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let text = match nanowasm_text::print_bytes(&bytes, Features::default()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: {e}", args.input.display());
            return ExitCode::FAILURE;
        }
    };
    let written = match &args.output {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| format!("{}: cannot write: {e}", path.display()))
        }
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| format!("stdout: {e}")),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
