//! No input panics the parser: random bytes, and random mutations of the
//! valid corpus files (token deletions, insertions, swaps). Mutants are
//! also given to wit-parser: both must accept or both reject.

use crate::oracle;
use proptest::prelude::*;
use std::path::Path;

const VOCAB: &[&str] = &[
    " ",
    "\n",
    ";",
    ",",
    ":",
    ".",
    "/",
    "@",
    "(",
    ")",
    "{",
    "}",
    "<",
    ">",
    "->",
    "=",
    "_",
    "%",
    "-",
    "+",
    "0",
    "1.0.0",
    "use",
    "type",
    "func",
    "record",
    "variant",
    "enum",
    "flags",
    "resource",
    "own",
    "borrow",
    "list",
    "option",
    "result",
    "tuple",
    "string",
    "u32",
    "static",
    "constructor",
    "interface",
    "world",
    "import",
    "export",
    "include",
    "with",
    "as",
    "package",
    "x",
    "t",
    "self",
    "get",
    "set",
    "async",
    "stream",
    "future",
    "map",
    "@since(version = 1.0.0)",
    "@unstable(feature = f)",
    "@deprecated(version = 1.0.0)",
    "///",
    "//",
    "/*",
    "*/",
    "\"",
    "a:b/c",
    "A",
    "é",
    "\r",
    "\t",
    "\u{202e}",
    "\0",
];

fn valid_corpus() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with("valid-") {
            out.push(std::fs::read_to_string(e.path()).unwrap());
        }
    }
    out.sort();
    out
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, usize),
    Replace(usize, usize, usize),
}

fn apply(src: &str, muts: &[Mutation]) -> String {
    let mut s = src.to_string();
    let at = |s: &str, i: usize| {
        let mut i = i % (s.len() + 1);
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    for m in muts {
        match *m {
            Mutation::Delete(i, n) => {
                let a = at(&s, i);
                let b = at(&s, a + n % 12);
                s.replace_range(a..b.max(a), "");
            }
            Mutation::Insert(i, v) => {
                let a = at(&s, i);
                s.insert_str(a, VOCAB[v % VOCAB.len()]);
            }
            Mutation::Replace(i, n, v) => {
                let a = at(&s, i);
                let b = at(&s, a + n % 8);
                s.replace_range(a..b.max(a), VOCAB[v % VOCAB.len()]);
            }
        }
    }
    s
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), any::<usize>()).prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(i, n, v)| Mutation::Replace(i, n, v)),
    ]
}

/// 512 cases, or `WIT_FUZZ_CASES`.
fn cases() -> u32 {
    std::env::var("WIT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn random_bytes_do_not_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = nanowasm_wit::parse_package("fuzz.wit", &text);
    }

    #[test]
    fn random_tokens_do_not_panic(toks in proptest::collection::vec(0..VOCAB.len(), 0..64)) {
        let text: String = toks.iter().map(|&t| VOCAB[t]).collect::<Vec<_>>().join(" ");
        let _ = nanowasm_wit::parse_package("fuzz.wit", &text);
    }

    #[test]
    fn mutants_do_not_panic_and_agree(
        file in any::<usize>(),
        muts in proptest::collection::vec(mutation(), 1..4),
    ) {
        let corpus = valid_corpus();
        let src = &corpus[file % corpus.len()];
        let text = apply(src, &muts);
        let ours = oracle::ours("m.wit", &text);
        let theirs = oracle::theirs("m.wit", &text);
        prop_assert_eq!(
            ours.is_ok(),
            theirs.is_some(),
            "verdicts differ on:\n{}\nours: {:?}",
            text,
            ours.as_ref().err().map(|e| e.to_string())
        );
    }
}

#[test]
fn deep_nesting_is_an_error() {
    let deep = format!(
        "package a:b;\ninterface i {{ type t = {}u8{}; }}",
        "list<".repeat(5000),
        ">".repeat(5000)
    );
    assert!(nanowasm_wit::parse_package("deep.wit", &deep).is_err());
    let pkgs = format!(
        "package a:b;\n{}{}",
        "package c:d {".repeat(5000),
        "}".repeat(5000)
    );
    assert!(nanowasm_wit::parse_package("deep.wit", &pkgs).is_err());
}
