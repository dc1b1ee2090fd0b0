//! Binary trees (the Benchmarks Game's allocation benchmark) on nanowasm's
//! interpreter with Wasm GC: the nanowasm side of `bench/gc.py`.
//!
//! ```sh
//! cargo build --release -p nanowasm-runtime --example gc_binary_trees
//! target/release/examples/gc_binary_trees bench/gc/binary_trees.wasm 16
//! ```
//!
//! The module is `bench/gc/binary_trees.wat` (built by `bench/gc/build.sh`);
//! the argument after it is the classic program's maximum depth N (default
//! 16). The calls, in order: a stretch tree `iteration(N+1, 1)`, a
//! long-lived tree `long_lived(N)` (kept in a global, so every collection
//! traces it), `iteration(d, 2^(N-d+4))` for d = 4, 6, .. N (short-lived
//! trees: garbage once checked), then `check_long_lived()`.
//!
//! Prints one JSON line, the same shape as `bench/gc/wasmtime_trees.py`:
//! only host calls are timed (`total_s` is their sum, `setup_s` is
//! compiling and instantiating); nodes are counted from the checks (each
//! check is its tree's node count); bytes are nominal, 32 per node for
//! every engine, not what the collector really uses (that is in `gc`);
//! peak RSS is this process's VmHWM; `gc` is `Store::gc_stats`.

use std::time::{Duration, Instant};

use nanowasm_runtime::{Config, Engine, Feature, Instance, Module, Store, Strategy};

/// Nominal size of a node, the same for every engine in the report.
const NODE_BYTES: u64 = 32;
const MIN_DEPTH: i32 = 4;

/// A field of `/proc/self/status` in bytes (0 where there is none).
fn status_bytes(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// Runs one host call, recording its wall-clock time.
fn timed<R>(times: &mut Vec<Duration>, call: impl FnOnce() -> R) -> R {
    let t = Instant::now();
    let r = call();
    times.push(t.elapsed());
    r
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../bench/gc/binary_trees.wasm"
        )
        .to_string()
    });
    let n: i32 = match args.next() {
        Some(a) => a.parse()?,
        None => 16,
    };
    let n = n.max(MIN_DEPTH + 2);

    let t0 = Instant::now();
    let mut config = Config::new();
    config.strategy(Strategy::Interpreter);
    config.features(
        config
            .get_features()
            .with(Feature::Gc, true)
            .with(Feature::FunctionReferences, true),
    );
    let engine = Engine::new(&config);
    let module = Module::from_binary(&engine, &std::fs::read(&path)?)?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[])?;
    let iteration = instance.get_typed_func::<(i32, i32), i32>(&mut store, "iteration")?;
    let long_lived = instance.get_typed_func::<i32, i32>(&mut store, "long_lived")?;
    let check_long_lived = instance.get_typed_func::<(), i32>(&mut store, "check_long_lived")?;
    let setup = t0.elapsed();
    let rss_start = status_bytes("VmRSS");

    let mut times: Vec<Duration> = Vec::new();
    let stretch = timed(&mut times, || iteration.call(&mut store, (n + 1, 1)))?;
    let long = timed(&mut times, || long_lived.call(&mut store, n))?;
    let mut iterations = Vec::new();
    for d in (MIN_DEPTH..=n).step_by(2) {
        let count = 1i32 << (n - d + MIN_DEPTH);
        let check = timed(&mut times, || iteration.call(&mut store, (d, count)))?;
        iterations.push((d, count, check));
    }
    let last = timed(&mut times, || check_long_lived.call(&mut store, ()))?;

    // check_long_lived walks the kept tree without allocating.
    let nodes =
        stretch as u64 + long as u64 + iterations.iter().map(|&(_, _, c)| c as u64).sum::<u64>();
    let total = times.iter().sum::<Duration>().as_secs_f64();
    let longest = times
        .iter()
        .max()
        .copied()
        .unwrap_or_default()
        .as_secs_f64();
    let peak_rss = status_bytes("VmHWM");
    let gc = store.gc_stats();

    let iterations = iterations
        .iter()
        .map(|(d, count, check)| format!(r#"{{"depth": {d}, "count": {count}, "check": {check}}}"#))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        concat!(
            r#"{{"engine": "nanowasm-interp", "depth": {n}, "setup_s": {setup}, "total_s": {total}, "#,
            r#""calls": {calls}, "nodes": {nodes}, "node_bytes_nominal": {node_bytes}, "#,
            r#""alloc_nodes_per_s": {rate}, "alloc_mb_per_s": {mbs}, "longest_call_s": {longest}, "#,
            r#""peak_rss_bytes": {peak_rss}, "rss_start_bytes": {rss_start}, "#,
            r#""checks": {{"stretch": {stretch}, "long_lived": {long}, "iterations": [{iterations}], "#,
            r#""check_long_lived": {last}}}, "#,
            r#""gc": {{"collections": {collections}, "allocated_bytes": {allocated}, "live_bytes": {live}, "#,
            r#""peak_bytes": {peak}, "longest_pause_s": {longest_pause}, "total_pause_s": {total_pause}}}}}"#
        ),
        n = n,
        setup = setup.as_secs_f64(),
        total = total,
        calls = times.len(),
        nodes = nodes,
        node_bytes = NODE_BYTES,
        rate = nodes as f64 / total,
        mbs = (nodes * NODE_BYTES) as f64 / total / 1e6,
        longest = longest,
        peak_rss = peak_rss,
        rss_start = rss_start,
        stretch = stretch,
        long = long,
        iterations = iterations,
        last = last,
        collections = gc.collections,
        allocated = gc.allocated_bytes,
        live = gc.live_bytes,
        peak = gc.peak_bytes,
        longest_pause = gc.longest_pause.as_secs_f64(),
        total_pause = gc.total_pause.as_secs_f64(),
    );
    Ok(())
}
