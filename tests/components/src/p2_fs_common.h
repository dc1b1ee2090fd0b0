/* Filesystem helpers for the wit-bindgen guests (not a test itself). */
#ifndef NANOWASM_P2_FS_COMMON_H
#define NANOWASM_P2_FS_COMMON_H
#include "p2_common.h"

typedef wasi_filesystem_types_own_descriptor_t fd_own;
typedef wasi_filesystem_types_borrow_descriptor_t fd_borrow;
typedef wasi_filesystem_types_error_code_t ecode_t;

static fd_borrow B(fd_own d) { return wasi_filesystem_types_borrow_descriptor(d); }

/* Print the preopens ("preopens=N", then each guest path) and return the
 * descriptor of the one named /sandbox (handle -1 if none). */
static fd_own find_sandbox(void) {
    wasi_filesystem_preopens_list_tuple2_own_descriptor_string_t pre;
    wasi_filesystem_preopens_get_directories(&pre);
    say("preopens=%zu\n", pre.len);
    fd_own found = {-1};
    for (size_t i = 0; i < pre.len; i++) {
        say("preopen[%zu]=\"%.*s\"\n", i, (int)pre.ptr[i].f1.len, (char *)pre.ptr[i].f1.ptr);
        if (pre.ptr[i].f1.len == 8 && !memcmp(pre.ptr[i].f1.ptr, "/sandbox", 8) && found.__handle < 0)
            found = pre.ptr[i].f0;
        else
            wasi_filesystem_types_descriptor_drop_own(pre.ptr[i].f0);
        command_string_free(&pre.ptr[i].f1);
    }
    free(pre.ptr);
    return found;
}

/* open-at; prints "label: ok" or "label: error=NAME". */
static int open_at(const char *label, fd_own dir, wasi_filesystem_types_path_flags_t pf,
                   const char *path, wasi_filesystem_types_open_flags_t of,
                   wasi_filesystem_types_descriptor_flags_t df, fd_own *out) {
    command_string_t p = str(path);
    ecode_t err;
    bool ok = wasi_filesystem_types_method_descriptor_open_at(B(dir), pf, &p, of, df, out, &err);
    return report(label, ok, err);
}

/* Read a whole file with descriptor.read at increasing offsets; prints
 * "label: N bytes 'text'" (text only if short and printable). */
static void read_all(const char *label, fd_own f) {
    char buf[512];
    size_t len = 0;
    for (;;) {
        command_tuple2_list_u8_bool_t r;
        ecode_t err;
        if (!wasi_filesystem_types_method_descriptor_read(B(f), 64, len, &r, &err)) {
            say("%s: error=%s\n", label, ecode(err));
            return;
        }
        size_t n = r.f0.len;
        if (len + n > sizeof buf) n = sizeof buf - len;
        memcpy(buf + len, r.f0.ptr, n);
        len += n;
        bool eof = r.f1 || r.f0.len == 0;
        command_list_u8_free(&r.f0);
        if (eof || len == sizeof buf) break;
    }
    int printable = 1;
    for (size_t i = 0; i < len; i++)
        if ((buf[i] < 32 || buf[i] > 126) && buf[i] != '\n') printable = 0;
    if (printable) {
        say("%s: %zu bytes '", label, len);
        for (size_t i = 0; i < len; i++) say(buf[i] == '\n' ? "\\n" : "%c", buf[i]);
        say("'\n");
    } else {
        say("%s: %zu bytes (binary)\n", label, len);
    }
}

static void stat_at(const char *label, fd_own dir, wasi_filesystem_types_path_flags_t pf, const char *path) {
    command_string_t p = str(path);
    wasi_filesystem_types_descriptor_stat_t st;
    ecode_t err;
    if (wasi_filesystem_types_method_descriptor_stat_at(B(dir), pf, &p, &st, &err)) {
        say("%s: type=%s", label, dtype(st.type));
        if (st.type == WASI_FILESYSTEM_TYPES_DESCRIPTOR_TYPE_REGULAR_FILE) say(" size=%llu", st.size);
        if (st.type != WASI_FILESYSTEM_TYPES_DESCRIPTOR_TYPE_DIRECTORY) say(" nlink=%llu", st.link_count);
        say(" mtime_some=%d\n", st.data_modification_timestamp.is_some);
    } else {
        say("%s: error=%s\n", label, ecode(err));
    }
}

static int cmp_entry(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* read-directory, sorted: "label: name(type) ..." */
static void list_dir(const char *label, fd_own dir) {
    wasi_filesystem_types_own_directory_entry_stream_t s;
    ecode_t err;
    if (!wasi_filesystem_types_method_descriptor_read_directory(B(dir), &s, &err)) {
        say("%s: error=%s\n", label, ecode(err));
        return;
    }
    char *names[64];
    size_t n = 0;
    for (;;) {
        wasi_filesystem_types_option_directory_entry_t e;
        if (!wasi_filesystem_types_method_directory_entry_stream_read_directory_entry(
                wasi_filesystem_types_borrow_directory_entry_stream(s), &e, &err)) {
            say("%s: entry error=%s\n", label, ecode(err));
            break;
        }
        if (!e.is_some) break;
        if (n < 64) {
            const char *t = dtype(e.val.type);
            char *x = malloc(e.val.name.len + strlen(t) + 3);
            memcpy(x, e.val.name.ptr, e.val.name.len);
            x[e.val.name.len] = '(';
            strcpy(x + e.val.name.len + 1, t);
            strcat(x, ")");
            names[n++] = x;
        }
        wasi_filesystem_types_directory_entry_free(&e.val);
    }
    wasi_filesystem_types_directory_entry_stream_drop_own(s);
    qsort(names, n, sizeof names[0], cmp_entry);
    say("%s:", label);
    for (size_t i = 0; i < n; i++) {
        say(" %s", names[i]);
        free(names[i]);
    }
    say("\n");
}

#define PATH_CALL(label, fn, dir, path)                                  \
    do {                                                                 \
        command_string_t p_ = str(path);                                 \
        ecode_t e_;                                                      \
        report(label, fn(B(dir), &p_, &e_), e_);                         \
    } while (0)
#endif
