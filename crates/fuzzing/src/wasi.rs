//! The oracle of the `wasi` fuzz target: WASI preview1 calls with arbitrary
//! arguments against a scratch directory.
//!
//! Each input is decoded into a [`Setup`] and a sequence of [`Op`]s. A run
//! ([`run`]) makes a fresh scratch directory inside a *jail*: a temporary
//! directory, made once per process, that also holds canaries the guest
//! must never reach (a file whose content is a random secret, a directory,
//! a symbolic link), while the scratch directory holds ordinary files plus
//! symbolic links that climb out of it (`..`, `../..`, the jail by absolute
//! path, `/`). The scratch directory is preopened (read-write or
//! read-only), with its subdirectory `d` as a second preopen. The calls go
//! through a small wasm module whose exports forward to the real
//! `wasi_snapshot_preview1` or `wasi_unstable` imports (so the ABI glue of
//! `nanowasm_wasi::add_to_linker` is exercised too), on a memory of 1 to 16
//! pages seeded from the input; ops in between write bytes, paths, `iovec`
//! arrays and `poll_oneoff` subscriptions into that memory, so that pointer
//! arguments often point at something meaningful.
//!
//! Checks, any failure a panic (a finding):
//!
//! - no panic, and every call returns a WASI `errno` (no host error, no
//!   trap; but the interrupt trap once the call's deadline,
//!   [`WasiCtx::set_deadline`], has passed, where waiting is allowed, see
//!   [`Deadline`]);
//! - nothing outside the scratch directory changes: the jail's listing,
//!   types, sizes, modes, link counts, modification times, link targets and
//!   file contents are the same after every input; the scratch directory
//!   itself is still there; with read-only preopens, nothing inside it
//!   changes either;
//! - the canary secret never shows up in guest memory or on the guest's
//!   standard output;
//! - host allocation is bounded per call: with [`CountingAlloc`] installed
//!   as the global allocator, an allocation larger than
//!   [`alloc_limit`]`(memory size)` (64 MiB plus twice the guest memory,
//!   plus 1 MiB of slack), or a growth of the live heap beyond it, during a
//!   call is refused, which aborts the process with "memory allocation of N
//!   bytes failed" (the old `fd_write` amplification, 131,064 `iovec`s
//!   each covering the whole memory, asked for gigabytes);
//! - no call takes longer than [`MAX_CALL`]: `poll_oneoff` clock
//!   subscriptions are rewritten to fire within 1 ms before the call
//!   (relative timeouts modulo 1 ms, absolute ones to the clock's current
//!   value plus that), standard input is a buffer or empty, and with a
//!   preopened socket (whose `sock_accept` rightly waits when no
//!   connection is pending) every call has a 20 ms deadline; the
//!   connections pending on it sent a few bytes and left;
//! - no host descriptor leaks: once the context is dropped the process has
//!   as many open descriptors as before.
//!
//! Files are capped by `RLIMIT_FSIZE` (64 MiB, `SIGXFSZ` ignored) so that
//! writes at huge offsets and `fd_allocate` cannot fill the disk; the jail
//! is on `/dev/shm` when there is one (the scratch directory is made and
//! removed for every input).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use arbitrary::{Result, Unstructured};
use nanowasm::wasi::{DirPerms, FilePerms, Stdio, WasiCtx};
use nanowasm::{Engine, InstancePre, Linker, Module, Store, TrapCode, Val};

// ---------------------------------------------------------------------------
// Allocation accounting.

/// A global allocator (over [`System`]) that counts, per thread, what is
/// allocated while a measurement ([`measure`]) is running, and refuses (a
/// null pointer, so the process aborts with "memory allocation of N bytes
/// failed") any allocation past the measurement's limit. Install it in the
/// binary that runs [`run`]:
///
/// ```ignore
/// #[global_allocator]
/// static ALLOC: nanowasm_fuzzing::wasi::CountingAlloc = nanowasm_fuzzing::wasi::CountingAlloc;
/// ```
///
/// Without it the allocation check is skipped (see [`counting`]).
pub struct CountingAlloc;

static INSTALLED: AtomicBool = AtomicBool::new(false);

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static LIMIT: Cell<usize> = const { Cell::new(usize::MAX) };
    /// Bytes allocated minus bytes freed by this thread since arming.
    static GROWTH: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
    static REFUSED: Cell<usize> = const { Cell::new(0) };
}

impl CountingAlloc {
    /// Whether a new block of `size` bytes, growing the live heap by
    /// `growth`, may be allocated; counts it if so.
    fn admit(size: usize, growth: usize) -> bool {
        if !INSTALLED.load(Ordering::Relaxed) {
            INSTALLED.store(true, Ordering::Relaxed);
        }
        if !ARMED.with(Cell::get) {
            return true;
        }
        let limit = LIMIT.with(Cell::get);
        let live = GROWTH.with(Cell::get).saturating_add(growth as isize);
        // After a refusal, small blocks pass, so that the panic or abort
        // that follows can print its message and backtrace.
        let small = size <= 1 << 16 && REFUSED.with(Cell::get) != 0;
        if (size > limit || live > limit as isize) && !small {
            REFUSED.with(|r| r.set(r.get().max(size)));
            return false;
        }
        GROWTH.with(|g| g.set(live));
        PEAK.with(|p| p.set(p.get().max(live)));
        LARGEST.with(|l| l.set(l.get().max(size)));
        true
    }

    fn freed(size: usize) {
        if ARMED.with(Cell::get) {
            GROWTH.with(|g| g.set(g.get().saturating_sub(size as isize)));
        }
    }
}

// SAFETY: every method forwards to `System` with the caller's layout and
// pointer unchanged; the bookkeeping around it touches only thread-locals
// with constant initializers (no allocation, no destructor).
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !Self::admit(layout.size(), layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded as is (see the impl).
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !Self::admit(layout.size(), layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded as is (see the impl).
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        Self::freed(layout.size());
        // SAFETY: forwarded as is (see the impl).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = layout.size();
        if !Self::admit(new_size, new_size.saturating_sub(old)) {
            return std::ptr::null_mut();
        }
        if new_size < old {
            Self::freed(old - new_size);
        }
        // SAFETY: forwarded as is (see the impl).
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Whether [`CountingAlloc`] is this process's global allocator (it has
/// seen an allocation).
pub fn counting() -> bool {
    drop(std::hint::black_box(Box::new(0u8)));
    INSTALLED.load(Ordering::Relaxed)
}

/// What one measured call allocated.
#[derive(Clone, Copy, Debug, Default)]
pub struct Allocated {
    /// The largest single block, in bytes.
    pub largest: usize,
    /// The highest growth of the live heap over the call, in bytes.
    pub peak: usize,
    /// The largest block refused (0: none), which a fallible allocation
    /// (`try_reserve`) survives.
    pub refused: usize,
}

/// Runs `f` with this thread's allocations counted and each one past
/// `limit` (as a block, or as the growth of the live heap) refused.
pub fn measure<R>(limit: usize, f: impl FnOnce() -> R) -> (R, Allocated) {
    GROWTH.with(|g| g.set(0));
    PEAK.with(|p| p.set(0));
    LARGEST.with(|l| l.set(0));
    LIMIT.with(|l| l.set(limit));
    REFUSED.with(|r| r.set(0));
    ARMED.with(|a| a.set(true));
    let r = f();
    ARMED.with(|a| a.set(false));
    let a = Allocated {
        largest: LARGEST.with(Cell::get),
        peak: PEAK.with(Cell::get).max(0) as usize,
        refused: REFUSED.with(Cell::get),
    };
    (r, a)
}

/// The most the host may allocate during one WASI call of a guest whose
/// memory is `memory` bytes: 64 MiB (the cap of a read buffer) plus two
/// copies of guest memory, plus 1 MiB of slack for bookkeeping.
pub fn alloc_limit(memory: usize) -> usize {
    (65 << 20) + 2 * memory
}

/// The longest one WASI call may take (every timeout the guest can ask
/// for is mapped to at most 1 ms; the rest is slack for a loaded machine).
pub const MAX_CALL: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------
// The calls.

/// Each function of `wasi_snapshot_preview1` but `proc_exit`, with the
/// roles of its parameters: `F` descriptor, `X` small integer or flags,
/// `O` output pointer, `W` 64-bit integer, `R` rights (i64), `P` path
/// (pointer, length), `I` `iovec` array (pointer, count), `B` buffer
/// (pointer, length), `S` subscriptions (in pointer, out pointer, count).
pub const FUNCS: &[(&str, &str)] = &[
    ("args_get", "OO"),
    ("args_sizes_get", "OO"),
    ("environ_get", "OO"),
    ("environ_sizes_get", "OO"),
    ("clock_res_get", "XO"),
    ("clock_time_get", "XWO"),
    ("fd_advise", "FWWX"),
    ("fd_allocate", "FWW"),
    ("fd_close", "F"),
    ("fd_datasync", "F"),
    ("fd_fdstat_get", "FO"),
    ("fd_fdstat_set_flags", "FX"),
    ("fd_fdstat_set_rights", "FRR"),
    ("fd_filestat_get", "FO"),
    ("fd_filestat_set_size", "FW"),
    ("fd_filestat_set_times", "FWWX"),
    ("fd_pread", "FIWO"),
    ("fd_prestat_get", "FO"),
    ("fd_prestat_dir_name", "FB"),
    ("fd_pwrite", "FIWO"),
    ("fd_read", "FIO"),
    ("fd_readdir", "FBWO"),
    ("fd_renumber", "FF"),
    ("fd_seek", "FWXO"),
    ("fd_sync", "F"),
    ("fd_tell", "FO"),
    ("fd_write", "FIO"),
    ("path_create_directory", "FP"),
    ("path_filestat_get", "FXPO"),
    ("path_filestat_set_times", "FXPWWX"),
    ("path_link", "FXPFP"),
    ("path_open", "FXPXRRXO"),
    ("path_readlink", "FPBO"),
    ("path_remove_directory", "FP"),
    ("path_rename", "FPFP"),
    ("path_symlink", "PFP"),
    ("path_unlink_file", "FP"),
    ("poll_oneoff", "SO"),
    ("proc_raise", "X"),
    ("sched_yield", ""),
    ("random_get", "B"),
    ("sock_accept", "FXO"),
    ("sock_recv", "FIXOO"),
    ("sock_send", "FIXO"),
    ("sock_shutdown", "FX"),
];

/// The wasm types of a role string.
fn wasm_params(roles: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    for r in roles.chars() {
        match r {
            'W' | 'R' => out.push("i64"),
            'P' | 'I' | 'B' => out.extend(["i32", "i32"]),
            'S' => out.extend(["i32", "i32", "i32"]),
            _ => out.push("i32"),
        }
    }
    out
}

/// The export of the shim that calls `name` of `wasi_unstable` (snapshot
/// 0, which has no `sock_accept`).
fn unstable_export(name: &str) -> Option<String> {
    (name != "sock_accept").then(|| format!("unstable:{name}"))
}

/// A module that imports every function of [`FUNCS`] from
/// `wasi_snapshot_preview1` and from `wasi_unstable`, and exports for each
/// a function forwarding to it (named as the function, and as
/// [`unstable_export`] says), plus its memory (1 to 16 pages).
fn shim_wat() -> String {
    let mut imports = String::new();
    let mut funcs = String::new();
    for (name, roles) in FUNCS {
        let params = wasm_params(roles);
        let ps = if params.is_empty() {
            String::new()
        } else {
            format!("(param {})", params.join(" "))
        };
        let gets: String = (0..params.len())
            .map(|i| format!("local.get {i} "))
            .collect();
        let modules = [
            (
                "wasi_snapshot_preview1",
                format!("p1_{name}"),
                Some(name.to_string()),
            ),
            ("wasi_unstable", format!("p0_{name}"), unstable_export(name)),
        ];
        for (module, id, export) in modules {
            let Some(export) = export else { continue };
            imports.push_str(&format!(
                "(import \"{module}\" \"{name}\" (func ${id} {ps} (result i32)))\n"
            ));
            funcs.push_str(&format!(
                "(func (export \"{export}\") {ps} (result i32) {gets}call ${id})\n"
            ));
        }
    }
    format!("(module\n{imports}(memory (export \"memory\") 1 16)\n{funcs})")
}

struct Shim {
    engine: Engine,
    pre: InstancePre<WasiCtx>,
}

fn shim() -> &'static Shim {
    static SHIM: OnceLock<Shim> = OnceLock::new();
    SHIM.get_or_init(|| {
        let wasm = nanowasm_text::parse_wat(&shim_wat()).expect("the WASI shim parses");
        let engine = Engine::default();
        let module = Module::new(&engine, &wasm).expect("the WASI shim is valid");
        let mut linker = Linker::<WasiCtx>::new(&engine);
        nanowasm::wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx)
            .expect("WASI functions are defined");
        let pre = linker
            .instantiate_pre(&module)
            .expect("every WASI import is defined");
        Shim { engine, pre }
    })
}

// ---------------------------------------------------------------------------
// Inputs.

/// How the clocks are granted.
#[derive(Clone, Copy, Debug)]
pub enum Clocks {
    /// Not granted.
    Denied,
    /// The host's.
    Host,
    /// The host's, truncated to this many microseconds (1 to 1000).
    Coarse(u64),
    /// Virtual time starting at this realtime value.
    Virtual(u64),
}

/// How `random_get` is granted.
#[derive(Clone, Copy, Debug)]
pub enum Random {
    /// Not granted.
    Denied,
    /// The host's source.
    Host,
    /// A seeded stream.
    Seeded(u64),
}

/// How the context is built.
#[derive(Clone, Debug)]
pub struct Setup {
    /// Memory size in 64 KiB pages (1 to 16).
    pub pages: u32,
    /// The seed of the memory's initial pseudo-random content (0: zeros).
    pub fill: u64,
    /// The scratch directory is preopened read-only (as fd 3, `.`).
    pub readonly: bool,
    /// Its subdirectory `d` is preopened read-only (as fd 4, `/sub`).
    pub sub_readonly: bool,
    /// Standard input: a buffer with these bytes, or empty (`Null`).
    pub stdin: Option<Vec<u8>>,
    /// Standard output and error: a buffer with this output limit, or
    /// `Null`.
    pub stdout_limit: Option<u64>,
    /// A line prefix on standard output.
    pub prefix: bool,
    /// The clock grant.
    pub clocks: Clocks,
    /// The random grant.
    pub random: Random,
    /// Program arguments.
    pub args: Vec<String>,
    /// Environment.
    pub env: Vec<(String, String)>,
    /// A preopened non-blocking TCP listener with this many connections
    /// waiting (each sent a few bytes and closed).
    pub listener: Option<u8>,
    /// Call `wasi_unstable` (snapshot 0) instead of
    /// `wasi_snapshot_preview1` (but for `sock_accept`, which snapshot 0
    /// lacks).
    pub unstable: bool,
    /// The deadline of each call ([`WasiCtx::set_deadline`]).
    pub deadline: Deadline,
}

/// The deadline set before each call.
#[derive(Clone, Copy, Debug)]
pub enum Deadline {
    /// None.
    None,
    /// A second later: never reached, since nothing may block (a call
    /// that ends with the interrupt trap is a finding).
    Far,
    /// 20 ms later, with a socket preopened: accepting and receiving may
    /// rightly wait (the guest's descriptors are blocking), so a call may
    /// end with the interrupt trap, once its deadline has passed.
    Soon,
    /// Now: every call that would wait ends with the interrupt trap, the
    /// one error a call may return.
    Past,
}

/// One step of a run.
#[derive(Clone, Debug)]
pub enum Op {
    /// Writes bytes into guest memory (clipped to the memory).
    Write {
        /// Where.
        at: u32,
        /// What.
        bytes: Vec<u8>,
    },
    /// Writes an `iovec` array of `count` entries, each `(ptr + i *
    /// stride, len)`, at `at` (clipped to the memory).
    Iovecs {
        /// Where the array goes.
        at: u32,
        /// Its entries.
        count: u32,
        /// The first buffer.
        ptr: u32,
        /// The distance between buffers.
        stride: u32,
        /// Every buffer's length.
        len: u32,
    },
    /// Calls a function of [`FUNCS`] with these arguments.
    Call {
        /// The function's index in [`FUNCS`].
        func: usize,
        /// Its arguments (their types must match).
        args: Vec<Val>,
    },
}

/// A whole input.
#[derive(Clone, Debug)]
pub struct Input {
    /// The context.
    pub setup: Setup,
    /// The steps.
    pub ops: Vec<Op>,
}

/// At most this many ops per input.
const MAX_OPS: usize = 64;

/// Path components the decoder builds paths from: the scratch
/// directory's entries, the links that climb out, and odd spellings.
const PARTS: &[&str] = &[
    "f",
    "d",
    "g",
    "e",
    ".",
    "..",
    "up",
    "upup",
    "canary",
    "abs",
    "root",
    "self",
    "loop",
    "dangling",
    "new",
    "n2",
    "back",
    "",
    "canary.txt",
    "canary_dir",
    "inner.txt",
    "etc",
    "passwd",
    "proc",
    "self/fd",
    "\u{e9}t\u{e9}",
    "a\0b",
    "..\\..",
];

/// A pointer into memory of `mem` bytes with room for `room` bytes, or an
/// edge or wild value.
fn pointer(u: &mut Unstructured<'_>, mem: u32, room: u32) -> Result<u32> {
    Ok(match u.int_in_range(0..=15u8)? {
        0 => u.arbitrary()?,
        1 => mem.saturating_sub(u.int_in_range(0..=8)?),
        2 => 0,
        _ => {
            let top = mem.saturating_sub(room.min(mem));
            u.int_in_range(0..=top)?
        }
    })
}

/// Where recent ops put things, for arguments to point at.
#[derive(Default)]
struct Recent {
    paths: Vec<(u32, u32)>,
    iovecs: Vec<(u32, u32)>,
    subs: Vec<(u32, u32)>,
}

fn pick(u: &mut Unstructured<'_>, v: &[(u32, u32)]) -> Result<Option<(u32, u32)>> {
    if v.is_empty() || u.ratio(1, 8)? {
        return Ok(None);
    }
    Ok(Some(v[v.len() - 1 - u.choose_index(v.len().min(4))?]))
}

fn small_or_wild_i32(u: &mut Unstructured<'_>) -> Result<i32> {
    Ok(if u.ratio(3, 4)? {
        u.int_in_range(0..=9)?
    } else {
        u.arbitrary()?
    })
}

fn wide(u: &mut Unstructured<'_>) -> Result<i64> {
    Ok(match u.int_in_range(0..=7u8)? {
        0 => u.arbitrary()?,
        1 => *u.choose(&[-1, i64::MAX, i64::MIN, 1 << 32, 1 << 40, (1 << 31) - 1])?,
        _ => u.int_in_range(0..=8192)?,
    })
}

fn rights(u: &mut Unstructured<'_>) -> Result<i64> {
    use nanowasm::wasi::ctx::rights::*;
    Ok(match u.int_in_range(0..=6u8)? {
        0 => -1,
        1 => 0,
        2 => FILE as i64,
        3 => DIRECTORY as i64,
        4 => (FILE | DIRECTORY) as i64,
        5 => 1 << u.int_in_range(0..=29)?,
        _ => u.arbitrary()?,
    })
}

impl Input {
    /// Decodes an input (the fuzzer's bytes).
    pub fn decode(u: &mut Unstructured<'_>) -> Result<Input> {
        let pages = u.int_in_range(1..=16)?;
        let mem = pages * 65536;
        let short_string = |u: &mut Unstructured<'_>| -> Result<String> {
            let len = u.int_in_range(0..=12)?;
            Ok(String::from_utf8_lossy(u.bytes(len)?).into_owned())
        };
        let setup = Setup {
            pages,
            fill: if u.arbitrary()? { u.arbitrary()? } else { 0 },
            readonly: u.ratio(1, 3)?,
            sub_readonly: u.ratio(1, 3)?,
            stdin: if u.arbitrary()? {
                let len = u.int_in_range(0..=64)?;
                Some(u.bytes(len)?.to_vec())
            } else {
                None
            },
            stdout_limit: if u.arbitrary()? {
                Some(u.int_in_range(0..=65536)?)
            } else {
                None
            },
            prefix: u.arbitrary()?,
            clocks: match u.int_in_range(0..=3u8)? {
                0 => Clocks::Denied,
                1 => Clocks::Host,
                2 => Clocks::Coarse(u.int_in_range(1..=1000)?),
                _ => Clocks::Virtual(u.arbitrary()?),
            },
            random: match u.int_in_range(0..=2u8)? {
                0 => Random::Denied,
                1 => Random::Host,
                _ => Random::Seeded(u.arbitrary()?),
            },
            args: {
                let n = u.int_in_range(0..=3)?;
                (0..n).map(|_| short_string(u)).collect::<Result<_>>()?
            },
            env: {
                let n = u.int_in_range(0..=2)?;
                (0..n)
                    .map(|_| Ok((short_string(u)?, short_string(u)?)))
                    .collect::<Result<_>>()?
            },
            listener: if u.ratio(1, 8)? {
                Some(u.int_in_range(0..=2)?)
            } else {
                None
            },
            unstable: u.ratio(1, 4)?,
            deadline: match u.int_in_range(0..=3u8)? {
                0 => Deadline::Far,
                1 => Deadline::Past,
                _ => Deadline::None,
            },
        };
        let setup = Setup {
            deadline: match setup.deadline {
                Deadline::Past => Deadline::Past,
                _ if setup.listener.is_some() => Deadline::Soon,
                d => d,
            },
            ..setup
        };
        let mut ops = Vec::new();
        let mut recent = Recent::default();
        while ops.len() < MAX_OPS && !u.is_empty() {
            let op = match u.int_in_range(0..=15u8)? {
                0 => {
                    let len = u.int_in_range(0..=64)?;
                    let bytes = u.bytes(len)?.to_vec();
                    Op::Write {
                        at: pointer(u, mem, len as u32)?,
                        bytes,
                    }
                }
                1 | 2 => {
                    let bytes = path(u)?;
                    let at = pointer(u, mem, bytes.len() as u32)?;
                    recent.paths.push((at, bytes.len() as u32));
                    Op::Write { at, bytes }
                }
                3 => {
                    let op = match u.int_in_range(0..=3u8)? {
                        // The amplification shape: as many entries as fit
                        // before a small tail, each the whole memory.
                        0 => {
                            let tail = u.int_in_range(0..=8)? * 8;
                            Op::Iovecs {
                                at: 0,
                                count: (mem - tail) / 8,
                                ptr: 0,
                                stride: 0,
                                len: mem,
                            }
                        }
                        k => {
                            let (count, len) = if k == 1 {
                                (u.int_in_range(0..=mem / 8)?, u.arbitrary()?)
                            } else {
                                (u.int_in_range(0..=16)?, u.int_in_range(0..=4096)?)
                            };
                            Op::Iovecs {
                                at: pointer(u, mem, count * 8)?,
                                count,
                                ptr: pointer(u, mem, len)?,
                                stride: if u.arbitrary()? {
                                    u.int_in_range(0..=64)?
                                } else {
                                    len
                                },
                                len,
                            }
                        }
                    };
                    if let Op::Iovecs { at, count, .. } = op {
                        recent.iovecs.push((at, count));
                    }
                    op
                }
                4 => {
                    let n = u.int_in_range(1..=4)?;
                    let mut bytes = Vec::new();
                    for _ in 0..n {
                        bytes.extend(subscription(u, layout(setup.unstable))?);
                    }
                    let at = pointer(u, mem, bytes.len() as u32)?;
                    recent.subs.push((at, n));
                    Op::Write { at, bytes }
                }
                _ => {
                    let func = u.choose_index(FUNCS.len())?;
                    let args = arguments(u, FUNCS[func].1, mem, &recent)?;
                    Op::Call { func, args }
                }
            };
            ops.push(op);
        }
        Ok(Input { setup, ops })
    }
}

fn path(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    Ok(match u.int_in_range(0..=15u8)? {
        0 => {
            let len = u.int_in_range(0..=32)?;
            u.bytes(len)?.to_vec()
        }
        1 => vec![b'a'; u.int_in_range(250..=5000)?],
        _ => {
            let n = u.int_in_range(1..=4)?;
            let mut s = String::new();
            if u.ratio(1, 16)? {
                s.push('/');
            }
            for i in 0..n {
                if i > 0 {
                    s.push('/');
                }
                s.push_str(u.choose(PARTS)?);
            }
            if u.ratio(1, 8)? {
                s.push('/');
            }
            s.into_bytes()
        }
    })
}

/// Where a subscription's clock fields are: its size and the offset of
/// the clock id (the timeout is 8 bytes further, the flags 24):
/// `wasi_snapshot_preview1` or `wasi_unstable` (which has an extra
/// `identifier: u64` first).
fn layout(unstable: bool) -> (usize, usize) {
    if unstable {
        (56, 24)
    } else {
        (48, 16)
    }
}

/// A `subscription` (laid out as `layout`): mostly clocks (ids 0 to 3, or
/// wild) and reads or writes of small descriptors.
fn subscription(u: &mut Unstructured<'_>, (size, c): (usize, usize)) -> Result<Vec<u8>> {
    let mut s = vec![0u8; size];
    s[0..8].copy_from_slice(&u.arbitrary::<u64>()?.to_le_bytes());
    let tag: u8 = match u.int_in_range(0..=7u8)? {
        0..=3 => 0,
        4 | 5 => 1,
        6 => 2,
        _ => u.arbitrary()?,
    };
    s[8] = tag;
    if tag == 0 {
        let id: u32 = if u.ratio(7, 8)? {
            u.int_in_range(0..=3)?
        } else {
            u.arbitrary()?
        };
        s[c..c + 4].copy_from_slice(&id.to_le_bytes());
        s[c + 8..c + 16].copy_from_slice(&u.arbitrary::<u64>()?.to_le_bytes());
        s[c + 16..c + 24].copy_from_slice(&u.arbitrary::<u64>()?.to_le_bytes());
        let flags: u16 = if u.arbitrary()? { 1 } else { u.arbitrary()? };
        s[c + 24..c + 26].copy_from_slice(&flags.to_le_bytes());
    } else {
        let fd = small_or_wild_i32(u)?;
        s[16..20].copy_from_slice(&fd.to_le_bytes());
    }
    Ok(s)
}

fn arguments(u: &mut Unstructured<'_>, roles: &str, mem: u32, recent: &Recent) -> Result<Vec<Val>> {
    let mut args = Vec::new();
    let i32v = |v: u32| Val::I32(v as i32);
    for r in roles.chars() {
        match r {
            'F' => args.push(Val::I32(small_or_wild_i32(u)?)),
            'X' => args.push(Val::I32(small_or_wild_i32(u)?)),
            'O' => args.push(i32v(pointer(u, mem, 64)?)),
            'W' => args.push(Val::I64(wide(u)?)),
            'R' => args.push(Val::I64(rights(u)?)),
            'P' | 'I' | 'B' => {
                let list = match r {
                    'P' => &recent.paths[..],
                    'I' => &recent.iovecs[..],
                    _ => &[][..],
                };
                let (p, n) = match pick(u, list)? {
                    Some(x) => x,
                    None if r == 'B' && u.ratio(7, 8)? => {
                        let len = if u.arbitrary()? {
                            u.int_in_range(0..=256)?
                        } else {
                            u.int_in_range(0..=mem)?
                        };
                        (pointer(u, mem, len)?, len)
                    }
                    None => (pointer(u, mem, 0)?, u.arbitrary()?),
                };
                args.extend([i32v(p), i32v(n)]);
            }
            'S' => {
                let (p, n) = match pick(u, &recent.subs)? {
                    Some(x) => x,
                    None => (pointer(u, mem, 56)?, u.arbitrary()?),
                };
                let out = pointer(u, mem, n.saturating_mul(32))?;
                args.extend([i32v(p), i32v(out), i32v(n)]);
            }
            _ => unreachable!("role {r}"),
        }
    }
    Ok(args)
}

// ---------------------------------------------------------------------------
// The jail.

/// What a directory tree looks like, by relative path: type, size, mode,
/// link count, modification time, inode, link target, a hash of the
/// content of small files.
type Snapshot = BTreeMap<PathBuf, String>;

fn snapshot(root: &Path, skip: &dyn Fn(&Path) -> bool) -> Snapshot {
    fn walk(root: &Path, rel: &Path, skip: &dyn Fn(&Path) -> bool, out: &mut Snapshot) {
        let Ok(entries) = std::fs::read_dir(root.join(rel)) else {
            return;
        };
        for e in entries.flatten() {
            let rel = rel.join(e.file_name());
            if skip(&rel) {
                continue;
            }
            let full = root.join(&rel);
            let Ok(m) = std::fs::symlink_metadata(&full) else {
                out.insert(rel, "vanished".into());
                continue;
            };
            let mut desc = format!(
                "{:?} len={} mode={:o} nlink={} mtime={}.{} ino={}",
                m.file_type(),
                m.len(),
                m.mode(),
                m.nlink(),
                m.mtime(),
                m.mtime_nsec(),
                m.ino()
            );
            if m.file_type().is_symlink() {
                desc += &format!(" -> {:?}", std::fs::read_link(&full).ok());
            } else if m.is_file() && m.len() <= 1 << 16 {
                desc += &format!(
                    " hash={:x}",
                    hash(&std::fs::read(&full).unwrap_or_default())
                );
            }
            out.insert(rel.clone(), desc);
            if m.is_dir() {
                walk(root, &rel, skip, out);
            }
        }
    }
    let mut out = Snapshot::new();
    walk(root, Path::new(""), skip, &mut out);
    out
}

fn hash(bytes: &[u8]) -> u64 {
    // FNV-1a.
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

struct Jail {
    dir: PathBuf,
    /// The canary file's content, a per-process secret.
    secret: Vec<u8>,
    /// The jail, scratch directories left out.
    before: Snapshot,
}

fn is_scratch(rel: &Path) -> bool {
    rel.components().count() >= 1
        && rel
            .components()
            .next()
            .is_some_and(|c| c.as_os_str().to_string_lossy().starts_with("scratch-"))
}

static JAIL: OnceLock<Jail> = OnceLock::new();

/// Removes the jail when the process exits.
extern "C" fn remove_jail() {
    if let Some(j) = JAIL.get() {
        let _ = std::fs::remove_dir_all(&j.dir);
    }
}

fn jail() -> &'static Jail {
    JAIL.get_or_init(|| {
        limit_file_size();
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            ^ (u64::from(std::process::id()) << 32);
        // tmpfs if there is one: the scratch directory is made and removed
        // for every input.
        let shm = Path::new("/dev/shm");
        let tmp = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = tmp.join(format!("nanowasm-wasi-fuzz-{seed:x}"));
        let _ = std::fs::remove_dir_all(&dir);
        let mk = |r: std::io::Result<()>| r.expect("cannot set up the fuzzing jail");
        mk(std::fs::create_dir_all(dir.join("canary_dir/sub")));
        let secret = format!(
            "nanowasm-canary-{:016x}{:016x}",
            seed,
            hash(&seed.to_le_bytes())
        )
        .into_bytes();
        mk(std::fs::write(dir.join("canary.txt"), &secret));
        mk(std::fs::write(dir.join("canary_dir/inner.txt"), &secret));
        mk(std::os::unix::fs::symlink("canary.txt", dir.join("link")));
        let before = snapshot(&dir, &is_scratch);
        // SAFETY: registers a function with the C signature `atexit`
        // expects; it only reads a `OnceLock` and removes a directory.
        unsafe { libc::atexit(remove_jail) };
        Jail {
            dir,
            secret,
            before,
        }
    })
}

/// Caps the size of files this process writes at 64 MiB and makes an
/// attempt past it fail with `EFBIG` instead of killing the process.
fn limit_file_size() {
    let lim = libc::rlimit {
        rlim_cur: 64 << 20,
        rlim_max: 64 << 20,
    };
    // SAFETY: plain system calls with valid arguments; ignoring SIGXFSZ
    // only turns the signal into an `EFBIG` error.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        libc::setrlimit(libc::RLIMIT_FSIZE, &lim);
    }
}

/// A fresh scratch directory in the jail: files `f` and `d/g`, empty
/// directory `e`, and symbolic links in and out.
fn scratch(jail: &Jail) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let s = jail
        .dir
        .join(format!("scratch-{}", N.fetch_add(1, Ordering::Relaxed)));
    let _ = std::fs::remove_dir_all(&s);
    let mk = |r: std::io::Result<()>| r.expect("cannot set up a scratch directory");
    mk(std::fs::create_dir_all(s.join("d")));
    mk(std::fs::create_dir(s.join("e")));
    mk(std::fs::write(s.join("f"), b"hello, world\n"));
    mk(std::fs::write(s.join("d/g"), b"g\n"));
    use std::os::unix::fs::symlink;
    mk(symlink("../f", s.join("d/back")));
    mk(symlink("..", s.join("up")));
    mk(symlink("../..", s.join("upup")));
    mk(symlink("../canary.txt", s.join("canary")));
    mk(symlink(jail.dir.join("canary_dir"), s.join("abs")));
    mk(symlink("/", s.join("root")));
    mk(symlink(".", s.join("self")));
    mk(symlink("loop", s.join("loop")));
    mk(symlink("nowhere", s.join("dangling")));
    s
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// Whether `needle` occurs in `hay`, by a rolling hash (so that the
/// fuzzer's comparison tracing does not learn the secret from a `memcmp`).
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    const B: u64 = 257;
    let n = needle.len();
    if n == 0 || hay.len() < n {
        return false;
    }
    let roll = |s: &[u8]| {
        s.iter()
            .fold(0u64, |h, &b| h.wrapping_mul(B).wrapping_add(b as u64))
    };
    let target = roll(needle);
    let top = (0..n - 1).fold(1u64, |p, _| p.wrapping_mul(B));
    let mut h = roll(&hay[..n]);
    for i in 0..=hay.len() - n {
        if h == target && hay[i..i + n] == *needle {
            return true;
        }
        if i + n < hay.len() {
            h = h
                .wrapping_sub((hay[i] as u64).wrapping_mul(top))
                .wrapping_mul(B)
                .wrapping_add(hay[i + n] as u64);
        }
    }
    false
}

// ---------------------------------------------------------------------------
// Running.

/// Fuzzer bytes → an [`Input`] → [`run`].
pub fn wasi(data: &[u8]) {
    let mut u = Unstructured::new(data);
    if let Ok(input) = Input::decode(&mut u) {
        run(&input);
    }
}

/// The current value of WASI clock `id` (0 realtime, 1 monotonic, 2
/// process CPU time, 3 thread CPU time) in nanoseconds.
fn clock_now(id: u32) -> u64 {
    let clock = match id {
        0 => libc::CLOCK_REALTIME,
        1 => libc::CLOCK_MONOTONIC,
        2 => libc::CLOCK_PROCESS_CPUTIME_ID,
        _ => libc::CLOCK_THREAD_CPUTIME_ID,
    };
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// Rewrites the clock subscriptions among the `n` at `at` to fire within
/// 1 ms (relative timeouts modulo 1 ms; absolute ones at the clock's
/// current value plus that, unless the clocks are virtual, which never
/// sleep); with a socket preopened, the first subscription becomes a
/// clock so that the call cannot wait on the socket for good.
fn tame_subscriptions(
    mem: &mut [u8],
    at: u32,
    n: u32,
    (size, c): (usize, usize),
    clocks: Clocks,
    socket: bool,
) {
    let Some(len) = n.checked_mul(size as u32) else {
        return;
    };
    let start = at as usize;
    let Some(subs) = mem.get_mut(start..start + len as usize) else {
        return;
    };
    if subs.is_empty() {
        return;
    }
    if socket && !subs.chunks_exact(size).any(|s| s[8] == 0) {
        subs[8] = 0;
    }
    for s in subs.chunks_exact_mut(size) {
        if s[8] != 0 {
            continue;
        }
        let id = u32::from_le_bytes(s[c..c + 4].try_into().unwrap());
        let timeout = u64::from_le_bytes(s[c + 8..c + 16].try_into().unwrap()) % 1_000_000;
        let absolute = s[c + 24] & 1 != 0;
        let timeout = match (absolute, clocks) {
            (true, Clocks::Virtual(_)) => continue,
            (true, _) => clock_now(id).saturating_add(timeout),
            (false, _) => timeout,
        };
        s[c + 8..c + 16].copy_from_slice(&timeout.to_le_bytes());
    }
}

fn context(setup: &Setup, scratch: &Path) -> (WasiCtx, Option<Arc<Mutex<Vec<u8>>>>) {
    let mut b = WasiCtx::builder();
    let perms = |readonly: bool| {
        if readonly {
            (DirPerms::READ, FilePerms::READ)
        } else {
            (DirPerms::all(), FilePerms::all())
        }
    };
    let (dir, file) = perms(setup.readonly);
    let (sub_dir, sub_file) = perms(setup.sub_readonly);
    b.preopened_dir(scratch, ".", dir, file).preopened_dir(
        scratch.join("d"),
        "/sub",
        sub_dir,
        sub_file,
    );
    if let Some(bytes) = &setup.stdin {
        b.stdin(Stdio::buffer(bytes.clone()).0);
    }
    let mut out = None;
    if let Some(limit) = setup.stdout_limit {
        let (s, buf) = Stdio::buffer(Vec::new());
        b.stdout(s.clone()).stderr(s).output_limit(limit);
        out = Some(buf);
    }
    if setup.prefix {
        b.stdout_prefix("[guest] ");
    }
    match setup.clocks {
        Clocks::Denied => b.allow_clocks(false),
        Clocks::Host => b.allow_clocks(true),
        Clocks::Coarse(us) => b.coarse_clocks(Duration::from_micros(us)),
        Clocks::Virtual(start) => b.virtual_clocks(start),
    };
    match setup.random {
        Random::Denied => b.allow_random(false),
        Random::Host => b.allow_random(true),
        Random::Seeded(seed) => b.seeded_random(seed),
    };
    b.args(setup.args.iter().cloned());
    for (k, v) in &setup.env {
        b.env(k.clone(), v.clone());
    }
    if let Some(pending) = setup.listener {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback listener");
        let addr = l.local_addr().expect("the listener's address");
        for i in 0..pending {
            use std::io::Write;
            let mut c = std::net::TcpStream::connect(addr).expect("a loopback connection");
            let _ = c.write_all(&[b'a' + i; 5]);
        }
        l.set_nonblocking(true).expect("a non-blocking listener");
        b.preopened_listener(l);
    }
    (b.build().expect("the scratch directory opens"), out)
}

/// Runs one input and checks it (see the module documentation); panics on
/// a finding.
pub fn run(input: &Input) {
    // One run at a time per process: the descriptor count is per process.
    static ONE: Mutex<()> = Mutex::new(());
    let _one = ONE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let jail = jail();
    let setup = &input.setup;
    let fds_before = open_fds();
    let scratch = scratch(jail);
    let scratch_ino = std::fs::metadata(&scratch).map(|m| m.ino()).ok();
    // What a read-only preopen protects: everything, or everything but the
    // read-write `d`.
    let protected = setup.readonly.then(|| {
        let sub_rw = !setup.sub_readonly;
        let skip = move |rel: &Path| sub_rw && rel.starts_with("d");
        (snapshot(&scratch, &skip), skip)
    });
    let socket = setup.listener.is_some();
    let (ctx, stdout) = context(setup, &scratch);
    let shim = shim();
    let mut store = Store::new(&shim.engine, ctx);
    let instance = shim
        .pre
        .instantiate(&mut store)
        .expect("the WASI shim instantiates");
    let memory = instance
        .get_memory(&store, "memory")
        .expect("the shim exports its memory");
    memory
        .grow(&mut store, u64::from(setup.pages - 1))
        .expect("the memory grows to 16 pages");
    if setup.fill != 0 {
        let mut x = setup.fill | 1;
        for chunk in memory
            .data_mut(&mut store)
            .expect("the store owns the memory")
            .chunks_mut(8)
        {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            let v = x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    let mem_len = memory
        .data(&store)
        .expect("the store owns the memory")
        .len();
    let funcs: Vec<_> = FUNCS
        .iter()
        .map(|(name, _)| {
            let export = match setup.unstable {
                true => unstable_export(name).unwrap_or_else(|| name.to_string()),
                false => name.to_string(),
            };
            instance
                .get_func(&store, &export)
                .expect("the shim exports it")
        })
        .collect();
    let counted = counting();
    // Whether a call that can copy file contents into memory succeeded
    // (only then is memory searched for the canary's secret).
    let mut read_something = false;
    for op in &input.ops {
        match op {
            Op::Write { at, bytes } => {
                let mem = memory
                    .data_mut(&mut store)
                    .expect("the store owns the memory");
                let at = (*at as usize).min(mem.len());
                let n = bytes.len().min(mem.len() - at);
                mem[at..at + n].copy_from_slice(&bytes[..n]);
            }
            Op::Iovecs {
                at,
                count,
                ptr,
                stride,
                len,
            } => {
                let mem = memory
                    .data_mut(&mut store)
                    .expect("the store owns the memory");
                let mut at = *at as usize;
                for i in 0..*count {
                    let Some(e) = mem.get_mut(at..at + 8) else {
                        break;
                    };
                    let p = ptr.wrapping_add(i.wrapping_mul(*stride));
                    e[..4].copy_from_slice(&p.to_le_bytes());
                    e[4..].copy_from_slice(&len.to_le_bytes());
                    at += 8;
                }
            }
            Op::Call { func, args } => {
                let (name, _) = FUNCS[*func];
                if name == "poll_oneoff" {
                    let arg = |i: usize| args[i].i32().unwrap_or(0) as u32;
                    let clocks = setup.clocks;
                    tame_subscriptions(
                        memory
                            .data_mut(&mut store)
                            .expect("the store owns the memory"),
                        arg(0),
                        arg(2),
                        layout(setup.unstable),
                        clocks,
                        socket,
                    );
                }
                let deadline = match setup.deadline {
                    Deadline::None => None,
                    Deadline::Far => Some(Instant::now() + Duration::from_secs(1)),
                    Deadline::Soon => Some(Instant::now() + Duration::from_millis(20)),
                    Deadline::Past => Some(Instant::now()),
                };
                store.data_mut().set_deadline(deadline);
                let mut results = [Val::I32(0)];
                let started = Instant::now();
                let (r, allocated) = measure(alloc_limit(mem_len), || {
                    funcs[*func].call(&mut store, args, &mut results)
                });
                let took = started.elapsed();
                let reads = matches!(name, "fd_read" | "fd_pread" | "sock_recv");
                match r {
                    Ok(()) => {
                        let errno = results[0].i32().unwrap_or(-1);
                        read_something |= errno == 0 && reads;
                        assert!(
                            (0..=76).contains(&errno),
                            "{name}{args:?} returned {errno}, not an errno"
                        );
                    }
                    Err(e)
                        if matches!(setup.deadline, Deadline::Past | Deadline::Soon)
                            && e.trap_code() == Some(TrapCode::Interrupted)
                            && deadline.is_some_and(|d| Instant::now() >= d) =>
                    {
                        // A partial read may have landed before the trap.
                        read_something |= reads;
                    }
                    Err(e) => panic!("{name}{args:?} failed on the host: {e}"),
                }
                assert!(
                    took <= MAX_CALL,
                    "{name}{args:?} took {took:?} (every timeout was at most 1 ms)"
                );
                // `measure` refuses anything past the limit; this catches
                // a limit that was not armed.
                assert!(
                    !counted
                        || (allocated.largest <= alloc_limit(mem_len)
                            && allocated.peak <= alloc_limit(mem_len)),
                    "{name}{args:?} allocated {allocated:?} with {mem_len} bytes of guest memory"
                );
            }
        }
    }
    let leaked_memory = read_something
        && contains(
            memory.data(&store).expect("the store owns the memory"),
            &jail.secret,
        );
    drop(store);
    let leaked_out = stdout.is_some_and(|b| contains(&b.lock().unwrap(), &jail.secret));
    assert!(
        !leaked_memory && !leaked_out,
        "the canary outside the scratch directory was read (memory: {leaked_memory}, stdout: {leaked_out})"
    );
    if let Some((before, skip)) = protected {
        let after = snapshot(&scratch, &skip);
        assert!(
            before == after,
            "a read-only preopen changed:\n{}",
            diff(&before, &after)
        );
    }
    let now_ino = std::fs::metadata(&scratch).map(|m| m.ino()).ok();
    assert_eq!(now_ino, scratch_ino, "the preopened directory itself moved");
    let after = snapshot(&jail.dir, &is_scratch);
    assert!(
        jail.before == after,
        "the jail outside the scratch directory changed:\n{}",
        diff(&jail.before, &after)
    );
    let _ = std::fs::remove_dir_all(&scratch);
    let fds_after = open_fds();
    assert!(
        fds_after <= fds_before,
        "{} host descriptors leaked",
        fds_after - fds_before
    );
}

fn diff(a: &Snapshot, b: &Snapshot) -> String {
    let mut out = String::new();
    for (k, v) in a {
        if b.get(k) != Some(v) {
            out += &format!("- {} {v}\n", k.display());
        }
    }
    for (k, v) in b {
        if a.get(k) != Some(v) {
            out += &format!("+ {} {v}\n", k.display());
        }
    }
    out
}
