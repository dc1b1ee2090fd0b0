//! `nanowasm run --manifest examples/components/app.toml`: the component
//! version of the nanoprocess example (WIT between the processes), through
//! the CLI.

use std::process::Command;

#[test]
fn run_manifest_runs_the_component_example() {
    let src = format!("{}/../../examples/components", env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!(
        "nanowasm-cli-components-example-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    for f in [
        "app.toml",
        "parser.wasm",
        "compressor.wasm",
        "logger.wasm",
        "data/input.txt",
        "data/more.txt",
    ] {
        std::fs::copy(format!("{src}/{f}"), dir.join(f)).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(["run", "--manifest", dir.join("app.toml").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "parser: 2 files, 5 lines, 19 words, 169 bytes -> 212 compressed (round trips ok); \
         /logs is not reachable to the parser; /data is read-only\n\
         parser: the logger has written 6 lines\n"
    );
    let log = std::fs::read_to_string(dir.join("logs/app.log")).unwrap();
    assert_eq!(log.lines().count(), 6, "{log}");
    assert!(
        log.starts_with("[1] input.txt:1: 9 words, 43 bytes, 86 compressed (ratio 2.00)\n"),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
