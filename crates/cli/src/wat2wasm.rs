//! `nanowasm wat2wasm IN.wat -o OUT.wasm`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args as ClapArgs;

/// Arguments of `nanowasm wat2wasm`.
#[derive(ClapArgs)]
pub struct Args {
    /// The text module or component.
    #[arg(value_name = "IN")]
    input: PathBuf,

    /// Where to write the binary (default: IN with the extension `.wasm`).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
}

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    let src = match std::fs::read_to_string(&args.input) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}: cannot read: {e}", args.input.display());
            return ExitCode::FAILURE;
        }
    };
    let bytes = match nanowasm_text::parse_wat(&src) {
        Ok(b) => b,
        Err(e) => {
            eprintln!(
                "{}",
                e.display_with(&args.input.display().to_string(), &src)
            );
            return ExitCode::FAILURE;
        }
    };
    let out = args
        .output
        .unwrap_or_else(|| args.input.with_extension("wasm"));
    if let Err(e) = std::fs::write(&out, bytes) {
        eprintln!("{}: cannot write: {e}", out.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
