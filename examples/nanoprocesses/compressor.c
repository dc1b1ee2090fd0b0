// The compressor nanoprocess: pure computation, no capabilities at all.
// Exports `compress: (bytes) -> bytes`, a run-length encoding
// (count, byte) pairs, and `decompress: (bytes) -> bytes`.
#include "common.h"

__attribute__((export_name("compress")))
int64_t compress(const uint8_t *in, uint32_t len) {
    uint8_t *out = malloc(2 * (size_t)len + 1);
    uint32_t n = 0;
    for (uint32_t i = 0; i < len;) {
        uint32_t run = 1;
        while (i + run < len && in[i + run] == in[i] && run < 255) run++;
        out[n++] = (uint8_t)run;
        out[n++] = in[i];
        i += run;
    }
    free((void *)in);
    return pack(out, n);
}

__attribute__((export_name("decompress")))
int64_t decompress(const uint8_t *in, uint32_t len) {
    uint32_t total = 0;
    for (uint32_t i = 0; i + 1 < len; i += 2) total += in[i];
    uint8_t *out = malloc(total + 1);
    uint32_t n = 0;
    for (uint32_t i = 0; i + 1 < len; i += 2)
        for (uint32_t k = 0; k < in[i]; k++) out[n++] = in[i + 1];
    free((void *)in);
    return pack(out, n);
}

// Faults on purpose, for the containment tests: 0 traps, 1 recurses
// forever, 2 loops forever, 3 allocates until memory runs out.
static void *volatile kept;
static int32_t recurse(int32_t n);
// Called through a volatile pointer so the recursion stays a recursion
// (and uses no linear-memory stack: the wasm call stack runs out first).
static int32_t (*volatile again)(int32_t) = recurse;
static int32_t recurse(int32_t n) { return again(n + 1) * 3 + 1; }

__attribute__((export_name("misbehave")))
int32_t misbehave(int32_t how) {
    volatile int32_t sink = 0;
    switch (how) {
    case 0: __builtin_trap();
    case 1: return again(how);
    case 2: for (;;) sink++;
    case 3:
        for (;;) {
            char *p = malloc(1 << 20);
            if (!p) __builtin_trap();
            kept = p; // escapes: the allocation cannot be optimized away
        }
    }
    return sink;
}

