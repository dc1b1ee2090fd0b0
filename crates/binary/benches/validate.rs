//! Validation throughput (MB/s) of nanowasm and wasmparser, side by side,
//! on large real-world modules.
//!
//! Modules are read from `$NANOWASM_BENCH_MODULES` (default
//! `bench/cache/modules`, filled by `bench/validate.sh` from npm). Without
//! them the bench uses the repository's compute kernels, so it always runs.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nanowasm_binary::Features;

fn modules() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::var("NANOWASM_BENCH_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("bench/cache/modules"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    if files.is_empty() {
        eprintln!(
            "no modules in {} (run bench/validate.sh); using bench/kernels",
            dir.display()
        );
        files = std::fs::read_dir(root.join("bench/kernels"))
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
    }
    files.retain(|p| p.extension().is_some_and(|e| e == "wasm"));
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let ours = nanowasm_binary::validate(&bytes, Features::default());
        let theirs = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::WASM2)
            .validate_all(&bytes);
        match (ours, theirs) {
            (Ok(()), Ok(_)) => out.push((name, bytes)),
            (o, t) => eprintln!(
                "skipping {name}: nanowasm {:?}, wasmparser {:?}",
                o.err(),
                t.err().map(|e| e.to_string())
            ),
        }
    }
    out
}

fn validate(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate");
    group.sample_size(20);
    for (name, bytes) in modules() {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("nanowasm", &name), &bytes, |b, bytes| {
            b.iter(|| nanowasm_binary::validate(bytes, Features::default()).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("wasmparser", &name), &bytes, |b, bytes| {
            b.iter(|| {
                wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::WASM2)
                    .validate_all(bytes)
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, validate);
criterion_main!(benches);
