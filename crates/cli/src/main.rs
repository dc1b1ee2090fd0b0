//! `nanowasm`: the command-line interface.
//!
//! Subcommands and flags follow wasmtime's where both have them, so a user
//! can switch by changing the binary name.
#![forbid(unsafe_code)]

mod input;
mod print;
mod run;
mod validate;
mod wast;
mod wat2wasm;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A WebAssembly runtime written from scratch in Rust.
#[derive(Parser)]
#[command(name = "nanowasm", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode and validate WebAssembly binaries.
    ///
    /// Prints nothing and exits 0 when every file is a valid module. For each
    /// file that is not, prints `FILE: error at offset 0x..: MESSAGE` to
    /// stderr; the exit status is then 1.
    Validate(validate::Args),
    /// Run a WebAssembly module: its `_start` function, or the function
    /// named by `--invoke`, whose results are printed one per line.
    ///
    /// Exit status: 0 on success, 134 if the module traps (as wasmtime),
    /// 1 for any other error.
    Run(run::Args),
    /// Run WebAssembly spec scripts (`.wast`): prints `FILE: N passed, M
    /// failed` per file and each failure; exit status 1 if any failed.
    Wast(wast::Args),
    /// Translate a text module (`.wat`) to a binary module (`.wasm`).
    Wat2wasm(wat2wasm::Args),
    /// Print a module as text (WAT), with names from its `name` section.
    ///
    /// The output parses back (`nanowasm wat2wasm`) to the same bytes for
    /// modules in canonical encoding.
    Print(print::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Run(args) => run::run(args),
        Command::Wast(args) => wast::run(args),
        Command::Wat2wasm(args) => wat2wasm::run(args),
        Command::Print(args) => print::run(args),
    }
}
