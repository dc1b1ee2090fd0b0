//! Runs the decoder and validator over every module of the WebAssembly 2.0
//! spec testsuite, one trial per `.wast` file (`validate/<path>`):
//!
//! * every `(module binary ...)` must decode and validate;
//! * every `assert_malformed (module binary ...)` must fail as malformed,
//!   every `assert_invalid` as invalid, with the spec's message as a prefix
//!   of ours;
//! * every text module (lowered to binary with the `wat` crate, a
//!   dev-dependency used as an oracle until nanowasm's own text format
//!   lands) must get the same verdicts.
//!
//! The testsuite is found through `$NANOWASM_TESTSUITE` or
//! `../shared/testsuite-2.0` beside the repository; it is an error if it is
//! missing.

mod scan;
mod suite;

use std::path::Path;

use libtest_mimic::{Arguments, Failed, Trial};
use nanowasm_binary::{validate, ErrorKind, Features};
use scan::Sexp;
use suite::{module_src, testsuite, wast_files, ModuleSrc};

/// Binary modules whose expected message is an artifact of the reference
/// interpreter reading past the end of a truncated section or body into the
/// bytes that follow. nanowasm bounds every section and body, so it reports
/// the truncation itself; the verdict (malformed) is still checked.
const MESSAGE_EXCEPTIONS: &[(&str, usize, &str)] = &[
    (
        "binary-leb128.wast",
        348,
        "unexpected end of section or function",
    ),
    ("binary.wast", 93, "unexpected end of section or function"),
    ("binary.wast", 113, "unexpected end of section or function"),
    ("binary.wast", 929, "unexpected end of section or function"),
];

#[derive(Default)]
struct Counts {
    binary_valid: usize,
    binary_malformed: usize,
    binary_invalid: usize,
    text_valid: usize,
    text_invalid: usize,
    /// Text modules the `wat` oracle itself rejects (text-level errors such
    /// as unknown labels by name): not a decoder question.
    text_rejected_by_oracle: usize,
    message_exact: usize,
    message_prefix: usize,
    message_exception: usize,
}

fn run_file(path: &Path) -> Result<Counts, String> {
    let src = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let forms = scan::parse(&src)?;
    let features = Features::default();
    let mut c = Counts::default();
    let mut failures = Vec::new();
    for form in &forms {
        let (module, expect): (&Sexp, Option<(ErrorKind, String)>) = match form.head() {
            Some("module") => (form, None),
            Some(kind @ ("assert_malformed" | "assert_invalid")) => {
                let items = form.items();
                let msg = match items.get(2) {
                    Some(Sexp::Str(m)) => String::from_utf8_lossy(m).into_owned(),
                    _ => String::new(),
                };
                let k = if kind == "assert_malformed" {
                    ErrorKind::Malformed
                } else {
                    ErrorKind::Invalid
                };
                (&items[1], Some((k, msg)))
            }
            Some(
                "assert_unlinkable" | "assert_uninstantiable" | "assert_trap" | "assert_exhaustion",
            ) => match form.items().get(1) {
                Some(m) if m.head() == Some("module") => (m, None),
                _ => continue,
            },
            _ => continue,
        };
        let (bytes, is_binary) = match module_src(module, &src) {
            ModuleSrc::Quote => continue,
            ModuleSrc::Binary(b) => (b, true),
            ModuleSrc::Text(text) => match wat::parse_str(text) {
                Ok(b) => (b, false),
                Err(_) => {
                    c.text_rejected_by_oracle += 1;
                    continue;
                }
            },
        };
        let line = src[..match module {
            Sexp::List(_, span) => span.start,
            _ => 0,
        }]
            .lines()
            .count()
            .max(1);
        let result = validate(&bytes, features);
        match (&expect, result) {
            (None, Ok(())) => {
                if is_binary {
                    c.binary_valid += 1
                } else {
                    c.text_valid += 1
                }
            }
            (None, Err(e)) => {
                failures.push(format!("line {line}: expected a valid module, got {e:?}"))
            }
            (Some((kind, msg)), Ok(())) => failures.push(format!(
                "line {line}: expected {kind:?} \"{msg}\", module was accepted"
            )),
            (Some((kind, msg)), Err(e)) => {
                if e.kind() != *kind {
                    failures.push(format!(
                        "line {line}: expected {kind:?} \"{msg}\", got {e:?}"
                    ));
                    continue;
                }
                // The full text starts with the message, so whoever matches
                // the spec's text as a prefix of it still can.
                if !e.to_string().starts_with(e.message()) {
                    failures.push(format!(
                        "line {line}: the text \"{e}\" does not start with the message \"{}\"",
                        e.message()
                    ));
                    continue;
                }
                if e.message() == msg {
                    c.message_exact += 1;
                } else if e.message().starts_with(msg.as_str()) {
                    c.message_prefix += 1;
                } else if MESSAGE_EXCEPTIONS
                    .iter()
                    .any(|&(f, l, m)| path.ends_with(f) && l == line && e.message() == m)
                {
                    c.message_exception += 1;
                } else {
                    failures.push(format!(
                        "line {line}: expected {kind:?} \"{msg}\", got message \"{}\"",
                        e.message()
                    ));
                    continue;
                }
                match (kind, is_binary) {
                    (ErrorKind::Malformed, _) => c.binary_malformed += 1,
                    (ErrorKind::Invalid, true) => c.binary_invalid += 1,
                    (ErrorKind::Invalid, false) => c.text_invalid += 1,
                    (ErrorKind::Unsupported, _) => {
                        failures.push(format!(
                            "line {line}: the validator reported a back-end error"
                        ));
                    }
                }
            }
        }
    }
    if failures.is_empty() {
        Ok(c)
    } else {
        Err(failures.join("\n"))
    }
}

fn main() {
    let args = Arguments::from_args();
    let root = testsuite();
    assert!(
        root.is_dir(),
        "the spec testsuite is missing: set NANOWASM_TESTSUITE or put it at {}",
        root.display()
    );
    let files = wast_files(&root);
    assert!(
        files.len() >= 148,
        "expected the 148 files of the 2.0 testsuite, found {}",
        files.len()
    );
    let mut trials = Vec::new();
    for path in files {
        let name = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        trials.push(Trial::test(format!("validate/{name}"), move || {
            run_file(&path).map(|_| ()).map_err(Failed::from)
        }));
    }
    // A summary trial that counts every verdict, so the totals are visible.
    let root2 = root.clone();
    trials.push(Trial::test("validate/summary", move || {
        let mut t = Counts::default();
        let mut failed = 0;
        for path in wast_files(&root2) {
            match run_file(&path) {
                Ok(c) => {
                    t.binary_valid += c.binary_valid;
                    t.binary_malformed += c.binary_malformed;
                    t.binary_invalid += c.binary_invalid;
                    t.text_valid += c.text_valid;
                    t.text_invalid += c.text_invalid;
                    t.text_rejected_by_oracle += c.text_rejected_by_oracle;
                    t.message_exact += c.message_exact;
                    t.message_prefix += c.message_prefix;
                    t.message_exception += c.message_exception;
                }
                Err(_) => failed += 1,
            }
        }
        eprintln!(
            "binary modules: {} valid, {} malformed, {} invalid; text modules (via wat): {} valid, {} invalid, {} rejected by the oracle; messages: {} exact, {} prefix, {} documented exceptions",
            t.binary_valid, t.binary_malformed, t.binary_invalid, t.text_valid, t.text_invalid,
            t.text_rejected_by_oracle, t.message_exact, t.message_prefix, t.message_exception
        );
        if failed > 0 {
            return Err(format!("{failed} files failed").into());
        }
        Ok(())
    }));
    libtest_mimic::run(&args, trials).exit();
}
