//! Host-side amplification: no WASI call makes the host allocate in
//! proportion to the sizes a guest declares. The attack of issue 13: a
//! guest whose whole memory is 1 MiB passes 131,064 `iovec`s, each
//! covering all of memory (128 GiB in all), to `fd_write`; gathering them
//! made the host allocate until it aborted. The same for `fd_pwrite`,
//! `sock_send` and the reads.
//!
//! A counting global allocator measures this test binary's peak heap; it
//! refuses (returns null, so the process aborts) any allocation that would
//! take the live heap past [`CEILING`], so that the unfixed code fails
//! fast instead of exhausting the machine.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

use nanowasm_wasi::{Stdio, WasiCtx};

mod support;
use support::Guest;

const CEILING: usize = 768 << 20;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

struct Counting;

impl Counting {
    fn grow(size: usize) -> bool {
        let now = LIVE.fetch_add(size, Ordering::SeqCst) + size;
        if now > CEILING {
            LIVE.fetch_sub(size, Ordering::SeqCst);
            return false;
        }
        PEAK.fetch_max(now, Ordering::SeqCst);
        true
    }
}

// SAFETY: every method forwards to `System` with the caller's layout; the
// counters only decide whether to forward (a refused allocation returns
// null, which `GlobalAlloc` allows).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !Counting::grow(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's layout, as `GlobalAlloc::alloc` requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !Counting::grow(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: `ptr` was allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() && !Counting::grow(new_size - layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            if new_size > layout.size() {
                LIVE.fetch_sub(new_size - layout.size(), Ordering::SeqCst);
            }
        } else if new_size < layout.size() {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::SeqCst);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// 1 MiB of memory (16 pages, no growth). `iovs(n)` fills the `iovec`
/// array at 0 with `n` entries each covering all of memory (131,064 fit
/// below the 8 result bytes at the end). Every export returns the errno;
/// a count result is at `OUT`.
const GUEST: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pwrite" (func $fd_pwrite (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pread" (func $fd_pread (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept" (func $sock_accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send" (func $sock_send (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv" (func $sock_recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (memory (export "memory") 16 16)
  (global $out i32 (i32.const 1048568))
  (func (export "iovs") (param $n i32)
    (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.mul (local.get $i) (i32.const 8)) (i32.const 0))
        (i32.store offset=4 (i32.mul (local.get $i) (i32.const 8)) (i32.const 1048576))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))
  (func (export "out") (result i32) (i32.load (global.get $out)))
  (func (export "write") (param $fd i32) (param $n i32) (result i32)
    (call $fd_write (local.get $fd) (i32.const 0) (local.get $n) (global.get $out)))
  (func (export "pwrite") (param $fd i32) (param $n i32) (result i32)
    (call $fd_pwrite (local.get $fd) (i32.const 0) (local.get $n) (i64.const 0) (global.get $out)))
  (func (export "read") (param $fd i32) (param $n i32) (result i32)
    (call $fd_read (local.get $fd) (i32.const 0) (local.get $n) (global.get $out)))
  (func (export "pread") (param $fd i32) (param $n i32) (result i32)
    (call $fd_pread (local.get $fd) (i32.const 0) (local.get $n) (i64.const 0) (global.get $out)))
  (func (export "accept") (param $fd i32) (result i32)
    (call $sock_accept (local.get $fd) (i32.const 0) (global.get $out)))
  (func (export "send") (param $fd i32) (param $n i32) (result i32)
    (call $sock_send (local.get $fd) (i32.const 0) (local.get $n) (i32.const 0) (global.get $out)))
  (func (export "recv") (param $fd i32) (param $n i32) (param $flags i32) (result i32)
    (call $sock_recv (local.get $fd) (i32.const 0) (local.get $n) (local.get $flags)
      (global.get $out) (i32.const 1048564)))
  ;; Opens (creating) the file named by the $len bytes at $at beneath $dir, read-write.
  (func (export "open") (param $dir i32) (param $at i32) (param $len i32) (result i32)
    (call $path_open (local.get $dir) (i32.const 0) (local.get $at) (local.get $len)
      (i32.const 1) (i64.const 0x7e) (i64.const 0) (i32.const 0) (global.get $out)))
  (func (export "random") (result i32) (call $random_get (i32.const 0) (i32.const 1048576)))
  (data (i32.const 1048000) "out.bin"))"#;

const IOVS: i32 = 131_064;

/// This file's guest, [`GUEST`], with `cx`.
fn guest(cx: WasiCtx) -> Guest {
    Guest::with(GUEST, cx)
}

/// What these tests add to the shared harness.
trait Measure {
    fn measure<P: nanowasm_runtime::WasmParams>(
        &mut self,
        name: &str,
        args: P,
    ) -> (i32, u32, usize);
}

impl Measure for Guest {
    /// Runs `name(args)` and returns its errno, the count at `OUT` and the
    /// peak of heap bytes allocated meanwhile beyond those live before.
    fn measure<P: nanowasm_runtime::WasmParams>(
        &mut self,
        name: &str,
        args: P,
    ) -> (i32, u32, usize) {
        self.call::<i32, ()>("iovs", IOVS);
        let before = LIVE.load(Ordering::SeqCst);
        PEAK.store(before, Ordering::SeqCst);
        let errno = self.call::<P, i32>(name, args);
        let extra = PEAK.load(Ordering::SeqCst) - before;
        let out = self.call::<(), i32>("out", ()) as u32;
        (errno, out, extra)
    }
}

/// Generous: the fixed bounds are a 1024-entry slice list and a 64 KiB
/// buffer.
const MAX_EXTRA: usize = 4 << 20;

fn check(what: &str, (errno, n, extra): (i32, u32, usize)) -> u32 {
    eprintln!("{what}: errno {errno}, count {n}, extra heap {extra} bytes");
    assert_eq!(errno, 0, "{what}: errno");
    assert!(
        extra < MAX_EXTRA,
        "{what}: the host allocated {extra} bytes"
    );
    n
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("nanowasm-ampl-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// One test function: the allocation counters are global to the process.
#[test]
fn guest_declared_sizes_do_not_amplify_host_memory() {
    let start = std::time::Instant::now();

    // fd_write of 128 GiB worth of iovecs to a discarded stdout, then to
    // a captured one, prefixed (the wrapping allocates per piece) and with
    // a quota that keeps the capture (the embedder's buffer) small.
    let mut g = guest(WasiCtx::builder().build().unwrap());
    let n = check("fd_write stdout (null)", g.measure("write", (1, IOVS)));
    assert!(n > 0);
    let (out, buf) = Stdio::buffer(Vec::new());
    let mut g = guest(
        WasiCtx::builder()
            .stdout(out)
            .stdout_prefix("> ")
            .output_limit(100_000)
            .build()
            .unwrap(),
    );
    let n = check(
        "fd_write stdout (buffer, prefix)",
        g.measure("write", (1, IOVS)),
    );
    assert_eq!(n, 100_000, "the quota cuts the write short");
    assert_eq!(buf.lock().unwrap().len(), 100_000 + 2);
    drop(g);
    drop(buf);

    // A file: fd_write, fd_pwrite, then reads whose buffers all overlap.
    let dir = scratch("file");
    let mut g = guest(
        WasiCtx::builder()
            .preopened_dir(
                &dir,
                "/d",
                nanowasm_wasi::DirPerms::all(),
                nanowasm_wasi::FilePerms::all(),
            )
            .allow_random(true)
            .build()
            .unwrap(),
    );
    assert_eq!(g.call::<(i32, i32, i32), i32>("open", (3, 1048000, 7)), 0);
    let fd = g.call::<(), i32>("out", ());
    let n = check("fd_write file", g.measure("write", (fd, IOVS)));
    assert!(n >= 1 << 20, "a write moves at least one buffer, got {n}");
    let size = std::fs::metadata(dir.join("out.bin")).unwrap().len();
    assert_eq!(size, n as u64);
    let n = check("fd_pwrite file", g.measure("pwrite", (fd, IOVS)));
    assert!(n >= 1 << 20);
    let n = check("fd_pread file", g.measure("pread", (fd, IOVS)));
    assert!(n >= 1 << 20);
    // The position is at the end of the first write: seek back by reading
    // with pread above, then read what follows (nothing past the end).
    check("fd_read file", g.measure("read", (fd, IOVS)));
    check("random_get 1 MiB", g.measure("random", ()));
    drop(g);
    std::fs::remove_dir_all(&dir).unwrap();

    // A socket: sock_send to a peer that drains it, sock_recv of what the
    // peer sends.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.write_all(b"hello").unwrap();
        let mut sink = [0u8; 65536];
        let mut total = 0u64;
        loop {
            match c.read(&mut sink) {
                Ok(0) | Err(_) => return total,
                Ok(k) => total += k as u64,
            }
        }
    });
    let mut g = guest(
        WasiCtx::builder()
            .preopened_listener(listener)
            .build()
            .unwrap(),
    );
    assert_eq!(g.call::<i32, i32>("accept", 3), 0);
    let sock = g.call::<(), i32>("out", ());
    let sent = check("sock_send", g.measure("send", (sock, IOVS)));
    assert!(sent > 0);
    let got = check("sock_recv", g.measure("recv", (sock, IOVS, 0)));
    assert_eq!(got, 5);
    drop(g); // closes the connection
    assert_eq!(peer.join().unwrap(), sent as u64);

    let elapsed = start.elapsed();
    eprintln!("all in {elapsed:?}");
    assert!(elapsed < std::time::Duration::from_secs(60), "{elapsed:?}");
}

#[test]
fn long_paths_are_refused_before_any_copy() {
    // A path as long as memory: ENAMETOOLONG (PATH_MAX is 4096), found
    // without copying it.
    let dir = scratch("path");
    let mut g = guest(
        WasiCtx::builder()
            .preopened_dir(
                &dir,
                "/d",
                nanowasm_wasi::DirPerms::all(),
                nanowasm_wasi::FilePerms::all(),
            )
            .build()
            .unwrap(),
    );
    const ENAMETOOLONG: i32 = 37;
    assert_eq!(
        g.call::<(i32, i32, i32), i32>("open", (3, 0, 4097)),
        ENAMETOOLONG
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
