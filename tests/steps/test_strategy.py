"""Strategy table, per-customer plan and workbook frames (analysis/steps/strategy.py)."""

import pandas as pd

from analysis.params import resolve_params
from analysis.steps.strategy import customer_plan, strategy_table, tasks_per_owner, workbook_sheets
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
                          "phone": ["13812345678", None, "13900000000", None]})


def test_strategy_table_counts_and_shares():
    table = strategy_table(_segments(), TIERS, ROLES).set_index("层级")
    assert table.loc["战略客户", "客户数"] == 1 and table.loc["战略客户", "占比"] == 0.25
    assert table.loc["潜力客户", "客户数"] == 0
    assert table.loc["流失预警客户", "负责人"] == "客户关系专员"


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
        "客户ID", "客户名称", "联系方式", "所属行业", "地域", "企业规模", "首次购买时间", "最近购买时间",
        "累计消费(元)", "客户层级", "标签", "客户经理"]
    # the SPEC columns first, the stable task id last (next month's merge key)
    assert list(sheets["tier_strategy"]["customer_strategy"].columns) == [
        "客户层级", "客户ID", "核心特征", "维护策略", "当前状态", "下一步动作", "时间节点", "任务编号"]
    assert list(sheets["execution_log"]["execution"].columns) == [
        "执行日期", "客户ID", "执行人", "动作描述", "客户反馈", "结果标记", "任务编号"]
    info = sheets["customer_info"]["info"].set_index("客户ID")
    assert info.loc["K1", "标签"] == "重要保持；中等价值；流失风险"
    assert info.loc["S1", "联系方式"] == "13812345678"   # internal table keeps full contacts


def test_plan_names_recommended_category_channel_and_control_group():
    recs = pd.DataFrame({"customer_id": ["P1"], "recommended_category": ["耗材"]})
    plan = customer_plan(_segments(), CUSTOMERS, TIERS, pd.Timestamp("2026-10-31"), **PLAN_ARGS, churn_flag_action="x",
                         recommendations=recs, best_channel=pd.Series({"S1": "企微", "P1": "邮件"}),
                         control=pd.Series({"L1": True})).set_index("customer_id")
    assert plan.loc["P1", "next_action"].endswith("；推荐品类：耗材")
    assert plan.loc["P1", "recommended_category"] == "耗材"
    # 战略 is served by phone whatever the message history; 普通 goes where the customer opens
    assert plan.loc["S1", "channel"] == "电话" and plan.loc["P1", "channel"] == "邮件"
    assert plan.loc["K1", "channel"] == "企微"            # no history: the tier's default
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


def test_tasks_per_owner():
    plan = customer_plan(_segments(), CUSTOMERS, TIERS, pd.Timestamp("2026-10-31"), **PLAN_ARGS,
                         churn_flag_action="x", control=pd.Series({"P1": True}))
    # the control-group customer P1 (李经理) has no task
    assert tasks_per_owner(plan).to_dict() == {"待办数": {"客服专员": 1, "客户关系专员": 1, "张经理": 1}}


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
        "Done on", "Customer ID", "Done by", "Action", "Customer feedback", "Result", "Task ID"]
    info = sheets["customer_info"]["info"].set_index("Customer ID")
    assert info.loc["K1", "Labels"] == "重要保持; 中等价值; Churn risk"
    review = sheets["review"]["review"]
    assert review["Activity"].iloc[0] == "战略客户 maintenance"
    assert review["Key metric (target/actual)"].iloc[0].endswith(" / measured next month")
