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
//! Copy-on-write data images: a module whose data segments all have
//! constant offsets inside its memory's initial size gets a
//! [`MemoryImage`], built once: a sealed `memfd` holding the initial
//! memory (the gaps between segments are holes in the file). Each instance
//! maps it `MAP_PRIVATE` over its initial pages instead of copying the
//! segments: reads
//! share the page cache's pages, and the first write to a page copies
//! just that page. `madvise(MADV_DONTNEED)` on such a mapping brings the
//! image's contents back, so a pooled mapping that last held the same
//! image is ready with no system call at all.
//!
//! A memory with an image is one kernel mapping until it grows, then two
//! (the image, anonymous pages above it), and `mremap` moves only one
//! mapping at a time: growing past the mapped size reserves the new size
//! and moves each piece into it with
//! `mremap(MREMAP_FIXED)`, copying a piece only if the kernel refuses.
//!
//! Guard regions (an engine whose compiled code relies on them, see
//! `MemoryBounds`): every memory reserves [`RESERVATION`] bytes of address
//! space, inaccessible (`PROT_NONE`) beyond its size, and growing makes
//! more of it accessible in place (`mprotect`): the base never moves, and
//! any 32-bit address plus a static offset below [`GUARD_SIZE`] lands in
//! the reservation, so compiled code can access memory unchecked and let
//! the fault handler (`compiler::signals`) turn a fault into a trap. A
//! reservation is never given up for a plain mapping: compiled code
//! relies on it, so a memory without one is an error.

use crate::prelude::*;
use std::os::fd::OwnedFd;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};

use rustix::mm::{MapFlags, MremapFlags, ProtFlags};

/// A module's initial memory contents, mapped copy-on-write into every
/// instance's memory.
pub(crate) struct MemoryImage {
    /// A sealed `memfd`: nobody can change or resize it.
    fd: OwnedFd,
    /// Its length, from the start of linear memory (a host-page multiple,
    /// > 0).
    len: usize,
}

impl std::fmt::Debug for MemoryImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryImage")
            .field("len", &self.len)
            .finish()
    }
}

impl MemoryImage {
    /// The image of a `memory_len`-byte memory initialized by `segments`
    /// (offset, bytes), applied in order. `None` if there is nothing to
    /// map, a segment does not fit, or the host refuses a `memfd`.
    pub(crate) fn new<'a>(
        memory_len: usize,
        segments: impl Iterator<Item = (usize, &'a [u8])> + Clone,
    ) -> Option<MemoryImage> {
        let mut empty = true;
        for (offset, bytes) in segments.clone() {
            let end = offset.checked_add(bytes.len())?;
            if end > memory_len {
                return None;
            }
            empty &= bytes.is_empty();
        }
        if empty {
            return None;
        }
        // The image spans the whole initial memory (the gaps are holes in
        // the file, which cost nothing), so an instance's memory is one
        // kernel mapping until it grows: the kernel's mapping count
        // (`vm.max_map_count`) bounds how many instances can hold one.
        let len = round_up(memory_len)?;
        use rustix::fs::{MemfdFlags, SealFlags};
        use std::os::unix::fs::FileExt;
        let fd = rustix::fs::memfd_create(
            "nanowasm-memory-image",
            MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
        )
        .ok()?;
        let file = std::fs::File::from(fd);
        file.set_len(len as u64).ok()?;
        // Only the segments' bytes are written; the gaps stay holes that
        // read as zero.
        for (offset, bytes) in segments {
            if !bytes.is_empty() {
                file.write_all_at(bytes, offset as u64).ok()?;
            }
        }
        let fd = OwnedFd::from(file);
        rustix::fs::fcntl_add_seals(
            &fd,
            SealFlags::SEAL | SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE,
        )
        .ok()?;
        Some(MemoryImage { fd, len })
    }

    /// Maps the image over its pages of the mapping at `base`.
    ///
    /// # Safety
    /// `base` must start a mapping owned by the caller that covers
    /// `self.len` bytes, with no references into it.
    unsafe fn map_at(&self, base: NonNull<u8>) -> Option<()> {
        // SAFETY: the target range lies inside the caller's mapping (the
        // function's contract), so MAP_FIXED replaces only its own pages.
        unsafe {
            rustix::mm::mmap(
                base.as_ptr().cast(),
                self.len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE | MapFlags::FIXED | MapFlags::NORESERVE,
                &self.fd,
                0,
            )
        }
        .ok()
        .map(drop)
    }

    /// Puts fresh anonymous zero pages back over the image's pages of the
    /// mapping at `base`.
    ///
    /// # Safety
    /// As for [`MemoryImage::map_at`].
    unsafe fn unmap_at(&self, base: NonNull<u8>) -> Option<()> {
        // SAFETY: as in `map_at`.
        unsafe {
            rustix::mm::mmap_anonymous(
                base.as_ptr().cast(),
                self.len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE | MapFlags::FIXED | MapFlags::NORESERVE,
            )
        }
        .ok()
        .map(drop)
    }
}

/// The guard beyond the 32-bit address space: accesses whose static
/// offset plus size is at most this need no check (wasmtime's default).
pub(crate) const GUARD_SIZE: usize = 32 << 20;
/// The address space a memory with guard regions reserves.
pub(crate) const RESERVATION: usize = (4 << 30) + GUARD_SIZE;

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
    /// The image mapped over part of the mapping, if any.
    image: Option<Arc<MemoryImage>>,
    /// The reservation's size with guard regions (the mapping then spans
    /// it all, accessible up to `mapped`), else 0.
    reserved: usize,
}

/// A pooled mapping: address, mapped bytes, and the image over it.
type Pooled = (usize, usize, Option<Arc<MemoryImage>>);

/// Reset mappings of one engine, waiting for reuse.
#[derive(Debug, Default)]
pub(crate) struct MemoryPool {
    /// Mappings whose pages were released: anonymous pages read as zero
    /// again, image pages as the image.
    free: Mutex<Vec<Pooled>>,
    /// Memories (live or pooled) with an image mapped: each costs the
    /// process one or two kernel mappings that never merge.
    images: std::sync::atomic::AtomicUsize,
    /// Memories are guard-region reservations ([`RESERVATION`]).
    guard: bool,
}

/// How many image mappings one engine keeps at most: a quarter of the
/// kernel's mapping limit (`vm.max_map_count`, 65530 by default), so that
/// the rest of the process can always map memory. Past it, data segments
/// are copied into plain (mergeable) anonymous memory.
fn image_budget() -> usize {
    static BUDGET: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *BUDGET.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/vm/max_map_count")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .unwrap_or(65530)
            / 4
    })
}

impl MemoryPool {
    /// How many mappings a pool keeps at most (the rest are unmapped).
    const CAPACITY: usize = 4096;

    /// A pool of plain mappings, or of guard-region reservations.
    pub(crate) fn new(guard_regions: bool) -> MemoryPool {
        MemoryPool {
            free: Mutex::default(),
            images: Default::default(),
            guard: guard_regions,
        }
    }

    /// A pooled reservation (any: they are all the same size) and how much
    /// of it is accessible; one that already holds `image` if possible.
    fn take_reserved(
        &self,
        image: Option<&Arc<MemoryImage>>,
    ) -> Option<(NonNull<u8>, usize, Option<Arc<MemoryImage>>)> {
        let mut free = self.free.lock().ok()?;
        let i = free
            .iter()
            .rposition(|(_, _, i)| same_image(i.as_ref(), image))
            .or_else(|| free.len().checked_sub(1))?;
        let (addr, mapped, held) = free.swap_remove(i);
        Some((NonNull::new(addr as *mut u8)?, mapped, held))
    }

    /// Counts a new image mapping, if the budget allows one.
    fn reserve_image(&self) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        self.images
            .fetch_update(Relaxed, Relaxed, |n| (n < image_budget()).then_some(n + 1))
            .is_ok()
    }

    /// An image mapping is gone.
    fn release_image(&self) {
        self.images
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// A reset mapping of exactly `mapped` bytes, if one is waiting, with
    /// the image over it; one that already holds `image` if possible.
    fn take(
        &self,
        mapped: usize,
        image: Option<&Arc<MemoryImage>>,
    ) -> Option<(NonNull<u8>, Option<Arc<MemoryImage>>)> {
        let mut free = self.free.lock().ok()?;
        let i = free
            .iter()
            .rposition(|(_, m, i)| *m == mapped && same_image(i.as_ref(), image))
            .or_else(|| free.iter().rposition(|(_, m, _)| *m == mapped))?;
        let (addr, _, held) = free.swap_remove(i);
        Some((NonNull::new(addr as *mut u8)?, held))
    }

    /// Keeps a reset mapping; `false` if the pool is full.
    fn put(&self, ptr: NonNull<u8>, mapped: usize, image: Option<Arc<MemoryImage>>) -> bool {
        match self.free.lock() {
            Ok(mut free) if free.len() < Self::CAPACITY => {
                free.push((ptr.as_ptr() as usize, mapped, image));
                true
            }
            _ => false,
        }
    }
}

impl Drop for MemoryPool {
    fn drop(&mut self) {
        let free = self.free.get_mut().map(std::mem::take).unwrap_or_default();
        let reserved = if self.guard { RESERVATION } else { 0 };
        for (addr, mapped, _) in free {
            // SAFETY: pooled mappings are owned by the pool alone (their
            // memories were dropped), and nothing uses them after this.
            let _ = unsafe { rustix::mm::munmap(addr as *mut _, mapped.max(reserved)) };
        }
    }
}

// SAFETY: the mapping is owned exclusively by this value (like a
// `Vec<u8>`'s buffer); access goes through `&self`/`&mut self`.
unsafe impl Send for LinearMemory {}
// SAFETY: as above; shared references only read.
unsafe impl Sync for LinearMemory {}

/// Whether two mappings hold the same image (or both none).
fn same_image(a: Option<&Arc<MemoryImage>>, b: Option<&Arc<MemoryImage>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// The host's page size, from `sysconf` (rustix's `page_size()` parses
/// the auxiliary vector and checks the vDSO's ELF header, which crashes
/// under valgrind, where there is no vDSO: profiling with callgrind needs
/// this to work).
fn host_page() -> usize {
    static PAGE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: `sysconf` only reads a system constant.
        let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(n).ok().filter(|&n| n > 0).unwrap_or(4096)
    })
}

fn round_up(n: usize) -> Option<usize> {
    let p = host_page();
    n.checked_add(p - 1).map(|v| v / p * p)
}

impl LinearMemory {
    /// `len` zero bytes, reusing a mapping from `pool` if one fits, or
    /// `None` if the host refuses the mapping.
    pub(crate) fn new(len: usize, pool: &Arc<MemoryPool>) -> Option<LinearMemory> {
        LinearMemory::with_image(len, pool, None)
    }

    /// `len` bytes holding `image` (zero elsewhere), reusing a mapping
    /// from `pool` if one fits, or `None` if the host refuses the mapping.
    /// The image must fit in `len` bytes.
    pub(crate) fn with_image(
        len: usize,
        pool: &Arc<MemoryPool>,
        image: Option<&Arc<MemoryImage>>,
    ) -> Option<LinearMemory> {
        if pool.guard {
            return LinearMemory::reserved(len, pool, image);
        }
        let mut m = LinearMemory {
            ptr: NonNull::dangling(),
            len: 0,
            mapped: 0,
            pool: Some(pool.clone()),
            image: None,
            reserved: 0,
        };
        if len > 0 {
            let mapped = round_up(len)?;
            if let Some((ptr, held)) = pool.take(mapped, image) {
                m.ptr = ptr;
                m.mapped = mapped;
                m.image = held;
            }
        }
        m.resize(len)?;
        if !same_image(m.image.as_ref(), image) {
            if let Some(old) = m.image.take() {
                pool.release_image();
                // SAFETY: `m` owns its mapping, which covers the image it
                // was holding; nothing references it yet.
                unsafe { old.unmap_at(m.ptr) }?;
            }
            if let Some(new) = image {
                if new.len > m.mapped || !pool.reserve_image() {
                    return Some(m); // plain memory: the caller copies
                }
                // SAFETY: as above, and the image fits the mapping.
                if unsafe { new.map_at(m.ptr) }.is_none() {
                    pool.release_image();
                    // The host refused (out of mappings, say): the caller
                    // copies the data into plain memory instead. A failed
                    // MAP_FIXED may have left the range in any state, so
                    // the mapping is not pooled.
                    m.pool = None;
                    drop(m);
                    return LinearMemory::new(len, pool);
                }
                m.image = Some(new.clone());
            }
        }
        Some(m)
    }

    /// [`with_image`](LinearMemory::with_image) with guard regions: a
    /// reservation (pooled or new), accessible for exactly `len` bytes.
    fn reserved(
        len: usize,
        pool: &Arc<MemoryPool>,
        image: Option<&Arc<MemoryImage>>,
    ) -> Option<LinearMemory> {
        use rustix::mm::MprotectFlags;
        let mapped = round_up(len)?;
        let (ptr, was_mapped, held) = match pool.take_reserved(image) {
            Some(p) => p,
            None => {
                // SAFETY: a fresh anonymous private reservation at an
                // address the kernel picks; it aliases nothing.
                let p = unsafe {
                    rustix::mm::mmap_anonymous(
                        std::ptr::null_mut(),
                        RESERVATION,
                        ProtFlags::empty(),
                        MapFlags::PRIVATE | MapFlags::NORESERVE,
                    )
                };
                (NonNull::new(p.ok()?.cast::<u8>())?, 0, None)
            }
        };
        let mut m = LinearMemory {
            ptr,
            len,
            mapped,
            pool: Some(pool.clone()),
            image: held,
            reserved: RESERVATION,
        };
        // How far pages may be accessible now (an image put back over its
        // pages makes them so).
        let mut reach = was_mapped;
        if !same_image(m.image.as_ref(), image) {
            if let Some(old) = m.image.take() {
                pool.release_image();
                reach = reach.max(old.len);
                // SAFETY: `m` owns the reservation, which covers the image
                // it was holding; nothing references it yet.
                unsafe { old.unmap_at(m.ptr) }?;
            }
            if let Some(new) = image {
                if new.len <= mapped && pool.reserve_image() {
                    // SAFETY: as above, and the image fits the accessible
                    // part.
                    if unsafe { new.map_at(m.ptr) }.is_some() {
                        m.image = Some(new.clone());
                    } else {
                        // A failed MAP_FIXED may have left the range in any
                        // state: this reservation is not reused.
                        pool.release_image();
                        m.pool = None;
                        drop(m);
                        let pool = Arc::new(MemoryPool::new(true));
                        let mut fresh = LinearMemory::reserved(len, &pool, None)?;
                        fresh.pool = None;
                        return Some(fresh);
                    }
                }
            }
        }
        // SAFETY: both ranges lie inside the reservation this value owns,
        // and no reference into them exists yet.
        unsafe {
            if mapped > was_mapped {
                rustix::mm::mprotect(
                    m.ptr.as_ptr().add(was_mapped).cast(),
                    mapped - was_mapped,
                    MprotectFlags::READ | MprotectFlags::WRITE,
                )
                .ok()?;
            }
            if reach > mapped {
                rustix::mm::mprotect(
                    m.ptr.as_ptr().add(mapped).cast(),
                    reach - mapped,
                    MprotectFlags::empty(),
                )
                .ok()?;
            }
        }
        Some(m)
    }

    /// Whether the memory is a guard-region reservation.
    #[cfg_attr(not(nanowasm_compiler), allow(dead_code))]
    pub(crate) fn is_reserved(&self) -> bool {
        self.reserved >= RESERVATION
    }

    /// Whether a copy-on-write image is mapped (then it holds the data
    /// segments; otherwise they must be copied in).
    pub(crate) fn has_image(&self) -> bool {
        self.image.is_some()
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
        if self.reserved > 0 {
            if new_mapped > self.reserved - GUARD_SIZE {
                return None;
            }
            // SAFETY: the range lies inside the reservation this value
            // owns; making it accessible moves nothing.
            unsafe {
                rustix::mm::mprotect(
                    self.ptr.as_ptr().add(self.mapped).cast(),
                    new_mapped - self.mapped,
                    rustix::mm::MprotectFlags::READ | rustix::mm::MprotectFlags::WRITE,
                )
            }
            .ok()?;
            self.mapped = new_mapped;
            self.len = new_len;
            return Some(());
        }
        let ptr = if let Some(image) = &self.image {
            // SAFETY: `ptr`/`mapped` describe exactly the mapping this value
            // owns, which the image lies inside; no reference into it
            // outlives this `&mut self` call.
            unsafe { move_pieces(self.ptr, self.mapped, new_mapped, image) }?
        } else if self.mapped == 0 {
            // SAFETY: a fresh anonymous private mapping at an address the
            // kernel picks; it aliases nothing.
            let p = unsafe {
                rustix::mm::mmap_anonymous(
                    std::ptr::null_mut(),
                    new_mapped,
                    ProtFlags::READ | ProtFlags::WRITE,
                    MapFlags::PRIVATE | MapFlags::NORESERVE,
                )
            };
            NonNull::new(p.ok()?.cast::<u8>())?
        } else {
            // SAFETY: `ptr`/`mapped` describe exactly the mapping this
            // value owns; with MAYMOVE the kernel may relocate it, and no
            // reference into it outlives this `&mut self` call.
            let p = unsafe {
                rustix::mm::mremap(
                    self.ptr.as_ptr().cast(),
                    self.mapped,
                    new_mapped,
                    MremapFlags::MAYMOVE,
                )
            };
            NonNull::new(p.ok()?.cast::<u8>())?
        };
        self.ptr = ptr;
        self.mapped = new_mapped;
        self.len = new_len;
        Some(())
    }
}

/// Moves a memory made of two kernel mappings (the image, then anonymous
/// memory) into a fresh `new_mapped`-byte reservation, piece by piece,
/// without copying; a piece the kernel will not move (it was split or not
/// merged) is copied instead. Returns the new base; the old range is gone.
///
/// # Safety
/// `old`/`mapped` must be a range owned by the caller, with `image` mapped
/// inside it, and nothing may reference it.
unsafe fn move_pieces(
    old: NonNull<u8>,
    mapped: usize,
    new_mapped: usize,
    image: &MemoryImage,
) -> Option<NonNull<u8>> {
    // SAFETY: a fresh anonymous private mapping at an address the kernel
    // picks; it aliases nothing.
    let new = unsafe {
        rustix::mm::mmap_anonymous(
            std::ptr::null_mut(),
            new_mapped,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE | MapFlags::NORESERVE,
        )
    };
    let new = NonNull::new(new.ok()?.cast::<u8>())?;
    for (at, len) in [(0, image.len), (image.len, mapped - image.len)] {
        if len == 0 {
            continue;
        }
        // SAFETY: both ranges lie inside mappings owned here (the old one
        // by the contract, the new one just made); MREMAP_FIXED replaces
        // the reservation's pages at the target.
        let moved = unsafe {
            rustix::mm::mremap_fixed(
                old.as_ptr().add(at).cast(),
                len,
                len,
                MremapFlags::MAYMOVE,
                new.as_ptr().add(at).cast(),
            )
        };
        if moved.is_err() {
            // SAFETY: the two ranges are in different mappings, so they do
            // not overlap; both are readable/writable for `len` bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(old.as_ptr().add(at), new.as_ptr().add(at), len);
                let _ = rustix::mm::munmap(old.as_ptr().add(at).cast(), len);
            }
        }
    }
    Some(new)
}

impl Drop for LinearMemory {
    fn drop(&mut self) {
        if self.mapped == 0 && self.reserved == 0 {
            return;
        }
        if let Some(pool) = &self.pool {
            // SAFETY: the mapping is owned by this value and unused from
            // here on; DONTNEED on a private anonymous mapping releases its
            // pages, which then read as zero, as a fresh mapping would (and
            // on the image's private file mapping, as the image again).
            let reset = unsafe {
                rustix::mm::madvise(
                    self.ptr.as_ptr().cast(),
                    self.mapped,
                    rustix::mm::Advice::LinuxDontNeed,
                )
            };
            if reset.is_ok() && pool.put(self.ptr, self.mapped, self.image.clone()) {
                return;
            }
            if self.image.is_some() {
                pool.release_image();
            }
        }
        // SAFETY: the mapping is owned by this value and unused from here
        // on.
        let _ =
            unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), self.mapped.max(self.reserved)) };
    }
}

slices_of_mapping!(LinearMemory);

#[cfg(test)]
mod tests {
    use super::{LinearMemory, MemoryImage};

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

    fn image(len: usize, segs: &[(usize, &[u8])]) -> std::sync::Arc<MemoryImage> {
        std::sync::Arc::new(MemoryImage::new(len, segs.iter().copied()).unwrap())
    }

    #[test]
    fn images_span_the_initial_memory() {
        let img = image(4 * 65536, &[(70000, b"abc"), (80000, b"z")]);
        assert_eq!(img.len, 4 * 65536);
        assert!(MemoryImage::new(65536, [(65535, &b"ab"[..])].into_iter()).is_none());
        assert!(MemoryImage::new(65536, [(10, &b""[..])].into_iter()).is_none());
        // Later segments overwrite earlier ones, as copying would.
        let img = image(65536, &[(100, b"aaaa"), (102, b"bb")]);
        let m = LinearMemory::with_image(65536, &Default::default(), Some(&img)).unwrap();
        assert_eq!(&m[100..104], b"aabb");
    }

    #[test]
    fn instances_share_an_image_copy_on_write() {
        let pool = std::sync::Arc::default();
        let img = image(2 * 65536, &[(5000, b"hello"), (70000, b"world")]);
        let mut a = LinearMemory::with_image(2 * 65536, &pool, Some(&img)).unwrap();
        let b = LinearMemory::with_image(2 * 65536, &pool, Some(&img)).unwrap();
        assert_eq!(&a[5000..5005], b"hello");
        assert_eq!(&a[70000..70005], b"world");
        assert!(a[..5000].iter().all(|&x| x == 0));
        a[5000] = b'J';
        a[0] = 1;
        assert_eq!(&a[5000..5005], b"Jello");
        assert_eq!(&b[5000..5005], b"hello", "a write stays in its memory");
        assert_eq!(b[0], 0);
    }

    #[test]
    fn pooled_mappings_come_back_as_their_image_or_as_zeros() {
        let pool = std::sync::Arc::default();
        let img = image(65536, &[(4096, b"data")]);
        let mut a = LinearMemory::with_image(65536, &pool, Some(&img)).unwrap();
        a[4096] = b'X';
        a[9000] = 9;
        let addr = a.as_ptr();
        drop(a);
        // Same image: reused as is, the writes gone.
        let b = LinearMemory::with_image(65536, &pool, Some(&img)).unwrap();
        assert_eq!(b.as_ptr(), addr);
        assert_eq!(&b[4096..4100], b"data");
        assert_eq!(b[9000], 0);
        drop(b);
        // No image: the image's pages are replaced by zeros.
        let c = LinearMemory::new(65536, &pool).unwrap();
        assert_eq!(c.as_ptr(), addr);
        assert!(c.iter().all(|&x| x == 0));
        drop(c);
        // Another image over a plain mapping.
        let other = image(65536, &[(60000, b"other")]);
        let d = LinearMemory::with_image(65536, &pool, Some(&other)).unwrap();
        assert_eq!(d.as_ptr(), addr);
        assert_eq!(&d[60000..60005], b"other");
        assert!(d[..60000].iter().all(|&x| x == 0));
    }

    #[test]
    fn image_memories_grow_keeping_every_piece() {
        let img = image(65536, &[(20000, b"image")]);
        let mut m = LinearMemory::with_image(65536, &Default::default(), Some(&img)).unwrap();
        m[10] = 1; // below the image
        m[20005] = 2; // inside it, after the segment
        m[60000] = 3; // above it
        for pages in [2, 5, 40] {
            m.resize(pages * 65536).unwrap();
            assert_eq!(m.len(), pages * 65536);
            assert_eq!((m[10], m[20005], m[60000]), (1, 2, 3));
            assert_eq!(&m[20000..20005], b"image");
            assert!(m[65536..].iter().all(|&b| b == 0));
        }
        m[65536 * 39] = 4;
        assert_eq!(m[65536 * 39], 4);
    }
}
