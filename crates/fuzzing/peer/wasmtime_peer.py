#!/usr/bin/env python3
"""wasmtime (the PyPI package) as a differential peer for nanowasm's tests.

Reads one JSON command per line on stdin and answers one JSON line on
stdout (see crates/fuzzing/src/differential.rs, `Wasmtime`):

  {"op": "load", "path": P, "fuel": N, "memory": BYTES, "tables": ELEMS,
   "opaque": [names of exports whose types hold an exnref]}
      -> {"outcome": O}         (instantiates, start function included)
  {"op": "funcs"}               -> {"funcs": [names of exported functions]}
  {"op": "call", "name": F}     -> {"outcome": O}   (zero/null arguments)
  {"op": "state"}               -> {"globals": [[name, V]], "tables": [[name, n]],
                                    "memories": [[name, len, crc32]]}

An outcome O is {"values": [V...]}, {"trap": KIND} or "exhausted"; a value
V is ["i32", n], ["i64", n], ["f32", bits], ["f64", bits], ["ref", null?]
or ["opaque"] (a global the Python API cannot read, left out of the
comparison).
"""

import json
import struct
import sys
import zlib

import wasmtime

TRAPS = {
    "UNREACHABLE": "unreachable",
    "MEMORY_OUT_OF_BOUNDS": "memory",
    "HEAP_MISALIGNED": "memory",
    "TABLE_OUT_OF_BOUNDS": "table",
    "INDIRECT_CALL_TO_NULL": "null_call",
    "BAD_SIGNATURE": "signature",
    "INTEGER_DIVISION_BY_ZERO": "div0",
    "INTEGER_OVERFLOW": "overflow",
    "BAD_CONVERSION_TO_INTEGER": "conversion",
    "NULL_REFERENCE": "null",
    "CAST_FAILURE": "cast",
    "ARRAY_OUT_OF_BOUNDS": "array",
}


def value(ty, v):
    k = str(ty)
    if k == "i32":
        return ["i32", v]
    if k == "i64":
        return ["i64", v]
    if k == "f32":
        return ["f32", struct.unpack("<I", struct.pack("<f", v))[0]]
    if k == "f64":
        return ["f64", struct.unpack("<Q", struct.pack("<d", v))[0]]
    # A null reference comes back as None or as a `Val` holding None.
    if isinstance(v, wasmtime.Val):
        v = v.value
    return ["ref", v is None]


def default(ty):
    k = str(ty)
    if k in ("i32", "i64"):
        return 0
    if k in ("f32", "f64"):
        return 0.0
    return None


def outcome(e):
    if isinstance(e, wasmtime.Trap):
        code = e.trap_code
        if code is None:
            if "exception" in str(e):
                return {"trap": "exception"}
            return {"trap": "other: " + str(e).splitlines()[0]}
        name = code.name
        if name in ("OUT_OF_FUEL", "STACK_OVERFLOW", "INTERRUPT", "ALLOCATION_TOO_LARGE"):
            return "exhausted"
        return {"trap": TRAPS.get(name, "other: " + name)}
    text = str(e)
    for needle, kind in (
        ("out of bounds table access", "table"),
        ("out of bounds memory access", "memory"),
        ("exception", "exception"),
    ):
        if needle in text:
            return {"trap": kind}
    if "GC heap" in text or "out of memory" in text or "resource limit" in text or "memory minimum size" in text or "table minimum size" in text:
        return "exhausted"
    return {"trap": "other: " + text.splitlines()[0]}


class Peer:
    def __init__(self):
        self.store = None
        self.instance = None

    def load(self, cmd):
        config = wasmtime.Config()
        config.consume_fuel = True
        config.wasm_exceptions = True
        config.wasm_tail_call = True
        config.wasm_multi_memory = True
        config.wasm_memory64 = True
        config.wasm_function_references = True
        config.wasm_gc = True
        engine = wasmtime.Engine(config)
        self.store = wasmtime.Store(engine)
        self.store.set_fuel(cmd["fuel"])
        self.store.set_limits(memory_size=cmd["memory"], table_elements=cmd["tables"])
        self.instance = None
        # Exports whose types hold an `exnref`: reading such a value, or
        # even its type, makes the C API abort the process, so they are
        # never touched (the globals are opaque, the functions not called).
        self.opaque = set(cmd.get("opaque", []))
        module = wasmtime.Module.from_file(engine, cmd["path"])
        self.fuel = cmd["fuel"]
        try:
            self.instance = wasmtime.Instance(self.store, module, [])
        except Exception as e:  # noqa: BLE001 - every failure is an outcome
            return {"outcome": outcome(e)}
        return {"outcome": {"values": []}}

    def exports(self):
        if self.instance is None:
            return []
        return list(self.instance.exports(self.store).items())

    def funcs(self):
        return {"funcs": [n for n, e in self.exports() if isinstance(e, wasmtime.Func)]}

    def call(self, name):
        if self.instance is None:
            return {"outcome": "exhausted"}
        f = self.instance.exports(self.store)[name]
        if name in self.opaque:
            return {"outcome": "exhausted"}
        ty = f.type(self.store)
        self.store.set_fuel(self.fuel)
        try:
            r = f(self.store, *[default(t) for t in ty.params])
        except Exception as e:  # noqa: BLE001
            return {"outcome": outcome(e)}
        results = ty.results
        if len(results) == 0:
            vals = []
        elif len(results) == 1:
            vals = [value(results[0], r)]
        else:
            vals = [value(t, v) for t, v in zip(results, r)]
        return {"outcome": {"values": vals}}

    def state(self):
        g, t, m = [], [], []
        for name, e in self.exports():
            if isinstance(e, wasmtime.Global):
                if name in self.opaque:
                    g.append([name, ["opaque"]])
                else:
                    g.append([name, value(e.type(self.store).content, e.value(self.store))])
            elif isinstance(e, wasmtime.Table):
                t.append([name, e.size(self.store)])
            elif isinstance(e, wasmtime.Memory):
                n = e.data_len(self.store)
                data = e.read(self.store, 0, n) if n else b""
                m.append([name, n, zlib.crc32(data)])
        return {"globals": g, "tables": t, "memories": m}


def main():
    peer = Peer()
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd["op"]
        if op == "load":
            out = peer.load(cmd)
        elif op == "funcs":
            out = peer.funcs()
        elif op == "call":
            out = peer.call(cmd["name"])
        else:
            out = peer.state()
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
