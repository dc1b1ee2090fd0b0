//! Wrapped capabilities: coarse and virtual clocks, seeded randomness,
//! prefixed and size-limited standard output, seen by WAT guests.

use std::time::{Duration, Instant};

use nanowasm_runtime::{Engine, Linker, Module, Store};
use nanowasm_wasi::{Stdio, WasiCtx};

mod support;
use support::Guest;

const ENOTCAPABLE: i32 = 76;
const ENOSPC: i32 = 51;
const SEC: u64 = 1_000_000_000;

/// A guest with one small export per WASI call tested.
///
/// Memory: 0 clock result, 8 `nwritten`, 16 iovec, 300 "a\nb", 310 "c\n",
/// 320 "0123456789abcdef", 512 subscriptions (2 x 48), 640 events
/// (2 x 32), 704 `nevents`, 1024 random bytes.
const GUEST: &str = r#"(module
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_res_get"
    (func $clock_res_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get"
    (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 300) "a\nb")
  (data (i32.const 310) "c\n")
  (data (i32.const 320) "0123456789abcdef")

  ;; The time of clock $id, or minus the errno.
  (func (export "now") (param $id i32) (result i64)
    (local $e i32)
    (local.set $e (call $clock_time_get (local.get $id) (i64.const 1) (i32.const 0)))
    (if (result i64) (local.get $e)
      (then (i64.sub (i64.const 0) (i64.extend_i32_u (local.get $e))))
      (else (i64.load (i32.const 0)))))

  ;; The resolution of clock $id, or minus the errno.
  (func (export "res") (param $id i32) (result i64)
    (local $e i32)
    (local.set $e (call $clock_res_get (local.get $id) (i32.const 0)))
    (if (result i64) (local.get $e)
      (then (i64.sub (i64.const 0) (i64.extend_i32_u (local.get $e))))
      (else (i64.load (i32.const 0)))))

  ;; Writes a clock subscription (userdata $ud) at $at.
  (func $clock_sub (param $at i32) (param $ud i64) (param $id i32) (param $t i64) (param $flags i32)
    (memory.fill (local.get $at) (i32.const 0) (i32.const 48))
    (i64.store (local.get $at) (local.get $ud))
    (i32.store8 offset=8 (local.get $at) (i32.const 0))
    (i32.store offset=16 (local.get $at) (local.get $id))
    (i64.store offset=24 (local.get $at) (local.get $t))
    (i32.store16 offset=40 (local.get $at) (local.get $flags)))

  ;; Waits on clock $id for $t ns (absolute if $flags is 1); the errno.
  (func (export "sleep") (param $id i32) (param $t i64) (param $flags i32) (result i32)
    (call $clock_sub (i32.const 512) (i64.const 7) (local.get $id) (local.get $t) (local.get $flags))
    (call $poll_oneoff (i32.const 512) (i32.const 640) (i32.const 1) (i32.const 704)))

  ;; Waits on a relative monotonic $t (userdata 7) and on stdin being
  ;; readable (userdata 9); the errno.
  (func (export "sleep_or_stdin") (param $t i64) (result i32)
    (call $clock_sub (i32.const 512) (i64.const 7) (i32.const 1) (local.get $t) (i32.const 0))
    (memory.fill (i32.const 560) (i32.const 0) (i32.const 48))
    (i64.store (i32.const 560) (i64.const 9))
    (i32.store8 (i32.const 568) (i32.const 1))
    (i32.store (i32.const 576) (i32.const 0))
    (call $poll_oneoff (i32.const 512) (i32.const 640) (i32.const 2) (i32.const 704)))

  (func (export "nevents") (result i32) (i32.load (i32.const 704)))
  (func (export "event_userdata") (param $i i32) (result i64)
    (i64.load (i32.add (i32.const 640) (i32.mul (local.get $i) (i32.const 32)))))
  (func (export "event_error") (param $i i32) (result i32)
    (i32.load16_u offset=8 (i32.add (i32.const 640) (i32.mul (local.get $i) (i32.const 32)))))
  (func (export "event_type") (param $i i32) (result i32)
    (i32.load8_u offset=10 (i32.add (i32.const 640) (i32.mul (local.get $i) (i32.const 32)))))

  ;; Fills $len bytes at 1024 with random_get; the errno.
  (func (export "random") (param $len i32) (result i32)
    (call $random_get (i32.const 1024) (local.get $len)))

  ;; Writes $len bytes at $ptr to $fd; the errno (the count is at 8).
  (func (export "write") (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 8) (i32.const -1))
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (call $fd_write (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 8)))
  (func (export "nwritten") (result i32) (i32.load (i32.const 8))))"#;

/// This file's guest, [`GUEST`], with `cx`.
fn guest(cx: WasiCtx) -> Guest {
    Guest::with(GUEST, cx)
}

/// What these tests add to the shared harness.
trait Wrapped {
    fn now(&mut self, id: i32) -> u64;
    fn now_raw(&mut self, id: i32) -> i64;
    fn res(&mut self, id: i32) -> u64;
    fn sleep(&mut self, id: i32, t: u64, absolute: bool) -> i32;
    fn events(&mut self) -> Vec<(u64, i32, i32)>;
    fn random(&mut self, len: usize) -> (i32, Vec<u8>);
    fn write(&mut self, fd: i32, ptr: i32, len: i32) -> (i32, i32);
    fn cx(&self) -> &WasiCtx;
}

impl Wrapped for Guest {
    /// The time of clock `id`; panics on an errno.
    fn now(&mut self, id: i32) -> u64 {
        let t: i64 = self.call("now", id);
        assert!(t >= 0, "clock_time_get({id}) failed with errno {}", -t);
        t as u64
    }

    /// `clock_time_get` as the guest saw it: the time, or minus the errno.
    fn now_raw(&mut self, id: i32) -> i64 {
        self.call("now", id)
    }

    fn res(&mut self, id: i32) -> u64 {
        let r: i64 = self.call("res", id);
        assert!(r >= 0, "clock_res_get({id}) failed with errno {}", -r);
        r as u64
    }

    fn sleep(&mut self, id: i32, t: u64, absolute: bool) -> i32 {
        self.call("sleep", (id, t as i64, i32::from(absolute)))
    }

    /// The events of the last poll: (userdata, error, type).
    fn events(&mut self) -> Vec<(u64, i32, i32)> {
        let n: i32 = self.call("nevents", ());
        (0..n)
            .map(|i| {
                let u: i64 = self.call("event_userdata", i);
                let e: i32 = self.call("event_error", i);
                let t: i32 = self.call("event_type", i);
                (u as u64, e, t)
            })
            .collect()
    }

    /// `random_get` of `len` bytes: the errno and the bytes.
    fn random(&mut self, len: usize) -> (i32, Vec<u8>) {
        let e: i32 = self.call("random", len as i32);
        (e, self.mem()[1024..1024 + len].to_vec())
    }

    /// `fd_write` of guest memory `ptr..ptr + len`: the errno and the
    /// count written.
    fn write(&mut self, fd: i32, ptr: i32, len: i32) -> (i32, i32) {
        let e: i32 = self.call("write", (fd, ptr, len));
        let n: i32 = self.call("nwritten", ());
        (e, n)
    }

    fn cx(&self) -> &WasiCtx {
        self.store.data()
    }
}

const A_NL_B: (i32, i32) = (300, 3);
const C_NL: (i32, i32) = (310, 2);
const DIGITS: i32 = 320;

#[test]
fn coarse_clocks_truncate_every_clock() {
    const RES: u64 = 100_000_000;
    let cx = WasiCtx::builder()
        .coarse_clocks(Duration::from_millis(100))
        .build()
        .unwrap();
    let mut g = guest(cx);
    for id in 0..4 {
        let t = g.now(id);
        assert_eq!(t % RES, 0, "clock {id} reads {t}");
        assert!(g.res(id) >= RES, "clock {id} resolution {}", g.res(id));
    }
    // Realtime is still the real time, to within the resolution.
    let real = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let t = g.now(0);
    assert!(t <= real + RES && real < t + 2 * RES, "{t} vs {real}");
    // Monotonic never goes back, across a tick too.
    let mut last = g.now(1);
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(250) {
        let m = g.now(1);
        assert_eq!(m % RES, 0);
        assert!(m >= last, "{m} < {last}");
        last = m;
    }
    assert!(last > 0);
    // poll_oneoff really sleeps, until the guest's (truncated) clock
    // shows the timeout passed: on the next boundary at or after its view
    // of now plus the timeout.
    let before = g.now(1);
    let start = Instant::now();
    assert_eq!(g.sleep(1, 50_000_000, false), 0);
    assert!(start.elapsed() > Duration::ZERO);
    assert_eq!(g.now(1), before + RES);
    assert_eq!(g.events(), vec![(7, 0, 0)]);
    assert_eq!(g.cx().virtual_time(), None);
}

#[test]
fn virtual_clocks_count_reads() {
    const START: u64 = 1_700_000_000 * SEC;
    let cx = WasiCtx::builder().virtual_clocks(START).build().unwrap();
    let mut g = guest(cx);
    assert_eq!(g.now(0), START);
    assert_eq!(g.now(0), START + 1000);
    assert_eq!(g.now(0), START + 2000);
    // Every clock shares the counter; each read advances it by 1 µs.
    assert_eq!(g.now(1), 3000);
    assert_eq!(g.now(2), 4000);
    assert_eq!(g.now(3), 5000);
    assert_eq!(g.cx().virtual_time(), Some(6000));
    for id in 0..4 {
        assert_eq!(g.res(id), 1000);
    }
    // clock_res_get does not advance time; an unknown clock is EINVAL.
    assert_eq!(g.now_raw(9), -28);
    assert_eq!(g.now(1), 6000);

    let mut fresh = guest(WasiCtx::builder().virtual_clocks(START).build().unwrap());
    assert_eq!(fresh.now(1), 0, "monotonic starts at 0");
    assert_eq!(fresh.now(1), 1000);
}

#[test]
fn virtual_sleep_costs_no_real_time() {
    const START: u64 = 1_700_000_000 * SEC;
    let cx = WasiCtx::builder().virtual_clocks(START).build().unwrap();
    let mut g = guest(cx);
    let before = g.now(1);
    let real = Instant::now();
    assert_eq!(g.sleep(1, 10 * SEC, false), 0);
    assert!(
        real.elapsed() < Duration::from_secs(2),
        "{:?}",
        real.elapsed()
    );
    assert_eq!(g.events(), vec![(7, 0, 0)]);
    let after = g.now(1);
    assert!(after >= 10 * SEC, "{after}");
    assert_eq!(after, before + 1000 + 10 * SEC);
    // A relative sleep on the realtime clock (as libc's `sleep` does).
    let wall = g.now(0);
    assert_eq!(g.sleep(0, 10 * SEC, false), 0);
    assert!(g.now(0) >= wall + 10 * SEC);
    // An absolute realtime deadline: time jumps right to it.
    let target = START + 100 * SEC;
    assert_eq!(g.sleep(0, target, true), 0);
    assert_eq!(g.events(), vec![(7, 0, 0)]);
    assert_eq!(g.now(0), target);
    // A deadline already past is reported without moving time.
    let t = g.now(1);
    assert_eq!(g.sleep(1, 5, true), 0);
    assert_eq!(g.events(), vec![(7, 0, 0)]);
    assert_eq!(g.now(1), t + 1000);
    // An absolute monotonic deadline.
    assert_eq!(g.sleep(1, 500 * SEC, true), 0);
    assert_eq!(g.now(1), 500 * SEC);
    assert!(
        real.elapsed() < Duration::from_secs(2),
        "{:?}",
        real.elapsed()
    );
}

#[test]
fn virtual_poll_prefers_a_ready_descriptor() {
    let cx = WasiCtx::builder().virtual_clocks(0).build().unwrap();
    let mut g = guest(cx);
    // Null stdin is readable (at end of file) at once: time stays.
    let e: i32 = g.call("sleep_or_stdin", 10 * SEC as i64);
    assert_eq!(e, 0);
    assert_eq!(g.events(), vec![(9, 0, 1)]);
    assert_eq!(g.now(1), 0);
}

#[test]
fn virtual_clocks_are_reproducible() {
    fn run(start: u64) -> Vec<u64> {
        let mut g = guest(WasiCtx::builder().virtual_clocks(start).build().unwrap());
        let mut seen = vec![g.now(0), g.now(1)];
        assert_eq!(g.sleep(1, 5 * SEC, false), 0);
        seen.extend([g.now(0), g.now(2), g.now(3)]);
        assert_eq!(g.sleep(0, 3 * SEC + 7, false), 0);
        seen.extend([g.now(1), g.now(0)]);
        seen
    }
    let a = run(42 * SEC);
    assert_eq!(a, run(42 * SEC));
    assert_eq!(a[0], 42 * SEC);
    assert_ne!(a, run(43 * SEC));
}

#[test]
fn clocks_stay_denied_by_default() {
    for cx in [
        WasiCtx::builder().build().unwrap(),
        WasiCtx::builder()
            .virtual_clocks(0)
            .allow_clocks(false)
            .build()
            .unwrap(),
        WasiCtx::builder()
            .coarse_clocks(Duration::from_secs(1))
            .allow_clocks(false)
            .build()
            .unwrap(),
    ] {
        let mut g = guest(cx);
        assert_eq!(g.now_raw(0), -i64::from(ENOTCAPABLE));
        assert_eq!(g.call::<i32, i64>("res", 1), -i64::from(ENOTCAPABLE));
    }
    // The last grant wins: coarse then host clocks is the host's.
    let cx = WasiCtx::builder()
        .coarse_clocks(Duration::from_secs(1000))
        .allow_clocks(true)
        .build()
        .unwrap();
    assert!(guest(cx).res(1) < 1000 * SEC);
}

#[test]
fn seeded_random_is_deterministic() {
    let bytes = |seed| {
        let mut g = guest(WasiCtx::builder().seeded_random(seed).build().unwrap());
        let (e, first) = g.random(64);
        assert_eq!(e, 0);
        let (e, second) = g.random(64);
        assert_eq!(e, 0);
        assert_ne!(first, second, "the stream goes on");
        (first, second)
    };
    let a = bytes(42);
    assert_eq!(a, bytes(42));
    assert!(a.0.iter().any(|&b| b != 0));
    let c = bytes(43);
    assert_ne!(a.0, c.0);
    assert_ne!(a.1, c.1);
    // Reads of other sizes consume the same stream.
    let mut g = guest(WasiCtx::builder().seeded_random(42).build().unwrap());
    let (_, head) = g.random(10);
    assert_eq!(head[..], a.0[..10]);

    // Denied stays denied: by default, and when revoked after a seed.
    for cx in [
        WasiCtx::builder().build().unwrap(),
        WasiCtx::builder()
            .seeded_random(42)
            .allow_random(false)
            .build()
            .unwrap(),
    ] {
        assert_eq!(guest(cx).random(64).0, ENOTCAPABLE);
    }
    // Host randomness still works.
    let mut g = guest(WasiCtx::builder().allow_random(true).build().unwrap());
    assert_eq!(g.random(64).0, 0);
}

#[test]
fn prefix_starts_every_line() {
    let (out, buf) = Stdio::buffer(Vec::new());
    let (err, ebuf) = Stdio::buffer(Vec::new());
    let cx = WasiCtx::builder()
        .stdout(out)
        .stderr(err)
        .stdout_prefix("[p] ")
        .stderr_prefix(b"E: ".to_vec())
        .build()
        .unwrap();
    let mut g = guest(cx);
    assert_eq!(g.write(1, A_NL_B.0, A_NL_B.1), (0, 3));
    assert_eq!(g.write(2, DIGITS, 2), (0, 2));
    assert_eq!(g.write(1, C_NL.0, C_NL.1), (0, 2));
    assert_eq!(g.write(2, C_NL.0, C_NL.1), (0, 2));
    assert_eq!(g.write(2, C_NL.0, C_NL.1), (0, 2));
    assert_eq!(&*buf.lock().unwrap(), b"[p] a\n[p] bc\n");
    assert_eq!(&*ebuf.lock().unwrap(), b"E: 01c\nE: c\n");
    // An empty write adds no prefix.
    assert_eq!(g.write(1, DIGITS, 0), (0, 0));
    assert_eq!(&*buf.lock().unwrap(), b"[p] a\n[p] bc\n");
}

#[test]
fn prefix_with_null_discards() {
    let cx = WasiCtx::builder().stdout_prefix("[p] ").build().unwrap();
    let mut g = guest(cx);
    assert_eq!(g.write(1, A_NL_B.0, A_NL_B.1), (0, 3));
}

#[test]
fn output_limit_is_a_shared_quota() {
    let (out, buf) = Stdio::buffer(Vec::new());
    let cx = WasiCtx::builder()
        .stdout(out)
        .output_limit(10)
        .build()
        .unwrap();
    let mut g = guest(cx);
    assert_eq!(g.write(1, DIGITS, 8), (0, 8));
    assert_eq!(g.write(1, DIGITS, 8), (0, 2), "a short write");
    assert_eq!(g.write(1, DIGITS, 8).0, ENOSPC);
    assert_eq!(&*buf.lock().unwrap(), b"0123456701");
    assert_eq!(g.cx().output_remaining(), Some(0));

    // stdout and stderr draw on one quota.
    let (out, buf) = Stdio::buffer(Vec::new());
    let (err, ebuf) = Stdio::buffer(Vec::new());
    let cx = WasiCtx::builder()
        .stdout(out)
        .stderr(err)
        .output_limit(10)
        .build()
        .unwrap();
    let mut g = guest(cx);
    assert_eq!(g.write(2, DIGITS, 6), (0, 6));
    assert_eq!(g.write(1, DIGITS, 6), (0, 4));
    assert_eq!(g.write(2, DIGITS, 1).0, ENOSPC);
    assert_eq!(g.write(1, DIGITS, 1).0, ENOSPC);
    assert_eq!(&*ebuf.lock().unwrap(), b"012345");
    assert_eq!(&*buf.lock().unwrap(), b"0123");
}

#[test]
fn output_limit_does_not_count_prefixes() {
    let (out, buf) = Stdio::buffer(Vec::new());
    let cx = WasiCtx::builder()
        .stdout(out)
        .stdout_prefix("[p] ")
        .output_limit(4)
        .build()
        .unwrap();
    let mut g = guest(cx);
    assert_eq!(g.write(1, A_NL_B.0, A_NL_B.1), (0, 3));
    assert_eq!(g.cx().output_remaining(), Some(1));
    assert_eq!(g.write(1, C_NL.0, C_NL.1), (0, 1));
    assert_eq!(g.write(1, C_NL.0, C_NL.1).0, ENOSPC);
    assert_eq!(&*buf.lock().unwrap(), b"[p] a\n[p] bc");
    // Null output counts against the quota too.
    let cx = WasiCtx::builder().output_limit(3).build().unwrap();
    let mut g = guest(cx);
    assert_eq!(g.write(1, DIGITS, 5), (0, 3));
    assert_eq!(g.write(2, DIGITS, 5).0, ENOSPC);
}

/// Runs a prebuilt C (wasi-libc) test program from `tests/wasi/bin` to its
/// end with the context `build` makes (given the program's name), and
/// returns its stdout and final context.
fn run_c(name: &str, build: impl FnOnce(&mut nanowasm_wasi::WasiCtxBuilder)) -> (String, WasiCtx) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/wasi/bin/");
    let bytes = std::fs::read(format!("{path}{name}.wasm")).unwrap();
    let (out, buf) = Stdio::buffer(Vec::new());
    let mut b = WasiCtx::builder();
    b.arg(name).stdout(out);
    build(&mut b);
    let engine = Engine::default();
    let module = Module::new(&engine, &bytes).unwrap();
    let mut linker = Linker::new(&engine);
    nanowasm_wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
    let mut store = Store::new(&engine, b.build().unwrap());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let start = inst.get_typed_func::<(), ()>(&mut store, "_start").unwrap();
    match start.call(&mut store, ()) {
        Ok(()) => {}
        Err(e) if e.exit_status() == Some(0) => {}
        Err(e) => panic!("{name}: {e:?}"),
    }
    let out = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
    (out, store.into_data())
}

#[test]
fn libc_sleeps_on_virtual_time() {
    let expected = include_str!("../../../tests/wasi/expected/sleep.stdout");
    let real = Instant::now();
    let (out, cx) = run_c("sleep", |b| {
        b.virtual_clocks(1_700_000_000 * SEC);
    });
    assert!(
        real.elapsed() < Duration::from_secs(2),
        "{:?}",
        real.elapsed()
    );
    assert_eq!(out, expected);
    // Five 20 ms sleeps, all virtual.
    assert!(cx.virtual_time().unwrap() >= 100_000_000);
    // The same run again sees exactly the same time.
    let (again, cx2) = run_c("sleep", |b| {
        b.virtual_clocks(1_700_000_000 * SEC);
    });
    assert_eq!(again, out);
    assert_eq!(cx2.virtual_time(), cx.virtual_time());
}

#[test]
fn libc_clocks_on_wrapped_clocks() {
    let expected = include_str!("../../../tests/wasi/expected/clocks.stdout");
    let (out, cx) = run_c("clocks", |b| {
        b.virtual_clocks(1_700_000_000 * SEC);
    });
    assert_eq!(out, expected);
    assert!(cx.virtual_time().unwrap() >= 1000 * 1000, "1000+ reads");
    let (out, _) = run_c("clocks", |b| {
        b.coarse_clocks(Duration::from_millis(10));
    });
    assert_eq!(out, expected);
}

#[test]
fn libc_output_is_prefixed() {
    let (out, _) = run_c("clocks", |b| {
        b.stdout_prefix("[clocks] ");
    });
    // Clocks denied: the program still prints, each line prefixed.
    assert!(!out.is_empty());
    for line in out.lines() {
        assert!(line.starts_with("[clocks] "), "{line:?}");
    }
    assert!(out.ends_with('\n'));
}
