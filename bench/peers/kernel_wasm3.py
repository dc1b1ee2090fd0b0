#!/usr/bin/env python3
"""wasm3 peer for the compute kernels (pywasm3): `kernel_wasm3.py FILE`.
Prints one JSON line: result of `run`, and the time from bytes to result
(parse + load + run) measured inside the process, so Python's start-up is
not counted."""
import json, sys, time

import wasm3

path = sys.argv[1]
with open(path, "rb") as f:
    data = f.read()
t0 = time.perf_counter()
env = wasm3.Environment()
rt = env.new_runtime(64 * 1024 * 1024)
rt.load(env.parse_module(data))
run = rt.find_function("run")
t1 = time.perf_counter()
result = run()
t2 = time.perf_counter()
print(json.dumps({"result": int(result), "total_s": t2 - t0, "load_s": t1 - t0, "run_s": t2 - t1}))
