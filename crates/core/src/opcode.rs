//! The one opcode table.
//!
//! Every WebAssembly 2.0 instruction is one row of [`for_each_opcode!`]:
//!
//! ```text
//! Variant  visit_method  "text.name"  prefix code  ImmKind  Feature  (Sig)
//! ```
//!
//! * `prefix` is `plain` for one-byte opcodes, or the prefix byte `0xfc` /
//!   `0xfd`, in which case `code` is the LEB128 sub-opcode;
//! * [`ImmKind`] says which immediates follow the opcode in the binary
//!   format (and in the text format);
//! * [`Feature`] names the proposal that introduced the instruction;
//! * [`Sig`] is its typing rule when that rule is a fixed signature, and
//!   [`Sig::Special`] when the validator types it by hand.
//!
//! The decoder, the validator, the text parser, the printer and later the
//! interpreter all expand from this table, so an instruction is added once.
//! The macro is exported so other crates can generate their own code from
//! the rows (`for_each_opcode!(my_macro)` calls `my_macro! { rows }`).

use alloc::vec::Vec;

use crate::{Feature, ValType};

/// Which immediates follow an opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImmKind {
    /// No immediate.
    None,
    /// A block type (`block`, `loop`, `if`).
    BlockType,
    /// A label index (`br`, `br_if`).
    Label,
    /// A vector of label indices and a default (`br_table`).
    BrTable,
    /// A function index (`call`, `ref.func`).
    Func,
    /// A type index then a table index (`call_indirect`).
    CallIndirect,
    /// A local index.
    Local,
    /// A global index.
    Global,
    /// A table index.
    Table,
    /// A memory index (a zero byte without multi-memory).
    Memory,
    /// A memory argument (alignment, offset, and memory with multi-memory).
    MemArg,
    /// A memory argument and a lane index.
    MemArgLane,
    /// A lane index.
    Lane,
    /// Sixteen lane indices (`i8x16.shuffle`).
    Shuffle,
    /// A signed 32-bit integer constant.
    I32,
    /// A signed 64-bit integer constant.
    I64,
    /// A 32-bit float constant (raw bits).
    F32,
    /// A 64-bit float constant (raw bits).
    F64,
    /// A 128-bit vector constant.
    V128,
    /// A vector of value types (`select t*`).
    SelectT,
    /// A heap type (`ref.null`).
    RefNull,
    /// A data segment index then a memory index (`memory.init`).
    MemoryInit,
    /// Destination and source memory indices (`memory.copy`).
    MemoryCopy,
    /// A data segment index (`data.drop`).
    Data,
    /// An element segment index then a table index (`table.init`).
    TableInit,
    /// Destination and source table indices (`table.copy`).
    TableCopy,
    /// An element segment index (`elem.drop`).
    Elem,
    /// A tag index (`throw`, legacy `catch`).
    Tag,
    /// A block type and a vector of catch clauses (`try_table`).
    TryTable,
    /// A type index (`call_ref`, `struct.new`, `array.get`, ...).
    Type,
    /// A struct type index then a field index (`struct.get`, `struct.set`).
    StructField,
    /// An array type index then an element count (`array.new_fixed`).
    ArrayFixed,
    /// An array type index then a data segment index (`array.new_data`,
    /// `array.init_data`).
    ArrayData,
    /// An array type index then an element segment index
    /// (`array.new_elem`, `array.init_elem`).
    ArrayElem,
    /// Destination then source array type indices (`array.copy`).
    ArrayCopy,
    /// A heap type (`ref.test`, `ref.cast`).
    HeapType,
    /// Nullability flags, a label, and two heap types (`br_on_cast`,
    /// `br_on_cast_fail`).
    BrOnCast,
}

/// How the validator types an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sig {
    /// Typed by hand (control, variables, references, tables, constants...).
    Special,
    /// Pops the first list (last element on top) and pushes the second.
    Fixed(&'static [ValType], &'static [ValType]),
    /// Like `Fixed`, with a lane immediate that must be below the count.
    Lane(u8, &'static [ValType], &'static [ValType]),
    /// Pops an address, pushes a value of the type; the alignment
    /// (log2 bytes) may be at most the given natural alignment.
    Load(ValType, u8),
    /// Pops an address and a value of the type.
    Store(ValType, u8),
    /// `v128.loadN_lane`: natural alignment; lane count is `16 >> align`.
    LoadLane(u8),
    /// `v128.storeN_lane`: natural alignment; lane count is `16 >> align`.
    StoreLane(u8),
}

/// Calls `$m! { rows }` with every row of the opcode table. See the module
/// documentation for the row format.
#[macro_export]
macro_rules! for_each_opcode {
    ($m:ident) => {
        $m! {
            Unreachable               visit_unreachable                      "unreachable"                   plain 0x00 None       Mvp                  (Sig::Special);
            Nop                       visit_nop                              "nop"                           plain 0x01 None       Mvp                  (Sig::Special);
            Block                     visit_block                            "block"                         plain 0x02 BlockType  Mvp                  (Sig::Special);
            Loop                      visit_loop                             "loop"                          plain 0x03 BlockType  Mvp                  (Sig::Special);
            If                        visit_if                               "if"                            plain 0x04 BlockType  Mvp                  (Sig::Special);
            Else                      visit_else                             "else"                          plain 0x05 None       Mvp                  (Sig::Special);
            Try                       visit_try                              "try"                           plain 0x06 BlockType  Exceptions           (Sig::Special);
            Catch                     visit_catch                            "catch"                         plain 0x07 Tag        Exceptions           (Sig::Special);
            Throw                     visit_throw                            "throw"                         plain 0x08 Tag        Exceptions           (Sig::Special);
            Rethrow                   visit_rethrow                          "rethrow"                       plain 0x09 Label      Exceptions           (Sig::Special);
            ThrowRef                  visit_throw_ref                        "throw_ref"                     plain 0x0a None       Exceptions           (Sig::Special);
            End                       visit_end                              "end"                           plain 0x0b None       Mvp                  (Sig::Special);
            Br                        visit_br                               "br"                            plain 0x0c Label      Mvp                  (Sig::Special);
            BrIf                      visit_br_if                            "br_if"                         plain 0x0d Label      Mvp                  (Sig::Special);
            BrTable                   visit_br_table                         "br_table"                      plain 0x0e BrTable    Mvp                  (Sig::Special);
            Return                    visit_return                           "return"                        plain 0x0f None       Mvp                  (Sig::Special);
            Call                      visit_call                             "call"                          plain 0x10 Func       Mvp                  (Sig::Special);
            CallIndirect              visit_call_indirect                    "call_indirect"                 plain 0x11 CallIndirect Mvp                  (Sig::Special);
            ReturnCall                visit_return_call                      "return_call"                   plain 0x12 Func       TailCall             (Sig::Special);
            ReturnCallIndirect        visit_return_call_indirect             "return_call_indirect"          plain 0x13 CallIndirect TailCall             (Sig::Special);
            Delegate                  visit_delegate                         "delegate"                      plain 0x18 Label      Exceptions           (Sig::Special);
            CatchAll                  visit_catch_all                        "catch_all"                     plain 0x19 None       Exceptions           (Sig::Special);
            Drop                      visit_drop                             "drop"                          plain 0x1a None       Mvp                  (Sig::Special);
            Select                    visit_select                           "select"                        plain 0x1b None       Mvp                  (Sig::Special);
            TryTable                  visit_try_table                        "try_table"                     plain 0x1f TryTable   Exceptions           (Sig::Special);
            LocalGet                  visit_local_get                        "local.get"                     plain 0x20 Local      Mvp                  (Sig::Special);
            LocalSet                  visit_local_set                        "local.set"                     plain 0x21 Local      Mvp                  (Sig::Special);
            LocalTee                  visit_local_tee                        "local.tee"                     plain 0x22 Local      Mvp                  (Sig::Special);
            GlobalGet                 visit_global_get                       "global.get"                    plain 0x23 Global     Mvp                  (Sig::Special);
            GlobalSet                 visit_global_set                       "global.set"                    plain 0x24 Global     Mvp                  (Sig::Special);
            I32Load                   visit_i32_load                         "i32.load"                      plain 0x28 MemArg     Mvp                  (Sig::Load(ValType::I32, 2));
            I64Load                   visit_i64_load                         "i64.load"                      plain 0x29 MemArg     Mvp                  (Sig::Load(ValType::I64, 3));
            F32Load                   visit_f32_load                         "f32.load"                      plain 0x2a MemArg     Mvp                  (Sig::Load(ValType::F32, 2));
            F64Load                   visit_f64_load                         "f64.load"                      plain 0x2b MemArg     Mvp                  (Sig::Load(ValType::F64, 3));
            I32Load8S                 visit_i32_load8_s                      "i32.load8_s"                   plain 0x2c MemArg     Mvp                  (Sig::Load(ValType::I32, 0));
            I32Load8U                 visit_i32_load8_u                      "i32.load8_u"                   plain 0x2d MemArg     Mvp                  (Sig::Load(ValType::I32, 0));
            I32Load16S                visit_i32_load16_s                     "i32.load16_s"                  plain 0x2e MemArg     Mvp                  (Sig::Load(ValType::I32, 1));
            I32Load16U                visit_i32_load16_u                     "i32.load16_u"                  plain 0x2f MemArg     Mvp                  (Sig::Load(ValType::I32, 1));
            I64Load8S                 visit_i64_load8_s                      "i64.load8_s"                   plain 0x30 MemArg     Mvp                  (Sig::Load(ValType::I64, 0));
            I64Load8U                 visit_i64_load8_u                      "i64.load8_u"                   plain 0x31 MemArg     Mvp                  (Sig::Load(ValType::I64, 0));
            I64Load16S                visit_i64_load16_s                     "i64.load16_s"                  plain 0x32 MemArg     Mvp                  (Sig::Load(ValType::I64, 1));
            I64Load16U                visit_i64_load16_u                     "i64.load16_u"                  plain 0x33 MemArg     Mvp                  (Sig::Load(ValType::I64, 1));
            I64Load32S                visit_i64_load32_s                     "i64.load32_s"                  plain 0x34 MemArg     Mvp                  (Sig::Load(ValType::I64, 2));
            I64Load32U                visit_i64_load32_u                     "i64.load32_u"                  plain 0x35 MemArg     Mvp                  (Sig::Load(ValType::I64, 2));
            I32Store                  visit_i32_store                        "i32.store"                     plain 0x36 MemArg     Mvp                  (Sig::Store(ValType::I32, 2));
            I64Store                  visit_i64_store                        "i64.store"                     plain 0x37 MemArg     Mvp                  (Sig::Store(ValType::I64, 3));
            F32Store                  visit_f32_store                        "f32.store"                     plain 0x38 MemArg     Mvp                  (Sig::Store(ValType::F32, 2));
            F64Store                  visit_f64_store                        "f64.store"                     plain 0x39 MemArg     Mvp                  (Sig::Store(ValType::F64, 3));
            I32Store8                 visit_i32_store8                       "i32.store8"                    plain 0x3a MemArg     Mvp                  (Sig::Store(ValType::I32, 0));
            I32Store16                visit_i32_store16                      "i32.store16"                   plain 0x3b MemArg     Mvp                  (Sig::Store(ValType::I32, 1));
            I64Store8                 visit_i64_store8                       "i64.store8"                    plain 0x3c MemArg     Mvp                  (Sig::Store(ValType::I64, 0));
            I64Store16                visit_i64_store16                      "i64.store16"                   plain 0x3d MemArg     Mvp                  (Sig::Store(ValType::I64, 1));
            I64Store32                visit_i64_store32                      "i64.store32"                   plain 0x3e MemArg     Mvp                  (Sig::Store(ValType::I64, 2));
            MemorySize                visit_memory_size                      "memory.size"                   plain 0x3f Memory     Mvp                  (Sig::Special);
            MemoryGrow                visit_memory_grow                      "memory.grow"                   plain 0x40 Memory     Mvp                  (Sig::Special);
            I32Const                  visit_i32_const                        "i32.const"                     plain 0x41 I32        Mvp                  (Sig::Special);
            I64Const                  visit_i64_const                        "i64.const"                     plain 0x42 I64        Mvp                  (Sig::Special);
            F32Const                  visit_f32_const                        "f32.const"                     plain 0x43 F32        Mvp                  (Sig::Special);
            F64Const                  visit_f64_const                        "f64.const"                     plain 0x44 F64        Mvp                  (Sig::Special);
            I32Eqz                    visit_i32_eqz                          "i32.eqz"                       plain 0x45 None       Mvp                  (Sig::Fixed(&[ValType::I32], &[ValType::I32]));
            I32Eq                     visit_i32_eq                           "i32.eq"                        plain 0x46 None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32Ne                     visit_i32_ne                           "i32.ne"                        plain 0x47 None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32LtS                    visit_i32_lt_s                         "i32.lt_s"                      plain 0x48 None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32LtU                    visit_i32_lt_u                         "i32.lt_u"                      plain 0x49 None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32GtS                    visit_i32_gt_s                         "i32.gt_s"                      plain 0x4a None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32GtU                    visit_i32_gt_u                         "i32.gt_u"                      plain 0x4b None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32LeS                    visit_i32_le_s                         "i32.le_s"                      plain 0x4c None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32LeU                    visit_i32_le_u                         "i32.le_u"                      plain 0x4d None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32GeS                    visit_i32_ge_s                         "i32.ge_s"                      plain 0x4e None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32GeU                    visit_i32_ge_u                         "i32.ge_u"                      plain 0x4f None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I64Eqz                    visit_i64_eqz                          "i64.eqz"                       plain 0x50 None       Mvp                  (Sig::Fixed(&[ValType::I64], &[ValType::I32]));
            I64Eq                     visit_i64_eq                           "i64.eq"                        plain 0x51 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I32]));
            I64Ne                     visit_i64_ne                           "i64.ne"                        plain 0x52 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I32]));
            I64LtS                    visit_i64_lt_s                         "i64.lt_s"                      plain 0x53 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I32]));
            I64LtU                    visit_i64_lt_u                         "i64.lt_u"                      plain 0x54 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I32]));
            I64GtS                    visit_i64_gt_s                         "i64.gt_s"                      plain 0x55 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I32]));
            I64GtU                    visit_i64_gt_u                         "i64.gt_u"                      plain 0x56 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I32]));
            I64LeS                    visit_i64_le_s                         "i64.le_s"                      plain 0x57 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I32]));
            I64LeU                    visit_i64_le_u                         "i64.le_u"                      plain 0x58 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I32]));
            I64GeS                    visit_i64_ge_s                         "i64.ge_s"                      plain 0x59 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I32]));
            I64GeU                    visit_i64_ge_u                         "i64.ge_u"                      plain 0x5a None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I32]));
            F32Eq                     visit_f32_eq                           "f32.eq"                        plain 0x5b None       Mvp                  (Sig::Fixed(&[ValType::F32, ValType::F32], &[ValType::I32]));
            F32Ne                     visit_f32_ne                           "f32.ne"                        plain 0x5c None       Mvp                  (Sig::Fixed(&[ValType::F32, ValType::F32], &[ValType::I32]));
            F32Lt                     visit_f32_lt                           "f32.lt"                        plain 0x5d None       Mvp                  (Sig::Fixed(&[ValType::F32, ValType::F32], &[ValType::I32]));
            F32Gt                     visit_f32_gt                           "f32.gt"                        plain 0x5e None       Mvp                  (Sig::Fixed(&[ValType::F32, ValType::F32], &[ValType::I32]));
            F32Le                     visit_f32_le                           "f32.le"                        plain 0x5f None       Mvp                  (Sig::Fixed(&[ValType::F32, ValType::F32], &[ValType::I32]));
            F32Ge                     visit_f32_ge                           "f32.ge"                        plain 0x60 None       Mvp                  (Sig::Fixed(&[ValType::F32, ValType::F32], &[ValType::I32]));
            F64Eq                     visit_f64_eq                           "f64.eq"                        plain 0x61 None       Mvp                  (Sig::Fixed(&[ValType::F64, ValType::F64], &[ValType::I32]));
            F64Ne                     visit_f64_ne                           "f64.ne"                        plain 0x62 None       Mvp                  (Sig::Fixed(&[ValType::F64, ValType::F64], &[ValType::I32]));
            F64Lt                     visit_f64_lt                           "f64.lt"                        plain 0x63 None       Mvp                  (Sig::Fixed(&[ValType::F64, ValType::F64], &[ValType::I32]));
            F64Gt                     visit_f64_gt                           "f64.gt"                        plain 0x64 None       Mvp                  (Sig::Fixed(&[ValType::F64, ValType::F64], &[ValType::I32]));
            F64Le                     visit_f64_le                           "f64.le"                        plain 0x65 None       Mvp                  (Sig::Fixed(&[ValType::F64, ValType::F64], &[ValType::I32]));
            F64Ge                     visit_f64_ge                           "f64.ge"                        plain 0x66 None       Mvp                  (Sig::Fixed(&[ValType::F64, ValType::F64], &[ValType::I32]));
            I32Clz                    visit_i32_clz                          "i32.clz"                       plain 0x67 None       Mvp                  (Sig::Fixed(&[ValType::I32], &[ValType::I32]));
            I32Ctz                    visit_i32_ctz                          "i32.ctz"                       plain 0x68 None       Mvp                  (Sig::Fixed(&[ValType::I32], &[ValType::I32]));
            I32Popcnt                 visit_i32_popcnt                       "i32.popcnt"                    plain 0x69 None       Mvp                  (Sig::Fixed(&[ValType::I32], &[ValType::I32]));
            I32Add                    visit_i32_add                          "i32.add"                       plain 0x6a None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32Sub                    visit_i32_sub                          "i32.sub"                       plain 0x6b None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32Mul                    visit_i32_mul                          "i32.mul"                       plain 0x6c None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32DivS                   visit_i32_div_s                        "i32.div_s"                     plain 0x6d None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32DivU                   visit_i32_div_u                        "i32.div_u"                     plain 0x6e None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32RemS                   visit_i32_rem_s                        "i32.rem_s"                     plain 0x6f None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32RemU                   visit_i32_rem_u                        "i32.rem_u"                     plain 0x70 None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32And                    visit_i32_and                          "i32.and"                       plain 0x71 None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32Or                     visit_i32_or                           "i32.or"                        plain 0x72 None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32Xor                    visit_i32_xor                          "i32.xor"                       plain 0x73 None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32Shl                    visit_i32_shl                          "i32.shl"                       plain 0x74 None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32ShrS                   visit_i32_shr_s                        "i32.shr_s"                     plain 0x75 None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32ShrU                   visit_i32_shr_u                        "i32.shr_u"                     plain 0x76 None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32Rotl                   visit_i32_rotl                         "i32.rotl"                      plain 0x77 None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I32Rotr                   visit_i32_rotr                         "i32.rotr"                      plain 0x78 None       Mvp                  (Sig::Fixed(&[ValType::I32, ValType::I32], &[ValType::I32]));
            I64Clz                    visit_i64_clz                          "i64.clz"                       plain 0x79 None       Mvp                  (Sig::Fixed(&[ValType::I64], &[ValType::I64]));
            I64Ctz                    visit_i64_ctz                          "i64.ctz"                       plain 0x7a None       Mvp                  (Sig::Fixed(&[ValType::I64], &[ValType::I64]));
            I64Popcnt                 visit_i64_popcnt                       "i64.popcnt"                    plain 0x7b None       Mvp                  (Sig::Fixed(&[ValType::I64], &[ValType::I64]));
            I64Add                    visit_i64_add                          "i64.add"                       plain 0x7c None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I64]));
            I64Sub                    visit_i64_sub                          "i64.sub"                       plain 0x7d None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I64]));
            I64Mul                    visit_i64_mul                          "i64.mul"                       plain 0x7e None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I64]));
            I64DivS                   visit_i64_div_s                        "i64.div_s"                     plain 0x7f None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I64]));
            I64DivU                   visit_i64_div_u                        "i64.div_u"                     plain 0x80 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I64]));
            I64RemS                   visit_i64_rem_s                        "i64.rem_s"                     plain 0x81 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I64]));
            I64RemU                   visit_i64_rem_u                        "i64.rem_u"                     plain 0x82 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I64]));
            I64And                    visit_i64_and                          "i64.and"                       plain 0x83 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I64]));
            I64Or                     visit_i64_or                           "i64.or"                        plain 0x84 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I64]));
            I64Xor                    visit_i64_xor                          "i64.xor"                       plain 0x85 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I64]));
            I64Shl                    visit_i64_shl                          "i64.shl"                       plain 0x86 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I64]));
            I64ShrS                   visit_i64_shr_s                        "i64.shr_s"                     plain 0x87 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I64]));
            I64ShrU                   visit_i64_shr_u                        "i64.shr_u"                     plain 0x88 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I64]));
            I64Rotl                   visit_i64_rotl                         "i64.rotl"                      plain 0x89 None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I64]));
            I64Rotr                   visit_i64_rotr                         "i64.rotr"                      plain 0x8a None       Mvp                  (Sig::Fixed(&[ValType::I64, ValType::I64], &[ValType::I64]));
            F32Abs                    visit_f32_abs                          "f32.abs"                       plain 0x8b None       Mvp                  (Sig::Fixed(&[ValType::F32], &[ValType::F32]));
            F32Neg                    visit_f32_neg                          "f32.neg"                       plain 0x8c None       Mvp                  (Sig::Fixed(&[ValType::F32], &[ValType::F32]));
            F32Ceil                   visit_f32_ceil                         "f32.ceil"                      plain 0x8d None       Mvp                  (Sig::Fixed(&[ValType::F32], &[ValType::F32]));
            F32Floor                  visit_f32_floor                        "f32.floor"                     plain 0x8e None       Mvp                  (Sig::Fixed(&[ValType::F32], &[ValType::F32]));
            F32Trunc                  visit_f32_trunc                        "f32.trunc"                     plain 0x8f None       Mvp                  (Sig::Fixed(&[ValType::F32], &[ValType::F32]));
            F32Nearest                visit_f32_nearest                      "f32.nearest"                   plain 0x90 None       Mvp                  (Sig::Fixed(&[ValType::F32], &[ValType::F32]));
            F32Sqrt                   visit_f32_sqrt                         "f32.sqrt"                      plain 0x91 None       Mvp                  (Sig::Fixed(&[ValType::F32], &[ValType::F32]));
            F32Add                    visit_f32_add                          "f32.add"                       plain 0x92 None       Mvp                  (Sig::Fixed(&[ValType::F32, ValType::F32], &[ValType::F32]));
            F32Sub                    visit_f32_sub                          "f32.sub"                       plain 0x93 None       Mvp                  (Sig::Fixed(&[ValType::F32, ValType::F32], &[ValType::F32]));
            F32Mul                    visit_f32_mul                          "f32.mul"                       plain 0x94 None       Mvp                  (Sig::Fixed(&[ValType::F32, ValType::F32], &[ValType::F32]));
            F32Div                    visit_f32_div                          "f32.div"                       plain 0x95 None       Mvp                  (Sig::Fixed(&[ValType::F32, ValType::F32], &[ValType::F32]));
            F32Min                    visit_f32_min                          "f32.min"                       plain 0x96 None       Mvp                  (Sig::Fixed(&[ValType::F32, ValType::F32], &[ValType::F32]));
            F32Max                    visit_f32_max                          "f32.max"                       plain 0x97 None       Mvp                  (Sig::Fixed(&[ValType::F32, ValType::F32], &[ValType::F32]));
            F32Copysign               visit_f32_copysign                     "f32.copysign"                  plain 0x98 None       Mvp                  (Sig::Fixed(&[ValType::F32, ValType::F32], &[ValType::F32]));
            F64Abs                    visit_f64_abs                          "f64.abs"                       plain 0x99 None       Mvp                  (Sig::Fixed(&[ValType::F64], &[ValType::F64]));
            F64Neg                    visit_f64_neg                          "f64.neg"                       plain 0x9a None       Mvp                  (Sig::Fixed(&[ValType::F64], &[ValType::F64]));
            F64Ceil                   visit_f64_ceil                         "f64.ceil"                      plain 0x9b None       Mvp                  (Sig::Fixed(&[ValType::F64], &[ValType::F64]));
            F64Floor                  visit_f64_floor                        "f64.floor"                     plain 0x9c None       Mvp                  (Sig::Fixed(&[ValType::F64], &[ValType::F64]));
            F64Trunc                  visit_f64_trunc                        "f64.trunc"                     plain 0x9d None       Mvp                  (Sig::Fixed(&[ValType::F64], &[ValType::F64]));
            F64Nearest                visit_f64_nearest                      "f64.nearest"                   plain 0x9e None       Mvp                  (Sig::Fixed(&[ValType::F64], &[ValType::F64]));
            F64Sqrt                   visit_f64_sqrt                         "f64.sqrt"                      plain 0x9f None       Mvp                  (Sig::Fixed(&[ValType::F64], &[ValType::F64]));
            F64Add                    visit_f64_add                          "f64.add"                       plain 0xa0 None       Mvp                  (Sig::Fixed(&[ValType::F64, ValType::F64], &[ValType::F64]));
            F64Sub                    visit_f64_sub                          "f64.sub"                       plain 0xa1 None       Mvp                  (Sig::Fixed(&[ValType::F64, ValType::F64], &[ValType::F64]));
            F64Mul                    visit_f64_mul                          "f64.mul"                       plain 0xa2 None       Mvp                  (Sig::Fixed(&[ValType::F64, ValType::F64], &[ValType::F64]));
            F64Div                    visit_f64_div                          "f64.div"                       plain 0xa3 None       Mvp                  (Sig::Fixed(&[ValType::F64, ValType::F64], &[ValType::F64]));
            F64Min                    visit_f64_min                          "f64.min"                       plain 0xa4 None       Mvp                  (Sig::Fixed(&[ValType::F64, ValType::F64], &[ValType::F64]));
            F64Max                    visit_f64_max                          "f64.max"                       plain 0xa5 None       Mvp                  (Sig::Fixed(&[ValType::F64, ValType::F64], &[ValType::F64]));
            F64Copysign               visit_f64_copysign                     "f64.copysign"                  plain 0xa6 None       Mvp                  (Sig::Fixed(&[ValType::F64, ValType::F64], &[ValType::F64]));
            I32WrapI64                visit_i32_wrap_i64                     "i32.wrap_i64"                  plain 0xa7 None       Mvp                  (Sig::Fixed(&[ValType::I64], &[ValType::I32]));
            I32TruncF32S              visit_i32_trunc_f32_s                  "i32.trunc_f32_s"               plain 0xa8 None       Mvp                  (Sig::Fixed(&[ValType::F32], &[ValType::I32]));
            I32TruncF32U              visit_i32_trunc_f32_u                  "i32.trunc_f32_u"               plain 0xa9 None       Mvp                  (Sig::Fixed(&[ValType::F32], &[ValType::I32]));
            I32TruncF64S              visit_i32_trunc_f64_s                  "i32.trunc_f64_s"               plain 0xaa None       Mvp                  (Sig::Fixed(&[ValType::F64], &[ValType::I32]));
            I32TruncF64U              visit_i32_trunc_f64_u                  "i32.trunc_f64_u"               plain 0xab None       Mvp                  (Sig::Fixed(&[ValType::F64], &[ValType::I32]));
            I64ExtendI32S             visit_i64_extend_i32_s                 "i64.extend_i32_s"              plain 0xac None       Mvp                  (Sig::Fixed(&[ValType::I32], &[ValType::I64]));
            I64ExtendI32U             visit_i64_extend_i32_u                 "i64.extend_i32_u"              plain 0xad None       Mvp                  (Sig::Fixed(&[ValType::I32], &[ValType::I64]));
            I64TruncF32S              visit_i64_trunc_f32_s                  "i64.trunc_f32_s"               plain 0xae None       Mvp                  (Sig::Fixed(&[ValType::F32], &[ValType::I64]));
            I64TruncF32U              visit_i64_trunc_f32_u                  "i64.trunc_f32_u"               plain 0xaf None       Mvp                  (Sig::Fixed(&[ValType::F32], &[ValType::I64]));
            I64TruncF64S              visit_i64_trunc_f64_s                  "i64.trunc_f64_s"               plain 0xb0 None       Mvp                  (Sig::Fixed(&[ValType::F64], &[ValType::I64]));
            I64TruncF64U              visit_i64_trunc_f64_u                  "i64.trunc_f64_u"               plain 0xb1 None       Mvp                  (Sig::Fixed(&[ValType::F64], &[ValType::I64]));
            F32ConvertI32S            visit_f32_convert_i32_s                "f32.convert_i32_s"             plain 0xb2 None       Mvp                  (Sig::Fixed(&[ValType::I32], &[ValType::F32]));
            F32ConvertI32U            visit_f32_convert_i32_u                "f32.convert_i32_u"             plain 0xb3 None       Mvp                  (Sig::Fixed(&[ValType::I32], &[ValType::F32]));
            F32ConvertI64S            visit_f32_convert_i64_s                "f32.convert_i64_s"             plain 0xb4 None       Mvp                  (Sig::Fixed(&[ValType::I64], &[ValType::F32]));
            F32ConvertI64U            visit_f32_convert_i64_u                "f32.convert_i64_u"             plain 0xb5 None       Mvp                  (Sig::Fixed(&[ValType::I64], &[ValType::F32]));
            F32DemoteF64              visit_f32_demote_f64                   "f32.demote_f64"                plain 0xb6 None       Mvp                  (Sig::Fixed(&[ValType::F64], &[ValType::F32]));
            F64ConvertI32S            visit_f64_convert_i32_s                "f64.convert_i32_s"             plain 0xb7 None       Mvp                  (Sig::Fixed(&[ValType::I32], &[ValType::F64]));
            F64ConvertI32U            visit_f64_convert_i32_u                "f64.convert_i32_u"             plain 0xb8 None       Mvp                  (Sig::Fixed(&[ValType::I32], &[ValType::F64]));
            F64ConvertI64S            visit_f64_convert_i64_s                "f64.convert_i64_s"             plain 0xb9 None       Mvp                  (Sig::Fixed(&[ValType::I64], &[ValType::F64]));
            F64ConvertI64U            visit_f64_convert_i64_u                "f64.convert_i64_u"             plain 0xba None       Mvp                  (Sig::Fixed(&[ValType::I64], &[ValType::F64]));
            F64PromoteF32             visit_f64_promote_f32                  "f64.promote_f32"               plain 0xbb None       Mvp                  (Sig::Fixed(&[ValType::F32], &[ValType::F64]));
            I32ReinterpretF32         visit_i32_reinterpret_f32              "i32.reinterpret_f32"           plain 0xbc None       Mvp                  (Sig::Fixed(&[ValType::F32], &[ValType::I32]));
            I64ReinterpretF64         visit_i64_reinterpret_f64              "i64.reinterpret_f64"           plain 0xbd None       Mvp                  (Sig::Fixed(&[ValType::F64], &[ValType::I64]));
            F32ReinterpretI32         visit_f32_reinterpret_i32              "f32.reinterpret_i32"           plain 0xbe None       Mvp                  (Sig::Fixed(&[ValType::I32], &[ValType::F32]));
            F64ReinterpretI64         visit_f64_reinterpret_i64              "f64.reinterpret_i64"           plain 0xbf None       Mvp                  (Sig::Fixed(&[ValType::I64], &[ValType::F64]));
            I32Extend8S               visit_i32_extend8_s                    "i32.extend8_s"                 plain 0xc0 None       SignExtension        (Sig::Fixed(&[ValType::I32], &[ValType::I32]));
            I32Extend16S              visit_i32_extend16_s                   "i32.extend16_s"                plain 0xc1 None       SignExtension        (Sig::Fixed(&[ValType::I32], &[ValType::I32]));
            I64Extend8S               visit_i64_extend8_s                    "i64.extend8_s"                 plain 0xc2 None       SignExtension        (Sig::Fixed(&[ValType::I64], &[ValType::I64]));
            I64Extend16S              visit_i64_extend16_s                   "i64.extend16_s"                plain 0xc3 None       SignExtension        (Sig::Fixed(&[ValType::I64], &[ValType::I64]));
            I64Extend32S              visit_i64_extend32_s                   "i64.extend32_s"                plain 0xc4 None       SignExtension        (Sig::Fixed(&[ValType::I64], &[ValType::I64]));
            I32TruncSatF32S           visit_i32_trunc_sat_f32_s              "i32.trunc_sat_f32_s"           0xfc  0x00 None       SaturatingFloatToInt (Sig::Fixed(&[ValType::F32], &[ValType::I32]));
            I32TruncSatF32U           visit_i32_trunc_sat_f32_u              "i32.trunc_sat_f32_u"           0xfc  0x01 None       SaturatingFloatToInt (Sig::Fixed(&[ValType::F32], &[ValType::I32]));
            I32TruncSatF64S           visit_i32_trunc_sat_f64_s              "i32.trunc_sat_f64_s"           0xfc  0x02 None       SaturatingFloatToInt (Sig::Fixed(&[ValType::F64], &[ValType::I32]));
            I32TruncSatF64U           visit_i32_trunc_sat_f64_u              "i32.trunc_sat_f64_u"           0xfc  0x03 None       SaturatingFloatToInt (Sig::Fixed(&[ValType::F64], &[ValType::I32]));
            I64TruncSatF32S           visit_i64_trunc_sat_f32_s              "i64.trunc_sat_f32_s"           0xfc  0x04 None       SaturatingFloatToInt (Sig::Fixed(&[ValType::F32], &[ValType::I64]));
            I64TruncSatF32U           visit_i64_trunc_sat_f32_u              "i64.trunc_sat_f32_u"           0xfc  0x05 None       SaturatingFloatToInt (Sig::Fixed(&[ValType::F32], &[ValType::I64]));
            I64TruncSatF64S           visit_i64_trunc_sat_f64_s              "i64.trunc_sat_f64_s"           0xfc  0x06 None       SaturatingFloatToInt (Sig::Fixed(&[ValType::F64], &[ValType::I64]));
            I64TruncSatF64U           visit_i64_trunc_sat_f64_u              "i64.trunc_sat_f64_u"           0xfc  0x07 None       SaturatingFloatToInt (Sig::Fixed(&[ValType::F64], &[ValType::I64]));
            MemoryInit                visit_memory_init                      "memory.init"                   0xfc  0x08 MemoryInit BulkMemory           (Sig::Special);
            DataDrop                  visit_data_drop                        "data.drop"                     0xfc  0x09 Data       BulkMemory           (Sig::Special);
            MemoryCopy                visit_memory_copy                      "memory.copy"                   0xfc  0x0a MemoryCopy BulkMemory           (Sig::Special);
            MemoryFill                visit_memory_fill                      "memory.fill"                   0xfc  0x0b Memory     BulkMemory           (Sig::Special);
            TableInit                 visit_table_init                       "table.init"                    0xfc  0x0c TableInit  BulkMemory           (Sig::Special);
            ElemDrop                  visit_elem_drop                        "elem.drop"                     0xfc  0x0d Elem       BulkMemory           (Sig::Special);
            TableCopy                 visit_table_copy                       "table.copy"                    0xfc  0x0e TableCopy  BulkMemory           (Sig::Special);
            SelectTyped               visit_select_typed                     "select"                        plain 0x1c SelectT    ReferenceTypes       (Sig::Special);
            RefNull                   visit_ref_null                         "ref.null"                      plain 0xd0 RefNull    ReferenceTypes       (Sig::Special);
            RefIsNull                 visit_ref_is_null                      "ref.is_null"                   plain 0xd1 None       ReferenceTypes       (Sig::Special);
            RefFunc                   visit_ref_func                         "ref.func"                      plain 0xd2 Func       ReferenceTypes       (Sig::Special);
            RefEq                     visit_ref_eq                           "ref.eq"                        plain 0xd3 None       Gc                   (Sig::Fixed(&[ValType::EQREF, ValType::EQREF], &[ValType::I32]));
            RefAsNonNull              visit_ref_as_non_null                  "ref.as_non_null"               plain 0xd4 None       FunctionReferences   (Sig::Special);
            BrOnNull                  visit_br_on_null                       "br_on_null"                    plain 0xd5 Label      FunctionReferences   (Sig::Special);
            BrOnNonNull               visit_br_on_non_null                   "br_on_non_null"                plain 0xd6 Label      FunctionReferences   (Sig::Special);
            CallRef                   visit_call_ref                         "call_ref"                      plain 0x14 Type       FunctionReferences   (Sig::Special);
            ReturnCallRef             visit_return_call_ref                  "return_call_ref"               plain 0x15 Type       TailCall             (Sig::Special);
            StructNew                 visit_struct_new                       "struct.new"                    0xfb  0x00 Type       Gc                   (Sig::Special);
            StructNewDefault          visit_struct_new_default               "struct.new_default"            0xfb  0x01 Type       Gc                   (Sig::Special);
            StructGet                 visit_struct_get                       "struct.get"                    0xfb  0x02 StructField Gc                   (Sig::Special);
            StructGetS                visit_struct_get_s                     "struct.get_s"                  0xfb  0x03 StructField Gc                   (Sig::Special);
            StructGetU                visit_struct_get_u                     "struct.get_u"                  0xfb  0x04 StructField Gc                   (Sig::Special);
            StructSet                 visit_struct_set                       "struct.set"                    0xfb  0x05 StructField Gc                   (Sig::Special);
            ArrayNew                  visit_array_new                        "array.new"                     0xfb  0x06 Type       Gc                   (Sig::Special);
            ArrayNewDefault           visit_array_new_default                "array.new_default"             0xfb  0x07 Type       Gc                   (Sig::Special);
            ArrayNewFixed             visit_array_new_fixed                  "array.new_fixed"               0xfb  0x08 ArrayFixed Gc                   (Sig::Special);
            ArrayNewData              visit_array_new_data                   "array.new_data"                0xfb  0x09 ArrayData  Gc                   (Sig::Special);
            ArrayNewElem              visit_array_new_elem                   "array.new_elem"                0xfb  0x0a ArrayElem  Gc                   (Sig::Special);
            ArrayGet                  visit_array_get                        "array.get"                     0xfb  0x0b Type       Gc                   (Sig::Special);
            ArrayGetS                 visit_array_get_s                      "array.get_s"                   0xfb  0x0c Type       Gc                   (Sig::Special);
            ArrayGetU                 visit_array_get_u                      "array.get_u"                   0xfb  0x0d Type       Gc                   (Sig::Special);
            ArraySet                  visit_array_set                        "array.set"                     0xfb  0x0e Type       Gc                   (Sig::Special);
            ArrayLen                  visit_array_len                        "array.len"                     0xfb  0x0f None       Gc                   (Sig::Fixed(&[ValType::ARRAYREF], &[ValType::I32]));
            ArrayFill                 visit_array_fill                       "array.fill"                    0xfb  0x10 Type       Gc                   (Sig::Special);
            ArrayCopy                 visit_array_copy                       "array.copy"                    0xfb  0x11 ArrayCopy  Gc                   (Sig::Special);
            ArrayInitData             visit_array_init_data                  "array.init_data"               0xfb  0x12 ArrayData  Gc                   (Sig::Special);
            ArrayInitElem             visit_array_init_elem                  "array.init_elem"               0xfb  0x13 ArrayElem  Gc                   (Sig::Special);
            RefTest                   visit_ref_test                         "ref.test"                      0xfb  0x14 HeapType   Gc                   (Sig::Special);
            RefTestNull               visit_ref_test_null                    "ref.test"                      0xfb  0x15 HeapType   Gc                   (Sig::Special);
            RefCast                   visit_ref_cast                         "ref.cast"                      0xfb  0x16 HeapType   Gc                   (Sig::Special);
            RefCastNull               visit_ref_cast_null                    "ref.cast"                      0xfb  0x17 HeapType   Gc                   (Sig::Special);
            BrOnCast                  visit_br_on_cast                       "br_on_cast"                    0xfb  0x18 BrOnCast   Gc                   (Sig::Special);
            BrOnCastFail              visit_br_on_cast_fail                  "br_on_cast_fail"               0xfb  0x19 BrOnCast   Gc                   (Sig::Special);
            AnyConvertExtern          visit_any_convert_extern               "any.convert_extern"            0xfb  0x1a None       Gc                   (Sig::Special);
            ExternConvertAny          visit_extern_convert_any               "extern.convert_any"            0xfb  0x1b None       Gc                   (Sig::Special);
            RefI31                    visit_ref_i31                          "ref.i31"                       0xfb  0x1c None       Gc                   (Sig::Fixed(&[ValType::I32], &[ValType::REF_I31]));
            I31GetS                   visit_i31_get_s                        "i31.get_s"                     0xfb  0x1d None       Gc                   (Sig::Fixed(&[ValType::I31REF], &[ValType::I32]));
            I31GetU                   visit_i31_get_u                        "i31.get_u"                     0xfb  0x1e None       Gc                   (Sig::Fixed(&[ValType::I31REF], &[ValType::I32]));
            TableFill                 visit_table_fill                       "table.fill"                    0xfc  0x11 Table      ReferenceTypes       (Sig::Special);
            TableGet                  visit_table_get                        "table.get"                     plain 0x25 Table      ReferenceTypes       (Sig::Special);
            TableSet                  visit_table_set                        "table.set"                     plain 0x26 Table      ReferenceTypes       (Sig::Special);
            TableGrow                 visit_table_grow                       "table.grow"                    0xfc  0x0f Table      ReferenceTypes       (Sig::Special);
            TableSize                 visit_table_size                       "table.size"                    0xfc  0x10 Table      ReferenceTypes       (Sig::Special);
            V128Load                  visit_v128_load                        "v128.load"                     0xfd  0x00 MemArg     Simd                 (Sig::Load(ValType::V128, 4));
            V128Load8x8S              visit_v128_load8x8_s                   "v128.load8x8_s"                0xfd  0x01 MemArg     Simd                 (Sig::Load(ValType::V128, 3));
            V128Load8x8U              visit_v128_load8x8_u                   "v128.load8x8_u"                0xfd  0x02 MemArg     Simd                 (Sig::Load(ValType::V128, 3));
            V128Load16x4S             visit_v128_load16x4_s                  "v128.load16x4_s"               0xfd  0x03 MemArg     Simd                 (Sig::Load(ValType::V128, 3));
            V128Load16x4U             visit_v128_load16x4_u                  "v128.load16x4_u"               0xfd  0x04 MemArg     Simd                 (Sig::Load(ValType::V128, 3));
            V128Load32x2S             visit_v128_load32x2_s                  "v128.load32x2_s"               0xfd  0x05 MemArg     Simd                 (Sig::Load(ValType::V128, 3));
            V128Load32x2U             visit_v128_load32x2_u                  "v128.load32x2_u"               0xfd  0x06 MemArg     Simd                 (Sig::Load(ValType::V128, 3));
            V128Load8Splat            visit_v128_load8_splat                 "v128.load8_splat"              0xfd  0x07 MemArg     Simd                 (Sig::Load(ValType::V128, 0));
            V128Load16Splat           visit_v128_load16_splat                "v128.load16_splat"             0xfd  0x08 MemArg     Simd                 (Sig::Load(ValType::V128, 1));
            V128Load32Splat           visit_v128_load32_splat                "v128.load32_splat"             0xfd  0x09 MemArg     Simd                 (Sig::Load(ValType::V128, 2));
            V128Load64Splat           visit_v128_load64_splat                "v128.load64_splat"             0xfd  0x0a MemArg     Simd                 (Sig::Load(ValType::V128, 3));
            V128Load32Zero            visit_v128_load32_zero                 "v128.load32_zero"              0xfd  0x5c MemArg     Simd                 (Sig::Load(ValType::V128, 2));
            V128Load64Zero            visit_v128_load64_zero                 "v128.load64_zero"              0xfd  0x5d MemArg     Simd                 (Sig::Load(ValType::V128, 3));
            V128Store                 visit_v128_store                       "v128.store"                    0xfd  0x0b MemArg     Simd                 (Sig::Store(ValType::V128, 4));
            V128Load8Lane             visit_v128_load8_lane                  "v128.load8_lane"               0xfd  0x54 MemArgLane Simd                 (Sig::LoadLane(0));
            V128Load16Lane            visit_v128_load16_lane                 "v128.load16_lane"              0xfd  0x55 MemArgLane Simd                 (Sig::LoadLane(1));
            V128Load32Lane            visit_v128_load32_lane                 "v128.load32_lane"              0xfd  0x56 MemArgLane Simd                 (Sig::LoadLane(2));
            V128Load64Lane            visit_v128_load64_lane                 "v128.load64_lane"              0xfd  0x57 MemArgLane Simd                 (Sig::LoadLane(3));
            V128Store8Lane            visit_v128_store8_lane                 "v128.store8_lane"              0xfd  0x58 MemArgLane Simd                 (Sig::StoreLane(0));
            V128Store16Lane           visit_v128_store16_lane                "v128.store16_lane"             0xfd  0x59 MemArgLane Simd                 (Sig::StoreLane(1));
            V128Store32Lane           visit_v128_store32_lane                "v128.store32_lane"             0xfd  0x5a MemArgLane Simd                 (Sig::StoreLane(2));
            V128Store64Lane           visit_v128_store64_lane                "v128.store64_lane"             0xfd  0x5b MemArgLane Simd                 (Sig::StoreLane(3));
            V128Const                 visit_v128_const                       "v128.const"                    0xfd  0x0c V128       Simd                 (Sig::Special);
            I8x16Shuffle              visit_i8x16_shuffle                    "i8x16.shuffle"                 0xfd  0x0d Shuffle    Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16ExtractLaneS         visit_i8x16_extract_lane_s             "i8x16.extract_lane_s"          0xfd  0x15 Lane       Simd                 (Sig::Lane(16, &[ValType::V128], &[ValType::I32]));
            I8x16ExtractLaneU         visit_i8x16_extract_lane_u             "i8x16.extract_lane_u"          0xfd  0x16 Lane       Simd                 (Sig::Lane(16, &[ValType::V128], &[ValType::I32]));
            I8x16ReplaceLane          visit_i8x16_replace_lane               "i8x16.replace_lane"            0xfd  0x17 Lane       Simd                 (Sig::Lane(16, &[ValType::V128, ValType::I32], &[ValType::V128]));
            I16x8ExtractLaneS         visit_i16x8_extract_lane_s             "i16x8.extract_lane_s"          0xfd  0x18 Lane       Simd                 (Sig::Lane(8, &[ValType::V128], &[ValType::I32]));
            I16x8ExtractLaneU         visit_i16x8_extract_lane_u             "i16x8.extract_lane_u"          0xfd  0x19 Lane       Simd                 (Sig::Lane(8, &[ValType::V128], &[ValType::I32]));
            I16x8ReplaceLane          visit_i16x8_replace_lane               "i16x8.replace_lane"            0xfd  0x1a Lane       Simd                 (Sig::Lane(8, &[ValType::V128, ValType::I32], &[ValType::V128]));
            I32x4ExtractLane          visit_i32x4_extract_lane               "i32x4.extract_lane"            0xfd  0x1b Lane       Simd                 (Sig::Lane(4, &[ValType::V128], &[ValType::I32]));
            I32x4ReplaceLane          visit_i32x4_replace_lane               "i32x4.replace_lane"            0xfd  0x1c Lane       Simd                 (Sig::Lane(4, &[ValType::V128, ValType::I32], &[ValType::V128]));
            I64x2ExtractLane          visit_i64x2_extract_lane               "i64x2.extract_lane"            0xfd  0x1d Lane       Simd                 (Sig::Lane(2, &[ValType::V128], &[ValType::I64]));
            I64x2ReplaceLane          visit_i64x2_replace_lane               "i64x2.replace_lane"            0xfd  0x1e Lane       Simd                 (Sig::Lane(2, &[ValType::V128, ValType::I64], &[ValType::V128]));
            F32x4ExtractLane          visit_f32x4_extract_lane               "f32x4.extract_lane"            0xfd  0x1f Lane       Simd                 (Sig::Lane(4, &[ValType::V128], &[ValType::F32]));
            F32x4ReplaceLane          visit_f32x4_replace_lane               "f32x4.replace_lane"            0xfd  0x20 Lane       Simd                 (Sig::Lane(4, &[ValType::V128, ValType::F32], &[ValType::V128]));
            F64x2ExtractLane          visit_f64x2_extract_lane               "f64x2.extract_lane"            0xfd  0x21 Lane       Simd                 (Sig::Lane(2, &[ValType::V128], &[ValType::F64]));
            F64x2ReplaceLane          visit_f64x2_replace_lane               "f64x2.replace_lane"            0xfd  0x22 Lane       Simd                 (Sig::Lane(2, &[ValType::V128, ValType::F64], &[ValType::V128]));
            I8x16Swizzle              visit_i8x16_swizzle                    "i8x16.swizzle"                 0xfd  0x0e None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16Splat                visit_i8x16_splat                      "i8x16.splat"                   0xfd  0x0f None       Simd                 (Sig::Fixed(&[ValType::I32], &[ValType::V128]));
            I16x8Splat                visit_i16x8_splat                      "i16x8.splat"                   0xfd  0x10 None       Simd                 (Sig::Fixed(&[ValType::I32], &[ValType::V128]));
            I32x4Splat                visit_i32x4_splat                      "i32x4.splat"                   0xfd  0x11 None       Simd                 (Sig::Fixed(&[ValType::I32], &[ValType::V128]));
            I64x2Splat                visit_i64x2_splat                      "i64x2.splat"                   0xfd  0x12 None       Simd                 (Sig::Fixed(&[ValType::I64], &[ValType::V128]));
            F32x4Splat                visit_f32x4_splat                      "f32x4.splat"                   0xfd  0x13 None       Simd                 (Sig::Fixed(&[ValType::F32], &[ValType::V128]));
            F64x2Splat                visit_f64x2_splat                      "f64x2.splat"                   0xfd  0x14 None       Simd                 (Sig::Fixed(&[ValType::F64], &[ValType::V128]));
            I8x16Eq                   visit_i8x16_eq                         "i8x16.eq"                      0xfd  0x23 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16Ne                   visit_i8x16_ne                         "i8x16.ne"                      0xfd  0x24 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16LtS                  visit_i8x16_lt_s                       "i8x16.lt_s"                    0xfd  0x25 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16LtU                  visit_i8x16_lt_u                       "i8x16.lt_u"                    0xfd  0x26 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16GtS                  visit_i8x16_gt_s                       "i8x16.gt_s"                    0xfd  0x27 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16GtU                  visit_i8x16_gt_u                       "i8x16.gt_u"                    0xfd  0x28 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16LeS                  visit_i8x16_le_s                       "i8x16.le_s"                    0xfd  0x29 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16LeU                  visit_i8x16_le_u                       "i8x16.le_u"                    0xfd  0x2a None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16GeS                  visit_i8x16_ge_s                       "i8x16.ge_s"                    0xfd  0x2b None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16GeU                  visit_i8x16_ge_u                       "i8x16.ge_u"                    0xfd  0x2c None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8Eq                   visit_i16x8_eq                         "i16x8.eq"                      0xfd  0x2d None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8Ne                   visit_i16x8_ne                         "i16x8.ne"                      0xfd  0x2e None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8LtS                  visit_i16x8_lt_s                       "i16x8.lt_s"                    0xfd  0x2f None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8LtU                  visit_i16x8_lt_u                       "i16x8.lt_u"                    0xfd  0x30 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8GtS                  visit_i16x8_gt_s                       "i16x8.gt_s"                    0xfd  0x31 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8GtU                  visit_i16x8_gt_u                       "i16x8.gt_u"                    0xfd  0x32 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8LeS                  visit_i16x8_le_s                       "i16x8.le_s"                    0xfd  0x33 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8LeU                  visit_i16x8_le_u                       "i16x8.le_u"                    0xfd  0x34 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8GeS                  visit_i16x8_ge_s                       "i16x8.ge_s"                    0xfd  0x35 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8GeU                  visit_i16x8_ge_u                       "i16x8.ge_u"                    0xfd  0x36 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4Eq                   visit_i32x4_eq                         "i32x4.eq"                      0xfd  0x37 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4Ne                   visit_i32x4_ne                         "i32x4.ne"                      0xfd  0x38 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4LtS                  visit_i32x4_lt_s                       "i32x4.lt_s"                    0xfd  0x39 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4LtU                  visit_i32x4_lt_u                       "i32x4.lt_u"                    0xfd  0x3a None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4GtS                  visit_i32x4_gt_s                       "i32x4.gt_s"                    0xfd  0x3b None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4GtU                  visit_i32x4_gt_u                       "i32x4.gt_u"                    0xfd  0x3c None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4LeS                  visit_i32x4_le_s                       "i32x4.le_s"                    0xfd  0x3d None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4LeU                  visit_i32x4_le_u                       "i32x4.le_u"                    0xfd  0x3e None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4GeS                  visit_i32x4_ge_s                       "i32x4.ge_s"                    0xfd  0x3f None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4GeU                  visit_i32x4_ge_u                       "i32x4.ge_u"                    0xfd  0x40 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I64x2Eq                   visit_i64x2_eq                         "i64x2.eq"                      0xfd  0xd6 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I64x2Ne                   visit_i64x2_ne                         "i64x2.ne"                      0xfd  0xd7 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I64x2LtS                  visit_i64x2_lt_s                       "i64x2.lt_s"                    0xfd  0xd8 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I64x2GtS                  visit_i64x2_gt_s                       "i64x2.gt_s"                    0xfd  0xd9 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I64x2LeS                  visit_i64x2_le_s                       "i64x2.le_s"                    0xfd  0xda None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I64x2GeS                  visit_i64x2_ge_s                       "i64x2.ge_s"                    0xfd  0xdb None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F32x4Eq                   visit_f32x4_eq                         "f32x4.eq"                      0xfd  0x41 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F32x4Ne                   visit_f32x4_ne                         "f32x4.ne"                      0xfd  0x42 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F32x4Lt                   visit_f32x4_lt                         "f32x4.lt"                      0xfd  0x43 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F32x4Gt                   visit_f32x4_gt                         "f32x4.gt"                      0xfd  0x44 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F32x4Le                   visit_f32x4_le                         "f32x4.le"                      0xfd  0x45 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F32x4Ge                   visit_f32x4_ge                         "f32x4.ge"                      0xfd  0x46 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2Eq                   visit_f64x2_eq                         "f64x2.eq"                      0xfd  0x47 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2Ne                   visit_f64x2_ne                         "f64x2.ne"                      0xfd  0x48 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2Lt                   visit_f64x2_lt                         "f64x2.lt"                      0xfd  0x49 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2Gt                   visit_f64x2_gt                         "f64x2.gt"                      0xfd  0x4a None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2Le                   visit_f64x2_le                         "f64x2.le"                      0xfd  0x4b None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2Ge                   visit_f64x2_ge                         "f64x2.ge"                      0xfd  0x4c None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            V128Not                   visit_v128_not                         "v128.not"                      0xfd  0x4d None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            V128And                   visit_v128_and                         "v128.and"                      0xfd  0x4e None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            V128AndNot                visit_v128_andnot                      "v128.andnot"                   0xfd  0x4f None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            V128Or                    visit_v128_or                          "v128.or"                       0xfd  0x50 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            V128Xor                   visit_v128_xor                         "v128.xor"                      0xfd  0x51 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            V128Bitselect             visit_v128_bitselect                   "v128.bitselect"                0xfd  0x52 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128, ValType::V128], &[ValType::V128]));
            V128AnyTrue               visit_v128_any_true                    "v128.any_true"                 0xfd  0x53 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::I32]));
            I8x16Abs                  visit_i8x16_abs                        "i8x16.abs"                     0xfd  0x60 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I8x16Neg                  visit_i8x16_neg                        "i8x16.neg"                     0xfd  0x61 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I8x16Popcnt               visit_i8x16_popcnt                     "i8x16.popcnt"                  0xfd  0x62 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I8x16AllTrue              visit_i8x16_all_true                   "i8x16.all_true"                0xfd  0x63 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::I32]));
            I8x16Bitmask              visit_i8x16_bitmask                    "i8x16.bitmask"                 0xfd  0x64 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::I32]));
            I8x16NarrowI16x8S         visit_i8x16_narrow_i16x8_s             "i8x16.narrow_i16x8_s"          0xfd  0x65 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16NarrowI16x8U         visit_i8x16_narrow_i16x8_u             "i8x16.narrow_i16x8_u"          0xfd  0x66 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16Shl                  visit_i8x16_shl                        "i8x16.shl"                     0xfd  0x6b None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::I32], &[ValType::V128]));
            I8x16ShrS                 visit_i8x16_shr_s                      "i8x16.shr_s"                   0xfd  0x6c None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::I32], &[ValType::V128]));
            I8x16ShrU                 visit_i8x16_shr_u                      "i8x16.shr_u"                   0xfd  0x6d None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::I32], &[ValType::V128]));
            I8x16Add                  visit_i8x16_add                        "i8x16.add"                     0xfd  0x6e None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16AddSatS              visit_i8x16_add_sat_s                  "i8x16.add_sat_s"               0xfd  0x6f None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16AddSatU              visit_i8x16_add_sat_u                  "i8x16.add_sat_u"               0xfd  0x70 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16Sub                  visit_i8x16_sub                        "i8x16.sub"                     0xfd  0x71 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16SubSatS              visit_i8x16_sub_sat_s                  "i8x16.sub_sat_s"               0xfd  0x72 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16SubSatU              visit_i8x16_sub_sat_u                  "i8x16.sub_sat_u"               0xfd  0x73 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16MinS                 visit_i8x16_min_s                      "i8x16.min_s"                   0xfd  0x76 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16MinU                 visit_i8x16_min_u                      "i8x16.min_u"                   0xfd  0x77 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16MaxS                 visit_i8x16_max_s                      "i8x16.max_s"                   0xfd  0x78 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16MaxU                 visit_i8x16_max_u                      "i8x16.max_u"                   0xfd  0x79 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16AvgrU                visit_i8x16_avgr_u                     "i8x16.avgr_u"                  0xfd  0x7b None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8ExtAddPairwiseI8x16S visit_i16x8_extadd_pairwise_i8x16_s    "i16x8.extadd_pairwise_i8x16_s"  0xfd  0x7c None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I16x8ExtAddPairwiseI8x16U visit_i16x8_extadd_pairwise_i8x16_u    "i16x8.extadd_pairwise_i8x16_u"  0xfd  0x7d None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I16x8Abs                  visit_i16x8_abs                        "i16x8.abs"                     0xfd  0x80 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I16x8Neg                  visit_i16x8_neg                        "i16x8.neg"                     0xfd  0x81 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I16x8Q15MulrSatS          visit_i16x8_q15mulr_sat_s              "i16x8.q15mulr_sat_s"           0xfd  0x82 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8AllTrue              visit_i16x8_all_true                   "i16x8.all_true"                0xfd  0x83 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::I32]));
            I16x8Bitmask              visit_i16x8_bitmask                    "i16x8.bitmask"                 0xfd  0x84 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::I32]));
            I16x8NarrowI32x4S         visit_i16x8_narrow_i32x4_s             "i16x8.narrow_i32x4_s"          0xfd  0x85 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8NarrowI32x4U         visit_i16x8_narrow_i32x4_u             "i16x8.narrow_i32x4_u"          0xfd  0x86 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8ExtendLowI8x16S      visit_i16x8_extend_low_i8x16_s         "i16x8.extend_low_i8x16_s"      0xfd  0x87 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I16x8ExtendHighI8x16S     visit_i16x8_extend_high_i8x16_s        "i16x8.extend_high_i8x16_s"     0xfd  0x88 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I16x8ExtendLowI8x16U      visit_i16x8_extend_low_i8x16_u         "i16x8.extend_low_i8x16_u"      0xfd  0x89 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I16x8ExtendHighI8x16U     visit_i16x8_extend_high_i8x16_u        "i16x8.extend_high_i8x16_u"     0xfd  0x8a None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I16x8Shl                  visit_i16x8_shl                        "i16x8.shl"                     0xfd  0x8b None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::I32], &[ValType::V128]));
            I16x8ShrS                 visit_i16x8_shr_s                      "i16x8.shr_s"                   0xfd  0x8c None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::I32], &[ValType::V128]));
            I16x8ShrU                 visit_i16x8_shr_u                      "i16x8.shr_u"                   0xfd  0x8d None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::I32], &[ValType::V128]));
            I16x8Add                  visit_i16x8_add                        "i16x8.add"                     0xfd  0x8e None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8AddSatS              visit_i16x8_add_sat_s                  "i16x8.add_sat_s"               0xfd  0x8f None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8AddSatU              visit_i16x8_add_sat_u                  "i16x8.add_sat_u"               0xfd  0x90 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8Sub                  visit_i16x8_sub                        "i16x8.sub"                     0xfd  0x91 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8SubSatS              visit_i16x8_sub_sat_s                  "i16x8.sub_sat_s"               0xfd  0x92 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8SubSatU              visit_i16x8_sub_sat_u                  "i16x8.sub_sat_u"               0xfd  0x93 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8Mul                  visit_i16x8_mul                        "i16x8.mul"                     0xfd  0x95 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8MinS                 visit_i16x8_min_s                      "i16x8.min_s"                   0xfd  0x96 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8MinU                 visit_i16x8_min_u                      "i16x8.min_u"                   0xfd  0x97 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8MaxS                 visit_i16x8_max_s                      "i16x8.max_s"                   0xfd  0x98 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8MaxU                 visit_i16x8_max_u                      "i16x8.max_u"                   0xfd  0x99 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8AvgrU                visit_i16x8_avgr_u                     "i16x8.avgr_u"                  0xfd  0x9b None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8ExtMulLowI8x16S      visit_i16x8_extmul_low_i8x16_s         "i16x8.extmul_low_i8x16_s"      0xfd  0x9c None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8ExtMulHighI8x16S     visit_i16x8_extmul_high_i8x16_s        "i16x8.extmul_high_i8x16_s"     0xfd  0x9d None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8ExtMulLowI8x16U      visit_i16x8_extmul_low_i8x16_u         "i16x8.extmul_low_i8x16_u"      0xfd  0x9e None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8ExtMulHighI8x16U     visit_i16x8_extmul_high_i8x16_u        "i16x8.extmul_high_i8x16_u"     0xfd  0x9f None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4ExtAddPairwiseI16x8S visit_i32x4_extadd_pairwise_i16x8_s    "i32x4.extadd_pairwise_i16x8_s"  0xfd  0x7e None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I32x4ExtAddPairwiseI16x8U visit_i32x4_extadd_pairwise_i16x8_u    "i32x4.extadd_pairwise_i16x8_u"  0xfd  0x7f None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I32x4Abs                  visit_i32x4_abs                        "i32x4.abs"                     0xfd  0xa0 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I32x4Neg                  visit_i32x4_neg                        "i32x4.neg"                     0xfd  0xa1 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I32x4AllTrue              visit_i32x4_all_true                   "i32x4.all_true"                0xfd  0xa3 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::I32]));
            I32x4Bitmask              visit_i32x4_bitmask                    "i32x4.bitmask"                 0xfd  0xa4 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::I32]));
            I32x4ExtendLowI16x8S      visit_i32x4_extend_low_i16x8_s         "i32x4.extend_low_i16x8_s"      0xfd  0xa7 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I32x4ExtendHighI16x8S     visit_i32x4_extend_high_i16x8_s        "i32x4.extend_high_i16x8_s"     0xfd  0xa8 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I32x4ExtendLowI16x8U      visit_i32x4_extend_low_i16x8_u         "i32x4.extend_low_i16x8_u"      0xfd  0xa9 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I32x4ExtendHighI16x8U     visit_i32x4_extend_high_i16x8_u        "i32x4.extend_high_i16x8_u"     0xfd  0xaa None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I32x4Shl                  visit_i32x4_shl                        "i32x4.shl"                     0xfd  0xab None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::I32], &[ValType::V128]));
            I32x4ShrS                 visit_i32x4_shr_s                      "i32x4.shr_s"                   0xfd  0xac None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::I32], &[ValType::V128]));
            I32x4ShrU                 visit_i32x4_shr_u                      "i32x4.shr_u"                   0xfd  0xad None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::I32], &[ValType::V128]));
            I32x4Add                  visit_i32x4_add                        "i32x4.add"                     0xfd  0xae None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4Sub                  visit_i32x4_sub                        "i32x4.sub"                     0xfd  0xb1 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4Mul                  visit_i32x4_mul                        "i32x4.mul"                     0xfd  0xb5 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4MinS                 visit_i32x4_min_s                      "i32x4.min_s"                   0xfd  0xb6 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4MinU                 visit_i32x4_min_u                      "i32x4.min_u"                   0xfd  0xb7 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4MaxS                 visit_i32x4_max_s                      "i32x4.max_s"                   0xfd  0xb8 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4MaxU                 visit_i32x4_max_u                      "i32x4.max_u"                   0xfd  0xb9 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4DotI16x8S            visit_i32x4_dot_i16x8_s                "i32x4.dot_i16x8_s"             0xfd  0xba None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4ExtMulLowI16x8S      visit_i32x4_extmul_low_i16x8_s         "i32x4.extmul_low_i16x8_s"      0xfd  0xbc None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4ExtMulHighI16x8S     visit_i32x4_extmul_high_i16x8_s        "i32x4.extmul_high_i16x8_s"     0xfd  0xbd None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4ExtMulLowI16x8U      visit_i32x4_extmul_low_i16x8_u         "i32x4.extmul_low_i16x8_u"      0xfd  0xbe None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4ExtMulHighI16x8U     visit_i32x4_extmul_high_i16x8_u        "i32x4.extmul_high_i16x8_u"     0xfd  0xbf None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I64x2Abs                  visit_i64x2_abs                        "i64x2.abs"                     0xfd  0xc0 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I64x2Neg                  visit_i64x2_neg                        "i64x2.neg"                     0xfd  0xc1 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I64x2AllTrue              visit_i64x2_all_true                   "i64x2.all_true"                0xfd  0xc3 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::I32]));
            I64x2Bitmask              visit_i64x2_bitmask                    "i64x2.bitmask"                 0xfd  0xc4 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::I32]));
            I64x2ExtendLowI32x4S      visit_i64x2_extend_low_i32x4_s         "i64x2.extend_low_i32x4_s"      0xfd  0xc7 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I64x2ExtendHighI32x4S     visit_i64x2_extend_high_i32x4_s        "i64x2.extend_high_i32x4_s"     0xfd  0xc8 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I64x2ExtendLowI32x4U      visit_i64x2_extend_low_i32x4_u         "i64x2.extend_low_i32x4_u"      0xfd  0xc9 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I64x2ExtendHighI32x4U     visit_i64x2_extend_high_i32x4_u        "i64x2.extend_high_i32x4_u"     0xfd  0xca None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I64x2Shl                  visit_i64x2_shl                        "i64x2.shl"                     0xfd  0xcb None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::I32], &[ValType::V128]));
            I64x2ShrS                 visit_i64x2_shr_s                      "i64x2.shr_s"                   0xfd  0xcc None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::I32], &[ValType::V128]));
            I64x2ShrU                 visit_i64x2_shr_u                      "i64x2.shr_u"                   0xfd  0xcd None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::I32], &[ValType::V128]));
            I64x2Add                  visit_i64x2_add                        "i64x2.add"                     0xfd  0xce None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I64x2Sub                  visit_i64x2_sub                        "i64x2.sub"                     0xfd  0xd1 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I64x2Mul                  visit_i64x2_mul                        "i64x2.mul"                     0xfd  0xd5 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I64x2ExtMulLowI32x4S      visit_i64x2_extmul_low_i32x4_s         "i64x2.extmul_low_i32x4_s"      0xfd  0xdc None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I64x2ExtMulHighI32x4S     visit_i64x2_extmul_high_i32x4_s        "i64x2.extmul_high_i32x4_s"     0xfd  0xdd None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I64x2ExtMulLowI32x4U      visit_i64x2_extmul_low_i32x4_u         "i64x2.extmul_low_i32x4_u"      0xfd  0xde None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I64x2ExtMulHighI32x4U     visit_i64x2_extmul_high_i32x4_u        "i64x2.extmul_high_i32x4_u"     0xfd  0xdf None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F32x4Ceil                 visit_f32x4_ceil                       "f32x4.ceil"                    0xfd  0x67 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F32x4Floor                visit_f32x4_floor                      "f32x4.floor"                   0xfd  0x68 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F32x4Trunc                visit_f32x4_trunc                      "f32x4.trunc"                   0xfd  0x69 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F32x4Nearest              visit_f32x4_nearest                    "f32x4.nearest"                 0xfd  0x6a None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F32x4Abs                  visit_f32x4_abs                        "f32x4.abs"                     0xfd  0xe0 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F32x4Neg                  visit_f32x4_neg                        "f32x4.neg"                     0xfd  0xe1 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F32x4Sqrt                 visit_f32x4_sqrt                       "f32x4.sqrt"                    0xfd  0xe3 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F32x4Add                  visit_f32x4_add                        "f32x4.add"                     0xfd  0xe4 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F32x4Sub                  visit_f32x4_sub                        "f32x4.sub"                     0xfd  0xe5 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F32x4Mul                  visit_f32x4_mul                        "f32x4.mul"                     0xfd  0xe6 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F32x4Div                  visit_f32x4_div                        "f32x4.div"                     0xfd  0xe7 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F32x4Min                  visit_f32x4_min                        "f32x4.min"                     0xfd  0xe8 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F32x4Max                  visit_f32x4_max                        "f32x4.max"                     0xfd  0xe9 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F32x4PMin                 visit_f32x4_pmin                       "f32x4.pmin"                    0xfd  0xea None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F32x4PMax                 visit_f32x4_pmax                       "f32x4.pmax"                    0xfd  0xeb None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2Ceil                 visit_f64x2_ceil                       "f64x2.ceil"                    0xfd  0x74 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F64x2Floor                visit_f64x2_floor                      "f64x2.floor"                   0xfd  0x75 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F64x2Trunc                visit_f64x2_trunc                      "f64x2.trunc"                   0xfd  0x7a None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F64x2Nearest              visit_f64x2_nearest                    "f64x2.nearest"                 0xfd  0x94 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F64x2Abs                  visit_f64x2_abs                        "f64x2.abs"                     0xfd  0xec None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F64x2Neg                  visit_f64x2_neg                        "f64x2.neg"                     0xfd  0xed None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F64x2Sqrt                 visit_f64x2_sqrt                       "f64x2.sqrt"                    0xfd  0xef None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F64x2Add                  visit_f64x2_add                        "f64x2.add"                     0xfd  0xf0 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2Sub                  visit_f64x2_sub                        "f64x2.sub"                     0xfd  0xf1 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2Mul                  visit_f64x2_mul                        "f64x2.mul"                     0xfd  0xf2 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2Div                  visit_f64x2_div                        "f64x2.div"                     0xfd  0xf3 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2Min                  visit_f64x2_min                        "f64x2.min"                     0xfd  0xf4 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2Max                  visit_f64x2_max                        "f64x2.max"                     0xfd  0xf5 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2PMin                 visit_f64x2_pmin                       "f64x2.pmin"                    0xfd  0xf6 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2PMax                 visit_f64x2_pmax                       "f64x2.pmax"                    0xfd  0xf7 None       Simd                 (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4TruncSatF32x4S       visit_i32x4_trunc_sat_f32x4_s          "i32x4.trunc_sat_f32x4_s"       0xfd  0xf8 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I32x4TruncSatF32x4U       visit_i32x4_trunc_sat_f32x4_u          "i32x4.trunc_sat_f32x4_u"       0xfd  0xf9 None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F32x4ConvertI32x4S        visit_f32x4_convert_i32x4_s            "f32x4.convert_i32x4_s"         0xfd  0xfa None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F32x4ConvertI32x4U        visit_f32x4_convert_i32x4_u            "f32x4.convert_i32x4_u"         0xfd  0xfb None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I32x4TruncSatF64x2SZero   visit_i32x4_trunc_sat_f64x2_s_zero     "i32x4.trunc_sat_f64x2_s_zero"  0xfd  0xfc None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I32x4TruncSatF64x2UZero   visit_i32x4_trunc_sat_f64x2_u_zero     "i32x4.trunc_sat_f64x2_u_zero"  0xfd  0xfd None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F64x2ConvertLowI32x4S     visit_f64x2_convert_low_i32x4_s        "f64x2.convert_low_i32x4_s"     0xfd  0xfe None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F64x2ConvertLowI32x4U     visit_f64x2_convert_low_i32x4_u        "f64x2.convert_low_i32x4_u"     0xfd  0xff None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F32x4DemoteF64x2Zero      visit_f32x4_demote_f64x2_zero          "f32x4.demote_f64x2_zero"       0xfd  0x5e None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F64x2PromoteLowF32x4      visit_f64x2_promote_low_f32x4          "f64x2.promote_low_f32x4"       0xfd  0x5f None       Simd                 (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I8x16RelaxedSwizzle       visit_i8x16_relaxed_swizzle            "i8x16.relaxed_swizzle"         0xfd  0x100 None       RelaxedSimd          (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4RelaxedTruncF32x4S   visit_i32x4_relaxed_trunc_f32x4_s      "i32x4.relaxed_trunc_f32x4_s"   0xfd  0x101 None       RelaxedSimd          (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I32x4RelaxedTruncF32x4U   visit_i32x4_relaxed_trunc_f32x4_u      "i32x4.relaxed_trunc_f32x4_u"   0xfd  0x102 None       RelaxedSimd          (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I32x4RelaxedTruncF64x2SZero visit_i32x4_relaxed_trunc_f64x2_s_zero "i32x4.relaxed_trunc_f64x2_s_zero" 0xfd  0x103 None       RelaxedSimd          (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            I32x4RelaxedTruncF64x2UZero visit_i32x4_relaxed_trunc_f64x2_u_zero "i32x4.relaxed_trunc_f64x2_u_zero" 0xfd  0x104 None       RelaxedSimd          (Sig::Fixed(&[ValType::V128], &[ValType::V128]));
            F32x4RelaxedMadd          visit_f32x4_relaxed_madd               "f32x4.relaxed_madd"            0xfd  0x105 None       RelaxedSimd          (Sig::Fixed(&[ValType::V128, ValType::V128, ValType::V128], &[ValType::V128]));
            F32x4RelaxedNmadd         visit_f32x4_relaxed_nmadd              "f32x4.relaxed_nmadd"           0xfd  0x106 None       RelaxedSimd          (Sig::Fixed(&[ValType::V128, ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2RelaxedMadd          visit_f64x2_relaxed_madd               "f64x2.relaxed_madd"            0xfd  0x107 None       RelaxedSimd          (Sig::Fixed(&[ValType::V128, ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2RelaxedNmadd         visit_f64x2_relaxed_nmadd              "f64x2.relaxed_nmadd"           0xfd  0x108 None       RelaxedSimd          (Sig::Fixed(&[ValType::V128, ValType::V128, ValType::V128], &[ValType::V128]));
            I8x16RelaxedLaneselect    visit_i8x16_relaxed_laneselect         "i8x16.relaxed_laneselect"      0xfd  0x109 None       RelaxedSimd          (Sig::Fixed(&[ValType::V128, ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8RelaxedLaneselect    visit_i16x8_relaxed_laneselect         "i16x8.relaxed_laneselect"      0xfd  0x10a None       RelaxedSimd          (Sig::Fixed(&[ValType::V128, ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4RelaxedLaneselect    visit_i32x4_relaxed_laneselect         "i32x4.relaxed_laneselect"      0xfd  0x10b None       RelaxedSimd          (Sig::Fixed(&[ValType::V128, ValType::V128, ValType::V128], &[ValType::V128]));
            I64x2RelaxedLaneselect    visit_i64x2_relaxed_laneselect         "i64x2.relaxed_laneselect"      0xfd  0x10c None       RelaxedSimd          (Sig::Fixed(&[ValType::V128, ValType::V128, ValType::V128], &[ValType::V128]));
            F32x4RelaxedMin           visit_f32x4_relaxed_min                "f32x4.relaxed_min"             0xfd  0x10d None       RelaxedSimd          (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F32x4RelaxedMax           visit_f32x4_relaxed_max                "f32x4.relaxed_max"             0xfd  0x10e None       RelaxedSimd          (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2RelaxedMin           visit_f64x2_relaxed_min                "f64x2.relaxed_min"             0xfd  0x10f None       RelaxedSimd          (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            F64x2RelaxedMax           visit_f64x2_relaxed_max                "f64x2.relaxed_max"             0xfd  0x110 None       RelaxedSimd          (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8RelaxedQ15mulrS      visit_i16x8_relaxed_q15mulr_s          "i16x8.relaxed_q15mulr_s"       0xfd  0x111 None       RelaxedSimd          (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I16x8RelaxedDotI8x16I7x16S visit_i16x8_relaxed_dot_i8x16_i7x16_s  "i16x8.relaxed_dot_i8x16_i7x16_s" 0xfd  0x112 None       RelaxedSimd          (Sig::Fixed(&[ValType::V128, ValType::V128], &[ValType::V128]));
            I32x4RelaxedDotI8x16I7x16AddS visit_i32x4_relaxed_dot_i8x16_i7x16_add_s "i32x4.relaxed_dot_i8x16_i7x16_add_s" 0xfd  0x113 None       RelaxedSimd          (Sig::Fixed(&[ValType::V128, ValType::V128, ValType::V128], &[ValType::V128]));
        }
    };
}

/// The prefix byte of a row (0 for one-byte opcodes).
macro_rules! prefix_byte {
    (plain) => {
        0u8
    };
    ($p:literal) => {
        $p
    };
}

macro_rules! define_opcodes {
    ($( $v:ident $visit:ident $name:literal $prefix:tt $code:literal $imm:ident $feat:ident ($sig:expr); )*) => {
        /// One WebAssembly instruction, without its immediates.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u16)]
        #[allow(missing_docs)]
        pub enum Opcode {
            $( $v, )*
        }

        impl Opcode {
            /// Every opcode, in table order.
            pub const ALL: &'static [Opcode] = &[$(Opcode::$v),*];
        }

        // One array per column, indexed by opcode: the hot columns (`imm`,
        // `feature`, `sig`) stay dense in cache, and indexing an array of
        // exactly `COUNT` entries by an `Opcode` needs no bounds check.
        // The names are one string and offsets into it (`NAME_STARTS`):
        // an array of `&str` would cost 16 bytes and a load-time relocation
        // (24 bytes in a position-independent executable) per opcode.
        static NAME_TEXT: &str = concat!($( $name, )*);
        static IMMS: [ImmKind; COUNT] = [$( ImmKind::$imm, )*];
        static FEATURES: [Feature; COUNT] = [$( Feature::$feat, )*];
        impl Opcode {
            /// The typing rule: a `match`, which the compiler turns into a
            /// table of relative offsets to one constant per distinct rule
            /// (an array of `Sig` by opcode held two pointers per opcode,
            /// each a load-time relocation in a position-independent
            /// executable: 38 KB of the minimal build).
            #[inline]
            pub fn sig(self) -> &'static Sig {
                match self {
                    $( Opcode::$v => &$sig, )*
                }
            }
        }
        const ENCODINGS: [(u8, u32); COUNT] = [$( (prefix_byte!($prefix), $code), )*];
    };
}

for_each_opcode!(define_opcodes);

/// The number of opcodes in the table.
pub const COUNT: usize = {
    macro_rules! count {
        ($( $v:ident $visit:ident $name:literal $prefix:tt $code:literal $imm:ident $feat:ident ($sig:expr); )*) => {
            [$( stringify!($v), )*].len()
        };
    }
    for_each_opcode!(count)
};

// Statics cannot be read during const evaluation; the name index is built
// from this const copy of the names column.
macro_rules! define_name_list {
    ($( $v:ident $visit:ident $name:literal $prefix:tt $code:literal $imm:ident $feat:ident ($sig:expr); )*) => {
        const NAME_LIST: [&str; COUNT] = [$( $name, )*];
    };
}
for_each_opcode!(define_name_list);

/// Where each opcode's name starts in `NAME_TEXT`; entry `COUNT` is the
/// text's length, so name `i` is `NAME_STARTS[i]..NAME_STARTS[i + 1]`.
static NAME_STARTS: [u16; COUNT + 1] = {
    let mut starts = [0u16; COUNT + 1];
    let mut at = 0usize;
    let mut i = 0;
    while i < COUNT {
        starts[i] = at as u16;
        at += NAME_LIST[i].len();
        i += 1;
    }
    assert!(at <= u16::MAX as usize, "the opcode names fit u16 offsets");
    starts[COUNT] = at as u16;
    starts
};

/// Lookup table from first byte (or prefixed sub-opcode) to opcode.
const fn build_table<const N: usize>(prefix: u8) -> [Option<Opcode>; N] {
    let mut table = [None; N];
    let mut i = 0;
    while i < COUNT {
        let op = Opcode::ALL[i];
        let (p, code) = ENCODINGS[i];
        if p == prefix && (code as usize) < N {
            table[code as usize] = Some(op);
        }
        i += 1;
    }
    table
}

static PLAIN: [Option<Opcode>; 256] = build_table(0);
static PREFIX_FC: [Option<Opcode>; 32] = build_table(0xfc);
static PREFIX_FD: [Option<Opcode>; 0x120] = build_table(0xfd);
static PREFIX_FB: [Option<Opcode>; 32] = build_table(0xfb);

const fn str_lt(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
        i += 1;
    }
    a.len() < b.len()
}

/// Opcode indices sorted by text name (stable, so `select` precedes the
/// typed `select`), for [`Opcode::from_name`].
static BY_NAME: [u16; COUNT] = {
    let mut order = [0u16; COUNT];
    let mut i = 0;
    while i < COUNT {
        order[i] = i as u16;
        i += 1;
    }
    // Insertion sort: stable, and small enough for const evaluation.
    let mut i = 1;
    while i < COUNT {
        let mut j = i;
        while j > 0
            && str_lt(
                NAME_LIST[order[j] as usize],
                NAME_LIST[order[j - 1] as usize],
            )
        {
            let t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
            j -= 1;
        }
        i += 1;
    }
    order
};

impl Opcode {
    /// The instruction's name in the text format (`"i32.add"`).
    #[inline]
    pub fn name(self) -> &'static str {
        let i = self as usize;
        &NAME_TEXT[NAME_STARTS[i] as usize..NAME_STARTS[i + 1] as usize]
    }

    /// The prefix byte (`0xfc`, `0xfd`) or `None` for one-byte opcodes.
    #[inline]
    pub fn prefix(self) -> Option<u8> {
        match ENCODINGS[self as usize].0 {
            0 => None,
            p => Some(p),
        }
    }

    /// The opcode byte, or the sub-opcode after the prefix.
    #[inline]
    pub fn code(self) -> u32 {
        ENCODINGS[self as usize].1
    }

    /// Which immediates follow the opcode.
    #[inline]
    pub fn imm(self) -> ImmKind {
        IMMS[self as usize]
    }

    /// The proposal that introduced the instruction.
    #[inline]
    pub fn feature(self) -> Feature {
        FEATURES[self as usize]
    }

    /// Appends the opcode's bytes (prefix and LEB128 sub-opcode).
    pub fn encode(self, out: &mut Vec<u8>) {
        match self.prefix() {
            None => out.push(self.code() as u8),
            Some(p) => {
                out.push(p);
                crate::leb128::write_u32(out, self.code());
            }
        }
    }

    /// The opcode for a one-byte encoding.
    #[inline]
    pub fn from_byte(byte: u8) -> Option<Opcode> {
        PLAIN[byte as usize]
    }

    /// The opcode for a prefixed encoding.
    #[inline]
    pub fn from_prefixed(prefix: u8, code: u32) -> Option<Opcode> {
        let table: &[Option<Opcode>] = match prefix {
            0xfc => &PREFIX_FC,
            0xfd => &PREFIX_FD,
            0xfb => &PREFIX_FB,
            _ => return None,
        };
        table.get(code as usize).copied().flatten()
    }

    /// The opcode with this text name. For `select` it returns the untyped
    /// form; the typed form is chosen by the presence of a result type.
    pub fn from_name(name: &str) -> Option<Opcode> {
        let mut lo = 0;
        let mut hi = COUNT;
        while lo < hi {
            let mid = (lo + hi) / 2;
            if str_lt(Opcode::ALL[BY_NAME[mid] as usize].name(), name) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let idx = *BY_NAME.get(lo)? as usize;
        let op = Opcode::ALL[idx];
        (op.name() == name).then_some(op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_unique_and_round_trip() {
        for &op in Opcode::ALL {
            let found = match op.prefix() {
                None => Opcode::from_byte(op.code() as u8),
                Some(p) => Opcode::from_prefixed(p, op.code()),
            };
            assert_eq!(found, Some(op), "{}", op.name());
        }
    }

    #[test]
    fn names_round_trip() {
        for &op in Opcode::ALL {
            let back = Opcode::from_name(op.name()).unwrap();
            if op == Opcode::SelectTyped {
                assert_eq!(back, Opcode::Select);
            } else if matches!(op, Opcode::RefTestNull | Opcode::RefCastNull) {
                // One text name for both nullabilities: the parser picks
                // by the reference type that follows.
                assert_eq!(back.name(), op.name());
            } else {
                assert_eq!(back, op, "{}", op.name());
            }
        }
        assert_eq!(Opcode::from_name("i32.nope"), None);
        assert_eq!(Opcode::from_name(""), None);
        assert_eq!(Opcode::from_name("zzz"), None);
    }

    #[test]
    fn table_covers_wasm2() {
        let count = |f: Feature| Opcode::ALL.iter().filter(|o| o.feature() == f).count();
        assert_eq!(count(Feature::Simd), 236);
        let wasm2 = Opcode::ALL
            .iter()
            .filter(|o| o.feature().in_wasm_2_0())
            .count();
        assert_eq!(wasm2, 437);
        // Wasm 3.0 so far: tail calls, relaxed SIMD, exception handling
        // (`try_table`, `throw`, `throw_ref` and the legacy five).
        assert_eq!(count(Feature::RelaxedSimd), 20);
        assert_eq!(count(Feature::Exceptions), 8);
        assert_eq!(count(Feature::FunctionReferences), 4);
        assert_eq!(count(Feature::TailCall), 3);
        assert_eq!(count(Feature::Gc), 32);
        assert_eq!(COUNT, 504);
        v_encodes(Opcode::BrOnCastFail, &[0xfb, 0x19]);
        v_encodes(Opcode::CallRef, &[0x14]);
        v_encodes(Opcode::TryTable, &[0x1f]);
        v_encodes(Opcode::Delegate, &[0x18]);
        v_encodes(Opcode::I32x4RelaxedDotI8x16I7x16AddS, &[0xfd, 0x93, 0x02]);
        v_encodes(Opcode::ReturnCall, &[0x12]);
        let mut v = Vec::new();
        Opcode::I8x16Shuffle.encode(&mut v);
        assert_eq!(v, [0xfd, 0x0d]);
        v.clear();
        Opcode::I32x4DotI16x8S.encode(&mut v);
        assert_eq!(v, [0xfd, 0xba, 0x01]);
    }

    fn v_encodes(op: Opcode, bytes: &[u8]) {
        let mut v = Vec::new();
        op.encode(&mut v);
        assert_eq!(v, bytes, "{}", op.name());
        assert_eq!(Opcode::from_name(op.name()), Some(op));
    }
}
