//! Nanoprocess costs, in one run:
//!
//! - `instantiate/*`: a fresh nanoprocess (new store, WASI state and
//!   instance) from a linked template;
//! - `cross_call_100B/*`: a call with a 100-byte string argument and a
//!   100-byte string result, between two nanoprocesses (copied through
//!   `cabi_realloc` both ways), against the same call to a host function
//!   (the data read out of and written back into the caller, no second
//!   store) and a round trip of 100 bytes through pipes to another OS
//!   process (`cat`).
//!
//! Density (idle nanoprocesses per GiB) is measured by the `density`
//! example, which needs a whole process to itself.

use std::io::{Read, Write};
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nanowasm_host::{Manifest, System};

fn dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("nanowasm-host-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/modules");
    for m in ["echo", "client", "idle"] {
        let wat = std::fs::read_to_string(here.join(format!("{m}.wat"))).unwrap();
        std::fs::write(
            d.join(format!("{m}.wasm")),
            nanowasm_text::parse_wat(&wat).unwrap(),
        )
        .unwrap();
    }
    d
}

const MANIFEST: &str = r#"
[[process]]
name = "echo"
module = "echo.wasm"
[[process]]
name = "client"
module = "client.wasm"
imports = [{ module = "echo", name = "echo", sig = "(string) -> string" }]
[[process]]
name = "idle"
module = "idle.wasm"
"#;

fn instantiate(c: &mut Criterion) {
    let d = dir();
    let sys = System::new(&Manifest::parse(MANIFEST, &d).unwrap()).unwrap();
    let mut g = c.benchmark_group("instantiate");
    for name in ["idle", "echo", "client"] {
        let t = sys.template(name).unwrap();
        g.bench_function(name, |b| b.iter(|| t.instantiate().unwrap()));
    }
    g.finish();
}

fn cross_call(c: &mut Criterion) {
    let d = dir();
    let sys = System::new(&Manifest::parse(MANIFEST, &d).unwrap()).unwrap();
    let n = 1000;
    let mut g = c.benchmark_group("cross_call_100B");
    g.throughput(Throughput::Elements(n as u64));
    // nanoprocess → nanoprocess, n calls per iteration.
    g.bench_function("nanoprocess", |b| {
        b.iter(|| {
            let r = sys
                .call(
                    "client",
                    "run",
                    "(i32) -> i32",
                    &[nanowasm_host::Value::I32(n)],
                )
                .unwrap();
            assert_eq!(r, Some(nanowasm_host::Value::I32(100 * n)));
        })
    });
    // The same module calling a host function that copies the string out
    // and back in (what a cross call does, minus the second store).
    {
        use nanowasm_runtime::{Caller, Engine, Error, Extern, Linker, Module, Store, Val};
        let engine = Engine::default();
        let wasm = std::fs::read(d.join("client.wasm")).unwrap();
        let module = Module::new(&engine, &wasm).unwrap();
        let mut linker: Linker<()> = Linker::new(&engine);
        linker
            .func_wrap(
                "echo",
                "echo",
                |mut caller: Caller<'_, ()>, ptr: i32, len: i32| -> Result<i64, Error> {
                    let Some(Extern::Memory(m)) = caller.get_export("memory") else {
                        return Ok(0);
                    };
                    let data = m.data(&caller)?[ptr as usize..(ptr + len) as usize].to_vec();
                    let Some(Extern::Func(realloc)) = caller.get_export("cabi_realloc") else {
                        return Ok(0);
                    };
                    let mut out = [Val::I32(0)];
                    realloc.call(
                        &mut caller,
                        &[Val::I32(0), Val::I32(0), Val::I32(1), Val::I32(len)],
                        &mut out,
                    )?;
                    let Val::I32(p) = out[0] else { return Ok(0) };
                    m.data_mut(&mut caller)?[p as usize..p as usize + data.len()]
                        .copy_from_slice(&data);
                    Ok(((len as i64) << 32) | p as i64)
                },
            )
            .unwrap();
        let mut store = Store::new(&engine, ());
        let inst = linker.instantiate(&mut store, &module).unwrap();
        let run = inst.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
        g.bench_function("host_function", |b| {
            b.iter(|| assert_eq!(run.call(&mut store, n).unwrap(), 100 * n))
        });
    }
    // 100 bytes to another OS process and back through pipes.
    {
        let mut child = std::process::Command::new("cat")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut tx = child.stdin.take().unwrap();
        let mut rx = child.stdout.take().unwrap();
        let msg = [b'x'; 100];
        let mut back = [0u8; 100];
        g.bench_function("os_process_pipe", |b| {
            b.iter(|| {
                for _ in 0..n {
                    tx.write_all(&msg).unwrap();
                    rx.read_exact(&mut back).unwrap();
                }
            })
        });
        drop(tx);
        let _ = child.wait();
    }
    g.finish();
}

criterion_group!(benches, instantiate, cross_call);
criterion_main!(benches);
