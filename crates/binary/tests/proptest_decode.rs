//! Property tests: decoding and validation never panic, and on mutated
//! real modules they agree with wasmparser (a dev-dependency oracle) on
//! accept/reject.

use nanowasm_binary::{validate, Features};
use proptest::prelude::*;

const HEADER: &[u8] = b"\0asm\x01\0\0\0";

/// Valid modules covering every section and the 2.0 proposals.
fn seeds() -> Vec<Vec<u8>> {
    let wat = [
        r#"(module
            (type $t (func (param i32 i64) (result f32)))
            (import "m" "f" (func $imp (type $t)))
            (import "m" "g" (global $g i32))
            (memory 1 2)
            (table 2 funcref)
            (global $h (mut i64) (i64.const 5))
            (func $f (export "f") (param i32) (result i32) (local f64)
                (block $b (result i32)
                    (loop $l
                        (br_if $b (i32.const 7) (local.get 0))
                        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
                        (br $l))
                    (i32.const 0))
                (i32.load offset=4 (i32.const 0)) (i32.add))
            (func $s (call_indirect (type $t) (i32.const 1) (i64.const 2) (i32.const 0)) drop)
            (elem (i32.const 0) $f $s)
            (data (i32.const 8) "hello")
            (start $s))"#,
        r#"(module (memory 1)
            (func (export "simd") (param v128) (result v128)
                (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31
                    (f32x4.add (local.get 0) (v128.const f32x4 1 2 3 4))
                    (v128.load8_lane 3 (i32.const 0) (local.get 0))))
            (func (result i32) (i8x16.extract_lane_u 15 (i8x16.splat (i32.const 3)))))"#,
        r#"(module (memory 1) (table $t 4 externref) (table $u 2 funcref)
            (data $d "abc") (elem $e func $a) (elem declare func $a)
            (func $a (result funcref) (ref.func $a))
            (func (param externref)
                (memory.init $d (i32.const 0) (i32.const 0) (i32.const 3)) (data.drop $d)
                (memory.copy (i32.const 0) (i32.const 1) (i32.const 2))
                (memory.fill (i32.const 0) (i32.const 0) (i32.const 1))
                (table.set $t (i32.const 0) (local.get 0))
                (table.init $u $e (i32.const 0) (i32.const 0) (i32.const 1)) (elem.drop $e)
                (drop (table.grow $t (ref.null extern) (i32.const 1)))
                (drop (select (result i32) (i32.const 1) (i32.const 2) (i32.const 0)))))"#,
        r#"(module (func (param i32 i32) (result i32 i32)
            (local.get 1) (local.get 0)
            (if (param i32 i32) (result i32 i32) (i32.const 1) (then) (else))))"#,
    ];
    wat.iter()
        .map(|w| wat::parse_str(w).expect("seed"))
        .collect()
}

fn wasmparser_accepts(bytes: &[u8]) -> bool {
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::WASM2)
        .validate_all(bytes)
        .is_ok()
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn apply(mut m: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for mu in muts {
        if m.is_empty() {
            break;
        }
        match *mu {
            Mutation::Flip(i, x) => {
                let i = i % m.len();
                m[i] ^= x.max(1);
            }
            Mutation::Insert(i, x) => {
                let i = i % (m.len() + 1);
                m.insert(i, x);
            }
            Mutation::Delete(i) => {
                let i = i % m.len();
                m.remove(i);
            }
            Mutation::Truncate(i) => {
                let i = i % m.len();
                m.truncate(i);
            }
        }
    }
    m
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, x)| Mutation::Flip(i, x)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, x)| Mutation::Insert(i, x)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

#[test]
fn seeds_are_valid_for_both() {
    for (i, s) in seeds().iter().enumerate() {
        let theirs = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::WASM2)
            .validate_all(s)
            .map(drop);
        if let Err(e) = validate(s, Features::default()) {
            panic!("seed {i} rejected: {e}; wasmparser: {theirs:?}");
        }
        assert!(theirs.is_ok(), "seed {i}: {theirs:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = validate(&bytes, Features::default());
    }

    #[test]
    fn arbitrary_sections_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut bytes = HEADER.to_vec();
        bytes.extend_from_slice(&body);
        let _ = validate(&bytes, Features::default());
        let _ = nanowasm_binary::decode(bytes, Features::default());
    }

    /// Mutated real modules: no panic, and the same verdict as wasmparser.
    #[test]
    fn mutations_agree_with_wasmparser(
        seed in 0usize..4,
        muts in proptest::collection::vec(mutation(), 1..4),
    ) {
        let m = apply(seeds()[seed].clone(), &muts);
        let ours = validate(&m, Features::default());
        let theirs = wasmparser_accepts(&m);
        prop_assert_eq!(ours.is_ok(), theirs, "module {:02x?}: ours {:?}", m, ours.err());
    }
}
