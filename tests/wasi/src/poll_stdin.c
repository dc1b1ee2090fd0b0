// stdin: lines.txt
// poll() on stdin (a file here) must report it readable immediately, then read it all.
#include <poll.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
    struct pollfd p = {.fd = 0, .events = POLLIN};
    int rc = poll(&p, 1, 1000);
    printf("poll_rc=%d pollin=%d\n", rc, (p.revents & POLLIN) != 0);
    char buf[4096];
    ssize_t total = 0, n;
    while ((n = read(0, buf, sizeof buf)) > 0) total += n;
    printf("read_total=%zd\n", total);
    return 0;
}
