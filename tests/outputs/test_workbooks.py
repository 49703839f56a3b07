"""Tests for analysis.outputs.workbooks: definitions, templates, writing and reading back."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.styles import Color, Font, PatternFill

from analysis.outputs import workbooks as wbm
from analysis.config import TEMPLATES_DIR
from analysis.errors import KitError
from analysis.outputs.workbooks import (
    SPARE_ROWS, WORKBOOKS, build_templates, headers, read_sheet, workbook_path, write_workbooks,
)

MONTH = "2026-10"

# SPEC §8, copied by hand: the definitions must match these exactly.
SPEC_HEADERS = {
    "客户基础信息表": {
        "客户基础信息": ["客户ID", "客户名称", "联系方式", "所属行业", "地域", "企业规模", "首次购买时间",
                   "最近购买时间", "累计消费(元)", "客户层级", "标签", "客户经理"],
        "数据质量报告": ["类别", "项目", "数值", "目标", "是否达标", "说明"],
        "隔离明细": ["表", "来源文件", "来源行号", "列", "原值", "原因"],
        "合并记录": ["保留客户ID", "合并的客户ID", "合并数量", "匹配依据"],
    },
    "客户分层维护策略表": {
        "分层策略": ["层级", "核心特征", "维护策略", "负责人", "执行周期", "客户数", "占比"],
        # 任务编号 (not in the SPEC) comes last: the stable task id reruns merge on.
        "客户策略": ["客户层级", "客户ID", "核心特征", "维护策略", "当前状态", "下一步动作", "时间节点", "任务编号"],
    },
    "维护执行记录表": {
        "执行记录": ["执行日期", "客户ID", "执行人", "动作描述", "客户反馈", "结果标记", "任务编号"],
    },
    "营销活动执行表": {
        "活动执行": ["活动名称", "目标客户标签", "触达内容", "触达渠道", "发送时间", "目标客户数", "实际发送数",
                 "打开数", "点击数", "转化率", "负责人"],
        # The automation target lists (SPEC §8) and who was left off them.
        **{name: ["客户ID", "客户层级", "触达渠道", "发送时间", "内容键", "截止时间", "负责人", "备注"]
           for name in ["沉睡唤醒", "新客欢迎", "生日关怀", "高价值跟进", "差评工单", "购后调研"]},
        "名单排除": ["名单", "原因", "人数"],
    },
    "效果复盘表": {
        "效果复盘": ["分析周期", "活动流程", "核心指标(目标/实际)", "问题分析", "优化措施", "负责人"],
    },
}


@pytest.fixture
def templates(tmp_path):
    folder = tmp_path / "templates"
    build_templates(folder)
    return folder


# The tests speak the SPEC's Chinese names; the kit is called by key (vocab/workbooks.yml).
WB_KEY = {wbm.workbook_name(k): k for k in WORKBOOKS}
SHEET_KEY = {wbm.sheet_name(s): s for sheets in WORKBOOKS.values() for s in sheets}


def _keys(sheets):
    return {WB_KEY.get(w, w): {SHEET_KEY.get(s, s): f for s, f in d.items()} for w, d in sheets.items()}


def _write(sheets, out, templates, **kwargs):
    if "only" in kwargs:
        kwargs["only"] = [WB_KEY.get(w, w) for w in kwargs["only"]]
    return write_workbooks(_keys(sheets), out, MONTH, template_dir=templates, **kwargs)


def _read(path, sheet):
    return read_sheet(path, SHEET_KEY.get(sheet, sheet))


def _sheet(path, name):
    return openpyxl.load_workbook(path)[name]


def _header(ws):
    return [c.value for c in ws[1]]


def _validation(ws, header):
    col = openpyxl.utils.get_column_letter(_header(ws).index(header) + 1)
    found = [dv for dv in ws.data_validations.dataValidation if str(dv.sqref).startswith(col)]
    assert len(found) == 1, f"expected one drop-down on {header}"
    return found[0]


def _widths(ws):
    """Width per column letter; Excel and xlsxwriter store equal neighbours as one range."""
    out = {}
    for dim in ws.column_dimensions.values():
        for i in range(dim.min, dim.max + 1):
            out[openpyxl.utils.get_column_letter(i)] = dim.width
    return out


def _describe(path):
    """Everything a template carries that write_workbooks uses, for comparing two files."""
    wb = openpyxl.load_workbook(path)
    out = {"sheets": wb.sheetnames}
    for ws in wb.worksheets:
        cols = {}
        for dim in ws.column_dimensions.values():
            for i in range(dim.min, dim.max + 1):
                cols[i] = (dim.width, dim.number_format)
        out[ws.title] = {
            "header": _header(ws),
            "freeze": ws.freeze_panes,
            "height": ws.row_dimensions[1].height,
            "columns": [cols.get(i) for i in range(1, ws.max_column + 1)],
            "styles": [(c.fill.fgColor.rgb, c.font.b, c.font.color.rgb, c.border.left.style,
                        c.alignment.wrap_text, c.alignment.horizontal) for c in ws[1]],
        }
    return out


# --- definitions ------------------------------------------------------------------------------

def test_definitions_match_the_spec():
    assert {wbm.workbook_name(wb): {wbm.sheet_name(s): [c.header for c in cols] for s, cols in sheets.items()}
            for wb, sheets in WORKBOOKS.items()} == SPEC_HEADERS


def test_definitions_are_consistent():
    for wb, sheets in WORKBOOKS.items():
        for sheet, cols in sheets.items():
            assert len(wbm.sheet_name(sheet)) <= 31 - 3  # room for a continuation suffix "_99"
            assert len({c.header for c in cols}) == len(cols)
            for c in cols:
                if c.formula:
                    wbm._formula_pattern(c.formula, cols)  # names only columns of its sheet


def test_staff_columns_and_drop_downs():
    staff = {(wbm.workbook_name(wb), wbm.sheet_name(s), c.header) for wb, sheets in WORKBOOKS.items()
             for s, cols in sheets.items() for c in cols if c.filled_by_staff}
    assert {("维护执行记录表", "执行记录", h) for h in ["执行日期", "客户反馈", "结果标记"]} <= staff
    assert {("营销活动执行表", "活动执行", h) for h in ["实际发送数", "打开数", "点击数"]} <= staff
    assert wbm.column("execution_log", "execution", "result").choices == ("成功", "待跟进", "失败")
    assert wbm.column("tier_strategy", "customer_strategy", "status").choices == ("待执行", "执行中", "已完成", "已暂停")


def test_unknown_names_raise_kit_error():
    with pytest.raises(KitError, match="未知的工作簿「客户表」"):
        headers("客户表", "x")
    with pytest.raises(KitError, match="工作簿「维护执行记录表」没有工作表「记录」"):
        headers("execution_log", "记录")


# --- templates ---------------------------------------------------------------------------------

def test_templates_have_the_headers_and_styles(templates):
    paths = build_templates(templates)
    assert [p.name for p in paths] == [f"{WB_KEY[name]}.xlsx" for name in SPEC_HEADERS]
    for path, (name, sheets) in zip(paths, SPEC_HEADERS.items()):
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == list(sheets)
        for sheet, expected in sheets.items():
            ws = wb[sheet]
            assert _header(ws) == expected
            assert ws.freeze_panes == "A2"
            assert ws["A1"].font.b and ws["A1"].alignment.wrap_text
    ws = openpyxl.load_workbook(templates / "execution_log.xlsx")["执行记录"]
    assert ws["B1"].fill.fgColor.rgb == "FFDDEBF7"      # filled by the kit: blue
    assert ws["F1"].fill.fgColor.rgb == "FFFFF2CC"      # filled by staff: yellow
    assert ws.column_dimensions["A"].number_format == "yyyy-mm-dd"
    ws = openpyxl.load_workbook(templates / "customer_info.xlsx")["客户基础信息"]
    assert ws.column_dimensions["I"].number_format == "#,##0.00"
    assert ws.column_dimensions["A"].number_format == "@"


def test_templates_are_deterministic(tmp_path):
    first = build_templates(tmp_path / "a")
    second = build_templates(tmp_path / "b")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_committed_templates_are_current(templates):
    # Compared by content rather than bytes: deflate output may differ between zlib builds.
    for name in WORKBOOKS:
        committed = TEMPLATES_DIR / "workbooks" / f"{name}.xlsx"
        assert committed.exists(), f"{committed} missing: run python -m analysis templates"
        assert _describe(committed) == _describe(templates / f"{name}.xlsx"), (
            f"{committed.name} is stale: run python -m analysis templates")


# --- writing -----------------------------------------------------------------------------------

@pytest.fixture
def frames():
    info = pd.DataFrame({
        "客户ID": ["C001", "C002", "C003"],
        "客户名称": ["杭州甲有限公司", "王先生", None],
        "联系方式": ["13812345678", None, "0571-88888888"],
        "首次购买时间": pd.to_datetime(["2024-01-05", "2025-06-30", None]),
        "最近购买时间": ["2026-10-02", date(2026, 9, 1), None],   # ISO text and date objects
        "累计消费(元)": [523456.789, 1200.0, np.nan],
        "客户层级": ["战略客户", "普通客户", "普通客户"],
    })
    tiers = pd.DataFrame({
        "层级": ["战略客户", "普通客户"], "核心特征": ["累计消费≥50万", "其余"],
        "维护策略": ["专属客户经理", "标准服务"], "负责人": ["客户经理", "运营专员"],
        "执行周期": ["长期持续", "每月"], "客户数": [1, 2], "占比": [1 / 3, 2 / 3],
    })
    plan = pd.DataFrame({
        "客户层级": ["战略客户", "普通客户", "普通客户"], "客户ID": ["C001", "C002", "C003"],
        "维护策略": ["专属客户经理", "标准服务", "标准服务"], "当前状态": ["待执行"] * 3,
        "下一步动作": ["电话回访", "发送优惠券", "发送优惠券"],
        "时间节点": pd.to_datetime(["2026-11-04", "2026-11-05", "2026-11-05"]),
    })
    execution = pd.DataFrame({
        "执行日期": pd.NaT, "客户ID": ["C001", "C002", "C003"], "执行人": ["张三", "李四", "李四"],
        "动作描述": ["电话回访", "发送优惠券", "发送优惠券"], "客户反馈": None, "结果标记": None,
    })
    campaign = pd.DataFrame({
        "活动名称": ["2026-10 普通客户维护"], "目标客户标签": ["普通客户"], "触达内容": ["满100减10"],
        "触达渠道": ["短信"], "发送时间": [datetime(2026, 11, 2, 10, 30)], "目标客户数": [2],
        "实际发送数": [pd.NA], "打开数": [pd.NA], "点击数": [pd.NA], "转化率": [pd.NA], "负责人": ["运营专员"],
    })
    return {
        "客户基础信息表": {"客户基础信息": info},
        "客户分层维护策略表": {"分层策略": tiers, "客户策略": plan},
        "维护执行记录表": {"执行记录": execution},
        "营销活动执行表": {"活动执行": campaign},
    }


def test_writes_every_workbook_with_exact_headers(frames, templates, tmp_path):
    paths = _write(frames, tmp_path / "out", templates)
    assert paths == [workbook_path(tmp_path / "out", WB_KEY[name], MONTH) for name in SPEC_HEADERS]
    assert [p.name for p in paths] == [f"{name}_{MONTH}.xlsx" for name in SPEC_HEADERS]
    assert paths[0].name == f"客户基础信息表_{MONTH}.xlsx"
    for path, (name, sheets) in zip(paths, SPEC_HEADERS.items()):
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == list(sheets)
        for sheet, expected in sheets.items():
            ws = wb[sheet]
            assert _header(ws) == expected
            assert ws.freeze_panes == "A2"
    # 效果复盘表 got no data: headers only, filter over the header row.
    ws = _sheet(paths[4], "效果复盘")
    assert ws.max_row == 1 and ws.auto_filter.ref == "A1:F1"


def test_values_formats_filter_and_widths(frames, templates, tmp_path):
    path = _write(frames, tmp_path, templates)[0]
    ws = _sheet(path, "客户基础信息")
    assert ws.auto_filter.ref == "A1:L4"                      # header + 3 data rows
    assert ws["A2"].value == "C001" and ws["B2"].value == "杭州甲有限公司"
    assert ws["C2"].value == "13812345678"                    # text, not a number
    assert ws["G2"].value == datetime(2024, 1, 5) and ws["G2"].number_format == "yyyy-mm-dd"
    assert ws["H2"].value == datetime(2026, 10, 2)            # ISO text -> real date
    assert ws["H3"].value == datetime(2026, 9, 1)             # date object -> real date
    assert ws["I2"].value == pytest.approx(523456.789) and ws["I2"].number_format == "#,##0.00"
    # Missing values and a column not given (所属行业, 地域, 企业规模, 标签, 客户经理) are blank.
    assert ws["B4"].value is None and ws["G4"].value is None and ws["I4"].value is None
    assert all(ws[f"{c}2"].value is None for c in "DEFKL")
    template = openpyxl.load_workbook(templates / "customer_info.xlsx")["客户基础信息"]
    assert _widths(ws) == _widths(template) and len(_widths(ws)) == 12
    assert _widths(ws)["B"] == pytest.approx(24.71, abs=0.01)   # 客户名称: 24 characters

    ws = _sheet(_write(frames, tmp_path, templates)[1], "分层策略")
    assert ws["G2"].value == pytest.approx(1 / 3) and ws["G2"].number_format == "0.0%"
    assert ws["F3"].value == 2 and isinstance(ws["F3"].value, int)


def test_drop_downs_cover_data_and_spare_rows(frames, templates, tmp_path):
    paths = _write(frames, tmp_path, templates)
    ws = _sheet(paths[2], "执行记录")
    dv = _validation(ws, "结果标记")
    assert dv.type == "list" and dv.formula1 == '"成功,待跟进,失败"'
    assert str(dv.sqref) == f"F2:F{3 + 1 + SPARE_ROWS}"        # 3 data rows + spare rows
    ws = _sheet(paths[1], "客户策略")
    assert _validation(ws, "当前状态").formula1 == '"待执行,执行中,已完成,已暂停"'
    assert ws["E2"].value == "待执行"
    # A header-only sheet still gets its drop-downs for the rows staff add.
    path = _write({}, tmp_path / "empty", templates)[2]
    assert str(_validation(_sheet(path, "执行记录"), "结果标记").sqref) == f"F2:F{1 + SPARE_ROWS}"


def test_conversion_rate_is_a_live_formula(frames, templates, tmp_path):
    ws = _sheet(_write(frames, tmp_path, templates)[3], "活动执行")
    assert ws["E2"].value == datetime(2026, 11, 2, 10, 30)
    assert ws["E2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["J2"].value == '=IFERROR(I2/H2,"")' and ws["J2"].number_format == "0.0%"
    assert ws["J3"].value == '=IFERROR(I3/H3,"")'                # spare row for staff
    assert ws["F2"].value == 2 and ws["G2"].value is None


def test_header_style_comes_from_the_template(frames, templates, tmp_path):
    path = templates / "execution_log.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["执行记录"]
    ws["B1"].fill = PatternFill("solid", fgColor="FFFF0000")
    ws["B1"].font = Font(bold=False, name="微软雅黑", size=12, color="FF00FF00")
    ws["C1"].fill = PatternFill("solid", fgColor=Color(theme=4, tint=0.5999938962981048))
    ws.column_dimensions["D"].width = 60
    ws.row_dimensions[1].height = 40
    wb.save(path)

    out = _sheet(_write(frames, tmp_path, templates)[2], "执行记录")
    assert out["B1"].fill.fgColor.rgb == "FFFF0000"
    assert not out["B1"].font.b and out["B1"].font.name == "微软雅黑" and out["B1"].font.sz == 12
    assert out["B1"].font.color.rgb == "FF00FF00"
    assert out["C1"].fill.fgColor.rgb == "FFB8CCE4"       # accent 1, 60% lighter, as Excel shows it
    assert wbm._apply_tint("4F81BD", -0.249977111117893) == "366092"   # 25% darker
    assert out["A1"].fill.fgColor.rgb == "FFFFF2CC" and out["A1"].font.b   # untouched columns keep theirs
    assert _widths(out)["D"] == 60
    assert out.row_dimensions[1].height == pytest.approx(40, abs=0.75)  # whole pixels


def test_template_missing_raises(frames, tmp_path):
    with pytest.raises(KitError, match="缺少模板.*python -m analysis templates"):
        _write(frames, tmp_path, tmp_path / "nowhere")


def test_unknown_column_sheet_workbook_raise(frames, templates, tmp_path):
    frames["维护执行记录表"]["执行记录"]["备注"] = "x"
    with pytest.raises(KitError, match="未知的列: 备注"):
        _write(frames, tmp_path, templates)
    with pytest.raises(KitError, match="没有工作表「记录」"):
        _write({"维护执行记录表": {"记录": pd.DataFrame()}}, tmp_path, templates)
    with pytest.raises(KitError, match="未知的工作簿「客户表」"):
        _write({"客户表": {}}, tmp_path, templates)
    with pytest.raises(KitError, match="YYYY-MM"):
        write_workbooks({}, tmp_path, "2026/10", template_dir=templates)
    assert not list(tmp_path.glob("*.xlsx"))               # nothing half-written


def test_awkward_values_survive(templates, tmp_path):
    notes = ["a & b <c>", "  leading space", "=1+1", "http://example.com", "第二行\n换行 _x0041_", "", None]
    frame = pd.DataFrame({
        "客户ID": [1001, 1002.0, "C3", "C4", "C5", "C6", "C7"],           # numbers as IDs -> text
        "客户反馈": notes,
        "执行日期": ["2026-10-05", "2026-10-05T08:30:00", pd.Timestamp("2026-10-06", tz="Asia/Shanghai"),
                 "不是日期", np.nan, pd.NaT, None],
    }, index=[7] * 7)                                                     # a repeated index is fine
    path = _write({"维护执行记录表": {"执行记录": frame}}, tmp_path, templates)[2]
    ws = _sheet(path, "执行记录")
    assert [ws[f"B{r}"].value for r in range(2, 5)] == ["1001", "1002", "C3"]
    assert [ws[f"E{r}"].value for r in range(2, 9)] == notes[:5] + [None, None]
    assert ws["E4"].data_type == "s"                          # "=1+1" stays text
    assert ws["A2"].value == datetime(2026, 10, 5)
    assert ws["A3"].value == datetime(2026, 10, 5, 8, 30)
    assert ws["A4"].value == datetime(2026, 10, 6)            # wall time of an aware timestamp
    assert ws["A5"].value == "不是日期"                         # kept as text, not lost
    assert ws["A6"].value is None and ws["A7"].value is None


def test_same_input_same_bytes(frames, templates, tmp_path):
    first = _write(frames, tmp_path / "a", templates)
    second = _write(frames, tmp_path / "b", templates)
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name
    props = openpyxl.load_workbook(first[0]).properties
    assert props.created == datetime(2026, 10, 1)


def test_suffix_and_only(frames, templates, tmp_path):
    paths = _write(frames, tmp_path, templates, suffix="_脱敏", only=["客户基础信息表"])
    assert [p.name for p in paths] == [f"客户基础信息表_{MONTH}_脱敏.xlsx"]
    assert [p.name for p in tmp_path.glob("*.xlsx")] == [paths[0].name]


def test_sheet_above_row_limit_is_split(templates, tmp_path, monkeypatch):
    monkeypatch.setattr(wbm, "EXCEL_MAX_ROWS", 5)             # 4 data rows per sheet
    plan = pd.DataFrame({"客户ID": [f"C{i:02d}" for i in range(10)], "当前状态": "待执行"})
    path = _write({"客户分层维护策略表": {"客户策略": plan}}, tmp_path, templates)[1]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["分层策略", "客户策略", "客户策略_2", "客户策略_3"]
    got = []
    for name, rows in [("客户策略", 4), ("客户策略_2", 4), ("客户策略_3", 2)]:
        ws = wb[name]
        assert _header(ws) == SPEC_HEADERS["客户分层维护策略表"]["客户策略"]
        assert ws.max_row == rows + 1 and ws.freeze_panes == "A2"
        assert "共 10 行" in ws["A1"].comment.text and "客户策略_3" in ws["A1"].comment.text
        assert str(_validation(ws, "当前状态").sqref) == "E2:E5"   # never past the limit
        got += [ws[f"B{r}"].value for r in range(2, rows + 2)]
    assert got == list(plan["客户ID"])                       # nothing lost, order kept
    back = _read(path, "客户策略")
    assert back["客户ID"].tolist() == list(plan["客户ID"])


# --- reading back ------------------------------------------------------------------------------

def test_read_sheet_round_trip_with_staff_edits(frames, templates, tmp_path):
    path = _write(frames, tmp_path, templates)[2]
    wb = openpyxl.load_workbook(path)                        # staff fill it in Excel
    ws = wb["执行记录"]
    ws["A2"] = datetime(2026, 11, 3)
    ws["E2"] = "  满意，下月续单 "
    ws["F2"] = "成功"
    ws["F3"] = "待跟进"
    ws["B6"] = "C009"                                        # a row staff added
    ws["F6"] = "失败"
    wb.save(path)

    back = _read(path, "执行记录")
    assert back.columns.tolist() == SPEC_HEADERS["维护执行记录表"]["执行记录"]
    assert back.index.tolist() == [2, 3, 4, 6] and back.index.name == "行号"
    assert back.loc[2, "执行日期"] == pd.Timestamp("2026-11-03")
    assert back.loc[2, "客户反馈"] == "满意，下月续单"          # stripped
    assert back["结果标记"].tolist()[:2] == ["成功", "待跟进"] and pd.isna(back.loc[4, "结果标记"])
    assert back.loc[6, "客户ID"] == "C009"
    assert back.loc[3, "执行人"] == "李四"


def test_read_sheet_errors(frames, templates, tmp_path):
    with pytest.raises(KitError, match="找不到文件"):
        _read(tmp_path / "missing.xlsx", "执行记录")
    path = _write(frames, tmp_path, templates)[2]
    with pytest.raises(KitError, match=f"{path.name} 中没有工作表「反馈」"):
        _read(path, "反馈")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    with pytest.raises(KitError, match="bad.xlsx 无法读取"):
        _read(bad, "执行记录")


def test_task_id_last_and_automation_lists(frames, templates, tmp_path):
    # The SPEC columns come first and in order; the merge key 任务编号 is appended after them.
    for wb, sheet in [("tier_strategy", "customer_strategy"), ("execution_log", "execution")]:
        assert headers(wb, sheet)[-1] == "任务编号"
    assert [wbm.sheet_name(s) for s in WORKBOOKS["campaign"]] == [
        "活动执行", "沉睡唤醒", "新客欢迎", "生日关怀", "高价值跟进", "差评工单", "购后调研", "名单排除"]
    listing = pd.DataFrame({"客户ID": ["C001"], "发送时间": [datetime(2026, 11, 2, 9, 30)],
                            "截止时间": ["2026-11-03 18:00"], "内容键": ["winback_category_A"]})
    skipped = pd.DataFrame({"名单": ["沉睡唤醒"], "原因": ["已退订"], "人数": [3]})
    path = _write({"营销活动执行表": {"沉睡唤醒": listing, "名单排除": skipped}}, tmp_path, templates)[3]
    ws = _sheet(path, "沉睡唤醒")
    assert ws["D2"].value == datetime(2026, 11, 2, 9, 30) and ws["D2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["F2"].value == datetime(2026, 11, 3, 18, 0)
    assert _sheet(path, "名单排除")["C2"].value == 3
    assert _read(path, "沉睡唤醒")["内容键"].tolist() == ["winback_category_A"]


def test_english_run_writes_english_names_and_keeps_the_template_styles(templates, tmp_path):
    from analysis.vocab import language

    with language("en"):
        frame = pd.DataFrame({"Customer ID": ["C001"], "Result": ["Success"]})
        path = write_workbooks({"execution_log": {"execution": frame}}, tmp_path, MONTH,
                               template_dir=templates, only=["execution_log"])[0]
        assert path.name == f"Maintenance log_{MONTH}.xlsx"
        ws = _sheet(path, "Log")
        assert _header(ws) == ["Done on", "Customer ID", "Done by", "Action", "Customer feedback",
                               "Result", "Task ID"]
        assert ws["B2"].value == "C001"
        assert ws["F1"].fill.fgColor.rgb == "FFFFF2CC"          # staff column: yellow, from the template
        assert _validation(ws, "Result").formula1 == '"Success,Follow up,Failed"'
        assert read_sheet(path, "execution")["Result"].tolist() == ["Success"]
