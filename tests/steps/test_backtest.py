"""Backtest of tiers, churn warnings and predictions (analysis/steps/backtest.py).

Six customers, as-of 2026-10-31, cutoff 180 days earlier = 2026-05-04, scored period
(2026-05-04, 2026-08-02]. Spend in 元.

    A  3,000 on Jan 1 (123 days before the cutoff)    -> 流失预警, rule warns; next buys in Sept (too late): stopped
    B  5,000 on Jan 15 (109 days)                     -> 流失预警, rule warns; buys 1,000 on Jun 1
    C    500 on Dec 1 2025 (low spend)                -> 普通, no warning; stopped
    D  1,000 Apr 1 + 1,500 Apr 20 (14 days)           -> 普通; buys 800 May 10 and 700 Jul 1
    E  1,500 Feb 1 + 1,500 Mar 1 (64 days)            -> 普通, no rule warning; stopped
    F  4 × 30,000 (Sep 2025 – Apr 25), repurchase 3/4 -> 核心客户; buys 50,000 Jun 15, returns 5,000 Jun 20
    G  first purchase 300 on Jun 10: a new customer, outside the backtest
Stopped: A, C, E (3 of 6). Rule warns A, B: precision 1/2, recall 1/3; among stopped customers
with spend ≥ 2,000 (A, E) the rule finds 1/2.
"""

import numpy as np
import pandas as pd
import pytest

import analysis.steps.backtest as bt
from analysis.config import PARAMS_DIR
from analysis.params import load_yaml
from analysis.steps.backtest import backtest
from analysis.tiers import tier_roles

AS_OF = pd.Timestamp("2026-10-31")
# params/base.yml: the five tiers (流失预警 = ≥ 90 days and ≥ 2,000 元; 潜力 = first order ≥ 5,000 元
# and 1–2 orders; 核心 = 100,000–500,000 元 with repurchase ≥ 70%), the 90-day / 2,000 元 churn rule,
# P(active) < 0.5, at least 30 repeat customers, a 12-month window, cutoff 180 days, horizon 90 days
PARAMS = load_yaml(PARAMS_DIR / "base.yml")
ROLES = tier_roles(PARAMS)


@pytest.fixture
def tables():
    rows = [
        ("A", "2026-01-01", 3000.0), ("A", "2026-09-01", 1000.0),
        ("B", "2026-01-15", 5000.0), ("B", "2026-06-01", 1000.0),
        ("C", "2025-12-01", 500.0),
        ("D", "2026-04-01", 1000.0), ("D", "2026-04-20", 1500.0), ("D", "2026-05-10", 800.0),
        ("D", "2026-07-01", 700.0),
        ("E", "2026-02-01", 1500.0), ("E", "2026-03-01", 1500.0),
        ("F", "2025-09-01", 30000.0), ("F", "2025-12-01", 30000.0), ("F", "2026-02-01", 30000.0),
        ("F", "2026-04-25", 30000.0), ("F", "2026-06-15", 50000.0), ("F", "2026-06-20", -5000.0),
        ("G", "2026-06-10", 300.0),
    ]
    orders = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    orders["order_id"] = [f"O{i}" for i in range(len(orders))]
    orders["net_amount"] = orders["amount"]
    orders["is_purchase"] = orders["amount"] > 0
    customers = pd.DataFrame({"customer_id": list("ABCDEFG")})
    return orders, customers


def test_rule_alone_by_hand(tables):
    result = backtest(*tables, AS_OF, PARAMS, ROLES)
    assert result.cutoff == pd.Timestamp("2026-05-04") and result.end == pd.Timestamp("2026-08-02")
    assert result.horizon_days == 90
    frame = result.customers.set_index("customer_id")
    assert list(frame.index) == list("ABCDEF")
    assert frame["tier"].to_dict() == {"A": "流失预警客户", "B": "流失预警客户", "C": "普通客户",
                                       "D": "普通客户", "E": "普通客户", "F": "核心客户"}
    assert frame["bought_next"].to_dict() == {"A": False, "B": True, "C": False, "D": True, "E": False, "F": True}
    assert frame["actual_purchases"].to_dict() == {"A": 0, "B": 1, "C": 0, "D": 2, "E": 0, "F": 1}
    assert frame.loc["F", "actual_revenue"] == 45000

    # 3 repeat customers (D, E, F) < 30: no model, the rule alone
    assert not result.model_status["fitted"]
    assert result.model_status["message"] == "复购客户仅 3 位（少于 30 位），未拟合模型，仅按 90 天规则预警"
    assert list(result.warnings.index) == ["90天规则"]
    row = result.warnings.loc["90天规则"]
    assert row["预警客户数"] == 2 and row["其中未再购买"] == 1
    assert row["精确率"] == pytest.approx(1 / 2)
    assert row["召回率"] == pytest.approx(1 / 3)
    assert row["召回率(达消费门槛客户)"] == pytest.approx(1 / 2)
    assert row["全体未再购买率"] == pytest.approx(3 / 6)
    assert result.totals.empty and result.deciles.empty and result.rule_by_model.empty
    assert any(line.startswith("模型回测未进行：复购客户仅 3 位") for line in result.findings)


def test_tier_revenue_shares_by_hand(tables):
    tiers = backtest(*tables, AS_OF, PARAMS, ROLES).tiers
    assert list(tiers.index) == ["核心客户", "流失预警客户", "普通客户"]
    assert tiers["客户数"].tolist() == [1, 2, 3]
    assert tiers["客户占比"].tolist() == pytest.approx([1 / 6, 2 / 6, 3 / 6])
    # next-period revenue: F 50,000 − 5,000; B 1,000; D 800 + 700 — total 47,500 (G is new, not counted)
    assert tiers["下期消费(元)"].tolist() == [45000, 1000, 1500]
    assert tiers["下期消费占比"].tolist() == pytest.approx([45000 / 47500, 1000 / 47500, 1500 / 47500])
    assert tiers["下期购买客户占比"].tolist() == pytest.approx([1, 1 / 2, 1 / 3])
    assert tiers.loc["核心客户", "消费占比/客户占比"] == pytest.approx(45000 / 47500 * 6)


def test_new_customers_are_counted_apart(tables):
    result = backtest(*tables, AS_OF, PARAMS, ROLES)
    assert result.new_customers == 1 and result.new_customer_revenue == 300
    assert "另有 1 位新客户在截点后首次购买，消费 300 元，不在回测范围内" in result.findings


def _fake_model(calls):
    def churn_model(history, cutoff, churn, *, rule_days=90):
        calls.append((history, cutoff, churn, rule_days))
        frame = pd.DataFrame({
            "customer_id": list("ABCDEF"),
            "frequency": [0.0, 0.0, 0.0, 1.0, 1.0, 3.0],
            "p_alive": [1.0, 1.0, 1.0, 0.9, 0.3, 0.2],
            "expected_purchases": [0.1, 0.2, 0.05, 1.5, 0.4, 2.0],
            "expected_spend": [100.0] * 6,
            "predicted_clv": [1.0] * 6,
            "model_used": [True] * 6,
        })
        return frame, {"fitted": True, "value_model": True, "message": "已拟合（测试替身）"}
    return churn_model


def test_rule_model_and_combined_by_hand(tables, monkeypatch):
    calls = []
    monkeypatch.setattr(bt, "churn_model", _fake_model(calls))
    result = backtest(*tables, AS_OF, PARAMS, ROLES)
    history, cutoff, churn, rule_days = calls[0]
    # the model only sees the history up to the cutoff and predicts the scored period
    assert history["order_date"].max() <= pd.Timestamp("2026-05-04") and cutoff == pd.Timestamp("2026-05-04")
    assert churn["horizon_days"] == 90 and rule_days == 90

    w = result.warnings
    assert list(w.index) == ["90天规则", "模型（仍活跃概率<50%）", "规则或模型（组合）"]
    # model warns E (P 0.3, stopped) and F (P 0.2, bought); D (P 0.9) is not warned
    assert w.loc["模型（仍活跃概率<50%）", ["预警客户数", "其中未再购买"]].tolist() == [2, 1]
    assert w.loc["模型（仍活跃概率<50%）", "精确率"] == pytest.approx(1 / 2)
    assert w.loc["模型（仍活跃概率<50%）", "召回率"] == pytest.approx(1 / 3)
    # combined: A, B, E, F warned; A and E stopped -> precision 2/4, recall 2/3, and both of
    # the stopped customers above the spend floor (A, E) are found
    assert w.loc["规则或模型（组合）", ["预警客户数", "其中未再购买"]].tolist() == [4, 2]
    assert w.loc["规则或模型（组合）", "精确率"] == pytest.approx(1 / 2)
    assert w.loc["规则或模型（组合）", "召回率"] == pytest.approx(2 / 3)
    assert w.loc["规则或模型（组合）", "召回率(达消费门槛客户)"] == pytest.approx(1.0)

    # the rule's warnings (A, B) are both one-time buyers, whom the model does not judge
    assert result.rule_by_model.to_dict("index") == {
        "仅购买一次（模型不判断）": {"预警客户数": 2, "其中未再购买": 1, "精确率": 0.5}}

    # predicted 0.1 + 0.2 + 0.05 + 1.5 + 0.4 + 2.0 = 4.25 purchases against 1 + 2 + 1 = 4
    totals = result.totals
    assert totals.loc["购买次数(按天计)", "预测"] == pytest.approx(4.25)
    assert totals.loc["购买次数(按天计)", "实际"] == 4
    assert totals.loc["购买次数(按天计)", "差异率"] == pytest.approx(0.0625)
    assert totals.loc["消费(元)", "预测"] == pytest.approx(425.0)
    assert totals.loc["消费(元)", "实际"] == 47500

    # six customers -> six groups of one, ordered by prediction: C, A, B, E, D, F
    deciles = result.deciles
    assert deciles["平均预测购买次数"].tolist() == pytest.approx([0.05, 0.1, 0.2, 0.4, 1.5, 2.0])
    assert deciles["平均实际购买次数"].tolist() == [0, 0, 1, 0, 2, 1]


def test_period_is_cut_at_the_as_of_date(tables):
    params = {**PARAMS, "churn": {**PARAMS["churn"], "backtest_cutoff_days": 30}}
    result = backtest(*tables, AS_OF, params, ROLES)
    assert result.horizon_days == 30 and result.end == AS_OF
    assert result.findings[0] == "截点距分析基准日仅 30 天，评估期由 90 天缩短为 30 天"


def test_fitted_model_on_simulated_history():
    from tests.steps.test_churn import simulate_bgnbd

    orders = simulate_bgnbd(1500, r=0.8, alpha=6.0, a=0.6, b=3.0, weeks=104, seed=5)
    orders["order_id"] = [f"O{i}" for i in range(len(orders))]
    customers = pd.DataFrame({"customer_id": orders["customer_id"].unique()})
    result = backtest(orders, customers, AS_OF, PARAMS, ROLES)
    assert result.model_status["fitted"], result.model_status["message"]
    assert len(result.warnings) == 3 and len(result.deciles) == 10
    # on data drawn from the model itself the total prediction is close to what happened
    predicted, actual = result.totals.loc["购买次数(按天计)", ["预测", "实际"]]
    assert predicted == pytest.approx(actual, rel=0.15)
    # and the deciles are ordered: the top decile buys more than the bottom one
    assert result.deciles["平均实际购买次数"].iloc[-1] > result.deciles["平均实际购买次数"].iloc[0]
    assert np.isfinite(result.warnings["精确率"]).all()
    assert result.rule_by_model["预警客户数"].sum() == result.warnings.loc["90天规则", "预警客户数"]


def test_tiers_are_the_params_tiers_in_their_order(tables):
    # the same rules under other names, the catch-all first in the roles' eyes: tables follow params
    names = {"战略客户": "S", "核心客户": "Core", "流失预警客户": "Lapsed", "潜力客户": "P", "普通客户": "Rest"}
    rules = [{**rule, "tier": names[rule["tier"]]} for rule in PARAMS["tiers"]["rules"]]
    params = {**PARAMS, "tiers": {**PARAMS["tiers"], "rules": rules,
                                  "roles": {"high_value": ["S", "Core"], "win_back": "Lapsed", "sleeping": ["Rest"]}}}
    result = backtest(*tables, AS_OF, params, tier_roles(params))
    assert result.customers.set_index("customer_id")["tier"].to_dict() == {
        "A": "Lapsed", "B": "Lapsed", "C": "Rest", "D": "Rest", "E": "Rest", "F": "Core"}
    assert list(result.tiers.index) == ["Core", "Lapsed", "Rest"]


def test_findings_and_tables_in_english(tables):
    from analysis.vocab import language

    with language("en"):
        result = backtest(*tables, AS_OF, PARAMS, ROLES)
        assert list(result.warnings.index) == ["90-day rule"]
        assert result.warnings.loc["90-day rule", "Precision"] == pytest.approx(1 / 2)
        assert result.tiers.index.name == "Tier at the cutoff"
        assert result.findings[0] == ("Of the 6 customers who had bought before the cutoff, 50% did not buy again "
                                      "in the 90 days after the 2026-05-04 cutoff")
        assert ("90-day rule: warned 2 customers; 50% of them did not buy again in the 90 days after the "
                "2026-05-04 cutoff (precision), 33% of all who stopped (recall)") in result.findings
