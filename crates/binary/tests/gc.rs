//! Typed function references and GC (Wasm 3.0) in the decoder and
//! validator: reference types with concrete and abstract heap types,
//! subtyping, rec groups and their iso-recursive equivalence, struct and
//! array types, non-defaultable locals, and every new instruction.
//!
//! Every module of the 3.0 suite's files for these proposals (lowered by
//! the `wat` oracle, including those of `assert_invalid` and
//! `assert_malformed`) gets the same verdict from us as from `wasmparser`
//! configured for what nanowasm implements plus GC.

#[path = "spec/scan.rs"]
#[allow(dead_code)]
mod scan;

use std::path::{Path, PathBuf};

use nanowasm_binary::{Feature, Features};
use scan::Sexp;

fn testsuite3() -> PathBuf {
    if let Ok(dir) = std::env::var("NANOWASM_TESTSUITE3") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testsuite")
}

/// Every supported proposal, typed function references and GC.
fn ours() -> Features {
    let mut f = Features::WASM2;
    f.apply_list("all").unwrap();
    f.with(Feature::Exceptions, true)
        .with(Feature::FunctionReferences, true)
        .with(Feature::Gc, true)
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

/// The text modules of `form` (and of the assertions in it), lowered by
/// the `wat` crate, with their lines.
fn modules(form: &Sexp, src: &str, out: &mut Vec<(usize, Vec<u8>)>) {
    if form.head() == Some("module") {
        let items = form.items();
        let mut i = 1;
        while let Some(Sexp::Atom(a)) = items.get(i) {
            if a.starts_with('$') || a == "definition" {
                i += 1;
            } else {
                break;
            }
        }
        let Sexp::List(_, span) = form else { return };
        let line = src[..span.start].lines().count().max(1);
        match items.get(i) {
            Some(Sexp::Atom(a)) if a == "binary" => {
                let mut bytes = Vec::new();
                for s in &items[i + 1..] {
                    if let Sexp::Str(b) = s {
                        bytes.extend_from_slice(b);
                    }
                }
                out.push((line, bytes));
            }
            Some(Sexp::Atom(a)) if a == "quote" || a == "instance" => {}
            _ => {
                if let Ok(bytes) = wat::parse_str(&src[span.clone()]) {
                    out.push((line, bytes));
                }
            }
        }
        return;
    }
    for item in form.items() {
        if let Sexp::List(..) = item {
            modules(item, src, out);
        }
    }
}

#[test]
fn gc_modules_get_wasmparsers_verdict() {
    let root = testsuite3();
    assert!(
        root.is_dir(),
        "the Wasm 3.0 testsuite is missing at {}",
        root.display()
    );
    let mut failures = Vec::new();
    let (mut accepted, mut rejected) = (0, 0);
    for name in FILES {
        let src = std::fs::read_to_string(root.join(name)).unwrap();
        let mut found = Vec::new();
        for form in scan::parse(&src).unwrap() {
            modules(&form, &src, &mut found);
        }
        for (line, bytes) in found {
            let ours = nanowasm_binary::validate(&bytes, ours());
            let theirs = wasmparser::Validator::new_with_features(theirs()).validate_all(&bytes);
            match (&ours, &theirs) {
                (Ok(()), Ok(_)) => accepted += 1,
                (Err(_), Err(_)) => rejected += 1,
                (Ok(()), Err(e)) => {
                    failures.push(format!("{name}:{line}: we accept, wasmparser rejects: {e}"))
                }
                (Err(e), Ok(_)) => failures.push(format!(
                    "{name}:{line}: we reject ({e}), wasmparser accepts"
                )),
            }
        }
    }
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
