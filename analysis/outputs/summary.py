"""The executive summary at the top of the HTML report, from the run's interim tables.

Every sentence is a template in analysis/vocab/report.yml (``summary.*``) in the run's
language; tier names and their order come from params (:class:`analysis.tiers.TierRoles`),
last month's folder from :func:`analysis.context.previous_run` — the same one
notebook 05's closed loop reads.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.catalog import read_interim
from analysis.config import interim_dir
from analysis.context import previous_run
from analysis.tiers import TierRoles
from analysis.vocab import all_labels, join, text

__all__ = ["executive_summary", "DUE_SOON_DAYS"]

# Actions due within this many days of the as-of date are counted as due soon.
DUE_SOON_DAYS = 7


def executive_summary(out_dir: Path, month: str, as_of: pd.Timestamp, roles: TierRoles,
                      previous_dir: str | Path | None) -> str:
    """Markdown: customers, tiers, changes since last month, top insights, actions due.

    Parameters
    ----------
    out_dir : the run's output folder (its ``interim/`` tables are read; any may be missing).
    month : the run's ``YYYY-MM``.
    as_of : the run's analysis date.
    roles : the run's tiers (``tier_roles(params)``): their order, the high-value tiers whose
        churn flags are counted, and the win-back tier whose rate is reported.
    previous_dir : last month's folder from the run context (``RunContext.previous_dir``).
    """
    folder = interim_dir(out_dir)
    segments = read_interim(folder, "segments", optional=True)
    accounting = read_interim(folder, "row_accounting", optional=True)
    churn = read_interim(folder, "churn", optional=True)
    insights = read_interim(folder, "insights", optional=True)
    plan = read_interim(folder, "plan", optional=True)
    lines = [f"## {text('summary.title')}", ""]
    if segments is None:
        return "\n".join(lines + [text("summary.no_segments")])

    as_of_date = pd.Timestamp(as_of).date()
    n = len(segments)
    if n == 0:
        return "\n".join(lines + ["- " + text("summary.no_customers", date=as_of_date)])
    active = int(segments["purchased_in_window"].sum())
    lines.append("- " + text("summary.customers", date=as_of_date, n=n, active=active,
                             share=active / n))
    counts = segments["tier"].value_counts()
    tier_text = text("summary.separator").join(
        text("summary.tier_count", tier=t, n=counts.get(t, 0), share=counts.get(t, 0) / n)
        for t in roles.order if counts.get(t, 0))
    lines.append("- " + text("summary.tiers", tiers=tier_text))
    risky = int(segments["churn_risk"].sum())
    if churn is not None:
        flagged = int((segments["churn_risk"] & segments["tier"].isin(roles.high_value)).sum())
        lines.append("- " + text("summary.churn_warnings", warned=int(churn["churn_warning"].sum()),
                                 high_value=join(roles.high_value), flagged=flagged))
    else:
        lines.append("- " + text("summary.churn_flags", n=risky))

    prev_dir, month_prev = previous_run(out_dir, month, previous_dir)
    prev = read_interim(interim_dir(prev_dir), "segments", optional=True)
    if prev is not None:
        moved = segments[["customer_id", "tier"]].merge(
            prev[["customer_id", "tier"]], on="customer_id", how="left", suffixes=("", "_prev"))
        changed = moved[moved["tier_prev"].notna() & (moved["tier"] != moved["tier_prev"])]
        new = int(moved["tier_prev"].isna().sum())
        lines.append("- " + text("summary.since_last_month", month=month_prev, changed=len(changed),
                                 new=new))
    else:
        lines.append("- " + text("summary.no_last_month", month=month_prev))

    if plan is not None:
        due = pd.to_datetime(plan["due_date"])
        soon = int((due <= pd.Timestamp(as_of) + pd.Timedelta(days=DUE_SOON_DAYS)).sum())
        lines.append("- " + text("summary.plan", n=len(plan), soon=soon, days=DUE_SOON_DAYS,
                                 strategy_workbook=text("workbook.tier_strategy"),
                                 log_workbook=text("workbook.execution_log")))
    lines += _lists_line(read_interim(folder, "lists_overview", optional=True))
    lines += _loop_lines(read_interim(folder, "loop_completion", optional=True),
                         read_interim(folder, "loop_win_back", optional=True), roles)
    if accounting is not None:
        lines += _quality_lines(accounting)
    if insights is not None and len(insights):
        lines += ["", f"**{text('summary.findings')}**", ""]
        lines += [f"{i}. {finding}" for i, finding in enumerate(insights["insight"].head(5), 1)]
    return "\n".join(lines)


def _lists_line(lists: pd.DataFrame | None) -> list[str]:
    """The automation lists and how many each selected (``lists_overview``, its headers in the
    run's language)."""
    if lists is None or not len(lists):
        return []
    name, selected = text("automation.overview.list"), text("automation.overview.selected")
    parts = text("summary.separator").join(
        text("summary.list_count", name=row[name], n=int(row[selected]))
        for _, row in lists.iterrows() if row[selected])
    return ["- " + text("summary.lists", lists=parts or text("summary.lists_empty"))]


def _loop_lines(completion: pd.DataFrame | None, win_back: pd.DataFrame | None,
                roles: TierRoles) -> list[str]:
    """Last month's tasks completed and win-back rate (``loop_completion``, ``loop_win_back``)."""
    lines = []
    if completion is not None and len(completion):
        total = completion.iloc[-1]
        lines.append("- " + text("summary.completion",
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
        lines.append("- " + text("summary.win_back", tier=roles.win_back, rates=rates,
                                 verdict=row[verdict]))
    return lines


def _quality_lines(accounting: pd.DataFrame) -> list[str]:
    """Rows set aside and whether the row counts close, then one line per order table."""
    quarantined = int(accounting["quarantined"].sum())
    closes = bool(accounting["closes"].all())
    lines = ["- " + text("summary.quality", quarantined=quarantined,
                         balance=text("summary.balanced" if closes else "summary.unbalanced"))]
    for row in accounting.to_dict("records"):
        source = row.get("amount_source") or ""
        if not isinstance(source, str) or not source:
            continue  # only the order tables carry money
        suspected = int(row.get("suspected_duplicates") or 0)
        table = f"table.{row['table']}"
        lines.append("  - " + text(
            "summary.table_rows", table=text(table) if table in all_labels() else row["table"],
            rows_in=row["rows_in"], kept=row["kept"], quarantined=row["quarantined"],
            duplicates=row["merged_or_duplicate"], source=source,
            suspected=text("summary.suspected", n=suspected) if suspected else ""))
    return lines
