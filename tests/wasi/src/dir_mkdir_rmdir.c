// mkdir / rmdir, including EEXIST, ENOENT parent, ENOTEMPTY, rmdir on a file, nested.
#include "common.h"
int main(void) {
    OK("mkdir a", mkdir("/sandbox/a", 0755));
    OK("mkdir a again", mkdir("/sandbox/a", 0755));
    OK("mkdir a/b", mkdir("/sandbox/a/b", 0755));
    OK("mkdir a/b/c", mkdir("/sandbox/a/b/c", 0755));
    OK("mkdir missing parent", mkdir("/sandbox/x/y", 0755));
    OK("mkdir over file", mkdir("/sandbox/hello.txt", 0755));
    OK("mkdir trailing slash", mkdir("/sandbox/t/", 0755));
    struct stat st;
    OK("stat a/b/c", stat("/sandbox/a/b/c", &st));
    printf("is_dir=%d\n", S_ISDIR(st.st_mode));
    OK("rmdir non-empty a", rmdir("/sandbox/a"));
    OK("rmdir file", rmdir("/sandbox/hello.txt"));
    OK("rmdir missing", rmdir("/sandbox/missing"));
    OK("rmdir a/b/c", rmdir("/sandbox/a/b/c"));
    OK("rmdir a/b", rmdir("/sandbox/a/b"));
    OK("rmdir t", rmdir("/sandbox/t"));
    OK("rmdir a/. ", rmdir("/sandbox/a/."));
    OK("stat a", stat("/sandbox/a", &st));
    OK("mkdir keep/inner", mkdir("/sandbox/keep", 0755) || mkdir("/sandbox/keep/inner", 0755));
    return 0;
}
