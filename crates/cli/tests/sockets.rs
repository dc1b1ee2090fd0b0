//! `nanowasm run` of components using `wasi:sockets` TCP
//! (`tests/components/bin/network/p2_tcp.wasm` and `p2_sockets.wasm`, wit-bindgen C
//! guests) against peers this test runs on 127.0.0.1: a connect and a
//! round trip through an echo server, a listening guest accepting this
//! test's connection, denials without a grant, the socket limit, name
//! lookup, and `--timeout` stopping a guest blocked on accept or read.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/components")
}

fn guest(name: &str) -> String {
    root()
        .join("bin/network")
        .join(format!("{name}.wasm"))
        .to_str()
        .unwrap()
        .to_owned()
}

fn nanowasm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run nanowasm")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn show(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(out),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// An echo server on 127.0.0.1 for one connection: sends back what it
/// reads until the client shuts down its side, then closes.
fn echo_server() -> (u16, std::thread::JoinHandle<usize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut buf = [0u8; 8192];
        let mut total = 0;
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    total += n;
                    if s.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        total
    });
    (port, h)
}

fn echo_through(grant: &[&str]) {
    let (port, server) = echo_server();
    let p = port.to_string();
    let w = guest("p2_tcp");
    let mut args = vec!["run"];
    args.extend_from_slice(grant);
    let grant_arg = format!("tcp-connect=127.0.0.1:{port}");
    let args: Vec<&str> = args
        .into_iter()
        .map(|a| if a == "GRANT" { grant_arg.as_str() } else { a })
        .chain([w.as_str(), "echo", p.as_str()])
        .collect();
    let out = nanowasm(&args);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let expected = "connect: ok\n\
        remote=127.0.0.1 port_ok=1\n\
        local=127.0.0.1 port_nonzero=1\n\
        finish-connect again: error=not-in-progress\n\
        start-connect again: error=invalid-state\n\
        start-listen when connected: error=invalid-state\n\
        echo1=hello, echo\n\
        big: sent=200000 received=200000 match=1 writes>1=1\n\
        shutdown send: ok\n\
        read to end: closed=1\n\
        write after shutdown: failed\n";
    assert_eq!(stdout(&out), expected, "{}", show(&out));
    // Everything the guest sent reached the server.
    assert_eq!(server.join().unwrap(), 12 + 200_000);
}

#[test]
fn connect_and_round_trip_through_an_echo_server_with_an_address_grant() {
    echo_through(&["-S", "GRANT"]);
}

#[test]
fn connect_and_round_trip_with_inherit_network() {
    echo_through(&["-S", "inherit-network"]);
}

#[test]
fn connect_with_a_cidr_grant() {
    echo_through(&["-S", "tcp-connect=127.0.0.0/8:*"]);
}

#[test]
fn a_listening_guest_accepts_a_connection() {
    let w = guest("p2_tcp");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nanowasm"))
        .args([
            "run",
            "--timeout",
            "20s",
            "-S",
            "tcp-bind=127.0.0.1:0",
            &w,
            "server",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    let mut head = String::new();
    let port: u16 = loop {
        let mut line = String::new();
        if lines.read_line(&mut line).unwrap() == 0 {
            let _ = child.kill();
            panic!("the guest ended before listening:\n{head}");
        }
        head.push_str(&line);
        if let Some(p) = line.strip_prefix("port=") {
            break p.trim().parse().unwrap();
        }
    };
    assert_eq!(
        head,
        format!(
            "start-bind: ok\nfinish-bind: ok\nstart-listen: ok\nfinish-listen: ok\n\
             is-listening=1\nstart-listen again: error=invalid-state\n\
             set-listen-backlog-size 1000000: ok\n\
             accept before a client: error=would-block\nport={port}\n"
        )
    );
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"hello server\n").unwrap();
    let mut reply = Vec::new();
    s.read_to_end(&mut reply).unwrap();
    assert_eq!(reply, b"HELLO SERVER\n");
    let mut rest = String::new();
    lines.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{rest}");
    assert_eq!(
        rest,
        "accepted\npeer=127.0.0.1\naccepted local port matches=1\ngot=hello server\ndone\n"
    );
}

#[test]
fn connect_and_bind_without_a_grant_are_denied() {
    // A live server the guest is not granted: nothing reaches it.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let port = l.local_addr().unwrap().port().to_string();
    let w = guest("p2_tcp");
    let denied = "start-connect: error=access-denied\n\
                  start-bind: error=access-denied\n\
                  start-connect ::ffff:127.0.0.1: error=access-denied\n";
    for grants in [
        &[][..],
        // Another port, another address, the bind side only, an IPv6 grant.
        &["-S", "tcp-connect=127.0.0.1:1"][..],
        &["-S", "tcp-connect=127.0.0.2/32:*"][..],
        &["-S", "tcp-bind=127.0.0.1:*"][..],
        &["-S", "tcp-connect=[::1]:*"][..],
    ] {
        let mut args = vec!["run"];
        args.extend_from_slice(grants);
        args.extend_from_slice(&[&w, "denied", &port]);
        let out = nanowasm(&args);
        assert_eq!(out.status.code(), Some(0), "{grants:?}: {}", show(&out));
        let text = stdout(&out);
        if grants.contains(&"tcp-bind=127.0.0.1:*") {
            assert!(
                text.starts_with("start-connect: error=access-denied\nstart-bind: ok\n"),
                "{text}"
            );
        } else {
            assert_eq!(text, denied, "{grants:?}");
        }
    }
    assert!(l.accept().is_err(), "a connection got through");
    // TCP off: not even a socket.
    let out = nanowasm(&[
        "run",
        "-S",
        "inherit-network",
        "-S",
        "tcp=n",
        &w,
        "denied",
        &port,
    ]);
    assert!(
        stdout(&out).contains("create-tcp-socket: error=access-denied"),
        "{}",
        show(&out)
    );
}

#[test]
fn the_socket_limit_is_an_error_code_not_a_failure() {
    let w = guest("p2_tcp");
    for (flag, n) in [("max-sockets=7", 7), ("max-open-files=4", 4)] {
        let out = nanowasm(&["run", "-S", flag, &w, "limit"]);
        assert_eq!(out.status.code(), Some(0), "{}", show(&out));
        assert_eq!(
            stdout(&out),
            format!("created={n} error=new-socket-limit\nafter a drop: ok\n")
        );
    }
    // The default limit holds too (or the host's descriptor limit, if
    // lower: also `new-socket-limit`, never a failure).
    let out = nanowasm(&["run", &w, "limit"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let text = stdout(&out);
    let n: usize = text
        .strip_prefix("created=")
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    assert!(n <= 1024 && n > 900, "{text}");
    assert!(
        text.ends_with(" error=new-socket-limit\nafter a drop: ok\n"),
        "{text}"
    );
}

#[test]
fn name_lookup_only_when_granted() {
    let w = guest("p2_tcp");
    let out = nanowasm(&["run", &w, "lookup", "localhost"]);
    assert_eq!(
        stdout(&out),
        "resolve-addresses: error=permanent-resolver-failure\n"
    );
    let out = nanowasm(&[
        "run",
        "-S",
        "allow-ip-name-lookup",
        &w,
        "lookup",
        "127.0.0.1",
    ]);
    assert_eq!(stdout(&out), "resolve-addresses: ok\naddress=127.0.0.1\n");
    let out = nanowasm(&[
        "run",
        "-S",
        "allow-ip-name-lookup",
        &w,
        "lookup",
        "localhost",
    ]);
    assert!(
        stdout(&out).starts_with("resolve-addresses: ok\naddress="),
        "{}",
        show(&out)
    );
    let out = nanowasm(&[
        "run",
        "-S",
        "allow-ip-name-lookup",
        &w,
        "lookup",
        "bad name!",
    ]);
    assert_eq!(stdout(&out), "resolve-addresses: error=invalid-argument\n");
}

/// Checks a run `--timeout` stopped: the interrupt trap, promptly.
fn assert_stopped(out: &Output, took: Duration) {
    assert_eq!(out.status.code(), Some(134), "{}", show(out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("wasm trap: interrupted"),
        "{}",
        show(out)
    );
    assert!(took >= Duration::from_millis(450), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn timeout_stops_a_guest_blocked_on_accept() {
    let w = guest("p2_tcp");
    let start = Instant::now();
    let out = nanowasm(&[
        "run",
        "--timeout",
        "500ms",
        "-S",
        "tcp-bind=127.0.0.1:0",
        &w,
        "block-accept",
    ]);
    assert_stopped(&out, start.elapsed());
    assert!(stdout(&out).contains("port="), "{}", show(&out));
    assert!(!stdout(&out).contains("accept became ready"));
}

#[test]
fn timeout_stops_a_guest_blocked_on_read() {
    // A server that accepts and never sends.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        std::thread::sleep(Duration::from_secs(6));
        drop(s);
    });
    let w = guest("p2_tcp");
    let start = Instant::now();
    let out = nanowasm(&[
        "run",
        "--timeout",
        "500ms",
        "-S",
        &format!("tcp-connect=127.0.0.1:{port}"),
        &w,
        "block-read",
        &port.to_string(),
    ]);
    assert_stopped(&out, start.elapsed());
    assert_eq!(stdout(&out), "connect: ok\n");
    drop(h);
}

/// The state machine and the default denial (no grant): as recorded, and
/// with TCP off as wasmtime's component runtime (the Python package
/// `wasmtime`, whose WASI grants no TCP at all) when it is installed.
#[test]
fn sockets_without_grants_state_machine_and_wasmtime() {
    let w = guest("p2_sockets");
    let out = nanowasm(&["run", &w]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let expected =
        std::fs::read_to_string(root().join("expected/network/p2_sockets.stdout")).unwrap();
    assert_eq!(stdout(&out), expected);

    let off = nanowasm(&["run", "-S", "tcp=n", &w]);
    let off_text = stdout(&off);
    assert_eq!(
        off_text,
        "== ipv4\ncreate-tcp-socket: error=access-denied\n\
         == ipv6\ncreate-tcp-socket: error=access-denied\n\
         == ip-name-lookup\nresolve-addresses localhost: error=permanent-resolver-failure\n"
    );
    let script = format!(
        "import sys, tempfile, os\n\
         sys.path.insert(0, {root:?})\n\
         import reference\n\
         d = tempfile.mkdtemp()\n\
         out = os.path.join(d, 'out'); err = os.path.join(d, 'err'); inp = os.path.join(d, 'in')\n\
         open(inp, 'wb').close()\n\
         code = reference.run_component_api({w:?}, 'p2_sockets.wasm', [], [], [], inp, out, err, d, 10)\n\
         sys.stdout.write(code + '\\n' + open(out).read())\n",
        root = root().to_str().unwrap(),
    );
    let has_wasmtime = Command::new("python3")
        .args(["-c", "import wasmtime.component"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_wasmtime {
        assert!(
            std::env::var("NANOWASM_REQUIRE_PEERS").as_deref() != Ok("1"),
            "the Python package wasmtime is required"
        );
        eprintln!("skipped the comparison with wasmtime: no Python package `wasmtime`");
        return;
    }
    let peer = Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        peer.status.success(),
        "{}",
        String::from_utf8_lossy(&peer.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&peer.stdout),
        format!("0\n{off_text}")
    );
}

#[test]
fn a_refused_connect_is_an_error_code() {
    // A port nobody listens on (bound, then closed).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let w = guest("p2_tcp");
    let out = nanowasm(&["run", "-S", "inherit-network", &w, "echo", &port]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(stdout(&out), "connect: error=connection-refused\n");
}

#[test]
fn a_write_beyond_check_write_ends_the_guest() {
    let (port, server) = echo_server();
    let w = guest("p2_tcp");
    let grant = format!("tcp-connect=127.0.0.1:{port}");
    let out = nanowasm(&["run", "-S", &grant, &w, "overwrite", &port.to_string()]);
    // Ended by the host (WASI's errors end the guest as every WASI 0.2
    // host error does: status 1 and the message), not a host failure.
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(stdout(&out), "connect: ok\npermit=65536\n");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("more than check-write permitted"),
        "{}",
        show(&out)
    );
    // Nothing of the refused write was sent.
    assert_eq!(server.join().unwrap(), 0);
}
