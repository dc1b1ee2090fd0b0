// Relative paths (wasi-libc emulates a cwd, initially "/"): "sandbox/hello.txt" resolves to the
// preopen; after chdir("/sandbox") plain names work, and ".." from a subdirectory stays inside.
#include "common.h"
int main(void) {
    char cwd[256];
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : strerror(errno));
    show_file("sandbox/hello.txt", "sandbox/hello.txt");
    OK("chdir /sandbox", chdir("/sandbox"));
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : strerror(errno));
    show_file("hello.txt", "hello.txt");
    show_file("./sub/nested.txt", "./sub/nested.txt");
    OK("chdir sub", chdir("sub"));
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : strerror(errno));
    show_file("../hello.txt", "../hello.txt");
    OK("create rel.txt in sub", write_file("rel.txt", "relative\n"));
    OK("chdir missing", chdir("/sandbox/missing"));
    OK("chdir to file", chdir("/sandbox/hello.txt"));
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : strerror(errno));
    return 0;
}
