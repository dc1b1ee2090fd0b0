// WASI-bound: 200,000 write() calls of a fixed 40-byte line to stdout (no
// formatting, so the time is the host call path, not guest code).
#include <unistd.h>

int main(void) {
    static const char line[] = "a fixed line for the stdout benchmark..\n";
    for (int i = 0; i < 200000; i++) {
        if (write(1, line, sizeof line - 1) != (ssize_t)(sizeof line - 1)) return 1;
    }
    return 0;
}
