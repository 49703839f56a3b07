"""The closed loop (SPEC §8): last month's filled workbooks back in, what came of them out.

* :func:`control_group` — a stable hold-out per customer, so each action can be compared with
  customers who were left alone.
* :func:`read_previous` — last month's 维护执行记录表 and 营销活动执行表 as staff returned them;
  staff mistakes become warnings naming file, sheet, row and column, never an exception.
* :func:`loop_kpis` — completion, result counts, win-back and repurchase (treated vs control,
  with a 95% interval of the difference), campaign reach / open / conversion against target,
  tier migration.
* :func:`draft_review` — the 效果复盘表 rows pre-filled with the real numbers.
* :func:`merge_staff_rows` — a rerun of the same month keeps everything staff already filled.

Examples
--------
>>> control_group(pd.Series(["C001", "C002"]), pd.Series(["普通客户", "普通客户"])).dtype
dtype('bool')
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import KitError
from analysis.outputs.workbooks import WORKBOOKS, column, headers, read_sheet, workbook_path

__all__ = [
    "control_group", "PreviousRun", "read_previous", "LoopKPIs", "loop_kpis", "difference_interval",
    "draft_review", "merge_staff_rows", "previous_folder", "previous_as_of", "wilson_interval", "EXECUTION", "CAMPAIGN",
    "MAX_WARNINGS_PER_SHEET", "STAFF_SHEETS", "preserve_staff_rows",
]

# (workbook, sheet) read back, and the columns without which the sheet says nothing.
EXECUTION = ("维护执行记录表", "执行记录")
CAMPAIGN = ("营销活动执行表", "活动执行")
_REQUIRED = {
    EXECUTION: ("客户ID", "结果标记"),
    CAMPAIGN: ("活动名称", "目标客户数", "实际发送数", "打开数", "点击数"),
}
_COUNTS = ("目标客户数", "实际发送数", "打开数", "点击数")
# Row-level messages listed one by one per sheet; the rest are counted (all are in .problems).
MAX_WARNINGS_PER_SHEET = 20
_WIN_BACK_TIER = "流失预警客户"
_Z95 = 1.959963984540054  # two-sided 95% normal quantile
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


# --------------------------------------------------------------------------------------------
# Control group


def control_group(customer_ids: pd.Series, tiers: pd.Series, *, share: float = 0.10,
                  salt: str = "insight-kit", exempt_tiers: tuple[str, ...] = ()) -> pd.Series:
    """True for the customers held out as the control group (no outreach this month).

    Each ID is hashed with SHA-256 (``salt + ":" + id``) and the first 8 bytes read as a
    number in [0, 1); a customer is in the control group when it is below ``share``. The
    draw depends on nothing but the salt and the ID, so a customer stays in (or out) month
    after month, whatever their tier or the rest of the file; change ``salt`` to draw anew.
    Within every tier the share is ``share`` up to binomial noise (sd ≈ √(share·(1−share)/n)).

    Parameters
    ----------
    customer_ids : the IDs (any type; compared as text, so 1001 and "1001" are the same).
    tiers : each customer's tier, aligned with ``customer_ids`` (checked, and the name of the
        stratum the share holds in).
    share : the fraction held out, 0 ≤ share < 1 (params ``automation.control_share``).
    salt : params ``automation.control_salt``.
    exempt_tiers : tiers never held out (e.g. ``("战略客户",)`` if a dedicated account manager
        must not skip anyone); their customers are all False.

    Returns
    -------
    Series of bool, named ``control``, with the index of ``customer_ids``.

    Examples
    --------
    >>> ids = pd.Series([f"C{i:04d}" for i in range(1000)])
    >>> held = control_group(ids, pd.Series(["普通客户"] * 1000))
    >>> int(held.sum()), held.equals(control_group(ids, pd.Series(["普通客户"] * 1000)))
    (115, True)
    """
    if not 0 <= share < 1:
        raise KitError(f"对照组比例 control_share 应在 0 与 1 之间（收到 {share}）")
    ids = pd.Series(customer_ids)
    if len(pd.Series(tiers)) != len(ids):
        raise KitError("control_group: 客户ID 与客户层级的行数不一致")
    prefix = f"{salt}:".encode("utf-8")
    draws = np.fromiter(
        (int.from_bytes(hashlib.sha256(prefix + _id_text(v).encode("utf-8")).digest()[:8], "big")
         / 2.0 ** 64 for v in ids.tolist()),
        dtype="float64", count=len(ids))
    held = draws < share
    if exempt_tiers:
        held &= ~pd.Series(tiers).isin(list(exempt_tiers)).to_numpy()
    return pd.Series(held, index=ids.index, name="control")


def _id_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an ID read back from Excel as 1001.0 is customer "1001"
    return str(value).strip()


# --------------------------------------------------------------------------------------------
# Reading last month's workbooks back


@dataclass
class PreviousRun:
    """Last month's staff-filled workbooks, as far as they could be used.

    ``execution`` has the 执行记录 columns (执行日期 as datetimes, 结果标记 one of the three
    choices or missing) and ``campaign`` the 活动执行 columns (counts as numbers, missing where
    not filled in); both are indexed by Excel row (``行号``). Rows staff filled wrongly are left
    out and described in ``warnings`` (at most :data:`MAX_WARNINGS_PER_SHEET` per sheet, then a
    count) and, every one, in ``problems`` (文件, 工作表, 行号, 列, 问题, 说明) for a table staff
    can work through; ``notes`` says what was not there at all.
    """

    month: str
    folder: Path | None
    execution: pd.DataFrame
    campaign: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["文件", "工作表", "行号", "列", "问题", "说明"]))

    @property
    def found(self) -> bool:
        """Whether anything of last month was read."""
        return len(self.execution) > 0 or len(self.campaign) > 0


def _empty(workbook: str, sheet: str) -> pd.DataFrame:
    return pd.DataFrame({h: pd.Series(dtype=object) for h in headers(workbook, sheet)},
                        index=pd.Index([], name="行号", dtype="int64"))


def read_previous(previous_dir: str | Path | None, month_prev: str) -> PreviousRun:
    """Read last month's filled 维护执行记录表 and 营销活动执行表 (活动执行) back.

    Never raises for staff mistakes: a missing file or sheet, a renamed or deleted column, a
    结果标记 other than 成功/待跟进/失败, an 执行日期 that is not a date, a count that is not a
    whole number ≥ 0 — each gives one Chinese message naming the file, sheet, row and column,
    and the run continues without the bad rows (or without the sheet, when a column it needs
    is gone). A missing folder gives an empty result with a note (the first month is the
    baseline).

    Parameters
    ----------
    previous_dir : last month's output folder (``outputs/<month_prev>``), or None.
    month_prev : ``YYYY-MM`` of that run; the files are ``<工作簿>_<month_prev>.xlsx``.

    Examples
    --------
    >>> run = read_previous("/nowhere", "2026-09")
    >>> run.found, run.notes[0][:14]
    (False, '未找到上月（2026-09）')
    """
    run = PreviousRun(month_prev, Path(previous_dir) if previous_dir else None,
                      _empty(*EXECUTION), _empty(*CAMPAIGN))
    if run.folder is None or not run.folder.is_dir():
        where = f"：{run.folder}" if run.folder is not None else ""
        run.notes.append(f"未找到上月（{month_prev}）的输出目录{where}，本月不做闭环统计（以本月为基线）。")
        return run
    run.execution = _read_checked(run, EXECUTION, _check_execution)
    run.campaign = _read_checked(run, CAMPAIGN, _check_campaign)
    return run


def _read_checked(run: PreviousRun, key: tuple[str, str], check) -> pd.DataFrame:
    workbook, sheet = key
    path = workbook_path(run.folder, workbook, run.month)
    empty = _empty(workbook, sheet)
    if not path.is_file():
        run.warnings.append(f"未找到上月的《{workbook}》（{path.name}），{sheet}的统计跳过。")
        return empty
    try:
        frame = read_sheet(path, sheet)
    except KitError as err:
        run.warnings.append(f"{err}；{sheet}的统计跳过。")
        return empty
    expected = headers(workbook, sheet)
    missing = [h for h in expected if h not in frame.columns]
    unknown = [h for h in frame.columns if h not in expected]
    if missing:
        hint = f"（表中出现了未知列「{'」「'.join(unknown)}」，是否把表头改了名？）" if unknown else ""
        lost = [h for h in missing if h in _REQUIRED[key]]
        for h in missing:
            consequence = "此工作表未计入统计" if lost else "该列按空白处理"
            run.warnings.append(f"{path.name} 工作表「{sheet}」缺少列「{h}」{hint}：请恢复原表头。{consequence}。")
        if lost:
            return empty
        for h in missing:
            frame[h] = None
    frame = frame[expected]
    problems = check(frame)  # [(Excel row, column, what is wrong)], in row order
    messages = [f"{path.name} 工作表「{sheet}」第{row_number}行 列「{col}」: {problem}，该行未计入统计。"
                for row_number, col, problem in problems]
    if problems:
        found = pd.DataFrame({"文件": path.name, "工作表": sheet, "行号": [p[0] for p in problems],
                              "列": [p[1] for p in problems], "问题": [p[2] for p in problems], "说明": messages})
        run.problems = found if run.problems.empty else pd.concat([run.problems, found], ignore_index=True)
    run.warnings += messages[:MAX_WARNINGS_PER_SHEET]
    if len(messages) > MAX_WARNINGS_PER_SHEET:  # the full list is in run.problems
        run.warnings.append(f"{path.name} 工作表「{sheet}」另有 {len(messages) - MAX_WARNINGS_PER_SHEET} 处"
                            f"同类问题未逐条列出（完整清单见问题明细表）。")
    bad = {row for row, _, _ in problems}
    if bad:
        run.notes.append(f"{path.name} 工作表「{sheet}」有 {len(bad)} 行填写有误未计入（详见警告），"
                         f"其余 {len(frame) - len(bad)} 行已读入。")
    return _normalise(frame[~frame.index.isin(bad)], key)


def _check_execution(frame: pd.DataFrame) -> list[tuple[int, str, str]]:
    problems = [(r, "客户ID", "客户ID 为空") for r in frame.index[frame["客户ID"].isna()]]
    choices = column(*EXECUTION, "结果标记").choices
    marks = frame["结果标记"]
    wrong = marks.notna() & ~marks.map(lambda v: str(v).strip()).isin(choices)
    problems += [(r, "结果标记", f"值「{v}」无效（应为 {'/'.join(choices)} 之一）") for r, v in marks[wrong].items()]
    dates = frame["执行日期"]
    for r, v in dates[dates.notna()].items():
        if not isinstance(v, datetime) and _as_date(v) is None:  # date cells come back as datetimes
            problems.append((r, "执行日期", f"值「{v}」不是日期（请填写如 2026-11-03 的日期）"))
    return sorted(problems, key=lambda p: p[0])


def _check_campaign(frame: pd.DataFrame) -> list[tuple[int, str, str]]:
    problems = []
    for r, row in frame.iterrows():  # a few rows per month
        if _blank(row["活动名称"]):
            problems.append((r, "活动名称", "活动名称为空"))
        for col in _COUNTS:
            if not _blank(row[col]) and _as_count(row[col]) is None:
                problems.append((r, col, f"值「{row[col]}」不是不小于 0 的整数"))
    return problems


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
    text = str(value).strip().replace("年", "-").replace("月", "-").replace("日", "")
    text = text.replace("/", "-").replace(".", "-")
    try:
        stamp = pd.Timestamp(text)
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
        value = value.strip().replace(",", "").replace("，", "")
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
        frame["客户ID"] = frame["客户ID"].map(_id_text).astype(object)
        frame["执行日期"] = pd.to_datetime(pd.Series(
            [None if _blank(v) else pd.Timestamp(v) if isinstance(v, datetime) else _as_date(v)
             for v in frame["执行日期"]], index=frame.index, dtype=object))
        frame["结果标记"] = frame["结果标记"].map(lambda v: None if _blank(v) else str(v).strip())
        frame["任务编号"] = frame["任务编号"].map(lambda v: None if _blank(v) else _id_text(v))
    else:
        for col in _COUNTS:
            frame[col] = pd.array([None if _blank(v) else _as_count(v) for v in frame[col]], dtype="Int64")
    return frame


# --------------------------------------------------------------------------------------------
# KPIs


@dataclass
class LoopKPIs:
    """The closed-loop tables of one run (see :func:`loop_kpis` for their columns)."""

    completion: pd.DataFrame
    results: pd.DataFrame
    repurchase: pd.DataFrame
    win_back: pd.DataFrame
    campaign: pd.DataFrame
    migration: pd.DataFrame
    targets: dict
    review_open_below: float
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables under Chinese titles, in report order."""
        return {
            "各负责人任务完成情况": self.completion, "执行结果分布": self.results,
            "流失预警客户挽回率（干预组 vs 对照组）": self.win_back,
            "各层级复购率（干预组 vs 对照组）": self.repurchase,
            "营销活动触达与转化": self.campaign, "层级迁移（上月 → 本月）": self.migration,
        }


def wilson_interval(successes: int, n: int, z: float = _Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion; (nan, nan) when ``n`` is 0."""
    if n <= 0:
        return math.nan, math.nan
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def difference_interval(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float, float]:
    """``p1 − p2`` and its 95% interval by Newcombe's hybrid score method (from the two
    Wilson intervals), which keeps its coverage with small groups and rates near 0 or 1,
    where the plain normal approximation does not.

    Examples
    --------
    >>> [round(v, 4) for v in difference_interval(56, 70, 48, 80)]   # Newcombe (1998), example (b)
    [0.2, 0.0524, 0.3339]
    """
    if n1 <= 0 or n2 <= 0:
        return math.nan, math.nan, math.nan
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1)
    l2, u2 = wilson_interval(x2, n2)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def loop_kpis(previous: PreviousRun, plan_prev: pd.DataFrame | None, segments_prev: pd.DataFrame | None,
              orders_now: pd.DataFrame | None, as_of_prev, as_of_now, targets: dict,
              review_open_below: float, *, segments_now: pd.DataFrame | None = None,
              control_share: float = 0.10, control_salt: str = "insight-kit",
              tier_order: list[str] | None = None) -> LoopKPIs:
    """The closed-loop tables: what was done with last month's plan and what came of it.

    Parameters
    ----------
    previous : :func:`read_previous`.
    plan_prev : last month's plan (``customer_id``, ``tier``, ``owner``; ``control`` if the
        plan marked the hold-out), or None.
    segments_prev, segments_now : ``customer_id`` and ``tier`` of last month's and this
        month's runs (this month's only for the migration matrix).
    orders_now : this run's orders (``customer_id``, ``order_date``, ``amount``); a customer
        "bought since" with an order of amount > 0 in (``as_of_prev``, ``as_of_now``].
    targets : ``{"reach": 0.85, "open": 0.25, "conversion": 0.10}`` (params
        ``closed_loop.targets``); ``"completion"`` defaults to 1.0 (every task got a result).
    review_open_below : a campaign row whose open rate is below this is flagged for review.
    control_share, control_salt : used to redraw the control group (the same customers, the
        draw is stable) when ``plan_prev`` has no ``control`` column.

    Returns
    -------
    LoopKPIs with

    * ``completion`` — per 负责人 (执行人): 任务数, 已填结果 (结果标记 filled = done), 完成率,
      成功, 待跟进, 失败; last row 合计.
    * ``results`` — per last month's 客户层级: 成功, 待跟进, 失败, 未填, 合计.
    * ``repurchase`` — per tier and 全部: share of last month's customers who bought since,
      干预组 (not held out) vs 对照组, 差值 and its 95% interval (Newcombe's hybrid score
      interval, built on Wilson intervals), 结论. ``win_back`` is the 流失预警客户 row (挽回率).
    * ``campaign`` — per 活动执行 row: 触达率 = 实际发送数/目标客户数, 打开率 = 打开数/实际发送数,
      转化率 = 点击数/打开数, each 达标 是/否/未填 against target, 需复盘 where open < review level.
    * ``migration`` — customers by last month's tier (rows, plus 新客户) and this month's
      (columns, plus 已不在档).
    """
    targets = {"completion": 1.0, **(targets or {})}
    notes = list(previous.notes)
    order = list(tier_order) if tier_order is not None else _default_tier_order()
    tier_of = (segments_prev.set_index(segments_prev["customer_id"].map(_id_text))["tier"]
               if segments_prev is not None else pd.Series(dtype=object))

    completion = _completion(previous.execution)
    results = _results(previous.execution, tier_of, order)
    repurchase = _repurchase(plan_prev, segments_prev, orders_now, as_of_prev, as_of_now,
                             control_share, control_salt, order, notes)
    win_back = repurchase[repurchase["层级"] == _WIN_BACK_TIER].reset_index(drop=True)
    campaign = _campaign(previous.campaign, targets, review_open_below)
    migration = _migration(segments_prev, segments_now, order)
    if segments_now is None:
        notes.append("未提供本月分层结果，层级迁移矩阵从略。")
    return LoopKPIs(completion, results, repurchase, win_back, campaign, migration, targets,
                    review_open_below, notes, list(previous.warnings))


def _default_tier_order() -> list[str]:
    try:
        from analysis.steps.segment import TIER_ORDER
        return list(TIER_ORDER)
    except ImportError:  # the order is only cosmetic
        return ["战略客户", "核心客户", "潜力客户", "流失预警客户", "普通客户"]


def _ordered(values, order: list[str]) -> list:
    rank = {t: i for i, t in enumerate(order)}
    return sorted(values, key=lambda t: (rank.get(t, len(rank)), str(t)))


def _ratio(num, den) -> float:
    return float(num) / float(den) if den and not pd.isna(den) and not pd.isna(num) else math.nan


def _completion(execution: pd.DataFrame) -> pd.DataFrame:
    columns = ["负责人", "任务数", "已填结果", "完成率", "成功", "待跟进", "失败"]
    if execution.empty:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame({
        "负责人": execution["执行人"].map(lambda v: "（未填执行人）" if _blank(v) else str(v)),
        "结果标记": execution["结果标记"],
    })
    rows = []
    for owner, group in frame.groupby("负责人", sort=False):
        rows.append(_completion_row(owner, group["结果标记"]))
    out = pd.DataFrame(rows, columns=columns).sort_values(["完成率", "任务数"], ascending=[True, False])
    total = _completion_row("合计", frame["结果标记"])
    return pd.concat([out, pd.DataFrame([total], columns=columns)], ignore_index=True)


def _completion_row(owner: str, marks: pd.Series) -> dict:
    done = int(marks.notna().sum())
    return {"负责人": owner, "任务数": len(marks), "已填结果": done, "完成率": _ratio(done, len(marks)),
            **{m: int((marks == m).sum()) for m in ("成功", "待跟进", "失败")}}


def _results(execution: pd.DataFrame, tier_of: pd.Series, order: list[str]) -> pd.DataFrame:
    columns = ["客户层级", "成功", "待跟进", "失败", "未填", "合计"]
    if execution.empty:
        return pd.DataFrame(columns=columns)
    tier = execution["客户ID"].map(tier_of).fillna("（上月档案中无此客户）")
    mark = execution["结果标记"].fillna("未填")
    table = pd.crosstab(tier, mark).reindex(columns=columns[1:-1], fill_value=0)
    table = table.loc[_ordered(table.index, order)]
    table.loc["合计"] = table.sum()
    table["合计"] = table.sum(axis=1)
    return table.rename_axis("客户层级").reset_index().rename_axis(None, axis=1)


def _bought_since(orders: pd.DataFrame | None, as_of_prev, as_of_now) -> set[str]:
    if orders is None or orders.empty:
        return set()
    when = pd.to_datetime(orders["order_date"])
    start, end = pd.Timestamp(as_of_prev), pd.Timestamp(as_of_now)
    # as_of is a day: an order on as_of_prev was already counted last month.
    inside = (when.dt.normalize() > start.normalize()) & (when.dt.normalize() <= end.normalize())
    if "amount" in orders:
        inside &= pd.to_numeric(orders["amount"], errors="coerce").fillna(0) > 0  # returns are not a purchase
    return set(orders.loc[inside, "customer_id"].map(_id_text))


def _repurchase(plan_prev, segments_prev, orders_now, as_of_prev, as_of_now, share, salt,
                order, notes) -> pd.DataFrame:
    columns = ["层级", "指标", "干预组人数", "干预组购买人数", "干预组比率", "对照组人数", "对照组购买人数",
               "对照组比率", "差值", "差值95%下限", "差值95%上限", "结论"]
    if segments_prev is None or segments_prev.empty:
        notes.append("未找到上月的分层结果，复购率与挽回率无法计算。")
        return pd.DataFrame(columns=columns)
    if orders_now is None:
        notes.append("未提供本月订单，复购率与挽回率无法计算。")
        return pd.DataFrame(columns=columns)
    base = pd.DataFrame({"customer_id": segments_prev["customer_id"].map(_id_text).to_numpy(),
                         "tier": segments_prev["tier"].to_numpy()})
    if plan_prev is not None and "control" in plan_prev:
        held = dict(zip(plan_prev["customer_id"].map(_id_text), plan_prev["control"].astype(bool)))
        base["control"] = base["customer_id"].map(held).fillna(False).astype(bool)
    else:
        base["control"] = control_group(base["customer_id"], base["tier"], share=share, salt=salt).to_numpy()
        notes.append("上月计划未记录对照组，按相同参数重新抽取（抽取稳定，结果与上月一致）。")
    base["bought"] = base["customer_id"].isin(_bought_since(orders_now, as_of_prev, as_of_now))
    rows = []
    groups = [(t, base[base["tier"] == t]) for t in _ordered(base["tier"].dropna().unique(), order)]
    for tier, group in groups + [("全部", base)]:
        treated, control = group[~group["control"]], group[group["control"]]
        x1, n1, x2, n2 = int(treated["bought"].sum()), len(treated), int(control["bought"].sum()), len(control)
        d, lo, hi = difference_interval(x1, n1, x2, n2)
        rows.append({"层级": tier, "指标": "挽回率" if tier == _WIN_BACK_TIER else "复购率",
                     "干预组人数": n1, "干预组购买人数": x1, "干预组比率": _ratio(x1, n1),
                     "对照组人数": n2, "对照组购买人数": x2, "对照组比率": _ratio(x2, n2),
                     "差值": d, "差值95%下限": lo, "差值95%上限": hi, "结论": _verdict(n1, n2, lo, hi)})
    return pd.DataFrame(rows, columns=columns)


def _verdict(n1: int, n2: int, lo: float, hi: float) -> str:
    if n1 == 0 or n2 == 0:
        return "对照组为空，无法比较" if n2 == 0 else "干预组为空，无法比较"
    small = "（对照组不足 30 人，仅供参考）" if n2 < 30 else ""
    if lo > 0:
        return "干预组显著更高" + small
    if hi < 0:
        return "干预组显著更低" + small
    return "差异不显著" + small


def _campaign(campaign: pd.DataFrame, targets: dict, review_open_below: float) -> pd.DataFrame:
    columns = ["活动名称", "目标客户标签", "负责人", "目标客户数", "实际发送数", "打开数", "点击数",
               "触达率", "打开率", "转化率", "触达达标", "打开达标", "转化达标", "需复盘"]
    if campaign.empty:
        return pd.DataFrame(columns=columns)
    rows = [_campaign_row(r["活动名称"], r["目标客户标签"], r["负责人"], r, targets, review_open_below)
            for _, r in campaign.iterrows()]
    filled = campaign.dropna(subset=["实际发送数"])
    total = {c: filled[c].sum(min_count=1) for c in _COUNTS}
    rows.append(_campaign_row("合计（已回填的活动）", None, None, total, targets, review_open_below))
    return pd.DataFrame(rows, columns=columns)


def _campaign_row(name, label, owner, counts, targets, review_open_below) -> dict:
    c = {k: (None if pd.isna(counts[k]) else int(counts[k])) for k in _COUNTS}
    rates = {"触达率": _ratio(c["实际发送数"], c["目标客户数"]),
             "打开率": _ratio(c["打开数"], c["实际发送数"]),
             "转化率": _ratio(c["点击数"], c["打开数"])}
    met = {f"{k[:2]}达标": ("未填" if math.isnan(v) else "是" if v >= targets[t] else "否")
           for (k, v), t in zip(rates.items(), ["reach", "open", "conversion"])}
    review = (f"是（打开率低于{review_open_below:.0%}）"
              if not math.isnan(rates["打开率"]) and rates["打开率"] < review_open_below else "")
    return {"活动名称": name, "目标客户标签": label, "负责人": owner, **c, **rates, **met, "需复盘": review}


def _migration(segments_prev, segments_now, order) -> pd.DataFrame:
    if segments_prev is None or segments_now is None:
        return pd.DataFrame()
    prev = segments_prev[["customer_id", "tier"]].assign(customer_id=lambda f: f["customer_id"].map(_id_text))
    now = segments_now[["customer_id", "tier"]].assign(customer_id=lambda f: f["customer_id"].map(_id_text))
    both = prev.merge(now, on="customer_id", how="outer", suffixes=("_prev", "_now"))
    both["tier_prev"] = both["tier_prev"].fillna("新客户")
    both["tier_now"] = both["tier_now"].fillna("已不在档")
    table = pd.crosstab(both["tier_prev"], both["tier_now"])
    rows = _ordered([t for t in table.index if t != "新客户"], order) + (["新客户"] if "新客户" in table.index else [])
    cols = _ordered([t for t in table.columns if t != "已不在档"], order) + (
        ["已不在档"] if "已不在档" in table.columns else [])
    table = table.loc[rows, cols]
    table.index.name, table.columns.name = "上月层级", "本月层级"
    return table


# --------------------------------------------------------------------------------------------
# 效果复盘表


def _pct(value: float) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1%}"


def draft_review(kpis: LoopKPIs, month: str, *, tier_owners: dict[str, str] | None = None) -> pd.DataFrame:
    """The 效果复盘表 rows, pre-filled from the closed-loop numbers.

    One row for task completion, one per campaign row of 活动执行, one per tier for repurchase
    (挽回率 for 流失预警客户). 核心指标(目标/实际) carries the real numbers; 问题分析 gets an
    automatic hint (``【自动提示】…``) only where a KPI misses its target, for staff to complete;
    优化措施 is left blank.

    Parameters
    ----------
    kpis : :func:`loop_kpis`.
    month : the 分析周期 written on every row (the month whose actions are reviewed).
    tier_owners : tier -> owner role (params ``strategy.tiers.<tier>.owner_role``) for the
        repurchase rows' 负责人.
    """
    rows = []
    tier_owners = tier_owners or {}
    total = kpis.completion[kpis.completion["负责人"] == "合计"]
    if len(total):
        t = total.iloc[0]
        goal = kpis.targets["completion"]
        hint = None
        if t["完成率"] < goal:
            lagging = kpis.completion[(kpis.completion["负责人"] != "合计") & (kpis.completion["完成率"] < goal)]
            names = "、".join(f"{r.负责人} {_pct(r.完成率)}（{r.已填结果}/{r.任务数}）" for r in lagging.head(5).itertuples())
            hint = f"【自动提示】完成率 {_pct(t['完成率'])} 未达目标 {_pct(goal)}；完成率偏低: {names}。请补充原因。"
        rows.append({"活动流程": "维护任务执行",
                     "核心指标(目标/实际)": f"完成率 {_pct(goal)} / {_pct(t['完成率'])}（{t['已填结果']}/{t['任务数']} 项已填结果；"
                                           f"成功 {t['成功']}、待跟进 {t['待跟进']}、失败 {t['失败']}）",
                     "问题分析": hint, "负责人": "各负责人"})
    names = {"触达率": "reach", "打开率": "open", "转化率": "conversion"}
    for r in kpis.campaign.to_dict("records"):
        if str(r["活动名称"]).startswith("合计"):
            continue
        metric = "；".join(f"{k} ≥{_pct(kpis.targets[t])} / {_pct(r[k])}" for k, t in names.items())
        misses = [f"{k} {_pct(r[k])} 低于目标 {_pct(kpis.targets[t])}" for k, t in names.items()
                  if not math.isnan(r[k]) and r[k] < kpis.targets[t]]
        hint = None
        if all(math.isnan(r[k]) for k in names):
            hint = "【自动提示】上月未回填实际发送数/打开数/点击数，无法评估。请补充原因。"
        elif misses:
            hint = "【自动提示】" + "；".join(misses)
            if r["需复盘"]:
                hint += f"；打开率低于 {_pct(kpis.review_open_below)}，建议复盘该规则（人群、时段、标题）"
            hint += "。请补充原因。"
        rows.append({"活动流程": r["活动名称"], "核心指标(目标/实际)": metric, "问题分析": hint,
                     "负责人": r["负责人"]})
    for r in kpis.repurchase.to_dict("records"):
        if r["层级"] == "全部":
            continue
        metric = (f"{r['指标']} 干预组 {_pct(r['干预组比率'])}（n={r['干预组人数']}）/ 对照组 {_pct(r['对照组比率'])}"
                  f"（n={r['对照组人数']}）")
        if not math.isnan(r["差值"]):
            metric += (f"，差 {r['差值'] * 100:+.1f} 个百分点（95%区间 {r['差值95%下限'] * 100:+.1f} ~ "
                       f"{r['差值95%上限'] * 100:+.1f}）")
        hint = None
        if not r["结论"].startswith("干预组显著更高"):
            hint = f"【自动提示】{r['层级']}{r['指标']}与对照组相比{r['结论']}。请补充原因。"
        rows.append({"活动流程": f"{r['层级']}维护（{r['指标']}）", "核心指标(目标/实际)": metric,
                     "问题分析": hint, "负责人": tier_owners.get(r["层级"])})
    frame = pd.DataFrame(rows, columns=["活动流程", "核心指标(目标/实际)", "问题分析", "负责人"])
    frame.insert(0, "分析周期", month)
    frame.insert(4, "优化措施", None)
    return frame[headers("效果复盘表", "效果复盘")]


# --------------------------------------------------------------------------------------------
# Reruns


def _sheet_owner(sheet: str) -> str:
    owners = [wb for wb, sheets in WORKBOOKS.items() if sheet in sheets]
    if len(owners) != 1:
        raise KitError(f"未知或不唯一的工作表「{sheet}」")
    return owners[0]


# Staff columns the kit pre-fills: this value there does not make a row "filled in".
_KIT_DEFAULTS = {"当前状态": "待执行"}


def previous_folder(out_dir: str | Path, month: str, configured: str | Path | None = "") -> tuple[Path, str]:
    """Last month's output folder and month: params ``closed_loop.previous_dir`` if set (relative
    to ``out_dir``'s parent), else the sibling ``<out_dir>/../<previous month>``.

    Examples
    --------
    >>> folder, prev = previous_folder("/x/outputs/2026-01", "2026-01")
    >>> folder.as_posix(), prev
    ('/x/outputs/2025-12', '2025-12')
    """
    prev = (pd.Period(month, freq="M") - 1).strftime("%Y-%m")
    parent = Path(out_dir).parent
    if configured:
        folder = Path(configured).expanduser()
        return (folder if folder.is_absolute() else parent / folder), prev
    return parent / prev, prev


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
        import yaml

        try:
            value = (yaml.safe_load(resolved.read_text(encoding="utf-8")) or {}).get("as_of")
            if value:
                return pd.Timestamp(str(value))
        except (yaml.YAMLError, ValueError, AttributeError):
            pass  # an unreadable file: fall back to the month's end
    return pd.Period(month_prev, freq="M").end_time.normalize()


def merge_staff_rows(new_frame: pd.DataFrame, existing_path: str | Path, sheet: str, key: str = "任务编号",
                     staff_columns: list[str] | None = None) -> pd.DataFrame:
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
    new_frame : the frame about to be written, with the sheet's headers as columns.
    existing_path : the workbook on disk; if it does not exist, ``new_frame`` is returned.
    sheet : the sheet of that workbook.
    key : the column identifying a row (``任务编号``; ``活动名称`` for 活动执行).
    staff_columns : default: the sheet's ``filled_by_staff`` columns in :data:`WORKBOOKS`.

    Raises
    ------
    KitError
        The existing file cannot be read, or ``key`` is in neither frame.
    """
    existing_path = Path(existing_path)
    if not existing_path.is_file():
        return new_frame.copy()
    if staff_columns is None:
        staff_columns = [c.header for c in WORKBOOKS[_sheet_owner(sheet)][sheet] if c.filled_by_staff]
    if key not in new_frame:
        raise KitError(f"merge_staff_rows: 新数据没有键列「{key}」")
    old = read_sheet(existing_path, sheet)
    if key not in old:
        raise KitError(f"{existing_path.name} 工作表「{sheet}」缺少列「{key}」，无法与已填写的内容合并；"
                       f"请恢复该列或改名保存原文件后重新运行")
    staff_columns = [c for c in staff_columns if c in old]
    # A staff column still holding the value the kit wrote (当前状态 = 待执行) is not staff's work.
    filled = pd.Series(False, index=old.index)
    for col in staff_columns:
        values = old[col].astype(object)
        filled |= values.notna() & ((values != _KIT_DEFAULTS[col]) if col in _KIT_DEFAULTS else True)
    old_key = old[key].map(lambda v: None if _blank(v) else _id_text(v))
    new_key = new_frame[key].map(lambda v: None if _blank(v) else _id_text(v))

    out = new_frame.reset_index(drop=True).copy()
    for col in staff_columns:
        if col not in out:
            out[col] = None
        out[col] = out[col].astype(object)
    first = ~old_key.duplicated() & old_key.notna()
    matched = old[first & old_key.isin(set(new_key.dropna()))]
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


# The sheets staff fill in, and the column that identifies a row across reruns.
STAFF_SHEETS = (
    ("维护执行记录表", "执行记录", "任务编号"),
    ("客户分层维护策略表", "客户策略", "任务编号"),
    ("营销活动执行表", "活动执行", "活动名称"),
    ("效果复盘表", "效果复盘", "活动流程"),
)


def preserve_staff_rows(sheets: dict, out_dir: str | Path, month: str) -> dict:
    """``sheets`` (as for :func:`analysis.outputs.workbooks.write_workbooks`) with every row staff
    already filled in this month's existing workbooks kept — so rerunning a month never
    overwrites their work. Workbooks not yet written are left as computed."""
    from analysis.outputs.workbooks import workbook_path

    out = {wb: dict(frames) for wb, frames in sheets.items()}
    for workbook, sheet, key in STAFF_SHEETS:
        if sheet in out.get(workbook, {}):
            out[workbook][sheet] = merge_staff_rows(
                out[workbook][sheet], workbook_path(out_dir, workbook, month), sheet, key=key)
    return out
