//! Extended constant expressions (Wasm 3.0): `i32`/`i64` `add`, `sub` and
//! `mul` in global initializers and segment offsets.

use nanowasm_core::Feature;
use nanowasm_runtime::{Config, Engine, Global, GlobalType, Linker, Module, Store, Val, ValType};

const MODULE: &str = r#"(module
  (import "env" "base" (global $base i32))
  (import "env" "big" (global $big i64))
  (memory 1)
  (global (export "sum") i32 (i32.add (global.get $base) (i32.const 10)))
  (global (export "diff") i32 (i32.sub (i32.const 0) (global.get $base)))
  (global (export "wrap") i64 (i64.mul (global.get $big) (i64.const 4)))
  (global (export "nested") i64
    (i64.sub (i64.add (i64.const 100) (global.get $big)) (i64.mul (i64.const 3) (i64.const 7))))
  (data (i32.mul (global.get $base) (i32.const 2)) "xy")
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))"#;

#[test]
fn arithmetic_in_constant_expressions() {
    let mut config = Config::new();
    config.wasm_extended_const(true);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, MODULE).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let base = Global::new(
        &mut store,
        GlobalType {
            content: ValType::I32,
            mutable: false,
        },
        Val::I32(21),
    )
    .unwrap();
    let big = Global::new(
        &mut store,
        GlobalType {
            content: ValType::I64,
            mutable: false,
        },
        Val::I64(i64::MAX),
    )
    .unwrap();
    linker.define("env", "base", base).unwrap();
    linker.define("env", "big", big).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let get = |store: &mut Store<()>, name: &str| {
        instance
            .get_global(&mut *store, name)
            .unwrap()
            .get(&mut *store)
            .unwrap()
    };
    assert_eq!(get(&mut store, "sum"), Val::I32(31));
    assert_eq!(get(&mut store, "diff"), Val::I32(-21));
    assert_eq!(get(&mut store, "wrap"), Val::I64(i64::MAX.wrapping_mul(4)));
    assert_eq!(
        get(&mut store, "nested"),
        Val::I64(i64::MAX.wrapping_add(100) - 21)
    );
    let load = instance
        .get_typed_func::<i32, i32>(&mut store, "load")
        .unwrap();
    assert_eq!(load.call(&mut store, 42).unwrap(), i32::from(b'x'));
    assert_eq!(load.call(&mut store, 43).unwrap(), i32::from(b'y'));
}

#[test]
fn without_the_feature_arithmetic_is_not_constant() {
    // On by default (as in wasmtime); turned off here.
    let mut config = Config::new();
    config.wasm_extended_const(false);
    let e = Module::new(&Engine::new(&config), MODULE).unwrap_err();
    assert!(
        e.to_string().contains("constant expression required"),
        "{e}"
    );
}

#[test]
fn operands_are_type_checked() {
    let mut config = Config::new();
    config.features(config.get_features().with(Feature::ExtendedConst, true));
    let engine = Engine::new(&config);
    for (wat, detail) in [
        (
            "(module (global i32 (i32.add (i32.const 1) (i64.const 2))))",
            "expected i32 but found i64",
        ),
        (
            "(module (global i32 (i32.add (i32.const 1))))",
            "expected i32 but found nothing",
        ),
        (
            "(module (global i64 (i32.mul (i32.const 1) (i32.const 2))))",
            "type mismatch",
        ),
    ] {
        let e = Module::new(&engine, wat).unwrap_err();
        assert!(e.to_string().contains("type mismatch"), "{wat}: {e}");
        assert!(format!("{e:?}{e}").contains(detail), "{wat}: {e:?}");
    }
}
