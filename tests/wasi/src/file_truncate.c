// ftruncate shrink/grow (zero fill), truncate() by path, O_TRUNC on open, offset unaffected.
#include "common.h"
static void size_of(const char *p) {
    struct stat st;
    if (stat(p, &st) == 0) printf("size(%s)=%lld\n", p, (long long)st.st_size);
    else printf("stat(%s) errno=%d\n", p, errno);
}
int main(void) {
    write_file("/sandbox/t.txt", "abcdefghij");
    int fd = open("/sandbox/t.txt", O_RDWR);
    OK("open", fd);
    VAL("lseek END", lseek(fd, 0, SEEK_END));
    OK("ftruncate 4", ftruncate(fd, 4));
    size_of("/sandbox/t.txt");
    VAL("offset unchanged", lseek(fd, 0, SEEK_CUR));
    OK("ftruncate 8 (grow)", ftruncate(fd, 8));
    size_of("/sandbox/t.txt");
    char b[16];
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, b, sizeof b);
    printf("read=%zd:", n);
    for (ssize_t i = 0; i < n; i++) printf(" %02x", (unsigned char)b[i]);
    printf("\n");
    OK("ftruncate -1", ftruncate(fd, -1));
    close(fd);
    fd = open("/sandbox/t.txt", O_RDONLY);
    OK("ftruncate on O_RDONLY fd", ftruncate(fd, 0));
    close(fd);
    OK("truncate path 2", truncate("/sandbox/t.txt", 2));
    show_file("t.txt", "/sandbox/t.txt");
    OK("truncate missing", truncate("/sandbox/nope.txt", 0));
    OK("truncate dir", truncate("/sandbox/sub", 0));
    write_file("/sandbox/t2.txt", "will be truncated");
    fd = open("/sandbox/t2.txt", O_WRONLY | O_TRUNC);
    OK("open O_TRUNC", fd);
    close(fd);
    size_of("/sandbox/t2.txt");
    return 0;
}
