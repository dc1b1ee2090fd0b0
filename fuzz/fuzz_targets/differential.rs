//! wasm-smith module (all 2.0 features, NaNs canonicalized, everything
//! exported) → nanowasm's compiler (the default strategy, where it supports
//! the module), nanowasm's interpreter and wasmi: same results, traps,
//! globals, tables, memories.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(wasm) = nanowasm_fuzzing::generate_for_differential(data) {
        nanowasm_fuzzing::differential::differential(&wasm);
    }
});
