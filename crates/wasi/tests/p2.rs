//! WASI 0.2 on the component runtime: guests written in component text
//! (`p2_guest.rs`), run through `nanowasm_wasi::p2::add_to_linker`.

mod p2_guest;

use std::sync::{Arc, Mutex};

use nanowasm_component::runtime::{Component, Linker, Val};
use nanowasm_runtime::{Engine, Error, Store};
use nanowasm_wasi::{DirPerms, FilePerms, Stdio, WasiCtx, WasiCtxBuilder};
use p2_guest::{binary, code, command, command_at};

struct Run {
    result: Result<Val, Error>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn exit_status(&self) -> Option<i32> {
        match &self.result {
            Ok(Val::Result(Ok(_))) => Some(0),
            Ok(_) => Some(1),
            Err(e) => e.exit_status(),
        }
    }
}

fn run_with(text: &str, setup: impl FnOnce(&mut WasiCtxBuilder)) -> Run {
    run_in(&Engine::default(), &binary(text), setup, |_| {})
}

fn run_in(
    engine: &Engine,
    bytes: &[u8],
    setup: impl FnOnce(&mut WasiCtxBuilder),
    store_setup: impl FnOnce(&mut Store<WasiCtx>),
) -> Run {
    let component = Component::new(engine, bytes).expect("component compiles");
    let (out, stdout) = Stdio::buffer(Vec::new());
    let (err, stderr) = Stdio::buffer(Vec::new());
    let mut b = WasiCtx::builder();
    b.stdout(out).stderr(err);
    setup(&mut b);
    let mut store = Store::new(engine, b.build().expect("context"));
    store_setup(&mut store);
    let mut linker = Linker::new(engine);
    nanowasm_wasi::p2::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
    let result = linker
        .instantiate(&mut store, &component)
        .and_then(|instance| {
            let name = instance
                .export_names()
                .into_iter()
                .find(|n| n.starts_with("wasi:cli/run@0.2."))
                .expect("a command");
            let f = instance
                .get_instance_func(&mut store, &name, "run")
                .expect("run");
            let mut out = [Val::Bool(false)];
            f.call(&mut store, &[], &mut out)?;
            let [v] = out;
            Ok(v)
        });
    let text = |b: &Arc<Mutex<Vec<u8>>>| String::from_utf8_lossy(&b.lock().unwrap()).into_owned();
    Run {
        result,
        stdout: text(&stdout),
        stderr: text(&stderr),
    }
}

fn run(body: &str) -> Run {
    run_with(&command(body), |_| {})
}

#[test]
fn hello_stdout_and_stderr() {
    let r = run(r#"
        (data (i32.const 1024) "hello\n")
        (data (i32.const 1040) "oops\n")
        (func $run (result i32)
          (local $e i32)
          (call $print (i32.const 1024) (i32.const 6))
          (local.set $e (call $get-stderr))
          (call $write (local.get $e) (i32.const 1040) (i32.const 5) (i32.const 0))
          (call $drop-output (local.get $e))
          ;; no terminal
          (call $terminal-stdout (i32.const 16))
          (call $num (i64.extend_i32_u (i32.load8_u (i32.const 16))))
          (i32.const 0))"#);
    assert_eq!(r.exit_status(), Some(0), "{:?}", r.result.err());
    assert_eq!(r.stdout, "hello\n0\n");
    assert_eq!(r.stderr, "oops\n");
}

#[test]
fn any_0_2_version_links() {
    for v in ["0.2.0", "0.2.3", "0.2.6"] {
        let r = run_with(
            &command_at(
                v,
                r#"(data (i32.const 1024) "v\n")
                   (func $run (result i32) (call $print (i32.const 1024) (i32.const 2)) (i32.const 0))"#,
            ),
            |_| {},
        );
        assert_eq!(r.stdout, "v\n", "{v}: {:?}", r.result.err());
    }
    // 0.3 is another interface.
    let e = Component::new(
        &Engine::default(),
        binary(&command_at(
            "0.3.0",
            "(func $run (result i32) (i32.const 0))",
        )),
    )
    .and_then(|c| {
        let engine = c.engine().clone();
        let mut store = Store::new(&engine, WasiCtx::builder().build().unwrap());
        let mut linker = Linker::new(&engine);
        nanowasm_wasi::p2::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx)?;
        linker.instantiate(&mut store, &c)
    })
    .unwrap_err();
    assert!(e.to_string().contains("@0.3.0"), "{e}");
}

const PRINT_LIST_OF_STRINGS: &str = r#"
    ;; Prints each string of the list<string> at `r` on its own line.
    (func $print-strings (param $r i32) (param $stride i32)
      (local $p i32) (local $n i32)
      (local.set $p (i32.load (local.get $r)))
      (local.set $n (i32.load offset=4 (local.get $r)))
      (block $done (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (call $print (i32.load (local.get $p)) (i32.load offset=4 (local.get $p)))
        (if (i32.eq (local.get $stride) (i32.const 16))
          (then (call $print (i32.const 1030) (i32.const 1))
                (call $print (i32.load offset=8 (local.get $p)) (i32.load offset=12 (local.get $p)))))
        (call $print (i32.const 1031) (i32.const 1))
        (local.set $p (i32.add (local.get $p) (local.get $stride)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))
    (data (i32.const 1030) "=\n")
"#;

#[test]
fn arguments_and_environment() {
    let body = format!(
        r#"{PRINT_LIST_OF_STRINGS}
        (func $run (result i32)
          (call $args (i32.const 16))
          (call $print-strings (i32.const 16) (i32.const 8))
          (call $environ (i32.const 16))
          (call $print-strings (i32.const 16) (i32.const 16))
          (i32.const 0))"#
    );
    let r = run_with(&command(&body), |b| {
        b.args(["prog.wasm", "a b", "ünï"])
            .env("K", "v=1")
            .env("E", "");
    });
    assert_eq!(r.exit_status(), Some(0), "{:?}", r.result.err());
    assert_eq!(r.stdout, "prog.wasm\na b\nünï\nK=v=1\nE=\n");
}

#[test]
fn exit_statuses() {
    // exit(ok), exit(err), run returning err, run returning ok.
    for (body, status) in [
        ("(call $exit (i32.const 0)) (i32.const 0)", 0),
        ("(call $exit (i32.const 1)) (i32.const 0)", 1),
        ("(i32.const 1)", 1),
        ("(i32.const 0)", 0),
    ] {
        let r = run(&format!("(func $run (result i32) {body})"));
        assert_eq!(r.exit_status(), Some(status), "{body}: {:?}", r.result);
    }
    // exit is an exit, not a trap, and ends the guest at once.
    let r = run(r#"(data (i32.const 1024) "after")
        (func $run (result i32) (call $exit (i32.const 1)) (call $print (i32.const 1024) (i32.const 5)) (i32.const 0))"#);
    let e = r.result.unwrap_err();
    assert_eq!(e.exit_status(), Some(1));
    assert!(e.as_trap().is_none());
    assert_eq!(r.stdout, "");
}

#[test]
fn clocks_and_sleeping() {
    let body = r#"
        (func $run (result i32)
          (local $t0 i64) (local $t1 i64) (local $p i32)
          (local.set $t0 (call $mono-now))
          ;; sleep 20 ms
          (local.set $p (call $subscribe-duration (i64.const 20000000)))
          (call $block (local.get $p))
          (call $drop-pollable (local.get $p))
          (local.set $t1 (call $mono-now))
          (call $num (i64.div_u (i64.sub (local.get $t1) (local.get $t0)) (i64.const 1000000)))
          (call $wall-now (i32.const 16))
          (call $num (i64.load (i32.const 16)))
          ;; poll over two: the 0 ms one is ready
          (i32.store (i32.const 256) (call $subscribe-duration (i64.const 10000000000)))
          (i32.store (i32.const 260) (call $subscribe-duration (i64.const 0)))
          (call $poll (i32.const 256) (i32.const 2) (i32.const 24))
          (call $num (i64.extend_i32_u (i32.load (i32.const 28))))
          (call $num (i64.extend_i32_u (i32.load (i32.load (i32.const 24)))))
          (i32.const 0))"#;
    let r = run_with(&command(body), |b| {
        b.allow_clocks(true);
    });
    assert_eq!(r.exit_status(), Some(0), "{:?}", r.result.err());
    let lines: Vec<&str> = r.stdout.lines().collect();
    let slept: u64 = lines[0].parse().unwrap();
    assert!((20..5000).contains(&slept), "{slept}");
    let wall: u64 = lines[1].parse().unwrap();
    assert!(wall > 1_600_000_000, "{wall}");
    assert_eq!(&lines[2..], ["1", "1"]);

    // Virtual clocks: no real sleep, the virtual time jumps.
    let start = std::time::Instant::now();
    let r = run_with(&command(body), |b| {
        b.virtual_clocks(1_700_000_000_000_000_000);
    });
    assert_eq!(r.exit_status(), Some(0), "{:?}", r.result.err());
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0], "20");
    assert_eq!(lines[1], "1700000000");
    assert!(start.elapsed().as_secs() < 5);

    // Without a clock grant, reading a clock traps (WASI 0.2 has no error
    // for it); it never shows the host's time.
    let r = run("(func $run (result i32) (drop (call $mono-now)) (i32.const 0))");
    let e = r.result.unwrap_err();
    assert!(e.to_string().contains("clocks are not granted"), "{e}");
}

#[test]
fn random_sources() {
    let body = r#"
        (func $run (result i32)
          (call $num (call $random-u64))
          (call $random-bytes (i64.const 5) (i32.const 16))
          (call $num (i64.extend_i32_u (i32.load (i32.const 20))))
          (i32.const 0))"#;
    let a = run_with(&command(body), |b| {
        b.seeded_random(7);
    });
    let b = run_with(&command(body), |b| {
        b.seeded_random(7);
    });
    assert_eq!(a.exit_status(), Some(0), "{:?}", a.result.err());
    assert_eq!(a.stdout, b.stdout);
    assert!(a.stdout.ends_with("\n5\n"), "{}", a.stdout);
    let h = run_with(&command(body), |b| {
        b.allow_random(true);
    });
    assert_eq!(h.exit_status(), Some(0));
    // Not granted: a trap.
    let r = run(body);
    assert!(r.result.unwrap_err().to_string().contains("randomness"));
    // A huge request traps instead of allocating.
    let r = run_with(
        &command("(func $run (result i32) (call $random-bytes (i64.const 0x7fffffffff) (i32.const 16)) (i32.const 0))"),
        |b| {
            b.allow_random(true);
        },
    );
    assert!(r.result.is_err());
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "nanowasm-p2-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

// open-flags: create 1, directory 2, exclusive 4, truncate 8;
// descriptor-flags: read 1, write 2, mutate-directory 32.
const FILES: &str = r#"
    (data (i32.const 1024) "a.txt")
    (data (i32.const 1032) "hello file\n")
    (data (i32.const 1048) "b.txt")
    (data (i32.const 1056) "sub")
    (data (i32.const 1064) "sub/c.txt")
    (data (i32.const 1080) "nope.txt")
    (func $ls (param $d i32)
      (local $s i32)
      (call $read-directory (local.get $d) (i32.const 160))
      (local.set $s (call $handle (i32.const 160)))
      (block $done (loop $l
        (call $read-directory-entry (local.get $s) (i32.const 160))
        (br_if $done (i32.load8_u (i32.const 160)))
        (br_if $done (i32.eqz (i32.load8_u (i32.const 164))))
        (call $print (i32.load (i32.const 172)) (i32.load (i32.const 176)))
        (call $print (i32.const 1030) (i32.const 1))
        (call $num (i64.extend_i32_u (i32.load8_u (i32.const 168))))
        (br $l)))
      (call $drop-dir-stream (local.get $s)))
    (data (i32.const 1030) " ")
    (func $run (result i32)
      (local $d i32) (local $f i32)
      (local.set $d (call $dir))
      ;; create and write a.txt
      (local.set $f (call $open (local.get $d) (i32.const 1024) (i32.const 5) (i32.const 1) (i32.const 3)))
      (call $snum (local.get $f))
      (call $snum (call $write-file (local.get $f) (i32.const 1032) (i32.const 11)))
      ;; stat: size
      (call $stat (local.get $f) (i32.const 192))
      (call $num (i64.load (i32.const 216)))
      (call $cat (local.get $f))
      (call $drop-descriptor (local.get $f))
      ;; stat-at: type regular-file (6)
      (call $stat-at (local.get $d) (i32.const 0) (i32.const 1024) (i32.const 5) (i32.const 192))
      (call $num (i64.extend_i32_u (i32.load8_u (i32.const 200))))
      ;; mkdir sub, rename a.txt -> sub/c.txt
      (call $mkdir (local.get $d) (i32.const 1056) (i32.const 3) (i32.const 224))
      (call $snum (call $status (i32.const 224)))
      (call $rename (local.get $d) (i32.const 1024) (i32.const 5) (local.get $d) (i32.const 1064) (i32.const 9) (i32.const 224))
      (call $snum (call $status (i32.const 224)))
      ;; opening a.txt now fails: no-entry
      (call $snum (call $open (local.get $d) (i32.const 1024) (i32.const 5) (i32.const 0) (i32.const 1)))
      ;; b.txt, listing
      (local.set $f (call $open (local.get $d) (i32.const 1048) (i32.const 5) (i32.const 1) (i32.const 3)))
      (drop (call $write-file (local.get $f) (i32.const 1032) (i32.const 5)))
      (call $drop-descriptor (local.get $f))
      (call $ls (local.get $d))
      ;; unlink b.txt; rmdir of a non-empty dir fails (not-empty)
      (call $unlink (local.get $d) (i32.const 1048) (i32.const 5) (i32.const 224))
      (call $snum (call $status (i32.const 224)))
      (call $rmdir (local.get $d) (i32.const 1056) (i32.const 3) (i32.const 224))
      (call $snum (call $status (i32.const 224)))
      (i32.const 0))
"#;

#[test]
fn files_inside_a_preopen() {
    let dir = tempdir("files");
    let r = run_with(&command(FILES), |b| {
        b.preopened_dir(&dir, "/data", DirPerms::all(), FilePerms::all());
    });
    assert_eq!(r.exit_status(), Some(0), "{:?}", r.result.err());
    let mut lines: Vec<&str> = r.stdout.lines().collect();
    let listing: Vec<&str> = lines.drain(8..10).collect();
    let mut listing = listing;
    listing.sort();
    let no_entry = format!("-{}", code("no-entry") + 1);
    let not_empty = format!("-{}", code("not-empty") + 1);
    assert_eq!(
        lines,
        [
            "2", // the file's handle (1 is the preopen)
            "0",
            "11",
            "hello file",
            "6",
            "0",
            "0",
            &no_entry,
            "0",
            &not_empty,
        ],
        "{}",
        r.stdout
    );
    assert_eq!(listing, ["b.txt 6", "sub 3"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("sub/c.txt")).unwrap(),
        "hello file\n"
    );
    assert!(!dir.join("a.txt").exists());
    assert!(!dir.join("b.txt").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn read_only_preopen_refuses_changes() {
    let dir = tempdir("ro");
    std::fs::write(dir.join("a.txt"), "x").unwrap();
    let r = run_with(
        &command(
            r#"(data (i32.const 1024) "a.txt")
            (data (i32.const 1032) "new")
            (func $run (result i32)
              (local $d i32)
              (local.set $d (call $dir))
              (call $snum (call $open (local.get $d) (i32.const 1024) (i32.const 5) (i32.const 0) (i32.const 2)))
              (call $snum (call $open (local.get $d) (i32.const 1032) (i32.const 3) (i32.const 1) (i32.const 3)))
              (call $mkdir (local.get $d) (i32.const 1032) (i32.const 3) (i32.const 224))
              (call $snum (call $status (i32.const 224)))
              (call $unlink (local.get $d) (i32.const 1024) (i32.const 5) (i32.const 224))
              (call $snum (call $status (i32.const 224)))
              (i32.const 0))"#,
        ),
        |b| {
            b.preopened_dir(&dir, "/ro", DirPerms::READ, FilePerms::READ);
        },
    );
    let perm = format!("-{}", code("not-permitted") + 1);
    assert_eq!(r.stdout.lines().collect::<Vec<_>>(), [&perm; 4]);
    assert_eq!(std::fs::read_to_string(dir.join("a.txt")).unwrap(), "x");
    assert!(!dir.join("new").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn attack_path_escapes() {
    let root = tempdir("escape");
    let inner = root.join("inner");
    std::fs::create_dir(&inner).unwrap();
    std::fs::write(root.join("secret"), "top secret").unwrap();
    let r = run_with(
        &command(
            r#"(data (i32.const 1024) "../secret")
            (data (i32.const 1040) "/etc/passwd")
            (data (i32.const 1056) "out")
            (data (i32.const 1064) "out/secret")
            (data (i32.const 1080) "abs")
            (data (i32.const 1088) "/etc")
            (data (i32.const 1096) "../x")
            (data (i32.const 1104) "..")
            (data (i32.const 1112) "out/")
            (func $run (result i32)
              (local $d i32)
              (local.set $d (call $dir))
              ;; .. and absolute paths
              (call $snum (call $open (local.get $d) (i32.const 1024) (i32.const 9) (i32.const 0) (i32.const 1)))
              (call $snum (call $open (local.get $d) (i32.const 1040) (i32.const 11) (i32.const 0) (i32.const 1)))
              ;; a symlink pointing out: made, but never followed out
              (call $symlink (local.get $d) (i32.const 1104) (i32.const 2) (i32.const 1056) (i32.const 3) (i32.const 224))
              (call $snum (call $status (i32.const 224)))
              (call $snum (call $open (local.get $d) (i32.const 1064) (i32.const 10) (i32.const 0) (i32.const 1)))
              (call $open-at (local.get $d) (i32.const 1) (i32.const 1064) (i32.const 10) (i32.const 0) (i32.const 1) (i32.const 64))
              (call $snum (call $handle (i32.const 64)))
              (call $stat-at (local.get $d) (i32.const 1) (i32.const 1112) (i32.const 4) (i32.const 192))
              (call $snum (call $handle (i32.const 192)))
              ;; an absolute symlink is refused
              (call $symlink (local.get $d) (i32.const 1088) (i32.const 4) (i32.const 1080) (i32.const 3) (i32.const 224))
              (call $snum (call $status (i32.const 224)))
              ;; creating, renaming and removing outside
              (call $snum (call $open (local.get $d) (i32.const 1096) (i32.const 4) (i32.const 1) (i32.const 3)))
              (call $mkdir (local.get $d) (i32.const 1096) (i32.const 4) (i32.const 224))
              (call $snum (call $status (i32.const 224)))
              (call $rename (local.get $d) (i32.const 1056) (i32.const 3) (local.get $d) (i32.const 1096) (i32.const 4) (i32.const 224))
              (call $snum (call $status (i32.const 224)))
              (call $unlink (local.get $d) (i32.const 1024) (i32.const 9) (i32.const 224))
              (call $snum (call $status (i32.const 224)))
              (call $rmdir (local.get $d) (i32.const 1104) (i32.const 2) (i32.const 224))
              (call $snum (call $status (i32.const 224)))
              (i32.const 0))"#,
        ),
        |b| {
            b.preopened_dir(&inner, "/sandbox", DirPerms::all(), FilePerms::all());
        },
    );
    assert_eq!(r.exit_status(), Some(0), "{:?}", r.result.err());
    let lines: Vec<i64> = r.stdout.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(lines.len(), 12, "{}", r.stdout);
    assert!(lines[0] < 0 && lines[1] < 0, "{lines:?}");
    assert_eq!(lines[2], 0, "making the link itself is allowed");
    for (i, l) in lines.iter().enumerate().skip(3) {
        assert!(*l < 0, "operation {i} escaped: {lines:?}");
    }
    // Nothing changed outside.
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["inner", "secret"]);
    assert_eq!(
        std::fs::read_to_string(root.join("secret")).unwrap(),
        "top secret"
    );
    assert!(!r.stdout.contains("top secret"));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn attack_wrong_and_dropped_handles() {
    let dir = tempdir("handles");
    // A descriptor where an output-stream is expected; a dropped stream;
    // a forged handle number; dropping a handle twice: all traps.
    for body in [
        "(local $d i32) (local.set $d (call $dir)) (call $write (local.get $d) (i32.const 0) (i32.const 0) (i32.const 0)) (i32.const 0)",
        "(local $s i32) (local.set $s (call $get-stdout)) (call $drop-output (local.get $s)) (call $write (local.get $s) (i32.const 0) (i32.const 0) (i32.const 0)) (i32.const 0)",
        "(call $write (i32.const 4242) (i32.const 0) (i32.const 0) (i32.const 0)) (i32.const 0)",
        "(local $s i32) (local.set $s (call $get-stdout)) (call $drop-output (local.get $s)) (call $drop-output (local.get $s)) (i32.const 0)",
        "(local $d i32) (local.set $d (call $dir)) (call $drop-input (local.get $d)) (i32.const 0)",
        // A stream's pointer out of bounds.
        "(call $write (call $get-stdout) (i32.const 0xfffffff0) (i32.const 100) (i32.const 0)) (i32.const 0)",
    ] {
        let r = run_with(&command(&format!("(func $run (result i32) {body})")), |b| {
            b.preopened_dir(&dir, "/d", DirPerms::all(), FilePerms::all());
        });
        let e = r.result.expect_err(body);
        assert!(e.exit_status().is_none(), "{body}: {e}");
    }
    // A stream of a dropped descriptor whose number was reused is refused,
    // not read from the new file.
    std::fs::write(dir.join("one"), "first").unwrap();
    std::fs::write(dir.join("two"), "second").unwrap();
    let r = run_with(
        &command(
            r#"(data (i32.const 1024) "one")
            (data (i32.const 1028) "two")
            (func $run (result i32)
              (local $d i32) (local $f i32) (local $s i32)
              (local.set $d (call $dir))
              (local.set $f (call $open (local.get $d) (i32.const 1024) (i32.const 3) (i32.const 0) (i32.const 1)))
              (call $read-via-stream (local.get $f) (i64.const 0) (i32.const 128))
              (local.set $s (call $handle (i32.const 128)))
              (call $drop-descriptor (local.get $f))
              (local.set $f (call $open (local.get $d) (i32.const 1028) (i32.const 3) (i32.const 0) (i32.const 1)))
              (call $read (local.get $s) (i64.const 100) (i32.const 128))
              (call $num (i64.extend_i32_u (i32.load8_u (i32.const 128))))
              (if (i32.eqz (i32.load8_u (i32.const 128)))
                (then (call $print (i32.load (i32.const 132)) (i32.load (i32.const 136)))))
              (i32.const 0))"#,
        ),
        |b| {
            b.preopened_dir(&dir, "/d", DirPerms::all(), FilePerms::all());
        },
    );
    assert_eq!(r.exit_status(), Some(0), "{:?}", r.result.err());
    assert_eq!(r.stdout, "1\n", "an error, not `second`");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn attack_huge_writes_against_the_output_limit() {
    // 192 KiB at a time, up to 64 times, against a 100 000-byte limit.
    let r = run_with(
        &command(
            r#"(func $run (result i32)
              (local $i i32) (local $s i32)
              (local.set $s (call $get-stdout))
              (block $done (loop $l
                (call $write (local.get $s) (i32.const 0x1000) (i32.const 0x30000) (i32.const 16))
                (br_if $done (i32.load8_u (i32.const 16)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $l (i32.lt_u (local.get $i) (i32.const 64)))))
              (call $check-write (local.get $s) (i32.const 16))
              (call $snum (local.get $i))
              (i32.load8_u (i32.const 16)))"#,
        ),
        |b| {
            b.output_limit(100_000);
        },
    );
    assert_eq!(r.stdout.len(), 100_000);
    // The write that crossed the limit failed; check-write fails after.
    assert_eq!(r.exit_status(), Some(1), "{:?}", r.result);
}

#[test]
fn attack_never_returns_under_a_deadline() {
    let mut config = nanowasm_runtime::Config::new();
    config.epoch_interruption(true);
    let engine = Engine::new(&config);
    // A busy loop: the epoch deadline ends it.
    let bytes = binary(&command(
        "(func $run (result i32) (loop $l (br $l)) (i32.const 0))",
    ));
    let e2 = engine.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        e2.increment_epoch();
    });
    let start = std::time::Instant::now();
    let r = run_in(&engine, &bytes, |_| {}, |s| s.set_epoch_deadline(1));
    t.join().unwrap();
    let e = r.result.unwrap_err();
    assert_eq!(
        e.trap_code(),
        Some(nanowasm_runtime::TrapCode::Interrupted),
        "{e}"
    );
    assert!(start.elapsed().as_secs() < 10);
    // A sleep past the WASI deadline: the interrupt trap at the deadline.
    let bytes = binary(&command(
        "(func $run (result i32) (call $block (call $subscribe-duration (i64.const 100000000000))) (i32.const 0))",
    ));
    let start = std::time::Instant::now();
    let r = run_in(
        &Engine::default(),
        &bytes,
        |b| {
            b.allow_clocks(true);
        },
        |s| {
            s.data_mut().set_deadline(Some(
                std::time::Instant::now() + std::time::Duration::from_millis(200),
            ))
        },
    );
    let e = r.result.unwrap_err();
    assert_eq!(e.trap_code(), Some(nanowasm_runtime::TrapCode::Interrupted));
    assert!(start.elapsed().as_secs() < 10);
}

#[test]
fn tcp_sockets_need_the_tcp_grant() {
    // A guest that imports wasi:sockets links; making a TCP socket works
    // by default (its addresses still need grants) and answers
    // `access-denied` (index 1 of the sockets error-code enum) without
    // the TCP grant.
    let text = r#"(component $root
      (import "wasi:sockets/network@0.2.3" (instance $network
        (export "network" (type $n (sub resource)))
        (type $ec0 (enum "unknown" "access-denied" "not-supported" "invalid-argument" "out-of-memory"
          "timeout" "concurrency-conflict" "not-in-progress" "would-block" "invalid-state"
          "new-socket-limit" "address-not-bindable" "address-in-use" "remote-unreachable"
          "connection-refused" "connection-reset" "connection-aborted" "datagram-too-large"
          "name-unresolvable" "temporary-resolver-failure" "permanent-resolver-failure"))
        (export "error-code" (type $ec (eq $ec0)))
        (type $af0 (enum "ipv4" "ipv6"))
        (export "ip-address-family" (type $af (eq $af0)))))
      (alias export $network "network" (type $net))
      (alias export $network "error-code" (type $ec))
      (alias export $network "ip-address-family" (type $af))
      (import "wasi:sockets/instance-network@0.2.3" (instance $inet
        (alias outer $root $net (type $n0))
        (export "network" (type $n (eq $n0)))
        (export "instance-network" (func (result (own $n))))))
      (import "wasi:sockets/tcp@0.2.3" (instance $tcp
        (export "tcp-socket" (type (sub resource)))))
      (alias export $tcp "tcp-socket" (type $tcp-socket))
      (import "wasi:sockets/tcp-create-socket@0.2.3" (instance $create
        (alias outer $root $ec (type $ec0))
        (export "error-code" (type $e (eq $ec0)))
        (alias outer $root $af (type $af0))
        (export "ip-address-family" (type $a (eq $af0)))
        (alias outer $root $tcp-socket (type $t0))
        (export "tcp-socket" (type $t (eq $t0)))
        (export "create-tcp-socket" (func (param "address-family" $a) (result (result (own $t) (error $e)))))))
      (core module $Libc (memory (export "memory") 1))
      (core instance $libc (instantiate $Libc))
      (alias core export $libc "memory" (core memory $mem))
      (core func $inet (canon lower (func $inet "instance-network")))
      (core func $create (canon lower (func $create "create-tcp-socket") (memory $mem)))
      (core func $drop-net (canon resource.drop $net))
      (core module $Main
        (import "libc" "memory" (memory 1))
        (import "" "inet" (func $inet (result i32)))
        (import "" "create" (func $create (param i32 i32)))
        (import "" "drop-net" (func $drop-net (param i32)))
        (func (export "probe") (result i32)
          (call $drop-net (call $inet))
          (call $create (i32.const 0) (i32.const 16))
          (i32.add (i32.mul (i32.load8_u (i32.const 16)) (i32.const 100)) (i32.load8_u (i32.const 20)))))
      (core instance $main (instantiate $Main (with "libc" (instance $libc))
        (with "" (instance (export "inet" (func $inet)) (export "create" (func $create)) (export "drop-net" (func $drop-net))))))
      (func (export "probe") (result u32) (canon lift (core func $main "probe"))))"#;
    let engine = Engine::default();
    let c = Component::new(&engine, binary(text)).unwrap();
    for (tcp, expected) in [(true, 0), (false, 101)] {
        let ctx = WasiCtx::builder().allow_tcp(tcp).build().unwrap();
        let mut store = Store::new(&engine, ctx);
        let mut linker = Linker::new(&engine);
        nanowasm_wasi::p2::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
        let i = linker.instantiate(&mut store, &c).unwrap();
        let f = i.get_func(&mut store, "probe").unwrap();
        let mut out = [Val::Bool(false)];
        f.call(&mut store, &[], &mut out).unwrap();
        // ok: the is-err byte 0 and a handle; err: 1 and the code.
        match out[0] {
            Val::U32(n) if expected == 0 => assert!(n < 100, "{n}"),
            ref v => assert_eq!(*v, Val::U32(expected)),
        }
    }
}

/// The wit-bindgen guest `tests/components/bin/network/p2_tcp.wasm`.
fn p2_tcp() -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/components/bin/network/p2_tcp.wasm"),
    )
    .expect("tests/components/bin/network/p2_tcp.wasm")
}

fn tcp_run(
    args: &[&str],
    setup: impl FnOnce(&mut WasiCtxBuilder),
    store_setup: impl FnOnce(&mut Store<WasiCtx>),
) -> Run {
    let mut argv = vec!["p2_tcp.wasm".to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    run_in(
        &Engine::default(),
        &p2_tcp(),
        |b| {
            b.args(argv);
            setup(b);
        },
        store_setup,
    )
}

#[test]
fn tcp_echo_through_a_granted_address() {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut buf = [0u8; 4096];
        let mut total = 0;
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 || s.write_all(&buf[..n]).is_err() {
                break;
            }
            total += n;
        }
        total
    });
    let port = addr.port().to_string();
    let r = tcp_run(
        &["echo", &port],
        |b| {
            b.allow_tcp_connect(nanowasm_wasi::net::AddrGrant::exact(addr));
        },
        |_| {},
    );
    assert_eq!(r.exit_status(), Some(0), "{:?} {}", r.result, r.stderr);
    assert!(
        r.stdout
            .contains("echo1=hello, echo\nbig: sent=200000 received=200000 match=1 writes>1=1\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("read to end: closed=1\n"), "{}", r.stdout);
    assert_eq!(server.join().unwrap(), 200_012);
}

#[test]
fn attack_socket_addr_check_sees_every_address_first() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let r = tcp_run(
        &["denied", &port.to_string()],
        move |b| {
            // Grants of other addresses do not help.
            b.allow_tcp_connect("10.0.0.0/8:*".parse().unwrap());
            b.allow_tcp_bind("127.0.0.2:0".parse().unwrap());
            b.socket_addr_check(move |a, u| {
                s2.lock().unwrap().push((a, u));
                false
            });
        },
        |_| {},
    );
    assert_eq!(r.exit_status(), Some(0), "{:?}", r.result);
    assert_eq!(
        r.stdout,
        "start-connect: error=access-denied\nstart-bind: error=access-denied\n\
         start-connect ::ffff:127.0.0.1: error=access-denied\n"
    );
    use nanowasm_wasi::net::SocketAddrUse::*;
    let seen = seen.lock().unwrap();
    assert_eq!(
        *seen,
        vec![
            (format!("127.0.0.1:{port}").parse().unwrap(), TcpConnect),
            ("127.0.0.1:0".parse().unwrap(), TcpBind),
            (
                format!("[::ffff:127.0.0.1]:{port}").parse().unwrap(),
                TcpConnect
            ),
        ]
    );
    assert!(l.accept().is_err(), "a connection got through");
    // The check can allow what no grant names.
    let r = tcp_run(
        &["denied", &port.to_string()],
        |b| {
            b.socket_addr_check(|a, u| u == TcpBind && a.ip().is_loopback());
        },
        |_| {},
    );
    assert!(r.stdout.contains("start-bind: ok\n"), "{}", r.stdout);
}

#[test]
fn attack_sockets_draw_from_the_shared_budget() {
    let budget = nanowasm_wasi::FdBudget::new(3);
    let b2 = budget.clone();
    let r = tcp_run(
        &["limit"],
        move |b| {
            b.fd_budget(b2);
        },
        |_| {},
    );
    assert_eq!(r.exit_status(), Some(0), "{:?}", r.result);
    assert_eq!(
        r.stdout,
        "created=3 error=new-socket-limit\nafter a drop: ok\n"
    );
    // The store is gone: every socket was given back.
    assert_eq!(budget.in_use(), 0);
}

#[test]
fn attack_blocked_socket_read_ends_at_the_deadline() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let _server = std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        std::thread::sleep(std::time::Duration::from_secs(5));
        drop(s);
    });
    let start = std::time::Instant::now();
    let r = tcp_run(
        &["block-read", &addr.port().to_string()],
        |b| {
            b.inherit_network();
        },
        |s| {
            s.data_mut().set_deadline(Some(
                std::time::Instant::now() + std::time::Duration::from_millis(300),
            ))
        },
    );
    let e = r.result.unwrap_err();
    assert_eq!(
        e.trap_code(),
        Some(nanowasm_runtime::TrapCode::Interrupted),
        "{e}"
    );
    assert_eq!(r.stdout, "connect: ok\n");
    let took = start.elapsed();
    assert!(
        took >= std::time::Duration::from_millis(290) && took.as_secs() < 4,
        "{took:?}"
    );
}

#[test]
fn preopen_handles_share_their_listings() {
    // A listing through one handle of a preopen keeps working after the
    // guest asks for the preopens again and drops the first handle.
    let dir = tempdir("relist");
    // More than one 64 KiB batch of entries.
    let long = "x".repeat(180);
    for i in 0..400 {
        std::fs::write(dir.join(format!("{long}-{i:04}")), "").unwrap();
    }
    let r = run_with(
        &command(
            r#"(func $run (result i32)
              (local $d i32) (local $s i32) (local $n i32)
              (local.set $d (call $dir))
              (call $read-directory (local.get $d) (i32.const 160))
              (local.set $s (call $handle (i32.const 160)))
              (drop (call $dir))
              (call $drop-descriptor (local.get $d))
              (block $done (loop $l
                (call $read-directory-entry (local.get $s) (i32.const 160))
                (br_if $done (i32.load8_u (i32.const 160)))
                (br_if $done (i32.eqz (i32.load8_u (i32.const 164))))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))
                (br $l)))
              (call $num (i64.extend_i32_u (local.get $n)))
              (call $num (i64.extend_i32_u (i32.load8_u (i32.const 160))))
              (i32.const 0))"#,
        ),
        |b| {
            b.preopened_dir(&dir, "/d", DirPerms::all(), FilePerms::all());
        },
    );
    assert_eq!(r.exit_status(), Some(0), "{:?}", r.result.err());
    assert_eq!(r.stdout, "400\n0\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn attack_functions_declared_with_other_types() {
    // The importer declares the types: fewer parameters, other parameter
    // types, another result. Each call is a trap or an error, never a
    // host panic.
    for (decl, core_ty, call) in [
        (
            r#"(import "wasi:clocks/monotonic-clock@0.2.0" (instance $i (export "subscribe-duration" (func))))
               (alias export $i "subscribe-duration" (func $f))"#,
            "(func)",
            "(call $f)",
        ),
        (
            r#"(import "wasi:random/random@0.2.0" (instance $i (export "get-random-bytes" (func (param "n" string) (result u32)))))
               (alias export $i "get-random-bytes" (func $f))"#,
            "(func (param i32 i32) (result i32))",
            "(drop (call $f (i32.const 0) (i32.const 0)))",
        ),
        (
            r#"(import "wasi:cli/environment@0.2.0" (instance $i (export "get-arguments" (func (result u64)))))
               (alias export $i "get-arguments" (func $f))"#,
            "(func (result i64))",
            "(drop (call $f))",
        ),
        (
            r#"(import "wasi:io/poll@0.2.0" (instance $i (export "poll" (func (param "in" (list u32)) (result (list u32))))))
               (alias export $i "poll" (func $f))"#,
            "(func (param i32 i32 i32))",
            "(call $f (i32.const 0) (i32.const 1) (i32.const 64))",
        ),
    ] {
        let text = format!(
            r#"(component
              {decl}
              (core module $Libc (memory (export "memory") 1)
                (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 256)))
              (core instance $libc (instantiate $Libc))
              (core func $f (canon lower (func $f) (memory (core memory $libc "memory")) (realloc (core func $libc "realloc"))))
              (core module $M
                (import "" "f" {core_ty_f})
                (func (export "go") {call}))
              (core instance $m (instantiate $M (with "" (instance (export "f" (func $f))))))
              (func (export "go") (canon lift (core func $m "go"))))"#,
            core_ty_f = core_ty.replacen("(func", "(func $f", 1),
        );
        let engine = Engine::default();
        let c = Component::new(&engine, binary(&text)).unwrap();
        let mut b = WasiCtx::builder();
        b.allow_random(true).allow_clocks(true);
        let mut store = Store::new(&engine, b.build().unwrap());
        let mut linker = Linker::new(&engine);
        nanowasm_wasi::p2::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
        let i = linker
            .instantiate(&mut store, &c)
            .unwrap_or_else(|e| panic!("{decl}: {e}"));
        let f = i.get_func(&mut store, "go").unwrap();
        let e = f.call(&mut store, &[], &mut []).unwrap_err();
        assert!(e.exit_status().is_none(), "{decl}: {e}");
    }
}

#[test]
fn stdin_and_stream_errors() {
    // Standard input from a buffer, then `closed` at its end; a stream
    // error's `filesystem-error-code`.
    let dir = tempdir("streamerr");
    std::fs::write(dir.join("f"), "data").unwrap();
    let r = run_with(
        &command(
            r#"(data (i32.const 1024) "f")
            (func $run (result i32)
              (local $in i32) (local $d i32) (local $f i32) (local $s i32)
              (local.set $in (call $get-stdin))
              (call $read (local.get $in) (i64.const 3) (i32.const 128))
              (call $print (i32.load (i32.const 132)) (i32.load (i32.const 136)))
              (call $read (local.get $in) (i64.const 100) (i32.const 128))
              (call $print (i32.load (i32.const 132)) (i32.load (i32.const 136)))
              ;; at the end: err(closed), case 1
              (call $read (local.get $in) (i64.const 100) (i32.const 128))
              (call $num (i64.extend_i32_u (i32.load8_u (i32.const 128))))
              (call $num (i64.extend_i32_u (i32.load8_u (i32.const 132))))
              ;; a write stream of a dropped descriptor fails: last-operation-failed
              (local.set $d (call $dir))
              (local.set $f (call $open (local.get $d) (i32.const 1024) (i32.const 1) (i32.const 0) (i32.const 3)))
              (call $write-via-stream (local.get $f) (i64.const 0) (i32.const 96))
              (local.set $s (call $handle (i32.const 96)))
              (call $drop-descriptor (local.get $f))
              (call $write (local.get $s) (i32.const 1024) (i32.const 1) (i32.const 96))
              (call $num (i64.extend_i32_u (i32.load8_u (i32.const 96))))
              (call $num (i64.extend_i32_u (i32.load8_u (i32.const 100))))
              (call $fs-error-code (i32.load (i32.const 104)) (i32.const 112))
              (call $num (i64.extend_i32_u (i32.load8_u (i32.const 112))))
              (call $num (i64.extend_i32_u (i32.load8_u (i32.const 113))))
              (call $drop-error (i32.load (i32.const 104)))
              (i32.const 0))"#,
        ),
        |b| {
            b.stdin(Stdio::buffer(b"abcdef\n".to_vec()).0);
            b.preopened_dir(&dir, "/d", DirPerms::all(), FilePerms::all());
        },
    );
    assert_eq!(r.exit_status(), Some(0), "{:?}", r.result.err());
    let bad = code("bad-descriptor").to_string();
    assert_eq!(
        r.stdout.lines().collect::<Vec<_>>(),
        ["abcdef", "1", "1", "1", "0", "1", &bad],
        "{}",
        r.stdout
    );
    assert_eq!(std::fs::read_to_string(dir.join("f")).unwrap(), "data");
    let _ = std::fs::remove_dir_all(&dir);
}
