#!/bin/sh
# Rebuilds the example nanoprocesses (Debian's clang, lld, wasi-libc). All
# three are WASI reactors: `_initialize` runs once, then their exports.
set -eu
cd "$(dirname "$0")"
for p in parser compressor logger; do
    clang --target=wasm32-wasi -O2 -Wall -mexec-model=reactor -Wl,--strip-debug "$p.c" -o "$p.wasm"
done
