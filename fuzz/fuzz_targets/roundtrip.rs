//! wasm-smith module (3.0 proposals and GC included) → print → parse → the
//! same module.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(wasm) = nanowasm_fuzzing::generate_front_end(data) {
        nanowasm_fuzzing::oracles::roundtrip(&wasm);
    }
});
