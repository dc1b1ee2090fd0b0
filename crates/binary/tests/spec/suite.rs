//! Finding the spec testsuite, its `.wast` files and the module of each
//! directive: shared by the `spec` test and the `visitor` test (which
//! includes this file and `scan.rs` with `#[path]`).

use std::path::{Path, PathBuf};

use crate::scan::Sexp;

/// The 2.0 testsuite: `$NANOWASM_TESTSUITE`, or `../shared/testsuite-2.0`
/// beside the repository.
pub fn testsuite() -> PathBuf {
    if let Ok(dir) = std::env::var("NANOWASM_TESTSUITE") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testsuite-2.0")
}

/// Every `.wast` file under `dir`, sorted.
pub fn wast_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "wast") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// What a module form is.
pub enum ModuleSrc<'a> {
    Binary(Vec<u8>),
    Text(&'a str),
    Quote,
}

/// The module of a `(module ...)` form; `src` is the whole script.
pub fn module_src<'a>(form: &Sexp, src: &'a str) -> ModuleSrc<'a> {
    let items = form.items();
    let mut i = 1;
    if let Some(Sexp::Atom(a)) = items.get(i) {
        if a.starts_with('$') {
            i += 1;
        }
    }
    match items.get(i) {
        Some(Sexp::Atom(a)) if a == "binary" => {
            let mut bytes = Vec::new();
            for s in &items[i + 1..] {
                if let Sexp::Str(b) = s {
                    bytes.extend_from_slice(b);
                }
            }
            ModuleSrc::Binary(bytes)
        }
        Some(Sexp::Atom(a)) if a == "quote" => ModuleSrc::Quote,
        _ => match form {
            Sexp::List(_, span) => ModuleSrc::Text(&src[span.clone()]),
            _ => ModuleSrc::Quote,
        },
    }
}
