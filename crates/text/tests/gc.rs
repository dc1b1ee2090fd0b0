//! Typed function references and GC (Wasm 3.0) in the text format: every
//! text module of the spec files that use them is encoded as the `wat`
//! crate encodes it (byte for byte, the name section included), printed
//! back to the same bytes, and malformed text is refused with a message
//! that says what is wrong.

// The decoder's test scanner finds the module forms and their spans.
#[path = "../../binary/tests/spec/scan.rs"]
#[allow(dead_code)]
mod scan;

use nanowasm_binary::Features;
use nanowasm_core::HeapType;
use nanowasm_text::wast::script::{Directive, Expected};
use nanowasm_text::{parse_wat, print_module};
use scan::Sexp;

/// Every proposal the front end reads: the supported ones and GC.
fn features() -> Features {
    Features::front_end()
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

/// The spec files that use typed references or GC, or whose 3.0 versions
/// do.
const FILES: &[&str] = &[
    "array",
    "array_copy",
    "array_fill",
    "array_init_data",
    "array_init_elem",
    "array_new_data",
    "array_new_elem",
    "br_on_cast",
    "br_on_cast_fail",
    "br_on_non_null",
    "br_on_null",
    "call_ref",
    "i31",
    "ref_as_non_null",
    "ref_cast",
    "ref_eq",
    "ref_test",
    "ref_null",
    "ref",
    "ref_is_null",
    "return_call_ref",
    "struct",
    "table-sub",
    "type-canon",
    "type-equivalence",
    "type-rec",
    "type-subtyping",
    "local_init",
    "unreached-valid",
    "extern",
    "table",
    "elem",
    "global",
    "br_table",
    "table_init",
    "tag",
    "try_table",
    "linking",
    "instance",
    "data",
];

/// The text modules of a script (not `binary` or `quote` ones), as their
/// source text; a `module definition` without its `definition` keyword
/// (which neither encoder reads).
fn text_modules(form: &Sexp, src: &str, out: &mut Vec<String>) {
    if form.head() == Some("module") {
        let items = form.items();
        let mut i = 1;
        let mut definition = false;
        // `(module instance ...)` instantiates a module definition.
        if matches!(items.get(i), Some(Sexp::Atom(a)) if a == "instance") {
            return;
        }
        if matches!(items.get(i), Some(Sexp::Atom(a)) if a == "definition") {
            definition = true;
            i += 1;
        }
        if let Some(Sexp::Atom(a)) = items.get(i) {
            if a.starts_with('$') {
                i += 1;
            }
        }
        if matches!(items.get(i), Some(Sexp::Atom(a)) if a == "binary" || a == "quote") {
            return;
        }
        if let Sexp::List(_, span) = form {
            let text = &src[span.clone()];
            out.push(if definition {
                text.replacen("definition", "", 1)
            } else {
                text.to_owned()
            });
        }
        return;
    }
    for item in form.items() {
        if let Sexp::List(..) = item {
            text_modules(item, src, out);
        }
    }
}

/// What became of the modules of the GC files.
#[derive(Default, Debug)]
struct Counts {
    /// Our bytes are the `wat` crate's.
    identical: usize,
    /// Both refuse the text.
    both_reject: usize,
    /// The `wat` crate refuses it and we accept it (skipped).
    wat_rejects: Vec<String>,
    /// Decoded and printed, and the text gave the same bytes back.
    printed_back: usize,
    /// Not decoded (without validating function bodies) and invalid as
    /// `wasmparser` sees it: not printed.
    invalid: usize,
    /// Not decoded, though `wasmparser` validates it: what the decoder
    /// does not read yet (not printed).
    not_decoded: Vec<String>,
}

fn run() -> (Counts, Vec<String>) {
    let root = testsuite3();
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    for file in FILES {
        let path = root.join(format!("{file}.wast"));
        let src =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let forms = scan::parse(&src).unwrap();
        let mut mods = Vec::new();
        for f in &forms {
            text_modules(f, &src, &mut mods);
        }
        for m in &mods {
            let first_line = m.lines().next().unwrap_or("");
            let whereat = format!("{file}.wast: {first_line}");
            let ours = parse_wat(m);
            let theirs = wat::parse_str(m);
            let bytes = match (ours, theirs) {
                (Ok(a), Ok(b)) if a == b => {
                    counts.identical += 1;
                    a
                }
                (Ok(a), Ok(b)) => {
                    failures.push(format!(
                        "{whereat}: bytes differ\n  ours: {a:02x?}\n  wat:  {b:02x?}\n{m}"
                    ));
                    continue;
                }
                (Err(_), Err(_)) => {
                    counts.both_reject += 1;
                    continue;
                }
                (Ok(_), Err(e)) => {
                    counts.wat_rejects.push(format!(
                        "{whereat}: {}",
                        e.to_string().lines().next().unwrap_or("")
                    ));
                    continue;
                }
                (Err(e), Ok(_)) => {
                    failures.push(format!(
                        "{whereat}: we reject, wat accepts: {}\n{m}",
                        e.display_with("module", m)
                    ));
                    continue;
                }
            };
            // Printed back: function bodies are not validated (the printer
            // needs only the decoded sections), so that modules whose
            // bodies use instructions the validator does not type yet print
            // too.
            let module = match nanowasm_binary::decode_trusted(bytes.clone(), features()) {
                Ok(module) => module,
                Err(e) => {
                    // Stack switching would allow tag results.
                    let mut v = wasmparser::Validator::new_with_features(
                        wasmparser::WasmFeatures::all() - wasmparser::WasmFeatures::STACK_SWITCHING,
                    );
                    if v.validate_all(&bytes).is_ok() {
                        counts.not_decoded.push(format!("{whereat}: {e}"));
                    } else {
                        counts.invalid += 1;
                    }
                    continue;
                }
            };
            let text = match print_module(&module, features()) {
                Ok(text) => text,
                Err(e) => {
                    failures.push(format!("{whereat}: print failed: {e}"));
                    continue;
                }
            };
            match parse_wat(&text) {
                Ok(again) if again == bytes => counts.printed_back += 1,
                Ok(_) => {
                    failures.push(format!("{whereat}: printed text changes the bytes\n{text}"))
                }
                Err(e) => failures.push(format!(
                    "{whereat}: printed text does not parse: {}\n{text}",
                    e.display_with("printed", &text)
                )),
            }
        }
    }
    (counts, failures)
}

#[test]
fn gc_lowering_matches_the_wat_crate_and_prints_back() {
    let (counts, failures) = run();
    eprintln!(
        "GC files: {} modules byte-identical to the wat crate's, {} rejected by both, \
         {} skipped (rejected by the wat crate only); {} printed back to the same bytes, \
         {} invalid, {} valid but not decoded yet",
        counts.identical,
        counts.both_reject,
        counts.wat_rejects.len(),
        counts.printed_back,
        counts.invalid,
        counts.not_decoded.len()
    );
    for s in &counts.wat_rejects {
        eprintln!("skipped, wat rejects: {s}");
    }
    for s in &counts.not_decoded {
        eprintln!("not decoded: {s}");
    }
    for f in failures.iter().take(20) {
        eprintln!("{f}\n");
    }
    assert!(failures.is_empty(), "{} failures", failures.len());
    // Every text module of these files, but for the 3 `(module instance
    // ...)` forms, which are no modules.
    assert_eq!(counts.identical, 761);
    assert_eq!(counts.both_reject, 0);
    assert!(counts.wat_rejects.is_empty());
    assert_eq!(
        counts.printed_back + counts.invalid + counts.not_decoded.len(),
        counts.identical
    );
}

/// Typed reference and GC forms one by one: the same bytes (name section
/// included) as the `wat` crate's.
#[test]
fn typed_reference_and_gc_forms_match_the_wat_crate() {
    let mut invalid = Vec::new();
    for src in [
        // Every reference type shorthand and `(ref null? ht)` for every
        // abstract heap type, as parameters, results and locals.
        "(module (func (param funcref externref exnref anyref eqref i31ref structref arrayref) (result nullref nullfuncref nullexternref nullexnref) unreachable))",
        "(module (func (param (ref func) (ref extern) (ref exn) (ref any) (ref eq) (ref i31) (ref struct) (ref array) (ref none) (ref nofunc) (ref noextern) (ref noexn)) unreachable))",
        "(module (func (local (ref null func) (ref null extern) (ref null exn) (ref null any) (ref null eq) (ref null i31) (ref null struct) (ref null array) (ref null none) (ref null nofunc) (ref null noextern) (ref null noexn))))",
        "(module (func (drop (ref.null func)) (drop (ref.null extern)) (drop (ref.null exn)) (drop (ref.null any)) (drop (ref.null eq)) (drop (ref.null i31)) (drop (ref.null struct)) (drop (ref.null array)) (drop (ref.null none)) (drop (ref.null nofunc)) (drop (ref.null noextern)) (drop (ref.null noexn))))",
        // Concrete heap types by name and by number, forward references.
        "(module (type $t (func)) (func (param (ref $t) (ref 0) (ref null $t) (ref null 0)) (result (ref $u)) unreachable) (type $u (struct)))",
        "(module (type $t (func)) (func (drop (ref.null $t)) (drop (ref.null 0))))",
        // Struct and array types: packed, mutable, named and unnamed fields.
        "(module (type $s (struct (field $a i8) (field $b (mut i16)) (field i32 (mut i64) f32) (field $c (mut (ref null $s))))))",
        "(module (type (struct)) (type (struct (field))) (type (array i8)) (type (array (mut i16))) (type (array (ref null 0))))",
        "(module (type $a (array (mut funcref))) (type $b (array (ref $a))))",
        // Subtypes, final and not; recursion groups, empty and singleton.
        "(module (type $a (sub (struct))) (type $b (sub $a (struct (field i32)))) (type $c (sub final $b (struct (field i32 i64)))) (type (sub final (func))))",
        "(module (rec) (rec (type $x (func))) (rec (type $l (struct (field (ref null $r)))) (type $r (struct (field (ref null $l))))))",
        "(module (rec (type $a (sub (func (param i32)))) (type $b (sub $a (func (param i32))))))",
        // Several supertypes: encoded, though validation refuses them (one
        // of the two modules here that do not decode).
        "(module (type $a (sub (func))) (type $b (sub (func))) (type (sub $a $b (func))))",
        // Names of struct fields and of function types' parameters (name
        // subsections 10 and 12).
        "(module (type $p (func (param $x i32) (param i64) (param $y f32))) (rec (type $q (func (param $z i32))) (type $s (struct (field $f i32) (field i64) (field $g i8)))))",
        // Type uses refer to types in recursion groups; implicit function
        // types: the first `(type (func ...))` outside a `rec` written the
        // same way, non-final or not, or a new type.
        "(module (rec (type $f (func (param i32))) (type (struct))) (func (type $f) (param i32)) (func (param i32)))",
        "(module (type $t (sub (func))) (type (func)) (func) (func (type 1)))",
        "(module (rec (type $t (func))) (func))",
        "(module (type $s (struct)) (type $f (func (param (ref $s)))) (func (param (ref $s))) (func (param (ref 0))))",
        "(module (func (param (ref null 1))) (type (func)) (type (func (param (ref null 1)))))",
        "(module (type $s (struct)) (func (block (param (ref $s)) (result (ref $s))) (block (param (ref 0)) (result (ref 0))) unreachable))",
        // Every typed reference and GC instruction, plain and folded.
        "(module (type $f (func (param i32) (result i32))) (func (param (ref $f)) (result i32) (call_ref $f (i32.const 1) (local.get 0))) (func (param (ref null $f)) (result i32) i32.const 1 local.get 0 return_call_ref $f))",
        "(module (func (param anyref) (result (ref any)) (ref.as_non_null (local.get 0))) (func (param eqref eqref) (result i32) (ref.eq (local.get 0) (local.get 1))))",
        "(module (func (param funcref) (block $l (br_on_null $l (local.get 0)) drop) (block $m (result (ref func)) local.get 0 br_on_non_null $m unreachable) drop))",
        "(module (type $s (struct (field $x (mut i32)) (field $y i8) (field i16))) (func (param (ref $s)) (result i32) (struct.set $s $x (local.get 0) (i32.const 1)) (struct.set $s 0 (local.get 0) (i32.const 2)) (drop (struct.get_s $s $y (local.get 0))) (drop (struct.get_u $s 2 (local.get 0))) (drop (struct.new $s (i32.const 1) (i32.const 2) (i32.const 3))) (drop (struct.new_default $s)) (struct.get $s $x (local.get 0))))",
        "(module (type $a (array (mut i8))) (type $b (array (mut funcref))) (data $d \"\\01\\02\") (elem $e funcref (ref.null func)) (func (param (ref $a) (ref $b)) (drop (array.new $a (i32.const 0) (i32.const 1))) (drop (array.new_default $a (i32.const 1))) (drop (array.new_fixed $a 3 (i32.const 1) (i32.const 2) (i32.const 3))) (drop (array.new_data $a $d (i32.const 0) (i32.const 1))) (drop (array.new_elem $b $e (i32.const 0) (i32.const 1))) (drop (array.get_s $a (local.get 0) (i32.const 0))) (drop (array.get_u $a (local.get 0) (i32.const 0))) (drop (array.get $b (local.get 1) (i32.const 0))) (array.set $a (local.get 0) (i32.const 0) (i32.const 1)) (drop (array.len (local.get 0))) (array.fill $a (local.get 0) (i32.const 0) (i32.const 1) (i32.const 2)) (array.copy $a $a (local.get 0) (i32.const 0) (local.get 0) (i32.const 0) (i32.const 1)) (array.init_data $a $d (local.get 0) (i32.const 0) (i32.const 0) (i32.const 1)) (array.init_elem $b $e (local.get 1) (i32.const 0) (i32.const 0) (i32.const 1))))",
        "(module (type $s (struct)) (func (param anyref) (drop (ref.test (ref $s) (local.get 0))) (drop (ref.test (ref null $s) (local.get 0))) (drop (ref.test i31ref (local.get 0))) (drop (ref.test (ref none) (local.get 0))) (drop (ref.cast (ref $s) (local.get 0))) (drop (ref.cast structref (local.get 0))) (drop (ref.cast (ref null 0) (local.get 0)))))",
        "(module (type $s (struct)) (func (param anyref) (result anyref) (block $l (result anyref) (drop (br_on_cast $l anyref (ref $s) (local.get 0))) (drop (br_on_cast 0 (ref any) (ref null $s) (ref.as_non_null (local.get 0)))) (drop (br_on_cast_fail $l anyref (ref null $s) (local.get 0))) (br_on_cast_fail 0 (ref null any) (ref i31) (local.get 0)))))",
        "(module (func (param i32 externref) (drop (i31.get_s (ref.i31 (local.get 0)))) (drop (i31.get_u (ref.i31 (local.get 0)))) (drop (extern.convert_any (any.convert_extern (local.get 1))))))",
        // Typed `select`, block results and globals.
        "(module (type $s (struct)) (func (param (ref null $s) i32) (result (ref null $s)) (select (result (ref null $s)) (local.get 0) (local.get 0) (local.get 1))))",
        "(module (type $s (struct (field i32))) (global $g (ref $s) (struct.new $s (i32.const 1))) (global (mut (ref null $s)) (ref.null $s)) (global (ref i31) (ref.i31 (i32.const 7))) (global (ref $s) (global.get $g)))",
        r#"(module (type $s (struct)) (import "m" "g" (global $g (ref null $s))) (import "m" "t" (table 1 (ref null $s))) (import "m" "f" (func (param (ref $s)))))"#,
        // Array segments in constant expressions do not make a data count
        // section (nor a valid module: the other one that does not decode);
        // in a function body they do.
        "(module (type $a (array i8)) (data $d \"ab\") (global (ref $a) (array.new_data $a $d (i32.const 0) (i32.const 1))))",
        "(module (type $a (array i8)) (data $d \"ab\") (func (drop (array.new_data $a $d (i32.const 0) (i32.const 1)))))",
        // Tables with an initializer, of typed references, 64-bit, imported.
        "(module (type $f (func)) (func $g) (elem declare func $g) (table 10 (ref $f) (ref.func $g)) (table $t 1 2 (ref null func) (ref.null func)) (table i64 3 (ref null $f) ref.null $f))",
        r#"(module (table $t (export "t") 1 (ref null any) (ref.i31 (i32.const 1))))"#,
        // Inline elements: function indices for another type than
        // `funcref` become `ref.func` expressions.
        "(module (type $f (func)) (func $g (type $f)) (table (ref null $f) (elem $g $g)) (table funcref (elem $g)) (table i64 (ref null func) (elem $g)) (table (ref null $f) (elem (ref.func $g) (ref.null $f))))",
        // Element segments of typed references.
        "(module (type $f (func)) (func $g (type $f)) (table 1 funcref) (table 1 (ref null $f)) (elem (ref $f) (ref.func $g)) (elem (table 1) (i32.const 0) (ref null $f) (ref.func $g)) (elem declare (ref func) (ref.func $g)) (elem (i32.const 0) funcref (ref.func $g)) (elem (i32.const 0) (ref func) (ref.func $g)) (elem (table 0) (i32.const 0) func $g))",
        "(module (type $s (struct)) (elem anyref (item (ref.i31 (i32.const 1))) (ref.null none) (struct.new $s)))",
        // Tags of typed parameters.
        "(module (type $s (struct)) (tag $e (param (ref $s))) (func (param (ref null $s)) (throw $e (ref.as_non_null (local.get 0)))))",
    ] {
        let ours = parse_wat(src).unwrap_or_else(|e| panic!("{}", e.display_with("m", src)));
        assert_eq!(ours, wat::parse_str(src).unwrap(), "{src}");
        // Printed back to the same bytes, if it decodes (function bodies
        // unvalidated).
        match nanowasm_binary::decode_trusted(ours.clone(), features()) {
            Ok(m) => {
                let text = print_module(&m, features()).unwrap();
                let again = parse_wat(&text)
                    .unwrap_or_else(|e| panic!("{}", e.display_with("printed", &text)));
                assert_eq!(again, ours, "{src}\n{text}");
            }
            Err(e) => invalid.push(format!("{src}: {e}")),
        }
    }
    assert_eq!(invalid.len(), 2, "{invalid:#?}");
}

/// A type use without `(type x)` refers to the first function type outside
/// a `rec` group that is written the same way, as the `wat` crate decides:
/// `(ref $t)` and `(ref 0)` are written differently even when `$t` is type
/// 0, and a non-final type or one with a supertype counts too. (The spec's
/// rule takes only a final type without supertypes, alone in its group,
/// `rec` or not: five modules of the suite, two of type-subtyping.wast and
/// three of type-rec.wast, would be encoded differently, though to the same
/// effect on their scripts.)
#[test]
fn implicit_type_uses_follow_the_wat_crate() {
    for (src, ty, types) in [
        ("(type (func)) (func)", 0, 1),
        ("(type (func (param i32))) (func)", 1, 2),
        ("(type $t (sub (func))) (func)", 0, 1),
        (
            "(type $a (sub (func))) (type (sub final $a (func))) (func)",
            0,
            2,
        ),
        ("(type (sub final (func))) (func)", 0, 1),
        ("(rec (type (func))) (func)", 1, 2),
        ("(rec (type (func)) (type (struct))) (func)", 2, 3),
        (
            "(type $s (struct)) (type (func (param (ref $s)))) (func (param (ref $s)))",
            1,
            2,
        ),
        (
            "(type $s (struct)) (type (func (param (ref $s)))) (func (param (ref 0)))",
            2,
            3,
        ),
        // The first of two alike, and an implicit type for later uses.
        (
            "(func (param i64)) (type (func (param i64))) (type (func (param i64)))",
            0,
            2,
        ),
        ("(func (param f32)) (func (param f32))", 0, 1),
    ] {
        let bytes = parse_wat(src).unwrap();
        assert_eq!(bytes, wat::parse_str(src).unwrap(), "{src}");
        let m = nanowasm_binary::decode_trusted(bytes, features()).unwrap();
        assert_eq!((m.funcs[0], m.types.len()), (ty, types), "{src}");
    }
}

/// Every typed-reference and GC construct in one module, folded.
const EVERYTHING: &str = r#"(module
  (type $vec (array (mut f32)))
  (rec
    (type $node (sub (struct (field $val i32) (field $next (mut (ref null $node))))))
    (type $leaf (sub final $node (struct (field $val i32) (field $next (mut (ref null $node))) (field i8 i16))))
  )
  (rec)
  (rec (type $single (func (param $p i32) (result i32))))
  (type $ft (func (param (ref $vec)) (result anyref)))
  (global $g (mut (ref null $node)) (ref.null $node))
  (global $i (ref i31) (ref.i31 (i32.const 5)))
  (table $t 10 (ref null $ft) (ref.null $ft))
  (table $u (ref null func) (elem $f))
  (elem $e (ref null $ft) (ref.func $f))
  (data $d "abcd")
  (func $f (type $ft) (param $v (ref $vec)) (result anyref)
    (local $n (ref null $node)) (local eqref structref arrayref nullref nullfuncref nullexternref i31ref)
    (drop (struct.get $node $val (struct.new $node (i32.const 1) (ref.null none))))
    (struct.set $node $next (local.get $n) (local.get $n))
    (drop (struct.get_s $leaf 2 (struct.new_default $leaf)))
    (drop (array.len (local.get $v)))
    (drop (array.new_fixed $vec 2 (f32.const 1) (f32.const 2)))
    (drop (array.new_data $vec $d (i32.const 0) (i32.const 1)))
    (array.copy $vec $vec (local.get $v) (i32.const 0) (local.get $v) (i32.const 0) (i32.const 0))
    (drop (ref.test (ref $node) (local.get $n)))
    (drop (ref.test (ref null $node) (local.get $n)))
    (drop (ref.cast nullref (local.get $n)))
    (drop (block $l (result (ref $leaf)) (br_on_cast $l (ref null $node) (ref $leaf) (local.get $n)) (unreachable)))
    (drop (block $l (result anyref) (br_on_cast_fail $l anyref (ref null $node) (local.get $n)) (ref.as_non_null)))
    (drop (call_ref $ft (local.get $v) (ref.func $f)))
    (drop (any.convert_extern (extern.convert_any (ref.i31 (i32.const 1)))))
    (drop (block (result (ref null $node)) (br_on_null 0 (local.get $n))))
    (drop (select (result (ref null $node)) (local.get $n) (local.get $n) (i32.const 1)))
    (return_call_ref $ft (local.get $v) (table.get $t (i32.const 0)) (ref.as_non_null))
  )
)"#;

#[test]
fn every_construct_matches_the_wat_crate_and_prints_back() {
    let ours =
        parse_wat(EVERYTHING).unwrap_or_else(|e| panic!("{}", e.display_with("m", EVERYTHING)));
    assert_eq!(ours, wat::parse_str(EVERYTHING).unwrap());
    let module = nanowasm_binary::decode_trusted(ours.clone(), features()).unwrap();
    assert_eq!(module.types.len(), 5);
    assert_eq!(module.types.rec_groups().count(), 4);
    // Printed: types in their groups (the empty one too), with their field
    // and parameter names, typed references by name, instructions flat.
    let text = print_module(&module, features()).unwrap();
    for line in [
        "  (type $vec (array (mut f32)))",
        "  (rec",
        "    (type $node (sub (struct (field $val i32) (field $next (mut (ref null $node))))))",
        "    (type $leaf (sub final $node (struct (field $val i32) (field $next (mut (ref null $node))) (field i8) (field i16))))",
        "    (type $single (func (param $p i32) (result i32)))",
        "  (type $ft (func (param (ref $vec)) (result anyref)))",
        "  (table $t 10 (ref null $ft) ref.null $ft)",
        "  (global $g (mut (ref null $node)) ref.null $node)",
        "  (global $i (ref i31) i32.const 5 ref.i31)",
        "  (elem $e (ref null $ft) (item ref.func $f))",
        "  (func $f (type $ft) (param $v (ref $vec)) (result anyref) (local $n (ref null $node)) (local eqref) (local structref)",
        "    struct.get $node $val",
        "    struct.set $node $next",
        "    struct.get_s $leaf 2",
        "    array.new_fixed $vec 2",
        "    array.new_data $vec $d",
        "    array.copy $vec $vec",
        "    ref.test (ref $node)",
        "    ref.test (ref null $node)",
        "    ref.cast nullref",
        "    block $l (result (ref $leaf))",
        "      br_on_cast 0 (ref null $node) (ref $leaf)",
        "      br_on_cast_fail 0 anyref (ref null $node)",
        "    call_ref $ft",
        "      br_on_null 0",
        "    select (result (ref null $node))",
        "    return_call_ref $ft",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(line)),
            "no line `{line}` in\n{text}"
        );
    }
    assert!(text.contains("\n  (rec\n  )\n"), "{text}");
    assert_eq!(parse_wat(&text).unwrap(), ours, "{text}");
}

#[test]
fn malformed_gc_text_is_refused_with_a_clear_message() {
    for (bad, message) in [
        (
            "(type (struct (field $x i32) (field $x i64)))",
            "duplicate field $x",
        ),
        (
            "(type $s (struct (field $x i32))) (func (param (ref $s)) (drop (struct.get $s $y (local.get 0))))",
            "unknown field $y",
        ),
        // Field names belong to their struct type.
        (
            "(type $s (struct (field $x i32))) (type $t (struct (field i32))) (func (param (ref $t)) (drop (struct.get $t $x (local.get 0))))",
            "unknown field $x",
        ),
        // A named field has one type.
        (
            "(type $s (struct (field $x i32 i64)))",
            "expected `)`",
        ),
        ("(type (struct (mut i32)))", "expected `(field ...)`"),
        ("(type (array))", "expected a storage type"),
        ("(type (array (field i32)))", "expected a storage type"),
        ("(type (array i32 i64))", "expected `)`"),
        ("(type (struct (field (mut))))", "expected a storage type"),
        // Packed types are storage types only.
        ("(func (param i8))", "unexpected token `i8`, expected a value type"),
        ("(type (func (result i16)))", "unexpected token `i16`, expected a value type"),
        ("(type (foo))", "expected `func`, `struct` or `array`"),
        ("(type (sub final final (func)))", "expected `(`"),
        ("(type (sub $nope (func)))", "unknown type $nope"),
        ("(type (sub (func) (func)))", "expected `)`"),
        ("(rec (func))", "expected `type`"),
        ("(rec (type (func)) (memory 1))", "expected `type`"),
        ("(type $t (func)) (rec (type $t (func)))", "duplicate type $t"),
        ("(rec (type $t (func)) (type $t (struct)))", "duplicate type $t"),
        // Heap types.
        ("(func (param (ref $nope)))", "unknown type $nope"),
        ("(func (param (ref null nope)))", "expected a heap type"),
        ("(func (param (ref)))", "expected a heap type"),
        ("(func (param (ref null)))", "expected a heap type"),
        ("(func (local (ref i8)))", "expected a heap type"),
        ("(func (drop (ref.null $nope)))", "unknown type $nope"),
        ("(func (drop (ref.null foo)))", "expected a heap type"),
        ("(func (result (ref null 0 1)))", "expected `)`"),
        ("(func (param (ref 99999999)))", "type index out of range"),
        // `ref.test`, `ref.cast` and `br_on_cast` take reference types.
        (
            "(func (param anyref) (drop (ref.test (local.get 0))))",
            "expected a reference type",
        ),
        (
            "(func (param anyref) (drop (ref.test any (local.get 0))))",
            "expected a reference type",
        ),
        (
            "(type $t (struct)) (func (param anyref) (drop (ref.cast $t (local.get 0))))",
            "expected a reference type",
        ),
        (
            "(func (param anyref) (block $l (drop (br_on_cast $l anyref (local.get 0)))))",
            "expected a reference type",
        ),
        (
            "(func (param anyref) (block (drop (br_on_cast $l anyref anyref (local.get 0)))))",
            "unknown label $l",
        ),
        // Immediates.
        (
            "(type $a (array i8)) (func (drop (array.new_fixed $a -1)))",
            "i32 constant out of range",
        ),
        (
            "(type $a (array i8)) (func (drop (array.new_data $a $nope)))",
            "unknown data segment $nope",
        ),
        (
            "(type $a (array i8)) (func (drop (array.new_elem $a $nope)))",
            "unknown elem segment $nope",
        ),
        (
            "(type $a (array i8)) (func (array.copy $a $b))",
            "unknown type $b",
        ),
        ("(func (call_ref $nope))", "unknown type $nope"),
        ("(func (call_ref (type 0)))", "expected a type index"),
        // `call_ref` takes a type index, not a type use.
        (
            "(type $f (func)) (func (call_ref $f (param i32)))",
            "unknown operator `param`",
        ),
        ("(table 1 (ref $nope))", "unknown type $nope"),
        ("(table 1 (ref func) (ref.func $nope))", "unknown function $nope"),
        (
            "(type $s (struct)) (func (type $s) (param i32))",
            "inline function type: the type is not a function type",
        ),
        (
            "(type $f (func (param (ref 0)))) (func (type $f) (param (ref null 0)))",
            "inline function type",
        ),
    ] {
        let err = match parse_wat(bad) {
            Ok(_) => panic!("{bad}: accepted"),
            Err(e) => e,
        };
        assert!(err.message.contains(message), "{bad}: {err}");
        // The `file:line:col` style, with the source line and a caret.
        let shown = err.display_with("bad.wat", bad);
        assert!(shown.starts_with("bad.wat:1:"), "{shown}");
        // Malformed for the `wat` crate too, but for the one index it
        // encodes and validation refuses.
        if !bad.contains("99999999") {
            assert!(wat::parse_str(bad).is_err(), "wat accepts {bad}");
        }
    }
}

/// The modules that the spec's GC files give as malformed text
/// (`assert_malformed` of a `module quote`): refused, with a message that
/// contains the spec's.
#[test]
fn spec_malformed_text_of_the_gc_files_is_refused() {
    fn quoted(form: &Sexp, out: &mut Vec<(String, String)>) {
        if form.head() == Some("assert_malformed") {
            let items = form.items();
            let (Some(module), Some(Sexp::Str(message))) = (items.get(1), items.get(2)) else {
                return;
            };
            let m = module.items();
            if !m.iter().any(|i| matches!(i, Sexp::Atom(a) if a == "quote")) {
                return;
            }
            let text: Vec<u8> = m
                .iter()
                .filter_map(|i| match i {
                    Sexp::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join(&b' ');
            out.push((
                String::from_utf8(text).unwrap(),
                String::from_utf8(message.clone()).unwrap(),
            ));
            return;
        }
        for item in form.items() {
            if let Sexp::List(..) = item {
                quoted(item, out);
            }
        }
    }
    let root = testsuite3();
    let mut checked = 0;
    for file in FILES {
        let src = std::fs::read_to_string(root.join(format!("{file}.wast"))).unwrap();
        let mut cases = Vec::new();
        for f in scan::parse(&src).unwrap() {
            quoted(&f, &mut cases);
        }
        for (text, message) in cases {
            let err = match parse_wat(&text) {
                Ok(_) => panic!("{file}.wast: accepted {text}"),
                Err(e) => e,
            };
            assert!(
                err.message.contains(&message),
                "{file}.wast: {text}: {err} (expected {message:?})"
            );
            checked += 1;
        }
    }
    eprintln!("{checked} malformed text modules refused");
    assert!(checked >= 9, "only {checked} malformed text modules");
}
/// The GC files read as scripts, with their arguments and results of GC
/// references (`ref.struct`, `ref.array`, `ref.i31`, `ref.eq`, `ref.any`,
/// `ref.host N`, `ref.null` of any abstract heap type).
#[test]
fn gc_scripts_parse() {
    let root = testsuite3();
    for file in FILES {
        let src = std::fs::read_to_string(root.join(format!("{file}.wast"))).unwrap();
        if let Err(e) = nanowasm_text::wast::parse_script(&src) {
            panic!("{file}: {e}");
        }
    }
    let script = nanowasm_text::wast::parse_script(
        r#"(module (func (export "f") (result anyref) (ref.null any)))
           (assert_return (invoke "f") (ref.null any))
           (assert_return (invoke "f") (ref.null none))
           (assert_return (invoke "f") (either (ref.struct) (ref.array) (ref.i31) (ref.eq) (ref.any) (ref.host 7)))"#,
    )
    .unwrap();
    let expected: Vec<_> = script
        .iter()
        .filter_map(|d| match &d.directive {
            Directive::AssertReturn { expected, .. } => Some(expected.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        expected,
        [
            vec![Expected::RefNull(Some(HeapType::Any))],
            vec![Expected::RefNull(Some(HeapType::None))],
            vec![Expected::Either(vec![
                Expected::RefStruct,
                Expected::RefArray,
                Expected::RefI31,
                Expected::RefEq,
                Expected::RefAny,
                Expected::RefHost(7),
            ])],
        ]
    );
}
