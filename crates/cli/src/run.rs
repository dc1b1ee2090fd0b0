//! `nanowasm [run] [OPTIONS] WASM [ARGS...]`, as `wasmtime run`.
//!
//! Everything after the module goes to the guest, flags included, so
//! `nanowasm x.wasm --nocapture -- a b` gives the guest the argv
//! `[x.wasm, --nocapture, --, a, b]` (cargo's runner convention).
//!
//! Exit status (wasmtime's, on Unix): the guest's `proc_exit` status (WASI
//! only lets it be below 126; a larger one is an error); 134 if the guest
//! traps or throws an exception nothing catches (as if by SIGABRT); 1 for
//! any other error, with `Error:` and a
//! `Caused by:` chain on stderr; 2 for a command line clap refuses.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use clap::Args as ClapArgs;
use nanowasm::wasi::{DirPerms, FilePerms, WasiCtx};
use nanowasm::{
    Config, Engine, Error, Extern, Func, Instance, Linker, Module, ProfilingStrategy, Store,
    StoreLimitsBuilder, Strategy, Val, ValType,
};
use nanowasm_component::runtime::wave::FuncCall;
use nanowasm_core::Features;

use crate::opts::{self, GroupParser, Setting, Value};

/// Arguments of `nanowasm run` (also of `nanowasm` without a subcommand).
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Options for running WebAssembly (wasmtime's `-W`): `fuel=N`,
    /// `max-memory-size=N`, `timeout=1h30m`, ...; `-W help` lists them.
    #[arg(short = 'W', long = "wasm", value_name = "KEY[=VAL[,..]]", value_parser = GroupParser(&opts::WASM))]
    wasm: Vec<Vec<Setting>>,

    /// Options for WASI (wasmtime's `-S`): `inherit-env`,
    /// `tcplisten=ADDR`, `cli=n`, ...; `-S help` lists them.
    #[arg(short = 'S', long = "wasi", value_name = "KEY[=VAL[,..]]", value_parser = GroupParser(&opts::WASI))]
    wasi: Vec<Vec<Setting>>,

    /// Code generation (wasmtime's `-C`): `strategy=interpreter|auto`;
    /// `-C help` lists them.
    #[arg(short = 'C', long = "codegen", value_name = "KEY[=VAL[,..]]", value_parser = GroupParser(&opts::CODEGEN))]
    codegen: Vec<Vec<Setting>>,

    /// Tuning (wasmtime's `-O`): `memory-init-cow=y|n`, `signals-based-traps=y|n`; `-O help` lists
    /// them.
    #[arg(short = 'O', long = "optimize", value_name = "KEY[=VAL[,..]]", value_parser = GroupParser(&opts::OPTIMIZE))]
    optimize: Vec<Vec<Setting>>,

    /// Debugging (wasmtime's `-D`); `-D help` lists what nanowasm has.
    #[arg(short = 'D', long = "debug", value_name = "KEY[=VAL[,..]]", value_parser = GroupParser(&opts::DEBUG))]
    debug: Vec<Vec<Setting>>,

    /// Profiling (wasmtime's flag): `perfmap` appends each compiled
    /// function's code range to /tmp/perf-<pid>.map, so `perf report`
    /// names guest functions (functions the interpreter runs are not
    /// listed). wasmtime's `jitdump`, `vtune` and `guest` are refused.
    #[arg(long = "profile", value_name = "STRATEGY")]
    profile: Option<String>,

    /// Allow running a precompiled artifact (`.cwasm`, from `nanowasm
    /// compile`), as wasmtime's flag does. Its machine code runs as it is:
    /// only run artifacts you made or trust.
    #[arg(long = "allow-precompiled")]
    allow_precompiled: bool,

    /// Grant the guest the host directory HOST, seen as GUEST (default:
    /// HOST as written). Repeatable. Nothing else of the host file system is
    /// reachable: paths cannot leave it through `..`, absolute paths or
    /// symbolic links.
    #[arg(long = "dir", value_name = "HOST_DIR[::GUEST_DIR]")]
    dirs: Vec<String>,

    /// Like `--dir`, read-only: every change beneath it fails (EPERM).
    #[arg(long = "dir-ro", value_name = "HOST_DIR[::GUEST_DIR]")]
    dirs_ro: Vec<String>,

    /// Set an environment variable for the guest (`NAME=VALUE`), or pass
    /// the host's value of NAME (`NAME`). Repeatable; nothing else of the
    /// host environment is visible unless `-S inherit-env`.
    #[arg(long = "env", value_name = "NAME[=VAL]")]
    envs: Vec<String>,

    /// Call this exported function instead of `_start` and print its
    /// results, one per line; the arguments after the module are its
    /// arguments (integers, `0x` hexadecimal, or floats). For a component,
    /// a call in WAVE with its arguments, as wasmtime: `--invoke 'add(1,
    /// 2)'`, `--invoke 'greet("x", [1, 2], {a: 1}, some(ok))'`; the
    /// function is found by name at the top level or in an exported
    /// instance (`IFACE#NAME` picks one), and its result is printed in WAVE
    /// (`()` for none).
    #[arg(long, value_name = "FUNCTION")]
    invoke: Option<String>,

    /// The guest's `argv[0]` (default: the module's file name).
    #[arg(long, value_name = "NAME")]
    argv0: Option<String>,

    /// Instantiate the module at MODULE_PATH first and let the main module
    /// import its exports under NAME. Repeatable.
    #[arg(long = "preload", value_name = "NAME=MODULE_PATH", value_parser = parse_preload)]
    preloads: Vec<(String, PathBuf)>,

    /// Run a composition of nanoprocesses described by a TOML manifest
    /// (each process isolated, with only the capabilities the manifest
    /// grants it) instead of one module: the manifest's `[run]` entry is
    /// called. The manifest names the modules, so no module may be given.
    #[arg(long, value_name = "MANIFEST", conflicts_with_all = [
        "module_and_args", "invoke", "dirs", "dirs_ro", "envs", "argv0", "preloads",
        "wasm", "wasi", "fuel", "max_memory_size", "timeout", "tcplisten",
    ])]
    manifest: Option<PathBuf>,

    /// Alias of `-W fuel=N`.
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,

    /// Alias of `-W max-memory-size=BYTES`.
    #[arg(long, value_name = "BYTES")]
    max_memory_size: Option<usize>,

    /// Alias of `-W timeout=DURATION` (`500ms`, `10s`, `1h30m`; a number
    /// alone is seconds).
    #[arg(long, value_name = "DURATION", value_parser = opts::parse_duration)]
    timeout: Option<Duration>,

    /// Alias of `-S tcplisten=ADDR`.
    #[arg(long = "tcplisten", value_name = "ADDR")]
    tcplisten: Vec<String>,

    /// The module (`.wasm` binary or `.wat` text), then the guest's
    /// arguments (or, with `--invoke`, the function's). Everything after the
    /// module goes to the guest, even what looks like a flag.
    #[arg(
        value_name = "WASM",
        trailing_var_arg = true,
        required_unless_present = "manifest"
    )]
    module_and_args: Vec<OsString>,
}

fn parse_preload(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => {
            Ok((name.to_owned(), PathBuf::from(path)))
        }
        _ => Err(format!("`{s}`: expected NAME=MODULE_PATH")),
    }
}

/// `HOST[::GUEST]`.
fn dir_spec(s: &str) -> (&str, &str) {
    s.split_once("::").unwrap_or((s, s))
}

/// Every setting of the command line, the option groups and their long
/// aliases merged (a later one wins).
#[derive(Debug, Default)]
struct Plan {
    features: Features,
    /// `-W component-model=n`: components are refused.
    no_components: bool,
    fuel: Option<u64>,
    epoch_interruption: bool,
    max_wasm_stack: Option<usize>,
    timeout: Option<Duration>,
    max_memory_size: Option<usize>,
    max_table_elements: Option<u64>,
    max_instances: Option<usize>,
    max_tables: Option<usize>,
    max_memories: Option<usize>,
    memory_init_cow: Option<bool>,
    memory_bounds: Option<nanowasm::MemoryBounds>,
    avx2: Option<bool>,
    strategy: Strategy,
    perfmap: bool,
    wasi: bool,
    inherit_env: bool,
    tcplisten: Vec<String>,
    inherit_network: bool,
    tcp: Option<bool>,
    allow_ip_name_lookup: bool,
    tcp_connect: Vec<String>,
    tcp_bind: Vec<String>,
    max_open_files: Option<usize>,
    max_listen_backlog: Option<u32>,
    max_sockets: Option<usize>,
}

fn num<T: TryFrom<u64>>(key: &str, n: u64) -> anyhow::Result<T> {
    T::try_from(n).map_err(|_| anyhow!("-W {key}={n}: too large for this host"))
}

impl Plan {
    fn new(args: &Args) -> anyhow::Result<Plan> {
        let wasm: Vec<&Setting> = opts::flatten(&args.wasm).collect();
        let mut p = Plan {
            features: opts::features(wasm.iter().copied()).map_err(|e| anyhow!(e))?,
            wasi: true,
            ..Plan::default()
        };
        for s in wasm {
            match (s.key, &s.value) {
                ("fuel", Value::Num(n)) => p.fuel = Some(*n),
                ("epoch-interruption", Value::Bool(b)) => p.epoch_interruption = *b,
                ("max-wasm-stack", Value::Num(n)) => p.max_wasm_stack = Some(num(s.key, *n)?),
                ("timeout", Value::Duration(d)) => p.timeout = Some(*d),
                ("max-memory-size", Value::Num(n)) => p.max_memory_size = Some(num(s.key, *n)?),
                ("max-table-elements", Value::Num(n)) => p.max_table_elements = Some(*n),
                ("max-instances", Value::Num(n)) => p.max_instances = Some(num(s.key, *n)?),
                ("max-tables", Value::Num(n)) => p.max_tables = Some(num(s.key, *n)?),
                ("max-memories", Value::Num(n)) => p.max_memories = Some(num(s.key, *n)?),
                ("component-model", Value::Bool(b)) => p.no_components = !*b,
                // Proposals: see `opts::features`. A proposal nanowasm does
                // not know was accepted only turned off.
                ("all-proposals", _) | (_, Value::Bool(_)) => {}
                (key, value) => bail!("-W {key}: unexpected value {value:?}"),
            }
        }
        for s in opts::flatten(&args.wasi) {
            match (s.key, &s.value) {
                ("cli" | "common", Value::Bool(b)) => p.wasi = *b,
                ("inherit-env", Value::Bool(b)) => p.inherit_env = *b,
                ("tcplisten", Value::Text(a)) => p.tcplisten.push(a.clone()),
                ("inherit-network", Value::Bool(b)) => p.inherit_network = *b,
                ("tcp", Value::Bool(b)) => p.tcp = Some(*b),
                ("allow-ip-name-lookup", Value::Bool(b)) => p.allow_ip_name_lookup = *b,
                ("tcp-connect", Value::Text(a)) => p.tcp_connect.push(a.clone()),
                ("tcp-bind", Value::Text(a)) => p.tcp_bind.push(a.clone()),
                ("max-open-files", Value::Num(n)) => p.max_open_files = Some(num(s.key, *n)?),
                ("max-sockets", Value::Num(n)) => p.max_sockets = Some(num(s.key, *n)?),
                ("max-listen-backlog", Value::Num(n)) => {
                    p.max_listen_backlog = Some(num(s.key, *n)?)
                }
                // Off-only keys, turned off: nothing to do.
                _ => {}
            }
        }
        if let Some(strategy) =
            opts::strategy(opts::flatten(&args.codegen)).map_err(|e| anyhow!(e))?
        {
            p.strategy = strategy;
        }
        match args.profile.as_deref() {
            None => {}
            Some("perfmap") => p.perfmap = true,
            Some(other @ ("jitdump" | "vtune" | "guest")) => bail!(
                "--profile={other}: not supported: nanowasm writes perf maps (`--profile=perfmap`) only"
            ),
            Some(other) => bail!("--profile={other}: unknown profiling strategy; `perfmap` is supported"),
        }
        for s in opts::flatten(&args.optimize) {
            if let ("memory-init-cow", Value::Bool(b)) = (s.key, &s.value) {
                p.memory_init_cow = Some(*b);
            }
        }
        p.memory_bounds = opts::memory_bounds(opts::flatten(&args.optimize));
        p.avx2 = opts::avx2(opts::flatten(&args.codegen));
        // The long flags of earlier nanowasm versions.
        p.fuel = args.fuel.or(p.fuel);
        p.max_memory_size = args.max_memory_size.or(p.max_memory_size);
        p.timeout = args.timeout.or(p.timeout);
        p.tcplisten.extend(args.tcplisten.iter().cloned());
        Ok(p)
    }

    fn config(&self) -> Config {
        let mut config = Config::new();
        config
            .strategy(self.strategy)
            .features(self.features)
            .consume_fuel(self.fuel.is_some())
            .epoch_interruption(self.epoch_interruption || self.timeout.is_some());
        if let Some(bytes) = self.max_wasm_stack {
            config.max_wasm_stack(bytes);
        }
        if let Some(cow) = self.memory_init_cow {
            config.memory_init_cow(cow);
        }
        if let Some(bounds) = self.memory_bounds {
            config.memory_bounds(bounds);
        }
        if let Some(avx2) = self.avx2 {
            config.avx2(avx2);
        }
        if self.perfmap {
            config.profiler(ProfilingStrategy::PerfMap);
        }
        config
    }

    fn limits(&self) -> nanowasm::StoreLimits {
        let mut l = StoreLimitsBuilder::new();
        if let Some(n) = self.max_memory_size {
            l = l.memory_size(n);
        }
        if let Some(n) = self.max_table_elements {
            l = l.table_elements(n);
        }
        if let Some(n) = self.max_instances {
            l = l.instances(n);
        }
        if let Some(n) = self.max_tables {
            l = l.tables(n);
        }
        if let Some(n) = self.max_memories {
            l = l.memories(n);
        }
        l.build()
    }
}

/// The guest's argv: `argv[0]` is `--argv0`, or the module's file name
/// (the last component of the path as given, as wasmtime, so no host
/// directory leaks); then every argument after the module.
fn argv(args: &Args) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::with_capacity(args.module_and_args.len());
    for (i, a) in args.module_and_args.iter().enumerate() {
        let a: &std::ffi::OsStr = match (i, &args.argv0) {
            (0, Some(name)) => name.as_ref(),
            (0, None) => Path::new(a)
                .components()
                .next_back()
                .map_or(a.as_os_str(), |c| c.as_os_str()),
            _ => a,
        };
        out.push(
            a.to_str()
                .ok_or_else(|| anyhow!("failed to convert {a:?} to utf-8"))?
                .to_owned(),
        );
    }
    Ok(out)
}

fn wasi_ctx(args: &Args, plan: &Plan) -> anyhow::Result<WasiCtx> {
    let mut b = WasiCtx::builder();
    b.inherit_stdio().allow_clocks(true).allow_random(true);
    b.args(argv(args)?);
    // The environment, later definitions replacing earlier ones of the
    // same name: the host's (`-S inherit-env`), then `--env`.
    let mut env: Vec<(String, String)> = Vec::new();
    let mut set = |k: &str, v: String| match env.iter_mut().find(|(n, _)| n == k) {
        Some(slot) => slot.1 = v,
        None => env.push((k.to_owned(), v)),
    };
    if plan.inherit_env {
        for (k, v) in std::env::vars_os() {
            if let (Some(k), Ok(v)) = (k.to_str(), v.into_string()) {
                set(k, v);
            }
        }
    }
    for e in &args.envs {
        match e.split_once('=') {
            Some((k, v)) => set(k, v.to_owned()),
            // The host's value; a variable the host does not have stays
            // unset for the guest.
            None => {
                if let Some(v) = std::env::var_os(e) {
                    let v = v
                        .into_string()
                        .map_err(|_| anyhow!("environment variable `{e}` not valid utf-8"))?;
                    set(e, v);
                }
            }
        }
    }
    for (k, v) in env {
        b.env(k, v);
    }
    for d in &args.dirs {
        let (host, guest) = dir_spec(d);
        b.preopened_dir(host, guest, DirPerms::all(), FilePerms::all());
    }
    for d in &args.dirs_ro {
        let (host, guest) = dir_spec(d);
        b.preopened_dir(host, guest, DirPerms::READ, FilePerms::READ);
    }
    for a in &plan.tcplisten {
        let l = std::net::TcpListener::bind(a)
            .with_context(|| format!("failed to bind to address '{a}'"))?;
        b.preopened_listener(l);
    }
    if plan.inherit_network {
        b.inherit_network();
    }
    if let Some(tcp) = plan.tcp {
        b.allow_tcp(tcp);
    }
    b.allow_ip_name_lookup(plan.allow_ip_name_lookup);
    for g in &plan.tcp_connect {
        for g in addr_grants("tcp-connect", g)? {
            b.allow_tcp_connect(g);
        }
    }
    for g in &plan.tcp_bind {
        for g in addr_grants("tcp-bind", g)? {
            b.allow_tcp_bind(g);
        }
    }
    if let Some(n) = plan.max_open_files {
        b.max_open_files(n);
    }
    if let Some(n) = plan.max_listen_backlog {
        b.max_listen_backlog(n);
    }
    if let Some(n) = plan.max_sockets {
        b.max_sockets(n);
    }
    b.build().map_err(|e| anyhow!(e))
}

/// The address grants of `-S tcp-connect=G` or `-S tcp-bind=G`: an
/// address or CIDR block and port, or a host name and port resolved now
/// (each of its addresses).
fn addr_grants(key: &str, g: &str) -> anyhow::Result<Vec<nanowasm::wasi::net::AddrGrant>> {
    use nanowasm::wasi::net::AddrGrant;
    let why = match g.parse::<AddrGrant>() {
        Ok(grant) => return Ok(vec![grant]),
        Err(e) => e,
    };
    let (host, port) = g
        .rsplit_once(':')
        .filter(|(h, _)| !h.is_empty() && !h.contains(['[', ']', '/', ':']))
        .ok_or_else(|| anyhow!("-S {key}={g}: {why}"))?;
    let (port, any) = match port {
        "*" => (0, true),
        p => (
            p.parse::<u16>()
                .map_err(|_| anyhow!("-S {key}={g}: the port is not 0..65535 or *"))?,
            false,
        ),
    };
    let addrs = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
        .with_context(|| format!("-S {key}={g}: cannot resolve `{host}`"))?;
    let mut out = Vec::new();
    for a in addrs {
        let prefix = if a.is_ipv4() { 32 } else { 128 };
        let grant = AddrGrant::new(a.ip(), prefix, (!any).then_some(port))
            .ok_or_else(|| anyhow!("-S {key}={g}: bad address"))?;
        if !out.contains(&grant) {
            out.push(grant);
        }
    }
    if out.is_empty() {
        bail!("-S {key}={g}: `{host}` has no address");
    }
    Ok(out)
}

fn parse_arg(s: &str, ty: ValType) -> anyhow::Result<Val> {
    let hex = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"));
    let bad = |e: &dyn std::fmt::Display| anyhow!("invalid {ty} argument `{s}`: {e}");
    Ok(match ty {
        ValType::I32 => Val::I32(match hex {
            Some(h) => u32::from_str_radix(h, 16).map_err(|e| bad(&e))? as i32,
            None => s
                .parse::<i32>()
                .or_else(|_| s.parse::<u32>().map(|u| u as i32))
                .map_err(|e| bad(&e))?,
        }),
        ValType::I64 => Val::I64(match hex {
            Some(h) => u64::from_str_radix(h, 16).map_err(|e| bad(&e))? as i64,
            None => s
                .parse::<i64>()
                .or_else(|_| s.parse::<u64>().map(|u| u as i64))
                .map_err(|e| bad(&e))?,
        }),
        ValType::F32 => Val::F32(s.parse::<f32>().map_err(|e| bad(&e))?.to_bits()),
        ValType::F64 => Val::F64(s.parse::<f64>().map_err(|e| bad(&e))?.to_bits()),
        other => bail!("unsupported argument type {other}"),
    })
}

fn show(v: &Val) -> String {
    match v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(b) => f32::from_bits(*b).to_string(),
        Val::F64(b) => f64::from_bits(*b).to_string(),
        Val::V128(x) => format!("{x:#034x}"),
        Val::FuncRef(None) => "<null funcref>".into(),
        Val::ExternRef(None) => "<null externref>".into(),
        Val::FuncRef(Some(_)) => "<funcref>".into(),
        Val::ExternRef(Some(_)) => "<externref>".into(),
        Val::ExnRef(None) => "<null exnref>".into(),
        Val::ExnRef(Some(_)) => "<exnref>".into(),
        Val::AnyRef(None) => "<null anyref>".into(),
        Val::AnyRef(Some(a)) => match a.i31_s() {
            Some(v) => format!("<i31 {v}>"),
            None => "<anyref>".into(),
        },
    }
}

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    if let Some(m) = &args.manifest {
        return run_manifest(m);
    }
    match execute(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The guest's `proc_exit`: its status, silently (WASI keeps it
            // below 126; a larger one is already an error, below).
            if let Some(status) = e.downcast_ref::<Error>().and_then(Error::exit_status) {
                return ExitCode::from(u8::try_from(status).unwrap_or(1));
            }
            crate::report(&e);
            // As wasmtime on Unix: a trap or an uncaught exception exits as
            // if by SIGABRT, any other error (a failing host function such
            // as `proc_exit` with an invalid status, a module that does not
            // load) with 1.
            let trapped = e.downcast_ref::<Error>().is_some_and(|e| {
                e.as_trap().is_some()
                    || e.as_exception().is_some()
                    // A component's canonical ABI trap.
                    || e.downcast_ref::<nanowasm_component::runtime::AbiTrap>().is_some()
            });
            ExitCode::from(if trapped { 134 } else { 1 })
        }
    }
}

/// Reads, decodes and validates a module, or loads a precompiled artifact
/// if `allow_precompiled`.
#[allow(unsafe_code)]
pub(crate) fn load(
    engine: &Engine,
    path: &Path,
    allow_precompiled: bool,
) -> anyhow::Result<Module> {
    if path != Path::new("-") && is_precompiled(engine, path) {
        if !allow_precompiled {
            bail!(
                "`{}` is a precompiled artifact: running one needs `--allow-precompiled` \
                 (its machine code runs as it is: only run artifacts you trust)",
                path.display()
            );
        }
        // SAFETY: the user vouched for the artifact with
        // `--allow-precompiled`, as with wasmtime; loading still checks its
        // version, settings, CPU features and checksum.
        return unsafe { Module::deserialize_file(engine, path) }
            .map_err(anyhow::Error::new)
            .with_context(|| format!("failed to load `{}`", path.display()));
    }
    let bytes = crate::input::read_module(path).map_err(|e| anyhow!(e))?;
    Module::new(engine, &bytes)
        .map_err(anyhow::Error::new)
        .with_context(|| format!("failed to compile `{}`", path.display()))
}

/// Whether the file at `path` starts like a precompiled artifact.
fn is_precompiled(engine: &Engine, path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; 16];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    engine.detect_precompiled(&head[..n]).is_some()
}

/// Calls `_initialize` if the instance exports it (a WASI reactor, or a
/// command that has both, as wasmtime does).
fn initialize<T>(store: &mut Store<T>, instance: &Instance) -> anyhow::Result<()> {
    if let Some(init) = instance.get_func(&*store, "_initialize") {
        let ty = init.ty(&*store)?;
        if !ty.params().is_empty() || !ty.results().is_empty() {
            bail!("`_initialize` has type {ty}, not [] -> []");
        }
        init.call(&mut *store, &[], &mut [])
            .map_err(anyhow::Error::new)
            .context("failed to invoke `_initialize`")?;
    }
    Ok(())
}

/// The store a guest (module or component) runs in: its WASI context,
/// fuel, limits and deadline.
fn new_store(args: &Args, plan: &Plan, engine: &Engine) -> anyhow::Result<Store<WasiCtx>> {
    let mut store = Store::new(engine, wasi_ctx(args, plan)?);
    if let Some(fuel) = plan.fuel {
        store.set_fuel(fuel)?;
    }
    store.set_limits(plan.limits());
    // One deadline for running code (the epoch) and for blocking WASI
    // calls (`poll_oneoff`, reads of stdin and sockets, writes to a full
    // pipe): both end the guest with the same interrupt trap. A timeout
    // too large to add to now never comes.
    if let Some(deadline) = plan.timeout.and_then(|t| Instant::now().checked_add(t)) {
        store.set_epoch_deadline(1);
        store.data_mut().set_deadline(Some(deadline));
        let engine = engine.clone();
        std::thread::spawn(move || {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            engine.increment_epoch();
        });
    }
    Ok(store)
}

/// Whether the file at `path` is a component (binary, by its preamble's
/// layer field; text, by its first form): read once more by the caller.
fn read_component(path: &Path) -> Option<Vec<u8>> {
    if path == Path::new("-") {
        return None;
    }
    let mut head = [0u8; 8];
    let n = {
        use std::io::Read as _;
        let mut f = std::fs::File::open(path).ok()?;
        f.read(&mut head).ok()?
    };
    let text = head[..n].first().is_some_and(|b| *b != 0);
    if !text {
        return (nanowasm_component::encoding(&head[..n]).ok()
            == Some(nanowasm_component::Encoding::Component))
        .then(|| std::fs::read(path).ok())
        .flatten();
    }
    // Text: lowered to binary, which then tells.
    let bytes = crate::input::read_module(path).ok()?;
    (nanowasm_component::encoding(&bytes).ok() == Some(nanowasm_component::Encoding::Component))
        .then_some(bytes)
}

/// Runs a component as a `wasi:cli/command`: instantiated with WASI 0.2
/// (on the same context, and so the same grants, as a module gets), its
/// `wasi:cli/run@0.2.x` `run` called. The exit status is the guest's
/// `exit`, else 0 if `run` returns `ok` and 1 if `err` (as wasmtime,
/// silently).
fn run_component(
    args: &Args,
    plan: &Plan,
    engine: &Engine,
    file: &Path,
    bytes: &[u8],
) -> anyhow::Result<()> {
    use nanowasm_component::runtime::{Component, Linker as ComponentLinker, Val as CVal};
    if !args.preloads.is_empty() {
        bail!("--preload is not supported for components");
    }
    let component = Component::new(engine, bytes)
        .map_err(anyhow::Error::new)
        .with_context(|| format!("failed to compile `{}`", file.display()))?;
    let mut store = new_store(args, plan, engine)?;
    let mut linker = ComponentLinker::new(engine);
    if plan.wasi {
        nanowasm::wasi::p2::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx)?;
    }
    if let Some(invoke) = &args.invoke {
        // The call is read before anything runs, as wasmtime does.
        let call = FuncCall::parse(invoke)
            .map_err(|e| anyhow!(e.render(invoke)))
            .with_context(|| format!("failed to parse invoke `{invoke}`"))?;
        let mut run = || -> anyhow::Result<()> {
            let instance = linker
                .instantiate(&mut store, &component)
                .map_err(anyhow::Error::new)
                .with_context(|| format!("failed to instantiate {:?}", args.module_and_args[0]))?;
            invoke_component(&mut store, &instance, invoke, &call)
        };
        return run().with_context(|| format!("failed to run main module `{}`", file.display()));
    }
    let mut run = || -> anyhow::Result<()> {
        let instance = linker
            .instantiate(&mut store, &component)
            .map_err(anyhow::Error::new)
            .with_context(|| format!("failed to instantiate {:?}", args.module_and_args[0]))?;
        let func = instance
            .export_names()
            .into_iter()
            .find(|n| n.starts_with("wasi:cli/run@0.2."))
            .and_then(|n| instance.get_instance_func(&mut store, &n, "run"))
            .ok_or_else(|| {
                anyhow!("no exported instance named `wasi:cli/run@0.2.x` with a `run` function: the component is not a `wasi:cli/command`")
            })?;
        if !func.ty().params().is_empty() {
            bail!("`wasi:cli/run` `run` takes parameters: not a `wasi:cli/command`");
        }
        let mut out = vec![CVal::Bool(false); func.ty().result().is_some() as usize];
        func.call(&mut store, &[], &mut out)
            .map_err(anyhow::Error::new)
            .context("failed to invoke `run` function")?;
        match out.first() {
            None | Some(CVal::Result(Ok(_))) => Ok(()),
            // `err`: a feigned exit with status 1, as in wasmtime.
            Some(_) => Err(anyhow::Error::new(Error::from(nanowasm::I32Exit(1)))),
        }
    };
    run().with_context(|| format!("failed to run main module `{}`", file.display()))
}

/// Every function a component instance exports, at any depth of exported
/// instances: its path of export names (the instances', then its own).
fn component_funcs(
    store: &mut Store<WasiCtx>,
    instance: &nanowasm_component::runtime::Instance,
    path: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, nanowasm_component::runtime::Func)>,
) {
    for name in instance.export_names() {
        path.push(name.clone());
        if let Some(f) = instance.get_func(&mut *store, &name) {
            out.push((path.clone(), f));
        } else if let Some(inner) = instance.get_instance(&name) {
            // Instances nest only as deep as the component's types do.
            component_funcs(store, &inner, path, out);
        }
        path.pop();
    }
}

/// `--invoke 'name(args)'` of a component, as wasmtime: the function whose
/// export name is `name`, at the top level or in any exported instance
/// (`iface#name` picks the one of the instance `iface`; nested instances
/// are joined by `#` too; a top-level function wins over the instances');
/// the arguments in WAVE, typed by its parameters; the result printed in
/// WAVE (`()` for none).
fn invoke_component(
    store: &mut Store<WasiCtx>,
    instance: &nanowasm_component::runtime::Instance,
    invoke: &str,
    call: &FuncCall,
) -> anyhow::Result<()> {
    use nanowasm_component::runtime::{wave, Val as CVal};
    let name = call.name();
    let mut funcs = Vec::new();
    component_funcs(store, instance, &mut Vec::new(), &mut funcs);
    let qualified = |path: &[String]| path.join("#");
    // A qualified name, exactly; else a top-level function of that name
    // (where wasmtime would find it ambiguous if an instance had one too);
    // else the functions of exported instances of that name.
    let exact: Vec<&(Vec<String>, _)> =
        funcs.iter().filter(|(p, _)| qualified(p) == name).collect();
    let found: Vec<&(Vec<String>, _)> = if name.contains('#') || !exact.is_empty() {
        exact
    } else {
        funcs
            .iter()
            .filter(|(p, _)| p.last().is_some_and(|l| l == name))
            .collect()
    };
    let listing =
        |head: &str,
         fs: &mut dyn Iterator<Item = &(Vec<String>, nanowasm_component::runtime::Func)>| {
            let v: Vec<String> = fs
                .map(|(p, f)| {
                    let params: Vec<String> = f
                        .ty()
                        .params()
                        .iter()
                        .map(|(n, t)| format!("{n}: {t}"))
                        .collect();
                    let result = f
                        .ty()
                        .result()
                        .map_or(String::new(), |t| format!(" -> {t}"));
                    format!("\n  {}: func({}){result}", qualified(p), params.join(", "))
                })
                .collect();
            if v.is_empty() {
                " (it exports no functions)".to_owned()
            } else {
                format!("; {head}:{}", v.concat())
            }
        };
    let func = match found.as_slice() {
        [(_, f)] => f,
        [] => bail!(
            "no exported func named `{name}` in component{}",
            listing("it exports", &mut funcs.iter())
        ),
        _ => bail!(
            "multiple exports named `{name}`: write `INSTANCE#{name}` to pick one{}",
            listing("they are", &mut found.iter().copied())
        ),
    };
    let params = call
        .params(func.ty().params())
        .map_err(|e| anyhow!(e.render(invoke)))
        .with_context(|| format!("while interpreting parameters in invoke `{invoke}`"))?;
    let mut results = vec![CVal::Bool(false); usize::from(func.ty().result().is_some())];
    func.call(&mut *store, &params, &mut results)
        .map_err(anyhow::Error::new)
        .with_context(|| format!("failed to invoke `{name}`"))?;
    let text = wave::display_results(&results)
        .map_err(|e| anyhow!("{}", e.message()))
        .with_context(|| format!("cannot print the result of `{name}`"))?;
    println!("{text}");
    Ok(())
}

fn execute(args: &Args) -> anyhow::Result<()> {
    let plan = Plan::new(args)?;
    let file = PathBuf::from(
        args.module_and_args
            .first()
            .ok_or_else(|| anyhow!("no module given"))?,
    );
    let engine = Engine::new(&plan.config());
    if let Some(bytes) = read_component(&file) {
        if plan.no_components {
            bail!(
                "cannot execute `{}`: it is a component, and the component model is turned off \
                 (`-W component-model=n`)",
                file.display()
            );
        }
        return run_component(args, &plan, &engine, &file, &bytes);
    }
    let module = load(&engine, &file, args.allow_precompiled)?;
    let mut store = new_store(args, &plan, &engine)?;
    let mut linker = Linker::new(&engine);
    if plan.wasi {
        nanowasm::wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx)?;
    }
    for (name, path) in &args.preloads {
        let mut preload = || -> anyhow::Result<()> {
            let m = load(&engine, path, args.allow_precompiled)?;
            let instance = linker.instantiate(&mut store, &m)?;
            initialize(&mut store, &instance)?;
            linker.instance(&mut store, name, instance)?;
            Ok(())
        };
        preload().with_context(|| {
            format!("failed to process preload `{name}` at `{}`", path.display())
        })?;
    }
    run_main(args, &mut store, &linker, &module)
        .with_context(|| format!("failed to run main module `{}`", file.display()))
}

fn run_main(
    args: &Args,
    store: &mut Store<WasiCtx>,
    linker: &Linker<WasiCtx>,
    module: &Module,
) -> anyhow::Result<()> {
    let instance = linker
        .instantiate(&mut *store, module)
        .map_err(anyhow::Error::new)
        .with_context(|| format!("failed to instantiate {:?}", args.module_and_args[0]))?;
    initialize(store, &instance)?;
    let func = match &args.invoke {
        Some(name) => Some(match instance.get_export(&*store, name) {
            Some(Extern::Func(f)) => f,
            Some(_) => bail!("export of `{name}` wasn't a function"),
            None => bail!("no func export named `{name}` found"),
        }),
        // A command's default export (`""`, then `_start`); a reactor
        // without either has run its `_initialize` and is done.
        None => instance
            .get_func(&*store, "")
            .or_else(|| instance.get_func(&*store, "_start")),
    };
    match func {
        Some(f) => invoke(args, store, f),
        None => Ok(()),
    }
}

fn invoke(args: &Args, store: &mut Store<WasiCtx>, func: Func) -> anyhow::Result<()> {
    let ty = func.ty(&*store)?;
    let what = match &args.invoke {
        Some(name) => format!("`{name}`"),
        None => "command default".to_owned(),
    };
    let mut given = args.module_and_args.iter().skip(1);
    let mut params = Vec::with_capacity(ty.params().len());
    for &t in ty.params() {
        let Some(s) = given.next() else {
            bail!("not enough arguments for {what}: it has type {ty}");
        };
        let s = s
            .to_str()
            .ok_or_else(|| anyhow!("argument is not valid utf-8: {s:?}"))?;
        params.push(parse_arg(s, t)?);
    }
    let mut results: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
    func.call(&mut *store, &params, &mut results)
        .map_err(anyhow::Error::new)
        .with_context(|| format!("failed to invoke {what}"))?;
    for r in &results {
        println!("{}", show(r));
    }
    Ok(())
}

/// `nanowasm run --manifest FILE`.
fn run_manifest(path: &Path) -> ExitCode {
    use nanowasm::host::{FaultKind, HostError, Manifest, System};
    let result = Manifest::from_file(path)
        .and_then(|m| System::new(&m))
        .and_then(|s| s.run());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(HostError::Exit { status, .. }) => ExitCode::from(u8::try_from(status).unwrap_or(1)),
        Err(e) => {
            // As for one module: a trap (fuel and deadlines included)
            // exits as if by SIGABRT, a failing host function (such as
            // `proc_exit` with an invalid status) or a limit with 1.
            let code = match &e {
                HostError::Fault {
                    kind: FaultKind::Host | FaultKind::Limit,
                    ..
                } => 1,
                HostError::Fault { .. } => 134,
                _ => 1,
            };
            let e = anyhow::Error::new(e)
                .context(format!("failed to run manifest `{}`", path.display()));
            crate::report(&e);
            ExitCode::from(code)
        }
    }
}
