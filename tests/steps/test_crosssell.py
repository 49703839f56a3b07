"""Category association rules and next-category recommendations (analysis/steps/crosssell.py)."""

import pandas as pd
import pytest
import yaml

from analysis.config import PARAMS_DIR
from analysis.steps.crosssell import (category_rules, customer_baskets, recommend_next_category,
                                      recommendation_labels, recommendations_display, rule_labels,
                                      rules_display)
from analysis.vocab import language

# The thresholds of params/base.yml (crosssell), for tests that do not set their own.
BASE = yaml.safe_load((PARAMS_DIR / "base.yml").read_text(encoding="utf-8"))["crosssell"]

# Ten customers' baskets (设备 E, 耗材 C, 礼品 G, 软件 S):
#   c01 E C | c02 E C | c03 E C S | c04 E | c05 C | c06 G | c07 G S | c08 G | c09 S | c10 E C G
# Buyers: E 5, C 5, G 4, S 3 of n = 10.
BASKETS = {"c01": ["设备", "耗材"], "c02": ["设备", "耗材"], "c03": ["设备", "耗材", "软件"], "c04": ["设备"],
           "c05": ["耗材"], "c06": ["礼品"], "c07": ["礼品", "软件"], "c08": ["礼品"], "c09": ["软件"],
           "c10": ["设备", "耗材", "礼品"]}


def _orders(baskets=BASKETS, repeat=2):
    rows = [(c, cat) for c, cats in baskets.items() for cat in cats for _ in range(repeat)]
    orders = pd.DataFrame(rows, columns=["customer_id", "category"])
    orders["is_purchase"] = True
    # A cancelled order and a row without a category must not count as bought.
    extra = pd.DataFrame({"customer_id": ["c04", "c06"], "category": ["软件", None], "is_purchase": [False, True]})
    return pd.concat([orders, extra], ignore_index=True)


def test_all_pairs_by_hand():
    rules = category_rules(_orders(), min_support=0, min_confidence=0, min_lift=0).set_index(
        ["antecedent", "consequent"])
    assert len(rules) == 12                                   # 4 × 3 ordered pairs
    # E & C: c01 c02 c03 c10 -> support 4/10; conf(E->C) = 4/5; lift = 0.8 / (5/10) = 1.6
    ec = rules.loc[("设备", "耗材")]
    assert (ec["n_antecedent"], ec["n_consequent"], ec["n_both"], ec["n_customers"]) == (5, 5, 4, 10)
    assert (ec["support"], ec["confidence"], ec["lift"]) == pytest.approx((0.4, 0.8, 1.6))
    # G -> S: c07 only -> support 0.1; conf 1/4; lift 0.25 / 0.3
    assert tuple(rules.loc[("礼品", "软件"), ["support", "confidence", "lift"]]) == pytest.approx(
        (0.1, 0.25, 0.25 / 0.3))
    # S -> G: conf 1/3; lift (1/3) / 0.4
    assert tuple(rules.loc[("软件", "礼品"), ["confidence", "lift"]]) == pytest.approx((1 / 3, (1 / 3) / 0.4))
    # E -> S: c03 -> conf 1/5 (the cancelled 软件 order of c04 does not count)
    assert rules.loc[("设备", "软件"), "n_both"] == 1


def test_thresholds_filter_and_ties_sort_by_name():
    rules = category_rules(_orders(), min_support=0.2, min_confidence=0.2, min_lift=1.2)
    # Only E<->C pass (support 0.4, lift 1.6); equal on every measure, so by name (耗 < 设).
    assert rules[["antecedent", "consequent"]].values.tolist() == [["耗材", "设备"], ["设备", "耗材"]]
    assert category_rules(_orders(), min_support=0.2, min_confidence=0.2, min_lift=1.7).empty
    assert category_rules(_orders(), min_support=0.5, min_confidence=0, min_lift=0).empty
    assert "提升度" in rules_display(rules).columns


def test_recommendations_follow_rules_and_skip_bought_categories():
    orders = _orders()
    rules = category_rules(orders, min_support=0.2, min_confidence=0.2, min_lift=1.2)
    got = recommend_next_category(orders, rules).set_index("customer_id")
    assert got.loc["c04", "next_category"] == "耗材" and got.loc["c04", "basis"] == "rule"
    assert got.loc["c04", "reason"] == "购买过「设备」的客户中 80% 也购买「耗材」（提升度 1.6）"
    assert got.loc["c05", "next_category"] == "设备" and got.loc["c05", "antecedent"] == "耗材"
    # c01 has both E and C: no rule applies; the most popular unbought is 礼品 (4 buyers).
    assert got.loc["c01", ["next_category", "basis"]].tolist() == ["礼品", "popular"]
    assert got.loc["c01", "reason"] == "暂无适用的关联规则，推荐尚未购买的最热销品类「礼品」（40% 的客户购买过）"
    # c06 (礼品): E and C both have 5 buyers -> the name decides (耗材).
    assert got.loc["c06", "next_category"] == "耗材"
    assert got.loc["c10", "next_category"] == "软件"
    bought = customer_baskets(orders)
    pairs = set(zip(bought["customer_id"], bought["category"]))
    assert not any((c, n) in pairs for c, n in zip(got.index, got["next_category"]))
    assert len(got) == 10 and got["next_category"].notna().all()
    assert recommendations_display(got.reset_index())["依据"].tolist().count("关联规则") == 2


def test_equal_rules_break_ties_deterministically():
    # A->X and B->Y have the same confidence (2/3) and lift (5/3); c5 bought A and B.
    baskets = {"c1": ["A", "X"], "c2": ["A", "X"], "c3": ["B", "Y"], "c4": ["B", "Y"], "c5": ["A", "B"]}
    orders = _orders(baskets, repeat=1).iloc[:-2]
    rules = category_rules(orders, min_support=0.2, min_confidence=0.5, min_lift=1.2)
    assert rules.set_index(["antecedent", "consequent"]).loc[("A", "X"), "lift"] == pytest.approx(5 / 3)
    first = recommend_next_category(orders, rules)
    shuffled = recommend_next_category(orders.sample(frac=1, random_state=3), rules.iloc[::-1])
    pick = first.set_index("customer_id").loc["c5"]
    assert (pick["next_category"], pick["antecedent"]) == ("X", "A")
    assert shuffled.set_index("customer_id").loc["c5", "next_category"] == "X"


def test_customer_with_everything_or_nothing():
    orders = pd.DataFrame({"customer_id": ["a", "a", "b", "z"], "category": ["设备", "耗材", "设备", "耗材"],
                           "is_purchase": [True, True, True, False]})
    got = recommend_next_category(orders, category_rules(orders, **BASE)).set_index("customer_id")
    assert got.loc["a", "basis"] == "none" and pd.isna(got.loc["a", "next_category"])
    assert got.loc["a", "reason"] == "已购买全部品类，暂无可推荐的新品类"
    # z only has a cancelled order: the most popular category (设备, 2 of 2 buyers).
    assert got.loc["z", ["next_category", "basis"]].tolist() == ["设备", "popular"]
    assert got.loc["b", "next_category"] == "耗材"


def test_no_categories_at_all():
    orders = pd.DataFrame({"customer_id": ["a"], "is_purchase": [True]})
    assert category_rules(orders, **BASE).empty
    got = recommend_next_category(orders, category_rules(orders, **BASE))
    assert got["basis"].tolist() == ["none"] and got["reason"].iloc[0] == "没有带品类的购买记录，无法推荐"


def test_labels_and_reasons_follow_the_run_language():
    orders = _orders()
    rules = category_rules(orders, min_support=0.2, min_confidence=0.2, min_lift=1.2)
    assert rule_labels()["support"] == "支持度" and set(rule_labels()) == set(rules.columns)
    assert set(recommendation_labels()) == set(recommend_next_category(orders, rules).columns)
    with language("en"):
        got = recommend_next_category(orders, rules).set_index("customer_id")
        assert got.loc["c04", "reason"] == '80% of customers who bought "设备" also bought "耗材" (lift 1.6)'
        assert got.loc["c01", "reason"].startswith('No rule applies: "礼品"')
        shown = recommendations_display(got.reset_index())
        assert "Lift" in rules_display(rules).columns and "Recommended category" in shown.columns
        assert shown["Basis"].tolist().count("Association rule") == 2
