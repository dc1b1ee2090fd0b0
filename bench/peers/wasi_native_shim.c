// Native builds of the WASI programs (bench/wasi/*.c) use absolute guest
// paths under /sandbox. Linked with -Wl,--wrap=open,--wrap=stat,--wrap=unlink,
// these wrappers map /sandbox/... to $NANOWASM_BENCH_SANDBOX/... so the
// native program runs unchanged in a temporary directory, as the wasm ones
// do through a preopen.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int __real_open(const char *path, int flags, ...);
int __real_stat(const char *path, struct stat *st);
int __real_unlink(const char *path);

static const char *map(const char *path, char *buf, size_t size) {
    const char *root = getenv("NANOWASM_BENCH_SANDBOX");
    if (root && strncmp(path, "/sandbox", 8) == 0 && (path[8] == '/' || path[8] == 0)) {
        snprintf(buf, size, "%s%s", root, path + 8);
        return buf;
    }
    return path;
}

int __wrap_open(const char *path, int flags, ...) {
    char buf[4096];
    mode_t mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    return __real_open(map(path, buf, sizeof buf), flags, mode);
}

int __wrap_stat(const char *path, struct stat *st) {
    char buf[4096];
    return __real_stat(map(path, buf, sizeof buf), st);
}

int __wrap_unlink(const char *path) {
    char buf[4096];
    return __real_unlink(map(path, buf, sizeof buf));
}
