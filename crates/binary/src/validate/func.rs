//! Function body validation: the spec's operand-stack and control-stack
//! algorithm (<https://webassembly.github.io/spec/core/appendix/algorithm.html>).
//!
//! Instructions with a fixed signature in the opcode table are typed by
//! one generic path; the rest (control, variables, memory, tables,
//! references) are typed here by hand.

use alloc::borrow::{Cow, ToOwned};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use nanowasm_core::{BlockType, FuncType, ImmKind, MemArg, Opcode, RefType, Sig, ValType};

use crate::decode::Decoder;
use crate::error::{Error, Result};
use crate::operators::{Imm, Instr, OperatorReader};

/// An operand type, or `None` for the unknown type of unreachable code.
type Operand = Option<ValType>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    Block,
    Loop,
    If,
    Else,
    Func,
}

#[derive(Clone, Copy)]
struct Frame {
    kind: FrameKind,
    ty: BlockType,
    height: usize,
    unreachable: bool,
}

/// The parameter or result types of a block type, borrowed from the module.
#[derive(Clone, Copy)]
enum Types<'m> {
    None,
    One(ValType),
    Many(&'m [ValType]),
}

impl Types<'_> {
    #[inline]
    fn len(self) -> usize {
        match self {
            Types::None => 0,
            Types::One(_) => 1,
            Types::Many(s) => s.len(),
        }
    }

    #[inline]
    fn get(self, i: usize) -> ValType {
        match self {
            Types::One(t) => t,
            Types::Many(s) => s[i],
            Types::None => unreachable!("index into empty type list"),
        }
    }
}

/// Validates function bodies. Keeps its stacks between functions so a module
/// is validated with a handful of allocations.
#[derive(Default)]
pub struct FuncValidator {
    locals: Vec<ValType>,
    operands: Vec<Operand>,
    frames: Vec<Frame>,
    scratch: Vec<Operand>,
    /// Offset of the instruction being validated, for errors.
    at: usize,
}

impl FuncValidator {
    /// Validates the body of function `func` (locals already decoded).
    pub(crate) fn validate(
        &mut self,
        d: &Decoder<'_>,
        func: u32,
        locals: &[(u32, ValType)],
        mut ops: OperatorReader<'_>,
        body_ends_section: bool,
    ) -> Result<()> {
        let type_index = d.parts.funcs[func as usize];
        let ty = &d.parts.types[type_index as usize];
        self.locals.clear();
        self.locals.extend_from_slice(ty.params());
        for &(n, t) in locals {
            self.locals.extend(core::iter::repeat_n(t, n as usize));
        }
        self.operands.clear();
        self.frames.clear();
        self.at = ops.offset();
        self.frames.push(Frame {
            kind: FrameKind::Func,
            ty: BlockType::Func(type_index),
            height: 0,
            unreachable: false,
        });
        loop {
            if ops.is_empty() {
                return Err(Error::malformed(
                    if body_ends_section {
                        "unexpected end of section or function"
                    } else {
                        "END opcode expected"
                    },
                    ops.offset(),
                ));
            }
            self.at = ops.offset();
            let op = ops.read_opcode()?;
            // One `match` on the opcode, generated from the opcode table:
            // each arm has its immediate kind and signature as constants, so
            // the common case (a fixed signature, no immediates) compiles to
            // straight-line pops and pushes after a single indirect jump.
            macro_rules! dispatch {
                ($( $v:ident $visit:ident $name:literal $prefix:tt $code:literal $imm:ident $feat:ident ($sig:expr); )*) => {
                    // The local instructions come first; their table rows
                    // below are then unreachable, which is intended.
                    #[allow(unreachable_patterns)]
                    match op {
                        Opcode::LocalGet => {
                            let t = self.local(ops.read_index()?)?;
                            self.push(t);
                        }
                        Opcode::LocalSet => {
                            let t = self.local(ops.read_index()?)?;
                            self.pop(t)?;
                        }
                        Opcode::LocalTee => {
                            let t = self.local(ops.read_index()?)?;
                            self.pop(t)?;
                            self.push(t);
                        }
                        $( Opcode::$v => {
                            const SIG: Sig = $sig;
                            match (SIG, ImmKind::$imm) {
                                (Sig::Fixed(params, results), ImmKind::None) => {
                                    self.fixed(params, results)?
                                }
                                _ => {
                                    let imm = ops.read_imm_of(ImmKind::$imm)?;
                                    self.instr(d, ty, Instr { op, imm }, &SIG)?;
                                }
                            }
                        } )*
                    }
                };
            }
            nanowasm_core::for_each_opcode!(dispatch);
            if self.frames.is_empty() {
                if !ops.is_empty() {
                    // Bytes after the final `end` belong to no instruction.
                    self.at = usize::MAX;
                    return Err(Error::malformed("section size mismatch", ops.offset()));
                }
                return Ok(());
            }
        }
    }

    /// The offset of the instruction validated last: an error of
    /// [`validate`](Self::validate) from this offset up to the end of the
    /// body is about that instruction (its opcode or immediates). After the
    /// final `end` it is `usize::MAX`.
    pub(crate) fn instruction_offset(&self) -> usize {
        self.at
    }

    #[cold]
    fn err(&self, msg: impl Into<Cow<'static, str>>) -> Error {
        Error::invalid(msg, self.at)
    }

    /// A "type mismatch" with what was expected and found. The error
    /// builders are cold and out of line, so the checks on the hot path stay
    /// a compare and a branch.
    #[cold]
    #[inline(never)]
    fn mismatch(&self, detail: String) -> Error {
        self.err("type mismatch").with_detail(detail)
    }

    #[cold]
    #[inline(never)]
    fn found(&self, expected: ValType, found: ValType) -> Error {
        self.mismatch(format!("expected {expected}, found {found}"))
    }

    /// `pop(expected)` failed: the operand on top has another type, or there
    /// is none. Works out which from the stacks, so the hot path passes
    /// nothing but `expected`.
    #[cold]
    #[inline(never)]
    fn pop_error(&self, expected: ValType) -> Error {
        let height = self.frames.last().map_or(0, |f| f.height);
        match self.operands.last() {
            Some(&Some(found)) if self.operands.len() > height => self.found(expected, found),
            _ => self.nothing_on_stack(Some(expected)),
        }
    }

    #[cold]
    #[inline(never)]
    fn nothing_on_stack(&self, expected: Option<ValType>) -> Error {
        self.mismatch(match expected {
            Some(t) => format!("expected {t} but nothing on stack"),
            None => "expected a value but nothing on stack".to_owned(),
        })
    }

    /// The end of a block (or `else`) whose operands do not match its
    /// results: both listed, as `expected [i32 i32] but found [i32]`.
    #[cold]
    #[inline(never)]
    fn end_mismatch(&self, frame: Frame, results: Types<'_>) -> Error {
        let found = self.operands.get(frame.height..).unwrap_or(&[]);
        self.mismatch(format!(
            "expected {} but found {}",
            type_list((0..results.len()).map(|i| Some(results.get(i)))),
            type_list(found.iter().copied())
        ))
    }

    #[inline]
    fn push(&mut self, t: ValType) {
        self.operands.push(Some(t));
    }

    #[inline]
    fn pop_any(&mut self) -> Result<Operand> {
        // The function frame is always present while instructions are read.
        let frame = self.frames.last().expect("control stack not empty");
        if self.operands.len() == frame.height {
            if frame.unreachable {
                return Ok(None);
            }
            return Err(self.nothing_on_stack(None));
        }
        Ok(self.operands.pop().flatten())
    }

    #[inline]
    fn pop(&mut self, expected: ValType) -> Result<Operand> {
        // Fast path: a known operand above the frame's height.
        let height = self.frames.last().map_or(0, |f| f.height);
        if self.operands.len() > height {
            return match self.operands.last().copied() {
                Some(Some(actual)) if actual == expected => {
                    self.operands.pop();
                    Ok(Some(actual))
                }
                Some(Some(_)) => Err(self.pop_error(expected)),
                // An operand of unknown type (from unreachable code).
                _ => {
                    self.operands.pop();
                    Ok(None)
                }
            };
        }
        // The frame's operands are used up: fine only in unreachable code.
        if self.frames.last().is_some_and(|f| f.unreachable) {
            return Ok(None);
        }
        Err(self.pop_error(expected))
    }

    fn pop_types(&mut self, types: Types<'_>) -> Result<()> {
        for i in (0..types.len()).rev() {
            self.pop(types.get(i))?;
        }
        Ok(())
    }

    fn push_types(&mut self, types: Types<'_>) {
        for i in 0..types.len() {
            self.push(types.get(i));
        }
    }

    fn block_types<'m>(&self, d: &'m Decoder<'_>, bt: BlockType) -> Result<(Types<'m>, Types<'m>)> {
        Ok(match bt {
            BlockType::Empty => (Types::None, Types::None),
            BlockType::Value(t) => (Types::None, Types::One(t)),
            BlockType::Func(i) => {
                let ft: &FuncType = d
                    .parts
                    .types
                    .get(i as usize)
                    .ok_or_else(|| self.err(format!("unknown type {i}")))?;
                (Types::Many(ft.params()), Types::Many(ft.results()))
            }
        })
    }

    fn label_types<'m>(&self, d: &'m Decoder<'_>, frame: Frame) -> Result<Types<'m>> {
        let (params, results) = self.block_types(d, frame.ty)?;
        Ok(if frame.kind == FrameKind::Loop {
            params
        } else {
            results
        })
    }

    fn frame_at(&self, depth: u32) -> Result<Frame> {
        let len = self.frames.len();
        if (depth as usize) < len {
            Ok(self.frames[len - 1 - depth as usize])
        } else {
            Err(self.err(format!("unknown label {depth}")))
        }
    }

    fn push_frame(&mut self, d: &Decoder<'_>, kind: FrameKind, ty: BlockType) -> Result<()> {
        let (params, _) = self.block_types(d, ty)?;
        self.pop_types(params)?;
        self.frames.push(Frame {
            kind,
            ty,
            height: self.operands.len(),
            unreachable: false,
        });
        self.push_types(params);
        Ok(())
    }

    fn pop_frame(&mut self, d: &Decoder<'_>) -> Result<Frame> {
        let frame = *self.frames.last().expect("control stack not empty");
        let (_, results) = self.block_types(d, frame.ty)?;
        // The operands above the frame must be its results, exactly (an
        // operand of unknown type matches any). Checked before anything is
        // popped, so that an error can list what was there.
        let top = self.operands.get(frame.height..).unwrap_or(&[]);
        let matches = |o: &Operand, t: ValType| o.is_none_or(|o| o == t);
        let exact = match results {
            Types::None => top.is_empty(),
            Types::One(t) => matches!(top, [o] if matches(o, t)),
            Types::Many(ts) => {
                top.len() == ts.len() && top.iter().zip(ts).all(|(o, &t)| matches(o, t))
            }
        };
        if !exact {
            self.frame_end_slow(frame, results)?;
        }
        self.operands.truncate(frame.height);
        self.frames.pop();
        Ok(frame)
    }

    /// The end of a frame whose operands are not exactly its results: in
    /// unreachable code the bottom ones may be missing; otherwise an error.
    #[cold]
    #[inline(never)]
    fn frame_end_slow(&self, frame: Frame, results: Types<'_>) -> Result<()> {
        let top = self.operands.get(frame.height..).unwrap_or(&[]);
        let n = results.len();
        if frame.unreachable && top.len() < n {
            let skip = n - top.len();
            let fits = top
                .iter()
                .enumerate()
                .all(|(i, o)| o.is_none_or(|o| o == results.get(skip + i)));
            if fits {
                return Ok(());
            }
        }
        Err(self.end_mismatch(frame, results))
    }

    fn set_unreachable(&mut self) {
        let frame = self.frames.last_mut().expect("control stack not empty");
        self.operands.truncate(frame.height);
        frame.unreachable = true;
    }

    fn local(&self, index: u32) -> Result<ValType> {
        self.locals
            .get(index as usize)
            .copied()
            .ok_or_else(|| self.err(format!("unknown local {index}")))
    }

    fn memory(&self, d: &Decoder<'_>, index: u32) -> Result<ValType> {
        match d.parts.memories.get(index as usize) {
            Some(m) if m.memory64 => Ok(ValType::I64),
            Some(_) => Ok(ValType::I32),
            None => Err(self.err(format!("unknown memory {index}"))),
        }
    }

    fn table(&self, d: &Decoder<'_>, index: u32) -> Result<RefType> {
        d.parts
            .tables
            .get(index as usize)
            .map(|t| t.element)
            .ok_or_else(|| self.err(format!("unknown table {index}")))
    }

    fn elem(&self, d: &Decoder<'_>, index: u32) -> Result<RefType> {
        d.parts
            .elements
            .get(index as usize)
            .map(|e| e.ty)
            .ok_or_else(|| self.err(format!("unknown elem segment {index}")))
    }

    fn data(&self, d: &Decoder<'_>, index: u32) -> Result<()> {
        match d.parts.data_count {
            None => Err(Error::malformed("data count section required", self.at)),
            Some(n) if index < n => Ok(()),
            Some(_) => Err(self.err(format!("unknown data segment {index}"))),
        }
    }

    /// Checks a memory argument and returns the address type.
    fn memarg(&self, d: &Decoder<'_>, m: MemArg, natural: u8) -> Result<ValType> {
        let addr = self.memory(d, m.memory)?;
        if m.align > u32::from(natural) {
            return Err(self.err("alignment must not be larger than natural"));
        }
        Ok(addr)
    }

    fn lane(&self, lane: u8, count: u8) -> Result<()> {
        if lane < count {
            Ok(())
        } else {
            Err(self.err("invalid lane index"))
        }
    }

    fn call(&mut self, ty: &FuncType) -> Result<()> {
        for &t in ty.params().iter().rev() {
            self.pop(t)?;
        }
        self.operands.extend(ty.results().iter().map(|&t| Some(t)));
        Ok(())
    }

    /// Pops `params` (last on top) and pushes `results`.
    #[inline(always)]
    fn fixed(&mut self, params: &[ValType], results: &[ValType]) -> Result<()> {
        for &t in params.iter().rev() {
            self.pop(t)?;
        }
        for &t in results {
            self.push(t);
        }
        Ok(())
    }

    #[inline(always)]
    fn instr(
        &mut self,
        d: &Decoder<'_>,
        func_ty: &FuncType,
        instr: Instr<'_>,
        sig: &Sig,
    ) -> Result<()> {
        match *sig {
            Sig::Fixed(params, results) => {
                if let Imm::Bytes16(lanes) = instr.imm {
                    // i8x16.shuffle: lane indices select from two vectors.
                    if lanes.iter().any(|&l| l >= 32) {
                        return Err(self.err("invalid lane index"));
                    }
                }
                self.fixed(params, results)
            }
            Sig::Lane(count, params, results) => {
                if let Imm::Lane(lane) = instr.imm {
                    self.lane(lane, count)?;
                }
                for &t in params.iter().rev() {
                    self.pop(t)?;
                }
                for &t in results {
                    self.push(t);
                }
                Ok(())
            }
            Sig::Load(t, natural) => {
                let Imm::MemArg(m) = instr.imm else {
                    return Err(self.internal(instr));
                };
                let addr = self.memarg(d, m, natural)?;
                self.pop(addr)?;
                self.push(t);
                Ok(())
            }
            Sig::Store(t, natural) => {
                let Imm::MemArg(m) = instr.imm else {
                    return Err(self.internal(instr));
                };
                let addr = self.memarg(d, m, natural)?;
                self.pop(t)?;
                self.pop(addr)?;
                Ok(())
            }
            Sig::LoadLane(natural) => {
                let Imm::MemArgLane(m, lane) = instr.imm else {
                    return Err(self.internal(instr));
                };
                let addr = self.memarg(d, m, natural)?;
                self.lane(lane, 16 >> natural)?;
                self.pop(ValType::V128)?;
                self.pop(addr)?;
                self.push(ValType::V128);
                Ok(())
            }
            Sig::StoreLane(natural) => {
                let Imm::MemArgLane(m, lane) = instr.imm else {
                    return Err(self.internal(instr));
                };
                let addr = self.memarg(d, m, natural)?;
                self.lane(lane, 16 >> natural)?;
                self.pop(ValType::V128)?;
                self.pop(addr)?;
                Ok(())
            }
            Sig::Special => self.special(d, func_ty, instr),
        }
    }

    /// An `if` without `else` whose results are not its parameters: the
    /// missing `else` passes the parameters on as results.
    #[cold]
    #[inline(never)]
    fn if_without_else(&self, params: Types<'_>, results: Types<'_>) -> Error {
        let list = |t: Types<'_>| type_list((0..t.len()).map(|i| Some(t.get(i))));
        self.mismatch(format!(
            "an `if` without `else` must return its parameters: expected {} but found {}",
            list(results),
            list(params)
        ))
    }

    #[cold]
    fn internal(&self, instr: Instr<'_>) -> Error {
        // The decoder produces the immediate kind the table names, so this
        // cannot happen; if it does, reject the module rather than panic.
        self.err(format!(
            "internal error: unexpected immediate for {}",
            instr.op.name()
        ))
    }

    #[inline(never)]
    fn special(&mut self, d: &Decoder<'_>, func_ty: &FuncType, instr: Instr<'_>) -> Result<()> {
        use Opcode as O;
        match (instr.op, instr.imm) {
            (O::Unreachable, _) => self.set_unreachable(),
            (O::Nop, _) => {}
            (O::Block, Imm::Block(bt)) => self.push_frame(d, FrameKind::Block, bt)?,
            (O::Loop, Imm::Block(bt)) => self.push_frame(d, FrameKind::Loop, bt)?,
            (O::If, Imm::Block(bt)) => {
                self.pop(ValType::I32)?;
                self.push_frame(d, FrameKind::If, bt)?;
            }
            (O::Else, _) => {
                let frame = self.pop_frame(d)?;
                if frame.kind != FrameKind::If {
                    return Err(self.err("else found outside an if block"));
                }
                self.frames.push(Frame {
                    kind: FrameKind::Else,
                    ty: frame.ty,
                    height: self.operands.len(),
                    unreachable: false,
                });
                let (params, _) = self.block_types(d, frame.ty)?;
                self.push_types(params);
            }
            (O::End, _) => {
                let frame = self.pop_frame(d)?;
                let (params, results) = self.block_types(d, frame.ty)?;
                if frame.kind == FrameKind::If {
                    // An `if` without `else` has an empty else branch, which
                    // types only if the block's inputs are its outputs.
                    let same = params.len() == results.len()
                        && (0..params.len()).all(|i| params.get(i) == results.get(i));
                    if !same {
                        return Err(self.if_without_else(params, results));
                    }
                }
                self.push_types(results);
            }
            (O::Br, Imm::Index(depth)) => {
                let frame = self.frame_at(depth)?;
                let types = self.label_types(d, frame)?;
                self.pop_types(types)?;
                self.set_unreachable();
            }
            (O::BrIf, Imm::Index(depth)) => {
                self.pop(ValType::I32)?;
                let frame = self.frame_at(depth)?;
                let types = self.label_types(d, frame)?;
                self.pop_types(types)?;
                self.push_types(types);
            }
            (O::BrTable, Imm::BrTable(table)) => {
                self.pop(ValType::I32)?;
                let default = self.label_types(d, self.frame_at(table.default)?)?;
                let arity = default.len();
                for depth in table.targets() {
                    let types = self.label_types(d, self.frame_at(depth)?)?;
                    if types.len() != arity {
                        return Err(self.mismatch(format!(
                            "label {depth} takes {} values but the default label {} takes {arity}",
                            types.len(),
                            table.default
                        )));
                    }
                    // Pop with the target's types, then restore what was
                    // there (unknown operands stay unknown).
                    self.scratch.clear();
                    for i in (0..types.len()).rev() {
                        let actual = self.pop(types.get(i))?;
                        self.scratch.push(actual);
                    }
                    while let Some(v) = self.scratch.pop() {
                        self.operands.push(v);
                    }
                }
                self.pop_types(default)?;
                self.set_unreachable();
            }
            (O::Return, _) => {
                self.pop_types(Types::Many(func_ty.results()))?;
                self.set_unreachable();
            }
            (O::Call, Imm::Index(f)) => {
                let ty = d
                    .parts
                    .funcs
                    .get(f as usize)
                    .ok_or_else(|| self.err(format!("unknown function {f}")))?;
                self.call(&d.parts.types[*ty as usize])?;
            }
            (O::CallIndirect, Imm::Index2(type_index, table)) => {
                let elem = self.table(d, table)?;
                if elem != RefType::FUNCREF {
                    return Err(self.mismatch(format!(
                        "expected a funcref table, found table {table} of {elem}"
                    )));
                }
                let ty = d
                    .parts
                    .types
                    .get(type_index as usize)
                    .ok_or_else(|| self.err(format!("unknown type {type_index}")))?;
                self.pop(ValType::I32)?;
                self.call(ty)?;
            }
            (O::Drop, _) => {
                self.pop_any()?;
            }
            (O::Select, _) => {
                self.pop(ValType::I32)?;
                let t1 = self.pop_any()?;
                let t2 = self.pop_any()?;
                for t in [t2, t1].into_iter().flatten() {
                    if t.is_ref() {
                        return Err(self.mismatch(format!(
                            "expected a numeric or vector type, found {t}; a typed `select` takes references"
                        )));
                    }
                }
                if let (Some(a), Some(b)) = (t1, t2) {
                    if a != b {
                        return Err(self.found(b, a));
                    }
                }
                self.operands.push(t1.or(t2));
            }
            (O::SelectTyped, Imm::SelectT(t)) => {
                self.pop(ValType::I32)?;
                self.pop(t)?;
                self.pop(t)?;
                self.push(t);
            }
            (O::LocalGet, Imm::Index(i)) => {
                let t = self.local(i)?;
                self.push(t);
            }
            (O::LocalSet, Imm::Index(i)) => {
                let t = self.local(i)?;
                self.pop(t)?;
            }
            (O::LocalTee, Imm::Index(i)) => {
                let t = self.local(i)?;
                self.pop(t)?;
                self.push(t);
            }
            (O::GlobalGet, Imm::Index(g)) => {
                let gt = d
                    .parts
                    .globals
                    .get(g as usize)
                    .ok_or_else(|| self.err(format!("unknown global {g}")))?;
                self.push(gt.content);
            }
            (O::GlobalSet, Imm::Index(g)) => {
                let gt = *d
                    .parts
                    .globals
                    .get(g as usize)
                    .ok_or_else(|| self.err(format!("unknown global {g}")))?;
                if !gt.mutable {
                    return Err(self.err("global is immutable"));
                }
                self.pop(gt.content)?;
            }
            (O::I32Const, _) => self.push(ValType::I32),
            (O::I64Const, _) => self.push(ValType::I64),
            (O::F32Const, _) => self.push(ValType::F32),
            (O::F64Const, _) => self.push(ValType::F64),
            (O::V128Const, _) => self.push(ValType::V128),
            (O::MemorySize, Imm::Index(m)) => {
                let addr = self.memory(d, m)?;
                self.push(addr);
            }
            (O::MemoryGrow, Imm::Index(m)) => {
                let addr = self.memory(d, m)?;
                self.pop(addr)?;
                self.push(addr);
            }
            (O::MemoryFill, Imm::Index(m)) => {
                let addr = self.memory(d, m)?;
                self.pop(addr)?;
                self.pop(ValType::I32)?;
                self.pop(addr)?;
            }
            (O::MemoryCopy, Imm::Index2(dst, src)) => {
                let dst_addr = self.memory(d, dst)?;
                let src_addr = self.memory(d, src)?;
                // The length is i64 only if both memories are 64-bit.
                let len = if dst_addr == ValType::I64 && src_addr == ValType::I64 {
                    ValType::I64
                } else {
                    ValType::I32
                };
                self.pop(len)?;
                self.pop(src_addr)?;
                self.pop(dst_addr)?;
            }
            (O::MemoryInit, Imm::Index2(data, m)) => {
                let addr = self.memory(d, m)?;
                self.data(d, data)?;
                self.pop(ValType::I32)?;
                self.pop(ValType::I32)?;
                self.pop(addr)?;
            }
            (O::DataDrop, Imm::Index(data)) => self.data(d, data)?,
            (O::RefNull, Imm::RefNull(heap)) => self.push(ValType::Ref(RefType {
                nullable: true,
                heap,
            })),
            (O::RefIsNull, _) => {
                let t = self.pop_any()?;
                if let Some(t) = t.filter(|t| !t.is_ref()) {
                    return Err(self.mismatch(format!("expected a reference, found {t}")));
                }
                self.push(ValType::I32);
            }
            (O::RefFunc, Imm::Index(f)) => {
                if f as usize >= d.parts.funcs.len() {
                    return Err(self.err(format!("unknown function {f}")));
                }
                if !d.is_ref_declared(f) {
                    return Err(self.err("undeclared function reference"));
                }
                self.push(ValType::FUNCREF);
            }
            (O::TableGet, Imm::Index(t)) => {
                let elem = self.table(d, t)?;
                self.pop(ValType::I32)?;
                self.push(ValType::Ref(elem));
            }
            (O::TableSet, Imm::Index(t)) => {
                let elem = self.table(d, t)?;
                self.pop(ValType::Ref(elem))?;
                self.pop(ValType::I32)?;
            }
            (O::TableSize, Imm::Index(t)) => {
                self.table(d, t)?;
                self.push(ValType::I32);
            }
            (O::TableGrow, Imm::Index(t)) => {
                let elem = self.table(d, t)?;
                self.pop(ValType::I32)?;
                self.pop(ValType::Ref(elem))?;
                self.push(ValType::I32);
            }
            (O::TableFill, Imm::Index(t)) => {
                let elem = self.table(d, t)?;
                self.pop(ValType::I32)?;
                self.pop(ValType::Ref(elem))?;
                self.pop(ValType::I32)?;
            }
            (O::TableCopy, Imm::Index2(dst, src)) => {
                let dst_ty = self.table(d, dst)?;
                let src_ty = self.table(d, src)?;
                if dst_ty != src_ty {
                    return Err(self.mismatch(format!(
                        "expected a table of {dst_ty} (like table {dst}), found table {src} of {src_ty}"
                    )));
                }
                self.pop(ValType::I32)?;
                self.pop(ValType::I32)?;
                self.pop(ValType::I32)?;
            }
            (O::TableInit, Imm::Index2(elem, table)) => {
                let table_ty = self.table(d, table)?;
                let elem_ty = self.elem(d, elem)?;
                if table_ty != elem_ty {
                    return Err(self.mismatch(format!(
                        "expected elements of {table_ty} (table {table}), found elem segment {elem} of {elem_ty}"
                    )));
                }
                self.pop(ValType::I32)?;
                self.pop(ValType::I32)?;
                self.pop(ValType::I32)?;
            }
            (O::ElemDrop, Imm::Index(elem)) => {
                self.elem(d, elem)?;
            }
            _ => return Err(self.internal(instr)),
        }
        Ok(())
    }
}

/// `[i32 i64]`; an operand of unknown type (in unreachable code) is `_`.
fn type_list(types: impl Iterator<Item = Operand>) -> String {
    let mut out = String::from("[");
    for (i, t) in types.enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match t {
            Some(t) => out.push_str(&t.to_string()),
            None => out.push('_'),
        }
    }
    out.push(']');
    out
}
