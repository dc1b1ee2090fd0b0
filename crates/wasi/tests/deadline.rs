//! Deadlines on blocking WASI calls (`WasiCtx::set_deadline`): a guest
//! asleep in `poll_oneoff`, or blocked reading, accepting on or writing to
//! a socket, ends with the interrupt trap once the deadline passes, and
//! calls that need not wait are not disturbed.
//!
//! Every guest runs on its own thread, bounded by `bounded`: a call that
//! never returns fails the test (after `STUCK`) instead of hanging it.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nanowasm_runtime::{Error, TrapCode};
use nanowasm_wasi::WasiCtx;

mod support;
use support::Guest;

const SEC: u64 = 1_000_000_000;
/// How long a guest may stay blocked before the test gives up on it.
const STUCK: Duration = Duration::from_secs(10);
/// The deadline of the blocking tests, from the call.
const DEADLINE: Duration = Duration::from_millis(200);
/// How long after the deadline the trap may come.
const LATE: Duration = Duration::from_millis(800);

/// Memory: 0 iovec (1024, len), 8 count, 12 `ro_flags`, 16 accepted or
/// opened fd, 100 the file name "p", 512 subscriptions, 640 events, 704
/// `nevents`, 1024.. a 64 KiB buffer.
const GUEST: &str = r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept"
    (func $sock_accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv"
    (func $sock_recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send"
    (func $sock_send (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 100) "p")

  ;; A count at 8 if $e is 0, else minus the errno.
  (func $count (param $e i32) (result i32)
    (if (result i32) (local.get $e)
      (then (i32.sub (i32.const 0) (local.get $e)))
      (else (i32.load (i32.const 8)))))

  ;; Waits on clock $id for $t ns (absolute if $flags is 1): the errno.
  (func (export "sleep") (param $id i32) (param $t i64) (param $flags i32) (result i32)
    (memory.fill (i32.const 512) (i32.const 0) (i32.const 48))
    (i64.store (i32.const 512) (i64.const 7))
    (i32.store (i32.const 528) (local.get $id))
    (i64.store (i32.const 536) (local.get $t))
    (i32.store16 (i32.const 552) (local.get $flags))
    (call $poll_oneoff (i32.const 512) (i32.const 640) (i32.const 1) (i32.const 704)))

  ;; Waits for $fd to be readable (userdata 9), alone: the errno.
  (func (export "poll_read") (param $fd i32) (result i32)
    (memory.fill (i32.const 512) (i32.const 0) (i32.const 48))
    (i64.store (i32.const 512) (i64.const 9))
    (i32.store8 (i32.const 520) (i32.const 1))
    (i32.store (i32.const 528) (local.get $fd))
    (call $poll_oneoff (i32.const 512) (i32.const 640) (i32.const 1) (i32.const 704)))

  (func (export "nevents") (result i32) (i32.load (i32.const 704)))
  (func (export "event_userdata") (result i64) (i64.load (i32.const 640)))

  ;; sock_accept on $fd: the new descriptor, or minus the errno.
  (func (export "accept") (param $fd i32) (result i32)
    (local $e i32)
    (local.set $e (call $sock_accept (local.get $fd) (i32.const 0) (i32.const 16)))
    (if (result i32) (local.get $e)
      (then (i32.sub (i32.const 0) (local.get $e)))
      (else (i32.load (i32.const 16)))))

  ;; Opens "p" beneath descriptor 3 with rights $rights: the new
  ;; descriptor, or minus the errno.
  (func (export "open") (param $rights i64) (result i32)
    (local $e i32)
    (local.set $e (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 1)
      (i32.const 0) (local.get $rights) (i64.const 0) (i32.const 0) (i32.const 16)))
    (if (result i32) (local.get $e)
      (then (i32.sub (i32.const 0) (local.get $e)))
      (else (i32.load (i32.const 16)))))

  ;; fd_read of up to $len bytes into 1024: the count, or minus the errno.
  (func (export "read") (param $fd i32) (param $len i32) (result i32)
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (local.get $len))
    (call $count (call $fd_read (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; sock_recv of up to $len bytes into 1024 with $flags (1 peek, 2 wait
  ;; for all): the count, or minus the errno.
  (func (export "recv") (param $fd i32) (param $len i32) (param $flags i32) (result i32)
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (local.get $len))
    (call $count (call $sock_recv (local.get $fd) (i32.const 0) (i32.const 1)
      (local.get $flags) (i32.const 8) (i32.const 12))))

  ;; Sends 64 KiB at a time with sock_send ($how 0) or fd_write ($how 1)
  ;; until a call fails: minus its errno.
  (func (export "flood") (param $fd i32) (param $how i32) (result i32)
    (local $e i32)
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 65536))
    (loop $again
      (local.set $e
        (if (result i32) (local.get $how)
          (then (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
          (else (call $sock_send (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 0)
            (i32.const 8)))))
      (br_if $again (i32.eqz (local.get $e))))
    (i32.sub (i32.const 0) (local.get $e))))"#;

/// This file's guest, [`GUEST`], with `cx`.
fn guest(cx: WasiCtx) -> Guest {
    Guest::with(GUEST, cx)
}

/// What these tests add to the shared harness.
trait Blocking {
    fn expect_interrupted<P: nanowasm_runtime::WasmParams>(&mut self, name: &str, args: P);
}

impl Blocking for Guest {
    /// Calls `name` with the deadline `DEADLINE` away and checks that it
    /// ends with the interrupt trap, neither before the deadline nor long
    /// after it.
    fn expect_interrupted<P: nanowasm_runtime::WasmParams>(&mut self, name: &str, args: P) {
        self.deadline_in(DEADLINE);
        let start = Instant::now();
        let r = self.try_call::<P, i32>(name, args);
        let took = start.elapsed();
        match r {
            Err(e) => assert_eq!(e.trap_code(), Some(TrapCode::Interrupted), "{name}: {e:?}"),
            Ok(v) => panic!("{name} returned {v} instead of being interrupted"),
        }
        assert!(
            took >= DEADLINE - Duration::from_millis(5),
            "{name}: {took:?}"
        );
        assert!(took < DEADLINE + LATE, "{name}: {took:?}");
    }
}

/// Runs `f` on its own thread; fails if it is still running after
/// `STUCK` (the thread is left behind, blocked).
fn bounded(f: impl FnOnce() + Send + 'static) {
    let (done, wait) = mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = done.send(());
    });
    match wait.recv_timeout(STUCK) {
        Ok(()) => {}
        // The thread panicked: its message is already printed.
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the guest thread failed"),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("the guest is still blocked after {STUCK:?}: the deadline did not stop it")
        }
    }
}

/// A listening socket on the loopback interface and its address.
fn listener() -> (TcpListener, std::net::SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    (l, addr)
}

#[test]
fn endless_sleep_ends_at_the_deadline() {
    bounded(|| {
        for (grant, cx) in [
            ("host clocks", WasiCtx::builder().allow_clocks(true).build()),
            ("no clocks", WasiCtx::builder().build()),
            (
                "coarse clocks",
                WasiCtx::builder()
                    .coarse_clocks(Duration::from_millis(10))
                    .build(),
            ),
        ] {
            let mut g = guest(cx.unwrap());
            // Relative u64::MAX on the realtime and monotonic clocks
            // (nothing overflows), then absolute u64::MAX.
            for (id, flags) in [(0, 0), (1, 0), (1, 1), (0, 1)] {
                if grant == "no clocks" && flags == 1 {
                    continue; // refused at once: see clock_grant.rs
                }
                eprintln!("{grant}: clock {id}, flags {flags}");
                g.expect_interrupted("sleep", (id, -1i64, flags));
            }
        }
    });
}

#[test]
fn trap_is_the_one_epoch_interruption_gives() {
    bounded(|| {
        let mut g = guest(WasiCtx::builder().build().unwrap());
        g.deadline_in(Duration::from_millis(10));
        let e = g.try_call::<_, i32>("sleep", (1, -1i64, 0)).unwrap_err();
        let epoch = Error::from(TrapCode::Interrupted);
        assert_eq!(e.trap_code(), Some(TrapCode::Interrupted));
        // The same message, plus the wasm frames that made the call.
        let first = e.to_string().lines().next().map(str::to_owned);
        assert_eq!(first.as_deref(), Some(epoch.to_string().as_str()));
        assert_eq!(first.as_deref(), Some("wasm trap: interrupted"));
        assert!(e.as_trap().is_some_and(|t| !t.backtrace.is_empty()), "{e}");
    });
}

#[test]
fn sleeps_and_ready_calls_before_the_deadline_are_undisturbed() {
    bounded(|| {
        let mut g = guest(WasiCtx::builder().allow_clocks(true).build().unwrap());
        // A short sleep well before the deadline.
        g.deadline_in(Duration::from_secs(5));
        let start = Instant::now();
        assert_eq!(g.call::<_, i32>("sleep", (1, 20_000_000i64, 0)), 0);
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert_eq!(g.call::<_, i64>("event_userdata", ()), 7);
        // A deadline already past does not stop a call that need not wait.
        g.store
            .data_mut()
            .set_deadline(Some(Instant::now() - Duration::from_millis(1)));
        assert_eq!(g.call::<_, i32>("sleep", (1, 0i64, 0)), 0);
        assert_eq!(g.call::<_, i32>("nevents", ()), 1);
        // And no deadline at all.
        g.store.data_mut().set_deadline(None);
        assert_eq!(g.call::<_, i32>("sleep", (1, 1_000_000i64, 0)), 0);
    });
}

#[test]
fn blocked_socket_calls_end_at_the_deadline() {
    bounded(|| {
        let (l, addr) = listener();
        let mut g = guest(WasiCtx::builder().preopened_listener(l).build().unwrap());
        // Nobody connects.
        g.expect_interrupted("accept", 3);
        // A peer that connects and then says nothing.
        let mut peer = TcpStream::connect(addr).unwrap();
        g.deadline_in(Duration::from_secs(5));
        let fd: i32 = g.call("accept", 3);
        assert_eq!(fd, 4);
        g.expect_interrupted("read", (fd, 64));
        g.expect_interrupted("recv", (fd, 64, 0));
        g.expect_interrupted("recv", (fd, 64, 1));
        g.expect_interrupted("poll_read", fd);
        // Some bytes, but fewer than "wait for all" asks for.
        peer.write_all(b"abc").unwrap();
        g.expect_interrupted("recv", (fd, 64, 2));
        // A peer that never reads: the send buffers fill up.
        g.expect_interrupted("flood", (fd, 0));
        g.expect_interrupted("flood", (fd, 1));
        drop(peer);
    });
}

#[test]
fn ready_socket_calls_are_undisturbed() {
    bounded(|| {
        let (l, addr) = listener();
        let mut g = guest(WasiCtx::builder().preopened_listener(l).build().unwrap());
        let mut peer = TcpStream::connect(addr).unwrap();
        peer.write_all(b"ping").unwrap();
        g.deadline_in(Duration::from_secs(5));
        let fd: i32 = g.call("accept", 3);
        assert_eq!(g.call::<_, i32>("poll_read", fd), 0);
        assert_eq!(g.call::<_, i64>("event_userdata", ()), 9);
        assert_eq!(g.call::<_, i32>("recv", (fd, 64, 1)), 4, "peek");
        assert_eq!(g.call::<_, i32>("read", (fd, 2)), 2);
        assert_eq!(g.call::<_, i32>("recv", (fd, 2, 2)), 2, "wait for all");
        // The peer closes: end of file, not a wait.
        drop(peer);
        assert_eq!(g.call::<_, i32>("read", (fd, 64)), 0);
    });
}

#[test]
fn descriptor_poll_on_virtual_clocks_ends_at_the_deadline() {
    // With virtual clocks, a poll on descriptors alone is a real wait.
    bounded(|| {
        let (l, addr) = listener();
        let cx = WasiCtx::builder()
            .virtual_clocks(1_700_000_000 * SEC)
            .preopened_listener(l)
            .build()
            .unwrap();
        let mut g = guest(cx);
        let _peer = TcpStream::connect(addr).unwrap();
        g.deadline_in(Duration::from_secs(5));
        let fd: i32 = g.call("accept", 3);
        g.expect_interrupted("poll_read", fd);
        // A virtual sleep needs no real time, so no deadline stops it.
        g.deadline_in(DEADLINE);
        assert_eq!(g.call::<_, i32>("sleep", (1, -1i64, 0)), 0);
    });
}

#[test]
fn fifo_open_read_and_write_end_at_the_deadline() {
    const FD_READ: i64 = 1 << 1;
    const FD_WRITE: i64 = 1 << 6;
    const ENXIO: i32 = 60;
    let dir = std::env::temp_dir().join(format!("nanowasm-deadline-fifo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("p");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let path = dir.clone();
    bounded(move || {
        let cx = WasiCtx::builder()
            .preopened_dir(
                &path,
                "/d",
                nanowasm_wasi::DirPerms::all(),
                nanowasm_wasi::FilePerms::all(),
            )
            .build()
            .unwrap();
        let mut g = guest(cx);
        g.deadline_in(Duration::from_secs(5));
        // Writing with no reader: refused at once, not a wait for one.
        assert_eq!(g.call::<_, i32>("open", FD_WRITE), -ENXIO);
        // Reading with no writer opens at once (it used to wait for one).
        let r: i32 = g.call("open", FD_READ);
        assert!(r > 3, "path_open: errno {}", -r);
        // A writer that never writes: the read waits, up to the deadline.
        let writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        g.expect_interrupted("read", (r, 64));
        // The guest's own write end, with the guest's reader not reading:
        // the FIFO fills and the write waits.
        g.deadline_in(Duration::from_secs(5));
        let w: i32 = g.call("open", FD_WRITE);
        assert!(w > 3, "path_open: errno {}", -w);
        g.expect_interrupted("flood", (w, 1));
        drop(writer);
    });
    let _ = std::fs::remove_dir_all(&dir);
}
