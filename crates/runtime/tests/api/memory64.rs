//! memory64 and table64 (Wasm 3.0): 64-bit addresses, lengths and table
//! indices in every back end, and the 4 GiB that a 64-bit memory gets at
//! most. The attacks: addresses and offsets at or past 2^32 and near 2^64,
//! whose sums must trap rather than wrap into the memory.

use nanowasm_runtime::*;

/// The interpreter and, where it is built, the compiler with guard regions
/// and with explicit checks.
fn engines() -> Vec<(&'static str, Engine)> {
    let make = |strategy, bounds| {
        let mut c = Config::new();
        c.strategy(strategy).memory_bounds(bounds);
        Engine::new(&c)
    };
    let mut v = vec![(
        "interpreter",
        make(Strategy::Interpreter, MemoryBounds::Auto),
    )];
    if Strategy::Auto.resolve() == Strategy::Compiler {
        v.push((
            "compiler",
            make(Strategy::Compiler, MemoryBounds::GuardRegions),
        ));
        v.push((
            "compiler-explicit",
            make(Strategy::Compiler, MemoryBounds::Explicit),
        ));
    }
    v
}

const MEM: &str = r#"(module
  (memory (export "mem") i64 1 70000)
  (func (export "load") (param i64) (result i32) (i32.load8_u (local.get 0)))
  (func (export "load_far") (param i64) (result i32)
    (i32.load8_u offset=0xffffffffffffffff (local.get 0)))
  (func (export "load_4g") (param i64) (result i32)
    (i32.load8_u offset=0x100000000 (local.get 0)))
  (func (export "load64") (param i64) (result i64) (i64.load offset=8 (local.get 0)))
  (func (export "store") (param i64 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "store_far") (param i64 i32)
    (i32.store8 offset=1 (local.get 0) (local.get 1)))
  (func (export "store_v128") (param i64)
    (v128.store offset=4 (local.get 0) (v128.const i64x2 -1 -1)))
  (func (export "size") (result i64) (memory.size))
  (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
  (func (export "fill") (param i64 i32 i64)
    (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i64 i64 i64)
    (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (data $d "xyz")
  (func (export "init") (param i64 i32 i32)
    (memory.init $d (local.get 0) (local.get 1) (local.get 2))))"#;

struct Mem {
    store: Store<()>,
    instance: Instance,
}

impl Mem {
    fn new(engine: &Engine) -> Mem {
        let module = Module::new(engine, MEM).unwrap();
        let mut store = Store::new(engine, ());
        let instance = Linker::new(engine)
            .instantiate(&mut store, &module)
            .unwrap();
        Mem { store, instance }
    }

    fn call(&mut self, name: &str, args: &[Val]) -> Result<Option<Val>, Error> {
        let f = self.instance.get_func(&self.store, name).unwrap();
        let n = f.ty(&self.store).unwrap().results().len();
        let mut out = vec![Val::I32(0); n];
        f.call(&mut self.store, args, &mut out)?;
        Ok(out.pop())
    }

    fn traps(&mut self, name: &str, args: &[Val], code: TrapCode, what: &str) {
        let err = self.call(name, args).expect_err(what);
        assert_eq!(err.as_trap().map(|t| t.code), Some(code), "{what}: {err}");
    }

    fn bytes(&self) -> Vec<u8> {
        let m = self.instance.get_memory(&self.store, "mem").unwrap();
        m.data(&self.store).unwrap().to_vec()
    }
}

#[test]
fn addresses_past_the_memory_trap_and_never_wrap() {
    let oob = TrapCode::MemoryOutOfBounds;
    for (name, engine) in engines() {
        let mut m = Mem::new(&engine);
        m.call("store", &[Val::I64(65535), Val::I32(7)]).unwrap();
        assert_eq!(
            m.call("load", &[Val::I64(65535)]).unwrap(),
            Some(Val::I32(7)),
            "{name}"
        );
        for addr in [65536, 1 << 32, (1 << 32) + 5, i64::MAX, -1, -8] {
            m.traps(
                "load",
                &[Val::I64(addr)],
                oob,
                &format!("{name}: load {addr:#x}"),
            );
            m.traps(
                "load64",
                &[Val::I64(addr)],
                oob,
                &format!("{name}: i64.load {addr:#x}"),
            );
        }
        // An 8-byte access that straddles the end.
        m.traps("load64", &[Val::I64(65536 - 15)], oob, name);
        assert_eq!(
            m.call("load64", &[Val::I64(65536 - 16)]).unwrap(),
            Some(Val::I64(7 << 56))
        );
        // Offsets at and past 2^32, and 2^64 - 1: the sums carry out of 64
        // bits or land past 4 GiB; neither may reach byte 0.
        m.traps("load_far", &[Val::I64(0)], oob, name);
        m.traps("load_far", &[Val::I64(1)], oob, name);
        m.traps("load_4g", &[Val::I64(0)], oob, name);
        m.traps("load_4g", &[Val::I64(-(1 << 32))], oob, name);
        m.traps("store_far", &[Val::I64(-1), Val::I32(9)], oob, name);
        m.traps("store_v128", &[Val::I64(-4)], oob, name);
        m.traps("store_v128", &[Val::I64(65536 - 19)], oob, name);
        let bytes = m.bytes();
        assert_eq!(bytes[0], 0, "{name}: a wrapped store reached byte 0");
        assert!(bytes[..65535].iter().all(|&b| b == 0), "{name}");
    }
}

#[test]
fn sizes_and_grows_are_i64_and_stop_at_4gib() {
    for (name, engine) in engines() {
        let mut m = Mem::new(&engine);
        assert_eq!(m.call("size", &[]).unwrap(), Some(Val::I64(1)), "{name}");
        assert_eq!(
            m.call("grow", &[Val::I64(2)]).unwrap(),
            Some(Val::I64(1)),
            "{name}"
        );
        assert_eq!(m.call("size", &[]).unwrap(), Some(Val::I64(3)), "{name}");
        // Past 4 GiB (65536 pages; the declared maximum is 70000), by a
        // delta of 2^32 and more, and by 2^64 - 1: -1 as an i64, no trap.
        for delta in [65534, 1 << 32, (1 << 32) + 1, i64::MAX, -1] {
            assert_eq!(
                m.call("grow", &[Val::I64(delta)]).unwrap(),
                Some(Val::I64(-1)),
                "{name}: grow by {delta:#x}"
            );
        }
        assert_eq!(m.call("size", &[]).unwrap(), Some(Val::I64(3)), "{name}");
        // The memory still works after the refused grows.
        m.call("store", &[Val::I64(3 * 65536 - 1), Val::I32(1)])
            .unwrap();
    }
}

#[test]
fn bulk_operations_take_64_bit_addresses_and_lengths() {
    let oob = TrapCode::MemoryOutOfBounds;
    for (name, engine) in engines() {
        let mut m = Mem::new(&engine);
        m.call("fill", &[Val::I64(10), Val::I32(0xab), Val::I64(4)])
            .unwrap();
        m.call("copy", &[Val::I64(100), Val::I64(10), Val::I64(4)])
            .unwrap();
        m.call("init", &[Val::I64(200), Val::I32(0), Val::I32(3)])
            .unwrap();
        let bytes = m.bytes();
        assert_eq!(&bytes[100..105], &[0xab, 0xab, 0xab, 0xab, 0], "{name}");
        assert_eq!(&bytes[200..203], b"xyz", "{name}");
        // A zero length at the end is fine; one past it, or an address or
        // length of 2^32 and more (which a 32-bit view would wrap), traps.
        m.call("fill", &[Val::I64(65536), Val::I32(1), Val::I64(0)])
            .unwrap();
        for (d, n) in [
            (65537, 0),
            (1 << 32, 0),
            (0, 1 << 32),
            (0, (1 << 32) + 1),
            (-1, 2),
        ] {
            let what = format!("{name}: fill {d:#x} {n:#x}");
            m.traps("fill", &[Val::I64(d), Val::I32(1), Val::I64(n)], oob, &what);
            let what = format!("{name}: copy {d:#x} {n:#x}");
            m.traps("copy", &[Val::I64(d), Val::I64(0), Val::I64(n)], oob, &what);
            m.traps("copy", &[Val::I64(0), Val::I64(d), Val::I64(n)], oob, &what);
        }
        m.traps(
            "init",
            &[Val::I64(1 << 32), Val::I32(0), Val::I32(0)],
            oob,
            name,
        );
        let bytes = m.bytes();
        assert_eq!(bytes[0], 0, "{name}: a wrapped fill reached byte 0");
    }
}

#[test]
fn a_memory_above_4gib_is_refused_as_a_limit() {
    for (name, engine) in engines() {
        // Valid (up to 2^48 pages may be declared), but more than any
        // memory nanowasm gives.
        let module = Module::new(&engine, "(module (memory i64 65537))").unwrap();
        let mut store = Store::new(&engine, ());
        let err = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Limit(_)), "{name}: {err:?}");
        assert!(err.to_string().contains("4 GiB"), "{name}: {err}");
        // More than 2^48 pages is invalid.
        let err = Module::new(&engine, "(module (memory i64 0x1000000000001))").unwrap_err();
        assert!(err.to_string().contains("2^48"), "{name}: {err}");
    }
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let ty = |min| MemoryType {
        limits: Limits {
            min,
            max: Some(1 << 48),
        },
        memory64: true,
        shared: false,
    };
    let err = Memory::new(&mut store, ty(65537)).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Limit(_)), "{err:?}");
    let m = Memory::new(&mut store, ty(1)).unwrap();
    assert!(m.ty(&store).unwrap().memory64);
    // A 32-bit memory's type above 4 GiB is no type at all.
    let err = Memory::new(
        &mut store,
        MemoryType {
            memory64: false,
            ..ty(65537)
        },
    )
    .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Usage(_)), "{err:?}");
}

#[test]
fn imports_must_agree_on_the_address_type() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let m32 = Memory::new(
        &mut store,
        MemoryType {
            limits: Limits { min: 1, max: None },
            memory64: false,
            shared: false,
        },
    )
    .unwrap();
    let t64 = Table::new(
        &mut store,
        TableType {
            element: RefType::FUNCREF,
            limits: Limits { min: 1, max: None },
            table64: true,
        },
        Val::FuncRef(None),
    )
    .unwrap();
    let mut linker = Linker::new(&engine);
    linker.define("env", "m", m32).unwrap();
    linker.define("env", "t", t64).unwrap();
    for (src, why) in [
        (r#"(module (import "env" "m" (memory i64 1)))"#, "memory"),
        (r#"(module (import "env" "t" (table 1 funcref)))"#, "table"),
    ] {
        let module = Module::new(&engine, src).unwrap();
        let err = linker.instantiate(&mut store, &module).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Link(_)), "{why}: {err:?}");
    }
    for src in [
        r#"(module (import "env" "m" (memory 1)))"#,
        r#"(module (import "env" "t" (table i64 1 funcref)))"#,
    ] {
        let module = Module::new(&engine, src).unwrap();
        linker.instantiate(&mut store, &module).unwrap();
    }
}

const TABLE: &str = r#"(module
  (type $t (func (result i32)))
  (table $tab i64 3 10 funcref)
  (func $a (result i32) (i32.const 11))
  (func $b (result i32) (i32.const 22))
  (elem (table $tab) (i64.const 1) func $a $b)
  (func (export "call") (param i64) (result i32) (call_indirect $tab (type $t) (local.get 0)))
  (func (export "tail") (param i64) (result i32)
    (return_call_indirect $tab (type $t) (local.get 0)))
  (func (export "is_null") (param i64) (result i32) (ref.is_null (table.get $tab (local.get 0))))
  (func (export "set_null") (param i64) (table.set $tab (local.get 0) (ref.null func)))
  (func (export "size") (result i64) (table.size $tab))
  (func (export "grow") (param i64) (result i64) (table.grow $tab (ref.null func) (local.get 0)))
  (func (export "fill") (param i64 i64) (table.fill $tab (local.get 0) (ref.func $a) (local.get 1)))
  (func (export "copy") (param i64 i64 i64)
    (table.copy $tab $tab (local.get 0) (local.get 1) (local.get 2))))"#;

#[test]
fn table64_indices_in_every_back_end() {
    let oob = TrapCode::TableOutOfBounds;
    for (name, engine) in engines() {
        let module = Module::new(&engine, TABLE).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let mut m = Mem { store, instance };
        for f in ["call", "tail"] {
            assert_eq!(
                m.call(f, &[Val::I64(1)]).unwrap(),
                Some(Val::I32(11)),
                "{name}"
            );
            assert_eq!(
                m.call(f, &[Val::I64(2)]).unwrap(),
                Some(Val::I32(22)),
                "{name}"
            );
            m.traps(f, &[Val::I64(0)], TrapCode::UninitializedElement, name);
            // 2^32 + 1 must not wrap to element 1.
            for i in [3, 1 << 32, (1 << 32) + 1, i64::MAX, -1] {
                let what = format!("{name}: {f} {i:#x}");
                m.traps(f, &[Val::I64(i)], TrapCode::UndefinedElement, &what);
            }
        }
        assert_eq!(
            m.call("is_null", &[Val::I64(1)]).unwrap(),
            Some(Val::I32(0))
        );
        for i in [3, (1 << 32) + 1, -1] {
            m.traps("is_null", &[Val::I64(i)], oob, name);
            m.traps("set_null", &[Val::I64(i)], oob, name);
        }
        assert_eq!(m.call("size", &[]).unwrap(), Some(Val::I64(3)), "{name}");
        assert_eq!(
            m.call("grow", &[Val::I64(2)]).unwrap(),
            Some(Val::I64(3)),
            "{name}"
        );
        for delta in [6, 1 << 32, -1] {
            let what = format!("{name}: grow {delta:#x}");
            assert_eq!(
                m.call("grow", &[Val::I64(delta)]).unwrap(),
                Some(Val::I64(-1)),
                "{what}"
            );
        }
        m.call("fill", &[Val::I64(3), Val::I64(2)]).unwrap();
        assert_eq!(
            m.call("call", &[Val::I64(4)]).unwrap(),
            Some(Val::I32(11)),
            "{name}"
        );
        m.call("fill", &[Val::I64(5), Val::I64(0)]).unwrap();
        for (d, n) in [(6, 0), (1 << 32, 0), (0, 1 << 32), (-1, 1)] {
            m.traps("fill", &[Val::I64(d), Val::I64(n)], oob, name);
            m.traps("copy", &[Val::I64(d), Val::I64(0), Val::I64(n)], oob, name);
            m.traps("copy", &[Val::I64(0), Val::I64(d), Val::I64(n)], oob, name);
        }
        m.call("copy", &[Val::I64(0), Val::I64(2), Val::I64(1)])
            .unwrap();
        assert_eq!(
            m.call("call", &[Val::I64(0)]).unwrap(),
            Some(Val::I32(22)),
            "{name}"
        );
    }
}

#[test]
fn memory64_can_be_turned_off() {
    let mut c = Config::new();
    c.wasm_memory64(false);
    let engine = Engine::new(&c);
    for src in ["(module (memory i64 1))", "(module (table i64 1 funcref))"] {
        let err = Module::new(&engine, src).unwrap_err();
        assert!(err.to_string().contains("memory64"), "{err}");
    }
    Module::new(&Engine::default(), "(module (memory i64 1))").unwrap();
}
