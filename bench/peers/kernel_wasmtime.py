#!/usr/bin/env python3
"""wasmtime peer for the compute kernels (PyPI `wasmtime`, Cranelift):
`kernel_wasmtime.py FILE`. Prints one JSON line: result of `run`, and the
time from bytes to result (compile + instantiate + run) measured inside the
process, so Python's start-up and import are not counted."""
import json, sys, time

import wasmtime

path = sys.argv[1]
with open(path, "rb") as f:
    data = f.read()
t0 = time.perf_counter()
engine = wasmtime.Engine()
store = wasmtime.Store(engine)
module = wasmtime.Module(engine, data)
instance = wasmtime.Instance(store, module, [])
run = instance.exports(store)["run"]
t1 = time.perf_counter()
result = run(store)
t2 = time.perf_counter()
print(json.dumps({"result": int(result), "total_s": t2 - t0, "load_s": t1 - t0, "run_s": t2 - t1}))
