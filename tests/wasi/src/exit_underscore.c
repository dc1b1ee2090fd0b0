// exit: 100
// _Exit(100): immediate exit, atexit handlers must not run (stdout flushed by hand first).
// (Codes >= 126 are rejected by wasmtime, so 100 is used.)
#include <stdio.h>
#include <stdlib.h>
static void bye(void) { printf("atexit handler must NOT run\n"); }
int main(void) {
    atexit(bye);
    printf("flushed line\n");
    fflush(stdout);
    _Exit(100);
}
