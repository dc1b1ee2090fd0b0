//! The interpreter's internal code: register-based instructions over the
//! slots of a function's frame.
//!
//! A slot is 8 bytes (`u64`); `i32`/`f32` live in the low half, references
//! are `0` for null or a store handle plus one, and a `v128` takes two
//! consecutive slots (low half first). Every operand below is a slot index
//! relative to the frame's base ([`Reg`]). Immediates that would not fit
//! (v128 constants, shuffle lanes) live in the function's constant pool.

use crate::prelude::*;
use nanowasm_core::Opcode;

/// A slot index relative to the frame base.
pub(crate) type Reg = u32;

// The instruction table. Each row is one instruction of the translator's
// output: its fields, each with a *kind*, and the handler that executes it
// (an expression that may read the fields, e.g. to pick the handler of an
// opcode from a table built from `for_each_opcode!`). From the rows the
// macro generates:
//
// * `Instr`, the translator's instruction type (a field's Rust type follows
//   from its kind);
// * `ops::*`, one `#[repr(C)]` struct of `u32`s per row: the operands as
//   the handler reads them, right after the handler's word in the code;
// * `Instr::slots_end`, from the kinds (a `Slot` names one slot, a `Slot2`
//   two, a `Slot3` three), so the executor's unchecked slot accesses are
//   covered by the frame size by construction;
// * `Instr::encode`, which writes the handler and the operands.
//
// Kinds: `Slot`/`Slot2`/`Slot3` (a frame slot and how many it spans),
// `Imm` (a `u32` immediate), `Target` (a branch target: an instruction
// index in `Instr`, a word offset relative to the instruction in the code),
// `Op` (an `Opcode`), `Cmp` (a `Cmp32`), `Lane` (a lane index).
macro_rules! ir_ty {
    (Slot) => {
        Reg
    };
    (Slot2) => {
        Reg
    };
    (Slot3) => {
        Reg
    };
    (Imm) => {
        u32
    };
    (Target) => {
        u32
    };
    (Op) => {
        Opcode
    };
    (Cmp) => {
        Cmp32
    };
    (Lane) => {
        u8
    };
}

macro_rules! op_ty {
    (Target) => {
        i32
    };
    ($k:ident) => {
        u32
    };
}

macro_rules! slot_end {
    (Slot, $v:expr) => {
        $v + 1
    };
    (Slot2, $v:expr) => {
        $v + 2
    };
    (Slot3, $v:expr) => {
        $v + 3
    };
    ($k:ident, $v:expr) => {{
        let _ = $v;
        0
    }};
}

macro_rules! encode_field {
    (Target, $v:expr, $rel:expr) => {
        $rel($v)
    };
    (Op, $v:expr, $rel:expr) => {
        $v as u32
    };
    (Cmp, $v:expr, $rel:expr) => {
        $v as u32
    };
    (Lane, $v:expr, $rel:expr) => {
        u32::from($v)
    };
    ($k:ident, $v:expr, $rel:expr) => {
        $v
    };
}

macro_rules! instructions {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident { $($f:ident : $k:ident),* $(,)? } => $handler:expr;
    )*) => {
        /// One instruction of the translator's output.
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub(crate) enum Instr {
            $( $(#[doc = $doc])* $name { $($f: ir_ty!($k)),* }, )*
        }

        /// The operands of each instruction as its handler reads them.
        #[allow(dead_code)]
        pub(crate) mod ops {
            $(
                #[doc = concat!("The operands of `", stringify!($name), "`.")]
                #[repr(C)]
                #[derive(Clone, Copy, Debug)]
                pub(crate) struct $name { $(pub $f: op_ty!($k)),* }
            )*
        }

        impl Instr {
            /// One past the highest frame slot this instruction reads or
            /// writes (a callee's slots belong to the callee's frame).
            pub(crate) fn slots_end(&self) -> u32 {
                match *self {
                    $( Instr::$name { $($f),* } => {
                        #[allow(unused_mut)]
                        let mut end = 0u32;
                        $( end = end.max(slot_end!($k, $f)); )*
                        end
                    } )*
                }
            }

            /// The variant's name, for the errors of translator bugs (the
            /// derived `Debug` would bring its 4 KB into every build).
            pub(crate) fn name(&self) -> &'static str {
                match self {
                    $( Instr::$name { .. } => stringify!($name), )*
                }
            }

            /// The number of code words this instruction takes: the
            /// handler, then its operands.
            pub(crate) fn words(&self) -> usize {
                match self {
                    $( Instr::$name { .. } => 1 + words_of::<ops::$name>(), )*
                }
            }

            /// Appends the handler and the operands to `out`. `rel` turns a
            /// branch target into a word offset relative to this
            /// instruction. Fails if no handler exists for the operands (a
            /// translator bug).
            #[allow(unused_variables)]
            pub(crate) fn encode(
                &self,
                out: &mut Vec<u64>,
                rel: &dyn Fn(u32) -> i32,
            ) -> Result<(), String> {
                match *self {
                    $( Instr::$name { $($f),* } => {
                        let handler: Option<Handler> = $handler;
                        let handler = handler
                            .ok_or_else(|| format!("no handler for `{}`", self.name()))?;
                        let op = ops::$name { $($f: encode_field!($k, $f, rel)),* };
                        push_code(out, handler, op);
                    } )*
                }
                Ok(())
            }
        }
    };
}

/// Words of code taken by an operand struct.
pub(crate) const fn words_of<T>() -> usize {
    size_of::<T>().div_ceil(8)
}

/// Appends `handler` and `op` (a struct of `u32`s, so without padding) to
/// the code.
fn push_code<T: Copy>(out: &mut Vec<u64>, handler: Handler, op: T) {
    let at = out.len();
    out.resize(at + 1 + words_of::<T>(), 0);
    // SAFETY: `out` has `1 + words_of::<T>()` zeroed words from `at`, and
    // `u64` alignment (8) is at least that of `Handler` and of `T` (whose
    // fields are `u32`/`i32`). A `Handler` is written as a typed value, so
    // the word keeps the function pointer's provenance; the code is only
    // ever read back through the same types (never as `u64`).
    unsafe {
        let p = out.as_mut_ptr().add(at);
        p.cast::<Handler>().write(handler);
        p.add(1).cast::<T>().write(op);
    }
}

use super::handlers::{self as h, Handler};

instructions! {
    /// Trap: `unreachable`.
    Unreachable {} => Some(h::control::unreachable);
    /// `throw` of module tag `tag` with its values in the slots from
    /// `args`.
    Throw { tag: Imm, args: Imm } => Some(h::exception::throw);
    /// `throw_ref` (and a legacy `rethrow`) of the `exnref` in `src`.
    ThrowRef { src: Slot } => Some(h::exception::throw_ref);
    /// The end of a legacy `catch` block: the exception in `src` (the
    /// block's hidden slot) is freed unless a reference to it was made.
    ExnRelease { src: Slot } => Some(h::exception::exn_release);
    /// Subtract this many units of fuel; trap if there is not enough.
    ConsumeFuel { fuel: Imm } => Some(h::control::consume_fuel);
    /// Trap if the store's epoch deadline has passed.
    CheckInterrupt {} => Some(h::control::check_interrupt);
    /// Jump to the instruction at `target`.
    Br { target: Target } => Some(h::control::br);
    /// Jump if the `i32` in `cond` is not zero.
    BrIfNez { cond: Slot, target: Target } => Some(h::control::br_if_nez);
    /// Jump if the `i32` in `cond` is zero.
    BrIfEqz { cond: Slot, target: Target } => Some(h::control::br_if_eqz);
    /// Jump if `a cmp b` holds for the `i32`s in `a` and `b` (a comparison
    /// fused with the `br_if`/`if` that consumes it).
    BrIfCmp32 { cmp: Cmp, a: Slot, b: Slot, target: Target } => Some(h::control::br_if_cmp32(cmp));
    /// Jump if `a cmp imm` holds for the `i32` in `a` and a constant.
    BrIfCmpImm32 { cmp: Cmp, a: Slot, imm: Imm, target: Target } => Some(h::control::br_if_cmp_imm32(cmp));
    /// Jump to entry `min(index, len)` of the `len + 1` `Br` that follow.
    BrTable { index: Slot, len: Imm } => Some(h::control::br_table);
    /// Return from the function; the results are in slots `0..`.
    Return {} => Some(h::control::ret);
    /// Call function `func` of the current instance; its arguments are in
    /// slots `args..`, which become the callee's first slots.
    Call { func: Imm, args: Imm } => Some(h::control::call);
    /// Call through table `table` the element whose index is in `index`,
    /// expecting type `ty` of the current module.
    CallIndirect { ty: Imm, table: Imm, index: Slot, args: Imm } => Some(h::control::call_indirect);
    /// Tail-call function `func` of the current instance: its arguments,
    /// in slots `args..`, move to slots `0..` and its frame replaces this
    /// one. A host callee's results (`results` slots) come back at `args`
    /// and are moved to `0..` before returning.
    ReturnCall { func: Imm, args: Imm, results: Imm } => Some(h::control::return_call);
    /// `CallIndirect` as a tail call (see `ReturnCall`).
    ReturnCallIndirect { ty: Imm, table: Imm, index: Slot, args: Imm, results: Imm } =>
        Some(h::control::return_call_indirect);
    /// Call the function whose reference is in `func` (`call_ref`); a
    /// null reference traps. Validation typed the reference, so no type
    /// check is needed.
    CallRef { func: Slot, args: Imm } => Some(h::control::call_ref);
    /// `CallRef` as a tail call (see `ReturnCall`).
    ReturnCallRef { func: Slot, args: Imm, results: Imm } => Some(h::control::return_call_ref);
    /// Trap if the reference in `src` is null (`ref.as_non_null`).
    RefAsNonNull { src: Slot } => Some(h::reference::ref_as_non_null);
    /// Copy one slot.
    Copy { dst: Slot, src: Slot } => Some(h::control::copy);
    /// Copy two slots (a `v128`).
    Copy2 { dst: Slot2, src: Slot2 } => Some(h::control::copy2);
    /// Two one-slot copies in order: `dst0 = src0`, then `dst1 = src1`
    /// (adjacent `Copy` instructions with no label between them).
    CopyPair { dst0: Slot, src0: Slot, dst1: Slot, src1: Slot } => Some(h::control::copy_pair);
    /// Write a 32-bit constant (zero-extended).
    Const32 { dst: Slot, value: Imm } => Some(h::control::const32);
    /// Write a 64-bit constant.
    Const64 { dst: Slot, lo: Imm, hi: Imm } => Some(h::control::const64);
    /// Write a `v128` constant from the constant pool.
    ConstV128 { dst: Slot2, index: Imm } => Some(h::control::const_v128);
    /// `dst = cond != 0 ? a : b` (one slot).
    Select { dst: Slot, cond: Slot, a: Slot, b: Slot } => Some(h::control::select);
    /// `select` of two slots (`v128`).
    Select2 { dst: Slot2, cond: Slot, a: Slot2, b: Slot2 } => Some(h::control::select2);
    /// Read global `global` of the current instance (one slot).
    GlobalGet { dst: Slot, global: Imm } => Some(h::reference::global_get);
    /// Read a `v128` global.
    GlobalGet2 { dst: Slot2, global: Imm } => Some(h::reference::global_get2);
    /// Write global `global` (one slot).
    GlobalSet { src: Slot, global: Imm } => Some(h::reference::global_set);
    /// Write a `v128` global.
    GlobalSet2 { src: Slot2, global: Imm } => Some(h::reference::global_set2);
    /// A load (`op` picks the handler; `dst` may be a `v128`).
    Load { op: Op, dst: Slot2, addr: Slot, offset: Imm } => h::memory::load(op);
    /// A scalar load from `a + imm` (`i32.add` of a constant fused in).
    LoadAddImm { op: Op, dst: Slot, a: Slot, imm: Imm, offset: Imm } => h::memory::load_add_imm(op);
    /// A scalar load from `a + b` (`i32.add` fused in).
    LoadAdd { op: Op, dst: Slot, a: Slot, b: Slot, offset: Imm } => h::memory::load_add(op);
    /// A store (`src` may be a `v128`).
    Store { op: Op, addr: Slot, src: Slot2, offset: Imm } => h::memory::store(op);
    /// `v128.loadN_lane`: `src` holds the vector to update.
    LoadLane { op: Op, lane: Lane, dst: Slot2, addr: Slot, src: Slot2, offset: Imm } => h::memory::load_lane(op);
    /// `v128.storeN_lane`.
    StoreLane { op: Op, lane: Lane, addr: Slot, src: Slot2, offset: Imm } => h::memory::store_lane(op);
    /// Make memory `index` of the current instance the one that the next
    /// instructions access (their `mem`/`len`, and `memory.grow`'s), until
    /// `UseMemory { index: 0 }`. The translator brackets each access to a
    /// memory other than 0 with a pair, so memory 0 stays in registers.
    UseMemory { index: Imm } => Some(h::memory::use_memory);
    /// `memory.copy` between two different memories of the instance.
    MemoryCopyBetween { dst_mem: Imm, src_mem: Imm, args: Slot3, wide: Imm } => Some(h::memory::memory_copy_between);
    /// `memory.size`.
    MemorySize { dst: Slot } => Some(h::memory::memory_size);
    /// The effective address of an access to a 64-bit memory: `addr`
    /// becomes `addr + (hi << 32 | lo)`, which the access (at offset 0)
    /// then checks; an address that overflows or is 4 GiB or more (past
    /// any memory nanowasm gives a 64-bit memory) traps here.
    Addr64 { addr: Slot, lo: Imm, hi: Imm } => Some(h::memory::addr64);
    /// `memory.grow`: `delta` in, previous size or -1 out.
    MemoryGrow { dst: Slot, delta: Slot, wide: Imm } => Some(h::memory::memory_grow);
    /// `memory.fill` with (dst, value, len) in `args..args+3`.
    MemoryFill { args: Slot3, wide: Imm } => Some(h::memory::memory_fill);
    /// `memory.copy` with (dst, src, len) in `args..`.
    MemoryCopy { args: Slot3, wide: Imm } => Some(h::memory::memory_copy);
    /// `memory.init` of data segment `seg`, (dst, src, len) in `args..`.
    MemoryInit { seg: Imm, args: Slot3, wide: Imm } => Some(h::memory::memory_init);
    /// `data.drop`.
    DataDrop { seg: Imm } => Some(h::memory::data_drop);
    /// `table.get`.
    TableGet { table: Imm, dst: Slot, index: Slot, wide: Imm } => Some(h::reference::table_get);
    /// `table.set` with (index, value) in `args..`.
    TableSet { table: Imm, args: Slot2, wide: Imm } => Some(h::reference::table_set);
    /// `table.size`.
    TableSize { table: Imm, dst: Slot } => Some(h::reference::table_size);
    /// `table.grow` with (init, delta) in `args..`; result in `args`.
    TableGrow { table: Imm, args: Slot2, wide: Imm } => Some(h::reference::table_grow);
    /// `table.fill` with (index, value, len) in `args..`.
    TableFill { table: Imm, args: Slot3, wide: Imm } => Some(h::reference::table_fill);
    /// `table.copy` with (dst, src, len) in `args..`.
    TableCopy { dst_table: Imm, src_table: Imm, args: Slot3, wide: Imm } => Some(h::reference::table_copy);
    /// `table.init` of element segment `seg`, (dst, src, len) in `args..`.
    TableInit { table: Imm, seg: Imm, args: Slot3, wide: Imm } => Some(h::reference::table_init);
    /// `elem.drop`.
    ElemDrop { seg: Imm } => Some(h::reference::elem_drop);
    /// `ref.func`: a reference to function `func` of the current instance.
    RefFunc { dst: Slot, func: Imm } => Some(h::reference::ref_func);
    /// `ref.is_null`.
    RefIsNull { dst: Slot, src: Slot } => Some(h::reference::ref_is_null);
    /// `struct.new` of module type `ty` with its `n` field values in the
    /// slots from `args` (`struct.new_default`: `n` is 0).
    StructNew { ty: Imm, args: Imm, dst: Slot, n: Imm } => Some(h::gc::struct_new);
    /// `struct.get*`: the field at byte `offset`, read as `kind` (see
    /// `handlers::gc::kind`).
    StructGet { kind: Imm, dst: Slot2, obj: Slot, offset: Imm } => Some(h::gc::struct_get);
    /// `struct.set`.
    StructSet { kind: Imm, obj: Slot, src: Slot2, offset: Imm } => Some(h::gc::struct_set);
    /// `array.new` (the value, then the length, from `args`), or
    /// `array.new_default` (the length at `args`).
    ArrayNew { ty: Imm, kind: Imm, args: Imm, dst: Slot, default: Imm } => Some(h::gc::array_new);
    /// `array.new_fixed` of the `n` values from `args`.
    ArrayNewFixed { ty: Imm, kind: Imm, args: Imm, n: Imm, dst: Slot } => Some(h::gc::array_new_fixed);
    /// `array.new_data` (`elem` 0) or `array.new_elem` (`elem` 1) of
    /// segment `seg`, (offset, length) in `args..`.
    ArrayNewSegment { ty: Imm, kind: Imm, seg: Imm, args: Slot2, dst: Slot, elem: Imm } => Some(h::gc::array_new_segment);
    /// `array.get*`.
    ArrayGet { kind: Imm, dst: Slot2, arr: Slot, idx: Slot } => Some(h::gc::array_get);
    /// `array.set` with (array, index, value) from `args`.
    ArraySet { kind: Imm, args: Imm } => Some(h::gc::array_set);
    /// `array.len`.
    ArrayLen { dst: Slot, arr: Slot } => Some(h::gc::array_len);
    /// `array.fill` with (array, offset, value, length) from `args`.
    ArrayFill { kind: Imm, args: Imm } => Some(h::gc::array_fill);
    /// `array.copy` of elements of `size` bytes, with (dst array, dst
    /// offset, src array, src offset, length) from `args`.
    ArrayCopy { size: Imm, args: Imm } => Some(h::gc::array_copy);
    /// `array.init_data` (`elem` 0) or `array.init_elem` (`elem` 1), with
    /// (array, dst offset, src offset, length) from `args`.
    ArrayInit { kind: Imm, seg: Imm, args: Imm, elem: Imm } => Some(h::gc::array_init);
    /// `ref.i31`.
    RefI31 { dst: Slot, src: Slot } => Some(h::gc::ref_i31);
    /// `i31.get_s` (`signed` 1) or `i31.get_u`.
    I31Get { dst: Slot, src: Slot, signed: Imm } => Some(h::gc::i31_get);
    /// `ref.eq`.
    RefEq { dst: Slot, a: Slot, b: Slot } => Some(h::gc::ref_eq);
    /// `any.convert_extern` (`to_any` 1) or `extern.convert_any`.
    ConvertRef { dst: Slot, src: Slot, to_any: Imm } => Some(h::gc::convert_ref);
    /// `ref.test` against `target` (see `handlers::gc::target`); null
    /// passes if `nullable`.
    RefTest { dst: Slot, src: Slot, target: Imm, nullable: Imm } => Some(h::gc::ref_test);
    /// `ref.cast`: `ref.test`, trapping when it fails; the value stays.
    RefCast { src: Slot, target: Imm, nullable: Imm } => Some(h::gc::ref_cast);
    /// Scalar numeric `[t] -> [t']` (see `num::unary`); one handler per
    /// opcode.
    Unary { op: Op, dst: Slot, src: Slot } => h::numeric::unary(op);
    /// Scalar numeric `[t t] -> [t']` (see `num::binary`); one handler per
    /// opcode.
    Binary { op: Op, dst: Slot, a: Slot, b: Slot } => h::numeric::binary(op);
    /// Scalar numeric `[t i32] -> [t']` or `[t f32] -> [t']` with a
    /// constant second operand (`i32.add` of a constant and friends); one
    /// handler per opcode.
    BinaryImm32 { op: Op, dst: Slot, a: Slot, imm: Imm } => h::numeric::binary_imm32(op);
    /// Scalar numeric `[t i64] -> [t']` or `[t f64] -> [t']` with the
    /// constant `hi << 32 | lo` as second operand; one handler per opcode.
    BinaryImm64 { op: Op, dst: Slot, a: Slot, lo: Imm, hi: Imm } => h::numeric::binary_imm64(op);
    /// SIMD `[v128] -> [v128]`.
    SimdUnary { op: Op, dst: Slot2, src: Slot2 } => h::simd::unary(op);
    /// SIMD `[v128 v128] -> [v128]`.
    SimdBinary { op: Op, dst: Slot2, a: Slot2, b: Slot2 } => h::simd::binary(op);
    /// `v128.bitselect`.
    SimdTernary { op: Op, dst: Slot2, a: Slot2, b: Slot2, c: Slot2 } => h::simd::ternary(op);
    /// SIMD `[v128] -> [i32]`.
    SimdTest { op: Op, dst: Slot, src: Slot2 } => h::simd::test(op);
    /// SIMD shifts `[v128 i32] -> [v128]`.
    SimdShift { op: Op, dst: Slot2, a: Slot2, count: Slot } => h::simd::shift(op);
    /// `*.splat`.
    SimdSplat { op: Op, dst: Slot2, src: Slot } => h::simd::splat(op);
    /// `*.extract_lane*`.
    SimdExtract { op: Op, lane: Lane, dst: Slot, src: Slot2 } => h::simd::extract(op);
    /// `*.replace_lane`.
    SimdReplace { op: Op, lane: Lane, dst: Slot2, a: Slot2, x: Slot } => h::simd::replace(op);
    /// `i8x16.shuffle` with lanes from the constant pool.
    Shuffle { dst: Slot2, a: Slot2, b: Slot2, lanes: Imm } =>
        cfg!(feature = "simd").then_some(h::simd::shuffle as Handler);
}

/// An `i32` comparison fused into a branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Cmp32 {
    Eq,
    Ne,
    LtS,
    LtU,
    GtS,
    GtU,
    LeS,
    LeU,
    GeS,
    GeU,
}

impl Cmp32 {
    /// Every comparison, indexed by its discriminant.
    pub(crate) const ALL: [Cmp32; 10] = {
        use Cmp32::*;
        [Eq, Ne, LtS, LtU, GtS, GtU, LeS, LeU, GeS, GeU]
    };

    /// The comparison an `i32` comparison opcode computes.
    pub(crate) fn of(op: Opcode) -> Option<Cmp32> {
        use Cmp32::*;
        use Opcode as O;
        Some(match op {
            O::I32Eq => Eq,
            O::I32Ne => Ne,
            O::I32LtS => LtS,
            O::I32LtU => LtU,
            O::I32GtS => GtS,
            O::I32GtU => GtU,
            O::I32LeS => LeS,
            O::I32LeU => LeU,
            O::I32GeS => GeS,
            O::I32GeU => GeU,
            _ => return None,
        })
    }

    /// The comparison that holds exactly when `self` does not.
    pub(crate) fn negate(self) -> Cmp32 {
        use Cmp32::*;
        match self {
            Eq => Ne,
            Ne => Eq,
            LtS => GeS,
            LtU => GeU,
            GtS => LeS,
            GtU => LeU,
            LeS => GtS,
            LeU => GtU,
            GeS => LtS,
            GeU => LtU,
        }
    }

    /// Evaluates the comparison.
    #[inline(always)]
    pub(crate) fn eval(self, a: u32, b: u32) -> bool {
        use Cmp32::*;
        match self {
            Eq => a == b,
            Ne => a != b,
            LtS => (a as i32) < (b as i32),
            LtU => a < b,
            GtS => (a as i32) > (b as i32),
            GtU => a > b,
            LeS => (a as i32) <= (b as i32),
            LeU => a <= b,
            GeS => (a as i32) >= (b as i32),
            GeU => a >= b,
        }
    }
}

/// A translated function.
#[derive(Default)]
pub(crate) struct CompiledFunc {
    /// The code: each instruction is its handler's word followed by its
    /// operands (`ops::*`). Only ever read through those types.
    pub code: Box<[u64]>,
    /// For each instruction, its first code word and the byte offset in
    /// the module of the wasm instruction it came from (for backtraces),
    /// sorted by word.
    pub offsets: Vec<(u32, u32)>,
    /// `v128` constants and shuffle lane sets.
    pub pool: Vec<u128>,
    /// Slots taken by the parameters.
    pub param_slots: u32,
    /// Slots taken by parameters and locals together.
    pub local_slots: u32,
    /// Slots the frame needs at most.
    pub frame_slots: u32,
    /// The exception handlers, innermost first (see [`ExnHandler`]).
    pub handlers: Vec<ExnHandler>,
}

/// An exception handler of a translated function: a `try_table` or a
/// legacy `try`, with code positions as words (in the translator, as
/// instruction indices until [`CompiledFunc::encode`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct ExnHandler {
    /// The body's code: an exception thrown at a word in `start..end` (or
    /// by a call there) is this handler's.
    pub start: u32,
    pub end: u32,
    /// Where the caught values go: the frame's slots from here (a legacy
    /// `catch` puts the exception's reference first).
    pub base_slot: u32,
    /// The number of enclosing control frames (the function's included)
    /// at the `try`: what a `delegate` compares against.
    pub nesting: u32,
    /// The clauses, in order: the first that matches takes the exception.
    pub clauses: Vec<Clause>,
    /// A legacy `try`'s catch blocks: an exception that leaves them frees
    /// theirs (unless a reference to it was made). Empty otherwise.
    pub catch_start: u32,
    pub catch_end: u32,
}

/// One catch clause of an [`ExnHandler`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clause {
    /// The module tag it catches; `None`: any.
    pub tag: Option<u32>,
    pub kind: ClauseKind,
    /// The landing pad's word.
    pub pad: u32,
}

/// What a clause does with the exception.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClauseKind {
    /// Its values (`catch`, `catch_all`); the object is freed.
    Values,
    /// Its values, then its reference (`catch_ref`, `catch_all_ref`).
    ValuesRef,
    /// Its reference, then its values (a legacy `catch`/`catch_all` block,
    /// whose hidden slot `rethrow` reads).
    RefValues,
    /// A legacy `delegate`: the search goes on among the handlers of at
    /// most this nesting.
    Delegate(u32),
}

impl core::fmt::Debug for CompiledFunc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CompiledFunc")
            .field("code_words", &self.code.len())
            .field("param_slots", &self.param_slots)
            .field("local_slots", &self.local_slots)
            .field("frame_slots", &self.frame_slots)
            .finish_non_exhaustive()
    }
}

impl CompiledFunc {
    /// Encodes the translator's instructions: branch targets (instruction
    /// indices) become word offsets relative to the branching instruction.
    pub(crate) fn encode(
        instrs: &[Instr],
        wasm_offsets: &[u32],
        pool: Vec<u128>,
        param_slots: u32,
        local_slots: u32,
        frame_slots: u32,
        mut handlers: Vec<ExnHandler>,
    ) -> Result<CompiledFunc, String> {
        let mut starts = Vec::with_capacity(instrs.len() + 1);
        let mut at = 0usize;
        for i in instrs {
            starts.push(at);
            at += i.words();
        }
        starts.push(at);
        if at > i32::MAX as usize / 2 {
            return Err("function too large".into());
        }
        let mut code = Vec::with_capacity(at);
        let mut offsets = Vec::with_capacity(instrs.len());
        for (n, i) in instrs.iter().enumerate() {
            let here = starts[n];
            let rel = |target: u32| {
                let to = starts.get(target as usize).copied().unwrap_or(at);
                to as i32 - here as i32
            };
            if branch_target(i).is_some_and(|t| t as usize >= instrs.len()) {
                return Err(format!(
                    "branch target out of range in `{}` at {n}",
                    i.name()
                ));
            }
            // The `BrTable` handler reads its entries as `Br`s.
            if let Instr::BrTable { len, .. } = *i {
                let entries = instrs.get(n + 1..n + 2 + len as usize);
                if !entries.is_some_and(|e| e.iter().all(|e| matches!(e, Instr::Br { .. }))) {
                    return Err(format!(
                        "`BrTable` at {n} is not followed by {} `Br`",
                        len + 1
                    ));
                }
            }
            i.encode(&mut code, &rel)?;
            offsets.push((here as u32, wasm_offsets.get(n).copied().unwrap_or(0)));
        }
        debug_assert_eq!(code.len(), at);
        // Instruction indices become words.
        let word = |i: u32| starts.get(i as usize).copied().unwrap_or(at) as u32;
        for h in &mut handlers {
            h.start = word(h.start);
            h.end = word(h.end);
            h.catch_start = word(h.catch_start);
            h.catch_end = word(h.catch_end);
            for c in &mut h.clauses {
                if c.pad as usize >= instrs.len() {
                    return Err("landing pad out of range".into());
                }
                c.pad = word(c.pad);
            }
        }
        Ok(CompiledFunc {
            code: code.into_boxed_slice(),
            offsets,
            pool,
            param_slots,
            local_slots,
            frame_slots,
            handlers,
        })
    }

    /// The wasm byte offset of the instruction at code word `word`.
    pub(crate) fn wasm_offset(&self, word: usize) -> u32 {
        match self
            .offsets
            .binary_search_by_key(&(word as u32), |&(w, _)| w)
        {
            Ok(i) => self.offsets[i].1,
            Err(0) => 0,
            Err(i) => self.offsets[i - 1].1,
        }
    }
}

/// The branch target of a jump, if `i` is one.
fn branch_target(i: &Instr) -> Option<u32> {
    match *i {
        Instr::Br { target }
        | Instr::BrIfNez { target, .. }
        | Instr::BrIfEqz { target, .. }
        | Instr::BrIfCmp32 { target, .. }
        | Instr::BrIfCmpImm32 { target, .. } => Some(target),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_stay_small() {
        assert!(size_of::<Instr>() <= 28, "{}", size_of::<Instr>());
    }
}
