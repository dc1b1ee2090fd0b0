/* Shared helpers for the WASI conformance programs (not a test itself).
 * Everything printed must be deterministic: never print fd numbers,
 * timestamps, inode numbers or random bytes -- only derived facts. */
#ifndef NANOWASM_WASI_COMMON_H
#define NANOWASM_WASI_COMMON_H
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Print "label: ok" when rc >= 0, else "label: errno=N (message)". */
static inline int check_ok(const char *label, long rc) {
    if (rc < 0)
        printf("%s: errno=%d (%s)\n", label, errno, strerror(errno));
    else
        printf("%s: ok\n", label);
    return rc < 0 ? -1 : 0;
}
/* Print the actual return value (for sizes/offsets), or errno on failure. */
static inline long check_val(const char *label, long rc) {
    if (rc < 0)
        printf("%s: errno=%d (%s)\n", label, errno, strerror(errno));
    else
        printf("%s: %ld\n", label, rc);
    return rc;
}
#define OK(label, expr) (errno = 0, check_ok((label), (long)(expr)))
#define VAL(label, expr) (errno = 0, check_val((label), (long)(expr)))

/* Write a whole string to a path (O_CREAT|O_TRUNC). Returns 0 or -1. */
static inline int write_file(const char *path, const char *s) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    size_t n = strlen(s);
    ssize_t w = write(fd, s, n);
    close(fd);
    return w == (ssize_t)n ? 0 : -1;
}

/* Print the contents of a file, escaped, as: label: "content". */
static inline void show_file(const char *label, const char *path) {
    char buf[512];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%s: open errno=%d (%s)\n", label, errno, strerror(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n < 0) {
        printf("%s: read errno=%d (%s)\n", label, errno, strerror(errno));
        return;
    }
    printf("%s: \"", label);
    for (ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\n') printf("\\n");
        else if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 32 || c > 126) printf("\\x%02x", c);
        else putchar(c);
    }
    printf("\" (%zd bytes)\n", n);
}
#endif
