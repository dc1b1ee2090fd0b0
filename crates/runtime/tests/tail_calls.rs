//! The safety net for the interpreter's threaded dispatch: every handler
//! ends by tail-calling the next one, and LLVM must turn each of those calls
//! into a jump. If it fails for one handler, every execution of that handler
//! leaves a native frame behind, and a long loop overflows the native stack
//! (the overflow kills the test process: that is the failure signal).
//!
//! The test builds (as WAT text, generated from the opcode table) a loop
//! whose body executes every numeric and SIMD opcode with a fixed signature
//! (operands from locals, and with a constant last operand), every load and
//! store width (plain and with a fused address add), every lane operation,
//! fused compare-and-branch, select, locals, globals, calls and tail calls
//! (direct, indirect, host), br_table, if/else, memory and table operations
//! (loads, stores, lane forms and bulk operations also on memory 1, through
//! `UseMemory`, and `memory.copy` between memories) and the reference
//! instructions, and runs it for many iterations on a thread with
//! a 256 KiB stack, with and without fuel and epoch checks.
//!
//! Checked by hand to catch a regression: making one handler's `next!` a
//! plain call followed by more code (so it is no longer a tail call) makes
//! this test abort with a stack overflow in release builds.
//! When first run it caught `i8x16.shuffle` (its lane arrays gave the
//! handler a frame, and its call to the next handler stayed a call).
//!
//! In builds without tail dispatch (`opt-level` 0/1, `NANOWASM_DISPATCH=loop`)
//! the portable loop never grows the stack; the test then only checks that
//! the module runs, with fewer iterations.

use std::fmt::Write as _;

use nanowasm_core::{HeapType, ImmKind, Opcode, RefType, Sig, ValType};
use nanowasm_runtime::{Config, Engine, Linker, Module, Store};

/// Native stack of the thread that runs the loop. A handler that is not a
/// tail call leaves at least 16 bytes per execution: this is overflowed
/// after ~16,000 executions of it.
const STACK: usize = 256 * 1024;

/// Loop iterations: enough to overflow [`STACK`] many times over if a
/// handler grows the stack (release builds run the tests in CI).
const ITERATIONS: i32 = if cfg!(debug_assertions) { 300 } else { 200_000 };

/// The local read for an operand of type `t`, and the local written for a
/// result of type `t`.
fn src(t: ValType) -> &'static str {
    match t {
        ValType::I32 => "$i32",
        ValType::I64 => "$i64",
        ValType::F32 => "$f32",
        ValType::F64 => "$f64",
        ValType::V128 => "$v128",
        ValType::Ref(r) if r == RefType::FUNCREF => "$fref",
        ValType::Ref(r) if r.heap() == HeapType::Eq => "$eq",
        ValType::Ref(r) if r.heap() == HeapType::Array => "$arr",
        ValType::Ref(r) if r.heap() == HeapType::I31 => "$i31",
        ValType::Ref(_) => "$eref",
    }
}

fn sink(t: ValType) -> &'static str {
    match t {
        ValType::I32 => "$si32",
        ValType::I64 => "$si64",
        ValType::F32 => "$sf32",
        ValType::F64 => "$sf64",
        ValType::V128 => "$sv128",
        ValType::Ref(r) if r == RefType::FUNCREF => "$sfref",
        ValType::Ref(r) if r.heap() == HeapType::Eq => "$seq",
        ValType::Ref(r) if r.heap() == HeapType::Array => "$sarr",
        ValType::Ref(r) if r.heap() == HeapType::I31 => "$si31",
        ValType::Ref(_) => "$seref",
    }
}

/// A constant of type `t` that no operation traps on (division, remainder,
/// truncation, shifts).
fn constant(t: ValType) -> &'static str {
    match t {
        ValType::I32 => "i32.const 3",
        ValType::I64 => "i64.const 3",
        ValType::F32 => "f32.const 3",
        ValType::F64 => "f64.const 3",
        ValType::V128 => "v128.const i32x4 3 3 3 3",
        ValType::Ref(r) if r == RefType::FUNCREF => "ref.null func",
        ValType::Ref(r) if r.heap() == HeapType::Eq => "i32.const 5\n      ref.i31",
        ValType::Ref(r) if r.heap() == HeapType::Array => {
            "(array.new_fixed $bytes 2 (i32.const 1) (i32.const 2))"
        }
        ValType::Ref(r) if r.heap() == HeapType::I31 => "i32.const 5\n      ref.i31",
        ValType::Ref(_) => "ref.null extern",
    }
}

/// Emits `op` with operands from locals (or the last one a constant), its
/// results stored to the sinks.
fn emit_fixed(
    body: &mut String,
    op: &str,
    params: &[ValType],
    results: &[ValType],
    const_last: bool,
) {
    for (i, &p) in params.iter().enumerate() {
        if const_last && i + 1 == params.len() {
            writeln!(body, "      {}", constant(p)).unwrap();
        } else {
            writeln!(body, "      local.get {}", src(p)).unwrap();
        }
    }
    writeln!(body, "      {op}").unwrap();
    for &r in results.iter().rev() {
        writeln!(body, "      local.set {}", sink(r)).unwrap();
    }
}

/// The loop body: every opcode of the table with a fixed typing rule, plus
/// the hand-typed instructions.
fn opcode_body() -> (String, usize) {
    let mut body = String::new();
    let mut covered = 0;
    for &op in Opcode::ALL {
        let name = op.name();
        if !op.feature().is_supported() {
            continue;
        }
        match (op.sig(), op.imm()) {
            (Sig::Fixed(params, results), ImmKind::None | ImmKind::Shuffle) => {
                let name = if op.imm() == ImmKind::Shuffle {
                    format!("{name} 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31")
                } else {
                    name.to_string()
                };
                emit_fixed(&mut body, &name, params, results, false);
                if !params.is_empty() {
                    // The forms with a constant operand (`BinaryImm32`...).
                    emit_fixed(&mut body, &name, params, results, true);
                }
                if results == &[ValType::I32] {
                    // Fused compare-and-branch, both ways.
                    body.push_str("      block $skip\n");
                    emit_fixed(&mut body, &name, params, &[], false);
                    body.push_str("      br_if $skip\n      end\n");
                    emit_fixed(&mut body, &name, params, &[], true);
                    body.push_str("      if\n      nop\n      else\n      nop\n      end\n");
                }
            }
            (Sig::Lane(_, params, results), ImmKind::Lane) => {
                emit_fixed(&mut body, &format!("{name} 1"), params, results, false);
            }
            (Sig::Load(t, _), ImmKind::MemArg) => {
                // Plain, with an offset, and with the address computed by
                // an `i32.add` (fused into the load).
                for form in [
                    "local.get $addr\n      OP".to_string(),
                    "local.get $addr\n      OP offset=8".to_string(),
                    "local.get $addr\n      i32.const 24\n      i32.add\n      OP".to_string(),
                    "local.get $addr\n      local.get $addr\n      i32.add\n      OP offset=4"
                        .to_string(),
                    // On memory 1 (`UseMemory` around the access).
                    "local.get $addr\n      OP $m1 offset=8".to_string(),
                ] {
                    writeln!(body, "      {}", form.replace("OP", name)).unwrap();
                    writeln!(body, "      local.set {}", sink(*t)).unwrap();
                }
            }
            (Sig::Store(t, _), ImmKind::MemArg) => {
                for form in [
                    "local.get $addr\n      VAL\n      OP",
                    "local.get $addr\n      VAL\n      OP offset=8",
                    "local.get $addr\n      i32.const 24\n      i32.add\n      VAL\n      OP",
                    "local.get $addr\n      CONST\n      OP",
                    // On memory 1.
                    "local.get $addr\n      VAL\n      OP $m1 offset=8",
                ] {
                    let text = form
                        .replace("VAL", &format!("local.get {}", src(*t)))
                        .replace("CONST", constant(*t))
                        .replace("OP", name);
                    writeln!(body, "      {text}").unwrap();
                }
            }
            (Sig::LoadLane(_), ImmKind::MemArgLane) => {
                writeln!(
                    body,
                    "      local.get $addr\n      local.get $v128\n      {name} 1\n      local.set $sv128"
                )
                .unwrap();
                // On memory 1.
                writeln!(
                    body,
                    "      local.get $addr\n      local.get $v128\n      {name} $m1 1\n      local.set $sv128"
                )
                .unwrap();
            }
            (Sig::StoreLane(_), ImmKind::MemArgLane) => {
                writeln!(
                    body,
                    "      local.get $addr\n      local.get $v128\n      {name} offset=4 1"
                )
                .unwrap();
                // On memory 1.
                writeln!(
                    body,
                    "      local.get $addr\n      local.get $v128\n      {name} $m1 offset=4 1"
                )
                .unwrap();
            }
            (Sig::Special, _) => continue,
            (sig, imm) => panic!("{name}: unexpected typing rule {sig:?} with {imm:?}"),
        }
        covered += 1;
    }
    (body, covered)
}

/// Instructions typed by hand (control, variables, references, tables,
/// bulk memory), each executed every iteration without trapping.
const SPECIAL: &str = r#"
      ;; constants, drop, nop, select
      i32.const 7
      drop
      i64.const 7
      drop
      f32.const 7
      drop
      f64.const 7
      drop
      v128.const i64x2 7 7
      drop
      nop
      local.get $i32
      local.get $si32
      local.get $i32
      select
      local.set $si32
      local.get $i64
      local.get $si64
      i32.const 0
      select
      local.set $si64
      local.get $f32
      local.get $sf32
      local.get $i32
      select
      local.set $sf32
      local.get $f64
      local.get $sf64
      local.get $i32
      select
      local.set $sf64
      local.get $v128
      local.get $sv128
      local.get $i32
      select (result v128)
      local.set $sv128
      local.get $fref
      local.get $sfref
      local.get $i32
      select (result funcref)
      local.set $sfref
      local.get $eref
      local.get $seref
      local.get $i32
      select (result externref)
      local.set $seref
      ;; locals
      local.get $i32
      local.tee $si32
      local.set $si32
      local.get $v128
      local.tee $sv128
      drop
      ;; two copies in a row (one `CopyPair`)
      local.get $i32
      local.set $si32
      local.get $i64
      local.set $si64
      ;; globals of every type
      global.get $gi32
      i32.const 1
      i32.add
      global.set $gi32
      global.get $gi64
      global.set $gi64
      global.get $gf32
      global.set $gf32
      global.get $gf64
      global.set $gf64
      global.get $gv128
      global.set $gv128
      global.get $gfref
      global.set $gfref
      global.get $geref
      global.set $geref
      global.get $gconst
      local.set $si32
      ;; blocks, branches, br_table, if/else with params and results
      block $a
        block $b
          block $c
            global.get $gi32
            i32.const 3
            i32.and
            br_table $a $b $c $a
          end
          br $a
        end
        br $a
      end
      block $d (result i32)
        i32.const 1
        local.get $i32
        br_if $d
        drop
        i32.const 2
      end
      local.set $si32
      local.get $i32
      i32.const 5
      global.get $gi32
      i32.const 1
      i32.and
      if (param i32 i32) (result i32)
        i32.add
      else
        i32.sub
      end
      local.set $si32
      local.get $i32
      if
        nop
      end
      loop $inner (result i32)
        i32.const 4
      end
      local.set $si32
      ;; calls: direct, indirect, host, multi-value, recursive
      local.get $i32
      call $inc
      local.set $si32
      local.get $i32
      global.get $gi32
      i32.const 1
      i32.and
      call_indirect $tab (type $unary)
      local.set $si32
      ;; typed function references: call_ref, ref.as_non_null,
      ;; br_on_null and br_on_non_null (taken and not)
      local.get $i32
      ref.func $inc
      ref.as_non_null
      call_ref $unary
      local.set $si32
      block $null
        ref.null $unary
        br_on_null $null
        drop
      end
      block $null
        ref.func $dec
        br_on_null $null
        drop
      end
      block $nn (result (ref $unary))
        ref.func $inc
        br_on_non_null $nn
        ref.func $dec
      end
      drop
      block $nn (result (ref $unary))
        ref.func $dec
        ref.null $unary
        br_on_non_null $nn
      end
      drop
      local.get $i32
      call $host
      local.set $si32
      local.get $i64
      local.get $f64
      call $pair
      local.set $sf64
      local.set $si64
      i32.const 3
      call $countdown
      local.set $si32
      local.get $v128
      call $vec
      local.set $sv128
      ;; tail calls: direct (recursive), indirect, to the host
      i32.const 3
      call $tail_countdown
      local.set $si32
      local.get $i32
      call $tail_indirect
      local.set $si32
      local.get $i32
      call $tail_ref
      local.set $si32
      local.get $i32
      call $tail_host
      local.set $si32
      ;; memory
      memory.size
      local.set $si32
      i32.const 0
      memory.grow
      local.set $si32
      i32.const 256
      i32.const 0xab
      i32.const 32
      memory.fill
      i32.const 512
      i32.const 256
      i32.const 32
      memory.copy
      i32.const 1024
      i32.const 0
      i32.const 0
      memory.init $data
      ;; memory 1 (not in the handlers' registers)
      memory.size $m1
      local.set $si32
      i32.const 0
      memory.grow $m1
      local.set $si32
      i32.const 256
      i32.const 0xcd
      i32.const 32
      memory.fill $m1
      i32.const 512
      i32.const 256
      i32.const 32
      memory.copy $m1 $m1
      i32.const 512
      i32.const 256
      i32.const 32
      memory.copy 0 $m1
      i32.const 512
      i32.const 256
      i32.const 32
      memory.copy $m1 0
      i32.const 1024
      i32.const 0
      i32.const 0
      memory.init $m1 $data
      data.drop $data
      ;; tables and references
      table.size $tab
      local.set $si32
      ref.null func
      i32.const 0
      table.grow $tab
      local.set $si32
      i32.const 1
      table.get $tab
      local.set $sfref
      i32.const 3
      local.get $sfref
      table.set $tab
      i32.const 2
      ref.func $inc
      i32.const 2
      table.fill $tab
      i32.const 2
      i32.const 0
      i32.const 2
      table.copy $tab $tab
      i32.const 0
      i32.const 0
      i32.const 0
      table.init $tab $elem
      elem.drop $elem
      i32.const 0
      local.get $eref
      table.set $etab
      i32.const 0
      table.get $etab
      ref.is_null
      local.set $si32
      ref.func $inc
      ref.is_null
      local.set $si32
      ref.null extern
      local.set $seref
      table.size $etab
      local.set $si32
      ;; GC: structs, arrays, casts, conversions
      (local.set $p (struct.new $pt (local.get $i32) (local.get $i64) (local.get $v128) (local.get $any)))
      (local.set $p (struct.new_default $pt))
      (struct.set $pt $x (local.get $p) (i32.const 7))
      (struct.set $pt $v (local.get $p) (local.get $v128))
      (struct.set $pt $r (local.get $p) (local.get $eq))
      (local.set $si32 (struct.get $pt $x (local.get $p)))
      (local.set $si64 (struct.get $pt $y (local.get $p)))
      (local.set $sv128 (struct.get $pt $v (local.get $p)))
      (local.set $sany (struct.get $pt $r (local.get $p)))
      (local.set $arr (array.new $bytes (i32.const 200) (i32.const 16)))
      (local.set $arr (array.new_default $bytes (i32.const 16)))
      (local.set $arr (array.new_data $bytes $gcdata (i32.const 0) (i32.const 4)))
      (local.set $sarr (array.new_elem $refs $anys (i32.const 0) (i32.const 2)))
      (array.set $bytes (ref.cast (ref $bytes) (local.get $arr)) (i32.const 1) (i32.const -1))
      (local.set $si32 (array.get_s $bytes (ref.cast (ref $bytes) (local.get $arr)) (i32.const 1)))
      (local.set $si32 (array.get_u $bytes (ref.cast (ref $bytes) (local.get $arr)) (i32.const 1)))
      (array.fill $bytes (ref.cast (ref $bytes) (local.get $arr)) (i32.const 0) (i32.const 3) (i32.const 2))
      (array.copy $bytes $bytes (ref.cast (ref $bytes) (local.get $arr)) (i32.const 0)
                                (ref.cast (ref $bytes) (local.get $arr)) (i32.const 1) (i32.const 2))
      (array.init_data $bytes $gcdata (ref.cast (ref $bytes) (local.get $arr)) (i32.const 0) (i32.const 0) (i32.const 2))
      (array.init_elem $refs $anys (ref.cast (ref $refs) (local.get $sarr)) (i32.const 0) (i32.const 0) (i32.const 1))
      (local.set $si32 (ref.test (ref $pt) (local.get $any)))
      (local.set $si32 (ref.test (ref null i31) (local.get $any)))
      (local.set $any (ref.cast (ref null $pt) (local.get $any)))
      (local.set $sany (block $yes (result anyref)
        (drop (br_on_cast $yes anyref (ref $pt) (local.get $any)))
        (ref.null any)))
      (local.set $sany (block $no (result anyref)
        (drop (br_on_cast_fail $no anyref (ref $pt) (local.get $any)))
        (ref.null any)))
      (local.set $seref (extern.convert_any (local.get $any)))
      (local.set $sany (any.convert_extern (local.get $seref)))
"#;

fn module_text() -> (String, usize) {
    let (body, covered) = opcode_body();
    let text = format!(
        r#"(module
  (type $unary (func (param i32) (result i32)))
  (type $pt (struct (field $x (mut i32)) (field $y (mut i64)) (field $v (mut v128)) (field $r (mut anyref))))
  (type $bytes (array (mut i8)))
  (type $refs (array (mut anyref)))
  (import "host" "tick" (func $host (param i32) (result i32)))
  (memory 1 2)
  (memory $m1 1 2)
  (table $tab 4 8 funcref)
  (table $etab 2 externref)
  (elem (table $tab) (i32.const 0) func $inc $dec)
  (elem $elem func $dec $inc)
  (elem $anys anyref (item (ref.i31 (i32.const 1))) (item (ref.null any)))
  (data $data "0123456789abcdef")
  (data $gcdata "abcdefgh")
  (global $gi32 (mut i32) (i32.const 0))
  (global $gi64 (mut i64) (i64.const 0))
  (global $gf32 (mut f32) (f32.const 0))
  (global $gf64 (mut f64) (f64.const 0))
  (global $gv128 (mut v128) (v128.const i32x4 0 0 0 0))
  (global $gfref (mut funcref) (ref.null func))
  (global $geref (mut externref) (ref.null extern))
  (global $gconst i32 (i32.const 42))
  (func $inc (type $unary) local.get 0 i32.const 1 i32.add)
  (func $dec (type $unary) local.get 0 i32.const 1 i32.sub)
  (func $pair (param i64 f64) (result i64 f64) local.get 0 local.get 1)
  (func $vec (param v128) (result v128) local.get 0 local.get 0 i32x4.add)
  (func $countdown (param i32) (result i32)
    local.get 0
    i32.eqz
    if (result i32)
      i32.const 0
    else
      local.get 0
      i32.const 1
      i32.sub
      call $countdown
    end)
  (func $tail_countdown (param i32) (result i32)
    local.get 0
    i32.eqz
    if (result i32)
      i32.const 0
    else
      local.get 0
      i32.const 1
      i32.sub
      return_call $tail_countdown
    end)
  (func $tail_indirect (param i32) (result i32)
    local.get 0
    i32.const 1
    return_call_indirect $tab (type $unary))
  (func $tail_ref (param i32) (result i32)
    local.get 0
    ref.func $inc
    return_call_ref $unary)
  (func $tail_host (param i32) (result i32)
    local.get 0
    return_call $host)
  (func (export "run") (param $n i32) (result i32)
    (local $i32 i32) (local $i64 i64) (local $f32 f32) (local $f64 f64) (local $v128 v128)
    (local $fref funcref) (local $eref externref) (local $addr i32)
    (local $si32 i32) (local $si64 i64) (local $sf32 f32) (local $sf64 f64) (local $sv128 v128)
    (local $sfref funcref) (local $seref externref)
    (local $eq eqref) (local $arr arrayref) (local $i31 i31ref)
    (local $seq eqref) (local $sarr arrayref) (local $si31 i31ref)
    (local $any anyref) (local $sany anyref) (local $p (ref null $pt))
    i32.const 1
    local.set $i32
    i64.const 1
    local.set $i64
    f32.const 1
    local.set $f32
    f64.const 1
    local.set $f64
    v128.const i32x4 1 1 1 1
    local.set $v128
    ref.func $inc
    local.set $fref
    i32.const 64
    local.set $addr
    (local.set $eq (ref.i31 (i32.const 9)))
    (local.set $i31 (ref.i31 (i32.const 9)))
    (local.set $arr (array.new_default $bytes (i32.const 8)))
    (local.set $p (struct.new_default $pt))
    (local.set $any (local.get $p))
    loop $top
{body}{SPECIAL}
      local.get $n
      i32.const 1
      i32.sub
      local.tee $n
      br_if $top
    end
    global.get $gi32)
)
"#
    );
    (text, covered)
}

/// Runs the loop on a thread with a [`STACK`]-byte stack; returns the
/// iteration count the module saw.
fn run_on_small_stack(fuel_and_epochs: bool) -> i32 {
    let (text, covered) = module_text();
    // Every opcode with a fixed typing rule (all but the hand-typed ones,
    // which `SPECIAL` covers) is in the loop.
    let special = Opcode::ALL
        .iter()
        .filter(|op| matches!(op.sig(), Sig::Special))
        .count();
    // Those of proposals the engines do not run yet (GC) are left out.
    let unsupported = Opcode::ALL
        .iter()
        .filter(|op| !matches!(op.sig(), Sig::Special) && !op.feature().is_supported())
        .count();
    assert_eq!(covered + special + unsupported, Opcode::ALL.len());
    // Parsing, validation and translation run here, on the test's own
    // stack: only the execution is under test.
    let mut config = Config::new();
    config.consume_fuel(fuel_and_epochs);
    config.epoch_interruption(fuel_and_epochs);
    config.wasm_tail_call(true);
    config.wasm_relaxed_simd(true);
    config.wasm_multi_memory(true);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, &text).expect("the generated module is valid");
    module
        .translate_all()
        .expect("the generated module translates");
    std::thread::Builder::new()
        .name("small-stack".into())
        .stack_size(STACK)
        .spawn(move || {
            let mut linker = Linker::<u64>::new(&engine);
            linker
                .func_wrap(
                    "host",
                    "tick",
                    |mut caller: nanowasm_runtime::Caller<'_, u64>, x: i32| {
                        *caller.data_mut() += 1;
                        x + 1
                    },
                )
                .unwrap();
            let mut store = Store::new(&engine, 0u64);
            if fuel_and_epochs {
                store.set_fuel(u64::MAX).unwrap();
                store.set_epoch_deadline(u64::MAX / 2);
            }
            let instance = linker.instantiate(&mut store, &module).unwrap();
            let run = instance
                .get_typed_func::<i32, i32>(&mut store, "run")
                .unwrap();
            let n = run.call(&mut store, ITERATIONS).unwrap();
            // `call $host` and `return_call $host` per iteration.
            assert_eq!(*store.data(), 2 * ITERATIONS as u64, "host calls");
            n
        })
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn every_handler_runs_in_constant_native_stack() {
    assert_eq!(run_on_small_stack(false), ITERATIONS);
}

#[test]
fn every_handler_runs_in_constant_native_stack_with_fuel_and_epochs() {
    assert_eq!(run_on_small_stack(true), ITERATIONS);
}
