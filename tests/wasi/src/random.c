// random_get via getentropy() and arc4random_buf(): consecutive draws must differ.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(void) {
    unsigned char a[32], b[32], big[256];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    int r1 = getentropy(a, sizeof a);
    int r2 = getentropy(b, sizeof b);
    printf("getentropy_rc=%d,%d\n", r1, r2);
    printf("getentropy_differs=%d\n", memcmp(a, b, sizeof a) != 0);
    int nonzero = 0;
    for (size_t i = 0; i < sizeof a; i++) nonzero |= a[i];
    printf("getentropy_not_all_zero=%d\n", nonzero != 0);
    errno = 0;
    int r3 = getentropy(big, 257);
    printf("getentropy_257_fails=%d\n", r3 != 0);
    arc4random_buf(a, sizeof a);
    arc4random_buf(b, sizeof b);
    printf("arc4random_buf_differs=%d\n", memcmp(a, b, sizeof a) != 0);
    unsigned int x = arc4random(), y = arc4random(), z = arc4random();
    printf("arc4random_not_constant=%d\n", !(x == y && y == z));
    unsigned int u = arc4random_uniform(10);
    printf("arc4random_uniform_in_range=%d\n", u < 10);
    return 0;
}
