//! Linear memory storage without `std`: a zeroed heap buffer.
//!
//! Where there is no `mmap` (the `no_std` build), a memory is one
//! allocation from the global allocator, zeroed when made and grown with
//! `realloc` (which may move it, as `mremap` may; the interpreter reloads
//! the base after every growth). There is no pool and no copy-on-write
//! image: data segments are copied in at instantiation. The interface is
//! `linear.rs`'s, so the rest of the engine does not know which it has.

use alloc::alloc::{alloc_zeroed, dealloc, realloc, Layout};
use alloc::sync::Arc;
use core::ptr::NonNull;

/// The alignment of a memory's buffer: enough for any wasm value, so that
/// aligned guest accesses are aligned host accesses.
const ALIGN: usize = 16;

/// A module's initial memory contents. Without `mmap` there are none:
/// [`MemoryImage::new`] always declines, and segments are copied.
#[derive(Debug)]
pub(crate) enum MemoryImage {}

impl MemoryImage {
    /// Never an image (see the type).
    pub(crate) fn new<'a>(
        _memory_len: usize,
        _segments: impl Iterator<Item = (usize, &'a [u8])> + Clone,
    ) -> Option<MemoryImage> {
        None
    }
}

/// Guard regions are not used with heap buffers; the sizes are
/// `linear.rs`'s, for code that names them.
#[allow(dead_code)]
pub(crate) const GUARD_SIZE: usize = 32 << 20;
/// See [`GUARD_SIZE`].
#[allow(dead_code)]
pub(crate) const RESERVATION: usize = (4 << 30) + GUARD_SIZE;

/// Nothing to pool: a dropped memory's buffer goes back to the allocator.
#[derive(Debug, Default)]
pub(crate) struct MemoryPool;

impl MemoryPool {
    /// A pool; there are no guard regions in heap buffers (engines never
    /// ask for them in a portable build).
    pub(crate) fn new(guard_regions: bool) -> MemoryPool {
        debug_assert!(!guard_regions, "no guard regions in a portable build");
        MemoryPool
    }
}

/// The bytes of one linear memory.
pub(crate) struct LinearMemory {
    /// Start of the buffer (dangling when nothing is allocated).
    ptr: NonNull<u8>,
    /// Bytes visible to wasm, all allocated.
    len: usize,
}

// SAFETY: the buffer is owned exclusively by this value (like a
// `Vec<u8>`'s); access goes through `&self`/`&mut self`.
unsafe impl Send for LinearMemory {}
// SAFETY: as above; shared references only read.
unsafe impl Sync for LinearMemory {}

impl LinearMemory {
    /// Heap buffers are never guard-region reservations.
    #[allow(dead_code)]
    pub(crate) fn is_reserved(&self) -> bool {
        false
    }

    /// `len` zero bytes, or `None` if the allocator refuses.
    pub(crate) fn new(len: usize, _pool: &Arc<MemoryPool>) -> Option<LinearMemory> {
        let mut m = LinearMemory {
            ptr: NonNull::dangling(),
            len: 0,
        };
        m.resize(len)?;
        Some(m)
    }

    /// As [`LinearMemory::new`]: there is never an image.
    pub(crate) fn with_image(
        len: usize,
        pool: &Arc<MemoryPool>,
        image: Option<&Arc<MemoryImage>>,
    ) -> Option<LinearMemory> {
        match image {
            None => LinearMemory::new(len, pool),
            Some(image) => match **image {},
        }
    }

    /// Never: segments are always copied in.
    pub(crate) fn has_image(&self) -> bool {
        false
    }

    /// Grows to `new_len` bytes (new bytes are zero); `None` if the
    /// allocator refuses, leaving the memory as it was. Never shrinks.
    pub(crate) fn resize(&mut self, new_len: usize) -> Option<()> {
        if new_len <= self.len {
            return Some(());
        }
        let new_layout = Layout::from_size_align(new_len, ALIGN).ok()?;
        let ptr = if self.len == 0 {
            // SAFETY: `new_layout` has a nonzero size (`new_len > len >= 0`).
            unsafe { alloc_zeroed(new_layout) }
        } else {
            // SAFETY: `ptr` was allocated with `len` bytes at `ALIGN` (a
            // valid layout, made by an earlier call), and `new_len` rounded
            // to `ALIGN` does not overflow (checked by `new_layout`).
            let p = unsafe {
                realloc(
                    self.ptr.as_ptr(),
                    Layout::from_size_align_unchecked(self.len, ALIGN),
                    new_len,
                )
            };
            if !p.is_null() {
                // SAFETY: `p` is valid for `new_len` bytes; the bytes from
                // `len` on are new and uninitialized.
                unsafe { p.add(self.len).write_bytes(0, new_len - self.len) };
            }
            p
        };
        self.ptr = NonNull::new(ptr)?;
        self.len = new_len;
        Some(())
    }
}

impl Drop for LinearMemory {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: allocated by `resize` with this layout; unused from
            // here on.
            unsafe {
                dealloc(
                    self.ptr.as_ptr(),
                    Layout::from_size_align_unchecked(self.len, ALIGN),
                )
            }
        }
    }
}

slices_of_mapping!(LinearMemory);
