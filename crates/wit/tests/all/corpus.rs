//! The differential test: every `.wit` file of `tests/corpus` (and any in
//! the component model's reference tests) gets wit-parser's verdict, and
//! for accepted files the same interface, world, type and function names.

use crate::oracle;
use std::path::{Path, PathBuf};

fn wit_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            wit_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "wit") {
            out.push(p);
        }
    }
}

fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    wit_files(&root.join("tests/corpus"), &mut files);
    // The component model's reference tests hold no `.wit` files today
    // (their WIT-like text is inline in `.wast`); any that appear join in.
    wit_files(
        &root.join("../../../shared/component-model-tests"),
        &mut files,
    );
    files.sort();
    files
}

#[test]
fn agrees_with_wit_parser() {
    let files = corpus();
    assert!(files.len() >= 30, "corpus has {} files", files.len());
    let (mut agree, mut valid, mut failures) = (0, 0, Vec::new());
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let theirs = oracle::theirs(&name, &text);
        let ours = oracle::ours(&name, &text);
        let expect_valid = !name.starts_with("invalid-");
        match (&theirs, &ours) {
            (Some(t), Ok(o)) if t == o => {
                agree += 1;
                valid += 1;
            }
            (None, Err(_)) => agree += 1,
            (Some(t), Ok(o)) => failures.push(format!(
                "{name}: names differ\n theirs {t:?}\n ours   {o:?}"
            )),
            (Some(_), Err(e)) => {
                failures.push(format!("{name}: wit-parser accepts, we reject:\n{e}"))
            }
            (None, Ok(_)) => failures.push(format!("{name}: wit-parser rejects, we accept")),
        }
        if theirs.is_some() != expect_valid {
            failures.push(format!(
                "{name}: named {} but wit-parser says otherwise",
                if expect_valid { "valid" } else { "invalid" }
            ));
        }
    }
    println!(
        "corpus: {} files, {agree} agree with wit-parser ({valid} valid)",
        files.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A package split over several files of a directory.
#[test]
fn directory_package() {
    let dir = std::env::temp_dir().join(format!("nanowasm-wit-dir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a.wit"),
        "package multi:pkg;\ninterface a { type t = u32; }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.wit"),
        "interface b { use a.{t}; f: func(x: t); }\nworld w { export b; }\n",
    )
    .unwrap();
    let group = nanowasm_wit::parse_package_dir(&dir).unwrap();
    assert_eq!(group.main.name.to_string(), "multi:pkg");
    assert_eq!(group.main.interfaces.len(), 2);
    assert_eq!(group.main.worlds[0].exports, ["b"]);
    std::fs::write(dir.join("c.wit"), "package other:pkg;\n").unwrap();
    let e = nanowasm_wit::parse_package_dir(&dir)
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not match previous package name"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
