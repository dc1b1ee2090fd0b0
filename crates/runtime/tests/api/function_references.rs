//! Typed function references (Wasm 3.0) through the embedding API:
//! `call_ref`, `return_call_ref`, `ref.as_non_null`, `br_on_null`,
//! `br_on_non_null`, tables with initializers, and the type checks that
//! keep a guest or a host from passing a function where another type (or
//! null) is expected: at calls from the host, table and global writes, and
//! links between modules, whose types are compared engine-wide.
//! Every test runs on the interpreter and on the compiler (both bounds
//! strategies).

use nanowasm_runtime::*;

fn engine(strategy: Strategy) -> Engine {
    let mut c = Config::new();
    c.strategy(strategy);
    Engine::new(&c)
}

/// The back ends: the interpreter, and the compiler with guard regions and
/// with explicit bounds checks.
fn strategies() -> Vec<Config> {
    let mut out = Vec::new();
    let mut c = Config::new();
    c.strategy(Strategy::Interpreter);
    out.push(c);
    if cfg!(all(target_arch = "x86_64", target_os = "linux")) {
        let mut c = Config::new();
        c.strategy(Strategy::Compiler);
        out.push(c.clone());
        c.memory_bounds(MemoryBounds::Explicit);
        out.push(c);
    }
    out
}

const MODULE: &str = r#"(module
  (type $un (func (param i32) (result i32)))
  (type $fl (func (param f64) (result f64)))
  (func $inc (export "inc") (type $un) (i32.add (local.get 0) (i32.const 1)))
  (func $half (export "half") (type $fl) (f64.mul (local.get 0) (f64.const 0.5)))
  (elem declare func $inc)
  ;; A table of non-null references must start with a value.
  (table $t (export "t") 3 (ref $un) (ref.func $inc))
  (global $g (export "g") (mut (ref null $un)) (ref.null $un))
  (func (export "call") (param (ref null $un)) (param i32) (result i32)
    (call_ref $un (local.get 1) (local.get 0)))
  (func (export "tail") (param (ref $un)) (param i32) (result i32)
    (return_call_ref $un (local.get 1) (local.get 0)))
  (func (export "non_null") (param funcref) (result funcref)
    (ref.as_non_null (local.get 0)))
  ;; 1 if null, 2 if not: br_on_null and br_on_non_null both ways.
  (func (export "on_null") (param (ref null $un)) (result i32)
    (block $null
      (drop (br_on_null $null (local.get 0)))
      (return (i32.const 2)))
    (i32.const 1))
  (func (export "on_non_null") (param (ref null $un)) (result i32)
    (block $nn (result (ref $un))
      (br_on_non_null $nn (local.get 0))
      (return (i32.const 1)))
    (drop)
    (i32.const 2))
  (func (export "from_table") (param i32) (param i32) (result i32)
    (call_ref $un (local.get 1) (table.get $t (local.get 0))))
  (func (export "grow") (result i32)
    (table.grow $t (ref.func $inc) (i32.const 2)))
  ;; A loop of 10^6 tail calls through references runs in constant stack.
  (func $count (export "count") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (return_call_ref $un (i32.sub (local.get 0) (i32.const 1))
                                (ref.func $count)))))
  (elem declare func $count)
  (func $deep (export "deep") (param i32) (result i32)
    (call_ref $un (local.get 0) (ref.func $deep)))
  (elem declare func $deep))"#;

fn instance(config: &Config) -> (Store<()>, Instance) {
    let engine = Engine::new(config);
    let module = Module::new(&engine, MODULE).unwrap();
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    (store, i)
}

fn call(store: &mut Store<()>, i: &Instance, name: &str, args: &[Val]) -> Result<Val, Error> {
    let f = i.get_func(&*store, name).unwrap();
    let mut r = [Val::I32(0)];
    f.call(&mut *store, args, &mut r)?;
    Ok(r[0])
}

#[test]
fn call_ref_calls_and_a_null_reference_traps() {
    for config in strategies() {
        let (mut store, i) = instance(&config);
        let inc = i.get_func(&store, "inc").unwrap();
        let r = call(
            &mut store,
            &i,
            "call",
            &[Val::FuncRef(Some(inc)), Val::I32(41)],
        )
        .unwrap();
        assert_eq!(r, Val::I32(42));
        let r = call(
            &mut store,
            &i,
            "tail",
            &[Val::FuncRef(Some(inc)), Val::I32(1)],
        )
        .unwrap();
        assert_eq!(r, Val::I32(2));
        let err = call(&mut store, &i, "call", &[Val::FuncRef(None), Val::I32(1)]).unwrap_err();
        assert_eq!(
            err.trap_code(),
            Some(TrapCode::NullFunctionReference),
            "{err}"
        );
        assert!(err.to_string().contains("null function reference"), "{err}");
    }
}

#[test]
fn ref_as_non_null_and_the_null_branches() {
    for config in strategies() {
        let (mut store, i) = instance(&config);
        let inc = i.get_func(&store, "inc").unwrap();
        let r = call(&mut store, &i, "non_null", &[Val::FuncRef(Some(inc))]).unwrap();
        assert_eq!(r, Val::FuncRef(Some(inc)));
        let err = call(&mut store, &i, "non_null", &[Val::FuncRef(None)]).unwrap_err();
        assert_eq!(err.trap_code(), Some(TrapCode::NullReference), "{err}");
        for (name, null, non_null) in [("on_null", 1, 2), ("on_non_null", 1, 2)] {
            let r = call(&mut store, &i, name, &[Val::FuncRef(None)]).unwrap();
            assert_eq!(r, Val::I32(null), "{name} of null");
            let r = call(&mut store, &i, name, &[Val::FuncRef(Some(inc))]).unwrap();
            assert_eq!(r, Val::I32(non_null), "{name} of a function");
        }
    }
}

/// The host cannot hand a function of another type, or null, to a
/// parameter of a concrete or non-null reference type: the call is
/// refused before any guest code runs (otherwise `call_ref` would call a
/// `(f64) -> f64` function with an `i32`).
#[test]
fn the_host_cannot_pass_a_function_of_another_type() {
    for config in strategies() {
        let (mut store, i) = instance(&config);
        let half = i.get_func(&store, "half").unwrap();
        let err = call(
            &mut store,
            &i,
            "call",
            &[Val::FuncRef(Some(half)), Val::I32(1)],
        )
        .unwrap_err();
        assert!(err.trap_code().is_none(), "refused, not trapped: {err}");
        assert!(err.to_string().contains("(ref null"), "{err}");
        // Null where the type has none.
        let err = call(&mut store, &i, "tail", &[Val::FuncRef(None), Val::I32(1)]).unwrap_err();
        assert!(err.trap_code().is_none(), "{err}");
        // A function of another store.
        let (other, j) = instance(&config);
        let foreign = j.get_func(&other, "inc").unwrap();
        let err = call(
            &mut store,
            &i,
            "call",
            &[Val::FuncRef(Some(foreign)), Val::I32(1)],
        );
        assert!(err.is_err());
    }
}

#[test]
fn typed_tables_start_with_their_initializer_and_refuse_other_types() {
    for config in strategies() {
        let (mut store, i) = instance(&config);
        for k in 0..3 {
            let r = call(&mut store, &i, "from_table", &[Val::I32(k), Val::I32(10)]).unwrap();
            assert_eq!(r, Val::I32(11));
        }
        assert_eq!(call(&mut store, &i, "grow", &[]).unwrap(), Val::I32(3));
        let r = call(&mut store, &i, "from_table", &[Val::I32(4), Val::I32(1)]).unwrap();
        assert_eq!(r, Val::I32(2));
        let t = i.get_table(&store, "t").unwrap();
        assert!(!t.ty(&store).unwrap().element.nullable());
        let half = i.get_func(&store, "half").unwrap();
        let inc = i.get_func(&store, "inc").unwrap();
        assert!(t.set(&mut store, 0, Val::FuncRef(Some(half))).is_err());
        assert!(t.set(&mut store, 0, Val::FuncRef(None)).is_err());
        t.set(&mut store, 0, Val::FuncRef(Some(inc))).unwrap();
        assert!(t.grow(&mut store, 1, Val::FuncRef(None)).is_err());
        // The same checks on a global.
        let g = i.get_global(&store, "g").unwrap();
        assert!(g.set(&mut store, Val::FuncRef(Some(half))).is_err());
        g.set(&mut store, Val::FuncRef(Some(inc))).unwrap();
        g.set(&mut store, Val::FuncRef(None)).unwrap();
    }
}

#[test]
fn tail_calls_through_references_run_in_constant_stack() {
    for config in strategies() {
        let (mut store, i) = instance(&config);
        let r = call(&mut store, &i, "count", &[Val::I32(1_000_000)]).unwrap();
        assert_eq!(r, Val::I32(0));
        // Plain recursion through a reference is stopped by the stack limit.
        let err = call(&mut store, &i, "deep", &[Val::I32(0)]).unwrap_err();
        assert_eq!(err.trap_code(), Some(TrapCode::StackOverflow), "{err}");
    }
}

/// Concrete types are compared engine-wide: two modules that declare the
/// same function type get the same type, so a function, table or global of
/// one satisfies the other's import; a different type does not link.
#[test]
fn imports_of_typed_references_match_types_across_modules() {
    let engine = engine(Strategy::Auto);
    let (mut store, i) = {
        let module = Module::new(&engine, MODULE).unwrap();
        let mut store = Store::new(&engine, ());
        let i = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        (store, i)
    };
    let mut linker = Linker::new(&engine);
    linker.instance(&mut store, "m", i).unwrap();
    // `$u` here is `$un` there, declared again: the same type.
    let same = r#"(module
      (type $u (func (param i32) (result i32)))
      (import "m" "t" (table 3 (ref $u)))
      (import "m" "g" (global (mut (ref null $u))))
      (import "m" "inc" (func (type $u)))
      (func (export "via") (param i32) (result i32)
        (call_ref $u (local.get 0) (table.get 0 (i32.const 0)))))"#;
    let m = Module::new(&engine, same).unwrap();
    let j = linker.instantiate(&mut store, &m).unwrap();
    assert_eq!(
        call(&mut store, &j, "via", &[Val::I32(1)]).unwrap(),
        Val::I32(2)
    );
    // The exported types name the same engine type.
    let a = i.get_func(&store, "call").unwrap().ty(&store).unwrap();
    let b = Module::new(
        &engine,
        r#"(module (type $u (func (param i32) (result i32)))
             (func (export "call") (param (ref null $u)) (param i32) (result i32) (i32.const 0)))"#,
    )
    .unwrap();
    let b = b.exports().next().unwrap().ty().func().cloned().unwrap();
    assert_eq!(a, b);
    // Another function type: none of the three links.
    for import in [
        r#"(import "m" "t" (table 3 (ref $f)))"#,
        r#"(import "m" "g" (global (mut (ref null $f))))"#,
        r#"(import "m" "inc" (func (type $f)))"#,
        // A mutable global's type must be the same, not a supertype.
        r#"(import "m" "g" (global (mut funcref)))"#,
    ] {
        let text = format!("(module (type $f (func (param f64) (result f64))) {import})");
        let m = Module::new(&engine, &text).unwrap();
        let err = linker.instantiate(&mut store, &m).unwrap_err();
        assert!(err.to_string().contains("differ"), "{import}: {err}");
    }
}

#[test]
fn validation_rejects_reading_an_unset_non_nullable_local() {
    let engine = engine(Strategy::Auto);
    let err = Module::new(
        &engine,
        r#"(module (type $u (func)) (func (local (ref $u)) (drop (local.get 0))))"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("uninitialized local"), "{err}");
    // Set in a block, unset again after it.
    let err = Module::new(
        &engine,
        r#"(module (type $u (func)) (func $f (local (ref $u))
             (block (local.set 0 (ref.func $f))) (drop (local.get 0)))
             (elem declare func $f))"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("uninitialized local"), "{err}");
    // A table of non-null references needs an initializer.
    let err = Module::new(&engine, r#"(module (type $u (func)) (table 1 (ref $u)))"#).unwrap_err();
    assert!(err.to_string().contains("type mismatch"), "{err}");
}

/// `call_ref` of a function of another instance and of a host function
/// (the compiler's host path), and of one of its own instance (its fast
/// path), on every back end.
#[test]
fn call_ref_reaches_other_instances_and_the_host() {
    for config in strategies() {
        let engine = Engine::new(&config);
        let mut store = Store::new(&engine, ());
        let a = Module::new(&engine, MODULE).unwrap();
        let a = Linker::new(&engine).instantiate(&mut store, &a).unwrap();
        let ty = a.get_func(&store, "inc").unwrap().ty(&store).unwrap();
        let host = Func::new(&mut store, ty, |_, p, r| {
            r[0] = Val::I32(p[0].i32().unwrap() * 10);
            Ok(())
        });
        let call = a.get_func(&store, "call").unwrap();
        let mut r = [Val::I32(0)];
        call.call(&mut store, &[Val::FuncRef(Some(host)), Val::I32(4)], &mut r)
            .unwrap();
        assert_eq!(r[0], Val::I32(40));
        // Another instance's function, through a reference it exported.
        let b = Module::new(&engine, MODULE).unwrap();
        let b = Linker::new(&engine).instantiate(&mut store, &b).unwrap();
        let inc_b = b.get_func(&store, "inc").unwrap();
        call.call(
            &mut store,
            &[Val::FuncRef(Some(inc_b)), Val::I32(4)],
            &mut r,
        )
        .unwrap();
        assert_eq!(r[0], Val::I32(5));
        let tail = a.get_func(&store, "tail").unwrap();
        tail.call(&mut store, &[Val::FuncRef(Some(host)), Val::I32(2)], &mut r)
            .unwrap();
        assert_eq!(r[0], Val::I32(20));
    }
}

#[test]
fn the_proposal_can_be_turned_off() {
    let mut c = Config::new();
    c.wasm_function_references(false);
    let err = Module::new(&Engine::new(&c), MODULE).unwrap_err();
    assert!(err.to_string().contains("function-references"), "{err}");
}

/// A host function whose result type is a concrete function type cannot
/// return a function of another type (wasm would call it as the wrong
/// type) or null; and a made-up type id is refused, never a panic.
#[test]
fn host_results_are_checked_against_concrete_types() {
    for config in strategies() {
        let (mut store, i) = instance(&config);
        let ref_un = i
            .get_func(&store, "tail")
            .unwrap()
            .ty(&store)
            .unwrap()
            .params()[0];
        let ty = FuncType::new([], [ref_un]);
        let half = i.get_func(&store, "half").unwrap();
        let inc = i.get_func(&store, "inc").unwrap();
        for (given, ok) in [(Some(half), false), (None, false), (Some(inc), true)] {
            let f = Func::new(&mut store, ty.clone(), move |_, _, r| {
                r[0] = Val::FuncRef(given);
                Ok(())
            });
            let mut r = [Val::I32(0)];
            let res = f.call(&mut store, &[], &mut r);
            assert_eq!(res.is_ok(), ok, "{given:?}: {res:?}");
        }
        // A type id no module registered.
        let bogus = ValType::Ref(RefType::new(true, HeapType::Concrete(4_000_000)));
        let f = Func::new(&mut store, FuncType::new([], [bogus]), move |_, _, r| {
            r[0] = Val::FuncRef(Some(inc));
            Ok(())
        });
        let mut r = [Val::I32(0)];
        assert!(f.call(&mut store, &[], &mut r).is_err());
    }
}
