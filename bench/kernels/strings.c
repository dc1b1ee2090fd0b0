// String-heavy work: copying, length, comparison and substring search.
#define LEN (1 << 16)
static char text[LEN + 1], copy[LEN + 1];

static int my_strlen(const char *s) { int n = 0; while (s[n]) n++; return n; }

static int my_strcmp(const char *a, const char *b) {
    while (*a && *a == *b) { a++; b++; }
    return (unsigned char)*a - (unsigned char)*b;
}

static int count_matches(const char *hay, const char *needle) {
    int n = 0, m = my_strlen(needle);
    for (int i = 0; hay[i]; i++) {
        int j = 0;
        while (j < m && hay[i + j] == needle[j]) j++;
        if (j == m) n++;
    }
    return n;
}

int run(void) {
    unsigned seed = 12345;
    for (int i = 0; i < LEN; i++) {
        seed = seed * 1103515245u + 12345u;
        text[i] = "abcdefgh "[(seed >> 16) % 9];
    }
    text[LEN] = 0;
    int total = 0;
    for (int rep = 0; rep < 320; rep++) {
        __builtin_memcpy(copy, text, LEN + 1);
        copy[rep * 17 % LEN] ^= 1;
        total += my_strlen(copy) + (my_strcmp(text, copy) != 0);
        total += count_matches(copy, "abc") + count_matches(copy, "ha d");
    }
    return total;
}
