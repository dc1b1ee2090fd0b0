// exit: 42
// Calls the raw WASI proc_exit(42) directly (no atexit handlers, no stdio flush:
// stdout is flushed by hand first).
#include <stdio.h>
#include <stdlib.h>
#include <wasi/api.h>
static void bye(void) { printf("atexit handler must NOT run\n"); }
int main(void) {
    atexit(bye);
    printf("calling proc_exit(42)\n");
    fflush(stdout);
    __wasi_proc_exit(42);
    printf("not reached\n");
    return 1;
}
