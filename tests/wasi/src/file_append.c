// O_APPEND: every write goes to the end even after lseek; the fd offset follows.
#include "common.h"
int main(void) {
    write_file("/sandbox/log.txt", "first\n");
    int fd = open("/sandbox/log.txt", O_WRONLY | O_APPEND);
    OK("open O_APPEND", fd);
    VAL("write", write(fd, "second\n", 7));
    VAL("lseek SET 0", lseek(fd, 0, SEEK_SET));
    VAL("write after seek", write(fd, "third\n", 6));
    VAL("offset", lseek(fd, 0, SEEK_CUR));
    int fl = fcntl(fd, F_GETFL);
    printf("F_GETFL has O_APPEND=%d\n", (fl & O_APPEND) != 0);
    close(fd);
    show_file("log.txt", "/sandbox/log.txt");
    /* stdio "a" mode */
    FILE *f = fopen("/sandbox/log.txt", "a");
    fputs("fourth\n", f);
    fclose(f);
    f = fopen("/sandbox/log.txt", "a+");
    fseek(f, 0, SEEK_SET);
    char line[32];
    fgets(line, sizeof line, f);
    printf("a+ first line: %s", line);
    fputs("fifth\n", f);
    fclose(f);
    show_file("log.txt", "/sandbox/log.txt");
    /* create via O_APPEND|O_CREAT */
    fd = open("/sandbox/new_append.txt", O_WRONLY | O_APPEND | O_CREAT, 0644);
    OK("open O_APPEND|O_CREAT", fd);
    write(fd, "a", 1);
    write(fd, "b", 1);
    close(fd);
    show_file("new_append.txt", "/sandbox/new_append.txt");
    return 0;
}
