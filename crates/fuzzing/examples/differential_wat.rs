//! Runs the differential oracle (nanowasm against wasmi) on a text module,
//! for minimizing a finding by hand:
//! `cargo run -p nanowasm-fuzzing --example differential_wat -- case.wat`.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: differential_wat FILE.wat");
        std::process::exit(2);
    };
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let bytes = nanowasm_text::parse_wat(&src)
        .unwrap_or_else(|e| panic!("{}", e.display_with(&path, &src)));
    nanowasm_fuzzing::differential::differential(&bytes);
    println!("nanowasm and wasmi agree");
}
