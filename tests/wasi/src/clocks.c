// clock_gettime REALTIME / MONOTONIC and clock_getres; only derived facts are printed.
#include <stdio.h>
#include <time.h>
#include <sys/time.h>
int main(void) {
    struct timespec a, b, r;
    int rc = clock_gettime(CLOCK_REALTIME, &a);
    printf("realtime_rc=%d\n", rc);
    printf("realtime_after_2020=%d\n", a.tv_sec > 1577836800);
    printf("realtime_before_2100=%d\n", a.tv_sec < 4102444800LL);
    printf("realtime_nsec_valid=%d\n", a.tv_nsec >= 0 && a.tv_nsec < 1000000000);
    time_t t = time(NULL);
    printf("time_close_to_realtime=%d\n", t - a.tv_sec >= 0 && t - a.tv_sec < 5);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    printf("gettimeofday_close=%d\n", tv.tv_sec - a.tv_sec >= 0 && tv.tv_sec - a.tv_sec < 5);

    rc = clock_gettime(CLOCK_MONOTONIC, &a);
    printf("monotonic_rc=%d\n", rc);
    int mono = 1;
    for (int i = 0; i < 1000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (b.tv_sec < a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec < a.tv_nsec)) mono = 0;
        a = b;
    }
    printf("monotonic_never_decreases=%d\n", mono);

    rc = clock_getres(CLOCK_REALTIME, &r);
    printf("getres_realtime_rc=%d positive=%d at_most_1s=%d\n", rc, r.tv_sec > 0 || r.tv_nsec > 0, r.tv_sec == 0 || (r.tv_sec == 1 && r.tv_nsec == 0));
    rc = clock_getres(CLOCK_MONOTONIC, &r);
    printf("getres_monotonic_rc=%d positive=%d at_most_1s=%d\n", rc, r.tv_sec > 0 || r.tv_nsec > 0, r.tv_sec == 0 || (r.tv_sec == 1 && r.tv_nsec == 0));

    return 0;
}
