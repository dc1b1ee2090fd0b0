#!/bin/sh
# Rebuilds bench/gc/binary_trees.wasm from binary_trees.wat with wasmtime's
# text parser (pip install wasmtime), so the binary does not depend on
# nanowasm's own text front end.
set -e
cd "$(dirname "$0")"
python3 -c '
import wasmtime
with open("binary_trees.wat") as f:
    wasm = wasmtime.wat2wasm(f.read())
with open("binary_trees.wasm", "wb") as f:
    f.write(wasm)
print("binary_trees.wasm:", len(wasm), "bytes")
'
