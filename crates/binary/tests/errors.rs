//! The full text of validation errors: the spec testsuite's message first,
//! then the expected and found types, the function (index and name), the
//! instruction and the offset. Offsets are checked against wasmparser's.

use nanowasm_binary::{validate, Error, ErrorKind, Features};

fn wat(src: &str) -> Vec<u8> {
    wat::parse_str(src).unwrap()
}

/// Validates `bytes`, expecting an error; checks its offset against
/// wasmparser's for the same module.
fn error(bytes: &[u8]) -> Error {
    let e = validate(bytes, Features::default()).unwrap_err();
    let theirs = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::WASM2)
        .validate_all(bytes)
        .err()
        .expect("wasmparser rejects the module too");
    assert_eq!(
        e.offset(),
        theirs.offset() as usize,
        "{e} vs wasmparser's {theirs}"
    );
    e
}

/// Validates `bytes`, expecting an error (for modules that wasmparser
/// rejects elsewhere: it reads the `name` section before validating code).
fn ours(bytes: &[u8]) -> Error {
    validate(bytes, Features::default()).unwrap_err()
}

/// `HEADER`, then sections given as (id, payload).
fn module(sections: &[(u8, &[u8])]) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    for &(id, payload) in sections {
        m.push(id);
        leb(payload.len() as u32, &mut m);
        m.extend_from_slice(payload);
    }
    m
}

fn leb(mut n: u32, out: &mut Vec<u8>) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A name section payload (after its name) naming function `index` `name`,
/// followed by `rest` (more subsections).
fn name_section(index: u8, name: &str, rest: &[u8]) -> Vec<u8> {
    let mut p = vec![4];
    p.extend_from_slice(b"name");
    let mut sub = vec![1, index, name.len() as u8];
    sub.extend_from_slice(name.as_bytes());
    p.push(1); // function names
    p.push(sub.len() as u8);
    p.extend_from_slice(&sub);
    p.extend_from_slice(rest);
    p
}

/// type 0: `[i32 i64] -> [i32]`; function 0 of type 0 adds its parameters
/// with `i32.add` (a type mismatch at offset 0x1e).
const TYPE: &[u8] = &[1, 0x60, 2, 0x7f, 0x7e, 1, 0x7f];
const FUNC: &[u8] = &[1, 0];
const CODE: &[u8] = &[1, 7, 0, 0x20, 0, 0x20, 1, 0x6a, 0x0b];

#[test]
fn type_mismatch_in_a_named_function() {
    let e = error(&wat(r#"(module
            (import "env" "f" (func $imported))
            (func $first)
            (func $add (param i32 i64) (result i32)
                local.get 0
                local.get 1
                i32.add))"#));
    assert_eq!(
        e.to_string(),
        "type mismatch: expected i32, found i64 (in function 2 `add`, at `i32.add`, offset 0x30)"
    );
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert_eq!(e.message(), "type mismatch");
    assert_eq!(e.detail(), Some("expected i32, found i64"));
    assert_eq!(e.func_index(), Some(2));
    assert_eq!(e.func_name(), Some("add"));
    assert_eq!(e.instruction(), Some("i32.add"));
}

#[test]
fn type_mismatch_in_an_unnamed_function() {
    let e = error(&wat(r#"(module
            (import "env" "f" (func))
            (func (param i32 i64) (result i32)
                local.get 0
                local.get 1
                i32.add))"#));
    assert_eq!(
        e.to_string(),
        "type mismatch: expected i32, found i64 (in function 1, at `i32.add`, offset 0x2c)"
    );
    assert_eq!(e.func_index(), Some(1));
    assert_eq!(e.func_name(), None);
}

#[test]
fn nothing_on_the_stack() {
    let e = error(&wat("(module (func $f (result i32) i32.const 1 i32.add))"));
    assert_eq!(
        e.to_string(),
        "type mismatch: expected i32 but nothing on stack (in function 0 `f`, at `i32.add`, offset 0x1a)"
    );
    let e = error(&wat("(module (func $f drop))"));
    assert_eq!(
        e.to_string(),
        "type mismatch: expected a value but nothing on stack (in function 0 `f`, at `drop`, offset 0x17)"
    );
}

#[test]
fn unknown_local() {
    let e = error(&wat(
        "(module (func $f (param i32) (local i64) local.get 2 drop))",
    ));
    assert_eq!(
        e.to_string(),
        "unknown local 2 (in function 0 `f`, at `local.get`, offset 0x1a)"
    );
    assert_eq!(e.message(), "unknown local 2");
    assert_eq!(e.detail(), None);
    assert_eq!(e.instruction(), Some("local.get"));
}

#[test]
fn block_end_arity() {
    let e = error(&wat(
        "(module (func $f (result i32) (block (result i32 i32) i32.const 1) drop))",
    ));
    assert_eq!(
        e.to_string(),
        "type mismatch: expected [i32 i32] but found [i32] (in function 0 `f`, at `end`, offset 0x21)"
    );
    // Too many values at the function's end.
    let e = error(&wat(
        "(module (func $f (result i32) i32.const 1 i64.const 2))",
    ));
    assert_eq!(
        e.to_string(),
        "type mismatch: expected [i32] but found [i32 i64] (in function 0 `f`, at `end`, offset 0x1c)"
    );
    // The wrong type at an `else`.
    let e = error(&wat(
        "(module (func $f (param i32) (result i32)
            (if (result i32) (local.get 0) (then i64.const 1) (else i32.const 2))))",
    ));
    assert_eq!(
        e.to_string(),
        "type mismatch: expected [i32] but found [i64] (in function 0 `f`, at `else`, offset 0x1f)"
    );
}

#[test]
fn if_without_else_must_return_its_parameters() {
    let e = error(&wat("(module (func $f (param i32) (result i64)
            (if (result i64) (local.get 0) (then i64.const 1))))"));
    assert_eq!(
        e.to_string(),
        "type mismatch: an `if` without `else` must return its parameters: expected [i64] but found [] (in function 0 `f`, at `end`, offset 0x1f)"
    );
}

#[test]
fn br_if_label_type() {
    let e = error(&wat(
        "(module (func $f (result i32)
            (block (result i32) i64.const 1 i32.const 1 br_if 0 drop i32.const 0)))",
    ));
    assert_eq!(
        e.to_string(),
        "type mismatch: expected i32, found i64 (in function 0 `f`, at `br_if`, offset 0x1e)"
    );
    assert_eq!(e.instruction(), Some("br_if"));
}

#[test]
fn select_and_reference_mismatches() {
    let e = error(&wat(
        "(module (func $f i32.const 1 i64.const 2 i32.const 0 select drop))",
    ));
    assert_eq!(
        e.to_string(),
        "type mismatch: expected i32, found i64 (in function 0 `f`, at `select`, offset 0x1d)"
    );
    let e = error(&wat("(module (func $f i32.const 1 ref.is_null drop))"));
    assert_eq!(
        e.to_string(),
        "type mismatch: expected a reference, found i32 (in function 0 `f`, at `ref.is_null`, offset 0x19)"
    );
}

#[test]
fn a_broken_name_section_means_no_name() {
    let code = (10, CODE);
    // A well-formed name section names the function.
    let good = name_section(0, "add", &[]);
    let e = error(&module(&[(1, TYPE), (3, FUNC), code, (0, &good)]));
    assert_eq!(
        e.to_string(),
        "type mismatch: expected i32, found i64 (in function 0 `add`, at `i32.add`, offset 0x1e)"
    );
    // A broken subsection after the function names does not hide them.
    let broken_locals = name_section(0, "add", &[2, 9, 1]);
    let e = ours(&module(&[(1, TYPE), (3, FUNC), code, (0, &broken_locals)]));
    assert_eq!(e.func_name(), Some("add"));
    // A function-name subsection that runs past its end: no name.
    let mut truncated = name_section(0, "add", &[]);
    truncated[6] += 5;
    let e = ours(&module(&[(1, TYPE), (3, FUNC), code, (0, &truncated)]));
    assert_eq!(
        e.to_string(),
        "type mismatch: expected i32, found i64 (in function 0, at `i32.add`, offset 0x1e)"
    );
    // A name that is not UTF-8: no name.
    let mut not_utf8 = name_section(0, "add", &[]);
    let last = not_utf8.len() - 1;
    not_utf8[last] = 0xff;
    let e = ours(&module(&[(1, TYPE), (3, FUNC), code, (0, &not_utf8)]));
    assert_eq!(e.func_name(), None);
    // A section after the code section whose size runs past the module's
    // end: no name, and the code section's error is the one reported.
    let mut m = module(&[(1, TYPE), (3, FUNC), code]);
    m.extend_from_slice(&[0, 0x7f, 4]);
    m.extend_from_slice(b"name");
    let e = ours(&m);
    assert_eq!(
        e.to_string(),
        "type mismatch: expected i32, found i64 (in function 0, at `i32.add`, offset 0x1e)"
    );
    // An empty name section, and one that is only a name: no name.
    for payload in [&[][..], &[4, b'n', b'a', b'm', b'e'][..]] {
        let e = ours(&module(&[(1, TYPE), (3, FUNC), code, (0, payload)]));
        assert_eq!(e.func_name(), None);
    }
}

#[test]
fn a_name_section_before_the_code_section_is_used() {
    let names = name_section(0, "early", &[]);
    let e = error(&module(&[(1, TYPE), (3, FUNC), (0, &names), (10, CODE)]));
    assert_eq!(e.func_name(), Some("early"));
}

#[test]
fn malformed_bodies_name_the_function() {
    // `i32.const` whose immediate runs into the end of the body.
    let m = module(&[
        (1, &[1, 0x60, 0, 0]),
        (3, FUNC),
        (10, &[1, 3, 0, 0x41, 0x80]),
    ]);
    let e = validate(&m, Features::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed);
    assert_eq!(
        e.to_string(),
        "unexpected end of section or function (in function 0, offset 0x19)"
    );
    assert_eq!(e.instruction(), None);
    // An `i32.const` whose immediate is too long: the instruction is named.
    let body = [
        1, 10, 0, 0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1a, 0x0b,
    ];
    let e = validate(
        &module(&[(1, &[1, 0x60, 0, 0]), (3, FUNC), (10, &body)]),
        Features::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "integer representation too long (in function 0, at `i32.const`, offset 0x18)"
    );
    // Bytes after the function's final `end`: no instruction.
    let body = [1, 4, 0, 0x0b, 0x01, 0x0b];
    let e = validate(
        &module(&[(1, &[1, 0x60, 0, 0]), (3, FUNC), (10, &body)]),
        Features::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "section size mismatch (in function 0, offset 0x18)"
    );
}

#[test]
fn errors_outside_functions_give_the_offset() {
    let e = validate(b"\0asm\x02\0\0\0", Features::default()).unwrap_err();
    assert_eq!(e.to_string(), "unknown binary version (at offset 0x4)");
    assert_eq!(e.func_index(), None);
    let e = error(&wat("(module (global i32 (i64.const 0)))"));
    assert_eq!(
        e.to_string(),
        "type mismatch: expected [i32] but found [i64] (at offset 0xf)"
    );
}
