// Writes interleaved to stdout and stderr; only stdout is compared. Also checks
// that write() on fd 1 and fd 2 reports the full byte count. stdout is flushed before raw
// writes so the order does not depend on whether the runtime's stdout looks like a tty.
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void) {
    printf("stdout line 1\n");
    fflush(stdout);
    fprintf(stderr, "stderr line 1\n");
    const char *m = "raw stderr write\n";
    ssize_t n = write(2, m, strlen(m));
    printf("stderr write returned %zd of %zu\n", n, strlen(m));
    fflush(stdout); /* stdout may be line- or fully-buffered depending on isatty(): flush before raw writes */
    n = write(1, "raw stdout write\n", 17);
    printf("stdout write returned %zd\n", n);
    fputs("stderr via fputs\n", stderr);
    printf("stdout line 2\n");
    return 0;
}
