"""RFM, classes, bands, tiers and clusters on hand-computed fixtures (analysis/steps/segment.py)."""

import numpy as np
import pandas as pd
import pytest

from analysis.config import PARAMS_DIR
from analysis.params import load_yaml
from analysis.steps.segment import (
    assign_tiers, assign_value_bands, classify_rfm, cluster_customers, compute_rfm, score_rfm, tier_features,
    unclustered,
)
from analysis.steps.thresholds import active_rules, resolve_tiers
from analysis.tiers import tier_roles

AS_OF = pd.Timestamp("2026-10-31")
PARAMS = load_yaml(PARAMS_DIR / "base.yml")
ROLES = tier_roles(PARAMS)
BANDS = PARAMS["rfm"]["value_bands"]          # top 20% / bottom 20%
# null: the win-back (流失预警) rule's own spend floor — 2,000 元 under the template preset
CHURN_RULE = {"churn_days": PARAMS["tiers"]["churn_days"],              # 90 days
              "churn_min_spend": PARAMS["tiers"]["churn_min_spend"]}
NO_EXTRAS = ()
UNCLUSTERED = unclustered()


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
    classes = classify_rfm(five.reset_index(), "mean").set_index("customer_id")["rfm_class"]
    # mean R over buyers = (1+91+517+30)/4 = 159.75; mean F = 0.8; mean M = 266
    assert classes.to_dict() == {"A": "重要价值", "B": "重要价值", "C": "一般挽留",
                                 "D": "一般价值", "E": "一般挽留"}


def test_every_one_of_the_eight_classes_is_reachable():
    # recency: 10 (recent) or 300 (not); frequency 5 or 1; monetary 1000 or 10.
    combos = [(r, f, m) for r in (10, 300) for f in (5, 1) for m in (1000, 10)]
    rfm = pd.DataFrame({"customer_id": range(8), "recency_days": [c[0] for c in combos],
                        "frequency": [c[1] for c in combos], "monetary": [c[2] for c in combos]})
    classes = classify_rfm(rfm, "mean")["rfm_class"]
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
    bands = assign_value_bands(five.reset_index(), **BANDS).set_axis(five.index)
    # scores E5 C6 D11 B12 A14 -> pct .2 .4 .6 .8 1.0: top 20% is A only, bottom 20% is E.
    assert bands.to_dict() == {"A": "高价值", "B": "中等价值", "C": "中等价值", "D": "中等价值", "E": "基础价值"}


# The hand-checked tier boundaries below are those of the template's 元 amounts, which the
# preset one line away (tiers.preset: template) applies: the tests run on the preset itself.
RULES = active_rules({**PARAMS["tiers"], "preset": "template"})
HAND_CHECKED = [
    {"tier": "战略客户", "min_total_spend": 500000, "min_referral_rate": 0.9},
    {"tier": "核心客户", "min_total_spend": 100000, "max_total_spend": 500000, "min_repurchase_rate": 0.7},
    {"tier": "流失预警客户", "min_days_since_last": 90, "min_total_spend": 2000},
    {"tier": "潜力客户", "min_first_order": 5000, "min_orders": 1, "max_orders": 2},
    {"tier": "普通客户"},
]


def test_the_template_preset_is_the_hand_checked_rule_set():
    assert RULES == HAND_CHECKED


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
    tiers, skipped = assign_tiers(f, RULES, ROLES, **CHURN_RULE)
    assert tiers["tier"].tolist() == ["战略客户", "核心客户", "普通客户", "流失预警客户", "普通客户",
                                      "潜力客户", "普通客户", "普通客户"]
    assert skipped == []


def test_spend_and_first_order_boundaries_of_the_template():
    # 90 days with exactly 2,000 元 is 流失预警 (and flagged), 1,999.99 is not; a first order of
    # exactly 5,000 元 with 1 order is 潜力, 4,999.99 is not; exactly 100,000 with 3/4 is 核心.
    f = _features(total_spend=[2000, 1999.99, 5000, 4999.99, 100000, 99999.99],
                  days_since_last=[90, 90, 10, 10, 10, 10], first_order=[0, 0, 5000, 4999.99, 0, 0],
                  repurchase_rate=[0, 0, 0, 0, 0.75, 0.75], orders=[1, 1, 1, 1, 4, 4])
    tiers, _ = assign_tiers(f, RULES, ROLES, **CHURN_RULE)
    assert tiers["tier"].tolist() == ["流失预警客户", "普通客户", "潜力客户", "普通客户", "核心客户", "普通客户"]
    assert tiers["churn_risk"].tolist() == [True, False, False, False, False, False]


def test_strategic_customer_past_churn_rule_keeps_tier_with_flag():
    f = _features(total_spend=[600000, 150000, 1000], referral_rate=[1, 0, 0],
                  repurchase_rate=[0.9, 0.9, 0], days_since_last=[120, 95, 95])
    tiers, _ = assign_tiers(f, RULES, ROLES, **CHURN_RULE)
    assert tiers["tier"].tolist() == ["战略客户", "核心客户", "普通客户"]
    assert tiers["churn_risk"].tolist() == [True, True, False]  # the last spent < 2,000


def test_condition_on_missing_data_is_skipped_and_reported():
    f = _features(total_spend=[500000], referral_rate=[np.nan])
    tiers, skipped = assign_tiers(f, RULES, ROLES, **CHURN_RULE)
    assert tiers["tier"].tolist() == ["战略客户"]
    assert any("推荐率" in s for s in skipped)


def test_kmeans_reproducible_with_seed_and_names_every_cluster():
    rng = np.random.default_rng(1)
    rfm = pd.DataFrame({
        "recency_days": np.concatenate([rng.integers(1, 30, 60), rng.integers(200, 400, 60)]).astype(float),
        "frequency": np.concatenate([rng.integers(5, 12, 60), rng.integers(0, 2, 60)]).astype(float),
        "monetary": np.concatenate([rng.uniform(5000, 20000, 60), rng.uniform(0, 500, 60)]),
    })
    a = cluster_customers(rfm, k_range=(2, 4), seed=7, extra_features=NO_EXTRAS)
    b = cluster_customers(rfm, k_range=(2, 4), seed=7, extra_features=NO_EXTRAS)
    assert (a[0] == b[0]).all() and a[2].equals(b[2])
    # two well-separated groups: k = 2 wins, and the groups are named by their profile
    assert a[2].idxmax() == 2
    assert set(a[1].values()) == {"近期活跃·高频·高额", "久未购买·低频·低额"}


# --- exact ten-customer case -----------------------------------------------------------------
# as of 2026-10-31 the 12-month window is (2025-10-31, 2026-10-31]: an order on 2025-10-31 is out.
@pytest.fixture
def ten():
    orders = _orders([
        ("C01", "1", "2026-10-30", 100.0), ("C01", "2", "2026-10-01", 200.0),
        ("C01", "3", "2026-07-01", 300.0),
        ("C02", "4", "2026-10-21", 500.0), ("C02", "5", "2026-03-15", 500.0),
        ("C03", "6", "2026-10-21", 50.0), ("C03", "7", "2026-11-05", 999.0),  # after as-of: ignored
        ("C04", "8", "2026-09-30", 2000.0), ("C04", "9", "2026-06-30", 1000.0),
        ("C04", "10", "2026-01-31", 1000.0), ("C04", "11", "2025-12-01", 1000.0),
        ("C05", "12", "2026-08-01", 300.0), ("C05", "12", "2026-08-01", 200.0),  # one order, two lines
        ("C06", "13", "2026-05-04", 800.0),
        ("C07", "14", "2025-10-31", 1000.0), ("C07", "15", "2025-11-01", 400.0),
        ("C08", "16", "2025-06-01", 900.0),
        ("C09", "17", "2026-10-15", 600.0), ("C09", "18", "2026-10-20", -600.0),  # fully returned
    ])
    orders.loc[0, "order_date"] += pd.Timedelta("23:30:00")  # a time of day on C01's last order
    customers = pd.DataFrame({"customer_id": [f"C{i:02d}" for i in range(1, 11)]})  # C10 never bought
    return score_rfm(compute_rfm(orders, customers, AS_OF, 12)).set_index("customer_id")


def test_ten_customers_r_f_m_by_hand(ten):
    # R, whole calendar days from the last purchase to 2026-10-31 (returns are not purchases):
    # C01 10-30 (23:30 still counts as that day) -> 1; C02, C03 10-21 -> 10; C04 09-30 -> 31;
    # C05 08-01 -> 30 (Aug from 1st) + 30 + 31 = 91; C06 05-04 -> 27 + 30 + 31 + 31 + 30 + 31 = 180;
    # C07 2025-11-01 -> 365 - 1 = 364; C08 2025-06-01 -> 517 (as above); C09 10-15 -> 16; C10 none.
    assert ten["recency_days"].to_dict() == pytest.approx(
        {"C01": 1, "C02": 10, "C03": 10, "C04": 31, "C05": 91, "C06": 180, "C07": 364, "C08": 517,
         "C09": 16, "C10": np.nan}, nan_ok=True)
    # F, distinct orders in the window: C05's two lines are one order; C07's 2025-10-31 order
    # is on the window's open start; C08 bought only before it; C09's return is no purchase.
    assert ten["frequency"].to_dict() == {"C01": 3, "C02": 2, "C03": 1, "C04": 4, "C05": 1, "C06": 1,
                                          "C07": 1, "C08": 0, "C09": 1, "C10": 0}
    # M, net spend in the window: C01 100+200+300; C04 2000+1000+1000+1000; C05 300+200;
    # C07 only the 400 inside; C09 600-600.
    assert ten["monetary"].to_dict() == {"C01": 600, "C02": 1000, "C03": 50, "C04": 5000, "C05": 500,
                                         "C06": 800, "C07": 400, "C08": 0, "C09": 0, "C10": 0}


def test_ten_customers_lifetime_figures(ten):
    # lifetime = everything up to as-of: C03's order after as-of is ignored; C07 has 2 orders
    # (1000 before the window + 400 in it); C05's first order is both its lines (300 + 200).
    assert ten["orders"].to_dict() == {"C01": 3, "C02": 2, "C03": 1, "C04": 4, "C05": 1, "C06": 1,
                                       "C07": 2, "C08": 1, "C09": 1, "C10": 0}
    assert ten["total_spend"].to_dict() == {"C01": 600, "C02": 1000, "C03": 50, "C04": 5000, "C05": 500,
                                            "C06": 800, "C07": 1400, "C08": 900, "C09": 0, "C10": 0}
    assert ten["first_order"].to_dict() == pytest.approx(
        {"C01": 300, "C02": 500, "C03": 50, "C04": 1000, "C05": 500, "C06": 800, "C07": 1000,
         "C08": 900, "C09": 600, "C10": np.nan}, nan_ok=True)
    # repurchase rate (orders - 1) / orders: C04 3/4, C07 1/2, one-order customers 0
    assert ten.loc[["C04", "C07", "C05", "C10"], "repurchase_rate"].tolist() == [0.75, 0.5, 0, 0]


def test_ten_customers_quintile_scores_by_hand(ten):
    # score = ceil(5 × average rank / 10). R ranks -recency, C10 (never) counted as 518 days:
    # C10 1 (.1 -> 1), C08 2 (.2 -> 1), C07 3 (.3 -> 2), C06 4 (.4 -> 2), C05 5 (.5 -> 3),
    # C04 6 (.6 -> 3), C09 7 (.7 -> 4), tie C02 = C03 ranks 8, 9 -> 8.5 (.85 -> 5), C01 10 (-> 5).
    assert ten["r_score"].to_dict() == {"C01": 5, "C02": 5, "C03": 5, "C04": 3, "C05": 3, "C06": 2,
                                        "C07": 2, "C08": 1, "C09": 4, "C10": 1}
    # F: 0 × 2 ranks 1-2 -> 1.5 (.15 -> 1); 1 × 5 ranks 3-7 -> 5 (.5 -> 3); 2 -> 8 (.8 -> 4);
    # 3 -> 9 (.9 -> 5); 4 -> 10 (-> 5).
    assert ten["f_score"].to_dict() == {"C01": 5, "C02": 4, "C03": 3, "C04": 5, "C05": 3, "C06": 3,
                                        "C07": 3, "C08": 1, "C09": 3, "C10": 1}
    # M: 0 × 3 ranks 1-3 -> 2 (.2 -> 1); 50 -> 4 (2); 400 -> 5 (.5 -> 3); 500 -> 6 (3);
    # 600 -> 7 (.7 -> 4); 800 -> 8 (4); 1000 -> 9 (.9 -> 5); 5000 -> 10 (5).
    assert ten["m_score"].to_dict() == {"C01": 4, "C02": 5, "C03": 2, "C04": 5, "C05": 3, "C06": 4,
                                        "C07": 3, "C08": 1, "C09": 1, "C10": 1}
    assert ten["rfm_score"].to_dict() == {"C01": 14, "C02": 14, "C03": 10, "C04": 13, "C05": 9, "C06": 9,
                                          "C07": 8, "C08": 3, "C09": 8, "C10": 3}
    assert ten.loc["C04", "rfm_code"] == "355"


def test_heavy_ties_every_customer_scored_and_ties_share_a_score():
    # 100 customers: F = 0 for 10, 1 for 80, 2 for 5, 3 for 5; R = 1..100 days; M = 100 for all.
    frequency = [0.0] * 10 + [1.0] * 80 + [2.0] * 5 + [3.0] * 5
    rfm = pd.DataFrame({"customer_id": range(100), "recency_days": np.arange(1.0, 101.0),
                        "frequency": frequency, "monetary": 100.0})
    scored = score_rfm(rfm)
    assert scored[["r_score", "f_score", "m_score"]].notna().all().all()
    assert scored.groupby("frequency")["f_score"].nunique().eq(1).all()
    # F average ranks: 0 -> 5.5 (.055 -> 1); 1 -> 50.5 (.505 -> ceil 2.525 = 3);
    # 2 -> 93 (.93 -> 5); 3 -> 98 (.98 -> 5). The 80 one-time buyers all get 3.
    assert scored.groupby("frequency")["f_score"].first().to_dict() == {0: 1, 1: 3, 2: 5, 3: 5}
    # R has no ties: exactly 20 customers per score. M all tied: rank 50.5 -> 3 for everyone.
    assert scored["r_score"].value_counts().to_dict() == {1: 20, 2: 20, 3: 20, 4: 20, 5: 20}
    assert (scored["m_score"] == 3).all()


def test_first_order_is_the_smallest_order_id_as_text_on_the_first_day():
    # First day 2026-03-01: orders "9" and "10" (two lines); "10" < "9" as text, so the first
    # order is "10" = 20 + 5 元. A line without an order id is not an order. B's first day has
    # only a line without an id: no first order. C is not in the archive: no row.
    orders = _orders([("A", "9", "2026-03-01 09:00", 100.0), ("A", "10", "2026-03-01 09:00", 20.0),
                      ("A", "10", "2026-03-01 18:00", 5.0), ("A", None, "2026-03-01 09:00", 7.0),
                      ("A", "1", "2026-04-01 09:00", 50.0), ("B", None, "2026-05-01 09:00", 30.0),
                      ("C", "5", "2026-05-01 09:00", 30.0)])
    rfm = compute_rfm(orders, pd.DataFrame({"customer_id": ["A", "B", "D"]}), AS_OF).set_index("customer_id")
    assert rfm.loc["A", "first_order"] == 25.0
    assert rfm.loc["A", "orders"] == 3 and rfm.loc["A", "total_spend"] == 182.0
    assert np.isnan(rfm.loc["B", "first_order"]) and rfm.loc["B", "orders"] == 0
    assert rfm.index.tolist() == ["A", "B", "D"] and np.isnan(rfm.loc["D", "recency_days"])


def test_customer_with_a_single_order():
    orders = _orders([("S", "1", "2026-09-30", 6000.0)])
    rfm = score_rfm(compute_rfm(orders, pd.DataFrame({"customer_id": ["S"]}), AS_OF)).iloc[0]
    # 2026-09-30 -> 2026-10-31 is 31 days; one order, so repurchase rate 0 and first order = spend.
    assert (rfm["recency_days"], rfm["frequency"], rfm["monetary"]) == (31, 1, 6000)
    assert (rfm["orders"], rfm["repurchase_rate"], rfm["first_order"], rfm["total_spend"]) == (1, 0, 6000, 6000)
    assert rfm["tenure_days"] == 31
    # alone, every rank is 1 of 1 (pct 1.0) -> 5, 5, 5
    assert (rfm["r_score"], rfm["f_score"], rfm["m_score"], rfm["rfm_score"]) == (5, 5, 5, 15)
    # in a group: the same order is F = 1, tied with the other one-time buyer
    more = _orders([("S", "1", "2026-09-30", 6000.0), ("T", "2", "2026-10-01", 10.0),
                    ("U", "3", "2026-10-02", 10.0), ("U", "4", "2026-10-03", 10.0)])
    group = score_rfm(compute_rfm(more, pd.DataFrame({"customer_id": list("STU")}), AS_OF)).set_index("customer_id")
    # F: S, T tie at ranks 1, 2 -> 1.5 (.5 -> ceil 2.5 = 3); U rank 3 -> 5
    assert group["f_score"].to_dict() == {"S": 3, "T": 3, "U": 5}
    # a 6,000 first order with one purchase meets the 潜力客户 rule
    tiers, _ = assign_tiers(tier_features(group.reset_index(), pd.DataFrame({"customer_id": list("STU")})), RULES,
                            ROLES, **CHURN_RULE)
    assert tiers["tier"].tolist() == ["潜力客户", "普通客户", "普通客户"]


@pytest.mark.parametrize("rows", [
    # bought only before the window (2025-10-31 is its open start), or nothing at all
    [("P", "1", "2025-10-31", 100.0), ("Q", "2", "2025-06-01", 5000.0), ("R", "3", "2024-12-31", 20.0)],
    [],
], ids=["only-before-window", "no-orders"])
def test_empty_window_scores_everyone_and_nothing_raises(rows):
    customers = pd.DataFrame({"customer_id": list("PQRS")})
    rfm = score_rfm(compute_rfm(_orders(rows), customers, AS_OF)).set_index("customer_id")
    assert (rfm["frequency"] == 0).all() and (rfm["monetary"] == 0).all()
    assert not rfm["purchased_in_window"].any()
    # F and M all tied: average rank 2.5 of 4 (.625 -> ceil 3.125 = 4) for everyone
    assert (rfm["f_score"] == 4).all() and (rfm["m_score"] == 4).all()
    if rows:
        # R: 365, 517, 669 days (2024-12-31 -> 2025-12-31 365 + 304); S never bought -> 1.
        # -R ranks: S 1, R 2, Q 3, P 4 -> pct .25 .5 .75 1 -> 2, 3, 4, 5; S forced to 1.
        assert rfm["recency_days"].tolist()[:3] == [365, 517, 669]
        assert rfm["r_score"].to_dict() == {"P": 5, "Q": 4, "R": 3, "S": 1}
    else:
        assert rfm["recency_days"].isna().all() and (rfm["r_score"] == 1).all()
    frame = classify_rfm(rfm.reset_index(), "mean")
    frame["value_band"] = assign_value_bands(frame, **BANDS)
    tiers, _ = assign_tiers(tier_features(frame, customers), RULES, ROLES, **CHURN_RULE)
    labels, names, _, _ = cluster_customers(tiers, k_range=(3, 8), seed=0, extra_features=NO_EXTRAS)
    assert frame["rfm_class"].notna().all() and frame["value_band"].notna().all()
    assert not frame["f_high"].any() and not frame["m_high"].any()  # 0 is not above a mean of 0
    assert labels.notna().all() and set(labels.map(names).dropna().index) == set(labels.index)


def test_value_bands_ties_at_the_20_percent_boundaries():
    # 10 customers; a tied block goes to the band where its average rank falls.
    # Bottom: 4, 4 take ranks 2, 3 -> 2.5 (.25 > .20) -> both 中等价值, so 基础价值 is only the 3.
    # Top: 11, 11 take ranks 8, 9 -> 8.5 (.85 > .80) -> both 高价值 with the 12 (30% of customers).
    scores = pd.DataFrame({"rfm_score": [3, 4, 4, 6, 7, 8, 9, 11, 11, 12]})
    assert assign_value_bands(scores, **BANDS).tolist() == (
        ["基础价值"] + ["中等价值"] * 6 + ["高价值"] * 3)
    # Exactly on the boundary: 3, 3, 3 ranks 1-3 -> 2 (.2 ≤ .20) -> all 基础价值 (30%);
    # 10, 10, 10 ranks 7-9 -> 8 (.8, not > .80) -> 中等价值, so 高价值 is only the 13.
    scores = pd.DataFrame({"rfm_score": [3, 3, 3, 6, 7, 8, 10, 10, 10, 13]})
    assert assign_value_bands(scores, **BANDS).tolist() == (
        ["基础价值"] * 3 + ["中等价值"] * 6 + ["高价值"])


# --- small bases ------------------------------------------------------------------------------

def test_value_bands_without_spread_put_everyone_in_the_middle():
    # One customer is not in anyone's top 20%; nor is a base where every score is tied.
    assert assign_value_bands(pd.DataFrame({"rfm_score": [15]}), **BANDS).tolist() == ["中等价值"]
    assert assign_value_bands(pd.DataFrame({"rfm_score": [9, 9, 9]}), **BANDS).tolist() == ["中等价值"] * 3
    # two different scores: ranks .5 and 1.0 -> 中等, 高 (the ordinary rule)
    assert assign_value_bands(pd.DataFrame({"rfm_score": [6, 9]}), **BANDS).tolist() == ["中等价值", "高价值"]
    assert assign_value_bands(pd.DataFrame({"rfm_score": pd.Series([], dtype="int64")}), **BANDS).tolist() == []


def _rfm_points(points, repeat=1):
    rows = [p for p in points for _ in range(repeat)]
    return pd.DataFrame(rows, columns=["recency_days", "frequency", "monetary"], dtype=float)


def test_kmeans_with_fewer_distinct_points_than_k_is_one_group_and_says_so():
    # 7 customers but only 2 distinct (R, F, M): k = 3 would need at least 4 distinct points.
    rfm = _rfm_points([(10, 3, 900), (200, 1, 50)], repeat=4).iloc[:7]
    labels, names, silhouettes, centroids = cluster_customers(rfm, k_range=(3, 8), seed=0, extra_features=NO_EXTRAS)
    assert labels.tolist() == [0] * 7 and names == {0: UNCLUSTERED}
    assert silhouettes.empty
    assert silhouettes.attrs["note"] == "7 位客户只有 2 种不同的 R/F/M 组合，不多于 k 的下限 3，未做聚类：全部客户归为一类"
    # the one centroid is the mean of everyone: (4·10 + 3·200) / 7 days
    assert centroids.loc[UNCLUSTERED, "recency_days"] == pytest.approx((4 * 10 + 3 * 200) / 7)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_kmeans_with_fewer_customers_than_k_is_one_group(n):
    rfm = _rfm_points([(10, 3, 900), (200, 1, 50), (60, 2, 300)][:n])
    labels, names, silhouettes, _ = cluster_customers(rfm, k_range=(3, 8), seed=0, extra_features=NO_EXTRAS)
    assert labels.tolist() == [0] * n and names == {0: UNCLUSTERED} and silhouettes.empty
    assert silhouettes.attrs["note"].startswith(f"客户只有 {n} 位，不多于 k 的下限 3，未做聚类")


def test_kmeans_narrows_the_k_range_to_the_distinct_points():
    # 6 distinct customers: k can be 3, 4 or 5 (k < 6), not up to 8.
    rfm = _rfm_points([(5, 9, 9000), (8, 8, 8000), (100, 2, 500), (120, 1, 400), (300, 1, 50), (330, 1, 40)])
    labels, names, silhouettes, _ = cluster_customers(rfm, k_range=(3, 8), seed=0, extra_features=NO_EXTRAS)
    assert set(silhouettes.index) <= {3, 4, 5} and len(silhouettes)
    best = silhouettes.idxmax()
    assert labels.nunique() == best and UNCLUSTERED not in names.values()
    assert silhouettes.attrs["note"] == f"客户只有 6 位，k 只试了 3–5（参数范围 3–8），按轮廓系数选定 k = {best}"


def test_kmeans_note_on_the_full_range():
    rng = np.random.default_rng(1)
    rfm = _rfm_points(zip(rng.integers(1, 400, 50), rng.integers(0, 10, 50), rng.uniform(0, 9000, 50)))
    _, _, silhouettes, _ = cluster_customers(rfm, k_range=(2, 4), seed=0, extra_features=NO_EXTRAS)
    assert silhouettes.attrs["note"] == f"k 试了 2–4，按轮廓系数选定 k = {silhouettes.idxmax()}"


def test_kmeans_without_customers_returns_empty_results():
    labels, names, silhouettes, centroids = cluster_customers(_rfm_points([]), k_range=(3, 8), seed=0,
                                                              extra_features=NO_EXTRAS)
    assert labels.empty and names == {} and silhouettes.empty and centroids.empty
    assert silhouettes.attrs["note"] == "没有客户，未做聚类"


@pytest.mark.parametrize("dtype", ["string", object])
def test_industry_mean_with_an_all_blank_industry_column_uses_the_overall_mean(dtype):
    # a customers file whose 所属行业 is present but empty: no industry to average within
    rfm = pd.DataFrame({"customer_id": list("abcd"), "recency_days": [1, 2, 3, 100],
                        "frequency": [1, 1, 1, 1], "monetary": [10, 20, 30, 1000]})
    blank = pd.Series([None] * 4, dtype=dtype)
    got = classify_rfm(rfm, "industry_mean", blank)
    assert got["m_high"].tolist() == [False, False, False, True]  # overall mean M = 265, as "mean"
    assert got["rfm_class"].tolist() == classify_rfm(rfm, "mean")["rfm_class"].tolist()
    # partly blank: the blank customer is compared with the overall mean (265), the others within x
    partly = pd.Series(["x", "x", None, None], dtype=dtype)
    assert classify_rfm(rfm, "industry_mean", partly)["m_high"].tolist() == [False, True, False, True]


# --- the whole chain, tier roles from params, labels in either language -------------------------

def _random_base(n=80, seed=3):
    """``n`` customers (industry, referrals) and their orders over two years before AS_OF."""
    rng = np.random.default_rng(seed)
    ids = [f"C{i:03d}" for i in range(n)]
    rows = []
    for i, cid in enumerate(ids[:-5]):  # the last five never bought
        for j in range(rng.integers(1, 6)):
            day = AS_OF - pd.Timedelta(days=int(rng.integers(0, 700)))
            rows.append((cid, f"O{i}-{j}", day.strftime("%Y-%m-%d"), float(rng.choice([300, 3000, 30000, 150000]))))
    customers = pd.DataFrame({"customer_id": ids, "industry": rng.choice(["制造业", "批发和零售业", None], n),
                              "referrals": rng.integers(0, 3, n)})
    return _orders(rows), customers


def test_segment_customers_is_the_notebook_chain_step_by_step():
    from analysis.steps.segment import segment_customers

    orders, customers = _random_base()
    params = {**PARAMS, "rfm": {**PARAMS["rfm"], "high_low_against": "industry_mean"}}
    # the chain as notebook 03 ran it, one call per step
    rfm = score_rfm(compute_rfm(orders, customers, AS_OF, params["rfm"]["window_months"]))
    industry = rfm["customer_id"].map(customers.set_index("customer_id")["industry"])
    rfm = classify_rfm(rfm, "industry_mean", industry)
    rfm["value_band"] = assign_value_bands(rfm, **BANDS)
    expected, skipped = assign_tiers(tier_features(rfm, customers), params["tiers"]["rules"], ROLES, **CHURN_RULE)
    labels, names, silhouettes, centroids = cluster_customers(
        expected, k_range=params["kmeans"]["k_range"], seed=params["run"]["seed"],
        extra_features=params["kmeans"]["extra_features"])
    expected["cluster"] = labels
    expected["cluster_name"] = labels.map(names)

    segments, notes = segment_customers(orders, customers, AS_OF, params, ROLES)
    pd.testing.assert_frame_equal(segments, expected)
    assert notes.skipped == skipped
    assert notes.thresholds == resolve_tiers(params["tiers"], tier_features(rfm, customers))
    pd.testing.assert_series_equal(notes.silhouettes, silhouettes)
    assert notes.silhouettes.attrs["note"] == silhouettes.attrs["note"]
    pd.testing.assert_frame_equal(notes.centroids, centroids)
    assert len(segments) == len(customers) and segments["cluster_name"].notna().all()

    # without k-means (the backtest): the same table less the cluster columns
    tiers_only, quiet = segment_customers(orders, customers, AS_OF, params, ROLES, cluster=False)
    pd.testing.assert_frame_equal(tiers_only, expected.drop(columns=["cluster", "cluster_name"]))
    assert quiet.silhouettes.empty and quiet.centroids.empty and quiet.skipped == skipped


def test_tier_names_default_and_win_back_come_from_the_roles():
    from analysis.tiers import TierRoles

    rules = [{"tier": "VIP", "min_total_spend": 10000}, {"tier": "Lapsed", "min_days_since_last": 90},
             {"tier": "Rest", "min_orders": 5}]
    roles = TierRoles(order=("VIP", "Lapsed", "Rest"), default="Rest", high_value=("VIP",), win_back="Lapsed",
                      sleeping=("Rest",))
    # X: big spender 400 days away; Y: 120 days away, little spend; Z: recent, one order (no rule)
    f = _features(total_spend=[20000, 100, 100], days_since_last=[400, 120, 10], orders=[3, 1, 1])
    tiers, _ = assign_tiers(f, rules, roles, churn_days=365, churn_min_spend=2000)
    assert tiers["tier"].tolist() == ["VIP", "Lapsed", "Rest"]
    assert tiers["tier_rule"].tolist() == ["累计消费(元)≥10,000", "距最近购买天数≥90", "其余客户"]
    # X past 365 days with ≥ 2,000 元 keeps VIP and is flagged; Y is flagged for being in the win-back tier
    assert tiers["churn_risk"].tolist() == [True, True, False]
    no_win_back = TierRoles(order=roles.order, default="Rest", high_value=("VIP",), win_back=None, sleeping=())
    again, _ = assign_tiers(f, rules, no_win_back, churn_days=365, churn_min_spend=2000)
    assert again["churn_risk"].tolist() == [True, False, False]


def test_tier_summary_and_agreement_list_tiers_in_the_rules_order():
    from analysis.steps.segment import agreement, tier_summary

    segments = pd.DataFrame({
        "tier": ["普通客户", "核心客户", "普通客户", "流失预警客户", "核心客户"],
        "tier_rule": ["其余客户", "r1", "其余客户", "r3", "r1"],
        "churn_risk": [False, True, False, True, False],
        "recency_days": [10.0, 20.0, 30.0, 200.0, 40.0], "frequency": [1.0, 5.0, 1.0, 0.0, 3.0],
        "monetary": [100.0, 5000.0, 300.0, 0.0, 4600.0],
        "cluster_name": ["甲", "乙", "甲", "丙", "乙"],
    })
    table = tier_summary(segments, ROLES)
    assert list(table.index) == ["核心客户", "流失预警客户", "普通客户"] and table.index.name == "客户层级"
    assert table["客户数"].tolist() == [2, 1, 2]
    assert table["判定规则"].tolist() == ["r1", "r3", "其余客户"]
    assert table["流失风险标记"].tolist() == [1, 1, 0]
    # window spend share: 核心 9,600 of 10,000
    assert table.loc["核心客户", "窗口内消费占比"] == pytest.approx(0.96)
    crosstab, ari = agreement(segments["tier"].replace({"普通客户": "自定义"}), segments["cluster_name"], ROLES)
    assert list(crosstab.index) == ["核心客户", "流失预警客户", "自定义"]  # a tier not in the rules comes last
    assert ari == pytest.approx(1.0)  # the clusters split the customers exactly as the tiers do


def test_definitions_scores_and_formats_by_hand(five):
    from analysis.steps.segment import band_definitions, rfm_class_definitions, score_counts, summary_formats

    definitions = rfm_class_definitions()
    assert definitions["重要价值"] == "R近·F高·M高" and definitions["一般挽留"] == "R远·F低·M低"
    assert len(definitions) == 8
    assert band_definitions(0.2, 0.2) == {"高价值": "RFM总分前20%（窗口内有净消费）", "中等价值": "中间60%",
                                          "基础价值": "RFM总分后20%"}
    # five customers' scores (see test_quintile_scores_with_ties): R 5,3,2,4,1; F 5,4,2,4,2; M 4,5,2,3,2
    counts = score_counts(five)
    assert list(counts.columns) == ["R 分", "F 分", "M 分"] and counts.index.name == "分数"
    assert counts.loc[2].tolist() == [1, 2, 2] and counts.loc[4].tolist() == [1, 2, 1]
    formats = summary_formats()
    assert formats["percent"] == ["客户占比", "窗口内消费占比"] and "流失风险标记" in formats["integer"]
    # days are whole numbers, a mean count of orders keeps its decimals
    assert "平均R(天)" in formats["integer"] and formats["decimals"] == ["平均F(次)"]


def test_labels_follow_the_run_language():
    from analysis.steps.segment import band_definitions, segment_summary
    from analysis.vocab import language

    rfm = pd.DataFrame({"customer_id": range(8), "recency_days": [10, 300] * 4, "frequency": [5, 5, 1, 1] * 2,
                        "monetary": [1000] * 4 + [10] * 4, "rfm_score": [15, 9, 9, 9, 9, 9, 9, 3]})
    with language("en"):
        classes = classify_rfm(rfm, "mean")
        assert classes["rfm_class"].iloc[0] == "Key value" and classes["rfm_class"].iloc[7] == "Regular to win back"
        assert assign_value_bands(rfm, **BANDS).tolist()[::7] == ["High value", "Base value"]
        assert band_definitions(0.2, 0.2)["High value"] == "Top 20% by RFM score (with a net spend in the window)"
        table = segment_summary(classes, "rfm_class")
        assert table.index.name == "RFM class" and "Share of customers" in table.columns
        _, names, silhouettes, _ = cluster_customers(rfm.iloc[:2], k_range=(3, 8), seed=0, extra_features=())
        assert names == {0: "All customers (not clustered)"}
        assert silhouettes.attrs["note"] == ("Only 2 customers, no more than the lowest k (3): "
                                             "not clustered, all customers form one group")
        tiers, skipped = assign_tiers(_features(total_spend=[500000], referral_rate=[np.nan]), RULES, ROLES,
                                      **CHURN_RULE)
        assert tiers["tier"].tolist() == ["战略客户"]  # tier names are params, not labels
        assert tiers["tier_rule"].tolist() == ["Total spend (yuan) ≥ 500,000"]
        assert skipped == ["战略客户: the data has no “Referral rate”, so this condition was skipped"]
    assert classify_rfm(rfm, "mean")["rfm_class"].iloc[0] == "重要价值"


def test_deprecated_label_names_resolve_in_the_current_language():
    import analysis.steps.segment as segment
    from analysis.vocab import language

    assert segment.UNCLUSTERED == "全部客户（未聚类）" and segment.RFM_CLASSES[(True, True, True)] == "重要价值"
    with language("en"):
        assert segment.UNCLUSTERED == "All customers (not clustered)"
    assert not hasattr(segment, "TIER_ORDER")  # tier names come from params: analysis.tiers.tier_roles


def test_returns_above_purchases_are_kept_out_of_value_ranking():
    from analysis.steps.segment import RETURNS_CLUSTER, segment_customers, tier_summary

    # R bought 5,000 in 2024 and 3,000 six days ago, then returned 8,500: −500 to date, −5,500 in
    # the window. W bought 1,000 in 2024 and returned 400 this year: +600 to date, −400 in the window.
    orders = _orders([
        ("A", "1", "2026-10-20", 5000.0), ("A", "2", "2026-06-01", 4000.0),
        ("B", "3", "2026-09-15", 800.0),
        ("R", "4", "2024-03-01", 5000.0), ("R", "5", "2026-10-25", 3000.0), ("R", "6", "2026-10-26", -8500.0),
        ("W", "7", "2024-05-01", 1000.0), ("W", "8", "2026-05-01", -400.0),
    ])
    customers = pd.DataFrame({"customer_id": ["R", "A", "B", "W", "N"]})   # N never bought
    segments, notes = segment_customers(orders, customers, AS_OF, PARAMS, ROLES)
    got = segments.set_index("customer_id")
    assert got["total_spend"].to_dict() == {"R": -500, "A": 9000, "B": 800, "W": 600, "N": 0}
    # M floors a window's net spend at 0: R and W spent nothing in the window, like N
    assert got["monetary"].to_dict() == {"R": 0, "A": 9000, "B": 800, "W": 0, "N": 0}
    # M scores: the three zeros share ranks 1–3 (average 2, pct 0.4 → 2); 800 → 4; 9,000 → 5
    assert got["m_score"].to_dict() == {"R": 2, "A": 5, "B": 4, "W": 2, "N": 2}
    assert not got.loc["R", "m_high"] and got.loc["R", "value_band"] != "高价值"
    # Positions are taken over A, B, W (a purchase and a positive spend), not R:
    # 战略 top 1% of 3 → the top one, 9,000; 潜力 first order top 10% → 4,000 (A), not R's 5,000;
    # 流失预警 spend 25th percentile → x(⌈0.75⌉) = x(1) = 600.
    assert notes.thresholds.written("战略客户", "min_total_spend").value == 9000
    assert notes.thresholds.written("战略客户", "min_total_spend").measured == 3
    assert notes.thresholds.written("潜力客户", "min_first_order").value == 4000
    assert notes.thresholds.written("流失预警客户", "min_total_spend").value == 600
    # R would meet 潜力 (first order 5,000 ≥ 4,000, two orders) but no rule claims it
    assert got["tier"].to_dict() == {"R": "普通客户", "A": "战略客户", "B": "普通客户", "W": "流失预警客户",
                                     "N": "普通客户"}
    assert got.loc["R", "tier_rule"] == "退货大于购买（累计消费为负），不参与价值分层"
    assert got.loc["N", "tier_rule"] == "其余客户" and not got.loc["R", "churn_risk"]
    # the tier table shows the tier's own rule, not R's note, though R comes first
    assert tier_summary(segments, ROLES).loc["普通客户", "判定规则"] == "其余客户"
    # R is its own group, outside k-means; the others are clustered without it
    assert got.loc["R", "cluster"] == RETURNS_CLUSTER and got.loc["R", "cluster_name"] == "退货大于购买（未参与聚类）"
    assert (got.drop(index="R")["cluster"] >= 0).all()
    assert (notes.centroids["monetary"] >= 0).all()
