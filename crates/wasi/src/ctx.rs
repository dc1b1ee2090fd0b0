//! The WASI state of one store: arguments, environment, the file
//! descriptor table and the capabilities behind it.
//!
//! A guest reaches the host file system only through the directories
//! preopened here. Every path is resolved by the kernel beneath the
//! directory's descriptor (`openat2` with `RESOLVE_BENEATH`), so `..`,
//! absolute paths and symbolic links (including ones the guest creates)
//! cannot leave it, and there is no window for a race between a check and
//! its use. A read-only preopen, and everything opened through it, refuses
//! every change with `EPERM`.
//!
//! # Wrapped capabilities
//!
//! A parent can grant a child a weakened or virtual version of a
//! capability instead of the host's own, each a grant like the real one
//! (a plain [`WasiCtxBuilder::allow_clocks`]`(false)` or
//! [`WasiCtxBuilder::allow_random`]`(false)` still denies with
//! `ENOTCAPABLE`):
//!
//! - [`WasiCtxBuilder::coarse_clocks`]: the host clocks, truncated to a
//!   coarser resolution (a weaker timer for timing side channels).
//! - [`WasiCtxBuilder::virtual_clocks`]: a virtual time that never reads
//!   the host's, advancing 1 µs per read and jumping ahead to the deadline
//!   of a `poll_oneoff` clock subscription instead of sleeping, so runs are
//!   reproducible and sleeps cost no real time.
//! - [`WasiCtxBuilder::seeded_random`]: `random_get` from a deterministic
//!   ChaCha12 stream.
//! - [`WasiCtxBuilder::stdout_prefix`], [`WasiCtxBuilder::stderr_prefix`]:
//!   every line of the stream starts with a prefix (e.g. the child's name).
//! - [`WasiCtxBuilder::output_limit`]: a byte quota on the standard
//!   streams, after which writes fail with `ENOSPC`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rand_chacha::ChaCha12Rng;
use rand_core::SeedableRng;
use rustix::fs::{Mode, OFlags};

use crate::errno::{BlockingResult, Errno, WasiResult};
use crate::perms::{DirPerms, FilePerms};

/// Rights (`rights` in the spec): what a descriptor may be used for. Every
/// `fd_*`, `path_*` and `sock_*` call needs the right named after it (a
/// `path_*` call, on the directory it starts from) among the descriptor's
/// base rights, and fails with `ENOTCAPABLE` without it; rights can be
/// dropped (`fd_fdstat_set_rights`), never added.
pub mod rights {
    #![allow(missing_docs)]
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    pub const SOCK_ACCEPT: u64 = 1 << 29;

    /// Everything a regular file descriptor can do.
    pub const FILE: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;
    /// Everything a directory descriptor can do.
    pub const DIRECTORY: u64 = FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_DATASYNC
        | FD_ADVISE
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE;
    /// What changes a directory or file: withheld under a read-only preopen.
    pub const MUTATING: u64 = FD_WRITE
        | FD_ALLOCATE
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE;
    /// A stream (stdio, pipe).
    pub const STREAM: u64 =
        FD_READ | FD_WRITE | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;
    /// A socket.
    pub const SOCKET: u64 = STREAM | SOCK_SHUTDOWN | SOCK_ACCEPT;
}

/// WASI file types (`filetype`).
pub mod filetype {
    #![allow(missing_docs)]
    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_DGRAM: u8 = 5;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// Descriptor flags (`fdflags`).
pub mod fdflags {
    #![allow(missing_docs)]
    pub const APPEND: u16 = 1 << 0;
    pub const DSYNC: u16 = 1 << 1;
    pub const NONBLOCK: u16 = 1 << 2;
    pub const RSYNC: u16 = 1 << 3;
    pub const SYNC: u16 = 1 << 4;
}

/// Where a standard stream goes.
#[derive(Clone)]
pub enum Stdio {
    /// The host process's own descriptor (0, 1 or 2): streamed, unbuffered.
    Inherit,
    /// Reads see end of file; writes are discarded.
    Null,
    /// An in-memory pipe: reads consume its bytes from the front, writes
    /// append to it.
    Buffer(Arc<Mutex<Vec<u8>>>),
}

impl Stdio {
    /// A new in-memory buffer holding `bytes`, and the handle to it.
    pub fn buffer(bytes: impl Into<Vec<u8>>) -> (Stdio, Arc<Mutex<Vec<u8>>>) {
        let b = Arc::new(Mutex::new(bytes.into()));
        (Stdio::Buffer(b.clone()), b)
    }
}

/// An open directory.
pub struct DirEntry {
    /// The host descriptor everything beneath is resolved against.
    pub fd: OwnedFd,
    /// The guest's name for it, if it is a preopen.
    pub preopen: Option<String>,
    /// What the guest may do with it and the directories beneath.
    pub perms: DirPerms,
    /// What the guest may do with the files it opens beneath.
    pub file_perms: FilePerms,
}

/// An open regular file (or other non-directory node).
pub struct FileEntry {
    /// The host file.
    pub file: std::fs::File,
    /// What the grant it was opened through allows on files (its rights
    /// say what this descriptor was opened for).
    pub perms: FilePerms,
    /// Whether its reads and writes can wait: not a regular file or a
    /// block device, but a FIFO, a terminal... (then, in blocking mode,
    /// they wait at most until the deadline, [`WasiCtx::set_deadline`]).
    pub can_wait: bool,
}

/// What a guest descriptor refers to.
pub enum Kind {
    /// Standard input, output or error (`0`, `1`, `2`).
    Stdio(u32, Stdio),
    /// A file.
    File(FileEntry),
    /// A directory.
    Dir(DirEntry),
    /// A listening socket.
    Listener(TcpListener),
    /// A connected socket.
    Stream(TcpStream),
}

/// One guest descriptor.
pub struct Entry {
    /// What it refers to.
    pub kind: Kind,
    /// Rights of the descriptor itself.
    pub base: u64,
    /// Rights of descriptors opened through it.
    pub inheriting: u64,
    /// `fdflags` the guest set that the host object does not keep itself.
    pub flags: u16,
    /// What the descriptor took from the context's quota and the shared
    /// budget, if the guest opened it (given back when the entry drops).
    #[allow(dead_code)] // never read: held for its `Drop`
    pub(crate) charge: Charge,
}

/// A budget of host descriptors shared by many contexts (e.g. every
/// nanoprocess of a system): each descriptor a guest opens (`path_open`,
/// `sock_accept`) draws one, and gives it back when closed, replaced by
/// `fd_renumber`, or when its context is dropped; once all are drawn,
/// opening fails with `ENFILE` in every context sharing it. Standard
/// streams and preopened directories and sockets draw nothing. Clones
/// share the budget.
#[derive(Clone, Debug)]
pub struct FdBudget(Arc<Budget>);

#[derive(Debug)]
struct Budget {
    max: usize,
    in_use: AtomicUsize,
}

impl FdBudget {
    /// A budget of `max` descriptors, none in use.
    pub fn new(max: usize) -> FdBudget {
        FdBudget(Arc::new(Budget {
            max,
            in_use: AtomicUsize::new(0),
        }))
    }

    /// The descriptors drawn now.
    pub fn in_use(&self) -> usize {
        self.0.in_use.load(Ordering::Acquire)
    }

    /// The size of the budget.
    pub fn max(&self) -> usize {
        self.0.max
    }

    /// Draws one descriptor, if any is left.
    fn draw(&self) -> bool {
        self.0
            .in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.0.max).then_some(n + 1)
            })
            .is_ok()
    }
}

/// What one descriptor the guest opened holds of its context's count and
/// of the shared budget; dropping it gives both back.
#[derive(Debug, Default)]
pub(crate) struct Charge {
    count: Option<Arc<AtomicUsize>>,
    budget: Option<FdBudget>,
}

impl Drop for Charge {
    fn drop(&mut self) {
        if let Some(c) = &self.count {
            c.fetch_sub(1, Ordering::AcqRel);
        }
        if let Some(b) = &self.budget {
            b.0.in_use.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// How the clocks are granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Clocks {
    /// Not at all: `ENOTCAPABLE`.
    Denied,
    /// The host's clocks.
    Host,
    /// The host's clocks truncated to a multiple of this many nanoseconds
    /// (at least 1).
    Coarse(u64),
    /// Virtual time: realtime is `start + t`, every other clock `t`.
    Virtual {
        /// The realtime clock at `t == 0`, in nanoseconds since the epoch.
        start: u64,
        /// Virtual nanoseconds elapsed.
        t: u64,
    },
}

/// How `random_get` is granted.
pub(crate) enum Random {
    /// Not at all: `ENOTCAPABLE`.
    Denied,
    /// The host's cryptographic random source.
    Host,
    /// A deterministic stream.
    Seeded(Box<ChaCha12Rng>),
}

/// What random source the builder grants.
#[derive(Clone, Copy)]
enum RandomGrant {
    Denied,
    Host,
    Seeded(u64),
}

/// The wrapping of the standard streams' output.
pub(crate) struct Output {
    /// The prefix of every line, by stream (0 stdin, 1 stdout, 2 stderr).
    prefix: [Option<Vec<u8>>; 3],
    /// Whether the next byte written to the stream starts a line.
    line_start: [bool; 3],
    /// Guest bytes the standard streams may still take, if limited.
    left: Option<u64>,
}

impl Output {
    /// Writes guest bytes to standard stream `which` through its wrapping:
    /// the output quota (a short count, or `ENOSPC` once it is spent) and
    /// the line prefix. The count returned is of guest bytes. A host
    /// stream that cannot take the bytes is waited for at most until
    /// `deadline` (see [`WasiCtx::set_deadline`]).
    pub(crate) fn write(
        &mut self,
        which: u32,
        s: &Stdio,
        data: &[u8],
        deadline: Option<Instant>,
    ) -> BlockingResult<usize> {
        let i = (which as usize).min(2);
        let mut data = data;
        if let Some(left) = self.left {
            if data.is_empty() {
                return Ok(0);
            }
            if left == 0 {
                return Err(Errno::Nospc.into());
            }
            let fit = usize::try_from(left).unwrap_or(usize::MAX).min(data.len());
            data = &data[..fit];
        }
        let n = match self.prefix[i].as_deref() {
            None => WasiCtx::stdio_sink(which, s, data, deadline)?,
            Some(prefix) => {
                // One write of the whole wrapped text, so that lines from
                // writers sharing the host stream interleave whole.
                let mut buf = Vec::with_capacity(data.len() + prefix.len());
                let mut inserts = Vec::new(); // where each prefix starts in `buf`
                let mut at_start = self.line_start[i];
                for line in data.split_inclusive(|&b| b == b'\n') {
                    if at_start {
                        inserts.push(buf.len());
                        buf.extend_from_slice(prefix);
                    }
                    buf.extend_from_slice(line);
                    at_start = line.ends_with(b"\n");
                }
                let k = WasiCtx::stdio_sink(which, s, &buf, deadline)?;
                // The guest bytes among the first `k` written.
                let prefixed: usize = inserts
                    .iter()
                    .take_while(|&&p| p < k)
                    .map(|&p| prefix.len().min(k - p))
                    .sum();
                let n = k - prefixed;
                if n == data.len() {
                    self.line_start[i] = at_start;
                } else if n > 0 {
                    self.line_start[i] = data[n - 1] == b'\n';
                }
                n
            }
        };
        if let Some(left) = &mut self.left {
            *left = left.saturating_sub(n as u64);
        }
        Ok(n)
    }
}

/// The WASI state of a store.
pub struct WasiCtx {
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) fds: BTreeMap<u32, Entry>,
    /// What the clocks are.
    pub(crate) clocks: Clocks,
    /// Where `random_get` takes its bytes from.
    pub(crate) random: Random,
    /// Prefixes and quota of the standard streams.
    pub(crate) output: Output,
    /// When calls that block must give up and trap (see
    /// [`WasiCtx::set_deadline`]).
    pub(crate) deadline: Option<Instant>,
    /// The descriptors the guest opened and holds (shared with their
    /// [`Charge`]s).
    pub(crate) opened: Arc<AtomicUsize>,
    /// The most it may hold ([`WasiCtxBuilder::max_open_files`]).
    pub(crate) max_open: Option<usize>,
    /// The budget shared with other contexts ([`WasiCtxBuilder::fd_budget`]).
    pub(crate) budget: Option<FdBudget>,
    /// The WASI 0.2 resources (streams, pollables, ...) of a component
    /// guest ([`crate::p2`]).
    pub(crate) p2: crate::p2::Table,
    /// What the guest may do on the network (`wasi:sockets`).
    pub(crate) net: crate::net::NetGrants,
}

impl WasiCtx {
    /// A builder.
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder::default()
    }

    /// The virtual time elapsed (the virtual monotonic clock), in
    /// nanoseconds, if the clocks are virtual
    /// ([`WasiCtxBuilder::virtual_clocks`]).
    pub fn virtual_time(&self) -> Option<u64> {
        match self.clocks {
            Clocks::Virtual { t, .. } => Some(t),
            _ => None,
        }
    }

    /// Bounds every WASI call that can block by `deadline` (`None`: no
    /// bound, the default). A call that would still wait when it passes
    /// ends the guest with the interrupt trap, the one epoch interruption
    /// gives ([`nanowasm_runtime::TrapCode::Interrupted`]): `poll_oneoff`
    /// (clocks and descriptors), `fd_read` and `fd_write` on the host's
    /// standard streams, on sockets and on FIFOs or terminals opened
    /// beneath a preopened directory, `sock_recv`, `sock_send` and
    /// `sock_accept`. Regular files never wait, and `path_open` opens
    /// without waiting (a FIFO without a reader: `ENXIO`). The deadline
    /// stays until it is set again, so an embedder sets it before each
    /// call into the guest (e.g. to the same instant as the epoch
    /// deadline).
    pub fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
    }

    /// The deadline set by [`set_deadline`](Self::set_deadline).
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The bytes the guest may still write to the standard streams, if
    /// limited ([`WasiCtxBuilder::output_limit`]).
    pub fn output_remaining(&self) -> Option<u64> {
        self.output.left
    }

    pub(crate) fn get(&mut self, fd: u32) -> WasiResult<&mut Entry> {
        self.fds.get_mut(&fd).ok_or(Errno::Badf)
    }

    /// The descriptors the guest opened itself and holds now (standard
    /// streams and preopens are not counted).
    pub fn open_files(&self) -> usize {
        self.opened.load(Ordering::Acquire)
    }

    /// Takes one descriptor from the context's quota (`EMFILE` when it is
    /// full) and from the shared budget (`ENFILE` when it is spent), for a
    /// descriptor the guest is about to open; taken before the host
    /// descriptor is opened, and given back when the returned charge (in
    /// the new [`Entry`]) drops.
    pub(crate) fn charge(&self) -> WasiResult<Charge> {
        if self.max_open.is_some_and(|max| self.open_files() >= max) {
            return Err(Errno::Mfile);
        }
        if self.fds.len() >= MAX_FDS {
            return Err(Errno::Mfile);
        }
        let budget = match &self.budget {
            Some(b) if !b.draw() => return Err(Errno::Nfile),
            b => b.clone(),
        };
        self.opened.fetch_add(1, Ordering::AcqRel);
        Ok(Charge {
            count: Some(self.opened.clone()),
            budget,
        })
    }

    /// The lowest free descriptor number.
    pub(crate) fn insert(&mut self, entry: Entry) -> WasiResult<u32> {
        let mut n = 0u32;
        for &k in self.fds.keys() {
            if k != n {
                break;
            }
            n = n.checked_add(1).ok_or(Errno::Mfile)?;
        }
        if self.fds.len() >= MAX_FDS {
            return Err(Errno::Mfile);
        }
        self.fds.insert(n, entry);
        Ok(n)
    }

    /// Reads from a standard stream. The host's own stream is waited for
    /// at most until `deadline`, then read.
    pub(crate) fn stdio_read(
        which: u32,
        s: &Stdio,
        buf: &mut [u8],
        deadline: Option<Instant>,
    ) -> BlockingResult<usize> {
        match s {
            Stdio::Inherit => {
                let fd = match which {
                    0 => rustix::stdio::stdin(),
                    1 => rustix::stdio::stdout(),
                    _ => rustix::stdio::stderr(),
                };
                // A reader sharing the host's stream could take the bytes
                // between the wait and the read: the read then blocks
                // until more come (the stream's file description is
                // shared, so it cannot be made non-blocking for this read
                // alone).
                crate::poll::wait_readable(fd, deadline.filter(|_| crate::poll::can_wait(fd)))?;
                loop {
                    match rustix::io::read(fd, &mut *buf) {
                        Err(rustix::io::Errno::INTR) => continue,
                        r => return Ok(r?),
                    }
                }
            }
            Stdio::Null => Ok(0),
            Stdio::Buffer(b) => {
                let mut b = b.lock().map_err(|_| Errno::Io)?;
                let n = (&b[..]).read(buf)?;
                b.drain(..n);
                Ok(n)
            }
        }
    }

    /// Writes to a standard stream as it is; the host's own stream waits
    /// for room at most until `deadline` ([`crate::poll::write_all`]).
    pub(crate) fn stdio_sink(
        which: u32,
        s: &Stdio,
        data: &[u8],
        deadline: Option<Instant>,
    ) -> BlockingResult<usize> {
        match s {
            Stdio::Inherit => {
                let fd = match which {
                    0 => rustix::stdio::stdin(),
                    1 => rustix::stdio::stdout(),
                    _ => rustix::stdio::stderr(),
                };
                crate::poll::write_all(fd, data, deadline.filter(|_| crate::poll::can_wait(fd)))
            }
            Stdio::Null => Ok(data.len()),
            Stdio::Buffer(b) => {
                b.lock().map_err(|_| Errno::Io)?.write_all(data)?;
                Ok(data.len())
            }
        }
    }
}

/// The most descriptors a context's table holds, whatever the quota.
const MAX_FDS: usize = 1 << 16;

/// Builds a [`WasiCtx`]. Nothing is granted unless asked for: no
/// arguments, no environment, no directories, no clocks, no randomness,
/// null standard streams.
pub struct WasiCtxBuilder {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdio: [Stdio; 3],
    preopens: Vec<(Entry, String)>,
    clocks: Clocks,
    random: RandomGrant,
    prefix: [Option<Vec<u8>>; 3],
    output_limit: Option<u64>,
    max_open: Option<usize>,
    budget: Option<FdBudget>,
    net: crate::net::NetGrants,
    error: Option<std::io::Error>,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        WasiCtxBuilder {
            args: Vec::new(),
            env: Vec::new(),
            stdio: [Stdio::Null, Stdio::Null, Stdio::Null],
            preopens: Vec::new(),
            clocks: Clocks::Denied,
            random: RandomGrant::Denied,
            prefix: [None, None, None],
            output_limit: None,
            max_open: None,
            budget: None,
            net: Default::default(),
            error: None,
        }
    }
}

impl WasiCtxBuilder {
    /// Appends a program argument (the first is the program's name).
    pub fn arg(&mut self, a: impl Into<String>) -> &mut Self {
        self.args.push(a.into());
        self
    }

    /// Appends program arguments.
    pub fn args<S: Into<String>>(&mut self, args: impl IntoIterator<Item = S>) -> &mut Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable.
    pub fn env(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Standard input.
    pub fn stdin(&mut self, s: Stdio) -> &mut Self {
        self.stdio[0] = s;
        self
    }

    /// Standard output.
    pub fn stdout(&mut self, s: Stdio) -> &mut Self {
        self.stdio[1] = s;
        self
    }

    /// Standard error.
    pub fn stderr(&mut self, s: Stdio) -> &mut Self {
        self.stdio[2] = s;
        self
    }

    /// Grants reading the host's clocks (`clock_time_get`,
    /// `clock_res_get`); without it they fail with `ENOTCAPABLE`, a
    /// `poll_oneoff` clock subscription with an absolute time gets an
    /// `ENOTCAPABLE` event (a relative one still sleeps: it tells no
    /// time), and file timestamps read as 0. The last
    /// of `allow_clocks`, [`coarse_clocks`](Self::coarse_clocks) and
    /// [`virtual_clocks`](Self::virtual_clocks) called decides.
    pub fn allow_clocks(&mut self, allow: bool) -> &mut Self {
        self.clocks = if allow { Clocks::Host } else { Clocks::Denied };
        self
    }

    /// Grants the host's clocks at a coarser resolution: every
    /// `clock_time_get` result, of all four clocks (realtime, monotonic,
    /// process and thread CPU time), is truncated down to a multiple of
    /// `resolution` (taken in nanoseconds, at least 1 ns), and
    /// `clock_res_get` returns the larger of the host's resolution and
    /// `resolution`. The monotonic clock stays non-decreasing. File
    /// timestamps (`fd_filestat_get`, `path_filestat_get`) are truncated
    /// alike. `poll_oneoff` clock subscriptions really sleep, until the
    /// truncated clock reaches the deadline (a relative timeout counts
    /// from the truncated now), so they wake on a multiple of
    /// `resolution` and tell nothing finer. Replaces any earlier clock
    /// grant.
    pub fn coarse_clocks(&mut self, resolution: std::time::Duration) -> &mut Self {
        let ns = u64::try_from(resolution.as_nanos()).unwrap_or(u64::MAX);
        self.clocks = Clocks::Coarse(ns.max(1));
        self
    }

    /// Grants virtual clocks: the guest sees time, but the host's is never
    /// read. A virtual nanosecond counter `t` starts at 0; the realtime
    /// clock reads `start_realtime_ns + t`, the monotonic, process and
    /// thread CPU-time clocks read `t`. Every `clock_time_get` advances `t`
    /// by 1 µs after reading it (so a loop waiting for time to pass makes
    /// progress), and `clock_res_get` returns 1000 (1 µs).
    ///
    /// `poll_oneoff` clock subscriptions never sleep: if descriptor
    /// subscriptions are ready without blocking (a poll with zero
    /// timeout), those are reported (with any clock already due);
    /// otherwise `t` advances to the earliest clock deadline (relative to
    /// `t`, or absolute on that virtual clock with the `abstime` flag) and
    /// the clock events whose deadline is reached are reported. With only
    /// descriptor subscriptions `poll_oneoff` blocks as usual. A guest's
    /// `sleep(10)` thus returns at once, with virtual time 10 s later.
    /// File timestamps read as 0 (the host's would tell its time).
    /// Replaces any earlier clock grant.
    pub fn virtual_clocks(&mut self, start_realtime_ns: u64) -> &mut Self {
        self.clocks = Clocks::Virtual {
            start: start_realtime_ns,
            t: 0,
        };
        self
    }

    /// Grants `random_get` from the host's cryptographic random source;
    /// without it, it fails with `ENOTCAPABLE`. The last of
    /// `allow_random` and [`seeded_random`](Self::seeded_random) called
    /// decides.
    pub fn allow_random(&mut self, allow: bool) -> &mut Self {
        self.random = if allow {
            RandomGrant::Host
        } else {
            RandomGrant::Denied
        };
        self
    }

    /// Grants `random_get`, with bytes from a deterministic ChaCha12 stream
    /// (`ChaCha12Rng::seed_from_u64(seed)`) kept in the context: the same
    /// seed gives the same byte sequence in every context built, across
    /// instances and runs. Not a secret: for reproducible runs, not
    /// cryptography. Replaces any earlier random grant.
    pub fn seeded_random(&mut self, seed: u64) -> &mut Self {
        self.random = RandomGrant::Seeded(seed);
        self
    }

    /// Starts every line the guest writes to standard output with
    /// `prefix`: the prefix goes before the first byte written and before
    /// each byte that follows a newline, tracked across `fd_write` calls
    /// (with prefix `"P "`, writing `"a\nb"` then `"c\n"` gives
    /// `"P a\nP bc\n"`). Works with every [`Stdio`]; [`Stdio::Null`]
    /// still discards everything.
    pub fn stdout_prefix(&mut self, prefix: impl Into<Vec<u8>>) -> &mut Self {
        self.prefix[1] = Some(prefix.into());
        self
    }

    /// Starts every line the guest writes to standard error with `prefix`,
    /// as [`stdout_prefix`](Self::stdout_prefix) does for standard output.
    pub fn stderr_prefix(&mut self, prefix: impl Into<Vec<u8>>) -> &mut Self {
        self.prefix[2] = Some(prefix.into());
        self
    }

    /// Limits the bytes the guest may write to standard output and
    /// standard error together to `max_bytes` (guest bytes: prefixes are
    /// not counted; a write to descriptor 0 counts too). A write that only
    /// partly fits writes the part that fits and returns that short count;
    /// a write when nothing is left fails with `ENOSPC`. Writes to files
    /// and sockets are not limited.
    pub fn output_limit(&mut self, max_bytes: u64) -> &mut Self {
        self.output_limit = Some(max_bytes);
        self
    }

    /// Limits the descriptors the guest holds open at once, of those it
    /// opens itself (`path_open`, `sock_accept`; standard streams and
    /// preopens are not counted), to `n`: opening one more fails with
    /// `EMFILE`, and closing one frees its slot. Without it, only the
    /// table's own bound (65,536 descriptors) applies.
    pub fn max_open_files(&mut self, n: usize) -> &mut Self {
        self.max_open = Some(n);
        self
    }

    /// Draws the descriptors the guest opens from `budget`, shared with
    /// other contexts (see [`FdBudget`]): `ENFILE` once it is spent. The
    /// context's descriptors go back to it when closed and when the
    /// context is dropped.
    pub fn fd_budget(&mut self, budget: FdBudget) -> &mut Self {
        self.budget = Some(budget);
        self
    }

    /// Grants the whole network to `wasi:sockets` (WASI 0.2): binding
    /// and connecting to every address, as wasmtime's `inherit_network`.
    /// Without it (and without address grants) every bind and connect
    /// answers `access-denied`.
    pub fn inherit_network(&mut self) -> &mut Self {
        self.net.inherit = true;
        self
    }

    /// Lets the guest connect TCP sockets to the addresses of `grant`
    /// (repeatable; see [`AddrGrant`](crate::net::AddrGrant)).
    ///
    /// ```
    /// use nanowasm_wasi::{net::AddrGrant, WasiCtx};
    ///
    /// let mut builder = WasiCtx::builder();
    /// builder.allow_tcp_connect("127.0.0.1:5432".parse::<AddrGrant>()?);
    /// builder.allow_tcp_connect("10.0.0.0/8:*".parse::<AddrGrant>()?);
    /// let ctx = builder.build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allow_tcp_connect(&mut self, grant: crate::net::AddrGrant) -> &mut Self {
        self.net.tcp_connect.push(grant);
        self
    }

    /// Lets the guest bind TCP sockets to the addresses of `grant` (and
    /// so listen there; repeatable). Port `0` (a port the system picks)
    /// must be granted as such (`127.0.0.1:0`) or by `*`.
    pub fn allow_tcp_bind(&mut self, grant: crate::net::AddrGrant) -> &mut Self {
        self.net.tcp_bind.push(grant);
        self
    }

    /// Also allows every socket address for which `check` answers `true`
    /// (as wasmtime's `socket_addr_check`; called on every bind and
    /// connect, before the host's socket is touched).
    pub fn socket_addr_check(
        &mut self,
        check: impl Fn(std::net::SocketAddr, crate::net::SocketAddrUse) -> bool + Send + Sync + 'static,
    ) -> &mut Self {
        self.net.check = Some(Arc::new(check));
        self
    }

    /// Whether the guest may make TCP sockets at all (default: yes; each
    /// bind and connect still needs its address granted). Without it
    /// `create-tcp-socket` answers `access-denied`.
    pub fn allow_tcp(&mut self, allow: bool) -> &mut Self {
        self.net.tcp = allow;
        self
    }

    /// Whether the guest may resolve host names
    /// (`wasi:sockets/ip-name-lookup`; default: no, and every lookup
    /// answers `permanent-resolver-failure`, as wasmtime's).
    pub fn allow_ip_name_lookup(&mut self, allow: bool) -> &mut Self {
        self.net.name_lookup = allow;
        self
    }

    /// Caps the connections a listening socket of the guest queues
    /// (its `set-listen-backlog-size`; default
    /// [`DEFAULT_MAX_BACKLOG`](crate::net::DEFAULT_MAX_BACKLOG)). Sockets
    /// count against [`max_open_files`](Self::max_open_files) and the
    /// [`FdBudget`] like descriptors.
    pub fn max_listen_backlog(&mut self, n: u32) -> &mut Self {
        self.net.max_backlog = n.max(1);
        self
    }

    /// Limits the `wasi:sockets` sockets the guest holds at once (made
    /// or accepted, until dropped with their streams) to `n` (default
    /// [`DEFAULT_MAX_SOCKETS`](crate::net::DEFAULT_MAX_SOCKETS)): one more
    /// answers `new-socket-limit`. Each also counts against
    /// [`max_open_files`](Self::max_open_files) and the [`FdBudget`].
    pub fn max_sockets(&mut self, n: usize) -> &mut Self {
        self.net.max_sockets = n;
        self
    }

    /// Inherits the host's standard input, output and error.
    pub fn inherit_stdio(&mut self) -> &mut Self {
        self.stdio = [Stdio::Inherit, Stdio::Inherit, Stdio::Inherit];
        self
    }

    /// Grants the directory `host` to the guest as `guest` (e.g. `/data` or
    /// `.`), as in wasmtime: `perms` says what the guest may do with it and
    /// the directories beneath ([`DirPerms::MUTATE`] to change anything),
    /// `file_perms` what it may do with the files it opens there
    /// ([`FilePerms::WRITE`] to write them). The path is opened here, once,
    /// following symbolic links: it names a directory the embedder chose.
    /// Use [`preopened_dir_fd`](Self::preopened_dir_fd) to grant a
    /// directory already open.
    ///
    /// ```
    /// use nanowasm_wasi::{DirPerms, FilePerms, WasiCtx};
    ///
    /// let dir = std::env::temp_dir();
    /// let mut builder = WasiCtx::builder();
    /// // Read-only: the guest can list and read, not change.
    /// builder.preopened_dir(&dir, "/tmp", DirPerms::READ, FilePerms::READ);
    /// // Read-write.
    /// builder.preopened_dir(&dir, "/scratch", DirPerms::all(), FilePerms::all());
    /// let ctx = builder.build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn preopened_dir(
        &mut self,
        host: impl AsRef<Path>,
        guest: impl Into<String>,
        perms: DirPerms,
        file_perms: FilePerms,
    ) -> &mut Self {
        let opened = rustix::fs::open(
            host.as_ref(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        );
        match opened {
            Ok(fd) => self.preopened_dir_fd(fd, guest, perms, file_perms),
            Err(e) => {
                self.error.get_or_insert_with(|| {
                    std::io::Error::new(
                        std::io::Error::from(e).kind(),
                        format!("cannot open directory {}: {e}", host.as_ref().display()),
                    )
                });
                self
            }
        }
    }

    /// Grants the already open directory `fd` to the guest as `guest`, like
    /// [`preopened_dir`](Self::preopened_dir): the guest gets exactly the
    /// directory the descriptor refers to, whatever its path names now
    /// (e.g. a descriptor the embedder opened and checked once and hands a
    /// duplicate of to every instance). A descriptor that is not a
    /// directory makes [`build`](Self::build) fail.
    pub fn preopened_dir_fd(
        &mut self,
        fd: OwnedFd,
        guest: impl Into<String>,
        perms: DirPerms,
        file_perms: FilePerms,
    ) -> &mut Self {
        let guest = guest.into();
        match rustix::fs::fstat(&fd) {
            Ok(st) if rustix::fs::FileType::from_raw_mode(st.st_mode).is_dir() => {}
            Ok(_) => {
                self.error.get_or_insert_with(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::NotADirectory,
                        format!("the descriptor granted as {guest} is not a directory"),
                    )
                });
                return self;
            }
            Err(e) => {
                self.error.get_or_insert_with(|| {
                    std::io::Error::new(
                        std::io::Error::from(e).kind(),
                        format!("the descriptor granted as {guest}: {e}"),
                    )
                });
                return self;
            }
        }
        let base = if perms.contains(DirPerms::MUTATE) {
            rights::DIRECTORY
        } else {
            rights::DIRECTORY & !rights::MUTATING
        };
        // The inheriting rights stay whole even without write permissions,
        // as in wasmtime: wasi-libc asks for the rights an `open` mode
        // needs within them, so a write is asked for and refused (EPERM)
        // rather than silently opened read-only.
        let inheriting = rights::DIRECTORY | rights::FILE;
        let entry = Entry {
            kind: Kind::Dir(DirEntry {
                fd,
                preopen: Some(guest.clone()),
                perms,
                file_perms,
            }),
            base,
            inheriting,
            flags: 0,
            charge: Charge::default(),
        };
        self.preopens.push((entry, guest));
        self
    }

    /// Grants a listening TCP socket, which the guest sees as a preopened
    /// descriptor it can `sock_accept` on.
    pub fn preopened_listener(&mut self, l: TcpListener) -> &mut Self {
        let entry = Entry {
            kind: Kind::Listener(l),
            base: rights::SOCKET,
            inheriting: rights::SOCKET,
            flags: 0,
            charge: Charge::default(),
        };
        self.preopens.push((entry, String::new()));
        self
    }

    /// Logs at `debug` what the context grants: arguments, the names of
    /// the environment variables (not their values), the standard
    /// streams, clocks, randomness and each preopened descriptor.
    #[cold]
    fn log_grants(&self) {
        let stdio = |s: &Stdio| match s {
            Stdio::Inherit => "inherit",
            Stdio::Null => "null",
            Stdio::Buffer(_) => "buffer",
        };
        let env: Vec<&str> = self.env.iter().map(|(k, _)| k.as_str()).collect();
        let random = match self.random {
            RandomGrant::Denied => "denied".to_owned(),
            RandomGrant::Host => "host".to_owned(),
            RandomGrant::Seeded(seed) => format!("seeded({seed})"),
        };
        tracing::debug!(
            args = ?self.args,
            env = ?env,
            stdin = stdio(&self.stdio[0]),
            stdout = stdio(&self.stdio[1]),
            stderr = stdio(&self.stdio[2]),
            clocks = ?self.clocks,
            random,
            output_limit = ?self.output_limit,
            max_open_files = ?self.max_open,
            network = ?self.net,
            "WASI context"
        );
        for (fd, (entry, guest)) in (3..).zip(&self.preopens) {
            match &entry.kind {
                Kind::Dir(d) => tracing::debug!(
                    fd,
                    guest = %guest,
                    perms = ?d.perms,
                    file_perms = ?d.file_perms,
                    "preopened directory"
                ),
                Kind::Listener(l) => tracing::debug!(
                    fd,
                    local_addr = ?l.local_addr().ok(),
                    "preopened listening socket"
                ),
                _ => tracing::debug!(fd, "preopened descriptor"),
            }
        }
    }

    /// The context, or the first error met (a preopen that does not exist).
    pub fn build(&mut self) -> std::io::Result<WasiCtx> {
        if let Some(e) = self.error.take() {
            tracing::debug!(error = %e, "WASI context refused");
            return Err(e);
        }
        if tracing::enabled!(tracing::Level::DEBUG) {
            self.log_grants();
        }
        let mut fds = BTreeMap::new();
        for (i, s) in self.stdio.iter().enumerate() {
            fds.insert(
                i as u32,
                Entry {
                    kind: Kind::Stdio(i as u32, s.clone()),
                    base: rights::STREAM,
                    inheriting: 0,
                    flags: 0,
                    charge: Charge::default(),
                },
            );
        }
        for (n, (entry, _)) in (3..).zip(self.preopens.drain(..)) {
            fds.insert(n, entry);
        }
        Ok(WasiCtx {
            args: std::mem::take(&mut self.args),
            env: std::mem::take(&mut self.env),
            fds,
            clocks: self.clocks,
            random: match self.random {
                RandomGrant::Denied => Random::Denied,
                RandomGrant::Host => Random::Host,
                RandomGrant::Seeded(seed) => {
                    Random::Seeded(Box::new(ChaCha12Rng::seed_from_u64(seed)))
                }
            },
            output: Output {
                prefix: self.prefix.clone(),
                line_start: [true; 3],
                left: self.output_limit,
            },
            deadline: None,
            opened: Arc::new(AtomicUsize::new(0)),
            max_open: self.max_open,
            budget: self.budget.clone(),
            p2: Default::default(),
            net: self.net.clone(),
        })
    }
}
