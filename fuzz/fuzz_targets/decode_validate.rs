//! Arbitrary bytes → decode + validate. Must return Ok or an error (the
//! same from both entry points): never panic, never hang, bounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nanowasm_fuzzing::oracles::decode_validate(data));
