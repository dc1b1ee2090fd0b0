//! Nanoprocess costs against wasmtime, in one run (same machine, same
//! load, same modules: the host crate's `benches/modules/*.wat`).
//!
//! - `instantiate/{ENGINE}/{MODULE}`: a fresh instance per iteration from a
//!   template linked once, dropped again inside the iteration. `MODULE` is
//!   `idle` (one page, no data), `echo` (one page, a `cabi_realloc`) or
//!   `idle_data64k` (`idle` with a 64 KiB data segment filling its page).
//!   Both engines map a module's initial memory copy-on-write from an image
//!   built once per module by default (nanowasm's
//!   `Config::memory_init_cow`, wasmtime's `Config::memory_init_cow`), so
//!   the data segment is not copied per instance by either. `ENGINE`:
//!   - `nanowasm`: `nanowasm_host::Template::instantiate`, a whole
//!     nanoprocess: new store, WASI context (no grants), instance, cached
//!     `memory`/`cabi_realloc` exports;
//!   - `nanowasm_bare`: the runtime alone (a `Store<()>` and
//!     `InstancePre::instantiate`), the same work the wasmtime cases do;
//!   - `wasmtime_pooling`: wasmtime with the pooling instance allocator
//!     (slots reserved up front, reused with their memory images);
//!   - `wasmtime_ondemand`: wasmtime's default on-demand allocator.
//!
//!   The wasmtime cases are what an embedder writes: a `Linker`, an
//!   `InstancePre`, a new `Store` per instance. No WASI: the modules import
//!   nothing.
//! - `cross_call_100B/{ENGINE}`: `client.run(1000)`, i.e. 1000 calls of
//!   `echo.echo` with a 100-byte string argument and a 100-byte string
//!   result, between two isolated instances (one store each); throughput
//!   is per call.
//!   - `nanowasm`: the host crate's `cross_call_100B/nanoprocess` case, a
//!     `System` with `client` granted `echo.echo`;
//!   - `wasmtime_host_copy`: the same composition by hand in wasmtime. The
//!     client's import is a host function that copies the string out of the
//!     client's memory into the echo instance's (through echo's
//!     `cabi_realloc`), checks it is UTF-8, calls `echo`, and copies the
//!     result back through the client's `cabi_realloc`: the nanowasm
//!     host's work. The echo store lives in the client store's data (a
//!     host function cannot borrow a second store otherwise).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nanowasm_peer_bench::{modules, system, write_modules};
use wasmtime::{
    Caller, Config, Engine, InstanceAllocationStrategy, Linker, Memory, Module,
    PoolingAllocationConfig, Store, TypedFunc,
};

/// Modules `instantiate` measures.
const INSTANTIATED: [&str; 3] = ["idle", "echo", "idle_data64k"];

/// Calls per `cross_call_100B` iteration.
const CALLS: i32 = 1000;

fn wasm(name: &str) -> Vec<u8> {
    modules()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, w)| w)
        .expect("a benchmark module")
}

/// Wasmtime with the pooling allocator: up to 1000 instances, each with
/// at most one memory of at most 1 MiB and one table.
fn wasmtime_pooling() -> Engine {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_core_instances(1000)
        .total_memories(1000)
        .total_tables(1000)
        .max_memories_per_module(1)
        .max_tables_per_module(1)
        .max_memory_size(1 << 20);
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config).expect("pooling engine")
}

fn wasmtime_ondemand() -> Engine {
    Engine::new(&Config::new()).expect("on-demand engine")
}

/// What `get` (an `i32.load` at 128) returns in a fresh instance of
/// `module`, if it exports `get`: the data segment repeats "nanowasm" from
/// 0, so 128 holds "nano".
fn expected_get(module: &str) -> Option<i32> {
    match module {
        "idle" => Some(0),
        "idle_data64k" => Some(i32::from_le_bytes(*b"nano")),
        _ => None,
    }
}

fn instantiate(c: &mut Criterion) {
    let dir = write_modules();
    let sys = system(&dir);
    let bare_engine = nanowasm_runtime::Engine::default();
    let engines = [
        ("wasmtime_pooling", wasmtime_pooling()),
        ("wasmtime_ondemand", wasmtime_ondemand()),
    ];
    let mut g = c.benchmark_group("instantiate");
    for name in INSTANTIATED {
        let bytes = wasm(name);

        let template = sys.template(name).expect("a template");
        if let Some(want) = expected_get(name) {
            let sig = nanowasm_host::Sig::parse("() -> i32").expect("sig");
            let got = template
                .instantiate()
                .expect("nanoprocess")
                .call("get", &sig, &[]);
            assert_eq!(got.expect("get"), Some(nanowasm_host::Value::I32(want)));
        }
        g.bench_with_input(BenchmarkId::new("nanowasm", name), &template, |b, t| {
            b.iter(|| t.instantiate().expect("nanoprocess"))
        });

        let module = nanowasm_runtime::Module::new(&bare_engine, &bytes).expect("module");
        let pre = nanowasm_runtime::Linker::<()>::new(&bare_engine)
            .instantiate_pre(&module)
            .expect("instance-pre");
        if let Some(want) = expected_get(name) {
            let mut store = nanowasm_runtime::Store::new(&bare_engine, ());
            let get = pre
                .instantiate(&mut store)
                .expect("instance")
                .get_typed_func::<(), i32>(&mut store, "get")
                .expect("get");
            assert_eq!(get.call(&mut store, ()).expect("get"), want);
        }
        g.bench_with_input(BenchmarkId::new("nanowasm_bare", name), &pre, |b, pre| {
            b.iter(|| {
                let mut store = nanowasm_runtime::Store::new(&bare_engine, ());
                pre.instantiate(&mut store).expect("instance");
                store
            })
        });

        for (label, engine) in &engines {
            let module = Module::new(engine, &bytes).expect("module");
            let pre = Linker::<()>::new(engine)
                .instantiate_pre(&module)
                .expect("instance-pre");
            if let Some(want) = expected_get(name) {
                let mut store = Store::new(engine, ());
                let get = pre
                    .instantiate(&mut store)
                    .expect("instance")
                    .get_typed_func::<(), i32>(&mut store, "get")
                    .expect("get");
                assert_eq!(get.call(&mut store, ()).expect("get"), want);
            }
            g.bench_with_input(BenchmarkId::new(*label, name), &pre, |b, pre| {
                b.iter(|| {
                    let mut store = Store::new(engine, ());
                    pre.instantiate(&mut store).expect("instance");
                    store
                })
            });
        }
    }
    g.finish();
    let _ = std::fs::remove_dir_all(dir);
}

type Realloc = TypedFunc<(i32, i32, i32, i32), i32>;

/// The client store's data: the callee (echo) in its own store, with the
/// exports the host function uses, and the client's own exports.
struct EchoSide {
    store: Store<()>,
    memory: Memory,
    realloc: Realloc,
    echo: TypedFunc<(i32, i32), i64>,
    /// The client's `memory` and `cabi_realloc`, set once it is
    /// instantiated (its import is linked before it exists).
    client_memory: Option<Memory>,
    client_realloc: Option<Realloc>,
}

/// `echo.echo` as the client sees it: copy the argument into echo, call,
/// copy the result back into the client.
fn echo_import(mut caller: Caller<'_, EchoSide>, ptr: i32, len: i32) -> wasmtime::Result<i64> {
    let unset = || wasmtime::format_err!("client exports not set");
    let client_memory = caller.data().client_memory.ok_or_else(unset)?;
    // Room in the callee, then the copy straight from memory to memory.
    let side = caller.data_mut();
    let p = side.realloc.call(&mut side.store, (0, 0, 1, len))?;
    let (client, side) = client_memory.data_and_store_mut(&mut caller);
    let src = slice(client, ptr, len)?;
    std::str::from_utf8(src)?;
    slice_mut(side.memory.data_mut(&mut side.store), p, len)?.copy_from_slice(src);
    let packed = side.echo.call(&mut side.store, (p, len))?;
    // The result: room in the caller, then the copy back.
    let (rp, rlen) = (packed as u32 as i32, (packed as u64 >> 32) as u32 as i32);
    // (`TypedFunc` is not `Copy`: moved out of the store's data for the
    // call, rather than cloned, and put back.)
    let client_realloc = caller.data_mut().client_realloc.take().ok_or_else(unset)?;
    let cp = client_realloc.call(&mut caller, (0, 0, 1, rlen));
    caller.data_mut().client_realloc = Some(client_realloc);
    let cp = cp?;
    let (client, side) = client_memory.data_and_store_mut(&mut caller);
    let src = slice(side.memory.data(&side.store), rp, rlen)?;
    std::str::from_utf8(src)?;
    slice_mut(client, cp, rlen)?.copy_from_slice(src);
    Ok((i64::from(rlen) << 32) | i64::from(cp as u32))
}

fn range(ptr: i32, len: i32) -> Option<std::ops::Range<usize>> {
    let start = ptr as u32 as usize;
    Some(start..start.checked_add(len as u32 as usize)?)
}

fn slice(data: &[u8], ptr: i32, len: i32) -> wasmtime::Result<&[u8]> {
    range(ptr, len)
        .and_then(|r| data.get(r))
        .ok_or_else(|| wasmtime::format_err!("({ptr:#x}, {len}) is outside memory"))
}

fn slice_mut(data: &mut [u8], ptr: i32, len: i32) -> wasmtime::Result<&mut [u8]> {
    range(ptr, len)
        .and_then(|r| data.get_mut(r))
        .ok_or_else(|| wasmtime::format_err!("({ptr:#x}, {len}) is outside memory"))
}

/// Echo and client instantiated in wasmtime, each in its own store, the
/// client's `echo.echo` linked to [`echo_import`]; returns the client's
/// store and `run`.
fn wasmtime_pair(engine: &Engine) -> (Store<EchoSide>, TypedFunc<i32, i32>) {
    let echo_module = Module::new(engine, wasm("echo")).expect("echo module");
    let client_module = Module::new(engine, wasm("client")).expect("client module");

    let mut echo_store = Store::new(engine, ());
    let echo = Linker::new(engine)
        .instantiate(&mut echo_store, &echo_module)
        .expect("echo instance");
    let side = EchoSide {
        memory: echo
            .get_memory(&mut echo_store, "memory")
            .expect("echo memory"),
        realloc: echo
            .get_typed_func(&mut echo_store, "cabi_realloc")
            .expect("echo cabi_realloc"),
        echo: echo
            .get_typed_func(&mut echo_store, "echo")
            .expect("echo export"),
        store: echo_store,
        client_memory: None,
        client_realloc: None,
    };

    let mut linker = Linker::new(engine);
    linker
        .func_wrap("echo", "echo", echo_import)
        .expect("link echo.echo");
    let mut store = Store::new(engine, side);
    let client = linker
        .instantiate(&mut store, &client_module)
        .expect("client instance");
    let memory = client
        .get_memory(&mut store, "memory")
        .expect("client memory");
    let realloc = client
        .get_typed_func(&mut store, "cabi_realloc")
        .expect("client cabi_realloc");
    store.data_mut().client_memory = Some(memory);
    store.data_mut().client_realloc = Some(realloc);
    let run = client
        .get_typed_func(&mut store, "run")
        .expect("client run");
    (store, run)
}

fn cross_call(c: &mut Criterion) {
    let mut g = c.benchmark_group("cross_call_100B");
    g.throughput(Throughput::Elements(CALLS as u64));

    let dir = write_modules();
    let sys = system(&dir);
    g.bench_function("nanowasm", |b| {
        b.iter(|| {
            let r = sys
                .call(
                    "client",
                    "run",
                    "(i32) -> i32",
                    &[nanowasm_host::Value::I32(CALLS)],
                )
                .expect("client.run");
            assert_eq!(r, Some(nanowasm_host::Value::I32(100 * CALLS)));
        })
    });
    let _ = std::fs::remove_dir_all(dir);

    let engine = wasmtime_ondemand();
    let (mut store, run) = wasmtime_pair(&engine);
    g.bench_function("wasmtime_host_copy", |b| {
        b.iter(|| {
            let r = run.call(&mut store, CALLS).expect("client.run");
            assert_eq!(r, 100 * CALLS);
        })
    });
    g.finish();
}

criterion_group!(benches, instantiate, cross_call);
criterion_main!(benches);
