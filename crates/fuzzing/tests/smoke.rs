//! A short, deterministic run of every fuzz oracle on pseudo-random inputs,
//! on every `cargo test` (the long campaigns run under cargo-fuzz, see
//! `fuzz/README.md`). A failure prints the seed; `NANOWASM_FUZZ_ITERS`
//! scales the number of inputs.

use nanowasm_fuzzing::{
    differential, generate_for_differential, generate_for_wasmtime, generate_front_end, oracles,
    wasi,
};

/// The `wasi` oracle bounds what each WASI call allocates through this
/// allocator.
#[global_allocator]
static ALLOC: wasi::CountingAlloc = wasi::CountingAlloc;

/// xorshift64*: reproducible bytes without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = (self.next() as usize) % max;
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn iters(default: usize) -> usize {
    std::env::var("NANOWASM_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The oracles run one at a time: the `wasi` oracle counts the process's
/// open descriptors before and after each input to find leaks, and another
/// oracle running beside it (a module's copy-on-write image is a `memfd`)
/// would be counted as its leak.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn each_input(name: &str, n: usize, max_len: usize, f: impl Fn(&[u8])) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for seed in 1..=n as u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let data = rng.bytes(max_len);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&data)));
        if r.is_err() {
            panic!(
                "{name}: finding with seed {seed} ({} input bytes)",
                data.len()
            );
        }
    }
}

#[test]
fn decode_validate() {
    // Random bytes behind a valid header, so sections get parsed.
    each_input("decode_validate", iters(3000), 512, |d| {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend_from_slice(d);
        oracles::decode_validate(&m);
        oracles::decode_validate(d);
    });
}

#[test]
fn wat_parse() {
    each_input("wat_parse", iters(3000), 512, oracles::wat_parse);
    // Text shaped like WAT: random tokens.
    const TOKENS: &[&str] = &[
        "(",
        ")",
        "module",
        "func",
        "param",
        "result",
        "i32",
        "i64.const",
        "local.get",
        "0",
        "$x",
        "block",
        "loop",
        "end",
        "br_if",
        "\"s\"",
        "memory",
        "data",
        "(;",
        ";)",
        "nan:0x1",
        "-0x1p3",
        "v128.const",
        "i8x16",
        "call",
        "export",
        "type",
        "elem",
        "table",
        "funcref",
        "offset=4",
    ];
    each_input("wat_parse tokens", iters(3000), 256, |d| {
        let text: Vec<&str> = d
            .iter()
            .map(|&b| TOKENS[b as usize % TOKENS.len()])
            .collect();
        oracles::wat_parse(text.join(" ").as_bytes());
    });
}

#[test]
fn roundtrip() {
    each_input("roundtrip", iters(400), 4096, |d| {
        if let Some(m) = generate_front_end(d) {
            oracles::roundtrip(&m);
        }
    });
}

#[test]
fn execute() {
    each_input("execute", iters(400), 4096, |d| {
        if let Some(m) = generate_front_end(d) {
            oracles::execute(&m);
        }
    });
}

#[test]
fn differential_against_wasmi() {
    each_input("differential", iters(400), 4096, |d| {
        if let Some(m) = generate_for_differential(d) {
            differential::differential(&m);
        }
    });
}

/// Exception handling (and the rest of what wasm-smith generates but SIMD)
/// against wasmtime, which wasmi lacks: the same outcomes and state for
/// every export. Needs the `wasmtime` Python package (CI installs it and
/// sets `NANOWASM_REQUIRE_PEERS=1`, which makes its absence a failure).
#[test]
fn differential_against_wasmtime() {
    if !differential::have_wasmtime() {
        assert!(
            std::env::var("NANOWASM_REQUIRE_PEERS").as_deref() != Ok("1"),
            "the Python package `wasmtime` is missing (pip install wasmtime)"
        );
        eprintln!("skipped: the Python package `wasmtime` is missing");
        return;
    }
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    let with_tags = AtomicUsize::new(0);
    let with_gc = AtomicUsize::new(0);
    let modules = AtomicUsize::new(0);
    let calls = AtomicUsize::new(0);
    let thrown = AtomicUsize::new(0);
    each_input("differential_wasmtime", iters(500), 4096, |d| {
        if let Some(m) = generate_for_wasmtime(d) {
            modules.fetch_add(1, Relaxed);
            if let Ok(b) =
                nanowasm_binary::decode(m.clone(), nanowasm_fuzzing::front_end_features())
            {
                if !b.tags.is_empty() {
                    with_tags.fetch_add(1, Relaxed);
                }
                if b.types.iter().any(|t| t.composite.as_func().is_none()) {
                    with_gc.fetch_add(1, Relaxed);
                }
            }
            let (c, t) = differential::against_wasmtime(&m);
            calls.fetch_add(c, Relaxed);
            thrown.fetch_add(t, Relaxed);
        }
    });
    let (n, t, g) = (
        modules.into_inner(),
        with_tags.into_inner(),
        with_gc.into_inner(),
    );
    let (c, x) = (calls.into_inner(), thrown.into_inner());
    eprintln!(
        "{n} modules against wasmtime, {t} with tags, {g} with GC types; {c} calls compared, {x} ended in an uncaught exception"
    );
    assert!(t * 2 >= n, "too few modules with exceptions: {t} of {n}");
    assert!(g * 10 >= n, "too few modules with GC types: {g} of {n}");
    assert!(x > 0, "no call threw an exception out of the module");
}

#[test]
fn wasi_calls() {
    assert!(wasi::counting(), "the counting allocator is installed");
    each_input("wasi", iters(300), 2048, wasi::wasi);
}
