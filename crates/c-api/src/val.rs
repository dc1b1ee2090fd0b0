//! Values: `wasm_val_t` and its conversions.

use std::rc::Rc;

use nanowasm::{HeapType, Val, ValType};

use crate::object::{Object, Which};
use crate::store::StoreCell;
use crate::types::{kind_of, WASM_EXTERNREF, WASM_F32, WASM_F64, WASM_FUNCREF, WASM_I32, WASM_I64};
use crate::vec::declare_vec;
use crate::{borrow, borrow_mut, guard, write_out};

/// The payload of a `wasm_val_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union wasm_val_union {
    /// `i32`.
    pub i32: i32,
    /// `i64`.
    pub i64: i64,
    /// `f32`.
    pub f32: f32,
    /// `f64`.
    pub f64: f64,
    /// A reference, owned, or null.
    pub r#ref: *mut Object,
}

/// `wasm_val_t`: a kind and a payload. A reference value owns its
/// `wasm_ref_t` (dropping the value deletes it).
#[repr(C)]
pub struct wasm_val_t {
    /// `wasm_valkind_t`.
    pub kind: u8,
    /// The value.
    pub of: wasm_val_union,
}

impl Default for wasm_val_t {
    fn default() -> wasm_val_t {
        wasm_val_t {
            kind: WASM_I32,
            of: wasm_val_union { i64: 0 },
        }
    }
}

impl wasm_val_t {
    /// The reference, if the value is a non-null one.
    fn reference(&self) -> Option<&Object> {
        if self.kind == WASM_EXTERNREF || self.kind == WASM_FUNCREF {
            // SAFETY: a reference value's payload is `ref`, null or an
            // owned object (`wasm.h`).
            unsafe { borrow(self.of.r#ref) }
        } else {
            None
        }
    }
}

impl Clone for wasm_val_t {
    fn clone(&self) -> wasm_val_t {
        match self.reference() {
            Some(r) => wasm_val_t {
                kind: self.kind,
                of: wasm_val_union {
                    r#ref: crate::into_raw(r.clone()),
                },
            },
            // A number or a null reference: plain data.
            None => wasm_val_t {
                kind: self.kind,
                of: self.of,
            },
        }
    }
}

impl Drop for wasm_val_t {
    fn drop(&mut self) {
        if self.kind == WASM_EXTERNREF || self.kind == WASM_FUNCREF {
            // SAFETY: a reference value owns its object (or holds null).
            drop(unsafe { crate::from_raw(self.of.r#ref) });
            self.of.r#ref = std::ptr::null_mut();
        }
    }
}

declare_vec!(
    wasm_val_t,
    wasm_val_vec_t,
    wasm_val_vec_new_empty,
    wasm_val_vec_new_uninitialized,
    wasm_val_vec_new,
    wasm_val_vec_copy,
    wasm_val_vec_delete
);

/// The C form of a value of `store`.
pub(crate) fn to_c(v: Val, store: &Rc<StoreCell>) -> Result<wasm_val_t, String> {
    let object = |which| wasm_val_union {
        r#ref: crate::into_raw(Object::new(Some(store.clone()), which)),
    };
    Ok(match v {
        Val::I32(x) => wasm_val_t {
            kind: WASM_I32,
            of: wasm_val_union { i32: x },
        },
        Val::I64(x) => wasm_val_t {
            kind: WASM_I64,
            of: wasm_val_union { i64: x },
        },
        Val::F32(x) => wasm_val_t {
            kind: WASM_F32,
            of: wasm_val_union {
                f32: f32::from_bits(x),
            },
        },
        Val::F64(x) => wasm_val_t {
            kind: WASM_F64,
            of: wasm_val_union {
                f64: f64::from_bits(x),
            },
        },
        Val::V128(_) => return Err("a v128 value cannot be passed through wasm.h".into()),
        Val::ExnRef(_) => return Err("an exnref value cannot be passed through wasm.h".into()),
        Val::AnyRef(_) => {
            return Err("a GC reference (anyref) cannot be passed through wasm.h".into())
        }
        Val::FuncRef(f) => wasm_val_t {
            kind: WASM_FUNCREF,
            of: match f {
                Some(f) => object(Which::Func(f)),
                None => wasm_val_union {
                    r#ref: std::ptr::null_mut(),
                },
            },
        },
        Val::ExternRef(e) => wasm_val_t {
            kind: WASM_EXTERNREF,
            of: match e {
                Some(e) => object(Which::Foreign(e)),
                None => wasm_val_union {
                    r#ref: std::ptr::null_mut(),
                },
            },
        },
    })
}

/// A reference object as a value of reference type `ty` in `store`.
pub(crate) fn ref_to_val(
    r: Option<&Object>,
    ty: ValType,
    store: &Rc<StoreCell>,
) -> Result<Val, String> {
    let func = match ty {
        ValType::Ref(t) => matches!(
            t.heap(),
            HeapType::Func | HeapType::NoFunc | HeapType::Concrete(_)
        ),
        _ => return Err(format!("expected a value of type {ty}, got a reference")),
    };
    let Some(r) = r else {
        return Ok(if func {
            Val::FuncRef(None)
        } else {
            Val::ExternRef(None)
        });
    };
    if !r.store.as_ref().is_some_and(|s| Rc::ptr_eq(s, store)) {
        return Err("a reference of another store".into());
    }
    match (&r.which, func) {
        (Which::Func(f), true) => Ok(Val::FuncRef(Some(*f))),
        (Which::Foreign(e), false) => Ok(Val::ExternRef(Some(*e))),
        (Which::Func(_), false) => {
            Err("a function reference where an externref is expected".into())
        }
        (_, true) => Err("expected a function reference".into()),
        (_, false) => Err(
            "only foreign objects (wasm_foreign_new) and null can be passed as externref".into(),
        ),
    }
}

/// A C value as a value of type `ty` in `store`.
pub(crate) fn from_c(v: &wasm_val_t, ty: ValType, store: &Rc<StoreCell>) -> Result<Val, String> {
    let mismatch = || {
        let got = match crate::types::type_of(v.kind) {
            Some(t) => t.to_string(),
            None => format!("invalid kind {}", v.kind),
        };
        Err(format!("expected a value of type {ty}, got {got}"))
    };
    if kind_of(ty) != v.kind {
        return mismatch();
    }
    // The kind, checked above, says which field of the union the value
    // holds.
    Ok(match v.kind {
        // SAFETY: an `i32` value holds `i32`.
        WASM_I32 => Val::I32(unsafe { v.of.i32 }),
        // SAFETY: an `i64` value holds `i64`.
        WASM_I64 => Val::I64(unsafe { v.of.i64 }),
        // SAFETY: an `f32` value holds `f32`.
        WASM_F32 => Val::F32(unsafe { v.of.f32 }.to_bits()),
        // SAFETY: an `f64` value holds `f64`.
        WASM_F64 => Val::F64(unsafe { v.of.f64 }.to_bits()),
        WASM_EXTERNREF | WASM_FUNCREF => return ref_to_val(v.reference(), ty, store),
        _ => return mismatch(),
    })
}

/// Deletes the reference a value owns, if any (the value is left a null
/// reference).
///
/// # Safety
///
/// `v` is null or a valid value.
#[no_mangle]
pub unsafe extern "C" fn wasm_val_delete(v: *mut wasm_val_t) {
    guard((), || {
        // SAFETY: the caller's contract.
        if let Some(v) = unsafe { borrow_mut(v) } {
            if v.kind == WASM_EXTERNREF || v.kind == WASM_FUNCREF {
                // SAFETY: a reference value owns its object.
                drop(unsafe { crate::from_raw(v.of.r#ref) });
                v.of.r#ref = std::ptr::null_mut();
            }
        }
    })
}

/// Copies a value (a reference is copied too).
///
/// # Safety
///
/// `out` is null or valid for writes; `v` is null or a valid value.
#[no_mangle]
pub unsafe extern "C" fn wasm_val_copy(out: *mut wasm_val_t, v: *const wasm_val_t) {
    guard((), || {
        // SAFETY: the caller's contract.
        if let Some(v) = unsafe { borrow(v) } {
            // SAFETY: the caller's contract.
            unsafe { write_out(out, v.clone()) }
        }
    })
}
