// stdin: bytes.txt
// Counts bytes, newlines and a simple checksum of stdin using raw read() on fd 0
// with a small odd-sized buffer (exercises many fd_read calls).
#include <stdio.h>
#include <unistd.h>
int main(void) {
    unsigned char buf[37];
    unsigned long total = 0, lines = 0, sum = 0, reads = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        reads++;
        for (ssize_t i = 0; i < n; i++) {
            sum = (sum * 31 + buf[i]) % 1000000007UL;
            if (buf[i] == '\n') lines++;
        }
        total += (unsigned long)n;
    }
    printf("bytes=%lu\nnewlines=%lu\nchecksum=%lu\nlast_read=%zd\nreads_nonzero=%d\n", total, lines, sum, n, reads > 0);
    return 0;
}
