// Start-up cost: a WASI command that does nothing.
int main(void) { return 0; }
