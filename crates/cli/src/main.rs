//! `nanowasm`: the command-line interface.
//!
//! Subcommands and flags follow wasmtime's where both have them, so a user
//! can switch by changing the binary name: `nanowasm foo.wasm` runs the
//! module (`run` is implied), `-W`/`-S`/`-C`/`-O`/`-D` take wasmtime's
//! option groups, and errors print as wasmtime's do (`Error:` and the
//! `Caused by:` chain). docs/wasmtime-cli.md compares every command and
//! flag.
// One `unsafe` call: loading a precompiled artifact the user allowed
// (`run --allow-precompiled`, in `run.rs`).
#![deny(unsafe_code)]

mod compile;
mod input;
mod log;
mod objdump;
mod opts;
mod print;
mod run;
mod settings;
mod validate;
mod wast;
mod wat2wasm;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A WebAssembly runtime written from scratch in Rust.
#[derive(Parser)]
#[command(
    name = "nanowasm",
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true,
    after_help = "If a subcommand is not provided, the `run` subcommand will be used \
                  (as in wasmtime).\n\n\
                  Usage examples:\n\n  \
                  Running a WebAssembly module with a start function:\n    \
                  nanowasm example.wasm\n\n  \
                  Passing command line arguments to a WebAssembly module:\n    \
                  nanowasm example.wasm arg1 arg2 arg3\n\n  \
                  Invoking a specific function (e.g. `add`) in a WebAssembly module:\n    \
                  nanowasm --invoke add example.wasm 1 2\n\n  \
                  As cargo's runner for wasm32-wasip1:\n    \
                  CARGO_TARGET_WASM32_WASIP1_RUNNER=nanowasm cargo test --target wasm32-wasip1"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    run: run::Args,
}

#[derive(Subcommand)]
enum Command {
    /// Run a WebAssembly module: `_initialize` if it exports one, then its
    /// `_start` function, or the function named by `--invoke`, whose results
    /// are printed one per line.
    ///
    /// Exit status: the guest's `proc_exit` status; 134 if the module traps
    /// or throws an exception nothing catches (as wasmtime); 1 for any other
    /// error.
    Run(Box<run::Args>),
    /// Print the engine's settings (proposals, limits, strategy) and the
    /// host's CPU features.
    Settings(settings::Args),
    /// Compile a module ahead of time to a `.cwasm` artifact, which
    /// `run --allow-precompiled` loads without compiling again.
    Compile(compile::Args),
    /// Disassemble the machine code the compiler makes for a module, or
    /// that a `.cwasm` artifact holds, function by function (Intel syntax).
    Objdump(objdump::Args),
    /// Decode and validate WebAssembly binaries (modules or components).
    ///
    /// Prints nothing and exits 0 when every file is a valid module. For each
    /// file that is not, prints `FILE: MESSAGE (in function N `name`, at
    /// `instr`, offset 0x..)` to stderr (the spec's message first, then
    /// what was expected and found); the exit status is then 1. Components
    /// (binary or text) get the component decoder's structural checks.
    Validate(validate::Args),
    /// Run WebAssembly spec scripts (`.wast`): prints `FILE: N passed, M
    /// failed` per file and each failure; exit status 1 if any failed.
    Wast(wast::Args),
    /// Translate a text module or component (`.wat`) to binary (`.wasm`).
    Wat2wasm(wat2wasm::Args),
    /// Print a module or component as text (WAT), with names from its
    /// `name` (or `component-name`) section.
    ///
    /// The output parses back (`nanowasm wat2wasm`) to the same bytes for
    /// modules in canonical encoding.
    Print(print::Args),
    /// Print a completion script for SHELL (bash, elvish, fish, powershell,
    /// zsh) to stdout, e.g. `eval "$(nanowasm completion bash)"`.
    Completion {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Prints `e` as wasmtime's CLI does (anyhow's `{:?}`): `Error: ` and the
/// outermost message, then every cause under `Caused by:`, numbered when
/// there are several, multi-line messages indented. A cause whose text
/// repeats the one before it (an error wrapping its source with the same
/// message) is printed once.
pub(crate) fn report(e: &anyhow::Error) {
    eprint!("{}", render(e));
}

fn render(e: &anyhow::Error) -> String {
    let mut levels: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if levels.last() != Some(&text) {
            levels.push(text);
        }
    }
    let mut out = format!("Error: {}\n", levels[0]);
    let causes = &levels[1..];
    if !causes.is_empty() {
        out.push_str("\nCaused by:\n");
        for (i, c) in causes.iter().enumerate() {
            let (head, pad) = if causes.len() == 1 {
                ("    ".to_owned(), "    ")
            } else {
                (format!("    {i}: "), "       ")
            };
            out.push_str(&head);
            out.push_str(&c.replace('\n', &format!("\n{pad}")));
            out.push('\n');
        }
    }
    out
}

fn main() -> ExitCode {
    log::init();
    let cli = Cli::parse();
    match cli.command {
        None => run::run(cli.run),
        Some(Command::Run(args)) => run::run(*args),
        Some(Command::Settings(args)) => settings::run(args),
        Some(Command::Compile(args)) => compile::run(args),
        Some(Command::Objdump(args)) => objdump::run(args),
        Some(Command::Validate(args)) => validate::run(args),
        Some(Command::Wast(args)) => wast::run(args),
        Some(Command::Wat2wasm(args)) => wat2wasm::run(args),
        Some(Command::Print(args)) => print::run(args),
        Some(Command::Completion { shell }) => {
            use clap::CommandFactory;
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "nanowasm", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_prints_as_anyhow_without_repeats() {
        let e = anyhow::anyhow!("wasm trap: unreachable\nwasm backtrace:\n  0: f")
            .context("failed to invoke `f`")
            .context("failed to run main module `x.wasm`");
        assert_eq!(
            render(&e),
            "Error: failed to run main module `x.wasm`\n\nCaused by:\n    \
             0: failed to invoke `f`\n    \
             1: wasm trap: unreachable\n       wasm backtrace:\n         0: f\n"
        );
        let e = anyhow::anyhow!("inner").context("inner").context("outer");
        assert_eq!(render(&e), "Error: outer\n\nCaused by:\n    inner\n");
        assert_eq!(render(&anyhow::anyhow!("alone")), "Error: alone\n");
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
