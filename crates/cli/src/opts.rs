//! wasmtime's option groups: `-W` (wasm), `-S` (WASI), `-C` (codegen),
//! `-O` (optimize) and `-D` (debug), each taking `KEY[=VAL][,KEY[=VAL]...]`.
//!
//! Every key wasmtime has is listed in its group's table: either nanowasm
//! honours it (with wasmtime's meaning), or it is refused with the reason
//! (`-W nan-canonicalization: not supported by nanowasm: ...`). A key
//! neither knows is refused as unknown. `-W help` (and `-S help`, ...) lists
//! the supported keys and exits, as wasmtime's does.
//!
//! The values are checked while clap parses the command line, so a bad
//! value is a usage error (exit status 2) naming the key.

use std::ffi::OsStr;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::error::{Error as ClapError, ErrorKind};

/// The kind of value a key takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `KEY`, `KEY=y|yes|true`, `KEY=n|no|false`.
    Bool,
    /// `KEY=N` (decimal, or hexadecimal after `0x`).
    Num,
    /// `KEY=DURATION`: seconds without a unit, or humantime (`1h30m`).
    Duration,
    /// `KEY=TEXT`.
    Text,
}

impl Kind {
    fn help(self) -> &'static str {
        match self {
            Kind::Bool => "[=y|n]",
            Kind::Num => "=N",
            Kind::Duration => "=N|Ns|Nms|1h30m|..",
            Kind::Text => "=val",
        }
    }
}

/// Whether nanowasm honours a key.
#[derive(Clone, Copy, Debug)]
pub enum Support {
    /// Honoured with wasmtime's meaning.
    Yes,
    /// Honoured only with a `false` value (turning off what nanowasm does
    /// not have, or has off, anyway); `true` is refused with this reason.
    OffOnly(&'static str),
    /// Honoured only with a `true` value (what nanowasm always does); `false`
    /// is refused with this reason.
    OnOnly(&'static str),
    /// Refused, with the reason.
    No(&'static str),
}

/// One key of a group.
#[derive(Debug)]
pub struct Key {
    /// The key as written on the command line (kebab-case).
    pub name: &'static str,
    /// Its value.
    pub kind: Kind,
    /// Whether nanowasm honours it.
    pub support: Support,
    /// One line of help.
    pub doc: &'static str,
}

/// An option group: `-W`, `-S`, ...
#[derive(Debug)]
pub struct Group {
    /// The short flag (`W`).
    pub short: char,
    /// The long flag (`wasm`).
    pub long: &'static str,
    /// Its keys.
    pub keys: &'static [Key],
    /// Keys taken as a prefix (`cranelift-` in `-C cranelift-foo=bar`),
    /// refused with the reason.
    pub prefixes: &'static [(&'static str, &'static str)],
}

/// A parsed value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    Num(u64),
    Duration(Duration),
    Text(String),
}

/// One `KEY[=VAL]`, checked against its group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The key (from the group's table).
    pub key: &'static str,
    /// The value.
    pub value: Value,
}

/// Parses the value of a duration option: a number of seconds without a
/// unit (as wasmtime), otherwise a humantime duration (`500ms`, `2m`,
/// `1h30m`, `1h 30m`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(s).map_err(|e| format!("invalid duration `{s}`: {e}"))
}

fn parse_bool(s: Option<&str>) -> Result<bool, String> {
    match s {
        None | Some("y" | "yes" | "true") => Ok(true),
        Some("n" | "no" | "false") => Ok(false),
        Some(other) => Err(format!(
            "unknown boolean flag `{other}`, only yes,no,<nothing> accepted"
        )),
    }
}

fn parse_num(s: Option<&str>) -> Result<u64, String> {
    let s = s.ok_or("a value must be given as `key=N`")?;
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse::<u64>(),
    };
    r.map_err(|e| format!("invalid number `{s}`: {e}"))
}

impl Group {
    /// Parses one `KEY[=VAL]`.
    fn parse_one(&self, item: &str) -> Result<Setting, String> {
        let (name, val) = match item.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (item, None),
        };
        let (short, long) = (self.short, self.long);
        if let Some((prefix, why)) = self
            .prefixes
            .iter()
            .find(|(p, _)| name.strip_prefix(p).is_some_and(|r| r.starts_with('-')))
        {
            return Err(format!(
                "-{short} {prefix}-*: not supported by nanowasm: {why}"
            ));
        }
        let Some(key) = self.keys.iter().find(|k| k.name == name) else {
            return Err(format!(
                "unknown -{short} / --{long} option: `{name}` (`-{short} help` lists the options)"
            ));
        };
        let value = match key.kind {
            Kind::Bool => Value::Bool(parse_bool(val)?),
            Kind::Num => Value::Num(parse_num(val)?),
            Kind::Duration => Value::Duration(parse_duration(
                val.ok_or("a value must be given as `key=DURATION`")?,
            )?),
            Kind::Text => Value::Text(val.ok_or("a value must be given as `key=val`")?.to_owned()),
        };
        match key.support {
            Support::Yes => {}
            Support::OffOnly(why) => {
                if value == Value::Bool(true) {
                    return Err(format!("-{short} {name}: not supported by nanowasm: {why}"));
                }
            }
            Support::OnOnly(why) => {
                if value == Value::Bool(false) {
                    return Err(format!(
                        "-{short} {name}=n: not supported by nanowasm: {why}"
                    ));
                }
            }
            Support::No(why) => {
                return Err(format!("-{short} {name}: not supported by nanowasm: {why}"));
            }
        }
        Ok(Setting {
            key: key.name,
            value,
        })
    }

    /// Parses `KEY[=VAL][,KEY[=VAL]...]`.
    pub fn parse(&self, text: &str) -> Result<Vec<Setting>, String> {
        text.split(',').map(|item| self.parse_one(item)).collect()
    }

    /// The text of `-W help`.
    pub fn help(&self) -> String {
        let supported = |k: &&Key| !matches!(k.support, Support::No(_));
        let width = self
            .keys
            .iter()
            .filter(supported)
            .map(|k| k.name.len() + k.kind.help().len())
            .max()
            .unwrap_or(0);
        let mut out = format!("Available {} options:\n\n", self.long);
        for k in self.keys.iter().filter(supported) {
            let head = format!("{}{}", k.name, k.kind.help());
            out.push_str(&format!("  -{} {head:<width$} -- {}", self.short, k.doc));
            match k.support {
                Support::OffOnly(why) => out.push_str(&format!(" (only `=n`: {why})")),
                Support::OnOnly(why) => out.push_str(&format!(" (only `=y`: {why})")),
                Support::Yes | Support::No(_) => {}
            }
            out.push('\n');
        }
        let refused: Vec<&str> = self
            .keys
            .iter()
            .filter(|k| matches!(k.support, Support::No(_)))
            .map(|k| k.name)
            .chain(self.prefixes.iter().map(|(p, _)| *p))
            .collect();
        if !refused.is_empty() {
            out.push_str(&format!(
                "\nwasmtime's -{} options that nanowasm refuses (each with its reason when given; \
                 see docs/wasmtime-cli.md):\n  {}\n",
                self.short,
                refused.join(", ")
            ));
        }
        out
    }
}

/// Clap's value parser for one group.
#[derive(Clone, Copy)]
pub struct GroupParser(pub &'static Group);

impl TypedValueParser for GroupParser {
    type Value = Vec<Setting>;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Vec<Setting>, ClapError> {
        let Some(text) = value.to_str() else {
            return Err(ClapError::raw(
                ErrorKind::InvalidUtf8,
                format!("-{}: the value is not UTF-8\n", self.0.short),
            )
            .with_cmd(cmd));
        };
        if text == "help" || text == "help-long" {
            print!("{}", self.0.help());
            std::process::exit(0);
        }
        self.0
            .parse(text)
            .map_err(|e| ClapError::raw(ErrorKind::InvalidValue, format!("{e}\n")).with_cmd(cmd))
    }
}

/// Settings of several uses of one group, in order.
pub fn flatten(groups: &[Vec<Setting>]) -> impl Iterator<Item = &Setting> + Clone {
    groups.iter().flatten()
}

/// The proposals that `-W` settings enable, from the engine's defaults:
/// `all-proposals` first, whatever its position (as wasmtime does), then
/// each proposal's own flag in order. Other keys are left to the caller.
pub fn features<'a>(
    wasm: impl Iterator<Item = &'a Setting> + Clone,
) -> Result<nanowasm::Features, String> {
    use nanowasm::{Feature, Features};
    let mut features = nanowasm::Config::new().get_features();
    for s in wasm.clone() {
        if let ("all-proposals", Value::Bool(on)) = (s.key, &s.value) {
            features = Features::MVP;
            if *on {
                features.apply_list("all")?;
            }
        }
    }
    for s in wasm {
        if let (name, Value::Bool(on)) = (s.key, &s.value) {
            match Feature::from_name(name) {
                Some(f) if *on => features.enable(f).map_err(|e| format!("-W {name}: {e}"))?,
                Some(f) => features = features.with(f, false),
                None => {}
            }
        }
    }
    Ok(features)
}

const NO_COMPILER: &str = "nanowasm's compiler is a single-pass baseline: it has no optimization \
                           levels, register allocators or Cranelift settings to choose";
const ASYNC_ALWAYS: &str = "nanowasm always accepts async component functions (they run when \
                            their calls complete at once; concurrent tasks are not implemented)";
const FLAGS_ALWAYS: &str = "nanowasm always accepts `flags` types of more than 32 flags";
const NO_MULTIPLE_RETURNS: &str = "functions with several results were removed from the component \
                                   model; nanowasm decodes functions of at most one result";
const NO_WASI_PROPOSAL: &str = "nanowasm's WASI 0.2 has cli, io, filesystem, clocks, random and \
                                TCP sockets; this interface is not implemented";
const WASI_ALWAYS: &str = "nanowasm always defines this unstable WASI 0.2 function";
const NO_POOLING: &str = "nanowasm allocates each memory and table on demand (reusing released \
                          mappings); guard regions are fixed at 4 GiB + 32 MiB, and \
                          `-O signals-based-traps=n` turns them off";
const NOT_IMPLEMENTED: &str = "the proposal is not implemented (issue 16)";

#[rustfmt::skip]
/// `-W` / `--wasm`.
pub static WASM: Group = Group {
    short: 'W',
    long: "wasm",
    keys: &[
        Key { name: "fuel", kind: Kind::Num, support: Support::Yes, doc: "Run with N units of fuel (about one per instruction); running out traps" },
        Key { name: "epoch-interruption", kind: Kind::Bool, support: Support::Yes, doc: "Check the engine's epoch at function entries and loop headers" },
        Key { name: "max-wasm-stack", kind: Kind::Num, support: Support::Yes, doc: "The most native stack, in bytes, that host-to-wasm re-entries may take" },
        Key { name: "timeout", kind: Kind::Duration, support: Support::Yes, doc: "Interrupt the guest (running or blocked in a WASI call) after this long" },
        Key { name: "max-memory-size", kind: Kind::Num, support: Support::Yes, doc: "The most bytes a linear memory may grow to; `memory.grow` beyond returns -1" },
        Key { name: "max-table-elements", kind: Kind::Num, support: Support::Yes, doc: "The most elements a table may grow to; `table.grow` beyond returns -1" },
        Key { name: "max-instances", kind: Kind::Num, support: Support::Yes, doc: "The most instances the store may hold" },
        Key { name: "max-tables", kind: Kind::Num, support: Support::Yes, doc: "The most tables the store may hold" },
        Key { name: "max-memories", kind: Kind::Num, support: Support::Yes, doc: "The most linear memories the store may hold" },
        Key { name: "all-proposals", kind: Kind::Bool, support: Support::Yes, doc: "Every proposal nanowasm implements (y), or the 1.0 MVP alone (n)" },
        Key { name: "bulk-memory", kind: Kind::Bool, support: Support::Yes, doc: "The bulk-memory proposal (default: on)" },
        Key { name: "multi-value", kind: Kind::Bool, support: Support::Yes, doc: "The multi-value proposal (default: on)" },
        Key { name: "reference-types", kind: Kind::Bool, support: Support::Yes, doc: "The reference-types proposal (default: on)" },
        Key { name: "simd", kind: Kind::Bool, support: Support::Yes, doc: "The 128-bit SIMD proposal (default: on)" },
        Key { name: "multi-memory", kind: Kind::Bool, support: Support::Yes, doc: "The multi-memory proposal: several memories, each memory instruction naming one (default: on)" },
        Key { name: "relaxed-simd", kind: Kind::Bool, support: Support::Yes, doc: "The relaxed-simd proposal, each instruction with one fixed choice (default: on)" },
        Key { name: "tail-call", kind: Kind::Bool, support: Support::Yes, doc: "The tail-call proposal: `return_call`, `return_call_indirect` (default: on)" },
        Key { name: "threads", kind: Kind::Bool, support: Support::OffOnly(NOT_IMPLEMENTED), doc: "The threads proposal" },
        Key { name: "memory64", kind: Kind::Bool, support: Support::Yes, doc: "The memory64 proposal: 64-bit memories and tables, each memory at most 4 GiB (default: on)" },
        Key { name: "function-references", kind: Kind::Bool, support: Support::Yes, doc: "Typed function references: `(ref $t)`, `call_ref`, `br_on_null`, `br_on_non_null`, `ref.as_non_null` (default: on; the interpreter runs them)" },
        Key { name: "gc", kind: Kind::Bool, support: Support::Yes, doc: "The GC proposal: structs, arrays, `i31ref`, casts, a collected heap per store (default: on; the interpreter runs it)" },
        Key { name: "exceptions", kind: Kind::Bool, support: Support::Yes, doc: "The exception-handling proposal: tags, `throw`, `throw_ref`, `try_table`, and the legacy `try`/`catch` (default: on; the interpreter runs it)" },
        Key { name: "extended-const", kind: Kind::Bool, support: Support::Yes, doc: "The extended-const proposal: `add`, `sub`, `mul` in constant expressions (default: on)" },
        Key { name: "wide-arithmetic", kind: Kind::Bool, support: Support::OffOnly(NOT_IMPLEMENTED), doc: "The wide-arithmetic proposal" },
        Key { name: "custom-page-sizes", kind: Kind::Bool, support: Support::OffOnly(NOT_IMPLEMENTED), doc: "The custom-page-sizes proposal" },
        Key { name: "stack-switching", kind: Kind::Bool, support: Support::OffOnly(NOT_IMPLEMENTED), doc: "The stack-switching proposal" },
        Key { name: "shared-everything-threads", kind: Kind::Bool, support: Support::OffOnly(NOT_IMPLEMENTED), doc: "The shared-everything-threads proposal" },
        Key { name: "component-model", kind: Kind::Bool, support: Support::Yes, doc: "The component model: `run` accepts components as well as core modules (default: on; `=n` refuses components)" },
        Key { name: "component-model-async", kind: Kind::Bool, support: Support::OnOnly(ASYNC_ALWAYS), doc: "Async in the component model" },
        Key { name: "component-model-more-flags", kind: Kind::Bool, support: Support::OnOnly(FLAGS_ALWAYS), doc: "33+ flags in the component model" },
        Key { name: "component-model-multiple-returns", kind: Kind::Bool, support: Support::OffOnly(NO_MULTIPLE_RETURNS), doc: "Several results in the component model" },
        Key { name: "nan-canonicalization", kind: Kind::Bool, support: Support::OffOnly("the interpreter produces the host FPU's NaNs and does not canonicalize them"), doc: "Canonicalize NaN results" },
        Key { name: "relaxed-simd-deterministic", kind: Kind::Bool, support: Support::OffOnly(NOT_IMPLEMENTED), doc: "Deterministic relaxed-simd" },
        Key { name: "trap-on-grow-failure", kind: Kind::Bool, support: Support::OffOnly("a failed `memory.grow` or `table.grow` returns -1, as the specification says"), doc: "Trap when a grow fails" },
        Key { name: "unknown-exports-allow", kind: Kind::Bool, support: Support::No("it is for components' unknown exports (issue 17)"), doc: "" },
        Key { name: "unknown-imports-trap", kind: Kind::Bool, support: Support::No("every import must be defined: WASI, or a `--preload`ed module"), doc: "" },
        Key { name: "unknown-imports-default", kind: Kind::Bool, support: Support::No("every import must be defined: WASI, or a `--preload`ed module"), doc: "" },
        Key { name: "wmemcheck", kind: Kind::Bool, support: Support::No("there is no memory checker"), doc: "" },
        Key { name: "async-stack-size", kind: Kind::Num, support: Support::No("nanowasm runs guests synchronously, without async stacks"), doc: "" },
        Key { name: "async-stack-zeroing", kind: Kind::Bool, support: Support::No("nanowasm runs guests synchronously, without async stacks"), doc: "" },
    ],
    prefixes: &[],
};

#[rustfmt::skip]
/// `-S` / `--wasi`.
pub static WASI: Group = Group {
    short: 'S',
    long: "wasi",
    keys: &[
        Key { name: "cli", kind: Kind::Bool, support: Support::Yes, doc: "Define WASI preview1 (`wasi_snapshot_preview1`, `wasi_unstable`) for the module (default: y)" },
        Key { name: "common", kind: Kind::Bool, support: Support::Yes, doc: "Deprecated alias for `cli`" },
        Key { name: "inherit-env", kind: Kind::Bool, support: Support::Yes, doc: "Pass every host environment variable to the guest (`--env` still overrides)" },
        Key { name: "tcplisten", kind: Kind::Text, support: Support::Yes, doc: "Give the guest a TCP socket listening on ADDR, for `sock_accept` (repeatable)" },
        Key { name: "preview0", kind: Kind::Bool, support: Support::OnOnly("nanowasm always defines `wasi_unstable` beside `wasi_snapshot_preview1`"), doc: "Define the older `wasi_unstable` imports too (default: y)" },
        Key { name: "preview2", kind: Kind::Bool, support: Support::No("it chooses between wasmtime's two implementations of preview1; nanowasm has one"), doc: "" },
        Key { name: "threads", kind: Kind::Bool, support: Support::OffOnly("wasi-threads is not implemented"), doc: "wasi-threads" },
        Key { name: "nn", kind: Kind::Bool, support: Support::OffOnly("wasi-nn is not implemented"), doc: "wasi-nn" },
        Key { name: "nn-graph", kind: Kind::Text, support: Support::No("wasi-nn is not implemented"), doc: "" },
        Key { name: "http", kind: Kind::Bool, support: Support::OffOnly(NO_WASI_PROPOSAL), doc: "wasi-http" },
        Key { name: "http-outgoing-body-buffer-chunks", kind: Kind::Num, support: Support::No(NO_WASI_PROPOSAL), doc: "" },
        Key { name: "http-outgoing-body-chunk-size", kind: Kind::Num, support: Support::No(NO_WASI_PROPOSAL), doc: "" },
        Key { name: "config", kind: Kind::Bool, support: Support::OffOnly(NO_WASI_PROPOSAL), doc: "wasi-config" },
        Key { name: "config-var", kind: Kind::Text, support: Support::No(NO_WASI_PROPOSAL), doc: "" },
        Key { name: "keyvalue", kind: Kind::Bool, support: Support::OffOnly(NO_WASI_PROPOSAL), doc: "wasi-keyvalue" },
        Key { name: "keyvalue-in-memory-data", kind: Kind::Text, support: Support::No(NO_WASI_PROPOSAL), doc: "" },
        Key { name: "cli-exit-with-code", kind: Kind::Bool, support: Support::OnOnly(WASI_ALWAYS), doc: "`wasi:cli/exit#exit-with-code`" },
        Key { name: "network-error-code", kind: Kind::Bool, support: Support::OnOnly(WASI_ALWAYS), doc: "`wasi:sockets/network#network-error-code`" },
        Key { name: "listenfd", kind: Kind::Bool, support: Support::No("systemd socket activation is not implemented; use `-S tcplisten=ADDR`"), doc: "" },
        Key { name: "inherit-network", kind: Kind::Bool, support: Support::Yes, doc: "Components (`wasi:sockets`): let the guest bind and connect TCP sockets to every address (default: no network at all, every bind and connect answers `access-denied`)" },
        Key { name: "tcp-connect", kind: Kind::Text, support: Support::Yes, doc: "Components: let the guest connect TCP sockets to ADDR:PORT, ADDR/PREFIX:PORT (a CIDR block) or HOST:PORT (resolved once, at start); IPv6 in brackets (`[::1]:80`), port `*` for any (repeatable)" },
        Key { name: "tcp-bind", kind: Kind::Text, support: Support::Yes, doc: "Components: let the guest bind (and listen on) TCP sockets at ADDR:PORT, same syntax as `tcp-connect`; port `0` (a port the system picks) must be granted as `0` or `*` (repeatable)" },
        Key { name: "allow-ip-name-lookup", kind: Kind::Bool, support: Support::Yes, doc: "Components: let the guest resolve host names (`wasi:sockets/ip-name-lookup`; default: no)" },
        Key { name: "tcp", kind: Kind::Bool, support: Support::Yes, doc: "Components: let the guest make TCP sockets (default: y; each bind and connect still needs its address granted)" },
        Key { name: "udp", kind: Kind::Bool, support: Support::OffOnly("UDP is not implemented: `wasi:sockets/udp` answers `not-supported`"), doc: "UDP sockets" },
        Key { name: "max-open-files", kind: Kind::Num, support: Support::Yes, doc: "The most descriptors and sockets the guest holds open at once, of those it opens itself (`path_open`, `sock_accept`, `create-tcp-socket`, `accept`); one more fails (`EMFILE`, `new-socket-limit`)" },
        Key { name: "max-sockets", kind: Kind::Num, support: Support::Yes, doc: "Components: the most `wasi:sockets` sockets the guest holds at once; one more answers `new-socket-limit` (default: 1024)" },
        Key { name: "max-listen-backlog", kind: Kind::Num, support: Support::Yes, doc: "Components: the most connections a guest's listening socket queues (its `set-listen-backlog-size` is capped to it; default: 128)" },
    ],
    prefixes: &[],
};

#[rustfmt::skip]
/// `-C` / `--codegen`.
pub static CODEGEN: Group = Group {
    short: 'C',
    long: "codegen",
    keys: &[
        Key { name: "strategy", kind: Kind::Text, support: Support::Yes, doc: "How to run code: `auto` (the compiler where it supports the module and host, else the interpreter), `compiler` or `interpreter`" },
        Key { name: "compiler", kind: Kind::Text, support: Support::Yes, doc: "wasmtime's name for `strategy`: `cranelift` and `winch` select nanowasm's compiler" },
        Key { name: "avx2", kind: Kind::Bool, support: Support::Yes, doc: "Compiled code may use AVX2 where the CPU has it, detected at run time (default: y); `n` compiles for the SSE4.1 baseline, for artifacts that must load on older CPUs" },
        Key { name: "cache", kind: Kind::Bool, support: Support::OffOnly("there is no compilation cache; `nanowasm compile` makes artifacts to run with `--allow-precompiled`"), doc: "Cache compiled modules" },
        Key { name: "parallel-compilation", kind: Kind::Bool, support: Support::OnOnly("the compiler always compiles a module's functions in parallel"), doc: "Compile functions in parallel (default: y)" },
        Key { name: "cache-config", kind: Kind::Text, support: Support::No("there is no compilation cache"), doc: "" },
        Key { name: "collector", kind: Kind::Text, support: Support::No(NOT_IMPLEMENTED), doc: "" },
        Key { name: "cranelift-debug-verifier", kind: Kind::Bool, support: Support::No(NO_COMPILER), doc: "" },
        Key { name: "pcc", kind: Kind::Bool, support: Support::No(NO_COMPILER), doc: "" },
        Key { name: "native-unwind-info", kind: Kind::Bool, support: Support::No(NO_COMPILER), doc: "" },
    ],
    prefixes: &[("cranelift", NO_COMPILER)],
};

#[rustfmt::skip]
/// `-O` / `--optimize`.
pub static OPTIMIZE: Group = Group {
    short: 'O',
    long: "optimize",
    keys: &[
        Key { name: "memory-init-cow", kind: Kind::Bool, support: Support::Yes, doc: "Map data segments copy-on-write from a per-module image (default: y)" },
        Key { name: "opt-level", kind: Kind::Text, support: Support::No(NO_COMPILER), doc: "" },
        Key { name: "regalloc-algorithm", kind: Kind::Text, support: Support::No(NO_COMPILER), doc: "" },
        Key { name: "signals-based-traps", kind: Kind::Bool, support: Support::Yes, doc: "Compiled code relies on guard regions and a fault handler to keep memory accesses in bounds (default: y where the compiler runs); `n` compiles explicit checks and reserves no address space" },
        Key { name: "memory-may-move", kind: Kind::Bool, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "memory-reservation", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "memory-reservation-for-growth", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "memory-guard-size", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "guard-before-linear-memory", kind: Kind::Bool, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "table-lazy-init", kind: Kind::Bool, support: Support::No("tables are initialized at instantiation"), doc: "" },
        Key { name: "memory-guaranteed-dense-image-size", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-allocator", kind: Kind::Bool, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-decommit-batch-size", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-memory-keep-resident", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-table-keep-resident", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-memory-protection-keys", kind: Kind::Text, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-max-memory-protection-keys", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-total-core-instances", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-total-component-instances", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-total-memories", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-total-tables", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-total-stacks", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-max-memory-size", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-table-elements", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-max-core-instance-size", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-max-unused-warm-slots", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-async-stack-keep-resident", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-max-component-instance-size", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-max-core-instances-per-component", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-max-memories-per-component", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-max-tables-per-component", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-max-tables-per-module", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-max-memories-per-module", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "pooling-total-gc-heaps", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "dynamic-memory-guard-size", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "static-memory-guard-size", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "static-memory-forced", kind: Kind::Bool, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "static-memory-maximum-size", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
        Key { name: "dynamic-memory-reserved-for-growth", kind: Kind::Num, support: Support::No(NO_POOLING), doc: "" },
    ],
    prefixes: &[],
};

#[rustfmt::skip]
/// `-D` / `--debug`.
pub static DEBUG: Group = Group {
    short: 'D',
    long: "debug",
    keys: &[
        Key { name: "debug-info", kind: Kind::Bool, support: Support::OffOnly("there is no native code to describe with DWARF; traps carry wasm backtraces"), doc: "Emit DWARF for compiled code" },
        Key { name: "address-map", kind: Kind::Bool, support: Support::No("traps always map to wasm offsets"), doc: "" },
        Key { name: "logging", kind: Kind::Bool, support: Support::No("logging is set with the NANOWASM_LOG environment variable"), doc: "" },
        Key { name: "log-to-files", kind: Kind::Bool, support: Support::No("logs go to stderr (NANOWASM_LOG)"), doc: "" },
        Key { name: "coredump", kind: Kind::Text, support: Support::No("wasm core dumps are not implemented"), doc: "" },
    ],
    prefixes: &[],
};

/// The `-O signals-based-traps=` choice among `settings` (the last one
/// wins): `n` is explicit bounds checks; `None` if there is none.
pub fn memory_bounds<'a>(
    settings: impl IntoIterator<Item = &'a Setting>,
) -> Option<nanowasm::MemoryBounds> {
    let mut chosen = None;
    for s in settings {
        if let ("signals-based-traps", Value::Bool(b)) = (s.key, &s.value) {
            chosen = Some(if *b {
                nanowasm::MemoryBounds::GuardRegions
            } else {
                nanowasm::MemoryBounds::Explicit
            });
        }
    }
    chosen
}

/// The `-C avx2=` choice among `settings` (the last one wins); `None` if
/// there is none.
pub fn avx2<'a>(settings: impl IntoIterator<Item = &'a Setting>) -> Option<bool> {
    let mut chosen = None;
    for s in settings {
        if let ("avx2", Value::Bool(b)) = (s.key, &s.value) {
            chosen = Some(*b);
        }
    }
    chosen
}

/// The `-C strategy=` (or wasmtime's `-C compiler=`) choice among
/// `settings`, the last one winning; `None` if there is none.
pub fn strategy<'a>(
    settings: impl IntoIterator<Item = &'a Setting>,
) -> Result<Option<nanowasm::Strategy>, String> {
    use nanowasm::Strategy;
    let mut chosen = None;
    for s in settings {
        if let ("strategy" | "compiler", Value::Text(v)) = (s.key, &s.value) {
            chosen = Some(match v.as_str() {
                "interpreter" => Strategy::Interpreter,
                "auto" => Strategy::Auto,
                // wasmtime's compilers' names: nanowasm's own compiler stands
                // in for both.
                "compiler" | "cranelift" | "winch" => Strategy::Compiler,
                other => {
                    return Err(format!(
                        "-C {}={other}: unknown strategy; `auto`, `compiler` (also spelled \
                         `cranelift` or `winch`) and `interpreter` are accepted",
                        s.key
                    ))
                }
            });
        }
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_values_and_lists() {
        let s = WASM
            .parse("fuel=0x10,timeout=1h30m,simd=n,bulk-memory")
            .unwrap();
        assert_eq!(
            s,
            vec![
                Setting {
                    key: "fuel",
                    value: Value::Num(16)
                },
                Setting {
                    key: "timeout",
                    value: Value::Duration(Duration::from_secs(5400))
                },
                Setting {
                    key: "simd",
                    value: Value::Bool(false)
                },
                Setting {
                    key: "bulk-memory",
                    value: Value::Bool(true)
                },
            ]
        );
        assert_eq!(
            WASM.parse("timeout=3").unwrap()[0].value,
            Value::Duration(Duration::from_secs(3))
        );
    }

    #[test]
    fn refuses_unknown_unsupported_and_malformed() {
        let e = WASM.parse("bogus=1").unwrap_err();
        assert!(e.contains("unknown -W / --wasm option: `bogus`"), "{e}");
        let e = WASM.parse("wmemcheck").unwrap_err();
        assert!(
            e.contains("-W wmemcheck: not supported by nanowasm: "),
            "{e}"
        );
        let e = WASM.parse("threads").unwrap_err();
        assert!(e.contains("not implemented"), "{e}");
        assert!(WASM.parse("threads=n").is_ok());
        let e = WASM.parse("fuel").unwrap_err();
        assert!(e.contains("key=N"), "{e}");
        let e = WASM.parse("fuel=lots").unwrap_err();
        assert!(e.contains("invalid number `lots`"), "{e}");
        let e = WASM.parse("simd=maybe").unwrap_err();
        assert!(e.contains("unknown boolean flag `maybe`"), "{e}");
        let e = WASM.parse("timeout=soon").unwrap_err();
        assert!(e.contains("invalid duration `soon`"), "{e}");
        assert!(WASI.parse("preview0").is_ok());
        let e = WASI.parse("preview0=n").unwrap_err();
        assert!(e.contains("-S preview0=n: not supported"), "{e}");
        let e = CODEGEN.parse("cranelift-opt-level=2").unwrap_err();
        assert!(e.contains("single-pass baseline"), "{e}");
    }

    #[test]
    fn help_lists_supported_keys_and_names_refused_ones() {
        let h = WASI.help();
        assert!(h.starts_with("Available wasi options:\n\n"), "{h}");
        assert!(h.contains("  -S inherit-env[=y|n]"), "{h}");
        assert!(h.contains("preview2"), "{h}");
    }

    /// docs/wasmtime-cli.md has a row for every key, saying the same as
    /// the table here.
    #[test]
    fn the_comparison_page_names_every_key() {
        let page = include_str!("../../../docs/wasmtime-cli.md");
        for g in [&WASM, &WASI, &CODEGEN, &OPTIMIZE, &DEBUG] {
            let head = format!("### `-{}` / `--{}`", g.short, g.long);
            let start = page.find(&head).expect("a section for each group");
            let section = &page[start + head.len()..];
            let section = &section[..section.find("\n#").unwrap_or(section.len())];
            for k in g.keys {
                let row = format!("| `{}` | ", k.name);
                let Some(at) = section.find(&row) else {
                    panic!(
                        "docs/wasmtime-cli.md has no row for -{} {}",
                        g.short, k.name
                    );
                };
                let cell = section[at + row.len()..].lines().next().unwrap_or("");
                let ok = match k.support {
                    Support::Yes => cell.starts_with('✓'),
                    Support::OffOnly(why) => cell.starts_with("`=n` ✓") && cell.contains(why),
                    Support::OnOnly(why) => cell.starts_with("`=y` ✓") && cell.contains(why),
                    Support::No(why) => cell.starts_with("refused: ") && cell.contains(why),
                };
                assert!(ok, "-{} {}: the page says {cell:?}", g.short, k.name);
            }
        }
    }

    #[test]
    fn every_group_has_distinct_keys() {
        for g in [&WASM, &WASI, &CODEGEN, &OPTIMIZE, &DEBUG] {
            let mut names: Vec<_> = g.keys.iter().map(|k| k.name).collect();
            names.sort_unstable();
            let n = names.len();
            names.dedup();
            assert_eq!(n, names.len(), "-{}", g.short);
        }
    }
}
