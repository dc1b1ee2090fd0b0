//! Manifests: which nanoprocesses make up a system, and what each may use.
//!
//! ```toml
//! [run]
//! entry = "parser"            # whose `_start` (or `func`) `nanowasm run --manifest` calls
//!
//! [[process]]
//! name = "parser"
//! module = "parser.wasm"      # relative to the manifest; `.wat` text is accepted too
//! args = ["parser"]
//! env = { MODE = "fast" }
//! dirs = [{ host = "data", guest = "/data", readonly = true }]
//! clocks = true               # may read clocks (default: no); see below
//! random = false              # may use random_get (default: no); see below
//! stdout = "inherit"          # or "null" (default: inherit); stdin is always null
//! net = { tcp_connect = ["127.0.0.1:8080"], tcp_bind = ["127.0.0.1:0"] }  # default: none; see below
//! limits = { max_memory = 16777216, fuel_per_call = 100000000, deadline_ms = 5000, max_call_depth = 1000, max_open_files = 64 }
//! imports = [{ module = "logger", name = "log", sig = "(string)" }]
//! ```
//!
//! A process whose module is a component (`module = "kv.wasm"`, a
//! component binary or `(component ...)` text) gets WASI 0.2 with the same
//! grants, and imports WIT interfaces of other component processes with
//! `uses = [{ interface = "demo:kv/store@0.1.0", from = "kv" }]`: each
//! function of the interface is called in `from`'s own store (its limits,
//! fuel and deadline), values copied between the two by the canonical ABI,
//! and its resource types are `from`'s (dropping one runs `from`'s
//! destructor).
//!
//! `net` grants a component process the network (`wasi:sockets`, WASI
//! 0.2; a core module's preview1 has no way to open sockets):
//!
//! | `net` | what |
//! |---|---|
//! | `false` (default) | no network: making a TCP socket answers `access-denied` |
//! | `{ tcp_connect = [...], tcp_bind = [...] }` | TCP sockets, connected only to, and bound only at, the listed addresses (any other answers `access-denied`): `ADDR:PORT` or `ADDR/PREFIX:PORT` (a CIDR block), IPv6 in brackets (`[::1]:80`, `[fd00::/8]:*`), port `*` for any; port `0` (a port the system picks) is granted as `0` or `*`. IP addresses only: no host names |
//! | `ip_name_lookup = true` (in the table) | may resolve host names (default: no) |
//! | `max_sockets = N` (in the table) | sockets held at once; one more answers `new-socket-limit` (default 1,024; each also counts against `max_open_files`) |
//! | `max_listen_backlog = N` (in the table) | caps a listening socket's backlog (default 128) |
//! | `true` | the host's network: every address, and name lookups |
//!
//! Limits, each per process:
//!
//! | limit | what | default |
//! |---|---|---|
//! | `max_memory` | bytes of each linear memory | none (the 4 GiB of 32-bit memories) |
//! | `max_table_elements` | elements of each table; `table.grow` past it returns -1 | 1,000,000 |
//! | `fuel_per_call` | instructions (fuel) of each call into it; out of fuel is a fault | unlimited (even when other processes have a budget) |
//! | `deadline_ms` | wall-clock time of each call into it (a fault); also bounds blocking WASI calls, and how long a call waits for a busy process; time inside a process it calls counts against that process's own deadline | none |
//! | `max_call_depth` | nested wasm calls | 10,000 |
//! | `max_open_files` | descriptors it holds open at once, of those it opens itself (`path_open`, `sock_accept`); one more is `EMFILE` | 256 |
//!
//! Besides each process's `max_open_files`, all the processes of a system
//! draw the descriptors they open from one budget: the host's
//! `RLIMIT_NOFILE` less a reserve the host keeps for itself (module files,
//! directory grants and the preopens of instances and restarts, the
//! embedder's own files and sockets) of an eighth of the limit, at least
//! 64. Once it is spent, opening fails with `ENFILE` in every process,
//! while the host can still restart processes.
//!
//! A process may import only what its manifest grants: WASI (with the
//! capabilities above), and the exports of other processes listed in
//! `imports`, with their signature. `parent = "name"` makes a process a
//! child that may hold only a subset of its parent's capabilities, or a
//! wrapped version of one:
//!
//! | capability | full | wrapped (virtualized) versions |
//! |---|---|---|
//! | `dirs` | read-write | `readonly = true`; a deeper host path (beneath the parent's by its text; see below) |
//! | `clocks` | `true` (host clocks) | `{ resolution_ms = N }`: host time rounded down to N ms; `"virtual"` or `{ virtual_start_ns = T }`: a clock that starts at T, advances 1 µs per read, and makes sleeps instant, revealing nothing of the host |
//! | `random` | `true` (host entropy) | `{ seed = N }`: a deterministic ChaCha12 stream |
//! | `stdout` (and stderr) | `"inherit"` | `{ prefix = "[name] ", max_bytes = N }`: every line prefixed, at most N bytes of the guest's in all (then `ENOSPC`; prefixes are not counted, so a guest writing empty lines puts up to 1 + prefix length times N bytes on the host stream) |
//! | `env` | the parent's variables | any subset of them |
//! | `net` | `true` | `{ ... }` with each address grant inside one of the parent's (a block within its block, its port or any port if it grants any), `ip_name_lookup` only if the parent's, `max_sockets` and `max_listen_backlog` at most the parent's (set, if the parent sets them) |
//! | `imports` | what the parent imports | any subset, or the parent's own exports |
//!
//! A child may hold a wrapped version when its parent holds the full one
//! or a wider wrapping: coarser clocks than the parent's, a prefix that
//! extends the parent's, a smaller output quota. Virtual clocks and seeded
//! randomness reveal nothing of the host, so any process may have them.
//!
//! Directory grants are opened once, when the system is built and before
//! any guest code runs; instances and restarts get duplicates of those
//! descriptors, so a grant stays the directory that was checked even if a
//! process renames it or puts a symbolic link in its place. A process
//! without a parent opens its grants by path (symbolic links in the
//! manifest's own paths are followed: they are the operator's). A child's
//! grant must be beneath one of its parent's grants by the text of the
//! paths (made absolute, `.` dropped), and is opened beneath that grant's
//! descriptor with `openat2(RESOLVE_BENEATH)`: a path that leads out of
//! the parent's directory, by `..` or by a symbolic link, is refused when
//! the system is built, whatever it was when the manifest was parsed.
//! Where a process may have put a symbolic link on a grant's way in an
//! earlier run, no link is followed at all (`RESOLVE_NO_SYMLINKS`): a
//! grant of a process without a parent whose path lies inside any
//! process's read-write grant is opened beneath the outermost such
//! directory; a child's grant whose path lies inside a read-write grant of
//! a process other than its parent (a sibling's, or its own).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nanowasm_wasi::net::AddrGrant;
use serde::Deserialize;

use crate::HostError;

/// A whole system.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The processes.
    #[serde(rename = "process", default)]
    pub processes: Vec<ProcessSpec>,
    /// What `run` starts.
    #[serde(default)]
    pub run: Option<RunSpec>,
}

/// The entry point.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// The process.
    pub entry: String,
    /// Its function (default `_start`).
    #[serde(default = "default_start")]
    pub func: String,
}

fn default_start() -> String {
    "_start".into()
}

/// One nanoprocess.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessSpec {
    /// Its name (what others import it as).
    pub name: String,
    /// The module file (relative paths are relative to the manifest).
    pub module: PathBuf,
    /// A process whose capabilities bound this one's.
    #[serde(default)]
    pub parent: Option<String>,
    /// Program arguments (`args[0]` is the program name).
    #[serde(default)]
    pub args: Vec<String>,
    /// Environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Preopened directories.
    #[serde(default)]
    pub dirs: Vec<DirGrant>,
    /// What its clocks show.
    #[serde(default)]
    pub clocks: ClockGrant,
    /// Where `random_get` draws from.
    #[serde(default)]
    pub random: RandomGrant,
    /// Where stdout and stderr go.
    #[serde(default)]
    pub stdout: OutputGrant,
    /// What it may do on the network (`wasi:sockets`).
    #[serde(skip)]
    pub net: NetGrant,
    /// `net` as written; [`Manifest::parse`] reads it into `net`, so that
    /// its errors name the process.
    #[serde(default, rename = "net")]
    net_toml: Option<toml::Value>,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
    /// Exports of other processes it may call.
    #[serde(default)]
    pub imports: Vec<ImportGrant>,
    /// WIT interfaces that other (component) processes export, which this
    /// one (a component) may import: `uses = [{ interface =
    /// "demo:kv/store@0.1.0", from = "kv" }]`.
    #[serde(default)]
    pub uses: Vec<InterfaceGrant>,
}

/// Permission for a component process to import the WIT interface
/// `interface` that the component process `from` exports: its functions
/// and its resource types, called across the two processes' stores.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceGrant {
    /// The interface's name, as the components import and export it
    /// (`ns:pkg/iface@version`).
    pub interface: String,
    /// The process that exports it.
    pub from: String,
}

/// A directory grant.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirGrant {
    /// Host path (relative to the manifest).
    pub host: PathBuf,
    /// What the guest calls it.
    pub guest: String,
    /// Refuse every change.
    #[serde(default)]
    pub readonly: bool,
}

/// Per-process limits.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Linear memory bytes (each memory).
    pub max_memory: Option<usize>,
    /// Table elements (each table; default:
    /// [`DEFAULT_MAX_TABLE_ELEMENTS`]).
    pub max_table_elements: Option<u64>,
    /// Fuel for each call into the process.
    pub fuel_per_call: Option<u64>,
    /// Wall-clock limit of each call, in milliseconds.
    pub deadline_ms: Option<u64>,
    /// Nested calls inside the process (default: the engine's 10,000).
    pub max_call_depth: Option<usize>,
    /// Descriptors the process may hold open at once, of those it opens
    /// itself (default: [`DEFAULT_MAX_OPEN_FILES`]).
    pub max_open_files: Option<usize>,
}

/// The `max_open_files` of a process that does not set it: well below
/// common host limits (1,024 and up), above what a tenant normally holds.
pub const DEFAULT_MAX_OPEN_FILES: usize = 256;

/// The `max_table_elements` of a process that does not set it. Unlike a
/// 32-bit memory (at most 4 GiB), a table may declare up to 2^32 elements,
/// 32 GiB of host memory; one million (8 MiB) is far more than toolchains
/// emit (a table holds the functions whose address is taken).
pub const DEFAULT_MAX_TABLE_ELEMENTS: u64 = 1_000_000;

/// Permission to call `module.name` (an export of process `module`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportGrant {
    /// The process.
    pub module: String,
    /// Its export.
    pub name: String,
    /// The signature, e.g. `(string, i32) -> bytes`.
    pub sig: String,
}

/// How a process may read time (`clocks = ...`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "toml::Value")]
pub enum ClockGrant {
    /// `false`: every clock call fails with `ENOTCAPABLE`.
    #[default]
    Denied,
    /// `"virtual"` or `{ virtual_start_ns = T }`: virtual time from `T`.
    Virtual {
        /// The realtime clock's first reading, in ns since the epoch.
        start_ns: u64,
    },
    /// `{ resolution_ms = N }`: host time, rounded down to `N` ms.
    Coarse(Duration),
    /// `true`: the host's clocks.
    Host,
}

/// Where `random_get` draws from (`random = ...`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "toml::Value")]
pub enum RandomGrant {
    /// `false`: `random_get` fails with `ENOTCAPABLE`.
    #[default]
    Denied,
    /// `{ seed = N }`: a deterministic stream from `N`.
    Seeded(u64),
    /// `true`: the host's entropy.
    Host,
}

/// Where stdout and stderr go (`stdout = ...`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "toml::Value")]
pub enum OutputGrant {
    /// `"null"`: discarded.
    Null,
    /// `"inherit"` (with neither field) or `{ prefix = "...", max_bytes =
    /// N }`: the host's stdout and stderr, each line prefixed, at most `N`
    /// bytes of the guest's in all (prefixes not counted).
    Inherit {
        /// Put before every line.
        prefix: Option<String>,
        /// A quota on the bytes written to both streams.
        max_bytes: Option<u64>,
    },
}

impl Default for OutputGrant {
    fn default() -> Self {
        OutputGrant::Inherit {
            prefix: None,
            max_bytes: None,
        }
    }
}

/// What a component process may do on the network (`net = ...`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum NetGrant {
    /// `false`: no sockets at all (`create-tcp-socket` answers
    /// `access-denied`).
    #[default]
    Denied,
    /// `{ tcp_connect = [...], ... }`: TCP sockets, used only at the
    /// granted addresses.
    Granted(NetRules),
    /// `true`: the host's network, every address and name lookups.
    Host,
}

/// The grants of `net = { ... }`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetRules {
    /// Addresses its TCP sockets may connect to.
    pub tcp_connect: Vec<AddrGrant>,
    /// Addresses its TCP sockets may bind (and listen) at.
    pub tcp_bind: Vec<AddrGrant>,
    /// Whether it may resolve host names.
    pub ip_name_lookup: bool,
    /// The most sockets it holds at once (default: the WASI context's,
    /// [`nanowasm_wasi::net::DEFAULT_MAX_SOCKETS`]).
    pub max_sockets: Option<usize>,
    /// The cap of its listening sockets' backlogs (default:
    /// [`nanowasm_wasi::net::DEFAULT_MAX_BACKLOG`]).
    pub max_listen_backlog: Option<u32>,
}

impl NetGrant {
    /// Reads `net = ...` (errors name the bad key or entry).
    fn from_toml(v: toml::Value) -> Result<NetGrant, String> {
        let t = match v {
            toml::Value::Boolean(true) => return Ok(NetGrant::Host),
            toml::Value::Boolean(false) => return Ok(NetGrant::Denied),
            v @ toml::Value::Table(_) => table(
                v,
                "net",
                &[
                    "tcp_connect",
                    "tcp_bind",
                    "ip_name_lookup",
                    "max_sockets",
                    "max_listen_backlog",
                ],
            )?,
            v => {
                return Err(format!(
                    "`net` must be true, false or {{ tcp_connect = [...], tcp_bind = [...], ip_name_lookup = B, max_sockets = N, max_listen_backlog = N }}, not {v}"
                ))
            }
        };
        let addrs = |key: &str| -> Result<Vec<AddrGrant>, String> {
            let list = match t.get(key) {
                None => return Ok(Vec::new()),
                Some(toml::Value::Array(list)) => list,
                Some(v) => {
                    return Err(format!(
                        "`net.{key}` must be a list of address strings, not {v}"
                    ))
                }
            };
            list.iter()
                .map(|entry| match entry {
                    toml::Value::String(s) => s
                        .parse::<AddrGrant>()
                        .map_err(|e| format!("`net.{key}`: {e}")),
                    v => Err(format!(
                        "`net.{key}` entry {v} is not a string (\"ADDR:PORT\")"
                    )),
                })
                .collect()
        };
        let ip_name_lookup = match t.get("ip_name_lookup") {
            None => false,
            Some(toml::Value::Boolean(b)) => *b,
            Some(v) => {
                return Err(format!(
                    "`net.ip_name_lookup` must be true or false, not {v}"
                ))
            }
        };
        let max_sockets = uint(&t, "max_sockets")?
            .map(|n| usize::try_from(n).map_err(|_| format!("`net.max_sockets` {n} is too large")))
            .transpose()?;
        let max_listen_backlog = uint(&t, "max_listen_backlog")?
            .map(|n| match u32::try_from(n) {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!(
                    "`net.max_listen_backlog` must be 1..={}, not {n}",
                    u32::MAX
                )),
            })
            .transpose()?;
        Ok(NetGrant::Granted(NetRules {
            tcp_connect: addrs("tcp_connect")?,
            tcp_bind: addrs("tcp_bind")?,
            ip_name_lookup,
            max_sockets,
            max_listen_backlog,
        }))
    }

    /// What of `self` a child may not have when its parent has `parent`
    /// (`None`: all of it is within the parent's).
    fn beyond(&self, parent: &NetGrant) -> Option<String> {
        let (c, p) = match (self, parent) {
            (NetGrant::Denied, _) | (_, NetGrant::Host) => return None,
            (NetGrant::Host, _) => return Some("the host's network (`net = true`)".into()),
            (NetGrant::Granted(_), NetGrant::Denied) => return Some("network access".into()),
            (NetGrant::Granted(c), NetGrant::Granted(p)) => (c, p),
        };
        let uncovered = |mine: &[AddrGrant], theirs: &[AddrGrant]| {
            mine.iter()
                .find(|g| !theirs.iter().any(|t| g.within(t)))
                .copied()
        };
        if let Some(g) = uncovered(&c.tcp_connect, &p.tcp_connect) {
            return Some(format!("the network grant `tcp_connect` {g}"));
        }
        if let Some(g) = uncovered(&c.tcp_bind, &p.tcp_bind) {
            return Some(format!("the network grant `tcp_bind` {g}"));
        }
        if c.ip_name_lookup && !p.ip_name_lookup {
            return Some("name lookups (`ip_name_lookup`)".into());
        }
        let at_most = |c: Option<u64>, p: Option<u64>| match (c, p) {
            (_, None) => true,
            (Some(c), Some(p)) => c <= p,
            (None, Some(_)) => false,
        };
        if !at_most(
            c.max_sockets.map(|n| n as u64),
            p.max_sockets.map(|n| n as u64),
        ) {
            return Some(format!("`max_sockets` {:?}", c.max_sockets));
        }
        if !at_most(
            c.max_listen_backlog.map(u64::from),
            p.max_listen_backlog.map(u64::from),
        ) {
            return Some(format!("`max_listen_backlog` {:?}", c.max_listen_backlog));
        }
        None
    }
}

/// The keys of an inline table, refusing any not in `known`.
fn table(
    v: toml::Value,
    what: &str,
    known: &[&str],
) -> Result<toml::map::Map<String, toml::Value>, String> {
    let toml::Value::Table(t) = v else {
        return Err(format!("`{what}` must be {}", known.join(" / ")));
    };
    if let Some(k) = t.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(format!(
            "`{what}` has no setting `{k}`; expected one of {known:?}"
        ));
    }
    Ok(t)
}

fn uint(t: &toml::map::Map<String, toml::Value>, key: &str) -> Result<Option<u64>, String> {
    match t.get(key) {
        None => Ok(None),
        Some(toml::Value::Integer(n)) if *n >= 0 => Ok(Some(*n as u64)),
        Some(v) => Err(format!("`{key}` must be a non-negative integer, not {v}")),
    }
}

impl TryFrom<toml::Value> for ClockGrant {
    type Error = String;
    fn try_from(v: toml::Value) -> Result<Self, String> {
        let expected = "`clocks` must be true, false, \"virtual\", { resolution_ms = N } or { virtual_start_ns = T }";
        match v {
            toml::Value::Boolean(true) => Ok(ClockGrant::Host),
            toml::Value::Boolean(false) => Ok(ClockGrant::Denied),
            toml::Value::String(s) if s == "virtual" => Ok(ClockGrant::Virtual { start_ns: 0 }),
            v @ toml::Value::Table(_) => {
                let t = table(v, "clocks", &["resolution_ms", "virtual_start_ns"])?;
                match (uint(&t, "resolution_ms")?, uint(&t, "virtual_start_ns")?) {
                    (Some(ms), None) if ms > 0 => Ok(ClockGrant::Coarse(Duration::from_millis(ms))),
                    (None, Some(start_ns)) => Ok(ClockGrant::Virtual { start_ns }),
                    _ => Err(expected.into()),
                }
            }
            _ => Err(expected.into()),
        }
    }
}

impl TryFrom<toml::Value> for RandomGrant {
    type Error = String;
    fn try_from(v: toml::Value) -> Result<Self, String> {
        match v {
            toml::Value::Boolean(true) => Ok(RandomGrant::Host),
            toml::Value::Boolean(false) => Ok(RandomGrant::Denied),
            v @ toml::Value::Table(_) => {
                let t = table(v, "random", &["seed"])?;
                let seed = uint(&t, "seed")?.ok_or("`random` needs a `seed`")?;
                Ok(RandomGrant::Seeded(seed))
            }
            _ => Err("`random` must be true, false or { seed = N }".into()),
        }
    }
}

impl TryFrom<toml::Value> for OutputGrant {
    type Error = String;
    fn try_from(v: toml::Value) -> Result<Self, String> {
        match v {
            toml::Value::String(s) if s == "null" => Ok(OutputGrant::Null),
            toml::Value::String(s) if s == "inherit" => Ok(OutputGrant::default()),
            v @ toml::Value::Table(_) => {
                let t = table(v, "stdout", &["prefix", "max_bytes"])?;
                let prefix = match t.get("prefix") {
                    None => None,
                    Some(toml::Value::String(p)) => Some(p.clone()),
                    Some(v) => return Err(format!("`prefix` must be a string, not {v}")),
                };
                Ok(OutputGrant::Inherit {
                    prefix,
                    max_bytes: uint(&t, "max_bytes")?,
                })
            }
            _ => Err(
                "`stdout` must be \"inherit\", \"null\" or { prefix = \"...\", max_bytes = N }"
                    .into(),
            ),
        }
    }
}

impl ClockGrant {
    /// Whether a child may have `self` when its parent has `parent`.
    fn within(&self, parent: &ClockGrant) -> bool {
        match (self, parent) {
            (ClockGrant::Denied | ClockGrant::Virtual { .. }, _) => true,
            (ClockGrant::Coarse(c), ClockGrant::Coarse(p)) => c >= p,
            (ClockGrant::Coarse(_), ClockGrant::Host) => true,
            (ClockGrant::Host, ClockGrant::Host) => true,
            _ => false,
        }
    }
}

impl RandomGrant {
    /// Whether a child may have `self` when its parent has `parent`.
    fn within(&self, parent: &RandomGrant) -> bool {
        match self {
            RandomGrant::Denied | RandomGrant::Seeded(_) => true,
            RandomGrant::Host => *parent == RandomGrant::Host,
        }
    }
}

impl OutputGrant {
    /// Whether a child may have `self` when its parent has `parent`.
    fn within(&self, parent: &OutputGrant) -> bool {
        match (self, parent) {
            (OutputGrant::Null, _) => true,
            (OutputGrant::Inherit { .. }, OutputGrant::Null) => false,
            (
                OutputGrant::Inherit {
                    prefix: cp,
                    max_bytes: cq,
                },
                OutputGrant::Inherit {
                    prefix: pp,
                    max_bytes: pq,
                },
            ) => {
                let prefix_ok = match (cp, pp) {
                    (_, None) => true,
                    (Some(c), Some(p)) => c.starts_with(p.as_str()),
                    (None, Some(_)) => false,
                };
                let quota_ok = match (cq, pq) {
                    (_, None) => true,
                    (Some(c), Some(p)) => c <= p,
                    (None, Some(_)) => false,
                };
                prefix_ok && quota_ok
            }
        }
    }
}

/// Reads a process's module file: a binary module as it is, a text module
/// (a `.wat` file, or any file that does not start with the binary magic
/// `\0asm`) lowered to binary, so a manifest accepts `.wat` wherever the
/// CLI does. Errors name the process and the file; a syntax error gives
/// the line and column.
pub fn read_module(spec: &ProcessSpec) -> Result<Vec<u8>, HostError> {
    let path = &spec.module;
    let fail = |message: String| HostError::Link {
        process: spec.name.clone(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
    nanowasm_text::binary_or_wat(bytes, &path.display().to_string()).map_err(fail)
}

impl Manifest {
    /// Parses a manifest; relative paths are resolved against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Manifest, HostError> {
        let mut m: Manifest =
            toml::from_str(text).map_err(|e| HostError::Manifest(e.to_string()))?;
        for p in &mut m.processes {
            if let Some(v) = p.net_toml.take() {
                p.net = NetGrant::from_toml(v)
                    .map_err(|e| HostError::Manifest(format!("process `{}`: {e}", p.name)))?;
            }
            p.module = base.join(&p.module);
            for d in &mut p.dirs {
                d.host = base.join(&d.host);
            }
        }
        m.check()?;
        Ok(m)
    }

    /// Reads and parses a manifest file.
    pub fn from_file(path: &Path) -> Result<Manifest, HostError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| HostError::Manifest(format!("{}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Manifest::parse(&text, base)
    }

    /// Names unique, references resolvable, children within their parents.
    fn check(&self) -> Result<(), HostError> {
        let mut names = BTreeMap::new();
        for p in &self.processes {
            if names.insert(p.name.as_str(), p).is_some() {
                return Err(HostError::Manifest(format!(
                    "two processes are named `{}`",
                    p.name
                )));
            }
        }
        for p in &self.processes {
            for i in &p.imports {
                if !names.contains_key(i.module.as_str()) {
                    return Err(HostError::Manifest(format!(
                        "process `{}` imports from `{}`, which is not in the manifest",
                        p.name, i.module
                    )));
                }
                crate::abi::Sig::parse(&i.sig)?;
            }
            for u in &p.uses {
                if !names.contains_key(u.from.as_str()) {
                    return Err(HostError::Manifest(format!(
                        "process `{}` uses `{}` from `{}`, which is not in the manifest",
                        p.name, u.interface, u.from
                    )));
                }
            }
            // A chain of parents ends (in at most as many steps as there
            // are processes).
            let mut up = p;
            for _ in 0..=self.processes.len() {
                match up.parent.as_deref().and_then(|n| names.get(n)) {
                    Some(next) => up = next,
                    None => break,
                }
            }
            if up.parent.as_deref().is_some_and(|n| names.contains_key(n)) {
                return Err(HostError::Manifest(format!(
                    "the parents of process `{}` form a cycle",
                    p.name
                )));
            }
            if let Some(parent) = &p.parent {
                let Some(parent) = names.get(parent.as_str()) else {
                    return Err(HostError::Manifest(format!(
                        "process `{}` has parent `{parent}`, which is not in the manifest",
                        p.name
                    )));
                };
                check_subset(p, parent)?;
            }
        }
        if let Some(r) = &self.run {
            if !names.contains_key(r.entry.as_str()) {
                return Err(HostError::Manifest(format!(
                    "run.entry `{}` is not a process",
                    r.entry
                )));
            }
        }
        Ok(())
    }
}

/// The parent's grant that covers a child's grant `d`: its index in
/// `parent.dirs`, and the path of `d` relative to it. `d` must be inside it
/// by the text of the paths (made absolute, without following symbolic
/// links: [`System::new`](crate::System::new) opens this relative path
/// beneath the parent's descriptor, where the kernel resolves any link and
/// `..` and refuses whatever leads out), and the parent's grant must allow
/// `d`'s mode (a read-write child under a read-write parent).
pub(crate) fn grant_within(d: &DirGrant, parent: &ProcessSpec) -> Option<(usize, PathBuf)> {
    let child = std::path::absolute(&d.host).ok()?;
    parent.dirs.iter().enumerate().find_map(|(i, pd)| {
        let base = std::path::absolute(&pd.host).ok()?;
        let rel = child.strip_prefix(&base).ok()?;
        (d.readonly || !pd.readonly).then(|| (i, rel.to_path_buf()))
    })
}

/// A process whose module file another process could replace: one that
/// holds a read-write grant containing the file (by the text of the paths,
/// made absolute, or by their canonical forms), unless that process is the
/// module's own process or one of its ancestors (whose grants bound its
/// own, so running code they chose gives them nothing). Such a file could
/// be rewritten during one run and run, with the victim's grants, in the
/// next: `(victim, writer)`.
pub(crate) fn module_writable_by_another(m: &Manifest) -> Option<(&str, &str)> {
    let by_name: BTreeMap<&str, &ProcessSpec> =
        m.processes.iter().map(|p| (p.name.as_str(), p)).collect();
    let ancestor = |of: &ProcessSpec, q: &str| {
        let mut at = of.parent.as_deref();
        for _ in 0..m.processes.len() {
            match at {
                Some(name) if name == q => return true,
                Some(name) => at = by_name.get(name).and_then(|p| p.parent.as_deref()),
                None => return false,
            }
        }
        false
    };
    let inside = |file: &Path, dir: &Path| {
        let lexical = match (std::path::absolute(file), std::path::absolute(dir)) {
            (Ok(f), Ok(d)) => f.starts_with(d),
            _ => false,
        };
        let canonical = match (file.canonicalize(), dir.canonicalize()) {
            (Ok(f), Ok(d)) => f.starts_with(d),
            _ => false,
        };
        lexical || canonical
    };
    m.processes.iter().find_map(|p| {
        m.processes
            .iter()
            .filter(|q| q.name != p.name && !ancestor(p, &q.name))
            .find(|q| {
                q.dirs
                    .iter()
                    .any(|d| !d.readonly && inside(&p.module, &d.host))
            })
            .map(|q| (p.name.as_str(), q.name.as_str()))
    })
}

/// A child may hold only what its parent holds.
fn check_subset(child: &ProcessSpec, parent: &ProcessSpec) -> Result<(), HostError> {
    let deny = |what: String| {
        Err(HostError::Manifest(format!(
            "process `{}` asks for {what}, which its parent `{}` does not hold",
            child.name, parent.name
        )))
    };
    for d in &child.dirs {
        // Inside by the text of the paths, and (early, friendlier errors)
        // where the paths lead now. Neither is the authority: the system
        // opens the child's grant beneath the parent's descriptor.
        let covered = grant_within(d, parent).is_some_and(|(i, _)| {
            match (d.host.canonicalize(), parent.dirs[i].host.canonicalize()) {
                (Ok(c), Ok(p)) => c.starts_with(p),
                _ => false,
            }
        });
        if !covered {
            let mode = if d.readonly {
                "read-only"
            } else {
                "read-write"
            };
            return deny(format!("{mode} access to {}", d.host.display()));
        }
    }
    for (k, v) in &child.env {
        if parent.env.get(k) != Some(v) {
            return deny(format!("the environment variable {k}={v}"));
        }
    }
    if !child.clocks.within(&parent.clocks) {
        return deny(format!("clocks {:?}", child.clocks));
    }
    if !child.random.within(&parent.random) {
        return deny(format!("randomness {:?}", child.random));
    }
    if !child.stdout.within(&parent.stdout) {
        return deny(format!("output {:?}", child.stdout));
    }
    if let Some(what) = child.net.beyond(&parent.net) {
        return deny(what);
    }
    for i in &child.imports {
        let held = i.module == parent.name
            || parent
                .imports
                .iter()
                .any(|p| p.module == i.module && p.name == i.name);
        if !held {
            return deny(format!("the import `{}::{}`", i.module, i.name));
        }
    }
    for u in &child.uses {
        if u.from != parent.name && !parent.uses.contains(u) {
            return deny(format!("the interface `{}` of `{}`", u.interface, u.from));
        }
    }
    Ok(())
}
