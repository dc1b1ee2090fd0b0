//! The component text format against the `wast` crate (1.263): every
//! component of the component model's reference tests
//! (`../shared/component-model-tests`, outside `async/` and `nyi.txt`)
//! must encode byte for byte as the `wast` crate encodes it, malformed text
//! components must be rejected, and printing each component and parsing
//! the text back must give the same bytes.

use std::path::{Path, PathBuf};

use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, Wat};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/component-model-tests")
}

fn wast_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            wast_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "wast") {
            out.push(p);
        }
    }
}

/// The reference test files in scope; fails when the tests are missing.
fn in_scope() -> Vec<PathBuf> {
    files(false)
}

/// The reference test files, with or without those of `async/` (the
/// printer's round trip covers them all; the encoder's tests leave out
/// what is async-only).
fn files(with_async: bool) -> Vec<PathBuf> {
    let root = root();
    assert!(
        root.is_dir(),
        "the component model reference tests are missing: {} (see README, Tests)",
        root.display()
    );
    let nyi = std::fs::read_to_string(root.join("nyi.txt")).unwrap_or_default();
    let skip: Vec<PathBuf> = nyi
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| root.join(l.trim_start_matches("./")))
        .collect();
    let mut files = Vec::new();
    wast_files(&root, &mut files);
    let files: Vec<PathBuf> = files
        .into_iter()
        .filter(|p| (with_async || !p.starts_with(root.join("async"))) && !skip.contains(p))
        .collect();
    assert!(!files.is_empty(), "no .wast files under {}", root.display());
    files
}

/// One component of a reference test.
pub struct Case {
    /// `file#n`.
    pub name: String,
    /// Its text as we parse it (a `quote` component's text assembled as
    /// the `wast` crate does; `definition` dropped).
    pub text: String,
    /// The `wast` crate's encoding, or its error.
    pub reference: Result<Vec<u8>, String>,
    /// From `assert_malformed`.
    pub malformed: bool,
}

/// The balanced list starting at `src[start]` (a `(`): its end.
fn list_end(src: &str, start: usize) -> usize {
    let b = src.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b';' if b.get(i + 1) == Some(&b';') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' if b.get(i + 1) == Some(&b';') => {
                let mut d = 0;
                while i < b.len() {
                    if b[i] == b'(' && b.get(i + 1) == Some(&b';') {
                        d += 1;
                        i += 2;
                        continue;
                    }
                    if b[i] == b';' && b.get(i + 1) == Some(&b')') {
                        d -= 1;
                        i += 2;
                        if d == 0 {
                            break;
                        }
                        continue;
                    }
                    i += 1;
                }
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// The component text whose `component` keyword is at `kw`.
fn component_text(src: &str, kw: usize) -> String {
    let open = src[..kw].rfind('(').expect("`(` before `component`");
    let end = list_end(src, open);
    let text = &src[open..end];
    let rest = text["(component".len()..].trim_start();
    match rest.strip_prefix("definition") {
        Some(r) => format!("(component {r}"),
        None => text.to_string(),
    }
}

fn push(out: &mut Vec<Case>, src: &str, name: &str, m: &mut QuoteWat<'_>, malformed: bool) {
    let text = match m {
        QuoteWat::Wat(Wat::Component(c)) => component_text(src, c.span.offset()),
        QuoteWat::QuoteComponent(_, parts) => {
            let mut t = b"(component".to_vec();
            for (_, s) in parts.iter() {
                t.extend_from_slice(s);
                t.push(b' ');
            }
            t.push(b')');
            String::from_utf8_lossy(&t).into_owned()
        }
        _ => return,
    };
    let reference = m.encode().map_err(|e| e.to_string());
    let n = out.len();
    out.push(Case {
        name: format!("{name}#{n}"),
        text,
        reference,
        malformed,
    });
}

fn collect(src: &str, name: &str, d: WastDirective<'_>, out: &mut Vec<Case>) {
    match d {
        WastDirective::Module(mut m) | WastDirective::ModuleDefinition(mut m) => {
            push(out, src, name, &mut m, false)
        }
        WastDirective::AssertMalformed { mut module, .. } => {
            push(out, src, name, &mut module, true)
        }
        WastDirective::AssertInvalid { mut module, .. } => push(out, src, name, &mut module, false),
        WastDirective::AssertUnlinkable { module, .. } => {
            push(out, src, name, &mut QuoteWat::Wat(module), false)
        }
        WastDirective::AssertTrap { exec, .. }
        | WastDirective::AssertReturn { exec, .. }
        | WastDirective::AssertException { exec, .. } => {
            if let WastExecute::Wat(w) = exec {
                push(out, src, name, &mut QuoteWat::Wat(w), false);
            }
        }
        WastDirective::Thread(t) => {
            for d in t.directives {
                collect(src, name, d, out);
            }
        }
        _ => {}
    }
}

/// Every component of the in-scope files.
pub fn cases() -> Vec<Case> {
    cases_of(in_scope())
}

fn cases_of(files: Vec<PathBuf>) -> Vec<Case> {
    let mut out = Vec::new();
    for path in files {
        let src = std::fs::read_to_string(&path).expect("read .wast");
        let name = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        let buf = ParseBuffer::new(&src).expect("lex");
        let wast = match parser::parse::<Wast>(&buf) {
            Ok(w) => w,
            // Some `async/` files use syntax newer than the `wast` crate's
            // (which then encodes none of their components to compare with).
            Err(e) if path.starts_with(root().join("async")) => {
                eprintln!(
                    "{name}: skipped, the wast crate cannot read it: {}",
                    e.message()
                );
                continue;
            }
            Err(e) => panic!("{name}: {e}"),
        };
        let mut mine = Vec::new();
        for d in wast.directives {
            collect(&src, &name, d, &mut mine);
        }
        for (i, mut c) in mine.into_iter().enumerate() {
            c.name = format!("{name}#{i}");
            out.push(c);
        }
    }
    out
}

/// Why a component the `wast` crate encodes may fail to parse here: the
/// features out of this layer's scope (async built-ins and function types,
/// streams, futures, maps, thread built-ins: our parser names them "not
/// supported") and core modules using the threads proposal's shared
/// memories (which the core text parser does not accept).
fn excuse(text: &str, ours: &str) -> Option<String> {
    if ours.contains("not supported") {
        let first = ours.lines().next().unwrap_or("");
        return Some(first.rsplit(": ").next().unwrap_or(first).to_string());
    }
    if text.contains(" shared)") && ours.contains("expected `)`") {
        return Some("a core module with a shared memory (threads proposal)".into());
    }
    None
}

#[test]
fn encodings_match_the_wast_crate() {
    let all = cases();
    let mut identical = 0;
    let mut both_reject = 0;
    let mut failures = Vec::new();
    let mut excused = Vec::new();
    for c in &all {
        let ours = nanowasm_text::parse_wat(&c.text).map_err(|e| e.display_with(&c.name, &c.text));
        match (&c.reference, &ours) {
            (Ok(a), Ok(b)) if a == b => identical += 1,
            (Err(_), Err(_)) => both_reject += 1,
            (Ok(_), Err(e)) if excuse(&c.text, e).is_some() => excused.push(format!(
                "{}: {}",
                c.name,
                excuse(&c.text, e).unwrap_or_default()
            )),
            (r, o) => failures.push(format!(
                "{}: wast {} / ours {}\n{}",
                c.name,
                match r {
                    Ok(b) => format!("{} bytes", b.len()),
                    Err(e) => format!("error {e}"),
                },
                match o {
                    Ok(b) => format!("{} bytes", b.len()),
                    Err(e) => format!("error {e}"),
                },
                if c.text.len() < 3000 {
                    &c.text[..]
                } else {
                    &c.text[..3000]
                }
            )),
        }
    }
    eprintln!(
        "{} components: {identical} byte-identical, {both_reject} rejected by both, {} use features out of scope, {} differ",
        all.len(),
        excused.len(),
        failures.len()
    );
    for e in &excused {
        eprintln!("out of scope: {e}");
    }
    for f in failures.iter().take(15) {
        eprintln!("--- {f}");
    }
    assert!(failures.is_empty(), "{} components differ", failures.len());
}

/// Whether a component's text is `(component $id? binary ...)`.
fn is_binary_form(text: &str) -> bool {
    let mut words = text["(component".len()..].split_whitespace();
    let mut w = words.next();
    if w.is_some_and(|w| w.starts_with('$')) {
        w = words.next();
    }
    w.is_some_and(|w| w.starts_with("binary"))
}

/// Whether wasmparser 0.263 (default features) accepts the component.
fn wasmparser_accepts(bytes: &[u8]) -> bool {
    wasmparser::Validator::new().validate_all(bytes).is_ok()
}

/// Every component of every reference test, `async/` included, that the
/// printer supports prints to text that parses back to the same bytes.
#[test]
fn printing_round_trips() {
    let all = cases_of(files(true));
    let mut round_trip = 0;
    let mut unsupported = Vec::new();
    let mut malformed = 0;
    let mut failures = Vec::new();
    let mut fixed_points = Vec::new();
    let mut inexpressible = Vec::new();
    let mut seen = 0;
    for c in &all {
        let Ok(bytes) = &c.reference else { continue };
        if !nanowasm_text::is_component(bytes) {
            continue;
        }
        seen += 1;
        let binary = is_binary_form(&c.text);
        match nanowasm_text::print_component(bytes) {
            Ok(text) => match nanowasm_text::parse_wat(&text) {
                Ok(b) if &b == bytes => round_trip += 1,
                // A `(component binary ...)` may use encodings no text
                // lowers to (sections split, `0x01` name prefixes, ...):
                // its text must then be a fixed point.
                Ok(b) if binary => match nanowasm_text::print_component(&b) {
                    Ok(t2) if t2 == text => fixed_points.push(c.name.clone()),
                    _ => {
                        failures.push(format!("{}: printing is not a fixed point\n{text}", c.name))
                    }
                },
                // Or encode what the text format cannot say (outer aliases
                // of functions, repeated name attributes): only in invalid
                // components.
                Err(e) if binary && !wasmparser_accepts(bytes) => {
                    inexpressible.push(format!("{}: {}", c.name, e.message))
                }
                Ok(_) => failures.push(format!(
                    "{}: different bytes after printing\n{text}",
                    c.name
                )),
                Err(e) => failures.push(format!(
                    "{}: the printed text does not parse: {}",
                    c.name,
                    e.display_with("printed", &text)
                )),
            },
            Err(e) if e.kind() == nanowasm_binary::ErrorKind::Unsupported => {
                unsupported.push(format!("{}: {e}", c.name))
            }
            // A malformed binary (from `assert_malformed`, or `binary`
            // components of `assert_invalid`) must be one wasmparser rejects.
            Err(e) if !wasmparser_accepts(bytes) => {
                let _ = e;
                malformed += 1;
            }
            Err(e) => failures.push(format!("{}: print failed: {e}", c.name)),
        }
    }
    eprintln!(
        "{seen} component binaries: {round_trip} print and parse back byte for byte, {} `binary` ones print to a fixed point, {} invalid `binary` ones have no text, {malformed} malformed, {} unsupported, {} fail",
        fixed_points.len(),
        inexpressible.len(),
        unsupported.len(),
        failures.len()
    );
    for f in &fixed_points {
        eprintln!("fixed point: {f}");
    }
    for f in &inexpressible {
        eprintln!("no text: {f}");
    }
    for u in &unsupported {
        eprintln!("unsupported: {u}");
    }
    for f in failures.iter().take(10) {
        eprintln!("--- {f}");
    }
    assert!(
        failures.is_empty(),
        "{} components fail the round trip",
        failures.len()
    );
}

#[test]
fn malformed_text_components_are_rejected() {
    let mut n = 0;
    for c in cases()
        .iter()
        .filter(|c| c.malformed && !is_binary_form(&c.text))
    {
        n += 1;
        if let Ok(b) = nanowasm_text::parse_wat(&c.text) {
            panic!(
                "{}: malformed, but we encode it ({} bytes)\n{}",
                c.name,
                b.len(),
                c.text
            );
        }
    }
    eprintln!("{n} malformed text components rejected");
    assert!(n > 0, "no malformed text components found");
}

#[test]
fn errors_point_at_the_line_and_column() {
    let src = "(component\n  (import \"a\" (func (param \"x\" nope))))";
    let e = nanowasm_text::parse_wat(src).unwrap_err();
    let shown = e.display_with("c.wat", src);
    assert!(shown.starts_with("c.wat:2:32: "), "{shown}");
    assert!(
        shown.ends_with(&format!("\n{}^", " ".repeat(33))),
        "{shown}"
    );
    let src = "(component (core instance (instantiate $nope)))";
    let e = nanowasm_text::parse_wat(src).unwrap_err();
    assert!(
        e.message.contains("failed to find name `$nope`"),
        "{}",
        e.message
    );
    assert_eq!(e.line_col(src), (1, 40));
}

mod scripts {
    use nanowasm_text::wast::script::{
        ComponentDirective, ComponentValue as V, Directive, ModuleSource,
    };
    use wast::component::WastVal;
    use wast::core::{WastArgCore, WastRetCore};
    use wast::parser::{self, ParseBuffer};
    use wast::{Wast, WastArg, WastDirective, WastExecute, WastRet};

    fn val(v: &WastVal<'_>) -> V {
        let b = |v: &Option<Box<WastVal<'_>>>| v.as_ref().map(|v| Box::new(val(v)));
        match v {
            WastVal::Bool(x) => V::Bool(*x),
            WastVal::U8(x) => V::U8(*x),
            WastVal::S8(x) => V::S8(*x),
            WastVal::U16(x) => V::U16(*x),
            WastVal::S16(x) => V::S16(*x),
            WastVal::U32(x) => V::U32(*x),
            WastVal::S32(x) => V::S32(*x),
            WastVal::U64(x) => V::U64(*x),
            WastVal::S64(x) => V::S64(*x),
            WastVal::F32(x) => V::F32(x.bits),
            WastVal::F64(x) => V::F64(x.bits),
            WastVal::Char(x) => V::Char(*x),
            WastVal::String(x) => V::String(x.to_string()),
            WastVal::List(x) => V::List(x.iter().map(val).collect()),
            WastVal::Record(x) => {
                V::Record(x.iter().map(|(n, v)| (n.to_string(), val(v))).collect())
            }
            WastVal::Tuple(x) => V::Tuple(x.iter().map(val).collect()),
            WastVal::Variant(n, v) => V::Variant(n.to_string(), b(v)),
            WastVal::Enum(n) => V::Enum(n.to_string()),
            WastVal::Option(v) => V::Option(b(v)),
            WastVal::Result(r) => V::Result(match r {
                Ok(v) => Ok(b(v)),
                Err(v) => Err(b(v)),
            }),
            WastVal::Flags(f) => V::Flags(f.iter().map(|s| s.to_string()).collect()),
            other => panic!("unexpected value {other:?}"),
        }
    }

    fn arg(a: &WastArg<'_>) -> V {
        match a {
            WastArg::Component(v) => val(v),
            WastArg::Core(WastArgCore::F32(f)) => V::F32(f.bits),
            WastArg::Core(WastArgCore::F64(f)) => V::F64(f.bits),
            other => panic!("a core argument in a component script: {other:?}"),
        }
    }

    fn ret(r: &WastRet<'_>) -> V {
        match r {
            WastRet::Component(v) => val(v),
            WastRet::Core(WastRetCore::F32(wast::core::NanPattern::Value(f))) => V::F32(f.bits),
            WastRet::Core(WastRetCore::F64(wast::core::NanPattern::Value(f))) => V::F64(f.bits),
            other => panic!("a core result in a component script: {other:?}"),
        }
    }

    /// What the `wast` crate reads: the call and expected values of every
    /// `invoke`, `assert_return` and `assert_trap`.
    fn theirs(src: &str) -> Vec<(String, Vec<V>, Option<Vec<V>>)> {
        let buf = ParseBuffer::new(src).expect("lex");
        let wast = parser::parse::<Wast>(&buf).expect("parse");
        let mut out = Vec::new();
        for d in wast.directives {
            match d {
                WastDirective::Invoke(i) => {
                    out.push((i.name.to_string(), i.args.iter().map(arg).collect(), None))
                }
                WastDirective::AssertReturn {
                    exec: WastExecute::Invoke(i),
                    results,
                    ..
                } => out.push((
                    i.name.to_string(),
                    i.args.iter().map(arg).collect(),
                    Some(results.iter().map(ret).collect()),
                )),
                WastDirective::AssertTrap {
                    exec: WastExecute::Invoke(i),
                    ..
                } => out.push((i.name.to_string(), i.args.iter().map(arg).collect(), None)),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn scripts_parse_as_the_wast_crate_reads_them() {
        let mut directives = 0;
        let mut calls = 0;
        let mut components = 0;
        for path in super::in_scope() {
            let src = std::fs::read_to_string(&path).unwrap();
            let script = nanowasm_text::wast::parse_script(&src).unwrap_or_else(|e| {
                panic!("{}", e.display_with(&path.display().to_string(), &src))
            });
            let mut ours = Vec::new();
            for d in &script {
                directives += 1;
                let Directive::Component(c) = &d.directive else {
                    panic!("{}:{}: not a component directive", path.display(), d.line);
                };
                match c {
                    ComponentDirective::Invoke(i)
                    | ComponentDirective::AssertTrap { invoke: i, .. } => {
                        ours.push((i.name.clone(), i.args.clone(), None))
                    }
                    ComponentDirective::AssertReturn { invoke, expected } => ours.push((
                        invoke.name.clone(),
                        invoke.args.clone(),
                        Some(expected.clone()),
                    )),
                    ComponentDirective::Component {
                        source: ModuleSource::Bytes(Ok(_)),
                        ..
                    }
                    | ComponentDirective::Definition {
                        source: ModuleSource::Bytes(Ok(_)),
                        ..
                    } => components += 1,
                    _ => {}
                }
            }
            calls += ours.len();
            assert_eq!(ours, theirs(&src), "{}", path.display());
        }
        eprintln!("{directives} directives, {components} components defined, {calls} calls read as the wast crate reads them");
        assert!(calls > 0 && components > 0);
    }
}

/// The async, thread and error-context built-ins, and stream and future
/// types (printed back in the encoder's forms).
const BUILTINS: &str = r#"(component
          (core module $m (memory (export "m") 1) (table (export "t") 1 funcref)
            (func (export "r") (param i32 i32 i32 i32) (result i32) i32.const 0))
          (core instance $i (instantiate $m))
          (alias core export $i "m" (core memory $mem))
          (alias core export $i "t" (core table $tbl))
          (alias core export $i "r" (core func $r))
          (type $s (stream u8)) (type $s0 (stream)) (type $f (future string)) (type $f0 (future))
          (core type $ft (func (param i32)))
          (core func (canon task.return (result u32)))
          (core func (canon task.return (result string) string-encoding=utf16 (memory $mem)))
          (core func (canon task.return))
          (core func (canon task.cancel))
          (core func (canon subtask.cancel))
          (core func (canon subtask.cancel async))
          (core func (canon subtask.drop))
          (core func (canon context.get i32 0))
          (core func (canon context.set i32 1))
          (core func (canon thread.yield))
          (core func (canon thread.index))
          (core func (canon thread.new-indirect $ft $tbl))
          (core func (canon backpressure.inc))
          (core func (canon backpressure.dec))
          (core func (canon stream.new $s))
          (core func (canon stream.read $s (memory $mem) (realloc $r)))
          (core func (canon stream.write $s0))
          (core func (canon stream.cancel-read $s async))
          (core func (canon stream.cancel-write $s))
          (core func (canon stream.drop-readable $s))
          (core func (canon stream.drop-writable $s))
          (core func (canon future.new $f))
          (core func (canon future.read $f (memory $mem) (realloc $r)))
          (core func (canon future.write $f0))
          (core func (canon future.cancel-read $f))
          (core func (canon future.cancel-write $f async))
          (core func (canon future.drop-readable $f))
          (core func (canon future.drop-writable $f))
          (core func (canon error-context.new (memory $mem)))
          (core func (canon error-context.debug-message (memory $mem) (realloc $r)))
          (core func (canon error-context.drop))
          (core func (canon waitable-set.new))
          (core func (canon waitable-set.wait (memory $mem)))
          (core func (canon waitable-set.poll (memory $mem)))
          (core func (canon waitable-set.drop))
          (core func (canon waitable.join)))"#;

/// Every built-in prints, and the text parses back to the same bytes.
#[test]
fn builtins_print_and_parse_back() {
    let bytes = nanowasm_text::parse_wat(BUILTINS)
        .unwrap_or_else(|e| panic!("{}", e.display_with("builtins", BUILTINS)));
    assert_eq!(bytes, wat::parse_str(BUILTINS).expect("wat"));
    let text = nanowasm_text::print_component(&bytes).expect("print");
    for kw in [
        "task.return (result u32)",
        "context.set i32 1",
        "subtask.cancel async",
        "(stream u8)",
        "(future)",
        "waitable-set.poll (memory 0)",
        "thread.new-indirect 0 0",
        "future.cancel-write 2 async",
    ] {
        assert!(text.contains(kw), "`{kw}` not in\n{text}");
    }
    let again = nanowasm_text::parse_wat(&text)
        .unwrap_or_else(|e| panic!("{}", e.display_with("printed", &text)));
    assert!(again == bytes, "print round trip:\n{text}");
}

/// Forms the reference tests use little or not at all, against the `wat`
/// crate.
#[test]
fn more_forms_match_the_wat_crate() {
    let cases = [
        r#"(component (core module $m (export "x") (func)) (component $c (export "c")) (instance $i (export "i")) (type $t (export "t") (record (field "a" u8))))"#,
        r#"(component $outer (type $t u8) (component $inner (type (list $t)) (alias outer $outer $t (type $u)) (alias outer 1 0 (type))))"#,
        r#"(component (core type $ct (module (type $f (func (param i32))) (import "a" "b" (func (type $f))) (import "a" "c" (func (param i32))) (import "a" "d" (func (param i64) (result f32))) (export "m" (memory 1 2)) (export "t" (table 1 funcref)) (export "g" (global (mut i64))) (export "g2" (global f64)) (export "e" (tag (param i32))))))"#,
        r#"(component (core type (func (param i32 i64) (param $x f32) (result externref funcref))))"#,
        r#"(component (import "a" (func $f (@name "eff") (param "x" (tuple u8 (option string))) (result (result (list char) (error (flags "a" "b")))))) (export $g "b" (func $f)) (export "c" (func $g) (func (param "x" (tuple u8 (option string))) (result (result (list char) (error (flags "a" "b")))))))"#,
        r#"(component (type $r (resource (rep i32))) (type $o (own $r)) (type $b (borrow $r)) (core func $d (canon resource.drop $r)) (core func $n (canon resource.new $r)) (core func $p (canon resource.rep (type $r))) (type $r2 (resource (rep i32) (dtor (core func $d)))) (export "r" (type $r)))"#,
        r#"(component (import "i" (instance $i (export "f" (func)) (export "t" (type (sub resource))) (export "n" (instance (export "g" (func (param "a" u32))))))) (core func (canon lower (func $i "f"))) (core func (canon lower (func $i "n" "g"))) (alias export $i "t" (type $t)) (type (own $t)))"#,
        r#"(component (core module $m (memory (export "m") 1) (func (export "r") (param i32 i32 i32 i32) (result i32) i32.const 0) (func (export "f") (param i32 i32)) (func (export "pr") (param i32))) (core instance $i (instantiate $m)) (func (export "f") (param "s" string) (canon lift (core func $i "f") string-encoding=latin1+utf16 (memory (core memory $i "m")) (realloc (core func $i "r")))) (alias core export $i "pr" (core func $pr)) (func (result string) (canon lift (core func $i "r") string-encoding=utf16 (memory (core memory $i "m")) (post-return $pr))))"#,
        r#"(component (component $c (import "x" (func)) (export "y" (func 0))) (import "f" (func $f)) (instance $a (instantiate $c (with "x" (func $f)))) (instance $b (instantiate $c (with "x" (instance (export "q" (func $f)))))) (instance (export "a" (instance $a)) (export "f" (func $a "y"))) (core module $m (import "i" "f" (func))) (core func $lf (canon lower (func $f))) (core instance (instantiate $m (with "i" (instance (export "f" (func $lf)))))))"#,
        r#"(component (type $t (component (type $x (func)) (import "a" (func (type $x))) (export "b" (component (import "c" (instance (type $y (record (field "z" bool))) (export "y" (type (eq $y))))))))) (core type $ct (module)) (import "m" (core module (type $ct))) (import "m2" (core module)) (import "c" (component (type $t))) (import "v" (value string)))"#,
        r#"(component (import "f" (func $f (param "x" s64) (result u64))) (import "v" (value $v u32)) (start $f (value $v) (result (value $r))) (export "r" (value $r)))"#,
        r#"(component (import "a:b/c@1.0.0" (instance)) (import "d" (implements "a:b/c") (instance)) (import "e" (external-id "x") (func)) (export "f" (version-suffix "1.2") (instance 0)))"#,
        r#"(component (@custom "hello" "world") (type $"quoted id" u8) (type (list $"quoted id")))"#,
        r#"(component (type (variant (case $a "a") (case "b" u8) (case "c" (record (field "x" u8))))) (type (enum "a" "b")) (type (option (option u8))) (type (result)) (type (result u8)) (type (result (error u8))))"#,
        BUILTINS,
    ];
    for src in cases {
        let theirs = wat::parse_str(src).unwrap_or_else(|e| panic!("wat: {e}\n{src}"));
        let ours = nanowasm_text::parse_wat(src)
            .unwrap_or_else(|e| panic!("{}", e.display_with("case", src)));
        assert!(ours == theirs, "differs from the wat crate:\n{src}");
        if let Ok(text) = nanowasm_text::print_component(&ours) {
            let again = nanowasm_text::parse_wat(&text)
                .unwrap_or_else(|e| panic!("{}", e.display_with("printed", &text)));
            assert!(again == ours, "print round trip:\n{src}\n{text}");
        }
    }
}

/// A type index of 64 or more in a value type is a two-byte s33: encoded
/// as one unsigned byte, 64 would read back as the negative byte 0x40.
#[test]
fn value_type_indices_past_63_are_signed_leb() {
    let mut text = String::from("(component\n");
    for i in 0..70 {
        text += &format!(
            "  (type $t{i} (list u{}))\n",
            if i % 2 == 0 { 8 } else { 32 }
        );
    }
    text += "  (type $r (record (field \"a\" $t65) (field \"b\" $t69)))\n";
    text += "  (import \"f\" (func (param \"x\" $t66) (result $t68))))\n";
    let ours = nanowasm_text::parse_wat(&text).expect("ours");
    let theirs = wat::parse_str(&text).expect("wat");
    assert_eq!(ours, theirs);
    assert!(wasmparser_accepts(&ours));
}
