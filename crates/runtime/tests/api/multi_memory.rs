//! Multi-memory (Wasm 3.0) in the interpreter: memory 0 stays in the
//! handlers' registers, every other memory is reached by its index.

use nanowasm_runtime::{
    Config, Engine, Instance, Limits, Linker, Memory, MemoryType, Module, Store, TrapCode,
};

const TWO: &str = r#"(module
  (memory $a (export "a") 1)
  (memory $b (export "b") 1 3)
  (data (memory $b) (i32.const 16) "\2a")
  (func (export "load_b") (param i32) (result i32) (i32.load8_u $b (local.get 0)))
  (func (export "store_a") (param i32 i32) (i32.store8 $a (local.get 0) (local.get 1)))
  (func (export "store_b") (param i32 i32) (i32.store8 $b (local.get 0) (local.get 1)))
  (func (export "load_a") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "copy_b_to_a") (param i32 i32 i32)
    (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill_b") (param i32 i32 i32)
    (memory.fill $b (local.get 0) (local.get 1) (local.get 2)))
  (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0)))
  (func (export "sizes") (result i32 i32) (memory.size $a) (memory.size $b))
  (func (export "v128_b") (param i32) (result i64)
    (i64x2.extract_lane 0 (v128.load $b (local.get 0)))))"#;

fn engine() -> Engine {
    let mut config = Config::new();
    config.wasm_multi_memory(true);
    Engine::new(&config)
}

/// [`TWO`] instantiated in a new store.
fn two_memories() -> (Store<()>, Instance) {
    let engine = engine();
    let module = Module::new(&engine, TWO).unwrap();
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    (store, i)
}

#[test]
fn loads_stores_copies_across_memories() {
    let (mut store, i) = two_memories();
    let f2 = |store: &mut Store<()>, n| i.get_typed_func::<(i32, i32), ()>(&mut *store, n).unwrap();
    let f1 = |store: &mut Store<()>, n| i.get_typed_func::<i32, i32>(&mut *store, n).unwrap();
    assert_eq!(f1(&mut store, "load_b").call(&mut store, 16).unwrap(), 42);
    assert_eq!(f1(&mut store, "load_a").call(&mut store, 16).unwrap(), 0);
    f2(&mut store, "store_a").call(&mut store, (5, 7)).unwrap();
    f2(&mut store, "store_b").call(&mut store, (5, 9)).unwrap();
    assert_eq!(f1(&mut store, "load_a").call(&mut store, 5).unwrap(), 7);
    assert_eq!(f1(&mut store, "load_b").call(&mut store, 5).unwrap(), 9);
    let copy = i
        .get_typed_func::<(i32, i32, i32), ()>(&mut store, "copy_b_to_a")
        .unwrap();
    copy.call(&mut store, (100, 5, 12)).unwrap();
    assert_eq!(f1(&mut store, "load_a").call(&mut store, 100).unwrap(), 9);
    assert_eq!(f1(&mut store, "load_a").call(&mut store, 111).unwrap(), 42);
    let fill = i
        .get_typed_func::<(i32, i32, i32), ()>(&mut store, "fill_b")
        .unwrap();
    fill.call(&mut store, (0, 0xee, 4)).unwrap();
    assert_eq!(f1(&mut store, "load_b").call(&mut store, 3).unwrap(), 0xee);
    assert_eq!(f1(&mut store, "load_a").call(&mut store, 3).unwrap(), 0);
    let v = i.get_typed_func::<i32, i64>(&mut store, "v128_b").unwrap();
    assert_eq!(v.call(&mut store, 0).unwrap() as u64, 0x0000_0900_eeee_eeee);
    // The host sees the same bytes through the exports.
    let b = i.get_memory(&mut store, "b").unwrap();
    assert_eq!(b.data(&store).unwrap()[16], 42);
}

#[test]
fn growing_another_memory_leaves_memory_0_alone() {
    let (mut store, i) = two_memories();
    let store_a = i
        .get_typed_func::<(i32, i32), ()>(&mut store, "store_a")
        .unwrap();
    let load_a = i.get_typed_func::<i32, i32>(&mut store, "load_a").unwrap();
    let load_b = i.get_typed_func::<i32, i32>(&mut store, "load_b").unwrap();
    let grow_b = i.get_typed_func::<i32, i32>(&mut store, "grow_b").unwrap();
    let sizes = i
        .get_typed_func::<(), (i32, i32)>(&mut store, "sizes")
        .unwrap();
    store_a.call(&mut store, (65535, 1)).unwrap();
    assert_eq!(grow_b.call(&mut store, 2).unwrap(), 1);
    assert_eq!(sizes.call(&mut store, ()).unwrap(), (1, 3));
    // Past its maximum: -1, nothing changes.
    assert_eq!(grow_b.call(&mut store, 1).unwrap(), -1);
    assert_eq!(load_b.call(&mut store, 3 * 65536 - 1).unwrap(), 0);
    assert_eq!(load_b.call(&mut store, 16).unwrap(), 42);
    // Memory 0 is still one page, its bounds checked as before.
    assert_eq!(load_a.call(&mut store, 65535).unwrap(), 1);
    let e = load_a.call(&mut store, 65536).unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::MemoryOutOfBounds), "{e}");
}

#[test]
fn out_of_bounds_on_another_memory_traps() {
    let (mut store, i) = two_memories();
    let load_b = i.get_typed_func::<i32, i32>(&mut store, "load_b").unwrap();
    let copy = i
        .get_typed_func::<(i32, i32, i32), ()>(&mut store, "copy_b_to_a")
        .unwrap();
    for (what, e) in [
        ("load", load_b.call(&mut store, 65536).unwrap_err()),
        ("copy", copy.call(&mut store, (0, 65530, 7)).unwrap_err()),
    ] {
        assert_eq!(
            e.trap_code(),
            Some(TrapCode::MemoryOutOfBounds),
            "{what}: {e}"
        );
    }
}

/// Memories imported from another instance, two of them the same memory.
#[test]
fn imported_memories() {
    let engine = engine();
    let mut store = Store::new(&engine, ());
    let ty = MemoryType {
        limits: Limits { min: 1, max: None },
        memory64: false,
        shared: false,
    };
    let shared = Memory::new(&mut store, ty).unwrap();
    let module = Module::new(
        &engine,
        r#"(module
          (memory $x (import "env" "m") 1)
          (memory $y (import "env" "m") 1)
          (memory $own 1)
          (func (export "run") (result i32)
            (i32.store $x (i32.const 0) (i32.const 1234))
            (memory.copy $own $y (i32.const 8) (i32.const 0) (i32.const 4))
            (memory.copy $y $x (i32.const 4) (i32.const 0) (i32.const 4))
            (i32.add (i32.load $own (i32.const 8)) (i32.load $y (i32.const 4)))))"#,
    )
    .unwrap();
    let mut linker = Linker::new(&engine);
    linker.define("env", "m", shared).unwrap();
    let i = linker.instantiate(&mut store, &module).unwrap();
    let run = i.get_typed_func::<(), i32>(&mut store, "run").unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), 2468);
    assert_eq!(
        &shared.data(&store).unwrap()[..8],
        &[210, 4, 0, 0, 210, 4, 0, 0]
    );
}

#[test]
fn several_memories_need_the_feature() {
    // On by default (as in wasmtime); turned off here.
    let mut config = Config::new();
    config.wasm_multi_memory(false);
    let e = Module::new(&Engine::new(&config), TWO).unwrap_err();
    assert!(e.to_string().contains("multi-memory"), "{e}");
}
