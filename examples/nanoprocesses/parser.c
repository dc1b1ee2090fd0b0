// The parser nanoprocess (the entry, export `run`): reads /data/input.txt
// (its own read-only directory), and for every line logs its word count
// through the logger and its compressed size through the compressor. It
// cannot touch /logs; the logger cannot read /data. Like the others it is
// a WASI reactor: a command's exports would re-run its constructors on
// every call, including the host's calls to `cabi_realloc`.
#include <stdio.h>
#include <string.h>
#include "common.h"

__attribute__((import_module("logger"), import_name("log")))
void logger_log(const char *text, uint32_t len);
__attribute__((import_module("compressor"), import_name("compress")))
int64_t compressor_compress(const uint8_t *data, uint32_t len);

static void logf_line(const char *s) { logger_log(s, (uint32_t)strlen(s)); }

__attribute__((export_name("run")))
void run(void) {
    FILE *f = fopen("/data/input.txt", "r");
    if (!f) { perror("parser: /data/input.txt"); exit(1); }
    char line[1024], msg[1200];
    int n = 0, words_total = 0;
    while (fgets(line, sizeof line, f)) {
        size_t len = strcspn(line, "\n");
        line[len] = 0;
        int words = 0, in = 0;
        for (size_t i = 0; i < len; i++) {
            int sp = line[i] == ' ' || line[i] == '\t';
            if (!sp && !in) words++;
            in = !sp;
        }
        words_total += words;
        int64_t packed = compressor_compress((const uint8_t *)line, (uint32_t)len);
        uint8_t *z = (uint8_t *)(uintptr_t)(uint32_t)packed;
        uint32_t zlen = (uint32_t)(packed >> 32);
        free(z);
        snprintf(msg, sizeof msg, "line %d: %d words, %zu bytes, %u compressed", ++n, words, len, zlen);
        logf_line(msg);
    }
    fclose(f);
    FILE *escape = fopen("/logs/app.log", "a");
    snprintf(msg, sizeof msg, "parser: %d lines, %d words; /logs is %s to the parser", n, words_total,
             escape ? "WRITABLE (bug)" : "not reachable");
    if (escape) fclose(escape);
    logf_line(msg);
    printf("%s\n", msg);
    fflush(stdout);
}
