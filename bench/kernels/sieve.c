// Sieve of Eratosthenes: byte loads and stores in a tight loop.
#define N 4000000
static unsigned char composite[N + 1];

int run(void) {
    int total = 0;
    for (int rep = 0; rep < 4; rep++) {
        __builtin_memset(composite, 0, sizeof composite);
        int count = 0;
        for (int i = 2; i <= N; i++) {
            if (!composite[i]) {
                count++;
                for (long j = (long)i * i; j <= N; j += i) composite[j] = 1;
            }
        }
        total += count;
    }
    return total;
}
