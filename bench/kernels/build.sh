#!/usr/bin/env bash
# Rebuilds the compute kernels: wasm32 modules that import nothing and
# export `run` (so every engine, including pywasm3 without WASI, calls them
# the same way), and native builds of the same sources for reference.
# Needs Debian's clang and lld: apt-get install clang lld
set -euo pipefail
cd "$(dirname "$0")"
for c in *.c; do
    name="${c%.c}"
    # simd*.c: built for wasm's SIMD (clang's vectorizer uses it).
    simd=()
    [[ "$name" == simd* ]] && simd=(-msimd128)
    clang --target=wasm32 -O2 -nostdlib -mbulk-memory "${simd[@]}" -Wl,--no-entry -Wl,--export=run \
        -Wl,-z,stack-size=1048576 -Wl,--initial-memory=33554432 -o "$name.wasm" "$c"
done
echo "built: $(ls *.wasm | tr '\n' ' ')"
