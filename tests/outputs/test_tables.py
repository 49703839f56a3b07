"""People-facing tables of step results, personal data masked (analysis/outputs/tables.py)."""

import pandas as pd

from analysis.outputs.tables import masked_plan_preview, top_warnings
from analysis.steps.strategy import customer_plan
from tests.steps.test_strategy import CUSTOMERS, PLAN_ARGS, TIERS, _segments


def test_top_warnings_are_masked_and_labelled():
    churn = pd.DataFrame({"customer_id": list("ABC"), "churn_warning": [True, True, False],
                          "p_alive": [0.2, 0.4, 0.9], "predicted_clv": [100.0, 900.0, 50.0],
                          "warning_reason": ["r1", "r2", pd.NA]})
    segments = pd.DataFrame({"customer_id": list("ABC"), "tier": ["普通客户"] * 3, "total_spend": [1.0, 2.0, 3.0]})
    got = top_warnings(churn, segments, pd.DataFrame({"customer_id": list("ABC")}))
    assert list(got.columns) == ["客户", "客户层级", "历史消费(元)", "仍活跃概率", "预测CLV(元)", "预警原因"]
    assert got["预警原因"].tolist() == ["r2", "r1"]  # most predicted value first; C is not warned
    assert got["客户"].tolist() == ["*客户（B）", "*客户（A）"]  # no names in the data: the ID alone
    # with the warning list's own rank (risk × value), its order wins and the model's columns show
    ranked = churn.assign(risk_value_rank=[1, 2, 3], p_no_purchase=[0.9, 0.5, 0.1],
                          expected_next_purchase=pd.to_datetime(["2026-12-01", "2026-11-15", None]))
    got = top_warnings(ranked, segments, pd.DataFrame({"customer_id": list("ABC")}))
    assert got["预警原因"].tolist() == ["r1", "r2"]
    assert list(got.columns) == ["客户", "客户层级", "历史消费(元)", "期内不再购买概率", "仍活跃概率",
                                 "预计下次购买", "预测CLV(元)", "预警原因"]


def test_plan_preview_is_masked():
    plan = customer_plan(_segments(), CUSTOMERS, TIERS, pd.Timestamp("2026-10-31"), **PLAN_ARGS,
                         churn_flag_action="x", control=pd.Series({"P1": True}))
    preview = masked_plan_preview(plan, CUSTOMERS).set_index("客户层级")
    assert list(preview.columns) == ["客户", "联系方式", "核心特征", "下一步动作", "负责人", "时间节点"]
    assert preview.loc["战略客户", "联系方式"] == "138****5678"
    assert preview.loc["战略客户", "客户"] == "恒**公司（S1）"


def test_plan_preview_falls_back_to_a_masked_email():
    plan = pd.DataFrame({"customer_id": ["A", "B"], "tier": ["普通客户"] * 2, "features": ["f"] * 2,
                         "next_action": ["a"] * 2, "owner": ["o"] * 2,
                         "due_date": pd.to_datetime(["2026-11-02", "2026-11-03"])})
    customers = pd.DataFrame({"customer_id": ["A", "B"], "name": ["李雷", "韩梅梅"],
                              "phone": [None, "021-62345678"], "email": ["lilei@example.com", "hmm@example.com"]})
    preview = masked_plan_preview(plan, customers)
    assert preview["联系方式"].tolist() == ["l***@***.com", "021-******78"]
    assert preview["客户"].tolist() == ["李**（A）", "韩**（B）"]
