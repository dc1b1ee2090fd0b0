//! The interpreter's internal code: register-based instructions over the
//! slots of a function's frame.
//!
//! A slot is 8 bytes (`u64`); `i32`/`f32` live in the low half, references
//! are `0` for null or a store handle plus one, and a `v128` takes two
//! consecutive slots (low half first). Every operand below is a slot index
//! relative to the frame's base ([`Reg`]). Immediates that would not fit
//! (v128 constants, shuffle lanes) live in the function's constant pool.

use nanowasm_core::Opcode;

/// A slot index relative to the frame base.
pub(crate) type Reg = u32;

/// One instruction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Instr {
    /// Trap: `unreachable`.
    Unreachable,
    /// Subtract this many units of fuel; trap if there is not enough.
    ConsumeFuel(u32),
    /// Trap if the store's epoch deadline has passed.
    CheckInterrupt,
    /// Jump to the instruction at this index.
    Br(u32),
    /// Jump if the `i32` in `cond` is not zero.
    BrIfNez { cond: Reg, target: u32 },
    /// Jump if the `i32` in `cond` is zero.
    BrIfEqz { cond: Reg, target: u32 },
    /// Jump to entry `min(index, len)` of the `len + 1` `Br` that follow.
    BrTable { index: Reg, len: u32 },
    /// Return from the function; the results are in slots `0..`.
    Return,
    /// Copy one slot.
    Copy { dst: Reg, src: Reg },
    /// Copy two slots (a `v128`).
    Copy2 { dst: Reg, src: Reg },
    /// Write a 32-bit constant (zero-extended).
    Const32 { dst: Reg, value: u32 },
    /// Write a 64-bit constant, split to keep instructions 4-aligned.
    Const64 { dst: Reg, lo: u32, hi: u32 },
    /// Write a `v128` constant from the constant pool.
    ConstV128 { dst: Reg, index: u32 },
    /// Call function `func` of the current instance; its arguments are in
    /// slots `args..`, which become the callee's first slots.
    Call { func: u32, args: Reg },
    /// Call through table `table` the element whose index is in `index`,
    /// expecting type `ty` of the current module.
    CallIndirect {
        ty: u32,
        table: u32,
        index: Reg,
        args: Reg,
    },
    /// `dst = cond != 0 ? a : b` (one slot).
    Select { dst: Reg, cond: Reg, a: Reg, b: Reg },
    /// `select` of two slots (`v128`).
    Select2 { dst: Reg, cond: Reg, a: Reg, b: Reg },
    /// Read global `global` of the current instance (one slot).
    GlobalGet { dst: Reg, global: u32 },
    /// Read a `v128` global.
    GlobalGet2 { dst: Reg, global: u32 },
    /// Write global `global` (one slot).
    GlobalSet { src: Reg, global: u32 },
    /// Write a `v128` global.
    GlobalSet2 { src: Reg, global: u32 },
    /// A scalar load: `op` is the load opcode; `offset` is the static offset.
    Load {
        op: Opcode,
        dst: Reg,
        addr: Reg,
        offset: u32,
    },
    /// A scalar or `v128` store.
    Store {
        op: Opcode,
        addr: Reg,
        src: Reg,
        offset: u32,
    },
    /// `v128.loadN_lane`: `src` holds the vector to update.
    LoadLane {
        op: Opcode,
        lane: u8,
        dst: Reg,
        addr: Reg,
        src: Reg,
        offset: u32,
    },
    /// `v128.storeN_lane`.
    StoreLane {
        op: Opcode,
        lane: u8,
        addr: Reg,
        src: Reg,
        offset: u32,
    },
    /// `memory.size`.
    MemorySize { dst: Reg },
    /// `memory.grow`: `delta` in, previous size or -1 out.
    MemoryGrow { dst: Reg, delta: Reg },
    /// `memory.fill` with (dst, value, len) in `args..args+3`.
    MemoryFill { args: Reg },
    /// `memory.copy` with (dst, src, len) in `args..`.
    MemoryCopy { args: Reg },
    /// `memory.init` of data segment `seg`, (dst, src, len) in `args..`.
    MemoryInit { seg: u32, args: Reg },
    /// `data.drop`.
    DataDrop { seg: u32 },
    /// `table.get`.
    TableGet { table: u32, dst: Reg, index: Reg },
    /// `table.set` with (index, value) in `args..`.
    TableSet { table: u32, args: Reg },
    /// `table.size`.
    TableSize { table: u32, dst: Reg },
    /// `table.grow` with (init, delta) in `args..`; result in `args`.
    TableGrow { table: u32, args: Reg },
    /// `table.fill` with (index, value, len) in `args..`.
    TableFill { table: u32, args: Reg },
    /// `table.copy` with (dst, src, len) in `args..`.
    TableCopy {
        dst_table: u32,
        src_table: u32,
        args: Reg,
    },
    /// `table.init` of element segment `seg`, (dst, src, len) in `args..`.
    TableInit { table: u32, seg: u32, args: Reg },
    /// `elem.drop`.
    ElemDrop { seg: u32 },
    /// `ref.func`: a reference to function `func` of the current instance.
    RefFunc { dst: Reg, func: u32 },
    /// `ref.is_null`.
    RefIsNull { dst: Reg, src: Reg },
    /// Scalar numeric `[t] -> [t']` (see `num::unary`).
    Unary { op: Opcode, dst: Reg, src: Reg },
    /// Scalar numeric `[t t] -> [t']` (see `num::binary`).
    Binary {
        op: Opcode,
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// `i32.add` and the other hot integer operations, specialized.
    I32Add { dst: Reg, a: Reg, b: Reg },
    /// `i32.sub`.
    I32Sub { dst: Reg, a: Reg, b: Reg },
    /// `i32.and`.
    I32And { dst: Reg, a: Reg, b: Reg },
    /// `i32.eqz`.
    I32Eqz { dst: Reg, src: Reg },
    /// `i32.lt_s`.
    I32LtS { dst: Reg, a: Reg, b: Reg },
    /// `i32.lt_u`.
    I32LtU { dst: Reg, a: Reg, b: Reg },
    /// `i32.eq`.
    I32Eq { dst: Reg, a: Reg, b: Reg },
    /// `i32.ne`.
    I32Ne { dst: Reg, a: Reg, b: Reg },
    /// `i64.add`.
    I64Add { dst: Reg, a: Reg, b: Reg },
    /// `i64.sub`.
    I64Sub { dst: Reg, a: Reg, b: Reg },
    /// SIMD `[v128] -> [v128]`.
    SimdUnary { op: Opcode, dst: Reg, src: Reg },
    /// SIMD `[v128 v128] -> [v128]`.
    SimdBinary {
        op: Opcode,
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// `v128.bitselect`.
    SimdTernary {
        op: Opcode,
        dst: Reg,
        a: Reg,
        b: Reg,
        c: Reg,
    },
    /// SIMD `[v128] -> [i32]`.
    SimdTest { op: Opcode, dst: Reg, src: Reg },
    /// SIMD shifts `[v128 i32] -> [v128]`.
    SimdShift {
        op: Opcode,
        dst: Reg,
        a: Reg,
        count: Reg,
    },
    /// `*.splat`.
    SimdSplat { op: Opcode, dst: Reg, src: Reg },
    /// `*.extract_lane*`.
    SimdExtract {
        op: Opcode,
        lane: u8,
        dst: Reg,
        src: Reg,
    },
    /// `*.replace_lane`.
    SimdReplace {
        op: Opcode,
        lane: u8,
        dst: Reg,
        a: Reg,
        x: Reg,
    },
    /// `i8x16.shuffle` with lanes from the constant pool.
    Shuffle {
        dst: Reg,
        a: Reg,
        b: Reg,
        lanes: u32,
    },
}

/// A translated function.
#[derive(Debug, Default)]
pub(crate) struct CompiledFunc {
    /// The instructions.
    pub code: Vec<Instr>,
    /// For each instruction, the byte offset in the module of the wasm
    /// instruction it came from (for backtraces).
    pub offsets: Vec<u32>,
    /// `v128` constants and shuffle lane sets.
    pub pool: Vec<u128>,
    /// Slots taken by the parameters.
    pub param_slots: u32,
    /// Slots taken by parameters and locals together.
    pub local_slots: u32,
    /// Slots the frame needs at most.
    pub frame_slots: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_stay_small() {
        assert!(size_of::<Instr>() <= 20, "{}", size_of::<Instr>());
    }
}
