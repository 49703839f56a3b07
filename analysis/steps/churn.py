"""Step 04 — churn probability and customer lifetime value (CLV).

Two published models, fitted by maximum likelihood with scipy (no probabilistic-programming
dependency):

* **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way", Marketing
  Science 24(2)): while alive a customer buys at a Poisson rate λ ~ Gamma(r, α); after each
  purchase they drop out with probability p ~ Beta(a, b). From each customer's repeat
  purchases ``frequency`` (x), ``recency`` (t_x) and age ``T`` it gives the probability the
  customer is still active and the expected purchases in the next period.
* **Gamma-Gamma** (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves for
  customer base analysis", JMR 42(4)): the mean spend of repeat purchases, shrunk towards the
  population mean for customers with few purchases.

A "purchase" is a distinct purchase day, so several orders on one day count once, as in the
CDNOW data the models were published on. Time is measured in units of ``unit_days`` days
(weeks by default, the unit of the published CDNOW fit).

:func:`churn_model` runs the whole chain and never raises on data it cannot model: it returns
NaN columns and says why (in the run's language) in its status, and the churn rule
(``tiers.churn_days`` / ``tiers.churn_min_spend``) then decides alone. :func:`churn_warnings`
combines the rule with the model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammaln, hyp2f1

from analysis.tiers import TierRoles
from analysis.vocab import text, texts

__all__ = [
    "BGNBDFit", "GammaGammaFit", "summarise_orders", "fit_bgnbd", "expected_purchases", "prob_alive",
    "fit_gamma_gamma", "expected_spend", "predict_clv", "churn_model", "churn_warnings",
    "MODEL_COLUMNS", "warning_labels", "churn_by_tier",
]

# Days in an average calendar month: the CLV steps and discounting are monthly.
MONTH_DAYS = 365.25 / 12

MODEL_COLUMNS = ["customer_id", "frequency", "p_alive", "expected_purchases", "expected_spend",
                 "predicted_clv", "model_used"]


def warning_labels() -> dict[str, str]:
    """How the model and warning columns are called in tables: column -> label."""
    return texts("churn.column")


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

    def params(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k in ("r", "alpha", "a", "b")}


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


# --------------------------------------------------------------------------- summary


def summarise_orders(orders: pd.DataFrame, as_of, *, unit_days: float,
                     calibration_end=None) -> pd.DataFrame:
    """Frequency, recency, age and mean repeat spend per customer, the models' input.

    Purchases are the ``is_purchase`` rows dated on or before the cut-off (``calibration_end``
    when given, else ``as_of``), counted by distinct day. Per customer who bought:

    * ``frequency`` — repeat purchases: distinct purchase days − 1;
    * ``recency`` — first to last purchase day, in units of ``unit_days`` days;
    * ``T`` — first purchase day to the cut-off, in the same units;
    * ``monetary_value`` — mean net spend (元) of the repeat purchase days, where a day's
      spend is the ``net_amount`` of all the customer's orders that day (so a same-day return
      is netted); 0 for customers without repeat purchases. Returns on days without a
      purchase do not change it.

    With ``calibration_end`` the window (``calibration_end``, ``as_of``] is the hold-out and
    three more columns describe it: ``frequency_holdout`` (distinct purchase days, all of
    them count), ``monetary_holdout`` (net spend in 元, returns included) and
    ``duration_holdout`` (its length in units). Customers whose first purchase is after the
    cut-off are not in the result.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": ["A", "A", "A", "B"],
    ...     "order_date": pd.to_datetime(["2026-01-01", "2026-01-15", "2026-01-15", "2026-01-08"]),
    ...     "net_amount": [100.0, 30.0, 40.0, 50.0], "amount": [100.0, 30.0, 40.0, 50.0],
    ...     "is_purchase": [True, True, True, True]})
    >>> summarise_orders(o, pd.Timestamp("2026-01-29"), unit_days=7).round(2).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'customer_id': 'A', 'frequency': 1.0, 'recency': 2.0, 'T': 4.0, 'monetary_value': 70.0},
     {'customer_id': 'B', 'frequency': 0.0, 'recency': 0.0, 'T': 3.0, 'monetary_value': 0.0}]
    """
    as_of = pd.Timestamp(as_of).normalize()
    cut = as_of if calibration_end is None else pd.Timestamp(calibration_end).normalize()
    if cut > as_of:
        raise ValueError(f"calibration_end {cut.date()} is after as_of {as_of.date()}")
    day = orders["order_date"].dt.normalize()
    frame = pd.DataFrame({"customer_id": orders["customer_id"], "day": day,
                          "net": orders["net_amount"].astype(float),
                          "bought": orders["is_purchase"].astype(bool)})
    frame = frame[frame["day"] <= as_of]
    calib = frame[frame["day"] <= cut]
    days = calib.groupby(["customer_id", "day"], sort=True, observed=True).agg(
        net=("net", "sum"), bought=("bought", "any"))
    days = days[days["bought"]].reset_index()
    # rows are sorted by customer then day, so "first" is the first purchase day
    per = days.groupby("customer_id", sort=True, observed=True).agg(
        first=("day", "first"), last=("day", "last"), n=("day", "size"),
        total=("net", "sum"), first_net=("net", "first"))
    unit = pd.Timedelta(days=unit_days)
    n_repeat = per["n"] - 1
    out = pd.DataFrame({
        "customer_id": per.index,
        "frequency": n_repeat.astype(float).to_numpy(),
        "recency": ((per["last"] - per["first"]) / unit).to_numpy(dtype=float),
        "T": ((cut - per["first"]) / unit).to_numpy(dtype=float),
        "monetary_value": np.where(n_repeat > 0, (per["total"] - per["first_net"]) / n_repeat.clip(lower=1),
                                   0.0),
    })
    if calibration_end is not None:
        hold = frame[frame["day"] > cut]
        hold_days = hold[hold["bought"]].groupby("customer_id", observed=True)["day"].nunique()
        hold_spend = hold.groupby("customer_id", observed=True)["net"].sum()
        out["frequency_holdout"] = out["customer_id"].map(hold_days).fillna(0).astype(float)
        out["monetary_holdout"] = out["customer_id"].map(hold_spend).fillna(0.0).astype(float)
        out["duration_holdout"] = (as_of - cut) / unit
    return out.reset_index(drop=True)


def _as_arrays(*columns):
    return [np.atleast_1d(np.asarray(c, dtype=float)) for c in columns]


def _unique_rows(*columns):
    """Distinct rows of the stacked columns and how often each occurs (speeds up fitting)."""
    stacked = np.column_stack(columns)
    rows, counts = np.unique(stacked, axis=0, return_counts=True)
    return [rows[:, i] for i in range(rows.shape[1])], counts.astype(float)


def _optimise(objective, start: np.ndarray):
    """Minimise ``objective(log_params) -> (value, gradient)``; returns ``(result, converged)``.

    L-BFGS-B with the analytic gradient on log-parameters (so the parameters stay positive),
    bounded to e^±25 so a run-away parameter stops at a bound that :func:`_check` rejects.
    Should it stop without converging, Nelder–Mead continues from where it stopped.
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


# --------------------------------------------------------------------------- BG/NBD


def _levels(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct purchase counts and each row's position among them: the gamma functions of
    x are evaluated once per distinct count (a few dozen) instead of once per customer."""
    return np.unique(x, return_inverse=True)


def _bgnbd_loglik(log_params, x, t_x, T, weights=None, gradient=False, levels=None):
    """Per-customer BG/NBD log-likelihood, or with ``weights`` the weighted total; with
    ``gradient`` also the gradient of that total with respect to the log-parameters."""
    r, alpha, a, b = np.exp(log_params)
    ux, inv = _levels(x) if levels is None else levels
    # log of Γ(r+x) α^r / Γ(r) and of B(a, b+x) / B(a, b)
    common = (gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
              + gammaln(a + b) + gammaln(b + ux) - gammaln(b) - gammaln(a + b + ux))[inv]
    log_aT, log_at = np.log(alpha + T), np.log(alpha + t_x)
    still_alive = -(r + x) * log_aT
    repeat = x > 0
    # dropped out right after the last purchase: a/(b+x−1) · (α+t_x)^−(r+x), only when x > 0
    b_x1 = np.where(repeat, b + x - 1, 1.0)
    dropped = np.where(repeat, np.log(a) - np.log(b_x1) - (r + x) * log_at, -np.inf)
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
    d_ab = (digamma(a + b) - digamma(a + b + ux))[inv]
    d_a = d_ab + w_dropped / a
    d_b = d_ab + (digamma(b + ux) - digamma(b))[inv] - w_dropped / b_x1
    grad = np.array([(weights * d).sum() for d in (d_r, d_alpha, d_a, d_b)]) * np.array([r, alpha, a, b])
    return total, grad


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
    x, t_x, T = _as_arrays(frequency, recency, T)
    n = len(x)
    if n == 0 or not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(T).all()):
        return BGNBDFit(*[np.nan] * 5, False, text("churn.fit.no_data"), n)
    if not (x > 0).any():
        # the likelihood keeps rising as the purchase rate goes to 0: no maximum exists
        return BGNBDFit(*[np.nan] * 5, False, text("churn.fit.no_repeat_rate"), n)
    (ux, ut, uT), w = _unique_rows(x, t_x, T)
    total = w.sum()

    levels = _levels(ux)

    def objective(theta):
        with np.errstate(all="ignore"):
            value, grad = _bgnbd_loglik(theta, ux, ut, uT, w, gradient=True, levels=levels)
        if not (np.isfinite(value) and np.isfinite(grad).all()):
            return 1e10, np.zeros_like(theta)
        return -value / total, -grad / total

    # r = a = b = 1 and α matching the mean purchase rate r/α to the data's x/T
    rate = max(float(x.mean()), 0.1) / max(float(T.mean()), 1e-3)
    result, converged = _optimise(objective, np.array([0.0, np.log(1 / rate), 0.0, 0.0]))
    r, alpha, a, b = np.exp(result.x)
    values = {"r": r, "alpha": alpha, "a": a, "b": b}
    ok, message = _check(values, converged, str(result.message))
    return BGNBDFit(float(r), float(alpha), float(a), float(b), float(-result.fun * total), ok, message, n)


def prob_alive(fit: BGNBDFit, frequency, recency, T) -> np.ndarray:
    """P(customer still active | x, t_x, T) under BG/NBD (FHL 2005, eq. 13 of the note).

    A customer with no repeat purchase cannot have dropped out (dropout happens only right
    after a purchase), so their probability is exactly 1.
    """
    x, t_x, T = _as_arrays(frequency, recency, T)
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    repeat = x > 0
    log_odds = np.full_like(x, -np.inf)
    log_odds[repeat] = (np.log(a) - np.log(b + x[repeat] - 1)
                        + (r + x[repeat]) * (np.log(alpha + T[repeat]) - np.log(alpha + t_x[repeat])))
    return expit(-log_odds)


def expected_purchases(fit: BGNBDFit, t, frequency, recency, T) -> np.ndarray:
    """E[purchases in the next ``t`` units | x, t_x, T] under BG/NBD (FHL 2005, eq. 10).

    Uses Euler's transformation of the Gaussian hypergeometric function, so that
    ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; z) = (1−z)^(a−1) · ₂F₁(a+b−1−r, a−1;
    a+b+x−1; z) with z = t/(α+T+t): its first two arguments no longer grow with x, which
    keeps it accurate for frequent buyers.

    Examples
    --------
    >>> fit = BGNBDFit(0.243, 4.414, 0.793, 2.426, 0.0, True, "")
    >>> round(float(expected_purchases(fit, 39, 2, 30.43, 38.86)[0]), 3)
    1.226
    """
    x, t_x, T = _as_arrays(frequency, recency, T)
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    z = t / (alpha + T + t)
    term = np.exp((a - 1) * np.log1p(-z)) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    numerator = (a + b + x - 1) / (a - 1) * (1 - term)
    return numerator * prob_alive(fit, x, t_x, T)


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


def predict_clv(bgnbd: BGNBDFit, gg: GammaGammaFit, summary: pd.DataFrame, *, horizon_months: int,
                annual_discount_rate: float, unit_days: float) -> np.ndarray:
    """Discounted expected spend (元) over the next ``horizon_months`` months per customer.

    For each month i = 1…H (a month is 365.25/12 days): the expected purchases in that month
    (the BG/NBD expectation up to the end of month i minus that up to its start) × the
    Gamma-Gamma expected spend per purchase, discounted to today at the monthly rate
    (1 + annual rate)^(1/12) − 1 as if paid at the end of the month. ``summary`` has the
    columns of :func:`summarise_orders` in units of ``unit_days``.
    """
    x, t_x, T, m = _as_arrays(summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"])
    spend = expected_spend(gg, x, m)
    monthly_rate = (1 + annual_discount_rate) ** (1 / 12) - 1
    clv = np.zeros(len(x))
    previous = np.zeros(len(x))
    for month in range(1, int(horizon_months) + 1):
        cumulative = expected_purchases(bgnbd, month * MONTH_DAYS / unit_days, x, t_x, T)
        clv += (cumulative - previous) * spend / (1 + monthly_rate) ** month
        previous = cumulative
    return clv


# --------------------------------------------------------------------------- whole chain


def _empty_model(summary: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame({"customer_id": summary["customer_id"], "frequency": summary["frequency"]})
    for col in ["p_alive", "expected_purchases", "expected_spend", "predicted_clv"]:
        frame[col] = np.nan
    frame["model_used"] = False
    return frame[MODEL_COLUMNS]


def _fmt_params(values: dict) -> str:
    names = {"alpha": "α"}
    return ", ".join(f"{names.get(k, k)}={v:,.0f}" if abs(v) >= 1000 else f"{names.get(k, k)}={v:.3g}"
                     for k, v in values.items())


def _correlation(a: pd.Series, b: pd.Series) -> float:
    """Pearson correlation; NaN (without numpy's warning) for fewer than two pairs or a
    constant column, where it is undefined — a small base with ``min_repeat_customers`` set low."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def churn_model(orders: pd.DataFrame, as_of, churn_params: dict, *,
                rule_days: int) -> tuple[pd.DataFrame, dict]:
    """Fit BG/NBD and Gamma-Gamma on the orders and predict per customer; never raises on data.

    ``churn_params`` is the ``churn`` group of the params (``model``, ``time_unit_days``,
    ``horizon_days``, ``min_repeat_customers``, ``clv_horizon_months``,
    ``annual_discount_rate``); orders after ``as_of`` are ignored and ``rule_days``
    (``tiers.churn_days``) only words the fallback message. Returns ``(per_customer, status)``:

    * ``per_customer`` — one row per customer who bought: ``customer_id``, ``frequency``
      (repeat purchase days), ``p_alive``, ``expected_purchases`` (distinct purchase days in
      the next ``horizon_days``), ``expected_spend`` (元 per purchase), ``predicted_clv``
      (元, discounted, ``clv_horizon_months``), ``model_used``;
    * ``status`` — ``fitted`` (BG/NBD used), ``value_model`` (Gamma-Gamma used),
      ``message`` (in the run's language: the parameters, or why no model was used), the counts and
      the fitted parameters.

    With model ``none``, fewer repeat customers than ``min_repeat_customers``, no convergence
    or unusable parameters the model columns are NaN and the reason is in ``message``. When
    only the Gamma-Gamma fit fails, p_alive and expected purchases are kept and the spend
    columns are NaN.
    """
    unit = float(churn_params["time_unit_days"])
    summary = summarise_orders(orders, as_of, unit_days=unit)
    n_repeat = int((summary["frequency"] > 0).sum())
    minimum = int(churn_params["min_repeat_customers"])
    status = {"fitted": False, "value_model": False, "model": churn_params["model"],
              "n_customers": len(summary), "n_repeat": n_repeat, "bgnbd": None, "gamma_gamma": None,
              "freq_spend_corr": np.nan, "message": ""}
    fallback = text("churn.model.rule_only", days=rule_days)
    frame = _empty_model(summary)
    if status["model"] in (None, "none", False):
        status["message"] = text("churn.model.none", fallback=fallback)
        return frame, status
    if status["model"] != "bgnbd":
        status["message"] = text("churn.model.unknown", model=status["model"], fallback=fallback)
        return frame, status
    if n_repeat < minimum:
        status["message"] = text("churn.model.few_repeat", n=n_repeat, minimum=minimum, fallback=fallback)
        return frame, status

    try:
        bg = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    except (ValueError, FloatingPointError, ArithmeticError) as error:  # pragma: no cover - defensive
        status["message"] = text("churn.model.fit_error", error=error, fallback=fallback)
        return frame, status
    status["bgnbd"] = {**bg.params(), "log_likelihood": bg.log_likelihood}
    if not bg.converged:
        status["message"] = text("churn.model.unusable", reason=bg.message, fallback=fallback)
        return frame, status
    x, t_x, T = summary["frequency"], summary["recency"], summary["T"]
    with np.errstate(all="ignore"):
        p_alive = prob_alive(bg, x, t_x, T)
        purchases = expected_purchases(bg, float(churn_params["horizon_days"]) / unit, x, t_x, T)
    if not (np.isfinite(p_alive).all() and np.isfinite(purchases).all() and (purchases >= -1e-9).all()):
        status["message"] = text("churn.model.invalid", params=_fmt_params(bg.params()), fallback=fallback)
        return frame, status
    frame["p_alive"], frame["expected_purchases"], frame["model_used"] = p_alive, purchases.clip(min=0), True
    status["fitted"] = True
    fitted = text("churn.model.fitted", params=_fmt_params(bg.params()), n=len(summary), n_repeat=n_repeat)

    repeat = (summary["frequency"] > 0) & (summary["monetary_value"] > 0)
    if repeat.sum() < minimum:
        status["message"] = text("churn.model.few_spenders", fitted=fitted, n=int(repeat.sum()), minimum=minimum)
        return frame, status
    status["freq_spend_corr"] = _correlation(summary.loc[repeat, "frequency"],
                                             summary.loc[repeat, "monetary_value"])
    gg = fit_gamma_gamma(summary["frequency"], summary["monetary_value"])
    status["gamma_gamma"] = {**gg.params(), "log_likelihood": gg.log_likelihood}
    if not gg.converged:
        status["message"] = text("churn.model.spend_unusable", fitted=fitted, reason=gg.message)
        return frame, status
    with np.errstate(all="ignore"):
        spend = expected_spend(gg, summary["frequency"], summary["monetary_value"])
        clv = predict_clv(bg, gg, summary, horizon_months=int(churn_params["clv_horizon_months"]),
                          annual_discount_rate=float(churn_params["annual_discount_rate"]), unit_days=unit)
    if not (np.isfinite(spend).all() and np.isfinite(clv).all()):
        status["message"] = text("churn.model.spend_invalid", fitted=fitted, params=_fmt_params(gg.params()))
        return frame, status
    frame["expected_spend"], frame["predicted_clv"] = spend, clv
    status["value_model"] = True
    corr = status["freq_spend_corr"]
    status["message"] = text("churn.model.both_fitted", fitted=fitted, params=_fmt_params(gg.params()),
                             mean_spend=gg.mean_spend,
                             corr=f"{corr:.2f}" if np.isfinite(corr) else text("churn.model.no_correlation"))
    return frame, status


def churn_warnings(features: pd.DataFrame, model_frame: pd.DataFrame | None = None, *, days: int,
                   min_spend: float, p_alive_threshold: float) -> pd.DataFrame:
    """The churn rule combined with the model's probability that the customer is still active.

    ``days`` and ``min_spend`` are the rule's ``tiers.churn_days`` and ``tiers.churn_min_spend``
    (90 days and 2,000 元 in base.yml), ``p_alive_threshold`` is ``churn.p_alive_threshold``.

    ``features`` has ``customer_id``, ``days_since_last`` and ``total_spend`` (元) per
    customer (the segments table); ``model_frame`` is :func:`churn_model`'s per-customer frame
    (or None). One row per row of ``features``, in its order:

    * ``rule_warning`` — no purchase for ``days`` days and history ≥ ``min_spend`` 元;
    * ``model_warning`` — the model was used, the customer has at least one repeat purchase,
      P(active) < ``p_alive_threshold`` and history ≥ ``min_spend`` 元. One-time buyers get no
      model warning: BG/NBD puts their P(active) at exactly 1, so the rule alone speaks for
      them. The spend floor is the rule's, so both flag only customers worth winning back;
    * ``churn_warning`` — rule OR model;
    * ``warning_reason`` — e.g. ``95天未购买，历史消费3,200元；模型估计仍活跃概率 31%``.

    Examples
    --------
    >>> f = pd.DataFrame({"customer_id": ["A"], "days_since_last": [95.0], "total_spend": [3200.0]})
    >>> churn_warnings(f, days=90, min_spend=2000, p_alive_threshold=0.5)["warning_reason"].iloc[0]
    '95天未购买，历史消费3,200元'
    """
    out = pd.DataFrame({"customer_id": features["customer_id"].to_numpy()}, index=features.index)
    days_since = features["days_since_last"].astype(float)
    spend = features["total_spend"].astype(float)
    rule = ((days_since >= days) & (spend >= min_spend)).fillna(False).astype(bool)
    if model_frame is not None and len(model_frame):
        by_id = model_frame.set_index("customer_id")
        p_alive = out["customer_id"].map(by_id["p_alive"]).astype(float)
        repeat = out["customer_id"].map(by_id["frequency"]).astype(float) > 0
        used = out["customer_id"].map(by_id["model_used"]).fillna(False).astype(bool)
    else:
        p_alive = pd.Series(np.nan, index=out.index)
        repeat = used = pd.Series(False, index=out.index)
    model = (used & repeat & (p_alive < p_alive_threshold) & (spend >= min_spend)).fillna(False).astype(bool)
    reasons = []
    joiner = text("churn.reason.joiner")
    for r, m, d, s, p in zip(rule, model, days_since, spend, p_alive):
        parts = []
        if r:
            parts.append(text("churn.reason.rule", days=int(d), spend=s))
        if m:
            parts.append(text("churn.reason.model", p=p))
        reasons.append(joiner.join(parts) if parts else pd.NA)
    out["churn_warning"] = rule | model
    out["warning_reason"] = pd.array(reasons, dtype="string")
    out["rule_warning"] = rule
    out["model_warning"] = model
    out["p_alive"] = p_alive.to_numpy()
    return out


def churn_by_tier(churn: pd.DataFrame, segments: pd.DataFrame, roles: TierRoles) -> pd.DataFrame:
    """Per tier, in the rules' order: customers, warnings and their share, mean P(active),
    predicted CLV (元). Column labels: ``texts("churn.by_tier")``."""
    label = texts("churn.by_tier")
    frame = segments[["customer_id", "tier"]].merge(churn, on="customer_id", how="left")
    grouped = frame.groupby("tier", observed=True)
    table = pd.DataFrame({
        label["customers"]: grouped.size(),
        label["warned"]: grouped["churn_warning"].sum().astype(int),
        label["warned_share"]: grouped["churn_warning"].mean(),
        label["mean_p_alive"]: grouped["p_alive"].mean(),
        label["clv_total"]: grouped["predicted_clv"].sum(min_count=1),
        label["clv_mean"]: grouped["predicted_clv"].mean(),
    })
    table = table.reindex([t for t in roles.order if t in table.index])
    table.index.name = text("segment.dimension.tier")
    return table
