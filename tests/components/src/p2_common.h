/* Shared helpers for the wit-bindgen guests (not a test itself). They use the
 * WASI 0.2 interfaces directly through the bindings of `wit-bindgen c` for the
 * world nanowasm:tests/command (wit/world.wit): no preview1, no adapter.
 * libc is used only for qsort, malloc and string functions (not stdio: it would
 * pull in preview1 imports), so `say` is a small printf of its own.
 * Output must be deterministic: only derived facts are printed. */
#ifndef NANOWASM_P2_COMMON_H
#define NANOWASM_P2_COMMON_H
#include "command.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static wasi_cli_stdout_own_output_stream_t p2_out;
static int p2_out_init;

/* blocking-write-and-flush accepts at most 4096 bytes a call. */
static void p2_write(wasi_io_streams_own_output_stream_t s, const char *p, size_t n) {
    while (n > 0) {
        size_t k = n > 4096 ? 4096 : n;
        command_list_u8_t l = {(uint8_t *)p, k};
        wasi_io_streams_stream_error_t err;
        if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(
                wasi_io_streams_borrow_output_stream(s), &l, &err))
            __builtin_trap();
        p += k;
        n -= k;
    }
}

static wasi_io_streams_own_output_stream_t p2_stdout(void) {
    if (!p2_out_init) {
        p2_out = wasi_cli_stdout_get_stdout();
        p2_out_init = 1;
    }
    return p2_out;
}

/* A tiny printf: %s, %.*s, %c, %d/%i (int), %u, %zu, %llu/%lld, %%. */
static size_t p2_utoa(char *buf, unsigned long long v) {
    char tmp[24];
    size_t n = 0, i = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) buf[i++] = tmp[--n];
    return i;
}

static void say(const char *fmt, ...) {
    char buf[2048];
    size_t o = 0;
    va_list ap;
    va_start(ap, fmt);
    for (const char *f = fmt; *f && o < sizeof buf - 64; f++) {
        if (*f != '%') { buf[o++] = *f; continue; }
        f++;
        int prec = -1;
        if (f[0] == '.' && f[1] == '*') { prec = va_arg(ap, int); f += 2; }
        if (*f == 'z' && f[1] == 'u') {
            f++;
            o += p2_utoa(buf + o, va_arg(ap, size_t));
        } else if (f[0] == 'l' && f[1] == 'l' && f[2] == 'u') {
            f += 2;
            o += p2_utoa(buf + o, va_arg(ap, unsigned long long));
        } else if (f[0] == 'l' && f[1] == 'l' && f[2] == 'd') {
            f += 2;
            long long v = va_arg(ap, long long);
            if (v < 0) { buf[o++] = '-'; o += p2_utoa(buf + o, 0ULL - (unsigned long long)v); }
            else o += p2_utoa(buf + o, (unsigned long long)v);
        } else if (*f == 'd' || *f == 'i') {
            int v = va_arg(ap, int);
            if (v < 0) { buf[o++] = '-'; o += p2_utoa(buf + o, 0ULL - (unsigned long long)(long long)v); }
            else o += p2_utoa(buf + o, (unsigned long long)v);
        } else if (*f == 'u') {
            o += p2_utoa(buf + o, va_arg(ap, unsigned));
        } else if (*f == 'c') {
            buf[o++] = (char)va_arg(ap, int);
        } else if (*f == 's') {
            const char *s = va_arg(ap, const char *);
            size_t n = prec >= 0 ? (size_t)prec : strlen(s);
            if (n > sizeof buf - 64 - o) n = sizeof buf - 64 - o;
            memcpy(buf + o, s, n);
            o += n;
        } else if (*f == '%') {
            buf[o++] = '%';
        } else {
            __builtin_trap();
        }
    }
    va_end(ap);
    p2_write(p2_stdout(), buf, o);
}

static command_string_t str(const char *s) {
    command_string_t r = {(uint8_t *)s, strlen(s)};
    return r;
}

/* wasi:filesystem/types error-code, by value (WIT declaration order). */
static const char *const ERROR_CODE_NAMES[] = {
    "access", "would-block", "already", "bad-descriptor", "busy", "deadlock", "quota",
    "exist", "file-too-large", "illegal-byte-sequence", "in-progress", "interrupted",
    "invalid", "io", "is-directory", "loop", "too-many-links", "message-size",
    "name-too-long", "no-device", "no-entry", "no-lock", "insufficient-memory",
    "insufficient-space", "not-directory", "not-empty", "not-recoverable", "unsupported",
    "no-tty", "no-such-device", "overflow", "not-permitted", "pipe", "read-only",
    "invalid-seek", "text-file-busy", "cross-device",
};

static const char *ecode(wasi_filesystem_types_error_code_t e) {
    return e < sizeof ERROR_CODE_NAMES / sizeof ERROR_CODE_NAMES[0] ? ERROR_CODE_NAMES[e] : "?";
}

static const char *const DESCRIPTOR_TYPE_NAMES[] = {
    "unknown", "block-device", "character-device", "directory", "fifo", "symbolic-link",
    "regular-file", "socket",
};

static const char *dtype(wasi_filesystem_types_descriptor_type_t t) {
    return t < 8 ? DESCRIPTOR_TYPE_NAMES[t] : "?";
}

/* Print "label: ok" or "label: error=NAME"; returns ok. */
static int report(const char *label, bool ok, wasi_filesystem_types_error_code_t err) {
    if (ok)
        say("%s: ok\n", label);
    else
        say("%s: error=%s\n", label, ecode(err));
    return ok;
}
#endif
