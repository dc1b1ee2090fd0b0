// dir: ro
// ATTACK: /sandbox is preopened read-only. Reading works; every write, create, truncate,
// unlink, mkdir, rmdir, rename, symlink, link and timestamp change must fail.
#include "common.h"
int main(void) {
    show_file("read hello.txt", "/sandbox/hello.txt");
    show_file("read sub/nested.txt", "/sandbox/sub/nested.txt");
    struct stat st;
    OK("stat hello.txt", stat("/sandbox/hello.txt", &st));
    OK("open hello.txt O_WRONLY", open("/sandbox/hello.txt", O_WRONLY));
    OK("open hello.txt O_RDWR", open("/sandbox/hello.txt", O_RDWR));
    OK("open hello.txt O_APPEND", open("/sandbox/hello.txt", O_WRONLY | O_APPEND));
    OK("open hello.txt O_TRUNC", open("/sandbox/hello.txt", O_RDONLY | O_TRUNC));
    OK("create new.txt", open("/sandbox/new.txt", O_WRONLY | O_CREAT, 0644));
    OK("create new.txt O_RDONLY|O_CREAT", open("/sandbox/new.txt", O_RDONLY | O_CREAT, 0644));
    OK("create sub/new.txt", open("/sandbox/sub/new.txt", O_WRONLY | O_CREAT, 0644));
    OK("truncate hello.txt", truncate("/sandbox/hello.txt", 0));
    OK("unlink hello.txt", unlink("/sandbox/hello.txt"));
    OK("unlink sub/nested.txt", unlink("/sandbox/sub/nested.txt"));
    OK("mkdir newdir", mkdir("/sandbox/newdir", 0755));
    OK("rmdir sub", rmdir("/sandbox/sub"));
    OK("rename hello.txt", rename("/sandbox/hello.txt", "/sandbox/moved.txt"));
    OK("symlink", symlink("hello.txt", "/sandbox/link"));
    OK("link", link("/sandbox/hello.txt", "/sandbox/hard.txt"));
    struct timespec ts[2] = {{1, 0}, {1, 0}};
    OK("utimensat", utimensat(AT_FDCWD, "/sandbox/hello.txt", ts, 0));
    int fd = open("/sandbox/hello.txt", O_RDONLY);
    OK("open O_RDONLY", fd);
    OK("write on ro fd", write(fd, "x", 1));
    OK("ftruncate on ro fd", ftruncate(fd, 0));
    OK("futimens on ro fd", futimens(fd, ts));
    OK("fcntl F_SETFL O_APPEND", fcntl(fd, F_SETFL, O_APPEND));
    OK("write after F_SETFL", write(fd, "x", 1));
    close(fd);
    show_file("hello.txt unchanged", "/sandbox/hello.txt");
    OK("stat new.txt (must not exist)", stat("/sandbox/new.txt", &st));
    return 0;
}
