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

The model's ranking (stand-in models with a fixed P(no purchase in the period), the risk): the
warning list's, risk × spend to date at the cutoff (F 120,000, B 5,000, A 3,000, E 3,000,
D 2,500, C 500), the highest first, ties by spend and then id.
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
# params/base.yml with the template's fixed amounts (tiers.preset: template): the five tiers (流失预警
# = ≥ 90 days and ≥ 2,000 元; 潜力 = first order ≥ 5,000 元 and 1–2 orders; 核心 = 100,000–500,000 元
# with repurchase ≥ 70%), the 90-day churn rule with the 流失预警 floor of 2,000 元, P(active) < 0.5,
# at least 30 repeat customers, a 12-month window, cutoff 180 days, horizon 90 days, a verdict
# only with at least 30 customers who stopped and 30 warned by the rule
PARAMS = load_yaml(PARAMS_DIR / "base.yml")
PARAMS["tiers"]["preset"] = "template"
ROLES = tier_roles(PARAMS)


def with_churn(**changes):
    return {**PARAMS, "churn": {**PARAMS["churn"], **changes}}


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
    assert result.ranking.empty and result.gains.empty
    assert any(line.startswith("模型回测未进行：复购客户仅 3 位") for line in result.findings)
    assert result.verdict == "无法判断哪种预警更可信：模型未拟合，没有排名可与规则比较"
    assert result.headline == "回测（2026-05-04 起 90 天）无法判断预警是否可信：模型未拟合，没有排名可与规则比较。"
    assert result.rule_days == 90 and result.rule_min_spend == 2000


def test_tier_revenue_shares_by_hand(tables):
    tiers = backtest(*tables, AS_OF, PARAMS, ROLES).tiers
    # every tier of the run in tiers.display_order, the two nobody is in with no customers and no revenue
    assert list(tiers.index) == ["战略客户", "核心客户", "潜力客户", "流失预警客户", "普通客户"]
    assert tiers["客户数"].tolist() == [0, 1, 0, 2, 3]
    assert tiers["客户占比"].tolist() == pytest.approx([0, 1 / 6, 0, 2 / 6, 3 / 6])
    # next-period revenue: F 50,000 − 5,000; B 1,000; D 800 + 700 — total 47,500 (G is new, not counted)
    assert tiers["下期消费(元)"].tolist() == [0, 45000, 0, 1000, 1500]
    assert tiers["下期消费占比"].tolist() == pytest.approx([0, 45000 / 47500, 0, 1000 / 47500, 1500 / 47500])
    assert tiers["下期购买客户占比"].tolist()[1:2] + tiers["下期购买客户占比"].tolist()[3:] == pytest.approx(
        [1, 1 / 2, 1 / 3])
    assert tiers["下期购买客户占比"].iloc[[0, 2]].isna().all()
    assert tiers.loc["核心客户", "消费占比/客户占比"] == pytest.approx(45000 / 47500 * 6)
    assert tiers.loc["普通客户", "消费占比/客户占比"] == pytest.approx(1500 / 47500 * 2)


def test_new_customers_are_counted_apart(tables):
    result = backtest(*tables, AS_OF, PARAMS, ROLES)
    assert result.new_customers == 1 and result.new_customer_revenue == 300
    assert "另有 1 位新客户在截点后首次购买，消费 300 元，不在回测范围内" in result.findings


def _fake_model(calls, p_no_purchase=(0.5, 0.1, 0.9, 0.1, 0.7, 0.05),
                p_alive=(1.0, 1.0, 1.0, 0.9, 0.3, 0.2)):
    """A stand-in for a fitted model: fixed P(no purchase in the period) and P(active) for A–F.

    By default the warning list's ranking (risk × spend to date) is F 0.05 × 120,000 = 6,000,
    E 0.7 × 3,000 = 2,100, A 0.5 × 3,000 = 1,500, B 0.1 × 5,000 = 500, C 0.9 × 500 = 450,
    D 0.1 × 2,500 = 250.
    """
    def churn_model(history, cutoff, churn, *, rule_days=90):
        calls.append((history, cutoff, churn, rule_days))
        frame = pd.DataFrame({
            "customer_id": list("ABCDEF"),
            "frequency": [0.0, 0.0, 0.0, 1.0, 1.0, 3.0],
            "p_alive": list(p_alive),
            "p_no_purchase": list(p_no_purchase),
            "expected_purchases": [0.1, 0.2, 0.05, 1.5, 0.4, 2.0],
            "expected_next_purchase": pd.NaT,
            "expected_spend": [100.0] * 6,
            "predicted_clv": [1.0] * 6,
            "model_used": [True] * 6,
        })
        return frame, {"fitted": True, "value_model": True, "model": churn["model"], "message": "已拟合（测试替身）"}
    return churn_model


MODEL = "MBG/NBD模型（风险×历史消费前 10%）"     # churn.model mbgnbd, warn_top_share 0.10


def test_rule_model_and_combined_by_hand(tables, monkeypatch):
    calls = []
    monkeypatch.setattr(bt, "churn_model", _fake_model(calls))
    result = backtest(*tables, AS_OF, PARAMS, ROLES)
    history, cutoff, churn, rule_days = calls[0]
    # the model only sees the history up to the cutoff and predicts the scored period
    assert history["order_date"].max() <= pd.Timestamp("2026-05-04") and cutoff == pd.Timestamp("2026-05-04")
    assert churn["horizon_days"] == 90 and rule_days == 90 and churn["model"] == "mbgnbd"

    w = result.warnings
    assert list(w.index) == ["90天规则", MODEL, "规则或模型（组合）"]
    # the model warns the top 10% of 6 ranked customers, ⌈0.6⌉ = 1: F, who bought again
    assert w.loc[MODEL, ["预警客户数", "其中未再购买"]].tolist() == [1, 0]
    assert w.loc[MODEL, ["精确率", "召回率", "召回率(达消费门槛客户)"]].tolist() == [0, 0, 0]
    # combined (either): A, B, F warned; A stopped -> precision 1/3, recall 1/3; of the stopped
    # customers above the 2,000 元 floor (A, E) it finds A
    assert w.loc["规则或模型（组合）", ["预警客户数", "其中未再购买"]].tolist() == [3, 1]
    assert w.loc["规则或模型（组合）", "精确率"] == pytest.approx(1 / 3)
    assert w.loc["规则或模型（组合）", "召回率"] == pytest.approx(1 / 3)
    assert w.loc["规则或模型（组合）", "召回率(达消费门槛客户)"] == pytest.approx(1 / 2)

    # the rule's warnings (A, B) are both one-time buyers with P(active) 1, whom BG/NBD does not judge
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


def test_rule_warnings_split_by_the_models_p_active(tables, monkeypatch):
    # a model that judges one-time buyers too (MBG/NBD): A at 0.3, B at 0.8
    monkeypatch.setattr(bt, "churn_model", _fake_model([], p_alive=(0.3, 0.8, 0.5, 0.9, 0.3, 0.2)))
    split = backtest(*tables, AS_OF, PARAMS, ROLES).rule_by_model
    assert split.to_dict("index") == {"仍活跃概率<50%": {"预警客户数": 1, "其中未再购买": 1, "精确率": 1.0},
                                      "仍活跃概率≥50%": {"预警客户数": 1, "其中未再购买": 0, "精确率": 0.0}}


# P(no purchase) for A–F under which the warning list's top 2 both stopped: A 0.9 × 3,000 = 2,700,
# E 0.8 × 3,000 = 2,400, D 0.95 × 2,500 = 2,375, B 0.1 × 5,000 = 500, C 0.5 × 500 = 250,
# F 0.001 × 120,000 = 120; by risk alone D 0.95, A 0.9, E 0.8, C 0.5, B 0.1, F 0.001
BETTER = (0.9, 0.1, 0.5, 0.95, 0.8, 0.001)
# … and under which they both bought again: F 0.5 × 120,000 = 60,000, B 0.9 × 5,000 = 4,500, then
# A and E tie at 0.5 × 3,000 = 1,500 with the same spend (A first by id), D 1,250, C 250
WORSE = (0.5, 0.9, 0.5, 0.5, 0.5, 0.5)


def test_model_ranking_is_the_warning_lists(tables, monkeypatch):
    monkeypatch.setattr(bt, "churn_model", _fake_model([]))
    frame = backtest(*tables, AS_OF, PARAMS, ROLES).customers.set_index("customer_id")
    assert frame["risk"].to_dict() == pytest.approx({"A": 0.5, "B": 0.1, "C": 0.9, "D": 0.1, "E": 0.7, "F": 0.05})
    assert frame["risk_value"].to_dict() == pytest.approx(
        {"A": 1500, "B": 500, "C": 450, "D": 250, "E": 2100, "F": 6000})
    assert frame["model_rank"].to_dict() == {"F": 1, "E": 2, "A": 3, "B": 4, "C": 5, "D": 6}
    monkeypatch.setattr(bt, "churn_model", _fake_model([], WORSE))
    frame = backtest(*tables, AS_OF, PARAMS, ROLES).customers.set_index("customer_id")
    assert frame["model_rank"].to_dict() == {"F": 1, "B": 2, "A": 3, "E": 4, "D": 5, "C": 6}


def test_model_ranking_at_the_rule_count_by_hand(tables, monkeypatch):
    monkeypatch.setattr(bt, "churn_model", _fake_model([], BETTER))
    result = backtest(*tables, AS_OF, with_churn(verdict_min_customers=2, warn_top_n=3), ROLES)
    # stopped: A, C, E
    assert result.customers.set_index("customer_id")["model_rank"].to_dict() == {
        "A": 1, "E": 2, "D": 3, "B": 4, "C": 5, "F": 6}
    ranking = result.ranking
    assert list(ranking.index) == ["90天规则", "模型排名前N位（N=规则预警人数）", "模型排名前N位（N=模型预警人数）",
                                   "模型排名前N位（达到规则的召回率）", "按风险（不计价值）前N位（N=规则预警人数）"]
    assert list(ranking.columns) == ["预警客户数", "其中未再购买", "精确率", "召回率"]
    # the rule warns A (stopped) and B (bought): 1 of 2, 1 of the 3 who stopped
    assert ranking.iloc[0].tolist() == pytest.approx([2, 1, 1 / 2, 1 / 3])
    # the ranking's top 2, A and E, both stopped: 2 of 2, 2 of 3
    assert ranking.iloc[1].tolist() == pytest.approx([2, 2, 1, 2 / 3])
    # the model itself warns its top 3 (warn_top_n): A, E, D
    assert result.warnings.loc["MBG/NBD模型（风险×历史消费前 3 位）", ["预警客户数", "其中未再购买"]].tolist() == [3, 2]
    assert ranking.iloc[2].tolist() == pytest.approx([3, 2, 2 / 3, 2 / 3])
    # the rule's recall (1 of 3) is reached by the ranking's first customer, A
    assert ranking.iloc[3].tolist() == pytest.approx([1, 1, 1, 1 / 3])
    # by risk alone the top 2 are D (bought) and A (stopped)
    assert ranking.iloc[4].tolist() == pytest.approx([2, 1, 1 / 2, 1 / 3])
    # combined: A, B, D, E; A and E stopped
    assert result.warnings.loc["规则或模型（组合）", ["预警客户数", "其中未再购买"]].tolist() == [4, 2]

    assert result.verdict == ("按模型排名预警前 2 位，命中率 100.0%，同样数量下90天规则命中率 50.0%："
                              "模型更可信（高 50.0 个百分点）")
    # the summary's sentence: the same two hit rates (2 of 2, 1 of 2) in whole percent
    assert result.headline == ("回测（2026-05-04 起 90 天）：模型排名前 2 位客户中 100% 确实未再购买，"
                               "90天规则预警的同样人数只有 50%——模型的预警名单更可信。")
    assert result.verdict not in result.findings
    assert "按模型排名预警前 3 位（与模型自身的预警人数相同），命中率 66.7%，召回率 66.7%" in result.findings
    assert ("90天规则预警 2 位，命中率 50.0%，召回率 33.3%；按模型排名要达到同样的召回率需预警前 1 位，"
            "命中率 100.0%") in result.findings
    # six groups of one: the top group is A (1 of 6, stopped), the top three A, E, D hold 2 of the 3
    assert ("模型排名前 17% 的客户中 100% 未再购买，是全体的 2.0 倍；排名前 50% 的客户覆盖了全部未再购买客户的 67%"
            in result.findings)


def test_ranking_by_risk_alone_is_a_params_change(tables, monkeypatch):
    # churn.value_basis none: the warning list ranks by risk alone, and the backtest follows it
    monkeypatch.setattr(bt, "churn_model", _fake_model([], BETTER))
    result = backtest(*tables, AS_OF, with_churn(value_basis="none", verdict_min_customers=2), ROLES)
    assert result.customers.set_index("customer_id")["model_rank"].to_dict() == {
        "D": 1, "A": 2, "E": 3, "C": 4, "B": 5, "F": 6}
    assert list(result.warnings.index)[1] == "MBG/NBD模型（风险前 10%）"
    # its top 2, D (bought) and A (stopped), as by risk alone: 1 of 2, as the rule
    assert result.ranking.iloc[1].tolist() == result.ranking.iloc[4].tolist() == pytest.approx([2, 1, 1 / 2, 1 / 3])
    assert result.verdict.endswith("两者一样可信（相差 0.0 个百分点）")


def test_gains_by_hand(tables, monkeypatch):
    monkeypatch.setattr(bt, "churn_model", _fake_model([], BETTER))
    gains = backtest(*tables, AS_OF, PARAMS, ROLES).gains
    # six customers -> six groups of one, in the ranking's order A, E, D, B, C, F; stopped: A, E, C
    assert gains.index.name == "模型排名分组(1=最先预警)" and list(gains.index) == [1, 2, 3, 4, 5, 6]
    assert gains["客户数"].tolist() == [1] * 6
    assert gains["未再购买客户数"].tolist() == [1, 1, 0, 0, 1, 0]
    assert gains["组内未再购买率"].tolist() == [1, 1, 0, 0, 1, 0]
    assert gains["提升度"].tolist() == pytest.approx([2, 2, 0, 0, 2, 0])      # against 3 of 6 overall
    assert gains["平均流失风险"].tolist() == pytest.approx([0.9, 0.8, 0.95, 0.1, 0.5, 0.001])
    assert gains["累计客户占比"].tolist() == pytest.approx([1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 1])
    assert gains["累计覆盖未再购买客户占比"].tolist() == pytest.approx([1 / 3, 2 / 3, 2 / 3, 2 / 3, 1, 1])
    assert gains["累计提升度"].tolist() == pytest.approx([2, 2, 4 / 3, 1, 6 / 5, 1])
    # by risk alone: D (bought), A, E, C (stopped), B, F
    assert gains["按风险（不计价值）排名的累计覆盖占比"].tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1, 1, 1])


def test_gains_table_in_ten_groups_by_hand():
    # 20 customers, listed out of order; ranks 1, 2, 3, 5, 8, 13 and 20 stopped (7 of 20 = 0.35)
    rank = pd.Series([20, 1, 13, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19])
    stopped = rank.isin([1, 2, 3, 5, 8, 13, 20])
    gains = bt.gains_table(rank, stopped, risk=1 - rank / 100, by_risk=21 - rank)
    # groups of two by rank: (1, 2) (3, 4) (5, 6) (7, 8) (9, 10) (11, 12) (13, 14) … (19, 20)
    assert gains["客户数"].tolist() == [2] * 10
    assert gains["未再购买客户数"].tolist() == [2, 1, 1, 1, 0, 0, 1, 0, 0, 1]
    assert gains["累计覆盖未再购买客户占比"].tolist() == pytest.approx(
        [2 / 7, 3 / 7, 4 / 7, 5 / 7, 5 / 7, 5 / 7, 6 / 7, 6 / 7, 6 / 7, 1])
    assert gains["提升度"].iloc[0] == pytest.approx(1 / 0.35)
    assert gains["累计提升度"].iloc[1] == pytest.approx((3 / 7) / 0.2)
    assert gains["平均流失风险"].iloc[0] == pytest.approx(1 - 1.5 / 100)
    # the reversed order: (20, 19) holds 1, (18, 17) 0, (16, 15) 0, (14, 13) 1, … (2, 1) 2
    assert gains["按风险（不计价值）排名的累计覆盖占比"].tolist() == pytest.approx(
        [1 / 7, 1 / 7, 1 / 7, 2 / 7, 2 / 7, 2 / 7, 3 / 7, 4 / 7, 5 / 7, 1])


def test_verdict_rule_better_equal_and_undecided(tables, monkeypatch):
    monkeypatch.setattr(bt, "churn_model", _fake_model([], WORSE))
    result = backtest(*tables, AS_OF, with_churn(verdict_min_customers=2), ROLES)
    # the ranking's top 2, F and B, both bought again: 0 of 2 against the rule's 1 of 2
    assert result.ranking.iloc[1].tolist() == pytest.approx([2, 0, 0, 0])
    assert result.verdict == ("按模型排名预警前 2 位，命中率 0.0%，同样数量下90天规则命中率 50.0%："
                              "90天规则更可信（高 50.0 个百分点）")
    # the first who stopped in the ranking is A, 3rd: the model needs 3 for the rule's recall
    assert result.ranking.iloc[3].tolist() == pytest.approx([3, 1, 1 / 3, 1 / 3])

    monkeypatch.setattr(bt, "churn_model", _fake_model([]))
    # the ranking's top 2, F and E: 1 of 2, as the rule
    assert backtest(*tables, AS_OF, with_churn(verdict_min_customers=2), ROLES).verdict == (
        "按模型排名预警前 2 位，命中率 50.0%，同样数量下90天规则命中率 50.0%：两者一样可信（相差 0.0 个百分点）")
    # 3 stopped and 2 warned by the rule: a threshold of 3 stops at the list, one of 4 at the churners
    assert backtest(*tables, AS_OF, with_churn(verdict_min_customers=3), ROLES).verdict == (
        "无法判断哪种预警更可信：90天规则仅预警 2 位（少于 3 位），同样数量下比较的名单太短")
    assert backtest(*tables, AS_OF, with_churn(verdict_min_customers=4), ROLES).verdict == (
        "无法判断哪种预警更可信：回测期内未再购买的客户仅 3 位（少于 4 位）")


def test_verdict_compares_the_precisions_as_shown():
    # 66.7% − 33.3% is 33.4 points as read, though 2/3 − 1/3 is 33.33…
    assert bt.verdict(fitted=True, rule_name="90天规则", rule_warned=30, rule_precision=1 / 3,
                      model_precision=2 / 3, stopped=40, minimum=30) == (
        "按模型排名预警前 30 位，命中率 66.7%，同样数量下90天规则命中率 33.3%：模型更可信（高 33.4 个百分点）")


def test_switching_the_model_off_is_a_params_change(tables):
    result = backtest(*tables, AS_OF, with_churn(model="none"), ROLES)
    assert not result.model_status["fitted"] and result.model_status["model"] == "none"
    assert result.ranking.empty and result.gains.empty
    assert result.verdict == "无法判断哪种预警更可信：模型未拟合，没有排名可与规则比较"
    assert result.headline == "回测（2026-05-04 起 90 天）无法判断预警是否可信：模型未拟合，没有排名可与规则比较。"


def test_rule_thresholds_resolved_on_the_cutoff_customers(tables):
    # positions resolve on the six customers as they were at the cutoff:
    # days since last purchase 123 (A), 109 (B), 154 (C), 14 (D), 64 (E), 9 (F) -> lower median 64;
    # spend 3,000, 5,000, 500, 2,500, 3,000, 120,000 -> lower median 3,000
    params = {**PARAMS, "tiers": {**PARAMS["tiers"], "churn_days": {"quantile": 0.5},
                                  "churn_min_spend": {"quantile": 0.5}}}
    result = backtest(*tables, AS_OF, params, ROLES)
    assert result.rule_days == 64 and result.rule_min_spend == 3000
    # the rule now warns A, B and E (E: 64 days, 3,000 元); A and E stopped
    assert result.customers.loc[result.customers["rule_warning"], "customer_id"].tolist() == ["A", "B", "E"]
    row = result.warnings.loc["64天规则"]
    assert row[["预警客户数", "其中未再购买"]].tolist() == [3, 2]
    assert row["精确率"] == pytest.approx(2 / 3) and row["召回率"] == pytest.approx(2 / 3)


def test_period_is_cut_at_the_as_of_date(tables):
    params = {**PARAMS, "churn": {**PARAMS["churn"], "backtest_cutoff_days": 30}}
    result = backtest(*tables, AS_OF, params, ROLES)
    assert result.horizon_days == 30 and result.end == AS_OF
    assert result.findings[0] == "截点距分析基准日仅 30 天，评估期由 90 天缩短为 30 天"


@pytest.mark.parametrize("model, name", [("mbgnbd", "MBG/NBD"), ("bgnbd", "BG/NBD")])
def test_fitted_model_on_simulated_history(model, name):
    from tests.steps.test_churn import simulate

    orders = simulate(1500, r=0.8, alpha=6.0, a=0.6, b=3.0, weeks=104, seed=5)
    orders["order_id"] = [f"O{i}" for i in range(len(orders))]
    customers = pd.DataFrame({"customer_id": orders["customer_id"].unique()})
    result = backtest(orders, customers, AS_OF, with_churn(model=model), ROLES)
    # the model backtested is the one churn.model names
    assert result.model_status["fitted"], result.model_status["message"]
    assert result.model_status["model"] == model and result.warnings.index[1].startswith(name + "模型")

    # the fair comparison recomputed with plain pandas: the top k by P(no purchase) × spend at the
    # cutoff (ties by spend, then id), k = the rule's warnings
    frame = result.customers
    stopped = ~frame["bought_next"]
    k = int(frame["rule_warning"].sum())
    top = (frame.assign(score=frame["risk"] * frame["total_spend"])
           .sort_values(["score", "total_spend", "customer_id"], ascending=[False, False, True]).head(k))
    assert k > 30 and result.ranking.iloc[1]["预警客户数"] == k
    assert result.ranking.iloc[1]["精确率"] == pytest.approx((~top["bought_next"]).mean())
    assert result.ranking.iloc[0]["精确率"] == pytest.approx(stopped[frame["rule_warning"]].mean())
    # … and by risk alone
    by_risk = frame.sort_values(["risk", "total_spend", "customer_id"], ascending=[False, False, True]).head(k)
    assert result.ranking.iloc[4]["精确率"] == pytest.approx((~by_risk["bought_next"]).mean())
    # the gain ends at every churner, and the top group of the risk-alone ranking stops more than average
    assert result.gains["累计覆盖未再购买客户占比"].iloc[-1] == pytest.approx(1.0)
    assert result.gains["按风险（不计价值）排名的累计覆盖占比"].iloc[0] > 0.1
    assert result.verdict.startswith("按模型排名预警前 {:,} 位".format(k))
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
    def renamed(rules):
        return [{**rule, "tier": names[rule["tier"]]} for rule in rules]

    params = {**PARAMS, "tiers": {**PARAMS["tiers"], "rules": renamed(PARAMS["tiers"]["rules"]),
                                  "presets": {"template": renamed(PARAMS["tiers"]["presets"]["template"])},
                                  "roles": {"high_value": ["S", "Core"], "win_back": "Lapsed", "sleeping": ["Rest"]}}}
    result = backtest(*tables, AS_OF, params, tier_roles(params))
    assert result.customers.set_index("customer_id")["tier"].to_dict() == {
        "A": "Lapsed", "B": "Lapsed", "C": "Rest", "D": "Rest", "E": "Rest", "F": "Core"}
    # display_order names none of them: the rules' order, every tier listed
    assert list(result.tiers.index) == ["S", "Core", "Lapsed", "P", "Rest"]
    assert result.tiers["客户数"].tolist() == [0, 1, 2, 0, 3]


def test_findings_and_tables_in_english(tables):
    from analysis.vocab import language

    with language("en"):
        result = backtest(*tables, AS_OF, PARAMS, ROLES)
        assert list(result.warnings.index) == ["90-day rule"]
        assert result.warnings.loc["90-day rule", "Precision"] == pytest.approx(1 / 2)
        assert result.tiers.index.name == "Tier at the cutoff"
        assert result.verdict == (
            "Which warning to trust cannot be judged: no model was fitted, so there is no ranking to compare "
            "with the rule")
        assert result.findings[0] == ("Of the 6 customers who had bought before the cutoff, 50% did not buy again "
                                      "in the 90 days after the 2026-05-04 cutoff")
        assert ("90-day rule: warned 2 customers; 50% of them did not buy again in the 90 days after the "
                "2026-05-04 cutoff (precision), 33% of all who stopped (recall)") in result.findings


def test_verdict_in_english(tables, monkeypatch):
    from analysis.vocab import language

    monkeypatch.setattr(bt, "churn_model", _fake_model([], BETTER))
    with language("en"):
        result = backtest(*tables, AS_OF, with_churn(verdict_min_customers=2), ROLES)
        assert result.verdict == ("Warning the model's top 2 customers hits 100.0%; the 90-day rule, warning as "
                                  "many, hits 50.0%: trust the model (by 50.0 percentage points)")
        assert list(result.ranking.index)[1] == "Model's top N (N = the rule's warnings)"
        assert result.gains.index.name == "Model ranking group (1 = warned first)"
        assert list(result.warnings.index)[1] == "MBG/NBD model (risk × spend to date, the top 10%)"
