//! `validate`, `print` and `wat2wasm` of components (text and binary).

use std::path::PathBuf;
use std::process::{Command, Output};

fn nanowasm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(args)
        .output()
        .expect("run nanowasm")
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nanowasm-cli-components-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

const COMPONENT: &str = r#"(component $c
  (core module $m
    (memory (export "mem") 1)
    (func (export "f") (param i32) (result i32) local.get 0))
  (core instance $i (instantiate $m))
  (type $point (record (field "x" u32) (field "y" u32)))
  (func $f (param "a" u32) (result u32) (canon lift (core func $i "f")))
  (export "f" (func $f))
  (export "point" (type $point)))
"#;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn validate_accepts_text_and_binary_components() {
    let wat = temp_file("ok.wat", COMPONENT.as_bytes());
    let out = nanowasm(&["validate", wat.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());

    let wasm = wat.with_extension("wasm");
    let out = nanowasm(&[
        "wat2wasm",
        wat.to_str().unwrap(),
        "-o",
        wasm.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = std::fs::read(&wasm).unwrap();
    assert_eq!(&bytes[..8], b"\0asm\x0d\0\x01\0");
    let out = nanowasm(&["validate", wasm.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stderr.is_empty());
}

#[test]
fn print_round_trips_a_component() {
    let wat = temp_file("print.wat", COMPONENT.as_bytes());
    let wasm = wat.with_extension("wasm");
    assert!(nanowasm(&[
        "wat2wasm",
        wat.to_str().unwrap(),
        "-o",
        wasm.to_str().unwrap()
    ])
    .status
    .success());
    let out = nanowasm(&["print", wasm.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("(component $c\n  (core module $m\n"),
        "{text}"
    );
    assert!(
        text.contains("(type $point (record (field \"x\" u32) (field \"y\" u32)))"),
        "{text}"
    );
    // The text of a text component prints the same.
    let out = nanowasm(&["print", wat.to_str().unwrap()]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), text);
    // And parses back to the same bytes.
    let printed = temp_file("printed.wat", text.as_bytes());
    let again = printed.with_extension("wasm");
    let out = nanowasm(&[
        "wat2wasm",
        printed.to_str().unwrap(),
        "-o",
        again.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&wasm).unwrap()
    );
    // `-o` writes the text to a file.
    let to = printed.with_extension("out.wat");
    let out = nanowasm(&["print", wasm.to_str().unwrap(), "-o", to.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&to).unwrap(), text);
}

#[test]
fn malformed_text_component_shows_line_column_and_caret() {
    let src = "(component\n  (core instance (instantiate $nope)))\n";
    let bad = temp_file("bad.wat", src.as_bytes());
    for cmd in ["validate", "print", "wat2wasm"] {
        let out = nanowasm(&[cmd, bad.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        assert_eq!(
            stderr(&out),
            format!(
                "{}:2:31: unknown core module: failed to find name `$nope`\n    (core instance (instantiate $nope)))\n                                ^\n",
                bad.display()
            ),
            "{cmd}"
        );
    }
}

#[test]
fn malformed_and_invalid_binary_components_show_offset_and_message() {
    // The preamble, then a type section cut short.
    let bad = temp_file("bad.wasm", b"\0asm\x0d\0\x01\0\x07\x05\x01\x40");
    for cmd in ["validate", "print"] {
        let out = nanowasm(&[cmd, bad.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        let e = stderr(&out);
        assert!(e.starts_with(&format!("{}: ", bad.display())), "{e}");
        assert!(e.contains("(at offset 0x"), "{e}");
        assert!(out.stdout.is_empty());
    }
    // Well formed, but the same import name twice.
    let invalid = temp_file(
        "invalid.wat",
        b"(component (import \"a\" (func)) (import \"a\" (func)))",
    );
    let out = nanowasm(&["validate", invalid.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(e.contains("conflicts with previous name"), "{e}");
    let out = nanowasm(&["print", invalid.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn print_wit_shows_a_components_world() {
    let bin = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/components/bin/p2_cli.wasm"
    );
    let out = nanowasm(&["print", "--wit", bin]);
    assert!(out.status.success(), "{}", stderr(&out));
    let wit = String::from_utf8(out.stdout).unwrap();
    assert!(wit.starts_with("package root:component;"), "{wit}");
    assert!(wit.contains("export wasi:cli/run@0.2.12;"), "{wit}");
    assert!(wit.contains("interface environment {"), "{wit}");
    assert!(
        wit.contains("get-arguments: func() -> list<string>;"),
        "{wit}"
    );
    // A core module has no WIT.
    let module = temp_file("core.wat", b"(module)");
    let out = nanowasm(&["print", "--wit", module.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--wit needs a component"),
        "{}",
        stderr(&out)
    );
}
