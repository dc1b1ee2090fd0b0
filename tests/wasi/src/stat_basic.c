// stat/fstat/lstat: type, size, nlink, timestamps nonzero, fstat of stdio, stat errors.
#include "common.h"
static void show(const char *label, const struct stat *st) {
    printf("%s: reg=%d dir=%d lnk=%d size=%lld nlink_ge1=%d atime_nz=%d mtime_nz=%d ctime_nz=%d ino_nz=%d\n",
           label, S_ISREG(st->st_mode), S_ISDIR(st->st_mode), S_ISLNK(st->st_mode),
           S_ISDIR(st->st_mode) ? -1LL : (long long)st->st_size, st->st_nlink >= 1,
           st->st_atim.tv_sec != 0 || st->st_atim.tv_nsec != 0,
           st->st_mtim.tv_sec != 0 || st->st_mtim.tv_nsec != 0,
           st->st_ctim.tv_sec != 0 || st->st_ctim.tv_nsec != 0, st->st_ino != 0);
}
int main(void) {
    struct stat st, st2;
    if (OK("stat hello.txt", stat("/sandbox/hello.txt", &st)) == 0) show("hello.txt", &st);
    if (OK("stat sub", stat("/sandbox/sub", &st)) == 0) show("sub", &st);
    if (OK("stat /sandbox", stat("/sandbox", &st)) == 0) show("/sandbox", &st);
    OK("stat missing", stat("/sandbox/missing", &st));
    OK("stat through file", stat("/sandbox/hello.txt/x", &st));
    write_file("/sandbox/s.txt", "12345");
    int fd = open("/sandbox/s.txt", O_RDWR);
    if (OK("fstat s.txt", fstat(fd, &st)) == 0) show("s.txt", &st);
    write(fd, "6789", 4);
    lseek(fd, 0, SEEK_END);
    write(fd, "0", 1);
    fstat(fd, &st);
    printf("size after writes=%lld\n", (long long)st.st_size);
    stat("/sandbox/s.txt", &st2);
    printf("stat/fstat same ino=%d dev=%d\n", st.st_ino == st2.st_ino, st.st_dev == st2.st_dev);
    close(fd);
    OK("fstat closed fd", fstat(fd, &st));
    stat("/sandbox/hello.txt", &st2);
    printf("different files differ in ino=%d\n", st.st_ino != st2.st_ino);
    symlink("s.txt", "/sandbox/s.link");
    if (OK("lstat link", lstat("/sandbox/s.link", &st)) == 0) show("lstat s.link", &st);
    if (OK("stat link", stat("/sandbox/s.link", &st)) == 0) show("stat s.link", &st);
    if (OK("fstat stdout", fstat(1, &st)) == 0) printf("stdout is not dir=%d\n", !S_ISDIR(st.st_mode));
    /* the mtime of a freshly written file is close to "now" */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    stat("/sandbox/s.txt", &st);
    long long diff = (long long)now.tv_sec - (long long)st.st_mtim.tv_sec;
    printf("mtime_within_60s_of_now=%d\n", diff > -60 && diff < 60);
    return 0;
}
