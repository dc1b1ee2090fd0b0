// Raw WASI fd_renumber: move an open file onto another open fd; the old fd becomes invalid,
// renumbering onto a closed fd fails with EBADF.
#include "common.h"
#include <wasi/api.h>
int main(void) {
    int a = open("/sandbox/hello.txt", O_RDONLY);
    write_file("/sandbox/other.txt", "other file\n");
    int b = open("/sandbox/other.txt", O_RDONLY);
    printf("opened=%d distinct=%d\n", a >= 0 && b >= 0, a != b);
    __wasi_errno_t e = __wasi_fd_renumber(a, b);
    printf("renumber a->b: wasi_errno=%d\n", e);
    char buf[64] = {0};
    ssize_t n = read(b, buf, sizeof buf - 1);
    printf("read via b: n=%zd data=%s", n, n > 0 ? buf : "\n");
    OK("read via old a", read(a, buf, 1));
    e = __wasi_fd_renumber(a, b);
    printf("renumber closed->open: wasi_errno=%d\n", e);
    e = __wasi_fd_renumber(b, 1000);
    printf("renumber onto unopened fd 1000: wasi_errno=%d\n", e);
    n = read(b, buf, 1);
    printf("b still usable: n=%zd\n", n);
    e = __wasi_fd_renumber(b, b);
    printf("renumber b->b: wasi_errno=%d\n", e);
    close(b);
    return 0;
}
