//! A minimal embedding of nanowasm: the bare engine (the facade with
//! `default-features = false`, which is `no_std` + `alloc`) runs a module
//! from bytes embedded in the program, a sieve of Eratosthenes
//! (`primes.wat`).
//!
//! ```text
//! $ cargo run --release --manifest-path examples/minimal/Cargo.toml -- 1000000
//! primes below 1000000: 78498
//! ```
//!
//! Without an argument it counts the primes below 100000.
//!
//! The program is `#![no_std]` and `#![no_main]`: C's `main` is the entry
//! point and libc the only runtime (the heap, `write`, `abort`; see
//! `crates/no-std-check/src/rt.rs`, included here). So its size is the
//! engine's and the module's, not `std`'s (a stripped `std` hello world is
//! 284 KiB with the same profile, most of it `std`'s backtrace symbolizer).
//! Its `Cargo.toml` is its own workspace, with the size-oriented release
//! profile: `opt-level = "s"`, LTO, one codegen unit, `panic = "abort"`,
//! stripped.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use core::ffi::{c_char, c_int, CStr};
use core::fmt::Write;

use nanowasm::{Engine, Linker, Module, Store};

#[path = "../../../crates/no-std-check/src/rt.rs"]
mod rt;

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

/// The count to sieve below: the first argument, or 100000.
fn parse_args(argc: c_int, argv: *const *const c_char) -> Result<u32, String> {
    if argc < 2 || argv.is_null() {
        return Ok(100_000);
    }
    // SAFETY: the C runtime passes `argc` valid pointers in `argv`, each a
    // NUL-terminated string that lives as long as the program.
    let arg = unsafe { CStr::from_ptr(*argv.add(1)) }.to_string_lossy();
    arg.parse::<u32>().map_err(|e| {
        let mut msg = String::new();
        let _ = write!(msg, "`{arg}` is not a count (0 to {}): {e}", u32::MAX);
        msg
    })
}

/// The C entry point, called by the C runtime's start-up code.
#[no_mangle]
pub extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    let mut out = String::new();
    let result = parse_args(argc, argv).and_then(|below| {
        count_primes(below)
            .map(|count| (below, count))
            .map_err(|e| alloc::format!("{e}"))
    });
    match result {
        Ok((below, count)) => {
            let _ = writeln!(out, "primes below {below}: {count}");
            rt::print(1, &out);
            0
        }
        Err(e) => {
            let _ = writeln!(out, "minimal: {e}");
            rt::print(2, &out);
            1
        }
    }
}
