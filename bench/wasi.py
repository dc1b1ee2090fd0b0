#!/usr/bin/env python3
"""WASI-heavy workloads: nanowasm against wasmtime, same run, as ratios.

    python3 bench/wasi.py [--reps N]

Workloads (bench/wasi/*.c, built by bench/wasi/build.sh):
  smallfiles    20,000 open/read/close of 1 KiB files, 100 creates, stats, unlinks
  stdout_writes 200,000 write() calls of a fixed line to stdout (host call path)
  stdout_lines  200,000 snprintf-formatted lines, one write() each (guest code + calls)
  empty         a command that does nothing: process start-up cost

Each engine runs each workload as a whole process (`nanowasm run` and
`bench/wasmtime_run.py`, the wasmtime Python package: the wasmtime peer pays
Python's start-up, which `empty` measures), N times interleaved; the median
wall time counts, and stdout must be identical between engines. Prints a
table and writes bench/results/wasi-<date>.json.
"""

import argparse
import datetime
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = ["smallfiles", "stdout_writes", "stdout_lines", "empty"]


def run(cmd, sandbox):
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=sandbox)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.decode()[-500:]}")
    return dt, hashlib.sha256(p.stdout).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    nanowasm = os.path.join(ROOT, "target/release/nanowasm")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "nanowasm-cli"], cwd=ROOT, check=True)
    try:
        import wasmtime  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "wasmtime"], check=True)
    engines = {
        "nanowasm": lambda w, d: [nanowasm, "run", "--dir", f"{d}::/sandbox", w],
        "wasmtime": lambda w, d: [sys.executable, os.path.join(HERE, "wasmtime_run.py"),
                                  "--dir", f"{d}::/sandbox", w],
    }
    results = {}
    for name in WORKLOADS:
        wasm = os.path.join(HERE, "wasi", name + ".wasm")
        times = {e: [] for e in engines}
        digests = {}
        for _ in range(args.reps):
            for e, cmd in engines.items():
                d = tempfile.mkdtemp(prefix="nanowasm-wasi-bench-")
                try:
                    dt, digest = run(cmd(wasm, d), d)
                finally:
                    shutil.rmtree(d, ignore_errors=True)
                times[e].append(dt)
                digests.setdefault(e, digest)
                if digests[e] != digest:
                    sys.exit(f"{e}: {name} output differs between runs")
        if len(set(digests.values())) != 1:
            sys.exit(f"{name}: engines disagree on stdout")
        results[name] = {e: {"median_s": statistics.median(t), "min_s": min(t), "max_s": max(t)}
                         for e, t in times.items()}
    print(f"{'workload':14} {'nanowasm s':>11} {'wasmtime s':>11} {'ratio':>7} {'ratio net':>10}")
    base_n = results["empty"]["nanowasm"]["median_s"]
    base_w = results["empty"]["wasmtime"]["median_s"]
    for name, r in results.items():
        n, w = r["nanowasm"]["median_s"], r["wasmtime"]["median_s"]
        net = ""
        if name != "empty" and w - base_w > 0:
            net = f"{max(n - base_n, 1e-6) / (w - base_w):.2f}"
        print(f"{name:14} {n:11.4f} {w:11.4f} {n / w:7.2f} {net:>10}")
    print("ratio = nanowasm time / wasmtime time (lower is better); "
          "net = the same after subtracting each engine's `empty` start-up time")
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    out = os.path.join(ROOT, "bench/results", f"wasi-{datetime.date.today()}.json")
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    with open(out, "w") as f:
        json.dump({"commit": commit, "reps": args.reps, "results": results}, f, indent=2)
    print(f"wrote {os.path.relpath(out, ROOT)}")


if __name__ == "__main__":
    main()
