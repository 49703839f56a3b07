"""Step 02 — profiling: who the customers are, in counts, shares and distributions."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["share_table", "concentration_statements", "customer_behaviour", "value_counts", "PROFILE_DIMENSIONS"]

# Customer column -> how a manager calls it.
PROFILE_DIMENSIONS = {
    "region": "大区",
    "province": "省份",
    "industry": "行业",
    "company_size": "企业规模",
    "preferred_channel": "偏好渠道",
    "owner": "客户经理",
}
_STATEMENT_SUFFIX = {"region": "地区", "province": "", "industry": "", "company_size": "客户",
                     "preferred_channel": "渠道", "owner": "负责"}


def share_table(values: pd.Series | None, *, top_n: int | None = None, missing_label: str = "未填写",
                name: str | None = None) -> pd.DataFrame:
    """Count and share per value, largest first; blanks counted as ``missing_label``.

    With ``top_n``, the values beyond the first ``top_n`` are summed as 其他. ``values=None``
    (the data has no such column) gives one row saying so. ``name`` labels the index.

    Examples
    --------
    >>> share_table(pd.Series(["华东", "华东", "华北", None]))["占比"].tolist()
    [0.5, 0.25, 0.25]
    """
    if values is None:
        table = pd.DataFrame({"客户数": [0], "占比": [float("nan")]}, index=["（数据中没有此列）"])
        table.index.name = name
        return table
    counts = values.astype("string").fillna(missing_label).value_counts()
    counts = counts.sort_values(ascending=False, kind="stable")
    if top_n is not None and len(counts) > top_n:
        counts = pd.concat([counts.iloc[:top_n], pd.Series({"其他": counts.iloc[top_n:].sum()})])
    table = pd.DataFrame({"客户数": counts.astype(int), "占比": counts / counts.sum()})
    table.index.name = name or values.name
    return table


def concentration_statements(customers: pd.DataFrame, dimensions: dict | None = None) -> list[str]:
    """The largest group per dimension as a sentence, e.g. ``华东地区客户占比40.1%``.

    Only filled values count towards the share; the sentence says how many were filled.
    """
    lines = []
    for col, label in (dimensions or PROFILE_DIMENSIONS).items():
        if col not in customers or customers[col].notna().sum() == 0:
            continue
        filled = customers[col].dropna()
        filled = filled[filled != "未识别"]
        if filled.empty:
            continue
        counts = filled.value_counts()
        top, share = counts.index[0], counts.iloc[0] / len(filled)
        lines.append(f"{label}：{top}{_STATEMENT_SUFFIX.get(col, '')}客户占比{share:.1%}"
                     f"（共{len(filled):,}位已填写{label}的客户）")
    return lines


def customer_behaviour(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per customer: orders, average order value (元), recency and tenure (days)."""
    purchases = orders[orders["is_purchase"] & (orders["order_date"] <= as_of)]
    grouped = purchases.groupby("customer_id")
    frame = pd.DataFrame({
        "orders": grouped["order_id"].nunique(),
        "avg_order_value": grouped["amount"].mean(),
        "recency_days": (as_of - grouped["order_date"].max()).dt.days,
        "tenure_days": (as_of - grouped["order_date"].min()).dt.days,
    })
    frame["orders_per_year"] = frame["orders"] / np.maximum(frame["tenure_days"] / 365.25, 1 / 12)
    return frame


def value_counts(frame: pd.DataFrame, column: str, *, missing_label: str = "未填写") -> pd.Series:
    """Counts per value of ``column`` (blanks as 未填写) for a share chart; when the data has
    no such column, one bar saying so, so the chart degrades instead of failing."""
    if column not in frame:
        return pd.Series({"（数据中没有此列）": len(frame)}, name=column)
    return frame[column].astype("string").fillna(missing_label).value_counts().rename(column)
