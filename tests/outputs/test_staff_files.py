"""Staff-filled workbooks read back (analysis/outputs/staff_files.py): write month M, fill it as
staff would, read it back; rerun a month without losing what staff filled; find last month."""

from __future__ import annotations

from datetime import datetime

import openpyxl
import pandas as pd
import pytest

from analysis.config import PARAMS_DIR
from analysis.errors import KitError
from analysis.outputs import staff_files
from analysis.context import previous_run
from analysis.outputs.staff_files import (
    merge_staff_rows, preserve_staff_rows, previous_as_of, read_previous,
)
from analysis.outputs.workbooks import (
    build_templates, headers, per_owner_sheets, read_sheet, workbook_path, write_workbooks,
)
from analysis.params import load_yaml
from analysis.steps.closed_loop import loop_kpis
from analysis.tiers import tier_roles
from analysis.vocab import language, text

BASE = load_yaml(PARAMS_DIR / "base.yml")
ROLES = tier_roles(BASE)
WIN, DEFAULT = ROLES.win_back, ROLES.default
M = "2026-10"


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("templates")
    build_templates(folder)
    return folder


# Month M: win-back tier C01-C10 (C09, C10 held out: no task), default tier C11-C15.
PLAN_PREV = pd.DataFrame({
    "customer_id": [f"C{i:02d}" for i in range(1, 16)],
    "tier": [WIN] * 10 + [DEFAULT] * 5,
    "owner": ["张三"] * 10 + ["李四"] * 5,
    "control": [False] * 8 + [True] * 2 + [False] * 5,
}).assign(task_id=lambda f: "T202610-" + f["customer_id"])


def _h(key):
    return text(f"column.{key}")


def _execution(tasks, action="电话回访"):
    return pd.DataFrame({
        _h("executed_on"): pd.NaT, _h("customer_id"): tasks["customer_id"].to_numpy(),
        _h("executor"): tasks["owner"].to_numpy(), _h("action"): action, _h("feedback"): None,
        _h("result"): None, _h("task_id"): tasks["task_id"].to_numpy(),
    })


def _month_m(out, templates):
    """The workbooks of month M as the kit writes them (tasks only for the treated group)."""
    campaign = pd.DataFrame({
        _h("campaign_name"): [f"{M} {WIN}维护", f"{M} {DEFAULT}维护"], _h("target_label"): [WIN, DEFAULT],
        _h("content"): ["回归首单8折", "月度优惠券"], _h("channel"): ["电话/企微", "短信/邮件"],
        _h("send_time"): pd.NaT, _h("target_count"): [8, 5], _h("owner"): ["客户关系专员", "运营专员"],
    })
    execution = _execution(PLAN_PREV[~PLAN_PREV["control"]])
    return write_workbooks({"execution_log": {"execution": execution, **per_owner_sheets(execution)},
                            "campaign": {"campaign": campaign}}, out, M, template_dir=templates)


def _fill(out):
    """What staff type in during the month, including two mistakes."""
    success, follow_up, failed = (text(f"choice.result.{k}") for k in ("success", "follow_up", "failed"))
    path = workbook_path(out, "execution_log", M)
    wb = openpyxl.load_workbook(path)
    ws = wb[text("sheet.execution")]
    col = {c.value: c.column_letter for c in ws[1]}
    cid, mark, day = col[_h("customer_id")], col[_h("result")], col[_h("executed_on")]
    rows = {ws[f"{cid}{r}"].value: r for r in range(2, ws.max_row + 1) if ws[f"{cid}{r}"].value}
    for customer, result, when in [
            ("C01", success, datetime(2026, 11, 3)), ("C02", follow_up, datetime(2026, 11, 4)),
            ("C03", failed, "2026/11/5"), ("C04", success, None), ("C11", success, datetime(2026, 11, 6)),
            ("C12", "完成", datetime(2026, 11, 6)),       # not one of the choices
            ("C13", success, "下周")]:                     # not a date
        ws[f"{mark}{rows[customer]}"] = result
        if when is not None:
            ws[f"{day}{rows[customer]}"] = when
    wb.save(path)

    path = workbook_path(out, "campaign", M)
    wb = openpyxl.load_workbook(path)
    ws = wb[text("sheet.campaign")]
    col = {c.value: c.column_letter for c in ws[1]}
    for r, (sent, opened, clicked) in [(2, (8, 1, 1)), (3, (4, 2, "0"))]:   # "0" typed as text is fine
        ws[f"{col[_h('sent')]}{r}"], ws[f"{col[_h('opens')]}{r}"], ws[f"{col[_h('clicks')]}{r}"] = sent, opened, clicked
    wb.save(path)
    return rows


@pytest.fixture
def filled(tmp_path, templates):
    out = tmp_path / M
    _month_m(out, templates)
    rows = _fill(out)
    return out, rows


# --- reading last month back -------------------------------------------------------------------

def test_round_trip_reads_back_what_staff_filled(filled):
    out, rows = filled
    prev = read_previous(out, M)
    assert prev.found
    ex = prev.execution
    assert ex.columns.tolist() == headers("execution_log", "execution") and ex.index.name == "行号"
    # C12 and C13 were filled wrongly: left out, each named by file, sheet, row and column.
    assert set(ex["客户ID"]) == {f"C{i:02d}" for i in range(1, 9)} | {"C11", "C14", "C15"}
    assert ex.loc[rows["C03"], "执行日期"] == pd.Timestamp("2026-11-05")     # typed as text
    assert ex.loc[rows["C01"], "任务编号"] == "T202610-C01"
    assert prev.warnings[0] == (f"维护执行记录表_{M}.xlsx 工作表「执行记录」第{rows['C12']}行 列「结果标记」: "
                                "值「完成」无效（应为 成功/待跟进/失败 之一），该行未计入统计。")
    assert prev.warnings[1] == (f"维护执行记录表_{M}.xlsx 工作表「执行记录」第{rows['C13']}行 列「执行日期」: "
                                "值「下周」不是日期（请填写如 2026-11-03 的日期），该行未计入统计。")
    assert len(prev.warnings) == 2
    assert prev.notes == [f"维护执行记录表_{M}.xlsx 工作表「执行记录」有 2 行填写有误未计入（详见警告），其余 11 行已读入。"]
    assert prev.campaign["点击数"].tolist() == [1, 0]
    assert prev.problems.columns.tolist() == ["文件", "工作表", "行号", "列", "问题", "说明"]
    assert prev.problems["问题"].tolist() == ["值「完成」无效（应为 成功/待跟进/失败 之一）",
                                            "值「下周」不是日期（请填写如 2026-11-03 的日期）"]


def test_what_is_read_back_feeds_the_kpis(filled):
    out, _ = filled
    k = loop_kpis(read_previous(out, M), PLAN_PREV, PLAN_PREV[["customer_id", "tier"]], None,
                  pd.Timestamp("2026-10-31"), pd.Timestamp("2026-11-30"), BASE["closed_loop"]["targets"],
                  BASE["closed_loop"]["review_open_below"], roles=ROLES,
                  control_share=BASE["automation"]["control_share"],
                  control_salt=BASE["automation"]["control_salt"])
    assert k.completion.iloc[-1][["任务数", "已填结果", "成功"]].tolist() == [11, 5, 3]
    assert k.campaign["实际发送数"].tolist() == [8, 4, 12]


def test_a_malformed_workbook_is_named_and_the_run_continues(filled):
    out, _ = filled
    path = workbook_path(out, "execution_log", M)
    wb = openpyxl.load_workbook(path)
    wb["执行记录"]["N1"] = "结果"                                           # header renamed
    wb.save(path)
    path = workbook_path(out, "campaign", M)
    wb = openpyxl.load_workbook(path)
    del wb["活动执行"]                                                      # sheet deleted
    wb.save(path)

    prev = read_previous(out, M)
    assert prev.execution.empty and prev.campaign.empty and not prev.found
    assert prev.warnings[0] == (f"维护执行记录表_{M}.xlsx 工作表「执行记录」缺少列「结果标记」（表中出现了未知列「结果」，"
                                "是否把表头改了名？）：请恢复原表头。此工作表未计入统计。")
    assert prev.warnings[1].startswith(f"营销活动执行表_{M}.xlsx 中没有工作表「活动执行」")
    assert prev.warnings[1].endswith("；活动执行的统计跳过。")


def test_bad_counts_and_a_missing_optional_column(filled):
    out, _ = filled
    path = workbook_path(out, "campaign", M)
    wb = openpyxl.load_workbook(path)
    ws = wb["活动执行"]
    ws["I2"] = "约一半"                                                     # 打开数 not a number
    ws["J3"] = -1                                                          # 点击数 negative
    wb.save(path)
    path = workbook_path(out, "execution_log", M)
    wb = openpyxl.load_workbook(path)
    wb["执行记录"].delete_cols(15)                                          # 客户反馈 deleted
    wb.save(path)
    prev = read_previous(out, M)
    assert prev.campaign.empty
    assert any("第2行 列「打开数」: 值「约一半」不是不小于 0 的整数" in w for w in prev.warnings)
    assert any("第3行 列「点击数」: 值「-1」" in w for w in prev.warnings)
    assert f"维护执行记录表_{M}.xlsx 工作表「执行记录」缺少列「客户反馈」：请恢复原表头。该列按空白处理。" in prev.warnings
    assert len(prev.execution) == 11                                        # still read


def test_missing_workbook_and_folder_are_notes(tmp_path):
    prev = read_previous(tmp_path / "2026-09", "2026-09")
    assert not prev.found and prev.warnings == []
    assert prev.notes == ["未找到上月（2026-09）的输出目录：2026-09，本月不做闭环统计（以本月为基线）。"]
    assert read_previous(None, "2026-09").notes == ["未找到上月（2026-09）的输出目录，本月不做闭环统计（以本月为基线）。"]
    (tmp_path / "2026-09").mkdir()
    prev = read_previous(tmp_path / "2026-09", "2026-09")
    assert prev.warnings == ["未找到上月的《维护执行记录表》（维护执行记录表_2026-09.xlsx），执行记录的统计跳过。",
                             "未找到上月的《营销活动执行表》（营销活动执行表_2026-09.xlsx），活动执行的统计跳过。"]


def test_many_bad_rows_are_counted_not_listed(filled, monkeypatch):
    out, rows = filled
    monkeypatch.setattr(staff_files, "MAX_WARNINGS_PER_SHEET", 1)
    prev = read_previous(out, M)
    assert len(prev.warnings) == 2
    assert prev.warnings[1] == f"维护执行记录表_{M}.xlsx 工作表「执行记录」另有 1 处同类问题未逐条列出（完整清单见问题明细表）。"
    assert prev.problems[["行号", "列"]].values.tolist() == [[rows["C12"], "结果标记"], [rows["C13"], "执行日期"]]
    assert prev.problems["文件"].unique().tolist() == [f"维护执行记录表_{M}.xlsx"]


def test_an_english_run_reads_english_workbooks(tmp_path, templates):
    with language("en"):
        out = tmp_path / M
        _month_m(out, templates)
        rows = _fill(out)
        path = workbook_path(out, "execution_log", M)
        assert path.name == f"Maintenance log_{M}.xlsx"
        wb = openpyxl.load_workbook(path)
        wb["Log"][f"N{rows['C05']}"] = "Done"
        wb.save(path)
        prev = read_previous(out, M)
        missing = read_previous(None, "2026-09")
    assert len(prev.execution) == 10 and set(prev.execution["Result"].dropna()) == {"Success", "Follow up", "Failed"}
    assert prev.warnings[0].startswith(f"Maintenance log_{M}.xlsx, sheet “Log”, row {rows['C05']}, column “Result”: "
                                       "“Done” is not allowed (use one of Success/Follow up/Failed)")
    assert "“下周” is not a date" in prev.warnings[2]
    assert prev.problems.columns.tolist() == ["File", "Sheet", "Row", "Column", "Problem", "Message"]
    assert missing.notes[0].startswith("Last month's (2026-09) output folder was not found")


# --- reruns ------------------------------------------------------------------------------------

def test_merge_keeps_what_staff_filled(tmp_path, templates):
    out = tmp_path / M
    _month_m(out, templates)
    path = workbook_path(out, "execution_log", M)
    wb = openpyxl.load_workbook(path)
    ws = wb["执行记录"]
    assert ws["P2"].value == "T202610-C01" and ws["D3"].value == "C02"
    ws["M2"], ws["O2"], ws["N2"] = datetime(2026, 11, 3), "满意，下月续单", "成功"     # C01 done
    ws["N4"] = "待跟进"                                                     # C03: tier changed on rerun
    ws["D20"], ws["C20"], ws["N20"] = "C99", "王五", "失败"                    # a row staff added
    wb.save(path)

    # The rerun: C03 and C04 no longer planned, C16 new; the kit's own text changed.
    tasks = PLAN_PREV[~PLAN_PREV["control"] & ~PLAN_PREV["customer_id"].isin(["C03", "C04"])]
    tasks = pd.concat([tasks, pd.DataFrame({"customer_id": ["C16"], "owner": ["李四"], "task_id": ["T202610-C16"]})])
    new = _execution(tasks, action="电话回访（新话术）")
    merged = merge_staff_rows(new, path, "execution")
    assert merged.columns.tolist() == new.columns.tolist()
    assert merged["客户ID"].tolist() == [t for t in tasks["customer_id"]] + ["C03", "C99"]
    c01 = merged.iloc[0]
    assert (c01["结果标记"], c01["客户反馈"], c01["执行日期"]) == ("成功", "满意，下月续单", pd.Timestamp("2026-11-03"))
    assert c01["动作描述"] == "电话回访（新话术）"                              # the kit's columns are the rerun's
    assert merged.iloc[-2]["结果标记"] == "待跟进" and merged.iloc[-1]["执行人"] == "王五"
    assert "C04" not in set(merged["客户ID"])                               # unfilled and no longer planned
    assert merged.loc[merged["客户ID"] == "C16", "结果标记"].isna().all()

    # Written over the same file and read back: nothing staff filled is lost.
    write_workbooks({"execution_log": {"execution": merged}}, out, M, template_dir=templates, only=["execution_log"])
    back = read_sheet(path, "execution").set_index("客户ID")
    assert back.loc["C01", "结果标记"] == "成功" and back.loc["C01", "执行日期"] == pd.Timestamp("2026-11-03")
    assert back.loc["C03", "结果标记"] == "待跟进" and back.loc["C99", "结果标记"] == "失败"
    # A second rerun changes nothing more.
    assert merge_staff_rows(new, path, "execution")["结果标记"].tolist() == merged["结果标记"].tolist()
    # Only the columns asked for are taken from the file.
    only_feedback = merge_staff_rows(new, path, "execution", staff_columns=["feedback"])
    assert only_feedback.loc[0, "客户反馈"] == "满意，下月续单" and only_feedback["结果标记"].isna().all()


def test_merge_without_an_existing_file_returns_the_new_frame(tmp_path):
    new = pd.DataFrame({"客户ID": ["C01"], "任务编号": ["T202610-C01"], "当前状态": ["待执行"]})
    assert merge_staff_rows(new, tmp_path / "none.xlsx", "customer_strategy").equals(new)


def test_merge_status_column_of_the_plan(tmp_path, templates):
    out = tmp_path / M
    plan = pd.DataFrame({"客户层级": DEFAULT, "客户ID": ["C01", "C02", "C03"], "当前状态": "待执行",
                         "下一步动作": "发送优惠券", "任务编号": ["T202610-C01", "T202610-C02", "T202610-C03"]})
    path = write_workbooks({"tier_strategy": {"customer_strategy": plan}}, out, M, template_dir=templates,
                           only=["tier_strategy"])[0]
    wb = openpyxl.load_workbook(path)
    wb["客户策略"]["F3"] = "已完成"                                           # C02
    wb.save(path)
    rerun = plan[plan["客户ID"] != "C03"].assign(下一步动作="电话回访")           # C03 no longer planned
    merged = merge_staff_rows(rerun, path, "customer_strategy")
    # C03's 当前状态 was still the kit's 待执行: not staff's work, so the stale row goes.
    assert merged["客户ID"].tolist() == ["C01", "C02"]
    assert merged["当前状态"].tolist() == ["待执行", "已完成"] and set(merged["下一步动作"]) == {"电话回访"}


def test_merge_names_a_missing_key_column(tmp_path, templates):
    out = tmp_path / M
    _month_m(out, templates)
    path = workbook_path(out, "execution_log", M)
    with pytest.raises(KitError, match="新数据没有键列「任务编号」"):
        merge_staff_rows(pd.DataFrame({"客户ID": ["C01"]}), path, "execution")
    wb = openpyxl.load_workbook(path)
    wb["执行记录"]["P1"] = "编号"
    wb.save(path)
    with pytest.raises(KitError, match=f"维护执行记录表_{M}.xlsx 工作表「执行记录」缺少列「任务编号」"):
        merge_staff_rows(_execution(PLAN_PREV), path, "execution")
    with pytest.raises(KitError, match="未知或不唯一的工作表「nowhere」"):
        merge_staff_rows(_execution(PLAN_PREV), path, "nowhere")


def test_preserve_staff_rows_merges_every_staff_sheet(tmp_path, templates):
    out = tmp_path / M
    _month_m(out, templates)
    path = workbook_path(out, "execution_log", M)
    wb = openpyxl.load_workbook(path)
    wb["执行记录"]["N2"] = "成功"
    wb.save(path)
    sheets = {"execution_log": {"execution": _execution(PLAN_PREV[~PLAN_PREV["control"]], action="新")},
              "customer_info": {"info": pd.DataFrame({"客户ID": ["C01"]})}}
    kept = preserve_staff_rows(sheets, out, M)
    assert kept["execution_log"]["execution"]["结果标记"].tolist()[:2] == ["成功", None]
    assert kept["customer_info"]["info"] is sheets["customer_info"]["info"]     # not a staff sheet
    assert preserve_staff_rows(sheets, tmp_path / "empty", M)["execution_log"]["execution"]["结果标记"].isna().all()


# --- last month's folder -----------------------------------------------------------------------

def test_previous_run_and_as_of(tmp_path):
    assert previous_run(tmp_path / "2026-01", "2026-01", "") == (tmp_path / "2025-12", "2025-12")
    assert previous_run(tmp_path / "2026-01", "2026-01", None) == (tmp_path / "2025-12", "2025-12")
    assert previous_run(tmp_path / "2026-01", "2026-01", "archive/dec") == (tmp_path / "archive/dec", "2025-12")
    assert previous_run(tmp_path / "2026-01", "2026-01", tmp_path / "x") == (tmp_path / "x", "2025-12")
    assert previous_as_of(tmp_path, "2025-12") == pd.Timestamp("2025-12-31")
    (tmp_path / "params_resolved.yml").write_text("month: 2025-12\nas_of: '2025-12-28'\n", encoding="utf-8")
    assert previous_as_of(tmp_path, "2025-12") == pd.Timestamp("2025-12-28")
    (tmp_path / "params_resolved.yml").write_text("as_of: [unclosed\n", encoding="utf-8")
    assert previous_as_of(tmp_path, "2025-12") == pd.Timestamp("2025-12-31")


# --- each owner's own sheet (issue 12) ---------------------------------------------------------

def _fill_own_sheet(out, owner, entries):
    """Staff fill their own page: {customer: (结果标记, 客户反馈)}."""
    path = workbook_path(out, "execution_log", M)
    wb = openpyxl.load_workbook(path)
    ws = wb[owner]
    col = {c.value: c.column_letter for c in ws[1]}
    for r in range(2, ws.max_row + 1):
        customer = ws[f"{col['客户ID']}{r}"].value
        if customer in entries:
            ws[f"{col['结果标记']}{r}"], ws[f"{col['客户反馈']}{r}"] = entries[customer]
    return wb, ws, col, path


def test_results_filled_on_an_owner_sheet_are_read_back_once(filled):
    out, rows = filled
    # 李四 fills C14 on his own page (blank on the full list) and C11 differently from the full list
    # (成功 there); he also adds a row for a customer not on the list.
    wb, ws, col, path = _fill_own_sheet(out, "李四", {"C14": ("待跟进", "下周再联系"), "C11": ("失败", None)})
    ws[f"{col['客户ID']}20"], ws[f"{col['结果标记']}20"] = "C77", "成功"
    wb.save(path)
    prev = read_previous(out, M)
    ex = prev.execution.set_index("客户ID")
    assert ex.loc["C14", "结果标记"] == "待跟进" and ex.loc["C14", "客户反馈"] == "下周再联系"
    assert ex.loc["C11", "结果标记"] == "失败"                  # the owner's page wins …
    assert ex.loc["C11", "执行日期"] == pd.Timestamp("2026-11-06")  # … cell by cell: the full list's date stays
    assert ex.loc["C01", "结果标记"] == "成功"                   # filled on the full list only
    assert ex.loc["C77", "结果标记"] == "成功"                   # a row staff added on their page
    assert ex.index.tolist().count("C14") == 1 and len(ex) == 12  # 11 readable tasks + C77, none twice
    assert f"维护执行记录表_{M}.xlsx：有 1 处在个人待办页与「执行记录」总表填写不一致，以个人待办页为准。" in prev.notes


def test_owner_sheet_mistakes_are_named_by_its_sheet(filled):
    out, _ = filled
    wb, ws, col, path = _fill_own_sheet(out, "张三", {"C05": ("完成", None)})
    wb.save(path)
    prev = read_previous(out, M)
    assert any(w.startswith(f"维护执行记录表_{M}.xlsx 工作表「张三」第") and "值「完成」无效" in w
               for w in prev.warnings)
    assert pd.isna(prev.execution.set_index("客户ID").loc["C05", "结果标记"])


def test_a_rerun_keeps_what_was_filled_on_owner_sheets(tmp_path, templates):
    out = tmp_path / M
    _month_m(out, templates)
    wb, ws, col, path = _fill_own_sheet(out, "张三", {"C02": ("成功", "已下单")})
    wb.save(path)
    execution = _execution(PLAN_PREV[~PLAN_PREV["control"]], action="新")
    sheets = {"execution_log": {"execution": execution, **per_owner_sheets(execution)}}
    kept = preserve_staff_rows(sheets, out, M)["execution_log"]
    assert kept["execution"].set_index("客户ID").loc["C02", "结果标记"] == "成功"
    assert list(kept) == ["execution"]   # the writer splits the owner sheets from the merged list
    path = write_workbooks({"execution_log": kept}, tmp_path / "again", M, template_dir=templates,
                           only=["execution_log"])[0]
    mine = read_sheet(path, "张三").set_index("客户ID")
    assert mine.loc["C02", "客户反馈"] == "已下单" and mine.loc["C02", "结果标记"] == "成功"
    assert (mine["动作描述"] == "新").all()


def test_a_rerun_checks_and_masks_what_staff_typed(tmp_path, templates):
    # What staff typed last time comes back into this month's frames on a rerun: the check
    # before the shared copies are written sees it, and the masked copies carry it masked.
    from analysis.outputs.privacy import mask_workbook_sheets, scan_for_personal_data, scan_sheets

    out = tmp_path / M
    _month_m(out, templates)
    path = workbook_path(out, "execution_log", M)
    wb = openpyxl.load_workbook(path)
    assert wb["执行记录"]["D2"].value == "C01" and wb["执行记录"]["O1"].value == "客户反馈"
    wb["执行记录"]["O2"] = "客户说打 13912345678"
    wb.save(path)
    execution = _execution(PLAN_PREV[~PLAN_PREV["control"]], action="新")
    sheets = preserve_staff_rows({"execution_log": {"execution": execution, **per_owner_sheets(execution)}}, out, M)
    # the owner sheets are split from the full list when written: found (and masked) there once
    assert scan_sheets(sheets) == ["维护执行记录表 工作表「执行记录」第1条记录 列「客户反馈」: 139****5678"]
    shared = mask_workbook_sheets(sheets)
    assert shared["execution_log"]["execution"]["客户反馈"].iloc[0] == "客户说打 139****5678"
    assert scan_sheets(shared) == []
    masked = write_workbooks(shared, out, M, template_dir=templates, suffix="_脱敏", only=["execution_log"])
    assert scan_for_personal_data(masked[0]) == []
    assert read_sheet(masked[0], "张三")["客户反馈"].iloc[0] == "客户说打 139****5678"
