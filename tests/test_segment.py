"""RFM, classes, bands, tiers and clusters on hand-computed fixtures (analysis/segment.py)."""

import numpy as np
import pandas as pd
import pytest

from analysis.segment import (
    assign_tiers, assign_value_bands, classify_rfm, cluster_customers, compute_rfm, score_rfm,
)

AS_OF = pd.Timestamp("2026-10-31")


def _orders(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "order_id", "order_date", "amount"])
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    frame["net_amount"] = frame["amount"]
    frame["is_purchase"] = frame["amount"] > 0
    return frame


@pytest.fixture
def five():
    """A: 2 recent orders; B: one 91 days ago; C: only before the window; D: an order and a
    return; E: never bought. Expected values worked out by hand in each test."""
    orders = _orders([
        ("A", "1", "2026-10-30", 100.0), ("A", "2", "2026-09-01", 200.0),
        ("B", "3", "2026-08-01", 1000.0),
        ("C", "4", "2025-06-01", 500.0),
        ("D", "5", "2026-10-01", 50.0), ("D", "6", "2026-10-15", -20.0),
    ])
    customers = pd.DataFrame({"customer_id": list("ABCDE")})
    return score_rfm(compute_rfm(orders, customers, AS_OF, 12)).set_index("customer_id")


def test_recency_frequency_monetary_by_hand(five):
    # C: 2025-06-01 -> 2026-06-01 is 365 days, + Jun 30 + Jul 31 + Aug 31 + Sep 30 + Oct 31 = 517
    assert five["recency_days"].to_dict() == pytest.approx(
        {"A": 1, "B": 91, "C": 517, "D": 30, "E": np.nan}, nan_ok=True)
    assert five["frequency"].to_dict() == {"A": 2, "B": 1, "C": 0, "D": 1, "E": 0}
    # D's return nets against the window's spend; C's order is before the window.
    assert five["monetary"].to_dict() == {"A": 300, "B": 1000, "C": 0, "D": 30, "E": 0}
    assert five.loc["C", "total_spend"] == 500 and not five.loc["C", "purchased_in_window"]


def test_quintile_scores_with_ties(five):
    # R: ranks of -recency E<C<B<D<A -> pct .2 .4 .6 .8 1 -> 1..5; E never bought -> 1.
    assert five["r_score"].to_dict() == {"A": 5, "B": 3, "C": 2, "D": 4, "E": 1}
    # F: 0,0 share rank 1.5 (pct .3 -> 2); 1,1 share 3.5 (pct .7 -> 4); 2 -> 5.
    assert five["f_score"].to_dict() == {"A": 5, "B": 4, "C": 2, "D": 4, "E": 2}
    # M: 0,0 -> 2; 30 -> rank 3 (3); 300 -> 4; 1000 -> 5.
    assert five["m_score"].to_dict() == {"A": 4, "B": 5, "C": 2, "D": 3, "E": 2}
    assert five["rfm_score"].to_dict() == {"A": 14, "B": 12, "C": 6, "D": 11, "E": 5}
    assert five.loc["A", "rfm_code"] == "554"


def test_bought_yesterday_scores_r5():
    orders = _orders([("X", "1", "2026-10-30", 10.0)] + [(f"Y{i}", str(i + 2), "2026-05-01", 10.0) for i in range(9)])
    rfm = score_rfm(compute_rfm(orders, pd.DataFrame({"customer_id": orders["customer_id"].unique()}), AS_OF))
    assert rfm.set_index("customer_id").loc["X", "r_score"] == 5


def test_eight_classes_against_mean(five):
    classes = classify_rfm(five.reset_index()).set_index("customer_id")["rfm_class"]
    # mean R over buyers = (1+91+517+30)/4 = 159.75; mean F = 0.8; mean M = 266
    assert classes.to_dict() == {"A": "重要价值", "B": "重要价值", "C": "一般挽留",
                                 "D": "一般价值", "E": "一般挽留"}


def test_every_one_of_the_eight_classes_is_reachable():
    # recency: 10 (recent) or 300 (not); frequency 5 or 1; monetary 1000 or 10.
    combos = [(r, f, m) for r in (10, 300) for f in (5, 1) for m in (1000, 10)]
    rfm = pd.DataFrame({"customer_id": range(8), "recency_days": [c[0] for c in combos],
                        "frequency": [c[1] for c in combos], "monetary": [c[2] for c in combos]})
    classes = classify_rfm(rfm)["rfm_class"]
    assert sorted(classes) == sorted(["重要价值", "重要发展", "重要保持", "重要挽留",
                                      "一般价值", "一般发展", "一般保持", "一般挽留"])
    assert classes.iloc[0] == "重要价值" and classes.iloc[7] == "一般挽留"
    assert classes.iloc[1] == "一般价值"  # recent, frequent, low spend


def test_median_and_industry_mean_references():
    rfm = pd.DataFrame({"customer_id": list("abcd"), "recency_days": [1, 2, 3, 100],
                        "frequency": [1, 1, 1, 1], "monetary": [10, 20, 30, 1000]})
    # mean M = 265 -> only d high; median M = 25 -> c, d high
    assert classify_rfm(rfm, "mean")["m_high"].tolist() == [False, False, False, True]
    assert classify_rfm(rfm, "median")["m_high"].tolist() == [False, False, True, True]
    industry = pd.Series(["x", "x", "y", "y"])
    # industry means: x -> 15, y -> 515 -> b and d high
    assert classify_rfm(rfm, "industry_mean", industry)["m_high"].tolist() == [False, True, False, True]


def test_value_bands(five):
    bands = assign_value_bands(five.reset_index()).set_axis(five.index)
    # scores E5 C6 D11 B12 A14 -> pct .2 .4 .6 .8 1.0: top 20% is A only, bottom 20% is E.
    assert bands.to_dict() == {"A": "高价值", "B": "中等价值", "C": "中等价值", "D": "中等价值", "E": "基础价值"}


RULES = [
    {"tier": "战略客户", "min_total_spend": 500000, "min_referral_rate": 0.9},
    {"tier": "核心客户", "min_total_spend": 100000, "max_total_spend": 500000, "min_repurchase_rate": 0.7},
    {"tier": "流失预警客户", "min_days_since_last": 90, "min_total_spend": 2000},
    {"tier": "潜力客户", "min_first_order": 5000, "min_orders": 1, "max_orders": 2},
    {"tier": "普通客户"},
]


def _features(**cols):
    n = len(next(iter(cols.values())))
    base = {"total_spend": [0.0] * n, "referral_rate": [0.0] * n, "repurchase_rate": [0.0] * n,
            "days_since_last": [10.0] * n, "first_order": [0.0] * n, "orders": [1.0] * n}
    base.update(cols)
    return pd.DataFrame(base)


def test_tier_boundaries():
    f = _features(
        total_spend=[500000, 499999.99, 499999.99, 3000, 3000, 8000, 8000, 1000],
        referral_rate=[1, 1, 1, 0, 0, 0, 0, 0],
        repurchase_rate=[0, 0.75, 0.5, 0, 0, 0.5, 0.67, 0],
        days_since_last=[10, 10, 10, 90, 89, 10, 10, 200],
        first_order=[0, 0, 0, 0, 0, 5000, 5000, 0],
        orders=[10, 4, 2, 1, 1, 2, 3, 1],
    )
    tiers, skipped = assign_tiers(f, RULES)
    assert tiers["tier"].tolist() == ["战略客户", "核心客户", "普通客户", "流失预警客户", "普通客户",
                                      "潜力客户", "普通客户", "普通客户"]
    assert skipped == []


def test_strategic_customer_past_churn_rule_keeps_tier_with_flag():
    f = _features(total_spend=[600000, 150000, 1000], referral_rate=[1, 0, 0],
                  repurchase_rate=[0.9, 0.9, 0], days_since_last=[120, 95, 95])
    tiers, _ = assign_tiers(f, RULES)
    assert tiers["tier"].tolist() == ["战略客户", "核心客户", "普通客户"]
    assert tiers["churn_risk"].tolist() == [True, True, False]  # the last spent < 2,000


def test_condition_on_missing_data_is_skipped_and_reported():
    f = _features(total_spend=[500000], referral_rate=[np.nan])
    tiers, skipped = assign_tiers(f, RULES)
    assert tiers["tier"].tolist() == ["战略客户"]
    assert any("推荐率" in s for s in skipped)


def test_kmeans_reproducible_with_seed_and_names_every_cluster():
    rng = np.random.default_rng(1)
    rfm = pd.DataFrame({
        "recency_days": np.concatenate([rng.integers(1, 30, 60), rng.integers(200, 400, 60)]).astype(float),
        "frequency": np.concatenate([rng.integers(5, 12, 60), rng.integers(0, 2, 60)]).astype(float),
        "monetary": np.concatenate([rng.uniform(5000, 20000, 60), rng.uniform(0, 500, 60)]),
    })
    a = cluster_customers(rfm, k_range=(2, 4), seed=7)
    b = cluster_customers(rfm, k_range=(2, 4), seed=7)
    assert (a[0] == b[0]).all() and a[2].equals(b[2])
    # two well-separated groups: k = 2 wins, and the groups are named by their profile
    assert a[2].idxmax() == 2
    assert set(a[1].values()) == {"近期活跃·高频·高额", "久未购买·低频·低额"}
