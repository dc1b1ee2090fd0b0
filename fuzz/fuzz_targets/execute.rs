//! wasm-smith module (all 2.0 features) → instantiate and run every export
//! with fuel and limits: traps are fine, panics are not.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(wasm) = nanowasm_fuzzing::generate(data) {
        nanowasm_fuzzing::oracles::execute(&wasm);
    }
});
