// exit: 7
// Returning a nonzero value from main becomes the process exit code.
#include <stdio.h>
int main(void) {
    printf("returning 7\n");
    return 7;
}
