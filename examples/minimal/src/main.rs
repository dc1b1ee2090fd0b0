//! A minimal embedding of nanowasm: the bare engine (the facade with
//! `default-features = false`) runs a module from bytes embedded in the
//! program, a sieve of Eratosthenes (`primes.wat`).
//!
//! ```text
//! $ cargo run -p nanowasm-example-minimal --profile minimal -- 1000000
//! primes below 1000000: 78498
//! ```
//!
//! Without an argument it counts the primes below 100000. The size-oriented
//! `minimal` profile (workspace `Cargo.toml`) builds it with `opt-level =
//! "s"`, LTO, one codegen unit, `panic = "abort"` and stripped symbols.

use std::process::ExitCode;

use nanowasm::{Engine, Linker, Module, Store};

/// `primes.wat`, encoded by the build script.
static PRIMES_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/primes.wasm"));

fn count_primes(below: u32) -> nanowasm::Result<u32> {
    let engine = Engine::default();
    let module = Module::new(&engine, PRIMES_WASM)?;
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &module)?;
    let count_primes = instance.get_typed_func::<u32, u32>(&mut store, "count_primes")?;
    count_primes.call(&mut store, below)
}

fn main() -> ExitCode {
    let below = match std::env::args().nth(1) {
        None => 100_000,
        Some(arg) => match arg.parse::<u32>() {
            Ok(n) => n,
            Err(e) => {
                eprintln!("minimal: `{arg}` is not a count (0 to {}): {e}", u32::MAX);
                return ExitCode::FAILURE;
            }
        },
    };
    match count_primes(below) {
        Ok(count) => {
            println!("primes below {below}: {count}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("minimal: {e}");
            ExitCode::FAILURE
        }
    }
}
