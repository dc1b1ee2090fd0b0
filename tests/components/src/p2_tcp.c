// wasi:sockets TCP with network grants, through wit-bindgen, no adapter. Not a
// reference case (it needs a peer): crates/cli/tests/sockets.rs runs it with
// a TCP server or client of its own. The first argument picks what it does:
//   echo PORT       connect to 127.0.0.1:PORT (an echo server), round-trip a
//                   line with blocking-write-and-flush/blocking-read, then
//                   200000 bytes with check-write/write/flush and poll on both
//                   streams at once, then shutdown send and read to the end
//   server          bind 127.0.0.1:0, listen, print "port=N", accept one
//                   connection (poll on subscribe), read a line, send it back
//                   upper-cased
//   denied PORT     connect to 127.0.0.1:PORT and bind 127.0.0.1:0 (the grants
//                   decide), print the error codes
//   limit           create sockets until one fails; print how many and why
//   block-accept    listen on 127.0.0.1:0 and block on accept forever
//   block-read PORT connect to 127.0.0.1:PORT and blocking-read forever
//   lookup NAME     resolve NAME
//   overwrite PORT  connect, then write more than check-write permits (a trap)
#include "p2_sock_common.h"

typedef wasi_io_streams_own_input_stream_t in_t;
typedef wasi_io_streams_own_output_stream_t out_t;

static int streq(const command_string_t *s, const char *lit) {
    return s->len == strlen(lit) && memcmp(s->ptr, lit, s->len) == 0;
}

/* start-connect + finish-connect, waiting on subscribe between them. */
static int connect_to(bsock_t b, uint16_t port, in_t *in, out_t *out, net_err_t *e) {
    wasi_sockets_tcp_ip_socket_address_t a = v4(127, 0, 0, 1, port);
    if (!wasi_sockets_tcp_method_tcp_socket_start_connect(b, net(), &a, e)) return 0;
    wasi_sockets_tcp_tuple2_own_input_stream_own_output_stream_t io;
    for (;;) {
        if (wasi_sockets_tcp_method_tcp_socket_finish_connect(b, &io, e)) break;
        if (*e != WASI_SOCKETS_NETWORK_ERROR_CODE_WOULD_BLOCK) return 0;
        block_on(wasi_sockets_tcp_method_tcp_socket_subscribe(b));
    }
    *in = io.f0;
    *out = io.f1;
    return 1;
}

static void write_all_blocking(out_t out, const char *p, size_t n) {
    command_list_u8_t l = {(uint8_t *)p, n};
    wasi_io_streams_stream_error_t err;
    if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(
            wasi_io_streams_borrow_output_stream(out), &l, &err))
        __builtin_trap();
}

/* Reads exactly n bytes with blocking-read; returns the count read. */
static size_t read_n(in_t in, char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        command_list_u8_t l;
        wasi_io_streams_stream_error_t err;
        if (!wasi_io_streams_method_input_stream_blocking_read(
                wasi_io_streams_borrow_input_stream(in), n - got, &l, &err))
            break;
        memcpy(buf + got, l.ptr, l.len);
        got += l.len;
        command_list_u8_free(&l);
    }
    return got;
}

static char big[200000];
static char back[200000];

static void echo(uint16_t port) {
    sock_t s = new_sock(0);
    bsock_t b = wasi_sockets_tcp_borrow_tcp_socket(s);
    in_t in;
    out_t out;
    net_err_t e;
    if (!nreport("connect", connect_to(b, port, &in, &out, &e), e)) return;
    wasi_sockets_tcp_ip_socket_address_t a;
    if (wasi_sockets_tcp_method_tcp_socket_remote_address(b, &a, &e))
        say("remote=%u.%u.%u.%u port_ok=%d\n", a.val.ipv4.address.f0, a.val.ipv4.address.f1,
            a.val.ipv4.address.f2, a.val.ipv4.address.f3, a.val.ipv4.port == port);
    if (wasi_sockets_tcp_method_tcp_socket_local_address(b, &a, &e))
        say("local=%u.%u.%u.%u port_nonzero=%d\n", a.val.ipv4.address.f0, a.val.ipv4.address.f1,
            a.val.ipv4.address.f2, a.val.ipv4.address.f3, a.val.ipv4.port != 0);
    wasi_sockets_tcp_tuple2_own_input_stream_own_output_stream_t io;
    nreport("finish-connect again", wasi_sockets_tcp_method_tcp_socket_finish_connect(b, &io, &e), e);
    wasi_sockets_tcp_ip_socket_address_t again = v4(127, 0, 0, 1, port);
    nreport("start-connect again", wasi_sockets_tcp_method_tcp_socket_start_connect(b, net(), &again, &e), e);
    nreport("start-listen when connected", wasi_sockets_tcp_method_tcp_socket_start_listen(b, &e), e);

    const char *line = "hello, echo\n";
    write_all_blocking(out, line, strlen(line));
    char got[64] = {0};
    size_t n = read_n(in, got, strlen(line));
    say("echo1=%.*s", (int)n, got);

    /* Non-blocking protocol on both streams at once. */
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 7 + i / 251);
    size_t sent = 0, recvd = 0;
    unsigned long writes = 0;
    wasi_io_streams_stream_error_t err;
    while (recvd < sizeof big) {
        wasi_io_poll_own_pollable_t ps[2];
        size_t np = 0;
        if (sent < sizeof big) {
            uint64_t permit = 0;
            if (!wasi_io_streams_method_output_stream_check_write(wasi_io_streams_borrow_output_stream(out), &permit, &err))
                __builtin_trap();
            if (permit > 0) {
                size_t k = sizeof big - sent < permit ? sizeof big - sent : (size_t)permit;
                command_list_u8_t l = {(uint8_t *)big + sent, k};
                if (!wasi_io_streams_method_output_stream_write(wasi_io_streams_borrow_output_stream(out), &l, &err))
                    __builtin_trap();
                sent += k;
                writes++;
                if (!wasi_io_streams_method_output_stream_flush(wasi_io_streams_borrow_output_stream(out), &err))
                    __builtin_trap();
                continue;
            }
            ps[np++] = wasi_io_streams_method_output_stream_subscribe(wasi_io_streams_borrow_output_stream(out));
        }
        command_list_u8_t l;
        if (!wasi_io_streams_method_input_stream_read(wasi_io_streams_borrow_input_stream(in), 65536, &l, &err)) {
            say("read failed early at %zu\n", recvd);
            break;
        }
        if (l.len > 0) {
            memcpy(back + recvd, l.ptr, l.len);
            recvd += l.len;
            command_list_u8_free(&l);
            for (size_t i = 0; i < np; i++) wasi_io_poll_pollable_drop_own(ps[i]);
            continue;
        }
        ps[np++] = wasi_io_streams_method_input_stream_subscribe(wasi_io_streams_borrow_input_stream(in));
        wasi_io_poll_borrow_pollable_t bs[2];
        for (size_t i = 0; i < np; i++) bs[i] = wasi_io_poll_borrow_pollable(ps[i]);
        wasi_io_poll_list_borrow_pollable_t list = {bs, np};
        command_list_u32_t ready;
        wasi_io_poll_poll(&list, &ready);
        command_list_u32_free(&ready);
        for (size_t i = 0; i < np; i++) wasi_io_poll_pollable_drop_own(ps[i]);
    }
    say("big: sent=%zu received=%zu match=%d writes>1=%d\n", sent, recvd,
        recvd == sizeof big && memcmp(big, back, sizeof big) == 0, writes > 1);

    nreport("shutdown send", wasi_sockets_tcp_method_tcp_socket_shutdown(b, WASI_SOCKETS_TCP_SHUTDOWN_TYPE_SEND, &e), e);
    /* The echo server closes when it sees our end: read to the end. */
    int closed = 0;
    for (;;) {
        command_list_u8_t l;
        if (!wasi_io_streams_method_input_stream_blocking_read(wasi_io_streams_borrow_input_stream(in), 4096, &l, &err)) {
            closed = err.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED;
            break;
        }
        command_list_u8_free(&l);
    }
    say("read to end: closed=%d\n", closed);
    command_list_u8_t l = {(uint8_t *)"x", 1};
    int wrote = wasi_io_streams_method_output_stream_blocking_write_and_flush(wasi_io_streams_borrow_output_stream(out), &l, &err);
    say("write after shutdown: %s\n", wrote ? "ok" : "failed");
    if (!wrote && err.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
        wasi_io_error_error_drop_own(err.val.last_operation_failed);
    wasi_io_streams_input_stream_drop_own(in);
    wasi_io_streams_output_stream_drop_own(out);
    wasi_sockets_tcp_tcp_socket_drop_own(s);
}

static sock_t listen_any(uint16_t *port) {
    sock_t s = new_sock(0);
    bsock_t b = wasi_sockets_tcp_borrow_tcp_socket(s);
    net_err_t e;
    wasi_sockets_tcp_ip_socket_address_t a = v4(127, 0, 0, 1, 0);
    if (!nreport("start-bind", wasi_sockets_tcp_method_tcp_socket_start_bind(b, net(), &a, &e), e)) return s;
    nreport("finish-bind", wasi_sockets_tcp_method_tcp_socket_finish_bind(b, &e), e);
    nreport("start-listen", wasi_sockets_tcp_method_tcp_socket_start_listen(b, &e), e);
    nreport("finish-listen", wasi_sockets_tcp_method_tcp_socket_finish_listen(b, &e), e);
    if (!wasi_sockets_tcp_method_tcp_socket_local_address(b, &a, &e)) __builtin_trap();
    *port = a.val.ipv4.port;
    return s;
}

static void server(void) {
    uint16_t port = 0;
    sock_t s = listen_any(&port);
    bsock_t b = wasi_sockets_tcp_borrow_tcp_socket(s);
    net_err_t e;
    say("is-listening=%d\n", wasi_sockets_tcp_method_tcp_socket_is_listening(b));
    nreport("start-listen again", wasi_sockets_tcp_method_tcp_socket_start_listen(b, &e), e);
    nreport("set-listen-backlog-size 1000000", wasi_sockets_tcp_method_tcp_socket_set_listen_backlog_size(b, 1000000, &e), e);
    wasi_sockets_tcp_tuple3_own_tcp_socket_own_input_stream_own_output_stream_t c;
    nreport("accept before a client", wasi_sockets_tcp_method_tcp_socket_accept(b, &c, &e), e);
    say("port=%u\n", (unsigned)port);
    for (;;) {
        if (wasi_sockets_tcp_method_tcp_socket_accept(b, &c, &e)) break;
        if (e != WASI_SOCKETS_NETWORK_ERROR_CODE_WOULD_BLOCK) {
            say("accept: error=%s\n", ncode(e));
            return;
        }
        block_on(wasi_sockets_tcp_method_tcp_socket_subscribe(b));
    }
    say("accepted\n");
    bsock_t cb = wasi_sockets_tcp_borrow_tcp_socket(c.f0);
    wasi_sockets_tcp_ip_socket_address_t a;
    if (wasi_sockets_tcp_method_tcp_socket_remote_address(cb, &a, &e))
        say("peer=%u.%u.%u.%u\n", a.val.ipv4.address.f0, a.val.ipv4.address.f1, a.val.ipv4.address.f2,
            a.val.ipv4.address.f3);
    if (wasi_sockets_tcp_method_tcp_socket_local_address(cb, &a, &e))
        say("accepted local port matches=%d\n", a.val.ipv4.port == port);
    char line[256];
    size_t n = 0;
    while (n < sizeof line) {
        if (read_n(c.f1, line + n, 1) != 1) break;
        if (line[n++] == '\n') break;
    }
    say("got=%.*s", (int)n, line);
    for (size_t i = 0; i < n; i++)
        if (line[i] >= 'a' && line[i] <= 'z') line[i] = (char)(line[i] - 32);
    write_all_blocking(c.f2, line, n);
    wasi_io_streams_input_stream_drop_own(c.f1);
    wasi_io_streams_output_stream_drop_own(c.f2);
    wasi_sockets_tcp_tcp_socket_drop_own(c.f0);
    wasi_sockets_tcp_tcp_socket_drop_own(s);
    say("done\n");
}

static void denied(uint16_t port) {
    sock_t s = new_sock(0);
    bsock_t b = wasi_sockets_tcp_borrow_tcp_socket(s);
    net_err_t e;
    wasi_sockets_tcp_ip_socket_address_t a = v4(127, 0, 0, 1, port);
    nreport("start-connect", wasi_sockets_tcp_method_tcp_socket_start_connect(b, net(), &a, &e), e);
    sock_t s2 = new_sock(0);
    wasi_sockets_tcp_ip_socket_address_t l = v4(127, 0, 0, 1, 0);
    nreport("start-bind", wasi_sockets_tcp_method_tcp_socket_start_bind(wasi_sockets_tcp_borrow_tcp_socket(s2), net(), &l, &e), e);
    /* The IPv6 face of the same IPv4 address is no way around a grant. */
    sock_t s3 = new_sock(1);
    wasi_sockets_tcp_ip_socket_address_t m;
    memset(&m, 0, sizeof m);
    m.tag = WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV6;
    m.val.ipv6.port = port;
    m.val.ipv6.address.f5 = 0xffff;
    m.val.ipv6.address.f6 = 0x7f00;
    m.val.ipv6.address.f7 = 0x0001;
    nreport("start-connect ::ffff:127.0.0.1", wasi_sockets_tcp_method_tcp_socket_start_connect(
        wasi_sockets_tcp_borrow_tcp_socket(s3), net(), &m, &e), e);
    wasi_sockets_tcp_tcp_socket_drop_own(s);
    wasi_sockets_tcp_tcp_socket_drop_own(s2);
    wasi_sockets_tcp_tcp_socket_drop_own(s3);
}

static void limit(void) {
    static sock_t socks[100000];
    size_t n = 0;
    net_err_t e = 0;
    while (n < sizeof socks / sizeof socks[0]) {
        if (!wasi_sockets_tcp_create_socket_create_tcp_socket(WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4, &socks[n], &e))
            break;
        n++;
    }
    say("created=%zu error=%s\n", n, ncode(e));
    /* Dropping one frees its place. */
    if (n > 0) {
        wasi_sockets_tcp_tcp_socket_drop_own(socks[--n]);
        int ok = wasi_sockets_tcp_create_socket_create_tcp_socket(WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4, &socks[n], &e);
        say("after a drop: %s\n", ok ? "ok" : ncode(e));
    }
}

static void lookup(const command_string_t *name) {
    wasi_sockets_ip_name_lookup_own_resolve_address_stream_t rs;
    net_err_t e;
    command_string_t nm = *name;
    if (!nreport("resolve-addresses", wasi_sockets_ip_name_lookup_resolve_addresses(net(), &nm, &rs, &e), e)) return;
    wasi_sockets_ip_name_lookup_borrow_resolve_address_stream_t b = wasi_sockets_ip_name_lookup_borrow_resolve_address_stream(rs);
    for (;;) {
        wasi_sockets_ip_name_lookup_option_ip_address_t ip;
        if (!wasi_sockets_ip_name_lookup_method_resolve_address_stream_resolve_next_address(b, &ip, &e)) {
            if (e == WASI_SOCKETS_NETWORK_ERROR_CODE_WOULD_BLOCK) {
                block_on(wasi_sockets_ip_name_lookup_method_resolve_address_stream_subscribe(b));
                continue;
            }
            say("resolve-next-address: error=%s\n", ncode(e));
            break;
        }
        if (!ip.is_some) break;
        if (ip.val.tag == WASI_SOCKETS_NETWORK_IP_ADDRESS_IPV4)
            say("address=%u.%u.%u.%u\n", ip.val.val.ipv4.f0, ip.val.val.ipv4.f1, ip.val.val.ipv4.f2, ip.val.val.ipv4.f3);
        else
            say("address=ipv6 last=%u\n", ip.val.val.ipv6.f7);
    }
    wasi_sockets_ip_name_lookup_resolve_address_stream_drop_own(rs);
}

bool exports_wasi_cli_run_run(void) {
    command_list_string_t args;
    wasi_cli_environment_get_arguments(&args);
    if (args.len < 2) return false;
    const command_string_t *mode = &args.ptr[1];
    unsigned arg = args.len > 2 ? parse_uint(&args.ptr[2]) : 0;
    if (streq(mode, "echo")) echo((uint16_t)arg);
    else if (streq(mode, "server")) server();
    else if (streq(mode, "denied")) denied((uint16_t)arg);
    else if (streq(mode, "limit")) limit();
    else if (streq(mode, "block-accept")) {
        uint16_t port = 0;
        sock_t s = listen_any(&port);
        say("port=%u\n", (unsigned)port);
        block_on(wasi_sockets_tcp_method_tcp_socket_subscribe(wasi_sockets_tcp_borrow_tcp_socket(s)));
        say("accept became ready\n");
    } else if (streq(mode, "block-read")) {
        sock_t s = new_sock(0);
        in_t in;
        out_t out;
        net_err_t e;
        if (!nreport("connect", connect_to(wasi_sockets_tcp_borrow_tcp_socket(s), (uint16_t)arg, &in, &out, &e), e))
            return false;
        char c;
        read_n(in, &c, 1);
        say("read returned\n");
    } else if (streq(mode, "overwrite")) {
        sock_t s = new_sock(0);
        in_t in;
        out_t out;
        net_err_t e;
        if (!nreport("connect", connect_to(wasi_sockets_tcp_borrow_tcp_socket(s), (uint16_t)arg, &in, &out, &e), e))
            return false;
        uint64_t permit = 0;
        wasi_io_streams_stream_error_t err;
        if (!wasi_io_streams_method_output_stream_check_write(wasi_io_streams_borrow_output_stream(out), &permit, &err))
            __builtin_trap();
        say("permit=%llu\n", (unsigned long long)permit);
        command_list_u8_t l = {(uint8_t *)big, (size_t)permit + 1};
        wasi_io_streams_method_output_stream_write(wasi_io_streams_borrow_output_stream(out), &l, &err);
        say("write beyond the permit returned\n");
    } else if (streq(mode, "lookup") && args.len > 2) lookup(&args.ptr[2]);
    else return false;
    return true;
}
