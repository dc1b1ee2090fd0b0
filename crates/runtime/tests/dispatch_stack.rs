//! The interpreter's handlers call each other in tail position, which the
//! compiler turns into jumps: the native stack must not grow with the
//! number of instructions executed. These loops run millions of calls of
//! the kinds whose slow paths leave the plain handler shape (host
//! functions, first calls, indirect calls, calls across instances) on a
//! thread with a small stack: if any of those paths stopped being a jump,
//! the stack would overflow and abort the test process.

use nanowasm_runtime::{Engine, Instance, Linker, Module, Store};

/// Runs `f` on a thread with a 256 KiB stack.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the loop ran on a small stack");
}

const ITERATIONS: i32 = 2_000_000;

#[test]
fn host_calls_in_a_loop_do_not_grow_the_native_stack() {
    on_small_stack(|| {
        let engine = Engine::default();
        let module = Module::new(
            &engine,
            r#"(module
                (import "h" "inc" (func $inc (param i32) (result i32)))
                (func (export "run") (param $n i32) (result i32)
                  (local $i i32) (local $acc i32)
                  (loop $l
                    (local.set $acc (call $inc (local.get $acc)))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
                  (local.get $acc)))"#,
        )
        .unwrap();
        let mut linker = Linker::<()>::new(&engine);
        linker.func_wrap("h", "inc", |x: i32| x + 1).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let run = instance
            .get_typed_func::<i32, i32>(&mut store, "run")
            .unwrap();
        assert_eq!(run.call(&mut store, ITERATIONS).unwrap(), ITERATIONS);
    });
}

#[test]
fn indirect_and_cross_instance_calls_in_a_loop_do_not_grow_the_native_stack() {
    on_small_stack(|| {
        let engine = Engine::default();
        let callee = Module::new(
            &engine,
            r#"(module (func (export "inc") (param i32) (result i32)
                 (i32.add (local.get 0) (i32.const 1))))"#,
        )
        .unwrap();
        let caller = Module::new(
            &engine,
            r#"(module
                (import "c" "inc" (func $inc (param i32) (result i32)))
                (type $t (func (param i32) (result i32)))
                (table 2 funcref)
                (elem (i32.const 0) $inc $local)
                (func $local (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
                (func (export "run") (param $n i32) (result i32)
                  (local $i i32) (local $acc i32)
                  (loop $l
                    ;; across instances, directly and through the table
                    (local.set $acc (call $inc (local.get $acc)))
                    (local.set $acc (call_indirect (type $t) (local.get $acc) (i32.const 0)))
                    ;; within the instance, through the table
                    (local.set $acc (call_indirect (type $t) (local.get $acc) (i32.const 1)))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
                  (local.get $acc)))"#,
        )
        .unwrap();
        let mut store = Store::new(&engine, ());
        let c = Instance::new(&mut store, &callee, &[]).unwrap();
        let inc = c.get_func(&mut store, "inc").unwrap();
        let i = Instance::new(&mut store, &caller, &[inc.into()]).unwrap();
        let run = i.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
        assert_eq!(run.call(&mut store, ITERATIONS).unwrap(), 3 * ITERATIONS);
    });
}
