"""Profile a batch run cell by cell: where each notebook's time goes, down to the function.

Re-executes the code cells of the executed notebooks of a finished run (``bench_batch.py
--keep`` leaves one; their injected parameters point at its folder, which is written again),
each notebook in its own plain Python process under cProfile, one profile per cell, and
prints per notebook: its slow cells, the functions of the kit where their time goes
(file:function, cumulative seconds), the heaviest functions overall (own time) and the
process's peak RSS.

    .venv/bin/python benchmarks/profile_notebooks.py RUN_FOLDER [--min-cell 1.0] [--top 6]
    .venv/bin/python benchmarks/profile_notebooks.py RUN_FOLDER --memory [--only 05_strategy]

``--memory`` runs the cells without cProfile and prints, per cell, the peak RSS while it ran
(Linux: the high-water mark is reset before each cell through /proc/self/clear_refs) and the
RSS it left behind — where a notebook's peak memory comes from.

A plain process starts faster than a kernel and shows no progress bars, so cell times are a
little below papermill's; the ranking is what matters.
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import json
import os
import pstats
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ("01_cleaning", "02_profiling", "03_segmentation", "04_cross_analysis", "05_strategy")


def _rss_mb(field: str) -> float:
    """VmRSS or VmHWM (peak since the last reset) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:   # not Linux, or not allowed: the peak then accumulates
        pass


def _profile_one(notebook: Path, top: int, min_cell: float, memory: bool = False) -> dict:
    """Run one executed notebook's code cells here, each under cProfile."""
    import matplotlib

    matplotlib.use("Agg")
    from IPython.core.formatters import DisplayFormatter

    formatter = DisplayFormatter()
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    namespace = {"__name__": "__main__"}
    cells = []
    os.chdir(ROOT / "notebooks")  # where papermill runs them
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        # IPython magics and shell lines have no meaning in a plain process.
        source = "\n".join(line for line in source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        profiler = None if memory else cProfile.Profile()
        _reset_peak()
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        _run_cell(source, f"<{notebook.stem} cell {cell.get('execution_count')}>", namespace,
                  formatter)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - start
        entry = {"n": cell.get("execution_count"), "seconds": seconds,
                 "peak_cell_mb": _rss_mb("VmHWM"), "rss_after_mb": _rss_mb("VmRSS"),
                 "source": next((s for s in source.strip().splitlines()
                                 if s.strip() and not s.lstrip().startswith("#")), "")[:90]}
        if profiler and seconds >= min_cell:
            stats = pstats.Stats(profiler)
            entry["kit"] = _top(stats, top, kit_only=True)
            entry["own"] = _top(stats, top, kit_only=False, by="tottime")
        cells.append(entry)
    return {"cells": cells, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _run_cell(source: str, name: str, namespace: dict, formatter) -> None:
    """Run a cell as a kernel would: a last expression is shown, i.e. rendered (a styled
    table's HTML costs time too)."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, name, "exec"), namespace)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), name, "eval"), namespace)
        if value is not None:
            formatter.format(value)


def _top(stats: pstats.Stats, n: int, kit_only: bool, by: str = "cumtime"):
    rows = []
    for (path, line, func), (_, ncalls, tottime, cumtime, _) in stats.stats.items():
        if kit_only and "/analysis/" not in path:
            continue
        where = path.split("/analysis/", 1)[-1] if "/analysis/" in path else Path(path).name
        name = f"analysis/{where}:{func}" if "/analysis/" in path else f"{where}:{func}"
        rows.append((cumtime if by == "cumtime" else tottime, ncalls, name))
    return sorted(rows, reverse=True)[:n]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_folder", type=Path)
    parser.add_argument("--min-cell", type=float, default=1.0, help="profile cells this slow")
    parser.add_argument("--top", type=int, default=6)
    parser.add_argument("--memory", action="store_true",
                        help="per cell peak and remaining RSS instead of a profile")
    parser.add_argument("--only", action="append", help="this notebook only (repeatable)")
    parser.add_argument("--one", help=argparse.SUPPRESS)   # internal: profile one notebook
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(_profile_one(Path(args.one), args.top, args.min_cell, args.memory)))
        return 0
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg", "MIMALLOC_PURGE_DELAY": "0"}
    for name in args.only or NOTEBOOKS:
        path = args.run_folder / f"{name}.ipynb"
        start = time.perf_counter()
        done = subprocess.run([sys.executable, __file__, str(args.run_folder), "--one", str(path),
                               "--top", str(args.top), "--min-cell", str(args.min_cell)]
                              + (["--memory"] if args.memory else []),
                              env=env, capture_output=True, text=True)
        if done.returncode:
            print(f"## {name}: failed\n{done.stderr[-2000:]}")
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        cells = result["cells"]
        print(f"## {name}: {time.perf_counter() - start:.1f} s in all "
              f"(cells {sum(c['seconds'] for c in cells):.1f} s), "
              f"peak RSS {result['peak_mb'] / 1024:.2f} GB")
        if args.memory:
            for cell in cells:
                print(f"- cell [{cell['n']}] {cell['seconds']:6.1f} s  peak {cell['peak_cell_mb']:7.0f} MB"
                      f"  after {cell['rss_after_mb']:7.0f} MB  `{cell['source']}`")
            print()
            continue
        for cell in sorted(cells, key=lambda c: -c["seconds"]):
            if "kit" not in cell:
                continue
            print(f"- cell [{cell['n']}] {cell['seconds']:.1f} s: `{cell['source']}`")
            print("  - kit functions (cumulative): " + "; ".join(
                f"{name} {sec:.1f} s" for sec, _, name in cell["kit"]))
            print("  - heaviest own time: " + "; ".join(
                f"{name} {sec:.1f} s ({calls:,} calls)" for sec, calls, name in cell["own"]))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
