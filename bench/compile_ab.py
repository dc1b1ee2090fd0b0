#!/usr/bin/env python3
"""Compile time of two or more builds of nanowasm, interleaved, in one run.

    bench/compile_ab.py [--runs N] [--reps R] BUILD [BUILD ...] -- FILE.wasm ...

Each BUILD is a `nanowasm-translate` binary (crates/peer-bench), for
example `target/release/nanowasm-translate` of two checkouts built with
`cargo build --release -p nanowasm-peer-bench`. Each run times
`nanowasm-translate --compile-only --reps R` (`Module::new`: validation and
compilation, the median of R compiles in one process) with every build in
turn, so that a machine whose speed drifts (a shared VM can drift by a
quarter within an hour) slows every build alike. Prints, per module, each
build's median and minimum over the runs, its MB/s of code at the median,
and its median relative to the first build's.

A change is worth reporting only as that ratio: absolute times from
different runs are not comparable on such a machine.
"""

import argparse
import json
import statistics
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="interleaved runs (default 11)")
    parser.add_argument("--reps", type=int, default=10, help="compiles per process (default 10)")
    parser.add_argument("builds", nargs="+", help="nanowasm-translate binaries, then --, then modules")
    args, rest = parser.parse_known_args()
    argv = sys.argv[1:]
    if "--" not in argv:
        parser.error("give the builds, then --, then the modules")
    split = argv.index("--")
    builds = [a for a in argv[:split] if a in args.builds]
    modules = argv[split + 1 :]
    if not builds or not modules:
        parser.error("give at least one build and one module")
    times = {(b, m): [] for b in builds for m in modules}
    code_bytes = {}
    for run in range(args.runs):
        for b in builds:
            cmd = [b, "--compile-only", "--reps", str(args.reps)] + modules
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr}")
            for m, d in zip(modules, json.loads(out.stdout)["modules"]):
                times[(b, m)].append(d["compile_ms"])
                code_bytes[m] = d["code_bytes"]
        print(f"run {run + 1}/{args.runs}", file=sys.stderr)
    for m in modules:
        base = statistics.median(times[(builds[0], m)])
        print(f"{m} ({code_bytes[m]:,} bytes of code)")
        for b in builds:
            t = times[(b, m)]
            med = statistics.median(t)
            mbs = code_bytes[m] / med / 1000
            print(f"  {b}: median {med:.2f} ms, min {min(t):.2f} ms, {mbs:.1f} MB/s, {med / base:.3f}x")


if __name__ == "__main__":
    main()
