//! The guard-region fault handler passes on faults that are not compiled
//! code's out-of-bounds accesses: an embedder's `SIGSEGV` handler,
//! installed before the engine's, still sees its own faults, both with no
//! wasm running and from a host function called by compiled code, while
//! compiled code's out-of-bounds accesses keep trapping. (Its own test
//! binary: signal handlers are process-wide.)
#![cfg(all(target_arch = "x86_64", target_os = "linux", feature = "compiler"))]

use std::sync::atomic::{AtomicUsize, Ordering};

use nanowasm_runtime::*;

static EMBEDDER_SAW: AtomicUsize = AtomicUsize::new(0);

extern "C" fn embedder_handler(
    sig: libc::c_int,
    _info: *mut libc::siginfo_t,
    _ctx: *mut libc::c_void,
) {
    if sig == libc::SIGSEGV {
        EMBEDDER_SAW.fetch_add(1, Ordering::SeqCst);
    }
}

fn raise_segv() {
    // SAFETY: raising a signal whose handler (the engine's, chaining to
    // the embedder's) returns.
    unsafe { libc::raise(libc::SIGSEGV) };
}

#[test]
fn faults_outside_compiled_code_reach_the_embedders_handler() {
    // SAFETY: installs a handler that only counts, before any thread of
    // this test binary relies on another.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = embedder_handler as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&mut sa.sa_mask);
        assert_eq!(libc::sigaction(libc::SIGSEGV, &sa, std::ptr::null_mut()), 0);
    }
    let mut config = Config::new();
    config
        .strategy(Strategy::Compiler)
        .memory_bounds(MemoryBounds::GuardRegions);
    let engine = Engine::new(&config);
    let wasm = wat::parse_str(
        r#"(module
            (import "host" "fault" (func $fault))
            (memory 1)
            (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
            (func (export "call_host") (call $fault)))"#,
    )
    .unwrap();
    let module = Module::new(&engine, &wasm).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker.func_wrap("host", "fault", raise_segv).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let load = instance
        .get_typed_func::<i32, i32>(&mut store, "load")
        .unwrap();
    let call_host = instance
        .get_typed_func::<(), ()>(&mut store, "call_host")
        .unwrap();

    // Compiled code's fault: a trap, and the embedder sees nothing.
    let err = load.call(&mut store, 70_000).unwrap_err().to_string();
    assert!(err.contains("out of bounds memory access"), "{err}");
    assert_eq!(EMBEDDER_SAW.load(Ordering::SeqCst), 0);

    // A fault in the host, no wasm running: the embedder's.
    raise_segv();
    assert_eq!(EMBEDDER_SAW.load(Ordering::SeqCst), 1);

    // A fault in a host function that compiled code called: still the
    // embedder's (the faulting instruction is not compiled code's).
    call_host.call(&mut store, ()).unwrap();
    assert_eq!(EMBEDDER_SAW.load(Ordering::SeqCst), 2);

    // And compiled code still traps afterwards.
    let err = load.call(&mut store, -4).unwrap_err().to_string();
    assert!(err.contains("out of bounds memory access"), "{err}");
    assert_eq!(load.call(&mut store, 0).unwrap(), 0);
}
