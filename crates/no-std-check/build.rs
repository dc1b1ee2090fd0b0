//! Encodes `src/check.wat` into `$OUT_DIR/check.wasm` with nanowasm's text
//! encoder, so no binary module is committed. The build script runs on the
//! host with `std`; Cargo resolves its dependencies apart from the
//! `no_std` library's, so this does not link `std` into the check.

use std::path::PathBuf;

fn main() {
    let src_path = "src/check.wat";
    println!("cargo::rerun-if-changed={src_path}");
    let src = std::fs::read_to_string(src_path).expect("src/check.wat is readable");
    let bytes = nanowasm_text::parse_wat(&src)
        .unwrap_or_else(|e| panic!("{}", e.display_with(src_path, &src)));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("check.wasm"), bytes).expect("OUT_DIR is writable");
}
