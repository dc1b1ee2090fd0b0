//! In-process micro-benchmarks of the runtime: instantiation through
//! `InstancePre`, call round trips host→wasm and wasm→host, and the
//! overhead of fuel metering on a compute kernel.

use criterion::{criterion_group, criterion_main, Criterion};
use nanowasm_runtime::{Config, Engine, Linker, MemoryBounds, Module, Store};

const SMALL: &str = r#"(module
    (import "env" "tick" (func $tick))
    (memory (export "memory") 1)
    (global $count (mut i32) (i32.const 0))
    (table 2 funcref)
    (elem (i32.const 0) $add $inc)
    (data (i32.const 16) "hello, nanoprocess")
    (func $add (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func $inc (export "inc") (global.set $count (i32.add (global.get $count) (i32.const 1))))
    (func (export "nop"))
    (func (export "call_host") (param $n i32)
        (loop $l (call $tick)
            (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))"#;

fn small(engine: &Engine) -> Module {
    Module::new(engine, wat::parse_str(SMALL).unwrap()).unwrap()
}

fn instantiate(c: &mut Criterion) {
    // The same modules with data segments mapped copy-on-write from the
    // module's image (the default) and copied into each instance; and with
    // explicit bounds checks instead of guard regions (memories are then
    // plain mappings, not 4 GiB reservations).
    let big = format!(
        r#"(module (memory 4) (data (i32.const 1024) "{}") (func (export "nop")))"#,
        "x".repeat(128 * 1024)
    );
    for (cow, bounds, suffix) in [
        (true, MemoryBounds::Auto, ""),
        (false, MemoryBounds::Auto, "_copy"),
        (true, MemoryBounds::Explicit, "_explicit"),
    ] {
        let engine = Engine::new(Config::new().memory_init_cow(cow).memory_bounds(bounds));
        let module = small(&engine);
        let mut linker = Linker::new(&engine);
        linker.func_wrap("env", "tick", || {}).unwrap();
        let pre = linker.instantiate_pre(&module).unwrap();
        c.bench_function(
            &format!("instantiate/instance_pre_fresh_store{suffix}"),
            |b| {
                b.iter(|| {
                    let mut store = Store::new(&engine, ());
                    pre.instantiate(&mut store).unwrap()
                })
            },
        );
        let module = Module::new(&engine, wat::parse_str(&big).unwrap()).unwrap();
        let pre = Linker::<()>::new(&engine).instantiate_pre(&module).unwrap();
        c.bench_function(&format!("instantiate/data_128KiB{suffix}"), |b| {
            b.iter(|| {
                let mut store = Store::new(&engine, ());
                pre.instantiate(&mut store).unwrap()
            })
        });
    }
}

fn calls(c: &mut Criterion) {
    let engine = Engine::default();
    let module = small(&engine);
    let mut linker = Linker::new(&engine);
    linker.func_wrap("env", "tick", || {}).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let nop = instance
        .get_typed_func::<(), ()>(&mut store, "nop")
        .unwrap();
    let add = instance
        .get_typed_func::<(i32, i32), i32>(&mut store, "add")
        .unwrap();
    let call_host = instance
        .get_typed_func::<i32, ()>(&mut store, "call_host")
        .unwrap();
    c.bench_function("call/host_to_wasm_nop", |b| {
        b.iter(|| nop.call(&mut store, ()).unwrap())
    });
    c.bench_function("call/host_to_wasm_add", |b| {
        b.iter(|| add.call(&mut store, (1, 2)).unwrap())
    });
    // 1000 wasm→host calls per iteration: divide the time by 1000.
    c.bench_function("call/wasm_to_host_x1000", |b| {
        b.iter(|| call_host.call(&mut store, 1000).unwrap())
    });
}

fn fuel(c: &mut Criterion) {
    let kernel = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../bench/kernels/fannkuch.wasm"
    ))
    .unwrap();
    let mut group = c.benchmark_group("fuel");
    group.sample_size(10);
    for metered in [false, true] {
        let mut config = Config::new();
        config.consume_fuel(metered);
        let engine = Engine::new(&config);
        let module = Module::new(&engine, &kernel).unwrap();
        let name = if metered {
            "fannkuch_fuel_on"
        } else {
            "fannkuch_fuel_off"
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut store = Store::new(&engine, ());
                if metered {
                    store.set_fuel(u64::MAX).unwrap();
                }
                let instance = Linker::new(&engine)
                    .instantiate(&mut store, &module)
                    .unwrap();
                let run = instance
                    .get_typed_func::<(), i32>(&mut store, "run")
                    .unwrap();
                run.call(&mut store, ()).unwrap()
            })
        });
    }
    group.finish();
}

/// Translation throughput: every function of every kernel translated, per
/// byte of code section (`Module::translate_all` on a fresh module).
fn translate(c: &mut Criterion) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/kernels");
    let mut kernels: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    kernels.sort();
    let engine = Engine::default();
    let code_bytes: usize = kernels
        .iter()
        .map(|k| {
            let m = Module::new(&engine, k).unwrap();
            m.code_size()
        })
        .sum();
    let mut group = c.benchmark_group("translate");
    group.throughput(criterion::Throughput::Bytes(code_bytes as u64));
    group.bench_function("all_kernels", |b| {
        b.iter_batched(
            || {
                kernels
                    .iter()
                    .map(|k| Module::new(&engine, k).unwrap())
                    .collect::<Vec<_>>()
            },
            |modules| {
                for m in &modules {
                    m.translate_all().unwrap();
                }
                modules
            },
            criterion::BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, instantiate, calls, fuel, translate);
criterion_main!(benches);
