"""Tier and churn thresholds: an absolute number, or a position in this company's own distribution.

A threshold of a tier rule (``min_X`` / ``max_X`` in ``tiers.rules``) or of the churn flag
(``tiers.churn_days``, ``tiers.churn_min_spend``) is written in params in one of two ways:

* **a number**, used as written: 元 for ``total_spend`` and ``first_order``, calendar days for
  ``days_since_last``, purchase orders for ``orders``, a rate 0–1 for ``repurchase_rate`` and
  ``referral_rate``;
* **a position** — ``{quantile: q}`` or ``{top_share: s}`` — resolved on every run against the
  distribution of that feature over the *measured customers*: every customer with at least one
  purchase order up to the as-of date (``orders`` ≥ 1) and a positive net spend
  (``total_spend`` > 0) whose value of the feature is known (not blank). Customers who never
  bought are left out, so a long list of registered non-buyers (spend 0, no first order) does
  not drag the thresholds down; so are customers whose returns cancel or exceed their purchases
  (net spend ≤ 0): they are no part of the value ranking.

With the ``n`` measured values sorted from the smallest ``x(1)`` to the largest ``x(n)``:

* ``{quantile: q}`` (0 ≤ q ≤ 1) is ``x(k)`` with ``k = ⌈q·n⌉`` (at least 1): the smallest value
  such that at least a share ``q`` of the measured customers have a value at or below it (the
  inverted empirical distribution function, numpy's ``method="inverted_cdf"``).
  ``{quantile: 0.5}`` is the lower median.
* ``{top_share: s}`` (0 < s ≤ 1) is ``x(n − k + 1)`` with ``k = ⌈s·n⌉`` (at least 1): the value
  of the k-th customer counted from the top, so ``min_total_spend: {top_share: 0.01}`` claims
  the top 1% of spenders (rounded up, at least one customer).

A resolved threshold is always a value some measured customer has. **Ties**: conditions are
≥ (``min_``) and ≤ (``max_``), so every customer whose value equals the threshold meets it —
customers with the same value are treated alike — and a position claims more than its share
when many customers share the boundary value (``{top_share: 0.1}`` of ``orders`` when a third of
the customers have the same count). With no measured customer the threshold cannot be resolved
(NaN) and its condition is met by nobody; a condition on a feature the data lacks altogether is
skipped, as for a number.

``tiers.churn_min_spend: null`` means the win-back tier's own spend floor (the ``min_total_spend``
of the ``tiers.roles.win_back`` rule, as resolved), or no floor (0) when that rule has none.

``tiers.preset`` picks the rules: ``none`` uses ``tiers.rules`` as written, ``template`` the
source template's fixed 元 amounts (``tiers.presets.template``); tier names stay those of
``tiers.rules``, which is why the schema requires a preset to name the same tiers in the same
order.

Examples
--------
>>> values = pd.Series([10.0, 20, 20, 30, 40, 50, 60, 70, 80, 1000])
>>> position_value(values, {"quantile": 0.25}), position_value(values, {"top_share": 0.1})
(20.0, 1000.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.vocab import text, texts

__all__ = [
    "POSITIONS", "is_position", "position_value", "measured_values", "active_rules", "Threshold",
    "ResolvedTiers", "resolve_thresholds", "resolve_tiers", "tier_share_warning", "position_note",
]

# The two ways of writing a position; each is a one-key mapping, e.g. {top_share: 0.01}.
POSITIONS = ("quantile", "top_share")
_CHURN_KEYS = {"churn_days": "days_since_last", "churn_min_spend": "total_spend"}


def is_position(value) -> bool:
    """True for a position written as ``{quantile: q}`` or ``{top_share: s}``.

    >>> is_position({"top_share": 0.01}), is_position(2000), is_position({"share": 0.1})
    (True, False, False)
    """
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in POSITIONS


def measured_values(features: pd.DataFrame, feature: str) -> pd.Series:
    """The values a position of ``feature`` is taken over: customers with at least one
    purchase order (``orders`` ≥ 1) and a positive net spend (``total_spend`` > 0) whose value
    is known; a condition on a column the frame lacks is not applied.

    >>> f = pd.DataFrame({"orders": [0, 1, 3, 2, 2], "total_spend": [0.0, 50.0, 900.0, -98.0, 0.0],
    ...                   "days_since_last": [np.nan, 10.0, 30.0, 200.0, 40.0]})
    >>> measured_values(f, "total_spend").tolist(), measured_values(f, "days_since_last").tolist()
    ([50.0, 900.0], [10.0, 30.0])
    """
    if feature not in features:
        return pd.Series(dtype=float)
    values = features[feature]
    if "orders" in features:
        values = values[features["orders"].fillna(0) > 0]
    if "total_spend" in features:
        values = values[features["total_spend"].reindex(values.index) > 0]
    return values.dropna().astype(float)


def _rank(share: float, n: int) -> int:
    # ⌈share·n⌉, at least 1; rounded first so that 0.07 × 100 (7.000000000000001) is 7
    return max(1, math.ceil(round(share * n, 9)))


def position_value(values: pd.Series, position: dict) -> float:
    """The value at ``position`` (``{quantile: q}`` or ``{top_share: s}``) of ``values``;
    NaN when there are none. See the module docstring for the exact definition and ties.

    >>> v = pd.Series([5.0, 1, 3, 3, 2])  # sorted: 1 2 3 3 5
    >>> position_value(v, {"quantile": 0.5}), position_value(v, {"quantile": 0})
    (3.0, 1.0)
    >>> position_value(v, {"top_share": 0.5}), position_value(v, {"top_share": 0.01})
    (3.0, 5.0)
    """
    (kind, share), = position.items()
    ordered = np.sort(pd.Series(values).dropna().to_numpy(dtype=float))
    n = len(ordered)
    if n == 0:
        return float("nan")
    k = _rank(float(share), n)
    return float(ordered[k - 1] if kind == "quantile" else ordered[n - k])


def active_rules(tiers: dict) -> list[dict]:
    """The rules this run applies: ``tiers.rules`` as written (``tiers.preset: none``) or the
    named preset's (``tiers.presets.<preset>``)."""
    preset = tiers.get("preset", "none")
    return tiers["rules"] if preset == "none" else tiers["presets"][preset]


@dataclass(frozen=True)
class Threshold:
    """One threshold of this run: as written in params and as resolved."""

    tier: str | None          # the rule's tier; None for the churn flag's two thresholds
    key: str                  # min_total_spend, max_orders … or churn_days / churn_min_spend
    feature: str              # the feature it bounds (see segment.TIER_FEATURES)
    written: object           # a number, {quantile: q}, {top_share: s}, or None (churn_min_spend)
    value: float              # as resolved for this run (NaN: unresolved or skipped)
    measured: int | None      # customers a position was taken over; None for a number
    skipped: bool = False     # the data lacks the feature: the condition is skipped
    follows: str | None = None  # churn_min_spend: null -> the tier whose spend floor it takes

    @property
    def op(self) -> str:
        return "≤" if self.key.startswith("max_") else "≥"


@dataclass(frozen=True)
class ResolvedTiers:
    """The tier rules and churn-flag thresholds of one run, every threshold a number.

    ``rules`` are the active rules (see :func:`active_rules`) with positions replaced by their
    values; ``thresholds`` lists every threshold, written and resolved, in rule order and then
    the churn flag's.
    """

    preset: str
    rules: list[dict]
    churn_days: float
    churn_min_spend: float
    thresholds: list[Threshold] = field(default_factory=list)

    def written(self, tier: str | None, key: str) -> Threshold:
        """The :class:`Threshold` of ``key`` in ``tier``'s rule (``tier=None``: the churn flag)."""
        return next(t for t in self.thresholds if t.tier == tier and t.key == key)

    def as_params(self) -> dict:
        """Plain YAML-ready values in the shape of the ``tiers`` params (rules, churn_days,
        churn_min_spend), e.g. to freeze this run's thresholds in a month file."""
        return {"preset": self.preset, "rules": [{k: _plain(v) for k, v in rule.items()} for rule in self.rules],
                "churn_days": _plain(self.churn_days), "churn_min_spend": _plain(self.churn_min_spend)}

    def table(self) -> pd.DataFrame:
        """One row per threshold, labelled in the run's language: tier (or the churn flag),
        condition, as written, as resolved for this run (in 元 / days / orders), and over how
        many customers a position was taken."""
        label = texts("thresholds.column")
        features = texts("segment.feature")
        rows = []
        for t in self.thresholds:
            rows.append({
                label["tier"]: t.tier if t.tier is not None else text("thresholds.churn_flag"),
                label["condition"]: text("thresholds.condition", feature=features[t.feature], op=t.op),
                label["written"]: _written_text(t),
                label["value"]: _value_text(t),
                label["measured"]: (text("thresholds.measured", n=t.measured) if t.measured is not None
                                    else text("thresholds.as_written")),
            })
        return pd.DataFrame(rows, columns=list(label.values()))


def _plain(value):
    # YAML-ready: numpy scalars to Python; whole numbers as int; NaN (unresolved) as None
    if isinstance(value, (bool, str)) or value is None:
        return value
    value = float(value)
    if math.isnan(value):
        return None
    return int(value) if value.is_integer() else value


def _share_text(position: dict) -> str:
    (kind, share), = position.items()
    return text(f"thresholds.position.{kind}", pct=round(float(share) * 100, 6))


def position_note(written) -> str:
    """The note a position adds after its resolved value in a tier rule's text, e.g. （前1%）;
    empty for a number."""
    return text("thresholds.position_note", position=_share_text(written)) if is_position(written) else ""


def _written_text(t: Threshold) -> str:
    if is_position(t.written):
        return _share_text(t.written)
    if t.written is None:
        return (text("thresholds.follows", tier=t.follows) if t.follows is not None
                else text("thresholds.no_floor"))
    return f"{float(t.written):,g}"


def _value_text(t: Threshold) -> str:
    if t.skipped:
        return text("thresholds.skipped")
    if math.isnan(t.value):
        return text("thresholds.unresolved")
    return text(f"thresholds.unit.{t.feature}", value=t.value)


def _resolve_one(features: pd.DataFrame, tier, key: str, feature: str, written) -> Threshold:
    column = features.get(feature)
    skipped = column is None or column.isna().all()
    if not is_position(written):
        return Threshold(tier, key, feature, written, float(written), None, skipped)
    values = measured_values(features, feature)
    value = float("nan") if skipped else position_value(values, written)
    return Threshold(tier, key, feature, dict(written), value, int(len(values)), skipped)


def resolve_thresholds(rules: list[dict], features: pd.DataFrame, *, churn_days, churn_min_spend,
                       win_back: str | None, preset: str = "none") -> ResolvedTiers:
    """Resolve every threshold of ``rules`` and of the churn flag against ``features`` (the
    tier features of every customer, :func:`analysis.steps.segment.tier_features`).

    ``churn_days`` / ``churn_min_spend`` are numbers or positions; ``churn_min_spend=None``
    takes the ``win_back`` tier's ``min_total_spend`` as resolved (0 when that rule has none).

    Examples
    --------
    >>> f = pd.DataFrame({"orders": [1, 2, 5, 0], "total_spend": [100.0, 300.0, 900.0, 0.0],
    ...                   "days_since_last": [10.0, 200.0, 30.0, np.nan]})
    >>> rules = [{"tier": "Top", "min_total_spend": {"top_share": 0.3}},
    ...          {"tier": "Lapsed", "min_days_since_last": 90, "min_total_spend": {"quantile": 0.5}},
    ...          {"tier": "Rest"}]
    >>> r = resolve_thresholds(rules, f, churn_days=90, churn_min_spend=None, win_back="Lapsed")
    >>> r.rules[0], r.rules[1]["min_total_spend"], r.churn_min_spend
    ({'tier': 'Top', 'min_total_spend': 900.0}, 300.0, 300.0)
    """
    thresholds, resolved_rules = [], []
    for rule in rules:
        resolved = {"tier": rule["tier"]}
        for key, written in rule.items():
            if key == "tier":
                continue
            feature = key.partition("_")[2]
            t = _resolve_one(features, rule["tier"], key, feature, written)
            thresholds.append(t)
            resolved[key] = t.value
        resolved_rules.append(resolved)
    days = _resolve_one(features, None, "churn_days", "days_since_last", churn_days)
    if churn_min_spend is None:
        followed = next((t for t in thresholds if t.tier == win_back and t.key == "min_total_spend"), None)
        spend = (Threshold(None, "churn_min_spend", "total_spend", None, 0.0, None) if followed is None
                 else Threshold(None, "churn_min_spend", "total_spend", None, followed.value, followed.measured,
                                followed.skipped, follows=win_back))
    else:
        spend = _resolve_one(features, None, "churn_min_spend", "total_spend", churn_min_spend)
    thresholds += [days, spend]
    return ResolvedTiers(preset, resolved_rules, days.value, spend.value, thresholds)


def resolve_tiers(tiers: dict, features: pd.DataFrame) -> ResolvedTiers:
    """:func:`resolve_thresholds` for the ``tiers`` params of a run (its preset, rules, churn
    thresholds and win-back role) on ``features`` — e.g. the segments table of notebook 03.

    Examples
    --------
    >>> from analysis.config import PARAMS_DIR
    >>> from analysis.params import load_yaml
    >>> tiers = {**load_yaml(PARAMS_DIR / "base.yml")["tiers"], "preset": "template"}
    >>> f = pd.DataFrame({"orders": [1], "total_spend": [10.0], "days_since_last": [5.0]})
    >>> resolve_tiers(tiers, f).churn_min_spend   # the template's 流失预警 floor, 2,000 元
    2000.0
    """
    return resolve_thresholds(active_rules(tiers), features, churn_days=tiers["churn_days"],
                              churn_min_spend=tiers["churn_min_spend"], win_back=tiers["roles"]["win_back"],
                              preset=tiers.get("preset", "none"))


def tier_share_warning(segments: pd.DataFrame, order, high_value, max_share: float) -> str:
    """One sentence when the tiers say little: a tier holding more than ``max_share`` of the
    customers (``tiers.max_share_warning``) or a high-value tier (``tiers.roles.high_value``)
    with nobody in it; ``""`` when neither. Shares are of every customer of ``segments``.

    Examples
    --------
    >>> s = pd.DataFrame({"tier": ["Rest"] * 9 + ["Lapsed"]})
    >>> tier_share_warning(s, ["Top", "Lapsed", "Rest"], ["Top"], 0.75)
    '层级分布需要留意：Rest 占全部客户的 90.0%（超过 75%）；Top 没有客户。可在参数文件中调整分层门槛，或改用模板的固定金额。'
    """
    if not len(segments):
        return ""
    shares = segments["tier"].value_counts(normalize=True)
    clauses = [text("thresholds.warning.crowded", tier=tier, share=float(shares[tier]), limit=max_share)
               for tier in order if shares.get(tier, 0.0) > max_share]
    empty = [tier for tier in high_value if shares.get(tier, 0.0) == 0]
    if empty:
        clauses.append(text("thresholds.warning.empty_top", tiers=text("list.separator").join(empty)))
    if not clauses:
        return ""
    return text("thresholds.warning.sentence", clauses=text("thresholds.warning.joiner").join(clauses))
