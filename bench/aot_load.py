#!/usr/bin/env python3
"""Load time of ahead-of-time artifacts, nanowasm against wasmtime, in one run.

    bench/aot_load.py [--reps N] [FILE.wasm ...]

For each module (default: bench/kernels/fib.wasm, and esbuild.wasm from the
bench cache, which `bench/run --only startup` fetches with npm):

- nanowasm: `nanowasm compile` makes the artifact, then
  `nanowasm-aot-load` (crates/peer-bench) times `Module::deserialize_file`,
  and `Instance::new` for a module without imports: medians in-process;
- wasmtime (PyPI): `Module.serialize` makes its artifact, then
  `Module.deserialize_file` (and `Instance` without imports) is timed
  in-process, median of the same number of runs.

Prints one line per module and engine, and the ratio nanowasm / wasmtime.
Needs `cargo build --release -p nanowasm-cli -p nanowasm-peer-bench` (run
here) and `pip install wasmtime`.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.path.expanduser(os.environ.get("NANOWASM_BENCH_CACHE", "~/.cache/nanowasm-bench"))
RELEASE = os.path.join(ROOT, "target", "release")


def wasmtime_load(path, reps):
    import wasmtime

    engine = wasmtime.Engine()
    with open(path, "rb") as f:
        wasm = f.read()
    art = path + ".wasmtime.cwasm"
    with open(art, "wb") as f:
        f.write(wasmtime.Module(engine, wasm).serialize())
    loads, insts = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        m = wasmtime.Module.deserialize_file(engine, art)
        t1 = time.perf_counter()
        loads.append(t1 - t0)
        if not m.imports:
            store = wasmtime.Store(engine)
            wasmtime.Instance(store, m, [])
            insts.append(time.perf_counter() - t1)
    return {
        "deserialize_file_us": statistics.median(loads) * 1e6,
        "instantiate_us": statistics.median(insts) * 1e6 if insts else None,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    files = args.files or [
        f
        for f in [os.path.join(HERE, "kernels", "fib.wasm"), os.path.join(CACHE, "modules", "esbuild.wasm")]
        if os.path.isfile(f)
    ]
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "nanowasm-cli", "-p", "nanowasm-peer-bench"],
        cwd=ROOT,
        check=True,
    )
    work = tempfile.mkdtemp(prefix="nanowasm-aot-")
    for wasm in files:
        name = os.path.basename(wasm)
        local = os.path.join(work, name)
        with open(wasm, "rb") as src, open(local, "wb") as dst:
            dst.write(src.read())
        art = local + ".cwasm"
        subprocess.run([os.path.join(RELEASE, "nanowasm"), "compile", local, "-o", art], check=True)
        out = subprocess.run(
            [os.path.join(RELEASE, "nanowasm-aot-load"), "--reps", str(args.reps), art],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        nw = json.loads(out.strip().splitlines()[-1])
        wt = wasmtime_load(local, args.reps)
        for engine, r, size in [
            ("nanowasm", nw, os.path.getsize(art)),
            ("wasmtime", wt, os.path.getsize(local + ".wasmtime.cwasm")),
        ]:
            inst = r["instantiate_us"]
            inst = "-" if inst is None else f"{inst:.1f} µs"
            print(
                f"{name:14} {engine:9} artifact {size / 1e6:7.2f} MB  "
                f"deserialize_file {r['deserialize_file_us']:10.1f} µs  instantiate {inst}"
            )
        print(f"{name:14} nanowasm / wasmtime load time: {nw['deserialize_file_us'] / wt['deserialize_file_us']:.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
