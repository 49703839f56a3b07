"""Benchmark: segmentation of 100,000 customers from 1,000,000 orders (issue target: RFM,
scores, classes, bands, tiers and k-means including the choice of k in ≤ 10 s).

    .venv/bin/python benchmarks/bench_segment.py [--orders 1000000] [--customers 100000]
        [--no-full-silhouette] [--compare-full-fit]

Generating, reading and cleaning the data is setup and not timed. Prints the seconds of
each stage and their total, then, for the chosen k, the sampled silhouette (as used to
choose k) against the silhouette on all customers, with the time of each, and the peak
resident memory of the process. Wall and CPU seconds are both shown: on a shared
2-core machine other processes inflate the wall time.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, silhouette_score

from analysis.steps.clean import clean_all
from analysis.intake.read import load_raw_data
from analysis.params import resolve_params
from analysis.steps.segment import (
    assign_tiers, assign_value_bands, classify_rfm, cluster_customers, cluster_matrix, compute_rfm,
    score_rfm, tier_features,
)
from analysis.sample.synth import write_sample

AS_OF = pd.Timestamp("2026-10-31")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=None, help="k-means seed (default: params run.seed)")
    parser.add_argument("--no-full-silhouette", action="store_true",
                        help="skip the O(n²) silhouette on all customers")
    parser.add_argument("--compare-full-fit", action="store_true",
                        help="also run k-means with every start on all customers (fit_sample_first=False)")
    args = parser.parse_args(argv)
    params = resolve_params("2026-10")
    seed = params["run"]["seed"] if args.seed is None else args.seed
    k_range = tuple(params["kmeans"]["k_range"])

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        write_sample(Path(tmp), n_customers=args.customers, n_orders=args.orders, seed=1, dirty=False)
        raw = load_raw_data(Path(tmp))
        cleaned = clean_all(raw.tables, AS_OF, {})
    orders, customers = cleaned.orders, cleaned.customers
    print(f"setup (generate + read + clean, not timed): {time.perf_counter() - start:.1f} s; "
          f"{len(orders):,} orders, {len(customers):,} customers")

    times: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def timed(name, fn, *a, **kw):
        t, c = time.perf_counter(), time.process_time()
        result = fn(*a, **kw)
        times[name], cpu[name] = time.perf_counter() - t, time.process_time() - c
        return result

    rfm = timed("compute_rfm", compute_rfm, orders, customers, AS_OF, 12)
    rfm = timed("score_rfm", score_rfm, rfm)
    rfm = timed("classify_rfm", classify_rfm, rfm)
    rfm["value_band"] = timed("assign_value_bands", assign_value_bands, rfm)
    features = timed("tier_features", tier_features, rfm, customers)
    segments, _ = timed("assign_tiers", assign_tiers, features, params["tiers"]["rules"],
                        churn_days=params["tiers"]["churn_days"],
                        churn_min_spend=params["tiers"]["churn_min_spend"])
    labels, names, silhouettes, _ = timed("cluster_customers", cluster_customers, segments,
                                          k_range=k_range, seed=seed)
    print(f"{'stage':22s}{'wall s':>8s}{'CPU s':>8s}")
    for name, seconds in times.items():
        print(f"{name:22s}{seconds:8.2f}{cpu[name]:8.2f}")
    total = sum(times.values())
    print(f"{'total':22s}{total:8.2f}{sum(cpu.values()):8.2f}   (target ≤ 10 s wall)  "
          f"{'OK' if total <= 10 else 'OVER'}")

    best = int(silhouettes.idxmax())
    print(f"customers: {len(segments):,}  k range {k_range}, seed {seed}: chosen k = {best}; "
          f"sampled silhouettes " + ", ".join(f"k={k}: {v:.4f}" for k, v in silhouettes.items()))
    print("clusters: " + ", ".join(f"{names[c]} {n:,}" for c, n in labels.value_counts().sort_index().items()))

    if args.compare_full_fit:
        t = time.perf_counter()
        old = cluster_customers(segments, k_range=k_range, seed=seed, fit_sample_first=False)
        t_old = time.perf_counter() - t
        print(f"every start on all customers (fit_sample_first=False): {t_old:.2f} s, chosen k = "
              f"{int(old[2].idxmax())}, adjusted Rand index with the default labels "
              f"{adjusted_rand_score(old[0], labels):.4f}; sampled silhouettes "
              + ", ".join(f"k={k}: {v:.4f}" for k, v in old[2].items()))

    _, x = cluster_matrix(segments)
    sample = np.random.default_rng(seed).choice(len(x), size=min(5000, len(x)), replace=False)
    t = time.perf_counter()
    sampled = float(silhouette_score(x[sample], labels.to_numpy()[sample]))
    t_sampled = time.perf_counter() - t
    print(f"sampled silhouette (5,000): {sampled:.4f} in {t_sampled:.3f} s")
    others = [float(silhouette_score(x[s], labels.to_numpy()[s])) for s in (
        np.random.default_rng(seed + i).choice(len(x), size=min(5000, len(x)), replace=False)
        for i in range(1, 6))]
    print("  the same on 5 other seeded samples: " + ", ".join(f"{v:.4f}" for v in others)
          + f" (sd {np.std(others + [sampled], ddof=1):.4f})")
    if not args.no_full_silhouette:
        # sklearn computes the pairwise distances in chunks (pairwise_distances_chunked, working
        # memory 1 GB by default), so all customers fit in memory; it is the O(n²) time that costs.
        t = time.perf_counter()
        full = float(silhouette_score(x, labels.to_numpy(), sample_size=None))
        t_full = time.perf_counter() - t
        print(f"full silhouette ({len(x):,}): {full:.4f} in {t_full:.1f} s")
        print(f"difference: {abs(sampled - full):.4f} (issue: within 0.004); "
              f"speed-up: {t_full / t_sampled:.0f}× (issue: ~60×)")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
