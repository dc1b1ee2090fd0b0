//! Manifests: which nanoprocesses make up a system, and what each may use.
//!
//! ```toml
//! [run]
//! entry = "parser"            # whose `_start` (or `func`) `nanowasm run --manifest` calls
//!
//! [[process]]
//! name = "parser"
//! module = "parser.wasm"      # relative to the manifest
//! args = ["parser"]
//! env = { MODE = "fast" }
//! dirs = [{ host = "data", guest = "/data", readonly = true }]
//! clocks = true               # may read clocks (default: no)
//! random = false              # may use random_get (default: no)
//! stdout = "inherit"          # or "null" (default: inherit); stdin is always null
//! limits = { max_memory = 16777216, fuel_per_call = 100000000, deadline_ms = 5000 }
//! imports = [{ module = "logger", name = "log", sig = "(string)" }]
//! ```
//!
//! A process may import only what its manifest grants: WASI (with the
//! capabilities above), and the exports of other processes listed in
//! `imports`, with their signature. `parent = "name"` makes a process a
//! child that may hold only a subset of its parent's directories (the same
//! or deeper host paths, read-only if the parent's is), environment and
//! clock/random grants.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
    /// May read clocks.
    #[serde(default)]
    pub clocks: bool,
    /// May use `random_get`.
    #[serde(default)]
    pub random: bool,
    /// `inherit` or `null`.
    #[serde(default)]
    pub stdout: Option<String>,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
    /// Exports of other processes it may call.
    #[serde(default)]
    pub imports: Vec<ImportGrant>,
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
    /// Table elements (each table).
    pub max_table_elements: Option<u64>,
    /// Fuel for each call into the process.
    pub fuel_per_call: Option<u64>,
    /// Wall-clock limit of each call, in milliseconds.
    pub deadline_ms: Option<u64>,
}

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

impl Manifest {
    /// Parses a manifest; relative paths are resolved against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Manifest, HostError> {
        let mut m: Manifest =
            toml::from_str(text).map_err(|e| HostError::Manifest(e.to_string()))?;
        for p in &mut m.processes {
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

/// A child may hold only what its parent holds.
fn check_subset(child: &ProcessSpec, parent: &ProcessSpec) -> Result<(), HostError> {
    let deny = |what: String| {
        Err(HostError::Manifest(format!(
            "process `{}` asks for {what}, which its parent `{}` does not hold",
            child.name, parent.name
        )))
    };
    for d in &child.dirs {
        let covered = parent.dirs.iter().any(|pd| {
            let inside = match (d.host.canonicalize(), pd.host.canonicalize()) {
                (Ok(c), Ok(p)) => c.starts_with(p),
                _ => false,
            };
            inside && (d.readonly || !pd.readonly)
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
    if child.clocks && !parent.clocks {
        return deny("the clocks".into());
    }
    if child.random && !parent.random {
        return deny("randomness".into());
    }
    Ok(())
}
