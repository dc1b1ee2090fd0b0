//! Attack tests of the GC runtime: the collector under pressure (every
//! kind of root), type confusion through the host API and through casts,
//! bounds and overflow in the array instructions, heap exhaustion, and
//! compiled code holding GC objects in `externref`s.
//!
//! Every test asserts the safe behaviour: the right value, a trap with the
//! right code, or an `Err`; never a panic, an abort, a "bug" error or a
//! wrong value.

use nanowasm_runtime::*;

/// The types and the garbage maker every module here shares. `$churn`
/// allocates `n` dropped 512-byte arrays and `n` dropped nodes whose value
/// is `0xdeadbeef`: a live node freed by mistake has its slot reused by one
/// of them, which a later read shows.
const PRELUDE: &str = r#"
  (type $node (sub (struct (field $next (mut (ref null $node))) (field $v (mut i32)))))
  (type $bytes (array (mut i8)))
  (func $churn (param $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
        (drop (array.new_default $bytes (i32.const 512)))
        (drop (struct.new $node (ref.null $node) (i32.const 0xdeadbeef)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))
  (func $churn_ret (param $n i32) (result i32) (call $churn (local.get $n)) (i32.const 0))
  (func (export "churn") (param i32) (call $churn (local.get 0)))
  (func (export "node") (param i32) (result anyref)
    (struct.new $node (ref.null $node) (local.get 0)))
  (func (export "value") (param anyref) (result i32)
    (struct.get $node $v (ref.cast (ref $node) (local.get 0))))
  (func (export "ext_node") (param i32) (result externref)
    (extern.convert_any (struct.new $node (ref.null $node) (local.get 0))))
  (func (export "ext_value") (param externref) (result i32)
    (struct.get $node $v (ref.cast (ref $node) (any.convert_extern (local.get 0)))))
"#;

fn module_src(body: &str) -> String {
    // Imports come first in the text format: lift them above the prelude.
    let (imports, rest): (Vec<&str>, Vec<&str>) = body
        .lines()
        .partition(|l| l.trim_start().starts_with("(import "));
    format!(
        "(module {} {PRELUDE} {})",
        imports.join("\n"),
        rest.join("\n")
    )
}

fn interpreter() -> Engine {
    let mut c = Config::new();
    c.strategy(Strategy::Interpreter);
    Engine::new(&c)
}

fn store_with_limit<T>(engine: &Engine, data: T, limit: Option<usize>) -> Store<T> {
    let mut store = Store::new(engine, data);
    if let Some(bytes) = limit {
        store.set_limits(StoreLimitsBuilder::new().gc_heap(bytes).build());
    }
    store
}

fn instance(engine: &Engine, body: &str, limit: Option<usize>) -> (Store<()>, Instance) {
    let module = Module::new(engine, module_src(body)).unwrap();
    let mut store = store_with_limit(engine, (), limit);
    let i = Linker::new(engine)
        .instantiate(&mut store, &module)
        .unwrap();
    (store, i)
}

/// Calls export `name` with `args`; its results.
fn call<T>(
    store: &mut Store<T>,
    i: &Instance,
    name: &str,
    args: &[Val],
) -> Result<Vec<Val>, Error> {
    let f = i
        .get_func(&mut *store, name)
        .unwrap_or_else(|| panic!("no export {name}"));
    let n = f.ty(&*store).unwrap().results().len();
    let mut out = vec![Val::I32(0); n];
    f.call(&mut *store, args, &mut out)?;
    Ok(out)
}

fn call_i32<T>(store: &mut Store<T>, i: &Instance, name: &str, args: &[Val]) -> Result<i32, Error> {
    Ok(call(store, i, name, args)?[0].unwrap_i32())
}

/// Asserts that `r` is a trap of `code` (not a bug error, not a panic).
#[track_caller]
fn assert_trap<V: std::fmt::Debug>(r: Result<V, Error>, code: TrapCode) {
    match r {
        Ok(v) => panic!("expected trap {code:?}, got Ok({v:?})"),
        Err(e) => {
            assert!(!e.is_bug(), "a bug error instead of {code:?}: {e}");
            assert_eq!(e.trap_code(), Some(code), "{e}");
        }
    }
}

#[track_caller]
fn assert_collected<T>(store: &Store<T>, at_least: u64) {
    let s = store.gc_stats();
    assert!(s.collections >= at_least, "too few collections: {s:?}");
}

// ---------------------------------------------------------------------
// The collector under pressure: every kind of root.
// ---------------------------------------------------------------------

/// An object that is only an operand on the value stack (not in any
/// local) while a call below it in the same expression allocates enough
/// to run several collections.
#[test]
fn operand_in_mid_expression_survives_nested_allocation() {
    let engine = interpreter();
    let (mut store, i) = instance(
        &engine,
        r#"
        (func $pick (param (ref null $node)) (param i32) (result (ref null $node)) (local.get 0))
        (func (export "operand") (param $v i32) (param $n i32) (result i32)
          (struct.get $node $v
            (call $pick (struct.new $node (ref.null $node) (local.get $v))
                        (call $churn_ret (local.get $n)))))
        (func (export "array_operand") (param $v i32) (param $n i32) (result i32)
          (array.get_u $bytes (array.new $bytes (local.get $v) (i32.const 16))
                              (call $churn_ret (local.get $n))))
        ;; The inner node is an operand of the outer struct.new while the
        ;; churn runs, then the outer allocation may collect again.
        (func (export "nested_operand") (param $v i32) (param $n i32) (result i32)
          (struct.get $node $v
            (ref.as_non_null (struct.get $node $next
              (struct.new $node
                (struct.new $node (ref.null $node) (local.get $v))
                (call $churn_ret (local.get $n)))))))
        "#,
        Some(2 << 20),
    );
    for round in 0..3 {
        let v = 1000 + round;
        assert_eq!(
            call_i32(&mut store, &i, "operand", &[v.into(), 6000.into()]).unwrap(),
            v
        );
        assert_eq!(
            call_i32(
                &mut store,
                &i,
                "array_operand",
                &[(v & 0x7f).into(), 6000.into()]
            )
            .unwrap(),
            v & 0x7f
        );
        assert_eq!(
            call_i32(&mut store, &i, "nested_operand", &[v.into(), 6000.into()]).unwrap(),
            v
        );
    }
    assert_collected(&store, 6);
}

/// Objects held only in the locals of callers several frames up, with
/// garbage made at every depth.
#[test]
fn objects_in_caller_frames_survive() {
    let engine = interpreter();
    let (mut store, i) = instance(
        &engine,
        r#"
        (func $deep (export "deep") (param $d i32) (param $n i32) (result i32)
          (local $mine (ref null $node)) (local $arr (ref null $bytes))
          (local.set $mine (struct.new $node (ref.null $node) (local.get $d)))
          (local.set $arr (array.new $bytes (local.get $d) (i32.const 8)))
          (call $churn (local.get $n))
          (if (result i32) (i32.eqz (local.get $d))
            (then (i32.const 0))
            (else (call $deep (i32.sub (local.get $d) (i32.const 1)) (local.get $n))))
          ;; Both our objects must still be ours.
          (i32.add (struct.get $node $v (local.get $mine)))
          (i32.add (i32.mul (i32.const 1000)
                   (i32.sub (array.get_u $bytes (local.get $arr) (i32.const 7))
                            (i32.and (local.get $d) (i32.const 0xff))))))
        "#,
        Some(1 << 20),
    );
    let d = 40;
    let got = call_i32(&mut store, &i, "deep", &[d.into(), 1000.into()]).unwrap();
    assert_eq!(got, d * (d + 1) / 2);
    assert_collected(&store, 10);
}

/// A struct carried by an exception: caught, held on the operand stack
/// while the handler allocates, rethrown, caught as an `exnref`, held
/// while more is allocated (and the host collects), thrown again and read.
#[test]
fn exception_payload_in_flight_survives() {
    let engine = interpreter();
    let (mut store, i) = instance(
        &engine,
        r#"
        (tag $e (param (ref $node)))
        (func $thrower (param $v i32) (param $n i32)
          (local $x (ref null $node))
          (local.set $x (struct.new $node (ref.null $node) (local.get $v)))
          (call $churn (local.get $n))
          (throw $e (ref.as_non_null (local.get $x))))
        (func $mid (param $v i32) (param $n i32)
          (block $h (result (ref $node))
            (try_table (catch $e $h) (call $thrower (local.get $v) (local.get $n)))
            (unreachable))
          ;; The payload is only an operand here.
          (call $churn (local.get $n))
          (throw $e))
        (func (export "exn") (param $v i32) (param $n i32) (result i32)
          (local $x exnref)
          (local.set $x
            (block $h (result exnref)
              (try_table (catch_all_ref $h) (call $mid (local.get $v) (local.get $n)))
              (unreachable)))
          (call $churn (local.get $n))
          (block $h2 (result (ref $node))
            (try_table (catch $e $h2) (throw_ref (local.get $x)))
            (unreachable))
          (struct.get $node $v))
        "#,
        Some(1 << 20),
    );
    for v in [5, 6, 7] {
        assert_eq!(
            call_i32(&mut store, &i, "exn", &[v.into(), 3000.into()]).unwrap(),
            v
        );
    }
    assert_collected(&store, 6);
}

/// An exception whose payload is a struct crosses a host function (as an
/// error) while the host runs garbage and collections, and is caught by
/// the outer wasm, which reads it.
#[test]
fn exception_payload_through_the_host_survives() {
    let engine = interpreter();
    let module = Module::new(
        &engine,
        module_src(
            r#"
        (import "host" "bounce" (func $bounce (param i32)))
        (tag $e (export "e") (param (ref $node)))
        (func (export "thrower") (param $v i32)
          (throw $e (struct.new $node (ref.null $node) (local.get $v))))
        (func (export "outer") (param $v i32) (result i32)
          (block $h (result (ref $node))
            (try_table (catch $e $h) (call $bounce (local.get $v)))
            (unreachable))
          (struct.get $node $v))
        "#,
        ),
    )
    .unwrap();
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "host",
            "bounce",
            |mut caller: Caller<'_, ()>, v: i32| -> Result<(), Error> {
                let thrower = caller.get_export("thrower").unwrap().into_func().unwrap();
                let churn = caller.get_export("churn").unwrap().into_func().unwrap();
                let err = thrower
                    .call(&mut caller, &[Val::I32(v)], &mut [])
                    .unwrap_err();
                assert!(err.as_exception().is_some(), "{err}");
                churn.call(&mut caller, &[Val::I32(4000)], &mut []).unwrap();
                caller.as_context_mut().gc();
                churn.call(&mut caller, &[Val::I32(4000)], &mut []).unwrap();
                Err(err)
            },
        )
        .unwrap();
    let mut store = store_with_limit(&engine, (), Some(1 << 20));
    let i = linker.instantiate(&mut store, &module).unwrap();
    assert_eq!(
        call_i32(&mut store, &i, "outer", &[Val::I32(31)]).unwrap(),
        31
    );
    assert_collected(&store, 3);
}

/// Objects made by constant expressions: a passive element segment read by
/// `array.new_elem` / `array.init_elem` after many collections, an
/// `anyref` table filled by an active segment, globals made by
/// `struct.new` and `array.new_fixed` (one referring to another).
#[test]
fn objects_of_constant_expressions_survive() {
    let engine = interpreter();
    let (mut store, i) = instance(
        &engine,
        r#"
        (type $nodes (array (mut (ref null $node))))
        (type $ints (array i32))
        (global $g1 (ref $node) (struct.new $node (ref.null $node) (i32.const 71)))
        (global $g2 (ref $node) (struct.new $node (global.get $g1) (i32.const 72)))
        (global $g3 (mut (ref null $ints)) (array.new_fixed $ints 3 (i32.const 1) (i32.const 2) (i32.const 3)))
        (table $t 4 anyref)
        (elem (table $t) (i32.const 1) anyref
          (item (struct.new $node (ref.null $node) (i32.const 81)))
          (item (array.new_fixed $ints 2 (i32.const 82) (i32.const 83))))
        (elem $seg (ref null $node)
          (item (struct.new $node (ref.null $node) (i32.const 91)))
          (item (struct.new $node (struct.new $node (ref.null $node) (i32.const 93)) (i32.const 92)))
          (item (ref.null $node)))
        (func (export "globals") (result i32)
          (i32.add (i32.mul (struct.get $node $v (global.get $g2)) (i32.const 100))
                   (struct.get $node $v (ref.as_non_null (struct.get $node $next (global.get $g2)))))
          (i32.add (i32.mul (array.get $ints (global.get $g3) (i32.const 2)) (i32.const 10000))))
        (func (export "table") (result i32)
          (i32.add
            (struct.get $node $v (ref.cast (ref $node) (table.get $t (i32.const 1))))
            (i32.mul (array.get $ints (ref.cast (ref $ints) (table.get $t (i32.const 2))) (i32.const 1))
                     (i32.const 100))))
        (func (export "segment") (result i32)
          (local $a (ref null $nodes))
          (local.set $a (array.new_elem $nodes $seg (i32.const 0) (i32.const 3)))
          (if (i32.eqz (ref.is_null (array.get $nodes (local.get $a) (i32.const 2))))
            (then (unreachable)))
          (i32.add (struct.get $node $v (ref.as_non_null (array.get $nodes (local.get $a) (i32.const 0))))
            (i32.mul (i32.const 100)
              (struct.get $node $v (ref.as_non_null (array.get $nodes (local.get $a) (i32.const 1))))))
          (i32.add (i32.mul (i32.const 10000)
            (struct.get $node $v (ref.as_non_null (struct.get $node $next
              (ref.as_non_null (array.get $nodes (local.get $a) (i32.const 1)))))))))
        (func (export "init_segment") (result i32)
          (local $a (ref null $nodes))
          (local.set $a (array.new_default $nodes (i32.const 4)))
          (array.init_elem $nodes $seg (local.get $a) (i32.const 1) (i32.const 0) (i32.const 2))
          (struct.get $node $v (ref.as_non_null (array.get $nodes (local.get $a) (i32.const 2)))))
        "#,
        Some(1 << 20),
    );
    for _ in 0..3 {
        call(&mut store, &i, "churn", &[Val::I32(5000)]).unwrap();
        store.gc();
        assert_eq!(
            call_i32(&mut store, &i, "globals", &[]).unwrap(),
            30000 + 7271
        );
        assert_eq!(call_i32(&mut store, &i, "table", &[]).unwrap(), 8381);
        assert_eq!(call_i32(&mut store, &i, "segment", &[]).unwrap(), 939291);
        assert_eq!(call_i32(&mut store, &i, "init_segment", &[]).unwrap(), 92);
    }
    assert_collected(&store, 6);
}

/// A start function that allocates heavily while the module's globals and
/// segments (made before it runs) must stay.
#[test]
fn start_function_collections_keep_constant_objects() {
    let engine = interpreter();
    let module = Module::new(
        &engine,
        module_src(
            r#"
        (type $nodes (array (mut (ref null $node))))
        (global $g (ref $node) (struct.new $node (ref.null $node) (i32.const 55)))
        (elem $seg (ref null $node) (item (struct.new $node (ref.null $node) (i32.const 66))))
        (global $seen (mut i32) (i32.const 0))
        (func $start
          (call $churn (i32.const 6000))
          (global.set $seen (struct.get $node $v
            (ref.as_non_null (array.get $nodes
              (array.new_elem $nodes $seg (i32.const 0) (i32.const 1)) (i32.const 0))))))
        (start $start)
        (func (export "check") (result i32)
          (i32.add (i32.mul (global.get $seen) (i32.const 100)) (struct.get $node $v (global.get $g))))
        "#,
        ),
    )
    .unwrap();
    let mut store = store_with_limit(&engine, (), Some(1 << 20));
    let i = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    assert_collected(&store, 2);
    assert_eq!(call_i32(&mut store, &i, "check", &[]).unwrap(), 6655);
}

/// A struct passed to a host function (only in the argument slot and the
/// host's `Val`) while the host calls back into wasm that allocates and
/// collects; the host passes it back afterwards.
#[test]
fn host_argument_survives_reentrant_allocation() {
    let engine = interpreter();
    let module = Module::new(
        &engine,
        module_src(
            r#"
        (import "host" "hold" (func $hold (param anyref externref) (result i32)))
        (func (export "run") (param $v i32) (result i32)
          (call $hold (struct.new $node (ref.null $node) (local.get $v))
                      (extern.convert_any (struct.new $node (ref.null $node)
                                               (i32.add (local.get $v) (i32.const 1))))))
        "#,
        ),
    )
    .unwrap();
    let mut linker = Linker::new(&engine);
    linker
        .func_new(
            "host",
            "hold",
            FuncType::new([ValType::ANYREF, ValType::EXTERNREF], [ValType::I32]),
            |mut caller, args, results| {
                let churn = caller.get_export("churn").unwrap().into_func().unwrap();
                let value = caller.get_export("value").unwrap().into_func().unwrap();
                let ext_value = caller.get_export("ext_value").unwrap().into_func().unwrap();
                for _ in 0..3 {
                    churn.call(&mut caller, &[Val::I32(3000)], &mut []).unwrap();
                    caller.as_context_mut().gc();
                }
                let mut out = [Val::I32(0)];
                value.call(&mut caller, &args[..1], &mut out)?;
                let a = out[0].unwrap_i32();
                ext_value.call(&mut caller, &args[1..], &mut out)?;
                let b = out[0].unwrap_i32();
                results[0] = Val::I32(a * 1000 + b);
                Ok(())
            },
        )
        .unwrap();
    let mut store = store_with_limit(&engine, (), Some(1 << 20));
    let i = linker.instantiate(&mut store, &module).unwrap();
    assert_eq!(
        call_i32(&mut store, &i, "run", &[Val::I32(12)]).unwrap(),
        12013
    );
    assert_collected(&store, 6);
}

/// `externref`s of structs kept by the host in its own `Vec` (and in the
/// store's data) across many collections, then passed back.
#[test]
fn externrefs_kept_by_the_host_survive() {
    let engine = interpreter();
    let (mut store, i) = instance(&engine, "", Some(1 << 20));
    let mut kept = Vec::new();
    for k in 0..200 {
        let out = call(&mut store, &i, "ext_node", &[Val::I32(k)]).unwrap();
        let Val::ExternRef(Some(e)) = out[0] else {
            panic!("{:?}", out[0])
        };
        assert!(e.data(&store).is_err());
        kept.push(e);
        if k % 20 == 0 {
            call(&mut store, &i, "churn", &[Val::I32(2000)]).unwrap();
        }
    }
    store.gc();
    assert_collected(&store, 5);
    for (k, e) in kept.iter().enumerate() {
        let v = call_i32(&mut store, &i, "ext_value", &[Val::ExternRef(Some(*e))]).unwrap();
        assert_eq!(v, k as i32);
        // And through the host's own conversion.
        let any = AnyRef::convert_extern(&store, *e).unwrap();
        assert!(any.is_struct(&store).unwrap());
        let v = call_i32(&mut store, &i, "value", &[Val::AnyRef(Some(any))]).unwrap();
        assert_eq!(v, k as i32);
    }
}

/// host -> wasm -> host -> wasm ... five activations deep, each wasm
/// frame holding its own struct in a local, the innermost allocating and
/// the host collecting at every level on the way back.
#[test]
fn nested_reentrancy_keeps_every_activation_s_objects() {
    let engine = interpreter();
    let module = Module::new(
        &engine,
        module_src(
            r#"
        (import "host" "down" (func $down (param i32) (result i32)))
        (func (export "level") (param $d i32) (result i32)
          (local $mine (ref null $node)) (local $r i32)
          (local.set $mine (struct.new $node (ref.null $node) (i32.mul (local.get $d) (i32.const 7))))
          (call $churn (i32.const 1500))
          (local.set $r
            (if (result i32) (i32.eqz (local.get $d))
              (then (call $churn (i32.const 4000)) (i32.const 0))
              (else (call $down (i32.sub (local.get $d) (i32.const 1))))))
          (call $churn (i32.const 1500))
          (i32.add (local.get $r) (struct.get $node $v (local.get $mine))))
        "#,
        ),
    )
    .unwrap();
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "host",
            "down",
            |mut caller: Caller<'_, ()>, d: i32| -> Result<i32, Error> {
                let level = caller.get_export("level").unwrap().into_func().unwrap();
                let mut out = [Val::I32(0)];
                level.call(&mut caller, &[Val::I32(d)], &mut out)?;
                caller.as_context_mut().gc();
                Ok(out[0].unwrap_i32())
            },
        )
        .unwrap();
    let mut store = store_with_limit(&engine, (), Some(1 << 20));
    let i = linker.instantiate(&mut store, &module).unwrap();
    let d = 5;
    assert_eq!(
        call_i32(&mut store, &i, "level", &[Val::I32(d)]).unwrap(),
        7 * d * (d + 1) / 2
    );
    assert_collected(&store, 10);
}

// ---------------------------------------------------------------------
// Type confusion.
// ---------------------------------------------------------------------

/// Two modules whose rec groups differ only in a field deep inside: `$a`
/// holds a `$b`, whose field is an `i64` in one and an `anyref` in the
/// other. Were the two `$a`s (or `$b`s) taken as the same type, the second
/// module would read a forged reference. A struct of the first, handed to
/// the second by the host or cast by the second, is refused.
#[test]
fn rec_groups_that_differ_deep_inside_are_different_types() {
    let engine = interpreter();
    let forge = Module::new(
        &engine,
        r#"(module
          (rec (type $a (struct (field (ref null $b)))) (type $b (struct (field i64))))
          (func (export "make") (param i64) (result anyref)
            (struct.new $a (struct.new $b (local.get 0)))))"#,
    )
    .unwrap();
    let victim = Module::new(
        &engine,
        r#"(module
          (rec (type $a (struct (field (ref null $b)))) (type $b (struct (field anyref))))
          (func (export "typed") (param (ref $a)) (result i32)
            (ref.is_null (struct.get $b 0 (ref.as_non_null (struct.get $a 0 (local.get 0))))))
          (func (export "cast") (param anyref) (result i32)
            (ref.is_null (struct.get $b 0 (ref.as_non_null
              (struct.get $a 0 (ref.cast (ref $a) (local.get 0)))))))
          (func (export "test") (param anyref) (result i32)
            (ref.test (ref $a) (local.get 0))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let f = Linker::new(&engine)
        .instantiate(&mut store, &forge)
        .unwrap();
    let v = Linker::new(&engine)
        .instantiate(&mut store, &victim)
        .unwrap();
    // An i64 that would name object 1 if read as a reference.
    let obj = call(&mut store, &f, "make", &[Val::I64(6)]).unwrap()[0];
    let err = call(&mut store, &v, "typed", &[obj]).unwrap_err();
    assert!(err.to_string().contains("wrong argument types"), "{err}");
    assert_trap(call(&mut store, &v, "cast", &[obj]), TrapCode::CastFailure);
    assert_eq!(call_i32(&mut store, &v, "test", &[obj]).unwrap(), 0);
}

/// The same struct shape in a rec group of one (`$a`) and in a rec group
/// of two: different types, though the layouts agree. The same rec group
/// in two modules: the same type (canonical), so it passes.
#[test]
fn structurally_equal_types_in_different_rec_groups() {
    let engine = interpreter();
    let grouped = Module::new(
        &engine,
        r#"(module
          (rec (type $a (struct (field i32))) (type $pad (struct (field f32))))
          (func (export "make") (param i32) (result anyref) (struct.new $a (local.get 0))))"#,
    )
    .unwrap();
    let single = Module::new(
        &engine,
        r#"(module
          (type $a (struct (field i32)))
          (func (export "make") (param i32) (result anyref) (struct.new $a (local.get 0)))
          (func (export "typed") (param (ref $a)) (result i32) (struct.get $a 0 (local.get 0)))
          (func (export "cast") (param anyref) (result i32)
            (struct.get $a 0 (ref.cast (ref $a) (local.get 0)))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let g = Linker::new(&engine)
        .instantiate(&mut store, &grouped)
        .unwrap();
    let s1 = Linker::new(&engine)
        .instantiate(&mut store, &single)
        .unwrap();
    let s2 = Linker::new(&engine)
        .instantiate(&mut store, &single)
        .unwrap();
    let foreign = call(&mut store, &g, "make", &[Val::I32(3)]).unwrap()[0];
    let err = call(&mut store, &s1, "typed", &[foreign]).unwrap_err();
    assert!(err.to_string().contains("wrong argument types"), "{err}");
    assert_trap(
        call(&mut store, &s1, "cast", &[foreign]),
        TrapCode::CastFailure,
    );
    // The same module twice: one type.
    let same = call(&mut store, &s2, "make", &[Val::I32(4)]).unwrap()[0];
    assert_eq!(call_i32(&mut store, &s1, "typed", &[same]).unwrap(), 4);
    assert_eq!(call_i32(&mut store, &s1, "cast", &[same]).unwrap(), 4);
}

/// Sibling subtypes of one supertype, one with an `i64` field and one with
/// an `anyref` field at the same offset: casts between them fail (in wasm,
/// through `br_on_cast` / `br_on_cast_fail`, and in another module that
/// declares the same supertype but its own subtype), and the host cannot
/// pass one for the other, nor through globals and tables.
#[test]
fn sibling_subtypes_are_not_confused() {
    let engine = interpreter();
    let src = r#"(module
          (type $base (sub (struct (field i32))))
          (type $left (sub final $base (struct (field i32) (field i64))))
          (type $right (sub final $base (struct (field i32) (field anyref))))
          (global $gr (export "gr") (mut (ref null $right)) (ref.null $right))
          (table $tr (export "tr") 2 (ref null $right))
          (func (export "left") (param i64) (result anyref)
            (struct.new $left (i32.const 1) (local.get 0)))
          (func (export "right") (result anyref)
            (struct.new $right (i32.const 2) (ref.i31 (i32.const 9))))
          (func (export "as_right") (param anyref) (result i32)
            (ref.is_null (struct.get $right 1 (ref.cast (ref $right) (local.get 0)))))
          (func (export "typed_right") (param (ref $right)) (result i32)
            (ref.is_null (struct.get $right 1 (local.get 0))))
          (func (export "via_base") (param anyref) (result i32)
            (ref.is_null (struct.get $right 1
              (ref.cast (ref $right) (ref.cast (ref $base) (local.get 0))))))
          ;; 1: cast to $right taken; 2: not taken.
          (func (export "br_on_cast") (param anyref) (result i32)
            (drop (block $yes (result (ref $right))
              (br_on_cast $yes anyref (ref $right) (local.get 0))
              (drop) (return (i32.const 2))))
            (i32.const 1))
          (func (export "br_on_cast_fail") (param anyref) (result i32)
            (drop (block $no (result anyref)
              (br_on_cast_fail $no anyref (ref $right) (local.get 0))
              (drop) (return (i32.const 1))))
            (i32.const 2)))"#;
    let m = Module::new(&engine, src).unwrap();
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    let left = call(&mut store, &i, "left", &[Val::I64(6)]).unwrap()[0];
    let right = call(&mut store, &i, "right", &[]).unwrap()[0];
    assert_trap(
        call(&mut store, &i, "as_right", &[left]),
        TrapCode::CastFailure,
    );
    assert_trap(
        call(&mut store, &i, "via_base", &[left]),
        TrapCode::CastFailure,
    );
    assert_eq!(call_i32(&mut store, &i, "as_right", &[right]).unwrap(), 0);
    assert_eq!(call_i32(&mut store, &i, "br_on_cast", &[left]).unwrap(), 2);
    assert_eq!(call_i32(&mut store, &i, "br_on_cast", &[right]).unwrap(), 1);
    assert_eq!(
        call_i32(&mut store, &i, "br_on_cast_fail", &[left]).unwrap(),
        2
    );
    assert_eq!(
        call_i32(&mut store, &i, "br_on_cast_fail", &[right]).unwrap(),
        1
    );
    let err = call(&mut store, &i, "typed_right", &[left]).unwrap_err();
    assert!(err.to_string().contains("wrong argument types"), "{err}");
    // Globals and tables of the concrete type refuse the sibling.
    let g = i.get_global(&store, "gr").unwrap();
    assert!(g.set(&mut store, left).is_err());
    g.set(&mut store, right).unwrap();
    let t = i.get_table(&store, "tr").unwrap();
    assert!(t.set(&mut store, 0, left).is_err());
    assert!(t.fill(&mut store, 0, left, 2).is_err());
    assert!(t.grow(&mut store, 1, left).is_err());
    t.set(&mut store, 0, right).unwrap();
    // A global or table made by the host with the module's concrete type.
    let gty = g.ty(&store).unwrap();
    assert!(Global::new(&mut store, gty, left).is_err());
    let tty = t.ty(&store).unwrap();
    assert!(Table::new(&mut store, tty, left).is_err());
    // Another module: the same $base (canonical), a subtype with an anyref
    // field, cast from the first module's $left.
    let other = Module::new(
        &engine,
        r#"(module
          (type $base (sub (struct (field i32))))
          (type $mine (sub final $base (struct (field i32) (field anyref))))
          (func (export "as_mine") (param anyref) (result i32)
            (ref.is_null (struct.get $mine 1 (ref.cast (ref $mine) (local.get 0)))))
          (func (export "base_field") (param anyref) (result i32)
            (struct.get $base 0 (ref.cast (ref $base) (local.get 0)))))"#,
    )
    .unwrap();
    let o = Linker::new(&engine)
        .instantiate(&mut store, &other)
        .unwrap();
    assert_trap(
        call(&mut store, &o, "as_mine", &[left]),
        TrapCode::CastFailure,
    );
    // $mine and $right are the same type: each is a rec group of one with
    // the same (canonical) supertype and fields.
    assert_eq!(call_i32(&mut store, &o, "as_mine", &[right]).unwrap(), 0);
    assert_eq!(call_i32(&mut store, &o, "base_field", &[left]).unwrap(), 1);
}

/// A host function of a wasm function's concrete type (its `FuncType`
/// taken from the wasm function) returning a struct of another type, an
/// i31 or null for `(ref $node)`: each is an error, never a value of the
/// wrong type in wasm.
#[test]
fn host_results_of_the_wrong_concrete_type_are_refused() {
    let engine = interpreter();
    let m = Module::new(
        &engine,
        module_src(
            r#"
        (type $other (struct (field i64) (field i64)))
        (func (export "proto") (result (ref $node)) (struct.new $node (ref.null $node) (i32.const 1)))
        (func (export "other") (result anyref) (struct.new $other (i64.const 7) (i64.const 8)))
        "#,
        ),
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    let proto = i.get_func(&store, "proto").unwrap().ty(&store).unwrap();
    let other = call(&mut store, &i, "other", &[]).unwrap()[0];
    let importer = Module::new(
        &engine,
        module_src(
            r#"
        (import "h" "f" (func $f (result (ref $node))))
        (func (export "run") (result i32) (struct.get $node $v (call $f)))
        "#,
        ),
    )
    .unwrap();
    for bad in [
        other,
        Val::AnyRef(Some(AnyRef::from_i31(&store, 5))),
        Val::AnyRef(None),
    ] {
        let mut linker = Linker::new(&engine);
        linker
            .func_new("h", "f", proto.clone(), move |_, _, r| {
                r[0] = bad;
                Ok(())
            })
            .unwrap();
        let j = linker.instantiate(&mut store, &importer).unwrap();
        let err = call(&mut store, &j, "run", &[]).unwrap_err();
        assert!(err.trap_code().is_none() && !err.is_bug(), "{err}");
        assert!(err.to_string().contains("wrong type"), "{err}");
    }
}

/// References of another store: refused by calls, globals, tables, the
/// conversions and the queries, in both directions.
#[test]
fn references_of_another_store_are_refused() {
    let engine = interpreter();
    let body = r#"
        (global (export "g") (mut anyref) (ref.null any))
        (global (export "ge") (mut externref) (ref.null extern))
        (table (export "t") 2 anyref)
    "#;
    let (mut a, ia) = instance(&engine, body, None);
    let (mut b, ib) = instance(&engine, body, None);
    let any_b = call(&mut b, &ib, "node", &[Val::I32(1)]).unwrap()[0];
    let ext_b = call(&mut b, &ib, "ext_node", &[Val::I32(2)]).unwrap()[0];
    let (Val::AnyRef(Some(raw_any_b)), Val::ExternRef(Some(raw_ext_b))) = (any_b, ext_b) else {
        unreachable!()
    };
    assert!(call(&mut a, &ia, "value", &[any_b]).is_err());
    assert!(call(&mut a, &ia, "ext_value", &[ext_b]).is_err());
    let g = ia.get_global(&a, "g").unwrap();
    assert!(g.set(&mut a, any_b).is_err());
    let ge = ia.get_global(&a, "ge").unwrap();
    assert!(ge.set(&mut a, ext_b).is_err());
    let t = ia.get_table(&a, "t").unwrap();
    assert!(t.set(&mut a, 0, any_b).is_err());
    assert!(t.grow(&mut a, 1, any_b).is_err());
    assert!(ExternRef::convert_any(&a, raw_any_b).is_err());
    assert!(AnyRef::convert_extern(&a, raw_ext_b).is_err());
    assert!(raw_any_b.is_struct(&a).is_err());
    assert!(raw_any_b.is_array(&a).is_err());
    assert!(raw_any_b.is_eq(&a).is_err());
    assert!(raw_ext_b.data(&a).is_err());
    let ty = g.ty(&a).unwrap();
    assert!(Global::new(&mut a, ty, any_b).is_err());
    // Typed calls too.
    let value = ia
        .get_typed_func::<Option<AnyRef>, i32>(&mut a, "value")
        .unwrap();
    assert!(value.call(&mut a, Some(raw_any_b)).is_err());
    let ext_value = ia
        .get_typed_func::<Option<ExternRef>, i32>(&mut a, "ext_value")
        .unwrap();
    assert!(ext_value.call(&mut a, Some(raw_ext_b)).is_err());
    // Store b is unharmed.
    assert_eq!(call_i32(&mut b, &ib, "value", &[any_b]).unwrap(), 1);
    assert_eq!(call_i32(&mut b, &ib, "ext_value", &[ext_b]).unwrap(), 2);
}

/// A host value brought in by `any.convert_extern` is no struct, array or
/// eq value: casts fail, it converts back to the same host value; and a
/// struct or i31 converted to an `externref` is no host data.
#[test]
fn extern_any_round_trips_do_not_confuse() {
    let engine = interpreter();
    let (mut store, i) = instance(
        &engine,
        r#"
        (func (export "to_any") (param externref) (result anyref) (any.convert_extern (local.get 0)))
        (func (export "to_ext") (param anyref) (result externref) (extern.convert_any (local.get 0)))
        (func (export "tests") (param externref) (result i32)
          (local $a anyref)
          (local.set $a (any.convert_extern (local.get 0)))
          (i32.or (i32.or (ref.test (ref eq) (local.get $a)) (ref.test (ref struct) (local.get $a)))
                  (i32.or (ref.test (ref i31) (local.get $a)) (ref.test (ref $node) (local.get $a))))
          (i32.add (i32.mul (ref.test (ref any) (local.get $a)) (i32.const 10))))
        (func (export "cast_node") (param externref) (result i32)
          (struct.get $node $v (ref.cast (ref $node) (any.convert_extern (local.get 0)))))
        (func (export "cast_i31") (param externref) (result i32)
          (i31.get_s (ref.cast (ref i31) (any.convert_extern (local.get 0)))))
        "#,
        None,
    );
    let host = ExternRef::new(&mut store, String::from("host data"));
    let h = Val::ExternRef(Some(host));
    assert_eq!(call_i32(&mut store, &i, "tests", &[h]).unwrap(), 10);
    assert_trap(
        call(&mut store, &i, "cast_node", &[h]),
        TrapCode::CastFailure,
    );
    assert_trap(
        call(&mut store, &i, "cast_i31", &[h]),
        TrapCode::CastFailure,
    );
    let any = call(&mut store, &i, "to_any", &[h]).unwrap()[0];
    let Val::AnyRef(Some(a)) = any else {
        panic!("{any:?}")
    };
    assert!(!a.is_struct(&store).unwrap() && !a.is_array(&store).unwrap());
    assert!(!a.is_eq(&store).unwrap() && !a.is_i31());
    let back = call(&mut store, &i, "to_ext", &[any]).unwrap()[0];
    let Val::ExternRef(Some(e)) = back else {
        panic!("{back:?}")
    };
    assert_eq!(e, host);
    assert_eq!(
        e.data(&store).unwrap().downcast_ref::<String>().unwrap(),
        "host data"
    );
    // i31 and struct inside an externref: not host data; i31 round-trips.
    let i31 = Val::AnyRef(Some(AnyRef::from_i31(&store, -3)));
    let e = call(&mut store, &i, "to_ext", &[i31]).unwrap()[0];
    let Val::ExternRef(Some(ei31)) = e else {
        panic!("{e:?}")
    };
    assert!(ei31.data(&store).is_err());
    assert_eq!(call_i32(&mut store, &i, "cast_i31", &[e]).unwrap(), -3);
    assert_trap(
        call(&mut store, &i, "cast_node", &[e]),
        TrapCode::CastFailure,
    );
    let e = ExternRef::convert_any(&store, AnyRef::from_i31(&store, 0x3fff_ffff)).unwrap();
    assert!(e.data(&store).is_err());
    let back = AnyRef::convert_extern(&store, e).unwrap();
    assert_eq!(back.i31_s(), Some(0x3fff_ffff));
    // Many host externrefs: every one converts to anyref and back intact,
    // none is taken for (or pins) a GC object.
    let (mut s2, i2) = instance(&engine, "", Some(1 << 20));
    let hosts: Vec<ExternRef> = (0..64).map(|k| ExternRef::new(&mut s2, k as u32)).collect();
    let nodes: Vec<Val> = (0..64)
        .map(|k| call(&mut s2, &i2, "node", &[Val::I32(k)]).unwrap()[0])
        .collect();
    for h in &hosts {
        let a = AnyRef::convert_extern(&s2, *h).unwrap();
        assert!(
            !a.is_struct(&s2).unwrap(),
            "a host externref taken for a struct"
        );
        assert!(
            call(&mut s2, &i2, "value", &[Val::AnyRef(Some(a))])
                .unwrap_err()
                .trap_code()
                == Some(TrapCode::CastFailure)
        );
    }
    drop(nodes);
}

// ---------------------------------------------------------------------
// Arrays: bounds, overflow, trap order.
// ---------------------------------------------------------------------

const ARRAYS: &str = r#"
  (type $i8 (array (mut i8)))
  (type $i16 (array (mut i16)))
  (type $v (array (mut v128)))
  (type $i64s (array (mut i64)))
  (type $refs (array (mut anyref)))
  (type $s (struct (field (mut i8)) (field (mut i16)) (field (mut v128)) (field (mut i64))))
  (data $d "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\11\12\13\14\15\16\17\18\19\1a\1b\1c\1d\1e\1f\20")
  (elem $e anyref (item (ref.i31 (i32.const 1))) (item (ref.i31 (i32.const 2))) (item (ref.i31 (i32.const 3))))
  (func (export "i8_get_s") (param $len i32) (param $i i32) (result i32)
    (array.get_s $i8 (array.new $i8 (i32.const 0x1ff) (local.get $len)) (local.get $i)))
  (func (export "i8_set_get_u") (param $len i32) (param $i i32) (param $x i32) (result i32)
    (local $a (ref null $i8))
    (local.set $a (array.new_default $i8 (local.get $len)))
    (array.set $i8 (local.get $a) (local.get $i) (local.get $x))
    (array.get_u $i8 (local.get $a) (local.get $i)))
  (func (export "i16_get") (param $len i32) (param $i i32) (result i32 i32)
    (local $a (ref null $i16))
    (local.set $a (array.new $i16 (i32.const 0x18001) (local.get $len)))
    (array.get_s $i16 (local.get $a) (local.get $i))
    (array.get_u $i16 (local.get $a) (local.get $i)))
  (func (export "v_get") (param $len i32) (param $i i32) (result i32)
    (i32x4.extract_lane 3 (array.get $v
      (array.new $v (v128.const i32x4 1 2 3 4) (local.get $len)) (local.get $i))))
  (func (export "v_set_get") (param $len i32) (param $i i32) (result i64)
    (local $a (ref null $v))
    (local.set $a (array.new_default $v (local.get $len)))
    (array.set $v (local.get $a) (local.get $i) (v128.const i64x2 0x1111 0x2222))
    (i64x2.extract_lane 1 (array.get $v (local.get $a) (local.get $i))))
  (func (export "new_default") (param $len i32) (result i32)
    (array.len (array.new_default $v (local.get $len))))
  (func (export "new_i8") (param $len i32) (result i32)
    (array.len (array.new $i8 (i32.const 1) (local.get $len))))
  (func (export "new_data_i8") (param $s i32) (param $n i32) (result i32)
    (array.len (array.new_data $i8 $d (local.get $s) (local.get $n))))
  (func (export "new_data_i16") (param $s i32) (param $n i32) (result i32)
    (local $a (ref null $i16))
    (local.set $a (array.new_data $i16 $d (local.get $s) (local.get $n)))
    (if (result i32) (i32.eqz (array.len (local.get $a)))
      (then (i32.const -1))
      (else (array.get_u $i16 (local.get $a) (i32.sub (array.len (local.get $a)) (i32.const 1))))))
  (func (export "new_data_v") (param $s i32) (param $n i32) (result i32)
    (local $a (ref null $v))
    (local.set $a (array.new_data $v $d (local.get $s) (local.get $n)))
    (if (result i32) (i32.eqz (array.len (local.get $a)))
      (then (i32.const -1))
      (else (i32x4.extract_lane 0 (array.get $v (local.get $a) (i32.const 0))))))
  (func (export "new_elem") (param $s i32) (param $n i32) (result i32)
    (array.len (array.new_elem $refs $e (local.get $s) (local.get $n))))
  (func (export "init_data_v") (param $len i32) (param $d i32) (param $s i32) (param $n i32)
    (array.init_data $v $d (array.new_default $v (local.get $len)) (local.get $d) (local.get $s) (local.get $n)))
  (func (export "init_data_i16") (param $len i32) (param $d i32) (param $s i32) (param $n i32)
    (array.init_data $i16 $d (array.new_default $i16 (local.get $len)) (local.get $d) (local.get $s) (local.get $n)))
  (func (export "init_elem") (param $len i32) (param $d i32) (param $s i32) (param $n i32)
    (array.init_elem $refs $e (array.new_default $refs (local.get $len)) (local.get $d) (local.get $s) (local.get $n)))
  (func (export "fill_i16") (param $len i32) (param $d i32) (param $n i32)
    (array.fill $i16 (array.new_default $i16 (local.get $len)) (local.get $d) (i32.const 7) (local.get $n)))
  (func (export "fill_v") (param $len i32) (param $d i32) (param $n i32)
    (array.fill $v (array.new_default $v (local.get $len)) (local.get $d) (v128.const i64x2 -1 -1) (local.get $n)))
  (func (export "copy") (param $dl i32) (param $d i32) (param $sl i32) (param $s i32) (param $n i32)
    (array.copy $i64s $i64s (array.new_default $i64s (local.get $dl)) (local.get $d)
                            (array.new_default $i64s (local.get $sl)) (local.get $s) (local.get $n)))
  ;; An 8-element array [0..8), copy within it, read back as decimal digits.
  (func (export "copy_within") (param $d i32) (param $s i32) (param $n i32) (result i64)
    (local $a (ref null $i64s)) (local $k i32) (local $r i64)
    (local.set $a (array.new_fixed $i64s 8 (i64.const 0) (i64.const 1) (i64.const 2) (i64.const 3)
                                           (i64.const 4) (i64.const 5) (i64.const 6) (i64.const 7)))
    (array.copy $i64s $i64s (local.get $a) (local.get $d) (local.get $a) (local.get $s) (local.get $n))
    (loop $l
      (local.set $r (i64.add (i64.mul (local.get $r) (i64.const 10))
                             (array.get $i64s (local.get $a) (local.get $k))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $k) (i32.const 8))))
    (local.get $r))
  ;; Copy within an i8 array of 64 bytes [0..64): the sum of the bytes.
  (func (export "copy_within_i8") (param $d i32) (param $s i32) (param $n i32) (result i32)
    (local $a (ref null $i8)) (local $k i32) (local $r i32)
    (local.set $a (array.new_default $i8 (i32.const 64)))
    (loop $l
      (array.set $i8 (local.get $a) (local.get $k) (local.get $k))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $k) (i32.const 64))))
    (array.copy $i8 $i8 (local.get $a) (local.get $d) (local.get $a) (local.get $s) (local.get $n))
    (local.set $k (i32.const 0))
    (loop $l
      (local.set $r (i32.add (i32.mul (local.get $r) (i32.const 31))
                             (array.get_u $i8 (local.get $a) (local.get $k))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $k) (i32.const 64))))
    (local.get $r))
  ;; Null before bounds, whatever the indices.
  (func (export "null_get") (param $i i32) (result i32) (array.get_u $i8 (ref.null $i8) (local.get $i)))
  (func (export "null_set") (param $i i32) (array.set $v (ref.null $v) (local.get $i) (v128.const i64x2 0 0)))
  (func (export "null_len") (result i32) (array.len (ref.null array)))
  (func (export "null_fill") (param $d i32) (param $n i32)
    (array.fill $i16 (ref.null $i16) (local.get $d) (i32.const 1) (local.get $n)))
  (func (export "null_copy_dst") (param $d i32) (param $n i32)
    (array.copy $i64s $i64s (ref.null $i64s) (local.get $d) (array.new_default $i64s (i32.const 1)) (i32.const 0) (local.get $n)))
  (func (export "null_copy_src") (param $s i32) (param $n i32)
    (array.copy $i64s $i64s (array.new_default $i64s (i32.const 1)) (i32.const 0) (ref.null $i64s) (local.get $s) (local.get $n)))
  (func (export "null_init_data") (param $d i32) (param $s i32) (param $n i32)
    (array.init_data $v $d (ref.null $v) (local.get $d) (local.get $s) (local.get $n)))
  (func (export "null_init_elem") (param $d i32) (param $s i32) (param $n i32)
    (array.init_elem $refs $e (ref.null $refs) (local.get $d) (local.get $s) (local.get $n)))
  (func (export "null_struct_get") (result i32) (struct.get_s $s 0 (ref.null $s)))
  (func (export "null_struct_set") (struct.set $s 2 (ref.null $s) (v128.const i64x2 1 1)))
  (func (export "null_i31") (result i32) (i31.get_u (ref.null i31)))
  (func (export "drop_segments") (data.drop $d) (elem.drop $e))
  ;; Packed and wide struct fields.
  (func (export "struct_fields") (param $x i32) (result i32 i32 i32 i32 i64)
    (local $s (ref null $s))
    (local.set $s (struct.new $s (local.get $x) (local.get $x) (v128.const i32x4 9 8 7 6) (i64.const -2)))
    (struct.get_s $s 0 (local.get $s))
    (struct.get_u $s 0 (local.get $s))
    (struct.get_s $s 1 (local.get $s))
    (i32x4.extract_lane 3 (struct.get $s 2 (local.get $s)))
    (struct.get $s 3 (local.get $s)))
  (func (export "i31") (param i32) (result i32 i32)
    (i31.get_s (ref.i31 (local.get 0))) (i31.get_u (ref.i31 (local.get 0))))
"#;

fn arrays(limit: Option<usize>) -> (Store<()>, Instance) {
    let engine = interpreter();
    let m = Module::new(&engine, format!("(module {ARRAYS})")).unwrap();
    let mut store = store_with_limit(&engine, (), limit);
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    (store, i)
}

fn v(args: &[i64]) -> Vec<Val> {
    args.iter().map(|&a| Val::I32(a as i32)).collect()
}

/// Element accesses of every width at the last index, one past it, and
/// indices that would wrap if scaled by the element size in 32 bits.
#[test]
fn element_accesses_at_the_bounds() {
    let (mut store, i) = arrays(Some(16 << 20));
    let oob = TrapCode::ArrayOutOfBounds;
    assert_eq!(
        call_i32(&mut store, &i, "i8_get_s", &v(&[10, 9])).unwrap(),
        -1
    );
    assert_trap(call(&mut store, &i, "i8_get_s", &v(&[10, 10])), oob);
    assert_trap(call(&mut store, &i, "i8_get_s", &v(&[10, -1])), oob);
    assert_trap(call(&mut store, &i, "i8_get_s", &v(&[0, 0])), oob);
    assert_eq!(
        call_i32(&mut store, &i, "i8_set_get_u", &v(&[3, 2, 0x1234])).unwrap(),
        0x34
    );
    assert_trap(call(&mut store, &i, "i8_set_get_u", &v(&[3, 3, 1])), oob);
    let r = call(&mut store, &i, "i16_get", &v(&[5, 4])).unwrap();
    assert_eq!((r[0].unwrap_i32(), r[1].unwrap_i32()), (-32767, 0x8001));
    assert_trap(call(&mut store, &i, "i16_get", &v(&[5, 5])), oob);
    // 0x8000_0000 * 2 wraps to 0 in 32 bits.
    assert_trap(call(&mut store, &i, "i16_get", &v(&[5, 0x8000_0000])), oob);
    assert_eq!(call_i32(&mut store, &i, "v_get", &v(&[4, 3])).unwrap(), 4);
    assert_trap(call(&mut store, &i, "v_get", &v(&[4, 4])), oob);
    // 0x1000_0000 * 16 wraps to 0 in 32 bits.
    assert_trap(call(&mut store, &i, "v_get", &v(&[4, 0x1000_0000])), oob);
    assert_trap(call(&mut store, &i, "v_get", &v(&[4, 0x1000_0001])), oob);
    let r = call(&mut store, &i, "v_set_get", &v(&[2, 1])).unwrap();
    assert_eq!(r[0], Val::I64(0x2222));
    assert_trap(call(&mut store, &i, "v_set_get", &v(&[2, 2])), oob);
    assert_trap(
        call(&mut store, &i, "v_set_get", &v(&[2, 0x1000_0000])),
        oob,
    );
    // Struct fields of every width.
    let r = call(&mut store, &i, "struct_fields", &v(&[0x18081])).unwrap();
    assert_eq!(
        r,
        vec![
            Val::I32(-127),
            Val::I32(0x81),
            Val::I32(-32639),
            Val::I32(6),
            Val::I64(-2)
        ]
    );
    let r = call(&mut store, &i, "i31", &v(&[-1])).unwrap();
    assert_eq!((r[0].unwrap_i32(), r[1].unwrap_i32()), (-1, 0x7fff_ffff));
    let r = call(&mut store, &i, "i31", &v(&[0x4000_0000])).unwrap();
    assert_eq!(
        (r[0].unwrap_i32(), r[1].unwrap_i32()),
        (-0x4000_0000, 0x4000_0000)
    );
}

/// Lengths that cannot be allocated trap with `GcHeapExhausted` (within
/// the limit or not), the store stays usable; a length that fits is
/// fine.
#[test]
fn huge_array_lengths_trap_cleanly() {
    let (mut store, i) = arrays(Some(1 << 20));
    let full = TrapCode::GcHeapExhausted;
    for len in [-1i64, 0x1000_0000, 0x0fff_ffff, 0x8000_0000, 0x7fff_ffff] {
        assert_trap(call(&mut store, &i, "new_default", &v(&[len])), full);
        assert_trap(call(&mut store, &i, "new_i8", &v(&[len])), full);
    }
    assert_eq!(
        call_i32(&mut store, &i, "new_i8", &v(&[100_000])).unwrap(),
        100_000
    );
    // The default limit (4 GiB): a 64 GiB v128 array, and 4 GiB of i8s.
    let (mut store, i) = arrays(None);
    assert_trap(call(&mut store, &i, "new_default", &v(&[-1])), full);
    assert_trap(call(&mut store, &i, "new_i8", &v(&[-1])), full);
    assert_eq!(
        call_i32(&mut store, &i, "new_default", &v(&[1000])).unwrap(),
        1000
    );
}

/// `array.new_data` / `array.new_elem` whose length times the element
/// size, or offset plus length, overflows 32 bits: out of bounds of the
/// segment (checked before anything is allocated), never a short array.
#[test]
fn segment_lengths_that_overflow_trap() {
    let (mut store, i) = arrays(Some(1 << 20));
    let mem = TrapCode::MemoryOutOfBounds;
    let table = TrapCode::TableOutOfBounds;
    // The whole 32-byte segment fits.
    assert_eq!(
        call_i32(&mut store, &i, "new_data_i8", &v(&[0, 32])).unwrap(),
        32
    );
    assert_eq!(
        call_i32(&mut store, &i, "new_data_i8", &v(&[32, 0])).unwrap(),
        0
    );
    assert_eq!(
        call_i32(&mut store, &i, "new_data_i16", &v(&[30, 1])).unwrap(),
        0x201f
    );
    assert_eq!(
        call_i32(&mut store, &i, "new_data_v", &v(&[16, 1])).unwrap(),
        0x14131211
    );
    assert_trap(call(&mut store, &i, "new_data_i8", &v(&[33, 0])), mem);
    assert_trap(call(&mut store, &i, "new_data_i8", &v(&[1, 32])), mem);
    assert_trap(call(&mut store, &i, "new_data_i8", &v(&[-1, 1])), mem);
    assert_trap(call(&mut store, &i, "new_data_i8", &v(&[1, -1])), mem);
    // n * 2 = 2^32 + 2: wraps to 2 in 32 bits.
    assert_trap(
        call(&mut store, &i, "new_data_i16", &v(&[0, 0x8000_0001])),
        mem,
    );
    assert_trap(call(&mut store, &i, "new_data_i16", &v(&[31, 1])), mem);
    // n * 16 = 2^32 + 16: wraps to 16.
    assert_trap(
        call(&mut store, &i, "new_data_v", &v(&[0, 0x1000_0001])),
        mem,
    );
    assert_trap(call(&mut store, &i, "new_data_v", &v(&[17, 1])), mem);
    assert_trap(call(&mut store, &i, "new_data_v", &v(&[-16, 1])), mem);
    assert_eq!(
        call_i32(&mut store, &i, "new_elem", &v(&[0, 3])).unwrap(),
        3
    );
    assert_eq!(
        call_i32(&mut store, &i, "new_elem", &v(&[3, 0])).unwrap(),
        0
    );
    assert_trap(call(&mut store, &i, "new_elem", &v(&[4, 0])), table);
    assert_trap(call(&mut store, &i, "new_elem", &v(&[1, -1])), table);
    assert_trap(call(&mut store, &i, "new_elem", &v(&[-1, 2])), table);
    // Dropped segments are empty.
    call(&mut store, &i, "drop_segments", &[]).unwrap();
    assert_eq!(
        call_i32(&mut store, &i, "new_data_i8", &v(&[0, 0])).unwrap(),
        0
    );
    assert_trap(call(&mut store, &i, "new_data_i8", &v(&[0, 1])), mem);
    assert_trap(call(&mut store, &i, "new_elem", &v(&[0, 1])), table);
    assert!(store.gc_stats().live_bytes <= 1 << 20);
}

/// `array.init_data` / `array.init_elem` / `array.fill` / `array.copy`
/// with offsets and lengths whose sums or products overflow 32 bits.
#[test]
fn bulk_array_operations_that_overflow_trap() {
    let (mut store, i) = arrays(Some(1 << 20));
    let arr = TrapCode::ArrayOutOfBounds;
    let mem = TrapCode::MemoryOutOfBounds;
    let table = TrapCode::TableOutOfBounds;
    call(&mut store, &i, "init_data_v", &v(&[2, 0, 0, 2])).unwrap();
    call(&mut store, &i, "init_data_v", &v(&[2, 2, 32, 0])).unwrap();
    assert_trap(call(&mut store, &i, "init_data_v", &v(&[2, 0, 0, 3])), arr);
    assert_trap(call(&mut store, &i, "init_data_v", &v(&[2, 1, 17, 1])), mem);
    assert_trap(call(&mut store, &i, "init_data_v", &v(&[2, 3, 0, 0])), arr);
    assert_trap(call(&mut store, &i, "init_data_v", &v(&[2, 0, 33, 0])), mem);
    // d + n wraps in 32 bits.
    assert_trap(call(&mut store, &i, "init_data_v", &v(&[2, 1, 0, -1])), arr);
    assert_trap(call(&mut store, &i, "init_data_v", &v(&[2, -1, 0, 2])), arr);
    call(&mut store, &i, "init_data_i16", &v(&[4, 0, 0, 4])).unwrap();
    assert_trap(
        call(&mut store, &i, "init_data_i16", &v(&[4, 0, 0, 5])),
        arr,
    );
    assert_trap(
        call(&mut store, &i, "init_data_i16", &v(&[40, 0, 0, 17])),
        mem,
    );
    assert_trap(
        call(&mut store, &i, "init_data_i16", &v(&[40, 0, -2, 1])),
        mem,
    );
    call(&mut store, &i, "init_elem", &v(&[5, 2, 0, 3])).unwrap();
    assert_trap(call(&mut store, &i, "init_elem", &v(&[5, 3, 0, 3])), arr);
    assert_trap(call(&mut store, &i, "init_elem", &v(&[5, 0, 1, 3])), table);
    assert_trap(call(&mut store, &i, "init_elem", &v(&[5, 0, -1, 2])), table);
    assert_trap(call(&mut store, &i, "init_elem", &v(&[5, -1, 0, 2])), arr);
    call(&mut store, &i, "fill_i16", &v(&[10, 10, 0])).unwrap();
    call(&mut store, &i, "fill_i16", &v(&[10, 0, 10])).unwrap();
    assert_trap(call(&mut store, &i, "fill_i16", &v(&[10, 11, 0])), arr);
    assert_trap(call(&mut store, &i, "fill_i16", &v(&[10, 1, -1])), arr);
    assert_trap(call(&mut store, &i, "fill_i16", &v(&[10, -1, 2])), arr);
    assert_trap(
        call(
            &mut store,
            &i,
            "fill_i16",
            &v(&[10, 0x8000_0000, 0x8000_0000]),
        ),
        arr,
    );
    call(&mut store, &i, "fill_v", &v(&[3, 1, 2])).unwrap();
    assert_trap(
        call(&mut store, &i, "fill_v", &v(&[3, 0x1000_0000, 0x1000_0000])),
        arr,
    );
    assert_trap(
        call(&mut store, &i, "fill_v", &v(&[3, 0, 0x1000_0001])),
        arr,
    );
    call(&mut store, &i, "copy", &v(&[4, 4, 4, 4, 0])).unwrap();
    call(&mut store, &i, "copy", &v(&[4, 0, 8, 4, 4])).unwrap();
    assert_trap(call(&mut store, &i, "copy", &v(&[4, 5, 4, 0, 0])), arr);
    assert_trap(call(&mut store, &i, "copy", &v(&[4, 0, 4, 5, 0])), arr);
    assert_trap(call(&mut store, &i, "copy", &v(&[4, 1, 4, 0, 4])), arr);
    assert_trap(call(&mut store, &i, "copy", &v(&[4, 0, 4, 1, 4])), arr);
    assert_trap(call(&mut store, &i, "copy", &v(&[4, -1, 4, 0, 2])), arr);
    assert_trap(call(&mut store, &i, "copy", &v(&[4, 0, 4, -1, 2])), arr);
    assert_trap(call(&mut store, &i, "copy", &v(&[4, 2, 4, 2, -1])), arr);
    assert_trap(
        call(
            &mut store,
            &i,
            "copy",
            &v(&[4, 0x2000_0000, 4, 0, 0x2000_0000]),
        ),
        arr,
    );
}

/// `array.copy` within one array, overlapping either way: `memmove`
/// semantics, checked against a model.
#[test]
fn overlapping_array_copy_is_memmove() {
    let (mut store, i) = arrays(None);
    for (d, s, n) in [
        (2, 0, 5),
        (0, 2, 6),
        (1, 0, 7),
        (0, 1, 7),
        (3, 3, 5),
        (0, 0, 8),
        (7, 0, 1),
        (0, 7, 1),
        (8, 8, 0),
    ] {
        let mut model: Vec<i64> = (0..8).collect();
        model.copy_within(s..s + n, d);
        let want = model.iter().fold(0i64, |acc, &x| acc * 10 + x);
        let got = call(
            &mut store,
            &i,
            "copy_within",
            &v(&[d as i64, s as i64, n as i64]),
        )
        .unwrap();
        assert_eq!(got[0], Val::I64(want), "copy d={d} s={s} n={n}");
    }
    for (d, s, n) in [
        (1, 0, 63),
        (0, 1, 63),
        (10, 3, 40),
        (3, 10, 40),
        (0, 32, 32),
        (32, 0, 32),
    ] {
        let mut model: Vec<u8> = (0..64).collect();
        model.copy_within(s..s + n, d);
        let want = model
            .iter()
            .fold(0i32, |acc, &x| acc.wrapping_mul(31).wrapping_add(x as i32));
        let got = call_i32(
            &mut store,
            &i,
            "copy_within_i8",
            &v(&[d as i64, s as i64, n as i64]),
        )
        .unwrap();
        assert_eq!(got, want, "copy d={d} s={s} n={n}");
    }
    assert_trap(
        call(&mut store, &i, "copy_within", &v(&[1, 0, 8])),
        TrapCode::ArrayOutOfBounds,
    );
    assert_trap(
        call(&mut store, &i, "copy_within", &v(&[9, 0, 0])),
        TrapCode::ArrayOutOfBounds,
    );
}

/// Null checks come before bounds checks, whatever the indices.
#[test]
fn null_is_checked_before_bounds() {
    let (mut store, i) = arrays(None);
    let null = TrapCode::NullArrayReference;
    for k in [0i64, 1, -1, 0x1000_0000] {
        assert_trap(call(&mut store, &i, "null_get", &v(&[k])), null);
        assert_trap(call(&mut store, &i, "null_set", &v(&[k])), null);
        assert_trap(call(&mut store, &i, "null_fill", &v(&[k, k])), null);
        assert_trap(call(&mut store, &i, "null_copy_dst", &v(&[k, k])), null);
        assert_trap(call(&mut store, &i, "null_copy_src", &v(&[k, k])), null);
        assert_trap(call(&mut store, &i, "null_init_data", &v(&[k, k, k])), null);
        assert_trap(call(&mut store, &i, "null_init_elem", &v(&[k, k, k])), null);
    }
    assert_trap(call(&mut store, &i, "null_len", &[]), null);
    assert_trap(
        call(&mut store, &i, "null_struct_get", &[]),
        TrapCode::NullStructReference,
    );
    assert_trap(
        call(&mut store, &i, "null_struct_set", &[]),
        TrapCode::NullStructReference,
    );
    assert_trap(
        call(&mut store, &i, "null_i31", &[]),
        TrapCode::NullI31Reference,
    );
}

// ---------------------------------------------------------------------
// Exhaustion.
// ---------------------------------------------------------------------

const HOARD: &str = r#"
  (global $keep (mut (ref null $node)) (ref.null $node))
  (func (export "hoard") (param $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (global.set $keep (struct.new $node (global.get $keep) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))
  (func (export "release") (global.set $keep (ref.null $node)))
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
  ;; Arrays of `n` bytes, each written, kept only in a local. (Every
  ;; integer here is a multiple of 4, or odd: an i32 of the form 4k + 2 on
  ;; the stack is taken for a reference to object k, see
  ;; `small_integers_on_the_stack_keep_dead_objects_alive`.)
  (func (export "big_arrays") (param $n i32) (param $times i32) (result i32)
    (local $a (ref null $bytes)) (local $sum i32)
    (local.set $times (i32.mul (local.get $times) (i32.const 4)))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $times)))
        (local.set $a (array.new $bytes (i32.const 1) (local.get $n)))
        (local.set $sum (i32.add (local.get $sum) (i32.mul (i32.const 4)
          (array.get_u $bytes (local.get $a) (i32.sub (local.get $n) (i32.const 1))))))
        (local.set $times (i32.sub (local.get $times) (i32.const 4)))
        (br $l)))
    (local.get $sum))
  ;; A chain of `d` nodes built by recursion: every level's node is only
  ;; in its frame until the level returns.
  (func $chain (export "chain") (param $d i32) (result (ref null $node))
    (if (result (ref null $node)) (i32.eqz (local.get $d))
      (then (call $churn (i32.const 3000)) (ref.null $node))
      (else (struct.new $node (call $chain (i32.sub (local.get $d) (i32.const 1))) (local.get $d)))))
  (func (export "chain_len") (param $d i32) (result i32)
    (global.set $keep (call $chain (local.get $d)))
    (call $churn (i32.const 3000))
    (global.get $keep)
    (drop)
    (i32.const 0))
"#;

/// A guest that keeps everything it allocates traps with
/// `GcHeapExhausted`; the heap never passes the limit; once it lets go,
/// the same store allocates again; another store is unaffected.
#[test]
fn hoarding_guest_traps_and_the_store_recovers() {
    let engine = interpreter();
    let limit = 2 << 20;
    let (mut a, ia) = instance(&engine, HOARD, Some(limit));
    for _ in 0..3 {
        assert_trap(
            call(&mut a, &ia, "hoard", &[Val::I32(1_000_000)]),
            TrapCode::GcHeapExhausted,
        );
        let s = a.gc_stats();
        assert!(s.peak_bytes <= limit && s.live_bytes <= limit, "{s:?}");
        let kept = call_i32(&mut a, &ia, "count", &[]).unwrap();
        assert!(kept > 10_000, "{kept}");
        call(&mut a, &ia, "release", &[]).unwrap();
        call(&mut a, &ia, "churn", &[Val::I32(3000)]).unwrap();
    }
    call(&mut a, &ia, "hoard", &[Val::I32(10_000)]).unwrap();
    assert_eq!(call_i32(&mut a, &ia, "count", &[]).unwrap(), 10_000);
    let (mut b, ib) = instance(&engine, HOARD, None);
    call(&mut b, &ib, "hoard", &[Val::I32(100_000)]).unwrap();
    assert_eq!(call_i32(&mut b, &ib, "count", &[]).unwrap(), 100_000);
}

/// Large arrays, each written, allocated over and over (some 40 MB in
/// all) in a 2 MiB heap: collected as they go, never over the limit.
#[test]
fn large_arrays_allocated_repeatedly_stay_within_the_limit() {
    let engine = interpreter();
    let limit = 2 << 20;
    let (mut store, i) = instance(&engine, HOARD, Some(limit));
    let got = call_i32(
        &mut store,
        &i,
        "big_arrays",
        &[Val::I32(700 << 10), Val::I32(60)],
    )
    .unwrap();
    assert_eq!(got, 4 * 60);
    let s = store.gc_stats();
    assert!(s.peak_bytes <= limit, "{s:?}");
    assert!(s.collections >= 20, "{s:?}");
    // Two such arrays cannot be live at once in 1 MiB + a bit.
    assert_trap(
        call(
            &mut store,
            &i,
            "big_arrays",
            &[Val::I32(3 << 20), Val::I32(1)],
        ),
        TrapCode::GcHeapExhausted,
    );
}

/// A 1,000,000-node list (400,000 in a debug build, for time) is marked,
/// then freed, without recursion on the host stack; then reused.
#[test]
fn a_million_node_list_is_marked_and_swept() {
    let engine = interpreter();
    let (mut store, i) = instance(&engine, HOARD, None);
    let n = if cfg!(debug_assertions) {
        400_000
    } else {
        1_000_000
    };
    call(&mut store, &i, "hoard", &[Val::I32(n)]).unwrap();
    store.gc();
    assert_eq!(call_i32(&mut store, &i, "count", &[]).unwrap(), n);
    call(&mut store, &i, "release", &[]).unwrap();
    store.gc();
    assert!(
        store.gc_stats().live_bytes < 1 << 20,
        "{:?}",
        store.gc_stats()
    );
    call(&mut store, &i, "hoard", &[Val::I32(1000)]).unwrap();
    assert_eq!(call_i32(&mut store, &i, "count", &[]).unwrap(), 1000);
}

/// A chain built by deep recursion (each node held only by its frame, and
/// the deepest level collecting with all of them on the stack), then kept
/// in a global and collected again.
#[test]
fn a_chain_built_by_deep_recursion_survives() {
    let mut c = Config::new();
    c.strategy(Strategy::Interpreter);
    c.max_call_depth(200_000);
    let engine = Engine::new(&c);
    let (mut store, i) = instance(&engine, HOARD, Some(64 << 20));
    let d = 150_000;
    call(&mut store, &i, "chain_len", &[Val::I32(d)]).unwrap();
    assert_collected(&store, 2);
    assert_eq!(call_i32(&mut store, &i, "count", &[]).unwrap(), d);
}

/// A host that keeps taking objects (each pinned) ends in a trap at the
/// limit, not in host memory exhaustion; taking the same object many
/// times costs nothing more; i31s cost nothing.
#[test]
fn host_pinning_is_bounded_by_the_limit() {
    let engine = interpreter();
    let limit = 1 << 20;
    let (mut store, i) = instance(
        &engine,
        r#"
        (table $t (export "t") 1 anyref)
        (func (export "fill") (table.set $t (i32.const 0) (struct.new $node (ref.null $node) (i32.const 3))))
        "#,
        Some(limit),
    );
    let node = i
        .get_typed_func::<i32, Option<AnyRef>>(&mut store, "node")
        .unwrap();
    let mut held = Vec::new();
    let err = loop {
        match node.call(&mut store, held.len() as i32) {
            Ok(r) => held.push(r.unwrap()),
            Err(e) => break e,
        }
        assert!(held.len() < 1_000_000, "pins are not counted");
    };
    assert_eq!(err.trap_code(), Some(TrapCode::GcHeapExhausted), "{err}");
    assert!(store.gc_stats().live_bytes <= limit);
    let value = i
        .get_typed_func::<Option<AnyRef>, i32>(&mut store, "value")
        .unwrap();
    for (k, r) in held.iter().enumerate().step_by(997) {
        assert_eq!(value.call(&mut store, Some(*r)).unwrap(), k as i32);
    }
    // The same object many times: one pin.
    let (mut s2, i2) = instance(
        &engine,
        r#"
        (table $t (export "t") 1 anyref)
        (func (export "fill") (table.set $t (i32.const 0) (struct.new $node (ref.null $node) (i32.const 3))))
        "#,
        Some(limit),
    );
    call(&mut s2, &i2, "fill", &[]).unwrap();
    let t = i2.get_table(&s2, "t").unwrap();
    for _ in 0..100_000 {
        t.get(&s2, 0).unwrap().unwrap();
    }
    for _ in 0..100_000 {
        let _ = AnyRef::from_i31(&s2, 1);
    }
    call(&mut s2, &i2, "churn", &[Val::I32(5000)]).unwrap();
    s2.gc();
    assert!(s2.gc_stats().live_bytes < 64 << 10, "{:?}", s2.gc_stats());
}

/// A zero heap limit: every allocation traps, `i31` still works, nothing
/// panics.
#[test]
fn a_zero_heap_limit_traps_every_allocation() {
    let engine = interpreter();
    let m = Module::new(
        &engine,
        module_src(r#"(func (export "i31") (result i32) (i31.get_s (ref.i31 (i32.const -9))))"#),
    )
    .unwrap();
    let mut store = store_with_limit(&engine, (), Some(0));
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    assert_trap(
        call(&mut store, &i, "node", &[Val::I32(1)]),
        TrapCode::GcHeapExhausted,
    );
    assert_trap(
        call(&mut store, &i, "churn", &[Val::I32(1)]),
        TrapCode::GcHeapExhausted,
    );
    assert_eq!(call_i32(&mut store, &i, "i31", &[]).unwrap(), -9);
    store.gc();
}

/// Constant expressions that exceed the heap limit fail instantiation with
/// an error (no panic); a module whose active segment traps after its
/// globals were made leaves the store usable, and collections still keep
/// the objects of the instances that were made.
#[test]
fn failed_instantiations_leave_the_store_sound() {
    let engine = interpreter();
    let mut store = store_with_limit(&engine, (), Some(1 << 20));
    let good = Module::new(
        &engine,
        module_src(r#"(global $g (export "g") (ref $node) (struct.new $node (ref.null $node) (i32.const 44)))
                      (func (export "g_value") (result i32) (struct.get $node $v (global.get $g)))"#),
    )
    .unwrap();
    let gi = Linker::new(&engine).instantiate(&mut store, &good).unwrap();
    let huge = Module::new(
        &engine,
        module_src(r#"(global (ref $bytes) (array.new_default $bytes (i32.const 0x7fffffff)))"#),
    )
    .unwrap();
    let err = Linker::new(&engine)
        .instantiate(&mut store, &huge)
        .unwrap_err();
    assert!(!err.is_bug(), "{err}");
    assert!(
        err.to_string().contains("heap") || err.trap_code() == Some(TrapCode::GcHeapExhausted),
        "{err}"
    );
    let trapping = Module::new(
        &engine,
        module_src(r#"(global $g2 (ref $node) (struct.new $node (ref.null $node) (i32.const 45)))
                      (table $t 1 anyref)
                      (elem (table $t) (i32.const 1) anyref (item (struct.new $node (ref.null $node) (i32.const 46))))"#),
    )
    .unwrap();
    let err = Linker::new(&engine)
        .instantiate(&mut store, &trapping)
        .unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::TableOutOfBounds), "{err}");
    for _ in 0..3 {
        call(&mut store, &gi, "churn", &[Val::I32(4000)]).unwrap();
        store.gc();
    }
    assert_eq!(call_i32(&mut store, &gi, "g_value", &[]).unwrap(), 44);
    let g = gi.get_global(&store, "g").unwrap().get(&store).unwrap();
    assert_eq!(call_i32(&mut store, &gi, "value", &[g]).unwrap(), 44);
}

// ---------------------------------------------------------------------
// Compiled code holding GC objects.
// ---------------------------------------------------------------------

/// With `Strategy::Auto`, a non-GC module (compiled) keeps structs of a GC
/// module (interpreted) as `externref`s in its locals, its table and its
/// global while calling back into the GC module, which allocates far past
/// the collection threshold. The collector must not free what the
/// compiled frames hold: every value reads back intact (or, had the heap
/// filled up, a `GcHeapExhausted` trap).
#[test]
fn compiled_frames_holding_externrefs_keep_their_objects() {
    let engine = Engine::default();
    let gc_module = Module::new(&engine, module_src("")).unwrap();
    let plain = Module::new(
        &engine,
        r#"(module
          (import "gc" "ext_node" (func $make (param i32) (result externref)))
          (import "gc" "ext_value" (func $read (param externref) (result i32)))
          (import "gc" "churn" (func $churn (param i32)))
          (import "host" "collect" (func $collect))
          (table $t 4 externref)
          (global $g (mut externref) (ref.null extern))
          (func $inner (param $e externref) (param $n i32) (result i32)
            (local $f externref)
            (local.set $f (call $make (i32.const 3)))
            (call $churn (local.get $n))
            (call $collect)
            (i32.add (call $read (local.get $e)) (i32.mul (call $read (local.get $f)) (i32.const 10))))
          (func (export "run") (param $n i32) (result i32)
            (local $e externref) (local $r i32)
            (local.set $e (call $make (i32.const 1)))
            (table.set $t (i32.const 0) (call $make (i32.const 4)))
            (global.set $g (call $make (i32.const 5)))
            (call $churn (local.get $n))
            (local.set $r (call $inner (call $make (i32.const 2)) (local.get $n)))
            (call $churn (local.get $n))
            (i32.add (i32.mul (call $read (local.get $e)) (i32.const 100)) (local.get $r))
            (i32.add (i32.mul (call $read (table.get $t (i32.const 0))) (i32.const 1000)))
            (i32.add (i32.mul (call $read (global.get $g)) (i32.const 10000))))
          (func (export "later") (result i32)
            (i32.add (call $read (table.get $t (i32.const 0)))
                     (i32.mul (call $read (global.get $g)) (i32.const 10)))))"#,
    )
    .unwrap();
    let compiled = !plain.compiled_functions().is_empty();
    let mut store = store_with_limit(&engine, (), Some(64 << 20));
    let mut linker = Linker::new(&engine);
    let gi = linker.instantiate(&mut store, &gc_module).unwrap();
    linker.instance(&mut store, "gc", gi).unwrap();
    linker
        .func_wrap("host", "collect", |mut caller: Caller<'_, ()>| {
            caller.as_context_mut().gc()
        })
        .unwrap();
    let pi = linker.instantiate(&mut store, &plain).unwrap();
    let run = pi.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
    match run.call(&mut store, 4000) {
        Ok(v) => assert_eq!(v, 54132, "compiled={compiled}"),
        Err(e) => assert_eq!(
            e.trap_code(),
            Some(TrapCode::GcHeapExhausted),
            "compiled={compiled}: {e}"
        ),
    }
    // After the compiled frames are gone, collections run and the table
    // and global still hold their objects.
    call(&mut store, &gi, "churn", &[Val::I32(8000)]).unwrap();
    store.gc();
    assert!(store.gc_stats().collections > 0);
    let later = pi.get_typed_func::<(), i32>(&mut store, "later").unwrap();
    assert_eq!(later.call(&mut store, ()).unwrap(), 54);
}

/// A compiled module in a small heap calling a GC module that makes
/// garbage: no collection may run under the compiled frame, so the heap
/// fills and the guest gets `GcHeapExhausted` (documented), never a freed
/// object; after it returns, the same store works again.
#[test]
fn compiled_callers_in_a_small_heap_trap_not_corrupt() {
    let engine = Engine::default();
    let gc_module = Module::new(&engine, module_src("")).unwrap();
    let plain = Module::new(
        &engine,
        r#"(module
          (import "gc" "ext_node" (func $make (param i32) (result externref)))
          (import "gc" "ext_value" (func $read (param externref) (result i32)))
          (import "gc" "churn" (func $churn (param i32)))
          (func (export "run") (param $n i32) (param $times i32) (result i32)
            (local $e externref)
            (local.set $e (call $make (i32.const 77)))
            (block $done (loop $l
              (br_if $done (i32.eqz (local.get $times)))
              (call $churn (local.get $n))
              (local.set $times (i32.sub (local.get $times) (i32.const 1)))
              (br $l)))
            (call $read (local.get $e))))"#,
    )
    .unwrap();
    let mut store = store_with_limit(&engine, (), Some(2 << 20));
    let mut linker = Linker::new(&engine);
    let gi = linker.instantiate(&mut store, &gc_module).unwrap();
    linker.instance(&mut store, "gc", gi).unwrap();
    let pi = linker.instantiate(&mut store, &plain).unwrap();
    let run = pi
        .get_typed_func::<(i32, i32), i32>(&mut store, "run")
        .unwrap();
    for _ in 0..3 {
        match run.call(&mut store, (1000, 20)) {
            Ok(v) => assert_eq!(v, 77),
            Err(e) => assert_eq!(e.trap_code(), Some(TrapCode::GcHeapExhausted), "{e}"),
        }
        assert!(store.gc_stats().peak_bytes <= 2 << 20);
    }
    // The compiled frames are gone: the garbage they made is garbage. A
    // small call must not trap because nothing ever collects it.
    let small = run.call(&mut store, (10, 2));
    assert_eq!(
        small.as_ref().ok(),
        Some(&77),
        "{small:?}; after store.gc(): {:?}",
        {
            store.gc();
            run.call(&mut store, (10, 2))
        }
    );
}

/// Conservative stack scanning reads every slot as a possible reference,
/// and `4k + 2` is the encoding of object `k`: a plain `i32` local
/// holding 2 keeps object 0 (here a 700 KiB array, garbage since the
/// local `$a` was overwritten) alive, so a guest whose live data is at most
/// two such arrays at a time runs out of a 2 MiB heap. The same function
/// with 0 in that local runs. (Not a safety problem, but any integer on
/// the stack can retain any object, however large.)
#[test]
fn small_integers_on_the_stack_keep_dead_objects_alive() {
    let engine = interpreter();
    let body = r#"
      (func (export "run") (param $k i32) (result i32)
        (local $a (ref null $bytes)) (local $times i32)
        (local.set $times (i32.const 3))
        (block $done (loop $l
          (br_if $done (i32.eqz (local.get $times)))
          (local.set $a (array.new $bytes (i32.const 1) (i32.const 716800)))
          (local.set $times (i32.sub (local.get $times) (i32.const 1)))
          (br $l)))
        (local.get $k))
    "#;
    let (mut store, i) = instance(&engine, body, Some(2 << 20));
    assert_eq!(call_i32(&mut store, &i, "run", &[Val::I32(0)]).unwrap(), 0);
    let (mut store, i) = instance(&engine, body, Some(2 << 20));
    let r = call(&mut store, &i, "run", &[Val::I32(2)]);
    assert!(
        r.is_ok(),
        "an i32 local of 2 kept object 0 alive: {r:?} {:?}",
        store.gc_stats()
    );
}

/// A host `externref` (an index plus one in its slot) that passes through
/// wasm and back to the host is pinned as if it were a GC object: raw 2
/// (the host's second externref) decodes as object 0, which is then kept
/// until the store is dropped, whatever it is (here a 700 KiB array that
/// was garbage). A few host externrefs can so pin arbitrary garbage for
/// good and fill the heap.
#[test]
fn host_externrefs_do_not_pin_gc_objects() {
    let engine = interpreter();
    let (mut store, i) = instance(
        &engine,
        r#"
        (func (export "id") (param externref) (result externref) (local.get 0))
        (func (export "garbage") (drop (array.new $bytes (i32.const 1) (i32.const 716800))))
        "#,
        Some(2 << 20),
    );
    let _first = ExternRef::new(&mut store, 0u8);
    let second = ExternRef::new(&mut store, 1u8);
    call(&mut store, &i, "garbage", &[]).unwrap(); // object 0
                                                   // The host's externref goes through wasm and comes back.
    let back = call(&mut store, &i, "id", &[Val::ExternRef(Some(second))]).unwrap()[0];
    assert_eq!(back, Val::ExternRef(Some(second)));
    store.gc();
    let s = store.gc_stats();
    assert!(
        s.live_bytes < 64 << 10,
        "a host externref pinned a dead GC object: {s:?}"
    );
}

/// Constant expressions that put structs into `externref` globals,
/// tables and segments (`extern.convert_any`), and v128 arrays built by
/// `array.new_fixed` at run time and in a constant: all intact after
/// collections.
#[test]
fn converted_and_wide_constants_survive() {
    let engine = interpreter();
    let (mut store, i) = instance(
        &engine,
        r#"
        (type $v (array (mut v128)))
        (global $ge externref (extern.convert_any (struct.new $node (ref.null $node) (i32.const 17))))
        (global $gv (ref $v) (array.new_fixed $v 2 (v128.const i32x4 1 2 3 4) (v128.const i32x4 5 6 7 8)))
        (table $te 2 externref)
        (elem (table $te) (i32.const 0) externref
          (item (extern.convert_any (struct.new $node (ref.null $node) (i32.const 18)))))
        (elem $es externref (item (extern.convert_any (array.new_fixed $bytes 1 (i32.const 19)))))
        (func (export "check") (result i32)
          (local $a (ref null $v))
          (local.set $a (array.new_fixed $v 3 (v128.const i32x4 9 10 11 12) (v128.const i32x4 13 14 15 16)
                                              (v128.const i32x4 17 18 19 20)))
          (struct.get $node $v (ref.cast (ref $node) (any.convert_extern (global.get $ge))))
          (i32.add (struct.get $node $v (ref.cast (ref $node) (any.convert_extern (table.get $te (i32.const 0))))))
          (i32.add (i32x4.extract_lane 3 (array.get $v (global.get $gv) (i32.const 1))))
          (i32.add (i32x4.extract_lane 1 (array.get $v (local.get $a) (i32.const 2))))
          (i32.add (i32x4.extract_lane 0 (array.get $v (local.get $a) (i32.const 0))))
          (table.init $te $es (i32.const 1) (i32.const 0) (i32.const 1))
          (i32.add (array.get_u $bytes (ref.cast (ref $bytes) (any.convert_extern (table.get $te (i32.const 1)))) (i32.const 0))))
        "#,
        Some(1 << 20),
    );
    for _ in 0..3 {
        call(&mut store, &i, "churn", &[Val::I32(5000)]).unwrap();
        store.gc();
        assert_eq!(
            call_i32(&mut store, &i, "check", &[]).unwrap(),
            17 + 18 + 8 + 18 + 9 + 19
        );
    }
}

/// Host data `externref`s (`ExternRef::new`, index plus one in the slot)
/// of every index go into wasm and come back, in a store with and without
/// GC objects: the handle check must not read a host externref whose raw
/// value is `4k + 2` as a handle of GC object `k` (and refuse it, or
/// accept it only while object `k` happens to exist).
#[test]
fn every_host_externref_is_accepted() {
    let engine = interpreter();
    for with_objects in [false, true] {
        let (mut store, i) = instance(
            &engine,
            r#"(func (export "id") (param externref) (result externref) (local.get 0))
               (table (export "t") 1 externref)"#,
            None,
        );
        if with_objects {
            for k in 0..3 {
                call(&mut store, &i, "node", &[Val::I32(k)]).unwrap();
            }
        }
        let exts: Vec<ExternRef> = (0..12u32).map(|k| ExternRef::new(&mut store, k)).collect();
        let t = i.get_table(&store, "t").unwrap();
        for (k, e) in exts.iter().enumerate() {
            let r = call(&mut store, &i, "id", &[Val::ExternRef(Some(*e))]);
            assert_eq!(
                r.as_ref().ok().map(|v| v[0]),
                Some(Val::ExternRef(Some(*e))),
                "host externref #{k} (with GC objects: {with_objects}): {r:?}"
            );
            t.set(&mut store, 0, Val::ExternRef(Some(*e)))
                .unwrap_or_else(|err| panic!("Table::set of host externref #{k}: {err}"));
            let Some(Val::ExternRef(Some(back))) = t.get(&store, 0).unwrap() else {
                panic!()
            };
            assert_eq!(
                *back.data(&store).unwrap().downcast_ref::<u32>().unwrap(),
                k as u32
            );
        }
    }
}

/// Handles taken inside a `RootScope` are released when it ends; used
/// afterwards, once the object was collected and its slot reused, they are
/// refused (never read as the new object). Handles of an outer scope, and
/// pinned ones of no scope, survive an inner scope's end.
#[test]
fn handles_outliving_their_root_scope_are_refused() {
    let engine = interpreter();
    let (mut store, i) = instance(&engine, "", Some(1 << 20));
    let node = i.get_func(&store, "node").unwrap();
    let ext_node = i.get_func(&store, "ext_node").unwrap();
    let mut out = [Val::I32(0)];
    node.call(&mut store, &[Val::I32(1)], &mut out).unwrap();
    let pinned = out[0];
    let (stale_any, stale_ext, outer_kept);
    {
        let mut outer = RootScope::new(&mut store);
        node.call(&mut outer, &[Val::I32(2)], &mut out).unwrap();
        outer_kept = out[0];
        {
            let mut inner = RootScope::new(&mut outer);
            node.call(&mut inner, &[Val::I32(3)], &mut out).unwrap();
            stale_any = out[0];
            ext_node.call(&mut inner, &[Val::I32(4)], &mut out).unwrap();
            stale_ext = out[0];
            // The same outer object handed out again inside: still the
            // outer scope's after this one ends.
            let g = outer_kept;
            let value = i.get_func(&inner, "value").unwrap();
            value.call(&mut inner, &[g], &mut out).unwrap();
        }
        for _ in 0..3 {
            call(outer.as_context_mut(), &i, "churn", &[Val::I32(4000)]).unwrap();
            outer.as_context_mut().gc();
        }
        assert_eq!(
            call_i32(outer.as_context_mut(), &i, "value", &[outer_kept]).unwrap(),
            2
        );
    }
    assert_eq!(call_i32(&mut store, &i, "value", &[pinned]).unwrap(), 1);
    for _ in 0..3 {
        call(&mut store, &i, "churn", &[Val::I32(4000)]).unwrap();
        store.gc();
    }
    assert_eq!(call_i32(&mut store, &i, "value", &[pinned]).unwrap(), 1);
    // Stale: an error, not 0xdeadbeef (a churn node in the reused slot).
    for (what, r) in [
        ("anyref", call(&mut store, &i, "value", &[stale_any])),
        ("externref", call(&mut store, &i, "ext_value", &[stale_ext])),
        (
            "anyref after the outer scope",
            call(&mut store, &i, "value", &[outer_kept]),
        ),
    ] {
        let err = r.expect_err(what);
        assert!(err.trap_code().is_none() && !err.is_bug(), "{what}: {err}");
    }
    let Val::AnyRef(Some(a)) = stale_any else {
        unreachable!()
    };
    assert!(a.is_struct(&store).is_err());
    let Val::ExternRef(Some(e)) = stale_ext else {
        unreachable!()
    };
    assert!(AnyRef::convert_extern(&store, e)
        .and_then(|a| a.is_struct(&store))
        .is_err());
    let t = Table::new(
        &mut store,
        TableType {
            element: RefType::new(true, HeapType::Any),
            limits: Limits { min: 1, max: None },
            table64: false,
        },
        Val::AnyRef(None),
    )
    .unwrap();
    assert!(t.set(&mut store, 0, stale_any).is_err());
}

/// Object serials are 31 bits and wrap: a handle that outlived its root
/// scope names slot 0 with serial 0; with a heap where only two objects
/// fit, slots 0 and 1 alternate, so the 2^31-th allocation after it is
/// again slot 0 with serial 0, and the stale handle is accepted as that
/// new object (here an array, where the handle was a struct). Minutes in
/// a release build: `cargo test --release ... -- --ignored`.
#[test]
#[ignore]
fn stale_handle_after_serial_wraparound() {
    let engine = interpreter();
    let (mut store, i) = instance(
        &engine,
        r#"(type $small (array (mut i8)))
           (func (export "spin") (param $n i32)
             (loop $l
               (drop (array.new_default $small (i32.const 4)))
               (local.set $n (i32.sub (local.get $n) (i32.const 1)))
               (br_if $l (local.get $n))))"#,
        Some(100),
    );
    let stale = {
        let mut scope = RootScope::new(&mut store);
        call(scope.as_context_mut(), &i, "node", &[Val::I32(1)]).unwrap()[0]
    };
    let Val::AnyRef(Some(a)) = stale else {
        unreachable!()
    };
    // 2^31 - 1 allocations: serials 1 ..= 2^31 - 1; then one more is
    // serial 0 again.
    let total: u64 = (1 << 31) - 1;
    let mut done = 0u64;
    while done < total {
        let n = (total - done).min(1 << 30) as i32;
        call(&mut store, &i, "spin", &[Val::I32(n)]).unwrap();
        done += n as u64;
        assert!(a.is_struct(&store).is_err());
    }
    call(&mut store, &i, "spin", &[Val::I32(1)]).unwrap();
    // The stale struct handle must still be refused, not be an array.
    assert!(
        a.is_array(&store).is_err(),
        "a stale handle was taken for a new object: is_array = {:?}",
        a.is_array(&store)
    );
}
