//! The standard WebAssembly C API (`wasm.h`, from WebAssembly/wasm-c-api)
//! and nanowasm's extensions (`nanowasm.h`: WASI, fuel, epochs,
//! `nanowasm_wat2wasm`), built as `libnanowasm_c.a` and `libnanowasm_c.so`
//! on top of the `nanowasm` embedding API.
//!
//! The headers are in `include/`; `README.md` says how to build and link.
//!
//! # Design
//!
//! - Every runtime object of `wasm.h` (`wasm_ref_t`, `wasm_func_t`,
//!   `wasm_extern_t`, `wasm_instance_t`, `wasm_trap_t`, ...) is one Rust type,
//!   [`Object`]: a handle plus the store it belongs to. The conversions
//!   between them (`wasm_func_as_extern`, `wasm_ref_as_func`, ...) return the
//!   same pointer, after checking the kind where the conversion can fail.
//! - Every type of `wasm.h` but `wasm_valtype_t` (`wasm_functype_t`,
//!   `wasm_externtype_t`, ...) is one Rust type, [`ExternType`], for the same
//!   reason.
//! - A store is reference counted: objects keep their store alive, so
//!   deleting a store before its objects is safe (the store goes when the
//!   last of them does).
//! - Host functions may call back into the API on their own store: while a
//!   callback runs, the store is reached through the callback's context
//!   (see [`store::StoreCell`]).
//! - No panic crosses the FFI boundary: every exported function runs its
//!   body under [`guard`], which turns a panic into the function's failure
//!   value (NULL, false, 0 or nothing).
#![deny(unsafe_op_in_unsafe_fn)]
#![allow(non_camel_case_types)]
// The C types are opaque to C: only pointers to them cross the boundary.
#![allow(improper_ctypes_definitions)]

mod ext;
mod object;
mod store;
mod types;
mod val;
mod vec;

use std::panic::{catch_unwind, AssertUnwindSafe};

pub use object::Object;
pub use types::ExternType;

/// Runs `f`, returning `fail` if it panics: the body of every exported
/// function, so that no panic unwinds into C.
pub(crate) fn guard<R>(fail: R, f: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fail)
}

/// `p` as a shared reference, `None` if null.
///
/// # Safety
///
/// `p` is null or points to a live `T` that nothing mutates for `'a`.
pub(crate) unsafe fn borrow<'a, T>(p: *const T) -> Option<&'a T> {
    // SAFETY: the caller's contract.
    unsafe { p.as_ref() }
}

/// `p` as an exclusive reference, `None` if null.
///
/// # Safety
///
/// `p` is null or points to a live `T` that nothing else uses for `'a`.
pub(crate) unsafe fn borrow_mut<'a, T>(p: *mut T) -> Option<&'a mut T> {
    // SAFETY: the caller's contract.
    unsafe { p.as_mut() }
}

/// Moves `value` to the heap and hands it to C.
pub(crate) fn into_raw<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes back ownership of what [`into_raw`] handed out; `None` if null.
///
/// # Safety
///
/// `p` is null or came from [`into_raw`] (or `Box::into_raw`) and is not
/// used again.
pub(crate) unsafe fn from_raw<T>(p: *mut T) -> Option<Box<T>> {
    if p.is_null() {
        None
    } else {
        // SAFETY: the caller's contract.
        Some(unsafe { Box::from_raw(p) })
    }
}

/// Writes `value` to the out-parameter `out` (if not null) without reading
/// or dropping what was there: C hands out-parameters in uninitialized.
///
/// # Safety
///
/// `out` is null or valid for writes of a `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: the caller's contract.
        unsafe { out.write(value) }
    }
}
