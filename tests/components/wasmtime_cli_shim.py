#!/usr/bin/env python3
"""A `wasmtime run` lookalike for wasi:cli/command components, on the wasmtime
Python API (wasmtime.component + add_wasip2).

It exists to exercise reference.py's command-line mode without a wasmtime binary:

    python3 tests/components/reference.py --runtime "python3 tests/components/wasmtime_cli_shim.py"

Accepted syntax (a subset of `wasmtime run`, plus --dir-ro):
    [run] [--dir HOST::GUEST]... [--dir-ro HOST::GUEST]... [--env NAME=VALUE]... FILE.wasm [ARGS...]
stdin/stdout/stderr are the process's own; the exit status is the guest's
(wasi:cli/exit, or 0/1 for run returning ok/err), 134 on a trap.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import run_component_api  # noqa: E402


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
            env.append((k, v))
        else:
            sys.exit(f"shim: unknown flag {flag}")
    wasm, args = argv[i], argv[i + 1:]
    code = run_component_api(wasm, os.path.basename(wasm), args, env, dirs, "/dev/stdin",
                             None, None, os.getcwd(), 3600)
    if code.isdigit():
        return int(code)
    print(f"shim: {code}", file=sys.stderr)
    return 134


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
