// stdin: lines.txt
// Reads stdin line by line and echoes each line uppercased with its line number.
#include <ctype.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, stdin)) {
        n++;
        size_t len = strlen(line);
        int had_nl = len > 0 && line[len - 1] == '\n';
        if (had_nl) line[--len] = 0;
        for (size_t i = 0; i < len; i++) line[i] = (char)toupper((unsigned char)line[i]);
        printf("%d: %s%s\n", n, line, had_nl ? "" : " [no newline]");
    }
    printf("lines=%d eof=%d error=%d\n", n, feof(stdin) != 0, ferror(stdin) != 0);
    return 0;
}
