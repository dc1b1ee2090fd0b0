#!/usr/bin/env python3
"""WASI preview1 conformance harness for nanowasm.

Runs every tests/wasi/bin/NAME.wasm (built from src/NAME.c) in a fresh sandbox
and either records the reference results (wasmtime) or compares another
runtime against them.  See tests/wasi/README.md.

    python3 tests/wasi/reference.py --write              # regenerate expected/ with wasmtime
    python3 tests/wasi/reference.py                      # check wasmtime against expected/
    python3 tests/wasi/reference.py --runtime "target/release/nanowasm run"
    python3 tests/wasi/reference.py --runtime "wasmtime run" --ro-flag "--dir {host}::{guest}" args env

Sandbox layout (a fresh host temp dir TMP for every program):
    TMP/sandbox/            preopened as guest path /sandbox (rw, ro or not at all)
    TMP/sandbox/hello.txt   "hello from the host\\n"
    TMP/sandbox/sub/nested.txt  "nested\\n"
    TMP/outside/secret.txt  "TOP SECRET\\n"   (must never be readable by the guest)

Header lines at the top of src/NAME.c (all optional):
    // args: a b "c d"        argv after the program name (shell-like quoting)
    // env: NAME=VALUE        repeatable
    // dir: rw|ro|none        how /sandbox is preopened (default rw)
    // stdin: FILE            file under tests/wasi/stdin/ fed as stdin (default: empty)
    // exit: N                expected exit code (default 0)
"""

import argparse
import difflib
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "src")
BIN = os.path.join(HERE, "bin")
STDIN = os.path.join(HERE, "stdin")
EXPECTED = os.path.join(HERE, "expected")

GUEST_DIR = "/sandbox"
SECRET = b"TOP SECRET\n"


# --------------------------------------------------------------------------
# program headers

class Spec:
    def __init__(self, name):
        self.name = name
        self.args = []
        self.env = []  # list of (name, value), in header order
        self.dir = "rw"
        self.stdin = None
        self.exit = 0


HEADER_RE = re.compile(r"^//\s*(args|env|dir|stdin|exit):(.*)$")


def parse_header(name):
    spec = Spec(name)
    with open(os.path.join(SRC, name + ".c"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.startswith("//"):
                break
            m = HEADER_RE.match(line)
            if not m:
                continue
            key, value = m.group(1), m.group(2).strip()
            if key == "args":
                spec.args = shlex.split(value)
            elif key == "env":
                k, sep, v = value.partition("=")
                if not sep:
                    raise SystemExit(f"{name}.c: bad env header: {line!r}")
                spec.env.append((k, v))
            elif key == "dir":
                if value not in ("rw", "ro", "none"):
                    raise SystemExit(f"{name}.c: bad dir header: {line!r}")
                spec.dir = value
            elif key == "stdin":
                spec.stdin = value
            elif key == "exit":
                spec.exit = int(value)
    return spec


def all_names():
    return sorted(f[:-2] for f in os.listdir(SRC) if f.endswith(".c"))


# --------------------------------------------------------------------------
# sandbox + tree

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
    # Programs may leave read-only files/dirs behind; make cleanup possible.
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
        self.exit = exit      # str: "N" or "trap: ..." / "signal N" / "timeout"
        self.stderr = stderr  # bytes
        self.tree = tree      # str


def _last_line(e):
    lines = [l.strip() for l in str(e).splitlines() if l.strip()]
    return lines[-1] if lines else type(e).__name__


def run_wasmtime(spec, root, iodir, timeout):
    import wasmtime

    sb = os.path.join(root, "sandbox")
    out = os.path.join(iodir, "stdout")
    err = os.path.join(iodir, "stderr")
    stdin_path = os.path.join(STDIN, spec.stdin) if spec.stdin else os.path.join(iodir, "empty")
    if not spec.stdin:
        open(stdin_path, "wb").close()

    config = wasmtime.Config()
    config.epoch_interruption = True
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    store.set_epoch_deadline(1)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    wasi = wasmtime.WasiConfig()
    wasi.argv = [spec.name + ".wasm"] + spec.args
    wasi.env = [[k, v] for k, v in spec.env]
    if spec.dir != "none":
        wasi.preopen_dir(sb, GUEST_DIR, spec.dir == "rw")
    wasi.stdin_file = stdin_path
    wasi.stdout_file = out
    wasi.stderr_file = err
    store.set_wasi(wasi)
    module = wasmtime.Module.from_file(engine, os.path.join(BIN, spec.name + ".wasm"))

    import threading
    timer = threading.Timer(timeout, engine.increment_epoch)
    timer.start()
    cwd = os.getcwd()
    os.chdir(root)
    try:
        instance = linker.instantiate(store, module)
        instance.exports(store)["_start"](store)
        code = "0"
    except wasmtime.ExitTrap as e:
        code = str(e.code)
    except wasmtime.Trap as e:
        code = "trap: " + _last_line(e)
    except wasmtime.WasmtimeError as e:
        code = "error: " + _last_line(e)
    finally:
        os.chdir(cwd)
        timer.cancel()
    with open(out, "rb") as f:
        stdout = f.read()
    with open(err, "rb") as f:
        stderr = f.read()
    return Result(stdout, code, stderr, None)


def run_command(spec, root, iodir, timeout, cmd, ro_flag):
    sb = os.path.join(root, "sandbox")
    # The program runs with cwd = the temp dir, so make relative paths in CMD
    # (e.g. "target/release/nanowasm") absolute w.r.t. the caller's cwd.
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
    argv.append(os.path.join(BIN, spec.name + ".wasm"))
    argv += spec.args
    stdin = open(os.path.join(STDIN, spec.stdin), "rb") if spec.stdin else subprocess.DEVNULL
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
    root = tempfile.mkdtemp(prefix=f"wasi-{spec.name}-")
    iodir = tempfile.mkdtemp(prefix=f"wasi-io-{spec.name}-")
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
    ap.add_argument("names", nargs="*", help="programs to run (default: all src/*.c)")
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
    ap.add_argument("-v", "--verbose", action="store_true", help="show stdout/stderr of every program")
    args = ap.parse_args()

    if args.write and args.runtime != "wasmtime":
        ap.error("--write is only meaningful with --runtime wasmtime")

    names = args.names or all_names()
    passed, failed = [], []
    for name in names:
        if not os.path.exists(os.path.join(SRC, name + ".c")):
            print(f"FAIL {name}: no such program src/{name}.c")
            failed.append(name)
            continue
        if not os.path.exists(os.path.join(BIN, name + ".wasm")):
            print(f"FAIL {name}: bin/{name}.wasm missing (run build.sh)")
            failed.append(name)
            continue
        spec = parse_header(name)
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
                print(f"FAIL {name}: exit {res.exit}, but header says {spec.exit} (written anyway)")
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
            problems.append(f"exit code {res.exit} does not match header exit: {spec.exit}")
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
