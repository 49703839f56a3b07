"""Automation target lists (analysis/steps/automation.py).

The as-of day is Monday 2026-11-23, a working day, so every list sends at 2026-11-23 09:00
unless a test says otherwise.
"""

import pandas as pd

from analysis.params import resolve_params
from analysis.steps.automation import (LIST_ORDER, best_channel, birthday_list, build_lists, channel_kinds,
                                       customer_base, list_columns, list_label, money_text, sleeping_list,
                                       touch_channel)
from analysis.steps.workdays import working_calendar
from analysis.tiers import TierRoles, tier_roles
from analysis.vocab import language

AS_OF = pd.Timestamp("2026-11-23")
SEND = pd.Timestamp("2026-11-23 09:00")
CAL = working_calendar()
PARAMS = resolve_params("2026-10")["automation"]
ROLES = tier_roles(resolve_params("2026-10"))
T = pd.to_datetime


def _customers(ids, **columns):
    frame = pd.DataFrame({"customer_id": ids, "marketing_consent": True, "unsubscribed": False})
    for name, values in columns.items():
        frame[name] = values
    return frame


def _segments(ids, tiers=None, **columns):
    frame = pd.DataFrame({"customer_id": ids, "tier": tiers or ["普通客户"] * len(ids),
                          "churn_risk": False, "value_band": "中等价值"})
    for name, values in columns.items():
        frame[name] = values
    return frame


def _orders(rows):
    """rows: (customer_id, date, amount[, category])."""
    frame = pd.DataFrame([r + (None,) * (4 - len(r)) for r in rows],
                         columns=["customer_id", "order_date", "amount", "category"])
    frame["order_date"] = T(frame["order_date"])
    frame["net_amount"] = frame["amount"]
    frame["is_purchase"] = frame["amount"] > 0
    frame["order_id"] = [f"O{i}" for i in range(len(frame))]
    return frame


def _build(customers, segments, orders=None, interactions=None, surveys=None, as_of=AS_OF, **params):
    return build_lists(customers, segments, orders, interactions, surveys, as_of, {**PARAMS, **params}, CAL,
                       roles=ROLES)


def _reasons(out, name):
    ex = out.exclusions[out.exclusions["名单"] == list_label(name)]
    return dict(zip(ex["客户ID"], ex["原因"]))


def test_opt_out_and_consent_apply_to_marketing_not_to_tickets():
    ids = ["A", "U", "N", "B"]
    # A may be messaged; U unsubscribed; N refused consent; B consent blank (not a consent)
    customers = _customers(ids, marketing_consent=[True, True, False, None],
                           unsubscribed=[False, True, False, False])
    orders = _orders([(c, "2026-11-20", 500.0) for c in ids])            # 3 days before: 购后调研
    surveys = pd.DataFrame({"customer_id": ["U", "N"], "date": T(["2026-11-22", "2026-11-21"]),
                            "stars": [2.0, 1.0], "comment": ["发货太慢", None]})
    out = _build(customers, _segments(ids), orders, None, surveys)
    assert out["post_purchase"]["客户ID"].tolist() == ["A"]
    assert _reasons(out, "post_purchase") == {"U": "已退订", "N": "无营销授权", "B": "无营销授权"}
    # 差评工单 is service: the unsubscribed and the non-consenting customer still get a ticket
    ticket = out["negative_feedback"]
    assert ticket["客户ID"].tolist() == ["N", "U"]
    assert ticket["截止时间"].tolist() == [pd.Timestamp("2026-11-23 11:00")] * 2    # 2 working hours
    assert ticket["负责人"].unique().tolist() == ["客服专员"]
    assert ticket.loc[ticket["客户ID"] == "U", "备注"].item() == "评分2星（2026-11-22）：发货太慢"
    summary = out.summary.set_index(["名单", "原因"])["人数"]
    assert summary[("购后调研", "无营销授权")] == 2 and summary[("购后调研", "已退订")] == 1


def test_control_group_left_out_of_proactive_lists_only():
    ids = ["C", "D"]
    customers = _customers(ids, register_date=T(["2026-11-23", "2026-11-23"]))
    segments = _segments(ids, ["战略客户", "战略客户"], control=[True, False])
    orders = _orders([("C", "2026-06-01", 200000.0), ("D", "2026-06-01", 200000.0)])
    out = _build(customers, segments, orders)
    # 高价值跟进 is proactive: C (control) out; 新客欢迎 is triggered by the customer: both kept
    assert out["high_value"]["客户ID"].tolist() == ["D"]
    assert _reasons(out, "high_value") == {"C": "对照组"}
    assert out["welcome"]["客户ID"].tolist() == ["C", "D"]
    # no control column at all: nobody is in the control group
    out = _build(customers, _segments(ids, ["战略客户", "战略客户"]), orders)
    assert out["high_value"]["客户ID"].tolist() == ["C", "D"]


def test_frequency_cap_keeps_the_priority_order():
    # X: high value (高价值跟进), birthday in 3 days (生日关怀), bought 3 days ago (购后调研),
    # and a bad survey (差评工单, service). Y: only 购后调研.
    customers = _customers(["X", "Y"], birthday=T(["1985-11-26", "1990-01-01"]), owner=["张经理", None])
    orders = _orders([("X", "2026-11-20", 150000.0), ("Y", "2026-11-20", 300.0)])
    surveys = pd.DataFrame({"customer_id": ["X"], "date": T(["2026-11-22"]), "stars": [3.0]})
    out = _build(customers, _segments(["X", "Y"]), orders, None, surveys)
    # marketing for X: 高价值跟进 > 生日关怀 > 购后调研 -> the third goes; the ticket does not count
    assert out["high_value"]["客户ID"].tolist() == ["X"]
    assert out["birthday"]["客户ID"].tolist() == ["X"]
    assert out["post_purchase"]["客户ID"].tolist() == ["Y"]
    assert out["negative_feedback"]["客户ID"].tolist() == ["X"]
    assert _reasons(out, "post_purchase") == {"X": "超出每日2条上限"}
    # with an allowance of 1 only the high-value follow-up stays
    out = _build(customers, _segments(["X", "Y"]), orders, None, surveys, max_messages_per_day=1)
    assert out["birthday"].empty
    assert _reasons(out, "birthday") == {"X": "超出每日1条上限"}
    assert out["negative_feedback"]["客户ID"].tolist() == ["X"]


def test_new_customer_coupon_never_for_high_value():
    ids = ["V", "W", "Y", "OLD"]
    customers = _customers(ids, register_date=T(["2026-11-23", "2026-11-23", "2026-11-10", "2025-01-01"]))
    segments = _segments(ids, ["普通客户", "核心客户", "普通客户", "普通客户"],
                         value_band=["高价值", "中等价值", "中等价值", "中等价值"])
    # Y registered earlier but made a first purchase on the as-of day; OLD bought long ago
    orders = _orders([("Y", "2026-11-23", 800.0), ("OLD", "2026-01-05", 800.0), ("OLD", "2026-11-23", 50.0)])
    out = _build(customers, segments, orders)
    welcome = out["welcome"].set_index("客户ID")
    assert welcome["内容键"].to_dict() == {"V": "welcome:vip", "W": "welcome:vip", "Y": "welcome:coupon"}
    assert "不发新客券" in welcome.loc["V", "备注"] and "首单于2026-11-23" in welcome.loc["Y", "备注"]
    assert (welcome["截止时间"] == pd.Timestamp("2026-11-23 18:00")).all()


def test_birthday_window_including_29_february():
    ids = ["on", "early", "late", "leap", "feb28"]
    customers = _customers(ids, birthday=T(["1990-11-26", "1990-11-25", "1990-11-27",
                                            "2000-02-29", "1990-02-28"]))
    base = customer_base(customers, _segments(ids))
    same_day = {**PARAMS, "birthday_lookahead_days": 0}   # the as-of day's birthdays only
    # 2026-11-23 + 3 days = 11-26
    assert birthday_list(base, AS_OF, same_day, CAL, roles=ROLES)[0]["客户ID"].tolist() == ["on"]
    # 2027 is a common year: 2027-02-25 + 3 = 02-28 takes the 2-29 birthday as well
    got = birthday_list(base, pd.Timestamp("2027-02-25"), same_day, CAL, roles=ROLES)[0]
    assert sorted(got["客户ID"]) == ["feb28", "leap"]
    assert "平年按2月28日" in got.set_index("客户ID").loc["leap", "备注"]
    # 2028 is a leap year: 02-26 + 3 = 02-29 is the 2-29 birthday only; 02-25 + 3 = 02-28 the other
    assert birthday_list(base, pd.Timestamp("2028-02-26"), same_day, CAL, roles=ROLES)[0]["客户ID"].tolist() == ["leap"]
    assert birthday_list(base, pd.Timestamp("2028-02-25"), same_day, CAL, roles=ROLES)[0]["客户ID"].tolist() == ["feb28"]


def test_best_channel():
    customers = pd.DataFrame({"customer_id": ["A", "B", "C", "D"],
                              "preferred_channel": ["短信", "邮件", "线下", None]})
    interactions = pd.DataFrame({
        "customer_id": ["A", "A", "A", "B", "D", "D"],
        "channel": ["企微", "企微", "短信", "企微", "短信", "邮件"],
        "event": ["opened", "clicked", "clicked", "sent", "opened", "opened"],
        "date": T(["2026-10-01", "2026-10-02", "2026-11-01", "2026-11-01", "2026-11-01", "2026-11-10"]),
    })
    # A: 企微 2 engagements vs 短信 1; B: only a send, no engagement -> preferred 邮件;
    # C: 线下 is a purchase channel, not a way to reach anyone -> 短信; D: a 1-1 tie, 邮件 more recent
    assert best_channel(customers, interactions).to_dict() == {"A": "企微", "B": "邮件", "C": "短信", "D": "邮件"}
    assert best_channel(customers, None).to_dict() == {"A": "短信", "B": "邮件", "C": "短信", "D": "短信"}


def test_sleeping_customers():
    ids = ["S1", "S2", "S3", "S4", "S5", "S6", "S7"]
    segments = _segments(ids, ["普通客户", "普通客户", "核心客户", "核心客户", "普通客户", "流失预警客户", "普通客户"],
                         churn_risk=[False, False, False, True, False, True, False])
    orders = _orders([("S1", "2026-08-01", 100.0, "设备"), ("S2", "2026-08-01", 100.0, "配件"),
                      ("S3", "2026-08-01", 100.0, "设备"), ("S4", "2026-05-01", 100.0, "耗材"),
                      ("S5", "2026-09-01", 100.0, "设备"), ("S6", "2026-03-01", 100.0),
                      ("S7", "2026-08-25", 100.0, "设备")])
    # S2 opened a message 13 days ago
    interactions = pd.DataFrame({"customer_id": ["S2", "S1"], "channel": ["短信", "短信"],
                                 "event": ["opened", "sent"], "date": T(["2026-11-10", "2026-11-10"])})
    base = customer_base(_customers(ids), segments, interactions)
    got, _ = sleeping_list(base, orders, interactions, AS_OF, PARAMS, CAL, roles=ROLES)
    # S1 114 days idle; S3 核心 without churn flag; S4 flagged; S5 83 days; S6 no category;
    # S7 exactly 90 days (not more than 90)
    assert got.set_index("客户ID")["内容键"].to_dict() == {"S1": "wakeup:设备", "S4": "wakeup:耗材",
                                                        "S6": "wakeup:generic"}
    assert got.loc[got["客户ID"] == "S1", "备注"].item() == "最近购买114天前；设备；近30天未打开"
    # without interaction data the "nothing opened" condition is skipped, and said so
    got, _ = sleeping_list(customer_base(_customers(ids), segments), orders, None, AS_OF, PARAMS, CAL, roles=ROLES)
    assert sorted(got["客户ID"]) == ["S1", "S2", "S4", "S6"]
    assert any("未检查" in note for note in got.attrs["notes"])


def test_sleeping_list_takes_each_customers_last_purchase():
    # The last purchase decides the content: on a day with two, the larger amount; on an exact
    # tie of day and amount, the row that comes later. Rows in any order; a return (negative
    # amount, not a purchase) and an order after the as-of day do not count.
    ids = ["B", "A", "C", "D"]
    orders = _orders([("A", "2026-07-01", 80.0, "耗材"), ("B", "2026-07-02", 50.0, "配件"),
                      ("A", "2026-07-01", 50.0, "配件"), ("B", "2026-07-02", 50.0, "设备"),
                      ("C", "2026-06-01", 10.0, "设备"), ("C", "2026-08-01", -30.0, "耗材"),
                      ("A", "2026-05-01", 90.0, "家居"), ("D", "2026-06-01", 10.0, "配件"),
                      ("D", "2026-12-01", 10.0, "设备")])
    base = customer_base(_customers(ids), _segments(ids, churn_risk=[True] * 4))
    got, _ = sleeping_list(base, orders, None, AS_OF, PARAMS, CAL, roles=ROLES)
    # A: 07-01 80.0 耗材 beats 07-01 50.0; B: the tie on 07-02 50.0 goes to the later row (设备);
    # C: the 08-01 return is no purchase; D: the December order is after the as-of day.
    assert got[["客户ID", "内容键"]].values.tolist() == [
        ["A", "wakeup:耗材"], ["B", "wakeup:设备"], ["C", "wakeup:设备"], ["D", "wakeup:配件"]]
    assert got["备注"].str.startswith("最近购买").all()
    assert got.loc[got["客户ID"] == "A", "备注"].item().startswith("最近购买145天前")   # 07-01 -> 11-23


def test_rows_columns_owner_and_times_on_a_holiday():
    customers = _customers(["H", "K"], owner=["张经理", None])
    segments = _segments(["H", "K"], ["战略客户", "核心客户"])
    # exactly 100,000 is not more than 100,000; orders a year and more back do not count
    # (the window for as-of 2026-02-27 starts after 2025-02-27)
    orders = _orders([("H", "2026-01-10", 120000.0), ("K", "2026-01-10", 100000.0), ("K", "2025-02-27", 5e5)])
    out = _build(customers, segments, orders, as_of=pd.Timestamp("2026-02-27"))
    assert list(out) == list(LIST_ORDER)
    assert out["high_value"]["客户ID"].tolist() == ["H"]
    assert all(list(frame.columns) == list_columns() for frame in out.values())
    row = out["high_value"].iloc[0]
    assert (row["客户ID"], row["负责人"], row["触达渠道"]) == ("H", "张经理", "短信")
    # Fri 2-27 09:00; "within 24 h" on working days: the 调休 Saturday 2-28 09:00
    assert row["发送时间"] == pd.Timestamp("2026-02-27 09:00")
    assert row["截止时间"] == pd.Timestamp("2026-02-28 09:00")
    # as-of inside 春节 (Sun 2-15): everything waits for Tue 2-24 09:00
    out = _build(customers, segments, _orders([("H", "2026-01-10", 120000.0)]), as_of=pd.Timestamp("2026-02-15"))
    row = out["high_value"].iloc[0]
    assert row["发送时间"] == pd.Timestamp("2026-02-24 09:00")
    assert row["截止时间"] == pd.Timestamp("2026-02-25 09:00")
    # the customer without a 客户经理 name gets the role
    orders = _orders([("K", "2026-11-01", 150000.0)])
    assert _build(customers, segments, orders)["high_value"]["负责人"].tolist() == ["客户经理"]


def test_missing_tables_are_stated_not_fatal():
    orders = _orders([("A", "2026-11-20", 10.0)])
    out = build_lists(None, _segments(["A"]), orders, None, None, AS_OF, PARAMS, CAL, roles=ROLES)
    assert out["negative_feedback"].empty and out["birthday"].empty
    assert out["post_purchase"]["客户ID"].tolist() == ["A"]
    assert any("营销授权" in n for n in out.notes) and any("满意度" in n for n in out.notes)
    overview = out.overview.set_index("名单")
    assert overview.loc["购后调研", "入选人数"] == 1 and overview.loc["购后调研", "排除原因"] == "无"


def test_birthday_lookahead_schedules_each_greeting_on_its_own_day():
    ids = ["on", "late", "far"]
    customers = _customers(ids, birthday=T(["1990-11-26", "1990-11-28", "1990-12-30"]))
    base = customer_base(customers, _segments(ids))
    # as-of Monday 2026-11-23, 3 days before, look 7 days ahead: birthdays 11-26 … 12-02
    got = birthday_list(base, AS_OF, {**PARAMS, "birthday_lookahead_days": 7}, CAL, roles=ROLES)[0].set_index("客户ID")
    assert sorted(got.index) == ["late", "on"]
    # each greeting goes out 3 days before its birthday, at the start of the send window
    assert got.loc["on", "发送时间"] == pd.Timestamp("2026-11-23 09:00")
    assert got.loc["late", "发送时间"] == pd.Timestamp("2026-11-25 09:00")


def test_tier_roles_decide_who_is_sleeping_and_who_is_vip():
    # Tiers renamed: the lists follow roles.sleeping and roles.high_value, not tier names.
    ids = ["V", "S", "N"]
    customers = _customers(ids, birthday=T(["1990-11-26"] * 3), register_date=T(["2026-11-23"] * 3))
    segments = _segments(ids, ["Gold", "Dormant", "Other"])
    orders = _orders([(c, "2026-06-01", 100.0) for c in ids])
    roles = TierRoles(order=("Gold", "Dormant", "Other"), default="Other", high_value=("Gold",),
                      win_back=None, sleeping=("Dormant",))
    out = build_lists(customers, segments, orders, None, None, AS_OF, {**PARAMS, "max_messages_per_day": 3}, CAL,
                      roles=roles)
    assert out["sleeping"]["客户ID"].tolist() == ["S"]
    assert out["birthday"].set_index("客户ID")["内容键"].to_dict() == {
        "V": "birthday:gift", "S": "birthday:greeting", "N": "birthday:greeting"}
    assert out["welcome"].set_index("客户ID")["内容键"].to_dict() == {
        "V": "welcome:vip", "S": "welcome:coupon", "N": "welcome:coupon"}


def test_channel_words_and_labels():
    words = pd.Series(["企业微信", "微信", "SMS", "E-mail", "手机", "线上", None])
    assert channel_kinds(words).tolist() == ["wecom", "wechat", "sms", "email", "phone", pd.NA, pd.NA]
    assert touch_channel(words).tolist() == ["企微", "微信", "短信", "邮件", "电话", pd.NA, pd.NA]
    with language("en"):
        assert touch_channel(words).tolist() == ["WeCom", "WeChat", "SMS", "Email", "Phone", pd.NA, pd.NA]
        assert best_channel(pd.DataFrame({"customer_id": ["A"], "preferred_channel": ["线下"]}), None).tolist() == ["SMS"]


def test_money_text():
    assert [money_text(v) for v in [150000.0, 10000.0, 9999.0, 0.0]] == ["15.0万元", "1.0万元", "9,999元", "0元"]
    with language("en"):
        assert [money_text(v) for v in [150000.0, 9999.0]] == ["CNY 150.0k", "CNY 9,999"]


def test_english_run_names_lists_reasons_and_remarks_in_english():
    ids = ["A", "U"]
    customers = _customers(ids, unsubscribed=[False, True])
    orders = _orders([(c, "2026-11-20", 500.0) for c in ids])
    surveys = pd.DataFrame({"customer_id": ["U"], "date": T(["2026-11-22"]), "stars": [2.0], "comment": ["slow"]})
    with language("en"):
        out = _build(customers, _segments(ids), orders, None, surveys)
        assert list_label("sleeping") == "Wake-up"
    assert list(out) == list(LIST_ORDER)
    assert list(out["post_purchase"].columns) == ["Customer ID", "Tier", "Channel", "Send time", "Content key",
                                                  "Deadline", "Owner", "Remark"]
    post = out["post_purchase"].iloc[0]
    assert (post["Customer ID"], post["Channel"], post["Owner"]) == ("A", "SMS", "Operations")
    assert post["Remark"] == "Bought 2026-11-20 (3 days ago)"
    ticket = out["negative_feedback"].iloc[0]
    assert (ticket["Owner"], ticket["Remark"]) == ("Customer service", "Rated 2 stars (2026-11-22): slow")
    assert out.exclusions.iloc[0].tolist() == ["Post-purchase survey", "U", "普通客户", "Unsubscribed"]
    overview = out.overview.set_index("List")
    assert list(overview.columns) == ["Selected", "Left out", "Why left out", "Note"]
    assert overview.loc["Post-purchase survey"].tolist() == [1, 1, "Unsubscribed: 1", ""]
    assert overview.loc["Wake-up", "Why left out"] == "None"
