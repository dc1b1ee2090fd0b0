// No environment variables are passed: environ must be empty.
#include <stdio.h>
#include <stdlib.h>
extern char **environ;
int main(void) {
    int n = 0;
    while (environ && environ[n]) n++;
    printf("count=%d\n", n);
    printf("getenv(PATH)=%s\n", getenv("PATH") ? "set" : "(null)");
    printf("getenv(HOME)=%s\n", getenv("HOME") ? "set" : "(null)");
    return 0;
}
