#!/usr/bin/env bash
# Seeds the decode_validate corpus with the valid modules of the repository
# (the compute kernels and examples) so the fuzzer starts from real shapes.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/decode_validate
cp ../bench/kernels/*.wasm ../examples/*.wasm corpus/decode_validate/
echo "seeded $(ls corpus/decode_validate | wc -l) files"
