//! The types of the WebAssembly type system and of a module's entities.
//!
//! Spec: <https://webassembly.github.io/spec/core/syntax/types.html>.
//! Reference types carry a [`HeapType`] and a nullability bit so that the
//! typed-function-references and GC proposals (Wasm 3.0) extend them without
//! changing their shape for 2.0 code.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

/// A heap type: what a reference points to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeapType {
    /// Any function (`func`).
    Func,
    /// Any host reference (`extern`).
    Extern,
    /// An exception (`exn`, exception handling).
    Exn,
}

/// A reference type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RefType {
    /// Whether `null` is a value of this type. Always true in Wasm 2.0.
    pub nullable: bool,
    /// What the reference points to.
    pub heap: HeapType,
}

impl RefType {
    /// `funcref`.
    pub const FUNCREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Func,
    };
    /// `externref`.
    pub const EXTERNREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Extern,
    };
    /// `exnref`.
    pub const EXNREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Exn,
    };
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.nullable, self.heap) {
            (true, HeapType::Func) => f.write_str("funcref"),
            (true, HeapType::Extern) => f.write_str("externref"),
            (true, HeapType::Exn) => f.write_str("exnref"),
            (false, HeapType::Func) => f.write_str("(ref func)"),
            (false, HeapType::Extern) => f.write_str("(ref extern)"),
            (false, HeapType::Exn) => f.write_str("(ref exn)"),
        }
    }
}

/// A value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE 754 float.
    F32,
    /// 64-bit IEEE 754 float.
    F64,
    /// 128-bit vector.
    V128,
    /// A reference.
    Ref(RefType),
}

impl ValType {
    /// `funcref`.
    pub const FUNCREF: ValType = ValType::Ref(RefType::FUNCREF);
    /// `externref`.
    pub const EXTERNREF: ValType = ValType::Ref(RefType::EXTERNREF);
    /// `exnref`.
    pub const EXNREF: ValType = ValType::Ref(RefType::EXNREF);

    /// Whether values of this type are references.
    pub const fn is_ref(self) -> bool {
        matches!(self, ValType::Ref(_))
    }

    /// Whether values of this type are numbers (`i32`..`f64`).
    pub const fn is_num(self) -> bool {
        matches!(
            self,
            ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64
        )
    }

    /// Whether a local of this type has a default value (all 2.0 types do;
    /// non-nullable references of Wasm 3.0 do not).
    pub const fn is_defaultable(self) -> bool {
        match self {
            ValType::Ref(r) => r.nullable,
            _ => true,
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValType::I32 => f.write_str("i32"),
            ValType::I64 => f.write_str("i64"),
            ValType::F32 => f.write_str("f32"),
            ValType::F64 => f.write_str("f64"),
            ValType::V128 => f.write_str("v128"),
            ValType::Ref(r) => r.fmt(f),
        }
    }
}

/// A function type: parameters and results.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FuncType {
    /// Parameters followed by results (shared: cloning a type, which every
    /// call from the host does, is a reference count increment).
    types: Arc<[ValType]>,
    /// How many of `types` are parameters.
    params: usize,
}

impl FuncType {
    /// Builds a function type.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> FuncType {
        let mut types: Vec<ValType> = params.into_iter().collect();
        let params = types.len();
        types.extend(results);
        FuncType {
            types: types.into(),
            params,
        }
    }

    /// The parameter types.
    #[inline]
    pub fn params(&self) -> &[ValType] {
        &self.types[..self.params]
    }

    /// The result types.
    #[inline]
    pub fn results(&self) -> &[ValType] {
        &self.types[self.params..]
    }
}

impl fmt::Debug for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(func")?;
        if !self.params().is_empty() {
            f.write_str(" (param")?;
            for t in self.params() {
                write!(f, " {t}")?;
            }
            f.write_str(")")?;
        }
        if !self.results().is_empty() {
            f.write_str(" (result")?;
            for t in self.results() {
                write!(f, " {t}")?;
            }
            f.write_str(")")?;
        }
        f.write_str(")")
    }
}

/// Size limits of a memory (in pages) or a table (in elements).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Initial size.
    pub min: u64,
    /// Largest size it may grow to, if bounded.
    pub max: Option<u64>,
}

/// A table's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TableType {
    /// The element type.
    pub element: RefType,
    /// Size in elements.
    pub limits: Limits,
    /// Indexed by `i64` (table64, part of memory64); always false in 2.0.
    pub table64: bool,
}

impl TableType {
    /// The type of the table's indices: `i64` for a 64-bit table.
    pub const fn index_type(&self) -> ValType {
        if self.table64 {
            ValType::I64
        } else {
            ValType::I32
        }
    }
}

/// A linear memory's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemoryType {
    /// Size in 64 KiB pages.
    pub limits: Limits,
    /// Indexed by `i64` (memory64 proposal); always false in 2.0.
    pub memory64: bool,
    /// Shared between threads (threads proposal); always false in 2.0.
    pub shared: bool,
}

impl MemoryType {
    /// The page size in bytes.
    pub const PAGE_SIZE: u64 = 65536;
    /// The most pages a 32-bit memory may have (4 GiB).
    pub const MAX_PAGES_32: u64 = 65536;

    /// The type of the memory's addresses: `i64` for a 64-bit memory.
    pub const fn index_type(&self) -> ValType {
        if self.memory64 {
            ValType::I64
        } else {
            ValType::I32
        }
    }
}

/// A global's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GlobalType {
    /// The value type.
    pub content: ValType,
    /// Whether `global.set` may change it.
    pub mutable: bool,
}

/// The type of a `block`, `loop` or `if`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockType {
    /// `[] -> []`.
    Empty,
    /// `[] -> [t]`.
    Value(ValType),
    /// The function type at this index of the type section (multi-value).
    Func(u32),
}

/// The immediate of a load or store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemArg {
    /// Alignment hint as a power of two.
    pub align: u32,
    /// Constant offset added to the dynamic address.
    pub offset: u64,
    /// Which memory (always 0 without multi-memory).
    pub memory: u32,
}

/// The kind of an import or export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExternKind {
    /// A function.
    Func,
    /// A table.
    Table,
    /// A memory.
    Memory,
    /// A global.
    Global,
    /// A tag (exception handling).
    Tag,
}

impl fmt::Display for ExternKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExternKind::Func => "func",
            ExternKind::Table => "table",
            ExternKind::Memory => "memory",
            ExternKind::Global => "global",
            ExternKind::Tag => "tag",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn valtype_is_small() {
        // The validator keeps stacks of these; keep them tiny.
        assert!(size_of::<ValType>() <= 4);
    }

    #[test]
    fn func_type_display() {
        let t = FuncType::new([ValType::I32, ValType::F64], [ValType::FUNCREF]);
        assert_eq!(t.to_string(), "(func (param i32 f64) (result funcref))");
        assert_eq!(t.params().len(), 2);
        assert_eq!(t.results(), &[ValType::FUNCREF]);
    }
}
