//! The vector types of `wasm.h`: `{ size_t size; T* data; }`, owning their
//! elements, with `_new_empty`, `_new_uninitialized`, `_new`, `_copy` and
//! `_delete` for each.

use std::ptr;

/// `wasm_X_vec_t`: `size` elements at `data` (null when empty). An owned
/// vector owns its elements; it is freed by its `_delete` function.
#[repr(C)]
pub struct CVec<T> {
    /// The number of elements.
    pub size: usize,
    /// The elements, from a boxed slice of length `size`, or null.
    pub data: *mut T,
}

impl<T> CVec<T> {
    /// An empty vector.
    pub fn empty() -> CVec<T> {
        CVec {
            size: 0,
            data: ptr::null_mut(),
        }
    }

    /// The elements. A vector from C with a null `data` is empty whatever
    /// its `size`.
    pub fn as_slice(&self) -> &[T] {
        if self.data.is_null() || self.size == 0 {
            &[]
        } else {
            // SAFETY: a vector made by this crate has `size` elements at
            // `data`; one made by C promises the same (`wasm.h`).
            unsafe { std::slice::from_raw_parts(self.data, self.size) }
        }
    }

    /// The elements, mutably (see [`as_slice`](Self::as_slice)).
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        if self.data.is_null() || self.size == 0 {
            &mut []
        } else {
            // SAFETY: as in `as_slice`, and `&mut self` is exclusive.
            unsafe { std::slice::from_raw_parts_mut(self.data, self.size) }
        }
    }

    /// Frees the elements of a vector this crate allocated (C allocates
    /// vectors only through the `_new` functions, which come here too) and
    /// leaves it empty.
    pub fn free(&mut self) {
        if !self.data.is_null() {
            // SAFETY: `data` and `size` come from `From<Vec<T>>` (a boxed
            // slice of exactly `size` elements), as `wasm.h` requires of
            // every vector passed to `_delete`.
            drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(self.data, self.size)) });
        }
        // Not `*self = CVec::empty()`, which would drop (free) it again.
        self.size = 0;
        self.data = ptr::null_mut();
    }
}

impl<T> From<Vec<T>> for CVec<T> {
    fn from(v: Vec<T>) -> CVec<T> {
        if v.is_empty() {
            return CVec::empty();
        }
        let size = v.len();
        let data = Box::into_raw(v.into_boxed_slice()).cast::<T>();
        CVec { size, data }
    }
}

impl<T: Clone> Clone for CVec<T> {
    fn clone(&self) -> CVec<T> {
        CVec::from(self.as_slice().to_vec())
    }
}

impl<T> Drop for CVec<T> {
    fn drop(&mut self) {
        self.free();
    }
}

/// The five functions of one vector type.
macro_rules! declare_vec {
    ($elem:ty, $vec:ident, $new_empty:ident, $new_uninit:ident, $new:ident, $copy:ident, $delete:ident) => {
        #[doc = concat!("`", stringify!($vec), "`.")]
        pub type $vec = $crate::vec::CVec<$elem>;

        /// An empty vector.
        ///
        /// # Safety
        ///
        /// `out` is null or valid for writes.
        #[no_mangle]
        pub unsafe extern "C" fn $new_empty(out: *mut $vec) {
            $crate::guard((), || {
                // SAFETY: the caller's contract.
                unsafe { $crate::write_out(out, $crate::vec::CVec::empty()) }
            })
        }

        /// A vector of `size` default elements (zero, null).
        ///
        /// # Safety
        ///
        /// `out` is null or valid for writes.
        #[no_mangle]
        pub unsafe extern "C" fn $new_uninit(out: *mut $vec, size: usize) {
            $crate::guard((), || {
                let v: Vec<$elem> = std::iter::repeat_with(<$elem as Default>::default)
                    .take(size)
                    .collect();
                // SAFETY: the caller's contract.
                unsafe { $crate::write_out(out, $crate::vec::CVec::from(v)) }
            })
        }

        /// A vector taking ownership of the `size` elements at `data`.
        ///
        /// # Safety
        ///
        /// `out` is null or valid for writes; `data` points to `size`
        /// initialized elements (or is null when `size` is 0), whose
        /// ownership passes to the vector.
        #[no_mangle]
        pub unsafe extern "C" fn $new(out: *mut $vec, size: usize, data: *const $elem) {
            $crate::guard((), || {
                let v: Vec<$elem> = if data.is_null() || size == 0 {
                    Vec::new()
                } else {
                    // SAFETY: `data` holds `size` elements whose ownership
                    // the caller gives up: they are moved, not copied.
                    (0..size).map(|i| unsafe { data.add(i).read() }).collect()
                };
                // SAFETY: the caller's contract.
                unsafe { $crate::write_out(out, $crate::vec::CVec::from(v)) }
            })
        }

        /// A deep copy of `src`.
        ///
        /// # Safety
        ///
        /// `out` is null or valid for writes; `src` is null or a valid
        /// vector.
        #[no_mangle]
        pub unsafe extern "C" fn $copy(out: *mut $vec, src: *const $vec) {
            $crate::guard((), || {
                // SAFETY: the caller's contract.
                let copy = match unsafe { $crate::borrow(src) } {
                    Some(src) => src.clone(),
                    None => $crate::vec::CVec::empty(),
                };
                // SAFETY: the caller's contract.
                unsafe { $crate::write_out(out, copy) }
            })
        }

        /// Frees the vector's elements and leaves it empty.
        ///
        /// # Safety
        ///
        /// `v` is null or a vector made by this library.
        #[no_mangle]
        pub unsafe extern "C" fn $delete(v: *mut $vec) {
            $crate::guard((), || {
                // SAFETY: the caller's contract.
                if let Some(v) = unsafe { $crate::borrow_mut(v) } {
                    v.free();
                }
            })
        }
    };
}

pub(crate) use declare_vec;

declare_vec!(
    u8,
    wasm_byte_vec_t,
    wasm_byte_vec_new_empty,
    wasm_byte_vec_new_uninitialized,
    wasm_byte_vec_new,
    wasm_byte_vec_copy,
    wasm_byte_vec_delete
);

/// `wasm_name_t`/`wasm_message_t`: a byte vector.
pub type wasm_name_t = wasm_byte_vec_t;

/// A byte vector holding `s`, with a terminating NUL when `nul` (as
/// `wasm_message_t` has).
pub(crate) fn name_from(s: &str, nul: bool) -> wasm_name_t {
    let mut bytes = s.as_bytes().to_vec();
    if nul {
        bytes.push(0);
    }
    CVec::from(bytes)
}

/// The text of a name or message, without a terminating NUL.
pub(crate) fn name_to_string(name: &wasm_name_t) -> String {
    let bytes = name.as_slice();
    let bytes = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    String::from_utf8_lossy(bytes).into_owned()
}
