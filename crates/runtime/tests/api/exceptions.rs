//! Exception handling (Wasm 3.0) through the embedding API: uncaught
//! exceptions reach the embedder as errors naming their tag, host
//! functions throw and see exceptions pass through them, exceptions cross
//! instances, and exception objects cannot grow the store without bound.
//! The interpreter runs exceptions; the compiler refuses them with a clear
//! error and `Strategy::Auto` falls back to the interpreter.

use nanowasm_runtime::*;

fn engine(strategy: Strategy) -> Engine {
    let mut c = Config::new();
    c.strategy(strategy);
    Engine::new(&c)
}

const THROWER: &str = r#"(module
  (tag $boom (export "boom") (param i32 i64))
  (func (export "throw") (param i32)
    (throw $boom (local.get 0) (i64.const -7)))
  (func (export "catch") (param i32) (result i32)
    (block $h (result i32 i64)
      (try_table (catch $boom $h) (call 0 (local.get 0)))
      (return (i32.const -1)))
    (drop))
  (func (export "catch_ref") (result exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (call 0 (i32.const 5)))
      (ref.null exn)))
  (func (export "rethrow") (param exnref) (throw_ref (local.get 0))))"#;

fn thrower(strategy: Strategy) -> (Store<()>, Instance) {
    let engine = engine(strategy);
    let module = Module::new(&engine, THROWER).unwrap();
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    (store, i)
}

#[test]
fn an_uncaught_exception_reaches_the_embedder_naming_its_tag() {
    let (mut store, i) = thrower(Strategy::Auto);
    let f = i.get_func(&store, "throw").unwrap();
    let err = f.call(&mut store, &[Val::I32(3)], &mut []).unwrap_err();
    assert!(err.to_string().contains("uncaught exception"), "{err}");
    assert!(err.to_string().contains("tag `boom`"), "{err}");
    assert!(
        err.trap_code().is_none(),
        "an exception is not a trap: {err:?}"
    );
    let exn = err.as_exception().expect("the error carries the exception");
    let tag = exn.tag(&store).unwrap();
    assert_eq!(Some(tag), i.get_tag(&store, "boom"));
    assert_eq!(exn.fields(&store).unwrap(), [Val::I32(3), Val::I64(-7)]);
    // Caught in wasm, the same throw is a value.
    let catch = i.get_typed_func::<i32, i32>(&mut store, "catch").unwrap();
    assert_eq!(catch.call(&mut store, 9).unwrap(), 9);
}

#[test]
fn exnrefs_go_to_the_host_and_back() {
    let (mut store, i) = thrower(Strategy::Auto);
    let f = i.get_func(&store, "catch_ref").unwrap();
    let mut r = [Val::I32(0)];
    f.call(&mut store, &[], &mut r).unwrap();
    let Val::ExnRef(Some(exn)) = r[0] else {
        panic!("expected an exnref, got {:?}", r[0])
    };
    assert_eq!(exn.fields(&store).unwrap(), [Val::I32(5), Val::I64(-7)]);
    // Thrown again by wasm from the reference: the same object.
    let rethrow = i.get_func(&store, "rethrow").unwrap();
    let err = rethrow.call(&mut store, &r, &mut []).unwrap_err();
    assert_eq!(err.as_exception(), Some(exn));
    // A null reference traps.
    let err = rethrow
        .call(&mut store, &[Val::ExnRef(None)], &mut [])
        .unwrap_err();
    assert_eq!(
        err.trap_code(),
        Some(TrapCode::NullExceptionReference),
        "{err}"
    );
    // Another store's exnref is refused.
    let (mut other, _) = thrower(Strategy::Auto);
    let err = rethrow.call(&mut other, &r, &mut []).unwrap_err();
    assert!(err.to_string().contains("wrong store"), "{err}");
}

#[test]
fn a_host_function_throws_and_wasm_catches() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let tag = Tag::new(&mut store, &FuncType::new([ValType::I32], [])).unwrap();
    let mut linker = Linker::new(&engine);
    linker.define("host", "oops", tag).unwrap();
    linker
        .func_wrap(
            "host",
            "fail",
            move |mut caller: Caller<'_, ()>, x: i32| -> Result<i32, Error> {
                let exn = ExnRef::new(&mut caller, tag, &[Val::I32(x * 2)])?;
                Err(Error::exception(exn))
            },
        )
        .unwrap();
    let module = Module::new(
        &engine,
        r#"(module
          (import "host" "oops" (tag $oops (param i32)))
          (import "host" "fail" (func $fail (param i32) (result i32)))
          (func (export "run") (param i32) (result i32)
            (block $h (result i32)
              (try_table (result i32) (catch $oops $h) (call $fail (local.get 0))))))"#,
    )
    .unwrap();
    let i = linker.instantiate(&mut store, &module).unwrap();
    let run = i.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
    assert_eq!(run.call(&mut store, 21).unwrap(), 42);
    // A tag's type has no results.
    let err = Tag::new(&mut store, &FuncType::new([], [ValType::I32])).unwrap_err();
    assert!(err.to_string().contains("no results"), "{err}");
    // Values must have the tag's types.
    let err = ExnRef::new(&mut store, tag, &[Val::I64(1)]).unwrap_err();
    assert!(err.to_string().contains("i32"), "{err}");
}

/// wasm (catches) → host → wasm (throws): the exception passes through
/// the host function, which sees it as its callee's error and returns it.
#[test]
fn exceptions_pass_through_host_frames_and_instances() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, 0u32);
    let inner = Module::new(
        &engine,
        r#"(module
          (tag $e (export "e") (param i32))
          (func (export "throw") (param i32) (throw $e (local.get 0))))"#,
    )
    .unwrap();
    let mut linker = Linker::new(&engine);
    let a = linker.instantiate(&mut store, &inner).unwrap();
    linker.instance(&mut store, "inner", a).unwrap();
    linker
        .func_wrap(
            "host",
            "call_inner",
            |mut caller: Caller<'_, u32>, x: i32| -> Result<(), Error> {
                let f = caller
                    .get_export("throw_it")
                    .and_then(Extern::into_func)
                    .ok_or_else(|| Error::host("no export"))?;
                let r = f.call(&mut caller, &[Val::I32(x)], &mut []);
                // The host sees the exception go by.
                if r.as_ref().is_err_and(|e| e.as_exception().is_some()) {
                    *caller.data_mut() += 1;
                }
                r
            },
        )
        .unwrap();
    let outer = Module::new(
        &engine,
        r#"(module
          (import "inner" "e" (tag $e (param i32)))
          (import "inner" "throw" (func $throw (param i32)))
          (import "host" "call_inner" (func $call_inner (param i32)))
          (export "throw_it" (func $throw))
          (func (export "run") (param i32) (result i32)
            (block $h (result i32)
              (try_table (catch $e $h) (call $call_inner (local.get 0)))
              (i32.const -1))))"#,
    )
    .unwrap();
    let b = linker.instantiate(&mut store, &outer).unwrap();
    let run = b.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
    assert_eq!(run.call(&mut store, 17).unwrap(), 17);
    assert_eq!(*store.data(), 1, "the host function saw the exception");
    // A tag is an identity: another instance of the same module has its
    // own, which `$e` does not catch.
    let other = linker.instantiate(&mut store, &inner).unwrap();
    let other_throw = other.get_func(&store, "throw").unwrap();
    let err = other_throw
        .call(&mut store, &[Val::I32(1)], &mut [])
        .unwrap_err();
    assert_ne!(
        err.as_exception().unwrap().tag(&store).unwrap(),
        a.get_tag(&store, "e").unwrap()
    );
}

#[test]
fn the_compiler_refuses_exceptions_and_auto_falls_back() {
    let err = Module::new(&engine(Strategy::Compiler), THROWER).unwrap_err();
    assert!(
        err.to_string().contains("not supported by the compiler"),
        "{err}"
    );
    let (mut store, i) = thrower(Strategy::Auto);
    let catch = i.get_typed_func::<i32, i32>(&mut store, "catch").unwrap();
    assert_eq!(catch.call(&mut store, 4).unwrap(), 4);
    // Traps are not exceptions: `catch_all` does not catch them.
    let engine = Engine::default();
    let m = Module::new(
        &engine,
        r#"(module (func (export "f")
             (block $h (try_table (catch_all $h) (unreachable)))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    let err = i
        .get_func(&store, "f")
        .unwrap()
        .call(&mut store, &[], &mut []);
    assert_eq!(err.unwrap_err().trap_code(), Some(TrapCode::Unreachable));
}

/// A guest that throws and catches forever runs in constant memory (each
/// caught exception is freed); one that keeps references to its
/// exceptions stops at the store's limit with an error, not an abort.
#[test]
fn exception_objects_cannot_exhaust_the_host() {
    let engine = Engine::default();
    let m = Module::new(
        &engine,
        r#"(module
          (tag $e (param i32))
          (table $keep 1 exnref)
          (func (export "plain") (param i32)
            (loop $l
              (block $h (result i32)
                (try_table (catch $e $h) (throw $e (local.get 0)))
                (unreachable))
              (drop)
              (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))
          (func (export "keep") (param i32) (local exnref)
            (loop $l
              (block $h (result exnref)
                (try_table (catch_all_ref $h) (throw $e (local.get 0)))
                (unreachable))
              (local.set 1)
              (table.set $keep (i32.const 0) (local.get 1))
              (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    let plain = i.get_typed_func::<i32, ()>(&mut store, "plain").unwrap();
    // More than the limit of live objects: each one is freed when caught.
    plain.call(&mut store, 1_100_000).unwrap();
    let keep = i.get_typed_func::<i32, ()>(&mut store, "keep").unwrap();
    let err = keep.call(&mut store, 1_100_000).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Limit(_)),
        "expected a limit error, got {err:?}"
    );
    assert!(err.to_string().contains("exception objects"), "{err}");
}

/// A legacy `catch` block holds its exception for `rethrow`: a handler
/// inside the block that catches the same exception (rethrown) without a
/// reference must not free it, or the block's own `rethrow` would throw a
/// freed (or reused) object.
#[test]
fn a_held_exception_outlives_an_inner_catch() {
    let engine = Engine::default();
    let m = Module::new(
        &engine,
        r#"(module
          (tag $e (param i32))
          (func (export "run") (result i32)
            (block $out (result i32)
              (try_table (catch $e $out)
                (try
                  (do (throw $e (i32.const 11)))
                  (catch $e
                    (drop)
                    ;; The held exception, rethrown and caught inside.
                    (block $h (try_table (catch_all $h) (rethrow 2)))
                    ;; Another exception, thrown and caught: it would take
                    ;; the freed object's place.
                    (block $h2 (result i32)
                      (try_table (catch $e $h2) (throw $e (i32.const 99)))
                      (unreachable))
                    (drop)
                    (rethrow 0))))
              (unreachable))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    let run = i.get_typed_func::<(), i32>(&mut store, "run").unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), 11);
}

/// Legacy handlers in a loop free what they catch however the catch block
/// is left: at its end, by a branch out of it, or by a rethrow that an
/// outer handler catches. More iterations than the store's limit of live
/// exceptions, so a leak would fail with a limit error.
#[test]
fn legacy_catch_blocks_free_their_exceptions() {
    let engine = Engine::default();
    let m = Module::new(
        &engine,
        r#"(module
          (tag $e (param i32))
          (func (export "end") (param i32)
            (loop $l
              (try (do (throw $e (local.get 0))) (catch $e (drop)))
              (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))
          (func (export "branch") (param i32)
            (loop $l
              (block $out
                (try (do (throw $e (local.get 0))) (catch_all (br $out))))
              (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))
          (func (export "rethrow") (param i32)
            (loop $l
              (block $h (result i32)
                (try_table (catch $e $h)
                  (try (do (throw $e (local.get 0))) (catch_all (rethrow 0))))
                (unreachable))
              (drop)
              (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    for name in ["end", "branch", "rethrow"] {
        let f = i.get_typed_func::<i32, ()>(&mut store, name).unwrap();
        f.call(&mut store, 1_100_000)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// interpreted (catches) → compiled (no exceptions, so `Auto` compiles it)
/// → interpreted (throws): the compiled frame passes the exception
/// through, and the handler beyond it catches it.
#[test]
fn exceptions_cross_compiled_frames() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let inner = Module::new(
        &engine,
        r#"(module (tag $e (export "e") (param i32))
             (func (export "throw") (param i32) (throw $e (local.get 0))))"#,
    )
    .unwrap();
    let a = linker.instantiate(&mut store, &inner).unwrap();
    linker.instance(&mut store, "a", a).unwrap();
    let mid = Module::new(
        &engine,
        r#"(module (import "a" "throw" (func $t (param i32)))
             (func (export "mid") (param i32) (call $t (i32.add (local.get 0) (i32.const 1)))))"#,
    )
    .unwrap();
    if Strategy::Auto.resolve() == Strategy::Compiler {
        assert!(
            !mid.compiled_functions().is_empty(),
            "a module without exceptions compiles"
        );
        assert!(
            inner.compiled_functions().is_empty(),
            "a module that throws runs on the interpreter"
        );
    }
    let b = linker.instantiate(&mut store, &mid).unwrap();
    linker.instance(&mut store, "b", b).unwrap();
    let outer = Module::new(
        &engine,
        r#"(module (import "a" "e" (tag $e (param i32)))
             (import "b" "mid" (func $mid (param i32)))
             (func (export "run") (param i32) (result i32)
               (block $h (result i32)
                 (try_table (catch $e $h) (call $mid (local.get 0)))
                 (i32.const -1))))"#,
    )
    .unwrap();
    let c = linker.instantiate(&mut store, &outer).unwrap();
    let run = c.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
    assert_eq!(run.call(&mut store, 41).unwrap(), 42);
}

/// A guest that throws and catches forever is stopped by fuel and by the
/// epoch deadline like any other loop.
#[test]
fn a_throwing_loop_runs_out_of_fuel_and_time() {
    let src = r#"(module (tag $e)
      (func (export "spin")
        (loop $l
          (block $h (try_table (catch $e $h) (throw $e)))
          (try (do (throw $e)) (catch_all))
          (br $l))))"#;
    let mut c = Config::new();
    c.consume_fuel(true);
    let engine = Engine::new(&c);
    let m = Module::new(&engine, src).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_fuel(1_000_000).unwrap();
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    let spin = i.get_typed_func::<(), ()>(&mut store, "spin").unwrap();
    let err = spin.call(&mut store, ()).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::OutOfFuel), "{err}");

    let mut c = Config::new();
    c.epoch_interruption(true);
    let engine = Engine::new(&c);
    let m = Module::new(&engine, src).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_epoch_deadline(1);
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    let spin = i.get_typed_func::<(), ()>(&mut store, "spin").unwrap();
    let ticker = {
        let engine = engine.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            engine.increment_epoch();
        })
    };
    let err = spin.call(&mut store, ()).unwrap_err();
    ticker.join().unwrap();
    assert_eq!(err.trap_code(), Some(TrapCode::Interrupted), "{err}");
}

/// A `br_table` out of nested legacy `catch` blocks: each target releases
/// the exceptions of the blocks it leaves (so a loop of them leaks
/// nothing), and a table of many targets out of many blocks, which would
/// translate to targets times blocks instructions, is refused with an
/// error instead of exhausting the host's memory (200,000 targets out of
/// 20,000 blocks, a 680 KB module, took minutes and gigabytes).
#[test]
fn branch_tables_out_of_nested_catch_blocks_release_and_are_bounded() {
    let nested = |c: usize, targets: &str| {
        format!(
            "(module (tag $e)
              (func (export \"f\") (param i32) (result i32)
                (block $b0 (block $b1 (block $b2
                  {}(br_table {targets} (local.get 0)){}
                ) (return (i32.const 12))) (return (i32.const 11))) (i32.const 10)))",
            "(try (do (throw $e)) (catch_all\n".repeat(c),
            "))".repeat(c),
        )
    };
    let engine = Engine::default();
    let c = 40;
    let m = Module::new(&engine, nested(c, &format!("{} {} {}", c, c + 1, c + 2))).unwrap();
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    let f = i.get_typed_func::<i32, i32>(&mut store, "f").unwrap();
    for k in 0..30_000 {
        assert_eq!(f.call(&mut store, k % 4).unwrap(), 12 - (k % 4).min(2));
    }

    let start = std::time::Instant::now();
    let c = 20_000;
    let targets = vec![c.to_string(); 200_000].join(" ");
    let m = Module::new(&engine, nested(c, &targets)).unwrap();
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    let f = i.get_typed_func::<i32, i32>(&mut store, "f").unwrap();
    let err = f.call(&mut store, 0).unwrap_err().to_string();
    assert!(err.contains("too large to translate"), "{err}");
    let elapsed = start.elapsed();
    assert!(elapsed < std::time::Duration::from_secs(30), "{elapsed:?}");
}
