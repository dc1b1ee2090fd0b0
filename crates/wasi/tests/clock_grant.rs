//! `poll_oneoff` and file timestamps obey the clock grant: with no clocks
//! or coarse ones, a guest cannot learn the host's time from when an
//! absolute deadline fires, or from a file's times.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nanowasm_runtime::TrapCode;
use nanowasm_wasi::WasiCtx;

mod support;
use support::Guest;

const ENOTCAPABLE: i32 = 76;
const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

/// Memory: 0 clock result, 100 the file name "f", 200 a `filestat`, 512
/// two subscriptions, 640 events, 704 `nevents`.
const GUEST: &str = r#"(module
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_get"
    (func $fd_filestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get"
    (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "f")

  ;; The time of clock $id, or minus the errno.
  (func (export "now") (param $id i32) (result i64)
    (local $e i32)
    (local.set $e (call $clock_time_get (local.get $id) (i64.const 1) (i32.const 0)))
    (if (result i64) (local.get $e)
      (then (i64.sub (i64.const 0) (i64.extend_i32_u (local.get $e))))
      (else (i64.load (i32.const 0)))))

  ;; Waits on clock $id for $t (absolute if $flags is 1, userdata 7): the
  ;; errno of the call.
  (func (export "sleep") (param $id i32) (param $t i64) (param $flags i32) (result i32)
    (memory.fill (i32.const 512) (i32.const 0) (i32.const 48))
    (i64.store (i32.const 512) (i64.const 7))
    (i32.store (i32.const 528) (local.get $id))
    (i64.store (i32.const 536) (local.get $t))
    (i32.store16 (i32.const 552) (local.get $flags))
    (call $poll_oneoff (i32.const 512) (i32.const 640) (i32.const 1) (i32.const 704)))
  (func (export "nevents") (result i32) (i32.load (i32.const 704)))
  (func (export "event_error") (result i32) (i32.load16_u (i32.const 648)))

  ;; fd_filestat_get ($how 0) or path_filestat_get ($how 1) of "f" under
  ;; descriptor 3: the errno; times at 240 (atim), 248 (mtim), 256 (ctim).
  (func (export "stat") (param $how i32) (result i32)
    (if (result i32) (local.get $how)
      (then (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 1)
        (i32.const 200)))
      (else
        (drop (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 1)
          (i32.const 0) (i64.const 2097154) (i64.const 0) (i32.const 0) (i32.const 8)))
        (call $fd_filestat_get (i32.load (i32.const 8)) (i32.const 200))))))"#;

/// This file's guest, [`GUEST`], with `cx`.
fn guest(cx: WasiCtx) -> Guest {
    Guest::with(GUEST, cx)
}

/// What these tests add to the shared harness.
trait Grant {
    fn now(&mut self, id: i32) -> u64;
    fn times(&mut self) -> [u64; 3];
}

impl Grant for Guest {
    fn now(&mut self, id: i32) -> u64 {
        let t: i64 = self.call("now", id);
        assert!(t >= 0, "clock_time_get({id}): errno {}", -t);
        t as u64
    }

    /// The three times of the last `stat`.
    fn times(&mut self) -> [u64; 3] {
        [240, 248, 256].map(|at| self.u64_at(at))
    }
}

/// The host's realtime clock in nanoseconds.
fn real_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

#[test]
fn without_clocks_an_absolute_deadline_is_refused() {
    let mut g = guest(WasiCtx::builder().build().unwrap());
    // "now + 1 ms" and a deadline long past (the two cases whose firing
    // times would tell the host time apart) get the same answer, at once.
    for deadline in [real_ns() + MS, real_ns() + 3600 * SEC, 1] {
        for id in [0, 1] {
            let start = Instant::now();
            assert_eq!(g.call::<_, i32>("sleep", (id, deadline as i64, 1)), 0);
            assert_eq!(g.call::<_, i32>("nevents", ()), 1);
            assert_eq!(g.call::<_, i32>("event_error", ()), ENOTCAPABLE);
            assert!(start.elapsed() < Duration::from_millis(500));
        }
    }
    // A relative sleep tells no time (the guest has no clock to measure
    // it with): it still works.
    let start = Instant::now();
    assert_eq!(g.call::<_, i32>("sleep", (1, (20 * MS) as i64, 0)), 0);
    assert_eq!(g.call::<_, i32>("event_error", ()), 0);
    assert!(start.elapsed() >= Duration::from_millis(20));
}

#[test]
fn coarse_10s_absolute_deadline_waits_for_the_boundary() {
    const RES: u64 = 10 * SEC;
    let cx = WasiCtx::builder()
        .coarse_clocks(Duration::from_nanos(RES))
        .build()
        .unwrap();
    let mut g = guest(cx);
    // Keep clear of a boundary, so that none passes during the test.
    if RES - real_ns() % RES < 2 * SEC {
        std::thread::sleep(Duration::from_nanos(RES - real_ns() % RES + 100 * MS));
    }
    let seen = g.now(0);
    assert_eq!(seen % RES, 0);
    // The host time is somewhere in [seen, seen + 10 s). A deadline 1 ms
    // after it (or after the guest's view of now) must not fire before
    // the next boundary; the deadline ends the wait instead.
    for target in [real_ns() + MS, seen + MS, seen + RES - MS] {
        g.store
            .data_mut()
            .set_deadline(Some(Instant::now() + Duration::from_millis(300)));
        let r = g.try_call::<_, i32>("sleep", (0, target as i64, 1));
        let e = r.expect_err("the deadline fired before the 10 s boundary");
        assert_eq!(e.trap_code(), Some(TrapCode::Interrupted));
    }
    // A deadline the guest's view of now has reached fires at once.
    g.store.data_mut().set_deadline(None);
    assert_eq!(g.call::<_, i32>("sleep", (0, seen as i64, 1)), 0);
    assert_eq!(g.call::<_, i32>("event_error", ()), 0);
}

#[test]
fn coarse_deadlines_fire_on_a_boundary() {
    // 100 ms resolution: every wake-up lands on a boundary, whatever the
    // deadline and the host time within the interval were.
    const RES: u64 = 100 * MS;
    let cx = WasiCtx::builder()
        .coarse_clocks(Duration::from_nanos(RES))
        .build()
        .unwrap();
    let mut g = guest(cx);
    for (i, offset) in [1, 37, 63, 99].into_iter().enumerate() {
        let seen = g.now(0);
        let (target, flags) = if i % 2 == 0 {
            (seen + offset * MS, 1) // absolute realtime
        } else {
            (offset * MS, 0) // relative, from the guest's view of now
        };
        assert_eq!(g.call::<_, i32>("sleep", (0, target as i64, flags)), 0);
        let woke = real_ns();
        // The guest now sees exactly the next boundary...
        assert_eq!(g.now(0), seen + RES, "offset {offset} ms");
        // ...and the host woke it at that boundary, not at the deadline.
        assert!(
            woke >= seen + RES,
            "woke {} ms early",
            (seen + RES - woke) / MS
        );
        assert!(
            woke < seen + 2 * RES,
            "woke {} ms late",
            (woke - seen - RES) / MS
        );
    }
}

#[test]
fn file_times_obey_the_clock_grant() {
    let dir = std::env::temp_dir().join(format!("nanowasm-clock-grant-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("f"), b"x").unwrap();
    let meta = std::fs::metadata(dir.join("f")).unwrap();
    let mtim = meta
        .modified()
        .unwrap()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let build = |f: &dyn Fn(&mut nanowasm_wasi::WasiCtxBuilder)| {
        let mut b = WasiCtx::builder();
        b.preopened_dir(
            &dir,
            "/d",
            nanowasm_wasi::DirPerms::READ,
            nanowasm_wasi::FilePerms::READ,
        );
        f(&mut b);
        guest(b.build().unwrap())
    };
    for how in [0, 1] {
        let mut host = build(&|b| {
            b.allow_clocks(true);
        });
        assert_eq!(host.call::<_, i32>("stat", how), 0);
        assert_eq!(host.times()[1], mtim);

        let mut coarse = build(&|b| {
            b.coarse_clocks(Duration::from_secs(10));
        });
        assert_eq!(coarse.call::<_, i32>("stat", how), 0);
        assert_eq!(coarse.times()[1], mtim - mtim % (10 * SEC));
        assert!(coarse.times().iter().all(|t| t % (10 * SEC) == 0));

        for (grant, mut g) in [
            ("none", build(&|_| {})),
            (
                "virtual",
                build(&|b| {
                    b.virtual_clocks(1_700_000_000 * SEC);
                }),
            ),
        ] {
            assert_eq!(g.call::<_, i32>("stat", how), 0);
            assert_eq!(g.times(), [0, 0, 0], "{grant}, how {how}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
