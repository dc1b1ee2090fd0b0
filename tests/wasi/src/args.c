// args: alpha "two words" --flag=x ""
// Prints argc and every argv entry (argv[0] is the program name given by the runtime,
// so only whether it is non-empty is printed).
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    printf("argv0_nonempty=%d\n", argc > 0 && argv[0] && argv[0][0] != 0);
    for (int i = 1; i < argc; i++) printf("argv[%d]=\"%s\" len=%zu\n", i, argv[i], strlen(argv[i]));
    printf("argv_terminated=%d\n", argv[argc] == NULL);
    return 0;
}
