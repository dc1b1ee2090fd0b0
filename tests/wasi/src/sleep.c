// poll_oneoff clock subscriptions via nanosleep, usleep, clock_nanosleep and poll(NULL,0,ms):
// elapsed monotonic time must be >= the requested duration.
#include <poll.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}
int main(void) {
    long long t0 = now_ns();
    struct timespec req = {0, 20 * 1000000L};
    int rc = nanosleep(&req, NULL);
    long long d = now_ns() - t0;
    printf("nanosleep_rc=%d elapsed_ge_20ms=%d elapsed_lt_5s=%d\n", rc, d >= 20000000LL, d < 5000000000LL);

    t0 = now_ns();
    rc = usleep(20000);
    d = now_ns() - t0;
    printf("usleep_rc=%d elapsed_ge_20ms=%d\n", rc, d >= 20000000LL);

    t0 = now_ns();
    rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
    d = now_ns() - t0;
    printf("clock_nanosleep_rel_rc=%d elapsed_ge_20ms=%d\n", rc, d >= 20000000LL);

    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    t0 = (long long)abs.tv_sec * 1000000000LL + abs.tv_nsec;
    abs.tv_nsec += 20000000L;
    if (abs.tv_nsec >= 1000000000L) { abs.tv_sec++; abs.tv_nsec -= 1000000000L; }
    rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
    d = now_ns() - t0;
    printf("clock_nanosleep_abs_rc=%d elapsed_ge_20ms=%d\n", rc, d >= 20000000LL);

    t0 = now_ns();
    rc = poll(NULL, 0, 20);
    d = now_ns() - t0;
    printf("poll_timeout_rc=%d elapsed_ge_20ms=%d\n", rc, d >= 20000000LL);

    t0 = now_ns();
    req.tv_nsec = 0;
    rc = nanosleep(&req, NULL);
    printf("nanosleep_zero_rc=%d\n", rc);
    return 0;
}
