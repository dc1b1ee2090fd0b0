//! Store and type confusion through the embedding API (issue 13, item 10):
//! a handle or a reference of one store used with another, or a reference
//! of the wrong type, is an error, never a panic nor a wrong answer.

use nanowasm_runtime::*;

use super::module;

/// A store with `n` host functions, so that its function indices run past
/// those of a small module's store.
fn store_with_funcs(engine: &Engine, n: usize) -> (Store<()>, Vec<Func>) {
    let mut store = Store::new(engine, ());
    let funcs = (0..n)
        .map(|i| Func::wrap(&mut store, move || i as i32 * 1000))
        .collect();
    (store, funcs)
}

fn assert_wrong_store(err: Error) {
    assert!(
        err.to_string().contains("wrong store"),
        "expected a wrong-store error, got: {err}"
    );
}

/// A guest that stores what the host's `get` returns in its table and
/// calls it: `install` then `call0`.
const INSTALLS_HOST_REF: &str = r#"(module
    (import "host" "get" (func $get (result funcref)))
    (table $t (export "t") 1 funcref)
    (type $r (func (result i32)))
    (func $seven (result i32) (i32.const 7))
    (elem declare func $seven)
    (func (export "install") (table.set $t (i32.const 0) (call $get)))
    (func (export "install_own") (table.set $t (i32.const 0) (ref.func $seven)))
    (func (export "call0") (result i32) (call_indirect $t (type $r) (i32.const 0))))"#;

/// The issue's first case: a host function returns another store's funcref;
/// the guest would put it in its table and `call_indirect` would then run
/// whatever function has that index here, or panic past the end.
#[test]
fn host_returning_another_stores_funcref_is_an_error() {
    let engine = Engine::default();
    let m = module(&engine, INSTALLS_HOST_REF);
    for foreign in [0, 40] {
        let (mut other, funcs) = store_with_funcs(&engine, 41);
        let alien = funcs[foreign];
        let mut linker = Linker::<()>::new(&engine);
        linker
            .func_wrap("host", "get", move || Some(alien))
            .unwrap();
        let mut store = Store::new(&engine, ());
        let i = linker.instantiate(&mut store, &m).unwrap();
        let install = i.get_typed_func::<(), ()>(&mut store, "install").unwrap();
        let call0 = i.get_typed_func::<(), i32>(&mut store, "call0").unwrap();
        assert_wrong_store(install.call(&mut store, ()).unwrap_err());
        // Nothing was stored: the slot is still null and traps as such.
        let t = i.get_table(&store, "t").unwrap();
        assert_eq!(t.get(&store, 0).unwrap(), Some(Val::FuncRef(None)));
        let err = call0.call(&mut store, ()).unwrap_err();
        assert_eq!(err.trap_code(), Some(TrapCode::UninitializedElement));
        // The store still works, and the other store's function too.
        i.get_typed_func::<(), ()>(&mut store, "install_own")
            .unwrap()
            .call(&mut store, ())
            .unwrap();
        assert_eq!(call0.call(&mut store, ()).unwrap(), 7);
        let mut out = [Val::I32(0)];
        alien.call(&mut other, &[], &mut out).unwrap();
        assert_eq!(out[0], Val::I32(foreign as i32 * 1000));
    }
}

/// An externref of another store from a host function would read as this
/// store's host value of the same index.
#[test]
fn host_returning_another_stores_externref_is_an_error() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
            (import "host" "get" (func $get (result externref)))
            (table $t (export "t") 1 externref)
            (func (export "install") (table.set $t (i32.const 0) (call $get))))"#,
    );
    let mut other = Store::new(&engine, ());
    let alien = ExternRef::new(&mut other, "the other store's secret");
    let mut linker = Linker::<()>::new(&engine);
    linker
        .func_wrap("host", "get", move || Some(alien))
        .unwrap();
    let mut store = Store::new(&engine, ());
    let own = ExternRef::new(&mut store, "this store's value");
    let i = linker.instantiate(&mut store, &m).unwrap();
    let install = i.get_typed_func::<(), ()>(&mut store, "install").unwrap();
    assert_wrong_store(install.call(&mut store, ()).unwrap_err());
    let t = i.get_table(&store, "t").unwrap();
    assert_eq!(t.get(&store, 0).unwrap(), Some(Val::ExternRef(None)));
    // The handle still means what it meant, in its own store only.
    let v = alien.data(&other).unwrap().downcast_ref::<&str>();
    assert_eq!(v, Some(&"the other store's secret"));
    assert_wrong_store(alien.data(&store).unwrap_err());
    assert!(own.data(&store).unwrap().is::<&str>());
}

/// Host functions with a dynamic type must return values of that type.
#[test]
fn host_returning_the_wrong_reference_type_is_an_error() {
    let engine = Engine::default();
    let m = module(&engine, INSTALLS_HOST_REF);
    for wrong in [
        |s: &mut Caller<'_, ()>| Val::ExternRef(Some(ExternRef::new(s, 5u32))),
        |_: &mut Caller<'_, ()>| Val::ExternRef(None),
        |_: &mut Caller<'_, ()>| Val::I32(0),
    ] {
        let mut linker = Linker::<()>::new(&engine);
        linker
            .func_new(
                "host",
                "get",
                FuncType::new([], [ValType::FUNCREF]),
                move |mut caller, _, results| {
                    results[0] = wrong(&mut caller);
                    Ok(())
                },
            )
            .unwrap();
        let mut store = Store::new(&engine, ());
        let i = linker.instantiate(&mut store, &m).unwrap();
        let install = i.get_typed_func::<(), ()>(&mut store, "install").unwrap();
        let err = install.call(&mut store, ()).unwrap_err();
        assert!(err.to_string().contains("wrong type"), "{err}");
        let t = i.get_table(&store, "t").unwrap();
        assert_eq!(t.get(&store, 0).unwrap(), Some(Val::FuncRef(None)));
        // Called directly from the host, the same check applies.
        let get = linker.get(&mut store, "host", "get").unwrap();
        let mut out = [Val::I32(0)];
        let err = get
            .into_func()
            .unwrap()
            .call(&mut store, &[], &mut out)
            .unwrap_err();
        assert!(err.to_string().contains("wrong type"), "{err}");
    }
}

/// A guest with a funcref table whose slot 0 holds `$seven`.
const CALLS_SLOT_0: &str = r#"(module
    (table $t (export "t") 2 funcref)
    (type $r (func (result i32)))
    (func $seven (result i32) (i32.const 7))
    (elem (i32.const 0) $seven)
    (func (export "call0") (result i32) (call_indirect $t (type $r) (i32.const 0))))"#;

/// The issue's second case, from the API side: `Table::set`, `grow`,
/// `fill` and `new` with another store's funcref.
#[test]
fn tables_reject_another_stores_funcref() {
    let engine = Engine::default();
    let m = module(&engine, CALLS_SLOT_0);
    let (_other, funcs) = store_with_funcs(&engine, 8);
    let mut store = Store::new(&engine, ());
    let i = Instance::new(&mut store, &m, &[]).unwrap();
    let t = i.get_table(&store, "t").unwrap();
    let call0 = i.get_typed_func::<(), i32>(&mut store, "call0").unwrap();
    let alien = Val::FuncRef(Some(funcs[0]));
    assert_wrong_store(t.set(&mut store, 0, alien).unwrap_err());
    assert_wrong_store(t.grow(&mut store, 3, alien).unwrap_err());
    assert_wrong_store(t.fill(&mut store, 0, alien, 2).unwrap_err());
    assert_eq!(t.size(&store).unwrap(), 2, "a rejected grow does not grow");
    assert_eq!(call0.call(&mut store, ()).unwrap(), 7);
    let ty = TableType {
        element: RefType::FUNCREF,
        limits: Limits { min: 1, max: None },
        table64: false,
    };
    assert_wrong_store(Table::new(&mut store, ty, alien).unwrap_err());
    // The same calls with this store's values work.
    let own = Val::FuncRef(Some(Func::wrap(&mut store, || 9)));
    t.set(&mut store, 0, own).unwrap();
    assert_eq!(call0.call(&mut store, ()).unwrap(), 9);
    assert_eq!(t.grow(&mut store, 1, own).unwrap(), 2);
    t.fill(&mut store, 0, Val::FuncRef(None), 3).unwrap();
    assert_eq!(t.get(&store, 2).unwrap(), Some(Val::FuncRef(None)));
    Table::new(&mut store, ty, own).unwrap();
}

/// The issue's third case: an externref in a funcref table made
/// `call_indirect` run the function with the externref's index. Every
/// table entry point checks the value's type against the table's.
#[test]
fn tables_reject_the_wrong_reference_type() {
    let engine = Engine::default();
    let m = module(&engine, CALLS_SLOT_0);
    let mut store = Store::new(&engine, ());
    let i = Instance::new(&mut store, &m, &[]).unwrap();
    let t = i.get_table(&store, "t").unwrap();
    let call0 = i.get_typed_func::<(), i32>(&mut store, "call0").unwrap();
    // Host values 0 and 1 of this store: indices that name functions too.
    let x0 = ExternRef::new(&mut store, 0u8);
    let _x1 = ExternRef::new(&mut store, 1u8);
    for wrong in [Val::ExternRef(Some(x0)), Val::ExternRef(None), Val::I32(1)] {
        let err = t.set(&mut store, 0, wrong).unwrap_err();
        assert!(err.to_string().contains("funcref"), "{err}");
        assert!(t.grow(&mut store, 1, wrong).is_err());
        assert!(t.fill(&mut store, 0, wrong, 1).is_err());
        let ty = t.ty(&store).unwrap();
        assert!(Table::new(&mut store, ty, wrong).is_err());
        assert_eq!(t.size(&store).unwrap(), 2);
        assert_eq!(call0.call(&mut store, ()).unwrap(), 7);
    }
    // And the other way round: no funcref in an externref table.
    let ty = TableType {
        element: RefType::EXTERNREF,
        limits: Limits { min: 1, max: None },
        table64: false,
    };
    let x = Table::new(&mut store, ty, Val::ExternRef(Some(x0))).unwrap();
    let f = Func::wrap(&mut store, || 1);
    let err = x.set(&mut store, 0, Val::FuncRef(Some(f))).unwrap_err();
    assert!(err.to_string().contains("externref"), "{err}");
    assert!(x.set(&mut store, 0, Val::FuncRef(None)).is_err());
    assert!(Table::new(&mut store, ty, Val::FuncRef(None)).is_err());
    assert_eq!(x.get(&store, 0).unwrap(), Some(Val::ExternRef(Some(x0))));
    // `fill` is bounds-checked and changes nothing when out of bounds.
    assert!(x.fill(&mut store, 1, Val::ExternRef(None), 1).is_err());
    assert!(x
        .fill(&mut store, 0, Val::ExternRef(None), u64::MAX)
        .is_err());
    assert_eq!(x.get(&store, 0).unwrap(), Some(Val::ExternRef(Some(x0))));
    x.fill(&mut store, 1, Val::ExternRef(None), 0).unwrap();
}

/// Handles of another store: every accessor returns an error (the lookups
/// by name answer `None`); none answers with this store's entity of the
/// same index. `tests/wrong_store.rs` has one row per method.
#[test]
fn handles_of_another_store() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
            (memory (export "mem") 1)
            (table (export "t") 3 funcref)
            (global (export "g") (mut i32) (i32.const 42))
            (global (export "r") (mut funcref) (ref.null func))
            (func (export "f") (param i64) (result i64) (local.get 0)))"#,
    );
    let mut a = Store::new(&engine, ());
    let ia = Instance::new(&mut a, &m, &[]).unwrap();
    let mut b = Store::new(&engine, ());
    let ib = Instance::new(&mut b, &m, &[]).unwrap();
    let g_b = ib.get_global(&b, "g").unwrap();
    g_b.set(&mut b, Val::I32(-1)).unwrap();
    let (g, r) = (
        ia.get_global(&a, "g").unwrap(),
        ia.get_global(&a, "r").unwrap(),
    );
    let f = ia.get_func(&a, "f").unwrap();
    let t = ia.get_table(&a, "t").unwrap();
    let mem = ia.get_memory(&a, "mem").unwrap();

    assert_wrong_store(g.get(&b).unwrap_err());
    assert_wrong_store(g.ty(&b).unwrap_err());
    assert_wrong_store(f.ty(&b).unwrap_err());
    assert_wrong_store(t.size(&b).unwrap_err());
    assert_wrong_store(mem.size(&b).unwrap_err());
    assert_wrong_store(mem.data(&b).unwrap_err());
    assert_wrong_store(mem.ty(&b).unwrap_err());
    assert_wrong_store(g.set(&mut b, Val::I32(1)).unwrap_err());
    assert_wrong_store(
        f.call(&mut b, &[Val::I64(1)], &mut [Val::I64(0)])
            .unwrap_err(),
    );
    assert_wrong_store(f.typed::<i64, i64>(&b).map(|_| ()).unwrap_err());
    assert_wrong_store(t.ty(&b).unwrap_err());
    assert_wrong_store(t.set(&mut b, 0, Val::FuncRef(None)).unwrap_err());
    assert_wrong_store(t.grow(&mut b, 1, Val::FuncRef(None)).unwrap_err());
    assert_wrong_store(t.fill(&mut b, 0, Val::FuncRef(None), 1).unwrap_err());
    assert_wrong_store(mem.read(&b, 0, &mut [0; 4]).unwrap_err());
    assert_wrong_store(mem.write(&mut b, 0, &[1]).unwrap_err());
    assert_wrong_store(mem.grow(&mut b, 1).unwrap_err());
    assert_wrong_store(t.get(&b, 0).unwrap_err());
    assert!(ia.get_export(&b, "g").is_none());
    assert!(ia.exports(&b).is_empty());

    // A reference value of another store, into this store's global.
    let f_b = ib.get_func(&b, "f").unwrap();
    assert_wrong_store(r.set(&mut a, Val::FuncRef(Some(f_b))).unwrap_err());
    let ty = r.ty(&a).unwrap();
    assert_wrong_store(Global::new(&mut a, ty, Val::FuncRef(Some(f_b))).unwrap_err());
    let x_b = ExternRef::new(&mut b, 1u8);
    assert!(r.set(&mut a, Val::ExternRef(Some(x_b))).is_err());
    assert!(r.set(&mut a, Val::ExternRef(None)).is_err());
    assert_eq!(r.get(&a).unwrap(), Val::FuncRef(None));
    // Calls with another store's references as arguments.
    let take = Func::wrap(&mut a, |_: Option<Func>| {});
    assert_wrong_store(
        take.call(&mut a, &[Val::FuncRef(Some(f_b))], &mut [])
            .unwrap_err(),
    );
    let take = take.typed::<Option<Func>, ()>(&a).unwrap();
    assert_wrong_store(take.call(&mut a, Some(f_b)).unwrap_err());

    // Nothing of either store changed, and both still work.
    assert_eq!(g.get(&a).unwrap(), Val::I32(42));
    assert_eq!(g_b.get(&b).unwrap(), Val::I32(-1));
    assert_eq!(t.size(&a).unwrap(), 3);
    assert_eq!(mem.size(&a).unwrap(), 1);
    let mut out = [Val::I64(0)];
    f.call(&mut a, &[Val::I64(5)], &mut out).unwrap();
    assert_eq!(out[0], Val::I64(5));
}

/// A linker is shared by stores, but items it was given belong to one:
/// instantiating in another store with them is an error, and so is
/// defining another store's instance.
#[test]
fn linker_items_of_another_store() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
            (import "host" "f" (func $f (result i32)))
            (func (export "run") (result i32) (call $f)))"#,
    );
    let mut a = Store::new(&engine, ());
    let mut b = Store::new(&engine, ());
    let f_a = Func::wrap(&mut a, || 1);
    let mut linker = Linker::<()>::new(&engine);
    linker.define("host", "f", f_a).unwrap();
    assert_wrong_store(linker.instantiate(&mut b, &m).unwrap_err());
    let i = linker.instantiate(&mut a, &m).unwrap();
    let run = i.get_typed_func::<(), i32>(&mut a, "run").unwrap();
    assert_eq!(run.call(&mut a, ()).unwrap(), 1);
    // Instance imports are checked the same way.
    assert_wrong_store(Instance::new(&mut b, &m, &[f_a.into()]).unwrap_err());
    // `Linker::instance` with another store's instance defines nothing.
    let mut other = Linker::<()>::new(&engine);
    assert_wrong_store(other.instance(&mut b, "m", i).map(|_| ()).unwrap_err());
    assert!(other.get(&mut b, "m", "run").is_none());
    // Store `b` still instantiates with its own function.
    let f_b = Func::wrap(&mut b, || 2);
    let mut linker_b = Linker::<()>::new(&engine);
    linker_b.define("host", "f", f_b).unwrap();
    let ib = linker_b.instantiate(&mut b, &m).unwrap();
    let run = ib.get_typed_func::<(), i32>(&mut b, "run").unwrap();
    assert_eq!(run.call(&mut b, ()).unwrap(), 2);
}
