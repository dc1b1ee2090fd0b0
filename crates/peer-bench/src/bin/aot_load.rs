//! `nanowasm-aot-load [--reps N] FILE.cwasm...`: the load time of compiled
//! artifacts (`nanowasm compile`): `Module::deserialize_file`, and for a
//! module without imports also `Instance::new`; medians over `N` runs
//! (default 20), as one JSON line per file.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use nanowasm_runtime::{Engine, Instance, Module, Store};

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() -> ExitCode {
    let mut reps = 20;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--reps" => match args.next().and_then(|v| v.parse().ok()).filter(|&n| n > 0) {
                Some(n) => reps = n,
                None => {
                    eprintln!("nanowasm-aot-load: --reps needs a positive integer");
                    return ExitCode::from(2);
                }
            },
            _ => files.push(a),
        }
    }
    let engine = Engine::default();
    for f in &files {
        let (mut loads, mut insts) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            let t0 = Instant::now();
            // SAFETY: benchmark input: artifacts made by `nanowasm compile`
            // of this build.
            let m = match unsafe { Module::deserialize_file(&engine, f) } {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("nanowasm-aot-load: {f}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let t1 = Instant::now();
            loads.push(t1 - t0);
            if m.imports().next().is_none() {
                let mut store = Store::new(&engine, ());
                if Instance::new(&mut store, &m, &[]).is_ok() {
                    insts.push(t1.elapsed());
                }
            }
        }
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        let inst = if insts.is_empty() {
            "null".to_owned()
        } else {
            format!("{:.1}", us(median(insts)))
        };
        println!(
            "{{\"file\": {f:?}, \"reps\": {reps}, \"deserialize_file_us\": {:.1}, \"instantiate_us\": {inst}}}",
            us(median(loads))
        );
    }
    ExitCode::SUCCESS
}
