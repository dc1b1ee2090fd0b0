// Assorted error paths: EISDIR, ENOTDIR, EBADF, EEXIST, ENAMETOOLONG-ish, empty path, O_DIRECTORY on a file.
#include "common.h"
int main(void) {
    OK("open dir O_WRONLY", open("/sandbox/sub", O_WRONLY));
    OK("open dir O_RDWR", open("/sandbox/sub", O_RDWR));
    OK("open file O_DIRECTORY", open("/sandbox/hello.txt", O_RDONLY | O_DIRECTORY));
    OK("open through file", open("/sandbox/hello.txt/x", O_RDONLY));
    OK("open empty path", open("", O_RDONLY));
    OK("O_CREAT|O_EXCL on dir", open("/sandbox/sub", O_CREAT | O_EXCL | O_WRONLY, 0644));
    OK("O_CREAT in missing dir", open("/sandbox/nope/x.txt", O_CREAT | O_WRONLY, 0644));
    char b[8];
    OK("read fd 99", read(99, b, 1));
    OK("write fd 99", write(99, b, 1));
    OK("close fd 99", close(99));
    OK("close -1", close(-1));
    int d = open("/sandbox/sub", O_RDONLY | O_DIRECTORY);
    OK("read on dir fd", read(d, b, sizeof b));
    OK("write on dir fd", write(d, "x", 1));
    close(d);
    char longname[300];
    memset(longname, 'n', sizeof longname);
    memcpy(longname, "/sandbox/", 9);
    longname[299] = 0;
    OK("open 290-char name O_CREAT", open(longname, O_CREAT | O_WRONLY, 0644));
    OK("access R_OK hello", access("/sandbox/hello.txt", R_OK));
    OK("access missing", access("/sandbox/missing", F_OK));
    return 0;
}
