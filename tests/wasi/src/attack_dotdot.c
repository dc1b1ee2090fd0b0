// ATTACK: escape the preopen with "..". The host layout has ../outside/secret.txt next to the
// sandbox. Every attempt must fail; the secret must never be printed.
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
int main(void) {
    try_open("/sandbox/../outside/secret.txt", O_RDONLY);
    try_open("/sandbox/sub/../../outside/secret.txt", O_RDONLY);
    try_open("/sandbox/./../outside/secret.txt", O_RDONLY);
    try_open("/sandbox/..", O_RDONLY);
    try_open("/sandbox/sub/../../../../../../etc/passwd", O_RDONLY);
    try_open("/sandbox/../sandbox/hello.txt", O_RDONLY);
    try_open("/sandbox/../outside/new.txt", O_WRONLY | O_CREAT);
    OK("chdir /sandbox", chdir("/sandbox"));
    try_open("../outside/secret.txt", O_RDONLY);
    try_open("sub/../../outside/secret.txt", O_RDONLY);
    struct stat st;
    OK("stat ../outside/secret.txt", stat("../outside/secret.txt", &st));
    OK("stat ..", stat("..", &st));
    OK("mkdir ../evil", mkdir("../evil", 0755));
    OK("unlink ../outside/secret.txt", unlink("../outside/secret.txt"));
    OK("rename hello.txt -> ../stolen.txt", rename("hello.txt", "../stolen.txt"));
    OK("rename ../outside/secret.txt -> got.txt", rename("../outside/secret.txt", "got.txt"));
    OK("link ../outside/secret.txt -> got2.txt", link("../outside/secret.txt", "got2.txt"));
    OK("symlink target ok but path ../evil.lnk", symlink("hello.txt", "../evil.lnk"));
    OK("opendir ..", opendir("..") ? 0 : -1);
    show_file("hello.txt still readable", "hello.txt");
    return 0;
}
