"""The Excel workbooks staff work from (SPEC §8): definitions, templates, writing, reading back.

Three pieces:

* :data:`WORKBOOKS` — every workbook, sheet and column as data (vocabulary key, kind, width,
  drop-down choices, who fills it). Adding a sheet is adding an entry; nothing else changes.
  A sheet of :data:`REPEATED_SHEETS` is written once per owner (:func:`per_owner_sheets`),
  split from the full list (:data:`REPEATED_FROM`) unless handed over.
  Code names workbooks, sheets and columns by key (``execution_log`` / ``execution`` /
  ``result``); names and headers come from analysis/vocab/workbooks.yml in the run's language.
* :func:`build_templates` writes one styled ``templates/workbooks/<key>.xlsx`` per workbook.
  A company restyles those files in Excel (header colours, fonts, borders, column widths,
  number formats, header height) without touching code.
* :func:`write_workbooks` reads the style of each template with openpyxl, has xlsxwriter build
  the workbook (formats, widths, header, filter, drop-downs, date and count checks, print
  settings: A4 landscape, one page wide, header row on every page) and streams the data rows
  into it as SpreadsheetML, one pre-built format per column. xlsxwriter's own per-cell path
  costs ~10 µs a cell, ~28 s for 100k customers; openpyxl is slower still.
  :func:`read_sheet` reads a staff-filled sheet back for next month's closed loop.

Headers, column order and drop-down choices always come from :data:`WORKBOOKS`, never from the
template: the closed loop reads the files back by those headers and values. Frames handed to
:func:`write_workbooks` carry header texts (``text("column.<key>")``) as column names.

Examples
--------
>>> [c.header for c in WORKBOOKS["execution_log"]["execution"]][:6]
['优先级', '时间节点', '执行人', '客户ID', '客户名称', '电话']
>>> column("execution_log", "execution", "result").choices
('成功', '待跟进', '失败')
"""

from __future__ import annotations

import colorsys
import io
import logging
import math
import os
import queue
import re
import threading
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from itertools import repeat
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import python_calamine as calamine
import xlsxwriter
from openpyxl.styles.colors import COLOR_INDEX
from openpyxl.utils import coordinate_to_tuple
from openpyxl.utils.exceptions import InvalidFileException
from xlsxwriter.exceptions import XlsxWriterException
from xlsxwriter.utility import xl_col_to_name

from analysis.config import TEMPLATES_DIR
from analysis.errors import KitError
from analysis.vocab import all_labels, join, text

__all__ = [
    "Column", "WORKBOOKS", "AUTOMATION_LISTS", "KIND_FORMATS", "EXCEL_MAX_ROWS", "SPARE_ROWS",
    "column", "headers", "workbook_name", "sheet_name", "workbook_path", "build_templates",
    "write_workbooks", "write_with_masked_copy", "read_sheet", "REPEATED_SHEETS", "FROZEN_COLUMNS", "per_owner_sheets",
    "safe_sheet_names", "repeated_sheet_names", "open_workbook", "WorkbookReader",
]

logger = logging.getLogger(__name__)

# Excel's hard limit per sheet, header included. Module-level so tests can shrink it.
EXCEL_MAX_ROWS = 1_048_576
# Empty rows below the data that still carry drop-downs and formulas, for rows staff add.
SPARE_ROWS = 500

# Column kind -> the number format a column gets when its template does not set one.
KIND_FORMATS: dict[str, str] = {
    "text": "@",                   # typed phone numbers and IDs stay text
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "money": "#,##0.00",           # 元, the unit is in the header
    "int": "#,##0",
    "percent": "0.0%",             # values are fractions: 0.25 shows as 25.0%
}

# Fixed document dates keep the bytes of a file a function of its content only.
TEMPLATE_CREATED = datetime(2024, 1, 1)

# Default header styles of the shipped templates (xlsxwriter format properties). Columns staff
# fill get a yellow header so they see at a glance what is theirs.
_HEADER_BASE = {
    "bold": True, "text_wrap": True, "align": "center", "valign": "vcenter",
    "border": 1, "font_color": "#1F2D3D",
}
HEADER_STYLE = {**_HEADER_BASE, "bg_color": "#DDEBF7", "border_color": "#9BC2E6"}
STAFF_HEADER_STYLE = {**_HEADER_BASE, "bg_color": "#FFF2CC", "border_color": "#FFD966"}
HEADER_HEIGHT = 30  # points


@dataclass(frozen=True)
class Column:
    """One column of a workbook sheet.

    Parameters
    ----------
    key : the column's vocabulary key (``column.<key>`` in analysis/vocab/workbooks.yml); its
        label in the run's language is the exact header (SPEC §8) the closed loop reads back by.
    kind : ``text``, ``date``, ``datetime``, ``money`` (元), ``int`` or ``percent`` (a fraction).
    width : default width in Excel character units (the template may override it).
    choice_keys : vocabulary keys of the drop-down values for the data rows, or None.
    filled_by_staff : staff fill this column by hand (it gets a yellow header and, with
        choices, a drop-down).
    formula : an Excel formula per row with other columns named by key in braces, e.g.
        ``'=IFERROR({conversions}/{sent},"")'``; written where the data leave the cell empty.
    channel_keys : vocabulary keys of the channels (电话 …) the column applies to: on a row
        whose 触达渠道 names none of them the cell is greyed out and refuses input.
    hint_key : vocabulary key of the note Excel shows when a staff cell is selected.
    """

    key: str
    kind: str = "text"
    width: float = 14
    choice_keys: tuple[str, ...] | None = None
    filled_by_staff: bool = False
    formula: str | None = None
    channel_keys: tuple[str, ...] | None = None
    hint_key: str | None = None

    def __post_init__(self):
        if self.kind not in KIND_FORMATS:
            raise ValueError(f"{self.key}: unknown kind {self.kind!r}")

    @property
    def header(self) -> str:
        """The header text in the run's language."""
        return text(f"column.{self.key}")

    @property
    def choices(self) -> tuple[str, ...] | None:
        """The drop-down values in the run's language (Excel keeps at most 255 characters)."""
        if self.choice_keys is None:
            return None
        return tuple(text(k) for k in self.choice_keys)


_STATUS_CHOICES = ("choice.status.todo", "choice.status.doing", "choice.status.done",
                   "choice.status.paused")

# Channel words (vocabulary keys) of calls and of messages: the campaign columns that apply to
# one kind of touch only (接通数 for calls; 送达/打开/点击 for messages).
_CALLS = ("automation.channel.phone",)
_MESSAGES = ("clean.channel.sms", "clean.channel.wecom", "automation.channel.wechat", "clean.channel.email")

# The automation lists of the campaign workbook, in sheet order (sheet key = "list_" + name).
AUTOMATION_LISTS = ("sleeping", "welcome", "birthday", "high_value", "negative_feedback",
                    "post_purchase")
_AUTOMATION_LIST = (
    Column("customer_id", width=11),
    Column("tier", width=12),
    Column("channel", width=9),
    Column("send_time", "datetime", width=16),
    Column("content", width=30),
    Column("deadline", "datetime", width=16),
    Column("owner", width=12),
    Column("remark", width=36),
)

# The to-do list of 执行记录 and of each owner's own sheet: who, why, what, by when, in which
# order — then the three columns staff fill.
_TASKS = (
    Column("priority", "int", width=6),
    Column("due_date", "date", width=11),
    Column("executor", width=10),
    Column("customer_id", width=10),
    Column("customer_name", width=18),
    Column("phone", width=13),
    Column("email", width=18),
    Column("tier", width=11),
    Column("reason", width=26),
    Column("action", width=32),
    Column("channel", width=7),
    Column("value_at_risk", "money", width=11),
    Column("executed_on", "date", width=11, filled_by_staff=True, hint_key="workbooks.hint.executed_on"),
    Column("result", width=9, choice_keys=("choice.result.success", "choice.result.follow_up",
                                           "choice.result.failed"),
           filled_by_staff=True, hint_key="workbooks.hint.result"),
    Column("feedback", width=22, filled_by_staff=True, hint_key="workbooks.hint.feedback"),
    Column("task_id", width=15),
)

# A sheet repeated once per owner: frames are handed over as ``"<sheet>:<owner>"`` (see
# :func:`per_owner_sheets`) and each gets a sheet named after its owner. Without such frames,
# they are split from the workbook's full list (REPEATED_FROM) when it is written — so a masked
# copy's owner sheets are the masked full list's rows, masked and checked once.
REPEATED_SHEETS = {"owner_tasks": "execution_log"}
REPEATED_FROM = {"owner_tasks": "execution"}
# Columns kept in view when scrolling right (the template may change it).
FROZEN_COLUMNS = {"execution": 5, "owner_tasks": 5, "customer_strategy": 3, "info": 2}

# workbook -> sheet -> columns, in the order they appear, all by vocabulary key (labels in
# analysis/vocab/workbooks.yml). Later sheets are added here.
WORKBOOKS: dict[str, dict[str, tuple[Column, ...]]] = {
    "customer_info": {
        "info": (
            Column("customer_id", width=11),
            Column("customer_name", width=24),
            Column("phone", width=14),
            Column("email", width=22),
            Column("industry", width=16),
            Column("region", width=16),
            Column("company_size", width=10),
            Column("first_purchase", "date", width=12),
            Column("last_purchase", "date", width=12),
            Column("total_spend", "money", width=14),
            Column("tier", width=12),
            Column("labels", width=28),
            Column("account_manager", width=10),
        ),
        # The data-quality report of step 01 (SPEC §4): what was checked, fixed and set aside.
        "quality_report": (
            Column("category", width=12),
            Column("item", width=36),
            Column("value", width=14),
            Column("target", width=10),
            Column("met", width=10),
            Column("note", width=40),
        ),
        "quarantine": (
            Column("table", width=12),
            Column("source_file", width=22),
            Column("source_row", "int", width=10),
            Column("column", width=14),
            Column("raw_value", width=20),
            Column("reason", width=22),
        ),
        "merges": (
            Column("kept_id", width=14),
            Column("merged_ids", width=30),
            Column("n_merged", "int", width=10),
            Column("matched_on", width=24),
        ),
    },
    "tier_strategy": {
        "tier_strategy": (
            Column("tier_level", width=13),
            Column("features", width=30),
            Column("strategy", width=60),
            Column("owner", width=12),
            Column("cycle", width=11),
            Column("customers", "int", width=10),
            Column("share", "percent", width=9),
        ),
        "customer_strategy": (
            Column("tier", width=11),
            Column("customer_id", width=10),
            Column("customer_name", width=18),
            Column("features", width=30),
            Column("strategy", width=40),
            Column("status", width=9, choice_keys=_STATUS_CHOICES, filled_by_staff=True),
            Column("next_action", width=34),
            Column("channel", width=7),
            Column("owner", width=10),
            Column("due_date", "date", width=11),
            Column("priority", "int", width=6),
            # Last: the stable task id a rerun of the month merges on.
            Column("task_id", width=15),
        ),
    },
    "execution_log": {
        "execution": _TASKS,
        "workload": (
            Column("owner", width=14),
            Column("tasks", "int", width=9),
            Column("calls", "int", width=9),
            Column("due_this_week", "int", width=9),
            Column("value_at_risk", "money", width=14),
            Column("first_due", "date", width=11),
            Column("last_due", "date", width=11),
            Column("beyond_month_end", "int", width=11),
        ),
        "owner_tasks": _TASKS,
    },
    "campaign": {
        "campaign": (
            Column("campaign_name", width=22),
            Column("target_label", width=12),
            Column("content", width=34),
            Column("channel", width=10),
            Column("send_time", "datetime", width=16),
            Column("target_count", "int", width=9),
            Column("sent", "int", width=9, filled_by_staff=True, hint_key="workbooks.hint.sent"),
            # A column only for calls or only for messages is greyed out and locked on the
            # rows of the other kind (a 电话/企微 row takes both).
            Column("delivered", "int", width=8, filled_by_staff=True, channel_keys=_MESSAGES),
            Column("opens", "int", width=8, filled_by_staff=True, channel_keys=_MESSAGES),
            Column("clicks", "int", width=8, filled_by_staff=True, channel_keys=_MESSAGES),
            Column("connected", "int", width=8, filled_by_staff=True, channel_keys=_CALLS),
            Column("conversions", "int", width=9, filled_by_staff=True, hint_key="workbooks.hint.conversions"),
            # Live in Excel: it updates as staff type the counts in.
            Column("conversion_rate", "percent", width=8, formula='=IFERROR({conversions}/{sent},"")'),
            Column("owner", width=16),
        ),
        # The automation target lists (SPEC §8): the kit lists who and what, sending is done
        # elsewhere. One sheet per list, same columns; list_exclusions says who was left out.
        **{f"list_{name}": _AUTOMATION_LIST for name in AUTOMATION_LISTS},
        "list_exclusions": (
            Column("list", width=14),
            Column("reason", width=40),
            Column("count", "int", width=9),
        ),
    },
    "review": {
        "review": (
            Column("period", width=9),
            Column("flow", width=22),
            Column("kpi", width=14),
            Column("target", width=28),
            Column("actual", width=34),
            Column("problem", width=36, filled_by_staff=True),
            Column("improvement", width=30, filled_by_staff=True),
            Column("owner", width=16),
        ),
    },
}


def workbook_name(workbook: str) -> str:
    """A workbook's name in the run's language (its file name stem): ``客户基础信息表``."""
    return text(f"workbook.{workbook}")


def sheet_name(sheet: str) -> str:
    """A sheet's name in the run's language: ``执行记录``."""
    return text(f"sheet.{sheet}")


def column(workbook: str, sheet: str, key: str) -> Column:
    """The definition of one column; KitError naming what is unknown.

    Examples
    --------
    >>> column("execution_log", "execution", "result").choices
    ('成功', '待跟进', '失败')
    """
    for col in _sheet_columns(workbook, sheet):
        if col.key == key:
            return col
    raise KitError(text("workbooks.error.unknown_column", workbook=workbook_name(workbook),
                        sheet=sheet_name(sheet), column=key))


def headers(workbook: str, sheet: str) -> list[str]:
    """The exact header row of a sheet in the run's language.

    Examples
    --------
    >>> headers("execution_log", "execution")[-4:]
    ['执行日期', '结果标记', '客户反馈', '任务编号']
    """
    return [c.header for c in _sheet_columns(workbook, sheet)]


def workbook_path(out_dir: str | Path, workbook: str, month: str, suffix: str = "") -> Path:
    """Where :func:`write_workbooks` puts a workbook: ``out_dir/<工作簿>_<YYYY-MM><suffix>.xlsx``."""
    return Path(out_dir) / f"{workbook_name(workbook)}_{month}{suffix}.xlsx"


def per_owner_sheets(execution: pd.DataFrame, sheet: str = "owner_tasks") -> dict[str, pd.DataFrame]:
    """One frame per owner (执行人) of a to-do list, keyed ``"<sheet>:<owner>"`` for
    :func:`write_workbooks`, owners in the order they first appear; each sheet is named after
    its owner (:func:`safe_sheet_names`).

    Examples
    --------
    >>> tasks = pd.DataFrame({"执行人": ["王", "李", "王"], "客户ID": ["A", "B", "C"]})
    >>> {k: v["客户ID"].tolist() for k, v in per_owner_sheets(tasks).items()}
    {'owner_tasks:王': ['A', 'C'], 'owner_tasks:李': ['B']}
    """
    owner = text("column.executor")
    if owner not in execution or not len(execution):
        return {}
    names = execution[owner].astype(object).where(execution[owner].notna(), text("workbooks.no_owner"))
    return {f"{sheet}:{name}": rows.reset_index(drop=True)
            for name, rows in execution.groupby(names, sort=False)}


# Characters Excel refuses in a sheet name, and its length limit.
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
_SHEET_NAME_MAX = 31


def safe_sheet_names(wanted: list[str], taken: list[str] = ()) -> list[str]:
    """Excel-valid, unique sheet names for ``wanted`` (e.g. owners), beside the ``taken`` ones:
    the characters Excel refuses (``[ ] : * ? /`` and the backslash) dropped, at most 31 characters, no leading or trailing apostrophe, never blank
    or ``History``, a repeat (Excel compares without case) numbered ``(2)``, ``(3)`` ….

    >>> safe_sheet_names(["王思远", "a/b", "执行记录", "x" * 40, "A/B"], taken=["执行记录"])
    ['王思远', 'ab', '执行记录(2)', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'AB(2)']
    """
    used = {name.casefold() for name in taken}
    out = []
    for name in wanted:
        base = _SHEET_NAME_BAD.sub("", str(name)).strip().strip("'").strip()[:_SHEET_NAME_MAX]
        if not base or base.casefold() == "history":
            base = text("workbooks.no_owner")
        candidate, n = base, 1
        while candidate.casefold() in used:
            n += 1
            suffix = f"({n})"
            candidate = base[:_SHEET_NAME_MAX - len(suffix)] + suffix
        used.add(candidate.casefold())
        out.append(candidate)
    return out


def _base_sheet(workbook: str, sheet: str) -> str:
    """The definition a frame's sheet key uses: ``owner_tasks:王思远`` -> ``owner_tasks``."""
    base = sheet.split(":", 1)[0]
    return base if REPEATED_SHEETS.get(base) == workbook and ":" in sheet else sheet


def _sheet_columns(workbook: str, sheet: str) -> tuple[Column, ...]:
    if workbook not in WORKBOOKS:
        raise KitError(text("workbooks.error.unknown_workbook", workbook=workbook,
                            available=join(WORKBOOKS)))
    if sheet not in WORKBOOKS[workbook]:
        raise KitError(text("workbooks.error.unknown_sheet", workbook=workbook_name(workbook),
                            sheet=sheet, available=join(WORKBOOKS[workbook])))
    return WORKBOOKS[workbook][sheet]


# --------------------------------------------------------------------------------------------
# Templates


def _width_pixels(width: float) -> int:
    # Excel's conversion for the default font (Calibri 11, max digit width 7 px).
    return 0 if width <= 0 else int(width * 12 + 0.5) if width < 1 else int(width * 7 + 0.5) + 5


def build_templates(template_dir: Path = TEMPLATES_DIR / "workbooks") -> list[Path]:
    """Write one styled template per workbook into ``template_dir``; returns the paths.

    Each sheet has its header row (styled, ``HEADER_HEIGHT`` points high), column widths,
    a number format per column, a frozen header and a filter. The bytes depend only on
    :data:`WORKBOOKS` (fixed document dates), so rebuilding gives identical files.

    Examples
    --------
    >>> [p.name for p in build_templates(tmp_path)]  # doctest: +SKIP
    ['customer_info.xlsx', 'tier_strategy.xlsx', 'execution_log.xlsx', 'campaign.xlsx', 'review.xlsx']
    """
    template_dir = Path(template_dir)
    template_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, sheets in WORKBOOKS.items():
        path = template_dir / f"{name}.xlsx"
        with _atomic_xlsx(path) as tmp:
            wb = xlsxwriter.Workbook(tmp)
            wb.set_properties({"title": workbook_name(name) + text("workbook.template_suffix"),
                               "author": text("workbook.author"),
                               "comments": text("workbook.template_note"),
                               "created": TEMPLATE_CREATED})
            for sheet, columns in sheets.items():
                ws = wb.add_worksheet(sheet_name(sheet))
                ws.set_row(0, HEADER_HEIGHT)
                for j, col in enumerate(columns):
                    data_format = wb.add_format({"num_format": KIND_FORMATS[col.kind]})
                    ws.set_column(j, j, col.width, data_format)
                    style = STAFF_HEADER_STYLE if col.filled_by_staff else HEADER_STYLE
                    ws.write_string(0, j, col.header, wb.add_format(style))
                ws.freeze_panes(1, FROZEN_COLUMNS.get(sheet, 0))
                ws.autofilter(0, 0, 0, len(columns) - 1)
                _print_settings(ws, workbook_name(name), 1, len(columns))
            wb.close()
        paths.append(path)
    return paths


def _print_settings(ws, title: str, rows: int, columns: int) -> None:
    """A4 landscape, one page wide, the header row on every page, the data as print area,
    the workbook's name on top and the sheet and page number below."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.print_area(0, 0, max(rows - 1, 0), columns - 1)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_header("&C" + title.replace("&", "&&"))
    ws.set_footer("&L&A&R" + text("workbooks.print.page").replace("&", "&&")
                  .replace("{page}", "&P").replace("{pages}", "&N"))


@dataclass
class _SheetStyle:
    header: list[dict]        # xlsxwriter format properties per column
    data: list[dict]
    width_px: list[int]
    header_height: float | None
    freeze: tuple[int, int]   # (rows, cols) frozen


def _default_style(columns: tuple[Column, ...], sheet: str = "") -> _SheetStyle:
    return _SheetStyle(
        header=[dict(STAFF_HEADER_STYLE if c.filled_by_staff else HEADER_STYLE) for c in columns],
        data=[{"num_format": KIND_FORMATS[c.kind]} for c in columns],
        width_px=[_width_pixels(c.width) for c in columns],
        header_height=HEADER_HEIGHT,
        freeze=(1, FROZEN_COLUMNS.get(sheet, 0)),
    )


def _read_template(path: Path, workbook: str) -> dict[str, _SheetStyle]:
    """The style of each sheet of a template, matched to the definitions by sheet name and
    header text — or, in a template written in another language, by position."""
    if not path.exists():
        raise KitError(text("workbooks.error.template_missing", path=path))
    try:
        wb = openpyxl.load_workbook(path)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as err:
        raise KitError(text("workbooks.error.template_unreadable", path=path, error=err)) from err
    theme = _theme_colors(wb.loaded_theme)
    styles = {}
    for position, (sheet, columns) in enumerate(WORKBOOKS[workbook].items()):
        default = _default_style(columns, sheet)
        name = sheet_name(sheet)
        if name not in wb.sheetnames and position >= len(wb.sheetnames):
            logger.warning(text("workbooks.log.template_no_sheet"), path.name, name)
            styles[sheet] = default
            continue
        ws = wb[name] if name in wb.sheetnames else wb.worksheets[position]
        header_cells = {str(c.value).strip(): c for c in ws[1] if c.value is not None}
        by_position = [c for c in ws[1]]
        dims = {}
        for dim in ws.column_dimensions.values():
            for idx in range(dim.min or 1, (dim.max or dim.min or 1) + 1):
                dims[idx] = dim
        style = _SheetStyle([], [], [], ws.row_dimensions[1].height, (1, 0))
        if ws.freeze_panes:
            row, col = coordinate_to_tuple(ws.freeze_panes)
            style.freeze = (max(row - 1, 1), col - 1)
        first_header = next(iter(header_cells.values()), None)
        for j, col in enumerate(columns):
            cell = header_cells.get(col.header)
            if cell is None and name not in wb.sheetnames and j < len(by_position):
                cell = by_position[j]  # a template in another language: same column order
            if cell is None:
                logger.warning(text("workbooks.log.template_no_column"), path.name, name, col.header)
                style.header.append(_cell_props(first_header, theme) if first_header is not None
                                    else default.header[j])
                style.data.append(default.data[j])
                style.width_px.append(default.width_px[j])
                continue
            dim = dims.get(cell.column)
            data = _cell_props(dim, theme) if dim is not None else {}
            if col.kind != "text" and "num_format" not in data:
                data["num_format"] = KIND_FORMATS[col.kind]  # a General date shows as a serial
            style.header.append(_cell_props(cell, theme))
            style.data.append(data)
            width = dim.width if dim is not None and dim.customWidth and dim.width else None
            style.width_px.append(round(width * 7) if width else 64)  # 64 px = Excel's 8.43
        styles[sheet] = style
    wb.close()
    return styles


# openpyxl style names -> xlsxwriter codes.
_PATTERNS = ["none", "solid", "mediumGray", "darkGray", "lightGray", "darkHorizontal",
             "darkVertical", "darkDown", "darkUp", "darkGrid", "darkTrellis", "lightHorizontal",
             "lightVertical", "lightDown", "lightUp", "lightGrid", "lightTrellis", "gray125",
             "gray0625"]
_BORDERS = {"thin": 1, "medium": 2, "dashed": 3, "dotted": 4, "thick": 5, "double": 6,
            "hair": 7, "mediumDashed": 8, "dashDot": 9, "mediumDashDot": 10, "dashDotDot": 11,
            "mediumDashDotDot": 12, "slantDashDot": 13}
_HALIGN = {"left": "left", "center": "center", "right": "right", "fill": "fill",
           "justify": "justify", "centerContinuous": "center_across", "distributed": "distributed"}
_VALIGN = {"top": "top", "center": "vcenter", "bottom": "bottom", "justify": "vjustify",
           "distributed": "vdistributed"}
_UNDERLINE = {"single": 1, "double": 2, "singleAccounting": 33, "doubleAccounting": 34}


def _cell_props(obj, theme: list[str]) -> dict:
    """xlsxwriter format properties equivalent to an openpyxl cell's or column's style."""
    props: dict = {}
    font = obj.font
    if font is not None:
        if font.name:
            props["font_name"] = font.name
        if font.sz:
            props["font_size"] = int(font.sz) if float(font.sz).is_integer() else float(font.sz)
        if font.b:
            props["bold"] = True
        if font.i:
            props["italic"] = True
        if font.strike:
            props["font_strikeout"] = True
        if font.u in _UNDERLINE:
            props["underline"] = _UNDERLINE[font.u]
        if font.vertAlign in ("superscript", "subscript"):
            props["font_script"] = 1 if font.vertAlign == "superscript" else 2
        color = _color(font.color, theme)
        if color:
            props["font_color"] = color
    fill = obj.fill  # a style proxy: ask for the attribute, not the class (gradients have none)
    if getattr(fill, "patternType", None) in _PATTERNS[1:]:
        props["pattern"] = _PATTERNS.index(fill.patternType)
        fg, bg = _color(fill.fgColor, theme), _color(fill.bgColor, theme)
        if fill.patternType == "solid":
            if fg:
                props["bg_color"] = fg  # xlsxwriter's name for a solid fill's colour
        else:
            if fg:
                props["fg_color"] = fg
            if bg:
                props["bg_color"] = bg
    border = obj.border
    if border is not None:
        for side in ("left", "right", "top", "bottom"):
            edge = getattr(border, side)
            if edge is not None and edge.style in _BORDERS:
                props[side] = _BORDERS[edge.style]
                color = _color(edge.color, theme)
                if color:
                    props[f"{side}_color"] = color
    align = obj.alignment
    if align is not None:
        if align.horizontal in _HALIGN:
            props["align"] = _HALIGN[align.horizontal]
        if align.vertical in _VALIGN:
            props["valign"] = _VALIGN[align.vertical]
        if align.wrap_text:
            props["text_wrap"] = True
        if align.shrink_to_fit:
            props["shrink"] = True
        if align.indent:
            props["indent"] = int(align.indent)
        rotation = int(align.text_rotation or 0)
        if rotation:
            props["rotation"] = 270 if rotation == 255 else (90 - rotation if rotation > 90 else rotation)
    if obj.number_format and obj.number_format != "General":
        props["num_format"] = obj.number_format
    return props


def _theme_colors(theme_xml: bytes | str | None) -> list[str]:
    """RRGGBB per theme colour index (Excel's order: lt1, dk1, lt2, dk2, accent1-6, links)."""
    if not theme_xml:
        return []
    try:
        root = ET.fromstring(theme_xml)
    except ET.ParseError:
        return []
    scheme = root.find(".//{http://schemas.openxmlformats.org/drawingml/2006/main}clrScheme")
    if scheme is None:
        return []
    colors = []
    for slot in scheme:  # dk1, lt1, dk2, lt2, accent1..6, hlink, folHlink
        value = next((el.get("lastClr") or el.get("val") for el in slot), None)
        colors.append(value or "000000")
    if len(colors) >= 4:  # cell styles number the light/dark pairs the other way round
        colors[0], colors[1], colors[2], colors[3] = colors[1], colors[0], colors[3], colors[2]
    return colors


def _color(color, theme: list[str]) -> str | None:
    """'#RRGGBB' for an openpyxl colour (rgb, indexed or theme with tint); None if unset."""
    if color is None:
        return None
    hex6 = None
    if color.type == "rgb" and isinstance(color.rgb, str) and len(color.rgb) >= 6:
        hex6 = color.rgb[-6:]
    elif color.type == "indexed" and isinstance(color.indexed, int) and color.indexed < len(COLOR_INDEX):
        hex6 = COLOR_INDEX[color.indexed][-6:]  # 64/65 are "system colour": left unset
    elif color.type == "theme" and isinstance(color.theme, int) and color.theme < len(theme):
        hex6 = theme[color.theme]
    if not hex6 or not re.fullmatch(r"[0-9A-Fa-f]{6}", hex6):
        return None
    tint = color.tint or 0.0
    if tint:
        hex6 = _apply_tint(hex6, tint)
    return "#" + hex6.upper()


def _apply_tint(hex6: str, tint: float) -> str:
    # Excel lightens (tint > 0) or darkens (tint < 0) the luminance in HLS space.
    r, g, b = (int(hex6[i:i + 2], 16) / 255 for i in (0, 2, 4))
    h, lum, s = colorsys.rgb_to_hls(r, g, b)
    lum = lum * (1 + tint) if tint < 0 else lum * (1 - tint) + tint
    # Truncating (not rounding) reproduces the shades Excel's palette shows.
    return "".join(f"{int(x * 255):02X}" for x in colorsys.hls_to_rgb(h, lum, s))


# --------------------------------------------------------------------------------------------
# Writing


_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_FIRST_SERIAL_DATE = pd.Timestamp("1900-03-01")  # before it Excel's 1900 leap-year bug bites
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def write_workbooks(sheets: dict[str, dict[str, pd.DataFrame]], out_dir: Path, month: str, *,
                    template_dir: Path = TEMPLATES_DIR / "workbooks", suffix: str = "",
                    only: list[str] | None = None) -> list[Path]:
    """Write every workbook of :data:`WORKBOOKS` for one month, styled from its template.

    Parameters
    ----------
    sheets : workbook key -> sheet key -> frame whose columns are that sheet's headers, in
        any order. A missing column is written blank; a missing sheet or workbook gets its
        header row only, ready for staff. Dates may be datetimes, dates or ISO strings;
        percents are fractions; NaN/NaT/None/"" become empty cells. A value that does not
        fit its column's kind is written as text rather than lost.
    out_dir : folder for ``<工作簿>_<month><suffix>.xlsx`` (created if needed).
    month : ``YYYY-MM``; the files' document date is the month's first day, so the same
        input always gives the same bytes.
    template_dir : where :func:`build_templates` wrote (and the company restyled) the templates.
    suffix : appended to the file names, e.g. ``"_脱敏"`` for masked copies to share.
    only : write just these workbooks (default: all).

    Each sheet gets its template's styles, a frozen header, a filter over header and data,
    drop-downs and per-row formulas over the data rows plus :data:`SPARE_ROWS` spare rows.
    Each owner of the to-do list gets a sheet of their rows (:data:`REPEATED_SHEETS`), split
    from the full list here unless ``"owner_tasks:<owner>"`` frames are given.
    A sheet above Excel's row limit continues on ``<sheet>_2``, ``<sheet>_3`` … each with a
    note on cell A1. Returns the paths written, in :data:`WORKBOOKS` order.

    Raises
    ------
    KitError
        An unknown workbook, sheet or column (named), a bad month, a missing template, or a
        file that cannot be replaced (e.g. open in Excel).

    Examples
    --------
    >>> frame = pd.DataFrame({"客户ID": ["C001"], "执行人": ["张三"], "动作描述": ["电话回访"]})
    >>> write_workbooks({"execution_log": {"execution": frame}}, out, "2026-10")  # doctest: +SKIP
    [PosixPath('.../客户基础信息表_2026-10.xlsx'), ...]
    """
    if not isinstance(month, str) or not _MONTH.fullmatch(month):
        raise KitError(text("workbooks.error.bad_month", month=repr(month)))
    selected = list(WORKBOOKS) if only is None else list(only)
    for name in list(sheets) + selected:
        if name not in WORKBOOKS:
            raise KitError(text("workbooks.error.unknown_workbook", workbook=name,
                                available=join(WORKBOOKS)))
    for name, frames in sheets.items():
        for sheet, frame in frames.items():
            expected = headers(name, _base_sheet(name, sheet))
            unknown = [c for c in frame.columns if c not in expected]
            if unknown:
                raise KitError(text("workbooks.error.unknown_columns", workbook=workbook_name(name),
                                    sheet=sheet_name(sheet), columns=join(map(str, unknown)),
                                    expected=join(expected)))
            if frame.columns.duplicated().any():
                dup = frame.columns[frame.columns.duplicated()].unique()
                raise KitError(text("workbooks.error.duplicate_columns", workbook=workbook_name(name),
                                    sheet=sheet_name(sheet), columns=join(map(str, dup))))

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    created = datetime(int(month[:4]), int(month[5:]), 1)
    # Every template is read before anything is written: a bad one leaves no partial run.
    templates = {name: _read_template(Path(template_dir) / f"{name}.xlsx", name)
                 for name in WORKBOOKS if name in selected}
    paths = []
    for name, styles in templates.items():
        frames = sheets.get(name, {})
        path = workbook_path(out_dir, name, month, suffix)
        # xlsxwriter writes everything but the data rows (styles, widths, header, filter,
        # drop-downs, notes) into memory; the data rows are then streamed into that package.
        skeleton = io.BytesIO()
        wb = xlsxwriter.Workbook(skeleton, {
            "in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
            "strings_to_urls": False,
        })
        wb.set_properties({"title": text("workbooks.title", workbook=workbook_name(name), month=month),
                           "author": text("workbook.author"), "created": created})
        formats: dict = {}
        blocks: list[_RowBlock] = []
        fixed = [sheet_name(sheet) for sheet in WORKBOOKS[name] if sheet not in REPEATED_SHEETS]
        for sheet, columns in WORKBOOKS[name].items():
            if sheet in REPEATED_SHEETS:
                owned = {k: frames[k] for k in frames if _base_sheet(name, k) == sheet and k != sheet}
                if not owned and frames.get(REPEATED_FROM[sheet]) is not None:
                    owned = per_owner_sheets(frames[REPEATED_FROM[sheet]], sheet)
                titles = safe_sheet_names([k.split(":", 1)[1] for k in owned], taken=fixed)
                parts = list(zip(titles, owned.values()))
            else:
                parts = [(sheet_name(sheet), frames.get(sheet))]
            for title, frame in parts:
                blocks += _add_sheet(wb, formats, title, columns, frame, styles[sheet],
                                     workbook_name(name), month)
        wb.close()
        with _atomic_xlsx(path) as tmp:
            _stream_rows(skeleton, blocks, tmp)
        paths.append(path)
    return paths


def write_with_masked_copy(sheets: dict[str, dict[str, pd.DataFrame]], out_dir: Path, month: str, *,
                           suffix: str, only: list[str] | None = None,
                           template_dir: Path = TEMPLATES_DIR / "workbooks") -> tuple[list[Path], list[Path]]:
    """The workbooks of ``sheets`` (as :func:`write_workbooks` writes them) and their masked
    copies for sharing (file names + ``suffix``): ``(paths, masked paths)``.

    The masked frames (:func:`analysis.outputs.privacy.mask_workbook_sheets`) are checked for
    any mobile number or e-mail address left (:func:`analysis.outputs.privacy.scan_sheets`)
    before the copy is written; the workbooks themselves are written in a second thread
    meanwhile — on two cores the two overlap. Call it a workbook at a time (``only``) to keep
    one workbook's masked frames in memory.

    Raises
    ------
    KitError
        The masked frames still hold personal data (the first findings named); the copy is
        not written.
    """
    from concurrent.futures import ThreadPoolExecutor

    from analysis.outputs.privacy import mask_workbook_sheets, scan_sheets

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlsx-write") as pool:
        internal = pool.submit(write_workbooks, sheets, out_dir, month, template_dir=template_dir, only=only)
        shared = mask_workbook_sheets(sheets)
        leaks = scan_sheets(shared)
        paths = internal.result()
    if leaks:
        raise KitError(text("privacy.error.unmasked", findings=join(leaks[:5])))
    return paths, write_workbooks(shared, out_dir, month, template_dir=template_dir, suffix=suffix, only=only)


class _atomic_xlsx:
    """Write to a temporary file beside ``path``; replace ``path`` only when complete."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def __enter__(self) -> str:
        # A plain open (not mkstemp) so the file gets the usual permissions.
        self.tmp = str(self.path.with_name(f".~{self.path.name}.part"))
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            Path(self.tmp).unlink(missing_ok=True)
            if issubclass(exc_type, (XlsxWriterException, OSError)):
                raise KitError(text("workbooks.error.cannot_write", path=self.path, error=exc)) from exc
            return False
        try:
            os.replace(self.tmp, self.path)
        except PermissionError as err:
            Path(self.tmp).unlink(missing_ok=True)
            raise KitError(text("workbooks.error.file_open", path=self.path)) from err
        return False


@dataclass
class _RowBlock:
    """Data rows of one worksheet, to be streamed into its XML after xlsxwriter is done."""

    sheet_number: int            # xl/worksheets/sheet<N>.xml
    cells: list[list | None]     # per column: values for rows lo:hi, or None (blank column)
    formats: list                # the xlsxwriter Format of each column
    formulas: dict[int, str]     # column -> pattern with {row}
    lo: int
    hi: int


def _add_sheet(wb, formats: dict, sheet: str, columns: tuple[Column, ...],
               frame: pd.DataFrame | None, style: _SheetStyle, title: str, month: str) -> list[_RowBlock]:
    """Add a sheet (and its continuation sheets past the row limit) without its data rows:
    header, widths, filter, frozen panes, staff checks (:func:`_staff_checks`) and print
    settings (``title``: the workbook's name for the page header)."""
    n = 0 if frame is None else len(frame)
    cells = [_cells(frame[c.header], c.kind) if frame is not None and c.header in frame else None
             for c in columns]
    formulas = {j: _formula_pattern(c.formula, columns) for j, c in enumerate(columns) if c.formula}
    header_fmt = [_format(wb, formats, p) for p in style.header]
    data_fmt = [_format(wb, formats, p) for p in style.data]

    per_sheet = EXCEL_MAX_ROWS - 1
    parts = max(1, math.ceil(n / per_sheet))
    names = [sheet] + [f"{sheet}_{k}" for k in range(2, parts + 1)]
    if parts > 1:
        logger.warning(text("workbooks.log.split", sheet=sheet, rows=n, parts=parts,
                            names=join(names)))
    blocks = []
    for k, name in enumerate(names):
        lo, hi = k * per_sheet, min(n, (k + 1) * per_sheet)
        rows = hi - lo
        last = min(rows + (SPARE_ROWS if k == parts - 1 else 0), per_sheet)  # last row index
        ws = wb.add_worksheet(name)
        for j in range(len(columns)):
            ws.set_column_pixels(j, j, style.width_px[j], data_fmt[j])
        if style.header_height:
            ws.set_row(0, style.header_height)
        for j, col in enumerate(columns):
            ws.write_string(0, j, col.header, header_fmt[j])
        # Spare rows get the formulas too, for rows staff add below the data.
        for r in range(rows + 1, last + 1):
            for j, pattern in formulas.items():
                ws.write_formula(r, j, pattern.replace("{row}", str(r + 1)), data_fmt[j], "")
        ws.freeze_panes(*style.freeze)
        ws.autofilter(0, 0, rows, len(columns) - 1)
        if last >= 1:
            _staff_checks(wb, ws, columns, last, month)
        _print_settings(ws, title, rows + 1, len(columns))
        if parts > 1:
            ws.write_comment(0, 0, text(
                "workbooks.note.split", rows=n, per_sheet=per_sheet, parts=parts,
                names=join(names), part=k + 1, first=lo + 1, last=hi),
                {"x_scale": 2.5, "y_scale": 1.5})
        if rows:
            blocks.append(_RowBlock(len(wb.worksheets()), cells, data_fmt, formulas, lo, hi))
    return blocks


def _staff_checks(wb, ws, columns: tuple[Column, ...], last: int, month: str) -> None:
    """What guides the person filling the sheet, on the data and spare rows (1..``last``):
    drop-downs; dates between the month's first day and a year later; whole numbers ≥ 0 for
    counts — on rows whose channel a column does not apply to (``channel_keys``), the cell is
    greyed out and takes nothing; and a note on selecting each staff cell."""
    letters = {c.key: xl_col_to_name(j) for j, c in enumerate(columns)}
    start = date(int(month[:4]), int(month[5:]), 1)
    for j, col in enumerate(columns):
        if not col.filled_by_staff:
            continue
        cell = f"{xl_col_to_name(j)}2"
        hint = text(col.hint_key) if col.hint_key else ""
        check: dict = {"input_title": col.header[:32]}
        if col.choices:
            check.update(validate="list", source=list(col.choices),
                         input_message=hint or text("workbooks.validation.input_message"),
                         error_message=text("workbooks.validation.error_message", choices="/".join(col.choices)))
        elif col.kind == "date":
            end = date(start.year + 1, start.month, 1)
            check.update(validate="date", criteria="between", minimum=start, maximum=end,
                         input_message=hint or text("workbooks.validation.date_input"),
                         error_message=text("workbooks.validation.date_error", first=start.isoformat(),
                                            last=end.isoformat()))
        elif col.kind == "int" and col.channel_keys and "channel" in letters:
            channels = [text(k) for k in col.channel_keys]
            applies = "OR(" + ",".join(f'ISNUMBER(SEARCH("{c}",${letters["channel"]}2))' for c in channels) + ")"
            check.update(validate="custom", value=f"=AND({applies},ISNUMBER({cell}),{cell}>=0,{cell}=INT({cell}))",
                         input_message=hint or text("workbooks.validation.channel_input", channels="/".join(channels)),
                         error_message=text("workbooks.validation.channel_error", channels="/".join(channels)))
            ws.conditional_format(1, j, last, j, {
                "type": "formula", "criteria": f"=NOT({applies})",
                "format": wb.add_format({"bg_color": "#D9D9D9", "pattern": 1})})
        elif col.kind == "int":
            check.update(validate="integer", criteria=">=", value=0,
                         input_message=hint or text("workbooks.validation.count_input"),
                         error_message=text("workbooks.validation.count_error"))
        elif hint:
            check.update(validate="any", input_message=hint)
        else:
            continue
        # Excel keeps at most 255 characters of a note or an alert.
        check["input_message"] = check["input_message"][:255]
        if "error_message" in check:
            check.update(error_title=text("workbooks.validation.error_title"),
                         error_message=check["error_message"][:255])
        ws.data_validation(1, j, last, j, check)


def _format(wb, cache: dict, props: dict):
    # One Format per distinct style and workbook, shared by every cell that uses it.
    key = tuple(sorted(props.items()))
    if key not in cache:
        cache[key] = wb.add_format(dict(props))
    return cache[key]


def _formula_pattern(formula: str, columns: tuple[Column, ...]) -> str:
    """``'=IFERROR({clicks}/{opens},"")'`` -> ``'=IFERROR(I{row}/H{row},"")'``."""
    letters = {c.key: xl_col_to_name(j) for j, c in enumerate(columns)}

    def letter(match):
        if match[1] not in letters:
            raise ValueError(f"formula {formula!r} names unknown column {match[1]!r}")
        return letters[match[1]] + "{row}"

    return re.sub(r"\{([^{}]+)\}", letter, formula)


# Data rows are written as SpreadsheetML directly: xlsxwriter's per-cell path costs ~10 µs a
# cell (28 s for 100k customers across the three big sheets); a Python format per cell ~1 µs;
# Arrow's string kernels, a column of a chunk at a time, ~0.2 µs. Text stays in Arrow until a
# chunk of rows is written, so a sheet's cells never exist as Python objects all at once.
# Repeated text (tiers, actions, owners) goes into the shared-string table, as Excel itself
# stores it; text that is mostly distinct within a chunk (IDs, names, phones) is written in
# the cell (an inline string, as xlsxwriter's constant-memory mode does): numbering a million
# distinct strings buys nothing but a dictionary of them.
_ROW_CHUNK = 20_000
_MAX_TEXT = 32_767  # Excel's limit on the characters in a cell
_NEEDS_CARE = re.compile(r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f]|_x[0-9A-Fa-f]{4}_|^\s|\s\Z")
# The same test for Arrow (RE2), a superset of it: flagged values go through _text_element,
# which decides exactly. RE2's \s is ASCII only, so Python's whitespace is listed.
_SPACE_CLASS = "[" + "".join(f"\\x{{{c:x}}}" for c in range(0x3001) if chr(c).isspace()) + "]"
_NEEDS_CARE_RE2 = rf"[&<>\x00-\x1f]|_x[0-9A-Fa-f]{{4}}_|^{_SPACE_CLASS}|{_SPACE_CLASS}$"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ESCAPED_LOOKALIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
_SST = "xl/sharedStrings.xml"
# Deflate level of the data rows and their strings: level 1 compresses ~4x faster than zlib's
# default (6) for files ~25% larger — most of the time a large workbook takes to write.
_ZIP_LEVEL = 1


class _SharedStrings:
    """The strings of the data rows, numbered after those xlsxwriter already stored."""

    def __init__(self, skeleton_sst: bytes):
        self.xml = skeleton_sst
        self.unique = int(re.search(rb'uniqueCount="(\d+)"', skeleton_sst)[1])  # the next number
        self.count = int(re.search(rb' count="(\d+)"', skeleton_sst)[1])
        self.index: dict[str, int] = {}
        self.items: list[bytes] = []  # the new <si> entries, in number order

    def numbers(self, values: pa.Array) -> np.ndarray:
        """The number of each of ``values`` (distinct text) in the table; new ones are added in
        the order given."""
        texts = values.to_pylist()
        found = np.fromiter(map(self.index.get, texts, repeat(-1)), dtype=np.int64, count=len(texts))
        new = np.flatnonzero(found < 0)
        if len(new):
            found[new] = np.arange(self.unique, self.unique + len(new))
            self.index.update(zip([texts[i] for i in new], found[new].tolist()))
            self.unique += len(new)
            items = pc.binary_join_element_wise("<si>", _text_elements(values.take(pa.array(new))), "</si>", "")
            self.items.append(bytes(_joined(items)))
        return found

    def merged(self) -> bytes:
        head, tail = self.xml.rsplit(b"</sst>", 1)
        head = re.sub(rb'uniqueCount="\d+"', f'uniqueCount="{self.unique}"'.encode(), head, count=1)
        head = re.sub(rb' count="\d+"', f' count="{self.count}"'.encode(), head, count=1)
        return head + b"".join(self.items) + b"</sst>" + tail


def _text_elements(values: pa.Array) -> pa.Array:
    """The ``<t>`` element of each text (null stays null): as it is where nothing needs care
    (the common case, done by Arrow), else escaped by :func:`_text_element`."""
    values = values.cast(pa.string())
    out = pc.binary_join_element_wise("<t>", values, "</t>", "")
    care = _needs_care(values)
    if pc.any(care).as_py():
        special = [_text_element(v) for v in values.filter(care).to_pylist()]
        out = pc.replace_with_mask(out, care, pa.array(special, pa.string()))
    return out


def _needs_care(values: pa.Array) -> pa.Array:
    """True where a text may need escaping (a superset of :data:`_NEEDS_CARE`), never null."""
    return pc.fill_null(pc.or_(pc.match_substring_regex(values, _NEEDS_CARE_RE2),
                               pc.greater(pc.utf8_length(values), _MAX_TEXT)), False)


def _text_element(value: str) -> str:
    """A ``<t>`` element, escaped the way Excel (and xlsxwriter) expect."""
    if _NEEDS_CARE.search(value) is None and len(value) <= _MAX_TEXT:
        return f"<t>{value}</t>"  # the common case: nothing to escape
    if len(value) > _MAX_TEXT:
        logger.warning(text("workbooks.log.truncated", limit=_MAX_TEXT, start=value[:20]))
        value = value[:_MAX_TEXT]
    # Excel reads "_xHHHH_" as an escaped character: protect literal ones, then escape the
    # characters XML cannot carry.
    value = _ESCAPED_LOOKALIKE.sub(r"_x005F_\1", value)
    value = _CONTROL.sub(lambda m: f"_x{ord(m[0]):04X}_", value)
    value = xml_escape(value).replace("\r", "&#13;")
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    return f"<t{space}>{value}</t>"


def _stream_rows(skeleton: io.BytesIO, blocks: list[_RowBlock], target: str) -> None:
    """Copy the xlsxwriter package to ``target``, inserting each block's rows after its header."""
    by_member = {f"xl/worksheets/sheet{b.sheet_number}.xml": b for b in blocks}
    with zipfile.ZipFile(skeleton) as src, \
            zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_ZIP_LEVEL) as dst:
        strings = _SharedStrings(src.read(_SST))  # the header row is always there
        for info in src.infolist():
            if info.filename == _SST:
                continue  # written last, once every sheet has added its strings
            data = src.read(info)
            block = by_member.get(info.filename)
            if block is None:
                dst.writestr(info, data)
                continue
            cut = data.index(b"</row>") + len(b"</row>")  # end of the header row
            head, tail = data[:cut], data[cut:]
            last_row = max(block.hi - block.lo + 1, _last_row(data))
            ref = f"A1:{xl_col_to_name(len(block.formats) - 1)}{last_row}"
            head = _DIMENSION.sub(f'<dimension ref="{ref}"/>'.encode(), head, count=1)
            large = (block.hi - block.lo) * len(block.formats) > 10_000_000
            with dst.open(_entry(info), "w", force_zip64=large) as out:
                out.write(head)
                _write_behind(out, _row_xml(block, strings))
                out.write(tail)
        dst.writestr(_entry(src.getinfo(_SST)), strings.merged())


def _write_behind(out, chunks) -> None:
    """Write ``chunks`` to ``out`` from a second thread: deflating a chunk (zlib lets go of the
    interpreter while it works) overlaps with building the next one's XML — on two cores the
    compression, a fifth of a large workbook's time, is mostly hidden. At most a few chunks
    wait in between."""
    waiting: queue.Queue = queue.Queue(maxsize=4)
    failed: list[BaseException] = []

    def drain():
        while (chunk := waiting.get()) is not None:
            if not failed:
                try:
                    out.write(chunk)
                except BaseException as err:  # handed back to the writing thread below
                    failed.append(err)

    worker = threading.Thread(target=drain, name="xlsx-deflate", daemon=True)
    worker.start()
    try:
        for chunk in chunks:
            if failed:
                break
            waiting.put(chunk)
    finally:
        waiting.put(None)
        worker.join()
    if failed:
        raise failed[0]


def _entry(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    # Same name and (fixed) date as xlsxwriter's member, so the bytes stay reproducible.
    entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry._compresslevel = _ZIP_LEVEL  # zipfile takes a member's level from its ZipInfo
    return entry


def _last_row(sheet_xml: bytes) -> int:
    found = re.search(rb'<dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"/>', sheet_xml)
    return int(found[1]) if found else 1


def _row_xml(block: _RowBlock, strings: _SharedStrings):
    """The ``<row>`` elements of a block as UTF-8 bytes, a chunk of rows at a time (Excel rows
    from 2). Built column-wise with Arrow string kernels: a few operations per column instead
    of a Python format per cell."""
    xf = [_xf_index(f) for f in block.formats]
    letters = [xl_col_to_name(j) for j in range(len(block.formats))]
    for start in range(block.lo, block.hi, _ROW_CHUNK):
        stop = min(start + _ROW_CHUNK, block.hi)
        first = start - block.lo + 2
        rows = pa.array(np.arange(first, first + stop - start, dtype=np.int64)).cast(pa.string())
        columns = []
        for j, cells in enumerate(block.cells):
            pattern = block.formulas.get(j)
            if cells is None and pattern is None:
                continue
            part = cells[start:stop] if cells is not None else None
            columns.append(_column_xml(part, letters[j], xf[j], rows, pattern, strings))
        if not columns:
            continue
        body = pc.binary_join_element_wise(*columns, "", null_handling="replace", null_replacement="")
        xml = pc.binary_join_element_wise('<row r="', rows, '">', body, "</row>", "")
        yield _joined(xml.filter(pc.not_equal(body, "")))


def _joined(values: pa.Array) -> memoryview:
    """The bytes of a string array's values one after another (its data buffer, no copy)."""
    if not len(values):
        return memoryview(b"")
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset:values.offset + len(values) + 1]
    return memoryview(values.buffers()[2])[offsets[0]:offsets[-1]]


def _xf_index(fmt) -> int:
    # Set by xlsxwriter when it wrote the column's <col> element.
    return fmt.xf_index if fmt.xf_index is not None else fmt._get_xf_index()


def _column_xml(cells: "_Cells | None", letter: str, xf: int, rows: pa.Array, formula: str | None,
                strings: _SharedStrings) -> pa.Array:
    """``<c>`` elements for one column's cells in a chunk of rows (null: an empty cell).

    Text mostly distinct within the chunk is written in the cell (an inline string), except
    text that needs escaping; the rest goes to the shared-string table, numbered in the order
    the cells come. Numbers are written as Python writes them (``repr``); an empty cell of a
    formula column gets the formula with its row number."""
    out = pa.nulls(len(rows), pa.string())
    if cells is not None and cells.number is not None:
        ok = ~np.isnan(cells.number)
        if ok.any():
            out = pc.binary_join_element_wise(f'<c r="{letter}', rows, f'" s="{xf}"><v>',
                                              _number_texts(cells.number, ok, cells.whole), "</v></c>", "")
    shared = None if cells is None else cells.text
    if shared is not None and shared.null_count < len(shared):
        shared = shared.cast(pa.string())
        if 2 * len(pc.unique(shared)) > len(shared) - shared.null_count:  # mostly distinct: in the cell
            # …except text that needs escaping: readers differ on escapes in inline strings
            care = _needs_care(shared)
            plain = pc.if_else(care, pa.scalar(None, pa.string()), shared)
            inline = pc.binary_join_element_wise(f'<c r="{letter}', rows, f'" s="{xf}" t="inlineStr"><is><t>',
                                                 plain, "</t></is></c>", "")
            out = pc.coalesce(inline, out)
            shared = pc.if_else(care, shared, pa.scalar(None, pa.string())) if pc.any(care).as_py() else None
    if shared is not None and shared.null_count < len(shared):
        encoded = pc.dictionary_encode(shared)  # in order of first appearance; null stays null
        numbers = strings.numbers(encoded.dictionary)
        strings.count += len(shared) - shared.null_count
        sst = pc.take(pa.array(numbers), encoded.indices).cast(pa.string())
        texts = pc.binary_join_element_wise(f'<c r="{letter}', rows, f'" s="{xf}" t="s"><v>', sst,
                                            "</v></c>", "")
        out = pc.coalesce(texts, out)
    if formula is not None:
        pieces = xml_escape(formula[1:]).split("{row}")
        parts = [pieces[0]]
        for piece in pieces[1:]:
            parts += [rows, piece]
        formulas = pc.binary_join_element_wise(f'<c r="{letter}', rows, f'" s="{xf}" t="str"><f>', *parts,
                                               "</f><v></v></c>", "")
        out = pc.coalesce(out, formulas)
    return out


def _number_texts(numbers: np.ndarray, ok: np.ndarray, whole: bool) -> pa.Array:
    """Each number as written (null where ``ok`` is False): ``repr`` of each distinct value,
    whole numbers of a count column without ``.0``."""
    codes, uniques = pd.factorize(numbers[ok])
    values = uniques.tolist()  # Python floats: repr(np.float64) is not the number alone
    texts = [str(int(v)) if whole and v.is_integer() else repr(v) for v in values]
    positions = np.zeros(len(numbers), dtype=np.int64)
    positions[ok] = codes
    return pc.take(pa.array(texts, pa.string()), pa.array(positions, mask=~ok))


@dataclass
class _Cells:
    """One column's cells as written: ``text`` (Arrow text, null where none) and ``number``
    (float64, NaN where none; dates as Excel serials) — a cell has at most one; ``whole``: a
    count, written without ``.0``."""

    text: pa.Array | None
    number: np.ndarray | None = None
    whole: bool = False

    def __getitem__(self, rows: slice) -> "_Cells":
        return _Cells(None if self.text is None else self.text.slice(rows.start, rows.stop - rows.start),
                      None if self.number is None else self.number[rows], self.whole)


def _cells(series: pd.Series, kind: str) -> _Cells:
    """The cells of one column: text, a number (dates as Excel serials) or blank."""
    series = series.reset_index(drop=True)  # positions only; the caller's index may repeat
    if kind == "text":
        return _text_cells(series)
    if kind in ("date", "datetime"):
        return _date_cells(series)
    return _number_cells(series, whole=kind == "int")


def _text_cells(series: pd.Series) -> _Cells:
    # Text (or missing) throughout: the values as they are, in Arrow; anything else cell by cell.
    if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
        values = pa.array(series.array)  # the column's own Arrow buffers for pandas' str
    elif pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        values = pa.array(series.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
    else:
        values = pa.array([_as_text(v) for v in series.tolist()], type=pa.large_string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    values = values.cast(pa.large_string())
    return _Cells(pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values))  # "" is blank


def _as_text(value) -> str | None:
    """Text for any value; None for missing and empty."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"
    if isinstance(value, np.floating):
        return _as_text(float(value))
    if isinstance(value, datetime):
        if pd.isna(value):
            return None
        return value.strftime("%Y-%m-%d" if value.time() == datetime.min.time() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _number_cells(series: pd.Series, whole: bool = False) -> _Cells:
    if pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype(object)
    if pd.api.types.is_numeric_dtype(series.dtype):
        numbers = series.astype("float64")
    else:
        numbers = pd.to_numeric(series.astype(object), errors="coerce").astype("float64")
    values = numbers.to_numpy(dtype="float64", copy=True)
    finite = np.isfinite(values)
    values[~finite] = np.nan
    return _Cells(_text_fallback(series, ~finite & series.notna().to_numpy()), values, whole)


def _date_cells(series: pd.Series) -> _Cells:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        stamps = series.dt.tz_localize(None)
    elif pd.api.types.is_datetime64_dtype(series.dtype):
        stamps = series
    elif pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        stamps = pd.Series(pd.NaT, index=series.index, dtype="datetime64[us]")
    else:
        stamps = _parse_dates(series.astype(object))
    in_range = stamps.notna() & (stamps >= _FIRST_SERIAL_DATE) & (stamps < pd.Timestamp("9999-12-31"))
    serials = ((stamps - _EXCEL_EPOCH) / pd.Timedelta(days=1)).where(in_range)
    ok = in_range.to_numpy()
    return _Cells(_text_fallback(series, ~ok & series.notna().to_numpy()),
                  serials.to_numpy(dtype="float64", na_value=np.nan))


def _parse_dates(values: pd.Series) -> pd.Series:
    # Only strings and date objects are dates; a bare number in a date column is ambiguous.
    datelike = values.map(lambda v: isinstance(v, (str, date))).astype(bool)
    candidates = values.where(datelike, None)
    try:
        stamps = pd.to_datetime(candidates, errors="coerce", format="ISO8601")
    except (TypeError, ValueError):
        stamps = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    left = datelike & stamps.isna()
    if left.any():
        again = left[left].index
        try:
            stamps.loc[again] = pd.to_datetime(candidates.loc[again], errors="coerce", format="mixed")
        except (TypeError, ValueError):
            stamps.loc[again] = [_one_date(v) for v in candidates.loc[again]]
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_localize(None)
    return stamps


def _one_date(value):
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return pd.NaT
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


def _text_fallback(series: pd.Series, rejected: np.ndarray) -> pa.Array | None:
    # A value that is present but does not fit the column's kind is kept, as text.
    if not rejected.any():
        return None
    out = np.full(len(series), None, dtype=object)
    raw = series.to_numpy(dtype=object)
    for i in np.flatnonzero(rejected):
        out[i] = _as_text(raw[i])
        if isinstance(raw[i], float) and math.isinf(raw[i]):
            out[i] = None  # ±inf (e.g. a division by zero) is no value
    return pa.array(out, type=pa.large_string())


# --------------------------------------------------------------------------------------------
# Reading back


def read_sheet(path: Path, sheet: str) -> pd.DataFrame:
    """Read a (possibly staff-filled) sheet back, with its header row as the columns.

    ``sheet`` is the sheet's key (``execution``) or its name; the sheet is found by its name in
    the run's language.

    Values are as Excel stores them: dates as datetimes, whole numbers as ints, formulas as
    their last computed value, an error cell as its text (``#N/A``); text is stripped, empty
    text is missing, and rows with nothing in them are dropped. A sheet that was split at
    Excel's row limit is read with its continuation sheets ``<sheet>_2`` … The index is each
    row's Excel row number (``行号``), for messages that point staff at the cell to fix.
    Read with calamine (Rust), about 10x openpyxl's speed on a large list.

    Raises
    ------
    KitError
        The file is missing or not an .xlsx workbook, the sheet is missing, or two columns
        have the same header.

    Examples
    --------
    >>> read_sheet(out / "维护执行记录表_2026-10.xlsx", "execution").columns.tolist()  # doctest: +SKIP
    ['执行日期', '客户ID', '执行人', '动作描述', '客户反馈', '结果标记', '任务编号']
    """
    with open_workbook(path) as book:
        return book.sheet(sheet)


def repeated_sheet_names(path: Path, workbook: str) -> list[str]:
    """The sheets of a written ``workbook`` file that are per-owner copies (:data:`REPEATED_SHEETS`):
    every sheet that is not one of the workbook's own (nor its continuation) and whose header
    row has the repeated sheet's 任务编号 and 结果标记 — staff may have added sheets of their own.

    Raises KitError when the file cannot be read (as :func:`read_sheet`)."""
    with open_workbook(path) as book:
        return book.repeated_sheet_names(workbook)


def open_workbook(path: Path) -> "WorkbookReader":
    """A written (and possibly staff-filled) workbook opened for reading several sheets:
    ``with open_workbook(path) as book: book.sheet("execution")``. KitError when the file is
    missing or not an .xlsx workbook."""
    return WorkbookReader(path)


class WorkbookReader:
    """One workbook file read with calamine: each sheet is parsed once, however many of
    :meth:`sheet` and :meth:`repeated_sheet_names` ask for it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise KitError(text("workbooks.error.no_file", path=self.path))
        try:
            self._book = calamine.CalamineWorkbook.from_path(str(self.path))
            self._zip = zipfile.ZipFile(self.path)
        except (calamine.CalamineError, zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
            raise KitError(text("workbooks.error.unreadable", path=self.path, error=err)) from err
        self.sheet_names: list[str] = list(self._book.sheet_names)
        self._rows: dict[str, list[list]] = {}
        self._parts: dict[str, str] | None = None

    def __enter__(self) -> "WorkbookReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._rows.clear()
        self._book.close()
        self._zip.close()

    def sheet(self, sheet: str) -> pd.DataFrame:
        """A sheet (by key or name) with its continuation sheets, as :func:`read_sheet` reads it."""
        sheet = sheet_name(sheet) if f"sheet.{sheet}" in all_labels() else sheet
        if sheet not in self.sheet_names:
            raise KitError(text("workbooks.error.no_sheet", file=self.path.name, sheet=sheet,
                                available=join(self.sheet_names)))
        names = [sheet]
        while f"{sheet}_{len(names) + 1}" in self.sheet_names:
            names.append(f"{sheet}_{len(names) + 1}")
        frames = [self._frame(name) for name in names]
        return frames[0] if len(frames) == 1 else pd.concat(frames)

    def repeated_sheet_names(self, workbook: str) -> list[str]:
        """See :func:`repeated_sheet_names`."""
        repeated = [sheet for sheet, owner in REPEATED_SHEETS.items() if owner == workbook]
        if not repeated:
            return []
        fixed = {sheet_name(s) for s in WORKBOOKS[workbook] if s not in REPEATED_SHEETS}
        needed = {column(workbook, repeated[0], "task_id").header, column(workbook, repeated[0], "result").header}
        names = []
        for name in self.sheet_names:
            if name in fixed or re.sub(r"_\d+$", "", name) in fixed:
                continue
            rows = self._sheet_rows(name)
            first = rows[0] if rows else ()
            if needed <= {str(v).strip() for v in first if v is not None}:
                names.append(name)
        return names

    def _sheet_rows(self, name: str) -> list[list]:
        """The sheet's cells from A1, row by row, as :func:`_cell_value` gives them."""
        if name not in self._rows:
            try:
                grid = self._book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                errors = self._errors(name)
            except (calamine.CalamineError, zipfile.BadZipFile, KeyError, OSError, ValueError,
                    EOFError) as err:
                raise KitError(text("workbooks.error.unreadable", path=self.path, error=err)) from err
            # Most cells are text or empty: those are cleaned inline, the rest by _cell_value.
            rows = [[(v.strip() or None) if v.__class__ is str else _cell_value(v) for v in row] for row in grid]
            for r, c, value in errors:
                if r < len(rows) and c < len(rows[r]) and rows[r][c] is None:
                    rows[r][c] = value
            self._rows[name] = rows
        return self._rows[name]

    def _errors(self, name: str) -> list[tuple[int, int, str]]:
        # calamine shows an error cell (#N/A, #DIV/0!) as empty; Excel shows its text, and so
        # do the messages about it.
        from analysis.intake.read import _error_cells, _sheet_parts

        if self._parts is None:
            self._parts = _sheet_parts(self._zip)
        part = self._parts.get(name)
        return _error_cells(self._zip.open(part)) if part else []

    def _frame(self, name: str) -> pd.DataFrame:
        rows = self._sheet_rows(name)
        del self._rows[name]  # parsed once, turned into a frame once
        header = rows[0] if rows else []
        names = [None if h is None or str(h).strip() == "" else str(h).strip() for h in header]
        while names and names[-1] is None:
            names.pop()
        unnamed_label = text("workbooks.unnamed_column", letter="")
        names = [h if h is not None else text("workbooks.unnamed_column", letter=xl_col_to_name(j))
                 for j, h in enumerate(names)]
        dup = sorted({h for h in names if names.count(h) > 1})
        if dup:
            raise KitError(text("workbooks.error.duplicate_headers", file=self.path.name, sheet=name,
                                headers=join(dup)))
        width = len(names)
        records, numbers = [], []
        for excel_row, values in enumerate(rows[1:], start=2):
            values = values[:width]
            if values.count(None) < len(values):
                records.append(values + [None] * (width - len(values)))
                numbers.append(excel_row)
        frame = pd.DataFrame(records, columns=names,
                             index=pd.Index(numbers, name=text("workbooks.row_number"), dtype="int64"))
        # An unnamed column nobody wrote in is Excel formatting residue, not data.
        unnamed = [h for h in names if h.startswith(unnamed_label) and frame[h].isna().all()]
        return frame.drop(columns=unnamed)


def _cell_value(value):
    """A cell as calamine gives it, the way Excel shows it: '' (empty) and blank text -> None,
    text stripped, a whole number as an int (``5``, not ``5.0``), a date as a datetime."""
    kind = value.__class__
    if kind is str:
        return value.strip() or None
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is date:
        return datetime(value.year, value.month, value.day)
    return value
