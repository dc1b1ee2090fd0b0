//! The decoded and validated module.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::ops::Range;

use nanowasm_core::{ExternKind, FuncType, GlobalType, MemoryType, RefType, TableType, ValType};

use crate::name::Names;

/// A decoded, validated module. Function bodies, constant expressions and
/// data are byte ranges into [`Module::bytes`], which it shares.
#[derive(Debug, Clone)]
pub struct Module {
    /// The module's binary encoding.
    pub bytes: Bytes,
    /// The type section.
    pub types: crate::types::TypeSection,
    /// The imports, in order.
    pub imports: Vec<Import>,
    /// The type index of every function: imported ones first.
    pub funcs: Vec<u32>,
    /// Every table: imported ones first.
    pub tables: Vec<TableType>,
    /// The initializer of each defined (non-imported) table, if it has one
    /// (typed function references); without one a table starts null.
    pub table_inits: Vec<Option<ConstExpr>>,
    /// Every memory: imported ones first.
    pub memories: Vec<MemoryType>,
    /// Every global's type: imported ones first.
    pub globals: Vec<GlobalType>,
    /// The type index of every tag (exception handling): imported ones
    /// first.
    pub tags: Vec<u32>,
    /// The initializers of the defined (non-imported) globals.
    pub global_inits: Vec<ConstExpr>,
    /// How many of the functions, tables, memories and globals are imported.
    pub num_imported: ImportCounts,
    /// The exports, in order.
    pub exports: Vec<Export>,
    /// The start function.
    pub start: Option<u32>,
    /// The element segments.
    pub elements: Vec<ElementSegment>,
    /// The data count section's value, if present.
    pub data_count: Option<u32>,
    /// The bodies of the defined functions.
    pub bodies: Vec<FuncBody>,
    /// The data segments.
    pub datas: Vec<DataSegment>,
    /// Custom sections (including `name`), in order.
    pub customs: Vec<CustomSection>,
    /// Names from the `name` section (empty if absent or malformed).
    pub names: Names,
    /// The functions `ref.func` may name in function bodies (the spec's
    /// `C.refs`: those in element segments, exports and global
    /// initializers), by function index, so that a body validated after
    /// decoding ([`crate::FuncValidator::visit_function`]) is held to the
    /// same rule.
    pub refs: Vec<bool>,
}

impl Module {
    /// The type of function `index`.
    pub fn func_type(&self, index: u32) -> Option<&FuncType> {
        let ty = *self.funcs.get(index as usize)?;
        self.types.func(ty)
    }

    /// The bytes of `range`.
    pub fn slice(&self, range: &Range<usize>) -> &[u8] {
        &self.bytes[range.clone()]
    }
}

/// Shared, immutable bytes: a module's binary, owned (`Vec<u8>`,
/// `Arc<[u8]>`) or borrowed from an owner that keeps it alive, such as a
/// mapped artifact file, so that a loaded artifact's wasm is never copied.
#[derive(Clone)]
pub struct Bytes {
    owner: Arc<dyn AsRef<[u8]> + Send + Sync>,
    range: Range<usize>,
}

impl Bytes {
    /// The bytes `range` of `owner`'s bytes, sharing `owner`; `None` if
    /// `range` is not within them.
    pub fn from_owner(
        owner: Arc<dyn AsRef<[u8]> + Send + Sync>,
        range: Range<usize>,
    ) -> Option<Bytes> {
        (*owner).as_ref().get(range.clone())?;
        Some(Bytes { owner, range })
    }
}

impl Bytes {
    /// The bytes `range` of these, sharing their owner; `None` if `range`
    /// is not within them.
    pub fn slice(&self, range: Range<usize>) -> Option<Bytes> {
        self.get(range.clone())?;
        Some(Bytes {
            owner: self.owner.clone(),
            range: self.range.start + range.start..self.range.start + range.end,
        })
    }
}

impl core::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &(*self.owner).as_ref()[self.range.clone()]
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl core::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Bytes({} bytes)", self.len())
    }
}

impl From<Arc<[u8]>> for Bytes {
    fn from(b: Arc<[u8]>) -> Bytes {
        let range = 0..b.len();
        Bytes {
            owner: Arc::new(b),
            range,
        }
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(b: Vec<u8>) -> Bytes {
        let range = 0..b.len();
        Bytes {
            owner: Arc::new(b),
            range,
        }
    }
}

impl From<&[u8]> for Bytes {
    fn from(b: &[u8]) -> Bytes {
        b.to_vec().into()
    }
}

/// How many entities of each kind are imported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Imported functions.
    pub funcs: u32,
    /// Imported tables.
    pub tables: u32,
    /// Imported memories.
    pub memories: u32,
    /// Imported globals.
    pub globals: u32,
    /// Imported tags.
    pub tags: u32,
}

/// What an import brings in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportDesc {
    /// A function of this type index.
    Func(u32),
    /// A table.
    Table(TableType),
    /// A memory.
    Memory(MemoryType),
    /// A global.
    Global(GlobalType),
    /// A tag of this (function) type index.
    Tag(u32),
}

impl ImportDesc {
    /// The kind of entity.
    pub fn kind(&self) -> ExternKind {
        match self {
            ImportDesc::Func(_) => ExternKind::Func,
            ImportDesc::Table(_) => ExternKind::Table,
            ImportDesc::Memory(_) => ExternKind::Memory,
            ImportDesc::Global(_) => ExternKind::Global,
            ImportDesc::Tag(_) => ExternKind::Tag,
        }
    }
}

/// One import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The module name.
    pub module: String,
    /// The field name.
    pub name: String,
    /// What is imported.
    pub desc: ImportDesc,
}

/// One export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// The export name.
    pub name: String,
    /// The kind of entity.
    pub kind: ExternKind,
    /// Its index in that kind's index space.
    pub index: u32,
}

/// A validated constant expression: its bytes (including the final `end`)
/// and its result type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstExpr {
    /// Where the instructions are in the module.
    pub range: Range<usize>,
    /// What it evaluates to.
    pub ty: ValType,
}

/// Where an element segment goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElementMode {
    /// Copied into a table at instantiation.
    Active {
        /// The table.
        table: u32,
        /// Where in the table.
        offset: ConstExpr,
    },
    /// Used by `table.init`.
    Passive,
    /// Only declares functions for `ref.func`.
    Declared,
}

/// The items of an element segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElementItems {
    /// Function indices.
    Funcs(Vec<u32>),
    /// Constant expressions.
    Exprs(Vec<ConstExpr>),
}

/// An element segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementSegment {
    /// Where it goes.
    pub mode: ElementMode,
    /// The type of its items.
    pub ty: RefType,
    /// The items.
    pub items: ElementItems,
    /// Which of the eight binary encodings (flags 0-7) it was read from.
    pub flags: u8,
}

/// Where a data segment goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataMode {
    /// Copied into a memory at instantiation.
    Active {
        /// The memory.
        memory: u32,
        /// Where in the memory.
        offset: ConstExpr,
    },
    /// Used by `memory.init`.
    Passive,
}

/// A data segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSegment {
    /// Where it goes.
    pub mode: DataMode,
    /// Its bytes in the module.
    pub range: Range<usize>,
}

/// A defined function's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncBody {
    /// The declared locals (not the parameters), run-length encoded as in
    /// the binary format.
    pub locals: Vec<(u32, ValType)>,
    /// The instructions, up to and including the final `end`.
    pub code: Range<usize>,
    /// Where the body (its size field) starts, for backtraces.
    pub offset: usize,
}

/// A custom section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomSection {
    /// Its name.
    pub name: String,
    /// Its payload in the module.
    pub range: Range<usize>,
}
