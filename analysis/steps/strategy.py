"""Step 05 — strategy: the tier table, a dated, owned next action per customer, and the
frames the five workbooks are written from."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.outputs.privacy import mask_names, mask_phones
from analysis.steps.workdays import add_working_days, working_calendar

__all__ = [
    "strategy_table", "customer_features_text", "customer_plan",
    "workbook_sheets", "masked_plan_preview",
]


def strategy_table(segments: pd.DataFrame, tiers: dict) -> pd.DataFrame:
    """The tier table of SPEC §8 with customer counts and shares."""
    counts = segments["tier"].value_counts()
    rows = []
    for tier, spec in tiers.items():
        n = int(counts.get(tier, 0))
        rows.append({"层级": tier, "核心特征": spec["features"], "维护策略": spec["strategy"],
                     "负责人": spec["owner_role"], "执行周期": spec["cycle"], "客户数": n,
                     "占比": n / len(segments) if len(segments) else 0.0})
    return pd.DataFrame(rows)


def _money(value: float) -> str:
    return f"{value / 10000:.1f}万元" if abs(value) >= 10000 else f"{value:,.0f}元"


def customer_features_text(segments: pd.DataFrame, window_months: int = 12) -> pd.Series:
    """A short description of each customer from their numbers.

    Examples
    --------
    >>> s = pd.DataFrame({"total_spend": [120000.0], "frequency": [8.0], "recency_days": [31.0]})
    >>> customer_features_text(s).iloc[0]
    '累计12.0万元，近12个月购买8次，最近购买31天前'
    """
    parts = []
    for spend, freq, recency in zip(segments["total_spend"], segments["frequency"], segments["recency_days"]):
        last = ("从未购买" if pd.isna(recency) else "基准日当天有购买" if recency == 0
                else f"最近购买{int(recency)}天前")
        parts.append(f"累计{_money(spend)}，近{window_months}个月购买{int(freq)}次，{last}")
    return pd.Series(parts, index=segments.index, dtype="string")


def customer_plan(segments: pd.DataFrame, customers: pd.DataFrame, tiers: dict, as_of: pd.Timestamp, *,
                  churn_flag_action: str, window_months: int = 12, holidays=(),
                  recommendations: pd.DataFrame | None = None, best_channel: pd.Series | None = None,
                  control: pd.Series | None = None, calendar=None,
                  warnings: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per customer: tier, features, strategy, a specific next action, owner, due date.

    The next action names the tier's offer and, where notebook 04 found one, the category to
    recommend (``recommendations``: customer_id, recommended_category). The channel is the
    tier's default; for tiers not served by phone, the customer's best historical channel
    (``best_channel`` by customer_id) where known.
    The owner is the customer's 客户经理 where known, else the tier's owner role. A 战略/核心
    customer carrying the churn flag gets ``churn_flag_action``. Customers in the control group
    (``control`` by customer_id) get no proactive action and status 对照组. Due dates count
    working days on ``calendar`` (:func:`analysis.steps.workdays.working_calendar`: Chinese public
    holidays and 调休; by default the built-in one plus ``holidays``). With ``warnings`` (notebook
    04's churn table: customer_id, churn_warning, warning_reason) a warned customer's features
    end with the warning's reason.
    """
    frame = segments[["customer_id", "tier", "churn_risk", "total_spend", "frequency", "recency_days"]].merge(
        customers[["customer_id"] + [c for c in ["owner"] if c in customers]], on="customer_id", how="left")
    spec = pd.DataFrame(tiers).T
    frame["features"] = customer_features_text(frame, window_months)
    if warnings is not None and len(warnings):
        warned = warnings[warnings["churn_warning"].fillna(False).astype(bool)]
        # astype: with no warned customer every lookup misses, and pandas then infers a
        # numeric dtype for the all-missing result (double[pyarrow]) that cannot join text
        reason = frame["customer_id"].map(warned.set_index("customer_id")["warning_reason"]).astype("string")
        frame["features"] = frame["features"].where(reason.isna(), frame["features"] + "；预警：" + reason)
    frame["strategy"] = frame["tier"].map(spec["strategy"])
    flagged = frame["churn_risk"] & frame["tier"].isin(["战略客户", "核心客户"])
    action = frame["tier"].map(spec["next_action"]).where(~flagged, churn_flag_action)
    frame["offer"] = frame["tier"].map(spec.get("offer", pd.Series(dtype=object)))
    frame["content_key"] = frame["tier"].map(spec.get("content_key", pd.Series(dtype=object)))
    frame["recommended_category"] = (
        frame["customer_id"].map(recommendations.set_index("customer_id")["recommended_category"])
        if recommendations is not None and len(recommendations) else pd.NA)
    default_channel = frame["tier"].map(spec.get("channel", pd.Series(dtype=object)))
    frame["channel"] = default_channel
    if best_channel is not None:
        # A tier served by phone (the account manager calls) keeps the phone; messages go
        # where the customer has historically opened and clicked.
        messaged = default_channel != "电话"
        # astype(object): when no customer has a known channel the lookup is all missing and
        # typed as a number by pandas, which cannot be filled with the default's text
        known = frame.loc[messaged, "customer_id"].map(best_channel).astype(object)
        frame.loc[messaged, "channel"] = known.fillna(default_channel[messaged])
    offer_text = frame["offer"].map(lambda o: f"（{o}）" if isinstance(o, str) and o else "")
    category_text = frame["recommended_category"].map(
        lambda c: f"；推荐品类：{c}" if isinstance(c, str) and c else "")
    frame["next_action"] = action + offer_text + category_text
    role = frame["tier"].map(spec["owner_role"])
    frame["owner"] = frame["owner"].fillna(role) if "owner" in frame else role
    days = frame["tier"].map(spec["due_working_days"]).fillna(5).astype(int)
    days = days.where(~flagged, np.minimum(days, 3))
    calendar = calendar or working_calendar(extra_holidays=holidays)
    due = add_working_days(as_of, days, calendar)
    frame["due_date"] = pd.to_datetime(pd.Series(due).to_numpy())
    frame["control"] = (frame["customer_id"].map(control).fillna(False).astype(bool)
                        if control is not None else False)
    frame.loc[frame["control"], "next_action"] = "对照组：本月不做主动维护，仅提供标准服务（用于衡量策略效果）"
    frame["status"] = np.where(frame["control"], "对照组", "待执行")
    frame["task_id"] = ("T" + pd.Timestamp(as_of).strftime("%Y%m") + "-" + frame["customer_id"].astype(str))
    order = {t: i for i, t in enumerate(tiers)}
    return frame.sort_values(["tier", "due_date", "customer_id"],
                             key=lambda s: s.map(order) if s.name == "tier" else s).reset_index(drop=True)


def _region_text(customers: pd.DataFrame) -> pd.Series:
    parts = [customers[c].astype("string") for c in ["region", "province", "city"] if c in customers]
    if not parts:
        return pd.Series(pd.NA, index=customers.index, dtype="string")
    joined = parts[0].fillna("")
    for part in parts[1:]:
        joined = joined + "·" + part.fillna("")
    return joined.str.strip("·").replace("", pd.NA)


def workbook_sheets(customers: pd.DataFrame, segments: pd.DataFrame, plan: pd.DataFrame,
                    tiers: dict, month: str, quality: dict | None = None, lists=None,
                    review: pd.DataFrame | None = None) -> dict[str, dict[str, pd.DataFrame]]:
    """The frames for the five workbooks, with the SPEC's exact column headers.

    ``quality`` (from :func:`analysis.steps.clean.quality_sheets`) adds the data-quality sheets to
    客户基础信息表; ``lists`` (from :func:`analysis.steps.automation.build_lists`) adds one sheet per
    target list, an exclusions sheet and a campaign row per list to 营销活动执行表; ``review``
    (from :func:`analysis.steps.closed_loop.draft_review`) replaces the default 效果复盘 draft. Control-group
    customers appear in 客户策略 (status 对照组) but get no task in 执行记录.
    """
    seg = segments.set_index("customer_id")
    cust = customers.set_index("customer_id")
    ids = seg.index
    contact = cust["phone"] if "phone" in cust else pd.Series(pd.NA, index=cust.index)
    if "email" in cust:
        contact = contact.fillna(cust["email"])
    tags = seg["rfm_class"].astype(str) + "；" + seg["value_band"].astype(str)
    tags = tags.where(~seg["churn_risk"], tags + "；流失风险")
    info = pd.DataFrame({
        "客户ID": ids,
        "客户名称": cust["name"].reindex(ids).to_numpy() if "name" in cust else pd.NA,
        "联系方式": contact.reindex(ids).to_numpy(),
        "所属行业": cust["industry"].reindex(ids).to_numpy() if "industry" in cust else pd.NA,
        "地域": _region_text(cust).reindex(ids).to_numpy(),
        "企业规模": cust["company_size"].reindex(ids).to_numpy() if "company_size" in cust else pd.NA,
        "首次购买时间": seg["first_order_date"].to_numpy(),
        "最近购买时间": seg["last_order_date"].to_numpy(),
        "累计消费(元)": seg["total_spend"].to_numpy(),
        "客户层级": seg["tier"].to_numpy(),
        "标签": tags.to_numpy(),
        "客户经理": cust["owner"].reindex(ids).to_numpy() if "owner" in cust else pd.NA,
    })
    per_customer = pd.DataFrame({
        "客户层级": plan["tier"], "客户ID": plan["customer_id"], "核心特征": plan["features"],
        "维护策略": plan["strategy"], "当前状态": plan["status"], "下一步动作": plan["next_action"],
        "时间节点": plan["due_date"], "任务编号": plan["task_id"],
    })
    control = plan["control"] if "control" in plan else pd.Series(False, index=plan.index)
    tasks = plan[~control]
    execution = pd.DataFrame({
        "执行日期": pd.NaT, "客户ID": tasks["customer_id"], "执行人": tasks["owner"],
        "动作描述": tasks["next_action"], "客户反馈": pd.NA, "结果标记": pd.NA, "任务编号": tasks["task_id"],
    })
    counts = tasks["tier"].value_counts()
    campaign = [
        {"活动名称": f"{month} {tier}维护", "目标客户标签": tier, "触达内容": spec["next_action"],
         "触达渠道": "电话/企微" if spec.get("channel") == "电话" else spec.get("channel", "短信"),
         "发送时间": pd.NaT, "目标客户数": int(counts.get(tier, 0)), "负责人": spec["owner_role"]}
        for tier, spec in tiers.items() if counts.get(tier, 0)
    ]
    campaign_sheets: dict[str, pd.DataFrame] = {}
    if lists is not None:
        for name, frame in lists.items():
            campaign_sheets[name] = frame
            if len(frame):
                campaign.append({
                    "活动名称": f"{month} {name}", "目标客户标签": name,
                    "触达内容": "、".join(sorted(frame["内容键"].dropna().astype(str).unique())[:5]),
                    "触达渠道": "/".join(frame["触达渠道"].value_counts().index[:3]),
                    "发送时间": pd.to_datetime(frame["发送时间"]).min(), "目标客户数": len(frame),
                    "负责人": frame["负责人"].mode().iloc[0] if frame["负责人"].notna().any() else "运营专员"})
        campaign_sheets["名单排除"] = lists.summary
    if review is None:
        review = pd.DataFrame([
            {"分析周期": month, "活动流程": f"{tier}维护", "核心指标(目标/实际)": f"{spec['kpi']} / 待下月统计",
             "问题分析": pd.NA, "优化措施": pd.NA, "负责人": spec["owner_role"]}
            for tier, spec in tiers.items() if counts.get(tier, 0)
        ])
    return {
        "客户基础信息表": {"客户基础信息": info, **(quality or {})},
        "客户分层维护策略表": {"分层策略": strategy_table(segments, tiers), "客户策略": per_customer},
        "维护执行记录表": {"执行记录": execution},
        "营销活动执行表": {"活动执行": pd.DataFrame(campaign), **campaign_sheets},
        "效果复盘表": {"效果复盘": review},
    }


def masked_plan_preview(plan: pd.DataFrame, customers: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The first ``n`` plan rows per the plan's order, names and phones masked (for the report)."""
    head = plan.head(n).merge(customers[["customer_id"] + [c for c in ["name", "phone"] if c in customers]],
                              on="customer_id", how="left")
    out = pd.DataFrame({
        "客户层级": head["tier"],
        "客户": mask_names(head["name"]) if "name" in head else "*客户",
        "联系方式": mask_phones(head["phone"]) if "phone" in head else pd.NA,
        "核心特征": head["features"], "下一步动作": head["next_action"],
        "负责人": head["owner"], "时间节点": head["due_date"].dt.strftime("%Y-%m-%d"),
    })
    return out
