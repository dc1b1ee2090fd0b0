//! Our text lowering against the `wat` crate (a dev-dependency oracle), on
//! every text module of the WebAssembly 2.0 spec testsuite: the bytes must
//! be equal, or differ only in the `name` section with equal decoded names.
//! Prints the counts; fails on a module that one side accepts and the other
//! rejects, or whose code differs.

// The decoder's test scanner finds the module forms and their spans.
#[path = "../../binary/tests/spec/scan.rs"]
#[allow(dead_code)]
mod scan;

mod common;

use nanowasm_binary::{Feature, Features};
use scan::Sexp;

/// Every proposal the decoder implements, and exception handling: what the
/// name sections are decoded with.
fn features() -> Features {
    let mut f = Features::WASM2;
    f.apply_list("all").unwrap();
    f.with(Feature::Exceptions, true)
}

fn text_modules<'a>(form: &Sexp, src: &'a str, out: &mut Vec<&'a str>) {
    if form.head() == Some("module") {
        let items = form.items();
        let mut i = 1;
        if let Some(Sexp::Atom(a)) = items.get(i) {
            if a.starts_with('$') {
                i += 1;
            }
        }
        if !matches!(items.get(i), Some(Sexp::Atom(a)) if a == "binary" || a == "quote") {
            if let Sexp::List(_, span) = form {
                out.push(&src[span.clone()]);
            }
        }
        return;
    }
    for item in form.items() {
        if let Sexp::List(..) = item {
            text_modules(item, src, out);
        }
    }
}

/// Strips the `name` custom section, returning the rest and the names.
fn split_names(bytes: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut rest = bytes[..8.min(bytes.len())].to_vec();
    let mut names = Vec::new();
    let mut pos = 8;
    while pos < bytes.len() {
        let start = pos;
        let id = bytes[pos];
        pos += 1;
        let Ok(size) = nanowasm_core::leb128::read_u32(bytes, &mut pos) else {
            return (bytes.to_vec(), Vec::new());
        };
        let end = (pos + size as usize).min(bytes.len());
        let whole = &bytes[start..end];
        if id == 0 && bytes[pos..end].starts_with(b"\x04name") {
            names.extend_from_slice(whole);
        } else {
            rest.extend_from_slice(whole);
        }
        pos = end;
    }
    (rest, names)
}

/// How [`compare_with_wat_using`] treats the modules on which the two
/// encoders cannot be compared directly.
#[derive(Default)]
struct Allowances {
    /// A module that the `wat` crate rejects and we accept, rewritten into
    /// one that means the same to the text format and that `wat` parses:
    /// its bytes must then be ours. `None` when there is nothing to rewrite.
    rewrite: Option<fn(&str) -> Option<String>>,
    /// Why a module that we reject and the `wat` crate accepts may be
    /// skipped (given the module and our error), if it may.
    skip: Option<fn(&str, &str) -> Option<&'static str>>,
}

/// Lowers every text module of `files` with both encoders; returns the
/// counts line and the failures.
fn compare_with_wat(files: &[std::path::PathBuf]) -> (String, Vec<String>) {
    compare_with_wat_using(files, &Allowances::default())
}

/// [`compare_with_wat`], with `allow`'s rewrites and skips (each counted).
fn compare_with_wat_using(
    files: &[std::path::PathBuf],
    allow: &Allowances,
) -> (String, Vec<String>) {
    let (mut exact, mut names_only, mut differing, mut both_reject) = (0, 0, 0, 0);
    let (mut rewritten, mut skipped) = (0, Vec::new());
    let mut failures = Vec::new();
    for path in files {
        let src = std::fs::read_to_string(path).unwrap();
        let forms = scan::parse(&src).unwrap();
        let mut mods = Vec::new();
        for f in &forms {
            text_modules(f, &src, &mut mods);
        }
        for m in mods {
            let ours = nanowasm_text::parse_wat(m);
            let mut theirs = wat::parse_str(m);
            if let (Ok(_), Err(_), Some(rewrite)) = (&ours, &theirs, allow.rewrite) {
                if let Some(text) = rewrite(m) {
                    theirs = wat::parse_str(&text);
                    rewritten += 1;
                }
            }
            if let (Err(e), Ok(_), Some(skip)) = (&ours, &theirs, allow.skip) {
                if let Some(why) = skip(m, &e.message) {
                    skipped.push(format!("{}: {why}", path.display()));
                    continue;
                }
            }
            match (ours, theirs) {
                (Ok(a), Ok(b)) if a == b => exact += 1,
                (Ok(a), Ok(b)) => {
                    let (ra, _) = split_names(&a);
                    let (rb, _) = split_names(&b);
                    if ra == rb {
                        names_only += 1;
                        let na = nanowasm_binary::decode(a, features()).map(|m| m.names);
                        let nb = nanowasm_binary::decode(b, features()).map(|m| m.names);
                        if na.is_err() || na.ok() != nb.ok() {
                            failures.push(format!(
                                "{}: name sections decode differently:\n{m}",
                                path.display()
                            ));
                        }
                    } else {
                        differing += 1;
                        if failures.len() < 10 {
                            failures.push(format!("{}: bytes differ:\n{m}", path.display()));
                        }
                    }
                }
                (Err(_), Err(_)) => both_reject += 1,
                // The wat crate refuses bidirectional-override characters in
                // names by policy; the spec allows them (names.wast).
                (Ok(_), Err(e)) if e.to_string().contains("confusing unicode") => exact += 1,
                (Ok(_), Err(e)) => failures.push(format!(
                    "{}: we accept, wat rejects ({e}):\n{m}",
                    path.display()
                )),
                (Err(e), Ok(_)) => failures.push(format!(
                    "{}: we reject ({e}), wat accepts:\n{m}",
                    path.display()
                )),
            }
        }
    }
    let mut counts = format!(
        "text modules: {exact} byte-identical, {names_only} differ only in the name section, {differing} differ, {both_reject} rejected by both"
    );
    if rewritten > 0 {
        counts += &format!(" ({rewritten} compared with wat's bytes of a rewritten text)");
    }
    for s in &skipped {
        counts += &format!("\nskipped: {s}");
    }
    (counts, failures)
}

fn assert_same_as_wat(files: &[std::path::PathBuf]) {
    let (counts, failures) = compare_with_wat(files);
    eprintln!("{counts}");
    for f in &failures {
        eprintln!("{f}\n");
    }
    assert!(
        failures.is_empty(),
        "{} modules differ from the wat crate's bytes or verdict",
        failures.len()
    );
}

#[test]
fn lowering_matches_the_wat_crate() {
    assert_same_as_wat(&common::spec_files());
}

/// `$NANOWASM_TESTSUITE3`, or `../shared/testsuite` beside the
/// repository: the Wasm 3.0 testsuite; fails (not skips) when it is missing.
fn testsuite3() -> std::path::PathBuf {
    let root = std::env::var("NANOWASM_TESTSUITE3").map_or_else(
        |_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testsuite"),
        std::path::PathBuf::from,
    );
    assert!(
        root.is_dir(),
        "the Wasm 3.0 testsuite is missing at {}",
        root.display()
    );
    root
}

/// The memory64 files of the Wasm 3.0 suite (64-bit memories and tables,
/// `i64` offsets and limits, inline data and elements): the same bytes as
/// the `wat` crate's. (`table_init64.wast` also needs GC.)
#[test]
fn memory64_lowering_matches_the_wat_crate() {
    let root = testsuite3();
    let files: Vec<_> = common::wast_files(&root)
        .into_iter()
        .filter(|p| p.parent() == Some(root.as_path()))
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            let src = std::fs::read_to_string(p).unwrap();
            name != "table_init64.wast"
                && (src.contains("(memory i64") || src.contains("(table i64"))
                || name == "memory.wast"
        })
        .collect();
    assert!(files.len() >= 16, "only {} memory64 files", files.len());
    assert_same_as_wat(&files);
}

/// Quoted identifiers (`$"..."`, Wasm 3.0): the same names as plain ones,
/// escapes unescaped, and the same bytes (name section included) as the
/// `wat` crate; an empty or non-UTF-8 one is an error on both sides.
#[test]
fn quoted_identifiers_match_the_wat_crate() {
    let src = r#"(module
      (func $fg) (func (call $"fg"))
      (func $" random \t stuff ") (func (call $" random \t stuff "))
      (func $"\41B") (func (call $AB) (call $"A\42") (call $"\u{41}\u{42}"))
      (func $"\u{f61a}\u{f4a9}" (param $"p q" i32) (local $"\u{f61a}" i64)
        block $"l 1" (br $"l 1") end $"l 1"
        (local.set $"\u{f61a}" (i64.extend_i32_u (local.get $"p q"))))
      (global $"g" (mut i32) (i32.const 0))
      (func (global.set $g (i32.const 1))))"#;
    let ours = nanowasm_text::parse_wat(src).unwrap();
    assert_eq!(ours, wat::parse_str(src).unwrap());
    // Printed, every name comes back (quoted where it is not a plain
    // identifier), and the text parses to the same bytes.
    let printed = nanowasm_text::print::print_bytes(&ours, Features::default()).unwrap();
    assert!(
        printed.contains(r#"(func $" random \t stuff ""#),
        "{printed}"
    );
    assert!(printed.contains(r#"(param $"p q" i32)"#), "{printed}");
    assert_eq!(
        nanowasm_text::parse_wat(&printed).unwrap(),
        ours,
        "{printed}"
    );
    let names = nanowasm_binary::decode(ours, Features::default())
        .unwrap()
        .names;
    assert_eq!(names.function(2), Some(" random \t stuff "));
    assert_eq!(names.function(4), Some("AB"));
    for bad in [
        r#"(func $"")"#,
        r#"(func $"\ef")"#,
        "(func $ \"a\")",
        "(func $)",
    ] {
        let err = nanowasm_text::parse_wat(bad).unwrap_err().to_string();
        assert!(
            err.contains("empty identifier") || err.contains("malformed UTF-8"),
            "{bad}: {err}"
        );
        assert!(wat::parse_str(bad).is_err(), "{bad}");
    }
}

/// Branch hints (`@metadata.code.branch_hint`): on plain and folded `if`s
/// and `br_if`s, encoded in their custom section as the `wat` crate does;
/// misplaced, duplicated or malformed hints are errors.
#[test]
fn branch_hints_match_the_wat_crate() {
    let src = r#"(module
      (func $dummy)
      (func (param i32 i32) (result i32) (local i64)
        (@metadata.code.branch_hint "\00")
        (if (result i32) (local.get 0)
          (then
            (block $b
              (@metadata.code.branch_hint "\01") (br_if $b (local.get 1))
              local.get 1
              (@metadata.code.branch_hint "\00") br_if $b
              (call $dummy))
            (i32.const 9))
          (else
            local.get 1
            (@metadata.code.branch_hint "\01") if (result i32)
              i32.const 1
            else
              i32.const 2
            end)))
      (func (param i32)
        (@metadata.code.branch_hint "\01") (if (local.get 0) (then))))"#;
    let ours = nanowasm_text::parse_wat(src).unwrap();
    assert_eq!(ours, wat::parse_str(src).unwrap());
    nanowasm_binary::decode(ours.clone(), Features::default()).unwrap();
    // Printed back inline, before their instructions, and encoded again
    // to the same bytes.
    let printed = nanowasm_text::print::print_bytes(&ours, Features::default()).unwrap();
    assert_eq!(
        printed.matches("(@metadata.code.branch_hint").count(),
        5,
        "{printed}"
    );
    assert!(!printed.contains("@custom"), "{printed}");
    assert_eq!(
        nanowasm_text::parse_wat(&printed).unwrap(),
        ours,
        "{printed}"
    );
    // The same with an import before the functions (hints name functions
    // by index, imports included) and from the 3.0 suite.
    let imported = src.replacen("(func $dummy)", r#"(import "m" "f" (func $dummy))"#, 1);
    let mut modules = vec![src.to_string(), imported];
    let suite = testsuite3().join("custom/branch_hint.wast");
    let text = std::fs::read_to_string(&suite).unwrap();
    for form in scan::parse(&text).unwrap() {
        let mut found = Vec::new();
        text_modules(&form, &text, &mut found);
        modules.extend(found.into_iter().map(str::to_string));
    }
    let mut round_trips = 0;
    for m in &modules {
        let Ok(bytes) = nanowasm_text::parse_wat(m) else {
            continue;
        };
        if nanowasm_binary::decode(bytes.clone(), Features::default()).is_err() {
            continue;
        }
        let printed = nanowasm_text::print::print_bytes(&bytes, Features::default()).unwrap();
        assert_eq!(
            nanowasm_text::parse_wat(&printed).unwrap(),
            bytes,
            "{printed}"
        );
        round_trips += 1;
    }
    assert!(round_trips >= 3, "only {round_trips} modules round-tripped");
    // A hint that names no `if` or `br_if` (a hand-made section) keeps the
    // section raw, so nothing is lost.
    let raw = r#"(module (func (param i32) (drop (local.get 0)))
      (@custom "metadata.code.branch_hint" (before code) "\01\00\01\01\01\01"))"#;
    let bytes = nanowasm_text::parse_wat(raw).unwrap();
    let printed = nanowasm_text::print::print_bytes(&bytes, Features::default()).unwrap();
    assert!(printed.contains("@custom"), "{printed}");
    assert_eq!(nanowasm_text::parse_wat(&printed).unwrap(), bytes);
    for (bad, message) in [
        (
            r#"(func (@metadata.code.branch_hint "\01") nop)"#,
            "invalid target",
        ),
        (
            r#"(func (param i32) local.get 0 (@metadata.code.branch_hint "\01") (@metadata.code.branch_hint "\01") if end)"#,
            "duplicate annotation",
        ),
        (
            r#"(@metadata.code.branch_hint "\01") (func)"#,
            "not in a function",
        ),
        (
            r#"(func (param i32) (@metadata.code.branch_hint "\02") (if (local.get 0) (then)))"#,
            "malformed hint",
        ),
    ] {
        let err = nanowasm_text::parse_wat(bad).unwrap_err().to_string();
        assert!(err.contains(message), "{bad}: {err}");
    }
}

/// `(@name "...")` names a module or a function in the name section (over
/// its identifier), as the `wat` crate does; a second module name, or one
/// after other fields, is an error.
#[test]
fn name_annotations_match_the_wat_crate() {
    for src in [
        r#"(module (@name "Modül"))"#,
        r#"(module $moduel (@name "Modül") (func))"#,
        r#"(module (type $t (func)) (func (@name "λ") (type $t)) (func $lambda (@name "λ") (type $t)) (func $f (call $lambda)))"#,
        r#"(module (func $f (@name "imported") (import "m" "f")) (func (@name "x y") (export "e") (call $f)))"#,
        r#"(module (type $t (func)) (tag (@name "θ") (type $t)) (tag $theta (@name "θ") (type $t)) (tag $plain))"#,
    ] {
        let ours = nanowasm_text::parse_wat(src).unwrap();
        assert_eq!(ours, wat::parse_str(src).unwrap(), "{src}");
    }
    let names = nanowasm_binary::decode(
        nanowasm_text::parse_wat(r#"(module $m (@name "Modül") (func $f (@name "λ")))"#).unwrap(),
        Features::default(),
    )
    .unwrap()
    .names;
    assert_eq!(names.module.as_deref(), Some("Modül"));
    assert_eq!(names.function(0), Some("λ"));
    for (bad, message) in [
        (r#"(module (@name "M1") (@name "M2"))"#, "multiple module"),
        (r#"(module (func) (@name "M"))"#, "misplaced @name"),
    ] {
        let err = nanowasm_text::parse_wat(bad).unwrap_err().to_string();
        assert!(err.contains(message), "{bad}: {err}");
    }
}

/// The folded legacy `try` (`(try bt (do ...) (catch x ...)* (catch_all
/// ...)?)` or `(try bt (do ...) (delegate l))`), which the `wat` crate does
/// not parse, rewritten in the flat form it parses (`try bt ... catch x ...
/// end`), everything else kept as written: `None` if `module` has none.
fn unfold_legacy_try(module: &str) -> Option<String> {
    /// `list` with every folded `try` in it rewritten.
    fn render(list: &Sexp, src: &str) -> String {
        let Sexp::List(items, span) = list else {
            unreachable!("only lists are rendered")
        };
        if list.head() == Some("try") {
            return flat_try(items, src);
        }
        let mut out = String::new();
        let mut at = span.start;
        for item in items {
            if let Sexp::List(_, inner) = item {
                out.push_str(&src[at..inner.start]);
                out.push_str(&render(item, src));
                at = inner.end;
            }
        }
        out.push_str(&src[at..span.end]);
        out
    }
    /// One token or folded instruction of a `try`.
    fn token(item: &Sexp, src: &str) -> String {
        match item {
            Sexp::Atom(a) => a.clone(),
            Sexp::List(..) => render(item, src),
            Sexp::Str(_) => unreachable!("no string in an instruction"),
        }
    }
    fn flat_try(items: &[Sexp], src: &str) -> String {
        let mut out = String::from("try");
        let mut end = " end";
        for item in &items[1..] {
            match item.head() {
                Some(clause @ ("do" | "catch" | "catch_all" | "delegate")) => {
                    if clause != "do" {
                        out.push(' ');
                        out.push_str(clause);
                    }
                    if clause == "delegate" {
                        end = "";
                    }
                    for i in &item.items()[1..] {
                        out.push(' ');
                        out.push_str(&token(i, src));
                    }
                }
                // The label and the block type.
                _ => {
                    out.push(' ');
                    out.push_str(&token(item, src));
                }
            }
        }
        out.push_str(end);
        out
    }
    let forms = scan::parse(module).ok()?;
    let [form] = forms.as_slice() else {
        return None;
    };
    let out = render(form, module);
    (out != module).then_some(out)
}

/// The exception-handling files of the Wasm 3.0 suite (tags, `throw`,
/// `throw_ref`, `try_table`, `exnref`, and the legacy `try`, `catch`,
/// `catch_all`, `delegate` and `rethrow`): the same bytes as the `wat`
/// crate's, or the same rejection. Their modules with GC recursive type
/// groups (`rec`, in tag.wast) and typed function references (`(ref $t)`,
/// in try_table.wast) are compared too.
///
/// One allowance, counted in the output: the `wat` crate does not parse
/// the folded legacy `try`, so a module that has one is compared with
/// `wat`'s bytes of the same module written with flat `try`s
/// ([`unfold_legacy_try`]).
#[test]
fn exceptions_lowering_matches_the_wat_crate() {
    let root = testsuite3();
    let files: Vec<_> = [
        "throw.wast",
        "throw_ref.wast",
        "try_table.wast",
        "tag.wast",
        "legacy/rethrow.wast",
        "legacy/throw.wast",
        "legacy/try_catch.wast",
        "legacy/try_delegate.wast",
    ]
    .iter()
    .map(|f| root.join(f))
    .collect();
    let allow = Allowances {
        rewrite: Some(unfold_legacy_try),
        skip: None,
    };
    let (counts, failures) = compare_with_wat_using(&files, &allow);
    eprintln!("{counts}");
    for f in &failures {
        eprintln!("{f}\n");
    }
    assert!(
        failures.is_empty(),
        "{} modules differ from the wat crate's bytes or verdict",
        failures.len()
    );
    assert!(
        !counts.contains("skipped: "),
        "modules were skipped:\n{counts}"
    );
}
