//! Noisy neighbours: the call latency of well-behaved nanoprocesses while
//! one misbehaving tenant runs beside them, one fault class at a time.
//!
//! ```text
//! cargo run --release -p nanowasm-host --example noisy -- \
//!     [--tenants 1000] [--fault all|CLASS[,CLASS...]] \
//!     [--secs 5] [--workers N] [--work serve|echo] [--max-open-files N]
//! ```
//!
//! (`CLASS`: `memory`, `output`, `cpu`, `blocking`, `reentrancy`,
//! `descriptors`; `--max-open-files` sets the descriptor hog's
//! `limits.max_open_files`, where the manifest has that setting.)
//!
//! One [`System`] holds every tenant kind, so all share one engine (with
//! fuel metering and epoch deadlines on, as any multi-tenant host with
//! limits has them) and one host process (memory map, descriptor table,
//! standard streams). `--tenants` well-behaved nanoprocesses are copies
//! of the `well` process made with [`nanowasm_host::Template::instantiate`],
//! as in the `density` example. `--workers` threads (default: one fewer
//! than the cores, so that a misbehaving tenant has a core of its own and
//! what is measured is interference through the runtime and the host
//! process, not CPU oversubscription) call them round-robin, each over its
//! own share, as fast as they can (closed loop). Each call is timed with
//! `Instant`; the samples are kept in a `Vec` and sorted, so the
//! percentiles are exact. A call that fails, or returns a wrong answer, is
//! an error; the failed tenant is instantiated again.
//!
//! The default call, `serve(string) -> i32`, copies a short string into
//! the tenant, which then opens, reads and closes a 512-byte file in its
//! read-only directory grant (so that descriptor exhaustion is visible);
//! `--work echo` calls `echo(string) -> string` instead (pure copying).
//!
//! Scenarios (each `--secs` long): a baseline with nobody misbehaving,
//! then, for each fault class, one misbehaving tenant driven by its own
//! thread, called again after every failure and restarted
//! ([`System::restart`]) whenever it is down; then the baseline again (the
//! noise of the machine):
//!
//! - `memory`: asks for 4 GiB at once, then grows one page at a time,
//!   touching every 4 KiB, to its `max_memory` (64 MiB) and past it;
//! - `descriptors`: opens a file in its scratch directory grant until an
//!   open fails, keeps them open for 100 ms, and is restarted;
//! - `output`: writes 4 KiB lines to stdout until a write fails (a
//!   `max_bytes` quota of 1 MiB per instance, then `ENOSPC`); the host's
//!   stdout is a pipe drained and counted by this program, so the quota
//!   can be checked and the terminal stays clean;
//! - `cpu`: an infinite loop (`fuel_per_call` 50 M, `deadline_ms` 100);
//! - `blocking`: `poll_oneoff` sleeping `u64::MAX` ns (`deadline_ms` 100);
//! - `reentrancy`: `reent.run` calls `svc.get`; while the host copies the
//!   result into `reent`, `reent`'s `cabi_realloc` calls `svc.get` again.
//!
//! The program cannot hang: every thread it waits for is waited for with a
//! timeout. A misbehaving call that does not return is reported as a hang
//! (and whether [`System::restart`] of that tenant then returns), the
//! stuck thread is abandoned, and the next scenario goes on.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nanowasm_host::{HostError, Manifest, Nanoprocess, Sig, System, Template, Value};

/// The well-behaved tenant: `serve` reads `/data/page.txt`, `echo`
/// returns its argument.
const WELL: &str = r#"
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "page.txt")
  (global $next (mut i32) (i32.const 8192))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (local.get $p) (local.get 3)))
    (if (i32.gt_u (global.get $next) (i32.const 60000))
      (then (local.set $p (i32.const 8192))
            (global.set $next (i32.add (i32.const 8192) (local.get 3)))))
    (local.get $p))
  (func (export "echo") (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $len)) (i64.const 32))
            (i64.extend_i32_u (local.get $ptr))))
  ;; Bytes read from /data/page.txt (preopen 3), or -errno of path_open,
  ;; or -1000 - errno of fd_read.
  (func (export "serve") (param $ptr i32) (param $len i32) (result i32)
    (local $e i32) (local $fd i32)
    (local.set $e (call $path_open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 8)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 32)))
    (if (local.get $e) (then (return (i32.sub (i32.const 0) (local.get $e)))))
    (local.set $fd (i32.load (i32.const 32)))
    (i32.store (i32.const 48) (i32.const 1024))
    (i32.store (i32.const 52) (i32.const 4096))
    (local.set $e (call $fd_read (local.get $fd) (i32.const 48) (i32.const 1) (i32.const 40)))
    (drop (call $fd_close (local.get $fd)))
    (if (local.get $e) (then (return (i32.sub (i32.const -1000) (local.get $e)))))
    (i32.load (i32.const 40))))
"#;

/// Grows memory past its limit: 4 GiB at once (must fail), then a page
/// at a time, touching each 4 KiB, until `memory.grow` fails: then traps.
/// Returns -1 only if the 4 GiB request succeeded (a broken limit).
const MEMORY: &str = r#"
(module
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (local $p i32) (local $a i32) (local $end i32)
    (if (i32.ne (memory.grow (i32.const 65535)) (i32.const -1)) (then (return (i32.const -1))))
    (loop $grow
      (local.set $p (memory.grow (i32.const 1)))
      (if (i32.eq (local.get $p) (i32.const -1)) (then unreachable))
      (local.set $a (i32.shl (local.get $p) (i32.const 16)))
      (local.set $end (i32.add (local.get $a) (i32.const 65536)))
      (loop $touch
        (i32.store (local.get $a) (local.get $p))
        (local.set $a (i32.add (local.get $a) (i32.const 4096)))
        (br_if $touch (i32.lt_u (local.get $a) (local.get $end))))
      (br $grow))
    (i32.const 0)))
"#;

/// Opens `/s/f` (preopen 3) until an open fails; never closes. Returns the
/// count; `errno` is the failing open's.
const DESCRIPTORS: &str = r#"
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "f")
  (global $errno (mut i32) (i32.const 0))
  (func (export "errno") (result i32) (global.get $errno))
  (func (export "run") (result i32)
    (local $n i32) (local $e i32)
    (block $done
      (loop $open
        (local.set $e (call $path_open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 1)
          (i32.const 1) (i64.const 66) (i64.const 0) (i32.const 0) (i32.const 32)))
        (br_if $done (local.get $e))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $open)))
    (global.set $errno (local.get $e))
    (local.get $n)))
"#;

/// Writes 4 KiB (64 lines) to stdout until a write fails or writes
/// nothing. Returns the bytes written; `errno` is the failing write's.
fn output_wat() -> String {
    let line = format!("{}\\0a", "x".repeat(63));
    format!(
        r#"
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "{}")
  (global $errno (mut i32) (i32.const 0))
  (func (export "errno") (result i32) (global.get $errno))
  (func (export "run") (result i32)
    (local $n i32) (local $e i32)
    (i32.store (i32.const 16) (i32.const 1024))
    (i32.store (i32.const 20) (i32.const 4096))
    (block $done
      (loop $write
        (local.set $e (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 32)))
        (br_if $done (local.get $e))
        (br_if $done (i32.eqz (i32.load (i32.const 32))))
        (local.set $n (i32.add (local.get $n) (i32.load (i32.const 32))))
        (br $write)))
    (global.set $errno (local.get $e))
    (local.get $n)))
"#,
        line.repeat(64)
    )
}

const CPU: &str = r#"
(module
  (func (export "run") (result i32) (loop $spin (br $spin)) (i32.const 0)))
"#;

/// One clock subscription: monotonic, relative, `u64::MAX` ns. Returns
/// `poll_oneoff`'s errno if it ever returns.
const BLOCKING: &str = r#"
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const -1))
    (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128))))
"#;

/// The callee: `get() -> string` returns "hello".
const SVC: &str = r#"
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "hello")
  (global $next (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (local.get $p) (local.get 3)))
    (if (i32.gt_u (global.get $next) (i32.const 60000))
      (then (local.set $p (i32.const 1024))
            (global.set $next (i32.add (i32.const 1024) (local.get 3)))))
    (local.get $p))
  (func (export "get") (result i64) (i64.const 0x0000000500000010)))
"#;

/// The caller: its `cabi_realloc` (which the host calls to copy `get`'s
/// result in) first calls `svc.get` again, once.
const REENT: &str = r#"
(module
  (import "svc" "get" (func $get (result i64)))
  (memory (export "memory") 1)
  (global $inside (mut i32) (i32.const 0))
  (global $next (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (if (i32.eqz (global.get $inside))
      (then (global.set $inside (i32.const 1))
            (drop (call $get))
            (global.set $inside (i32.const 0))))
    (local.set $p (global.get $next))
    (global.set $next (i32.add (local.get $p) (local.get 3)))
    (if (i32.gt_u (global.get $next) (i32.const 60000))
      (then (local.set $p (i32.const 1024))
            (global.set $next (i32.add (i32.const 1024) (local.get 3)))))
    (local.get $p))
  (func (export "run") (result i32)
    (i32.wrap_i64 (i64.shr_u (call $get) (i64.const 32)))))
"#;

/// The misbehaving tenant's output quota, per instance.
const OUTPUT_QUOTA: u64 = 1 << 20;
/// How long the descriptor hog holds what it opened before its restart.
const HOLD: Duration = Duration::from_millis(100);
/// The size of the file `serve` reads.
const PAGE: usize = 512;

fn manifest(max_open_files: Option<u64>) -> String {
    let fd_quota = match max_open_files {
        Some(n) => format!(", max_open_files = {n}"),
        None => String::new(),
    };
    format!(
        r#"
[[process]]
name = "well"
module = "well.wasm"
dirs = [{{ host = "data", guest = "/data", readonly = true }}]
stdout = "null"
limits = {{ max_memory = 1048576, fuel_per_call = 10000000, deadline_ms = 1000 }}

[[process]]
name = "memory"
module = "memory.wasm"
stdout = "null"
limits = {{ max_memory = 67108864, fuel_per_call = 1000000000, deadline_ms = 1000 }}

[[process]]
name = "descriptors"
module = "descriptors.wasm"
dirs = [{{ host = "scratch", guest = "/s" }}]
stdout = "null"
limits = {{ max_memory = 1048576, fuel_per_call = 1000000000, deadline_ms = 5000{fd_quota} }}

[[process]]
name = "output"
module = "output.wasm"
stdout = {{ prefix = "[noisy] ", max_bytes = {OUTPUT_QUOTA} }}
limits = {{ max_memory = 1048576, fuel_per_call = 1000000000, deadline_ms = 1000 }}

[[process]]
name = "cpu"
module = "cpu.wasm"
stdout = "null"
limits = {{ fuel_per_call = 50000000, deadline_ms = 100 }}

[[process]]
name = "blocking"
module = "blocking.wasm"
clocks = true
stdout = "null"
limits = {{ max_memory = 1048576, fuel_per_call = 1000000000, deadline_ms = 100 }}

[[process]]
name = "svc"
module = "svc.wasm"
stdout = "null"
limits = {{ max_memory = 1048576, fuel_per_call = 1000000000, deadline_ms = 100 }}

[[process]]
name = "reent"
module = "reent.wasm"
stdout = "null"
limits = {{ max_memory = 1048576, fuel_per_call = 1000000000, deadline_ms = 100 }}
imports = [{{ module = "svc", name = "get", sig = "() -> string" }}]
"#
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Memory,
    Descriptors,
    Output,
    Cpu,
    Blocking,
    Reentrancy,
}

/// In the order they run: the descriptor hog last, because a host whose
/// descriptor table it has filled may be unable to restart it (and then
/// it keeps them), which would spoil every scenario after it.
const FAULTS: [Fault; 6] = [
    Fault::Memory,
    Fault::Output,
    Fault::Cpu,
    Fault::Blocking,
    Fault::Reentrancy,
    Fault::Descriptors,
];

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::Memory => "memory",
            Fault::Descriptors => "descriptors",
            Fault::Output => "output",
            Fault::Cpu => "cpu",
            Fault::Blocking => "blocking",
            Fault::Reentrancy => "reentrancy",
        }
    }

    /// The process the driver calls, and the ones it restarts.
    fn process(self) -> &'static str {
        match self {
            Fault::Reentrancy => "reent",
            f => f.name(),
        }
    }

    fn processes(self) -> &'static [&'static str] {
        match self {
            Fault::Reentrancy => &["reent", "svc"],
            Fault::Memory => &["memory"],
            Fault::Descriptors => &["descriptors"],
            Fault::Output => &["output"],
            Fault::Cpu => &["cpu"],
            Fault::Blocking => &["blocking"],
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Work {
    Serve,
    Echo,
}

struct Args {
    tenants: usize,
    faults: Vec<Fault>,
    secs: f64,
    workers: usize,
    work: Work,
    max_open_files: Option<u64>,
}

fn usage(msg: &str) -> ! {
    eprintln!("noisy: {msg}");
    eprintln!(
        "usage: noisy [--tenants N] [--fault all|CLASS,...] \
         [--secs S] [--workers N] [--work serve|echo] [--max-open-files N]\n\
         CLASS: memory, output, cpu, blocking, reentrancy, descriptors"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut a = Args {
        tenants: 1000,
        faults: FAULTS.to_vec(),
        secs: 5.0,
        workers: cores.saturating_sub(1).max(1),
        work: Work::Serve,
        max_open_files: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        let num = |v: &str| -> f64 {
            v.parse()
                .ok()
                .filter(|x: &f64| x.is_finite() && *x > 0.0)
                .unwrap_or_else(|| usage(&format!("{flag}: `{v}` is not a positive number")))
        };
        match flag.as_str() {
            "--tenants" => a.tenants = num(&value) as usize,
            "--secs" => a.secs = num(&value),
            "--workers" => a.workers = num(&value) as usize,
            "--max-open-files" => a.max_open_files = Some(num(&value) as u64),
            "--work" => {
                a.work = match value.as_str() {
                    "serve" => Work::Serve,
                    "echo" => Work::Echo,
                    v => usage(&format!("--work: `{v}` is not serve or echo")),
                }
            }
            "--fault" => {
                a.faults = match value.as_str() {
                    "all" => FAULTS.to_vec(),
                    list => list
                        .split(',')
                        .map(|v| {
                            FAULTS
                                .into_iter()
                                .find(|f| f.name() == v)
                                .unwrap_or_else(|| usage(&format!("--fault: no fault class `{v}`")))
                        })
                        .collect(),
                }
            }
            f => usage(&format!("unknown flag {f}")),
        }
    }
    a.tenants = a.tenants.max(1);
    a.workers = a.workers.clamp(1, a.tenants);
    a
}

/// Nanoseconds since `epoch`, plus one (0 means "not in a call").
fn stamp(epoch: Instant) -> u64 {
    epoch.elapsed().as_nanos() as u64 + 1
}

/// A WASI errno by name, for the few this program can meet.
fn errno_name(e: i32) -> String {
    let name = match e {
        8 => "badf",
        28 => "inval",
        33 => "mfile",
        41 => "nfile",
        48 => "nomem",
        51 => "nospc",
        63 => "perm",
        76 => "notcapable",
        _ => "",
    };
    if name.is_empty() {
        format!("errno {e}")
    } else {
        format!("errno {e} ({name})")
    }
}

/// A short label for an error from a call.
fn label(e: &HostError) -> String {
    match e {
        HostError::Fault { kind, .. } => kind.to_string(),
        HostError::Down { .. } => "down".into(),
        HostError::Exit { status, .. } => format!("exit {status}"),
        HostError::BadArgument(_) => "bad argument".into(),
        HostError::NotFound(_) => "not found".into(),
        HostError::Link { .. } => "link".into(),
        HostError::Manifest(_) => "manifest".into(),
    }
}

fn first_line(s: &str) -> String {
    let l = s.lines().next().unwrap_or("");
    if l.chars().count() > 160 {
        format!("{}...", l.chars().take(160).collect::<String>())
    } else {
        l.to_owned()
    }
}

/// One worker's tenants; the worker thread takes them for a scenario and
/// hands them back.
type Tenants = Arc<Mutex<Vec<Nanoprocess>>>;

#[derive(Default)]
struct WorkerResult {
    samples: Vec<u64>,
    /// The thread's CPU time and the wall time of the run: how much of it
    /// the worker was actually running.
    cpu: Duration,
    wall: Duration,
    errors: u64,
    first_error: Option<String>,
    reinstantiated: u64,
    reinstantiate_failures: u64,
}

fn worker(
    tenants: Tenants,
    template: Arc<Template>,
    work: Work,
    stop: Arc<AtomicBool>,
    in_call: Arc<AtomicU64>,
    epoch: Instant,
) -> WorkerResult {
    let mut guard = tenants.lock().unwrap_or_else(|p| p.into_inner());
    let procs = &mut *guard;
    let (func, sig) = match work {
        Work::Serve => ("serve", Sig::parse("(string) -> i32").unwrap()),
        Work::Echo => ("echo", Sig::parse("(string) -> string").unwrap()),
    };
    let msg = "GET /index.html";
    let args = [Value::String(msg.into())];
    let mut r = WorkerResult {
        samples: Vec::with_capacity(1 << 20),
        ..WorkerResult::default()
    };
    let (mut i, n) = (0, procs.len());
    let (wall0, cpu0) = (Instant::now(), thread_cpu());
    while !stop.load(Ordering::Relaxed) {
        for _ in 0..64 {
            let p = &mut procs[i];
            i = (i + 1) % n;
            let t0 = Instant::now();
            in_call.store(stamp(epoch), Ordering::Relaxed);
            let out = p.call(func, &sig, &args);
            in_call.store(0, Ordering::Relaxed);
            r.samples.push(t0.elapsed().as_nanos() as u64);
            let wrong = match (&out, work) {
                (Ok(Some(Value::I32(n))), Work::Serve) if *n == PAGE as i32 => None,
                (Ok(Some(Value::I32(n))), Work::Serve) if *n <= -1000 => {
                    Some(format!("fd_read failed: {}", errno_name(-1000 - n)))
                }
                (Ok(Some(Value::I32(n))), Work::Serve) if *n < 0 => {
                    Some(format!("path_open failed: {}", errno_name(-n)))
                }
                (Ok(Some(Value::String(s))), Work::Echo) if s == msg => None,
                (Ok(v), _) => Some(format!("wrong answer {v:?}")),
                (Err(e), _) => Some(e.to_string()),
            };
            if let Some(why) = wrong {
                r.errors += 1;
                r.first_error
                    .get_or_insert_with(|| format!("{}: {}", p.name(), first_line(&why)));
                if out.is_err() && p.failure().is_some() {
                    match template.instantiate() {
                        Ok(fresh) => {
                            *p = fresh;
                            r.reinstantiated += 1;
                        }
                        Err(_) => r.reinstantiate_failures += 1,
                    }
                }
            }
        }
    }
    r.cpu = thread_cpu().saturating_sub(cpu0);
    r.wall = wall0.elapsed();
    r
}

/// The calling thread's CPU time.
fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Busy CPU ticks of the whole machine and of this process (`USER_HZ`),
/// from `/proc/stat` and `/proc/self/stat`.
fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let f: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    let busy = f.first()? + f.get(1)? + f.get(2)? + f.get(5)? + f.get(6)? + f.get(7)?;
    let me = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the parenthesised command name: fields 3.. ; utime and stime
    // are fields 14 and 15.
    let rest = &me[me.rfind(')')? + 2..];
    let g: Vec<u64> = rest
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    Some((busy, g.get(10)? + g.get(11)?))
}

#[derive(Default)]
struct BadResult {
    calls: u64,
    succeeded: u64,
    faults: BTreeMap<String, u64>,
    restarts: u64,
    restart_failures: u64,
    first_restart_error: Option<String>,
    longest_call: Duration,
    notes: BTreeMap<String, u64>,
    /// For the descriptor and output hogs: the most units (descriptors,
    /// bytes) one instance got before its first failure.
    most: u64,
}

/// What the misbehaving thread is doing, for the watchdog.
#[derive(Default)]
struct Watch {
    /// [`IDLE`], [`CALLING`] or [`RESTARTING`].
    phase: AtomicU8,
    /// When that began ([`stamp`]).
    since: AtomicU64,
    /// Calls begun.
    calls: AtomicU64,
}

const IDLE: u8 = 0;
const CALLING: u8 = 1;
const RESTARTING: u8 = 2;

fn misbehave(
    sys: Arc<System>,
    fault: Fault,
    stop: Arc<AtomicBool>,
    watch: Arc<Watch>,
    epoch: Instant,
) -> BadResult {
    let (phase, since) = (&watch.phase, &watch.since);
    let mut r = BadResult::default();
    let name = fault.process();
    let restart = |r: &mut BadResult, who: &str| {
        since.store(stamp(epoch), Ordering::Relaxed);
        phase.store(RESTARTING, Ordering::Relaxed);
        match sys.restart(who) {
            Ok(()) => r.restarts += 1,
            Err(e) => {
                r.restart_failures += 1;
                r.first_restart_error
                    .get_or_insert_with(|| first_line(&e.to_string()));
            }
        }
        phase.store(IDLE, Ordering::Relaxed);
    };
    while !stop.load(Ordering::Relaxed) {
        since.store(stamp(epoch), Ordering::Relaxed);
        phase.store(CALLING, Ordering::Relaxed);
        let t0 = Instant::now();
        watch.calls.fetch_add(1, Ordering::Relaxed);
        let out = sys.call(name, "run", "() -> i32", &[]);
        r.longest_call = r.longest_call.max(t0.elapsed());
        phase.store(IDLE, Ordering::Relaxed);
        r.calls += 1;
        match out {
            Ok(Some(Value::I32(n))) => match fault {
                Fault::Descriptors | Fault::Output => {
                    let errno = match sys.call(name, "errno", "() -> i32", &[]) {
                        Ok(Some(Value::I32(e))) => errno_name(e),
                        other => format!("{other:?}"),
                    };
                    let what = if fault == Fault::Output {
                        "a write failed"
                    } else {
                        "an open failed"
                    };
                    *r.faults.entry(format!("{what}: {errno}")).or_default() += 1;
                    r.most = r.most.max(n as u32 as u64);
                    if fault == Fault::Descriptors {
                        // Hold them, as a hoarding tenant would.
                        let until = Instant::now() + HOLD;
                        while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                    }
                    restart(&mut r, name);
                }
                Fault::Memory if n == -1 => {
                    *r.notes
                        .entry("BREACH: a 4 GiB memory.grow succeeded".into())
                        .or_default() += 1;
                    restart(&mut r, name);
                }
                Fault::Blocking => {
                    *r.notes
                        .entry(format!("poll_oneoff returned {}", errno_name(n)))
                        .or_default() += 1;
                }
                _ => r.succeeded += 1,
            },
            Ok(v) => {
                *r.notes.entry(format!("returned {v:?}")).or_default() += 1;
            }
            Err(e) => {
                *r.faults.entry(label(&e)).or_default() += 1;
                for who in fault.processes() {
                    if matches!(sys.failure(who), Ok(Some(_))) {
                        restart(&mut r, who);
                    }
                }
            }
        }
    }
    r
}

struct Row {
    scenario: String,
    calls: u64,
    errors: u64,
    mean: u64,
    p50: u64,
    p99: u64,
    p999: u64,
    max: u64,
    /// The workers' CPU time over their wall time.
    on_cpu: f64,
    /// CPU used by other processes of the machine, in cores.
    others: Option<f64>,
    bad: Option<BadResult>,
    bad_hang: Option<String>,
    /// `None`: `/proc/self/statm` could never be read (EMFILE).
    peak_rss: Option<u64>,
    peak_fds: Option<usize>,
    guest_output: u64,
    notes: Vec<String>,
}

/// The resident set (`None`: `/proc/self/statm` could not be read).
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// The host process's open descriptors (`None`: could not even open
/// `/proc/self/fd`).
fn open_fds() -> Option<usize> {
    std::fs::read_dir("/proc/self/fd").ok().map(|d| d.count())
}

struct Harness {
    sys: Arc<System>,
    template: Arc<Template>,
    tenants: Vec<Tenants>,
    /// Workers that never came back: their tenants are lost.
    dead_workers: bool,
    work: Work,
    secs: f64,
    epoch: Instant,
    out_bytes: Arc<AtomicU64>,
}

impl Harness {
    /// Instantiates any tenant left down (outside the measurement).
    fn heal(&self) -> usize {
        let mut n = 0;
        for t in &self.tenants {
            let Ok(mut procs) = t.try_lock() else {
                continue;
            };
            for p in procs.iter_mut() {
                if p.failure().is_some() {
                    if let Ok(fresh) = self.template.instantiate() {
                        *p = fresh;
                        n += 1;
                    }
                }
            }
        }
        n
    }

    fn run(&mut self, scenario: &str, fault: Option<Fault>) -> Row {
        eprintln!("noisy: {scenario} ...");
        let healed = self.heal();
        let stop = Arc::new(AtomicBool::new(false));
        let epoch = self.epoch;
        let out_before = self.out_bytes.load(Ordering::Relaxed);
        let ticks0 = cpu_ticks();
        let (wtx, wrx) = mpsc::channel();
        let mut in_calls = Vec::new();
        for (w, t) in self.tenants.iter().enumerate() {
            let in_call = Arc::new(AtomicU64::new(0));
            in_calls.push(in_call.clone());
            let (t, tpl, stop, tx, work) = (
                t.clone(),
                self.template.clone(),
                stop.clone(),
                wtx.clone(),
                self.work,
            );
            std::thread::Builder::new()
                .name(format!("well-{w}"))
                .spawn(move || {
                    let _ = tx.send(worker(t, tpl, work, stop, in_call, epoch));
                })
                .expect("spawn a worker thread");
        }
        let (btx, brx) = mpsc::channel();
        let watch = Arc::new(Watch::default());
        if let Some(f) = fault {
            let (sys, stop, watch) = (self.sys.clone(), stop.clone(), watch.clone());
            std::thread::Builder::new()
                .name(format!("noisy-{}", f.name()))
                .spawn(move || {
                    let _ = btx.send(misbehave(sys, f, stop, watch, epoch));
                })
                .expect("spawn the misbehaving thread");
        }
        // Watch memory and descriptors while it runs.
        let start = Instant::now();
        let end = start + Duration::from_secs_f64(self.secs);
        let (mut peak_rss, mut peak_fds, mut fds_unreadable) = (rss_bytes(), 0, false);
        let mut tick = 0u64;
        while Instant::now() < end {
            std::thread::sleep(Duration::from_millis(10));
            peak_rss = peak_rss.max(rss_bytes());
            if tick % 10 == 0 {
                match open_fds() {
                    Some(n) => peak_fds = peak_fds.max(n),
                    None => fds_unreadable = true,
                }
            }
            tick += 1;
        }
        stop.store(true, Ordering::Relaxed);
        let stopped = Instant::now();
        let others = match (ticks0, cpu_ticks()) {
            (Some((b0, m0)), Some((b1, m1))) => {
                let hz = 100.0; // USER_HZ on Linux
                Some(
                    (b1 - b0).saturating_sub(m1 - m0) as f64 / hz / (stopped - start).as_secs_f64(),
                )
            }
            _ => None,
        };
        let mut notes = Vec::new();
        if healed > 0 {
            notes.push(format!(
                "{healed} tenants left down by the previous scenario were instantiated again first"
            ));
        }
        // The workers finish their current batch of 64 calls.
        let grace = Duration::from_secs(5);
        let mut results = Vec::new();
        while results.len() < self.tenants.len() {
            let left = (stopped + grace).saturating_duration_since(Instant::now());
            match wrx.recv_timeout(left) {
                Ok(r) => results.push(r),
                Err(_) => break,
            }
        }
        let mut max_in_flight = 0;
        if results.len() < self.tenants.len() {
            for c in &in_calls {
                let s = c.load(Ordering::Relaxed);
                if s != 0 {
                    max_in_flight = max_in_flight.max(stamp(epoch) - s);
                }
            }
            notes.push(format!(
                "HANG: {} of {} worker threads did not come back within {grace:?} of the stop (a call in flight for {:.1} s)",
                self.tenants.len() - results.len(),
                self.tenants.len(),
                max_in_flight as f64 / 1e9
            ));
            self.dead_workers = true;
        }
        // The misbehaving thread: a call that does not return within its
        // deadline plus 2 s is a hang.
        let mut bad = None;
        let mut bad_hang = None;
        if let Some(f) = fault {
            match brx.recv_timeout(Duration::from_secs(2)) {
                Ok(r) => bad = Some(r),
                Err(_) => {
                    let s = watch.since.load(Ordering::Relaxed);
                    let stuck = if s == 0 { 0 } else { stamp(epoch) - s };
                    let doing = match watch.phase.load(Ordering::Relaxed) {
                        CALLING => format!("`{}.run`", f.process()),
                        RESTARTING => "System::restart".to_owned(),
                        _ => "nothing (between calls)".to_owned(),
                    };
                    let mut what = format!(
                        "call {} hangs in {doing} (stuck for {:.1} s when given up on)",
                        watch.calls.load(Ordering::Relaxed),
                        stuck as f64 / 1e9
                    );
                    // Can the host still replace the stuck tenant?
                    for who in f.processes() {
                        let (sys, who2) = (self.sys.clone(), who.to_string());
                        let (tx, rx) = mpsc::channel();
                        std::thread::spawn(move || {
                            let _ = tx.send(sys.restart(&who2).map_err(|e| e.to_string()));
                        });
                        let _ = write!(
                            what,
                            "; System::restart(\"{who}\") {}",
                            match rx.recv_timeout(Duration::from_secs(1)) {
                                Ok(Ok(())) => "returns".to_owned(),
                                Ok(Err(e)) => format!("fails: {}", first_line(&e)),
                                Err(_) => "blocks too (>1 s)".to_owned(),
                            }
                        );
                    }
                    bad_hang = Some(what);
                }
            }
            // Release what the tenant still holds (descriptors, memory).
            if bad.is_some() {
                for who in f.processes() {
                    if let Err(e) = self.sys.restart(who) {
                        notes.push(format!(
                            "CONTAINMENT: after the run, System::restart(\"{who}\") fails ({}), so the old instance stays, with all it holds",
                            first_line(&e.to_string())
                        ));
                    }
                }
            }
        }
        let mut samples: Vec<u64> = Vec::new();
        let (mut errors, mut reinst, mut reinst_fail) = (0, 0, 0);
        let (mut cpu, mut wall) = (Duration::ZERO, Duration::ZERO);
        let mut first_error = None;
        for r in results {
            cpu += r.cpu;
            wall += r.wall;
            samples.extend_from_slice(&r.samples);
            errors += r.errors;
            reinst += r.reinstantiated;
            reinst_fail += r.reinstantiate_failures;
            if first_error.is_none() {
                first_error = r.first_error;
            }
        }
        samples.sort_unstable();
        let pct = |q: f64| -> u64 {
            if samples.is_empty() {
                return 0;
            }
            let i = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
            samples[i - 1]
        };
        if let Some(e) = first_error {
            notes.push(format!("first error: {e}"));
        }
        if reinst + reinst_fail > 0 {
            notes.push(format!(
                "{reinst} tenants instantiated again, {reinst_fail} instantiations failed"
            ));
        }
        if fds_unreadable {
            notes.push("the host could not open /proc/self/fd at some point (EMFILE?)".into());
        }
        Row {
            scenario: scenario.to_owned(),
            calls: samples.len() as u64,
            errors,
            mean: samples.iter().sum::<u64>() / (samples.len() as u64).max(1),
            p50: pct(0.50),
            p99: pct(0.99),
            p999: pct(0.999),
            on_cpu: cpu.as_secs_f64() / wall.as_secs_f64().max(1e-9),
            others,
            max: samples.last().copied().unwrap_or(0).max(max_in_flight),
            bad,
            bad_hang,
            peak_rss,
            peak_fds: (!fds_unreadable || peak_fds > 0).then_some(peak_fds),
            guest_output: self.out_bytes.load(Ordering::Relaxed) - out_before,
            notes,
        }
    }
}

fn us(ns: u64) -> String {
    let us = ns as f64 / 1e3;
    if us >= 100.0 {
        format!("{us:.0}")
    } else {
        format!("{us:.1}")
    }
}

fn table(rows: &[Row], args: &Args) -> String {
    let mut s = String::new();
    let base = rows.first().map_or(1, |r| r.p99.max(1));
    let _ = writeln!(
        s,
        "| scenario | well calls | errors | mean µs | p50 µs | p99 µs | p99.9 µs | max µs | p99 / baseline p99 | workers on CPU | other load (cores) | misbehaving calls | its faults | its longest call | peak RSS MiB | peak host fds |"
    );
    let _ = writeln!(
        s,
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|"
    );
    for r in rows {
        let (calls, faults, longest) = match (&r.bad, &r.bad_hang) {
            (_, Some(h)) => ("-".into(), format!("**HANG: {h}**"), "∞".into()),
            (Some(b), None) => {
                let mut f: Vec<String> =
                    b.faults.iter().map(|(k, n)| format!("{n} × {k}")).collect();
                if b.succeeded > 0 {
                    f.push(format!("{} × succeeded", b.succeeded));
                }
                f.extend(b.notes.iter().map(|(k, n)| format!("{n} × {k}")));
                (
                    b.calls.to_string(),
                    f.join(", "),
                    format!("{:.1} ms", b.longest_call.as_secs_f64() * 1e3),
                )
            }
            (None, None) => ("-".into(), "-".into(), "-".into()),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.2} | {:.0}% | {} | {} | {} | {} | {} | {} |",
            r.scenario,
            r.calls,
            r.errors,
            us(r.mean),
            us(r.p50),
            us(r.p99),
            us(r.p999),
            us(r.max),
            r.p99 as f64 / base as f64,
            r.on_cpu * 100.0,
            r.others.map_or("?".into(), |c| format!("{c:.2}")),
            calls,
            if faults.is_empty() { "-".into() } else { faults },
            longest,
            r.peak_rss.map_or("EMFILE".into(), |b| format!(
                "{:.0}",
                b as f64 / f64::from(1 << 20)
            )),
            r.peak_fds.map_or("EMFILE".into(), |n| n.to_string()),
        );
    }
    let _ = writeln!(s);
    for r in rows {
        let mut notes = r.notes.clone();
        if let Some(b) = &r.bad {
            if b.restarts + b.restart_failures > 0 {
                notes.push(format!(
                    "misbehaving tenant restarted {} times{}",
                    b.restarts,
                    match &b.first_restart_error {
                        Some(e) => format!(", {} restarts failed: {e}", b.restart_failures),
                        None => String::new(),
                    }
                ));
            }
            if r.scenario == "descriptors" {
                notes.push(format!(
                    "one instance opened at most {} descriptors before an open failed",
                    b.most
                ));
            }
            if r.scenario == "output" {
                notes.push(format!(
                    "one instance wrote at most {} bytes before a write failed (quota {OUTPUT_QUOTA}); {} bytes reached the host's stdout in all ({} instances × quota = {})",
                    b.most,
                    r.guest_output,
                    b.restarts + 1,
                    (b.restarts + 1) * OUTPUT_QUOTA
                ));
            }
        } else if r.guest_output > 0 {
            notes.push(format!("{} bytes of guest output", r.guest_output));
        }
        if !notes.is_empty() {
            let _ = writeln!(s, "- {}: {}", r.scenario, notes.join("; "));
        }
    }
    let _ = writeln!(
        s,
        "\n{} well-behaved tenants ({} call), {} worker thread(s), {} s per scenario; latencies from every call (sorted samples, exact percentiles). \
         `workers on CPU`: the workers' CPU time over their wall time (below 100%: they were waiting, for a core or blocked). \
         `other load`: the CPU the rest of the machine used meanwhile, in cores (of {}).",
        args.tenants,
        match args.work {
            Work::Serve => "`serve(string) -> i32`: open, read 512 B, close",
            Work::Echo => "`echo(string) -> string`",
        },
        args.workers,
        args.secs,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    s
}

fn main() {
    let args = parse_args();
    // The report goes to the real stdout; the guests' stdout (fd 1) goes to
    // a pipe that a thread drains and counts.
    let mut report = std::fs::File::from(
        rustix::io::dup(rustix::stdio::stdout()).expect("duplicate stdout for the report"),
    );
    let (rx, tx) = rustix::pipe::pipe().expect("a pipe for the guests' stdout");
    rustix::stdio::dup2_stdout(&tx).expect("point stdout at the pipe");
    drop(tx);
    let out_bytes = Arc::new(AtomicU64::new(0));
    {
        let (mut rx, n) = (std::fs::File::from(rx), out_bytes.clone());
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 1 << 16];
            while let Ok(k) = rx.read(&mut buf) {
                if k == 0 {
                    break;
                }
                n.fetch_add(k as u64, Ordering::Relaxed);
            }
        });
    }

    let dir = std::env::temp_dir().join(format!("nanowasm-noisy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).expect("create the data directory");
    std::fs::create_dir_all(dir.join("scratch")).expect("create the scratch directory");
    std::fs::write(dir.join("data/page.txt"), vec![b'p'; PAGE]).expect("write page.txt");
    let modules = [
        ("well", WELL.to_owned()),
        ("memory", MEMORY.to_owned()),
        ("descriptors", DESCRIPTORS.to_owned()),
        ("output", output_wat()),
        ("cpu", CPU.to_owned()),
        ("blocking", BLOCKING.to_owned()),
        ("svc", SVC.to_owned()),
        ("reent", REENT.to_owned()),
    ];
    for (name, wat) in &modules {
        let wasm = nanowasm_text::parse_wat(wat)
            .unwrap_or_else(|e| panic!("{name}.wat does not assemble: {e}"));
        std::fs::write(dir.join(format!("{name}.wasm")), wasm).expect("write a module");
    }
    let manifest = match Manifest::parse(&manifest(args.max_open_files), &dir) {
        Ok(m) => m,
        Err(e) => usage(&format!("the manifest is refused: {e}")),
    };
    let t0 = Instant::now();
    let sys = Arc::new(System::new(&manifest).unwrap_or_else(|e| {
        eprintln!("noisy: the system does not start: {e}");
        std::process::exit(1)
    }));
    let template = sys.template("well").expect("the `well` template");
    let mut shares: Vec<Vec<Nanoprocess>> = (0..args.workers).map(|_| Vec::new()).collect();
    for i in 0..args.tenants {
        let p = template.instantiate().unwrap_or_else(|e| {
            eprintln!("noisy: tenant {i} does not start: {e}");
            std::process::exit(1)
        });
        shares[i % args.workers].push(p);
    }
    eprintln!(
        "noisy: {} tenants ready in {:.2} s; RSS {:.0} MiB, {} host descriptors open",
        args.tenants,
        t0.elapsed().as_secs_f64(),
        rss_bytes().unwrap_or(0) as f64 / f64::from(1 << 20),
        open_fds().unwrap_or(0)
    );
    let mut h = Harness {
        sys,
        template,
        tenants: shares
            .into_iter()
            .map(|s| Arc::new(Mutex::new(s)))
            .collect(),
        dead_workers: false,
        work: args.work,
        secs: args.secs,
        epoch: Instant::now(),
        out_bytes,
    };
    // Warm up (caches, page tables, lazily compiled code).
    let secs = h.secs;
    h.secs = (secs / 5.0).min(1.0);
    let _ = h.run("warm-up", None);
    h.secs = secs;
    let mut rows = vec![h.run("baseline", None)];
    for &f in &args.faults {
        if h.dead_workers {
            break;
        }
        rows.push(h.run(f.name(), Some(f)));
    }
    if !h.dead_workers {
        rows.push(h.run("baseline again", None));
    }
    let _ = report.write_all(table(&rows, &args).as_bytes());
    let _ = report.flush();
    let _ = std::fs::remove_dir_all(&dir);
    // Threads stuck in a hung tenant are abandoned, not joined.
    std::process::exit(0)
}
