//! Translation of one validated function body into [`CompiledFunc`].
//!
//! The translator walks the wasm instructions once, keeping a compile-time
//! operand stack. Each entry knows the slot it occupies (its stack
//! position) and where its value currently is: in that slot (`Temp`) or
//! still in a local's slot (`Local`, after a `local.get`). Values are moved
//! into their own slot ("materialized") only when needed: before the local
//! they alias is written, and before any control flow, so that at every
//! label the stack's values sit exactly in their positional slots.
//!
//! The translator is a [`VisitOperator`] of the validating front end: the
//! function validator decodes and types each instruction and hands it over
//! with what it resolved (block and label types, the callee's type, the
//! type of a local or global). The translator never decodes a body itself,
//! and it is never shown dead code (see `nanowasm_binary::VisitOperator`).
//! Any inconsistency it still meets becomes an error, never a panic.

use crate::prelude::*;
mod gc;
use nanowasm_binary::{
    operators::TryTable, FrameKind, FuncStart, FuncValidator, Imm, Instr as WasmInstr, Module,
    Resolved, Types, VisitOperator,
};
use nanowasm_core::{Features, FuncType, ImmKind, Opcode, Sig, ValType};

use super::code::{Clause, ClauseKind, Cmp32, CompiledFunc, ExnHandler, Instr, Reg};
use crate::interp::simd::{self, SimdClass};

/// What the translator needs to know about the engine's configuration.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TranslateConfig {
    /// Emit fuel accounting.
    pub fuel: bool,
    /// Emit epoch-deadline checks.
    pub epoch: bool,
    /// The features the module was validated with.
    pub features: Features,
    /// Compiled code relies on guard regions instead of bounds checks
    /// (the interpreter always checks). Read only by the compiler, so
    /// builds without it never read it.
    #[cfg_attr(not(nanowasm_compiler), allow(dead_code))]
    pub guard_regions: bool,
    /// Compiled code may use AVX2 (the CPU has it). Read only by the
    /// compiler.
    #[cfg_attr(not(nanowasm_compiler), allow(dead_code))]
    pub avx2: bool,
}

/// How many slots a value of type `t` takes.
#[inline]
pub(crate) fn width(t: ValType) -> u32 {
    if t == ValType::V128 {
        2
    } else {
        1
    }
}

/// Slots taken by a list of types.
pub(crate) fn slots_of(types: &[ValType]) -> u32 {
    types.iter().map(|&t| width(t)).sum()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Src {
    /// The value is in the entry's own slot.
    Temp,
    /// The value is still in this local's slot.
    Local(Reg),
}

#[derive(Clone, Copy, Debug)]
struct Operand {
    src: Src,
    ty: ValType,
    slot: Reg,
}

impl Operand {
    /// Where to read the value from.
    #[inline]
    fn reg(&self) -> Reg {
        match self.src {
            Src::Temp => self.slot,
            Src::Local(r) => r,
        }
    }
}

/// A branch condition, possibly fused with the comparison that computed it.
#[derive(Clone, Copy, Debug)]
enum Cond {
    /// The `i32` in the register is not zero.
    Nez(Reg),
    /// The `i32` in the register is zero.
    Eqz(Reg),
    /// A comparison of two `i32` registers.
    Cmp(Cmp32, Reg, Reg),
    /// A comparison of an `i32` register with a constant.
    CmpImm(Cmp32, Reg, u32),
}

impl Cond {
    fn negate(self) -> Cond {
        match self {
            Cond::Nez(r) => Cond::Eqz(r),
            Cond::Eqz(r) => Cond::Nez(r),
            Cond::Cmp(c, a, b) => Cond::Cmp(c.negate(), a, b),
            Cond::CmpImm(c, a, imm) => Cond::CmpImm(c.negate(), a, imm),
        }
    }

    /// A conditional jump to `target` taken when the condition holds.
    fn jump(self, target: u32) -> Instr {
        match self {
            Cond::Nez(cond) => Instr::BrIfNez { cond, target },
            Cond::Eqz(cond) => Instr::BrIfEqz { cond, target },
            Cond::Cmp(cmp, a, b) => Instr::BrIfCmp32 { cmp, a, b, target },
            Cond::CmpImm(cmp, a, imm) => Instr::BrIfCmpImm32 {
                cmp,
                a,
                imm,
                target,
            },
        }
    }
}

/// The constant second operand of a binary operation, as the constant
/// instruction that the operation absorbs wrote it.
#[derive(Clone, Copy, Debug)]
enum Imm64 {
    /// An `i32` or `f32` (`BinaryImm32`).
    Bits32(u32),
    /// An `i64` or `f64`, low and high halves (`BinaryImm64`).
    Bits64(u32, u32),
}

use FrameKind as CtrlKind;

#[derive(Debug)]
struct Ctrl {
    kind: CtrlKind,
    /// Operand stack length when the frame's params are on it.
    height: usize,
    /// The slot of the first param / result.
    base_slot: Reg,
    /// Indices of `Br`-like instructions to patch with the end label.
    fixups: Vec<usize>,
    /// For loops: the index of the first instruction of the body.
    loop_pc: u32,
    /// For `if`: the `BrIfEqz` to patch with the start of `else`.
    else_fixup: Option<usize>,
    /// For `if` with params: how many operands below the frame hold the
    /// original params (the branches work on copies above them).
    hidden: usize,
    /// The rest of the frame's body is unreachable.
    dead: bool,
    /// A `try_table`'s or legacy `try`'s exception handler, finished (and
    /// moved to the function's) at its `end`.
    handler: Option<ExnHandler>,
}

/// Translates function `func` (an index in the module's function space,
/// not imported) of a validated module.
pub(crate) fn translate(
    module: &Module,
    func: u32,
    config: TranslateConfig,
) -> Result<CompiledFunc, String> {
    let t = translate_instrs(module, func, config)?;
    CompiledFunc::encode(
        &t.code,
        &t.offsets,
        t.pool,
        t.param_slots,
        t.local_slots,
        t.frame_slots,
        t.handlers,
    )
}

/// A function's translation before encoding (what `disasm` prints).
pub(crate) struct Translation {
    pub code: Vec<Instr>,
    pub offsets: Vec<u32>,
    pub pool: Vec<u128>,
    pub param_slots: u32,
    pub local_slots: u32,
    pub frame_slots: u32,
    pub handlers: Vec<ExnHandler>,
}

/// [`translate`] without the encoding.
pub(crate) fn translate_instrs(
    module: &Module,
    func: u32,
    config: TranslateConfig,
) -> Result<Translation, String> {
    let body = func
        .checked_sub(module.num_imported.funcs)
        .and_then(|d| module.bodies.get(d as usize))
        .map_or(0, |b| b.code.len());
    let mut t = Translator {
        module,
        config,
        code_limit: body.saturating_mul(CODE_PER_BYTE).saturating_add(CODE_BASE),
        catch_frames: Vec::new(),
        code: Vec::new(),
        offsets: Vec::new(),
        pool: Vec::new(),
        stack: Vec::new(),
        temp_low: 0,
        ctrls: Vec::new(),
        locals: Vec::new(),
        param_slots: 0,
        local_slots: 0,
        max_slot: 0,
        at: 0,
        fuel_index: None,
        last_label: 0,
        results: Vec::new(),
        memory64: module.memories.iter().map(|m| m.memory64).collect(),
        table64: module.tables.iter().map(|t| t.table64).collect(),
        tags: module
            .tags
            .iter()
            .map(|&t| {
                module
                    .types
                    .func(t)
                    .cloned()
                    .unwrap_or_else(|| FuncType::new([], []))
            })
            .collect(),
        handlers: Vec::new(),
    };
    FuncValidator::new()
        .visit_function(module, config.features, func, &mut t)
        .map_err(|e| e.to_string())?;
    // The executor indexes slots without bounds checks: the frame must
    // cover every slot any instruction names. Computing it from the code
    // itself makes that hold by construction.
    let used = t.code.iter().map(Instr::slots_end).max().unwrap_or(0);
    let frame_slots = t
        .max_slot
        .max(slots_of(&t.results))
        .max(t.local_slots)
        .max(used);
    Ok(Translation {
        code: t.code,
        offsets: t.offsets,
        pool: t.pool,
        param_slots: t.param_slots,
        local_slots: t.local_slots,
        frame_slots,
        handlers: t.handlers,
    })
}

/// The most instructions a body of `n` bytes translates to is
/// `n * CODE_PER_BYTE + CODE_BASE`; a function that needs more fails to
/// translate (its call is an error) rather than exhausting the host's
/// memory. Real code needs far fewer: 0.25 per byte over the 20,217
/// functions of sql-wasm, swc, esbuild, CoreMark, the benchmark kernels
/// and the test guests, 0.51 at most for a body over 100 bytes. But a
/// `br_table` can ask for many more: each of its targets gets the copies
/// of the branch's values and the releases of the exceptions of the
/// `catch` blocks it leaves, so `T` targets out of `C` nested `catch`
/// blocks (or with `C` values) would make `T * C` instructions from
/// `T + C` bytes.
const CODE_PER_BYTE: usize = 4;
const CODE_BASE: usize = 1 << 16;

/// The most operands above `Translator::temp_low`: more than real code
/// keeps on its stack, so this never changes its translation.
const OPERAND_WINDOW: usize = 256;

struct Translator<'m> {
    /// The module whose function this is.
    module: &'m Module,
    config: TranslateConfig,
    /// The most instructions the translation may have (see
    /// [`CODE_PER_BYTE`]).
    code_limit: usize,
    /// The open `catch` and `catch_all` frames (indices into `ctrls`, in
    /// order): the exceptions a branch out of them releases.
    catch_frames: Vec<usize>,
    code: Vec<Instr>,
    offsets: Vec<u32>,
    pool: Vec<u128>,
    stack: Vec<Operand>,
    /// Every operand below this depth (or below the stack's height, if
    /// that is lower) is in its own slot (`Src::Temp`). The scans for
    /// operands that alias a local (`materialize_all` at every call and
    /// block, `materialize_local` at every write of a local) start here,
    /// and `instr` keeps at most `OPERAND_WINDOW` operands above it, so
    /// that a body keeping tens of thousands of operands on the stack
    /// translates in linear time (a call or a local write after each push
    /// took 24 s for 200,000 operands). `push` lowers it.
    temp_low: usize,
    ctrls: Vec<Ctrl>,
    /// Slot and type of every local (parameters first).
    locals: Vec<(Reg, ValType)>,
    param_slots: u32,
    local_slots: u32,
    max_slot: u32,
    /// Offset of the wasm instruction being translated.
    at: u32,
    /// The current `ConsumeFuel` instruction, if fuel is on.
    fuel_index: Option<usize>,
    /// The most recent jump target (see `label`).
    last_label: u32,
    results: Vec<ValType>,
    /// Whether each memory of the module is 64-bit.
    memory64: Vec<bool>,
    /// Whether each table of the module is 64-bit.
    table64: Vec<bool>,
    /// The type of each tag of the module.
    tags: Vec<FuncType>,
    /// The finished exception handlers, innermost first.
    handlers: Vec<ExnHandler>,
}

impl VisitOperator for Translator<'_> {
    fn visit_start(&mut self, start: &FuncStart<'_>) -> nanowasm_binary::Result<()> {
        // Locals: parameters first, then declared locals, each at a slot
        // offset.
        let mut slot = 0;
        for &t in start.locals {
            self.locals.push((slot, t));
            slot += width(t);
        }
        self.param_slots = slots_of(start.ty.params());
        self.results = start.ty.results().to_vec();
        self.local_slots = slot;
        self.max_slot = slot;
        self.at = start.offset as u32;
        self.ctrls.push(Ctrl {
            kind: CtrlKind::Func,
            height: 0,
            base_slot: 0,
            fixups: Vec::new(),
            loop_pc: 0,
            else_fixup: None,
            hidden: 0,
            dead: false,
            handler: None,
        });
        if self.config.epoch {
            self.emit(Instr::CheckInterrupt {});
        }
        self.start_fuel_block();
        Ok(())
    }

    fn visit_operator(
        &mut self,
        op: Opcode,
        imm: Imm<'_>,
        at: &Resolved<'_>,
    ) -> nanowasm_binary::Result<()> {
        self.at = at.offset() as u32;
        self.instr(op, imm, at)
            .map_err(|e| nanowasm_binary::Error::unsupported(e, at.offset()))
    }
}

impl Translator<'_> {
    fn emit(&mut self, i: Instr) -> usize {
        self.code.push(i);
        self.offsets.push(self.at);
        self.code.len() - 1
    }

    fn pc(&self) -> u32 {
        self.code.len() as u32
    }

    /// Starts a straight-line region whose instructions are paid for
    /// together. Its `ConsumeFuel` is emitted by the first instruction
    /// that costs fuel (before that instruction's code), so a region that
    /// costs nothing (a loop header right before another, the end of a
    /// block followed by another end) has none. Only free code (copies at
    /// `end`, a `CheckInterrupt`) can precede it in the region, so the
    /// region still pays before anything observable runs.
    fn start_fuel_block(&mut self) {
        self.fuel_index = None;
    }

    fn charge(&mut self, n: u32) {
        if !self.config.fuel {
            return;
        }
        let i = match self.fuel_index {
            Some(i) => i,
            None => {
                let i = self.emit(Instr::ConsumeFuel { fuel: 0 });
                self.fuel_index = Some(i);
                i
            }
        };
        if let Instr::ConsumeFuel { fuel: f } = &mut self.code[i] {
            *f = f.saturating_add(n);
        }
    }

    fn next_slot(&self) -> Reg {
        match self.stack.last() {
            Some(o) => o.slot + width(o.ty),
            None => self.local_slots,
        }
    }

    fn push(&mut self, ty: ValType) -> Reg {
        let slot = self.next_slot();
        self.push_operand(Operand {
            src: Src::Temp,
            ty,
            slot,
        });
        self.max_slot = self.max_slot.max(slot + width(ty));
        slot
    }

    /// Pushes `o`, keeping `temp_low` true.
    fn push_operand(&mut self, o: Operand) {
        self.temp_low = self.temp_low.min(self.stack.len());
        self.stack.push(o);
    }

    fn pop(&mut self) -> Result<Operand, String> {
        self.stack
            .pop()
            .ok_or_else(|| "operand stack underflow".into())
    }

    /// The last instruction emitted, unless a label follows it (then it
    /// is not the only way to the current position).
    fn last_in_block(&self) -> Option<&Instr> {
        if self.code.is_empty() || (self.code.len() as u32 - 1) < self.last_label {
            return None;
        }
        self.code.last()
    }

    /// Marks the current position as a jump target: the straight-line
    /// sequence before it may not be rewritten by `retarget_last`.
    fn label(&mut self) {
        self.last_label = self.pc();
    }

    fn materialize_at(&mut self, i: usize) {
        let o = self.stack[i];
        if let Src::Local(r) = o.src {
            self.copy(o.slot, r, o.ty);
            self.stack[i].src = Src::Temp;
        }
    }

    /// Moves every aliased value into its own slot.
    fn materialize_all(&mut self) {
        self.materialize_below(self.stack.len());
    }

    /// Moves every aliased value below depth `h` into its own slot.
    fn materialize_below(&mut self, h: usize) {
        for i in self.temp_low.min(h)..h {
            self.materialize_at(i);
        }
        self.temp_low = self.temp_low.max(h);
    }

    /// Moves values aliasing local slot `r` into their own slots.
    fn materialize_local(&mut self, r: Reg) {
        for i in self.temp_low.min(self.stack.len())..self.stack.len() {
            if self.stack[i].src == Src::Local(r) {
                self.materialize_at(i);
            }
        }
    }

    fn copy(&mut self, dst: Reg, src: Reg, ty: ValType) {
        if dst != src {
            if width(ty) == 2 {
                self.emit(Instr::Copy2 { dst, src });
            } else if let Some(Instr::Copy {
                dst: dst0,
                src: src0,
            }) = self.last_in_block().copied()
            {
                // One dispatch for two copies (a loop's rotation of its
                // variables is a run of them).
                let last = self.code.len() - 1;
                self.code[last] = Instr::CopyPair {
                    dst0,
                    src0,
                    dst1: dst,
                    src1: src,
                };
            } else {
                self.emit(Instr::Copy { dst, src });
            }
        }
    }

    /// The frame that label `depth` names, and how many values a branch
    /// to it carries.
    fn target(&self, at: &Resolved<'_>, depth: u32) -> Result<(usize, usize), String> {
        let arity = at.label(depth).ok_or("unknown label")?.types.len();
        let idx = (self.ctrls.len())
            .checked_sub(1 + depth as usize)
            .ok_or("unknown label")?;
        Ok((idx, arity))
    }

    /// The parameter and result types of the block being started or ended.
    fn block<'r>(&self, at: &Resolved<'r>) -> Result<(Types<'r>, Types<'r>), String> {
        at.block().ok_or_else(|| "block without block type".into())
    }

    /// Copies the top `n` operands to the slots starting at frame `idx`'s
    /// base (slot 0 for the function frame), reading a value that still
    /// aliases a local straight from the local. The operand stack is left
    /// as it was: the copies may run on one path only (a taken `br_if`, one
    /// `br_table` trampoline).
    fn copies_to_frame(&mut self, idx: usize, n: usize) -> Result<bool, String> {
        if self.stack.len() < n {
            return Err("operand stack underflow at branch".into());
        }
        let first = self.stack.len() - n;
        let saved: Vec<Src> = self.stack[first..].iter().map(|o| o.src).collect();
        let any = self.copies_to_frame_inner(idx, first);
        for (o, src) in self.stack[first..].iter_mut().zip(saved) {
            o.src = src;
        }
        Ok(any)
    }

    fn copies_to_frame_inner(&mut self, idx: usize, first: usize) -> bool {
        let mut dst = match self.ctrls[idx].kind {
            CtrlKind::Func => 0,
            _ => self.ctrls[idx].base_slot,
        };
        if self.ctrls[idx].kind == CtrlKind::Func {
            // The function's result slots start at slot 0, where the locals
            // are: a value still aliasing a local that an earlier copy of
            // this sequence overwrites is moved to its own slot first. (The
            // other frames' slots lie above the locals: no copy there can
            // clobber a local, and a temporary's slot is never below its
            // destination, so copying in order is safe.)
            let mut end = dst;
            for i in first..self.stack.len() {
                let o = self.stack[i];
                if matches!(o.src, Src::Local(r) if r < end) {
                    self.materialize_at(i);
                }
                end += width(o.ty);
            }
        }
        if first + 1 == self.stack.len() {
            // One value, computed into its temporary by the instruction just
            // emitted: that instruction writes the frame's slot instead.
            // (Nothing runs between it and the label or return on this
            // path, and the slot holds nothing live: it belongs to the
            // frame being left, or is the function's result.)
            let o = self.stack[first];
            if o.src == Src::Temp && o.slot != dst && self.retarget_last(o.slot, dst) {
                return true;
            }
        }
        let mut any = false;
        for i in first..self.stack.len() {
            let o = self.stack[i];
            if o.reg() != dst {
                self.copy(dst, o.reg(), o.ty);
                any = true;
            }
            dst += width(o.ty);
        }
        any
    }

    /// Emits a jump to label `idx` (copies already done).
    fn jump_to(&mut self, idx: usize) {
        match self.ctrls[idx].kind {
            CtrlKind::Func => {
                self.emit(Instr::Return {});
            }
            CtrlKind::Loop => {
                let pc = self.ctrls[idx].loop_pc;
                self.emit(Instr::Br { target: pc });
            }
            _ => {
                let at = self.emit(Instr::Br { target: u32::MAX });
                self.ctrls[idx].fixups.push(at);
            }
        }
    }

    fn set_dead(&mut self) {
        let c = self.ctrls.last_mut().expect("control stack not empty");
        c.dead = true;
        let h = c.height;
        self.stack.truncate(h);
    }

    fn patch(&mut self, at: usize, target: u32) {
        if target == self.pc() {
            self.label();
        }
        match &mut self.code[at] {
            Instr::Br { target: t }
            | Instr::BrIfNez { target: t, .. }
            | Instr::BrIfEqz { target: t, .. }
            | Instr::BrIfCmp32 { target: t, .. }
            | Instr::BrIfCmpImm32 { target: t, .. } => *t = target,
            other => debug_assert!(false, "patching a non-branch {other:?}"),
        }
    }

    fn instr(&mut self, op: Opcode, imm: Imm<'_>, at: &Resolved<'_>) -> Result<(), String> {
        use Opcode as O;
        let instr = WasmInstr { op, imm };
        self.check_size()?;
        // A deep stack: its older half's aliases to their own slots (see
        // `temp_low`). Between instructions a copy from a local is what the
        // alias stands for; copies are free code (no fuel).
        if self.stack.len() > self.temp_low.saturating_add(OPERAND_WINDOW) {
            self.materialize_below(self.stack.len() - OPERAND_WINDOW / 2);
        }
        if matches!(op, O::Else | O::End | O::Catch | O::CatchAll | O::Delegate) {
            // Whether the branch that ends here falls through to it.
            let top = self.ctrls.last_mut().ok_or("control stack underflow")?;
            top.dead = !at.end_reachable();
        }
        match instr.op {
            O::Nop
            | O::Drop
            | O::Block
            | O::Loop
            | O::End
            | O::Else
            | O::TryTable
            | O::Try
            | O::Catch
            | O::CatchAll
            | O::Delegate => {}
            _ => self.charge(1),
        }
        if op.feature() == nanowasm_core::Feature::Gc {
            return self.gc(op, imm, at);
        }
        match *instr.op.sig() {
            Sig::Fixed(params, results)
                if instr.op.imm() == ImmKind::None || instr.op == O::I8x16Shuffle =>
            {
                return self.fixed(instr, params, results);
            }
            Sig::Lane(_, params, results) => return self.lane(instr, params, results),
            Sig::Load(t, _) => return self.in_memory(memory_of(&instr), |s| s.load(instr, t)),
            Sig::Store(..) => return self.in_memory(memory_of(&instr), |s| s.store(instr)),
            Sig::LoadLane(_) | Sig::StoreLane(_) => {
                return self.in_memory(memory_of(&instr), |s| s.lane_memory(instr))
            }
            _ => {}
        }
        match (instr.op, instr.imm) {
            (O::Unreachable, _) => {
                self.emit(Instr::Unreachable {});
                self.set_dead();
            }
            (O::Nop, _) => {}
            (O::Block, Imm::Block(_)) | (O::Loop, Imm::Block(_)) => {
                let height = self.block_start(at)?;
                let base_slot = self.stack.get(height).map_or(self.next_slot(), |o| o.slot);
                let kind = if instr.op == O::Loop {
                    CtrlKind::Loop
                } else {
                    CtrlKind::Block
                };
                let mut loop_pc = self.pc();
                if kind == CtrlKind::Loop {
                    // A loop header is a label: back edges jump to its fuel
                    // charge and interruption check.
                    self.label();
                    self.start_fuel_block();
                    if self.config.epoch {
                        if let Some(Instr::CheckInterrupt {}) = self.code.last() {
                            // A check just before (the function's entry, an
                            // enclosing loop's header): the back edges jump
                            // to it, one check per iteration. (Entering
                            // here by a forward branch skips it, which the
                            // back edges make up for.)
                            loop_pc -= 1;
                        } else {
                            self.emit(Instr::CheckInterrupt {});
                        }
                    }
                }
                self.ctrls.push(Ctrl {
                    kind,
                    height,
                    base_slot,
                    fixups: Vec::new(),
                    loop_pc,
                    else_fixup: None,
                    hidden: 0,
                    dead: false,
                    handler: None,
                });
            }
            (O::If, Imm::Block(_)) => {
                let cond = self.pop()?;
                let cond = self.condition(cond);
                self.materialize_all();
                let skip = self.emit(cond.negate().jump(u32::MAX));
                let (params, _) = self.block(at)?;
                let n = params.len();
                let hidden = n;
                if n > 0 {
                    // The branches work on copies of the params above the
                    // originals, so `else` still finds the originals.
                    let first = self.stack.len() - n;
                    for i in first..first + n {
                        let o = self.stack[i];
                        let slot = self.push(o.ty);
                        self.copy(slot, o.reg(), o.ty);
                    }
                }
                let height = self.stack.len() - n;
                let base_slot = self.stack.get(height).map_or(self.next_slot(), |o| o.slot);
                self.ctrls.push(Ctrl {
                    kind: CtrlKind::If,
                    height,
                    base_slot,
                    fixups: Vec::new(),
                    loop_pc: 0,
                    else_fixup: Some(skip),
                    hidden,
                    dead: false,
                    handler: None,
                });
                self.start_fuel_block();
            }
            (O::TryTable, Imm::TryTable(tt)) => self.try_table(at, tt)?,
            (O::Throw, Imm::Index(tag)) => {
                let n = self.tag_params(tag)?.len();
                let args = self.pop_args(n)?;
                self.emit(Instr::Throw { tag, args });
                self.set_dead();
            }
            (O::ThrowRef, _) => {
                let v = self.pop()?;
                self.emit(Instr::ThrowRef { src: v.reg() });
                self.set_dead();
            }
            (O::Try, Imm::Block(_)) => self.legacy_try(at)?,
            (O::Catch, Imm::Index(tag)) => self.legacy_catch(at, Some(tag))?,
            (O::CatchAll, _) => self.legacy_catch(at, None)?,
            (O::Delegate, Imm::Index(depth)) => {
                let idx = self.ctrls.len() - 1;
                let target = idx.checked_sub(1 + depth as usize).ok_or("unknown label")?;
                let end = self.pc();
                let h = self.ctrls[idx]
                    .handler
                    .as_mut()
                    .ok_or("delegate outside a try")?;
                h.end = end;
                h.clauses.push(Clause {
                    tag: None,
                    kind: ClauseKind::Delegate(target as u32),
                    pad: h.start,
                });
                self.end(at)?;
            }
            (O::Rethrow, Imm::Index(depth)) => {
                let idx = self
                    .ctrls
                    .len()
                    .checked_sub(1 + depth as usize)
                    .ok_or("unknown label")?;
                // The caught exception's reference, in the slot under the
                // catch block's operands.
                let src = self.ctrls[idx].base_slot - 1;
                self.emit(Instr::ThrowRef { src });
                self.set_dead();
            }
            (O::Else, _) => {
                let idx = self.ctrls.len() - 1;
                let (params, results) = self.block(at)?;
                self.else_branch(idx, params, results.len())?;
            }
            (O::End, _) => self.end(at)?,
            (O::Br, Imm::Index(depth)) => {
                let (idx, arity) = self.target(at, depth)?;
                self.release_catches(idx);
                self.copies_to_frame(idx, arity)?;
                self.jump_to(idx);
                self.set_dead();
            }
            (O::BrIf, Imm::Index(depth)) => {
                let cond = self.pop()?;
                let cond = self.condition(cond);
                self.br_if(at, depth, cond)?;
            }
            (O::BrOnNull, Imm::Index(depth)) => {
                // Branches without the reference; falls through with it.
                let r = self.pop()?;
                self.br_if(at, depth, Cond::Eqz(r.reg()))?;
                self.push_operand(r);
            }
            (O::BrOnNonNull, Imm::Index(depth)) => {
                // Branches with the reference; falls through without it.
                let r = self.stack.last().ok_or("operand stack underflow")?.reg();
                self.br_if(at, depth, Cond::Nez(r))?;
                self.pop()?;
            }
            (O::RefAsNonNull, _) => {
                let r = self.stack.last().ok_or("operand stack underflow")?.reg();
                self.emit(Instr::RefAsNonNull { src: r });
            }
            (O::CallRef, Imm::Index(_)) => {
                let func = self.pop()?.reg();
                let ty = Self::callee(at)?;
                self.call(ty.params(), ty.results(), |args| Instr::CallRef {
                    func,
                    args,
                })?;
            }
            (O::ReturnCallRef, Imm::Index(_)) => {
                let func = self.pop()?.reg();
                let ty = Self::callee(at)?;
                self.return_call(ty.params(), ty.results(), |args, results| {
                    Instr::ReturnCallRef {
                        func,
                        args,
                        results,
                    }
                })?;
            }
            (O::BrTable, Imm::BrTable(table)) => {
                let index = self.pop()?;
                let targets: Vec<u32> = table
                    .targets()
                    .chain(core::iter::once(table.default))
                    .collect();
                self.emit(Instr::BrTable {
                    index: index.reg(),
                    len: targets.len() as u32 - 1,
                });
                let first_entry = self.code.len();
                for _ in &targets {
                    self.emit(Instr::Br { target: u32::MAX });
                }
                for (k, &depth) in targets.iter().enumerate() {
                    self.check_size()?;
                    let (idx, arity) = self.target(at, depth)?;
                    let entry = first_entry + k;
                    // Trampoline: copies then the jump, unless none needed.
                    let mark = self.code.len();
                    let tramp = self.pc();
                    let released = self.release_catches(idx);
                    let copied = self.copies_to_frame(idx, arity)?;
                    if copied || released {
                        self.jump_to(idx);
                        self.patch(entry, tramp);
                    } else {
                        self.code.truncate(mark);
                        self.offsets.truncate(mark);
                        match self.ctrls[idx].kind {
                            CtrlKind::Func => {
                                let tramp = self.pc();
                                self.emit(Instr::Return {});
                                self.patch(entry, tramp);
                            }
                            CtrlKind::Loop => {
                                let pc = self.ctrls[idx].loop_pc;
                                self.patch(entry, pc);
                            }
                            _ => self.ctrls[idx].fixups.push(entry),
                        }
                    }
                }
                self.set_dead();
            }
            (O::Return, _) => {
                self.release_catches(0);
                self.copies_to_frame(0, self.results.len())?;
                self.emit(Instr::Return {});
                self.set_dead();
            }
            (O::Call, Imm::Index(f)) => {
                let ty = Self::callee(at)?;
                self.call(ty.params(), ty.results(), |args| Instr::Call {
                    func: f,
                    args,
                })?;
            }
            (O::CallIndirect, Imm::Index2(type_index, table)) => {
                // The index is on top of the arguments; its slot (or local)
                // is read before the call runs.
                let table = self.indirect_table(table);
                let index = self.pop()?;
                let index_reg = index.reg();
                let ty = Self::callee(at)?;
                self.call(ty.params(), ty.results(), |args| Instr::CallIndirect {
                    ty: type_index,
                    table,
                    index: index_reg,
                    args,
                })?;
            }
            (O::ReturnCall, Imm::Index(f)) => {
                let ty = Self::callee(at)?;
                self.return_call(ty.params(), ty.results(), |args, results| {
                    Instr::ReturnCall {
                        func: f,
                        args,
                        results,
                    }
                })?;
            }
            (O::ReturnCallIndirect, Imm::Index2(type_index, table)) => {
                let table = self.indirect_table(table);
                let index = self.pop()?;
                let index_reg = index.reg();
                let ty = Self::callee(at)?;
                self.return_call(ty.params(), ty.results(), |args, results| {
                    Instr::ReturnCallIndirect {
                        ty: type_index,
                        table,
                        index: index_reg,
                        args,
                        results,
                    }
                })?;
            }
            (O::Drop, _) => {
                self.pop()?;
            }
            (O::Select, _) | (O::SelectTyped, _) => {
                let cond = self.pop()?;
                let b = self.pop()?;
                let a = self.pop()?;
                let dst = self.push(a.ty);
                let i = if width(a.ty) == 2 {
                    Instr::Select2 {
                        dst,
                        cond: cond.reg(),
                        a: a.reg(),
                        b: b.reg(),
                    }
                } else {
                    Instr::Select {
                        dst,
                        cond: cond.reg(),
                        a: a.reg(),
                        b: b.reg(),
                    }
                };
                self.emit(i);
            }
            (O::LocalGet, Imm::Index(i)) => {
                let &(r, ty) = self.locals.get(i as usize).ok_or("unknown local")?;
                self.push(ty);
                let top = self.stack.len() - 1;
                self.stack[top].src = Src::Local(r);
            }
            (O::LocalSet, Imm::Index(i)) | (O::LocalTee, Imm::Index(i)) => {
                let &(r, ty) = self.locals.get(i as usize).ok_or("unknown local")?;
                let v = self.pop()?;
                self.materialize_local(r);
                // Write straight into the local if the value was just
                // computed into its temp slot by the previous instruction.
                let retarget = v.src == Src::Temp && self.retarget_last(v.slot, r);
                if !retarget {
                    self.copy(r, v.reg(), ty);
                }
                if instr.op == O::LocalTee {
                    self.push(ty);
                    let idx = self.stack.len() - 1;
                    self.stack[idx].src = Src::Local(r);
                }
            }
            (O::GlobalGet, Imm::Index(g)) => {
                let ty = at.ty().ok_or("global.get without type")?;
                let dst = self.push(ty);
                self.emit(if width(ty) == 2 {
                    Instr::GlobalGet2 { dst, global: g }
                } else {
                    Instr::GlobalGet { dst, global: g }
                });
            }
            (O::GlobalSet, Imm::Index(g)) => {
                let v = self.pop()?;
                self.emit(if width(v.ty) == 2 {
                    Instr::GlobalSet2 {
                        src: v.reg(),
                        global: g,
                    }
                } else {
                    Instr::GlobalSet {
                        src: v.reg(),
                        global: g,
                    }
                });
            }
            (O::I32Const, Imm::I32(v)) => {
                let dst = self.push(ValType::I32);
                self.emit(Instr::Const32 {
                    dst,
                    value: v as u32,
                });
            }
            (O::I64Const, Imm::I64(v)) => {
                let dst = self.push(ValType::I64);
                self.const64(dst, v as u64);
            }
            (O::F32Const, Imm::F32(bits)) => {
                let dst = self.push(ValType::F32);
                self.emit(Instr::Const32 { dst, value: bits });
            }
            (O::F64Const, Imm::F64(bits)) => {
                let dst = self.push(ValType::F64);
                self.const64(dst, bits);
            }
            (O::V128Const, Imm::Bytes16(bytes)) => {
                let dst = self.push(ValType::V128);
                let index = self.pool.len() as u32;
                self.pool.push(u128::from_le_bytes(bytes));
                self.emit(Instr::ConstV128 { dst, index });
            }
            (O::RefNull, Imm::Heap(heap)) => {
                let dst = self.push(ValType::Ref(nanowasm_core::RefType::new(true, heap)));
                self.emit(Instr::Const32 { dst, value: 0 });
            }
            (O::RefIsNull, _) => {
                let v = self.pop()?;
                let dst = self.push(ValType::I32);
                self.emit(Instr::RefIsNull { dst, src: v.reg() });
            }
            (O::RefFunc, Imm::Index(func)) => {
                let dst = self.push(ValType::FUNCREF);
                self.emit(Instr::RefFunc { dst, func });
            }
            (O::MemorySize, Imm::Index(m)) => self.in_memory(m, |t| {
                let dst = t.push(t.index_type(&t.memory64, m));
                t.emit(Instr::MemorySize { dst });
                Ok(())
            })?,
            (O::MemoryGrow, Imm::Index(m)) => self.in_memory(m, |t| {
                let wide = t.wide(1);
                let delta = t.pop()?;
                let dst = t.push(delta.ty);
                t.emit(Instr::MemoryGrow {
                    dst,
                    delta: delta.reg(),
                    wide,
                });
                Ok(())
            })?,
            (O::MemoryFill, Imm::Index(m)) => self.in_memory(m, |t| {
                let wide = t.wide(3);
                let args = t.args(3)?;
                t.emit(Instr::MemoryFill { args, wide });
                Ok(())
            })?,
            (O::MemoryCopy, Imm::Index2(dst_mem, src_mem)) if dst_mem != src_mem => {
                let wide = self.wide(3);
                let args = self.args(3)?;
                self.emit(Instr::MemoryCopyBetween {
                    dst_mem,
                    src_mem,
                    args,
                    wide,
                });
            }
            (O::MemoryCopy, Imm::Index2(m, _)) => self.in_memory(m, |t| {
                let wide = t.wide(3);
                let args = t.args(3)?;
                t.emit(Instr::MemoryCopy { args, wide });
                Ok(())
            })?,
            (O::MemoryInit, Imm::Index2(seg, m)) => self.in_memory(m, |t| {
                let wide = t.wide(3);
                let args = t.args(3)?;
                t.emit(Instr::MemoryInit { seg, args, wide });
                Ok(())
            })?,
            (O::DataDrop, Imm::Index(seg)) => {
                self.emit(Instr::DataDrop { seg });
            }
            (O::TableGet, Imm::Index(table)) => {
                let wide = self.wide(1);
                let index = self.pop()?;
                let ty = at.ty().ok_or("table.get without type")?;
                let dst = self.push(ty);
                self.emit(Instr::TableGet {
                    table,
                    dst,
                    index: index.reg(),
                    wide,
                });
            }
            (O::TableSet, Imm::Index(table)) => {
                let wide = self.wide(2);
                let args = self.args(2)?;
                self.emit(Instr::TableSet { table, args, wide });
            }
            (O::TableSize, Imm::Index(table)) => {
                let dst = self.push(self.index_type(&self.table64, table));
                self.emit(Instr::TableSize { table, dst });
            }
            (O::TableGrow, Imm::Index(table)) => {
                // Bit 0 of the mask: the delta (and the result) is an i64.
                let wide = self.wide(1);
                let ty = self.index_type(&self.table64, table);
                let args = self.args(2)?;
                self.push(ty);
                self.emit(Instr::TableGrow { table, args, wide });
            }
            (O::TableFill, Imm::Index(table)) => {
                let wide = self.wide(3);
                let args = self.args(3)?;
                self.emit(Instr::TableFill { table, args, wide });
            }
            (O::TableCopy, Imm::Index2(dst_table, src_table)) => {
                let wide = self.wide(3);
                let args = self.args(3)?;
                self.emit(Instr::TableCopy {
                    dst_table,
                    src_table,
                    args,
                    wide,
                });
            }
            (O::TableInit, Imm::Index2(seg, table)) => {
                let wide = self.wide(3);
                let args = self.args(3)?;
                self.emit(Instr::TableInit {
                    table,
                    seg,
                    args,
                    wide,
                });
            }
            (O::ElemDrop, Imm::Index(seg)) => {
                self.emit(Instr::ElemDrop { seg });
            }
            (op, _) => return Err(format!("cannot translate {}", op.name())),
        }
        Ok(())
    }

    /// Emits what `emit` emits as an access to memory `m`: memory 0 is in
    /// the handlers' registers; another memory is put there by a
    /// `UseMemory` before and memory 0 put back by one after (so no fusion
    /// reaches across them).
    fn in_memory(
        &mut self,
        m: u32,
        emit: impl FnOnce(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        if m == 0 {
            return emit(self);
        }
        self.emit(Instr::UseMemory { index: m });
        emit(self)?;
        self.emit(Instr::UseMemory { index: 0 });
        Ok(())
    }

    /// The offset of a memory argument, for an access whose address is
    /// the operand at `depth` from the top: a 32-bit memory's as it is; a
    /// 64-bit memory's added to the address by an `Addr64` (in the
    /// operand's own slot), leaving offset 0.
    fn memarg_offset(&mut self, m: nanowasm_core::MemArg, depth: usize) -> Result<u32, String> {
        if !self
            .memory64
            .get(m.memory as usize)
            .copied()
            .unwrap_or(false)
        {
            return u32::try_from(m.offset).map_err(|_| "offset too large".into());
        }
        let i = self
            .stack
            .len()
            .checked_sub(depth + 1)
            .ok_or("operand stack underflow")?;
        self.materialize_at(i);
        let addr = self.stack[i].slot;
        self.emit(Instr::Addr64 {
            addr,
            lo: m.offset as u32,
            hi: (m.offset >> 32) as u32,
        });
        Ok(0)
    }

    /// `i64` for a 64-bit memory or table (`is64` of the module's
    /// memories or tables, entry `index`), else `i32`.
    fn index_type(&self, is64: &[bool], index: u32) -> ValType {
        if is64.get(index as usize).copied().unwrap_or(false) {
            ValType::I64
        } else {
            ValType::I32
        }
    }

    /// The mask of the top `n` operands (bit 0 the deepest) that are
    /// `i64`s: a table or bulk-memory instruction's `wide`.
    fn wide(&self, n: usize) -> u32 {
        let top = &self.stack[self.stack.len().saturating_sub(n)..];
        top.iter()
            .enumerate()
            .filter(|(_, o)| o.ty == ValType::I64)
            .fold(0, |w, (k, _)| w | 1 << k)
    }

    /// The `table` immediate of an indirect call through `table`, with
    /// the `TABLE64` flag if the table is 64-bit.
    fn indirect_table(&self, table: u32) -> u32 {
        if self.index_type(&self.table64, table) == ValType::I64 {
            table | crate::interp::handlers::control::TABLE64
        } else {
            table
        }
    }

    /// The callee's type at a call.
    fn callee<'r>(at: &Resolved<'r>) -> Result<&'r FuncType, String> {
        at.callee().ok_or_else(|| "call without callee type".into())
    }

    fn const64(&mut self, dst: Reg, v: u64) {
        self.emit(Instr::Const64 {
            dst,
            lo: v as u32,
            hi: (v >> 32) as u32,
        });
    }

    /// Pops `n` operands into consecutive slots and returns the first.
    fn args(&mut self, n: usize) -> Result<Reg, String> {
        if self.stack.len() < n {
            return Err("operand stack underflow".into());
        }
        let first = self.stack.len() - n;
        for i in first..self.stack.len() {
            self.materialize_at(i);
        }
        // No operands (`struct.new` of an empty struct, `array.new_fixed`
        // of none): the slot they would start at.
        let slot = self.stack.get(first).map_or(self.next_slot(), |o| o.slot);
        self.stack.truncate(first);
        Ok(slot)
    }

    /// If `op` has a form with a constant second operand and the
    /// instruction just emitted wrote that constant into `b` (a temporary
    /// the operation consumes), removes it and returns the constant.
    fn constant_operand(&mut self, b: Option<Reg>, op: Opcode) -> Option<Imm64> {
        let b = b?;
        let imm = match *self.last_in_block()? {
            Instr::Const32 { dst, value }
                if dst == b && super::handlers::numeric::binary_imm32(op).is_some() =>
            {
                Imm64::Bits32(value)
            }
            Instr::Const64 { dst, lo, hi }
                if dst == b && super::handlers::numeric::binary_imm64(op).is_some() =>
            {
                Imm64::Bits64(lo, hi)
            }
            _ => return None,
        };
        self.code.pop();
        self.offsets.pop();
        Some(imm)
    }

    /// A load of `op` into `dst` whose address is the temporary `addr`
    /// that the instruction just emitted computed with `i32.add`: the
    /// addition fused into the load (which wraps it as `i32.add` does).
    fn fused_address(&self, addr: Reg, op: Opcode, dst: Reg, offset: u32) -> Option<Instr> {
        if self.code.is_empty() || (self.code.len() as u32 - 1) < self.last_label {
            return None;
        }
        match *self.code.last()? {
            Instr::BinaryImm32 {
                op: Opcode::I32Add,
                dst: d,
                a,
                imm,
            } if d == addr => Some(Instr::LoadAddImm {
                op,
                dst,
                a,
                imm,
                offset,
            }),
            Instr::Binary {
                op: Opcode::I32Add,
                dst: d,
                a,
                b,
            } if d == addr => Some(Instr::LoadAdd {
                op,
                dst,
                a,
                b,
                offset,
            }),
            _ => None,
        }
    }

    /// The branch condition for a popped `i32` operand: if the instruction
    /// just emitted computed it by a comparison, that comparison is removed
    /// and fused into the branch (its result slot is dead once popped).
    /// A conditional branch to label `depth`, taken when `cond` holds:
    /// with the copies of the label's values (and the release of legacy
    /// catches) done only when it is taken.
    fn br_if(&mut self, at: &Resolved<'_>, depth: u32, cond: Cond) -> Result<(), String> {
        let (idx, arity) = self.target(at, depth)?;
        // Do the copies only when the branch is taken.
        let mark = self.code.len();
        let skip = self.emit(cond.negate().jump(u32::MAX));
        let released = self.release_catches(idx);
        let copied = self.copies_to_frame(idx, arity)?;
        if copied || released || self.ctrls[idx].kind == CtrlKind::Func {
            self.jump_to(idx);
            let pc = self.pc();
            self.patch(skip, pc);
        } else {
            // No copies: a single conditional jump.
            self.code.truncate(mark);
            self.offsets.truncate(mark);
            let target = match self.ctrls[idx].kind {
                CtrlKind::Loop => self.ctrls[idx].loop_pc,
                _ => u32::MAX,
            };
            let fixup = self.emit(cond.jump(target));
            if self.ctrls[idx].kind != CtrlKind::Loop {
                self.ctrls[idx].fixups.push(fixup);
            }
        }
        self.start_fuel_block();
        Ok(())
    }

    fn condition(&mut self, cond: Operand) -> Cond {
        let plain = Cond::Nez(cond.reg());
        if cond.src != Src::Temp
            || self.code.is_empty()
            || (self.code.len() as u32 - 1) < self.last_label
        {
            return plain;
        }
        let fused = match *self.code.last().expect("not empty") {
            Instr::Unary {
                op: Opcode::I32Eqz,
                dst,
                src,
            } if dst == cond.slot => Cond::Eqz(src),
            Instr::Binary { op, dst, a, b } if dst == cond.slot => match Cmp32::of(op) {
                Some(cmp) => Cond::Cmp(cmp, a, b),
                None => return plain,
            },
            Instr::BinaryImm32 { op, dst, a, imm } if dst == cond.slot => match Cmp32::of(op) {
                Some(cmp) => Cond::CmpImm(cmp, a, imm),
                None => return plain,
            },
            _ => return plain,
        };
        self.code.pop();
        self.offsets.pop();
        fused
    }

    /// If the last instruction wrote `slot` as its result and nothing else
    /// reads it, make it write `local` instead.
    fn retarget_last(&mut self, slot: Reg, local: Reg) -> bool {
        // Never across a label: other paths into the label left the value
        // in the slot, so the last instruction must follow the last label.
        if self.code.is_empty() || (self.code.len() as u32 - 1) < self.last_label {
            return false;
        }
        let Some(last) = self.code.last_mut() else {
            return false;
        };
        let dst = match last {
            Instr::Unary { dst, .. }
            | Instr::Binary { dst, .. }
            | Instr::BinaryImm32 { dst, .. }
            | Instr::BinaryImm64 { dst, .. }
            | Instr::Const32 { dst, .. }
            | Instr::Const64 { dst, .. }
            | Instr::Load { dst, .. }
            | Instr::LoadAddImm { dst, .. }
            | Instr::LoadAdd { dst, .. }
            | Instr::GlobalGet { dst, .. } => dst,
            _ => return false,
        };
        if *dst != slot {
            return false;
        }
        *dst = local;
        true
    }

    fn call(
        &mut self,
        params: &[ValType],
        results: &[ValType],
        make: impl FnOnce(Reg) -> Instr,
    ) -> Result<(), String> {
        let args = self.pop_args(params.len())?;
        self.emit(make(args));
        for &r in results {
            self.push(r);
        }
        // The callee's frame starts at `args`; its results land there.
        self.max_slot = self.max_slot.max(args + slots_of(results));
        self.start_fuel_block();
        Ok(())
    }

    /// Pops the `n` arguments of a call, materialized in consecutive slots;
    /// returns the first (where the callee's frame starts).
    fn pop_args(&mut self, n: usize) -> Result<Reg, String> {
        self.materialize_all();
        if self.stack.len() < n {
            return Err("operand stack underflow".into());
        }
        let first = self.stack.len() - n;
        let args = self.stack.get(first).map_or(self.next_slot(), |o| o.slot);
        self.stack.truncate(first);
        Ok(args)
    }

    /// A tail call made by `make(args, result_slots)`: the arguments are
    /// materialized in consecutive slots from `args` (as for a call), and
    /// nothing follows. A host callee's results come back at `args`, so the
    /// frame has room for them there.
    fn return_call(
        &mut self,
        params: &[ValType],
        results: &[ValType],
        make: impl FnOnce(Reg, u32) -> Instr,
    ) -> Result<(), String> {
        let args = self.pop_args(params.len())?;
        let result_slots = slots_of(results);
        self.release_catches(0);
        self.emit(make(args, result_slots));
        self.max_slot = self.max_slot.max(args + result_slots);
        self.set_dead();
        Ok(())
    }

    /// `else`: finish the then-branch and start the else-branch of frame
    /// `idx`, whose block takes `params` and returns `results` values (also
    /// used to synthesize the empty else of an `if` with params).
    fn else_branch(&mut self, idx: usize, params: Types<'_>, results: usize) -> Result<(), String> {
        if !self.ctrls[idx].dead {
            self.copies_to_frame(idx, results)?;
            self.jump_to(idx);
        }
        let else_pc = self.pc();
        self.label();
        let c = &mut self.ctrls[idx];
        c.kind = CtrlKind::Else;
        c.dead = false;
        let else_fixup = c.else_fixup.take();
        let height = c.height;
        let hidden = c.hidden;
        if let Some(at) = else_fixup {
            self.patch(at, else_pc);
        }
        self.stack.truncate(height);
        if hidden > 0 {
            // Copy the original params (below the frame) to the branch's
            // param slots again.
            let first = height - hidden;
            for i in first..height {
                let o = self.stack[i];
                let slot = self.push(o.ty);
                self.copy(slot, o.reg(), o.ty);
            }
        } else {
            for p in params.iter() {
                self.push(p);
            }
        }
        self.start_fuel_block();
        Ok(())
    }

    /// Before a branch out of legacy catch blocks to frame `idx` (a
    /// return: 0): frees the exception each one holds (unless a reference
    /// to it was made). Whether it emitted anything.
    fn release_catches(&mut self, idx: usize) -> bool {
        // Only the open catch frames are looked at: a scan of every frame
        // above `idx` made a `br_table` out of deep nesting quadratic.
        let first = self.catch_frames.partition_point(|&c| c <= idx);
        for k in first..self.catch_frames.len() {
            let src = self.ctrls[self.catch_frames[k]].base_slot - 1;
            self.emit(Instr::ExnRelease { src });
        }
        first < self.catch_frames.len()
    }

    /// An error once the translation has more instructions than its
    /// body may make (see [`CODE_PER_BYTE`]).
    fn check_size(&self) -> Result<(), String> {
        if self.code.len() > self.code_limit {
            return Err(format!(
                "the function is too large to translate: more than {} instructions",
                self.code_limit
            ));
        }
        Ok(())
    }

    /// The start of a block-like frame: every operand in its own slot;
    /// returns the operand stack's height below the block's params.
    fn block_start(&mut self, at: &Resolved<'_>) -> Result<usize, String> {
        self.materialize_all();
        let (params, _) = self.block(at)?;
        self.stack
            .len()
            .checked_sub(params.len())
            .ok_or_else(|| "operand stack underflow".into())
    }

    /// The parameter types of tag `tag`.
    fn tag_params(&self, tag: u32) -> Result<Vec<ValType>, String> {
        self.tags
            .get(tag as usize)
            .map(|t| t.params().to_vec())
            .ok_or_else(|| "unknown tag".into())
    }

    /// `try_table`: its clauses' landing pads, jumped over, then a block
    /// whose handler covers its body. Each pad sees the operands around
    /// the `try_table` and the caught values in the slots from its base,
    /// and branches to the clause's label as a `br` would.
    fn try_table(&mut self, at: &Resolved<'_>, tt: TryTable<'_>) -> Result<(), String> {
        let height = self.block_start(at)?;
        let base_slot = self.stack.get(height).map_or(self.next_slot(), |o| o.slot);
        let nesting = self.ctrls.len() as u32;
        let skip = self.emit(Instr::Br { target: u32::MAX });
        let mut clauses = Vec::with_capacity(tt.len() as usize);
        for c in tt.catches() {
            self.label();
            self.start_fuel_block();
            let pad = self.pc();
            let saved = self.stack.clone();
            self.stack.truncate(height);
            let values = match c.tag() {
                Some(t) => self.tag_params(t)?,
                None => Vec::new(),
            };
            for &t in &values {
                self.push(t);
            }
            if c.is_ref() {
                self.push(ValType::EXNREF);
            }
            let n = values.len() + usize::from(c.is_ref());
            // The label counts from outside the `try_table`, which is not
            // on the control stack yet.
            let idx = self
                .ctrls
                .len()
                .checked_sub(1 + c.label() as usize)
                .ok_or("unknown label")?;
            self.copies_to_frame(idx, n)?;
            self.jump_to(idx);
            self.stack = saved;
            let kind = if c.is_ref() {
                ClauseKind::ValuesRef
            } else {
                ClauseKind::Values
            };
            clauses.push(Clause {
                tag: c.tag(),
                kind,
                pad,
            });
        }
        let start = self.pc();
        self.patch(skip, start);
        self.start_fuel_block();
        self.ctrls.push(Ctrl {
            kind: CtrlKind::TryTable,
            height,
            base_slot,
            fixups: Vec::new(),
            loop_pc: 0,
            else_fixup: None,
            hidden: 0,
            dead: false,
            handler: Some(ExnHandler {
                start,
                end: start,
                base_slot,
                nesting,
                clauses,
                catch_start: 0,
                catch_end: 0,
            }),
        });
        Ok(())
    }

    /// A legacy `try`: a block with a hidden slot under its operands, where
    /// a `catch` block finds the exception's reference (for `rethrow`);
    /// the params move up one slot to make room, and the results move down
    /// at the `end` (the `hidden` mechanism of an `if` with params).
    fn legacy_try(&mut self, at: &Resolved<'_>) -> Result<(), String> {
        let height = self.block_start(at)?;
        let nesting = self.ctrls.len() as u32;
        let originals: Vec<Operand> = self.stack.drain(height..).collect();
        let hidden = self.push(ValType::EXNREF);
        let moved: Vec<Reg> = originals.iter().map(|o| self.push(o.ty)).collect();
        // Last first: each copy goes one slot up, over its own original.
        for (o, &dst) in originals.iter().zip(&moved).rev() {
            self.copy(dst, o.reg(), o.ty);
        }
        let start = self.pc();
        self.label();
        self.ctrls.push(Ctrl {
            kind: CtrlKind::Try,
            height: height + 1,
            base_slot: hidden + 1,
            fixups: Vec::new(),
            loop_pc: 0,
            else_fixup: None,
            hidden: 1,
            dead: false,
            handler: Some(ExnHandler {
                start,
                end: start,
                base_slot: hidden,
                nesting,
                clauses: Vec::new(),
                catch_start: 0,
                catch_end: 0,
            }),
        });
        Ok(())
    }

    /// A legacy `catch` (of `tag`) or `catch_all`: ends the `try` body or
    /// the previous catch block as `else` ends a `then`, and starts a
    /// block that the unwinder enters with the exception's reference in
    /// the hidden slot and its values above.
    fn legacy_catch(&mut self, at: &Resolved<'_>, tag: Option<u32>) -> Result<(), String> {
        let idx = self.ctrls.len() - 1;
        let (_, results) = self.block(at)?;
        let hidden = self.ctrls[idx].base_slot - 1;
        match self.ctrls[idx].kind {
            CtrlKind::Try => {
                let end = self.pc();
                if let Some(h) = self.ctrls[idx].handler.as_mut() {
                    h.end = end;
                }
            }
            _ if !self.ctrls[idx].dead => {
                self.emit(Instr::ExnRelease { src: hidden });
            }
            _ => {}
        }
        if !self.ctrls[idx].dead {
            self.copies_to_frame(idx, results.len())?;
            self.jump_to(idx);
        }
        self.label();
        let pad = self.pc();
        let values = match tag {
            Some(t) => self.tag_params(t)?,
            None => Vec::new(),
        };
        let c = &mut self.ctrls[idx];
        if c.kind == CtrlKind::Try {
            if let Some(h) = c.handler.as_mut() {
                h.catch_start = pad;
            }
        }
        c.kind = if tag.is_some() {
            CtrlKind::Catch
        } else {
            CtrlKind::CatchAll
        };
        if self.catch_frames.last() != Some(&idx) {
            self.catch_frames.push(idx);
        }
        let c = &mut self.ctrls[idx];
        c.dead = false;
        c.handler
            .as_mut()
            .ok_or("catch outside a try")?
            .clauses
            .push(Clause {
                tag,
                kind: ClauseKind::RefValues,
                pad,
            });
        let height = c.height;
        self.stack.truncate(height);
        for &t in &values {
            self.push(t);
        }
        self.start_fuel_block();
        Ok(())
    }

    /// `end` of the innermost frame.
    fn end(&mut self, at: &Resolved<'_>) -> Result<(), String> {
        let idx = self.ctrls.len() - 1;
        let kind = self.ctrls[idx].kind;
        match kind {
            CtrlKind::TryTable | CtrlKind::Try => {
                let end = self.pc();
                if let Some(h) = self.ctrls[idx].handler.as_mut() {
                    h.end = h.end.max(end);
                }
            }
            CtrlKind::Catch | CtrlKind::CatchAll => {
                if !self.ctrls[idx].dead {
                    // The exception of a catch block that falls through
                    // is freed (unless a reference to it was made).
                    let src = self.ctrls[idx].base_slot - 1;
                    self.emit(Instr::ExnRelease { src });
                }
                let end = self.pc();
                if let Some(h) = self.ctrls[idx].handler.as_mut() {
                    h.catch_end = end;
                }
            }
            _ => {}
        }
        if kind == CtrlKind::Func {
            if !self.ctrls[idx].dead {
                // Fallthrough: the results must sit at the frame's slots.
                self.copies_to_frame(idx, self.results.len())?;
                self.emit(Instr::Return {});
            }
            self.ctrls.pop();
            return Ok(());
        }
        let (params, results) = self.block(at)?;
        if kind == CtrlKind::If && self.ctrls[idx].hidden > 0 {
            // An `if` with params and no `else`: its false branch passes the
            // params through, which needs the copies an explicit empty
            // `else` makes.
            self.else_branch(idx, params, results.len())?;
        }
        if !self.ctrls[idx].dead {
            // Fallthrough: the results must sit at the frame's slots.
            self.copies_to_frame(idx, results.len())?;
        }
        let mut c = self.ctrls.pop().ok_or("control stack underflow")?;
        if self.catch_frames.last() == Some(&idx) {
            self.catch_frames.pop();
        }
        if let Some(h) = c.handler.take().filter(|h| !h.clauses.is_empty()) {
            self.handlers.push(h);
        }
        let end_pc = self.pc();
        self.label();
        for at in c.fixups {
            self.patch(at, end_pc);
        }
        if let Some(at) = c.else_fixup {
            // `if` without `else`: the false branch jumps to the end.
            self.patch(at, end_pc);
        }
        self.stack.truncate(c.height - c.hidden);
        if c.hidden > 0 {
            // Results were computed above the hidden original params: move
            // them down to where the originals were.
            let mut src = c.base_slot;
            for t in results.iter() {
                let dst = self.push(t);
                self.copy(dst, src, t);
                src += width(t);
            }
        } else {
            for t in results.iter() {
                self.push(t);
            }
        }
        self.start_fuel_block();
        Ok(())
    }

    fn fixed(
        &mut self,
        instr: WasmInstr<'_>,
        params: &[ValType],
        results: &[ValType],
    ) -> Result<(), String> {
        let op = instr.op;
        let mut ins = [0 as Reg; 3];
        let mut temp = [false; 3];
        let n = params.len();
        for k in (0..n).rev() {
            let o = self.pop()?;
            ins[k] = o.reg();
            temp[k] = o.src == Src::Temp;
        }
        let result = results.first().copied().ok_or("no result")?;
        let dst = self.push(result);
        let i = if matches!(
            op.feature(),
            nanowasm_core::Feature::Simd | nanowasm_core::Feature::RelaxedSimd
        ) {
            let op = simd::deterministic(op);
            match (simd::class(op), n) {
                (Some(SimdClass::Unary), _) => Instr::SimdUnary {
                    op,
                    dst,
                    src: ins[0],
                },
                (Some(SimdClass::Binary), _) => Instr::SimdBinary {
                    op,
                    dst,
                    a: ins[0],
                    b: ins[1],
                },
                (Some(SimdClass::Ternary), _) => Instr::SimdTernary {
                    op,
                    dst,
                    a: ins[0],
                    b: ins[1],
                    c: ins[2],
                },
                (Some(SimdClass::Test), _) => Instr::SimdTest {
                    op,
                    dst,
                    src: ins[0],
                },
                (Some(SimdClass::Shift), _) => Instr::SimdShift {
                    op,
                    dst,
                    a: ins[0],
                    count: ins[1],
                },
                (Some(SimdClass::Splat), _) => Instr::SimdSplat {
                    op,
                    dst,
                    src: ins[0],
                },
                (Some(SimdClass::Shuffle), _) => {
                    let Imm::Bytes16(lanes) = instr.imm else {
                        return Err("shuffle without lanes".into());
                    };
                    let index = self.pool.len() as u32;
                    self.pool.push(u128::from_le_bytes(lanes));
                    Instr::Shuffle {
                        dst,
                        a: ins[0],
                        b: ins[1],
                        lanes: index,
                    }
                }
                _ => return Err(format!("cannot translate {}", op.name())),
            }
        } else {
            match (op, n) {
                (_, 1) => Instr::Unary {
                    op,
                    dst,
                    src: ins[0],
                },
                (_, 2) => match self.constant_operand(temp[1].then_some(ins[1]), op) {
                    Some(Imm64::Bits32(imm)) => Instr::BinaryImm32 {
                        op,
                        dst,
                        a: ins[0],
                        imm,
                    },
                    Some(Imm64::Bits64(lo, hi)) => Instr::BinaryImm64 {
                        op,
                        dst,
                        a: ins[0],
                        lo,
                        hi,
                    },
                    None => Instr::Binary {
                        op,
                        dst,
                        a: ins[0],
                        b: ins[1],
                    },
                },
                _ => return Err(format!("cannot translate {}", op.name())),
            }
        };
        self.emit(i);
        Ok(())
    }

    fn lane(
        &mut self,
        instr: WasmInstr<'_>,
        params: &[ValType],
        results: &[ValType],
    ) -> Result<(), String> {
        let Imm::Lane(lane) = instr.imm else {
            return Err("lane instruction without lane".into());
        };
        let op = instr.op;
        let result = results.first().copied().ok_or("no result")?;
        if params.len() == 2 {
            let x = self.pop()?;
            let a = self.pop()?;
            let dst = self.push(result);
            self.emit(Instr::SimdReplace {
                op,
                lane,
                dst,
                a: a.reg(),
                x: x.reg(),
            });
        } else {
            let a = self.pop()?;
            let dst = self.push(result);
            self.emit(Instr::SimdExtract {
                op,
                lane,
                dst,
                src: a.reg(),
            });
        }
        Ok(())
    }

    fn load(&mut self, instr: WasmInstr<'_>, t: ValType) -> Result<(), String> {
        let Imm::MemArg(m) = instr.imm else {
            return Err("load without memarg".into());
        };
        let offset = self.memarg_offset(m, 0)?;
        let addr = self.pop()?;
        let dst = self.push(t);
        if m.memory == 0 && t != ValType::V128 && addr.src == Src::Temp && addr.ty == ValType::I32 {
            if let Some(fused) = self.fused_address(addr.slot, instr.op, dst, offset) {
                self.code.pop();
                self.offsets.pop();
                self.emit(fused);
                return Ok(());
            }
        }
        let addr = addr.reg();
        self.emit(Instr::Load {
            op: instr.op,
            dst,
            addr,
            offset,
        });
        Ok(())
    }

    fn store(&mut self, instr: WasmInstr<'_>) -> Result<(), String> {
        let Imm::MemArg(m) = instr.imm else {
            return Err("store without memarg".into());
        };
        let offset = self.memarg_offset(m, 1)?;
        let src = self.pop()?;
        let addr = self.pop()?;
        let (addr, src) = (addr.reg(), src.reg());
        self.emit(Instr::Store {
            op: instr.op,
            addr,
            src,
            offset,
        });
        Ok(())
    }

    fn lane_memory(&mut self, instr: WasmInstr<'_>) -> Result<(), String> {
        let Imm::MemArgLane(m, lane) = instr.imm else {
            return Err("lane access without memarg".into());
        };
        let offset = self.memarg_offset(m, 1)?;
        let src = self.pop()?;
        let addr = self.pop()?;
        if matches!(instr.op.sig(), Sig::LoadLane(_)) {
            let dst = self.push(ValType::V128);
            self.emit(Instr::LoadLane {
                op: instr.op,
                lane,
                dst,
                addr: addr.reg(),
                src: src.reg(),
                offset,
            });
        } else {
            self.emit(Instr::StoreLane {
                op: instr.op,
                lane,
                addr: addr.reg(),
                src: src.reg(),
                offset,
            });
        }
        Ok(())
    }
}

/// The memory a load, store or lane access addresses.
fn memory_of(instr: &WasmInstr<'_>) -> u32 {
    match instr.imm {
        Imm::MemArg(m) | Imm::MemArgLane(m, _) => m.memory,
        _ => 0,
    }
}
