"""The executive summary at the top of the HTML report, from the run's interim tables.

What a manager reads in two minutes and acts on: this month's numbers with the change since
last month, who must do what by when (one row per owner, the control group left out), the
three findings that matter as business sentences, and the backtest's verdict on the warnings.
The test statistics stay in notebook 04.

Every sentence is a template in analysis/vocab/report.yml (``summary.*``) in the run's
language; tier names and their order come from params (:class:`analysis.tiers.TierRoles`),
last month's folder from :func:`analysis.context.previous_run` — the same one
notebook 05's closed loop reads.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from analysis.catalog import read_interim
from analysis.config import interim_dir
from analysis.context import previous_run
from analysis.steps.workdays import add_working_days, working_calendar
from analysis.tiers import TierRoles
from analysis.vocab import join, text

__all__ = ["executive_summary", "owner_table", "change", "due_soon_by", "DUE_SOON_WORKING_DAYS", "FINDINGS"]

# Tasks due within this many working days after the as-of date are "due this week" (a week of
# working days, so that a holiday such as 国庆 does not leave the first week empty).
DUE_SOON_WORKING_DAYS = 5
# How many findings the summary states.
FINDINGS = 3


def executive_summary(out_dir: Path, month: str, as_of: pd.Timestamp, roles: TierRoles,
                      previous_dir: str | Path | None, *, params: dict | None = None) -> str:
    """Markdown: the month's numbers and their change, the owners' tasks, findings, verdict.

    Parameters
    ----------
    out_dir : the run's output folder (its ``interim/`` tables are read; any may be missing).
    month : the run's ``YYYY-MM``.
    as_of : the run's analysis date.
    roles : the run's tiers (``tier_roles(params)``): their order, and the win-back tier whose
        rate last month's loop reports.
    previous_dir : last month's folder from the run context (``RunContext.previous_dir``).
    params : the run's resolved params (the RFM window the "active" count is measured over,
        the holidays of ``strategy``); read from the run folder's ``params_resolved.yml`` when
        not given.
    """
    folder = interim_dir(out_dir)
    segments = read_interim(folder, "segments", optional=True)
    lines = [f"## {text('summary.title')}", ""]
    if segments is None:
        return "\n".join(lines + [text("summary.no_segments")])
    as_of = pd.Timestamp(as_of)
    if len(segments) == 0:
        return "\n".join(lines + ["- " + text("summary.no_customers", date=as_of.date())])

    prev_dir, month_prev = previous_run(out_dir, month, previous_dir)
    prev_folder = interim_dir(prev_dir)
    prev_segments = read_interim(prev_folder, "segments", optional=True)
    churn = read_interim(folder, "churn", optional=True)
    prev_churn = read_interim(prev_folder, "churn", optional=True) if prev_segments is not None else None
    params = _params(out_dir, params)
    window = (params.get("rfm") or {}).get("window_months")

    # ---- this month's numbers, each with its change since last month
    known = prev_segments is not None
    heading = text("summary.numbers" if known else "summary.numbers_baseline", date=as_of.date(), month=month_prev)
    lines += [f"**{heading}**", ""]
    n, active = len(segments), int(segments["purchased_in_window"].sum())
    prev_active = (int(prev_segments["purchased_in_window"].sum())
                   if known and "purchased_in_window" in prev_segments else None)
    lines.append("- " + text("summary.customers", n=n, change=_paren(n, len(prev_segments) if known else None),
                             active=active, share=active / n, active_change=_paren(active, prev_active),
                             window=text("summary.window", months=window) if window else
                             text("summary.window_unknown")))
    money = []
    if churn is not None:
        warned = int(churn["churn_warning"].sum())
        prev_warned = int(prev_churn["churn_warning"].sum()) if prev_churn is not None else None
        money.append(text("summary.warnings", n=warned, change=_paren(warned, prev_warned)))
    revenue = _monthly_revenue(read_interim(folder, "orders", optional=True, columns=["order_date", "net_amount"]),
                               as_of)
    if revenue is not None:
        this, last = revenue
        money.append(text("summary.revenue", amount=this, change=_paren(this, last, money=True)))
    if money:
        lines.append("- " + text("summary.separator").join(money) + text("summary.end"))
    # the tier table sits in the summary so that it prints on page one with it
    lines += [""] + tier_table_lines(segments, prev_segments, roles)

    # ---- who does what by when
    plan = read_interim(folder, "plan", optional=True)
    if plan is not None and len(plan):
        lines += [""] + _plan_lines(plan, due_soon_by(as_of, params),
                                    read_interim(folder, "lists_overview", optional=True))

    # ---- the findings that matter, and whether to trust the warnings
    insights = read_interim(folder, "insights", optional=True)
    findings = _findings(insights)
    if findings:
        lines += ["", f"**{text('summary.findings')}**", ""]
        lines += [f"{i}. {finding}" for i, finding in enumerate(findings, 1)]
    elif insights is not None:  # notebook 04 ran but had no attribute to compare: say so
        lines += ["", f"**{text('summary.findings')}**" + text("summary.no_findings")]
    verdict = read_interim(folder, "backtest_verdict", optional=True)
    extra = []
    if verdict is not None and len(verdict):
        extra.append("- " + text("summary.verdict", verdict=verdict["headline"].iloc[0]))
    extra += _loop_lines(read_interim(folder, "loop_completion", optional=True),
                         read_interim(folder, "loop_win_back", optional=True), roles)
    accounting = read_interim(folder, "row_accounting", optional=True)
    if accounting is not None and len(accounting) and not accounting["closes"].all():
        # rows set aside are reported in 01; the summary speaks only when the counts do not close
        extra.append("- " + _quality_line(accounting))
    if extra:
        lines += [""] + extra
    return "\n".join(lines)


def change(now: float, before: float | None, *, relative: bool = True, money: bool = False) -> str:
    """The change since last month: ``+12 / +0.4%`` (or ``+12`` with ``relative=False``),
    ``持平`` when equal, ``上月无数据`` when last month is unknown; money in whole 元.

    Examples
    --------
    >>> change(3012, 3000), change(97, 100), change(5, 5), change(5, None)
    ('+12 / +0.4%', '−3 / −3.0%', '持平', '上月无数据')
    >>> change(4, 0), change(24, 23, relative=False), change(1200.4, 1000, money=True)
    ('+4', '+1', '+200 元 / +20.0%')
    """
    if before is None or pd.isna(before):
        return text("summary.change.unknown")
    diff = round(now - before) if money else now - before
    if diff == 0:
        return text("summary.change.same")
    sign = "+" if diff > 0 else "\u2212"  # a real minus sign, as the report prints it
    step = text("summary.change.money" if money else "summary.change.count", n=abs(diff))
    if not relative or before == 0:
        return f"{sign}{step}"
    return f"{sign}{step} / {sign}{abs(diff) / abs(before):.1%}"


def tier_table_lines(segments: pd.DataFrame, prev_segments: pd.DataFrame | None,
                     roles: TierRoles) -> list[str]:
    """A markdown table, one row per tier in display order: customers, share of all customers
    and the change since last month (left out when last month is unknown).

    Examples
    --------
    >>> from analysis.tiers import TierRoles
    >>> roles = TierRoles(order=("核心客户", "普通客户"), default="普通客户", high_value=("核心客户",),
    ...                   win_back=None, sleeping=None)
    >>> now = pd.DataFrame({"tier": ["核心客户", "普通客户", "普通客户", "普通客户"]})
    >>> print("\\n".join(tier_table_lines(now, now.iloc[:3], roles)))
    | 分层 | 客户 | 占比 | 较上月 |
    |---|---:|---:|---:|
    | 核心客户 | 1 | 25.0% | 持平 |
    | 普通客户 | 3 | 75.0% | +1 |
    """
    counts = segments["tier"].value_counts()
    before = prev_segments["tier"].value_counts() if prev_segments is not None else None
    n = max(len(segments), 1)
    # without last month the change column is left out (the heading says so once)
    keys = ("tier", "customers", "share") + (("change",) if before is not None else ())
    header = [text(f"summary.tier_table.{k}") for k in keys]
    rows = [f"| {' | '.join(header)} |", "|---|" + "---:|" * (len(keys) - 1)]
    for tier in roles.order:
        now = int(counts.get(tier, 0))
        last = None if before is None else int(before.get(tier, 0))
        if not now and not last:
            continue
        cells = [tier, f"{now:,}", f"{now / n:.1%}"]
        if before is not None:
            cells.append(change(now, last, relative=False))
        rows.append(f"| {' | '.join(cells)} |")
    return rows


def _paren(now: float, before: float | None, **how) -> str:
    """``（+12 / +0.4%）`` after a number, nothing when last month is unknown (the heading says so)."""
    return "" if before is None else text("summary.paren", change=change(now, before, **how))


def due_soon_by(as_of: pd.Timestamp, params: dict | None = None) -> pd.Timestamp:
    """The last day of "this week": :data:`DUE_SOON_WORKING_DAYS` working days after ``as_of``,
    on the run's calendar (``strategy.holidays`` / ``extra_workdays``): from 10-31 (Saturday), Mon
    11-02 to Fri 11-06; from 09-30 past 国庆 (10-01 to 10-07) and the working Saturday 10-10.

    Examples
    --------
    >>> due_soon_by(pd.Timestamp("2026-10-31")).date(), due_soon_by(pd.Timestamp("2026-09-30")).date()
    (datetime.date(2026, 11, 6), datetime.date(2026, 10, 13))
    """
    strategy = (params or {}).get("strategy") or {}
    calendar = working_calendar(strategy.get("holidays") or (), strategy.get("extra_workdays") or ())
    return pd.Timestamp(add_working_days(pd.Timestamp(as_of).normalize(), DUE_SOON_WORKING_DAYS, calendar))


def owner_table(plan: pd.DataFrame, by: pd.Timestamp) -> pd.DataFrame:
    """Per owner, the month's tasks without the control group (who must not be contacted):
    ``owner``, ``tasks``, ``due_soon`` (due on or before ``by``) and ``value_at_risk`` (元; NaN
    when the plan does not carry it) — most due soon first, then most tasks.

    Examples
    --------
    >>> plan = pd.DataFrame({"owner": ["王", "王", "李", "李"], "control": [False, True, False, False],
    ...                      "due_date": pd.to_datetime(["2026-11-03", "2026-11-03", "2026-11-20", "2026-11-05"])})
    >>> owner_table(plan, pd.Timestamp("2026-11-06")).to_dict("records")
    [{'owner': '李', 'tasks': 2, 'due_soon': 1, 'value_at_risk': nan}, {'owner': '王', 'tasks': 1, 'due_soon': 1, 'value_at_risk': nan}]
    """
    tasks = plan[~plan["control"].fillna(False).astype(bool)] if "control" in plan else plan
    due = pd.to_datetime(tasks["due_date"])
    frame = pd.DataFrame({
        "owner": tasks["owner"].astype("string").fillna(text("summary.no_owner")).to_numpy(),
        "due_soon": (due <= pd.Timestamp(by)).to_numpy(),
        "value_at_risk": (pd.to_numeric(tasks["value_at_risk"], errors="coerce").to_numpy()
                          if "value_at_risk" in tasks else float("nan")),
    })
    out = frame.groupby("owner", sort=True).agg(
        tasks=("due_soon", "size"), due_soon=("due_soon", "sum"),
        value_at_risk=("value_at_risk", lambda v: v.sum(min_count=1)))
    out = out.reset_index().astype({"tasks": int, "due_soon": int})
    return out.sort_values(["due_soon", "tasks", "owner"], ascending=[False, False, True],
                           kind="mergesort").reset_index(drop=True)


def _plan_lines(plan: pd.DataFrame, by: pd.Timestamp, lists: pd.DataFrame | None) -> list[str]:
    """The tasks in one sentence (with what the automated lists send without anyone's work),
    then a markdown table with one row per owner."""
    control = int(plan["control"].fillna(False).astype(bool).sum()) if "control" in plan else 0
    owners = owner_table(plan, by)
    by = pd.Timestamp(by).date()
    value = owners["value_at_risk"].sum(min_count=1)
    head = text("summary.tasks", n=int(owners["tasks"].sum()), control=control,
                soon=int(owners["due_soon"].sum()), by=by, days=DUE_SOON_WORKING_DAYS,
                value=text("summary.tasks_value", value=value) if pd.notna(value) else "",
                log_workbook=text("workbook.execution_log"), automated=_automated(lists))
    header = [text("summary.owner.owner"), text("summary.owner.tasks"),
              text("summary.owner.due_soon", by=by), text("summary.owner.value_at_risk")]
    rows = [f"| {' | '.join(header)} |", "|" + "---|" + "---:|" * 3]
    for row in owners.itertuples(index=False):
        worth = f"{row.value_at_risk:,.0f}" if pd.notna(row.value_at_risk) else "—"
        rows.append(f"| {row.owner} | {row.tasks:,} | {row.due_soon:,} | {worth} |")
    return [f"**{text('summary.who')}**", "", "- " + head, ""] + rows


def _automated(lists: pd.DataFrame | None) -> str:
    """``；自动化名单另发送 895 人次`` from ``lists_overview`` (its headers in the run's language);
    nothing when no list selected anyone."""
    selected = text("automation.overview.selected")
    if lists is None or not len(lists) or selected not in lists:
        return ""
    n = int(pd.to_numeric(lists[selected], errors="coerce").fillna(0).sum())
    return text("summary.automated", n=n) if n else ""


def _findings(insights: pd.DataFrame | None) -> list[str]:
    """The :data:`FINDINGS` most relevant business sentences, one per dimension (notebook 04's
    ``business_findings``); an older table without dimensions gives its first sentences."""
    if insights is None or not len(insights):
        return []
    if {"dimension", "relevance"} <= set(insights.columns):
        ranked = insights.sort_values("relevance", ascending=False, kind="mergesort")
        insights = ranked.drop_duplicates("dimension")
    end = text("summary.end")
    return [s if s.endswith(end) else s + end for s in map(str, insights["insight"].head(FINDINGS))]


def _params(out_dir: Path, params: dict | None) -> dict:
    """The run's params: as given, else the run folder's params_resolved.yml, else none."""
    if params is not None:
        return params
    resolved = Path(out_dir) / "params_resolved.yml"
    if not resolved.is_file():
        return {}
    return yaml.safe_load(resolved.read_text(encoding="utf-8")) or {}


def _monthly_revenue(orders: pd.DataFrame | None, as_of: pd.Timestamp) -> tuple[float, float] | None:
    """Net sales (元, returns deducted in the month they happen, as the cohort table counts them)
    of the as-of date's month up to that date, and of the whole month before — or, when the
    orders end before the as-of date, of this month up to the last order and the same days of
    last month."""
    if orders is None or not len(orders) or "net_amount" not in orders:
        return None
    day = pd.to_datetime(orders["order_date"]).dt.normalize()
    as_of = pd.Timestamp(as_of).normalize()
    start = as_of.replace(day=1)
    # an export that ends before the as-of date (mid-month) is compared with the same days
    # of last month, not with the whole month: else a partial month reads as a collapse
    end = min(as_of, day.max()) if day.notna().any() else as_of
    before = start - pd.DateOffset(months=1)
    before_end = start - pd.Timedelta(days=1)
    if end < as_of:
        before_end = min(before + (end - start), before_end)
    net = pd.to_numeric(orders["net_amount"], errors="coerce").fillna(0.0)
    return (float(net[(day >= start) & (day <= end)].sum()),
            float(net[(day >= before) & (day <= before_end)].sum()))


def _loop_lines(completion: pd.DataFrame | None, win_back: pd.DataFrame | None,
                roles: TierRoles) -> list[str]:
    """Last month's tasks completed and win-back rate, in one line (``loop_completion``,
    ``loop_win_back``)."""
    parts = []
    if completion is not None and len(completion):
        total = completion.iloc[-1]
        parts.append(text("summary.completion",
                          tasks=int(total[text("closed_loop.completion.tasks")]),
                          done=int(total[text("closed_loop.completion.done")]),
                          rate=total[text("closed_loop.completion.rate")]))
    groups = {"treated": text("closed_loop.repurchase.treated_rate"),
              "control": text("closed_loop.repurchase.control_rate")}
    verdict = text("closed_loop.repurchase.verdict")
    if (roles.win_back is not None and win_back is not None and len(win_back)
            and {*groups.values(), verdict} <= set(win_back.columns)):
        row = win_back.iloc[0]
        rates = join(text("summary.group_rate", group=text(f"summary.group.{g}"), rate=row[column])
                     for g, column in groups.items() if pd.notna(row[column]))
        parts.append(text("summary.win_back", tier=roles.win_back, rates=rates, verdict=row[verdict]))
    return ["- " + text("summary.separator").join(parts) + text("summary.end")] if parts else []


def _quality_line(accounting: pd.DataFrame) -> str:
    """Rows set aside, and that the row counts do not close."""
    return text("summary.quality", quarantined=int(accounting["quarantined"].sum()),
                balance=text("summary.unbalanced"))
