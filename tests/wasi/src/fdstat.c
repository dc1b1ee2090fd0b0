// fd_fdstat_get / fd_fdstat_set_flags through fcntl(F_GETFL/F_SETFL) and raw __wasi_fd_fdstat_get:
// access modes, O_APPEND, O_NONBLOCK, filetypes of stdio/preopen/file/dir.
#include "common.h"
#include <wasi/api.h>
static void flags(const char *label, int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) { printf("%s: F_GETFL errno=%d (%s)\n", label, errno, strerror(errno)); return; }
    int acc = fl & O_ACCMODE;
    printf("%s: acc=%s append=%d nonblock=%d\n", label,
           acc == O_RDONLY ? "RDONLY" : acc == O_WRONLY ? "WRONLY" : acc == O_RDWR ? "RDWR" : acc == O_EXEC ? "EXEC" : acc == O_SEARCH ? "SEARCH" : "other",
           (fl & O_APPEND) != 0, (fl & O_NONBLOCK) != 0);
}
static const char *ftype(int t) {
    switch (t) {
    case __WASI_FILETYPE_REGULAR_FILE: return "regular_file";
    case __WASI_FILETYPE_DIRECTORY: return "directory";
    case __WASI_FILETYPE_CHARACTER_DEVICE: return "character_device";
    case __WASI_FILETYPE_BLOCK_DEVICE: return "block_device";
    case __WASI_FILETYPE_SOCKET_STREAM: return "socket_stream";
    case __WASI_FILETYPE_SYMBOLIC_LINK: return "symbolic_link";
    default: return "unknown";
    }
}
static void raw(const char *label, int fd) {
    __wasi_fdstat_t st;
    __wasi_errno_t e = __wasi_fd_fdstat_get(fd, &st);
    if (e) { printf("%s: fdstat wasi_errno=%d\n", label, e); return; }
    printf("%s: filetype=%s fdflags=%d read_right=%d write_right=%d seek_right=%d\n", label, ftype(st.fs_filetype),
           st.fs_flags, (st.fs_rights_base & __WASI_RIGHTS_FD_READ) != 0, (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0,
           (st.fs_rights_base & __WASI_RIGHTS_FD_SEEK) != 0);
}
int main(void) {
    int r = open("/sandbox/hello.txt", O_RDONLY);
    int w = open("/sandbox/w.txt", O_WRONLY | O_CREAT, 0644);
    int rw = open("/sandbox/rw.txt", O_RDWR | O_CREAT | O_APPEND, 0644);
    int d = open("/sandbox/sub", O_RDONLY | O_DIRECTORY);
    flags("rdonly", r);
    flags("wronly", w);
    flags("rdwr|append", rw);
    raw("rdonly", r);
    raw("wronly", w);
    raw("rdwr|append", rw);
    raw("dir", d);
    raw("preopen fd 3", 3);
    OK("F_SETFL O_APPEND on wronly", fcntl(w, F_SETFL, O_APPEND));
    flags("wronly after set", w);
    OK("F_SETFL 0 on rdwr|append", fcntl(rw, F_SETFL, 0));
    flags("rdwr after clear", rw);
    OK("F_SETFL O_NONBLOCK on rdonly", fcntl(r, F_SETFL, O_NONBLOCK));
    flags("rdonly after nonblock", r);
    printf("F_GETFD: %d\n", fcntl(r, F_GETFD));
    close(r);
    flags("closed", r);
    raw("closed", r);
    raw("fd 1000", 1000);
    return 0;
}
