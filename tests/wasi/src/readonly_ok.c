// dir: ro
// A read-only preopen still allows every read-only operation: open/read, stat, readdir,
// readlink of nothing, seek, pread, opening directories.
#include "common.h"
#include <dirent.h>
int main(void) {
    show_file("hello.txt", "/sandbox/hello.txt");
    int fd = open("/sandbox/hello.txt", O_RDONLY);
    OK("open", fd);
    char b[8] = {0};
    VAL("pread 5 @6", pread(fd, b, 5, 6));
    printf("data=\"%s\"\n", b);
    VAL("lseek END", lseek(fd, 0, SEEK_END));
    struct stat st;
    OK("fstat", fstat(fd, &st));
    printf("size=%lld\n", (long long)st.st_size);
    close(fd);
    DIR *d = opendir("/sandbox");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) if (e->d_name[0] != '.') n++;
    if (d) closedir(d);
    printf("entries=%d\n", n);
    OK("open sub O_DIRECTORY", open("/sandbox/sub", O_RDONLY | O_DIRECTORY));
    OK("chdir /sandbox/sub", chdir("/sandbox/sub"));
    show_file("nested.txt relative", "nested.txt");
    OK("access R_OK", access("/sandbox/hello.txt", R_OK));
    return 0;
}
