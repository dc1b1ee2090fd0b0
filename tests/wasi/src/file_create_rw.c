// Create a file, write, close, reopen, read back; O_EXCL on an existing file; read the
// host-provided files.
#include "common.h"
int main(void) {
    show_file("hello.txt", "/sandbox/hello.txt");
    show_file("sub/nested.txt", "/sandbox/sub/nested.txt");
    int fd = open("/sandbox/new.txt", O_WRONLY | O_CREAT | O_EXCL, 0644);
    OK("create new.txt", fd);
    VAL("write", write(fd, "line one\n", 9));
    VAL("write", write(fd, "line two\n", 9));
    OK("close", close(fd));
    show_file("new.txt", "/sandbox/new.txt");
    OK("O_EXCL on existing", open("/sandbox/new.txt", O_WRONLY | O_CREAT | O_EXCL, 0644));
    OK("open missing without O_CREAT", open("/sandbox/missing.txt", O_RDONLY));
    fd = open("/sandbox/new.txt", O_RDWR);
    OK("reopen O_RDWR", fd);
    char buf[64] = {0};
    VAL("read 4", read(fd, buf, 4));
    printf("got \"%s\"\n", buf);
    VAL("write over", write(fd, "ONE", 3));
    OK("close", close(fd));
    show_file("new.txt after overwrite", "/sandbox/new.txt");
    fd = open("/sandbox/new.txt", O_RDONLY);
    VAL("write to O_RDONLY fd", write(fd, "x", 1));
    VAL("read to end", read(fd, buf, sizeof buf));
    VAL("read at eof", read(fd, buf, sizeof buf));
    close(fd);
    fd = open("/sandbox/wo.txt", O_WRONLY | O_CREAT, 0644);
    VAL("read from O_WRONLY fd", read(fd, buf, 1));
    close(fd);
    /* fopen/fprintf/fgets path through stdio */
    FILE *f = fopen("/sandbox/stdio.txt", "w");
    printf("fopen w: %s\n", f ? "ok" : strerror(errno));
    fprintf(f, "%d %s\n", 12345, "via stdio");
    fclose(f);
    f = fopen("/sandbox/stdio.txt", "r");
    if (f && fgets(buf, sizeof buf, f)) printf("fgets: %s", buf);
    if (f) fclose(f);
    return 0;
}
