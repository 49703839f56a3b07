"""Step 05 — the automation target lists (SPEC §8): who gets which touch, when, by whom.

The kit produces lists and content keys; sending is done elsewhere. Six lists, each built by
one function returning ``(list, exclusions)``. Lists are named by key (:data:`LIST_ORDER`, the
``list_<key>`` sheets of the campaign workbook); :func:`list_label` is the name people see
(the sheet's name, e.g. 高价值跟进):

============================  ============================================================  =========  ========
list (key, name)              who (params ``automation``)                                   kind       control
============================  ============================================================  =========  ========
high_value 高价值跟进          net spend in the last 12 months > high_value_annual_spend 元   marketing  excluded
negative_feedback 差评工单     latest survey ≤ negative_feedback_max_stars, in last 30 days   service    kept
birthday 生日关怀              birthday (month-day) birthday_days_before days after as_of     marketing  excluded
welcome 新客欢迎               registered or first purchase in the welcome_within_hours       marketing  kept
                              up to the end of the as-of day
sleeping 沉睡唤醒              a ``roles.sleeping`` tier or churn_risk, > sleeping_days       marketing  excluded
                              since last purchase, nothing opened/clicked in
                              sleeping_no_open_days
post_purchase 购后调研         a purchase exactly survey_days_after_purchase days before      marketing  kept
============================  ============================================================  =========  ========

Rules, in the order they are checked (a customer left out gets the first reason that applies):

1. **已退订** / **无营销授权** — marketing lists never include an unsubscribed customer or one
   whose ``marketing_consent`` is not true (a blank counts as no consent). 差评工单 is a
   service ticket answering the customer's own complaint, not marketing, so it is exempt.
   When the customer table has no such column the check cannot be made: it is skipped and
   said so in the list's notes.
2. **对照组** — customers with ``control`` true on ``segments`` (column absent: nobody) are left
   out of the *proactive* lists, those the company starts on its own (高价值跟进, 生日关怀,
   沉睡唤醒), so the control group measures what the maintenance actions add. Lists a
   customer's own action triggers (差评工单, 新客欢迎, 购后调研) still serve them.
3. **超出每日N条上限** — at most ``max_messages_per_day`` marketing touches per customer per
   send day across all lists, kept in :data:`LIST_PRIORITY` order (高价值跟进 > 差评工单 >
   生日关怀 > 新客欢迎 > 沉睡唤醒 > 购后调研). Service tickets are never dropped and do not use
   up the allowance.

Not an exclusion: a 高价值 (value band) or high-value tier (``roles.high_value``) customer on
新客欢迎 gets ``welcome:vip`` without the new-customer coupon (SPEC §8), noted in 备注.

Tier roles come from params (:func:`analysis.tiers.tier_roles`); every tunable from params
``automation`` (no defaults here). Headers, list names, reasons and remarks are in the run's
language (analysis/vocab/workbooks.yml, automation.yml).

Every list row has the columns :func:`list_columns`. 触达渠道 is the customer's best historical
channel (:func:`best_channel`). 发送时间 is the first moment inside the send window on a working
day at or after the as-of date (:func:`analysis.steps.workdays.next_send_time`); 截止时间 is the end
of that day's window for automated messages, the same time one working day later for
高价值跟进 ("within 24 h"), and 2 working hours later for 差评工单.
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from analysis.outputs.workbooks import AUTOMATION_LISTS, sheet_name
from analysis.reference.channels import TOUCH_CHANNEL_WORDS
from analysis.steps.workdays import (Calendar, add_working_days, add_working_hours, next_send_time,
                                     parse_window, working_calendar)
from analysis.text_columns import fill_template
from analysis.tiers import TierRoles
from analysis.vocab import all_labels, text, texts

__all__ = [
    "list_columns", "content_text", "owner_rule_text", "list_owner_text", "money_column", "LIST_PRIORITY", "LIST_SPECS", "LIST_ORDER", "TargetLists", "list_label",
    "money_text", "money_formatter", "channel_kinds", "channel_label", "touch_channel", "best_channel",
    "customer_base", "high_value_list", "negative_feedback_list", "birthday_list", "welcome_list",
    "sleeping_list", "post_purchase_list", "build_lists", "exclusion_summary", "list_overview",
]

# Configuration as data: kind of touch, who owns it (``automation.owner.<owner>`` in the
# vocabulary), whether the control group is left out.
LIST_SPECS: dict[str, dict] = {
    "high_value": {"marketing": True, "proactive": True, "owner": "account_manager",
                   "deadline": "next_working_day"},
    "negative_feedback": {"marketing": False, "proactive": False, "owner": "service", "deadline": "2h"},
    "birthday": {"marketing": True, "proactive": True, "owner": "operations", "deadline": "window_end"},
    "welcome": {"marketing": True, "proactive": False, "owner": "operations", "deadline": "window_end"},
    "sleeping": {"marketing": True, "proactive": True, "owner": "operations", "deadline": "window_end"},
    "post_purchase": {"marketing": True, "proactive": False, "owner": "operations", "deadline": "window_end"},
}
# Which touch keeps its place when a customer would get more than the daily allowance.
LIST_PRIORITY = ("high_value", "negative_feedback", "birthday", "welcome", "sleeping", "post_purchase")
# Sheet order of the campaign workbook.
LIST_ORDER = AUTOMATION_LISTS

TICKET_HOURS = 2
NEGATIVE_FEEDBACK_DAYS = 30
HIGH_VALUE_MONTHS = 12
# The label of each channel kind (analysis/reference/channels.py): the cleaning step's names
# for message channels, so a list's channels read as the interactions table's.
_CHANNEL_LABELS = {"wecom": "clean.channel.wecom", "wechat": "automation.channel.wechat",
                   "sms": "clean.channel.sms", "email": "clean.channel.email",
                   "phone": "automation.channel.phone"}
_FALLBACK_CHANNEL = "sms"   # a customer with no known channel gets an SMS


def _col(key: str) -> str:
    """A workbook column's header in the run's language (analysis/vocab/workbooks.yml)."""
    return text(f"column.{key}")


# The columns of a list as built (column keys). Its sheet shows the same, with the content key
# replaced by its text (触达内容, :func:`content_text`): the key is for the sending system.
_LIST_COLUMNS = ("customer_id", "tier", "channel", "send_time", "content_key", "deadline", "owner", "remark")


def list_columns() -> list[str]:
    """The columns of every list frame, in the run's language.

    >>> list_columns()
    ['客户ID', '客户层级', '触达渠道', '发送时间', '内容键', '截止时间', '负责人', '备注']
    """
    return [_col(key) for key in _LIST_COLUMNS]


def content_text(keys: pd.Series) -> pd.Series:
    """What a content key means, in the run's language (``automation.content.<kind>.<detail>``;
    ``wakeup:<category>`` names the category). The lists carry keys for the sending system;
    people read this. A key the vocabulary does not know reads as its list's generic content.

    >>> content_text(pd.Series(["welcome:coupon", "wakeup:家居", "wakeup:generic", None])).tolist()
    ['新客欢迎礼包（含新客优惠券）', '唤醒推荐：家居', '唤醒推荐：热销商品', <NA>]
    """
    known = all_labels()
    out = {}
    for key in pd.unique(keys.dropna().astype(str)):  # a handful of distinct keys
        kind, _, detail = key.partition(":")
        exact = f"automation.content.{kind}.{detail}"
        if exact in known:
            out[key] = text(exact)
        elif f"automation.content.{kind}" in known:
            out[key] = text(f"automation.content.{kind}", detail=detail)
        else:
            out[key] = text("automation.content.other")
    return keys.astype(object).map(out).astype("string")


def owner_rule_text(role: str, *, by_manager: bool, flagged_by_manager: bool = False) -> str:
    """Who owns a tier's (or a list's) tasks, in words — the owner rule of
    :mod:`analysis.steps.strategy`: each customer's 客户经理 for calls (``role`` for a customer
    without one), else ``role``; ``flagged_by_manager`` adds that churn-flag follow-ups are the
    account manager's calls.

    >>> owner_rule_text("客户关系专员", by_manager=True), owner_rule_text("客户经理", by_manager=True)
    ('各客户的客户经理（无客户经理时：客户关系专员）', '各客户的客户经理')
    >>> owner_rule_text("客服专员", by_manager=False, flagged_by_manager=True)
    '客服专员（流失风险客户的回访：其客户经理）'
    """
    manager = text("automation.owner.account_manager")
    if by_manager:
        return (text("automation.owner_rule.managers") if role == manager
                else text("automation.owner_rule.managers_else", role=role))
    return text("automation.owner_rule.flagged", role=role) if flagged_by_manager else role


def list_owner_text(name: str) -> str:
    """Who owns a list's rows, in words (:func:`owner_rule_text`): 高价值跟进 is the customer's
    客户经理's follow-up, the others the list's role."""
    owner = LIST_SPECS[name]["owner"]
    return owner_rule_text(text(f"automation.owner.{owner}"), by_manager=owner == "account_manager")


def _exclusion_columns() -> list[str]:
    return [_col("list"), _col("customer_id"), _col("tier"), _col("reason")]


def list_label(name: str) -> str:
    """A list's name as people see it (its sheet's name): ``list_label("sleeping")`` -> 沉睡唤醒."""
    return sheet_name(f"list_{name}")


def money_text(value: float) -> str:
    """An amount in 元 as people write it: ``12.0万元`` from 10,000 up, else ``3,000元``.

    Examples
    --------
    >>> money_text(120000.0), money_text(3000.0)
    ('12.0万元', '3,000元')
    """
    return money_formatter()(value)


def money_column(values: pd.Series) -> pd.Series:
    """:func:`money_text` for a whole column at once.

    >>> money_column(pd.Series([120000.0, 3000.0])).tolist()
    ['12.0万元', '3,000元']
    """
    unit = float(text("automation.money.large_unit"))
    values = values.astype(float)
    big = (values.abs() >= 10000).to_numpy()
    out = pd.Series("", index=values.index, dtype=object)  # each row formatted by its own template
    large = fill_template(text("automation.money.large"), values.index[big], amount=values[big] / unit)
    small = fill_template(text("automation.money.small"), values.index[~big], amount=values[~big])
    out[big], out[~big] = large.to_numpy(), small.to_numpy()
    return out


def money_formatter():
    """:func:`money_text` with its labels looked up once, for formatting many amounts."""
    large, small = text("automation.money.large"), text("automation.money.small")
    unit = float(text("automation.money.large_unit"))
    return lambda value: large.format(amount=value / unit) if abs(value) >= 10000 else small.format(amount=value)


class TargetLists(dict):
    """The lists by key (:data:`LIST_ORDER`), plus ``exclusions`` (one row per customer left
    out: 名单, 客户ID, 客户层级, 原因), ``summary`` (名单, 原因, 人数: the ``list_exclusions``
    sheet), ``overview`` (one line per list, :func:`list_overview`) and ``notes`` (conditions
    skipped for lack of data). Headers and list names are in the run's language."""

    def __init__(self, lists: dict, exclusions: pd.DataFrame, notes: list[str]):
        super().__init__(lists)
        self.exclusions = exclusions
        self.summary = exclusion_summary(exclusions)
        self.overview = list_overview(lists, exclusions)
        self.notes = notes


# ---------------------------------------------------------------- shared pieces

def _day(as_of) -> pd.Timestamp:
    return pd.Timestamp(as_of).normalize()


def _purchases(orders: pd.DataFrame | None) -> pd.DataFrame:
    """Purchase rows with a day-level date (cancellations and returns left out), with the
    columns the lists use. Its own result passes through unchanged in content, so
    :func:`build_lists` works it out once for every list."""
    if orders is None or not len(orders):
        return pd.DataFrame(columns=["customer_id", "order_date", "amount", "category"])
    bought = orders["is_purchase"] if "is_purchase" in orders else orders["amount"] > 0
    columns = [c for c in ["customer_id", "order_date", "amount", "category", "is_purchase"] if c in orders]
    out = orders.loc[bought.fillna(False).astype(bool).to_numpy(), columns]
    return out.assign(order_date=pd.to_datetime(out["order_date"]).dt.normalize())


def channel_kinds(values: pd.Series) -> pd.Series:
    """Channel names -> wecom / wechat / sms / email / phone by the words of
    :data:`analysis.reference.channels.TOUCH_CHANNEL_WORDS`, anything else NA.

    >>> channel_kinds(pd.Series(["企业微信", "SMS", "电话", "线下", None])).tolist()
    ['wecom', 'sms', 'phone', <NA>, <NA>]
    """
    words = values.astype("string").fillna("")
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    for kind, pattern in TOUCH_CHANNEL_WORDS.items():
        out = out.mask(out.isna() & words.str.contains(pattern, case=False, regex=True), kind)
    return out


def channel_label(kind: str) -> str:
    """A channel kind's name in the run's language: ``channel_label("sms")`` -> 短信."""
    return text(_CHANNEL_LABELS[kind])


def touch_channel(values: pd.Series) -> pd.Series:
    """Channel names -> 企微 / 微信 / 短信 / 邮件 / 电话 (in the run's language), anything else NA.

    >>> touch_channel(pd.Series(["企业微信", "SMS", "线下", None])).tolist()
    ['企微', '短信', <NA>, <NA>]
    """
    labels = {kind: channel_label(kind) for kind in TOUCH_CHANNEL_WORDS}
    return channel_kinds(values).map(labels, na_action="ignore").astype("string")


def best_channel(customers: pd.DataFrame | None, interactions: pd.DataFrame | None) -> pd.Series:
    """Each customer's best historical channel, by customer_id.

    The message channel with the most opens + clicks in ``interactions`` (ties: the most
    recent engagement, then the channel name); else the customer's ``preferred_channel`` when
    it names a touch channel (:func:`touch_channel`; 线上/线下 do not); else 短信. Customers
    in neither table are not in the result (use ``.fillna(channel_label("sms"))``).

    Examples
    --------
    >>> i = pd.DataFrame({"customer_id": ["A", "A", "A"], "channel": ["邮件", "企微", "企微"],
    ...     "event": ["opened", "clicked", "opened"],
    ...     "date": pd.to_datetime(["2026-11-01", "2026-10-01", "2026-11-02"])})
    >>> best_channel(pd.DataFrame({"customer_id": ["A", "B"], "preferred_channel": ["电话", None]}), i).to_dict()
    {'A': '企微', 'B': '短信'}
    """
    ids = pd.Index([], dtype=object)
    preferred = pd.Series(dtype="object")
    if customers is not None and len(customers):
        ids = pd.Index(customers["customer_id"].unique())
        if "preferred_channel" in customers:
            preferred = touch_channel(
                customers.drop_duplicates("customer_id").set_index("customer_id")["preferred_channel"])
    engaged = pd.Series(dtype="object")
    if interactions is not None and len(interactions) and {"event", "channel"} <= set(interactions.columns):
        hits = interactions[interactions["event"].isin(["opened", "clicked"]) & interactions["channel"].notna()]
        if len(hits):
            dates = (pd.to_datetime(hits["date"]) if "date" in hits
                     else pd.Series(pd.NaT, index=hits.index))
            scored = (hits.assign(_date=dates).groupby(["customer_id", "channel"])
                      .agg(n=("event", "size"), last=("_date", "max")).reset_index())
            # Tie-break: the most recent engagement, then the channel name, for a stable answer.
            scored = scored.sort_values(["customer_id", "n", "last", "channel"],
                                        ascending=[True, False, False, True], na_position="last")
            engaged = scored.drop_duplicates("customer_id").set_index("customer_id")["channel"]
    ids = ids.union(pd.Index(engaged.index))
    out = pd.Series(engaged.reindex(ids), index=ids, dtype="object")
    out = out.fillna(preferred.reindex(ids)).fillna(channel_label(_FALLBACK_CHANNEL))
    out.index.name = "customer_id"
    return out.rename("channel")


def customer_base(customers: pd.DataFrame | None, segments: pd.DataFrame | None,
                  interactions: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per customer known to either table, with what the list rules test.

    Columns: customer_id, tier, churn_risk, value_band, control, owner, channel, and where the
    customer table has them marketing_consent, unsubscribed, birthday, register_date.
    ``control`` absent from ``segments`` means nobody is in the control group.
    """
    customers = customers if customers is not None else pd.DataFrame(columns=["customer_id"])
    segments = segments if segments is not None else pd.DataFrame(columns=["customer_id"])
    ids = pd.Index(customers["customer_id"].dropna().unique()).union(
        pd.Index(segments["customer_id"].dropna().unique()))
    base = pd.DataFrame(index=pd.Index(ids, name="customer_id"))
    seg = segments.drop_duplicates("customer_id").set_index("customer_id")
    cust = customers.drop_duplicates("customer_id").set_index("customer_id")
    base["tier"] = seg["tier"].reindex(ids).astype("string") if "tier" in seg else pd.NA
    base["churn_risk"] = (seg["churn_risk"].reindex(ids).fillna(False).astype(bool)
                          if "churn_risk" in seg else False)
    base["value_band"] = seg["value_band"].reindex(ids).astype("string") if "value_band" in seg else pd.NA
    base["control"] = (seg["control"].reindex(ids).fillna(False).astype(bool)
                       if "control" in seg else False)
    base["owner"] = cust["owner"].reindex(ids).astype("string") if "owner" in cust else pd.NA
    for col in ["marketing_consent", "unsubscribed", "birthday", "register_date"]:
        if col in cust:
            base[col] = cust[col].reindex(ids)
    base["channel"] = best_channel(customers, interactions).reindex(ids).fillna(channel_label(_FALLBACK_CHANNEL))
    return base.reset_index()


def _send_and_deadline(starts: pd.Series, name: str, p: dict, cal: Calendar) -> tuple[pd.Series, pd.Series]:
    """Per row: the first moment in the send window at or after its start, and its deadline."""
    rule = LIST_SPECS[name]["deadline"]
    cache: dict = {}
    for start in pd.unique(pd.to_datetime(pd.Series(starts, dtype="datetime64[ns]"))):
        send = next_send_time(pd.Timestamp(start), p["send_window"], cal)
        if rule == "2h":
            due = add_working_hours(send, TICKET_HOURS, p["send_window"], cal)
        elif rule == "next_working_day":
            # "within 24 h", counted on working days: the same clock time on the next working day
            due = add_working_days(send.normalize(), 1, cal) + (send - send.normalize())
        else:
            due = send.normalize() + parse_window(p["send_window"])[1]
        cache[pd.Timestamp(start)] = (send, due)
    starts = pd.to_datetime(pd.Series(starts, dtype="datetime64[ns]"))
    send = starts.map({start: times[0] for start, times in cache.items()}).astype("datetime64[ns]")
    due = starts.map({start: times[1] for start, times in cache.items()}).astype("datetime64[ns]")
    return send, due


def _finish(name: str, hits: pd.DataFrame, base: pd.DataFrame, as_of, p: dict, cal: Calendar,
            notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the opt-out/consent and control-group rules; format the kept rows.

    ``hits``: customer_id, content_key, note for everyone the list's
    trigger selects.
    """
    spec, label = LIST_SPECS[name], list_label(name)
    notes = list(notes)
    frame = hits.merge(base, on="customer_id", how="left", suffixes=("", "_base"))
    reason = pd.Series(pd.NA, index=frame.index, dtype="string")
    if spec["marketing"]:
        if "unsubscribed" in frame:
            reason = reason.mask(reason.isna() & frame["unsubscribed"].fillna(False).astype(bool),
                                 text("automation.reason.unsubscribed"))
        else:
            notes.append(text("automation.note.no_unsubscribe_column", list=label))
        if "marketing_consent" in frame:
            # A blank is not a consent.
            consent = frame["marketing_consent"].fillna(False).astype(bool)
            reason = reason.mask(reason.isna() & ~consent, text("automation.reason.no_consent"))
        else:
            notes.append(text("automation.note.no_consent_column", list=label))
    if spec["proactive"]:
        reason = reason.mask(reason.isna() & frame["control"].fillna(False).astype(bool),
                             text("automation.reason.control"))
    excluded = frame[reason.notna()]
    exclusions = pd.DataFrame({_col("list"): label, _col("customer_id"): excluded["customer_id"],
                               _col("tier"): excluded["tier"], _col("reason"): reason[reason.notna()]},
                              columns=_exclusion_columns()).reset_index(drop=True)
    kept = frame[reason.isna()].sort_values("customer_id").reset_index(drop=True)
    # A list may schedule rows for later days (birthdays of the coming weeks): ``send_on``.
    starts = (kept["send_on"] if "send_on" in kept
              else pd.Series(pd.Timestamp(as_of), index=kept.index, dtype="datetime64[ns]"))
    send, due = _send_and_deadline(starts, name, p, cal)
    owner = pd.Series(text(f"automation.owner.{spec['owner']}"), index=kept.index, dtype="object")
    if spec["owner"] == "account_manager" and "owner" in kept:
        owner = kept["owner"].astype("object").where(kept["owner"].notna(), owner)
    out = pd.DataFrame({
        _col("customer_id"): kept["customer_id"],
        _col("tier"): kept["tier"].astype("object").fillna(text("automation.untiered")),
        _col("channel"): kept["channel"].fillna(channel_label(_FALLBACK_CHANNEL)), _col("send_time"): send,
        _col("content_key"): kept["content_key"],
        _col("deadline"): due, _col("owner"): owner, _col("remark"): kept["note"],
    }, columns=list_columns())
    out.attrs["notes"] = notes
    return out, exclusions


def _hits(ids, content_key, note) -> pd.DataFrame:
    ids = pd.Series(ids, dtype="object").reset_index(drop=True)
    frame = pd.DataFrame({"customer_id": ids})
    frame["content_key"] = pd.Series(content_key).reset_index(drop=True) if np.ndim(content_key) else content_key
    frame["note"] = pd.Series(note).reset_index(drop=True) if np.ndim(note) else note
    return frame


# ---------------------------------------------------------------- the six lists

def high_value_list(base: pd.DataFrame, orders: pd.DataFrame, as_of, params: dict,
                    cal: Calendar | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """高价值跟进: net spend over the 12 months up to the as-of day > high_value_annual_spend 元.

    A manual follow-up by the customer's 客户经理 (the role when none is recorded), due the
    same time on the next working day. ``params``: params ``automation``.
    """
    p, cal = params, cal or working_calendar()
    day = _day(as_of)
    if orders is None or not len(orders):
        return _finish("high_value", _hits([], [], []), base, as_of, p, cal,
                       [text("automation.note.no_orders", list=list_label("high_value"))])
    dates = pd.to_datetime(orders["order_date"]).dt.normalize()
    in_year = (dates > day - pd.DateOffset(months=HIGH_VALUE_MONTHS)) & (dates <= day)
    amount = orders["net_amount"] if "net_amount" in orders else orders["amount"]
    spend = amount[in_year].groupby(orders.loc[in_year, "customer_id"]).sum()
    spend = spend[spend > p["high_value_annual_spend"]].sort_index()
    notes = [text("automation.remark.high_value", months=HIGH_VALUE_MONTHS, amount=money_text(v))
             for v in spend]
    return _finish("high_value", _hits(spend.index, "followup:manual", notes), base, as_of, p, cal, [])


def negative_feedback_list(base: pd.DataFrame, surveys: pd.DataFrame | None, as_of,
                           params: dict, cal: Calendar | None = None):
    """差评工单: the customer's latest survey, within the last 30 days, is ≤ the star limit.

    A service ticket (not marketing: no consent, opt-out or control-group rule), to be
    answered within 2 working hours.
    """
    p, cal = params, cal or working_calendar()
    if surveys is None or not len(surveys) or "stars" not in surveys:
        return _finish("negative_feedback", _hits([], [], []), base, as_of, p, cal,
                       [text("automation.note.no_surveys", list=list_label("negative_feedback"))])
    day = _day(as_of)
    s = surveys.assign(_day=pd.to_datetime(surveys["date"]).dt.normalize())
    s = s[s["_day"] <= day].sort_values(["customer_id", "_day"], kind="stable")
    latest = s.drop_duplicates("customer_id", keep="last")
    hit = latest[(latest["_day"] > day - pd.Timedelta(days=NEGATIVE_FEEDBACK_DAYS))
                 & (latest["stars"] <= p["negative_feedback_max_stars"])]
    comments = (hit["comment"].fillna("").astype(str).str.slice(0, 40) if "comment" in hit
                else pd.Series("", index=hit.index))
    rated, commented = text("automation.remark.rating"), text("automation.remark.rating_comment")
    notes = [commented.format(stars=stars, date=date, comment=comment) if comment
             else rated.format(stars=stars, date=date)
             for stars, date, comment in zip(hit["stars"], hit["_day"].dt.strftime("%Y-%m-%d"), comments)]
    return _finish("negative_feedback", _hits(hit["customer_id"], "ticket:negative_feedback", notes),
                   base, as_of, p, cal, [])


def _birthday_matches(month: pd.Series, dom: pd.Series, target: pd.Timestamp) -> np.ndarray:
    """Whether each birthday (its month and day of month) is celebrated on ``target``'s
    month-day; 2-29 birthdays fall on 2-28 in common years."""
    on_28 = (month == 2) & (dom == 29) & (not target.is_leap_year)
    dom = dom.where(~on_28, 28)
    return ((month == target.month) & (dom == target.day)).fillna(False).to_numpy(dtype=bool)


def birthday_list(base: pd.DataFrame, as_of, params: dict, cal: Calendar | None = None, *,
                  roles: TierRoles):
    """生日关怀: a greeting birthday_days_before days before each birthday.

    With ``birthday_lookahead_days`` = 0 only the birthday that many days after the as-of day;
    with N > 0 every birthday in the N days from there (a monthly run lists the coming month),
    each scheduled on its own send day. A 2-29 birthday is celebrated on 2-28 in common years.
    Customers of a high-value tier (``roles.high_value``) get ``birthday:gift``, the others
    ``birthday:greeting``.
    """
    p, cal = params, cal or working_calendar()
    if "birthday" not in base:
        return _finish("birthday", _hits([], [], []), base, as_of, p, cal,
                       [text("automation.note.no_birthdays", list=list_label("birthday"))])
    before = int(p["birthday_days_before"])
    greeting, leap_day = text("automation.remark.birthday"), text("automation.remark.leap_birthday")
    separator = text("automation.separator")
    parts = []
    born = pd.to_datetime(base["birthday"])  # parsed once for every day looked at
    month, dom = born.dt.month, born.dt.day
    leap_born = ((month == 2) & (dom == 29)).fillna(False).to_numpy(dtype=bool)
    who = base[["customer_id", "tier"]]
    for offset in range(max(1, int(p["birthday_lookahead_days"]))):
        target = _day(as_of) + pd.Timedelta(days=before + offset)
        matches = _birthday_matches(month, dom, target)
        if not matches.any():
            continue
        hit = who[matches]
        key = np.where(hit["tier"].isin(roles.high_value).fillna(False), "birthday:gift", "birthday:greeting")
        note = greeting.format(date=target.strftime("%m-%d"), days=before)
        moved = leap_born[matches] & (not target.is_leap_year)  # a 2-29 birthday kept on 2-28
        notes = np.where(moved, note + separator + leap_day, note).tolist()
        hits = _hits(hit["customer_id"], key, notes)
        hits["send_on"] = target - pd.Timedelta(days=before)
        parts.append(hits)
    hits = pd.concat(parts, ignore_index=True) if parts else _hits([], [], [])
    return _finish("birthday", hits, base, as_of, p, cal, [])


def welcome_list(base: pd.DataFrame, orders: pd.DataFrame | None, as_of, params: dict,
                 cal: Calendar | None = None, *, roles: TierRoles):
    """新客欢迎: registered, or first purchase, within welcome_within_hours up to the end of the as-of day.

    With day-level dates and 24 h that is the as-of day itself, so daily runs welcome each
    customer once. High-value customers (value band 高价值, or a ``roles.high_value`` tier) get
    ``welcome:vip`` and never the new-customer coupon; the others ``welcome:coupon``.
    """
    p, cal = params, cal or working_calendar()
    end = _day(as_of) + pd.Timedelta(days=1)
    start = end - pd.Timedelta(hours=float(p["welcome_within_hours"]))
    separator = text("automation.separator")
    events = []
    if "register_date" in base:
        reg = pd.to_datetime(base["register_date"])
        mask = (reg >= start) & (reg < end)
        registered = text("automation.remark.registered")
        events.append(pd.DataFrame({"customer_id": base.loc[mask, "customer_id"],
                                    "what": reg[mask].dt.strftime("%Y-%m-%d").map(
                                        lambda d: registered.format(date=d)).astype(object)}))
    bought = _purchases(orders)
    if len(bought):
        first = bought.groupby("customer_id")["order_date"].min()
        first = first[(first >= start) & (first < end)]
        first_order = text("automation.remark.first_order")
        events.append(pd.DataFrame({"customer_id": first.index,
                                    "what": first.dt.strftime("%Y-%m-%d").map(
                                        lambda d: first_order.format(date=d)).astype(object).to_numpy()}))
    notes = ([] if "register_date" in base
             else [text("automation.note.no_register_date", list=list_label("welcome"))])
    if not events:
        return _finish("welcome", _hits([], [], []), base, as_of, p, cal, notes)
    hits = (pd.concat(events).groupby("customer_id", sort=True)["what"].agg(separator.join).reset_index())
    info = hits.merge(base[["customer_id", "tier", "value_band"]], on="customer_id", how="left")
    vip = (info["value_band"].eq(text("segment.band.high")).fillna(False)
           | info["tier"].isin(roles.high_value).fillna(False))
    key = np.where(vip, "welcome:vip", "welcome:coupon")
    note = info["what"].where(~vip, info["what"] + separator + text("automation.remark.vip_no_coupon"))
    return _finish("welcome", _hits(info["customer_id"], key, note.tolist()), base, as_of, p, cal, notes)


def sleeping_list(base: pd.DataFrame, orders: pd.DataFrame | None, interactions: pd.DataFrame | None,
                  as_of, params: dict, cal: Calendar | None = None, *, roles: TierRoles):
    """沉睡唤醒: a ``roles.sleeping`` tier or churn_risk, more than sleeping_days since the last
    purchase, and nothing opened or clicked in the last sleeping_no_open_days.

    Without interaction data the "nothing opened" condition is skipped (and noted). The content
    key is ``wakeup:<category of the last purchase>``, or ``wakeup:generic``.
    """
    p, cal = params, cal or working_calendar()
    day = _day(as_of)
    notes = []
    bought = _purchases(orders)
    bought = bought[bought["order_date"] <= day]
    if not len(bought):
        return _finish("sleeping", _hits([], [], []), base, as_of, p, cal,
                       [text("automation.note.no_purchases", list=list_label("sleeping"))])
    amount_col = "amount" if "amount" in bought else "order_date"
    # Each customer's last purchase (the larger amount on a day with two, then the later row):
    # sorted on the date and amount only, the customer IDs ordered once per customer after.
    last = (bought.sort_values(["order_date", amount_col], kind="stable")
            .drop_duplicates("customer_id", keep="last").set_index("customer_id").sort_index(kind="stable"))
    idle = (day - last["order_date"]).dt.days
    tiered = base.set_index("customer_id")
    eligible = (tiered["tier"].isin(roles.sleeping).fillna(False) | tiered["churn_risk"]).reindex(last.index)
    mask = eligible.fillna(False).astype(bool) & (idle > p["sleeping_days"])
    checked_opens = "event" in getattr(interactions, "columns", [])
    if interactions is None or not checked_opens:
        notes.append(text("automation.note.no_interactions", list=list_label("sleeping")))
    else:
        when = pd.to_datetime(interactions["date"]).dt.normalize()
        recent = interactions[interactions["event"].isin(["opened", "clicked"])
                              & (when > day - pd.Timedelta(days=int(p["sleeping_no_open_days"])))
                              & (when <= day)]
        mask &= ~last.index.isin(recent["customer_id"].unique())
    hit = last[mask]
    category = hit["category"] if "category" in hit else pd.Series(pd.NA, index=hit.index)
    key = ("wakeup:" + category.astype("string")).fillna("wakeup:generic")
    separator, last_bought = text("automation.separator"), text("automation.remark.last_bought")
    no_opens = (separator + text("automation.remark.no_opens", days=p["sleeping_no_open_days"])
                if checked_opens else "")
    note = [last_bought.format(days=int(days)) + ("" if pd.isna(cat) else separator + str(cat)) + no_opens
            for days, cat in zip(idle[mask], category.astype("string"))]
    return _finish("sleeping", _hits(hit.index, key.tolist(), note), base, as_of, p, cal, notes)


def post_purchase_list(base: pd.DataFrame, orders: pd.DataFrame | None, as_of, params: dict,
                       cal: Calendar | None = None):
    """购后调研: a purchase exactly survey_days_after_purchase calendar days before the as-of day."""
    p, cal = params, cal or working_calendar()
    bought = _purchases(orders)
    target = _day(as_of) - pd.Timedelta(days=int(p["survey_days_after_purchase"]))
    hit = bought[bought["order_date"] == target]
    ids = pd.Index(hit["customer_id"].unique()).sort_values()
    note = text("automation.remark.bought_on", date=target.strftime("%Y-%m-%d"),
                days=p["survey_days_after_purchase"])
    return _finish("post_purchase", _hits(ids, "survey:post_purchase", note), base, as_of, p, cal,
                   [] if len(bought) else [text("automation.note.no_purchases", list=list_label("post_purchase"))])


# ---------------------------------------------------------------- all lists

def _apply_daily_cap(lists: dict[str, pd.DataFrame], cap: int) -> tuple[dict, pd.DataFrame]:
    """Keep at most ``cap`` marketing touches per customer per send day, by :data:`LIST_PRIORITY`."""
    rank = {name: i for i, name in enumerate(LIST_PRIORITY)}
    customer_id, tier = _col("customer_id"), _col("tier")
    rows = pd.concat([frame.assign(_list=name) for name, frame in lists.items() if len(frame)]
                     or [pd.DataFrame(columns=list_columns() + ["_list"])], ignore_index=True)
    rows["_marketing"] = rows["_list"].map(lambda n: LIST_SPECS[n]["marketing"]).astype(bool)
    rows["_rank"] = rows["_list"].map(rank)
    rows["_send_day"] = pd.to_datetime(rows[_col("send_time")]).dt.normalize()
    rows = rows.sort_values([customer_id, "_send_day", "_rank"], kind="stable")
    slot = rows[rows["_marketing"]].groupby([customer_id, "_send_day"]).cumcount() + 1
    over = slot[slot > cap].index
    dropped = rows.loc[over]
    exclusions = pd.DataFrame({_col("list"): dropped["_list"].map(list_label),
                               customer_id: dropped[customer_id], tier: dropped[tier],
                               _col("reason"): text("automation.reason.daily_cap", cap=cap)},
                              columns=_exclusion_columns())
    kept = {}
    for name, frame in lists.items():
        drop_ids = set(dropped.loc[dropped["_list"] == name, customer_id])
        kept[name] = frame[~frame[customer_id].isin(drop_ids)].reset_index(drop=True)
        kept[name].attrs = frame.attrs
    return kept, exclusions.reset_index(drop=True)


def exclusion_summary(exclusions: pd.DataFrame) -> pd.DataFrame:
    """名单, 原因, 人数 — how many customers each list left out, and why (the ``list_exclusions``
    sheet; headers in the run's language)."""
    list_col, reason, count = _col("list"), _col("reason"), _col("count")
    if not len(exclusions):
        return pd.DataFrame(columns=[list_col, reason, count])
    order = {list_label(name): i for i, name in enumerate(LIST_ORDER)}
    out = exclusions.groupby([list_col, reason]).size().rename(count).reset_index()
    return out.sort_values([list_col, count], key=lambda s: s.map(order) if s.name == list_col else -s
                           ).reset_index(drop=True)


def list_overview(lists: dict[str, pd.DataFrame], exclusions: pd.DataFrame) -> pd.DataFrame:
    """One line per list: 名单, 入选人数, 排除人数, 排除原因 ("已退订 2；对照组 1"), 说明.

    Headers in the run's language: ``texts("automation.overview")`` (list, selected, excluded,
    exclusion_reasons, note).
    """
    list_col, reason, count = _col("list"), _col("reason"), _col("count")
    columns = list(texts("automation.overview").values())
    summary = exclusion_summary(exclusions)
    separator, reason_count = text("automation.separator"), text("automation.exclusions.reason_count")
    rows = []
    for name, frame in lists.items():
        label = list_label(name)
        mine = summary[summary[list_col] == label]
        rows.append(dict(zip(columns, [
            label, len(frame), int(mine[count].sum()),
            separator.join(reason_count.format(reason=r, n=n) for r, n in zip(mine[reason], mine[count]))
            or text("automation.exclusions.none"),
            separator.join(frame.attrs.get("notes", [])) or ""])))
    return pd.DataFrame(rows, columns=columns)


def build_lists(customers: pd.DataFrame | None, segments: pd.DataFrame, orders: pd.DataFrame | None,
                interactions: pd.DataFrame | None, surveys: pd.DataFrame | None, as_of,
                params_automation: dict, cal: Calendar | None = None, *,
                roles: TierRoles) -> TargetLists:
    """All six target lists, after every exclusion rule.

    Returns a :class:`TargetLists`: a dict list key -> frame (columns :func:`list_columns`, in
    :data:`LIST_ORDER`) with ``.exclusions``, ``.summary`` (名单, 原因, 人数), ``.overview`` and
    ``.notes``. ``params_automation`` is the params group ``automation``; ``roles`` the tier
    roles (:func:`analysis.tiers.tier_roles`); ``cal`` the working calendar (default:
    :func:`analysis.steps.workdays.working_calendar`).

    Examples
    --------
    >>> from analysis.params import resolve_params
    >>> from analysis.tiers import tier_roles
    >>> params = resolve_params("2026-10")
    >>> seg = pd.DataFrame({"customer_id": ["A"], "tier": ["普通客户"], "churn_risk": [False],
    ...                     "value_band": ["中等价值"]})
    >>> o = pd.DataFrame({"customer_id": ["A"], "order_date": pd.to_datetime(["2026-11-20"]),
    ...                   "amount": [500.0], "is_purchase": [True]})
    >>> out = build_lists(None, seg, o, None, None, pd.Timestamp("2026-11-23"), params["automation"],
    ...                   roles=tier_roles(params))
    >>> out["post_purchase"][["客户ID", "内容键"]].values.tolist()
    [['A', 'survey:post_purchase']]
    """
    p, cal = params_automation, cal or working_calendar()
    base = customer_base(customers, segments, interactions)
    bought = _purchases(orders)  # the purchase rows, once for the three lists that read them
    built = {
        "sleeping": sleeping_list(base, bought, interactions, as_of, p, cal, roles=roles),
        "welcome": welcome_list(base, bought, as_of, p, cal, roles=roles),
        "birthday": birthday_list(base, as_of, p, cal, roles=roles),
        "high_value": high_value_list(base, orders, as_of, p, cal),
        "negative_feedback": negative_feedback_list(base, surveys, as_of, p, cal),
        "post_purchase": post_purchase_list(base, bought, as_of, p, cal),
    }
    built = {name: built[name] for name in LIST_ORDER}
    lists = {name: frame for name, (frame, _) in built.items()}
    lists, capped = _apply_daily_cap(lists, int(p["max_messages_per_day"]))
    exclusions = pd.concat([excl for _, excl in built.values()] + [capped], ignore_index=True)
    notes = [note for frame in lists.values() for note in frame.attrs.get("notes", [])]
    return TargetLists(lists, exclusions, list(dict.fromkeys(notes)))
