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
///
/// The abstract heap types form three hierarchies (plus `exn`):
///
/// ```text
///        any          func        extern      exn
///         |             |            |          |
///        eq       (func types)   noextern     noexn
///      /  |  \          |
///   i31 struct array  nofunc
///         |      |
///   (struct/array types)
///          \   /
///          none
/// ```
///
/// A concrete heap type is a type index: of the module's type section in a
/// module's types, and an engine-wide canonical type id in the runtime's
/// (see `nanowasm-runtime`'s type registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HeapType {
    /// Any function (`func`).
    Func,
    /// Any host reference (`extern`).
    Extern,
    /// An exception (`exn`, exception handling).
    Exn,
    /// Any internal reference (`any`, GC).
    Any,
    /// References that `ref.eq` compares (`eq`, GC).
    Eq,
    /// Unboxed 31-bit integers (`i31`, GC).
    I31,
    /// Any struct (`struct`, GC).
    Struct,
    /// Any array (`array`, GC).
    Array,
    /// The bottom of the `any` hierarchy (`none`, GC).
    None,
    /// The bottom of the `func` hierarchy (`nofunc`).
    NoFunc,
    /// The bottom of the `extern` hierarchy (`noextern`).
    NoExtern,
    /// The bottom of the `exn` hierarchy (`noexn`).
    NoExn,
    /// A defined type, by index.
    Concrete(u32),
}

/// The largest index a [`HeapType::Concrete`] may carry (2^23 - 1; a
/// module has at most 1,000,000 types).
pub const MAX_CONCRETE_INDEX: u32 = (1 << 23) - 1;

/// Abstract heap types, packed above every concrete index.
const ABSTRACT_BASE: u32 = 0xff_ff00;

impl HeapType {
    /// Every abstract heap type.
    pub const ABSTRACT: [HeapType; 12] = [
        HeapType::Func,
        HeapType::Extern,
        HeapType::Exn,
        HeapType::Any,
        HeapType::Eq,
        HeapType::I31,
        HeapType::Struct,
        HeapType::Array,
        HeapType::None,
        HeapType::NoFunc,
        HeapType::NoExtern,
        HeapType::NoExn,
    ];

    /// Whether this is an abstract (non-indexed) heap type.
    pub const fn is_abstract(self) -> bool {
        !matches!(self, HeapType::Concrete(_))
    }

    /// The top of this abstract heap type's hierarchy (for a concrete type,
    /// see [`TypeContext::top`]).
    pub const fn abstract_top(self) -> HeapType {
        match self {
            HeapType::Func | HeapType::NoFunc => HeapType::Func,
            HeapType::Extern | HeapType::NoExtern => HeapType::Extern,
            HeapType::Exn | HeapType::NoExn => HeapType::Exn,
            HeapType::Concrete(_) => self,
            _ => HeapType::Any,
        }
    }

    /// The bottom of the hierarchy whose top is `top`.
    pub const fn bottom_of(top: HeapType) -> HeapType {
        match top {
            HeapType::Func => HeapType::NoFunc,
            HeapType::Extern => HeapType::NoExtern,
            HeapType::Exn => HeapType::NoExn,
            _ => HeapType::None,
        }
    }

    const fn pack(self) -> u32 {
        match self {
            HeapType::Concrete(i) => i,
            HeapType::Func => ABSTRACT_BASE,
            HeapType::Extern => ABSTRACT_BASE + 1,
            HeapType::Exn => ABSTRACT_BASE + 2,
            HeapType::Any => ABSTRACT_BASE + 3,
            HeapType::Eq => ABSTRACT_BASE + 4,
            HeapType::I31 => ABSTRACT_BASE + 5,
            HeapType::Struct => ABSTRACT_BASE + 6,
            HeapType::Array => ABSTRACT_BASE + 7,
            HeapType::None => ABSTRACT_BASE + 8,
            HeapType::NoFunc => ABSTRACT_BASE + 9,
            HeapType::NoExtern => ABSTRACT_BASE + 10,
            HeapType::NoExn => ABSTRACT_BASE + 11,
        }
    }

    const fn unpack(v: u32) -> HeapType {
        if v < ABSTRACT_BASE {
            return HeapType::Concrete(v);
        }
        // Only `pack` makes these values, so the index is in range; the
        // `min` keeps a corrupt value from panicking.
        let i = (v - ABSTRACT_BASE) as usize;
        HeapType::ABSTRACT[if i < 12 { i } else { 11 }]
    }

    /// The text format's name of an abstract heap type.
    pub const fn abstract_name(self) -> Option<&'static str> {
        Some(match self {
            HeapType::Func => "func",
            HeapType::Extern => "extern",
            HeapType::Exn => "exn",
            HeapType::Any => "any",
            HeapType::Eq => "eq",
            HeapType::I31 => "i31",
            HeapType::Struct => "struct",
            HeapType::Array => "array",
            HeapType::None => "none",
            HeapType::NoFunc => "nofunc",
            HeapType::NoExtern => "noextern",
            HeapType::NoExn => "noexn",
            HeapType::Concrete(_) => return None,
        })
    }
}

impl fmt::Display for HeapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.abstract_name() {
            Some(n) => f.write_str(n),
            None => match self {
                HeapType::Concrete(i) => write!(f, "{i}"),
                _ => unreachable!(),
            },
        }
    }
}

/// A reference type: a heap type and whether `null` is a value of it.
///
/// Packed into four bytes (a `bool` and 24 bits of heap type), so that a
/// [`ValType`] is four bytes too: the validator keeps stacks of them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RefType {
    nullable: bool,
    heap: [u8; 3],
}

impl RefType {
    /// `funcref`.
    pub const FUNCREF: RefType = RefType::new(true, HeapType::Func);
    /// `externref`.
    pub const EXTERNREF: RefType = RefType::new(true, HeapType::Extern);
    /// `exnref`.
    pub const EXNREF: RefType = RefType::new(true, HeapType::Exn);

    /// The reference type `(ref null? heap)`. A concrete index above
    /// [`MAX_CONCRETE_INDEX`] is a caller's bug (decoders check it first).
    pub const fn new(nullable: bool, heap: HeapType) -> RefType {
        if let HeapType::Concrete(i) = heap {
            assert!(i <= MAX_CONCRETE_INDEX, "type index too large");
        }
        let v = heap.pack();
        RefType {
            nullable,
            heap: [v as u8, (v >> 8) as u8, (v >> 16) as u8],
        }
    }

    /// The type as one word (nullability in the low byte, the heap type
    /// above), for comparisons.
    #[inline(always)]
    const fn bits(self) -> u32 {
        self.nullable as u32
            | (self.heap[0] as u32) << 8
            | (self.heap[1] as u32) << 16
            | (self.heap[2] as u32) << 24
    }

    /// Whether `null` is a value of this type.
    #[inline]
    pub const fn nullable(self) -> bool {
        self.nullable
    }

    /// What the reference points to.
    #[inline]
    pub const fn heap(self) -> HeapType {
        HeapType::unpack(
            self.heap[0] as u32 | (self.heap[1] as u32) << 8 | (self.heap[2] as u32) << 16,
        )
    }

    /// This type with the given nullability.
    pub const fn with_nullable(self, nullable: bool) -> RefType {
        RefType {
            nullable,
            heap: self.heap,
        }
    }
}

impl fmt::Debug for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let heap = self.heap();
        if self.nullable {
            let short = match heap {
                HeapType::Func => Some("funcref"),
                HeapType::Extern => Some("externref"),
                HeapType::Exn => Some("exnref"),
                HeapType::Any => Some("anyref"),
                HeapType::Eq => Some("eqref"),
                HeapType::I31 => Some("i31ref"),
                HeapType::Struct => Some("structref"),
                HeapType::Array => Some("arrayref"),
                HeapType::None => Some("nullref"),
                HeapType::NoFunc => Some("nullfuncref"),
                HeapType::NoExtern => Some("nullexternref"),
                HeapType::NoExn => Some("nullexnref"),
                HeapType::Concrete(_) => None,
            };
            match short {
                Some(s) => f.write_str(s),
                None => write!(f, "(ref null {heap})"),
            }
        } else {
            write!(f, "(ref {heap})")
        }
    }
}

/// A value type.
// Equality is structural, as the derived `Hash` assumes (see the
// `PartialEq` impl below).
#[allow(clippy::derived_hash_with_manual_eq)]
#[derive(Clone, Copy, Debug, Eq, Hash, PartialOrd, Ord)]
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

// Structural equality, as derived, but cheaper: the validator compares
// value types on every pop. The derived version decodes both
// discriminants from the niche byte before comparing; here two numeric
// types compare as their discriminants and two references as one 32-bit
// word.
impl PartialEq for ValType {
    #[inline(always)]
    fn eq(&self, other: &ValType) -> bool {
        match (self, other) {
            (ValType::Ref(a), ValType::Ref(b)) => a.bits() == b.bits(),
            (ValType::Ref(_), _) | (_, ValType::Ref(_)) => false,
            _ => core::mem::discriminant(self) == core::mem::discriminant(other),
        }
    }
}

impl ValType {
    /// `funcref`.
    pub const FUNCREF: ValType = ValType::Ref(RefType::FUNCREF);
    /// `externref`.
    pub const EXTERNREF: ValType = ValType::Ref(RefType::EXTERNREF);
    /// `exnref`.
    pub const EXNREF: ValType = ValType::Ref(RefType::EXNREF);
    /// `anyref`.
    pub const ANYREF: ValType = ValType::Ref(RefType::new(true, HeapType::Any));
    /// `eqref`.
    pub const EQREF: ValType = ValType::Ref(RefType::new(true, HeapType::Eq));
    /// `i31ref`.
    pub const I31REF: ValType = ValType::Ref(RefType::new(true, HeapType::I31));
    /// `(ref i31)`.
    pub const REF_I31: ValType = ValType::Ref(RefType::new(false, HeapType::I31));
    /// `arrayref`.
    pub const ARRAYREF: ValType = ValType::Ref(RefType::new(true, HeapType::Array));

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
            ValType::Ref(r) => r.nullable(),
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
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

/// What a struct field or an array element holds (GC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StorageType {
    /// A packed 8-bit integer.
    I8,
    /// A packed 16-bit integer.
    I16,
    /// A value.
    Val(ValType),
}

impl StorageType {
    /// The value type it is read as (`i32` for packed types).
    pub const fn unpacked(self) -> ValType {
        match self {
            StorageType::I8 | StorageType::I16 => ValType::I32,
            StorageType::Val(t) => t,
        }
    }

    /// Whether it is `i8` or `i16`.
    pub const fn is_packed(self) -> bool {
        !matches!(self, StorageType::Val(_))
    }
}

impl fmt::Display for StorageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageType::I8 => f.write_str("i8"),
            StorageType::I16 => f.write_str("i16"),
            StorageType::Val(t) => t.fmt(f),
        }
    }
}

/// A struct field or an array's element type (GC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldType {
    /// What it holds.
    pub storage: StorageType,
    /// Whether `struct.set` / `array.set` may change it.
    pub mutable: bool,
}

/// The shape of a defined type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CompositeType {
    /// A function type.
    Func(FuncType),
    /// A struct type (GC): its fields.
    Struct(Arc<[FieldType]>),
    /// An array type (GC): its element.
    Array(FieldType),
}

impl CompositeType {
    /// The function type, if it is one.
    pub fn as_func(&self) -> Option<&FuncType> {
        match self {
            CompositeType::Func(f) => Some(f),
            _ => None,
        }
    }

    /// The abstract heap type at the top of this type's hierarchy's
    /// level: `func`, `struct` or `array`.
    pub const fn kind(&self) -> HeapType {
        match self {
            CompositeType::Func(_) => HeapType::Func,
            CompositeType::Struct(_) => HeapType::Struct,
            CompositeType::Array(_) => HeapType::Array,
        }
    }
}

/// A defined type: a composite type, whether it may have subtypes, and
/// its declared supertype (GC; a plain 2.0 function type is final with
/// none).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubType {
    /// Whether no type may declare this one as its supertype.
    pub is_final: bool,
    /// The declared supertype, by type index.
    pub supertype: Option<u32>,
    /// The type's shape.
    pub composite: CompositeType,
}

impl SubType {
    /// A final function type without a supertype (a 2.0 type).
    pub fn func(ty: FuncType) -> SubType {
        SubType {
            is_final: true,
            supertype: None,
            composite: CompositeType::Func(ty),
        }
    }

    /// The function type, if it is one.
    pub fn as_func(&self) -> Option<&FuncType> {
        self.composite.as_func()
    }

    /// Every type index this type refers to, in order (the supertype
    /// first).
    pub fn for_each_index(&self, mut f: impl FnMut(u32)) {
        if let Some(s) = self.supertype {
            f(s);
        }
        let mut val = |t: &ValType| {
            if let ValType::Ref(r) = t {
                if let HeapType::Concrete(i) = r.heap() {
                    f(i);
                }
            }
        };
        match &self.composite {
            CompositeType::Func(ft) => ft.params().iter().chain(ft.results()).for_each(&mut val),
            CompositeType::Struct(fields) => fields.iter().for_each(|x| {
                if let StorageType::Val(t) = &x.storage {
                    val(t)
                }
            }),
            CompositeType::Array(x) => {
                if let StorageType::Val(t) = &x.storage {
                    val(t)
                }
            }
        }
    }

    /// This type with every type index mapped through `f`.
    pub fn map_indices(&self, mut f: impl FnMut(u32) -> u32) -> SubType {
        fn val(t: ValType, f: &mut dyn FnMut(u32) -> u32) -> ValType {
            match t {
                ValType::Ref(r) => match r.heap() {
                    HeapType::Concrete(i) => {
                        ValType::Ref(RefType::new(r.nullable(), HeapType::Concrete(f(i))))
                    }
                    _ => t,
                },
                _ => t,
            }
        }
        fn field(x: FieldType, f: &mut dyn FnMut(u32) -> u32) -> FieldType {
            FieldType {
                storage: match x.storage {
                    StorageType::Val(t) => StorageType::Val(val(t, f)),
                    s => s,
                },
                mutable: x.mutable,
            }
        }
        let supertype = self.supertype.map(&mut f);
        let composite = match &self.composite {
            CompositeType::Func(ft) => CompositeType::Func(FuncType::new(
                ft.params()
                    .iter()
                    .map(|&t| val(t, &mut f))
                    .collect::<Vec<_>>(),
                ft.results()
                    .iter()
                    .map(|&t| val(t, &mut f))
                    .collect::<Vec<_>>(),
            )),
            CompositeType::Struct(fields) => {
                CompositeType::Struct(fields.iter().map(|&x| field(x, &mut f)).collect())
            }
            CompositeType::Array(x) => CompositeType::Array(field(*x, &mut f)),
        };
        SubType {
            is_final: self.is_final,
            supertype,
            composite,
        }
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
    fn ref_types_pack_every_heap_type() {
        let concrete = [
            HeapType::Concrete(0),
            HeapType::Concrete(999_999),
            HeapType::Concrete(MAX_CONCRETE_INDEX),
        ];
        for h in HeapType::ABSTRACT.into_iter().chain(concrete) {
            for n in [false, true] {
                let r = RefType::new(n, h);
                assert_eq!((r.nullable(), r.heap()), (n, h));
            }
        }
        assert_eq!(RefType::new(true, HeapType::Any).to_string(), "anyref");
        assert_eq!(
            RefType::new(false, HeapType::Concrete(3)).to_string(),
            "(ref 3)"
        );
        assert_eq!(
            RefType::new(true, HeapType::Concrete(3)).to_string(),
            "(ref null 3)"
        );
        assert_eq!(
            RefType::new(false, HeapType::NoFunc).to_string(),
            "(ref nofunc)"
        );
    }

    #[test]
    fn func_type_display() {
        let t = FuncType::new([ValType::I32, ValType::F64], [ValType::FUNCREF]);
        assert_eq!(t.to_string(), "(func (param i32 f64) (result funcref))");
        assert_eq!(t.params().len(), 2);
        assert_eq!(t.results(), &[ValType::FUNCREF]);
    }
}
