//! The C runtime glue of a `#![no_std]`, `#![no_main]` program on a libc
//! target: the global allocator (libc's heap), output (`write`), the panic
//! handler (print and abort) and the two unwinding symbols the precompiled
//! `alloc` names. Shared by this crate's program (`main.rs`) and
//! `examples/minimal`, which includes this file with `#[path]`.
//!
//! Its `#[panic_handler]` is the build-time half of the no_std check: were
//! `std` linked, it would define the same lang item and the build would
//! fail.

use alloc::string::String;
use core::alloc::{GlobalAlloc, Layout};
use core::ffi::{c_int, c_void};
use core::fmt::Write;

#[link(name = "c")]
extern "C" {
    fn malloc(size: usize) -> *mut c_void;
    fn posix_memalign(out: *mut *mut c_void, align: usize, size: usize) -> c_int;
    fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    fn free(ptr: *mut c_void);
    fn write(fd: c_int, buf: *const c_void, count: usize) -> isize;
    fn abort() -> !;
}

/// What `malloc` aligns to on the 64-bit glibc and musl targets.
const MALLOC_ALIGN: usize = 16;

/// The heap, from libc.
struct LibcAlloc;

// SAFETY: every method returns memory from the libc allocator that satisfies
// the layout (size and alignment) or null, and frees only such memory.
unsafe impl GlobalAlloc for LibcAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: `malloc` may be called with any size; its result is
            // aligned to MALLOC_ALIGN, which is enough for this layout.
            unsafe { malloc(layout.size()) }.cast()
        } else {
            let mut out = core::ptr::null_mut();
            // SAFETY: the alignment is a power of two (a `Layout`
            // invariant) and above 16, so a multiple of the pointer size, as
            // posix_memalign requires; `out` is a valid place to write to.
            let rc = unsafe { posix_memalign(&mut out, layout.align(), layout.size()) };
            if rc == 0 {
                out.cast()
            } else {
                core::ptr::null_mut()
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: the caller passes a pointer that `alloc` or `realloc`
        // returned, which came from malloc, posix_memalign or realloc.
        unsafe { free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: `ptr` came from this allocator (the caller's contract)
            // and libc's realloc keeps malloc's alignment, which is enough.
            unsafe { realloc(ptr.cast(), new_size) }.cast()
        } else {
            // SAFETY: the caller's contract for `realloc` covers what the
            // default implementation (allocate, copy, free) needs.
            let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
            // SAFETY: as above; `new_layout` has a non-zero size (the caller's
            // contract) and a valid alignment (taken from `layout`).
            let new = unsafe { self.alloc(new_layout) };
            if !new.is_null() {
                // SAFETY: both blocks are valid for the smaller of the two
                // sizes and are distinct allocations.
                unsafe { core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
                // SAFETY: `ptr` came from this allocator with `layout`.
                unsafe { self.dealloc(ptr, layout) };
            }
            new
        }
    }
}

#[global_allocator]
static ALLOC: LibcAlloc = LibcAlloc;

/// Writes all of `text` to file descriptor `fd`; gives up on an error.
pub(crate) fn print(fd: c_int, text: &str) {
    let mut rest = text.as_bytes();
    while !rest.is_empty() {
        // SAFETY: `rest` is valid for reads of `rest.len()` bytes.
        let n = unsafe { write(fd, rest.as_ptr().cast(), rest.len()) };
        if n <= 0 {
            return;
        }
        rest = &rest[n as usize..];
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut msg = String::new();
    // A panic while formatting the message would re-enter this handler;
    // `write!` into a `String` only fails if a `Display` impl does.
    let _ = writeln!(msg, "panicked: {info}");
    print(2, &msg);
    // SAFETY: `abort` has no preconditions.
    unsafe { abort() }
}

// The precompiled `alloc` is built for `panic = "unwind"`, so its landing
// pads name the unwinder's resume function and Rust's personality routine,
// which `std` would provide. With `panic = "abort"` no unwinding ever starts
// and neither is called; these definitions only satisfy the linker (and
// would clash with `std`'s, should it ever be linked).

/// Never called: nothing unwinds with `panic = "abort"`.
#[no_mangle]
pub extern "C" fn rust_eh_personality() {
    // SAFETY: `abort` has no preconditions.
    unsafe { abort() }
}

/// Never called: nothing unwinds with `panic = "abort"`.
#[no_mangle]
pub extern "C" fn _Unwind_Resume() -> ! {
    // SAFETY: `abort` has no preconditions.
    unsafe { abort() }
}
