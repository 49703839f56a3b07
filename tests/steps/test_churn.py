"""Step 04's churn chain and warning (analysis/steps/churn.py): the per-customer summary, the
model fit on orders with its fallbacks, and the risk × value warning beside the plain rule.

The model maths and the published CDNOW fits are tested in tests/steps/test_churn_models.py.
"""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis.steps.churn as clv
from analysis.steps.churn import (
    BGNBDFit, GammaGammaFit, MBGNBDFit, churn_model, churn_warnings, median_wait, summarise_orders,
    warning_summary,
)

AS_OF = pd.Timestamp("2026-10-31")
CHURN = {"model": "mbgnbd", "time_unit_days": 7, "horizon_days": 90, "p_alive_threshold": 0.5,
         "value_basis": "history", "warn_top_share": 0.1, "warn_top_n": None,
         "min_repeat_customers": 30, "clv_horizon_months": 12, "annual_discount_rate": 0.10,
         "backtest_cutoff_days": 180}
# The template's churn rule: 90 days without a purchase, 2,000 元 spent to date.
RULE = {"days": 90, "min_spend": 2000}
WEEKS = 7  # the model's time unit in days (churn.time_unit_days), as in the published CDNOW fit


def test_params_group_matches_base_yml():
    # CHURN above is the churn group of params/base.yml with the model's keys: same keys
    from analysis.config import PARAMS_DIR
    from analysis.params import load_yaml

    base = load_yaml(PARAMS_DIR / "base.yml")["churn"]
    assert set(CHURN) <= set(base)
    assert base["model"] == "mbgnbd" and base["warn_top_n"] is None


# --------------------------------------------------------------------------- summary


def _orders(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount", "is_purchase"])
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    # a cancelled order (is_purchase False with a positive amount) adds nothing
    frame["net_amount"] = np.where(~frame["is_purchase"] & (frame["amount"] > 0), 0.0, frame["amount"])
    return frame


def test_summarise_orders_by_hand():
    orders = _orders([
        ("A", "2026-01-01", 100.0, True),   # first purchase day
        ("A", "2026-01-15", 30.0, True),    # two orders on one day: one purchase day worth 70 − 10
        ("A", "2026-01-15", 40.0, True),
        ("A", "2026-01-15", -10.0, False),  # same-day return, netted into that day
        ("A", "2026-01-22", 500.0, False),  # cancelled: no purchase day
        ("A", "2026-01-29", 80.0, True),    # second repeat day
        ("A", "2026-02-05", -80.0, False),  # return on a day without purchase: ignored
        ("B", "2026-01-08", 50.0, True),    # one-time buyer
        ("C", "2026-03-01", 20.0, True),    # after as-of: not a customer yet
    ])
    s = summarise_orders(orders, "2026-02-12", unit_days=WEEKS).set_index("customer_id")
    assert list(s.index) == ["A", "B"]
    # A: purchase days Jan 1, 15, 29 -> x = 2, t_x = 28 days = 4 weeks, T = 42 days = 6 weeks,
    #    repeat days worth 60 and 80 -> mean 70
    assert s.loc["A"].to_dict() == {"frequency": 2.0, "recency": 4.0, "T": 6.0, "monetary_value": 70.0}
    # B: x = 0, t_x = 0, T = 35 days = 5 weeks, no repeat spend
    assert s.loc["B"].to_dict() == {"frequency": 0.0, "recency": 0.0, "T": 5.0, "monetary_value": 0.0}
    days = summarise_orders(orders, "2026-02-12", unit_days=1).set_index("customer_id")
    assert days.loc["A", "recency"] == 28 and days.loc["A", "T"] == 42


def test_summarise_orders_with_hold_out():
    orders = _orders([
        ("A", "2026-01-01", 100.0, True), ("A", "2026-01-15", 60.0, True),
        ("A", "2026-02-01", 30.0, True), ("A", "2026-02-01", 20.0, True), ("A", "2026-02-10", -5.0, False),
        ("B", "2026-01-08", 50.0, True),
        ("C", "2026-01-20", 20.0, True),   # first purchase in the hold-out: not in the calibration
    ])
    s = summarise_orders(orders, "2026-02-12", unit_days=WEEKS, calibration_end="2026-01-15").set_index("customer_id")
    assert list(s.index) == ["A", "B"]
    assert s.loc["A", "frequency"] == 1 and s.loc["A", "T"] == 2 and s.loc["A", "monetary_value"] == 60
    # hold-out Jan 16 – Feb 12: A bought on one day (50) and returned 5; B nothing; 28 days = 4 weeks
    assert s.loc["A", "frequency_holdout"] == 1 and s.loc["A", "monetary_holdout"] == 45
    assert s.loc["B", "frequency_holdout"] == 0 and s.loc["B", "monetary_holdout"] == 0
    assert s["duration_holdout"].tolist() == [4.0, 4.0]


# --------------------------------------------------------------------------- whole chain and degradation


def simulate(n, r, alpha, a, b, weeks=104, seed=0, modified=False, spend=(4.0, 50.0)):
    """Orders simulated from the BG/NBD story (``modified``: MBG/NBD, where the customer may
    also drop out right after the first purchase), first purchases spread over the first year;
    spend per order ~ Gamma(shape, scale) of ``spend``."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    start = AS_OF - pd.Timedelta(weeks=weeks)
    rows = []
    for i in range(n):
        t = rng.uniform(0, weeks / 2)
        rows.append((f"C{i:05d}", t))
        if modified and rng.random() < p[i]:
            continue
        while True:
            t += rng.exponential(1 / lam[i])
            if t > weeks:
                break
            rows.append((f"C{i:05d}", t))
            if rng.random() < p[i]:
                break
    ids, week = zip(*rows)
    orders = pd.DataFrame({"customer_id": ids, "order_date": start + pd.to_timedelta(np.array(week) * 7, unit="D")})
    orders["order_date"] = orders["order_date"].dt.normalize()
    orders["amount"] = np.round(rng.gamma(spend[0], spend[1], len(orders)), 2)
    orders["net_amount"] = orders["amount"]
    orders["is_purchase"] = True
    return orders


def features_of(orders):
    """The segments-table columns churn_warnings reads, worked out with plain pandas."""
    per = orders.groupby("customer_id").agg(last=("order_date", "max"), total_spend=("net_amount", "sum"))
    return pd.DataFrame({"customer_id": per.index, "days_since_last": (AS_OF - per["last"]).dt.days.astype(float),
                         "total_spend": per["total_spend"].to_numpy()}).reset_index(drop=True)


@pytest.fixture(scope="module")
def simulated():
    return simulate(3000, r=0.8, alpha=6.0, a=0.6, b=3.0)


@pytest.fixture(scope="module")
def simulated_mbg():
    # dropout likely right after the first purchase: about half the base buys once
    return simulate(3000, r=0.8, alpha=6.0, a=1.0, b=1.5, modified=True, seed=3)


def test_bgnbd_fits_and_recovers_simulated_parameters(simulated):
    frame, status = churn_model(simulated, AS_OF, {**CHURN, "model": "bgnbd"}, rule_days=90)
    assert status["fitted"] and status["value_model"], status["message"]
    assert status["message"].startswith("已拟合 BG/NBD 模型")
    assert list(frame.columns) == clv.MODEL_COLUMNS
    assert len(frame) == simulated["customer_id"].nunique()
    assert frame["model_used"].all()
    fitted = status["purchase_model"]
    # 3,000 simulated customers pin r and α down well, the dropout Beta's mean less so
    assert fitted["r"] == pytest.approx(0.8, rel=0.1)
    assert fitted["alpha"] == pytest.approx(6.0, rel=0.15)
    assert fitted["a"] / (fitted["a"] + fitted["b"]) == pytest.approx(0.6 / 3.6, rel=0.15)
    # spend per purchase was drawn from Gamma(4, 50): mean 200 元
    gg = status["gamma_gamma"]
    assert gg["p"] * gg["v"] / (gg["q"] - 1) == pytest.approx(200, rel=0.05)
    one_time = frame["frequency"] == 0
    assert (frame.loc[one_time, "p_alive"] == 1).all()
    assert frame[["p_alive", "p_no_purchase", "expected_purchases", "expected_spend", "predicted_clv"]
                 ].notna().all().all()
    assert (frame["predicted_clv"] >= 0).all()


def test_mbgnbd_fits_and_recovers_simulated_parameters(simulated_mbg):
    frame, status = churn_model(simulated_mbg, AS_OF, CHURN, rule_days=90)
    assert status["fitted"] and status["model"] == "mbgnbd", status["message"]
    assert status["message"].startswith("已拟合 MBG/NBD 模型")
    fitted = status["purchase_model"]
    # half the simulated customers leave after one purchase, so r and α are looser than above
    # (0.67–0.92 for r over seeds 3–6); their ratio, the mean purchase rate, is tight
    assert fitted["r"] == pytest.approx(0.8, rel=0.2)
    assert fitted["r"] / fitted["alpha"] == pytest.approx(0.8 / 6.0, rel=0.05)
    assert fitted["a"] / (fitted["a"] + fitted["b"]) == pytest.approx(1.0 / 2.5, rel=0.15)
    # one-time buyers get a real dropout probability, lower the longer they have been silent
    once = frame[frame["frequency"] == 0].merge(summarise_orders(simulated_mbg, AS_OF, unit_days=WEEKS)[
        ["customer_id", "T"]], on="customer_id").sort_values("T")
    assert len(once) > 1000
    assert (once["p_alive"] < 1).all() and (np.diff(once["p_alive"].to_numpy()) <= 1e-15).all()
    assert ((frame["p_no_purchase"] >= 0) & (frame["p_no_purchase"] <= 1)).all()


def test_expected_next_purchase_by_hand(simulated_mbg):
    frame, status = churn_model(simulated_mbg, AS_OF, CHURN, rule_days=90)
    fit = MBGNBDFit(*(status["purchase_model"][k] for k in ("r", "alpha", "a", "b")), np.nan, True, "")
    summary = summarise_orders(simulated_mbg, AS_OF, unit_days=WEEKS).set_index("customer_id")
    frame = frame.set_index("customer_id")
    # as-of + the median wait given active, in whole days; blank when P(active) < 0.5 or the
    # date is more than 12 months (365.25 days) away
    wait = pd.Series(median_wait(fit, summary["frequency"], summary["T"]) * 7, index=summary.index)
    shown = (frame["p_alive"] >= 0.5) & (wait <= 365.25)
    assert shown.any() and (~shown).any()
    expected = (AS_OF + pd.to_timedelta(wait.round(), unit="D")).where(shown)
    assert frame["expected_next_purchase"].isna().equals(~shown)
    pd.testing.assert_series_equal(frame.loc[shown, "expected_next_purchase"], expected[shown],
                                   check_names=False, check_dtype=False)
    assert (frame.loc[shown, "expected_next_purchase"] > AS_OF).all()


def test_too_few_repeat_customers_degrades(simulated):
    few = simulated[simulated["customer_id"] < "C00030"]
    frame, status = churn_model(few, AS_OF, {**CHURN, "min_repeat_customers": 1000}, rule_days=90)
    n_repeat = status["n_repeat"]
    assert 0 < n_repeat < 30
    assert not status["fitted"] and not status["value_model"]
    assert status["message"] == f"复购客户仅 {n_repeat} 位（少于 1,000 位），未拟合模型，仅按 90 天规则预警"
    assert frame["p_alive"].isna().all() and frame["predicted_clv"].isna().all()
    assert frame["expected_next_purchase"].isna().all()
    assert not frame["model_used"].any()
    assert len(frame) == few["customer_id"].nunique()


def test_model_none_degrades(simulated):
    frame, status = churn_model(simulated, AS_OF, {**CHURN, "model": "none"}, rule_days=60)
    assert not status["fitted"]
    assert status["message"] == "流失预测模型设为“不用模型”，未拟合模型，仅按 60 天规则预警"
    assert frame["p_alive"].isna().all()


def test_unknown_model_degrades(simulated):
    _, status = churn_model(simulated, AS_OF, {**CHURN, "model": "pareto"}, rule_days=90)
    assert not status["fitted"] and "pareto" in status["message"]


def test_no_orders_degrades():
    empty = _orders([])
    frame, status = churn_model(empty, AS_OF, CHURN, rule_days=90)
    assert frame.empty and not status["fitted"]
    assert status["message"].startswith("复购客户仅 0 位")


@pytest.mark.parametrize("model, name, fit", [("bgnbd", "BG/NBD", BGNBDFit), ("mbgnbd", "MBG/NBD", MBGNBDFit)])
def test_non_convergence_degrades(simulated, monkeypatch, model, name, fit):
    monkeypatch.setattr(clv, f"fit_{model}", lambda *a: fit(np.nan, 1.0, 1.0, 1.0, np.nan, False,
                                                            "参数不是有限数值（NaN/inf）"))
    frame, status = churn_model(simulated, AS_OF, {**CHURN, "model": model}, rule_days=90)
    assert not status["fitted"]
    assert status["message"] == f"{name} 模型不可用：参数不是有限数值（NaN/inf），仅按 90 天规则预警"
    assert frame["p_alive"].isna().all()


def test_value_model_failure_keeps_the_churn_model(simulated, monkeypatch):
    monkeypatch.setattr(clv, "fit_gamma_gamma", lambda *a: GammaGammaFit(1.0, 0.5, 1.0, np.nan, False,
                                                                         "q=0.5 ≤ 1，平均客单价不存在"))
    frame, status = churn_model(simulated, AS_OF, CHURN, rule_days=90)
    assert status["fitted"] and not status["value_model"]
    assert "Gamma-Gamma 消费模型不可用" in status["message"]
    assert frame["p_alive"].notna().all() and frame["predicted_clv"].isna().all()
    # the warning can still rank by spend to date; asked for CLV it says it fell back
    warned = churn_warnings(features_of(simulated), frame, **RULE, churn_params={**CHURN, "value_basis": "clv"})
    assert warned.attrs["value_basis"] == "history" and warned["model_warning"].sum() == 300
    assert warning_summary(warned, {**CHURN, "value_basis": "clv"}, status, rule_days=90).endswith(
        "（预测终身价值不可用，改按历史消费排序）")


# --------------------------------------------------------------------------- the warning


def _hand_made():
    """Ten customers the model scored and one who never bought. Risk × spend, by hand:
    C 0.2·10000 = 2000, B 0.5·3000 = 1500, E 0.6·2000 = 1200, G 0.8·1500 = 1200 (E first: more
    spent), A 0.9·1000 = 900, I 0.7·800 = 560, F 0.1·5000 = 500, D 0.95·100 = 95, J 0.99·50 = 49.5,
    H 0.3·0 = 0."""
    ids = list("ABCDEFGHIJ")
    features = pd.DataFrame({
        "customer_id": ids + ["K"],
        "days_since_last": [120.0, 100.0, 10.0, 200.0, 30.0, 5.0, 95.0, 300.0, 60.0, 400.0, np.nan],
        "total_spend": [1000.0, 3000.0, 10000.0, 100.0, 2000.0, 5000.0, 1500.0, 0.0, 800.0, 50.0, 0.0],
    })
    model = pd.DataFrame({
        "customer_id": ids,
        "frequency": [1.0, 3.0, 9.0, 0.0, 2.0, 12.0, 0.0, 0.0, 1.0, 0.0],
        "p_alive": [0.1, 0.5, 0.8, 0.05, 0.4, 0.9, 0.2, 0.7, 0.3, 0.01],
        "p_no_purchase": [0.9, 0.5, 0.2, 0.95, 0.6, 0.1, 0.8, 0.3, 0.7, 0.99],
        "expected_next_purchase": pd.to_datetime(["2026-12-01"] * 10),
        "predicted_clv": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0],
        "model_used": [True] * 10,
    })
    return features, model


def _warned(out):
    return sorted(out.loc[out["model_warning"], "customer_id"])


def test_warning_takes_exactly_the_top_share_by_risk_times_value():
    features, model = _hand_made()
    out = churn_warnings(features, model, days=90, min_spend=1000, churn_params={**CHURN, "warn_top_share": 0.3})
    assert list(out.columns) == clv.WARNING_COLUMNS and len(out) == 11
    by_id = out.set_index("customer_id")
    assert by_id["risk_value"].drop("K").to_dict() == pytest.approx(
        {"A": 900, "B": 1500, "C": 2000, "D": 95, "E": 1200, "F": 500, "G": 1200, "H": 0, "I": 560, "J": 49.5})
    assert by_id["risk_value_rank"].drop("K").to_dict() == {"C": 1, "B": 2, "E": 3, "G": 4, "A": 5, "I": 6, "F": 7,
                                                            "D": 8, "J": 9, "H": 10}
    assert pd.isna(by_id.loc["K", "risk_value_rank"]) and pd.isna(by_id.loc["K", "risk_value"])
    # ⌈0.3 · 10⌉ = 3 of the 10 ranked (K never bought): C, B, E — not G, tied with E but spent less
    assert _warned(out) == ["B", "C", "E"]
    assert by_id["churn_warning"].equals(by_id["model_warning"])
    # the rule (≥ 90 days, ≥ 1,000 元) is the baseline beside it: A, B and G
    assert sorted(out.loc[out["rule_warning"], "customer_id"]) == ["A", "B", "G"]
    assert by_id.loc["B", "warning_reason"] == ("100天未购买，历史消费3,000元；"
                                                "模型估计未来90天不购买概率 50%，按风险×历史消费排第 2 位")
    assert by_id.loc["C", "warning_reason"] == "模型估计未来90天不购买概率 20%，按风险×历史消费排第 1 位"
    assert pd.isna(by_id.loc["A", "warning_reason"])   # the rule alone does not put A on the list
    assert (by_id["expected_next_purchase"].drop("K") == pd.Timestamp("2026-12-01")).all()


@pytest.mark.parametrize("cut, warned", [
    ({"warn_top_share": 0.25}, ["B", "C", "E"]),           # ⌈2.5⌉ = 3
    ({"warn_top_share": 0.05}, ["C"]),                     # ⌈0.5⌉ = 1: at least one
    ({"warn_top_n": 5}, ["A", "B", "C", "E", "G"]),        # warn_top_n wins over the share
    ({"warn_top_n": 50}, list("ABCDEFGIJ")),               # all ranked but H, whose risk × value is 0
    ({"warn_top_share": 1.0}, list("ABCDEFGIJ")),
])
def test_warning_cut_by_share_or_count(cut, warned):
    features, model = _hand_made()
    out = churn_warnings(features, model, days=90, min_spend=1000, churn_params={**CHURN, **cut})
    assert _warned(out) == warned


def test_warning_on_predicted_lifetime_value():
    features, model = _hand_made()
    out = churn_warnings(features, model, days=90, min_spend=1000,
                         churn_params={**CHURN, "value_basis": "clv", "warn_top_n": 3})
    # risk × CLV: J 99, D 38, G 56, I 63, E 30, … -> J, I, G
    assert out.attrs["value_basis"] == "clv"
    assert _warned(out) == ["G", "I", "J"]
    # J spent 50 元, below the rule's floor of 1,000 元, which plays no part in the ranking
    assert out.set_index("customer_id").loc["J", "warning_reason"] == (
        "模型估计未来90天不购买概率 99%，按风险×预测终身价值排第 1 位")


def test_warning_on_risk_alone():
    features, model = _hand_made()
    out = churn_warnings(features, model, days=90, min_spend=1000,
                         churn_params={**CHURN, "value_basis": "none", "warn_top_n": 3})
    # P(no purchase): J 0.99, D 0.95, A 0.9, G 0.8, …
    assert _warned(out) == ["A", "D", "J"] and out.attrs["value_basis"] == "none"
    by_id = out.set_index("customer_id")
    assert by_id["risk_value"].drop("K").tolist() == model["p_no_purchase"].tolist()
    assert by_id["warning_value"].isna().all()
    assert by_id.loc["D", "warning_reason"] == "模型估计未来90天不购买概率 95%，按风险排第 2 位"


def test_without_a_model_the_rule_decides():
    features, model = _hand_made()
    unfitted = model.assign(p_alive=np.nan, p_no_purchase=np.nan, predicted_clv=np.nan, model_used=False)
    for frame in (None, unfitted):
        out = churn_warnings(features, frame, days=90, min_spend=1000, churn_params=CHURN)
        assert sorted(out.loc[out["churn_warning"], "customer_id"]) == ["A", "B", "G"]
        assert not out["model_warning"].any() and out["risk_value_rank"].isna().all()
        assert out.set_index("customer_id").loc["A", "warning_reason"] == "120天未购买，历史消费1,000元"
    summary = warning_summary(out, CHURN, {"fitted": False}, rule_days=90)
    assert summary == "未使用模型，按 90 天规则预警 3 位客户"


def test_warning_needs_the_cut_or_the_earlier_threshold():
    features, model = _hand_made()
    with pytest.raises(TypeError):
        churn_warnings(features, model, days=90, min_spend=1000)
    # tiers.churn_min_spend: null or a position must be resolved first, not compared as is
    for unresolved in (None, {"quantile": 0.25}):
        with pytest.raises(TypeError, match="resolve_tiers"):
            churn_warnings(features, model, days=90, min_spend=unresolved, churn_params=CHURN)


def test_earlier_threshold_warning_still_answers():
    # the call written before the ranking (backtest): model = P(active) below the threshold, no
    # spend floor and one-time buyers included; the list is rule or model
    features, model = _hand_made()
    out = churn_warnings(features, model, days=90, min_spend=1000, p_alive_threshold=0.25)
    assert _warned(out) == ["A", "D", "G", "J"]
    assert sorted(out.loc[out["churn_warning"], "customer_id"]) == ["A", "B", "D", "G", "J"]
    assert out.set_index("customer_id").loc["D", "warning_reason"] == "模型估计仍活跃概率 5%"
    rule_only = churn_warnings(features, None, days=90, min_spend=1000, p_alive_threshold=0.25)
    assert sorted(rule_only.loc[rule_only["churn_warning"], "customer_id"]) == ["A", "B", "G"]


def test_warning_summary_sentence():
    features, model = _hand_made()
    out = churn_warnings(features, model, days=90, min_spend=1000, churn_params={**CHURN, "warn_top_share": 0.3})
    assert warning_summary(out, {**CHURN, "warn_top_share": 0.3}, {"fitted": True}, rule_days=90) == (
        "模型按风险×历史消费排序（风险＝未来90天不购买的概率），预警前 30%：3 位（共 10 位客户参与排序）；"
        "90 天规则作为对照会预警 3 位，两者重合 1 位")


# --------------------------------------------------------------------------- bases the fixed floor missed


def test_small_amounts_still_yield_warnings():
    # spend tens of 元 an order: the template's floor of 2,000 元 warns nobody, the ranking warns
    # the top 10 % of the customers who bought
    orders = simulate(1500, r=0.8, alpha=6.0, a=1.0, b=1.5, modified=True, seed=5, spend=(2.0, 15.0))
    features = features_of(orders)
    assert features["total_spend"].median() < 100
    frame, status = churn_model(orders, AS_OF, CHURN, rule_days=90)
    assert status["fitted"], status["message"]
    out = churn_warnings(features, frame, **RULE, churn_params=CHURN)
    assert not out["rule_warning"].any()
    assert out["churn_warning"].sum() == math.ceil(0.1 * 1500) == 150
    # the warned are the highest risk × spend: none unwarned scores above the lowest warned
    warned = out["churn_warning"]
    assert out.loc[warned, "risk_value"].min() >= out.loc[~warned, "risk_value"].max()
    assert (out.loc[warned, "risk_value"] == features.loc[warned, "total_spend"]
            * frame.set_index("customer_id").loc[out.loc[warned, "customer_id"], "p_no_purchase"].to_numpy()).all()


def test_mostly_one_time_buyers_are_ranked_too(simulated_mbg):
    # add one customer who bought once, for 50,000 元, 200 days ago
    big = pd.DataFrame({"customer_id": ["BIG"], "order_date": [AS_OF - pd.Timedelta(days=200)],
                        "amount": [50000.0], "net_amount": [50000.0], "is_purchase": [True]})
    orders = pd.concat([simulated_mbg, big], ignore_index=True)
    frame, status = churn_model(orders, AS_OF, CHURN, rule_days=90)
    bg, _ = churn_model(orders, AS_OF, {**CHURN, "model": "bgnbd"}, rule_days=90)
    once = frame["frequency"] == 0
    assert once.mean() > 0.4
    # MBG/NBD adds the chance they left right after buying to BG/NBD's chance of a long wait
    assert (frame.loc[once, "p_no_purchase"] > bg.loc[once, "p_no_purchase"]).all()
    assert (frame.loc[once, "p_alive"] < 1).all() and (bg.loc[once, "p_alive"] == 1).all()
    out = churn_warnings(features_of(orders), frame, **RULE, churn_params=CHURN).set_index("customer_id")
    # ranked with everyone else, no special case: the big one-time buyer tops the list
    assert out.loc["BIG", "risk_value_rank"] == 1 and out.loc["BIG", "churn_warning"]
    assert out["churn_warning"].sum() == math.ceil(0.1 * 3001)


def test_only_one_time_buyers_fall_back_to_the_rule():
    # nobody bought twice: no purchase rate can be estimated, the rule decides alone
    orders = _orders([(f"C{i}", f"2026-{1 + i % 10:02d}-15", 30.0 + i, True) for i in range(40)])
    frame, status = churn_model(orders, AS_OF, {**CHURN, "min_repeat_customers": 0}, rule_days=90)
    assert not status["fitted"]
    assert status["message"] == "MBG/NBD 模型不可用：没有复购客户，无法估计购买率，仅按 90 天规则预警"
    features = features_of(orders)
    out = churn_warnings(features, frame, days=90, min_spend=0, churn_params=CHURN)
    # last purchases on the 15th of January … October: 90 days or more before 31 October for
    # January to July (the 15th of July is 108 days before, of August 77)
    lapsed = features["days_since_last"] >= 90
    assert lapsed.sum() == 28 and out["churn_warning"].equals(lapsed)


# --------------------------------------------------------------------------- helpers, tables, language


def test_docstring_examples(monkeypatch):
    import doctest

    monkeypatch.chdir(Path(__file__).parent.parent.parent)
    failures, tried = doctest.testmod(clv, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried >= 2 and failures == 0


def test_frequency_spend_correlation_is_nan_where_undefined():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "invalid value" / "degrees of freedom" warnings
        assert np.isnan(clv._correlation([2.0], [100.0]))            # one repeat customer
        assert np.isnan(clv._correlation([1.0, 2.0, 3.0], [50.0] * 3))  # every mean spend alike
        assert np.isnan(clv._correlation([], []))
    expected = np.corrcoef([1, 2, 3], [10, 20, 40])[0, 1]
    assert clv._correlation([1.0, 2.0, 3.0], [10.0, 20.0, 40.0]) == pytest.approx(expected)


def test_undefined_correlation_is_worded_in_the_status(simulated, monkeypatch):
    monkeypatch.setattr(clv, "_correlation", lambda a, b: float("nan"))
    _, status = churn_model(simulated, AS_OF, CHURN, rule_days=90)
    assert status["value_model"] and status["message"].endswith("复购次数与客单价相关系数 无法计算）")


def test_churn_model_takes_every_setting_from_params(simulated):
    # no setting has a fallback in code: a params group without one is an error, not a silent default
    read_by_the_warning = ("value_basis", "warn_top_share", "warn_top_n", "backtest_cutoff_days")
    for key in CHURN:
        if key in read_by_the_warning:
            continue
        with pytest.raises(KeyError):
            churn_model(simulated, AS_OF, {k: v for k, v in CHURN.items() if k != key}, rule_days=90)
    with pytest.raises(TypeError):
        churn_model(simulated, AS_OF, CHURN)  # rule_days is tiers.churn_days, always passed
    features, model = _hand_made()
    for key in ("value_basis", "warn_top_share", "warn_top_n", "horizon_days"):
        with pytest.raises(KeyError):
            churn_warnings(features, model, days=90, min_spend=1000,
                           churn_params={k: v for k, v in CHURN.items() if k != key})


def test_churn_by_tier_in_the_rules_order():
    from analysis.config import PARAMS_DIR
    from analysis.params import load_yaml
    from analysis.steps.churn import churn_by_tier
    from analysis.tiers import tier_roles

    roles = tier_roles(load_yaml(PARAMS_DIR / "base.yml"))
    segments = pd.DataFrame({"customer_id": list("ABCD"), "tier": ["普通客户", "核心客户", "普通客户", "流失预警客户"]})
    churn = pd.DataFrame({"customer_id": list("ABCD"), "churn_warning": [True, False, False, True],
                          "rule_warning": [False, False, True, True],
                          "p_alive": [0.2, 0.9, 0.6, np.nan], "p_no_purchase": [0.9, 0.3, 0.5, np.nan],
                          "predicted_clv": [100.0, 900.0, 300.0, np.nan]})
    table = churn_by_tier(churn, segments, roles)
    assert list(table.index) == ["核心客户", "流失预警客户", "普通客户"] and table.index.name == "客户层级"
    assert table["预警客户数"].tolist() == [0, 1, 1] and table["预警占比"].tolist() == [0.0, 1.0, 0.5]
    assert table["规则预警客户数"].tolist() == [0, 1, 1]
    assert table.loc["普通客户", "平均预测期内不购买概率"] == pytest.approx(0.7)
    # 普通: CLV 100 + 300 = 400, mean 200; 流失预警 has no prediction: blank, not 0
    assert table.loc["普通客户", ["预测CLV合计(元)", "人均预测CLV(元)"]].tolist() == [400.0, 200.0]
    assert np.isnan(table.loc["流失预警客户", "预测CLV合计(元)"])


def test_messages_and_reasons_in_english(simulated):
    from analysis.vocab import language

    features, model = _hand_made()
    with language("en"):
        _, status = churn_model(simulated, AS_OF, {**CHURN, "model": "none"}, rule_days=60)
        assert status["message"] == ("The churn model is set to none: no model fitted, "
                                     "warnings come from the 60-day rule alone")
        out = churn_warnings(features, model, days=90, min_spend=1000, churn_params={**CHURN, "warn_top_share": 0.3})
        assert out.set_index("customer_id").loc["B", "warning_reason"] == (
            "no purchase for 100 days, 3,000 yuan spent to date; the model puts the chance of no purchase "
            "in the next 90 days at 50%, ranked 2 by risk × spend to date")
        assert warning_summary(out, {**CHURN, "warn_top_share": 0.3}, {"fitted": True}, rule_days=90) == (
            "The model ranks customers by risk × spend to date (risk: the chance of no purchase in the next 90 days) "
            "and warns the top 30%: 3 customers (of 10 ranked); the 90-day rule, the baseline, would warn 3, "
            "1 of them on both lists")
        assert clv.text("churn.model.fitted", model="MBG/NBD", params="r=1", n=2, n_repeat=1) == (
            "MBG/NBD model fitted (r=1; 2 customers, 1 of them repeat buyers)")
