//! The x86-64 compiler (baseline tier): whole modules compiled to one
//! position-independent code image at `Module::new`, run through an entry
//! trampoline. See ARCHITECTURE "The x86-64 compiler".
//!
//! A module is compiled only if every function is within what the compiler
//! supports (`codegen`); otherwise `Strategy::Auto` runs it in the
//! interpreter and `Strategy::Compiler` refuses it with the reason. Both
//! back ends share the store's state (memories, tables, globals), so an
//! interpreted caller may run a compiled module's function in the
//! interpreter and the result is the same.

use crate::prelude::*;
use alloc::sync::Arc;

use crate::interp::translate::TranslateConfig;
use nanowasm_binary::Module as Binary;
use nanowasm_x64::{Alu, Assembler, Gpr, Label, Mem, Scale, Size};

pub(crate) mod artifact;
mod codegen;
pub(crate) mod signals;
pub(crate) mod vm;

pub(crate) use vm::{compiled_target, invoke, invoke_cells, StoreState};

use vm::{Code, EntryFn};

/// Whether this CPU has what compiled code uses beyond x86-64's baseline
/// (SSE4.1 rounding, `popcnt`, `lzcnt`, `tzcnt`); the reason if not.
pub(crate) fn host_supported() -> Result<(), String> {
    let missing: Vec<&str> = [
        ("sse4.1", std::is_x86_feature_detected!("sse4.1")),
        ("popcnt", std::is_x86_feature_detected!("popcnt")),
        ("lzcnt", std::is_x86_feature_detected!("lzcnt")),
        ("bmi1", std::is_x86_feature_detected!("bmi1")),
    ]
    .into_iter()
    .filter(|(_, has)| !has)
    .map(|(name, _)| name)
    .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("the CPU lacks {}", missing.join(", ")))
    }
}

/// Executable memory holding a module's code: mapped writable, filled, then
/// made read+execute (never both writable and executable).
pub(crate) struct CodeMemory {
    ptr: *mut u8,
    /// The mapping's length (whole pages).
    len: usize,
    /// The code's length.
    size: usize,
}

// SAFETY: the mapping is immutable after construction and freed once.
unsafe impl Send for CodeMemory {}
// SAFETY: as above.
unsafe impl Sync for CodeMemory {}

impl CodeMemory {
    /// The code bytes.
    fn bytes(&self) -> &[u8] {
        // SAFETY: the mapping holds `size` readable bytes for its lifetime.
        unsafe { core::slice::from_raw_parts(self.ptr, self.size) }
    }

    /// Maps `len` bytes of `file` at `offset` (a multiple of the page size)
    /// read+execute, private: the code of an artifact, used in place.
    pub(crate) fn map_file(
        file: &std::fs::File,
        offset: usize,
        len: usize,
    ) -> Result<CodeMemory, String> {
        use rustix::mm::{MapFlags, ProtFlags};
        let mapped = len.max(1).next_multiple_of(4096);
        // SAFETY: a fresh private mapping of the file; the kernel checks the
        // descriptor, the offset and the length. The pages are never
        // writable, so nothing can change the code through this mapping;
        // `deserialize_file`'s caller promises the file is not modified
        // while it is mapped (as with wasmtime's).
        let ptr = unsafe {
            rustix::mm::mmap(
                core::ptr::null_mut(),
                mapped,
                ProtFlags::READ | ProtFlags::EXEC,
                MapFlags::PRIVATE,
                file,
                offset as u64,
            )
        }
        .map_err(|e| format!("cannot map the artifact's code: {e}"))?
        .cast::<u8>();
        Ok(CodeMemory {
            ptr,
            len: mapped,
            size: len,
        })
    }

    pub(crate) fn new(code: &[u8]) -> Result<CodeMemory, String> {
        CodeMemory::build(code.len(), |image| {
            populate(image);
            image.copy_from_slice(code);
            Ok(())
        })
    }

    /// Code memory of `size` bytes, written by `fill` (while it is still
    /// writable, and before it is executable), then made read+execute.
    pub(crate) fn build(
        size: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<(), String>,
    ) -> Result<CodeMemory, String> {
        use rustix::mm::MprotectFlags;
        // Not populated here: `fill` populates the parts it writes
        // ([`populate`]), on the threads that write them.
        let (ptr, len) = map_writable(size)?;
        // Owned from here: unmapped on every early return.
        let mem = CodeMemory { ptr, len, size };
        // SAFETY: `ptr` is `len >= size` writable bytes, just mapped, and
        // nothing else refers to them while `fill` writes them.
        fill(unsafe { core::slice::from_raw_parts_mut(ptr, size) })?;
        // SAFETY: the mapping is ours; from here on it is only executed.
        unsafe { rustix::mm::mprotect(ptr.cast(), len, MprotectFlags::READ | MprotectFlags::EXEC) }
            .map_err(|e| format!("cannot make code executable: {e}"))?;
        Ok(mem)
    }
}

/// The size of a transparent huge page on x86-64.
const HUGE_PAGE: usize = 2 << 20;

/// Code images of at least this many bytes are mapped in huge pages (see
/// [`map_writable`]).
const HUGE_IMAGE: usize = 1 << 20;

/// A fresh private anonymous read+write mapping of at least `size` bytes:
/// its address and length. An image of [`HUGE_IMAGE`] bytes or more is
/// mapped 2 MiB-aligned, in whole 2 MiB pages, and advised for
/// transparent huge pages (`MADV_HUGEPAGE`): the kernel then maps and
/// zeroes it 2 MiB at a time, where 4 KiB pages cost a fault each
/// (mapping in sql-wasm's 1.7 MB of code took 0.2 to 1.1 ms on each of two
/// threads, slower when both faulted at once, of a 12 to 15 ms compile;
/// about 2 µs with huge pages), and the code runs with fewer TLB misses.
/// At most 2 MiB of the rounding is wasted, on a module of at least 1 MiB
/// of code. Where the kernel has no huge pages to give
/// (THP off, or memory too fragmented), the advice is ignored and the
/// mapping works as any other.
fn map_writable(size: usize) -> Result<(*mut u8, usize), String> {
    use rustix::mm::{MapFlags, ProtFlags};
    let huge = size >= HUGE_IMAGE;
    let len = if huge {
        size.next_multiple_of(HUGE_PAGE)
    } else {
        size.max(1).next_multiple_of(4096)
    };
    // Room to align a huge image's start.
    let reserve = if huge { len + HUGE_PAGE } else { len };
    // SAFETY: a fresh anonymous mapping; nothing else refers to it.
    let raw = unsafe {
        rustix::mm::mmap_anonymous(
            core::ptr::null_mut(),
            reserve,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE,
        )
    }
    .map_err(|e| format!("cannot map code memory: {e}"))?
    .cast::<u8>();
    if !huge {
        return Ok((raw, len));
    }
    let start = (raw as usize).next_multiple_of(HUGE_PAGE);
    let head = start - raw as usize;
    let tail = reserve - head - len;
    // On a failure only what is still ours is unmapped: once the head is
    // unmapped, another thread may map something there.
    // SAFETY: the head is the part of the mapping just made below
    // `start`, whole pages (the mapping and `start` are page-aligned);
    // nothing refers to it. On failure nothing was unmapped, and the
    // whole reservation is still ours.
    unsafe {
        if head > 0 && rustix::mm::munmap(raw.cast(), head).is_err() {
            let _ = rustix::mm::munmap(raw.cast(), reserve);
            return Err("cannot map code memory".into());
        }
    }
    // SAFETY: likewise the tail, above `start + len`; on failure
    // `start..start + len + tail` is still ours.
    unsafe {
        if tail > 0 && rustix::mm::munmap((start + len) as *mut _, tail).is_err() {
            let _ = rustix::mm::munmap(start as *mut _, len + tail);
            return Err("cannot map code memory".into());
        }
    }
    // SAFETY: advice on the mapping just made; it changes no contents.
    // Only a hint: an error (THP compiled out) leaves 4 KiB pages.
    let _ = unsafe {
        rustix::mm::madvise(
            start as *mut core::ffi::c_void,
            len,
            rustix::mm::Advice::LinuxHugepage,
        )
    };
    Ok((start as *mut u8, len))
}

/// Maps in the pages of `part` (of a [`CodeMemory::build`] image) that
/// are not mapped yet, ahead of writing all of it: one call that maps them
/// all cost a quarter of the system time of a page fault per page
/// (sql-wasm's 1.8 MB of code: 450 faults). Made by each thread that lays
/// out a part, the mapping is parallel too. Only a hint: before Linux
/// 5.14 (`EINVAL`) the writes fault the pages in.
fn populate(part: &mut [u8]) {
    if part.is_empty() {
        return;
    }
    let start = (part.as_mut_ptr() as usize) & !4095;
    let end = (part.as_mut_ptr() as usize + part.len()).next_multiple_of(4096);
    // SAFETY: the range is the pages `part` lies in, all within its
    // image's mapping (which is whole pages). Populating for write maps
    // them without changing their contents, so another thread writing
    // the neighbouring part of a shared page loses nothing.
    let _ = unsafe {
        rustix::mm::madvise(
            start as *mut core::ffi::c_void,
            end - start,
            rustix::mm::Advice::LinuxPopulateWrite,
        )
    };
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by `new` and is unmapped once; no
        // compiled code of it runs any more (modules own their code, and
        // instances their module).
        let _ = unsafe { rustix::mm::munmap(self.ptr.cast(), self.len) };
    }
}

/// The little-endian `u32` at `at` in `b`.
pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// A sorted table of `(u32, u32)` pairs, stored as little-endian words: in
/// memory for a module compiled here, in the mapped file for a loaded
/// artifact (so loading neither copies nor reads it).
pub(crate) struct Pairs(nanowasm_binary::Bytes);

impl Pairs {
    /// The pairs in `bytes` (a whole number of 8-byte pairs).
    pub(crate) fn from_bytes(bytes: nanowasm_binary::Bytes) -> Pairs {
        debug_assert_eq!(bytes.len() % 8, 0);
        Pairs(bytes)
    }

    /// The encoded table (as [`Pairs::from_bytes`] takes it).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len() / 8
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.len() < 8
    }

    pub(crate) fn get(&self, i: usize) -> (u32, u32) {
        (u32_at(&self.0, i * 8), u32_at(&self.0, i * 8 + 4))
    }

    /// How many leading pairs have a first word `<= key` (the table is
    /// sorted by its first words).
    pub(crate) fn count_le(&self, key: u32) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.get(mid).0 <= key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The second word of the pair whose first word is `key`, if any.
    pub(crate) fn find(&self, key: u32) -> Option<u32> {
        let i = self.count_le(key).checked_sub(1)?;
        let (k, v) = self.get(i);
        (k == key).then_some(v)
    }
}

/// A compiled module: its code image and what the runtime needs to run it
/// and to walk its frames.
pub(crate) struct CompiledModule {
    pub(crate) code: CodeMemory,
    /// The entry trampoline's offset.
    pub(crate) entry: usize,
    /// Each defined function's start offset (ascending).
    pub(crate) starts: Vec<u32>,
    /// Where the last function's code ends.
    pub(crate) end: u32,
    /// `(return address offset, wasm offset)` of every call and trap site,
    /// sorted.
    pub(crate) sites: Pairs,
    pub(crate) num_imported: u32,
    /// `(start, end)` of every unchecked memory access (guard regions),
    /// sorted: a fault there is an out-of-bounds access, whose trap site
    /// (in `sites`) is at `start + 1`.
    pub(crate) faults: Pairs,
    /// The out-of-bounds trap stub's offset.
    pub(crate) oob_stub: u32,
    /// Compiled for guard regions: unchecked accesses, and memory 0's base
    /// never reloaded after calls (a reservation grows in place), so the
    /// memory must be a reservation (`vm::invoke` checks).
    pub(crate) guard: bool,
    /// The code uses AVX2 instructions (the artifact says so, and a CPU
    /// without AVX2 refuses it).
    pub(crate) avx2: bool,
}

impl CompiledModule {
    /// If `pc` is in an unchecked memory access of this module: where to
    /// resume (the out-of-bounds trap stub) and the return address to push
    /// (the access's trap site), as if the access had called the stub.
    pub(crate) fn fault_target(&self, pc: usize) -> Option<(usize, usize)> {
        let base = self.code.ptr as usize;
        let off = u32::try_from(pc.checked_sub(base)?).ok()?;
        let i = self.faults.count_le(off).checked_sub(1)?;
        let (start, end) = self.faults.get(i);
        (off < end).then(|| (base + self.oob_stub as usize, base + start as usize + 1))
    }

    /// The entry trampoline.
    pub(crate) fn entry(&self) -> EntryFn {
        // SAFETY: the entry trampoline is at `entry` in the executable
        // image and follows `EntryFn`'s convention (see `emit_entry`).
        unsafe { core::mem::transmute::<*const u8, EntryFn>(self.code.ptr.add(self.entry)) }
    }

    /// The size of the code image in bytes.
    pub(crate) fn code_size(&self) -> usize {
        self.end as usize
    }

    /// The code of function `index` (in the module's function space; a
    /// defined function).
    pub(crate) fn func_code(&self, index: u32) -> *const u8 {
        let start = self.starts[(index - self.num_imported) as usize];
        // SAFETY: function starts are inside the image.
        unsafe { self.code.ptr.add(start as usize) }
    }

    /// Where defined function `i` (an index into `starts`) lies in the
    /// image: its start, and the next function's (or the code's end).
    fn func_range(&self, i: usize) -> (u32, u32) {
        let end = self.starts.get(i + 1).copied().unwrap_or(self.end);
        (self.starts[i], end)
    }

    /// The code of defined function `i` (an index into `starts`).
    pub(crate) fn func_bytes(&self, i: usize) -> &[u8] {
        let (start, end) = self.func_range(i);
        // SAFETY: `start..end` is inside the image, which is mapped
        // readable for as long as `self` lives and never written again.
        unsafe {
            core::slice::from_raw_parts(self.code.ptr.add(start as usize), (end - start) as usize)
        }
    }

    /// Appends every function's code range to `/tmp/perf-<pid>.map`, the
    /// file `perf report` reads for code it finds no symbols for. A failed
    /// write is logged, never an error: profiling is best effort.
    fn write_perfmap(&self, binary: &Binary) {
        use core::fmt::Write as _;
        use std::io::Write as _;
        let module = binary.names.module.as_deref().unwrap_or("wasm");
        let mut out = String::new();
        for i in 0..self.starts.len() {
            let (start, end) = self.func_range(i);
            let func = self.num_imported + i as u32;
            let addr = self.code.ptr as usize + start as usize;
            let name = binary.names.function(func);
            let _ = match name {
                Some(n) => writeln!(out, "{addr:x} {:x} {module}!{n}", end - start),
                None => writeln!(out, "{addr:x} {:x} {module}!func[{func}]", end - start),
            };
        }
        let path = format!("/tmp/perf-{}.map", std::process::id());
        let r = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(out.as_bytes()));
        if let Err(e) = r {
            tracing::debug!(%path, error = %e, "perf map not written");
        }
    }

    /// The function (module index) and wasm offset of return address `pc`,
    /// if it is a call or trap site of this module's functions.
    pub(crate) fn lookup(&self, pc: usize) -> Option<(u32, u32)> {
        let off = u32::try_from(pc.checked_sub(self.code.ptr as usize)?).ok()?;
        if off == 0 || off > self.end {
            return None;
        }
        // The function containing the call instruction (just before `pc`).
        let f = self.starts.partition_point(|&s| s < off).checked_sub(1)?;
        Some((f as u32 + self.num_imported, self.sites.find(off)?))
    }
}

/// Compiles every defined function of `binary`, in parallel; the reason if
/// any cannot be (the first such function's).
pub(crate) fn compile(
    binary: &Binary,
    config: TranslateConfig,
    type_ids: &[u32],
    perfmap: bool,
    pool: &ScratchPool,
) -> Result<Arc<CompiledModule>, String> {
    host_supported()?;
    if crate::gc::module_uses_gc(binary) {
        return Err(format!(
            "{} is not supported by the compiler yet",
            codegen::GC
        ));
    }
    let num_imported = binary.num_imported.funcs;
    let tail_area = codegen::tail_area(binary, config.features);
    let (funcs, outs) =
        compile_functions(binary, config, type_ids, tail_area, pool).map_err(|(i, e)| {
            let func = num_imported + i;
            let name = binary
                .names
                .function(func)
                .map_or(String::new(), |n| format!(" `{n}`"));
            format!("function {func}{name}: {e} is not supported by the compiler yet")
        })?;
    // The image: the entry trampoline and the trap stubs, then each
    // function (16-byte aligned, padded with `nop`s), its calls patched to
    // their targets, written straight into the code memory.
    let mut asm = Assembler::new();
    let trap_stubs: Vec<Label> = (0..=Code::TRAPS.len()).map(|_| asm.new_label()).collect();
    let entry = emit_entry(&mut asm, &trap_stubs, tail_area);
    asm.resolve()
        .map_err(|e| format!("code generation failed: {e}"))?;
    let stubs = trap_stubs
        .iter()
        .map(|&l| asm.label_offset(l))
        .collect::<Option<Vec<usize>>>()
        .ok_or("a trap stub was not emitted")?;
    let entry = asm.label_offset(entry).ok_or("no entry trampoline")?;
    let head = asm.code();
    let mut starts = Vec::with_capacity(funcs.len());
    let mut at = head.len();
    for f in &funcs {
        at = at.next_multiple_of(16);
        starts.push(u32::try_from(at).map_err(|_| "the code is larger than 4 GiB")?);
        at += f.code.len();
    }
    let end = u32::try_from(at).map_err(|_| "the code is larger than 4 GiB")?;
    let layout = Layout {
        starts: &starts,
        stubs: &stubs,
        nops: &(0..16)
            .map(|n| {
                let mut a = Assembler::new();
                a.nop(n);
                a.code().to_vec()
            })
            .collect::<Vec<_>>(),
        outs: &outs,
    };
    // Each function's sites (its calls, trap sites and unchecked accesses)
    // and unchecked accesses take a known number of pairs in the tables,
    // in function order: where each begins.
    let mut site_at = Vec::with_capacity(funcs.len() + 1);
    let mut fault_at = Vec::with_capacity(funcs.len() + 1);
    let (mut ns, mut nf) = (0usize, 0usize);
    for f in &funcs {
        site_at.push(ns);
        fault_at.push(nf);
        ns += f.sites.len() + f.faults.len();
        nf += f.faults.len();
    }
    site_at.push(ns);
    fault_at.push(nf);
    let (mut sites, mut faults) = (vec![0u8; ns * 8], vec![0u8; nf * 8]);
    // The functions in parts of about equal code size, each laid out (its
    // code copied into the image and its calls patched, its sites and
    // faults written, its buffers freed) on a thread of its own: done
    // serially, this took a tenth of a large module's compile time.
    // More parts than threads, handed out one at a time: a thread started
    // late (or slowed by page faults) then takes fewer of them rather than
    // leaving the others to wait for its half.
    let threads = if funcs.len() >= 64 && at >= 1 << 20 {
        cpus().clamp(1, 16)
    } else {
        1
    };
    let parts = if threads > 1 {
        (threads * 4).min(funcs.len())
    } else {
        1
    };
    let mut bounds = vec![0usize];
    for k in 1..parts {
        let target = (head.len() + (at - head.len()) * k / parts) as u32;
        let i = starts.partition_point(|&s| s < target).max(bounds[k - 1]);
        bounds.push(i);
    }
    bounds.push(funcs.len());
    let code = CodeMemory::build(at, |image| {
        let (head_part, mut image_rest) = image.split_at_mut(head.len());
        populate(head_part);
        head_part.copy_from_slice(head);
        let (mut sites_rest, mut faults_rest) = (&mut sites[..], &mut faults[..]);
        let mut funcs_rest = &funcs[..];
        let mut jobs = Vec::with_capacity(parts);
        for &lo in bounds[..parts].iter().rev() {
            // Parts are cut from the end: this one starts where function
            // `lo - 1` ends (or after the head), so the padding before
            // function `lo` is its own.
            let begin = if lo == 0 {
                head.len()
            } else {
                starts[lo - 1] as usize + funcs_rest[lo - 1].code.len()
            };
            let (rest, image_part) = image_rest.split_at_mut(begin - head.len());
            let (srest, spart) = sites_rest.split_at_mut(site_at[lo] * 8);
            let (frest, fpart) = faults_rest.split_at_mut(fault_at[lo] * 8);
            image_rest = rest;
            sites_rest = srest;
            faults_rest = frest;
            let (rest, part) = funcs_rest.split_at(lo);
            funcs_rest = rest;
            jobs.push((lo, begin, part, image_part, spart, fpart));
        }
        let lay = |(lo, begin, part, image_part, spart, fpart): (_, _, _, &mut [u8], _, _)| {
            populate(image_part);
            layout.lay_out(lo, begin, part, image_part, spart, fpart)
        };
        if threads <= 1 {
            return jobs.into_iter().try_for_each(lay);
        }
        let queue = std::sync::Mutex::new(jobs.into_iter());
        let work = || loop {
            // A poisoned queue only means another thread panicked; its
            // failure is reported by its join.
            let job = queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .next();
            match job {
                Some(job) => lay(job)?,
                None => return Ok(()),
            }
        };
        std::thread::scope(|s| {
            let handles: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
            let mine = work();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("a layout thread failed".into()))
                })
                .chain([mine])
                .collect::<Result<(), String>>()
        })
    })?;
    pool.give(outs);
    let (sites, faults) = (Pairs(sites.into()), Pairs(faults.into()));
    if !faults.is_empty() {
        signals::install();
    }
    let module = CompiledModule {
        code,
        entry,
        starts,
        end,
        sites,
        num_imported,
        faults,
        oob_stub: stubs[Code::MemoryOutOfBounds as usize] as u32,
        guard: config.guard_regions,
        avx2: config.avx2,
    };
    if perfmap {
        module.write_perfmap(binary);
    }
    Ok(Arc::new(module))
}

/// What laying out the functions into the image needs.
struct Layout<'a> {
    /// Each defined function's offset in the image.
    starts: &'a [u32],
    /// Each trap stub's offset.
    stubs: &'a [usize],
    /// `nops[n]`: `n` bytes of `nop`s.
    nops: &'a [Vec<u8>],
    /// The compiler threads' scratch, whose outputs the functions' parts
    /// index.
    outs: &'a [codegen::Scratch],
}

impl Layout<'_> {
    /// Lays out functions `lo..` (`funcs`) into `image`, the part of the
    /// image from offset `begin` on: each one's padding and code, its calls
    /// patched; and writes their sites and unchecked accesses into
    /// `sites` and `faults` (their parts of the tables).
    fn lay_out(
        &self,
        lo: usize,
        begin: usize,
        funcs: &[codegen::FuncCode],
        image: &mut [u8],
        sites: &mut [u8],
        faults: &mut [u8],
    ) -> Result<(), String> {
        let (mut sites, mut faults) = (PairWriter(sites, 0), PairWriter(faults, 0));
        let mut filled = begin;
        for (i, f) in (lo..).zip(funcs) {
            let out = &self.outs[f.out].out;
            let start = self.starts[i] as usize;
            let at = |abs: usize| abs - begin;
            image[at(filled)..at(start)].copy_from_slice(&self.nops[start - filled]);
            image[at(start)..at(start) + f.code.len()].copy_from_slice(&out.code[f.code.clone()]);
            filled = start + f.code.len();
            for &(off, target) in &out.relocs[f.relocs.clone()] {
                let field = start + off;
                let to = match target {
                    codegen::Target::Func(i) => {
                        *self.starts.get(i as usize).ok_or("call to no function")? as usize
                    }
                    codegen::Target::Stub(code) => self.stubs[code as usize],
                };
                let rel = to as i64 - (field + 4) as i64;
                image[at(field)..at(field) + 4].copy_from_slice(&(rel as i32).to_le_bytes());
            }
            // Its call and trap sites and its unchecked accesses are each
            // in code order (trap stubs follow the code), so they merge
            // without a sort; the function lies above the previous one, so
            // the whole table ends up sorted.
            let start = start as u32;
            let mut calls = out.sites[f.sites.clone()]
                .iter()
                .map(|&(ret, wasm)| (start + ret, wasm))
                .peekable();
            for &(a, b, wasm) in &out.faults[f.faults.clone()] {
                faults.push((start + a, start + b));
                let site = (start + a + 1, wasm);
                while let Some(c) = calls.next_if(|c| *c < site) {
                    sites.push(c);
                }
                sites.push(site);
            }
            calls.for_each(|c| sites.push(c));
        }
        debug_assert_eq!(filled - begin, image.len());
        debug_assert_eq!((sites.1, faults.1), (sites.0.len(), faults.0.len()));
        Ok(())
    }
}

/// Writes pairs as [`Pairs`] stores them into a slice of known size.
struct PairWriter<'a>(&'a mut [u8], usize);

impl PairWriter<'_> {
    fn push(&mut self, (x, y): (u32, u32)) {
        let at = self.1;
        self.0[at..at + 4].copy_from_slice(&x.to_le_bytes());
        self.0[at + 4..at + 8].copy_from_slice(&y.to_le_bytes());
        self.1 = at + 8;
    }
}

/// How many threads can run at once: `available_parallelism`, asked once
/// (it reads cgroup files on Linux, which took longer than loading a small
/// artifact).
pub(crate) fn cpus() -> usize {
    static CPUS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CPUS.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Compiles the defined functions on up to one thread per CPU; the first
/// failure by function order. Functions are handed out one at a time,
/// largest first, so that a large one taken last does not leave the other
/// threads idle while it compiles. Returns the functions and the threads'
/// scratch (from `pool`), which holds their code.
fn compile_functions(
    binary: &Binary,
    config: TranslateConfig,
    type_ids: &[u32],
    tail_area: usize,
    pool: &ScratchPool,
) -> Result<(Vec<codegen::FuncCode>, Vec<codegen::Scratch>), (u32, String)> {
    use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let n = binary.bodies.len();
    let num_imported = binary.num_imported.funcs;
    // The module's code is bounded as a whole too: each function's bound
    // has a base allowance.
    let budget = crate::code_budget::CodeBudget::new(binary);
    let one = |i: usize, scratch: &mut codegen::Scratch| {
        let f = codegen::compile_function(
            binary,
            config,
            num_imported + i as u32,
            type_ids,
            tail_area,
            scratch,
        )?;
        budget
            .charge(f.code.len())
            .map_err(|limit| format!("a module of more than {limit} bytes of code"))?;
        Ok(f)
    };
    let threads = cpus().min(n / 16).min(16);
    let mut scratches = pool.take(threads.max(1) + 1);
    if threads <= 1 {
        let scratch = &mut scratches[0];
        let funcs = (0..n)
            .map(|i| one(i, scratch).map_err(|e| (i as u32, e)))
            .collect::<Result<_, _>>()?;
        return Ok((funcs, scratches));
    }
    // Keys taken once and an unstable sort (ties by index, so the order is
    // the stable one): the sort is on the serial path before the threads
    // start, and sorting indices by a looked-up key took 1.6 M
    // instructions on sql-wasm's 1,968 functions.
    let mut order: Vec<(core::cmp::Reverse<usize>, usize)> = (binary.bodies.iter())
        .map(|b| core::cmp::Reverse(b.code.len()))
        .zip(0..)
        .collect();
    order.sort_unstable();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = |scratch: &mut codegen::Scratch| {
        let mut done = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let Some(&(_, i)) = order.get(next.fetch_add(1, Ordering::Relaxed)) else {
                break;
            };
            let r = one(i, scratch);
            if r.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            done.push((i, r));
        }
        done
    };
    let mut results: Vec<Option<Result<codegen::FuncCode, String>>> =
        (0..n).map(|_| None).collect();
    let mut panicked = false;
    // Each thread owns its scratch while it compiles (on its own stack:
    // scratches side by side in one vector shared cache lines, whose
    // lengths both threads write at every instruction).
    let mut spare = scratches.split_off(threads);
    // This thread is one of the compiler threads (the last scratch is
    // its own), so that `threads - 1` are started.
    let mut own = scratches.pop().expect("at least two threads");
    std::thread::scope(|s| {
        let handles: Vec<_> = scratches
            .drain(..)
            .map(|mut scratch| {
                let work = &work;
                s.spawn(move || (work(&mut scratch), scratch))
            })
            .collect();
        let mine = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| work(&mut own)));
        let joined = handles.into_iter().map(|h| h.join());
        for r in joined.chain([mine.map(|done| (done, own))]) {
            match r {
                Ok((done, scratch)) => {
                    for (i, r) in done {
                        results[i] = Some(r);
                    }
                    scratches.push(scratch);
                }
                // A compiler bug: reported below as an error, not a panic.
                Err(_) => panicked = true,
            }
        }
    });
    let mut funcs = Vec::with_capacity(n);
    // After a failure, functions before it that no thread reached are
    // compiled here, so that the failure reported is the first by
    // function order.
    for (i, r) in results.into_iter().enumerate() {
        let r = match r {
            Some(r) => r,
            None if panicked => Err("a compiler thread failed".into()),
            None => one(i, &mut spare[0]),
        };
        funcs.push(r.map_err(|e| (i as u32, e))?);
    }
    scratches.append(&mut spare);
    Ok((funcs, scratches))
}

/// The compiler threads' scratch (their buffers and the code they made),
/// kept in the engine from one compile to the next: a compile then writes
/// its code into memory the process already has, where fresh buffers cost
/// a page fault (and the zeroing of a page) for every 4 KiB of code. At
/// most [`ScratchPool::KEEP`] bytes are kept.
#[derive(Default)]
pub(crate) struct ScratchPool(std::sync::Mutex<Vec<codegen::Scratch>>);

impl core::fmt::Debug for ScratchPool {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ScratchPool")
    }
}

impl ScratchPool {
    /// The most the pool keeps, in bytes of buffer capacity: a module of
    /// up to a few MB of code compiles into kept memory; a larger one's
    /// buffers are freed.
    const KEEP: usize = 16 << 20;

    /// `n` scratches, numbered `0..n` ([`codegen::FuncCode::out`]): kept
    /// ones first, then new ones.
    fn take(&self, n: usize) -> Vec<codegen::Scratch> {
        let mut kept = core::mem::take(&mut *self.lock());
        kept.truncate(n);
        (0..n)
            .map(|id| {
                let mut s = kept.pop().unwrap_or_default();
                s.id = id;
                s
            })
            .collect()
    }

    /// Keeps `scratches` (emptied) for the next compile, as many as fit.
    fn give(&self, scratches: Vec<codegen::Scratch>) {
        let mut kept = Vec::with_capacity(scratches.len());
        let mut bytes = 0;
        for mut s in scratches {
            s.out.clear();
            let size = s.capacity_bytes();
            if bytes + size <= Self::KEEP {
                bytes += size;
                kept.push(s);
            }
        }
        *self.lock() = kept;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<codegen::Scratch>> {
        // Poisoning only means a thread panicked holding it: the vector is
        // whole either way.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Emits the entry trampoline and the trap stubs; returns the entry label.
///
/// The entry, `extern "sysv64" fn(vmctx, code, slots, n) -> u32`, puts the
/// context's calls left where the callee's prologue reads them, saves the
/// callee-saved registers and the context's previous `entry_sp` (entries
/// nest when host functions call back into wasm), copies `n` slots to the
/// callee's incoming area, calls `code`, copies the `n` slots back, and
/// returns 0. A trap stub puts its code in `eax`, has the host record the
/// wasm frames from the trap site's return address and frame pointer, and
/// returns through the same exit with the stack reset to `entry_sp`.
fn emit_entry(a: &mut Assembler, trap_stubs: &[Label], tail_area: usize) -> Label {
    use Gpr::*;
    let vm = |off: i32| Mem::base(R15, off);
    let entry = a.new_label();
    let exit = a.new_label();
    let trap_common = a.new_label();
    a.bind(entry);
    a.push(Rbp);
    a.mov_rr(Size::S64, Rbp, Rsp);
    // `[rbp - 8]`: the calls left, where a compiled function's prologue
    // reads its caller's (see the frame layout in `codegen`).
    a.push_m(Mem::base(Rdi, vm::DEPTH_LEFT));
    for r in [Rbx, R12, R13, R14, R15] {
        a.push(r);
    }
    // `entry_sp` points at this thread's entry stack pointer, which every
    // context running on the thread shares: a trap in another instance's
    // code, called directly, unwinds to this entry through its own context.
    a.mov_rm(Size::S64, R8, Mem::base(Rdi, vm::ENTRY_SP));
    a.mov_rm(Size::S64, Rax, Mem::base(R8, 0));
    // This context (also keeping `rsp` 16-byte aligned), then the previous
    // entry stack pointer.
    a.push(Rdi);
    a.push(Rax);
    a.push(Rdx);
    a.push(Rcx);
    a.mov_mr(Size::S64, Mem::base(R8, 0), Rsp);
    a.mov_rr(Size::S64, R15, Rdi);
    a.mov_rm(Size::S64, R14, vm(vm::MEM_BASE));
    // The callee's incoming area: n slots, 16-byte aligned.
    a.lea(Size::S64, Rax, Mem::base_index(Rcx, Rcx, Scale::S1, 0));
    a.shift_ri(nanowasm_x64::Shift::Shl, Size::S64, Rax, 2);
    a.alu_ri(Alu::Add, Size::S64, Rax, 15);
    a.alu_ri(Alu::And, Size::S64, Rax, -16);
    if tail_area > 0 {
        // At least the module's tail-call area (`codegen::tail_area`).
        let big = a.new_label();
        a.alu_ri(Alu::Cmp, Size::S64, Rax, tail_area as i32);
        a.jcc_short(nanowasm_x64::Cond::Ae, big);
        a.mov_ri(Size::S64, Rax, tail_area as i64);
        a.bind(big);
    }
    a.alu_rr(Alu::Sub, Size::S64, Rsp, Rax);
    copy_slots(a, Rdx, Rsp);
    a.call_r(Rsi);
    a.mov_rm(Size::S64, Rax, vm(vm::ENTRY_SP));
    a.mov_rm(Size::S64, Rax, Mem::base(Rax, 0));
    a.mov_rm(Size::S64, Rcx, Mem::base(Rax, 0));
    a.mov_rm(Size::S64, Rdx, Mem::base(Rax, 8));
    copy_slots(a, Rsp, Rdx);
    a.alu_rr(Alu::Xor, Size::S32, Rax, Rax);
    a.bind(exit);
    a.mov_rm(Size::S64, R8, vm(vm::ENTRY_SP));
    a.mov_rm(Size::S64, Rsp, Mem::base(R8, 0));
    a.alu_ri(Alu::Add, Size::S64, Rsp, 16);
    a.pop(Rcx);
    a.mov_mr(Size::S64, Mem::base(R8, 0), Rcx);
    // The context, the saved registers, the calls left (both into the
    // scratch `rcx`), then `rbp`.
    for r in [Rcx, R15, R14, R13, R12, Rbx, Rcx, Rbp] {
        a.pop(r);
    }
    a.ret();
    // Trap stubs: `call stub` from a trap site.
    // The frames are walked (`record_trap`) before the exit unwinds them:
    // host code running after the entry returns reuses their stack.
    a.bind(trap_common);
    a.pop(Rsi);
    a.mov_rr(Size::S64, Rdx, Rbp);
    a.mov_rr(Size::S64, Rdi, R15);
    a.mov_rr(Size::S32, Rbx, Rax);
    a.alu_ri(Alu::And, Size::S64, Rsp, -16);
    a.call_m(vm(vm::RECORD_TRAP));
    a.mov_rr(Size::S32, Rax, Rbx);
    a.jmp_label(exit);
    for code in Code::TRAPS {
        a.bind(trap_stubs[code as usize]);
        a.mov_ri(Size::S32, Rax, code as i64);
        a.jmp_label(trap_common);
    }
    // Index 0 (`Code::Ok`) is never a trap; bind it anywhere harmless.
    a.bind(trap_stubs[0]);
    a.ud2();
    entry
}

/// Copies `rcx` 8-byte slots from `[src]` to `[dst]` (clobbers r8, r9).
fn copy_slots(a: &mut Assembler, src: Gpr, dst: Gpr) {
    use Gpr::*;
    let (head, test) = (a.new_label(), a.new_label());
    a.alu_rr(Alu::Xor, Size::S32, R9, R9);
    a.jmp_label(test);
    a.bind(head);
    a.mov_rm(Size::S64, R8, Mem::base_index(src, R9, Scale::S8, 0));
    a.mov_mr(Size::S64, Mem::base_index(dst, R9, Scale::S8, 0), R8);
    a.alu_ri(Alu::Add, Size::S64, R9, 1);
    a.bind(test);
    a.alu_rr(Alu::Cmp, Size::S64, R9, Rcx);
    a.jcc(nanowasm_x64::Cond::B, head);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An image of 1 MiB or more is mapped 2 MiB-aligned in whole 2 MiB
    /// pages (so the kernel can back it with huge pages), a smaller one in
    /// 4 KiB pages; either holds what was written into it.
    #[test]
    fn large_images_are_mapped_in_whole_aligned_huge_pages() {
        for size in [HUGE_IMAGE, 3 * HUGE_PAGE + 5] {
            let code = CodeMemory::build(size, |image| {
                for (i, b) in image.iter_mut().enumerate() {
                    *b = (i % 251) as u8;
                }
                Ok(())
            })
            .unwrap();
            assert_eq!(code.ptr as usize % HUGE_PAGE, 0);
            assert_eq!(code.len % HUGE_PAGE, 0);
            assert!(code.len >= size && code.len < size + HUGE_PAGE);
            assert_eq!(code.bytes().len(), size);
            assert!(code
                .bytes()
                .iter()
                .enumerate()
                .all(|(i, &b)| b == (i % 251) as u8));
        }
        let small = CodeMemory::build(100, |image| {
            image.fill(0xcc);
            Ok(())
        })
        .unwrap();
        assert_eq!(small.len, 4096);
        assert!(small.bytes().iter().all(|&b| b == 0xcc));
        // A failing fill unmaps what was mapped and reports its error.
        let err = CodeMemory::build(HUGE_IMAGE, |_| Err("no".into())).err();
        assert_eq!(err.as_deref(), Some("no"));
    }
}
