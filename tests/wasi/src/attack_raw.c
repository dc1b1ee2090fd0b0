// ATTACK via raw WASI calls (bypassing wasi-libc's path resolution): path_open and friends on the
// preopen fd with "..", absolute paths, symlinks to outside, and rights that were never granted.
#include "common.h"
#include <wasi/api.h>
static __wasi_fd_t pre = 3; /* the only preopen (checked below) */
static void po(const char *path, __wasi_lookupflags_t lf, __wasi_oflags_t of, __wasi_rights_t rights) {
    __wasi_fd_t fd = (__wasi_fd_t)-1;
    __wasi_errno_t e = __wasi_path_open(pre, lf, path, of, rights, rights, 0, &fd);
    if (e) { printf("path_open \"%s\" lf=%d of=%d: wasi_errno=%d\n", path, lf, of, e); return; }
    char buf[64] = {0};
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
    __wasi_size_t n = 0;
    __wasi_errno_t re = __wasi_fd_read(fd, &iov, 1, &n);
    printf("path_open \"%s\" lf=%d of=%d: OPENED read_errno=%d n=%u secret_seen=%d\n", path, lf, of, re, (unsigned)n,
           strstr(buf, "SECRET") != NULL);
    (void)__wasi_fd_close(fd);
}
int main(void) {
    __wasi_prestat_t ps;
    char name[32] = {0};
    (void)__wasi_fd_prestat_get(pre, &ps);
    (void)__wasi_fd_prestat_dir_name(pre, (uint8_t *)name, ps.u.dir.pr_name_len < 31 ? ps.u.dir.pr_name_len : 31);
    printf("preopen fd3=%s\n", name);
    __wasi_rights_t R = __WASI_RIGHTS_FD_READ, W = __WASI_RIGHTS_FD_WRITE;
    po("hello.txt", 0, 0, R);
    po("../outside/secret.txt", 0, 0, R);
    po("..", 0, __WASI_OFLAGS_DIRECTORY, R);
    po("sub/../../outside/secret.txt", 0, 0, R);
    po("sub/../hello.txt", 0, 0, R);
    po("/etc/passwd", 0, 0, R);
    po("/sandbox/hello.txt", 0, 0, R);
    po("/", 0, __WASI_OFLAGS_DIRECTORY, R);
    po("../outside/evil.txt", 0, __WASI_OFLAGS_CREAT, W);
    po("", 0, 0, R);
    po(".", 0, __WASI_OFLAGS_DIRECTORY, R);
    po("hello.txt/", 0, 0, R);
    /* symlinks to outside, followed and not followed */
    printf("symlink_create esc: wasi_errno=%d\n", __wasi_path_symlink("../outside/secret.txt", pre, "esc"));
    printf("symlink_create absesc: wasi_errno=%d\n", __wasi_path_symlink("/etc/passwd", pre, "absesc"));
    po("esc", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0, R);
    po("esc", 0, 0, R);
    po("absesc", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0, R);
    __wasi_filestat_t fs;
    printf("path_filestat_get esc follow: wasi_errno=%d\n", __wasi_path_filestat_get(pre, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "esc", &fs));
    printf("path_filestat_get esc nofollow: wasi_errno=%d type_is_link=%d\n",
           __wasi_path_filestat_get(pre, 0, "esc", &fs), fs.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
    printf("path_filestat_get ../outside: wasi_errno=%d\n", __wasi_path_filestat_get(pre, 0, "../outside", &fs));
    printf("path_create_directory ../evil: wasi_errno=%d\n", __wasi_path_create_directory(pre, "../evil"));
    printf("path_unlink_file ../outside/secret.txt: wasi_errno=%d\n", __wasi_path_unlink_file(pre, "../outside/secret.txt"));
    printf("path_rename hello.txt -> ../moved: wasi_errno=%d\n", __wasi_path_rename(pre, "hello.txt", pre, "../moved"));
    printf("path_link ../outside/secret.txt -> hl: wasi_errno=%d\n", __wasi_path_link(pre, 0, "../outside/secret.txt", pre, "hl"));
    printf("path_link esc(follow) -> hl2: wasi_errno=%d\n", __wasi_path_link(pre, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "esc", pre, "hl2"));
    printf("path_remove_directory ..: wasi_errno=%d\n", __wasi_path_remove_directory(pre, ".."));
    char lbuf[64];
    __wasi_size_t ln = 0;
    printf("path_readlink ../outside: wasi_errno=%d\n", __wasi_path_readlink(pre, "../outside", (uint8_t *)lbuf, sizeof lbuf, &ln));
    /* path ops on non-directory fds */
    __wasi_fd_t f = (__wasi_fd_t)-1;
    printf("path_open on stdout fd: wasi_errno=%d\n", __wasi_path_open(1, 0, "x", 0, R, R, 0, &f));
    printf("path_open on fd 99: wasi_errno=%d\n", __wasi_path_open(99, 0, "x", 0, R, R, 0, &f));
    /* rights: a file opened read-only cannot be written, and rights cannot be escalated */
    __wasi_errno_t e = __wasi_path_open(pre, 0, "hello.txt", 0, R, R, 0, &f);
    printf("open hello.txt read-only rights: wasi_errno=%d\n", e);
    __wasi_ciovec_t civ = {(const uint8_t *)"pwn", 3};
    __wasi_size_t n = 0;
    printf("fd_write on read-only fd: wasi_errno=%d\n", __wasi_fd_write(f, &civ, 1, &n));
    (void)__wasi_fd_close(f);
    unlink("/sandbox/esc");
    unlink("/sandbox/absesc");
    return 0;
}
