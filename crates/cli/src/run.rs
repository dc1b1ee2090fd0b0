//! `nanowasm run [OPTIONS] FILE [ARGS...]`

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args as ClapArgs;
use nanowasm::wasi::WasiCtx;
use nanowasm::{Config, Engine, Error, Linker, Module, Store, StoreLimitsBuilder, Val, ValType};

/// Arguments of `nanowasm run`.
#[derive(ClapArgs)]
pub struct Args {
    /// The WebAssembly module to run (`.wasm` binary or `.wat` text).
    #[arg(value_name = "FILE", required_unless_present = "manifest")]
    file: Option<PathBuf>,

    /// Run a composition of nanoprocesses described by a TOML manifest
    /// (each process isolated, with only the capabilities the manifest
    /// grants it) instead of one module: the manifest's `[run]` entry is
    /// called.
    #[arg(long, value_name = "MANIFEST", conflicts_with_all = ["invoke", "dirs", "dirs_ro", "envs"])]
    manifest: Option<PathBuf>,

    /// Arguments: the program's arguments (after its name), or with
    /// `--invoke` the function's arguments (integers, or floats for f32/f64
    /// parameters).
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    args: Vec<String>,

    /// Call this exported function instead of `_start` and print its
    /// results, one per line.
    #[arg(long, value_name = "FUNCTION")]
    invoke: Option<String>,

    /// Run with this much fuel (about one unit per instruction); running out
    /// is a trap.
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,

    /// The most bytes a linear memory may grow to; `memory.grow` beyond
    /// returns -1.
    #[arg(long, value_name = "BYTES")]
    max_memory_size: Option<usize>,

    /// Grant the guest the host directory HOST, seen as GUEST (default:
    /// HOST as written). Repeatable. Nothing else of the host file system is
    /// reachable: paths cannot leave it through `..`, absolute paths or
    /// symbolic links.
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,

    /// Like `--dir`, read-only: every change beneath it fails (EPERM).
    #[arg(long = "dir-ro", value_name = "HOST[::GUEST]")]
    dirs_ro: Vec<String>,

    /// Set an environment variable for the guest (`NAME=VALUE`), or pass
    /// the host's value of NAME (`NAME`). Repeatable; nothing else of the
    /// host environment is visible.
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    envs: Vec<String>,

    /// Give the guest a TCP socket listening on ADDR (e.g. 127.0.0.1:8080)
    /// as a preopened descriptor for `sock_accept`.
    #[arg(long = "tcplisten", value_name = "ADDR")]
    tcplisten: Vec<String>,

    /// Interrupt the guest after this long (e.g. `500ms`, `10s`, `2m`),
    /// whether it is running or waiting in a WASI call (a sleep, a read of
    /// stdin or a socket, a write to a full pipe); being interrupted is a
    /// trap.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<std::time::Duration>,
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((s, "s"), |i| (&s[..i], &s[i..]));
    let v: f64 = num.parse().map_err(|_| format!("invalid duration `{s}`"))?;
    let secs = match unit {
        "ns" => v / 1e9,
        "us" => v / 1e6,
        "ms" => v / 1e3,
        "s" => v,
        "m" => v * 60.0,
        "h" => v * 3600.0,
        _ => return Err(format!("invalid duration `{s}`: unknown unit `{unit}`")),
    };
    std::time::Duration::try_from_secs_f64(secs).map_err(|e| format!("invalid duration `{s}`: {e}"))
}

/// `HOST[::GUEST]`.
fn dir_spec(s: &str) -> (&str, &str) {
    match s.split_once("::") {
        Some((h, g)) => (h, g),
        None => (s, s),
    }
}

fn wasi_ctx(args: &Args) -> Result<WasiCtx, Error> {
    let mut b = WasiCtx::builder();
    b.inherit_stdio().allow_clocks(true).allow_random(true);
    b.arg(
        args.file
            .as_deref()
            .map(|f| f.display().to_string())
            .unwrap_or_default(),
    );
    if args.invoke.is_none() {
        b.args(args.args.iter().cloned());
    }
    for e in &args.envs {
        match e.split_once('=') {
            Some((k, v)) => {
                b.env(k, v);
            }
            None => {
                if let Ok(v) = std::env::var(e) {
                    b.env(e.as_str(), v);
                }
            }
        }
    }
    for d in &args.dirs {
        let (host, guest) = dir_spec(d);
        b.preopened_dir(
            host,
            guest,
            nanowasm::wasi::DirPerms::all(),
            nanowasm::wasi::FilePerms::all(),
        );
    }
    for d in &args.dirs_ro {
        let (host, guest) = dir_spec(d);
        b.preopened_dir(
            host,
            guest,
            nanowasm::wasi::DirPerms::READ,
            nanowasm::wasi::FilePerms::READ,
        );
    }
    for a in &args.tcplisten {
        let l = std::net::TcpListener::bind(a)
            .map_err(|e| Error::Usage(format!("--tcplisten {a}: {e}")))?;
        b.preopened_listener(l);
    }
    b.build().map_err(|e| Error::Usage(e.to_string()))
}

fn parse_arg(s: &str, ty: ValType) -> Result<Val, String> {
    let bad = |e: &dyn std::fmt::Display| format!("invalid {ty} argument `{s}`: {e}");
    Ok(match ty {
        ValType::I32 => Val::I32(
            s.parse::<i32>()
                .or_else(|_| s.parse::<u32>().map(|u| u as i32))
                .map_err(|e| bad(&e))?,
        ),
        ValType::I64 => Val::I64(
            s.parse::<i64>()
                .or_else(|_| s.parse::<u64>().map(|u| u as i64))
                .map_err(|e| bad(&e))?,
        ),
        ValType::F32 => Val::F32(s.parse::<f32>().map_err(|e| bad(&e))?.to_bits()),
        ValType::F64 => Val::F64(s.parse::<f64>().map_err(|e| bad(&e))?.to_bits()),
        other => {
            return Err(format!(
                "cannot pass a {other} argument from the command line"
            ))
        }
    })
}

fn show(v: &Val) -> String {
    match v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(b) => f32::from_bits(*b).to_string(),
        Val::F64(b) => f64::from_bits(*b).to_string(),
        Val::V128(x) => format!("{x:#034x}"),
        Val::FuncRef(None) | Val::ExternRef(None) => "null".into(),
        Val::FuncRef(Some(_)) => "<funcref>".into(),
        Val::ExternRef(Some(_)) => "<externref>".into(),
    }
}

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    if let Some(m) = &args.manifest {
        return run_manifest(m);
    }
    match execute(&args) {
        Ok(code) => code,
        Err(e) => {
            let code = match &e {
                // WASI's `proc_exit` only exits with statuses in 0..126
                // (anything else is a host error, below).
                Error::Exit(nanowasm::I32Exit(status)) => {
                    return ExitCode::from(u8::try_from(*status).unwrap_or(1))
                }
                // Like wasmtime: a trap exits as if by SIGABRT; any other
                // error (a failing host function, such as `proc_exit` with
                // an invalid status) with 1.
                Error::Trap(_) => 134,
                _ => 1,
            };
            eprintln!(
                "Error: failed to run `{}`\n\nCaused by:\n    {}",
                args.file
                    .as_deref()
                    .unwrap_or(std::path::Path::new("-"))
                    .display(),
                indent(&e.to_string())
            );
            ExitCode::from(code)
        }
    }
}

fn indent(s: &str) -> String {
    s.replace('\n', "\n    ")
}

fn execute(args: &Args) -> Result<ExitCode, Error> {
    let file = args
        .file
        .as_deref()
        .ok_or_else(|| Error::Usage("no module given".into()))?;
    let bytes = crate::input::read_module(file).map_err(Error::Usage)?;
    let mut config = Config::new();
    config.consume_fuel(args.fuel.is_some());
    config.epoch_interruption(args.timeout.is_some());
    let engine = Engine::new(&config);
    let module = Module::new(&engine, &bytes)?;
    let mut store = Store::new(&engine, wasi_ctx(args)?);
    if let Some(fuel) = args.fuel {
        store.set_fuel(fuel)?;
    }
    if let Some(max) = args.max_memory_size {
        store.set_limits(StoreLimitsBuilder::new().memory_size(max).build());
    }
    // One deadline for running code (the epoch) and for blocking WASI
    // calls (`poll_oneoff`, reads of stdin and sockets, writes to a full
    // pipe): both end the guest with the same interrupt trap. A timeout
    // too large to add to now never comes.
    if let Some(deadline) = args.timeout.and_then(|t| Instant::now().checked_add(t)) {
        store.set_epoch_deadline(1);
        store.data_mut().set_deadline(Some(deadline));
        let engine = engine.clone();
        std::thread::spawn(move || {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            engine.increment_epoch();
        });
    }
    let mut linker = Linker::new(&engine);
    nanowasm::wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx)?;
    let instance = linker.instantiate(&mut store, &module)?;
    let name = args.invoke.as_deref().unwrap_or("_start");
    let func = instance.get_func(&store, name).ok_or_else(|| {
        Error::Usage(match &args.invoke {
            Some(n) => format!("the module exports no function named `{n}`"),
            None => "the module has no `_start` function; use --invoke FUNCTION".into(),
        })
    })?;
    let ty = func.ty(&store);
    if args.invoke.is_none() {
        // A command: its arguments went to WASI.
        func.call(&mut store, &[], &mut [])?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.args.len() != ty.params().len() {
        return Err(Error::Usage(format!(
            "`{name}` has type {ty}: expected {} arguments, got {}",
            ty.params().len(),
            args.args.len()
        )));
    }
    let params = args
        .args
        .iter()
        .zip(ty.params())
        .map(|(s, &t)| parse_arg(s, t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Usage)?;
    let mut results: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
    func.call(&mut store, &params, &mut results)?;
    for r in &results {
        println!("{}", show(r));
    }
    Ok(ExitCode::SUCCESS)
}

/// `nanowasm run --manifest FILE`.
fn run_manifest(path: &std::path::Path) -> ExitCode {
    use nanowasm::host::{FaultKind, HostError, Manifest, System};
    let result = Manifest::from_file(path)
        .and_then(|m| System::new(&m))
        .and_then(|s| s.run());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(HostError::Exit { status, .. }) => ExitCode::from(status as u8),
        Err(e) => {
            eprintln!("Error: {}: {}", path.display(), indent(&e.to_string()));
            // As for one module: a trap (fuel and deadlines included)
            // exits as if by SIGABRT, a failing host function (such as
            // `proc_exit` with an invalid status) or a limit with 1.
            ExitCode::from(match e {
                HostError::Fault {
                    kind: FaultKind::Host | FaultKind::Limit,
                    ..
                } => 1,
                HostError::Fault { .. } => 134,
                _ => 1,
            })
        }
    }
}
