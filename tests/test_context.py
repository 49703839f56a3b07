"""The run context (analysis/context.py): built once by the runner, used as handed over."""

from pathlib import Path

import pandas as pd

from analysis.context import RunContext, build_context, previous_run, run_context
from analysis.params import resolve_params


def test_the_runners_context_reaches_a_notebook_unchanged(tmp_path):
    params = resolve_params("2026-10")
    params["closed_loop"]["previous_dir"] = "archive/sep"
    ctx = build_context("2026-10", pd.Timestamp("2026-10-15"), tmp_path / "raw", tmp_path / "out" / "2026-10",
                        params)
    assert ctx.previous_dir == tmp_path / "out" / "archive" / "sep" and ctx.previous_month == "2026-09"
    handed = run_context(month="1999-01", as_of="1999-01-01", context=ctx.to_parameters())
    assert handed == ctx                       # the notebook's own parameters are not re-resolved
    assert handed.interim.is_dir() and handed.as_of == pd.Timestamp("2026-10-15")


def test_a_notebook_on_its_own_builds_the_same_context(tmp_path):
    ctx = run_context(month="2026-10", out_dir=str(tmp_path / "2026-10"),
                      params={"rfm": {"window_months": 6}})
    assert ctx.as_of == pd.Timestamp("2026-10-31") and ctx.params["rfm"]["window_months"] == 6
    assert (ctx.previous_dir, ctx.previous_month) == previous_run(tmp_path / "2026-10", "2026-10", "")
    assert ctx.previous_dir == tmp_path / "2026-09"
    assert isinstance(ctx, RunContext) and Path(ctx.data_dir).name == "raw"
