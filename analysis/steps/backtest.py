"""Step 04 — backtest: segment on the past, score against what customers did next.

History is split at a cutoff ``churn.backtest_cutoff_days`` before the as-of date. On the
orders up to the cutoff the kit segments the customers
(:func:`analysis.steps.segment.segment_customers`, as notebook 03 does, thresholds resolved on
that day's customers), applies the churn rule (``tiers.churn_days`` / ``tiers.churn_min_spend``)
and fits the churn model named by ``churn.model`` (:func:`analysis.steps.churn.churn_model`),
exactly as a run on that day would have. The next ``churn.horizon_days`` then show what happened:

* did warned customers stop buying? — precision and recall of "no purchase in the next N
  days" for the rule alone, the model's warning list alone and the two combined (either);
* the fair comparison: the model's ranking — the risk × value ranking its warning list is cut
  from (:func:`analysis.steps.churn.churn_warnings`) — cut at as many customers as the rule
  warns, so the two lists are the same length and their precisions (and recalls) compare
  directly; also at the model's own warning count, at the rule's recall, and ranked by risk
  alone (value left out);
* lift and gain: customers in ten groups by the model's ranking, the share of all who stopped
  captured by the top groups against the share of customers they are;
* what share of next-period revenue did each tier bring, against its share of customers?
* were the predicted purchases right? — in total and by decile of the prediction;
* one verdict sentence: which warning to trust, and by how many percentage points.

The population is every customer with at least one purchase on or before the cutoff;
customers whose first purchase comes later cannot have been segmented and are counted apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.steps.churn import ORDER_COLUMNS as MODEL_ORDER_COLUMNS, churn_model, churn_warnings
from analysis.steps.segment import CUSTOMER_COLUMNS, ORDER_COLUMNS as SEGMENT_ORDER_COLUMNS, segment_customers
from analysis.tiers import TierRoles
from analysis.vocab import text, texts

__all__ = ["BacktestResult", "backtest", "rank_customers", "precision_at", "gains_table", "verdict",
           "headline"]


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
        Per tier (cutoff tiers, every tier of ``roles.order``): customers, their share, who bought,
        next-period revenue and its share.
    totals : pd.DataFrame
        Predicted against actual purchases (distinct purchase days) and spend (元); empty
        when the model was not fitted.
    deciles : pd.DataFrame
        The same per customer decile of predicted purchases (1 = fewest); empty without a model.
    customers : pd.DataFrame
        Per customer: tier at the cutoff, the warnings, the model's predictions, its risk
        (``risk``: P(no purchase in the period)), ``risk_value`` and place in the model's
        ranking (``model_rank``, 1 = warned first), and what happened.
    rule_by_model : pd.DataFrame
        The rule's warnings split by the model's P(active) (``churn.p_alive_threshold``): does
        the model tell the warned customers who really stopped from those who did not? Empty
        without a model.
    model_status : dict
        :func:`analysis.steps.churn.churn_model`'s status for the fit at the cutoff.
    ranking : pd.DataFrame
        The model's ranking cut at the rule's warning count (the fair comparison), at the
        model's own warning count and at the rule's recall, and its risk alone cut at the rule's
        count, after the rule itself: warned, stopped, precision, recall. Empty without a model.
    gains : pd.DataFrame
        Lift and gain per group of the model's ranking (1 = warned first): customers, who
        stopped, cumulative share of customers and of all who stopped, and the same ranked by
        risk alone. Empty without a model.
    verdict : str
        One sentence: which warning to trust and by how much, or why that cannot be judged.
    headline : str
        The same for the executive summary, in a manager's words (:func:`headline`); notebook
        04 hands it on in the ``backtest_verdict`` interim table.
    rule_days, rule_min_spend : float
        The rule's thresholds as resolved at the cutoff (days, 元).
    findings : list[str]
        Plain-language sentences with the numbers, for the notebook and the report (the
        verdict apart, in ``verdict``).
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
    ranking: pd.DataFrame = field(default_factory=pd.DataFrame)
    gains: pd.DataFrame = field(default_factory=pd.DataFrame)
    verdict: str = ""
    headline: str = ""
    rule_days: float = float("nan")
    rule_min_spend: float = float("nan")
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


# --------------------------------------------------------------------------- the model's ranking


def rank_customers(risk: pd.Series, value: pd.Series, customer_id: pd.Series) -> pd.Series:
    """Each customer's place in an order by ``risk`` (1 = first), as the backtest cuts lists.

    By ``risk`` from the highest; equal risks by ``value`` (spend to date, 元) from the
    highest, then by customer id — the tie-breaks of the warning list's own ranking
    (:func:`analysis.steps.churn.churn_warnings`) — so the order, and every figure cut from it,
    is the same on every run. Customers without a risk (NaN) come last.

    >>> rank_customers(pd.Series([0.2, 0.9, 0.2, np.nan]), pd.Series([10.0, 5.0, 30.0, 99.0]),
    ...                pd.Series(["a", "b", "c", "d"])).tolist()
    [3, 1, 2, 4]
    """
    frame = pd.DataFrame({"risk": risk.to_numpy(dtype=float), "value": value.to_numpy(dtype=float),
                          "id": customer_id.astype(str).to_numpy()})
    order = frame.sort_values(["risk", "value", "id"], ascending=[False, False, True], na_position="last",
                              kind="mergesort").index
    rank = np.empty(len(frame), dtype=int)
    rank[order] = np.arange(1, len(frame) + 1)
    return pd.Series(rank, index=risk.index, name="model_rank")


def precision_at(rank: pd.Series, stopped: pd.Series, k: int) -> dict:
    """The model's top ``k`` customers by ``rank``: how many, how many of them stopped, precision
    (share of the k who stopped) and recall (share of all who stopped that are among the k).

    >>> precision_at(pd.Series([1, 2, 3, 4]), pd.Series([True, False, True, True]), 2)
    {'k': 2, 'hits': 1, 'precision': 0.5, 'recall': 0.3333333333333333}
    """
    k = int(k)
    top = rank <= k
    hits = int((top & stopped).sum())
    return {"k": k, "hits": hits, "precision": _ratio(hits, k), "recall": _ratio(hits, stopped.sum())}


def _k_at_hits(rank: pd.Series, stopped: pd.Series, hits: int) -> int:
    """The fewest of the model's top customers that hold ``hits`` of those who stopped."""
    if hits <= 0:
        return 0
    ranks = np.sort(rank[stopped].to_numpy())
    return int(ranks[hits - 1]) if hits <= len(ranks) else len(rank)


def _ranking_table(frame: pd.DataFrame, rule_name: str, rule_warned: int, model_warned: int) -> pd.DataFrame:
    label, row_label = texts("backtest.column"), texts("backtest.ranking")
    stopped = ~frame["bought_next"]
    rank = frame["model_rank"]
    rule_hits = int((frame["rule_warning"] & stopped).sum())
    by_risk = rank_customers(frame["risk"], frame["total_spend"], frame["customer_id"])
    rows = {
        rule_name: {"k": rule_warned, "hits": rule_hits, "precision": _ratio(rule_hits, rule_warned),
                    "recall": _ratio(rule_hits, stopped.sum())},
        row_label["at_rule_count"]: precision_at(rank, stopped, rule_warned),
        row_label["at_model_count"]: precision_at(rank, stopped, model_warned),
        row_label["at_rule_recall"]: precision_at(rank, stopped, _k_at_hits(rank, stopped, rule_hits)),
        row_label["risk_at_rule_count"]: precision_at(by_risk, stopped, rule_warned),
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table = table.rename(columns={"k": label["warned"], "hits": label["stopped"], "precision": label["precision"],
                                  "recall": label["recall"]})
    return table.rename_axis(text("backtest.ranking_index"))


def gains_table(rank: pd.Series, stopped: pd.Series, risk: pd.Series, groups: int = 10,
                by_risk: pd.Series | None = None) -> pd.DataFrame:
    """Lift and gain by group of the model's ranking: ``groups`` groups of (nearly) equal size
    by ``rank`` (1 = warned first; never more groups than customers), labelled in the run's
    language (``backtest.gain``).

    Per group: customers, how many stopped, the share who stopped, the lift (that share over
    the share among all customers), the mean ``risk``; and cumulatively from group 1: the share
    of all customers and the share of all who stopped (the gain) — so the gain at 30% of
    customers is the share of the churners a list of the top 30% would have reached. A random
    list reaches the same share of churners as of customers (lift 1). With ``by_risk`` (another
    ranking of the same customers, e.g. by risk alone) one more column gives its gain at the
    same group sizes.
    """
    label = texts("backtest.gain")
    n = len(rank)
    if n == 0:
        return pd.DataFrame()
    n_groups = min(groups, n)
    stopped = stopped.astype(bool)
    total = stopped.sum()

    def group_of(order: pd.Series) -> pd.Series:
        return pd.qcut(order.rank(method="first"), n_groups, labels=range(1, n_groups + 1))

    group = group_of(rank)
    grouped = stopped.groupby(group, observed=True)
    size, hits = grouped.size(), grouped.sum()
    base = _ratio(total, n)
    table = pd.DataFrame({
        label["customers"]: size,
        label["stopped"]: hits.astype(int),
        label["stopped_rate"]: hits / size,
        label["lift"]: (hits / size) / base if base else np.nan,
        label["mean_risk"]: risk.astype(float).groupby(group, observed=True).mean(),
        label["cum_customer_share"]: size.cumsum() / n,
        label["cum_stopped_share"]: hits.cumsum() / total if total else np.nan,
    })
    table[label["cum_lift"]] = table[label["cum_stopped_share"]] / table[label["cum_customer_share"]]
    if by_risk is not None:
        other = stopped.groupby(group_of(by_risk), observed=True).sum()
        table[label["cum_stopped_share_by_risk"]] = other.cumsum() / total if total else np.nan
    return table.rename_axis(text("backtest.gain_index"))


def _points(model_precision: float, rule_precision: float) -> float:
    """Percentage points between two precisions as shown (to 0.1%), so that the sentence adds up."""
    return (round(model_precision * 1000) - round(rule_precision * 1000)) / 10


def _judgement(*, fitted: bool, rule_name: str, rule_warned: int, rule_precision: float,
               model_precision: float, stopped: int, minimum: int) -> tuple[str, dict]:
    """``(which, fields)``: model / rule / equal with the numbers, or undecided with its reason."""
    reason = None
    if not fitted:
        reason = text("backtest.verdict.reason.no_model")
    elif stopped < minimum:
        reason = text("backtest.verdict.reason.few_stopped", n=stopped, minimum=minimum)
    elif rule_warned < minimum:
        reason = text("backtest.verdict.reason.few_warned", rule=rule_name, n=rule_warned, minimum=minimum)
    if reason is not None:
        return "undecided", {"reason": reason}
    points = _points(model_precision, rule_precision)
    fields = dict(k=rule_warned, model=model_precision, rule=rule_name, rule_precision=rule_precision,
                  points=abs(points))
    return ("model" if points > 0 else "rule" if points < 0 else "equal"), fields


def verdict(*, fitted: bool, rule_name: str, rule_warned: int, rule_precision: float, model_precision: float,
            stopped: int, minimum: int) -> str:
    """One sentence: which warning to trust and by how much.

    The comparison is the fair one: the model's top ``rule_warned`` customers (as many as the
    rule warns) against the rule's list, by the share of each list that really stopped buying.
    Undecided — and the sentence says why — when the model was not fitted, fewer than
    ``minimum`` customers stopped buying in the scored period, or the rule warned fewer than
    ``minimum`` (``churn.verdict_min_customers``). Precisions are compared as shown, to 0.1%.

    >>> verdict(fitted=True, rule_name="90天规则", rule_warned=200, rule_precision=0.5, model_precision=0.62,
    ...         stopped=300, minimum=30)
    '按模型排名预警前 200 位，命中率 62.0%，同样数量下90天规则命中率 50.0%：模型更可信（高 12.0 个百分点）'
    """
    which, fields = _judgement(fitted=fitted, rule_name=rule_name, rule_warned=rule_warned,
                               rule_precision=rule_precision, model_precision=model_precision,
                               stopped=stopped, minimum=minimum)
    return text(f"backtest.verdict.{which}", **fields)


def headline(*, cutoff: pd.Timestamp, days: int, **judged) -> str:
    """The verdict as a manager reads it in the executive summary: what was checked, the two hit
    rates in whole percent, and which warning to trust (``judged``: :func:`verdict`'s arguments).

    >>> headline(cutoff=pd.Timestamp("2026-05-04"), days=90, fitted=True, rule_name="90天规则",
    ...          rule_warned=576, rule_precision=0.681, model_precision=0.451, stopped=900, minimum=30)
    '回测（2026-05-04 起 90 天）：90天规则预警的 576 位客户中 68% 确实未再购买，模型排名前 576 位只有 45%——90天规则更可信。'
    """
    which, fields = _judgement(**judged)
    return text(f"backtest.headline.{which}", cutoff=pd.Timestamp(cutoff).date(), days=days, **fields)


# --------------------------------------------------------------------------- tables


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
    # every tier of the run, an empty one with no customers and no revenue
    order = list(roles.order) + [t for t in table.index if t not in roles.order]
    table = table.reindex(order)
    empty = ~table.index.isin(n.index)
    table.loc[empty, [label["customers"], label["customer_share"], label["revenue"]]] = 0
    if revenue.sum():
        table.loc[empty, label["revenue_share"]] = 0
    table[label["customers"]] = table[label["customers"]].astype(int)
    return table.rename_axis(text("backtest.tier_index"))


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
    # BG/NBD does not judge one-time buyers: their P(active) is exactly 1 (MBG/NBD's is below 1)
    not_judged = (warned["frequency"] == 0) & (warned["p_alive"] >= 1)
    band = np.select([not_judged, warned["p_alive"] < threshold], [one_time, below], at_least)
    stopped = ~warned["bought_next"]
    grouped = stopped.groupby(band)
    table = pd.DataFrame({label["warned"]: grouped.size(), label["stopped"]: grouped.sum().astype(int)})
    table[label["precision"]] = table[label["stopped"]] / table[label["warned"]]
    order = [below, at_least, one_time]
    return table.reindex([o for o in order if o in table.index]).rename_axis(text("backtest.band_index"))


def _model_name(status: dict, churn: dict, basis) -> str:
    """The model's warning as tables name it: the model, what it ranks by and its cut."""
    top_n = churn["warn_top_n"]
    cut = (text("churn.summary.cut_n", n=int(top_n)) if top_n is not None
           else text("churn.summary.cut_share", share=float(churn["warn_top_share"])))
    return text("backtest.method.model", model=text(f"churn.model_name.{status.get('model', churn['model'])}"),
                ranking=text(f"churn.ranking.{basis or churn['value_basis']}"), cut=cut)


def _rule_thresholds(notes, tiers: dict) -> tuple[float, float]:
    """The rule's days and spend floor as notebook 03 resolves them on the cutoff's customers."""
    resolved = getattr(notes, "thresholds", None)
    if resolved is not None:
        return float(resolved.churn_days), float(resolved.churn_min_spend)
    return float(tiers["churn_days"]), float(tiers["churn_min_spend"] or 0)


def _days(value: float):
    """Days as a whole number for labels (a resolved position is a whole number of days)."""
    return int(round(value)) if math.isfinite(value) else value


def backtest(orders: pd.DataFrame, customers: pd.DataFrame, as_of, params: dict,
             roles: TierRoles) -> BacktestResult:
    """Segment and warn at ``as_of − churn.backtest_cutoff_days``; score the next ``churn.horizon_days``.

    ``orders`` and ``customers`` are the cleaned tables; ``params`` the resolved params (groups
    ``rfm``, ``tiers`` and ``churn`` are used) and ``roles`` their
    :func:`analysis.tiers.tier_roles` (tables list tiers in ``roles.order``). A customer
    "stopped buying" when they made no purchase in (cutoff, cutoff + horizon]; purchases are
    counted as distinct purchase days and revenue is net spend (returns included) in 元. The
    period is cut at ``as_of`` when the cutoff is less than ``horizon_days`` before it (and the
    shortening is stated in ``findings``). The rule's thresholds are resolved on the customers
    of the cutoff day, as a run on that day would have; the model is ``churn.model`` and its
    warning list is :func:`analysis.steps.churn.churn_warnings`' (the risk × value ranking cut
    by ``churn.warn_top_share`` / ``warn_top_n``), so backtesting another model or another cut
    is a params change. Customers the model could not rank follow the ranked ones in
    :func:`rank_customers`' order. The verdict compares the ranking with the rule at the
    rule's warning count (:func:`verdict`, ``churn.verdict_min_customers``). Never raises
    because the model cannot be fitted: the model rows are then empty and the reason is in
    ``model_status["message"]``.
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
    # only the columns the segmentation and the model read: a copy of every column of the
    # orders (most of them before the cutoff) would double the notebook's memory at 10M orders
    history = orders.loc[day <= cutoff, list(dict.fromkeys(SEGMENT_ORDER_COLUMNS + MODEL_ORDER_COLUMNS))]
    future = orders.loc[(day > cutoff) & (day <= end), ["customer_id", "order_date", "net_amount", "is_purchase"]]
    del day
    buyers = pd.Index(history.loc[history["is_purchase"], "customer_id"].unique(), name="customer_id")
    # the customer columns segment_customers reads, not a copy of the whole customer table
    known = customers[[c for c in CUSTOMER_COLUMNS if c in customers]].drop_duplicates("customer_id")
    population = pd.DataFrame({"customer_id": buyers}).merge(known, on="customer_id", how="left")

    # the same segmentation as notebook 03 on the day of the cutoff (tiers only: no k-means)
    features, segment_notes = segment_customers(history, population, cutoff, params, roles, cluster=False)
    rule_days, min_spend = _rule_thresholds(segment_notes, tiers)
    # the model predicts the scored period, however long it is
    churn_now = {**churn, "horizon_days": horizon}
    model_frame, status = churn_model(history, cutoff, churn_now, rule_days=_days(rule_days))
    threshold = churn["p_alive_threshold"]
    warned = churn_warnings(features, model_frame, days=rule_days, min_spend=min_spend, churn_params=churn_now)

    bought = future[future["is_purchase"]]
    actual_purchases = bought.groupby("customer_id")["order_date"].nunique()
    actual_revenue = future.groupby("customer_id")["net_amount"].sum()
    # each customer's row in the model frame, looked up once for all its columns
    in_model = pd.Index(model_frame["customer_id"]).get_indexer(features["customer_id"])

    def from_model(column: str) -> np.ndarray:
        values = model_frame[column].to_numpy(dtype=float, na_value=np.nan)
        return np.where(in_model >= 0, values[in_model], np.nan)

    frame = pd.DataFrame({
        "customer_id": features["customer_id"].to_numpy(),
        "tier": features["tier"].to_numpy(),
        "total_spend": features["total_spend"].to_numpy(),
        "rule_warning": warned["rule_warning"].to_numpy(),
        "model_warning": warned["model_warning"].to_numpy(),
    })
    # combined: either warns (the run's own list is the model's alone once a model is used)
    frame["churn_warning"] = frame["rule_warning"] | frame["model_warning"]
    frame["frequency"] = from_model("frequency")
    frame["p_alive"] = from_model("p_alive")
    frame["expected_purchases"] = from_model("expected_purchases")
    frame["predicted_spend"] = frame["expected_purchases"] * from_model("expected_spend")
    frame["risk"] = warned["p_no_purchase"].to_numpy(dtype=float)
    frame["risk_value"] = (warned["risk_value"].to_numpy(dtype=float) if "risk_value" in warned
                           else np.full(len(frame), np.nan))
    # the warning list's order; customers it did not rank after it (a larger number sorts later)
    listed = (warned["risk_value_rank"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
              if "risk_value_rank" in warned else np.full(len(frame), np.nan))
    frame["model_rank"] = rank_customers(pd.Series(-listed), frame["total_spend"], frame["customer_id"]).to_numpy()
    frame["actual_purchases"] = frame["customer_id"].map(actual_purchases).fillna(0).astype(float)
    frame["actual_revenue"] = frame["customer_id"].map(actual_revenue).fillna(0.0).astype(float)
    frame["bought_next"] = frame["actual_purchases"] > 0

    stopped = ~frame["bought_next"]
    worth = frame["total_spend"] >= min_spend
    label = texts("backtest.column")
    rule_name = text("backtest.method.rule", days=_days(rule_days))
    rows = [_warning_row(rule_name, frame["rule_warning"], stopped, worth)]
    if status["fitted"]:
        rows.append(_warning_row(_model_name(status, churn, warned.attrs.get("value_basis")),
                                 frame["model_warning"], stopped, worth))
        rows.append(_warning_row(text("backtest.method.combined"), frame["churn_warning"], stopped, worth))
    warnings = pd.DataFrame(rows).set_index(label["method"])
    warnings[label["base_rate"]] = _ratio(stopped.sum(), len(frame))

    total = texts("backtest.total")
    fitted = bool(status["fitted"]) and len(frame) > 0
    if fitted:
        totals = pd.DataFrame({
            total["predicted"]: [frame["expected_purchases"].sum(), frame["predicted_spend"].sum()],
            total["actual"]: [frame["actual_purchases"].sum(), frame["actual_revenue"].sum()],
        }, index=pd.Index([total["purchases"], total["spend"]], name=text("backtest.total_index")))
        totals[total["difference"]] = ((totals[total["predicted"]] - totals[total["actual"]])
                                       / totals[total["actual"]].where(totals[total["actual"]] != 0))
        deciles = _decile_table(frame)
        ranking = _ranking_table(frame, rule_name, int(frame["rule_warning"].sum()),
                                 int(frame["model_warning"].sum()))
        gains = gains_table(frame["model_rank"], stopped, frame["risk"],
                            by_risk=rank_customers(frame["risk"], frame["total_spend"], frame["customer_id"]))
    else:
        totals = pd.DataFrame(columns=[total["predicted"], total["actual"], total["difference"]])
        deciles = ranking = gains = pd.DataFrame()

    rule_warned = int(frame["rule_warning"].sum())
    at_rule_count = precision_at(frame["model_rank"], stopped, rule_warned)
    judged = dict(fitted=fitted, rule_name=rule_name, rule_warned=rule_warned,
                  rule_precision=_ratio((frame["rule_warning"] & stopped).sum(), rule_warned),
                  model_precision=at_rule_count["precision"], stopped=int(stopped.sum()),
                  minimum=int(churn["verdict_min_customers"]))
    if len(frame):
        sentence, summary = verdict(**judged), headline(cutoff=cutoff, days=horizon, **judged)
    else:
        sentence = summary = text("backtest.finding.no_history", cutoff=cutoff)

    rule_by_model = _rule_by_model(frame, threshold) if fitted else pd.DataFrame()
    new_ids = set(bought["customer_id"].unique()) - set(buyers)
    new_revenue = float(future[future["customer_id"].isin(new_ids)]["net_amount"].sum())
    result = BacktestResult(cutoff=cutoff, end=end, horizon_days=horizon, warnings=warnings,
                            tiers=_tier_table(frame, roles) if len(frame) else pd.DataFrame(), totals=totals,
                            deciles=deciles, customers=frame, model_status=status, rule_by_model=rule_by_model,
                            ranking=ranking, gains=gains, verdict=sentence, headline=summary, rule_days=rule_days,
                            rule_min_spend=min_spend, new_customers=len(new_ids), new_customer_revenue=new_revenue)
    result.findings = notes + _findings(result, _days(rule_days))
    return result


def _findings(result: BacktestResult, rule_days) -> list[str]:
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
    else:
        lines += _ranking_findings(result)
        if len(result.rule_by_model):
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


def _ranking_findings(result: BacktestResult) -> list[str]:
    """The model's own warning count and the rule's recall, and what the top groups capture."""
    label, row_label, gain = texts("backtest.column"), texts("backtest.ranking"), texts("backtest.gain")
    lines = []
    ranking = result.ranking
    own = ranking.loc[row_label["at_model_count"]]
    if own[label["warned"]]:
        lines.append(text("backtest.finding.at_model_count", k=int(own[label["warned"]]),
                          precision=own[label["precision"]], recall=own[label["recall"]]))
    rule, at_recall = ranking.iloc[0], ranking.loc[row_label["at_rule_recall"]]
    if rule[label["stopped"]]:
        lines.append(text("backtest.finding.at_rule_recall", recall=rule[label["recall"]],
                          k=int(at_recall[label["warned"]]), precision=at_recall[label["precision"]],
                          rule=ranking.index[0], rule_k=int(rule[label["warned"]]),
                          rule_precision=rule[label["precision"]]))
    gains = result.gains
    if len(gains) >= 3 and gains[gain["stopped"]].sum():
        first, third = gains.iloc[0], gains.iloc[2]
        lines.append(text("backtest.finding.gains", share=first[gain["cum_customer_share"]],
                          rate=first[gain["stopped_rate"]], lift=first[gain["lift"]],
                          top_share=third[gain["cum_customer_share"]], captured=third[gain["cum_stopped_share"]]))
    return lines
