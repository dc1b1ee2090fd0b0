//! The validator's [`VisitOperator`]: what a back end is passed, what it is
//! not (dead code), how its errors come back, and, over every module of the
//! 2.0 spec testsuite, that every reachable instruction reaches the method
//! named after its opcode, at its offset, with its labels.
//!
//! The suite is found like the `spec` test finds it (`$NANOWASM_TESTSUITE`
//! or `../shared/testsuite-2.0` beside the repository); the suite test fails
//! if it is missing.

#[path = "spec/scan.rs"]
mod scan;
#[path = "spec/suite.rs"]
mod suite;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use nanowasm_binary::reader::Reader;
use nanowasm_binary::{
    decode, Error, ErrorKind, Features, FrameKind, FuncStart, FuncValidator, Imm, Module,
    NoVisitor, OperatorReader, Resolved, Result, Types, VisitOperator,
};
use nanowasm_core::{BlockType, FuncType, Opcode, Sig, ValType};

use scan::Sexp;
use suite::{module_src, testsuite, wast_files, ModuleSrc};

use ValType::{F32, F64, I32, I64, V128};

const EXTERNREF: ValType = ValType::EXTERNREF;
const FUNCREF: ValType = ValType::FUNCREF;

// ---------------------------------------------------------------------------
// What a visitor saw.

/// Parameter and result types.
type Signature = (Vec<ValType>, Vec<ValType>);

/// One visited instruction, with everything [`Resolved`] offers.
#[derive(Clone, Debug, PartialEq)]
struct Seen {
    op: Opcode,
    offset: usize,
    ty: Option<ValType>,
    /// Block parameters and results.
    block: Option<Signature>,
    ending: Option<FrameKind>,
    end_reachable: bool,
    /// The callee's parameters and results.
    callee: Option<Signature>,
    /// For `br`, `br_if` and `br_table`: the label of each target (a
    /// `br_table`'s targets, then its default), `None` where `label` said
    /// there is none.
    labels: Vec<Option<(FrameKind, Vec<ValType>)>>,
    depth: usize,
}

/// The types of a [`Types`], checking its accessors agree with each other.
fn types_vec(t: Types<'_>) -> Vec<ValType> {
    let v: Vec<ValType> = t.iter().collect();
    assert_eq!(t.len(), v.len(), "Types::len of {t:?}");
    assert_eq!(t.is_empty(), v.is_empty(), "Types::is_empty of {t:?}");
    for (i, &ty) in v.iter().enumerate() {
        assert_eq!(t.get(i), ty, "Types::get({i}) of {t:?}");
    }
    let mut rev: Vec<ValType> = t.iter().rev().collect();
    rev.reverse();
    assert_eq!(rev, v, "Types::iter().rev() of {t:?}");
    v
}

fn func_type_vecs(f: &FuncType) -> Signature {
    (f.params().to_vec(), f.results().to_vec())
}

/// The branch targets of a `br`, `br_if` or `br_table`, in order.
fn branch_targets(op: Opcode, imm: Imm<'_>) -> Vec<u32> {
    match (op, imm) {
        (Opcode::Br | Opcode::BrIf, Imm::Index(d)) => vec![d],
        (Opcode::BrTable, Imm::BrTable(t)) => t.targets().chain([t.default]).collect(),
        _ => Vec::new(),
    }
}

fn snapshot(op: Opcode, imm: Imm<'_>, at: &Resolved<'_>) -> Seen {
    Seen {
        op,
        offset: at.offset(),
        ty: at.ty(),
        block: at.block().map(|(p, r)| (types_vec(p), types_vec(r))),
        ending: at.ending(),
        end_reachable: at.end_reachable(),
        callee: at.callee().map(func_type_vecs),
        labels: branch_targets(op, imm)
            .into_iter()
            .map(|d| at.label(d).map(|l| (l.kind, types_vec(l.types))))
            .collect(),
        depth: at.depth(),
    }
}

/// What `visit_start` was passed.
#[derive(Debug, PartialEq)]
struct Start {
    func: u32,
    params: Vec<ValType>,
    results: Vec<ValType>,
    locals: Vec<ValType>,
    offset: usize,
}

/// Records everything through `visit_operator`.
#[derive(Default)]
struct Recorder {
    start: Option<Start>,
    seen: Vec<Seen>,
}

impl VisitOperator for Recorder {
    fn visit_start(&mut self, start: &FuncStart<'_>) -> Result<()> {
        assert!(self.start.is_none(), "visit_start called twice");
        self.start = Some(Start {
            func: start.func,
            params: start.ty.params().to_vec(),
            results: start.ty.results().to_vec(),
            locals: start.locals.to_vec(),
            offset: start.offset,
        });
        Ok(())
    }

    fn visit_operator(&mut self, op: Opcode, imm: Imm<'_>, at: &Resolved<'_>) -> Result<()> {
        assert!(self.start.is_some(), "an instruction before visit_start");
        self.seen.push(snapshot(op, imm, at));
        Ok(())
    }
}

impl Recorder {
    fn ops(&self) -> Vec<Opcode> {
        self.seen.iter().map(|s| s.op).collect()
    }

    fn first(&self, op: Opcode) -> &Seen {
        self.seen
            .iter()
            .find(|s| s.op == op)
            .unwrap_or_else(|| panic!("{} was not visited", op.name()))
    }

    fn all(&self, op: Opcode) -> Vec<&Seen> {
        self.seen.iter().filter(|s| s.op == op).collect()
    }
}

fn module(wat: &str) -> Module {
    let bytes = wat::parse_str(wat).unwrap_or_else(|e| panic!("bad test module: {e}"));
    decode(bytes, Features::default()).unwrap_or_else(|e| panic!("invalid test module: {e}"))
}

/// Visits function `func` (imports included) of `m`.
fn record(m: &Module, func: u32) -> Recorder {
    let mut rec = Recorder::default();
    FuncValidator::new()
        .visit_function(m, Features::default(), func, &mut rec)
        .unwrap_or_else(|e| panic!("visiting function {func}: {e}"));
    rec
}

/// Visits the module's only function.
fn record_only(wat: &str) -> (Module, Recorder) {
    let m = module(wat);
    assert_eq!(m.bodies.len(), 1);
    let rec = record(&m, m.num_imported.funcs);
    (m, rec)
}

use Opcode as O;

// ---------------------------------------------------------------------------
// What is passed.

#[test]
fn start_gets_the_function_index_type_and_flattened_locals() {
    let m = module(
        r#"(module
             (import "env" "f" (func (param i32)))
             (func (param i32 f64) (result i64)
               (local i64 i64) (local f32) (local $r externref)
               i64.const 7))"#,
    );
    let rec = record(&m, 1);
    assert_eq!(
        rec.start,
        Some(Start {
            func: 1,
            params: vec![I32, F64],
            results: vec![I64],
            locals: vec![I32, F64, I64, I64, F32, EXTERNREF],
            offset: m.bodies[0].code.start,
        })
    );
    assert_eq!(rec.ops(), [O::I64Const, O::End]);
    assert_eq!(rec.seen[0].offset, m.bodies[0].code.start);
    // An imported function has no body to visit.
    let err = FuncValidator::new()
        .visit_function(&m, Features::default(), 0, &mut Recorder::default())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(err.message().contains("no body"), "{err}");
    // Validation alone, through the same entry point.
    FuncValidator::new()
        .visit_function(&m, Features::default(), 1, &mut NoVisitor)
        .unwrap();
}

#[test]
fn ty_is_the_type_an_opcode_leaves_open() {
    let (_, rec) = record_only(
        r#"(module
             (global $g (mut f64) (f64.const 0))
             (table $t 1 externref)
             (memory 1)
             (func (param i32) (local i64 f32 funcref)
               (local.set 1 (i64.const 1))
               (drop (local.tee 2 (f32.const 1)))
               (drop (local.get 3))
               (global.set $g (global.get $g))
               (drop (select (i64.const 1) (i64.const 2) (local.get 0)))
               (drop (select (result externref) (ref.null extern) (ref.null extern) (local.get 0)))
               (drop (ref.is_null (local.get 3)))
               (table.set $t (i32.const 0) (table.get $t (i32.const 0)))
               (drop (table.grow $t (ref.null extern) (i32.const 1)))
               (table.fill $t (i32.const 0) (ref.null extern) (i32.const 1))
               (drop (table.size $t))
               (drop (i64.load32_u (i32.const 0)))
               (f32.store (i32.const 0) (f32.const 1))
               (i32.store8 (i32.const 0) (i32.const 1))
               (drop (v128.load (i32.const 0)))
               (drop (v128.load8_lane 3 (i32.const 0) (v128.const i64x2 0 0)))
               (v128.store16_lane 1 (i32.const 0) (v128.const i64x2 0 0))
               (drop (i32.add (local.get 0) (i32.const 1)))
               nop))"#,
    );
    let got: Vec<(Opcode, Option<ValType>)> = rec.seen.iter().map(|s| (s.op, s.ty)).collect();
    let expected = vec![
        (O::I64Const, None),
        (O::LocalSet, Some(I64)),
        (O::F32Const, None),
        (O::LocalTee, Some(F32)),
        (O::Drop, Some(F32)),
        (O::LocalGet, Some(FUNCREF)),
        (O::Drop, Some(FUNCREF)),
        (O::GlobalGet, Some(F64)),
        (O::GlobalSet, Some(F64)),
        (O::I64Const, None),
        (O::I64Const, None),
        (O::LocalGet, Some(I32)),
        (O::Select, Some(I64)),
        (O::Drop, Some(I64)),
        (O::RefNull, None),
        (O::RefNull, None),
        (O::LocalGet, Some(I32)),
        (O::SelectTyped, Some(EXTERNREF)),
        (O::Drop, Some(EXTERNREF)),
        (O::LocalGet, Some(FUNCREF)),
        (O::RefIsNull, Some(FUNCREF)),
        (O::Drop, Some(I32)),
        (O::I32Const, None),
        (O::I32Const, None),
        (O::TableGet, Some(EXTERNREF)),
        (O::TableSet, Some(EXTERNREF)),
        (O::RefNull, None),
        (O::I32Const, None),
        (O::TableGrow, Some(EXTERNREF)),
        (O::Drop, Some(I32)),
        (O::I32Const, None),
        (O::RefNull, None),
        (O::I32Const, None),
        (O::TableFill, Some(EXTERNREF)),
        (O::TableSize, None),
        (O::Drop, Some(I32)),
        (O::I32Const, None),
        (O::I64Load32U, Some(I64)),
        (O::Drop, Some(I64)),
        (O::I32Const, None),
        (O::F32Const, None),
        (O::F32Store, Some(F32)),
        (O::I32Const, None),
        (O::I32Const, None),
        (O::I32Store8, Some(I32)),
        (O::I32Const, None),
        (O::V128Load, Some(V128)),
        (O::Drop, Some(V128)),
        (O::I32Const, None),
        (O::V128Const, None),
        (O::V128Load8Lane, Some(V128)),
        (O::Drop, Some(V128)),
        (O::I32Const, None),
        (O::V128Const, None),
        (O::V128Store16Lane, Some(V128)),
        (O::LocalGet, Some(I32)),
        (O::I32Const, None),
        (O::I32Add, None),
        (O::Drop, Some(I32)),
        (O::Nop, None),
        (O::End, None),
    ];
    assert_eq!(got, expected);
    // None of these has a block, an ending, a callee or labels.
    for s in &rec.seen[..rec.seen.len() - 1] {
        assert_eq!(
            (&s.block, s.ending, &s.callee, s.labels.len()),
            (&None, None, &None, 0),
            "{s:?}"
        );
    }
}

#[test]
fn block_gives_params_and_results_of_block_loop_if_else_end() {
    let (_, rec) = record_only(
        r#"(module
             (func (param i32) (result i32)
               i32.const 1
               i64.const 2
               block (param i32 i64) (result i32 i64)
               end
               drop
               loop (result f32)
                 f32.const 5
               end
               drop
               local.get 0
               if (result f64)
                 f64.const 1
               else
                 f64.const 2
               end
               drop
               block
               end))"#,
    );
    let blocks: Vec<(Opcode, Option<Signature>)> = rec
        .seen
        .iter()
        .filter(|s| {
            matches!(
                s.op,
                O::Block | O::Loop | O::If | O::Else | O::End | O::Drop
            )
        })
        .map(|s| (s.op, s.block.clone()))
        .collect();
    let multi = Some((vec![I32, I64], vec![I32, I64]));
    assert_eq!(
        blocks,
        vec![
            (O::Block, multi.clone()),
            (O::End, multi),
            (O::Drop, None),
            (O::Loop, Some((vec![], vec![F32]))),
            (O::End, Some((vec![], vec![F32]))),
            (O::Drop, None),
            (O::If, Some((vec![], vec![F64]))),
            (O::Else, Some((vec![], vec![F64]))),
            (O::End, Some((vec![], vec![F64]))),
            (O::Drop, None),
            (O::Block, Some((vec![], vec![]))),
            (O::End, Some((vec![], vec![]))),
            // The function's `end` has no block type.
            (O::End, None),
        ]
    );
    // The drop after the multi-value block drops its last result.
    assert_eq!(rec.first(O::Drop).ty, Some(I64));
    // A block's frame is on the stack at its start and gone at its end;
    // an `else` replaces the `if`'s frame.
    let depths: Vec<(Opcode, usize)> = rec
        .seen
        .iter()
        .filter(|s| matches!(s.op, O::Block | O::If | O::Else | O::End | O::F64Const))
        .map(|s| (s.op, s.depth))
        .collect();
    assert_eq!(
        depths,
        vec![
            (O::Block, 2),
            (O::End, 1),
            (O::End, 1),
            (O::If, 2),
            (O::F64Const, 2),
            (O::Else, 2),
            (O::F64Const, 2),
            (O::End, 1),
            (O::Block, 2),
            (O::End, 1),
            (O::End, 0),
        ]
    );
}

#[test]
fn ending_and_end_reachable_at_else_and_end() {
    let m = module(
        r#"(module
             (func (param i32) (result i32)
               block
                 br 0
               end
               block
                 nop
               end
               local.get 0
               if (result i32)
                 i32.const 1
                 return
               else
                 i32.const 2
               end
               local.get 0
               if
                 nop
               end
               local.get 0
               if
                 unreachable
               end
               loop
               end)
             (func
               unreachable))"#,
    );
    let rec = record(&m, 0);
    let ends: Vec<(Opcode, Option<FrameKind>, bool)> = rec
        .seen
        .iter()
        .filter(|s| matches!(s.op, O::Else | O::End))
        .map(|s| (s.op, s.ending, s.end_reachable))
        .collect();
    assert_eq!(
        ends,
        vec![
            // A block ending in `br`.
            (O::End, Some(FrameKind::Block), false),
            (O::End, Some(FrameKind::Block), true),
            // An `if` whose then-branch returns.
            (O::Else, Some(FrameKind::If), false),
            (O::End, Some(FrameKind::Else), true),
            // An `if` without `else`.
            (O::End, Some(FrameKind::If), true),
            (O::End, Some(FrameKind::If), false),
            (O::End, Some(FrameKind::Loop), true),
            (O::End, Some(FrameKind::Func), true),
        ]
    );
    // Nothing else has an ending.
    for s in rec
        .seen
        .iter()
        .filter(|s| !matches!(s.op, O::Else | O::End))
    {
        assert_eq!((s.ending, s.end_reachable), (None, false), "{s:?}");
    }
    // A body that ends in `unreachable`.
    let rec = record(&m, 1);
    assert_eq!(rec.ops(), [O::Unreachable, O::End]);
    assert_eq!(rec.seen[1].ending, Some(FrameKind::Func));
    assert!(!rec.seen[1].end_reachable);
}

#[test]
fn label_kinds_and_types_at_branches() {
    let (_, rec) = record_only(
        r#"(module
             (func (param i32) (result i64)
               i32.const 0
               loop (param i32) (result f32)
                 local.get 0
                 br_if 0
                 drop
                 block (result i64)
                   i64.const 1
                   local.get 0
                   br_if 0
                   local.get 0
                   br_if 2
                   drop
                   i64.const 2
                 end
                 drop
                 f32.const 1
               end
               drop
               block
                 br 0
               end
               block (result i64)
                 block (result i64)
                   i64.const 3
                   local.get 0
                   br_table 0 1 2
                 end
               end))"#,
    );
    let loop_label = Some((FrameKind::Loop, vec![I32]));
    let block_i64 = Some((FrameKind::Block, vec![I64]));
    let func_label = Some((FrameKind::Func, vec![I64]));
    let branches: Vec<(Opcode, Vec<_>, usize)> = rec
        .seen
        .iter()
        .filter(|s| matches!(s.op, O::Br | O::BrIf | O::BrTable))
        .map(|s| (s.op, s.labels.clone(), s.depth))
        .collect();
    assert_eq!(
        branches,
        vec![
            // A loop's label carries its parameters.
            (O::BrIf, vec![loop_label], 2),
            // A block's label carries its results.
            (O::BrIf, vec![block_i64.clone()], 3),
            // The function's label carries its results.
            (O::BrIf, vec![func_label.clone()], 3),
            (O::Br, vec![Some((FrameKind::Block, vec![]))], 2),
            (
                O::BrTable,
                vec![block_i64.clone(), block_i64, func_label],
                3
            ),
        ]
    );
    // Beyond the function's label there is none; no other instruction
    // has labels.
    let mut rec2 = LabelProbe::default();
    let m = module(r#"(module (func block (loop (br 1)) end))"#);
    FuncValidator::new()
        .visit_function(&m, Features::default(), 0, &mut rec2)
        .unwrap();
    assert_eq!(
        rec2.at_br,
        vec![
            Some(FrameKind::Loop),
            Some(FrameKind::Block),
            Some(FrameKind::Func),
            None
        ]
    );
    for s in rec
        .seen
        .iter()
        .filter(|s| !matches!(s.op, O::Br | O::BrIf | O::BrTable))
    {
        assert!(s.labels.is_empty());
    }
}

/// At `br`, asks for the kinds of labels 0 to 3.
#[derive(Default)]
struct LabelProbe {
    at_br: Vec<Option<FrameKind>>,
}

impl VisitOperator for LabelProbe {
    fn visit_br(&mut self, _imm: Imm<'_>, at: &Resolved<'_>) -> Result<()> {
        self.at_br = (0..4).map(|d| at.label(d).map(|l| l.kind)).collect();
        Ok(())
    }
}

#[test]
fn callee_at_call_call_indirect_and_return() {
    let m = module(
        r#"(module
             (type $t (func (param i32) (result i32)))
             (import "env" "h" (func $h (param f64)))
             (table 1 funcref)
             (func $f (type $t) (local.get 0))
             (func (param i32 i64) (result i32)
               (call $h (f64.const 1))
               (call $f (local.get 0))
               (call_indirect (type $t) (i32.const 7) (i32.const 0))
               i32.add
               return))"#,
    );
    let rec = record(&m, 2);
    let calls: Vec<(Opcode, Option<Signature>)> = rec
        .seen
        .iter()
        .filter(|s| s.callee.is_some() || matches!(s.op, O::Call | O::CallIndirect | O::Return))
        .map(|s| (s.op, s.callee.clone()))
        .collect();
    assert_eq!(
        calls,
        vec![
            (O::Call, Some((vec![F64], vec![]))),
            (O::Call, Some((vec![I32], vec![I32]))),
            (O::CallIndirect, Some((vec![I32], vec![I32]))),
            // `return` gets the function's own type.
            (O::Return, Some((vec![I32, I64], vec![I32]))),
        ]
    );
    // Nothing after `return` is visited but the function's `end`.
    assert_eq!(rec.seen.last().map(|s| s.op), Some(O::End));
}

#[test]
fn offsets_are_the_opcodes_byte_offsets() {
    let (m, rec) = record_only(
        r#"(module
             (memory 1)
             (func (param f32) (result i32)
               (local i64)
               i32.const 1000
               i32.const 1
               i32.add
               drop
               local.get 0
               i32.trunc_sat_f32_s
               v128.const i32x4 1 2 3 4
               i32x4.extract_lane 2
               i32.add))"#,
    );
    let start = m.bodies[0].code.start;
    let offsets: Vec<(Opcode, usize)> = rec.seen.iter().map(|s| (s.op, s.offset - start)).collect();
    assert_eq!(
        offsets,
        vec![
            (O::I32Const, 0),          // 0x41 0xe8 0x07
            (O::I32Const, 3),          // 0x41 0x01
            (O::I32Add, 5),            // 0x6a
            (O::Drop, 6),              // 0x1a
            (O::LocalGet, 7),          // 0x20 0x00
            (O::I32TruncSatF32S, 9),   // 0xfc 0x00
            (O::V128Const, 11),        // 0xfd 0x0c + 16 bytes
            (O::I32x4ExtractLane, 29), // 0xfd 0x1b 0x02
            (O::I32Add, 32),
            (O::End, 33),
        ]
    );
    assert_eq!(start + 34, m.bodies[0].code.end);
    // And the byte there is the opcode's (or its prefix).
    for s in &rec.seen {
        assert_eq!(
            m.bytes[s.offset],
            s.op.prefix().unwrap_or(s.op.code() as u8),
            "{s:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// Dead code.

#[test]
fn dead_code_is_not_visited() {
    let (_, rec) = record_only(
        r#"(module
             (func (param i32) (result i32)
               block
                 br 0
                 i32.const 1
                 drop
                 block (result i32)
                   i32.const 2
                   br 0
                 end
                 drop
               end
               block
                 local.get 0
                 br_table 0 0
                 loop
                   nop
                 end
               end
               local.get 0
               if
                 i32.const 9
                 return
                 nop
                 if
                   nop
                 else
                   nop
                 end
               else
                 nop
               end
               unreachable
               i32.const 3
               if (result i32)
                 i32.const 4
               else
                 i32.const 5
               end))"#,
    );
    assert_eq!(
        rec.ops(),
        [
            O::Block,
            O::Br,
            O::End,
            O::Block,
            O::LocalGet,
            O::BrTable,
            O::End,
            O::LocalGet,
            O::If,
            O::I32Const,
            O::Return,
            O::Else,
            O::Nop,
            O::End,
            O::Unreachable,
            O::End,
        ]
    );
    let ends: Vec<(Option<FrameKind>, bool)> = rec
        .all(O::End)
        .iter()
        .map(|s| (s.ending, s.end_reachable))
        .collect();
    assert_eq!(
        ends,
        [
            (Some(FrameKind::Block), false),
            (Some(FrameKind::Block), false),
            (Some(FrameKind::Else), true),
            (Some(FrameKind::Func), false),
        ]
    );
    assert_eq!(
        (rec.first(O::Else).ending, rec.first(O::Else).end_reachable),
        (Some(FrameKind::If), false)
    );
}

// ---------------------------------------------------------------------------
// Errors and overriding.

/// Fails at `i64.mul` (or at the start, if asked) and records the rest.
#[derive(Default)]
struct Refuser {
    at_start: bool,
    ops: Vec<Opcode>,
}

impl VisitOperator for Refuser {
    fn visit_start(&mut self, start: &FuncStart<'_>) -> Result<()> {
        if self.at_start {
            return Err(Error::unsupported("no functions today", start.offset));
        }
        Ok(())
    }

    fn visit_i64_mul(&mut self, _imm: Imm<'_>, at: &Resolved<'_>) -> Result<()> {
        Err(Error::unsupported("i64.mul is not supported", at.offset()))
    }

    fn visit_operator(&mut self, op: Opcode, _imm: Imm<'_>, _at: &Resolved<'_>) -> Result<()> {
        self.ops.push(op);
        Ok(())
    }
}

#[test]
fn a_visitor_error_aborts_with_its_message_and_offset() {
    let m = module(
        r#"(module
             (func (result i64)
               i64.const 1
               i64.const 2
               i64.mul
               i64.const 3
               i64.add))"#,
    );
    let start = m.bodies[0].code.start;
    let mut v = Refuser::default();
    let err = FuncValidator::new()
        .visit_function(&m, Features::default(), 0, &mut v)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert_eq!(err.message(), "i64.mul is not supported");
    assert_eq!(err.offset(), start + 4);
    assert_eq!(v.ops, [O::I64Const, O::I64Const]);

    let mut v = Refuser {
        at_start: true,
        ..Refuser::default()
    };
    let err = FuncValidator::new()
        .visit_function(&m, Features::default(), 0, &mut v)
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.message(), err.offset()),
        (ErrorKind::Unsupported, "no functions today", start)
    );
    assert!(v.ops.is_empty());

    // The same validator instance is reusable after an abort.
    let mut validator = FuncValidator::new();
    assert!(validator
        .visit_function(&m, Features::default(), 0, &mut Refuser::default())
        .is_err());
    let mut rec = Recorder::default();
    validator
        .visit_function(&m, Features::default(), 0, &mut rec)
        .unwrap();
    assert_eq!(rec.seen.len(), 6);
}

/// Overrides a few per-opcode methods (a generic one, and some the
/// validator dispatches by hand) and counts the rest in `visit_operator`.
#[derive(Default)]
struct Overrides {
    adds: Vec<usize>,
    local_gets: Vec<(u32, Option<ValType>)>,
    ends: usize,
    rest: Vec<Opcode>,
}

impl VisitOperator for Overrides {
    fn visit_i32_add(&mut self, imm: Imm<'_>, at: &Resolved<'_>) -> Result<()> {
        assert_eq!(imm, Imm::None);
        self.adds.push(at.offset());
        Ok(())
    }

    fn visit_local_get(&mut self, imm: Imm<'_>, at: &Resolved<'_>) -> Result<()> {
        let Imm::Index(i) = imm else {
            panic!("local.get with {imm:?}");
        };
        self.local_gets.push((i, at.ty()));
        Ok(())
    }

    fn visit_end(&mut self, _imm: Imm<'_>, at: &Resolved<'_>) -> Result<()> {
        assert!(at.ending().is_some());
        self.ends += 1;
        Ok(())
    }

    fn visit_operator(&mut self, op: Opcode, _imm: Imm<'_>, _at: &Resolved<'_>) -> Result<()> {
        self.rest.push(op);
        Ok(())
    }
}

#[test]
fn an_overridden_method_gets_its_opcode_and_the_rest_goes_to_visit_operator() {
    let m = module(
        r#"(module
             (func (param i32 i64) (result i32)
               local.get 0
               i32.const 2
               i32.add
               block (result i32)
                 i32.const 3
               end
               i32.add
               local.get 1
               drop))"#,
    );
    let mut v = Overrides::default();
    FuncValidator::new()
        .visit_function(&m, Features::default(), 0, &mut v)
        .unwrap();
    let start = m.bodies[0].code.start;
    assert_eq!(v.adds, [start + 4, start + 10]);
    assert_eq!(v.local_gets, [(0, Some(I32)), (1, Some(I64))]);
    assert_eq!(v.ends, 2);
    assert_eq!(v.rest, [O::I32Const, O::Block, O::I32Const, O::Drop]);
}

// ---------------------------------------------------------------------------
// Every opcode reaches its method, over the spec testsuite.

/// One visited instruction and the method that got it.
struct Visit {
    method: &'static str,
    seen: Seen,
}

/// Overrides every generated method (from the opcode table), so that
/// `visit_operator` is never called; checks on the way that what each
/// instruction is passed is there exactly when its opcode has it.
#[derive(Default)]
struct AllMethods {
    visits: Vec<Visit>,
    fallbacks: Vec<Opcode>,
    problems: Vec<String>,
}

impl AllMethods {
    fn record(&mut self, op: Opcode, method: &'static str, imm: Imm<'_>, at: &Resolved<'_>) {
        let seen = snapshot(op, imm, at);
        let has_ty = matches!(
            op,
            O::LocalGet
                | O::LocalSet
                | O::LocalTee
                | O::GlobalGet
                | O::GlobalSet
                | O::Drop
                | O::Select
                | O::SelectTyped
                | O::RefIsNull
                | O::TableGet
                | O::TableSet
                | O::TableGrow
                | O::TableFill
        ) || matches!(
            op.sig(),
            Sig::Load(..) | Sig::Store(..) | Sig::LoadLane(_) | Sig::StoreLane(_)
        );
        let has_ending = matches!(op, O::Else | O::End);
        let has_block = matches!(op, O::Block | O::Loop | O::If | O::Else)
            || (op == O::End && seen.ending != Some(FrameKind::Func));
        let has_callee = matches!(op, O::Call | O::CallIndirect | O::Return);
        let mut problem = |what: &str| {
            self.problems.push(format!(
                "{} at {}: {what}: {seen:?}",
                op.name(),
                seen.offset
            ));
        };
        if seen.ty.is_some() != has_ty {
            problem("ty");
        }
        if seen.ending.is_some() != has_ending {
            problem("ending");
        }
        if seen.block.is_some() != has_block {
            problem("block");
        }
        if seen.callee.is_some() != has_callee {
            problem("callee");
        }
        if seen.labels.iter().any(Option::is_none) {
            problem("a branch target without a label");
        }
        if !has_ending && seen.end_reachable {
            problem("end_reachable");
        }
        self.visits.push(Visit { method, seen });
    }
}

macro_rules! all_methods {
    ($( $v:ident $visit:ident $name:literal $prefix:tt $code:literal $imm:ident $feat:ident ($sig:expr); )*) => {
        impl VisitOperator for AllMethods {
            fn visit_operator(&mut self, op: Opcode, _imm: Imm<'_>, _at: &Resolved<'_>) -> Result<()> {
                self.fallbacks.push(op);
                Ok(())
            }

            $(
                fn $visit(&mut self, imm: Imm<'_>, at: &Resolved<'_>) -> Result<()> {
                    self.record(Opcode::$v, stringify!($visit), imm, at);
                    Ok(())
                }
            )*
        }
    };
}
nanowasm_core::for_each_opcode!(all_methods);

/// The method an opcode's instructions must reach: `visit_` and its name
/// with `.` as `_` (the typed `select` shares the name `select`).
fn method_for(op: Opcode) -> String {
    match op {
        O::SelectTyped => "visit_select_typed".to_owned(),
        _ => format!("visit_{}", op.name().replace('.', "_")),
    }
}

/// What the independent model expects of one instruction.
#[derive(Debug, PartialEq)]
struct Expected {
    op: Opcode,
    offset: usize,
    depth: usize,
    labels: Vec<Option<(FrameKind, Vec<ValType>)>>,
}

/// A frame of the model: its kind and type, whether it was entered in
/// reachable code (so its `else` and `end` are visited) and whether the rest
/// of it is dead.
struct ModelFrame {
    kind: FrameKind,
    ty: BlockType,
    visible: bool,
    dead: bool,
}

fn block_types(m: &Module, ty: BlockType) -> Signature {
    match ty {
        BlockType::Empty => (vec![], vec![]),
        BlockType::Value(t) => (vec![], vec![t]),
        BlockType::Func(i) => func_type_vecs(m.types.func(i).unwrap()),
    }
}

/// Decodes body `index` of `m` on its own and works out which instructions
/// are reachable by the spec's rule: after `unreachable`, `br`, `br_table`
/// or `return` nothing is until the frame's `else` or `end`, and a block
/// entered in dead code is dead through its `end`. Also returns every
/// opcode in the body.
fn expected_visits(m: &Module, index: usize) -> (Vec<Expected>, Vec<Opcode>) {
    let body = &m.bodies[index];
    let func = m.num_imported.funcs as usize + index;
    let base = body.code.start;
    let mut ops = OperatorReader::new(
        Reader::new(&m.bytes[body.code.clone()]),
        Features::default(),
    );
    let mut frames = vec![ModelFrame {
        kind: FrameKind::Func,
        ty: BlockType::Func(m.funcs[func]),
        visible: true,
        dead: false,
    }];
    let mut expected = Vec::new();
    let mut all = Vec::new();
    while !ops.is_empty() {
        let offset = base + ops.offset();
        let instr = ops.read().expect("a body that validated decodes");
        let op = instr.op;
        all.push(op);
        let top = frames
            .last_mut()
            .expect("an instruction after the final end");
        let live = top.visible && !top.dead;
        let visited = match op {
            O::Block | O::Loop | O::If => {
                let Imm::Block(ty) = instr.imm else {
                    panic!("{} without a block type", op.name())
                };
                let kind = match op {
                    O::Block => FrameKind::Block,
                    O::Loop => FrameKind::Loop,
                    _ => FrameKind::If,
                };
                frames.push(ModelFrame {
                    kind,
                    ty,
                    visible: live,
                    dead: false,
                });
                live
            }
            O::Else => {
                top.kind = FrameKind::Else;
                top.dead = false;
                top.visible
            }
            O::End => {
                let visible = top.visible;
                frames.pop();
                visible
            }
            O::Unreachable | O::Br | O::BrTable | O::Return => {
                top.dead = true;
                live
            }
            _ => live,
        };
        if visited {
            let labels = branch_targets(op, instr.imm)
                .into_iter()
                .map(|d| {
                    let f = frames
                        .len()
                        .checked_sub(1 + d as usize)
                        .map(|i| &frames[i])?;
                    let (params, results) = block_types(m, f.ty);
                    Some((
                        f.kind,
                        if f.kind == FrameKind::Loop {
                            params
                        } else {
                            results
                        },
                    ))
                })
                .collect();
            expected.push(Expected {
                op,
                offset,
                depth: frames.len(),
                labels,
            });
        }
    }
    assert!(frames.is_empty(), "the body ends with its frames closed");
    (expected, all)
}

/// The binary of every module form of a script that decodes and validates
/// (text modules through the `wat` crate), with its line.
fn valid_modules(path: &Path) -> Vec<(usize, Module)> {
    let src = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let forms = scan::parse(&src).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for form in &forms {
        let module = match form.head() {
            Some("module") => form,
            Some(_) => match form.items().get(1) {
                Some(m) if m.head() == Some("module") => m,
                _ => continue,
            },
            None => continue,
        };
        let bytes = match module_src(module, &src) {
            ModuleSrc::Binary(b) => b,
            ModuleSrc::Text(text) => match wat::parse_str(text) {
                Ok(b) => b,
                Err(_) => continue,
            },
            ModuleSrc::Quote => continue,
        };
        let line = match module {
            Sexp::List(_, span) => src[..span.start].lines().count().max(1),
            _ => 0,
        };
        if let Ok(m) = decode(bytes, Features::default()) {
            out.push((line, m));
        }
    }
    out
}

/// Opcodes of the 2.0 table that the 2.0 spec testsuite uses only in dead
/// code, so no visitor ever sees them there.
const ONLY_IN_DEAD_CODE: &[Opcode] = &[];

/// Opcodes of the table that no valid module of the suite uses at all.
const NOT_IN_SUITE: &[Opcode] = &[];

#[test]
fn every_reachable_instruction_of_the_spec_suite_reaches_its_method() {
    let root = testsuite();
    assert!(
        root.is_dir(),
        "the spec testsuite is missing: set NANOWASM_TESTSUITE or put it at {}",
        root.display()
    );
    let files = wast_files(&root);
    assert!(files.len() >= 148, "only {} .wast files", files.len());

    let mut failures = Vec::new();
    let mut visits_per_op: BTreeMap<Opcode, usize> = BTreeMap::new();
    let mut decoded: BTreeSet<Opcode> = BTreeSet::new();
    let mut reachable: BTreeSet<Opcode> = BTreeSet::new();
    let (mut modules, mut functions, mut instructions, mut dead) = (0, 0, 0usize, 0usize);
    let mut validator = FuncValidator::new();
    for path in &files {
        let name = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
        for (line, m) in valid_modules(path) {
            modules += 1;
            for index in 0..m.bodies.len() {
                functions += 1;
                let func = m.num_imported.funcs + index as u32;
                let where_ = format!("{name}:{line} function {func}");
                let mut v = AllMethods::default();
                if let Err(e) = validator.visit_function(&m, Features::default(), func, &mut v) {
                    failures.push(format!("{where_}: {e}"));
                    continue;
                }
                let (expected, all) = expected_visits(&m, index);
                dead += all.len() - expected.len();
                decoded.extend(all);
                reachable.extend(expected.iter().map(|e| e.op));
                instructions += v.visits.len();
                if !v.fallbacks.is_empty() {
                    failures.push(format!("{where_}: visit_operator got {:?}", v.fallbacks));
                }
                for p in v.problems {
                    failures.push(format!("{where_}: {p}"));
                }
                for visit in &v.visits {
                    *visits_per_op.entry(visit.seen.op).or_default() += 1;
                    if visit.method != method_for(visit.seen.op) {
                        failures.push(format!(
                            "{where_}: {} reached {}",
                            visit.seen.op.name(),
                            visit.method
                        ));
                    }
                    if m.bytes.get(visit.seen.offset).copied()
                        != Some(visit.seen.op.prefix().unwrap_or(visit.seen.op.code() as u8))
                    {
                        failures.push(format!(
                            "{where_}: {} visited at offset {}, which is not its opcode",
                            visit.seen.op.name(),
                            visit.seen.offset
                        ));
                    }
                }
                let got: Vec<Expected> = v
                    .visits
                    .into_iter()
                    .map(|v| Expected {
                        op: v.seen.op,
                        offset: v.seen.offset,
                        depth: v.seen.depth,
                        labels: v.seen.labels,
                    })
                    .collect();
                if got != expected {
                    let i = got
                        .iter()
                        .zip(&expected)
                        .take_while(|(g, e)| g == e)
                        .count();
                    failures.push(format!(
                        "{where_}: {} instructions visited, {} expected; first difference at #{i}: visited {:?}, expected {:?}",
                        got.len(),
                        expected.len(),
                        got.get(i),
                        expected.get(i)
                    ));
                }
            }
        }
    }
    eprintln!(
        "{modules} modules, {functions} functions, {instructions} instructions visited, {dead} in dead code not visited, {} distinct opcodes visited",
        visits_per_op.len()
    );
    if !failures.is_empty() {
        let n = failures.len();
        failures.truncate(40);
        panic!("{n} failures, the first ones:\n{}", failures.join("\n"));
    }

    let visited: BTreeSet<Opcode> = visits_per_op.keys().copied().collect();
    assert_eq!(visited, reachable);
    let never: Vec<Opcode> = Opcode::ALL
        .iter()
        .copied()
        .filter(|op| !visited.contains(op))
        .collect();
    let names = |ops: &[Opcode]| ops.iter().map(|o| o.name()).collect::<Vec<_>>().join(" ");
    eprintln!("opcodes never visited: [{}]", names(&never));
    let dead_only: Vec<Opcode> = decoded.difference(&reachable).copied().collect();
    // The 2.0 suite has every 2.0 opcode (later proposals' have their own
    // suite).
    let absent: Vec<Opcode> = Opcode::ALL
        .iter()
        .copied()
        .filter(|op| op.feature().in_wasm_2_0() && !decoded.contains(op))
        .collect();
    assert_eq!(
        dead_only,
        ONLY_IN_DEAD_CODE,
        "opcodes only in dead code: [{}]",
        names(&dead_only)
    );
    assert_eq!(
        absent,
        NOT_IN_SUITE,
        "opcodes not in the suite: [{}]",
        names(&absent)
    );
}
