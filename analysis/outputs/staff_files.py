"""The workbooks staff filled in, read back (SPEC §8): last month's for the closed loop, this
month's so a rerun keeps their work.

* last month's folder is decided once, in :func:`analysis.context.previous_run` (the run
  context carries it to the notebook's closed loop and to the report's summary).
* :func:`previous_as_of` — last month's analysis date, from its resolved params.
* :func:`read_previous` — last month's 维护执行记录表 and 营销活动执行表 as staff returned them;
  staff mistakes become warnings naming file, sheet, row and column, never an exception.
* :func:`merge_staff_rows` / :func:`preserve_staff_rows` — a rerun of the same month keeps
  everything staff already filled.

执行记录 is read with each owner's own sheet (:func:`combine_task_rows`): staff may fill either
the full list or their own page. Per task (任务编号), a staff column filled on the owner's sheet
wins over the full list (that is where the owner works; a disagreement is noted), the full
list's value stands where the owner's sheet is blank, and rows staff added on their own sheet
are kept. Nothing filled in either place is lost or counted twice.

Workbooks, sheets and columns are named by key (:data:`analysis.outputs.workbooks.WORKBOOKS`);
the files are found and read by their names in the run's language.

Examples
--------
>>> previous_as_of("/nowhere", "2026-02")
Timestamp('2026-02-28 00:00:00')
"""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis.errors import KitError
from analysis.outputs.workbooks import (
    WORKBOOKS, column, headers, open_workbook, read_sheet, sheet_name, workbook_name,
    workbook_path,
)
from analysis.reference.staff_entries import DATE_TEXT_REPLACEMENTS, THOUSANDS_SEPARATORS
from analysis.steps.closed_loop import CAMPAIGN, COUNT_COLUMNS, EXECUTION, PreviousRun, problem_columns
from analysis.steps.control import customer_key
from analysis.vocab import text

__all__ = [
    "previous_as_of", "read_previous", "merge_staff_rows", "preserve_staff_rows",
    "combine_task_rows", "STAFF_SHEETS", "MAX_WARNINGS_PER_SHEET",
]

# The sheet each owner of 执行记录 gets a copy of (analysis.outputs.workbooks.REPEATED_SHEETS).
OWNER_SHEET = "owner_tasks"
# Row-level messages listed one by one per sheet; the rest are counted (all are in .problems).
MAX_WARNINGS_PER_SHEET = 20
# The columns without which a sheet read back says nothing (column keys).
_REQUIRED = {
    EXECUTION: ("customer_id", "result"),
    CAMPAIGN: ("campaign_name", "target_count", "sent"),
}
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _h(key: str) -> str:
    """A workbook column's header in the run's language."""
    return text(f"column.{key}")


def _t(key: str, **fields) -> str:
    return text(f"staff_files.{key}", **fields)


# --------------------------------------------------------------------------------------------
# Last month's folder


def previous_as_of(folder: str | Path, month_prev: str) -> pd.Timestamp:
    """Last month's analysis date: ``as_of`` in its ``params_resolved.yml``, else the last day
    of ``month_prev`` (the default as-of date).

    Examples
    --------
    >>> previous_as_of("/nowhere", "2026-02")
    Timestamp('2026-02-28 00:00:00')
    """
    resolved = Path(folder) / "params_resolved.yml"
    if resolved.is_file():
        try:
            value = (yaml.safe_load(resolved.read_text(encoding="utf-8")) or {}).get("as_of")
            if value:
                return pd.Timestamp(str(value))
        except (yaml.YAMLError, ValueError, AttributeError):
            pass  # an unreadable file: fall back to the month's end
    return pd.Period(month_prev, freq="M").end_time.normalize()


# --------------------------------------------------------------------------------------------
# Reading last month's workbooks back


def _empty(workbook: str, sheet: str) -> pd.DataFrame:
    return pd.DataFrame({h: pd.Series(dtype=object) for h in headers(workbook, sheet)},
                        index=pd.Index([], name=text("workbooks.row_number"), dtype="int64"))


def read_previous(previous_dir: str | Path | None, month_prev: str) -> PreviousRun:
    """Read last month's filled 维护执行记录表 (执行记录) and 营销活动执行表 (活动执行) back.

    Never raises for staff mistakes: a missing file or sheet, a renamed or deleted column, a
    结果标记 other than its drop-down choices, an 执行日期 that is not a date, a count that is
    not a whole number ≥ 0 — each gives one message in the run's language naming the file,
    sheet, row and column, and the run continues without the bad rows (or without the sheet,
    when a column it needs is gone). A missing folder gives an empty result with a note (the
    first month is the baseline).

    Parameters
    ----------
    previous_dir : last month's output folder (:func:`analysis.context.previous_run`), or None.
    month_prev : ``YYYY-MM`` of that run; the files are ``<工作簿>_<month_prev>.xlsx``.

    Examples
    --------
    >>> run = read_previous("/nowhere", "2026-09")
    >>> run.found, run.notes[0][:14]
    (False, '未找到上月（2026-09）')
    """
    run = PreviousRun(month_prev, Path(previous_dir) if previous_dir else None,
                      _empty(*EXECUTION), _empty(*CAMPAIGN))
    if run.folder is None:
        run.notes.append(_t("note.no_folder", month=month_prev))
        return run
    if not run.folder.is_dir():
        # the folder's name, not its path: the note reaches the report, shared beyond this machine
        run.notes.append(_t("note.no_folder_at", month=month_prev, folder=run.folder.name))
        return run
    path = workbook_path(run.folder, EXECUTION[0], run.month)
    try:  # the full list and each owner's sheet from one opening of the file
        book = open_workbook(path)
    except KitError:
        book = None  # _read_checked says why
    try:
        run.execution = _read_checked(run, EXECUTION, _check_execution, book=book)
        own = [_read_checked(run, EXECUTION, _check_execution, label=name, book=book)
               for name in (book.repeated_sheet_names(EXECUTION[0]) if book is not None else [])]
    finally:
        if book is not None:
            book.close()
    run.execution, conflicts = combine_task_rows(run.execution, own)
    if conflicts:
        run.notes.append(_t("note.owner_sheet_wins", file=path.name, n=conflicts))
    run.campaign = _read_checked(run, CAMPAIGN, _check_campaign)
    return run


def combine_task_rows(full: pd.DataFrame, own: list[pd.DataFrame]) -> tuple[pd.DataFrame, int]:
    """执行记录 (``full``) with what staff filled on their own sheets (``own``), and how many
    cells the two filled differently (the owner's sheet wins).

    Rows are matched on 任务编号; only the staff columns (执行日期, 结果标记, 客户反馈) are taken
    from an owner's sheet. Rows filled on an owner's sheet whose 任务编号 is blank or not on the
    full list (added by staff) are appended.

    Examples
    --------
    >>> full = pd.DataFrame({"任务编号": ["T1", "T2"], "结果标记": ["成功", None], "客户反馈": ["好", None]})
    >>> own = pd.DataFrame({"任务编号": ["T1", "T2"], "结果标记": ["失败", "待跟进"], "客户反馈": [None, "再联系"]})
    >>> out, conflicts = combine_task_rows(full, [own])
    >>> out["结果标记"].tolist(), out["客户反馈"].tolist(), conflicts
    (['失败', '待跟进'], ['好', '再联系'], 1)
    """
    own = [frame for frame in own if len(frame)]
    if not own:
        return full, 0
    key = _h("task_id")
    staff = [c.header for c in WORKBOOKS[EXECUTION[0]][EXECUTION[1]] if c.filled_by_staff]
    staff = [c for c in staff if c in full]
    rows = pd.concat(own)
    row_numbers = rows.index.to_numpy()  # Excel rows of several sheets: positions from here on
    rows = rows.reset_index(drop=True)
    filled = rows[staff].notna().any(axis=1) if staff else pd.Series(False, index=rows.index)
    ids = _keys(rows[key])
    full_ids = _keys(full[key])
    on_list = filled & ids.notna() & ids.astype(object).isin(full_ids.dropna().astype(object))
    first = ids[on_list].drop_duplicates()
    matched = rows.loc[first.index].set_index(first.to_numpy())
    out = full.copy()
    conflicts = 0
    for col in staff:
        filled_in = matched[col].dropna()
        theirs = full_ids.map(dict(zip(filled_in.index, filled_in.astype(object)))).astype(object)
        mine = out[col].astype(object)
        both = theirs.notna() & mine.notna()
        conflicts += int((theirs[both].astype(str) != mine[both].astype(str)).sum())
        out[col] = theirs.where(theirs.notna(), mine)
        if pd.api.types.is_datetime64_any_dtype(full[col]):
            out[col] = pd.to_datetime(out[col])
    added = filled & ~on_list
    if added.any():
        extra = rows[added][[c for c in out.columns if c in rows.columns]]
        extra.index = pd.Index(row_numbers[added.to_numpy()], name=full.index.name)
        out = pd.concat([out, extra])
    return out, conflicts


def _read_checked(run: PreviousRun, key: tuple[str, str], check, label: str | None = None,
                  book=None) -> pd.DataFrame:
    """One sheet of last month's, checked; ``label`` reads a sheet of that name (an owner's
    page) with the definition of ``key``'s sheet; ``book``: the file already opened
    (:func:`~analysis.outputs.workbooks.open_workbook`)."""
    workbook, sheet = key
    path = workbook_path(run.folder, workbook, run.month)
    label = label or sheet_name(sheet)
    empty = _empty(workbook, sheet)
    if not path.is_file():
        run.warnings.append(_t("warning.no_file", workbook=workbook_name(workbook), file=path.name, sheet=label))
        return empty
    try:
        frame = book.sheet(label) if book is not None else read_sheet(path, label)
    except KitError as err:
        run.warnings.append(_t("warning.unreadable", error=err, sheet=label))
        return empty
    expected = headers(workbook, sheet)
    missing = [h for h in expected if h not in frame.columns]
    unknown = [h for h in frame.columns if h not in expected]
    if missing:
        hint = _t("warning.renamed_hint", columns=_t("warning.renamed_separator").join(unknown)) if unknown else ""
        lost = [h for h in missing if h in {_h(k) for k in _REQUIRED[key]}]
        consequence = _t("warning.sheet_skipped") if lost else _t("warning.column_blank")
        for h in missing:
            run.warnings.append(_t("warning.missing_column", file=path.name, sheet=label, column=h, hint=hint,
                                   consequence=consequence))
        if lost:
            return empty
        for h in missing:
            frame[h] = None
    frame = frame[expected]
    problems = check(frame)  # [(Excel row, column, what is wrong)], in row order
    messages = [_t("warning.bad_cell", file=path.name, sheet=label, row=row_number, column=col, problem=problem)
                for row_number, col, problem in problems]
    if problems:
        found = pd.DataFrame(dict(zip(problem_columns(), (
            path.name, label, [p[0] for p in problems], [p[1] for p in problems], [p[2] for p in problems],
            messages))))
        run.problems = found if run.problems.empty else pd.concat([run.problems, found], ignore_index=True)
    run.warnings += messages[:MAX_WARNINGS_PER_SHEET]
    if len(messages) > MAX_WARNINGS_PER_SHEET:  # the full list is in run.problems
        run.warnings.append(_t("warning.more", file=path.name, sheet=label,
                               n=len(messages) - MAX_WARNINGS_PER_SHEET))
    bad = {row for row, _, _ in problems}
    if bad:
        run.notes.append(_t("note.rows_left_out", file=path.name, sheet=label, bad=len(bad),
                            read=len(frame) - len(bad)))
    return _normalise(frame[~frame.index.isin(bad)], key)


def _check_execution(frame: pd.DataFrame) -> list[tuple[int, str, str]]:
    customer, result, executed = _h("customer_id"), _h("result"), _h("executed_on")
    problems = [(r, customer, _t("problem.blank_customer_id", column=customer))
                for r in frame.index[frame[customer].isna()]]
    choices = column(*EXECUTION, "result").choices
    marks = frame[result]
    wrong = marks.notna() & ~marks.map(lambda v: str(v).strip()).isin(choices)
    problems += [(r, result, _t("problem.bad_choice", value=v, choices="/".join(choices)))
                 for r, v in marks[wrong].items()]
    dates = frame[executed]
    for r, v in dates[dates.notna()].items():
        if not isinstance(v, datetime) and _as_date(v) is None:  # date cells come back as datetimes
            problems.append((r, executed, _t("problem.not_a_date", value=v)))
    return sorted(problems, key=lambda p: p[0])


def _check_campaign(frame: pd.DataFrame) -> list[tuple[int, str, str]]:
    problems = []
    name = _h("campaign_name")
    counts = [_h(k) for k in COUNT_COLUMNS]
    for r, row in frame.iterrows():  # a few rows per month
        if _blank(row[name]):
            problems.append((r, name, _t("problem.blank_campaign_name", column=name)))
        for col in counts:
            if not _blank(row[col]) and _as_count(row[col]) is None:
                problems.append((r, col, _t("problem.not_a_count", value=row[col])))
    return problems


def _keys(values: pd.Series) -> pd.Series:
    """Row keys (task IDs, campaign names …) as every comparison sees them
    (:func:`analysis.steps.control.customer_key`), None where blank."""
    return values.map(lambda v: None if _blank(v) else customer_key(v))


def _blank(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _as_date(value) -> pd.Timestamp | None:
    """A date from what staff typed: a date cell, ISO or 2026/11/3 or 2026年11月3日 text, or an
    Excel serial number; None if it is not a date."""
    if isinstance(value, (pd.Timestamp, datetime, date)):
        stamp = pd.Timestamp(value)
        return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        # A date typed into a General cell can come back as its serial: 2000-01-01 … 2099-12-31.
        if 36526 <= float(value) <= 73050:
            return (_EXCEL_EPOCH + pd.Timedelta(days=float(value))).normalize()
        return None
    typed = str(value).strip()
    for written, meant in DATE_TEXT_REPLACEMENTS:
        typed = typed.replace(written, meant)
    try:
        stamp = pd.Timestamp(typed)
    except (ValueError, TypeError, OverflowError):
        return None
    if pd.isna(stamp) or not 2000 <= stamp.year <= 2099:
        return None
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


def _as_count(value) -> int | None:
    """A whole number ≥ 0 (``"1,200"`` typed as text is fine); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        for separator in THOUSANDS_SEPARATORS:
            value = value.replace(separator, "")
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if math.isfinite(number) and number >= 0 and number.is_integer():
            return int(number)
    return None


def _normalise(frame: pd.DataFrame, key: tuple[str, str]) -> pd.DataFrame:
    frame = frame.copy()
    if key == EXECUTION:
        customer, executed, result, task = (_h(k) for k in ("customer_id", "executed_on", "result", "task_id"))
        frame[customer] = frame[customer].map(customer_key).astype(object)
        frame[executed] = pd.to_datetime(pd.Series(
            [None if _blank(v) else pd.Timestamp(v) if isinstance(v, datetime) else _as_date(v)
             for v in frame[executed]], index=frame.index, dtype=object))
        frame[result] = frame[result].map(lambda v: None if _blank(v) else str(v).strip())
        frame[task] = _keys(frame[task])
    else:
        for col in (_h(k) for k in COUNT_COLUMNS):
            frame[col] = pd.array([None if _blank(v) else _as_count(v) for v in frame[col]], dtype="Int64")
    return frame


# --------------------------------------------------------------------------------------------
# Reruns


def _sheet_owner(sheet: str) -> str:
    owners = [wb for wb, sheets in WORKBOOKS.items() if sheet in sheets]
    if len(owners) != 1:
        raise KitError(_t("error.unknown_sheet", sheet=sheet))
    return owners[0]


def _kit_defaults() -> dict[str, str]:
    """Staff columns the kit pre-fills (header -> value): that value there does not make a row
    "filled in" (当前状态 = 待执行)."""
    return {_h("status"): text("choice.status.todo")}


def merge_staff_rows(new_frame: pd.DataFrame, existing_path: str | Path, sheet: str, key: str = "task_id",
                     staff_columns: list[str] | None = None, existing: pd.DataFrame | None = None) -> pd.DataFrame:
    """``new_frame`` with what staff already filled in the existing workbook kept.

    For a rerun of a month whose workbook staff have started filling: rows are matched on
    ``key``; where the existing row has a value in a staff column, that value wins. New
    tasks (keys not in the file) come in as computed. Existing rows that the rerun no longer
    produces, or that staff added without a key, are kept at the end when any staff column
    is filled in them (当前状态 still at the kit's 待执行 does not count); unfilled ones are
    dropped (they are stale kit output). Nothing staff filled is lost. Only staff columns
    are taken from the file: the kit's own columns (动作描述, 时间节点 …) are the rerun's.

    Parameters
    ----------
    new_frame : the frame about to be written, with the sheet's headers (in the run's
        language) as columns.
    existing_path : the workbook on disk; if it does not exist, ``new_frame`` is returned.
    sheet : the sheet's key (``execution``, ``customer_strategy`` …).
    key : the key of the column identifying a row (``task_id``; ``campaign_name`` for 活动执行).
    staff_columns : column keys; default: the sheet's ``filled_by_staff`` columns in
        :data:`~analysis.outputs.workbooks.WORKBOOKS`.
    existing : the rows already read from ``existing_path`` (执行记录 combined with the owners'
        sheets); default: the sheet itself.

    Raises
    ------
    KitError
        The existing file cannot be read, or ``key`` is in neither frame.
    """
    existing_path = Path(existing_path)
    if not existing_path.is_file():
        return new_frame.copy()
    workbook = _sheet_owner(sheet)
    if staff_columns is None:
        staff_columns = [c.header for c in WORKBOOKS[workbook][sheet] if c.filled_by_staff]
    else:
        staff_columns = [column(workbook, sheet, k).header for k in staff_columns]
    key = column(workbook, sheet, key).header
    if key not in new_frame:
        raise KitError(_t("error.no_key_new", column=key))
    old = read_sheet(existing_path, sheet) if existing is None else existing
    if key not in old:
        raise KitError(_t("error.no_key_file", file=existing_path.name, sheet=sheet_name(sheet), column=key))
    staff_columns = [c for c in staff_columns if c in old]
    # A staff column still holding the value the kit wrote (当前状态 = 待执行) is not staff's work.
    defaults = _kit_defaults()
    filled = pd.Series(False, index=old.index)
    for col in staff_columns:
        values = old[col].astype(object)
        filled |= values.notna() & ((values != defaults[col]) if col in defaults else True)
    old_key = _keys(old[key])
    new_key = _keys(new_frame[key])

    out = new_frame.reset_index(drop=True).copy()
    for col in staff_columns:
        if col not in out:
            out[col] = None
        out[col] = out[col].astype(object)
    first = ~old_key.duplicated() & old_key.notna()
    matched = old[first & old_key.astype(object).isin(new_key.dropna().astype(object))]
    position = {k: i for i, k in reversed(list(enumerate(new_key.reset_index(drop=True))))}
    target = old_key[matched.index].map(position).to_numpy()
    for col in staff_columns:
        values = matched[col]
        keep = ~values.map(_blank).to_numpy(bool)
        out.loc[target[keep], col] = values.astype(object).to_numpy()[keep]  # Timestamps stay Timestamps
    used = set(matched.index)
    extra = old[~old.index.isin(used) & filled]
    if len(extra):
        extra = extra[[c for c in out.columns if c in extra.columns]]
        out = pd.concat([out, extra.reset_index(drop=True)], ignore_index=True)
    return out


# The sheets staff fill in (workbook, sheet, and the column that identifies a row across
# reruns), all by key.
STAFF_SHEETS = (
    ("execution_log", "execution", "task_id"),
    ("tier_strategy", "customer_strategy", "task_id"),
    ("campaign", "campaign", "campaign_name"),
    ("review", "review", "flow"),
)


def preserve_staff_rows(sheets: dict, out_dir: str | Path, month: str) -> dict:
    """``sheets`` (workbook key -> sheet key -> frame, as for
    :func:`analysis.outputs.workbooks.write_workbooks`) with every row staff already filled in
    this month's existing workbooks kept — so rerunning a month never overwrites their work.
    Workbooks not yet written are left as computed."""
    out = {wb: dict(frames) for wb, frames in sheets.items()}
    for workbook, sheet, key in STAFF_SHEETS:
        if sheet in out.get(workbook, {}):
            path = workbook_path(out_dir, workbook, month)
            existing = None
            if (workbook, sheet) == EXECUTION and path.is_file():
                with open_workbook(path) as book:
                    own = [book.sheet(name) for name in book.repeated_sheet_names(workbook)]
                    existing, _ = combine_task_rows(book.sheet(sheet), own)
            out[workbook][sheet] = merge_staff_rows(out[workbook][sheet], path, sheet, key=key,
                                                    existing=existing)
    if EXECUTION[1] in out.get(EXECUTION[0], {}):
        # Owner sheets handed over are dropped: the writer splits them from the merged full list.
        frames = out[EXECUTION[0]]
        for name in [k for k in frames if k.startswith(f"{OWNER_SHEET}:")]:
            del frames[name]
    return out
