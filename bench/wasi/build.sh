#!/bin/sh
# Rebuilds the WASI benchmark programs (needs Debian's clang, lld, wasi-libc).
set -eu
cd "$(dirname "$0")"
for c in *.c; do
    clang --target=wasm32-wasi -O2 -Wall -Wl,--strip-debug "$c" -o "${c%.c}.wasm"
done
