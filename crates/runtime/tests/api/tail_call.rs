//! Tail calls (`return_call`, `return_call_indirect`): constant stack,
//! across instances, into the host, with traps, fuel and epochs.

use nanowasm_runtime::{
    Caller, Config, Engine, Instance, Linker, Module, Store, Strategy, TrapCode,
};

fn engine(configure: impl FnOnce(&mut Config)) -> Engine {
    let mut config = Config::new();
    config.wasm_tail_call(true);
    configure(&mut config);
    Engine::new(&config)
}

/// `wat` instantiated in a new store of `engine` with no imports.
fn instantiate(engine: &Engine, wat: &str) -> (Store<()>, Instance) {
    let module = Module::new(engine, wat).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine)
        .instantiate(&mut store, &module)
        .unwrap();
    (store, instance)
}

const EVEN_ODD: &str = r#"(module
  (type $pred (func (param i64) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $even $odd)
  (func $even (export "even") (type $pred)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 1))
      (else (return_call $odd (i64.sub (local.get 0) (i64.const 1))))))
  (func $odd (export "odd") (type $pred)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 0))
      (else (return_call_indirect (type $pred)
              (i64.sub (local.get 0) (i64.const 1)) (i32.const 0)))))
  (func $deep (export "deep_call") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 0))
      (else (i64.add (i64.const 1) (call $deep (i64.sub (local.get 0) (i64.const 1))))))))"#;

/// Ten million mutually recursive tail calls (direct and indirect) run in
/// constant space, far past the call depth that plain calls may reach.
#[test]
fn deep_mutual_recursion_runs_in_constant_space() {
    let engine = engine(|_| {});
    let (mut store, instance) = instantiate(&engine, EVEN_ODD);
    let even = instance
        .get_typed_func::<i64, i32>(&mut store, "even")
        .unwrap();
    assert_eq!(even.call(&mut store, 10_000_000).unwrap(), 1);
    assert_eq!(even.call(&mut store, 10_000_001).unwrap(), 0);
    // The same depth with plain calls exhausts the call stack.
    let deep = instance
        .get_typed_func::<i64, i64>(&mut store, "deep_call")
        .unwrap();
    let e = deep.call(&mut store, 10_000_000).unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::StackOverflow), "{e}");
    // The store is usable afterwards.
    assert_eq!(even.call(&mut store, 3).unwrap(), 0);
}

/// A tail call into a function of another instance runs in that instance
/// (its memory), and returns to the original caller's instance.
#[test]
fn tail_calls_cross_instances() {
    let engine = engine(|_| {});
    let callee = Module::new(
        &engine,
        r#"(module
          (memory 1)
          (data (i32.const 0) "\07")
          (func (export "read") (param i32) (result i32)
            (i32.add (local.get 0) (i32.load8_u (i32.const 0)))))"#,
    )
    .unwrap();
    let caller = Module::new(
        &engine,
        r#"(module
          (import "callee" "read" (func $read (param i32) (result i32)))
          (memory 1)
          (data (i32.const 0) "\64")
          (func $via (param i32) (result i32) (return_call $read (local.get 0)))
          (func (export "run") (param i32) (result i32)
            ;; after the tail call returns, this instance's memory again
            (i32.add (call $via (local.get 0)) (i32.load8_u (i32.const 0)))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let callee = linker.instantiate(&mut store, &callee).unwrap();
    linker.instance(&mut store, "callee", callee).unwrap();
    let caller = linker.instantiate(&mut store, &caller).unwrap();
    let run = caller
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    assert_eq!(run.call(&mut store, 1000).unwrap(), 1000 + 7 + 100);
}

/// A tail call into a host function: its results become the caller's, for
/// several results and from the activation's entry function too.
#[test]
fn tail_calls_into_the_host() {
    let engine = engine(|_| {});
    let module = Module::new(
        &engine,
        r#"(module
          (import "host" "split" (func $split (param i64) (result i32 i32)))
          (func $inner (param i64) (result i32 i32) (return_call $split (local.get 0)))
          (func (export "entry") (param i64) (result i32 i32) (return_call $split (local.get 0)))
          (func (export "nested") (param i64) (result i32)
            (local i32)
            (call $inner (local.get 0))
            (local.set 1)
            (i32.sub (local.get 1))))"#,
    )
    .unwrap();
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("host", "split", |mut caller: Caller<'_, u32>, x: i64| {
            *caller.data_mut() += 1;
            ((x >> 32) as i32, x as i32)
        })
        .unwrap();
    let mut store = Store::new(&engine, 0u32);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let entry = instance
        .get_typed_func::<i64, (i32, i32)>(&mut store, "entry")
        .unwrap();
    assert_eq!(entry.call(&mut store, (5 << 32) | 3).unwrap(), (5, 3));
    let nested = instance
        .get_typed_func::<i64, i32>(&mut store, "nested")
        .unwrap();
    assert_eq!(nested.call(&mut store, (50 << 32) | 8).unwrap(), 42);
    assert_eq!(*store.data(), 2);
}

/// `return_call_indirect` checks the element and its type as
/// `call_indirect` does, and the trap's backtrace names the frame that made
/// the tail call.
#[test]
fn indirect_tail_calls_trap_as_indirect_calls_do() {
    let engine = engine(|_| {});
    let module = Module::new(
        &engine,
        r#"(module
          (type $t (func (result i32)))
          (table 3 funcref)
          (elem (i32.const 0) $f $g)
          (func $f (result i32) (i32.const 1))
          (func $g (param i32) (result i32) (local.get 0))
          (func $tail (export "tail") (param i32) (result i32)
            (return_call_indirect (type $t) (local.get 0))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let tail = instance
        .get_typed_func::<i32, i32>(&mut store, "tail")
        .unwrap();
    assert_eq!(tail.call(&mut store, 0).unwrap(), 1);
    for (i, code) in [
        (1, TrapCode::IndirectCallTypeMismatch),
        (2, TrapCode::UninitializedElement),
        (3, TrapCode::UndefinedElement),
    ] {
        let e = tail.call(&mut store, i).unwrap_err();
        assert_eq!(e.trap_code(), Some(code), "{e}");
        let trace = &e.as_trap().unwrap().backtrace;
        assert_eq!(trace[0].func_name.as_deref(), Some("tail"), "{e}");
    }
}

const SPIN: &str = r#"(module
  (func $spin (export "spin") (param i64) (result i64)
    (return_call $spin (i64.add (local.get 0) (i64.const 1)))))"#;

/// An endless tail-call loop is stopped by fuel and by an epoch deadline,
/// as a loop is.
#[test]
fn endless_tail_calls_are_stopped_by_fuel_and_epochs() {
    let engine = engine(|c| {
        c.consume_fuel(true);
    });
    let (mut store, instance) = instantiate(&engine, SPIN);
    store.set_fuel(1_000_000).unwrap();
    let spin = instance
        .get_typed_func::<i64, i64>(&mut store, "spin")
        .unwrap();
    let e = spin.call(&mut store, 0).unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::OutOfFuel), "{e}");

    let engine = engine_with_epochs();
    let (mut store, instance) = instantiate(&engine, SPIN);
    store.set_epoch_deadline(1);
    let spin = instance
        .get_typed_func::<i64, i64>(&mut store, "spin")
        .unwrap();
    let ticker = engine.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(20));
        ticker.increment_epoch();
    });
    let e = spin.call(&mut store, 0).unwrap_err();
    t.join().unwrap();
    assert_eq!(e.trap_code(), Some(TrapCode::Interrupted), "{e}");
}

fn engine_with_epochs() -> Engine {
    engine(|c| {
        c.epoch_interruption(true);
    })
}

/// Without the feature, a tail call is refused at validation, naming it.
#[test]
fn tail_calls_need_the_feature() {
    // On by default (as in wasmtime); turned off here.
    let engine = engine(|c| {
        c.wasm_tail_call(false);
    });
    let e = Module::new(&engine, SPIN).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("return_call") && text.contains("tail-call"),
        "{text}"
    );
}

/// Validation: the callee's results must be the caller's.
#[test]
fn tail_calls_must_return_the_callers_results() {
    let engine = engine(|_| {});
    let e = Module::new(
        &engine,
        r#"(module
          (func $f (result i64) (i64.const 1))
          (func (result i32) (return_call $f)))"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("type mismatch"), "{e}");
}

/// A function of one parameter and one of six tail-call each other ten
/// million times: the callee's arguments need more room than the caller
/// was given, which every call into a module with tail calls reserves
/// (the module's largest type), from the host and from wasm alike. Both
/// back ends, constant stack.
#[test]
fn tail_calls_between_signatures_of_different_sizes() {
    const SRC: &str = r#"(module
      (func $a (export "a") (param i64) (result i64)
        (if (i64.eqz (local.get 0)) (then (return (i64.const 7))))
        (return_call $b (local.get 0) (i64.const 1) (i64.const 2) (i64.const 3)
          (f64.const 0.5) (i32.const 9)))
      (func $b (param i64 i64 i64 i64 f64 i32) (result i64)
        ;; n - 1, from every argument: (n - 1 - 2 - 3 + 2 + 3 + 9 - 9) + ...
        (return_call $a
          (i64.add
            (i64.sub (local.get 0) (local.get 1))
            (i64.sub (i64.add (local.get 2) (local.get 3))
              (i64.add (i64.add (local.get 2) (local.get 3))
                (i64.sub (i64.trunc_f64_s (local.get 4)) (i64.extend_i32_u (i32.sub (local.get 5) (i32.const 9)))))))))
      (func (export "via_call") (param i64) (result i64)
        (i64.add (call $a (local.get 0)) (i64.const 1))))"#;
    for strategy in [Strategy::Interpreter, Strategy::Compiler] {
        let engine = engine(|c| {
            c.strategy(strategy);
        });
        let (mut store, instance) = instantiate(&engine, SRC);
        let a = instance
            .get_typed_func::<i64, i64>(&mut store, "a")
            .unwrap();
        assert_eq!(a.call(&mut store, 10_000_000).unwrap(), 7, "{strategy:?}");
        let via = instance
            .get_typed_func::<i64, i64>(&mut store, "via_call")
            .unwrap();
        assert_eq!(via.call(&mut store, 1_000_000).unwrap(), 8, "{strategy:?}");
    }
}
