// rename: file, over an existing file, into a subdirectory, directories, errors.
#include "common.h"
int main(void) {
    write_file("/sandbox/a.txt", "A\n");
    write_file("/sandbox/b.txt", "B\n");
    OK("rename a->c", rename("/sandbox/a.txt", "/sandbox/c.txt"));
    OK("old name gone", access("/sandbox/a.txt", F_OK));
    show_file("c.txt", "/sandbox/c.txt");
    OK("rename c over b", rename("/sandbox/c.txt", "/sandbox/b.txt"));
    show_file("b.txt", "/sandbox/b.txt");
    OK("rename into sub/", rename("/sandbox/b.txt", "/sandbox/sub/b.txt"));
    show_file("sub/b.txt", "/sandbox/sub/b.txt");
    OK("mkdir d1", mkdir("/sandbox/d1", 0755));
    write_file("/sandbox/d1/inner.txt", "inner\n");
    OK("rename dir d1->d2", rename("/sandbox/d1", "/sandbox/d2"));
    show_file("d2/inner.txt", "/sandbox/d2/inner.txt");
    OK("rename missing", rename("/sandbox/missing", "/sandbox/x"));
    OK("rename dir into itself", rename("/sandbox/d2", "/sandbox/d2/sub"));
    OK("rename file over dir", rename("/sandbox/hello.txt", "/sandbox/d2"));
    OK("mkdir empty", mkdir("/sandbox/empty", 0755));
    OK("rename dir over file", rename("/sandbox/empty", "/sandbox/hello.txt"));
    OK("rename dir over empty dir", rename("/sandbox/d2", "/sandbox/empty"));
    OK("rename to same name", rename("/sandbox/hello.txt", "/sandbox/hello.txt"));
    OK("rename with trailing slash on file", rename("/sandbox/hello.txt/", "/sandbox/h2.txt"));
    return 0;
}
