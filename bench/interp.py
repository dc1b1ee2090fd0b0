#!/usr/bin/env python3
"""Compute-kernel benchmark: nanowasm against wasm3 (pywasm3) and wasmi
(wasmi_cli), same modules, same inputs, same run, interleaved.

Each kernel in bench/kernels/ is a wasm32 module that imports nothing and
exports `run() -> i32`; every engine calls `run` and must return the same
checksum before its time counts. Times are wall-clock medians of REPS runs
(engine start-up included; it is milliseconds against runs of ~0.1-2 s).

Usage: python3 bench/interp.py [--reps N] [--kernels fib,sieve,...]
Installs the peers if missing: pip install pywasm3; cargo install wasmi_cli
(into ~/.cache/nanowasm-bench). Writes bench/results/interp-<date>.json.
"""
import argparse, datetime, json, math, os, platform, shutil, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNELS = os.path.join(ROOT, "bench", "kernels")
CACHE = os.path.expanduser("~/.cache/nanowasm-bench")
WASMI = os.path.join(CACHE, "wasmi", "bin", "wasmi")


def ensure_peers():
    try:
        import wasm3  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "pywasm3"], check=True)
    if not os.path.exists(WASMI):
        subprocess.run(["cargo", "install", "-q", "wasmi_cli", "--root", os.path.join(CACHE, "wasmi")], check=True)


def build_nanowasm():
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "nanowasm-cli"], cwd=ROOT, check=True)
    return os.path.join(ROOT, "target", "release", "nanowasm")


def time_cli(cmd):
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if out.returncode != 0:
        raise RuntimeError(f"{cmd}: {out.stderr.strip()}")
    return dt, out.stdout.strip().splitlines()[-1]


def time_wasm3(path):
    import wasm3
    t = time.perf_counter()
    env = wasm3.Environment()
    rt = env.new_runtime(64 * 1024 * 1024)
    with open(path, "rb") as f:
        rt.load(env.parse_module(f.read()))
    result = rt.find_function("run")()
    return time.perf_counter() - t, str(result)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--kernels", default="")
    args = ap.parse_args()
    ensure_peers()
    nanowasm = build_nanowasm()
    kernels = sorted(f[:-5] for f in os.listdir(KERNELS) if f.endswith(".wasm"))
    if args.kernels:
        kernels = [k for k in kernels if k in args.kernels.split(",")]
    engines = {
        "nanowasm": lambda p: time_cli([nanowasm, "run", "--invoke", "run", p]),
        "wasmi": lambda p: time_cli([WASMI, "run", "--invoke", "run", p]),
        "wasm3": time_wasm3,
    }
    results = {}
    for k in kernels:
        path = os.path.join(KERNELS, k + ".wasm")
        times = {e: [] for e in engines}
        outputs = {}
        for _ in range(args.reps):
            for e, f in engines.items():  # interleaved
                dt, out = f(path)
                times[e].append(dt)
                outputs.setdefault(e, out)
        if len(set(outputs.values())) != 1:
            raise SystemExit(f"{k}: engines disagree: {outputs}")
        results[k] = {e: {"median": statistics.median(t), "min": min(t), "max": max(t)} for e, t in times.items()}
        results[k]["checksum"] = outputs["nanowasm"]
        m = {e: results[k][e]["median"] for e in engines}
        print(f"{k:10} nanowasm {m['nanowasm']:6.3f}s  wasm3 {m['wasm3']:6.3f}s  wasmi {m['wasmi']:6.3f}s  "
              f"nanowasm/wasm3 {m['nanowasm'] / m['wasm3']:5.2f}  nanowasm/wasmi {m['nanowasm'] / m['wasmi']:5.2f}",
              flush=True)
    geo = {}
    for peer in ("wasm3", "wasmi"):
        r = [results[k]["nanowasm"]["median"] / results[k][peer]["median"] for k in results]
        geo[peer] = math.exp(sum(map(math.log, r)) / len(r))
        print(f"geometric mean nanowasm/{peer}: {geo[peer]:.2f} (goal: {'0.7' if peer == 'wasm3' else '0.5'})")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    out_dir = os.path.join(ROOT, "bench", "results")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, f"interp-{datetime.date.today().isoformat()}.json")
    with open(out, "w") as f:
        json.dump({"commit": commit, "machine": platform.platform(), "cpus": os.cpu_count(), "reps": args.reps,
                   "results": results, "geomean_ratio": geo}, f, indent=1)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
