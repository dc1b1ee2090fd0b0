// symlink/readlink inside the sandbox: relative target, dangling link, link to dir, chains,
// lstat vs stat, O_NOFOLLOW, unlinking a link keeps the target, loops give ELOOP.
#include "common.h"
int main(void) {
    char buf[256];
    OK("symlink hello.txt", symlink("hello.txt", "/sandbox/l1"));
    ssize_t n = readlink("/sandbox/l1", buf, sizeof buf);
    printf("readlink l1: n=%zd target=\"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
    show_file("via l1", "/sandbox/l1");
    OK("symlink to dir", symlink("sub", "/sandbox/subl"));
    show_file("via subl/nested.txt", "/sandbox/subl/nested.txt");
    OK("symlink nested relative", symlink("../hello.txt", "/sandbox/sub/up"));
    show_file("via sub/up", "/sandbox/sub/up");
    OK("symlink chain", symlink("l1", "/sandbox/l2"));
    show_file("via l2", "/sandbox/l2");
    OK("dangling", symlink("does-not-exist", "/sandbox/dang"));
    struct stat st;
    OK("stat dangling", stat("/sandbox/dang", &st));
    OK("lstat dangling", lstat("/sandbox/dang", &st));
    printf("lstat dangling is link=%d size=%lld\n", S_ISLNK(st.st_mode), (long long)st.st_size);
    OK("symlink existing name", symlink("x", "/sandbox/l1"));
    OK("readlink regular file", readlink("/sandbox/hello.txt", buf, sizeof buf));
    OK("readlink missing", readlink("/sandbox/missing", buf, sizeof buf));
    n = readlink("/sandbox/l1", buf, 3);
    printf("readlink short buffer: n=%zd data=\"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
    OK("open O_NOFOLLOW on link", open("/sandbox/l1", O_RDONLY | O_NOFOLLOW));
    OK("symlink loop a", symlink("loop_b", "/sandbox/loop_a"));
    OK("symlink loop b", symlink("loop_a", "/sandbox/loop_b"));
    OK("open loop", open("/sandbox/loop_a", O_RDONLY));
    /* write through a link creates/modifies the target */
    OK("symlink to new file", symlink("created_via_link.txt", "/sandbox/newlink"));
    int fd = open("/sandbox/newlink", O_WRONLY | O_CREAT, 0644);
    OK("open O_CREAT through dangling link", fd);
    if (fd >= 0) { write(fd, "via link\n", 9); close(fd); }
    show_file("created_via_link.txt", "/sandbox/created_via_link.txt");
    OK("unlink l2", unlink("/sandbox/l2"));
    show_file("l1 still works", "/sandbox/l1");
    OK("rename link", rename("/sandbox/l1", "/sandbox/l1_renamed"));
    n = readlink("/sandbox/l1_renamed", buf, sizeof buf);
    printf("readlink renamed: \"%.*s\"\n", (int)(n > 0 ? n : 0), buf);
    OK("rmdir on dir symlink", rmdir("/sandbox/subl"));
    OK("unlink dir symlink", unlink("/sandbox/subl"));
    OK("stat sub still dir", stat("/sandbox/sub", &st));
    return 0;
}
