#!/usr/bin/env python3
"""A minimal `wasmtime run` on the wasmtime Python package (pip install
wasmtime): `wasmtime_run.py [--dir HOST::GUEST]... FILE [ARGS...]`, with
inherited stdio. Used by the benchmarks as the wasmtime peer."""

import sys

import wasmtime


def main():
    argv = sys.argv[1:]
    dirs = []
    while argv and argv[0] == "--dir":
        host, _, guest = argv[1].partition("::")
        dirs.append((host, guest or host))
        argv = argv[2:]
    path, args = argv[0], argv[1:]
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    wasi = wasmtime.WasiConfig()
    wasi.argv = [path] + args
    wasi.inherit_stdin()
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    for host, guest in dirs:
        wasi.preopen_dir(host, guest)
    store.set_wasi(wasi)
    module = wasmtime.Module.from_file(engine, path)
    instance = linker.instantiate(store, module)
    try:
        instance.exports(store)["_start"](store)
    except wasmtime.ExitTrap as e:
        sys.exit(e.code)


if __name__ == "__main__":
    main()
