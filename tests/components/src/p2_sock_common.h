/* Helpers for the wasi:sockets guests (p2_sockets.c, p2_tcp.c): error-code
 * names, addresses, and waiting on one pollable. */
#ifndef NANOWASM_P2_SOCK_COMMON_H
#define NANOWASM_P2_SOCK_COMMON_H
#include "p2_common.h"

typedef wasi_sockets_tcp_own_tcp_socket_t sock_t;
typedef wasi_sockets_tcp_borrow_tcp_socket_t bsock_t;
typedef wasi_sockets_network_error_code_t net_err_t;

/* wasi:sockets/network error-code, by value (WIT declaration order). */
static const char *const NET_ERROR_NAMES[] = {
    "unknown", "access-denied", "not-supported", "invalid-argument", "out-of-memory",
    "timeout", "concurrency-conflict", "not-in-progress", "would-block", "invalid-state",
    "new-socket-limit", "address-not-bindable", "address-in-use", "remote-unreachable",
    "connection-refused", "connection-reset", "connection-aborted", "datagram-too-large",
    "name-unresolvable", "temporary-resolver-failure", "permanent-resolver-failure",
};

static const char *ncode(net_err_t e) {
    return e < sizeof NET_ERROR_NAMES / sizeof NET_ERROR_NAMES[0] ? NET_ERROR_NAMES[e] : "?";
}

/* Print "label: ok" or "label: error=NAME"; returns ok. */
static int nreport(const char *label, bool ok, net_err_t err) {
    if (ok)
        say("%s: ok\n", label);
    else
        say("%s: error=%s\n", label, ncode(err));
    return ok;
}

static wasi_sockets_network_own_network_t NET;
static int net_init;

static wasi_sockets_tcp_borrow_network_t net(void) {
    if (!net_init) {
        NET = wasi_sockets_instance_network_instance_network();
        net_init = 1;
    }
    return wasi_sockets_network_borrow_network(NET);
}

static wasi_sockets_tcp_ip_socket_address_t v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d,
                                               uint16_t port) {
    wasi_sockets_tcp_ip_socket_address_t s;
    memset(&s, 0, sizeof s);
    s.tag = WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV4;
    s.val.ipv4.port = port;
    s.val.ipv4.address.f0 = a;
    s.val.ipv4.address.f1 = b;
    s.val.ipv4.address.f2 = c;
    s.val.ipv4.address.f3 = d;
    return s;
}

static wasi_sockets_tcp_ip_socket_address_t v6_loopback(uint16_t port) {
    wasi_sockets_tcp_ip_socket_address_t s;
    memset(&s, 0, sizeof s);
    s.tag = WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV6;
    s.val.ipv6.port = port;
    s.val.ipv6.address.f7 = 1;
    return s;
}

static sock_t new_sock(int v6) {
    sock_t s;
    net_err_t e;
    if (!wasi_sockets_tcp_create_socket_create_tcp_socket(
            v6 ? WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV6 : WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4,
            &s, &e)) {
        say("create-tcp-socket: error=%s\n", ncode(e));
        __builtin_trap();
    }
    return s;
}

static void block_on(wasi_io_poll_own_pollable_t p) {
    wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
    wasi_io_poll_pollable_drop_own(p);
}

static unsigned parse_uint(const command_string_t *s) {
    unsigned v = 0;
    for (size_t i = 0; i < s->len; i++) v = v * 10 + (unsigned)(s->ptr[i] - '0');
    return v;
}
#endif
