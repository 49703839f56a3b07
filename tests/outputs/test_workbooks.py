"""Tests for analysis.outputs.workbooks: definitions, templates, writing and reading back."""

from __future__ import annotations

import re
import zipfile
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

# SPEC §8 as issue 12 extends it, copied by hand: the definitions must match these exactly.
TASKS = ["优先级", "时间节点", "执行人", "客户ID", "客户名称", "电话", "邮箱", "客户层级", "原因", "动作描述",
         "触达渠道", "风险价值(元)", "执行日期", "结果标记", "客户反馈", "任务编号"]
SPEC_HEADERS = {
    "客户基础信息表": {
        "客户基础信息": ["客户ID", "客户名称", "电话", "邮箱", "所属行业", "地域", "企业规模", "首次购买时间",
                   "最近购买时间", "累计消费(元)", "客户层级", "标签", "客户经理"],
        "数据质量报告": ["类别", "项目", "数值", "目标", "是否达标", "说明"],
        "隔离明细": ["表", "来源文件", "来源行号", "列", "原值", "原因"],
        "合并记录": ["保留客户ID", "合并的客户ID", "合并数量", "匹配依据"],
    },
    "客户分层维护策略表": {
        "分层策略": ["层级", "核心特征", "维护策略", "负责人", "执行周期", "客户数", "占比"],
        # 任务编号 (not in the SPEC) comes last: the stable task id reruns merge on.
        "客户策略": ["客户层级", "客户ID", "客户名称", "核心特征", "维护策略", "当前状态", "下一步动作", "触达渠道",
                 "负责人", "时间节点", "优先级", "任务编号"],
    },
    "维护执行记录表": {
        "执行记录": TASKS,
        "工作量": ["负责人", "任务数", "电话任务", "本周到期", "风险价值(元)", "最早到期", "最晚到期", "月底后到期"],
    },
    "营销活动执行表": {
        "活动执行": ["活动名称", "目标客户标签", "触达内容", "触达渠道", "发送时间", "目标客户数", "实际发送数",
                 "送达数", "打开数", "点击数", "接通数", "成交/转化数", "转化率", "负责人"],
        # The automation target lists (SPEC §8) and who was left off them.
        **{name: ["客户ID", "客户层级", "触达渠道", "发送时间", "触达内容", "截止时间", "负责人", "备注"]
           for name in ["沉睡唤醒", "新客欢迎", "生日关怀", "高价值跟进", "差评工单", "购后调研"]},
        "名单排除": ["名单", "原因", "人数"],
    },
    "效果复盘表": {
        "效果复盘": ["分析周期", "活动流程", "核心指标", "目标", "实际", "问题分析", "优化措施", "负责人"],
    },
}
# The templates also carry the sheet each owner's copy is styled from.
TEMPLATE_HEADERS = {wb: {**sheets, **({"个人待办": TASKS} if wb == "维护执行记录表" else {})}
                    for wb, sheets in SPEC_HEADERS.items()}


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
            for wb, sheets in WORKBOOKS.items()} == TEMPLATE_HEADERS


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
    assert {("营销活动执行表", "活动执行", h) for h in ["实际发送数", "送达数", "打开数", "点击数", "接通数",
                                                     "成交/转化数"]} <= staff
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
    assert [p.name for p in paths] == [f"{WB_KEY[name]}.xlsx" for name in TEMPLATE_HEADERS]
    for path, (name, sheets) in zip(paths, TEMPLATE_HEADERS.items()):
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == list(sheets)
        for sheet, expected in sheets.items():
            ws = wb[sheet]
            assert _header(ws) == expected
            assert ws.freeze_panes in ("A2", "C2", "D2", "F2")
            assert ws["A1"].font.b and ws["A1"].alignment.wrap_text
            _assert_prints_landscape_one_page_wide(ws)
    ws = openpyxl.load_workbook(templates / "execution_log.xlsx")["执行记录"]
    assert ws.freeze_panes == "F2"                     # 优先级 … 客户名称 stay in view
    assert ws["D1"].fill.fgColor.rgb == "FFDDEBF7"      # filled by the kit: blue
    assert ws["N1"].fill.fgColor.rgb == "FFFFF2CC"      # filled by staff: yellow
    assert ws.column_dimensions["M"].number_format == "yyyy-mm-dd"
    ws = openpyxl.load_workbook(templates / "customer_info.xlsx")["客户基础信息"]
    assert ws.column_dimensions["J"].number_format == "#,##0.00"
    assert ws.column_dimensions["A"].number_format == "@"


def _assert_prints_landscape_one_page_wide(ws, last_row=None):
    """Print settings of issue 12: A4 landscape, fit to one page wide, header row on every page,
    the data as print area."""
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9                                    # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1)          # absent is Excel's default: 1 page wide
    assert ws.page_setup.fitToHeight == 0                 # as many pages tall as it takes
    assert ws.print_title_rows == "$1:$1"
    last = openpyxl.utils.get_column_letter(ws.max_column)
    assert ws.print_area == f"'{ws.title}'!$A$1:${last}${last_row or 1}"
    assert "&P" in ws.oddFooter.right.text and "&N" in ws.oddFooter.right.text


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
        "电话": ["13812345678", None, "0571-88888888"],
        "邮箱": [None, "wang@example.com", None],
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
        "优先级": [1, 1, 2], "时间节点": pd.to_datetime(["2026-11-03", "2026-11-13", "2026-11-13"]),
        "执行人": ["张三", "李四", "李四"], "客户ID": ["C001", "C002", "C003"],
        "客户名称": ["杭州甲有限公司", "王先生", None], "电话": ["13812345678", None, "0571-88888888"],
        "客户层级": ["战略客户", "普通客户", "普通客户"], "原因": ["累计52.3万元", "累计1,200元", "从未购买"],
        "动作描述": ["电话回访", "发送优惠券", "发送优惠券"], "触达渠道": ["电话", "短信", "短信"],
        "风险价值(元)": [12345.6, 300.0, 0.0],
        "执行日期": pd.NaT, "结果标记": None, "客户反馈": None, "任务编号": ["T1", "T2", "T3"],
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
        # each owner of the to-do list gets a sheet of their own, split from 执行记录
        owners = list(dict.fromkeys(frames[name]["执行记录"]["执行人"])) if name == "维护执行记录表" else []
        assert wb.sheetnames == list(sheets) + owners
        for sheet, expected in sheets.items():
            ws = wb[sheet]
            assert _header(ws) == expected
            given = frames.get(name, {}).get(sheet)
            _assert_prints_landscape_one_page_wide(ws, last_row=1 + (0 if given is None else len(given)))
    # 效果复盘表 got no data: headers only, filter over the header row.
    ws = _sheet(paths[4], "效果复盘")
    assert ws.max_row == 1 and ws.auto_filter.ref == "A1:H1"


def test_values_formats_filter_and_widths(frames, templates, tmp_path):
    path = _write(frames, tmp_path, templates)[0]
    ws = _sheet(path, "客户基础信息")
    assert ws.auto_filter.ref == "A1:M4"                      # header + 3 data rows
    assert ws["A2"].value == "C001" and ws["B2"].value == "杭州甲有限公司"
    assert ws["C2"].value == "13812345678"                    # text, not a number
    assert ws["D3"].value == "wang@example.com"               # e-mail in its own column
    assert ws["H2"].value == datetime(2024, 1, 5) and ws["H2"].number_format == "yyyy-mm-dd"
    assert ws["I2"].value == datetime(2026, 10, 2)            # ISO text -> real date
    assert ws["I3"].value == datetime(2026, 9, 1)             # date object -> real date
    assert ws["J2"].value == pytest.approx(523456.789) and ws["J2"].number_format == "#,##0.00"
    # Missing values and a column not given (所属行业, 地域, 企业规模, 标签, 客户经理) are blank.
    assert ws["B4"].value is None and ws["H4"].value is None and ws["J4"].value is None
    assert all(ws[f"{c}2"].value is None for c in "EFGLM")
    template = openpyxl.load_workbook(templates / "customer_info.xlsx")["客户基础信息"]
    assert _widths(ws) == _widths(template) and len(_widths(ws)) == 13
    assert _widths(ws)["B"] == pytest.approx(24.71, abs=0.01)   # 客户名称: 24 characters

    ws = _sheet(_write(frames, tmp_path, templates)[1], "分层策略")
    assert ws["G2"].value == pytest.approx(1 / 3) and ws["G2"].number_format == "0.0%"
    assert ws["F3"].value == 2 and isinstance(ws["F3"].value, int)


def test_drop_downs_cover_data_and_spare_rows(frames, templates, tmp_path):
    paths = _write(frames, tmp_path, templates)
    ws = _sheet(paths[2], "执行记录")
    dv = _validation(ws, "结果标记")
    assert dv.type == "list" and dv.formula1 == '"成功,待跟进,失败"'
    assert str(dv.sqref) == f"N2:N{3 + 1 + SPARE_ROWS}"        # 3 data rows + spare rows
    assert dv.promptTitle == "结果标记" and "待跟进＝已联系但需再跟进" in dv.prompt and dv.showInputMessage
    ws = _sheet(paths[1], "客户策略")
    assert _validation(ws, "当前状态").formula1 == '"待执行,执行中,已完成,已暂停"'
    assert ws["F2"].value == "待执行"
    # A header-only sheet still gets its drop-downs for the rows staff add.
    path = _write({}, tmp_path / "empty", templates)[2]
    assert str(_validation(_sheet(path, "执行记录"), "结果标记").sqref) == f"N2:N{1 + SPARE_ROWS}"


def test_conversion_rate_is_a_live_formula(frames, templates, tmp_path):
    ws = _sheet(_write(frames, tmp_path, templates)[3], "活动执行")
    assert ws["E2"].value == datetime(2026, 11, 2, 10, 30)
    assert ws["E2"].number_format == "yyyy-mm-dd hh:mm"
    # 转化率 = 成交/转化数 ÷ 实际发送数, not clicks ÷ opens
    assert ws["M2"].value == '=IFERROR(L2/G2,"")' and ws["M2"].number_format == "0.0%"
    assert ws["M3"].value == '=IFERROR(L3/G3,"")'                # spare row for staff
    assert ws["F2"].value == 2 and ws["G2"].value is None


def test_header_style_comes_from_the_template(frames, templates, tmp_path):
    path = templates / "execution_log.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["执行记录"]
    ws["B1"].fill = PatternFill("solid", fgColor="FFFF0000")
    ws["B1"].font = Font(bold=False, name="微软雅黑", size=12, color="FF00FF00")
    ws["C1"].fill = PatternFill("solid", fgColor=Color(theme=4, tint=0.5999938962981048))
    ws.column_dimensions["J"].width = 60
    ws.row_dimensions[1].height = 40
    wb.save(path)

    out = _sheet(_write(frames, tmp_path, templates)[2], "执行记录")
    assert out["B1"].fill.fgColor.rgb == "FFFF0000"
    assert not out["B1"].font.b and out["B1"].font.name == "微软雅黑" and out["B1"].font.sz == 12
    assert out["B1"].font.color.rgb == "FF00FF00"
    assert out["C1"].fill.fgColor.rgb == "FFB8CCE4"       # accent 1, 60% lighter, as Excel shows it
    assert wbm._apply_tint("4F81BD", -0.249977111117893) == "366092"   # 25% darker
    assert out["N1"].fill.fgColor.rgb == "FFFFF2CC" and out["N1"].font.b   # untouched columns keep theirs
    assert _widths(out)["J"] == 60
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
    assert [ws[f"D{r}"].value for r in range(2, 5)] == ["1001", "1002", "C3"]
    assert [ws[f"O{r}"].value for r in range(2, 9)] == notes[:5] + [None, None]
    assert ws["O4"].data_type == "s"                          # "=1+1" stays text
    assert ws["M2"].value == datetime(2026, 10, 5)
    assert ws["M3"].value == datetime(2026, 10, 5, 8, 30)
    assert ws["M4"].value == datetime(2026, 10, 6)            # wall time of an aware timestamp
    assert ws["M5"].value == "不是日期"                         # kept as text, not lost
    assert ws["M6"].value is None and ws["M7"].value is None


def test_distinct_text_in_cells_repeated_text_shared(templates, tmp_path):
    # IDs and names (mostly distinct) are written in the cell; a tier repeated down the column
    # goes to the shared-string table once; text that needs escaping always goes there.
    n = 50
    ids = [f"C{i:03d}" for i in range(n)]
    awkward = ["  前导空格", "a & b", "_x0041_", "末尾全角空格\u3000"]
    names = awkward + [f"客户{i}" for i in range(len(awkward), n)]
    frame = pd.DataFrame({"客户ID": ids, "客户名称": names, "客户层级": ["核心客户"] * n})
    path = _write({"维护执行记录表": {"执行记录": frame}}, tmp_path, templates)[2]
    ws = _sheet(path, "执行记录")
    assert [ws[f"D{r}"].value for r in range(2, n + 2)] == ids
    assert [ws[f"E{r}"].value for r in range(2, n + 2)] == names
    assert [ws[f"H{r}"].value for r in range(2, n + 2)] == ["核心客户"] * n
    with zipfile.ZipFile(path) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
        sst = z.read("xl/sharedStrings.xml").decode()
    assert '<c r="D2" s="' in sheet_xml and "<is><t>C000</t></is>" in sheet_xml
    assert "C000" not in sst and sst.count("<t>核心客户</t>") == 1
    assert "前导空格" in sst and "_x005F_x0041_" in sst and "a &amp; b" in sst   # escaped, shared
    assert "前导空格" not in sheet_xml


def test_arrow_whitespace_class_is_pythons():
    # Arrow's regular expressions (RE2) know only ASCII \s; the flag for xml:space="preserve"
    # must catch every character Python's str.isspace() does.
    listed = {int(code, 16) for code in re.findall(r"\\x\{([0-9a-f]+)\}", wbm._SPACE_CLASS)}
    assert listed == {c for c in range(0x110000) if chr(c).isspace()}


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
        assert ws.max_row == rows + 1 and ws.freeze_panes == "D2"
        assert "共 10 行" in ws["A1"].comment.text and "客户策略_3" in ws["A1"].comment.text
        assert str(_validation(ws, "当前状态").sqref) == "F2:F5"   # never past the limit
        got += [ws[f"B{r}"].value for r in range(2, rows + 2)]
    assert got == list(plan["客户ID"])                       # nothing lost, order kept
    back = _read(path, "客户策略")
    assert back["客户ID"].tolist() == list(plan["客户ID"])


# --- reading back ------------------------------------------------------------------------------

def test_read_sheet_round_trip_with_staff_edits(frames, templates, tmp_path):
    path = _write(frames, tmp_path, templates)[2]
    wb = openpyxl.load_workbook(path)                        # staff fill it in Excel
    ws = wb["执行记录"]
    ws["M2"] = datetime(2026, 11, 3)
    ws["O2"] = "  满意，下月续单 "
    ws["N2"] = "成功"
    ws["N3"] = "待跟进"
    ws["D6"] = "C009"                                        # a row staff added
    ws["N6"] = "失败"
    wb.save(path)

    back = _read(path, "执行记录")
    assert back.columns.tolist() == SPEC_HEADERS["维护执行记录表"]["执行记录"]
    assert back.index.tolist() == [2, 3, 4, 6] and back.index.name == "行号"
    assert back.loc[2, "执行日期"] == pd.Timestamp("2026-11-03")
    assert back.loc[2, "客户反馈"] == "满意，下月续单"          # stripped
    assert back["结果标记"].tolist()[:2] == ["成功", "待跟进"] and pd.isna(back.loc[4, "结果标记"])
    assert back.loc[6, "客户ID"] == "C009"
    assert back.loc[3, "执行人"] == "李四"


def test_read_sheet_gives_values_as_excel_shows_them(frames, templates, tmp_path):
    # Read with calamine, which gives every number as a float, a date cell as a date and an
    # error cell as empty: read back as Excel shows them (and as staff typed them).
    path = _write(frames, tmp_path, templates)[2]
    wb = openpyxl.load_workbook(path)
    ws = wb["执行记录"]
    ws["M2"] = date(2026, 11, 3)                             # a date cell
    ws["M3"] = "2026/11/5"                                   # a date typed as text
    ws["M4"] = 46330                                         # a serial in the date column
    ws["O2"] = "#N/A"                                        # an error cell
    ws["O3"] = 12                                            # a whole number
    ws["O4"] = 2.5
    ws["N4"] = "   "                                         # blank text is no value
    ws["D9"] = "C009"                                        # rows 5-8 empty: skipped
    wb.save(path)
    back = _read(path, "执行记录")
    assert back.index.tolist() == [2, 3, 4, 9]
    assert back.loc[2, "执行日期"] == datetime(2026, 11, 3)
    assert back.loc[3, "执行日期"] == "2026/11/5"
    assert back.loc[2, "客户反馈"] == "#N/A"
    assert back.loc[3, "客户反馈"] == 12 and type(back.loc[3, "客户反馈"]) is int
    assert back.loc[4, "客户反馈"] == 2.5 and pd.isna(back.loc[4, "结果标记"])
    assert back.loc[2, "优先级"] == 1 and back.loc[9, "客户ID"] == "C009"
    # A number in a cell without a date format stays a number (the closed loop reads a
    # serial in 执行日期 as the date it stands for).
    assert back.loc[4, "执行日期"] == 46330


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
                            "截止时间": ["2026-11-03 18:00"], "触达内容": ["唤醒推荐：家居"]})
    skipped = pd.DataFrame({"名单": ["沉睡唤醒"], "原因": ["已退订"], "人数": [3]})
    path = _write({"营销活动执行表": {"沉睡唤醒": listing, "名单排除": skipped}}, tmp_path, templates)[3]
    ws = _sheet(path, "沉睡唤醒")
    assert ws["D2"].value == datetime(2026, 11, 2, 9, 30) and ws["D2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["F2"].value == datetime(2026, 11, 3, 18, 0)
    assert _sheet(path, "名单排除")["C2"].value == 3
    assert _read(path, "沉睡唤醒")["触达内容"].tolist() == ["唤醒推荐：家居"]


def test_english_run_writes_english_names_and_keeps_the_template_styles(templates, tmp_path):
    from analysis.vocab import language

    with language("en"):
        frame = pd.DataFrame({"Customer ID": ["C001"], "Result": ["Success"]})
        path = write_workbooks({"execution_log": {"execution": frame}}, tmp_path, MONTH,
                               template_dir=templates, only=["execution_log"])[0]
        assert path.name == f"Maintenance log_{MONTH}.xlsx"
        ws = _sheet(path, "Log")
        assert _header(ws)[:5] == ["Priority", "Due date", "Done by", "Customer ID", "Customer name"]
        assert _header(ws)[-4:] == ["Done on", "Result", "Customer feedback", "Task ID"]
        assert ws["D2"].value == "C001"
        assert ws["N1"].fill.fgColor.rgb == "FFFFF2CC"          # staff column: yellow, from the template
        assert _validation(ws, "Result").formula1 == '"Success,Follow up,Failed"'
        assert read_sheet(path, "execution")["Result"].tolist() == ["Success"]


# --- the to-do list (issue 12) -----------------------------------------------------------------

def test_each_owner_gets_a_sheet_of_their_own(frames, templates, tmp_path):
    execution = frames["维护执行记录表"]["执行记录"]
    owners = wbm.per_owner_sheets(execution)
    assert list(owners) == ["owner_tasks:张三", "owner_tasks:李四"]          # in the order they appear
    assert owners["owner_tasks:李四"]["客户ID"].tolist() == ["C002", "C003"]
    path = write_workbooks({"execution_log": {"execution": execution, **owners}}, tmp_path, MONTH,
                           template_dir=templates, only=["execution_log"])[0]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["执行记录", "工作量", "张三", "李四"]       # no template sheet 个人待办
    ws = wb["李四"]
    assert _header(ws) == TASKS and ws.freeze_panes == "F2"
    assert [ws[f"D{r}"].value for r in (2, 3)] == ["C002", "C003"] and ws.max_row == 3
    assert str(_validation(ws, "结果标记").sqref) == f"N2:N{2 + 1 + SPARE_ROWS}"
    _assert_prints_landscape_one_page_wide(ws, last_row=3)
    assert wbm.repeated_sheet_names(path, "execution_log") == ["张三", "李四"]
    assert _read(path, "李四")["客户ID"].tolist() == ["C002", "C003"]


def test_owner_sheet_names_are_excel_safe_and_unique():
    taken = ["执行记录", "工作量"]
    got = wbm.safe_sheet_names(["王思远", "运营/市场", "[客服]*", "工作量", "工作量", "'", "History",
                                "甲" * 40], taken=taken)
    assert got == ["王思远", "运营市场", "客服", "工作量(2)", "工作量(3)", "未分配", "未分配(2)", "甲" * 31]
    assert all(len(n) <= 31 for n in got)


def test_to_do_list_columns_widths_and_staff_checks(frames, templates, tmp_path):
    ws = _sheet(_write(frames, tmp_path, templates)[2], "执行记录")
    assert _header(ws) == TASKS
    # widths in Excel's character units: the definition's width + 0.71 (xlsxwriter's padding)
    widths = _widths(ws)
    assert [widths[c] for c in "ABCDEJNP"] == pytest.approx([6.71, 11.71, 10.71, 10.71, 18.71, 32.71, 9.71, 15.71],
                                                            abs=0.01)
    assert ws["A2"].value == 1 and ws["B2"].value == datetime(2026, 11, 3) and ws["B2"].number_format == "yyyy-mm-dd"
    assert ws["E2"].value == "杭州甲有限公司" and ws["F2"].value == "13812345678" and ws["I2"].value == "累计52.3万元"
    assert ws["L2"].value == pytest.approx(12345.6) and ws["L2"].number_format == "#,##0.00"
    # 执行日期: a real date between the month's first day and a year later, with a note and an alert
    dv = _validation(ws, "执行日期")
    assert dv.type == "date" and dv.operator in (None, "between")     # absent: Excel's default, between
    assert (dv.formula1, dv.formula2) == ("46296", "46661")          # 2026-10-01 and 2027-10-01 as serials
    assert (datetime(1899, 12, 30) + pd.Timedelta(days=46296)).date() == date(2026, 10, 1)
    assert dv.showErrorMessage and "2026-10-01 至 2027-10-01" in dv.error and dv.prompt == "填写实际联系客户的日期"
    assert str(dv.sqref) == f"M2:M{3 + 1 + SPARE_ROWS}"
    assert ws.column_dimensions["M"].number_format == "yyyy-mm-dd"
    assert _validation(ws, "客户反馈").prompt.startswith("客户的原话")


def test_campaign_columns_fit_each_channel(templates, tmp_path):
    campaign = pd.DataFrame({"活动名称": ["电话挽回", "短信唤醒", "战略维护"], "触达渠道": ["电话", "短信", "电话/企微"],
                             "目标客户数": [10, 200, 5]})
    ws = _sheet(_write({"营销活动执行表": {"活动执行": campaign}}, tmp_path, templates)[3], "活动执行")
    # counts staff type: whole numbers ≥ 0
    sent = _validation(ws, "实际发送数")
    assert sent.type == "whole" and sent.operator == "greaterThanOrEqual" and sent.formula1 == "0"
    assert _validation(ws, "成交/转化数").type == "whole"
    # 接通数 only on call rows; 送达/打开/点击 only on message rows: refused elsewhere and greyed out
    connected = _validation(ws, "接通数")
    assert connected.type == "custom" and 'SEARCH("电话",$D2)' in connected.formula1
    opens = _validation(ws, "打开数")
    assert 'SEARCH("短信",$D2)' in opens.formula1 and 'SEARCH("企微",$D2)' in opens.formula1
    assert "仅短信/企微/微信/邮件渠道" in opens.prompt
    grey = {str(rng.sqref): [r.formula[0] for r in rng.rules] for rng in ws.conditional_formatting}
    assert grey[f"K2:K{3 + 1 + SPARE_ROWS}"] == ['NOT(OR(ISNUMBER(SEARCH("电话",$D2))))']
    assert f"I2:I{3 + 1 + SPARE_ROWS}" in grey and f"H2:H{3 + 1 + SPARE_ROWS}" in grey

    def applies(formula: str, channel: str) -> bool:      # Excel's SEARCH, worked by hand
        words = [w.split('"')[1] for w in formula.split("SEARCH(")[1:]]
        return any(w in channel for w in words)

    assert [applies(connected.formula1, c) for c in campaign["触达渠道"]] == [True, False, True]
    assert [applies(opens.formula1, c) for c in campaign["触达渠道"]] == [False, True, True]


def test_with_masked_copy_writes_both_and_refuses_a_leaking_copy(frames, templates, tmp_path, monkeypatch):
    paths, masked = wbm.write_with_masked_copy(_keys(frames), tmp_path, MONTH, suffix="_脱敏",
                                               template_dir=templates, only=["customer_info"])
    assert [p.name for p in paths] == [f"客户基础信息表_{MONTH}.xlsx"]
    assert [p.name for p in masked] == [f"客户基础信息表_{MONTH}_脱敏.xlsx"]
    assert _sheet(paths[0], "客户基础信息")["C2"].value == "13812345678"
    assert _sheet(masked[0], "客户基础信息")["C2"].value == "138****5678"
    # a copy the check finds personal data in is not written
    from analysis.outputs import privacy

    monkeypatch.setattr(privacy, "mask_workbook_sheets", lambda sheets: sheets)
    with pytest.raises(KitError, match="仍有未脱敏.*138\\*\\*\\*\\*5678"):
        wbm.write_with_masked_copy(_keys(frames), tmp_path / "again", MONTH, suffix="_脱敏",
                                   template_dir=templates, only=["customer_info"])
    assert [p.name for p in (tmp_path / "again").glob("*.xlsx")] == [f"客户基础信息表_{MONTH}.xlsx"]
