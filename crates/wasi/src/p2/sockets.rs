//! `wasi:sockets`: not supported. Every way to make a socket or resolve
//! a name answers the error code `not-supported`, so a guest that
//! imports the interfaces links and runs, and learns that it has no
//! network (the preview1 context's sockets are preopened listeners, a
//! grant WASI 0.2 has no way to name). `instance-network` gives a
//! `network` handle that grants nothing; no socket or resolver resource
//! can ever exist, so their methods are defined only to link (calling one
//! with a forged handle traps in the component runtime first).

use super::*;

struct Network;
struct TcpSocket;
struct UdpSocket;
struct IncomingDatagramStream;
struct OutgoingDatagramStream;
struct ResolveAddressStream;

fn not_supported() -> Val {
    err(Val::Enum("not-supported".into()))
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
            Err(trap_msg("wasi:sockets is not supported"))
        })?;
    }
    Ok(())
}

pub(super) fn sockets<T: 'static>(linker: &mut Linker<T>, get: &Getter<T>) -> Result<(), Error> {
    let mut i = iface(linker, "wasi:sockets/network")?;
    i.resource("network", ResourceType::host::<Network>(), |_, _| Ok(()))?;
    def(&mut i, get, "network-error-code", |_, _| {
        Ok(Val::Option(None))
    })?;

    let mut i = iface(linker, "wasi:sockets/instance-network")?;
    def(&mut i, get, "instance-network", |_, _| {
        Ok(Val::Resource(ResourceAny::new_own(
            ResourceType::host::<Network>(),
            0,
        )))
    })?;

    let mut i = iface(linker, "wasi:sockets/tcp-create-socket")?;
    def(&mut i, get, "create-tcp-socket", |_, _| Ok(not_supported()))?;
    let mut i = iface(linker, "wasi:sockets/udp-create-socket")?;
    def(&mut i, get, "create-udp-socket", |_, _| Ok(not_supported()))?;

    let mut i = iface(linker, "wasi:sockets/ip-name-lookup")?;
    i.resource(
        "resolve-address-stream",
        ResourceType::host::<ResolveAddressStream>(),
        |_, _| Ok(()),
    )?;
    def(&mut i, get, "resolve-addresses", |_, _| Ok(not_supported()))?;
    unreachable_methods(
        &mut i,
        get,
        "resolve-address-stream",
        &["resolve-next-address", "subscribe"],
    )?;

    let mut i = iface(linker, "wasi:sockets/tcp")?;
    i.resource("tcp-socket", ResourceType::host::<TcpSocket>(), |_, _| {
        Ok(())
    })?;
    unreachable_methods(
        &mut i,
        get,
        "tcp-socket",
        &[
            "start-bind",
            "finish-bind",
            "start-connect",
            "finish-connect",
            "start-listen",
            "finish-listen",
            "accept",
            "local-address",
            "remote-address",
            "is-listening",
            "address-family",
            "set-listen-backlog-size",
            "keep-alive-enabled",
            "set-keep-alive-enabled",
            "keep-alive-idle-time",
            "set-keep-alive-idle-time",
            "keep-alive-interval",
            "set-keep-alive-interval",
            "keep-alive-count",
            "set-keep-alive-count",
            "hop-limit",
            "set-hop-limit",
            "receive-buffer-size",
            "set-receive-buffer-size",
            "send-buffer-size",
            "set-send-buffer-size",
            "subscribe",
            "shutdown",
        ],
    )?;

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
