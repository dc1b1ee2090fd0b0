//! Native stack exhaustion through host↔wasm recursion (issue 13, item 9):
//! a guest that makes a host function call back into it, without end, must
//! trap with `call stack exhausted`, whatever the thread's stack size, and
//! never overflow the host's stack (which aborts the process).

use nanowasm_runtime::*;

#[path = "../support/reentrant.rs"]
mod reentrant;
use reentrant::{recursion_traps_and_store_survives, reentrant_module};

fn on_thread(stack: usize, f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn host_reentry_traps_on_the_test_thread() {
    recursion_traps_and_store_survives(&reentrant_module(&Engine::default()));
}

#[test]
fn host_reentry_traps_on_a_2mib_thread() {
    let m = reentrant_module(&Engine::default());
    on_thread(2 << 20, move || recursion_traps_and_store_survives(&m));
}

#[test]
fn host_reentry_traps_on_a_256kib_thread() {
    let m = reentrant_module(&Engine::default());
    on_thread(256 << 10, move || recursion_traps_and_store_survives(&m));
}

/// How deep host↔wasm recursion gets before it traps, and the native stack
/// each level takes (from the addresses of a host function's local).
fn reentry_depth(m: &Module) -> (usize, usize) {
    type Data = (Option<Func>, Vec<usize>);
    let mut linker = Linker::<Data>::new(m.engine());
    linker
        .func_wrap(
            "host",
            "reenter",
            |mut caller: Caller<'_, Data>| -> Result<(), Error> {
                let marker = 0u8;
                let at = std::hint::black_box(&marker) as *const u8 as usize;
                caller.data_mut().1.push(at);
                let rec = caller.data().0.expect("rec is set");
                rec.call(&mut caller, &[], &mut [])
            },
        )
        .unwrap();
    let mut store = Store::new(m.engine(), (None, Vec::new()));
    let instance = linker.instantiate(&mut store, m).unwrap();
    let rec = instance.get_func(&mut store, "rec").unwrap();
    store.data_mut().0 = Some(rec);
    let err = rec.call(&mut store, &[], &mut []).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::StackOverflow), "{err}");
    let levels = &store.data().1;
    let per_level = (levels[0] - levels[levels.len() - 1]) / (levels.len() - 1);
    (levels.len(), per_level)
}

/// A guest whose `rec` calls the host's `reenter`, which calls `rec`.
fn reenter_module(engine: &Engine) -> Module {
    super::module(
        engine,
        r#"(module
            (import "host" "reenter" (func $reenter))
            (func (export "rec") (call $reenter)))"#,
    )
}

/// The native stack one level may take: the runtime's allowance in its
/// reserve at the thread stack's end (debug builds have far larger frames).
const PER_LEVEL_MAX: usize = if cfg!(debug_assertions) {
    64 << 10
} else {
    16 << 10
};

/// `Config::max_wasm_stack` bounds the native stack that recursion through
/// the host takes, measured from the first entry; one level takes far less
/// than the 16 KiB the runtime allows per level in its reserve.
#[test]
fn max_wasm_stack_bounds_reentry() {
    let mut small = Config::new();
    small.max_wasm_stack(64 << 10);
    let mut large = Config::new();
    large.max_wasm_stack(1 << 20);
    let (small, large) = (
        reenter_module(&Engine::new(&small)),
        reenter_module(&Engine::new(&large)),
    );
    on_thread(4 << 20, move || {
        let (shallow, per_level) = reentry_depth(&small);
        let (deep, per_level_deep) = reentry_depth(&large);
        eprintln!("native stack per host→wasm→host level: {per_level} bytes");
        assert!(per_level < PER_LEVEL_MAX, "{per_level} bytes per level");
        assert_eq!(per_level, per_level_deep);
        // Each budget is used up to within one level: the last host call's
        // re-entry is the one that traps.
        for (levels, budget) in [(shallow, 64 << 10), (deep, 1 << 20)] {
            assert!((levels - 1) * per_level <= budget, "{levels} levels");
            assert!((levels + 1) * per_level > budget, "{levels} levels");
        }
    });
}

/// A thread whose stack is smaller than `max_wasm_stack` is held to its own
/// stack's end instead: the default 512 KiB does not fit in 256 KiB.
#[test]
fn small_threads_are_held_to_their_own_stack() {
    let m = reenter_module(&Engine::default());
    on_thread(256 << 10, move || {
        let (levels, per_level) = reentry_depth(&m);
        assert!(levels * per_level < 256 << 10, "{levels} levels");
        let least = if cfg!(debug_assertions) { 2 } else { 50 };
        assert!(levels >= least, "{levels} levels of {per_level} bytes");
    });
}

/// A host function that panics unwinds through the store's entries without
/// their bookkeeping; the store stays usable and still bounded.
#[test]
fn a_panic_through_the_store_leaves_it_usable() {
    let engine = Engine::default();
    let m = super::module(
        &engine,
        r#"(module
            (import "host" "reenter" (func $reenter (param i32)))
            (func (export "rec") (param i32)
                (if (local.get 0)
                    (then (call $reenter (i32.sub (local.get 0) (i32.const 1)))))))"#,
    );
    // The `rec` export, and the level at which the host panics.
    type Data = (Option<Func>, i32);
    let mut linker = Linker::<Data>::new(&engine);
    linker
        .func_wrap(
            "host",
            "reenter",
            |mut caller: Caller<'_, Data>, n: i32| -> Result<(), Error> {
                assert_ne!(n, caller.data().1, "the host panics here");
                let rec = caller.data().0.expect("rec is set");
                rec.call(&mut caller, &[Val::I32(n)], &mut [])
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, (None, 3));
    let rec = linker
        .instantiate(&mut store, &m)
        .unwrap()
        .get_typed_func::<i32, ()>(&mut store, "rec")
        .unwrap();
    store.data_mut().0 = Some(rec.func());
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rec.call(&mut store, 10).unwrap();
    }));
    assert!(panicked.is_err());
    store.data_mut().1 = -1;
    rec.call(&mut store, 10).unwrap();
    let err = rec.call(&mut store, i32::MAX).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::StackOverflow), "{err}");
    rec.call(&mut store, 10).unwrap();
}

/// A host function may carry the store to another thread (a scoped one)
/// and call back into it there: recursion on that thread is held to that
/// thread's own stack.
#[test]
fn reentry_on_another_thread_is_held_to_its_stack() {
    let engine = Engine::default();
    let m = reenter_module(&engine);
    // The `rec` export, and whether the recursion moved threads yet.
    type Data = (Option<Func>, bool, usize);
    let mut linker = Linker::<Data>::new(&engine);
    linker
        .func_wrap(
            "host",
            "reenter",
            |mut caller: Caller<'_, Data>| -> Result<(), Error> {
                let rec = caller.data().0.expect("rec is set");
                caller.data_mut().2 += 1;
                if std::mem::replace(&mut caller.data_mut().1, true) {
                    return rec.call(&mut caller, &[], &mut []);
                }
                std::thread::scope(|s| {
                    std::thread::Builder::new()
                        .stack_size(256 << 10)
                        .spawn_scoped(s, || rec.call(&mut caller, &[], &mut []))
                        .unwrap()
                        .join()
                        .unwrap()
                })
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, (None, false, 0));
    let rec = linker
        .instantiate(&mut store, &m)
        .unwrap()
        .get_func(&mut store, "rec")
        .unwrap();
    store.data_mut().0 = Some(rec);
    let err = rec.call(&mut store, &[], &mut []).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::StackOverflow), "{err}");
    assert!(store.data().2 > 2, "{} levels", store.data().2);
    // Back on this thread, with the full budget again.
    store.data_mut().1 = true;
    store.data_mut().2 = 0;
    let err = rec.call(&mut store, &[], &mut []).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::StackOverflow), "{err}");
}
