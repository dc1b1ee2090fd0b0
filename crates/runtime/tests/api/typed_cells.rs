//! Typed calls pass values in cells, not `Val`s: `TypedFunc::call` into
//! compiled code, and typed host functions (`func_wrap`) called from either
//! back end. Every value type, a `v128` (two cells) between scalars, and
//! references, round trip; a reference of another store is refused.

use nanowasm_runtime::*;

use super::module;

/// `mix` calls the host's `mix` with its arguments and returns what it
/// returns; `refs` passes references through the host's `refs`.
const GUEST: &str = r#"(module
    (import "host" "mix" (func $mix (param i32 i64 v128 f32 f64) (result f64 v128 i32 i64 f32)))
    (import "host" "refs" (func $refs (param funcref externref) (result externref funcref)))
    (func $f (export "f") (result i32) (i32.const 5))
    (elem declare func $f)
    (func (export "mix") (param i32 i64 v128 f32 f64) (result f64 v128 i32 i64 f32)
        (call $mix (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
    (func (export "refs") (param externref) (result externref funcref)
        (call $refs (ref.func $f) (local.get 0))))"#;

fn linker(engine: &Engine, alien: Option<ExternRef>) -> Linker<()> {
    let mut linker = Linker::new(engine);
    linker
        .func_wrap(
            "host",
            "mix",
            |a: i32, b: i64, v: u128, x: f32, y: f64| -> (f64, u128, i32, i64, f32) {
                (y * 2.0, v.rotate_left(8), a.wrapping_neg(), b ^ 0x5555, -x)
            },
        )
        .unwrap();
    linker
        .func_wrap(
            "host",
            "refs",
            move |f: Option<Func>, e: Option<ExternRef>| -> (Option<ExternRef>, Option<Func>) {
                (alien.or(e), f)
            },
        )
        .unwrap();
    linker
}

#[test]
fn every_value_type_round_trips_through_typed_calls() {
    for strategy in [Strategy::Interpreter, Strategy::Compiler] {
        let engine = Engine::new(Config::new().strategy(strategy));
        let m = module(&engine, GUEST);
        let mut store = Store::new(&engine, ());
        let i = linker(&engine, None).instantiate(&mut store, &m).unwrap();
        let mix = i
            .get_typed_func::<(i32, i64, u128, f32, f64), (f64, u128, i32, i64, f32)>(
                &mut store, "mix",
            )
            .unwrap();
        let v = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210u128;
        let (y, w, a, b, x) = mix.call(&mut store, (7, -1, v, 1.5, -0.25)).unwrap();
        assert_eq!(
            (y, w, a, b, x),
            (-0.5, v.rotate_left(8), -7, !0x5555, -1.5),
            "{strategy:?}"
        );
        // NaN payloads pass unchanged (cells hold the bits).
        let nan = f64::from_bits(0x7ff4_0000_0000_0001);
        let (y, ..) = mix.call(&mut store, (0, 0, 0, f32::NAN, nan)).unwrap();
        assert!(y.is_nan(), "{strategy:?}");

        let refs = i
            .get_typed_func::<Option<ExternRef>, (Option<ExternRef>, Option<Func>)>(
                &mut store, "refs",
            )
            .unwrap();
        let e = ExternRef::new(&mut store, 41u32);
        let (back, f) = refs.call(&mut store, Some(e)).unwrap();
        let back = back.expect("the externref comes back");
        assert_eq!(back.data(&store).unwrap().downcast_ref::<u32>(), Some(&41));
        let f = f.expect("the funcref comes back");
        assert_eq!(
            f.typed::<(), i32>(&store)
                .unwrap()
                .call(&mut store, ())
                .unwrap(),
            5
        );
        let (none, _) = refs.call(&mut store, None).unwrap();
        assert!(none.is_none(), "{strategy:?}");

        // A reference of another store, as a typed argument: refused
        // before anything runs.
        let mut other = Store::new(&engine, ());
        let alien = ExternRef::new(&mut other, 1u32);
        let err = refs.call(&mut store, Some(alien)).unwrap_err();
        assert!(
            err.to_string().contains("wrong store"),
            "{strategy:?}: {err}"
        );
    }
}

#[test]
fn a_typed_host_function_returning_another_stores_reference_fails() {
    for strategy in [Strategy::Interpreter, Strategy::Compiler] {
        let engine = Engine::new(Config::new().strategy(strategy));
        let m = module(&engine, GUEST);
        let mut other = Store::new(&engine, ());
        let alien = ExternRef::new(&mut other, "secret");
        let mut store = Store::new(&engine, ());
        let i = linker(&engine, Some(alien))
            .instantiate(&mut store, &m)
            .unwrap();
        let refs = i
            .get_typed_func::<Option<ExternRef>, (Option<ExternRef>, Option<Func>)>(
                &mut store, "refs",
            )
            .unwrap();
        let err = refs.call(&mut store, None).unwrap_err();
        assert!(
            err.to_string().contains("wrong store"),
            "{strategy:?}: {err}"
        );
        // The store still works.
        let mix = i
            .get_typed_func::<(i32, i64, u128, f32, f64), (f64, u128, i32, i64, f32)>(
                &mut store, "mix",
            )
            .unwrap();
        assert_eq!(mix.call(&mut store, (1, 0, 0, 0.0, 1.0)).unwrap().2, -1);
    }
}

/// `Func::call_cells` and `Linker::func_new_cells`: the same answers as
/// values on both back ends, through a host function on cells; types
/// with references and too few cells are refused.
#[test]
fn calls_on_cells_match_calls_on_values() {
    const SRC: &str = r#"(module
        (import "host" "scale" (func $scale (param i64 f64 v128) (result v128 f64)))
        (func (export "run") (param i64 f64 v128) (result v128 f64)
            (call $scale (local.get 0) (local.get 1) (local.get 2)))
        (func (export "refs") (param externref) (result externref) (local.get 0)))"#;
    for strategy in [Strategy::Interpreter, Strategy::Compiler] {
        let engine = Engine::new(Config::new().strategy(strategy));
        let m = module(&engine, SRC);
        let mut linker = Linker::<()>::new(&engine);
        let ty = FuncType::new(
            [ValType::I64, ValType::F64, ValType::V128],
            [ValType::V128, ValType::F64],
        );
        linker
            .func_new_cells("host", "scale", ty, |_caller, cells| {
                // (k, x, v) -> (v * k lane-wise on the low lane, x * k)
                let (k, x) = (cells[0], f64::from_bits(cells[1]));
                let (lo, hi) = (cells[2], cells[3]);
                cells[0] = lo.wrapping_mul(k);
                cells[1] = hi;
                cells[2] = (x * k as f64).to_bits();
                Ok(())
            })
            .unwrap();
        // References cannot be defined on cells.
        let refs_ty = FuncType::new([ValType::EXTERNREF], []);
        assert!(linker
            .func_new_cells("host", "refs", refs_ty, |_, _| Ok(()))
            .is_err());
        let mut store = Store::new(&engine, ());
        let i = linker.instantiate(&mut store, &m).unwrap();
        let run = i.get_func(&store, "run").unwrap();
        let v = 0x0000_0000_0000_0007_0000_0000_0000_0003u128;
        let mut cells = [3, 2.5f64.to_bits(), v as u64, (v >> 64) as u64];
        run.call_cells(&mut store, &mut cells).unwrap();
        assert_eq!(cells[..3], [9, 7, 7.5f64.to_bits()], "{strategy:?}");
        let mut out = [Val::I32(0), Val::I32(0)];
        run.call(
            &mut store,
            &[Val::I64(3), Val::from(2.5f64), Val::V128(v)],
            &mut out,
        )
        .unwrap();
        assert_eq!(out[0], Val::V128(9 | (7u128 << 64)), "{strategy:?}");
        assert_eq!(out[1], Val::from(7.5f64), "{strategy:?}");
        // Too few cells, and a type with references: errors, nothing runs.
        let err = run.call_cells(&mut store, &mut [0; 3]).unwrap_err();
        assert!(err.to_string().contains("too few cells"), "{err}");
        let refs = i.get_func(&store, "refs").unwrap();
        let err = refs.call_cells(&mut store, &mut [0; 1]).unwrap_err();
        assert!(err.to_string().contains("cannot call"), "{err}");
    }
}

/// Compiled code keeps memory 0's and table 0's base and length across a
/// call into the host, and reads them again only when something was
/// resized: a host function that grows the caller's memory and table (so
/// their data may move), adds globals and functions, must leave the
/// caller seeing the new sizes and its globals, in every configuration.
#[test]
fn resizes_in_a_host_call_are_seen_by_the_caller() {
    const SRC: &str = r#"(module
        (import "host" "grow" (func $grow))
        (import "host" "add" (func $add))
        (memory (export "memory") 1)
        (table (export "table") 1 funcref)
        (global $g (mut i32) (i32.const 7))
        (type $r (func (result i32)))
        (func $nine (result i32) (i32.const 9))
        (func $seven (result i32) (i32.const 7))
        (elem (i32.const 0) $seven)
        (elem declare func $nine)
        (func (export "run") (result i32) (local $r i32)
            ;; Beyond the first page: out of bounds until the host grows it.
            (call $grow) ;; the memory
            (i32.store (i32.const 200000) (i32.const 5))
            (call $grow) ;; the table
            ;; Element 0 of the grown (maybe moved) table, read through
            ;; the context: $nine, not the $seven of before the move.
            (table.set (i32.const 0) (ref.func $nine))
            (local.set $r (call_indirect (type $r) (i32.const 0)))
            (call $add)
            (i32.add (local.get $r)
                (i32.add (i32.load (i32.const 200000)) (global.get $g)))))"#;
    for (strategy, bounds) in [
        (Strategy::Interpreter, MemoryBounds::Auto),
        (Strategy::Compiler, MemoryBounds::Auto),
        (Strategy::Compiler, MemoryBounds::Explicit),
    ] {
        let engine = Engine::new(Config::new().strategy(strategy).memory_bounds(bounds));
        let m = module(&engine, SRC);
        let mut linker = Linker::<()>::new(&engine);
        linker
            .func_wrap(
                "host",
                "grow",
                |mut caller: Caller<'_, ()>| -> Result<(), Error> {
                    let memory = caller.get_export("memory").and_then(Extern::into_memory);
                    let table = caller.get_export("table").and_then(Extern::into_table);
                    let (Some(memory), Some(table)) = (memory, table) else {
                        return Err(Error::host("no memory or table"));
                    };
                    if memory.size(&caller)? == 1 {
                        memory.grow(&mut caller, 7)?;
                    } else {
                        table.grow(&mut caller, 100, Val::FuncRef(None))?;
                    }
                    Ok(())
                },
            )
            .unwrap();
        linker
            .func_wrap(
                "host",
                "add",
                |mut caller: Caller<'_, ()>| -> Result<(), Error> {
                    // New globals and functions: their vectors may move.
                    for i in 0..64 {
                        let ty = GlobalType {
                            content: ValType::I64,
                            mutable: false,
                        };
                        Global::new(&mut caller, ty, Val::I64(i))?;
                        Func::wrap(&mut caller, move || i);
                    }
                    Ok(())
                },
            )
            .unwrap();
        let mut store = Store::new(&engine, ());
        let i = linker.instantiate(&mut store, &m).unwrap();
        let run = i.get_typed_func::<(), i32>(&mut store, "run").unwrap();
        assert_eq!(
            run.call(&mut store, ()).unwrap(),
            5 + 7 + 9,
            "{strategy:?} {bounds:?}"
        );
    }
}
