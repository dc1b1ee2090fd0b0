//! Finding the spec testsuite, shared by the text crate's tests and bench.

use std::path::{Path, PathBuf};

/// `$NANOWASM_TESTSUITE`, or `../shared/testsuite-2.0` beside the repository.
pub fn testsuite() -> PathBuf {
    if let Ok(dir) = std::env::var("NANOWASM_TESTSUITE") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testsuite-2.0")
}

/// Every `.wast` file below `dir`, sorted.
pub fn wast_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "wast") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// Every `.wast` file of the testsuite; fails (not skips) when it is missing.
#[allow(dead_code)] // not every user of this module needs it
pub fn spec_files() -> Vec<PathBuf> {
    let root = testsuite();
    assert!(
        root.is_dir(),
        "the spec testsuite is missing at {}",
        root.display()
    );
    wast_files(&root)
}
