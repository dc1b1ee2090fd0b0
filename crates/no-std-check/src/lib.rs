//! Proof that `nanowasm-core`, `nanowasm-binary` and the engine
//! (`nanowasm-runtime`: the interpreter and the embedding API) build and run
//! without `std`.
//!
//! This crate is `#![no_std]` and depends on the three with
//! `default-features = false`. Its binary (`src/main.rs`) brings its own
//! `#[panic_handler]` and is built with `panic = "abort"`: if anything in the
//! dependency graph linked `std`, the build would fail with "duplicate lang
//! item in crate `std`: `panic_impl`". `.ci/run` builds and runs it, and so
//! does the test `crates/binary/tests/no_std.rs`.
//!
//! It is not a member of the workspace (it has its own `[workspace]` and
//! profiles), because in the workspace Cargo's feature unification would turn
//! `std` back on and the `panic = "abort"` profile would apply to every crate.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use nanowasm_binary::reader::Reader;
use nanowasm_binary::{decode, Error, Features, Module, OperatorReader};
use nanowasm_core::Opcode;
use nanowasm_runtime::{Caller, Engine, Extern, Linker, Module as RtModule, Store, TrapCode};

/// The module the check decodes and validates: `src/check.wat`, encoded by
/// the build script.
pub static MODULE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/check.wasm"));

/// What [`summarize`] found in a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Entries in the type section.
    pub types: usize,
    /// Imports of any kind.
    pub imports: usize,
    /// Functions defined by the module (not imported).
    pub functions: usize,
    /// Exports of any kind.
    pub exports: usize,
    /// Instructions in all function bodies, each final `end` included.
    pub instructions: usize,
    /// Bytes in all data segments.
    pub data_bytes: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} types, {} imports, {} functions, {} exports, {} instructions, {} data bytes",
            self.types,
            self.imports,
            self.functions,
            self.exports,
            self.instructions,
            self.data_bytes
        )
    }
}

/// Decodes and validates `bytes` with the default (Wasm 2.0) features, then
/// reads every function body again instruction by instruction.
pub fn summarize(bytes: &[u8]) -> Result<Summary, Error> {
    let features = Features::default();
    let module: Module = decode(bytes, features)?;
    let mut instructions = 0;
    for body in &module.bodies {
        let mut reader = Reader::new(&module.bytes[..body.code.end]);
        reader.bytes(body.code.start)?;
        let mut ops = OperatorReader::new(reader, features);
        while !ops.is_empty() {
            ops.read()?;
            instructions += 1;
        }
    }
    Ok(Summary {
        types: module.types.len(),
        imports: module.imports.len(),
        functions: module.bodies.len(),
        exports: module.exports.len(),
        instructions,
        data_bytes: module.datas.iter().map(|d| d.range.len()).sum(),
    })
}

/// Checks [`MODULE`]: it must decode to the expected [`Summary`]; every
/// prefix of it that ends inside a section (a truncated module) and a copy
/// with a bad opcode must be rejected with an error, not a panic. Returns
/// the summary and the error for the bad opcode, or what went wrong.
pub fn check() -> Result<(Summary, Error), CheckFailure> {
    let summary = summarize(MODULE).map_err(CheckFailure::Rejected)?;
    if summary != EXPECTED {
        return Err(CheckFailure::Unexpected(summary));
    }
    let ends = section_ends(MODULE).map_err(CheckFailure::Rejected)?;
    for len in 0..MODULE.len() {
        // A prefix that stops between sections is a smaller module, which
        // may be valid; one that stops inside a section is not.
        if summarize(&MODULE[..len]).is_ok() && !ends.contains(&len) {
            return Err(CheckFailure::AcceptedPrefix(len));
        }
    }
    let mut bad = Vec::from(MODULE);
    let at = find_opcode(&bad, Opcode::I32Mul).ok_or(CheckFailure::NoMul)?;
    // 0x27 is not an opcode, in Wasm 2.0 nor in any proposal.
    bad[at] = 0x27;
    match summarize(&bad) {
        Ok(_) => Err(CheckFailure::AcceptedBadOpcode(at)),
        Err(e) => Ok((summary, e)),
    }
}

/// The offsets where the header and each section of `bytes` end.
fn section_ends(bytes: &[u8]) -> Result<Vec<usize>, Error> {
    let mut r = Reader::new(bytes);
    r.bytes(8)?;
    let mut ends = vec![r.offset()];
    while !r.is_empty() {
        r.u8()?;
        let size = r.u32()?;
        r.bytes(size as usize)?;
        ends.push(r.offset());
    }
    Ok(ends)
}

/// Where the one `i32.mul` of [`MODULE`]'s code is, found by decoding (so
/// a change to `check.wat` cannot make the check patch the wrong byte).
fn find_opcode(bytes: &[u8], wanted: Opcode) -> Option<usize> {
    let features = Features::default();
    let module = decode(bytes, features).ok()?;
    for body in &module.bodies {
        let mut reader = Reader::new(&module.bytes[..body.code.end]);
        reader.bytes(body.code.start).ok()?;
        let mut ops = OperatorReader::new(reader, features);
        while !ops.is_empty() {
            let at = ops.offset();
            if ops.read().ok()?.op == wanted {
                return Some(at);
            }
        }
    }
    None
}

/// What [`run`] computed with the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    /// `apply(1, 6, 7)`: `call_indirect` through the table to `$mul`.
    pub product: i32,
    /// `sum_to(100000)`: a loop of 100,000 iterations.
    pub sum: i64,
    /// `splat_sum(10)`: SIMD.
    pub simd: i32,
    /// What the host function `env.log` read from linear memory.
    pub logged: String,
    /// `apply(7, 1, 2)`, an index past the table: the trap's message, with
    /// its wasm backtrace.
    pub trap: String,
}

impl fmt::Display for Ran {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "6*7 = {}, sum 1..=100000 = {}, simd {}, logged {:?}, trapped: {}",
            self.product,
            self.sum,
            self.simd,
            self.logged,
            self.trap.lines().next().unwrap_or_default()
        )
    }
}

/// Runs [`MODULE`] in the engine: instantiates it with a host function that
/// reads the guest's memory, calls its exports, and checks that a bad
/// indirect call traps with the right code (an error, not a panic).
pub fn run() -> Result<Ran, nanowasm_runtime::Error> {
    let engine = Engine::default();
    let module = RtModule::new(&engine, MODULE)?;
    let mut store = Store::new(&engine, String::new());
    let mut linker = Linker::new(&engine);
    linker.func_wrap(
        "env",
        "log",
        |mut caller: Caller<'_, String>,
         at: i32,
         len: i32|
         -> Result<(), nanowasm_runtime::Error> {
            let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
                return Err(nanowasm_runtime::Error::host("no memory export"));
            };
            let mut bytes = vec![0; len as u32 as usize];
            memory.read(&caller, at as u32 as usize, &mut bytes)?;
            *caller.data_mut() = String::from_utf8_lossy(&bytes).into_owned();
            Ok(())
        },
    )?;
    let instance = linker.instantiate(&mut store, &module)?;
    let apply = instance.get_typed_func::<(i32, i32, i32), i32>(&mut store, "apply")?;
    let sum_to = instance.get_typed_func::<i32, i64>(&mut store, "sum_to")?;
    let splat_sum = instance.get_typed_func::<i32, i32>(&mut store, "splat_sum")?;
    let product = apply.call(&mut store, (1, 6, 7))?;
    let sum = sum_to.call(&mut store, 100_000)?;
    let simd = splat_sum.call(&mut store, 10)?;
    let trap = match apply.call(&mut store, (7, 1, 2)) {
        Err(e) if e.trap_code() == Some(TrapCode::UndefinedElement) => e.to_string(),
        Err(e) => return Err(e),
        Ok(v) => {
            return Err(nanowasm_runtime::Error::host(format!(
                "apply(7, 1, 2) returned {v} instead of trapping"
            )))
        }
    };
    Ok(Ran {
        product,
        sum,
        simd,
        logged: store.data().clone(),
        trap,
    })
}

/// What `check.wat` contains.
pub const EXPECTED: Summary = Summary {
    types: 5,
    imports: 1,
    functions: 5,
    exports: 4,
    instructions: 45,
    data_bytes: 19,
};

/// Why [`check`] failed.
#[derive(Debug)]
pub enum CheckFailure {
    /// The module was rejected.
    Rejected(Error),
    /// The module decoded to something else than [`EXPECTED`].
    Unexpected(Summary),
    /// A copy truncated inside a section, to this many bytes, was accepted.
    AcceptedPrefix(usize),
    /// The module has no `i32.mul` to corrupt.
    NoMul,
    /// A copy with an invalid opcode at this offset was accepted.
    AcceptedBadOpcode(usize),
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckFailure::Rejected(e) => write!(f, "check.wasm was rejected: {e}"),
            CheckFailure::Unexpected(s) => {
                write!(f, "check.wasm decoded to {s}, expected {EXPECTED}")
            }
            CheckFailure::AcceptedPrefix(len) => {
                write!(f, "check.wasm truncated to {len} bytes was accepted")
            }
            CheckFailure::NoMul => f.write_str("check.wasm has no i32.mul"),
            CheckFailure::AcceptedBadOpcode(at) => {
                write!(f, "check.wasm with opcode 0x27 at {at:#x} was accepted")
            }
        }
    }
}

impl core::error::Error for CheckFailure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_passes() {
        let (summary, bad_opcode) = check().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(summary, EXPECTED);
        assert_eq!(bad_opcode.message(), "illegal opcode 0x27");
        assert_eq!(bad_opcode.func_name(), Some("mul"));
    }

    #[test]
    fn the_engine_runs_the_module() {
        let ran = run().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ran.product, 42);
        assert_eq!(ran.sum, 5_000_050_000);
        assert_eq!(ran.simd, 14);
        assert_eq!(ran.logged, "checked without std");
        assert_eq!(
            ran.trap,
            "wasm trap: undefined element\nwasm backtrace:\n  0: check!func 3 at offset 0xaa"
        );
    }

    #[test]
    fn summarize_rejects_what_is_not_a_module() {
        let e = summarize(b"").unwrap_err();
        assert_eq!(e.message(), "unexpected end");
        let e = summarize(b"\0asm\x02\0\0\0").unwrap_err();
        assert_eq!(e.message(), "unknown binary version");
    }

    #[test]
    fn section_ends_of_the_module() {
        let ends = section_ends(MODULE).unwrap();
        assert_eq!(ends.first(), Some(&8));
        assert_eq!(ends.last(), Some(&MODULE.len()));
        assert!(ends.windows(2).all(|w| w[0] < w[1]));
    }
}
