#!/usr/bin/env python3
"""GC benchmark: binary trees (Benchmarks Game) with Wasm GC structs,
nanowasm's interpreter against wasmtime (PyPI), same module, same calls,
same run, interleaved.

    python3 bench/gc.py [--reps N] [--depth N] [--quick] [--engines a,b]

The module is bench/gc/binary_trees.wat (rebuilt into binary_trees.wasm by
bench/gc/build.sh when the text is newer). Each engine runs in its own
process, so its peak RSS (VmHWM) is its own, and does the classic program's
calls with maximum depth N: a stretch tree iteration(N+1, 1), a long-lived
tree long_lived(N) (kept in a global: every collection traces it),
iteration(d, 2^(N-d+4)) for d = 4, 6, .. N (short-lived trees, garbage once
checked), check_long_lived(). Engines:

- nanowasm-interp: crates/runtime/examples/gc_binary_trees.rs, built with
  `cargo build --release -p nanowasm-runtime --example gc_binary_trees`;
  reports the store's collector statistics (`Store::gc_stats`);
- wasmtime: bench/gc/wasmtime_trees.py, Cranelift's native code;
- wasmtime-pulley: the same on wasmtime's portable interpreter (Pulley),
  the interpreter-to-interpreter comparison.

Every engine's checks (node counts per call) must agree, and equal the
closed form, before its times count. Only host calls are timed (module
compilation and instantiation are not); allocation rates count 32 nominal
bytes per node for every engine (what the node would take as two
references plus a header, not what either collector really uses); the
wasmtime processes include a Python interpreter in their RSS (rss_start is
the RSS just before the first call, and the growth from it is reported
and compared too). wasmtime-py exposes no collector
statistics. Reported: medians of REPS runs, ratios nanowasm / peer from the
same run. --quick is --depth 12 --reps 1.

Installs wasmtime (pip) if missing. Writes bench/results/gc-<date>.json and
prints a markdown table.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GC = os.path.join(HERE, "gc")
WAT = os.path.join(GC, "binary_trees.wat")
WASM = os.path.join(GC, "binary_trees.wasm")
EXAMPLE = os.path.join(ROOT, "target", "release", "examples", "gc_binary_trees")
ENGINES = ["nanowasm-interp", "wasmtime", "wasmtime-pulley"]
MIN_DEPTH = 4
# nanowasm / peer: the peak RSS of a Python process running wasmtime starts
# ~30 MB up, so the growth during the calls is the fairer memory ratio.
RATIOS = ("total_s", "longest_call_s", "peak_rss_bytes", "rss_growth_bytes")


def ensure_peers():
    try:
        import wasmtime  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "wasmtime"], check=True)


def ensure_module():
    if not os.path.exists(WASM) or os.path.getmtime(WAT) > os.path.getmtime(WASM):
        subprocess.run(["sh", os.path.join(GC, "build.sh")], check=True)


def build_nanowasm():
    subprocess.run(
        ["cargo", "build", "-q", "--release", "-p", "nanowasm-runtime", "--example", "gc_binary_trees"],
        cwd=ROOT,
        check=True,
    )


def command(engine, depth):
    if engine == "nanowasm-interp":
        return [EXAMPLE, WASM, str(depth)]
    peer = [sys.executable, os.path.join(GC, "wasmtime_trees.py")]
    return peer + (["--pulley"] if engine == "wasmtime-pulley" else []) + [WASM, str(depth)]


def run(engine, depth):
    cmd = command(engine, depth)
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"{engine}: {' '.join(cmd)} failed ({out.returncode}):\n{out.stderr.strip()}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    if r["engine"] != engine:
        raise SystemExit(f"{engine}: the program reports engine {r['engine']!r}")
    r["process_s"] = wall
    return r


def expected_checks(n):
    """The node counts the calls must return: a tree of depth d has
    2^(d+1) - 1 nodes."""
    nodes = lambda d: (1 << (d + 1)) - 1  # noqa: E731
    its = []
    for d in range(MIN_DEPTH, n + 1, 2):
        count = 1 << (n - d + MIN_DEPTH)
        its.append({"depth": d, "count": count, "check": count * nodes(d)})
    return {"stretch": nodes(n + 1), "long_lived": nodes(n), "iterations": its, "check_long_lived": nodes(n)}


def med(runs, key, sub=None):
    vals = [(r[sub] or {}).get(key) if sub else r.get(key) for r in runs]
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "s":
        return f"{v:.3f} s" if v >= 0.1 else f"{v * 1e3:.2f} ms"
    if unit == "MB":
        return f"{v / 1e6:.1f} MB"
    if unit == "Mn/s":
        return f"{v / 1e6:.2f} M/s"
    if unit == "MB/s":
        return f"{v:.0f} MB/s"
    return f"{v:g}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--depth", type=int, default=16)
    ap.add_argument("--quick", action="store_true", help="depth 12, 1 rep")
    ap.add_argument("--engines", default=",".join(ENGINES), help="comma-separated subset of " + ", ".join(ENGINES))
    args = ap.parse_args()
    if args.quick:
        args.depth, args.reps = 12, 1
    depth = max(MIN_DEPTH + 2, args.depth)
    engines = [e for e in ENGINES if e in args.engines.split(",")]
    if not engines:
        raise SystemExit(f"--engines: none of {args.engines!r} is one of {ENGINES}")

    ensure_peers()
    ensure_module()
    if "nanowasm-interp" in engines:
        build_nanowasm()

    expected = expected_checks(depth)
    runs = {e: [] for e in engines}
    for rep in range(args.reps):
        for e in engines:  # interleaved
            r = run(e, depth)
            if r["checks"] != expected:
                raise SystemExit(f"{e}: checks disagree with the closed form:\n{r['checks']}\n{expected}")
            r["rss_growth_bytes"] = r["peak_rss_bytes"] - r["rss_start_bytes"]
            runs[e].append(r)
            print(f"rep {rep + 1}/{args.reps} {e:16} {r['total_s']:7.3f} s  longest call {r['longest_call_s']:.3f} s  "
                  f"peak RSS {r['peak_rss_bytes'] / 1e6:6.1f} MB", file=sys.stderr, flush=True)

    metrics = [
        ("total_s", "s"), ("alloc_nodes_per_s", "Mn/s"), ("alloc_mb_per_s", "MB/s"), ("longest_call_s", "s"),
        ("peak_rss_bytes", "MB"), ("rss_start_bytes", "MB"), ("rss_growth_bytes", "MB"), ("setup_s", "s"),
    ]
    gc_metrics = [("collections", ""), ("longest_pause_s", "s"), ("total_pause_s", "s"), ("peak_bytes", "MB"),
                  ("allocated_bytes", "MB")]
    summary = {}
    for e in engines:
        s = {k: med(runs[e], k) for k, _ in metrics}
        s["gc"] = {k: med(runs[e], k, "gc") for k, _ in gc_metrics} if runs[e][0]["gc"] is not None else None
        summary[e] = s
    ratios = {}
    if "nanowasm-interp" in engines:
        nw = summary["nanowasm-interp"]
        for peer in engines[1:]:
            p = summary[peer]
            ratios[peer] = {k: nw[k] / p[k] for k in RATIOS if p[k]}

    nodes = runs[engines[0]][0]["nodes"]
    print(f"\n### Binary trees, depth {depth}: {nodes} nodes ({nodes * 32 / 1e6:.0f} MB at 32 nominal bytes each), "
          f"median of {args.reps}\n")
    print("| metric | " + " | ".join(engines) + " |")
    print("|---|" + "---|" * len(engines))
    names = {"total_s": "total (host calls)", "alloc_nodes_per_s": "allocation rate (nodes)",
             "alloc_mb_per_s": "allocation rate (nominal bytes)", "longest_call_s": "longest call",
             "peak_rss_bytes": "peak RSS (VmHWM)", "rss_start_bytes": "RSS before the first call",
             "rss_growth_bytes": "peak RSS - RSS before",
             "setup_s": "compile + instantiate"}
    for k, unit in metrics:
        print(f"| {names[k]} | " + " | ".join(fmt(summary[e][k], unit) for e in engines) + " |")
    for k, unit in gc_metrics:
        cells = [fmt(summary[e]["gc"][k], unit) if summary[e]["gc"] else "-" for e in engines]
        print(f"| GC {k.replace('_s', '').replace('_', ' ')} | " + " | ".join(cells) + " |")
    if ratios:
        print("\n| nanowasm-interp / peer | " + " | ".join(ratios) + " |")
        print("|---|" + "---|" * len(ratios))
        for k in RATIOS:
            print(f"| {names[k]} | " + " | ".join(f"{r[k]:.2f}" if k in r else "-" for r in ratios.values()) + " |")

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip())
    out_dir = os.path.join(ROOT, "bench", "results")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, f"gc-{datetime.date.today().isoformat()}.json")
    with open(out, "w") as f:
        json.dump({"commit": commit, "dirty": dirty, "machine": platform.platform(), "cpus": os.cpu_count(), "depth": depth,
                   "reps": args.reps, "node_bytes_nominal": 32, "nodes": nodes, "summary": summary,
                   "ratios": ratios, "runs": runs}, f, indent=1)
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
