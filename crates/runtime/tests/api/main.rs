//! Tests of the embedding API: host functions, traps and backtraces, fuel,
//! interruption, limits, recursion, isolation between stores.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nanowasm_runtime::*;

mod backtrace;
mod compiler;
mod cross_instance;
mod cross_instance_attacks;
mod exceptions;
mod extended_const;
mod function_references;
mod gc;
mod gc_attacks;
mod gc_attacks2;
mod memory64;
mod multi_memory;
mod multi_memory_edges;
mod parity;
mod stack;
mod stores;
mod tail_call;
mod typed_cells;

fn wat(src: &str) -> Vec<u8> {
    wat::parse_str(src).expect("valid wat")
}

fn module(engine: &Engine, src: &str) -> Module {
    Module::new(engine, wat(src)).expect("valid module")
}

#[test]
fn host_functions_typed_and_dynamic() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
            (import "host" "add" (func $add (param i32 i32) (result i32)))
            (import "host" "count" (func $count))
            (import "host" "dyn" (func $dyn (param i64) (result i64 f64)))
            (func (export "run") (param i32) (result i32)
                (call $count) (call $count)
                (call $add (local.get 0) (i32.const 100)))
            (func (export "dyn") (param i64) (result i64 f64)
                (call $dyn (local.get 0))))"#,
    );
    let mut linker = Linker::<u32>::new(&engine);
    linker
        .func_wrap("host", "add", |a: i32, b: i32| a + b)
        .unwrap();
    linker
        .func_wrap("host", "count", |mut caller: Caller<'_, u32>| {
            *caller.data_mut() += 1;
        })
        .unwrap();
    linker
        .func_new(
            "host",
            "dyn",
            FuncType::new([ValType::I64], [ValType::I64, ValType::F64]),
            |_caller, args, results| {
                let x = args[0].i64().unwrap();
                results[0] = Val::I64(x * 3);
                results[1] = Val::from(x as f64 / 2.0);
                Ok(())
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, 0u32);
    let instance = linker.instantiate(&mut store, &m).unwrap();
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    assert_eq!(run.call(&mut store, 23).unwrap(), 123);
    assert_eq!(*store.data(), 2);
    let dynf = instance
        .get_typed_func::<i64, (i64, f64)>(&mut store, "dyn")
        .unwrap();
    assert_eq!(dynf.call(&mut store, 10).unwrap(), (30, 5.0));
    // A wrong static type is refused, not called.
    assert!(instance
        .get_typed_func::<i64, i32>(&mut store, "run")
        .is_err());
    let f = instance.get_func(&store, "run").unwrap();
    let mut out = [Val::I32(0)];
    assert!(f.call(&mut store, &[Val::I64(1)], &mut out).is_err());
    f.call(&mut store, &[Val::I32(1)], &mut out).unwrap();
    assert_eq!(out[0], Val::I32(101));
}

#[test]
fn host_errors_propagate() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module (import "h" "fail" (func $f)) (func (export "run") (call $f)))"#,
    );
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("h", "fail", || -> Result<(), Error> {
            Err(Error::host("boom"))
        })
        .unwrap();
    let mut store = Store::new(&engine, ());
    let i = linker.instantiate(&mut store, &m).unwrap();
    let run = i.get_typed_func::<(), ()>(&mut store, "run").unwrap();
    let err = run.call(&mut store, ()).unwrap_err();
    assert_eq!(err.to_string(), "boom");
}

#[test]
fn traps_carry_message_and_backtrace() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module $demo
            (func $inner (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
            (func $outer (export "outer") (param i32) (result i32) (call $inner (local.get 0))))"#,
    );
    let mut store = Store::new(&engine, ());
    let i = Instance::new(&mut store, &m, &[]).unwrap();
    let outer = i.get_typed_func::<i32, i32>(&mut store, "outer").unwrap();
    assert_eq!(outer.call(&mut store, 1).unwrap(), 1);
    let err = outer.call(&mut store, 0).unwrap_err();
    let trap = err.as_trap().expect("a trap");
    assert_eq!(trap.code, TrapCode::IntegerDivisionByZero);
    let names: Vec<_> = trap
        .backtrace
        .iter()
        .map(|f| f.func_name.clone().unwrap())
        .collect();
    assert_eq!(names, ["inner", "outer"]);
    assert_eq!(trap.backtrace[0].func_index, 0);
    let text = trap.to_string();
    assert!(
        text.starts_with("wasm trap: integer divide by zero"),
        "{text}"
    );
    assert!(
        text.contains("0: demo!inner (func 0) at offset 0x"),
        "{text}"
    );
    // The store stays usable after a trap.
    assert_eq!(outer.call(&mut store, 2).unwrap(), 0);
}

#[test]
fn unreachable_and_memory_traps() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module (memory 1)
            (func (export "unreachable") unreachable)
            (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))"#,
    );
    let mut store = Store::new(&engine, ());
    let i = Instance::new(&mut store, &m, &[]).unwrap();
    let u = i
        .get_typed_func::<(), ()>(&mut store, "unreachable")
        .unwrap();
    assert_eq!(
        u.call(&mut store, ()).unwrap_err().trap_code(),
        Some(TrapCode::Unreachable)
    );
    let load = i.get_typed_func::<i32, i32>(&mut store, "load").unwrap();
    assert_eq!(load.call(&mut store, 65532).unwrap(), 0);
    assert_eq!(
        load.call(&mut store, 65533).unwrap_err().trap_code(),
        Some(TrapCode::MemoryOutOfBounds)
    );
    assert_eq!(
        load.call(&mut store, -1).unwrap_err().trap_code(),
        Some(TrapCode::MemoryOutOfBounds)
    );
}

const LOOP_FOREVER: &str = r#"(module
    (func (export "spin") (loop $l (br $l)))
    (func (export "count") (param i32) (result i32) (local i32)
        (block $done (loop $l
            (br_if $done (i32.eqz (local.get 0)))
            (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
            (local.set 1 (i32.add (local.get 1) (i32.const 1)))
            (br $l)))
        (local.get 1)))"#;

#[test]
fn fuel_exhaustion() {
    let mut config = Config::new();
    config.consume_fuel(true);
    let engine = Engine::new(&config);
    let m = module(&engine, LOOP_FOREVER);
    let mut store = Store::new(&engine, ());
    store.set_fuel(10_000).unwrap();
    let i = Instance::new(&mut store, &m, &[]).unwrap();
    let spin = i.get_typed_func::<(), ()>(&mut store, "spin").unwrap();
    assert_eq!(
        spin.call(&mut store, ()).unwrap_err().trap_code(),
        Some(TrapCode::OutOfFuel)
    );
    assert_eq!(store.get_fuel().unwrap(), 0);
    store.set_fuel(1_000_000).unwrap();
    let count = i.get_typed_func::<i32, i32>(&mut store, "count").unwrap();
    assert_eq!(count.call(&mut store, 1000).unwrap(), 1000);
    let used = 1_000_000 - store.get_fuel().unwrap();
    assert!(used > 1000 && used < 20_000, "fuel used: {used}");
    // Without fuel enabled, set_fuel is an error.
    let mut plain = Store::new(&Engine::default(), ());
    assert!(plain.set_fuel(1).is_err());
}

#[test]
fn interruption_from_another_thread() {
    let mut config = Config::new();
    config.epoch_interruption(true);
    let engine = Engine::new(&config);
    let m = module(&engine, LOOP_FOREVER);
    let mut store = Store::new(&engine, ());
    store.set_epoch_deadline(1);
    let i = Instance::new(&mut store, &m, &[]).unwrap();
    let spin = i.get_typed_func::<(), ()>(&mut store, "spin").unwrap();
    let e = engine.clone();
    let ticker = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        e.increment_epoch();
    });
    let err = spin.call(&mut store, ()).unwrap_err();
    ticker.join().unwrap();
    assert_eq!(err.trap_code(), Some(TrapCode::Interrupted));
}

#[test]
fn memory_limit_denies_grow() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module (memory (export "mem") 1)
            (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    );
    let mut store = Store::new(&engine, ());
    store.set_limits(StoreLimitsBuilder::new().memory_size(4 * 65536).build());
    let i = Instance::new(&mut store, &m, &[]).unwrap();
    let grow = i.get_typed_func::<i32, i32>(&mut store, "grow").unwrap();
    assert_eq!(grow.call(&mut store, 2).unwrap(), 1);
    assert_eq!(
        grow.call(&mut store, 2).unwrap(),
        -1,
        "beyond the store limit"
    );
    assert_eq!(grow.call(&mut store, 1).unwrap(), 3);
    assert_eq!(grow.call(&mut store, 65536).unwrap(), -1);
    let mem = i.get_memory(&store, "mem").unwrap();
    assert_eq!(mem.size(&store).unwrap(), 4);
    // A module whose initial memory exceeds the limit fails to instantiate.
    let big = module(&engine, "(module (memory 5))");
    let err = Instance::new(&mut store, &big, &[]).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Limit(_)), "{err:?}");
}

#[test]
fn deep_recursion_traps() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
            (func $f (export "f") (param i32) (result i32)
                (if (result i32) (i32.eqz (local.get 0))
                    (then (i32.const 0))
                    (else (i32.add (i32.const 1) (call $f (i32.sub (local.get 0) (i32.const 1))))))))"#,
    );
    let mut store = Store::new(&engine, ());
    let i = Instance::new(&mut store, &m, &[]).unwrap();
    let f = i.get_typed_func::<i32, i32>(&mut store, "f").unwrap();
    assert_eq!(f.call(&mut store, 5000).unwrap(), 5000);
    let err = f.call(&mut store, 10_000_000).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::StackOverflow));
    assert_eq!(
        err.to_string().lines().next().unwrap(),
        "wasm trap: call stack exhausted"
    );
    assert_eq!(f.call(&mut store, 10).unwrap(), 10);
    // A store may be held to less depth than the engine allows; another
    // store of the same engine is not.
    let mut small = Store::new(&engine, ());
    small.set_limits(StoreLimitsBuilder::new().call_depth(100).build());
    let i = Instance::new(&mut small, &m, &[]).unwrap();
    let g = i.get_typed_func::<i32, i32>(&mut small, "f").unwrap();
    assert_eq!(g.call(&mut small, 98).unwrap(), 98);
    let err = g.call(&mut small, 100).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::StackOverflow));
    assert_eq!(f.call(&mut store, 5000).unwrap(), 5000);
}

#[test]
fn stores_are_isolated() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module (memory (export "mem") 1)
            (global $g (export "g") (mut i32) (i32.const 0))
            (func (export "poke") (param i32 i32) (i32.store (local.get 0) (local.get 1))
                (global.set $g (local.get 1)))
            (func (export "peek") (param i32) (result i32) (i32.load (local.get 0))))"#,
    );
    let mut a = Store::new(&engine, ());
    let mut b = Store::new(&engine, ());
    let ia = Instance::new(&mut a, &m, &[]).unwrap();
    let ib = Instance::new(&mut b, &m, &[]).unwrap();
    let poke = ia.get_typed_func::<(i32, i32), ()>(&mut a, "poke").unwrap();
    poke.call(&mut a, (16, 77)).unwrap();
    let peek_a = ia.get_typed_func::<i32, i32>(&mut a, "peek").unwrap();
    let peek_b = ib.get_typed_func::<i32, i32>(&mut b, "peek").unwrap();
    assert_eq!(peek_a.call(&mut a, 16).unwrap(), 77);
    assert_eq!(peek_b.call(&mut b, 16).unwrap(), 0);
    assert_eq!(
        ib.get_global(&b, "g").unwrap().get(&b).unwrap(),
        Val::I32(0)
    );
    // A handle from store `a` cannot be used with store `b`.
    assert!(poke.call(&mut b, (16, 1)).is_err());
    assert!(ia.get_memory(&b, "mem").is_none());
    assert_eq!(peek_b.call(&mut b, 16).unwrap(), 0);
}

#[test]
fn instance_pre_instantiates_many() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module (import "h" "tick" (func $t)) (memory 1)
            (global $n (mut i32) (i32.const 0))
            (func (export "bump") (result i32) (call $t)
                (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n)))"#,
    );
    let ticks = Arc::new(AtomicU32::new(0));
    let t = ticks.clone();
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("h", "tick", move || {
            t.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
    let pre = linker.instantiate_pre(&m).unwrap();
    let mut store = Store::new(&engine, ());
    for _ in 0..10 {
        let i = pre.instantiate(&mut store).unwrap();
        let bump = i.get_typed_func::<(), i32>(&mut store, "bump").unwrap();
        assert_eq!(
            bump.call(&mut store, ()).unwrap(),
            1,
            "each instance has its own global"
        );
    }
    assert_eq!(ticks.load(Ordering::Relaxed), 10);
    // Unknown imports name what is missing.
    let err = Linker::<()>::new(&engine)
        .instantiate(&mut Store::new(&engine, ()), &m)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown import: `h::tick` has not been defined"
    );
}

#[test]
fn memory_table_global_api() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
            (import "env" "mem" (memory 1))
            (import "env" "g" (global $g (mut i64)))
            (import "env" "tab" (table 2 funcref))
            (func $seven (result i32) (i32.const 7))
            (elem (i32.const 1) $seven)
            (func (export "call1") (result i32) (call_indirect (result i32) (i32.const 1)))
            (func (export "read") (param i32) (result i32) (i32.load8_u (local.get 0)))
            (func (export "bump") (global.set $g (i64.add (global.get $g) (i64.const 1)))))"#,
    );
    let mut store = Store::new(&engine, ());
    let mem = Memory::new(
        &mut store,
        MemoryType {
            limits: Limits {
                min: 1,
                max: Some(2),
            },
            memory64: false,
            shared: false,
        },
    )
    .unwrap();
    let g = Global::new(
        &mut store,
        GlobalType {
            content: ValType::I64,
            mutable: true,
        },
        Val::I64(41),
    )
    .unwrap();
    let tab = Table::new(
        &mut store,
        TableType {
            element: RefType::FUNCREF,
            limits: Limits { min: 2, max: None },
            table64: false,
        },
        Val::FuncRef(None),
    )
    .unwrap();
    let mut linker = Linker::new(&engine);
    linker
        .define("env", "mem", mem)
        .unwrap()
        .define("env", "g", g)
        .unwrap()
        .define("env", "tab", tab)
        .unwrap();
    let i = linker.instantiate(&mut store, &m).unwrap();
    mem.write(&mut store, 100, &[9, 8, 7]).unwrap();
    let read = i.get_typed_func::<i32, i32>(&mut store, "read").unwrap();
    assert_eq!(read.call(&mut store, 101).unwrap(), 8);
    i.get_typed_func::<(), ()>(&mut store, "bump")
        .unwrap()
        .call(&mut store, ())
        .unwrap();
    assert_eq!(g.get(&store).unwrap(), Val::I64(42));
    let call1 = i.get_typed_func::<(), i32>(&mut store, "call1").unwrap();
    assert_eq!(call1.call(&mut store, ()).unwrap(), 7);
    assert!(matches!(
        tab.get(&store, 1),
        Ok(Some(Val::FuncRef(Some(_))))
    ));
    tab.set(&mut store, 1, Val::FuncRef(None)).unwrap();
    assert_eq!(
        call1.call(&mut store, ()).unwrap_err().trap_code(),
        Some(TrapCode::UninitializedElement)
    );
    assert_eq!(mem.grow(&mut store, 1).unwrap(), 1);
    assert!(mem.grow(&mut store, 1).is_err(), "max is 2 pages");
}

/// Data segments mapped copy-on-write from the module's image (the
/// default) give every instance the same memory as copying them, writes
/// stay in their instance, and a recycled memory starts over from the
/// image.
#[test]
fn copy_on_write_images_match_copying() {
    let src = r#"(module
        (memory (export "memory") 3)
        (data (i32.const 100) "hello")
        (data (i32.const 70000) "world")
        (data (i32.const 102) "LL")
        (data $p "passive")
        (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
        (func (export "init") (memory.init $p (i32.const 0) (i32.const 0) (i32.const 7))))"#;
    let snapshot = |cow: bool| {
        let engine = Engine::new(Config::new().memory_init_cow(cow));
        let m = module(&engine, src);
        let run = |pokes: &[(i32, i32)]| {
            let mut store = Store::new(&engine, ());
            let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
            let poke = i
                .get_typed_func::<(i32, i32), ()>(&mut store, "poke")
                .unwrap();
            for &p in pokes {
                poke.call(&mut store, p).unwrap();
            }
            let grow = i.get_typed_func::<i32, i32>(&mut store, "grow").unwrap();
            assert_eq!(grow.call(&mut store, 2).unwrap(), 3);
            let init = i.get_typed_func::<(), ()>(&mut store, "init").unwrap();
            init.call(&mut store, ()).unwrap();
            let mem = i.get_memory(&store, "memory").unwrap();
            mem.data(&store).unwrap().to_vec()
        };
        let a = run(&[(100, b'J' as i32), (150_000, 9)]);
        let b = run(&[]); // reuses a's pooled memory
        (a, b)
    };
    let (cow_a, cow_b) = snapshot(true);
    let (copy_a, copy_b) = snapshot(false);
    assert_eq!(cow_a.len(), 5 * 65536);
    assert_eq!(&cow_b[100..105], b"heLLo");
    assert_eq!(&cow_a[100..105], b"JeLLo");
    assert_eq!(&cow_b[70000..70005], b"world");
    assert_eq!(&cow_b[0..7], b"passive");
    assert_eq!((cow_a[150_000], cow_b[150_000]), (9, 0));
    assert!(cow_a == copy_a && cow_b == copy_b, "same memory either way");
}

/// A host function that swaps out the store it runs in gets an error, not
/// a wasm frame running on the other store's stack.
#[test]
fn replacing_the_store_inside_a_host_call_is_an_error() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
            (import "host" "swap" (func $swap))
            (func (export "run") (result i32)
                (local i32 i32 i32 i32 i32 i32 i32 i32)
                (call $swap)
                (i32.const 7)))"#,
    );
    let mut linker: Linker<()> = Linker::new(&engine);
    let engine2 = engine.clone();
    linker
        .func_wrap("host", "swap", move |mut caller: Caller<'_, ()>| {
            let _old = std::mem::replace(caller.as_context_mut(), Store::new(&engine2, ()));
        })
        .unwrap();
    let mut store = Store::new(&engine, ());
    let i = linker.instantiate(&mut store, &m).unwrap();
    let run = i.get_typed_func::<(), i32>(&mut store, "run").unwrap();
    let err = run.call(&mut store, ()).unwrap_err();
    assert!(err.to_string().contains("replaced the store"), "{err}");
}

/// A 30-byte module declaring a table of 2^32 - 1 elements (32 GiB) made
/// the host abort on the failed allocation. It gets a table whose memory
/// is committed only as it is written, or an error; the store's element
/// limit still refuses it up front.
#[test]
fn a_huge_table_is_not_an_abort() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module (table (export "t") 4294967295 funcref))"#,
    );
    let mut store = Store::new(&engine, ());
    match Instance::new(&mut store, &m, &[]) {
        Ok(i) => {
            let t = i.get_table(&store, "t").unwrap();
            assert_eq!(t.size(&store).unwrap(), 4294967295);
            assert_eq!(t.get(&store, 4294967294).unwrap(), Some(Val::FuncRef(None)));
        }
        Err(e) => assert!(e.to_string().contains("refused memory"), "{e}"),
    }
    let mut limited = Store::new(&engine, ());
    limited.set_limits(StoreLimitsBuilder::new().table_elements(10_000).build());
    let err = Instance::new(&mut limited, &m, &[]).unwrap_err();
    assert!(err.to_string().contains("element limit"), "{err}");
}
