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

use nanowasm_core::{
    BlockType, CompositeType, Features, FieldType, FuncType, GlobalType, HeapType, ImmKind, MemArg,
    MemoryType, Opcode, RefType, Sig, StorageType, TableType, ValType,
};

use crate::error::{Error, Result};
use crate::module::{ElementSegment, Module};
use crate::operators::{Catch, Imm, Instr, OperatorReader};
use crate::reader::Reader;
use crate::types::TypeSection;
use crate::validate::visit::{
    visit_op, Extra, Frame, FrameKind, FuncStart, Resolved, Types, VisitOperator,
};
use nanowasm_core::subtype::{ref_subtype, top, val_subtype};

/// An operand type, or `None` for the unknown type of unreachable code.
type Operand = Option<ValType>;

/// What a function body is validated against: the module's index spaces,
/// from the decoder while it decodes, or from a decoded [`Module`].
pub(crate) struct Env<'m> {
    pub types: &'m TypeSection,
    pub funcs: &'m [u32],
    pub tables: &'m [TableType],
    pub memories: &'m [MemoryType],
    pub globals: &'m [GlobalType],
    /// The type index of every tag.
    pub tags: &'m [u32],
    pub elements: &'m [ElementSegment],
    pub data_count: Option<u32>,
    /// The functions `ref.func` may name (the spec's `C.refs`); `None`
    /// means any.
    pub refs: Option<&'m [bool]>,
}

impl<'m> Env<'m> {
    /// The environment of a decoded module.
    pub(crate) fn of_module(m: &'m Module) -> Env<'m> {
        Env {
            types: &m.types,
            funcs: &m.funcs,
            tables: &m.tables,
            memories: &m.memories,
            globals: &m.globals,
            tags: &m.tags,
            elements: &m.elements,
            data_count: m.data_count,
            refs: Some(&m.refs),
        }
    }

    fn is_ref_declared(&self, f: u32) -> bool {
        match self.refs {
            Some(refs) => refs.get(f as usize).copied().unwrap_or(false),
            None => true,
        }
    }
}

/// Validates function bodies, and drives a back end's [`VisitOperator`]
/// while it does. Keeps its stacks between functions, so a module is
/// validated with a handful of allocations.
#[derive(Default)]
pub struct FuncValidator {
    locals: Vec<ValType>,
    operands: Vec<Operand>,
    frames: Vec<Frame>,
    scratch: Vec<Operand>,
    /// Per local: whether it holds a value. Only non-defaultable locals
    /// (typed references) can be unset.
    inits: Vec<bool>,
    /// The non-defaultable locals set since their frame started, innermost
    /// last (see [`Frame::inits`]).
    init_stack: Vec<u32>,
    /// Offset of the instruction being validated, for errors.
    at: usize,
}

impl FuncValidator {
    /// A validator with empty stacks.
    pub fn new() -> FuncValidator {
        FuncValidator::default()
    }

    /// Validates the body of defined function `func` (an index in the
    /// function space, imports included) of `module` again, with
    /// `features`, calling `visitor` for each reachable instruction (see
    /// [`VisitOperator`]). This is how a back end translates a function;
    /// it validates the body completely (the compiler relies on it for
    /// modules decoded without validating bodies, see
    /// [`decode_trusted`](crate::decode_trusted)).
    pub fn visit_function<V: VisitOperator + ?Sized>(
        &mut self,
        module: &Module,
        features: Features,
        func: u32,
        visitor: &mut V,
    ) -> Result<()> {
        let body = func
            .checked_sub(module.num_imported.funcs)
            .and_then(|i| module.bodies.get(i as usize))
            .ok_or_else(|| Error::invalid(format!("no body for function {func}"), 0))?;
        let bytes = module
            .bytes
            .get(..body.code.end)
            .ok_or_else(|| Error::malformed("function body out of range", body.code.start))?;
        let ops = OperatorReader::new(Reader::new_at(bytes, body.code.start), features);
        self.validate(
            &Env::of_module(module),
            func,
            &body.locals,
            ops,
            true,
            visitor,
        )
    }

    /// Validates the body of function `func` (locals already decoded),
    /// calling `visitor` for each reachable instruction.
    pub(crate) fn validate<V: VisitOperator + ?Sized>(
        &mut self,
        env: &Env<'_>,
        func: u32,
        locals: &[(u32, ValType)],
        mut ops: OperatorReader<'_>,
        body_ends_section: bool,
        visitor: &mut V,
    ) -> Result<()> {
        let type_index = *env
            .funcs
            .get(func as usize)
            .ok_or_else(|| Error::invalid(format!("unknown function {func}"), ops.offset()))?;
        let ty = env
            .types
            .func(type_index)
            .ok_or_else(|| Error::invalid(format!("unknown type {type_index}"), ops.offset()))?;
        self.locals.clear();
        self.locals.extend_from_slice(ty.params());
        for &(n, t) in locals {
            if let ValType::Ref(r) = t {
                if let HeapType::Concrete(i) = r.heap() {
                    if env.types.get(i).is_none() {
                        return Err(Error::invalid(format!("unknown type {i}"), ops.offset()));
                    }
                }
            }
            self.locals.extend(core::iter::repeat_n(t, n as usize));
        }
        // Which locals are set: only non-defaultable ones (typed
        // references) can be unset, and most functions have none, so the
        // vector is built only for those that do (`local_get` and
        // `local_set` read it only for such a local).
        self.inits.clear();
        self.init_stack.clear();
        let declared = &self.locals[ty.params().len()..];
        if declared.iter().any(|t| !t.is_defaultable()) {
            self.inits.resize(self.locals.len(), true);
            for (i, t) in self.locals.iter().enumerate().skip(ty.params().len()) {
                if !t.is_defaultable() {
                    self.inits[i] = false;
                }
            }
        }
        self.operands.clear();
        self.frames.clear();
        self.at = ops.offset();
        self.frames.push(Frame {
            kind: FrameKind::Func,
            ty: BlockType::Func(type_index),
            height: 0,
            unreachable: false,
            visible: true,
            inits: 0,
        });
        visitor.visit_start(&FuncStart {
            func,
            ty,
            locals: &self.locals,
            offset: self.at,
        })?;
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
            if !cfg!(feature = "fast-validation") {
                // The small build: one generic step per instruction (the
                // opcode's signature looked up at run time), for validation
                // alone too, so that there is one small copy of the
                // validator.
                self.step_visited(env, ty, op, &mut ops, visitor)?;
                if self.frames.is_empty() {
                    return self.finish(&ops);
                }
                continue;
            }
            // One `match` on the opcode, generated from the opcode table:
            // each arm has its immediate kind and signature as constants, so
            // the common case (a fixed signature, no immediates) compiles to
            // straight-line pops and pushes after a single indirect jump,
            // and for a back end a call of its method for that opcode. A
            // back end's other instructions take the generic step (their
            // resolved types gathered at run time), which keeps its copy of
            // the validator small: taking it for every instruction, as the
            // compiler once did, cost a fifth of its time on a module of
            // small functions.
            macro_rules! visit_simple {
                ($live:expr, $op:expr, $imm:expr, $ty:expr) => {
                    if $live {
                        let at = Resolved {
                            offset: self.at,
                            extra: Extra {
                                ty: $ty,
                                ..Extra::default()
                            },
                            frames: &self.frames,
                            types: env.types,
                        };
                        visit_op(visitor, $op, $imm, &at)?;
                    }
                };
            }
            macro_rules! dispatch {
                ($( $v:ident $visit:ident $name:literal $prefix:tt $code:literal $imm:ident $feat:ident ($sig:expr); )*) => {
                    // The local instructions come first; their table rows
                    // below are then unreachable, which is intended.
                    #[allow(unreachable_patterns)]
                    match op {
                        Opcode::LocalGet => {
                            let live = V::ACTIVE && self.live();
                            let i = ops.read_index()?;
                            let t = self.local_get(i)?;
                            self.push(t);
                            visit_simple!(live, Opcode::LocalGet, Imm::Index(i), Some(t));
                        }
                        Opcode::LocalSet => {
                            let live = V::ACTIVE && self.live();
                            let i = ops.read_index()?;
                            let t = self.local_set(i)?;
                            self.pop(env, t)?;
                            visit_simple!(live, Opcode::LocalSet, Imm::Index(i), Some(t));
                        }
                        Opcode::LocalTee => {
                            let live = V::ACTIVE && self.live();
                            let i = ops.read_index()?;
                            let t = self.local_set(i)?;
                            self.pop(env, t)?;
                            self.push(t);
                            visit_simple!(live, Opcode::LocalTee, Imm::Index(i), Some(t));
                        }
                        // Constants, loads and stores are a quarter of
                        // the instructions of real code: each its own
                        // straight-line path too, rather than the generic
                        // step.
                        Opcode::I32Const => {
                            let live = V::ACTIVE && self.live();
                            let imm = ops.read_imm_of(ImmKind::I32)?;
                            self.push(ValType::I32);
                            visit_simple!(live, Opcode::I32Const, imm, None);
                        }
                        Opcode::I64Const => {
                            let live = V::ACTIVE && self.live();
                            let imm = ops.read_imm_of(ImmKind::I64)?;
                            self.push(ValType::I64);
                            visit_simple!(live, Opcode::I64Const, imm, None);
                        }
                        $( Opcode::$v => {
                            const SIG: Sig = $sig;
                            match (SIG, ImmKind::$imm) {
                                (Sig::Fixed(params, results), ImmKind::None) => {
                                    let live = V::ACTIVE && self.live();
                                    self.fixed(env, params, results)?;
                                    visit_simple!(live, Opcode::$v, Imm::None, None);
                                }
                                (Sig::Load(t, natural), ImmKind::MemArg) if V::ACTIVE => {
                                    let live = self.live();
                                    let m = ops.read_memarg()?;
                                    self.load(env, m, t, natural)?;
                                    visit_simple!(live, Opcode::$v, Imm::MemArg(m), Some(t));
                                }
                                (Sig::Store(t, natural), ImmKind::MemArg) if V::ACTIVE => {
                                    let live = self.live();
                                    let m = ops.read_memarg()?;
                                    self.store(env, m, t, natural)?;
                                    visit_simple!(live, Opcode::$v, Imm::MemArg(m), Some(t));
                                }
                                _ if V::ACTIVE => {
                                    self.step_visited(env, ty, op, &mut ops, visitor)?;
                                }
                                _ => {
                                    let imm = ops.read_imm_of(ImmKind::$imm)?;
                                    self.instr::<V>(env, ty, Instr { op, imm }, &SIG, None)?;
                                }
                            }
                        } )*
                    }
                };
            }
            nanowasm_core::for_each_opcode!(dispatch);
            if self.frames.is_empty() {
                return self.finish(&ops);
            }
        }
    }

    /// After the body's final `end`: nothing may follow it.
    fn finish(&mut self, ops: &OperatorReader<'_>) -> Result<()> {
        if !ops.is_empty() {
            // Bytes after the final `end` belong to no instruction.
            self.at = usize::MAX;
            return Err(Error::malformed("section size mismatch", ops.offset()));
        }
        Ok(())
    }

    /// Validates instruction `op` (its opcode read) for a back end, then
    /// calls the visitor if it is reachable (or, for `else` and `end`, if
    /// the block it closes was visited).
    #[inline(never)]
    fn step_visited<'e, V: VisitOperator + ?Sized>(
        &mut self,
        env: &Env<'e>,
        ty: &'e FuncType,
        op: Opcode,
        ops: &mut OperatorReader<'_>,
        visitor: &mut V,
    ) -> Result<()> {
        // Read before the instruction is validated: `br` and the like make
        // what follows them unreachable, not themselves.
        let live = self.live();
        // The common immediates (none, one index) read here, the rest out
        // of line: a call returning the `Imm` through memory, read back in
        // pieces, stalled store forwarding on every instruction.
        let imm = match op.imm() {
            ImmKind::None => Imm::None,
            ImmKind::Label | ImmKind::Func | ImmKind::Local | ImmKind::Global => {
                Imm::Index(ops.read_index()?)
            }
            _ => ops.read_imm(op)?,
        };
        let mut extra = Extra::default();
        match op {
            Opcode::LocalGet | Opcode::LocalSet | Opcode::LocalTee => {
                let Imm::Index(i) = imm else {
                    return Err(self.internal(Instr { op, imm }));
                };
                let t = if op == Opcode::LocalGet {
                    self.local_get(i)?
                } else {
                    self.local_set(i)?
                };
                if op != Opcode::LocalGet {
                    self.pop(env, t)?;
                }
                if op != Opcode::LocalSet {
                    self.push(t);
                }
                extra.ty = Some(t);
            }
            _ => self.instr::<V>(env, ty, Instr { op, imm }, op.sig(), Some(&mut extra))?,
        }
        // An `else` or `end` is visited with the block it closes.
        let visit = match extra.ending {
            Some(e) => e.visible,
            None => live,
        };
        if visit {
            let at = Resolved {
                offset: self.at,
                extra,
                frames: &self.frames,
                types: env.types,
            };
            visit_op(visitor, op, imm, &at)?;
        }
        Ok(())
    }

    /// Whether the current instruction is reachable, so visited: its frame
    /// was visited and is not past an unconditional branch.
    #[inline(always)]
    fn live(&self) -> bool {
        self.frames
            .last()
            .is_some_and(|f| f.visible && !f.unreachable)
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

    #[inline(always)]
    fn pop(&mut self, env: &Env<'_>, expected: ValType) -> Result<Operand> {
        // Fast path: a known operand above the frame's height.
        let height = self.frames.last().map_or(0, |f| f.height);
        if self.operands.len() > height {
            return match self.operands.last().copied() {
                Some(Some(actual)) if actual == expected => {
                    self.operands.pop();
                    Ok(Some(actual))
                }
                Some(Some(actual)) => self.pop_subtype(env, actual, expected),
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

    /// `pop(expected)` found `actual`, another type: fine if it is a
    /// subtype (typed references), else an error. Out of line, so the exact
    /// match stays the whole fast path.
    #[cold]
    #[inline(never)]
    fn pop_subtype(
        &mut self,
        env: &Env<'_>,
        actual: ValType,
        expected: ValType,
    ) -> Result<Operand> {
        if actual.is_ref() && val_subtype(env.types, actual, expected) {
            self.operands.pop();
            return Ok(Some(actual));
        }
        Err(self.pop_error(expected))
    }

    fn pop_types(&mut self, env: &Env<'_>, types: Types<'_>) -> Result<()> {
        for i in (0..types.len()).rev() {
            self.pop(env, types.get(i))?;
        }
        Ok(())
    }

    fn push_types(&mut self, types: Types<'_>) {
        for i in 0..types.len() {
            self.push(types.get(i));
        }
    }

    fn block_types<'m>(&self, env: &Env<'m>, bt: BlockType) -> Result<(Types<'m>, Types<'m>)> {
        Types::of_block(env.types, bt).ok_or_else(|| self.unknown_block_type(bt))
    }

    #[cold]
    #[inline(never)]
    fn unknown_block_type(&self, bt: BlockType) -> Error {
        match bt {
            BlockType::Func(i) => self.err(format!("unknown type {i}")),
            _ => self.err("unknown block type"),
        }
    }

    fn label_types<'m>(&self, env: &Env<'m>, frame: Frame) -> Result<Types<'m>> {
        frame
            .label_types(env.types)
            .ok_or_else(|| self.unknown_block_type(frame.ty))
    }

    fn frame_at(&self, depth: u32) -> Result<Frame> {
        let len = self.frames.len();
        if (depth as usize) < len {
            Ok(self.frames[len - 1 - depth as usize])
        } else {
            Err(self.err(format!("unknown label {depth}")))
        }
    }

    /// Starts a block, visible to a visitor if `visible`. It is visible if it starts in reachable code.
    #[inline(always)]
    fn push_frame(
        &mut self,
        env: &Env<'_>,
        kind: FrameKind,
        ty: BlockType,
        visible: bool,
    ) -> Result<()> {
        if let BlockType::Value(ValType::Ref(r)) = ty {
            // A block's own type is checked where the block starts.
            self.heap_type(env, r.heap())?;
        }
        let (params, _) = self.block_types(env, ty)?;
        self.pop_types(env, params)?;
        self.frames.push(Frame {
            kind,
            ty,
            height: self.operands.len(),
            unreachable: false,
            visible,
            inits: self.init_stack.len() as u32,
        });
        self.push_types(params);
        Ok(())
    }

    #[inline(always)]
    fn pop_frame(&mut self, env: &Env<'_>) -> Result<Frame> {
        let frame = *self.frames.last().expect("control stack not empty");
        let (_, results) = self.block_types(env, frame.ty)?;
        // The operands above the frame must be its results, exactly (an
        // operand of unknown type matches any). Checked before anything is
        // popped, so that an error can list what was there.
        let top = self.operands.get(frame.height..).unwrap_or(&[]);
        let matches =
            |o: &Operand, t: ValType| o.is_none_or(|o| o == t || val_subtype(env.types, o, t));
        let exact = match results {
            Types::None => top.is_empty(),
            Types::One(t) => matches!(top, [o] if matches(o, t)),
            Types::Many(ts) => {
                top.len() == ts.len() && top.iter().zip(ts).all(|(o, &t)| matches(o, t))
            }
        };
        if !exact {
            self.frame_end_slow(env, frame, results)?;
        }
        self.operands.truncate(frame.height);
        self.frames.pop();
        while self.init_stack.len() > frame.inits as usize {
            let i = self.init_stack.pop().expect("above the frame's height");
            self.inits[i as usize] = false;
        }
        Ok(frame)
    }

    /// The end of a frame whose operands are not exactly its results: in
    /// unreachable code the bottom ones may be missing; otherwise an error.
    #[cold]
    #[inline(never)]
    fn frame_end_slow(&self, env: &Env<'_>, frame: Frame, results: Types<'_>) -> Result<()> {
        let top = self.operands.get(frame.height..).unwrap_or(&[]);
        let n = results.len();
        if frame.unreachable && top.len() < n {
            let skip = n - top.len();
            let fits = top
                .iter()
                .enumerate()
                .all(|(i, o)| o.is_none_or(|o| val_subtype(env.types, o, results.get(skip + i))));
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

    #[inline(always)]
    fn local(&self, index: u32) -> Result<ValType> {
        self.locals
            .get(index as usize)
            .copied()
            .ok_or_else(|| self.err(format!("unknown local {index}")))
    }

    /// The type of local `index` for `local.get`, which must be set.
    #[inline(always)]
    fn local_get(&self, index: u32) -> Result<ValType> {
        let t = self.local(index)?;
        // `inits` is empty unless the function has non-defaultable locals,
        // and true for every local that holds a value.
        if !self.inits.is_empty() && !self.inits[index as usize] {
            return Err(self.uninitialized());
        }
        Ok(t)
    }

    /// The type of local `index` for `local.set` and `local.tee`, which
    /// set it.
    #[inline(always)]
    fn local_set(&mut self, index: u32) -> Result<ValType> {
        let t = self.local(index)?;
        if !self.inits.is_empty() && !self.inits[index as usize] {
            self.inits[index as usize] = true;
            self.init_stack.push(index);
        }
        Ok(t)
    }

    #[cold]
    #[inline(never)]
    fn uninitialized(&self) -> Error {
        self.err("uninitialized local")
    }

    /// The address type of memory `index`.
    fn memory(&self, env: &Env<'_>, index: u32) -> Result<ValType> {
        env.memories
            .get(index as usize)
            .map(MemoryType::index_type)
            .ok_or_else(|| self.err(format!("unknown memory {index}")))
    }

    fn table_type<'m>(&self, env: &Env<'m>, index: u32) -> Result<&'m TableType> {
        env.tables
            .get(index as usize)
            .ok_or_else(|| self.err(format!("unknown table {index}")))
    }

    fn elem(&self, env: &Env<'_>, index: u32) -> Result<RefType> {
        env.elements
            .get(index as usize)
            .map(|e| e.ty)
            .ok_or_else(|| self.err(format!("unknown elem segment {index}")))
    }

    fn data(&self, env: &Env<'_>, index: u32) -> Result<()> {
        match env.data_count {
            None => Err(Error::malformed("data count section required", self.at)),
            Some(n) if index < n => Ok(()),
            Some(_) => Err(self.err(format!("unknown data segment {index}"))),
        }
    }

    /// A load of a `t` (its natural alignment `2^natural`).
    #[inline(always)]
    fn load(&mut self, env: &Env<'_>, m: MemArg, t: ValType, natural: u8) -> Result<()> {
        let addr = self.memarg(env, m, natural)?;
        self.pop(env, addr)?;
        self.push(t);
        Ok(())
    }

    /// A store of a `t` (its natural alignment `2^natural`).
    #[inline(always)]
    fn store(&mut self, env: &Env<'_>, m: MemArg, t: ValType, natural: u8) -> Result<()> {
        let addr = self.memarg(env, m, natural)?;
        self.pop(env, t)?;
        self.pop(env, addr)?;
        Ok(())
    }

    /// Checks a memory argument and returns the address type.
    fn memarg(&self, env: &Env<'_>, m: MemArg, natural: u8) -> Result<ValType> {
        let addr = self.memory(env, m.memory)?;
        if m.align > u32::from(natural) {
            return Err(self.err("alignment must not be larger than natural"));
        }
        if addr == ValType::I32 && m.offset > u64::from(u32::MAX) {
            return Err(self.err("offset out of range"));
        }
        Ok(addr)
    }

    /// The type of tag `index`.
    fn tag<'m>(&self, env: &Env<'m>, index: u32) -> Result<&'m FuncType> {
        let ty = env
            .tags
            .get(index as usize)
            .ok_or_else(|| self.err(format!("unknown tag {index}")))?;
        self.func_type_index(env, *ty)
    }

    /// Checks a `try_table` catch clause against its label: the label
    /// takes the tag's values (and the `exnref` of a `_ref` clause).
    fn catch_clause(&self, env: &Env<'_>, c: Catch) -> Result<()> {
        let label = self.label_types(env, self.frame_at(c.label())?)?;
        let values: &[ValType] = match c.tag() {
            Some(tag) => self.tag(env, tag)?.params(),
            None => &[],
        };
        let n = values.len() + usize::from(c.is_ref());
        let exn = ValType::Ref(RefType::new(false, HeapType::Exn));
        let fits = label.len() == n
            && values
                .iter()
                .enumerate()
                .all(|(i, &t)| val_subtype(env.types, t, label.get(i)))
            && (!c.is_ref() || val_subtype(env.types, exn, label.get(n - 1)));
        if fits {
            Ok(())
        } else {
            Err(self.mismatch(format!(
                "the catch clause's values do not match label {}",
                c.label()
            )))
        }
    }

    fn lane(&self, lane: u8, count: u8) -> Result<()> {
        if lane < count {
            Ok(())
        } else {
            Err(self.err("invalid lane index"))
        }
    }

    /// The type of function `f`, the callee of a `call` or `return_call`.
    fn callee<'m>(&self, env: &Env<'m>, f: u32) -> Result<&'m FuncType> {
        let ty = env
            .funcs
            .get(f as usize)
            .ok_or_else(|| self.err(format!("unknown function {f}")))?;
        self.func_type_index(env, *ty)
    }

    /// The callee type of a `call_indirect` or `return_call_indirect`
    /// through `table`, whose element index it pops.
    fn indirect_callee<'m>(
        &mut self,
        env: &Env<'m>,
        type_index: u32,
        table: u32,
    ) -> Result<&'m FuncType> {
        let tt = self.table_type(env, table)?;
        let elem = tt.element;
        if !ref_subtype(env.types, elem, RefType::FUNCREF) {
            return Err(self.mismatch(format!(
                "expected a funcref table, found table {table} of {elem}"
            )));
        }
        let ty = self.func_type_index(env, type_index)?;
        self.pop(env, tt.index_type())?;
        Ok(ty)
    }

    /// The function type at `index`.
    fn func_type_index<'m>(&self, env: &Env<'m>, index: u32) -> Result<&'m FuncType> {
        env.types
            .func(index)
            .ok_or_else(|| self.err(format!("unknown type {index}")))
    }

    /// Checks that a heap type names only types that exist.
    fn heap_type(&self, env: &Env<'_>, heap: HeapType) -> Result<()> {
        match heap {
            HeapType::Concrete(i) if env.types.get(i).is_none() => {
                Err(self.err(format!("unknown type {i}")))
            }
            _ => Ok(()),
        }
    }

    /// Pops a reference of any type; `None` if unknown (unreachable code).
    fn pop_ref(&mut self) -> Result<Option<RefType>> {
        match self.pop_any()? {
            None => Ok(None),
            Some(ValType::Ref(r)) => Ok(Some(r)),
            Some(t) => Err(self.mismatch(format!("expected a reference, found {t}"))),
        }
    }

    /// The types of label `depth` for `op` (`br_on_non_null`,
    /// `br_on_cast`, `br_on_cast_fail`), whose branch carries a reference
    /// last: the types and that reference type.
    fn ref_label<'m>(&self, env: &Env<'m>, op: Opcode, depth: u32) -> Result<(Types<'m>, RefType)> {
        let types = self.label_types(env, self.frame_at(depth)?)?;
        match types.len().checked_sub(1).map(|i| types.get(i)) {
            Some(ValType::Ref(r)) => Ok((types, r)),
            _ => Err(self.mismatch(format!(
                "{} needs a label whose last value is a reference: label {depth}",
                op.name()
            ))),
        }
    }

    /// The values below a branch's reference take the label's types (all
    /// of `types` but the last).
    fn pass_label_prefix(&mut self, env: &Env<'_>, types: Types<'_>) -> Result<()> {
        let n = types.len() - 1;
        for i in (0..n).rev() {
            self.pop(env, types.get(i))?;
        }
        for i in 0..n {
            self.push(types.get(i));
        }
        Ok(())
    }

    /// The fields of struct type `index`.
    fn struct_type<'m>(&self, env: &Env<'m>, index: u32) -> Result<&'m [FieldType]> {
        match env.types.get(index).map(|t| &t.composite) {
            Some(CompositeType::Struct(fields)) => Ok(fields),
            Some(_) => Err(self.mismatch(format!("type {index} is not a struct type"))),
            None => Err(self.err(format!("unknown type {index}"))),
        }
    }

    /// The element type of array type `index`.
    fn array_type(&self, env: &Env<'_>, index: u32) -> Result<FieldType> {
        match env.types.get(index).map(|t| &t.composite) {
            Some(CompositeType::Array(elem)) => Ok(*elem),
            Some(_) => Err(self.mismatch(format!("type {index} is not an array type"))),
            None => Err(self.err(format!("unknown type {index}"))),
        }
    }

    /// Field `field` of struct type `ty`, read with a `get` (`_s`/`_u`
    /// for `packed`) or written with a `set`.
    fn field(&self, f: FieldType, packed: bool, set: bool, what: &str) -> Result<ValType> {
        if packed != f.storage.is_packed() {
            return Err(self.mismatch(if packed {
                format!("{what} is not packed: read it with `get`")
            } else {
                format!("{what} is packed: read it with `get_s` or `get_u`")
            }));
        }
        if set && !f.mutable {
            return Err(self.err(if what.starts_with("field") {
                "immutable field"
            } else {
                "immutable array"
            }));
        }
        Ok(f.storage.unpacked())
    }

    /// Types a GC instruction.
    fn gc(
        &mut self,
        env: &Env<'_>,
        op: Opcode,
        imm: Imm<'_>,
        extra: Option<&mut Extra<'_>>,
    ) -> Result<()> {
        use Opcode as O;
        let _ = extra;
        let concrete = |nullable, ty| ValType::Ref(RefType::new(nullable, HeapType::Concrete(ty)));
        let defaultable = |f: &FieldType| match f.storage {
            StorageType::Val(t) => t.is_defaultable(),
            _ => true,
        };
        match (op, imm) {
            (O::StructNew, Imm::Index(ty)) => {
                let fields = self.struct_type(env, ty)?;
                for f in fields.iter().rev() {
                    self.pop(env, f.storage.unpacked())?;
                }
                self.push(concrete(false, ty));
            }
            (O::StructNewDefault, Imm::Index(ty)) => {
                let fields = self.struct_type(env, ty)?;
                if !fields.iter().all(defaultable) {
                    return Err(self.mismatch(format!(
                        "struct type {ty} has a field without a default value"
                    )));
                }
                self.push(concrete(false, ty));
            }
            (O::StructGet | O::StructGetS | O::StructGetU | O::StructSet, Imm::Index2(ty, i)) => {
                let fields = self.struct_type(env, ty)?;
                let f = *fields
                    .get(i as usize)
                    .ok_or_else(|| self.err(format!("unknown field {i}")))?;
                let what = format!("field {i} of type {ty}");
                let packed = match op {
                    O::StructSet => f.storage.is_packed(),
                    _ => op != O::StructGet,
                };
                let t = self.field(f, packed, op == O::StructSet, &what)?;
                if op == O::StructSet {
                    self.pop(env, t)?;
                    self.pop(env, concrete(true, ty))?;
                } else {
                    self.pop(env, concrete(true, ty))?;
                    self.push(t);
                }
            }
            (O::ArrayNew, Imm::Index(ty)) => {
                let e = self.array_type(env, ty)?;
                self.pop(env, ValType::I32)?;
                self.pop(env, e.storage.unpacked())?;
                self.push(concrete(false, ty));
            }
            (O::ArrayNewDefault, Imm::Index(ty)) => {
                let e = self.array_type(env, ty)?;
                if !defaultable(&e) {
                    return Err(self.mismatch(format!(
                        "array type {ty} has elements without a default value"
                    )));
                }
                self.pop(env, ValType::I32)?;
                self.push(concrete(false, ty));
            }
            (O::ArrayNewFixed, Imm::Index2(ty, n)) => {
                let e = self.array_type(env, ty)?;
                for _ in 0..n {
                    self.pop(env, e.storage.unpacked())?;
                }
                self.push(concrete(false, ty));
            }
            (O::ArrayNewData | O::ArrayInitData, Imm::Index2(ty, data)) => {
                let e = self.array_type(env, ty)?;
                if matches!(e.storage, StorageType::Val(t) if t.is_ref()) {
                    return Err(self.err("array type is not numeric or vector"));
                }
                self.data(env, data)?;
                self.array_from_segment(env, op == O::ArrayInitData, ty, e)?;
            }
            (O::ArrayNewElem | O::ArrayInitElem, Imm::Index2(ty, elem)) => {
                let e = self.array_type(env, ty)?;
                let seg = self.elem(env, elem)?;
                if !val_subtype(env.types, ValType::Ref(seg), e.storage.unpacked())
                    || e.storage.is_packed()
                {
                    return Err(self.mismatch(format!(
                        "elem segment {elem} of {seg} does not fit array type {ty}"
                    )));
                }
                self.array_from_segment(env, op == O::ArrayInitElem, ty, e)?;
            }
            (O::ArrayGet | O::ArrayGetS | O::ArrayGetU, Imm::Index(ty)) => {
                let e = self.array_type(env, ty)?;
                let t = self.field(e, op != O::ArrayGet, false, "the array's element")?;
                self.pop(env, ValType::I32)?;
                self.pop(env, concrete(true, ty))?;
                self.push(t);
            }
            (O::ArraySet, Imm::Index(ty)) => {
                let e = self.array_type(env, ty)?;
                let t = self.field(e, e.storage.is_packed(), true, "the array's element")?;
                self.pop(env, t)?;
                self.pop(env, ValType::I32)?;
                self.pop(env, concrete(true, ty))?;
            }
            (O::ArrayFill, Imm::Index(ty)) => {
                let e = self.array_type(env, ty)?;
                let t = self.field(e, e.storage.is_packed(), true, "the array's element")?;
                self.pop(env, ValType::I32)?;
                self.pop(env, t)?;
                self.pop(env, ValType::I32)?;
                self.pop(env, concrete(true, ty))?;
            }
            (O::ArrayCopy, Imm::Index2(dst, src)) => {
                let d = self.array_type(env, dst)?;
                let s = self.array_type(env, src)?;
                if !d.mutable {
                    return Err(self.err("immutable array"));
                }
                let fits = match (s.storage, d.storage) {
                    (StorageType::Val(a), StorageType::Val(b)) => val_subtype(env.types, a, b),
                    (a, b) => a == b,
                };
                if !fits {
                    return Err(self.err("array types do not match"));
                }
                self.pop(env, ValType::I32)?;
                self.pop(env, ValType::I32)?;
                self.pop(env, concrete(true, src))?;
                self.pop(env, ValType::I32)?;
                self.pop(env, concrete(true, dst))?;
            }
            (O::RefTest | O::RefTestNull | O::RefCast | O::RefCastNull, Imm::Heap(heap)) => {
                self.heap_type(env, heap)?;
                let nullable = matches!(op, O::RefTestNull | O::RefCastNull);
                let target = RefType::new(nullable, heap);
                let t = self.pop_ref()?;
                if let Some(t) = t {
                    if top(env.types, t.heap()) != top(env.types, heap) {
                        return Err(self.mismatch(format!(
                            "a cast from {t} to {target}: they are in different hierarchies"
                        )));
                    }
                }
                if matches!(op, O::RefTest | O::RefTestNull) {
                    self.push(ValType::I32);
                } else {
                    self.push(ValType::Ref(target));
                }
            }
            (O::BrOnCast | O::BrOnCastFail, Imm::BrOnCast { label, from, to }) => {
                self.heap_type(env, from.heap())?;
                self.heap_type(env, to.heap())?;
                if !ref_subtype(env.types, to, from) {
                    return Err(self.mismatch(format!(
                        "br_on_cast: the target type {to} does not match the source type {from}"
                    )));
                }
                let diff = from.with_nullable(from.nullable() && !to.nullable());
                let (taken, fallthrough) = if op == O::BrOnCast {
                    (to, diff)
                } else {
                    (diff, to)
                };
                let (types, last) = self.ref_label(env, op, label)?;
                if !ref_subtype(env.types, taken, last) {
                    return Err(self.found(ValType::Ref(last), ValType::Ref(taken)));
                }
                self.pop(env, ValType::Ref(from))?;
                self.pass_label_prefix(env, types)?;
                self.push(ValType::Ref(fallthrough));
            }
            (O::AnyConvertExtern | O::ExternConvertAny, _) => {
                let (from, to) = if op == O::AnyConvertExtern {
                    (HeapType::Extern, HeapType::Any)
                } else {
                    (HeapType::Any, HeapType::Extern)
                };
                let t = self.pop(env, ValType::Ref(RefType::new(true, from)))?;
                let nullable = match t {
                    Some(ValType::Ref(r)) => r.nullable(),
                    _ => false,
                };
                self.push(ValType::Ref(RefType::new(nullable, to)));
            }
            _ => return Err(self.internal(Instr { op, imm })),
        }
        Ok(())
    }

    /// `array.new_data`/`_elem` (`init` false): `[i32 i32] -> [(ref ty)]`;
    /// `array.init_data`/`_elem`: `[(ref null ty) i32 i32 i32] -> []`, on
    /// a mutable array.
    fn array_from_segment(
        &mut self,
        env: &Env<'_>,
        init: bool,
        ty: u32,
        e: FieldType,
    ) -> Result<()> {
        self.pop(env, ValType::I32)?;
        self.pop(env, ValType::I32)?;
        if init {
            if !e.mutable {
                return Err(self.err("immutable array"));
            }
            self.pop(env, ValType::I32)?;
            self.pop(
                env,
                ValType::Ref(RefType::new(true, HeapType::Concrete(ty))),
            )?;
        } else {
            self.push(ValType::Ref(RefType::new(false, HeapType::Concrete(ty))));
        }
        Ok(())
    }

    /// A tail call of a `callee` from a function of type `func_ty`: pops
    /// the arguments; the callee's results become the function's, so they
    /// must be the same types.
    fn return_call(&mut self, env: &Env<'_>, func_ty: &FuncType, callee: &FuncType) -> Result<()> {
        for &t in callee.params().iter().rev() {
            self.pop(env, t)?;
        }
        let fits = callee.results().len() == func_ty.results().len()
            && callee
                .results()
                .iter()
                .zip(func_ty.results())
                .all(|(&a, &b)| val_subtype(env.types, a, b));
        if !fits {
            return Err(self.mismatch(format!(
                "a tail call to a function of type {callee} from a function of type {func_ty}: \
                 the results differ"
            )));
        }
        self.set_unreachable();
        Ok(())
    }

    fn call(&mut self, env: &Env<'_>, ty: &FuncType) -> Result<()> {
        for &t in ty.params().iter().rev() {
            self.pop(env, t)?;
        }
        self.operands.extend(ty.results().iter().map(|&t| Some(t)));
        Ok(())
    }

    /// Pops `params` (last on top) and pushes `results`.
    #[inline(always)]
    fn fixed(&mut self, env: &Env<'_>, params: &[ValType], results: &[ValType]) -> Result<()> {
        for &t in params.iter().rev() {
            self.pop(env, t)?;
        }
        for &t in results {
            self.push(t);
        }
        Ok(())
    }

    #[inline(always)]
    fn instr<'m, V: VisitOperator + ?Sized>(
        &mut self,
        env: &Env<'m>,
        func_ty: &'m FuncType,
        instr: Instr<'_>,
        sig: &Sig,
        mut extra: Option<&mut Extra<'m>>,
    ) -> Result<()> {
        // Record the type a visitor is passed, if there is one.
        macro_rules! typed {
            ($t:expr) => {
                if let Some(extra) = extra.as_deref_mut() {
                    extra.ty = Some($t);
                }
            };
        }
        match *sig {
            Sig::Fixed(params, results) => {
                if let Imm::Bytes16(lanes) = instr.imm {
                    // i8x16.shuffle: lane indices select from two vectors.
                    if lanes.iter().any(|&l| l >= 32) {
                        return Err(self.err("invalid lane index"));
                    }
                }
                self.fixed(env, params, results)?;
                Ok(())
            }
            Sig::Lane(count, params, results) => {
                if let Imm::Lane(lane) = instr.imm {
                    self.lane(lane, count)?;
                }
                for &t in params.iter().rev() {
                    self.pop(env, t)?;
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
                self.load(env, m, t, natural)?;
                typed!(t);
                Ok(())
            }
            Sig::Store(t, natural) => {
                let Imm::MemArg(m) = instr.imm else {
                    return Err(self.internal(instr));
                };
                self.store(env, m, t, natural)?;
                typed!(t);
                Ok(())
            }
            Sig::LoadLane(natural) => {
                let Imm::MemArgLane(m, lane) = instr.imm else {
                    return Err(self.internal(instr));
                };
                let addr = self.memarg(env, m, natural)?;
                self.lane(lane, 16 >> natural)?;
                self.pop(env, ValType::V128)?;
                self.pop(env, addr)?;
                self.push(ValType::V128);
                typed!(ValType::V128);
                Ok(())
            }
            Sig::StoreLane(natural) => {
                let Imm::MemArgLane(m, lane) = instr.imm else {
                    return Err(self.internal(instr));
                };
                let addr = self.memarg(env, m, natural)?;
                self.lane(lane, 16 >> natural)?;
                self.pop(env, ValType::V128)?;
                self.pop(env, addr)?;
                typed!(ValType::V128);
                Ok(())
            }
            Sig::Special => self.special::<V>(env, func_ty, instr, extra),
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
    ///
    /// What a visitor is passed goes to `extra`, if `V` is active.
    fn special<'m, V: VisitOperator + ?Sized>(
        &mut self,
        env: &Env<'m>,
        func_ty: &'m FuncType,
        instr: Instr<'_>,
        mut extra: Option<&mut Extra<'m>>,
    ) -> Result<()> {
        use Opcode as O;
        // Record what a visitor is passed, if there is one.
        macro_rules! set {
            ($field:ident = $value:expr) => {
                if V::ACTIVE {
                    if let Some(extra) = extra.as_deref_mut() {
                        extra.$field = $value;
                    }
                }
            };
        }
        // Whether a block starting here is visible to the visitor.
        let visible = V::ACTIVE && self.live();
        match (instr.op, instr.imm) {
            (O::Unreachable, _) => self.set_unreachable(),
            (O::Nop, _) => {}
            (O::Block, Imm::Block(bt)) => {
                self.push_frame(env, FrameKind::Block, bt, visible)?;
                set!(block = Some(bt));
            }
            (O::Loop, Imm::Block(bt)) => {
                self.push_frame(env, FrameKind::Loop, bt, visible)?;
                set!(block = Some(bt));
            }
            (O::If, Imm::Block(bt)) => {
                self.pop(env, ValType::I32)?;
                self.push_frame(env, FrameKind::If, bt, visible)?;
                set!(block = Some(bt));
            }
            (O::TryTable, Imm::TryTable(tt)) => {
                // The clauses' labels are those around the `try_table`.
                for c in tt.catches() {
                    self.catch_clause(env, c)?;
                }
                self.push_frame(env, FrameKind::TryTable, tt.ty, visible)?;
                set!(block = Some(tt.ty));
            }
            (O::Throw, Imm::Index(tag)) => {
                let ty = self.tag(env, tag)?;
                self.pop_types(env, Types::Many(ty.params()))?;
                self.set_unreachable();
                set!(callee = Some(ty));
            }
            (O::ThrowRef, _) => {
                self.pop(env, ValType::EXNREF)?;
                self.set_unreachable();
            }
            (O::Try, Imm::Block(bt)) => {
                self.push_frame(env, FrameKind::Try, bt, visible)?;
                set!(block = Some(bt));
            }
            (O::Catch | O::CatchAll, imm) => {
                let frame = self.pop_frame(env)?;
                if !matches!(frame.kind, FrameKind::Try | FrameKind::Catch) {
                    return Err(self.err(if frame.kind == FrameKind::CatchAll {
                        "catch found after catch_all"
                    } else {
                        "catch found outside a try block"
                    }));
                }
                let (kind, values) = match imm {
                    Imm::Index(tag) => {
                        let ty = self.tag(env, tag)?;
                        set!(callee = Some(ty));
                        (FrameKind::Catch, Types::Many(ty.params()))
                    }
                    _ => (FrameKind::CatchAll, Types::None),
                };
                self.frames.push(Frame {
                    kind,
                    ty: frame.ty,
                    height: self.operands.len(),
                    unreachable: false,
                    visible: frame.visible,
                    inits: self.init_stack.len() as u32,
                });
                self.push_types(values);
                set!(block = Some(frame.ty));
                set!(ending = Some(frame.ending()));
            }
            (O::Delegate, Imm::Index(depth)) => {
                let frame = self.pop_frame(env)?;
                if frame.kind != FrameKind::Try {
                    return Err(self.err("delegate found outside a try block"));
                }
                // The label is counted from outside the `try`.
                self.frame_at(depth)?;
                let (_, results) = self.block_types(env, frame.ty)?;
                self.push_types(results);
                set!(block = Some(frame.ty));
                set!(ending = Some(frame.ending()));
            }
            (O::Rethrow, Imm::Index(depth)) => {
                let frame = self.frame_at(depth)?;
                if !matches!(frame.kind, FrameKind::Catch | FrameKind::CatchAll) {
                    return Err(self.err("invalid rethrow label"));
                }
                self.set_unreachable();
            }
            (O::Else, _) => {
                let frame = self.pop_frame(env)?;
                if frame.kind != FrameKind::If {
                    return Err(self.err("else found outside an if block"));
                }
                self.frames.push(Frame {
                    kind: FrameKind::Else,
                    ty: frame.ty,
                    height: self.operands.len(),
                    unreachable: false,
                    visible: frame.visible,
                    inits: self.init_stack.len() as u32,
                });
                let (params, _) = self.block_types(env, frame.ty)?;
                self.push_types(params);
                set!(block = Some(frame.ty));
                set!(ending = Some(frame.ending()));
            }
            (O::End, _) => {
                let frame = self.pop_frame(env)?;
                let (params, results) = self.block_types(env, frame.ty)?;
                if frame.kind == FrameKind::If {
                    // An `if` without `else` has an empty else branch, which
                    // types only if the block's inputs are its outputs.
                    let same = params.len() == results.len()
                        && (0..params.len())
                            .all(|i| val_subtype(env.types, params.get(i), results.get(i)));
                    if !same {
                        return Err(self.if_without_else(params, results));
                    }
                }
                self.push_types(results);
                if frame.kind != FrameKind::Func {
                    set!(block = Some(frame.ty));
                }
                set!(ending = Some(frame.ending()));
            }
            (O::Br, Imm::Index(depth)) => {
                let frame = self.frame_at(depth)?;
                let types = self.label_types(env, frame)?;
                self.pop_types(env, types)?;
                self.set_unreachable();
            }
            (O::BrIf, Imm::Index(depth)) => {
                self.pop(env, ValType::I32)?;
                let frame = self.frame_at(depth)?;
                let types = self.label_types(env, frame)?;
                self.pop_types(env, types)?;
                self.push_types(types);
            }
            (O::BrTable, Imm::BrTable(table)) => {
                self.pop(env, ValType::I32)?;
                let default = self.label_types(env, self.frame_at(table.default)?)?;
                let arity = default.len();
                for depth in table.targets() {
                    let types = self.label_types(env, self.frame_at(depth)?)?;
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
                        let actual = self.pop(env, types.get(i))?;
                        self.scratch.push(actual);
                    }
                    while let Some(v) = self.scratch.pop() {
                        self.operands.push(v);
                    }
                }
                self.pop_types(env, default)?;
                self.set_unreachable();
            }
            (O::Return, _) => {
                self.pop_types(env, Types::Many(func_ty.results()))?;
                self.set_unreachable();
                set!(callee = Some(func_ty));
            }
            (O::Call, Imm::Index(f)) => {
                let callee = self.callee(env, f)?;
                self.call(env, callee)?;
                set!(callee = Some(callee));
            }
            (O::CallIndirect, Imm::Index2(type_index, table)) => {
                let ty = self.indirect_callee(env, type_index, table)?;
                self.call(env, ty)?;
                set!(callee = Some(ty));
            }
            (O::ReturnCall, Imm::Index(f)) => {
                let callee = self.callee(env, f)?;
                self.return_call(env, func_ty, callee)?;
                set!(callee = Some(callee));
            }
            (O::ReturnCallIndirect, Imm::Index2(type_index, table)) => {
                let ty = self.indirect_callee(env, type_index, table)?;
                self.return_call(env, func_ty, ty)?;
                set!(callee = Some(ty));
            }
            (O::Drop, _) => {
                let t = self.pop_any()?;
                set!(ty = t);
            }
            (O::Select, _) => {
                self.pop(env, ValType::I32)?;
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
                set!(ty = t1.or(t2));
            }
            (O::SelectTyped, Imm::SelectT(t)) => {
                if let ValType::Ref(r) = t {
                    self.heap_type(env, r.heap())?;
                }
                self.pop(env, ValType::I32)?;
                self.pop(env, t)?;
                self.pop(env, t)?;
                self.push(t);
                set!(ty = Some(t));
            }
            (O::LocalGet, Imm::Index(i)) => {
                let t = self.local_get(i)?;
                self.push(t);
                set!(ty = Some(t));
            }
            (O::LocalSet, Imm::Index(i)) => {
                let t = self.local_set(i)?;
                self.pop(env, t)?;
                set!(ty = Some(t));
            }
            (O::LocalTee, Imm::Index(i)) => {
                let t = self.local_set(i)?;
                self.pop(env, t)?;
                self.push(t);
                set!(ty = Some(t));
            }
            (O::GlobalGet, Imm::Index(g)) => {
                let gt = env
                    .globals
                    .get(g as usize)
                    .ok_or_else(|| self.err(format!("unknown global {g}")))?;
                self.push(gt.content);
                set!(ty = Some(gt.content));
            }
            (O::GlobalSet, Imm::Index(g)) => {
                let gt = *env
                    .globals
                    .get(g as usize)
                    .ok_or_else(|| self.err(format!("unknown global {g}")))?;
                if !gt.mutable {
                    return Err(self.err("global is immutable"));
                }
                self.pop(env, gt.content)?;
                set!(ty = Some(gt.content));
            }
            (O::I32Const, _) => self.push(ValType::I32),
            (O::I64Const, _) => self.push(ValType::I64),
            (O::F32Const, _) => self.push(ValType::F32),
            (O::F64Const, _) => self.push(ValType::F64),
            (O::V128Const, _) => self.push(ValType::V128),
            (O::MemorySize, Imm::Index(m)) => {
                let addr = self.memory(env, m)?;
                self.push(addr);
            }
            (O::MemoryGrow, Imm::Index(m)) => {
                let addr = self.memory(env, m)?;
                self.pop(env, addr)?;
                self.push(addr);
            }
            (O::MemoryFill, Imm::Index(m)) => {
                let addr = self.memory(env, m)?;
                self.pop(env, addr)?;
                self.pop(env, ValType::I32)?;
                self.pop(env, addr)?;
            }
            (O::MemoryCopy, Imm::Index2(dst, src)) => {
                let dst_addr = self.memory(env, dst)?;
                let src_addr = self.memory(env, src)?;
                // The length is i64 only if both memories are 64-bit.
                let len = if dst_addr == ValType::I64 && src_addr == ValType::I64 {
                    ValType::I64
                } else {
                    ValType::I32
                };
                self.pop(env, len)?;
                self.pop(env, src_addr)?;
                self.pop(env, dst_addr)?;
            }
            (O::MemoryInit, Imm::Index2(data, m)) => {
                let addr = self.memory(env, m)?;
                self.data(env, data)?;
                self.pop(env, ValType::I32)?;
                self.pop(env, ValType::I32)?;
                self.pop(env, addr)?;
            }
            (O::DataDrop, Imm::Index(data)) => self.data(env, data)?,
            (O::RefNull, Imm::Heap(heap)) => {
                self.heap_type(env, heap)?;
                self.push(ValType::Ref(RefType::new(true, heap)));
            }
            (O::RefIsNull, _) => {
                let t = self.pop_ref()?;
                set!(ty = t.map(ValType::Ref));
                self.push(ValType::I32);
            }
            (O::RefAsNonNull, _) => {
                let t = self.pop_ref()?;
                set!(ty = t.map(ValType::Ref));
                self.operands
                    .push(t.map(|r| ValType::Ref(r.with_nullable(false))));
            }
            (O::BrOnNull, Imm::Index(depth)) => {
                let t = self.pop_ref()?;
                let types = self.label_types(env, self.frame_at(depth)?)?;
                self.pop_types(env, types)?;
                self.push_types(types);
                self.operands
                    .push(t.map(|r| ValType::Ref(r.with_nullable(false))));
                set!(ty = t.map(ValType::Ref));
            }
            (O::BrOnNonNull, Imm::Index(depth)) => {
                let t = self.pop_ref()?;
                let (types, last) = self.ref_label(env, O::BrOnNonNull, depth)?;
                if let Some(r) = t {
                    if !ref_subtype(env.types, r.with_nullable(false), last) {
                        return Err(self.found(ValType::Ref(last), ValType::Ref(r)));
                    }
                }
                self.pass_label_prefix(env, types)?;
                set!(ty = t.map(ValType::Ref));
            }
            (O::RefFunc, Imm::Index(f)) => {
                if f as usize >= env.funcs.len() {
                    return Err(self.err(format!("unknown function {f}")));
                }
                if !env.is_ref_declared(f) {
                    return Err(self.err("undeclared function reference"));
                }
                let ty = env.funcs[f as usize];
                self.push(ValType::Ref(RefType::new(false, HeapType::Concrete(ty))));
            }
            (O::CallRef, Imm::Index(type_index)) => {
                let ty = self.func_type_index(env, type_index)?;
                self.pop(
                    env,
                    ValType::Ref(RefType::new(true, HeapType::Concrete(type_index))),
                )?;
                self.call(env, ty)?;
                set!(callee = Some(ty));
            }
            (O::ReturnCallRef, Imm::Index(type_index)) => {
                let ty = self.func_type_index(env, type_index)?;
                self.pop(
                    env,
                    ValType::Ref(RefType::new(true, HeapType::Concrete(type_index))),
                )?;
                self.return_call(env, func_ty, ty)?;
                set!(callee = Some(ty));
            }
            (op, imm) if op.feature() == nanowasm_core::Feature::Gc => {
                self.gc(env, op, imm, extra.as_deref_mut())?
            }
            (O::TableGet, Imm::Index(t)) => {
                let tt = self.table_type(env, t)?;
                let elem = tt.element;
                self.pop(env, tt.index_type())?;
                self.push(ValType::Ref(elem));
                set!(ty = Some(ValType::Ref(elem)));
            }
            (O::TableSet, Imm::Index(t)) => {
                let tt = self.table_type(env, t)?;
                let elem = tt.element;
                self.pop(env, ValType::Ref(elem))?;
                self.pop(env, tt.index_type())?;
                set!(ty = Some(ValType::Ref(elem)));
            }
            (O::TableSize, Imm::Index(t)) => {
                let tt = self.table_type(env, t)?;
                self.push(tt.index_type());
            }
            (O::TableGrow, Imm::Index(t)) => {
                let tt = self.table_type(env, t)?;
                let elem = tt.element;
                self.pop(env, tt.index_type())?;
                self.pop(env, ValType::Ref(elem))?;
                self.push(tt.index_type());
                set!(ty = Some(ValType::Ref(elem)));
            }
            (O::TableFill, Imm::Index(t)) => {
                let tt = self.table_type(env, t)?;
                let elem = tt.element;
                self.pop(env, tt.index_type())?;
                self.pop(env, ValType::Ref(elem))?;
                self.pop(env, tt.index_type())?;
                set!(ty = Some(ValType::Ref(elem)));
            }
            (O::TableCopy, Imm::Index2(dst, src)) => {
                let (dt, st) = (self.table_type(env, dst)?, self.table_type(env, src)?);
                let (dst_ty, src_ty) = (dt.element, st.element);
                if !ref_subtype(env.types, src_ty, dst_ty) {
                    return Err(self.mismatch(format!(
                        "expected a table of {dst_ty} (like table {dst}), found table {src} of {src_ty}"
                    )));
                }
                // The length is i64 only if both tables are 64-bit.
                let len = if dt.table64 && st.table64 {
                    ValType::I64
                } else {
                    ValType::I32
                };
                self.pop(env, len)?;
                self.pop(env, st.index_type())?;
                self.pop(env, dt.index_type())?;
            }
            (O::TableInit, Imm::Index2(elem, table)) => {
                let tt = self.table_type(env, table)?;
                let table_ty = tt.element;
                let elem_ty = self.elem(env, elem)?;
                if !ref_subtype(env.types, elem_ty, table_ty) {
                    return Err(self.mismatch(format!(
                        "expected elements of {table_ty} (table {table}), found elem segment {elem} of {elem_ty}"
                    )));
                }
                self.pop(env, ValType::I32)?;
                self.pop(env, ValType::I32)?;
                self.pop(env, tt.index_type())?;
            }
            (O::ElemDrop, Imm::Index(elem)) => {
                self.elem(env, elem)?;
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
