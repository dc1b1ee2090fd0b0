//! Arbitrary bytes → decode + validate. Must return Ok or an error: never
//! panic, never hang, bounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nanowasm_core::Features;

fuzz_target!(|data: &[u8]| {
    let _ = nanowasm_binary::validate(data, Features::default());
    // Also through the owning API, which builds the `Module`.
    let _ = nanowasm_binary::decode(data.to_vec(), Features::default());
});
