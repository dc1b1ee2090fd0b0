//! Unit tests of the decoder's API and of feature gating.

use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;

use crate::{decode, validate, ErrorKind, Feature, Features};
use nanowasm_core::ValType;

fn wat(src: &str) -> Vec<u8> {
    wat::parse_str(src).unwrap()
}

const HEADER: &[u8] = b"\0asm\x01\0\0\0";

/// A module with one function whose body is `body` (without the final end)
/// and type `[] -> []`.
fn with_body(body: &[u8]) -> Vec<u8> {
    let mut m = HEADER.to_vec();
    m.extend_from_slice(b"\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00");
    let mut code = vec![0x00];
    code.extend_from_slice(body);
    code.push(0x0b);
    let mut section = vec![0x01, code.len() as u8];
    section.extend_from_slice(&code);
    m.push(0x0a);
    m.push(section.len() as u8);
    m.extend_from_slice(&section);
    m
}

#[test]
fn decodes_module_structure_and_names() {
    let bytes = wat(r#"(module $m
        (import "env" "f" (func $imp (param i32)))
        (memory 1 2)
        (global $g (mut i64) (i64.const 7))
        (table 3 funcref)
        (elem (i32.const 0) $imp $add)
        (data (i32.const 8) "hello")
        (func $add (export "add") (param $a i32) (param $b i32) (result i32)
            (local $tmp i32)
            (local.get $a) (local.get $b) (i32.add))
        (start $s)
        (func $s))"#);
    let m = decode(bytes.clone(), Features::default()).unwrap();
    assert_eq!(m.types.len(), 3);
    assert_eq!(m.funcs.len(), 3);
    assert_eq!(m.num_imported.funcs, 1);
    assert_eq!(m.imports[0].module, "env");
    assert_eq!(m.memories[0].limits.max, Some(2));
    assert_eq!(m.globals[0].content, ValType::I64);
    assert!(m.globals[0].mutable);
    assert_eq!(m.exports[0].name, "add");
    assert_eq!(m.start, Some(2));
    assert_eq!(m.slice(&m.datas[0].range), b"hello");
    assert_eq!(m.bodies[0].locals, vec![(1, ValType::I32)]);
    assert_eq!(*m.slice(&m.bodies[0].code).last().unwrap(), 0x0b);
    assert_eq!(m.names.module.as_deref(), Some("m"));
    assert_eq!(m.names.function(0), Some("imp"));
    assert_eq!(m.names.function(1), Some("add"));
    assert_eq!(m.names.local(1, 2), Some("tmp"));
    assert!(m.func_type(1).unwrap().to_string() == "(func (param i32 i32) (result i32))");
}

#[test]
fn malformed_versus_invalid() {
    let e = validate(b"\0asm\x02\0\0\0", Features::default()).unwrap_err();
    assert_eq!(
        (e.kind(), e.message(), e.offset()),
        (ErrorKind::Malformed, "unknown binary version", 4)
    );
    // i32.add with an empty stack.
    let e = validate(&with_body(&[0x6a, 0x1a]), Features::default()).unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        (ErrorKind::Invalid, "type mismatch")
    );
}

#[test]
fn disabled_2_0_features_are_named() {
    let simd = wat("(module (func (drop (v128.const i64x2 0 0))))");
    let no_simd = Features::default().with(Feature::Simd, false);
    let e = validate(&simd, no_simd).unwrap_err();
    assert!(
        e.message()
            .contains("feature not enabled: v128.const needs the `simd` proposal"),
        "{e}"
    );
    let sat = wat("(module (func (drop (i32.trunc_sat_f32_s (f32.const 0)))))");
    let e = validate(&sat, Features::MVP).unwrap_err();
    assert!(e.message().contains("`saturating-float-to-int`"), "{e}");
    let multi = wat("(module (func (result i32 i32) (i32.const 0) (i32.const 1)))");
    let e = validate(&multi, Features::MVP).unwrap_err();
    assert_eq!(e.message(), "invalid result arity");
    assert!(validate(&multi, Features::default()).is_ok());
}

#[test]
fn wasm3_proposals_say_feature_not_enabled() {
    let cases: &[(&str, &str)] = &[
        ("(module (func return_call 0))", "`tail-call`"),
        ("(module (tag))", "`exceptions`"),
        ("(module (memory i64 1))", "`memory64`"),
        ("(module (table i64 1 funcref))", "`memory64`"),
        ("(module (memory 1 2 shared))", "`threads`"),
        ("(module (type (struct)))", "`gc`"),
        ("(module (func (param exnref)))", "`exceptions`"),
        (
            "(module (func (param (ref func))))",
            "`function-references`",
        ),
        (
            "(module (func (drop (i32x4.relaxed_trunc_f32x4_s (v128.const i64x2 0 0)))))",
            "`relaxed-simd`",
        ),
    ];
    for (src, feature) in cases {
        let e = validate(&wat(src), Features::default()).unwrap_err();
        assert!(
            e.message().contains("feature not enabled") && e.message().contains(feature),
            "{src}: {e}"
        );
    }
}

#[test]
fn too_many_locals_is_bounded() {
    // 4 billion locals in a few bytes: rejected before anything is allocated.
    let body = [0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f];
    let mut m = HEADER.to_vec();
    m.extend_from_slice(b"\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00");
    m.extend_from_slice(&[0x0a, 0x0a, 0x01, 0x08]);
    m.extend_from_slice(&body);
    m.push(0x0b);
    let e = validate(&m, Features::default()).unwrap_err();
    assert_eq!(e.message(), "too many locals");
}

#[test]
fn huge_counts_fail_without_allocating() {
    // A type section claiming 2^32-1 types in 5 bytes.
    let m = [HEADER, b"\x01\x05\xff\xff\xff\xff\x0f"].concat();
    let e = validate(&m, Features::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed);
}

#[test]
fn trailing_code_after_function_end() {
    // A body `nop end nop`: bytes after the final `end`.
    let m = with_body(&[0x01, 0x0b, 0x01]);
    let e = validate(&m, Features::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed);
}

#[test]
fn alignment_exponents_32_to_63_are_invalid_with_multi_memory() {
    let m = wat("(module (memory 1) (func (drop (i32.load (i32.const 0)))))");
    let at = m
        .windows(3)
        .position(|w| w == [0x28, 0x02, 0x00])
        .expect("the load's memarg");
    let mm = Features::WASM2.with(Feature::MultiMemory, true);
    for flags in [0x20, 0x3f] {
        let mut m = m.clone();
        m[at + 1] = flags;
        let e = validate(&m, Features::WASM2).unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            (ErrorKind::Malformed, "malformed memop flags"),
            "{flags:#x}"
        );
        let e = validate(&m, mm).unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            (
                ErrorKind::Invalid,
                "alignment must not be larger than natural"
            ),
            "{flags:#x}"
        );
    }
}
