//! Second round of GC attack tests, against the fixes of the first
//! (c276a91) and the API they brought: the collection at the outermost
//! compiled entry, `RootScope` misuse, handle generations and encodings,
//! and integers that look like tagged object references.
//!
//! Every test asserts the safe behaviour: the right value, a trap with the
//! right code, or an `Err`; never a panic, an abort, a "bug" error or a
//! wrong value.

use std::collections::HashSet;

use nanowasm_runtime::*;

/// The GC module (run by the interpreter under `Strategy::Auto`). A freed
/// node whose slot is reused by `fill` reads as `0xdeadbeef`.
const GC: &str = r#"(module
  (type $node (struct (field $v (mut i32))))
  (type $bytes (array (mut i8)))
  (global $keep (mut anyref) (ref.null any))
  (func $churn (param $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
        (drop (array.new_default $bytes (i32.const 512)))
        (drop (struct.new $node (i32.const 0xdeadbeef)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))
  (func $fill (param $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
        (drop (struct.new $node (i32.const 0xdeadbeef)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))
  (func (export "churn") (param i32) (call $churn (local.get 0)))
  (func (export "node") (param i32) (result anyref) (struct.new $node (local.get 0)))
  (func (export "value") (param anyref) (result i32)
    (struct.get $node $v (ref.cast (ref $node) (local.get 0))))
  (func (export "ext_node") (param i32) (result externref)
    (extern.convert_any (struct.new $node (local.get 0))))
  (func (export "ext_big") (result externref)
    (extern.convert_any (array.new_default $bytes (i32.const 65536))))
  (func (export "ext_value") (param externref) (result i32)
    (struct.get $node $v (ref.cast (ref $node) (any.convert_extern (local.get 0)))))
  ;; Reuses up to `n` free slots with 0xdeadbeef nodes, then reads `e`.
  (func (export "fill_then_value") (param $e externref) (param $n i32) (result i32)
    (call $fill (local.get $n))
    (struct.get $node $v (ref.cast (ref $node) (any.convert_extern (local.get $e)))))
  (func (export "keep") (param anyref) (global.set $keep (local.get 0)))
  (func (export "kept") (result anyref) (global.get $keep))
  (func (export "i31") (param i32) (result anyref) (ref.i31 (local.get 0)))
  (func (export "i31_get") (param anyref) (result i32 i32)
    (i31.get_s (ref.cast (ref i31) (local.get 0)))
    (i31.get_u (ref.cast (ref i31) (local.get 0))))
  (func (export "eq") (param anyref anyref) (result i32)
    (ref.eq (ref.cast (ref null eq) (local.get 0)) (ref.cast (ref null eq) (local.get 1))))
  ;; `x` against itself after extern.convert_any and any.convert_extern.
  (func (export "round_trip_eq") (param $x anyref) (result i32)
    (ref.eq (ref.cast (ref null eq) (local.get $x))
            (ref.cast (ref null eq) (any.convert_extern (extern.convert_any (local.get $x))))))
  (func (export "is_eq") (param anyref) (result i32) (ref.test (ref eq) (local.get 0)))
  (func (export "is_struct") (param anyref) (result i32) (ref.test (ref struct) (local.get 0)))
  (func (export "to_extern") (param anyref) (result externref) (extern.convert_any (local.get 0)))
  (func (export "to_any") (param externref) (result anyref) (any.convert_extern (local.get 0)))
)"#;

/// The compiled module (no GC): calls into the GC module through
/// `externref`s.
const PLAIN: &str = r#"(module
  (import "gc" "churn" (func $churn (param i32)))
  (import "gc" "ext_node" (func $make (param i32) (result externref)))
  (import "gc" "ext_value" (func $read (param externref) (result i32)))
  (import "gc" "ext_big" (func $big (result externref)))
  (import "gc" "fill_then_value" (func $fill_read (param externref i32) (result i32)))
  (func (export "churn") (param i32) (call $churn (local.get 0)))
  (func (export "make") (param i32) (result externref) (call $make (local.get 0)))
  (func (export "read") (param externref) (result i32) (call $read (local.get 0)))
  (func (export "fill_read") (param externref i32) (result i32)
    (call $fill_read (local.get 0) (local.get 1)))
  (func (export "id") (param externref) (result externref) (local.get 0))
  (func (export "step") (result i32) (drop (call $big)) (i32.const 1))
)"#;

struct Setup {
    store: Store<()>,
    gi: Instance,
    pi: Instance,
    compiled: bool,
}

fn setup(limit: usize) -> Setup {
    let engine = Engine::default();
    let gc = Module::new(&engine, GC).unwrap();
    let plain = Module::new(&engine, PLAIN).unwrap();
    let compiled = !plain.compiled_functions().is_empty();
    let mut store = Store::new(&engine, ());
    store.set_limits(StoreLimitsBuilder::new().gc_heap(limit).build());
    let mut linker = Linker::new(&engine);
    let gi = linker.instantiate(&mut store, &gc).unwrap();
    linker.instance(&mut store, "gc", gi).unwrap();
    let pi = linker.instantiate(&mut store, &plain).unwrap();
    Setup {
        store,
        gi,
        pi,
        compiled,
    }
}

fn interpreter() -> Engine {
    let mut c = Config::new();
    c.strategy(Strategy::Interpreter);
    Engine::new(&c)
}

/// Calls export `name` of `i` with `args`; its results.
fn call(
    mut store: impl AsContextMut<Data = ()>,
    i: &Instance,
    name: &str,
    args: &[Val],
) -> Result<Vec<Val>, Error> {
    let f = i
        .get_func(&mut store, name)
        .unwrap_or_else(|| panic!("no export {name}"));
    let n = f.ty(&store).unwrap().results().len();
    let mut out = vec![Val::I32(0); n];
    f.call(&mut store, args, &mut out)?;
    Ok(out)
}

fn call_i32(
    store: impl AsContextMut<Data = ()>,
    i: &Instance,
    name: &str,
    args: &[Val],
) -> Result<i32, Error> {
    Ok(call(store, i, name, args)?[0].unwrap_i32())
}

/// `r` is the right value, or an error that refuses the call (not a trap,
/// not a bug): what a handle used after its root scope may give.
#[track_caller]
fn assert_value_or_refused(r: Result<i32, Error>, want: i32, what: &str) {
    match r {
        Ok(v) => assert_eq!(
            v, want,
            "{what}: a wrong value ({v:#x}): the object was freed and its slot reused"
        ),
        Err(e) => assert!(
            e.trap_code().is_none() && !e.is_bug(),
            "{what}: the object was freed under the call: {e}"
        ),
    }
}

/// A handle to a node of value `v` taken inside a root scope that has
/// ended (not collected yet), as an `externref`.
fn stale_but_alive_ext(s: &mut Setup, v: i32) -> Val {
    let out = {
        let mut scope = RootScope::new(&mut s.store);
        call(&mut scope, &s.gi, "ext_node", &[Val::I32(v)]).unwrap()[0]
    };
    let Val::ExternRef(Some(e)) = out else {
        panic!("{out:?}")
    };
    // Not collected yet: the handle still works.
    let a = AnyRef::convert_extern(&s.store, e).unwrap();
    assert!(a.is_struct(&s.store).unwrap());
    out
}

// ---------------------------------------------------------------------
// The collection at the outermost compiled entry.
// ---------------------------------------------------------------------

/// The host passes a handle whose root scope ended (its object not
/// collected yet, so `Func::call` accepts it) to a compiled function,
/// after garbage made under compiled frames put the heap past its
/// threshold. The entry collection must not free the argument: the
/// compiled code hands it to the GC module, which fills the free slots
/// with `0xdeadbeef` nodes and reads it.
#[test]
fn stale_scope_argument_to_compiled_code_is_not_freed_under_it() {
    let mut s = setup(64 << 20);
    if !s.compiled {
        return;
    }
    let e = stale_but_alive_ext(&mut s, 42);
    // Garbage under a compiled frame: past the threshold, not collected.
    call(&mut s.store, &s.pi, "churn", &[Val::I32(4000)]).unwrap();
    assert_eq!(s.store.gc_stats().collections, 0);
    let r = call_i32(&mut s.store, &s.pi, "fill_read", &[e, Val::I32(8001)]);
    assert_value_or_refused(r, 42, "Func::call of a compiled function");
}

/// The same through `TypedFunc::call` with an `Option<ExternRef>`
/// parameter (the values path, which roots nothing for compiled code).
#[test]
fn stale_scope_argument_through_a_typed_call() {
    let mut s = setup(64 << 20);
    if !s.compiled {
        return;
    }
    let Val::ExternRef(e) = stale_but_alive_ext(&mut s, 43) else {
        unreachable!()
    };
    let churn =
        s.pi.get_typed_func::<i32, ()>(&mut s.store, "churn")
            .unwrap();
    churn.call(&mut s.store, 4000).unwrap();
    let fill_read =
        s.pi.get_typed_func::<(Option<ExternRef>, i32), i32>(&mut s.store, "fill_read")
            .unwrap();
    let r = fill_read.call(&mut s.store, (e, 8001));
    assert_value_or_refused(r, 43, "TypedFunc::call of a compiled function");
}

/// A host function called from interpreted wasm (so the interpreter's
/// frames are below it) takes a node inside its own root scope, ends it,
/// and calls compiled code with it: the entry collection runs there
/// (no compiled frame is live) and must not free the argument.
#[test]
fn host_function_under_interpreted_wasm_passes_a_stale_handle_to_compiled_code() {
    let engine = Engine::default();
    let gc = Module::new(&engine, GC).unwrap();
    let plain = Module::new(&engine, PLAIN).unwrap();
    if plain.compiled_functions().is_empty() {
        return;
    }
    let driver = Module::new(
        &engine,
        // A GC type: `Strategy::Auto` runs it on the interpreter.
        r#"(module (type $t (struct)) (import "host" "h" (func $h (result i32)))
             (func (export "run") (result i32) (call $h)))"#,
    )
    .unwrap();
    assert!(driver.compiled_functions().is_empty());
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let gi = linker.instantiate(&mut store, &gc).unwrap();
    linker.instance(&mut store, "gc", gi).unwrap();
    let pi = linker.instantiate(&mut store, &plain).unwrap();
    linker
        .func_wrap("host", "h", move |mut caller: Caller<'_, ()>| -> i32 {
            let e = {
                let mut scope = RootScope::new(&mut caller);
                call(&mut scope, &gi, "ext_node", &[Val::I32(44)]).unwrap()[0]
            };
            call(&mut caller, &pi, "churn", &[Val::I32(4000)]).unwrap();
            match call_i32(&mut caller, &pi, "fill_read", &[e, Val::I32(8001)]) {
                Ok(v) => v,
                Err(e) if e.trap_code().is_none() && !e.is_bug() => 44,
                Err(e) => panic!("the object was freed under the call: {e}"),
            }
        })
        .unwrap();
    let di = linker.instantiate(&mut store, &driver).unwrap();
    let r = call_i32(&mut store, &di, "run", &[]).unwrap();
    assert_eq!(r, 44, "wrong value {r:#x}: the argument was freed");
}

/// Results of one compiled call fed to the next, each iteration in its own
/// root scope, with garbage made under compiled frames between them (so
/// each entry collects): every value reads back.
#[test]
fn compiled_results_fed_to_compiled_calls_in_scopes() {
    let mut s = setup(64 << 20);
    for k in 0..8 {
        let mut scope = RootScope::new(&mut s.store);
        let e = call(&mut scope, &s.pi, "make", &[Val::I32(k)]).unwrap()[0];
        let e = call(&mut scope, &s.pi, "id", &[e]).unwrap()[0];
        call(&mut scope, &s.pi, "churn", &[Val::I32(2500)]).unwrap();
        let e = call(&mut scope, &s.pi, "id", &[e]).unwrap()[0];
        assert_eq!(call_i32(&mut scope, &s.pi, "read", &[e]).unwrap(), k);
    }
    if s.compiled {
        assert!(s.store.gc_stats().collections > 0);
    }
}

/// Objects that only pass between compiled code and the GC module (never
/// reaching the host) are garbage once the compiled call returns: a host
/// calling a compiled function that drops a 64 KiB array made by the GC
/// module, 200 times, in a 2 MiB heap, must not run out (the next
/// outermost compiled entry collects them).
#[test]
fn externrefs_crossing_into_compiled_code_are_not_pinned_for_good() {
    let mut s = setup(2 << 20);
    let step =
        s.pi.get_typed_func::<(), i32>(&mut s.store, "step")
            .unwrap();
    for k in 0..200 {
        let r = step.call(&mut s.store, ());
        assert!(
            r.is_ok(),
            "step {k}: {r:?} (compiled: {}); stats {:?}",
            s.compiled,
            s.store.gc_stats()
        );
    }
}

/// Re-entrancy: compiled code holds a node in a local and calls the host,
/// which calls interpreted GC code that allocates far past the threshold,
/// collects on demand, and calls compiled code again (nested: no entry
/// collection there); the node reads back.
#[test]
fn reentrant_host_compiled_interp_allocation_keeps_compiled_locals() {
    let engine = Engine::default();
    let gc = Module::new(&engine, GC).unwrap();
    let plain = Module::new(&engine, PLAIN).unwrap();
    let outer = Module::new(
        &engine,
        r#"(module
          (import "gc" "ext_node" (func $make (param i32) (result externref)))
          (import "gc" "ext_value" (func $read (param externref) (result i32)))
          (import "host" "h" (func $h))
          (func (export "run") (result i32) (local $e externref)
            (local.set $e (call $make (i32.const 91)))
            (call $h)
            (call $read (local.get $e))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    store.set_limits(StoreLimitsBuilder::new().gc_heap(64 << 20).build());
    let mut linker = Linker::new(&engine);
    let gi = linker.instantiate(&mut store, &gc).unwrap();
    linker.instance(&mut store, "gc", gi).unwrap();
    let pi = linker.instantiate(&mut store, &plain).unwrap();
    linker
        .func_wrap("host", "h", move |mut caller: Caller<'_, ()>| {
            call(&mut caller, &gi, "churn", &[Val::I32(3000)]).unwrap();
            caller.as_context_mut().gc();
            call(&mut caller, &pi, "churn", &[Val::I32(3000)]).unwrap();
            let e = call(&mut caller, &pi, "make", &[Val::I32(7)]).unwrap()[0];
            assert_eq!(call_i32(&mut caller, &pi, "read", &[e]).unwrap(), 7);
        })
        .unwrap();
    let oi = linker.instantiate(&mut store, &outer).unwrap();
    for _ in 0..2 {
        assert_eq!(call_i32(&mut store, &oi, "run", &[]).unwrap(), 91);
    }
}

// ---------------------------------------------------------------------
// RootScope misuse.
// ---------------------------------------------------------------------

/// A guest that keeps calling a host function with the same `anyref`
/// while the host holds a root scope open pushes one scoped root per call.
/// Those roots count against the heap limit (4 bytes each), but only an
/// allocation checks: the guest grows host memory without bound, and
/// the next allocation of the scope traps although the heap holds one
/// small struct. Safe behaviours: the pushes trap at the limit, or the
/// same object is rooted once per scope.
#[test]
fn scoped_roots_pushed_by_the_guest_are_bounded() {
    let engine = interpreter();
    let m = Module::new(
        &engine,
        r#"(module
          (type $node (struct (field i32)))
          (import "host" "see" (func $see (param anyref)))
          (global $g anyref (struct.new $node (i32.const 1)))
          (func (export "spam") (param $n i32)
            (loop $l
              (call $see (global.get $g))
              (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $l)))
          (func (export "alloc_one") (result i32)
            (struct.get $node 0 (struct.new $node (i32.const 5)))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    store.set_limits(StoreLimitsBuilder::new().gc_heap(256 << 10).build());
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("host", "see", |_: Option<AnyRef>| {})
        .unwrap();
    let i = linker.instantiate(&mut store, &m).unwrap();
    let mut scope = RootScope::new(&mut store);
    // 100,000 roots of 4 bytes: 400 KB against a 256 KiB limit.
    match call(&mut scope, &i, "spam", &[Val::I32(100_000)]) {
        Ok(_) => {
            let r = call_i32(&mut scope, &i, "alloc_one", &[]);
            assert!(
                matches!(r, Ok(5)),
                "the guest's 100,000 calls left the scope holding 400 KB of roots for \
                 one object (host memory it grew without a trap); an allocation of \
                 16 bytes now gets {r:?}"
            );
        }
        Err(e) => assert_eq!(e.trap_code(), Some(TrapCode::GcHeapExhausted), "{e}"),
    }
}

/// Nested scopes: a handle of an inner scope used in the outer one after
/// the inner ended works while its object was not collected (and can be
/// rooted again by storing it), and is refused once it was; the outer's
/// handles and the re-rooted object survive.
#[test]
fn inner_scope_handles_in_the_outer_scope() {
    let engine = interpreter();
    let m = Module::new(&engine, GC).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_limits(StoreLimitsBuilder::new().gc_heap(4 << 20).build());
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    {
        let mut outer = RootScope::new(&mut store);
        let kept = call(&mut outer, &i, "node", &[Val::I32(1)]).unwrap()[0];
        let (a, b, same) = {
            let mut inner = RootScope::new(&mut outer);
            let a = call(&mut inner, &i, "node", &[Val::I32(2)]).unwrap()[0];
            let b = call(&mut inner, &i, "node", &[Val::I32(3)]).unwrap()[0];
            // The outer's object handed out again inside.
            call(&mut inner, &i, "keep", &[kept]).unwrap();
            let same = call(&mut inner, &i, "kept", &[]).unwrap()[0];
            (a, b, same)
        };
        assert_eq!(same, kept, "one object, one handle");
        // Not collected yet: both work; `b` is rooted again by a global.
        assert_eq!(call_i32(&mut outer, &i, "value", &[a]).unwrap(), 2);
        call(&mut outer, &i, "keep", &[b]).unwrap();
        for _ in 0..3 {
            call(&mut outer, &i, "churn", &[Val::I32(3000)]).unwrap();
            outer.as_context_mut().gc();
        }
        let err = call_i32(&mut outer, &i, "value", &[a]).unwrap_err();
        assert!(err.trap_code().is_none() && !err.is_bug(), "{err}");
        assert_eq!(call_i32(&mut outer, &i, "value", &[b]).unwrap(), 3);
        assert_eq!(call_i32(&mut outer, &i, "value", &[kept]).unwrap(), 1);
        let Val::AnyRef(Some(ar)) = a else {
            unreachable!()
        };
        assert!(ar.is_struct(&outer).is_err());
        assert!(ar.is_eq(&outer).is_err());
    }
    let kept = call(&mut store, &i, "kept", &[]).unwrap()[0];
    assert_eq!(call_i32(&mut store, &i, "value", &[kept]).unwrap(), 3);
}

/// `mem::forget` of root scopes (inner and outer, and one at top level)
/// leaks roots, nothing else: every handle afterwards gives its value or an
/// error, collections keep running, and the store keeps working.
#[test]
fn forgotten_root_scopes_only_leak() {
    let engine = interpreter();
    let m = Module::new(&engine, GC).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_limits(StoreLimitsBuilder::new().gc_heap(4 << 20).build());
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    let mut handles = Vec::new();
    {
        let mut outer = RootScope::new(&mut store);
        handles.push((call(&mut outer, &i, "node", &[Val::I32(1)]).unwrap()[0], 1));
        let mut inner = RootScope::new(&mut outer);
        handles.push((call(&mut inner, &i, "node", &[Val::I32(2)]).unwrap()[0], 2));
        std::mem::forget(inner);
        handles.push((call(&mut outer, &i, "node", &[Val::I32(3)]).unwrap()[0], 3));
    }
    let mut top = RootScope::new(&mut store);
    handles.push((call(&mut top, &i, "node", &[Val::I32(4)]).unwrap()[0], 4));
    std::mem::forget(top);
    for k in 5..50 {
        handles.push((call(&mut store, &i, "node", &[Val::I32(k)]).unwrap()[0], k));
    }
    for round in 0..3 {
        call(&mut store, &i, "churn", &[Val::I32(3000)]).unwrap();
        store.gc();
        for &(h, k) in &handles {
            assert_value_or_refused(
                call_i32(&mut store, &i, "value", &[h]),
                k,
                &format!("handle {k}, round {round}"),
            );
        }
    }
    assert!(store.gc_stats().collections >= 3);
    // Scopes still work after the leak.
    for k in 0..20 {
        let mut s = RootScope::new(&mut store);
        let h = call(&mut s, &i, "node", &[Val::I32(k)]).unwrap()[0];
        assert_eq!(call_i32(&mut s, &i, "value", &[h]).unwrap(), k);
    }
    assert_eq!(
        call_i32(&mut store, &i, "value", &[handles[4].0]).unwrap(),
        5
    );
}

/// A scope over one store does not make another store's values usable
/// with it, nor does it root them.
#[test]
fn a_scope_on_another_store() {
    let engine = interpreter();
    let m = Module::new(&engine, GC).unwrap();
    let mut a = Store::new(&engine, ());
    let mut b = Store::new(&engine, ());
    let ia = Linker::new(&engine).instantiate(&mut a, &m).unwrap();
    let ib = Linker::new(&engine).instantiate(&mut b, &m).unwrap();
    let from_a = {
        let mut sa = RootScope::new(&mut a);
        call(&mut sa, &ia, "node", &[Val::I32(1)]).unwrap()[0]
    };
    let ext_a = ExternRef::new(&mut a, 5u32);
    let mut sb = RootScope::new(&mut b);
    // A's function with B's scope; A's value to B's function.
    let node_a = ia.get_func(&mut a, "node").unwrap();
    let mut out = [Val::I32(0)];
    assert!(node_a.call(&mut sb, &[Val::I32(2)], &mut out).is_err());
    let err = call(&mut sb, &ib, "value", &[from_a]).unwrap_err();
    assert!(err.trap_code().is_none() && !err.is_bug(), "{err}");
    let Val::AnyRef(Some(ar)) = from_a else {
        unreachable!()
    };
    assert!(ar.is_struct(&sb).is_err());
    assert!(ExternRef::convert_any(&sb, ar).is_err());
    assert!(AnyRef::convert_extern(&sb, ext_a).is_err());
    assert!(call(&mut sb, &ib, "to_any", &[Val::ExternRef(Some(ext_a))]).is_err());
    drop(sb);
    // The scope on B rooted nothing of A: A's handle (its scope ended) is
    // refused once collected there.
    for _ in 0..3 {
        call(&mut a, &ia, "churn", &[Val::I32(3000)]).unwrap();
        a.gc();
    }
    assert!(call(&mut a, &ia, "value", &[from_a]).is_err());
}

// ---------------------------------------------------------------------
// Handle encodings: i31s, conversions, equality across generations.
// ---------------------------------------------------------------------

/// `i31` edge values made by the host and by wasm: the same handle, the
/// same `i31.get_s`/`get_u`, `ref.eq`, and round trips through
/// `externref` (in compiled code too).
#[test]
fn i31_edge_values() {
    let mut s = setup(4 << 20);
    for v in [
        0,
        1,
        -1,
        0x3fff_ffff,
        -0x4000_0000,
        0x4000_0000,
        0x5555_5555,
        i32::MAX,
        i32::MIN,
        i32::MIN + 1,
    ] {
        let (want_s, want_u) = ((v << 1) >> 1, (v as u32) & 0x7fff_ffff);
        let a = AnyRef::from_i31(&s.store, v);
        assert_eq!(
            (a.i31_s(), a.i31_u()),
            (Some(want_s), Some(want_u)),
            "{v:#x}"
        );
        assert!(a.is_i31() && a.is_eq(&s.store).unwrap());
        assert!(!a.is_struct(&s.store).unwrap() && !a.is_array(&s.store).unwrap());
        let w = call(&mut s.store, &s.gi, "i31", &[Val::I32(v)]).unwrap()[0];
        assert_eq!(w, Val::AnyRef(Some(a)), "{v:#x}");
        let got = call(&mut s.store, &s.gi, "i31_get", &[Val::AnyRef(Some(a))]).unwrap();
        assert_eq!(
            got,
            vec![Val::I32(want_s), Val::I32(want_u as i32)],
            "{v:#x}"
        );
        assert_eq!(
            call_i32(&mut s.store, &s.gi, "eq", &[Val::AnyRef(Some(a)), w]).unwrap(),
            1
        );
        assert_eq!(
            call_i32(&mut s.store, &s.gi, "round_trip_eq", &[w]).unwrap(),
            1
        );
        let e = ExternRef::convert_any(&s.store, a).unwrap();
        assert!(e.data(&s.store).is_err());
        let back = call(&mut s.store, &s.pi, "id", &[Val::ExternRef(Some(e))]).unwrap()[0];
        assert_eq!(back, Val::ExternRef(Some(e)));
        let any = call(&mut s.store, &s.gi, "to_any", &[back]).unwrap()[0];
        assert_eq!(any, Val::AnyRef(Some(a)));
        assert_eq!(AnyRef::convert_extern(&s.store, e).unwrap(), a);
        // Neighbouring values are different references.
        let n = AnyRef::from_i31(&s.store, v.wrapping_add(1));
        assert_eq!(
            call_i32(
                &mut s.store,
                &s.gi,
                "eq",
                &[Val::AnyRef(Some(a)), Val::AnyRef(Some(n))]
            )
            .unwrap(),
            0
        );
    }
}

/// Host `externref`s of many indices (so their raw values take every low
/// bit pattern, `4k + 2` among them) converted to `anyref` by the host and
/// by wasm, kept in a traced GC array across collections: never read as
/// objects, not `eq`, not structs, and they convert back to themselves.
#[test]
fn host_externrefs_as_anyrefs_are_never_objects() {
    let engine = interpreter();
    let m = Module::new(&engine, GC).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_limits(StoreLimitsBuilder::new().gc_heap(8 << 20).build());
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    // Objects in the low slots, which a misread host value would name.
    let objects: Vec<Val> = (0..40)
        .map(|k| call(&mut store, &i, "node", &[Val::I32(k)]).unwrap()[0])
        .collect();
    let n = 3000usize;
    let exts: Vec<ExternRef> = (0..n).map(|k| ExternRef::new(&mut store, k)).collect();
    for (k, e) in exts.iter().enumerate() {
        let host = AnyRef::convert_extern(&store, *e).unwrap();
        let wasm = call(&mut store, &i, "to_any", &[Val::ExternRef(Some(*e))]).unwrap()[0];
        assert_eq!(wasm, Val::AnyRef(Some(host)), "extern #{k}");
        assert!(!host.is_i31() && !host.is_struct(&store).unwrap() && !host.is_eq(&store).unwrap());
        if k % 97 == 0 {
            assert_eq!(call_i32(&mut store, &i, "is_eq", &[wasm]).unwrap(), 0);
            assert_eq!(call_i32(&mut store, &i, "is_struct", &[wasm]).unwrap(), 0);
            // Kept in a global (traced) across collections.
            call(&mut store, &i, "keep", &[wasm]).unwrap();
            call(&mut store, &i, "churn", &[Val::I32(200)]).unwrap();
            store.gc();
            let kept = call(&mut store, &i, "kept", &[]).unwrap()[0];
            assert_eq!(kept, wasm);
        }
        let back = ExternRef::convert_any(&store, host).unwrap();
        assert_eq!(back, *e);
        assert_eq!(
            *back.data(&store).unwrap().downcast_ref::<usize>().unwrap(),
            k
        );
        let through = call(&mut store, &i, "to_extern", &[wasm]).unwrap()[0];
        assert_eq!(through, Val::ExternRef(Some(*e)));
    }
    for (k, o) in objects.iter().enumerate() {
        assert_eq!(call_i32(&mut store, &i, "value", &[*o]).unwrap(), k as i32);
    }
}

/// Handle equality and hashing: the same object handed out twice is one
/// handle; a stale handle and the handle of the object that reuses its slot
/// differ (and the stale one is refused); `ref.eq` of round trips holds.
#[test]
fn handle_equality_across_generations() {
    let engine = interpreter();
    let m = Module::new(&engine, GC).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_limits(StoreLimitsBuilder::new().gc_heap(4 << 20).build());
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    let stale = {
        let mut scope = RootScope::new(&mut store);
        let h = call(&mut scope, &i, "node", &[Val::I32(1)]).unwrap()[0];
        call(&mut scope, &i, "keep", &[h]).unwrap();
        let again = call(&mut scope, &i, "kept", &[]).unwrap()[0];
        assert_eq!(h, again);
        let Val::AnyRef(Some(a)) = h else { panic!() };
        let Val::AnyRef(Some(b)) = again else {
            panic!()
        };
        assert_eq!(HashSet::from([a, b]).len(), 1);
        assert_eq!(call_i32(&mut scope, &i, "round_trip_eq", &[h]).unwrap(), 1);
        let e = ExternRef::convert_any(&scope, a).unwrap();
        assert_eq!(AnyRef::convert_extern(&scope, e).unwrap(), a);
        call(&mut scope, &i, "keep", &[Val::AnyRef(None)]).unwrap();
        a
    };
    // Free it; new nodes reuse the slot with a new generation.
    call(&mut store, &i, "churn", &[Val::I32(3000)]).unwrap();
    store.gc();
    let fresh: Vec<AnyRef> = (0..50)
        .map(|k| {
            let Val::AnyRef(Some(a)) =
                call(&mut store, &i, "node", &[Val::I32(100 + k)]).unwrap()[0]
            else {
                panic!()
            };
            a
        })
        .collect();
    assert!(!fresh.contains(&stale));
    assert!(stale.is_struct(&store).is_err());
    let e = ExternRef::convert_any(&store, stale).unwrap();
    let err = call(&mut store, &i, "ext_value", &[Val::ExternRef(Some(e))]).unwrap_err();
    assert!(err.trap_code().is_none() && !err.is_bug(), "{err}");
    for (k, f) in fresh.iter().enumerate() {
        assert_eq!(
            call_i32(&mut store, &i, "value", &[Val::AnyRef(Some(*f))]).unwrap(),
            100 + k as i32
        );
    }
    let all: HashSet<AnyRef> = fresh.iter().copied().chain([stale]).collect();
    assert_eq!(all.len(), 51);
}

// ---------------------------------------------------------------------
// The tag bit: numbers that look like object references.
// ---------------------------------------------------------------------

/// `i64`, `f64` and `v128` locals, and `i64` array elements, holding the
/// exact encoding of live and dead objects (bit 32 set, low bits 2): they
/// may retain objects, never be read as them; the arithmetic on them is
/// exact, and once they are gone the objects are collected.
#[test]
fn numbers_that_look_like_object_references() {
    let engine = interpreter();
    let m = Module::new(
        &engine,
        r#"(module
          (type $node (struct (field $v (mut i32))))
          (type $i64s (array (mut i64)))
          (type $big (array (mut i8)))
          (func $churn (param $n i32)
            (loop $l
              (drop (struct.new $node (i32.const 0xdeadbeef)))
              (drop (array.new_default $big (i32.const 4096)))
              (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $l)))
          (func (export "garbage") (param $n i32)
            (loop $l
              (drop (array.new_default $big (i32.const 65536)))
              (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $l)))
          (func (export "run") (param $k i32) (result i64)
            (local $a i64) (local $f f64) (local $v v128) (local $arr (ref null $i64s))
            (local $i i32) (local $sum i64) (local $n (ref null $node))
            (local.set $n (struct.new $node (i32.const 7)))
            ;; object k's encoding, and its neighbours'
            (local.set $a (i64.or (i64.const 0x100000002)
                                  (i64.shl (i64.extend_i32_u (local.get $k)) (i64.const 2))))
            (local.set $f (f64.reinterpret_i64 (i64.add (local.get $a) (i64.const 4))))
            (local.set $v (i64x2.replace_lane 1
                            (i64x2.splat (i64.const 0x100000006)) (i64.add (local.get $a) (i64.const 8))))
            (local.set $arr (array.new $i64s (local.get $a) (i32.const 64)))
            (call $churn (i32.const 2000))
            (local.set $sum (i64.add (local.get $a) (i64.reinterpret_f64 (local.get $f))))
            (local.set $sum (i64.add (local.get $sum) (i64x2.extract_lane 0 (local.get $v))))
            (local.set $sum (i64.add (local.get $sum) (i64x2.extract_lane 1 (local.get $v))))
            (loop $l
              (local.set $sum (i64.add (local.get $sum) (array.get $i64s (local.get $arr) (local.get $i))))
              (local.tee $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (i32.const 64))))
            (i64.add (local.get $sum) (i64.extend_i32_u (struct.get $node $v (local.get $n))))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    store.set_limits(StoreLimitsBuilder::new().gc_heap(4 << 20).build());
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    for k in [0u32, 1, 2, 3, 100, 1000, 3999, 0x3fff_ffff] {
        let a = 0x1_0000_0002u64 | (u64::from(k) << 2);
        let want = a
            .wrapping_add(a + 4)
            .wrapping_add(0x1_0000_0006)
            .wrapping_add(a + 8)
            .wrapping_add(a.wrapping_mul(64))
            .wrapping_add(7);
        let got = call(&mut store, &i, "run", &[Val::I32(k as i32)]).unwrap()[0];
        assert_eq!(got, Val::I64(want as i64), "k = {k}");
    }
    // The lookalikes are gone: 64 KiB arrays in a 4 MiB heap collect.
    for _ in 0..3 {
        call(&mut store, &i, "garbage", &[Val::I32(200)]).unwrap();
    }
    store.gc();
    let s = store.gc_stats();
    assert!(s.live_bytes < 1 << 20, "{s:?}");
}
