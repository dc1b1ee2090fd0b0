//! Generators and oracles for fuzzing nanowasm, shared by the cargo-fuzz
//! targets (`fuzz/`) and the smoke tests (`tests/smoke.rs`).
//!
//! Every oracle takes raw fuzzer input and panics on a finding (a wrong
//! result, a disagreement, or a panic inside nanowasm); returning means the
//! input was handled correctly. Inputs that are not interesting (a module
//! the generator could not build) just return.

use arbitrary::Unstructured;

pub mod differential;
pub mod oracles;
pub mod wasi;

/// A wasm-smith configuration for WebAssembly 2.0: every 2.0 proposal on
/// (SIMD, bulk memory, reference types, multi-value, ...), everything newer
/// off, no imports, memories small enough to hash.
pub fn config_2_0(u: &mut Unstructured<'_>) -> arbitrary::Result<wasm_smith::Config> {
    let mut c: wasm_smith::Config = u.arbitrary()?;
    c.simd_enabled = true;
    c.bulk_memory_enabled = true;
    c.reference_types_enabled = true;
    c.multi_value_enabled = true;
    c.saturating_float_to_int_enabled = true;
    c.sign_extension_ops_enabled = true;
    c.relaxed_simd_enabled = false;
    c.threads_enabled = false;
    c.shared_everything_threads_enabled = false;
    c.tail_call_enabled = false;
    c.exceptions_enabled = false;
    c.gc_enabled = false;
    c.memory64_enabled = false;
    c.custom_page_sizes_enabled = false;
    c.wide_arithmetic_enabled = false;
    c.extended_const_enabled = false;
    c.custom_descriptors_enabled = false;
    c.compact_imports_enabled = false;
    c.acquire_release_atomics_enabled = false;
    c.multibyte_array_access_enabled = false;
    c.max_memories = c.max_memories.min(1);
    c.max_tables = c.max_tables.min(4);
    c.max_imports = 0;
    c.min_imports = 0;
    c.max_memory32_bytes = c.max_memory32_bytes.min(1 << 20);
    c.max_table_elements = c.max_table_elements.min(1_000);
    c.allow_invalid_funcs = false;
    c.generate_custom_sections = false;
    Ok(c)
}

/// The proposals nanowasm implements, every one on: what the oracles
/// decode, validate and print with.
pub fn features() -> nanowasm_binary::Features {
    let mut f = nanowasm_binary::Features::WASM2;
    f.apply_list("all").expect("`all` is a feature list");
    f
}

/// What the front end (decoder, validator, text format) handles: every
/// proposal the engines run, and GC (with typed function references),
/// which the engines do not run yet.
pub fn front_end_features() -> nanowasm_binary::Features {
    nanowasm_binary::Features::front_end()
}

/// Like [`generate`], with GC (and so typed function references, which
/// wasm-smith ties to it) switched on in some modules: for the oracles of
/// the front end alone.
pub fn generate_front_end(data: &[u8]) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(data);
    let mut config = config_3_0(&mut u).ok()?;
    config.gc_enabled = u.arbitrary().ok()?;
    let module = wasm_smith::Module::new(config, &mut u).ok()?;
    Some(module.to_bytes())
}

/// Like [`generate_for_differential`], for the comparison with wasmtime
/// ([`differential::against_wasmtime`]): exception handling on, GC (with
/// typed function references) in some modules, and without SIMD (the
/// Python API has no `v128` values).
pub fn generate_for_wasmtime(data: &[u8]) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(data);
    let mut config = config_3_0(&mut u).ok()?;
    config.exceptions_enabled = true;
    config.gc_enabled = u.arbitrary().ok()?;
    // At least one tag, so functions can throw.
    config.min_tags = 1;
    config.max_tags = config.max_tags.max(1);
    config.min_types = config.min_types.max(1);
    config.max_types = config.max_types.max(1);
    config.min_funcs = 2;
    config.max_funcs = config.max_funcs.max(2);
    config.simd_enabled = false;
    config.relaxed_simd_enabled = false;
    config.export_everything = true;
    config.canonicalize_nans = true;
    config.allow_start_export = true;
    let module = wasm_smith::Module::new(config, &mut u).ok()?;
    Some(module.to_bytes())
}

/// [`config_2_0`] and, each switched on in some modules, the Wasm 3.0
/// proposals that nanowasm implements and wasm-smith generates: tail
/// calls, extended constant expressions, multi-memory (up to three
/// memories), memory64 (64-bit memories and tables), exception handling
/// (tags, `throw`, `throw_ref`, `try_table`) and relaxed SIMD.
pub fn config_3_0(u: &mut Unstructured<'_>) -> arbitrary::Result<wasm_smith::Config> {
    let mut c = config_2_0(u)?;
    c.exceptions_enabled = u.arbitrary()?;
    c.tail_call_enabled = u.arbitrary()?;
    c.extended_const_enabled = u.arbitrary()?;
    c.relaxed_simd_enabled = u.arbitrary()?;
    c.memory64_enabled = u.arbitrary()?;
    c.max_memory64_bytes = c.max_memory64_bytes.min(1 << 20);
    c.max_memories = u.int_in_range(1..=3)?;
    Ok(c)
}

/// A valid module generated from `data`: WebAssembly 2.0 and the 3.0
/// proposals of [`config_3_0`].
pub fn generate(data: &[u8]) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(data);
    let config = config_3_0(&mut u).ok()?;
    let module = wasm_smith::Module::new(config, &mut u).ok()?;
    Some(module.to_bytes())
}

/// Like [`generate`], for differential execution: every entity exported
/// and NaNs canonicalized, so results and memories are comparable across
/// engines; and, in some modules, the Wasm 3.0 proposals that both
/// nanowasm and the oracle (wasmi 1.x) implement: tail calls, extended
/// constant expressions, multi-memory and memory64 (64-bit memories and
/// tables).
pub fn generate_for_differential(data: &[u8]) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(data);
    let mut config = config_3_0(&mut u).ok()?;
    // wasmi's relaxed SIMD choices are not ours, and it has no exceptions.
    config.relaxed_simd_enabled = false;
    config.exceptions_enabled = false;
    config.export_everything = true;
    config.canonicalize_nans = true;
    config.allow_start_export = true;
    let module = wasm_smith::Module::new(config, &mut u).ok()?;
    Some(module.to_bytes())
}
