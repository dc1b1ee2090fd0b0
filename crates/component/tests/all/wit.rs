//! WIT printed from components' types: every component of
//! `tests/components` (C through the preview1 adapter, wit-bindgen guests)
//! and the host crate's WAT components print a world that our WIT parser
//! and `wit-parser` both accept, with the imports and exports the
//! component has.

use std::path::Path;

fn components() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    let bin = root.join("tests/components/bin");
    let mut names: Vec<_> = std::fs::read_dir(&bin)
        .expect("tests/components/bin")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .collect();
    names.sort();
    for p in names {
        out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
    }
    for m in ["counter", "summer", "app", "evil"] {
        let p = root.join(format!("crates/host/tests/components/{m}.wat"));
        let text = std::fs::read_to_string(&p).unwrap();
        out.push((p.display().to_string(), wat::parse_str(&text).unwrap()));
    }
    out
}

#[test]
fn printed_wit_parses_with_both_parsers() {
    let all = components();
    assert!(all.len() >= 50, "expected the tests/components programs");
    for (name, bytes) in &all {
        let wit = nanowasm_component::print_wit(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        nanowasm_wit::parse_package("world.wit", &wit)
            .unwrap_or_else(|e| panic!("{name}: our parser: {e}\n{wit}"));
        let mut resolve = wit_parser::Resolve::default();
        let pkg = resolve
            .push_str("world.wit", &wit)
            .unwrap_or_else(|e| panic!("{name}: wit-parser: {e:?}\n{wit}"));
        // The world has the component's imports and exports.
        let c = nanowasm_component::decode(bytes).unwrap();
        let types = nanowasm_component::validate_with_types(&c).unwrap();
        let ct = types.component_type().unwrap();
        let world = resolve.packages[pkg]
            .worlds
            .get("root")
            .map(|w| &resolve.worlds[*w])
            .unwrap_or_else(|| panic!("{name}: no world"));
        assert_eq!(world.imports.len(), ct.imports.len(), "{name}:\n{wit}");
        assert_eq!(world.exports.len(), ct.exports.len(), "{name}:\n{wit}");
    }
}
