//! `nanowasm-calls [--n N] [KIND...]`: the call paths of the micro
//! benchmark (`cargo bench -p nanowasm-runtime --bench micro -- call/`),
//! as a plain loop for profilers: `valgrind --tool=callgrind` counts
//! instructions per call without criterion's machinery around them.
//! KIND is `nop`, `add`, `host` (wasm→host, 1000 per outer call),
//! `component` or `component_interp` (component-to-component calls with
//! a 100-byte string each way, the `components` benchmark's
//! `echo_pair.wat`, compiled or interpreted; 1000 per outer call); each
//! prints its mean time per call.

use std::process::ExitCode;
use std::time::Instant;

use nanowasm_runtime::{Engine, Linker, Module, Store};

const SMALL: &str = r#"(module
    (import "env" "tick" (func $tick))
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func (export "nop"))
    (func (export "call_host") (param $n i32)
        (loop $l (call $tick)
            (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))"#;

fn main() -> ExitCode {
    let mut n: u64 = 1_000_000;
    let mut kinds = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--n" => match args.next().and_then(|v| v.parse().ok()).filter(|&n| n > 0) {
                Some(v) => n = v,
                None => {
                    eprintln!("nanowasm-calls: --n needs a positive integer");
                    return ExitCode::from(2);
                }
            },
            "nop" | "add" | "host" | "component" | "component_interp" => kinds.push(a),
            _ => {
                eprintln!(
                    "nanowasm-calls: unknown argument {a:?} \
                     (kinds: nop, add, host, component, component_interp)"
                );
                return ExitCode::from(2);
            }
        }
    }
    if kinds.is_empty() {
        kinds = vec!["nop".into(), "add".into(), "host".into()];
    }
    let engine = Engine::default();
    let bytes = nanowasm_text::parse_wat(SMALL).expect("the module parses");
    let module = Module::new(&engine, bytes).expect("the module compiles");
    let mut linker = Linker::new(&engine);
    linker.func_wrap("env", "tick", || {}).expect("a new name");
    let mut store = Store::new(&engine, ());
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("the module instantiates");
    for kind in &kinds {
        let t0 = Instant::now();
        let calls = match kind.as_str() {
            "nop" => {
                let f = instance
                    .get_typed_func::<(), ()>(&mut store, "nop")
                    .unwrap();
                for _ in 0..n {
                    f.call(&mut store, ()).unwrap();
                }
                n
            }
            "add" => {
                let f = instance
                    .get_typed_func::<(i32, i32), i32>(&mut store, "add")
                    .unwrap();
                let mut acc = 0i32;
                for i in 0..n {
                    acc = acc.wrapping_add(f.call(&mut store, (i as i32, 1)).unwrap());
                }
                std::hint::black_box(acc);
                n
            }
            "component" | "component_interp" => component_calls(n, kind == "component_interp"),
            _ => {
                let f = instance
                    .get_typed_func::<i32, ()>(&mut store, "call_host")
                    .unwrap();
                let outer = n.div_ceil(1000);
                for _ in 0..outer {
                    f.call(&mut store, 1000).unwrap();
                }
                outer * 1000
            }
        };
        let ns = t0.elapsed().as_nanos() as f64 / calls as f64;
        println!("{kind}: {ns:.1} ns per call ({calls} calls)");
    }
    ExitCode::SUCCESS
}

/// `n` (rounded up to a thousand) component-to-component calls.
fn component_calls(n: u64, interp: bool) -> u64 {
    use nanowasm_component::runtime::{Component, Linker, Val};
    let text = include_str!("../../benches/components/echo_pair.wat");
    let bytes = nanowasm_text::parse_wat(text).expect("the component parses");
    let mut config = nanowasm_runtime::Config::new();
    if interp {
        config.strategy(nanowasm_runtime::Strategy::Interpreter);
    }
    let engine = Engine::new(&config);
    let component = Component::new(&engine, &bytes).expect("the component compiles");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .expect("the component instantiates");
    let run = instance.get_func(&mut store, "run").expect("`run` exists");
    let outer = n.div_ceil(1000);
    for _ in 0..outer {
        let mut out = [Val::U32(0)];
        run.call(&mut store, &[Val::U32(1000)], &mut out)
            .expect("the calls succeed");
        assert_eq!(out[0], Val::U32(100_000));
    }
    outer * 1000
}
