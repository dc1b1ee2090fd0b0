//! `nanowasm validate FILE...`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args as ClapArgs;

/// Arguments of `nanowasm validate`.
#[derive(ClapArgs)]
pub struct Args {
    /// WebAssembly modules or components (`.wasm` binaries or `.wat`
    /// text).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Proposals to enable or disable, comma-separated: `simd`,
    /// `-bulk-memory`, `gc`, `all`, `mvp`. On by default, as for `run`: the
    /// WebAssembly 2.0 proposals (mutable-global, sign-extension,
    /// saturating-float-to-int, multi-value, reference-types, bulk-memory,
    /// simd) and the implemented 3.0 ones (tail-call, extended-const,
    /// multi-memory, memory64, exceptions, function-references,
    /// relaxed-simd). `gc` (and `all`, which includes it) validates GC
    /// modules, which `run` does not run yet.
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    features: Option<String>,
}

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    let mut features = nanowasm::Config::new().get_features();
    if let Some(list) = &args.features {
        if let Err(e) = features.apply_list_front_end(list) {
            eprintln!("error: --features: {e}");
            return ExitCode::from(2);
        }
    }
    let mut ok = true;
    for path in &args.files {
        let bytes = match crate::input::read_module(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{e}");
                ok = false;
                continue;
            }
        };
        // A component (binary version `0x0d`, layer 1): its decoder and
        // structural validator (core modules inside are validated with
        // every proposal the front end reads, whatever `--features` says).
        if nanowasm_text::is_component(&bytes) {
            if let Err(e) = nanowasm_component::decode_and_validate(&bytes) {
                eprintln!("{}: {e}", path.display());
                ok = false;
            }
            continue;
        }
        if let Err(e) = nanowasm_binary::validate(&bytes, features) {
            eprintln!("{}: {e}", path.display());
            ok = false;
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
