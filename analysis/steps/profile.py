"""Step 02 — profiling: who the customers are, in counts, shares and distributions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.vocab import all_labels, text, texts

__all__ = ["share_table", "concentration_statements", "customer_behaviour", "value_counts",
           "PROFILE_COLUMNS", "PROFILE_ORDER_COLUMNS", "profile_dimensions"]

# The order columns notebook 02 reads (customer_behaviour, cohort_retention, the channel chart):
# it keeps only these, not a copy of every column of a 10-million-row table.
PROFILE_ORDER_COLUMNS = ("customer_id", "order_id", "order_date", "amount", "net_amount", "is_purchase", "channel")
# Customer columns profiled, in order; how a manager calls each is profile.dimension.<column>.
PROFILE_COLUMNS = ("region", "province", "industry", "company_size", "preferred_channel", "owner")


def profile_dimensions() -> dict[str, str]:
    """Customer column -> how a manager calls it, in the run's language.

    Examples
    --------
    >>> profile_dimensions()["region"]
    '大区'
    """
    return {col: text(f"profile.dimension.{col}") for col in PROFILE_COLUMNS}


def share_table(values: pd.Series | None, *, top_n: int | None = None, missing_label: str | None = None,
                name: str | None = None) -> pd.DataFrame:
    """Count and share per value, largest first; blanks counted as ``missing_label``
    (default 未填写, ``plotting.missing``: the word the charts use).

    With ``top_n``, the values beyond the first ``top_n`` are summed as 其他 (``plotting.other``).
    ``values=None`` (the data has no such column) gives one row saying so. ``name`` labels the
    index. Columns: ``profile.column.customers`` (客户数) and ``profile.column.share`` (占比, 0–1).

    Examples
    --------
    >>> share_table(pd.Series(["华东", "华东", "华北", None]))["占比"].tolist()
    [0.5, 0.25, 0.25]
    """
    customers, share = text("profile.column.customers"), text("profile.column.share")
    if values is None:
        table = pd.DataFrame({customers: [0], share: [float("nan")]}, index=[text("profile.no_column")])
        table.index.name = name
        return table
    missing_label = text("plotting.missing") if missing_label is None else missing_label
    counts = values.astype("string").fillna(missing_label).value_counts()
    counts = counts.sort_values(ascending=False, kind="stable")
    if top_n is not None and len(counts) > top_n:
        counts = pd.concat([counts.iloc[:top_n], pd.Series({text("plotting.other"): counts.iloc[top_n:].sum()})])
    table = pd.DataFrame({customers: counts.astype(int), share: counts / counts.sum()})
    table.index.name = name or values.name
    return table


def concentration_statements(customers: pd.DataFrame, dimensions: dict | None = None) -> list[str]:
    """The largest group per dimension as a sentence, e.g. ``行业：制造业客户最多，1,000 位，占全部
    3,000 位客户的 33.3%（147 位未填写或未识别）``.

    ``dimensions`` maps a customer column to its name (default :func:`profile_dimensions`).
    The share is of *all* customers — the denominator the share charts and tables use (their
    未填写 bar included) — so the sentence and the chart beside it show the same number, and
    the sentence says how many were blank (or 未识别, which is not a group). The group is
    called by ``profile.group.<column>`` (else ``profile.group_default``); a value that already
    ends in 客户 (中小企业客户) gets no second one.
    """
    lines = []
    unknown = {text("clean.industry.unrecognised"), text("plotting.missing")}
    suffix = text("cross.segment_suffix")
    n = len(customers)
    for col, label in (dimensions or profile_dimensions()).items():
        if col not in customers or customers[col].notna().sum() == 0:
            continue
        filled = customers[col].dropna()
        filled = filled[~filled.astype(str).isin(unknown)]
        if filled.empty:
            continue
        counts = filled.value_counts()
        top, count = counts.index[0], int(counts.iloc[0])
        key = f"profile.group.{col}"
        group = text(key if key in all_labels() else "profile.group_default", value=top)
        group = group.replace(suffix + suffix, suffix)
        blank = n - len(filled)
        lines.append(text("profile.statement", label=label, group=group, count=count, n=n, share=count / n,
                          blank=text("profile.statement_blank", label=label, n=blank) if blank else ""))
    return lines


def customer_behaviour(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per customer: orders, average order value (元), recency and tenure (days)."""
    # the four columns read, not a copy of every column of the orders
    purchases = orders.loc[orders["is_purchase"] & (orders["order_date"] <= as_of),
                           ["customer_id", "order_id", "amount", "order_date"]]
    grouped = purchases.groupby("customer_id")
    frame = pd.DataFrame({
        "orders": grouped["order_id"].nunique(),
        "avg_order_value": grouped["amount"].mean(),
        "recency_days": (as_of - grouped["order_date"].max()).dt.days,
        "tenure_days": (as_of - grouped["order_date"].min()).dt.days,
    })
    frame["orders_per_year"] = frame["orders"] / np.maximum(frame["tenure_days"] / 365.25, 1 / 12)
    return frame


def value_counts(frame: pd.DataFrame, column: str, *, missing_label: str | None = None) -> pd.Series:
    """Counts per value of ``column`` (blanks as ``missing_label``, default 未填写) for a share
    chart; when the data has no such column, one bar saying so, so the chart degrades instead
    of failing."""
    if column not in frame:
        return pd.Series({text("profile.no_column"): len(frame)}, name=column)
    missing_label = text("plotting.missing") if missing_label is None else missing_label
    return frame[column].astype("string").fillna(missing_label).value_counts().rename(column)
