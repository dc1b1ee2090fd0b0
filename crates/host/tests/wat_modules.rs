//! Manifests accept text modules (`.wat`) wherever they accept binaries,
//! as the CLI does: the host lowers them when it reads the modules, before
//! any guest code runs, and a syntax error names the process, the file,
//! the line and the column.

mod support;

use nanowasm_host::{HostError, Manifest, System};
use support::{call_i32, scratch, system, write_wat};

const ANSWER: &str = r#"(module
  (import "helper" "seven" (func $seven (result i32)))
  (func (export "answer") (result i32) (i32.mul (call $seven) (i32.const 6))))"#;

const HELPER: &str = r#"(module (func (export "seven") (result i32) (i32.const 7)))"#;

#[test]
fn a_wat_module_runs_beside_a_binary_one() {
    let dir = scratch("mixed");
    std::fs::write(dir.join("answer.wat"), ANSWER).unwrap();
    write_wat(&dir, "helper.wasm", HELPER);
    let sys = system(
        &dir,
        r#"[[process]]
name = "helper"
module = "helper.wasm"

[[process]]
name = "main"
module = "answer.wat"
imports = [{ module = "helper", name = "seven", sig = "() -> i32" }]
"#,
    );
    assert_eq!(call_i32(&sys, "main", "answer"), 42);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn text_without_the_wat_extension_is_read_as_text() {
    let dir = scratch("no-extension");
    std::fs::write(dir.join("helper.module"), HELPER).unwrap();
    let sys = system(
        &dir,
        "[[process]]\nname = \"helper\"\nmodule = \"helper.module\"\n",
    );
    assert_eq!(call_i32(&sys, "helper", "seven"), 7);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_syntax_error_names_process_file_line_and_column() {
    let dir = scratch("syntax");
    std::fs::write(dir.join("bad.wat"), "(module\n  (func i32.nope))").unwrap();
    let m = Manifest::parse("[[process]]\nname = \"p\"\nmodule = \"bad.wat\"\n", &dir).unwrap();
    let Err(e) = System::new(&m) else {
        panic!("a module with a syntax error loaded");
    };
    assert!(
        matches!(&e, HostError::Link { process, .. } if process == "p"),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains("bad.wat:2:9: unknown operator `i32.nope`"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_missing_module_file_is_a_link_error() {
    let dir = scratch("missing");
    let m = Manifest::parse("[[process]]\nname = \"p\"\nmodule = \"gone.wat\"\n", &dir).unwrap();
    let Err(e) = System::new(&m) else {
        panic!("a missing module loaded");
    };
    let text = e.to_string();
    assert!(
        text.starts_with("nanoprocess `p`: ") && text.contains("gone.wat"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
