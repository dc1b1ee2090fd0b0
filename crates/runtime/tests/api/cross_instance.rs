//! Compiled code calling a compiled function of another instance directly
//! (after the first call through the host has filled the import's slot),
//! against the interpreter: results, traps and backtraces across the
//! boundary, guard-region faults in the callee, memory growth and new
//! globals seen by the caller afterwards, re-entry through the host into a
//! direct call and a trap there, stack exhaustion, and fuel. Every case
//! makes many calls, so that the later ones are direct.
#![cfg(all(target_arch = "x86_64", target_os = "linux", feature = "compiler"))]

use nanowasm_runtime::*;

use super::wat;

/// The callee module: registered as `b`.
const B: &str = r#"(module $b
    (import "host" "reenter" (func $reenter (param i32) (result i32)))
    (import "host" "grow_store" (func $grow_store))
    (memory (export "mem") 1 100)
    (global $g (mut i32) (i32.const 0))
    (func (export "add") (param i32 i32) (result i32)
        (global.set $g (i32.add (global.get $g) (i32.const 1)))
        (i32.add (local.get 0) (local.get 1)))
    (func (export "f64") (param f64 i64 f32) (result f64)
        (f64.add (f64.add (local.get 0) (f64.convert_i64_s (local.get 1)))
                 (f64.promote_f32 (local.get 2))))
    (func $boom (export "boom") (param i32) (result i32)
        (if (i32.eq (local.get 0) (i32.const 77)) (then unreachable))
        (local.get 0))
    (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func $deep (export "deep") (param i32) (result i32)
        (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
    (func (export "reenter") (param i32) (result i32) (call $reenter (local.get 0)))
    (func (export "grow_store") (param i32) (result i32) (call $grow_store) (local.get 0))
    (func (export "spin") (param i32) (result i32)
        (loop $l (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
        (local.get 0))
)"#;

/// The caller: imports `b`'s functions and memory.
const A: &str = r#"(module $a
    (import "b" "add" (func $add (param i32 i32) (result i32)))
    (import "b" "f64" (func $f64 (param f64 i64 f32) (result f64)))
    (import "b" "boom" (func $boom (param i32) (result i32)))
    (import "b" "load" (func $load (param i32) (result i32)))
    (import "b" "grow" (func $grow (param i32) (result i32)))
    (import "b" "deep" (func $deep (param i32) (result i32)))
    (import "b" "reenter" (func $reenter (param i32) (result i32)))
    (import "b" "grow_store" (func $grow_store (param i32) (result i32)))
    (import "b" "spin" (func $spin (param i32) (result i32)))
    (import "b" "mem" (memory 1))
    (global $mine (mut i32) (i32.const 5))
    (func (export "sum") (param $n i32) (result i32)
        (local $acc i32)
        (loop $l
            (local.set $acc (call $add (local.get $acc) (local.get $n)))
            (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.get $acc))
    (func (export "floats") (param $n i32) (result f64)
        (local $acc f64)
        (loop $l
            (local.set $acc (call $f64 (local.get $acc) (i64.extend_i32_u (local.get $n)) (f32.const 0.5)))
            (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.get $acc))
    ;; `boom(i)` for i = 0..n: traps at 77, in b, called directly.
    (func $count (export "count") (param $n i32) (result i32)
        (local $i i32)
        (loop $l
            (drop (call $boom (local.get $i)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $i))
    ;; Loads in b at addresses 0, step, 2 step, ...: out of bounds at last.
    (func (export "loads") (param $step i32) (result i32)
        (local $p i32) (local $acc i32)
        (loop $l
            (local.set $acc (i32.add (local.get $acc) (call $load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (local.get $step)))
            (br $l))
        (local.get $acc))
    ;; b grows the memory both share; a then stores past the old end.
    (func (export "grow_then_store") (result i32)
        (local $i i32)
        (loop $l
            (drop (call $add (i32.const 1) (i32.const 2)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))
        (drop (call $grow (i32.const 3)))
        (i32.store (i32.const 200000) (i32.const 42))
        (i32.add (i32.load (i32.const 200000)) (memory.size)))
    (func (export "deep") (result i32)
        (drop (call $add (i32.const 1) (i32.const 2)))
        (drop (call $add (i32.const 1) (i32.const 2)))
        (call $deep (i32.const 0)))
    ;; The host instantiates modules (new functions and globals) while b
    ;; runs; a's own global must still read right afterwards.
    (func (export "globals") (result i32)
        (local $i i32)
        (loop $l
            (drop (call $grow_store (local.get $i)))
            (global.set $mine (i32.add (global.get $mine) (i32.const 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (i32.const 20))))
        (global.get $mine))
    ;; a -> b (direct) -> host -> a.callback -> b (direct) -> ...
    (func (export "reenter") (param i32) (result i32)
        (drop (call $add (i32.const 1) (i32.const 2)))
        (drop (call $add (i32.const 1) (i32.const 2)))
        (call $reenter (local.get 0)))
    (func (export "callback") (param i32) (result i32)
        (drop (call $add (i32.const 1) (i32.const 2)))
        (call $boom (local.get 0)))
    ;; The inner activation traps (the host goes on), then the outer one.
    (func (export "reenter_then_trap") (result i32)
        (drop (call $add (i32.const 1) (i32.const 2)))
        (drop (call $add (i32.const 1) (i32.const 2)))
        (drop (call $reenter (i32.const 77)))
        (call $boom (i32.const 77)))
    (func (export "spin") (param i32) (result i32)
        (drop (call $add (i32.const 1) (i32.const 2)))
        (drop (call $add (i32.const 1) (i32.const 2)))
        (call $spin (local.get 0)))
)"#;

struct Run {
    strategy: Strategy,
    bounds: MemoryBounds,
    fuel: Option<u64>,
}

/// Calls `name(args)` on `a`: the results or the error's text.
fn outcome(run: &Run, name: &str, args: &[Val]) -> Result<Vec<Val>, String> {
    let mut config = Config::new();
    config.strategy(run.strategy).memory_bounds(run.bounds);
    config.consume_fuel(run.fuel.is_some());
    let engine = Engine::new(&config);
    let b = Module::new(&engine, wat(B)).map_err(|e| e.to_string())?;
    let a = Module::new(&engine, wat(A)).map_err(|e| e.to_string())?;
    let mut linker = Linker::<()>::new(&engine);
    // `host.reenter(x)`: calls `a.callback(x)`; an error becomes -1 (the
    // host handles it, and b goes on).
    linker
        .func_wrap(
            "host",
            "reenter",
            |mut caller: Caller<'_, ()>, x: i32| -> Result<i32, Error> {
                let cb = CALLBACK.with(|c| c.get());
                let Some(cb) = cb else { return Ok(-2) };
                let mut r = [Val::I32(0)];
                match cb.call(&mut caller, &[Val::I32(x)], &mut r) {
                    Ok(()) => Ok(r[0].i32().unwrap_or(0)),
                    Err(_) => Ok(-1),
                }
            },
        )
        .map_err(|e| e.to_string())?;
    // `host.grow_store()`: adds functions and globals to the store.
    let extra = Module::new(
        &engine,
        wat("(module (global (mut i32) (i32.const 1)) (global i64 (i64.const 2)) (func (export \"f\")))"),
    )
    .map_err(|e| e.to_string())?;
    linker
        .func_wrap("host", "grow_store", move |mut caller: Caller<'_, ()>| {
            Instance::new(&mut caller, &extra, &[]).map(|_| ())
        })
        .map_err(|e| e.to_string())?;
    let mut store = Store::new(&engine, ());
    if let Some(f) = run.fuel {
        store.set_fuel(f).map_err(|e| e.to_string())?;
    }
    let bi = linker
        .instantiate(&mut store, &b)
        .map_err(|e| format!("instantiate b: {e}"))?;
    linker
        .instance(&mut store, "b", bi)
        .map_err(|e| e.to_string())?;
    let ai = linker
        .instantiate(&mut store, &a)
        .map_err(|e| format!("instantiate a: {e}"))?;
    CALLBACK.with(|c| c.set(ai.get_func(&store, "callback")));
    let f = ai.get_func(&store, name).ok_or("no export")?;
    let mut results = vec![Val::I32(0); f.ty(&store).map_err(|e| e.to_string())?.results().len()];
    // Twice: the second run starts with every slot filled. (Both must
    // agree with the interpreter's: the error of either, else the second
    // run's results after the first's.)
    let mut runs = Vec::new();
    for _ in 0..2 {
        match f.call(&mut store, args, &mut results) {
            Ok(()) => runs.extend(results.iter().cloned()),
            Err(e) => {
                CALLBACK.with(|c| c.set(None));
                return Err(e.to_string());
            }
        }
    }
    CALLBACK.with(|c| c.set(None));
    Ok(runs)
}

std::thread_local! {
    static CALLBACK: std::cell::Cell<Option<Func>> = const { std::cell::Cell::new(None) };
}

/// The outcome on the interpreter, and the same on the compiler with guard
/// regions and with explicit checks (asserted equal).
fn both(name: &str, args: &[Val]) -> Result<Vec<Val>, String> {
    both_fuel(name, args, None)
}

fn both_fuel(name: &str, args: &[Val], fuel: Option<u64>) -> Result<Vec<Val>, String> {
    let run = |strategy, bounds| Run {
        strategy,
        bounds,
        fuel,
    };
    let interp = outcome(&run(Strategy::Interpreter, MemoryBounds::Auto), name, args);
    for bounds in [MemoryBounds::Auto, MemoryBounds::Explicit] {
        let compiled = outcome(&run(Strategy::Compiler, bounds), name, args);
        assert_eq!(
            format!("{compiled:?}"),
            format!("{interp:?}"),
            "compiled ({bounds:?}, left) and interpreted (right) differ for {name}{args:?}"
        );
    }
    interp
}

#[test]
fn direct_calls_give_the_interpreters_results() {
    let sum = Val::I32(500_500);
    assert_eq!(both("sum", &[Val::I32(1000)]), Ok(vec![sum, sum]));
    let r = both("floats", &[Val::I32(300)]).expect("floats");
    let f = Val::F64(f64::to_bits(45_150.0 + 150.0));
    assert_eq!(r, vec![f, f]);
}

#[test]
fn a_trap_in_the_callee_has_both_instances_frames() {
    let e = both("count", &[Val::I32(1000)]).expect_err("a trap at 77");
    assert!(e.contains("unreachable"), "{e}");
    // The callee's frame, then the caller's.
    let (boom, count) = (e.find("boom").expect("b's frame"), e.find("count"));
    assert!(count.is_some_and(|c| c > boom), "{e}");
}

#[test]
fn an_out_of_bounds_access_in_the_callee_traps_in_both_strategies() {
    let e = both("loads", &[Val::I32(4096)]).expect_err("out of bounds");
    assert!(e.contains("out of bounds memory access"), "{e}");
}

#[test]
fn the_caller_sees_memory_the_callee_grew() {
    // 1 page, 3 more in the first run and 3 in the second.
    assert_eq!(
        both("grow_then_store", &[]),
        Ok(vec![Val::I32(42 + 4), Val::I32(42 + 7)])
    );
}

#[test]
fn stack_exhaustion_in_the_callee_is_a_trap() {
    // (Only the message is compared: the interpreter stops at the call-depth
    // limit, compiled code at the stack-size limit, some frames earlier.)
    for strategy in [Strategy::Interpreter, Strategy::Compiler] {
        for bounds in [MemoryBounds::Auto, MemoryBounds::Explicit] {
            let run = Run {
                strategy,
                bounds,
                fuel: None,
            };
            let e = outcome(&run, "deep", &[]).expect_err("exhausted");
            assert!(e.starts_with("wasm trap: call stack exhausted"), "{e}");
            assert!(e.contains("b!deep"), "{e}");
        }
    }
}

#[test]
fn new_functions_and_globals_meanwhile_leave_the_caller_sound() {
    assert_eq!(
        both("globals", &[]),
        Ok(vec![Val::I32(5 + 20), Val::I32(5 + 20 + 20)])
    );
}

#[test]
fn reentry_into_a_direct_call_and_a_trap_there() {
    // a -> b -> host -> a.callback -> b: no trap.
    assert_eq!(
        both("reenter", &[Val::I32(5)]),
        Ok(vec![Val::I32(5), Val::I32(5)])
    );
    // The inner direct call traps; the host turns it into -1 and the
    // outer one returns normally, then a trap in the outer activation
    // still unwinds to its own entry.
    assert_eq!(
        both("reenter", &[Val::I32(77)]),
        Ok(vec![Val::I32(-1), Val::I32(-1)])
    );
    let e = both("reenter_then_trap", &[]).expect_err("a trap after re-entry");
    assert!(e.contains("unreachable") && e.contains("b!boom"), "{e}");
}

#[test]
fn fuel_runs_out_in_the_callee_as_in_the_interpreter() {
    let e = both_fuel("spin", &[Val::I32(1_000_000)], Some(50_000)).expect_err("no fuel");
    assert!(e.contains("fuel"), "{e}");
    assert_eq!(
        both_fuel("spin", &[Val::I32(100)], Some(1_000_000)),
        Ok(vec![Val::I32(0), Val::I32(0)])
    );
}

/// A host function called from a directly called instance replaces the
/// whole store (which the API allows, and calls an error): the callee's
/// context and code belonged to the store just dropped, and the direct
/// call holds no reference to them, unlike an entry from the host. The
/// call must fail cleanly, with the code it returns into still mapped and
/// its context still allocated (run under valgrind, a use after free
/// showed up here as invalid writes in the libcall's return path). The
/// host function drops the old store itself, or on another thread (where
/// no compiled code runs: the contexts must still wait for this one).
#[test]
fn replacing_the_store_under_a_direct_call_is_an_error() {
    for (module_dropped, elsewhere) in [(false, false), (true, false), (false, true), (true, true)]
    {
        let engine = Engine::new(Config::new().strategy(Strategy::Compiler));
        let callee = Module::new(
            &engine,
            wat(r#"(module
                (import "host" "swap" (func $swap))
                (func (export "f") (param i32) (result i32)
                    (call $swap)
                    (i32.add (local.get 0) (i32.const 1))))"#),
        )
        .unwrap();
        let caller = Module::new(
            &engine,
            wat(r#"(module
                (import "b" "f" (func $f (param i32) (result i32)))
                (func (export "run") (result i32)
                    ;; The first call goes through the host and fills the
                    ;; import's slot; the second is direct, and swaps.
                    (i32.add (call $f (i32.const 1)) (call $f (i32.const 2)))))"#),
        )
        .unwrap();
        let mut linker: Linker<u32> = Linker::new(&engine);
        let engine2 = engine.clone();
        linker
            .func_wrap("host", "swap", move |mut caller: Caller<'_, u32>| {
                *caller.data_mut() += 1;
                if *caller.data() == 2 {
                    let old = std::mem::replace(caller.as_context_mut(), Store::new(&engine2, 0));
                    if elsewhere {
                        std::thread::spawn(move || drop(old)).join().unwrap();
                    } else {
                        drop(old);
                    }
                }
            })
            .unwrap();
        let mut store = Store::new(&engine, 0u32);
        let b = linker.instantiate(&mut store, &callee).unwrap();
        linker.instance(&mut store, "b", b).unwrap();
        let a = linker.instantiate(&mut store, &caller).unwrap();
        let run = a.get_typed_func::<(), i32>(&mut store, "run").unwrap();
        if module_dropped {
            // Only the store's instances keep the modules (and their code).
            drop((callee, caller, linker));
        }
        let err = run.call(&mut store, ()).unwrap_err();
        assert!(err.to_string().contains("replaced the store"), "{err}");
        // The new store works.
        assert_eq!(*store.data(), 0);
    }
}
