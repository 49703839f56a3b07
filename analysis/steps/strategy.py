"""Step 05 — strategy: the tier table, a dated, owned next action per customer, and the
frames the five workbooks are written from.

Tables come back with the workbooks' header texts in the run's language
(``text("column.<key>")``, analysis/vocab/workbooks.yml); sentences and labels are in
analysis/vocab/strategy.yml. Tier names and roles come from params
(:func:`analysis.tiers.tier_roles`); a tier's channel in params is recognised by the words of
:mod:`analysis.reference.channels`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.steps.automation import channel_kinds, channel_label, list_label, money_formatter
from analysis.steps.workdays import add_working_days, working_calendar
from analysis.tiers import TierRoles
from analysis.vocab import join, text

__all__ = [
    "strategy_table", "customer_features_text", "customer_plan",
    "workbook_sheets", "tasks_per_owner",
]


def _col(key: str) -> str:
    """A workbook column's header in the run's language (analysis/vocab/workbooks.yml)."""
    return text(f"column.{key}")


def strategy_table(segments: pd.DataFrame, tiers: dict, roles: TierRoles) -> pd.DataFrame:
    """The tier table of SPEC §8 with customer counts and shares (headers of the 分层策略 sheet):
    one row per tier of this run's rules, in display order (``strategy.tiers`` entries for tiers
    no rule assigns are left out).

    核心特征 is the rule the tier's customers were assigned by, with its thresholds as resolved
    for this run (``segments.tier_rule``: ``累计消费(元)≥327,735.07（前1%）…``) — the params'
    ``features`` text only describes a tier nobody is in, since it cannot know this company's
    amounts."""
    counts = segments["tier"].value_counts()
    rule = (segments.dropna(subset=["tier_rule"]).groupby("tier")["tier_rule"].first()
            if "tier_rule" in segments else pd.Series(dtype="string"))
    rows = []
    for tier in roles.order:
        spec = tiers[tier]
        n = int(counts.get(tier, 0))
        rows.append({_col("tier_level"): tier, _col("features"): rule.get(tier, spec["features"]),
                     _col("strategy"): spec["strategy"], _col("owner"): spec["owner_role"],
                     _col("cycle"): spec["cycle"], _col("customers"): n,
                     _col("share"): n / len(segments) if len(segments) else 0.0})
    return pd.DataFrame(rows)


def customer_features_text(segments: pd.DataFrame, window_months: int) -> pd.Series:
    """A short description of each customer from their numbers (``window_months``: params
    ``rfm.window_months``).

    Examples
    --------
    >>> s = pd.DataFrame({"total_spend": [120000.0], "frequency": [8.0], "recency_days": [31.0]})
    >>> customer_features_text(s, 12).iloc[0]
    '累计12.0万元，近12个月购买8次，最近购买31天前'
    """
    # The templates are looked up once, not once per customer (text() without fields
    # returns the template itself).
    summary, last_bought = text("strategy.features.summary"), text("strategy.features.last_bought")
    never, today = text("strategy.features.never_bought"), text("strategy.features.bought_today")
    money = money_formatter()
    parts = []
    for spend, freq, recency in zip(segments["total_spend"], segments["frequency"], segments["recency_days"]):
        last = (never if pd.isna(recency) else today if recency == 0
                else last_bought.format(days=int(recency)))
        parts.append(summary.format(spend=money(spend), months=window_months, orders=int(freq),
                                    last=last))
    return pd.Series(parts, index=segments.index, dtype="string")


def customer_plan(segments: pd.DataFrame, customers: pd.DataFrame, tiers: dict, as_of: pd.Timestamp, *,
                  roles: TierRoles, churn_flag_action: str, window_months: int, holidays=(),
                  recommendations: pd.DataFrame | None = None, best_channel: pd.Series | None = None,
                  control: pd.Series | None = None, calendar=None,
                  warnings: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per customer: tier, features, strategy, a specific next action, owner, due date.

    The next action names the tier's offer and, where notebook 04 found one, the category to
    recommend (``recommendations``: customer_id, recommended_category). The channel is the
    tier's default; for tiers not served by phone, the customer's best historical channel
    (``best_channel`` by customer_id) where known.
    The owner is the customer's 客户经理 where known, else the tier's owner role. A customer of
    a high-value tier (``roles.high_value``, params ``tiers.roles``) carrying the churn flag gets
    ``churn_flag_action``, due within 3 working days. Customers in the control group
    (``control`` by customer_id) get no proactive action and status 对照组. ``window_months``
    (params ``rfm.window_months``) is the window the features text names. Due dates count
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
        warned_text = text("strategy.features.with_warning")
        has = reason.notna()
        frame.loc[has, "features"] = [warned_text.format(features=f, reason=r)
                                      for f, r in zip(frame.loc[has, "features"], reason[has])]
    frame["strategy"] = frame["tier"].map(spec["strategy"])
    flagged = frame["churn_risk"] & frame["tier"].isin(roles.high_value)
    action = frame["tier"].map(spec["next_action"]).where(~flagged, churn_flag_action)
    frame["offer"] = frame["tier"].map(spec["offer"])
    frame["content_key"] = frame["tier"].map(spec["content_key"])
    frame["recommended_category"] = (
        frame["customer_id"].map(recommendations.set_index("customer_id")["recommended_category"])
        if recommendations is not None and len(recommendations) else pd.NA)
    default_channel = frame["tier"].map(spec["channel"])
    frame["channel"] = default_channel
    if best_channel is not None:
        # A tier served by phone (the account manager calls) keeps the phone; messages go
        # where the customer has historically opened and clicked.
        messaged = ~_is_phone(default_channel)
        # astype(object): when no customer has a known channel the lookup is all missing and
        # typed as a number by pandas, which cannot be filled with the default's text
        known = frame.loc[messaged, "customer_id"].map(best_channel).astype(object)
        frame.loc[messaged, "channel"] = known.fillna(default_channel[messaged])
    offer_template, category_template = text("strategy.action.offer"), text("strategy.action.category")
    offer_text = frame["offer"].map(lambda o: offer_template.format(offer=o) if isinstance(o, str) and o else "")
    category_text = frame["recommended_category"].map(
        lambda c: category_template.format(category=c) if isinstance(c, str) and c else "")
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
    frame.loc[frame["control"], "next_action"] = text("strategy.action.control")
    frame["status"] = np.where(frame["control"], text("strategy.status.control"), text("choice.status.todo"))
    frame["task_id"] = ("T" + pd.Timestamp(as_of).strftime("%Y%m") + "-" + frame["customer_id"].astype(str))
    order = {t: i for i, t in enumerate(tiers)}
    return frame.sort_values(["tier", "due_date", "customer_id"],
                             key=lambda s: s.map(order) if s.name == "tier" else s).reset_index(drop=True)


def _is_phone(channels: pd.Series) -> pd.Series:
    """Whether each tier channel in params names the phone (电话, phone …): such tiers are
    served by the account manager's call, whatever the customer's message history."""
    return channel_kinds(channels).eq("phone").fillna(False).astype(bool)


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
                    review: pd.DataFrame | None = None, *,
                    roles: TierRoles) -> dict[str, dict[str, pd.DataFrame]]:
    """The frames for the five workbooks: ``{workbook key: {sheet key: frame}}`` as
    :func:`analysis.outputs.workbooks.write_workbooks` takes them, each frame's columns the
    sheet's headers in the run's language (SPEC §8).

    ``quality`` (sheet key -> frame, from :func:`analysis.outputs.quality.quality_sheets`) adds the
    data-quality sheets to ``customer_info``; ``lists`` (from
    :func:`analysis.steps.automation.build_lists`) adds one sheet per target list
    (``list_<name>``), the exclusions sheet and a campaign row per list to ``campaign``;
    ``review`` (from :func:`analysis.steps.closed_loop.draft_review`) replaces the default
    review draft. Control-group customers appear in ``customer_strategy`` (status 对照组) but
    get no task in ``execution``.
    """
    seg = segments.set_index("customer_id")
    cust = customers.set_index("customer_id")
    ids = seg.index
    contact = cust["phone"] if "phone" in cust else pd.Series(pd.NA, index=cust.index)
    if "email" in cust:
        contact = contact.fillna(cust["email"])
    separator = text("strategy.label_separator")
    tags = seg["rfm_class"].astype(str) + separator + seg["value_band"].astype(str)
    tags = tags.where(~seg["churn_risk"], tags + separator + text("strategy.label.churn_risk"))
    info = pd.DataFrame({
        _col("customer_id"): ids,
        _col("customer_name"): cust["name"].reindex(ids).to_numpy() if "name" in cust else pd.NA,
        _col("contact"): contact.reindex(ids).to_numpy(),
        _col("industry"): cust["industry"].reindex(ids).to_numpy() if "industry" in cust else pd.NA,
        _col("region"): _region_text(cust).reindex(ids).to_numpy(),
        _col("company_size"): (cust["company_size"].reindex(ids).to_numpy() if "company_size" in cust
                               else pd.NA),
        _col("first_purchase"): seg["first_order_date"].to_numpy(),
        _col("last_purchase"): seg["last_order_date"].to_numpy(),
        _col("total_spend"): seg["total_spend"].to_numpy(),
        _col("tier"): seg["tier"].to_numpy(),
        _col("labels"): tags.to_numpy(),
        _col("account_manager"): cust["owner"].reindex(ids).to_numpy() if "owner" in cust else pd.NA,
    })
    per_customer = pd.DataFrame({
        _col("tier"): plan["tier"], _col("customer_id"): plan["customer_id"],
        _col("features"): plan["features"], _col("strategy"): plan["strategy"],
        _col("status"): plan["status"], _col("next_action"): plan["next_action"],
        _col("due_date"): plan["due_date"], _col("task_id"): plan["task_id"],
    })
    control = plan["control"] if "control" in plan else pd.Series(False, index=plan.index)
    tasks = plan[~control]
    execution = pd.DataFrame({
        _col("executed_on"): pd.NaT, _col("customer_id"): tasks["customer_id"],
        _col("executor"): tasks["owner"], _col("action"): tasks["next_action"],
        _col("feedback"): pd.NA, _col("result"): pd.NA, _col("task_id"): tasks["task_id"],
    })
    counts = tasks["tier"].value_counts()
    # A tier served by phone: the account manager calls and follows up on 企微.
    phone_channels = f"{channel_label('phone')}/{channel_label('wecom')}"
    by_phone = _is_phone(pd.Series([spec["channel"] for spec in tiers.values()], index=list(tiers), dtype=object))
    campaign = [
        {_col("campaign_name"): f"{month} {text('strategy.flow.tier', tier=tier)}",
         _col("target_label"): tier, _col("content"): spec["next_action"],
         _col("channel"): phone_channels if by_phone[tier] else spec["channel"],
         _col("send_time"): pd.NaT, _col("target_count"): int(counts.get(tier, 0)),
         _col("owner"): spec["owner_role"]}
        for tier, spec in tiers.items() if counts.get(tier, 0)
    ]
    campaign_sheets: dict[str, pd.DataFrame] = {}
    if lists is not None:
        for name, frame in lists.items():
            campaign_sheets[f"list_{name}"] = frame
            if len(frame):
                label = list_label(name)
                owners = frame[_col("owner")]
                campaign.append({
                    _col("campaign_name"): f"{month} {label}", _col("target_label"): label,
                    _col("content"): join(sorted(frame[_col("content_key")].dropna().astype(str).unique())[:5]),
                    _col("channel"): "/".join(frame[_col("channel")].value_counts().index[:3]),
                    _col("send_time"): pd.to_datetime(frame[_col("send_time")]).min(),
                    _col("target_count"): len(frame),
                    _col("owner"): (owners.mode().iloc[0] if owners.notna().any()
                                    else text("automation.owner.operations"))})
        campaign_sheets["list_exclusions"] = lists.summary
    if review is None:
        review = pd.DataFrame([
            {_col("period"): month, _col("flow"): text("strategy.flow.tier", tier=tier),
             _col("kpi"): text("strategy.review.kpi_pending", kpi=spec["kpi"]),
             _col("problem"): pd.NA, _col("improvement"): pd.NA, _col("owner"): spec["owner_role"]}
            for tier, spec in ((t, tiers[t]) for t in roles.order) if counts.get(tier, 0)
        ])
    return {
        "customer_info": {"info": info, **(quality or {})},
        "tier_strategy": {"tier_strategy": strategy_table(segments, tiers, roles),
                          "customer_strategy": per_customer},
        "execution_log": {"execution": execution},
        "campaign": {"campaign": pd.DataFrame(campaign), **campaign_sheets},
        "review": {"review": review},
    }


def tasks_per_owner(plan: pd.DataFrame, n: int = 15) -> pd.DataFrame:
    """The ``n`` owners with the most open tasks this month (control-group customers have none).

    Examples
    --------
    >>> plan = pd.DataFrame({"owner": ["张经理", "张经理", "李经理"], "control": [False, False, True]})
    >>> tasks_per_owner(plan).to_dict()
    {'待办数': {'张经理': 2}}
    """
    control = plan["control"].astype(bool) if "control" in plan else pd.Series(False, index=plan.index)
    return (plan[~control].groupby("owner").size().sort_values(ascending=False)
            .rename(text("strategy.column.tasks")).to_frame().rename_axis(_col("owner")).head(n))
