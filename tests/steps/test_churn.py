"""BG/NBD, Gamma-Gamma, CLV and the combined churn warning (analysis/steps/churn.py).

The published numbers are from Fader, Hardie & Lee (2005), "Counting your customers the easy
way: an alternative to the Pareto/NBD model" (Marketing Science 24(2)) and its note
"Implementing the BG/NBD model for customer base analysis in Excel", and from Fader, Hardie &
Lee (2005), "RFM and CLV: using iso-value curves" (JMR 42(4)), both on the CDNOW sample of
2,357 customers in weeks (tests/fixtures/README.md).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis.steps.churn as clv
from analysis.steps.churn import (
    BGNBDFit, GammaGammaFit, churn_model, churn_warnings, expected_purchases, expected_spend, fit_bgnbd,
    fit_gamma_gamma, predict_clv, prob_alive, summarise_orders,
)

CDNOW = Path(__file__).parent.parent / "fixtures" / "cdnow_customers_summary_with_transactions.csv"
AS_OF = pd.Timestamp("2026-10-31")
CHURN = {"model": "bgnbd", "time_unit_days": 7, "horizon_days": 90, "p_alive_threshold": 0.5,
         "min_repeat_customers": 30, "clv_horizon_months": 12, "annual_discount_rate": 0.10}
# The churn rule of params/base.yml: 90 days without a purchase, 2,000 元 spent to date.
RULE = {"days": 90, "min_spend": 2000, "p_alive_threshold": 0.5}
WEEKS = 7  # the model's time unit in days (churn.time_unit_days), as in the published CDNOW fit


@pytest.fixture(scope="module")
def cdnow():
    return pd.read_csv(CDNOW)


@pytest.fixture(scope="module")
def cdnow_fit(cdnow):
    return fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])


# --------------------------------------------------------------------------- published CDNOW results


def test_cdnow_sample(cdnow):
    assert len(cdnow) == 2357
    assert int((cdnow["x"] > 0).sum()) == 946


def test_bgnbd_reproduces_published_cdnow_parameters(cdnow_fit):
    # FHL 2005: r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4
    assert cdnow_fit.converged
    for name, published in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        fitted = getattr(cdnow_fit, name)
        assert round(fitted, 2) == round(published, 2), name
        assert fitted == pytest.approx(published, abs=1e-3), name
    assert cdnow_fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)


def test_conditional_expectation_published_example(cdnow_fit):
    # FHL 2005: a customer with x = 2, t_x = 30.43, T = 38.86 makes 1.226 purchases in the next 39 weeks
    published = BGNBDFit(0.243, 4.414, 0.793, 2.426, np.nan, True, "")
    assert expected_purchases(published, 39, 2, 30.43, 38.86)[0] == pytest.approx(1.226, abs=5e-4)
    assert expected_purchases(cdnow_fit, 39, 2, 30.43, 38.86)[0] == pytest.approx(1.226, abs=5e-4)


def test_gamma_gamma_reproduces_published_cdnow_parameters(cdnow):
    # FHL 2005 (RFM and CLV): p = 6.25, q = 3.74, γ = 15.44 on the 946 repeat customers. Our
    # optimum is v = 15.448 with a slightly higher likelihood than at 15.44 (the file's mean
    # spends are rounded to cents), so v agrees to within 0.01.
    fit = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    assert fit.converged and fit.n_customers == 946
    assert round(fit.p, 2) == 6.25 and round(fit.q, 2) == 3.74
    assert fit.v == pytest.approx(15.44, abs=0.01)
    x, m = cdnow.loc[cdnow["x"] > 0, "x"].to_numpy(float), cdnow.loc[cdnow["x"] > 0, "zbar"].to_numpy(float)
    at_published = clv._gg_loglik(np.log([6.25, 3.74, 15.44]), x, m, np.ones(len(x)))
    assert fit.log_likelihood >= at_published


def test_fit_is_the_same_from_raw_and_deduplicated_rows(cdnow, cdnow_fit):
    # fitting compresses identical (x, t_x, T) rows into weights; the likelihood is unchanged
    per_row = clv._bgnbd_loglik(np.log([cdnow_fit.r, cdnow_fit.alpha, cdnow_fit.a, cdnow_fit.b]),
                                *(cdnow[c].to_numpy(float) for c in ("x", "t_x", "T")))
    assert per_row.sum() == pytest.approx(cdnow_fit.log_likelihood, rel=1e-10)


# --------------------------------------------------------------------------- model properties


def test_prob_alive_is_one_without_repeat_purchases(cdnow_fit):
    # dropout can only happen right after a purchase: x = 0 means certainly still active
    p = prob_alive(cdnow_fit, [0, 0, 2, 2], [0, 0, 30.43, 5.0], [38.86, 500.0, 38.86, 38.86])
    assert p[0] == 1.0 and p[1] == 1.0
    # a long silence since the last purchase makes dropout likelier
    assert 0 < p[3] < p[2] < 1


def test_prob_alive_by_hand(cdnow_fit):
    # 1 / (1 + a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))
    f = cdnow_fit
    by_hand = 1 / (1 + f.a / (f.b + 1) * ((f.alpha + 38.86) / (f.alpha + 30.43)) ** (f.r + 2))
    assert prob_alive(f, 2, 30.43, 38.86)[0] == pytest.approx(by_hand, rel=1e-12)


def test_expected_purchases_grows_with_the_horizon(cdnow_fit):
    e = [expected_purchases(cdnow_fit, t, 3, 20.0, 38.86)[0] for t in (0.0, 4.0, 39.0, 200.0)]
    assert e[0] == pytest.approx(0.0, abs=1e-12)
    assert e[0] < e[1] < e[2] < e[3]


def test_expected_spend_by_hand():
    fit = GammaGammaFit(6.25, 3.74, 15.44, np.nan, True, "")
    # p(v + x·m̄)/(px + q − 1): x = 2, m̄ = 20 -> 6.25·55.44/15.24; x = 0 -> population mean pv/(q−1)
    got = expected_spend(fit, [2, 0], [20.0, 999.0])
    assert got[0] == pytest.approx(6.25 * 55.44 / 15.24, rel=1e-12)
    assert got[1] == pytest.approx(6.25 * 15.44 / 2.74, rel=1e-12) == pytest.approx(fit.mean_spend)


def test_predict_clv_by_hand(cdnow_fit):
    gg = GammaGammaFit(6.25, 3.74, 15.44, np.nan, True, "")
    summary = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86], "monetary_value": [20.0]})
    spend = expected_spend(gg, 2, 20.0)[0]
    month = 365.25 / 12 / 7
    one = predict_clv(cdnow_fit, gg, summary, horizon_months=1, annual_discount_rate=0.0, unit_days=WEEKS)[0]
    assert one == pytest.approx(expected_purchases(cdnow_fit, month, 2, 30.43, 38.86)[0] * spend)
    # two months at 10 % a year: each month's increment discounted by 1.1^(i/12)
    e1, e2 = (expected_purchases(cdnow_fit, i * month, 2, 30.43, 38.86)[0] for i in (1, 2))
    two = predict_clv(cdnow_fit, gg, summary, horizon_months=2, annual_discount_rate=0.10, unit_days=WEEKS)[0]
    assert two == pytest.approx(spend * (e1 / 1.1 ** (1 / 12) + (e2 - e1) / 1.1 ** (2 / 12)))


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


def simulate_bgnbd(n, r, alpha, a, b, weeks=104, seed=0):
    """Orders simulated from the BG/NBD story, first purchases spread over the first year."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    start = AS_OF - pd.Timedelta(weeks=weeks)
    rows = []
    for i in range(n):
        t = rng.uniform(0, weeks / 2)
        rows.append((f"C{i:05d}", t))   # the first purchase; dropout follows repeat purchases only
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
    orders["amount"] = np.round(rng.gamma(4.0, 50.0, len(orders)), 2)
    orders["net_amount"] = orders["amount"]
    orders["is_purchase"] = True
    return orders


@pytest.fixture(scope="module")
def simulated():
    return simulate_bgnbd(3000, r=0.8, alpha=6.0, a=0.6, b=3.0)


def test_churn_model_fits_and_recovers_simulated_parameters(simulated):
    frame, status = churn_model(simulated, AS_OF, CHURN, rule_days=90)
    assert status["fitted"] and status["value_model"], status["message"]
    assert status["message"].startswith("已拟合 BG/NBD 模型")
    assert list(frame.columns) == clv.MODEL_COLUMNS
    assert len(frame) == simulated["customer_id"].nunique()
    assert frame["model_used"].all()
    fitted = status["bgnbd"]
    # 3,000 simulated customers pin r and α down well, the dropout Beta's mean less so
    assert fitted["r"] == pytest.approx(0.8, rel=0.1)
    assert fitted["alpha"] == pytest.approx(6.0, rel=0.15)
    assert fitted["a"] / (fitted["a"] + fitted["b"]) == pytest.approx(0.6 / 3.6, rel=0.15)
    # spend per purchase was drawn from Gamma(4, 50): mean 200 元
    assert status["gamma_gamma"]["p"] * status["gamma_gamma"]["v"] / (status["gamma_gamma"]["q"] - 1) \
        == pytest.approx(200, rel=0.05)
    one_time = frame["frequency"] == 0
    assert (frame.loc[one_time, "p_alive"] == 1).all()
    assert frame[["p_alive", "expected_purchases", "expected_spend", "predicted_clv"]].notna().all().all()
    assert (frame["predicted_clv"] >= 0).all()


def test_too_few_repeat_customers_degrades(simulated):
    few = simulated[simulated["customer_id"] < "C00030"]
    frame, status = churn_model(few, AS_OF, {**CHURN, "min_repeat_customers": 1000}, rule_days=90)
    n_repeat = status["n_repeat"]
    assert 0 < n_repeat < 30
    assert not status["fitted"] and not status["value_model"]
    assert status["message"] == f"复购客户仅 {n_repeat} 位（少于 1,000 位），未拟合模型，仅按 90 天规则预警"
    assert frame["p_alive"].isna().all() and frame["predicted_clv"].isna().all()
    assert not frame["model_used"].any()
    assert len(frame) == few["customer_id"].nunique()


def test_model_none_degrades(simulated):
    frame, status = churn_model(simulated, AS_OF, {**CHURN, "model": "none"}, rule_days=60)
    assert not status["fitted"]
    assert status["message"] == "参数 churn.model 为 none，未拟合模型，仅按 60 天规则预警"
    assert frame["p_alive"].isna().all()


def test_unknown_model_degrades(simulated):
    _, status = churn_model(simulated, AS_OF, {**CHURN, "model": "pareto"}, rule_days=90)
    assert not status["fitted"] and "pareto" in status["message"]


def test_no_orders_degrades():
    empty = _orders([])
    frame, status = churn_model(empty, AS_OF, CHURN, rule_days=90)
    assert frame.empty and not status["fitted"]
    assert status["message"].startswith("复购客户仅 0 位")


def test_non_convergence_degrades(simulated, monkeypatch):
    monkeypatch.setattr(clv, "fit_bgnbd", lambda *a: BGNBDFit(np.nan, 1.0, 1.0, 1.0, np.nan, False,
                                                               "参数不是有限数值（NaN/inf）"))
    frame, status = churn_model(simulated, AS_OF, CHURN, rule_days=90)
    assert not status["fitted"]
    assert status["message"] == "BG/NBD 模型不可用：参数不是有限数值（NaN/inf），仅按 90 天规则预警"
    assert frame["p_alive"].isna().all()


def test_value_model_failure_keeps_the_churn_model(simulated, monkeypatch):
    monkeypatch.setattr(clv, "fit_gamma_gamma", lambda *a: GammaGammaFit(1.0, 0.5, 1.0, np.nan, False,
                                                                         "q=0.5 ≤ 1，平均客单价不存在"))
    frame, status = churn_model(simulated, AS_OF, CHURN, rule_days=90)
    assert status["fitted"] and not status["value_model"]
    assert "Gamma-Gamma 消费模型不可用" in status["message"]
    assert frame["p_alive"].notna().all() and frame["predicted_clv"].isna().all()


def test_fit_without_repeat_purchases_is_refused():
    # nobody ever buys again: the likelihood rises as the purchase rate goes to 0, no maximum
    fit = fit_bgnbd(np.zeros(50), np.zeros(50), np.full(50, 30.0))
    assert not fit.converged and fit.message == "没有复购客户，无法估计购买率"


def test_run_away_or_non_finite_parameters_are_rejected():
    assert clv._check({"r": 0.5, "b": 3e9}, True, "")[1] == "参数趋于边界（r=0.5，b=3e+09）"
    assert clv._check({"r": np.nan}, True, "")[1] == "参数不是有限数值（NaN/inf）"
    assert clv._check({"r": 0.5}, False, "ABNORMAL")[1] == "优化未收敛：ABNORMAL"
    assert clv._check({"r": 0.5}, True, "") == (True, "已收敛")


# --------------------------------------------------------------------------- combined warning


def test_churn_warnings_rule_or_model():
    features = pd.DataFrame({
        "customer_id": ["rule", "model", "both", "cheap", "once", "fine", "never"],
        "days_since_last": [95.0, 20.0, 120.0, 200.0, 150.0, 10.0, np.nan],
        "total_spend": [3200.0, 5000.0, 2000.0, 500.0, 8000.0, 9000.0, 0.0],
    })
    model = pd.DataFrame({
        "customer_id": ["rule", "model", "both", "cheap", "once", "fine"],
        "frequency": [3.0, 4.0, 2.0, 5.0, 0.0, 6.0],
        "p_alive": [0.8, 0.31, 0.1, 0.05, 1.0, 0.9],
        "model_used": [True] * 6,
    })
    out = churn_warnings(features, model, **RULE).set_index("customer_id")
    assert out["rule_warning"].to_dict() == {"rule": True, "model": False, "both": True, "cheap": False,
                                             "once": True, "fine": False, "never": False}
    # "cheap" is below the spend floor; "once" has no repeat purchase (P(active) = 1)
    assert out["model_warning"].to_dict() == {"rule": False, "model": True, "both": True, "cheap": False,
                                              "once": False, "fine": False, "never": False}
    assert out["churn_warning"].to_dict() == {"rule": True, "model": True, "both": True, "cheap": False,
                                              "once": True, "fine": False, "never": False}
    assert out.loc["rule", "warning_reason"] == "95天未购买，历史消费3,200元"
    assert out.loc["model", "warning_reason"] == "模型估计仍活跃概率 31%"
    assert out.loc["both", "warning_reason"] == "120天未购买，历史消费2,000元；模型估计仍活跃概率 10%"
    assert pd.isna(out.loc["fine", "warning_reason"])


def test_churn_warnings_without_model_is_the_rule():
    features = pd.DataFrame({"customer_id": ["A", "B"], "days_since_last": [95.0, 20.0],
                             "total_spend": [3200.0, 5000.0]})
    unfitted = pd.DataFrame({"customer_id": ["A", "B"], "frequency": [2.0, 3.0], "p_alive": [np.nan, np.nan],
                             "model_used": [False, False]})
    for model in (None, unfitted):
        out = churn_warnings(features, model, **RULE)
        assert out["churn_warning"].tolist() == [True, False]
        assert not out["model_warning"].any()


def test_docstring_examples(monkeypatch):
    import doctest

    monkeypatch.chdir(Path(__file__).parent.parent.parent)   # the examples read tests/fixtures/ from the repo root
    failures, tried = doctest.testmod(clv, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried >= 5 and failures == 0


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


# --------------------------------------------------------------------------- params, tiers, language


def test_churn_model_takes_every_setting_from_params(simulated):
    # no setting has a fallback in code: a params group without one is an error, not a silent default
    for key in CHURN:
        if key in ("p_alive_threshold",):  # read by churn_warnings, not by the model
            continue
        with pytest.raises(KeyError):
            churn_model(simulated, AS_OF, {k: v for k, v in CHURN.items() if k != key}, rule_days=90)
    with pytest.raises(TypeError):
        churn_model(simulated, AS_OF, CHURN)  # rule_days is tiers.churn_days, always passed


def test_churn_by_tier_in_the_rules_order():
    from analysis.config import PARAMS_DIR
    from analysis.params import load_yaml
    from analysis.steps.churn import churn_by_tier
    from analysis.tiers import tier_roles

    roles = tier_roles(load_yaml(PARAMS_DIR / "base.yml"))
    segments = pd.DataFrame({"customer_id": list("ABCD"), "tier": ["普通客户", "核心客户", "普通客户", "流失预警客户"]})
    churn = pd.DataFrame({"customer_id": list("ABCD"), "churn_warning": [True, False, False, True],
                          "p_alive": [0.2, 0.9, 0.6, np.nan], "predicted_clv": [100.0, 900.0, 300.0, np.nan]})
    table = churn_by_tier(churn, segments, roles)
    assert list(table.index) == ["核心客户", "流失预警客户", "普通客户"] and table.index.name == "客户层级"
    assert table["预警客户数"].tolist() == [0, 1, 1] and table["预警占比"].tolist() == [0.0, 1.0, 0.5]
    # 普通: CLV 100 + 300 = 400, mean 200; 流失预警 has no prediction: blank, not 0
    assert table.loc["普通客户", ["预测CLV合计(元)", "人均预测CLV(元)"]].tolist() == [400.0, 200.0]
    assert np.isnan(table.loc["流失预警客户", "预测CLV合计(元)"])


def test_messages_and_reasons_in_english(simulated):
    from analysis.vocab import language

    features = pd.DataFrame({"customer_id": ["A"], "days_since_last": [95.0], "total_spend": [3200.0]})
    with language("en"):
        _, status = churn_model(simulated, AS_OF, {**CHURN, "model": "none"}, rule_days=60)
        assert status["message"] == ("Parameter churn.model is none: no model fitted, "
                                     "warnings come from the 60-day rule alone")
        assert churn_warnings(features, None, **RULE)["warning_reason"].iloc[0] == (
            "no purchase for 95 days, 3,200 yuan spent to date")
        assert clv._check({"r": 0.5, "b": 3e9}, True, "")[1] == "parameters run off to a bound (r=0.5, b=3e+09)"
