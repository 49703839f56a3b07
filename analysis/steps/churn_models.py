"""Step 04's model maths: two buy-till-you-die models and a spend model, fitted by maximum
likelihood with scipy (no probabilistic-programming dependency). :mod:`analysis.steps.churn`
is the step that uses them.

* **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way", Marketing
  Science 24(2)): while alive a customer buys at a Poisson rate λ ~ Gamma(r, α); right after
  each *repeat* purchase they drop out with probability p ~ Beta(a, b). A customer who never
  bought again cannot have dropped out, so every one-time buyer is certainly active.
* **MBG/NBD** (Batislam, Denizel & Filiztekin 2007, "Empirical validation and comparison of
  models for customer base analysis", IJRM 24(3)): the same, except that the customer may
  also drop out right after the *first* purchase. A one-time buyer then has a real dropout
  probability, which falls further the longer they have been silent — the point for a base
  of mostly one-time buyers. Its likelihood is closed-form, like BG/NBD's.
* **Gamma-Gamma** (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves for
  customer base analysis", JMR 42(4)): the mean spend of repeat purchases, shrunk towards the
  population mean for customers with few purchases.

All take each customer's repeat purchases ``frequency`` (x), ``recency`` (t_x: first to last
purchase) and age ``T`` (first purchase to the end of the data), in one time unit. The two
purchase models differ only by a shift: with m = 0 (BG/NBD) or 1 (MBG/NBD),

    L(r, α, a, b | x, t_x, T) = B(a, b+x+m)/B(a, b) · Γ(r+x) α^r / Γ(r)
                                · [(α+T)^−(r+x) + a/(b+x−1+m) · (α+t_x)^−(r+x) · 1{x > 0 or m = 1}]

so one set of functions serves both, told apart by the fit's class (:class:`BGNBDFit`,
:class:`MBGNBDFit`).

Given that a customer is still active at T, their purchase rate is λ ~ Gamma(r+x, α+T) in
both models, and dropout happens only right after a purchase: the wait W for the next
purchase then has P(W > t) = ((α+T)/(α+T+t))^(r+x) (a Lomax law). Hence

* P(no purchase in the next t) = 1 − P(active) · (1 − ((α+T)/(α+T+t))^(r+x)), and
* the median wait for the next purchase, given active, (α+T) · (2^(1/(r+x)) − 1).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammaln, hyp2f1

from analysis.vocab import text

__all__ = [
    "BGNBDFit", "MBGNBDFit", "GammaGammaFit", "fit_bgnbd", "fit_mbgnbd", "prob_alive",
    "expected_purchases", "prob_no_purchase", "median_wait", "fit_gamma_gamma", "expected_spend",
    "predict_clv", "MONTH_DAYS",
]

# Days in an average calendar month: the CLV steps and discounting are monthly.
MONTH_DAYS = 365.25 / 12

# Fitted parameters outside this range mean the optimiser ran off to a boundary (for
# example b → ∞ when nobody ever drops out); such a fit is not used.
_PARAM_RANGE = (1e-8, 1e8)


@dataclass(frozen=True)
class BGNBDFit:
    """Fitted BG/NBD parameters: purchase rate λ ~ Gamma(r, α), dropout p ~ Beta(a, b).

    ``log_likelihood`` is the total over all customers at the optimum.
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    converged: bool
    message: str
    n_customers: int = 0

    # 0: dropout only after repeat purchases (BG/NBD); 1: after the first one too (MBG/NBD)
    shift: ClassVar[int] = 0
    name: ClassVar[str] = "bgnbd"

    def params(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k in ("r", "alpha", "a", "b")}


@dataclass(frozen=True)
class MBGNBDFit(BGNBDFit):
    """Fitted MBG/NBD parameters: as :class:`BGNBDFit`, the customer may also drop out right
    after the first purchase."""

    shift: ClassVar[int] = 1
    name: ClassVar[str] = "mbgnbd"


@dataclass(frozen=True)
class GammaGammaFit:
    """Fitted Gamma-Gamma parameters: spend per purchase ~ Gamma(p, ν), ν ~ Gamma(q, v).

    ``mean_spend`` is the population mean spend per purchase, p·v / (q − 1) (NaN when
    q ≤ 1, where the mean does not exist).
    """

    p: float
    q: float
    v: float
    log_likelihood: float
    converged: bool
    message: str
    n_customers: int = 0

    @property
    def mean_spend(self) -> float:
        return self.p * self.v / (self.q - 1) if self.q > 1 else float("nan")

    def params(self) -> dict:
        return {"p": self.p, "q": self.q, "v": self.v}


# --------------------------------------------------------------------------- fitting helpers


def _as_arrays(*columns):
    return [np.atleast_1d(np.asarray(c, dtype=float)) for c in columns]


def _unique_rows(*columns):
    """Distinct rows of the stacked columns, in ascending order (first column first), and how
    often each occurs (speeds up fitting): what ``np.unique(axis=0)`` gives, from a lexsort of
    the columns, which is several times faster than its sort of whole rows."""
    stacked = np.column_stack(columns)
    if not len(stacked) or not np.isfinite(stacked).all():  # NaN rows: leave their order to numpy
        rows, counts = np.unique(stacked, axis=0, return_counts=True)
        return [rows[:, i] for i in range(rows.shape[1])], counts.astype(float)
    ordered = stacked[np.lexsort(stacked.T[::-1])]
    starts = np.flatnonzero(np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)])
    rows = ordered[starts]  # C-contiguous like numpy's, so the fit's arithmetic is the same
    counts = np.diff(np.r_[starts, len(ordered)])
    return [rows[:, i] for i in range(rows.shape[1])], counts.astype(float)


def _levels(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct purchase counts and each row's position among them: the gamma functions of
    x are evaluated once per distinct count (a few dozen) instead of once per customer."""
    return np.unique(x, return_inverse=True)


def _optimise(objective, start: np.ndarray):
    """Minimise ``objective(log_params) -> (value, gradient)``; returns ``(result, converged)``.

    L-BFGS-B with the analytic gradient on log-parameters (so the parameters stay positive),
    bounded to e^±25 so a run-away parameter stops at a bound that :func:`_check` rejects.
    Should it stop without converging, Nelder–Mead continues from where it stopped. No
    randomness: the same data give the same fit.
    """
    bounds = [(-25.0, 25.0)] * len(start)
    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-8})
    if result.success:
        return result, True
    n = len(start)
    fallback = minimize(lambda theta: objective(theta)[0], result.x, method="Nelder-Mead",
                        options={"xatol": 1e-7, "fatol": 1e-10, "maxiter": 2000 * n, "maxfev": 2000 * n})
    best = fallback if fallback.fun <= result.fun else result
    return best, bool(fallback.success)


def _check(values: dict, converged: bool, message: str) -> tuple[bool, str]:
    finite = all(np.isfinite(v) for v in values.values())
    in_range = finite and all(_PARAM_RANGE[0] <= v <= _PARAM_RANGE[1] for v in values.values())
    if not finite:
        return False, text("churn.fit.not_finite")
    if not in_range:
        listed = text("churn.fit.param_joiner").join(f"{k}={v:.3g}" for k, v in values.items())
        return False, text("churn.fit.at_bound", params=listed)
    if not converged:
        return False, text("churn.fit.not_converged", message=message)
    return True, text("churn.fit.converged")


# --------------------------------------------------------------------------- BG/NBD and MBG/NBD


def _bgnbd_loglik(log_params, x, t_x, T, weights=None, gradient=False, levels=None, shift=0):
    """Per-customer log-likelihood of BG/NBD (``shift`` 0) or MBG/NBD (``shift`` 1), or with
    ``weights`` the weighted total; with ``gradient`` also the gradient of that total with
    respect to the log-parameters."""
    r, alpha, a, b = np.exp(log_params)
    m = shift
    ux, inv = _levels(x) if levels is None else levels
    # log of Γ(r+x) α^r / Γ(r) and of B(a, b+x+m) / B(a, b)
    common = (gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
              + gammaln(a + b) + gammaln(b + ux + m) - gammaln(b) - gammaln(a + b + ux + m))[inv]
    log_aT, log_at = np.log(alpha + T), np.log(alpha + t_x)
    still_alive = -(r + x) * log_aT
    # dropped out right after the last purchase: a/(b+x−1+m) · (α+t_x)^−(r+x); under BG/NBD
    # only possible after a repeat purchase (x > 0)
    can_drop = (x > 0) | (m == 1)
    b_x1 = np.where(can_drop, b + x - 1 + m, 1.0)
    dropped = np.where(can_drop, np.log(a) - np.log(b_x1) - (r + x) * log_at, -np.inf)
    mix = np.logaddexp(still_alive, dropped)
    ll = common + mix
    if weights is None:
        return ll
    total = float((weights * ll).sum())
    if not gradient:
        return total
    w_alive = np.exp(still_alive - mix)
    w_dropped = 1.0 - w_alive
    d_r = (digamma(r + ux) - digamma(r) + np.log(alpha))[inv] - w_alive * log_aT - w_dropped * log_at
    d_alpha = r / alpha - (r + x) * (w_alive / (alpha + T) + w_dropped / (alpha + t_x))
    d_ab = (digamma(a + b) - digamma(a + b + ux + m))[inv]
    d_a = d_ab + w_dropped / a
    d_b = d_ab + (digamma(b + ux + m) - digamma(b))[inv] - w_dropped / b_x1
    grad = np.array([(weights * d).sum() for d in (d_r, d_alpha, d_a, d_b)]) * np.array([r, alpha, a, b])
    return total, grad


def _fit_counting(kind: type[BGNBDFit], frequency, recency, T) -> BGNBDFit:
    x, t_x, T = _as_arrays(frequency, recency, T)
    n = len(x)
    if n == 0 or not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(T).all()):
        return kind(*[np.nan] * 5, False, text("churn.fit.no_data"), n)
    if not (x > 0).any():
        # the likelihood keeps rising as the purchase rate goes to 0: no maximum exists
        return kind(*[np.nan] * 5, False, text("churn.fit.no_repeat_rate"), n)
    (ux, ut, uT), w = _unique_rows(x, t_x, T)
    total = w.sum()
    levels = _levels(ux)

    def objective(theta):
        with np.errstate(all="ignore"):
            value, grad = _bgnbd_loglik(theta, ux, ut, uT, w, gradient=True, levels=levels, shift=kind.shift)
        if not (np.isfinite(value) and np.isfinite(grad).all()):
            return 1e10, np.zeros_like(theta)
        return -value / total, -grad / total

    # r = a = b = 1 and α matching the mean purchase rate r/α to the data's x/T
    rate = max(float(x.mean()), 0.1) / max(float(T.mean()), 1e-3)
    result, converged = _optimise(objective, np.array([0.0, np.log(1 / rate), 0.0, 0.0]))
    r, alpha, a, b = np.exp(result.x)
    ok, message = _check({"r": r, "alpha": alpha, "a": a, "b": b}, converged, str(result.message))
    return kind(float(r), float(alpha), float(a), float(b), float(-result.fun * total), ok, message, n)


def fit_bgnbd(frequency, recency, T) -> BGNBDFit:
    """Maximum-likelihood BG/NBD fit (Fader, Hardie & Lee 2005).

    ``frequency`` is repeat purchases x, ``recency`` the time t_x from first to last
    purchase, ``T`` the time from first purchase to the end of the data, all per customer
    and in one time unit. Never raises on data that cannot be fitted: ``converged`` is then
    False and ``message`` says why.

    Examples
    --------
    >>> import pandas as pd
    >>> cdnow = pd.read_csv("tests/fixtures/cdnow_customers_summary_with_transactions.csv")
    >>> fit = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    >>> [round(v, 3) for v in fit.params().values()]
    [0.243, 4.414, 0.793, 2.426]
    """
    return _fit_counting(BGNBDFit, frequency, recency, T)


def fit_mbgnbd(frequency, recency, T) -> MBGNBDFit:
    """Maximum-likelihood MBG/NBD fit (Batislam, Denizel & Filiztekin 2007); arguments and
    failure handling as :func:`fit_bgnbd`.

    Examples
    --------
    >>> import pandas as pd
    >>> cdnow = pd.read_csv("tests/fixtures/cdnow_customers_summary_with_transactions.csv")
    >>> fit = fit_mbgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    >>> [round(v, 3) for v in fit.params().values()]  # lifetimes' ModifiedBetaGeoFitter: 0.525 6.183 0.891 1.614
    [0.525, 6.183, 0.891, 1.614]
    """
    return _fit_counting(MBGNBDFit, frequency, recency, T)


def prob_alive(fit: BGNBDFit, frequency, recency, T) -> np.ndarray:
    """P(customer still active | x, t_x, T): 1 / (1 + a/(b+x−1+m) · ((α+T)/(α+t_x))^(r+x)).

    Under BG/NBD (m = 0; FHL 2005, eq. 13 of the note) a customer with no repeat purchase
    cannot have dropped out, so their probability is exactly 1. Under MBG/NBD (m = 1) a
    one-time buyer's is 1 / (1 + a/b · ((α+T)/α)^r): below 1 and falling as T grows.

    Examples
    --------
    >>> fit = MBGNBDFit(0.525, 6.183, 0.891, 1.614, 0.0, True, "")
    >>> [round(float(p), 3) for p in prob_alive(fit, [0, 0], [0, 0], [10, 39])]
    [0.522, 0.389]
    """
    x, t_x, T = _as_arrays(frequency, recency, T)
    r, alpha, a, b, m = fit.r, fit.alpha, fit.a, fit.b, fit.shift
    can_drop = (x > 0) | (m == 1)
    log_odds = np.full_like(x, -np.inf)
    xs, ts, Ts = x[can_drop], t_x[can_drop], T[can_drop]
    log_odds[can_drop] = (np.log(a) - np.log(b + xs - 1 + m)
                          + (r + xs) * (np.log(alpha + Ts) - np.log(alpha + ts)))
    return expit(-log_odds)


def expected_purchases(fit: BGNBDFit, t, frequency, recency, T) -> np.ndarray:
    """E[purchases in the next ``t`` units | x, t_x, T] (BG/NBD: FHL 2005, eq. 10; MBG/NBD:
    Batislam et al. 2007).

    With c = a+b+x−1+m and z = t/(α+T+t) it is P(active) · c/(a−1) · (1 − (1−z)^(r+x) ·
    ₂F₁(r+x, b+x+m; c; z)). Euler's transformation rewrites (1−z)^(r+x) · ₂F₁(r+x, b+x+m; c; z)
    as (1−z)^(a−1) · ₂F₁(c−x−r, a−1; c; z): its first two arguments no longer grow with x,
    which keeps it accurate for frequent buyers.

    Examples
    --------
    >>> fit = BGNBDFit(0.243, 4.414, 0.793, 2.426, 0.0, True, "")
    >>> round(float(expected_purchases(fit, 39, 2, 30.43, 38.86)[0]), 3)
    1.226
    """
    x, t_x, T = _as_arrays(frequency, recency, T)
    r, alpha, a, b, m = fit.r, fit.alpha, fit.a, fit.b, fit.shift
    c = a + b + x - 1 + m
    z = t / (alpha + T + t)
    term = np.exp((a - 1) * np.log1p(-z)) * hyp2f1(c - x - r, a - 1, c, z)
    return c / (a - 1) * (1 - term) * prob_alive(fit, x, t_x, T)


def prob_no_purchase(fit: BGNBDFit, t, frequency, recency, T) -> np.ndarray:
    """P(no purchase in the next ``t`` units | x, t_x, T) = 1 − P(active) · (1 − ((α+T)/(α+T+t))^(r+x)).

    Either the customer has dropped out, or they are active and their next purchase comes
    later than ``t`` (see the module note). Rises with ``t`` towards 1 − P(active).

    Examples
    --------
    >>> fit = MBGNBDFit(0.525, 6.183, 0.891, 1.614, 0.0, True, "")
    >>> round(float(prob_no_purchase(fit, 13, 0, 0, 39)[0]), 3)
    0.952
    """
    x, t_x, T = _as_arrays(frequency, recency, T)
    wait_longer = np.exp((fit.r + x) * (np.log(fit.alpha + T) - np.log(fit.alpha + T + t)))
    return 1 - prob_alive(fit, x, t_x, T) * (1 - wait_longer)


def median_wait(fit: BGNBDFit, frequency, T) -> np.ndarray:
    """Median wait until the next purchase, in model units, for a customer still active:
    (α+T) · (2^(1/(r+x)) − 1), the median of the Lomax law of the wait (module note).

    Examples
    --------
    >>> fit = MBGNBDFit(0.525, 6.183, 0.891, 1.614, 0.0, True, "")
    >>> [round(float(w), 1) for w in median_wait(fit, [0, 10], [39, 39])]
    [124.0, 3.1]
    """
    x, T = _as_arrays(frequency, T)
    return (fit.alpha + T) * np.expm1(np.log(2) / (fit.r + x))


# --------------------------------------------------------------------------- Gamma-Gamma


def _gg_loglik(log_params, x, m, weights=None, gradient=False, levels=None):
    """Per-customer Gamma-Gamma log-likelihood of the mean spend ``m`` of ``x`` purchases, or
    the weighted total (and its gradient with respect to the log-parameters)."""
    p, q, v = np.exp(log_params)
    ux, inv = _levels(x) if levels is None else levels
    px = p * x
    log_m, log_x = np.log(m), np.log(x)
    log_xm_v = np.log(x * m + v)
    ll = ((gammaln(p * ux + q) - gammaln(p * ux) - gammaln(q))[inv] + q * np.log(v)
          + (px - 1) * log_m + px * log_x - (px + q) * log_xm_v)
    if weights is None:
        return ll
    total = float((weights * ll).sum())
    if not gradient:
        return total
    psi = digamma(p * ux + q)
    d_p = x * ((psi - digamma(p * ux))[inv] + log_m + log_x - log_xm_v)
    d_q = (psi - digamma(q))[inv] + np.log(v) - log_xm_v
    d_v = q / v - (px + q) / (x * m + v)
    grad = np.array([(weights * d).sum() for d in (d_p, d_q, d_v)]) * np.array([p, q, v])
    return total, grad


def fit_gamma_gamma(frequency, monetary_value) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma fit (Fader, Hardie & Lee 2005, "RFM and CLV").

    Fitted on the repeat customers only (``frequency`` > 0 and ``monetary_value`` > 0;
    the others are ignored): ``monetary_value`` is their mean spend per repeat purchase.
    The model assumes spend per purchase is independent of purchase frequency.

    Examples
    --------
    >>> import pandas as pd
    >>> cdnow = pd.read_csv("tests/fixtures/cdnow_customers_summary_with_transactions.csv")
    >>> fit = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    >>> [round(v, 2) for v in fit.params().values()]  # published: 6.25, 3.74, 15.44
    [6.25, 3.74, 15.45]
    """
    x, m = _as_arrays(frequency, monetary_value)
    keep = (x > 0) & (m > 0) & np.isfinite(x) & np.isfinite(m)
    x, m = x[keep], m[keep]
    n = len(x)
    if n == 0:
        return GammaGammaFit(*[np.nan] * 4, False, text("churn.fit.no_repeat"), 0)
    (ux, um), w = _unique_rows(x, m)
    total = w.sum()

    levels = _levels(ux)

    def objective(theta):
        with np.errstate(all="ignore"):
            value, grad = _gg_loglik(theta, ux, um, w, gradient=True, levels=levels)
        if not (np.isfinite(value) and np.isfinite(grad).all()):
            return 1e10, np.zeros_like(theta)
        return -value / total, -grad / total

    # p = 1, q = 2 and v so that the population mean p·v/(q−1) is the data's mean spend
    result, converged = _optimise(objective, np.array([0.0, np.log(2.0), np.log(float(np.mean(m)))]))
    p, q, v = np.exp(result.x)
    ok, message = _check({"p": p, "q": q, "v": v}, converged, str(result.message))
    if ok and q <= 1:
        ok, message = False, text("churn.fit.no_mean_spend", q=q)
    return GammaGammaFit(float(p), float(q), float(v), float(-result.fun * total), ok, message, n)


def expected_spend(fit: GammaGammaFit, frequency, monetary_value) -> np.ndarray:
    """E[spend per purchase | x, mean spend] under Gamma-Gamma, in 元.

    (p·(v + x·m̄)) / (p·x + q − 1): a weighted mean of the population mean p·v/(q−1) and the
    customer's own mean; customers without repeat purchases get the population mean.
    """
    x, m = _as_arrays(frequency, monetary_value)
    m = np.where(x > 0, m, 0.0)
    return fit.p * (fit.v + x * m) / (fit.p * x + fit.q - 1)


# --------------------------------------------------------------------------- CLV


def predict_clv(purchases: BGNBDFit, gg: GammaGammaFit, summary: pd.DataFrame, *, horizon_months: int,
                annual_discount_rate: float, unit_days: float) -> np.ndarray:
    """Discounted expected spend (元) over the next ``horizon_months`` months per customer.

    For each month i = 1…H (a month is 365.25/12 days): the expected purchases in that month
    (the purchase model's expectation up to the end of month i minus that up to its start) ×
    the Gamma-Gamma expected spend per purchase, discounted to today at the monthly rate
    (1 + annual rate)^(1/12) − 1 as if paid at the end of the month. ``purchases`` is a
    BG/NBD or MBG/NBD fit; ``summary`` has the columns of
    :func:`analysis.steps.churn.summarise_orders` in units of ``unit_days``.
    """
    x, t_x, T, m = _as_arrays(summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"])
    spend = expected_spend(gg, x, m)
    monthly_rate = (1 + annual_discount_rate) ** (1 / 12) - 1
    clv = np.zeros(len(x))
    previous = np.zeros(len(x))
    for month in range(1, int(horizon_months) + 1):
        cumulative = expected_purchases(purchases, month * MONTH_DAYS / unit_days, x, t_x, T)
        clv += (cumulative - previous) * spend / (1 + monthly_rate) ** month
        previous = cumulative
    return clv
