// The parser process, a wasi:cli/command (its `_start` runs through the
// preview1 command adapter's wasi:cli/run): reads every file of /data (its own
// read-only directory), and for every line logs its word count through the
// logger and its compressed size through the compressor, both other
// processes reached through the WIT interfaces of wit/app.wit (bindings of
// `wit-bindgen c --world demo:app/parser-process`). It cannot touch /logs;
// the logger cannot read /data; the compressor has no directory at all.
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parser_process.h"

static void log_line(const char *s) {
    parser_process_string_t line;
    parser_process_string_set(&line, s); // borrowed: the callee copies it
    demo_app_logger_log(&line);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int parse(void) {
    // The files of /data, sorted.
    DIR *d = opendir("/data");
    if (!d) { perror("parser: /data"); return 1; }
    char *names[64];
    int nfiles = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nfiles < 64)
        if (e->d_name[0] != '.') names[nfiles++] = strdup(e->d_name);
    closedir(d);
    qsort(names, nfiles, sizeof *names, by_name);

    char line[1024], msg[1300], path[300];
    int n = 0, words_total = 0, roundtrips_ok = 1;
    size_t bytes_total = 0, compressed_total = 0;
    for (int k = 0; k < nfiles; k++) {
        snprintf(path, sizeof path, "/data/%s", names[k]);
        FILE *f = fopen(path, "r");
        if (!f) { perror(path); return 1; }
        int in_file = 0;
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
            // A list<u8> in, a record { bytes: list<u8>, ratio: f32 } out.
            parser_process_list_u8_t data = {(uint8_t *)line, len};
            demo_app_compressor_compressed_t z;
            demo_app_compressor_compress(&data, &z);
            parser_process_list_u8_t back;
            demo_app_compressor_decompress(&z.bytes, &back);
            if (back.len != len || memcmp(back.ptr, line, len) != 0) roundtrips_ok = 0;
            parser_process_list_u8_free(&back);
            bytes_total += len;
            compressed_total += z.bytes.len;
            n++;
            snprintf(msg, sizeof msg, "%s:%d: %d words, %zu bytes, %zu compressed (ratio %.2f)",
                     names[k], ++in_file, words, len, z.bytes.len, (double)z.ratio);
            demo_app_compressor_compressed_free(&z);
            log_line(msg);
        }
        fclose(f);
        free(names[k]);
    }

    // What the parser cannot do: read the logger's directory, or write its own.
    FILE *logs = fopen("/logs/app.log", "r");
    FILE *data = fopen("/data/parser-was-here.txt", "w");
    snprintf(msg, sizeof msg,
             "parser: %d files, %d lines, %d words, %zu bytes -> %zu compressed (round trips %s); "
             "/logs is %s to the parser; /data is %s",
             nfiles, n, words_total, bytes_total, compressed_total, roundtrips_ok ? "ok" : "FAILED",
             logs ? "READABLE (bug)" : "not reachable", data ? "WRITABLE (bug)" : "read-only");
    if (logs) fclose(logs);
    if (data) fclose(data);
    log_line(msg);
    printf("%s\n", msg);
    printf("parser: the logger has written %u lines\n", demo_app_logger_lines());
    fflush(stdout); // no exit() when the status is 0: nothing else flushes it
    return roundtrips_ok && !logs && !data ? 0 : 1;
}

// Built as a reactor (-mexec-model=reactor) with its own `_start`, not as a
// C command: wasm-ld wraps every export of a command in the constructors
// (wasi-libc's among them, which call WASI), and the canonical ABI calls the
// export `cabi_realloc` while the instance may not call out. The component
// runs `_initialize` (the constructors) once, when it is instantiated; the
// adapter's wasi:cli/run calls `_start`.
__attribute__((export_name("_start")))
void start(void) {
    int status = parse();
    if (status) exit(status);
}
