#!/bin/sh
# Rebuild every bin/NAME.wasm (a wasi:cli/command component) from its source
# (and bin/network/NAME.wasm, the programs that need a peer: cases.json "network").
# Usage: tests/components/build.sh [NAME...]        (names from cases.json)
#
# kind "adapter"     : ../wasi/src/NAME.c -> clang wasm32-wasi (preview1 core module)
#                      -> wasm-tools component new --adapt wasi_snapshot_preview1=adapter/...command.wasm
# kind "wit-bindgen" : src/NAME.c + bindings from `wit-bindgen c` for the world in wit/
#                      -> clang wasm32-wasi, no start files, no preview1 imports
#                      -> wasm-tools component new (no adapter)
#
# Needs: clang + lld + wasi-libc (Debian: apt-get install -y clang lld wasi-libc
# libclang-rt-14-dev-wasm32), wasm-tools and wit-bindgen
# (cargo install wasm-tools wit-bindgen-cli), python3 (to read cases.json).
# Override the tools with CC=, WASM_TOOLS=, WIT_BINDGEN=, ADAPTER=.
# The committed components were built with the versions in README.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-clang}
WASM_TOOLS=${WASM_TOOLS:-wasm-tools}
WIT_BINDGEN=${WIT_BINDGEN:-wit-bindgen}
ADAPTER=${ADAPTER:-$here/adapter/wasi_snapshot_preview1.command.wasm}
CFLAGS=${CFLAGS:-"-O2 -Wall -Wno-unused-function -Wl,--strip-debug"}

echo "# $("$CC" --version | head -n 1)"
echo "# $("$WASM_TOOLS" --version)"
echo "# $("$WIT_BINDGEN" --version 2>/dev/null || echo "wit-bindgen: not found")"
echo "# wasi-libc: $(dpkg-query -W -f '${Version}' wasi-libc 2>/dev/null || echo unknown)"
echo "# adapter: $ADAPTER sha256 $(sha256sum "$ADAPTER" | cut -d' ' -f1)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$here/bin" "$here/bin/network"

# name kind source, one case a line
python3 - "$here/cases.json" "$@" > "$tmp/list" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
# "network": programs built the same way that need a peer, into bin/network/
# (not reference cases: run_components.rs runs only bin/*.wasm).
cases = [(c, "bin") for c in doc["cases"]] + [(c, "bin/network") for c in doc.get("network", [])]
want = sys.argv[2:]
known = {c["name"] for c, _ in cases}
for w in want:
    if w not in known:
        sys.exit(f"no such case: {w}")
for c, out in cases:
    if not want or c["name"] in want:
        print(c["name"], c["kind"], c["source"], out)
EOF

if grep -q ' wit-bindgen ' "$tmp/list"; then
    # One set of bindings for the world nanowasm:tests/command (wit/world.wit).
    "$WIT_BINDGEN" c "$here/wit" --world nanowasm:tests/command --out-dir "$tmp/gen" >/dev/null 2>&1
fi

while read -r name kind source out; do
    echo "BUILD $name ($kind)"
    case "$kind" in
    adapter)
        # shellcheck disable=SC2086
        "$CC" --target=wasm32-wasi $CFLAGS -o "$tmp/$name.core.wasm" "$here/$source"
        "$WASM_TOOLS" component new "$tmp/$name.core.wasm" \
            --adapt "wasi_snapshot_preview1=$ADAPTER" -o "$here/$out/$name.wasm"
        ;;
    wit-bindgen)
        # No crt1 (the entry point is the exported wasi:cli/run#run), libc only
        # for malloc/string functions: the core module must import nothing from
        # wasi_snapshot_preview1.
        # shellcheck disable=SC2086
        "$CC" --target=wasm32-wasi $CFLAGS -nostartfiles -Wl,--no-entry -I "$tmp/gen" \
            -o "$tmp/$name.core.wasm" "$here/$source" "$tmp/gen/command.c" \
            "$tmp/gen/command_component_type.o"
        if "$WASM_TOOLS" print "$tmp/$name.core.wasm" | grep -q '(import "wasi_snapshot_preview1"'; then
            echo "$name: the core module imports wasi_snapshot_preview1" >&2
            "$WASM_TOOLS" print "$tmp/$name.core.wasm" | grep '(import "wasi_snapshot_preview1"' >&2
            exit 1
        fi
        "$WASM_TOOLS" component new "$tmp/$name.core.wasm" -o "$here/$out/$name.wasm"
        ;;
    *)
        echo "$name: unknown kind $kind" >&2
        exit 1
        ;;
    esac
    "$WASM_TOOLS" validate "$here/$out/$name.wasm"
done < "$tmp/list"
