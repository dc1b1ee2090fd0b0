// link(): hard links share content and bump nlink; linking a directory or onto an existing name fails.
#include "common.h"
int main(void) {
    write_file("/sandbox/orig.txt", "shared\n");
    OK("link orig->hard", link("/sandbox/orig.txt", "/sandbox/hard.txt"));
    struct stat a, b;
    stat("/sandbox/orig.txt", &a);
    stat("/sandbox/hard.txt", &b);
    printf("same_ino=%d nlink=%d\n", a.st_ino == b.st_ino, (int)a.st_nlink);
    int fd = open("/sandbox/hard.txt", O_WRONLY | O_APPEND);
    write(fd, "more\n", 5);
    close(fd);
    show_file("orig.txt", "/sandbox/orig.txt");
    OK("unlink orig", unlink("/sandbox/orig.txt"));
    show_file("hard.txt", "/sandbox/hard.txt");
    stat("/sandbox/hard.txt", &b);
    printf("nlink after unlink=%d\n", (int)b.st_nlink);
    OK("link onto existing", link("/sandbox/hard.txt", "/sandbox/hello.txt"));
    OK("link dir", link("/sandbox/sub", "/sandbox/sub2"));
    OK("link missing", link("/sandbox/missing", "/sandbox/m2"));
    OK("link into subdir", link("/sandbox/hard.txt", "/sandbox/sub/hard2.txt"));
    return 0;
}
