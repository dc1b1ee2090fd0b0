//! `nanowasm-translate [--reps N] [--compile | --compile-only] FILE...`: translation
//! throughput of whole modules, for `bench/run` (the start-up section).
//!
//! With `--compile`, the x86-64 compiler's throughput instead: the whole of
//! `Module::new` with `Strategy::Compiler` (decode, and validate and compile
//! every body in one parallel pass), per byte of code section, as wasmtime's
//! `Module::new` is timed; `Module::new` with the interpreter (decode and
//! validate, translation lazy) is printed beside it. `--compile-only` leaves
//! that out (its `interp_new_ms` is 0), so that only the compiler runs, for
//! a profiler.
//!
//! nanowasm translates each function lazily, on its first call; this forces
//! the whole module with `Module::translate_all` and times it apart from
//! `Module::new` (decode + validate). For each of `N` repetitions (default 5)
//! every file is built and translated afresh; the medians over repetitions of
//! the summed times are printed as one JSON line, with MB/s (10^6 bytes) per
//! byte of code section and per byte of module.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use nanowasm_runtime::{Config, Engine, Module, Strategy};

const USAGE: &str =
    "usage: nanowasm-translate [--reps N] [--compile | --compile-only] FILE.wasm...";

struct Args {
    reps: usize,
    compile: bool,
    /// `--compile-only`: `--compile` without the interpreter's `Module::new`.
    compile_only: bool,
    files: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut reps = 5;
    let mut compile = false;
    let mut compile_only = false;
    let mut files = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--reps" => {
                let v = it.next().ok_or("--reps needs a value")?;
                reps = v
                    .parse()
                    .ok()
                    .filter(|&n: &usize| n > 0)
                    .ok_or_else(|| format!("--reps: not a positive integer: {v}"))?;
            }
            "--compile" => compile = true,
            "--compile-only" => (compile, compile_only) = (true, true),
            "-h" | "--help" => return Err(USAGE.into()),
            _ => files.push(a),
        }
    }
    if files.is_empty() {
        return Err(USAGE.into());
    }
    Ok(Args {
        reps,
        compile,
        compile_only,
        files,
    })
}

/// Reads an unsigned LEB128 `u32` at `*pos`, advancing it.
fn leb_u32(bytes: &[u8], pos: &mut usize) -> Option<u32> {
    let mut result: u32 = 0;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        result |= u32::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            return Some(result);
        }
    }
    None
}

/// Size of the code section's contents (section id 10), from the section
/// headers alone; 0 when the module has none.
fn code_section_bytes(bytes: &[u8]) -> Result<usize, String> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err("not a binary WebAssembly module".into());
    }
    let mut pos = 8;
    while pos < bytes.len() {
        let id = bytes[pos];
        pos += 1;
        let size = leb_u32(bytes, &mut pos).ok_or("malformed section size")? as usize;
        if id == 10 {
            return Ok(size);
        }
        pos = pos.checked_add(size).ok_or("section size overflows")?;
    }
    Ok(0)
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn run(args: &Args) -> Result<String, String> {
    let mut modules = Vec::new();
    for f in &args.files {
        let bytes = std::fs::read(f).map_err(|e| format!("{f}: {e}"))?;
        let code = code_section_bytes(&bytes).map_err(|e| format!("{f}: {e}"))?;
        modules.push((f, bytes, code));
    }
    let mut config = Config::new();
    config.strategy(Strategy::Interpreter);
    let engine = Engine::new(&config);
    if args.compile {
        return compile(args, &modules, &engine);
    }
    let (mut news, mut translates) = (Vec::new(), Vec::new());
    for _ in 0..args.reps {
        let (mut new_t, mut tr_t) = (Duration::ZERO, Duration::ZERO);
        for (f, bytes, _) in &modules {
            let t0 = Instant::now();
            let m = Module::new(&engine, bytes).map_err(|e| format!("{f}: Module::new: {e}"))?;
            let t1 = Instant::now();
            m.translate_all()
                .map_err(|e| format!("{f}: translate_all: {e}"))?;
            let t2 = Instant::now();
            new_t += t1 - t0;
            tr_t += t2 - t1;
        }
        news.push(new_t);
        translates.push(tr_t);
    }
    let module_bytes: usize = modules.iter().map(|m| m.1.len()).sum();
    let code_bytes: usize = modules.iter().map(|m| m.2).sum();
    let (new_t, tr_t) = (median(news), median(translates));
    let mb_s = |bytes: usize, t: Duration| bytes as f64 / 1e6 / t.as_secs_f64().max(1e-12);
    Ok(format!(
        "{{\"files\": {}, \"reps\": {}, \"module_bytes\": {module_bytes}, \"code_bytes\": {code_bytes}, \
         \"new_ms\": {:.3}, \"translate_ms\": {:.3}, \"translate_mb_s\": {:.2}, \
         \"translate_module_mb_s\": {:.2}, \"new_mb_s\": {:.2}}}",
        modules.len(),
        args.reps,
        new_t.as_secs_f64() * 1e3,
        tr_t.as_secs_f64() * 1e3,
        mb_s(code_bytes, tr_t),
        mb_s(module_bytes, tr_t),
        mb_s(module_bytes, new_t),
    ))
}

/// `--compile`: `Module::new` with the compiler per module (and with the
/// interpreter, for reference).
fn compile(
    args: &Args,
    modules: &[(&String, Vec<u8>, usize)],
    interp: &Engine,
) -> Result<String, String> {
    let mut config = Config::new();
    config.strategy(Strategy::Compiler);
    let compiler = Engine::new(&config);
    let mut rows = Vec::new();
    for (f, bytes, code) in modules {
        let (mut news, mut fulls, mut drops) = (Vec::new(), Vec::new(), Vec::new());
        let mut error = None;
        for _ in 0..args.reps {
            let t0 = Instant::now();
            if !args.compile_only {
                Module::new(interp, bytes).map_err(|e| format!("{f}: Module::new: {e}"))?;
            }
            let t1 = Instant::now();
            let module = match Module::new(&compiler, bytes) {
                Ok(m) => m,
                Err(e) => {
                    error = Some(e.to_string());
                    break;
                }
            };
            let t2 = Instant::now();
            // Dropped outside the timed call, as wasmtime's `Module` is
            // (its code unmapped, its buffers freed).
            drop(module);
            drops.push(t2.elapsed());
            news.push(t1 - t0);
            fulls.push(t2 - t1);
        }
        let name = std::path::Path::new(f.as_str())
            .file_name()
            .map_or_else(|| f.to_string(), |n| n.to_string_lossy().into_owned());
        rows.push(match error {
            Some(e) => format!("{{\"file\": {name:?}, \"error\": {e:?}}}"),
            None => {
                let (new_t, full_t) = (median(news), median(fulls));
                format!(
                    "{{\"file\": {name:?}, \"code_bytes\": {code}, \"interp_new_ms\": {:.3}, \
                     \"compile_ms\": {:.3}, \"compile_mb_s\": {:.2}, \"drop_ms\": {:.3}}}",
                    new_t.as_secs_f64() * 1e3,
                    full_t.as_secs_f64() * 1e3,
                    *code as f64 / 1e6 / full_t.as_secs_f64().max(1e-12),
                    median(drops).as_secs_f64() * 1e3,
                )
            }
        });
    }
    Ok(format!(
        "{{\"reps\": {}, \"modules\": [{}]}}",
        args.reps,
        rows.join(", ")
    ))
}

fn main() -> ExitCode {
    match parse_args().and_then(|a| run(&a)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nanowasm-translate: {e}");
            ExitCode::FAILURE
        }
    }
}
