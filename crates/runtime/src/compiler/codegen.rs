//! The baseline code generator: one pass over the validating front end's
//! instruction stream, emitting x86-64 through `nanowasm-x64`.
//!
//! The value model (see ARCHITECTURE "The x86-64 compiler"): the operand
//! stack is kept at compile time as [`Entry`]s, each a constant, a
//! register, a local not yet copied, or a value in its own stack slot. An
//! operand reaches a register only when an instruction needs it there.
//! At every control-flow boundary all operands move to their slots, so
//! merging paths is trivial: a block's results are always in the slots of
//! their stack positions.
//!
//! Frame (`rbp`-based, 16-byte aligned):
//!
//! ```text
//! [rbp + 16 + 8*i]   parameter i / result i (the caller's outgoing area)
//! [rbp + 8]          return address
//! [rbp]              caller's rbp
//! [rbp - 8]          calls left before the call-depth limit
//! [rbp - 8*(2+k)]    the caller's value of pinned callee-saved register k
//! [rbp - 8*H - c*(1+j)]    declared local j (H = 1 + saved registers,
//!                          c the cell size: 8, or 16 with `v128` values)
//! [rbp - 8*H - c*(1+L+d)]  the operand at stack depth d (L declared locals)
//! [rsp + 8*i]        outgoing arguments and results of calls
//! ```
//!
//! Pinned registers: `r15` the instance's `VMContext`, `r14` memory 0's
//! base. `rax`, `rcx`, `rdx`, `xmm0` and `xmm1` are scratch. The most used
//! locals live in `rbx`, `r12`, `r13` (callee-saved: a function saves the
//! ones it uses), then `r10`, `r11`, and `xmm12`-`xmm15` (caller-saved:
//! saved to their slots around calls). Operands get `rsi`, `rdi`, `r8`,
//! `r9`, `r10` and `r11` when no local has them, and the other `xmm`
//! registers, all caller-saved.

use crate::prelude::*;
use core::ops::Range;
use nanowasm_binary::{
    FrameKind, FuncStart, FuncValidator, Imm, Module, Resolved, Types, VisitOperator,
};
use nanowasm_core::{Feature, Features, FuncType, MemArg, Opcode, ValType};

mod simd;

use crate::interp::translate::TranslateConfig;
use nanowasm_x64::{
    Alu, Assembler, BitCount, Cond, Gpr, Label, Mem, Scale, Shift, Size, Sse, SseImm, Xmm,
};

use super::vm::{self, Code};

/// Why a function cannot be compiled (yet): the instruction or type.
pub(crate) type Unsupported = String;

/// A call from a function's code to code outside it, patched when the
/// module's image is laid out.
#[derive(Clone, Copy, Debug)]
pub(super) enum Target {
    /// Defined function `i` (its index among the module's own).
    Func(u32),
    /// The trap stub of a code.
    Stub(Code),
}

/// What a compiler thread produced: the code and tables of every function
/// it compiled, one after the other (each function's entries relative to
/// its own code's start), so that a function costs no allocation of its
/// own. [`FuncCode`] says which parts are whose.
#[derive(Default)]
pub(super) struct Output {
    pub code: Vec<u8>,
    /// Calls to other code: offset of each `rel32` field and its target.
    pub relocs: Vec<(usize, Target)>,
    /// Call and trap sites: `(return address offset, wasm offset)`.
    pub sites: Vec<(u32, u32)>,
    /// Unchecked memory accesses (guard regions): `(start, end, wasm
    /// offset)` of the code a fault in which is that instruction's
    /// out-of-bounds access.
    pub faults: Vec<(u32, u32, u32)>,
}

impl Output {
    /// Empties it, keeping every buffer's memory.
    pub(super) fn clear(&mut self) {
        let Output {
            code,
            relocs,
            sites,
            faults,
        } = self;
        code.clear();
        relocs.clear();
        sites.clear();
        faults.clear();
    }
}

/// A function compiled on its own: where its code (starting at offset 0)
/// and its entries in the tables are in its thread's [`Output`].
pub(super) struct FuncCode {
    /// Which thread's output (the `id` of its [`Scratch`]).
    pub out: usize,
    pub code: Range<usize>,
    pub relocs: Range<usize>,
    pub sites: Range<usize>,
    pub faults: Range<usize>,
}

/// What a function's compilation needs from its module.
pub(super) struct Shared<'a> {
    pub asm: &'a mut Assembler,
    /// Calls to other code, to patch at layout.
    pub relocs: &'a mut Vec<(usize, Target)>,
    /// `(return address offset, wasm offset)` of every call and trap site.
    pub sites: &'a mut Vec<(u32, u32)>,
    /// Unchecked accesses, as in [`FuncCode::faults`].
    pub faults: &'a mut Vec<(u32, u32, u32)>,
    /// Imported functions (calls to them go through the host).
    pub num_imported: u32,
    /// The engine-wide ids of the module's types.
    pub type_ids: &'a [u32],
    /// The smallest argument area every call into this module's functions
    /// reserves ([`tail_area`]).
    pub tail_area: usize,
}

/// The most a module's calls reserve for tail calls: a tail call whose
/// callee needs more than this and more than its caller's own area is
/// not compiled (the interpreter runs the module).
const TAIL_AREA_MAX: usize = 256;

/// The argument area every call into `module`'s functions reserves, so
/// that a tail call can put its callee's arguments where its own were: the
/// largest of its types' areas (up to [`TAIL_AREA_MAX`]), if tail calls
/// are on; else 0.
pub(super) fn tail_area(module: &Module, features: Features) -> usize {
    if !features.has(Feature::TailCall) {
        return 0;
    }
    module
        .types
        .iter()
        .filter_map(|t| t.as_func())
        .map(|t| cells_size(t.params()).max(cells_size(t.results())))
        .max()
        .unwrap_or(0)
        .min(TAIL_AREA_MAX)
        .next_multiple_of(16)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Loc {
    Const(u64),
    Gpr(Gpr),
    Xmm(Xmm),
    Local(u32),
    /// An integer sum not computed yet: local `a` plus local `b` (if any)
    /// plus `k`, wrapping at the entry's type, both locals in general
    /// registers (pinned). One `lea` computes it where it is needed, so
    /// `i = i + 1` is one instruction and `p + 8` costs nothing before
    /// an access. Spilled before either local changes.
    Sum {
        a: u32,
        b: Option<u32>,
        k: i32,
    },
    Slot,
    /// An `i32` boolean still in the flags (a comparison just emitted):
    /// only ever the top operand, consumed by the next instruction
    /// (`br_if`, `if`, `select`, `i32.eqz`) or put in a register first.
    Cond(Cond),
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    ty: ValType,
    loc: Loc,
    /// An `i32` in an operand register (`Loc::Gpr`) that its producer
    /// wrote with a 32-bit operation, so the register's upper half is
    /// zero and an access can use it as its index without the `mov eax`
    /// that zero-extends other addresses. Set only by `push_zx`, at the
    /// producers that guarantee it; every other push and every change of
    /// an entry's location clears it.
    zx: bool,
}

/// Where a local lives for the whole function when it is kept in a
/// register (see `choose_pins`).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Pin {
    Gpr(Gpr),
    Xmm(Xmm),
}

struct Ctrl {
    kind: FrameKind,
    /// Operand stack height below the block's parameters.
    height: usize,
    /// The end label (the head for a loop).
    label: Label,
    /// The `else` label of an `if` not yet at its `else`.
    else_label: Option<Label>,
}

/// Registers for operands. (`rbx`, `r12` and `r13` only ever hold pinned
/// locals: they are callee-saved, so a function that does not pin them
/// must not touch them.)
const ALLOC_GPRS: [Gpr; 6] = [Gpr::Rsi, Gpr::Rdi, Gpr::R8, Gpr::R9, Gpr::R10, Gpr::R11];
/// Registers that may hold locals (taken out of the operand pool).
///
/// The general ones are callee-saved (in the System V convention too, so
/// host calls keep them): a function saves those it pins in its frame and
/// restores them when it returns, and calls need not touch them. The
/// `xmm` ones are caller-saved: saved to their locals' slots around calls.
const PIN_GPRS: [Gpr; 3] = [Gpr::Rbx, Gpr::R12, Gpr::R13];
/// More integer locals, when a function has more: caller-saved (saved to
/// their slots around calls, as the `xmm` ones), taken from the operand
/// registers.
const PIN_GPRS_CALLER_SAVED: [Gpr; 2] = [Gpr::R10, Gpr::R11];
const PIN_XMMS: [Xmm; 4] = [Xmm(12), Xmm(13), Xmm(14), Xmm(15)];
const MEM_BASE: Gpr = Gpr::R14;
const VMCTX: Gpr = Gpr::R15;
const XMM_SCRATCH0: Xmm = Xmm(0);
const XMM_SCRATCH1: Xmm = Xmm(1);

fn is_float(t: ValType) -> bool {
    matches!(t, ValType::F32 | ValType::F64)
}

/// Whether values of type `t` live in `xmm` registers (floats and `v128`).
fn in_xmm(t: ValType) -> bool {
    matches!(t, ValType::F32 | ValType::F64 | ValType::V128)
}

/// The move that saves or reloads an `xmm` register pinned to a local of
/// type `t`: all 8 bytes of a float's cell, all 16 of a `v128`'s.
fn pin_move(t: ValType) -> Sse {
    if t == ValType::V128 {
        Sse::Movdqu
    } else {
        Sse::Movsd
    }
}

/// The move that loads or stores a value of type `t` in an `xmm`
/// register.
fn xmm_move(t: ValType) -> Sse {
    match t {
        ValType::F32 => Sse::Movss,
        ValType::V128 => Sse::Movdqu,
        _ => Sse::Movsd,
    }
}

/// The byte offsets of values of types `types` in a call's argument or
/// result area: 8 bytes each, 16 for a `v128`.
fn cell_offsets_iter(types: &[ValType]) -> impl ExactSizeIterator<Item = i32> + '_ {
    let mut at = 0;
    types.iter().map(move |&t| {
        let o = at;
        at += if t == ValType::V128 { 16 } else { 8 };
        o
    })
}

/// The size of the area [`cell_offsets_iter`] lays out.
fn cells_size(types: &[ValType]) -> usize {
    types
        .iter()
        .map(|&t| if t == ValType::V128 { 16 } else { 8 })
        .sum()
}

/// `dst = load(mem)` for integer load `op`. Every `i32` load writes the
/// 32-bit register, zero-extending (see `Entry::zx`).
fn int_load(a: &mut Assembler, op: Opcode, dst: Gpr, mem: Mem) {
    use Opcode as O;
    match op {
        O::I32Load | O::I64Load32U => a.mov_rm(Size::S32, dst, mem),
        O::I64Load => a.mov_rm(Size::S64, dst, mem),
        O::I32Load8U | O::I64Load8U => a.movzx_rm(Size::S32, dst, Size::S8, mem),
        O::I32Load16U | O::I64Load16U => a.movzx_rm(Size::S32, dst, Size::S16, mem),
        O::I32Load8S => a.movsx_rm(Size::S32, dst, Size::S8, mem),
        O::I32Load16S => a.movsx_rm(Size::S32, dst, Size::S16, mem),
        O::I64Load8S => a.movsx_rm(Size::S64, dst, Size::S8, mem),
        O::I64Load16S => a.movsx_rm(Size::S64, dst, Size::S16, mem),
        _ => a.movsx_rm(Size::S64, dst, Size::S32, mem),
    }
}

fn size_of(t: ValType) -> Size {
    if matches!(t, ValType::I32 | ValType::F32) {
        Size::S32
    } else {
        Size::S64
    }
}

/// Where memory `k`'s base is in the context's memory table
/// (`vm::MEMORIES`); its length is `vm::MEM_SLOT_LEN` further.
fn mem_slot(k: u32) -> Result<i32, Unsupported> {
    i32::try_from(k)
        .ok()
        .and_then(|k| k.checked_mul(vm::MEM_SLOT_SIZE))
        .ok_or_else(|| "a memory index too large".into())
}

/// Whether the compiler handles values of type `t`.
fn supported_type(t: ValType) -> Result<(), Unsupported> {
    match t {
        ValType::Ref(r) if crate::gc::is_gc_heap(r.heap()) => Err(GC.into()),
        _ => Ok(()),
    }
}

/// Why GC is refused (the interpreter runs it: `Strategy::Auto` falls
/// back; ARCHITECTURE.md, "GC").
pub(crate) const GC: &str = "GC (its types and instructions; the interpreter runs them)";

/// The most bytes of code a body of `n` bytes compiles to is
/// `n * CODE_PER_BYTE + CODE_BASE`; a function that needs more is not
/// compiled (`Strategy::Auto` leaves it to the interpreter, which has a
/// limit of its own) rather than exhausting the host's memory. Real code
/// needs far less: 2.1 bytes per byte over the 20,217 functions of
/// sql-wasm, swc, esbuild, CoreMark, the benchmark kernels and the test
/// guests, 19 at most for a body over 100 bytes. But each target of a
/// `br_table` that moves values gets a stub with the moves, so `T`
/// targets with `K` values would make about `8 * T * K` bytes of code from
/// `T + K` bytes (a 104 KB module made 1.4 GB).
const CODE_PER_BYTE: usize = 64;
const CODE_BASE: usize = 1 << 16;

/// The most operands kept out of their slots (see `FuncCompiler::slot_low`):
/// more than real code keeps on its stack, so this never changes its code.
const OPERAND_WINDOW: usize = 256;

/// What a compiler thread reuses from function to function, so that its
/// buffers are allocated once, and what it produced.
#[derive(Default)]
pub(super) struct Scratch {
    /// Which thread this is: its output's index ([`FuncCode::out`]).
    pub id: usize,
    asm: Assembler,
    validator: FuncValidator,
    bufs: Bufs,
    pub out: Output,
}

impl Scratch {
    /// About how much memory the scratch holds: its output's buffers and
    /// the assembler's, which grow with the module (the per-function
    /// vectors grow only with its largest function, and are small).
    pub(super) fn capacity_bytes(&self) -> usize {
        let o = &self.out;
        o.code.capacity()
            + o.relocs.capacity() * core::mem::size_of::<(usize, Target)>()
            + o.sites.capacity() * 8
            + o.faults.capacity() * 12
            + self.asm.capacity()
    }
}

/// The single pass's and the pin pre-pass's vectors, empty between
/// functions but keeping their memory: allocating them afresh for each
/// function (two dozen of them) was a tenth of the compile time of a
/// module of small functions.
#[derive(Default)]
struct Bufs {
    pins: Vec<Option<Pin>>,
    caller_saved: Vec<(u32, Pin)>,
    stack: Vec<Entry>,
    ctrls: Vec<Ctrl>,
    locals: Vec<ValType>,
    results: Vec<ValType>,
    param_offs: Vec<i32>,
    result_offs: Vec<i32>,
    consts: Vec<(Label, [u8; 16])>,
    free_gpr: Vec<Gpr>,
    free_xmm: Vec<Xmm>,
    traps: Vec<(Label, Code, u32)>,
    /// The pre-pass's: each local's weight and type, the open blocks
    /// (whether each is a loop), and the locals by weight.
    weight: Vec<u64>,
    types: Vec<ValType>,
    blocks: Vec<bool>,
    order: Vec<usize>,
}

/// Compiles defined function `func` of `module` on its own, with a
/// thread's `scratch`, appending it to the thread's output.
pub(super) fn compile_function(
    module: &Module,
    config: TranslateConfig,
    func: u32,
    type_ids: &[u32],
    tail_area: usize,
    scratch: &mut Scratch,
) -> Result<FuncCode, Unsupported> {
    let Scratch {
        id,
        asm,
        validator,
        bufs,
        out,
    } = scratch;
    asm.clear();
    let marks = (out.relocs.len(), out.sites.len(), out.faults.len());
    let r = compile_into(
        module,
        config,
        func,
        validator,
        Shared {
            asm,
            relocs: &mut out.relocs,
            sites: &mut out.sites,
            faults: &mut out.faults,
            num_imported: module.num_imported.funcs,
            type_ids,
            tail_area,
        },
        bufs,
    )
    .and_then(|()| {
        asm.resolve()
            .map_err(|e| format!("code generation failed: {e}"))
    });
    if let Err(e) = r {
        out.relocs.truncate(marks.0);
        out.sites.truncate(marks.1);
        out.faults.truncate(marks.2);
        return Err(e);
    }
    let at = out.code.len();
    out.code.extend_from_slice(asm.code());
    Ok(FuncCode {
        out: *id,
        code: at..out.code.len(),
        relocs: marks.0..out.relocs.len(),
        sites: marks.1..out.sites.len(),
        faults: marks.2..out.faults.len(),
    })
}

fn compile_into(
    module: &Module,
    config: TranslateConfig,
    func: u32,
    validator: &mut FuncValidator,
    shared: Shared<'_>,
    bufs: &mut Bufs,
) -> Result<(), Unsupported> {
    let features = config.features;
    let mut b = core::mem::take(bufs);
    let vectors = choose_pins(module, features, func, &mut b)?;
    let pins = &b.pins;
    let saved = PIN_GPRS
        .into_iter()
        .filter(|r| pins.contains(&Some(Pin::Gpr(*r))))
        .count() as i32;
    b.caller_saved.clear();
    b.caller_saved
        .extend(pins.iter().enumerate().filter_map(|(i, p)| match *p {
            Some(pin @ Pin::Xmm(_)) => Some((i as u32, pin)),
            Some(pin @ Pin::Gpr(r)) if PIN_GPRS_CALLER_SAVED.contains(&r) => Some((i as u32, pin)),
            _ => None,
        }));
    b.free_gpr.clear();
    b.free_gpr.extend(
        ALLOC_GPRS
            .into_iter()
            .filter(|r| !pins.contains(&Some(Pin::Gpr(*r)))),
    );
    b.free_xmm.clear();
    b.free_xmm.extend(
        (2..16)
            .rev()
            .map(Xmm)
            .filter(|x| !pins.contains(&Some(Pin::Xmm(*x)))),
    );
    b.locals.clear();
    b.results.clear();
    b.param_offs.clear();
    b.result_offs.clear();
    b.stack.clear();
    b.ctrls.clear();
    b.consts.clear();
    b.traps.clear();
    let mut c = FuncCompiler {
        module,
        saved,
        fuel: config.fuel,
        epoch: config.epoch,
        guard: config.guard_regions,
        avx2: config.avx2,
        code_limit: module
            .bodies
            .get((func - module.num_imported.funcs) as usize)
            .map_or(0, |b| b.code.len())
            .saturating_mul(CODE_PER_BYTE)
            .saturating_add(CODE_BASE),
        fault_start: None,
        last_load: None,
        fuel_region: None,
        caller_saved: b.caller_saved,
        pin_code: Default::default(),
        pins: b.pins,
        s: shared,
        stack: b.stack,
        ctrls: b.ctrls,
        locals: b.locals,
        nparams: 0,
        results: b.results,
        max_depth: 0,
        slot_low: 0,
        out_bytes: 0,
        cell: if vectors { 16 } else { 8 },
        param_offs: b.param_offs,
        result_offs: b.result_offs,
        in_bytes: 0,
        consts: b.consts,
        free_gpr: b.free_gpr,
        free_xmm: b.free_xmm,
        traps: b.traps,
        at: 0,
        frame_patch: 0,
        error: None,
    };
    let r = validator.visit_function(module, features, func, &mut c);
    let error = c.error.take();
    *bufs = Bufs {
        pins: c.pins,
        caller_saved: c.caller_saved,
        stack: c.stack,
        ctrls: c.ctrls,
        locals: c.locals,
        results: c.results,
        param_offs: c.param_offs,
        result_offs: c.result_offs,
        consts: c.consts,
        free_gpr: c.free_gpr,
        free_xmm: c.free_xmm,
        traps: c.traps,
        weight: b.weight,
        types: b.types,
        blocks: b.blocks,
        order: b.order,
    };
    if let Some(e) = error {
        return Err(e);
    }
    r.map_err(|e| e.to_string())
}

/// An integer load just emitted (see `FuncCompiler::last_load`).
#[derive(Clone, Copy)]
struct LastLoad {
    op: Opcode,
    mem: Mem,
    /// Its register, and where its bytes are.
    dst: Gpr,
    start: usize,
    end: usize,
    /// How many unchecked accesses were recorded before it (its own is
    /// recorded after it, with guard regions).
    faults: usize,
}

/// Encoded moves of the locals pinned to caller-saved registers: at most
/// six (`r10`, `r11`, `xmm12`-`xmm15`) of at most 9 bytes each, so 64
/// bytes hold them.
#[derive(Clone, Copy)]
struct PinCode {
    /// 0 until encoded (and when there is nothing to move).
    len: u8,
    bytes: [u8; 64],
}

impl Default for PinCode {
    fn default() -> Self {
        PinCode {
            len: 0,
            bytes: [0; 64],
        }
    }
}

struct FuncCompiler<'a> {
    /// The module (for its memories' and tables' address types).
    module: &'a Module,
    /// Charge fuel, as the interpreter does: each straight-line region
    /// pays for its instructions before its first one runs.
    fuel: bool,
    /// Check the epoch deadline at function entry and loop headers.
    epoch: bool,
    /// Memories have guard regions: accesses with small static offsets
    /// go unchecked.
    guard: bool,
    /// The CPU has AVX2: three-operand VEX forms (no copy of an operand
    /// that must survive, unaligned memory operands) and `vpbroadcast`.
    avx2: bool,
    /// The most bytes of code the function may have (see
    /// [`CODE_PER_BYTE`]).
    code_limit: usize,
    /// Where the current instruction's unchecked access starts.
    fault_start: Option<usize>,
    /// The integer load emitted last, while nothing has been emitted after
    /// it: a `local.set` or `local.tee` of its result into a local pinned
    /// to a register emits it again into that register, instead of a copy.
    last_load: Option<LastLoad>,
    /// The open fuel region: where its charge's immediate is, and its cost.
    fuel_region: Option<(usize, u32)>,
    /// The register of each local kept in one (`None`: in its slot).
    pins: Vec<Option<Pin>>,
    /// The locals pinned to caller-saved registers (saved around calls),
    /// found once rather than per call (functions can have thousands of
    /// locals).
    caller_saved: Vec<(u32, Pin)>,
    /// The code that saves them before a call and reloads them after
    /// (see [`FuncCompiler::pinned_moves`]), once encoded.
    pin_code: [PinCode; 2],
    /// How many callee-saved registers the function pins (and saves).
    saved: i32,
    s: Shared<'a>,
    stack: Vec<Entry>,
    ctrls: Vec<Ctrl>,
    locals: Vec<ValType>,
    nparams: u32,
    results: Vec<ValType>,
    /// The deepest operand stack (slots to reserve).
    max_depth: usize,
    /// Every operand below this depth (or below the stack's height, if
    /// that is lower) is in its slot. The scans of the stack (`spill_all`
    /// at every call and branch, `detach_local` at every write of a local,
    /// the search for a register to free) start here, so that their cost
    /// is the operands pushed since the last `spill_all` rather than the
    /// whole stack: a body that keeps tens of thousands of operands on
    /// the stack and calls or writes a local after each push compiled in
    /// quadratic time (a 500 KB module took 12 s). `push_entry` and
    /// `set_loc` lower it; `spill_below` raises it, and `instr` keeps at
    /// most [`OPERAND_WINDOW`] operands above it.
    slot_low: usize,
    /// The largest outgoing area a call needs, in bytes.
    out_bytes: usize,
    /// The size of a local's or an operand's slot: 16 in a function that
    /// has `v128` values, else 8.
    cell: i32,
    /// Where each parameter is, above `rbp + 16`.
    param_offs: Vec<i32>,
    /// Where each result goes, above `rbp + 16`.
    result_offs: Vec<i32>,
    /// The bytes above `rbp + 16` that the caller reserved: the larger of
    /// the parameters' and results' areas, and at least the module's
    /// [`tail_area`].
    in_bytes: usize,
    /// 16-byte constants, emitted after the code (`[rip + label]`).
    consts: Vec<(Label, [u8; 16])>,
    free_gpr: Vec<Gpr>,
    free_xmm: Vec<Xmm>,
    /// Out-of-line trap sites: their label, code and wasm offset.
    traps: Vec<(Label, Code, u32)>,
    /// The wasm offset of the instruction being compiled.
    at: u32,
    /// Where the frame size (an `imm32`) is patched at the end.
    frame_patch: usize,
    /// Why compilation stopped, when the front end only carries a string.
    error: Option<Unsupported>,
}

/// The visitor's own methods for loads (`load:`) and stores (`store:`),
/// each compiled as `instr` compiles it but without its dispatch on the
/// opcode (see `visit_local_get`).
macro_rules! direct_memory_ops {
    ($($method:ident: $($visit:ident $op:ident),*;)*) => {$($(
        #[inline(always)]
        fn $visit(&mut self, imm: Imm<'_>, at: &Resolved<'_>) -> nanowasm_binary::Result<()> {
            let Imm::MemArg(m) = imm else {
                return self.visit_operator(Opcode::$op, imm, at);
            };
            self.begin(Opcode::$op, at)?;
            let r = self.$method(Opcode::$op, m);
            self.end_instr(r, at)
        }
    )*)*};
}

/// The visitor's own methods for integer operations without immediates,
/// each one call of the method `instr` calls for it.
macro_rules! direct_int_ops {
    ($($visit:ident $op:ident => $method:ident($($arg:expr),*);)*) => {$(
        #[inline(always)]
        fn $visit(&mut self, _: Imm<'_>, at: &Resolved<'_>) -> nanowasm_binary::Result<()> {
            self.begin(Opcode::$op, at)?;
            let r = self.$method($($arg),*);
            self.fail(r, at.offset())
        }
    )*};
}

impl VisitOperator for FuncCompiler<'_> {
    fn visit_start(&mut self, start: &FuncStart<'_>) -> nanowasm_binary::Result<()> {
        let r = self.start(start);
        self.fail(r, start.offset)
    }

    fn visit_operator(
        &mut self,
        op: Opcode,
        imm: Imm<'_>,
        at: &Resolved<'_>,
    ) -> nanowasm_binary::Result<()> {
        self.at = at.offset() as u32;
        let r = self.instr(op, imm, at);
        self.end_instr(r, at)
    }

    // The most frequent instructions (`local.get` and the constants are
    // two fifths of real code's, `local.set` and `local.tee` almost a
    // tenth) each straight from the validator's arm for it, where these
    // are inlined: no call, and no second dispatch on the opcode
    // (`instr`'s `match`).
    #[inline(always)]
    fn visit_local_get(&mut self, imm: Imm<'_>, at: &Resolved<'_>) -> nanowasm_binary::Result<()> {
        let Imm::Index(i) = imm else {
            return self.visit_operator(Opcode::LocalGet, imm, at);
        };
        self.begin(Opcode::LocalGet, at)?;
        match self.locals.get(i as usize) {
            Some(&ty) => {
                self.push(ty, Loc::Local(i));
                Ok(())
            }
            None => self.fail(Err("unknown local".into()), at.offset()),
        }
    }

    #[inline(always)]
    fn visit_i32_const(&mut self, imm: Imm<'_>, at: &Resolved<'_>) -> nanowasm_binary::Result<()> {
        let Imm::I32(v) = imm else {
            return self.visit_operator(Opcode::I32Const, imm, at);
        };
        self.begin(Opcode::I32Const, at)?;
        self.push(ValType::I32, Loc::Const(v as u32 as u64));
        Ok(())
    }

    #[inline(always)]
    fn visit_i64_const(&mut self, imm: Imm<'_>, at: &Resolved<'_>) -> nanowasm_binary::Result<()> {
        let Imm::I64(v) = imm else {
            return self.visit_operator(Opcode::I64Const, imm, at);
        };
        self.begin(Opcode::I64Const, at)?;
        self.push(ValType::I64, Loc::Const(v as u64));
        Ok(())
    }

    // Loads, stores and the most frequent integer operations the same
    // way (a fifth of real code's instructions).
    direct_memory_ops! {
        load: visit_i32_load I32Load, visit_i64_load I64Load, visit_f32_load F32Load,
        visit_f64_load F64Load, visit_i32_load8_s I32Load8S, visit_i32_load8_u I32Load8U,
        visit_i32_load16_s I32Load16S, visit_i32_load16_u I32Load16U,
        visit_i64_load8_s I64Load8S, visit_i64_load8_u I64Load8U,
        visit_i64_load16_s I64Load16S, visit_i64_load16_u I64Load16U,
        visit_i64_load32_s I64Load32S, visit_i64_load32_u I64Load32U;
        store: visit_i32_store I32Store, visit_i64_store I64Store, visit_f32_store F32Store,
        visit_f64_store F64Store, visit_i32_store8 I32Store8, visit_i32_store16 I32Store16,
        visit_i64_store8 I64Store8, visit_i64_store16 I64Store16, visit_i64_store32 I64Store32;
    }
    direct_int_ops! {
        visit_i32_add I32Add => int_binop(ValType::I32, Alu::Add);
        visit_i32_sub I32Sub => int_binop(ValType::I32, Alu::Sub);
        visit_i32_and I32And => int_binop(ValType::I32, Alu::And);
        visit_i32_or I32Or => int_binop(ValType::I32, Alu::Or);
        visit_i32_xor I32Xor => int_binop(ValType::I32, Alu::Xor);
        visit_i64_add I64Add => int_binop(ValType::I64, Alu::Add);
        visit_i32_eq I32Eq => int_compare(ValType::I32, Cond::E);
        visit_i32_ne I32Ne => int_compare(ValType::I32, Cond::Ne);
        visit_i32_lt_s I32LtS => int_compare(ValType::I32, Cond::L);
        visit_i32_lt_u I32LtU => int_compare(ValType::I32, Cond::B);
        visit_i32_gt_s I32GtS => int_compare(ValType::I32, Cond::G);
        visit_i32_gt_u I32GtU => int_compare(ValType::I32, Cond::A);
        visit_i32_shl I32Shl => shift(ValType::I32, Shift::Shl);
        visit_i32_shr_s I32ShrS => shift(ValType::I32, Shift::Sar);
        visit_i32_shr_u I32ShrU => shift(ValType::I32, Shift::Shr);
    }

    #[inline(always)]
    fn visit_local_set(&mut self, imm: Imm<'_>, at: &Resolved<'_>) -> nanowasm_binary::Result<()> {
        let Imm::Index(i) = imm else {
            return self.visit_operator(Opcode::LocalSet, imm, at);
        };
        self.begin(Opcode::LocalSet, at)?;
        let r = self.set_local(i, false);
        self.fail(r, at.offset())
    }

    #[inline(always)]
    fn visit_local_tee(&mut self, imm: Imm<'_>, at: &Resolved<'_>) -> nanowasm_binary::Result<()> {
        let Imm::Index(i) = imm else {
            return self.visit_operator(Opcode::LocalTee, imm, at);
        };
        self.begin(Opcode::LocalTee, at)?;
        let r = self.set_local(i, true);
        self.fail(r, at.offset())
    }
}

impl FuncCompiler<'_> {
    /// The start of an instruction compiled by the visitor's own method
    /// for it: its offset, then the checks every instruction starts with
    /// ([`prelude`](Self::prelude)). One that may make an unchecked memory
    /// access ends with [`end_instr`](Self::end_instr).
    #[inline(always)]
    fn begin(&mut self, op: Opcode, at: &Resolved<'_>) -> nanowasm_binary::Result<()> {
        self.at = at.offset() as u32;
        match self.prelude(op) {
            Ok(()) => Ok(()),
            Err(e) => self.fail(Err(e), at.offset()),
        }
    }

    /// The end of an instruction: its unchecked memory access, if it made
    /// one, recorded (where its fault is a trap at this instruction).
    #[inline(always)]
    fn end_instr(
        &mut self,
        r: Result<(), Unsupported>,
        at: &Resolved<'_>,
    ) -> nanowasm_binary::Result<()> {
        if let Some(start) = self.fault_start.take() {
            let end = self.s.asm.offset() as u32;
            self.s.faults.push((start as u32, end, self.at));
        }
        self.fail(r, at.offset())
    }

    fn fail(&mut self, r: Result<(), Unsupported>, offset: usize) -> nanowasm_binary::Result<()> {
        r.map_err(|e| {
            let err = nanowasm_binary::Error::unsupported(e.clone(), offset);
            self.error = Some(e);
            err
        })
    }

    fn asm(&mut self) -> &mut Assembler {
        self.s.asm
    }

    // ---- frame layout -------------------------------------------------

    fn declared_locals(&self) -> u32 {
        self.locals.len() as u32 - self.nparams
    }

    /// The callee-saved registers this function pins, saved at the top of
    /// its frame.
    fn saved_gprs(&self) -> impl Iterator<Item = Gpr> + use<> {
        let pinned = PIN_GPRS.map(|r| self.pins.contains(&Some(Pin::Gpr(r))));
        PIN_GPRS
            .into_iter()
            .zip(pinned)
            .filter_map(|(r, p)| p.then_some(r))
    }

    /// The frame's header below `rbp`: the calls left, then the saved
    /// callee-saved registers.
    fn saved_slots(&self) -> i32 {
        1 + self.saved
    }

    fn local_mem(&self, i: u32) -> Mem {
        if i < self.nparams {
            Mem::base(Gpr::Rbp, 16 + self.param_offs[i as usize])
        } else {
            Mem::base(
                Gpr::Rbp,
                -8 * self.saved_slots() - self.cell * (1 + (i - self.nparams) as i32),
            )
        }
    }

    fn slot_mem(&self, depth: usize) -> Mem {
        Mem::base(
            Gpr::Rbp,
            -8 * self.saved_slots()
                - self.cell * (1 + self.declared_locals() as i32 + depth as i32),
        )
    }

    fn start(&mut self, start: &FuncStart<'_>) -> Result<(), Unsupported> {
        for &t in start.locals {
            supported_type(t)?;
        }
        for &t in start.ty.results() {
            supported_type(t)?;
        }
        self.locals.extend_from_slice(start.locals);
        self.nparams = start.ty.params().len() as u32;
        self.results.extend_from_slice(start.ty.results());
        self.param_offs.extend(cell_offsets_iter(start.ty.params()));
        self.result_offs
            .extend(cell_offsets_iter(start.ty.results()));
        self.in_bytes = cells_size(start.ty.params())
            .max(cells_size(start.ty.results()))
            .max(self.s.tail_area);
        self.at = start.offset as u32;
        let a = self.asm();
        // The calls left, from the caller's frame (or the entry
        // trampoline's): each frame holds its own count, so a return has
        // nothing to give back and calls form no chain of read-modify-
        // writes through one memory cell (which cost fib a third of its
        // time).
        a.mov_rm(Size::S64, Gpr::Rax, Mem::base(Gpr::Rbp, -8));
        a.push(Gpr::Rbp);
        a.mov_rr(Size::S64, Gpr::Rbp, Gpr::Rsp);
        // `sub rsp, imm32`, patched when the frame size is known.
        a.alu_ri(Alu::Sub, Size::S64, Gpr::Rsp, 0x7fff_0000);
        self.frame_patch = self.asm().offset() - 4;
        let overflow = self.trap_site(Code::StackOverflow);
        let a = self.asm();
        a.alu_rm(
            Alu::Cmp,
            Size::S64,
            Gpr::Rsp,
            Mem::base(VMCTX, vm::STACK_LIMIT),
        );
        a.jcc(Cond::B, overflow);
        a.alu_ri(Alu::Sub, Size::S64, Gpr::Rax, 1);
        a.jcc(Cond::B, overflow);
        a.mov_mr(Size::S64, Mem::base(Gpr::Rbp, -8), Gpr::Rax);
        // The pinned callee-saved registers, saved at the top of the frame.
        for (k, r) in self.saved_gprs().enumerate() {
            self.s
                .asm
                .mov_mr(Size::S64, Mem::base(Gpr::Rbp, -8 * (2 + k as i32)), r);
        }
        // Declared locals start at zero (in their slots unless pinned).
        let n = self.declared_locals();
        let locals = self.nparams..self.nparams + n;
        let unpinned = locals.clone().filter(|&i| self.pin(i).is_none()).count();
        if unpinned > 0 {
            let first = self.local_mem(self.nparams + n - 1);
            let words = self.cell / 8;
            self.asm().alu_rr(Alu::Xor, Size::S32, Gpr::Rax, Gpr::Rax);
            if unpinned * words as usize <= 16 {
                // (The field, not `pin`: the loop writes through `self.s`.)
                for i in locals.filter(|&i| self.pins[i as usize].is_none()) {
                    let m = self.local_mem(i);
                    for k in 0..words {
                        self.s.asm.mov_mr(Size::S64, m.offset(8 * k), Gpr::Rax);
                    }
                }
            } else {
                let a = &mut *self.s.asm;
                // [rdx + 8*(rcx-1)] for rcx = n down to 1, rdx the lowest.
                a.lea(Size::S64, Gpr::Rdx, first);
                a.mov_ri(Size::S32, Gpr::Rcx, i64::from(n) * i64::from(words));
                let head = a.new_label();
                a.bind(head);
                a.mov_mr(
                    Size::S64,
                    Mem::base_index(Gpr::Rdx, Gpr::Rcx, Scale::S8, -8),
                    Gpr::Rax,
                );
                a.alu_ri(Alu::Sub, Size::S64, Gpr::Rcx, 1);
                a.jcc(Cond::Ne, head);
            }
        }
        // Pinned locals: parameters from their slots, the others zero.
        for i in 0..self.pins.len() as u32 {
            let param = i < self.nparams;
            let m = self.local_mem(i);
            let a = &mut *self.s.asm;
            match (self.pins[i as usize], param) {
                // An `i32` parameter with a 32-bit load: zero-extended
                // (a caller may have stored it sign-extended).
                (Some(Pin::Gpr(r)), true) => a.mov_rm(size_of(self.locals[i as usize]), r, m),
                (Some(Pin::Gpr(r)), false) => a.alu_rr(Alu::Xor, Size::S32, r, r),
                (Some(Pin::Xmm(x)), true) => a.sse_rm(pin_move(self.locals[i as usize]), x, m),
                (Some(Pin::Xmm(x)), false) => a.sse_rr(Sse::Xorps, x, x),
                (None, _) => {}
            }
        }
        self.ctrls.push(Ctrl {
            kind: FrameKind::Func,
            height: 0,
            label: self.s.asm.new_label(),
            else_label: None,
        });
        self.check_epoch();
        self.start_fuel_region();
        Ok(())
    }

    /// Ends the current fuel region (its charge is final) and starts one
    /// (whose charge comes with its first instruction that costs fuel).
    fn start_fuel_region(&mut self) {
        if let Some((at, cost)) = self.fuel_region.take() {
            self.s.asm.patch_u32(at, cost);
        }
    }

    /// Counts one instruction's fuel, emitting the region's charge if this
    /// is its first: `sub [fuel], cost; jb out_of_fuel` (the cost patched
    /// when the region ends).
    fn charge(&mut self) {
        if !self.fuel {
            return;
        }
        if let Some((_, cost)) = &mut self.fuel_region {
            *cost += 1;
            return;
        }
        // The charge sets the flags: a condition left in them goes to a
        // register first.
        self.materialize_cond();
        let out = self.trap_site(Code::OutOfFuel);
        let a = &mut *self.s.asm;
        a.mov_rm(Size::S64, Gpr::Rax, Mem::base(VMCTX, vm::FUEL));
        // A placeholder that needs the imm32 form.
        a.alu_mi(Alu::Sub, Size::S64, Mem::base(Gpr::Rax, 0), 0x7fff_0000);
        let at = a.offset() - 4;
        a.jcc(Cond::B, out);
        self.fuel_region = Some((at, 1));
    }

    /// The epoch deadline check (function entry and loop headers).
    fn check_epoch(&mut self) {
        if !self.epoch {
            return;
        }
        let stop = self.trap_site(Code::Interrupted);
        let a = &mut *self.s.asm;
        a.mov_rm(Size::S64, Gpr::Rax, Mem::base(VMCTX, vm::EPOCH));
        a.mov_rm(Size::S64, Gpr::Rax, Mem::base(Gpr::Rax, 0));
        a.mov_rm(Size::S64, Gpr::Rcx, Mem::base(VMCTX, vm::EPOCH_DEADLINE));
        a.alu_rm(Alu::Cmp, Size::S64, Gpr::Rax, Mem::base(Gpr::Rcx, 0));
        a.jcc(Cond::Ae, stop);
    }

    /// Emits the out-of-line trap sites and patches the frame size.
    fn finish(&mut self) {
        self.start_fuel_region();
        for &(label, code, wasm) in &self.traps {
            let a = &mut *self.s.asm;
            a.bind(label);
            let at = a.call_extern();
            let ret = a.offset() as u32;
            self.s.relocs.push((at, Target::Stub(code)));
            self.s.sites.push((ret, wasm));
        }
        self.traps.clear();
        for (label, bytes) in &self.consts {
            let a = &mut *self.s.asm;
            a.bind(*label);
            a.emit_bytes(bytes);
        }
        self.consts.clear();
        let bytes = self.saved_slots() as usize * 8
            + (self.declared_locals() as usize + self.max_depth) * self.cell as usize
            + self.out_bytes;
        let bytes = bytes.next_multiple_of(16) as u32;
        self.s.asm.patch_u32(self.frame_patch, bytes);
    }

    /// A label whose code traps with `code` at the current instruction.
    fn trap_site(&mut self, code: Code) -> Label {
        let l = self.s.asm.new_label();
        self.traps.push((l, code, self.at));
        l
    }

    // ---- registers and operands ---------------------------------------

    // The pushes are inlined: called, each copied the `Loc` its caller had
    // just written field by field with one 16-byte load, which stalled
    // store forwarding (the single hottest instruction of a compile).
    #[inline(always)]
    fn push(&mut self, ty: ValType, loc: Loc) {
        self.push_entry(Entry { ty, loc, zx: false });
    }

    /// Pushes an `i32` in `r` just written by a 32-bit operation (which
    /// zeroes the register's upper half): see `Entry::zx`.
    #[inline(always)]
    fn push_zx(&mut self, r: Gpr) {
        self.push_entry(Entry {
            ty: ValType::I32,
            loc: Loc::Gpr(r),
            zx: true,
        });
    }

    #[inline(always)]
    fn push_entry(&mut self, e: Entry) {
        self.slot_low = self.slot_low.min(self.stack.len());
        self.stack.push(e);
        self.max_depth = self.max_depth.max(self.stack.len());
    }

    /// Moves operand `d` to `loc` (whose contents its caller wrote).
    fn set_loc(&mut self, d: usize, loc: Loc) {
        if loc != Loc::Slot {
            self.slot_low = self.slot_low.min(d);
        }
        self.stack[d].loc = loc;
        self.stack[d].zx = false;
    }

    /// If the last thing emitted is the integer load that wrote `r`, emits
    /// it again with `p` as its destination in its place (a load into a
    /// pinned local's register rather than a load and a copy), and says
    /// so. The load may read `p` in its address (`p = load(p)`: the
    /// register is read before it is written). Its unchecked access, if
    /// it has one, is recorded again with its new end.
    fn reload_into(&mut self, r: Gpr, p: Gpr) -> bool {
        let Some(l) = self.last_load.take() else {
            return false;
        };
        if l.dst != r || l.end != self.s.asm.offset() {
            return false;
        }
        self.s.asm.truncate(l.start);
        int_load(self.asm(), l.op, p, l.mem);
        let end = self.s.asm.offset() as u32;
        if self.s.faults.len() == l.faults + 1 {
            if let Some(f) = self.s.faults.last_mut() {
                if f.0 == l.start as u32 {
                    f.1 = end;
                }
            }
        }
        true
    }

    fn pop(&mut self) -> Result<(Entry, usize), Unsupported> {
        let e = self.stack.pop().ok_or("operand stack underflow")?;
        Ok((e, self.stack.len()))
    }

    fn free(&mut self, loc: Loc) {
        match loc {
            Loc::Gpr(r) => self.free_gpr.push(r),
            Loc::Xmm(x) => self.free_xmm.push(x),
            _ => {}
        }
    }

    fn alloc_gpr(&mut self) -> Gpr {
        if let Some(r) = self.free_gpr.pop() {
            return r;
        }
        let d = self
            .unspilled()
            .find(|&d| matches!(self.stack[d].loc, Loc::Gpr(_)))
            .expect("every allocatable register holds an operand");
        self.spill(d);
        self.free_gpr.pop().expect("a register was just spilled")
    }

    fn alloc_xmm(&mut self) -> Xmm {
        if let Some(r) = self.free_xmm.pop() {
            return r;
        }
        let d = self
            .unspilled()
            .find(|&d| matches!(self.stack[d].loc, Loc::Xmm(_)))
            .expect("every allocatable register holds an operand");
        self.spill(d);
        self.free_xmm.pop().expect("a register was just spilled")
    }

    /// Stores `value` (of type `ty`) to `m`, through `rax` if needed.
    fn store_loc(&mut self, m: Mem, ty: ValType, loc: Loc, depth: usize) {
        // A `v128` in memory (not a pinned local's register), through a
        // scratch register.
        if ty == ValType::V128 {
            if let Some(src) = self.mem_of(Entry { ty, loc, zx: false }, depth) {
                let a = self.asm();
                a.sse_rm(Sse::Movdqu, XMM_SCRATCH0, src);
                a.sse_mr(Sse::Movdqu, m, XMM_SCRATCH0);
                return;
            }
        }
        match loc {
            Loc::Gpr(r) => self.asm().mov_mr(Size::S64, m, r),
            Loc::Xmm(x) => self.asm().sse_mr(xmm_move(ty), m, x),
            Loc::Const(c) => {
                if let Ok(v) = i32::try_from(c as i64) {
                    self.asm().mov_mi(Size::S64, m, v);
                } else {
                    let a = self.asm();
                    a.mov_ri(Size::S64, Gpr::Rax, c as i64);
                    a.mov_mr(Size::S64, m, Gpr::Rax);
                }
            }
            Loc::Local(i) => match self.pin(i) {
                Some(Pin::Gpr(r)) => self.asm().mov_mr(Size::S64, m, r),
                Some(Pin::Xmm(x)) => self.asm().sse_mr(pin_move(ty), m, x),
                None => {
                    let src = self.local_mem(i);
                    let a = self.asm();
                    a.mov_rm(Size::S64, Gpr::Rax, src);
                    a.mov_mr(Size::S64, m, Gpr::Rax);
                }
            },
            Loc::Slot => {
                let src = self.slot_mem(depth);
                let a = self.asm();
                a.mov_rm(Size::S64, Gpr::Rax, src);
                a.mov_mr(Size::S64, m, Gpr::Rax);
            }
            Loc::Sum { .. } => {
                self.load_gpr(Gpr::Rax, Entry { ty, loc, zx: false }, depth);
                self.asm().mov_mr(Size::S64, m, Gpr::Rax);
            }
            Loc::Cond(c) => {
                let a = self.asm();
                a.setcc(c, Gpr::Rax);
                a.movzx_rr(Size::S32, Gpr::Rax, Size::S8, Gpr::Rax);
                a.mov_mr(Size::S64, m, Gpr::Rax);
            }
        }
    }

    /// The `lea` operand of a sum of pinned locals.
    fn sum_mem(&self, a: u32, b: Option<u32>, k: i32) -> Mem {
        let reg = |i| match self.pin(i) {
            Some(Pin::Gpr(r)) => r,
            _ => unreachable!("a sum of locals not in general registers"),
        };
        match b {
            Some(b) => Mem::base_index(reg(a), reg(b), Scale::S1, k),
            None => Mem::base(reg(a), k),
        }
    }

    /// Whether local `i` is kept in a general register.
    fn in_gpr(&self, i: u32) -> bool {
        matches!(self.pin(i), Some(Pin::Gpr(_)))
    }

    /// An error once the function has more code than its body may make
    /// (see [`CODE_PER_BYTE`]). Inlined: it runs before every instruction.
    #[inline(always)]
    fn check_size(&self) -> Result<(), Unsupported> {
        if self.s.asm.offset() > self.code_limit {
            return Err(self.too_much_code());
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn too_much_code(&self) -> Unsupported {
        format!(
            "a function of more than {} bytes of code (from {} bytes of WebAssembly)",
            self.code_limit,
            (self.code_limit - CODE_BASE) / CODE_PER_BYTE
        )
    }

    /// Moves the operand at depth `d` to its slot.
    fn spill(&mut self, d: usize) {
        let e = self.stack[d];
        if e.loc == Loc::Slot {
            return;
        }
        let m = self.slot_mem(d);
        self.store_loc(m, e.ty, e.loc, d);
        self.free(e.loc);
        self.set_loc(d, Loc::Slot);
    }

    fn spill_all(&mut self) {
        self.spill_below(self.stack.len());
    }

    /// Moves the operands below depth `h` to their slots.
    fn spill_below(&mut self, h: usize) {
        for d in self.unspilled() {
            if d >= h {
                break;
            }
            self.spill(d);
        }
        self.slot_low = self.slot_low.max(h);
    }

    /// The depths of the operands that may not be in their slots, from
    /// the deepest (`slot_low`) up.
    fn unspilled(&self) -> Range<usize> {
        self.slot_low.min(self.stack.len())..self.stack.len()
    }

    /// Loads an operand into a register of its class that the caller
    /// owns (a fresh one unless the operand was already in a register).
    fn gpr_of(&mut self, e: Entry, depth: usize) -> Gpr {
        match e.loc {
            Loc::Gpr(r) => r,
            _ => {
                let r = self.alloc_gpr();
                self.load_gpr(r, e, depth);
                r
            }
        }
    }

    /// Loads an integer operand into `r` (any register, scratch included).
    fn load_gpr(&mut self, r: Gpr, e: Entry, depth: usize) {
        self.load_gpr_sized(r, e, depth, Size::S64)
    }

    /// Into a register pinned to a local: an `i32` with 32-bit moves,
    /// which zero-extend, so the register holds it zero-extended whatever
    /// the source held above it (the invariant that lets addresses use
    /// such a register as it is).
    fn load_pinned_gpr(&mut self, r: Gpr, e: Entry, depth: usize) {
        self.load_gpr_sized(r, e, depth, size_of(e.ty))
    }

    /// `load_gpr` with moves of `size` (64 bits, or 32 for an `i32`).
    fn load_gpr_sized(&mut self, r: Gpr, e: Entry, depth: usize, size: Size) {
        match e.loc {
            Loc::Gpr(s) => {
                if s != r {
                    self.asm().mov_rr(size, r, s)
                }
            }
            Loc::Const(c) => self.asm().mov_ri(size, r, c as i64),
            Loc::Local(i) => match self.pin(i) {
                // Already there (`local.set $x (local.get $x)`).
                Some(Pin::Gpr(p)) if p == r => {}
                Some(Pin::Gpr(p)) => self.asm().mov_rr(size, r, p),
                Some(Pin::Xmm(x)) => self.asm().movd_rx(size_of(e.ty), r, x),
                None => {
                    let m = self.local_mem(i);
                    self.asm().mov_rm(size, r, m)
                }
            },
            Loc::Slot => {
                let m = self.slot_mem(depth);
                self.asm().mov_rm(size, r, m)
            }
            Loc::Xmm(x) => self.asm().movd_rx(size_of(e.ty), r, x),
            Loc::Sum { a, b, k } => {
                let m = self.sum_mem(a, b, k);
                self.asm().lea(size_of(e.ty), r, m)
            }
            Loc::Cond(c) => {
                let a = self.asm();
                a.setcc(c, r);
                a.movzx_rr(Size::S32, r, Size::S8, r);
            }
        }
    }

    fn xmm_of(&mut self, e: Entry, depth: usize) -> Xmm {
        match e.loc {
            Loc::Xmm(x) => x,
            _ => {
                let x = self.alloc_xmm();
                self.load_xmm(x, e, depth);
                x
            }
        }
    }

    fn load_xmm(&mut self, x: Xmm, e: Entry, depth: usize) {
        let op = xmm_move(e.ty);
        match e.loc {
            Loc::Xmm(s) => {
                if s != x {
                    self.asm().sse_rr(Sse::Movaps, x, s)
                }
            }
            Loc::Const(0) => self.asm().sse_rr(Sse::Xorps, x, x),
            Loc::Const(c) => {
                let a = self.asm();
                a.mov_ri(Size::S64, Gpr::Rax, c as i64);
                a.movd_xr(Size::S64, x, Gpr::Rax);
            }
            Loc::Local(i) => match self.pin(i) {
                Some(Pin::Xmm(p)) if p == x => {}
                Some(Pin::Xmm(p)) => self.asm().sse_rr(Sse::Movaps, x, p),
                Some(Pin::Gpr(r)) => self.asm().movd_xr(size_of(e.ty), x, r),
                None => {
                    let m = self.local_mem(i);
                    self.asm().sse_rm(op, x, m)
                }
            },
            Loc::Slot => {
                let m = self.slot_mem(depth);
                self.asm().sse_rm(op, x, m)
            }
            Loc::Gpr(r) => self.asm().movd_xr(size_of(e.ty), x, r),
            Loc::Sum { .. } => {
                self.load_gpr(Gpr::Rax, e, depth);
                self.asm().movd_xr(size_of(e.ty), x, Gpr::Rax);
            }
            Loc::Cond(c) => {
                let a = self.asm();
                a.setcc(c, Gpr::Rax);
                a.movzx_rr(Size::S32, Gpr::Rax, Size::S8, Gpr::Rax);
                a.movd_xr(Size::S32, x, Gpr::Rax);
            }
        }
    }

    /// The operand as a memory operand, if it has one (a local or a slot).
    fn mem_of(&self, e: Entry, depth: usize) -> Option<Mem> {
        match e.loc {
            Loc::Local(i) if self.pin(i).is_none() => Some(self.local_mem(i)),
            Loc::Slot => Some(self.slot_mem(depth)),
            _ => None,
        }
    }

    /// The register of local `i`, if it is kept in one.
    fn pin(&self, i: u32) -> Option<Pin> {
        self.pins.get(i as usize).copied().flatten()
    }

    /// A general register holding the operand that the instruction may
    /// read but not write: a pinned integer local's.
    fn pinned_gpr(&self, e: Entry) -> Option<Gpr> {
        match e.loc {
            Loc::Local(i) => match self.pin(i) {
                Some(Pin::Gpr(r)) => Some(r),
                _ => None,
            },
            _ => None,
        }
    }

    /// Before a call: the locals pinned to caller-saved registers (`xmm`,
    /// `r10`, `r11`) to their slots. (`rbx`, `r12`, `r13` are callee-saved.)
    fn save_pinned(&mut self) {
        self.pinned_moves(false)
    }

    /// After a call: those locals back from their slots.
    fn reload_pinned(&mut self) {
        self.pinned_moves(true)
    }

    /// The moves of [`save_pinned`](Self::save_pinned) (`reload` false) or
    /// [`reload_pinned`](Self::reload_pinned): the same bytes at every call
    /// of a function, so encoded at its first call and copied after (they
    /// were a fifth of the cost of compiling a call).
    fn pinned_moves(&mut self, reload: bool) {
        let cached = &self.pin_code[usize::from(reload)];
        if cached.len > 0 {
            self.s
                .asm
                .emit_bytes(&cached.bytes[..usize::from(cached.len)]);
            return;
        }
        let start = self.asm().offset();
        for k in 0..self.caller_saved.len() {
            let (i, pin) = self.caller_saved[k];
            let m = self.local_mem(i);
            let ty = self.locals[i as usize];
            let a = self.asm();
            match (pin, reload) {
                (Pin::Xmm(x), false) => a.sse_mr(pin_move(ty), m, x),
                (Pin::Xmm(x), true) => a.sse_rm(pin_move(ty), x, m),
                (Pin::Gpr(r), false) => a.mov_mr(Size::S64, m, r),
                (Pin::Gpr(r), true) => a.mov_rm(size_of(ty), r, m),
            }
        }
        let code = &self.s.asm.code()[start..];
        let cached = &mut self.pin_code[usize::from(reload)];
        if let Some(bytes) = cached.bytes.get_mut(..code.len()) {
            bytes.copy_from_slice(code);
            cached.len = code.len() as u8;
        }
    }

    fn pop_gpr(&mut self) -> Result<Gpr, Unsupported> {
        let (e, d) = self.pop()?;
        Ok(self.gpr_of(e, d))
    }

    fn pop_xmm(&mut self) -> Result<Xmm, Unsupported> {
        let (e, d) = self.pop()?;
        Ok(self.xmm_of(e, d))
    }

    /// Pops an `i32` condition: the flags' condition if a comparison left
    /// it there, else "not zero" of the value (tested now).
    fn pop_cond(&mut self) -> Result<Cond, Unsupported> {
        if let Some(Entry {
            loc: Loc::Cond(c), ..
        }) = self.stack.last().copied()
        {
            self.stack.pop();
            return Ok(c);
        }
        let (e, d) = self.pop()?;
        self.test_zero(Size::S32, e, d);
        Ok(Cond::Ne)
    }

    /// Sets the flags as `test x, x` does for the (popped) integer operand
    /// `e`, without copying it when it is in a register or in memory
    /// already; frees its register.
    fn test_zero(&mut self, s: Size, e: Entry, d: usize) {
        if let Some(r) = self.pinned_gpr(e) {
            self.asm().test_rr(s, r, r);
        } else if let Some(m) = self.mem_of(e, d) {
            self.asm().alu_mi(Alu::Cmp, s, m, 0);
        } else if let Loc::Gpr(r) = e.loc {
            self.asm().test_rr(s, r, r);
            self.free(e.loc);
        } else {
            self.load_gpr(Gpr::Rax, e, d);
            self.asm().test_rr(s, Gpr::Rax, Gpr::Rax);
        }
    }

    /// Puts a condition left in the flags into a register (nearly every
    /// instruction asks; the check is inline, the work out of line).
    #[inline]
    fn materialize_cond(&mut self) {
        if let Some(Entry {
            loc: Loc::Cond(_), ..
        }) = self.stack.last()
        {
            self.materialize_cond_now();
        }
    }

    #[inline(never)]
    fn materialize_cond_now(&mut self) {
        if let Some(Entry {
            loc: Loc::Cond(c), ..
        }) = self.stack.last().copied()
        {
            let d = self.stack.len() - 1;
            let r = self.alloc_gpr();
            let a = self.asm();
            a.setcc(c, r);
            a.movzx_rr(Size::S32, r, Size::S8, r);
            self.set_loc(d, Loc::Gpr(r));
        }
    }

    /// Before local `i` is written: operands that still read it get their
    /// own copy.
    fn detach_local(&mut self, i: u32) {
        for d in self.unspilled() {
            let uses = match self.stack[d].loc {
                Loc::Local(j) => j == i,
                Loc::Sum { a, b, .. } => a == i || b == Some(i),
                _ => false,
            };
            if uses {
                self.detach(d);
            }
        }
    }

    /// Gives operand `d` (a local's value or a sum of locals) a location
    /// of its own: a free register of its class if there is one (one
    /// `mov` or `lea`, where a slot costs a store now and a load later),
    /// else its slot.
    fn detach(&mut self, d: usize) {
        let e = self.stack[d];
        let loc = if in_xmm(e.ty) {
            let Some(x) = self.free_xmm.pop() else {
                return self.spill(d);
            };
            self.load_xmm(x, e, d);
            Loc::Xmm(x)
        } else {
            let Some(r) = self.free_gpr.pop() else {
                return self.spill(d);
            };
            self.load_gpr(r, e, d);
            Loc::Gpr(r)
        };
        self.set_loc(d, loc);
    }

    // ---- control -------------------------------------------------------

    fn set_dead(&mut self) {
        let h = self.ctrls.last().map_or(0, |c| c.height);
        while self.stack.len() > h {
            let e = self.stack.pop().expect("above the frame's height");
            self.free(e.loc);
        }
    }

    fn ctrl_index(&self, depth: u32) -> Result<usize, Unsupported> {
        self.ctrls
            .len()
            .checked_sub(1 + depth as usize)
            .ok_or_else(|| "unknown label".into())
    }

    /// Copies the top `arity` operands into the slots of frame `idx`'s
    /// label (they are all in their own slots already: `spill_all` ran).
    fn copy_to_label(&mut self, idx: usize, arity: usize) {
        let h = self.ctrls[idx].height;
        let first = self.stack.len() - arity;
        if first == h {
            return;
        }
        for i in 0..arity {
            let src = self.slot_mem(first + i);
            let dst = self.slot_mem(h + i);
            let ty = self.stack[first + i].ty;
            let a = self.asm();
            if ty == ValType::V128 {
                a.sse_rm(Sse::Movdqu, XMM_SCRATCH0, src);
                a.sse_mr(Sse::Movdqu, dst, XMM_SCRATCH0);
            } else {
                a.mov_rm(Size::S64, Gpr::Rax, src);
                a.mov_mr(Size::S64, dst, Gpr::Rax);
            }
        }
    }

    /// A branch to frame `idx` carrying `arity` values, all operands in
    /// their slots.
    /// A branch to frame `idx` carrying the top `arity` operands, taken
    /// when `c` holds in the flags (every operand spilled).
    fn branch_if(&mut self, idx: usize, arity: usize, c: Cond) {
        if let Some(l) = self.direct_label(idx, arity) {
            self.asm().jcc(c, l);
        } else {
            let skip = self.asm().new_label();
            self.asm().jcc(c.invert(), skip);
            self.branch(idx, arity);
            self.asm().bind(skip);
        }
    }

    /// The label a branch to frame `idx` carrying `arity` values (every
    /// operand in its slot) can jump to as it is: when no value needs to
    /// move and the target is not the function's end (a return).
    fn direct_label(&self, idx: usize, arity: usize) -> Option<Label> {
        let c = &self.ctrls[idx];
        (c.kind != FrameKind::Func && (arity == 0 || self.stack.len() - arity == c.height))
            .then_some(c.label)
    }

    fn branch(&mut self, idx: usize, arity: usize) {
        if self.ctrls[idx].kind == FrameKind::Func {
            self.ret();
            return;
        }
        self.copy_to_label(idx, arity);
        let l = self.ctrls[idx].label;
        self.asm().jmp_label(l);
    }

    /// Returns the top `results.len()` operands.
    fn ret(&mut self) {
        let n = self.results.len();
        let first = self.stack.len() - n;
        // Results overwrite the parameters: read every parameter they need
        // first.
        for d in first..self.stack.len() {
            if let Loc::Local(i) = self.stack[d].loc {
                if i < self.nparams {
                    self.spill(d);
                }
            }
        }
        for i in 0..n {
            let e = self.stack[first + i];
            let m = Mem::base(Gpr::Rbp, 16 + self.result_offs[i]);
            self.store_loc(m, e.ty, e.loc, first + i);
        }
        self.leave_frame();
        self.asm().ret();
    }

    /// Restores the callee-saved registers and the caller's `rbp` and
    /// `rsp`: the frame is gone, the return address on top.
    fn leave_frame(&mut self) {
        for (k, r) in self.saved_gprs().enumerate() {
            self.s
                .asm
                .mov_rm(Size::S64, r, Mem::base(Gpr::Rbp, -8 * (2 + k as i32)));
        }
        let a = self.asm();
        a.mov_rr(Size::S64, Gpr::Rsp, Gpr::Rbp);
        a.pop(Gpr::Rbp);
    }

    /// A tail call's arguments: to the outgoing area as for a call, then
    /// (once every operand, the parameters included, has been read) over
    /// this function's own incoming area, where the callee finds them and
    /// writes its results for this function's caller. Then the frame is
    /// left: a jump to the callee follows. `scratch` is the register the
    /// copy uses (not the one holding an indirect callee).
    fn tail_args(&mut self, ty: &FuncType, scratch: Gpr) -> Result<(), Unsupported> {
        let size = cells_size(ty.params()).max(cells_size(ty.results()));
        if size > self.in_bytes {
            return Err(format!(
                "a tail call needing {size} bytes of arguments where its caller has {}",
                self.in_bytes
            ));
        }
        let params = cells_size(ty.params());
        let a = self.asm();
        for off in (0..params as i32).step_by(8) {
            a.mov_rm(Size::S64, scratch, Mem::base(Gpr::Rsp, off));
            a.mov_mr(Size::S64, Mem::base(Gpr::Rbp, 16 + off), scratch);
        }
        self.leave_frame();
        Ok(())
    }

    fn block_types<'r>(at: &Resolved<'r>) -> Result<(Types<'r>, Types<'r>), Unsupported> {
        at.block().ok_or_else(|| "block without block type".into())
    }

    fn push_types(&mut self, types: Types<'_>) -> Result<(), Unsupported> {
        for t in types.iter() {
            supported_type(t)?;
            self.push(t, Loc::Slot);
        }
        Ok(())
    }

    fn end(&mut self, at: &Resolved<'_>) -> Result<(), Unsupported> {
        let reachable = at.end_reachable();
        let ctrl = self.ctrls.pop().ok_or("end without a frame")?;
        if ctrl.kind == FrameKind::Func {
            if reachable {
                self.ret();
            }
            self.set_dead_to(0);
            self.finish();
            return Ok(());
        }
        if reachable {
            self.spill_all();
        }
        let (_, results) = Self::block_types(at)?;
        if let Some(l) = ctrl.else_label {
            // An `if` without `else`: its false path falls through here with
            // its parameters (which are its results) in their slots.
            self.asm().bind(l);
        }
        if ctrl.kind != FrameKind::Loop {
            self.asm().bind(ctrl.label);
        }
        self.start_fuel_region();
        self.set_dead_to(ctrl.height);
        self.push_types(results)
    }

    fn set_dead_to(&mut self, h: usize) {
        while self.stack.len() > h {
            let e = self.stack.pop().expect("above the height");
            self.free(e.loc);
        }
    }

    // ---- calls ---------------------------------------------------------

    /// Writes the top `n` operands to the outgoing area and pops them;
    /// every other operand goes to its slot.
    fn call_args(&mut self, ty: &FuncType) -> Result<(), Unsupported> {
        for &t in ty.params().iter().chain(ty.results()) {
            supported_type(t)?;
        }
        let size = cells_size(ty.params());
        let results = cells_size(ty.results());
        // At least the module's tail-call area: the callee may tail-call.
        self.outgoing(
            cell_offsets_iter(ty.params()),
            size.max(results).max(self.s.tail_area),
        )
    }

    /// Writes the top `offs.len()` operands to the outgoing area at
    /// `offs` (the area must be `size` bytes) and pops them; every other
    /// operand goes to its slot.
    fn outgoing(
        &mut self,
        offs: impl ExactSizeIterator<Item = i32>,
        size: usize,
    ) -> Result<(), Unsupported> {
        self.out_bytes = self.out_bytes.max(size);
        let n = offs.len();
        let first = self.stack.len().checked_sub(n).ok_or("missing arguments")?;
        for (i, o) in offs.enumerate() {
            let e = self.stack[first + i];
            self.store_loc(Mem::base(Gpr::Rsp, o), e.ty, e.loc, first + i);
        }
        self.set_dead_to(first);
        self.spill_all();
        Ok(())
    }

    /// After a call: the results from the outgoing area.
    fn call_results(&mut self, ty: &FuncType) {
        for (&t, o) in ty.results().iter().zip(cell_offsets_iter(ty.results())) {
            let m = Mem::base(Gpr::Rsp, o);
            if in_xmm(t) {
                let x = self.alloc_xmm();
                self.asm().sse_rm(xmm_move(t), x, m);
                self.push(t, Loc::Xmm(x));
            } else {
                let r = self.alloc_gpr();
                self.asm().mov_rm(Size::S64, r, m);
                self.push(t, Loc::Gpr(r));
            }
        }
    }

    /// Records the return address of the call just emitted.
    fn call_site(&mut self) {
        let ret = self.asm().offset() as u32;
        let at = self.at;
        self.s.sites.push((ret, at));
    }

    /// Before a call into the host: the context's calls left are this
    /// frame's, so host code (and wasm it calls) counts the compiled frames
    /// below it.
    fn sync_depth(&mut self) {
        let a = self.asm();
        a.mov_rm(Size::S64, Gpr::Rax, Mem::base(Gpr::Rbp, -8));
        a.mov_mr(Size::S64, Mem::base(VMCTX, vm::DEPTH_LEFT), Gpr::Rax);
    }

    /// After a call into the host: a failure unwinds; memory may have moved.
    fn after_host_call(&mut self) {
        let fail = self.trap_site(Code::Propagate);
        let a = self.asm();
        a.test_rr(Size::S32, Gpr::Rax, Gpr::Rax);
        a.jcc(Cond::Ne, fail);
        self.reload_mem_base();
    }

    /// After anything that may have grown memory: memory 0's base, which
    /// moves only without guard regions (a reservation grows in place).
    fn reload_mem_base(&mut self) {
        if !self.guard {
            self.asm()
                .mov_rm(Size::S64, MEM_BASE, Mem::base(VMCTX, vm::MEM_BASE));
        }
    }

    fn call(&mut self, func: u32, ty: &FuncType) -> Result<(), Unsupported> {
        self.call_args(ty)?;
        self.save_pinned();
        if func < self.s.num_imported {
            self.sync_depth();
            let slow = self.s.asm.new_label();
            let done = self.s.asm.new_label();
            let direct = !ty.params().iter().chain(ty.results()).any(|t| t.is_ref());
            if direct {
                self.direct_import_call(func, ty, slow);
                self.asm().jmp_label(done);
            }
            let a = self.asm();
            a.bind(slow);
            a.mov_rr(Size::S64, Gpr::Rdi, VMCTX);
            a.mov_ri(Size::S32, Gpr::Rsi, i64::from(func));
            a.mov_rr(Size::S64, Gpr::Rdx, Gpr::Rsp);
            a.call_m(Mem::base(VMCTX, vm::CALL_IMPORT));
            self.call_site();
            self.after_host_call();
            self.asm().bind(done);
        } else {
            let at = self.s.asm.call_extern();
            self.s
                .relocs
                .push((at, Target::Func(func - self.s.num_imported)));
            self.call_site();
            // The callee may have grown memory.
            self.reload_mem_base();
        }
        self.reload_pinned();
        self.call_results(ty);
        self.start_fuel_region();
        Ok(())
    }

    /// A call of import `func` straight into the compiled code of another
    /// instance, when `call_import` has filled its slot and the target's
    /// context has seen the store's current layout generation; otherwise
    /// a jump to `slow` (the libcall). The arguments are in the outgoing
    /// area, as for a call in this module; for the call they are copied
    /// into an area taken below it (large enough for any callee's tail
    /// calls), and the results copied back.
    ///
    /// The target's context gets this activation's stack limit, entry
    /// stack pointer, call-depth limit and thread's activation list; its
    /// module is pushed on that list (a record above the taken area: a
    /// fault in its code is then found by the signal handler) and popped
    /// after the call. A trap in the target unwinds to
    /// the entry trampoline as one in this module would (the entry restores
    /// its own context). After the call this context is refreshed if the
    /// callee changed the store's layout, as a libcall's return would.
    fn direct_import_call(&mut self, func: u32, ty: &FuncType, slow: Label) {
        use Gpr::{Rax, Rcx, Rdi, Rdx, Rsp, R8};
        let (params, results) = (cells_size(ty.params()), cells_size(ty.results()));
        self.out_bytes = self.out_bytes.max(params.max(results));
        // Taken below the frame only while the call runs (reserved in the
        // frame, it made every frame with an import call 288 bytes larger,
        // host imports' too, and recursion through them 4x shallower):
        // the callee's argument area, as large as any callee's tail calls
        // may write, then the record `(module, previous activation, this
        // context)`.
        let area = params.max(results).max(TAIL_AREA_MAX).next_multiple_of(16);
        let extra = (area + 32) as i32;
        let rec = area as i32;
        let slot = func as i32 * vm::IMPORT_SLOT_SIZE;
        let fresh = self.s.asm.new_label();
        let a = self.asm();
        a.mov_rm(Size::S64, Rax, Mem::base(VMCTX, vm::IMPORTS));
        a.mov_rm(Size::S64, Rdx, Mem::base(Rax, slot + vm::IMPORT_SLOT_VMCTX));
        a.test_rr(Size::S64, Rdx, Rdx);
        a.jcc(Cond::E, slow);
        a.mov_rm(Size::S64, Rcx, Mem::base(VMCTX, vm::GENERATION));
        a.mov_rm(Size::S64, Rcx, Mem::base(Rcx, 0));
        a.alu_rm(Alu::Cmp, Size::S64, Rcx, Mem::base(Rdx, vm::RESIZES));
        a.jcc(Cond::Ne, slow);
        a.alu_ri(Alu::Sub, Size::S64, Rsp, extra);
        for off in (0..params as i32).step_by(8) {
            a.mov_rm(Size::S64, R8, Mem::base(Rsp, extra + off));
            a.mov_mr(Size::S64, Mem::base(Rsp, off), R8);
        }
        for field in [vm::STACK_LIMIT, vm::MAX_DEPTH, vm::ENTRY_SP, vm::ACTIVE] {
            a.mov_rm(Size::S64, Rcx, Mem::base(VMCTX, field));
            a.mov_mr(Size::S64, Mem::base(Rdx, field), Rcx);
        }
        // Push the target's module on the activation list (`rcx` holds the
        // list's address).
        a.mov_rm(Size::S64, R8, Mem::base(Rdx, vm::MODULE));
        a.mov_mr(Size::S64, Mem::base(Rsp, rec), R8);
        a.mov_rm(Size::S64, R8, Mem::base(Rcx, 0));
        a.mov_mr(Size::S64, Mem::base(Rsp, rec + 8), R8);
        a.lea(Size::S64, R8, Mem::base(Rsp, rec));
        a.mov_mr(Size::S64, Mem::base(Rcx, 0), R8);
        a.mov_mr(Size::S64, Mem::base(Rsp, rec + 16), VMCTX);
        a.mov_rm(Size::S64, Rax, Mem::base(Rax, slot));
        a.mov_rr(Size::S64, VMCTX, Rdx);
        a.mov_rm(Size::S64, MEM_BASE, Mem::base(VMCTX, vm::MEM_BASE));
        a.call_r(Rax);
        self.call_site();
        let a = self.asm();
        a.mov_rm(Size::S64, VMCTX, Mem::base(Rsp, rec + 16));
        a.mov_rm(Size::S64, Rcx, Mem::base(VMCTX, vm::ACTIVE));
        a.mov_rm(Size::S64, R8, Mem::base(Rsp, rec + 8));
        a.mov_mr(Size::S64, Mem::base(Rcx, 0), R8);
        for off in (0..results as i32).step_by(8) {
            a.mov_rm(Size::S64, R8, Mem::base(Rsp, off));
            a.mov_mr(Size::S64, Mem::base(Rsp, extra + off), R8);
        }
        a.alu_ri(Alu::Add, Size::S64, Rsp, extra);
        a.mov_rm(Size::S64, Rcx, Mem::base(VMCTX, vm::GENERATION));
        a.mov_rm(Size::S64, Rcx, Mem::base(Rcx, 0));
        a.alu_rm(Alu::Cmp, Size::S64, Rcx, Mem::base(VMCTX, vm::RESIZES));
        a.jcc(Cond::E, fresh);
        a.mov_rr(Size::S64, Rdi, VMCTX);
        a.call_m(Mem::base(VMCTX, vm::REFRESH));
        a.bind(fresh);
        a.mov_rm(Size::S64, MEM_BASE, Mem::base(VMCTX, vm::MEM_BASE));
    }

    /// `return_call`: a jump to a function of this module, in constant
    /// stack space; an import is called through the host and returned
    /// from.
    fn return_call(&mut self, func: u32, ty: &FuncType) -> Result<(), Unsupported> {
        if func < self.s.num_imported {
            self.call(func, ty)?;
            self.ret();
            return Ok(());
        }
        self.call_args(ty)?;
        self.tail_args(ty, Gpr::Rax)?;
        let at = self.s.asm.jmp_extern();
        self.s
            .relocs
            .push((at, Target::Func(func - self.s.num_imported)));
        Ok(())
    }

    fn call_indirect(
        &mut self,
        ty_index: u32,
        table: u32,
        ty: &FuncType,
    ) -> Result<(), Unsupported> {
        self.call_indirect_or_tail(ty_index, table, ty, false)
    }

    /// `call_indirect`, or with `tail` `return_call_indirect`: its fast
    /// path (a function of this instance) jumps to the callee in
    /// constant stack space; the host path calls and returns. With `table`
    /// [`vm::CALL_REF`] it is `call_ref` (`return_call_ref`): the operand
    /// is a function reference, null traps, and no type is checked
    /// (validation typed the reference).
    fn call_indirect_or_tail(
        &mut self,
        ty_index: u32,
        table: u32,
        ty: &FuncType,
        tail: bool,
    ) -> Result<(), Unsupported> {
        let (index, d) = self.pop()?;
        let by_ref = table == vm::CALL_REF;
        // A 64-bit table's index is an i64; a table has fewer than 2^32
        // elements, so one clamped to u32::MAX is as far out of bounds.
        // A reference (store function + 1) fits 32 bits.
        let wide = index.ty == ValType::I64;
        let size = if wide { Size::S64 } else { Size::S32 };
        // The index stays where it is while the arguments are written (it
        // is not on the stack any more, so `call_args` does not move it).
        let index = match index.loc {
            Loc::Slot => {
                // Its slot is about to be reused: read it first.
                let m = self.slot_mem(d);
                let r = self.alloc_gpr();
                self.asm().mov_rm(size, r, m);
                Entry {
                    ty: index.ty,
                    loc: Loc::Gpr(r),
                    zx: false,
                }
            }
            _ => index,
        };
        self.call_args(ty)?;
        match index.loc {
            Loc::Gpr(r) => self.asm().mov_rr(size, Gpr::Rcx, r),
            Loc::Const(c) if wide => {
                let c = c.min(u64::from(u32::MAX));
                self.asm().mov_ri(Size::S32, Gpr::Rcx, c as u32 as i64)
            }
            Loc::Const(c) => self.asm().mov_ri(Size::S32, Gpr::Rcx, c as u32 as i64),
            Loc::Local(_) | Loc::Sum { .. } => self.load_gpr(Gpr::Rcx, index, 0),
            _ => return Err("call_indirect index".into()),
        }
        if wide && !matches!(index.loc, Loc::Const(_)) {
            let a = self.asm();
            let small = a.new_label();
            a.mov_rr(Size::S64, Gpr::Rax, Gpr::Rcx);
            a.shift_ri(Shift::Shr, Size::S64, Gpr::Rax, 32);
            a.jcc(Cond::E, small);
            a.mov_ri(Size::S32, Gpr::Rcx, i64::from(u32::MAX));
            a.bind(small);
        }
        self.free(index.loc);
        self.save_pinned();
        let done = self.asm().new_label();
        if by_ref || table == 0 {
            // The fast path: a compiled function of this instance, from the
            // store's function references (`vm::FuncRef`): for `call_ref`
            // the reference itself (null takes the host path, which
            // traps), for `call_indirect` table 0's element, of the
            // expected type. Anything else takes the host path.
            let id = match by_ref {
                true => 0,
                false => *self
                    .s
                    .type_ids
                    .get(ty_index as usize)
                    .ok_or("unknown type")?,
            };
            let a = &mut *self.s.asm;
            let slow = a.new_label();
            if by_ref {
                a.test_rr(Size::S32, Gpr::Rcx, Gpr::Rcx);
                a.jcc(Cond::E, slow);
                a.mov_rr(Size::S32, Gpr::Rax, Gpr::Rcx);
            } else {
                a.alu_rm(
                    Alu::Cmp,
                    Size::S64,
                    Gpr::Rcx,
                    Mem::base(VMCTX, vm::TABLE0_LEN),
                );
                a.jcc(Cond::Ae, slow);
                a.mov_rm(Size::S64, Gpr::Rax, Mem::base(VMCTX, vm::TABLE0));
                a.mov_rm(
                    Size::S64,
                    Gpr::Rax,
                    Mem::base_index(Gpr::Rax, Gpr::Rcx, Scale::S8, 0),
                );
                a.test_rr(Size::S64, Gpr::Rax, Gpr::Rax);
                a.jcc(Cond::E, slow);
            }
            // Raw reference r = store function + 1: its entry is at
            // func_refs + 16*r - 16.
            a.shift_ri(Shift::Shl, Size::S64, Gpr::Rax, 4);
            a.alu_rm(
                Alu::Add,
                Size::S64,
                Gpr::Rax,
                Mem::base(VMCTX, vm::FUNC_REFS),
            );
            if !by_ref {
                a.alu_mi(Alu::Cmp, Size::S32, Mem::base(Gpr::Rax, -16), id as i32);
                a.jcc(Cond::Ne, slow);
            }
            a.mov_rm(Size::S32, Gpr::Rdx, Mem::base(VMCTX, vm::INSTANCE));
            a.alu_rm(Alu::Cmp, Size::S32, Gpr::Rdx, Mem::base(Gpr::Rax, -12));
            a.jcc(Cond::Ne, slow);
            if tail {
                self.tail_args(ty, Gpr::Rdx)?;
                self.asm().jmp_m(Mem::base(Gpr::Rax, -8));
                self.asm().bind(slow);
            } else {
                a.call_m(Mem::base(Gpr::Rax, -8));
                self.call_site();
                self.reload_mem_base();
                let a = self.asm();
                a.jmp_label(done);
                a.bind(slow);
            }
        }
        self.sync_depth();
        let a = self.asm();
        a.mov_rr(Size::S64, Gpr::Rdi, VMCTX);
        a.mov_ri(Size::S32, Gpr::Rsi, i64::from(ty_index));
        a.mov_ri(Size::S32, Gpr::Rdx, i64::from(table));
        a.mov_rr(Size::S64, Gpr::R8, Gpr::Rsp);
        a.call_m(Mem::base(VMCTX, vm::CALL_INDIRECT));
        self.call_site();
        self.after_host_call();
        self.asm().bind(done);
        self.reload_pinned();
        self.call_results(ty);
        if tail {
            self.ret();
        } else {
            self.start_fuel_region();
        }
        Ok(())
    }

    /// A table, reference or segment instruction, run by the host
    /// (`vm::host_op`): its `args` operands go through the outgoing area,
    /// its result (if `result`) comes back in the first slot.
    fn host_op(
        &mut self,
        op: vm::HostOp,
        imm: (u32, u32),
        args: usize,
        result: Option<ValType>,
    ) -> Result<(), Unsupported> {
        // Which operands are `i64`s (a 64-bit memory's or table's), as
        // `vm::host_op` reads them: bit `16 + i` of the operation.
        let first = self
            .stack
            .len()
            .checked_sub(args)
            .ok_or("missing operands")?;
        let wide = self.stack[first..]
            .iter()
            .enumerate()
            .filter(|(_, e)| e.ty == ValType::I64)
            .fold(0u32, |w, (i, _)| w | 1 << (16 + i));
        self.outgoing(
            (0..args as i32).map(|i| 8 * i),
            8 * args.max(usize::from(result.is_some())),
        )?;
        self.save_pinned();
        self.sync_depth();
        let a = self.asm();
        a.mov_rr(Size::S64, Gpr::Rdi, VMCTX);
        a.mov_ri(Size::S32, Gpr::Rsi, i64::from(op as u32 | wide));
        a.mov_ri(Size::S32, Gpr::Rdx, i64::from(imm.0));
        a.mov_ri(Size::S32, Gpr::Rcx, i64::from(imm.1));
        a.mov_rr(Size::S64, Gpr::R8, Gpr::Rsp);
        a.call_m(Mem::base(VMCTX, vm::HOST_OP));
        self.call_site();
        self.reload_pinned();
        self.after_host_call();
        if let Some(t) = result {
            let r = self.alloc_gpr();
            self.asm().mov_rm(Size::S64, r, Mem::base(Gpr::Rsp, 0));
            self.push(t, Loc::Gpr(r));
        }
        Ok(())
    }

    // ---- memory --------------------------------------------------------

    /// Checks an access of `size` bytes at the popped address plus
    /// `offset` and returns its operand (`[r14 + rax + disp]`).
    fn address(&mut self, m: MemArg, size: u32) -> Result<Mem, Unsupported> {
        self.address_with(m, size, false)
    }

    /// [`address`](Self::address) for a load or store of a general
    /// register that writes no register between this and the access
    /// (`index_ok`): an address in an operand register known to be
    /// zero-extended (`Entry::zx`) is then the index as it is, and that
    /// register is free again already (the access may write it, as a
    /// load's result).
    fn address_with(&mut self, m: MemArg, size: u32, index_ok: bool) -> Result<Mem, Unsupported> {
        if self.memory64(m.memory) {
            return self.address64(m, size);
        }
        if m.memory != 0 {
            return self.address_in(m, size);
        }
        let (e, d) = self.pop()?;
        match e.loc {
            // A constant address below 2 GiB is the displacement itself:
            // `[r14 + ea]`, checked (without guard regions) against an
            // immediate.
            Loc::Const(c)
                if u64::from(c as u32) + m.offset + u64::from(size) <= i32::MAX as u64 =>
            {
                let ea = u64::from(c as u32) + m.offset;
                let end = ea + u64::from(size);
                if !self.guard {
                    let oob = self.trap_site(Code::MemoryOutOfBounds);
                    let a = self.asm();
                    a.alu_mi(
                        Alu::Cmp,
                        Size::S64,
                        Mem::base(VMCTX, vm::MEM_LEN),
                        end as i32,
                    );
                    a.jcc(Cond::B, oob);
                } else {
                    self.fault_start = Some(self.s.asm.offset());
                }
                return Ok(Mem::base(MEM_BASE, ea as i32));
            }
            _ => {}
        }
        // A register pinned to an `i32` local holds it zero-extended
        // (every write to one is 32-bit: `load_pinned_gpr`, the
        // prologue, `reload_pinned`), so it indexes the access as it is; anything
        // else is zero-extended into `rax` first.
        let (index, offset) = match (self.pinned_gpr(e), e.loc) {
            (Some(r), _) if e.ty == ValType::I32 => (r, m.offset),
            (_, Loc::Gpr(r)) if index_ok && e.zx && e.ty == ValType::I32 => {
                self.free(e.loc);
                (r, m.offset)
            }
            _ => (Gpr::Rax, self.address_to_rax(e, d, m.offset)),
        };
        let end = offset + u64::from(size);
        // With guard regions an access needs no check when it cannot
        // reach past the reservation: a constant address's end within it,
        // any other's static offset and size within the guard. What
        // follows (up to the next instruction) is the access, whose fault
        // the handler turns into this trap.
        let unchecked = match e.loc {
            Loc::Const(_) => end <= crate::linear::RESERVATION as u64,
            _ => end <= crate::linear::GUARD_SIZE as u64,
        };
        if self.guard && unchecked {
            self.fault_start = Some(self.s.asm.offset());
            return Ok(Mem::base_index(MEM_BASE, index, Scale::S1, offset as i32));
        }
        let oob = self.trap_site(Code::MemoryOutOfBounds);
        let a = self.asm();
        if end <= i32::MAX as u64 {
            a.lea(Size::S64, Gpr::Rcx, Mem::base(index, end as i32));
        } else {
            a.mov_ri(Size::S64, Gpr::Rcx, end as i64);
            a.alu_rr(Alu::Add, Size::S64, Gpr::Rcx, index);
        }
        a.alu_rm(Alu::Cmp, Size::S64, Gpr::Rcx, Mem::base(VMCTX, vm::MEM_LEN));
        a.jcc(Cond::A, oob);
        if offset <= i32::MAX as u64 {
            Ok(Mem::base_index(MEM_BASE, index, Scale::S1, offset as i32))
        } else {
            a.lea(Size::S64, Gpr::Rax, Mem::base(Gpr::Rcx, -(size as i32)));
            Ok(Mem::base_index(MEM_BASE, Gpr::Rax, Scale::S1, 0))
        }
    }

    /// Puts the access's address (the popped operand `e`, zero-extended)
    /// in `rax`; returns the static offset still to add (0 when a constant
    /// address has it folded in).
    fn address_to_rax(&mut self, e: Entry, d: usize, offset: u64) -> u64 {
        match e.loc {
            Loc::Const(c) => {
                let ea = u64::from(c as u32) + offset;
                self.asm().mov_ri(Size::S64, Gpr::Rax, ea as i64);
                return 0;
            }
            Loc::Gpr(r) => {
                self.asm().mov_rr(Size::S32, Gpr::Rax, r);
                self.free(e.loc);
            }
            _ if self.pinned_gpr(e).is_some() => {
                let r = self.pinned_gpr(e).expect("a pinned local");
                self.asm().mov_rr(Size::S32, Gpr::Rax, r);
            }
            // A 32-bit `lea`: the sum wraps and is zero-extended.
            Loc::Sum { .. } => self.load_gpr(Gpr::Rax, e, d),
            _ => match self.mem_of(e, d) {
                Some(src) => self.asm().mov_rm(Size::S32, Gpr::Rax, src),
                None => {
                    self.load_gpr(Gpr::Rax, e, d);
                    self.asm().mov_rr(Size::S32, Gpr::Rax, Gpr::Rax);
                }
            },
        }
        offset
    }

    /// Whether memory `k` of the module is 64-bit.
    fn memory64(&self, k: u32) -> bool {
        self.module
            .memories
            .get(k as usize)
            .is_some_and(|m| m.memory64)
    }

    /// The address type of memory `k`.
    fn memory_index_type(&self, k: u32) -> ValType {
        self.module
            .memories
            .get(k as usize)
            .map_or(ValType::I32, |m| m.index_type())
    }

    /// The index type of table `t`.
    fn table_index_type(&self, t: u32) -> ValType {
        self.module
            .tables
            .get(t as usize)
            .map_or(ValType::I32, |t| t.index_type())
    }

    /// [`address`](Self::address) in a 64-bit memory: the popped `i64`
    /// plus the offset, checked explicitly whatever the bounds strategy
    /// (guard regions cover 32-bit addresses only), the sum's carry
    /// included; returns `[base + rax]` with the memory's base in `r14`
    /// (memory 0) or `rcx` (`rdx`, which stores use after the address,
    /// stays free).
    fn address64(&mut self, m: MemArg, size: u32) -> Result<Mem, Unsupported> {
        let (e, d) = self.pop()?;
        self.load_gpr(Gpr::Rax, e, d);
        self.free(e.loc);
        let oob = self.trap_site(Code::MemoryOutOfBounds);
        let Some(end) = m.offset.checked_add(u64::from(size)) else {
            // Past any address: always out of bounds.
            self.asm().jmp_label(oob);
            return Ok(Mem::base_index(MEM_BASE, Gpr::Rax, Scale::S1, 0));
        };
        let a = self.asm();
        a.mov_ri(Size::S64, Gpr::Rcx, end as i64);
        a.alu_rr(Alu::Add, Size::S64, Gpr::Rcx, Gpr::Rax);
        a.jcc(Cond::B, oob);
        let base = if m.memory == 0 {
            a.alu_rm(Alu::Cmp, Size::S64, Gpr::Rcx, Mem::base(VMCTX, vm::MEM_LEN));
            a.jcc(Cond::A, oob);
            MEM_BASE
        } else {
            let slot = mem_slot(m.memory)?;
            let a = self.asm();
            a.mov_rm(Size::S64, Gpr::Rdx, Mem::base(VMCTX, vm::MEMORIES));
            a.alu_rm(
                Alu::Cmp,
                Size::S64,
                Gpr::Rcx,
                Mem::base(Gpr::Rdx, slot + vm::MEM_SLOT_LEN),
            );
            a.jcc(Cond::A, oob);
            Gpr::Rcx
        };
        let a = self.asm();
        a.lea(Size::S64, Gpr::Rax, Mem::base(Gpr::Rcx, -(size as i32)));
        if base == Gpr::Rcx {
            let slot = mem_slot(m.memory)?;
            self.asm()
                .mov_rm(Size::S64, Gpr::Rcx, Mem::base(Gpr::Rdx, slot));
        }
        Ok(Mem::base_index(base, Gpr::Rax, Scale::S1, 0))
    }

    /// [`address`](Self::address) in a memory other than memory 0: its
    /// base and length from the context's memory table, checked
    /// explicitly in both bounds strategies; returns `[rcx + rax + disp]`
    /// (`rdx`, which loads and stores use after the address, stays free).
    fn address_in(&mut self, m: MemArg, size: u32) -> Result<Mem, Unsupported> {
        let (e, d) = self.pop()?;
        let offset = self.address_to_rax(e, d, m.offset);
        let end = offset + u64::from(size);
        let slot = mem_slot(m.memory)?;
        let oob = self.trap_site(Code::MemoryOutOfBounds);
        let a = self.asm();
        a.mov_rm(Size::S64, Gpr::Rdx, Mem::base(VMCTX, vm::MEMORIES));
        if end <= i32::MAX as u64 {
            a.lea(Size::S64, Gpr::Rcx, Mem::base(Gpr::Rax, end as i32));
        } else {
            a.mov_ri(Size::S64, Gpr::Rcx, end as i64);
            a.alu_rr(Alu::Add, Size::S64, Gpr::Rcx, Gpr::Rax);
        }
        a.alu_rm(
            Alu::Cmp,
            Size::S64,
            Gpr::Rcx,
            Mem::base(Gpr::Rdx, slot + vm::MEM_SLOT_LEN),
        );
        a.jcc(Cond::A, oob);
        let disp = if offset <= i32::MAX as u64 {
            offset as i32
        } else {
            a.lea(Size::S64, Gpr::Rax, Mem::base(Gpr::Rcx, -(size as i32)));
            0
        };
        a.mov_rm(Size::S64, Gpr::Rcx, Mem::base(Gpr::Rdx, slot));
        Ok(Mem::base_index(Gpr::Rcx, Gpr::Rax, Scale::S1, disp))
    }

    fn load(&mut self, op: Opcode, m: MemArg) -> Result<(), Unsupported> {
        use Opcode as O;
        let (ty, size) = match op {
            O::I32Load => (ValType::I32, 4),
            O::I64Load => (ValType::I64, 8),
            O::F32Load => (ValType::F32, 4),
            O::F64Load => (ValType::F64, 8),
            O::I32Load8S | O::I32Load8U => (ValType::I32, 1),
            O::I32Load16S | O::I32Load16U => (ValType::I32, 2),
            O::I64Load8S | O::I64Load8U => (ValType::I64, 1),
            O::I64Load16S | O::I64Load16U => (ValType::I64, 2),
            _ => (ValType::I64, 4),
        };
        let mem = self.address_with(m, size, true)?;
        if is_float(ty) {
            let x = self.alloc_xmm();
            let sse = if ty == ValType::F32 {
                Sse::Movss
            } else {
                Sse::Movsd
            };
            self.asm().sse_rm(sse, x, mem);
            self.push(ty, Loc::Xmm(x));
            return Ok(());
        }
        let r = self.alloc_gpr();
        let start = self.s.asm.offset();
        int_load(self.asm(), op, r, mem);
        self.last_load = Some(LastLoad {
            op,
            mem,
            dst: r,
            start,
            end: self.s.asm.offset(),
            faults: self.s.faults.len(),
        });
        // Every `i32` load writes the 32-bit register (zero-extending).
        if ty == ValType::I32 {
            self.push_zx(r);
        } else {
            self.push(ty, Loc::Gpr(r));
        }
        Ok(())
    }

    fn store(&mut self, op: Opcode, m: MemArg) -> Result<(), Unsupported> {
        use Opcode as O;
        let size = match op {
            O::I32Store8 | O::I64Store8 => Size::S8,
            O::I32Store16 | O::I64Store16 => Size::S16,
            O::I32Store | O::F32Store | O::I64Store32 => Size::S32,
            _ => Size::S64,
        };
        let bytes = match size {
            Size::S8 => 1,
            Size::S16 => 2,
            Size::S32 => 4,
            Size::S64 => 8,
        };
        let (v, vd) = self.pop()?;
        // The value must survive the address computation (which uses rax,
        // rcx): put it in an allocated register.
        let val = if is_float(v.ty) {
            Loc::Xmm(self.xmm_of(v, vd))
        } else if let Loc::Const(c) = v.loc {
            Loc::Const(c)
        } else {
            Loc::Gpr(self.gpr_of(v, vd))
        };
        let mem = self.address_with(m, bytes, true)?;
        match val {
            Loc::Xmm(x) => {
                let sse = if size == Size::S32 {
                    Sse::Movss
                } else {
                    Sse::Movsd
                };
                self.asm().sse_mr(sse, mem, x);
            }
            Loc::Const(c) => {
                let imm = match size {
                    Size::S8 => c as u8 as i8 as i32,
                    Size::S16 => c as u16 as i16 as i32,
                    Size::S32 => c as u32 as i32,
                    Size::S64 => match i32::try_from(c as i64) {
                        Ok(v) => v,
                        Err(_) => {
                            let a = self.asm();
                            a.mov_ri(Size::S64, Gpr::Rdx, c as i64);
                            a.mov_mr(Size::S64, mem, Gpr::Rdx);
                            return Ok(());
                        }
                    },
                };
                self.asm().mov_mi(size, mem, imm);
            }
            Loc::Gpr(r) => self.asm().mov_mr(size, mem, r),
            _ => {}
        }
        self.free(val);
        Ok(())
    }

    /// Calls a memory libcall at `offset` in the `VMContext` with `rdi` =
    /// the `VMContext` and the popped operands in `rsi`, `rdx`, `rcx`;
    /// pushes `eax` as an `i32` result if `result`, else checks it as a
    /// status.
    fn memory_libcall(&mut self, slot: i32, args: usize, result: bool) -> Result<(), Unsupported> {
        const ARGS: [Gpr; 3] = [Gpr::Rsi, Gpr::Rdx, Gpr::Rcx];
        let first = self
            .stack
            .len()
            .checked_sub(args)
            .ok_or("missing operands")?;
        let ops: Vec<Entry> = self.stack[first..].to_vec();
        // Read the operands into rsi/rdx/rcx (all of them are spilled to
        // slots first, so no allocated register is clobbered).
        self.spill_all();
        for (i, _) in ops.iter().enumerate() {
            let m = self.slot_mem(first + i);
            self.asm().mov_rm(Size::S32, ARGS[i], m);
        }
        self.set_dead_to(first);
        self.save_pinned();
        self.sync_depth();
        let a = self.asm();
        a.mov_rr(Size::S64, Gpr::Rdi, VMCTX);
        a.call_m(Mem::base(VMCTX, slot));
        self.call_site();
        self.reload_pinned();
        if result {
            self.reload_mem_base();
            let r = self.alloc_gpr();
            self.asm().mov_rr(Size::S32, r, Gpr::Rax);
            self.push(ValType::I32, Loc::Gpr(r));
        } else {
            self.after_host_call();
        }
        Ok(())
    }

    // ---- numbers -------------------------------------------------------

    fn int_binop(&mut self, ty: ValType, op: Alu) -> Result<(), Unsupported> {
        let s = size_of(ty);
        let (b, bd) = self.pop()?;
        let (a, ad) = self.pop()?;
        if let Some(sum) = self.sum_of(op, a, b) {
            self.push(ty, sum);
            return Ok(());
        }
        let ra = self.gpr_of(a, ad);
        // x + 0, x - 0, x | 0, x ^ 0: x.
        let identity =
            b.loc == Loc::Const(0) && matches!(op, Alu::Add | Alu::Sub | Alu::Or | Alu::Xor);
        if !identity {
            self.alu_with(op, s, ra, b, bd);
            // A 32-bit operation wrote `ra` (zero-extending).
            if ty == ValType::I32 {
                self.push_zx(ra);
                return Ok(());
            }
        }
        self.push(ty, Loc::Gpr(ra));
        Ok(())
    }

    /// `a op b` as a sum of pinned locals and a constant (`Loc::Sum`), if
    /// it is one: additions of such locals and constants, subtractions of
    /// constants (the constant must be a 32-bit displacement).
    fn sum_of(&self, op: Alu, a: Entry, b: Entry) -> Option<Loc> {
        let disp = |c: u64| -> Option<i32> {
            if a.ty == ValType::I32 {
                Some(c as u32 as i32)
            } else {
                i32::try_from(c as i64).ok()
            }
        };
        let gpr = |e: Entry| match e.loc {
            Loc::Local(i) if self.in_gpr(i) => Some(i),
            _ => None,
        };
        let (a, b) = match (op, a.loc, b.loc) {
            (Alu::Add, Loc::Const(_), _) => (b, a),
            (Alu::Add | Alu::Sub, _, _) => (a, b),
            _ => return None,
        };
        let neg = |k: i32| {
            if op == Alu::Sub {
                k.checked_neg()
            } else {
                Some(k)
            }
        };
        match (a.loc, b.loc) {
            (Loc::Local(_), Loc::Const(c)) => {
                let k = neg(disp(c)?)?;
                (k != 0).then_some(Loc::Sum {
                    a: gpr(a)?,
                    b: None,
                    k,
                })
            }
            (Loc::Sum { a: x, b: y, k }, Loc::Const(c)) => {
                let k = if a.ty == ValType::I32 {
                    k.wrapping_add(neg(disp(c)?)?)
                } else {
                    k.checked_add(neg(disp(c)?)?)?
                };
                Some(Loc::Sum { a: x, b: y, k })
            }
            (Loc::Local(_), Loc::Local(_)) if op == Alu::Add => Some(Loc::Sum {
                a: gpr(a)?,
                b: Some(gpr(b)?),
                k: 0,
            }),
            (Loc::Sum { a: x, b: None, k }, Loc::Local(_)) if op == Alu::Add => Some(Loc::Sum {
                a: x,
                b: Some(gpr(b)?),
                k,
            }),
            _ => None,
        }
    }

    /// `op ra, b` with `b` as an immediate, a memory operand, a pinned
    /// local's register or a register of its own (freed after).
    fn alu_with(&mut self, op: Alu, s: Size, ra: Gpr, b: Entry, bd: usize) {
        match b.loc {
            Loc::Const(c) if i32::try_from(c as i64).is_ok() || s == Size::S32 => {
                self.asm().alu_ri(op, s, ra, c as i64 as i32)
            }
            _ if self.mem_of(b, bd).is_some() => {
                let m = self.mem_of(b, bd).expect("a memory operand");
                self.asm().alu_rm(op, s, ra, m)
            }
            _ if self.pinned_gpr(b).is_some() => {
                let rb = self.pinned_gpr(b).expect("a pinned local");
                self.asm().alu_rr(op, s, ra, rb)
            }
            _ => {
                let rb = self.gpr_of(b, bd);
                self.asm().alu_rr(op, s, ra, rb);
                self.free(Loc::Gpr(rb));
            }
        }
    }

    fn int_compare(&mut self, ty: ValType, cond: Cond) -> Result<(), Unsupported> {
        let s = size_of(ty);
        let (b, bd) = self.pop()?;
        let (a, ad) = self.pop()?;
        // A comparison only reads its first operand: a pinned local's
        // register serves as it is.
        let pinned = self.pinned_gpr(a);
        let ra = match pinned {
            Some(r) => r,
            None => self.gpr_of(a, ad),
        };
        self.alu_with(Alu::Cmp, s, ra, b, bd);
        if pinned.is_none() {
            self.free(Loc::Gpr(ra));
        }
        self.push(ValType::I32, Loc::Cond(cond));
        Ok(())
    }

    fn shift(&mut self, ty: ValType, op: Shift) -> Result<(), Unsupported> {
        let s = size_of(ty);
        let (b, bd) = self.pop()?;
        let (a, ad) = self.pop()?;
        let ra = self.gpr_of(a, ad);
        if let Loc::Const(c) = b.loc {
            let mask = if s == Size::S32 { 31 } else { 63 };
            self.asm().shift_ri(op, s, ra, (c & mask) as u8);
            // A 32-bit shift by a count other than 0 wrote `ra`
            // (zero-extending; one by 0 is not relied on to).
            if ty == ValType::I32 && c & mask != 0 {
                self.push_zx(ra);
                return Ok(());
            }
        } else {
            self.load_gpr(Gpr::Rcx, b, bd);
            self.free(b.loc);
            self.asm().shift_cl(op, s, ra);
        }
        self.push(ty, Loc::Gpr(ra));
        Ok(())
    }

    fn unop_gpr(
        &mut self,
        ty: ValType,
        f: impl FnOnce(&mut Assembler, Size, Gpr),
    ) -> Result<(), Unsupported> {
        let r = self.pop_gpr()?;
        f(self.asm(), size_of(ty), r);
        self.push(ty, Loc::Gpr(r));
        Ok(())
    }

    /// `div`/`rem`: operands in rax and a register, with the checks wasm
    /// needs before the instruction.
    fn divrem(&mut self, ty: ValType, signed: bool, rem: bool) -> Result<(), Unsupported> {
        let s = size_of(ty);
        let (b, bd) = self.pop()?;
        let (a, ad) = self.pop()?;
        let rb = self.gpr_of(b, bd);
        self.load_gpr(Gpr::Rax, a, ad);
        self.free(a.loc);
        let zero = self.trap_site(Code::IntegerDivisionByZero);
        let asm = self.asm();
        asm.test_rr(s, rb, rb);
        asm.jcc(Cond::E, zero);
        let done = asm.new_label();
        if signed {
            // INT_MIN / -1 overflows (div traps, rem is 0).
            let normal = asm.new_label();
            asm.alu_ri(Alu::Cmp, s, rb, -1);
            asm.jcc(Cond::Ne, normal);
            if rem {
                asm.alu_rr(Alu::Xor, Size::S32, Gpr::Rdx, Gpr::Rdx);
                asm.jmp_label(done);
            } else {
                let overflow = self.trap_site(Code::IntegerOverflow);
                let asm = self.asm();
                if s == Size::S32 {
                    asm.alu_ri(Alu::Cmp, s, Gpr::Rax, i32::MIN);
                } else {
                    asm.mov_ri(Size::S64, Gpr::Rdx, i64::MIN);
                    asm.alu_rr(Alu::Cmp, s, Gpr::Rax, Gpr::Rdx);
                }
                asm.jcc(Cond::E, overflow);
            }
            let asm = self.asm();
            asm.bind(normal);
            if s == Size::S32 {
                asm.cdq();
            } else {
                asm.cqo();
            }
            asm.idiv_r(s, rb);
        } else {
            asm.alu_rr(Alu::Xor, Size::S32, Gpr::Rdx, Gpr::Rdx);
            asm.div_r(s, rb);
        }
        let asm = self.asm();
        asm.bind(done);
        asm.mov_rr(s, rb, if rem { Gpr::Rdx } else { Gpr::Rax });
        self.push(ty, Loc::Gpr(rb));
        Ok(())
    }

    fn float_binop(&mut self, ty: ValType, op32: Sse, op64: Sse) -> Result<(), Unsupported> {
        let op = if ty == ValType::F32 { op32 } else { op64 };
        if self.avx2 {
            return self.vex_binop(op, ty, false);
        }
        let (b, bd) = self.pop()?;
        let (a, ad) = self.pop()?;
        let xa = self.xmm_of(a, ad);
        // The second operand where it is: a pinned local's register, a
        // constant in the pool, a slot.
        if let Loc::Local(i) = b.loc {
            if let Some(Pin::Xmm(x)) = self.pin(i) {
                self.asm().sse_rr(op, xa, x);
                self.push(ty, Loc::Xmm(xa));
                return Ok(());
            }
        }
        let operand = match b.loc {
            Loc::Const(c) => {
                let mut bytes = [0; 16];
                bytes[..8].copy_from_slice(&c.to_le_bytes());
                Some(self.const16(bytes))
            }
            _ => self.mem_of(b, bd),
        };
        match operand {
            // A 4-byte `ss` read of an 8-byte slot reads the value's bits.
            Some(m) => self.asm().sse_rm(op, xa, m),
            None => {
                let xb = self.xmm_of(b, bd);
                self.asm().sse_rr(op, xa, xb);
                self.free(Loc::Xmm(xb));
            }
        }
        self.push(ty, Loc::Xmm(xa));
        Ok(())
    }

    /// An operand that an instruction reads but does not write: a pinned
    /// local's register as it is, or a register of its own (`true`).
    pub(super) fn xmm_read(&mut self, e: Entry, depth: usize) -> (Xmm, bool) {
        if let Loc::Local(i) = e.loc {
            if let Some(Pin::Xmm(p)) = self.pin(i) {
                return (p, false);
            }
        }
        (self.xmm_of(e, depth), true)
    }

    /// `op` on the top two operands in its AVX form, `dst = a op b` (`b op
    /// a` if `swap`): no operand is copied to keep it, the second may
    /// stay in memory (a slot, a local, a scalar constant: VEX memory
    /// operands need no alignment), and the result takes a register
    /// either operand frees.
    pub(super) fn vex_binop(
        &mut self,
        op: Sse,
        ty: ValType,
        swap: bool,
    ) -> Result<(), Unsupported> {
        let (b, bd) = self.pop()?;
        let (a, ad) = self.pop()?;
        let ((first, fd), (second, sd)) = if swap {
            ((b, bd), (a, ad))
        } else {
            ((a, ad), (b, bd))
        };
        let (x1, own1) = self.xmm_read(first, fd);
        let mem = match second.loc {
            Loc::Const(c) if ty != ValType::V128 => {
                let mut bytes = [0; 16];
                bytes[..8].copy_from_slice(&c.to_le_bytes());
                Some(self.const16(bytes))
            }
            _ => self.mem_of(second, sd),
        };
        let dst;
        match mem {
            // A 4-byte `ss` read of an 8-byte slot reads the value's bits.
            Some(m) => {
                dst = if own1 { x1 } else { self.alloc_xmm() };
                self.asm().vex_rrm(op, dst, x1, m);
            }
            None => {
                let (x2, own2) = self.xmm_read(second, sd);
                dst = match (own1, own2) {
                    (true, _) => x1,
                    (false, true) => x2,
                    (false, false) => self.alloc_xmm(),
                };
                self.asm().vex_rrr(op, dst, x1, x2);
                if own1 && own2 {
                    self.free(Loc::Xmm(x2));
                }
            }
        }
        self.push(ty, Loc::Xmm(dst));
        Ok(())
    }

    /// `min`/`max` with wasm's NaN and signed-zero rules.
    fn float_minmax(&mut self, ty: ValType, max: bool) -> Result<(), Unsupported> {
        let xb = self.pop_xmm()?;
        let xa = self.pop_xmm()?;
        let f32 = ty == ValType::F32;
        let a = self.asm();
        let (nan, equal, done) = (a.new_label(), a.new_label(), a.new_label());
        a.sse_rr(if f32 { Sse::Ucomiss } else { Sse::Ucomisd }, xa, xb);
        a.jcc(Cond::P, nan);
        a.jcc(Cond::E, equal);
        let op = match (f32, max) {
            (true, false) => Sse::Minss,
            (true, true) => Sse::Maxss,
            (false, false) => Sse::Minsd,
            (false, true) => Sse::Maxsd,
        };
        a.sse_rr(op, xa, xb);
        a.jmp_label(done);
        a.bind(equal);
        // Equal: only the signs of zeros can differ. min ORs them (-0 wins),
        // max ANDs them (+0 wins).
        a.sse_rr(if max { Sse::Andps } else { Sse::Orps }, xa, xb);
        a.jmp_label(done);
        a.bind(nan);
        a.sse_rr(if f32 { Sse::Addss } else { Sse::Addsd }, xa, xb);
        a.bind(done);
        self.free(Loc::Xmm(xb));
        self.push(ty, Loc::Xmm(xa));
        Ok(())
    }

    fn float_compare(&mut self, ty: ValType, op: Opcode) -> Result<(), Unsupported> {
        use Opcode as O;
        let xb = self.pop_xmm()?;
        let xa = self.pop_xmm()?;
        let u = if ty == ValType::F32 {
            Sse::Ucomiss
        } else {
            Sse::Ucomisd
        };
        // The ordered comparisons are one flag test (unordered clears
        // "above"/"above or equal"): left in the flags.
        let ordered = match op {
            O::F32Lt | O::F64Lt => Some((xb, xa, Cond::A)),
            O::F32Le | O::F64Le => Some((xb, xa, Cond::Ae)),
            O::F32Gt | O::F64Gt => Some((xa, xb, Cond::A)),
            O::F32Ge | O::F64Ge => Some((xa, xb, Cond::Ae)),
            _ => None,
        };
        if let Some((l, r, c)) = ordered {
            self.asm().sse_rr(u, l, r);
            self.free(Loc::Xmm(xa));
            self.free(Loc::Xmm(xb));
            self.push(ValType::I32, Loc::Cond(c));
            return Ok(());
        }
        let r = self.alloc_gpr();
        let u = if ty == ValType::F32 {
            Sse::Ucomiss
        } else {
            Sse::Ucomisd
        };
        let a = self.asm();
        match op {
            O::F32Eq | O::F64Eq => {
                a.sse_rr(u, xa, xb);
                a.setcc(Cond::E, r);
                a.setcc(Cond::Np, Gpr::Rax);
                a.alu_rr(Alu::And, Size::S32, r, Gpr::Rax);
            }
            O::F32Ne | O::F64Ne => {
                a.sse_rr(u, xa, xb);
                a.setcc(Cond::Ne, r);
                a.setcc(Cond::P, Gpr::Rax);
                a.alu_rr(Alu::Or, Size::S32, r, Gpr::Rax);
            }
            O::F32Lt | O::F64Lt => {
                a.sse_rr(u, xb, xa);
                a.setcc(Cond::A, r);
            }
            O::F32Le | O::F64Le => {
                a.sse_rr(u, xb, xa);
                a.setcc(Cond::Ae, r);
            }
            O::F32Gt | O::F64Gt => {
                a.sse_rr(u, xa, xb);
                a.setcc(Cond::A, r);
            }
            _ => {
                a.sse_rr(u, xa, xb);
                a.setcc(Cond::Ae, r);
            }
        }
        a.movzx_rr(Size::S32, r, Size::S8, r);
        self.free(Loc::Xmm(xa));
        self.free(Loc::Xmm(xb));
        self.push(ValType::I32, Loc::Gpr(r));
        Ok(())
    }

    /// `abs`, `neg`, `copysign` on the bits in a general register.
    fn float_bits(&mut self, ty: ValType, op: Opcode) -> Result<(), Unsupported> {
        use Opcode as O;
        let f32 = ty == ValType::F32;
        let s = size_of(ty);
        let sign: i64 = if f32 { 0x8000_0000 } else { i64::MIN };
        if matches!(op, O::F32Copysign | O::F64Copysign) {
            let xb = self.pop_xmm()?;
            let xa = self.pop_xmm()?;
            let a = self.asm();
            a.movd_rx(s, Gpr::Rax, xa);
            a.movd_rx(s, Gpr::Rcx, xb);
            a.mov_ri(s, Gpr::Rdx, !sign);
            a.alu_rr(Alu::And, s, Gpr::Rax, Gpr::Rdx);
            a.not_r(s, Gpr::Rdx);
            a.alu_rr(Alu::And, s, Gpr::Rcx, Gpr::Rdx);
            a.alu_rr(Alu::Or, s, Gpr::Rax, Gpr::Rcx);
            a.movd_xr(s, xa, Gpr::Rax);
            self.free(Loc::Xmm(xb));
            self.push(ty, Loc::Xmm(xa));
            return Ok(());
        }
        let xa = self.pop_xmm()?;
        let a = self.asm();
        a.movd_rx(s, Gpr::Rax, xa);
        if matches!(op, O::F32Abs | O::F64Abs) {
            a.mov_ri(s, Gpr::Rcx, !sign);
            a.alu_rr(Alu::And, s, Gpr::Rax, Gpr::Rcx);
        } else {
            a.mov_ri(s, Gpr::Rcx, sign);
            a.alu_rr(Alu::Xor, s, Gpr::Rax, Gpr::Rcx);
        }
        a.movd_xr(s, xa, Gpr::Rax);
        self.push(ty, Loc::Xmm(xa));
        Ok(())
    }

    fn float_unop(&mut self, ty: ValType, op: Opcode) -> Result<(), Unsupported> {
        use Opcode as O;
        let f32 = ty == ValType::F32;
        let x = self.pop_xmm()?;
        let a = self.asm();
        let round = |mode: u8| {
            if f32 {
                (SseImm::Roundss, mode)
            } else {
                (SseImm::Roundsd, mode)
            }
        };
        // Rounding modes with the precision exception suppressed (bit 3).
        let r = match op {
            O::F32Ceil | O::F64Ceil => Some(round(0b1010)),
            O::F32Floor | O::F64Floor => Some(round(0b1001)),
            O::F32Trunc | O::F64Trunc => Some(round(0b1011)),
            O::F32Nearest | O::F64Nearest => Some(round(0b1000)),
            _ => None,
        };
        match r {
            Some((op, mode)) => a.sse_rri(op, x, x, mode),
            None => a.sse_rr(if f32 { Sse::Sqrtss } else { Sse::Sqrtsd }, x, x),
        }
        self.push(ty, Loc::Xmm(x));
        Ok(())
    }

    /// Loads the float constant `bits` (of `f32`'s or `f64`'s width) into `x`.
    fn float_const(&mut self, x: Xmm, f32: bool, bits: u64) {
        let a = self.asm();
        a.mov_ri(Size::S64, Gpr::Rax, bits as i64);
        a.movd_xr(if f32 { Size::S32 } else { Size::S64 }, x, Gpr::Rax);
    }

    /// Float to integer, trapping (`sat` false) or saturating.
    fn truncate(&mut self, op: Opcode, sat: bool) -> Result<(), Unsupported> {
        use Opcode as O;
        let (from64, to64, signed) = match op {
            O::I32TruncF32S | O::I32TruncSatF32S => (false, false, true),
            O::I32TruncF32U | O::I32TruncSatF32U => (false, false, false),
            O::I32TruncF64S | O::I32TruncSatF64S => (true, false, true),
            O::I32TruncF64U | O::I32TruncSatF64U => (true, false, false),
            O::I64TruncF32S | O::I64TruncSatF32S => (false, true, true),
            O::I64TruncF32U | O::I64TruncSatF32U => (false, true, false),
            O::I64TruncF64S | O::I64TruncSatF64S => (true, true, true),
            _ => (true, true, false),
        };
        let x = self.pop_xmm()?;
        let r = self.alloc_gpr();
        let f32 = !from64;
        let bits = |v: f64| {
            if f32 {
                u64::from((v as f32).to_bits())
            } else {
                v.to_bits()
            }
        };
        // The valid range is (lo, hi): exclusive bounds, exactly
        // representable in the source type.
        let (lo, hi): (f64, f64) = match (to64, signed) {
            (false, true) => (
                if f32 { -2147483904.0 } else { -2147483649.0 },
                2147483648.0,
            ),
            (false, false) => (-1.0, 4294967296.0),
            (true, true) => (
                if f32 {
                    -9223373136366403584.0
                } else {
                    -9223372036854777856.0
                },
                9223372036854775808.0,
            ),
            (true, false) => (-1.0, 18446744073709551616.0),
        };
        let ucomi = if f32 { Sse::Ucomiss } else { Sse::Ucomisd };
        let done = self.asm().new_label();
        let (nan_l, low_l, high_l);
        if sat {
            let a = self.asm();
            nan_l = a.new_label();
            low_l = a.new_label();
            high_l = a.new_label();
        } else {
            nan_l = self.trap_site(Code::BadConversionToInteger);
            let ov = self.trap_site(Code::IntegerOverflow);
            low_l = ov;
            high_l = ov;
        }
        a_ucomi_checks(self, x, ucomi, f32, lo, hi, bits, nan_l, low_l, high_l);
        // In range: convert.
        let s = if to64 { Size::S64 } else { Size::S32 };
        let a = self.asm();
        let cvt = |a: &mut Assembler, s: Size, r: Gpr, x: Xmm| {
            if f32 {
                a.cvttss2si(s, r, x)
            } else {
                a.cvttsd2si(s, r, x)
            }
        };
        match (to64, signed) {
            (_, true) => cvt(a, s, r, x),
            (false, false) => cvt(a, Size::S64, r, x),
            (true, false) => {
                // Below 2^63 directly; above, convert x - 2^63 and set the
                // top bit.
                let big = a.new_label();
                let join = a.new_label();
                let two63 = bits(9223372036854775808.0);
                a.mov_ri(Size::S64, Gpr::Rax, two63 as i64);
                a.movd_xr(
                    if f32 { Size::S32 } else { Size::S64 },
                    XMM_SCRATCH0,
                    Gpr::Rax,
                );
                a.sse_rr(ucomi, x, XMM_SCRATCH0);
                a.jcc(Cond::Ae, big);
                cvt(a, Size::S64, r, x);
                a.jmp_label(join);
                a.bind(big);
                a.sse_rr(Sse::Movaps, XMM_SCRATCH1, x);
                a.sse_rr(
                    if f32 { Sse::Subss } else { Sse::Subsd },
                    XMM_SCRATCH1,
                    XMM_SCRATCH0,
                );
                cvt(a, Size::S64, r, XMM_SCRATCH1);
                a.mov_ri(Size::S64, Gpr::Rax, i64::MIN);
                a.alu_rr(Alu::Xor, Size::S64, r, Gpr::Rax);
                a.bind(join);
            }
        }
        if sat {
            let a = self.asm();
            a.jmp_label(done);
            let (min, max): (i64, i64) = match (to64, signed) {
                (false, true) => (i64::from(i32::MIN), i64::from(i32::MAX)),
                (false, false) => (0, i64::from(u32::MAX)),
                (true, true) => (i64::MIN, i64::MAX),
                (true, false) => (0, -1),
            };
            a.bind(nan_l);
            a.alu_rr(Alu::Xor, Size::S32, r, r);
            a.jmp_label(done);
            a.bind(low_l);
            a.mov_ri(s, r, min);
            a.jmp_label(done);
            a.bind(high_l);
            a.mov_ri(s, r, max);
        }
        self.asm().bind(done);
        self.free(Loc::Xmm(x));
        self.push(if to64 { ValType::I64 } else { ValType::I32 }, Loc::Gpr(r));
        Ok(())
    }

    fn convert(&mut self, op: Opcode) -> Result<(), Unsupported> {
        use Opcode as O;
        let (to32, from64, signed) = match op {
            O::F32ConvertI32S => (true, false, true),
            O::F32ConvertI32U => (true, false, false),
            O::F32ConvertI64S => (true, true, true),
            O::F32ConvertI64U => (true, true, false),
            O::F64ConvertI32S => (false, false, true),
            O::F64ConvertI32U => (false, false, false),
            O::F64ConvertI64S => (false, true, true),
            _ => (false, true, false),
        };
        let r = self.pop_gpr()?;
        let x = self.alloc_xmm();
        let a = self.asm();
        let cvt = |a: &mut Assembler, s: Size, x: Xmm, r: Gpr| {
            if to32 {
                a.cvtsi2ss(s, x, r)
            } else {
                a.cvtsi2sd(s, x, r)
            }
        };
        a.sse_rr(Sse::Xorps, x, x);
        match (from64, signed) {
            (false, true) => cvt(a, Size::S32, x, r),
            (false, false) => {
                a.mov_rr(Size::S32, Gpr::Rax, r);
                cvt(a, Size::S64, x, Gpr::Rax);
            }
            (true, true) => cvt(a, Size::S64, x, r),
            (true, false) => {
                // Top bit clear: signed conversion. Set: halve (keeping the
                // low bit for rounding), convert, double.
                let (big, done) = (a.new_label(), a.new_label());
                a.test_rr(Size::S64, r, r);
                a.jcc(Cond::S, big);
                cvt(a, Size::S64, x, r);
                a.jmp_label(done);
                a.bind(big);
                a.mov_rr(Size::S64, Gpr::Rax, r);
                a.shift_ri(Shift::Shr, Size::S64, Gpr::Rax, 1);
                a.mov_rr(Size::S64, Gpr::Rcx, r);
                a.alu_ri(Alu::And, Size::S64, Gpr::Rcx, 1);
                a.alu_rr(Alu::Or, Size::S64, Gpr::Rax, Gpr::Rcx);
                cvt(a, Size::S64, x, Gpr::Rax);
                a.sse_rr(if to32 { Sse::Addss } else { Sse::Addsd }, x, x);
                a.bind(done);
            }
        }
        self.free(Loc::Gpr(r));
        self.push(if to32 { ValType::F32 } else { ValType::F64 }, Loc::Xmm(x));
        Ok(())
    }

    fn select(&mut self) -> Result<(), Unsupported> {
        // The condition is tested first; loading the operands after it
        // only moves data, which keeps the flags.
        let c = self.pop_cond()?;
        let (b, bd) = self.pop()?;
        let (a, ad) = self.pop()?;
        if in_xmm(a.ty) {
            let xa = self.xmm_of(a, ad);
            let xb = self.xmm_of(b, bd);
            let asm = self.asm();
            let keep = asm.new_label();
            asm.jcc(c, keep);
            asm.sse_rr(Sse::Movaps, xa, xb);
            asm.bind(keep);
            self.free(Loc::Xmm(xb));
            self.push(a.ty, Loc::Xmm(xa));
        } else {
            let ra = self.gpr_of(a, ad);
            let rb = self.gpr_of(b, bd);
            self.asm().cmovcc(c.invert(), Size::S64, ra, rb);
            self.free(Loc::Gpr(rb));
            self.push(a.ty, Loc::Gpr(ra));
        }
        Ok(())
    }

    /// What every instruction starts with: the code size checked, a deep
    /// stack's older half spilled, a condition left in the flags put in a
    /// register (unless `op` consumes it there) and the instruction's fuel
    /// charged.
    #[inline(always)]
    fn prelude(&mut self, op: Opcode) -> Result<(), Unsupported> {
        use Opcode as O;
        self.check_size()?;
        // A deep stack: its older half to the slots (see `slot_low`).
        // Between instructions nothing but operands is live, and spilling
        // moves data only (the flags, which the top operand may be in,
        // survive it).
        // (`unspilled().len() > OPERAND_WINDOW`, in fewer instructions:
        // this runs before every instruction.)
        if self.stack.len() > self.slot_low + OPERAND_WINDOW {
            self.spill_below(self.stack.len() - OPERAND_WINDOW / 2);
        }
        if !matches!(op, O::BrIf | O::If | O::Select | O::SelectTyped | O::I32Eqz) {
            self.materialize_cond();
        }
        if !matches!(op, O::Nop | O::Drop | O::Block | O::Loop | O::End | O::Else) {
            self.charge();
        }
        Ok(())
    }

    /// `local.set` (or, with `tee`, `local.tee`) of local `i`.
    fn set_local(&mut self, i: u32, tee: bool) -> Result<(), Unsupported> {
        let Some(pin) = self.pin(i) else {
            self.detach_local(i);
            let (e, d) = self.pop()?;
            let m = self.local_mem(i);
            // A value in a register stays there for `tee`.
            let e = if tee && !matches!(e.loc, Loc::Gpr(_) | Loc::Xmm(_)) {
                let loc = if in_xmm(e.ty) {
                    Loc::Xmm(self.xmm_of(e, d))
                } else {
                    Loc::Gpr(self.gpr_of(e, d))
                };
                Entry {
                    ty: e.ty,
                    loc,
                    zx: false,
                }
            } else {
                e
            };
            self.store_loc(m, e.ty, e.loc, d);
            if tee {
                self.push(e.ty, e.loc);
            } else {
                self.free(e.loc);
            }
            return Ok(());
        };
        // The value first: it may read the local's old value (`i = i + 1`
        // is then one `lea` into the local's register).
        let (e, d) = self.pop()?;
        self.detach_local(i);
        if let (Pin::Gpr(p), Loc::Gpr(r)) = (pin, e.loc) {
            if self.reload_into(r, p) {
                self.free(e.loc);
                if tee {
                    self.push(e.ty, Loc::Local(i));
                }
                return Ok(());
            }
        }
        match pin {
            Pin::Gpr(r) => self.load_pinned_gpr(r, e, d),
            Pin::Xmm(x) => self.load_xmm(x, e, d),
        }
        // `tee` of a value in a register leaves it there (the next
        // instruction may overwrite it without a copy).
        if tee {
            match e.loc {
                Loc::Gpr(_) | Loc::Xmm(_) => self.push(e.ty, e.loc),
                _ => self.push(e.ty, Loc::Local(i)),
            }
        } else {
            self.free(e.loc);
        }
        Ok(())
    }

    /// Compiles one instruction. Inlined into its one caller,
    /// [`visit_operator`](VisitOperator::visit_operator), which runs for
    /// every instruction but the few the validator hands straight to their
    /// own methods: one call and one frame fewer each.
    #[inline(always)]
    fn instr(&mut self, op: Opcode, imm: Imm<'_>, at: &Resolved<'_>) -> Result<(), Unsupported> {
        use Opcode as O;
        use ValType::{F32, F64, I32, I64};
        self.prelude(op)?;
        match (op, imm) {
            (O::Nop, _) => {}
            (O::Unreachable, _) => {
                let l = self.trap_site(Code::Unreachable);
                self.asm().jmp_label(l);
                self.set_dead();
            }
            (O::Block, _) | (O::Loop, _) => {
                let (params, _) = Self::block_types(at)?;
                self.spill_all();
                let height = self
                    .stack
                    .len()
                    .checked_sub(params.len())
                    .ok_or("block parameters")?;
                let label = self.asm().new_label();
                let kind = if op == O::Loop {
                    // A loop header: back edges come to its epoch check
                    // and its fuel region, as in the interpreter.
                    self.start_fuel_region();
                    self.asm().bind(label);
                    self.check_epoch();
                    FrameKind::Loop
                } else {
                    FrameKind::Block
                };
                self.ctrls.push(Ctrl {
                    kind,
                    height,
                    label,
                    else_label: None,
                });
            }
            (O::If, _) => {
                let (params, _) = Self::block_types(at)?;
                // Spilling only moves data: the flags survive it.
                let c = self.pop_cond()?;
                self.spill_all();
                let height = self
                    .stack
                    .len()
                    .checked_sub(params.len())
                    .ok_or("block parameters")?;
                let a = self.asm();
                let (label, else_label) = (a.new_label(), a.new_label());
                a.jcc(c.invert(), else_label);
                self.start_fuel_region();
                self.ctrls.push(Ctrl {
                    kind: FrameKind::If,
                    height,
                    label,
                    else_label: Some(else_label),
                });
            }
            (O::Else, _) => {
                let (params, _) = Self::block_types(at)?;
                if at.end_reachable() {
                    self.spill_all();
                    let l = self.ctrls.last().ok_or("else without if")?.label;
                    self.asm().jmp_label(l);
                }
                let ctrl = self.ctrls.last_mut().ok_or("else without if")?;
                let l = ctrl.else_label.take().ok_or("else without if")?;
                ctrl.kind = FrameKind::Else;
                let h = ctrl.height;
                self.start_fuel_region();
                self.asm().bind(l);
                self.set_dead_to(h);
                self.push_types(params)?;
            }
            (O::End, _) => self.end(at)?,
            (O::Br, Imm::Index(depth)) => {
                let idx = self.ctrl_index(depth)?;
                let arity = at.label(depth).ok_or("unknown label")?.types.len();
                self.spill_all();
                self.branch(idx, arity);
                self.set_dead();
            }
            (O::BrIf, Imm::Index(depth)) => {
                let idx = self.ctrl_index(depth)?;
                let arity = at.label(depth).ok_or("unknown label")?.types.len();
                // Spilling only moves data: the flags survive it.
                let c = self.pop_cond()?;
                self.spill_all();
                self.branch_if(idx, arity, c);
                self.start_fuel_region();
            }
            (O::BrTable, Imm::BrTable(table)) => {
                let arity = at.label(table.default).ok_or("unknown label")?.types.len();
                let r = self.pop_gpr()?;
                self.spill_all();
                let targets: Vec<u32> = table.targets().collect();
                let n = targets.len();
                // Each target: its label itself when the branch moves
                // nothing (one indirect jump, as a `switch` needs), else
                // a stub that moves the values and jumps.
                let mut stubs: Vec<(Label, Option<usize>)> = Vec::with_capacity(n + 1);
                for &depth in targets.iter().chain([&table.default]) {
                    let idx = self.ctrl_index(depth)?;
                    stubs.push(match self.direct_label(idx, arity) {
                        Some(l) => (l, None),
                        None => (self.s.asm.new_label(), Some(idx)),
                    });
                }
                let default_l = stubs[n].0;
                let a = self.asm();
                let table_l = a.new_label();
                a.mov_rr(Size::S32, r, r);
                a.alu_ri(Alu::Cmp, Size::S32, r, n as i32);
                a.jcc(Cond::Ae, default_l);
                a.lea(Size::S64, Gpr::Rax, Mem::rip(table_l, 0));
                a.movsx_rm(
                    Size::S64,
                    Gpr::Rcx,
                    Size::S32,
                    Mem::base_index(Gpr::Rax, r, Scale::S4, 0),
                );
                a.alu_rr(Alu::Add, Size::S64, Gpr::Rax, Gpr::Rcx);
                a.jmp_r(Gpr::Rax);
                self.free(Loc::Gpr(r));
                let a = self.asm();
                a.align(4);
                a.bind(table_l);
                for &(l, _) in &stubs[..n] {
                    a.emit_label_diff32(l, table_l);
                }
                for &(l, stub) in &stubs {
                    if let Some(idx) = stub {
                        self.check_size()?;
                        self.asm().bind(l);
                        self.branch(idx, arity);
                    }
                }
                self.set_dead();
            }
            (O::Return, _) => {
                self.ret();
                self.set_dead();
            }
            (O::Call, Imm::Index(f)) => {
                let ty = at.callee().ok_or("call without type")?;
                self.call(f, ty)?;
            }
            (O::CallIndirect, Imm::Index2(ty_index, table)) => {
                let ty = at.callee().ok_or("call without type")?;
                self.call_indirect(ty_index, table, ty)?;
            }
            (O::ReturnCall, Imm::Index(f)) => {
                let ty = at.callee().ok_or("call without type")?;
                self.return_call(f, ty)?;
                self.set_dead();
            }
            (O::ReturnCallIndirect, Imm::Index2(ty_index, table)) => {
                let ty = at.callee().ok_or("call without type")?;
                self.call_indirect_or_tail(ty_index, table, ty, true)?;
                self.set_dead();
            }
            (O::CallRef, Imm::Index(ty_index)) => {
                let ty = at.callee().ok_or("call without type")?;
                self.call_indirect_or_tail(ty_index, vm::CALL_REF, ty, false)?;
            }
            (O::ReturnCallRef, Imm::Index(ty_index)) => {
                let ty = at.callee().ok_or("call without type")?;
                self.call_indirect_or_tail(ty_index, vm::CALL_REF, ty, true)?;
                self.set_dead();
            }
            (O::RefAsNonNull, _) => {
                let (e, d) = self.pop()?;
                let r = self.gpr_of(e, d);
                let null = self.trap_site(Code::NullReference);
                let a = self.asm();
                a.test_rr(Size::S64, r, r);
                a.jcc(Cond::E, null);
                self.push(e.ty, Loc::Gpr(r));
            }
            (O::BrOnNull | O::BrOnNonNull, Imm::Index(depth)) => {
                let idx = self.ctrl_index(depth)?;
                let arity = at.label(depth).ok_or("unknown label")?.types.len();
                // Everything to its slot: the reference is tested there and
                // stays there on the way that keeps it.
                self.spill_all();
                let top = self.stack.len().checked_sub(1).ok_or("missing operand")?;
                let m = self.slot_mem(top);
                self.asm().alu_mi(Alu::Cmp, Size::S64, m, 0);
                if op == O::BrOnNull {
                    // Taken without the reference, on null.
                    let r = self.stack.pop().ok_or("missing operand")?;
                    self.branch_if(idx, arity, Cond::E);
                    self.push_entry(r);
                } else {
                    // Taken with it, when not null; it is dropped otherwise.
                    self.branch_if(idx, arity, Cond::Ne);
                    self.stack.pop();
                }
                self.start_fuel_region();
            }
            (O::Drop, _) => {
                let (e, _) = self.pop()?;
                self.free(e.loc);
            }
            (O::Select | O::SelectTyped, _) => self.select()?,
            // `local.get`, `local.set`, `local.tee`, the integer constants,
            // loads, stores and the integer operations of `direct_int_ops!`
            // are compiled by the visitor's own methods (above), never here.
            (O::GlobalGet, Imm::Index(g)) => {
                let ty = at.ty().ok_or("global without type")?;
                supported_type(ty)?;
                let a = self.asm();
                a.mov_rm(Size::S64, Gpr::Rax, Mem::base(VMCTX, vm::GLOBALS));
                a.mov_rm(Size::S64, Gpr::Rax, Mem::base(Gpr::Rax, 8 * g as i32));
                if in_xmm(ty) {
                    let x = self.alloc_xmm();
                    self.asm().sse_rm(xmm_move(ty), x, Mem::base(Gpr::Rax, 0));
                    self.push(ty, Loc::Xmm(x));
                } else {
                    let r = self.alloc_gpr();
                    self.asm().mov_rm(Size::S64, r, Mem::base(Gpr::Rax, 0));
                    self.push(ty, Loc::Gpr(r));
                }
            }
            (O::GlobalSet, Imm::Index(g)) => {
                let (e, d) = self.pop()?;
                supported_type(e.ty)?;
                let loc = if in_xmm(e.ty) {
                    Loc::Xmm(self.xmm_of(e, d))
                } else {
                    Loc::Gpr(self.gpr_of(e, d))
                };
                let a = self.asm();
                a.mov_rm(Size::S64, Gpr::Rax, Mem::base(VMCTX, vm::GLOBALS));
                a.mov_rm(Size::S64, Gpr::Rax, Mem::base(Gpr::Rax, 8 * g as i32));
                match loc {
                    Loc::Xmm(x) => a.sse_mr(xmm_move(e.ty), Mem::base(Gpr::Rax, 0), x),
                    Loc::Gpr(r) => a.mov_mr(Size::S64, Mem::base(Gpr::Rax, 0), r),
                    _ => {}
                }
                self.free(loc);
            }
            (O::MemorySize, Imm::Index(0)) => {
                let r = self.alloc_gpr();
                let a = self.asm();
                a.mov_rm(Size::S64, r, Mem::base(VMCTX, vm::MEM_LEN));
                a.shift_ri(Shift::Shr, Size::S64, r, 16);
                self.push(self.memory_index_type(0), Loc::Gpr(r));
            }
            (O::MemoryGrow, Imm::Index(0)) if !self.memory64(0) => {
                self.memory_libcall(vm::MEMORY_GROW, 1, true)?
            }
            (O::MemoryFill, Imm::Index(0)) if !self.memory64(0) => {
                self.memory_libcall(vm::MEMORY_FILL, 3, false)?
            }
            (O::MemoryCopy, Imm::Index2(0, 0)) if !self.memory64(0) => {
                self.memory_libcall(vm::MEMORY_COPY, 3, false)?
            }
            // Other memories (and a 64-bit memory 0): the size from the
            // context's memory table, the rest through the host.
            (O::MemorySize, Imm::Index(k)) => {
                let slot = mem_slot(k)?;
                let r = self.alloc_gpr();
                let a = self.asm();
                a.mov_rm(Size::S64, r, Mem::base(VMCTX, vm::MEMORIES));
                a.mov_rm(Size::S64, r, Mem::base(r, slot + vm::MEM_SLOT_LEN));
                a.shift_ri(Shift::Shr, Size::S64, r, 16);
                self.push(self.memory_index_type(k), Loc::Gpr(r));
            }
            (O::MemoryGrow, Imm::Index(k)) => {
                let ty = self.memory_index_type(k);
                self.host_op(vm::HostOp::MemoryGrow, (k, 0), 1, Some(ty))?
            }
            (O::MemoryFill, Imm::Index(k)) => {
                self.host_op(vm::HostOp::MemoryFill, (k, 0), 3, None)?
            }
            (O::MemoryCopy, Imm::Index2(dst, src)) => {
                self.host_op(vm::HostOp::MemoryCopy, (dst, src), 3, None)?
            }
            (O::RefNull, Imm::Heap(heap)) if crate::gc::is_gc_heap(heap) => return Err(GC.into()),
            (O::RefNull, Imm::Heap(heap)) => {
                let ty = ValType::Ref(nanowasm_core::RefType::new(true, heap));
                self.push(ty, Loc::Const(0));
            }
            (O::RefIsNull, _) => {
                let r = self.pop_gpr()?;
                let a = self.asm();
                a.test_rr(Size::S64, r, r);
                a.setcc(Cond::E, r);
                a.movzx_rr(Size::S32, r, Size::S8, r);
                self.push(I32, Loc::Gpr(r));
            }
            (O::RefFunc, Imm::Index(f)) => {
                let ty = at.ty().unwrap_or(ValType::FUNCREF);
                self.host_op(vm::HostOp::RefFunc, (f, 0), 0, Some(ty))?
            }
            (O::TableGet, Imm::Index(t)) => {
                let ty = at.ty().ok_or("table.get without type")?;
                self.host_op(vm::HostOp::TableGet, (t, 0), 1, Some(ty))?
            }
            (O::TableSet, Imm::Index(t)) => self.host_op(vm::HostOp::TableSet, (t, 0), 2, None)?,
            (O::TableSize, Imm::Index(t)) => {
                let ty = self.table_index_type(t);
                self.host_op(vm::HostOp::TableSize, (t, 0), 0, Some(ty))?
            }
            (O::TableGrow, Imm::Index(t)) => {
                let ty = self.table_index_type(t);
                self.host_op(vm::HostOp::TableGrow, (t, 0), 2, Some(ty))?
            }
            (O::TableFill, Imm::Index(t)) => {
                self.host_op(vm::HostOp::TableFill, (t, 0), 3, None)?
            }
            (O::TableCopy, Imm::Index2(d, s)) => {
                self.host_op(vm::HostOp::TableCopy, (d, s), 3, None)?
            }
            (O::TableInit, Imm::Index2(seg, t)) => {
                self.host_op(vm::HostOp::TableInit, (seg, t), 3, None)?
            }
            (O::ElemDrop, Imm::Index(seg)) => {
                self.host_op(vm::HostOp::ElemDrop, (seg, 0), 0, None)?
            }
            (O::MemoryInit, Imm::Index2(seg, mem)) => {
                self.host_op(vm::HostOp::MemoryInit, (seg, mem), 3, None)?
            }
            (O::DataDrop, Imm::Index(seg)) => {
                self.host_op(vm::HostOp::DataDrop, (seg, 0), 0, None)?
            }
            (O::F32Const, Imm::F32(v)) => self.push(F32, Loc::Const(u64::from(v))),
            (O::F64Const, Imm::F64(v)) => self.push(F64, Loc::Const(v)),
            (O::I32Eqz | O::I64Eqz, _) => {
                // A condition in the flags is inverted; anything else is
                // tested where it is. Either way the result stays in the
                // flags for a `br_if`, `if` or `select` to use.
                let c = match self.stack.last().copied() {
                    Some(Entry {
                        loc: Loc::Cond(c), ..
                    }) => {
                        self.stack.pop();
                        c.invert()
                    }
                    _ => {
                        let s = if op == O::I32Eqz {
                            Size::S32
                        } else {
                            Size::S64
                        };
                        let (e, d) = self.pop()?;
                        self.test_zero(s, e, d);
                        Cond::E
                    }
                };
                self.push(I32, Loc::Cond(c));
            }
            (O::I32LeS, _) => self.int_compare(I32, Cond::Le)?,
            (O::I32LeU, _) => self.int_compare(I32, Cond::Be)?,
            (O::I32GeS, _) => self.int_compare(I32, Cond::Ge)?,
            (O::I32GeU, _) => self.int_compare(I32, Cond::Ae)?,
            (O::I64Eq, _) => self.int_compare(I64, Cond::E)?,
            (O::I64Ne, _) => self.int_compare(I64, Cond::Ne)?,
            (O::I64LtS, _) => self.int_compare(I64, Cond::L)?,
            (O::I64LtU, _) => self.int_compare(I64, Cond::B)?,
            (O::I64GtS, _) => self.int_compare(I64, Cond::G)?,
            (O::I64GtU, _) => self.int_compare(I64, Cond::A)?,
            (O::I64LeS, _) => self.int_compare(I64, Cond::Le)?,
            (O::I64LeU, _) => self.int_compare(I64, Cond::Be)?,
            (O::I64GeS, _) => self.int_compare(I64, Cond::Ge)?,
            (O::I64GeU, _) => self.int_compare(I64, Cond::Ae)?,
            (O::F32Eq | O::F32Ne | O::F32Lt | O::F32Gt | O::F32Le | O::F32Ge, _) => {
                self.float_compare(F32, op)?
            }
            (O::F64Eq | O::F64Ne | O::F64Lt | O::F64Gt | O::F64Le | O::F64Ge, _) => {
                self.float_compare(F64, op)?
            }
            (O::I32Clz | O::I32Ctz | O::I32Popcnt | O::I64Clz | O::I64Ctz | O::I64Popcnt, _) => {
                let ty = if matches!(op, O::I32Clz | O::I32Ctz | O::I32Popcnt) {
                    I32
                } else {
                    I64
                };
                let which = match op {
                    O::I32Clz | O::I64Clz => BitCount::Lzcnt,
                    O::I32Ctz | O::I64Ctz => BitCount::Tzcnt,
                    _ => BitCount::Popcnt,
                };
                self.unop_gpr(ty, |a, s, r| a.bitcount(which, s, r, r))?;
            }
            (O::I64Sub, _) => self.int_binop(I64, Alu::Sub)?,
            (O::I64And, _) => self.int_binop(I64, Alu::And)?,
            (O::I64Or, _) => self.int_binop(I64, Alu::Or)?,
            (O::I64Xor, _) => self.int_binop(I64, Alu::Xor)?,
            (O::I32Mul | O::I64Mul, _) => {
                let ty = if op == O::I32Mul { I32 } else { I64 };
                let s = size_of(ty);
                let (b, bd) = self.pop()?;
                let (a, ad) = self.pop()?;
                let ra = self.gpr_of(a, ad);
                match (b.loc, self.mem_of(b, bd)) {
                    (Loc::Const(c), _) if i32::try_from(c as i64).is_ok() || s == Size::S32 => {
                        self.asm().imul_rri(s, ra, ra, c as i64 as i32)
                    }
                    (_, Some(m)) => self.asm().imul_rm(s, ra, m),
                    _ => {
                        let rb = self.gpr_of(b, bd);
                        self.asm().imul_rr(s, ra, rb);
                        self.free(Loc::Gpr(rb));
                    }
                }
                self.push(ty, Loc::Gpr(ra));
            }
            (O::I32DivS, _) => self.divrem(I32, true, false)?,
            (O::I32DivU, _) => self.divrem(I32, false, false)?,
            (O::I32RemS, _) => self.divrem(I32, true, true)?,
            (O::I32RemU, _) => self.divrem(I32, false, true)?,
            (O::I64DivS, _) => self.divrem(I64, true, false)?,
            (O::I64DivU, _) => self.divrem(I64, false, false)?,
            (O::I64RemS, _) => self.divrem(I64, true, true)?,
            (O::I64RemU, _) => self.divrem(I64, false, true)?,
            (O::I32Rotl, _) => self.shift(I32, Shift::Rol)?,
            (O::I32Rotr, _) => self.shift(I32, Shift::Ror)?,
            (O::I64Shl, _) => self.shift(I64, Shift::Shl)?,
            (O::I64ShrS, _) => self.shift(I64, Shift::Sar)?,
            (O::I64ShrU, _) => self.shift(I64, Shift::Shr)?,
            (O::I64Rotl, _) => self.shift(I64, Shift::Rol)?,
            (O::I64Rotr, _) => self.shift(I64, Shift::Ror)?,
            (O::F32Abs | O::F32Neg | O::F32Copysign, _) => self.float_bits(F32, op)?,
            (O::F64Abs | O::F64Neg | O::F64Copysign, _) => self.float_bits(F64, op)?,
            (O::F32Ceil | O::F32Floor | O::F32Trunc | O::F32Nearest | O::F32Sqrt, _) => {
                self.float_unop(F32, op)?
            }
            (O::F64Ceil | O::F64Floor | O::F64Trunc | O::F64Nearest | O::F64Sqrt, _) => {
                self.float_unop(F64, op)?
            }
            (O::F32Add, _) => self.float_binop(F32, Sse::Addss, Sse::Addsd)?,
            (O::F32Sub, _) => self.float_binop(F32, Sse::Subss, Sse::Subsd)?,
            (O::F32Mul, _) => self.float_binop(F32, Sse::Mulss, Sse::Mulsd)?,
            (O::F32Div, _) => self.float_binop(F32, Sse::Divss, Sse::Divsd)?,
            (O::F64Add, _) => self.float_binop(F64, Sse::Addss, Sse::Addsd)?,
            (O::F64Sub, _) => self.float_binop(F64, Sse::Subss, Sse::Subsd)?,
            (O::F64Mul, _) => self.float_binop(F64, Sse::Mulss, Sse::Mulsd)?,
            (O::F64Div, _) => self.float_binop(F64, Sse::Divss, Sse::Divsd)?,
            (O::F32Min, _) => self.float_minmax(F32, false)?,
            (O::F32Max, _) => self.float_minmax(F32, true)?,
            (O::F64Min, _) => self.float_minmax(F64, false)?,
            (O::F64Max, _) => self.float_minmax(F64, true)?,
            (O::I32WrapI64, _) => self.unop_gpr(I32, |a, _, r| a.mov_rr(Size::S32, r, r))?,
            (O::I64ExtendI32S, _) => {
                self.unop_gpr(I64, |a, _, r| a.movsx_rr(Size::S64, r, Size::S32, r))?
            }
            (O::I64ExtendI32U, _) => self.unop_gpr(I64, |a, _, r| a.mov_rr(Size::S32, r, r))?,
            (O::I32Extend8S, _) => {
                self.unop_gpr(I32, |a, _, r| a.movsx_rr(Size::S32, r, Size::S8, r))?
            }
            (O::I32Extend16S, _) => {
                self.unop_gpr(I32, |a, _, r| a.movsx_rr(Size::S32, r, Size::S16, r))?
            }
            (O::I64Extend8S, _) => {
                self.unop_gpr(I64, |a, _, r| a.movsx_rr(Size::S64, r, Size::S8, r))?
            }
            (O::I64Extend16S, _) => {
                self.unop_gpr(I64, |a, _, r| a.movsx_rr(Size::S64, r, Size::S16, r))?
            }
            (O::I64Extend32S, _) => {
                self.unop_gpr(I64, |a, _, r| a.movsx_rr(Size::S64, r, Size::S32, r))?
            }
            (
                O::I32TruncF32S
                | O::I32TruncF32U
                | O::I32TruncF64S
                | O::I32TruncF64U
                | O::I64TruncF32S
                | O::I64TruncF32U
                | O::I64TruncF64S
                | O::I64TruncF64U,
                _,
            ) => self.truncate(op, false)?,
            (
                O::I32TruncSatF32S
                | O::I32TruncSatF32U
                | O::I32TruncSatF64S
                | O::I32TruncSatF64U
                | O::I64TruncSatF32S
                | O::I64TruncSatF32U
                | O::I64TruncSatF64S
                | O::I64TruncSatF64U,
                _,
            ) => self.truncate(op, true)?,
            (
                O::F32ConvertI32S
                | O::F32ConvertI32U
                | O::F32ConvertI64S
                | O::F32ConvertI64U
                | O::F64ConvertI32S
                | O::F64ConvertI32U
                | O::F64ConvertI64S
                | O::F64ConvertI64U,
                _,
            ) => self.convert(op)?,
            (O::F32DemoteF64 | O::F64PromoteF32, _) => {
                let x = self.pop_xmm()?;
                let (sse, ty) = if op == O::F32DemoteF64 {
                    (Sse::Cvtsd2ss, F32)
                } else {
                    (Sse::Cvtss2sd, F64)
                };
                self.asm().sse_rr(sse, x, x);
                self.push(ty, Loc::Xmm(x));
            }
            (O::I32ReinterpretF32 | O::I64ReinterpretF64, _) => {
                let (e, d) = self.pop()?;
                let ty = if op == O::I32ReinterpretF32 { I32 } else { I64 };
                let loc = match e.loc {
                    Loc::Xmm(x) => {
                        let r = self.alloc_gpr();
                        self.asm().movd_rx(size_of(ty), r, x);
                        self.free(e.loc);
                        Loc::Gpr(r)
                    }
                    // Constants, locals and slots hold the same bits.
                    other => {
                        let _ = d;
                        other
                    }
                };
                self.push(ty, loc);
            }
            (O::F32ReinterpretI32 | O::F64ReinterpretI64, _) => {
                let (e, _) = self.pop()?;
                let ty = if op == O::F32ReinterpretI32 { F32 } else { F64 };
                let loc = match e.loc {
                    Loc::Gpr(r) => {
                        let x = self.alloc_xmm();
                        self.asm().movd_xr(size_of(ty), x, r);
                        self.free(e.loc);
                        Loc::Xmm(x)
                    }
                    other => other,
                };
                self.push(ty, loc);
            }
            // Relaxed SIMD makes the interpreter's deterministic choice: the
            // 2.0 instruction it stands for, or its own semantics (the
            // fused multiply-adds and dot products) through the libcall.
            _ if matches!(op.feature(), Feature::Simd | Feature::RelaxedSimd) => {
                self.simd(crate::interp::simd::deterministic(op), imm)?
            }
            _ if op.feature() == Feature::Gc => return Err(GC.into()),
            _ => return Err(format!("`{}`", op.name())),
        }
        Ok(())
    }
}

/// The range checks of a float-to-integer conversion: NaN to `nan`,
/// `x <= lo` to `low`, `x >= hi` to `high`.
#[allow(clippy::too_many_arguments)]
fn a_ucomi_checks(
    c: &mut FuncCompiler<'_>,
    x: Xmm,
    ucomi: Sse,
    f32: bool,
    lo: f64,
    hi: f64,
    bits: impl Fn(f64) -> u64,
    nan: Label,
    low: Label,
    high: Label,
) {
    c.float_const(XMM_SCRATCH0, f32, bits(lo));
    let a = c.asm();
    a.sse_rr(ucomi, x, x);
    a.jcc(Cond::P, nan);
    a.sse_rr(ucomi, x, XMM_SCRATCH0);
    a.jcc(Cond::Be, low);
    c.float_const(XMM_SCRATCH0, f32, bits(hi));
    let a = c.asm();
    a.sse_rr(ucomi, x, XMM_SCRATCH0);
    a.jcc(Cond::Ae, high);
}

/// Chooses the locals kept in registers for the whole function: the most
/// used integer and float locals (uses inside loops count more), up to
/// `PIN_GPRS` and `PIN_XMMS`. A pre-pass over the body's instructions, so
/// the single pass knows every local's home from the start. Fills
/// `b.pins`; returns whether the function has `v128` values.
fn choose_pins(
    module: &Module,
    features: Features,
    func: u32,
    b: &mut Bufs,
) -> Result<bool, Unsupported> {
    let defined = func
        .checked_sub(module.num_imported.funcs)
        .ok_or("an imported function")?;
    let body = module.bodies.get(defined as usize).ok_or("no such body")?;
    let ty = module.func_type(func).ok_or("no such function")?;
    let types = &mut b.types;
    types.clear();
    types.extend_from_slice(ty.params());
    for &(n, t) in &body.locals {
        types.extend(core::iter::repeat_n(t, n as usize));
    }
    let mut vectors = types
        .iter()
        .chain(ty.results())
        .any(|&t| t == ValType::V128);
    let has_v128 = |t: &FuncType| {
        t.params()
            .iter()
            .chain(t.results())
            .any(|&t| t == ValType::V128)
    };
    let weight = &mut b.weight;
    weight.clear();
    weight.resize(types.len(), 0);
    let mut reader = nanowasm_binary::reader::Reader::new(&module.bytes[body.code.clone()]);
    // The loop nesting of each open block.
    let blocks = &mut b.blocks;
    blocks.clear();
    let mut loops = 0u32;
    while let Some(byte) = reader.peek() {
        // The most frequent instructions by their first byte, without the
        // operator reader's decoding (the body is validated as it is
        // compiled; here a malformed one only ends the scan).
        match byte {
            // `local.get`, `local.set`, `local.tee`: a local's index.
            0x20..=0x22 => {
                let _ = reader.u8();
                let Ok(i) = reader.u32() else { break };
                if let Some(w) = weight.get_mut(i as usize) {
                    *w += 1 << (3 * loops.min(5));
                }
                continue;
            }
            // Comparisons, arithmetic, conversions, reinterpretations and
            // sign extensions, `drop` and `select`: no immediates.
            0x1a | 0x1b | 0x45..=0xc4 => {
                let _ = reader.u8();
                continue;
            }
            // `br`, `br_if`: a label; `i32.const`: a value.
            0x0c | 0x0d | 0x41 => {
                let _ = reader.u8();
                if reader.u64().is_err() {
                    break;
                }
                continue;
            }
            // Loads and stores: the alignment (with a memory index when
            // its bit 6 says so) and the offset.
            0x28..=0x3e => {
                let _ = reader.u8();
                let Ok(flags) = reader.u32() else { break };
                if (flags & 0x40 != 0 && reader.u32().is_err()) || reader.u64().is_err() {
                    break;
                }
                continue;
            }
            // `unreachable`, `nop`, `else`, `return`: nothing to read.
            0x00 | 0x01 | 0x05 | 0x0f => {
                let _ = reader.u8();
                continue;
            }
            // `end`.
            0x0b => {
                let _ = reader.u8();
                loops -= u32::from(blocks.pop() == Some(true));
                continue;
            }
            // `block`, `loop`, `if` with a block type of one byte (none
            // or a number type; others are read by the operator reader).
            0x02..=0x04
                if matches!(
                    reader.data().get(reader.offset() + 1),
                    Some(0x40 | 0x7b | 0x7c | 0x7d | 0x7e | 0x7f)
                ) =>
            {
                let _ = reader.u8();
                let _ = reader.u8();
                let is_loop = byte == 0x03;
                blocks.push(is_loop);
                loops += u32::from(is_loop);
                continue;
            }
            // `call`: a function, whose type may have `v128` values.
            0x10 => {
                let _ = reader.u8();
                let Ok(f) = reader.u32() else { break };
                vectors |= module.func_type(f).is_some_and(has_v128);
                continue;
            }
            // `global.get`, `global.set`: a global, which may be a `v128`.
            0x23 | 0x24 => {
                let _ = reader.u8();
                let Ok(g) = reader.u32() else { break };
                vectors |= module
                    .globals
                    .get(g as usize)
                    .is_some_and(|g| g.content == ValType::V128);
                continue;
            }
            // `i64.const`; `f32.const` and `f64.const`.
            0x42 => {
                let _ = reader.u8();
                if reader.i64().is_err() {
                    break;
                }
                continue;
            }
            0x43 | 0x44 => {
                let _ = reader.u8();
                if reader.bytes(if byte == 0x43 { 4 } else { 8 }).is_err() {
                    break;
                }
                continue;
            }
            _ => {}
        }
        let mut ops = nanowasm_binary::OperatorReader::new(reader, features);
        let Ok(instr) = ops.read() else { break };
        reader = ops.into_reader();
        match (instr.op, instr.imm) {
            (Opcode::Loop, _) => {
                blocks.push(true);
                loops += 1;
            }
            (Opcode::Block | Opcode::If, _) => blocks.push(false),
            (Opcode::End, _) => loops -= u32::from(blocks.pop() == Some(true)),
            (Opcode::Call, Imm::Index(f)) => vectors |= module.func_type(f).is_some_and(has_v128),
            (Opcode::CallIndirect, Imm::Index2(t, _)) => {
                vectors |= module.types.func(t).is_some_and(has_v128)
            }
            (Opcode::GlobalGet, Imm::Index(g)) => {
                vectors |= module
                    .globals
                    .get(g as usize)
                    .is_some_and(|g| g.content == ValType::V128)
            }
            (op, _) => vectors |= matches!(op.feature(), Feature::Simd | Feature::RelaxedSimd),
        }
    }
    let order = &mut b.order;
    order.clear();
    order.extend((0..types.len()).filter(|&i| weight[i] >= 2));
    order.sort_by_key(|&i| core::cmp::Reverse(weight[i]));
    let pins = &mut b.pins;
    pins.clear();
    pins.resize(types.len(), None);
    let (mut gprs, mut xmms) = (
        PIN_GPRS.iter().chain(PIN_GPRS_CALLER_SAVED.iter()),
        PIN_XMMS.iter(),
    );
    for &i in order.iter() {
        pins[i] = match types[i] {
            ValType::I32 | ValType::I64 => gprs.next().map(|&r| Pin::Gpr(r)),
            ValType::F32 | ValType::F64 | ValType::V128 => xmms.next().map(|&x| Pin::Xmm(x)),
            _ => None,
        };
    }
    Ok(vectors)
}
