// The logger process: may write its own log directory (/logs) and nothing
// else. Exports the WIT interface demo:app/logger@0.1.0 (wit/app.wit)
// through the bindings of `wit-bindgen c --world demo:app/logger-process`;
// its files are reached through wasi-libc and the preview1 reactor adapter
// (WASI 0.2 underneath, with the grants of its manifest entry).
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "logger_process.h"

static uint32_t count;

// A NUL-terminated copy of a WIT string (which is not terminated).
static char *cstr(const logger_process_string_t *s) {
    char *c = malloc(s->len + 1);
    memcpy(c, s->ptr, s->len);
    c[s->len] = 0;
    return c;
}

void exports_demo_app_logger_log(logger_process_string_t *line) {
    FILE *f = fopen("/logs/app.log", "a");
    if (f) {
        fprintf(f, "[%u] %.*s\n", ++count, (int)line->len, (const char *)line->ptr);
        fclose(f);
    }
    logger_process_string_free(line);
}

uint32_t exports_demo_app_logger_lines(void) { return count; }

bool exports_demo_app_logger_probe(logger_process_string_t *path, logger_process_string_t *err) {
    char *p = cstr(path);
    logger_process_string_free(path);
    FILE *f = fopen(p, "w");
    int ok = f && fputs("probe\n", f) >= 0;
    int e = errno;
    if (f && fclose(f) != 0) ok = 0;
    free(p);
    if (ok) return true;
    // The error string is freed by the post-return function.
    logger_process_string_dup(err, strerror(e));
    return false;
}
