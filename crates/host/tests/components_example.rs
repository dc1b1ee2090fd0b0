//! examples/components: the component version of the nanoprocess example
//! (parser, compressor, logger in C, talking WIT: wit/app.wit). The system
//! runs from its manifest, and each process sees only its own directory.

use std::path::{Path, PathBuf};

use nanowasm_host::{ComponentVal as Val, Manifest, System};

const LOGGER: &str = "demo:app/logger@0.1.0";
const COMPRESSOR: &str = "demo:app/compressor@0.1.0";

/// A copy of the example (its logs/ empty) in a directory of its own.
fn example(name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/components");
    let d = std::env::temp_dir().join(format!(
        "nanowasm-host-example-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("data")).unwrap();
    std::fs::create_dir_all(d.join("logs")).unwrap();
    for f in [
        "app.toml",
        "parser.wasm",
        "compressor.wasm",
        "logger.wasm",
        "data/input.txt",
        "data/more.txt",
    ] {
        std::fs::copy(src.join(f), d.join(f)).unwrap();
    }
    d
}

fn probe(sys: &System, path: &str) -> Val {
    sys.call_component("logger", Some(LOGGER), "probe", &[Val::String(path.into())])
        .unwrap()
        .unwrap()
}

#[test]
fn the_component_example_runs_and_each_process_keeps_to_its_directory() {
    let d = example("run");
    let sys = System::new(&Manifest::from_file(&d.join("app.toml")).unwrap()).unwrap();
    // The parser's wasi:cli/run: every line of /data logged through the
    // logger, compressed through the compressor.
    sys.run().unwrap();
    let log = std::fs::read_to_string(d.join("logs/app.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 6, "{log}");
    assert_eq!(
        lines[1],
        "[2] input.txt:2: 1 words, 35 bytes, 4 compressed (ratio 0.11)"
    );
    assert_eq!(
        lines[5],
        "[6] parser: 2 files, 5 lines, 19 words, 169 bytes -> 212 compressed (round trips ok); \
         /logs is not reachable to the parser; /data is read-only"
    );
    assert_eq!(
        sys.call_component("logger", Some(LOGGER), "lines", &[])
            .unwrap(),
        Some(Val::U32(6))
    );

    // The compressor's record, called from the host.
    let r = sys
        .call_component(
            "compressor",
            Some(COMPRESSOR),
            "compress",
            &[Val::List(b"aaab".iter().map(|&b| Val::U8(b)).collect())],
        )
        .unwrap();
    assert_eq!(
        r,
        Some(Val::Record(vec![
            (
                "bytes".into(),
                Val::List([3, b'a', 1, b'b'].iter().map(|&b| Val::U8(b)).collect())
            ),
            ("ratio".into(), Val::Float32(1.0)),
        ]))
    );

    // The logger writes in /logs, and nowhere else: not in the parser's
    // /data, not out of /logs by `..`, not at an absolute host path.
    assert_eq!(probe(&sys, "/logs/probe.txt"), Val::Result(Ok(None)));
    assert!(d.join("logs/probe.txt").exists());
    for outside in [
        "/data/logger-was-here.txt",
        "/logs/../data/logger-was-here.txt",
        "/logs/../logger-was-here.txt",
        &d.join("logger-was-here.txt").display().to_string(),
    ] {
        match probe(&sys, outside) {
            Val::Result(Err(Some(why))) => {
                assert!(matches!(*why, Val::String(_)), "{outside}: {why:?}")
            }
            other => panic!("{outside}: the logger wrote outside /logs: {other:?}"),
        }
    }
    assert!(!d.join("data/logger-was-here.txt").exists());
    assert!(!d.join("logger-was-here.txt").exists());
    // The parser wrote nothing either (its /data is read-only).
    let mut data: Vec<String> = std::fs::read_dir(d.join("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    data.sort();
    assert_eq!(data, ["input.txt", "more.txt"]);
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn the_parser_links_only_the_interfaces_it_is_granted() {
    let d = example("ungranted");
    let text = std::fs::read_to_string(d.join("app.toml")).unwrap();
    let m = text.replace(
        &format!("    {{ interface = \"{COMPRESSOR}\", from = \"compressor\" }},\n"),
        "",
    );
    assert_ne!(m, text);
    let e = System::new(&Manifest::parse(&m, &d).unwrap())
        .err()
        .expect("link error");
    let msg = e.to_string();
    assert!(msg.contains("parser") && msg.contains(COMPRESSOR), "{msg}");
    let _ = std::fs::remove_dir_all(d);
}
