//! Compiled artifacts (`.cwasm`): `Module::serialize`, `nanowasm compile`,
//! and `Module::deserialize{,_file}`.
//!
//! Layout (little-endian):
//!
//! ```text
//! 0    magic "\0nwcwasm" (8 bytes; never a wasm binary's "\0asm")
//! 8    format version (u32)
//! 12   flags (u32): 1 fuel, 2 epochs, 4 compiled code present, 8 guard
//!      regions (its loads and stores rely on them)
//! 16   proposals (Features::bits, u32)
//! 20   CPU features the code needs (u32: 1 sse4.1, 2 popcnt, 4 lzcnt, 8 bmi1,
//!      16 avx2)
//! 24   nanowasm's version, zero-padded (16 bytes)
//! 40   wasm length (u64)
//! 48   metadata length (u64)
//! 56   code offset (u64, a multiple of the page size)
//! 64   code length (u64)
//! 72   CRC-32 of everything else: the header with this field zero, then
//!      every byte after the header (u32)
//! 76   zero (u32)
//! 80   the module's wasm bytes, the metadata, zero padding, the code
//! ```
//!
//! The code image is position-independent (every reference inside it is
//! RIP-relative, everything outside goes through the `VMContext`), so it is
//! used as it is: `deserialize_file` maps those pages of the file
//! read+execute, never writable. Nothing in it runs before all of it is
//! checked: a truncated, corrupted or mismatched artifact is an error. The
//! checksum is computed on other threads while the module is decoded (see
//! [`Parts::verified_while`]), and the loaded module's wasm and tables stay
//! in the mapped file.

use crate::prelude::*;
use alloc::sync::Arc;

use super::{u32_at, CodeMemory, CompiledModule};
use crate::error::Error;

const MAGIC: &[u8; 8] = b"\0nwcwasm";
const VERSION: u32 = 3;
const HEADER: usize = 80;
const PAGE: usize = 4096;
const FUEL: u32 = 1;
const EPOCH: u32 = 2;
const CODE: u32 = 4;
const GUARD: u32 = 8;
/// What the compiler's code always uses beyond x86-64's baseline.
const CPU_BASE: u32 = 0b1111;
/// AVX2, which code compiled with [`Config::avx2`](crate::Config::avx2)
/// on a CPU that has it uses.
const CPU_AVX2: u32 = 16;
/// Every CPU feature this build knows.
const CPU_KNOWN: u32 = CPU_BASE | CPU_AVX2;

/// Whether `bytes` start like an artifact (for the CLI's
/// `--allow-precompiled` and for a clear error from `Module::new`).
pub(crate) fn is_artifact(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

fn version_bytes() -> [u8; 16] {
    let mut v = [0u8; 16];
    let s = env!("CARGO_PKG_VERSION").as_bytes();
    let n = s.len().min(16);
    v[..n].copy_from_slice(&s[..n]);
    v
}

/// What the engine's configuration says compiled code must have been
/// compiled with.
fn engine_flags(config: &crate::Config) -> u32 {
    (if config.consume_fuel { FUEL } else { 0 })
        | (if config.epoch_interruption { EPOCH } else { 0 })
        | (if config.get_guard_regions() { GUARD } else { 0 })
}

/// The artifact of a module: its wasm, and its code if it was compiled.
pub(crate) fn serialize(
    config: &crate::Config,
    wasm: &[u8],
    code: Option<&CompiledModule>,
) -> Vec<u8> {
    let mut meta = Vec::new();
    let put = |meta: &mut Vec<u8>, v: u32| meta.extend_from_slice(&v.to_le_bytes());
    let image: &[u8] = match code {
        Some(c) => {
            put(&mut meta, c.entry as u32);
            put(&mut meta, c.end);
            put(&mut meta, c.num_imported);
            put(&mut meta, c.starts.len() as u32);
            for &s in &c.starts {
                put(&mut meta, s);
            }
            put(&mut meta, c.sites.len() as u32);
            meta.extend_from_slice(c.sites.bytes());
            put(&mut meta, c.oob_stub);
            put(&mut meta, c.faults.len() as u32);
            meta.extend_from_slice(c.faults.bytes());
            c.code.bytes()
        }
        None => &[],
    };
    let code_offset = (HEADER + wasm.len() + meta.len()).next_multiple_of(PAGE);
    let mut out = Vec::with_capacity(code_offset + image.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    let flags = engine_flags(config) | if code.is_some() { CODE } else { 0 };
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&config.get_features().bits().to_le_bytes());
    let cpu = CPU_BASE
        | if code.is_some_and(|c| c.avx2) {
            CPU_AVX2
        } else {
            0
        };
    out.extend_from_slice(&cpu.to_le_bytes());
    out.extend_from_slice(&version_bytes());
    for v in [wasm.len(), meta.len(), code_offset, image.len()] {
        out.extend_from_slice(&(v as u64).to_le_bytes());
    }
    out.extend_from_slice(&[0; 8]);
    debug_assert_eq!(out.len(), HEADER);
    out.extend_from_slice(wasm);
    out.extend_from_slice(&meta);
    out.resize(code_offset, 0);
    out.extend_from_slice(image);
    let crc = crc32fast::hash(&out);
    out[72..76].copy_from_slice(&crc.to_le_bytes());
    out
}

/// An artifact's parts, checked but for the checksum
/// ([`Parts::verified_while`]).
pub(crate) struct Parts<'a> {
    /// The whole artifact.
    bytes: &'a [u8],
    pub wasm: &'a [u8],
    pub meta: &'a [u8],
    /// Where the code is in the artifact, if it has code.
    pub code: Option<core::ops::Range<usize>>,
    /// The code relies on guard regions.
    guard: bool,
    /// The code uses AVX2.
    avx2: bool,
}

fn bad(why: impl core::fmt::Display) -> Error {
    Error::usage(format!("invalid compiled artifact: {why}"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// Checks `bytes` (a whole artifact) against this build and `config`:
/// magic, version, settings, CPU and lengths (the checksum is
/// [`Parts::verified_while`]'s).
pub(crate) fn check<'a>(config: &crate::Config, bytes: &'a [u8]) -> Result<Parts<'a>, Error> {
    if bytes.len() < HEADER || !is_artifact(bytes) {
        return Err(bad("not a nanowasm artifact, or truncated"));
    }
    let version = u32_at(bytes, 8);
    if version != VERSION || bytes[24..40] != version_bytes() {
        return Err(bad(format!(
            "made by another nanowasm version (format {version}); compile the module again"
        )));
    }
    let flags = u32_at(bytes, 12);
    if flags & (FUEL | EPOCH) != engine_flags(config) & (FUEL | EPOCH) {
        return Err(bad(
            "compiled with other fuel or epoch-interruption settings than this engine's",
        ));
    }
    if u32_at(bytes, 16) != config.get_features().bits() {
        return Err(bad(
            "compiled with other WebAssembly proposals than this engine's",
        ));
    }
    if flags & CODE != 0 {
        let cpu = u32_at(bytes, 20);
        if cpu & !CPU_KNOWN != 0 {
            return Err(bad("needs CPU features this nanowasm does not know"));
        }
        super::host_supported().map_err(|e| bad(format!("its code cannot run here: {e}")))?;
        if cpu & CPU_AVX2 != 0 && !crate::engine::cpu_has_avx2() {
            return Err(bad(
                "its code uses AVX2, which this CPU lacks (compile it with AVX2 off)",
            ));
        }
        if config.get_strategy() == crate::Strategy::Interpreter {
            return Err(bad(
                "it holds compiled code and this engine's strategy is the interpreter",
            ));
        }
        if flags & GUARD != engine_flags(config) & GUARD {
            return Err(bad(
                "compiled for other memory bounds checks (guard regions or explicit) than this engine's",
            ));
        }
    }
    let len = |at| usize::try_from(u64_at(bytes, at)).map_err(|_| bad("a length is too large"));
    let (wasm_len, meta_len, code_offset, code_len) = (len(40)?, len(48)?, len(56)?, len(64)?);
    let wasm_end = HEADER
        .checked_add(wasm_len)
        .ok_or_else(|| bad("lengths overflow"))?;
    let meta_end = wasm_end
        .checked_add(meta_len)
        .ok_or_else(|| bad("lengths overflow"))?;
    let code_end = code_offset
        .checked_add(code_len)
        .ok_or_else(|| bad("lengths overflow"))?;
    if code_offset < meta_end || code_offset % PAGE != 0 || code_end != bytes.len() {
        return Err(bad("truncated, or its sections do not fit"));
    }
    Ok(Parts {
        bytes,
        wasm: &bytes[HEADER..wasm_end],
        meta: &bytes[wasm_end..meta_end],
        code: (flags & CODE != 0).then_some(code_offset..code_end),
        guard: flags & GUARD != 0,
        avx2: u32_at(bytes, 20) & CPU_AVX2 != 0,
    })
}

/// How much of an artifact one thread checksums at a time.
const CHUNK: usize = 4 << 20;

impl Parts<'_> {
    /// Runs `load` (which decodes the artifact's parts and maps its code
    /// but runs none of it) while other threads checksum the artifact, then
    /// helps them; `load`'s result only if the checksum matches.
    ///
    /// Loading esbuild's artifact reads 47 MB: hashing it on one thread
    /// after decoding took longer than everything else together. The
    /// decoder takes any input (it is the one for untrusted modules, less
    /// the validation of function bodies), so running it before the
    /// checksum is known is safe; what it made is dropped on a mismatch.
    pub(crate) fn verified_while<T>(
        &self,
        load: impl FnOnce() -> Result<T, Error>,
    ) -> Result<T, Error> {
        use core::sync::atomic::{AtomicUsize, Ordering};
        use crc32fast::Hasher;
        let bytes = self.bytes;
        let chunks: Vec<&[u8]> = bytes[76..].chunks(CHUNK).collect();
        let next = AtomicUsize::new(0);
        let hash_chunks = || {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(chunk) = chunks.get(i) else {
                    return done;
                };
                let mut h = Hasher::new();
                h.update(chunk);
                done.push((i, h));
            }
        };
        let helpers = (super::cpus() - 1)
            .min(chunks.len().saturating_sub(1))
            .min(7);
        let (loaded, mut hashed) = std::thread::scope(|s| {
            let threads: Vec<_> = (0..helpers)
                .filter_map(|_| {
                    std::thread::Builder::new()
                        .spawn_scoped(s, hash_chunks)
                        .ok()
                })
                .collect();
            let loaded = load();
            let mut hashed = hash_chunks();
            for t in threads {
                match t.join() {
                    Ok(more) => hashed.extend(more),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            (loaded, hashed)
        });
        hashed.sort_unstable_by_key(|&(i, _)| i);
        let mut crc = Hasher::new();
        crc.update(&bytes[..72]);
        crc.update(&[0; 4]);
        for (_, h) in &hashed {
            crc.combine(h);
        }
        if hashed.len() != chunks.len() || crc.finalize() != u32_at(bytes, 72) {
            return Err(bad("checksum mismatch (the file is corrupted)"));
        }
        loaded
    }

    /// Where the wasm is in the artifact.
    pub(crate) fn wasm_range(&self) -> core::ops::Range<usize> {
        HEADER..HEADER + self.wasm.len()
    }

    /// The compiled module over `code` (the image, already executable),
    /// from the metadata `meta` (these parts' metadata, shared with its
    /// owner: its tables are used in place, not copied). The scalars are
    /// checked against the image; the tables' order is not checked again
    /// (the checksum covers them, and they are only searched).
    pub(crate) fn compiled(
        &self,
        code: CodeMemory,
        meta: nanowasm_binary::Bytes,
    ) -> Result<Arc<CompiledModule>, Error> {
        // The metadata: u32 scalars and arrays (n, then n items).
        let mut at = 0usize;
        let mut take = |words: usize| -> Result<core::ops::Range<usize>, Error> {
            let end = words
                .checked_mul(4)
                .and_then(|b| at.checked_add(b))
                .filter(|&end| end <= meta.len())
                .ok_or_else(|| bad("truncated metadata"))?;
            let r = at..end;
            at = end;
            Ok(r)
        };
        let words = |r: core::ops::Range<usize>| -> Vec<u32> {
            meta[r]
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect()
        };
        let head = words(take(4)?);
        let (entry, end, num_imported) = (head[0] as usize, head[1], head[2]);
        let starts = words(take(head[3] as usize)?);
        let n = words(take(1)?)[0] as usize;
        let sites = take(n.checked_mul(2).ok_or_else(|| bad("truncated metadata"))?)?;
        let tail = words(take(2)?);
        let oob_stub = tail[0];
        let n = tail[1] as usize;
        let faults = take(n.checked_mul(2).ok_or_else(|| bad("truncated metadata"))?)?;
        let table = |r| meta.slice(r).map(super::Pairs::from_bytes);
        let (sites, faults) = table(sites).zip(table(faults)).expect("taken from meta");
        let len = code.size;
        if entry >= len
            || end as usize > len
            || oob_stub as usize >= len
            || !starts.windows(2).all(|w| w[0] < w[1])
            || starts.last().is_some_and(|&s| s >= end)
        {
            return Err(bad("its metadata does not match its code"));
        }
        if !faults.is_empty() {
            super::signals::install();
        }
        Ok(Arc::new(CompiledModule {
            code,
            entry,
            starts,
            end,
            sites,
            num_imported,
            faults,
            oob_stub,
            guard: self.guard,
            avx2: self.avx2,
        }))
    }

    /// Where the metadata is in the artifact.
    pub(crate) fn meta_range(&self) -> core::ops::Range<usize> {
        let start = HEADER + self.wasm.len();
        start..start + self.meta.len()
    }
}

/// A whole file mapped read-only (the artifact's bytes for the checks,
/// without reading them into memory).
pub(crate) struct FileMap {
    ptr: *mut u8,
    len: usize,
}

impl FileMap {
    pub(crate) fn new(file: &std::fs::File) -> std::io::Result<FileMap> {
        use rustix::mm::{MapFlags, ProtFlags};
        let len = usize::try_from(file.metadata()?.len())
            .map_err(|_| std::io::Error::other("file too large"))?;
        if len == 0 {
            return Ok(FileMap {
                ptr: core::ptr::NonNull::dangling().as_ptr(),
                len: 0,
            });
        }
        // SAFETY: a fresh read-only private mapping of the whole file.
        let ptr = unsafe {
            rustix::mm::mmap(
                core::ptr::null_mut(),
                len,
                ProtFlags::READ,
                MapFlags::PRIVATE,
                file,
                0,
            )
        }?
        .cast::<u8>();
        Ok(FileMap { ptr, len })
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `len` readable bytes are mapped for the map's lifetime (a
        // dangling pointer with length 0 for an empty file).
        unsafe { core::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl AsRef<[u8]> for FileMap {
    fn as_ref(&self) -> &[u8] {
        self.bytes()
    }
}

// SAFETY: the mapping is read-only and private, so shared references to its
// bytes from any thread see memory that never changes (the caller of
// `deserialize_file` promises the file does not change), and unmapping in
// `drop` happens once, by whichever thread drops the last owner.
unsafe impl Send for FileMap {}
// SAFETY: as for `Send`: `&FileMap` only gives out `&[u8]` of immutable
// memory.
unsafe impl Sync for FileMap {}

impl Drop for FileMap {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: mapped by `new`, unmapped once; no slice outlives it.
            let _ = unsafe { rustix::mm::munmap(self.ptr.cast(), self.len) };
        }
    }
}
