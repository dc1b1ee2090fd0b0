//! Benchmark-only crate: nanowasm's nanoprocess costs measured against
//! wasmtime in the same run (`benches/vs_wasmtime.rs`).
//!
//! The runtime's engine rule keeps every other wasm engine out of its
//! dependency graph; wasmtime is allowed only as a dev-dependency of
//! benchmarks. It lives in this separate, unpublished workspace crate so
//! that no other crate's dev-dependencies pull it in, and this library has
//! no test harness (`test = false`, `doctest = false`), so
//! `cargo test --workspace` never compiles wasmtime: only
//! `cargo bench -p nanowasm-peer-bench` does.
//!
//! The library holds what both sides of the benchmark share: the modules
//! (the host crate's benchmark modules, as text) and the manifest that
//! composes them into a nanowasm `System`.

use std::path::{Path, PathBuf};

/// A small module with one page of memory and no imports.
pub const IDLE_WAT: &str = include_str!("../../host/benches/modules/idle.wat");
/// `echo: (string) -> string` with a bump-allocator `cabi_realloc`.
pub const ECHO_WAT: &str = include_str!("../../host/benches/modules/echo.wat");
/// Calls its import `echo.echo` `n` times with a 100-byte string.
pub const CLIENT_WAT: &str = include_str!("../../host/benches/modules/client.wat");

/// Bytes of the data segment in [`idle_data_wat`].
pub const DATA_BYTES: usize = 64 * 1024;

/// `idle.wat` with an active data segment filling its whole page
/// ([`DATA_BYTES`] of non-zero bytes at offset 0), so instantiation has a
/// memory image to map.
pub fn idle_data_wat() -> String {
    let body = IDLE_WAT
        .trim_end()
        .strip_suffix(')')
        .expect("idle.wat ends with the module's `)`");
    let data: String = "nanowasm".chars().cycle().take(DATA_BYTES).collect();
    format!("{body}\n  (data (i32.const 0) \"{data}\"))\n")
}

/// The benchmark modules, as `(name, binary)`.
pub fn modules() -> Vec<(&'static str, Vec<u8>)> {
    let wasm = |wat: &str| nanowasm_text::parse_wat(wat).expect("benchmark module parses");
    vec![
        ("idle", wasm(IDLE_WAT)),
        ("idle_data64k", wasm(&idle_data_wat())),
        ("echo", wasm(ECHO_WAT)),
        ("client", wasm(CLIENT_WAT)),
    ]
}

/// The manifest composing [`modules`] (relative to the directory
/// [`write_modules`] fills): `client` may call `echo.echo`.
pub const MANIFEST: &str = r#"
[[process]]
name = "echo"
module = "echo.wasm"
[[process]]
name = "client"
module = "client.wasm"
imports = [{ module = "echo", name = "echo", sig = "(string) -> string" }]
[[process]]
name = "idle"
module = "idle.wasm"
[[process]]
name = "idle_data64k"
module = "idle_data64k.wasm"
"#;

/// Writes [`modules`] as `NAME.wasm` into a fresh directory under the
/// system's temporary directory and returns it (manifests name module
/// files).
pub fn write_modules() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nanowasm-peer-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the module directory");
    for (name, wasm) in modules() {
        std::fs::write(dir.join(format!("{name}.wasm")), wasm).expect("write a module");
    }
    dir
}

/// The nanowasm [`System`](nanowasm_host::System) of [`MANIFEST`], with
/// its modules in `dir`.
pub fn system(dir: &Path) -> nanowasm_host::System {
    let manifest = nanowasm_host::Manifest::parse(MANIFEST, dir).expect("manifest parses");
    nanowasm_host::System::new(&manifest).expect("system builds")
}
