//! Prints what a `wasi` fuzz input decodes to (the context and each step,
//! calls by name), then runs it under the oracle, for reading and
//! minimizing a finding:
//! `cargo run -p nanowasm-fuzzing --example wasi_input -- crash-...`.

use nanowasm_fuzzing::wasi::{self, CountingAlloc, Input, Op, FUNCS};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: wasi_input FILE");
        std::process::exit(2);
    };
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut u = arbitrary::Unstructured::new(&data);
    let Ok(input) = Input::decode(&mut u) else {
        println!("{path}: too short to decode; the oracle ignores it");
        return;
    };
    println!("{:#?}", input.setup);
    for op in &input.ops {
        match op {
            Op::Call { func, args } => println!("{}{args:?}", FUNCS[*func].0),
            Op::Write { at, bytes } if bytes.len() > 64 => {
                println!("write {} bytes at {at}", bytes.len())
            }
            other => println!("{other:?}"),
        }
    }
    wasi::run(&input);
    println!("the oracle is satisfied");
}
