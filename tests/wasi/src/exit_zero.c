// Returning 0 from main is a normal, successful exit.
#include <stdio.h>
int main(void) {
    printf("returning 0\n");
    return 0;
}
