// No stdin is provided: the first read must report end of file (0 bytes), twice.
#include <stdio.h>
#include <unistd.h>
int main(void) {
    char buf[16];
    ssize_t a = read(0, buf, sizeof buf);
    ssize_t b = read(0, buf, sizeof buf);
    printf("first_read=%zd\nsecond_read=%zd\n", a, b);
    printf("getchar_eof=%d\n", getchar() == EOF);
    return 0;
}
