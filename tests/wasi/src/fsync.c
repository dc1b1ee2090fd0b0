// fsync / fdatasync on a written file, on a read-only fd, on a directory fd, on a closed fd.
#include "common.h"
int main(void) {
    int fd = open("/sandbox/sync.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, "durable\n", 8);
    OK("fsync", fsync(fd));
    OK("fdatasync", fdatasync(fd));
    close(fd);
    fd = open("/sandbox/hello.txt", O_RDONLY);
    int rc = fsync(fd);
    printf("fsync on O_RDONLY fd: ok_or_ebadf_or_einval=%d\n", rc == 0 || errno == EBADF || errno == EINVAL);
    close(fd);
    OK("fsync closed fd", fsync(fd));
    OK("fdatasync closed fd", fdatasync(fd));
    show_file("sync.txt", "/sandbox/sync.txt");
    return 0;
}
