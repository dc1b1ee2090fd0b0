// WASI-heavy: 200,000 small writes to stdout, one fd_write each.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    char line[64];
    for (int i = 0; i < 200000; i++) {
        int n = snprintf(line, sizeof line, "line %d of the stdout benchmark\n", i);
        if (write(1, line, n) != n) return 1;
    }
    return 0;
}
