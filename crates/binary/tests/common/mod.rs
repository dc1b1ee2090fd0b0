//! What the Wasm 3.0 suite's tests share: finding the suite, lowering its
//! text modules with the `wat` oracle, and comparing our verdicts with
//! `wasmparser`'s.

#[path = "../spec/scan.rs"]
#[allow(dead_code)]
mod scan;

use std::path::{Path, PathBuf};

use nanowasm_binary::Features;
use scan::Sexp;

/// The Wasm 3.0 suite: `$NANOWASM_TESTSUITE3` or `../shared/testsuite`.
pub fn testsuite3() -> PathBuf {
    if let Ok(dir) = std::env::var("NANOWASM_TESTSUITE3") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testsuite")
}

/// The text modules of `form` (and of the assertions in it), lowered by
/// the `wat` crate, with their lines.
pub fn modules(form: &Sexp, src: &str, out: &mut Vec<(usize, Vec<u8>)>) {
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

/// Validates every module of `files` (names relative to the 3.0 suite)
/// with `ours` and with wasmparser configured with `theirs`; returns how
/// many both accepted and both rejected, and a line per disagreement.
pub fn compare_verdicts(
    files: &[&str],
    ours: Features,
    theirs: wasmparser::WasmFeatures,
) -> (usize, usize, Vec<String>) {
    let root = testsuite3();
    assert!(
        root.is_dir(),
        "the Wasm 3.0 testsuite is missing at {}",
        root.display()
    );
    let (mut accepted, mut rejected) = (0, 0);
    let mut failures = Vec::new();
    for name in files {
        let src = std::fs::read_to_string(root.join(name)).unwrap();
        let mut found = Vec::new();
        for form in scan::parse(&src).unwrap() {
            modules(&form, &src, &mut found);
        }
        for (line, bytes) in found {
            let ours = nanowasm_binary::validate(&bytes, ours);
            let theirs = wasmparser::Validator::new_with_features(theirs).validate_all(&bytes);
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
    (accepted, rejected, failures)
}
