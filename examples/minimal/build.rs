//! Encodes `primes.wat` into `$OUT_DIR/primes.wasm` with nanowasm's text
//! encoder, so no binary module is committed. The program embeds the binary
//! and so needs no text format support itself.

include!("../../crates/text/build-support/encode_wat.rs");

fn main() {
    encode_wat("primes.wat", "primes.wasm");
}
