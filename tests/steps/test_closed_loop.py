"""The closed loop (analysis/steps/closed_loop.py): write month M, fill it as staff would, read it back."""

from __future__ import annotations

import math
from datetime import datetime

import openpyxl
import pandas as pd
import pytest

from analysis.steps.closed_loop import (
    control_group, difference_interval, draft_review, loop_kpis, merge_staff_rows, read_previous,
)
from analysis.outputs.workbooks import build_templates, headers, read_sheet, workbook_path, write_workbooks

M = "2026-10"
AS_OF_PREV, AS_OF_NOW = pd.Timestamp("2026-10-31"), pd.Timestamp("2026-11-30")
TARGETS = {"reach": 0.85, "open": 0.25, "conversion": 0.10}
TIERS = ["战略客户", "核心客户", "潜力客户", "流失预警客户", "普通客户"]


# --- control group -----------------------------------------------------------------------------

def _ids(n):
    return pd.Series([f"C{i:05d}" for i in range(n)])


def test_control_group_is_stable_across_calls_months_and_tier_changes():
    ids = _ids(5000)
    tiers = pd.Series(TIERS * 1000)
    first = control_group(ids, tiers)
    assert first.dtype == bool and first.index.equals(ids.index)
    assert first.equals(control_group(ids, tiers))
    # Next month: other customers around them, some tiers changed, another order.
    later = pd.concat([pd.Series(["N1", "N2"]), ids.iloc[::-1]], ignore_index=True)
    again = control_group(later, pd.Series(["普通客户"] * len(later)))
    assert again.iloc[2:].tolist() == first.iloc[::-1].tolist()
    # The salt draws a different group; an ID read back as a float is the same customer.
    assert not first.equals(control_group(ids, tiers, salt="2027"))
    assert control_group(pd.Series([1001.0]), pd.Series(["x"])).iloc[0] == \
        control_group(pd.Series(["1001"]), pd.Series(["x"])).iloc[0]


def test_control_group_share_per_tier():
    # 1,000 customers per tier: the share is binomial, sd = sqrt(0.1 * 0.9 / 1000) = 0.0095, so
    # ±0.04 is over 4 sd per tier (and the hash is deterministic: no flaky reruns); overall,
    # 5,000 ids, sd 0.0042, ±0.015 is 3.5 sd.
    ids, tiers = _ids(5000), pd.Series(TIERS * 1000)
    held = control_group(ids, tiers, share=0.10)
    assert abs(held.mean() - 0.10) < 0.015
    per_tier = held.groupby(tiers).mean()
    assert ((per_tier - 0.10).abs() < 0.04).all(), per_tier
    assert abs(control_group(ids, tiers, share=0.3).mean() - 0.3) < 0.03
    assert not control_group(ids, tiers, share=0.0).any()
    exempt = control_group(ids, tiers, exempt_tiers=("战略客户",))
    assert not exempt[tiers == "战略客户"].any() and exempt[tiers != "战略客户"].equals(held[tiers != "战略客户"])


# --- interval ----------------------------------------------------------------------------------

def test_difference_interval_matches_newcombe():
    # Newcombe (1998), Statistics in Medicine 17:873, table II, method 10: 56/70 vs 48/80.
    d, lo, hi = difference_interval(56, 70, 48, 80)
    assert d == pytest.approx(0.2) and lo == pytest.approx(0.0524, abs=1e-4) and hi == pytest.approx(0.3339, abs=1e-4)
    # Example (h): 10/10 vs 0/10 stays inside [-1, 1].
    d, lo, hi = difference_interval(10, 10, 0, 10)
    assert d == 1 and lo == pytest.approx(0.6075, abs=1e-4) and hi == pytest.approx(1.0)
    assert all(math.isnan(v) for v in difference_interval(1, 5, 0, 0))


# --- the round trip ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("templates")
    build_templates(folder)
    return folder


# Month M: 流失预警客户 C01-C10 (C09, C10 held out), 普通客户 C11-C15 (no hold-out).
SEGMENTS_PREV = pd.DataFrame({
    "customer_id": [f"C{i:02d}" for i in range(1, 16)],
    "tier": ["流失预警客户"] * 10 + ["普通客户"] * 5,
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
    "tier": ["普通客户"] + ["流失预警客户"] * 9 + ["普通客户"] * 4 + ["潜力客户"],
})


def _month_m(out, templates):
    """The workbooks of month M as the kit writes them (tasks only for the treated group)."""
    tasks = PLAN_PREV[~PLAN_PREV["control"]]
    execution = pd.DataFrame({
        "执行日期": pd.NaT, "客户ID": tasks["customer_id"], "执行人": tasks["owner"],
        "动作描述": "电话回访", "客户反馈": None, "结果标记": None, "任务编号": tasks["task_id"],
    })
    campaign = pd.DataFrame({
        "活动名称": [f"{M} 流失预警客户维护", f"{M} 普通客户维护"], "目标客户标签": ["流失预警客户", "普通客户"],
        "触达内容": ["回归首单8折", "月度优惠券"], "触达渠道": ["电话/企微", "短信/邮件"],
        "发送时间": pd.NaT, "目标客户数": [8, 5], "负责人": ["客户关系专员", "运营专员"],
    })
    return write_workbooks({"维护执行记录表": {"执行记录": execution}, "营销活动执行表": {"活动执行": campaign}},
                           out, M, template_dir=templates)


def _fill(out):
    """What staff type in during the month, including two mistakes."""
    path = workbook_path(out, "维护执行记录表", M)
    wb = openpyxl.load_workbook(path)
    ws = wb["执行记录"]
    col = {c.value: c.column_letter for c in ws[1]}
    rows = {ws[f"{col['客户ID']}{r}"].value: r for r in range(2, ws.max_row + 1) if ws[f"{col['客户ID']}{r}"].value}
    for cid, mark, when in [("C01", "成功", datetime(2026, 11, 3)), ("C02", "待跟进", datetime(2026, 11, 4)),
                            ("C03", "失败", "2026/11/5"), ("C04", "成功", None), ("C11", "成功", datetime(2026, 11, 6)),
                            ("C12", "完成", datetime(2026, 11, 6)),       # not one of the choices
                            ("C13", "成功", "下周")]:                      # not a date
        ws[f"{col['结果标记']}{rows[cid]}"] = mark
        if when is not None:
            ws[f"{col['执行日期']}{rows[cid]}"] = when
    wb.save(path)

    path = workbook_path(out, "营销活动执行表", M)
    wb = openpyxl.load_workbook(path)
    ws = wb["活动执行"]
    col = {c.value: c.column_letter for c in ws[1]}
    for r, (sent, opened, clicked) in [(2, (8, 1, 1)), (3, (4, 2, "0"))]:   # "0" typed as text is fine
        ws[f"{col['实际发送数']}{r}"], ws[f"{col['打开数']}{r}"], ws[f"{col['点击数']}{r}"] = sent, opened, clicked
    wb.save(path)
    return rows


@pytest.fixture
def filled(tmp_path, templates):
    out = tmp_path / M
    _month_m(out, templates)
    rows = _fill(out)
    return out, rows


def test_round_trip_reads_back_what_staff_filled(filled):
    out, rows = filled
    prev = read_previous(out, M)
    assert prev.found
    ex = prev.execution
    # C12 and C13 were filled wrongly: left out, each named by file, sheet, row and column.
    assert set(ex["客户ID"]) == {f"C{i:02d}" for i in range(1, 9)} | {"C11", "C14", "C15"}
    assert ex.loc[rows["C03"], "执行日期"] == pd.Timestamp("2026-11-05")     # typed as text
    assert ex.loc[rows["C01"], "任务编号"] == "T202610-C01"
    assert f"维护执行记录表_{M}.xlsx 工作表「执行记录」第{rows['C12']}行 列「结果标记」: 值「完成」无效" in prev.warnings[0]
    assert f"第{rows['C13']}行 列「执行日期」: 值「下周」不是日期" in prev.warnings[1]
    assert len(prev.warnings) == 2
    assert prev.campaign["点击数"].tolist() == [1, 0]


def test_kpis_have_the_hand_computed_values(filled, templates):
    out, _ = filled
    prev = read_previous(out, M)
    k = loop_kpis(prev, PLAN_PREV, SEGMENTS_PREV, ORDERS_NOW, AS_OF_PREV, AS_OF_NOW, TARGETS, 0.15,
                  segments_now=SEGMENTS_NOW)
    # Completion: 张三 4 of 8 tasks have a result; 李四 1 of 3 readable ones (C12, C13 left out).
    c = k.completion.set_index("负责人")
    assert c.index.tolist() == ["李四", "张三", "合计"]                     # lowest completion first
    assert c.loc["张三", ["任务数", "已填结果", "成功", "待跟进", "失败"]].tolist() == [8, 4, 2, 1, 1]
    assert c.loc["李四", "完成率"] == pytest.approx(1 / 3)
    assert c.loc["合计", ["任务数", "已填结果"]].tolist() == [11, 5]
    r = k.results.set_index("客户层级")
    assert r.loc["流失预警客户"].tolist() == [2, 1, 1, 4, 8] and r.loc["普通客户"].tolist() == [1, 0, 0, 2, 3]

    # Win-back: treated C01-C08 bought C01, C02, C03 = 3/8; control C09, C10 bought C09 = 1/2.
    w = k.win_back.iloc[0]
    assert (w["干预组人数"], w["干预组购买人数"], w["对照组人数"], w["对照组购买人数"]) == (8, 3, 2, 1)
    assert w["指标"] == "挽回率" and w["差值"] == pytest.approx(3 / 8 - 1 / 2)
    d, lo, hi = difference_interval(3, 8, 1, 2)
    assert (w["差值95%下限"], w["差值95%上限"]) == (pytest.approx(lo), pytest.approx(hi)) and lo < 0 < hi
    assert w["结论"] == "差异不显著（对照组不足 30 人，仅供参考）"
    # Repurchase of 普通客户: only C11 (C12 bought on the old as-of day, C13 returned goods).
    p = k.repurchase.set_index("层级")
    assert p.loc["普通客户", "干预组比率"] == pytest.approx(1 / 5) and p.loc["普通客户", "结论"] == "对照组为空，无法比较"
    assert p.loc["全部", ["干预组人数", "干预组购买人数", "对照组人数", "对照组购买人数"]].tolist() == [13, 4, 2, 1]

    # Campaign: 8/8 sent, 1/8 opened (< 15%: review), 1/1 clicked; 4/5 sent, 2/4 opened, 0/2 clicked.
    cam = k.campaign
    assert cam.loc[0, ["触达率", "打开率", "转化率"]].tolist() == pytest.approx([1.0, 0.125, 1.0])
    assert cam.loc[0, ["触达达标", "打开达标", "转化达标"]].tolist() == ["是", "否", "是"]
    assert cam.loc[0, "需复盘"] == "是（打开率低于15%）"
    assert cam.loc[1, ["触达率", "打开率", "转化率"]].tolist() == pytest.approx([0.8, 0.5, 0.0])
    assert cam.loc[1, ["触达达标", "打开达标", "转化达标"]].tolist() == ["否", "是", "否"] and cam.loc[1, "需复盘"] == ""
    assert cam.loc[2, ["目标客户数", "实际发送数", "打开数", "点击数"]].tolist() == [13, 12, 3, 1]
    assert cam.loc[2, "打开率"] == pytest.approx(0.25) and cam.loc[2, "打开达标"] == "是"

    # Migration: C01 fell to 普通客户, C15 left the file, C20 is new.
    m = k.migration
    assert m.loc["流失预警客户", "流失预警客户"] == 9 and m.loc["流失预警客户", "普通客户"] == 1
    assert m.loc["普通客户", "普通客户"] == 4 and m.loc["普通客户", "已不在档"] == 1
    assert m.loc["新客户", "潜力客户"] == 1 and int(m.to_numpy().sum()) == 16

    review = draft_review(k, M, tier_owners={"流失预警客户": "客户关系专员", "普通客户": "运营专员"})
    assert review.columns.tolist() == headers("效果复盘表", "效果复盘")
    assert (review["分析周期"] == M).all() and review["优化措施"].isna().all()
    first = review.iloc[0]
    assert first["活动流程"] == "维护任务执行" and "100.0% / 45.5%（5/11" in first["核心指标(目标/实际)"]
    assert first["问题分析"].startswith("【自动提示】") and "李四 33.3%（1/3）" in first["问题分析"]
    churn = review[review["活动流程"] == f"{M} 流失预警客户维护"].iloc[0]
    assert "打开率 ≥25.0% / 12.5%" in churn["核心指标(目标/实际)"]
    assert "打开率 12.5% 低于目标 25.0%" in churn["问题分析"] and "建议复盘" in churn["问题分析"]
    assert churn["负责人"] == "客户关系专员"
    win = review[review["活动流程"] == "流失预警客户维护（挽回率）"].iloc[0]
    assert "干预组 37.5%（n=8）/ 对照组 50.0%（n=2）" in win["核心指标(目标/实际)"]
    assert "差 -12.5 个百分点" in win["核心指标(目标/实际)"] and win["负责人"] == "客户关系专员"
    # The pre-filled review can be written as it is.
    path = write_workbooks({"效果复盘表": {"效果复盘": review}}, out.parent / "next", "2026-11",
                           template_dir=templates, only=["效果复盘表"])[0]
    assert read_sheet(path, "效果复盘")["问题分析"].tolist()[0] == first["问题分析"]


def test_a_malformed_workbook_is_named_and_the_run_continues(filled):
    out, _ = filled
    path = workbook_path(out, "维护执行记录表", M)
    wb = openpyxl.load_workbook(path)
    wb["执行记录"]["F1"] = "结果"                                           # header renamed
    wb.save(path)
    path = workbook_path(out, "营销活动执行表", M)
    wb = openpyxl.load_workbook(path)
    del wb["活动执行"]                                                      # sheet deleted
    wb.save(path)

    prev = read_previous(out, M)
    assert prev.execution.empty and prev.campaign.empty and not prev.found
    assert prev.warnings[0].startswith(f"维护执行记录表_{M}.xlsx 工作表「执行记录」缺少列「结果标记」")
    assert "未知列「结果」" in prev.warnings[0] and "未计入统计" in prev.warnings[0]
    assert f"营销活动执行表_{M}.xlsx 中没有工作表「活动执行」" in prev.warnings[1]
    k = loop_kpis(prev, PLAN_PREV, SEGMENTS_PREV, ORDERS_NOW, AS_OF_PREV, AS_OF_NOW, TARGETS, 0.15)
    assert k.completion.empty and k.campaign.empty and len(k.repurchase) == 3   # orders still count
    assert k.warnings == prev.warnings
    assert draft_review(k, M)["活动流程"].tolist() == ["流失预警客户维护（挽回率）", "普通客户维护（复购率）"]


def test_bad_counts_and_a_missing_optional_column(filled):
    out, _ = filled
    path = workbook_path(out, "营销活动执行表", M)
    wb = openpyxl.load_workbook(path)
    ws = wb["活动执行"]
    ws["H2"] = "约一半"                                                     # 打开数 not a number
    ws["I3"] = -1                                                          # 点击数 negative
    wb.save(path)
    path = workbook_path(out, "维护执行记录表", M)
    wb = openpyxl.load_workbook(path)
    wb["执行记录"].delete_cols(5)                                           # 客户反馈 deleted
    wb.save(path)
    prev = read_previous(out, M)
    assert prev.campaign.empty
    assert any("第2行 列「打开数」: 值「约一半」不是不小于 0 的整数" in w for w in prev.warnings)
    assert any("第3行 列「点击数」: 值「-1」" in w for w in prev.warnings)
    assert any("缺少列「客户反馈」" in w and "按空白处理" in w for w in prev.warnings)
    assert len(prev.execution) == 11                                        # still read


def test_missing_previous_folder_is_a_note(tmp_path):
    prev = read_previous(tmp_path / "2026-09", "2026-09")
    assert not prev.found and prev.warnings == []
    assert prev.notes[0].startswith("未找到上月（2026-09）的输出目录")
    assert read_previous(None, "2026-09").notes
    k = loop_kpis(prev, None, None, None, AS_OF_PREV, AS_OF_NOW, TARGETS, 0.15)
    assert k.completion.empty and k.repurchase.empty and k.migration.empty
    assert draft_review(k, "2026-09").empty


# --- reruns ------------------------------------------------------------------------------------

def test_merge_keeps_what_staff_filled(tmp_path, templates):
    out = tmp_path / M
    _month_m(out, templates)
    path = workbook_path(out, "维护执行记录表", M)
    wb = openpyxl.load_workbook(path)
    ws = wb["执行记录"]
    assert ws["G2"].value == "T202610-C01" and ws["B3"].value == "C02"
    ws["A2"], ws["E2"], ws["F2"] = datetime(2026, 11, 3), "满意，下月续单", "成功"     # C01 done
    ws["F4"] = "待跟进"                                                     # C03: tier changed on rerun
    ws["B20"], ws["C20"], ws["F20"] = "C99", "王五", "失败"                    # a row staff added
    wb.save(path)

    # The rerun: C03 and C04 no longer planned, C16 new; the kit's own text changed.
    tasks = PLAN_PREV[~PLAN_PREV["control"] & ~PLAN_PREV["customer_id"].isin(["C03", "C04"])]
    tasks = pd.concat([tasks, pd.DataFrame({"customer_id": ["C16"], "owner": ["李四"], "task_id": ["T202610-C16"]})])
    new = pd.DataFrame({
        "执行日期": pd.NaT, "客户ID": tasks["customer_id"].to_numpy(), "执行人": tasks["owner"].to_numpy(),
        "动作描述": "电话回访（新话术）", "客户反馈": None, "结果标记": None, "任务编号": tasks["task_id"].to_numpy(),
    })
    merged = merge_staff_rows(new, path, "执行记录")
    assert merged.columns.tolist() == headers("维护执行记录表", "执行记录")
    assert merged["客户ID"].tolist() == [t for t in tasks["customer_id"]] + ["C03", "C99"]
    c01 = merged.iloc[0]
    assert (c01["结果标记"], c01["客户反馈"], c01["执行日期"]) == ("成功", "满意，下月续单", pd.Timestamp("2026-11-03"))
    assert c01["动作描述"] == "电话回访（新话术）"                              # the kit's columns are the rerun's
    assert merged.iloc[-2]["结果标记"] == "待跟进" and merged.iloc[-1]["执行人"] == "王五"
    assert "C04" not in set(merged["客户ID"])                               # unfilled and no longer planned
    assert merged.loc[merged["客户ID"] == "C16", "结果标记"].isna().all()

    # Written over the same file and read back: nothing staff filled is lost.
    write_workbooks({"维护执行记录表": {"执行记录": merged}}, out, M, template_dir=templates, only=["维护执行记录表"])
    back = read_sheet(path, "执行记录").set_index("客户ID")
    assert back.loc["C01", "结果标记"] == "成功" and back.loc["C01", "执行日期"] == pd.Timestamp("2026-11-03")
    assert back.loc["C03", "结果标记"] == "待跟进" and back.loc["C99", "结果标记"] == "失败"
    # A second rerun changes nothing more.
    assert merge_staff_rows(new, path, "执行记录")["结果标记"].tolist() == merged["结果标记"].tolist()


def test_merge_without_an_existing_file_returns_the_new_frame(tmp_path):
    new = pd.DataFrame({"客户ID": ["C01"], "任务编号": ["T202610-C01"], "当前状态": ["待执行"]})
    assert merge_staff_rows(new, tmp_path / "none.xlsx", "客户策略").equals(new)


def test_merge_status_column_of_the_plan(tmp_path, templates):
    out = tmp_path / M
    plan = pd.DataFrame({"客户层级": "普通客户", "客户ID": ["C01", "C02", "C03"], "当前状态": "待执行",
                         "下一步动作": "发送优惠券", "任务编号": ["T202610-C01", "T202610-C02", "T202610-C03"]})
    path = write_workbooks({"客户分层维护策略表": {"客户策略": plan}}, out, M, template_dir=templates,
                           only=["客户分层维护策略表"])[0]
    wb = openpyxl.load_workbook(path)
    wb["客户策略"]["E3"] = "已完成"                                           # C02
    wb.save(path)
    rerun = plan[plan["客户ID"] != "C03"].assign(下一步动作="电话回访")           # C03 no longer planned
    merged = merge_staff_rows(rerun, path, "客户策略")
    # C03's 当前状态 was still the kit's 待执行: not staff's work, so the stale row goes.
    assert merged["客户ID"].tolist() == ["C01", "C02"]
    assert merged["当前状态"].tolist() == ["待执行", "已完成"] and set(merged["下一步动作"]) == {"电话回访"}


def test_previous_folder_and_as_of(tmp_path):
    from analysis.steps.closed_loop import previous_as_of, previous_folder

    assert previous_folder(tmp_path / "2026-01", "2026-01") == (tmp_path / "2025-12", "2025-12")
    assert previous_folder(tmp_path / "2026-01", "2026-01", "archive/dec") == (tmp_path / "archive/dec", "2025-12")
    assert previous_as_of(tmp_path, "2025-12") == pd.Timestamp("2025-12-31")
    (tmp_path / "params_resolved.yml").write_text("month: 2025-12\nas_of: '2025-12-28'\n", encoding="utf-8")
    assert previous_as_of(tmp_path, "2025-12") == pd.Timestamp("2025-12-28")


def test_many_bad_rows_are_counted_not_listed(filled, monkeypatch):
    import analysis.steps.closed_loop as loop

    out, rows = filled
    monkeypatch.setattr(loop, "MAX_WARNINGS_PER_SHEET", 1)
    prev = read_previous(out, M)
    assert len(prev.warnings) == 2 and "另有 1 处同类问题" in prev.warnings[1]
    assert prev.problems[["行号", "列"]].values.tolist() == [[rows["C12"], "结果标记"], [rows["C13"], "执行日期"]]
    assert prev.problems["文件"].unique().tolist() == [f"维护执行记录表_{M}.xlsx"]
