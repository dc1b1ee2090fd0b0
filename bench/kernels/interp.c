// A bytecode interpreter loop (a small register machine): the dispatch
// pattern of language runtimes.
enum { LOADI, ADD, MULI, MODI, XORI, DEC, JNZ, HALT };

// Each instruction is four ints: opcode, then operands.
static const int program[] = {
    LOADI, 0, 4000000, 0, // r0 = counter
    LOADI, 1, 0, 0,       // r1 = accumulator
    MULI, 1, 1, 31,       // loop: r1 = r1 * 31
    ADD, 1, 1, 0,         //       r1 += r0
    MODI, 1, 1, 1000003,  //       r1 %= 1000003
    XORI, 2, 1, 0x5a5a,   //       r2 = r1 ^ 0x5a5a
    ADD, 1, 1, 2,         //       r1 += r2
    DEC, 0, 0, 0,         //       r0--
    JNZ, 0, 8, 0,         //       if r0 != 0 goto loop
    HALT, 1, 0, 0,
};

int run(void) {
    int r[4] = {0, 0, 0, 0};
    int pc = 0;
    for (;;) {
        const int *i = &program[pc];
        pc += 4;
        switch (i[0]) {
        case LOADI: r[i[1]] = i[2]; break;
        case ADD: r[i[1]] = r[i[2]] + r[i[3]]; break;
        case MULI: r[i[1]] = r[i[2]] * i[3]; break;
        case MODI: r[i[1]] = r[i[2]] % i[3]; break;
        case XORI: r[i[1]] = r[i[2]] ^ i[3]; break;
        case DEC: r[i[1]]--; break;
        case JNZ: if (r[i[1]]) pc = i[2]; break;
        case HALT: return r[i[1]];
        default: return -1;
        }
    }
}
