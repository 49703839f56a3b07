"""Strategy table, per-customer plan and workbook frames (analysis/steps/strategy.py)."""

import pandas as pd

from analysis.outputs.workbooks import per_owner_sheets
from analysis.params import resolve_params
from analysis.steps.strategy import (customer_features_text, customer_plan, late_call_notes, plan_month_end,
                                     strategy_table, value_at_risk, workbook_sheets, workload)
from analysis.tiers import TierRoles, tier_roles
from analysis.vocab import language

PARAMS = resolve_params("2026-10")
TIERS = PARAMS["strategy"]["tiers"]
ROLES = tier_roles(PARAMS)
# what notebook 05 passes from params besides the tables
PLAN_ARGS = {"roles": ROLES, "window_months": PARAMS["rfm"]["window_months"]}


def _segments():
    return pd.DataFrame({
        "customer_id": ["S1", "K1", "L1", "P1"],
        "tier": ["战略客户", "核心客户", "流失预警客户", "普通客户"],
        "churn_risk": [False, True, True, False],
        "total_spend": [600000.0, 150000.0, 3000.0, 100.0],
        "frequency": [8.0, 3.0, 0.0, 1.0], "monetary": [200000.0, 30000.0, 0.0, 100.0],
        "recency_days": [5.0, 120.0, 100.0, 20.0],
        "first_order_date": pd.to_datetime(["2023-01-01"] * 4),
        "last_order_date": pd.to_datetime(["2026-10-26", "2026-07-03", "2026-07-23", "2026-10-11"]),
        "rfm_class": ["重要价值", "重要保持", "一般挽留", "一般发展"],
        "value_band": ["高价值", "中等价值", "基础价值", "中等价值"],
    })


CUSTOMERS = pd.DataFrame({"customer_id": ["S1", "K1", "L1", "P1"], "owner": ["张经理", None, None, "李经理"],
                          "name": ["恒泰机械有限公司", "王芳", "李雷", "韩梅梅"],
                          "phone": ["13812345678", None, "13900000000", None],
                          "email": [None, "wang@example.com", None, None]})


def test_strategy_table_counts_and_shares():
    table = strategy_table(_segments(), TIERS, ROLES).set_index("层级")
    assert table.loc["战略客户", "客户数"] == 1 and table.loc["战略客户", "占比"] == 0.25
    assert table.loc["潜力客户", "客户数"] == 0
    # the owner rule, stated per tier: calls by each customer's 客户经理, messages by the role
    assert table.loc["流失预警客户", "负责人"] == "各客户的客户经理（无客户经理时：客户关系专员）"
    assert table.loc["战略客户", "负责人"] == "各客户的客户经理"
    assert table.loc["普通客户", "负责人"] == "运营专员"
    assert table.loc["核心客户", "负责人"] == "客服专员（流失风险客户的回访：其客户经理）"


def test_strategy_table_states_the_rule_as_resolved_for_this_run():
    segments = _segments().assign(tier_rule=["累计消费(元)≥327,735.07（前1%），推荐率≥0.9", "核心规则",
                                             "流失规则", "其余客户"])
    table = strategy_table(segments, TIERS, ROLES).set_index("层级")
    assert table.loc["战略客户", "核心特征"] == "累计消费(元)≥327,735.07（前1%），推荐率≥0.9"
    assert table.loc["潜力客户", "核心特征"] == TIERS["潜力客户"]["features"]   # nobody in it: the params text


def test_plan_owner_action_and_due_date():
    plan = customer_plan(_segments(), CUSTOMERS, TIERS, pd.Timestamp("2026-10-31"), **PLAN_ARGS,
                         churn_flag_action="本周内回访").set_index("customer_id")
    assert plan.loc["S1", "owner"] == "张经理"                 # the customer's 客户经理
    assert plan.loc["K1", "owner"] == "客服专员"               # else the tier's role
    assert plan.loc["K1", "next_action"] == "本周内回访（积分加倍 + 节日礼品）"   # 核心 + churn flag
    assert plan.loc["L1", "next_action"] == TIERS["流失预警客户"]["next_action"] + "（回归首单8折券）"
    # as-of Saturday 10-31: 流失预警 2 working days -> Tuesday 11-03; 战略 3 -> Wednesday 11-04
    assert plan.loc["L1", "due_date"] == pd.Timestamp("2026-11-03")
    assert plan.loc["S1", "due_date"] == pd.Timestamp("2026-11-04")
    assert plan.loc["S1", "features"] == "累计60.0万元，近12个月购买8次，最近购买5天前"
    assert (plan["status"] == "待执行").all()


def test_workbook_frames_have_spec_headers():
    plan = customer_plan(_segments(), CUSTOMERS, TIERS, pd.Timestamp("2026-10-31"), **PLAN_ARGS, churn_flag_action="x")
    sheets = workbook_sheets(CUSTOMERS, _segments(), plan, TIERS, "2026-10", roles=ROLES)
    assert list(sheets["customer_info"]["info"].columns) == [
        "客户ID", "客户名称", "电话", "邮箱", "所属行业", "地域", "企业规模", "首次购买时间", "最近购买时间",
        "累计消费(元)", "客户层级", "标签", "客户经理"]
    # the stable task id last (next month's merge key)
    assert list(sheets["tier_strategy"]["customer_strategy"].columns) == [
        "客户层级", "客户ID", "客户名称", "核心特征", "维护策略", "当前状态", "下一步动作", "触达渠道", "负责人",
        "时间节点", "优先级", "任务编号"]
    assert list(sheets["execution_log"]["execution"].columns) == [
        "优先级", "时间节点", "执行人", "客户ID", "客户名称", "电话", "邮箱", "客户层级", "原因", "动作描述", "触达渠道",
        "风险价值(元)", "执行日期", "结果标记", "客户反馈", "任务编号"]
    info = sheets["customer_info"]["info"].set_index("客户ID")
    assert info.loc["K1", "标签"] == "重要保持；中等价值；流失风险"
    assert info.loc["S1", "电话"] == "13812345678"   # internal table keeps full contacts
    assert info.loc["K1", "邮箱"] == "wang@example.com"


def test_plan_names_recommended_category_channel_and_control_group():
    recs = pd.DataFrame({"customer_id": ["P1"], "recommended_category": ["耗材"]})
    plan = customer_plan(_segments(), CUSTOMERS, TIERS, pd.Timestamp("2026-10-31"), **PLAN_ARGS, churn_flag_action="x",
                         recommendations=recs, best_channel=pd.Series({"S1": "企微", "P1": "邮件"}),
                         control=pd.Series({"L1": True})).set_index("customer_id")
    assert plan.loc["P1", "next_action"].endswith("；推荐品类：耗材")
    assert plan.loc["P1", "recommended_category"] == "耗材"
    # 战略 is served by phone whatever the message history; 普通 goes where the customer opens
    assert plan.loc["S1", "channel"] == "电话" and plan.loc["P1", "channel"] == "邮件"
    assert plan.loc["K1", "channel"] == "电话"            # 核心 + churn flag: the follow-up is a call
    assert plan.loc["L1", "status"] == "对照组" and plan.loc["L1", "next_action"].startswith("对照组")
    assert plan.loc["S1", "task_id"] == "T202610-S1"


def test_plan_uses_the_chinese_working_day_calendar():
    from analysis.steps.workdays import working_calendar

    # as-of Wednesday 2026-09-30: 国庆 holiday 10-01..10-07, Saturday 10-10 is a working day.
    # 流失预警 (2 working days): 10-08, 10-09 -> due Friday 10-09; 战略 (3): 10-10 (调休 Saturday).
    plan = customer_plan(_segments(), CUSTOMERS, TIERS, pd.Timestamp("2026-09-30"), **PLAN_ARGS, churn_flag_action="x",
                         calendar=working_calendar()).set_index("customer_id")
    assert plan.loc["L1", "due_date"] == pd.Timestamp("2026-10-09")
    assert plan.loc["S1", "due_date"] == pd.Timestamp("2026-10-10")

def test_control_group_customers_get_no_task_and_are_not_targets():
    plan = customer_plan(_segments(), CUSTOMERS, TIERS, pd.Timestamp("2026-10-31"), **PLAN_ARGS, churn_flag_action="x",
                         control=pd.Series({"P1": True}))
    sheets = workbook_sheets(CUSTOMERS, _segments(), plan, TIERS, "2026-10", roles=ROLES)
    assert "P1" in set(sheets["tier_strategy"]["customer_strategy"]["客户ID"])
    assert "P1" not in set(sheets["execution_log"]["execution"]["客户ID"])
    campaign = sheets["campaign"]["campaign"].set_index("目标客户标签")
    assert "普通客户" not in campaign.index            # its only customer is in the control group
    assert campaign.loc["战略客户", "目标客户数"] == 1


def test_plan_features_carry_the_churn_warning_reason():
    warnings = pd.DataFrame({"customer_id": ["L1", "P1"], "churn_warning": [True, False],
                             "warning_reason": ["100天未购买，历史消费3,000元", None]})
    plan = customer_plan(_segments(), CUSTOMERS, TIERS, pd.Timestamp("2026-10-31"), **PLAN_ARGS, churn_flag_action="x",
                         warnings=warnings).set_index("customer_id")
    assert plan.loc["L1", "features"].endswith("；预警：100天未购买，历史消费3,000元")
    assert "预警" not in plan.loc["P1", "features"]


def test_plan_when_no_customer_is_warned_keeps_the_features_text():
    # As read back from parquet: ids are pandas "string", and notebook 04 warned nobody (a small
    # base). Looking the reasons up then finds nothing, and pandas inferred a numeric dtype for
    # the all-missing result, so joining it to the text raised a TypeError in notebook 05.
    segments = _segments().astype({"customer_id": "string"})
    customers = CUSTOMERS.astype({"customer_id": "string"})
    warnings = pd.DataFrame({"customer_id": pd.array(["L1", "P1"], dtype="string"), "churn_warning": [False, False],
                             "warning_reason": pd.array([None, None], dtype="string")})
    plan = customer_plan(segments, customers, TIERS, pd.Timestamp("2026-10-31"), **PLAN_ARGS, churn_flag_action="x",
                         warnings=warnings).set_index("customer_id")
    assert plan.loc["P1", "features"] == "累计100元，近12个月购买1次，最近购买20天前"
    assert not plan["features"].str.contains("预警").any()


def test_plan_when_no_customer_has_a_known_channel_keeps_the_tier_default():
    segments = _segments().astype({"customer_id": "string"})
    customers = CUSTOMERS.astype({"customer_id": "string"})
    unknown = pd.Series(dtype=object, index=pd.Index([], dtype="string", name="customer_id"))
    plan = customer_plan(segments, customers, TIERS, pd.Timestamp("2026-10-31"), **PLAN_ARGS, churn_flag_action="x",
                         best_channel=unknown).set_index("customer_id")
    assert plan.loc["P1", "channel"] == TIERS["普通客户"]["channel"]


def test_high_value_tiers_come_from_the_roles_not_the_names():
    # Rename the tiers: the churn-flag action follows roles.high_value, whatever the names.
    renamed = {"A": TIERS["战略客户"], "B": TIERS["核心客户"], "C": TIERS["流失预警客户"], "D": TIERS["普通客户"]}
    segments = _segments().assign(tier=["A", "B", "C", "D"])
    roles = TierRoles(order=("A", "B", "C", "D"), default="D", high_value=("B",), win_back="C", sleeping=("D",))
    plan = customer_plan(segments, CUSTOMERS, renamed, pd.Timestamp("2026-10-31"), roles=roles, window_months=12,
                         churn_flag_action="本周内回访").set_index("customer_id")
    assert plan.loc["K1", "next_action"].startswith("本周内回访")            # B is high-value, flagged
    assert plan.loc["L1", "next_action"].startswith(TIERS["流失预警客户"]["next_action"])   # C is not
    assert plan["tier"].tolist() == ["A", "B", "C", "D"]                   # sorted in the tiers' order


def test_a_tier_served_by_phone_is_recognised_by_its_word():
    tiers = {**TIERS, "普通客户": {**TIERS["普通客户"], "channel": "Phone"}}
    plan = customer_plan(_segments(), CUSTOMERS, tiers, pd.Timestamp("2026-10-31"), **PLAN_ARGS,
                         churn_flag_action="x", best_channel=pd.Series({"P1": "邮件"})).set_index("customer_id")
    assert plan.loc["P1", "channel"] == "Phone"          # the account manager calls
    sheets = workbook_sheets(CUSTOMERS, _segments(), plan.reset_index(), tiers, "2026-10", roles=ROLES)
    campaign = sheets["campaign"]["campaign"].set_index("目标客户标签")
    assert campaign.loc["普通客户", "触达渠道"] == "电话/企微"
    assert campaign.loc["普通客户", "活动名称"] == "2026-10 普通客户维护"




def test_english_run_speaks_english():
    with language("en"):
        plan = customer_plan(_segments(), CUSTOMERS, TIERS, pd.Timestamp("2026-10-31"), **PLAN_ARGS,
                             churn_flag_action="x", control=pd.Series({"P1": True}),
                             recommendations=pd.DataFrame({"customer_id": ["S1"], "recommended_category": ["耗材"]}))
        sheets = workbook_sheets(CUSTOMERS, _segments(), plan, TIERS, "2026-10", roles=ROLES)
        table = strategy_table(_segments(), TIERS, ROLES)
    plan = plan.set_index("customer_id")
    assert plan.loc["S1", "features"] == "CNY 600.0k to date, 8 purchases in the last 12 months, last purchase 5 days ago"
    assert plan.loc["S1", "next_action"].endswith(f" ({TIERS['战略客户']['offer']}); recommend: 耗材")
    assert plan.loc["S1", "status"] == "To do" and plan.loc["P1", "status"] == "Control group"
    assert list(table.columns) == ["Tier", "Defining features", "Strategy", "Owner", "Cycle", "Customers", "Share"]
    assert list(sheets["execution_log"]["execution"].columns) == [
        "Priority", "Due date", "Done by", "Customer ID", "Customer name", "Phone", "E-mail", "Tier", "Reason",
        "Action", "Channel", "Value at risk (CNY)", "Done on", "Result", "Customer feedback", "Task ID"]
    info = sheets["customer_info"]["info"].set_index("Customer ID")
    assert info.loc["K1", "Labels"] == "重要保持; 中等价值; Churn risk"
    review = sheets["review"]["review"]
    assert review["Activity"].iloc[0] == "战略客户 maintenance"
    assert review["Key metric"].iloc[0] == "repurchase rate" and review["Actual"].iloc[0] == "Measured next month"


# --- issue 12: owners that add up, priority, a daily cap on calls -----------------------------

def _book(tiers_spend, owner="王经理"):
    """Segments and customers for (customer_id, tier, total spend) rows, all of one 客户经理."""
    ids = [c for c, _, _ in tiers_spend]
    segments = pd.DataFrame({"customer_id": ids, "tier": [t for _, t, _ in tiers_spend],
                             "churn_risk": False, "total_spend": [v for _, _, v in tiers_spend],
                             "frequency": 1.0, "recency_days": 100.0})
    customers = pd.DataFrame({"customer_id": ids, "owner": owner, "name": [f"客户{c}" for c in ids],
                              "phone": "13800000000", "email": None})
    return segments, customers


def test_calls_go_to_the_account_manager_messages_to_the_tier_role():
    # The issue: 普通客户 coupons landed on named account managers while the strategy table
    # says 运营专员 owns 普通客户. Every customer here has 王经理 as 客户经理.
    segments, customers = _book([("S1", "战略客户", 600000.0), ("L1", "流失预警客户", 3000.0),
                                 ("P1", "普通客户", 100.0), ("K1", "核心客户", 150000.0),
                                 ("K2", "核心客户", 120000.0)])
    segments.loc[segments["customer_id"] == "K2", "churn_risk"] = True
    plan = customer_plan(segments, customers, TIERS, pd.Timestamp("2026-10-31"), **PLAN_ARGS,
                         churn_flag_action="本周内回访").set_index("customer_id")
    assert plan.loc["S1", "owner"] == "王经理" and plan.loc["L1", "owner"] == "王经理"    # calls
    assert plan.loc["P1", "owner"] == "运营专员" and plan.loc["K1", "owner"] == "客服专员"  # messages
    assert plan.loc["K2", "owner"] == "王经理" and plan.loc["K2", "channel"] == "电话"     # churn-flag call
    # the same rule in words, in the tables that list tiers
    table = strategy_table(segments, TIERS, ROLES).set_index("层级")
    assert table.loc["普通客户", "负责人"] == "运营专员"
    sheets = workbook_sheets(customers, segments.assign(rfm_class="x", value_band="y", first_order_date=pd.NaT,
                                                        last_order_date=pd.NaT),
                             plan.reset_index(), TIERS, "2026-10", roles=ROLES)
    campaign = sheets["campaign"]["campaign"].set_index("目标客户标签")["负责人"]
    assert campaign["普通客户"] == "运营专员" and campaign["流失预警客户"].startswith("各客户的客户经理")


def test_priority_by_value_at_risk_and_calls_spread_by_the_daily_cap():
    # Six calls for 王经理 (one 战略 due in 3 working days, five 流失预警 due in 2), at most 2
    # a day: priority by spend (no churn model here, so the value at risk is the spend), the
    # calls then take the working days from the earliest deadline (day 2), two by two.
    segments, customers = _book([("S1", "战略客户", 600000.0), ("L1", "流失预警客户", 5000.0),
                                 ("L2", "流失预警客户", 4000.0), ("L3", "流失预警客户", 3000.0),
                                 ("L4", "流失预警客户", 2000.0), ("L5", "流失预警客户", 1000.0),
                                 ("P1", "普通客户", 900000.0)])
    plan = customer_plan(segments, customers, TIERS, pd.Timestamp("2026-10-31"), **PLAN_ARGS,
                         churn_flag_action="x", max_calls_per_day=2).set_index("customer_id")
    calls = ["S1", "L1", "L2", "L3", "L4", "L5"]
    assert plan.loc[calls, "priority"].tolist() == [1, 2, 3, 4, 5, 6]
    # as-of Saturday 10-31: working day 2 = Tue 11-03, 3 = Wed 11-04, 4 = Thu 11-05
    assert plan.loc[calls, "due_date"].dt.strftime("%m-%d").tolist() == [
        "11-03", "11-03", "11-04", "11-04", "11-05", "11-05"]
    # the coupon is a message: 运营专员's first task, due on its tier's 10 working days, not capped
    assert plan.loc["P1", "priority"] == 1 and plan.loc["P1", "due_date"] == pd.Timestamp("2026-11-13")
    assert plan.loc["L1", "value_at_risk"] == 5000.0
    # without a cap every call keeps its tier's deadline
    uncapped = customer_plan(segments, customers, TIERS, pd.Timestamp("2026-10-31"), **PLAN_ARGS,
                             churn_flag_action="x").set_index("customer_id")
    assert uncapped.loc["L5", "due_date"] == pd.Timestamp("2026-11-03")
    assert uncapped.loc["S1", "due_date"] == pd.Timestamp("2026-11-04")


def test_calls_pushed_past_the_month_are_counted_and_said():
    # 30 win-back calls, one a day from working day 2: November 2026 has 21 working days
    # (2–6, 9–13, 16–20, 23–27, 30), so days 2..21 fit and 10 calls fall after 11-30.
    segments, customers = _book([(f"L{i:02d}", "流失预警客户", 10000.0 - i) for i in range(30)])
    plan = customer_plan(segments, customers, TIERS, pd.Timestamp("2026-10-31"), **PLAN_ARGS,
                         churn_flag_action="x", max_calls_per_day=1)
    assert plan_month_end(pd.Timestamp("2026-10-31")) == pd.Timestamp("2026-11-30")
    assert (plan["due_date"] > pd.Timestamp("2026-11-30")).sum() == 10
    assert plan.groupby("due_date").size().max() == 1
    assert late_call_notes(plan, pd.Timestamp("2026-10-31"), 1) == [
        "王经理：10 项任务排到 2026-11-30 之后（每人每个工作日最多 1 通电话），请增派人手或调低优先级靠后的任务。"]
    load = workload(plan, pd.Timestamp("2026-10-31")).set_index("负责人")
    assert load.loc["王经理", "任务数"] == 30 and load.loc["王经理", "电话任务"] == 30
    assert load.loc["王经理", "月底后到期"] == 10
    # this week = Mon 11-02 .. Sun 11-08: working days 2..5 (11-03 .. 11-06)
    assert load.loc["王经理", "本周到期"] == 4
    assert load.loc["王经理", "风险价值(元)"] == sum(10000.0 - i for i in range(30))
    assert load.loc["王经理", "最早到期"] == pd.Timestamp("2026-11-03")


def test_workload_leaves_the_control_group_out_and_totals():
    plan = pd.DataFrame({"owner": ["甲", "乙", "乙", "甲"], "control": [False, False, False, True],
                         "channel": ["电话", "短信", "短信", "电话"], "value_at_risk": [10.0, 2.0, 3.0, 99.0],
                         "due_date": pd.to_datetime(["2026-11-02", "2026-11-09", "2026-11-13", "2026-11-02"])})
    load = workload(plan, pd.Timestamp("2026-10-31"))
    assert load["负责人"].tolist() == ["乙", "甲", "合计"]                   # most tasks first
    assert load["任务数"].tolist() == [2, 1, 3] and load["电话任务"].tolist() == [0, 1, 1]
    assert load["本周到期"].tolist() == [0, 1, 1] and load["风险价值(元)"].tolist() == [5.0, 10.0, 15.0]


def test_value_at_risk_uses_the_churn_model_where_it_scored():
    segments = pd.DataFrame({"customer_id": ["A", "B", "C", "D"], "total_spend": [1000.0, 500.0, -80.0, 200.0]})
    churn = pd.DataFrame({"customer_id": ["A", "B", "D"], "p_no_purchase": [0.3, 0.5, None],
                          "warning_value": [None, 800.0, None]})
    # A: 0.3 × its spend; B: 0.5 × the value notebook 04 ranked by (800, its CLV); C: returns
    # above purchases count as 0; D: not scored, so the whole spend
    assert value_at_risk(segments, churn).tolist() == [300.0, 400.0, 0.0, 200.0]


def test_the_to_do_list_sheets():
    warnings = pd.DataFrame({"customer_id": ["L1"], "churn_warning": [True], "warning_reason": ["100天未购买"],
                             "p_no_purchase": [0.9], "warning_value": [3000.0]})
    plan = customer_plan(_segments(), CUSTOMERS, TIERS, pd.Timestamp("2026-10-31"), **PLAN_ARGS,
                         churn_flag_action="x", warnings=warnings, control=pd.Series({"P1": True}))
    load = workload(plan, pd.Timestamp("2026-10-31"))
    sheets = workbook_sheets(CUSTOMERS, _segments(), plan, TIERS, "2026-10", roles=ROLES, workload_table=load,
                             targets={"conversion": 0.1})
    log = sheets["execution_log"]
    assert list(log) == ["execution", "workload"]   # owner sheets are split from it when written
    owners = per_owner_sheets(log["execution"])
    assert list(owners) == ["owner_tasks:张经理", "owner_tasks:客服专员", "owner_tasks:客户关系专员"]
    tasks = log["execution"].set_index("客户ID")
    assert tasks.loc["L1", "原因"] == "100天未购买"                           # the warning's reason
    assert tasks.loc["S1", "原因"] == "累计60.0万元，近12个月购买8次，最近购买5天前"   # else their numbers
    assert tasks.loc["L1", "风险价值(元)"] == 0.9 * 3000.0
    assert tasks.loc["S1", "客户名称"] == "恒泰机械有限公司" and tasks.loc["S1", "电话"] == "13812345678"
    assert tasks.loc["K1", "邮箱"] == "wang@example.com" and tasks.loc["K1", "执行人"] == "客服专员"
    assert owners["owner_tasks:客户关系专员"]["客户ID"].tolist() == ["L1"]
    review = sheets["review"]["review"]
    # a row for every tier flow with tasks and every automated list, target and actual apart
    assert review["活动流程"].tolist() == ["战略客户维护", "核心客户维护", "流失预警客户维护", "沉睡唤醒", "新客欢迎",
                                       "生日关怀", "高价值跟进", "差评工单", "购后调研"]
    assert review.loc[2, "核心指标"] == "挽回率" and review.loc[2, "目标"] == TIERS["流失预警客户"]["kpi"]
    assert review.loc[3, "目标"] == "≥10%" and review.loc[3, "实际"] == "待下月统计"


def test_list_sheets_show_content_as_text_never_the_key():
    from analysis.steps.automation import build_lists

    segments = _segments().assign(control=False)
    customers = CUSTOMERS.assign(marketing_consent=True, unsubscribed=False,
                                 register_date=pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-01",
                                                               "2026-10-31"]))
    lists = build_lists(customers, segments, None, None, None, pd.Timestamp("2026-10-31"), PARAMS["automation"],
                        roles=ROLES)
    assert lists["welcome"]["内容键"].tolist() == ["welcome:coupon"]        # the key, for the sending system
    plan = customer_plan(segments, customers, TIERS, pd.Timestamp("2026-10-31"), **PLAN_ARGS, churn_flag_action="x")
    campaign = workbook_sheets(customers, segments, plan, TIERS, "2026-10", lists=lists, roles=ROLES)["campaign"]
    assert campaign["list_welcome"]["触达内容"].tolist() == ["新客欢迎礼包（含新客优惠券）"]
    assert "内容键" not in campaign["list_welcome"]
    row = campaign["campaign"].set_index("目标客户标签").loc["新客欢迎"]
    assert row["触达内容"] == "新客欢迎礼包（含新客优惠券）" and row["负责人"] == "运营专员"


def test_features_text_column_wise_with_missing_values_one_row_and_none():
    seg = pd.DataFrame({"total_spend": [10000.0, 9999.4, None, -25000.0, 0.0],
                        "frequency": [2.0, 1.0, None, 3.0, 0.0],
                        "recency_days": [0.0, 45.0, None, 400.0, None]}, index=[5, 6, 7, 8, 9])
    got = customer_features_text(seg, 12)
    assert got.index.tolist() == [5, 6, 7, 8, 9]
    assert got.tolist() == ["累计1.0万元，近12个月购买2次，基准日当天有购买",
                            "累计9,999元，近12个月购买1次，最近购买45天前",
                            "累计0元，近12个月购买0次，从未购买",
                            "累计-2.5万元，近12个月购买3次，最近购买400天前",
                            "累计0元，近12个月购买0次，从未购买"]
    one = pd.DataFrame({"total_spend": [9999.5], "frequency": [1], "recency_days": [1.0]})
    assert customer_features_text(one, 6).tolist() == ["累计10,000元，近6个月购买1次，最近购买1天前"]
    assert customer_features_text(one.iloc[:0], 12).tolist() == []
