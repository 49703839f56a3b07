"""Thresholds as positions in the company's own distribution (analysis/steps/thresholds.py),
the preset, the tier-share warning and the resolved section of params_resolved.yml.

Expected values are worked out by hand on small fixtures (each test says how), or counted
from the shipped sample with plain pandas."""

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.config import DATA_RAW_DIR, PARAMS_DIR, PROJECT_ROOT
from analysis.errors import ParamsError
from analysis.params import load_yaml, resolve_params
from analysis.steps.segment import assign_tiers, segment_customers
from analysis.steps.thresholds import (
    active_rules, measured_values, position_value, resolve_thresholds, resolve_tiers, tier_share_warning,
)
from analysis.tiers import tier_roles
from analysis.vocab import language

PARAMS = load_yaml(PARAMS_DIR / "base.yml")
ROLES = tier_roles(PARAMS)
TEMPLATE = {**PARAMS, "tiers": {**PARAMS["tiers"], "preset": "template"}}
AS_OF = pd.Timestamp("2026-10-31")

# --- positions on a hand-made distribution ----------------------------------------------------
# ten values, sorted: x(1..10) = 10 20 20 30 40 50 60 70 80 1000 (20 twice)
TEN = pd.Series([70.0, 20, 1000, 10, 40, 20, 60, 30, 80, 50])


@pytest.mark.parametrize("q, expected", [
    (0.0, 10),     # k = max(1, ⌈0⌉) = 1 -> x(1)
    (0.1, 10),     # k = 1
    (0.2, 20),     # k = 2
    (0.25, 20),    # k = ⌈2.5⌉ = 3 -> x(3) = 20 (the tie)
    (0.5, 40),     # k = 5: the lower median
    (0.55, 50),    # k = ⌈5.5⌉ = 6
    (0.9, 80),     # k = 9
    (1.0, 1000),   # k = 10
])
def test_quantile_by_hand(q, expected):
    assert position_value(TEN, {"quantile": q}) == expected
    # the same as numpy's inverted empirical distribution function
    assert expected == np.quantile(TEN.to_numpy(), q, method="inverted_cdf")


@pytest.mark.parametrize("s, expected, at_or_above", [
    (0.01, 1000, 1),   # k = max(1, ⌈0.1⌉) = 1: the largest value, one customer
    (0.1, 1000, 1),    # k = 1
    (0.3, 70, 3),      # k = 3 -> x(8) = 70: 70, 80, 1000
    (0.8, 20, 9),      # k = 8 -> x(3) = 20, but x(2) = 20 too: the tie makes 9 customers, not 8
    (0.85, 20, 9),     # k = ⌈8.5⌉ = 9 -> x(2) = 20
    (1.0, 10, 10),     # k = 10 -> x(1): everyone
])
def test_top_share_by_hand_with_ties(s, expected, at_or_above):
    value = position_value(TEN, {"top_share": s})
    assert value == expected
    assert (TEN >= value).sum() == at_or_above


def test_share_times_n_is_rounded_before_the_ceiling():
    # 0.07 × 100 is 7.000000000000001 in floating point: the top 7% of 1..100 is 94 and up
    # (7 customers), not 93 and up.
    values = pd.Series(np.arange(1.0, 101.0))
    assert position_value(values, {"top_share": 0.07}) == 94
    assert position_value(values, {"quantile": 0.07}) == 7


def test_no_value_cannot_be_resolved():
    assert math.isnan(position_value(pd.Series([], dtype=float), {"quantile": 0.5}))
    assert math.isnan(position_value(pd.Series([np.nan]), {"top_share": 0.1}))


def test_only_customers_with_a_purchase_are_measured():
    # four buyers and six registered customers who never bought (spend 0)
    f = pd.DataFrame({"orders": [1, 2, 1, 3] + [0] * 6, "total_spend": [100.0, 200, 300, 400] + [0.0] * 6})
    assert measured_values(f, "total_spend").tolist() == [100, 200, 300, 400]
    # median of the buyers: k = 2 -> 200. Counting the six non-buyers, k = 5 would give 0.
    r = resolve_thresholds([{"tier": "A", "min_total_spend": {"quantile": 0.5}}, {"tier": "B"}], f,
                           churn_days=90, churn_min_spend=0, win_back=None)
    assert r.rules[0]["min_total_spend"] == 200
    assert r.written("A", "min_total_spend").measured == 4


def test_customers_whose_returns_cancel_their_purchases_are_not_measured():
    # five buyers: two whose returns exceed or equal their purchases (−98, 0), three who spent
    f = pd.DataFrame({"orders": [2, 1, 1, 3, 2], "total_spend": [-98.0, 0.0, 300, 100, 200],
                      "days_since_last": [400.0, 30, 10, 20, 200]})
    assert measured_values(f, "total_spend").tolist() == [300, 100, 200]
    assert measured_values(f, "days_since_last").tolist() == [10, 20, 200]
    # by hand over 100, 200, 300: 25th percentile x(⌈0.75⌉) = x(1) = 100 (with −98 and 0 counted,
    # n = 5 and x(⌈1.25⌉) = x(2) would be 0); top 33%: k = ⌈0.99⌉ = 1, x(3 − 1 + 1) = 300
    r = resolve_thresholds([{"tier": "A", "min_total_spend": {"top_share": 0.33}},
                            {"tier": "L", "min_total_spend": {"quantile": 0.25}}, {"tier": "B"}], f,
                           churn_days={"quantile": 0.5}, churn_min_spend=None, win_back="L")
    assert r.rules[0]["min_total_spend"] == 300 and r.rules[1]["min_total_spend"] == 100
    # median days over 10, 20, 200: x(⌈1.5⌉) = x(2) = 20
    assert r.churn_days == 20 and r.churn_min_spend == 100
    assert r.written("L", "min_total_spend").measured == 3


def test_a_rule_text_shows_the_resolved_value_and_its_position():
    from analysis.tiers import TierRoles

    roles = TierRoles(order=("A", "B"), default="B", high_value=("A",), win_back=None, sleeping=())
    f = pd.DataFrame({"orders": [1, 1, 1, 1], "total_spend": [1234.5, 99.99, 89980.85, 10.0],
                      "days_since_last": [1.0] * 4})
    # sorted 10, 99.99, 1,234.5, 89,980.85: quantile 0.5 -> k = 2 -> 99.99
    tiers, _ = assign_tiers(f, [{"tier": "A", "min_total_spend": {"quantile": 0.5}}, {"tier": "B"}], roles,
                            churn_days=90, churn_min_spend=0)
    assert tiers["tier"].tolist() == ["A", "A", "A", "B"]
    assert tiers["tier_rule"].iloc[0] == "累计消费(元)≥99.99（第50百分位）"
    tiers, _ = assign_tiers(f, [{"tier": "A", "min_total_spend": {"top_share": 0.25}}, {"tier": "B"}], roles,
                            churn_days=90, churn_min_spend=0)
    assert tiers.loc[tiers["tier"] == "A", "tier_rule"].tolist() == ["累计消费(元)≥89,980.85（前25%）"]


# --- the default rules on a hand-made base ----------------------------------------------------
# Twenty buyers and two registered customers who never bought (N1, N2). Spend, sorted:
# 100, 200, …, 1900 (19 values) and 10,000. The default rules resolve to:
#   战略  min_total_spend top 1%: k = ⌈0.2⌉ = 1 -> 10,000; referral ≥ 0.9
#   核心  min_total_spend top 10%: k = 2 -> 1,900; repurchase ≥ 0.7
#   流失预警 days ≥ 90, min_total_spend quantile 0.25: k = 5 -> 500
#   潜力  first order top 10%: first orders 3,000, 2,500, 1,700, 1,000, … -> k = 2 -> 2,500; 1–2 orders
# (with N1, N2 measured too, n = 22 and the 25% quantile would be x(6) = 400, moving B06 to 流失预警)
ROWS = [  # id, spend, referral, orders, repurchase, days, first order
    ("B01", 10000, 1, 10, 0.9, 5, 1000),     # 战略
    ("B02", 1900, 0, 4, 0.75, 120, 500),     # 核心, and lapsed: keeps its tier with a churn flag
    ("B03", 1800, 0, 4, 0.75, 5, 500),       # below 1,900 -> 普通
    ("B04", 1700, 0, 1, 0.0, 200, 1700),     # 流失预警
    ("B05", 500, 0, 1, 0.0, 90, 500),        # 流失预警: exactly 90 days and exactly 500
    ("B06", 400, 0, 1, 0.0, 200, 400),       # lapsed but below 500 -> 普通
    ("B07", 1600, 0, 2, 0.5, 10, 3000),      # 潜力
    ("B08", 1500, 0, 3, 0.67, 10, 2500),     # big first order but 3 orders -> 普通
] + [(f"B{i:02d}", 100 * s, 0, 1, 0.0, 30, 100) for i, s in zip(range(9, 21), [1, 2, 3, *range(6, 15)])]
EXPECTED = {"B01": "战略客户", "B02": "核心客户", "B04": "流失预警客户", "B05": "流失预警客户", "B07": "潜力客户"}


def _hand_base():
    f = pd.DataFrame(ROWS, columns=["customer_id", "total_spend", "referral_rate", "orders", "repurchase_rate",
                                    "days_since_last", "first_order"])
    never = pd.DataFrame({"customer_id": ["N1", "N2"], "total_spend": 0.0, "referral_rate": 0.0, "orders": 0.0,
                          "repurchase_rate": 0.0, "days_since_last": np.nan, "first_order": np.nan})
    return pd.concat([f, never], ignore_index=True).astype({c: float for c in f.columns[1:]})


def test_hand_base_spend_is_as_described():
    spend = sorted(_hand_base().query("orders > 0")["total_spend"])
    assert spend == [100.0 * i for i in range(1, 20)] + [10000.0]


def test_default_rules_on_a_hand_made_base():
    f = _hand_base()
    tiers, skipped = assign_tiers(f, PARAMS["tiers"]["rules"], ROLES, churn_days=PARAMS["tiers"]["churn_days"],
                                  churn_min_spend=PARAMS["tiers"]["churn_min_spend"])
    got = tiers.set_index("customer_id")["tier"].to_dict()
    assert got == {cid: EXPECTED.get(cid, "普通客户") for cid in f["customer_id"]}
    assert skipped == []
    by_id = tiers.set_index("customer_id")
    assert by_id.loc["B01", "tier_rule"] == "累计消费(元)≥10,000（前1%），推荐率≥0.9"
    assert by_id.loc["B05", "tier_rule"] == "距最近购买天数≥90，累计消费(元)≥500（第25百分位）"
    # churn flag: ≥ 90 days and spend ≥ the 流失预警 floor (500, churn_min_spend: null)
    assert sorted(by_id.index[by_id["churn_risk"]]) == ["B02", "B04", "B05"]


def test_resolved_table_and_params_of_the_hand_made_base():
    r = resolve_tiers(PARAMS["tiers"], _hand_base())
    assert [rule.get("min_total_spend") for rule in r.rules] == [10000, 1900, 500, None, None]
    assert r.rules[3]["min_first_order"] == 2500 and (r.churn_days, r.churn_min_spend) == (90, 500)
    table = r.table()
    assert list(table.columns) == ["层级", "条件", "参数写法", "本次取值", "依据"]
    assert table.iloc[0].tolist() == ["战略客户", "累计消费(元) ≥", "前1%", "10,000.00 元", "20 位有购买且累计消费为正的客户"]
    assert table.iloc[1].tolist() == ["战略客户", "推荐率 ≥", "0.9", "0.90", "按参数数值"]
    assert table.iloc[-1].tolist() == ["流失风险标记", "累计消费(元) ≥", "同「流失预警客户」的消费下限", "500.00 元",
                                       "20 位有购买且累计消费为正的客户"]
    assert table.iloc[-2].tolist() == ["流失风险标记", "距最近购买天数 ≥", "90", "90 天", "按参数数值"]
    assert r.as_params()["rules"][0] == {"tier": "战略客户", "min_total_spend": 10000, "min_referral_rate": 0.9}
    with language("en"):
        assert r.table().iloc[0].tolist() == ["战略客户", "Total spend (yuan) ≥", "top 1%", "10,000.00 yuan",
                                              "20 customers with a purchase and a positive spend"]


def test_missing_feature_is_skipped_and_no_buyer_leaves_positions_unresolved():
    f = _hand_base().drop(columns=["referral_rate"])
    r = resolve_tiers(PARAMS["tiers"], f)
    assert r.written("战略客户", "min_referral_rate").skipped
    # without referrals, 战略 is the top 1% by spend alone
    tiers, skipped = assign_tiers(f, PARAMS["tiers"]["rules"], ROLES, churn_days=90, churn_min_spend=None)
    assert tiers.loc[tiers["tier"] == "战略客户", "customer_id"].tolist() == ["B01"]
    assert skipped == ["战略客户: 数据中没有「推荐率」，该条件已跳过"]
    nobody = _hand_base().query("orders == 0")
    r = resolve_tiers(PARAMS["tiers"], nobody)
    assert math.isnan(r.rules[0]["min_total_spend"]) and math.isnan(r.churn_min_spend)
    assert r.table().iloc[0]["本次取值"] == "—（没有累计消费为正的客户，无法换算）"
    tiers, _ = assign_tiers(nobody, PARAMS["tiers"]["rules"], ROLES, churn_days=90, churn_min_spend=None)
    assert (tiers["tier"] == "普通客户").all() and not tiers["churn_risk"].any()


def test_churn_floor_null_without_a_win_back_spend_floor_is_zero():
    rules = [{"tier": "Lapsed", "min_days_since_last": 90}, {"tier": "Rest"}]
    r = resolve_thresholds(rules, _hand_base(), churn_days=90, churn_min_spend=None, win_back="Lapsed")
    assert r.churn_min_spend == 0
    assert r.table().iloc[-1]["参数写法"] == "不设消费下限"


# --- the preset -------------------------------------------------------------------------------

def test_preset_template_is_the_source_templates_rules():
    # written out by hand from the template (SPEC §8): 50万 / 10万 / 2,000 / 5,000 元
    assert active_rules(TEMPLATE["tiers"]) == [
        {"tier": "战略客户", "min_total_spend": 500000, "min_referral_rate": 0.9},
        {"tier": "核心客户", "min_total_spend": 100000, "max_total_spend": 500000, "min_repurchase_rate": 0.7},
        {"tier": "流失预警客户", "min_days_since_last": 90, "min_total_spend": 2000},
        {"tier": "潜力客户", "min_first_order": 5000, "min_orders": 1, "max_orders": 2},
        {"tier": "普通客户"},
    ]
    assert active_rules(PARAMS["tiers"]) is PARAMS["tiers"]["rules"]   # preset: none
    # the churn flag follows the 流失预警 rule's floor: 2,000 元 under the template
    assert resolve_tiers(TEMPLATE["tiers"], _hand_base()).churn_min_spend == 2000


def test_preset_is_one_line_away_and_checked(tmp_path):
    resolved = resolve_params("2026-10", None, ["tiers.preset=template"])
    assert active_rules(resolved["tiers"])[0]["min_total_spend"] == 500000
    with pytest.raises(ParamsError, match=r"tiers.preset 应为 none 或 tiers.presets 中的一项（template），收到 fitted"):
        resolve_params("2026-10", None, ["tiers.preset=fitted"])
    mine = tmp_path / "mine.yml"
    mine.write_text("tiers:\n  preset: template\n  rules:\n    - {tier: 战略客户, min_total_spend: 100}\n"
                    "    - {tier: 普通客户}\n  display_order: [战略客户, 普通客户]\n"
                    "  roles: {high_value: [战略客户], win_back: null, sleeping: [普通客户]}\n", encoding="utf-8")
    with pytest.raises(ParamsError, match="预设 template 的层级（战略客户、核心客户、流失预警客户、潜力客户、普通客户）"
                                          "与 tiers.rules 的层级（战略客户、普通客户）不一致"):
        resolve_params("2026-10", mine)


@pytest.mark.parametrize("assignment, message", [
    ("tiers.churn_min_spend={top_share: 0}", "top_share 应大于 0 且不超过 1（0）"),
    ("tiers.churn_min_spend={share: 0.1}", "应为数字，或 {quantile: 0–1} / {top_share: 0–1}"),
    ("tiers.rules=[{tier: 战略客户, min_total_spend: {quantile: 1.5}}, {tier: 普通客户}]",
     "「tiers.rules.0」「min_total_spend」的 quantile 应在 0–1 之间（1.5）"),
    ("tiers.rules=[{tier: 战略客户, min_total_spend: {quantile: 0.9, top_share: 0.1}}, {tier: 普通客户}]",
     "「min_total_spend」应为数字"),
])
def test_bad_positions_are_rejected_naming_the_key(assignment, message):
    with pytest.raises(ParamsError) as err:
        resolve_params("2026-10", None, [assignment])
    assert message in str(err.value)


def test_positions_and_numbers_are_accepted():
    from analysis.params_schema import validate_params

    for assignment in ["tiers.churn_min_spend={quantile: 0.3}", "tiers.churn_min_spend=2000"]:
        resolve_params("2026-10", None, [assignment])
    resolved = resolve_params("2026-10")
    resolved["tiers"]["rules"][0]["min_orders"] = {"top_share": 0.05}
    resolved["tiers"]["churn_days"] = {"quantile": 0.8}
    validate_params(resolved)


# --- the tier-share warning -------------------------------------------------------------------

def test_warning_sentence():
    order, top = ["Top", "Core", "Lapsed", "Rest"], ["Top", "Core"]
    crowded = pd.DataFrame({"tier": ["Rest"] * 8 + ["Top", "Core"]})
    assert tier_share_warning(crowded, order, top, 0.75) == (
        "层级分布需要留意：Rest 占全部客户的 80.0%（超过 75%）。可在参数文件中调整分层门槛，或改用模板的固定金额。")
    # 80% is not above 0.8: nothing to say
    assert tier_share_warning(crowded, order, top, 0.8) == ""
    both = pd.DataFrame({"tier": ["Rest"] * 9 + ["Lapsed"]})
    assert tier_share_warning(both, order, top, 0.75) == (
        "层级分布需要留意：Rest 占全部客户的 90.0%（超过 75%）；Top、Core 没有客户。"
        "可在参数文件中调整分层门槛，或改用模板的固定金额。")
    with language("en"):
        assert tier_share_warning(both, order, top, 0.75) == (
            "The tiers need a look: Rest holds 90.0% of all customers (more than 75%); Top, Core has no customer. "
            "Other thresholds, or the template's fixed amounts, may fit better (in the settings file).")
    assert tier_share_warning(pd.DataFrame({"tier": []}), order, top, 0.75) == ""


# --- the shipped sample and the same base with every amount × 0.01 ----------------------------

@pytest.fixture(scope="module")
def sample():
    from analysis.intake.read import load_raw_data
    from analysis.steps.clean import clean_all

    raw = load_raw_data(DATA_RAW_DIR)
    result = clean_all(raw.tables, AS_OF, PARAMS["cleaning"], raw.sources)
    scaled = result.orders.copy()
    scaled["amount"] = scaled["amount"] * 0.01
    scaled["net_amount"] = scaled["net_amount"] * 0.01
    return result.orders, scaled, result.customers


def _shares(orders, customers, params):
    segments, notes = segment_customers(orders, customers, AS_OF, params, ROLES, cluster=False)
    return segments["tier"].value_counts(normalize=True).reindex(ROLES.order, fill_value=0.0), notes, segments


# Tolerance for "comparable": 0.5 percentage point per tier (15 of the sample's 3,000 customers).
# A position is a value some customer has, and × 0.01 keeps every customer's order, so the tiers
# should come out the same; only floating point can differ — Σ 0.01·a is not bit-for-bit
# 0.01·Σ a — which can reorder or tie customers whose totals agree to ~12 digits. That moves a
# handful of customers at most, never a share of the base; the template moves a third of it.
TOLERANCE = 0.005


def test_default_tiers_keep_their_shares_when_money_is_scaled(sample):
    orders, scaled, customers = sample
    base, notes, segments = _shares(orders, customers, PARAMS)
    small, small_notes, _ = _shares(scaled, customers, PARAMS)
    assert (base - small).abs().max() <= TOLERANCE, pd.DataFrame({"sample": base, "x0.01": small})
    # money thresholds scale by 0.01; days, orders and rates stay as they are
    for big, tiny in zip(notes.thresholds.thresholds, small_notes.thresholds.thresholds):
        factor = 0.01 if big.feature in ("total_spend", "first_order") else 1
        assert tiny.value == pytest.approx(big.value * factor, rel=1e-9), big.key
    # the template's 元 amounts do not travel: the catch-all goes from ~63% to nearly everyone
    template, _, _ = _shares(orders, customers, TEMPLATE)
    template_small, _, _ = _shares(scaled, customers, TEMPLATE)
    assert template["普通客户"] < 0.7 and template_small["普通客户"] > 0.99
    assert (template - template_small).abs().max() > 0.3


def test_default_tiers_on_the_sample_keep_the_templates_meaning(sample):
    orders, _, customers = sample
    shares, notes, segments = _shares(orders, customers, PARAMS)
    buyers = segments[segments["orders"] > 0]
    # the top 1% of buyers by spend, counted with plain pandas: the 战略 threshold
    k = math.ceil(0.01 * len(buyers))
    assert notes.thresholds.rules[0]["min_total_spend"] == buyers["total_spend"].nlargest(k).iloc[-1]
    # a handful of 战略 (no more than the top 1% and its ties), a small core, some 潜力 and
    # lapsed customers warned; no tier crowds out the others, so notebook 03 has nothing to say
    n = len(segments)
    counts = segments["tier"].value_counts()
    assert 0 < counts["战略客户"] <= (buyers["total_spend"] >= notes.thresholds.rules[0]["min_total_spend"]).sum()
    assert 0 < shares["核心客户"] <= 0.10 * len(buyers) / n + 1e-9
    assert shares["潜力客户"] > 0 and shares["流失预警客户"] > 0.05
    assert tier_share_warning(segments, ROLES.order, ROLES.high_value, PARAMS["tiers"]["max_share_warning"]) == ""


# --- a CDNOW-like base: tens of dollars per order, mostly one-time buyers ---------------------

def _cdnow_like():
    """Orders rebuilt from the CDNOW calibration summary (tests/fixtures): a first purchase T
    weeks before 1998-06-30, then x repeats evenly up to week t_x, each of zbar dollars; first
    purchases of 12–80 in turn (the summary does not give them)."""
    summary = pd.read_csv(PROJECT_ROOT / "tests" / "fixtures" / "cdnow_customers_summary_with_transactions.csv")
    end, firsts, rows = pd.Timestamp("1998-06-30"), [12.0, 18.0, 25.0, 35.0, 50.0, 80.0], []
    for i, (cid, x, t_x, weeks, zbar) in enumerate(summary[["ID", "x", "t_x", "T", "zbar"]].itertuples(index=False)):
        start = end - pd.Timedelta(days=round(7 * weeks))
        rows.append((str(cid), f"{cid}-0", start, firsts[i % len(firsts)]))
        rows += [(str(cid), f"{cid}-{j}", start + pd.Timedelta(days=round(7 * t_x * j / x)), zbar)
                 for j in range(1, int(x) + 1)]
    orders = pd.DataFrame(rows, columns=["customer_id", "order_id", "order_date", "amount"])
    orders["net_amount"], orders["is_purchase"] = orders["amount"], True
    return orders, pd.DataFrame({"customer_id": summary["ID"].astype(str)}), end


def _segments_at(orders, customers, as_of, params):
    segments, notes = segment_customers(orders, customers, as_of, params, ROLES, cluster=False)
    return segments["tier"].value_counts(normalize=True).reindex(ROLES.order, fill_value=0.0), notes, segments


def test_cdnow_like_base_is_no_longer_all_in_the_catch_all_tier():
    orders, customers, end = _cdnow_like()
    limit = PARAMS["tiers"]["max_share_warning"]
    template, _, old = _segments_at(orders, customers, end, TEMPLATE)
    fitted, notes, segments = _segments_at(orders, customers, end, PARAMS)
    assert template["普通客户"] > 0.99                     # the finding: everyone 普通客户
    # … and notebook 03 now says so (2,356 of 2,357: one customer spent more than 2,000 dollars)
    spend = orders.groupby("customer_id")["amount"].sum()
    assert (spend >= 2000).sum() == 1 and (old["tier"] == "普通客户").sum() == 2356
    assert tier_share_warning(old, ROLES.order, ROLES.high_value, limit) == (
        "层级分布需要留意：普通客户 占全部客户的 100.0%（超过 75%）；战略客户、核心客户 没有客户。"
        "可在参数文件中调整分层门槛，或改用模板的固定金额。")
    assert fitted["普通客户"] < 0.5 and (fitted > 0).all()   # every tier has customers
    assert 0 < notes.thresholds.rules[0]["min_total_spend"] < 2000   # dollars, not 50万
    assert tier_share_warning(segments, ROLES.order, ROLES.high_value, limit) == ""


# --- params_resolved.yml ----------------------------------------------------------------------

def test_resolved_thresholds_are_appended_to_params_resolved(tmp_path):
    from analysis.outputs.resolved import append_resolved_thresholds

    path = tmp_path / "params_resolved.yml"
    assert not append_resolved_thresholds(path, resolve_tiers(PARAMS["tiers"], _hand_base()))
    assert not path.exists()   # a notebook run alone: the runner's file is not there, nothing is made
    path.write_text("# 本次运行使用的完整参数\nmonth: 2026-10\ntiers:\n  preset: none\n", encoding="utf-8")
    r = resolve_tiers(PARAMS["tiers"], _hand_base())
    assert append_resolved_thresholds(path, r)
    assert append_resolved_thresholds(path, r)    # a re-run replaces the section, never doubles it
    written = path.read_text(encoding="utf-8")
    assert written.startswith("# 本次运行使用的完整参数\nmonth: 2026-10\n")
    assert written.count("resolved_thresholds:") == 1 and written.count("\n# ") == 1
    data = yaml.safe_load(written)
    assert data["month"] == "2026-10" and data["tiers"] == {"preset": "none"}
    section = data["resolved_thresholds"]
    assert section["rules"][0] == {"tier": "战略客户", "min_total_spend": 10000, "min_referral_rate": 0.9}
    assert section["rules"][2] == {"tier": "流失预警客户", "min_days_since_last": 90, "min_total_spend": 500}
    assert (section["churn_days"], section["churn_min_spend"]) == (90, 500)
