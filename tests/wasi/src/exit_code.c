// exit: 3
// exit(3) after printing: buffered stdout must be flushed, atexit handlers run.
#include <stdio.h>
#include <stdlib.h>
static void bye(void) { printf("atexit handler ran\n"); }
int main(void) {
    atexit(bye);
    printf("before exit\n");
    exit(3);
    printf("not reached\n");
}
