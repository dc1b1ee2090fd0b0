//! GC (Wasm 3.0) through the embedding API: the collector frees cycles,
//! keeps what wasm or the host still reaches (locals and operands in the
//! middle of a function, globals, tables, objects handed to the host,
//! objects inside `externref`s), and a store's heap limit traps in that
//! store only. Attack tests: a guest that exhausts its heap, a host that
//! passes a struct where another type is expected, a reference of another
//! store, a deep structure that would overflow a recursive marker.

use nanowasm_runtime::*;

const MODULE: &str = r#"(module
  (type $node (struct (field $next (mut (ref null $node))) (field $v i32)))
  (type $other (struct (field i64)))
  (type $bytes (array (mut i8)))
  (type $empty (struct))
  (global $keep (mut (ref null $node)) (ref.null $node))
  (table $t 4 anyref)

  ;; A ring of n nodes, dropped: garbage with a cycle.
  (func $ring (export "ring") (param $n i32)
    (local $first (ref null $node)) (local $cur (ref null $node))
    (local.set $first (struct.new $node (ref.null $node) (i32.const 0)))
    (local.set $cur (local.get $first))
    (block $done
      (loop $l
        (br_if $done (i32.le_s (local.get $n) (i32.const 1)))
        (local.set $cur (struct.new $node (local.get $cur) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (struct.set $node $next (local.get $first) (local.get $cur)))

  ;; Keeps n more nodes reachable from the global: never freed.
  (func (export "hoard") (param $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (global.set $keep (struct.new $node (global.get $keep) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))

  ;; The length of the global's list.
  (func (export "count") (result i32)
    (local $c i32) (local $p (ref null $node))
    (local.set $p (global.get $keep))
    (block $done
      (loop $l
        (br_if $done (ref.is_null (local.get $p)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (local.set $p (struct.get $node $next (local.get $p)))
        (br $l)))
    (local.get $c))

  ;; A node held only in a local while garbage forces collections.
  (func (export "survive") (param $v i32) (param $garbage i32) (result i32)
    (local $mine (ref null $node))
    (local.set $mine (struct.new $node (ref.null $node) (local.get $v)))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $garbage)))
        (call $ring (i32.const 100))
        (local.set $garbage (i32.sub (local.get $garbage) (i32.const 1)))
        (br $l)))
    (struct.get $node $v (local.get $mine)))

  (func (export "new_node") (param i32) (result anyref)
    (struct.new $node (ref.null $node) (local.get 0)))
  (func (export "node_value") (param (ref $node)) (result i32)
    (struct.get $node $v (local.get 0)))
  (func (export "any_value") (param anyref) (result i32)
    (struct.get $node $v (ref.cast (ref $node) (local.get 0))))
  (func (export "externalize") (param i32) (result externref)
    (extern.convert_any (struct.new $node (ref.null $node) (local.get 0))))
  (func (export "internal_value") (param externref) (result i32)
    (struct.get $node $v (ref.cast (ref $node) (any.convert_extern (local.get 0)))))
  (func (export "big") (param i32) (result i32)
    (array.len (array.new_default $bytes (local.get 0))))
  (func (export "table_set") (param i32)
    (table.set $t (i32.const 0) (struct.new $node (ref.null $node) (local.get 0))))
  (func (export "table_value") (result i32)
    (struct.get $node $v (ref.cast (ref $node) (table.get $t (i32.const 0)))))
  (func (export "i31") (param i32) (result i31ref) (ref.i31 (local.get 0)))
  ;; No operands: an empty struct, an empty fixed array (a translator bug
  ;; the wasmtime differential found).
  (func (export "empties") (result i32)
    (drop (struct.new $empty))
    (array.len (array.new_fixed $bytes 0)))
)"#;

fn interpreter() -> Engine {
    let mut c = Config::new();
    c.strategy(Strategy::Interpreter);
    Engine::new(&c)
}

fn instance(engine: &Engine, limit: Option<usize>) -> (Store<()>, Instance) {
    let module = Module::new(engine, MODULE).unwrap();
    let mut store = Store::new(engine, ());
    if let Some(bytes) = limit {
        store.set_limits(StoreLimitsBuilder::new().gc_heap(bytes).build());
    }
    let instance = Linker::new(engine)
        .instantiate(&mut store, &module)
        .unwrap();
    (store, instance)
}

/// Rings of 1,000 nodes, 2,000 times (some 100 MB in all), in a 4 MiB
/// heap: only a collector that frees cycles lets this finish.
#[test]
fn cycles_are_collected() {
    let engine = interpreter();
    let (mut store, i) = instance(&engine, Some(4 << 20));
    let ring = i.get_typed_func::<i32, ()>(&mut store, "ring").unwrap();
    for _ in 0..2_000 {
        ring.call(&mut store, 1_000).unwrap();
    }
    let stats = store.gc_stats();
    assert!(stats.collections > 10, "{stats:?}");
    assert!(stats.allocated_bytes > 50 << 20, "{stats:?}");
    assert!(stats.peak_bytes <= 4 << 20, "{stats:?}");
    store.gc();
    assert!(
        store.gc_stats().live_bytes < 64 << 10,
        "{:?}",
        store.gc_stats()
    );
}

/// What wasm reaches survives collections: a local in a running frame,
/// the global's list, a table element.
#[test]
fn live_objects_survive() {
    let engine = interpreter();
    let (mut store, i) = instance(&engine, Some(8 << 20));
    let survive = i
        .get_typed_func::<(i32, i32), i32>(&mut store, "survive")
        .unwrap();
    assert_eq!(survive.call(&mut store, (42, 3_000)).unwrap(), 42);
    assert!(store.gc_stats().collections > 0);
    let hoard = i.get_typed_func::<i32, ()>(&mut store, "hoard").unwrap();
    let count = i.get_typed_func::<(), i32>(&mut store, "count").unwrap();
    hoard.call(&mut store, 10_000).unwrap();
    let table_set = i
        .get_typed_func::<i32, ()>(&mut store, "table_set")
        .unwrap();
    table_set.call(&mut store, 7).unwrap();
    assert_eq!(survive.call(&mut store, (5, 3_000)).unwrap(), 5);
    store.gc();
    assert_eq!(count.call(&mut store, ()).unwrap(), 10_000);
    let table_value = i
        .get_typed_func::<(), i32>(&mut store, "table_value")
        .unwrap();
    assert_eq!(table_value.call(&mut store, ()).unwrap(), 7);
}

/// A list of 300,000 nodes is marked without recursion (a recursive marker
/// would overflow the host's stack).
#[test]
fn deep_structures_are_marked_iteratively() {
    let engine = interpreter();
    let (mut store, i) = instance(&engine, None);
    let hoard = i.get_typed_func::<i32, ()>(&mut store, "hoard").unwrap();
    hoard.call(&mut store, 300_000).unwrap();
    store.gc();
    let count = i.get_typed_func::<(), i32>(&mut store, "count").unwrap();
    assert_eq!(count.call(&mut store, ()).unwrap(), 300_000);
}

/// A guest that keeps allocating traps when its store's heap is full, and
/// the host is unharmed: a 4 GiB array request traps instead of aborting,
/// the store stays usable, and another store of the same engine runs.
#[test]
fn heap_limit_traps_in_its_own_store_only() {
    let engine = interpreter();
    let (mut a, ia) = instance(&engine, Some(1 << 20));
    let hoard = ia.get_typed_func::<i32, ()>(&mut a, "hoard").unwrap();
    let err = hoard.call(&mut a, 1_000_000).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::GcHeapExhausted), "{err}");
    assert!(a.gc_stats().live_bytes <= 1 << 20);
    let big = ia.get_typed_func::<i32, i32>(&mut a, "big").unwrap();
    let err = big.call(&mut a, -1).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::GcHeapExhausted), "{err}");
    // Still usable for what fits (an i31 allocates nothing).
    let i31 = ia.get_func(&mut a, "i31").unwrap();
    let mut out = [Val::I32(0)];
    i31.call(&mut a, &[Val::I32(-5)], &mut out).unwrap();
    let Val::AnyRef(Some(r)) = out[0] else {
        panic!("{:?}", out[0])
    };
    assert_eq!(r.i31_s(), Some(-5));
    // Another store is not affected.
    let (mut b, ib) = instance(&engine, None);
    let big = ib.get_typed_func::<i32, i32>(&mut b, "big").unwrap();
    assert_eq!(big.call(&mut b, 10 << 20).unwrap(), 10 << 20);
    let hoard = ib.get_typed_func::<i32, ()>(&mut b, "hoard").unwrap();
    hoard.call(&mut b, 100_000).unwrap();
}

/// Objects handed to the host stay alive, directly or inside an
/// `externref`, across collections, and come back as the same objects.
#[test]
fn host_held_objects_stay_alive() {
    let engine = interpreter();
    let (mut store, i) = instance(&engine, Some(4 << 20));
    let new_node = i.get_func(&mut store, "new_node").unwrap();
    let mut out = [Val::I32(0)];
    new_node
        .call(&mut store, &[Val::I32(99)], &mut out)
        .unwrap();
    let held = out[0];
    let Val::AnyRef(Some(any)) = held else {
        panic!("{held:?}")
    };
    assert!(any.is_struct(&store).unwrap() && any.is_eq(&store).unwrap());
    assert!(!any.is_array(&store).unwrap() && !any.is_i31());
    let externalize = i.get_func(&mut store, "externalize").unwrap();
    externalize
        .call(&mut store, &[Val::I32(77)], &mut out)
        .unwrap();
    let ext = out[0];
    assert!(matches!(ext, Val::ExternRef(Some(e)) if e.data(&store).is_err()));
    // Garbage until several collections have run.
    let ring = i.get_typed_func::<i32, ()>(&mut store, "ring").unwrap();
    for _ in 0..500 {
        ring.call(&mut store, 1_000).unwrap();
    }
    store.gc();
    assert!(store.gc_stats().collections > 2);
    let any_value = i.get_func(&mut store, "any_value").unwrap();
    any_value.call(&mut store, &[held], &mut out).unwrap();
    assert_eq!(out[0], Val::I32(99));
    let internal_value = i.get_func(&mut store, "internal_value").unwrap();
    internal_value.call(&mut store, &[ext], &mut out).unwrap();
    assert_eq!(out[0], Val::I32(77));
    // The conversions round-trip exactly.
    let Val::ExternRef(Some(e)) = ext else {
        unreachable!()
    };
    let back = AnyRef::convert_extern(&store, e).unwrap();
    assert_eq!(ExternRef::convert_any(&store, back).unwrap(), e);
}

/// The host cannot pass a value where wasm's type system would not: an
/// `i31` or another struct type for `(ref $node)`, null for a non-null
/// parameter, a reference of another store. Each is an error, not a call.
#[test]
fn host_values_are_type_checked() {
    let engine = interpreter();
    let (mut store, i) = instance(&engine, None);
    let node_value = i.get_func(&mut store, "node_value").unwrap();
    let mut out = [Val::I32(0)];
    let i31 = Val::AnyRef(Some(AnyRef::from_i31(&store, 3)));
    let err = node_value.call(&mut store, &[i31], &mut out).unwrap_err();
    assert!(err.to_string().contains("wrong argument types"), "{err}");
    let err = node_value
        .call(&mut store, &[Val::AnyRef(None)], &mut out)
        .unwrap_err();
    assert!(err.to_string().contains("wrong argument types"), "{err}");
    // An object of another store.
    let (mut other, oi) = instance(&engine, None);
    let new_node = oi.get_func(&mut other, "new_node").unwrap();
    new_node.call(&mut other, &[Val::I32(1)], &mut out).unwrap();
    let foreign = out[0];
    let err = node_value
        .call(&mut store, &[foreign], &mut out)
        .unwrap_err();
    assert!(err.to_string().contains("wrong store"), "{err}");
    // A struct of this store of the right type works.
    let new_node = i.get_func(&mut store, "new_node").unwrap();
    new_node
        .call(&mut store, &[Val::I32(12)], &mut out)
        .unwrap();
    let mine = out[0];
    node_value.call(&mut store, &[mine], &mut out).unwrap();
    assert_eq!(out[0], Val::I32(12));
    // `anyref` parameters take any of this store's `any` values, and a
    // failing cast in wasm traps.
    let any_value = i.get_func(&mut store, "any_value").unwrap();
    let err = any_value.call(&mut store, &[i31], &mut out).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::CastFailure), "{err}");
}

/// The compiler refuses GC modules with an error that says so; `Auto` runs
/// them on the interpreter.
#[test]
fn compiler_refuses_gc_and_auto_falls_back() {
    if !cfg!(all(target_arch = "x86_64", target_os = "linux")) {
        return;
    }
    let mut c = Config::new();
    c.strategy(Strategy::Compiler);
    let err = Module::new(&Engine::new(&c), MODULE).unwrap_err();
    assert!(err.to_string().contains("GC"), "{err}");
    let engine = Engine::default();
    let (mut store, i) = instance(&engine, None);
    let survive = i
        .get_typed_func::<(i32, i32), i32>(&mut store, "survive")
        .unwrap();
    assert_eq!(survive.call(&mut store, (8, 10)).unwrap(), 8);
}

/// Objects handed to the host inside a `RootScope` are released when it
/// ends: a host loop that takes 100,000 structs runs in a 2 MiB heap with
/// a scope per iteration, and exhausts the heap without (each object is
/// pinned until the store is dropped, as wasmtime's unscoped roots).
#[test]
fn root_scopes_release_host_held_objects() {
    let engine = interpreter();
    let (mut store, i) = instance(&engine, Some(2 << 20));
    let new_node = i.get_func(&mut store, "new_node").unwrap();
    for n in 0..100_000 {
        let mut scope = RootScope::new(&mut store);
        let mut out = [Val::I32(0)];
        new_node.call(&mut scope, &[Val::I32(n)], &mut out).unwrap();
        let Val::AnyRef(Some(r)) = out[0] else {
            panic!("{:?}", out[0])
        };
        assert!(r.is_struct(&scope).unwrap());
    }
    assert!(store.gc_stats().collections > 0);
    let (mut store, i) = instance(&engine, Some(2 << 20));
    let new_node = i.get_func(&mut store, "new_node").unwrap();
    let err = (0..100_000)
        .find_map(|n| {
            let mut out = [Val::I32(0)];
            new_node.call(&mut store, &[Val::I32(n)], &mut out).err()
        })
        .expect("unscoped roots fill the heap");
    assert_eq!(err.trap_code(), Some(TrapCode::GcHeapExhausted), "{err}");
}

/// A handle kept past its scope, once its object is collected, is refused
/// with an error (directly, or inside an `externref`): never taken for
/// whatever object reuses the slot.
#[test]
fn handles_that_outlive_their_objects_are_refused() {
    let engine = interpreter();
    let (mut store, i) = instance(&engine, None);
    let new_node = i.get_func(&mut store, "new_node").unwrap();
    let externalize = i.get_func(&mut store, "externalize").unwrap();
    let (stale_any, stale_extern) = {
        let mut scope = RootScope::new(&mut store);
        let mut out = [Val::I32(0)];
        new_node.call(&mut scope, &[Val::I32(1)], &mut out).unwrap();
        let any = out[0];
        externalize
            .call(&mut scope, &[Val::I32(2)], &mut out)
            .unwrap();
        (any, out[0])
    };
    store.gc();
    // New objects take the freed slots.
    let mut out = [Val::I32(0)];
    for n in 0..4 {
        new_node.call(&mut store, &[Val::I32(n)], &mut out).unwrap();
    }
    let any_value = i.get_func(&mut store, "any_value").unwrap();
    let err = any_value
        .call(&mut store, &[stale_any], &mut out)
        .unwrap_err();
    assert!(err.to_string().contains("collected"), "{err}");
    let internal_value = i.get_func(&mut store, "internal_value").unwrap();
    let err = internal_value
        .call(&mut store, &[stale_extern], &mut out)
        .unwrap_err();
    assert!(err.to_string().contains("collected"), "{err}");
    let Val::AnyRef(Some(r)) = stale_any else {
        unreachable!()
    };
    assert!(r.is_struct(&store).is_err());
}
