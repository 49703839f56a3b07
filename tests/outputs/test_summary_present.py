"""Presentation helpers and the executive summary (analysis/outputs/present.py, analysis/outputs/summary.py)."""

import pandas as pd
import pytest
import yaml

from analysis.config import PARAMS_DIR
from analysis.outputs.present import _auto_formats, bullets, sections
from analysis.outputs.summary import executive_summary
from analysis.tiers import tier_roles
from analysis.vocab import language, text

ROLES = tier_roles(yaml.safe_load((PARAMS_DIR / "base.yml").read_text(encoding="utf-8")))


def test_auto_formats_by_name_and_value():
    frame = pd.DataFrame({"负责人": ["张", "李"], "任务数": [3.0, 4.0], "完成率": [0.5, 0.25],
                          "差值95%下限": [-0.1, 0.2], "均值": [1.5, 2.25]})
    got = _auto_formats(frame)
    assert got == {"percent": ["完成率", "差值95%下限"], "integer": ["任务数"], "decimals": ["均值"]}


def test_auto_formats_know_english_rate_columns():
    frame = pd.DataFrame({"Owner": ["a"], "Tasks": [3.0], "Completion rate": [0.5], "Share": [0.1],
                          "Difference 95% low": [-0.1], "Mean": [1.5]})
    assert _auto_formats(frame) == {"percent": ["Completion rate", "Share", "Difference 95% low"],
                                    "integer": ["Tasks"], "decimals": ["Mean"]}


def test_empty_bullets_and_sections_speak_the_run_language():
    assert bullets([]).data == "（无）" and bullets([], empty="没有").data == "没有"
    assert bullets(["a", "b"]).data == "- a\n- b"
    assert "<p>（无数据）</p>" in sections({"表": None}).data
    with language("en"):
        assert bullets([]).data == "(none)"
        assert "<p>(no data)</p>" in sections({"Table": pd.DataFrame()}).data


def _segments(interim, tiers):
    pd.DataFrame({"customer_id": ["a", "b", "c", "d"][:len(tiers)], "tier": tiers,
                  "purchased_in_window": [True, True, False, False][:len(tiers)],
                  "churn_risk": [True, False, False, True][:len(tiers)]}).to_parquet(interim / "segments.parquet")


def _win_back(interim):
    pd.DataFrame({text("closed_loop.repurchase.tier"): ["流失预警客户"],
                  text("closed_loop.repurchase.treated_rate"): [0.2],
                  text("closed_loop.repurchase.control_rate"): [0.1],
                  text("closed_loop.repurchase.verdict"): [text("closed_loop.verdict.no_difference")],
                  }).to_parquet(interim / "loop_win_back.parquet")


def test_summary_reads_the_run_tables(tmp_path):
    interim = tmp_path / "2026-10" / "interim"
    interim.mkdir(parents=True)
    _segments(interim, ["战略客户", "普通客户", "普通客户", "流失预警客户"])
    _win_back(interim)
    pd.DataFrame({"customer_id": ["a", "d"], "churn_warning": [True, True]}).to_parquet(interim / "churn.parquet")
    summary = executive_summary(tmp_path / "2026-10", "2026-10", pd.Timestamp("2026-10-31"), ROLES, "")
    assert summary.startswith("## 执行摘要\n")
    assert "客户档案共 **4** 位客户" in summary and "2** 位（50.0%）" in summary
    # Tiers in the order of tier_roles (params strategy.tiers): 战略 first, 普通 last.
    assert "- 客户分层：战略客户 1 位（25.0%），流失预警客户 1 位（25.0%），普通客户 2 位（50.0%）。" in summary
    # Churn flags counted among the high-value tiers of params tiers.roles only.
    assert "- 流失预警：**2** 位客户触发预警（其中战略客户、核心客户带流失风险标记 1 位）。" in summary
    assert "未找到上月（2026-09）" in summary
    assert "上月流失预警客户挽回率：干预组 20%、对照组 10%（差异不显著）" in summary


def test_summary_tiers_and_roles_come_from_params(tmp_path):
    interim = tmp_path / "2026-10" / "interim"
    interim.mkdir(parents=True)
    _segments(interim, ["A", "B", "B", "C"])
    _win_back(interim)
    roles = tier_roles({"tiers": {"rules": [{"tier": "C"}, {"tier": "B"}, {"tier": "A"}],
                                  "roles": {"high_value": ["C"], "win_back": "B", "sleeping": []}}})
    summary = executive_summary(tmp_path / "2026-10", "2026-10", pd.Timestamp("2026-10-31"), roles, "")
    assert "- 客户分层：C 1 位（25.0%），B 2 位（50.0%），A 1 位（25.0%）。" in summary
    assert "上月B挽回率：干预组 20%" in summary
    no_win_back = tier_roles({"tiers": {"rules": [{"tier": "A"}],
                                        "roles": {"high_value": [], "win_back": None, "sleeping": []}}})
    assert "挽回率" not in executive_summary(tmp_path / "2026-10", "2026-10", pd.Timestamp("2026-10-31"),
                                            no_win_back, "")


def test_summary_compares_with_the_configured_previous_run(tmp_path):
    interim = tmp_path / "2026-10" / "interim"
    interim.mkdir(parents=True)
    _segments(interim, ["战略客户", "普通客户", "普通客户"])
    archived = tmp_path / "archive" / "sep" / "interim"
    archived.mkdir(parents=True)
    pd.DataFrame({"customer_id": ["a", "b"], "tier": ["核心客户", "普通客户"]}).to_parquet(
        archived / "segments.parquet")
    as_of = pd.Timestamp("2026-10-31")
    summary = executive_summary(tmp_path / "2026-10", "2026-10", as_of, ROLES, "archive/sep")
    assert "- 与上月（2026-09）相比：1 位客户层级变化，新增 1 位客户。" in summary
    assert "未找到上月" in executive_summary(tmp_path / "2026-10", "2026-10", as_of, ROLES, "")


def test_summary_of_a_base_without_customers(tmp_path):
    interim = tmp_path / "2026-10" / "interim"
    interim.mkdir(parents=True)
    pd.DataFrame({"customer_id": pd.Series([], dtype="string"), "tier": pd.Series([], dtype="string"),
                  "purchased_in_window": pd.Series([], dtype=bool),
                  "churn_risk": pd.Series([], dtype=bool)}).to_parquet(interim / "segments.parquet")
    summary = executive_summary(tmp_path / "2026-10", "2026-10", pd.Timestamp("2026-10-31"), ROLES, "")
    assert summary.endswith("客户档案中没有客户，未做分层与预警。")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_summary_speaks_the_run_language(tmp_path, lang):
    interim = tmp_path / "2026-10" / "interim"
    interim.mkdir(parents=True)
    with language(lang):
        _segments(interim, ["战略客户", "普通客户", "普通客户", "流失预警客户"])
        _win_back(interim)
        pd.DataFrame({"table": ["orders"], "rows_in": [1200], "kept": [1100], "quarantined": [60],
                      "merged_or_duplicate": [40], "closes": [True], "amount_source": ["amount"],
                      "suspected_duplicates": [3]}).to_parquet(interim / "row_accounting.parquet")
        pd.DataFrame({"due_date": pd.to_datetime(["2026-11-02", "2026-11-30"])}).to_parquet(
            interim / "plan.parquet")
        pd.DataFrame({text("automation.overview.list"): ["A", "B", "C"],
                      text("automation.overview.selected"): [12, 0, 1300]}).to_parquet(
            interim / "lists_overview.parquet")
        pd.DataFrame({text("closed_loop.completion.owner"): ["x", text("closed_loop.total")],
                      text("closed_loop.completion.tasks"): [4, 1200],
                      text("closed_loop.completion.done"): [1, 900],
                      text("closed_loop.completion.rate"): [0.25, 0.75]}).to_parquet(
            interim / "loop_completion.parquet")
        summary = executive_summary(tmp_path / "2026-10", "2026-10", pd.Timestamp("2026-10-31"), ROLES, "")
    if lang == "zh":
        assert "  - 订单表：输入 1,200 行，保留 1,100，隔离 60，删除重复 40，疑似重复 3 行已按多次购买保留；amount。" in summary
        assert "- 上月执行：1,200 项任务中已填结果 900 项（完成率 75%）。" in summary
        assert "- 自动化触达名单：A 12 位，C 1,300 位（退订、未授权与对照组客户已排除）。" in summary
        assert "- 行动计划：共 **2** 项，其中 **1** 项须在 7 天内完成（明细见《客户分层维护策略表》与《维护执行记录表》）。" in summary
    else:
        assert summary.startswith("## Executive summary\n")
        assert "- Tiers: 战略客户 1 (25.0%), 流失预警客户 1 (25.0%), 普通客户 2 (50.0%)." in summary
        assert "  - Orders: 1,200 rows in, 1,100 kept, 60 set aside, 40 duplicates removed, 3 suspected" in summary
        assert "Last month's win-back rate of 流失预警客户: treated 20%, control 10% (No significant difference)." in summary
        assert "- Last month's tasks: 900 of 1,200 have a result (75% complete)." in summary
        assert "- Automated contact lists: A 12, C 1,300 (unsubscribed" in summary
        assert "**1** of them due within 7 days (details in “Tier maintenance strategy” and “Maintenance log”)" in summary
