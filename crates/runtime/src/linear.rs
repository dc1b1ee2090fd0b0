//! Linear memory storage: anonymous virtual memory, mapped on demand.
//!
//! A memory is one private anonymous mapping (`MAP_NORESERVE`): the kernel
//! backs a page only when it is first touched, and untouched pages read as
//! zero. An idle instance with a 64 KiB memory of which it touched one word
//! costs one 4 KiB page, not 64 KiB; growing is `mremap`, which may move
//! the mapping but never copies through user space. Adjacent mappings with
//! the same flags are merged by the kernel, so many instances do not
//! exhaust the process's mapping count.
//!
//! Creating and dropping a mapping costs two system calls and a TLB
//! shootdown, which dominated instantiating a small instance. So each
//! engine keeps a [`MemoryPool`]: a dropped memory's mapping is reset with
//! `madvise(MADV_DONTNEED)` (its pages are released and read as zero
//! again) and handed to the next memory of that engine that fits.
//!
//! This is also the seam for a guard-page scheme (reserve 4 GiB + guard,
//! drop bounds checks) and for copy-on-write data images.

use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};

use rustix::mm::{MapFlags, MremapFlags, ProtFlags};

/// The bytes of one linear memory.
pub(crate) struct LinearMemory {
    /// Start of the mapping (dangling when nothing is mapped).
    ptr: NonNull<u8>,
    /// Bytes visible to wasm.
    len: usize,
    /// Bytes mapped (`len` rounded up to the host page size; 0 if none).
    mapped: usize,
    /// Where the mapping goes when the memory is dropped.
    pool: Option<Arc<MemoryPool>>,
}

/// Reset mappings of one engine, waiting for reuse.
#[derive(Debug, Default)]
pub(crate) struct MemoryPool {
    /// `(address, mapped bytes)` of mappings whose pages were released.
    free: Mutex<Vec<(usize, usize)>>,
}

impl MemoryPool {
    /// How many mappings a pool keeps at most (the rest are unmapped).
    const CAPACITY: usize = 4096;

    /// A reset mapping of exactly `mapped` bytes, if one is waiting.
    fn take(&self, mapped: usize) -> Option<NonNull<u8>> {
        let mut free = self.free.lock().ok()?;
        let i = free.iter().rposition(|&(_, m)| m == mapped)?;
        let (addr, _) = free.swap_remove(i);
        NonNull::new(addr as *mut u8)
    }

    /// Keeps a reset mapping; `false` if the pool is full.
    fn put(&self, ptr: NonNull<u8>, mapped: usize) -> bool {
        match self.free.lock() {
            Ok(mut free) if free.len() < Self::CAPACITY => {
                free.push((ptr.as_ptr() as usize, mapped));
                true
            }
            _ => false,
        }
    }
}

impl Drop for MemoryPool {
    fn drop(&mut self) {
        let free = self.free.get_mut().map(std::mem::take).unwrap_or_default();
        for (addr, mapped) in free {
            // SAFETY: pooled mappings are owned by the pool alone (their
            // memories were dropped), and nothing uses them after this.
            let _ = unsafe { rustix::mm::munmap(addr as *mut _, mapped) };
        }
    }
}

// SAFETY: the mapping is owned exclusively by this value (like a
// `Vec<u8>`'s buffer); access goes through `&self`/`&mut self`.
unsafe impl Send for LinearMemory {}
// SAFETY: as above; shared references only read.
unsafe impl Sync for LinearMemory {}

fn host_page() -> usize {
    rustix::param::page_size()
}

fn round_up(n: usize) -> Option<usize> {
    let p = host_page();
    n.checked_add(p - 1).map(|v| v / p * p)
}

impl LinearMemory {
    /// `len` zero bytes, reusing a mapping from `pool` if one fits, or
    /// `None` if the host refuses the mapping.
    pub(crate) fn new(len: usize, pool: &Arc<MemoryPool>) -> Option<LinearMemory> {
        let mut m = LinearMemory {
            ptr: NonNull::dangling(),
            len: 0,
            mapped: 0,
            pool: Some(pool.clone()),
        };
        if len > 0 {
            let mapped = round_up(len)?;
            if let Some(ptr) = pool.take(mapped) {
                m.ptr = ptr;
                m.mapped = mapped;
            }
        }
        m.resize(len)?;
        Some(m)
    }

    /// Grows to `new_len` bytes (new bytes are zero); `None` if the host
    /// refuses, leaving the memory as it was. Never shrinks.
    pub(crate) fn resize(&mut self, new_len: usize) -> Option<()> {
        if new_len <= self.len {
            return Some(());
        }
        if new_len <= self.mapped {
            self.len = new_len;
            return Some(());
        }
        let new_mapped = round_up(new_len)?;
        let ptr = if self.mapped == 0 {
            // SAFETY: a fresh anonymous private mapping at an address the
            // kernel picks; it aliases nothing.
            unsafe {
                rustix::mm::mmap_anonymous(
                    std::ptr::null_mut(),
                    new_mapped,
                    ProtFlags::READ | ProtFlags::WRITE,
                    MapFlags::PRIVATE | MapFlags::NORESERVE,
                )
            }
        } else {
            // SAFETY: `ptr`/`mapped` describe exactly the mapping this
            // value owns; with MAYMOVE the kernel may relocate it, and no
            // reference into it outlives this `&mut self` call.
            unsafe {
                rustix::mm::mremap(
                    self.ptr.as_ptr().cast(),
                    self.mapped,
                    new_mapped,
                    MremapFlags::MAYMOVE,
                )
            }
        };
        let ptr = NonNull::new(ptr.ok()?.cast::<u8>())?;
        self.ptr = ptr;
        self.mapped = new_mapped;
        self.len = new_len;
        Some(())
    }
}

impl Drop for LinearMemory {
    fn drop(&mut self) {
        if self.mapped == 0 {
            return;
        }
        if let Some(pool) = &self.pool {
            // SAFETY: the mapping is owned by this value and unused from
            // here on; DONTNEED on a private anonymous mapping releases its
            // pages, which then read as zero, as a fresh mapping would.
            let reset = unsafe {
                rustix::mm::madvise(
                    self.ptr.as_ptr().cast(),
                    self.mapped,
                    rustix::mm::Advice::LinuxDontNeed,
                )
            };
            if reset.is_ok() && pool.put(self.ptr, self.mapped) {
                return;
            }
        }
        // SAFETY: the mapping is owned by this value and unused from here
        // on.
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), self.mapped) };
    }
}

impl Deref for LinearMemory {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr` is valid for `len` readable bytes (mapped, or
        // dangling with `len == 0`), and the mapping lives as long as
        // `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl DerefMut for LinearMemory {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`, and `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

#[cfg(test)]
mod tests {
    use super::LinearMemory;

    #[test]
    fn reused_mappings_read_as_zero() {
        let pool = std::sync::Arc::default();
        let mut a = LinearMemory::new(65536, &pool).unwrap();
        a[100] = 42;
        let addr = a.as_ptr();
        drop(a);
        let b = LinearMemory::new(65536, &pool).unwrap();
        assert_eq!(b.as_ptr(), addr, "the mapping is reused");
        assert!(b.iter().all(|&x| x == 0));
    }

    #[test]
    fn grows_zeroed_and_keeps_contents() {
        let mut m = LinearMemory::new(0, &std::sync::Arc::default()).unwrap();
        assert!(m.is_empty());
        m.resize(65536).unwrap();
        assert!(m.iter().all(|&b| b == 0));
        m[65535] = 7;
        m.resize(10 * 65536).unwrap();
        assert_eq!(m[65535], 7);
        assert_eq!(m.len(), 10 * 65536);
        assert!(m[65536..].iter().all(|&b| b == 0));
    }
}
