#!/bin/sh
# Rebuilds the three components of this example from wit/app.wit and the C
# sources. Usage: examples/components/build.sh
#
#   compressor  wit-bindgen c --world demo:app/compressor-process; clang
#               -mexec-model=reactor; imports nothing from WASI, so
#               `wasm-tools component new` needs no adapter
#   logger      wit-bindgen c --world demo:app/logger-process; clang
#               -mexec-model=reactor; WASI (wasi-libc's files) through the
#               preview1 reactor adapter (adapter/, from the crate
#               wasi-preview1-component-adapter-provider 50.0.1, its
#               artefacts/wasi_snapshot_preview1.reactor.wasm, sha256
#               6d52112df28f0caee9018f911f279f94f848230b2f0ed02138290363e925671f)
#   parser      wit-bindgen c --world demo:app/parser-process; clang
#               -mexec-model=reactor with its own `_start` (not a C main: see
#               parser.c), WASI through the preview1 command adapter of
#               tests/components/adapter (the same crate and version), so it
#               exports wasi:cli/run
#
# Each: the core module is linked with the bindings' *_component_type.o, which
# carries the world's type (what `wasm-tools component embed` would add), then
# wasm-tools component new [--adapt] makes the component.
#
# Built with (2026-12-06): Debian clang 14.0.6, lld 14, wasi-libc
# 0.0~git20220510.9886d3d-2, libclang-rt-14-dev-wasm32
# (apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32),
# wit-bindgen-cli 0.63.0, wasm-tools 1.263.0 (cargo install wit-bindgen-cli
# wasm-tools). Override with CC=, WASM_TOOLS=, WIT_BINDGEN=.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-clang}
WASM_TOOLS=${WASM_TOOLS:-wasm-tools}
WIT_BINDGEN=${WIT_BINDGEN:-wit-bindgen}
COMMAND_ADAPTER=$here/../../tests/components/adapter/wasi_snapshot_preview1.command.wasm
REACTOR_ADAPTER=$here/adapter/wasi_snapshot_preview1.reactor.wasm
CFLAGS="-O2 -Wall -Wno-unused-function -Wl,--strip-debug"

echo "# $("$CC" --version | head -n 1)"
echo "# $("$WASM_TOOLS" --version)"
echo "# $("$WIT_BINDGEN" --version)"
echo "# wasi-libc: $(dpkg-query -W -f '${Version}' wasi-libc 2>/dev/null || echo unknown)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for p in compressor logger parser; do
    echo "BUILD $p"
    world=demo:app/$p-process
    "$WIT_BINDGEN" c "$here/wit" --world "$world" --out-dir "$tmp/$p" >/dev/null
    # shellcheck disable=SC2086
    "$CC" --target=wasm32-wasi $CFLAGS -mexec-model=reactor -I "$tmp/$p" \
        -o "$tmp/$p.core.wasm" "$here/$p.c" "$tmp/$p/${p}_process.c" \
        "$tmp/$p/${p}_process_component_type.o"
    case $p in
    compressor)
        if "$WASM_TOOLS" print "$tmp/$p.core.wasm" | grep -q '(import "wasi_snapshot_preview1"'; then
            echo "$p: the core module imports WASI" >&2
            exit 1
        fi
        "$WASM_TOOLS" component new "$tmp/$p.core.wasm" -o "$here/$p.wasm"
        ;;
    logger)
        "$WASM_TOOLS" component new "$tmp/$p.core.wasm" \
            --adapt "wasi_snapshot_preview1=$REACTOR_ADAPTER" -o "$here/$p.wasm"
        ;;
    parser)
        "$WASM_TOOLS" component new "$tmp/$p.core.wasm" \
            --adapt "wasi_snapshot_preview1=$COMMAND_ADAPTER" -o "$here/$p.wasm"
        ;;
    esac
    "$WASM_TOOLS" validate "$here/$p.wasm"
done
