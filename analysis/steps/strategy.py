"""Step 05 — strategy: the tier table, a dated, owned, ranked next action per customer, and the
frames the five workbooks are written from.

**Who owns a task** — one rule, used by every table that names an owner (the plan, 执行记录 and
its per-owner sheets, 工作量, 分层策略, 客户策略, 活动执行, the automation lists, 效果复盘):

* a **call** belongs to the customer's 客户经理 (the tier's ``owner_role`` when the customer has
  none). A task is a call when its tier's channel in params is the phone (战略/流失预警 by
  default: the account manager calls), or when it is the churn-flag follow-up of a high-value
  customer (params ``strategy.churn_flag_action``, ``tiers.roles.high_value``);
* every other task — a message sent in a batch from the marketing system or 企微 — belongs to
  the tier's ``owner_role`` (运营专员 sends the 普通客户 coupons).

:func:`owner_rule_text` states the rule per tier for the tables that list tiers, not customers.

**Priority** — per owner, 1 = first: the highest 风险价值 (:func:`value_at_risk`), then the
earliest deadline, then the customer ID. **Due dates** — the tier's ``due_working_days`` after
the as-of date on the working calendar; calls are then spread so that no owner has more than
``max_calls_per_day`` (params ``strategy.max_calls_per_owner_per_day``) due on one working day:
an owner's calls take the days from their earliest deadline onwards, highest priority first.
Messages are not capped: one batch sends them all. A call pushed past :func:`plan_month_end`
(the last day before next month's run reads the results back) keeps its date and is counted in
工作量 and by :func:`late_call_notes`.

Tables come back with the workbooks' header texts in the run's language
(``text("column.<key>")``, analysis/vocab/workbooks.yml); sentences and labels are in
analysis/vocab/strategy.yml. Tier names and roles come from params
(:func:`analysis.tiers.tier_roles`); a tier's channel in params is recognised by the words of
:mod:`analysis.reference.channels`. Text columns are built column-wise
(:func:`analysis.text_columns.fill_template`), never row by row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.steps.automation import (LIST_ORDER, channel_kinds, channel_label, content_text,
                                       list_label, list_owner_text, money_column, owner_rule_text)
from analysis.steps.workdays import add_working_days, working_calendar
from analysis.text_columns import fill_template
from analysis.tiers import TierRoles
from analysis.vocab import join, text

__all__ = [
    "strategy_table", "customer_features_text", "customer_plan", "value_at_risk", "plan_month_end",
    "tier_owner_texts",
    "workload", "late_call_notes", "workbook_sheets",
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
    amounts. 负责人 states the owner rule for the tier (:func:`owner_rule_text`)."""
    counts = segments["tier"].value_counts()
    rule = (segments.dropna(subset=["tier_rule"]).groupby("tier")["tier_rule"].first()
            if "tier_rule" in segments else pd.Series(dtype="string"))
    owners = tier_owner_texts(tiers, roles)
    rows = []
    for tier in roles.order:
        spec = tiers[tier]
        n = int(counts.get(tier, 0))
        rows.append({_col("tier_level"): tier, _col("features"): rule.get(tier, spec["features"]),
                     _col("strategy"): spec["strategy"], _col("owner"): owners[tier],
                     _col("cycle"): spec["cycle"], _col("customers"): n,
                     _col("share"): n / len(segments) if len(segments) else 0.0})
    return pd.DataFrame(rows)


def _tier_calls(tiers: dict) -> pd.Series:
    """Per tier: whether its channel in params is the phone (its tasks are calls)."""
    return _is_phone(pd.Series({tier: spec["channel"] for tier, spec in tiers.items()}, dtype=object))


def tier_owner_texts(tiers: dict, roles: TierRoles) -> dict[str, str]:
    """Per tier, who owns its tasks in words (the owner rule)."""
    calls = _tier_calls(tiers)
    return {tier: owner_rule_text(spec["owner_role"], by_manager=bool(calls[tier]),
                                  flagged_by_manager=tier in roles.high_value and not calls[tier])
            for tier, spec in tiers.items()}


def customer_features_text(segments: pd.DataFrame, window_months: int) -> pd.Series:
    """A short description of each customer from their numbers (``window_months``: params
    ``rfm.window_months``).

    Examples
    --------
    >>> s = pd.DataFrame({"total_spend": [120000.0, 800.0], "frequency": [8.0, 1.0],
    ...                   "recency_days": [31.0, None]})
    >>> customer_features_text(s, 12).tolist()
    ['累计12.0万元，近12个月购买8次，最近购买31天前', '累计800元，近12个月购买1次，从未购买']
    """
    index = segments.index
    recency = segments["recency_days"].astype(float)
    last = fill_template(text("strategy.features.last_bought"), index,
                         days=recency.fillna(0).astype(int))
    last = last.where(recency != 0, text("strategy.features.bought_today"))
    last = last.where(recency.notna(), text("strategy.features.never_bought"))
    return fill_template(text("strategy.features.summary"), index,
                         spend=money_column(segments["total_spend"].astype(float).fillna(0.0)),
                         months=window_months, orders=segments["frequency"].fillna(0).astype(int),
                         last=last).astype("string")


def value_at_risk(segments: pd.DataFrame, churn: pd.DataFrame | None = None) -> pd.Series:
    """What each customer's business is worth at risk, in 元, by customer (``segments`` order).

    Where notebook 04's churn table scored the customer: P(no purchase in its horizon,
    ``p_no_purchase``) × the value it ranked by (``warning_value``: spend to date or the
    predicted CLV, params ``churn.value_basis``; spend to date when blank). Elsewhere (no model,
    never scored) the whole spend to date. A negative spend (returns above purchases) counts
    as 0: it is kept out of the ranking, not put first or last by accident.

    Examples
    --------
    >>> seg = pd.DataFrame({"customer_id": ["A", "B", "C"], "total_spend": [1000.0, 500.0, -80.0]})
    >>> churn = pd.DataFrame({"customer_id": ["A"], "p_no_purchase": [0.3], "warning_value": [None]})
    >>> value_at_risk(seg, churn).round(2).tolist()
    [300.0, 500.0, 0.0]
    """
    spend = segments["total_spend"].astype(float).fillna(0.0).clip(lower=0.0)
    if churn is None or not len(churn) or "p_no_purchase" not in churn:
        return spend.rename("value_at_risk")
    scored = churn.drop_duplicates("customer_id").set_index("customer_id")
    risk = segments["customer_id"].map(scored["p_no_purchase"]).astype(float)
    value = (segments["customer_id"].map(scored["warning_value"]).astype(float)
             if "warning_value" in scored else pd.Series(np.nan, index=segments.index))
    value = value.fillna(spend).clip(lower=0.0)
    return (risk * value).where(risk.notna(), spend).rename("value_at_risk")


def plan_month_end(as_of) -> pd.Timestamp:
    """The last day the month's tasks should be due: the end of the month after the as-of
    date's, when next month's run reads the results back.

    >>> plan_month_end(pd.Timestamp("2026-10-31")), plan_month_end(pd.Timestamp("2026-10-15"))
    (Timestamp('2026-11-30 00:00:00'), Timestamp('2026-11-30 00:00:00'))
    """
    return (pd.Timestamp(as_of).to_period("M") + 1).end_time.normalize()


def customer_plan(segments: pd.DataFrame, customers: pd.DataFrame, tiers: dict, as_of: pd.Timestamp, *,
                  roles: TierRoles, churn_flag_action: str, window_months: int, holidays=(),
                  recommendations: pd.DataFrame | None = None, best_channel: pd.Series | None = None,
                  control: pd.Series | None = None, calendar=None,
                  warnings: pd.DataFrame | None = None,
                  max_calls_per_day: int | None = None) -> pd.DataFrame:
    """One row per customer: who they are, tier, why, what to do, who, by when, in which order.

    Columns: customer_id, customer_name, phone, email (from ``customers``), tier, features,
    reason, strategy, offer, content_key, recommended_category, channel, next_action, owner,
    due_date, priority, value_at_risk, control, status, task_id (and the segment numbers).

    The next action names the tier's offer and, where notebook 04 found one, the category to
    recommend (``recommendations``: customer_id, recommended_category). The channel is the
    tier's default; for tiers not served by phone, the customer's best historical message
    channel (``best_channel`` by customer_id) where known. A customer of a high-value tier
    (``roles.high_value``, params ``tiers.roles``) carrying the churn flag gets
    ``churn_flag_action`` by phone, due within 3 working days. The owner follows the module's
    owner rule; priority, value at risk and due dates are as the module describes
    (``max_calls_per_day``: params ``strategy.max_calls_per_owner_per_day``; None: no cap).
    Customers in the control group (``control`` by customer_id) get no proactive action, no
    priority and status 对照组. ``window_months`` (params ``rfm.window_months``) is the window
    the features text names. Due dates count working days on ``calendar``
    (:func:`analysis.steps.workdays.working_calendar`: Chinese public holidays and 调休; by
    default the built-in one plus ``holidays``). ``warnings`` is notebook 04's churn table
    (customer_id, churn_warning, warning_reason; p_no_purchase, warning_value for the value at
    risk): a warned customer's reason (原因) is the warning's reason, the others' their numbers.
    """
    people = [c for c in ["owner", "name", "phone", "email"] if c in customers]
    frame = segments[["customer_id", "tier", "churn_risk", "total_spend", "frequency", "recency_days"]].merge(
        customers.drop_duplicates("customer_id")[["customer_id"] + people], on="customer_id", how="left")
    frame = frame.rename(columns={"name": "customer_name"})
    for column in ["owner", "customer_name", "phone", "email"]:
        if column not in frame:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="string")
    spec = pd.DataFrame(tiers).T
    frame["features"] = customer_features_text(frame, window_months)
    frame["reason"] = frame["features"]
    if warnings is not None and len(warnings):
        warned = warnings[warnings["churn_warning"].fillna(False).astype(bool)]
        # astype: with no warned customer every lookup misses, and pandas then infers a
        # numeric dtype for the all-missing result (double[pyarrow]) that cannot join text
        reason = frame["customer_id"].map(warned.set_index("customer_id")["warning_reason"]).astype("string")
        has = reason.notna()
        frame.loc[has, "features"] = fill_template(text("strategy.features.with_warning"), frame.index[has],
                                                   features=frame.loc[has, "features"], reason=reason[has])
        frame.loc[has, "reason"] = reason[has]
    frame["strategy"] = frame["tier"].map(spec["strategy"])
    flagged = frame["churn_risk"].fillna(False).astype(bool) & frame["tier"].isin(roles.high_value)
    action = frame["tier"].map(spec["next_action"]).where(~flagged, churn_flag_action)
    frame["offer"] = frame["tier"].map(spec["offer"])
    frame["content_key"] = frame["tier"].map(spec["content_key"])
    frame["recommended_category"] = (
        frame["customer_id"].map(recommendations.set_index("customer_id")["recommended_category"])
        if recommendations is not None and len(recommendations) else pd.NA)
    default_channel = frame["tier"].map(spec["channel"])
    calls = _is_phone(default_channel) | flagged
    frame["channel"] = default_channel.where(~flagged, channel_label("phone"))
    if best_channel is not None:
        # Messages go where the customer has historically opened and clicked; a phone
        # preference does not turn a batch message into a call.
        known = frame["customer_id"].map(best_channel).astype(object)
        known = known.where(~_is_phone(known))
        frame.loc[~calls, "channel"] = known[~calls].fillna(default_channel[~calls])
    offer = frame["offer"].astype("string")
    offer_text = fill_template(text("strategy.action.offer"), frame.index, offer=offer.fillna(""))
    offer_text = offer_text.where(offer.fillna("").ne(""), "")
    category = frame["recommended_category"].astype("string")
    category_text = fill_template(text("strategy.action.category"), frame.index, category=category.fillna(""))
    category_text = category_text.where(category.fillna("").ne(""), "")
    frame["next_action"] = action + offer_text + category_text
    role = frame["tier"].map(spec["owner_role"])
    frame["owner"] = frame["owner"].astype(object).where(calls & frame["owner"].notna(), role)
    frame["control"] = (frame["customer_id"].map(control).fillna(False).astype(bool)
                        if control is not None else False)
    frame.loc[frame["control"], "next_action"] = text("strategy.action.control")
    frame["status"] = np.where(frame["control"], text("strategy.status.control"), text("choice.status.todo"))
    frame["value_at_risk"] = value_at_risk(frame, warnings).to_numpy()

    days = frame["tier"].map(spec["due_working_days"]).fillna(5).astype(int)
    # a writable copy: the cap below writes into it (pandas may hand back a read-only view)
    days = pd.Series(days.where(~flagged, np.minimum(days, 3)).to_numpy(dtype="int64", copy=True),
                     index=frame.index)
    tasks = ~frame["control"]
    # only the columns the ranking reads: the text columns are large at a million customers
    ranked = frame.loc[tasks, ["owner", "value_at_risk", "customer_id"]].assign(_days=days[tasks]).sort_values(
        ["owner", "value_at_risk", "_days", "customer_id"], ascending=[True, False, True, True], kind="mergesort")
    frame["priority"] = pd.Series(ranked.groupby("owner").cumcount() + 1, dtype="Int64").reindex(frame.index)
    mine = ranked[calls[ranked.index]]
    if max_calls_per_day is not None and len(mine):
        # An owner's calls take the working days from their earliest deadline, in priority order.
        by_owner = mine.groupby("owner", dropna=False, sort=False)
        spread = by_owner["_days"].transform("min") + by_owner.cumcount() // int(max_calls_per_day)
        days.loc[mine.index] = spread.to_numpy(dtype="int64")
    calendar = calendar or working_calendar(extra_holidays=holidays)
    frame["due_date"] = pd.to_datetime(pd.Series(add_working_days(as_of, days, calendar)).to_numpy())
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


def workload(plan: pd.DataFrame, as_of, calendar=None) -> pd.DataFrame:
    """工作量: one row per owner of this month's tasks (control-group customers have none), most
    tasks first, then a 合计 row. Columns (headers of the 工作量 sheet): 负责人, 任务数, 电话任务,
    本周到期 (due by the Sunday of the week of the first working day after ``as_of``), 风险价值(元)
    (the sum of :func:`value_at_risk`), 最早到期, 最晚到期, 月底后到期 (due after
    :func:`plan_month_end`).

    Examples
    --------
    >>> plan = pd.DataFrame({"owner": ["张", "张", "李"], "control": [False, False, True],
    ...     "channel": ["电话", "短信", "电话"], "value_at_risk": [100.0, 50.0, 9.0],
    ...     "due_date": pd.to_datetime(["2026-11-03", "2026-12-01", "2026-11-03"])})
    >>> workload(plan, pd.Timestamp("2026-10-31")).iloc[0, :5].astype(str).tolist()
    ['张', '2', '1', '1', '150.0']
    """
    calendar = calendar or working_calendar()
    tasks = plan[~plan["control"].astype(bool)] if "control" in plan else plan
    first_day = pd.Timestamp(add_working_days(as_of, 1, calendar))
    week_end = first_day + pd.Timedelta(days=6 - first_day.weekday())
    due = pd.to_datetime(tasks["due_date"])
    frame = pd.DataFrame({
        "owner": tasks["owner"].astype(object), "calls": _is_phone(tasks["channel"]).to_numpy(),
        "this_week": (due <= week_end).to_numpy(), "value": tasks["value_at_risk"].astype(float).to_numpy(),
        "due": due.to_numpy(), "late": (due > plan_month_end(as_of)).to_numpy()})
    grouped = frame.groupby("owner", sort=False).agg(
        tasks=("owner", "size"), calls=("calls", "sum"), this_week=("this_week", "sum"), value=("value", "sum"),
        first=("due", "min"), last=("due", "max"), late=("late", "sum"))
    grouped = grouped.sort_values(["tasks", "value"], ascending=False, kind="mergesort")
    total = pd.DataFrame({"tasks": [len(frame)], "calls": [frame["calls"].sum()],
                          "this_week": [frame["this_week"].sum()], "value": [frame["value"].sum()],
                          "first": [frame["due"].min()], "last": [frame["due"].max()],
                          "late": [frame["late"].sum()]}, index=[text("strategy.workload.total")])
    table = pd.concat([grouped, total]) if len(frame) else grouped
    out = pd.DataFrame({
        _col("owner"): table.index.astype(object), _col("tasks"): table["tasks"].astype(int).to_numpy(),
        _col("calls"): table["calls"].astype(int).to_numpy(),
        _col("due_this_week"): table["this_week"].astype(int).to_numpy(),
        _col("value_at_risk"): table["value"].astype(float).to_numpy(),
        _col("first_due"): table["first"].to_numpy(), _col("last_due"): table["last"].to_numpy(),
        _col("beyond_month_end"): table["late"].astype(int).to_numpy()})
    return out.reset_index(drop=True)


def late_call_notes(plan: pd.DataFrame, as_of, max_calls_per_day: int) -> list[str]:
    """One sentence per owner whose tasks run past :func:`plan_month_end` (the daily call cap
    pushed them there), for the notebook and the log; empty when everything fits the month.

    >>> plan = pd.DataFrame({"owner": ["张经理"] * 2, "control": [False] * 2,
    ...                      "due_date": pd.to_datetime(["2026-11-30", "2026-12-02"])})
    >>> late_call_notes(plan, pd.Timestamp("2026-10-31"), 20)
    ['张经理：1 项任务排到 2026-11-30 之后（每人每个工作日最多 20 通电话），请增派人手或调低优先级靠后的任务。']
    """
    end = plan_month_end(as_of)
    tasks = plan[~plan["control"].astype(bool)] if "control" in plan else plan
    late = tasks[pd.to_datetime(tasks["due_date"]) > end].groupby("owner", sort=True).size()
    return [text("strategy.note.late_calls", owner=owner, n=int(n), date=end.strftime("%Y-%m-%d"),
                 cap=max_calls_per_day) for owner, n in late.items()]


def workbook_sheets(customers: pd.DataFrame, segments: pd.DataFrame, plan: pd.DataFrame,
                    tiers: dict, month: str, quality: dict | None = None, lists=None,
                    review: pd.DataFrame | None = None, *,
                    roles: TierRoles, workload_table: pd.DataFrame | None = None,
                    targets: dict | None = None) -> dict[str, dict[str, pd.DataFrame]]:
    """The frames for the five workbooks: ``{workbook key: {sheet key: frame}}`` as
    :func:`analysis.outputs.workbooks.write_workbooks` takes them, each frame's columns the
    sheet's headers in the run's language (SPEC §8).

    ``quality`` (sheet key -> frame, from :func:`analysis.outputs.quality.quality_sheets`) adds the
    data-quality sheets to ``customer_info``; ``lists`` (from
    :func:`analysis.steps.automation.build_lists`) adds one sheet per target list
    (``list_<name>``, content keys shown as text), the exclusions sheet and a campaign row per
    list to ``campaign``; ``review`` (from :func:`analysis.steps.closed_loop.draft_review`)
    replaces the default review draft (one row per tier flow and per automated list, the
    lists' 目标 from ``targets``, params ``closed_loop.targets``). ``workload_table``
    (:func:`workload`) is the 工作量 sheet.

    执行记录 is the to-do list: one row per task (control-group customers get none), owners in
    工作量 order, each owner's tasks by priority; every owner also gets a sheet of their own,
    split from it when the workbook is written (:func:`analysis.outputs.workbooks.per_owner_sheets`).
    Control-group customers appear in
    ``customer_strategy`` (status 对照组).
    """
    seg = segments.set_index("customer_id")
    cust = customers.drop_duplicates("customer_id").set_index("customer_id")
    ids = seg.index
    separator = text("strategy.label_separator")
    tags = seg["rfm_class"].astype(str) + separator + seg["value_band"].astype(str)
    tags = tags.where(~seg["churn_risk"], tags + separator + text("strategy.label.churn_risk"))

    def of_customer(column):
        return cust[column].reindex(ids).to_numpy() if column in cust else pd.NA

    info = pd.DataFrame({
        _col("customer_id"): ids, _col("customer_name"): of_customer("name"),
        _col("phone"): of_customer("phone"), _col("email"): of_customer("email"),
        _col("industry"): of_customer("industry"), _col("region"): _region_text(cust).reindex(ids).to_numpy(),
        _col("company_size"): of_customer("company_size"),
        _col("first_purchase"): seg["first_order_date"].to_numpy(),
        _col("last_purchase"): seg["last_order_date"].to_numpy(),
        _col("total_spend"): seg["total_spend"].to_numpy(),
        _col("tier"): seg["tier"].to_numpy(), _col("labels"): tags.to_numpy(),
        _col("account_manager"): of_customer("owner"),
    })
    per_customer = pd.DataFrame({
        _col("tier"): plan["tier"], _col("customer_id"): plan["customer_id"],
        _col("customer_name"): plan["customer_name"],
        _col("features"): plan["features"], _col("strategy"): plan["strategy"],
        _col("status"): plan["status"], _col("next_action"): plan["next_action"],
        _col("channel"): plan["channel"], _col("owner"): plan["owner"], _col("due_date"): plan["due_date"],
        _col("priority"): plan["priority"], _col("task_id"): plan["task_id"],
    })
    control = plan["control"] if "control" in plan else pd.Series(False, index=plan.index)
    tasks = plan[~control]
    owner_rank = (workload_table[_col("owner")] if workload_table is not None
                  else tasks["owner"].value_counts().index.to_series())
    rank = {owner: i for i, owner in enumerate(owner_rank)}
    tasks = tasks.assign(_rank=tasks["owner"].map(rank).fillna(len(rank))).sort_values(
        ["_rank", "owner", "priority", "customer_id"], kind="mergesort")
    execution = pd.DataFrame({
        _col("priority"): tasks["priority"], _col("due_date"): tasks["due_date"],
        _col("executor"): tasks["owner"], _col("customer_id"): tasks["customer_id"],
        _col("customer_name"): tasks["customer_name"], _col("phone"): tasks["phone"],
        _col("email"): tasks["email"], _col("tier"): tasks["tier"], _col("reason"): tasks["reason"],
        _col("action"): tasks["next_action"], _col("channel"): tasks["channel"],
        _col("value_at_risk"): tasks["value_at_risk"],
        _col("executed_on"): pd.NaT, _col("result"): pd.NA, _col("feedback"): pd.NA,
        _col("task_id"): tasks["task_id"],
    }).reset_index(drop=True)
    counts = tasks["tier"].value_counts()
    owners = tier_owner_texts(tiers, roles)
    # A tier served by phone: the account manager calls and follows up on 企微.
    phone_channels = f"{channel_label('phone')}/{channel_label('wecom')}"
    by_phone = _tier_calls(tiers)
    campaign = [
        {_col("campaign_name"): f"{month} {text('strategy.flow.tier', tier=tier)}",
         _col("target_label"): tier, _col("content"): spec["next_action"],
         _col("channel"): phone_channels if by_phone[tier] else spec["channel"],
         _col("send_time"): pd.NaT, _col("target_count"): int(counts.get(tier, 0)),
         _col("owner"): owners[tier]}
        for tier, spec in tiers.items() if counts.get(tier, 0)
    ]
    campaign_sheets: dict[str, pd.DataFrame] = {}
    if lists is not None:
        for name, frame in lists.items():
            campaign_sheets[f"list_{name}"] = _list_sheet(frame)
            if len(frame):
                label = list_label(name)
                keys = pd.Series(sorted(frame[_col("content_key")].dropna().astype(str).unique())[:5], dtype=object)
                campaign.append({
                    _col("campaign_name"): f"{month} {label}", _col("target_label"): label,
                    _col("content"): join(dict.fromkeys(content_text(keys))),
                    _col("channel"): "/".join(frame[_col("channel")].value_counts().index[:3]),
                    _col("send_time"): pd.to_datetime(frame[_col("send_time")]).min(),
                    _col("target_count"): len(frame), _col("owner"): list_owner_text(name)})
        campaign_sheets["list_exclusions"] = lists.summary
    if review is None:
        review = _pending_review(month, tiers, roles, counts, owners, targets)
    return {
        "customer_info": {"info": info, **(quality or {})},
        "tier_strategy": {"tier_strategy": strategy_table(segments, tiers, roles),
                          "customer_strategy": per_customer},
        "execution_log": {"execution": execution,
                          **({"workload": workload_table} if workload_table is not None else {})},
        "campaign": {"campaign": pd.DataFrame(campaign), **campaign_sheets},
        "review": {"review": review},
    }


def _list_sheet(frame: pd.DataFrame) -> pd.DataFrame:
    """A target list as its sheet shows it: the content key replaced by its text."""
    out = frame.copy()
    position = out.columns.get_loc(_col("content_key"))
    content = content_text(out.pop(_col("content_key")))
    out.insert(position, _col("content"), content.to_numpy())
    return out


def _pending_review(month: str, tiers: dict, roles: TierRoles, counts: pd.Series, owners: dict,
                    targets: dict | None) -> pd.DataFrame:
    """The 效果复盘 draft before any result is back: one row per tier flow with tasks (its KPI
    from params as the target) and one per automated list (conversion against params)."""
    pending = text("strategy.review.pending")
    rows = [{_col("period"): month, _col("flow"): text("strategy.flow.tier", tier=tier),
             _col("kpi"): text("closed_loop.metric.win_back" if tier == roles.win_back
                               else "closed_loop.metric.repurchase"),
             _col("target"): tiers[tier]["kpi"], _col("actual"): pending, _col("owner"): owners[tier]}
            for tier in roles.order if counts.get(tier, 0)]
    goal = (targets or {}).get("conversion")
    rows += [{_col("period"): month, _col("flow"): list_label(name),
              _col("kpi"): text("closed_loop.campaign.conversion_rate"),
              _col("target"): text("strategy.review.at_least", value=goal) if goal is not None else pd.NA,
              _col("actual"): pending, _col("owner"): list_owner_text(name)}
             for name in LIST_ORDER]
    return pd.DataFrame(rows)
