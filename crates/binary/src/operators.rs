//! Decoding instructions, driven by the opcode table.
//!
//! An [`Instr`] is an [`Opcode`] plus its immediates ([`Imm`]). Reading one
//! is a table lookup for the opcode and one `match` on its [`ImmKind`]; no
//! instruction is special-cased here.

use alloc::format;

use crate::error::{Error, Result};
use crate::features3;
use crate::reader::{decode_val_type, Reader};
use nanowasm_core::{
    BlockType, Feature, Features, HeapType, ImmKind, MemArg, Opcode, RefType, ValType,
};

/// The immediates of an instruction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Imm<'a> {
    /// None.
    None,
    /// One index (label, function, local, global, table, memory, segment).
    Index(u32),
    /// Two indices (`call_indirect`: type, table; `memory.init`: data,
    /// memory; `table.init`: elem, table; `*.copy`: destination, source).
    Index2(u32, u32),
    /// A block type.
    Block(BlockType),
    /// `br_table` targets.
    BrTable(BrTable<'a>),
    /// A memory argument.
    MemArg(MemArg),
    /// A memory argument and a lane.
    MemArgLane(MemArg, u8),
    /// A lane index.
    Lane(u8),
    /// 16 bytes: a `v128.const` value or `i8x16.shuffle` lanes.
    Bytes16([u8; 16]),
    /// `i32.const`.
    I32(i32),
    /// `i64.const`.
    I64(i64),
    /// `f32.const` bits.
    F32(u32),
    /// `f64.const` bits.
    F64(u64),
    /// The type of a typed `select`.
    SelectT(ValType),
    /// A heap type (`ref.null`, `ref.test`, `ref.cast`).
    Heap(HeapType),
    /// `br_on_cast` and `br_on_cast_fail`: the label, the operand's type
    /// and the type cast to.
    BrOnCast {
        /// The branch target.
        label: u32,
        /// The type the operand is known to have.
        from: RefType,
        /// The type it is tested against.
        to: RefType,
    },
    /// A `try_table`'s block type and catch clauses.
    TryTable(TryTable<'a>),
}

/// One decoded instruction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Instr<'a> {
    /// What it is.
    pub op: Opcode,
    /// Its immediates.
    pub imm: Imm<'a>,
}

/// The targets of a `br_table`, read lazily from the body bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BrTable<'a> {
    bytes: &'a [u8],
    start: usize,
    count: u32,
    /// The default target.
    pub default: u32,
}

impl<'a> BrTable<'a> {
    /// The number of targets besides the default.
    pub fn len(&self) -> u32 {
        self.count
    }

    /// Whether there are no targets besides the default.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The targets besides the default, in order.
    pub fn targets(&self) -> impl Iterator<Item = u32> + 'a {
        let mut pos = self.start;
        let bytes = self.bytes;
        (0..self.count).map(move |_| {
            // Already checked when the instruction was decoded.
            nanowasm_core::leb128::read_u32(bytes, &mut pos).unwrap_or(0)
        })
    }
}

/// One catch clause of a `try_table`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Catch {
    /// `catch x l`: an exception of tag `x`; its values go to label `l`.
    Tag { tag: u32, label: u32 },
    /// `catch_ref x l`: as `catch`, then the exception as an `exnref`.
    TagRef { tag: u32, label: u32 },
    /// `catch_all l`: any exception, no values.
    All { label: u32 },
    /// `catch_all_ref l`: any exception, as an `exnref`.
    AllRef { label: u32 },
}

impl Catch {
    /// The label the clause branches to.
    pub fn label(self) -> u32 {
        match self {
            Catch::Tag { label, .. }
            | Catch::TagRef { label, .. }
            | Catch::All { label }
            | Catch::AllRef { label } => label,
        }
    }

    /// The tag the clause catches (`None`: any).
    pub fn tag(self) -> Option<u32> {
        match self {
            Catch::Tag { tag, .. } | Catch::TagRef { tag, .. } => Some(tag),
            Catch::All { .. } | Catch::AllRef { .. } => None,
        }
    }

    /// Whether the clause passes the exception as an `exnref`.
    pub fn is_ref(self) -> bool {
        matches!(self, Catch::TagRef { .. } | Catch::AllRef { .. })
    }
}

/// A `try_table`'s immediates: its block type and its catch clauses, read
/// lazily from the body bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TryTable<'a> {
    /// The block type.
    pub ty: BlockType,
    bytes: &'a [u8],
    start: usize,
    count: u32,
}

impl<'a> TryTable<'a> {
    /// The catch clauses, in order.
    pub fn catches(&self) -> impl Iterator<Item = Catch> + 'a {
        let mut pos = self.start;
        let bytes = self.bytes;
        (0..self.count).map(move |_| {
            // Already checked when the instruction was decoded.
            let mut u32_at = || nanowasm_core::leb128::read_u32(bytes, &mut pos).unwrap_or(0);
            let kind = u32_at();
            match kind {
                0 => {
                    let tag = u32_at();
                    Catch::Tag {
                        tag,
                        label: u32_at(),
                    }
                }
                1 => {
                    let tag = u32_at();
                    Catch::TagRef {
                        tag,
                        label: u32_at(),
                    }
                }
                2 => Catch::All { label: u32_at() },
                _ => Catch::AllRef { label: u32_at() },
            }
        })
    }

    /// The number of catch clauses.
    pub fn len(&self) -> u32 {
        self.count
    }

    /// Whether it has no catch clauses.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// Reads instructions from a function body or constant expression.
pub struct OperatorReader<'a> {
    reader: Reader<'a>,
    features: Features,
}

impl<'a> OperatorReader<'a> {
    /// Reads from `reader`'s window.
    pub fn new(reader: Reader<'a>, features: Features) -> OperatorReader<'a> {
        OperatorReader { reader, features }
    }

    /// The offset of the next instruction.
    #[inline]
    pub fn offset(&self) -> usize {
        self.reader.offset()
    }

    /// Whether the window is used up.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.reader.is_empty()
    }

    /// The underlying reader (to continue after a constant expression).
    pub fn into_reader(self) -> Reader<'a> {
        self.reader
    }

    /// Decodes the next instruction.
    #[inline]
    pub fn read(&mut self) -> Result<Instr<'a>> {
        let op = self.read_opcode()?;
        let imm = self.read_imm(op)?;
        Ok(Instr { op, imm })
    }

    /// Decodes the next opcode (the immediates follow: call
    /// [`read_imm`](Self::read_imm) unless `op.imm()` is `ImmKind::None`).
    #[inline]
    pub fn read_opcode(&mut self) -> Result<Opcode> {
        let start = self.reader.offset();
        let byte = self.reader.u8()?;
        let op = match Opcode::from_byte(byte) {
            Some(op) => op,
            None => self.read_prefixed(byte, start)?,
        };
        let feature = op.feature();
        if feature != Feature::Mvp && !self.features.has(feature) {
            return Err(features3::not_enabled(feature, op.name(), start));
        }
        Ok(op)
    }

    /// Decodes an index immediate (for opcodes whose `ImmKind` is one index).
    #[inline]
    pub fn read_index(&mut self) -> Result<u32> {
        self.reader.u32()
    }

    /// Decodes a memory argument (for opcodes whose `ImmKind` is `MemArg`).
    #[inline]
    pub fn read_memarg(&mut self) -> Result<MemArg> {
        self.memarg()
    }

    /// Decodes the immediates of `op`.
    #[inline]
    pub fn read_imm(&mut self, op: Opcode) -> Result<Imm<'a>> {
        self.read_imm_of(op.imm())
    }

    /// Decodes immediates of the given kind (inlined, so a constant kind
    /// folds to the one read it needs).
    #[inline(always)]
    pub fn read_imm_of(&mut self, kind: ImmKind) -> Result<Imm<'a>> {
        Ok(match kind {
            ImmKind::None => Imm::None,
            ImmKind::Label
            | ImmKind::Func
            | ImmKind::Local
            | ImmKind::Global
            | ImmKind::Table
            | ImmKind::Data
            | ImmKind::Elem
            | ImmKind::Tag => Imm::Index(self.reader.u32()?),
            ImmKind::TryTable => Imm::TryTable(self.try_table()?),
            ImmKind::I32 => Imm::I32(self.reader.i32()?),
            ImmKind::I64 => Imm::I64(self.reader.i64()?),
            ImmKind::F32 => Imm::F32(u32::from_le_bytes(self.reader.array()?)),
            ImmKind::F64 => Imm::F64(u64::from_le_bytes(self.reader.array()?)),
            ImmKind::BlockType => Imm::Block(self.block_type()?),
            ImmKind::MemArg => Imm::MemArg(self.memarg()?),
            ImmKind::MemArgLane => {
                let m = self.memarg()?;
                Imm::MemArgLane(m, self.reader.u8()?)
            }
            ImmKind::Lane => Imm::Lane(self.reader.u8()?),
            ImmKind::V128 | ImmKind::Shuffle => Imm::Bytes16(self.reader.array()?),
            ImmKind::BrTable => Imm::BrTable(self.br_table()?),
            ImmKind::CallIndirect => {
                let ty = self.reader.u32()?;
                let table = self.table_index()?;
                Imm::Index2(ty, table)
            }
            ImmKind::Memory => Imm::Index(self.memory_index()?),
            ImmKind::MemoryInit => {
                let data = self.reader.u32()?;
                Imm::Index2(data, self.memory_index()?)
            }
            ImmKind::MemoryCopy => {
                let dst = self.memory_index()?;
                Imm::Index2(dst, self.memory_index()?)
            }
            ImmKind::TableInit => {
                let elem = self.reader.u32()?;
                Imm::Index2(elem, self.reader.u32()?)
            }
            ImmKind::TableCopy => {
                let dst = self.reader.u32()?;
                Imm::Index2(dst, self.reader.u32()?)
            }
            ImmKind::SelectT => {
                let at = self.reader.offset();
                let n = self.reader.u32()?;
                if n != 1 {
                    return Err(Error::invalid("invalid result arity", at));
                }
                Imm::SelectT(self.reader.val_type(self.features)?)
            }
            ImmKind::RefNull | ImmKind::HeapType => {
                Imm::Heap(self.reader.heap_type(self.features)?)
            }
            ImmKind::Type => Imm::Index(self.reader.u32()?),
            ImmKind::StructField
            | ImmKind::ArrayFixed
            | ImmKind::ArrayData
            | ImmKind::ArrayElem
            | ImmKind::ArrayCopy => {
                let a = self.reader.u32()?;
                Imm::Index2(a, self.reader.u32()?)
            }
            ImmKind::BrOnCast => {
                let at = self.reader.offset();
                let flags = self.reader.u8()?;
                if flags > 3 {
                    return Err(Error::malformed("invalid br_on_cast flags", at));
                }
                let label = self.reader.u32()?;
                let from = self.reader.heap_type(self.features)?;
                let to = self.reader.heap_type(self.features)?;
                Imm::BrOnCast {
                    label,
                    from: RefType::new(flags & 1 != 0, from),
                    to: RefType::new(flags & 2 != 0, to),
                }
            }
        })
    }

    #[cold]
    fn read_prefixed(&mut self, byte: u8, start: usize) -> Result<Opcode> {
        let (prefix, code) = match byte {
            0xfb..=0xfe => (Some(byte), self.reader.u32()?),
            _ => (None, u32::from(byte)),
        };
        if let Some(p) = prefix {
            if let Some(op) = Opcode::from_prefixed(p, code) {
                return Ok(op);
            }
        }
        if let Some((what, feature)) = features3::opcode(prefix, code) {
            if !self.features.has(feature) {
                return Err(features3::not_enabled(feature, what, start));
            }
        }
        Err(Error::malformed(
            match prefix {
                None => format!("illegal opcode {byte:#04x}"),
                Some(p) => format!("illegal opcode {p:#04x} {code}"),
            },
            start,
        ))
    }

    fn try_table(&mut self) -> Result<TryTable<'a>> {
        let ty = self.block_type()?;
        let count = self.reader.count()?;
        let start = self.reader.offset();
        for _ in 0..count {
            let at = self.reader.offset();
            match self.reader.u8()? {
                0 | 1 => {
                    self.reader.u32()?;
                    self.reader.u32()?;
                }
                2 | 3 => {
                    self.reader.u32()?;
                }
                _ => return Err(Error::malformed("malformed catch clause", at)),
            }
        }
        Ok(TryTable {
            ty,
            bytes: self.reader.data(),
            start,
            count,
        })
    }

    fn block_type(&mut self) -> Result<BlockType> {
        let start = self.reader.offset();
        match self.reader.peek() {
            Some(0x40) => {
                self.reader.u8()?;
                Ok(BlockType::Empty)
            }
            Some(0x63 | 0x64) => Ok(BlockType::Value(self.reader.val_type(self.features)?)),
            Some(b) if b & 0xc0 == 0x40 => {
                // A negative one-byte s33: a value type.
                self.reader.u8()?;
                Ok(BlockType::Value(decode_val_type(b, self.features, start)?))
            }
            _ => {
                let idx = self.reader.s33()?;
                if idx < 0 {
                    return Err(Error::malformed("malformed value type", start));
                }
                if idx > i64::from(u32::MAX) {
                    return Err(Error::malformed("integer too large", start));
                }
                if !self.features.has(Feature::MultiValue) {
                    return Err(features3::not_enabled(
                        Feature::MultiValue,
                        "a type-indexed block",
                        start,
                    ));
                }
                Ok(BlockType::Func(idx as u32))
            }
        }
    }

    fn memarg(&mut self) -> Result<MemArg> {
        let start = self.reader.offset();
        let flags = self.reader.u32()?;
        // Bit 6 announces an explicit memory index (multi-memory).
        let (align, memory) = if flags & 0x40 != 0 {
            if !self.features.has(Feature::MultiMemory) {
                return Err(Error::malformed("malformed memop flags", start));
            }
            (flags & !0x40, self.reader.u32()?)
        } else {
            (flags, 0)
        };
        // With multi-memory the flags are below 128 (bit 6 taken above),
        // so an alignment exponent up to 63 decodes and validation rejects
        // it as larger than natural (3.0 `align.wast`); before it, above
        // 31 is malformed.
        let max = if self.features.has(Feature::MultiMemory) {
            64
        } else {
            32
        };
        if align >= max {
            return Err(Error::malformed("malformed memop flags", start));
        }
        let offset = if self.features.has(Feature::Memory64) {
            self.reader.u64()?
        } else {
            u64::from(self.reader.u32()?)
        };
        Ok(MemArg {
            align,
            offset,
            memory,
        })
    }

    fn memory_index(&mut self) -> Result<u32> {
        if self.features.has(Feature::MultiMemory) {
            return self.reader.u32();
        }
        let at = self.reader.offset();
        match self.reader.u8()? {
            0 => Ok(0),
            _ => Err(Error::malformed("zero byte expected", at)),
        }
    }

    fn table_index(&mut self) -> Result<u32> {
        if self.features.has(Feature::ReferenceTypes) {
            return self.reader.u32();
        }
        let at = self.reader.offset();
        match self.reader.u8()? {
            0 => Ok(0),
            _ => Err(Error::malformed("zero byte expected", at)),
        }
    }

    fn br_table(&mut self) -> Result<BrTable<'a>> {
        let count = self.reader.count()?;
        let start = self.reader.offset();
        for _ in 0..count {
            self.reader.u32()?;
        }
        let default = self.reader.u32()?;
        Ok(BrTable {
            bytes: self.reader.data(),
            start,
            count,
            default,
        })
    }
}
