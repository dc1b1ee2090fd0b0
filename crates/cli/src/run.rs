//! `nanowasm run [OPTIONS] FILE [ARGS...]`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args as ClapArgs;
use nanowasm::{Config, Engine, Error, Linker, Module, Store, StoreLimitsBuilder, Val, ValType};

/// Arguments of `nanowasm run`.
#[derive(ClapArgs)]
pub struct Args {
    /// The WebAssembly module to run (`.wasm` binary or `.wat` text).
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// Arguments: for `--invoke`, the function's arguments (integers, or
    /// floats for f32/f64 parameters).
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
    match execute(&args) {
        Ok(code) => code,
        Err(e) => {
            let code = match &e {
                // Like wasmtime: a trap exits as if by SIGABRT.
                Error::Trap(_) => 134,
                Error::Exit(status) => return ExitCode::from(*status as u8),
                _ => 1,
            };
            eprintln!(
                "Error: failed to run `{}`\n\nCaused by:\n    {}",
                args.file.display(),
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
    let bytes = crate::input::read_module(&args.file).map_err(Error::Usage)?;
    let mut config = Config::new();
    config.consume_fuel(args.fuel.is_some());
    let engine = Engine::new(&config);
    let module = Module::new(&engine, &bytes)?;
    let mut store = Store::new(&engine, ());
    if let Some(fuel) = args.fuel {
        store.set_fuel(fuel)?;
    }
    if let Some(max) = args.max_memory_size {
        store.set_limits(StoreLimitsBuilder::new().memory_size(max).build());
    }
    if let Some((m, n, _)) = module
        .imports()
        .find(|(m, _, _)| *m == "wasi_snapshot_preview1" || *m == "wasi_unstable")
    {
        return Err(Error::Link(format!(
            "unknown import: `{m}::{n}` has not been defined (WASI is not supported yet)"
        )));
    }
    let instance = Linker::new().instantiate(&mut store, &module)?;
    let name = args.invoke.as_deref().unwrap_or("_start");
    let func = instance.get_func(&store, name).ok_or_else(|| {
        Error::Usage(match &args.invoke {
            Some(n) => format!("the module exports no function named `{n}`"),
            None => "the module has no `_start` function; use --invoke FUNCTION".into(),
        })
    })?;
    let ty = func.ty(&store);
    if args.invoke.is_none() && !args.args.is_empty() {
        return Err(Error::Usage(
            "program arguments need WASI, which is not supported yet".into(),
        ));
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
