"""Step 04 — churn risk, expected next purchase, lifetime value (CLV) and the churn warning.

The models (:mod:`analysis.steps.churn_models`) are fitted on each customer's purchase days:
a buy-till-you-die model — MBG/NBD by default (``churn.model``), which gives one-time buyers a
real dropout probability, or BG/NBD, which puts theirs at 1 — for P(still active), P(no
purchase in the next ``churn.horizon_days``), the expected purchases in that period and an
expected next-purchase date; and Gamma-Gamma for the spend per purchase, which with the
purchase model gives the predicted CLV.

A "purchase" is a distinct purchase day, so several orders on one day count once, as in the
CDNOW data the models were published on. Time is measured in units of ``time_unit_days`` days
(weeks by default, the unit of the published CDNOW fit).

:func:`churn_model` runs the whole chain and never raises on data it cannot model: it returns
NaN columns and says why (in the run's language) in its status. :func:`churn_warnings` then
ranks the customers by risk × value — P(no purchase in the horizon) × spend to date or
predicted CLV (``churn.value_basis``) — and warns the top ``churn.warn_top_share`` (or
``churn.warn_top_n``), with no spend floor. The plain rule (``tiers.churn_days`` /
``tiers.churn_min_spend``) is kept beside it as ``rule_warning``, the baseline the backtest
compares the model against, and decides alone when no model could be used.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.steps.churn_models import (
    MONTH_DAYS, BGNBDFit, GammaGammaFit, MBGNBDFit, expected_purchases, expected_spend, fit_bgnbd,
    fit_gamma_gamma, fit_mbgnbd, median_wait, predict_clv, prob_alive, prob_no_purchase,
)
from analysis.text_columns import text_column
from analysis.tiers import TierRoles
from analysis.vocab import text, texts

__all__ = [
    "summarise_orders", "churn_model", "churn_warnings", "warning_summary", "churn_by_tier",
    "warning_labels", "MODEL_COLUMNS", "WARNING_COLUMNS", "MODELS", "ORDER_COLUMNS",
    # the model maths, re-exported from analysis.steps.churn_models
    "BGNBDFit", "MBGNBDFit", "GammaGammaFit", "fit_bgnbd", "fit_mbgnbd", "prob_alive", "expected_purchases",
    "prob_no_purchase", "median_wait", "fit_gamma_gamma", "expected_spend", "predict_clv", "MONTH_DAYS",
]

# What churn_model reads of the cleaned orders (callers may pass only these).
ORDER_COLUMNS = ("customer_id", "order_date", "net_amount", "is_purchase")
# churn.model values that fit a purchase model ("none": the rule alone).
MODELS = ("bgnbd", "mbgnbd")

MODEL_COLUMNS = ["customer_id", "frequency", "p_alive", "p_no_purchase", "expected_purchases",
                 "expected_next_purchase", "expected_spend", "predicted_clv", "model_used"]

WARNING_COLUMNS = ["customer_id", "churn_warning", "warning_reason", "rule_warning", "model_warning",
                   "p_alive", "p_no_purchase", "expected_next_purchase", "warning_value", "risk_value",
                   "risk_value_rank"]


def warning_labels() -> dict[str, str]:
    """How the model and warning columns are called in tables: column -> label."""
    return texts("churn.column")


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
    # customers as codes in the ids' sort order (groupby's order); a blank id (-1) is dropped as
    # groupby drops a blank key
    code, ids = pd.factorize(orders["customer_id"], sort=True)
    day = orders["order_date"].dt.normalize().to_numpy()
    kept = (day <= as_of.to_datetime64()) & (code >= 0)   # taken once, not a frame of every row
    frame = pd.DataFrame({"c": code[kept], "day": day[kept],
                          "net": orders["net_amount"].astype(float).to_numpy()[kept],
                          "bought": orders["is_purchase"].astype(bool).to_numpy()[kept]})
    del code, day, kept
    calib = frame[frame["day"] <= cut] if cut < as_of else frame
    days = calib.groupby(["c", "day"], sort=True).agg(net=("net", "sum"), bought=("bought", "any"))
    days = days[days["bought"]].reset_index()
    # rows are sorted by customer then day, so "first" is the first purchase day
    per = days.groupby("c", sort=True).agg(
        first=("day", "first"), last=("day", "last"), n=("day", "size"),
        total=("net", "sum"), first_net=("net", "first"))
    unit = pd.Timedelta(days=unit_days)
    n_repeat = per["n"] - 1
    out = pd.DataFrame({
        "customer_id": ids.take(per.index.to_numpy()),
        "frequency": n_repeat.astype(float).to_numpy(),
        "recency": ((per["last"] - per["first"]) / unit).to_numpy(dtype=float),
        "T": ((cut - per["first"]) / unit).to_numpy(dtype=float),
        "monetary_value": np.where(n_repeat > 0, (per["total"] - per["first_net"]) / n_repeat.clip(lower=1),
                                   0.0),
    })
    if calibration_end is not None:
        hold = frame[frame["day"] > cut]
        hold_days = hold[hold["bought"]].groupby("c")["day"].nunique()
        hold_spend = hold.groupby("c")["net"].sum()
        out["frequency_holdout"] = hold_days.reindex(per.index).fillna(0).astype(float).to_numpy()
        out["monetary_holdout"] = hold_spend.reindex(per.index).fillna(0.0).astype(float).to_numpy()
        out["duration_holdout"] = (as_of - cut) / unit
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- whole chain


def _fitter(name: str):
    # looked up on each call (not in a table built at import) so a test can replace one
    return {"bgnbd": fit_bgnbd, "mbgnbd": fit_mbgnbd}[name]


def _empty_model(summary: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame({"customer_id": summary["customer_id"], "frequency": summary["frequency"]})
    for col in ["p_alive", "p_no_purchase", "expected_purchases", "expected_spend", "predicted_clv"]:
        frame[col] = np.nan
    frame["expected_next_purchase"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
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


def _next_purchase(fit: BGNBDFit, summary: pd.DataFrame, p_alive: np.ndarray, as_of: pd.Timestamp, *,
                   unit_days: float, min_p_alive: float, horizon_months: int) -> pd.Series:
    """as_of + the median wait for the next purchase given the customer is still active,
    rounded to whole days; NaT when P(active) < ``min_p_alive`` or the date would be more than
    ``horizon_months`` months (of 365.25/12 days) away."""
    wait_days = median_wait(fit, summary["frequency"], summary["T"]) * unit_days
    shown = (p_alive >= min_p_alive) & (wait_days <= horizon_months * MONTH_DAYS)
    days = np.where(shown, np.round(np.where(shown, wait_days, 0.0)), np.nan)
    return pd.Series(as_of + pd.to_timedelta(days, unit="D"), index=summary.index)


def churn_model(orders: pd.DataFrame, as_of, churn_params: dict, *,
                rule_days: int) -> tuple[pd.DataFrame, dict]:
    """Fit the purchase model and Gamma-Gamma on the orders and predict per customer; never
    raises on data.

    ``churn_params`` is the ``churn`` group of the params (``model``, ``time_unit_days``,
    ``horizon_days``, ``p_alive_threshold``, ``min_repeat_customers``, ``clv_horizon_months``,
    ``annual_discount_rate``); orders after ``as_of`` are ignored and ``rule_days``
    (``tiers.churn_days``) only words the fallback message. Returns ``(per_customer, status)``:

    * ``per_customer`` — one row per customer who bought (:data:`MODEL_COLUMNS`):
      ``customer_id``, ``frequency`` (repeat purchase days), ``p_alive``, ``p_no_purchase``
      (no purchase day in the next ``horizon_days``), ``expected_purchases`` (distinct purchase
      days in the next ``horizon_days``), ``expected_next_purchase`` (a date, see below),
      ``expected_spend`` (元 per purchase), ``predicted_clv`` (元, discounted,
      ``clv_horizon_months``), ``model_used``;
    * ``status`` — ``fitted`` (purchase model used), ``value_model`` (Gamma-Gamma used),
      ``model`` (``churn.model``), ``message`` (in the run's language: the parameters, or why no
      model was used), the counts, and ``purchase_model`` / ``gamma_gamma``: the fitted
      parameters with their log-likelihood, or None.

    ``expected_next_purchase`` is ``as_of`` + the median wait for the next purchase *if the
    customer is still active* (:func:`analysis.steps.churn_models.median_wait`), in whole days:
    by that date an active customer has bought again with probability one half. It is blank
    (NaT) when the customer is more likely gone than not — P(active) below
    ``p_alive_threshold`` — or when the date lies beyond the ``clv_horizon_months`` the kit
    forecasts.

    With model ``none``, fewer repeat customers than ``min_repeat_customers``, no convergence
    or unusable parameters the model columns are NaN and the reason is in ``message``. When
    only the Gamma-Gamma fit fails, the purchase predictions are kept and the spend columns
    are NaN.
    """
    unit = float(churn_params["time_unit_days"])
    as_of = pd.Timestamp(as_of).normalize()
    summary = summarise_orders(orders, as_of, unit_days=unit)
    n_repeat = int((summary["frequency"] > 0).sum())
    minimum = int(churn_params["min_repeat_customers"])
    name = churn_params["model"]
    status = {"fitted": False, "value_model": False, "model": name,
              "n_customers": len(summary), "n_repeat": n_repeat, "purchase_model": None, "gamma_gamma": None,
              "freq_spend_corr": np.nan, "message": ""}
    fallback = text("churn.model.rule_only", days=rule_days)
    frame = _empty_model(summary)
    if name in (None, "none", False):
        status["message"] = text("churn.model.none", fallback=fallback)
        return frame, status
    if name not in MODELS:
        status["message"] = text("churn.model.unknown", model=name, fallback=fallback)
        return frame, status
    label = text(f"churn.model_name.{name}")
    if n_repeat < minimum:
        status["message"] = text("churn.model.few_repeat", n=n_repeat, minimum=minimum, fallback=fallback)
        return frame, status

    x, t_x, T = summary["frequency"], summary["recency"], summary["T"]
    try:
        fit = _fitter(name)(x, t_x, T)
    except (ValueError, FloatingPointError, ArithmeticError) as error:  # pragma: no cover - defensive
        status["message"] = text("churn.model.fit_error", model=label, error=error, fallback=fallback)
        return frame, status
    status["purchase_model"] = {**fit.params(), "log_likelihood": fit.log_likelihood}
    if not fit.converged:
        status["message"] = text("churn.model.unusable", model=label, reason=fit.message, fallback=fallback)
        return frame, status
    horizon = float(churn_params["horizon_days"]) / unit
    with np.errstate(all="ignore"):
        p_alive = prob_alive(fit, x, t_x, T)
        p_none = prob_no_purchase(fit, horizon, x, t_x, T)
        purchases = expected_purchases(fit, horizon, x, t_x, T)
    if not (np.isfinite(p_alive).all() and np.isfinite(purchases).all() and np.isfinite(p_none).all()
            and (purchases >= -1e-9).all()):
        status["message"] = text("churn.model.invalid", model=label, params=_fmt_params(fit.params()),
                                 fallback=fallback)
        return frame, status
    frame["p_alive"], frame["p_no_purchase"] = p_alive, p_none.clip(0, 1)
    frame["expected_purchases"], frame["model_used"] = purchases.clip(min=0), True
    frame["expected_next_purchase"] = _next_purchase(
        fit, summary, p_alive, as_of, unit_days=unit, min_p_alive=float(churn_params["p_alive_threshold"]),
        horizon_months=int(churn_params["clv_horizon_months"]))
    status["fitted"] = True
    fitted = text("churn.model.fitted", model=label, params=_fmt_params(fit.params()), n=len(summary),
                  n_repeat=n_repeat)

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
        clv = predict_clv(fit, gg, summary, horizon_months=int(churn_params["clv_horizon_months"]),
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


# --------------------------------------------------------------------------- the warning


def _cut_size(n: int, churn_params: dict) -> int:
    """How many of ``n`` ranked customers the model warns: ``warn_top_n`` when set, else
    ⌈warn_top_share · n⌉ (at least 1), as ``{top_share: s}`` counts in the tier thresholds."""
    if n == 0:
        return 0
    top_n = churn_params["warn_top_n"]
    if top_n is not None:
        return min(int(top_n), n)
    # the small tolerance keeps 0.3 · 10 = 3.0000000000000004 at 3
    return min(n, max(1, math.ceil(float(churn_params["warn_top_share"]) * n - 1e-9)))


def churn_warnings(features: pd.DataFrame, model_frame: pd.DataFrame | None = None, *, days: float,
                   min_spend: float, churn_params: dict | None = None,
                   p_alive_threshold: float | None = None) -> pd.DataFrame:
    """The churn warning: the model's risk × value ranking, cut by a param, beside the plain rule.

    ``features`` has ``customer_id``, ``days_since_last`` and ``total_spend`` (元) per customer
    (the segments table); ``model_frame`` is :func:`churn_model`'s per-customer frame (or None).
    ``days`` and ``min_spend`` are the rule's thresholds as resolved for this run, in days and
    元 (``tiers.churn_days`` / ``tiers.churn_min_spend`` through
    :func:`analysis.steps.thresholds.resolve_tiers`; segment_customers' ``notes.thresholds``).
    ``churn_params`` is the ``churn`` group of the params (``value_basis``, ``warn_top_share``,
    ``warn_top_n``, ``horizon_days``). One row per row of ``features``, in its order
    (:data:`WARNING_COLUMNS`):

    * ``rule_warning`` — the baseline: no purchase for ``days`` days and spend to date ≥
      ``min_spend`` 元;
    * ``risk_value`` — P(no purchase in the next ``horizon_days``) × ``warning_value``, where
      ``warning_value`` is the spend to date (``value_basis: history``) or the predicted CLV
      (``clv``; spend to date when the spend model could not be fitted — ``attrs["value_basis"]``
      says which was used); with ``none`` the risk alone (``warning_value`` blank). Only
      customers the model scored are ranked (customers who never bought are not);
    * ``risk_value_rank`` — 1 = highest risk × value; ties by higher value, then customer id;
    * ``model_warning`` — the ``warn_top_n`` highest ranks, or the top ``warn_top_share`` of the
      ranked customers (⌈share · n⌉, at least 1), among those with risk × value > 0. No spend
      floor and no special case for one-time buyers: the model scores them too;
    * ``churn_warning`` — the warning list others read: ``model_warning`` when the model was
      used, else ``rule_warning`` (the rule decides alone);
    * ``warning_reason`` — e.g. ``95天未购买，历史消费3,200元；…``, the rule's part and the
      model's part as they apply to a warned customer;
    * ``p_alive``, ``p_no_purchase``, ``expected_next_purchase`` — from the model frame.

    ``p_alive_threshold`` without ``churn_params`` is the earlier warning, kept for callers not
    yet moved to the ranking: the model warns below that P(active) and ``churn_warning`` is
    rule or model; no ranking columns.

    Examples
    --------
    >>> f = pd.DataFrame({"customer_id": ["A"], "days_since_last": [95.0], "total_spend": [3200.0]})
    >>> cut = {"value_basis": "history", "warn_top_share": 0.1, "warn_top_n": None, "horizon_days": 90}
    >>> churn_warnings(f, days=90, min_spend=2000, churn_params=cut)["warning_reason"].iloc[0]
    '95天未购买，历史消费3,200元'
    """
    if churn_params is None and p_alive_threshold is None:
        raise TypeError("churn_warnings needs churn_params (the churn params group) for the ranking")
    for name, value in (("days", days), ("min_spend", min_spend)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            # None or {quantile: …} straight from params: the rule would silently warn nobody
            raise TypeError(f"churn_warnings: {name}={value!r} is not a number; pass the rule's thresholds "
                            "as resolved (analysis.steps.thresholds.resolve_tiers)")
    out = pd.DataFrame({"customer_id": features["customer_id"].to_numpy()}, index=features.index)
    days_since = features["days_since_last"].astype(float)
    spend = features["total_spend"].astype(float)
    rule = ((days_since >= days) & (spend >= min_spend)).fillna(False).astype(bool)
    nan = pd.Series(np.nan, index=out.index)
    if model_frame is not None and len(model_frame):
        # each customer's row in the model frame, looked up once for all its columns
        at = pd.Index(model_frame["customer_id"]).get_indexer(out["customer_id"])
        found = at >= 0

        def column(name: str) -> pd.Series:
            if name not in model_frame:
                return nan
            values = model_frame[name].to_numpy()[np.where(found, at, 0)]
            blank = False if values.dtype == bool else np.datetime64("NaT") if values.dtype.kind == "M" else np.nan
            return pd.Series(np.where(found, values, blank), index=out.index)

        used = column("model_used").astype(bool)
        p_alive = column("p_alive").astype(float)
        p_none = column("p_no_purchase").astype(float)
        next_date = pd.to_datetime(column("expected_next_purchase"))
        clv = column("predicted_clv").astype(float)
    else:
        used = pd.Series(False, index=out.index)
        p_alive = p_none = clv = nan
        next_date = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    out.attrs["value_basis"] = None

    if churn_params is None:   # the earlier warning: P(active) below a threshold
        model = (used & (p_alive < p_alive_threshold)).fillna(False).astype(bool)
        out["churn_warning"] = rule | model
        model_reason = ("churn.reason.model", {"p": p_alive})
    else:
        basis = churn_params["value_basis"]
        value = spend
        if basis == "clv":
            if clv[used].notna().all() and used.any():
                value = clv
            else:
                basis = "history"
        elif basis == "none":
            value = pd.Series(1.0, index=out.index)
        out.attrs["value_basis"] = basis
        score = p_none * value
        ranked = used & p_none.notna() & value.notna()
        order = (pd.DataFrame({"score": score, "value": value, "id": out["customer_id"].astype(str)})[ranked]
                 .sort_values(["score", "value", "id"], ascending=[False, False, True], kind="mergesort"))
        rank = pd.Series(pd.NA, index=out.index, dtype="Int64")
        rank[order.index] = np.arange(1, len(order) + 1)
        k = _cut_size(len(order), churn_params)
        model = ((rank <= k) & (score > 0)).fillna(False).astype(bool)
        ranking = text(f"churn.ranking.{basis}")
        horizon = int(churn_params["horizon_days"])
        out["churn_warning"] = model if used.any() else rule
        model_reason = ("churn.reason.ranked", {"p": p_none, "days": horizon, "ranking": ranking, "rank": rank})
        out["warning_value"] = value.where(ranked & (basis != "none")).to_numpy()
        out["risk_value"] = score.where(ranked).to_numpy()
        out["risk_value_rank"] = rank
    out["warning_reason"] = _reasons(out["churn_warning"], rule, model, days_since, spend, model_reason)
    out["rule_warning"] = rule
    out["model_warning"] = model
    out["p_alive"] = p_alive.to_numpy()
    out["p_no_purchase"] = p_none.to_numpy()
    out["expected_next_purchase"] = next_date.to_numpy()
    return out[[c for c in WARNING_COLUMNS if c in out]]


def _reasons(warned: pd.Series, rule: pd.Series, model: pd.Series, days_since: pd.Series, spend: pd.Series,
             model_reason: tuple[str, dict]) -> pd.Series:
    """Each warned customer's reason, built column-wise: the rule's part and the model's part
    (``model_reason``: its vocabulary key and fields, Series or one value for all), joined where
    both apply; blank for the customers not warned."""
    by_rule, by_model = (warned & rule).to_numpy(), (warned & model).to_numpy()
    reason = np.full(len(warned), None, dtype=object)
    reason[by_rule] = text_column("churn.reason.rule", days=days_since[by_rule].astype("int64"),
                                  spend=spend[by_rule])
    key, fields = model_reason
    said = text_column(key, **{name: value[by_model] if isinstance(value, pd.Series) else value
                               for name, value in fields.items()})
    both = by_rule[by_model]
    said[both] = reason[by_model][both] + text("churn.reason.joiner") + said[both]
    reason[by_model] = said
    return pd.Series(pd.array(reason, dtype="string"), index=warned.index)


def warning_summary(warnings: pd.DataFrame, churn_params: dict, status: dict, *, rule_days: float) -> str:
    """One sentence on the warning list of :func:`churn_warnings` (called with ``churn_params``):
    how many the model warned and on what, how many the ``rule_days``-day rule would have, and
    how many both; ``status`` is :func:`churn_model`'s."""
    rule, model = warnings["rule_warning"], warnings["model_warning"]
    if not status.get("fitted"):
        return text("churn.summary.rule_only", rule=int(rule.sum()), rule_days=int(rule_days))
    top_n = churn_params["warn_top_n"]
    cut = (text("churn.summary.cut_n", n=int(top_n)) if top_n is not None
           else text("churn.summary.cut_share", share=float(churn_params["warn_top_share"])))
    basis = warnings.attrs.get("value_basis") or churn_params["value_basis"]
    note = (text("churn.summary.clv_unavailable") if churn_params["value_basis"] == "clv" and basis != "clv"
            else "")
    return text("churn.summary.ranked", model=int(model.sum()), ranked=int(warnings["risk_value_rank"].notna().sum()),
                cut=cut, ranking=text(f"churn.ranking.{basis}"), days=int(churn_params["horizon_days"]),
                rule=int(rule.sum()), both=int((rule & model).sum()), rule_days=int(rule_days)) + note


def churn_by_tier(churn: pd.DataFrame, segments: pd.DataFrame, roles: TierRoles) -> pd.DataFrame:
    """Per tier, in the rules' order: customers, warnings and their share, the rule's warnings,
    mean P(active) and P(no purchase in the horizon), predicted CLV (元). Column labels:
    ``texts("churn.by_tier")``."""
    label = texts("churn.by_tier")
    frame = segments[["customer_id", "tier"]].merge(churn, on="customer_id", how="left")
    for column in ("rule_warning", "p_no_purchase", "predicted_clv"):
        if column not in frame:
            frame[column] = False if column == "rule_warning" else np.nan
    grouped = frame.groupby("tier", observed=True)
    table = pd.DataFrame({
        label["customers"]: grouped.size(),
        label["warned"]: grouped["churn_warning"].sum().astype(int),
        label["warned_share"]: grouped["churn_warning"].mean(),
        label["rule_warned"]: grouped["rule_warning"].sum().astype(int),
        label["mean_p_alive"]: grouped["p_alive"].mean(),
        label["mean_p_no_purchase"]: grouped["p_no_purchase"].mean(),
        label["clv_total"]: grouped["predicted_clv"].sum(min_count=1),
        label["clv_mean"]: grouped["predicted_clv"].mean(),
    })
    table = table.reindex([t for t in roles.order if t in table.index])
    table.index.name = text("segment.dimension.tier")
    return table
