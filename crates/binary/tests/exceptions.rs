//! The exception-handling proposal (Wasm 3.0) in the decoder and
//! validator: tags, `throw`, `throw_ref`, `try_table` and `exnref`, and the
//! legacy `try`/`catch`/`catch_all`/`rethrow`/`delegate`.
//!
//! Every module of the 3.0 suite's exception files (lowered by the `wat`
//! oracle, including those of `assert_invalid` and `assert_malformed`)
//! gets the same verdict from us as from `wasmparser` configured for what
//! nanowasm implements plus exceptions, legacy ones included.

mod common;

use nanowasm_binary::{Feature, Features};

/// Every supported proposal (typed function references and GC among
/// them), and exceptions.
fn ours() -> Features {
    let mut f = Features::WASM2;
    f.apply_list("all").unwrap();
    f.with(Feature::Exceptions, true)
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
fn exception_modules_get_wasmparsers_verdict() {
    let files = [
        "throw.wast",
        "throw_ref.wast",
        "try_table.wast",
        "tag.wast",
        "legacy/throw.wast",
        "legacy/rethrow.wast",
        "legacy/try_catch.wast",
        "legacy/try_delegate.wast",
    ];
    let (accepted, rejected, failures) = common::compare_verdicts(&files, ours(), theirs());
    eprintln!("exception modules: {accepted} accepted and {rejected} rejected by both");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        accepted >= 10 && rejected >= 20,
        "only {accepted} + {rejected} modules"
    );
}

/// The rules a back end relies on, each with the message a user sees.
#[test]
fn invalid_exception_code_is_rejected_with_the_reason() {
    let cases: &[(&str, &str)] = &[
        // A catch clause whose label takes other values than the tag's.
        (
            r#"(module (tag $e (param i32))
                 (func (drop (block $l (result i64) (try_table (catch $e $l)) (i64.const 0)))))"#,
            "catch clause",
        ),
        (
            r#"(module (func (block (try_table (catch_all_ref 0)))))"#,
            "catch clause",
        ),
        (r#"(module (func (throw 0)))"#, "unknown tag 0"),
        (
            r#"(module (func (i32.const 0) (throw_ref)))"#,
            "type mismatch",
        ),
        (
            r#"(module (tag (param i32)) (func (throw 0)))"#,
            "type mismatch",
        ),
        (
            r#"(module (func (block (rethrow 0))))"#,
            "invalid rethrow label",
        ),
        (
            r#"(module (type (func (result i32))) (tag (type 0)))"#,
            "non-empty tag result type",
        ),
    ];
    for (src, message) in cases {
        let bytes = wat::parse_str(src).unwrap();
        let err = nanowasm_binary::validate(&bytes, ours()).expect_err(src);
        assert!(err.to_string().contains(message), "{src}: {err}");
    }
    // Without the proposal, the same constructs name it.
    let bytes = wat::parse_str(r#"(module (tag) (func (throw 0)))"#).unwrap();
    let err = nanowasm_binary::validate(&bytes, Features::WASM2).unwrap_err();
    assert!(err.to_string().contains("`exceptions`"), "{err}");
}
