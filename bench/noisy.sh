#!/usr/bin/env bash
# Noisy neighbours: the call latency (p50, p99, ...) of 1,000 well-behaved
# nanoprocesses, alone and beside one misbehaving tenant per fault class
# (memory, output, cpu, blocking call, re-entrancy, descriptors), with the
# baseline measured again at the end (the machine's noise).
#
# Prints a Markdown table on stdout (progress on stderr) and keeps a copy
# in bench/results/noisy.md (noisy-<args>.md with arguments). Each
# scenario lasts --secs (default 5 s); a misbehaving call that never
# returns is reported as a hang, not waited for.
# Usage: bench/noisy.sh [--tenants N] [--fault CLASS[,CLASS...]] [--secs S]
# [--workers N] [--work serve|echo] [--max-open-files N]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p nanowasm-host --example noisy
mkdir -p bench/results
# bench/results/noisy.md for the default settings, noisy-<args>.md otherwise.
out=bench/results/noisy${*:+-$(printf '%s' "$*" | sed 's/--//g' | tr -c 'A-Za-z0-9,.-' '_')}.md
{
    echo "nanowasm $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- 'crates/*/src' crates/host/examples || echo ' (with uncommitted changes to the sources)'), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
    echo "command: target/release/examples/noisy $*"
    echo
    target/release/examples/noisy "$@"
} | tee "$out"
