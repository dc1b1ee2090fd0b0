// List /sandbox (sorted) with d_type, scandir, seekdir/telldir, opendir on a file.
#include "common.h"
#include <dirent.h>
static const char *type(unsigned char t) {
    switch (t) {
    case DT_REG: return "file";
    case DT_DIR: return "dir";
    case DT_LNK: return "symlink";
    case DT_UNKNOWN: return "unknown";
    default: return "other";
    }
}
int main(void) {
    mkdir("/sandbox/zdir", 0755);
    write_file("/sandbox/afile.txt", "a");
    symlink("hello.txt", "/sandbox/link");
    struct dirent **list;
    int n = scandir("/sandbox", &list, NULL, alphasort);
    printf("scandir n=%d\n", n);
    for (int i = 0; i < n; i++) {
        printf("  %s %s\n", list[i]->d_name, type(list[i]->d_type));
        free(list[i]);
    }
    free(list);
    DIR *d = opendir("/sandbox/sub");
    struct dirent *e;
    int count = 0;
    long pos = telldir(d);
    while ((e = readdir(d))) count++;
    printf("sub entries incl dots=%d\n", count);
    seekdir(d, pos);
    count = 0;
    while ((e = readdir(d))) count++;
    printf("after seekdir entries=%d\n", count);
    closedir(d);
    errno = 0;
    d = opendir("/sandbox/hello.txt");
    printf("opendir file: %s errno=%d (%s)\n", d ? "ok" : "fail", d ? 0 : errno, strerror(errno));
    errno = 0;
    d = opendir("/sandbox/missing");
    printf("opendir missing: %s errno=%d (%s)\n", d ? "ok" : "fail", d ? 0 : errno, strerror(errno));
    int fd = open("/sandbox/sub", O_RDONLY | O_DIRECTORY);
    OK("open O_DIRECTORY", fd);
    d = fdopendir(fd);
    count = 0;
    while (d && (e = readdir(d))) if (e->d_name[0] != '.') { count++; printf("fdopendir entry: %s\n", e->d_name); }
    if (d) closedir(d);
    return 0;
}
