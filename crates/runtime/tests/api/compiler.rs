//! The x86-64 compiler against the interpreter: every trap kind with its
//! backtrace, calls into and out of the host, re-entry, memory growth and
//! globals, and what `Strategy::Compiler` refuses. Each case runs the same
//! module on both back ends and compares results, trap messages and
//! backtraces.
#![cfg(all(target_arch = "x86_64", target_os = "linux", feature = "compiler"))]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use nanowasm_runtime::*;

use super::wat;

fn engine(strategy: Strategy) -> Engine {
    engine_with(strategy, MemoryBounds::Auto)
}

fn engine_with(strategy: Strategy, bounds: MemoryBounds) -> Engine {
    let mut c = Config::new();
    c.strategy(strategy).memory_bounds(bounds);
    Engine::new(&c)
}

/// What calling `name` with `args` gives: the results, or the error's text
/// (trap message and backtrace).
fn outcome(strategy: Strategy, src: &str, name: &str, args: &[Val]) -> Result<Vec<Val>, String> {
    outcome_with(strategy, MemoryBounds::Auto, src, name, args)
}

fn outcome_with(
    strategy: Strategy,
    bounds: MemoryBounds,
    src: &str,
    name: &str,
    args: &[Val],
) -> Result<Vec<Val>, String> {
    let engine = engine_with(strategy, bounds);
    let m = Module::new(&engine, wat(src)).map_err(|e| format!("module: {e}"))?;
    let mut linker = Linker::<()>::new(&engine);
    linker
        .func_wrap("host", "id", |x: i32| x)
        .map_err(|e| e.to_string())?;
    linker
        .func_wrap("host", "fail", |x: i32| -> Result<i32, Error> {
            Err(Error::host(format!("host failed with {x}")))
        })
        .map_err(|e| e.to_string())?;
    add_reenter(&mut linker).map_err(|e| e.to_string())?;
    let mut store = Store::new(&engine, ());
    let i = linker
        .instantiate(&mut store, &m)
        .map_err(|e| format!("instantiate: {e}"))?;
    let f = i.get_func(&store, name).ok_or("no export")?;
    let mut results = vec![Val::I32(0); f.ty(&store).map_err(|e| e.to_string())?.results().len()];
    match f.call(&mut store, args, &mut results) {
        Ok(()) => Ok(results),
        Err(e) => Err(e.to_string()),
    }
}

/// `host.reenter(x)`: calls the instance's export `callback(x)` and
/// returns its result plus one (wasm -> host -> wasm).
fn add_reenter(linker: &mut Linker<()>) -> Result<(), Error> {
    linker.func_wrap(
        "host",
        "reenter",
        |mut caller: Caller<'_, ()>, x: i32| -> Result<i32, Error> {
            let f = caller
                .get_export("callback")
                .and_then(Extern::into_func)
                .ok_or_else(|| Error::host("no callback"))?;
            let mut r = [Val::I32(0)];
            f.call(&mut caller, &[Val::I32(x)], &mut r)?;
            Ok(r[0].i32().unwrap_or(0) + 1)
        },
    )?;
    Ok(())
}

/// Runs `name(args)` on both back ends, the compiler with guard regions
/// and with explicit bounds checks: the same outcome, returned.
fn both(src: &str, name: &str, args: &[Val]) -> Result<Vec<Val>, String> {
    let interp = outcome(Strategy::Interpreter, src, name, args);
    let compiled = outcome(Strategy::Compiler, src, name, args);
    assert_eq!(
        format!("{compiled:?}"),
        format!("{interp:?}"),
        "compiled (left) and interpreted (right) differ for {name}{args:?}"
    );
    let explicit = outcome_with(Strategy::Compiler, MemoryBounds::Explicit, src, name, args);
    assert_eq!(
        format!("{explicit:?}"),
        format!("{interp:?}"),
        "compiled with explicit checks (left) and interpreted (right) differ for {name}{args:?}"
    );
    compiled
}

fn trap_text(src: &str, name: &str, args: &[Val]) -> String {
    both(src, name, args).expect_err("a trap")
}

const TRAPS: &str = r#"(module $traps
    (memory 1)
    (table 2 funcref)
    (type $ii (func (param i32) (result i32)))
    (elem (i32.const 0) $inc)
    (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
    (func $load (export "load") (param i32) (result i32) (i32.load offset=8 (local.get 0)))
    (func $store (export "store") (param i32) (i64.store16 (local.get 0) (i64.const 7)))
    (func $divs (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
    (func $divu (export "div_u64") (param i64 i64) (result i64) (i64.div_u (local.get 0) (local.get 1)))
    (func $rems (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
    (func $trunc (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
    (func $truncu (export "trunc_u64") (param f32) (result i64) (i64.trunc_f32_u (local.get 0)))
    (func $unreachable (export "unreachable") unreachable)
    (func $indirect (export "indirect") (param i32) (result i32)
        (call_indirect (type $ii) (i32.const 5) (local.get 0)))
    (func $wrong (export "wrong_type") (result i64)
        (call_indirect (result i64) (i32.const 0)))
    (func $deep (export "deep") (param i32) (result i32)
        (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
    (func $outer (export "outer") (param i32) (result i32) (call $load (local.get 0)))
)"#;

#[test]
fn memory_traps_with_backtraces() {
    assert_eq!(both(TRAPS, "load", &[Val::I32(100)]), Ok(vec![Val::I32(0)]));
    let t = trap_text(TRAPS, "load", &[Val::I32(65_528)]);
    assert!(
        t.starts_with("wasm trap: out of bounds memory access"),
        "{t}"
    );
    // Through a caller: two frames, each named.
    let t = trap_text(TRAPS, "outer", &[Val::I32(-1)]);
    assert!(
        t.contains("0: traps!load") && t.contains("1: traps!outer"),
        "{t}"
    );
    let t = trap_text(TRAPS, "store", &[Val::I32(65_535)]);
    assert!(
        t.starts_with("wasm trap: out of bounds memory access"),
        "{t}"
    );
    assert_eq!(both(TRAPS, "store", &[Val::I32(65_534)]), Ok(vec![]));
    // Just past the end, and far past it (the last address, its offset
    // carrying it beyond 4 GiB): a fault in the guard region with guard
    // regions, a failed check without.
    for addr in [65_529, -9, -1] {
        let t = trap_text(TRAPS, "load", &[Val::I32(addr)]);
        assert!(
            t.starts_with("wasm trap: out of bounds memory access") && t.contains("0: traps!load"),
            "{t}"
        );
    }
}

/// Guard regions: every memory reserves its address space up front, an
/// access just past a grown memory's end still traps, and the other
/// strategy's artifacts are refused.
#[test]
fn guard_regions_follow_memory_growth() {
    let src = r#"(module (memory 1 3)
        (func (export "grow") (result i32) (memory.grow (i32.const 1)))
        (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
        (func (export "poke") (param i32) (i32.store8 (local.get 0) (i32.const 9))))"#;
    for bounds in [MemoryBounds::GuardRegions, MemoryBounds::Explicit] {
        let engine = engine_with(Strategy::Compiler, bounds);
        assert_eq!(
            engine.config().get_guard_regions(),
            bounds == MemoryBounds::GuardRegions
        );
        let m = Module::new(&engine, wat(src)).unwrap();
        let mut store = Store::new(&engine, ());
        let i = Instance::new(&mut store, &m, &[]).unwrap();
        let grow = i.get_typed_func::<(), i32>(&mut store, "grow").unwrap();
        let peek = i.get_typed_func::<i32, i32>(&mut store, "peek").unwrap();
        let poke = i.get_typed_func::<i32, ()>(&mut store, "poke").unwrap();
        let err = poke.call(&mut store, 65_536).unwrap_err().to_string();
        assert!(err.contains("out of bounds memory access"), "{err}");
        assert_eq!(grow.call(&mut store, ()).unwrap(), 1);
        poke.call(&mut store, 131_071).unwrap();
        assert_eq!(peek.call(&mut store, 131_071).unwrap(), 9);
        let err = peek.call(&mut store, 131_072).unwrap_err().to_string();
        assert!(err.contains("out of bounds memory access"), "{err}");
        assert_eq!(grow.call(&mut store, ()).unwrap(), 2);
        assert_eq!(grow.call(&mut store, ()).unwrap(), -1);
        let err = peek.call(&mut store, 196_608).unwrap_err().to_string();
        assert!(err.contains("out of bounds memory access"), "{err}");

        // An artifact runs only on an engine with the same strategy.
        let bytes = m.serialize().unwrap();
        let other = match bounds {
            MemoryBounds::GuardRegions => MemoryBounds::Explicit,
            _ => MemoryBounds::GuardRegions,
        };
        // SAFETY: bytes `serialize` just produced.
        let err = unsafe { Module::deserialize(&engine_with(Strategy::Compiler, other), &bytes) }
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(err.contains("memory bounds checks"), "{err}");
    }
    // `Engine::default()` too (it once made its memory pool without guard
    // regions while its code relied on them: an access past the end read
    // whatever was mapped there).
    let engine = Engine::default();
    let m = Module::new(&engine, wat(src)).unwrap();
    let mut store = Store::new(&engine, ());
    let i = Instance::new(&mut store, &m, &[]).unwrap();
    let peek = i.get_typed_func::<i32, i32>(&mut store, "peek").unwrap();
    let err = peek.call(&mut store, 65_536).unwrap_err().to_string();
    assert!(err.contains("out of bounds memory access"), "{err}");
}

#[test]
fn arithmetic_traps() {
    let t = trap_text(TRAPS, "div_s", &[Val::I32(1), Val::I32(0)]);
    assert!(t.starts_with("wasm trap: integer divide by zero"), "{t}");
    let t = trap_text(TRAPS, "div_s", &[Val::I32(i32::MIN), Val::I32(-1)]);
    assert!(t.starts_with("wasm trap: integer overflow"), "{t}");
    assert_eq!(
        both(TRAPS, "rem_s", &[Val::I32(i32::MIN), Val::I32(-1)]),
        Ok(vec![Val::I32(0)])
    );
    assert_eq!(
        both(TRAPS, "div_s", &[Val::I32(-7), Val::I32(2)]),
        Ok(vec![Val::I32(-3)])
    );
    let t = trap_text(TRAPS, "div_u64", &[Val::I64(1), Val::I64(0)]);
    assert!(t.starts_with("wasm trap: integer divide by zero"), "{t}");
    let t = trap_text(TRAPS, "trunc", &[Val::from(f64::NAN)]);
    assert!(
        t.starts_with("wasm trap: invalid conversion to integer"),
        "{t}"
    );
    let t = trap_text(TRAPS, "trunc", &[Val::from(3e9f64)]);
    assert!(t.starts_with("wasm trap: integer overflow"), "{t}");
    assert_eq!(
        both(TRAPS, "trunc", &[Val::from(-2147483648.9f64)]),
        Ok(vec![Val::I32(i32::MIN)])
    );
    assert_eq!(
        both(TRAPS, "trunc_u64", &[Val::from(1.8e19f32)]),
        Ok(vec![Val::I64(1.8e19f32 as u64 as i64)])
    );
    let t = trap_text(TRAPS, "trunc_u64", &[Val::from(-1.0f32)]);
    assert!(t.starts_with("wasm trap: integer overflow"), "{t}");
}

#[test]
fn unreachable_indirect_and_stack_overflow() {
    let t = trap_text(TRAPS, "unreachable", &[]);
    assert!(t.starts_with("wasm trap: unreachable"), "{t}");
    assert!(t.contains("0: traps!unreachable"), "{t}");
    assert_eq!(
        both(TRAPS, "indirect", &[Val::I32(0)]),
        Ok(vec![Val::I32(6)])
    );
    let t = trap_text(TRAPS, "indirect", &[Val::I32(1)]);
    assert!(t.starts_with("wasm trap: uninitialized element"), "{t}");
    let t = trap_text(TRAPS, "indirect", &[Val::I32(2)]);
    assert!(t.starts_with("wasm trap: undefined element"), "{t}");
    let t = trap_text(TRAPS, "wrong_type", &[]);
    assert!(
        t.starts_with("wasm trap: indirect call type mismatch"),
        "{t}"
    );
    // Infinite recursion: the compiled prologue's stack check.
    let t = outcome(Strategy::Compiler, TRAPS, "deep", &[Val::I32(0)]).unwrap_err();
    assert!(t.starts_with("wasm trap: call stack exhausted"), "{t}");
    assert!(t.contains("0: traps!deep"), "{t}");
}

const HOST: &str = r#"(module $host
    (import "host" "id" (func $id (param i32) (result i32)))
    (import "host" "fail" (func $fail (param i32) (result i32)))
    (import "host" "reenter" (func $reenter (param i32) (result i32)))
    (memory (export "memory") 1 4)
    (global $g (mut i64) (i64.const 5))
    (func (export "id") (param i32) (result i32) (i32.mul (call $id (local.get 0)) (i32.const 3)))
    (func (export "fail") (param i32) (result i32) (call $fail (local.get 0)))
    (func $callback (export "callback") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0))
            (then (i32.const 100))
            (else (call $reenter (i32.sub (local.get 0) (i32.const 1))))))
    (func (export "reenter") (param i32) (result i32) (call $reenter (local.get 0)))
    (func (export "reenter_forever") (param i32) (result i32) (call $reenter (i32.const 1000000000)))
    (func (export "grow") (param i32) (result i32 i32 i32)
        (i32.store (i32.const 65532) (i32.const 9))
        (memory.grow (local.get 0))
        (memory.size)
        (i32.load (i32.const 65532)))
    (func (export "globals") (result i64)
        (global.set $g (i64.add (global.get $g) (i64.const 10)))
        (global.get $g))
    (func (export "fill_copy") (result i32)
        (memory.fill (i32.const 10) (i32.const 0xab) (i32.const 4))
        (memory.copy (i32.const 20) (i32.const 9) (i32.const 6))
        (i32.load (i32.const 20)))
    (func (export "fill_oob") (memory.fill (i32.const 65535) (i32.const 0) (i32.const 2)))
)"#;

#[test]
fn calls_into_the_host_and_back() {
    assert_eq!(both(HOST, "id", &[Val::I32(14)]), Ok(vec![Val::I32(42)]));
    let t = both(HOST, "fail", &[Val::I32(3)]).unwrap_err();
    assert!(t.contains("host failed with 3"), "{t}");
    // wasm -> host -> wasm -> host ... six host levels deep, each adding 1.
    assert_eq!(
        both(HOST, "reenter", &[Val::I32(5)]),
        Ok(vec![Val::I32(106)])
    );
    // Unbounded re-entry through the host ends in a trap, not a crash.
    let t = outcome(Strategy::Compiler, HOST, "reenter_forever", &[Val::I32(0)]).unwrap_err();
    assert!(t.contains("call stack exhausted"), "{t}");
}

#[test]
fn memory_growth_globals_and_bulk_memory() {
    assert_eq!(
        both(HOST, "grow", &[Val::I32(2)]),
        Ok(vec![Val::I32(1), Val::I32(3), Val::I32(9)])
    );
    assert_eq!(
        both(HOST, "grow", &[Val::I32(5)]),
        Ok(vec![Val::I32(-1), Val::I32(1), Val::I32(9)])
    );
    assert_eq!(both(HOST, "globals", &[]), Ok(vec![Val::I64(15)]));
    assert_eq!(
        both(HOST, "fill_copy", &[]),
        Ok(vec![Val::I32(0xabab_ab00u32 as i32)])
    );
    let t = trap_text(HOST, "fill_oob", &[]);
    assert!(
        t.starts_with("wasm trap: out of bounds memory access"),
        "{t}"
    );
    assert!(t.contains("0: host!"), "{t}");
}

#[test]
fn a_host_panic_unwinds_through_compiled_code() {
    let engine = engine(Strategy::Compiler);
    let m = Module::new(
        &engine,
        wat(r#"(module (import "host" "boom" (func $boom))
                 (func (export "run") (call $boom)))"#),
    )
    .unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .func_wrap("host", "boom", || -> () { panic!("host panic") })
        .unwrap();
    let mut store = Store::new(&engine, ());
    let i = linker.instantiate(&mut store, &m).unwrap();
    let run = i.get_typed_func::<(), ()>(&mut store, "run").unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = run.call(&mut store, ());
    }));
    let payload = caught.expect_err("the panic comes back");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"host panic"));
    // The store still works.
    let count = Arc::new(AtomicU32::new(0));
    let c = Arc::clone(&count);
    let m2 = Module::new(
        &engine,
        wat(r#"(module (import "host" "tick" (func $t)) (func (export "run") (call $t)))"#),
    )
    .unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .func_wrap("host", "tick", move || {
            c.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
    let i = linker.instantiate(&mut store, &m2).unwrap();
    i.get_typed_func::<(), ()>(&mut store, "run")
        .unwrap()
        .call(&mut store, ())
        .unwrap();
    assert_eq!(count.load(Ordering::Relaxed), 1);
}

#[test]
fn strategy_compiler_refuses_what_it_cannot_compile_and_auto_falls_back() {
    // A tail call whose callee takes 320 bytes of arguments: more than the
    // compiler reserves for tail calls (256) and than its caller has.
    let simd = wat(r#"(module
        (func $wide (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64) (result i32) (i32.const 7))
        (func (export "f") (result i32) (return_call $wide (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1))))"#);
    let err = Module::new(&engine(Strategy::Compiler), &simd).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("cannot compile the module"), "{text}");
    assert!(text.contains("not supported by the compiler yet"), "{text}");
    // Auto runs it in the interpreter.
    let engine = engine(Strategy::Auto);
    let m = Module::new(&engine, &simd).unwrap();
    let mut store = Store::new(&engine, ());
    let i = Instance::new(&mut store, &m, &[]).unwrap();
    let f = i.get_typed_func::<(), i32>(&mut store, "f").unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), 7);
}

/// Fuel in compiled code is charged as the interpreter charges it: the same
/// fuel left after a run, and the same trap, at the same place, when it
/// runs out. An epoch deadline stops a compiled infinite loop.
#[test]
fn fuel_and_epochs_match_the_interpreter() {
    let src = r#"(module $fuel
        (func $sum (export "sum") (param i32) (result i32) (local i32)
            (block $done
                (loop $l
                    (br_if $done (i32.eqz (local.get 0)))
                    (local.set 1 (i32.add (local.get 1) (call $sq (local.get 0))))
                    (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
                    (br $l)))
            (local.get 1))
        (func $sq (param i32) (result i32)
            (if (result i32) (i32.gt_u (local.get 0) (i32.const 1000))
                (then (i32.const 0))
                (else (i32.mul (local.get 0) (local.get 0)))))
        (func (export "spin") (loop $l (br $l))))"#;
    let run = |strategy: Strategy, fuel: u64, n: i32| {
        let mut c = Config::new();
        c.strategy(strategy).consume_fuel(true);
        let engine = Engine::new(&c);
        let m = Module::new(&engine, wat(src)).unwrap();
        let mut store = Store::new(&engine, ());
        store.set_fuel(fuel).unwrap();
        let i = Instance::new(&mut store, &m, &[]).unwrap();
        let f = i.get_typed_func::<i32, i32>(&mut store, "sum").unwrap();
        let r = f.call(&mut store, n).map_err(|e| e.to_string());
        (r, store.get_fuel().unwrap())
    };
    for (fuel, n) in [(1_000_000, 100), (500, 100), (1, 5), (0, 1), (37, 3)] {
        let interp = run(Strategy::Interpreter, fuel, n);
        let compiled = run(Strategy::Compiler, fuel, n);
        assert_eq!(compiled, interp, "fuel {fuel}, n {n}");
    }
    let (r, _) = run(Strategy::Compiler, 50, 100);
    assert!(r.unwrap_err().starts_with("wasm trap: all fuel consumed"));
    // An epoch deadline stops a compiled loop that never calls anything.
    let mut c = Config::new();
    c.strategy(Strategy::Compiler).epoch_interruption(true);
    let engine = Engine::new(&c);
    let m = Module::new(&engine, wat(src)).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_epoch_deadline(1);
    let i = Instance::new(&mut store, &m, &[]).unwrap();
    let spin = i.get_typed_func::<(), ()>(&mut store, "spin").unwrap();
    let e2 = engine.clone();
    let ticker = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        e2.increment_epoch();
    });
    let err = spin.call(&mut store, ()).unwrap_err();
    ticker.join().unwrap();
    assert_eq!(err.trap_code(), Some(TrapCode::Interrupted), "{err}");
    assert!(
        err.to_string().contains("0: fuel!func 2 at offset"),
        "{err}"
    );
}

#[test]
fn numeric_edge_cases_match_the_interpreter() {
    let src = r#"(module
        (func (export "fmin") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))
        (func (export "fmax") (param f32 f32) (result f32) (f32.max (local.get 0) (local.get 1)))
        (func (export "nearest") (param f64) (result f64) (f64.nearest (local.get 0)))
        (func (export "copysign") (param f64 f64) (result f64) (f64.copysign (local.get 0) (local.get 1)))
        (func (export "conv_u64") (param i64) (result f32) (f32.convert_i64_u (local.get 0)))
        (func (export "sat") (param f64) (result i64) (i64.trunc_sat_f64_u (local.get 0)))
        (func (export "sat32") (param f32) (result i32) (i32.trunc_sat_f32_s (local.get 0)))
        (func (export "rotl") (param i64 i64) (result i64) (i64.rotl (local.get 0) (local.get 1)))
        (func (export "clz") (param i32) (result i32) (i32.clz (local.get 0)))
        (func (export "ctz") (param i64) (result i64) (i64.ctz (local.get 0)))
        (func (export "select") (param i32 f64 f64) (result f64)
            (select (local.get 1) (local.get 2) (local.get 0)))
        (func (export "lt") (param f64 f64) (result i32) (f64.lt (local.get 0) (local.get 1)))
        (func (export "ne") (param f32 f32) (result i32) (f32.ne (local.get 0) (local.get 1)))
        (func (export "br_table") (param i32) (result i32)
            (block (block (block (block (br_table 0 1 2 3 (local.get 0)))
                (return (i32.const 10))) (return (i32.const 11))) (return (i32.const 12)))
            (i32.const 13))
        (func (export "loop") (param i32) (result i64) (local i64)
            (loop $l
                (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))
                (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
            (local.get 1))
    )"#;
    let nan = f64::NAN;
    for (name, args) in [
        ("fmin", vec![Val::from(-0.0f64), Val::from(0.0f64)]),
        ("fmin", vec![Val::from(nan), Val::from(1.0f64)]),
        ("fmin", vec![Val::from(1.0f64), Val::from(nan)]),
        ("fmin", vec![Val::from(2.0f64), Val::from(-3.0f64)]),
        ("fmax", vec![Val::from(-0.0f32), Val::from(0.0f32)]),
        ("fmax", vec![Val::from(f32::NAN), Val::from(0.0f32)]),
        ("nearest", vec![Val::from(2.5f64)]),
        ("nearest", vec![Val::from(-3.5f64)]),
        ("copysign", vec![Val::from(2.0f64), Val::from(-0.0f64)]),
        ("conv_u64", vec![Val::I64(-1)]),
        ("conv_u64", vec![Val::I64(0x7fff_ffff_ffff_fdff)]),
        ("sat", vec![Val::from(-5.0f64)]),
        ("sat", vec![Val::from(1e30f64)]),
        ("sat", vec![Val::from(nan)]),
        ("sat32", vec![Val::from(-1e10f32)]),
        (
            "rotl",
            vec![Val::I64(0x8000_0000_0000_0001u64 as i64), Val::I64(65)],
        ),
        ("clz", vec![Val::I32(0)]),
        ("ctz", vec![Val::I64(0)]),
        (
            "select",
            vec![Val::I32(0), Val::from(1.0f64), Val::from(2.0f64)],
        ),
        ("lt", vec![Val::from(nan), Val::from(1.0f64)]),
        ("ne", vec![Val::from(f32::NAN), Val::from(f32::NAN)]),
        ("br_table", vec![Val::I32(0)]),
        ("br_table", vec![Val::I32(2)]),
        ("br_table", vec![Val::I32(99)]),
        ("loop", vec![Val::I32(100_000)]),
    ] {
        both(src, name, &args).unwrap();
    }
}

/// Artifacts: what `serialize` writes loads back (from bytes and from a
/// file) and runs the same; anything damaged or mismatched is an error.
#[test]
fn artifacts_round_trip_and_refuse_damage() {
    let src = r#"(module $aot
        (memory (export "memory") 1)
        (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
        (func (export "run") (param i32) (result i32)
            (i32.store (i32.const 8) (call $sq (local.get 0)))
            (i32.load (i32.const 8)))
        (func (export "trap") unreachable))"#;
    let engine = engine(Strategy::Auto);
    let module = Module::new(&engine, wat(src)).unwrap();
    let bytes = module.serialize().unwrap();
    assert!(engine.detect_precompiled(&bytes).is_some());
    assert!(engine.detect_precompiled(&wat(src)).is_none());
    let run = |m: &Module| {
        let mut store = Store::new(&engine, ());
        let i = Instance::new(&mut store, m, &[]).unwrap();
        let f = i.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
        let t = i.get_typed_func::<(), ()>(&mut store, "trap").unwrap();
        (
            f.call(&mut store, 12).unwrap(),
            t.call(&mut store, ()).unwrap_err().to_string(),
        )
    };
    let expected = run(&module);
    assert_eq!(expected.0, 144);
    assert!(
        expected.1.contains("0: aot!func 2 at offset"),
        "{}",
        expected.1
    );
    // SAFETY: made by this engine just above.
    let again = unsafe { Module::deserialize(&engine, &bytes) }.unwrap();
    assert_eq!(run(&again), expected);
    let dir = std::env::temp_dir().join(format!("nanowasm-aot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("m.cwasm");
    std::fs::write(&file, &bytes).unwrap();
    // SAFETY: as above; the file is not changed while the module lives.
    let mapped = unsafe { Module::deserialize_file(&engine, &file) }.unwrap();
    assert_eq!(run(&mapped), expected);
    // `Module::new` says what the bytes are.
    let err = Module::new(&engine, &bytes).unwrap_err().to_string();
    assert!(err.contains("compiled artifact"), "{err}");
    // Damage: every kind is an error, never a crash.
    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40;
    let mut in_header = bytes.clone();
    in_header[41] ^= 1;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (flipped, "checksum mismatch"),
        (bytes[..bytes.len() - 3].to_vec(), "truncated"),
        (bytes[..50].to_vec(), "truncated"),
        (in_header, "invalid compiled artifact"),
        (wat(src), "not a nanowasm artifact"),
    ];
    for (bad, message) in cases {
        // SAFETY: the point of the test: the checks catch these.
        let err = unsafe { Module::deserialize(&engine, &bad) }
            .unwrap_err()
            .to_string();
        assert!(err.contains(message), "{message}: {err}");
    }
    // Mismatched settings.
    let mut fuel = Config::new();
    fuel.consume_fuel(true);
    let mut interp = Config::new();
    interp.strategy(Strategy::Interpreter);
    let mut mvp = Config::new();
    mvp.features(Features::WASM2);
    for (config, message) in [(fuel, "fuel"), (interp, "interpreter"), (mvp, "proposals")] {
        // SAFETY: as above.
        let err = unsafe { Module::deserialize(&Engine::new(&config), &bytes) }
            .unwrap_err()
            .to_string();
        assert!(err.contains(message), "{message}: {err}");
    }
    // A module the compiler does not support yet: its artifact holds the
    // WebAssembly alone, which the interpreter runs.
    let simd = wat(r#"(module (memory 1) (memory $m1 1)
        (data (memory $m1) (i32.const 0) "\02")
        (func (export "f") (result i32) (i32.load8_u $m1 (i32.const 0))))"#);
    let m = Module::new(&engine, &simd).unwrap();
    let a = m.serialize().unwrap();
    // SAFETY: as above.
    let m = unsafe { Module::deserialize(&engine, &a) }.unwrap();
    let mut store = Store::new(&engine, ());
    let i = Instance::new(&mut store, &m, &[]).unwrap();
    assert_eq!(
        i.get_typed_func::<(), i32>(&mut store, "f")
            .unwrap()
            .call(&mut store, ())
            .unwrap(),
        2
    );
    let _ = std::fs::remove_dir_all(&dir);
}

const VECTORS: &str = r#"(module
    (import "host" "mix" (func $mix (param v128 i32 v128) (result i32 v128)))
    (global $g (mut v128) (v128.const i32x4 1 2 3 4))
    (type $t (func (param v128 i64 v128) (result v128 v128)))
    (table 1 funcref)
    (elem (i32.const 0) $swap)
    (func $swap (type $t) (local $tmp v128)
        (local.set $tmp (local.get 0))
        (i32x4.add (local.get 2) (i64x2.splat (local.get 1)))
        (local.get $tmp))
    (func (export "run") (param $a v128) (param $n i32) (param $b v128)
        (result v128 i32 v128)
        (local $r i32) (local $x v128)
        (call $mix (local.get $a) (local.get $n) (local.get $b))
        (global.set $g (i32x4.add (global.get $g)))
        (local.set $r)
        (call_indirect (type $t)
            (global.get $g) (i64.extend_i32_u (local.get $r)) (local.get $b) (i32.const 0))
        (local.set $x)
        (local.get $r)
        (local.get $x))
    (func (export "shuffle") (param v128 v128) (result v128)
        (i8x16.shuffle 31 0 30 1 29 2 28 3 27 4 26 5 25 6 24 7 (local.get 0) (local.get 1)))
    (func (export "lanes") (param $v v128) (result i32 i64 f32 f64)
        (i8x16.extract_lane_s 15 (local.get $v))
        (i64x2.extract_lane 1 (local.get $v))
        (f32x4.extract_lane 2 (local.get $v))
        (f64x2.extract_lane 0 (local.get $v))))"#;

fn i32x4(l: [i32; 4]) -> Val {
    let mut v = 0u128;
    for (i, x) in l.iter().enumerate() {
        v |= u128::from(*x as u32) << (32 * i);
    }
    Val::V128(v)
}

fn vectors(strategy: Strategy, name: &str, args: &[Val]) -> Vec<Val> {
    let engine = engine(strategy);
    let m = Module::new(&engine, wat(VECTORS)).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    let v = ValType::V128;
    linker
        .func_new(
            "host",
            "mix",
            FuncType::new([v, ValType::I32, v], [ValType::I32, v]),
            |_, args, results| {
                let (Val::V128(a), Val::I32(n), Val::V128(b)) = (&args[0], &args[1], &args[2])
                else {
                    return Err(Error::host("wrong argument types"));
                };
                results[0] = Val::I32(n + 1);
                results[1] = Val::V128(a ^ b);
                Ok(())
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, ());
    let i = linker.instantiate(&mut store, &m).unwrap();
    let f = i.get_func(&store, name).unwrap();
    let ty = f.ty(&store).unwrap();
    let mut results: Vec<Val> = ty.results().iter().map(|_| Val::I32(0)).collect();
    f.call(&mut store, args, &mut results).unwrap();
    results
}

/// An artifact larger than one checksum chunk (4 MiB; loading hashes the
/// chunks on several threads while it decodes): it loads from a file and
/// runs, and a flipped byte in any part of it (the wasm's data, the
/// metadata, the code, the last byte) is a checksum error.
#[test]
fn large_artifacts_are_checked_in_every_chunk() {
    // A module with a 9 MiB data segment, and a function reading it.
    let data: Vec<u8> = (0..9u32 << 20).map(|i| (i % 251) as u8).collect();
    let leb = |n: u32, out: &mut Vec<u8>| nanowasm_core::leb128::write_u32(out, n);
    let section = |id: u8, body: &[u8], out: &mut Vec<u8>| {
        out.push(id);
        leb(body.len() as u32, out);
        out.extend_from_slice(body);
    };
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    section(1, &[1, 0x60, 1, 0x7f, 1, 0x7f], &mut m); // (i32) -> i32
    section(3, &[1, 0], &mut m);
    section(5, &[1, 0, 0xa0, 0x01], &mut m); // 160 pages
    section(7, &[1, 4, b'p', b'e', b'e', b'k', 0, 0], &mut m);
    // peek: i32.load8_u (local.get 0)
    section(10, &[1, 7, 0, 0x20, 0, 0x2d, 0, 0, 0x0b], &mut m);
    let mut seg = vec![1, 0, 0x41, 0, 0x0b];
    leb(data.len() as u32, &mut seg);
    seg.extend_from_slice(&data);
    section(11, &seg, &mut m);
    let engine = Engine::new(Config::new().strategy(Strategy::Compiler));
    let bytes = Module::new(&engine, &m).unwrap().serialize().unwrap();
    assert!(bytes.len() > 9 << 20);
    let dir = std::env::temp_dir().join(format!("nanowasm-aot-large-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("large.cwasm");
    let peek = |module: &Module, at: i32| {
        let mut store = Store::new(&engine, ());
        let i = Instance::new(&mut store, module, &[]).unwrap();
        let f = i.get_typed_func::<i32, i32>(&mut store, "peek").unwrap();
        f.call(&mut store, at).unwrap()
    };
    std::fs::write(&file, &bytes).unwrap();
    // SAFETY: made by this engine just above, and not changed while the
    // module lives.
    let module = unsafe { Module::deserialize_file(&engine, &file) }.unwrap();
    for at in [0, 1 << 20, (9 << 20) - 1] {
        assert_eq!(peek(&module, at), (at as u32 % 251) as i32);
    }
    drop(module);
    let len = bytes.len();
    for at in [100, 4 << 20, (8 << 20) + 3, len - 5000, len - 1] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x10;
        std::fs::write(&file, &bad).unwrap();
        // SAFETY: the point of the test: the checksum catches it.
        let err = unsafe { Module::deserialize_file(&engine, &file) }
            .err()
            .unwrap_or_else(|| panic!("byte {at} of {len} flipped, and it loaded"))
            .to_string();
        assert!(err.contains("checksum mismatch"), "byte {at}: {err}");
        // SAFETY: as above.
        let err = unsafe { Module::deserialize(&engine, &bad) }
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("checksum mismatch"), "byte {at}: {err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `v128` values in compiled code's calls: host to wasm and back
/// (parameters and results around scalars), into a host import, through
/// `call_indirect`, in a global and in locals.
#[test]
fn v128_values_cross_every_boundary() {
    let a = i32x4([10, 20, 30, 40]);
    let b = i32x4([1, 2, 3, 4]);
    let args = [a, Val::I32(5), b];
    let compiled = vectors(Strategy::Compiler, "run", &args);
    let interp = vectors(Strategy::Interpreter, "run", &args);
    assert_eq!(format!("{compiled:?}"), format!("{interp:?}"));
    // g = (1,2,3,4) + (a ^ b); the indirect call adds splat64(6) to b.
    let g = i32x4([1 + (10 ^ 1), 2 + (20 ^ 2), 3 + (30 ^ 3), 4 + (40 ^ 4)]);
    assert_eq!(
        format!("{compiled:?}"),
        format!("{:?}", [i32x4([7, 2, 9, 4]), Val::I32(6), g])
    );

    let x = Val::V128(0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100);
    let y = Val::V128(0x1f1e_1d1c_1b1a_1918_1716_1514_1312_1110);
    let shuffled = vectors(Strategy::Compiler, "shuffle", &[x, y]);
    assert_eq!(
        format!("{shuffled:?}"),
        format!("{:?}", vectors(Strategy::Interpreter, "shuffle", &[x, y]))
    );
    assert_eq!(
        format!("{shuffled:?}"),
        format!(
            "{:?}",
            [Val::V128(0x0718_0619_051a_041b_031c_021d_011e_001f)]
        )
    );

    let v = Val::V128(0x8000_0000_0000_0000_4049_0fdb_0000_0000u128 | (0xbf80_0000u128 << 64));
    let lanes = vectors(Strategy::Compiler, "lanes", &[v]);
    assert_eq!(
        format!("{lanes:?}"),
        format!("{:?}", vectors(Strategy::Interpreter, "lanes", &[v]))
    );
}

/// Attacks on the fault handler: out-of-bounds accesses on many threads at
/// once (each thread's faults are found through its own activations), and
/// a fault in wasm entered from a host function that compiled code called
/// (nested activations: the inner trap unwinds the inner entry only, and
/// the outer caller goes on).
#[test]
fn guard_region_faults_on_many_threads_and_through_reentry() {
    let src = r#"(module
        (import "host" "poke" (func $poke (param i32) (result i32)))
        (memory 1)
        (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
        (func (export "outer") (param i32) (result i32)
            (i32.add (call $poke (local.get 0)) (i32.load (i32.const 0)))))"#;
    let engine = engine_with(Strategy::Compiler, MemoryBounds::GuardRegions);
    let module = Module::new(&engine, wat(src)).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (engine, module) = (engine.clone(), module.clone());
            std::thread::spawn(move || {
                let mut linker = Linker::<()>::new(&engine);
                linker
                    .func_wrap(
                        "host",
                        "poke",
                        |mut caller: Caller<'_, ()>, addr: i32| -> Result<i32, Error> {
                            let load = caller
                                .get_export("load")
                                .and_then(Extern::into_func)
                                .ok_or_else(|| Error::host("no load"))?;
                            let mut r = [Val::I32(0)];
                            // The inner call traps; the host turns the trap
                            // into a value and returns to compiled code.
                            match load.call(&mut caller, &[Val::I32(addr)], &mut r) {
                                Ok(()) => Ok(r[0].i32().unwrap_or(0)),
                                Err(e) if e.to_string().contains("out of bounds") => Ok(-1),
                                Err(e) => Err(e),
                            }
                        },
                    )
                    .unwrap();
                let mut store = Store::new(&engine, ());
                let i = linker.instantiate(&mut store, &module).unwrap();
                let load = i.get_typed_func::<i32, i32>(&mut store, "load").unwrap();
                let outer = i.get_typed_func::<i32, i32>(&mut store, "outer").unwrap();
                for k in 0..200 {
                    let addr = 65_533 + (k + t) % 1000;
                    let err = load.call(&mut store, addr).unwrap_err().to_string();
                    assert!(err.contains("out of bounds memory access"), "{err}");
                    assert_eq!(outer.call(&mut store, addr).unwrap(), -1);
                    assert_eq!(outer.call(&mut store, 4).unwrap(), 0);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// The compiler validates function bodies as it compiles them (decoding
/// skips them): an invalid body, an undeclared `ref.func` or an illegal
/// opcode gets exactly the validator's error, as with the interpreter.
#[test]
fn invalid_bodies_get_the_validators_verdict_when_compiling() {
    let cases: [&[u8]; 3] = [
        &wat(r#"(module (func (result i32) (i64.const 1)))"#),
        &wat(r#"(module (func $f) (func (drop (ref.func $f))))"#),
        // An illegal opcode (0xff) in the body of the only function.
        &[
            0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 5, 1, 3, 0, 0xff,
            0x0b,
        ],
    ];
    for bytes in cases {
        let interp = load_error(Strategy::Interpreter, bytes);
        for strategy in [Strategy::Compiler, Strategy::Auto] {
            let compiled = load_error(strategy, bytes);
            assert_eq!(compiled, interp, "{strategy:?}");
        }
    }
}

/// The smallest `n` for which `name(n)` fails under a store call-depth
/// limit of `limit`, on `strategy`; the failure must be a stack
/// exhaustion.
fn first_too_deep(strategy: Strategy, src: &str, name: &str, limit: usize) -> i32 {
    let engine = engine(strategy);
    let m = Module::new(&engine, wat(src)).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    add_reenter(&mut linker).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_limits(StoreLimitsBuilder::new().call_depth(limit).build());
    let i = linker.instantiate(&mut store, &m).unwrap();
    let f = i.get_typed_func::<i32, i32>(&mut store, name).unwrap();
    for n in 0..4 * limit as i32 {
        if let Err(e) = f.call(&mut store, n) {
            assert_eq!(e.trap_code(), Some(TrapCode::StackOverflow), "{e}");
            // The store is usable after the trap, at full depth again.
            assert!(f.call(&mut store, n - 1).is_ok());
            return n;
        }
    }
    panic!("{name}: no depth limit on {strategy:?}");
}

/// Compiled frames count their depth in the frame (no shared counter), and
/// a call into the host hands the count over: the limit is exact, the same
/// as the interpreter's, for direct, indirect and host-interleaved
/// recursion.
#[test]
fn the_call_depth_limit_is_exact_in_compiled_code() {
    const DEPTH: &str = r#"(module
        (import "host" "reenter" (func $reenter (param i32) (result i32)))
        (type $ii (func (param i32) (result i32)))
        (table funcref (elem $indirect))
        (func $direct (export "direct") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
                (else (i32.add (i32.const 1) (call $direct (i32.sub (local.get 0) (i32.const 1)))))))
        (func $indirect (export "indirect") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
                (else (i32.add (i32.const 1)
                    (call_indirect (type $ii) (i32.sub (local.get 0) (i32.const 1)) (i32.const 0))))))
        (func $callback (export "callback") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 100))
                (else (call $reenter (i32.sub (local.get 0) (i32.const 1))))))
    )"#;
    for name in ["direct", "indirect", "callback"] {
        for limit in [1, 2, 37] {
            let interp = first_too_deep(Strategy::Interpreter, DEPTH, name, limit);
            let compiled = first_too_deep(Strategy::Compiler, DEPTH, name, limit);
            assert_eq!(
                compiled, interp,
                "{name} with a call-depth limit of {limit}"
            );
        }
    }
}

/// Sums of locals and constants are computed late, by one `lea`
/// (`Loc::Sum`): they wrap at their type, as addresses they wrap before the
/// access, and they keep the values the locals had when they were taken.
#[test]
fn sums_of_locals_wrap_and_keep_their_operands() {
    const SUMS: &str = r#"(module
        (memory 1)
        (data (i32.const 0) "\2a\00\00\00")
        (func (export "wrap32") (param $a i32) (param $b i32) (result i32)
            (i32.add (i32.add (local.get $a) (local.get $b)) (i32.const 0x7fffffff)))
        (func (export "wrap64") (param $a i64) (param $b i64) (result i64)
            (i64.sub (i64.add (local.get $a) (local.get $b)) (i64.const 0x7fffffff)))
        (func (export "wrap_address") (param $p i32) (result i32)
            (i32.load (i32.add (local.get $p) (i32.const 8))))
        (func (export "past_the_end") (param $p i32) (result i32)
            (i32.load offset=4 (i32.add (local.get $p) (i32.const 65528))))
        ;; The sum is taken, then both of its locals change; it must keep
        ;; their old values. Loops make the locals hot enough to be kept in
        ;; registers.
        (func (export "kept") (param $i i32) (param $j i32) (result i32)
            (local $n i32) (local $s i32)
            (loop $l
                (i32.add (local.get $i) (local.get $j))
                (local.set $i (i32.const 1000))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (i32.add (i32.const 3))
                (local.set $s (i32.add (local.get $s)))
                (local.set $i (i32.sub (local.get $i) (i32.const 999)))
                (local.tee $n (i32.add (local.get $n) (i32.const 1)))
                (br_if $l (i32.lt_u (i32.const 5)))
            )
            (i32.add (local.get $s) (i32.mul (local.get $i) (i32.const 100000))))
        (func (export "counter") (param $n i32) (result i32)
            (local $i i32) (local $x i32)
            (loop $l
                (local.set $x (i32.add (i32.add (local.get $x) (local.get $i)) (i32.const -2)))
                (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
            (local.get $x))
    )"#;
    let i = |v: i32| Val::I32(v);
    assert_eq!(both(SUMS, "wrap32", &[i(-1), i(i32::MIN)]), Ok(vec![i(-2)]));
    assert_eq!(
        both(SUMS, "wrap64", &[Val::I64(i64::MAX), Val::I64(i64::MAX)]),
        Ok(vec![Val::I64(
            i64::MAX.wrapping_add(i64::MAX).wrapping_sub(0x7fff_ffff)
        )])
    );
    // -8 + 8 wraps to address 0, which holds 42.
    assert_eq!(both(SUMS, "wrap_address", &[i(-8)]), Ok(vec![i(42)]));
    assert_eq!(both(SUMS, "past_the_end", &[i(0)]), Ok(vec![i(0)]));
    let t = both(SUMS, "past_the_end", &[i(4)]).unwrap_err();
    assert!(
        t.starts_with("wasm trap: out of bounds memory access"),
        "{t}"
    );
    let t = both(SUMS, "wrap_address", &[i(65530)]).unwrap_err();
    assert!(
        t.starts_with("wasm trap: out of bounds memory access"),
        "{t}"
    );
    // i = 10, j = 20: first s += 10 + 20 + 3; then i is 1 and j counts up.
    assert_eq!(
        both(SUMS, "kept", &[i(10), i(20)]),
        Ok(vec![i(33 + 25 + 26 + 27 + 28 + 100_000)])
    );
    assert_eq!(
        both(SUMS, "counter", &[i(100)]),
        Ok(vec![i((0..100).map(|k| k - 2).sum())])
    );
}

/// `eqz` leaves its result in the flags: a comparison's condition is
/// inverted (unordered floats included), other operands are tested where
/// they are; branches, `if`, `select` and plain values all see wasm's
/// result.
#[test]
fn eqz_in_the_flags_matches_the_interpreter() {
    const EQZ: &str = r#"(module
        (func (export "not_lt") (param f64 f64) (result i32)
            (i32.eqz (f64.lt (local.get 0) (local.get 1))))
        (func (export "not_ge_branch") (param f32 f32) (result i32)
            (block (br_if 0 (i32.eqz (f32.ge (local.get 0) (local.get 1)))) (return (i32.const 7)))
            (i32.const 9))
        (func (export "eqz_eqz") (param i64) (result i32)
            (i32.eqz (i32.eqz (i64.eqz (local.get 0)))))
        (func (export "select") (param i32 i32 i32) (result i32)
            (select (local.get 1) (local.get 2) (i32.eqz (i32.lt_s (local.get 0) (i32.const 3)))))
        (func (export "if") (param i64) (result i32)
            (local $x i64)
            (local.set $x (i64.add (local.get 0) (i64.const 1)))
            (if (result i32) (i64.eqz (local.get $x)) (then (i32.const 1)) (else (i32.const 2))))
        (func (export "loop") (param i32) (result i32)
            (local $n i32)
            (loop $l
                (local.set $n (i32.add (local.get $n) (i32.const 1)))
                (br_if $l (i32.eqz (i32.eqz (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))))
            (local.get $n))
    )"#;
    let (i, l) = (Val::I32, Val::I64);
    let d = |x: f64| Val::F64(x.to_bits());
    let f = |x: f32| Val::F32(x.to_bits());
    for (a, b) in [(1.0, 2.0), (2.0, 1.0), (f64::NAN, 1.0), (1.0, 1.0)] {
        let want = i32::from(a.partial_cmp(&b) != Some(core::cmp::Ordering::Less));
        assert_eq!(both(EQZ, "not_lt", &[d(a), d(b)]), Ok(vec![i(want)]));
        let (a, b) = (a as f32, b as f32);
        let want = if a >= b { 7 } else { 9 };
        assert_eq!(both(EQZ, "not_ge_branch", &[f(a), f(b)]), Ok(vec![i(want)]));
    }
    for x in [0, 1, -1, 1 << 40] {
        assert_eq!(
            both(EQZ, "eqz_eqz", &[l(x)]),
            Ok(vec![i(i32::from(x == 0))])
        );
        assert_eq!(
            both(EQZ, "if", &[l(x - 1)]),
            Ok(vec![i(if x == 0 { 1 } else { 2 })])
        );
    }
    for x in [0, 2, 3, 5] {
        let want = if x >= 3 { 10 } else { 20 };
        assert_eq!(
            both(EQZ, "select", &[i(x), i(10), i(20)]),
            Ok(vec![i(want)])
        );
    }
    assert_eq!(both(EQZ, "loop", &[i(5)]), Ok(vec![i(5)]));
}

/// A register pinned to an `i32` local is used as an address as it is,
/// without zero-extending it first, so every way a local gets a value
/// must leave the register's upper half zero. Each function below gives
/// its hot local `$p` the value -8 (0xfffffff8) in another way and loads
/// at `offset=16`: the address is past 4 GiB, a trap. A register holding
/// -8 sign-extended would read `[base + 8]` instead: 42, a read that
/// wasm's semantics do not allow.
#[test]
fn pinned_i32_addresses_are_zero_extended() {
    // Reads through `$p` in a loop, so that `$p` and `$k` are kept in
    // registers; returns what it read.
    let read = |p: &str| {
        format!(
            "(loop $l
                (local.set $k (i32.add (local.get $k) (i32.load offset=16 (local.get {p}))))
                (br_if $l (i32.eqz (local.get {p}))))
             (local.get $k)"
        )
    };
    let body = read("$p");
    let src = format!(
        r#"(module
        (memory 1)
        (data (i32.const 8) "\2a\00\00\00")
        (global $g (mut i32) (i32.const -8))
        (func $nop)
        (func $use (param $p i32) (result i32) (local $k i32) {body})
        (func (export "host_param") (param $p i32) (result i32) (local $k i32) {body})
        (func (export "const_arg") (result i32) (call $use (i32.const -8)))
        (func (export "wasm_arg") (param $x i64) (result i32)
            (call $use (i32.wrap_i64 (local.get $x))))
        (func (export "set_const") (result i32) (local $p i32) (local $k i32)
            (local.set $p (i32.const -8)) {body})
        (func (export "set_wrap") (param $x i64) (result i32) (local $p i32) (local $k i32)
            (local.set $p (i32.wrap_i64 (local.get $x))) {body})
        (func (export "set_from_slot") (result i32) (local $p i32) (local $k i32)
            (local.set $p (block (result i32) (i32.const -8))) {body})
        (func (export "set_from_local") (result i32) (local $q i32) (local $p i32) (local $k i32)
            (local.set $q (i32.const -8))
            (local.set $p (local.get $q)) {body})
        (func (export "set_from_global") (result i32) (local $p i32) (local $k i32)
            (local.set $p (global.get $g)) {body})
        (func (export "tee") (param $x i64) (result i32) (local $p i32) (local $k i32)
            (drop (local.tee $p (i32.wrap_i64 (local.get $x)))) {body})
        (func (export "select") (param $x i64) (result i32) (local $p i32) (local $k i32)
            (local.set $p (select (i32.wrap_i64 (local.get $x)) (i32.const 0) (i32.const 1)))
            {body})
        ;; $a, $b and $c take the callee-saved registers, so $p gets a
        ;; caller-saved one, saved and reloaded around the call.
        (func (export "after_call") (result i32)
            (local $a i32) (local $b i32) (local $c i32) (local $p i32) (local $k i32)
            (local.set $p (i32.const -8))
            (loop $l
                (local.set $a (i32.add (local.get $a) (local.get $a)))
                (local.set $b (i32.add (local.get $b) (local.get $b)))
                (local.set $c (i32.add (local.get $c) (local.get $c)))
                (call $nop)
                (local.set $k (i32.add (local.get $k) (i32.load offset=16 (local.get $p))))
                (br_if $l (i32.eqz (local.get $p))))
            (local.get $k))
    )"#
    );
    let minus8 = Val::I64(-8);
    let cases: [(&str, &[Val]); 11] = [
        ("host_param", &[Val::I32(-8)]),
        ("const_arg", &[]),
        ("wasm_arg", std::slice::from_ref(&minus8)),
        ("set_const", &[]),
        ("set_wrap", std::slice::from_ref(&minus8)),
        ("set_from_slot", &[]),
        ("set_from_local", &[]),
        ("set_from_global", &[]),
        ("tee", std::slice::from_ref(&minus8)),
        ("select", std::slice::from_ref(&minus8)),
        ("after_call", &[]),
    ];
    for (name, args) in cases {
        let t = trap_text(&src, name, args);
        assert!(
            t.starts_with("wasm trap: out of bounds memory access"),
            "{name}: {t}"
        );
    }
    // In bounds, the read gives what is there (4 + 16: zero).
    assert_eq!(
        both(&src, "host_param", &[Val::I32(4)]),
        Ok(vec![Val::I32(0)])
    );
}

/// An `i32` address in an operand register is used as the access's index
/// as it is when its producer wrote it with a 32-bit operation (a load, an
/// arithmetic or logical operation, a shift by a count other than 0), and
/// zero-extended into `rax` first otherwise. Each function computes the
/// address 0xfffffff8 (-8) from a parameter in another way and accesses
/// it at `offset=16`: past 4 GiB, a trap, in both bounds strategies. An
/// index with its upper half set would reach `[base + 8]` instead (42
/// there). Every producer the compiler has today leaves an `i32`'s upper
/// half zero, so this holds whichever path an address takes; the test
/// keeps it so for the shapes the fast path takes and those it does not.
#[test]
fn operand_i32_addresses_are_zero_extended() {
    // Each is `$y` (or, for `load` and `widened`, what address `$y + 8`
    // holds: -8 at 0, 0 at 12).
    let exprs = [
        // Producers that zero-extend: the register is the index.
        ("load", "(i32.load (i32.add (local.get $y) (i32.const 8)))"),
        (
            "add",
            "(i32.add (i32.add (local.get $y) (i32.const 3)) (i32.const -3))",
        ),
        (
            "sub",
            "(i32.sub (i32.sub (local.get $y) (i32.const 5)) (i32.const -5))",
        ),
        ("and", "(i32.and (local.get $y) (i32.const -1))"),
        // (-16 here: the end is 4 GiB exactly, still out of bounds.)
        ("shl", "(i32.shl (local.get $y) (i32.const 1))"),
        // Producers that do not: zero-extended into `rax` first.
        (
            "select",
            "(select (local.get $y) (i32.const 0) (i32.const 1))",
        ),
        ("add_0", "(i32.add (local.get $y) (i32.const 0))"),
        ("shl_0", "(i32.shl (local.get $y) (i32.const 0))"),
        ("shl_32", "(i32.shl (local.get $y) (i32.const 32))"),
        ("slot", "(block $b (result i32) (br $b (local.get $y)))"),
        // A zero-extended `i32` whose register a 64-bit operation then
        // wrote: its upper half is not zero any more.
        (
            "widened",
            "(i32.wrap_i64 (i64.or
                (i64.extend_i32_u (i32.load (i32.add (local.get $y) (i32.const 8))))
                (i64.shl (i64.extend_i32_s (local.get $y)) (i64.const 32))))",
        ),
    ];
    let mut funcs = String::new();
    for (name, e) in &exprs {
        funcs += &format!(
            "(func (export \"{name}\") (param $y i32) (result i32) (i32.load offset=16 {e}))
             (func (export \"{name}_store\") (param $y i32) (result i32)
                (i32.store offset=16 {e} (i32.const 7)) (i32.const 0))\n"
        );
    }
    // Address 0 holds 0xfffffff8 (what `load` and `widened` read); 8
    // holds 42.
    let src = format!(
        r#"(module
        (memory 1)
        (data (i32.const 0) "\f8\ff\ff\ff")
        (data (i32.const 8) "\2a\00\00\00")
        {funcs})"#
    );
    for (name, _) in &exprs {
        for f in [name.to_string(), format!("{name}_store")] {
            let t = trap_text(&src, &f, &[Val::I32(-8)]);
            assert!(
                t.starts_with("wasm trap: out of bounds memory access"),
                "{f}: {t}"
            );
            // In bounds (`$y` = 4): the access reads 0 (or stores).
            assert_eq!(both(&src, &f, &[Val::I32(4)]), Ok(vec![Val::I32(0)]), "{f}");
        }
    }
}

/// A `local.set` or `local.tee` of a load's result into a local kept in a
/// register is the load into that register (emitted again in place of
/// the load into an operand register and a copy). A linked list walk,
/// `p = load(p)`, reads and writes the same register; the other loads
/// give the local every width and extension. Each matches the
/// interpreter, in both bounds strategies, and a walk off the end of
/// memory traps at that load, with its function in the backtrace.
#[test]
fn loads_into_pinned_locals_match_the_interpreter() {
    const SRC: &str = r#"(module
        (memory 1)
        ;; A list at 16: nodes (next, value) at 16, 32, 48; 48's next is
        ;; 0. At 64 a node whose next is past the end of memory.
        (data (i32.const 16) "\20\00\00\00\05\00\00\00")
        (data (i32.const 32) "\30\00\00\00\f9\ff\ff\ff")
        (data (i32.const 48) "\00\00\00\00\80\00\00\00")
        (data (i32.const 64) "\fe\ff\00\00\01\00\00\00")
        (func $walk (export "walk") (param $p i32) (result i32) (local $sum i32)
            (block $done
                (loop $l
                    (br_if $done (i32.eqz (local.get $p)))
                    (local.set $sum (i32.add (local.get $sum)
                                             (i32.load offset=4 (local.get $p))))
                    (local.set $p (i32.load (local.get $p)))
                    (br $l)))
            (local.get $sum))
        (func (export "walk_tee") (param $p i32) (result i32) (local $n i32)
            (loop $l
                (local.set $n (i32.add (local.get $n) (i32.const 1)))
                (br_if $l (local.tee $p (i32.load (local.get $p)))))
            (local.get $n))
        (func (export "outer") (param $p i32) (result i32) (call $walk (local.get $p)))
        (func (export "widths") (param $a i32) (result i64)
            (local $x i32) (local $y i64) (local $z i32) (local $w i64)
            (local.set $x (i32.load8_s offset=4 (local.get $a)))
            (local.set $y (i64.load16_s offset=4 (local.get $a)))
            (local.set $z (i32.load16_u offset=4 (local.get $a)))
            (local.set $w (i64.load32_s offset=4 (local.get $a)))
            (i64.add
                (i64.add (i64.extend_i32_u (local.get $x)) (local.get $y))
                (i64.add (i64.extend_i32_u (local.get $z))
                         (i64.add (local.get $w) (i64.load32_u offset=4 (local.get $a)))))))"#;
    let i = Val::I32;
    assert_eq!(both(SRC, "walk", &[i(16)]), Ok(vec![i(5 - 7 + 128)]));
    assert_eq!(both(SRC, "walk", &[i(32)]), Ok(vec![i(-7 + 128)]));
    assert_eq!(both(SRC, "walk_tee", &[i(16)]), Ok(vec![i(3)]));
    // 32's value is -7 (0xfffffff9), sign- and zero-extended from 8, 16
    // and 32 bits: 0xfffffff9 + -7 + 0xfff9 + -7 + 0xfffffff9.
    let want = 0xffff_fff9i64 - 7 + 0xfff9 - 7 + 0xffff_fff9;
    assert_eq!(both(SRC, "widths", &[i(32)]), Ok(vec![Val::I64(want)]));
    // From 64, the walk's next node is at 0xfffe, which ends past the end
    // of memory (as does its value).
    for f in ["walk", "walk_tee", "outer"] {
        let t = trap_text(SRC, f, &[i(64)]);
        assert!(
            t.starts_with("wasm trap: out of bounds memory access"),
            "{f}: {t}"
        );
    }
    let t = trap_text(SRC, "outer", &[i(64)]);
    assert!(
        t.contains("0: walk (func 0)") && t.contains("1: func 2"),
        "{t}"
    );
}

/// `i8x16.shuffle` whose lanes come from one input only, or from both
/// inputs when they are the same local (one `pshufb` of that input): the
/// result is the lanes' bytes, as the interpreter computes them, with the
/// inputs in locals, in registers and in slots.
#[test]
fn shuffles_of_one_input_pick_the_right_bytes() {
    const SRC: &str = r#"(module
        (func (export "a_only") (param v128 v128) (result v128)
            (i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0 (local.get 0) (local.get 1)))
        (func (export "b_only") (param v128 v128) (result v128)
            (i8x16.shuffle 16 18 20 22 24 26 28 30 31 29 27 25 23 21 19 17 (local.get 0) (local.get 1)))
        (func (export "same") (param v128 v128) (result v128)
            (i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31 (local.get 1) (local.get 1)))
        (func (export "registers") (param v128 v128) (result v128)
            (i8x16.shuffle 31 30 29 28 27 26 25 24 16 16 16 16 17 17 17 17
                (v128.xor (local.get 0) (local.get 1))
                (v128.and (local.get 0) (local.get 1))))
        (func (export "slots") (param v128 v128) (result v128)
            (local v128 v128 v128 v128 v128 v128)
            (local.set 2 (local.get 0))
            (local.set 3 (local.get 1))
            (local.set 4 (local.get 0))
            (local.set 5 (local.get 1))
            (local.set 6 (local.get 0))
            (local.set 7 (local.get 1))
            (i8x16.shuffle 3 3 3 3 0 1 2 3 15 14 13 12 5 5 5 5
                (v128.or (local.get 7) (local.get 6))
                (local.get 1)))
        (func (export "mixed") (param v128 v128) (result v128)
            (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get 0) (local.get 1))))"#;
    let a: u128 = 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100;
    let b: u128 = 0x9f9e_9d9c_9b9a_9998_9796_9594_9392_9190;
    let shuffle = |x: u128, y: u128, lanes: [u8; 16]| {
        let bytes: Vec<u8> = x.to_le_bytes().into_iter().chain(y.to_le_bytes()).collect();
        u128::from_le_bytes(lanes.map(|l| bytes[usize::from(l)]))
    };
    let rev: [u8; 16] = core::array::from_fn(|i| 15 - i as u8);
    let cases = [
        ("a_only", shuffle(a, b, rev)),
        (
            "b_only",
            shuffle(
                a,
                b,
                [
                    16, 18, 20, 22, 24, 26, 28, 30, 31, 29, 27, 25, 23, 21, 19, 17,
                ],
            ),
        ),
        (
            "same",
            shuffle(
                b,
                b,
                [0, 17, 2, 19, 4, 21, 6, 23, 8, 25, 10, 27, 12, 29, 14, 31],
            ),
        ),
        (
            "registers",
            shuffle(
                a ^ b,
                a & b,
                [
                    31, 30, 29, 28, 27, 26, 25, 24, 16, 16, 16, 16, 17, 17, 17, 17,
                ],
            ),
        ),
        (
            "slots",
            shuffle(
                a | b,
                b,
                [3, 3, 3, 3, 0, 1, 2, 3, 15, 14, 13, 12, 5, 5, 5, 5],
            ),
        ),
        (
            "mixed",
            shuffle(
                a,
                b,
                [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23],
            ),
        ),
    ];
    for (name, expected) in cases {
        let got = both(SRC, name, &[Val::V128(a), Val::V128(b)]);
        assert_eq!(
            format!("{got:?}"),
            format!("{:?}", Ok::<_, String>(vec![Val::V128(expected)])),
            "{name}"
        );
    }
}

/// A module of `n` functions, each returning `k * 1000 + its index`, and
/// an export `sum` calling them all: enough functions that the compiler
/// splits them over its threads.
fn many_functions(n: u32, k: u32) -> Vec<u8> {
    let mut src = String::from("(module\n");
    for i in 0..n {
        src += &format!("  (func $f{i} (result i32) (i32.const {}))\n", k * 1000 + i);
    }
    src += "  (func (export \"sum\") (result i32)\n    (i32.const 0)\n";
    for i in 0..n {
        src += &format!("    (i32.add (call $f{i}))\n");
    }
    src += "  ))";
    wat(&src)
}

/// Why `Module::new` refuses `bytes` on `strategy` (it must).
fn load_error(strategy: Strategy, bytes: &[u8]) -> String {
    Module::new(&engine(strategy), bytes)
        .map(|_| ())
        .unwrap_err()
        .to_string()
}

/// `bytes` loaded on `engine` and instantiated (it imports nothing) in a
/// store of its own.
fn instantiate(engine: &Engine, bytes: &[u8]) -> (Store<()>, Instance) {
    let m = Module::new(engine, bytes).unwrap();
    let mut store = Store::new(engine, ());
    let i = Instance::new(&mut store, &m, &[]).unwrap();
    (store, i)
}

fn sum_of(engine: &Engine, bytes: &[u8]) -> i32 {
    let (mut store, i) = instantiate(engine, bytes);
    let f = i.get_typed_func::<(), i32>(&mut store, "sum").unwrap();
    f.call(&mut store, ()).unwrap()
}

/// The engine keeps its compiler threads' buffers from one compile to the
/// next: modules compiled one after another, after a failed compile and
/// from several threads at once each get their own code, and a module's
/// artifact is the same bytes whatever the engine compiled before.
#[test]
fn compiles_that_reuse_the_engines_buffers_keep_modules_apart() {
    let (a, b) = (many_functions(96, 1), many_functions(200, 2));
    let expect = |n: i32, k: i32| (0..n).map(|i| k * 1000 + i).sum::<i32>();
    let engine = engine(Strategy::Compiler);
    let fresh = Module::new(&engine, &a).unwrap().serialize().unwrap();
    assert_eq!(sum_of(&engine, &a), expect(96, 1));
    assert_eq!(sum_of(&engine, &b), expect(200, 2));
    let bad = wat(r#"(module (func (result i32) (i64.const 1)))"#);
    assert!(Module::new(&engine, &bad).is_err());
    assert_eq!(sum_of(&engine, &a), expect(96, 1));
    let again = Module::new(&engine, &a).unwrap().serialize().unwrap();
    assert!(again == fresh, "the artifact changed after other compiles");
    std::thread::scope(|s| {
        for t in 0..4 {
            let (engine, a, b) = (&engine, &a, &b);
            s.spawn(move || {
                for _ in 0..5 {
                    if t % 2 == 0 {
                        assert_eq!(sum_of(engine, a), expect(96, 1));
                    } else {
                        assert_eq!(sum_of(engine, b), expect(200, 2));
                    }
                }
            });
        }
    });
}

/// A module of more than 1 MiB of code: its image is mapped in huge pages
/// and laid out in parts, several threads taking them one at a time. Every
/// call reaches its function (the calls are patched across the parts), a
/// trap deep in the image has its backtrace, and the artifact is the same
/// bytes at every compile, whichever thread laid out which part.
#[test]
fn images_over_a_mebibyte_lay_out_in_parts_and_run() {
    let n = 30_000;
    let mut src = String::from(
        "(module\n  (func $trap (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))\n",
    );
    for i in 0..n {
        src += &format!("  (func $f{i} (result i32) (i32.const {i}))\n");
    }
    src += "  (func (export \"sum\") (result i32)\n    (i32.const 0)\n";
    for i in 0..n {
        src += &format!("    (i32.add (call $f{i}))\n");
    }
    src += "  )\n  (func (export \"trap\") (param i32) (result i32) (call $trap (local.get 0))))";
    let bytes = wat(&src);
    let engine = engine(Strategy::Compiler);
    let (mut store, i) = instantiate(&engine, &bytes);
    let sum = i.get_typed_func::<(), i32>(&mut store, "sum").unwrap();
    assert_eq!(sum.call(&mut store, ()).unwrap(), (0..n).sum::<i32>());
    let trap = i.get_typed_func::<i32, i32>(&mut store, "trap").unwrap();
    assert_eq!(trap.call(&mut store, 1).unwrap(), 1);
    // The divide is in the first function, its caller past all the others.
    let err = trap.call(&mut store, 0).unwrap_err().to_string();
    assert!(
        err.starts_with("wasm trap: integer divide by zero"),
        "{err}"
    );
    assert!(err.contains("0: trap (func 0)"), "{err}");
    assert!(err.contains(&format!("1: func {} at", n + 2)), "{err}");
    let first = Module::new(&engine, &bytes).unwrap().serialize().unwrap();
    assert!(first.len() > 1 << 20, "only {} bytes", first.len());
    for _ in 0..3 {
        let again = Module::new(&engine, &bytes).unwrap().serialize().unwrap();
        assert!(
            again == first,
            "the artifact changed from one compile to the next"
        );
    }
}

/// A function that keeps `n` operands on its stack, each pushed by
/// `push(k)`, then adds them all up: `(param i32) (result i32)`.
fn deep_stack(n: usize, push: impl Fn(usize) -> String) -> String {
    let mut src = String::from(
        "(module (func $nop) (func (export \"f\") (param i32) (result i32) (local i32)\n",
    );
    for k in 0..n {
        src += &push(k);
        src.push('\n');
    }
    src += &"(i32.add)".repeat(n - 1);
    src += "))";
    src
}

/// The compiler's scans of the operand stack (spilling it at a call,
/// detaching a local's pending reads when it is written, finding a
/// register to free), and the interpreter's translation's (materializing
/// operands that alias a local), cover only the operands since the last
/// spill, so a body that keeps a huge stack compiles and translates in
/// linear time: each of these took minutes (the first, at 100,000
/// operands, 12 s to compile; at 200,000, 24 s to translate). Moderate
/// depths run on both, with the same results.
#[test]
fn deep_operand_stacks_compile_in_linear_time() {
    type Push = fn(usize) -> String;
    type Value = fn(usize) -> i32;
    let patterns: [(&str, Push, Value); 3] = [
        (
            "a call after each push",
            |k| format!("(i32.const {k}) (call $nop)"),
            |k| k as i32,
        ),
        (
            "a local written after each read",
            |k| format!("(local.get 0) (local.set 1 (i32.const {k}))"),
            |_| 7,
        ),
        (
            "registers in use above constants",
            |k| {
                if k % 2 == 0 {
                    format!("(i32.const {k})")
                } else {
                    "(i32.add (local.get 0) (i32.const 1))".to_string()
                }
            },
            |k| if k % 2 == 0 { k as i32 } else { 8 },
        ),
    ];
    let sum = |n: usize, value: fn(usize) -> i32| (0..n).map(value).fold(0i32, i32::wrapping_add);
    let compiler = engine(Strategy::Compiler);
    let interpreter = engine(Strategy::Interpreter);
    let start = std::time::Instant::now();
    for (what, push, value) in patterns {
        let big = wat(&deep_stack(200_000, push));
        Module::new(&compiler, &big).unwrap_or_else(|e| panic!("{what}: {e}"));
        // The interpreter translates a function at its first call.
        let (mut store, i) = instantiate(&interpreter, &big);
        let f = i.get_typed_func::<i32, i32>(&mut store, "f").unwrap();
        assert_eq!(
            f.call(&mut store, 7).unwrap(),
            sum(200_000, value),
            "{what}"
        );
        for n in [300, 1_000, 5_000] {
            assert_eq!(
                both(&deep_stack(n, push), "f", &[Val::I32(7)]),
                Ok(vec![Val::I32(sum(n, value))]),
                "{what}, {n} operands"
            );
        }
    }
    let elapsed = start.elapsed();
    eprintln!("deep operand stacks: {elapsed:?}");
    assert!(elapsed < std::time::Duration::from_secs(30), "{elapsed:?}");
}

/// Each target of a `br_table` that moves values gets the moves: `T`
/// targets moving `K` values would be `T * K` moves from `T + K` bytes (a
/// 104 KB module made 1.4 GB of code and took 4 GB to compile). A
/// function's code is bounded by its size: the compiler refuses more, and
/// the interpreter, which `Strategy::Auto` then runs it on, refuses its
/// own translation at the call, each with an error.
#[test]
fn branch_tables_that_move_values_are_bounded() {
    let module = |k: usize, t: usize| {
        let res = vec!["i32"; k].join(" ");
        wat(&format!(
            "(module (type $t (func (result {res})))
              (func (export \"f\") (param i32) (result i32)
                (block $b (type $t) (i32.const 5) {}(br_table {}(local.get 0)))
                {}))",
            "(i32.const 1) ".repeat(k),
            "0 ".repeat(t),
            "(drop) ".repeat(k - 1),
        ))
    };
    let start = std::time::Instant::now();
    let big = module(1_000, 20_000);
    let err = load_error(Strategy::Compiler, &big);
    assert!(err.contains("bytes of code"), "{err}");
    let (mut store, i) = instantiate(&engine(Strategy::Auto), &big);
    let f = i.get_typed_func::<i32, i32>(&mut store, "f").unwrap();
    let err = f.call(&mut store, 0).unwrap_err().to_string();
    assert!(err.contains("too large to translate"), "{err}");
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
    // A moderate one compiles and runs as the interpreter runs it.
    let small = module(3, 100);
    for strategy in [Strategy::Compiler, Strategy::Interpreter] {
        let (mut store, i) = instantiate(&engine(strategy), &small);
        let f = i.get_typed_func::<i32, i32>(&mut store, "f").unwrap();
        assert_eq!(f.call(&mut store, 7).unwrap(), 1, "{strategy:?}");
    }
}

/// Each function's code bound has a base allowance, so many small
/// functions that each make the most they may (a call returning 1,000
/// values and a `br_table` moving them) would make thousands of times the
/// module's size: 7,000 of them (a 150 KB module) would be 300 MB of
/// machine code. A module's code is bounded as a whole (at least 256
/// MiB), in the compiler and in the interpreter's translations.
#[test]
fn many_small_functions_cannot_make_unbounded_code() {
    let k = 1_000;
    let res = vec!["i32"; k].join(" ");
    let mut src = format!(
        "(module (type $t (func (result {res})))
          (func $g (type $t) {})\n",
        "(i32.const 1) ".repeat(k)
    );
    let n = 7_000;
    for i in 0..n {
        src += &format!(
            "(func (export \"f{i}\") (param i32) (result {res})
               (block (type $t) (i32.const 5) (call $g) (br_table 0 0 (local.get 0))))\n"
        );
    }
    src += ")";
    let bytes = wat(&src);
    let err = load_error(Strategy::Compiler, &bytes);
    assert!(err.contains("a module of more than"), "{err}");
    let (mut store, i) = instantiate(&engine(Strategy::Interpreter), &bytes);
    let mut results = vec![Val::I32(0); k];
    let err = (0..n)
        .find_map(|f| {
            let f = i.get_func(&mut store, &format!("f{f}")).unwrap();
            f.call(&mut store, &[Val::I32(0)], &mut results).err()
        })
        .expect("the translations stop before the last function");
    assert!(
        err.to_string()
            .contains("translated code would take more than"),
        "{err}"
    );
}
