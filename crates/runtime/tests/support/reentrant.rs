//! Shared by the `api` tests and the `main_thread_stack` test: a guest and
//! a host function that call each other without end.

use nanowasm_runtime::*;

/// `rec(n)` calls the host's `reenter(n - 1)`, which calls `rec` again:
/// every level is one host→wasm and one wasm→host transition.
const REENTRANT: &str = r#"(module
    (import "host" "reenter" (func $reenter (param i32) (result i32)))
    (func (export "rec") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0))
            (then (i32.const 0))
            (else (i32.add (i32.const 1)
                (call $reenter (i32.sub (local.get 0) (i32.const 1))))))))"#;

/// The guest. (Parsing text takes a lot of stack in debug builds: do it
/// before moving to a small thread.)
pub fn reentrant_module(engine: &Engine) -> Module {
    Module::new(engine, wat::parse_str(REENTRANT).expect("valid wat")).unwrap()
}

/// A store whose host data is the `rec` export, and `rec` itself.
fn reentrant(m: &Module) -> (Store<Option<Func>>, TypedFunc<i32, i32>) {
    let mut linker = Linker::<Option<Func>>::new(m.engine());
    linker
        .func_wrap(
            "host",
            "reenter",
            |mut caller: Caller<'_, Option<Func>>, n: i32| -> Result<i32, Error> {
                let rec = caller.data().expect("rec is set");
                let mut out = [Val::I32(0)];
                rec.call(&mut caller, &[Val::I32(n)], &mut out)?;
                Ok(out[0].i32().expect("i32 result"))
            },
        )
        .unwrap();
    let mut store = Store::new(m.engine(), None);
    let instance = linker.instantiate(&mut store, m).unwrap();
    let rec = instance
        .get_typed_func::<i32, i32>(&mut store, "rec")
        .unwrap();
    *store.data_mut() = Some(rec.func());
    (store, rec)
}

/// Unbounded recursion traps; moderate recursion and later calls work.
pub fn recursion_traps_and_store_survives(m: &Module) {
    let (mut store, rec) = reentrant(m);
    assert_eq!(rec.call(&mut store, 4).unwrap(), 4);
    let err = rec.call(&mut store, i32::MAX).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::StackOverflow), "{err}");
    assert_eq!(
        err.to_string().lines().next().unwrap(),
        "wasm trap: call stack exhausted"
    );
    // The store is usable afterwards, and so is its full stack budget.
    assert_eq!(rec.call(&mut store, 4).unwrap(), 4);
    let again = rec.call(&mut store, i32::MAX).unwrap_err();
    assert_eq!(again.trap_code(), Some(TrapCode::StackOverflow));
    assert_eq!(rec.call(&mut store, 3).unwrap(), 3);
}
