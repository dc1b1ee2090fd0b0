// Create 1000 files in a directory, count readdir entries (with '.'/'..' separately),
// check every name is seen exactly once, rewinddir, delete all, rmdir.
#include "common.h"
#include <dirent.h>
#define N 1000
int main(void) {
    static unsigned char seen[N];
    OK("mkdir big", mkdir("/sandbox/big", 0755));
    int created = 0;
    char p[64];
    for (int i = 0; i < N; i++) {
        snprintf(p, sizeof p, "/sandbox/big/file_%04d.txt", i);
        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd >= 0) { created++; if (i % 100 == 0) write(fd, p, strlen(p)); close(fd); }
    }
    printf("created=%d\n", created);
    DIR *d = opendir("/sandbox/big");
    printf("opendir: %s\n", d ? "ok" : strerror(errno));
    int files = 0, dots = 0, other = 0, dup = 0, regular = 0;
    struct dirent *e;
    for (int pass = 0; pass < 2; pass++) {
        files = dots = other = dup = regular = 0;
        memset(seen, 0, sizeof seen);
        while ((e = readdir(d)) != NULL) {
            int k;
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) { dots++; continue; }
            if (sscanf(e->d_name, "file_%4d.txt", &k) == 1 && k >= 0 && k < N) {
                if (seen[k]++) dup++;
                files++;
                if (e->d_type == DT_REG) regular++;
            } else other++;
        }
        int missing = 0;
        for (int i = 0; i < N; i++) missing += !seen[i];
        printf("pass %d: files=%d dots=%d other=%d dup=%d missing=%d d_type_reg=%d\n", pass, files, dots, other, dup, missing, regular);
        rewinddir(d);
    }
    closedir(d);
    int deleted = 0;
    for (int i = 0; i < N; i++) {
        snprintf(p, sizeof p, "/sandbox/big/file_%04d.txt", i);
        if (unlink(p) == 0) deleted++;
    }
    printf("deleted=%d\n", deleted);
    d = opendir("/sandbox/big");
    int left = 0;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) left++;
    closedir(d);
    printf("left=%d\n", left);
    OK("rmdir big", rmdir("/sandbox/big"));
    return 0;
}
