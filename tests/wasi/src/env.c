// env: GREETING=hello world
// env: EMPTY=
// env: ZED=last
// env: ALPHA=first
// env: WITH_EQUALS=a=b=c
// Prints all environment variables sorted, then a few getenv() lookups.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
extern char **environ;
static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
int main(void) {
    int n = 0;
    while (environ[n]) n++;
    char **v = malloc(sizeof(char *) * (n + 1));
    for (int i = 0; i < n; i++) v[i] = environ[i];
    qsort(v, n, sizeof(char *), cmp);
    printf("count=%d\n", n);
    for (int i = 0; i < n; i++) printf("env: %s\n", v[i]);
    const char *g = getenv("GREETING");
    printf("getenv(GREETING)=%s\n", g ? g : "(null)");
    g = getenv("EMPTY");
    printf("getenv(EMPTY)=%s\n", g ? (g[0] ? g : "(empty string)") : "(null)");
    g = getenv("WITH_EQUALS");
    printf("getenv(WITH_EQUALS)=%s\n", g ? g : "(null)");
    g = getenv("MISSING");
    printf("getenv(MISSING)=%s\n", g ? g : "(null)");
    return 0;
}
