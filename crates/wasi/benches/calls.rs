//! WASI call overhead: a guest loop making 1,000 `fd_write` calls (one
//! byte to a null stdout) or 1,000 `clock_time_get` calls per iteration,
//! so that the cost of the host side of a call (argument passing, memory
//! lookup, the call itself, and the `trace` events of every call when
//! logging is off) dominates.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nanowasm_runtime::{Engine, Linker, Module, Store};
use nanowasm_wasi::{Stdio, WasiCtx};

const GUEST: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "x")
  (func (export "writes") (param $n i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 1))
    (loop $l
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "clocks") (param $n i32)
    (loop $l
      (drop (call $clock (i32.const 1) (i64.const 0) (i32.const 32)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))"#;

const CALLS: u32 = 1000;

fn wasi_calls(c: &mut Criterion) {
    let engine = Engine::default();
    let module = Module::new(&engine, nanowasm_text::parse_wat(GUEST).unwrap()).unwrap();
    let mut linker = Linker::new(&engine);
    nanowasm_wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
    let cx = WasiCtx::builder()
        .stdout(Stdio::Null)
        .allow_clocks(true)
        .build()
        .unwrap();
    let mut store = Store::new(&engine, cx);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let mut g = c.benchmark_group("wasi");
    g.throughput(Throughput::Elements(u64::from(CALLS)));
    for name in ["writes", "clocks"] {
        let f = instance
            .get_typed_func::<i32, ()>(&mut store, name)
            .unwrap();
        let label = match name {
            "writes" => "fd_write_null_x1000",
            _ => "clock_time_get_x1000",
        };
        g.bench_function(label, |b| {
            b.iter(|| f.call(&mut store, CALLS as i32).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, wasi_calls);
criterion_main!(benches);
