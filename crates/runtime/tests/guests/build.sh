#!/bin/sh
# Rebuilds cpp_trap.wasm from cpp_trap.cpp with Debian's clang and lld
# (apt-get install clang lld): freestanding wasm32, no libc, no entry
# point, `-O1` so that the calls stay calls. wasm-ld writes demangled
# names into the `name` section unless told not to; `--no-demangle` keeps
# them mangled (as rustc's modules have theirs), for nanowasm to demangle.
# It is given to wasm-ld directly: clang's driver drops `-Wl,--no-demangle`.
set -eu
cd "$(dirname "$0")"
CXX=${CXX:-clang++}
LD=${LD:-wasm-ld}
obj=$(mktemp --suffix=.o)
trap 'rm -f "$obj"' EXIT
"$CXX" --target=wasm32 -O1 -fno-exceptions -fno-rtti -c -o "$obj" cpp_trap.cpp
"$LD" --no-entry --no-demangle --strip-debug -o cpp_trap.wasm "$obj"
