"""Step 04 — backtest: segment on the past, score against what customers did next.

History is split at a cutoff ``churn.backtest_cutoff_days`` before the as-of date. On the
orders up to the cutoff the kit segments the customers
(:func:`analysis.steps.segment.segment_customers`, as notebook 03 does), applies the churn rule
(``tiers.churn_days`` / ``tiers.churn_min_spend``) and fits the BG/NBD + Gamma-Gamma models
(:mod:`analysis.steps.churn`), exactly as a run on that day would have. The next
``churn.horizon_days`` then show what happened:

* did warned customers stop buying? — precision and recall of "no purchase in the next N
  days" for the rule alone, the model alone and the two combined;
* what share of next-period revenue did each tier bring, against its share of customers?
* were the predicted purchases right? — in total and by decile of the prediction.

The population is every customer with at least one purchase on or before the cutoff;
customers whose first purchase comes later cannot have been segmented and are counted apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.steps.churn import churn_model, churn_warnings
from analysis.steps.segment import segment_customers
from analysis.tiers import TierRoles
from analysis.vocab import text, texts

__all__ = ["BacktestResult", "backtest"]


@dataclass
class BacktestResult:
    """What :func:`backtest` found; the tables carry labels in the run's language
    (``analysis/vocab/backtest.yml``).

    Attributes
    ----------
    cutoff, end : pd.Timestamp
        Segmentation day and the last day of the scored period (cutoff, end].
    horizon_days : int
        Length of the scored period in days (shorter than asked when it would pass the as-of date).
    warnings : pd.DataFrame
        Precision and recall of each warning for "no purchase in the period", one row per warning.
    tiers : pd.DataFrame
        Per tier (cutoff tiers): customers, their share, who bought, next-period revenue and its share.
    totals : pd.DataFrame
        Predicted against actual purchases (distinct purchase days) and spend (元); empty
        when the model was not fitted.
    deciles : pd.DataFrame
        The same per customer decile of predicted purchases (1 = fewest); empty without a model.
    customers : pd.DataFrame
        Per customer: tier at the cutoff, the warnings, the model's predictions and what happened.
    rule_by_model : pd.DataFrame
        The rule's warnings split by the model's P(active): does the model tell the warned
        customers who really stopped from those who did not? Empty without a model.
    model_status : dict
        :func:`analysis.steps.churn.churn_model`'s status for the fit at the cutoff.
    findings : list[str]
        Plain-language sentences with the numbers, for the notebook and the report.
    """

    cutoff: pd.Timestamp
    end: pd.Timestamp
    horizon_days: int
    warnings: pd.DataFrame
    tiers: pd.DataFrame
    totals: pd.DataFrame
    deciles: pd.DataFrame
    customers: pd.DataFrame
    model_status: dict
    rule_by_model: pd.DataFrame = field(default_factory=pd.DataFrame)
    new_customers: int = 0
    new_customer_revenue: float = 0.0
    findings: list[str] = field(default_factory=list)


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else float("nan")


def _warning_row(name: str, warned: pd.Series, stopped: pd.Series, worth: pd.Series) -> dict:
    label = texts("backtest.column")
    hits = warned & stopped
    return {
        label["method"]: name,
        label["warned"]: int(warned.sum()),
        label["stopped"]: int(hits.sum()),
        label["precision"]: _ratio(hits.sum(), warned.sum()),
        label["recall"]: _ratio(hits.sum(), stopped.sum()),
        label["recall_worth"]: _ratio((hits & worth).sum(), (stopped & worth).sum()),
    }


def _tier_table(frame: pd.DataFrame, roles: TierRoles) -> pd.DataFrame:
    label = texts("backtest.tier")
    revenue = frame["actual_revenue"]
    grouped = frame.groupby("tier", observed=True)
    n = grouped.size()
    table = pd.DataFrame({
        label["customers"]: n,
        label["customer_share"]: n / len(frame),
        label["bought_share"]: grouped["bought_next"].mean(),
        label["revenue"]: grouped["actual_revenue"].sum(),
        label["revenue_share"]: grouped["actual_revenue"].sum() / revenue.sum() if revenue.sum() else np.nan,
        label["revenue_mean"]: grouped["actual_revenue"].mean(),
    })
    table[label["lift"]] = table[label["revenue_share"]] / table[label["customer_share"]]
    order = [t for t in roles.order if t in table.index] + [t for t in table.index if t not in roles.order]
    return table.reindex(order).rename_axis(text("backtest.tier_index"))


def _decile_table(frame: pd.DataFrame) -> pd.DataFrame:
    label = texts("backtest.decile")
    n_groups = min(10, len(frame))
    group = pd.qcut(frame["expected_purchases"].rank(method="first"), n_groups, labels=range(1, n_groups + 1))
    grouped = frame.groupby(group, observed=True)
    table = pd.DataFrame({
        label["customers"]: grouped.size(),
        label["mean_predicted"]: grouped["expected_purchases"].mean(),
        label["mean_actual"]: grouped["actual_purchases"].mean(),
        label["predicted_total"]: grouped["expected_purchases"].sum(),
        label["actual_total"]: grouped["actual_purchases"].sum(),
        label["mean_p_alive"]: grouped["p_alive"].mean(),
        label["bought_share"]: grouped["bought_next"].mean(),
    })
    return table.rename_axis(text("backtest.decile_index"))


def _rule_by_model(frame: pd.DataFrame, threshold: float) -> pd.DataFrame:
    label = texts("backtest.column")
    below = text("backtest.band.below", threshold=threshold)
    at_least = text("backtest.band.at_least", threshold=threshold)
    one_time = text("backtest.band.one_time")
    warned = frame[frame["rule_warning"]]
    # the model judges only repeat buyers: P(active) is exactly 1 after a single purchase
    band = np.select([warned["frequency"] == 0, warned["p_alive"] < threshold], [one_time, below], at_least)
    stopped = ~warned["bought_next"]
    grouped = stopped.groupby(band)
    table = pd.DataFrame({label["warned"]: grouped.size(), label["stopped"]: grouped.sum().astype(int)})
    table[label["precision"]] = table[label["stopped"]] / table[label["warned"]]
    order = [below, at_least, one_time]
    return table.reindex([o for o in order if o in table.index]).rename_axis(text("backtest.band_index"))


def backtest(orders: pd.DataFrame, customers: pd.DataFrame, as_of, params: dict,
             roles: TierRoles) -> BacktestResult:
    """Segment and warn at ``as_of − churn.backtest_cutoff_days``; score the next ``churn.horizon_days``.

    ``orders`` and ``customers`` are the cleaned tables; ``params`` the resolved params (groups
    ``rfm``, ``tiers`` and ``churn`` are used) and ``roles`` their
    :func:`analysis.tiers.tier_roles` (tables list tiers in the rules' order). A customer
    "stopped buying" when they made no purchase in (cutoff, cutoff + horizon]; purchases are
    counted as distinct purchase days and revenue is net spend (returns included) in 元. The
    period is cut at ``as_of`` when the cutoff is less than ``horizon_days`` before it (and the
    shortening is stated in ``findings``). Never raises because the model cannot be fitted: the
    model rows are then empty and the reason is in ``model_status["message"]``.
    """
    as_of = pd.Timestamp(as_of).normalize()
    churn = params["churn"]
    tiers = params["tiers"]
    cutoff = as_of - pd.Timedelta(days=int(churn["backtest_cutoff_days"]))
    asked = int(churn["horizon_days"])
    end = min(cutoff + pd.Timedelta(days=asked), as_of)
    horizon = int((end - cutoff).days)
    notes = []
    if horizon < asked:
        notes.append(text("backtest.finding.shortened", horizon=horizon, asked=asked))

    day = orders["order_date"].dt.normalize()
    history = orders[day <= cutoff]
    future = orders[(day > cutoff) & (day <= end)]
    buyers = pd.Index(history.loc[history["is_purchase"], "customer_id"].unique(), name="customer_id")
    known = customers.drop_duplicates("customer_id")
    population = pd.DataFrame({"customer_id": buyers}).merge(known, on="customer_id", how="left")

    # the same segmentation as notebook 03 on the day of the cutoff (tiers only: no k-means)
    features, _ = segment_customers(history, population, cutoff, params, roles, cluster=False)
    model_frame, status = churn_model(history, cutoff, {**churn, "horizon_days": horizon},
                                      rule_days=tiers["churn_days"])
    threshold = churn["p_alive_threshold"]
    rule = churn_warnings(features, None, days=tiers["churn_days"], min_spend=tiers["churn_min_spend"],
                          p_alive_threshold=threshold)
    combined = churn_warnings(features, model_frame, days=tiers["churn_days"], min_spend=tiers["churn_min_spend"],
                              p_alive_threshold=threshold)

    bought = future[future["is_purchase"]]
    actual_purchases = bought.groupby("customer_id")["order_date"].nunique()
    actual_revenue = future.groupby("customer_id")["net_amount"].sum()
    by_id = model_frame.set_index("customer_id")
    frame = pd.DataFrame({
        "customer_id": features["customer_id"].to_numpy(),
        "tier": features["tier"].to_numpy(),
        "total_spend": features["total_spend"].to_numpy(),
        "rule_warning": rule["rule_warning"].to_numpy(),
        "model_warning": combined["model_warning"].to_numpy(),
        "churn_warning": combined["churn_warning"].to_numpy(),
    })
    frame["frequency"] = frame["customer_id"].map(by_id["frequency"]).astype(float)
    frame["p_alive"] = frame["customer_id"].map(by_id["p_alive"]).astype(float)
    frame["expected_purchases"] = frame["customer_id"].map(by_id["expected_purchases"]).astype(float)
    frame["predicted_spend"] = frame["expected_purchases"] * frame["customer_id"].map(by_id["expected_spend"])
    frame["actual_purchases"] = frame["customer_id"].map(actual_purchases).fillna(0).astype(float)
    frame["actual_revenue"] = frame["customer_id"].map(actual_revenue).fillna(0.0).astype(float)
    frame["bought_next"] = frame["actual_purchases"] > 0

    stopped = ~frame["bought_next"]
    worth = frame["total_spend"] >= tiers["churn_min_spend"]
    label = texts("backtest.column")
    rows = [_warning_row(text("backtest.method.rule", days=tiers["churn_days"]), frame["rule_warning"], stopped,
                         worth)]
    if status["fitted"]:
        rows.append(_warning_row(text("backtest.method.model", threshold=threshold), frame["model_warning"],
                                 stopped, worth))
        rows.append(_warning_row(text("backtest.method.combined"), frame["churn_warning"], stopped, worth))
    warnings = pd.DataFrame(rows).set_index(label["method"])
    warnings[label["base_rate"]] = _ratio(stopped.sum(), len(frame))

    total = texts("backtest.total")
    if status["fitted"]:
        totals = pd.DataFrame({
            total["predicted"]: [frame["expected_purchases"].sum(), frame["predicted_spend"].sum()],
            total["actual"]: [frame["actual_purchases"].sum(), frame["actual_revenue"].sum()],
        }, index=pd.Index([total["purchases"], total["spend"]], name=text("backtest.total_index")))
        totals[total["difference"]] = ((totals[total["predicted"]] - totals[total["actual"]])
                                       / totals[total["actual"]].where(totals[total["actual"]] != 0))
        deciles = _decile_table(frame) if len(frame) else pd.DataFrame()
    else:
        totals = pd.DataFrame(columns=[total["predicted"], total["actual"], total["difference"]])
        deciles = pd.DataFrame()

    rule_by_model = _rule_by_model(frame, threshold) if status["fitted"] else pd.DataFrame()
    new_ids = set(bought["customer_id"].unique()) - set(buyers)
    new_revenue = float(future[future["customer_id"].isin(new_ids)]["net_amount"].sum())
    result = BacktestResult(cutoff=cutoff, end=end, horizon_days=horizon, warnings=warnings,
                            tiers=_tier_table(frame, roles) if len(frame) else pd.DataFrame(), totals=totals,
                            deciles=deciles, customers=frame, model_status=status, rule_by_model=rule_by_model,
                            new_customers=len(new_ids), new_customer_revenue=new_revenue)
    result.findings = notes + _findings(result, tiers["churn_days"])
    return result


def _findings(result: BacktestResult, rule_days: int) -> list[str]:
    label, tier_label, total = texts("backtest.column"), texts("backtest.tier"), texts("backtest.total")
    lines = []
    span = text("backtest.finding.span", cutoff=result.cutoff, days=result.horizon_days)
    n = len(result.customers)
    if n == 0:
        return [text("backtest.finding.no_history", cutoff=result.cutoff)]
    base = result.warnings[label["base_rate"]].iloc[0]
    lines.append(text("backtest.finding.base", n=n, share=base, span=span))
    for name, row in result.warnings.iterrows():
        if row[label["warned"]]:
            lines.append(text("backtest.finding.warned", method=name, n=int(row[label["warned"]]),
                              precision=row[label["precision"]], span=span, recall=row[label["recall"]]))
        else:
            lines.append(text("backtest.finding.none_warned", method=name))
    if not result.model_status["fitted"]:
        lines.append(text("backtest.finding.no_model", message=result.model_status["message"]))
    elif len(result.rule_by_model):
        parts = [text("backtest.finding.band_part", band=band, n=int(row[label["warned"]]),
                      precision=row[label["precision"]])
                 for band, row in result.rule_by_model.iterrows()]
        lines.append(text("backtest.finding.by_model", days=rule_days,
                          parts=text("backtest.finding.band_joiner").join(parts)))
    tiers = result.tiers
    if len(tiers) and tiers[tier_label["revenue"]].sum() > 0:
        # the tier whose revenue share most exceeds its share of customers
        top = tiers[tier_label["lift"]].idxmax()
        lines.append(text("backtest.finding.top_tier", tier=top, days=result.horizon_days,
                          customer_share=tiers.loc[top, tier_label["customer_share"]],
                          revenue_share=tiers.loc[top, tier_label["revenue_share"]]))
    if len(result.totals):
        row = result.totals.loc[total["purchases"]]
        difference = row[total["difference"]]
        lines.append(text("backtest.finding.totals", span=span, predicted=row[total["predicted"]],
                          actual=row[total["actual"]])
                     + (text("backtest.finding.difference", difference=difference) if pd.notna(difference) else ""))
    if result.new_customers:
        lines.append(text("backtest.finding.new_customers", n=result.new_customers,
                          revenue=result.new_customer_revenue))
    return lines
