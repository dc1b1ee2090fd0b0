#!/usr/bin/env bash
# Validation throughput of nanowasm vs wasmparser on big real modules.
#
# Fetches .wasm files shipped in npm packages into bench/cache/modules
# (not committed), runs the criterion bench `validate` of nanowasm-binary
# (both validators in the same run) and prints MB/s and the ratio.
# Usage: bench/validate.sh [criterion args...]
set -euo pipefail
cd "$(dirname "$0")/.."
cache=bench/cache
mods=$cache/modules
mkdir -p "$mods" "$cache/npm"
fetch() { # package, path of the .wasm inside the package, local name
    local pkg=$1 path=$2 name=$3
    [ -s "$mods/$name" ] && return 0
    (cd "$cache/npm" && rm -rf package && npm pack --silent "$pkg" >/dev/null && tar xzf ./*.tgz package/"$path" && rm -f ./*.tgz)
    cp "$cache/npm/package/$path" "$mods/$name"
}
fetch esbuild-wasm@0.28.2 esbuild.wasm esbuild.wasm
fetch sql.js@1.16.0 dist/sql-wasm.wasm sql-wasm.wasm
fetch @swc/wasm@1.15.3 wasm_bg.wasm swc.wasm || echo "(@swc/wasm not available)"
fetch onnxruntime-web@1.23.2 dist/ort-wasm-simd-threaded.wasm ort.wasm || echo "(onnxruntime-web not available)"
fetch @ffmpeg/core@0.12.10 dist/umd/ffmpeg-core.wasm ffmpeg.wasm || echo "(@ffmpeg/core not available)"
ls -la "$mods"
NANOWASM_BENCH_MODULES="$PWD/$mods" cargo bench -q -p nanowasm-binary --bench validate -- "$@" 2>&1 | tee "$cache/validate.log"
python3 - "$cache/validate.log" <<'PY'
import re, sys, math
text = open(sys.argv[1]).read()
rows = {}
for m in re.finditer(r"validate/(\w+)/(\S+)\s+time:.*?\n\s+thrpt:\s+\[\S+ \S+ (\S+) (\S+) ", text):
    engine, name, value, unit = m.groups()
    mbs = float(value) * {"GiB/s": 1073.741824, "MiB/s": 1.048576, "KiB/s": 0.001024}.get(unit, 1)
    rows.setdefault(name, {})[engine] = mbs
ratios = []
print(f"{'module':28} {'nanowasm MB/s':>14} {'wasmparser MB/s':>16} {'ratio':>6}")
for name, r in sorted(rows.items()):
    if "nanowasm" in r and "wasmparser" in r:
        ratio = r["nanowasm"] / r["wasmparser"]
        ratios.append(ratio)
        print(f"{name:28} {r['nanowasm']:14.1f} {r['wasmparser']:16.1f} {ratio:6.2f}")
if ratios:
    print(f"geometric mean ratio (nanowasm / wasmparser throughput): {math.exp(sum(map(math.log, ratios)) / len(ratios)):.2f}")
PY
