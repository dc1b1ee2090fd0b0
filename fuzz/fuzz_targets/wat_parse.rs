//! Arbitrary text → the WAT and WAST parsers: Ok or an error, never a
//! panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nanowasm_fuzzing::oracles::wat_parse(data));
