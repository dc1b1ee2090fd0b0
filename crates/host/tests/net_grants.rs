//! Network grants of nanoprocesses (`net = { ... }` in the manifest):
//! component processes running the `wasi:sockets` guest
//! `tests/components/bin/network/p2_tcp.wasm` (`tests/components/src/p2_tcp.c`),
//! each with its own grants, in one system.
//!
//! The guest reports what it got on its stdout, which a manifest can only
//! send to the host's: the scenario runs in a child process of this test
//! binary (this same test, with `NANOWASM_NET_GRANTS_CHILD` set), and the
//! parent reads what it printed.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use nanowasm_host::{HostError, Manifest, NetGrant, System};

const CHILD: &str = "NANOWASM_NET_GRANTS_CHILD";

fn guest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/components/bin/network/p2_tcp.wasm")
}

/// An echo server on 127.0.0.1: each connection gets back what it sends,
/// until it shuts down its side. Counts the connections and the bytes.
fn echo_server() -> (u16, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (conns, bytes) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (c, b) = (conns.clone(), bytes.clone());
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            c.fetch_add(1, Ordering::SeqCst);
            let b = b.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                loop {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            b.fetch_add(n, Ordering::SeqCst);
                            if s.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
    (port, conns, bytes)
}

fn manifest(port: u16) -> String {
    let wasm = guest();
    let wasm = wasm.display();
    format!(
        r#"
# Never run: bounds what its children may be granted.
[[process]]
name = "gateway"
module = "{wasm}"
net = {{ tcp_connect = ["127.0.0.0/8:*", "10.0.0.0/8:*"] }}

# Granted its server's address: connects and echoes.
[[process]]
name = "client"
parent = "gateway"
module = "{wasm}"
args = ["p2_tcp", "echo", "{port}"]
stdout = {{ prefix = "[client] " }}
net = {{ tcp_connect = ["127.0.0.1:{port}", "10.0.0.0/8:*"] }}

# No `net`: no sockets at all.
[[process]]
name = "stranger"
module = "{wasm}"
args = ["p2_tcp", "denied", "{port}"]
stdout = {{ prefix = "[stranger] " }}

# Granted other addresses only, and binding at a port the system picks.
[[process]]
name = "binder"
module = "{wasm}"
args = ["p2_tcp", "denied", "{port}"]
stdout = {{ prefix = "[binder] " }}
net = {{ tcp_connect = ["10.0.0.0/8:*", "127.0.0.1:{other}"], tcp_bind = ["127.0.0.1:0"] }}

# A narrower grant and a socket quota.
[[process]]
name = "few"
parent = "gateway"
module = "{wasm}"
args = ["p2_tcp", "limit"]
stdout = {{ prefix = "[few] " }}
net = {{ tcp_connect = ["127.0.0.1:{port}"], max_sockets = 3 }}
"#,
        other = port.wrapping_add(1).max(1),
    )
}

/// The scenario, in the child process: its guests print to its stdout.
fn scenario() {
    let (port, conns, bytes) = echo_server();
    let m = Manifest::parse(&manifest(port), Path::new(".")).unwrap();
    let sys = System::new(&m).unwrap();
    sys.run_process("client", "_start").unwrap();
    // A restart builds its WASI context from the grants again.
    sys.restart("client").unwrap();
    sys.run_process("client", "_start").unwrap();
    // The guest traps when it cannot make a socket.
    let e = sys.run_process("stranger", "_start").unwrap_err();
    println!("stranger ended: {e}");
    sys.run_process("binder", "_start").unwrap();
    sys.run_process("few", "_start").unwrap();
    std::io::stdout().flush().unwrap();
    // Only the client's two runs reached the server, with all they sent.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while bytes.load(Ordering::SeqCst) < 2 * (12 + 200_000) && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(conns.load(Ordering::SeqCst), 2);
    assert_eq!(bytes.load(Ordering::SeqCst), 2 * (12 + 200_000));
}

#[test]
fn each_process_gets_the_network_its_manifest_grants() {
    if std::env::var_os(CHILD).is_some() {
        return scenario();
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "each_process_gets_the_network_its_manifest_grants",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let show = format!(
        "status {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{show}");
    let lines = |prefix: &str| -> Vec<&str> {
        stdout
            .lines()
            // The harness's "test ... " may start the first line.
            .filter_map(|l| l.split_once(prefix).map(|(_, rest)| rest))
            .collect()
    };
    let client = lines("[client] ");
    let one_run = [
        "connect: ok",
        "remote=127.0.0.1 port_ok=1",
        "local=127.0.0.1 port_nonzero=1",
        "finish-connect again: error=not-in-progress",
        "start-connect again: error=invalid-state",
        "start-listen when connected: error=invalid-state",
        "echo1=hello, echo",
        "big: sent=200000 received=200000 match=1 writes>1=1",
        "shutdown send: ok",
        "read to end: closed=1",
        "write after shutdown: failed",
    ];
    assert_eq!(client, [one_run, one_run].concat(), "{show}");
    assert_eq!(
        lines("[stranger] "),
        ["create-tcp-socket: error=access-denied"],
        "{show}"
    );
    assert!(stdout.contains("stranger ended: "), "{show}");
    assert_eq!(
        lines("[binder] "),
        [
            "start-connect: error=access-denied",
            "start-bind: ok",
            "start-connect ::ffff:127.0.0.1: error=access-denied",
        ],
        "{show}"
    );
    assert_eq!(
        lines("[few] "),
        ["created=3 error=new-socket-limit", "after a drop: ok"],
        "{show}"
    );
}

fn manifest_error(text: &str) -> String {
    match Manifest::parse(text, Path::new(".")) {
        Err(HostError::Manifest(m)) => m,
        Err(e) => panic!("not a manifest error: {e}"),
        Ok(_) => panic!("accepted:\n{text}"),
    }
}

fn process(name: &str, extra: &str) -> String {
    format!("[[process]]\nname = \"{name}\"\nmodule = \"x.wasm\"\n{extra}\n")
}

#[test]
fn bad_network_grants_are_manifest_errors() {
    for (net, says) in [
        (r#"net = { tcp_connect = ["127.0.0.1"] }"#, "`127.0.0.1`"),
        (
            r#"net = { tcp_connect = ["example.com:80"] }"#,
            "`example.com:80`",
        ),
        (r#"net = { tcp_bind = ["::1:80"] }"#, "`::1:80`"),
        (
            r#"net = { tcp_bind = ["10.0.0.0/33:*"] }"#,
            "`10.0.0.0/33:*`",
        ),
        (
            r#"net = { tcp_connect = ["1.2.3.4:65536"] }"#,
            "`1.2.3.4:65536`",
        ),
        (r#"net = { tcp_connect = "1.2.3.4:80" }"#, "net.tcp_connect"),
        (r#"net = { tcp_connect = [80] }"#, "80"),
        (r#"net = { udp = ["1.2.3.4:80"] }"#, "`udp`"),
        (r#"net = { ip_name_lookup = "yes" }"#, "net.ip_name_lookup"),
        (r#"net = { max_sockets = -1 }"#, "max_sockets"),
        (r#"net = { max_listen_backlog = 0 }"#, "max_listen_backlog"),
        (r#"net = "inherit""#, "`net` must be"),
    ] {
        let m = manifest_error(&process("web", net));
        assert!(m.contains("process `web`"), "{net}: {m}");
        assert!(m.contains(says), "{net}: {m}");
    }
}

#[test]
fn network_grants_parse() {
    let m = Manifest::parse(
        &[
            process("none", ""),
            process("off", "net = false"),
            process("host", "net = true"),
            process(
                "some",
                r#"net = { tcp_connect = ["127.0.0.1:8080", "10.0.0.0/8:*", "[::1]:*"], tcp_bind = ["127.0.0.1:0"], ip_name_lookup = true, max_sockets = 16, max_listen_backlog = 8 }"#,
            ),
        ]
        .concat(),
        Path::new("."),
    )
    .unwrap();
    assert_eq!(m.processes[0].net, NetGrant::Denied);
    assert_eq!(m.processes[1].net, NetGrant::Denied);
    assert_eq!(m.processes[2].net, NetGrant::Host);
    let NetGrant::Granted(r) = &m.processes[3].net else {
        panic!("{:?}", m.processes[3].net)
    };
    let show =
        |l: &[nanowasm_wasi::net::AddrGrant]| l.iter().map(|g| g.to_string()).collect::<Vec<_>>();
    assert_eq!(
        show(&r.tcp_connect),
        ["127.0.0.1:8080", "10.0.0.0/8:*", "[::1]:*"]
    );
    assert_eq!(show(&r.tcp_bind), ["127.0.0.1:0"]);
    assert!(r.ip_name_lookup);
    assert_eq!(r.max_sockets, Some(16));
    assert_eq!(r.max_listen_backlog, Some(8));
}

#[test]
fn a_child_holds_at_most_its_parents_network() {
    let parent = process(
        "parent",
        r#"net = { tcp_connect = ["10.0.0.0/8:*", "127.0.0.1:80"], tcp_bind = ["127.0.0.1:0"], max_sockets = 8 }"#,
    );
    let child = |net: &str| process("child", &format!("parent = \"parent\"\n{net}"));
    // Within: nothing, a narrower block or port, a smaller quota.
    for net in [
        "",
        "net = false",
        r#"net = { tcp_connect = ["10.1.0.0/16:443", "127.0.0.1:80"], max_sockets = 8 }"#,
        r#"net = { tcp_bind = ["127.0.0.1:0"], max_sockets = 1 }"#,
    ] {
        Manifest::parse(&[parent.clone(), child(net)].concat(), Path::new("."))
            .unwrap_or_else(|e| panic!("{net}: {e}"));
    }
    // Beyond.
    for (net, says) in [
        ("net = true", "`net = true`"),
        (
            r#"net = { tcp_connect = ["0.0.0.0/0:*"], max_sockets = 8 }"#,
            "0.0.0.0/0:*",
        ),
        (
            r#"net = { tcp_connect = ["127.0.0.1:*"], max_sockets = 8 }"#,
            "127.0.0.1:*",
        ),
        (
            r#"net = { tcp_connect = ["[::1]:80"], max_sockets = 8 }"#,
            "[::1]:80",
        ),
        (
            r#"net = { tcp_bind = ["127.0.0.1:8080"], max_sockets = 8 }"#,
            "127.0.0.1:8080",
        ),
        (
            r#"net = { ip_name_lookup = true, max_sockets = 8 }"#,
            "ip_name_lookup",
        ),
        (r#"net = { max_sockets = 9 }"#, "max_sockets"),
        (r#"net = { tcp_bind = ["127.0.0.1:0"] }"#, "max_sockets"),
    ] {
        let m = manifest_error(&[parent.clone(), child(net)].concat());
        assert!(
            m.contains("process `child`") && m.contains("parent `parent`"),
            "{net}: {m}"
        );
        assert!(m.contains(says), "{net}: {m}");
    }
    // A parent without the network has none to give.
    let m = manifest_error(
        &[
            process("bare", ""),
            process(
                "kid",
                "parent = \"bare\"\nnet = { tcp_connect = [\"127.0.0.1:80\"] }",
            ),
        ]
        .concat(),
    );
    assert!(m.contains("network access"), "{m}");
    // Any grant is within the host's network.
    Manifest::parse(
        &[
            process("all", "net = true"),
            process(
                "kid",
                "parent = \"all\"\nnet = { tcp_connect = [\"0.0.0.0/0:*\"], ip_name_lookup = true }",
            ),
        ]
        .concat(),
        Path::new("."),
    )
    .unwrap();
}
