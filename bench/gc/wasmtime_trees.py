#!/usr/bin/env python3
"""Binary trees on wasmtime (PyPI), the peer of nanowasm's
crates/runtime/examples/gc_binary_trees.rs: the same calls in the same
order, each timed, and the same one-line JSON report.

    python3 bench/gc/wasmtime_trees.py [--pulley] bench/gc/binary_trees.wasm [DEPTH]

DEPTH (default 16) is the classic program's N: a stretch tree via
iteration(N+1, 1), long_lived(N), iteration(d, 2^(N-d+4)) for d = 4, 6,
.. N, then check_long_lived(). Only the host calls are timed (total_s is
their sum); compiling and instantiating is setup_s. `--pulley` runs
wasmtime's portable interpreter (Pulley) instead of Cranelift's native
code: engine "wasmtime-pulley", the fairer peer for nanowasm's interpreter.

Nodes are counted from the checks (each check is its tree's node count);
bytes are nominal, 32 per node for every engine, not what the collector
really uses. wasmtime-py exposes no collector statistics, so "gc" is null.
Peak RSS is this process's VmHWM, a Python interpreter included
(rss_start_bytes is VmRSS just before the first call).
"""
import json
import sys
import time

NODE_BYTES = 32  # nominal size of a node, the same for every engine
MIN_DEPTH = 4


def status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def main():
    args = sys.argv[1:]
    pulley = "--pulley" in args
    args = [a for a in args if a != "--pulley"]
    if not args:
        raise SystemExit(__doc__)
    path = args[0]
    n = max(MIN_DEPTH + 2, int(args[1]) if len(args) > 1 else 16)

    import wasmtime

    t0 = time.perf_counter()
    config = wasmtime.Config()
    config.wasm_gc = True
    config.wasm_function_references = True
    if pulley:
        config.target = "pulley64"
    engine = wasmtime.Engine(config)
    module = wasmtime.Module.from_file(engine, path)
    store = wasmtime.Store(engine)
    exports = wasmtime.Instance(store, module, []).exports(store)
    iteration, long_lived, check_long_lived = exports["iteration"], exports["long_lived"], exports["check_long_lived"]
    setup_s = time.perf_counter() - t0
    rss_start = status_kib("VmRSS") * 1024

    times = []

    def timed(f, *a):
        t = time.perf_counter()
        r = f(store, *a)
        times.append(time.perf_counter() - t)
        return r

    stretch = timed(iteration, n + 1, 1)
    long = timed(long_lived, n)
    iterations = []
    for d in range(MIN_DEPTH, n + 1, 2):
        count = 1 << (n - d + MIN_DEPTH)
        iterations.append({"depth": d, "count": count, "check": timed(iteration, d, count)})
    final = timed(check_long_lived)

    # check_long_lived walks the kept tree without allocating.
    nodes = stretch + long + sum(i["check"] for i in iterations)
    total = sum(times)
    print(json.dumps({
        "engine": "wasmtime-pulley" if pulley else "wasmtime",
        "depth": n,
        "setup_s": setup_s,
        "total_s": total,
        "calls": len(times),
        "nodes": nodes,
        "node_bytes_nominal": NODE_BYTES,
        "alloc_nodes_per_s": nodes / total,
        "alloc_mb_per_s": nodes * NODE_BYTES / total / 1e6,
        "longest_call_s": max(times),
        "peak_rss_bytes": status_kib("VmHWM") * 1024,
        "rss_start_bytes": rss_start,
        "checks": {"stretch": stretch, "long_lived": long, "iterations": iterations, "check_long_lived": final},
        "gc": None,
    }))


if __name__ == "__main__":
    main()
