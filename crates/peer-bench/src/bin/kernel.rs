//! `nanowasm-kernel [--strategy auto|compiler|interpreter] [--no-avx2] FILE`: one compute
//! kernel (`run() -> i32`, no imports) for `bench/run`, timed inside the
//! process as the wasmtime, wasm3 and node peers are: from the bytes to the
//! result (engine, `Module::new`, instantiation, the call), so process
//! start-up is not counted. Prints one JSON line:
//! `{"result": N, "total_s": T, "load_s": L, "run_s": R}`.

use std::process::ExitCode;
use std::time::Instant;

use nanowasm_runtime::{Config, Engine, Instance, Module, Store, Strategy};

fn main() -> ExitCode {
    let mut strategy = Strategy::Auto;
    let mut avx2 = true;
    let mut file = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--strategy" => {
                strategy = match args.next().as_deref() {
                    Some("auto") => Strategy::Auto,
                    Some("compiler") => Strategy::Compiler,
                    Some("interpreter") => Strategy::Interpreter,
                    other => {
                        eprintln!("nanowasm-kernel: unknown strategy {other:?}");
                        return ExitCode::from(2);
                    }
                }
            }
            // Compiled code for the SSE4.1 baseline (`-C avx2=n`).
            "--no-avx2" => avx2 = false,
            _ => file = Some(a),
        }
    }
    let Some(file) = file else {
        eprintln!("usage: nanowasm-kernel [--strategy auto|compiler|interpreter] [--no-avx2] FILE");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("nanowasm-kernel: {file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let t0 = Instant::now();
    let mut config = Config::new();
    config.strategy(strategy).avx2(avx2);
    let engine = Engine::new(&config);
    let result = Module::new(&engine, &bytes).and_then(|m| {
        let mut store = Store::new(&engine, ());
        let i = Instance::new(&mut store, &m, &[])?;
        let run = i.get_typed_func::<(), i32>(&mut store, "run")?;
        let t1 = Instant::now();
        let r = run.call(&mut store, ())?;
        Ok((r, t1))
    });
    match result {
        Ok((r, t1)) => {
            let t2 = Instant::now();
            println!(
                "{{\"result\": {r}, \"total_s\": {}, \"load_s\": {}, \"run_s\": {}}}",
                (t2 - t0).as_secs_f64(),
                (t1 - t0).as_secs_f64(),
                (t2 - t1).as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nanowasm-kernel: {file}: {e}");
            ExitCode::FAILURE
        }
    }
}
