// Table-driven CRC-32: table lookups and shifts.
#define LEN (1 << 20)
static unsigned char data[LEN];
static unsigned table[256];

int run(void) {
    for (unsigned i = 0; i < 256; i++) {
        unsigned c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    for (int i = 0; i < LEN; i++) data[i] = (unsigned char)(i ^ (i >> 9));
    unsigned crc = 0;
    for (int rep = 0; rep < 40; rep++) {
        crc = ~crc;
        for (int i = 0; i < LEN; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
        crc = ~crc;
    }
    return (int)crc;
}
