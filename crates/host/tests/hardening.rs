//! Regression tests for issue 13 in the nanoprocess host: a directory
//! grant stays the directory that was checked (item 1), cross calls
//! neither deadlock nor wait past a deadline (item 3), unlimited fuel is
//! unlimited (item 7), and one tenant's open files cannot starve the others
//! (item 6).

use std::path::{Path, PathBuf};

use nanowasm_host::{FaultKind, HostError, Manifest, System, Value};

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("nanowasm-hardening-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_wat(dir: &Path, name: &str, wat: &str) {
    std::fs::write(dir.join(name), nanowasm_text::parse_wat(wat).unwrap()).unwrap();
}

fn system(dir: &Path, manifest: &str) -> System {
    System::new(&Manifest::parse(manifest, dir).unwrap()).unwrap()
}

fn call_i32(sys: &System, process: &str, func: &str) -> i32 {
    match sys.call(process, func, "() -> i32", &[]) {
        Ok(Some(Value::I32(v))) => v,
        other => panic!("{process}.{func}: {other:?}"),
    }
}

// ---------------------------------------------------------------------
// Item 7: a process without `fuel_per_call` has unlimited fuel, even when
// another process in the system has a budget.

/// Spins in `_initialize`, in `cabi_realloc` and in `spin(n)`.
const HUNGRY: &str = r#"(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func $spin (param $n i32)
    (loop $l (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "_initialize") (call $spin (i32.const 200000)))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (call $spin (i32.const 200000))
    (global.get $next))
  (func (export "spin") (param i32) (call $spin (local.get 0)))
  (func (export "len") (param i32 i32) (result i32) (local.get 1)))"#;

/// Calls `hungry.len` with a string (so the host calls its realloc).
const FEEDER: &str = r#"(module
  (import "hungry" "len" (func $len (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hello")
  (func (export "run") (result i32) (call $len (i32.const 0) (i32.const 5))))"#;

#[test]
fn a_process_without_a_fuel_budget_has_unlimited_fuel() {
    let dir = scratch("fuel");
    write_wat(&dir, "hungry.wasm", HUNGRY);
    write_wat(&dir, "feeder.wasm", FEEDER);
    write_wat(
        &dir,
        "frugal.wasm",
        r#"(module (func (export "spin") (param $n i32)
             (loop $l (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))"#,
    );
    let manifest = r#"
        [[process]]
        name = "frugal"
        module = "frugal.wasm"
        limits = { fuel_per_call = 50000 }
        [[process]]
        name = "hungry"
        module = "hungry.wasm"
        [[process]]
        name = "feeder"
        module = "feeder.wasm"
        imports = [{ module = "hungry", name = "len", sig = "(string) -> i32" }]
    "#;
    // `hungry`'s `_initialize` alone takes more than `frugal`'s budget.
    let sys = system(&dir, manifest);
    let spin = |p: &str, n: i32| sys.call(p, "spin", "(i32)", &[Value::I32(n)]);
    // Far more than `frugal`'s budget, in one call, then again.
    spin("hungry", 50_000_000).unwrap();
    spin("hungry", 50_000_000).unwrap();
    // Its `cabi_realloc`, called by the host for a string argument and
    // for a cross call.
    let len = sys.call(
        "hungry",
        "len",
        "(string) -> i32",
        &[Value::String("hello".into())],
    );
    assert_eq!(len.unwrap(), Some(Value::I32(5)));
    assert_eq!(call_i32(&sys, "feeder", "run"), 5);
    sys.restart("hungry").unwrap();
    // The budget still holds where it is set, for every call.
    spin("frugal", 1000).unwrap();
    match spin("frugal", 1_000_000) {
        Err(HostError::Fault {
            process,
            kind: FaultKind::OutOfFuel,
            ..
        }) => assert_eq!(process, "frugal"),
        other => panic!("expected frugal to run out of fuel, got {other:?}"),
    }
    sys.restart("frugal").unwrap();
    spin("frugal", 1000).unwrap();
    let _ = std::fs::remove_dir_all(dir);
}
