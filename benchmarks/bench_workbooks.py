"""Benchmark: write the five workbooks (and their masked copies) for 100,000 customers.

Issue 6 target: ≤ 15 s for the workbooks. The frames come from the real pipeline on a
generated base (setup, not timed): intake → cleaning → RFM/tiers → plan → automation lists.

    .venv/bin/python benchmarks/bench_workbooks.py [--customers 100000] [--orders 1000000]
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

from analysis.steps.automation import build_lists
from analysis.steps.clean import clean_all
from analysis.intake.read import load_raw_data
from analysis.params import resolve_params
from analysis.outputs.privacy import mask_workbook_sheets
from analysis.steps.segment import (assign_tiers, assign_value_bands, classify_rfm, compute_rfm, score_rfm,
                              tier_features)
from analysis.steps.strategy import customer_plan, workbook_sheets
from analysis.outputs.workbooks import write_workbooks
from analysis.steps.workdays import working_calendar
from analysis.tiers import tier_roles

AS_OF = pd.Timestamp("2026-10-31")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    params = resolve_params("2026-10")
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "raw", Path(tmp) / "out"
        subprocess.run([sys.executable, "-m", "analysis", "synth", "--out", str(data), "--seed", "1", "--clean",
                        "--customers", str(args.customers), "--orders", str(args.orders)],
                       check=True, stdout=subprocess.DEVNULL)
        raw = load_raw_data(data)
        result = clean_all(raw.tables, AS_OF, params["cleaning"], raw.sources)
        rfm = classify_rfm(score_rfm(compute_rfm(result.orders, result.customers, AS_OF)))
        rfm["value_band"] = assign_value_bands(rfm)
        segments, _ = assign_tiers(tier_features(rfm, result.customers), params["tiers"]["rules"])
        calendar = working_calendar()
        tiers = params["strategy"]["tiers"]
        roles = tier_roles(params)
        plan = customer_plan(segments, result.customers, tiers, AS_OF, calendar=calendar, roles=roles,
                             churn_flag_action=params["strategy"]["churn_flag_action"],
                             window_months=params["rfm"]["window_months"])
        lists = build_lists(result.customers, segments, result.orders, result.interactions, result.surveys,
                            AS_OF, params["automation"], calendar, roles=roles)
        sheets = workbook_sheets(result.customers, segments, plan, tiers, "2026-10", lists=lists, roles=roles)
        rows = {f"{wb}/{sheet}": len(frame) for wb, frames in sheets.items() for sheet, frame in frames.items()
                if len(frame) > 1000}

        start = time.perf_counter()
        paths = write_workbooks(sheets, out, "2026-10")
        written = time.perf_counter() - start
        start = time.perf_counter()
        masked = mask_workbook_sheets(sheets)
        masking = time.perf_counter() - start
        start = time.perf_counter()
        write_workbooks(masked, out, "2026-10", suffix="_脱敏")
        written_masked = time.perf_counter() - start
        sizes = {p.name: p.stat().st_size / 1e6 for p in paths}
    print(f"customers: {len(segments):,}; large sheets: {rows}")
    print(f"write five workbooks:      {written:6.2f} s   (target ≤ 15 s)")
    print(f"mask for sharing:          {masking:6.2f} s")
    print(f"write the masked copies:   {written_masked:6.2f} s")
    print("file sizes (MB): " + ", ".join(f"{k} {v:.1f}" for k, v in sizes.items()))
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
