//! Every fuzzer finding, replayed through its oracle: the inputs under
//! `tests/regressions/<target>/` (raw fuzzer input, named
//! `<date>-<slug>.bin`), plus hand-minimized cases.

use std::path::Path;

fn replay(target: &str, f: impl Fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries {
        let path = e.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&data)));
        assert!(r.is_ok(), "{} fails again", path.display());
    }
}

#[test]
fn fuzzer_findings() {
    use nanowasm_fuzzing::*;
    replay("decode_validate", oracles::decode_validate);
    replay("wat_parse", oracles::wat_parse);
    replay("roundtrip", |d| {
        if let Some(m) = generate(d) {
            oracles::roundtrip(&m);
        }
    });
    replay("execute", |d| {
        if let Some(m) = generate(d) {
            oracles::execute(&m);
        }
    });
    replay("differential", |d| {
        if let Some(m) = generate_for_differential(d) {
            differential::differential(&m);
        }
    });
}

/// Found by the smoke test on its first run: wasmi 2.0.0 (the first oracle
/// version) computes `1 / select(1, x, x == 0)` as 1 for x = 7; nanowasm,
/// wasmtime, V8 and wasmi 1.1 give 0. The oracle is pinned to wasmi 1.1;
/// this keeps both nanowasm's answer and the agreement checked.
#[test]
fn select_eqz_div_from_the_wasmi_2_discrepancy() {
    let wasm = nanowasm_text::parse_wat(
        r#"(module (func (export "f") (result i32) (local i32)
             i32.const 1 i32.const 7 local.set 0
             i32.const 1 local.get 0 local.get 0 i32.eqz select
             i32.div_u))"#,
    )
    .unwrap();
    let engine = nanowasm::Engine::default();
    let module = nanowasm::Module::new(&engine, &wasm).unwrap();
    let mut store = nanowasm::Store::new(&engine, ());
    let instance = nanowasm::Linker::new()
        .instantiate(&mut store, &module)
        .unwrap();
    let f = instance.get_typed_func::<(), i32>(&mut store, "f").unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), 0);
    nanowasm_fuzzing::differential::differential(&wasm);
}
