#!/usr/bin/env python3
"""WASI 0.2 (`wasi:cli/command`) component harness for nanowasm.

Runs every tests/components/bin/NAME.wasm (a component) in a fresh sandbox and
either records the reference results (wasmtime's component runtime, through the
`wasmtime` Python package) or compares another runtime against them.  The
programs and how each is run are listed in cases.json; see README.md.

    python3 tests/components/reference.py --write          # regenerate expected/ with wasmtime
    python3 tests/components/reference.py                  # check wasmtime against expected/
    python3 tests/components/reference.py --runtime "target/release/nanowasm run"
    python3 tests/components/reference.py --runtime "wasmtime run" --ro-flag "--dir {host}::{guest}" args env

Sandbox layout (a fresh host temp dir TMP for every program, as in tests/wasi):
    TMP/sandbox/            preopened as guest path /sandbox (rw, ro or not at all)
    TMP/sandbox/hello.txt   "hello from the host\\n"
    TMP/sandbox/sub/nested.txt  "nested\\n"
    TMP/outside/secret.txt  "TOP SECRET\\n"   (must never be readable by the guest)

cases.json: {"cases": [{"name", "kind", "source", "args", "env", "dir",
"stdin", "exit", "preview1_exit"}, ...]}; paths are relative to tests/components/.
"""

import argparse
import difflib
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(HERE, "bin")
EXPECTED = os.path.join(HERE, "expected")
CASES = os.path.join(HERE, "cases.json")

GUEST_DIR = "/sandbox"
SECRET = b"TOP SECRET\n"


# --------------------------------------------------------------------------
# cases

class Spec:
    def __init__(self, d):
        self.name = d["name"]
        self.kind = d["kind"]              # "adapter" or "wit-bindgen"
        self.source = d["source"]          # relative to tests/components/
        self.args = list(d.get("args", []))
        self.env = [tuple(kv) for kv in d.get("env", [])]  # [[name, value], ...] in order
        self.dir = d.get("dir", "rw")      # rw | ro | none
        self.stdin = d.get("stdin")        # path relative to tests/components/, or null (empty)
        self.exit = int(d.get("exit", 0))  # exit status under the reference runtime
        assert self.dir in ("rw", "ro", "none"), self.name

    def stdin_path(self):
        return os.path.join(HERE, self.stdin) if self.stdin else None

    def wasm(self):
        return os.path.join(BIN, self.name + ".wasm")


def load_cases():
    with open(CASES, encoding="utf-8") as f:
        data = json.load(f)
    return {d["name"]: Spec(d) for d in data["cases"]}


# --------------------------------------------------------------------------
# sandbox + tree (identical to tests/wasi/reference.py)

def make_sandbox(root):
    sb = os.path.join(root, "sandbox")
    os.makedirs(os.path.join(sb, "sub"))
    os.makedirs(os.path.join(root, "outside"))
    with open(os.path.join(sb, "hello.txt"), "wb") as f:
        f.write(b"hello from the host\n")
    with open(os.path.join(sb, "sub", "nested.txt"), "wb") as f:
        f.write(b"nested\n")
    with open(os.path.join(root, "outside", "secret.txt"), "wb") as f:
        f.write(SECRET)
    return sb


def _describe_bytes(data):
    if len(data) <= 200:
        try:
            text = data.decode("utf-8")
            if all(c == "\n" or c == "\t" or 32 <= ord(c) < 127 for c in text):
                return f"{len(data)} {text!r}"
        except UnicodeDecodeError:
            pass
    return f"{len(data)} sha256:{hashlib.sha256(data).hexdigest()[:16]}"


def tree(root):
    """Deterministic listing of everything under root (symlinks not followed)."""
    lines = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for n in sorted(dirnames + filenames):
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                lines.append(f"link {rel} -> {os.readlink(p)}")
            elif os.path.isdir(p):
                lines.append(f"dir  {rel}/")
            elif os.path.isfile(p):
                try:
                    with open(p, "rb") as f:
                        data = f.read()
                    lines.append(f"file {rel} {_describe_bytes(data)}")
                except OSError as e:
                    lines.append(f"file {rel} <unreadable: {e.strerror}>")
            else:
                lines.append(f"other {rel}")
    lines.sort(key=lambda l: l.split(" ", 1)[1].strip())
    return "".join(l + "\n" for l in lines)


def make_writable(root):
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            if not os.path.islink(p):
                try:
                    os.chmod(p, 0o755 if os.path.isdir(p) else 0o644)
                except OSError:
                    pass


# --------------------------------------------------------------------------
# runners

class Result:
    def __init__(self, stdout, exit, stderr, tree):
        self.stdout = stdout  # bytes
        self.exit = exit      # str: "N" or "trap: ..." / "error: ..." / "signal N" / "timeout"
        self.stderr = stderr  # bytes
        self.tree = tree      # str


def _last_line(e):
    lines = [l.strip() for l in str(e).splitlines() if l.strip()]
    return lines[-1] if lines else type(e).__name__


def run_export_name(engine, component):
    """The `wasi:cli/run@0.2.x` instance export of a command component."""
    names = [n for n in component.type.exports(engine) if n.startswith("wasi:cli/run@0.2.")]
    if len(names) != 1:
        raise RuntimeError(f"not a wasi:cli/command component (run exports: {names})")
    return names[0]


def run_component_api(wasm, argv0, args, env, dirs, stdin_path, stdout_path, stderr_path,
                      cwd, timeout):
    """Run a wasi:cli/command component on wasmtime (Python API) like `wasmtime run`.

    dirs: [(host, guest, writable)].  Returns the exit status as a string: the
    status of wasi:cli/exit, 0 when `run` returns ok, 1 when it returns err
    (as the wasmtime CLI does), "trap: ..." when the guest traps."""
    import wasmtime
    import wasmtime.component as wc

    config = wasmtime.Config()
    config.epoch_interruption = True
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    store.set_epoch_deadline(1)
    linker = wc.Linker(engine)
    linker.add_wasip2()
    wasi = wasmtime.WasiConfig()
    wasi.argv = [argv0] + list(args)
    wasi.env = [[k, v] for k, v in env]
    for host, guest, rw in dirs:
        wasi.preopen_dir(host, guest, rw)
    wasi.stdin_file = stdin_path
    if stdout_path is None:
        wasi.inherit_stdout()
    else:
        wasi.stdout_file = stdout_path
    if stderr_path is None:
        wasi.inherit_stderr()
    else:
        wasi.stderr_file = stderr_path
    store.set_wasi(wasi)
    component = wc.Component.from_file(engine, wasm)

    timer = threading.Timer(timeout, engine.increment_epoch)
    timer.start()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        instance = linker.instantiate(store, component)
        iface = instance.get_export_index(store, run_export_name(engine, component))
        run = instance.get_func(store, instance.get_export_index(store, "run", iface))
        result = run(store)
        run.post_return(store)
        tag = getattr(result, "tag", result)
        code = "0" if tag == "ok" or result is None else "1"
    except wasmtime.ExitTrap as e:
        code = str(e.code)
    except wasmtime.Trap as e:
        code = "trap: " + _last_line(e)
    except wasmtime.WasmtimeError as e:
        code = "error: " + _last_line(e)
    finally:
        os.chdir(old)
        timer.cancel()
    return code


def run_wasmtime(spec, root, iodir, timeout):
    sb = os.path.join(root, "sandbox")
    out = os.path.join(iodir, "stdout")
    err = os.path.join(iodir, "stderr")
    stdin_path = spec.stdin_path()
    if not stdin_path:
        stdin_path = os.path.join(iodir, "empty")
        open(stdin_path, "wb").close()
    dirs = [] if spec.dir == "none" else [(sb, GUEST_DIR, spec.dir == "rw")]
    code = run_component_api(spec.wasm(), spec.name + ".wasm", spec.args, spec.env, dirs,
                             stdin_path, out, err, root, timeout)
    with open(out, "rb") as f:
        stdout = f.read()
    with open(err, "rb") as f:
        stderr = f.read()
    return Result(stdout, code, stderr, None)


def run_command(spec, root, iodir, timeout, cmd, ro_flag):
    sb = os.path.join(root, "sandbox")
    argv = [os.path.abspath(a) if "/" in a and not os.path.isabs(a) and os.path.exists(a) else a
            for a in shlex.split(cmd)]
    if spec.dir == "rw":
        argv += ["--dir", f"{sb}::{GUEST_DIR}"]
    elif spec.dir == "ro":
        if "{host}" in ro_flag or "{guest}" in ro_flag:
            argv += shlex.split(ro_flag.replace("{host}", sb).replace("{guest}", GUEST_DIR))
        else:
            argv += [ro_flag, f"{sb}::{GUEST_DIR}"]
    for k, v in spec.env:
        argv += ["--env", f"{k}={v}"]
    argv.append(spec.wasm())
    argv += spec.args
    stdin = open(spec.stdin_path(), "rb") if spec.stdin else subprocess.DEVNULL
    try:
        p = subprocess.run(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           cwd=root, timeout=timeout)
        stdout, stderr = p.stdout, p.stderr
        code = str(p.returncode) if p.returncode >= 0 else f"signal {-p.returncode}"
    except subprocess.TimeoutExpired as e:
        stdout, stderr, code = e.stdout or b"", e.stderr or b"", "timeout"
    finally:
        if spec.stdin:
            stdin.close()
    return Result(stdout, code, stderr, None)


def run_one(spec, args):
    root = tempfile.mkdtemp(prefix=f"p2-{spec.name}-")
    iodir = tempfile.mkdtemp(prefix=f"p2-io-{spec.name}-")
    try:
        make_sandbox(root)
        if args.runtime == "wasmtime":
            res = run_wasmtime(spec, root, iodir, args.timeout)
        else:
            res = run_command(spec, root, iodir, args.timeout, args.runtime, args.ro_flag)
        res.tree = tree(root)
        return res
    finally:
        if args.keep:
            print(f"  kept {root}")
        else:
            make_writable(root)
            shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(iodir, ignore_errors=True)


# --------------------------------------------------------------------------
# main

def read_expected(name, ext, binary=False):
    p = os.path.join(EXPECTED, f"{name}.{ext}")
    if not os.path.exists(p):
        return None
    with open(p, "rb" if binary else "r") as f:
        return f.read()


def udiff(label, expected, actual):
    if isinstance(expected, bytes):
        expected = expected.decode("utf-8", "replace")
    if isinstance(actual, bytes):
        actual = actual.decode("utf-8", "replace")
    return "".join(difflib.unified_diff(
        expected.splitlines(True), actual.splitlines(True),
        f"expected/{label}", f"actual/{label}"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="programs to run (default: every case in cases.json)")
    ap.add_argument("--runtime", default="wasmtime",
                    help='"wasmtime" (Python API, default) or a command line such as '
                         '"target/release/nanowasm run"')
    ap.add_argument("--write", action="store_true",
                    help="write expected/ from the results instead of comparing (wasmtime only)")
    ap.add_argument("--ro-flag", default="--dir-ro",
                    help='flag for a read-only preopen in command mode: either a flag name, used as '
                         '"FLAG HOST::/sandbox" (default --dir-ro), or a template containing {host} '
                         'and/or {guest}, e.g. "--dir {host}::{guest}::ro"')
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per program")
    ap.add_argument("--keep", action="store_true", help="keep the temp dirs for inspection")
    ap.add_argument("--list", action="store_true", help="print the case names and exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="show stdout/stderr of every program")
    args = ap.parse_args()

    if args.write and args.runtime != "wasmtime":
        ap.error("--write is only meaningful with --runtime wasmtime")

    cases = load_cases()
    if args.list:
        print("\n".join(cases))
        return 0
    names = args.names or list(cases)
    passed, failed = [], []
    for name in names:
        spec = cases.get(name)
        if spec is None:
            print(f"FAIL {name}: no such case in cases.json")
            failed.append(name)
            continue
        if not os.path.exists(spec.wasm()):
            print(f"FAIL {name}: bin/{name}.wasm missing (run build.sh)")
            failed.append(name)
            continue
        res = run_one(spec, args)
        if args.verbose:
            sys.stdout.write(f"--- {name} stdout\n{res.stdout.decode('utf-8', 'replace')}")
            sys.stdout.write(f"--- {name} stderr\n{res.stderr.decode('utf-8', 'replace')}")
            sys.stdout.write(f"--- {name} exit {res.exit}\n")
        if args.write:
            os.makedirs(EXPECTED, exist_ok=True)
            with open(os.path.join(EXPECTED, name + ".stdout"), "wb") as f:
                f.write(res.stdout)
            with open(os.path.join(EXPECTED, name + ".exit"), "w") as f:
                f.write(res.exit + "\n")
            with open(os.path.join(EXPECTED, name + ".tree"), "w") as f:
                f.write(res.tree)
            if res.exit != str(spec.exit):
                print(f"FAIL {name}: exit {res.exit}, but cases.json says {spec.exit} (written anyway)")
                failed.append(name)
            else:
                print(f"WROTE {name} (exit {res.exit})")
                passed.append(name)
            continue

        problems = []
        exp_out = read_expected(name, "stdout", binary=True)
        exp_exit = read_expected(name, "exit")
        exp_tree = read_expected(name, "tree")
        if exp_out is None or exp_exit is None or exp_tree is None:
            problems.append("missing expected/ files (run with --write under wasmtime)")
        else:
            if res.stdout != exp_out:
                problems.append("stdout differs:\n" + udiff(name + ".stdout", exp_out, res.stdout))
            if res.exit != exp_exit.strip():
                problems.append(f"exit code: expected {exp_exit.strip()}, got {res.exit}")
            if res.tree != exp_tree:
                problems.append("tree differs:\n" + udiff(name + ".tree", exp_tree, res.tree))
        if res.exit != str(spec.exit):
            problems.append(f"exit code {res.exit} does not match cases.json exit: {spec.exit}")
        if SECRET.strip() in res.stdout:
            problems.append("stdout contains the secret!")
        if problems:
            print(f"FAIL {name}")
            for p in problems:
                for line in p.rstrip("\n").splitlines():
                    print("    " + line)
            if res.stderr and not args.verbose:
                print("    stderr:")
                for line in res.stderr.decode("utf-8", "replace").splitlines()[:20]:
                    print("      " + line)
            failed.append(name)
        else:
            print(f"PASS {name}")
            passed.append(name)

    print(f"{len(passed)} passed, {len(failed)} failed")
    if failed:
        print("failed: " + " ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
