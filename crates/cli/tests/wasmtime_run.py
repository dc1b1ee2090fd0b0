"""`wasmtime run`, as far as the wasmtime Python package (the engine through
its C API) can show it: the peer of crates/cli/tests/wasmtime_compat.rs.

    python3 wasmtime_run.py [-W KEY=VAL]... [-S KEY]... [--env NAME=VAL]...
                            [--argv0 NAME] [--invoke FUNC] MODULE [ARGS]...

Does what wasmtime-cli's `run` command does for a core module (see its
src/commands/run.rs): argv[0] is the module's file name (or --argv0), every
argument after the module goes to the guest, `-S inherit-env` passes the
host environment, `_initialize` is called when exported, then `--invoke`'s
function or the default export ("" then `_start`), whose results are printed
one per line. Exit status as wasmtime's CLI on Unix: the guest's proc_exit
status; 134 after a trap (printed with `Error:`); 1 for any other error.
After a trap, `frames: N` on stderr gives the number of wasm frames of the
trap's backtrace.
"""

import os
import sys

import wasmtime


def main(argv):
    wasm, wasi, env, argv0, invoke = {}, {}, [], None, None
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        flag = argv[i]
        value = argv[i + 1]
        i += 2
        if flag == "-W":
            k, _, v = value.partition("=")
            wasm[k] = v
        elif flag == "-S":
            k, _, v = value.partition("=")
            wasi[k] = v or "y"
        elif flag == "--env":
            k, _, v = value.partition("=")
            env.append((k, v))
        elif flag == "--argv0":
            argv0 = value
        elif flag == "--invoke":
            invoke = value
        else:
            raise SystemExit(f"wasmtime_run.py: unknown flag {flag}")
    module_path, args = argv[i], argv[i + 1 :]

    config = wasmtime.Config()
    if "fuel" in wasm:
        config.consume_fuel = True
    if wasm.get("exceptions") == "y":
        config.wasm_exceptions = True
    if wasm.get("function-references") == "y":
        config.wasm_function_references = True
    if wasm.get("gc") == "y":
        config.wasm_gc = True
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    if "fuel" in wasm:
        store.set_fuel(int(wasm["fuel"]))
    limits = {}
    for key, arg in [
        ("max-memory-size", "memory_size"),
        ("max-table-elements", "table_elements"),
        ("max-instances", "instances"),
    ]:
        if key in wasm:
            limits[arg] = int(wasm[key])
    if limits:
        store.set_limits(**limits)

    cfg = wasmtime.WasiConfig()
    cfg.argv = [argv0 or os.path.basename(module_path)] + args
    names, values = [], []
    if wasi.get("inherit-env") == "y":
        for k, v in os.environ.items():
            names.append(k)
            values.append(v)
    for k, v in env:
        if k in names:
            values[names.index(k)] = v
        else:
            names.append(k)
            values.append(v)
    cfg.env = list(zip(names, values))
    cfg.inherit_stdin()
    cfg.inherit_stdout()
    cfg.inherit_stderr()
    store.set_wasi(cfg)

    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    try:
        module = wasmtime.Module.from_file(engine, module_path)
        instance = linker.instantiate(store, module)
        exports = instance.exports(store)
        init = exports.get("_initialize")
        if init is not None:
            init(store)
        if invoke is not None:
            func = exports[invoke]
            params = [int(a, 0) for a in args[: len(func.type(store).params)]]
            results = func(store, *params)
            if results is None:
                results = []
            elif not isinstance(results, list):
                results = [results]
            for r in results:
                print(r)
        else:
            func = exports.get("") or exports.get("_start")
            if func is not None:
                func(store)
    except wasmtime.ExitTrap as e:
        sys.stdout.flush()
        return e.code
    except wasmtime.Trap as e:
        sys.stdout.flush()
        print(f"Error: {e}", file=sys.stderr)
        print(f"frames: {len(e.frames)}", file=sys.stderr)
        return 134
    except wasmtime.WasmtimeError as e:
        sys.stdout.flush()
        print(f"Error: {e}", file=sys.stderr)
        return 1
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
