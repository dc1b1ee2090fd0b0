// lseek SEEK_SET/SEEK_CUR/SEEK_END, seeking past the end and writing (hole filled with zeros),
// negative seek (EINVAL), lseek on stdin/stdout is not tested (may be a pipe).
#include "common.h"
int main(void) {
    int fd = open("/sandbox/seek.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    OK("open", fd);
    VAL("write", write(fd, "0123456789", 10));
    VAL("lseek SET 3", lseek(fd, 3, SEEK_SET));
    char b[16] = {0};
    VAL("read 2", read(fd, b, 2));
    printf("data=\"%s\"\n", b);
    VAL("lseek CUR 0", lseek(fd, 0, SEEK_CUR));
    VAL("lseek CUR +2", lseek(fd, 2, SEEK_CUR));
    VAL("lseek CUR -4", lseek(fd, -4, SEEK_CUR));
    VAL("lseek END 0", lseek(fd, 0, SEEK_END));
    VAL("lseek END -1", lseek(fd, -1, SEEK_END));
    memset(b, 0, sizeof b);
    VAL("read 5 at END-1", read(fd, b, 5));
    printf("data=\"%s\"\n", b);
    VAL("lseek SET -1", lseek(fd, -1, SEEK_SET));
    VAL("offset after failed seek", lseek(fd, 0, SEEK_CUR));
    VAL("lseek SET 15 (past end)", lseek(fd, 15, SEEK_SET));
    VAL("write at 15", write(fd, "X", 1));
    struct stat st;
    fstat(fd, &st);
    printf("size=%lld\n", (long long)st.st_size);
    VAL("lseek SET 8", lseek(fd, 8, SEEK_SET));
    memset(b, 0x7f, sizeof b);
    ssize_t n = read(fd, b, sizeof b);
    printf("read=%zd bytes:", n);
    for (ssize_t i = 0; i < n; i++) printf(" %02x", (unsigned char)b[i]);
    printf("\n");
    close(fd);
    VAL("lseek closed fd", lseek(fd, 0, SEEK_SET));
    return 0;
}
