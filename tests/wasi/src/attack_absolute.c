// ATTACK: absolute paths outside any preopen, and absolute paths that climb out of /sandbox.
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
    try_open("/etc/passwd", O_RDONLY);
    try_open("/etc/hostname", O_RDONLY);
    try_open("/", O_RDONLY);
    try_open("/tmp/x.txt", O_WRONLY | O_CREAT);
    try_open("/sandbox/../../outside/secret.txt", O_RDONLY);
    try_open("/sandbox/../outside/secret.txt", O_RDONLY);
    try_open("/outside/secret.txt", O_RDONLY);
    try_open("/sandboxx/hello.txt", O_RDONLY);
    try_open("//etc/passwd", O_RDONLY);
    try_open("/proc/self/environ", O_RDONLY);
    try_open("/dev/null", O_RDONLY);
    struct stat st;
    OK("stat /etc", stat("/etc", &st));
    OK("stat /", stat("/", &st));
    OK("mkdir /evil", mkdir("/evil", 0755));
    OK("unlink /etc/passwd", unlink("/etc/passwd"));
    OK("rename /sandbox/hello.txt -> /tmp/stolen", rename("/sandbox/hello.txt", "/tmp/stolen"));
    OK("opendir /", opendir("/") ? 0 : -1);
    OK("chdir /etc", chdir("/etc"));
    try_open("passwd", O_RDONLY);
    show_file("/sandbox/hello.txt (allowed)", "/sandbox/hello.txt");
    show_file("/sandbox//sub/./nested.txt (allowed)", "/sandbox//sub/./nested.txt");
    return 0;
}
