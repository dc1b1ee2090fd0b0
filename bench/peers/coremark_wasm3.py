#!/usr/bin/env python3
"""wasm3 peer for CoreMark (pywasm3 has no WASI): `coremark_wasm3.py
coremark-minimal.wasm`. Provides the module's one import, `env.clock_ms:
() -> i64` (wall-clock milliseconds), calls `run: () -> f32` and prints the
score in the WASI build's format: `CoreMark 1.0 : <score>`."""
import sys, time

import wasm3

with open(sys.argv[1], "rb") as f:
    data = f.read()
env = wasm3.Environment()
rt = env.new_runtime(64 * 1024)
module = env.parse_module(data)
rt.load(module)
module.link_function("env", "clock_ms", "I()", lambda: int(time.time() * 1000))
score = rt.find_function("run")()
print(f"CoreMark 1.0 : {score:.6f}")
