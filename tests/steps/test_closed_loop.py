"""The closed loop (analysis/steps/closed_loop.py): last month's filled rows in, KPIs and the
pre-filled review out. The rows are built here as read_previous returns them (reading the
files back is tested in tests/outputs/test_staff_files.py)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.config import PARAMS_DIR
from analysis.outputs.workbooks import build_templates, headers, read_sheet, write_workbooks
from analysis.params import load_yaml
from analysis.steps.closed_loop import PreviousRun, difference_interval, draft_review, loop_kpis, wilson_interval
from analysis.tiers import tier_roles
from analysis.vocab import language, text

BASE = load_yaml(PARAMS_DIR / "base.yml")
ROLES = tier_roles(BASE)
WIN, DEFAULT = ROLES.win_back, ROLES.default            # 流失预警客户, 普通客户 in base.yml
NEW_TIER = [t for t in ROLES.order if t not in (WIN, DEFAULT)][-1]
CONTROL = {"control_share": BASE["automation"]["control_share"],
           "control_salt": BASE["automation"]["control_salt"]}
M = "2026-10"
AS_OF_PREV, AS_OF_NOW = pd.Timestamp("2026-10-31"), pd.Timestamp("2026-11-30")
TARGETS = BASE["closed_loop"]["targets"]                 # reach 0.85, open 0.25, conversion 0.10
REVIEW_BELOW = BASE["closed_loop"]["review_open_below"]  # 0.15


# --- intervals ---------------------------------------------------------------------------------

def test_difference_interval_matches_newcombe():
    # Newcombe (1998), Statistics in Medicine 17:873, table II, method 10: 56/70 vs 48/80.
    d, lo, hi = difference_interval(56, 70, 48, 80)
    assert d == pytest.approx(0.2) and lo == pytest.approx(0.0524, abs=1e-4) and hi == pytest.approx(0.3339, abs=1e-4)
    # Example (h): 10/10 vs 0/10 stays inside [-1, 1].
    d, lo, hi = difference_interval(10, 10, 0, 10)
    assert d == 1 and lo == pytest.approx(0.6075, abs=1e-4) and hi == pytest.approx(1.0)
    assert all(math.isnan(v) for v in difference_interval(1, 5, 0, 0))
    # Wilson (1927) for 0/10: [0, 0.2775] (Newcombe 1998, table I).
    assert wilson_interval(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))


# --- month M and what staff returned -----------------------------------------------------------

# Month M: win-back tier C01-C10 (C09, C10 held out), default tier C11-C15 (no hold-out).
SEGMENTS_PREV = pd.DataFrame({
    "customer_id": [f"C{i:02d}" for i in range(1, 16)],
    "tier": [WIN] * 10 + [DEFAULT] * 5,
})
PLAN_PREV = SEGMENTS_PREV.assign(
    owner=["张三"] * 10 + ["李四"] * 5,
    control=[False] * 8 + [True] * 2 + [False] * 5,
    task_id=lambda f: "T202610-" + f["customer_id"],
)
ORDERS_NOW = pd.DataFrame({
    "customer_id": ["C01", "C02", "C03", "C09", "C11", "C12", "C13", "C03"],
    "order_date": pd.to_datetime(["2026-11-05", "2026-11-10", "2026-11-30", "2026-11-02",
                                  "2026-11-20", "2026-10-31", "2026-11-03", "2026-12-01"]),
    # C12 bought on last month's as-of day (already counted then); C13 only returned goods.
    "amount": [100.0, 50.0, 80.0, 30.0, 20.0, 60.0, -40.0, 10.0],
})
SEGMENTS_NOW = pd.DataFrame({
    "customer_id": [f"C{i:02d}" for i in range(1, 15)] + ["C20"],
    "tier": [DEFAULT] + [WIN] * 9 + [DEFAULT] * 4 + [NEW_TIER],
})


def _frame(columns: dict, index) -> pd.DataFrame:
    """A sheet as read back: headers in the run's language, Excel row numbers as the index."""
    frame = pd.DataFrame({text(f"column.{k}"): v for k, v in columns.items()})
    frame.index = pd.Index(index, name=text("workbooks.row_number"), dtype="int64")
    return frame


def _previous() -> PreviousRun:
    """What read_previous gives for month M once staff filled it: 13 tasks (rows 2-14), of
    which C12 (row 11, result not a choice) and C13 (row 12, date not a date) were left out."""
    success, follow_up, failed = (text(f"choice.result.{k}") for k in ("success", "follow_up", "failed"))
    customers = [f"C{i:02d}" for i in range(1, 9)] + ["C11", "C14", "C15"]
    results = [success, follow_up, failed, success, None, None, None, None, success, None, None]
    execution = _frame({
        "executed_on": pd.to_datetime(["2026-11-03", "2026-11-04", "2026-11-05"] + [None] * 5
                                      + ["2026-11-06", None, None]),
        "customer_id": customers, "executor": ["张三"] * 8 + ["李四"] * 3, "action": "电话回访",
        "feedback": None, "result": results, "task_id": ["T202610-" + c for c in customers],
    }, [2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14])
    # Three campaigns: calls and 企微 (both kinds of column), messages only, calls only (a list).
    campaign = _frame({
        "campaign_name": [f"{M} {WIN}维护", f"{M} {DEFAULT}维护", f"{M} 高价值跟进"],
        "target_label": [WIN, DEFAULT, "高价值跟进"],
        "content": ["回归首单8折", "月度优惠券", "一对一跟进"], "channel": ["电话/企微", "短信/邮件", "电话"],
        "send_time": pd.NaT,
        "target_count": pd.array([8, 5, 3], dtype="Int64"), "sent": pd.array([8, 4, 3], dtype="Int64"),
        "delivered": pd.array([None, 4, None], dtype="Int64"), "opens": pd.array([1, 2, None], dtype="Int64"),
        "clicks": pd.array([1, 0, None], dtype="Int64"), "connected": pd.array([6, None, 2], dtype="Int64"),
        "conversions": pd.array([2, 0, 1], dtype="Int64"),
        "conversion_rate": None, "owner": ["客户关系专员", "运营专员", "各客户的客户经理"],
    }, [2, 3, 4])
    execution = execution.reindex(columns=headers("execution_log", "execution"))
    campaign = campaign.reindex(columns=headers("campaign", "campaign"))
    return PreviousRun(M, None, execution, campaign, warnings=["(a warning)"], notes=[])


def _kpis(previous=None, **kwargs):
    return loop_kpis(previous if previous is not None else _previous(), PLAN_PREV, SEGMENTS_PREV, ORDERS_NOW,
                     AS_OF_PREV, AS_OF_NOW, TARGETS, REVIEW_BELOW, roles=ROLES, **CONTROL,
                     **{"segments_now": SEGMENTS_NOW, **kwargs})


# --- KPIs --------------------------------------------------------------------------------------

def test_kpis_have_the_hand_computed_values():
    k = _kpis()
    assert k.warnings == ["(a warning)"]
    # Completion: 张三 4 of 8 tasks have a result; 李四 1 of 3 readable ones (C12, C13 left out).
    c = k.completion.set_index("负责人")
    assert c.columns.tolist() == ["任务数", "已填结果", "完成率", "成功", "待跟进", "失败"]
    assert c.index.tolist() == ["李四", "张三", "合计"]                     # lowest completion first
    assert c.loc["张三", ["任务数", "已填结果", "成功", "待跟进", "失败"]].tolist() == [8, 4, 2, 1, 1]
    assert c.loc["李四", "完成率"] == pytest.approx(1 / 3)
    assert c.loc["合计", ["任务数", "已填结果"]].tolist() == [11, 5]
    r = k.results.set_index("客户层级")
    assert r.columns.tolist() == ["成功", "待跟进", "失败", "未填", "合计"]
    assert r.loc[WIN].tolist() == [2, 1, 1, 4, 8] and r.loc[DEFAULT].tolist() == [1, 0, 0, 2, 3]
    assert r.index.tolist() == [WIN, DEFAULT, "合计"]

    # Win-back: treated C01-C08 bought C01, C02, C03 = 3/8; control C09, C10 bought C09 = 1/2.
    assert k.win_back_tier == WIN and len(k.win_back) == 1
    w = k.win_back.iloc[0]
    assert (w["干预组人数"], w["干预组购买人数"], w["对照组人数"], w["对照组购买人数"]) == (8, 3, 2, 1)
    assert w["指标"] == "挽回率" and w["差值"] == pytest.approx(3 / 8 - 1 / 2)
    d, lo, hi = difference_interval(3, 8, 1, 2)
    assert (w["差值95%下限"], w["差值95%上限"]) == (pytest.approx(lo), pytest.approx(hi)) and lo < 0 < hi
    assert w["结论"] == "差异不显著（对照组不足 30 人，仅供参考）"
    # Repurchase of the default tier: only C11 (C12 bought on the old as-of day, C13 returned goods).
    p = k.repurchase.set_index("层级")
    assert p.loc[DEFAULT, "指标"] == "复购率"
    assert p.loc[DEFAULT, "干预组比率"] == pytest.approx(1 / 5) and p.loc[DEFAULT, "结论"] == "对照组为空，无法比较"
    assert p.loc["全部", ["干预组人数", "干预组购买人数", "对照组人数", "对照组购买人数"]].tolist() == [13, 4, 2, 1]

    # Campaign: conversion = conversions ÷ sent (not clicks ÷ opens).
    # 8/8 sent, 1/8 opened (< 15%: review), 2/8 converted; 4/5 sent, 2/4 opened, 0/4 converted;
    # calls only: 3/3 called, nothing to open (不适用), 1/3 converted.
    cam = k.campaign
    assert cam.loc[0, ["触达率", "打开率", "转化率"]].tolist() == pytest.approx([1.0, 0.125, 0.25])
    assert cam.loc[0, ["触达达标", "打开达标", "转化达标"]].tolist() == ["是", "否", "是"]
    assert cam.loc[0, "需复盘"] == "是（打开率低于15%）"
    assert cam.loc[1, ["触达率", "打开率", "转化率"]].tolist() == pytest.approx([0.8, 0.5, 0.0])
    assert cam.loc[1, ["触达达标", "打开达标", "转化达标"]].tolist() == ["否", "是", "否"] and cam.loc[1, "需复盘"] == ""
    assert cam.loc[2, "触达率"] == 1.0 and math.isnan(cam.loc[2, "打开率"]) and cam.loc[2, "转化率"] == pytest.approx(1 / 3)
    assert cam.loc[2, ["触达达标", "打开达标", "转化达标"]].tolist() == ["是", "不适用", "是"]
    assert cam.loc[3, "活动名称"] == "合计（已回填的活动）"
    assert cam.loc[3, ["目标客户数", "实际发送数", "送达数", "打开数", "点击数", "接通数", "成交/转化数"]].tolist() == [
        16, 15, 4, 3, 1, 8, 3]
    # the total's open rate is over what the message campaigns sent: 3 / (8 + 4)
    assert cam.loc[3, "打开率"] == pytest.approx(0.25) and cam.loc[3, "打开达标"] == "是"
    assert cam.loc[3, "转化率"] == pytest.approx(3 / 15)

    # Migration: C01 fell to the default tier, C15 left the file, C20 is new.
    m = k.migration
    assert (m.index.name, m.columns.name) == ("上月层级", "本月层级")
    assert m.loc[WIN, WIN] == 9 and m.loc[WIN, DEFAULT] == 1
    assert m.loc[DEFAULT, DEFAULT] == 4 and m.loc[DEFAULT, "已不在档"] == 1
    assert m.loc["新客户", NEW_TIER] == 1 and int(m.to_numpy().sum()) == 16
    assert m.index.tolist()[-1] == "新客户" and m.columns.tolist()[-1] == "已不在档"

    assert list(k.tables()) == ["各负责人任务完成情况", "执行结果分布", f"{WIN}挽回率（干预组 vs 对照组）",
                                "各层级复购率（干预组 vs 对照组）", "营销活动触达与转化", "层级迁移（上月 → 本月）"]


def test_tiers_follow_the_roles_of_params():
    # A company without a win-back tier: no 挽回率 row, no win-back table; the order is the rules'.
    roles = ROLES.__class__(order=(DEFAULT, WIN), default=WIN, high_value=(), win_back=None, sleeping=())
    k = loop_kpis(_previous(), PLAN_PREV, SEGMENTS_PREV, ORDERS_NOW, AS_OF_PREV, AS_OF_NOW, TARGETS,
                  REVIEW_BELOW, roles=roles, **CONTROL, segments_now=SEGMENTS_NOW)
    assert k.win_back.empty and k.win_back_tier is None
    assert set(k.repurchase["指标"]) == {"复购率"}
    assert k.repurchase["层级"].tolist() == [DEFAULT, WIN, "全部"]
    assert k.results["客户层级"].tolist() == [DEFAULT, WIN, "合计"]
    assert len(k.tables()) == 5


def test_a_plan_without_the_control_column_redraws_it():
    k = loop_kpis(_previous(), PLAN_PREV.drop(columns="control"), SEGMENTS_PREV, ORDERS_NOW, AS_OF_PREV,
                  AS_OF_NOW, TARGETS, REVIEW_BELOW, roles=ROLES, **CONTROL)
    assert any(n.startswith("上月计划未记录对照组") for n in k.notes)
    assert "未提供本月分层结果，层级迁移矩阵从略。" in k.notes and k.migration.empty


# --- the review --------------------------------------------------------------------------------

def test_draft_review_is_prefilled_with_the_numbers(tmp_path):
    k = _kpis()
    review = draft_review(k, M, tier_owners={WIN: "客户关系专员", DEFAULT: "运营专员"},
                          tier_kpis={WIN: "挽回率（30天内回购）≥ 20%"})
    assert review.columns.tolist() == headers("review", "review")
    assert (review["分析周期"] == M).all() and review["优化措施"].isna().all()
    first = review.iloc[0]
    assert first["活动流程"] == "维护任务执行" and first["负责人"] == "各负责人"
    assert (first["核心指标"], first["目标"]) == ("完成率", "≥100.0%")
    assert first["实际"] == "45.5%（5/11 项已填结果；成功 3、待跟进 1、失败 1）"
    assert first["问题分析"] == ("【自动提示】完成率 45.5% 未达目标 100.0%；完成率偏低: 李四 33.3%（1/3）、"
                             "张三 50.0%（4/8）。请补充原因。")
    # one row per metric, target and actual apart; a call-only campaign has no open rate
    churn = review[review["活动流程"] == f"{M} {WIN}维护"]
    assert churn[["核心指标", "目标", "实际"]].values.tolist() == [
        ["触达率", "≥85.0%", "100.0%"], ["打开率", "≥25.0%", "12.5%"], ["转化率", "≥10.0%", "25.0%"]]
    assert churn["问题分析"].tolist()[1] == ("【自动提示】打开率 12.5% 低于目标 25.0%；打开率低于 15.0%，"
                                         "建议复盘该规则（人群、时段、标题）。请补充原因。")
    assert churn["问题分析"].isna().tolist() == [True, False, True]
    assert (churn["负责人"] == "客户关系专员").all()
    calls = review[review["活动流程"] == f"{M} 高价值跟进"]
    assert calls["核心指标"].tolist() == ["触达率", "转化率"]
    assert "合计（已回填的活动）" not in set(review["活动流程"])
    # every automated list has a row; those with no campaign last month say so
    for name in ["沉睡唤醒", "新客欢迎", "生日关怀", "差评工单", "购后调研"]:
        row = review[review["活动流程"] == name].iloc[0]
        assert (row["核心指标"], row["目标"], row["实际"]) == ("转化率", "≥10.0%", "上月无此名单（无人符合条件）")
    assert review[review["活动流程"] == "新客欢迎"].iloc[0]["负责人"] == "运营专员"
    win = review[review["活动流程"] == f"{WIN}维护（挽回率）"].iloc[0]
    assert (win["核心指标"], win["目标"]) == ("挽回率", "挽回率（30天内回购）≥ 20%")
    assert win["实际"].startswith("干预组 37.5%（n=8）/ 对照组 50.0%（n=2），差 -12.5 个百分点（95%区间 ")
    assert win["问题分析"] == f"【自动提示】{WIN}挽回率与对照组相比差异不显著（对照组不足 30 人，仅供参考）。请补充原因。"
    assert win["负责人"] == "客户关系专员"
    assert review["活动流程"].tolist()[-1] == f"{DEFAULT}维护（复购率）"
    assert review[review["活动流程"] == f"{DEFAULT}维护（复购率）"].iloc[0]["目标"] == "高于对照组"
    assert len(review) == 1 + 3 + 3 + 2 + 5 + 2
    # The pre-filled review can be written as it is.
    templates = tmp_path / "templates"
    build_templates(templates)
    path = write_workbooks({"review": {"review": review}}, tmp_path / "next", "2026-11",
                           template_dir=templates, only=["review"])[0]
    assert read_sheet(path, "review")["问题分析"].tolist()[0] == first["问题分析"]


def test_campaign_counts_not_filled_ask_for_them():
    previous = _previous()
    for col in ("实际发送数", "打开数", "点击数", "成交/转化数"):
        previous.campaign[col] = pd.array([None, None, None], dtype="Int64")
    k = _kpis(previous)
    assert k.campaign.loc[0, ["触达达标", "打开达标", "转化达标"]].tolist() == ["未填"] * 3
    review = draft_review(k, M)
    row = review[review["活动流程"] == f"{M} {DEFAULT}维护"].iloc[0]
    assert row["问题分析"] == "【自动提示】上月未回填实际发送数/成交/转化数，无法评估。请补充原因。"


def test_nothing_from_last_month_gives_empty_tables():
    empty = _previous()
    empty.execution, empty.campaign = empty.execution.iloc[:0], empty.campaign.iloc[:0]
    k = loop_kpis(empty, None, None, None, AS_OF_PREV, AS_OF_NOW, TARGETS, REVIEW_BELOW, roles=ROLES, **CONTROL)
    assert k.completion.empty and k.repurchase.empty and k.migration.empty and k.campaign.empty
    assert "未找到上月的分层结果，复购率与挽回率无法计算。" in k.notes
    # nothing to measure: the lists are still named, as not filled in
    assert draft_review(k, "2026-09")["实际"].tolist() == ["未填"] * 6
    k = loop_kpis(empty, PLAN_PREV, SEGMENTS_PREV, None, AS_OF_PREV, AS_OF_NOW, TARGETS, REVIEW_BELOW,
                  roles=ROLES, **CONTROL)
    assert "未提供本月订单，复购率与挽回率无法计算。" in k.notes


def test_an_english_run_speaks_english_throughout():
    with language("en"):
        k = _kpis()
        review = draft_review(k, M, tier_owners={WIN: "CRM", DEFAULT: "Ops"})
        titles = list(k.tables())
    c = k.completion.set_index("Owner")
    assert c.loc["Total", ["Tasks", "With a result", "Success", "Follow up", "Failed"]].tolist() == [11, 5, 3, 1, 1]
    assert k.results.columns.tolist() == ["Tier", "Success", "Follow up", "Failed", "Not filled", "Total"]
    w = k.win_back.iloc[0]
    assert w["Measure"] == "win-back rate"
    assert w["Conclusion"] == "No significant difference (control group under 30: indicative only)"
    assert k.campaign.loc[0, "To review"] == "Yes (open rate below 15%)"
    assert k.campaign.loc[3, "Campaign"] == "Total (campaigns with counts filled in)"
    assert k.migration.loc["New customer", NEW_TIER] == 1
    assert titles[2] == f"{WIN}: win-back rate (treated vs control)"
    assert review.columns.tolist()[:5] == ["Period", "Activity", "Key metric", "Target", "Actual"]
    first = review.iloc[0]
    assert (first["Key metric"], first["Target"]) == ("Completion rate", "≥100.0%")
    assert first["Actual"] == "45.5% (5 of 11 tasks with a result; Success 3, Follow up 1, Failed 1)"
    assert first["Problems found"].startswith("[Auto] completion 45.5% is below the target of 100.0%; lowest: ")
    win = review[review["Activity"] == f"{WIN} maintenance (win-back rate)"].iloc[0]
    assert win["Actual"].startswith("treated 37.5% (n=8) / control 50.0% (n=2)")
    # No Chinese from the kit itself (tier names come from params, owners from the data).
    data = [WIN, DEFAULT, "张三", "李四", "客户关系专员", "运营专员", "各客户的客户经理", f"{M} 高价值跟进", "高价值跟进",
            f"{M} "]   # the fixture's own words
    cjk = []
    for frame in (k.completion, k.results, k.repurchase, k.campaign, review):
        for value in frame.to_numpy().ravel().tolist() + frame.columns.tolist():
            rest = str(value)
            for word in [f"{M} {WIN}维护", f"{M} {DEFAULT}维护"] + data:
                rest = rest.replace(word, "")
            if any("\u4e00" <= ch <= "\u9fff" for ch in rest):
                cjk.append(value)
    assert cjk == [], cjk[:5]
