// ATTACK: symlinks created by the guest that point outside the sandbox ("../outside", absolute
// "/etc", "/sandbox/../outside/secret.txt"). Following them must fail; stat/readlink/unlink of the
// link itself are fine (the link lives inside), but nothing outside may be read or modified.
#include "common.h"
#include <dirent.h>
static void try_open(const char *p, int flags) {
    errno = 0;
    int fd = open(p, flags, 0644);
    if (fd < 0) { printf("open %s: errno=%d (%s)\n", p, errno, strerror(errno)); return; }
    char buf[64] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf("open %s: OPENED (escape!) read=%zd secret_seen=%d\n", p, n, strstr(buf, "SECRET") != NULL);
    close(fd);
}
static void rl(const char *p) {
    char buf[256];
    errno = 0;
    ssize_t n = readlink(p, buf, sizeof buf);
    if (n < 0) printf("readlink %s: errno=%d (%s)\n", p, errno, strerror(errno));
    else printf("readlink %s: \"%.*s\"\n", p, (int)n, buf);
}
int main(void) {
    struct stat st;
    OK("symlink out -> ../outside", symlink("../outside", "/sandbox/out"));
    OK("symlink etc -> /etc", symlink("/etc", "/sandbox/etc"));
    OK("symlink sec -> ../outside/secret.txt", symlink("../outside/secret.txt", "/sandbox/sec"));
    OK("symlink abs -> /sandbox/../outside/secret.txt", symlink("/sandbox/../outside/secret.txt", "/sandbox/abs"));
    OK("symlink deep -> sub/../../outside", symlink("sub/../../outside", "/sandbox/deep"));
    OK("symlink sub/up2 -> ../../outside/secret.txt", symlink("../../outside/secret.txt", "/sandbox/sub/up2"));
    try_open("/sandbox/out/secret.txt", O_RDONLY);
    try_open("/sandbox/etc/passwd", O_RDONLY);
    try_open("/sandbox/sec", O_RDONLY);
    try_open("/sandbox/abs", O_RDONLY);
    try_open("/sandbox/deep/secret.txt", O_RDONLY);
    try_open("/sandbox/sub/up2", O_RDONLY);
    try_open("/sandbox/out/new.txt", O_WRONLY | O_CREAT);
    try_open("/sandbox/sec", O_WRONLY | O_TRUNC);
    OK("stat through out", stat("/sandbox/out/secret.txt", &st));
    OK("stat sec (follows)", stat("/sandbox/sec", &st));
    OK("lstat sec (the link itself)", lstat("/sandbox/sec", &st));
    printf("lstat sec is link=%d\n", S_ISLNK(st.st_mode));
    rl("/sandbox/out");
    rl("/sandbox/sec");
    rl("/sandbox/etc");
    OK("mkdir through out", mkdir("/sandbox/out/evil", 0755));
    OK("unlink through out", unlink("/sandbox/out/secret.txt"));
    OK("rename through out", rename("/sandbox/out/secret.txt", "/sandbox/stolen.txt"));
    OK("link through sec", link("/sandbox/sec", "/sandbox/hard"));
    OK("opendir out", opendir("/sandbox/out") ? 0 : -1);
    OK("chdir out", chdir("/sandbox/out"));
    OK("truncate through sec", truncate("/sandbox/sec", 0));
    struct timespec ts[2] = {{1, 0}, {1, 0}};
    OK("utimensat through sec", utimensat(AT_FDCWD, "/sandbox/sec", ts, 0));
    OK("unlink sec (the link)", unlink("/sandbox/sec"));
    OK("unlink out (the link)", unlink("/sandbox/out"));
    OK("lstat sec after unlink", lstat("/sandbox/sec", &st));
    show_file("hello.txt still fine", "/sandbox/hello.txt");
    return 0;
}
