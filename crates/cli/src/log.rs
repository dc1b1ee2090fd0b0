//! Log output, off unless `NANOWASM_LOG` asks for it (as `WASMTIME_LOG`
//! does for wasmtime).
//!
//! The variable holds a `tracing` filter: a level (`NANOWASM_LOG=debug`),
//! targets with levels (`NANOWASM_LOG=nanowasm_wasi=trace`,
//! `NANOWASM_LOG=info,nanowasm_runtime=debug`), and so on, in
//! `tracing-subscriber`'s `EnvFilter` syntax. The targets are the crates'
//! names and modules: `nanowasm_runtime` (module loads, translation of
//! functions, instantiation, traps), `nanowasm_wasi` (the WASI context's
//! grants; every WASI call at `trace`), `nanowasm_host` (nanoprocesses,
//! grants, cross-process calls, faults). Events go to stderr, one line
//! each; the guest's own output keeps stdout.

use tracing_subscriber::EnvFilter;

/// The environment variable holding the filter.
pub const VAR: &str = "NANOWASM_LOG";

/// Installs a subscriber writing to stderr, filtered by `NANOWASM_LOG`;
/// installs nothing when the variable is unset or empty, so logging costs
/// a level check per event site. A filter that does not parse is reported
/// on stderr and logging stays off: a typo in a debugging aid must not stop
/// the program.
pub fn init() {
    let Some(spec) = std::env::var_os(VAR) else {
        return;
    };
    let Some(spec) = spec.to_str().filter(|s| !s.trim().is_empty()) else {
        if !spec.is_empty() {
            eprintln!("warning: {VAR} is not valid UTF-8; logging stays off");
        }
        return;
    };
    let filter = match EnvFilter::builder().parse(spec) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("warning: {VAR}={spec:?} is not a valid filter ({e}); logging stays off");
            return;
        }
    };
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    if let Err(e) = installed {
        eprintln!("warning: cannot install the {VAR} logger: {e}");
    }
}
