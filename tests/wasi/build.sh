#!/bin/sh
# Rebuild every bin/NAME.wasm from src/NAME.c (wasi-libc, wasm32-wasi, -O2).
# Usage: tests/wasi/build.sh [NAME...]
# Needs: clang with the wasm32-wasi target, lld, wasi-libc
# (Debian: apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-clang}
CFLAGS=${CFLAGS:-"-O2 -Wall -Wno-unused-function -Wl,--strip-debug"}
mkdir -p "$here/bin"
if [ $# -gt 0 ]; then
    names="$*"
else
    names=$(cd "$here/src" && ls *.c | sed 's/\.c$//')
fi
for name in $names; do
    echo "CC $name"
    # shellcheck disable=SC2086
    "$CC" --target=wasm32-wasi $CFLAGS -o "$here/bin/$name.wasm" "$here/src/$name.c"
done
