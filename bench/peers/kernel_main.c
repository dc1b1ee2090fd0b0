// Native driver for the compute kernels: links one kernel's C source (built
// with gcc -O2, the same source as the wasm module) and calls its `run`.
// Prints one JSON line: the checksum and the time of `run` alone.
#include <stdio.h>
#include <time.h>

int run(void);

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void) {
    double t0 = now();
    int result = run();
    double t1 = now();
    printf("{\"result\": %d, \"total_s\": %.9f, \"load_s\": 0, \"run_s\": %.9f}\n", result, t1 - t0, t1 - t0);
    return 0;
}
