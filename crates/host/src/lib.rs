//! Nanoprocesses: every tenant or dependency in its own isolated instance.
//!
//! A [`Nanoprocess`] is one [`Store`] and one instance: its own memory,
//! tables, globals, WASI descriptor table and limits (memory bytes, table
//! elements, fuel per call, a wall-clock deadline per call). Nothing is
//! shared: no API hands one process a pointer into another's memory; calls
//! between processes copy typed data ([`abi`]). A [`System`] is a set of
//! processes built from a [`Manifest`]: each gets exactly the imports its
//! manifest grants (WASI with the listed directories, environment, clocks
//! and randomness; named exports of other processes), and an import that
//! is not granted fails at link time with an error naming it.
//!
//! Containment: a trap, fuel exhaustion, a passed deadline, a memory limit
//! or stack exhaustion in a process ends that call with a [`HostError`]
//! naming the process, marks the process failed (its state may be
//! inconsistent) and leaves the host and every other process running;
//! [`System::restart`] makes a fresh instance from the process's template
//! ([`Template`], linked once).
//!
//! Module files are read, and directory grants opened, once, when the
//! [`System`] is built and before any guest code runs: a process's own
//! grants by path, a child's beneath its parent's descriptor (`openat2`
//! with `RESOLVE_BENEATH`), and a grant whose path lies inside any
//! process's read-write grant beneath that directory too (a process may
//! have put a symbolic link there in an earlier run). Every instance, and every restart, gets the
//! compiled module and a duplicate of those descriptors: what a process
//! does to the paths later (a rename, a symbolic link in place of a
//! directory, a new module file) cannot change which directory a grant is
//! or what another process runs.
//!
//! Calls into a process are serialized: one call at a time per process. A
//! call waits for a busy process at most until the caller's deadline (the
//! process's own `deadline_ms` for a call from the host) and then fails
//! with a [`FaultKind::Deadline`] fault; a call into a process that is
//! already on the calling thread's call chain fails at once (as the
//! component model refuses to re-enter an instance). The callee of a cross
//! call is released before its result is copied into the caller, so the
//! caller's `cabi_realloc` may call it again.
//!
//! ```
//! use nanowasm_host::{abi::Value, FaultKind, HostError, Manifest, System};
//!
//! // Two processes: one that spins forever, one that does its job.
//! let dir = std::env::temp_dir().join(format!("nanowasm-host-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! std::fs::write(dir.join("spin.wat"), r#"(module (func (export "run") (loop (br 0))))"#)?;
//! std::fs::write(
//!     dir.join("square.wat"),
//!     r#"(module (func (export "square") (param i32) (result i32)
//!          (i32.mul (local.get 0) (local.get 0))))"#,
//! )?;
//! let manifest = Manifest::parse(
//!     r#"
//!     [[process]]
//!     name = "spin"
//!     module = "spin.wat"
//!     limits = { fuel_per_call = 1000000 }
//!
//!     [[process]]
//!     name = "square"
//!     module = "square.wat"
//!     "#,
//!     &dir,
//! )?;
//! let system = System::new(&manifest)?;
//! // The runaway is stopped by its own limit, and only it fails.
//! match system.call("spin", "run", "()", &[]) {
//!     Err(HostError::Fault { kind: FaultKind::OutOfFuel, .. }) => {}
//!     other => panic!("{other:?}"),
//! }
//! assert!(system.failure("spin")?.is_some());
//! let squared = system.call("square", "square", "(i32) -> i32", &[Value::I32(12)])?;
//! assert_eq!(squared, Some(Value::I32(144)));
//! // A fresh instance from the process's template.
//! system.restart("spin")?;
//! assert!(system.failure("spin")?.is_none());
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod abi;
mod components;
pub mod manifest;

use std::collections::BTreeMap;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nanowasm_component::runtime as component;
use nanowasm_runtime::{
    Caller, CellsFunc, Config, Engine, Error, ErrorKind, Func, InstancePre, Linker, Memory,
    MemoryBounds, Module, Store, StoreLimitsBuilder, TrapCode, Val,
};
use nanowasm_wasi::{DirPerms, FdBudget, FilePerms, Stdio, WasiCtx};

pub use abi::{Sig, Ty, Value};
pub use manifest::{
    ClockGrant, InterfaceGrant, Manifest, NetGrant, NetRules, OutputGrant, ProcessSpec, RandomGrant,
};
/// The component values of calls to component nanoprocesses.
pub use nanowasm_component::runtime::Val as ComponentVal;

/// Why something failed.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The manifest is malformed or inconsistent.
    #[error("manifest: {0}")]
    Manifest(String),
    /// A module failed to load or link (e.g. an import that is not granted).
    #[error("nanoprocess `{process}`: {message}")]
    Link {
        /// The process.
        process: String,
        /// What went wrong.
        message: String,
    },
    /// A call faulted inside a process; the process is marked failed.
    /// Also (with [`FaultKind::Deadline`], the process left as it was) a
    /// call that gave up waiting for a busy process when its deadline
    /// passed, and (with [`FaultKind::Trap`]) a call refused because it
    /// would re-enter a process already on the thread's call chain.
    #[error("nanoprocess `{process}` failed: {kind}: {message}")]
    Fault {
        /// The process.
        process: String,
        /// The kind of fault.
        kind: FaultKind,
        /// The trap message and backtrace, or the limit hit.
        message: String,
    },
    /// A call to a process that failed earlier and was not restarted.
    #[error("nanoprocess `{process}` is down after an earlier failure ({reason}); restart it")]
    Down {
        /// The process.
        process: String,
        /// The earlier failure.
        reason: String,
    },
    /// Data passed between processes was malformed (bounds, size, UTF-8,
    /// types).
    #[error("bad argument: {0}")]
    BadArgument(String),
    /// No such process or export.
    #[error("{0}")]
    NotFound(String),
    /// The guest called `proc_exit`.
    #[error("nanoprocess `{process}` exited with status {status}")]
    Exit {
        /// The process.
        process: String,
        /// Its status.
        status: i32,
    },
}

/// The kinds of faults a process can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// A wasm trap.
    Trap,
    /// Its fuel for the call ran out.
    OutOfFuel,
    /// Its deadline for the call passed.
    Deadline,
    /// Call stack exhausted.
    StackOverflow,
    /// A resource limit of its store.
    Limit,
    /// A host function it called failed.
    Host,
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FaultKind::Trap => "trap",
            FaultKind::OutOfFuel => "out of fuel",
            FaultKind::Deadline => "deadline exceeded",
            FaultKind::StackOverflow => "stack exhausted",
            FaultKind::Limit => "resource limit",
            FaultKind::Host => "host error",
        })
    }
}

/// The host data of a process's store.
pub struct ProcState {
    wasi: WasiCtx,
    /// The process's own `memory` and `cabi_realloc`, found once.
    memory: Option<Memory>,
    realloc: Option<Realloc>,
    /// When the current call's deadline passes, if it has one: a cross
    /// call out of the process waits for a busy callee until then.
    deadline: Option<Instant>,
}

/// `cabi_realloc(old_ptr, old_len, align, new_len) -> ptr`, type-checked
/// once when the process starts, and called on cells (with no `Val`s and
/// no checks of its type or target per call).
type Realloc = CellsFunc;

/// A process as a slot other processes' imports point to (and
/// [`System::restart`] replaces the instance in).
struct Slot {
    /// The process's name, for errors about it that cannot lock it.
    name: String,
    /// How long a call from the host waits for it when busy: its deadline.
    patience: Option<Duration>,
    gate: Gate<Nanoprocess>,
}

/// A lock that knows which thread holds it, so that a thread asking for
/// it again gets an error instead of a deadlock, and whose waits can end
/// at a deadline.
///
/// Every call between processes takes one, so it is built for the
/// uncontended case: entering is one compare-and-swap and leaving one
/// plain store (a spin lock's; a mutex's unlock is a second atomic
/// read-modify-write, which measured 5 ns here, about a twentieth of a
/// whole call between processes). Without that second atomic, a thread
/// leaving may miss a waiter that is just going to sleep (the store that
/// frees the gate can become visible after the leaver has read the
/// waiter count): waiters therefore never sleep longer than
/// [`Gate::POLL`] without looking again, so such a miss costs at most that
/// much latency, never a hang.
///
/// A spin lock lets an arriving thread take the gate ahead of sleeping
/// waiters: a process calling a shared callee in a loop from one thread
/// would keep it from callers on other threads until their deadlines
/// passed. So once a waiter has waited [`Gate::FAIR_AFTER`], the gate
/// turns fair: arrivals queue behind the waiters instead of trying the
/// lock, and only woken waiters try it, until no waiter is left.
struct Gate<T> {
    lock: spin::mutex::SpinMutex<T>,
    /// [`thread_token`] of the holder; 0 when free.
    owner: AtomicU64,
    /// Threads in [`Gate::enter_slow`], waiting for it to be free.
    waiters: AtomicU32,
    /// Set when a waiter has waited [`Gate::FAIR_AFTER`]; cleared when the
    /// last waiter leaves the queue.
    fair: AtomicBool,
    /// Where waiters sleep.
    park: parking_lot::Mutex<()>,
    wake: parking_lot::Condvar,
}

/// How long to wait for a busy [`Gate`].
#[derive(Clone, Copy)]
enum Wait {
    Forever,
    For(Duration),
    Until(Instant),
}

/// Why a [`Gate`] was not entered.
#[derive(Debug, PartialEq, Eq)]
enum Refused {
    /// The calling thread holds it already.
    Reentered,
    /// Another thread held it for the whole wait.
    Busy,
}

/// A number for the current thread, never 0, and different from that of
/// every other thread alive: the address of a thread-local. (A thread
/// that ends may pass its number on to a later one, but a thread never
/// ends while holding a [`Gate`]: the guard lives on its stack.)
#[inline]
fn thread_token() -> u64 {
    thread_local!(static ANCHOR: u8 = const { 0 });
    ANCHOR.with(|a| a as *const u8 as u64)
}

impl<T> Gate<T> {
    /// The longest a waiter sleeps before looking at the gate again.
    const POLL: Duration = Duration::from_millis(1);
    /// How long a waiter waits before arrivals must queue behind it
    /// (`parking_lot`'s mutexes turn fair after 0.5 ms too).
    const FAIR_AFTER: Duration = Duration::from_micros(500);

    fn new(value: T) -> Gate<T> {
        Gate {
            lock: spin::mutex::SpinMutex::new(value),
            owner: AtomicU64::new(0),
            waiters: AtomicU32::new(0),
            fair: AtomicBool::new(false),
            park: parking_lot::Mutex::new(()),
            wake: parking_lot::Condvar::new(),
        }
    }

    #[inline]
    fn try_enter(&self, me: u64) -> Option<Entered<'_, T>> {
        let guard = self.lock.try_lock()?;
        self.owner.store(me, Ordering::Relaxed);
        Some(Entered {
            guard: Some(guard),
            gate: self,
        })
    }

    #[inline]
    fn enter(&self, wait: Wait) -> Result<Entered<'_, T>, Refused> {
        let me = thread_token();
        if !self.fair.load(Ordering::Relaxed) {
            if let Some(entered) = self.try_enter(me) {
                return Ok(entered);
            }
        }
        // Only this thread ever stores its own token, and it clears it
        // before leaving: seeing it here means this thread holds the gate.
        // (Relaxed suffices: a thread always sees its own writes.)
        if self.owner.load(Ordering::Relaxed) == me {
            return Err(Refused::Reentered);
        }
        self.enter_slow(me, wait)
    }

    /// Waits for another thread to leave, until `wait` is over.
    #[cold]
    #[inline(never)]
    fn enter_slow(&self, me: u64, wait: Wait) -> Result<Entered<'_, T>, Refused> {
        let deadline = match wait {
            Wait::Forever => None,
            // A wait too long to represent is a wait forever.
            Wait::For(d) => Instant::now().checked_add(d),
            Wait::Until(t) => Some(t),
        };
        // Calls are short: a little spinning often finds it free (unless
        // others are queued: then this thread queues too).
        for _ in 0..64 {
            if self.fair.load(Ordering::Relaxed) {
                break;
            }
            std::hint::spin_loop();
            if let Some(entered) = self.try_enter(me) {
                return Ok(entered);
            }
        }
        let mut parked = self.park.lock();
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let since = Instant::now();
        // Behind a fair queue, an arrival waits to be woken first.
        let mut may_try = !self.fair.load(Ordering::Relaxed);
        let entered = loop {
            if may_try {
                if let Some(entered) = self.try_enter(me) {
                    break Ok(entered);
                }
            }
            may_try = true;
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                break Err(Refused::Busy);
            }
            if now.duration_since(since) >= Self::FAIR_AFTER {
                self.fair.store(true, Ordering::Relaxed);
            }
            let poll = now + Self::POLL;
            let until = deadline.map_or(poll, |d| d.min(poll));
            self.wake.wait_until(&mut parked, until);
        };
        if self.waiters.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.fair.store(false, Ordering::Relaxed);
        }
        entered
    }

    /// Wakes a waiter (see `Entered`'s `Drop`).
    #[cold]
    #[inline(never)]
    fn wake_one(&self) {
        // Under `park`, so that a waiter between its look at the lock and
        // its sleep is not skipped.
        let _parked = self.park.lock();
        self.wake.notify_one();
    }
}

/// A held [`Gate`].
struct Entered<'a, T> {
    /// `None` only while it is being dropped.
    guard: Option<spin::mutex::SpinMutexGuard<'a, T>>,
    gate: &'a Gate<T>,
}

impl<T> Drop for Entered<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.gate.owner.store(0, Ordering::Relaxed);
        // Unlocked (a store), then any waiter woken.
        self.guard = None;
        if self.gate.waiters.load(Ordering::Relaxed) != 0 {
            self.gate.wake_one();
        }
    }
}

impl<T> std::ops::Deref for Entered<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        self.guard.as_deref().expect("a held gate has its guard")
    }
}

impl<T> std::ops::DerefMut for Entered<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        self.guard
            .as_deref_mut()
            .expect("a held gate has its guard")
    }
}

impl Slot {
    /// Enters the process for a call; `caller` names who asks, to blame in
    /// a refusal: the calling process (whose deadline passed), or `None`
    /// for the host (the process's own deadline bounds the wait).
    #[inline]
    fn enter(
        &self,
        wait: Wait,
        caller: Option<&str>,
    ) -> Result<Entered<'_, Nanoprocess>, HostError> {
        self.gate.enter(wait).map_err(|r| self.refusal(r, caller))
    }

    /// The error for a call that could not enter.
    #[cold]
    fn refusal(&self, r: Refused, caller: Option<&str>) -> HostError {
        let name = &self.name;
        tracing::debug!(
            process = %name,
            caller = caller.unwrap_or("<host>"),
            reason = ?r,
            "call refused"
        );
        match (r, caller) {
            (Refused::Reentered, _) => HostError::Fault {
                process: caller.unwrap_or(name).to_owned(),
                kind: FaultKind::Trap,
                message: format!(
                    "cannot enter nanoprocess `{name}`: it is already on this thread's call chain, and re-entering a nanoprocess is refused"
                ),
            },
            (Refused::Busy, Some(caller)) => HostError::Fault {
                process: caller.to_owned(),
                kind: FaultKind::Deadline,
                message: format!(
                    "its deadline passed while it waited for nanoprocess `{name}`, busy with another call"
                ),
            },
            (Refused::Busy, None) => HostError::Fault {
                process: name.clone(),
                kind: FaultKind::Deadline,
                message: format!(
                    "busy with another call for longer than its deadline ({} ms)",
                    self.patience.unwrap_or_default().as_millis()
                ),
            },
        }
    }
}

/// What a [`System`] gives each template besides its spec.
struct Provisions {
    /// Whether the engine meters fuel.
    metered: bool,
    /// The process's directory grants, opened.
    dirs: Vec<OwnedFd>,
    /// The system's descriptor budget.
    budget: FdBudget,
}

/// A compiled, linked process, ready to instantiate many times.
pub struct Template {
    spec: ProcessSpec,
    engine: Engine,
    /// A core module's, linked.
    pre: Option<InstancePre<ProcState>>,
    /// A component and its linker (WASI 0.2 and the interfaces it uses).
    component: Option<(component::Component, component::Linker<ProcState>)>,
    epoch_ticks: Option<u64>,
    /// Whether the engine meters fuel (then a process without a budget
    /// gets `u64::MAX` on every entry).
    metered: bool,
    /// The directory grants (`spec.dirs`, in order), opened once when the
    /// system was built; each instance gets duplicates.
    dirs: Vec<OwnedFd>,
    /// The system's budget of descriptors that guests open.
    budget: FdBudget,
}

impl Template {
    /// Compiles `spec.module` and links it against `grants` (the processes
    /// its imports name).
    fn new(
        engine: &Engine,
        spec: &ProcessSpec,
        bytes: &[u8],
        grants: &BTreeMap<String, Arc<Slot>>,
        ports: &mut usize,
        given: Provisions,
    ) -> Result<Template, HostError> {
        let link_err = |message: String| HostError::Link {
            process: spec.name.clone(),
            message,
        };
        if matches!(
            nanowasm_component::encoding(bytes),
            Ok(nanowasm_component::Encoding::Component)
        ) {
            return Template::new_component(engine, spec, bytes, grants, given);
        }
        if let Some(u) = spec.uses.first() {
            return Err(link_err(format!(
                "uses the interface `{}`, but only components import interfaces; its module is a core module",
                u.interface
            )));
        }
        let module = Module::new(engine, bytes).map_err(|e| link_err(e.to_string()))?;
        let mut linker: Linker<ProcState> = Linker::new(engine);
        nanowasm_wasi::add_to_linker(&mut linker, |s: &mut ProcState| &mut s.wasi)
            .map_err(|e| link_err(e.to_string()))?;
        for g in &spec.imports {
            let sig = Sig::parse(&g.sig)?;
            let target = grants[&g.module].clone();
            let (caller_name, export) = (spec.name.clone(), g.name.clone());
            // The callee caches the resolved export under this number.
            let port = *ports;
            *ports += 1;
            linker
                .func_new_cells(&g.module, &g.name, sig.core_type(), move |caller, cells| {
                    let to = Port {
                        target: &target,
                        export: &export,
                        sig: &sig,
                        port,
                    };
                    cross_call(caller, &caller_name, to, cells)
                })
                .map_err(|e| link_err(e.to_string()))?;
        }
        for import in module.imports() {
            let (m, n) = (import.module(), import.name());
            if !nanowasm_wasi::is_wasi_module(m)
                && !spec.imports.iter().any(|g| g.module == m && g.name == n)
            {
                return Err(link_err(format!(
                    "import `{m}::{n}` is not granted by the manifest"
                )));
            }
        }
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| link_err(e.to_string()))?;
        Ok(Template {
            spec: spec.clone(),
            engine: engine.clone(),
            pre: Some(pre),
            component: None,
            epoch_ticks: spec.limits.deadline_ms,
            metered: given.metered,
            dirs: given.dirs,
            budget: given.budget,
        })
    }

    /// A fresh process: new store, new WASI state, new instance.
    pub fn instantiate(&self) -> Result<Nanoprocess, HostError> {
        let spec = &self.spec;
        let mut b = WasiCtx::builder();
        b.args(spec.args.iter().cloned());
        match spec.clocks {
            ClockGrant::Denied => b.allow_clocks(false),
            ClockGrant::Virtual { start_ns } => b.virtual_clocks(start_ns),
            ClockGrant::Coarse(resolution) => b.coarse_clocks(resolution),
            ClockGrant::Host => b.allow_clocks(true),
        };
        match spec.random {
            RandomGrant::Denied => b.allow_random(false),
            RandomGrant::Seeded(seed) => b.seeded_random(seed),
            RandomGrant::Host => b.allow_random(true),
        };
        if let OutputGrant::Inherit { prefix, max_bytes } = &spec.stdout {
            b.stdout(Stdio::Inherit).stderr(Stdio::Inherit);
            if let Some(p) = prefix {
                b.stdout_prefix(p.as_bytes()).stderr_prefix(p.as_bytes());
            }
            if let Some(n) = max_bytes {
                b.output_limit(*n);
            }
        }
        for (k, v) in &spec.env {
            b.env(k, v);
        }
        match &spec.net {
            NetGrant::Denied => {
                b.allow_tcp(false).allow_ip_name_lookup(false);
            }
            NetGrant::Host => {
                b.inherit_network().allow_ip_name_lookup(true);
            }
            NetGrant::Granted(rules) => {
                for g in &rules.tcp_connect {
                    b.allow_tcp_connect(*g);
                }
                for g in &rules.tcp_bind {
                    b.allow_tcp_bind(*g);
                }
                b.allow_ip_name_lookup(rules.ip_name_lookup);
                if let Some(n) = rules.max_sockets {
                    b.max_sockets(n);
                }
                if let Some(n) = rules.max_listen_backlog {
                    b.max_listen_backlog(n);
                }
            }
        }
        // Its own quota, and the system's budget shared by all.
        b.max_open_files(
            spec.limits
                .max_open_files
                .unwrap_or(manifest::DEFAULT_MAX_OPEN_FILES),
        );
        b.fd_budget(self.budget.clone());
        // The descriptors opened when the system was built, never the
        // paths again: they may name something else by now.
        for (d, fd) in spec.dirs.iter().zip(&self.dirs) {
            let fd = fd.try_clone().map_err(|e| HostError::Link {
                process: spec.name.clone(),
                message: format!(
                    "cannot duplicate the descriptor of its directory grant {}: {e}",
                    d.host.display()
                ),
            })?;
            let (perms, file_perms) = if d.readonly {
                (DirPerms::READ, FilePerms::READ)
            } else {
                (DirPerms::all(), FilePerms::all())
            };
            b.preopened_dir_fd(fd, d.guest.clone(), perms, file_perms);
        }
        let wasi = b.build().map_err(|e| HostError::Link {
            process: spec.name.clone(),
            message: e.to_string(),
        })?;
        let mut store = Store::new(
            &self.engine,
            ProcState {
                wasi,
                memory: None,
                realloc: None,
                deadline: None,
            },
        );
        let mut limits = StoreLimitsBuilder::new();
        if let Some(m) = spec.limits.max_memory {
            limits = limits.memory_size(m);
        }
        limits = limits.table_elements(
            spec.limits
                .max_table_elements
                .unwrap_or(manifest::DEFAULT_MAX_TABLE_ELEMENTS),
        );
        if let Some(d) = spec.limits.max_call_depth {
            limits = limits.call_depth(d);
        }
        store.set_limits(limits.build());
        let mut p = Nanoprocess {
            name: spec.name.clone(),
            store,
            instance: None,
            memory: None,
            realloc: None,
            failed: None,
            // Unlimited means unlimited: when the engine meters fuel (for
            // some other process), a process without a budget gets all
            // there is on every entry.
            fuel: self
                .metered
                .then(|| spec.limits.fuel_per_call.unwrap_or(u64::MAX)),
            epoch_ticks: self.epoch_ticks,
            exports: BTreeMap::new(),
            ports: Vec::new(),
            component: None,
        };
        p.arm();
        if let Some((component, linker)) = &self.component {
            let instance = linker
                .instantiate(&mut p.store, component)
                .map_err(|e| p.fault(e))?;
            p.component = Some(instance);
            tracing::debug!(
                process = %spec.name,
                module = %spec.module.display(),
                uses = spec.uses.len(),
                "component nanoprocess created"
            );
            return Ok(p);
        }
        let Some(pre) = &self.pre else {
            return Err(HostError::Link {
                process: spec.name.clone(),
                message: "neither a module nor a component".into(),
            });
        };
        let instance = pre.instantiate(&mut p.store).map_err(|e| p.fault(e))?;
        p.memory = instance.get_memory(&p.store, "memory");
        p.realloc = match instance.get_func(&p.store, "cabi_realloc") {
            Some(f) => {
                let bad_type = || HostError::Link {
                    process: spec.name.clone(),
                    message: "`cabi_realloc` must have type (i32, i32, i32, i32) -> i32".into(),
                };
                f.typed::<(i32, i32, i32, i32), i32>(&p.store)
                    .map_err(|_| bad_type())?;
                Some(f.cells_func(&p.store).map_err(|_| bad_type())?)
            }
            None => None,
        };
        p.store.data_mut().memory = p.memory;
        p.store.data_mut().realloc = p.realloc;
        p.instance = Some(instance);
        // A WASI reactor initializes itself once, before any export is used.
        if let Some(init) = instance.get_func(&p.store, "_initialize") {
            tracing::debug!(process = %spec.name, "running `_initialize`");
            p.arm();
            init.call(&mut p.store, &[], &mut [])
                .map_err(|e| p.fault(e))?;
        }
        tracing::debug!(
            process = %spec.name,
            module = %spec.module.display(),
            dirs = spec.dirs.len(),
            imports = spec.imports.len(),
            fuel_per_call = ?spec.limits.fuel_per_call,
            deadline_ms = ?spec.limits.deadline_ms,
            max_memory = ?spec.limits.max_memory,
            "nanoprocess created"
        );
        Ok(p)
    }
}

/// One isolated instance with its own store.
pub struct Nanoprocess {
    name: String,
    store: Store<ProcState>,
    instance: Option<nanowasm_runtime::Instance>,
    memory: Option<Memory>,
    realloc: Option<Realloc>,
    failed: Option<String>,
    /// The fuel set on every entry, when the engine meters it.
    fuel: Option<u64>,
    epoch_ticks: Option<u64>,
    /// Exports already looked up and type-checked against a signature.
    exports: BTreeMap<String, (Func, Sig)>,
    /// Exports resolved for the imports of other processes, by port number
    /// (one per import grant in the system): a cross call finds its
    /// callee's function with one index.
    ports: Vec<Option<CellsFunc>>,
    /// The component instance, for a component process.
    component: Option<component::Instance>,
}

/// Where a cross call goes.
#[derive(Clone, Copy)]
struct Port<'a> {
    target: &'a Slot,
    export: &'a str,
    sig: &'a Sig,
    port: usize,
}

impl Nanoprocess {
    /// Export `func`, checked once against `sig`.
    fn export(&mut self, func: &str, sig: &Sig) -> Result<Func, HostError> {
        if let Some((f, s)) = self.exports.get(func) {
            if s == sig {
                return Ok(*f);
            }
        }
        let instance = self
            .instance
            .ok_or_else(|| HostError::NotFound(format!("`{}` has no instance", self.name)))?;
        let f = instance.get_func(&self.store, func).ok_or_else(|| {
            HostError::NotFound(format!(
                "nanoprocess `{}` exports no function `{func}`",
                self.name
            ))
        })?;
        let expected = sig.core_type();
        let actual = f.ty(&self.store).map_err(|e| self.fault(e))?;
        if actual != expected {
            return Err(HostError::Link {
                process: self.name.clone(),
                message: format!(
                    "export `{func}` has type {actual}, but the manifest says {expected}"
                ),
            });
        }
        self.exports.insert(func.to_owned(), (f, sig.clone()));
        Ok(f)
    }

    /// The export behind `port`, resolved (and checked) on first use.
    fn port(&mut self, to: Port<'_>) -> Result<CellsFunc, HostError> {
        if let Some(Some(f)) = self.ports.get(to.port) {
            return Ok(*f);
        }
        let f = self.export(to.export, to.sig)?;
        // The export's checks for calls on cells, made once.
        let f = f.cells_func(&self.store).map_err(|e| self.fault(e))?;
        if self.ports.len() <= to.port {
            self.ports.resize(to.port + 1, None);
        }
        self.ports[to.port] = Some(f);
        Ok(f)
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Why it is down, if it is.
    pub fn failure(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// Sets the per-call budgets before entering the process (a call
    /// from the host or another process, instantiation, `_initialize`).
    fn arm(&mut self) {
        if let Some(f) = self.fuel {
            // Cannot fail: `fuel` is set only when the engine meters it.
            let _ = self.store.set_fuel(f);
        }
        let deadline = self.epoch_ticks.and_then(|t| {
            self.store.set_epoch_deadline(t);
            Instant::now().checked_add(Duration::from_millis(t))
        });
        let state = self.store.data_mut();
        state.deadline = deadline;
        // Blocking WASI calls (a sleep, a read from a socket) end at the
        // deadline too, with the same interrupt trap.
        state.wasi.set_deadline(deadline);
    }

    /// Turns an engine error inside this process into a fault, marking it
    /// down (except for `proc_exit`, a normal end).
    fn fault(&mut self, e: Error) -> HostError {
        // A failure passed up from a process this one called (or a bad
        // argument it passed) is not this process's fault: its state is
        // intact.
        let e = if e.is::<HostError>() {
            match e.into_kind() {
                ErrorKind::Host(inner) => match inner.downcast::<HostError>() {
                    Ok(h) => return *h,
                    Err(other) => Error::from_boxed(other),
                },
                kind => Error::from(kind),
            }
        } else {
            e
        };
        if let Some(status) = e.exit_status() {
            tracing::debug!(process = %self.name, status, "nanoprocess exited");
            return HostError::Exit {
                process: self.name.clone(),
                status,
            };
        }
        let kind = match e.trap_code() {
            Some(TrapCode::OutOfFuel) => FaultKind::OutOfFuel,
            Some(TrapCode::Interrupted) => FaultKind::Deadline,
            Some(TrapCode::StackOverflow) => FaultKind::StackOverflow,
            Some(_) => FaultKind::Trap,
            // A canonical ABI check failed (a bad handle, pointer, string,
            // discriminant): a trap of the component model.
            None if e.is::<component::AbiTrap>() => FaultKind::Trap,
            None if matches!(e.kind(), ErrorKind::Limit(_)) => FaultKind::Limit,
            None => FaultKind::Host,
        };
        let message = e.to_string();
        tracing::debug!(process = %self.name, %kind, error = %message, "nanoprocess faulted");
        self.failed = Some(format!("{kind}: {}", message.lines().next().unwrap_or("")));
        HostError::Fault {
            process: self.name.clone(),
            kind,
            message,
        }
    }

    fn check_up(&self) -> Result<(), HostError> {
        match &self.failed {
            Some(reason) => Err(HostError::Down {
                process: self.name.clone(),
                reason: reason.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Copies `bytes` into the process's memory (allocated by its
    /// `cabi_realloc`); returns the pointer.
    fn put(&mut self, bytes: &[u8]) -> Result<u32, HostError> {
        let name = &self.name;
        let who = || format!("nanoprocess `{name}`");
        copy_in(&mut self.store, self.realloc, self.memory, bytes, &who).map_err(|e| self.fault(e))
    }

    /// Calls export `func` with signature `sig`, copying `string`/`bytes`
    /// in and out. A fault marks the process down.
    pub fn call(
        &mut self,
        func: &str,
        sig: &Sig,
        args: &[Value],
    ) -> Result<Option<Value>, HostError> {
        self.check_up()?;
        if args.len() != sig.params.len() || args.iter().zip(&sig.params).any(|(a, t)| a.ty() != *t)
        {
            return Err(HostError::BadArgument(format!(
                "`{}.{func}` takes {:?}, got {args:?}",
                self.name, sig.params
            )));
        }
        let f = self.export(func, sig)?;
        tracing::trace!(process = %self.name, func, args = args.len(), "call from the host");
        let ty = f.ty(&self.store).map_err(|e| self.fault(e))?;
        self.arm();
        let mut flat = Vec::with_capacity(args.len() * 2);
        for a in args {
            match a {
                Value::I32(x) => flat.push(Val::I32(*x)),
                Value::I64(x) => flat.push(Val::I64(*x)),
                Value::F32(x) => flat.push(Val::F32(x.to_bits())),
                Value::F64(x) => flat.push(Val::F64(x.to_bits())),
                Value::String(s) => {
                    let p = self.put(s.as_bytes())?;
                    flat.extend([Val::I32(p as i32), Val::I32(s.len() as i32)]);
                }
                Value::Bytes(b) => {
                    let p = self.put(b)?;
                    flat.extend([Val::I32(p as i32), Val::I32(b.len() as i32)]);
                }
            }
        }
        let mut out: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
        f.call(&mut self.store, &flat, &mut out)
            .map_err(|e| self.fault(e))?;
        Ok(match (sig.result, out.first()) {
            (None, _) | (_, None) => None,
            (Some(Ty::I32), Some(Val::I32(x))) => Some(Value::I32(*x)),
            (Some(Ty::I64), Some(Val::I64(x))) => Some(Value::I64(*x)),
            (Some(Ty::F32), Some(Val::F32(x))) => Some(Value::F32(f32::from_bits(*x))),
            (Some(Ty::F64), Some(Val::F64(x))) => Some(Value::F64(f64::from_bits(*x))),
            (Some(t @ (Ty::String | Ty::Bytes)), Some(Val::I64(packed))) => {
                let mem = match self.memory.map(|m| m.data(&self.store)) {
                    Some(Ok(mem)) => mem,
                    None => &[],
                    Some(Err(e)) => return Err(self.fault(e)),
                };
                let who = || format!("result of `{}.{func}`", self.name);
                let (ptr, len) = (*packed as u64 as u32, (*packed as u64 >> 32) as u32);
                let bytes = abi::slice(mem, ptr, len, &who)?.to_vec();
                Some(abi::lift_bytes(t, bytes, &who())?)
            }
            _ => None,
        })
    }
}

/// The host side of an import granted from another process: copy the
/// arguments from the caller's memory straight into memory the callee
/// allocates, call, and copy a `string`/`bytes` result back the same way.
/// The arguments and the result are in `cells`, one per flat value (the
/// signature has no `v128` or references), as `Func::call_cells` takes
/// them: no conversion to values on the way.
fn cross_call(
    mut caller: Caller<'_, ProcState>,
    caller_name: &str,
    to: Port<'_>,
    cells: &mut [u64],
) -> Result<(), Error> {
    let (export, sig) = (to.export, to.sig);
    tracing::trace!(
        caller = caller_name,
        callee = %to.target.name,
        export,
        "cross-process call"
    );
    let err = |e: HostError| Error::new(e);
    let who = || format!("argument from `{caller_name}` to `{export}`");
    let utf8 = |w: String| {
        err(HostError::BadArgument(format!(
            "{w}: a `string` is not valid UTF-8"
        )))
    };
    let caller_mem = caller.data().memory;
    // The import graph is acyclic (checked when the system is built), so
    // locks are always taken caller before callee: no deadlock between
    // threads. A wait for a callee busy on another thread ends at the
    // caller's deadline; a callee this thread holds already is refused.
    let wait = caller.data().deadline.map_or(Wait::Forever, Wait::Until);
    let mut guard = to.target.enter(wait, Some(caller_name)).map_err(err)?;
    let callee = &mut *guard;
    callee.check_up().map_err(err)?;
    let f = callee.port(to).map_err(err)?;
    callee.arm();
    // The callee's flat arguments are the caller's, with each (ptr, len)
    // rewritten in place to point into the callee's copy.
    let mut i = 0;
    for t in &sig.params {
        if matches!(t, Ty::String | Ty::Bytes) {
            let (Some(&ptr), Some(&len)) = (cells.get(i), cells.get(i + 1)) else {
                return Err(err(HostError::BadArgument(who())));
            };
            let data = match caller_mem {
                Some(m) => m.data(&caller)?,
                None => &[],
            };
            let src = abi::slice(data, ptr as u32, len as u32, &who).map_err(err)?;
            if *t == Ty::String && !abi::is_utf8(src) {
                return Err(utf8(who()));
            }
            cells[i] = u64::from(callee.put(src).map_err(err)?);
            i += 2;
        } else {
            i += 1;
        }
    }
    if let Err(e) = f.call(&mut callee.store, cells) {
        return Err(err(callee.fault(e)));
    }
    tracing::trace!(
        caller = caller_name,
        callee = %callee.name,
        export,
        "cross-process call returned"
    );
    if let Some(t @ (Ty::String | Ty::Bytes)) = sig.result {
        // The result goes through a host buffer (on the stack when short),
        // so that the callee is released before the caller's
        // `cabi_realloc` runs: it may call the callee again.
        let (mut small, mut large) = ([0u8; 256], Vec::new());
        let bytes: &[u8] = {
            let rwho = || format!("result of `{}.{export}`", callee.name);
            let packed = cells[0];
            let (ptr, len) = (packed as u32, (packed >> 32) as u32);
            let data = match callee.memory {
                Some(m) => m.data(&callee.store)?,
                None => &[],
            };
            let src = abi::slice(data, ptr, len, &rwho).map_err(err)?;
            if t == Ty::String && !abi::is_utf8(src) {
                return Err(utf8(rwho()));
            }
            if let Some(dst) = small.get_mut(..src.len()) {
                dst.copy_from_slice(src);
                dst
            } else {
                large.extend_from_slice(src);
                &large
            }
        };
        drop(guard);
        cells[0] = put_in_caller(&mut caller, caller_name, bytes)?;
    }
    Ok(())
}

/// Copies `bytes` into a process's memory through its `cabi_realloc`
/// (`who` names it in errors); returns the pointer. A trap in
/// `cabi_realloc` is returned as is; a missing export or a pointer outside
/// memory is a [`HostError::BadArgument`] (wrapped in [`Error::Host`]).
fn copy_in(
    mut store: impl nanowasm_runtime::AsContextMut<Data = ProcState>,
    realloc: Option<Realloc>,
    memory: Option<Memory>,
    bytes: &[u8],
    who: &dyn Fn() -> String,
) -> Result<u32, Error> {
    let bad = |m: String| Error::new(HostError::BadArgument(format!("{}: {m}", who())));
    let (Some(realloc), Some(memory)) = (realloc, memory) else {
        return Err(bad(
            "exchanges `string`/`bytes` but exports no `cabi_realloc` and `memory`".into(),
        ));
    };
    let mut cells = [0, 0, 1, bytes.len() as u64];
    realloc.call(&mut store, &mut cells)?;
    let ptr = cells[0] as i32;
    let data = memory.data_mut(&mut store)?;
    let start = ptr as u32 as usize;
    match start
        .checked_add(bytes.len())
        .and_then(|end| data.get_mut(start..end))
    {
        Some(dst) => dst.copy_from_slice(bytes),
        None => {
            return Err(bad(format!(
                "`cabi_realloc` returned {ptr:#x}, outside its memory for {} bytes",
                bytes.len()
            )))
        }
    }
    Ok(ptr as u32)
}

/// Copies a result into the calling process's memory; returns the packed
/// `(len << 32) | ptr`.
fn put_in_caller(
    caller: &mut Caller<'_, ProcState>,
    name: &str,
    bytes: &[u8],
) -> Result<u64, Error> {
    let (realloc, memory) = (caller.data().realloc, caller.data().memory);
    let ptr = copy_in(&mut *caller, realloc, memory, bytes, &|| {
        format!("nanoprocess `{name}`")
    })?;
    Ok((bytes.len() as u64) << 32 | u64::from(ptr))
}

/// A running composition of nanoprocesses.
pub struct System {
    engine: Engine,
    templates: BTreeMap<String, Arc<Template>>,
    slots: BTreeMap<String, Arc<Slot>>,
    budget: FdBudget,
    run: Option<manifest::RunSpec>,
    ticking: Arc<AtomicBool>,
}

impl System {
    /// Builds every process of `manifest`: callees before callers (the
    /// import graph must be acyclic), each linked only to what it is
    /// granted. Every module file is read and every directory grant opened
    /// first, before any guest code runs (a child's grant beneath its
    /// parent's descriptor, so that it is refused if it is not, or no
    /// longer, inside the parent's directory); restarts use what was read
    /// and opened then.
    pub fn new(manifest: &Manifest) -> Result<System, HostError> {
        let mut config = Config::new();
        let fuel = manifest
            .processes
            .iter()
            .any(|p| p.limits.fuel_per_call.is_some());
        let deadline = manifest
            .processes
            .iter()
            .any(|p| p.limits.deadline_ms.is_some());
        config
            .consume_fuel(fuel)
            .epoch_interruption(deadline)
            .memory_bounds(memory_bounds_for(
                manifest.processes.len(),
                rustix::process::getrlimit(rustix::process::Resource::As).current,
            ));
        // What can fail before any process exists comes first, so that an
        // error leaves no ticker thread behind.
        if let Some((victim, writer)) = manifest::module_writable_by_another(manifest) {
            return Err(HostError::Manifest(format!(
                "the module of process `{victim}` lies inside a read-write directory grant of \
                 process `{writer}`, which could replace it for the next run; keep modules \
                 outside other processes' writable grants (or make `{writer}` its parent)"
            )));
        }
        let mut dirs = open_grants(manifest)?;
        let budget = FdBudget::new(guest_fd_budget());
        if let Some(p) = manifest
            .processes
            .iter()
            .find(|p| p.limits.max_open_files.is_some_and(|n| n > budget.max()))
        {
            return Err(HostError::Manifest(format!(
                "process `{}` asks for max_open_files = {}, more than the {} descriptors \
                 this host can give all processes together (RLIMIT_NOFILE less its reserve)",
                p.name,
                p.limits.max_open_files.unwrap_or_default(),
                budget.max()
            )));
        }
        let engine = Engine::new(&config);
        let ticking = Arc::new(AtomicBool::new(deadline));
        if deadline {
            // One tick per millisecond: deadlines are in ticks.
            let (engine, ticking) = (engine.clone(), ticking.clone());
            std::thread::spawn(move || {
                while ticking.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(1));
                    engine.increment_epoch();
                }
            });
        }
        let mut sys = System {
            engine,
            templates: BTreeMap::new(),
            slots: BTreeMap::new(),
            budget,
            run: manifest.run.clone(),
            ticking,
        };
        let order = topological(manifest)?;
        // Every module is read before any guest code runs (instantiation,
        // `_initialize`): a process that can write where another's module
        // lies must not choose what that process runs.
        let modules = order
            .iter()
            .map(|spec| manifest::read_module(spec))
            .collect::<Result<Vec<_>, _>>()?;
        let mut ports = 0;
        for (spec, bytes) in order.into_iter().zip(modules) {
            let template = Arc::new(Template::new(
                &sys.engine,
                spec,
                &bytes,
                &sys.slots,
                &mut ports,
                Provisions {
                    metered: fuel,
                    dirs: dirs.remove(&spec.name).unwrap_or_default(),
                    budget: sys.budget.clone(),
                },
            )?);
            let process = template.instantiate()?;
            let slot = Slot {
                name: spec.name.clone(),
                patience: spec.limits.deadline_ms.map(Duration::from_millis),
                gate: Gate::new(process),
            };
            sys.slots.insert(spec.name.clone(), Arc::new(slot));
            sys.templates.insert(spec.name.clone(), template);
        }
        tracing::debug!(
            processes = sys.slots.len(),
            fuel,
            deadlines = deadline,
            fd_budget = sys.budget.max(),
            "system built"
        );
        Ok(sys)
    }

    fn slot(&self, name: &str) -> Result<&Slot, HostError> {
        self.slots
            .get(name)
            .map(|s| &**s)
            .ok_or_else(|| HostError::NotFound(format!("no nanoprocess named `{name}`")))
    }

    /// Calls `name.func` with a signature like `(string) -> bytes`. If
    /// the process is busy with another call, this waits at most its
    /// `deadline_ms` for it (then fails with a [`FaultKind::Deadline`]
    /// fault, the process left as it is).
    pub fn call(
        &self,
        name: &str,
        func: &str,
        sig: &str,
        args: &[Value],
    ) -> Result<Option<Value>, HostError> {
        let sig = Sig::parse(sig)?;
        let slot = self.slot(name)?;
        let wait = slot.patience.map_or(Wait::Forever, Wait::For);
        slot.enter(wait, None)?.call(func, &sig, args)
    }

    /// Calls the component function `func` of process `name` (in its
    /// exported interface `interface`, or at its root) with component
    /// values. Waits for a busy process as [`System::call`] does.
    pub fn call_component(
        &self,
        name: &str,
        interface: Option<&str>,
        func: &str,
        args: &[ComponentVal],
    ) -> Result<Option<ComponentVal>, HostError> {
        let slot = self.slot(name)?;
        let wait = slot.patience.map_or(Wait::Forever, Wait::For);
        slot.enter(wait, None)?
            .call_component(interface, func, args)
    }

    /// Runs the manifest's entry (`[run]`): its `_start` by default; for
    /// a command component, its `wasi:cli/run` (an `err` result is exit
    /// status 1).
    pub fn run(&self) -> Result<(), HostError> {
        let Some(run) = &self.run else {
            return Err(HostError::Manifest("no [run] entry".into()));
        };
        self.run_process(&run.entry, &run.func)
    }

    /// Runs process `name` as a program: for a command component, its
    /// `wasi:cli/run` (an `err` result is exit status 1); otherwise its
    /// function `func` (of type `() -> ()`, e.g. `_start`). Exit status 0
    /// is `Ok`. [`System::run`] is this for the manifest's entry.
    pub fn run_process(&self, name: &str, func: &str) -> Result<(), HostError> {
        let slot = self.slot(name)?;
        let command = {
            let wait = slot.patience.map_or(Wait::Forever, Wait::For);
            slot.enter(wait, None)?.run_interface()
        };
        if let Some(iface) = command {
            return match self.call_component(name, Some(&iface), "run", &[]) {
                Ok(Some(ComponentVal::Result(Ok(_)))) | Ok(None) => Ok(()),
                Ok(Some(_)) => Err(HostError::Exit {
                    process: name.to_owned(),
                    status: 1,
                }),
                Err(HostError::Exit { status: 0, .. }) => Ok(()),
                Err(e) => Err(e),
            };
        }
        match self.call(name, func, "()", &[]) {
            Err(HostError::Exit { status: 0, .. }) => Ok(()),
            r => r.map(drop),
        }
    }

    /// Replaces process `name` with a fresh instance from its template
    /// (its directory grants are the descriptors opened when the system
    /// was built). Processes that import from it keep working: they call
    /// through its slot. If a call is running in it, this waits for that
    /// call to end.
    pub fn restart(&self, name: &str) -> Result<(), HostError> {
        let slot = self.slot(name)?;
        tracing::debug!(process = name, "restarting nanoprocess");
        let fresh = self.templates[name].instantiate()?;
        let mut p = slot.enter(Wait::Forever, None)?;
        let old = std::mem::replace(&mut *p, fresh);
        drop(p);
        // Its memory is unmapped after the slot is free again.
        drop(old);
        Ok(())
    }

    /// Why process `name` is down, if it is.
    pub fn failure(&self, name: &str) -> Result<Option<String>, HostError> {
        let p = self.slot(name)?.enter(Wait::Forever, None)?;
        Ok(p.failure().map(str::to_owned))
    }

    /// The template of process `name` (to instantiate more copies).
    pub fn template(&self, name: &str) -> Option<Arc<Template>> {
        self.templates.get(name).cloned()
    }

    /// The budget of host descriptors the system's processes draw from
    /// when they open files or accept connections (see
    /// [`manifest`]: the host's `RLIMIT_NOFILE` less its reserve).
    pub fn fd_budget(&self) -> &FdBudget {
        &self.budget
    }

    /// The engine all processes share (compiled code only; no state).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}

impl Drop for System {
    fn drop(&mut self) {
        self.ticking.store(false, Ordering::Relaxed);
    }
}

/// How many descriptors the guests of a system may hold open together: the
/// process's soft `RLIMIT_NOFILE` less a reserve for the host itself
/// (module files, directory grants and the preopens duplicated for each
/// instance and restart, the embedder's own files and sockets) of an eighth
/// of the limit, at least 64. With no limit, 1,048,576 (the Linux default
/// ceiling, `fs.nr_open`) stands for it.
/// Systems of more processes than this run compiled code with explicit
/// bounds checks instead of guard regions. Each memory with guard regions
/// reserves 4 GiB + 32 MiB of address space; x86-64 Linux gives a process
/// 128 TiB, so about 31,000 such memories fit, and a host holds other
/// engines, restarted processes and its own mappings too. 1,024 processes
/// reserve about 4 TiB (3% of the address space); a dense host of 10,000
/// or 100,000 nanoprocesses would need 40 to 400 TiB, so it checks.
pub const GUARD_REGIONS_MAX_PROCESSES: usize = 1024;

/// The bounds strategy for a system of `processes` processes under an
/// address-space limit (`RLIMIT_AS`, `None` when unlimited): guard regions
/// unless the system is large, or a limit would make each 4 GiB
/// reservation count against it.
pub fn memory_bounds_for(processes: usize, address_space_limit: Option<u64>) -> MemoryBounds {
    if processes > GUARD_REGIONS_MAX_PROCESSES || address_space_limit.is_some() {
        MemoryBounds::Explicit
    } else {
        MemoryBounds::Auto
    }
}

fn guest_fd_budget() -> usize {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(1 << 20);
    let reserve = (limit / 8).max(64);
    usize::try_from(limit.saturating_sub(reserve)).unwrap_or(usize::MAX)
}

/// Opens the directory grants of every process of `m`, parents before
/// children: a process without a parent opens its grants by path (the
/// operator chose them); a child opens each of its grants beneath the
/// descriptor of the parent's grant that covers it, with
/// `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)` on the path relative
/// to it, so that the kernel refuses anything that leads out of the
/// parent's directory, whatever happened to the paths since the manifest
/// was checked (and with `RESOLVE_NO_SYMLINKS` when a process other than
/// the parent holds a read-write grant on the way).
fn open_grants(m: &Manifest) -> Result<BTreeMap<String, Vec<OwnedFd>>, HostError> {
    let by_name: BTreeMap<&str, &ProcessSpec> =
        m.processes.iter().map(|p| (p.name.as_str(), p)).collect();
    let mut opened: BTreeMap<String, Vec<OwnedFd>> = BTreeMap::new();
    // The read-write grants: a process may have replaced any directory
    // beneath one of them by a symbolic link (in an earlier run).
    let writable: Vec<(&str, &manifest::DirGrant)> = m
        .processes
        .iter()
        .flat_map(|p| p.dirs.iter().map(|d| (p.name.as_str(), d)))
        .filter(|(_, d)| !d.readonly)
        .collect();
    let writable = &writable[..];
    fn open<'a>(
        p: &'a ProcessSpec,
        by_name: &BTreeMap<&str, &'a ProcessSpec>,
        opened: &mut BTreeMap<String, Vec<OwnedFd>>,
        depth: usize,
        writable: &[(&str, &manifest::DirGrant)],
    ) -> Result<(), HostError> {
        if opened.contains_key(&p.name) {
            return Ok(());
        }
        let fail = |message: String| HostError::Link {
            process: p.name.clone(),
            message,
        };
        // `Manifest::parse` refuses cycles of parents; a hand-built
        // manifest might still have one.
        if depth > by_name.len() {
            return Err(HostError::Manifest(format!(
                "the parents of `{}` form a cycle",
                p.name
            )));
        }
        let parent = match &p.parent {
            Some(name) => {
                let parent = *by_name.get(name.as_str()).ok_or_else(|| {
                    HostError::Manifest(format!(
                        "process `{}` has parent `{name}`, which is not in the manifest",
                        p.name
                    ))
                })?;
                open(parent, by_name, opened, depth + 1, writable)?;
                Some(parent)
            }
            None => None,
        };
        let mut fds = Vec::with_capacity(p.dirs.len());
        for d in &p.dirs {
            let fd = match parent {
                None => open_root_grant(d, writable).map_err(|(e, within)| {
                    let why = match within {
                        Some(w) if e == rustix::io::Errno::XDEV || e == rustix::io::Errno::LOOP => format!(
                            "it lies in the read-write grant {} of a process, but its path beneath it leads out of it or has a symbolic link",
                            w.display()
                        ),
                        _ => e.to_string(),
                    };
                    fail(format!(
                        "cannot open its directory grant {}: {why}",
                        d.host.display()
                    ))
                })?,
                Some(parent) => {
                    let (i, rel) = manifest::grant_within(d, parent).ok_or_else(|| {
                        HostError::Manifest(format!(
                            "process `{}` asks for {}, which its parent `{}` does not hold",
                            p.name,
                            d.host.display(),
                            parent.name
                        ))
                    })?;
                    let beneath = &opened[&parent.name][i];
                    // A symbolic link on the way that stays beneath the
                    // parent's directory is followed, unless a process
                    // other than the parent may have put it there: one
                    // whose read-write grant holds the child's path (a
                    // sibling, or the child itself) could make the grant
                    // any directory of the parent's, which neither holds.
                    let strict = writable.iter().any(|(holder, w)| {
                        *holder != parent.name && within(&d.host, &w.host).is_some()
                    });
                    open_beneath(beneath, &rel, strict).map_err(|e| {
                        let why = if e == rustix::io::Errno::XDEV {
                            "it leads out of that directory".to_owned()
                        } else if e == rustix::io::Errno::LOOP {
                            "its path beneath that directory has a symbolic link".to_owned()
                        } else {
                            e.to_string()
                        };
                        fail(format!(
                            "cannot open its directory grant {} beneath its parent's grant {}: {why}",
                            d.host.display(),
                            parent.dirs[i].host.display()
                        ))
                    })?
                }
            };
            tracing::debug!(
                process = %p.name,
                host = %d.host.display(),
                guest = %d.guest,
                readonly = d.readonly,
                beneath = parent.map(|q| q.name.as_str()),
                "directory grant opened"
            );
            fds.push(fd);
        }
        opened.insert(p.name.clone(), fds);
        Ok(())
    }
    for p in &m.processes {
        open(p, &by_name, &mut opened, 0, writable)?;
    }
    Ok(opened)
}

/// Opens the grant `d` of a process without a parent. By its path, unless
/// the path lies inside (by its text) a read-write grant of any process:
/// that process may have put a symbolic link on the way (in an earlier
/// run of the same manifest), so the grant is opened beneath the
/// outermost such directory with `openat2(RESOLVE_BENEATH)` and cannot
/// lead out of it. On failure, the error and the directory it was opened
/// beneath.
fn open_root_grant<'a>(
    d: &manifest::DirGrant,
    writable: &[(&str, &'a manifest::DirGrant)],
) -> Result<OwnedFd, (rustix::io::Errno, Option<&'a std::path::Path>)> {
    let by_path = |p: &std::path::Path| {
        rustix::fs::open(p, dir_flags(), rustix::fs::Mode::empty()).map_err(|e| (e, None))
    };
    let outermost = writable
        .iter()
        .filter_map(|(_, w)| {
            let (base, rel) = within(&d.host, &w.host)?;
            Some((w, base, rel))
        })
        .min_by_key(|(_, base, _)| base.components().count());
    match outermost {
        None => by_path(&d.host),
        // Without following links: a process holding a directory on the
        // way could otherwise send the grant to another directory of the
        // container's (another tenant's).
        Some((w, base, rel)) => {
            let base = by_path(&base)?;
            open_beneath(&base, &rel, true).map_err(|e| (e, Some(w.host.as_path())))
        }
    }
}

/// If `path` lies strictly inside `dir` by the text of their absolute
/// forms: `dir`'s absolute form and the relative path from it.
fn within(
    path: &std::path::Path,
    dir: &std::path::Path,
) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let path = std::path::absolute(path).ok()?;
    let dir = std::path::absolute(dir).ok()?;
    let rel = path.strip_prefix(&dir).ok()?.to_path_buf();
    (!rel.as_os_str().is_empty()).then_some((dir, rel))
}

/// How a granted directory is opened: read-only (the rights say what the
/// guest may change), a directory, not inherited by child processes.
fn dir_flags() -> rustix::fs::OFlags {
    use rustix::fs::OFlags;
    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC
}

/// Opens the directory `rel` beneath `dir`; the kernel refuses (`EXDEV`)
/// a path that leads out of `dir` by `..`, an absolute path or a symbolic
/// link, and any "magic" link (`/proc/self/fd/N`); with `strict`, any
/// symbolic link on the way (`ELOOP`): a process holding a directory on
/// the way may have put one there, and even a link that stays beneath
/// `dir` would make the grant a directory other than the one named.
fn open_beneath(dir: &OwnedFd, rel: &std::path::Path, strict: bool) -> rustix::io::Result<OwnedFd> {
    use rustix::fs::{Mode, ResolveFlags};
    let mut resolve = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
    if strict {
        resolve |= ResolveFlags::NO_SYMLINKS;
    }
    let rel = if rel.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        rel
    };
    let mut tries = 0;
    loop {
        match rustix::fs::openat2(dir, rel, dir_flags(), Mode::empty(), resolve) {
            // A rename somewhere raced the lookup: the kernel asks for a
            // retry rather than risk a wrong answer.
            Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) if tries < 16 => tries += 1,
            r => return r,
        }
    }
}

/// Processes ordered so that every process comes after those it imports
/// from; an error names a cycle.
fn topological(m: &Manifest) -> Result<Vec<&ProcessSpec>, HostError> {
    let by_name: BTreeMap<&str, &ProcessSpec> =
        m.processes.iter().map(|p| (p.name.as_str(), p)).collect();
    let mut out = Vec::new();
    let mut state: BTreeMap<&str, u8> = BTreeMap::new(); // 1 visiting, 2 done
    fn visit<'a>(
        p: &'a ProcessSpec,
        by_name: &BTreeMap<&str, &'a ProcessSpec>,
        state: &mut BTreeMap<&'a str, u8>,
        out: &mut Vec<&'a ProcessSpec>,
    ) -> Result<(), HostError> {
        match state.get(p.name.as_str()) {
            Some(2) => return Ok(()),
            Some(_) => {
                return Err(HostError::Manifest(format!(
                    "the imports of `{}` form a cycle; calls between nanoprocesses must be acyclic",
                    p.name
                )))
            }
            None => {}
        }
        state.insert(&p.name, 1);
        for i in &p.imports {
            visit(by_name[i.module.as_str()], by_name, state, out)?;
        }
        for u in &p.uses {
            visit(by_name[u.from.as_str()], by_name, state, out)?;
        }
        state.insert(&p.name, 2);
        out.push(p);
        Ok(())
    }
    for p in &m.processes {
        visit(p, &by_name, &mut state, &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_systems_and_address_space_limits_take_explicit_bounds_checks() {
        assert_eq!(memory_bounds_for(1, None), MemoryBounds::Auto);
        assert_eq!(
            memory_bounds_for(GUARD_REGIONS_MAX_PROCESSES, None),
            MemoryBounds::Auto
        );
        assert_eq!(
            memory_bounds_for(GUARD_REGIONS_MAX_PROCESSES + 1, None),
            MemoryBounds::Explicit
        );
        assert_eq!(memory_bounds_for(1, Some(8 << 30)), MemoryBounds::Explicit);
    }

    /// Threads contending for one gate: every entry is exclusive (a
    /// read-modify-write of the value inside loses no update), and a
    /// waiter missed by a leaving thread still gets in (after at most
    /// `Gate::POLL`), so the run ends.
    #[test]
    fn a_contended_gate_is_exclusive_and_never_strands_a_waiter() {
        let gate = Arc::new(Gate::new((0u64, 0u64)));
        let (threads, rounds) = (4, 20_000);
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let gate = gate.clone();
                std::thread::spawn(move || {
                    for i in 0..rounds {
                        let mut held = gate.enter(Wait::Forever).unwrap();
                        let (a, b) = *held;
                        // Two fields written apart: a second holder would
                        // see them differ.
                        assert_eq!(a, b);
                        held.0 = a + 1;
                        if i % 64 == 0 {
                            std::thread::yield_now();
                        }
                        held.1 = b + 1;
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        let total = *gate.enter(Wait::Forever).unwrap();
        assert_eq!(
            total,
            ((threads * rounds) as u64, (threads * rounds) as u64)
        );
        assert_eq!(gate.waiters.load(Ordering::Relaxed), 0);
    }

    /// A thread that holds the gate almost all the time, leaving it only
    /// to take it again at once (a process calling a shared callee in a
    /// loop), does not keep another thread out until its deadline: the
    /// gate turns fair after `FAIR_AFTER` and the waiter gets in.
    #[test]
    fn a_gate_held_in_a_tight_loop_does_not_starve_a_waiter() {
        let gate = Arc::new(Gate::new(0u64));
        let stop = Arc::new(AtomicBool::new(false));
        let hot = {
            let (gate, stop) = (gate.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let mut held = gate.enter(Wait::Forever).unwrap();
                    // 300 µs of work inside (longer than a waiter spins
                    // before it sleeps), then straight back in.
                    let t = Instant::now();
                    while t.elapsed() < Duration::from_micros(300) {
                        std::hint::spin_loop();
                    }
                    *held += 1;
                }
            })
        };
        // Let the hot thread get going.
        while *gate.enter(Wait::Forever).unwrap() == 0 {
            std::thread::yield_now();
        }
        for _ in 0..10 {
            let entered = gate.enter(Wait::For(Duration::from_millis(300)));
            assert!(entered.is_ok(), "starved for 300 ms");
            drop(entered);
            std::thread::sleep(Duration::from_millis(2));
        }
        stop.store(true, Ordering::Relaxed);
        hot.join().unwrap();
        assert!(!gate.fair.load(Ordering::Relaxed));
    }

    #[test]
    fn a_gate_refuses_its_holder_and_bounds_the_wait_of_others() {
        let gate = Arc::new(Gate::new(0u32));
        let mut held = gate.enter(Wait::Forever).unwrap();
        *held += 1;
        // The holder asking again: an error at once, not a deadlock (with
        // any wait, even "forever").
        for wait in [Wait::Forever, Wait::For(Duration::from_secs(60))] {
            assert_eq!(gate.enter(wait).err(), Some(Refused::Reentered));
        }
        // Another thread gives up when its wait is over.
        let other = gate.clone();
        let waited = std::thread::spawn(move || {
            let t = Instant::now();
            let r = other.enter(Wait::For(Duration::from_millis(50))).err();
            (r, t.elapsed())
        })
        .join()
        .unwrap();
        assert_eq!(waited.0, Some(Refused::Busy));
        assert!(waited.1 >= Duration::from_millis(50), "{:?}", waited.1);
        let until = Instant::now() + Duration::from_millis(20);
        let other = gate.clone();
        let r = std::thread::spawn(move || other.enter(Wait::Until(until)).err());
        assert_eq!(r.join().unwrap(), Some(Refused::Busy));
        // Released: anyone may enter, the former holder too.
        drop(held);
        let other = gate.clone();
        let seen = std::thread::spawn(move || *other.enter(Wait::Forever).unwrap());
        assert_eq!(seen.join().unwrap(), 1);
        assert_eq!(*gate.enter(Wait::Forever).unwrap(), 1);
    }
}
