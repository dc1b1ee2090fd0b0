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
    /// Jump if `a cmp b` holds for the `i32`s in `a` and `b` (a comparison
    /// fused with the `br_if`/`if` that consumes it).
    BrIfCmp32 {
        cmp: Cmp32,
        a: Reg,
        b: Reg,
        target: u32,
    },
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
    /// `I32Load` (and its float twin), specialized.
    I32Load { dst: Reg, addr: Reg, offset: u32 },
    /// `I64Load` (and its float twin), specialized.
    I64Load { dst: Reg, addr: Reg, offset: u32 },
    /// `I32Load8U` (and its float twin), specialized.
    I32Load8U { dst: Reg, addr: Reg, offset: u32 },
    /// `I32Load8S` (and its float twin), specialized.
    I32Load8S { dst: Reg, addr: Reg, offset: u32 },
    /// `I32Load16U` (and its float twin), specialized.
    I32Load16U { dst: Reg, addr: Reg, offset: u32 },
    /// `I32Load16S` (and its float twin), specialized.
    I32Load16S { dst: Reg, addr: Reg, offset: u32 },
    /// `I32Store` (and its float twin), specialized.
    I32Store { addr: Reg, src: Reg, offset: u32 },
    /// `I64Store` (and its float twin), specialized.
    I64Store { addr: Reg, src: Reg, offset: u32 },
    /// `I32Store8` (and its float twin), specialized.
    I32Store8 { addr: Reg, src: Reg, offset: u32 },
    /// `I32Store16` (and its float twin), specialized.
    I32Store16 { addr: Reg, src: Reg, offset: u32 },
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
    // The most frequent binary operations get their own variants (no
    // second dispatch on the opcode); see `translate::specialize`.
    /// `I32Add`, specialized.
    I32Add { dst: Reg, a: Reg, b: Reg },
    /// `I32Sub`, specialized.
    I32Sub { dst: Reg, a: Reg, b: Reg },
    /// `I32Mul`, specialized.
    I32Mul { dst: Reg, a: Reg, b: Reg },
    /// `I32And`, specialized.
    I32And { dst: Reg, a: Reg, b: Reg },
    /// `I32Or`, specialized.
    I32Or { dst: Reg, a: Reg, b: Reg },
    /// `I32Xor`, specialized.
    I32Xor { dst: Reg, a: Reg, b: Reg },
    /// `I32Shl`, specialized.
    I32Shl { dst: Reg, a: Reg, b: Reg },
    /// `I32ShrS`, specialized.
    I32ShrS { dst: Reg, a: Reg, b: Reg },
    /// `I32ShrU`, specialized.
    I32ShrU { dst: Reg, a: Reg, b: Reg },
    /// `I32Eq`, specialized.
    I32Eq { dst: Reg, a: Reg, b: Reg },
    /// `I32Ne`, specialized.
    I32Ne { dst: Reg, a: Reg, b: Reg },
    /// `I32LtS`, specialized.
    I32LtS { dst: Reg, a: Reg, b: Reg },
    /// `I32LtU`, specialized.
    I32LtU { dst: Reg, a: Reg, b: Reg },
    /// `I32GtS`, specialized.
    I32GtS { dst: Reg, a: Reg, b: Reg },
    /// `I32GtU`, specialized.
    I32GtU { dst: Reg, a: Reg, b: Reg },
    /// `I32LeS`, specialized.
    I32LeS { dst: Reg, a: Reg, b: Reg },
    /// `I32LeU`, specialized.
    I32LeU { dst: Reg, a: Reg, b: Reg },
    /// `I32GeS`, specialized.
    I32GeS { dst: Reg, a: Reg, b: Reg },
    /// `I32GeU`, specialized.
    I32GeU { dst: Reg, a: Reg, b: Reg },
    /// `I64Add`, specialized.
    I64Add { dst: Reg, a: Reg, b: Reg },
    /// `I64Sub`, specialized.
    I64Sub { dst: Reg, a: Reg, b: Reg },
    /// `I64Mul`, specialized.
    I64Mul { dst: Reg, a: Reg, b: Reg },
    /// `I64And`, specialized.
    I64And { dst: Reg, a: Reg, b: Reg },
    /// `I64Or`, specialized.
    I64Or { dst: Reg, a: Reg, b: Reg },
    /// `I64Xor`, specialized.
    I64Xor { dst: Reg, a: Reg, b: Reg },
    /// `I64Shl`, specialized.
    I64Shl { dst: Reg, a: Reg, b: Reg },
    /// `I64ShrS`, specialized.
    I64ShrS { dst: Reg, a: Reg, b: Reg },
    /// `I64ShrU`, specialized.
    I64ShrU { dst: Reg, a: Reg, b: Reg },
    /// `I64Eq`, specialized.
    I64Eq { dst: Reg, a: Reg, b: Reg },
    /// `I64Ne`, specialized.
    I64Ne { dst: Reg, a: Reg, b: Reg },
    /// `I64LtS`, specialized.
    I64LtS { dst: Reg, a: Reg, b: Reg },
    /// `I64LtU`, specialized.
    I64LtU { dst: Reg, a: Reg, b: Reg },
    /// `I64GtS`, specialized.
    I64GtS { dst: Reg, a: Reg, b: Reg },
    /// `I64GtU`, specialized.
    I64GtU { dst: Reg, a: Reg, b: Reg },
    /// `I64LeS`, specialized.
    I64LeS { dst: Reg, a: Reg, b: Reg },
    /// `I64LeU`, specialized.
    I64LeU { dst: Reg, a: Reg, b: Reg },
    /// `I64GeS`, specialized.
    I64GeS { dst: Reg, a: Reg, b: Reg },
    /// `I64GeU`, specialized.
    I64GeU { dst: Reg, a: Reg, b: Reg },
    /// `F32Add`, specialized.
    F32Add { dst: Reg, a: Reg, b: Reg },
    /// `F32Sub`, specialized.
    F32Sub { dst: Reg, a: Reg, b: Reg },
    /// `F32Mul`, specialized.
    F32Mul { dst: Reg, a: Reg, b: Reg },
    /// `F32Div`, specialized.
    F32Div { dst: Reg, a: Reg, b: Reg },
    /// `F64Add`, specialized.
    F64Add { dst: Reg, a: Reg, b: Reg },
    /// `F64Sub`, specialized.
    F64Sub { dst: Reg, a: Reg, b: Reg },
    /// `F64Mul`, specialized.
    F64Mul { dst: Reg, a: Reg, b: Reg },
    /// `F64Div`, specialized.
    F64Div { dst: Reg, a: Reg, b: Reg },
    /// `i32.eqz`, specialized.
    I32Eqz { dst: Reg, src: Reg },
    /// `i64.eqz`, specialized.
    I64Eqz { dst: Reg, src: Reg },
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

impl Instr {
    /// One past the highest frame slot this instruction reads or writes
    /// (a callee's slots belong to the callee's frame). The translator
    /// checks this against the frame size so that the executor may index
    /// slots without bounds checks.
    pub(crate) fn slots_end(&self) -> u32 {
        match *self {
            Instr::CallIndirect { index, .. } => index + 1,
            Instr::I32Load { dst, addr, .. } => (dst + 1).max(addr + 1),
            Instr::I64Load { dst, addr, .. } => (dst + 1).max(addr + 1),
            Instr::I32Load8U { dst, addr, .. } => (dst + 1).max(addr + 1),
            Instr::I32Load8S { dst, addr, .. } => (dst + 1).max(addr + 1),
            Instr::I32Load16U { dst, addr, .. } => (dst + 1).max(addr + 1),
            Instr::I32Load16S { dst, addr, .. } => (dst + 1).max(addr + 1),
            Instr::I32Store { addr, src, .. } => (addr + 1).max(src + 1),
            Instr::I64Store { addr, src, .. } => (addr + 1).max(src + 1),
            Instr::I32Store8 { addr, src, .. } => (addr + 1).max(src + 1),
            Instr::I32Store16 { addr, src, .. } => (addr + 1).max(src + 1),
            // Loads and stores may be `v128` (two slots).
            Instr::Load { dst, addr, .. } => (dst + 2).max(addr + 1),
            Instr::Store { addr, src, .. } => (addr + 1).max(src + 2),
            Instr::LoadLane { dst, addr, src, .. } => (dst + 2).max(addr + 1).max(src + 2),
            Instr::StoreLane { addr, src, .. } => (addr + 1).max(src + 2),
            Instr::TableCopy { args, .. } => args + 3,
            Instr::Binary { dst, a, b, .. } => (dst + 1).max(a + 1).max(b + 1),
            Instr::SimdBinary { dst, a, b, .. } => (dst + 2).max(a + 2).max(b + 2),
            Instr::SimdTernary { dst, a, b, c, .. } => (dst + 2).max(a + 2).max(b + 2).max(c + 2),
            Instr::SimdShift { dst, a, count, .. } => (dst + 2).max(a + 2).max(count + 1),
            Instr::SimdExtract { dst, src, .. } => (dst + 1).max(src + 2),
            Instr::SimdReplace { dst, a, x, .. } => (dst + 2).max(a + 2).max(x + 1),
            Instr::Shuffle { dst, a, b, .. } => (dst + 2).max(a + 2).max(b + 2),
            Instr::Unreachable => 0,
            Instr::ConsumeFuel(_) => 0,
            Instr::CheckInterrupt => 0,
            Instr::Br(_) => 0,
            Instr::BrIfCmp32 { a, b, .. } => (a + 1).max(b + 1),
            Instr::BrIfNez { cond, .. } => [cond + 1].into_iter().max().unwrap_or(0),
            Instr::BrIfEqz { cond, .. } => [cond + 1].into_iter().max().unwrap_or(0),
            Instr::BrTable { index, .. } => [index + 1].into_iter().max().unwrap_or(0),
            Instr::Return => 0,
            Instr::Copy { dst, src, .. } => [dst + 1, src + 1].into_iter().max().unwrap_or(0),
            Instr::Copy2 { dst, src, .. } => [dst + 2, src + 2].into_iter().max().unwrap_or(0),
            Instr::Const32 { dst, .. } => [dst + 1].into_iter().max().unwrap_or(0),
            Instr::Const64 { dst, .. } => [dst + 1].into_iter().max().unwrap_or(0),
            Instr::ConstV128 { dst, index, .. } => {
                [dst + 2, index + 1].into_iter().max().unwrap_or(0)
            }
            Instr::Call { .. } => 0,
            Instr::Select {
                dst, cond, a, b, ..
            } => [dst + 1, cond + 1, a + 1, b + 1]
                .into_iter()
                .max()
                .unwrap_or(0),
            Instr::Select2 {
                dst, cond, a, b, ..
            } => [dst + 2, cond + 1, a + 2, b + 2]
                .into_iter()
                .max()
                .unwrap_or(0),
            Instr::GlobalGet { dst, .. } => [dst + 1].into_iter().max().unwrap_or(0),
            Instr::GlobalGet2 { dst, .. } => [dst + 2].into_iter().max().unwrap_or(0),
            Instr::GlobalSet { src, .. } => [src + 1].into_iter().max().unwrap_or(0),
            Instr::GlobalSet2 { src, .. } => [src + 2].into_iter().max().unwrap_or(0),
            Instr::MemorySize { dst, .. } => [dst + 1].into_iter().max().unwrap_or(0),
            Instr::MemoryGrow { dst, .. } => [dst + 1].into_iter().max().unwrap_or(0),
            Instr::MemoryFill { args, .. } => [args + 3].into_iter().max().unwrap_or(0),
            Instr::MemoryCopy { args, .. } => [args + 3].into_iter().max().unwrap_or(0),
            Instr::MemoryInit { args, .. } => [args + 3].into_iter().max().unwrap_or(0),
            Instr::DataDrop { .. } => 0,
            Instr::TableGet { dst, index, .. } => {
                [dst + 1, index + 1].into_iter().max().unwrap_or(0)
            }
            Instr::TableSet { args, .. } => [args + 2].into_iter().max().unwrap_or(0),
            Instr::TableSize { dst, .. } => [dst + 1].into_iter().max().unwrap_or(0),
            Instr::TableGrow { args, .. } => [args + 2].into_iter().max().unwrap_or(0),
            Instr::TableFill { args, .. } => [args + 3].into_iter().max().unwrap_or(0),
            Instr::TableInit { args, .. } => [args + 3].into_iter().max().unwrap_or(0),
            Instr::ElemDrop { .. } => 0,
            Instr::RefFunc { dst, .. } => [dst + 1].into_iter().max().unwrap_or(0),
            Instr::RefIsNull { dst, src, .. } => [dst + 1, src + 1].into_iter().max().unwrap_or(0),
            Instr::Unary { dst, src, .. } => [dst + 1, src + 1].into_iter().max().unwrap_or(0),
            Instr::I32Add { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32Sub { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32Mul { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32And { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32Or { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32Xor { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32Shl { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32ShrS { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32ShrU { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32Eq { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32Ne { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32LtS { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32LtU { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32GtS { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32GtU { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32LeS { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32LeU { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32GeS { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32GeU { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64Add { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64Sub { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64Mul { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64And { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64Or { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64Xor { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64Shl { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64ShrS { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64ShrU { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64Eq { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64Ne { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64LtS { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64LtU { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64GtS { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64GtU { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64LeS { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64LeU { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64GeS { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I64GeU { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::F32Add { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::F32Sub { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::F32Mul { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::F32Div { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::F64Add { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::F64Sub { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::F64Mul { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::F64Div { dst, a, b, .. } => {
                [dst + 1, a + 1, b + 1].into_iter().max().unwrap_or(0)
            }
            Instr::I32Eqz { dst, src, .. } => [dst + 1, src + 1].into_iter().max().unwrap_or(0),
            Instr::I64Eqz { dst, src, .. } => [dst + 1, src + 1].into_iter().max().unwrap_or(0),
            Instr::SimdUnary { dst, src, .. } => [dst + 2, src + 2].into_iter().max().unwrap_or(0),
            Instr::SimdTest { dst, src, .. } => [dst + 1, src + 2].into_iter().max().unwrap_or(0),
            Instr::SimdSplat { dst, src, .. } => [dst + 2, src + 1].into_iter().max().unwrap_or(0),
        }
    }
}

/// An `i32` comparison fused into a branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
