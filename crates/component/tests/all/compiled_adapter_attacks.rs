//! Attacks on compiled fused adapters: a malicious caller or callee
//! (`realloc`s that grow memory, return pointers at or past the end, trap
//! or call out; callees that grow memory before returning or return
//! records out of bounds; `post-return`s that trap or grow; strings with
//! non-ASCII bytes at the scan's chunk boundaries; re-entry; many calls so
//! that direct calls are taken, then a trap, then more calls). Every case
//! runs on the interpreter (the Rust adapter) and on the compiler with
//! guard regions and with explicit bounds checks (memories that move when
//! they grow); every step's outcome, including a digest of both whole
//! memories after each call, must be equal.

use nanowasm_component::runtime::{Component, Linker, Val};
use nanowasm_runtime::{Config, Engine, MemoryBounds, Store, Strategy};

use super::compiled_adapters::{put, u, Step};

/// The `realloc` of both sides, by `$mode`:
/// 0 bump, 1 grow 3 pages and return a pointer in the new ones, 2 the
/// exact end, 3 one past the exact end, 4 trap, 5 zero, 6 a block that
/// straddles the old end (then grow 1 page), 7 `0xfffffff8`, 8 a failing
/// grow then bump, 9 call out, 10 grow 40 pages then bump (the memory
/// moves under explicit bounds), 11 the end minus `size` plus 2 (unaligned
/// for lists).
const REALLOC: &str = r#"
      (global $mode (mut i32) (i32.const 0))
      (global $next (mut i32) (i32.const 1024))
      (func $end (result i32) (i32.shl (memory.size) (i32.const 16)))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $p i32) (local $m i32)
        (local.set $m (global.get $mode))
        (if (i32.eq (local.get $m) (i32.const 1))
          (then (return (i32.add (i32.shl (memory.grow (i32.const 3)) (i32.const 16)) (i32.const 16)))))
        (if (i32.eq (local.get $m) (i32.const 2)) (then (return (i32.sub (call $end) (local.get 3)))))
        (if (i32.eq (local.get $m) (i32.const 3))
          (then (return (i32.add (i32.sub (call $end) (local.get 3)) (i32.const 1)))))
        (if (i32.eq (local.get $m) (i32.const 4)) (then unreachable))
        (if (i32.eq (local.get $m) (i32.const 5)) (then (return (i32.const 0))))
        (if (i32.eq (local.get $m) (i32.const 6))
          (then
            (local.set $p (i32.and (i32.sub (call $end) (i32.shr_u (local.get 3) (i32.const 1)))
                                   (i32.const -8)))
            (drop (memory.grow (i32.const 1)))
            (return (local.get $p))))
        (if (i32.eq (local.get $m) (i32.const 7)) (then (return (i32.const 0xfffffff8))))
        (if (i32.eq (local.get $m) (i32.const 8)) (then (drop (memory.grow (i32.const 0x10000)))))
        (if (i32.eq (local.get $m) (i32.const 9)) (then (drop (call $out (i32.const 1)))))
        (if (i32.eq (local.get $m) (i32.const 10)) (then (drop (memory.grow (i32.const 40)))))
        (if (i32.eq (local.get $m) (i32.const 11))
          (then (return (i32.add (i32.sub (call $end) (local.get 3)) (i32.const 2)))))
        (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                               (i32.sub (i32.const 0) (local.get 2))))
        (if (i32.gt_u (i32.add (local.get $p) (local.get 3)) (call $end))
          (then (local.set $p (i32.const 1024))))
        (global.set $next (i32.add (local.get $p) (local.get 3)))
        (local.get $p))
      (func (export "set_mode") (param i32) (global.set $mode (local.get 0)))
      (func $digest (export "digest") (result i32)
        (local $i i32) (local $e i32) (local $h i64)
        (local.set $e (call $end))
        (local.set $h (i64.extend_i32_u (local.get $e)))
        (block $d (loop $l
          (br_if $d (i32.ge_u (local.get $i) (local.get $e)))
          (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load (local.get $i)))
                                 (i64.const 0x100000001b3)))
          (local.set $i (i32.add (local.get $i) (i32.const 8)))
          (br $l)))
        (i32.wrap_i64 (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 32)))))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))"#;

/// The result type of `mix`, which spills.
const MIX_RESULT: &str = "(tuple u8 string float64 (list u32) bool (tuple u16 u64) char)";
const MIX_PARAMS: &str = r#"(param "s" string) (param "l" (list u32)) (param "a" u8) (param "f" float64)
        (param "t" (tuple u16 string bool))"#;

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
      ;; Result modes: 0 (p, n) at 16; 1 grow 2 pages, copy there, record at
      ;; the end; 2 record pointer past the end; 3 record pointer unaligned;
      ;; 4 the string one byte past the end; 5 length 2^31 at 0; 6 the
      ;; copy at the exact end; 7 (p, n) at 16, then grow 100 pages.
      (global $rmode (mut i32) (i32.const 0))
      (global $prmode (mut i32) (i32.const 0))
      (global $chr (mut i32) (i32.const 0x1f600))
      (func $ret (param $p i32) (param $n i32) (param $esz i32) (result i32)
        (local $r i32) (local $q i32) (local $b i32)
        (local.set $r (global.get $rmode))
        (local.set $b (i32.mul (local.get $n) (local.get $esz)))
        (if (i32.eq (local.get $r) (i32.const 1))
          (then
            (local.set $q (i32.shl (memory.grow (i32.const 2)) (i32.const 16)))
            (memory.copy (local.get $q) (local.get $p) (local.get $b))
            (i32.store (i32.sub (call $end) (i32.const 8)) (local.get $q))
            (i32.store (i32.sub (call $end) (i32.const 4)) (local.get $n))
            (return (i32.sub (call $end) (i32.const 8)))))
        (if (i32.eq (local.get $r) (i32.const 2)) (then (return (i32.sub (call $end) (i32.const 4)))))
        (if (i32.eq (local.get $r) (i32.const 3)) (then (return (i32.const 17))))
        (if (i32.eq (local.get $r) (i32.const 4))
          (then (local.set $p (i32.add (i32.sub (call $end) (local.get $b)) (i32.const 1)))))
        (if (i32.eq (local.get $r) (i32.const 5))
          (then (local.set $p (i32.const 0)) (local.set $n (i32.const 0x80000000))))
        (if (i32.eq (local.get $r) (i32.const 6))
          (then
            (local.set $q (i32.sub (call $end) (local.get $b)))
            (memory.copy (local.get $q) (local.get $p) (local.get $b))
            (local.set $p (local.get $q))))
        (i32.store (i32.const 16) (local.get $p))
        (i32.store (i32.const 20) (local.get $n))
        (if (i32.eq (local.get $r) (i32.const 7)) (then (drop (memory.grow (i32.const 100)))))
        (i32.const 16))
      (func (export "echo") (param i32 i32) (result i32) (call $ret (local.get 0) (local.get 1) (i32.const 1)))
      (func (export "u64s") (param i32 i32) (result i32) (call $ret (local.get 0) (local.get 1) (i32.const 8)))
      (func (export "pr") (param i32)
        (if (i32.eq (global.get $prmode) (i32.const 1)) (then unreachable))
        (if (i32.eq (global.get $prmode) (i32.const 2)) (then (drop (memory.grow (i32.const 5)))))
        (if (i32.eq (global.get $prmode) (i32.const 3)) (then (drop (call $out (i32.const 1)))))
        (if (i32.eq (global.get $prmode) (i32.const 4))
          (then (memory.fill (i32.load (local.get 0)) (i32.const 0x55) (i32.load offset=4 (local.get 0))))))
      (func (export "mix") (param $sp i32) (param $sn i32) (param $lp i32) (param $ln i32) (param $a i32)
          (param $f f64) (param $t0 i32) (param $t1p i32) (param $t1n i32) (param $t2 i32) (result i32)
        (i32.store8 (i32.const 256) (i32.or (local.get $a) (i32.const 0x100)))
        (i32.store (i32.const 260) (local.get $t1p))
        (i32.store (i32.const 264) (local.get $t1n))
        (f64.store (i32.const 272) (local.get $f))
        (i32.store (i32.const 280) (local.get $lp))
        (i32.store (i32.const 284) (local.get $ln))
        (i32.store8 (i32.const 288) (i32.or (local.get $t2) (i32.and (local.get $a) (i32.const 0xfe))))
        (i32.store16 (i32.const 296) (i32.add (local.get $t0) (i32.const 0x10000)))
        (i64.store (i32.const 304) (i64.or (i64.shl (i64.extend_i32_u (local.get $sn)) (i64.const 32))
                                           (i64.extend_i32_u (local.get $sp))))
        (i32.store (i32.const 312) (global.get $chr))
        (if (i32.eq (global.get $rmode) (i32.const 2)) (then (return (i32.sub (call $end) (i32.const 56)))))
        (if (i32.eq (global.get $rmode) (i32.const 3)) (then (return (i32.const 260))))
        (if (i32.eq (global.get $rmode) (i32.const 4)) (then (i32.store (i32.const 264) (i32.const -1))))
        (i32.const 256))
      (func (export "reenter") (param i32) (result i32) (call $out (local.get 0)))
      ;; What it was given: the length, the bytes' sum and the pointer.
      (func (export "take") (param $p i32) (param $n i32) (result i32)
        (local $i i32) (local $acc i32)
        (block $d (loop $l
          (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $acc (i32.add (local.get $acc) (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l)))
        (i32.xor (i32.add (local.get $acc) (i32.shl (local.get $n) (i32.const 16))) (i32.shl (local.get $p) (i32.const 8))))
      (func (export "give") (param i32 i32) (result i32)
        (i32.store (i32.const 16) (local.get 0)) (i32.store (i32.const 20) (local.get 1)) (i32.const 16))
      (func (export "put") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
      (func (export "id") (param i32) (result i32) (local.get 0))
      (func (export "set_rmode") (param i32) (global.set $rmode (local.get 0)))
      (func (export "set_prmode") (param i32) (global.set $prmode (local.get 0)))
      (func (export "set_chr") (param i32) (global.set $chr (local.get 0))))
    (core instance $m (instantiate $M (with "" (instance (export "out" (func $out))))))
    (func (export "echo") (param "s" string) (result string)
      (canon lift (core func $m "echo") (memory (core memory $m "mem")) (realloc (core func $m "realloc"))
        (post-return (core func $m "pr"))))
    (func (export "u64s") (param "l" (list u64)) (result (list u64))
      (canon lift (core func $m "u64s") (memory (core memory $m "mem")) (realloc (core func $m "realloc"))
        (post-return (core func $m "pr"))))
    (func (export "bytes") (param "l" (list u8)) (result (list u8))
      (canon lift (core func $m "echo") (memory (core memory $m "mem")) (realloc (core func $m "realloc"))))
    (func (export "mix") {MIX_PARAMS} (result {MIX_RESULT})
      (canon lift (core func $m "mix") (memory (core memory $m "mem")) (realloc (core func $m "realloc"))))
    (func (export "id") (param "x" u32) (result u32) (canon lift (core func $m "id")))
    (func (export "take") (param "s" string) (result u32)
      (canon lift (core func $m "take") (memory (core memory $m "mem")) (realloc (core func $m "realloc"))))
    (func (export "give") (param "p" u32) (param "n" u32) (result string)
      (canon lift (core func $m "give") (memory (core memory $m "mem")) (realloc (core func $m "realloc"))))
    (func (export "put") (param "p" u32) (param "b" u32) (canon lift (core func $m "put")))
    (func (export "grow") (param "n" u32) (result u32) (canon lift (core func $m "grow")))
    (func (export "reenter") (param "x" u32) (result u32) (canon lift (core func $m "reenter")))
    (func (export "set-mode") (param "m" u32) (canon lift (core func $m "set_mode")))
    (func (export "set-rmode") (param "m" u32) (canon lift (core func $m "set_rmode")))
    (func (export "set-prmode") (param "m" u32) (canon lift (core func $m "set_prmode")))
    (func (export "set-chr") (param "m" u32) (canon lift (core func $m "set_chr")))
    (func (export "digest") (result u32) (canon lift (core func $m "digest"))))
  (component $Caller
    (import "callee" (instance $c
      (export "echo" (func (param "s" string) (result string)))
      (export "u64s" (func (param "l" (list u64)) (result (list u64))))
      (export "bytes" (func (param "l" (list u8)) (result (list u8))))
      (export "mix" (func {MIX_PARAMS} (result {MIX_RESULT})))
      (export "id" (func (param "x" u32) (result u32)))
      (export "take" (func (param "s" string) (result u32)))
      (export "give" (func (param "p" u32) (param "n" u32) (result string)))
      (export "reenter" (func (param "x" u32) (result u32)))))
    (core func $id (canon lower (func $c "id")))
    (core module $Libc
      (import "" "out" (func $out (param i32) (result i32)))
      (memory (export "mem") 1)
      {REALLOC})
    (core instance $libc (instantiate $Libc (with "" (instance (export "out" (func $id))))))
    (core func $echo (canon lower (func $c "echo") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (core func $u64s (canon lower (func $c "u64s") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (core func $bytes (canon lower (func $c "bytes") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (core func $mix (canon lower (func $c "mix") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (core func $reenter (canon lower (func $c "reenter")))
    (core func $take (canon lower (func $c "take") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (core func $give (canon lower (func $c "give") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (core module $Main
      (import "libc" "mem" (memory 1))
      (import "libc" "digest" (func $digest (result i32)))
      (import "" "echo" (func $echo (param i32 i32 i32)))
      (import "" "u64s" (func $u64s (param i32 i32 i32)))
      (import "" "bytes" (func $bytes (param i32 i32 i32)))
      (import "" "mix" (func $mix (param i32 i32 i32 i32 i32 f64 i32 i32 i32 i32 i32)))
      (import "" "id" (func $id (param i32) (result i32)))
      (import "" "reenter" (func $reenter (param i32) (result i32)))
      (import "" "take" (func $take (param i32 i32) (result i32)))
      (import "" "give" (func $give (param i32 i32 i32)))
      (func (export "take") (param i32 i32) (result i32) (call $take (local.get 0) (local.get 1)))
      (func (export "give") (param i32 i32) (result i32)
        (call $give (local.get 0) (local.get 1) (global.get $ret))
        (i32.xor (i32.load (global.get $ret)) (i32.load offset=4 (global.get $ret))))
      (global $ret (mut i32) (i32.const 8))
      (func (export "put") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
      (func (export "set_ret") (param i32) (global.set $ret (local.get 0)))
      (func (export "echo") (param i32 i32) (result i32)
        (call $echo (local.get 0) (local.get 1) (global.get $ret)) (call $digest))
      (func (export "u64s") (param i32 i32) (result i32)
        (call $u64s (local.get 0) (local.get 1) (global.get $ret)) (call $digest))
      (func (export "bytes") (param i32 i32) (result i32)
        (call $bytes (local.get 0) (local.get 1) (global.get $ret)) (call $digest))
      (func (export "mix") (param $p i32) (param $n i32) (param $a i32) (param $f i64) (result i32)
        (call $mix (local.get $p) (local.get $n)
          (i32.and (local.get $p) (i32.const -4)) (i32.shr_u (local.get $n) (i32.const 2))
          (local.get $a) (f64.reinterpret_i64 (local.get $f))
          (i32.mul (local.get $a) (i32.const 257)) (local.get $p) (local.get $n) (local.get $a)
          (global.get $ret))
        (call $digest))
      (func (export "loop") (param $p i32) (param $n i32) (param $k i32) (result i32)
        (local $acc i32)
        (block $d (loop $l
          (br_if $d (i32.eqz (local.get $k)))
          (call $echo (local.get $p) (local.get $n) (global.get $ret))
          (local.set $acc (i32.add (local.get $acc) (call $id (i32.load offset=4 (global.get $ret)))))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br $l)))
        (i32.add (local.get $acc) (call $digest)))
      (func (export "id") (param i32) (result i32) (call $id (local.get 0)))
      (func (export "reenter") (param i32) (result i32) (call $reenter (local.get 0))))
    (core instance $main (instantiate $Main
      (with "libc" (instance $libc))
      (with "" (instance
        (export "echo" (func $echo)) (export "u64s" (func $u64s)) (export "bytes" (func $bytes))
        (export "mix" (func $mix)) (export "id" (func $id)) (export "reenter" (func $reenter))
        (export "take" (func $take)) (export "give" (func $give))))))
    (func (export "put") (param "p" u32) (param "b" u32) (canon lift (core func $main "put")))
    (func (export "set-ret") (param "p" u32) (canon lift (core func $main "set_ret")))
    (func (export "echo") (param "p" u32) (param "n" u32) (result u32) (canon lift (core func $main "echo")))
    (func (export "u64s") (param "p" u32) (param "n" u32) (result u32) (canon lift (core func $main "u64s")))
    (func (export "bytes") (param "p" u32) (param "n" u32) (result u32) (canon lift (core func $main "bytes")))
    (func (export "mix") (param "p" u32) (param "n" u32) (param "a" u32) (param "f" u64) (result u32)
      (canon lift (core func $main "mix")))
    (func (export "loop") (param "p" u32) (param "n" u32) (param "k" u32) (result u32)
      (canon lift (core func $main "loop")))
    (func (export "id") (param "x" u32) (result u32) (canon lift (core func $main "id")))
    (func (export "reenter") (param "x" u32) (result u32) (canon lift (core func $main "reenter")))
    (func (export "grow") (param "n" u32) (result u32) (canon lift (core func $libc "grow")))
    (func (export "take") (param "p" u32) (param "n" u32) (result u32) (canon lift (core func $main "take")))
    (func (export "give") (param "p" u32) (param "n" u32) (result u32) (canon lift (core func $main "give")))
    (func (export "digest") (result u32) (canon lift (core func $libc "digest")))
    (func (export "set-mode") (param "m" u32) (canon lift (core func $libc "set_mode"))))
  (instance $callee (instantiate $Callee))
  (instance $caller (instantiate $Caller (with "callee" (instance $callee))))
  (export "caller" (instance $caller))
  (export "callee" (instance $callee)))"#
    )
}

fn engines() -> Vec<(&'static str, Engine)> {
    let mut out = Vec::new();
    let mut c = Config::new();
    c.strategy(Strategy::Interpreter);
    out.push(("interpreter", Engine::new(&c)));
    let mut c = Config::new();
    c.strategy(Strategy::Compiler);
    c.memory_bounds(MemoryBounds::GuardRegions);
    out.push(("compiler+guards", Engine::new(&c)));
    let mut c = Config::new();
    c.strategy(Strategy::Compiler);
    c.memory_bounds(MemoryBounds::Explicit);
    out.push(("compiler+explicit", Engine::new(&c)));
    out
}

/// Runs each case (its steps) in a fresh store: every step's outcome.
fn run(engine: &Engine, wat: &str, cases: &[Vec<Step>]) -> (Vec<Vec<String>>, usize) {
    let bytes = wat::parse_str(wat).expect("the component parses");
    let c = Component::new(engine, bytes).expect("the component is valid");
    let mut out = Vec::new();
    for steps in cases {
        let mut store = Store::new(engine, ());
        let inst = match Linker::<()>::new(engine).instantiate(&mut store, &c) {
            Ok(inst) => inst,
            Err(e) => {
                let e = e.to_string();
                let e = e.split("\nwasm backtrace:").next().unwrap_or_default();
                out.push(vec![format!("instantiate: error: {e}")]);
                continue;
            }
        };
        let mut outcomes = Vec::new();
        for (i, f, args) in steps {
            let func = inst
                .get_instance_func(&mut store, i, f)
                .unwrap_or_else(|| panic!("no {i}#{f}"));
            let n = usize::from(func.ty().result().is_some());
            let mut results = vec![Val::U32(0); n];
            // Wasm backtraces differ (the compiled adapter is a frame, the
            // Rust one is not): only the message is compared.
            outcomes.push(match func.call(&mut store, args, &mut results) {
                Ok(()) if *f == "put" => continue,
                Ok(()) => format!("{i}#{f}{args:?}: {results:?}"),
                Err(e) => {
                    let e = e.to_string();
                    let e = e.split("\nwasm backtrace:").next().unwrap_or_default();
                    format!("{i}#{f}{args:?}: error: {e}")
                }
            });
        }
        out.push(outcomes);
    }
    (out, c.compiled_adapters())
}

/// Every case's outcomes on every engine, which must be equal; the
/// compiled ones.
fn all_alike(cases: &[Vec<Step>]) -> Vec<Vec<String>> {
    all_alike_in(&component(), 5, cases)
}

fn all_alike_in(wat: &str, min_adapters: usize, cases: &[Vec<Step>]) -> Vec<Vec<String>> {
    let mut first: Option<Vec<Vec<String>>> = None;
    let mut diffs = Vec::new();
    for (name, engine) in engines() {
        let (out, adapters) = run(&engine, wat, cases);
        if name != "interpreter" {
            assert!(
                adapters >= min_adapters,
                "{name}: compiled adapters: {adapters}"
            );
        }
        match &first {
            None => first = Some(out),
            Some(rust) => {
                for (i, (a, b)) in rust.iter().zip(&out).enumerate() {
                    if a != b {
                        diffs.push(format!(
                            "case {i}: Rust adapter on the interpreter:\n  {}\n{name}:\n  {}",
                            a.join("\n  "),
                            b.join("\n  ")
                        ));
                    }
                }
            }
        }
    }
    assert!(
        diffs.is_empty(),
        "{} case(s) differ:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    let out = first.unwrap_or_default();
    if std::env::var_os("ATTACK_DUMP").is_some() {
        eprintln!("{}", joined(&out));
    }
    out
}

/// Digests of both memories (appended to a case).
fn digests() -> Vec<Step> {
    vec![("caller", "digest", vec![]), ("callee", "digest", vec![])]
}

fn case(setup: Vec<Step>, call: Step) -> Vec<Step> {
    let mut s = setup;
    s.push(call);
    s.extend(digests());
    s
}

fn mode(side: &'static str, m: u32) -> Step {
    (side, "set-mode", vec![u(m)])
}

fn echo(p: u32, n: u32) -> Step {
    ("caller", "echo", vec![u(p), u(n)])
}

fn joined(out: &[Vec<String>]) -> String {
    out.iter()
        .map(|c| c.join("\n"))
        .collect::<Vec<_>>()
        .join("\n----\n")
}

fn ascii(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'a' + (i % 26) as u8).collect()
}

#[test]
fn reallocs_that_grow_or_return_edges() {
    let data = ascii(200);
    let mut cases = Vec::new();
    for m in 0..=11 {
        for side in ["callee", "caller"] {
            for (f, n) in [("echo", 200), ("u64s", 25), ("bytes", 200), ("echo", 0)] {
                let mut s = put(2000, &data);
                s.push(mode(side, m));
                cases.push(case(s, ("caller", f, vec![u(2000), u(n)])));
            }
        }
    }
    let out = all_alike(&cases);
    let all = joined(&out);
    assert!(all.contains("beyond end of memory"), "{all}");
    assert!(all.contains("cannot leave component instance"), "{all}");
}

#[test]
fn callee_results_out_of_bounds_or_after_growth() {
    let data = ascii(200);
    let mut cases = Vec::new();
    for r in 0..=7 {
        for (f, n) in [("echo", 200), ("u64s", 25), ("bytes", 200), ("echo", 1)] {
            for m in [0, 10] {
                let mut s = put(2000, &data);
                s.push(("callee", "set-rmode", vec![u(r)]));
                s.push(mode("caller", m));
                cases.push(case(s, ("caller", f, vec![u(2000), u(n)])));
            }
        }
    }
    let out = all_alike(&cases);
    let all = joined(&out);
    assert!(all.contains("pointer out of bounds of memory"), "{all}");
    assert!(all.contains("unaligned pointer"), "{all}");
}

#[test]
fn caller_pointers_near_the_top_of_the_address_space() {
    let mut cases = Vec::new();
    let ps = [
        0u32,
        1,
        0xfff8,
        0xffff,
        0x1_0000,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_fff0,
        0xffff_fff8,
        0xffff_ffff,
    ];
    let ns = [
        0u32,
        1,
        8,
        0x10,
        0x2000_0000,
        0x2000_0001,
        0x8000_0000,
        0xffff_fff0,
        0xffff_ffff,
    ];
    for &p in &ps {
        for &n in &ns {
            for f in ["echo", "u64s", "bytes"] {
                cases.push(case(vec![], ("caller", f, vec![u(p), u(n)])));
            }
            cases.push(case(
                vec![],
                ("caller", "mix", vec![u(p), u(n), u(7), Val::U64(0)]),
            ));
        }
    }
    let out = all_alike(&cases);
    let all = joined(&out);
    assert!(all.contains("out-of-bounds"), "{all}");
}

#[test]
fn retptr_out_of_bounds_or_unaligned() {
    let data = ascii(64);
    let mut cases = Vec::new();
    for r in [
        0u32,
        1,
        2,
        4,
        0xfff8,
        0xfffc,
        0xffc0,
        0xffc4,
        0x1_0000,
        0xffff_fff8,
    ] {
        for f in ["echo", "u64s", "bytes"] {
            let mut s = put(2000, &data);
            s.push(("caller", "set-ret", vec![u(r)]));
            cases.push(case(s, ("caller", f, vec![u(2000), u(8)])));
        }
        let mut s = put(2000, &data);
        s.push(("caller", "set-ret", vec![u(r)]));
        cases.push(case(
            s,
            ("caller", "mix", vec![u(2000), u(64), u(3), Val::U64(1)]),
        ));
    }
    let out = all_alike(&cases);
    let all = joined(&out);
    assert!(all.contains("unaligned pointer"), "{all}");
    assert!(all.contains("pointer out of bounds of memory"), "{all}");
}

#[test]
fn post_returns_that_trap_grow_or_call_out() {
    let data = ascii(100);
    let mut cases = Vec::new();
    for pr in 0..=4 {
        for f in ["echo", "u64s"] {
            let n = if f == "echo" { 100 } else { 12 };
            let mut s = put(2000, &data);
            s.push(("callee", "set-prmode", vec![u(pr)]));
            s.push(("caller", f, vec![u(2000), u(n)]));
            // Then again, and a scalar call.
            s.push(("caller", f, vec![u(2000), u(n)]));
            s.push(("caller", "id", vec![u(5)]));
            cases.push(case(s, ("caller", "id", vec![u(6)])));
        }
    }
    let out = all_alike(&cases);
    let all = joined(&out);
    assert!(all.contains("cannot leave component instance"), "{all}");
    assert!(all.contains("cannot enter component instance"), "{all}");
}

#[test]
fn utf8_at_chunk_boundaries() {
    let mut cases = Vec::new();
    // For each length and each position of a bad or good multibyte
    // sequence: 2-, 3- and 4-byte scalars, a lone continuation byte, an
    // overlong encoding, a surrogate, a cut sequence.
    let seqs: [&[u8]; 8] = [
        "é".as_bytes(),
        "€".as_bytes(),
        "😀".as_bytes(),
        &[0x80],
        &[0xc0, 0xaf],
        &[0xed, 0xa0, 0x80],
        &[0xf4, 0x90, 0x80, 0x80],
        &[0xe2, 0x82],
    ];
    for len in [1usize, 7, 8, 9, 31, 32, 33, 40, 63, 64, 65, 72] {
        let mut positions: Vec<usize> = vec![0, len.saturating_sub(1)];
        for b in [7usize, 8, 24, 31, 32, 39, 40, 63, 64] {
            if b < len {
                positions.push(b);
            }
        }
        positions.sort();
        positions.dedup();
        for &pos in &positions {
            for seq in &seqs {
                let mut s = ascii(len);
                for (i, &b) in seq.iter().enumerate() {
                    if pos + i < len {
                        s[pos + i] = b;
                    }
                }
                // At the start of memory's last page part too: strings
                // that end exactly at the end of memory.
                let at = 3000 + (pos as u32 % 8);
                cases.push(case(put(at, &s), echo(at, len as u32)));
                let end = 0x1_0000 - len as u32;
                cases.push(case(put(end, &s), echo(end, len as u32)));
            }
        }
    }
    let out = all_alike(&cases);
    let all = joined(&out);
    assert!(all.contains("invalid utf-8"), "{all}");
}

#[test]
fn mixed_records_with_spilled_results() {
    let data = ascii(64);
    let mut cases = Vec::new();
    for chr in [0x41u32, 0xd800, 0x11_0000, 0x10_ffff] {
        for r in [0u32, 2, 3, 4] {
            for m in [0u32, 1, 6, 10] {
                for (a, f) in [
                    (0x1ffu32, 0x7ff8_0000_0000_0001u64),
                    (2, 0x3ff0_0000_0000_0000),
                    (0, 0xfff0_0000_0000_0001),
                ] {
                    let mut s = put(2000, &data);
                    s.push(("callee", "set-chr", vec![u(chr)]));
                    s.push(("callee", "set-rmode", vec![u(r)]));
                    s.push(mode("caller", m));
                    cases.push(case(
                        s,
                        ("caller", "mix", vec![u(2000), u(64), u(a), Val::U64(f)]),
                    ));
                }
            }
        }
    }
    // An invalid string in the tuple's second field.
    let mut bad = data.clone();
    bad[40] = 0xff;
    cases.push(case(
        put(2000, &bad),
        ("caller", "mix", vec![u(2000), u(64), u(1), Val::U64(0)]),
    ));
    // An unaligned list (its pointer is rounded down; the string is not).
    cases.push(case(
        put(2001, &data),
        ("caller", "mix", vec![u(2001), u(63), u(1), Val::U64(0)]),
    ));
    let out = all_alike(&cases);
    let all = joined(&out);
    assert!(all.contains("invalid `char` bit pattern: 0xd800"), "{all}");
}

#[test]
fn many_calls_then_a_trap_then_more_calls() {
    let data = ascii(50);
    let mut cases = Vec::new();
    for m in [0u32, 4, 9, 10] {
        let mut s = put(2000, &data);
        s.push(("caller", "loop", vec![u(2000), u(50), u(500)]));
        s.push(mode("callee", m));
        s.push(("caller", "loop", vec![u(2000), u(50), u(3)]));
        s.push(mode("callee", 0));
        s.push(("caller", "loop", vec![u(2000), u(50), u(3)]));
        s.push(("caller", "id", vec![u(9)]));
        s.push(("callee", "id", vec![u(9)]));
        cases.push(case(s, ("caller", "echo", vec![u(2000), u(50)])));
    }
    // Re-entering the callee from itself (the same instance: lifted and
    // lowered in one component), then calls.
    let mut s = Vec::new();
    for _ in 0..3 {
        s.push(("caller", "id", vec![u(1)]));
        s.push(("caller", "reenter", vec![u(2)]));
        s.push(("callee", "reenter", vec![u(3)]));
    }
    cases.push(case(s, ("caller", "id", vec![u(4)])));
    let out = all_alike(&cases);
    let all = joined(&out);
    assert!(all.contains("cannot enter component instance"), "{all}");
}

/// Writes `bytes` at `at` in `side`'s memory.
fn put_in(side: &'static str, at: u32, bytes: &[u8]) -> Vec<Step> {
    bytes
        .iter()
        .enumerate()
        .map(|(i, &b)| (side, "put", vec![u(at + i as u32), u(b as u32)]))
        .collect()
}

/// A 4 GiB memory: strings and lists that reach 2^32 (valid strings;
/// lists whose bytes reach or pass 2^32).
#[test]
fn four_gib_memories() {
    let mut cases = Vec::new();
    let top = 0u32.wrapping_sub(13);
    let mut good = ascii(13);
    good[10] = 0xc3;
    good[11] = 0xa9;
    let mut bad_word = ascii(13);
    bad_word[3] = 0xff; // in the scan's 8-byte word
    for bytes in [&good, &bad_word] {
        for f in ["take", "echo"] {
            let mut st = vec![("caller", "grow", vec![u(0xffff)])];
            st.extend(put_in("caller", top, bytes));
            st.push(("caller", f, vec![u(top), u(13)]));
            cases.push(st);
        }
        let mut st = vec![("callee", "grow", vec![u(0xffff)])];
        st.extend(put_in("callee", top, bytes));
        st.push(("caller", "give", vec![u(top), u(13)]));
        cases.push(st);
    }
    for (p, n) in [
        (0u32, 0x2000_0000u32),
        (8, 0x1fff_ffff),
        (0, 0x1fff_ffff),
        (0xffff_fff8, 1),
        (0xffff_fff8, 2),
    ] {
        cases.push(vec![
            ("caller", "grow", vec![u(0xffff)]),
            ("caller", "u64s", vec![u(p), u(n)]),
        ]);
    }
    let out = all_alike(&cases);
    let all = joined(&out);
    assert!(all.contains("invalid utf-8"), "{all}");
    assert!(all.contains("list too long to lower"), "{all}");
}

/// A string that ends exactly at 2^32 in a 4 GiB memory, with a byte that
/// is not ASCII in its last 7 bytes (past the scan's 8-byte words): the
/// Rust adapter traps (invalid UTF-8), and so must the compiled one (it
/// passed the invalid string on: its byte loop compared `q < p + n`, and
/// `p + n` wraps to 0 in 32 bits).
#[test]
fn string_ending_at_4gib_is_validated_as_utf8() {
    let top = 0u32.wrapping_sub(13);
    let mut bad = ascii(13);
    bad[11] = 0xff;
    let mut arg = vec![("caller", "grow", vec![u(0xffff)])];
    arg.extend(put_in("caller", top, &bad));
    arg.push(("caller", "take", vec![u(top), u(13)]));
    let mut res = vec![("callee", "grow", vec![u(0xffff)])];
    res.extend(put_in("callee", top, &bad));
    res.push(("caller", "give", vec![u(top), u(13)]));
    let cases = vec![arg, res];
    let out = all_alike(&cases);
    for c in &out {
        let last = c.last().unwrap();
        assert!(
            last.contains("invalid utf-8: invalid utf-8 sequence of 1 bytes from index 11"),
            "{last}"
        );
    }
}

const WIDE_PARAMS: &str = r#"(param "a" u8) (param "b" s8) (param "c" u16) (param "d" s16) (param "e" u32)
        (param "f" s32) (param "g" u64) (param "h" s64) (param "i" float32) (param "j" float64)
        (param "k" char) (param "l" bool) (param "m" u64) (param "n" float64) (param "o" float32)
        (param "p" u32)"#;
const WIDE_TUPLE: &str =
    "(tuple u8 s8 u16 s16 u32 s32 u64 s64 float32 float64 char bool u64 float64 float32 u32)";

/// Sixteen flat parameters of every scalar type (the most that do not
/// spill), with a flat result and with a spilled result (a 17th core
/// parameter, the return pointer), whose bytes the host writes raw.
fn wide_component() -> String {
    let core16 = "(param i32 i32 i32 i32 i32 i32 i64 i64 f32 f64 i32 i32 i64 f64 f32 i32)";
    let raw16 = "(param i32 i32 i32 i32 i32 i32 i64 i64 i32 i64 i32 i32 i64 i64 i32 i32)";
    let host16 = r#"(param "a" u32) (param "b" u32) (param "c" u32) (param "d" u32) (param "e" u32)
        (param "f" u32) (param "g" u64) (param "h" u64) (param "i" u32) (param "j" u64)
        (param "k" u32) (param "l" u32) (param "m" u64) (param "n" u64) (param "o" u32) (param "p" u32)"#;
    let args: String = (0..16)
        .map(|i| match i {
            8 | 14 => format!("(f32.reinterpret_i32 (local.get {i}))"),
            9 | 13 => format!("(f64.reinterpret_i64 (local.get {i}))"),
            _ => format!("(local.get {i})"),
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mix: String = (0..16)
        .map(|i| {
            let v = match i {
                6 | 7 | 12 => format!("(local.get {i})"),
                8 | 14 => format!("(i64.extend_i32_u (i32.reinterpret_f32 (local.get {i})))"),
                9 | 13 => format!("(i64.reinterpret_f64 (local.get {i}))"),
                _ => format!("(i64.extend_i32_u (local.get {i}))"),
            };
            format!(
                "(local.set $h (i64.mul (i64.xor (local.get $h) {v}) (i64.const 0x100000001b3)))"
            )
        })
        .collect::<Vec<_>>()
        .join("\n        ");
    format!(
        r#"(component
  (component $Callee
    (core module $M
      (memory (export "mem") 1)
      (func (export "wide") {core16} (result i64) (local $h i64)
        {mix}
        (local.get $h))
      (func (export "wide2") {core16} (result i32) (i32.const 512))
      (func (export "put") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))
    (core instance $m (instantiate $M))
    (func (export "wide") {WIDE_PARAMS} (result u64) (canon lift (core func $m "wide")))
    (func (export "wide2") {WIDE_PARAMS} (result {WIDE_TUPLE})
      (canon lift (core func $m "wide2") (memory (core memory $m "mem"))))
    (func (export "put") (param "p" u32) (param "b" u32) (canon lift (core func $m "put"))))
  (component $Caller
    (import "callee" (instance $c
      (export "wide" (func {WIDE_PARAMS} (result u64)))
      (export "wide2" (func {WIDE_PARAMS} (result {WIDE_TUPLE})))))
    (core module $Libc (memory (export "mem") 1))
    (core instance $libc (instantiate $Libc))
    (core func $wide (canon lower (func $c "wide")))
    (core func $wide2 (canon lower (func $c "wide2") (memory (core memory $libc "mem"))))
    (core module $Main
      (import "libc" "mem" (memory 1))
      (import "" "wide" (func $wide {core16} (result i64)))
      (import "" "wide2" (func $wide2 {core16} (param i32)))
      (global $ret (mut i32) (i32.const 64))
      (func (export "set_ret") (param i32) (global.set $ret (local.get 0)))
      (func (export "wide") {raw16} (result i64) (call $wide {args}))
      (func (export "wide2") {raw16} (result i64) (local $i i32) (local $h i64)
        (call $wide2 {args} (global.get $ret))
        (block $d (loop $l
          (br_if $d (i32.ge_u (local.get $i) (i32.const 65536)))
          (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load (local.get $i)))
                                 (i64.const 0x100000001b3)))
          (local.set $i (i32.add (local.get $i) (i32.const 8)))
          (br $l)))
        (local.get $h)))
    (core instance $main (instantiate $Main
      (with "libc" (instance $libc))
      (with "" (instance (export "wide" (func $wide)) (export "wide2" (func $wide2))))))
    (func (export "wide") {host16} (result u64) (canon lift (core func $main "wide")))
    (func (export "wide2") {host16} (result u64) (canon lift (core func $main "wide2")))
    (func (export "set-ret") (param "p" u32) (canon lift (core func $main "set_ret"))))
  (instance $callee (instantiate $Callee))
  (instance $caller (instantiate $Caller (with "callee" (instance $callee))))
  (export "caller" (instance $caller))
  (export "callee" (instance $callee)))"#
    )
}

#[test]
fn sixteen_flat_parameters_and_spilled_scalar_tuples() {
    let args = |seed: u64| -> Vec<Val> {
        (0..16)
            .map(|i| {
                let x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(i * 5) ^ (i as u64);
                match i {
                    6 | 7 | 9 | 12 | 13 => Val::U64(x),
                    10 => Val::U32(((x as u32) % 0x11_0000) & !0x800),
                    _ => Val::U32(x as u32),
                }
            })
            .collect()
    };
    let mut cases = Vec::new();
    for seed in 0..40u64 {
        let mut a = args(seed);
        match seed % 8 {
            1 => a[9] = Val::U64(0x7ff8_0000_0000_0001),
            2 => a[8] = Val::U32(0xffc0_0001),
            3 => a[10] = Val::U32(0xd800),
            4 => a[10] = Val::U32(0x11_0000),
            5 => a[11] = Val::U32(0x100),
            _ => {}
        }
        cases.push(vec![("caller", "wide", a.clone())]);
        // Raw result bytes in the callee's memory at 512 (80 bytes).
        let mut steps: Vec<Step> = (0..80u32)
            .map(|i| {
                let b = (seed as u32 * 37 + i * 101) as u8;
                ("callee", "put", vec![u(512 + i), u(b as u32)])
            })
            .collect();
        // The char at 48 valid sometimes; NaNs with payloads in the floats.
        if seed % 2 == 0 {
            for (i, b) in 0x1f600u32.to_le_bytes().iter().enumerate() {
                steps.push(("callee", "put", vec![u(48 + 512 + i as u32), u(*b as u32)]));
            }
        }
        if seed % 4 == 0 {
            for (i, b) in 0x7fc0_1234u32.to_le_bytes().iter().enumerate() {
                steps.push(("callee", "put", vec![u(32 + 512 + i as u32), u(*b as u32)]));
            }
        }
        let ret = [64u32, 65, 68, 0xffb0, 0xffb8, 0xfff8][seed as usize % 6];
        steps.push(("caller", "set-ret", vec![u(ret)]));
        steps.push(("caller", "wide2", a));
        cases.push(steps);
    }
    let out = all_alike_in(&wide_component(), 2, &cases);
    let all = joined(&out);
    assert!(all.contains("invalid `char` bit pattern"), "{all}");
    assert!(
        all.contains("caller#wide2") && all.contains("U64("),
        "{all}"
    );
}

/// Fused calls made while components instantiate (core start functions):
/// into another instance, many times (direct calls), and into a function
/// lifted by the same component instance (which is being instantiated and
/// may be entered).
fn start_component(n: u32, same_then_trap: bool) -> String {
    let trap = if same_then_trap {
        "(drop (call $self (i32.const 7))) unreachable"
    } else {
        ""
    };
    format!(
        r#"(component
  (component $Callee
    (core module $N
      (memory (export "mem") 1)
      (global $next (mut i32) (i32.const 1024))
      (global $calls (mut i32) (i32.const 0))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $p i32)
        (local.set $p (global.get $next))
        (global.set $next (i32.and (i32.add (i32.add (local.get $p) (local.get 3)) (i32.const 7)) (i32.const -8)))
        (if (i32.gt_u (global.get $next) (i32.const 60000)) (then (global.set $next (i32.const 1024))))
        (local.get $p))
      (func (export "id") (param i32) (result i32)
        (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
        (i32.add (local.get 0) (global.get $calls)))
      (func (export "echo") (param i32 i32) (result i32)
        (i32.store (i32.const 16) (local.get 0)) (i32.store (i32.const 20) (local.get 1)) (i32.const 16)))
    (core instance $n (instantiate $N))
    (func $id (param "x" u32) (result u32) (canon lift (core func $n "id")))
    (core func $self (canon lower (func $id)))
    (core module $S
      (import "" "self" (func $self (param i32) (result i32)))
      (global $r (mut i32) (i32.const 0))
      (func $start (global.set $r (call $self (i32.const 5))) {trap})
      (start $start)
      (func (export "r") (result i32) (global.get $r)))
    (core instance $s (instantiate $S (with "" (instance (export "self" (func $self))))))
    (func (export "id") (param "x" u32) (result u32) (canon lift (core func $n "id")))
    (func (export "r") (result u32) (canon lift (core func $s "r")))
    (func (export "echo") (param "s" string) (result string)
      (canon lift (core func $n "echo") (memory (core memory $n "mem")) (realloc (core func $n "realloc")))))
  (component $Caller
    (import "callee" (instance $c
      (export "id" (func (param "x" u32) (result u32)))
      (export "echo" (func (param "s" string) (result string)))))
    (core module $Libc
      (memory (export "mem") 1)
      (global $next (mut i32) (i32.const 1024))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $p i32)
        (local.set $p (global.get $next))
        (global.set $next (i32.and (i32.add (i32.add (local.get $p) (local.get 3)) (i32.const 7)) (i32.const -8)))
        (if (i32.gt_u (global.get $next) (i32.const 60000)) (then (global.set $next (i32.const 1024))))
        (local.get $p)))
    (core instance $libc (instantiate $Libc))
    (core func $id (canon lower (func $c "id")))
    (core func $echo (canon lower (func $c "echo") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (core module $Main
      (import "libc" "mem" (memory 1))
      (import "" "id" (func $id (param i32) (result i32)))
      (import "" "echo" (func $echo (param i32 i32 i32)))
      (global $acc (mut i32) (i32.const 0))
      (func $start (local $k i32)
        (i32.store (i32.const 100) (i32.const 0x6c6c6568))
        (block $d (loop $l
          (br_if $d (i32.ge_u (local.get $k) (i32.const {n})))
          (call $echo (i32.const 100) (i32.const 4) (i32.const 8))
          (global.set $acc (i32.add (global.get $acc)
            (i32.add (call $id (local.get $k)) (i32.load8_u (i32.load (i32.const 8))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $l))))
      (start $start)
      (func (export "acc") (result i32) (global.get $acc))
      (func (export "again") (result i32)
        (call $echo (i32.const 100) (i32.const 4) (i32.const 8))
        (i32.add (call $id (i32.const 1)) (i32.load (i32.const 8)))))
    (core instance $main (instantiate $Main
      (with "libc" (instance $libc))
      (with "" (instance (export "id" (func $id)) (export "echo" (func $echo))))))
    (func (export "acc") (result u32) (canon lift (core func $main "acc")))
    (func (export "again") (result u32) (canon lift (core func $main "again"))))
  (instance $callee (instantiate $Callee))
  (instance $caller (instantiate $Caller (with "callee" (instance $callee))))
  (export "caller" (instance $caller))
  (export "callee" (instance $callee)))"#
    )
}

#[test]
fn fused_calls_from_start_functions() {
    let steps = vec![
        ("callee", "r", vec![]),
        ("caller", "acc", vec![]),
        ("caller", "again", vec![]),
        ("callee", "id", vec![u(3)]),
        ("caller", "again", vec![]),
    ];
    for (n, trap) in [(1, false), (300, false), (300, true)] {
        let out = all_alike_in(&start_component(n, trap), 1, std::slice::from_ref(&steps));
        let all = joined(&out);
        if trap {
            assert!(all.contains("instantiate: error"), "{all}");
        } else {
            assert!(all.contains("caller#acc[]: [U32("), "{all}");
        }
    }
}
