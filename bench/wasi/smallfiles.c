// WASI-heavy: many small file operations. Creates 100 files of 1 KiB in
// /sandbox, then opens, reads and closes each of them 200 times (20,000
// open/read/close), stats each, and prints a checksum.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    char name[64], buf[1024];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "/sandbox/f%03d.txt", i);
        int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) return 1;
        for (int j = 0; j < 1024; j++) buf[j] = (char)('a' + (i + j) % 26);
        if (write(fd, buf, sizeof buf) != sizeof buf) return 2;
        close(fd);
    }
    unsigned long sum = 0;
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 100; i++) {
            snprintf(name, sizeof name, "/sandbox/f%03d.txt", i);
            int fd = open(name, O_RDONLY);
            if (fd < 0) return 3;
            ssize_t n = read(fd, buf, sizeof buf);
            close(fd);
            if (n != sizeof buf) return 4;
            sum = sum * 31 + (unsigned char)buf[round % 1024];
        }
    }
    struct stat st;
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "/sandbox/f%03d.txt", i);
        if (stat(name, &st) != 0 || st.st_size != 1024) return 5;
        unlink(name);
    }
    printf("checksum %lu\n", sum);
    return 0;
}
