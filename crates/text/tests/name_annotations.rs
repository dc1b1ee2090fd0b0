//! The `(@name "...")` annotation on every definition the `wat` crate (a
//! dev-dependency oracle) accepts it on: the module, functions, parameters
//! and locals, labels, types, struct fields, function type and tag
//! parameters, tables, memories, globals, tags, element and data segments,
//! imports of every kind. The name section must be byte for byte the `wat`
//! crate's; an annotation anywhere else, or a second one, is an error where
//! the `wat` crate has one; and the printer writes back the names that are
//! no identifiers as annotations.

use nanowasm_binary::{Feature, Features};

/// Every proposal the decoder implements, and exception handling.
fn features() -> Features {
    let mut f = Features::WASM2;
    f.apply_list("all").unwrap();
    f.with(Feature::Exceptions, true)
}

/// Modules with `@name` on every kind of definition, with and without
/// `$id`s: each must lower to the `wat` crate's bytes.
const MODULES: &[&str] = &[
    // The module.
    r#"(module (@name "m") (func))"#,
    r#"(module $m (@name "") (func))"#,
    r#"(module $m (@name "Modül"))"#,
    // Functions (defined, inline-imported, imported).
    r#"(module (func (@name "f")) (func $g (@name "G")) (func $h) (func))"#,
    r#"(module (func $f (@name "imported") (import "m" "f") (param (@name "p") i32)) (func (@name "x y") (export "e") (call $f (i32.const 0))))"#,
    // Parameters and locals.
    r#"(module (func $f (@name "F") (param $a (@name "A") i32) (param (@name "B") i64) (param f32 f64) (local $c (@name "C") f32) (local (@name "D") f64) (local i32 i32) (local $e i64)))"#,
    r#"(module (func (param (@name "p") i32) (param (@name "p") i32) (local (@name "") i32) local.get 0 local.get 1 local.get 2 drop drop drop))"#,
    r#"(module (func (param $x (@name "a") i32) (local $y (@name "b") i32) local.get $x local.set $y))"#,
    // Locals after the parameters of the type (given by `(type $t)`
    // alone, or an implicit type defined later), and none at all when the
    // type is not a function type.
    r#"(module (type $t (func (param i32))) (func (type $t) (local (@name "l") i32)))"#,
    r#"(module (type $t (func (param i32))) (func (type $t) (param (@name "p") i32) (local (@name "l") i32)))"#,
    r#"(module (func (type 0) (local (@name "x") i32)) (func (param i32)))"#,
    r#"(module (type (struct)) (func (type 0) (local (@name "x") i32)))"#,
    // Labels: flat and folded, `if` after the blocks of its condition.
    r#"(module (func block (@name "b1") end loop $l (@name "L2") (result i32) i32.const 1 end drop i32.const 0 if (@name "if") else end))"#,
    r#"(module (func (block $a (@name "A") (loop (@name "L") (if $i (@name "I") (i32.const 0) (then (block (@name "x") (result i32) (i32.const 0)) drop))))))"#,
    r#"(module (func (if (@name "outer") (block (@name "inner") (result i32) (i32.const 1)) (then) (else))))"#,
    r#"(module (func (if (@name "outer") (if (@name "inner") (result i32) (i32.const 1) (then (i32.const 1)) (else (i32.const 2))) (then))))"#,
    r#"(module (func (if $o (@name "o") (if $i (i32.const 1) (then (i32.const 1)) (else (i32.const 2))) (then (if (@name "t") (i32.const 0) (then))))))"#,
    r#"(module (tag $e (param i32)) (func (try_table (@name "tt") (catch $e 0)) try (@name "try") catch $e drop end))"#,
    r#"(module (func (block $l (@name "a")) (block (@name "a")) (block (@name ""))))"#,
    // Types, struct fields, function type parameters, `rec` groups.
    r#"(module (type (@name "t") (func)) (type $s (@name "S") (struct (field $a (@name "A") i32) (field (@name "B") i64) (field f32 f64) (field $c (mut i32)))) (rec (type (@name "r0") (struct)) (type $r1 (@name "r1") (array i8))))"#,
    r#"(module (type $f (@name "F") (func (param $x (@name "X") i32) (param (@name "Y") i64) (param f32 f64) (result i32))))"#,
    r#"(module (type $s (struct (field $x (@name "") i32) (field (@name "x") i64))) (func (param (ref $s)) (result i32) (struct.get $s $x (local.get 0))))"#,
    r#"(module (rec (type $a (@name "A") (sub (struct (field (@name "f") (ref null $b))))) (type $b (@name "B") (sub final $a (struct (field (ref null $b)))))))"#,
    // Tables, memories, globals, with inline elements, data and exports.
    r#"(module (table (@name "t") 1 funcref) (table $u (@name "ü") 2 externref) (table $v 0 funcref) (table (@name "w") funcref (elem)))"#,
    r#"(module (memory (@name "m") 1) (memory $n (@name "n n") i64 (data "abc")) (memory $o 0))"#,
    r#"(module (global $g (@name "g") (export "x") (mut i32) (i32.const 0)) (global $h i32 (i32.const 1)) (global (@name "") i32 (i32.const 1)))"#,
    r#"(module (global (@name "a") i32 (i32.const 0)) (global (@name "a") i32 (global.get 0)))"#,
    // Tags, with parameter names (of defined tags only).
    r#"(module (tag (@name "t1") (param (@name "p") i32) (param $q i64)) (tag $t2 (@name "t2") (export "t2")))"#,
    r#"(module (type $t (func)) (tag (@name "θ") (type $t)) (tag $theta (@name "θ") (type $t)) (tag $plain))"#,
    // Element and data segments.
    r#"(module (elem (@name "e") func) (elem $e2 (@name "E2") declare func) (elem $e3 func) (table 1 funcref) (elem (@name "act") (i32.const 0) func))"#,
    r#"(module (memory 1) (data (@name "d") "x") (data $d2 (@name "D2") (i32.const 0) "y") (data $d3 ""))"#,
    r#"(module (table $t 1 funcref) (elem $e (@name "E") (table $t) (offset (i32.const 0)) funcref (ref.null func)) (func (table.init $t $e (i32.const 0) (i32.const 0) (i32.const 0)) (elem.drop $e)))"#,
    // Imports of every kind name what they import.
    r#"(module (import "a" "b" (table $t (@name "x") 1 funcref)) (import "a" "c" (global (@name "g") i32)) (import "a" "d" (tag (@name "tg") (param (@name "p") i32))) (import "a" "e" (func (@name "f") (param (@name "p") i32) (param $q i64))) (import "a" "f" (memory (@name "mem") 1)))"#,
    // The `wat` crate drops the `@name` of an inline import of anything
    // but a function (keeping the identifier).
    r#"(module (tag (@name "x") (import "a" "b")) (tag $t (@name "y") (import "a" "c")))"#,
    r#"(module (memory (@name "x") (import "a" "b") 1) (table $t (@name "t") (import "a" "c") 1 funcref) (global $gg (@name "g") (import "a" "d") i32))"#,
    // Every kind at once, over identifiers, and names that are no
    // identifiers.
    r#"(module $M (@name "the module")
        (type $t (@name "type t") (func (param $p (@name "param p") i32)))
        (import "env" "f" (func $f (@name "func f") (type $t)))
        (table $tab (@name "table") 1 funcref)
        (memory $mem (@name "memory") 1)
        (global $glob (@name "global") (mut i32) (i32.const 0))
        (tag $tag (@name "tag") (param (@name "tag param") i32))
        (elem $elem (@name "elem") func $f)
        (data $data (@name "data") "")
        (func $g (@name "func g") (param $x (@name "x\"\\\n") i32) (local $y (@name "") i32)
          (block $b (@name "block") (br $b))
          (global.set $glob (local.get $x))))"#,
    r#"(module (func (@name "weird \"quote\" \\ and \n newline") (local $x (@name "tab\there") i32)))"#,
    // `binary` may follow the module's name.
    r#"(module $m (@name "x") binary "\00asm\01\00\00\00")"#,
];

#[test]
fn name_annotations_on_every_kind_match_the_wat_crate() {
    assert!(MODULES.len() >= 30);
    for src in MODULES {
        let ours = nanowasm_text::parse_wat(src)
            .unwrap_or_else(|e| panic!("{src}: {}", e.display_with("t.wat", src)));
        let theirs = wat::parse_str(src).unwrap_or_else(|e| panic!("{src}: wat: {e}"));
        assert_eq!(ours, theirs, "{src}");
    }
}

/// The names decoded from the bytes of one of the modules above: each
/// annotation names its definition, over its identifier.
#[test]
fn the_annotations_name_their_definitions() {
    let src = MODULES
        .iter()
        .find(|m| m.starts_with("(module $M"))
        .unwrap();
    let module = nanowasm_binary::decode(nanowasm_text::parse_wat(src).unwrap(), features())
        .unwrap_or_else(|e| panic!("{e}"));
    let n = &module.names;
    assert_eq!(n.module.as_deref(), Some("the module"));
    assert_eq!(n.types.get(&0).map(String::as_str), Some("type t"));
    assert_eq!(n.function(0), Some("func f"));
    assert_eq!(n.function(1), Some("func g"));
    assert_eq!(n.tables.get(&0).map(String::as_str), Some("table"));
    assert_eq!(n.memories.get(&0).map(String::as_str), Some("memory"));
    assert_eq!(n.globals.get(&0).map(String::as_str), Some("global"));
    assert_eq!(n.elems.get(&0).map(String::as_str), Some("elem"));
    assert_eq!(n.datas.get(&0).map(String::as_str), Some("data"));
    assert_eq!(n.local(1, 0), Some("x\"\\\n"));
    assert_eq!(n.local(1, 1), Some(""));
    assert_eq!(
        n.labels.get(&1).and_then(|l| l.get(&0)).map(String::as_str),
        Some("block")
    );
}

/// `@name` where the `wat` crate does not take it (after anything but a
/// definition's identifier, or a second one), and one that is no UTF-8:
/// errors for both, ours with the place and the cause.
#[test]
fn misplaced_duplicate_and_malformed_annotations_are_errors() {
    for (src, expected) in [
        // A second annotation.
        (
            r#"(module (func $f (@name "a") (@name "b")))"#,
            "1:30: duplicate @name annotation",
        ),
        (
            r#"(module (type (@name "a") (@name "b") (func)))"#,
            "1:27: duplicate @name annotation",
        ),
        (
            r#"(module (type (func (param (@name "a") (@name "b") i32))))"#,
            "1:40: duplicate @name annotation",
        ),
        (
            "(module\n  (global (@name \"g\")\n    (@name \"h\") i32 (i32.const 0)))",
            "3:5: duplicate @name annotation",
        ),
        (
            r#"(module (func (local $l (@name "a") (@name "b") i32)))"#,
            "1:37: duplicate @name annotation",
        ),
        (
            r#"(module (func (block $l (@name "a") (@name "b"))))"#,
            "1:37: duplicate @name annotation",
        ),
        (
            r#"(module (@name "M1") (@name "M2"))"#,
            "1:22: @name annotation: multiple module names",
        ),
        // Misplaced: after exports, in the wrong part of a definition, on
        // something that is no definition.
        (
            r#"(module (func (export "e") (@name "f")))"#,
            "1:28: misplaced @name annotation",
        ),
        (
            r#"(module (global $g (export "x") (@name "g") i32 (i32.const 0)))"#,
            "1:33: misplaced @name annotation",
        ),
        (
            r#"(module (func) (@name "M"))"#,
            "1:16: misplaced @name annotation",
        ),
        (
            r#"(module (start $f (@name "M")) (func $f))"#,
            "1:19: misplaced @name annotation",
        ),
        (
            r#"(module (func (local.get 0 (@name "x"))))"#,
            "1:28: misplaced @name annotation",
        ),
        (
            r#"(module (func (i32.const 0) (@name "x") drop))"#,
            "1:29: misplaced @name annotation",
        ),
        (
            r#"(module (func (block (result i32) (@name "x") (i32.const 0))))"#,
            "1:35: misplaced @name annotation",
        ),
        (
            r#"(module (func (block (param (@name "a") i32))))"#,
            "1:29: misplaced @name annotation",
        ),
        (
            r#"(module (table 1 funcref) (func (call_indirect (param (@name "x") i32) (i32.const 0) (i32.const 0))))"#,
            "1:55: misplaced @name annotation",
        ),
        (
            r#"(module (rec (@name "x") (type (func))))"#,
            "1:14: misplaced @name annotation",
        ),
        (
            r#"(module (type (sub (@name "x") (func))))"#,
            "1:20: misplaced @name annotation",
        ),
        (
            r#"(module (import "a" "b" (@name "x") (func)))"#,
            "1:25: misplaced @name annotation",
        ),
        (
            r#"(module (export "x" (@name "x") (func 0)) (func))"#,
            "1:21: misplaced @name annotation",
        ),
        (
            r#"(module (elem func (@name "x")))"#,
            "1:20: misplaced @name annotation",
        ),
        (
            r#"(module (memory (@name "m") (data (@name "d") "x")))"#,
            "1:35: misplaced @name annotation",
        ),
        (
            r#"(module (data (memory 0) (@name "d") (i32.const 0)) (memory 1))"#,
            "1:26: misplaced @name annotation",
        ),
        // A bare list of fields has no module name.
        (r#"(@name "x") (func)"#, "1:1: misplaced @name annotation"),
        // One name per parameter, local or field.
        (
            r#"(module (func (param (@name "a") i32 i32)))"#,
            "1:38: unexpected token, expected `)`",
        ),
        (
            r#"(module (type (struct (field (@name "a") i32 i64))))"#,
            "1:46: unexpected token, expected `)`",
        ),
        // Malformed.
        (
            r#"(module (func (@name "\ff")))"#,
            "1:22: @name annotation: malformed UTF-8 encoding",
        ),
        (
            r#"(module (global (@name "\80") i32 (i32.const 0)))"#,
            "1:24: @name annotation: malformed UTF-8 encoding",
        ),
        (
            "(module (func\n  (local (@name \"\\c3\") i32)))",
            "2:17: @name annotation: malformed UTF-8 encoding",
        ),
        (
            r#"(module (func block (@name "\ed\a0\80") end))"#,
            "1:28: @name annotation: malformed UTF-8 encoding",
        ),
        (r#"(module (func (@name)))"#, "1:21: expected a string"),
        (
            r#"(module (func (@name "a" "b")))"#,
            "1:26: unexpected token, expected `)`",
        ),
    ] {
        assert!(wat::parse_str(src).is_err(), "wat accepts {src}");
        let err = nanowasm_text::parse_wat(src).unwrap_err();
        let shown = err.display_with("t.wat", src);
        let first = shown.lines().next().unwrap();
        assert_eq!(first, format!("t.wat:{expected}"), "{src}");
    }
}

/// Through the printer and back, names come back byte for byte: those
/// that are identifiers as `$id`s, the others (empty or repeated) as
/// `@name` annotations.
#[test]
fn printed_names_parse_back_to_the_same_bytes() {
    for (src, annotations) in [
        (
            r#"(module (func (@name "x")) (func (@name "x")) (global (@name "") i32 (i32.const 0)) (global (@name "") i32 (i32.const 0)))"#,
            4,
        ),
        (r#"(module $m (@name "") (func))"#, 1),
        (
            r#"(module (table (@name "t") 1 funcref) (table (@name "t") 1 funcref) (memory (@name "") 1) (memory (@name "") 1) (tag (@name "e") (param (@name "") i32)) (tag (@name "e")) (elem (@name "") func) (data (@name "") ""))"#,
            9,
        ),
        (
            r#"(module (func (param (@name "p") i32) (param (@name "p") i32) (local (@name "") i32) local.get 0 local.get 1 local.get 2 drop drop drop))"#,
            3,
        ),
        (
            r#"(module (func (block $a (@name "A") (loop (@name "L") (if $i (@name "") (i32.const 0) (then (block (@name "x") (result i32) (i32.const 0)) drop))))))"#,
            1,
        ),
        (
            r#"(module (type $f (@name "F") (func (param $x (@name "X") i32) (param (@name "") i64) (param f32 f64) (result i32))))"#,
            1,
        ),
        (
            r#"(module (import "a" "b" (table $t (@name "x") 1 funcref)) (import "a" "c" (global (@name "g") i32)) (import "a" "d" (tag (@name "") (param (@name "p") i32))) (import "a" "e" (func (@name "") (param (@name "") i32) (param $q i64))) (import "a" "f" (memory (@name "") 1)))"#,
            4,
        ),
        (
            r#"(module (tag $e (param i32)) (func (result i32) (block (@name "") (result i32) (try_table (@name "") (result i32) (catch $e 1) (i32.const 0)))))"#,
            2,
        ),
    ] {
        let bytes = nanowasm_text::parse_wat(src).unwrap();
        assert_eq!(bytes, wat::parse_str(src).unwrap(), "{src}");
        let text =
            nanowasm_text::print_bytes(&bytes, features()).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert_eq!(text.matches("(@name ").count(), annotations, "{text}");
        let again = nanowasm_text::parse_wat(&text)
            .unwrap_or_else(|e| panic!("{}\n{text}", e.display_with("printed", &text)));
        assert_eq!(again, bytes, "{text}");
    }
    // Every module above that the decoder takes (no GC types) prints back.
    let mut printed = 0;
    for src in MODULES {
        let bytes = nanowasm_text::parse_wat(src).unwrap();
        let Ok(text) = nanowasm_text::print_bytes(&bytes, features()) else {
            continue;
        };
        let again = nanowasm_text::parse_wat(&text)
            .unwrap_or_else(|e| panic!("{}\n{text}", e.display_with("printed", &text)));
        assert_eq!(again, bytes, "{src}\n{text}");
        printed += 1;
    }
    assert!(printed >= 25, "{printed}");
}

/// In a script, `(module $id? (@name "...") binary ...)` is a binary
/// module, and a script of bare fields has no module name.
#[test]
fn scripts_take_the_annotation_as_the_wat_crate_does() {
    use nanowasm_text::wast::script::{Directive, ModuleSource};
    let script = nanowasm_text::wast::parse_script(
        r#"(module $m (@name "x") binary "\00asm\01\00\00\00")
           (module (@name "y") (func (@name "f")))
           (assert_malformed (module (func (@name "a") (@name "b"))) "duplicate")"#,
    )
    .unwrap();
    assert_eq!(script.len(), 3);
    match &script[0].directive {
        Directive::Module {
            name,
            source: ModuleSource::Bytes(Ok(bytes)),
        } => {
            assert_eq!(name.as_deref(), Some("m"));
            assert_eq!(bytes, b"\0asm\x01\0\0\0");
        }
        other => panic!("{other:?}"),
    }
    match &script[2].directive {
        Directive::AssertMalformed {
            source: ModuleSource::Bytes(Err(e)),
            ..
        } => assert_eq!(e, "duplicate @name annotation"),
        other => panic!("{other:?}"),
    }
    let err = nanowasm_text::wast::parse_script(r#"(func) (@name "x")"#).unwrap_err();
    assert!(err.message.contains("misplaced @name"), "{err}");
}
