//! Network grants of a [`WasiCtx`](crate::WasiCtx) (`wasi:sockets`):
//! which addresses a guest may bind and connect to, whether it may make
//! TCP sockets at all and resolve names.
//!
//! Nothing is granted by default: every bind and connect answers
//! `access-denied`. A grant is one of
//!
//! - [`WasiCtxBuilder::inherit_network`](crate::WasiCtxBuilder::inherit_network):
//!   every address, for every use;
//! - [`WasiCtxBuilder::allow_tcp_connect`](crate::WasiCtxBuilder::allow_tcp_connect)
//!   and [`WasiCtxBuilder::allow_tcp_bind`](crate::WasiCtxBuilder::allow_tcp_bind):
//!   addresses matching an [`AddrGrant`] (an address or CIDR block and a
//!   port or any port);
//! - [`WasiCtxBuilder::socket_addr_check`](crate::WasiCtxBuilder::socket_addr_check):
//!   the embedder's own predicate, as wasmtime's.
//!
//! An address is allowed if any grant allows it. IPv6 sockets are
//! IPv6-only and IPv4-mapped IPv6 addresses are refused, so a grant of
//! IPv4 addresses is never reached through IPv6 and the other way round.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

/// What a guest wants to do with a socket address, for
/// [`WasiCtxBuilder::socket_addr_check`](crate::WasiCtxBuilder::socket_addr_check).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketAddrUse {
    /// Bind a TCP socket to it (`start-bind`).
    TcpBind,
    /// Connect a TCP socket to it (`start-connect`).
    TcpConnect,
    /// Bind a UDP socket to it.
    UdpBind,
    /// Connect a UDP socket to it.
    UdpConnect,
    /// Send a UDP datagram to it.
    UdpOutgoingDatagram,
}

/// A set of socket addresses: an IP address or CIDR block, and one port
/// or every port. Written `ADDR:PORT`, `ADDR/PREFIX:PORT`, with `*` for
/// any port and IPv6 in brackets: `127.0.0.1:8080`, `10.0.0.0/8:443`,
/// `[::1]:*`, `[fd00::/8]:80`, `0.0.0.0/0:*` (every IPv4 address). Port
/// `0` (bind to a port the system picks) is a port like the others: a
/// bind grant of `127.0.0.1:0` allows only that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddrGrant {
    ip: IpAddr,
    prefix: u8,
    port: Option<u16>,
}

impl AddrGrant {
    /// The addresses of the block `ip/prefix` with `port` (`None`: any).
    /// `None` if the prefix is longer than the address.
    pub fn new(ip: IpAddr, prefix: u8, port: Option<u16>) -> Option<AddrGrant> {
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        (prefix <= bits).then_some(AddrGrant { ip, prefix, port })
    }

    /// Exactly `addr`.
    pub fn exact(addr: SocketAddr) -> AddrGrant {
        let prefix = if addr.is_ipv4() { 32 } else { 128 };
        AddrGrant {
            ip: addr.ip(),
            prefix,
            port: Some(addr.port()),
        }
    }

    /// Whether every address of `self` is one of `other`'s: the same
    /// family, a block inside `other`'s, and `other`'s port (or any port
    /// when `other` allows any).
    pub fn within(&self, other: &AddrGrant) -> bool {
        let port_ok = match (self.port, other.port) {
            (_, None) => true,
            (Some(a), Some(b)) => a == b,
            (None, Some(_)) => false,
        };
        let ip_ok = match (self.ip, other.ip) {
            (IpAddr::V4(a), IpAddr::V4(net)) => prefix_eq(&net.octets(), &a.octets(), other.prefix),
            (IpAddr::V6(a), IpAddr::V6(net)) => prefix_eq(&net.octets(), &a.octets(), other.prefix),
            _ => false,
        };
        port_ok && ip_ok && other.prefix <= self.prefix
    }

    /// Whether `addr` is one of these.
    pub fn matches(&self, addr: SocketAddr) -> bool {
        if self.port.is_some_and(|p| p != addr.port()) {
            return false;
        }
        match (self.ip, addr.ip()) {
            (IpAddr::V4(net), IpAddr::V4(a)) => prefix_eq(&net.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(net), IpAddr::V6(a)) => prefix_eq(&net.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if a[..full] != b[..full] {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    a[full] & mask == b[full] & mask
}

impl fmt::Display for AddrGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let full = if self.ip.is_ipv4() { 32 } else { 128 };
        let net = if self.prefix == full {
            self.ip.to_string()
        } else {
            format!("{}/{}", self.ip, self.prefix)
        };
        let net = if self.ip.is_ipv6() {
            format!("[{net}]")
        } else {
            net
        };
        match self.port {
            Some(p) => write!(f, "{net}:{p}"),
            None => write!(f, "{net}:*"),
        }
    }
}

/// Why an [`AddrGrant`] did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrGrantError(String);

impl fmt::Display for AddrGrantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AddrGrantError {}

impl FromStr for AddrGrant {
    type Err = AddrGrantError;

    fn from_str(s: &str) -> Result<AddrGrant, AddrGrantError> {
        let bad = |why: &str| AddrGrantError(format!("bad address grant `{s}`: {why}"));
        let (net, port) = s
            .rsplit_once(':')
            .ok_or_else(|| bad("expected ADDR:PORT, ADDR/PREFIX:PORT or [IPV6]:PORT"))?;
        let port = match port {
            "*" => None,
            p => Some(
                p.parse::<u16>()
                    .map_err(|_| bad("the port is not 0..65535 or *"))?,
            ),
        };
        let net = match net.strip_prefix('[') {
            Some(v6) => v6
                .strip_suffix(']')
                .ok_or_else(|| bad("an IPv6 address is written in brackets"))?,
            None if net.contains(':') => {
                return Err(bad("an IPv6 address is written in brackets"));
            }
            None => net,
        };
        let (ip, prefix) = match net.split_once('/') {
            Some((ip, p)) => (ip, Some(p)),
            None => (net, None),
        };
        let ip: IpAddr = ip
            .parse()
            .map_err(|_| bad("not an IP address (host names are resolved by the caller)"))?;
        let full = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => full,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|&p| p <= full)
                .ok_or_else(|| bad("the prefix length is too long for the address"))?,
        };
        Ok(AddrGrant { ip, prefix, port })
    }
}

/// An embedder's predicate over socket addresses.
pub(crate) type AddrCheck = Arc<dyn Fn(SocketAddr, SocketAddrUse) -> bool + Send + Sync>;

/// What a context grants of the network.
#[derive(Clone)]
pub(crate) struct NetGrants {
    /// Every address, for every use.
    pub(crate) inherit: bool,
    /// TCP sockets may be made (`wasi:sockets/tcp-create-socket`).
    pub(crate) tcp: bool,
    /// Names may be resolved (`wasi:sockets/ip-name-lookup`).
    pub(crate) name_lookup: bool,
    pub(crate) tcp_connect: Vec<AddrGrant>,
    pub(crate) tcp_bind: Vec<AddrGrant>,
    pub(crate) check: Option<AddrCheck>,
    /// The most connections a listening socket queues (the guest's
    /// `set-listen-backlog-size` is capped to it).
    pub(crate) max_backlog: u32,
    /// The most sockets the guest holds at once.
    pub(crate) max_sockets: usize,
}

impl Default for NetGrants {
    fn default() -> NetGrants {
        NetGrants {
            inherit: false,
            tcp: true,
            name_lookup: false,
            tcp_connect: Vec::new(),
            tcp_bind: Vec::new(),
            check: None,
            max_backlog: DEFAULT_MAX_BACKLOG,
            max_sockets: DEFAULT_MAX_SOCKETS,
        }
    }
}

/// The default cap of listen backlogs.
pub const DEFAULT_MAX_BACKLOG: u32 = 128;

/// The default of the most sockets a guest holds at once.
pub const DEFAULT_MAX_SOCKETS: usize = 1024;

impl NetGrants {
    /// Whether the guest may use `addr` for `what`.
    pub(crate) fn allows(&self, addr: SocketAddr, what: SocketAddrUse) -> bool {
        if self.inherit {
            return true;
        }
        let list = match what {
            SocketAddrUse::TcpConnect => &self.tcp_connect[..],
            SocketAddrUse::TcpBind => &self.tcp_bind[..],
            _ => &[],
        };
        list.iter().any(|g| g.matches(addr)) || self.check.as_ref().is_some_and(|c| c(addr, what))
    }
}

impl fmt::Debug for NetGrants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |l: &[AddrGrant]| l.iter().map(|g| g.to_string()).collect::<Vec<_>>();
        f.debug_struct("NetGrants")
            .field("inherit", &self.inherit)
            .field("tcp", &self.tcp)
            .field("name_lookup", &self.name_lookup)
            .field("tcp_connect", &list(&self.tcp_connect))
            .field("tcp_bind", &list(&self.tcp_bind))
            .field("check", &self.check.is_some())
            .field("max_backlog", &self.max_backlog)
            .field("max_sockets", &self.max_sockets)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_parse_and_match() {
        let g: AddrGrant = "127.0.0.1:8080".parse().unwrap();
        assert!(g.matches("127.0.0.1:8080".parse().unwrap()));
        assert!(!g.matches("127.0.0.1:8081".parse().unwrap()));
        assert!(!g.matches("127.0.0.2:8080".parse().unwrap()));
        let g: AddrGrant = "10.0.0.0/8:*".parse().unwrap();
        assert!(g.matches("10.200.3.4:1".parse().unwrap()));
        assert!(!g.matches("11.0.0.1:1".parse().unwrap()));
        assert!(!g.matches("[::ffff:10.0.0.1]:1".parse().unwrap()));
        let g: AddrGrant = "[fd00::/8]:80".parse().unwrap();
        assert!(g.matches("[fd12::1]:80".parse().unwrap()));
        assert!(!g.matches("[fe12::1]:80".parse().unwrap()));
        let g: AddrGrant = "192.168.1.0/23:*".parse().unwrap();
        assert!(g.matches("192.168.0.9:5".parse().unwrap()));
        assert!(!g.matches("192.168.2.9:5".parse().unwrap()));
        assert_eq!(g.to_string(), "192.168.1.0/23:*");
        assert_eq!(
            "[::1]:0".parse::<AddrGrant>().unwrap().to_string(),
            "[::1]:0"
        );
        let within = |a: &str, b: &str| {
            a.parse::<AddrGrant>()
                .unwrap()
                .within(&b.parse::<AddrGrant>().unwrap())
        };
        assert!(within("10.1.2.3:80", "10.0.0.0/8:*"));
        assert!(within("10.1.0.0/16:80", "10.0.0.0/8:80"));
        assert!(within("10.0.0.0/8:80", "10.0.0.0/8:*"));
        assert!(!within("10.0.0.0/8:*", "10.0.0.0/8:80"));
        assert!(!within("10.0.0.0/7:80", "10.0.0.0/8:80"));
        assert!(!within("11.0.0.1:80", "10.0.0.0/8:*"));
        assert!(!within("[::1]:80", "0.0.0.0/0:*"));
        assert!(within("[::1]:80", "[::/0]:*"));
        for bad in [
            "127.0.0.1",
            "::1:80",
            "1.2.3.4/33:1",
            "host:80",
            "1.2.3.4:70000",
            "[::1:80",
        ] {
            assert!(bad.parse::<AddrGrant>().is_err(), "{bad}");
        }
    }
}
