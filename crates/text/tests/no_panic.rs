//! The lexer, parser and script parser never panic, whatever the input.

use proptest::prelude::*;

const WORDS: &[&str] = &[
    "(",
    ")",
    "module",
    "func",
    "param",
    "result",
    "local",
    "i32",
    "i64",
    "f32",
    "v128",
    "funcref",
    "block",
    "loop",
    "if",
    "then",
    "else",
    "end",
    "br",
    "br_if",
    "br_table",
    "i32.const",
    "i32.add",
    "local.get",
    "call",
    "call_indirect",
    "type",
    "table",
    "memory",
    "data",
    "elem",
    "export",
    "import",
    "global",
    "mut",
    "offset=4",
    "align=8",
    "0",
    "1",
    "-1",
    "0x10",
    "nan:0x1",
    "inf",
    "1.5e3",
    "$x",
    "$y",
    "\"s\"",
    "\"\\ff\"",
    "i8x16.shuffle",
    "v128.const",
    "i8x16",
    "select",
    "ref.null",
    "assert_return",
    "invoke",
    "rec",
    "sub",
    "final",
    "struct",
    "array",
    "field",
    "ref",
    "null",
    "i8",
    "i16",
    "anyref",
    "nullref",
    "none",
    "any",
    "struct.get",
    "struct.new",
    "array.new_fixed",
    "array.copy",
    "ref.test",
    "ref.cast",
    "br_on_cast",
    "br_on_null",
    "call_ref",
    "99999999",
    "(;",
    ";)",
    ";;\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let s = String::from_utf8_lossy(&bytes);
        let _ = nanowasm_text::parse_wat(&s);
        let _ = nanowasm_text::wast::parse_script(&s);
    }

    #[test]
    fn token_soup(words in proptest::collection::vec(0..WORDS.len(), 0..80)) {
        let s: Vec<&str> = words.iter().map(|&i| WORDS[i]).collect();
        let s = s.join(" ");
        let _ = nanowasm_text::parse_wat(&s);
        let _ = nanowasm_text::wast::parse_script(&s);
        if let Err(e) = nanowasm_text::parse_wat(&s) {
            // Error display never panics either.
            let _ = e.display_with("soup.wat", &s);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Token soup inside a module with struct, array and function types
    /// named `$x` and `$y`, so that type and field lookups run.
    #[test]
    fn gc_token_soup(words in proptest::collection::vec(0..WORDS.len(), 0..60)) {
        let s: Vec<&str> = words.iter().map(|&i| WORDS[i]).collect();
        let s = format!(
            "(module (rec (type $x (sub (struct (field $x (mut i8)) (field $y (ref null $y)))))) \
             (type $y (array (mut anyref))) (func $x (param $x (ref null $x)) {}))",
            s.join(" ")
        );
        if let Err(e) = nanowasm_text::parse_wat(&s) {
            let _ = e.display_with("soup.wat", &s);
        }
    }
}

#[test]
fn deep_nesting_is_not_a_crash() {
    // Test threads have 2 MiB stacks: nesting must not recurse.
    let deep = format!(
        "(module (func {}{}))",
        "(block ".repeat(100_000),
        ")".repeat(100_000)
    );
    assert!(nanowasm_text::parse_wat(&deep).is_ok());
    for unclosed in ["(block ", "(", "(i32.add ", "block "] {
        let s = format!("(module (func {}", unclosed.repeat(100_000));
        assert!(nanowasm_text::parse_wat(&s).is_err(), "{unclosed}");
        assert!(nanowasm_text::wast::parse_script(&s).is_err(), "{unclosed}");
    }
}
