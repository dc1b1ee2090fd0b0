//! Arbitrary WASI preview1 calls against a scratch directory in a jail
//! with canaries (see `nanowasm_fuzzing::wasi`): no panic, nothing outside
//! the scratch directory changes or leaks, host allocation bounded per
//! call, no call blocks, no descriptor leaks.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Counts what each WASI call allocates and refuses anything past the
/// oracle's per-call limit (the process then aborts: a finding).
#[global_allocator]
static ALLOC: nanowasm_fuzzing::wasi::CountingAlloc = nanowasm_fuzzing::wasi::CountingAlloc;

fuzz_target!(|data: &[u8]| nanowasm_fuzzing::wasi::wasi(data));
