#!/usr/bin/env python3
"""A tiny wasmtime-CLI lookalike built on the wasmtime Python API.

It exists only to exercise reference.py's command-line mode without a wasmtime binary:

    python3 tests/wasi/reference.py --runtime "python3 tests/wasi/wasmtime_cli_shim.py"

Accepted syntax (a subset of `wasmtime run`, plus --dir-ro):
    [run] [--dir HOST::GUEST]... [--dir-ro HOST::GUEST]... [--env NAME=VALUE]... FILE.wasm [ARGS...]
stdin/stdout/stderr are the process's own; the exit code is the guest's.
"""
import os
import sys

import wasmtime


def main(argv):
    dirs, env = [], []
    i = 0
    if i < len(argv) and argv[i] == "run":
        i += 1
    while i < len(argv) and argv[i].startswith("--"):
        flag = argv[i]
        value = argv[i + 1]
        i += 2
        if flag in ("--dir", "--dir-ro"):
            host, _, guest = value.partition("::")
            dirs.append((host, guest or host, flag == "--dir"))
        elif flag == "--env":
            k, _, v = value.partition("=")
            env.append([k, v])
        else:
            sys.exit(f"shim: unknown flag {flag}")
    wasm, args = argv[i], argv[i + 1:]

    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    cfg = wasmtime.WasiConfig()
    cfg.argv = [os.path.basename(wasm)] + args
    cfg.env = env
    for host, guest, rw in dirs:
        cfg.preopen_dir(host, guest, rw)
    cfg.stdin_file = "/dev/stdin"
    cfg.inherit_stdout()
    cfg.inherit_stderr()
    store.set_wasi(cfg)
    module = wasmtime.Module.from_file(engine, wasm)
    instance = linker.instantiate(store, module)
    try:
        instance.exports(store)["_start"](store)
    except wasmtime.ExitTrap as e:
        return e.code
    except wasmtime.WasmtimeError as e:
        print(f"shim: {e}", file=sys.stderr)
        return 134
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
