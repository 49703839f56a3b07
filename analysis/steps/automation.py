"""Step 05 — the automation target lists (SPEC §8): who gets which touch, when, by whom.

The kit produces lists and content keys; sending is done elsewhere. Six lists, each built by
one function returning ``(list, exclusions)``:

============  ==========================================================  ========  =========
list          who (params ``automation``)                                 kind      control
============  ==========================================================  ========  =========
高价值跟进     net spend in the last 12 months > high_value_annual_spend 元   marketing excluded
差评工单       latest survey ≤ negative_feedback_max_stars, in last 30 days  service   kept
生日关怀       birthday (month-day) birthday_days_before days after as_of   marketing excluded
新客欢迎       registered or first purchase in the welcome_within_hours     marketing kept
              up to the end of the as-of day
沉睡唤醒       tier 普通/流失预警 or churn_risk, > sleeping_days since last     marketing excluded
              purchase, nothing opened/clicked in sleeping_no_open_days
购后调研       a purchase exactly survey_days_after_purchase days before    marketing kept
============  ==========================================================  ========  =========

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

Not an exclusion: a 高价值 (value band) or 战略/核心 customer on 新客欢迎 gets ``welcome:vip``
without the new-customer coupon (SPEC §8), noted in 备注.

Every list row has the columns :data:`LIST_COLUMNS`. 触达渠道 is the customer's best historical
channel (:func:`best_channel`). 发送时间 is the first moment inside the send window on a working
day at or after the as-of date (:func:`analysis.steps.workdays.next_send_time`); 截止时间 is the end
of that day's window for automated messages, the same time one working day later for
高价值跟进 ("within 24 h"), and 2 working hours later for 差评工单.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.steps.workdays import (Calendar, add_working_days, add_working_hours, next_send_time,
                               parse_window, working_calendar)

__all__ = [
    "LIST_COLUMNS", "LIST_PRIORITY", "LIST_SPECS", "LIST_ORDER", "DEFAULTS", "TargetLists",
    "touch_channel", "best_channel",
    "customer_base", "high_value_list", "negative_feedback_list", "birthday_list", "welcome_list",
    "sleeping_list", "post_purchase_list", "build_lists", "exclusion_summary", "list_overview",
]

LIST_COLUMNS = ["客户ID", "客户层级", "触达渠道", "发送时间", "内容键", "截止时间", "负责人", "备注"]
EXCLUSION_COLUMNS = ["名单", "客户ID", "客户层级", "原因"]

# Configuration as data: kind of touch, who owns it, whether the control group is left out.
LIST_SPECS: dict[str, dict] = {
    "高价值跟进": {"marketing": True, "proactive": True, "owner": "客户经理", "deadline": "next_working_day"},
    "差评工单": {"marketing": False, "proactive": False, "owner": "客服专员", "deadline": "2h"},
    "生日关怀": {"marketing": True, "proactive": True, "owner": "运营专员", "deadline": "window_end"},
    "新客欢迎": {"marketing": True, "proactive": False, "owner": "运营专员", "deadline": "window_end"},
    "沉睡唤醒": {"marketing": True, "proactive": True, "owner": "运营专员", "deadline": "window_end"},
    "购后调研": {"marketing": True, "proactive": False, "owner": "运营专员", "deadline": "window_end"},
}
# Which touch keeps its place when a customer would get more than the daily allowance.
LIST_PRIORITY = ("高价值跟进", "差评工单", "生日关怀", "新客欢迎", "沉睡唤醒", "购后调研")
# Sheet order of 营销活动执行表 (as analysis.outputs.workbooks.AUTOMATION_LISTS).
LIST_ORDER = ("沉睡唤醒", "新客欢迎", "生日关怀", "高价值跟进", "差评工单", "购后调研")

DEFAULTS = {
    "max_messages_per_day": 2, "send_window": "09:00-18:00", "sleeping_days": 90,
    "sleeping_no_open_days": 30, "welcome_within_hours": 24, "birthday_days_before": 3,
    "high_value_annual_spend": 100000, "negative_feedback_max_stars": 3,
    "survey_days_after_purchase": 3, "birthday_lookahead_days": 0,
}
HIGH_VALUE_TIERS = ("战略客户", "核心客户")
SLEEPING_TIERS = ("普通客户", "流失预警客户")
FALLBACK_CHANNEL = "短信"
TICKET_HOURS = 2
NEGATIVE_FEEDBACK_DAYS = 30
HIGH_VALUE_MONTHS = 12


class TargetLists(dict):
    """The lists by name (:data:`LIST_ORDER`), plus ``exclusions`` (one row per customer left
    out: 名单, 客户ID, 客户层级, 原因), ``summary`` (名单, 原因, 人数), ``overview`` (one line per
    list) and ``notes`` (conditions skipped for lack of data)."""

    def __init__(self, lists: dict, exclusions: pd.DataFrame, notes: list[str]):
        super().__init__(lists)
        self.exclusions = exclusions
        self.summary = exclusion_summary(exclusions)
        self.overview = list_overview(lists, exclusions)
        self.notes = notes


# ---------------------------------------------------------------- shared pieces

def _params(params: dict | None) -> dict:
    return {**DEFAULTS, **(params or {})}


def _day(as_of) -> pd.Timestamp:
    return pd.Timestamp(as_of).normalize()


def _purchases(orders: pd.DataFrame | None) -> pd.DataFrame:
    """Purchase rows with a day-level date (cancellations and returns left out)."""
    if orders is None or not len(orders):
        return pd.DataFrame(columns=["customer_id", "order_date", "amount", "category"])
    bought = orders["is_purchase"] if "is_purchase" in orders else orders["amount"] > 0
    out = orders.loc[bought.fillna(False).astype(bool)].copy()
    out["order_date"] = pd.to_datetime(out["order_date"]).dt.normalize()
    return out


# A stated preference names a channel the kit can list only if it is a way to reach someone;
# exports often put the purchase channel (线上/线下) there, which is not.
_TOUCH_CHANNELS = [("企微|企业微信|wecom", "企微"), ("微信|wechat", "微信"), ("短信|sms", "短信"),
                   ("邮件|邮箱|e-?mail|mail", "邮件"), ("电话|手机|phone|call", "电话")]


def touch_channel(values: pd.Series) -> pd.Series:
    """Channel names -> 企微 / 微信 / 短信 / 邮件 / 电话, anything else NA.

    >>> touch_channel(pd.Series(["企业微信", "SMS", "线下", None])).tolist()
    ['企微', '短信', <NA>, <NA>]
    """
    text = values.astype("string").fillna("")
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    for pattern, name in _TOUCH_CHANNELS:
        out = out.mask(out.isna() & text.str.contains(pattern, case=False, regex=True), name)
    return out


def best_channel(customers: pd.DataFrame | None, interactions: pd.DataFrame | None) -> pd.Series:
    """Each customer's best historical channel, by customer_id.

    The message channel with the most opens + clicks in ``interactions`` (ties: the most
    recent engagement, then the channel name); else the customer's ``preferred_channel`` when
    it names a touch channel (:func:`touch_channel`; 线上/线下 do not); else 短信. Customers
    in neither table are not in the result (use ``.fillna("短信")``).

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
    out = out.fillna(preferred.reindex(ids)).fillna(FALLBACK_CHANNEL)
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
    base["channel"] = best_channel(customers, interactions).reindex(ids).fillna(FALLBACK_CHANNEL)
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
    send = pd.Series([cache[pd.Timestamp(s)][0] for s in starts], index=starts.index, dtype="datetime64[ns]")
    due = pd.Series([cache[pd.Timestamp(s)][1] for s in starts], index=starts.index, dtype="datetime64[ns]")
    return send, due


def _finish(name: str, hits: pd.DataFrame, base: pd.DataFrame, as_of, p: dict, cal: Calendar,
            notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the opt-out/consent and control-group rules; format the kept rows.

    ``hits``: customer_id, content_key, note for everyone the list's
    trigger selects.
    """
    spec = LIST_SPECS[name]
    notes = list(notes)
    frame = hits.merge(base, on="customer_id", how="left", suffixes=("", "_base"))
    reason = pd.Series(pd.NA, index=frame.index, dtype="string")
    if spec["marketing"]:
        if "unsubscribed" in frame:
            reason = reason.mask(reason.isna() & frame["unsubscribed"].fillna(False).astype(bool), "已退订")
        else:
            notes.append(f"{name}：客户表无退订字段，未核对退订")
        if "marketing_consent" in frame:
            # A blank is not a consent.
            consent = frame["marketing_consent"].fillna(False).astype(bool)
            reason = reason.mask(reason.isna() & ~consent, "无营销授权")
        else:
            notes.append(f"{name}：客户表无营销授权字段，未核对授权，发送前请确认")
    if spec["proactive"]:
        reason = reason.mask(reason.isna() & frame["control"].fillna(False).astype(bool), "对照组")
    excluded = frame[reason.notna()]
    exclusions = pd.DataFrame({"名单": name, "客户ID": excluded["customer_id"],
                               "客户层级": excluded["tier"], "原因": reason[reason.notna()]},
                              columns=EXCLUSION_COLUMNS).reset_index(drop=True)
    kept = frame[reason.isna()].sort_values("customer_id").reset_index(drop=True)
    # A list may schedule rows for later days (birthdays of the coming weeks): ``send_on``.
    starts = (kept["send_on"] if "send_on" in kept
              else pd.Series(pd.Timestamp(as_of), index=kept.index, dtype="datetime64[ns]"))
    send, due = _send_and_deadline(starts, name, p, cal)
    owner = pd.Series(spec["owner"], index=kept.index, dtype="object")
    if spec["owner"] == "客户经理" and "owner" in kept:
        owner = kept["owner"].astype("object").where(kept["owner"].notna(), owner)
    out = pd.DataFrame({
        "客户ID": kept["customer_id"], "客户层级": kept["tier"].astype("object").fillna("未分层"),
        "触达渠道": kept["channel"].fillna(FALLBACK_CHANNEL), "发送时间": send,
        "内容键": kept["content_key"],
        "截止时间": due, "负责人": owner, "备注": kept["note"],
    }, columns=LIST_COLUMNS)
    out.attrs["notes"] = notes
    return out, exclusions


def _hits(ids, content_key, note) -> pd.DataFrame:
    ids = pd.Series(ids, dtype="object").reset_index(drop=True)
    frame = pd.DataFrame({"customer_id": ids})
    frame["content_key"] = pd.Series(content_key).reset_index(drop=True) if np.ndim(content_key) else content_key
    frame["note"] = pd.Series(note).reset_index(drop=True) if np.ndim(note) else note
    return frame


def _money(value: float) -> str:
    return f"{value / 10000:.1f}万元" if abs(value) >= 10000 else f"{value:,.0f}元"


# ---------------------------------------------------------------- the six lists

def high_value_list(base: pd.DataFrame, orders: pd.DataFrame, as_of, params: dict | None = None,
                    cal: Calendar | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """高价值跟进: net spend over the 12 months up to the as-of day > high_value_annual_spend 元.

    A manual follow-up by the customer's 客户经理 (the role when none is recorded), due the
    same time on the next working day.
    """
    p, cal = _params(params), cal or working_calendar()
    day = _day(as_of)
    if orders is None or not len(orders):
        return _finish("高价值跟进", _hits([], [], []), base, as_of, p, cal, ["高价值跟进：无订单数据"])
    dates = pd.to_datetime(orders["order_date"]).dt.normalize()
    in_year = (dates > day - pd.DateOffset(months=HIGH_VALUE_MONTHS)) & (dates <= day)
    amount = orders["net_amount"] if "net_amount" in orders else orders["amount"]
    spend = amount[in_year].groupby(orders.loc[in_year, "customer_id"]).sum()
    spend = spend[spend > p["high_value_annual_spend"]].sort_index()
    notes = [f"近12个月净消费{_money(v)}" for v in spend]
    return _finish("高价值跟进", _hits(spend.index, "followup:manual", notes), base, as_of, p, cal, [])


def negative_feedback_list(base: pd.DataFrame, surveys: pd.DataFrame | None, as_of,
                           params: dict | None = None, cal: Calendar | None = None):
    """差评工单: the customer's latest survey, within the last 30 days, is ≤ the star limit.

    A service ticket (not marketing: no consent, opt-out or control-group rule), to be
    answered within 2 working hours.
    """
    p, cal = _params(params), cal or working_calendar()
    if surveys is None or not len(surveys) or "stars" not in surveys:
        return _finish("差评工单", _hits([], [], []), base, as_of, p, cal, ["差评工单：无满意度调研数据，名单为空"])
    day = _day(as_of)
    s = surveys.assign(_day=pd.to_datetime(surveys["date"]).dt.normalize())
    s = s[s["_day"] <= day].sort_values(["customer_id", "_day"], kind="stable")
    latest = s.drop_duplicates("customer_id", keep="last")
    hit = latest[(latest["_day"] > day - pd.Timedelta(days=NEGATIVE_FEEDBACK_DAYS))
                 & (latest["stars"] <= p["negative_feedback_max_stars"])]
    comment = hit["comment"].fillna("").astype(str).str.slice(0, 40) if "comment" in hit else ""
    notes = ("评分" + hit["stars"].map(lambda x: f"{x:g}") + "星（" + hit["_day"].dt.strftime("%Y-%m-%d")
             + "）" + (("：" + comment).where(comment != "", "") if isinstance(comment, pd.Series) else ""))
    return _finish("差评工单", _hits(hit["customer_id"], "ticket:negative_feedback", notes.tolist()),
                   base, as_of, p, cal, [])


def _birthday_matches(birthdays: pd.Series, target: pd.Timestamp) -> pd.Series:
    """Whether each birthday's month-day is ``target``'s; 2-29 birthdays fall on 2-28 in common years."""
    b = pd.to_datetime(birthdays)
    month, dom = b.dt.month, b.dt.day
    leap = target.is_leap_year
    on_28 = (month == 2) & (dom == 29) & (not leap)
    dom = dom.where(~on_28, 28)
    return ((month == target.month) & (dom == target.day)).fillna(False).astype(bool)


def birthday_list(base: pd.DataFrame, as_of, params: dict | None = None, cal: Calendar | None = None):
    """生日关怀: a greeting birthday_days_before days before each birthday.

    With ``birthday_lookahead_days`` = 0 only the birthday that many days after the as-of day;
    with N > 0 every birthday in the N days from there (a monthly run lists the coming month),
    each scheduled on its own send day. A 2-29 birthday is celebrated on 2-28 in common years.
    战略/核心 customers get ``birthday:gift``, the others ``birthday:greeting``.
    """
    p, cal = _params(params), cal or working_calendar()
    if "birthday" not in base:
        return _finish("生日关怀", _hits([], [], []), base, as_of, p, cal, ["生日关怀：客户表无生日字段，名单为空"])
    before = int(p["birthday_days_before"])
    parts = []
    for offset in range(max(1, int(p["birthday_lookahead_days"]))):
        target = _day(as_of) + pd.Timedelta(days=before + offset)
        hit = base[_birthday_matches(base["birthday"], target)]
        if not len(hit):
            continue
        born = pd.to_datetime(hit["birthday"])
        key = np.where(hit["tier"].isin(HIGH_VALUE_TIERS).fillna(False), "birthday:gift", "birthday:greeting")
        notes = [f"生日{target:%m-%d}，提前{before}天发送祝福"
                 + ("；2月29日生日，平年按2月28日" if b.month == 2 and b.day == 29 and not target.is_leap_year else "")
                 for b in born]
        hits = _hits(hit["customer_id"], key, notes)
        hits["send_on"] = target - pd.Timedelta(days=before)
        parts.append(hits)
    hits = pd.concat(parts, ignore_index=True) if parts else _hits([], [], [])
    return _finish("生日关怀", hits, base, as_of, p, cal, [])


def welcome_list(base: pd.DataFrame, orders: pd.DataFrame | None, as_of, params: dict | None = None,
                 cal: Calendar | None = None):
    """新客欢迎: registered, or first purchase, within welcome_within_hours up to the end of the as-of day.

    With day-level dates and 24 h that is the as-of day itself, so daily runs welcome each
    customer once. High-value customers (value band 高价值, or tier 战略/核心) get
    ``welcome:vip`` and never the new-customer coupon; the others ``welcome:coupon``.
    """
    p, cal = _params(params), cal or working_calendar()
    end = _day(as_of) + pd.Timedelta(days=1)
    start = end - pd.Timedelta(hours=float(p["welcome_within_hours"]))
    events = []
    if "register_date" in base:
        reg = pd.to_datetime(base["register_date"])
        mask = (reg >= start) & (reg < end)
        events.append(pd.DataFrame({"customer_id": base.loc[mask, "customer_id"],
                                    "what": "注册于" + reg[mask].dt.strftime("%Y-%m-%d")}))
    bought = _purchases(orders)
    if len(bought):
        first = bought.groupby("customer_id")["order_date"].min()
        first = first[(first >= start) & (first < end)]
        events.append(pd.DataFrame({"customer_id": first.index,
                                    "what": "首单于" + first.dt.strftime("%Y-%m-%d").to_numpy()}))
    notes = [] if "register_date" in base else ["新客欢迎：客户表无注册日期，仅按首单判断"]
    if not events:
        return _finish("新客欢迎", _hits([], [], []), base, as_of, p, cal, notes)
    hits = (pd.concat(events).groupby("customer_id", sort=True)["what"].agg("；".join).reset_index())
    info = hits.merge(base[["customer_id", "tier", "value_band"]], on="customer_id", how="left")
    vip = (info["value_band"].eq("高价值").fillna(False) | info["tier"].isin(HIGH_VALUE_TIERS).fillna(False))
    key = np.where(vip, "welcome:vip", "welcome:coupon")
    note = info["what"].where(~vip, info["what"] + "；高价值客户：不发新客券")
    return _finish("新客欢迎", _hits(info["customer_id"], key, note.tolist()), base, as_of, p, cal, notes)


def sleeping_list(base: pd.DataFrame, orders: pd.DataFrame | None, interactions: pd.DataFrame | None,
                  as_of, params: dict | None = None, cal: Calendar | None = None):
    """沉睡唤醒: tier 普通/流失预警 or churn_risk, more than sleeping_days since the last purchase,
    and nothing opened or clicked in the last sleeping_no_open_days.

    Without interaction data the "nothing opened" condition is skipped (and noted). The content
    key is ``wakeup:<category of the last purchase>``, or ``wakeup:generic``.
    """
    p, cal = _params(params), cal or working_calendar()
    day = _day(as_of)
    notes = []
    bought = _purchases(orders)
    bought = bought[bought["order_date"] <= day]
    if not len(bought):
        return _finish("沉睡唤醒", _hits([], [], []), base, as_of, p, cal, ["沉睡唤醒：无购买记录"])
    amount_col = "amount" if "amount" in bought else "order_date"
    last = (bought.sort_values(["customer_id", "order_date", amount_col], kind="stable")
            .drop_duplicates("customer_id", keep="last").set_index("customer_id"))
    idle = (day - last["order_date"]).dt.days
    tiered = base.set_index("customer_id")
    eligible = (tiered["tier"].isin(SLEEPING_TIERS).fillna(False) | tiered["churn_risk"]).reindex(last.index)
    mask = eligible.fillna(False).astype(bool) & (idle > p["sleeping_days"])
    if interactions is None or "event" not in getattr(interactions, "columns", []):
        notes.append("沉睡唤醒：无互动数据，未检查“近期未打开”条件")
    else:
        when = pd.to_datetime(interactions["date"]).dt.normalize()
        recent = interactions[interactions["event"].isin(["opened", "clicked"])
                              & (when > day - pd.Timedelta(days=int(p["sleeping_no_open_days"])))
                              & (when <= day)]
        mask &= ~last.index.isin(recent["customer_id"].unique())
    hit = last[mask]
    category = hit["category"] if "category" in hit else pd.Series(pd.NA, index=hit.index)
    key = ("wakeup:" + category.astype("string")).fillna("wakeup:generic")
    note = ("最近购买" + idle[mask].astype(int).astype(str) + "天前"
            + ("；" + category.astype("string")).fillna(""))
    if "event" in getattr(interactions, "columns", []):
        note = note + f"；近{p['sleeping_no_open_days']}天未打开"
    return _finish("沉睡唤醒", _hits(hit.index, key.tolist(), note.tolist()), base, as_of, p, cal, notes)


def post_purchase_list(base: pd.DataFrame, orders: pd.DataFrame | None, as_of, params: dict | None = None,
                       cal: Calendar | None = None):
    """购后调研: a purchase exactly survey_days_after_purchase calendar days before the as-of day."""
    p, cal = _params(params), cal or working_calendar()
    bought = _purchases(orders)
    target = _day(as_of) - pd.Timedelta(days=int(p["survey_days_after_purchase"]))
    hit = bought[bought["order_date"] == target]
    ids = pd.Index(hit["customer_id"].unique()).sort_values()
    note = f"购买于{target:%Y-%m-%d}（{p['survey_days_after_purchase']}天前）"
    return _finish("购后调研", _hits(ids, "survey:post_purchase", note), base, as_of, p, cal,
                   [] if len(bought) else ["购后调研：无购买记录"])


# ---------------------------------------------------------------- all lists

def _apply_daily_cap(lists: dict[str, pd.DataFrame], cap: int) -> tuple[dict, pd.DataFrame]:
    """Keep at most ``cap`` marketing touches per customer per send day, by :data:`LIST_PRIORITY`."""
    rank = {name: i for i, name in enumerate(LIST_PRIORITY)}
    rows = pd.concat([frame.assign(_list=name) for name, frame in lists.items() if len(frame)]
                     or [pd.DataFrame(columns=LIST_COLUMNS + ["_list"])], ignore_index=True)
    rows["_marketing"] = rows["_list"].map(lambda n: LIST_SPECS[n]["marketing"]).astype(bool)
    rows["_rank"] = rows["_list"].map(rank)
    rows["_send_day"] = pd.to_datetime(rows["发送时间"]).dt.normalize()
    rows = rows.sort_values(["客户ID", "_send_day", "_rank"], kind="stable")
    slot = rows[rows["_marketing"]].groupby(["客户ID", "_send_day"]).cumcount() + 1
    over = slot[slot > cap].index
    dropped = rows.loc[over]
    exclusions = pd.DataFrame({"名单": dropped["_list"], "客户ID": dropped["客户ID"],
                               "客户层级": dropped["客户层级"], "原因": f"超出每日{cap}条上限"},
                              columns=EXCLUSION_COLUMNS)
    kept = {}
    for name, frame in lists.items():
        drop_ids = set(dropped.loc[dropped["_list"] == name, "客户ID"])
        kept[name] = frame[~frame["客户ID"].isin(drop_ids)].reset_index(drop=True)
        kept[name].attrs = frame.attrs
    return kept, exclusions.reset_index(drop=True)


def exclusion_summary(exclusions: pd.DataFrame) -> pd.DataFrame:
    """名单, 原因, 人数 — how many customers each list left out, and why (the 名单排除 sheet)."""
    if not len(exclusions):
        return pd.DataFrame(columns=["名单", "原因", "人数"])
    order = {name: i for i, name in enumerate(LIST_ORDER)}
    out = exclusions.groupby(["名单", "原因"]).size().rename("人数").reset_index()
    return out.sort_values(["名单", "人数"], key=lambda s: s.map(order) if s.name == "名单" else -s
                           ).reset_index(drop=True)


def list_overview(lists: dict[str, pd.DataFrame], exclusions: pd.DataFrame) -> pd.DataFrame:
    """One line per list: 名单, 入选人数, 排除人数, 排除原因 ("已退订 2；对照组 1"), 说明."""
    summary = exclusion_summary(exclusions)
    rows = []
    for name, frame in lists.items():
        mine = summary[summary["名单"] == name]
        rows.append({"名单": name, "入选人数": len(frame), "排除人数": int(mine["人数"].sum()),
                     "排除原因": "；".join(f"{r} {n}" for r, n in zip(mine["原因"], mine["人数"])) or "无",
                     "说明": "；".join(frame.attrs.get("notes", [])) or ""})
    return pd.DataFrame(rows, columns=["名单", "入选人数", "排除人数", "排除原因", "说明"])


def build_lists(customers: pd.DataFrame | None, segments: pd.DataFrame, orders: pd.DataFrame | None,
                interactions: pd.DataFrame | None, surveys: pd.DataFrame | None, as_of,
                params_automation: dict | None = None, cal: Calendar | None = None) -> TargetLists:
    """All six target lists, after every exclusion rule.

    Returns a :class:`TargetLists`: a dict list name -> frame (columns :data:`LIST_COLUMNS`, in
    :data:`LIST_ORDER`) with ``.exclusions``, ``.summary`` (名单, 原因, 人数), ``.overview`` and
    ``.notes``. ``params_automation`` is the params group ``automation``; ``cal`` the working
    calendar (default: :func:`analysis.steps.workdays.working_calendar`).

    Examples
    --------
    >>> seg = pd.DataFrame({"customer_id": ["A"], "tier": ["普通客户"], "churn_risk": [False],
    ...                     "value_band": ["中等价值"]})
    >>> o = pd.DataFrame({"customer_id": ["A"], "order_date": pd.to_datetime(["2026-11-20"]),
    ...                   "amount": [500.0], "is_purchase": [True]})
    >>> out = build_lists(None, seg, o, None, None, pd.Timestamp("2026-11-23"))
    >>> out["购后调研"][["客户ID", "内容键"]].values.tolist()
    [['A', 'survey:post_purchase']]
    """
    p, cal = _params(params_automation), cal or working_calendar()
    base = customer_base(customers, segments, interactions)
    built = {
        "沉睡唤醒": sleeping_list(base, orders, interactions, as_of, p, cal),
        "新客欢迎": welcome_list(base, orders, as_of, p, cal),
        "生日关怀": birthday_list(base, as_of, p, cal),
        "高价值跟进": high_value_list(base, orders, as_of, p, cal),
        "差评工单": negative_feedback_list(base, surveys, as_of, p, cal),
        "购后调研": post_purchase_list(base, orders, as_of, p, cal),
    }
    lists = {name: frame for name, (frame, _) in built.items()}
    lists, capped = _apply_daily_cap(lists, int(p["max_messages_per_day"]))
    exclusions = pd.concat([excl for _, excl in built.values()] + [capped], ignore_index=True)
    notes = [note for frame in lists.values() for note in frame.attrs.get("notes", [])]
    return TargetLists(lists, exclusions, list(dict.fromkeys(notes)))
