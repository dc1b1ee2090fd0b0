//! `nanowasm print` on a valid module with 100,000 nested blocks (issue 13,
//! item 8): the text streams out in a few seconds with its indentation
//! capped, and `validate` and `wat2wasm` read it back to the same module.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const DEPTH: usize = 100_000;

/// The widest indentation: 50 levels of two spaces, as in wasmprinter.
const MAX_INDENT: usize = 100;

fn nanowasm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(args)
        .output()
        .expect("run nanowasm")
}

fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn leb(out: &mut Vec<u8>, mut v: usize) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn section(out: &mut Vec<u8>, id: u8, body: &[u8]) {
    out.push(id);
    leb(out, body.len());
    out.extend_from_slice(body);
}

/// `(module (type (func)) (func (type 0) block ... end))`, `depth` blocks.
fn nested_blocks(depth: usize) -> Vec<u8> {
    let mut code = vec![0];
    for _ in 0..depth {
        code.extend_from_slice(&[0x02, 0x40]);
    }
    code.resize(code.len() + depth + 1, 0x0b);
    let mut body = vec![1];
    leb(&mut body, code.len());
    body.extend(code);
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    section(&mut m, 1, &[1, 0x60, 0, 0]);
    section(&mut m, 3, &[1, 0]);
    section(&mut m, 10, &body);
    m
}

/// A fresh directory for this test's files, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("nanowasm-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn deep_module_prints_and_reads_back() {
    let dir = TempDir::new("print-deep");
    let wasm = nested_blocks(DEPTH);
    let deep = dir.path("deep.wasm");
    std::fs::write(&deep, &wasm).unwrap();
    let start = Instant::now();

    assert_ok(&nanowasm(&["validate", s(&deep)]), "validate deep.wasm");

    let wat = dir.path("deep.wat");
    assert_ok(&nanowasm(&["print", s(&deep), "-o", s(&wat)]), "print -o");
    let text = std::fs::read_to_string(&wat).unwrap();
    let lines = 2 * DEPTH + 5;
    assert_eq!(text.lines().count(), lines);
    let widest = text.lines().map(|l| l.len() - l.trim_start().len()).max();
    assert_eq!(widest, Some(MAX_INDENT));
    assert!(
        text.len() < lines * (MAX_INDENT + "block\n".len()),
        "{} bytes of text",
        text.len()
    );

    // The printed text is a module `validate` and `wat2wasm` accept, and
    // it is the same module.
    assert_ok(&nanowasm(&["validate", s(&wat)]), "validate deep.wat");
    let back = dir.path("back.wasm");
    assert_ok(
        &nanowasm(&["wat2wasm", s(&wat), "-o", s(&back)]),
        "wat2wasm deep.wat",
    );
    assert!(
        std::fs::read(&back).unwrap() == wasm,
        "the round trip changed the module"
    );
    // Printing the text again gives the same text.
    let again = nanowasm(&["print", s(&wat)]);
    assert_ok(&again, "print deep.wat");
    assert!(
        again.stdout == text.as_bytes(),
        "printing the text changed it"
    );

    let elapsed = start.elapsed();
    eprintln!("validate, print, validate, wat2wasm, print: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
}

#[test]
fn print_pipes_into_validate() {
    let dir = TempDir::new("print-pipe");
    let deep = dir.path("deep.wasm");
    std::fs::write(&deep, nested_blocks(DEPTH)).unwrap();
    let start = Instant::now();
    let mut print = Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(["print", s(&deep)])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pipe = print.stdout.take().unwrap();
    let validate = Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(["validate", "/dev/stdin"])
        .stdin(pipe)
        .output()
        .unwrap();
    assert!(print.wait().unwrap().success());
    assert_ok(
        &validate,
        "nanowasm print deep.wasm | nanowasm validate /dev/stdin",
    );
    let elapsed = start.elapsed();
    eprintln!("print | validate: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
}

#[test]
fn print_of_an_invalid_module_writes_nothing() {
    let dir = TempDir::new("print-invalid");
    let mut wasm = nested_blocks(10);
    wasm.pop(); // the function's `end`
    let bad = dir.path("bad.wasm");
    std::fs::write(&bad, &wasm).unwrap();
    let out_path = dir.path("bad.wat");
    let out = nanowasm(&["print", s(&bad), "-o", s(&out_path)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!out_path.exists(), "an output file was created");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!("{}: ", bad.display())),
        "{stderr}"
    );
}

#[test]
fn print_reports_a_closed_stdout() {
    let dir = TempDir::new("print-closed");
    let deep = dir.path("deep.wasm");
    std::fs::write(&deep, nested_blocks(DEPTH)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(["print", s(&deep)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before the 21 MB of text are written.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("stdout: cannot write: "), "{stderr}");
}
