"""Presentation helpers and the executive summary (analysis/outputs/present.py, analysis/outputs/summary.py)."""

import pandas as pd

from analysis.outputs.present import _auto_formats
from analysis.outputs.summary import executive_summary, previous_month


def test_auto_formats_by_name_and_value():
    frame = pd.DataFrame({"负责人": ["张", "李"], "任务数": [3.0, 4.0], "完成率": [0.5, 0.25],
                          "差值95%下限": [-0.1, 0.2], "均值": [1.5, 2.25]})
    got = _auto_formats(frame)
    assert got == {"percent": ["完成率", "差值95%下限"], "integer": ["任务数"], "decimals": ["均值"]}


def test_previous_month_crosses_the_year():
    assert previous_month("2026-01") == "2025-12" and previous_month("2026-10") == "2026-09"


def test_summary_reads_the_run_tables(tmp_path):
    interim = tmp_path / "2026-10" / "interim"
    interim.mkdir(parents=True)
    pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "tier": ["战略客户", "普通客户", "普通客户", "流失预警客户"],
                  "purchased_in_window": [True, True, False, False],
                  "churn_risk": [False, False, False, True]}).to_parquet(interim / "segments.parquet")
    pd.DataFrame({"层级": ["流失预警客户"], "干预组比率": [0.2], "对照组比率": [0.1],
                  "结论": ["差异不显著"]}).to_parquet(interim / "loop_win_back.parquet")
    text = executive_summary(tmp_path / "2026-10", "2026-10", pd.Timestamp("2026-10-31"))
    assert "客户档案共 **4** 位客户" in text and "2** 位（50.0%）" in text
    assert "战略客户 1 位（25.0%）" in text and "普通客户 2 位（50.0%）" in text
    assert "未找到上月（2026-09）" in text
    assert "挽回率：干预组 20%、对照组 10%（差异不显著）" in text


def test_summary_of_a_base_without_customers(tmp_path):
    interim = tmp_path / "2026-10" / "interim"
    interim.mkdir(parents=True)
    pd.DataFrame({"customer_id": pd.Series([], dtype="string"), "tier": pd.Series([], dtype="string"),
                  "purchased_in_window": pd.Series([], dtype=bool),
                  "churn_risk": pd.Series([], dtype=bool)}).to_parquet(interim / "segments.parquet")
    text = executive_summary(tmp_path / "2026-10", "2026-10", pd.Timestamp("2026-10-31"))
    assert text.endswith("客户档案中没有客户，未做分层与预警。")
