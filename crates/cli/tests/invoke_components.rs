//! `nanowasm run --invoke 'name(args)'` of components, as `wasmtime run
//! --invoke`: the call and its arguments in WAVE, the result printed in
//! WAVE exactly as wasmtime prints it (wasm-wave's `DisplayFuncResults`:
//! the one result alone, `()` for none), exit statuses as wasmtime's (134
//! for a trap, 1 for any other error), and clear errors for what is not
//! there or does not parse.
//!
//! The component is written in text. Its echo functions take a second,
//! optional parameter (left out of the calls: trailing options may be)
//! whose flattening makes the parameters pass through memory: the value
//! is then at the start of the parameter area, in the very layout of the
//! result, so the core function returns that pointer.
//!
//! The Python package `wasmtime` can call components but reads and writes
//! no WAVE (nor has a CLI), so the expected strings here are wasmtime's
//! format as its `run.rs` and wasm-wave's writer define it; the writer
//! itself is checked byte for byte against the `wasm-wave` crate in
//! `nanowasm-component`'s tests. `wasmtime_computes_the_same_values` calls
//! the same component's functions through the Python package (without the
//! map, which its engine does not enable) and checks its Python values
//! are the ones printed here (skipped without the package, unless
//! `NANOWASM_REQUIRE_PEERS=1`).

use std::path::PathBuf;
use std::process::{Command, Output};

const LIBC: &str = r#"
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $new i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (global.set $bump (i32.add (local.get $p) (local.get $new)))
      (if (local.get $old_size)
        (then (memory.copy (local.get $p) (local.get $old)
                (select (local.get $old_size) (local.get $new) (i32.lt_u (local.get $old_size) (local.get $new))))))
      (local.get $p))
"#;

fn component() -> String {
    format!(
        r#"(component
  (core module $M {LIBC}
    (data (i32.const 64) "hello, ")
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func (export "mul") (param i32 i32) (result i32) (i32.mul (local.get 0) (local.get 1)))
    (func (export "nop"))
    (func (export "boom") unreachable)
    ;; greet(name) = "hello, " + name, through a return area at 16
    (func (export "greet") (param $p i32) (param $n i32) (result i32)
      (local $out i32)
      (local.set $out (global.get $bump))
      (global.set $bump (i32.add (global.get $bump) (i32.add (local.get $n) (i32.const 7))))
      (memory.copy (local.get $out) (i32.const 64) (i32.const 7))
      (memory.copy (i32.add (local.get $out) (i32.const 7)) (local.get $p) (local.get $n))
      (i32.store (i32.const 16) (local.get $out))
      (i32.store (i32.const 20) (i32.add (local.get $n) (i32.const 7)))
      (i32.const 16))
    ;; sum of a list<s32>, as s64
    (func (export "sum") (param $p i32) (param $n i32) (result i64)
      (local $s i64)
      (block $done
        (loop $l
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $s (i64.add (local.get $s) (i64.extend_i32_s (i32.load (local.get $p)))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $l)))
      (local.get $s))
    ;; div(a, b): result<u32, string> at 32
    (func (export "div") (param $a i32) (param $b i32) (result i32)
      (if (i32.eqz (local.get $b))
        (then
          (i32.store8 (i32.const 32) (i32.const 1))
          (i32.store (i32.const 36) (i32.const 80))
          (i32.store (i32.const 40) (i32.const 16)))
        (else
          (i32.store8 (i32.const 32) (i32.const 0))
          (i32.store (i32.const 36) (i32.div_u (local.get $a) (local.get $b)))))
      (i32.const 32))
    (data (i32.const 80) "division by zero")
    ;; half(n): option<u32> at 48, none if odd
    (func (export "half") (param $n i32) (result i32)
      (i32.store8 (i32.const 48) (i32.eqz (i32.and (local.get $n) (i32.const 1))))
      (i32.store (i32.const 52) (i32.shr_u (local.get $n) (i32.const 1)))
      (i32.const 48))
    ;; classify(n): variant {{ neg(s32), zero, pos(u32) }} at 48
    (func (export "classify") (param $n i32) (result i32)
      (i32.store8 (i32.const 48)
        (select (i32.const 0) (select (i32.const 1) (i32.const 2) (i32.eqz (local.get $n)))
          (i32.lt_s (local.get $n) (i32.const 0))))
      (i32.store (i32.const 52) (local.get $n))
      (i32.const 48))
    ;; flags: toggled; enum: the next direction
    (func (export "toggle") (param i32) (result i32) (i32.xor (local.get 0) (i32.const 7)))
    (func (export "next") (param i32) (result i32) (i32.rem_u (i32.add (local.get 0) (i32.const 1)) (i32.const 4)))
    (func (export "echo-ptr") (param i32) (result i32) (local.get 0))
    (func (export "echo-ptr-load8") (param i32) (result i32) (i32.load8_u (local.get 0))))
  (core instance $m (instantiate $M))
  (alias core export $m "mem" (core memory $mem))
  (alias core export $m "realloc" (core func $realloc))
  (type $pad (option (tuple u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8)))
  (type $point0 (record (field "x" s32) (field "y" s32) (field "label" (option string))))
  (export $point "point" (type $point0))
  (type $shape0 (variant (case "none") (case "circle" f64) (case "poly" (list $point)) (case "named" string)))
  (export $shape "shape" (type $shape0))
  (type $perms0 (flags "read" "write" "exec"))
  (export $perms "perms" (type $perms0))
  (type $dir0 (enum "north" "east" "south" "west"))
  (export $dir "dir" (type $dir0))
  (type $class0 (variant (case "neg" s32) (case "zero") (case "pos" u32)))
  (export $class "class" (type $class0))
  (type $mix (tuple string (list (option u8)) (result char (error bool)) f32 (map string u32)))
  (func (export "add") (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $m "add")))
  (func (export "nop") (canon lift (core func $m "nop")))
  (func (export "boom") (canon lift (core func $m "boom")))
  (func (export "greet") (param "name" string) (result string)
    (canon lift (core func $m "greet") (memory $mem) (realloc $realloc)))
  (func (export "sum") (param "xs" (list s32)) (result s64)
    (canon lift (core func $m "sum") (memory $mem) (realloc $realloc)))
  (func (export "div") (param "a" u32) (param "b" u32) (result (result u32 (error string)))
    (canon lift (core func $m "div") (memory $mem)))
  (func (export "half") (param "n" u32) (result (option u32))
    (canon lift (core func $m "half") (memory $mem)))
  (func (export "classify") (param "n" s32) (result $class)
    (canon lift (core func $m "classify") (memory $mem)))
  (func (export "toggle") (param "p" $perms) (result $perms) (canon lift (core func $m "toggle")))
  (func (export "next") (param "d" $dir) (result $dir) (canon lift (core func $m "next")))
  (func (export "echo-point") (param "p" $point) (param "pad" $pad) (result $point)
    (canon lift (core func $m "echo-ptr") (memory $mem) (realloc $realloc)))
  (func (export "echo-shape") (param "s" $shape) (param "pad" $pad) (result $shape)
    (canon lift (core func $m "echo-ptr") (memory $mem) (realloc $realloc)))
  (func (export "echo-mix") (param "m" $mix) (param "pad" $pad) (result $mix)
    (canon lift (core func $m "echo-ptr") (memory $mem) (realloc $realloc)))
  (func (export "echo-perms") (param "p" $perms) (param "pad" $pad) (result $perms)
    (canon lift (core func $m "echo-ptr-load8") (memory $mem) (realloc $realloc)))
  (func $mul (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $m "mul")))
  (func $add2 (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $m "mul")))
  (instance $ops (export "mul" (func $mul)) (export "add" (func $add2)))
  (export "docs:calc/ops@0.1.0" (instance $ops))
  (instance $more (export "mul" (func $mul)))
  (export "docs:calc/more@0.1.0" (instance $more)))"#
    )
}

fn wat_file() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nanowasm-invoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("calc.wat");
    if !path.exists() {
        std::fs::write(&path, component()).unwrap();
    }
    path
}

fn invoke(call: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(["run", "--invoke", call])
        .arg(wat_file())
        .output()
        .expect("run nanowasm")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Calls `call` and checks the status is 0 and stdout is `expected` and a
/// line break.
fn ok(call: &str, expected: &str) {
    let o = invoke(call);
    assert_eq!(
        (o.status.code(), stdout(&o)),
        (Some(0), format!("{expected}\n")),
        "{call}: stderr {}",
        stderr(&o)
    );
}

/// Calls `call` and checks it fails with `status` and stderr containing
/// every one of `parts`.
fn fails(call: &str, status: i32, parts: &[&str]) {
    let o = invoke(call);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(status), "{call}: {err}");
    assert!(o.stdout.is_empty(), "{call}: {}", stdout(&o));
    for p in parts {
        assert!(err.contains(p), "{call}: `{p}` not in:\n{err}");
    }
}

#[test]
fn scalars_and_no_result() {
    ok("add(1, 2)", "3");
    ok(" add ( 4294967295 , 1 , ) ", "0");
    ok("nop()", "()");
    ok("next(west)", "north");
    ok("toggle({read})", "{write, exec}");
    ok("toggle({})", "{read, write, exec}");
}

#[test]
fn strings_lists_results_options_variants() {
    ok(
        r#"greet("wörld \u{2603}\n\"q\"")"#,
        r#""hello, wörld ☃\n\"q\"""#,
    );
    ok("sum([1, -2, 2147483647, 2147483647])", "4294967293");
    ok("sum([])", "0");
    ok("div(7, 2)", "ok(3)");
    ok("div(7, 0)", r#"err("division by zero")"#);
    ok("half(8)", "some(4)");
    ok("half(7)", "none");
    ok("classify(-5)", "neg(-5)");
    ok("classify(0)", "zero");
    ok("classify(9)", "pos(9)");
}

#[test]
fn records_variants_and_more_echo_back() {
    ok("echo-point({x: 1, y: -2})", "{x: 1, y: -2}");
    ok(
        r#"echo-point({label: "p", y: 2, x: 1})"#,
        r#"{x: 1, y: 2, label: some("p")}"#,
    );
    // The shorthand `"p"` for `some("p")`, and an explicit `none` pad.
    ok(
        r#"echo-point({x: 0, y: 0, label: "p"}, none)"#,
        r#"{x: 0, y: 0, label: some("p")}"#,
    );
    ok("echo-shape(%none)", "%none");
    ok("echo-shape(circle(-1.5))", "circle(-1.5)");
    ok("echo-shape(circle(inf))", "circle(inf)");
    ok("echo-shape(circle(nan))", "circle(nan)");
    ok(
        r#"echo-shape(poly([{x: 1, y: 2}, {x: 3, y: 4, label: "q"}]))"#,
        r#"poly([{x: 1, y: 2}, {x: 3, y: 4, label: some("q")}])"#,
    );
    ok(r#"echo-shape(named("\t'"))"#, r#"named("\t\'")"#);
    ok(
        r#"echo-mix(("s", [1, none, some(3)], ok('☃'), 1e3, {"a": 1, "b": 2, "a": 3}))"#,
        r#"("s", [some(1), none, some(3)], ok('☃'), 1000, {"a": 3, "b": 2})"#,
    );
    ok(
        r#"echo-mix(("", [], err(true), -0, {}))"#,
        r#"("", [], err(true), -0, {})"#,
    );
    ok("echo-perms({exec, read})", "{read, exec}");
}

#[test]
fn exported_instances() {
    // `add` at the top level and in `ops` (where it multiplies): the
    // top-level one, unless qualified.
    ok("add(6, 7)", "13");
    ok("docs:calc/ops@0.1.0#add(6, 7)", "42");
    // `mul` in two instances: ambiguous unless qualified.
    ok("docs:calc/ops@0.1.0#mul(6, 7)", "42");
    ok("docs:calc/more@0.1.0#mul(6, 7)", "42");
    fails(
        "mul(6, 7)",
        1,
        &[
            "multiple exports named `mul`: write `INSTANCE#mul` to pick one",
            "  docs:calc/ops@0.1.0#mul: func(a: u32, b: u32) -> u32",
            "  docs:calc/more@0.1.0#mul: func(a: u32, b: u32) -> u32",
        ],
    );
    fails(
        "add(6, 7, 8)",
        1,
        &[
            "too many arguments: `add` takes 2 (a: u32, b: u32), 3 given",
            "add(6, 7, 8)",
        ],
    );
}

#[test]
fn errors() {
    fails(
        "nope()",
        1,
        &[
            "no exported func named `nope` in component; it exports:",
            "  add: func(a: u32, b: u32) -> u32",
            "  docs:calc/ops@0.1.0#mul: func(a: u32, b: u32) -> u32",
        ],
    );
    // The argument: its column and a caret under it.
    fails(
        r#"add(1, "x")"#,
        1,
        &[
            "while interpreting parameters in invoke `add(1, \"x\")`",
            "column 8: argument `b`: expected a value of type `u32`, found a string",
            "add(1, \"x\")\n",
            "       ^^^",
        ],
    );
    fails(
        "add(1, 4294967296)",
        1,
        &["`4294967296` is not a `u32`: out of range"],
    );
    fails(
        "add(1)",
        1,
        &["missing argument `b`: `add` takes 2 (a: u32, b: u32), 1 given"],
    );
    fails(
        "add(1, 2",
        1,
        &["failed to parse invoke", "unexpected end of input"],
    );
    fails(
        "add",
        1,
        &[
            "failed to parse invoke",
            "expected `(` after the function name",
        ],
    );
    fails("echo-point({x: 1})", 1, &["missing field `y`"]);
    fails("next(up)", 1, &["unknown case `up`: `enum { north, east, south, west }` has `north`, `east`, `south`, `west`"]);
    // A trap: 134, as wasmtime.
    fails("boom()", 134, &["failed to invoke `boom`", "unreachable"]);
}

#[test]
fn help_mentions_wave() {
    let o = Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(["run", "--help"])
        .output()
        .unwrap();
    assert!(stdout(&o).contains("--invoke 'add(1,"), "{}", stdout(&o));
}

const PEER: &str = r#"
import sys, wasmtime
from wasmtime import component as c
eng = wasmtime.Engine()
store = wasmtime.Store(eng)
inst = c.Linker(eng).instantiate(store, c.Component(eng, open(sys.argv[1]).read()))
def call(name, *args, inst_name=None):
    idx = inst.get_export_index(store, inst_name) if inst_name else None
    f = inst.get_func(store, inst.get_export_index(store, name, idx) if idx else inst.get_export_index(store, name))
    try:
        r = f(store, *args)
    except Exception:
        return "trap"
    f.post_return(store)
    return r
print(call("add", 1, 2))
print(call("add", 4294967295, 1))
print(call("greet", "w\u00f6rld"))
print(call("sum", [1, -2, 2147483647, 2147483647]))
print(call("half", 8), call("half", 7))
print(call("classify", -5), call("classify", 0), call("classify", 9))
print(sorted(call("toggle", {"read"})))
print(call("next", "west"))
print(call("add", 6, 7, inst_name="docs:calc/ops@0.1.0"))
print(call("boom"))
"#;

#[test]
fn wasmtime_computes_the_same_values() {
    let require = std::env::var("NANOWASM_REQUIRE_PEERS").is_ok_and(|v| v == "1");
    let has = Command::new("python3")
        .args(["-c", "import wasmtime.component"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has {
        assert!(!require, "python3 with the wasmtime package is required");
        eprintln!("skipped: no python3 with the wasmtime package");
        return;
    }
    let dir = wat_file().parent().unwrap().to_path_buf();
    let path = dir.join("calc-nomap.wat");
    std::fs::write(&path, component().replace(" (map string u32)", "")).unwrap();
    let o = Command::new("python3")
        .args(["-c", PEER])
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "3\n0\nhello, wörld\n4294967293\n4 None\n\
         Variant(tag='neg', payload=-5) Variant(tag='zero', payload=None) Variant(tag='pos', payload=9)\n\
         ['exec', 'write']\nnorth\n42\ntrap\n"
    );
    // The same calls here, in WAVE.
    ok("add(4294967295, 1)", "0");
    ok(r#"greet("wörld")"#, r#""hello, wörld""#);
    ok("classify(9)", "pos(9)");
    ok("toggle({read})", "{write, exec}");
    ok("docs:calc/ops@0.1.0#add(6, 7)", "42");
}
