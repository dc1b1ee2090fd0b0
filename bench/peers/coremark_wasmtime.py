#!/usr/bin/env python3
"""wasmtime peer for CoreMark (wasmtime Python API): `coremark_wasmtime.py
coremark-minimal.wasm`. The WASI build prints no score within minutes on
wasmtime (as on the wasmi CLI), so this runs the minimal build: it provides
`env.clock_ms: () -> i64` (wall-clock milliseconds), calls `run: () -> f32`
and prints the score in the WASI build's format: `CoreMark 1.0 : <score>`."""
import sys, time

import wasmtime

engine = wasmtime.Engine()
store = wasmtime.Store(engine)
module = wasmtime.Module.from_file(engine, sys.argv[1])
linker = wasmtime.Linker(engine)
linker.define_func("env", "clock_ms", wasmtime.FuncType([], [wasmtime.ValType.i64()]),
                   lambda: int(time.time() * 1000))
instance = linker.instantiate(store, module)
score = instance.exports(store)["run"](store)
print(f"CoreMark 1.0 : {score:.6f}")
