//! Encodes `primes.wat` into `$OUT_DIR/primes.wasm` with nanowasm's text
//! encoder, so no binary module is committed. The program embeds the binary
//! and so needs no text format support itself.

use std::path::PathBuf;

fn main() {
    let src_path = "primes.wat";
    println!("cargo::rerun-if-changed={src_path}");
    let src = std::fs::read_to_string(src_path).expect("primes.wat is readable");
    let bytes = nanowasm_text::parse_wat(&src)
        .unwrap_or_else(|e| panic!("{}", e.display_with(src_path, &src)));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("primes.wasm"), bytes).expect("OUT_DIR is writable");
}
