"""BG/NBD, MBG/NBD and Gamma-Gamma (analysis/steps/churn_models.py).

The published numbers are on the CDNOW sample of 2,357 customers in weeks
(tests/fixtures/README.md): BG/NBD and Gamma-Gamma from Fader, Hardie & Lee (2005), "Counting
your customers the easy way" (Marketing Science 24(2)) with its note "Implementing the BG/NBD
model for customer base analysis in Excel", and "RFM and CLV: using iso-value curves" (JMR
42(4)); MBG/NBD (Batislam, Denizel & Filiztekin 2007) from the archived lifetimes package's
ModifiedBetaGeoFitter on the same file: r = 0.525, α = 6.183, a = 0.891, b = 1.614.

The MBG/NBD predictions are checked against the model's story itself — by simulation and by
integrating the likelihood numerically over (λ, p) — not against the closed forms they use.
"""

import timeit
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

import analysis.steps.churn_models as models
from analysis.steps.churn_models import (
    BGNBDFit, GammaGammaFit, MBGNBDFit, expected_purchases, expected_spend, fit_bgnbd, fit_gamma_gamma,
    fit_mbgnbd, median_wait, predict_clv, prob_alive, prob_no_purchase,
)

CDNOW = Path(__file__).parent.parent / "fixtures" / "cdnow_customers_summary_with_transactions.csv"
WEEKS = 7  # the model's time unit in days (churn.time_unit_days), as in the published CDNOW fit
MBG_PUBLISHED = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
MBG = MBGNBDFit(*MBG_PUBLISHED.values(), np.nan, True, "")


@pytest.fixture(scope="module")
def cdnow():
    return pd.read_csv(CDNOW)


@pytest.fixture(scope="module")
def cdnow_fit(cdnow):
    return fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])


@pytest.fixture(scope="module")
def cdnow_mbg(cdnow):
    return fit_mbgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])


def _columns(frame):
    return [frame[c].to_numpy(float) for c in ("x", "t_x", "T")]


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


def test_mbgnbd_reproduces_the_cdnow_fit(cdnow, cdnow_mbg):
    # lifetimes' ModifiedBetaGeoFitter on this file: r = 0.525, α = 6.183, a = 0.891, b = 1.614
    assert cdnow_mbg.converged and isinstance(cdnow_mbg, MBGNBDFit)
    for name, published in MBG_PUBLISHED.items():
        fitted = getattr(cdnow_mbg, name)
        # to 2 decimals (within half a unit of the second) and indeed to the 3 published; not
        # round(·, 2) on both sides: r = 0.52484 and the published 0.525 straddle 0.525
        assert abs(fitted - published) < 0.005, name
        assert round(fitted, 3) == published, name
    # the optimum is at least as likely as the published point, and barely more so
    at_published = models._bgnbd_loglik(np.log(list(MBG_PUBLISHED.values())), *_columns(cdnow),
                                        np.ones(len(cdnow)), shift=1)
    assert at_published <= cdnow_mbg.log_likelihood <= at_published + 0.01


def test_mbgnbd_likelihood_is_the_published_formula(cdnow):
    # Batislam et al. (2007), per customer: B(a, b+x+1)/B(a, b) · Γ(r+x)α^r/Γ(r) ·
    # [(α+T)^−(r+x) + a/(b+x) · (α+t_x)^−(r+x)] — written out here with scipy's beta/gamma
    from scipy.special import beta, gamma

    r, alpha, a, b = MBG_PUBLISHED.values()
    row = cdnow.iloc[0]   # x = 2, t_x = 30.43, T = 38.86
    x, t_x, T = row["x"], row["t_x"], row["T"]
    by_hand = (beta(a, b + x + 1) / beta(a, b) * gamma(r + x) * alpha ** r / gamma(r)
               * ((alpha + T) ** -(r + x) + a / (b + x) * (alpha + t_x) ** -(r + x)))
    ours = models._bgnbd_loglik(np.log([r, alpha, a, b]), np.array([x]), np.array([t_x]), np.array([T]), shift=1)
    assert ours[0] == pytest.approx(np.log(by_hand), rel=1e-12)
    one_time = (beta(a, b + 1) / beta(a, b) * alpha ** r * ((alpha + 38.86) ** -r + a / b * alpha ** -r))
    ours = models._bgnbd_loglik(np.log([r, alpha, a, b]), np.zeros(1), np.zeros(1), np.array([38.86]), shift=1)
    assert ours[0] == pytest.approx(np.log(one_time), rel=1e-12)


@pytest.mark.parametrize("shift", [0, 1])
def test_gradient_matches_finite_differences(cdnow, shift):
    x, t_x, T = _columns(cdnow)
    theta = np.log([0.5, 6.0, 0.9, 1.6])
    w = np.ones(len(x))
    _, grad = models._bgnbd_loglik(theta, x, t_x, T, w, gradient=True, shift=shift)
    step = 1e-6
    numeric = [(models._bgnbd_loglik(theta + e, x, t_x, T, w, shift=shift)
                - models._bgnbd_loglik(theta - e, x, t_x, T, w, shift=shift)) / (2 * step)
               for e in np.eye(4) * step]
    assert grad == pytest.approx(numeric, rel=1e-5, abs=1e-4)


def test_mbgnbd_fit_is_fast_and_deterministic(cdnow, cdnow_mbg):
    x, t_x, T = _columns(cdnow)
    again = fit_mbgnbd(x, t_x, T)
    assert again == cdnow_mbg
    # about 5 ms on a laptop core; a generous bound so a busy machine does not fail it
    assert min(timeit.repeat(lambda: fit_mbgnbd(x, t_x, T), number=1, repeat=3)) < 1.0


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
    at_published = models._gg_loglik(np.log([6.25, 3.74, 15.44]), x, m, np.ones(len(x)))
    assert fit.log_likelihood >= at_published


@pytest.mark.parametrize("shift", [0, 1])
def test_fit_is_the_same_from_raw_and_deduplicated_rows(cdnow, cdnow_fit, cdnow_mbg, shift):
    # fitting compresses identical (x, t_x, T) rows into weights; the likelihood is unchanged
    fit = cdnow_mbg if shift else cdnow_fit
    per_row = models._bgnbd_loglik(np.log(list(fit.params().values())), *_columns(cdnow), shift=shift)
    assert per_row.sum() == pytest.approx(fit.log_likelihood, rel=1e-10)


# --------------------------------------------------------------------------- one-time buyers


def test_unique_rows_are_numpys_distinct_rows_in_the_same_order_and_layout():
    rng = np.random.default_rng(7)
    x = rng.integers(0, 4, 500).astype(float)
    t = rng.integers(0, 3, 500).astype(float)
    T = t + rng.integers(0, 3, 500)
    (ux, ut, uT), counts = models._unique_rows(x, t, T)
    rows, expected = np.unique(np.column_stack([x, t, T]), axis=0, return_counts=True)
    for got, want in zip((ux, ut, uT), rows.T):
        assert np.array_equal(got, want) and got.strides == rows[:, 0].strides
    assert counts.tolist() == expected.astype(float).tolist()
    assert models._unique_rows(np.array([2.0, 1.0, 2.0]), np.array([0.0, 5.0, 0.0]))[1].tolist() == [1.0, 2.0]
    (empty,), none = models._unique_rows(np.array([]))
    assert len(empty) == 0 and len(none) == 0


def test_bgnbd_prob_alive_is_one_without_repeat_purchases(cdnow_fit):
    # dropout can only happen right after a repeat purchase: x = 0 means certainly still active
    p = prob_alive(cdnow_fit, [0, 0, 2, 2], [0, 0, 30.43, 5.0], [38.86, 500.0, 38.86, 38.86])
    assert p[0] == 1.0 and p[1] == 1.0
    # a long silence since the last purchase makes dropout likelier
    assert 0 < p[3] < p[2] < 1


def test_prob_alive_by_hand(cdnow_fit):
    # BG/NBD: 1 / (1 + a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)); MBG/NBD: b+x in place of b+x−1
    f = cdnow_fit
    by_hand = 1 / (1 + f.a / (f.b + 1) * ((f.alpha + 38.86) / (f.alpha + 30.43)) ** (f.r + 2))
    assert prob_alive(f, 2, 30.43, 38.86)[0] == pytest.approx(by_hand, rel=1e-12)
    m = MBG
    by_hand = 1 / (1 + m.a / (m.b + 2) * ((m.alpha + 38.86) / (m.alpha + 30.43)) ** (m.r + 2))
    assert prob_alive(m, 2, 30.43, 38.86)[0] == pytest.approx(by_hand, rel=1e-12)


def test_mbgnbd_one_time_buyer_below_one_and_falling_with_age(cdnow_mbg):
    # x = 0: P(active) = 1 / (1 + a/b · ((α+T)/α)^r). By hand with the published values:
    # T = 10 weeks: (16.183/6.183)^0.525 = 1.6570, a/b = 0.55204 -> 1/(1 + 0.91474) = 0.5223
    # T = 39 weeks: (45.183/6.183)^0.525 = 2.8406                -> 1/(1 + 1.56813) = 0.3894
    p10, p39 = prob_alive(MBG, [0, 0], [0, 0], [10.0, 39.0])
    assert p10 == pytest.approx(0.5223, abs=1e-4) and p39 == pytest.approx(0.3894, abs=1e-4)
    # and with the fit on CDNOW: below 1, falling as the customer ages
    ages = np.array([0.5, 5, 10, 20, 39, 78, 156])
    p = prob_alive(cdnow_mbg, np.zeros(7), np.zeros(7), ages)
    assert (p < 1).all() and (np.diff(p) < 0).all()


def test_mbgnbd_one_time_buyers_by_simulation():
    # Draw customers from the MBG/NBD story and keep those who made no repeat purchase in T = 39
    # weeks: the share still active and the share not buying in the next 13 weeks are what
    # prob_alive and prob_no_purchase must give (n = 400,000, standard error < 0.001).
    rng = np.random.default_rng(7)
    r, alpha, a, b = MBG_PUBLISHED.values()
    n, T, t = 400_000, 39.0, 13.0
    lam = rng.gamma(r, 1 / alpha, n)
    dropped = rng.random(n) < rng.beta(a, b, n)        # right after the first purchase
    first_repeat = rng.exponential(1 / lam)            # the next purchase, if still active
    one_time = dropped | (first_repeat > T)
    alive = ~dropped[one_time]
    silent_next = dropped[one_time] | (first_repeat[one_time] > T + t)
    assert prob_alive(MBG, 0, 0, T)[0] == pytest.approx(alive.mean(), abs=0.004)
    assert prob_no_purchase(MBG, t, 0, 0, T)[0] == pytest.approx(silent_next.mean(), abs=0.004)


def _posterior(fit, x, t_x, T, t):
    """P(active) and P(no purchase in t) for a repeat buyer, integrating the MBG/NBD joint
    density of (λ, p) and the customer's history numerically (no closed form involved). The
    integrands are a function of λ times a function of p, so each double integral is the
    product of two single ones."""
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b

    def over_rate(f):
        return integrate.quad(lambda lam: stats.gamma.pdf(lam, r, scale=1 / alpha) * f(lam), 0, np.inf,
                              epsabs=0, epsrel=1e-11, limit=200)[0]

    def over_dropout(g):
        return integrate.quad(lambda p: stats.beta.pdf(p, a, b) * g(p), 0, 1, epsabs=0, epsrel=1e-11,
                              limit=200)[0]

    # still active: x purchases in (0, T], no dropout after any of the x + 1 purchases
    alive = over_rate(lambda lam: lam ** x * np.exp(-lam * T)) * over_dropout(lambda p: (1 - p) ** (x + 1))
    # gone: dropped right after the purchase at t_x
    gone = over_rate(lambda lam: lam ** x * np.exp(-lam * t_x)) * over_dropout(lambda p: (1 - p) ** x * p)
    # active and the next purchase later than t
    quiet = (over_rate(lambda lam: lam ** x * np.exp(-lam * (T + t)))
             * over_dropout(lambda p: (1 - p) ** (x + 1)))
    return alive / (alive + gone), (quiet + gone) / (alive + gone)


@pytest.mark.parametrize("x, t_x, T", [(2, 30.43, 38.86), (1, 5.0, 38.86), (6, 20.0, 30.0)])
def test_mbgnbd_repeat_buyer_by_numerical_integration(x, t_x, T):
    p_alive, p_none = _posterior(MBG, x, t_x, T, 13.0)
    assert prob_alive(MBG, x, t_x, T)[0] == pytest.approx(p_alive, abs=1e-6)
    assert prob_no_purchase(MBG, 13.0, x, t_x, T)[0] == pytest.approx(p_none, abs=1e-6)


# --------------------------------------------------------------------------- predictions


@pytest.mark.parametrize("fit", [MBG, BGNBDFit(0.243, 4.414, 0.793, 2.426, np.nan, True, "")],
                         ids=["mbgnbd", "bgnbd"])
def test_no_purchase_probability_is_consistent_with_expected_purchases(fit):
    customers = [(0, 0.0, 39.0), (0, 0.0, 2.0), (1, 5.0, 38.0), (4, 30.0, 38.0), (4, 8.0, 38.0), (20, 37.0, 38.0)]
    horizons = np.array([0.0, 0.001, 0.5, 4.0, 13.0, 52.0, 520.0])
    for x, t_x, T in customers:
        p_none = np.array([prob_no_purchase(fit, t, x, t_x, T)[0] for t in horizons])
        expected = np.array([expected_purchases(fit, t, x, t_x, T)[0] for t in horizons])
        assert ((0 <= p_none) & (p_none <= 1)).all()
        assert p_none[0] == 1.0 and expected[0] == pytest.approx(0, abs=1e-12)
        # a longer horizon: a purchase likelier, more purchases expected
        assert (np.diff(p_none) < 0).all() and (np.diff(expected) > 0).all()
        # at least one purchase is never likelier than the expected count (X ≥ 1{X ≥ 1}) …
        assert (1 - p_none <= expected + 1e-12).all()
        # … and in a very short horizon there is at most one: the two agree
        assert (1 - p_none[1]) / expected[1] == pytest.approx(1, abs=0.01)
        # an infinite horizon leaves only the chance of having dropped out
        far = prob_no_purchase(fit, 1e40, x, t_x, T)[0]
        assert far == pytest.approx(1 - prob_alive(fit, x, t_x, T)[0], abs=1e-4)


def test_median_wait_by_hand():
    # given active, the wait W has P(W > w) = ((α+T)/(α+T+w))^(r+x); its median solves = 1/2
    w = median_wait(MBG, [0, 10], [39.0, 39.0])
    for wait, x in zip(w, (0, 10)):
        survival = ((MBG.alpha + 39.0) / (MBG.alpha + 39.0 + wait)) ** (MBG.r + x)
        assert survival == pytest.approx(0.5, rel=1e-12)
    # x = 0: 45.183 · (2^(1/0.525) − 1) = 45.183 · 2.7445 = 124.0 weeks
    assert w[0] == pytest.approx(124.0, abs=0.05)
    # P(no purchase in the median wait) for an active customer is one half
    p_alive = prob_alive(MBG, 10, 30.0, 39.0)[0]
    assert prob_no_purchase(MBG, w[1], 10, 30.0, 39.0)[0] == pytest.approx(1 - p_alive / 2, rel=1e-12)


def test_expected_purchases_grows_with_the_horizon(cdnow_fit):
    e = [expected_purchases(cdnow_fit, t, 3, 20.0, 38.86)[0] for t in (0.0, 4.0, 39.0, 200.0)]
    assert e[0] == pytest.approx(0.0, abs=1e-12)
    assert e[0] < e[1] < e[2] < e[3]


def test_mbgnbd_expected_purchases_against_the_unsimplified_formula():
    # Batislam et al. (2007) as lifetimes writes it, without Euler's transformation:
    # (a+b+x)/(a−1) · (1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x+1; a+b+x; t/(α+T+t))) · P(active)
    from scipy.special import hyp2f1

    r, alpha, a, b = MBG_PUBLISHED.values()
    for x, t_x, T, t in [(2, 30.43, 38.86, 39.0), (0, 0.0, 38.86, 13.0), (5, 20.0, 30.0, 52.0)]:
        z = t / (alpha + T + t)
        direct = ((a + b + x) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
                                           * hyp2f1(r + x, b + x + 1, a + b + x, z)))
        direct *= prob_alive(MBG, x, t_x, T)[0]
        assert expected_purchases(MBG, t, x, t_x, T)[0] == pytest.approx(direct, rel=1e-9)


def test_expected_spend_by_hand():
    fit = GammaGammaFit(6.25, 3.74, 15.44, np.nan, True, "")
    # p(v + x·m̄)/(px + q − 1): x = 2, m̄ = 20 -> 6.25·55.44/15.24; x = 0 -> population mean pv/(q−1)
    got = expected_spend(fit, [2, 0], [20.0, 999.0])
    assert got[0] == pytest.approx(6.25 * 55.44 / 15.24, rel=1e-12)
    assert got[1] == pytest.approx(6.25 * 15.44 / 2.74, rel=1e-12) == pytest.approx(fit.mean_spend)


@pytest.mark.parametrize("purchases", [BGNBDFit(0.243, 4.414, 0.793, 2.426, np.nan, True, ""), MBG],
                         ids=["bgnbd", "mbgnbd"])
def test_predict_clv_by_hand(purchases):
    gg = GammaGammaFit(6.25, 3.74, 15.44, np.nan, True, "")
    summary = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86], "monetary_value": [20.0]})
    spend = expected_spend(gg, 2, 20.0)[0]
    month = 365.25 / 12 / 7
    one = predict_clv(purchases, gg, summary, horizon_months=1, annual_discount_rate=0.0, unit_days=WEEKS)[0]
    assert one == pytest.approx(expected_purchases(purchases, month, 2, 30.43, 38.86)[0] * spend)
    # two months at 10 % a year: each month's increment discounted by 1.1^(i/12)
    e1, e2 = (expected_purchases(purchases, i * month, 2, 30.43, 38.86)[0] for i in (1, 2))
    two = predict_clv(purchases, gg, summary, horizon_months=2, annual_discount_rate=0.10, unit_days=WEEKS)[0]
    assert two == pytest.approx(spend * (e1 / 1.1 ** (1 / 12) + (e2 - e1) / 1.1 ** (2 / 12)))


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("fitter", [fit_bgnbd, fit_mbgnbd])
def test_fit_without_repeat_purchases_is_refused(fitter):
    # nobody ever buys again: the likelihood rises as the purchase rate goes to 0, no maximum
    fit = fitter(np.zeros(50), np.zeros(50), np.full(50, 30.0))
    assert not fit.converged and fit.message == "没有复购客户，无法估计购买率"


def test_run_away_or_non_finite_parameters_are_rejected():
    assert models._check({"r": 0.5, "b": 3e9}, True, "")[1] == "参数趋于边界（r=0.5，b=3e+09）"
    assert models._check({"r": np.nan}, True, "")[1] == "参数不是有限数值（NaN/inf）"
    assert models._check({"r": 0.5}, False, "ABNORMAL")[1] == "优化未收敛：ABNORMAL"
    assert models._check({"r": 0.5}, True, "") == (True, "已收敛")


def test_docstring_examples(monkeypatch):
    import doctest

    monkeypatch.chdir(Path(__file__).parent.parent.parent)   # the examples read tests/fixtures/ from the repo root
    failures, tried = doctest.testmod(models, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried >= 7 and failures == 0
