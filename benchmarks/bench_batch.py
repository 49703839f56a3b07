"""Benchmark: the whole monthly batch through the CLI, at a given scale (issue 13).

Generates a base with the kit's own generator (``python -m analysis synth``), cached between
runs, runs ``python -m analysis run --month 2026-10`` on it, and prints per-notebook wall time
and the peak resident memory of the process tree (the CLI and the kernels it starts, summed,
sampled every 0.2 s). In the same run it measures the plain-pandas reference — read the
orders (the raw CSV the batch reads, and the batch's interim parquet) and an RFM groupby — and
prints every figure also as a ratio to it.

    .venv/bin/python benchmarks/bench_batch.py [--scale 1m|10m|100k|sample] [--repeat N] [--keep]

Scales: sample = the shipped data/raw; 100k = 10k customers / 100k orders; 1m = 100k / 1M;
10m = 1M / 10M. The base is cached in ``$INSIGHT_KIT_BENCH_CACHE`` (default
``~/.cache/insight-kit-bench``), keyed by scale, seed and a hash of the generator's source: it
is made again when the generator changes. With ``--repeat N`` each figure is the median of N
runs. The closed loop is not exercised (no previous month beside the run's folder).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
MONTH = "2026-10"
SEED = 20240601               # the generator's default: the figures use it
SCALES = {                    # scale -> (customers, orders); None = the shipped sample
    "sample": None,
    "100k": (10_000, 100_000),
    "1m": (100_000, 1_000_000),
    "10m": (1_000_000, 10_000_000),
}
NOTEBOOKS = ("01_cleaning", "02_profiling", "03_segmentation", "04_cross_analysis", "05_strategy")
SAMPLE_EVERY = 0.2            # seconds between RSS samples
_STEP_LINE = re.compile(r"^\[(\d+)/(\d+)\] (\S+)")   # the runner's "[1/5] 01_cleaning …"
# The CLI and the kernels it starts import the tree this file is in, whatever is installed.
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}

# The reference: what plain pandas needs to turn the same orders into RFM figures. Run in
# its own process so that its peak memory is its own. Raw column names are found by position
# of the generator's header (订单编号, 客户编号, 下单时间, 实付金额) to keep this file ASCII.
_REFERENCE = r"""
import json, resource, sys, time
import pandas as pd
path, kind = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
if kind == "csv":
    orders = pd.read_csv(path, usecols=[0, 1, 2, 3], dtype=str)
    orders.columns = ["order_id", "customer_id", "order_date", "amount"]
    orders["order_date"] = pd.to_datetime(orders["order_date"], errors="coerce")
    orders["amount"] = pd.to_numeric(orders["amount"], errors="coerce")
else:
    orders = pd.read_parquet(path, columns=["customer_id", "order_id", "order_date", "amount"])
t1 = time.perf_counter()
as_of = orders["order_date"].max()
rfm = orders.groupby("customer_id").agg(last=("order_date", "max"),
                                        frequency=("order_id", "nunique"),
                                        monetary=("amount", "sum"))
rfm["recency"] = (as_of - rfm["last"]).dt.days
t2 = time.perf_counter()
print(json.dumps({"read": t1 - t0, "rfm": t2 - t1, "total": t2 - t0, "rows": len(orders),
                  "customers": len(rfm),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


# ---------------------------------------------------------------------------- the base

def _generator_hash() -> str:
    """A hash of everything that decides the generated files: the generator and the
    reference data it draws from."""
    digest = hashlib.sha256()
    for folder in ("analysis/sample", "analysis/reference"):
        for path in sorted((ROOT / folder).glob("*.py")):
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_base(scale: str, cache_root: Path) -> Path:
    """The folder of raw exports for ``scale``, generated once per generator version."""
    if SCALES[scale] is None:
        return ROOT / "data" / "raw"
    customers, orders = SCALES[scale]
    key = {"customers": customers, "orders": orders, "seed": SEED, "generator": _generator_hash()}
    folder = cache_root / scale
    stamp = folder / "key.json"
    if stamp.exists() and json.loads(stamp.read_text()) == key:
        return folder / "raw"
    print(f">> generating the {scale} base ({customers:,} customers, {orders:,} orders) "
          f"into {folder}", flush=True)
    shutil.rmtree(folder, ignore_errors=True)
    building = cache_root / f".{scale}.building"
    shutil.rmtree(building, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analysis", "synth", "--customers", str(customers),
                    "--orders", str(orders), "--seed", str(SEED), "--out", str(building / "raw")],
                   cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL)
    (building / "key.json").write_text(json.dumps(key))
    building.rename(folder)  # only a finished base is ever found in the cache
    print(f"   generated in {time.perf_counter() - start:.0f} s", flush=True)
    return folder / "raw"


# ---------------------------------------------------------------------------- measuring

def sample_tree(proc: psutil.Process, cpu: dict[int, tuple[str, float]], phase: str) -> int:
    """Resident bytes of ``proc`` and all its descendants (shared pages counted per process,
    as the OS reports them); records each process's CPU seconds so far in ``cpu``
    (pid -> (the phase it was first seen in, seconds))."""
    total = 0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0
    for p in procs:
        try:
            with p.oneshot():
                total += p.memory_info().rss
                times = p.cpu_times()
        except psutil.Error:
            continue
        first = cpu.get(p.pid, (phase, 0.0))[0]
        cpu[p.pid] = (first, times.user + times.system)
    return total


def run_batch(data: Path, out: Path) -> dict:
    """One batch run: per-phase wall time and peak tree RSS, and the executed notebooks'
    per-cell durations."""
    cmd = [sys.executable, "-m", "analysis", "run", "--month", MONTH, "--data", str(data),
           "--out", str(out)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, encoding="utf-8", errors="replace")
    ps = psutil.Process(proc.pid)
    phase = {"name": "setup", "start": start}
    times: dict[str, float] = {}
    peaks: dict[str, int] = {}
    lines: list[str] = []

    def read_output():
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            match = _STEP_LINE.match(line.strip())
            now = time.perf_counter()
            if match:
                times[phase["name"]] = now - phase["start"]
                phase.update(name=match.group(3), start=now)
            elif match is None and phase["name"] == NOTEBOOKS[-1] and "report" not in times \
                    and _done_line(line):
                # after the last notebook's "done" line the runner builds the report
                times[phase["name"]] = now - phase["start"]
                phase.update(name="report", start=now)

    cpu: dict[int, tuple[str, float]] = {}
    children_before = _children_cpu()
    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    while proc.poll() is None:
        name = phase["name"]
        rss = sample_tree(ps, cpu, name)
        peaks[name] = max(peaks.get(name, 0), rss)
        time.sleep(SAMPLE_EVERY)
    reader.join()
    end = time.perf_counter()
    times[phase["name"]] = end - phase["start"]
    # Per phase, the CPU of the kernels started in it (sampled: up to 0.2 s short each);
    # in total, exactly what the finished tree used.
    cpu_by_phase: dict[str, float] = {}
    for pid, (name, seconds) in cpu.items():
        if pid != proc.pid:
            cpu_by_phase[name] = cpu_by_phase.get(name, 0.0) + seconds
    if proc.returncode != 0:
        tail = "\n".join(lines[-15:])
        raise SystemExit(f"the batch failed (exit {proc.returncode}):\n{tail}")
    return {"total": end - start, "times": times, "peaks": peaks,
            "peak": max(peaks.values(), default=0), "cells": _cell_times(out),
            "cpu": cpu_by_phase, "cpu_total": _children_cpu() - children_before}


def _children_cpu() -> float:
    """User + system seconds of this process's finished children and their descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _done_line(line: str) -> bool:
    """The runner's per-notebook "done in 12.3 s" line, in either language."""
    return bool(re.search(r"\d+\.\d", line)) and line.startswith("      ")


def _cell_times(out: Path) -> dict[str, list[tuple[float, int, str]]]:
    """Per notebook, (seconds, execution count, first source line) of each code cell, from
    the metadata papermill writes into the executed notebooks."""
    cells = {}
    for name in NOTEBOOKS:
        path = out / f"{name}.ipynb"
        if not path.exists():
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        rows = []
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            duration = cell.get("metadata", {}).get("papermill", {}).get("duration")
            source = "".join(cell["source"]).strip().splitlines()
            if duration is not None:
                rows.append((duration, cell.get("execution_count"),
                             next((s for s in source if not s.startswith("#")), "")[:70]))
        cells[name] = rows
    return cells


def run_reference(path: Path, kind: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _REFERENCE, str(path), kind], cwd=ROOT,
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def raw_orders_csv(data: Path) -> Path | None:
    """The raw orders file the batch reads: the largest CSV of the folder."""
    csvs = sorted(data.glob("*.csv"), key=lambda p: p.stat().st_size)
    return csvs[-1] if csvs else None


# ---------------------------------------------------------------------------- report

def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _fmt_s(seconds) -> str:
    return "–" if seconds is None else f"{seconds:.1f} s"


def _fmt_gb(nbytes) -> str:
    return "–" if nbytes is None else f"{nbytes / 2 ** 30:.2f} GB"


def _ratio(value, ref) -> str:
    return "–" if value is None or not ref else f"{value / ref:.0f}×"


def print_table(scale: str, runs: list[dict], refs: dict[str, list[dict]]) -> None:
    phases = [*NOTEBOOKS, "report"]
    times = {p: _median([r["times"].get(p) for r in runs]) for p in phases}
    total = _median([r["total"] for r in runs])
    peak = _median([r["peak"] for r in runs])
    csv_ref = {k: _median([r[k] for r in refs["csv"]]) for k in ("read", "rfm", "total", "peak_mb")} \
        if refs["csv"] else None
    pq_ref = {k: _median([r[k] for r in refs["parquet"]]) for k in ("read", "rfm", "total", "peak_mb")} \
        if refs["parquet"] else None
    n = len(runs)
    label = f"{scale} (median of {n})" if n > 1 else scale
    head = "| scale | " + " | ".join(p[:2] if p != "report" else "report" for p in phases) \
           + " | total | peak RSS |"
    print()
    print(head)
    print("|" + "---|" * (len(phases) + 3))
    print(f"| {label} | " + " | ".join(_fmt_s(times[p]) for p in phases)
          + f" | **{_fmt_s(total)}** | **{_fmt_gb(peak)}** |")
    cpu = {p: _median([r["cpu"].get(p) for r in runs]) for p in phases}
    cpu_total = _median([r["cpu_total"] for r in runs])
    print(f"| CPU time | " + " | ".join(_fmt_s(cpu[p]) for p in phases)
          + f" | {_fmt_s(cpu_total)} | |")
    for name, ref in (("raw CSV", csv_ref), ("interim parquet", pq_ref)):
        if ref is None:
            continue
        ref_bytes = ref["peak_mb"] * 2 ** 20
        print(f"| × reference ({name}) | " + " | ".join(_ratio(times[p], ref["total"]) for p in phases)
              + f" | {_ratio(total, ref['total'])} | {_ratio(peak, ref_bytes)} |")
    print()
    for name, ref in (("raw CSV", csv_ref), ("interim parquet", pq_ref)):
        if ref is not None:
            print(f"reference ({name}): read {ref['read']:.2f} s + RFM groupby {ref['rfm']:.2f} s "
                  f"= {ref['total']:.2f} s, peak RSS {ref['peak_mb'] / 1024:.2f} GB")
    peaks = {p: _median([r["peaks"].get(p) for r in runs]) for p in phases}
    print("peak RSS per notebook: " + ", ".join(f"{p[:2] if p != 'report' else p} {_fmt_gb(v)}"
                                                for p, v in peaks.items()))
    print("slowest cells (last run; papermill's per-cell durations):")
    for name, rows in runs[-1]["cells"].items():
        top = sorted(rows, reverse=True)[:3]
        print(f"  {name}: " + "; ".join(f"[{n}] {s:.1f} s {src}" for s, n, src in top))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(SCALES), default="1m")
    parser.add_argument("--repeat", type=int, default=1, help="runs; figures are their median")
    parser.add_argument("--keep", action="store_true", help="keep each run's output folder")
    args = parser.parse_args(argv)
    cache = Path(os.environ.get("INSIGHT_KIT_BENCH_CACHE")
                 or Path.home() / ".cache" / "insight-kit-bench")
    cache.mkdir(parents=True, exist_ok=True)
    data = ensure_base(args.scale, cache)
    orders_csv = raw_orders_csv(data)
    runs, refs = [], {"csv": [], "parquet": []}
    load = os.getloadavg()[0]
    for i in range(args.repeat):
        # The reference runs right before the batch it is compared with, on the same machine
        # state, and never at the same time (two cores).
        if orders_csv is not None:
            refs["csv"].append(run_reference(orders_csv, "csv"))
        out_root = Path(tempfile.mkdtemp(prefix=f"bench-batch-{args.scale}-"))
        out = out_root / MONTH
        try:
            print(f">> run {i + 1}/{args.repeat}: {out}", flush=True)
            runs.append(run_batch(data, out))
            interim = out / "interim" / "orders.parquet"
            if interim.exists():
                refs["parquet"].append(run_reference(interim, "parquet"))
            print(f"   {runs[-1]['total']:.1f} s, peak {_fmt_gb(runs[-1]['peak'])}", flush=True)
        finally:
            if args.keep:
                print(f"   kept {out}")
            else:
                shutil.rmtree(out_root, ignore_errors=True)
    print_table(args.scale, runs, refs)
    print(f"load average before the runs: {load:.2f} (2 cores; other work on the machine "
          f"inflates the figures)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
