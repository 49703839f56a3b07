"""Step 03 — segmentation: RFM scores, the 8 RFM classes, value bands, tiers, k-means.

Every customer in the archive gets exactly one score, class, band, tier and cluster;
customers with no purchase in the window are scored explicitly (F = 0, M = 0), not dropped.

Returns above purchases are kept out of value ranking. M is the window's net spend floored at
0 (returns in the window of goods bought before it make no customer "below nothing"), and only
M > 0 reaches 高价值. A customer whose net spend to date is negative (``total_spend`` < 0,
:func:`returns_exceed_purchases`) meets no tier rule — they get the default tier with a rule
text saying why — and is not clustered: k-means runs on the others, and they form their own
group 退货大于购买, so they neither drag a cluster's means nor land in a value tier. Tier
thresholds written as positions are taken over customers with a positive spend
(:mod:`analysis.steps.thresholds`).
:func:`segment_customers` runs the whole chain (notebook 03 and the backtest); the labels it
writes (classes, bands, cluster names, rules) come from ``analysis/vocab/segment.yml`` in the
run's language, and tier names from params (:class:`analysis.tiers.TierRoles`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, pairwise_distances, silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from analysis.steps.thresholds import ResolvedTiers, position_note, resolve_thresholds, resolve_tiers
from analysis.tiers import TierRoles
from analysis.vocab import text, texts

__all__ = [
    "segment_customers", "SegmentNotes", "compute_rfm", "score_rfm", "classify_rfm", "assign_value_bands",
    "assign_tiers", "cluster_customers", "cluster_matrix", "segment_summary", "tier_summary", "score_counts",
    "summary_formats", "agreement", "tier_features", "rfm_classes", "rfm_class_definitions", "value_bands",
    "band_definitions", "feature_labels", "unclustered", "returns_exceed_purchases", "RETURNS_CLUSTER",
    "TIER_FEATURES", "ORDER_COLUMNS", "CUSTOMER_COLUMNS",
]

# (R recent?, F high?, M high?) -> the class's key in the vocabulary (segment.rfm_class.<key>).
RFM_CLASS_KEYS = {
    (True, True, True): "key_value",
    (True, False, True): "key_develop",
    (False, True, True): "key_retain",
    (False, False, True): "key_win_back",
    (True, True, False): "regular_value",
    (True, False, False): "regular_develop",
    (False, True, False): "regular_retain",
    (False, False, False): "regular_win_back",
}
# What segment_customers reads of the cleaned orders and customers (callers may pass only these).
ORDER_COLUMNS = ("customer_id", "order_id", "order_date", "amount", "net_amount", "is_purchase")
CUSTOMER_COLUMNS = ("customer_id", "industry", "referrals")
# The cluster number of customers whose returns exceed their purchases (not clustered).
RETURNS_CLUSTER = -1
# The customer features a tier rule may test (min_<feature> / max_<feature>).
TIER_FEATURES = ("total_spend", "referral_rate", "repurchase_rate", "days_since_last", "first_order", "orders")


def rfm_classes() -> dict[tuple[bool, bool, bool], str]:
    """``(R recent?, F high?, M high?)`` -> the class's label, e.g. ``重要价值``."""
    return {combo: text(f"segment.rfm_class.{key}") for combo, key in RFM_CLASS_KEYS.items()}


def unclustered() -> str:
    """The name of the one cluster of a base too small (or too uniform) for k-means."""
    return text("segment.cluster.unclustered")


def returns_exceed_purchases(segments: pd.DataFrame) -> pd.Series:
    """Customers whose net spend to date is negative (returns above purchases): kept, and kept
    out of value ranking (tiers, 高价值, clusters).

    >>> returns_exceed_purchases(pd.DataFrame({"total_spend": [120.0, 0.0, -98.0]})).tolist()
    [False, False, True]
    """
    return (segments["total_spend"] < 0).fillna(False).astype(bool)


def feature_labels() -> dict[str, str]:
    """Tier rule feature -> its label for reports, e.g. ``total_spend`` -> ``累计消费(元)``."""
    return texts("segment.feature")


def value_bands() -> list[str]:
    """The three value band labels, best first: 高价值, 中等价值, 基础价值."""
    return [text(f"segment.band.{key}") for key in ("high", "middle", "base")]


def __getattr__(name):
    # Deprecated names, looked up in the vocabulary when asked for (never frozen at import):
    # use rfm_classes() and unclustered(). They stay only while tests/test_properties.py and
    # tests/steps/test_small_bases.py still import them.
    if name == "RFM_CLASSES":
        return rfm_classes()
    if name == "UNCLUSTERED":
        return unclustered()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def compute_rfm(orders: pd.DataFrame, customers: pd.DataFrame, as_of: pd.Timestamp,
                window_months: int = 12) -> pd.DataFrame:
    """R, F, M per customer over a window, plus lifetime figures.

    R is whole calendar days from the last purchase (any time) to ``as_of``; F is distinct
    purchase orders in the window (``as_of`` minus ``window_months`` months, exclusive, to
    ``as_of``); M is net spend in the window in 元 (returns netted, cancellations excluded),
    0 when the window's returns exceed its purchases.
    Customers without purchases keep ``recency_days`` NaN and F = M = 0. Lifetime:
    ``first_order`` is the amount of the first purchase order (all its lines), ``orders``
    the distinct purchase orders, ``total_spend`` the net spend (negative when returns exceed
    purchases), all up to ``as_of``.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": ["A", "A"], "order_id": ["1", "2"],
    ...     "order_date": pd.to_datetime(["2026-10-30", "2026-01-05"]),
    ...     "amount": [100.0, 50.0], "net_amount": [100.0, 50.0], "is_purchase": [True, True]})
    >>> compute_rfm(o, pd.DataFrame({"customer_id": ["A"]}), pd.Timestamp("2026-10-31"))[
    ...     ["recency_days", "frequency", "monetary"]].iloc[0].tolist()
    [1.0, 2.0, 150.0]
    """
    as_of = pd.Timestamp(as_of).normalize()
    start = as_of - pd.DateOffset(months=window_months)
    ids = pd.Index(customers["customer_id"].unique(), name="customer_id")
    # Work on integer codes: customer = position in ``ids`` (-1 when not in the archive), found
    # for each distinct id once rather than for each order line; order = a code per order id.
    customer_codes, customer_uniques = pd.factorize(orders["customer_id"], use_na_sentinel=False)
    order_codes = pd.factorize(orders["order_id"])[0]
    # whole calendar days: an order at 23:30 the day before as-of is 1 day old, and one on
    # the as-of day itself counts, whatever its time of day
    dates = orders["order_date"]
    if len(orders) and (dates != dates.dt.normalize()).any():
        dates = dates.dt.normalize()
    customer, day = ids.get_indexer(customer_uniques)[customer_codes], dates.to_numpy()
    # the rows of archive customers up to as-of, taken once (indexed by their position in
    # ``orders``): not a frame of every row and then a filtered copy of it
    kept = np.flatnonzero((customer >= 0) & (day <= as_of.to_datetime64()))
    o = pd.DataFrame({
        "c": customer[kept],
        "o": np.where(order_codes[kept] >= 0, order_codes[kept], np.nan),  # missing order id: not counted
        "d": day[kept],
        "amount": orders["amount"].to_numpy(dtype=float, na_value=np.nan)[kept],
        "net": orders["net_amount"].to_numpy(dtype=float, na_value=np.nan)[kept],
        "p": orders["is_purchase"].to_numpy(dtype=bool)[kept],
    }, index=kept)
    del customer, customer_codes, order_codes, day
    purchases = o[o["p"]]
    in_window = o["d"] > start

    by_customer = purchases.groupby("c")
    # the first order: earliest date, then smallest order id; its amount over all its lines
    first_date = by_customer["d"].transform("min")
    first_day = purchases[purchases["d"] == first_date]
    # rank the first day's order ids in text order (a sort of these few, not of every order id)
    first_rank = pd.factorize(orders["order_id"].take(first_day.index), sort=True)[0]
    first_day = first_day.assign(o=np.where(first_rank >= 0, first_rank, np.nan))
    first_id = first_day.groupby("c")["o"].min()
    first_lines = first_day[first_day["o"] == first_day["c"].map(first_id)]
    lifetime = pd.DataFrame({
        "first_order_date": by_customer["d"].min(),
        "last_order_date": by_customer["d"].max(),
        "orders": by_customer["o"].nunique(),
        "first_order": first_lines.groupby("c")["amount"].sum(),
    })
    # Spend of every customer with an order, purchases or not: a customer whose only rows
    # are returns has a negative total, not none.
    lifetime = lifetime.join(o.groupby("c")["net"].sum().rename("total_spend"), how="outer")
    window = pd.DataFrame({
        "frequency": purchases[purchases["d"] > start].groupby("c")["o"].nunique(),
        "monetary": o[in_window].groupby("c")["net"].sum(),
    })
    rfm = pd.DataFrame(index=pd.RangeIndex(len(ids))).join(lifetime).join(window)
    rfm.index = ids
    rfm["first_order_date"] = rfm["first_order_date"].astype("datetime64[ns]")
    rfm["last_order_date"] = rfm["last_order_date"].astype("datetime64[ns]")
    rfm["recency_days"] = (as_of - rfm["last_order_date"]).dt.days.astype("float")
    rfm[["frequency", "monetary", "orders", "total_spend", "first_order"]] = (
        rfm[["frequency", "monetary", "orders", "total_spend", "first_order"]].astype(float))
    rfm[["frequency", "monetary", "orders", "total_spend"]] = (
        rfm[["frequency", "monetary", "orders", "total_spend"]].fillna(0))
    # Returns in the window of goods bought before it: no spend in the window, not less than none.
    rfm["monetary"] = rfm["monetary"].clip(lower=0)
    rfm["purchased_in_window"] = rfm["frequency"] > 0
    rfm["repurchase_rate"] = np.where(rfm["orders"] > 0, (rfm["orders"] - 1) / rfm["orders"].clip(lower=1), 0.0)
    rfm["tenure_days"] = (as_of - rfm["first_order_date"]).dt.days.astype("float")
    return rfm.reset_index()


def _quintile(values: pd.Series) -> pd.Series:
    # Tied values share their average rank, so a block of ties gets one score even when
    # it spans a quintile boundary (e.g. most customers with F = 1).
    pct = values.rank(method="average", pct=True)
    return np.ceil(pct * 5).clip(1, 5).astype(int)


def score_rfm(rfm: pd.DataFrame) -> pd.DataFrame:
    """1–5 quintile scores, 5 best: most recent, most frequent, highest spend.

    Customers who never bought get R = 1. Adds ``r_score``, ``f_score``, ``m_score``,
    ``rfm_score`` (sum, 3–15) and ``rfm_code`` (e.g. ``"545"``).
    """
    out = rfm.copy()
    recency = out["recency_days"].fillna(out["recency_days"].max() + 1 if out["recency_days"].notna().any() else 0)
    out["r_score"] = _quintile(-recency)
    out.loc[out["recency_days"].isna(), "r_score"] = 1
    out["f_score"] = _quintile(out["frequency"])
    out["m_score"] = _quintile(out["monetary"])
    out["rfm_score"] = out[["r_score", "f_score", "m_score"]].sum(axis=1)
    out["rfm_code"] = (out["r_score"].astype(str) + out["f_score"].astype(str)
                       + out["m_score"].astype(str))
    return out


def classify_rfm(rfm: pd.DataFrame, against: str, industry: pd.Series | None = None) -> pd.DataFrame:
    """The 8 RFM classes: R, F and M each high or low against a reference.

    ``against`` is ``mean``, ``median`` or ``industry_mean`` (then ``industry`` aligned to
    ``rfm`` is needed; customers without an industry use the overall mean, and so does
    everyone when no industry is filled in at all). R is "high" (recent) when ``recency_days``
    is below the reference; F and M when above it.

    Examples
    --------
    >>> rfm = pd.DataFrame({"recency_days": [10.0, 50.0], "frequency": [4.0, 1.0], "monetary": [900.0, 100.0]})
    >>> classify_rfm(rfm, "industry_mean", pd.Series([None, None], dtype="string"))["rfm_class"].tolist()
    ['重要价值', '一般挽留']
    """
    if against not in {"mean", "median", "industry_mean"}:
        raise ValueError(f"high_low_against must be mean, median or industry_mean, not {against!r}")
    out = rfm.copy()
    cols = ["recency_days", "frequency", "monetary"]
    values = out[cols].astype(float)
    never = values["recency_days"].isna()
    values.loc[never, "recency_days"] = np.inf
    # an industry column that is present but entirely blank has no group to average (and
    # pandas' groupby-transform fails on all-missing keys): the overall mean then applies
    if against == "industry_mean" and industry is not None and pd.Series(industry).notna().any():
        finite = values.replace(np.inf, np.nan)
        ref = finite.groupby(np.asarray(industry, dtype=object)).transform("mean")
        ref = ref.fillna(finite.mean())
    else:
        stat = values.replace(np.inf, np.nan).agg("median" if against == "median" else "mean")
        ref = pd.DataFrame({c: stat[c] for c in cols}, index=values.index)
    r_high = values["recency_days"] < ref["recency_days"]
    f_high = values["frequency"] > ref["frequency"]
    m_high = values["monetary"] > ref["monetary"]
    out["r_high"], out["f_high"], out["m_high"] = r_high, f_high, m_high
    classes = rfm_classes()
    # the class of each (R, F, M) combination, picked by its number 0–7 for all customers at once
    names = np.array([classes[(bool(r), bool(f), bool(m))] for r, f, m in np.ndindex(2, 2, 2)], dtype=object)
    combination = 4 * r_high.to_numpy(dtype=int) + 2 * f_high.to_numpy(dtype=int) + m_high.to_numpy(dtype=int)
    out["rfm_class"] = names[combination].tolist()
    return out


def assign_value_bands(rfm: pd.DataFrame, high: float, low: float) -> pd.Series:
    """高价值 top ``high`` / 基础价值 bottom ``low`` / 中等价值 the rest, by ``rfm_score``
    (``rfm.value_bands`` in params: shares of customers). 高价值 also needs a net spend in the
    window (``monetary`` > 0, when the frame has it): a customer in the top share by score
    without one is 中等价值.

    Bands are relative: when every customer has the same score (a single customer, or a
    base without spread) there is no top or bottom, and everyone is 中等价值.

    Examples
    --------
    >>> assign_value_bands(pd.DataFrame({"rfm_score": [9]}), 0.2, 0.2).tolist()
    ['中等价值']
    >>> assign_value_bands(pd.DataFrame({"rfm_score": [11, 12, 3, 7, 7], "monetary": [500.0, 0, 0, 90, 80]}),
    ...                    0.4, 0.2).tolist()
    ['高价值', '中等价值', '基础价值', '中等价值', '中等价值']
    """
    top, middle, bottom = value_bands()
    if rfm["rfm_score"].nunique() < 2:
        return pd.Series(middle, index=rfm.index, name="value_band", dtype=object)
    pct = rfm["rfm_score"].rank(method="average", pct=True)
    spent = rfm["monetary"] > 0 if "monetary" in rfm else True
    return pd.Series(np.select([(pct > 1 - high) & spent, pct <= low], [top, bottom], middle),
                     index=rfm.index, name="value_band")


_OPS = {"min": (lambda s, v: s >= v), "max": (lambda s, v: s <= v)}


def assign_tiers(features: pd.DataFrame, rules: list[dict], roles: TierRoles, *, churn_days,
                 churn_min_spend) -> tuple[pd.DataFrame, list[str]]:
    """Apply the ordered tier rules; the first rule a customer meets gives the tier.

    A rule is a dict with ``tier`` and conditions ``min_<feature>`` (≥) or
    ``max_<feature>`` (≤), features as in :data:`TIER_FEATURES`. Each threshold, and
    ``churn_days`` / ``churn_min_spend``, is a number or a position in these customers' own
    distribution (``{quantile: q}``, ``{top_share: s}``), resolved over the customers of
    ``features`` with at least one purchase and a positive spend as
    :mod:`analysis.steps.thresholds` defines (ties at a threshold all meet it). A condition on a
    feature the data lacks (column absent or all NaN) is skipped and reported. A customer no
    rule claims gets ``roles.default``; so does a customer whose returns exceed their purchases
    (:func:`returns_exceed_purchases`), with the rule text ``segment.tier.returns_exceed``.
    ``churn_risk`` flags every customer past ``churn_days`` (``tiers.churn_days``) with spend
    ≥ ``churn_min_spend`` 元 (``tiers.churn_min_spend``; None: the ``roles.win_back`` rule's
    spend floor), so high-value customers keep their tier and carry the flag, and everyone in
    the ``roles.win_back`` tier. Returns ``(frame with tier, tier_rule, churn_risk; skipped
    messages)``.

    Examples
    --------
    >>> from analysis.tiers import TierRoles
    >>> roles = TierRoles(order=("Top", "Rest"), default="Rest", high_value=("Top",), win_back=None,
    ...                   sleeping=())
    >>> f = pd.DataFrame({"orders": [1, 1, 1, 1], "total_spend": [10.0, 40.0, 20.0, 30.0],
    ...                   "days_since_last": [5.0, 5.0, 5.0, 5.0]})
    >>> tiers, _ = assign_tiers(f, [{"tier": "Top", "min_total_spend": {"top_share": 0.25}}, {"tier": "Rest"}],
    ...                         roles, churn_days=90, churn_min_spend=0)
    >>> tiers["tier"].tolist(), tiers["tier_rule"].iloc[1]
    (['Rest', 'Top', 'Rest', 'Rest'], '累计消费(元)≥40（前25%）')
    """
    resolved = resolve_thresholds(rules, features, churn_days=churn_days, churn_min_spend=churn_min_spend,
                                  win_back=roles.win_back)
    return _apply_tiers(features, resolved, roles)


def _threshold_text(value: float) -> str:
    """A threshold as a rule's text shows it: thousands separators, at most 2 decimals
    (``89980.85`` -> ``89,980.85``, ``500000`` -> ``500,000``, ``0.7`` -> ``0.7``)."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _apply_tiers(features: pd.DataFrame, resolved: ResolvedTiers, roles: TierRoles) -> tuple[pd.DataFrame, list[str]]:
    labels = feature_labels()
    rest = text("segment.tier.rest")
    out = features.copy()
    tier = pd.Series(pd.NA, index=out.index, dtype="string")
    rule_text = pd.Series(pd.NA, index=out.index, dtype="string")
    # Returns above purchases: no rule claims them, whatever else they meet.
    netted_out = (returns_exceed_purchases(out) if "total_spend" in out
                  else pd.Series(False, index=out.index))
    skipped = []
    for rule in resolved.rules:
        mask = pd.Series(True, index=out.index)
        parts = []
        for key, value in rule.items():
            if key == "tier":
                continue
            op, _, feature = key.partition("_")
            if op not in _OPS or feature not in TIER_FEATURES:
                raise ValueError(f"tier rule for {rule.get('tier')}: unknown condition {key!r}")
            column = out.get(feature)
            if column is None or column.isna().all():
                skipped.append(text("segment.tier.skipped", tier=rule["tier"], feature=labels[feature]))
                continue
            mask &= _OPS[op](column, value).fillna(False)
            parts.append(text("segment.tier.condition", feature=labels[feature], op="≥" if op == "min" else "≤",
                              value=_threshold_text(value))
                         + position_note(resolved.written(rule["tier"], key).written))
        hit = mask & tier.isna() & ~netted_out
        tier[hit] = rule["tier"]
        rule_text[hit] = text("segment.tier.condition_joiner").join(parts) if parts else rest
    tier = tier.fillna(roles.default)
    rule_text[netted_out] = text("segment.tier.returns_exceed")
    rule_text = rule_text.fillna(rest)
    out["tier"], out["tier_rule"] = tier, rule_text
    win_back = (tier == roles.win_back) if roles.win_back is not None else False
    out["churn_risk"] = (
        (out["days_since_last"] >= resolved.churn_days) & (out["total_spend"] >= resolved.churn_min_spend)
    ).fillna(False) | win_back
    return out, sorted(set(skipped))


def _cluster_name(centroid: pd.Series, overall: pd.Series) -> str:
    recency = "recent" if centroid["recency_days"] < overall["recency_days"] else "lapsed"
    freq = "frequent" if centroid["frequency"] > overall["frequency"] else "infrequent"
    money = "high_spend" if centroid["monetary"] > overall["monetary"] else "low_spend"
    return text("segment.cluster.name", recency=text(f"segment.cluster.{recency}"),
                frequency=text(f"segment.cluster.{freq}"), spend=text(f"segment.cluster.{money}"))


def cluster_matrix(rfm: pd.DataFrame, extra_features: list[str] | tuple = ()) -> tuple[pd.DataFrame, np.ndarray]:
    """The k-means input: ``(raw features in original units, log1p-transformed standardised matrix)``.

    Never-bought customers get the largest recency; missing extras count as 0.
    """
    cols = ["recency_days", "frequency", "monetary", *extra_features]
    raw = rfm[cols].astype(float).copy()
    raw["recency_days"] = raw["recency_days"].fillna(raw["recency_days"].max())
    raw = raw.fillna(0.0)
    return raw, StandardScaler().fit_transform(np.log1p(raw.clip(lower=0)))


def _distinct_rows(x: np.ndarray) -> int:
    """How many distinct rows ``x`` has — ``len(np.unique(x, axis=0))`` from a lexsort of its
    columns, several times faster than numpy's sort of whole rows.

    >>> _distinct_rows(np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 2.0]])), _distinct_rows(np.zeros((0, 3)))
    (2, 0)
    """
    if not len(x):
        return 0
    ordered = x[np.lexsort(x.T[::-1])]
    return 1 + int((ordered[1:] != ordered[:-1]).any(axis=1).sum())


def cluster_customers(rfm: pd.DataFrame, *, k_range, seed: int,
                      extra_features: list[str] | tuple, sample_size: int = 5000,
                      fit_sample_first: bool = True, n_init: int = 10,
                      n_threads: int | None = 1):
    """k-means on log-transformed, standardised R, F, M (plus extra numeric columns).

    k is chosen from ``k_range`` (inclusive, ``kmeans.k_range``) by silhouette, computed on a seeded sample
    of at most ``sample_size`` customers. Returns ``(labels, names, silhouettes, centroids)``:
    cluster number per customer, readable Chinese name per cluster, silhouette per k and
    the clusters' centroids in original units.

    For each k the ``n_init`` seeded k-means++ starts are run on the sample, and the best
    of them is then refined by k-means on all customers until no assignment changes, so
    every k still has a model fitted to all customers (its inertia no worse than running
    the starts on all customers, in the 100,000-customer benchmark) and its silhouette is
    measured on the seeded sample; 3–5× faster at 100,000 customers.
    ``fit_sample_first=False`` runs the ``n_init`` starts on all customers instead.
    Deterministic for a given ``seed``.

    A k needs more distinct customers (R, F, M points) than k, and a silhouette at least two
    clusters, so a small base narrows ``k_range`` or, with no k left, is not clustered: every
    customer is then in cluster 0, named 全部客户（未聚类） (:func:`unclustered`).
    ``silhouettes.attrs["note"]`` says in the run's language which k were tried and chosen,
    or why none was. No customers give empty results.

    Examples
    --------
    >>> few = pd.DataFrame({"recency_days": [10.0, 10.0, 200.0], "frequency": [3.0, 3.0, 1.0],
    ...                     "monetary": [900.0, 900.0, 50.0]})
    >>> labels, names, silhouettes, _ = cluster_customers(few, k_range=(3, 8), seed=0, extra_features=())
    >>> labels.tolist(), names, silhouettes.attrs["note"]
    ([0, 0, 0], {0: '全部客户（未聚类）'}, '3 位客户只有 2 种不同的 R/F/M 组合，不多于 k 的下限 3，未做聚类：全部客户归为一类')

    k-means runs with ``n_threads`` OpenMP threads (``None``: the library default, all
    cores). One thread is the default: on a busy 2-core machine sklearn's OpenMP threads
    spin-wait and made this step 5–7× slower (≈ 15 s instead of ≈ 2.2 s at 100,000
    customers), and the result then does not depend on the machine's core count.
    """
    if n_threads is not None:
        with threadpool_limits(limits=n_threads, user_api="openmp"):
            return cluster_customers(rfm, k_range=k_range, seed=seed, extra_features=extra_features,
                                     sample_size=sample_size, fit_sample_first=fit_sample_first,
                                     n_init=n_init, n_threads=None)
    low, high = k_range
    if len(rfm) == 0:
        silhouettes = pd.Series(dtype="float64", name="silhouette")
        silhouettes.attrs["note"] = text("segment.cluster.note_empty")
        return (pd.Series(dtype="int64", index=rfm.index, name="cluster"), {}, silhouettes,
                pd.DataFrame(columns=["recency_days", "frequency", "monetary", *extra_features], dtype="float64"))
    raw, x = cluster_matrix(rfm, extra_features)
    rng = np.random.default_rng(seed)
    sample = rng.choice(len(x), size=min(sample_size, len(x)), replace=False)
    # a k-means with k clusters needs more than k distinct points (silhouette: k < n)
    distinct = _distinct_rows(x)
    high = min(high, distinct - 1)
    what = (text("segment.cluster.few_customers", n=len(x)) if distinct == len(x)
            else text("segment.cluster.few_points", n=len(x), distinct=distinct))
    if high < low:
        note = text("segment.cluster.note_too_few", what=what, low=low)
    elif high < k_range[1]:
        note = text("segment.cluster.note_narrowed", what=what, low=low, high=high, top=k_range[1])
    else:
        note = text("segment.cluster.note_range", low=low, high=high)
    sample_distinct = _distinct_rows(x[sample])
    # the sample's distances are the same for every k: compute them once
    distances = pairwise_distances(x[sample]) if high >= low else None
    silhouettes, models = {}, {}
    for k in range(low, high + 1):
        if fit_sample_first and k < sample_distinct:
            start = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(x[sample])
            # tol=0: iterate on all customers until no assignment changes (cheap from a
            # good start), so the result is a converged k-means solution on the full data
            model = KMeans(n_clusters=k, init=start.cluster_centers_, n_init=1, tol=0,
                           random_state=seed).fit(x)
        else:
            model = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(x)
        labels = model.labels_
        if not 2 <= len(np.unique(labels[sample])) < len(sample):
            continue
        silhouettes[k] = float(silhouette_score(distances, labels[sample], metric="precomputed"))
        models[k] = model
    if not models:
        labels = np.zeros(len(x), dtype=int)
        if high >= low:  # every k tried gave a single cluster on the silhouette sample
            note = text("segment.cluster.note_no_split", low=low, high=high)
    else:
        best = max(silhouettes, key=silhouettes.get)
        labels = models[best].labels_
        note = text("segment.cluster.note_chosen", note=note, k=best)
    centroids = raw.groupby(labels).mean()
    overall = raw.mean()
    if models:
        names = {c: _cluster_name(centroids.loc[c], overall) for c in centroids.index}
    else:  # one group is not "above" or "below" itself: a profile name would say nothing
        names = {0: unclustered()}
    seen: dict[str, int] = {}
    for c in sorted(names, key=lambda c: -centroids.loc[c, "monetary"]):
        seen[names[c]] = seen.get(names[c], 0) + 1
        if seen[names[c]] > 1:
            names[c] = text("segment.cluster.numbered", name=names[c], n=seen[names[c]])
    centroids.index = [names[c] for c in centroids.index]
    silhouettes = pd.Series(silhouettes, name="silhouette", dtype="float64")
    silhouettes.attrs["note"] = note
    return pd.Series(labels, index=rfm.index, name="cluster"), names, silhouettes, centroids


def rfm_class_definitions() -> dict[str, str]:
    """What each of the 8 classes means, for tables: class -> e.g. ``R近·F高·M高`` (R近 =
    bought recently)."""
    level = texts("segment.rfm_level")
    return {name: text("segment.rfm_class_rule", recency=level["recent" if r else "lapsed"],
                       frequency=level["high" if f else "low"], spend=level["high" if m else "low"])
            for (r, f, m), name in rfm_classes().items()}


def band_definitions(high: float, low: float) -> dict[str, str]:
    """The value bands' defining rule, e.g. ``{"高价值": "RFM总分前20%", …}``."""
    top, middle, bottom = value_bands()
    return {top: text("segment.band_rule.high", share=high),
            middle: text("segment.band_rule.middle", share=1 - high - low),
            bottom: text("segment.band_rule.base", share=low)}


def segment_summary(frame: pd.DataFrame, by: str, order: list[str] | None = None,
                    definitions: dict | pd.Series | None = None) -> pd.DataFrame:
    """Count, share, revenue share and mean R/F/M per segment, labelled in the run's language;
    with ``definitions`` (segment -> its defining rule) a 定义 column first."""
    label = texts("segment.summary")
    revenue = frame["monetary"].clip(lower=0)
    grouped = frame.groupby(by, observed=True)
    table = pd.DataFrame({
        label["customers"]: grouped.size(),
        label["share"]: grouped.size() / len(frame),
        label["window_spend_share"]: (grouped["monetary"].apply(lambda s: s.clip(lower=0).sum())
                                      / max(revenue.sum(), 1e-9)),
        label["mean_r"]: grouped["recency_days"].mean(),
        label["mean_f"]: grouped["frequency"].mean(),
        label["mean_m"]: grouped["monetary"].mean(),
    })
    if order:
        table = table.reindex([o for o in order if o in table.index])
    if definitions is not None:
        table.insert(0, label["definition"], pd.Series(table.index, index=table.index).map(definitions))
    table.index.name = texts("segment.dimension").get(by, by)
    return table


def tier_summary(segments: pd.DataFrame, roles: TierRoles) -> pd.DataFrame:
    """:func:`segment_summary` per tier in the rules' order, with each tier's rule (判定规则)
    and how many of its customers carry the churn flag (流失风险标记)."""
    label = texts("segment.summary")
    table = segment_summary(segments, "tier", list(roles.order))
    by_tier = segments.groupby("tier")
    # The tier's own rule, not the note on customers kept out of it (returns above purchases).
    ruled = segments[~returns_exceed_purchases(segments)] if "total_spend" in segments else segments
    rules = ruled.groupby("tier")["tier_rule"].first().reindex(table.index)
    table[label["rule"]] = rules.fillna(by_tier["tier_rule"].first().reindex(table.index))
    table[label["churn_flags"]] = by_tier["churn_risk"].sum().reindex(table.index)
    return table


def summary_formats() -> dict[str, list[str]]:
    """How the columns of :func:`segment_summary` and :func:`tier_summary` are shown, as
    keyword arguments of :func:`analysis.outputs.present.table`."""
    label = texts("segment.summary")
    # days are whole numbers; a mean count of orders keeps its decimals (0.07 is not 0)
    return {"percent": [label["share"], label["window_spend_share"]],
            "integer": [label["customers"], label["churn_flags"], label["mean_r"]],
            "decimals": [label["mean_f"]], "money": [label["mean_m"]]}


def score_counts(rfm: pd.DataFrame) -> pd.DataFrame:
    """Customers per R, F and M score (rows: score 1–5), labelled for a table."""
    counts = rfm[["r_score", "f_score", "m_score"]].apply(lambda s: s.value_counts()).fillna(0)
    return counts.rename(columns=texts("segment.scores")).rename_axis(text("segment.scores_index"))


def agreement(tiers: pd.Series, clusters: pd.Series, roles: TierRoles) -> tuple[pd.DataFrame, float]:
    """Crosstab of rule tiers (in the rules' order) × clusters and the adjusted Rand index
    between them."""
    table = pd.crosstab(tiers, clusters)
    order = ([t for t in roles.order if t in table.index]
             + [t for t in table.index if t not in roles.order])
    return table.reindex(order), float(adjusted_rand_score(tiers, clusters))


def tier_features(rfm: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """The customer features the tier rules test (see :data:`TIER_FEATURES`).

    ``referral_rate`` is 1 for a customer who has referred anyone and 0 otherwise, and
    NaN for all when the data has no referral column, so that condition is skipped.
    """
    out = rfm.copy()
    out["days_since_last"] = out["recency_days"]
    if "referrals" in customers:
        referrals = out["customer_id"].map(customers.set_index("customer_id")["referrals"])
        out["referral_rate"] = np.where(referrals.isna(), np.nan, (referrals > 0).astype(float))
    else:
        out["referral_rate"] = np.nan
    return out


@dataclass(frozen=True)
class SegmentNotes:
    """What :func:`segment_customers` found besides the segments table.

    Attributes
    ----------
    skipped : list[str]
        Tier rule conditions skipped because the data lacks their feature, one sentence each.
    silhouettes : pd.Series
        Silhouette per k tried; ``attrs["note"]`` says which k were tried and chosen, or why
        the customers were not clustered. Empty when clustering was not asked for.
    centroids : pd.DataFrame
        The clusters' centres in original units (days, purchases, 元), by cluster name.
    thresholds : ResolvedTiers
        The tier rules and churn-flag thresholds as applied, positions resolved on this run's
        customers (:mod:`analysis.steps.thresholds`): ``thresholds.table()`` for the report,
        ``thresholds.as_params()`` for params_resolved.yml.
    """

    skipped: list[str]
    silhouettes: pd.Series
    centroids: pd.DataFrame
    thresholds: ResolvedTiers


def segment_customers(orders: pd.DataFrame, customers: pd.DataFrame, as_of, params: dict, roles: TierRoles,
                      *, cluster: bool = True) -> tuple[pd.DataFrame, SegmentNotes]:
    """The whole step 03 chain: RFM -> scores -> 8 classes -> value bands -> tiers -> clusters.

    ``orders`` and ``customers`` are the cleaned tables (every customer of ``customers`` gets
    one row, buyer or not); ``params`` the resolved params (groups ``rfm``, ``tiers``,
    ``kmeans`` and ``run.seed``); ``roles`` their :func:`analysis.tiers.tier_roles`. The tier
    rules are those of ``tiers.preset`` (:func:`analysis.steps.thresholds.active_rules`), their
    positions resolved on these customers (the resolved values are ``notes.thresholds``). Returns
    ``(segments, notes)``: the segments table notebook 03 writes — the columns of
    :func:`compute_rfm`, :func:`score_rfm`, :func:`classify_rfm`, ``value_band``, the tier
    features, ``tier``, ``tier_rule``, ``churn_risk``, ``cluster`` and ``cluster_name``
    (:data:`RETURNS_CLUSTER`, 退货大于购买, for customers whose returns exceed their purchases:
    not clustered) — and the :class:`SegmentNotes`. ``cluster=False`` skips k-means (the backtest needs only the
    tiers): no cluster columns, empty silhouettes and centroids.

    Examples
    --------
    >>> from analysis.config import PARAMS_DIR
    >>> from analysis.params import load_yaml
    >>> from analysis.tiers import tier_roles
    >>> params = load_yaml(PARAMS_DIR / "base.yml")
    >>> params["tiers"]["preset"] = "template"   # the template's fixed 元 amounts
    >>> orders = pd.DataFrame({"customer_id": ["A", "B"], "order_id": ["1", "2"],
    ...     "order_date": pd.to_datetime(["2026-10-20", "2026-03-01"]), "amount": [8000.0, 3000.0],
    ...     "net_amount": [8000.0, 3000.0], "is_purchase": [True, True]})
    >>> segments, notes = segment_customers(orders, pd.DataFrame({"customer_id": ["A", "B", "C"]}),
    ...     pd.Timestamp("2026-10-31"), params, tier_roles(params))
    >>> segments[["customer_id", "tier", "churn_risk"]].values.tolist()
    [['A', '潜力客户', False], ['B', '流失预警客户', True], ['C', '普通客户', False]]
    >>> segments["cluster_name"].unique().tolist(), notes.silhouettes.attrs["note"]
    (['全部客户（未聚类）'], '客户只有 3 位，不多于 k 的下限 3，未做聚类：全部客户归为一类')
    >>> notes.thresholds.churn_min_spend   # the 流失预警 rule's floor
    2000.0
    """
    rfm_params, tiers = params["rfm"], params["tiers"]
    rfm = score_rfm(compute_rfm(orders, customers, as_of, rfm_params["window_months"]))
    industry = (rfm["customer_id"].map(customers.set_index("customer_id")["industry"])
                if "industry" in customers else None)
    rfm = classify_rfm(rfm, rfm_params["high_low_against"], industry)
    rfm["value_band"] = assign_value_bands(rfm, **rfm_params["value_bands"])
    features = tier_features(rfm, customers)
    thresholds = resolve_tiers(tiers, features)
    segments, skipped = _apply_tiers(features, thresholds, roles)
    if not cluster:
        return segments, SegmentNotes(skipped, pd.Series(dtype="float64", name="silhouette"), pd.DataFrame(),
                                      thresholds)
    netted_out = returns_exceed_purchases(segments)
    labels, names, silhouettes, centroids = cluster_customers(
        segments[~netted_out], k_range=params["kmeans"]["k_range"], seed=params["run"]["seed"],
        extra_features=params["kmeans"]["extra_features"])
    # Returns above purchases: their own group, outside k-means.
    segments["cluster"] = labels.reindex(segments.index).fillna(RETURNS_CLUSTER).astype(labels.dtype)
    segments["cluster_name"] = segments["cluster"].map(
        {**names, RETURNS_CLUSTER: text("segment.cluster.returns_exceed")})
    return segments, SegmentNotes(skipped, silhouettes, centroids, thresholds)
