"""The executive summary at the top of the HTML report, from the run's interim tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.config import interim_dir
from analysis.catalog import read_interim
from analysis.steps.segment import TIER_ORDER

__all__ = ["executive_summary", "previous_month"]


def previous_month(month: str) -> str:
    """``"2026-01"`` -> ``"2025-12"``."""
    return (pd.Period(month, freq="M") - 1).strftime("%Y-%m")


def executive_summary(out_dir: Path, month: str, as_of: pd.Timestamp,
                      previous_out_dir: Path | None = None) -> str:
    """Markdown: customers, tiers, changes since last month, top insights, actions due."""
    folder = interim_dir(out_dir)
    segments = read_interim(folder, "segments", optional=True)
    accounting = read_interim(folder, "row_accounting", optional=True)
    churn = read_interim(folder, "churn", optional=True)
    insights = read_interim(folder, "insights", optional=True)
    plan = read_interim(folder, "plan", optional=True)
    lines = ["## 执行摘要", ""]
    if segments is None:
        return "\n".join(lines + ["（本次运行未生成分层结果。）"])

    n = len(segments)
    if n == 0:
        return "\n".join(lines + [f"- 截至 **{pd.Timestamp(as_of).date()}**，客户档案中没有客户，未做分层与预警。"])
    active = int(segments["purchased_in_window"].sum())
    lines.append(f"- 截至 **{pd.Timestamp(as_of).date()}**，客户档案共 **{n:,}** 位客户，"
                 f"其中近一个统计窗口内有购买的 **{active:,}** 位（{active / n:.1%}）。")
    counts = segments["tier"].value_counts()
    tier_text = "，".join(f"{t} {counts.get(t, 0):,} 位（{counts.get(t, 0) / n:.1%}）"
                          for t in TIER_ORDER if counts.get(t, 0))
    lines.append(f"- 客户分层：{tier_text}。")
    risky = int(segments["churn_risk"].sum())
    if churn is not None:
        lines.append(f"- 流失预警：**{int(churn['churn_warning'].sum()):,}** 位客户触发预警"
                     f"（其中战略/核心客户带流失风险标记 {int((segments['churn_risk'] & segments['tier'].isin(['战略客户', '核心客户'])).sum())} 位）。")
    else:
        lines.append(f"- 流失风险标记：{risky:,} 位客户。")

    prev_dir = previous_out_dir or (Path(out_dir).parent / previous_month(month))
    prev = read_interim(interim_dir(prev_dir), "segments", optional=True)
    if prev is not None:
        moved = segments[["customer_id", "tier"]].merge(
            prev[["customer_id", "tier"]], on="customer_id", how="left", suffixes=("", "_prev"))
        changed = moved[moved["tier_prev"].notna() & (moved["tier"] != moved["tier_prev"])]
        new = int(moved["tier_prev"].isna().sum())
        lines.append(f"- 与上月（{previous_month(month)}）相比：{len(changed):,} 位客户层级变化，新增 {new:,} 位客户。")
    else:
        lines.append(f"- 与上月对比：未找到上月（{previous_month(month)}）的运行结果，本月为对比基线。")

    if plan is not None:
        due = pd.to_datetime(plan["due_date"])
        soon = int((due <= pd.Timestamp(as_of) + pd.Timedelta(days=7)).sum())
        lines.append(f"- 行动计划：共 **{len(plan):,}** 项，其中 **{soon:,}** 项须在 7 天内完成"
                     "（明细见《客户分层维护策略表》与《维护执行记录表》）。")
    lists = read_interim(folder, "lists_overview", optional=True)
    if lists is not None and len(lists):
        parts = "，".join(f"{r['名单']} {int(r['入选人数']):,} 位" for _, r in lists.iterrows() if r["入选人数"])
        lines.append(f"- 自动化触达名单：{parts or '本期无人入选'}（退订、未授权与对照组客户已排除）。")
    completion = read_interim(folder, "loop_completion", optional=True)
    win_back = read_interim(folder, "loop_win_back", optional=True)
    if completion is not None and len(completion):
        total = completion.iloc[-1]
        lines.append(f"- 上月执行：{int(total['任务数']):,} 项任务中已填结果 {int(total['已填结果']):,} 项"
                     f"（完成率 {total['完成率']:.0%}）。")
    if win_back is not None and len(win_back) and {"干预组比率", "对照组比率", "结论"} <= set(win_back.columns):
        row = win_back.iloc[0]
        rates = "、".join(f"{g} {row[g + '比率']:.0%}" for g in ["干预组", "对照组"] if pd.notna(row[g + "比率"]))
        lines.append(f"- 上月流失预警客户挽回率：{rates}（{row['结论']}）。")
    if accounting is not None:
        quarantined = int(accounting["quarantined"].sum())
        closes = bool(accounting["closes"].all())
        lines.append(f"- 数据质量：共隔离 {quarantined:,} 行无法使用的记录（附原因），"
                     f"行数核对{'全部平衡' if closes else '**不平衡**'}。")
        for row in accounting.to_dict("records"):
            source = row.get("amount_source") or ""
            if not isinstance(source, str) or not source:
                continue  # only the order tables carry money
            suspected = int(row.get("suspected_duplicates") or 0)
            lines.append(
                f"  - {_TABLE_NAMES.get(row['table'], row['table'])}：输入 {row['rows_in']:,} 行，保留 "
                f"{row['kept']:,}，隔离 {row['quarantined']:,}，删除重复 {row['merged_or_duplicate']:,}"
                + (f"，疑似重复 {suspected:,} 行已按多次购买保留" if suspected else "")
                + f"；{source}。")
    if insights is not None and len(insights):
        lines += ["", "**主要发现**", ""]
        lines += [f"{i}. {text}" for i, text in enumerate(insights["insight"].head(5), 1)]
    return "\n".join(lines)


_TABLE_NAMES = {"orders": "订单表", "order_lines": "订单明细表"}
