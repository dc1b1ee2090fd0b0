// wasi:sockets without any network grant, through wit-bindgen, no adapter: the
// TCP state machine and the default denial. create-tcp-socket (ipv4 and ipv6),
// address-family, is-listening, calls in the wrong state (finish-bind,
// finish-connect, finish-listen: not-in-progress; start-listen, accept,
// local-address, remote-address, shutdown: invalid-state), invalid arguments
// (backlog 0, hop limit 0, keep-alive times 0), option round trips, subscribe
// (ready at once), and with no grant: start-bind and start-connect on
// 127.0.0.1 and ::1 answer access-denied, name lookup
// permanent-resolver-failure. The socket stays usable (state unchanged).
// With TCP not granted at all (-S tcp=n, and wasmtime's Python package),
// create-tcp-socket answers access-denied.
#include "p2_sock_common.h"

static void states(int v6) {
    sock_t s;
    net_err_t e;
    say("== %s\n", v6 ? "ipv6" : "ipv4");
    if (!nreport("create-tcp-socket",
                 wasi_sockets_tcp_create_socket_create_tcp_socket(
                     v6 ? WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV6 : WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4, &s, &e),
                 e))
        return;
    bsock_t b = wasi_sockets_tcp_borrow_tcp_socket(s);
    say("address-family=%s\n",
        wasi_sockets_tcp_method_tcp_socket_address_family(b) == WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV6 ? "ipv6" : "ipv4");
    say("is-listening=%d\n", wasi_sockets_tcp_method_tcp_socket_is_listening(b));
    nreport("finish-bind", wasi_sockets_tcp_method_tcp_socket_finish_bind(b, &e), e);
    nreport("finish-listen", wasi_sockets_tcp_method_tcp_socket_finish_listen(b, &e), e);
    wasi_sockets_tcp_tuple2_own_input_stream_own_output_stream_t io;
    nreport("finish-connect", wasi_sockets_tcp_method_tcp_socket_finish_connect(b, &io, &e), e);
    nreport("start-listen (unbound)", wasi_sockets_tcp_method_tcp_socket_start_listen(b, &e), e);
    wasi_sockets_tcp_tuple3_own_tcp_socket_own_input_stream_own_output_stream_t acc;
    nreport("accept (not listening)", wasi_sockets_tcp_method_tcp_socket_accept(b, &acc, &e), e);
    wasi_sockets_tcp_ip_socket_address_t addr;
    nreport("local-address (unbound)", wasi_sockets_tcp_method_tcp_socket_local_address(b, &addr, &e), e);
    nreport("remote-address (unconnected)", wasi_sockets_tcp_method_tcp_socket_remote_address(b, &addr, &e), e);
    nreport("shutdown (unconnected)",
            wasi_sockets_tcp_method_tcp_socket_shutdown(b, WASI_SOCKETS_TCP_SHUTDOWN_TYPE_BOTH, &e), e);
    nreport("set-listen-backlog-size 0", wasi_sockets_tcp_method_tcp_socket_set_listen_backlog_size(b, 0, &e), e);
    nreport("set-listen-backlog-size 10", wasi_sockets_tcp_method_tcp_socket_set_listen_backlog_size(b, 10, &e), e);
    nreport("set-hop-limit 0", wasi_sockets_tcp_method_tcp_socket_set_hop_limit(b, 0, &e), e);
    nreport("set-hop-limit 42", wasi_sockets_tcp_method_tcp_socket_set_hop_limit(b, 42, &e), e);
    uint8_t hops = 0;
    if (nreport("hop-limit", wasi_sockets_tcp_method_tcp_socket_hop_limit(b, &hops, &e), e))
        say("hop-limit=%u\n", (unsigned)hops);
    nreport("set-keep-alive-idle-time 0", wasi_sockets_tcp_method_tcp_socket_set_keep_alive_idle_time(b, 0, &e), e);
    nreport("set-keep-alive-interval 0", wasi_sockets_tcp_method_tcp_socket_set_keep_alive_interval(b, 0, &e), e);
    nreport("set-keep-alive-count 0", wasi_sockets_tcp_method_tcp_socket_set_keep_alive_count(b, 0, &e), e);
    nreport("set-keep-alive-enabled", wasi_sockets_tcp_method_tcp_socket_set_keep_alive_enabled(b, true, &e), e);
    bool ka = false;
    if (nreport("keep-alive-enabled", wasi_sockets_tcp_method_tcp_socket_keep_alive_enabled(b, &ka, &e), e))
        say("keep-alive=%d\n", ka);
    nreport("set-keep-alive-idle-time 7s",
            wasi_sockets_tcp_method_tcp_socket_set_keep_alive_idle_time(b, 7000000000ULL, &e), e);
    uint64_t d = 0;
    if (nreport("keep-alive-idle-time", wasi_sockets_tcp_method_tcp_socket_keep_alive_idle_time(b, &d, &e), e))
        say("idle-time-s=%llu\n", (unsigned long long)(d / 1000000000ULL));
    nreport("set-keep-alive-count 5", wasi_sockets_tcp_method_tcp_socket_set_keep_alive_count(b, 5, &e), e);
    uint32_t cnt = 0;
    if (nreport("keep-alive-count", wasi_sockets_tcp_method_tcp_socket_keep_alive_count(b, &cnt, &e), e))
        say("count=%u\n", cnt);
    nreport("set-receive-buffer-size 0", wasi_sockets_tcp_method_tcp_socket_set_receive_buffer_size(b, 0, &e), e);
    uint64_t sz = 0;
    if (nreport("receive-buffer-size", wasi_sockets_tcp_method_tcp_socket_receive_buffer_size(b, &sz, &e), e))
        say("receive-buffer-size>0: %d\n", sz > 0);
    wasi_io_poll_own_pollable_t p = wasi_sockets_tcp_method_tcp_socket_subscribe(b);
    say("subscribe ready=%d\n", wasi_io_poll_method_pollable_ready(wasi_io_poll_borrow_pollable(p)));
    wasi_io_poll_pollable_drop_own(p);

    /* No grant: every bind and connect is denied, wherever it goes. */
    wasi_sockets_tcp_ip_socket_address_t local = v6 ? v6_loopback(0) : v4(127, 0, 0, 1, 0);
    nreport("start-bind loopback:0", wasi_sockets_tcp_method_tcp_socket_start_bind(b, net(), &local, &e), e);
    wasi_sockets_tcp_ip_socket_address_t remote = v6 ? v6_loopback(80) : v4(127, 0, 0, 1, 80);
    nreport("start-connect loopback:80", wasi_sockets_tcp_method_tcp_socket_start_connect(b, net(), &remote, &e), e);
    wasi_sockets_tcp_ip_socket_address_t far = v4(93, 184, 216, 34, 443);
    nreport("start-connect 93.184.216.34:443", wasi_sockets_tcp_method_tcp_socket_start_connect(b, net(), &far, &e), e);
    /* Still in its first state. */
    nreport("finish-bind after denial", wasi_sockets_tcp_method_tcp_socket_finish_bind(b, &e), e);
    nreport("finish-connect after denial", wasi_sockets_tcp_method_tcp_socket_finish_connect(b, &io, &e), e);
    wasi_sockets_tcp_tcp_socket_drop_own(s);
}

bool exports_wasi_cli_run_run(void) {
    states(0);
    states(1);
    say("== ip-name-lookup\n");
    command_string_t name = str("localhost");
    wasi_sockets_ip_name_lookup_own_resolve_address_stream_t rs;
    net_err_t e;
    if (nreport("resolve-addresses localhost", wasi_sockets_ip_name_lookup_resolve_addresses(net(), &name, &rs, &e), e))
        wasi_sockets_ip_name_lookup_resolve_address_stream_drop_own(rs);
    wasi_sockets_network_network_drop_own(NET);
    return true;
}
