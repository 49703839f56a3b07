"""The closed loop (SPEC §8): what came of last month's plan, from the rows staff filled in.

* :class:`PreviousRun` — last month's 维护执行记录表 and 营销活动执行表 rows as staff returned
  them (read from the files by :func:`analysis.outputs.staff_files.read_previous`).
* :func:`loop_kpis` — completion, result counts, win-back and repurchase (treated vs control,
  with a 95% interval of the difference), campaign reach / open / conversion against target,
  tier migration.
* :func:`draft_review` — the 效果复盘表 rows pre-filled with the real numbers.

Pure functions on frames: finding last month's folder, reading its workbooks and keeping staff
rows on a rerun are file work, in :mod:`analysis.outputs.staff_files`; the hold-out itself is
:mod:`analysis.steps.control`.

Examples
--------
>>> [round(v, 4) for v in difference_interval(56, 70, 48, 80)]
[0.2, 0.0524, 0.3339]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.outputs.workbooks import column, headers
from analysis.reference.channels import TOUCH_CHANNEL_WORDS
from analysis.steps.automation import LIST_ORDER, list_label, list_owner_text
from analysis.steps.control import control_group, customer_key
from analysis.tiers import TierRoles
from analysis.vocab import join, text

__all__ = [
    "PreviousRun", "LoopKPIs", "loop_kpis", "wilson_interval", "difference_interval",
    "draft_review", "EXECUTION", "CAMPAIGN", "COUNT_COLUMNS", "PROBLEM_COLUMNS", "problem_columns",
]

# (workbook, sheet) keys of the two sheets read back (analysis.outputs.workbooks.WORKBOOKS).
EXECUTION = ("execution_log", "execution")
CAMPAIGN = ("campaign", "campaign")
# The count columns of 活动执行 (column keys): the kit's target, then what staff fill in —
# 送达/打开/点击 on message rows, 接通 on call rows, 成交/转化 on every row.
COUNT_COLUMNS = ("target_count", "sent", "delivered", "opens", "clicks", "connected", "conversions")
_Z95 = 1.959963984540054  # two-sided 95% normal quantile


def _h(key: str) -> str:
    """A workbook column's header in the run's language."""
    return text(f"column.{key}")


def _t(key: str, **fields) -> str:
    return text(f"closed_loop.{key}", **fields)


def _result_choices() -> tuple[str, ...]:
    """结果标记's drop-down values (成功, 待跟进, 失败) in the run's language."""
    return column(*EXECUTION, "result").choices


# --------------------------------------------------------------------------------------------
# Last month's rows

# PreviousRun.problems: one row per cell staff filled wrongly (labels closed_loop.problems.*).
PROBLEM_COLUMNS = ("file", "sheet", "row", "column", "problem", "message")


def problem_columns() -> list[str]:
    """The headers of :attr:`PreviousRun.problems` in the run's language: 文件, 工作表, 行号,
    列, 问题, 说明."""
    return [_t(f"problems.{k}") for k in PROBLEM_COLUMNS]



@dataclass
class PreviousRun:
    """Last month's staff-filled workbooks, as far as they could be used.

    ``execution`` has the 执行记录 columns (执行日期 as datetimes, 结果标记 one of the three
    choices or missing) and ``campaign`` the 活动执行 columns (counts as numbers, missing where
    not filled in), headers in the run's language; both are indexed by Excel row (行号). Rows
    staff filled wrongly are left out and described in ``warnings`` (a few per sheet, then a
    count) and, every one, in ``problems`` (文件, 工作表, 行号, 列, 问题, 说明) for a table staff
    can work through; ``notes`` says what was not there at all.
    """

    month: str
    folder: Path | None
    execution: pd.DataFrame
    campaign: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=problem_columns()))

    @property
    def found(self) -> bool:
        """Whether anything of last month was read."""
        return len(self.execution) > 0 or len(self.campaign) > 0


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
    win_back_tier: str | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables under their titles in the run's language, in report order (no win-back
        table when the run has no win-back tier)."""
        titles = [(_t("title.completion"), self.completion), (_t("title.results"), self.results)]
        if self.win_back_tier is not None:
            titles.append((_t("title.win_back", tier=self.win_back_tier), self.win_back))
        titles += [(_t("title.repurchase"), self.repurchase), (_t("title.campaign"), self.campaign),
                   (_t("title.migration"), self.migration)]
        return dict(titles)


def wilson_interval(successes: int, n: int, z: float = _Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion; (nan, nan) when ``n`` is 0.

    Examples
    --------
    >>> [round(v, 4) for v in wilson_interval(0, 10)]
    [0.0, 0.2775]
    """
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
              review_open_below: float, *, roles: TierRoles, control_share: float, control_salt: str,
              segments_now: pd.DataFrame | None = None) -> LoopKPIs:
    """The closed-loop tables: what was done with last month's plan and what came of it.

    Parameters
    ----------
    previous : :func:`analysis.outputs.staff_files.read_previous`.
    plan_prev : last month's plan (``customer_id``, ``tier``, ``owner``; ``control`` if the
        plan marked the hold-out), or None.
    segments_prev, segments_now : ``customer_id`` and ``tier`` of last month's and this
        month's runs (this month's only for the migration matrix).
    orders_now : this run's orders (``customer_id``, ``order_date``, ``amount``); a customer
        "bought since" with an order of amount > 0 in (``as_of_prev``, ``as_of_now``].
    targets : ``{"reach": 0.85, "open": 0.25, "conversion": 0.10}`` (params
        ``closed_loop.targets``); ``"completion"`` defaults to 1.0 (every task got a result).
    review_open_below : a campaign row whose open rate is below this is flagged for review
        (params ``closed_loop.review_open_below``).
    roles : the run's :class:`~analysis.tiers.TierRoles`: the order tiers are listed in, and
        the win-back tier (its rate is the 挽回率; None: no win-back table).
    control_share, control_salt : params ``automation.control_share`` / ``control_salt``, to
        redraw the control group (the same customers, the draw is stable) when ``plan_prev``
        has no ``control`` column.

    Returns
    -------
    LoopKPIs with (column names in the run's language)

    * ``completion`` — per 负责人 (执行人): 任务数, 已填结果 (结果标记 filled = done), 完成率,
      then one count per result choice (成功, 待跟进, 失败); last row 合计.
    * ``results`` — per last month's 客户层级: one column per result choice, 未填, 合计.
    * ``repurchase`` — per tier and 全部: share of last month's customers who bought since,
      干预组 (not held out) vs 对照组, 差值 and its 95% interval (Newcombe's hybrid score
      interval, built on Wilson intervals), 结论. ``win_back`` is the win-back tier's row (挽回率).
    * ``campaign`` — per 活动执行 row: 触达率 = 实际发送数/目标客户数, 打开率 = 打开数/实际发送数
      (message rows only; 不适用 on a call-only row), 转化率 = 成交/转化数/实际发送数, each
      达标 是/否/未填 against target, 需复盘 where open < review level.
    * ``migration`` — customers by last month's tier (rows, plus 新客户) and this month's
      (columns, plus 已不在档).
    """
    targets = {"completion": 1.0, **(targets or {})}
    notes = list(previous.notes)
    order = list(roles.order)
    tier_of = (segments_prev.set_index(segments_prev["customer_id"].map(customer_key))["tier"]
               if segments_prev is not None else pd.Series(dtype=object))

    completion = _completion(previous.execution)
    results = _results(previous.execution, tier_of, order)
    repurchase = _repurchase(plan_prev, segments_prev, orders_now, as_of_prev, as_of_now,
                             control_share, control_salt, order, roles.win_back, notes)
    win_back = repurchase[repurchase[_t("repurchase.tier")] == roles.win_back].reset_index(drop=True)
    campaign = _campaign(previous.campaign, targets, review_open_below)
    migration = _migration(segments_prev, segments_now, order)
    if segments_now is None:
        notes.append(_t("note.no_segments_now"))
    return LoopKPIs(completion, results, repurchase, win_back, campaign, migration, targets,
                    review_open_below, notes, list(previous.warnings), roles.win_back)


def _ordered(values, order: list[str]) -> list:
    rank = {t: i for i, t in enumerate(order)}
    return sorted(values, key=lambda t: (rank.get(t, len(rank)), str(t)))


def _ratio(num, den) -> float:
    return float(num) / float(den) if not pd.isna(den) and not pd.isna(num) and den else math.nan


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or (
        isinstance(value, str) and not value.strip())


def _completion(execution: pd.DataFrame) -> pd.DataFrame:
    owner = _t("completion.owner")
    columns = [owner, _t("completion.tasks"), _t("completion.done"), _t("completion.rate"),
               *_result_choices()]
    if execution.empty:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame({
        owner: execution[_h("executor")].map(lambda v: _t("completion.no_executor") if _missing(v) else str(v)),
        "result": execution[_h("result")],
    })
    rows = [_completion_row(name, group["result"]) for name, group in frame.groupby(owner, sort=False)]
    out = pd.DataFrame(rows, columns=columns).sort_values([columns[3], columns[1]], ascending=[True, False])
    total = _completion_row(_t("total"), frame["result"])
    return pd.concat([out, pd.DataFrame([total], columns=columns)], ignore_index=True)


def _completion_row(owner: str, marks: pd.Series) -> dict:
    done = int(marks.notna().sum())
    return {_t("completion.owner"): owner, _t("completion.tasks"): len(marks),
            _t("completion.done"): done, _t("completion.rate"): _ratio(done, len(marks)),
            **{m: int((marks == m).sum()) for m in _result_choices()}}


def _results(execution: pd.DataFrame, tier_of: pd.Series, order: list[str]) -> pd.DataFrame:
    tier_label, not_filled, total = _t("results.tier"), _t("not_filled"), _t("total")
    columns = [tier_label, *_result_choices(), not_filled, total]
    if execution.empty:
        return pd.DataFrame(columns=columns)
    tier = execution[_h("customer_id")].map(tier_of).fillna(_t("results.unknown_customer"))
    mark = execution[_h("result")].fillna(not_filled)
    table = pd.crosstab(tier, mark).reindex(columns=columns[1:-1], fill_value=0)
    table = table.loc[_ordered(table.index, order)]
    table.loc[total] = table.sum()
    table[total] = table.sum(axis=1)
    return table.rename_axis(tier_label).reset_index().rename_axis(None, axis=1)


def _bought_since(orders: pd.DataFrame | None, as_of_prev, as_of_now) -> set[str]:
    if orders is None or orders.empty:
        return set()
    when = pd.to_datetime(orders["order_date"])
    start, end = pd.Timestamp(as_of_prev), pd.Timestamp(as_of_now)
    # as_of is a day: an order on as_of_prev was already counted last month.
    inside = (when.dt.normalize() > start.normalize()) & (when.dt.normalize() <= end.normalize())
    if "amount" in orders:
        inside &= pd.to_numeric(orders["amount"], errors="coerce").fillna(0) > 0  # returns are not a purchase
    return set(orders.loc[inside, "customer_id"].map(customer_key))


_REPURCHASE_COLUMNS = ("tier", "metric", "treated_n", "treated_buyers", "treated_rate", "control_n",
                       "control_buyers", "control_rate", "difference", "difference_low",
                       "difference_high", "verdict")


def _repurchase(plan_prev, segments_prev, orders_now, as_of_prev, as_of_now, share, salt,
                order, win_back_tier, notes) -> pd.DataFrame:
    label = {k: _t(f"repurchase.{k}") for k in _REPURCHASE_COLUMNS}
    columns = list(label.values())
    if segments_prev is None or segments_prev.empty:
        notes.append(_t("note.no_segments_prev"))
        return pd.DataFrame(columns=columns)
    if orders_now is None:
        notes.append(_t("note.no_orders"))
        return pd.DataFrame(columns=columns)
    base = pd.DataFrame({"customer_id": segments_prev["customer_id"].map(customer_key).to_numpy(),
                         "tier": segments_prev["tier"].to_numpy()})
    if plan_prev is not None and "control" in plan_prev:
        held = dict(zip(plan_prev["customer_id"].map(customer_key), plan_prev["control"].astype(bool)))
        base["control"] = base["customer_id"].map(held).fillna(False).astype(bool)
    else:
        base["control"] = control_group(base["customer_id"], base["tier"], share=share, salt=salt).to_numpy()
        notes.append(_t("note.control_redrawn"))
    base["bought"] = base["customer_id"].isin(_bought_since(orders_now, as_of_prev, as_of_now))
    rows = []
    groups = [(t, base[base["tier"] == t]) for t in _ordered(base["tier"].dropna().unique(), order)]
    for tier, group in groups + [(_t("repurchase.all"), base)]:
        treated, control = group[~group["control"]], group[group["control"]]
        x1, n1, x2, n2 = int(treated["bought"].sum()), len(treated), int(control["bought"].sum()), len(control)
        d, lo, hi = difference_interval(x1, n1, x2, n2)
        metric = _t("metric.win_back") if win_back_tier is not None and tier == win_back_tier \
            else _t("metric.repurchase")
        values = (tier, metric, n1, x1, _ratio(x1, n1), n2, x2, _ratio(x2, n2), d, lo, hi,
                  _verdict(n1, n2, lo, hi))
        rows.append(dict(zip(columns, values)))
    return pd.DataFrame(rows, columns=columns)


def _verdict(n1: int, n2: int, lo: float, hi: float) -> str:
    if n1 == 0 or n2 == 0:
        return _t("verdict.no_control") if n2 == 0 else _t("verdict.no_treated")
    small = _t("verdict.small_control") if n2 < 30 else ""
    if lo > 0:
        return _t("verdict.higher") + small
    if hi < 0:
        return _t("verdict.lower") + small
    return _t("verdict.no_difference") + small


# Campaign rates: (rate key, numerator column, denominator column), each judged against
# targets[rate key]. Conversion is what the campaign was for — orders (calls: deals) per
# message sent or customer called — not clicks per open.
_RATES = (("reach", "sent", "target_count"), ("open", "opens", "sent"), ("conversion", "conversions", "sent"))
# Rates that only messages have (a call is not opened).
_MESSAGE_RATES = ("open",)
_MESSAGE_WORDS = "|".join(words for kind, words in TOUCH_CHANNEL_WORDS.items() if kind != "phone")


def _takes_messages(channel) -> bool:
    """Whether a 活动执行 row's 触达渠道 names a message channel (a blank one is assumed to)."""
    if _missing(channel):
        return True
    return bool(pd.Series([str(channel)]).str.contains(_MESSAGE_WORDS, case=False, regex=True).iloc[0])


def _campaign_columns() -> list[str]:
    return ([_h(k) for k in ("campaign_name", "target_label", "owner", *COUNT_COLUMNS)]
            + [_t(f"campaign.{rate}_rate") for rate, _, _ in _RATES]
            + [_t(f"campaign.{rate}_met") for rate, _, _ in _RATES] + [_t("campaign.review")])


def _campaign(campaign: pd.DataFrame, targets: dict, review_open_below: float) -> pd.DataFrame:
    columns = _campaign_columns()
    if campaign.empty:
        return pd.DataFrame(columns=columns)
    name, label, owner, channel = _h("campaign_name"), _h("target_label"), _h("owner"), _h("channel")
    rows = [_campaign_row(r[name], r[label], r[owner], r, targets, review_open_below,
                          _takes_messages(r.get(channel)))
            for _, r in campaign.iterrows()]  # a few rows per month
    filled = campaign.dropna(subset=[_h("sent")])
    total = {_h(c): filled[_h(c)].sum(min_count=1) for c in COUNT_COLUMNS}
    # Opens only count on message rows: the total's open rate is over what they sent.
    channels = filled[channel] if channel in filled else pd.Series(None, index=filled.index, dtype=object)
    takes = [_takes_messages(v) for v in channels]
    total["_sent_messages"] = filled.loc[pd.Series(takes, index=filled.index, dtype=bool), _h("sent")].sum(min_count=1)
    rows.append(_campaign_row(_t("campaign.total_row"), None, None, total, targets, review_open_below, True))
    return pd.DataFrame(rows, columns=columns)


def _campaign_row(name, label, owner, counts, targets, review_open_below, messages: bool) -> dict:
    c = {k: (None if pd.isna(counts.get(_h(k))) else int(counts[_h(k)])) for k in COUNT_COLUMNS}
    rates = {rate: _ratio(c[num], c[den]) for rate, num, den in _RATES}
    if "_sent_messages" in counts:
        rates["open"] = _ratio(c["opens"], counts["_sent_messages"])
    if not messages:
        for rate in _MESSAGE_RATES:
            rates[rate] = math.nan
    met = {_t(f"campaign.{rate}_met"): (_t("mark.not_applicable") if rate in _MESSAGE_RATES and not messages
                                         else _t("not_filled") if math.isnan(v) else
                                         _t("mark.yes") if v >= targets[rate] else _t("mark.no"))
           for rate, v in rates.items()}
    review = (_t("campaign.review_flag", level=review_open_below)
              if not math.isnan(rates["open"]) and rates["open"] < review_open_below else "")
    return {_h("campaign_name"): name, _h("target_label"): label, _h("owner"): owner,
            **{_h(k): v for k, v in c.items()},
            **{_t(f"campaign.{rate}_rate"): v for rate, v in rates.items()}, **met,
            _t("campaign.review"): review}


def _migration(segments_prev, segments_now, order) -> pd.DataFrame:
    if segments_prev is None or segments_now is None:
        return pd.DataFrame()
    new, gone = _t("migration.new"), _t("migration.gone")
    prev = segments_prev[["customer_id", "tier"]].assign(customer_id=lambda f: f["customer_id"].map(customer_key))
    now = segments_now[["customer_id", "tier"]].assign(customer_id=lambda f: f["customer_id"].map(customer_key))
    both = prev.merge(now, on="customer_id", how="outer", suffixes=("_prev", "_now"))
    both["tier_prev"] = both["tier_prev"].fillna(new)
    both["tier_now"] = both["tier_now"].fillna(gone)
    table = pd.crosstab(both["tier_prev"], both["tier_now"])
    rows = _ordered([t for t in table.index if t != new], order) + ([new] if new in table.index else [])
    cols = _ordered([t for t in table.columns if t != gone], order) + ([gone] if gone in table.columns else [])
    table = table.loc[rows, cols]
    table.index.name, table.columns.name = _t("migration.tier_prev"), _t("migration.tier_now")
    return table


# --------------------------------------------------------------------------------------------
# 效果复盘表


def _pct(value: float) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1%}"


def _hint(body: str) -> str:
    """An automatic hint in 问题分析 for staff to complete: ``【自动提示】…。请补充原因。``"""
    return _t("review.hint", body=body)


def draft_review(kpis: LoopKPIs, month: str, *, tier_owners: dict[str, str] | None = None,
                 tier_kpis: dict[str, str] | None = None) -> pd.DataFrame:
    """The 效果复盘表 rows, pre-filled from the closed-loop numbers: one row per metric, its
    目标 and 实际 in columns of their own.

    Rows: task completion; for every 活动执行 row its 触达率, 打开率 (message rows) and 转化率;
    every automated list (:data:`~analysis.steps.automation.LIST_ORDER`) that had no 活动执行
    row last month, said so; per tier its 复购率 (挽回率 for the win-back tier) against the
    control group. 问题分析 gets an automatic hint (``【自动提示】…``) only where a KPI misses its
    target, for staff to complete; 优化措施 is left blank. Columns are the 效果复盘 sheet's
    headers in the run's language.

    Parameters
    ----------
    kpis : :func:`loop_kpis`.
    month : the 分析周期 written on every row (the month whose actions are reviewed).
    tier_owners : tier -> who owns its tasks (:func:`analysis.steps.strategy.tier_owner_texts`)
        for the tier rows' 负责人.
    tier_kpis : tier -> its KPI as params state it (``strategy.tiers.<tier>.kpi``), the tier
        rows' 目标; without it, "higher than the control group".
    """
    rows = []
    tier_owners, tier_kpis = tier_owners or {}, tier_kpis or {}
    flow, kpi, target, actual, problem, owner_col = (_h(k) for k in ("flow", "kpi", "target", "actual",
                                                                      "problem", "owner"))
    sep = _t("review.separator")

    completion = kpis.completion
    owner, tasks, done, rate = (_t(f"completion.{k}") for k in ("owner", "tasks", "done", "rate"))
    total = completion[completion[owner] == _t("total")] if len(completion) else completion
    if len(total):
        t = total.iloc[0]
        goal = kpis.targets["completion"]
        hint = None
        if t[rate] < goal:
            lagging = completion[(completion[owner] != _t("total")) & (completion[rate] < goal)]
            names = join(_t("review.owner_rate", owner=r[owner], rate=_pct(r[rate]), done=r[done], tasks=r[tasks])
                         for r in lagging.head(5).to_dict("records"))
            hint = _hint(_t("review.completion_short", actual=_pct(t[rate]), goal=_pct(goal), owners=names))
        results = join(f"{m} {t[m]}" for m in _result_choices())
        rows.append({flow: _t("review.flow_tasks"), kpi: _t("completion.rate"),
                     target: _t("review.at_least", value=_pct(goal)),
                     actual: _t("review.completion_actual", actual=_pct(t[rate]), done=t[done], tasks=t[tasks],
                                results=results),
                     problem: hint, owner_col: _t("review.every_owner")})

    rate_label = {r: _t(f"campaign.{r}_rate") for r, _, _ in _RATES}
    reviewed_lists = set()
    for r in kpis.campaign.to_dict("records"):
        if r[_h("campaign_name")] == _t("campaign.total_row"):
            continue
        reviewed_lists.add(r[_h("target_label")])
        measured = [k for k in rate_label if r[_t(f"campaign.{k}_met")] != _t("mark.not_applicable")]
        blank = all(math.isnan(r[rate_label[k]]) for k in measured)
        for i, k in enumerate(measured):
            value = r[rate_label[k]]
            hint = None
            if blank and i == 0:
                hint = _hint(_t("review.no_counts", columns="/".join(_h(c) for c in ("sent", "conversions"))))
            elif not math.isnan(value) and value < kpis.targets[k]:
                body = _t("review.below_target", rate=rate_label[k], actual=_pct(value),
                          target=_pct(kpis.targets[k]))
                if k == "open" and r[_t("campaign.review")]:
                    body += sep + _t("review.review_rule", level=_pct(kpis.review_open_below))
                hint = _hint(body)
            rows.append({flow: r[_h("campaign_name")], kpi: rate_label[k],
                         target: _t("review.at_least", value=_pct(kpis.targets[k])),
                         actual: _t("not_filled") if math.isnan(value) else _pct(value),
                         problem: hint, owner_col: r[_h("owner")]})
    missing = _t("review.no_list") if len(kpis.campaign) else _t("not_filled")
    for name in LIST_ORDER:
        if list_label(name) not in reviewed_lists:
            rows.append({flow: list_label(name), kpi: rate_label["conversion"],
                         target: _t("review.at_least", value=_pct(kpis.targets["conversion"])),
                         actual: missing, problem: None, owner_col: list_owner_text(name)})

    c = {k: _t(f"repurchase.{k}") for k in _REPURCHASE_COLUMNS}
    for r in kpis.repurchase.to_dict("records"):
        if r[c["tier"]] == _t("repurchase.all"):
            continue
        measured = _t("review.repurchase_actual", treated=_pct(r[c["treated_rate"]]), n_treated=r[c["treated_n"]],
                      control=_pct(r[c["control_rate"]]), n_control=r[c["control_n"]])
        if not math.isnan(r[c["difference"]]):
            measured += _t("review.difference", diff=r[c["difference"]] * 100, low=r[c["difference_low"]] * 100,
                           high=r[c["difference_high"]] * 100)
        hint = None
        if not r[c["verdict"]].startswith(_t("verdict.higher")):
            hint = _hint(_t("review.tier_vs_control", tier=r[c["tier"]], metric=r[c["metric"]],
                            verdict=r[c["verdict"]]))
        rows.append({flow: _t("review.flow_tier", tier=r[c["tier"]], metric=r[c["metric"]]), kpi: r[c["metric"]],
                     target: tier_kpis.get(r[c["tier"]], _t("review.above_control")), actual: measured,
                     problem: hint, owner_col: tier_owners.get(r[c["tier"]])})
    frame = pd.DataFrame(rows, columns=[flow, kpi, target, actual, problem, owner_col])
    frame.insert(0, _h("period"), month)
    frame[_h("improvement")] = None
    return frame[headers("review", "review")]
