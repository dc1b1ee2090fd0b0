//! Multi-memory, the edges `multi_memory.rs` leaves out: every access
//! width and the SIMD lane forms on memory 1, bulk operations in both
//! directions and within memory 1, `memory.init` into memory 1, every bulk
//! operation out of bounds on memory 1 (writing nothing), growing memory 1
//! in a loop that reads memory 0, and one memory imported as memories 0
//! and 1 (a grow through one index must move the other).

use super::*;

fn mm_engine() -> Engine {
    let mut config = Config::new();
    config.wasm_multi_memory(true);
    Engine::new(&config)
}

const TWO: &str = r#"(module
    (memory $a (export "a") 1)
    (memory $b (export "b") 1 4)
    (data $d "\01\02\03\04\05\06\07\08")
    (func (export "load_a") (param i32) (result i32) (i32.load $a (local.get 0)))
    (func (export "load_b") (param i32) (result i32) (i32.load $b (local.get 0)))
    (func (export "load8_b") (param i32) (result i32) (i32.load8_u $b offset=1 (local.get 0)))
    (func (export "load64_b") (param i32) (result i64) (i64.load $b (local.get 0)))
    (func (export "store_a") (param i32 i32) (i32.store $a (local.get 0) (local.get 1)))
    (func (export "store_b") (param i32 i32) (i32.store $b (local.get 0) (local.get 1)))
    (func (export "store16_b") (param i32 i32) (i32.store16 $b offset=2 (local.get 0) (local.get 1)))
    (func (export "size_a") (result i32) (memory.size $a))
    (func (export "size_b") (result i32) (memory.size $b))
    (func (export "grow_a") (param i32) (result i32) (memory.grow $a (local.get 0)))
    (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0)))
    (func (export "fill_b") (param i32 i32 i32)
        (memory.fill $b (local.get 0) (local.get 1) (local.get 2)))
    (func (export "copy_a_to_b") (param i32 i32 i32)
        (memory.copy $b $a (local.get 0) (local.get 1) (local.get 2)))
    (func (export "copy_b_to_a") (param i32 i32 i32)
        (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2)))
    (func (export "copy_b_to_b") (param i32 i32 i32)
        (memory.copy $b $b (local.get 0) (local.get 1) (local.get 2)))
    (func (export "init_b") (param i32 i32 i32)
        (memory.init $b $d (local.get 0) (local.get 1) (local.get 2)))
    (func (export "lane_b") (param i32) (result i32)
        (v128.store32_lane $b 0 (i32.const 16)
            (v128.load8_lane $b offset=0 1 (local.get 0) (v128.const i32x4 0 0 0 0)))
        (i32.load $b (i32.const 16)))
    (func (export "v128_b") (param i32) (result i64)
        (v128.store $b offset=32 (i32.const 0) (v128.load $b (local.get 0)))
        (i64.load $b offset=32 (i32.const 0)))
    ;; Grows memory 1 in a loop while it sums loads of memory 0: memory 0's
    ;; registers must stay valid.
    (func (export "grow_b_while_loading_a") (param $n i32) (result i32) (local $sum i32)
        (block $done
            (loop $l
                (br_if $done (i32.eqz (local.get $n)))
                (drop (memory.grow $b (i32.const 1)))
                (local.set $sum (i32.add (local.get $sum) (i32.load $a (i32.const 0))))
                (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                (br $l)))
        (local.get $sum)))"#;

fn two(engine: &Engine) -> (Store<()>, Instance) {
    let m = module(engine, TWO);
    let mut store = Store::new(engine, ());
    let i = Instance::new(&mut store, &m, &[]).unwrap();
    (store, i)
}

fn func<P: WasmParams, R: WasmResults>(
    store: &mut Store<()>,
    i: &Instance,
    name: &str,
) -> TypedFunc<P, R> {
    i.get_typed_func::<P, R>(&mut *store, name).unwrap()
}

#[test]
fn loads_and_stores_reach_their_own_memory() {
    let engine = mm_engine();
    let (mut store, i) = two(&engine);
    func::<(i32, i32), ()>(&mut store, &i, "store_a")
        .call(&mut store, (8, 0x1111_1111))
        .unwrap();
    func::<(i32, i32), ()>(&mut store, &i, "store_b")
        .call(&mut store, (8, 0x2222_2222))
        .unwrap();
    func::<(i32, i32), ()>(&mut store, &i, "store16_b")
        .call(&mut store, (10, 0x3333))
        .unwrap();
    let load_a = func::<i32, i32>(&mut store, &i, "load_a");
    let load_b = func::<i32, i32>(&mut store, &i, "load_b");
    assert_eq!(load_a.call(&mut store, 8).unwrap(), 0x1111_1111);
    assert_eq!(load_b.call(&mut store, 8).unwrap(), 0x2222_2222);
    assert_eq!(load_b.call(&mut store, 12).unwrap(), 0x3333);
    assert_eq!(
        func::<i32, i32>(&mut store, &i, "load8_b")
            .call(&mut store, 8)
            .unwrap(),
        0x22
    );
    assert_eq!(
        func::<i32, i64>(&mut store, &i, "load64_b")
            .call(&mut store, 8)
            .unwrap(),
        0x3333_2222_2222
    );
    // The host sees the same bytes through the exports, by name.
    let a = i.get_memory(&store, "a").unwrap();
    let b = i.get_memory(&store, "b").unwrap();
    assert_eq!(&a.data(&store).unwrap()[8..12], &[0x11; 4]);
    assert_eq!(&b.data(&store).unwrap()[8..12], &[0x22; 4]);
}

#[test]
fn bulk_operations_between_memories() {
    let engine = mm_engine();
    let (mut store, i) = two(&engine);
    let load_a = func::<i32, i32>(&mut store, &i, "load_a");
    let load_b = func::<i32, i32>(&mut store, &i, "load_b");
    func::<(i32, i32, i32), ()>(&mut store, &i, "init_b")
        .call(&mut store, (100, 0, 8))
        .unwrap();
    assert_eq!(load_b.call(&mut store, 100).unwrap(), 0x0403_0201);
    assert_eq!(load_a.call(&mut store, 100).unwrap(), 0);
    func::<(i32, i32, i32), ()>(&mut store, &i, "copy_b_to_a")
        .call(&mut store, (200, 102, 4))
        .unwrap();
    assert_eq!(load_a.call(&mut store, 200).unwrap(), 0x0605_0403);
    func::<(i32, i32, i32), ()>(&mut store, &i, "copy_a_to_b")
        .call(&mut store, (300, 200, 4))
        .unwrap();
    assert_eq!(load_b.call(&mut store, 300).unwrap(), 0x0605_0403);
    // Overlapping, within memory 1.
    func::<(i32, i32, i32), ()>(&mut store, &i, "copy_b_to_b")
        .call(&mut store, (101, 100, 8))
        .unwrap();
    assert_eq!(load_b.call(&mut store, 100).unwrap(), 0x0302_0101);
    func::<(i32, i32, i32), ()>(&mut store, &i, "fill_b")
        .call(&mut store, (400, 0xab, 4))
        .unwrap();
    assert_eq!(
        load_b.call(&mut store, 400).unwrap(),
        0xabab_abab_u32 as i32
    );
    assert_eq!(load_a.call(&mut store, 400).unwrap(), 0);
}

#[test]
fn simd_accesses_on_memory_1() {
    let engine = mm_engine();
    let (mut store, i) = two(&engine);
    func::<(i32, i32, i32), ()>(&mut store, &i, "init_b")
        .call(&mut store, (0, 0, 8))
        .unwrap();
    // Byte 3 of memory 1 (4) into byte lane 1; the vector's first 32-bit
    // lane stored at 16 and read back.
    assert_eq!(
        func::<i32, i32>(&mut store, &i, "lane_b")
            .call(&mut store, 3)
            .unwrap(),
        0x0400
    );
    assert_eq!(
        func::<i32, i64>(&mut store, &i, "v128_b")
            .call(&mut store, 0)
            .unwrap(),
        0x0807_0605_0403_0201
    );
    assert_eq!(
        func::<i32, i32>(&mut store, &i, "lane_b")
            .call(&mut store, 65535)
            .unwrap(),
        0
    );
    assert_eq!(
        func::<i32, i32>(&mut store, &i, "lane_b")
            .call(&mut store, 65536)
            .unwrap_err()
            .trap_code(),
        Some(TrapCode::MemoryOutOfBounds)
    );
}

#[test]
fn growing_memory_1_leaves_memory_0_alone() {
    let engine = mm_engine();
    let (mut store, i) = two(&engine);
    func::<(i32, i32), ()>(&mut store, &i, "store_a")
        .call(&mut store, (0, 7))
        .unwrap();
    // Memory 1 may grow from 1 to 4 pages: three grows succeed, the rest
    // return -1; memory 0 keeps its size and contents throughout.
    let sum = func::<i32, i32>(&mut store, &i, "grow_b_while_loading_a");
    assert_eq!(sum.call(&mut store, 5).unwrap(), 35);
    assert_eq!(
        func::<(), i32>(&mut store, &i, "size_b")
            .call(&mut store, ())
            .unwrap(),
        4
    );
    assert_eq!(
        func::<(), i32>(&mut store, &i, "size_a")
            .call(&mut store, ())
            .unwrap(),
        1
    );
    assert_eq!(
        func::<i32, i32>(&mut store, &i, "grow_b")
            .call(&mut store, 1)
            .unwrap(),
        -1
    );
    // The new pages of memory 1 are addressable; memory 0's are not.
    let load_a = func::<i32, i32>(&mut store, &i, "load_a");
    let load_b = func::<i32, i32>(&mut store, &i, "load_b");
    assert_eq!(load_b.call(&mut store, 3 * 65536).unwrap(), 0);
    assert_eq!(
        load_a.call(&mut store, 65536).unwrap_err().trap_code(),
        Some(TrapCode::MemoryOutOfBounds)
    );
    // Growing memory 0 then works as before.
    assert_eq!(
        func::<i32, i32>(&mut store, &i, "grow_a")
            .call(&mut store, 1)
            .unwrap(),
        1
    );
    assert_eq!(load_a.call(&mut store, 65536).unwrap(), 0);
    assert_eq!(load_a.call(&mut store, 0).unwrap(), 7);
}

#[test]
fn out_of_bounds_on_memory_1_traps() {
    let engine = mm_engine();
    let (mut store, i) = two(&engine);
    let oob = Some(TrapCode::MemoryOutOfBounds);
    let load_b = func::<i32, i32>(&mut store, &i, "load_b");
    assert_eq!(load_b.call(&mut store, 65532).unwrap(), 0);
    assert_eq!(load_b.call(&mut store, 65533).unwrap_err().trap_code(), oob);
    assert_eq!(load_b.call(&mut store, -1).unwrap_err().trap_code(), oob);
    let load8 = func::<i32, i32>(&mut store, &i, "load8_b");
    assert_eq!(load8.call(&mut store, 65534).unwrap(), 0);
    assert_eq!(load8.call(&mut store, 65535).unwrap_err().trap_code(), oob);
    let store_b = func::<(i32, i32), ()>(&mut store, &i, "store_b");
    assert_eq!(
        store_b
            .call(&mut store, (65533, 1))
            .unwrap_err()
            .trap_code(),
        oob
    );
    let fill = func::<(i32, i32, i32), ()>(&mut store, &i, "fill_b");
    assert_eq!(
        fill.call(&mut store, (65535, 0, 2))
            .unwrap_err()
            .trap_code(),
        oob
    );
    let copy = func::<(i32, i32, i32), ()>(&mut store, &i, "copy_a_to_b");
    assert_eq!(
        copy.call(&mut store, (65535, 0, 2))
            .unwrap_err()
            .trap_code(),
        oob
    );
    let init = func::<(i32, i32, i32), ()>(&mut store, &i, "init_b");
    assert_eq!(
        init.call(&mut store, (65535, 0, 2))
            .unwrap_err()
            .trap_code(),
        oob
    );
    // Nothing was written by the failed operations.
    let b = i.get_memory(&store, "b").unwrap();
    assert!(b.data(&store).unwrap().iter().all(|&x| x == 0));
    // Memory 0 is unaffected and still in bounds at the same address.
    let load_a = func::<i32, i32>(&mut store, &i, "load_a");
    assert_eq!(load_a.call(&mut store, 65532).unwrap(), 0);
}

#[test]
fn one_memory_imported_as_memory_0_and_1() {
    let engine = mm_engine();
    let exporter = module(&engine, r#"(module (memory (export "m") 1 8))"#);
    let importer = module(
        &engine,
        r#"(module
            (import "e" "m" (memory $x 1 8))
            (import "e" "m" (memory $y 1 8))
            (func (export "grow_y_then_load_x") (param i32) (result i32)
                (drop (memory.grow $y (i32.const 1)))
                (i32.store $y (local.get 0) (i32.const 42))
                (i32.load $x (local.get 0)))
            (func (export "size_x") (result i32) (memory.size $x)))"#,
    );
    let mut store = Store::new(&engine, ());
    let e = Instance::new(&mut store, &exporter, &[]).unwrap();
    let m = e.get_memory(&store, "m").unwrap();
    let i = Instance::new(&mut store, &importer, &[m.into(), m.into()]).unwrap();
    // Growing through index 1 moves the memory index 0 names too: the
    // registers must follow, so the load through $x sees the new page.
    let f = i
        .get_typed_func::<i32, i32>(&mut store, "grow_y_then_load_x")
        .unwrap();
    assert_eq!(f.call(&mut store, 65536).unwrap(), 42);
    assert_eq!(f.call(&mut store, 2 * 65536).unwrap(), 42);
    let size = i.get_typed_func::<(), i32>(&mut store, "size_x").unwrap();
    assert_eq!(size.call(&mut store, ()).unwrap(), 3);
    assert_eq!(m.size(&store).unwrap(), 3);
}
