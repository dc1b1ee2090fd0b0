// Enumerate preopened directories with fd_prestat_get / fd_prestat_dir_name (fds 3..),
// and fd_prestat_get on stdio (must fail with EBADF).
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>
int main(void) {
    int count = 0;
    for (int fd = 3; fd < 64; fd++) {
        __wasi_prestat_t ps;
        __wasi_errno_t e = __wasi_fd_prestat_get(fd, &ps);
        if (e == __WASI_ERRNO_BADF) break;
        if (e) { printf("fd %d: prestat errno=%d\n", fd, e); continue; }
        char name[256] = {0};
        size_t len = ps.u.dir.pr_name_len;
        e = __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, len < 255 ? len : 255);
        printf("preopen #%d: tag=%d name_len=%zu name=\"%s\" errno=%d\n", count, ps.tag, len, name, e);
        count++;
    }
    printf("preopens=%d\n", count);
    for (int fd = 0; fd < 3; fd++) {
        __wasi_prestat_t ps;
        printf("prestat fd %d: errno=%d\n", fd, __wasi_fd_prestat_get(fd, &ps));
    }
    return 0;
}
