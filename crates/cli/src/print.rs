//! `nanowasm print FILE`: a module as readable WAT.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args as ClapArgs;
use nanowasm_text::{write_module, PrintError};

/// Arguments of `nanowasm print`.
#[derive(ClapArgs)]
pub struct Args {
    /// The module or component (`.wasm` binary, or `.wat` text to
    /// normalize).
    #[arg(value_name = "FILE")]
    input: PathBuf,

    /// Write the text here instead of to stdout.
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,

    /// For a component: print its WIT (the world of its imports and
    /// exports, and the interfaces they name) instead of its text.
    #[arg(long)]
    wit: bool,
}

/// Runs the subcommand. The module is decoded and validated first (with
/// every proposal the front end handles, GC included), so an invalid one
/// writes nothing; then the text streams out line by line
/// through a `BufWriter`, never whole in memory.
pub fn run(args: Args) -> ExitCode {
    let bytes = match crate::input::read_module(&args.input) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if nanowasm_text::is_component(&bytes) {
        return component(&args, &bytes);
    }
    if args.wit {
        eprintln!(
            "{}: --wit needs a component; this is a core module",
            args.input.display()
        );
        return ExitCode::FAILURE;
    }
    // Every proposal the front end reads, GC included (printing runs
    // nothing).
    let features = nanowasm_binary::Features::front_end();
    let module = match nanowasm_binary::decode(bytes, features) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{}: {e}", args.input.display());
            return ExitCode::FAILURE;
        }
    };
    let (result, target) = match &args.output {
        Some(path) => {
            let target = path.display().to_string();
            match File::create(path) {
                Ok(f) => (write_module(&module, features, BufWriter::new(f)), target),
                Err(e) => {
                    eprintln!("{target}: cannot write: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        None => {
            let out = BufWriter::new(std::io::stdout().lock());
            (write_module(&module, features, out), "stdout".to_owned())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(PrintError::Write(e)) => {
            eprintln!("{target}: cannot write: {e}");
            ExitCode::FAILURE
        }
        Err(PrintError::Module(e)) => {
            eprintln!("{}: {e}", args.input.display());
            ExitCode::FAILURE
        }
    }
}

/// `print` of a component: decoded and validated first (so an invalid one
/// writes nothing), then printed whole.
fn component(args: &Args, bytes: &[u8]) -> ExitCode {
    let printed = if args.wit {
        nanowasm_component::print_wit(bytes)
    } else {
        nanowasm_component::decode_and_validate(bytes)
            .and_then(|_| nanowasm_text::print_component(bytes))
    };
    let text = match printed {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: {e}", args.input.display());
            return ExitCode::FAILURE;
        }
    };
    let (result, target) = match &args.output {
        Some(path) => (std::fs::write(path, &text), path.display().to_string()),
        None => (
            std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes()),
            "stdout".to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{target}: cannot write: {e}");
            ExitCode::FAILURE
        }
    }
}
