//! Encodes `src/check.wat` into `$OUT_DIR/check.wasm` with nanowasm's text
//! encoder, so no binary module is committed. The build script runs on the
//! host with `std`; Cargo resolves its dependencies apart from the
//! `no_std` library's, so this does not link `std` into the check.

include!("../text/build-support/encode_wat.rs");

fn main() {
    encode_wat("src/check.wat", "check.wasm");
}
