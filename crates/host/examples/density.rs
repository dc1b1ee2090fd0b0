//! Density: how many idle nanoprocesses one host process holds, and what
//! each costs in resident memory. Each is a fresh instance of a small
//! module (one 64 KiB page of linear memory) from a template, called once
//! to touch its memory, then kept alive.
//!
//! `cargo run --release -p nanowasm-host --example density -- 100000 [DATA_KIB]`
//!
//! With `DATA_KIB`, the module also has a data segment of that many KiB
//! (read-only data, as a C program's `.rodata`): it is mapped
//! copy-on-write from the module's image, so processes that only read it
//! share its pages and the per-process figure stays flat.

use nanowasm_host::{Manifest, Sig, System, Value};

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let dir = std::env::temp_dir().join(format!("nanowasm-density-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data_kib: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let mut wat = include_str!("../benches/modules/idle.wat")
        .trim_end()
        .to_owned();
    if data_kib > 0 {
        wat.pop(); // the module's closing parenthesis
        let pages = (4096 + data_kib * 1024).div_ceil(65536);
        wat = wat.replace(
            "(memory (export \"memory\") 1)",
            &format!("(memory (export \"memory\") {pages})"),
        );
        wat += &format!(
            "\n  (data (i32.const 4096) \"{}\"))",
            "d".repeat(data_kib * 1024)
        );
    }
    std::fs::write(
        dir.join("idle.wasm"),
        nanowasm_text::parse_wat(&wat).unwrap(),
    )
    .unwrap();
    let manifest = "[[process]]\nname = \"idle\"\nmodule = \"idle.wasm\"\n";
    let sys = System::new(&Manifest::parse(manifest, &dir).unwrap()).unwrap();
    let template = sys.template("idle").unwrap();
    let touch = Sig::parse("(i32)").unwrap();
    let before = rss_bytes();
    let start = std::time::Instant::now();
    let mut procs = Vec::with_capacity(n);
    for i in 0..n {
        let mut p = template.instantiate().unwrap();
        p.call("touch", &touch, &[Value::I32(i as i32)]).unwrap();
        procs.push(p);
    }
    let elapsed = start.elapsed();
    let after = rss_bytes();
    // Every process still answers with its own value.
    let get = Sig::parse("() -> i32").unwrap();
    for (i, p) in procs.iter_mut().enumerate().step_by((n / 100).max(1)) {
        assert_eq!(
            p.call("get", &get, &[]).unwrap(),
            Some(Value::I32(i as i32))
        );
    }
    let per = after.saturating_sub(before) as f64 / n as f64;
    println!(
        "{n} idle nanoprocesses ({data_kib} KiB data each): RSS {:.1} MiB -> {:.1} MiB, {:.1} KiB each; created in {:.3} s ({:.2} us each)",
        before as f64 / f64::from(1 << 20),
        after as f64 / f64::from(1 << 20),
        per / 1024.0,
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / n as f64
    );
    println!(
        "at that rate 24 GiB holds {:.0} of them",
        (24u64 << 30) as f64 / per.max(1.0)
    );
    let _ = std::fs::remove_dir_all(dir);
}
