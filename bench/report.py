#!/usr/bin/env python3
"""Builds bench/report.md and bench/charts/*.svg from a results file written
by bench/run:  python3 bench/report.py bench/results/DATE.json [OUTPUT_DIR]

The charts are plain hand-written SVG (no plotting library needed)."""

import html
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WASM_ENGINES = ["nanowasm", "nanowasm-interp", "wasm3", "wasmi", "wasmtime", "node"]
PEERS = ["wasm3", "wasmi", "wasmtime", "node", "native"]
COLORS = {"nanowasm": "#d62728", "nanowasm-interp": "#ff9896", "wasm3": "#1f77b4", "wasmi": "#2ca02c", "wasmtime": "#9467bd",
          "node": "#ff7f0e", "native": "#7f7f7f", "wasmparser": "#17becf", "wat": "#17becf"}


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else None


def ok_cell(section, item, engine):
    c = section.get(item, {}).get("engines", {}).get(engine)
    return c if c and c.get("status") == "ok" else None


def med(section, item, engine):
    c = ok_cell(section, item, engine)
    return c["time_s"]["median"] if c else None


def ratio(a, b):
    return a / b if a is not None and b else None


def fr(x, digits=2):
    return "—" if x is None else f"{x:.{digits}f}"


def fms(x):
    if x is None:
        return "—"
    ms = x * 1e3
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}"


def status_text(section, item, engine):
    c = section.get(item, {}).get("engines", {}).get(engine)
    if c is None:
        return "n/a"
    return {"failed": "FAILED", "mismatch": "MISMATCH"}.get(c["status"], "")


def table(header, rows, align=None):
    align = align or ["---"] + ["---:"] * (len(header) - 1)
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# ---------------------------------------------------------------- SVG


def nice_ticks_linear(hi):
    if hi <= 0:
        return [0, 1]
    step = 10 ** math.floor(math.log10(hi / 5))
    for m in (1, 2, 2.5, 5, 10):
        if hi / (step * m) <= 6:
            step *= m
            break
    n = math.ceil(hi / step - 1e-9)
    return [i * step for i in range(n + 1)]


def ticks_log(lo, hi):
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    if b == a:
        b += 1
    ticks = []
    for d in range(a, b + 1):
        ticks.append(10.0 ** d)
        if b - a <= 3 and d < b:
            ticks += [2 * 10.0 ** d, 5 * 10.0 ** d]
    return sorted(ticks), 10.0 ** a, 10.0 ** b


def tick_label(v):
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 1:
        return f"{v:g}"
    return f"{v:.3g}"


def bar_chart(path, title, groups, series, values, xlabel, log=False, ref=None, colors=None, fmt=None):
    """Horizontal grouped bar chart. values[(group, series)] -> float or None."""
    colors = colors or COLORS
    fmt = fmt or (lambda v: f"{v:.2f}")
    left, right, top, bar_h, gap, group_gap, width = 130, 70, 58, 11, 2, 14, 900
    pw = width - left - right
    n_rows = len(groups) * len(series)
    height = top + len(groups) * (len(series) * (bar_h + gap) + group_gap) + 48
    present = [v for v in values.values() if v is not None and v > 0]
    if not present:
        present = [1.0]
    if log:
        ticks, lo, hi = ticks_log(min(present + ([ref] if ref else [])), max(present + ([ref] if ref else [])))

        def x(v):
            v = max(v, lo)
            return left + (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * pw
        base = lo
    else:
        ticks = nice_ticks_linear(max(present + ([ref] if ref else [])))
        hi = ticks[-1]

        def x(v):
            return left + v / hi * pw
        base = 0
    e = html.escape
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="11">',
         f'<rect width="{width}" height="{height}" fill="white"/>',
         f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">{e(title)}</text>']
    lx = left
    for ser in series:
        s.append(f'<rect x="{lx}" y="28" width="10" height="10" fill="{colors.get(ser, "#555")}"/>')
        s.append(f'<text x="{lx + 14}" y="37">{e(ser)}</text>')
        lx += 24 + 7 * len(ser)
    plot_bottom = height - 40
    for t in ticks:
        tx = x(t)
        s.append(f'<line x1="{tx:.1f}" y1="{top - 6}" x2="{tx:.1f}" y2="{plot_bottom}" stroke="#ddd"/>')
        s.append(f'<text x="{tx:.1f}" y="{plot_bottom + 14}" text-anchor="middle" fill="#444">{tick_label(t)}</text>')
    s.append(f'<text x="{left + pw / 2}" y="{plot_bottom + 32}" text-anchor="middle" fill="#222">'
             f'{e(xlabel)}{" (log scale)" if log else ""}</text>')
    y = top
    for g in groups:
        gh = len(series) * (bar_h + gap)
        s.append(f'<text x="{left - 8}" y="{y + gh / 2 + 4:.1f}" text-anchor="end" font-weight="bold">{e(g)}</text>')
        for ser in series:
            v = values.get((g, ser))
            if v is None or v <= 0:
                s.append(f'<text x="{left + 4}" y="{y + bar_h - 2}" fill="#999">{e(ser)}: n/a</text>')
            else:
                x0, x1 = x(base), x(v)
                s.append(f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 1):.1f}" height="{bar_h}" '
                         f'fill="{colors.get(ser, "#555")}"><title>{e(g)} {e(ser)}: {e(fmt(v))}</title></rect>')
                s.append(f'<text x="{x1 + 3:.1f}" y="{y + bar_h - 2}" fill="#333" font-size="10">{e(fmt(v))}</text>')
            y += bar_h + gap
        y += group_gap
    s.append(f'<line x1="{left}" y1="{top - 6}" x2="{left}" y2="{plot_bottom}" stroke="#333"/>')
    if ref is not None:
        rx = x(ref)
        s.append(f'<line x1="{rx:.1f}" y1="{top - 6}" x2="{rx:.1f}" y2="{plot_bottom}" stroke="#000" '
                 f'stroke-dasharray="4,3"/>')
    s.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(s) + "\n")
    del n_rows


# ---------------------------------------------------------------- report


def kernel_tables(data, charts_dir, chart_rel):
    K = data.get("kernels")
    if not K:
        return [], {}
    kernels = list(K)
    engines = [e for e in ["nanowasm", "nanowasm-interp", "wasm3", "wasmi", "wasmtime", "node", "native"]
               if any(e in K[k]["engines"] for k in kernels)]
    wasm = [e for e in engines if e != "native"]
    peers = [e for e in engines if e != "nanowasm"]
    md = ["## Compute kernels", ""]
    md.append("Each kernel (`bench/kernels/*.c`, built once to an import-free wasm32 module) exports "
              "`run() -> i32`; every engine runs it from the module bytes to the checksum, which must equal "
              "the one most engines agree on before the time counts. Times: median of "
              f"{data['reps']} runs, interleaved across engines. What each engine's time includes is in "
              "the engines table above (CLI engines: whole process; in-process peers: compile/load + run, "
              "without the Python/node start-up; native: `run()` alone).")
    md.append("")
    # engine / native
    vs_native = {}
    rows = []
    for k in kernels:
        nat = med(K, k, "native")
        row = [k]
        for e in wasm:
            r = ratio(med(K, k, e), nat)
            vs_native[(k, e)] = r
            row.append(fr(r) if r is not None else status_text(K, k, e) or "—")
        rows.append(row)
    geo_native = {}
    for e in wasm:
        geo_native[e] = geomean([vs_native[(k, e)] for k in kernels if vs_native[(k, e)]])
        vs_native[("geomean", e)] = geo_native[e]
    rows.append(["**geomean**"] + [f"**{fr(geo_native[e])}**" for e in wasm])
    md += ["### Time relative to native (engine time / native `gcc -O2` time; lower is better)", "",
           table(["kernel"] + wasm, rows), "", f"![engine time / native time]({chart_rel}/kernels_vs_native.svg)",
           ""]
    if "native" in engines:
        bar_chart(os.path.join(charts_dir, "kernels_vs_native.svg"),
                  "Compute kernels: time relative to native gcc -O2 (lower is better)",
                  kernels + ["geomean"], wasm, vs_native, "engine time / native time", log=True, ref=1)
    # nanowasm / peer
    vs_peer = {}
    rows = []
    for k in kernels:
        nw = med(K, k, "nanowasm")
        row = [k]
        for p in peers:
            r = ratio(nw, med(K, k, p))
            vs_peer[(k, p)] = r
            row.append(fr(r) if r is not None else "—")
        rows.append(row)
    geo_peer = {}
    for p in peers:
        geo_peer[p] = geomean([vs_peer[(k, p)] for k in kernels if vs_peer[(k, p)]])
        vs_peer[("geomean", p)] = geo_peer[p]
    rows.append(["**geomean**"] + [f"**{fr(geo_peer[p])}**" for p in peers])
    md += ["### nanowasm against each peer (nanowasm time / peer time; above 1 = nanowasm slower)", "",
           table(["kernel"] + [f"vs {p}" for p in peers], rows), "",
           f"![nanowasm time / peer time]({chart_rel}/nanowasm_vs_peers.svg)", ""]
    bar_chart(os.path.join(charts_dir, "nanowasm_vs_peers.svg"),
              "nanowasm time / peer time per kernel (above 1: nanowasm slower)",
              kernels + ["geomean"], peers, vs_peer, "nanowasm time / peer time", log=True, ref=1)
    # absolute
    rows = []
    for k in kernels:
        row = [k, str(K[k].get("expected_checksum"))]
        for e in engines:
            c = ok_cell(K, k, e)
            if c:
                t = c["time_s"]
                row.append(f"{fms(t['median'])} ({fms(t['min'])}–{fms(t['max'])})")
            else:
                row.append(status_text(K, k, e) or "—")
        rows.append(row)
    md += ["### Absolute times (ms: median (min–max))", "", table(["kernel", "checksum"] + engines, rows), ""]
    split = []
    for e in ("wasm3", "wasmtime", "node"):
        loads = [ok_cell(K, k, e)["load_s"]["median"] for k in kernels
                 if ok_cell(K, k, e) and "load_s" in ok_cell(K, k, e)]
        if loads:
            split.append(f"{e} {fms(min(loads))}–{fms(max(loads))} ms")
    if split:
        md += ["Load/compile share of those times (before `run` is called): " + ", ".join(split) + ".", ""]
    walls = []
    for e in ("wasm3", "wasmtime", "node", "native"):
        extra = [ok_cell(K, k, e)["wall_s"]["median"] - ok_cell(K, k, e)["time_s"]["median"] for k in kernels
                 if ok_cell(K, k, e)]
        if extra:
            walls.append(f"{e} +{fms(statistics_median(extra))} ms")
    if walls:
        md += ["Process start-up and exit not counted for the in-process peers (median of wall − timed): "
               + ", ".join(walls) + ".", ""]
    # failures
    fails = [(k, e, c) for k in kernels for e, c in K[k]["engines"].items() if c["status"] != "ok"]
    if fails:
        md += ["### Failed cells (not timed)", ""]
        md += [f"- {k} on {e}: {c['status']}: {c['reason']}" for k, e, c in fails]
        md.append("")
    # RSS
    rows, rss = [], {}
    for k in kernels:
        row = [k]
        for e in engines:
            c = ok_cell(K, k, e)
            v = c["maxrss_kb"] / 1024 if c else None
            rss[(k, e)] = v
            row.append(fr(v, 1))
        rows.append(row)
    md += ["## Peak RSS (MiB, highest over the runs)", "",
           "Resident set of the whole process (`wait4` rusage): wasm3 and wasmtime include a Python "
           "interpreter, node includes V8; nanowasm, wasmi and native are the engine alone. Every kernel "
           "module declares 32 MiB of initial linear memory, touched only as far as the kernel uses it.", "",
           table(["kernel"] + engines, rows), "", f"![peak RSS]({chart_rel}/rss_kernels.svg)", ""]
    bar_chart(os.path.join(charts_dir, "rss_kernels.svg"), "Peak RSS per kernel (MiB)", kernels, engines, rss,
              "MiB", log=True, fmt=lambda v: f"{v:.1f}")
    return md, {"geo_native": geo_native, "geo_peer": geo_peer}


def statistics_median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def wasi_tables(data, charts_dir, chart_rel):
    W = data.get("wasi")
    if not W:
        return []
    workloads = list(W)
    engines = [e for e in ["nanowasm", "nanowasm-interp", "wasmtime", "node", "native"] if any(e in W[w]["engines"] for w in workloads)]
    peers = [e for e in engines if e != "nanowasm"]
    md = ["## WASI workloads", "",
          "Whole processes (`bench/wasi/*.c`: WASI preview1 commands built with wasi-libc; native: the same "
          "C with glibc), wall time including start-up, which `empty` measures; stdout (to a file) must "
          "have the same SHA-256 on every engine. The wasmtime peer is `bench/wasmtime_run.py` (Python "
          "start-up + wasmtime import + Cranelift compile), node is `node:wasi`. Columns `net` subtract "
          "each engine's `empty` time.", ""]
    rows, vals = [], {}
    for w in workloads:
        row = [w]
        for e in engines:
            c = ok_cell(W, w, e)
            if c:
                t = c["time_s"]
                vals[(w, e)] = t["median"] * 1e3
                row.append(f"{fms(t['median'])} ({fms(t['min'])}–{fms(t['max'])})")
            else:
                row.append(status_text(W, w, e) or "—")
        rows.append(row)
    md += ["### Times (ms: median (min–max))", "", table(["workload"] + engines, rows), ""]
    rows = []
    for w in workloads:
        nw = med(W, w, "nanowasm")
        row = [w]
        for p in peers:
            row.append(fr(ratio(nw, med(W, w, p))))
        if w != "empty" and "empty" in W:
            for p in peers:
                a, b = nw, med(W, w, p)
                ea, eb = med(W, "empty", "nanowasm"), med(W, "empty", p)
                if None in (a, b, ea, eb) or b - eb <= 0:
                    row.append("—")
                else:
                    row.append(fr(max(a - ea, 1e-6) / (b - eb)))
        else:
            row += ["—"] * (len(peers) if "empty" in W else 0)
        rows.append(row)
    hdr = ["workload"] + [f"vs {p}" for p in peers] + ([f"net vs {p}" for p in peers] if "empty" in W else [])
    md += ["### nanowasm time / peer time (above 1 = nanowasm slower)", "", table(hdr, rows), "",
           f"![WASI workload times]({chart_rel}/wasi.svg)", ""]
    bar_chart(os.path.join(charts_dir, "wasi.svg"), "WASI workloads: process wall time (ms, lower is better)",
              workloads, engines, vals, "ms", log=True, fmt=lambda v: f"{v:.1f}")
    fails = [(w, e, c) for w in workloads for e, c in W[w]["engines"].items() if c["status"] != "ok"]
    if fails:
        md += ["Failed cells (not timed):", ""] + [f"- {w} on {e}: {c['status']}: {c['reason']}"
                                                     for w, e, c in fails] + [""]
    rows = [[w] + [fr(ok_cell(W, w, e)["maxrss_kb"] / 1024, 1) if ok_cell(W, w, e) else "—" for e in engines]
            for w in workloads]
    md += ["Peak RSS (MiB):", "", table(["workload"] + engines, rows), ""]
    return md


def crit(res, name, key="time_s"):
    r = (res or {}).get("results", {}).get(name)
    return r.get(key, {}).get("est") if r else None


def micro_tables(data, charts_dir, chart_rel):
    M = data.get("micro")
    if not M:
        return []
    md = ["## nanowasm micro-benchmarks", "",
          f"Criterion (`cargo bench`, arguments `{' '.join(M.get('criterion_args', []))}`); values are "
          "criterion's point estimates.", ""]
    mi = M.get("micro", {})
    rows = []
    v = crit(mi, "instantiate/instance_pre_fresh_store")
    rows.append(["instantiate via `InstancePre` (fresh `Store`, small module)", f"{v * 1e6:.2f} µs" if v else "—",
                 "`crates/runtime/benches/micro.rs`"])
    for name, label in [("call/host_to_wasm_nop", "host→wasm call, `() -> ()`"),
                        ("call/host_to_wasm_add", "host→wasm call, `(i32, i32) -> i32`")]:
        v = crit(mi, name)
        rows.append([label, f"{v * 1e9:.1f} ns" if v else "—", "typed func"])
    v = crit(mi, "call/wasm_to_host_x1000")
    rows.append(["wasm→host call (empty host func)", f"{v * 1e9 / 1000:.1f} ns" if v else "—",
                 "loop of 1000 calls / 1000"])
    off, on = crit(mi, "fuel/fannkuch_fuel_off"), crit(mi, "fuel/fannkuch_fuel_on")
    rows.append(["fannkuch, fuel off / on", f"{off * 1e3:.1f} / {on * 1e3:.1f} ms" if off and on else "—", ""])
    rows.append(["fuel metering overhead", f"{(on / off - 1) * 100:+.1f} %" if off and on else "—",
                 "fuel on / fuel off − 1"])
    va = M.get("validate", {})
    vr = {}
    for name, r in va.get("results", {}).items():
        parts = name.split("/")
        if len(parts) == 3 and "mb_s" in r:
            vr.setdefault(parts[2], {})[parts[1]] = r["mb_s"]["est"]
    ratios = [d["nanowasm"] / d["wasmparser"] for d in vr.values() if "nanowasm" in d and "wasmparser" in d]
    nw_all = [d["nanowasm"] for d in vr.values() if "nanowasm" in d]
    rows.append(["validation throughput (geomean over modules)", f"{geomean(nw_all):.0f} MB/s" if nw_all else "—",
                 f"{geomean(ratios):.2f}× wasmparser" if ratios else ""])
    v = crit(mi, "translate/all_kernels", "mb_s")
    rows.append(["translation throughput, every kernel (`translate/all_kernels`)", f"{v:.1f} MB/s" if v else "—",
                 "`Module::translate_all` per byte of code section; whole modules incl. esbuild.wasm: see the "
                 "start-up section"])
    pa = M.get("parse", {})
    pr = {}
    for name, r in pa.get("results", {}).items():
        parts = name.split("/")
        if len(parts) == 3 and "mb_s" in r:
            pr.setdefault(parts[2], {})[parts[1]] = r["mb_s"]["est"]
    for wl, d in sorted(pr.items()):
        other = [k for k in d if k != "nanowasm"]
        rows.append([f"text parse + encode, `{wl}`", f"{d.get('nanowasm', 0):.1f} MB/s" if "nanowasm" in d else "—",
                     ", ".join(f"{o}: {d[o]:.1f} MB/s" for o in other)])
    md += [table(["metric", "nanowasm", "notes"], rows, ["---", "---:", "---"]), ""]
    for key, res in (("micro", mi), ("validate", va), ("parse", pa)):
        if res.get("error"):
            md += [f"**{key}: cargo bench failed** (exit {res.get('exit')}):", "", "```",
                   res["error"][-800:], "```", ""]
        for n in res.get("notes", []):
            md.append(f"- {key}: {n}")
        if res.get("notes"):
            md.append("")
    if vr:
        sizes = va.get("modules", {})
        rows = []
        for mod, d in sorted(vr.items()):
            rows.append([mod, fr(sizes.get(mod, 0) / 1e6, 1), fr(d.get("nanowasm"), 0), fr(d.get("wasmparser"), 0),
                         fr(ratio(d.get("nanowasm"), d.get("wasmparser")))])
        rows.append(["**geomean**", "", fr(geomean(nw_all), 0),
                     fr(geomean([d["wasmparser"] for d in vr.values() if "wasmparser" in d]), 0),
                     f"**{fr(geomean(ratios))}**"])
        md += ["### Validation throughput (MB/s = 10⁶ bytes/s; ratio above 1 = nanowasm faster)", "",
               table(["module", "size MB", "nanowasm", "wasmparser", "nanowasm / wasmparser"], rows), "",
               f"![validation MB/s]({chart_rel}/validate.svg)", ""]
        vals = {(m, e): d.get(e) for m, d in vr.items() for e in ("nanowasm", "wasmparser")}
        bar_chart(os.path.join(charts_dir, "validate.svg"), "Validation throughput (MB/s, higher is better)",
                  sorted(vr), ["nanowasm", "wasmparser"], vals, "MB/s", fmt=lambda v: f"{v:.0f}")
        for n in va.get("fetch_notes", []):
            md.append(f"- module not fetched: {n}")
        md.append("")
    return md


def coremark_tables(data):
    C = data.get("coremark")
    if not C:
        return []
    md = ["## CoreMark 1.0", ""]
    if C.get("skipped"):
        return md + [f"Not run: {C['skipped']}", ""]
    md += [f"The prebuilt CoreMark files from `{C.get('dir')}` (the wasm3 project's builds, from which wasm3, wasmi "
           "and Stitch publish their scores; not copied into this repository). Score = CoreMark iterations per "
           "second as printed by the benchmark itself (higher is better); each run lasts about 10 s. Median of "
           f"{C.get('reps')} runs per engine, engines interleaved. CoreMark is reported on its own and is **not** "
           "part of the kernels' geometric mean.", ""]
    E = C.get("engines", {})
    nw = E.get("nanowasm", {}).get("score", {}).get("median") if E.get("nanowasm", {}).get("status") == "ok" else None
    rows = []
    for e, c in E.items():
        if c.get("status") != "ok":
            rows.append([e, "—", "—", "—", f"not run: {c.get('reason', '')}".replace("|", "\\|")])
            continue
        s = c["score"]
        rows.append([e, f"**{s['median']:.1f}**", f"{s['min']:.1f} – {s['max']:.1f}",
                     fr(ratio(s["median"], nw)) if nw else "—", c.get("how", "")])
    md += [table(["engine", "CoreMark score", "min – max", "score / nanowasm's", "how"], rows,
                 ["---", "---:", "---:", "---:", "---"]), ""]
    if nw:
        parts = []
        for p in ("wasmi", "wasm3"):
            pc = E.get(p, {})
            if pc.get("status") == "ok":
                ps = pc["score"]["median"]
                parts.append(f"**{p} {ps / nw:.2f}×** (nanowasm's time per iteration / {p}'s)")
        if parts:
            md += ["nanowasm against the interpreters in the same run: " + ", ".join(parts) + ".", ""]
    return md


def startup_tables(data):
    S = data.get("startup")
    if not S:
        return []
    md = ["## Start-up: esbuild.wasm to the first instruction", "", S.get("definition", ""), ""]
    if S.get("skipped"):
        md += [f"Not run: {S['skipped']}", ""]
    else:
        rows = []
        floors = {r["engine"]: r["wall_s"]["median"] for r in S.get("rows", [])
                  if r["variant"] == "empty" and r.get("status") == "ok"}
        nw = next((r["wall_s"]["median"] for r in S.get("rows", [])
                   if r["engine"] == "nanowasm" and r["variant"] == "esbuild" and r.get("status") == "ok"), None)
        for r in S.get("rows", []):
            if r.get("status") != "ok":
                rows.append([r["engine"], r["variant"], "—", "—", "—", "—",
                             f"failed: {r.get('reason', '')}".replace("|", "\\|").replace("\n", " ")])
                continue
            w = r["wall_s"]
            over = w["median"] - floors[r["engine"]] if r["variant"] != "empty" and r["engine"] in floors else None
            rows.append([r["engine"], r["variant"], f"**{w['median'] * 1e3:.1f}**",
                         f"{w['min'] * 1e3:.1f} – {w['max'] * 1e3:.1f}",
                         f"{over * 1e3:.1f}" if over is not None else "",
                         fr(ratio(nw, w["median"])) if nw and r["variant"] != "empty" else "",
                         f"{r['maxrss_kb'] / 1024:.1f}"])
        md += [f"esbuild.wasm: {S.get('module_bytes', 0) / 1e6:.1f} MB; median of {S.get('reps')} runs.", "",
               table(["engine", "variant", "ms (median)", "min – max", "ms above the empty program",
                      "nanowasm esbuild / this", "peak RSS MiB"], rows,
                     ["---", "---", "---:", "---:", "---:", "---:", "---:"]), ""]
    T = S.get("translate")
    if T:
        md += ["### Translation throughput, forced for whole modules", "",
               f"`{T.get('command', '')}` (crates/peer-bench `src/bin/translate.rs`): `Module::new` and then "
               "`Module::translate_all` on a fresh module, timed apart; median of the summed times over "
               "repetitions. MB/s = 10⁶ bytes/s, per byte of code section (and per byte of the whole module).", ""]
        if T.get("skipped"):
            md += [f"Not run: {T['skipped']}", ""]
        else:
            rows = []
            for name, j in T.get("modules", {}).items():
                if "error" in j:
                    rows.append([name, "—", "—", "—", "—", f"failed: {j['error']}".replace("\n", " ")])
                    continue
                rows.append([name, f"{j['code_bytes'] / 1e6:.2f}", f"{j['translate_ms']:.1f}",
                             f"**{j['translate_mb_s']:.1f}**", f"{j['translate_module_mb_s']:.1f}",
                             f"Module::new {j['new_ms']:.2f} ms ({j['new_mb_s']:.0f} MB/s of module)"])
            md += [table(["modules", "code MB", "translate_all ms", "MB/s of code", "MB/s of module", "notes"], rows,
                         ["---", "---:", "---:", "---:", "---:", "---"]), ""]
            if T.get("esbuild_note"):
                md += [f"- {T['esbuild_note']}", ""]
    return md


def write_report(data, out_dir, results_rel):
    charts_dir = os.path.join(out_dir, "charts")
    os.makedirs(charts_dir, exist_ok=True)
    m = data["machine"]
    md = ["# nanowasm benchmark report", "",
          f"Generated by `bench/run {' '.join(data.get('argv', []))}`".rstrip() + f" on {data['started']} "
          f"in {data.get('wall_s', 0) / 60:.1f} min. Raw samples: [`{results_rel}`]({results_rel}). "
          "Regenerate this page from that file with `python3 bench/report.py " + results_rel + "`.", ""]
    load = data.get("loadavg", {})
    load_txt = "; ".join(f"{k}: {v[0]:.2f}" for k, v in [("start", m.get("loadavg_start"))] + list(load.items()) if v)
    busy = max([m.get("loadavg_start", [0])[0]] + [v[0] for v in load.values()]) > 0.5 * (m.get("cores") or 1)
    dirty = m.get("git_dirty") or []
    rows = [["CPU", m.get("cpu_model")], ["cores", m.get("cores")], ["kernel", m.get("kernel")],
            ["memory", f"{m.get('mem_total_mb')} MiB"],
            ["git commit", f"`{m.get('git_commit', '')[:12]}`" + (f" + {len(dirty)} uncommitted change(s) in the "
                                                                  "working tree" if dirty else "")
             + (f" (HEAD moved to `{m['git_commit_end'][:12]}` during the run)"
                if m.get("git_commit_end") and m["git_commit_end"] != m.get("git_commit") else "")],
            ["reps per engine per workload", data.get("reps")],
            ["load average (1 min)", load_txt + (" — **the machine was busy (other jobs running); absolute times are "
                                                 "noisy, ratios from interleaved runs less so**" if busy else "")]]
    md += ["## Machine", "", "| | |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows] + [""]
    md += [f"- **Note:** {n}" for n in data.get("notes", [])] + ([""] if data.get("notes") else [])
    rows = []
    for e, info in data.get("engines", {}).items():
        if info.get("ok"):
            rows.append([e, info.get("version", ""), info.get("how", "")])
        else:
            rows.append([e, "**unavailable**", info.get("reason", "")])
    md += ["## Engines", "", "| engine | version | what is timed |", "|---|---|---|"]
    md += ["| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in r) + " |" for r in rows] + [""]
    unavailable = [e for e, i in data.get("engines", {}).items() if not i.get("ok")]
    for e in unavailable:
        md.append(f"- **{e} could not be used**: {data['engines'][e].get('reason')}")
    for e, i in data.get("engines", {}).items():
        for err in i.get("build_errors", []):
            md.append(f"- {e} build error: {err}")
    md.append("")
    kmd, heads = kernel_tables(data, charts_dir, "charts")
    if heads:
        g = heads["geo_peer"]
        md += ["## Headline", "",
               "Geometric means over the compute kernels of nanowasm time / peer time (above 1: nanowasm slower): "
               + ", ".join(f"**{p} {fr(g[p])}**" for p in PEERS if g.get(p)) + ".", ""]
    md += kmd + coremark_tables(data) + startup_tables(data) + wasi_tables(data, charts_dir, "charts") \
        + micro_tables(data, charts_dir, "charts")
    path = os.path.join(out_dir, "report.md")
    with open(path, "w") as f:
        f.write("\n".join(md).rstrip() + "\n")
    return path


def summary(data):
    lines = [f"bench/run finished in {data.get('wall_s', 0):.0f} s"]
    K = data.get("kernels")
    if K:
        for p in PEERS:
            rs = [ratio(med(K, k, "nanowasm"), med(K, k, p)) for k in K]
            g = geomean([r for r in rs if r])
            if g:
                lines.append(f"  geomean nanowasm/{p}: {g:.2f} ({sum(1 for r in rs if r)} kernels)")
    C = data.get("coremark") or {}
    for e, c in C.get("engines", {}).items():
        lines.append(f"  CoreMark {e}: " + (f"{c['score']['median']:.1f}" if c.get("status") == "ok"
                                             else f"not run ({c.get('reason', '')[:80]})"))
    S = data.get("startup") or {}
    for r in S.get("rows", []):
        lines.append(f"  start-up {r['engine']} {r['variant']}: " + (
            f"{r['wall_s']['median'] * 1e3:.1f} ms" if r.get("status") == "ok" else "failed"))
    for name, j in (S.get("translate") or {}).get("modules", {}).items():
        if "translate_mb_s" in j:
            lines.append(f"  translate {name}: {j['translate_mb_s']:.1f} MB/s of code")
    return "\n".join(lines)


def main():
    path = sys.argv[1]
    out_dir = sys.argv[2] if len(sys.argv) > 2 else HERE
    with open(path) as f:
        data = json.load(f)
    md = write_report(data, out_dir, os.path.relpath(os.path.abspath(path), os.path.abspath(out_dir)))
    print(f"wrote {md}")
    print(summary(data))


if __name__ == "__main__":
    main()
