// No arguments beyond the program name.
#include <stdio.h>
int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    printf("argv_terminated=%d\n", argv[argc] == NULL);
    return 0;
}
