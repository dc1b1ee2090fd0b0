// Dense double-precision matrix multiply.
#define N 160
static double a[N][N], b[N][N], c[N][N];

int run(void) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            a[i][j] = (double)(i * N + j) / (N * N);
            b[i][j] = (double)(j * N + i) / (N * N);
            c[i][j] = 0;
        }
    for (int rep = 0; rep < 6; rep++)
        for (int i = 0; i < N; i++)
            for (int k = 0; k < N; k++) {
                double x = a[i][k];
                for (int j = 0; j < N; j++) c[i][j] += x * b[k][j];
            }
    double sum = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) sum += c[i][j];
    return (int)((long long)(sum * 1000.0) % 1000000007);
}
