//! `nanowasm compile`: wasmtime's ahead-of-time compilation to a `.cwasm`
//! artifact. nanowasm has no compiler yet, so the command explains the plan
//! and exits 1 instead of pretending.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Args as ClapArgs;

/// Arguments of `nanowasm compile` (wasmtime's are accepted and ignored:
/// the command cannot run yet).
#[derive(ClapArgs)]
pub struct Args {
    /// The module, and wasmtime's options (`-o OUT`, `--target`, `-W ...`).
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    args: Vec<OsString>,
}

/// The explanation printed by the command.
pub const MESSAGE: &str = "\
Error: `nanowasm compile` is not available yet

Caused by:
    nanowasm runs modules with its interpreter, which translates each function
    on its first call (nothing is compiled to native code, so there is no
    artifact to write). Ahead-of-time compilation arrives with the x86-64 compiler
    (issue 15): a code generator of nanowasm's own, fed by the validating front
    end, with JIT and ahead-of-time artifacts that load without recompiling.
    Until then, run the module directly: `nanowasm run MODULE`.
";

/// Runs the subcommand.
pub fn run(_args: Args) -> ExitCode {
    eprint!("{MESSAGE}");
    ExitCode::FAILURE
}
