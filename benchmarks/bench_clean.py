"""Benchmark: intake + cleaning of a generated export (issue 3 target: 1,000,000 orders and
100,000 customers in ≤ 15 s and ≤ 2 GB on the 2-core machine).

    .venv/bin/python benchmarks/bench_clean.py [--orders 1000000] [--customers 100000] [--dirty]

Prints wall time per stage and the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from analysis.steps.clean import clean_all
from analysis.intake.read import load_raw_data


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--dirty", action="store_true", help="mixed formats and dirt as in the sample")
    parser.add_argument("--all-tables", action="store_true",
                        help="also interactions and surveys (the target is orders + customers)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "raw"
        start = time.perf_counter()
        # Generated in a child process so its memory does not count towards the peak below.
        subprocess.run([sys.executable, "-m", "analysis", "synth", "--out", str(data), "--seed", "1",
                        "--customers", str(args.customers), "--orders", str(args.orders),
                        *([] if args.dirty else ["--clean"])], check=True, stdout=subprocess.DEVNULL)
        generated = time.perf_counter() - start
        if not args.all_tables:
            for path in data.iterdir():
                if path.name.startswith(("互动", "满意度")):
                    path.unlink()

        start = time.perf_counter()
        raw = load_raw_data(data)
        read = time.perf_counter() - start
        start = time.perf_counter()
        result = clean_all(raw.tables, pd.Timestamp("2026-10-31"), {"max_order_amount": 5_000_000})
        cleaned = time.perf_counter() - start
    rows = {t: len(f) for t, f in raw.tables.items()}
    print(f"input rows: {rows}  (generated in {generated:.1f} s, dirty={args.dirty})")
    print(f"intake (read + map):   {read:6.2f} s")
    print(f"cleaning:              {cleaned:6.2f} s")
    print(f"intake + cleaning:     {read + cleaned:6.2f} s   (target ≤ 15 s)")
    print(f"peak RSS:              {peak_rss_mb():6.0f} MB   (target ≤ 2048 MB)")
    print(f"kept orders: {len(result.orders):,}  quarantined rows: {len(result.quarantine):,}  "
          f"customers: {len(result.customers):,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
