//! The oracles of `decode_validate`, `wat_parse`, `roundtrip` and
//! `execute`.

use nanowasm::{Config, Engine, Extern, Linker, Module, Store, StoreLimitsBuilder, Val};

/// Arbitrary bytes → decode + validate: both entry points must agree, and
/// neither may panic.
pub fn decode_validate(data: &[u8]) {
    let a = nanowasm_binary::validate(data, crate::front_end_features());
    let b = nanowasm_binary::decode(data.to_vec(), crate::front_end_features());
    match (&a, &b) {
        (Ok(()), Ok(_)) => {}
        (Err(x), Err(y)) => {
            assert_eq!(x.to_string(), y.to_string(), "validate and decode disagree")
        }
        _ => panic!("validate says {a:?}, decode says {:?}", b.as_ref().err()),
    }
}

/// Arbitrary text → WAT and WAST parsers: `Ok` or an error, never a panic;
/// what the WAT parser accepts it must have encoded into a binary the
/// decoder can read without panicking.
pub fn wat_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(bytes) = nanowasm_text::parse_wat(&text) {
        let _ = nanowasm_binary::decode(bytes, crate::front_end_features());
    }
    let _ = nanowasm_text::wast::parse_script(&text);
}

/// A valid module → print → parse: the module must come back. The bytes
/// must be identical up to what the text format cannot express (empty
/// sections, a data count section the code does not need, how a run of
/// same-typed locals is split into groups); where they differ, printing
/// the re-encoded module must give exactly the same text, which spells out
/// every type, local, instruction, immediate and name.
pub fn roundtrip(wasm: &[u8]) {
    let features = crate::front_end_features();
    let Ok(text) = nanowasm_text::print_bytes(wasm, features) else {
        panic!("print rejected a module that wasm-smith made valid");
    };
    let again = match nanowasm_text::parse_wat(&text) {
        Ok(b) => b,
        Err(e) => panic!(
            "printed text does not parse: {}\n{text}",
            e.display_with("printed", &text)
        ),
    };
    if normalize(wasm) != normalize(&again) {
        match nanowasm_text::print_bytes(&again, features) {
            Ok(t) if t == text => {}
            Ok(t) => panic!("print → parse changed the module\nfirst:\n{text}\nagain:\n{t}"),
            Err(e) => panic!("the re-encoded module is invalid: {e}\n{text}"),
        }
    }
}

/// The module's bytes without a data count section and without empty
/// sections (a vector section whose count is 0).
pub fn normalize(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes[..8.min(bytes.len())].to_vec();
    let mut pos = 8;
    while pos < bytes.len() {
        let start = pos;
        let sid = bytes[pos];
        pos += 1;
        let Ok(size) = nanowasm_core::leb128::read_u32(bytes, &mut pos) else {
            return bytes.to_vec();
        };
        let end = (pos + size as usize).min(bytes.len());
        let empty = sid != 0 && sid != 8 && bytes[pos..end] == [0];
        if sid != 12 && !empty {
            out.extend_from_slice(&bytes[start..end]);
        }
        pos = end;
    }
    out
}

/// Fuel per exported function call in `execute` and `differential`.
pub const FUEL: u64 = 200_000;
/// Memory and table limits of the fuzzing stores.
pub const MAX_MEMORY: usize = 16 << 20;
/// See [`MAX_MEMORY`].
pub const MAX_TABLE: usize = 100_000;

/// A valid module → instantiate with fuel and limits, call every exported
/// function with zero arguments: traps, exhaustion, uncaught exceptions and
/// the store's limits (of live exception objects, say) are fine, a panic or
/// a host error is not.
pub fn execute(wasm: &[u8]) {
    let mut config = Config::new();
    config.consume_fuel(true);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, wasm).expect("wasm-smith modules are valid");
    let mut store = Store::new(&engine, ());
    store.set_limits(
        StoreLimitsBuilder::new()
            .memory_size(MAX_MEMORY)
            .table_elements(MAX_TABLE as u64)
            .gc_heap(MAX_MEMORY)
            .build(),
    );
    store.set_fuel(FUEL).unwrap();
    let Ok(instance) = Linker::new(&engine).instantiate(&mut store, &module) else {
        return;
    };
    for (name, ext) in instance
        .exports(&store)
        .into_iter()
        .map(|(n, e)| (n.to_owned(), e))
        .collect::<Vec<_>>()
    {
        let Extern::Func(f) = ext else { continue };
        let ty = f
            .ty(&store)
            .expect("the store owns its instance's functions");
        // A non-nullable reference parameter has no default argument.
        if ty
            .params()
            .iter()
            .any(|t| matches!(t, nanowasm::ValType::Ref(r) if !r.nullable()))
        {
            continue;
        }
        let params: Vec<Val> = ty.params().iter().map(|&t| Val::default_for(t)).collect();
        let mut results: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
        store.set_fuel(FUEL).unwrap();
        match f.call(&mut store, &params, &mut results) {
            Ok(()) => {}
            Err(e)
                if e.as_trap().is_some()
                    || e.as_exception().is_some()
                    || matches!(e.kind(), nanowasm::ErrorKind::Limit(_)) => {}
            Err(e) => panic!("calling `{name}`: not a trap: {e}"),
        }
    }
}
