"""Step 04 — cross-sell: categories bought together and each customer's next category.

A basket is the set of categories a customer has ever bought (purchase rows only), so the
rules say "customers who buy A also buy B", not "in the same order". For every ordered pair
A → B over the customers with a basket (n):

- support    = customers with both A and B / n
- confidence = customers with both / customers with A  = P(B | A)
- lift       = confidence / P(B); above 1 means A makes B more likely than it is overall.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from analysis.text_columns import text_column
from analysis.vocab import text, texts

__all__ = ["customer_baskets", "category_rules", "recommend_next_category", "rules_display",
           "recommendations_display", "rule_labels", "recommendation_labels"]

RULE_COLUMNS = ["antecedent", "consequent", "n_antecedent", "n_consequent", "n_both", "n_customers",
                "support", "confidence", "lift"]
RECOMMENDATION_COLUMNS = ["customer_id", "next_category", "basis", "antecedent", "support", "confidence",
                          "lift", "reason"]


def rule_labels() -> dict[str, str]:
    """Rule column -> its header for people (``crosssell.rule_column.*``), in the run's language.

    Examples
    --------
    >>> rule_labels()["lift"]
    '提升度'
    """
    return texts("crosssell.rule_column")


def recommendation_labels() -> dict[str, str]:
    """Recommendation column -> its header for people (``crosssell.recommendation_column.*``)."""
    return texts("crosssell.recommendation_column")


def customer_baskets(orders: pd.DataFrame) -> pd.DataFrame:
    """Distinct (customer_id, category) pairs from purchase rows (``is_purchase``, category known)."""
    if "category" not in orders:
        return pd.DataFrame({"customer_id": pd.Series(dtype="string"), "category": pd.Series(dtype="string")})
    bought = orders["is_purchase"].fillna(False).astype(bool) & orders["category"].notna()
    pairs = orders.loc[bought, ["customer_id", "category"]].drop_duplicates()
    return pairs.astype({"customer_id": "string", "category": "string"}).reset_index(drop=True)


def _rules_from_baskets(baskets: pd.DataFrame) -> pd.DataFrame:
    """Every ordered pair A → B with its counts and measures (no filtering)."""
    customers = pd.Index(baskets["customer_id"].unique())
    categories = pd.Index(sorted(baskets["category"].unique()))
    n = len(customers)
    if n == 0 or len(categories) < 2:
        return pd.DataFrame({c: pd.Series(dtype="string" if c in ("antecedent", "consequent") else "float64")
                             for c in RULE_COLUMNS})
    # Customer × category 0/1 matrix; its Gram matrix counts customers per pair of categories.
    rows = customers.get_indexer(baskets["customer_id"])
    cols = categories.get_indexer(baskets["category"])
    matrix = sparse.csr_matrix((np.ones(len(baskets), dtype=np.int64), (rows, cols)),
                               shape=(n, len(categories)))
    both = (matrix.T @ matrix).toarray()
    single = np.diag(both).copy()
    a, b = np.nonzero(~np.eye(len(categories), dtype=bool))
    rules = pd.DataFrame({
        "antecedent": pd.array(categories[a], dtype="string"),
        "consequent": pd.array(categories[b], dtype="string"),
        "n_antecedent": single[a], "n_consequent": single[b], "n_both": both[a, b], "n_customers": n,
    })
    rules["support"] = rules["n_both"] / n
    rules["confidence"] = rules["n_both"] / rules["n_antecedent"]
    rules["lift"] = rules["confidence"] / (rules["n_consequent"] / n)
    return rules


def _sort_rules(rules: pd.DataFrame) -> pd.DataFrame:
    # Strongest first; names break ties so the order never depends on the input's order.
    return rules.sort_values(["lift", "confidence", "n_both", "antecedent", "consequent"],
                             ascending=[False, False, False, True, True], kind="mergesort").reset_index(drop=True)


def category_rules(orders: pd.DataFrame, *, min_support: float, min_confidence: float,
                   min_lift: float) -> pd.DataFrame:
    """Association rules A → B between product categories, over customers' baskets.

    Returns one row per ordered pair with support ≥ ``min_support``, confidence ≥
    ``min_confidence`` and lift ≥ ``min_lift`` (params ``crosssell``): ``antecedent`` (A),
    ``consequent`` (B), the customer counts ``n_antecedent``, ``n_consequent``, ``n_both``,
    ``n_customers`` (customers with any purchase), and ``support``, ``confidence``, ``lift``
    (shares, 0–1; lift a ratio). Sorted by lift, then confidence, then names. Column names for
    people: :func:`rules_display`.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["1", "1", "2", "2", "3", "4"],
    ...                        "category": ["设备", "耗材", "设备", "耗材", "设备", "礼品"],
    ...                        "is_purchase": True})
    >>> r = category_rules(orders, min_support=0.1, min_confidence=0.1, min_lift=1.0)
    >>> top = r.iloc[0]
    >>> print(top["antecedent"], top["consequent"], top["support"], top["confidence"], round(top["lift"], 3))
    耗材 设备 0.5 1.0 1.333
    """
    rules = _rules_from_baskets(customer_baskets(orders))
    keep = ((rules["support"] >= min_support) & (rules["confidence"] >= min_confidence)
            & (rules["lift"] >= min_lift))
    return _sort_rules(rules.loc[keep])[RULE_COLUMNS]


def recommend_next_category(orders: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """Each customer's next category: one they have not bought yet, with the reason.

    Among ``rules`` (from :func:`category_rules`) whose antecedent the customer bought and whose
    consequent they have not, the one with the highest lift × confidence wins; ties go to the
    higher confidence, then more customers with both, then the category names in sort order.
    A customer no rule applies to gets the most popular category (most customers bought it;
    ties by name) they have not bought; one who has bought every category gets none.
    Every customer in ``orders`` gets a row, also those with no purchase yet.

    Returns ``customer_id``, ``next_category``, ``basis`` (rule / popular / none),
    ``antecedent``, ``support``, ``confidence``, ``lift`` (blank unless basis is rule) and a
    ``reason`` in the run's language (``crosssell.reason.*``), e.g.
    ``购买过「设备」的客户中 42% 也购买「耗材」（提升度 1.8）``.
    """
    baskets = customer_baskets(orders)
    everyone = pd.Index(orders["customer_id"].dropna().astype("string").unique(), name="customer_id")
    n_buyers = baskets["customer_id"].nunique()
    popularity = baskets["category"].value_counts()
    popularity = popularity.rename_axis("category").reset_index(name="buyers")
    popularity = popularity.sort_values(["buyers", "category"], ascending=[False, True], kind="mergesort")

    # Rule-based: customers × rules on the antecedent, dropping consequents already bought.
    picked = pd.DataFrame(columns=["customer_id", "consequent", "antecedent", "support", "confidence", "lift"])
    if len(rules) and len(baskets):
        rule_cols = ["antecedent", "consequent", "support", "confidence", "lift", "n_both"]
        candidates = baskets.rename(columns={"category": "antecedent"}).merge(
            rules[rule_cols].astype({"antecedent": "string", "consequent": "string"}), on="antecedent")
        owned = pd.MultiIndex.from_frame(baskets)
        already = pd.MultiIndex.from_arrays([candidates["customer_id"], candidates["consequent"]]).isin(owned)
        candidates = candidates.loc[~already]
        candidates = candidates.assign(score=candidates["lift"] * candidates["confidence"])
        candidates = candidates.sort_values(
            ["customer_id", "score", "confidence", "n_both", "consequent", "antecedent"],
            ascending=[True, False, False, False, True, True], kind="mergesort")
        picked = candidates.drop_duplicates("customer_id")[picked.columns]
    picked = picked.set_index("customer_id").reindex(everyone)

    out = pd.DataFrame(index=everyone)
    out["next_category"] = picked["consequent"].astype("string")
    out["basis"] = pd.Series("rule", index=everyone, dtype="string").where(out["next_category"].notna())
    out["antecedent"] = picked["antecedent"].astype("string")
    for col in ["support", "confidence", "lift"]:
        out[col] = picked[col].astype("float64")
    has_rule = out["basis"].eq("rule").fillna(False)
    out["reason"] = pd.Series(pd.NA, index=everyone, dtype="string")
    ruled = out.loc[has_rule]
    out.loc[has_rule, "reason"] = text_column("crosssell.reason.rule", antecedent=ruled["antecedent"],
                                              consequent=ruled["next_category"], confidence=ruled["confidence"],
                                              lift=ruled["lift"])

    # Fallback: the most popular category each remaining customer has not bought. Popular
    # categories are tried in order, so only a handful of passes over the remaining ids.
    rest = everyone[~has_rule.to_numpy()]
    owned_by = baskets[baskets["customer_id"].isin(rest)]
    for category, buyers in zip(popularity["category"], popularity["buyers"]):
        if len(rest) == 0:
            break
        has_it = pd.Index(owned_by.loc[owned_by["category"] == category, "customer_id"])
        takes = rest.difference(has_it, sort=False)
        if len(takes) == 0:
            continue
        out.loc[takes, "next_category"] = category
        out.loc[takes, "basis"] = "popular"
        share = buyers / n_buyers
        out.loc[takes, "reason"] = text("crosssell.reason.popular", category=category, share=share)
        rest = rest.difference(takes, sort=False)
    if len(rest):
        out.loc[rest, "basis"] = "none"
        out.loc[rest, "reason"] = text("crosssell.reason.all_bought" if len(popularity)
                                       else "crosssell.reason.no_categories")
    return out.reset_index()[RECOMMENDATION_COLUMNS]


def rules_display(rules: pd.DataFrame) -> pd.DataFrame:
    """:func:`category_rules` with column names for people (support, confidence as shares)."""
    return rules.rename(columns=rule_labels())


def recommendations_display(recommendations: pd.DataFrame) -> pd.DataFrame:
    """:func:`recommend_next_category` with column names and basis labels for people."""
    out = recommendations.assign(basis=recommendations["basis"].map(texts("crosssell.basis")).astype("string"))
    return out.rename(columns=recommendation_labels())
