//! The printer's round trip on every valid module of the WebAssembly 2.0
//! spec testsuite: bytes → print → parse must give the same bytes.
//!
//! Modules written in the text format (our encoder's canonical output) must
//! come back byte for byte. A module written as `(module binary ...)` may
//! use encodings that no text lowers to (over-long LEB128s, empty sections,
//! a data count section that no instruction needs, a memory index spelled
//! out): for those the test requires the printed text to be a fixed point
//! (printing the re-encoded module gives the same text) and counts them
//! separately. Custom sections print as `(@custom ...)` and come back.

mod common;

use nanowasm_text::wast::script::{Directive, ModuleSource};
use nanowasm_text::{parse_wat, print_bytes};

/// Whether the module form starting on `line` (1-based) is `(module binary`.
fn is_binary_form(src: &str, line: usize) -> bool {
    let rest: String = src
        .lines()
        .skip(line - 1)
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    let Some(at) = rest.find("(module") else {
        return false;
    };
    let mut words = rest[at + 7..].split_whitespace();
    let mut w = words.next();
    if w.is_some_and(|w| w.starts_with('$')) {
        w = words.next();
    }
    w == Some("binary")
}

#[test]
fn print_then_parse_gives_the_same_bytes() {
    let all = common::spec_files();
    let features = nanowasm_binary::Features::default();
    let (mut text_exact, mut binary_exact, mut binary_equivalent) = (0, 0, 0);
    let mut failures = Vec::new();
    for path in &all {
        let src = std::fs::read_to_string(path).unwrap();
        let script = nanowasm_text::wast::parse_script(&src)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for d in script {
            let source = match &d.directive {
                Directive::Module { source, .. }
                | Directive::AssertTrapModule { source, .. }
                | Directive::AssertUnlinkable { source, .. }
                | Directive::AssertUninstantiable { source, .. } => source,
                _ => continue,
            };
            let ModuleSource::Bytes(Ok(bytes)) = source else {
                continue;
            };
            let whereat = format!("{}:{}", path.display(), d.line);
            let text = match print_bytes(bytes, features) {
                Ok(t) => t,
                Err(e) => {
                    failures.push(format!("{whereat}: print failed: {e}"));
                    continue;
                }
            };
            let again = match parse_wat(&text) {
                Ok(b) => b,
                Err(e) => {
                    failures.push(format!(
                        "{whereat}: printed text does not parse: {}\n{text}",
                        e.display_with("printed", &text)
                    ));
                    continue;
                }
            };
            let binary = is_binary_form(&src, d.line);
            if again == *bytes {
                if binary {
                    binary_exact += 1;
                } else {
                    text_exact += 1;
                }
            } else if binary && print_bytes(&again, features).ok().as_ref() == Some(&text) {
                binary_equivalent += 1;
                eprintln!("EQUIV {whereat} {}", secs(bytes));
                eprintln!("   -> {}", secs(&again));
            } else {
                failures.push(format!("{whereat}: round trip changed the bytes\n{text}"));
            }
        }
    }
    eprintln!(
        "round trip: {text_exact} text modules identical, {binary_exact} binary modules identical, \
         {binary_equivalent} binary modules re-encoded canonically (same printed text)"
    );
    for f in failures.iter().take(10) {
        eprintln!("{f}\n");
    }
    assert!(
        failures.is_empty(),
        "{} modules failed the round trip",
        failures.len()
    );
}

fn secs(b: &[u8]) -> String {
    let mut pos = 8;
    let mut out = String::new();
    while pos < b.len() {
        let id = b[pos];
        pos += 1;
        let st = pos;
        let n = nanowasm_core::leb128::read_u32(b, &mut pos).unwrap();
        out.push_str(&format!("{id}:{}/{} ", n, pos - st));
        pos += n as usize;
    }
    out
}

#[test]
fn custom_sections_match_the_wat_crate_and_print_back() {
    let cases = [
        r#"(module (@custom "a" "hello"))"#,
        r#"(module (type (func)) (@custom "a" (after type) "x" "y") (@custom "b" (before first) "") (func (type 0)))"#,
        r#"(module (func) (@custom "c" (before code) "\00\01") (@custom "d" (after last) "z") (memory 1) (data (i32.const 0) "d"))"#,
    ];
    for wat in cases {
        let ours = parse_wat(wat).unwrap();
        assert_eq!(ours, wat::parse_str(wat).unwrap(), "{wat}");
        let text = print_bytes(&ours, nanowasm_binary::Features::default()).unwrap();
        assert!(text.contains("(@custom"), "{text}");
        assert_eq!(parse_wat(&text).unwrap(), ours, "{text}");
    }
}
