//! wasm-smith module (2.0, the 3.0 proposals nanowasm implements, GC in
//! some modules) → instantiate and run every export with fuel and limits:
//! traps are fine, panics are not.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(wasm) = nanowasm_fuzzing::generate_front_end(data) {
        nanowasm_fuzzing::oracles::execute(&wasm);
    }
});
