//! Typed function references and GC (Wasm 3.0) in the decoder and
//! validator: reference types with concrete and abstract heap types,
//! subtyping, rec groups and their iso-recursive equivalence, struct and
//! array types, non-defaultable locals, and every new instruction.
//!
//! Every module of the 3.0 suite's files for these proposals (lowered by
//! the `wat` oracle, including those of `assert_invalid` and
//! `assert_malformed`) gets the same verdict from us as from `wasmparser`
//! configured for what nanowasm implements plus GC.

mod common;

use nanowasm_binary::Features;

/// Every proposal the front end reads: the supported ones and GC.
fn ours() -> Features {
    Features::front_end()
}

fn theirs() -> wasmparser::WasmFeatures {
    use wasmparser::WasmFeatures as W;
    W::WASM2
        | W::EXCEPTIONS
        | W::LEGACY_EXCEPTIONS
        | W::TAIL_CALL
        | W::EXTENDED_CONST
        | W::MULTI_MEMORY
        | W::MEMORY64
        | W::RELAXED_SIMD
        | W::FUNCTION_REFERENCES
        | W::GC
        | W::GC_TYPES
}

#[test]
fn gc_modules_get_wasmparsers_verdict() {
    let (accepted, rejected, failures) = common::compare_verdicts(FILES, ours(), theirs());
    eprintln!(
        "typed-reference and GC modules: {accepted} accepted and {rejected} rejected by both"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        accepted >= 300 && rejected >= 100,
        "only {accepted} + {rejected} modules"
    );
}

/// The suite's files for typed function references and GC, and those of
/// other features that use them.
const FILES: &[&str] = &[
    "array.wast",
    "array_copy.wast",
    "array_fill.wast",
    "array_init_data.wast",
    "array_init_elem.wast",
    "array_new_data.wast",
    "array_new_elem.wast",
    "br_on_cast.wast",
    "br_on_cast_fail.wast",
    "br_on_non_null.wast",
    "br_on_null.wast",
    "br_table.wast",
    "call_ref.wast",
    "data.wast",
    "elem.wast",
    "extern.wast",
    "global.wast",
    "i31.wast",
    "instance.wast",
    "linking.wast",
    "local_init.wast",
    "ref.wast",
    "ref_as_non_null.wast",
    "ref_cast.wast",
    "ref_eq.wast",
    "ref_is_null.wast",
    "ref_null.wast",
    "ref_test.wast",
    "return_call_ref.wast",
    "struct.wast",
    "table-sub.wast",
    "table.wast",
    "table_init.wast",
    "table_init64.wast",
    "tag.wast",
    "try_table.wast",
    "type-canon.wast",
    "type-equivalence.wast",
    "type-rec.wast",
    "type-subtyping.wast",
    "unreached-valid.wast",
    "unreached-invalid.wast",
    "select.wast",
    "func.wast",
    "local_tee.wast",
    "block.wast",
    "if.wast",
    "loop.wast",
];
