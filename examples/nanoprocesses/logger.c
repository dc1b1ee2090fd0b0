// The logger nanoprocess: may write to its own log directory (/logs) and
// nothing else. Exports `log: (string)` and `lines: () -> i32`, and
// `probe: (string) -> i32`, which tries to read a path and returns 0 on
// success or the errno (for the capability tests).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "common.h"

static int count;

__attribute__((export_name("log")))
void log_line(char *text, uint32_t len) {
    FILE *f = fopen("/logs/app.log", "a");
    if (f) {
        fprintf(f, "[%d] %.*s\n", ++count, (int)len, text);
        fclose(f);
    }
    free(text);
}

__attribute__((export_name("lines")))
int32_t lines(void) { return count; }

__attribute__((export_name("probe")))
int32_t probe(char *path, uint32_t len) {
    char buf[256];
    if (len >= sizeof buf) len = sizeof buf - 1;
    memcpy(buf, path, len);
    buf[len] = 0;
    free(path);
    int fd = open(buf, O_RDONLY);
    if (fd < 0) return errno;
    close(fd);
    return 0;
}

