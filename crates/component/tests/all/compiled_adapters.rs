//! Compiled fused adapters against the Rust one: the same component-to-
//! component calls on an engine that interprets (the Rust adapter) and one
//! that compiles (a generated core module per signature), with well-formed
//! and malformed values: the results, and every trap's message, are equal.
//! Malformed means an invalid or out-of-bounds string, a list pointer out
//! of alignment, a `realloc` that returns a pointer out of bounds or out of
//! alignment or calls out, a `char` that is not a scalar value, NaNs and
//! out-of-range small integers (normalized).

use nanowasm_component::runtime::{Component, Linker, Val};
use nanowasm_runtime::{Config, Engine, Store, Strategy};

const REALLOC: &str = r#"
      (global $mode (mut i32) (i32.const 0))
      (global $next (mut i32) (i32.const 1024))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $p i32)
        (if (i32.eq (global.get $mode) (i32.const 1)) (then (return (i32.const 0xfffc))))
        (if (i32.eq (global.get $mode) (i32.const 2)) (then (return (i32.const 1025))))
        (if (i32.eq (global.get $mode) (i32.const 3)) (then (drop (call $out (i32.const 1)))))
        (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                               (i32.sub (i32.const 0) (local.get 2))))
        (if (i32.gt_u (i32.add (local.get $p) (local.get 3)) (i32.const 60000))
          (then (local.set $p (i32.const 1024))))
        (global.set $next (i32.add (local.get $p) (local.get 3)))
        (local.get $p))
      (func (export "set_mode") (param i32) (global.set $mode (local.get 0)))"#;

fn component() -> String {
    format!(
        r#"(component
  (component $Callee
    (core module $N (func (export "id") (param i32) (result i32) (local.get 0)))
    (core instance $n (instantiate $N))
    (func $id (param "x" u32) (result u32) (canon lift (core func $n "id")))
    (core func $out (canon lower (func $id)))
    (core module $M
      (import "" "out" (func $out (param i32) (result i32)))
      (memory (export "mem") 1)
      {REALLOC}
      (func (export "echo") (param i32 i32) (result i32)
        (i32.store (i32.const 16) (local.get 0)) (i32.store (i32.const 20) (local.get 1)) (i32.const 16))
      (func (export "chr") (param i32) (result i32) (local.get 0))
      (func (export "flt") (param f32) (result f32) (local.get 0))
      (func (export "dbl") (param f64) (result f64) (local.get 0))
      (func (export "small") (param i32 i32 i32 i32) (result i32)
        (i32.xor (i32.xor (local.get 0) (i32.mul (local.get 1) (i32.const 3)))
                 (i32.xor (i32.mul (local.get 2) (i32.const 7)) (i32.mul (local.get 3) (i32.const 11))))))
    (core instance $m (instantiate $M (with "" (instance (export "out" (func $out))))))
    (func (export "echo") (param "s" string) (result string)
      (canon lift (core func $m "echo") (memory (core memory $m "mem")) (realloc (core func $m "realloc"))))
    (func (export "u16s") (param "l" (list u16)) (result (list u16))
      (canon lift (core func $m "echo") (memory (core memory $m "mem")) (realloc (core func $m "realloc"))))
    (func (export "chr") (param "c" char) (result char) (canon lift (core func $m "chr")))
    (func (export "flt") (param "f" float32) (result float32) (canon lift (core func $m "flt")))
    (func (export "dbl") (param "f" float64) (result float64) (canon lift (core func $m "dbl")))
    (func (export "small") (param "a" u8) (param "b" s8) (param "c" bool) (param "d" s16) (result u32)
      (canon lift (core func $m "small")))
    (func (export "set-mode") (param "m" u32) (canon lift (core func $m "set_mode"))))
  (component $Caller
    (import "callee" (instance $c
      (export "echo" (func (param "s" string) (result string)))
      (export "u16s" (func (param "l" (list u16)) (result (list u16))))
      (export "chr" (func (param "c" char) (result char)))
      (export "flt" (func (param "f" float32) (result float32)))
      (export "dbl" (func (param "f" float64) (result float64)))
      (export "small" (func (param "a" u8) (param "b" s8) (param "c" bool) (param "d" s16) (result u32)))))
    (core module $Libc
      (func $out (param i32) (result i32) (local.get 0))
      (memory (export "mem") 1)
      {REALLOC})
    (core instance $libc (instantiate $Libc))
    (core func $echo (canon lower (func $c "echo") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (core func $u16s (canon lower (func $c "u16s") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (core func $chr (canon lower (func $c "chr")))
    (core func $flt (canon lower (func $c "flt")))
    (core func $dbl (canon lower (func $c "dbl")))
    (core func $small (canon lower (func $c "small")))
    (core module $Main
      (import "libc" "mem" (memory 1))
      (import "" "echo" (func $echo (param i32 i32 i32)))
      (import "" "u16s" (func $u16s (param i32 i32 i32)))
      (import "" "chr" (func $chr (param i32) (result i32)))
      (import "" "flt" (func $flt (param f32) (result f32)))
      (import "" "dbl" (func $dbl (param f64) (result f64)))
      (import "" "small" (func $small (param i32 i32 i32 i32) (result i32)))
      ;; The result's length times 65536 plus the sum of its bytes.
      (func $sum (param $p i32) (param $n i32) (result i32)
        (local $acc i32) (local $i i32)
        (block $done (loop $l
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $acc (i32.add (local.get $acc) (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l)))
        (i32.add (local.get $acc) (i32.shl (local.get $n) (i32.const 16))))
      (func (export "put") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
      (func (export "echo") (param i32 i32) (result i32)
        (call $echo (local.get 0) (local.get 1) (i32.const 8))
        (call $sum (i32.load (i32.const 8)) (i32.load (i32.const 12))))
      (func (export "u16s") (param i32 i32) (result i32)
        (call $u16s (local.get 0) (local.get 1) (i32.const 8))
        (call $sum (i32.load (i32.const 8)) (i32.shl (i32.load (i32.const 12)) (i32.const 1))))
      (func (export "chr") (param i32) (result i32) (call $chr (local.get 0)))
      (func (export "flt") (param i32) (result i32)
        (i32.reinterpret_f32 (call $flt (f32.reinterpret_i32 (local.get 0)))))
      (func (export "dbl") (param i64) (result i64)
        (i64.reinterpret_f64 (call $dbl (f64.reinterpret_i64 (local.get 0)))))
      (func (export "small") (param i32 i32 i32 i32) (result i32)
        (call $small (local.get 0) (local.get 1) (local.get 2) (local.get 3))))
    (core instance $main (instantiate $Main
      (with "libc" (instance $libc))
      (with "" (instance
        (export "echo" (func $echo)) (export "u16s" (func $u16s)) (export "chr" (func $chr))
        (export "flt" (func $flt)) (export "dbl" (func $dbl)) (export "small" (func $small))))))
    (func (export "put") (param "p" u32) (param "b" u32) (canon lift (core func $main "put")))
    (func (export "echo") (param "p" u32) (param "n" u32) (result u32) (canon lift (core func $main "echo")))
    (func (export "u16s") (param "p" u32) (param "n" u32) (result u32) (canon lift (core func $main "u16s")))
    (func (export "chr") (param "c" u32) (result u32) (canon lift (core func $main "chr")))
    (func (export "flt") (param "f" u32) (result u32) (canon lift (core func $main "flt")))
    (func (export "dbl") (param "f" u64) (result u64) (canon lift (core func $main "dbl")))
    (func (export "small") (param "a" u32) (param "b" u32) (param "c" u32) (param "d" u32) (result u32)
      (canon lift (core func $main "small")))
    (func (export "set-mode") (param "m" u32) (canon lift (core func $libc "set_mode"))))
  (instance $callee (instantiate $Callee))
  (instance $caller (instantiate $Caller (with "callee" (instance $callee))))
  (export "caller" (instance $caller))
  (export "callee" (instance $callee)))"#
    )
}

/// One step: `(instance, function, arguments)`.
/// A call: `(instance, function, arguments)`.
pub(crate) type Step = (&'static str, &'static str, Vec<Val>);

/// Runs each case (its steps) in a fresh store (a trap leaves an instance
/// unenterable); the outcome of each case's last step (results, or the
/// error's text). Also: how many adapters were compiled.
fn run(strategy: Strategy, cases: &[Vec<Step>]) -> (Vec<String>, usize) {
    let mut config = Config::new();
    config.strategy(strategy);
    let engine = Engine::new(&config);
    let bytes = wat::parse_str(component()).expect("the component parses");
    let c = Component::new(&engine, bytes).expect("the component is valid");
    let mut out = Vec::new();
    for steps in cases {
        let mut store = Store::new(&engine, ());
        let inst = Linker::<()>::new(&engine)
            .instantiate(&mut store, &c)
            .expect("instantiates");
        let mut last = String::new();
        for (i, f, args) in steps {
            let func = inst
                .get_instance_func(&mut store, i, f)
                .unwrap_or_else(|| panic!("no {i}#{f}"));
            let n = usize::from(!matches!(*f, "put" | "set-mode"));
            let mut results = vec![Val::U32(0); n];
            last = match func.call(&mut store, args, &mut results) {
                Ok(()) => format!("{results:?}"),
                Err(e) => format!("error: {e}"),
            };
        }
        out.push(last);
    }
    (out, c.compiled_adapters())
}

pub(crate) fn u(v: u32) -> Val {
    Val::U32(v)
}

/// Writes `bytes` at `at` in the caller's memory.
pub(crate) fn put(at: u32, bytes: &[u8]) -> Vec<Step> {
    bytes
        .iter()
        .enumerate()
        .map(|(i, &b)| ("caller", "put", vec![u(at + i as u32), u(b as u32)]))
        .collect()
}

fn both(cases: &[Vec<Step>]) -> Vec<String> {
    let (rust, none) = run(Strategy::Interpreter, cases);
    let (compiled, adapters) = run(Strategy::Compiler, cases);
    assert_eq!(none, 0, "the interpreter compiles no adapter");
    assert!(adapters >= 6, "compiled adapters: {adapters}");
    for (i, (a, b)) in rust.iter().zip(&compiled).enumerate() {
        let last = cases[i].last();
        assert_eq!(
            a, b,
            "case {i} ({last:?}): Rust adapter (left), compiled (right)"
        );
    }
    compiled
}

/// `call` after writing `bytes` at `at` in the caller's memory.
fn with(at: u32, bytes: &[u8], call: Step) -> Vec<Step> {
    let mut steps = put(at, bytes);
    steps.push(call);
    steps
}

#[test]
fn strings_in_every_shape() {
    let ascii: Vec<u8> = (0..100).map(|i| b'a' + (i % 26) as u8).collect();
    let mut late = ascii.clone();
    late[70] = 0xc3;
    late[71] = 0xa9; // é, past the 32- and 8-byte scans
    let mut bad = ascii.clone();
    bad[41] = 0xff;
    let mut cut = ascii.clone();
    cut[99] = 0xc3; // a sequence cut short by the end
    let echo = |p: u32, n: u32| ("caller", "echo", vec![u(p), u(n)]);
    let cases = vec![
        with(2000, &ascii, echo(2000, 100)),
        with(2000, &ascii, echo(2000, 0)),
        with(2000, &ascii, echo(2000, 7)),
        with(3000, &late, echo(3000, 100)),
        with(4000, &bad, echo(4000, 100)),
        with(4000, &cut, echo(4000, 100)),
        with(5000, "héllo wörld".as_bytes(), echo(5000, 13)),
        vec![echo(65_530, 100)],
        vec![echo(0xffff_fff0, 0x20)],
    ];
    let out = both(&cases);
    assert!(out[0].starts_with("[U32("), "{out:?}");
    assert!(out[3].starts_with("[U32("), "{out:?}");
    assert!(out[4].contains("invalid utf-8"), "{}", out[4]);
    assert!(out[5].contains("invalid utf-8"), "{}", out[5]);
    assert!(out[7].contains("out-of-bounds"), "{}", out[7]);
    assert!(out[8].contains("out-of-bounds"), "{}", out[8]);
}

#[test]
fn misbehaving_reallocs_trap_alike() {
    let data = b"0123456789abcdef";
    let mut cases = Vec::new();
    for mode in [1, 2, 3] {
        // The callee's realloc (for the argument), then the caller's (for
        // the result).
        for side in ["callee", "caller"] {
            for f in ["echo", "u16s"] {
                let n = if f == "echo" { 16 } else { 8 };
                let mut steps = vec![(side, "set-mode", vec![u(mode)])];
                steps.extend(with(2000, data, ("caller", f, vec![u(2000), u(n)])));
                cases.push(steps);
            }
        }
    }
    // An unaligned list.
    cases.push(vec![("caller", "u16s", vec![u(2001), u(4)])]);
    let out = both(&cases);
    let all = out.join("\n");
    assert!(
        all.contains("realloc return: beyond end of memory"),
        "{all}"
    );
    assert!(all.contains("result not aligned"), "{all}");
    assert!(all.contains("cannot leave component instance"), "{all}");
    assert!(
        out.last()
            .is_some_and(|o| o.contains("unaligned pointer: list")),
        "{all}"
    );
}

#[test]
fn scalars_are_checked_and_normalized_alike() {
    let mut cases: Vec<Vec<Step>> = Vec::new();
    for c in [
        0x41,
        0xd7ff,
        0xd800,
        0xdfff,
        0xe000,
        0x10_ffff,
        0x11_0000,
        u32::MAX,
    ] {
        cases.push(vec![("caller", "chr", vec![u(c)])]);
    }
    for f in [
        0x3f80_0000,
        0x7fc0_0001,
        0xffc0_0000,
        0x7f80_0000,
        0x8000_0000,
    ] {
        cases.push(vec![("caller", "flt", vec![u(f)])]);
    }
    for d in [
        0x7ff8_0000_0000_0001u64,
        0xfff0_0000_0000_0001,
        0x3ff0_0000_0000_0000,
    ] {
        cases.push(vec![("caller", "dbl", vec![Val::U64(d)])]);
    }
    for (a, b, c, d) in [
        (0x1ff, 0x180, 2, 0x1_8000),
        (7, 0xffff_ffff, 0, 0x7fff),
        (0, 0, 1, 0),
    ] {
        cases.push(vec![("caller", "small", vec![u(a), u(b), u(c), u(d)])]);
    }
    let out = both(&cases);
    assert!(
        out[2].contains("invalid `char` bit pattern: 0xd800"),
        "{}",
        out[2]
    );
    assert_eq!(
        out[9],
        format!("[U32({})]", 0x7fc0_0000u32),
        "a NaN is canonical"
    );
}
