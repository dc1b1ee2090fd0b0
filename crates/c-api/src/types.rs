//! Type representations: value, function, global, table, memory, tag,
//! extern, import and export types.

use nanowasm::{FuncType, GlobalType, HeapType, Limits, MemoryType, TableType, ValType};

use crate::vec::{declare_vec, name_to_string, wasm_name_t, CVec};
use crate::{borrow, from_raw, guard, into_raw};

/// `wasm_valkind_t` values.
pub const WASM_I32: u8 = 0;
/// `WASM_I64`.
pub const WASM_I64: u8 = 1;
/// `WASM_F32`.
pub const WASM_F32: u8 = 2;
/// `WASM_F64`.
pub const WASM_F64: u8 = 3;
/// `NANOWASM_V128` (nanowasm.h): not in `wasm.h`, whose values cannot hold
/// one.
pub const NANOWASM_V128: u8 = 4;
/// `WASM_EXTERNREF`.
pub const WASM_EXTERNREF: u8 = 128;
/// `WASM_FUNCREF`.
pub const WASM_FUNCREF: u8 = 129;

/// The `wasm_valkind_t` of a value type. Non-nullable references have the
/// kind of their nullable type.
pub(crate) fn kind_of(ty: ValType) -> u8 {
    match ty {
        ValType::I32 => WASM_I32,
        ValType::I64 => WASM_I64,
        ValType::F32 => WASM_F32,
        ValType::F64 => WASM_F64,
        ValType::V128 => NANOWASM_V128,
        ValType::Ref(r)
            if matches!(
                r.heap(),
                HeapType::Func | HeapType::NoFunc | HeapType::Concrete(_)
            ) =>
        {
            WASM_FUNCREF
        }
        ValType::Ref(_) => WASM_EXTERNREF,
    }
}

/// The value type of a `wasm_valkind_t`, if it is one.
pub(crate) fn type_of(kind: u8) -> Option<ValType> {
    Some(match kind {
        WASM_I32 => ValType::I32,
        WASM_I64 => ValType::I64,
        WASM_F32 => ValType::F32,
        WASM_F64 => ValType::F64,
        NANOWASM_V128 => ValType::V128,
        WASM_EXTERNREF => ValType::EXTERNREF,
        WASM_FUNCREF => ValType::FUNCREF,
        _ => return None,
    })
}

/// `wasm_valtype_t`.
#[derive(Clone, Debug)]
pub struct wasm_valtype_t {
    pub(crate) ty: ValType,
}

declare_vec!(
    Option<Box<wasm_valtype_t>>,
    wasm_valtype_vec_t,
    wasm_valtype_vec_new_empty,
    wasm_valtype_vec_new_uninitialized,
    wasm_valtype_vec_new,
    wasm_valtype_vec_copy,
    wasm_valtype_vec_delete
);

fn valtypes(types: &[ValType]) -> wasm_valtype_vec_t {
    CVec::from(
        types
            .iter()
            .map(|&ty| Some(Box::new(wasm_valtype_t { ty })))
            .collect::<Vec<_>>(),
    )
}

/// A new value type of kind `kind`; NULL if `kind` is not a kind.
#[no_mangle]
pub extern "C" fn wasm_valtype_new(kind: u8) -> *mut wasm_valtype_t {
    guard(std::ptr::null_mut(), || match type_of(kind) {
        Some(ty) => into_raw(wasm_valtype_t { ty }),
        None => std::ptr::null_mut(),
    })
}

/// The kind of a value type.
///
/// # Safety
///
/// `t` is null or a valid value type.
#[no_mangle]
pub unsafe extern "C" fn wasm_valtype_kind(t: *const wasm_valtype_t) -> u8 {
    guard(WASM_I32, || {
        // SAFETY: the caller's contract.
        unsafe { borrow(t) }.map_or(WASM_I32, |t| kind_of(t.ty))
    })
}

/// `wasm_limits_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct wasm_limits_t {
    /// Minimum.
    pub min: u32,
    /// Maximum, `0xffffffff` for none.
    pub max: u32,
}

const NO_MAX: u32 = u32::MAX;

impl From<Limits> for wasm_limits_t {
    fn from(l: Limits) -> wasm_limits_t {
        wasm_limits_t {
            min: u32::try_from(l.min).unwrap_or(u32::MAX),
            max: l.max.map_or(NO_MAX, |m| u32::try_from(m).unwrap_or(NO_MAX)),
        }
    }
}

impl From<wasm_limits_t> for Limits {
    fn from(l: wasm_limits_t) -> Limits {
        Limits {
            min: u64::from(l.min),
            max: (l.max != NO_MAX).then_some(u64::from(l.max)),
        }
    }
}

/// The kinds of extern types, with what their accessors return by
/// reference (so it lives as long as the type).
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Func {
        ty: FuncType,
        params: wasm_valtype_vec_t,
        results: wasm_valtype_vec_t,
    },
    Global {
        ty: GlobalType,
        content: wasm_valtype_t,
    },
    Table {
        ty: TableType,
        element: wasm_valtype_t,
        limits: wasm_limits_t,
    },
    Memory {
        limits: wasm_limits_t,
    },
    Tag {
        func: Box<ExternType>,
    },
}

/// Every type of `wasm.h` but value types: `wasm_externtype_t` and the
/// types it converts to and from (`wasm_functype_t`, `wasm_globaltype_t`,
/// `wasm_tabletype_t`, `wasm_memorytype_t`, `wasm_tagtype_t`), which are
/// the same object.
#[derive(Clone, Debug)]
pub struct ExternType {
    pub(crate) kind: Kind,
}

impl ExternType {
    pub(crate) fn func(ty: FuncType) -> ExternType {
        ExternType {
            kind: Kind::Func {
                params: valtypes(ty.params()),
                results: valtypes(ty.results()),
                ty,
            },
        }
    }

    pub(crate) fn global(ty: GlobalType) -> ExternType {
        ExternType {
            kind: Kind::Global {
                ty,
                content: wasm_valtype_t { ty: ty.content },
            },
        }
    }

    pub(crate) fn table(ty: TableType) -> ExternType {
        ExternType {
            kind: Kind::Table {
                ty,
                element: wasm_valtype_t {
                    ty: ValType::Ref(ty.element),
                },
                limits: ty.limits.into(),
            },
        }
    }

    pub(crate) fn memory(ty: MemoryType) -> ExternType {
        ExternType {
            kind: Kind::Memory {
                limits: ty.limits.into(),
            },
        }
    }

    pub(crate) fn tag(ty: FuncType) -> ExternType {
        ExternType {
            kind: Kind::Tag {
                func: Box::new(ExternType::func(ty)),
            },
        }
    }

    pub(crate) fn func_type(&self) -> Option<&FuncType> {
        match &self.kind {
            Kind::Func { ty, .. } => Some(ty),
            _ => None,
        }
    }

    pub(crate) fn global_type(&self) -> Option<GlobalType> {
        match &self.kind {
            Kind::Global { ty, .. } => Some(*ty),
            _ => None,
        }
    }

    pub(crate) fn table_type(&self) -> Option<TableType> {
        match &self.kind {
            Kind::Table { ty, .. } => Some(*ty),
            _ => None,
        }
    }

    pub(crate) fn memory_type(&self) -> Option<MemoryType> {
        match &self.kind {
            Kind::Memory { limits } => Some(MemoryType {
                limits: (*limits).into(),
                memory64: false,
                shared: false,
            }),
            _ => None,
        }
    }

    /// `wasm_externkind_t`.
    pub(crate) fn extern_kind(&self) -> u8 {
        match self.kind {
            Kind::Func { .. } => WASM_EXTERN_FUNC,
            Kind::Global { .. } => WASM_EXTERN_GLOBAL,
            Kind::Table { .. } => WASM_EXTERN_TABLE,
            Kind::Memory { .. } => WASM_EXTERN_MEMORY,
            Kind::Tag { .. } => WASM_EXTERN_TAG,
        }
    }
}

/// `WASM_EXTERN_FUNC`.
pub const WASM_EXTERN_FUNC: u8 = 0;
/// `WASM_EXTERN_GLOBAL`.
pub const WASM_EXTERN_GLOBAL: u8 = 1;
/// `WASM_EXTERN_TABLE`.
pub const WASM_EXTERN_TABLE: u8 = 2;
/// `WASM_EXTERN_MEMORY`.
pub const WASM_EXTERN_MEMORY: u8 = 3;
/// `WASM_EXTERN_TAG`.
pub const WASM_EXTERN_TAG: u8 = 4;

/// Takes ownership of an `own wasm_valtype_vec_t*` argument: its types, or
/// `None` if it holds a null element.
///
/// # Safety
///
/// `v` is null or a valid vector whose ownership the caller gives up.
unsafe fn take_valtypes(v: *mut wasm_valtype_vec_t) -> Option<Vec<ValType>> {
    if v.is_null() {
        return Some(Vec::new());
    }
    // SAFETY: the caller's contract: we now own the vector, which `read`
    // moves out (the caller will not free it again).
    let v = unsafe { v.read() };
    v.as_slice()
        .iter()
        .map(|t| t.as_ref().map(|t| t.ty))
        .collect()
}

/// The types the `own` pointer arguments of a constructor hold.
///
/// # Safety
///
/// `p` is null or from this library, and ownership passes to the callee.
unsafe fn take<T>(p: *mut T) -> Option<Box<T>> {
    // SAFETY: the caller's contract.
    unsafe { from_raw(p) }
}

macro_rules! type_fns {
    ($t:ty, $delete:ident, $copy:ident) => {
        /// Deletes the type.
        ///
        /// # Safety
        ///
        /// `t` is null or an owned type from this library.
        #[no_mangle]
        pub unsafe extern "C" fn $delete(t: *mut $t) {
            // SAFETY: the caller's contract.
            guard((), || drop(unsafe { from_raw(t) }))
        }

        /// A copy of the type.
        ///
        /// # Safety
        ///
        /// `t` is null or a valid type.
        #[no_mangle]
        pub unsafe extern "C" fn $copy(t: *const $t) -> *mut $t {
            guard(std::ptr::null_mut(), || {
                // SAFETY: the caller's contract.
                unsafe { borrow(t) }.map_or(std::ptr::null_mut(), |t| into_raw(t.clone()))
            })
        }
    };
}

type_fns!(wasm_valtype_t, wasm_valtype_delete, wasm_valtype_copy);
type_fns!(ExternType, wasm_functype_delete, wasm_functype_copy);
type_fns!(ExternType, wasm_globaltype_delete, wasm_globaltype_copy);
type_fns!(ExternType, wasm_tabletype_delete, wasm_tabletype_copy);
type_fns!(ExternType, wasm_memorytype_delete, wasm_memorytype_copy);
type_fns!(ExternType, wasm_tagtype_delete, wasm_tagtype_copy);
type_fns!(ExternType, wasm_externtype_delete, wasm_externtype_copy);
type_fns!(
    wasm_importtype_t,
    wasm_importtype_delete,
    wasm_importtype_copy
);
type_fns!(
    wasm_exporttype_t,
    wasm_exporttype_delete,
    wasm_exporttype_copy
);

macro_rules! type_vec {
    ($t:ty, $vec:ident, $a:ident, $b:ident, $c:ident, $d:ident, $e:ident) => {
        declare_vec!(Option<Box<$t>>, $vec, $a, $b, $c, $d, $e);
    };
}

type_vec!(
    ExternType,
    wasm_functype_vec_t,
    wasm_functype_vec_new_empty,
    wasm_functype_vec_new_uninitialized,
    wasm_functype_vec_new,
    wasm_functype_vec_copy,
    wasm_functype_vec_delete
);
type_vec!(
    ExternType,
    wasm_globaltype_vec_t,
    wasm_globaltype_vec_new_empty,
    wasm_globaltype_vec_new_uninitialized,
    wasm_globaltype_vec_new,
    wasm_globaltype_vec_copy,
    wasm_globaltype_vec_delete
);
type_vec!(
    ExternType,
    wasm_tabletype_vec_t,
    wasm_tabletype_vec_new_empty,
    wasm_tabletype_vec_new_uninitialized,
    wasm_tabletype_vec_new,
    wasm_tabletype_vec_copy,
    wasm_tabletype_vec_delete
);
type_vec!(
    ExternType,
    wasm_memorytype_vec_t,
    wasm_memorytype_vec_new_empty,
    wasm_memorytype_vec_new_uninitialized,
    wasm_memorytype_vec_new,
    wasm_memorytype_vec_copy,
    wasm_memorytype_vec_delete
);
type_vec!(
    ExternType,
    wasm_tagtype_vec_t,
    wasm_tagtype_vec_new_empty,
    wasm_tagtype_vec_new_uninitialized,
    wasm_tagtype_vec_new,
    wasm_tagtype_vec_copy,
    wasm_tagtype_vec_delete
);
type_vec!(
    ExternType,
    wasm_externtype_vec_t,
    wasm_externtype_vec_new_empty,
    wasm_externtype_vec_new_uninitialized,
    wasm_externtype_vec_new,
    wasm_externtype_vec_copy,
    wasm_externtype_vec_delete
);
type_vec!(
    wasm_importtype_t,
    wasm_importtype_vec_t,
    wasm_importtype_vec_new_empty,
    wasm_importtype_vec_new_uninitialized,
    wasm_importtype_vec_new,
    wasm_importtype_vec_copy,
    wasm_importtype_vec_delete
);
type_vec!(
    wasm_exporttype_t,
    wasm_exporttype_vec_t,
    wasm_exporttype_vec_new_empty,
    wasm_exporttype_vec_new_uninitialized,
    wasm_exporttype_vec_new,
    wasm_exporttype_vec_copy,
    wasm_exporttype_vec_delete
);

// Function types

/// A function type; takes ownership of both vectors. NULL if one holds a
/// null element.
///
/// # Safety
///
/// `params` and `results` are null or valid owned vectors.
#[no_mangle]
pub unsafe extern "C" fn wasm_functype_new(
    params: *mut wasm_valtype_vec_t,
    results: *mut wasm_valtype_vec_t,
) -> *mut ExternType {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract: both vectors are ours now.
        let (p, r) = unsafe { (take_valtypes(params), take_valtypes(results)) };
        match (p, r) {
            (Some(p), Some(r)) => into_raw(ExternType::func(FuncType::new(p, r))),
            _ => std::ptr::null_mut(),
        }
    })
}

static EMPTY_VALTYPES: EmptyVec = EmptyVec(CVec {
    size: 0,
    data: std::ptr::null_mut(),
});

/// An empty vector to point to when a type is of the wrong kind.
struct EmptyVec(wasm_valtype_vec_t);

// SAFETY: the vector is empty (null data) and never written: nothing is
// shared but a null pointer.
unsafe impl Sync for EmptyVec {}

/// The parameter types (owned by the function type); an empty vector if
/// `t` is not a function type.
///
/// # Safety
///
/// `t` is null or a valid type.
#[no_mangle]
pub unsafe extern "C" fn wasm_functype_params(t: *const ExternType) -> *const wasm_valtype_vec_t {
    guard(&EMPTY_VALTYPES.0, || {
        // SAFETY: the caller's contract.
        match unsafe { borrow(t) }.map(|t| &t.kind) {
            Some(Kind::Func { params, .. }) => params,
            _ => &EMPTY_VALTYPES.0,
        }
    })
}

/// The result types (owned by the function type); an empty vector if `t`
/// is not a function type.
///
/// # Safety
///
/// `t` is null or a valid type.
#[no_mangle]
pub unsafe extern "C" fn wasm_functype_results(t: *const ExternType) -> *const wasm_valtype_vec_t {
    guard(&EMPTY_VALTYPES.0, || {
        // SAFETY: the caller's contract.
        match unsafe { borrow(t) }.map(|t| &t.kind) {
            Some(Kind::Func { results, .. }) => results,
            _ => &EMPTY_VALTYPES.0,
        }
    })
}

// Global types

/// `WASM_CONST`.
pub const WASM_CONST: u8 = 0;
/// `WASM_VAR`.
pub const WASM_VAR: u8 = 1;

/// A global type; takes ownership of `content`. NULL if `content` is null
/// or `mutability` is neither `WASM_CONST` nor `WASM_VAR`.
///
/// # Safety
///
/// `content` is null or an owned value type.
#[no_mangle]
pub unsafe extern "C" fn wasm_globaltype_new(
    content: *mut wasm_valtype_t,
    mutability: u8,
) -> *mut ExternType {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let Some(content) = (unsafe { take(content) }) else {
            return std::ptr::null_mut();
        };
        if mutability > WASM_VAR {
            return std::ptr::null_mut();
        }
        into_raw(ExternType::global(GlobalType {
            content: content.ty,
            mutable: mutability == WASM_VAR,
        }))
    })
}

/// The content type (owned by the global type); NULL if `t` is not a
/// global type.
///
/// # Safety
///
/// `t` is null or a valid type.
#[no_mangle]
pub unsafe extern "C" fn wasm_globaltype_content(t: *const ExternType) -> *const wasm_valtype_t {
    guard(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        match unsafe { borrow(t) }.map(|t| &t.kind) {
            Some(Kind::Global { content, .. }) => content,
            _ => std::ptr::null(),
        }
    })
}

/// `WASM_CONST` or `WASM_VAR`.
///
/// # Safety
///
/// `t` is null or a valid type.
#[no_mangle]
pub unsafe extern "C" fn wasm_globaltype_mutability(t: *const ExternType) -> u8 {
    guard(WASM_CONST, || {
        // SAFETY: the caller's contract.
        match unsafe { borrow(t) }.and_then(ExternType::global_type) {
            Some(g) if g.mutable => WASM_VAR,
            _ => WASM_CONST,
        }
    })
}

// Table types

/// A table type; takes ownership of `element`, which must be a reference
/// type (else NULL).
///
/// # Safety
///
/// `element` is null or an owned value type; `limits` is null or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_tabletype_new(
    element: *mut wasm_valtype_t,
    limits: *const wasm_limits_t,
) -> *mut ExternType {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let element = unsafe { take(element) };
        // SAFETY: the caller's contract.
        let limits = unsafe { borrow(limits) };
        match (element.map(|e| e.ty), limits) {
            (Some(ValType::Ref(element)), Some(limits)) => into_raw(ExternType::table(TableType {
                element,
                limits: (*limits).into(),
                table64: false,
            })),
            _ => std::ptr::null_mut(),
        }
    })
}

/// The element type (owned by the table type); NULL if `t` is not a table
/// type.
///
/// # Safety
///
/// `t` is null or a valid type.
#[no_mangle]
pub unsafe extern "C" fn wasm_tabletype_element(t: *const ExternType) -> *const wasm_valtype_t {
    guard(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        match unsafe { borrow(t) }.map(|t| &t.kind) {
            Some(Kind::Table { element, .. }) => element,
            _ => std::ptr::null(),
        }
    })
}

/// The limits (owned by the table type); NULL if `t` is not a table type.
///
/// # Safety
///
/// `t` is null or a valid type.
#[no_mangle]
pub unsafe extern "C" fn wasm_tabletype_limits(t: *const ExternType) -> *const wasm_limits_t {
    guard(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        match unsafe { borrow(t) }.map(|t| &t.kind) {
            Some(Kind::Table { limits, .. }) => limits,
            _ => std::ptr::null(),
        }
    })
}

// Memory types

/// A memory type (32-bit, unshared).
///
/// # Safety
///
/// `limits` is null (NULL is returned) or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_memorytype_new(limits: *const wasm_limits_t) -> *mut ExternType {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        match unsafe { borrow(limits) } {
            Some(l) => into_raw(ExternType {
                kind: Kind::Memory { limits: *l },
            }),
            None => std::ptr::null_mut(),
        }
    })
}

/// The limits, in pages (owned by the memory type); NULL if `t` is not a
/// memory type.
///
/// # Safety
///
/// `t` is null or a valid type.
#[no_mangle]
pub unsafe extern "C" fn wasm_memorytype_limits(t: *const ExternType) -> *const wasm_limits_t {
    guard(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        match unsafe { borrow(t) }.map(|t| &t.kind) {
            Some(Kind::Memory { limits }) => limits,
            _ => std::ptr::null(),
        }
    })
}

// Tag types

/// A tag type of function type `f` (taking ownership of it); NULL if `f`
/// is not a function type. The tags of a module's imports and exports
/// have these types; `wasm.h` has no way to throw or catch.
///
/// # Safety
///
/// `f` is null or an owned function type.
#[no_mangle]
pub unsafe extern "C" fn wasm_tagtype_new(f: *mut ExternType) -> *mut ExternType {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        match unsafe { take(f) } {
            Some(func) if func.func_type().is_some() => into_raw(ExternType {
                kind: Kind::Tag { func },
            }),
            _ => std::ptr::null_mut(),
        }
    })
}

/// The tag's function type (owned by the tag type); NULL if `t` is not a
/// tag type.
///
/// # Safety
///
/// `t` is null or a valid type.
#[no_mangle]
pub unsafe extern "C" fn wasm_tagtype_functype(t: *const ExternType) -> *const ExternType {
    guard(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        match unsafe { borrow(t) }.map(|t| &t.kind) {
            Some(Kind::Tag { func }) => &**func,
            _ => std::ptr::null(),
        }
    })
}

// Extern types

/// The kind of an extern type.
///
/// # Safety
///
/// `t` is null or a valid type.
#[no_mangle]
pub unsafe extern "C" fn wasm_externtype_kind(t: *const ExternType) -> u8 {
    guard(WASM_EXTERN_FUNC, || {
        // SAFETY: the caller's contract.
        unsafe { borrow(t) }.map_or(WASM_EXTERN_FUNC, ExternType::extern_kind)
    })
}

// These functions run no `guard`: they return their argument or test
// its kind (a `match` on a valid object), which cannot panic.
/// `X_as_externtype[_const]`: the same object. `externtype_as_X[_const]`:
/// the same object if it is of kind `X`, else NULL.
macro_rules! conversions {
    ($kind:expr, $to_ext:ident, $to_ext_const:ident, $from_ext:ident, $from_ext_const:ident) => {
        /// The same type, as an extern type.
        #[no_mangle]
        pub extern "C" fn $to_ext(t: *mut ExternType) -> *mut ExternType {
            t
        }

        /// The same type, as an extern type.
        #[no_mangle]
        pub extern "C" fn $to_ext_const(t: *const ExternType) -> *const ExternType {
            t
        }

        /// The same type if it is of this kind, else NULL.
        ///
        /// # Safety
        ///
        /// `t` is null or a valid type.
        #[no_mangle]
        pub unsafe extern "C" fn $from_ext(t: *mut ExternType) -> *mut ExternType {
            // SAFETY: the caller's contract.
            match unsafe { borrow(t) } {
                Some(e) if e.extern_kind() == $kind => t,
                _ => std::ptr::null_mut(),
            }
        }

        /// The same type if it is of this kind, else NULL.
        ///
        /// # Safety
        ///
        /// `t` is null or a valid type.
        #[no_mangle]
        pub unsafe extern "C" fn $from_ext_const(t: *const ExternType) -> *const ExternType {
            // SAFETY: the caller's contract.
            match unsafe { borrow(t) } {
                Some(e) if e.extern_kind() == $kind => t,
                _ => std::ptr::null(),
            }
        }
    };
}

conversions!(
    WASM_EXTERN_FUNC,
    wasm_functype_as_externtype,
    wasm_functype_as_externtype_const,
    wasm_externtype_as_functype,
    wasm_externtype_as_functype_const
);
conversions!(
    WASM_EXTERN_GLOBAL,
    wasm_globaltype_as_externtype,
    wasm_globaltype_as_externtype_const,
    wasm_externtype_as_globaltype,
    wasm_externtype_as_globaltype_const
);
conversions!(
    WASM_EXTERN_TABLE,
    wasm_tabletype_as_externtype,
    wasm_tabletype_as_externtype_const,
    wasm_externtype_as_tabletype,
    wasm_externtype_as_tabletype_const
);
conversions!(
    WASM_EXTERN_MEMORY,
    wasm_memorytype_as_externtype,
    wasm_memorytype_as_externtype_const,
    wasm_externtype_as_memorytype,
    wasm_externtype_as_memorytype_const
);
conversions!(
    WASM_EXTERN_TAG,
    wasm_tagtype_as_externtype,
    wasm_tagtype_as_externtype_const,
    wasm_externtype_as_tagtype,
    wasm_externtype_as_tagtype_const
);

// Import and export types

/// `wasm_importtype_t`.
#[derive(Clone, Debug)]
pub struct wasm_importtype_t {
    module: wasm_name_t,
    name: wasm_name_t,
    ty: Box<ExternType>,
}

impl std::fmt::Debug for CVec<u8> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", name_to_string(self))
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for CVec<Option<Box<T>>> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl wasm_importtype_t {
    pub(crate) fn new(module: &str, name: &str, ty: ExternType) -> wasm_importtype_t {
        wasm_importtype_t {
            module: crate::vec::name_from(module, false),
            name: crate::vec::name_from(name, false),
            ty: Box::new(ty),
        }
    }
}

/// `wasm_exporttype_t`.
#[derive(Clone, Debug)]
pub struct wasm_exporttype_t {
    name: wasm_name_t,
    ty: Box<ExternType>,
}

impl wasm_exporttype_t {
    pub(crate) fn new(name: &str, ty: ExternType) -> wasm_exporttype_t {
        wasm_exporttype_t {
            name: crate::vec::name_from(name, false),
            ty: Box::new(ty),
        }
    }
}

/// Takes an `own wasm_name_t*` argument.
///
/// # Safety
///
/// `n` is null or a valid vector whose ownership the caller gives up.
unsafe fn take_name(n: *mut wasm_name_t) -> Option<wasm_name_t> {
    // SAFETY: the caller's contract; `read` moves the vector out.
    (!n.is_null()).then(|| unsafe { n.read() })
}

/// An import type; takes ownership of its arguments. NULL if one is null.
///
/// # Safety
///
/// Each argument is null or valid and owned.
#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_new(
    module: *mut wasm_name_t,
    name: *mut wasm_name_t,
    ty: *mut ExternType,
) -> *mut wasm_importtype_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let (module, name, ty) = unsafe { (take_name(module), take_name(name), take(ty)) };
        match (module, name, ty) {
            (Some(module), Some(name), Some(ty)) => {
                into_raw(wasm_importtype_t { module, name, ty })
            }
            _ => std::ptr::null_mut(),
        }
    })
}

/// The module name (owned by the import type).
///
/// # Safety
///
/// `t` is a valid import type.
#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_module(t: *const wasm_importtype_t) -> *const wasm_name_t {
    guard(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        unsafe { borrow(t) }.map_or(std::ptr::null(), |t| &t.module)
    })
}

/// The field name (owned by the import type).
///
/// # Safety
///
/// `t` is a valid import type.
#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_name(t: *const wasm_importtype_t) -> *const wasm_name_t {
    guard(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        unsafe { borrow(t) }.map_or(std::ptr::null(), |t| &t.name)
    })
}

/// The imported entity's type (owned by the import type).
///
/// # Safety
///
/// `t` is a valid import type.
#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_type(t: *const wasm_importtype_t) -> *const ExternType {
    guard(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        unsafe { borrow(t) }.map_or(std::ptr::null(), |t| &*t.ty)
    })
}

/// An export type; takes ownership of its arguments. NULL if one is null.
///
/// # Safety
///
/// Each argument is null or valid and owned.
#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_new(
    name: *mut wasm_name_t,
    ty: *mut ExternType,
) -> *mut wasm_exporttype_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let (name, ty) = unsafe { (take_name(name), take(ty)) };
        match (name, ty) {
            (Some(name), Some(ty)) => into_raw(wasm_exporttype_t { name, ty }),
            _ => std::ptr::null_mut(),
        }
    })
}

/// The export's name (owned by the export type).
///
/// # Safety
///
/// `t` is a valid export type.
#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_name(t: *const wasm_exporttype_t) -> *const wasm_name_t {
    guard(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        unsafe { borrow(t) }.map_or(std::ptr::null(), |t| &t.name)
    })
}

/// The exported entity's type (owned by the export type).
///
/// # Safety
///
/// `t` is a valid export type.
#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_type(t: *const wasm_exporttype_t) -> *const ExternType {
    guard(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        unsafe { borrow(t) }.map_or(std::ptr::null(), |t| &*t.ty)
    })
}
