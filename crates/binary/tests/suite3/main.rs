//! Robustness and feature gating on the Wasm 3.0 spec testsuite.
//!
//! nanowasm implements Wasm 2.0; the 3.0 suite is full of modules using
//! proposals it does not enable yet. For every module of that suite (text
//! modules lowered with the `wat` oracle), this test checks that:
//!
//! * decoding + validation returns (never panics);
//! * the verdict (accept or reject) equals that of `wasmparser` configured
//!   for exactly the Wasm 2.0 feature set, a dev-dependency oracle;
//! * a module rejected because it uses a 3.0 proposal says so: when
//!   wasmparser *with* 3.0 features accepts it, our message names the
//!   missing feature ("feature not enabled") or is a 2.0 validation rule
//!   that the proposal relaxes (listed in `RELAXED_BY_3_0`).
//!
//! Found through `$NANOWASM_TESTSUITE3` or `../shared/testsuite`.

#[path = "../spec/scan.rs"]
mod scan;
// Only `wast_files` is used here; the rest serves the 2.0 tests.
#[allow(dead_code)]
#[path = "../spec/suite.rs"]
mod suite;

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use scan::Sexp;

/// Messages of 2.0 validation rules that a 3.0 proposal lifts, so a valid
/// 3.0 module may legitimately be rejected with them.
const RELAXED_BY_3_0: &[&str] = &[
    "multiple memories",            // multi-memory
    "unknown global",               // extended-const / GC: globals in constant expressions
    "constant expression required", // extended-const
    "type mismatch",                // subtyping (function references, GC)
    "unknown memory",               // multi-memory
    "unknown table",
    "invalid result arity",
];

fn testsuite3() -> PathBuf {
    if let Ok(dir) = std::env::var("NANOWASM_TESTSUITE3") {
        return PathBuf::from(dir);
    }
    if let Ok(dir) = std::env::var("NANOWASM_TESTSUITE") {
        let p = PathBuf::from(dir).join("../testsuite");
        if p.is_dir() {
            return p;
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testsuite")
}

fn modules(form: &Sexp, src: &str, out: &mut Vec<(usize, Vec<u8>)>) {
    if form.head() == Some("module") {
        let items = form.items();
        let mut i = 1;
        if let Some(Sexp::Atom(a)) = items.get(i) {
            if a.starts_with('$') {
                i += 1;
            }
        }
        let Sexp::List(_, span) = form else { return };
        match items.get(i) {
            Some(Sexp::Atom(a)) if a == "binary" => {
                let mut bytes = Vec::new();
                for s in &items[i + 1..] {
                    if let Sexp::Str(b) = s {
                        bytes.extend_from_slice(b);
                    }
                }
                out.push((span.start, bytes));
            }
            Some(Sexp::Atom(a)) if a == "quote" || a == "definition" || a == "instance" => {}
            _ => {
                if let Ok(bytes) = wat::parse_str(&src[span.clone()]) {
                    out.push((span.start, bytes));
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

fn check_file(path: &Path) -> Result<(), String> {
    let src = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let forms = scan::parse(&src)?;
    let mut found = Vec::new();
    for form in &forms {
        modules(form, &src, &mut found);
    }
    let wasm2 = wasmparser::WasmFeatures::WASM2;
    let wasm3 = wasmparser::WasmFeatures::all();
    let mut failures = Vec::new();
    for (start, bytes) in found {
        let line = src[..start].lines().count().max(1);
        let ours = std::panic::catch_unwind(|| {
            nanowasm_binary::validate(&bytes, nanowasm_binary::Features::default())
        });
        let ours = match ours {
            Ok(r) => r,
            Err(_) => {
                failures.push(format!("line {line}: PANIC"));
                continue;
            }
        };
        let theirs2 = wasmparser::Validator::new_with_features(wasm2)
            .validate_all(&bytes)
            .is_ok();
        match (&ours, theirs2) {
            (Ok(()), true) => {}
            (Ok(()), false) => {
                failures.push(format!("line {line}: accepted, wasmparser (2.0) rejects"))
            }
            (Err(e), true) => failures.push(format!(
                "line {line}: rejected ({e}), wasmparser (2.0) accepts"
            )),
            (Err(e), false) => {
                let theirs3 = wasmparser::Validator::new_with_features(wasm3)
                    .validate_all(&bytes)
                    .is_ok();
                let explained = e.message().contains("feature not enabled")
                    || RELAXED_BY_3_0.iter().any(|m| e.message().starts_with(m));
                if theirs3 && !explained {
                    failures.push(format!(
                        "line {line}: valid Wasm 3.0 module rejected without naming a feature: {e}"
                    ));
                }
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

fn main() {
    let args = Arguments::from_args();
    let root = testsuite3();
    assert!(
        root.is_dir(),
        "the Wasm 3.0 testsuite is missing at {}",
        root.display()
    );
    let trials = suite::wast_files(&root)
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            Trial::test(format!("suite3/{name}"), move || {
                check_file(&path).map_err(Failed::from)
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
