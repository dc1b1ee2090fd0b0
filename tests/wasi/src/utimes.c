// Setting timestamps: utimensat / futimens / utimes with explicit times, UTIME_OMIT, and the raw
// WASI fd_filestat_set_times / path_filestat_set_times with the *_NOW flags.
// Note: the Debian wasi-libc (2022) mis-encodes utimensat(NULL)/UTIME_NOW (it sets the epoch or
// returns EINVAL), so "now" is exercised through the raw WASI calls instead.
#include "common.h"
#include <sys/time.h>
#include <wasi/api.h>
static void times_of(const char *label, const char *p) {
    struct stat st;
    if (stat(p, &st) != 0) { printf("%s: stat errno=%d\n", label, errno); return; }
    printf("%s: atime=%lld.%09ld mtime=%lld.%09ld\n", label, (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}
static void near_now(const char *label, const char *p) {
    struct stat st;
    struct timespec now;
    stat(p, &st);
    clock_gettime(CLOCK_REALTIME, &now);
    long long da = (long long)now.tv_sec - (long long)st.st_atim.tv_sec;
    long long dm = (long long)now.tv_sec - (long long)st.st_mtim.tv_sec;
    printf("%s: atime_within_60s_of_now=%d mtime_within_60s_of_now=%d\n", label, da > -60 && da < 60, dm > -60 && dm < 60);
}
int main(void) {
    write_file("/sandbox/u.txt", "times\n");
    near_now("fresh file", "/sandbox/u.txt");
    struct timespec ts[2] = {{1000000000, 123456789}, {1234567890, 987654321}};
    OK("utimensat explicit", utimensat(AT_FDCWD, "/sandbox/u.txt", ts, 0));
    times_of("after utimensat", "/sandbox/u.txt");
    struct timespec omit[2] = {{0, UTIME_OMIT}, {1500000000, 0}};
    OK("utimensat omit atime", utimensat(AT_FDCWD, "/sandbox/u.txt", omit, 0));
    times_of("after omit atime", "/sandbox/u.txt");
    int fd = open("/sandbox/u.txt", O_RDWR);
    struct timespec f[2] = {{1600000000, 500}, {1700000000, 0}};
    OK("futimens explicit", futimens(fd, f));
    times_of("after futimens", "/sandbox/u.txt");
    struct stat st;
    fstat(fd, &st);
    printf("fstat agrees: %d\n", st.st_mtim.tv_sec == 1700000000 && st.st_atim.tv_sec == 1600000000);
    printf("raw fd set mtim only: wasi_errno=%d\n",
           __wasi_fd_filestat_set_times(fd, 0, 1650000000000000000ULL, __WASI_FSTFLAGS_MTIM));
    times_of("after raw mtim", "/sandbox/u.txt");
    printf("raw fd set ATIM_NOW|MTIM_NOW: wasi_errno=%d\n",
           __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW));
    near_now("after raw fd now", "/sandbox/u.txt");
    printf("raw fd set ATIM|ATIM_NOW (invalid): wasi_errno=%d\n",
           __wasi_fd_filestat_set_times(fd, 5, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
    close(fd);
    struct timeval tv[2] = {{946684800, 0}, {946684801, 0}};
    OK("utimes", utimes("/sandbox/u.txt", tv));
    times_of("after utimes", "/sandbox/u.txt");
    /* raw path variant, relative to the preopen fd 3 */
    printf("raw path set MTIM_NOW: wasi_errno=%d\n",
           __wasi_path_filestat_set_times(3, 0, "u.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    stat("/sandbox/u.txt", &st);
    printf("atime kept=%d\n", st.st_atim.tv_sec == 946684800);
    near_now("mtime after raw path now", "/sandbox/u.txt");
    OK("utimensat missing", utimensat(AT_FDCWD, "/sandbox/missing", ts, 0));
    OK("utimensat dir", utimensat(AT_FDCWD, "/sandbox/sub", ts, 0));
    times_of("sub", "/sandbox/sub");
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    OK("utimensat bad nsec", utimensat(AT_FDCWD, "/sandbox/u.txt", bad, 0));
    return 0;
}
