//! Every public method that takes a store and a handle (or a reference
//! value), called with a store that does not own the handle: it returns an
//! error that says "wrong store" (the lookups by name answer `None`), and
//! never panics nor answers with the other store's entity of the same
//! index.
//!
//! One row per method, in two tables: `error_rows` (the method returns an
//! `Err`) and `absent_rows` (a lookup answers `None` or nothing). A public
//! method added later that takes a store needs a row here. Each table runs
//! against three kinds of "other" store: another store of the same engine,
//! a store of another engine, and a new store after the handles' own store
//! was dropped (stale handles). Each other store holds an instance of the
//! same module, so every index a handle carries is in bounds there too: an
//! unchecked handle would read the wrong entity, not fail.

use std::panic::{catch_unwind, AssertUnwindSafe};

use nanowasm_runtime::{
    Engine, Error, ExternRef, Func, Global, GlobalType, Instance, Limits, Linker, Memory, Module,
    RefType, Store, Table, TableType, TypedFunc, Val, ValType,
};

const MODULE: &str = r#"(module
    (import "host" "f" (func $f (result i32)))
    (memory (export "mem") 1)
    (table (export "t") 3 funcref)
    (table (export "x") 2 externref)
    (global (export "g") (mut i32) (i32.const 42))
    (global (export "r") (mut funcref) (ref.null func))
    (func (export "id") (param i64) (result i64) (local.get 0))
    (func (export "take") (param funcref))
    (func (export "call_f") (result i32) (call $f)))"#;

/// The handles of one store, all taken from an instance of `MODULE`.
struct Handles {
    instance: Instance,
    func: Func,
    typed: TypedFunc<i64, i64>,
    memory: Memory,
    table: Table,
    global: Global,
    funcref_global: Global,
    externref: ExternRef,
    import: Func,
}

/// A store with an instance of `MODULE` (its import a host function
/// returning `answer`) and an externref, and the handles to them.
fn store_with_handles(engine: &Engine, answer: i32) -> (Store<()>, Handles) {
    let module = Module::new(engine, MODULE).unwrap();
    let mut store = Store::new(engine, ());
    let import = Func::wrap(&mut store, move || answer);
    let instance = Instance::new(&mut store, &module, &[import.into()]).unwrap();
    let externref = ExternRef::new(&mut store, answer);
    let handles = Handles {
        func: instance.get_func(&store, "id").unwrap(),
        typed: instance
            .get_typed_func::<i64, i64>(&mut store, "id")
            .unwrap(),
        memory: instance.get_memory(&store, "mem").unwrap(),
        table: instance.get_table(&store, "t").unwrap(),
        global: instance.get_global(&store, "g").unwrap(),
        funcref_global: instance.get_global(&store, "r").unwrap(),
        instance,
        externref,
        import,
    };
    (store, handles)
}

type ErrorRow = (
    &'static str,
    Box<dyn Fn(&Handles, &mut Store<()>) -> Result<(), Error>>,
);
type AbsentRow = (&'static str, Box<dyn Fn(&Handles, &mut Store<()>) -> bool>);

fn row<R>(
    name: &'static str,
    f: impl Fn(&Handles, &mut Store<()>) -> Result<R, Error> + 'static,
) -> ErrorRow {
    (name, Box::new(move |h, s| f(h, s).map(drop)))
}

fn absent(name: &'static str, f: impl Fn(&Handles, &mut Store<()>) -> bool + 'static) -> AbsentRow {
    (name, Box::new(f))
}

/// The methods that must return a wrong-store error: `h` holds handles of
/// another store than `s`.
fn error_rows() -> Vec<ErrorRow> {
    let null = Val::FuncRef(None);
    let table_ty = TableType {
        element: RefType::FUNCREF,
        limits: Limits { min: 1, max: None },
        table64: false,
    };
    let global_ty = GlobalType {
        content: ValType::FUNCREF,
        mutable: true,
    };
    vec![
        // Func and TypedFunc.
        row("Func::ty", |h, s| h.func.ty(&*s)),
        row("Func::call", |h, s| {
            h.func.call(s, &[Val::I64(1)], &mut [Val::I64(0)])
        }),
        row("Func::typed", |h, s| h.func.typed::<i64, i64>(&*s)),
        row("Func::call (host function)", |h, s| {
            h.import.call(s, &[], &mut [Val::I32(0)])
        }),
        row("TypedFunc::call", |h, s| h.typed.call(s, 1)),
        // Memory.
        row("Memory::data", |h, s| h.memory.data(s).map(<[u8]>::len)),
        row("Memory::data_mut", |h, s| {
            h.memory.data_mut(s).map(|d| d.len())
        }),
        row("Memory::data_and_store_mut", |h, s| {
            h.memory.data_and_store_mut(s).map(|(d, _)| d.len())
        }),
        row("Memory::size", |h, s| h.memory.size(&*s)),
        row("Memory::ty", |h, s| h.memory.ty(&*s)),
        row("Memory::grow", |h, s| h.memory.grow(s, 1)),
        row("Memory::read", |h, s| h.memory.read(&*s, 0, &mut [0; 4])),
        row("Memory::write", |h, s| h.memory.write(s, 0, &[1, 2, 3])),
        // Table.
        row("Table::size", |h, s| h.table.size(&*s)),
        row("Table::ty", |h, s| h.table.ty(&*s)),
        row("Table::get", |h, s| h.table.get(&*s, 0)),
        row("Table::set", move |h, s| h.table.set(s, 0, null)),
        row("Table::grow", move |h, s| h.table.grow(s, 1, null)),
        row("Table::fill", move |h, s| h.table.fill(s, 0, null, 1)),
        // Global.
        row("Global::ty", |h, s| h.global.ty(&*s)),
        row("Global::get", |h, s| h.global.get(&*s)),
        row("Global::set", |h, s| h.global.set(s, Val::I32(7))),
        // ExternRef.
        row("ExternRef::data", |h, s| h.externref.data(s).map(drop)),
        // Instance.
        row("Instance::get_typed_func", |h, s| {
            h.instance.get_typed_func::<i64, i64>(s, "id")
        }),
        // Instantiation and the linker with items of another store.
        row("Instance::new (import of another store)", |h, s| {
            let module = Module::new(s.engine(), MODULE)?;
            Instance::new(s, &module, &[h.import.into()])
        }),
        row(
            "Linker::instantiate (definition of another store)",
            |h, s| {
                let mut linker = Linker::new(s.engine());
                linker.define("host", "f", h.import)?;
                let module = Module::new(s.engine(), MODULE)?;
                linker.instantiate(s, &module)
            },
        ),
        row(
            "InstancePre::instantiate (definition of another store)",
            |h, s| {
                let mut linker = Linker::new(s.engine());
                linker.define("host", "f", h.import)?;
                let module = Module::new(s.engine(), MODULE)?;
                linker.instantiate_pre(&module)?.instantiate(s)
            },
        ),
        row("Linker::instance", |h, s| {
            Linker::new(s.engine())
                .instance(s, "m", h.instance)
                .map(drop)
        }),
        // Reference values of another store, into this store's places.
        row("Func::call (funcref argument)", |h, s| {
            let take = Func::wrap(&mut *s, |_: Option<Func>| {});
            take.call(s, &[Val::FuncRef(Some(h.func))], &mut [])
        }),
        row("Func::call (externref argument)", |h, s| {
            let take = Func::wrap(&mut *s, |_: Option<ExternRef>| {});
            take.call(s, &[Val::ExternRef(Some(h.externref))], &mut [])
        }),
        row("TypedFunc::call (funcref argument)", |h, s| {
            let take = Func::wrap(&mut *s, |_: Option<Func>| {});
            take.typed::<Option<Func>, ()>(&*s)?.call(s, Some(h.func))
        }),
        row("Func::call (host result of another store)", |h, s| {
            let alien = h.func;
            let give = Func::wrap(&mut *s, move || Some(alien));
            give.call(s, &[], &mut [Val::FuncRef(None)])
        }),
        row("Global::new (funcref of another store)", move |h, s| {
            Global::new(s, global_ty, Val::FuncRef(Some(h.func)))
        }),
        row("Global::set (funcref of another store)", |h, s| {
            let own = own_global(s);
            own.set(s, Val::FuncRef(Some(h.func)))
        }),
        row("Table::new (funcref of another store)", move |h, s| {
            Table::new(s, table_ty, Val::FuncRef(Some(h.func)))
        }),
        row("Table::set (funcref of another store)", move |h, s| {
            let own = Table::new(&mut *s, table_ty, Val::FuncRef(None))?;
            own.set(s, 0, Val::FuncRef(Some(h.func)))
        }),
        row("Table::grow (funcref of another store)", move |h, s| {
            let own = Table::new(&mut *s, table_ty, Val::FuncRef(None))?;
            own.grow(s, 1, Val::FuncRef(Some(h.func)))
        }),
        row("Table::fill (funcref of another store)", move |h, s| {
            let own = Table::new(&mut *s, table_ty, Val::FuncRef(None))?;
            own.fill(s, 0, Val::FuncRef(Some(h.func)), 1)
        }),
    ]
}

/// A mutable funcref global of `s`.
fn own_global(s: &mut Store<()>) -> Global {
    let ty = GlobalType {
        content: ValType::FUNCREF,
        mutable: true,
    };
    Global::new(s, ty, Val::FuncRef(None)).unwrap()
}

/// The lookups that answer `None` (or nothing) for a handle of another
/// store, as wasmtime's `Option` shape has it: the instance has no exports
/// in this store.
fn absent_rows() -> Vec<AbsentRow> {
    vec![
        absent("Instance::get_export", |h, s| {
            h.instance.get_export(&*s, "mem").is_none()
        }),
        absent("Instance::get_func", |h, s| {
            h.instance.get_func(&*s, "id").is_none()
        }),
        absent("Instance::get_memory", |h, s| {
            h.instance.get_memory(&*s, "mem").is_none()
        }),
        absent("Instance::get_table", |h, s| {
            h.instance.get_table(&*s, "t").is_none()
        }),
        absent("Instance::get_global", |h, s| {
            h.instance.get_global(&*s, "g").is_none()
        }),
        absent("Instance::exports", |h, s| h.instance.exports(s).is_empty()),
        absent("Linker::get (definition of another store)", |h, s| {
            let mut linker = Linker::new(s.engine());
            linker.define("host", "f", h.import).unwrap();
            linker.get(s, "host", "f").is_none()
        }),
    ]
}

/// A panic's message.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Runs both tables with handles `h` against `other`, a store that does
/// not own them; `case` names the kind of store in failure messages.
fn run_rows(case: &str, h: &Handles, other: &mut Store<()>) {
    let mut failures = Vec::new();
    for (name, f) in error_rows() {
        match catch_unwind(AssertUnwindSafe(|| f(h, other))) {
            Err(p) => failures.push(format!("{name}: panicked: {}", panic_message(p))),
            Ok(Ok(())) => failures.push(format!("{name}: succeeded")),
            Ok(Err(e)) if !e.to_string().contains("wrong store") => {
                failures.push(format!("{name}: not a wrong-store error: {e}"))
            }
            Ok(Err(_)) => {}
        }
    }
    for (name, f) in absent_rows() {
        match catch_unwind(AssertUnwindSafe(|| f(h, other))) {
            Err(p) => failures.push(format!("{name}: panicked: {}", panic_message(p))),
            Ok(false) => failures.push(format!("{name}: answered with an item")),
            Ok(true) => {}
        }
    }
    assert!(failures.is_empty(), "{case}:\n{}", failures.join("\n"));
}

/// What the other store's own instance reads, to check that nothing the
/// rows did reached it.
fn own_state(h: &Handles, s: &mut Store<()>) -> (Val, u64, u64, Vec<u8>, i32) {
    let call_f = h
        .instance
        .get_typed_func::<(), i32>(&mut *s, "call_f")
        .unwrap();
    (
        h.global.get(&*s).unwrap(),
        h.table.size(&*s).unwrap(),
        h.memory.size(&*s).unwrap(),
        h.memory.data(s).unwrap()[..4].to_vec(),
        call_f.call(s, ()).unwrap(),
    )
}

#[test]
fn another_store_of_the_same_engine() {
    let engine = Engine::default();
    let (mut a, ha) = store_with_handles(&engine, 1);
    let (mut b, hb) = store_with_handles(&engine, 2);
    hb.global.set(&mut b, Val::I32(-1)).unwrap();
    hb.memory.write(&mut b, 0, &[9, 9, 9, 9]).unwrap();
    let before = own_state(&hb, &mut b);
    run_rows("a store of the same engine", &ha, &mut b);
    // Both stores still work, and neither changed.
    assert_eq!(own_state(&hb, &mut b), before);
    assert_eq!(own_state(&ha, &mut a), (Val::I32(42), 3, 1, vec![0; 4], 1));
    assert_eq!(ha.typed.call(&mut a, 5).unwrap(), 5);
    assert_eq!(hb.funcref_global.get(&b).unwrap(), Val::FuncRef(None));
    let data = ha.externref.data(&a).unwrap();
    assert_eq!(data.downcast_ref::<i32>(), Some(&1));
}

#[test]
fn a_store_of_another_engine() {
    let (_a, ha) = store_with_handles(&Engine::default(), 1);
    let (mut b, hb) = store_with_handles(&Engine::default(), 2);
    let before = own_state(&hb, &mut b);
    run_rows("a store of another engine", &ha, &mut b);
    assert_eq!(own_state(&hb, &mut b), before);
}

/// Handles outlive their store: used with a store made after it was
/// dropped (which may reuse its memory), they are still another store's.
#[test]
fn handles_of_a_dropped_store() {
    let engine = Engine::default();
    let (a, ha) = store_with_handles(&engine, 1);
    drop(a);
    let (mut b, hb) = store_with_handles(&engine, 2);
    let before = own_state(&hb, &mut b);
    run_rows(
        "a store made after the handles' store was dropped",
        &ha,
        &mut b,
    );
    assert_eq!(own_state(&hb, &mut b), before);
}

/// A module of one engine does not instantiate in a store of another,
/// whichever way it is given.
#[test]
fn modules_of_another_engine() {
    let (engine_a, engine_b) = (Engine::default(), Engine::default());
    let module = Module::new(&engine_a, MODULE).unwrap();
    let mut b = Store::new(&engine_b, ());
    let f = Func::wrap(&mut b, || 0);
    let err = Instance::new(&mut b, &module, &[f.into()]).unwrap_err();
    assert!(err.to_string().contains("another engine"), "{err}");
    let mut linker = Linker::new(&engine_b);
    linker.define("host", "f", f).unwrap();
    let err = linker.instantiate(&mut b, &module).unwrap_err();
    assert!(err.to_string().contains("another engine"), "{err}");
    // A linker of engine A, for A's module, into a store of engine B.
    let mut linker = Linker::new(&engine_a);
    linker.func_wrap("host", "f", || 0).unwrap();
    let err = linker.instantiate(&mut b, &module).unwrap_err();
    assert!(err.to_string().contains("another engine"), "{err}");
}
