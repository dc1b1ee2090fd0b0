//! Attacks on direct calls between compiled instances (see
//! `cross_instance.rs`): host functions that change the store under a
//! direct call (grow memories and tables through the API, add instances,
//! functions and globals, swap the whole store out and back, panic, fail,
//! re-enter), deep mutual recursion, traps in the callee, fuel and epochs,
//! link-time type checks, serialized modules, and several threads. Each
//! compares the compiler (with guard regions and with explicit checks)
//! against the interpreter, or checks for a specific error.
#![cfg(all(target_arch = "x86_64", target_os = "linux", feature = "compiler"))]

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};

use nanowasm_runtime::*;

use super::wat;

/// The three ways to run: the interpreter, the compiler with guard regions
/// and the compiler with explicit bounds checks.
const WAYS: [(Strategy, MemoryBounds); 3] = [
    (Strategy::Interpreter, MemoryBounds::Auto),
    (Strategy::Compiler, MemoryBounds::Auto),
    (Strategy::Compiler, MemoryBounds::Explicit),
];

fn config(strategy: Strategy, bounds: MemoryBounds) -> Config {
    let mut c = Config::new();
    c.strategy(strategy).memory_bounds(bounds);
    c
}

/// Runs `f` on an engine of each way; asserts the outcomes equal the
/// interpreter's and returns it.
fn agree(f: impl Fn(&mut Config) -> String) -> String {
    let mut outs = Vec::new();
    for (s, b) in WAYS {
        let mut c = config(s, b);
        outs.push((s, b, f(&mut c)));
    }
    let interp = outs[0].2.clone();
    eprintln!("outcome: {interp}");
    for (s, b, o) in &outs[1..] {
        assert_eq!(
            o, &interp,
            "{s:?}/{b:?} (left) differs from the interpreter (right)"
        );
    }
    interp
}

/// Runs `f` on each way. The interpreter runs the store wherever it is;
/// compiled code waiting in a host function uses the store's contexts,
/// which point into the store where it was, so the compiler refuses an
/// entry into the store at another address while its code runs: a clear
/// error, no crash, and the store goes on working afterwards (the
/// outcomes include later calls).
fn interpreter_runs_compiler_refuses(f: impl Fn(&mut Config) -> String) {
    for (s, b) in WAYS {
        let o = f(&mut config(s, b));
        eprintln!("{s:?}/{b:?}: {o}");
        if s == Strategy::Interpreter {
            assert!(o.starts_with("ok"), "{o}");
        } else {
            assert!(
                o.contains("cannot call into the store here"),
                "{s:?}/{b:?}: {o}"
            );
        }
    }
}

fn show<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
    match r {
        Ok(v) => format!("ok {v:?}"),
        Err(e) => format!("err {}", e.to_string().lines().next().unwrap_or("")),
    }
}

/// Instantiates `b` (registered as "b" in the linker), then `a`.
fn pair<T>(
    linker: &mut Linker<T>,
    store: &mut Store<T>,
    b: &Module,
    a: &Module,
) -> Result<(Instance, Instance), Error> {
    let bi = linker.instantiate(&mut *store, b)?;
    linker.instance(&mut *store, "b", bi)?;
    let ai = linker.instantiate(&mut *store, a)?;
    Ok((bi, ai))
}

std::thread_local! {
    static FUNC: Cell<Option<Func>> = const { Cell::new(None) };
    static MEM: Cell<Option<Memory>> = const { Cell::new(None) };
    static TAB: Cell<Option<Table>> = const { Cell::new(None) };
    static MODS: RefCell<Vec<Module>> = const { RefCell::new(Vec::new()) };
}

// ---------------------------------------------------------------------
// The store swapped out and back in a host function.

const SWAP_B: &str = r#"(module $b
    (import "host" "swap" (func $swap (param i32) (result i32)))
    (import "host" "tick" (func $tick (param i32) (result i32)))
    (memory (export "mem") 1)
    (func (export "inc") (param i32) (result i32)
        (i32.store (i32.const 16) (i32.add (i32.load (i32.const 16)) (i32.const 1)))
        (i32.add (local.get 0) (i32.const 1)))
    (func (export "inc_tick") (param i32) (result i32)
        (call $tick (i32.add (local.get 0) (i32.const 1))))
    (func (export "swap") (param i32) (result i32) (call $swap (local.get 0)))
    (func (export "count") (result i32) (i32.load (i32.const 16))))"#;

const SWAP_A: &str = r#"(module $a
    (import "b" "inc" (func $inc (param i32) (result i32)))
    (import "b" "inc_tick" (func $inc_tick (param i32) (result i32)))
    (import "b" "swap" (func $swap (param i32) (result i32)))
    (import "host" "tick" (func $tick (param i32) (result i32)))
    (global $g (mut i32) (i32.const 0))
    ;; Called on the store while it is swapped out.
    (func (export "inner") (param i32) (result i32)
        (global.set $g (i32.add (global.get $g) (i32.const 1000)))
        (call $inc (call $inc (call $inc_tick (local.get 0)))))
    (func (export "run") (param $n i32) (result i32)
        (local $acc i32) (local $i i32)
        (loop $l
            (local.set $acc (call $inc (local.get $acc)))
            (local.set $acc (call $inc_tick (local.get $acc)))
            (local.set $acc (call $tick (local.get $acc)))
            ;; b -> host: swaps the store out, calls `inner` on it, swaps back.
            (local.set $acc (call $swap (local.get $acc)))
            (local.set $acc (call $inc (local.get $acc)))
            (local.set $acc (call $inc_tick (local.get $acc)))
            (global.set $g (i32.add (global.get $g) (i32.const 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (i32.add (local.get $acc) (global.get $g))))"#;

/// `host.tick` (counts its calls in the store's data) and `host.swap`
/// (moves the store out, calls `FUNC` on it, on the heap if
/// `on_heap`, and moves it back).
fn link_swap_host(linker: &mut Linker<u32>, engine: &Engine, on_heap: bool) {
    linker
        .func_wrap("host", "tick", |mut c: Caller<'_, u32>, x: i32| {
            *c.data_mut() += 1;
            // Some stack use, over whatever the swap left there.
            let junk = [x as u8; 512];
            std::hint::black_box(&junk);
            x.wrapping_mul(3)
        })
        .unwrap();
    let engine2 = engine.clone();
    linker
        .func_wrap(
            "host",
            "swap",
            move |mut caller: Caller<'_, u32>, x: i32| -> Result<i32, Error> {
                let f = FUNC.with(|f| f.get()).expect("inner");
                let store = caller.as_context_mut();
                let mut old = std::mem::replace(store, Store::new(&engine2, 7));
                let mut r = [Val::I32(0)];
                let res = if on_heap {
                    // The store moves to the heap for the call.
                    let mut boxed = Box::new(old);
                    let res = f.call(&mut *boxed, &[Val::I32(x)], &mut r);
                    old = *boxed;
                    res
                } else {
                    f.call(&mut old, &[Val::I32(x)], &mut r)
                };
                *caller.as_context_mut() = old;
                res?;
                Ok(r[0].i32().unwrap().wrapping_add(100))
            },
        )
        .unwrap();
}

fn swap_run(c: &mut Config, replace_with_other_store: bool) -> String {
    let engine = Engine::new(c);
    let b = Module::new(&engine, wat(SWAP_B)).unwrap();
    let a = Module::new(&engine, wat(SWAP_A)).unwrap();
    let mut linker = Linker::<u32>::new(&engine);
    link_swap_host(&mut linker, &engine, replace_with_other_store);
    let mut store = Store::new(&engine, 0u32);
    let (bi, ai) = pair(&mut linker, &mut store, &b, &a).unwrap();
    FUNC.with(|f| f.set(ai.get_func(&store, "inner")));
    let run = ai.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
    let mut out = Vec::new();
    for n in [1, 5, 20] {
        out.push(show(run.call(&mut store, n)));
    }
    let count = bi.get_typed_func::<(), i32>(&mut store, "count").unwrap();
    out.push(show(count.call(&mut store, ())));
    out.push(format!("ticks {}", store.data()));
    FUNC.with(|f| f.set(None));
    out.join("; ")
}

/// A host function called from a directly called instance moves the
/// running store out (`mem::replace`), calls into it at its new address,
/// and moves it back: the store's id is the same, so the calls below go
/// on, and must use the store at its own address again.
#[test]
fn swapping_the_store_out_and_back_under_a_direct_call() {
    interpreter_runs_compiler_refuses(|c| swap_run(c, false));
}

/// The same with the store on the heap while it is swapped out.
#[test]
fn swapping_the_store_out_to_the_heap_and_back_under_a_direct_call() {
    interpreter_runs_compiler_refuses(|c| swap_run(c, true));
}

/// The same without any other instance: a host function called by `run`
/// swaps the store out, calls `inner` on it, and swaps it back.
#[test]
fn swapping_the_store_out_and_back_under_a_host_call() {
    interpreter_runs_compiler_refuses(|c| {
        let engine = Engine::new(c);
        let m = Module::new(
            &engine,
            wat(r#"(module
                (import "host" "swap" (func $swap (param i32) (result i32)))
                (import "host" "tick" (func $tick (param i32) (result i32)))
                (global $g (mut i32) (i32.const 0))
                (func (export "inner") (param i32) (result i32)
                    (global.set $g (i32.add (global.get $g) (i32.const 1000)))
                    (call $tick (local.get 0)))
                (func (export "run") (param $n i32) (result i32)
                    (local $acc i32) (local $i i32)
                    (loop $l
                        (local.set $acc (call $tick (local.get $acc)))
                        (local.set $acc (call $swap (local.get $acc)))
                        (local.set $acc (call $tick (local.get $acc)))
                        (global.set $g (i32.add (global.get $g) (i32.const 1)))
                        (local.set $i (i32.add (local.get $i) (i32.const 1)))
                        (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
                    (i32.add (local.get $acc) (global.get $g))))"#),
        )
        .unwrap();
        let mut linker = Linker::<u32>::new(&engine);
        link_swap_host(&mut linker, &engine, true);
        let mut store = Store::new(&engine, 0u32);
        let i = linker.instantiate(&mut store, &m).unwrap();
        FUNC.with(|f| f.set(i.get_func(&store, "inner")));
        let run = i.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
        let mut out = Vec::new();
        for n in [1, 5, 20] {
            out.push(show(run.call(&mut store, n)));
        }
        out.push(format!("ticks {}", store.data()));
        FUNC.with(|f| f.set(None));
        out.join("; ")
    });
}

// ---------------------------------------------------------------------
// A host function under a direct call changes the store through the API.

/// The callee: `hook` calls the host, then writes and reads the last word
/// of its memory (which the host may have grown).
const HOOK_B: &str = r#"(module $b
    (import "host" "hook" (func $h (param i32) (result i32)))
    (memory (export "mem") 1 1000)
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func (export "hook") (param i32) (result i32) (local $r i32) (local $p i32)
        (local.set $r (call $h (local.get 0)))
        (local.set $p (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)))
        (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (local.get $r)))
        (i32.add (local.get $r) (i32.load (local.get $p))))
    (func (export "peek") (param i32) (result i32)
        (i32.add (local.get 0)
            (i32.load (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4))))))"#;

/// The caller: between direct calls it uses its own memory's last word,
/// its table's last element and its global, all of which the host may
/// have moved.
const HOOK_A: &str = r#"(module $a
    (import "b" "add" (func $add (param i32 i32) (result i32)))
    (import "b" "hook" (func $hook (param i32) (result i32)))
    (import "b" "peek" (func $peek (param i32) (result i32)))
    (type $r (func (result i32)))
    (memory (export "amem") 1 1000)
    (table $t (export "tab") 2 1000 funcref)
    (elem (i32.const 0) $seven $eight)
    (global $mine (mut i32) (i32.const 5))
    (func $seven (export "seven") (result i32) (i32.const 7))
    (func $eight (result i32) (i32.const 8))
    (func $step (param $i i32) (param $acc i32) (result i32) (local $p i32)
        (local.set $acc (i32.add (local.get $acc) (call $add (local.get $i) (i32.const 1))))
        (local.set $acc (i32.add (local.get $acc) (call $hook (local.get $i))))
        (local.set $acc (call $add (local.get $acc) (local.get $i)))
        (local.set $p (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)))
        (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (local.get $i)))
        (local.set $acc (i32.add (local.get $acc) (i32.load (local.get $p))))
        (local.set $acc (i32.add (local.get $acc)
            (call_indirect (type $r) (i32.sub (table.size $t) (i32.const 1)))))
        (global.set $mine (i32.add (global.get $mine) (i32.const 1)))
        (i32.add (local.get $acc) (call $peek (local.get $i))))
    (func (export "run") (param $n i32) (result i32)
        (local $i i32) (local $acc i32)
        (loop $l
            (local.set $acc (call $step (local.get $i) (local.get $acc)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (i32.add (i32.add (local.get $acc) (global.get $mine))
            (i32.add (i32.mul (memory.size) (i32.const 1000))
                     (i32.mul (table.size $t) (i32.const 100)))))
    (func (export "callback") (param $i i32) (result i32)
        (call $step (local.get $i) (i32.const 0))))"#;

/// A module the host instantiates meanwhile: functions, globals, a
/// memory and a table of its own.
const EXTRA: &str = r#"(module
    (memory 1) (table 3 funcref) (elem (i32.const 0) $f)
    (global (mut i32) (i32.const 1)) (global i64 (i64.const 2)) (global (mut f64) (f64.const 3))
    (func $f (export "f") (result i32) (i32.const 1)))"#;

type Hook = dyn Fn(&mut Caller<'_, u32>, i32) -> Result<i32, Error> + Send + Sync;

/// Runs `a.run(n)` for several `n` with `hook` as the host function `b`
/// calls; the outcomes, the sizes of the memories and table afterwards,
/// and the hook's count.
fn hooked(c: &mut Config, hook: std::sync::Arc<Hook>) -> String {
    let engine = Engine::new(c);
    let b = Module::new(&engine, wat(HOOK_B)).unwrap();
    let a = Module::new(&engine, wat(HOOK_A)).unwrap();
    MODS.with(|m| {
        m.borrow_mut()
            .push(Module::new(&engine, wat(EXTRA)).unwrap())
    });
    let mut linker = Linker::<u32>::new(&engine);
    linker
        .func_wrap(
            "host",
            "hook",
            move |mut c: Caller<'_, u32>, x: i32| -> Result<i32, Error> {
                *c.data_mut() += 1;
                hook(&mut c, x)
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, 0u32);
    if let Some(f) = FUEL0.with(|f| f.take()) {
        store.set_fuel(f).unwrap();
    }
    let (bi, ai) = pair(&mut linker, &mut store, &b, &a).unwrap();
    drop((a, b, linker));
    MEM.with(|m| m.set(ai.get_memory(&store, "amem")));
    TAB.with(|t| t.set(ai.get_table(&store, "tab")));
    FUNC.with(|f| f.set(ai.get_func(&store, "callback")));
    SEVEN.with(|f| f.set(ai.get_func(&store, "seven")));
    let run = ai.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
    let mut out = Vec::new();
    for n in [1, 3, 10, 25] {
        let r = catch_unwind(AssertUnwindSafe(|| run.call(&mut store, n)));
        match r {
            Ok(r) => out.push(show(r)),
            Err(p) => out.push(format!(
                "panic {}",
                p.downcast_ref::<&str>().copied().unwrap_or("?")
            )),
        }
    }
    let amem = ai.get_memory(&store, "amem").unwrap();
    let bmem = bi.get_memory(&store, "mem").unwrap();
    let tab = ai.get_table(&store, "tab").unwrap();
    out.push(format!(
        "sizes {} {} {} hooks {}",
        amem.size(&store).unwrap(),
        bmem.size(&store).unwrap(),
        tab.size(&store).unwrap(),
        store.data()
    ));
    MEM.with(|m| m.set(None));
    TAB.with(|t| t.set(None));
    FUNC.with(|f| f.set(None));
    SEVEN.with(|f| f.set(None));
    MODS.with(|m| m.borrow_mut().clear());
    out.join("; ")
}

std::thread_local! {
    static SEVEN: Cell<Option<Func>> = const { Cell::new(None) };
    /// The fuel `hooked` gives its store, if any.
    static FUEL0: Cell<Option<u64>> = const { Cell::new(None) };
}

fn hook(
    f: impl Fn(&mut Caller<'_, u32>, i32) -> Result<i32, Error> + Send + Sync + 'static,
) -> std::sync::Arc<Hook> {
    std::sync::Arc::new(f)
}

#[test]
fn the_host_grows_the_callees_memory_under_a_direct_call() {
    let r = agree(|c| {
        hooked(
            c,
            hook(|c, x| {
                let mem = c.get_export("mem").unwrap().into_memory().unwrap();
                mem.grow(&mut *c, 1)?;
                Ok(x * 2)
            }),
        )
    });
    assert!(r.contains("sizes 1 40 2"), "{r}");
}

#[test]
fn the_host_grows_the_callers_memory_and_table_under_a_direct_call() {
    let r = agree(|c| {
        hooked(
            c,
            hook(|c, x| {
                let mem = MEM.with(|m| m.get()).unwrap();
                mem.grow(&mut *c, 1)?;
                let tab = TAB.with(|t| t.get()).unwrap();
                let seven = SEVEN.with(|f| f.get()).unwrap();
                tab.grow(&mut *c, 5, Val::FuncRef(Some(seven)))?;
                // Written where the caller reads next.
                let end = mem.data(&*c)?.len();
                mem.write(&mut *c, end - 4, &x.to_le_bytes())?;
                Ok(x + 1)
            }),
        )
    });
    assert!(r.contains("sizes 40 1 197"), "{r}");
}

#[test]
fn the_host_adds_instances_functions_and_globals_under_a_direct_call() {
    let r = agree(|c| {
        hooked(
            c,
            hook(|c, x| {
                let m = MODS.with(|m| m.borrow()[0].clone());
                for _ in 0..(x % 4) * 10 {
                    Instance::new(&mut *c, &m, &[])?;
                }
                for k in 0..20 {
                    let _ = Func::wrap(&mut *c, move || k);
                    Global::new(
                        &mut *c,
                        GlobalType {
                            content: ValType::I64,
                            mutable: true,
                        },
                        Val::I64(k),
                    )?;
                }
                Ok(x + 3)
            }),
        )
    });
    assert!(r.starts_with("ok"), "{r}");
}

#[test]
fn the_host_reenters_the_caller_under_a_direct_call() {
    let r = agree(|c| {
        hooked(
            c,
            hook(|c, x| {
                // One level of re-entry: a -> b -> host -> a.step -> b -> host.
                if *c.data() % 2 == 1 {
                    let f = FUNC.with(|f| f.get()).unwrap();
                    let mut r = [Val::I32(0)];
                    f.call(&mut *c, &[Val::I32(x + 1)], &mut r)?;
                    return Ok(r[0].i32().unwrap());
                }
                // And memory growth on the inner level.
                let mem = MEM.with(|m| m.get()).unwrap();
                mem.grow(&mut *c, 1)?;
                Ok(x)
            }),
        )
    });
    assert!(r.starts_with("ok"), "{r}");
}

#[test]
fn the_host_panics_or_fails_under_a_direct_call_then_calls_go_on() {
    let r = agree(|c| {
        hooked(
            c,
            hook(|c, x| {
                if x == 5 && *c.data() <= 10 {
                    panic!("hook panicked");
                }
                if x == 7 {
                    return Err(Error::host("hook failed"));
                }
                Ok(x)
            }),
        )
    });
    assert!(
        r.contains("panic hook panicked") && r.contains("err hook failed"),
        "{r}"
    );
}

#[test]
fn the_host_traps_under_a_direct_call_then_calls_go_on() {
    let r = agree(|c| {
        hooked(
            c,
            hook(|c, x| {
                // A trap of another instance, called from the host.
                if x == 8 {
                    let m = MODS.with(|m| m.borrow()[0].clone());
                    let i = Instance::new(&mut *c, &m, &[])?;
                    let _ = i;
                    let mem = c.get_export("mem").unwrap().into_memory().unwrap();
                    mem.write(&mut *c, 1 << 30, &[1])?;
                }
                Ok(x)
            }),
        )
    });
    assert!(r.contains("err"), "{r}");
}

// ---------------------------------------------------------------------
// Deep stacks, fuel and epochs across direct calls.

const DEEP_B: &str = r#"(module $b
    (import "host" "back" (func $back (param i32) (result i32)))
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func $deep (export "deep") (param i32) (result i32)
        (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
    ;; b -> host -> a.f(n - 1)
    (func (export "back") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0))
            (then (i32.const 0))
            (else (i32.add (i32.const 1) (call $back (i32.sub (local.get 0) (i32.const 1)))))))
    (func (export "spin") (param i32) (result i32)
        (loop $l (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
        (local.get 0)))"#;

const DEEP_A: &str = r#"(module $a
    (import "b" "add" (func $add (param i32 i32) (result i32)))
    (import "b" "deep" (func $deep (param i32) (result i32)))
    (import "b" "back" (func $back (param i32) (result i32)))
    (import "b" "spin" (func $spin (param i32) (result i32)))
    ;; a recursion whose every level calls b directly; at the bottom, b's
    ;; unbounded one when `bottomless`.
    (func $f (export "f") (param $n i32) (param $bottomless i32) (result i32)
        (if (result i32) (i32.eqz (local.get $n))
            (then (if (result i32) (local.get $bottomless)
                (then (call $deep (i32.const 0)))
                (else (i32.const 0))))
            (else (call $add
                (call $f (i32.sub (local.get $n) (i32.const 1)) (local.get $bottomless))
                (call $add (i32.const 1) (i32.const 0))))))
    ;; a -> b (direct) -> host -> a.through -> b -> ...
    (func (export "through") (param i32) (result i32)
        (drop (call $add (i32.const 1) (i32.const 2)))
        (call $back (local.get 0)))
    (func (export "spin") (param $n i32) (param $k i32) (result i32) (local $acc i32)
        (loop $l
            (local.set $acc (i32.add (local.get $acc) (call $spin (local.get $n))))
            (local.set $acc (call $add (local.get $acc) (i32.const 1)))
            (br_if $l (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
        (local.get $acc)))"#;

std::thread_local! {
    static THROUGH: Cell<Option<TypedFunc<i32, i32>>> = const { Cell::new(None) };
}

/// Instantiates DEEP_B and DEEP_A in a new store of `engine`.
fn deep_world(engine: &Engine) -> (Store<()>, Instance) {
    let b = Module::new(engine, wat(DEEP_B)).unwrap();
    let a = Module::new(engine, wat(DEEP_A)).unwrap();
    let mut linker = Linker::<()>::new(engine);
    linker
        .func_wrap(
            "host",
            "back",
            |mut c: Caller<'_, ()>, x: i32| -> Result<i32, Error> {
                match THROUGH.with(|t| t.get()) {
                    Some(f) => f.call(&mut c, x),
                    None => Ok(x),
                }
            },
        )
        .unwrap();
    let mut store = Store::new(engine, ());
    let (_, ai) = pair(&mut linker, &mut store, &b, &a).unwrap();
    (store, ai)
}

#[test]
fn deep_interleaved_direct_calls_exhaust_the_stack_as_a_trap() {
    for (s, bounds) in WAYS {
        let engine = Engine::new(&config(s, bounds));
        let (mut store, ai) = deep_world(&engine);
        let f = ai
            .get_typed_func::<(i32, i32), i32>(&mut store, "f")
            .unwrap();
        assert_eq!(show(f.call(&mut store, (1000, 0))), "ok 1000", "{s:?}");
        for n in [0, 1, 10, 500] {
            let e = f.call(&mut store, (n, 1)).unwrap_err();
            assert_eq!(
                e.trap_code(),
                Some(TrapCode::StackOverflow),
                "{s:?} {n}: {e}"
            );
            // Both instances are usable afterwards.
            assert_eq!(f.call(&mut store, (n + 3, 0)).unwrap(), n + 3, "{s:?}");
        }
        // Deep enough in `a` alone.
        let e = f.call(&mut store, (50_000_000, 0)).unwrap_err();
        assert_eq!(e.trap_code(), Some(TrapCode::StackOverflow), "{s:?}: {e}");
        assert_eq!(f.call(&mut store, (100, 0)).unwrap(), 100);
    }
}

#[test]
fn the_call_depth_limit_counts_direct_calls() {
    let r = agree(|c| {
        let engine = Engine::new(c);
        let (mut store, ai) = deep_world(&engine);
        store.set_limits(StoreLimitsBuilder::new().call_depth(1000).build());
        let f = ai
            .get_typed_func::<(i32, i32), i32>(&mut store, "f")
            .unwrap();
        // Each level is `f` and a call of `add`: some depth below the
        // limit, some above it.
        [10, 400, 990, 1001, 5000, 20]
            .map(|n| {
                show(f.call(&mut store, (n, 0)).map_err(|e| {
                    assert_eq!(e.trap_code(), Some(TrapCode::StackOverflow), "{e}");
                    Error::host("exhausted")
                }))
            })
            .join("; ")
    });
    assert!(
        r.starts_with("ok 10; ok 400;") && r.ends_with("err exhausted; ok 20"),
        "{r}"
    );
}

#[test]
fn recursion_through_the_host_between_direct_calls_is_a_trap() {
    for (s, bounds) in WAYS {
        let engine = Engine::new(&config(s, bounds));
        let (mut store, ai) = deep_world(&engine);
        let through = ai
            .get_typed_func::<i32, i32>(&mut store, "through")
            .unwrap();
        THROUGH.with(|t| t.set(Some(through)));
        assert_eq!(show(through.call(&mut store, 10)), "ok 10", "{s:?}");
        let e = through.call(&mut store, 10_000_000).unwrap_err();
        assert!(e.to_string().contains("call stack exhausted"), "{s:?}: {e}");
        assert_eq!(show(through.call(&mut store, 12)), "ok 12", "{s:?}");
        THROUGH.with(|t| t.set(None));
    }
}

#[test]
fn fuel_set_by_the_host_under_a_direct_call() {
    // The hook empties the store's fuel on its 3rd call and refuels on
    // every call before; the callee then runs out of fuel.
    let r = agree(|c| {
        c.consume_fuel(true);
        FUEL0.with(|f| f.set(Some(1_000_000)));
        hooked(
            c,
            hook(|c, x| {
                let store = c.as_context_mut();
                if *store.data() == 3 {
                    store.set_fuel(0)?;
                } else {
                    store.set_fuel(1_000_000)?;
                }
                Ok(x)
            }),
        )
    });
    assert!(r.contains("err wasm trap: all fuel consumed"), "{r}");
}

#[test]
fn fuel_and_epochs_run_out_in_a_directly_called_instance() {
    for (s, bounds) in WAYS {
        let mut c = config(s, bounds);
        c.consume_fuel(true);
        let engine = Engine::new(&c);
        let (mut store, ai) = deep_world(&engine);
        let spin = ai
            .get_typed_func::<(i32, i32), i32>(&mut store, "spin")
            .unwrap();
        store.set_fuel(200_000).unwrap();
        let e = spin.call(&mut store, (1_000_000, 50)).unwrap_err();
        assert_eq!(e.trap_code(), Some(TrapCode::OutOfFuel), "{s:?}: {e}");
        assert_eq!(store.get_fuel().unwrap(), 0);
        store.set_fuel(10_000_000).unwrap();
        assert_eq!(spin.call(&mut store, (1000, 20)).unwrap(), 20, "{s:?}");

        let mut c = config(s, bounds);
        c.epoch_interruption(true);
        let engine = Engine::new(&c);
        let (mut store, ai) = deep_world(&engine);
        let spin = ai
            .get_typed_func::<(i32, i32), i32>(&mut store, "spin")
            .unwrap();
        store.set_epoch_deadline(1);
        let e2 = engine.clone();
        let ticker = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            e2.increment_epoch();
        });
        // About forever (i32 wraps around at most once per call of b).
        let e = spin.call(&mut store, (-1, -1)).unwrap_err();
        ticker.join().unwrap();
        assert_eq!(e.trap_code(), Some(TrapCode::Interrupted), "{s:?}: {e}");
        store.set_epoch_deadline(1000);
        assert_eq!(spin.call(&mut store, (1000, 20)).unwrap(), 20, "{s:?}");
    }
}

/// The deepest `f(n)` that returns, by bisection.
fn max_depth(f: &TypedFunc<(i32, i32), i32>, store: &mut Store<()>) -> i32 {
    let (mut lo, mut hi) = (1, 1 << 20);
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        match f.call(&mut *store, (mid, 0)) {
            Ok(_) => lo = mid,
            Err(e) => {
                assert_eq!(e.trap_code(), Some(TrapCode::StackOverflow), "{e}");
                hi = mid
            }
        }
    }
    lo
}

/// A recursion whose every level calls an import (here a host function,
/// never called directly) reaches about the depth of the same recursion
/// calling a function of its own module. Every import call whose type
/// has no references reserves the direct-call record past
/// `TAIL_AREA_MAX` (256 bytes) in its frame, whether or not the import
/// can ever be called directly: 6551 levels become 1488 within the
/// default 512 KiB (the interpreter reaches 9999).
#[test]
fn a_recursion_calling_an_import_keeps_its_depth() {
    let f = |import: bool| {
        let add = match import {
            true => r#"(import "h" "add" (func $add (param i32 i32) (result i32)))"#,
            false => {
                r#"(func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))"#
            }
        };
        let src = format!(
            r#"(module {add}
            (func $f (export "f") (param $n i32) (param i32) (result i32)
                (if (result i32) (i32.eqz (local.get $n))
                    (then (i32.const 0))
                    (else (call $add
                        (call $f (i32.sub (local.get $n) (i32.const 1)) (local.get 1))
                        (call $add (i32.const 1) (i32.const 0)))))))"#
        );
        let engine = Engine::new(&config(Strategy::Compiler, MemoryBounds::Auto));
        let m = Module::new(&engine, wat(&src)).unwrap();
        let mut linker = Linker::<()>::new(&engine);
        linker
            .func_wrap("h", "add", |a: i32, b: i32| a + b)
            .unwrap();
        let mut store = Store::new(&engine, ());
        let i = linker.instantiate(&mut store, &m).unwrap();
        let f = i
            .get_typed_func::<(i32, i32), i32>(&mut store, "f")
            .unwrap();
        max_depth(&f, &mut store)
    };
    let (local, import) = (f(false), f(true));
    assert!(
        import * 2 > local,
        "{import} levels calling an import, {local} calling a local function"
    );
    // And through a direct call, as deep as the interpreter goes for 2000.
    let engine = Engine::new(&config(Strategy::Compiler, MemoryBounds::Auto));
    let (mut store, ai) = deep_world(&engine);
    let f = ai
        .get_typed_func::<(i32, i32), i32>(&mut store, "f")
        .unwrap();
    assert_eq!(show(f.call(&mut store, (2000, 0))), "ok 2000");
}

// ---------------------------------------------------------------------
// A host function runs the store on another thread meanwhile.

const THREAD_C: &str = r#"(module $c
    (import "host" "h" (func $h (param i32) (result i32)))
    (memory 1)
    (func (export "c") (param i32) (result i32) (call $h (local.get 0)))
    (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))"#;

const THREAD_B: &str = r#"(module $b
    (import "c" "c" (func $c (param i32) (result i32)))
    (import "c" "load" (func $load (param i32) (result i32)))
    (func (export "b") (param i32) (result i32) (local $r i32)
        (local.set $r (call $c (local.get 0)))
        ;; After the host ran the store on another thread: a trap here in b,
        ;; or out of bounds in c (called directly again).
        (if (i32.eq (local.get 0) (i32.const 77)) (then unreachable))
        (if (i32.eq (local.get 0) (i32.const 78))
            (then (local.set $r (call $load (i32.const 0x7fff0000)))))
        (i32.add (local.get $r) (call $load (i32.const 0)))))"#;

const THREAD_A: &str = r#"(module $a
    (import "b" "b" (func $b (param i32) (result i32)))
    (func (export "a") (param i32) (result i32)
        (drop (call $b (i32.const 1)))
        (drop (call $b (i32.const 2)))
        (call $b (local.get 0))))"#;

std::thread_local! {
    static A_FUNC: Cell<Option<TypedFunc<i32, i32>>> = const { Cell::new(None) };
}

/// `a(x)` for each x; when `on_thread`, the host function `c` calls (for
/// x >= 77) runs `a(5)` on the same store on another thread first.
fn on_other_thread(c: &mut Config, on_thread: bool) -> String {
    let engine = Engine::new(c);
    let cm = Module::new(&engine, wat(THREAD_C)).unwrap();
    let bm = Module::new(&engine, wat(THREAD_B)).unwrap();
    let am = Module::new(&engine, wat(THREAD_A)).unwrap();
    let mut linker = Linker::<u32>::new(&engine);
    linker
        .func_wrap(
            "host",
            "h",
            move |mut caller: Caller<'_, u32>, x: i32| -> Result<i32, Error> {
                *caller.data_mut() += 1;
                if x >= 77 && on_thread {
                    let a = A_FUNC.with(|a| a.get()).unwrap();
                    let store = caller.as_context_mut();
                    let r =
                        std::thread::scope(|s| s.spawn(move || a.call(store, 5)).join().unwrap());
                    return Ok(r? + x);
                }
                Ok(x)
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, 0u32);
    let ci = linker.instantiate(&mut store, &cm).unwrap();
    linker.instance(&mut store, "c", ci).unwrap();
    let bi = linker.instantiate(&mut store, &bm).unwrap();
    linker.instance(&mut store, "b", bi).unwrap();
    let ai = linker.instantiate(&mut store, &am).unwrap();
    let a = ai.get_typed_func::<i32, i32>(&mut store, "a").unwrap();
    A_FUNC.with(|f| f.set(Some(a)));
    let mut out = Vec::new();
    for x in [3, 4, 77, 6, 78, 79, 7, 77, 8] {
        out.push(show(a.call(&mut store, x)));
    }
    out.push(format!("calls {}", store.data()));
    A_FUNC.with(|f| f.set(None));
    out.join("; ")
}

#[test]
fn direct_calls_without_another_thread() {
    let r = agree(|c| on_other_thread(c, false));
    assert!(
        r.contains("unreachable") && r.contains("out of bounds"),
        "{r}"
    );
}

/// While `a -> b -> c` (direct calls) waits in the host, the host runs
/// `a` (which calls `b` and `c` directly) on another thread: `b`'s and
/// `c`'s contexts then hold that thread's stack limit, entry stack
/// pointer and activation list. `b` traps after `c` returns to it on the
/// first thread (and calls `c` again, which faults out of bounds).
#[test]
fn the_host_runs_the_store_on_another_thread_under_direct_calls() {
    let r = agree(|c| on_other_thread(c, true));
    assert!(
        r.contains("unreachable") && r.contains("out of bounds"),
        "{r}"
    );
}

// ---------------------------------------------------------------------
// Linking: types, chains, other stores.

const PLAIN_B: &str = r#"(module $b
    (memory (export "mem") 1)
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func (export "wide") (param i64 f32 f64 i32) (result f64 i64)
        (f64.add (f64.promote_f32 (local.get 1)) (local.get 2))
        (i64.add (local.get 0) (i64.extend_i32_s (local.get 3))))
    (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))"#;

#[test]
fn importing_a_function_under_another_type_is_a_link_error() {
    for (s, bounds) in WAYS {
        let engine = Engine::new(&config(s, bounds));
        let b = Module::new(&engine, wat(PLAIN_B)).unwrap();
        let mut linker = Linker::<()>::new(&engine);
        let mut store = Store::new(&engine, ());
        let bi = linker.instantiate(&mut store, &b).unwrap();
        linker.instance(&mut store, "b", bi).unwrap();
        for ty in [
            "(param i64 i32) (result i32)",
            "(param i32 i32) (result i64)",
            "(param i32 i32)",
            "(param i32 i32) (result i32 i32)",
            "(param i32 i32 i32) (result i32)",
            "(param i32 i32) (result funcref)",
            "(param i64 f32 f64 i32) (result i64 f64)",
        ] {
            let name = if ty.contains("f32") { "wide" } else { "add" };
            let a = Module::new(
                &engine,
                wat(&format!(
                    r#"(module (import "b" "{name}" (func $f {ty}))
                    (func (export "run") (call $f (unreachable)) (unreachable)))"#
                )),
            );
            let a = match a {
                Ok(a) => a,
                Err(e) => panic!("{ty}: {e}"),
            };
            let err = linker.instantiate(&mut store, &a).unwrap_err();
            assert!(
                err.to_string().contains("incompatible import type"),
                "{s:?} {ty}: {err}"
            );
        }
        // The store still works with a right import.
        let a = Module::new(
            &engine,
            wat(r#"(module (import "b" "add" (func $f (param i32 i32) (result i32)))
                (func (export "run") (result i32) (call $f (i32.const 2) (call $f (i32.const 3) (i32.const 4)))))"#),
        )
        .unwrap();
        let ai = linker.instantiate(&mut store, &a).unwrap();
        let run = ai.get_typed_func::<(), i32>(&mut store, "run").unwrap();
        assert_eq!(run.call(&mut store, ()).unwrap(), 9);
    }
}

#[test]
fn importing_another_stores_instance_is_refused() {
    for (s, bounds) in WAYS {
        let engine = Engine::new(&config(s, bounds));
        let b = Module::new(&engine, wat(PLAIN_B)).unwrap();
        let a = Module::new(
            &engine,
            wat(r#"(module (import "b" "add" (func $f (param i32 i32) (result i32)))
                (func (export "run") (result i32) (call $f (i32.const 2) (call $f (i32.const 3) (i32.const 4)))))"#),
        )
        .unwrap();
        let mut linker = Linker::<()>::new(&engine);
        let mut one = Store::new(&engine, ());
        let mut two = Store::new(&engine, ());
        // Functions of the other store in `two` first, so that an index of
        // `one` would name a function of `two`.
        let _ = Func::wrap(&mut two, |a: i32, b: i32| a * b);
        let bi = linker.instantiate(&mut one, &b).unwrap();
        linker.instance(&mut one, "b", bi).unwrap();
        let err = linker.instantiate(&mut two, &a).unwrap_err();
        assert!(err.to_string().contains("store"), "{s:?}: {err}");
        // By hand, too.
        let add = bi.get_func(&one, "add").unwrap();
        let err = Instance::new(&mut two, &a, &[add.into()]).unwrap_err();
        assert!(err.to_string().contains("store"), "{s:?}: {err}");
        let ai = linker.instantiate(&mut one, &a).unwrap();
        let run = ai.get_typed_func::<(), i32>(&mut one, "run").unwrap();
        assert_eq!(run.call(&mut one, ()).unwrap(), 9);
        assert!(run.call(&mut two, ()).is_err());
    }
}

/// `c` defines the functions; `b` re-exports them (and wraps one); `a`
/// imports them through `b`, one twice, and `b`'s own memory.
#[test]
fn functions_reexported_through_a_chain_and_imported_twice() {
    let r = agree(|c| {
        let engine = Engine::new(c);
        let cm = Module::new(&engine, wat(PLAIN_B)).unwrap();
        let bm = Module::new(
            &engine,
            wat(r#"(module $mid
                (import "c" "add" (func $add (param i32 i32) (result i32)))
                (import "c" "wide" (func $wide (param i64 f32 f64 i32) (result f64 i64)))
                (import "c" "load" (func $load (param i32) (result i32)))
                (import "c" "mem" (memory 1))
                (export "add" (func $add))
                (export "wide" (func $wide))
                (export "load" (func $load))
                (export "mem" (memory 0))
                (func (export "twice") (param i32) (result i32)
                    (call $add (call $add (local.get 0) (local.get 0)) (call $load (i32.const 8)))))"#),
        )
        .unwrap();
        let am = Module::new(
            &engine,
            wat(r#"(module $top
                (import "b" "add" (func $add (param i32 i32) (result i32)))
                (import "b" "add" (func $add2 (param i32 i32) (result i32)))
                (import "b" "twice" (func $twice (param i32) (result i32)))
                (import "b" "wide" (func $wide (param i64 f32 f64 i32) (result f64 i64)))
                (import "b" "load" (func $load (param i32) (result i32)))
                (import "b" "mem" (memory 1))
                (func (export "run") (param $n i32) (result i32 i64 f64)
                    (local $acc i32) (local $w i64) (local $f f64)
                    (loop $l
                        (i32.store (i32.const 8) (local.get $n))
                        (local.set $acc (call $add (local.get $acc) (call $add2 (local.get $n) (call $twice (local.get $n)))))
                        (call $wide (local.get $w) (f32.const 0.25) (local.get $f) (local.get $n))
                        (local.set $w)
                        (local.set $f)
                        (local.set $acc (i32.add (local.get $acc) (call $load (i32.const 8))))
                        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
                    (local.get $acc) (local.get $w) (local.get $f)))"#),
        )
        .unwrap();
        let mut linker = Linker::<()>::new(&engine);
        let mut store = Store::new(&engine, ());
        let ci = linker.instantiate(&mut store, &cm).unwrap();
        linker.instance(&mut store, "c", ci).unwrap();
        let (_, ai) = pair(&mut linker, &mut store, &bm, &am).unwrap();
        let run = ai
            .get_typed_func::<i32, (i32, i64, f64)>(&mut store, "run")
            .unwrap();
        [1, 10, 1000]
            .map(|n| show(run.call(&mut store, n)))
            .join("; ")
    });
    assert!(r.starts_with("ok"), "{r}");
}

// ---------------------------------------------------------------------
// Serialized modules, moved stores, many instances, several threads.

const SUM_A: &str = r#"(module $a
    (import "b" "add" (func $add (param i32 i32) (result i32)))
    (import "b" "load" (func $load (param i32) (result i32)))
    (import "b" "mem" (memory 1))
    (func (export "sum") (param $n i32) (result i32) (local $acc i32)
        (loop $l
            (i32.store (i32.const 64) (local.get $n))
            (local.set $acc (call $add (local.get $acc) (call $load (i32.const 64))))
            (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.get $acc))
    (func (export "oob") (param i32) (result i32) (call $load (local.get 0))))"#;

/// `b` (and with `both`, `a`) serialized and deserialized, with a JIT
/// module calling it directly.
#[test]
fn deserialized_modules_called_directly() {
    for bounds in [MemoryBounds::Auto, MemoryBounds::Explicit] {
        for both in [false, true] {
            let engine = Engine::new(&config(Strategy::Compiler, bounds));
            let b = Module::new(&engine, wat(PLAIN_B)).unwrap();
            let bytes = b.serialize().unwrap();
            // SAFETY: bytes this engine serialized just now.
            let b = unsafe { Module::deserialize(&engine, &bytes) }.unwrap();
            let mut a = Module::new(&engine, wat(SUM_A)).unwrap();
            if both {
                let bytes = a.serialize().unwrap();
                // SAFETY: as above.
                a = unsafe { Module::deserialize(&engine, &bytes) }.unwrap();
            }
            drop(bytes);
            let mut linker = Linker::<()>::new(&engine);
            let mut store = Store::new(&engine, ());
            let (_, ai) = pair(&mut linker, &mut store, &b, &a).unwrap();
            // A second pair from the same modules in the same store.
            let mut linker2 = Linker::<()>::new(&engine);
            let (_, ai2) = pair(&mut linker2, &mut store, &b, &a).unwrap();
            drop((a, b));
            for i in [ai, ai2] {
                let sum = i.get_typed_func::<i32, i32>(&mut store, "sum").unwrap();
                assert_eq!(sum.call(&mut store, 1000).unwrap(), 500_500);
                let oob = i.get_typed_func::<i32, i32>(&mut store, "oob").unwrap();
                assert_eq!(oob.call(&mut store, 64).unwrap(), 1);
                let e = oob.call(&mut store, 65534).unwrap_err();
                assert_eq!(e.trap_code(), Some(TrapCode::MemoryOutOfBounds));
                assert_eq!(sum.call(&mut store, 10).unwrap(), 55);
            }
        }
    }
}

/// An artifact of an engine without fuel in one with fuel (or the other
/// way round, or with other memory bounds) is refused, not run without
/// its checks.
#[test]
fn deserializing_under_another_configuration_is_an_error() {
    let plain = Engine::new(&config(Strategy::Compiler, MemoryBounds::Auto));
    let mut c = config(Strategy::Compiler, MemoryBounds::Auto);
    c.consume_fuel(true);
    let fuel = Engine::new(&c);
    let explicit = Engine::new(&config(Strategy::Compiler, MemoryBounds::Explicit));
    let mut c = config(Strategy::Compiler, MemoryBounds::Auto);
    c.epoch_interruption(true);
    let epochs = Engine::new(&c);
    let engines = [&plain, &fuel, &explicit, &epochs];
    for (i, from) in engines.iter().enumerate() {
        let bytes = Module::new(from, wat(PLAIN_B))
            .unwrap()
            .serialize()
            .unwrap();
        for (j, to) in engines.iter().enumerate() {
            // SAFETY: bytes a nanowasm engine serialized.
            let r = unsafe { Module::deserialize(to, &bytes) };
            if i == j {
                assert!(r.is_ok(), "{i}");
            } else {
                assert!(r.is_err(), "{i} -> {j}");
            }
        }
    }
}

/// The store moves (boxed, moved to another box, sent to another thread)
/// between calls that are direct.
#[test]
fn a_store_moved_between_direct_calls() {
    let r = agree(|c| {
        let engine = Engine::new(c);
        let b = Module::new(&engine, wat(PLAIN_B)).unwrap();
        let a = Module::new(&engine, wat(SUM_A)).unwrap();
        let mut linker = Linker::<()>::new(&engine);
        let mut store = Box::new(Store::new(&engine, ()));
        let (_, ai) = pair(&mut linker, &mut store, &b, &a).unwrap();
        let sum = ai.get_typed_func::<i32, i32>(&mut *store, "sum").unwrap();
        let oob = ai.get_typed_func::<i32, i32>(&mut *store, "oob").unwrap();
        let mut out = vec![show(sum.call(&mut *store, 100))];
        let mut moved = Box::new(*store);
        out.push(show(sum.call(&mut *moved, 200)));
        out.push(show(oob.call(&mut *moved, 70000)));
        let (moved, o) = std::thread::spawn(move || {
            let mut s = *moved;
            let o = vec![show(sum.call(&mut s, 300)), show(oob.call(&mut s, 70000))];
            (Box::new(s), o)
        })
        .join()
        .unwrap();
        out.extend(o);
        let mut store = *moved;
        out.push(show(sum.call(&mut store, 400)));
        // Moved once more, into another box.
        let mut again = Box::new(store);
        out.push(show(sum.call(&mut *again, 500)));
        out.join("; ")
    });
    assert!(r.starts_with("ok 5050; ok 20100; err"), "{r}");
}

/// Many instances made between direct calls (the store's vectors
/// reallocate), each instance calling `b` directly.
#[test]
fn many_instances_between_direct_calls() {
    let r = agree(|c| {
        let engine = Engine::new(c);
        let b = Module::new(&engine, wat(PLAIN_B)).unwrap();
        let a = Module::new(&engine, wat(SUM_A)).unwrap();
        let extra = Module::new(&engine, wat(EXTRA)).unwrap();
        let mut linker = Linker::<()>::new(&engine);
        let mut store = Store::new(&engine, ());
        let (_, first) = pair(&mut linker, &mut store, &b, &a).unwrap();
        let first = first.get_typed_func::<i32, i32>(&mut store, "sum").unwrap();
        let mut out = Vec::new();
        let mut sums = vec![first];
        for k in 0..60 {
            for _ in 0..k % 7 {
                Instance::new(&mut store, &extra, &[]).unwrap();
            }
            let i = linker.instantiate(&mut store, &a).unwrap();
            sums.push(i.get_typed_func::<i32, i32>(&mut store, "sum").unwrap());
            for (j, s) in sums.iter().enumerate().step_by(7) {
                out.push(show(s.call(&mut store, (k + j) as i32 % 50 + 1)));
            }
        }
        out.join(";")
    });
    assert!(!r.contains("err"), "{r}");
}

/// Stores on several threads run the same modules at once, with direct
/// calls and out-of-bounds traps in the callee.
#[test]
fn stores_on_several_threads_call_directly_at_once() {
    for bounds in [MemoryBounds::Auto, MemoryBounds::Explicit] {
        let engine = Engine::new(&config(Strategy::Compiler, bounds));
        let b = Module::new(&engine, wat(PLAIN_B)).unwrap();
        let a = Module::new(&engine, wat(SUM_A)).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let (engine, a, b) = (engine.clone(), a.clone(), b.clone());
                std::thread::spawn(move || {
                    let mut linker = Linker::<()>::new(&engine);
                    let mut store = Store::new(&engine, ());
                    let (_, ai) = pair(&mut linker, &mut store, &b, &a).unwrap();
                    let sum = ai.get_typed_func::<i32, i32>(&mut store, "sum").unwrap();
                    let oob = ai.get_typed_func::<i32, i32>(&mut store, "oob").unwrap();
                    for k in 0..300 {
                        let n = (k * 7 + t) % 500 + 1;
                        assert_eq!(sum.call(&mut store, n).unwrap(), n * (n + 1) / 2);
                        if k % 3 == 0 {
                            let e = oob.call(&mut store, 65536 + k).unwrap_err();
                            assert_eq!(e.trap_code(), Some(TrapCode::MemoryOutOfBounds));
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }
}

// ---------------------------------------------------------------------
// A failed instantiation.

const LIMIT_B: &str = r#"(module $b
    (import "host" "h" (func $h (param i32) (result i32)))
    (memory (export "mem") 1)
    (func (export "f") (param i32) (result i32)
        (i32.add (call $h (local.get 0)) (i32.load (i32.const 0)))))"#;

const LIMIT_A: &str = r#"(module $a
    (import "b" "f" (func $f (param i32) (result i32)))
    (func (export "run") (param $n i32) (result i32) (local $acc i32)
        (loop $l
            (local.set $acc (i32.add (local.get $acc) (call $f (local.get $n))))
            (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.get $acc)))"#;

/// A host function under a direct call instantiates a module beyond the
/// store's memory limit: the instantiation fails (after the module's
/// functions were added to the store), the host goes on, and so must
/// the calls.
#[test]
fn a_failed_instantiation_under_a_direct_call() {
    let r = agree(|c| {
        let engine = Engine::new(c);
        let b = Module::new(&engine, wat(LIMIT_B)).unwrap();
        let a = Module::new(&engine, wat(LIMIT_A)).unwrap();
        let extra = Module::new(&engine, wat(EXTRA)).unwrap();
        let mut linker = Linker::<u32>::new(&engine);
        linker
            .func_wrap("host", "h", move |mut c: Caller<'_, u32>, x: i32| {
                if x == 3 {
                    let failed = Instance::new(&mut c, &extra, &[]).is_err();
                    *c.data_mut() += u32::from(failed);
                }
                x
            })
            .unwrap();
        let mut store = Store::new(&engine, 0u32);
        store.set_limits(StoreLimitsBuilder::new().memories(1).build());
        let (_, ai) = pair(&mut linker, &mut store, &b, &a).unwrap();
        let run = ai.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
        let mut out = [2, 10, 10].map(|n| show(run.call(&mut store, n))).to_vec();
        out.push(format!("failed {}", store.data()));
        out.join("; ")
    });
    assert_eq!(r, "ok 3; ok 55; ok 55; failed 2");
}

/// The same from the host between calls: a failed instantiation, then
/// calls, then a successful one (which gets the failed one's instance
/// index), then calls again.
#[test]
fn a_failed_instantiation_between_calls() {
    let r = agree(|c| {
        let engine = Engine::new(c);
        let b = Module::new(&engine, wat(LIMIT_B)).unwrap();
        let a = Module::new(&engine, wat(LIMIT_A)).unwrap();
        let extra = Module::new(&engine, wat(EXTRA)).unwrap();
        let mut linker = Linker::<u32>::new(&engine);
        linker.func_wrap("host", "h", |x: i32| x).unwrap();
        let mut store = Store::new(&engine, 0u32);
        store.set_limits(StoreLimitsBuilder::new().memories(1).build());
        let (_, ai) = pair(&mut linker, &mut store, &b, &a).unwrap();
        let run = ai.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
        let mut out = vec![show(run.call(&mut store, 4))];
        out.push(show(Instance::new(&mut store, &extra, &[]).map(|_| ())));
        let r = catch_unwind(AssertUnwindSafe(|| show(run.call(&mut store, 5))));
        out.push(r.unwrap_or_else(|_| "panic".into()));
        // A module without memory now takes the next instance index.
        let a2 = linker.instantiate(&mut store, &a).unwrap();
        let run2 = a2.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
        let r = catch_unwind(AssertUnwindSafe(|| show(run2.call(&mut store, 6))));
        out.push(r.unwrap_or_else(|_| "panic".into()));
        out.join("; ")
    });
    assert_eq!(r, "ok 10; err memory limit reached; ok 15; ok 21");
}
