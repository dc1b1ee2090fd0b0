// Loops that vectorize: 32-bit integer mixing and a float blend over
// arrays, built with -msimd128 (clang vectorizes them for wasm, gcc -O2
// with SSE2 natively), so the kernel measures compiled SIMD code.
#define N 4096
static unsigned ia[N], ib[N], ic[N];
static float fa[N], fb[N], fc[N];

int run(void) {
    for (int i = 0; i < N; i++) {
        ia[i] = (unsigned)i * 2654435761u;
        ib[i] = (unsigned)i ^ 0x5bd1e995u;
        fa[i] = (float)i * 0.5f;
        fb[i] = (float)(N - i) * 0.25f;
    }
    unsigned acc = 0;
    for (int rep = 0; rep < 3000; rep++) {
        for (int i = 0; i < N; i++) ic[i] = (ia[i] * 31u + ib[i]) ^ (ia[i] >> 7);
        for (int i = 0; i < N; i++) ia[i] = ic[i] + (ib[i] & 0xffffu);
        for (int i = 0; i < N; i++) fc[i] = fa[i] * 0.75f + fb[i] * 0.25f;
        for (int i = 0; i < N; i++) fa[i] = fc[i] - fb[i] * 0.5f;
        for (int i = 0; i < N; i++) acc += ic[i];
    }
    // fa[i] tends to -fb[i]: within int range, so the conversion is defined.
    for (int i = 0; i < N; i += 64) acc += (unsigned)(int)fa[i];
    return (int)(acc & 0x7fffffff);
}
