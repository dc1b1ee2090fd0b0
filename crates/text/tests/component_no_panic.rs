//! The component text parser and the component printer never panic: on
//! mutations of component text (bytes changed, inserted, deleted, lists
//! cut) and on mutations of the binaries it encodes.

use proptest::prelude::*;

const SEEDS: &[&str] = &[
    r#"(component $c
  (core module $m (memory (export "mem") 1) (func (export "f") (param i32) (result i32) local.get 0))
  (core instance $i (instantiate $m))
  (type $r (record (field "a" u32) (field "b" (list string))))
  (type $v (variant (case "x" u8) (case "y")))
  (func $f (param "p" s32) (result s32) (canon lift (core func $i "f") (memory (core memory $i "mem"))))
  (export "f" (func $f))
  (import "i" (instance $imp (export "g" (func (param "a" (option u8)) (result (result string (error u32)))))))
  (core func $g (canon lower (func $imp "g") string-encoding=utf16 (memory (core memory $i "mem"))))
  (type $res (resource (rep i32)))
  (core func $new (canon resource.new $res))
  (component $inner (import "x" (type $t (sub resource))) (alias outer $c $r (type $r2)))
  (instance $n (instantiate $inner (with "x" (type $res))))
)"#,
    r#"(component (type (component (import "a" (func)) (export "b" (instance (export "c" (type (sub resource))))))) (core type (module (import "a" "b" (func (param i32))) (export "m" (memory 1)))))"#,
];

fn mutate(src: &str, ops: &[(u8, usize, u8)]) -> Vec<u8> {
    let mut b = src.as_bytes().to_vec();
    for &(op, at, byte) in ops {
        if b.is_empty() {
            break;
        }
        let at = at % b.len();
        match op % 4 {
            0 => b[at] = byte,
            1 => b.insert(at, b"()$\" \\;a0"[usize::from(byte) % 9]),
            2 => {
                b.remove(at);
            }
            _ => b.truncate(at),
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn text_mutations_never_panic(seed in 0..SEEDS.len(), ops in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..6)) {
        let text = mutate(SEEDS[seed], &ops);
        let text = String::from_utf8_lossy(&text);
        if let Ok(bytes) = nanowasm_text::parse_wat(&text) {
            if nanowasm_text::is_component(&bytes) {
                let _ = nanowasm_text::print_component(&bytes);
            }
        }
    }

    #[test]
    fn binary_mutations_never_panic(seed in 0..SEEDS.len(), at in any::<usize>(), byte in any::<u8>(), cut in any::<bool>()) {
        let mut bytes = nanowasm_text::parse_wat(SEEDS[seed]).unwrap();
        let at = at % bytes.len();
        if cut { bytes.truncate(at) } else { bytes[at] = byte }
        if let Ok(text) = nanowasm_text::print_component(&bytes) {
            let _ = nanowasm_text::parse_wat(&text);
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let n = 100_000;
    let text = format!("{}{}", "(component ".repeat(n), ")".repeat(n));
    assert!(nanowasm_text::parse_wat(&text).is_err());
    let text = format!(
        "(component (type (func (param \"a\" {}u8{}))))",
        "(list ".repeat(n),
        ")".repeat(n)
    );
    assert!(nanowasm_text::parse_wat(&text).is_err());
    // A binary of components nested 1,000 deep.
    let mut bytes = b"\0asm\x0d\0\x01\0".to_vec();
    for _ in 0..1000 {
        let mut outer = b"\0asm\x0d\0\x01\0\x04".to_vec();
        let mut len = Vec::new();
        let mut v = bytes.len() as u32;
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                len.push(b);
                break;
            }
            len.push(b | 0x80);
        }
        outer.extend(len);
        outer.extend(bytes);
        bytes = outer;
    }
    assert!(nanowasm_text::print_component(&bytes).is_err());
}
