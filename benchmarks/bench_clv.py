"""Benchmark: churn and value models (BG/NBD + Gamma-Gamma) for 100,000 customers from
1,000,000 orders (issue target: fit + predict in ≤ 15 s).

    .venv/bin/python benchmarks/bench_clv.py [--orders 1000000] [--customers 100000]

Generating, reading and cleaning the data is setup and not timed. Prints the time of
``import analysis.steps.churn`` (in a fresh interpreter), of each stage (summary, BG/NBD fit, Gamma-Gamma
fit, predictions) and of :func:`analysis.steps.churn.churn_model` end to end, with the fitted parameters,
then the time of :func:`analysis.steps.backtest.backtest` (tiers + rule + model at the cutoff, scored;
no target) and its warning table.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.steps.clean import clean_all
from analysis.intake.read import load_raw_data
from analysis.params import resolve_params
from analysis.sample.synth import write_sample

AS_OF = pd.Timestamp("2026-10-31")


def import_seconds() -> float:
    """Seconds to import analysis.steps.churn in a fresh interpreter (its dependencies included)."""
    code = "import time; t = time.perf_counter(); import analysis.steps.churn; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args(argv)
    print(f"import analysis.steps.churn (fresh interpreter): {import_seconds():.2f} s")

    from analysis.steps.churn import (
        churn_model, expected_purchases, expected_spend, fit_bgnbd, fit_gamma_gamma, predict_clv,
        prob_alive, summarise_orders,
    )

    params = resolve_params("2026-10")
    churn = params["churn"]
    unit = churn["time_unit_days"]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        write_sample(Path(tmp), n_customers=args.customers, n_orders=args.orders, seed=1, dirty=False)
        raw = load_raw_data(Path(tmp))
        cleaned = clean_all(raw.tables, AS_OF, {})
    orders = cleaned.orders
    print(f"setup (generate + read + clean, not timed): {time.perf_counter() - start:.1f} s; "
          f"{len(orders):,} orders, {orders['customer_id'].nunique():,} customers")

    times: dict[str, float] = {}

    def timed(name, fn, *a, **kw):
        t = time.perf_counter()
        result = fn(*a, **kw)
        times[name] = time.perf_counter() - t
        return result

    summary = timed("summarise_orders", summarise_orders, orders, AS_OF, unit_days=unit)
    x, t_x, T, m = summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"]
    bg = timed("fit_bgnbd", fit_bgnbd, x, t_x, T)
    gg = timed("fit_gamma_gamma", fit_gamma_gamma, x, m)
    timed("prob_alive", prob_alive, bg, x, t_x, T)
    timed("expected_purchases", expected_purchases, bg, churn["horizon_days"] / unit, x, t_x, T)
    timed("expected_spend", expected_spend, gg, x, m)
    clv = timed("predict_clv", predict_clv, bg, gg, summary, horizon_months=churn["clv_horizon_months"],
                annual_discount_rate=churn["annual_discount_rate"], unit_days=unit)
    for name, seconds in times.items():
        print(f"{name + ':':22s}{seconds:7.2f} s")
    total = sum(times.values())
    print(f"{'total (stages):':22s}{total:7.2f} s   (target ≤ 15 s)  {'OK' if total <= 15 else 'OVER'}")

    t = time.perf_counter()
    frame, status = churn_model(orders, AS_OF, churn)
    whole = time.perf_counter() - t
    print(f"{'churn_model (all):':22s}{whole:7.2f} s   (target ≤ 15 s)  {'OK' if whole <= 15 else 'OVER'}")
    print(f"customers: {len(summary):,}, repeat: {int((x > 0).sum()):,}")
    print(f"BG/NBD: r={bg.r:.4f} alpha={bg.alpha:.4f} a={bg.a:.4f} b={bg.b:.4f} converged={bg.converged} "
          f"LL={bg.log_likelihood:,.1f}")
    print(f"Gamma-Gamma: p={gg.p:.4f} q={gg.q:.4f} v={gg.v:.4f} converged={gg.converged} "
          f"mean spend={gg.mean_spend:,.0f} 元")
    print(f"status: {status['message']}")
    print(f"mean p_alive {frame['p_alive'].mean():.3f}; expected purchases next {churn['horizon_days']} days "
          f"{frame['expected_purchases'].sum():,.0f}; total predicted CLV {np.nansum(clv):,.0f} 元")
    from analysis.steps.backtest import backtest

    t = time.perf_counter()
    result = backtest(orders, cleaned.customers, AS_OF, params)
    print(f"{'backtest (all):':22s}{time.perf_counter() - t:7.2f} s   (cutoff {result.cutoff:%Y-%m-%d}, "
          f"{result.horizon_days} days, {len(result.customers):,} customers)")
    print(result.warnings.round(3).to_string())
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
