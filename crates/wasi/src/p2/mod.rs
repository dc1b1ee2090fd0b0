//! WASI 0.2 (preview 2) for components, on the component runtime
//! ([`nanowasm_component::runtime`]).
//!
//! [`add_to_linker`] defines the interfaces of the `wasi:cli/command`
//! world (`wasi:cli`, `wasi:io`, `wasi:clocks`, `wasi:random`,
//! `wasi:filesystem`, `wasi:sockets`: TCP and name lookup on the
//! context's network grants, UDP `not-supported`) in a component
//! [`Linker`], at version 0.2.0; the linker matches imports of any 0.2.x
//! version to them. Functions take their types from the importing
//! component's declarations.
//!
//! There is one capability model: WASI 0.2 runs on the preview1
//! [`WasiCtx`] of the store. A `descriptor` is a preview1 descriptor of
//! that context, and every filesystem operation is the preview1
//! operation (`path_open`, `path_filestat_get`, `fd_pread`, ...) called
//! with a host-side scratch memory in place of the guest's: the same
//! rights, [`DirPerms`](crate::DirPerms)/[`FilePerms`](crate::FilePerms),
//! `openat2(RESOLVE_BENEATH)` confinement, descriptor quotas, clock and
//! random grants, output limits and deadlines hold, by the same code.
//! Preview1 `errno`s become `wasi:filesystem` error codes.
//!
//! The component model's own handle tables check every handle a guest
//! passes (unknown, dropped, or of another resource type: a trap); the
//! host side keeps what each resource is in a table in the store's
//! [`WasiCtx`], so a guest can name only its own resources.
//!
//! Streams: standard input, output and error, files
//! (`read-via-stream`, `write-via-stream`, `append-via-stream`) and TCP
//! connections. Every stream is always ready except the host's standard
//! input and sockets; `poll` waits for those and for clocks at most
//! until the context's deadline ([`WasiCtx::set_deadline`]), then ends
//! the guest with the interrupt trap.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nanowasm_component::runtime::{Linker, LinkerInstance, ResourceAny, ResourceType, Val};
use nanowasm_runtime::{Error, I32Exit, Store, Trap, TrapCode};

use crate::ctx::{rights, Clocks, Kind, Stdio, WasiCtx};
use crate::errno::{Errno, WasiError};
use crate::mem::GuestMemory;

/// The version the interfaces are defined at (imports of any 0.2.x
/// version match it).
pub const VERSION: &str = "0.2.0";

/// The most resources of all kinds one store's WASI 0.2 table holds.
const MAX_RESOURCES: usize = 1 << 20;

/// The most bytes one stream read, `read`, `check-write` permit or
/// random-bytes call moves (a longer read is short, as streams allow).
pub const MAX_CHUNK: usize = 1 << 20;

// Host resource types.
struct Descriptor;
struct DirStream;
struct InputStream;
struct OutputStream;
struct Pollable;
struct IoError;
struct TerminalInput;
struct TerminalOutput;

/// Where the WASI 0.2 state of a store lives: the getter of its
/// [`WasiCtx`].
type Getter<T> = Arc<dyn Fn(&mut T) -> &mut WasiCtx + Send + Sync>;

/// What one resource is.
#[derive(Debug)]
enum Res {
    /// A preview1 descriptor (`fd`), opened as `owner`.
    Desc {
        fd: u32,
        owner: u64,
        preopen: bool,
    },
    /// A directory listing of `fd` from position `cookie`: the entries
    /// read ahead and not yet returned.
    Dir {
        fd: u32,
        owner: u64,
        cookie: u64,
        ahead: VecDeque<(String, u8)>,
        done: bool,
    },
    Input {
        src: Src,
        offset: u64,
        closed: bool,
    },
    Output {
        dst: Dst,
        offset: u64,
        failed: bool,
    },
    Poll(Ready),
    Error {
        message: String,
        errno: Option<Errno>,
        /// Whether it is a socket's (`network-error-code` answers for
        /// it, `filesystem-error-code` does not).
        net: bool,
    },
    /// A `wasi:sockets` TCP socket.
    Tcp(Box<sockets::Tcp>),
    /// A name lookup under way or done.
    Lookup(Arc<sockets::Lookup>),
}

#[derive(Clone, Debug)]
enum Src {
    Stdin,
    File {
        fd: u32,
        owner: u64,
    },
    /// A connected TCP socket.
    Tcp(Arc<sockets::Conn>),
}

#[derive(Clone, Debug)]
enum Dst {
    Std(u32),
    File {
        fd: u32,
        owner: u64,
        append: bool,
    },
    /// A connected TCP socket.
    Tcp(Arc<sockets::Conn>),
}

/// When a pollable is ready.
#[derive(Clone, Debug)]
enum Ready {
    Now,
    /// When the host's standard input is readable.
    Stdin,
    /// At this host instant.
    At(Instant),
    /// When the virtual monotonic clock reaches this time.
    Virtual(u64),
    /// When a socket is ready for this.
    Sock(Arc<sockets::Conn>, sockets::Want),
    /// When a name lookup is done.
    Lookup(Arc<sockets::Lookup>),
}

/// The WASI 0.2 resources of one store (kept in its [`WasiCtx`]).
#[derive(Default)]
pub(crate) struct Table {
    slots: Vec<Option<Res>>,
    free: Vec<u32>,
    /// Which open (`owner`) each preview1 descriptor opened through WASI
    /// 0.2 belongs to: streams and listings of a dropped descriptor
    /// (whose number may be reused) are refused, never read another file.
    owners: HashMap<u32, u64>,
    next_owner: u64,
    /// The `wasi:sockets` sockets open now (shared with their
    /// [`sockets::Conn`]s, which give their place back when dropped).
    sockets: Arc<std::sync::atomic::AtomicUsize>,
}

impl Table {
    fn push(&mut self, r: Res) -> Result<u32, Error> {
        if let Some(i) = self.free.pop() {
            self.slots[i as usize] = Some(r);
            return Ok(i);
        }
        if self.slots.len() >= MAX_RESOURCES {
            return Err(trap_msg("too many WASI resources"));
        }
        self.slots.push(Some(r));
        Ok((self.slots.len() - 1) as u32)
    }

    fn get(&self, rep: u32) -> Result<&Res, Error> {
        self.slots
            .get(rep as usize)
            .and_then(Option::as_ref)
            .ok_or_else(|| trap_msg("unknown WASI resource"))
    }

    fn get_mut(&mut self, rep: u32) -> Result<&mut Res, Error> {
        self.slots
            .get_mut(rep as usize)
            .and_then(Option::as_mut)
            .ok_or_else(|| trap_msg("unknown WASI resource"))
    }

    fn remove(&mut self, rep: u32) -> Option<Res> {
        let r = self.slots.get_mut(rep as usize)?.take()?;
        self.free.push(rep);
        Some(r)
    }

    fn owner(&mut self, fd: u32) -> u64 {
        self.next_owner += 1;
        self.owners.insert(fd, self.next_owner);
        self.next_owner
    }

    fn live(&self, fd: u32, owner: u64) -> bool {
        self.owners.get(&fd) == Some(&owner)
    }
}

/// A WASI 0.2 error ends the guest as a trap with this message.
fn trap_msg(m: &str) -> Error {
    Error::host(format!("WASI: {m}"))
}

fn trap(code: TrapCode) -> Error {
    Error::from(Trap::new(code))
}

/// The host call's view: the store, and the getter of its context.
struct Cx<'a, T> {
    store: &'a mut Store<T>,
    get: &'a Getter<T>,
}

impl<T: 'static> Cx<'_, T> {
    fn ctx(&mut self) -> &mut WasiCtx {
        (self.get)(self.store.data_mut())
    }
    fn table(&mut self) -> &mut Table {
        &mut self.ctx().p2
    }
    fn new_res<R: 'static>(&mut self, r: Res) -> Result<Val, Error> {
        let rep = self.table().push(r)?;
        Ok(Val::Resource(ResourceAny::new_own(
            ResourceType::host::<R>(),
            rep,
        )))
    }
    /// The preview1 descriptor of a `descriptor` argument.
    fn desc(&mut self, v: &Val) -> Result<u32, Error> {
        match self.table().get(rep(v)?)? {
            Res::Desc { fd, .. } => Ok(*fd),
            _ => Err(trap_msg("not a descriptor")),
        }
    }
}

fn rep(v: &Val) -> Result<u32, Error> {
    match v {
        Val::Resource(r) => Ok(r.rep()),
        _ => Err(trap_msg("expected a resource")),
    }
}

fn arg_u64(v: &Val) -> Result<u64, Error> {
    match v {
        Val::U64(n) => Ok(*n),
        Val::U32(n) => Ok(u64::from(*n)),
        _ => Err(trap_msg("expected an integer")),
    }
}

fn arg_str(v: &Val) -> Result<&str, Error> {
    match v {
        Val::String(s) => Ok(s),
        _ => Err(trap_msg("expected a string")),
    }
}

fn arg_flags(v: &Val) -> Result<&[String], Error> {
    match v {
        Val::Flags(f) => Ok(f),
        _ => Err(trap_msg("expected flags")),
    }
}

fn has(flags: &[String], f: &str) -> bool {
    flags.iter().any(|x| x == f)
}

fn arg_bytes(v: &Val) -> Result<Vec<u8>, Error> {
    match v {
        Val::List(l) => l
            .iter()
            .map(|b| match b {
                Val::U8(b) => Ok(*b),
                _ => Err(trap_msg("expected bytes")),
            })
            .collect(),
        _ => Err(trap_msg("expected a list")),
    }
}

fn bytes(b: &[u8]) -> Val {
    Val::List(b.iter().map(|&b| Val::U8(b)).collect())
}

fn ok(v: Option<Val>) -> Val {
    Val::Result(Ok(v.map(Box::new)))
}

fn err(v: Val) -> Val {
    Val::Result(Err(Some(Box::new(v))))
}

fn some(v: Val) -> Val {
    Val::Option(Some(Box::new(v)))
}

fn record(fields: Vec<(&str, Val)>) -> Val {
    Val::Record(
        fields
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect(),
    )
}

/// The `wasi:filesystem` error code of a preview1 `errno`.
pub fn error_code(e: Errno) -> &'static str {
    match e {
        Errno::Acces => "access",
        Errno::Again => "would-block",
        Errno::Badf => "bad-descriptor",
        Errno::Busy => "busy",
        Errno::Exist => "exist",
        Errno::Fbig => "file-too-large",
        Errno::Ilseq => "illegal-byte-sequence",
        Errno::Inprogress => "in-progress",
        Errno::Intr => "interrupted",
        Errno::Inval | Errno::Fault => "invalid",
        Errno::Isdir => "is-directory",
        Errno::Loop => "loop",
        Errno::Mlink => "too-many-links",
        Errno::Nametoolong => "name-too-long",
        Errno::Nodev => "no-device",
        Errno::Noent => "no-entry",
        Errno::Nomem | Errno::Mfile | Errno::Nfile => "insufficient-memory",
        Errno::Nospc => "insufficient-space",
        Errno::Notdir => "not-directory",
        Errno::Notempty => "not-empty",
        Errno::Notsup | Errno::Nosys => "unsupported",
        Errno::Notty => "no-tty",
        Errno::Nxio => "no-such-device",
        Errno::Overflow | Errno::TooBig => "overflow",
        Errno::Perm | Errno::Notcapable => "not-permitted",
        Errno::Pipe => "pipe",
        Errno::Rofs => "read-only",
        Errno::Spipe => "invalid-seek",
        Errno::Txtbsy => "text-file-busy",
        Errno::Xdev => "cross-device",
        _ => "io",
    }
}

fn fs_err(e: Errno) -> Val {
    err(Val::Enum(error_code(e).to_string()))
}

/// A filesystem result: `ok(v)`, or the error code of `errno`; a trap
/// (a deadline) ends the call.
fn fs_result(r: Result<Option<Val>, WasiError>) -> Result<Val, Error> {
    match r {
        Ok(v) => Ok(ok(v)),
        Err(WasiError::Errno(e)) => Ok(fs_err(e)),
        Err(WasiError::Trap(code)) => Err(trap(code)),
    }
}

/// Runs a preview1 call with a host-side scratch memory of `size` bytes.
fn scratch<R>(
    ctx: &mut WasiCtx,
    size: usize,
    f: impl FnOnce(&mut WasiCtx, &mut GuestMemory<'_>) -> Result<R, WasiError>,
) -> Result<R, WasiError> {
    let mut buf = vec![0u8; size];
    f(ctx, &mut GuestMemory(&mut buf))
}

/// Where scratch calls put a path: after 64 bytes of results.
const PATH_AT: u32 = 64;

/// A scratch memory holding `path` (and, after it, `path2`) after
/// [`PATH_AT`] bytes for results, plus `extra` more bytes.
fn with_paths<R>(
    ctx: &mut WasiCtx,
    paths: &[&str],
    extra: usize,
    f: impl FnOnce(&mut WasiCtx, &mut GuestMemory<'_>, &[(u32, u32)]) -> Result<R, WasiError>,
) -> Result<R, WasiError> {
    let total: usize = paths.iter().map(|p| p.len()).sum();
    if paths.iter().any(|p| p.len() > crate::mem::PATH_MAX) {
        return Err(Errno::Nametoolong.into());
    }
    let mut buf = vec![0u8; PATH_AT as usize + total + extra];
    let mut at = PATH_AT as usize;
    let mut spans = Vec::with_capacity(paths.len());
    for p in paths {
        buf[at..at + p.len()].copy_from_slice(p.as_bytes());
        spans.push((at as u32, p.len() as u32));
        at += p.len();
    }
    f(ctx, &mut GuestMemory(&mut buf), &spans)
}

fn u64_at(m: &GuestMemory<'_>, at: u32) -> Result<u64, WasiError> {
    Ok(m.u64(at)?)
}

fn u32_at(m: &GuestMemory<'_>, at: u32) -> Result<u32, WasiError> {
    Ok(m.u32(at)?)
}

/// Defines every WASI 0.2 interface of the `wasi:cli/command` world in
/// `linker` (at [`VERSION`]); `get` finds the store's [`WasiCtx`].
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: impl Fn(&mut T) -> &mut WasiCtx + Send + Sync + 'static,
) -> Result<(), Error> {
    let get: Getter<T> = Arc::new(get);
    cli(linker, &get)?;
    io(linker, &get)?;
    clocks(linker, &get)?;
    random(linker, &get)?;
    filesystem(linker, &get)?;
    sockets::sockets(linker, &get)?;
    Ok(())
}

/// What an argument the importer did not declare reads as: no accessor
/// takes it, so the call traps (a guest that declares a WASI function
/// with fewer parameters than WASI's gets a trap, never a host panic).
static MISSING: Val = Val::Bool(false);

/// The most arguments a WASI 0.2 function takes (more declared are
/// ignored).
const MAX_ARGS: usize = 8;

/// Defines `name` in `inst` as `f`, which returns the result value (if
/// the function has one). `f` sees [`MAX_ARGS`] arguments, those not
/// given being [`MISSING`].
fn def<T: 'static>(
    inst: &mut LinkerInstance<'_, T>,
    get: &Getter<T>,
    name: &str,
    f: impl Fn(&mut Cx<'_, T>, &[&Val]) -> Result<Val, Error> + Send + Sync + 'static,
) -> Result<(), Error> {
    let get = get.clone();
    inst.func_new(name, move |store, args, out| {
        let mut cx = Cx { store, get: &get };
        let mut padded = [&MISSING; MAX_ARGS];
        for (slot, a) in padded.iter_mut().zip(args) {
            *slot = a;
        }
        let v = f(&mut cx, &padded)?;
        if let Some(slot) = out.first_mut() {
            *slot = v;
        }
        Ok(())
    })
}

fn iface<'a, T: 'static>(
    linker: &'a mut Linker<T>,
    name: &str,
) -> Result<LinkerInstance<'a, T>, Error> {
    linker.instance(&format!("{name}@{VERSION}"))
}

/// A destructor that removes the resource from the table (closing the
/// preview1 descriptor a `descriptor` opened).
fn dropper<T: 'static>(
    get: &Getter<T>,
) -> impl Fn(&mut Store<T>, u32) -> Result<(), Error> + Send + Sync + 'static {
    let get = get.clone();
    move |store, rep| {
        let ctx = get(store.data_mut());
        let r = ctx.p2.remove(rep);
        if let Some(Res::Desc {
            fd,
            owner,
            preopen: false,
        }) = r
        {
            if ctx.p2.live(fd, owner) {
                ctx.p2.owners.remove(&fd);
                let _ = crate::fd::fd_close(ctx, fd);
            }
        }
        Ok(())
    }
}

fn cli<T: 'static>(linker: &mut Linker<T>, get: &Getter<T>) -> Result<(), Error> {
    let mut i = iface(linker, "wasi:cli/environment")?;
    def(&mut i, get, "get-environment", |cx, _| {
        let env = cx.ctx().env.clone();
        Ok(Val::List(
            env.into_iter()
                .map(|(k, v)| Val::Tuple(vec![Val::String(k), Val::String(v)]))
                .collect(),
        ))
    })?;
    def(&mut i, get, "get-arguments", |cx, _| {
        let args = cx.ctx().args.clone();
        Ok(Val::List(args.into_iter().map(Val::String).collect()))
    })?;
    def(&mut i, get, "initial-cwd", |_, _| Ok(Val::Option(None)))?;

    let mut i = iface(linker, "wasi:cli/exit")?;
    def(&mut i, get, "exit", |_, args| {
        let status = match args.first() {
            Some(Val::Result(Ok(_))) => 0,
            _ => 1,
        };
        Err(Error::from(I32Exit(status)))
    })?;
    def(&mut i, get, "exit-with-code", |_, args| {
        let code = match args.first() {
            Some(Val::U8(c)) => i32::from(*c),
            _ => 1,
        };
        if code >= 126 {
            return Err(Error::host(format!(
                "invalid exit status {code}: WASI only allows 0..126"
            )));
        }
        Err(Error::from(I32Exit(code)))
    })?;

    for (name, func, which) in [
        ("wasi:cli/stdin", "get-stdin", 0u32),
        ("wasi:cli/stdout", "get-stdout", 1),
        ("wasi:cli/stderr", "get-stderr", 2),
    ] {
        let mut i = iface(linker, name)?;
        def(&mut i, get, func, move |cx, _| {
            if which == 0 {
                cx.new_res::<InputStream>(Res::Input {
                    src: Src::Stdin,
                    offset: 0,
                    closed: false,
                })
            } else {
                cx.new_res::<OutputStream>(Res::Output {
                    dst: Dst::Std(which),
                    offset: 0,
                    failed: false,
                })
            }
        })?;
    }
    let mut i = iface(linker, "wasi:cli/terminal-input")?;
    i.resource(
        "terminal-input",
        ResourceType::host::<TerminalInput>(),
        |_, _| Ok(()),
    )?;
    let mut i = iface(linker, "wasi:cli/terminal-output")?;
    i.resource(
        "terminal-output",
        ResourceType::host::<TerminalOutput>(),
        |_, _| Ok(()),
    )?;
    for (name, func) in [
        ("wasi:cli/terminal-stdin", "get-terminal-stdin"),
        ("wasi:cli/terminal-stdout", "get-terminal-stdout"),
        ("wasi:cli/terminal-stderr", "get-terminal-stderr"),
    ] {
        let mut i = iface(linker, name)?;
        def(&mut i, get, func, |_, _| Ok(Val::Option(None)))?;
    }
    Ok(())
}

/// Why a stream operation failed: a message and the preview1 `errno`
/// behind it (the `filesystem-error-code` of the `error`), if any.
type Failure = (String, Option<Errno>);

/// A `stream-error`: `closed`, or `last-operation-failed` with a new
/// `error`.
/// The destination of the output-stream handle `h`, or the stream error
/// to answer with if a write to it failed earlier.
fn live_output<T: 'static>(cx: &mut Cx<'_, T>, h: &Val) -> Result<Result<Dst, Val>, Error> {
    let (dst, failed) = match cx.table().get(rep(h)?)? {
        Res::Output { dst, failed, .. } => (dst.clone(), *failed),
        _ => return Err(trap_msg("not an output-stream")),
    };
    if failed {
        return stream_err(cx, Some(("stream failed earlier".into(), None))).map(Err);
    }
    Ok(Ok(dst))
}

fn stream_err<T: 'static>(
    cx: &mut Cx<'_, T>,
    e: Option<(String, Option<Errno>)>,
) -> Result<Val, Error> {
    stream_err_of(cx, false, e)
}

/// A `stream-error`, of a socket's stream if `net`.
fn stream_err_of<T: 'static>(
    cx: &mut Cx<'_, T>,
    net: bool,
    e: Option<(String, Option<Errno>)>,
) -> Result<Val, Error> {
    Ok(err(match e {
        None => Val::Variant("closed".into(), None),
        Some((message, errno)) => {
            let e = cx.new_res::<IoError>(Res::Error {
                message,
                errno,
                net,
            })?;
            Val::Variant("last-operation-failed".into(), Some(Box::new(e)))
        }
    }))
}

/// Reads at most `len` bytes from an input stream. Blocking and
/// non-blocking reads are the same: files never wait, and a read of the
/// host's standard input waits (at most until the deadline) for bytes.
/// `Ok(None)`: closed.
fn stream_read<T: 'static>(
    cx: &mut Cx<'_, T>,
    r: u32,
    len: u64,
    blocking: bool,
) -> Result<Result<Option<Vec<u8>>, Failure>, Error> {
    let (src, offset, closed) = match cx.table().get(r)? {
        Res::Input {
            src,
            offset,
            closed,
        } => (src.clone(), *offset, *closed),
        _ => return Err(trap_msg("not an input-stream")),
    };
    if closed {
        return Ok(Ok(None));
    }
    let len = usize::try_from(len).unwrap_or(usize::MAX).min(MAX_CHUNK);
    if len == 0 {
        return Ok(Ok(Some(Vec::new())));
    }
    if let Src::Tcp(conn) = &src {
        let deadline = cx.ctx().deadline;
        let got = conn.recv(len, blocking, deadline)?;
        if let (Ok(None), Res::Input { closed, .. }) = (&got, cx.table().get_mut(r)?) {
            *closed = true;
        }
        return Ok(got);
    }
    let got: Result<Vec<u8>, WasiError> = match src {
        Src::Stdin => {
            let ctx = cx.ctx();
            let deadline = ctx.deadline;
            let s = match ctx.fds.get(&0).map(|e| &e.kind) {
                Some(Kind::Stdio(_, s)) => s.clone(),
                _ => Stdio::Null,
            };
            let mut buf = vec![0u8; len];
            WasiCtx::stdio_read(0, &s, &mut buf, deadline).map(|n| {
                buf.truncate(n);
                buf
            })
        }
        Src::Tcp(_) => Ok(Vec::new()),
        Src::File { fd, owner } => {
            if !cx.table().live(fd, owner) {
                return Ok(Err(("descriptor closed".into(), Some(Errno::Badf))));
            }
            scratch(cx.ctx(), 16 + len, |ctx, m| {
                m.write_u32(0, 16)?;
                m.write_u32(4, len as u32)?;
                crate::fd::fd_pread(ctx, m, fd, 0, 1, offset, 8)?;
                let n = u32_at(m, 8)?;
                Ok(m.slice(16, n)?.to_vec())
            })
        }
    };
    match got {
        Err(WasiError::Trap(code)) => Err(trap(code)),
        Err(WasiError::Errno(e)) => Ok(Err((format!("read failed: {}", e.name()), Some(e)))),
        Ok(b) => {
            if let Res::Input { offset, closed, .. } = cx.table().get_mut(r)? {
                *offset += b.len() as u64;
                if b.is_empty() {
                    *closed = true;
                    return Ok(Ok(None));
                }
            }
            Ok(Ok(Some(b)))
        }
    }
}

/// Writes all of `data` to an output stream (a failure marks the stream
/// failed: later writes and `check-write` fail too).
fn stream_write<T: 'static>(
    cx: &mut Cx<'_, T>,
    r: u32,
    data: &[u8],
    blocking: bool,
) -> Result<Result<(), Failure>, Error> {
    let (dst, offset, failed) = match cx.table().get(r)? {
        Res::Output {
            dst,
            offset,
            failed,
        } => (dst.clone(), *offset, *failed),
        _ => return Err(trap_msg("not an output-stream")),
    };
    if failed {
        return Ok(Err(("stream failed earlier".into(), None)));
    }
    if let Dst::Tcp(conn) = &dst {
        let deadline = cx.ctx().deadline;
        let result = conn.send(data, blocking, deadline)?;
        if let (Err(_), Res::Output { failed, .. }) = (&result, cx.table().get_mut(r)?) {
            *failed = true;
        }
        return Ok(result);
    }
    let mut done = 0usize;
    let mut result = Ok(());
    while done < data.len() {
        let rest = &data[done..];
        let n: Result<usize, WasiError> = match dst {
            Dst::Tcp(_) => Ok(rest.len()),
            Dst::Std(which) => {
                let ctx = cx.ctx();
                let deadline = ctx.deadline;
                let s = match ctx.fds.get(&which).map(|e| &e.kind) {
                    Some(Kind::Stdio(_, s)) => s.clone(),
                    _ => Stdio::Null,
                };
                ctx.output.write(which, &s, rest, deadline)
            }
            Dst::File { fd, owner, append } => {
                if !cx.table().live(fd, owner) {
                    Err(Errno::Badf.into())
                } else {
                    let chunk = &rest[..rest.len().min(MAX_CHUNK)];
                    scratch(cx.ctx(), 16 + chunk.len(), |ctx, m| {
                        let at = if append {
                            let st = crate::fd::filestat(ctx, fd)?;
                            u64::from_le_bytes(st[32..40].try_into().unwrap_or_default())
                        } else {
                            offset + done as u64
                        };
                        m.write(16, chunk)?;
                        m.write_u32(0, 16)?;
                        m.write_u32(4, chunk.len() as u32)?;
                        crate::fd::fd_pwrite(ctx, m, fd, 0, 1, at, 8)?;
                        Ok(u32_at(m, 8)? as usize)
                    })
                }
            }
        };
        match n {
            Err(WasiError::Trap(code)) => return Err(trap(code)),
            Err(WasiError::Errno(e)) => {
                result = Err((format!("write failed: {}", e.name()), Some(e)));
                break;
            }
            Ok(0) => {
                result = Err(("write failed: no progress".into(), Some(Errno::Io)));
                break;
            }
            Ok(n) => done += n,
        }
    }
    if let Res::Output { offset, failed, .. } = cx.table().get_mut(r)? {
        *offset += done as u64;
        if result.is_err() {
            *failed = true;
        }
    }
    Ok(result)
}

fn io<T: 'static>(linker: &mut Linker<T>, get: &Getter<T>) -> Result<(), Error> {
    let mut i = iface(linker, "wasi:io/error")?;
    i.resource("error", ResourceType::host::<IoError>(), dropper(get))?;
    def(
        &mut i,
        get,
        "[method]error.to-debug-string",
        |cx, a| match cx.table().get(rep(a[0])?)? {
            Res::Error { message, .. } => Ok(Val::String(message.clone())),
            _ => Err(trap_msg("not an error")),
        },
    )?;

    let mut i = iface(linker, "wasi:io/poll")?;
    i.resource("pollable", ResourceType::host::<Pollable>(), dropper(get))?;
    def(&mut i, get, "[method]pollable.ready", |cx, a| {
        let p = pollable(cx, a[0])?;
        Ok(Val::Bool(is_ready(cx, &p)?))
    })?;
    def(&mut i, get, "[method]pollable.block", |cx, a| {
        let p = pollable(cx, a[0])?;
        wait(cx, &[p])?;
        Ok(Val::Bool(false))
    })?;
    def(&mut i, get, "poll", |cx, a| {
        let Val::List(list) = &a[0] else {
            return Err(trap_msg("expected a list"));
        };
        if list.is_empty() {
            return Err(trap_msg("poll: empty list"));
        }
        let ps = list
            .iter()
            .map(|v| pollable(cx, v))
            .collect::<Result<Vec<_>, _>>()?;
        let ready = wait(cx, &ps)?;
        Ok(Val::List(ready.into_iter().map(Val::U32).collect()))
    })?;

    let mut i = iface(linker, "wasi:io/streams")?;
    i.resource(
        "input-stream",
        ResourceType::host::<InputStream>(),
        dropper(get),
    )?;
    i.resource(
        "output-stream",
        ResourceType::host::<OutputStream>(),
        dropper(get),
    )?;
    for (name, blocking) in [
        ("[method]input-stream.read", false),
        ("[method]input-stream.blocking-read", true),
    ] {
        def(&mut i, get, name, move |cx, a| {
            let r = rep(a[0])?;
            let net = is_net(cx, r);
            match stream_read(cx, r, arg_u64(a[1])?, blocking)? {
                Ok(Some(b)) => Ok(ok(Some(bytes(&b)))),
                Ok(None) => stream_err(cx, None),
                Err(e) => stream_err_of(cx, net, Some(e)),
            }
        })?;
    }
    for (name, blocking) in [
        ("[method]input-stream.skip", false),
        ("[method]input-stream.blocking-skip", true),
    ] {
        def(&mut i, get, name, move |cx, a| {
            let r = rep(a[0])?;
            let net = is_net(cx, r);
            match stream_read(cx, r, arg_u64(a[1])?, blocking)? {
                Ok(Some(b)) => Ok(ok(Some(Val::U64(b.len() as u64)))),
                Ok(None) => stream_err(cx, None),
                Err(e) => stream_err_of(cx, net, Some(e)),
            }
        })?;
    }
    def(&mut i, get, "[method]input-stream.subscribe", |cx, a| {
        let ready = match cx.table().get(rep(a[0])?)? {
            Res::Input {
                src: Src::Stdin, ..
            } => stdin_readiness(cx),
            Res::Input {
                src: Src::Tcp(conn),
                closed: false,
                ..
            } => Ready::Sock(conn.clone(), sockets::Want::Read),
            Res::Input { .. } => Ready::Now,
            _ => return Err(trap_msg("not an input-stream")),
        };
        cx.new_res::<Pollable>(Res::Poll(ready))
    })?;
    def(&mut i, get, "[method]output-stream.check-write", |cx, a| {
        let r = rep(a[0])?;
        let dst = match live_output(cx, a[0])? {
            Ok(dst) => dst,
            Err(e) => return Ok(e),
        };
        let mut n = MAX_CHUNK as u64;
        match dst {
            Dst::Std(_) => {
                if let Some(left) = cx.ctx().output_remaining() {
                    if left == 0 {
                        return stream_err(
                            cx,
                            Some(("output limit reached".into(), Some(Errno::Nospc))),
                        );
                    }
                    n = n.min(left);
                }
            }
            Dst::Tcp(conn) => match conn.check_write() {
                Ok(k) => n = k as u64,
                Err(e) => {
                    if let Res::Output { failed, .. } = cx.table().get_mut(r)? {
                        *failed = true;
                    }
                    return stream_err_of(cx, true, Some(e));
                }
            },
            Dst::File { .. } => {}
        }
        Ok(ok(Some(Val::U64(n))))
    })?;
    for (name, blocking) in [
        ("[method]output-stream.write", false),
        ("[method]output-stream.blocking-write-and-flush", true),
    ] {
        def(&mut i, get, name, move |cx, a| {
            let r = rep(a[0])?;
            let net = is_net(cx, r);
            let data = arg_bytes(a[1])?;
            match stream_write(cx, r, &data, blocking)? {
                Ok(()) => Ok(ok(None)),
                Err(e) => stream_err_of(cx, net, Some(e)),
            }
        })?;
    }
    for (name, blocking) in [
        ("[method]output-stream.write-zeroes", false),
        (
            "[method]output-stream.blocking-write-zeroes-and-flush",
            true,
        ),
    ] {
        def(&mut i, get, name, move |cx, a| {
            let r = rep(a[0])?;
            let net = is_net(cx, r);
            let n = arg_u64(a[1])?;
            if n > MAX_CHUNK as u64 {
                return Err(trap_msg("write-zeroes: more than check-write permits"));
            }
            match stream_write(cx, r, &vec![0; n as usize], blocking)? {
                Ok(()) => Ok(ok(None)),
                Err(e) => stream_err_of(cx, net, Some(e)),
            }
        })?;
    }
    for (name, blocking) in [
        ("[method]output-stream.flush", false),
        ("[method]output-stream.blocking-flush", true),
    ] {
        def(&mut i, get, name, move |cx, a| {
            let r = rep(a[0])?;
            let dst = match live_output(cx, a[0])? {
                Ok(dst) => dst,
                Err(e) => return Ok(e),
            };
            if let Dst::Tcp(conn) = dst {
                let deadline = cx.ctx().deadline;
                if let Err(e) = conn.flush(blocking, deadline)? {
                    if let Res::Output { failed, .. } = cx.table().get_mut(r)? {
                        *failed = true;
                    }
                    return stream_err_of(cx, true, Some(e));
                }
            }
            Ok(ok(None))
        })?;
    }
    def(
        &mut i,
        get,
        "[method]output-stream.subscribe",
        |cx, a| match cx.table().get(rep(a[0])?)? {
            Res::Output {
                dst: Dst::Tcp(conn),
                failed: false,
                ..
            } => {
                let p = Ready::Sock(conn.clone(), sockets::Want::Write);
                cx.new_res::<Pollable>(Res::Poll(p))
            }
            Res::Output { .. } => cx.new_res::<Pollable>(Res::Poll(Ready::Now)),
            _ => Err(trap_msg("not an output-stream")),
        },
    )?;
    for (name, blocking) in [
        ("[method]output-stream.splice", false),
        ("[method]output-stream.blocking-splice", true),
    ] {
        def(&mut i, get, name, move |cx, a| {
            let (w, r) = (rep(a[0])?, rep(a[1])?);
            let (wnet, rnet) = (is_net(cx, w), is_net(cx, r));
            let mut len = arg_u64(a[2])?;
            // Never more than a socket's output takes without waiting.
            if let Res::Output {
                dst: Dst::Tcp(conn),
                failed: false,
                ..
            } = cx.table().get(w)?
            {
                let conn = conn.clone();
                if blocking {
                    let deadline = cx.ctx().deadline;
                    if let Err(e) = conn.flush(true, deadline)? {
                        return stream_err_of(cx, true, Some(e));
                    }
                }
                match conn.check_write() {
                    Ok(k) => len = len.min(k as u64),
                    Err(e) => return stream_err_of(cx, true, Some(e)),
                }
                if len == 0 {
                    return Ok(ok(Some(Val::U64(0))));
                }
            }
            match stream_read(cx, r, len, blocking)? {
                Ok(Some(b)) => match stream_write(cx, w, &b, blocking)? {
                    Ok(()) => Ok(ok(Some(Val::U64(b.len() as u64)))),
                    Err(e) => stream_err_of(cx, wnet, Some(e)),
                },
                Ok(None) => stream_err(cx, None),
                Err(e) => stream_err_of(cx, rnet, Some(e)),
            }
        })?;
    }
    Ok(())
}

/// Whether resource `r` is a socket's stream.
fn is_net<T: 'static>(cx: &mut Cx<'_, T>, r: u32) -> bool {
    matches!(
        cx.table().get(r),
        Ok(Res::Input {
            src: Src::Tcp(_),
            ..
        } | Res::Output {
            dst: Dst::Tcp(_),
            ..
        })
    )
}

fn pollable<T: 'static>(cx: &mut Cx<'_, T>, v: &Val) -> Result<Ready, Error> {
    match cx.table().get(rep(v)?)? {
        Res::Poll(p) => Ok(p.clone()),
        _ => Err(trap_msg("not a pollable")),
    }
}

/// How standard input becomes ready: at once unless it is the host's.
fn stdin_readiness<T: 'static>(cx: &mut Cx<'_, T>) -> Ready {
    match cx.ctx().fds.get(&0).map(|e| &e.kind) {
        Some(Kind::Stdio(_, Stdio::Inherit)) => Ready::Stdin,
        _ => Ready::Now,
    }
}

fn is_ready<T: 'static>(cx: &mut Cx<'_, T>, p: &Ready) -> Result<bool, Error> {
    Ok(match p {
        Ready::Now => true,
        Ready::At(t) => Instant::now() >= *t,
        Ready::Virtual(t) => cx.ctx().virtual_time().is_some_and(|now| now >= *t),
        Ready::Stdin => {
            let fd = rustix::stdio::stdin();
            let mut fds = [rustix::event::PollFd::new(
                &fd,
                rustix::event::PollFlags::IN,
            )];
            matches!(rustix::event::poll(&mut fds, Some(&zero())), Ok(n) if n > 0)
        }
        Ready::Sock(conn, want) => conn.ready(*want),
        Ready::Lookup(l) => l.done(),
    })
}

fn zero() -> rustix::event::Timespec {
    rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    }
}

/// How often a wait for a name lookup (done on another thread) looks.
const LOOKUP_TICK: Duration = Duration::from_millis(5);

/// Waits until at least one of `ps` is ready (at most until the
/// context's deadline: then the interrupt trap); returns the indices of
/// the ready ones. Sockets and the host's standard input are waited for
/// with one `poll`.
fn wait<T: 'static>(cx: &mut Cx<'_, T>, ps: &[Ready]) -> Result<Vec<u32>, Error> {
    loop {
        let mut ready = Vec::new();
        for (i, p) in ps.iter().enumerate() {
            if is_ready(cx, p)? {
                ready.push(i as u32);
            }
        }
        if !ready.is_empty() {
            return Ok(ready);
        }
        // Virtual clocks jump to the earliest virtual deadline.
        if let Some(t) = ps
            .iter()
            .filter_map(|p| match p {
                Ready::Virtual(t) => Some(*t),
                _ => None,
            })
            .min()
        {
            if let Clocks::Virtual { t: now, .. } = &mut cx.ctx().clocks {
                *now = (*now).max(t);
                continue;
            }
        }
        let deadline = cx.ctx().deadline;
        let mut wake = ps
            .iter()
            .filter_map(|p| match p {
                Ready::At(t) => Some(*t),
                _ => None,
            })
            .min();
        if ps.iter().any(|p| matches!(p, Ready::Lookup(_))) {
            let tick = Instant::now() + LOOKUP_TICK;
            wake = Some(wake.map_or(tick, |w| w.min(tick)));
        }
        let until = match (wake, deadline) {
            (Some(w), Some(d)) => Some(w.min(d)),
            (w, d) => w.or(d),
        };
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(trap(TrapCode::Interrupted));
        }
        let stdin = rustix::stdio::stdin();
        let mut fds = Vec::new();
        for p in ps {
            match p {
                Ready::Stdin => fds.push(rustix::event::PollFd::new(
                    &stdin,
                    rustix::event::PollFlags::IN,
                )),
                Ready::Sock(conn, want) => fds.push(conn.poll_fd(*want)),
                _ => {}
            }
        }
        match (fds.is_empty(), until) {
            (false, until) => {
                let timeout = until.map(|u| {
                    let d = u.saturating_duration_since(Instant::now());
                    rustix::event::Timespec {
                        tv_sec: d.as_secs().try_into().unwrap_or(i64::MAX),
                        tv_nsec: d.subsec_nanos().into(),
                    }
                });
                let _ = rustix::event::poll(&mut fds, timeout.as_ref());
            }
            (true, Some(u)) => std::thread::sleep(u.saturating_duration_since(Instant::now())),
            (true, None) => {
                // Nothing can become ready: a virtual clock that is not
                // the context's, or a clock pollable without clocks.
                return Err(trap_msg("poll: nothing can become ready"));
            }
        }
    }
}

fn clocks<T: 'static>(linker: &mut Linker<T>, get: &Getter<T>) -> Result<(), Error> {
    let mut i = iface(linker, "wasi:clocks/monotonic-clock")?;
    def(&mut i, get, "now", |cx, _| Ok(Val::U64(now(cx, 1)?)))?;
    def(&mut i, get, "resolution", |cx, _| Ok(Val::U64(res(cx, 1)?)))?;
    def(&mut i, get, "subscribe-duration", |cx, a| {
        let d = arg_u64(a[0])?;
        let p = match cx.ctx().virtual_time() {
            Some(t) => Ready::Virtual(t.saturating_add(d)),
            // A relative sleep tells no time: allowed without a grant,
            // as preview1's relative `poll_oneoff` clocks.
            None => at(Duration::from_nanos(d)),
        };
        cx.new_res::<Pollable>(Res::Poll(p))
    })?;
    def(&mut i, get, "subscribe-instant", |cx, a| {
        let when = arg_u64(a[0])?;
        let p = match cx.ctx().virtual_time() {
            Some(_) => Ready::Virtual(when),
            None => {
                let now = now(cx, 1)?;
                at(Duration::from_nanos(when.saturating_sub(now)))
            }
        };
        cx.new_res::<Pollable>(Res::Poll(p))
    })?;
    let mut i = iface(linker, "wasi:clocks/wall-clock")?;
    def(&mut i, get, "now", |cx, _| datetime(now(cx, 0)?))?;
    def(&mut i, get, "resolution", |cx, _| datetime(res(cx, 0)?))?;
    Ok(())
}

fn at(d: Duration) -> Ready {
    match Instant::now().checked_add(d) {
        Some(t) => Ready::At(t),
        // Never: as far as the host can count.
        None => Ready::At(Instant::now() + Duration::from_secs(u32::MAX.into())),
    }
}

fn datetime(ns: u64) -> Result<Val, Error> {
    Ok(record(vec![
        ("seconds", Val::U64(ns / 1_000_000_000)),
        ("nanoseconds", Val::U32((ns % 1_000_000_000) as u32)),
    ]))
}

fn now<T: 'static>(cx: &mut Cx<'_, T>, id: u32) -> Result<u64, Error> {
    crate::clock::guest_now(cx.ctx(), id)
        .map_err(|_| trap_msg("clocks are not granted to this guest"))
}

fn res<T: 'static>(cx: &mut Cx<'_, T>, id: u32) -> Result<u64, Error> {
    scratch(cx.ctx(), 8, |ctx, m| {
        crate::clock::clock_res_get(ctx, m, id, 0)?;
        u64_at(m, 0)
    })
    .map_err(|_| trap_msg("clocks are not granted to this guest"))
}

fn random_bytes<T: 'static>(cx: &mut Cx<'_, T>, n: u64) -> Result<Vec<u8>, Error> {
    if n > MAX_CHUNK as u64 {
        return Err(trap_msg("random: too many bytes asked for at once"));
    }
    scratch(cx.ctx(), n as usize, |ctx, m| {
        crate::clock::random_get(ctx, m, 0, n as u32)?;
        Ok(m.0.to_vec())
    })
    .map_err(|_| trap_msg("randomness is not granted to this guest"))
}

fn random<T: 'static>(linker: &mut Linker<T>, get: &Getter<T>) -> Result<(), Error> {
    for (name, bytes_fn, u64_fn) in [
        ("wasi:random/random", "get-random-bytes", "get-random-u64"),
        (
            "wasi:random/insecure",
            "get-insecure-random-bytes",
            "get-insecure-random-u64",
        ),
    ] {
        let mut i = iface(linker, name)?;
        def(&mut i, get, bytes_fn, |cx, a| {
            Ok(bytes(&random_bytes(cx, arg_u64(a[0])?)?))
        })?;
        def(&mut i, get, u64_fn, |cx, _| {
            let b = random_bytes(cx, 8)?;
            Ok(Val::U64(u64::from_le_bytes(
                b.try_into().unwrap_or_default(),
            )))
        })?;
    }
    let mut i = iface(linker, "wasi:random/insecure-seed")?;
    def(&mut i, get, "insecure-seed", |cx, _| {
        let b = random_bytes(cx, 16)?;
        let (lo, hi) = b.split_at(8);
        Ok(Val::Tuple(vec![
            Val::U64(u64::from_le_bytes(lo.try_into().unwrap_or_default())),
            Val::U64(u64::from_le_bytes(hi.try_into().unwrap_or_default())),
        ]))
    })?;
    Ok(())
}

mod fs;
mod sockets;
use fs::filesystem;
