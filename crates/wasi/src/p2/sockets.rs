//! `wasi:sockets`: TCP on real non-blocking host sockets, limited to
//! the addresses the context grants ([`crate::net`]), and name lookup
//! when granted. UDP answers `not-supported`.
//!
//! A `tcp-socket` follows the state machine of the WASI 0.2 WIT (as
//! wasmtime does): `start-bind`/`finish-bind`, `start-listen`/
//! `finish-listen` then `accept`, or `start-connect`/`finish-connect`;
//! a call in the wrong state answers `invalid-state`, `not-in-progress`
//! or `concurrency-conflict`, and a connect or accept that has not
//! happened yet `would-block`. Every bind and connect address is checked
//! against the grants before the host socket is touched
//! (`access-denied`), IPv6 sockets are IPv6-only and IPv4-mapped
//! addresses are refused (`invalid-argument`), so a grant cannot be
//! reached through the other family.
//!
//! Each socket (made or accepted) is charged to the context's
//! descriptor quota and shared budget like a preview1 descriptor
//! ([`crate::WasiCtxBuilder::max_open_files`], [`crate::FdBudget`]):
//! past them, `new-socket-limit`. A connection's streams are the
//! `wasi:io` input and output streams, sharing the host socket; the
//! output stream buffers at most one `check-write` permit
//! ([`PERMIT`]) on the host. Blocking calls (`blocking-read`,
//! `blocking-write-and-flush`, `blocking-flush`, `poll`, `block`) wait
//! at most until the context's deadline, then trap as interrupted.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rustix::event::{PollFd, PollFlags};
use rustix::io::Errno as E;
use rustix::net::{self as rnet, sockopt, AddressFamily, SocketFlags, SocketType};

use super::*;
use crate::ctx::Charge;
use crate::net::SocketAddrUse;

struct Network;
struct TcpSocket;
struct UdpSocket;
struct IncomingDatagramStream;
struct OutgoingDatagramStream;
struct ResolveAddressStream;

/// The bytes one `check-write` of a socket's output stream permits (and
/// so the most the host buffers for it).
pub const PERMIT: usize = 64 * 1024;

/// The most a guest may set a socket's kernel buffers to.
const MAX_BUFFER: usize = 16 << 20;

/// The most name lookups the process runs at once.
const MAX_LOOKUPS: usize = 4;

/// What a socket pollable waits for.
#[derive(Clone, Copy, Debug)]
pub(super) enum Want {
    /// Bytes to read (or the end, or an error).
    Read,
    /// Room to write: the host buffer empty, or the socket writable.
    Write,
    /// The socket writable (so a connect finished).
    Connect,
    /// A connection to accept.
    Accept,
}

/// A host socket, shared by a `tcp-socket` and its streams; closed (and
/// its charge given back) when the last of them is dropped.
#[derive(Debug)]
pub(super) struct Conn {
    fd: OwnedFd,
    /// Bytes written to the output stream that the socket has not taken
    /// yet (at most [`PERMIT`]).
    pending: Mutex<Vec<u8>>,
    #[allow(dead_code)] // held for its `Drop`
    charge: SocketCharge,
}

/// What one socket holds of the context's quotas: a descriptor
/// ([`Charge`]) and a place among its sockets; dropping it gives both
/// back.
#[derive(Debug)]
pub(super) struct SocketCharge {
    #[allow(dead_code)] // held for its `Drop`
    fd: Charge,
    sockets: Arc<AtomicUsize>,
}

impl Drop for SocketCharge {
    fn drop(&mut self) {
        self.sockets.fetch_sub(1, Ordering::AcqRel);
    }
}

fn failure(what: &str, e: E) -> Failure {
    (format!("{what}: {e}"), Some(Errno::from(e)))
}

fn interrupted() -> Error {
    trap(TrapCode::Interrupted)
}

impl Conn {
    fn new(fd: OwnedFd, charge: SocketCharge) -> Arc<Conn> {
        Arc::new(Conn {
            fd,
            pending: Mutex::new(Vec::new()),
            charge,
        })
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        // Nothing panics while holding it; a poisoned lock still holds
        // consistent bytes.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn poll_fd(&self, want: Want) -> PollFd<'_> {
        let events = match want {
            Want::Read | Want::Accept => PollFlags::IN,
            Want::Write | Want::Connect => PollFlags::OUT,
        };
        PollFd::new(&self.fd, events)
    }

    /// Whether the socket is ready for `want` now.
    pub(super) fn ready(&self, want: Want) -> bool {
        if matches!(want, Want::Write) && self.pending().is_empty() {
            return true;
        }
        let mut fds = [self.poll_fd(want)];
        matches!(rustix::event::poll(&mut fds, Some(&zero())), Ok(n) if n > 0)
    }

    /// Waits until the socket is ready for `want`, at most until
    /// `deadline` (then the interrupt trap).
    fn wait(&self, want: Want, deadline: Option<Instant>) -> Result<(), Error> {
        loop {
            let timeout = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(interrupted());
                    }
                    Some(rustix::event::Timespec {
                        tv_sec: left.as_secs().try_into().unwrap_or(i64::MAX),
                        tv_nsec: left.subsec_nanos().into(),
                    })
                }
                None => None,
            };
            let mut fds = [self.poll_fd(want)];
            match rustix::event::poll(&mut fds, timeout.as_ref()) {
                Ok(0) | Err(E::INTR) => {}
                Ok(_) => return Ok(()),
                Err(e) => return Err(trap_msg(&format!("poll: {e}"))),
            }
        }
    }

    /// Reads at most `len` (> 0) bytes: `Ok(None)` at the end, no bytes
    /// if none are there and not `blocking`.
    pub(super) fn recv(
        &self,
        len: usize,
        blocking: bool,
        deadline: Option<Instant>,
    ) -> Result<Result<Option<Vec<u8>>, Failure>, Error> {
        let mut buf = vec![0u8; len];
        loop {
            match rnet::recv(&self.fd, &mut buf[..], rnet::RecvFlags::DONTWAIT) {
                Ok((0, _)) => return Ok(Ok(None)),
                Ok((n, _)) => {
                    buf.truncate(n);
                    return Ok(Ok(Some(buf)));
                }
                Err(E::INTR) => {}
                Err(E::AGAIN) if blocking => self.wait(Want::Read, deadline)?,
                Err(E::AGAIN) => return Ok(Ok(Some(Vec::new()))),
                Err(e) => return Ok(Err(failure("read failed", e))),
            }
        }
    }

    /// Sends from `data` without waiting; the count sent.
    fn send_some(&self, data: &[u8]) -> Result<usize, E> {
        loop {
            match rnet::send(
                &self.fd,
                data,
                rnet::SendFlags::NOSIGNAL | rnet::SendFlags::DONTWAIT,
            ) {
                Ok(n) => return Ok(n),
                Err(E::INTR) => {}
                Err(E::AGAIN) => return Ok(0),
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends all of `data`, waiting (until the deadline) if `blocking`;
    /// the count sent.
    fn send_all(
        &self,
        data: &[u8],
        blocking: bool,
        deadline: Option<Instant>,
    ) -> Result<Result<usize, Failure>, Error> {
        let mut done = 0;
        while done < data.len() {
            match self.send_some(&data[done..]) {
                Ok(0) if blocking => self.wait(Want::Connect, deadline)?,
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) => return Ok(Err(failure("write failed", e))),
            }
        }
        Ok(Ok(done))
    }

    /// Sends what the host buffer holds (waiting, if `blocking`, until
    /// all is sent).
    pub(super) fn flush(
        &self,
        blocking: bool,
        deadline: Option<Instant>,
    ) -> Result<Result<(), Failure>, Error> {
        let mut pending = self.pending();
        if pending.is_empty() {
            return Ok(Ok(()));
        }
        let sent = self.send_all(&pending, blocking, deadline);
        Ok(match sent {
            Err(trap) => return Err(trap),
            Ok(Ok(n)) => {
                pending.drain(..n);
                Ok(())
            }
            Ok(Err(f)) => {
                pending.clear();
                Err(f)
            }
        })
    }

    /// What `check-write` permits: [`PERMIT`] once the host buffer is
    /// empty, else nothing.
    pub(super) fn check_write(&self) -> Result<usize, Failure> {
        match self.flush(false, None) {
            Ok(Ok(())) => {}
            Ok(Err(f)) => return Err(f),
            // A non-blocking flush never waits, so never traps.
            Err(_) => return Err(("write failed".into(), Some(Errno::Io))),
        }
        Ok(if self.pending().is_empty() { PERMIT } else { 0 })
    }

    /// `write` (`blocking`: `blocking-write-and-flush`).
    pub(super) fn send(
        &self,
        data: &[u8],
        blocking: bool,
        deadline: Option<Instant>,
    ) -> Result<Result<(), Failure>, Error> {
        if blocking {
            if let Err(f) = self.flush(true, deadline)? {
                return Ok(Err(f));
            }
            return Ok(self.send_all(data, true, deadline)?.map(|_| ()));
        }
        if let Err(f) = self.flush(false, None)? {
            return Ok(Err(f));
        }
        if data.len() > PERMIT || !self.pending().is_empty() {
            return Err(trap_msg(
                "output-stream.write: more than check-write permitted",
            ));
        }
        match self.send_all(data, false, None)? {
            Ok(n) => {
                self.pending().extend_from_slice(&data[n..]);
                Ok(Ok(()))
            }
            Err(f) => Ok(Err(f)),
        }
    }
}

/// A name lookup, run on a thread of its own (a resolver can take
/// long; the guest waits for it only through `poll`, under the
/// deadline).
#[derive(Debug, Default)]
pub(super) struct Lookup {
    result: Mutex<Option<Result<VecDeque<IpAddr>, &'static str>>>,
}

impl Lookup {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Result<VecDeque<IpAddr>, &'static str>>> {
        self.result.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn done(&self) -> bool {
        self.lock().is_some()
    }
}

/// Name lookups running in the process (each on a thread of its own):
/// at most [`MAX_LOOKUPS`], whatever the guests ask.
static LOOKUPS: AtomicUsize = AtomicUsize::new(0);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Default,
    BindStarted,
    Bound,
    ListenStarted,
    Listening,
    /// A connect under way; `Some`: one that already failed.
    Connecting(Option<E>),
    Connected,
    /// After a failed connect.
    Closed,
}

/// A `tcp-socket`.
#[derive(Debug)]
pub(super) struct Tcp {
    conn: Arc<Conn>,
    v6: bool,
    state: State,
    backlog: u32,
}

/// The `error-code` of a host error.
fn code(e: E) -> &'static str {
    match e {
        E::ACCESS | E::PERM => "access-denied",
        E::ADDRINUSE => "address-in-use",
        E::ADDRNOTAVAIL => "address-not-bindable",
        E::AFNOSUPPORT | E::OPNOTSUPP | E::NOPROTOOPT | E::PROTONOSUPPORT => "not-supported",
        E::ALREADY => "concurrency-conflict",
        E::CONNABORTED => "connection-aborted",
        E::CONNREFUSED => "connection-refused",
        E::CONNRESET | E::PIPE => "connection-reset",
        E::HOSTUNREACH | E::HOSTDOWN | E::NETUNREACH | E::NETDOWN | E::NETRESET => {
            "remote-unreachable"
        }
        E::INPROGRESS | E::AGAIN => "would-block",
        E::INVAL => "invalid-argument",
        E::ISCONN | E::NOTCONN => "invalid-state",
        E::MFILE | E::NFILE => "new-socket-limit",
        E::NOBUFS | E::NOMEM => "out-of-memory",
        E::TIMEDOUT => "timeout",
        _ => "unknown",
    }
}

/// The `error-code` of a stream failure's `errno`.
fn errno_code(e: Errno) -> &'static str {
    match e {
        Errno::Acces | Errno::Perm => "access-denied",
        Errno::Addrinuse => "address-in-use",
        Errno::Addrnotavail => "address-not-bindable",
        Errno::Again | Errno::Inprogress => "would-block",
        Errno::Connaborted => "connection-aborted",
        Errno::Connrefused => "connection-refused",
        Errno::Connreset | Errno::Pipe => "connection-reset",
        Errno::Inval => "invalid-argument",
        Errno::Notconn => "invalid-state",
        Errno::Mfile | Errno::Nfile => "new-socket-limit",
        Errno::Nomem => "out-of-memory",
        Errno::Timedout => "timeout",
        Errno::Notsup => "not-supported",
        _ => "unknown",
    }
}

fn fail(code: &str) -> Val {
    err(Val::Enum(code.into()))
}

fn not_supported() -> Val {
    fail("not-supported")
}

fn unit(r: Result<(), E>) -> Val {
    match r {
        Ok(()) => ok(None),
        Err(e) => fail(code(e)),
    }
}

fn field<'a>(fields: &'a [(String, Val)], name: &str) -> Result<&'a Val, Error> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .ok_or_else(|| trap_msg("malformed socket address"))
}

fn u16_of(v: &Val) -> Result<u16, Error> {
    match v {
        Val::U16(n) => Ok(*n),
        _ => Err(trap_msg("malformed socket address")),
    }
}

fn u32_of(v: &Val) -> Result<u32, Error> {
    match v {
        Val::U32(n) => Ok(*n),
        _ => Err(trap_msg("malformed socket address")),
    }
}

/// An `ip-socket-address` argument.
fn socket_addr(v: &Val) -> Result<SocketAddr, Error> {
    let bad = || trap_msg("malformed socket address");
    let Val::Variant(case, Some(payload)) = v else {
        return Err(bad());
    };
    let Val::Record(fields) = &**payload else {
        return Err(bad());
    };
    let port = u16_of(field(fields, "port")?)?;
    let Val::Tuple(parts) = field(fields, "address")? else {
        return Err(bad());
    };
    match case.as_str() {
        "ipv4" => {
            let mut o = [0u8; 4];
            if parts.len() != 4 {
                return Err(bad());
            }
            for (slot, p) in o.iter_mut().zip(parts) {
                let Val::U8(b) = p else { return Err(bad()) };
                *slot = *b;
            }
            Ok(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(o), port)))
        }
        "ipv6" => {
            let mut s = [0u16; 8];
            if parts.len() != 8 {
                return Err(bad());
            }
            for (slot, p) in s.iter_mut().zip(parts) {
                *slot = u16_of(p)?;
            }
            let flow = u32_of(field(fields, "flow-info")?)?;
            let scope = u32_of(field(fields, "scope-id")?)?;
            Ok(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(s),
                port,
                flow,
                scope,
            )))
        }
        _ => Err(bad()),
    }
}

fn ip_val(ip: IpAddr) -> Val {
    match ip {
        IpAddr::V4(a) => Val::Variant(
            "ipv4".into(),
            Some(Box::new(Val::Tuple(
                a.octets().iter().map(|&b| Val::U8(b)).collect(),
            ))),
        ),
        IpAddr::V6(a) => Val::Variant(
            "ipv6".into(),
            Some(Box::new(Val::Tuple(
                a.segments().iter().map(|&s| Val::U16(s)).collect(),
            ))),
        ),
    }
}

fn socket_addr_val(a: SocketAddr) -> Val {
    match a {
        SocketAddr::V4(a) => Val::Variant(
            "ipv4".into(),
            Some(Box::new(record(vec![
                ("port", Val::U16(a.port())),
                (
                    "address",
                    Val::Tuple(a.ip().octets().iter().map(|&b| Val::U8(b)).collect()),
                ),
            ]))),
        ),
        SocketAddr::V6(a) => Val::Variant(
            "ipv6".into(),
            Some(Box::new(record(vec![
                ("port", Val::U16(a.port())),
                ("flow-info", Val::U32(a.flowinfo())),
                (
                    "address",
                    Val::Tuple(a.ip().segments().iter().map(|&s| Val::U16(s)).collect()),
                ),
                ("scope-id", Val::U32(a.scope_id())),
            ]))),
        ),
    }
}

/// Checks an address a socket of family `v6` is to bind or connect to:
/// its family, no IPv4-mapped IPv6 addresses, unicast only.
fn check_addr(v6: bool, a: SocketAddr) -> Result<(), &'static str> {
    match a.ip() {
        IpAddr::V4(ip) => {
            if v6 || ip.is_multicast() || ip.is_broadcast() {
                return Err("invalid-argument");
            }
        }
        IpAddr::V6(ip) => {
            if !v6 || ip.to_ipv4_mapped().is_some() || ip.is_multicast() {
                return Err("invalid-argument");
            }
        }
    }
    Ok(())
}

impl<T: 'static> Cx<'_, T> {
    fn tcp(&mut self, v: &Val) -> Result<&mut Tcp, Error> {
        match self.table().get_mut(rep(v)?)? {
            Res::Tcp(t) => Ok(t),
            _ => Err(trap_msg("not a tcp-socket")),
        }
    }

    /// A new socket's charge, or the error code.
    fn socket_charge(&mut self) -> Result<SocketCharge, &'static str> {
        let max = self.ctx().net.max_sockets;
        let sockets = self.table().sockets.clone();
        if sockets
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .is_err()
        {
            return Err("new-socket-limit");
        }
        // Taken: given back on every way out from here.
        let mut charge = SocketCharge {
            fd: Charge::default(),
            sockets,
        };
        charge.fd = self.ctx().charge().map_err(|_| "new-socket-limit")?;
        Ok(charge)
    }

    /// The input and output streams of a connected socket.
    fn streams(&mut self, conn: &Arc<Conn>) -> Result<(Val, Val), Error> {
        let input = self.new_res::<InputStream>(Res::Input {
            src: Src::Tcp(conn.clone()),
            offset: 0,
            closed: false,
        })?;
        let output = self.new_res::<OutputStream>(Res::Output {
            dst: Dst::Tcp(conn.clone()),
            offset: 0,
            failed: false,
        })?;
        Ok((input, output))
    }
}

/// Defines every method in `methods` of the resource `res` as a trap
/// (no such resource can be made).
fn unreachable_methods<T: 'static>(
    i: &mut LinkerInstance<'_, T>,
    get: &Getter<T>,
    res: &str,
    methods: &[&str],
) -> Result<(), Error> {
    for m in methods {
        def(i, get, &format!("[method]{res}.{m}"), |_, _| {
            Err(trap_msg("wasi:sockets UDP is not supported"))
        })?;
    }
    Ok(())
}

pub(super) fn sockets<T: 'static>(linker: &mut Linker<T>, get: &Getter<T>) -> Result<(), Error> {
    let mut i = iface(linker, "wasi:sockets/network")?;
    i.resource("network", ResourceType::host::<Network>(), |_, _| Ok(()))?;
    def(&mut i, get, "network-error-code", |cx, a| {
        match cx.table().get(rep(a[0])?)? {
            Res::Error {
                errno: Some(e),
                net: true,
                ..
            } => Ok(some(Val::Enum(errno_code(*e).into()))),
            Res::Error { .. } => Ok(Val::Option(None)),
            _ => Err(trap_msg("not an error")),
        }
    })?;

    let mut i = iface(linker, "wasi:sockets/instance-network")?;
    def(&mut i, get, "instance-network", |_, _| {
        Ok(Val::Resource(ResourceAny::new_own(
            ResourceType::host::<Network>(),
            0,
        )))
    })?;

    let mut i = iface(linker, "wasi:sockets/udp-create-socket")?;
    def(&mut i, get, "create-udp-socket", |_, _| Ok(not_supported()))?;

    lookup(linker, get)?;
    tcp(linker, get)?;
    udp(linker, get)
}

fn lookup<T: 'static>(linker: &mut Linker<T>, get: &Getter<T>) -> Result<(), Error> {
    let mut i = iface(linker, "wasi:sockets/ip-name-lookup")?;
    i.resource(
        "resolve-address-stream",
        ResourceType::host::<ResolveAddressStream>(),
        dropper(get),
    )?;
    def(&mut i, get, "resolve-addresses", |cx, a| {
        let name = arg_str(a[1])?.to_string();
        if !cx.ctx().net.name_lookup {
            return Ok(fail("permanent-resolver-failure"));
        }
        let lookup = Arc::new(Lookup::default());
        let literal = name
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .unwrap_or(&name)
            .parse::<IpAddr>();
        if let Ok(ip) = literal {
            *lookup.lock() = Some(Ok(VecDeque::from([ip])));
        } else {
            let valid = !name.is_empty()
                && name.len() <= 253
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
            if !valid {
                return Ok(fail("invalid-argument"));
            }
            if LOOKUPS
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < MAX_LOOKUPS).then_some(n + 1)
                })
                .is_err()
            {
                return Ok(fail("temporary-resolver-failure"));
            }
            let l = lookup.clone();
            let spawned = std::thread::Builder::new()
                .name("wasi-name-lookup".into())
                .spawn(move || {
                    use std::net::ToSocketAddrs;
                    let r = match (name.as_str(), 0u16).to_socket_addrs() {
                        Ok(addrs) => {
                            let mut ips: VecDeque<IpAddr> = VecDeque::new();
                            for a in addrs {
                                if !ips.contains(&a.ip()) {
                                    ips.push_back(a.ip());
                                }
                            }
                            Ok(ips)
                        }
                        Err(_) => Err("name-unresolvable"),
                    };
                    *l.lock() = Some(r);
                    LOOKUPS.fetch_sub(1, Ordering::AcqRel);
                });
            if spawned.is_err() {
                LOOKUPS.fetch_sub(1, Ordering::AcqRel);
                return Ok(fail("temporary-resolver-failure"));
            }
        }
        let v = cx.new_res::<ResolveAddressStream>(Res::Lookup(lookup))?;
        Ok(ok(Some(v)))
    })?;
    def(
        &mut i,
        get,
        "[method]resolve-address-stream.resolve-next-address",
        |cx, a| {
            let Res::Lookup(l) = cx.table().get(rep(a[0])?)? else {
                return Err(trap_msg("not a resolve-address-stream"));
            };
            let mut r = l.lock();
            Ok(match &mut *r {
                None => fail("would-block"),
                Some(Ok(ips)) => ok(Some(Val::Option(
                    ips.pop_front().map(|ip| Box::new(ip_val(ip))),
                ))),
                Some(Err(code)) => {
                    let code = *code;
                    // Reported once; the stream then ends.
                    *r = Some(Ok(VecDeque::new()));
                    fail(code)
                }
            })
        },
    )?;
    def(
        &mut i,
        get,
        "[method]resolve-address-stream.subscribe",
        |cx, a| {
            let Res::Lookup(l) = cx.table().get(rep(a[0])?)? else {
                return Err(trap_msg("not a resolve-address-stream"));
            };
            let p = Ready::Lookup(l.clone());
            cx.new_res::<Pollable>(Res::Poll(p))
        },
    )?;
    Ok(())
}

fn tcp<T: 'static>(linker: &mut Linker<T>, get: &Getter<T>) -> Result<(), Error> {
    let mut i = iface(linker, "wasi:sockets/tcp-create-socket")?;
    def(&mut i, get, "create-tcp-socket", |cx, a| {
        let v6 = match a[0] {
            Val::Enum(f) if f == "ipv4" => false,
            Val::Enum(f) if f == "ipv6" => true,
            _ => return Err(trap_msg("expected an ip-address-family")),
        };
        if !cx.ctx().net.tcp {
            return Ok(fail("access-denied"));
        }
        let charge = match cx.socket_charge() {
            Ok(c) => c,
            Err(code) => return Ok(fail(code)),
        };
        let family = if v6 {
            AddressFamily::INET6
        } else {
            AddressFamily::INET
        };
        let fd = match rnet::socket_with(
            family,
            SocketType::STREAM,
            SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
            None,
        ) {
            Ok(fd) => fd,
            Err(e) => return Ok(fail(code(e))),
        };
        if v6 {
            // Never reach IPv4 (and its grants) through mapped addresses.
            if let Err(e) = sockopt::set_ipv6_v6only(&fd, true) {
                return Ok(fail(code(e)));
            }
        }
        let backlog = cx.ctx().net.max_backlog;
        let t = Tcp {
            conn: Conn::new(fd, charge),
            v6,
            state: State::Default,
            backlog,
        };
        let v = cx.new_res::<TcpSocket>(Res::Tcp(Box::new(t)))?;
        Ok(ok(Some(v)))
    })?;

    let mut i = iface(linker, "wasi:sockets/tcp")?;
    i.resource(
        "tcp-socket",
        ResourceType::host::<TcpSocket>(),
        dropper(get),
    )?;
    let m = |n: &str| format!("[method]tcp-socket.{n}");

    def(&mut i, get, &m("start-bind"), |cx, a| {
        let addr = socket_addr(a[2])?;
        let grants = cx.ctx().net.clone();
        let t = cx.tcp(a[0])?;
        // The grant first, as wasmtime: a guest without it learns nothing.
        if !grants.tcp || !grants.allows(addr, SocketAddrUse::TcpBind) {
            return Ok(fail("access-denied"));
        }
        if t.state != State::Default {
            return Ok(fail("invalid-state"));
        }
        if let Err(c) = check_addr(t.v6, addr) {
            return Ok(fail(c));
        }
        if addr.port() != 0 {
            // As wasmtime: a port in TIME_WAIT can be bound again.
            let _ = sockopt::set_socket_reuseaddr(&t.conn.fd, true);
        }
        match rnet::bind(&t.conn.fd, &addr) {
            Ok(()) => {
                t.state = State::BindStarted;
                Ok(ok(None))
            }
            Err(E::AFNOSUPPORT) => Ok(fail("invalid-argument")),
            Err(e) => Ok(fail(code(e))),
        }
    })?;
    def(&mut i, get, &m("finish-bind"), |cx, a| {
        let t = cx.tcp(a[0])?;
        if t.state != State::BindStarted {
            return Ok(fail("not-in-progress"));
        }
        t.state = State::Bound;
        Ok(ok(None))
    })?;

    def(&mut i, get, &m("start-connect"), |cx, a| {
        let addr = socket_addr(a[2])?;
        let grants = cx.ctx().net.clone();
        let t = cx.tcp(a[0])?;
        if !grants.tcp || !grants.allows(addr, SocketAddrUse::TcpConnect) {
            return Ok(fail("access-denied"));
        }
        match t.state {
            State::Default | State::Bound => {}
            State::Connecting(_) => return Ok(fail("concurrency-conflict")),
            _ => return Ok(fail("invalid-state")),
        }
        if let Err(c) = check_addr(t.v6, addr) {
            return Ok(fail(c));
        }
        if addr.ip().is_unspecified() || addr.port() == 0 {
            return Ok(fail("invalid-argument"));
        }
        let r = loop {
            match rnet::connect(&t.conn.fd, &addr) {
                Err(E::INTR) => {}
                r => break r,
            }
        };
        match r {
            Ok(()) | Err(E::INPROGRESS) => t.state = State::Connecting(None),
            Err(E::AFNOSUPPORT) => return Ok(fail("invalid-argument")),
            // Reported by finish-connect, as a connect that failed later.
            Err(e) => t.state = State::Connecting(Some(e)),
        }
        Ok(ok(None))
    })?;
    def(&mut i, get, &m("finish-connect"), |cx, a| {
        let t = cx.tcp(a[0])?;
        let State::Connecting(early) = t.state else {
            return Ok(fail("not-in-progress"));
        };
        if let Some(e) = early {
            t.state = State::Closed;
            return Ok(fail(code(e)));
        }
        if !t.conn.ready(Want::Connect) {
            return Ok(fail("would-block"));
        }
        match sockopt::socket_error(&t.conn.fd) {
            Ok(Ok(())) => {}
            Ok(Err(e)) | Err(e) => {
                t.state = State::Closed;
                return Ok(fail(code(e)));
            }
        }
        t.state = State::Connected;
        let conn = t.conn.clone();
        let (input, output) = cx.streams(&conn)?;
        Ok(ok(Some(Val::Tuple(vec![input, output]))))
    })?;

    def(&mut i, get, &m("start-listen"), |cx, a| {
        let t = cx.tcp(a[0])?;
        match t.state {
            State::Bound => {
                t.state = State::ListenStarted;
                Ok(ok(None))
            }
            State::ListenStarted => Ok(fail("concurrency-conflict")),
            _ => Ok(fail("invalid-state")),
        }
    })?;
    def(&mut i, get, &m("finish-listen"), |cx, a| {
        let t = cx.tcp(a[0])?;
        if t.state != State::ListenStarted {
            return Ok(fail("not-in-progress"));
        }
        let backlog = i32::try_from(t.backlog).unwrap_or(i32::MAX);
        match rnet::listen(&t.conn.fd, backlog) {
            Ok(()) => {
                t.state = State::Listening;
                Ok(ok(None))
            }
            Err(e) => {
                t.state = State::Closed;
                Ok(fail(code(e)))
            }
        }
    })?;
    def(&mut i, get, &m("accept"), |cx, a| {
        let (listener, v6, backlog) = {
            let t = cx.tcp(a[0])?;
            if t.state != State::Listening {
                return Ok(fail("invalid-state"));
            }
            (t.conn.clone(), t.v6, t.backlog)
        };
        if !listener.ready(Want::Accept) {
            return Ok(fail("would-block"));
        }
        let charge = match cx.socket_charge() {
            Ok(c) => c,
            Err(code) => return Ok(fail(code)),
        };
        let fd = loop {
            match rnet::accept_with(&listener.fd, SocketFlags::NONBLOCK | SocketFlags::CLOEXEC) {
                Err(E::INTR) => {}
                Ok(fd) => break fd,
                Err(e) => return Ok(fail(code(e))),
            }
        };
        let conn = Conn::new(fd, charge);
        let (input, output) = cx.streams(&conn)?;
        let t = Tcp {
            conn,
            v6,
            state: State::Connected,
            backlog,
        };
        let sock = cx.new_res::<TcpSocket>(Res::Tcp(Box::new(t)))?;
        Ok(ok(Some(Val::Tuple(vec![sock, input, output]))))
    })?;

    def(&mut i, get, &m("local-address"), |cx, a| {
        let t = cx.tcp(a[0])?;
        match t.state {
            State::Default | State::Closed => return Ok(fail("invalid-state")),
            State::BindStarted => return Ok(fail("concurrency-conflict")),
            _ => {}
        }
        Ok(
            match rnet::getsockname(&t.conn.fd).map(SocketAddr::try_from) {
                Ok(Ok(addr)) => ok(Some(socket_addr_val(addr))),
                Ok(Err(_)) => fail("unknown"),
                Err(e) => fail(code(e)),
            },
        )
    })?;
    def(&mut i, get, &m("remote-address"), |cx, a| {
        let t = cx.tcp(a[0])?;
        match t.state {
            State::Connected => {}
            State::Connecting(_) => return Ok(fail("concurrency-conflict")),
            _ => return Ok(fail("invalid-state")),
        }
        Ok(match rnet::getpeername(&t.conn.fd) {
            Ok(Some(addr)) => match SocketAddr::try_from(addr) {
                Ok(addr) => ok(Some(socket_addr_val(addr))),
                Err(_) => fail("unknown"),
            },
            Ok(None) => fail("invalid-state"),
            Err(e) => fail(code(e)),
        })
    })?;
    def(&mut i, get, &m("is-listening"), |cx, a| {
        Ok(Val::Bool(cx.tcp(a[0])?.state == State::Listening))
    })?;
    def(&mut i, get, &m("address-family"), |cx, a| {
        let v6 = cx.tcp(a[0])?.v6;
        Ok(Val::Enum(if v6 { "ipv6" } else { "ipv4" }.into()))
    })?;
    def(&mut i, get, &m("set-listen-backlog-size"), |cx, a| {
        let value = arg_u64(a[1])?;
        let max = cx.ctx().net.max_backlog;
        let t = cx.tcp(a[0])?;
        if value == 0 {
            return Ok(fail("invalid-argument"));
        }
        let value = u32::try_from(value).unwrap_or(u32::MAX).min(max);
        match t.state {
            State::Default | State::BindStarted | State::Bound | State::ListenStarted => {}
            State::Listening => {
                let backlog = i32::try_from(value).unwrap_or(i32::MAX);
                if let Err(e) = rnet::listen(&t.conn.fd, backlog) {
                    return Ok(fail(code(e)));
                }
            }
            _ => return Ok(fail("invalid-state")),
        }
        t.backlog = value;
        Ok(ok(None))
    })?;

    def(&mut i, get, &m("keep-alive-enabled"), |cx, a| {
        let t = cx.tcp(a[0])?;
        Ok(match sockopt::socket_keepalive(&t.conn.fd) {
            Ok(b) => ok(Some(Val::Bool(b))),
            Err(e) => fail(code(e)),
        })
    })?;
    def(&mut i, get, &m("set-keep-alive-enabled"), |cx, a| {
        let on = matches!(a[1], Val::Bool(true));
        let t = cx.tcp(a[0])?;
        Ok(unit(sockopt::set_socket_keepalive(&t.conn.fd, on)))
    })?;
    // Seconds in the kernel: a duration rounds up to whole seconds,
    // within what Linux takes.
    fn secs(ns: u64, max: u64) -> Duration {
        Duration::from_secs(ns.div_ceil(1_000_000_000).clamp(1, max))
    }
    fn dur(r: Result<Duration, E>) -> Val {
        match r {
            Ok(d) => ok(Some(Val::U64(
                u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
            ))),
            Err(e) => fail(code(e)),
        }
    }
    def(&mut i, get, &m("keep-alive-idle-time"), |cx, a| {
        Ok(dur(sockopt::tcp_keepidle(&cx.tcp(a[0])?.conn.fd)))
    })?;
    def(&mut i, get, &m("set-keep-alive-idle-time"), |cx, a| {
        let ns = arg_u64(a[1])?;
        if ns == 0 {
            return Ok(fail("invalid-argument"));
        }
        let t = cx.tcp(a[0])?;
        Ok(unit(sockopt::set_tcp_keepidle(&t.conn.fd, secs(ns, 32767))))
    })?;
    def(&mut i, get, &m("keep-alive-interval"), |cx, a| {
        Ok(dur(sockopt::tcp_keepintvl(&cx.tcp(a[0])?.conn.fd)))
    })?;
    def(&mut i, get, &m("set-keep-alive-interval"), |cx, a| {
        let ns = arg_u64(a[1])?;
        if ns == 0 {
            return Ok(fail("invalid-argument"));
        }
        let t = cx.tcp(a[0])?;
        Ok(unit(sockopt::set_tcp_keepintvl(
            &t.conn.fd,
            secs(ns, 32767),
        )))
    })?;
    def(&mut i, get, &m("keep-alive-count"), |cx, a| {
        let t = cx.tcp(a[0])?;
        Ok(match sockopt::tcp_keepcnt(&t.conn.fd) {
            Ok(n) => ok(Some(Val::U32(n))),
            Err(e) => fail(code(e)),
        })
    })?;
    def(&mut i, get, &m("set-keep-alive-count"), |cx, a| {
        let n = match a[1] {
            Val::U32(n) => *n,
            _ => return Err(trap_msg("expected a u32")),
        };
        if n == 0 {
            return Ok(fail("invalid-argument"));
        }
        let t = cx.tcp(a[0])?;
        Ok(unit(sockopt::set_tcp_keepcnt(&t.conn.fd, n.min(127))))
    })?;
    def(&mut i, get, &m("hop-limit"), |cx, a| {
        let t = cx.tcp(a[0])?;
        let r = if t.v6 {
            sockopt::ipv6_unicast_hops(&t.conn.fd)
        } else {
            sockopt::ip_ttl(&t.conn.fd).map(|n| u8::try_from(n).unwrap_or(u8::MAX))
        };
        Ok(match r {
            Ok(n) => ok(Some(Val::U8(n))),
            Err(e) => fail(code(e)),
        })
    })?;
    def(&mut i, get, &m("set-hop-limit"), |cx, a| {
        let n = match a[1] {
            Val::U8(n) => *n,
            _ => return Err(trap_msg("expected a u8")),
        };
        if n == 0 {
            return Ok(fail("invalid-argument"));
        }
        let t = cx.tcp(a[0])?;
        Ok(unit(if t.v6 {
            sockopt::set_ipv6_unicast_hops(&t.conn.fd, Some(n))
        } else {
            sockopt::set_ip_ttl(&t.conn.fd, n.into())
        }))
    })?;
    for (get_name, set_name, recv) in [
        ("receive-buffer-size", "set-receive-buffer-size", true),
        ("send-buffer-size", "set-send-buffer-size", false),
    ] {
        def(&mut i, get, &m(get_name), move |cx, a| {
            let t = cx.tcp(a[0])?;
            let r = if recv {
                sockopt::socket_recv_buffer_size(&t.conn.fd)
            } else {
                sockopt::socket_send_buffer_size(&t.conn.fd)
            };
            Ok(match r {
                Ok(n) => ok(Some(Val::U64(n as u64))),
                Err(e) => fail(code(e)),
            })
        })?;
        def(&mut i, get, &m(set_name), move |cx, a| {
            let n = arg_u64(a[1])?;
            if n == 0 {
                return Ok(fail("invalid-argument"));
            }
            let n = usize::try_from(n).unwrap_or(usize::MAX).min(MAX_BUFFER);
            let t = cx.tcp(a[0])?;
            Ok(unit(if recv {
                sockopt::set_socket_recv_buffer_size(&t.conn.fd, n)
            } else {
                sockopt::set_socket_send_buffer_size(&t.conn.fd, n)
            }))
        })?;
    }
    def(&mut i, get, &m("subscribe"), |cx, a| {
        let t = cx.tcp(a[0])?;
        let p = match t.state {
            State::Connecting(None) => Ready::Sock(t.conn.clone(), Want::Connect),
            State::Listening => Ready::Sock(t.conn.clone(), Want::Accept),
            _ => Ready::Now,
        };
        cx.new_res::<Pollable>(Res::Poll(p))
    })?;
    def(&mut i, get, &m("shutdown"), |cx, a| {
        let how = match a[1] {
            Val::Enum(s) if s == "receive" => rnet::Shutdown::Read,
            Val::Enum(s) if s == "send" => rnet::Shutdown::Write,
            Val::Enum(s) if s == "both" => rnet::Shutdown::Both,
            _ => return Err(trap_msg("expected a shutdown-type")),
        };
        let t = cx.tcp(a[0])?;
        if t.state != State::Connected {
            return Ok(fail("invalid-state"));
        }
        Ok(unit(rnet::shutdown(&t.conn.fd, how)))
    })?;
    Ok(())
}

fn udp<T: 'static>(linker: &mut Linker<T>, get: &Getter<T>) -> Result<(), Error> {
    let mut i = iface(linker, "wasi:sockets/udp")?;
    i.resource("udp-socket", ResourceType::host::<UdpSocket>(), |_, _| {
        Ok(())
    })?;
    i.resource(
        "incoming-datagram-stream",
        ResourceType::host::<IncomingDatagramStream>(),
        |_, _| Ok(()),
    )?;
    i.resource(
        "outgoing-datagram-stream",
        ResourceType::host::<OutgoingDatagramStream>(),
        |_, _| Ok(()),
    )?;
    unreachable_methods(
        &mut i,
        get,
        "udp-socket",
        &[
            "start-bind",
            "finish-bind",
            "stream",
            "local-address",
            "remote-address",
            "address-family",
            "unicast-hop-limit",
            "set-unicast-hop-limit",
            "receive-buffer-size",
            "set-receive-buffer-size",
            "send-buffer-size",
            "set-send-buffer-size",
            "subscribe",
        ],
    )?;
    unreachable_methods(
        &mut i,
        get,
        "incoming-datagram-stream",
        &["receive", "subscribe"],
    )?;
    unreachable_methods(
        &mut i,
        get,
        "outgoing-datagram-stream",
        &["check-send", "send", "subscribe"],
    )?;
    Ok(())
}
