//! Parse + encode throughput (MB/s of text) of nanowasm and the `wat` crate,
//! side by side in one run.
//!
//! Workloads:
//! - `spec-2.0`: every text module of the WebAssembly 2.0 spec testsuite
//!   (`$NANOWASM_TESTSUITE` or `../shared/testsuite-2.0`) that both accept,
//!   lowered one after another (many small modules, folded syntax);
//! - `kernels-printed`: the compute kernels under `bench/kernels`, printed
//!   as text by our printer (fewer, larger functions in flat syntax).

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

#[path = "../../binary/tests/spec/scan.rs"]
#[allow(dead_code)]
mod scan;

fn text_modules(form: &scan::Sexp, src: &str, out: &mut Vec<String>) {
    if form.head() == Some("module") {
        let items = form.items();
        let mut i = 1;
        if matches!(items.get(i), Some(scan::Sexp::Atom(a)) if a.starts_with('$')) {
            i += 1;
        }
        if !matches!(items.get(i), Some(scan::Sexp::Atom(a)) if a == "binary" || a == "quote") {
            if let scan::Sexp::List(_, span) = form {
                out.push(src[span.clone()].to_owned());
            }
        }
        return;
    }
    for item in form.items() {
        if let scan::Sexp::List(..) = item {
            text_modules(item, src, out);
        }
    }
}

fn accepted_by_both(mods: Vec<String>) -> Vec<String> {
    mods.into_iter()
        .filter(|m| nanowasm_text::parse_wat(m).is_ok() && wat::parse_str(m).is_ok())
        .collect()
}

fn spec_modules() -> Vec<String> {
    let files = common::wast_files(&common::testsuite());
    let mut mods = Vec::new();
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        for form in scan::parse(&src).unwrap() {
            text_modules(&form, &src, &mut mods);
        }
    }
    accepted_by_both(mods)
}

fn kernel_texts() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/kernels");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .collect();
    files.sort();
    let texts = files
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap();
            nanowasm_text::print_bytes(&bytes, nanowasm_binary::Features::default()).unwrap()
        })
        .collect();
    accepted_by_both(texts)
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse+encode");
    group.sample_size(20);
    for (name, mods) in [
        ("spec-2.0", spec_modules()),
        ("kernels-printed", kernel_texts()),
    ] {
        let bytes: usize = mods.iter().map(String::len).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_with_input(BenchmarkId::new("nanowasm", name), &mods, |b, mods| {
            b.iter(|| {
                for m in mods {
                    std::hint::black_box(nanowasm_text::parse_wat(m).unwrap());
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("wat", name), &mods, |b, mods| {
            b.iter(|| {
                for m in mods {
                    std::hint::black_box(wat::parse_str(m).unwrap());
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
