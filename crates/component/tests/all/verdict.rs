//! Our verdict against wasmparser's on every component of the component
//! model's reference tests (`../shared/component-model-tests`, outside
//! `async/` and `nyi.txt`).

use std::path::{Path, PathBuf};

use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, WastExecute};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/component-model-tests")
}

fn wast_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            wast_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "wast") {
            out.push(p);
        }
    }
}

/// The reference test files in scope.
pub(crate) fn in_scope() -> Vec<PathBuf> {
    let root = root();
    let nyi = std::fs::read_to_string(root.join("nyi.txt")).unwrap_or_default();
    let skip: Vec<PathBuf> = nyi
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| root.join(l.trim_start_matches("./")))
        .collect();
    let mut files = Vec::new();
    wast_files(&root, &mut files);
    files
        .into_iter()
        .filter(|p| !p.starts_with(root.join("async")) && !skip.contains(p))
        .collect()
}

fn collect<'a>(d: WastDirective<'a>, out: &mut Vec<QuoteWat<'a>>) {
    match d {
        WastDirective::Module(m)
        | WastDirective::ModuleDefinition(m)
        | WastDirective::AssertMalformed { module: m, .. }
        | WastDirective::AssertInvalid { module: m, .. } => out.push(m),
        WastDirective::AssertUnlinkable { module, .. } => out.push(QuoteWat::Wat(module)),
        WastDirective::AssertTrap { exec, .. }
        | WastDirective::AssertReturn { exec, .. }
        | WastDirective::AssertException { exec, .. } => {
            if let WastExecute::Wat(w) = exec {
                out.push(QuoteWat::Wat(w));
            }
        }
        WastDirective::Thread(t) => {
            for d in t.directives {
                collect(d, out);
            }
        }
        _ => {}
    }
}

/// Every component binary the in-scope files hold, with where it came from.
pub(crate) fn components() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for path in in_scope() {
        let text = std::fs::read_to_string(&path).expect("read .wast");
        let name = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        let Ok(buf) = ParseBuffer::new(&text) else {
            continue;
        };
        let Ok(wast) = parser::parse::<Wast>(&buf) else {
            eprintln!("{name}: wast does not parse");
            continue;
        };
        let mut mods = Vec::new();
        for d in wast.directives {
            collect(d, &mut mods);
        }
        for (i, mut m) in mods.into_iter().enumerate() {
            if let Ok(bytes) = m.encode() {
                if bytes.get(4..8) == Some(&[0x0d, 0, 1, 0]) {
                    out.push((format!("{name}#{i}"), bytes));
                }
            }
        }
    }
    out
}

fn theirs(bytes: &[u8]) -> Result<(), String> {
    // The default features plus `implements` names, maps and fixed-length
    // lists (wasmtime's `-W component-model-map` and
    // `-W component-model-fixed-length-lists`), async and threading (whose
    // built-ins are validated; async functions, which are not, are counted
    // as unsupported).
    let mut features = wasmparser::WasmFeatures::default();
    features.set(wasmparser::WasmFeatures::CM_ASYNC, true);
    features.set(wasmparser::WasmFeatures::CM_ASYNC_STACKFUL, true);
    features.set(wasmparser::WasmFeatures::CM_MORE_ASYNC_BUILTINS, true);
    features.set(wasmparser::WasmFeatures::CM_THREADING, true);
    features.set(wasmparser::WasmFeatures::CM_MAP, true);
    features.set(wasmparser::WasmFeatures::CM_FIXED_LENGTH_LISTS, true);
    features.set(wasmparser::WasmFeatures::CM_IMPLEMENTS, true);
    wasmparser::Validator::new_with_features(features)
        .validate_all(bytes)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// The expected counts, a ratchet: the test fails if agreement drops, and
/// also if it rises without these numbers being raised with it (so a
/// change in the validator's verdicts is always a visible change here).
/// Components we reject and wasmparser accepts must stay at zero.
const EXPECTED_TOTAL: usize = 674;
/// Components on which both validators agree (wasmparser runs with the
/// async, stackful async, threading, map, fixed-list and implements
/// features on).
const EXPECTED_AGREE: usize = 672;
/// Components we accept and wasmparser rejects: two, on purpose, because
/// the reference tests (the authority `nanowasm wast` answers to) say they
/// are valid:
/// - `validation/kebab.wast` imports `a1` and `a-1` side by side;
///   wasmparser 0.263 drops hyphens when it compares names.
/// - `binary/binary.wast` sets the `cancellable` immediate (1) of
///   `waitable-set.poll`, `thread.yield` and `thread.yield-then-promote`;
///   wasmparser 0.263 follows component-model#716, which the reference
///   tests (commit 6d28164) predate, and takes only 0 there.
const EXPECTED_WE_ACCEPT: usize = 2;
/// Components wasmparser accepts that use what we report as unsupported.
const EXPECTED_UNSUPPORTED: usize = 0;

#[test]
fn verdicts_agree_with_wasmparser() {
    let all = components();
    assert!(
        !all.is_empty(),
        "no component tests found under {:?}",
        root()
    );
    let (mut agree_ok, mut agree_err, mut we_accept, mut we_reject) = (0, 0, 0, 0);
    let mut unsupported = 0;
    let mut accept_list = Vec::new();
    let mut reject_list = Vec::new();
    for (name, bytes) in &all {
        let ours = std::panic::catch_unwind(|| nanowasm_component::decode_and_validate(bytes))
            .unwrap_or_else(|_| panic!("{name}: panicked"));
        match (ours, theirs(bytes)) {
            (Ok(_), Ok(())) => agree_ok += 1,
            (Err(_), Err(_)) => agree_err += 1,
            (Ok(_), Err(e)) => {
                we_accept += 1;
                accept_list.push(format!("{name}: {e}"));
            }
            (Err(e), Ok(())) => {
                we_reject += 1;
                if e.kind() == nanowasm_component::ErrorKind::Unsupported {
                    unsupported += 1;
                    eprintln!("  unsupported: {name}: {e}");
                } else {
                    reject_list.push(format!("{name}: {e} ({:?})", e.kind()));
                }
            }
        }
    }
    eprintln!(
        "components: {}; agree: {} ({} valid, {} invalid); we accept, wasmparser rejects: {}; \
         we reject, wasmparser accepts: {} (of which unsupported: {unsupported})",
        all.len(),
        agree_ok + agree_err,
        agree_ok,
        agree_err,
        we_accept,
        we_reject
    );
    for l in &accept_list {
        eprintln!("  we accept: {l}");
    }
    for l in &reject_list {
        eprintln!("  WE REJECT: {l}");
    }
    assert!(
        reject_list.is_empty(),
        "components wasmparser accepts were rejected"
    );
    let got = (all.len(), agree_ok + agree_err, we_accept, unsupported);
    let want = (
        EXPECTED_TOTAL,
        EXPECTED_AGREE,
        EXPECTED_WE_ACCEPT,
        EXPECTED_UNSUPPORTED,
    );
    assert_eq!(
        got, want,
        "(components, agree, we accept, unsupported) changed: if the validator got better, update the \
         EXPECTED_* constants in verdict.rs (and the counts in ARCHITECTURE.md)"
    );
}
