// dir: none
// ATTACK: no directory is preopened at all. Every filesystem access must fail.
#include "common.h"
#include <dirent.h>
#include <wasi/api.h>
int main(void) {
    __wasi_prestat_t ps;
    printf("prestat fd 3: wasi_errno=%d\n", __wasi_fd_prestat_get(3, &ps));
    const char *paths[] = {"/sandbox/hello.txt", "hello.txt", "/", ".", "/etc/passwd", "../outside/secret.txt", "/sandbox/../outside/secret.txt"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        errno = 0;
        int fd = open(paths[i], O_RDONLY);
        if (fd < 0) printf("open %s: errno=%d (%s)\n", paths[i], errno, strerror(errno));
        else { printf("open %s: OPENED (escape!)\n", paths[i]); close(fd); }
    }
    OK("create /sandbox/new.txt", open("/sandbox/new.txt", O_WRONLY | O_CREAT, 0644));
    OK("create new.txt", open("new.txt", O_WRONLY | O_CREAT, 0644));
    struct stat st;
    OK("stat /sandbox", stat("/sandbox", &st));
    OK("mkdir /sandbox/d", mkdir("/sandbox/d", 0755));
    OK("unlink /sandbox/hello.txt", unlink("/sandbox/hello.txt"));
    OK("opendir /", opendir("/") ? 0 : -1);
    OK("chdir /sandbox", chdir("/sandbox"));
    /* raw path_open on fd 3 (not a preopen / not open) */
    __wasi_fd_t fd;
    printf("raw path_open(3, hello.txt): wasi_errno=%d\n",
           __wasi_path_open(3, 0, "hello.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    printf("stdout still works\n");
    return 0;
}
