// unlink files, unlink missing, unlink a directory, unlink an open file (still readable), remove().
#include "common.h"
int main(void) {
    write_file("/sandbox/del.txt", "bye\n");
    OK("unlink del.txt", unlink("/sandbox/del.txt"));
    OK("access after unlink", access("/sandbox/del.txt", F_OK));
    OK("unlink again", unlink("/sandbox/del.txt"));
    OK("unlink dir", unlink("/sandbox/sub"));
    OK("unlink missing parent", unlink("/sandbox/nodir/x"));
    write_file("/sandbox/open.txt", "still here\n");
    int fd = open("/sandbox/open.txt", O_RDONLY);
    OK("open", fd);
    OK("unlink open file", unlink("/sandbox/open.txt"));
    char b[32] = {0};
    VAL("read after unlink", read(fd, b, sizeof b - 1));
    printf("data=%s", b);
    close(fd);
    write_file("/sandbox/r.txt", "r\n");
    OK("remove file", remove("/sandbox/r.txt"));
    mkdir("/sandbox/rdir", 0755);
    OK("remove empty dir", remove("/sandbox/rdir"));
    OK("unlink with trailing slash", unlink("/sandbox/hello.txt/"));
    return 0;
}
