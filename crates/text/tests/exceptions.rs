//! Exception handling (Wasm 3.0) in the text format: tags, `throw`,
//! `throw_ref`, `try_table` and `exnref`, and the legacy `try`, `catch`,
//! `catch_all`, `delegate` and `rethrow`. Encoded as the `wat` crate does,
//! printed back to the same bytes, malformed text refused with a message
//! that says what is wrong, and the spec scripts read.

use nanowasm_binary::{Feature, Features};
use nanowasm_text::wast::script::{Directive, ModuleSource};
use nanowasm_text::{parse_wat, print_bytes};

/// Every proposal the decoder implements (the spec's exception scripts use
/// tail calls too, and typed references and GC types), and exception
/// handling.
fn features() -> Features {
    let mut f = Features::WASM2;
    f.apply_list("all").unwrap();
    f.with(Feature::Exceptions, true)
        .with(Feature::FunctionReferences, true)
        .with(Feature::Gc, true)
}

/// Every construct of the proposal in one valid module, the legacy `try`
/// in its flat form (the only one the `wat` crate parses).
const EVERYTHING: &str = r#"(module
  (type $sig (func (param i32)))
  (import "env" "imported" (tag $imported (param i64)))
  (tag $also-imported (export "reexported") (import "env" "other") (type $sig))
  (@custom "before-tags" (before tag) "x")
  (tag $e (export "e") (export "e2") (param $code i32) (param f32))
  (tag $empty)
  (tag (type $sig) (param i32))
  (export "empty" (tag $empty))
  (global $g (mut exnref) (ref.null exn))
  (func $thrower (param i32)
    local.get 0
    f32.const 1.5
    throw $e)
  (func $table (param i32) (result i32)
    (local $x exnref) (local $y (ref null exn))
    (local.set $y (ref.null exn))
    (block $all (result exnref)
      (block $none
        (block $ref (result i32 f32 exnref)
          (block $plain (result i32 f32)
            (try_table $t (result i32)
              (catch $e $plain) (catch_all_ref $all) (catch_ref $e $ref) (catch_all $none)
              (call $thrower (local.get 0))
              (drop (br_if $t (i32.const 0) (i32.const 1)))
              (i32.const 0))
            (return))
          drop
          return)
        local.set $x
        drop
        drop
        (throw_ref (local.get $x)))
      (return (i32.const -1)))
    throw_ref)
  (func $flat (result i32)
    block $h (result i32 f32)
      try_table (result i32) (catch $e $h) (catch 2 0)
        i32.const 1
      end
      return
    end $h
    drop)
  (func $legacy (param i32) (result i32)
    try $outer (result i32)
      try $inner (result i32)
        local.get 0
        call $thrower
        i32.const 1
      catch $e
        drop
      catch $imported
        drop
        i32.const 2
      catch_all
        rethrow $inner
      end $inner
    catch_all
      i32.const 3
    end)
  (func $delegating
    block $b
      try
        try
          (call $thrower (i32.const 0))
        delegate $b
      catch $empty
        try
          rethrow 1
        delegate 0
      catch_all
      end
    end
    try $d
      nop
    delegate 0)
  (func $throw-folded (param i64)
    (throw $imported (local.get 0)))
)"#;

/// [`EVERYTHING`]'s legacy functions in the folded form of `try`.
const FOLDED_LEGACY: [(&str, &str); 2] = [
    (
        r#"  (func $legacy (param i32) (result i32)
    try $outer (result i32)
      try $inner (result i32)
        local.get 0
        call $thrower
        i32.const 1
      catch $e
        drop
      catch $imported
        drop
        i32.const 2
      catch_all
        rethrow $inner
      end $inner
    catch_all
      i32.const 3
    end)"#,
        r#"  (func $legacy (param i32) (result i32)
    (try $outer (result i32)
      (do
        (try $inner (result i32)
          (do (call $thrower (local.get 0)) (i32.const 1))
          (catch $e (drop))
          (catch $imported (drop) (i32.const 2))
          (catch_all (rethrow $inner))))
      (catch_all (i32.const 3))))"#,
    ),
    (
        r#"  (func $delegating
    block $b
      try
        try
          (call $thrower (i32.const 0))
        delegate $b
      catch $empty
        try
          rethrow 1
        delegate 0
      catch_all
      end
    end
    try $d
      nop
    delegate 0)"#,
        r#"  (func $delegating
    (block $b
      (try
        (do (try (do (call $thrower (i32.const 0))) (delegate $b)))
        (catch $empty (try (do (rethrow 1)) (delegate 0)))
        (catch_all)))
    (try $d (do (nop)) (delegate 0)))"#,
    ),
];

#[test]
fn every_construct_matches_the_wat_crate_and_prints_back() {
    let ours =
        parse_wat(EVERYTHING).unwrap_or_else(|e| panic!("{}", e.display_with("m", EVERYTHING)));
    assert_eq!(ours, wat::parse_str(EVERYTHING).unwrap());
    let module = nanowasm_binary::decode(ours.clone(), features()).unwrap();
    assert_eq!(module.tags.len(), 5);
    assert_eq!(module.num_imported.tags, 2);
    // Printed: names (the tags' from the name section too), clauses lined
    // up with their `try`, and the same bytes when parsed back.
    let text = print_bytes(&ours, features()).unwrap();
    for line in [
        r#"  (import "env" "imported" (tag $imported (type 1) (param i64)))"#,
        "  (tag $e (type 2) (param $code i32) (param f32))",
        "  (tag $empty (type 3))",
        r#"  (export "empty" (tag $empty))"#,
        "  (global $g (mut exnref) ref.null exn)",
        "            try_table $t (result i32) (catch $e 0) (catch_all_ref 3) (catch_ref $e 1) (catch_all 2)",
        "    throw_ref",
        "    try $outer (result i32)",
        "      catch $e",
        "      catch_all",
        "        rethrow 0",
        "        delegate 1",
        "    delegate 0",
        r#"  (@custom "before-tags" (before tag) "x")"#,
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(line)),
            "no line `{line}` in\n{text}"
        );
    }
    assert!(
        text.contains(" (result i32) (local $x exnref) (local $y exnref)\n"),
        "{text}"
    );
    assert_eq!(parse_wat(&text).unwrap(), ours, "{text}");
}

/// Tag and `exnref` forms one by one: the same bytes (name section
/// included) as the `wat` crate's.
#[test]
fn tag_and_exnref_forms_match_the_wat_crate() {
    for src in [
        // Inline and separate imports and exports; names of a defined tag's
        // parameters (an imported tag keeps none).
        r#"(module (tag $i (import "m" "i") (param $x i32)) (import "m" "j" (tag $j (param $y f32))) (tag $e (export "a") (export "b") (param $p i64) (param $q f64)))"#,
        r#"(module (type $t (func (param i32))) (tag $e (type $t)) (tag (type $t) (param $b i32)) (export "e" (tag $e)) (export "f" (tag 1)))"#,
        // Results make an invalid tag type, encoded all the same.
        "(module (tag (result i32)))",
        r#"(module (import "" "" (tag (param i32) (result i64))))"#,
        "(module (tag (type 5)))",
        // Custom sections around the tag section.
        r#"(module (@custom "a" (before tag) "x") (tag) (@custom "b" (after tag) "y") (global i32 (i32.const 0)))"#,
        // `exnref` and `(ref null? exn)` wherever a value or reference type goes.
        "(module (func (param exnref (ref null exn) (ref exn)) (result (ref null func) (ref extern)) unreachable))",
        "(module (table 1 exnref) (table $t 2 (ref null exn)) (global (mut exnref) (ref.null exn)))",
        "(module (elem declare exnref) (elem exnref (ref.null exn)) (elem (ref null exn)))",
        "(module (func (local exnref) (select (result exnref) (ref.null exn) (local.get 0) (i32.const 1)) drop))",
        "(module (func (block (result (ref null exn)) (ref.null exn)) drop))",
        // `throw_ref`, and `rethrow` by name from a `catch`.
        "(module (tag $e) (func (param exnref) (throw_ref (local.get 0))) (func try $l catch $e rethrow $l catch_all rethrow 0 end $l))",
        // Label names count `try` and `try_table` with the other blocks.
        "(module (tag $e) (func block $a try $b try_table $c (catch $e $a) (catch_all $b) end catch_all end end))",
    ] {
        let ours = parse_wat(src).unwrap_or_else(|e| panic!("{}", e.display_with("m", src)));
        assert_eq!(ours, wat::parse_str(src).unwrap(), "{src}");
    }
}

#[test]
fn folded_legacy_try_is_the_flat_one() {
    let mut folded = EVERYTHING.to_owned();
    for (flat, fold) in FOLDED_LEGACY {
        assert!(folded.contains(flat));
        folded = folded.replace(flat, fold);
    }
    assert_ne!(folded, EVERYTHING);
    assert_eq!(parse_wat(&folded).unwrap(), parse_wat(EVERYTHING).unwrap());
}

#[test]
fn malformed_exception_text_is_refused_with_a_clear_message() {
    for (bad, message) in [
        ("(func catch 0)", "`catch` outside a `try` block"),
        ("(func (catch_all))", "`catch_all` outside a `try` block"),
        (
            "(tag $e) (func (catch $e))",
            "`catch` outside a `try` block",
        ),
        ("(func (delegate 0))", "`delegate` outside a `try` block"),
        (
            "(func try block catch_all end end)",
            "`catch_all` outside a `try` block",
        ),
        (
            "(tag $e) (func try catch_all catch $e end)",
            "`catch` after `catch_all` in a `try` block",
        ),
        (
            "(func try catch_all catch_all end)",
            "`catch_all` after `catch_all` in a `try` block",
        ),
        (
            "(func (try (do) (catch_all) (catch_all)))",
            "`catch_all` after `catch_all` in a `try` block",
        ),
        (
            "(tag $e) (func (try (do) (catch $e) (delegate 0)))",
            "`delegate` after `catch` in a `try` block",
        ),
        (
            "(func (try (do) (catch_all) (delegate 0)))",
            "`delegate` after `catch_all` in a `try` block",
        ),
        (
            "(func (try (do) (delegate) (delegate 0)))",
            "unexpected token",
        ),
        (
            "(func (try (nop)))",
            "expected `(do` after the block type of `(try`",
        ),
        (
            "(func (try (do) (nop)))",
            "expected `(catch`, `(catch_all`, `(delegate` or `)` in `(try`",
        ),
        ("(func try nop)", "expected `end`"),
        ("(func try $l end $m)", "mismatching label"),
        ("(func (throw $nope))", "unknown tag $nope"),
        ("(func try catch $nope end)", "unknown tag $nope"),
        (r#"(export "e" (tag $nope))"#, "unknown tag $nope"),
        ("(func (try_table (catch $nope 0)))", "unknown tag $nope"),
        // A `try_table`'s own label is not in scope in its clauses.
        ("(func try_table $l (catch_all $l) end)", "unknown label $l"),
        // Nor is a `try`'s in its `delegate`.
        ("(func try $l delegate $l)", "unknown label $l"),
        ("(tag $e) (tag $e)", "duplicate tag $e"),
        (r#"(tag) (import "m" "t" (tag))"#, "import after tag"),
        (
            "(type (func (param i32))) (tag (type 0) (param i64))",
            "inline function type",
        ),
        ("(func (param (ref null $t)))", "unknown type $t"),
        (
            "(func (@metadata.code.branch_hint \"\\01\") try end)",
            "invalid target",
        ),
    ] {
        let err = match parse_wat(bad) {
            Ok(_) => panic!("{bad}: accepted"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(message), "{bad}: {err}");
    }
}

/// The spec's exception scripts: every directive reads (`assert_exception`
/// included), and every module that decodes prints back to its bytes.
#[test]
fn exception_scripts_parse_and_their_modules_print_back() {
    let root = std::env::var("NANOWASM_TESTSUITE3").map_or_else(
        |_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testsuite"),
        std::path::PathBuf::from,
    );
    let (mut exceptions, mut printed) = (0, 0);
    for file in [
        "throw.wast",
        "throw_ref.wast",
        "try_table.wast",
        "tag.wast",
        "legacy/rethrow.wast",
        "legacy/throw.wast",
        "legacy/try_catch.wast",
        "legacy/try_delegate.wast",
    ] {
        let path = root.join(file);
        let src =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let script = nanowasm_text::wast::parse_script(&src)
            .unwrap_or_else(|e| panic!("{}", e.display_with(file, &src)));
        for d in script {
            let source = match &d.directive {
                Directive::AssertException { .. } => {
                    exceptions += 1;
                    continue;
                }
                Directive::Module { source, .. } | Directive::AssertUnlinkable { source, .. } => {
                    source
                }
                _ => continue,
            };
            let ModuleSource::Bytes(Ok(bytes)) = source else {
                continue;
            };
            // The modules of `assert_unlinkable` and of `module` decode
            // (typed references and GC types included).
            nanowasm_binary::decode(bytes.clone(), features())
                .unwrap_or_else(|e| panic!("{file}:{}: {e}", d.line));
            let text = print_bytes(bytes, features()).unwrap();
            let again = parse_wat(&text).unwrap_or_else(|e| {
                panic!("{file}:{}: {}", d.line, e.display_with("printed", &text))
            });
            assert_eq!(&again, bytes, "{file}:{}:\n{text}", d.line);
            printed += 1;
        }
    }
    eprintln!("{exceptions} assert_exception directives, {printed} modules printed back");
    assert_eq!(exceptions, 41);
    assert_eq!(printed, 20);
}
