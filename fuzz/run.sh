#!/usr/bin/env bash
# Runs fuzz targets under cargo-fuzz (nightly) for a fixed time each and
# prints libFuzzer's final statistics.
#
#   fuzz/run.sh 30                      # smoke: every target for 30 s
#   fuzz/run.sh 1800 differential       # a 30-minute campaign of one target
#
# Corpora persist in fuzz/corpus/<target> (git-ignored); crashes land in
# fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-30}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(decode_validate wat_parse roundtrip execute differential wasi)
fi
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    echo "== $t for ${secs}s"
    cargo +nightly fuzz run -O "$t" "corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        2>&1 | grep -E "^(stat::|Done|==|INFO: (seed|-max_len))|ERROR|panicked|SUMMARY" || true
    if ls "artifacts/$t"/crash-* "artifacts/$t"/timeout-* "artifacts/$t"/oom-* >/dev/null 2>&1; then
        echo "!! $t left findings in fuzz/artifacts/$t"
        exit 1
    fi
done
