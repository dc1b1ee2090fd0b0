//! Component-to-component calls against wasmtime, in one run, on the same
//! component binary (`benches/components/echo_pair.wat`, encoded by our
//! own text parser): `run(1000)` makes 1000 calls from one component to
//! another with a 100-byte string argument and a 100-byte string result,
//! each copied through the receiver's `realloc`; throughput is per call.
//!
//! - `component_call_100B/nanowasm_interp`: `Strategy::Interpreter`;
//! - `component_call_100B/nanowasm`: the default strategy (the compiler
//!   on x86-64 Linux);
//! - `component_call_100B/wasmtime`: wasmtime's component model
//!   (Cranelift, its fused adapters).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const CALLS: u32 = 1000;

fn component_bytes() -> Vec<u8> {
    let text = include_str!("components/echo_pair.wat");
    nanowasm_text::parse_wat(text).expect("the benchmark component parses")
}

fn calls(c: &mut Criterion) {
    let bytes = component_bytes();
    let mut g = c.benchmark_group("component_call_100B");
    g.throughput(Throughput::Elements(CALLS as u64));
    for (name, strategy) in [
        ("nanowasm_interp", nanowasm_runtime::Strategy::Interpreter),
        ("nanowasm", nanowasm_runtime::Strategy::Auto),
    ] {
        use nanowasm_component::runtime::{Component, Linker, Val};
        let mut config = nanowasm_runtime::Config::new();
        config.strategy(strategy);
        let engine = nanowasm_runtime::Engine::new(&config);
        let component = Component::new(&engine, &bytes).unwrap();
        let mut store = nanowasm_runtime::Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &component)
            .unwrap();
        let run = instance.get_func(&mut store, "run").unwrap();
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut out = [Val::U32(0)];
                run.call(&mut store, &[Val::U32(CALLS)], &mut out).unwrap();
                assert_eq!(out[0], Val::U32(100 * CALLS));
            })
        });
    }
    {
        use wasmtime::component::{Component, Linker};
        let engine = wasmtime::Engine::default();
        let component = Component::new(&engine, &bytes).unwrap();
        let mut store = wasmtime::Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &component)
            .unwrap();
        let run = instance
            .get_typed_func::<(u32,), (u32,)>(&mut store, "run")
            .unwrap();
        g.bench_function("wasmtime", |b| {
            b.iter(|| {
                let (n,) = run.call(&mut store, (CALLS,)).unwrap();
                assert_eq!(n, 100 * CALLS);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, calls);
criterion_main!(benches);
