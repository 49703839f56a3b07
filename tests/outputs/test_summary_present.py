"""Presentation helpers and the executive summary (analysis/outputs/present.py, analysis/outputs/summary.py)."""

import re

import pandas as pd
import pytest
import yaml

from analysis.config import PARAMS_DIR
from analysis.outputs.present import _auto_formats, bullets, sections, setting
from analysis.outputs.summary import change, executive_summary
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


AS_OF = pd.Timestamp("2026-10-31")


def _write(folder, **tables):
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_parquet(folder / f"{name}.parquet")


def _segments(ids, tiers, active):
    return pd.DataFrame({"customer_id": ids, "tier": tiers, "purchased_in_window": active,
                         "churn_risk": [False] * len(ids)})


def _month_pair(tmp_path, *, with_value=True):
    """October with September beside it: 5 customers now, 4 last month (worked out by hand)."""
    now = tmp_path / "2026-10" / "interim"
    plan = pd.DataFrame({
        "customer_id": list("abcde"),
        "tier": ["战略客户", "普通客户", "普通客户", "流失预警客户", "流失预警客户"],
        "owner": ["王思远", "王思远", "李静怡", "李静怡", "运营专员"],
        "control": [False, False, True, False, False],   # c is held out: never a task
        "due_date": pd.to_datetime(["2026-11-03", "2026-11-20", "2026-11-03", "2026-11-05", "2026-11-13"]),
        "status": ["待执行", "待执行", "对照组", "待执行", "待执行"],
        "next_action": ["回访"] * 5,
    })
    if with_value:
        plan["value_at_risk"] = [1000.0, 200.0, 500.0, 300.0, float("nan")]
    _write(now,
           segments=_segments(list("abcde"), ["战略客户", "普通客户", "普通客户", "流失预警客户", "流失预警客户"],
                              [True, True, True, False, False]),
           churn=pd.DataFrame({"customer_id": list("abcde"), "churn_warning": [False, False, False, True, True]}),
           orders=pd.DataFrame({"customer_id": ["a", "b", "b", "c"],
                                "order_date": pd.to_datetime(["2026-10-02", "2026-10-15", "2026-10-20", "2026-09-10"]),
                                "net_amount": [100.0, 50.0, -30.0, 80.0]}),
           plan=plan)
    _write(tmp_path / "2026-09" / "interim",
           segments=_segments(list("abcd"), ["核心客户", "普通客户", "普通客户", "普通客户"],
                              [True, True, False, False]),
           churn=pd.DataFrame({"customer_id": list("abcd"), "churn_warning": [False, False, False, True]}))
    return plan


def _summary(tmp_path, roles=ROLES, previous="", **kw):
    return executive_summary(tmp_path / "2026-10", "2026-10", AS_OF, roles, previous,
                             params={"rfm": {"window_months": 12}}, **kw)


def test_change_since_last_month_is_worked_out_by_hand(tmp_path):
    _month_pair(tmp_path)
    summary = _summary(tmp_path)
    assert "括号内为与上月 2026-09 相比的变化" in summary
    # 5 customers against 4 (+1, +25%); 3 active of 5 against 2 (+1, +50%)
    assert "- 客户 **5** 位（+1 / +25.0%）；近 12 个月有购买 **3** 位（+1 / +50.0%），占 60.0%。" in summary
    # every tier of either month, in params order, with its change in customers
    # every tier of either month, in params order: customers, share of 5, change in customers
    assert ("| 战略客户 | 1 | 20.0% | +1 |\n| 核心客户 | 0 | 0.0% | −1 |\n"
            "| 流失预警客户 | 2 | 40.0% | +2 |\n| 普通客户 | 2 | 40.0% | −1 |") in summary
    # warnings 2 against 1; net sales of October 100 + 50 − 30 = 120 against September's 80
    assert "- 模型流失预警名单 **2** 位（+1 / +100.0%）（按流失概率×价值排序，不同于按天数划分的“流失预警客户”层级），本月净销售额 **120** 元（+40 元 / +50.0%）。" in summary


def test_without_last_month_the_heading_says_so_once(tmp_path):
    _month_pair(tmp_path)
    (tmp_path / "2026-09" / "interim" / "segments.parquet").unlink()
    summary = _summary(tmp_path)
    assert "上月 2026-09 的运行结果无数据，客户与分层以本月为对比基线" in summary
    assert "- 客户 **5** 位；近 12 个月有购买 **3** 位，占 60.0%。" in summary
    assert ("| 分层 | 客户 | 占比 |\n|---|---:|---:|\n| 战略客户 | 1 | 20.0% |\n"
            "| 流失预警客户 | 2 | 40.0% |\n| 普通客户 | 2 | 40.0% |") in summary


def test_owner_table_leaves_the_control_group_out(tmp_path):
    plan = _month_pair(tmp_path)
    summary = _summary(tmp_path)
    # plain pandas: tasks per owner without the control group, due within 5 working days of
    # Saturday 10-31 (Mon 11-02 .. Fri 11-06)
    tasks = plan[~plan["control"]]
    assert tasks.groupby("owner").size().to_dict() == {"李静怡": 1, "王思远": 2, "运营专员": 1}
    soon = tasks[tasks["due_date"] <= pd.Timestamp("2026-11-06")]
    assert soon.groupby("owner").size().to_dict() == {"李静怡": 1, "王思远": 1}
    assert ("本月任务 **4** 项（不含对照组 1 位，他们本月不联系），其中 **2** 项须在 11 月 6 日前（5 个工作日内）完成；"
            "全部任务涉及风险金额 1,500 元") in summary   # 1000 + 200 + 300; c's 500 is control
    table = [line for line in summary.split("**谁在什么时候做什么**")[1].splitlines() if line.startswith("|")]
    assert table == ["| 负责人 | 任务 | 11 月 6 日前到期 | 风险金额（元） |", "|---|---:|---:|---:|",
                     "| 王思远 | 2 | 1 | 1,200 |", "| 李静怡 | 1 | 1 | 300 |", "| 运营专员 | 1 | 0 | — |"]


def test_automated_lists_are_told_apart_from_the_tasks(tmp_path):
    _month_pair(tmp_path)
    pd.DataFrame({text("automation.overview.list"): ["A", "B", "C"],
                  text("automation.overview.selected"): [12, 0, 1300]}).to_parquet(
        tmp_path / "2026-10" / "interim" / "lists_overview.parquet")
    assert "见《维护执行记录表》；自动化名单另由系统发送 1,312 人次（不占人工）。" in _summary(tmp_path)


def test_owner_table_without_value_at_risk_says_dash(tmp_path):
    _month_pair(tmp_path, with_value=False)
    summary = _summary(tmp_path)
    assert "涉及风险金额" not in summary and "| 王思远 | 2 | 1 | — |" in summary


def test_three_findings_one_per_dimension_and_the_verdict(tmp_path):
    _month_pair(tmp_path)
    interim = tmp_path / "2026-10" / "interim"
    _write(interim,
           insights=pd.DataFrame({"dimension": ["渠道", "渠道", "行业", "大区", "规模"],
                                  "insight": ["渠道甲", "渠道乙", "行业甲", "大区甲", "规模甲"],
                                  "relevance": [0.5, 0.4, 0.1, 0.0, 0.3]}),
           backtest_verdict=pd.DataFrame({"verdict": ["长句"], "headline": ["规则更可信。"]}))
    summary = _summary(tmp_path)
    assert "**三条要点**\n\n1. 渠道甲。\n2. 规模甲。\n3. 行业甲。\n" in summary   # 渠道乙: same dimension
    assert "- **预警可信吗**？规则更可信。" in summary
    assert "χ²" not in summary and "p=" not in summary


def test_without_attributes_to_compare_the_summary_says_why_there_are_no_findings(tmp_path):
    _month_pair(tmp_path)
    _write(tmp_path / "2026-10" / "interim",
           insights=pd.DataFrame({"dimension": pd.Series([], dtype="string"),
                                  "insight": pd.Series([], dtype="string"),
                                  "relevance": pd.Series([], dtype=float)}))
    assert "**三条要点**：本月数据没有可比较的客户属性" in _summary(tmp_path)


def test_summary_is_short_and_names_no_internal_words(tmp_path):
    _month_pair(tmp_path)
    pd.DataFrame({"table": ["orders"], "rows_in": [1200], "kept": [1100], "quarantined": [60],
                  "merged_or_duplicate": [40], "closes": [True]}).to_parquet(
        tmp_path / "2026-10" / "interim" / "row_accounting.parquet")
    summary = _summary(tmp_path)
    text_lines = [line for line in summary.splitlines()
                  if line.strip() and not line.startswith(("|", "#", "**"))]
    assert len(text_lines) <= 8, text_lines
    assert not re.search(r"[A-Za-z]+_[A-Za-z]+|[a-z]+\.[a-z_]+|/tmp|若干", summary)
    assert "数据质量" not in summary   # the counts close: 01 reports the rows set aside
    pd.DataFrame({"table": ["orders"], "rows_in": [1200], "kept": [1100], "quarantined": [60],
                  "merged_or_duplicate": [30], "closes": [False]}).to_parquet(
        tmp_path / "2026-10" / "interim" / "row_accounting.parquet")
    assert "- 数据质量：隔离 60 行无法使用的记录（附原因），行数核对**不平衡**。" in _summary(tmp_path)


def test_summary_tiers_and_roles_come_from_params(tmp_path):
    interim = tmp_path / "2026-10" / "interim"
    _write(interim, segments=_segments(list("abcd"), ["A", "B", "B", "C"], [True] * 4))
    _win_back(interim)
    roles = tier_roles({"tiers": {"rules": [{"tier": "C"}, {"tier": "B"}, {"tier": "A"}],
                                  "roles": {"high_value": ["C"], "win_back": "B", "sleeping": []}}})
    summary = _summary(tmp_path, roles)
    assert "| C | 1 | 25.0% |\n| B | 2 | 50.0% |\n| A | 1 | 25.0% |" in summary  # the rules' order
    assert "上月B挽回率：干预组 20%、对照组 10%（差异不显著）。" in summary
    no_win_back = tier_roles({"tiers": {"rules": [{"tier": "A"}],
                                        "roles": {"high_value": [], "win_back": None, "sleeping": []}}})
    assert "挽回率" not in _summary(tmp_path, no_win_back)


def _win_back(interim):
    pd.DataFrame({text("closed_loop.repurchase.tier"): ["流失预警客户"],
                  text("closed_loop.repurchase.treated_rate"): [0.2],
                  text("closed_loop.repurchase.control_rate"): [0.1],
                  text("closed_loop.repurchase.verdict"): [text("closed_loop.verdict.no_difference")],
                  }).to_parquet(interim / "loop_win_back.parquet")


def test_summary_compares_with_the_configured_previous_run(tmp_path):
    interim = tmp_path / "2026-10" / "interim"
    _write(interim, segments=_segments(list("abc"), ["战略客户", "普通客户", "普通客户"], [True] * 3))
    _write(tmp_path / "archive" / "sep" / "interim",
           segments=_segments(list("ab"), ["核心客户", "普通客户"], [True, True]))
    summary = _summary(tmp_path, previous="archive/sep")
    assert "- 客户 **3** 位（+1 / +50.0%）" in summary
    assert "上月 2026-09 的运行结果无数据" in _summary(tmp_path)


def test_summary_reads_the_window_from_the_run_folder(tmp_path):
    interim = tmp_path / "2026-10" / "interim"
    _write(interim, segments=_segments(list("ab"), ["普通客户", "普通客户"], [True, False]))
    (tmp_path / "2026-10" / "params_resolved.yml").write_text("# header\nrfm:\n  window_months: 6\n",
                                                               encoding="utf-8")
    summary = executive_summary(tmp_path / "2026-10", "2026-10", AS_OF, ROLES, "")
    assert "近 6 个月有购买 **1** 位，占 50.0%" in summary


def test_summary_of_a_base_without_customers(tmp_path):
    interim = tmp_path / "2026-10" / "interim"
    _write(interim, segments=_segments([], [], []).astype({"customer_id": "string", "tier": "string"}))
    assert _summary(tmp_path).endswith("客户档案中没有客户，未做分层与预警。")


def test_change_reads_as_the_report_prints_it():
    assert change(3012, 3000) == "+12 / +0.4%"
    assert change(2900, 3000) == "\u2212100 / \u22123.3%"
    assert change(0, 5, relative=False) == "\u22125"
    assert change(5, None) == "上月无数据" and change(5, 5) == "持平"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_summary_speaks_the_run_language(tmp_path, lang):
    with language(lang):
        _month_pair(tmp_path)
        pd.DataFrame({text("closed_loop.completion.owner"): ["x", text("closed_loop.total")],
                      text("closed_loop.completion.tasks"): [4, 1200],
                      text("closed_loop.completion.done"): [1, 900],
                      text("closed_loop.completion.rate"): [0.25, 0.75]}).to_parquet(
            tmp_path / "2026-10" / "interim" / "loop_completion.parquet")
        summary = _summary(tmp_path)
    if lang == "zh":
        assert summary.startswith("## 执行摘要\n")
        assert "- 上月执行：1,200 项任务中已填结果 900 项（完成率 75%）。" in summary
    else:
        assert summary.startswith("## Executive summary\n")
        assert "- **5** customers (+1 / +25.0%); **3** (+1 / +50.0%) bought in the last 12 months" in summary
        assert "| Owner | Tasks | Due by 2026-11-06 | At risk (yuan) |" in summary
        assert "- Last month's tasks: 900 of 1,200 have a result (75% complete)." in summary


def _param_exists(params, parts):
    node = params
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_every_setting_label_names_a_real_parameter():
    from analysis.vocab import all_labels

    params = yaml.safe_load((PARAMS_DIR / "base.yml").read_text(encoding="utf-8"))
    keys = [k[len("settings."):].split(".") for k in all_labels()
            if k.startswith("settings.") and not k.startswith(("settings.unit.", "settings.value"))]
    assert ["churn", "horizon_days"] in keys and ["rfm", "window_months"] in keys
    for parts in keys:
        # a parameter, or a named choice of one (settings.churn.model.mbgnbd)
        assert _param_exists(params, parts) or _param_exists(params, parts[:-1]), ".".join(parts)


def test_settings_read_by_name_and_value():
    params = yaml.safe_load((PARAMS_DIR / "base.yml").read_text(encoding="utf-8"))
    assert setting("churn.horizon_days", params, "days") == f"流失预测期（本次：{params['churn']['horizon_days']} 天）"
    assert setting("churn.model", {"churn": {"model": "bgnbd"}}) == "流失预测模型（本次：BG/NBD 模型）"
    assert setting("churn.warn_top_n", {"churn": {"warn_top_n": None}}, "customers") == "预警名单人数（本次：未设置）"
    with language("en"):
        assert setting("rfm.window_months", {"rfm": {"window_months": 6}}, "months") == "RFM window (this run: 6 months)"


@pytest.mark.parametrize("name", ["02_profiling", "04_cross_analysis"])
def test_notebook_text_names_no_parameter_key(name):
    import json

    from analysis.config import NOTEBOOKS_DIR

    cells = json.loads((NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    prose = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert not re.search(r"`|[a-z]+\.[a-z_]+|[a-z]+_[a-z]+|若干", prose)


def test_an_export_ending_mid_month_is_compared_with_the_same_days_of_last_month():
    from analysis.outputs.summary import _monthly_revenue

    orders = pd.DataFrame({
        "order_date": pd.to_datetime(["2011-11-03", "2011-11-09", "2011-11-20", "2011-12-02", "2011-12-09"]),
        "net_amount": [100.0, 50.0, 900.0, 120.0, 40.0]})
    # the export ends on 12-09, the as-of date is 12-31: December 1–9 (120 + 40) against
    # November 1–9 (100 + 50), not against the whole of November (1,050)
    assert _monthly_revenue(orders, pd.Timestamp("2011-12-31")) == (160.0, 150.0)
    # an export that reaches the as-of date: the whole month before
    assert _monthly_revenue(orders, pd.Timestamp("2011-12-09")) == (160.0, 1050.0)
