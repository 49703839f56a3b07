"""Crosstab tests, insights and the churn rule (analysis/steps/cross.py)."""

import math

import pandas as pd
import pytest

from analysis.config import PARAMS_DIR
from analysis.params import load_yaml
from analysis.steps.cross import business_findings, crosstab_insight, crosstab_test, group_name
from analysis.tiers import tier_roles

PARAMS = load_yaml(PARAMS_DIR / "base.yml")
ROLES = tier_roles(PARAMS)
# params/base.yml cross: p < 0.05, Cramér's V ≥ 0.10, ε² ≥ 0.01, lift ≥ 1.2, groups of ≥ 20, 12 sentences
CROSS = PARAMS["cross"]
CROSSTAB = {k: CROSS[k] for k in ("alpha", "min_cramers_v", "min_lift", "min_count")}
NUMERIC = {k: CROSS[k] for k in ("alpha", "min_epsilon_squared", "min_lift", "min_count")}


def _pairs(counts):
    rows, cols = [], []
    for (r, c), n in counts.items():
        rows += [r] * n
        cols += [c] * n
    return pd.Series(rows), pd.Series(cols)


def test_chi_square_and_cramers_v_by_hand():
    # 2x2: 高价值 30 线下 / 10 线上; 普通 20 线下 / 40 线上; n = 100.
    # Expected: rows 40/60, cols 50/50 -> E = 20,20,30,30.
    # chi2 = (10²/20)·2 + (10²/30)·2 = 10 + 6.667 = 16.667; V = sqrt(16.667/100) = 0.408
    rows, cols = _pairs({("高价值", "线下"): 30, ("高价值", "线上"): 10, ("普通", "线下"): 20, ("普通", "线上"): 40})
    result = crosstab_test(rows, cols)
    assert result.chi2 == pytest.approx(50 / 3, rel=1e-9)
    assert result.dof == 1
    assert result.cramers_v == pytest.approx(math.sqrt(1 / 6), rel=1e-9)
    assert result.p_value < 0.001
    lines = crosstab_insight(result, "客户", "渠道", **{**CROSSTAB, "min_count": 10})
    # 高价值: 75% 线下 vs 50% overall (lift 1.5); 普通: 66.7% 线上 vs 50% (lift 1.33)
    assert len(lines) == 2
    assert any(line.startswith("高价值客户中75.0%为渠道「线下」（全体为50.0%") for line in lines)
    assert any(line.startswith("普通客户中66.7%为渠道「线上」") for line in lines)


def test_insight_suppressed_when_not_significant():
    # 11/9 vs 9/11: chi2 = 0.4, p ≈ 0.53
    rows, cols = _pairs({("A", "x"): 11, ("A", "y"): 9, ("B", "x"): 9, ("B", "y"): 11})
    result = crosstab_test(rows, cols)
    assert result.chi2 == pytest.approx(0.4)
    assert result.p_value > 0.05
    assert crosstab_insight(result, "", "渠道", **{**CROSSTAB, "min_count": 1}) == []


def test_insight_suppressed_when_effect_trivial():
    # Significant with a big n but V below the threshold.
    rows, cols = _pairs({("A", "x"): 5200, ("A", "y"): 4800, ("B", "x"): 4800, ("B", "y"): 5200})
    result = crosstab_test(rows, cols)
    assert result.p_value < 0.05 and result.cramers_v < 0.1
    assert crosstab_insight(result, "", "渠道", **CROSSTAB) == []


def test_single_column_has_no_test():
    result = crosstab_test(pd.Series(["a", "b"]), pd.Series(["x", "x"]))
    assert (result.chi2, result.p_value, result.cramers_v) == (0.0, 1.0, 0.0)


def test_churn_rule_boundaries():
    from analysis.steps.churn import churn_warnings

    features = pd.DataFrame({"customer_id": list("abcd"), "days_since_last": [90, 89, 200, None],
                             "total_spend": [2000, 5000, 1999, 9000]})
    # the template preset's rule (90 days, 2,000 元), as resolved thresholds; no model: the rule alone
    got = churn_warnings(features, days=90, min_spend=2000.0,
                         p_alive_threshold=PARAMS["churn"]["p_alive_threshold"])
    assert got["churn_warning"].tolist() == [True, False, False, False]
    assert got["warning_reason"].iloc[0] == "90天未购买，历史消费2,000元"


# ---------------------------------------------------------------- interaction features

from analysis.steps.cross import (churn_reasons, churn_reasons_display, cross_analyse, cross_specs,  # noqa: E402
                            interaction_features, numeric_insight, numeric_test)


def _log(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date", "kind", "event"]).assign(
        date=lambda f: pd.to_datetime(f["date"]))


def test_interaction_features_counts_window_and_rates():
    as_of = pd.Timestamp("2026-10-31")
    log = _log([
        ("C1", "2026-10-31", "投诉", None), ("C1", "2026-01-01", "投诉", None),
        ("C1", "2025-10-31", "投诉", None),          # 365 days back: outside (window is (as_of-365, as_of])
        ("C1", "2026-05-01", "咨询", None), ("C1", "2026-05-01", "活动参与", None),
        ("C1", "2026-05-01", "浏览", None), ("C1", "2026-05-01", "浏览", None),
        ("C1", "2026-06-01", "消息", "sent"), ("C1", "2026-07-01", "消息", "sent"),
        ("C1", "2026-07-01", "消息", "sent"), ("C1", "2026-07-01", "消息", "sent"),
        ("C1", "2026-06-02", "消息", "opened"), ("C1", "2026-06-02", "消息", "clicked"),
        ("C2", "2026-09-01", "咨询", None), ("C2", "2026-09-01", "其他", None),
        ("C3", "2026-09-01", "消息", "opened"),    # an open without a logged send: no rate
    ])
    got = interaction_features(log, as_of).set_index("customer_id")
    assert got.loc["C1", ["inquiries", "complaints", "events", "page_views", "messages_sent", "opened",
                          "clicked"]].tolist() == [1, 2, 1, 2, 4, 1, 1]
    assert got.loc["C1", "open_rate"] == pytest.approx(0.25)
    assert got.loc["C1", "click_rate"] == pytest.approx(0.25)
    assert got.loc["C2", ["inquiries", "complaints", "messages_sent"]].tolist() == [1, 0, 0]
    assert math.isnan(got.loc["C2", "open_rate"]) and math.isnan(got.loc["C3", "open_rate"])
    shorter = interaction_features(log, as_of, window_days=90).set_index("customer_id")
    assert shorter.loc["C1", "complaints"] == 1


def test_interaction_features_cover_every_customer_with_owner():
    customers = pd.DataFrame({"customer_id": ["C1", "C9"], "owner": ["赵晓峰", "李静怡"]})
    log = _log([("C1", "2026-10-01", "投诉", None)])
    got = interaction_features(log, pd.Timestamp("2026-10-31"), customers=customers)
    assert got["customer_id"].tolist() == ["C1", "C9"]
    assert got["owner"].tolist() == ["赵晓峰", "李静怡"]
    assert got["complaints"].tolist() == [1, 0]
    empty = interaction_features(None, pd.Timestamp("2026-10-31"), customers=customers)
    assert empty["messages_sent"].tolist() == [0, 0] and empty["open_rate"].isna().all()



def test_interaction_features_edge_cases_by_hand():
    as_of = pd.Timestamp("2026-10-31")
    one = interaction_features(_log([("C7", "2026-10-01", "浏览", None)]), as_of)
    assert one.drop(columns=["open_rate", "click_rate"]).values.tolist() == [["C7", 0, 0, 0, 1, 0, 0, 0]]
    # rows outside the window, or that count nowhere (another kind, a bounced message, no
    # customer), give no customer row; customers come in the order of their ids as text
    log = _log([("B", "2020-01-01", "投诉", None), ("A", "2026-09-01", "其他", None),
                ("A", "2026-09-01", "消息", "bounced"), (None, "2026-09-01", "投诉", None),
                ("b", "2026-09-01", "投诉", None), ("C10", "2026-09-01", "咨询", None),
                ("C9", "2026-09-01", "咨询", None), ("C9", "2026-09-02", "咨询", None)])
    got = interaction_features(log, as_of)
    assert got["customer_id"].tolist() == ["C10", "C9", "b"]
    assert got["inquiries"].tolist() == [1, 2, 0] and got["complaints"].tolist() == [0, 0, 1]
    none = interaction_features(_log([("B", "2020-01-01", "投诉", None)]), as_of)
    assert len(none) == 0 and str(none["complaints"].dtype) == "int64"


# ---------------------------------------------------------------- numeric tests

def _complaints_fixture():
    # 战略客户: 10 customers with 2 complaints, 10 with 3; 普通客户: 40 with none.
    values = [2] * 10 + [3] * 10 + [0] * 40
    groups = ["战略客户"] * 20 + ["普通客户"] * 40
    return pd.Series(values), pd.Series(groups)


def test_kruskal_wallis_and_epsilon_squared_by_hand():
    values, groups = _complaints_fixture()
    result = numeric_test(values, groups)
    # Ranks: zeros 1..40 (mean 20.5), twos 41..50 (45.5), threes 51..60 (55.5).
    # R普通 = 40·20.5 = 820, R战略 = 10·45.5 + 10·55.5 = 1010, n = 60.
    h_raw = 12 / (60 * 61) * (820 ** 2 / 40 + 1010 ** 2 / 20) - 3 * 61      # 39.344
    ties = 1 - ((40 ** 3 - 40) + 2 * (10 ** 3 - 10)) / (60 ** 3 - 60)       # 0.6946
    assert result.h == pytest.approx(h_raw / ties, rel=1e-9)                 # 56.64
    assert result.epsilon_squared == pytest.approx(h_raw / ties / 59, rel=1e-9)
    assert result.dof == 1 and result.n == 60 and result.p_value < 1e-6
    assert result.summary.loc["战略客户", "median"] == 2.5
    assert result.overall["mean"] == pytest.approx(50 / 60)


def test_numeric_insight_states_medians_and_means():
    result = numeric_test(*_complaints_fixture())
    lines = numeric_insight(result, "", "年均投诉次数", "次", **NUMERIC)
    assert len(lines) == 2
    # 战略: mean 2.5 vs 0.83 overall -> 3.0 times; median 2.5 vs 0.
    assert lines[0].startswith("战略客户的年均投诉次数中位数为 2.5 次，高于全体（0 次）；"
                               "平均 2.5 次，是全体平均（0.83 次）的 3.0 倍（Kruskal–Wallis 检验 p=")
    # 普通: median equals the overall median, so only the mean is quoted.
    assert lines[1].startswith("普通客户的年均投诉次数平均 0 次，仅为全体平均（0.83 次）的 0%")


def test_numeric_insight_rates_as_percentages():
    values = pd.Series([0.5] * 20 + [0.1] * 20 + [0.2] * 20)
    groups = pd.Series(["A"] * 20 + ["B"] * 20 + ["C"] * 20)
    lines = numeric_insight(numeric_test(values, groups), "类", "消息打开率", "%", **NUMERIC)
    assert lines[0].startswith("A类的消息打开率中位数为 50.0%，高于全体（20.0%）；平均 50.0%，是全体平均（26.7%）的 1.9 倍")


def test_numeric_insight_suppressed_when_not_significant():
    values = pd.Series([0, 1, 2, 3, 4] * 4 + [0, 1, 2, 4, 5] * 4)
    groups = pd.Series(["A"] * 20 + ["B"] * 20)
    result = numeric_test(values, groups)
    assert result.p_value > 0.05
    assert numeric_insight(result, "", "投诉", "次", **{**NUMERIC, "min_count": 1}) == []


def test_numeric_insight_suppressed_when_effect_trivial():
    # 6% vs 4% of 10,000 customers each: significant, 1.2× the overall mean, but ε² ≈ 0.002.
    values = pd.Series([1] * 600 + [0] * 9400 + [1] * 400 + [0] * 9600)
    groups = pd.Series(["A"] * 10000 + ["B"] * 10000)
    result = numeric_test(values, groups)
    assert result.p_value < 0.05 and result.epsilon_squared < 0.01
    assert numeric_insight(result, "", "投诉", "次", **NUMERIC) == []
    assert numeric_insight(result, "", "投诉", "次", **{**NUMERIC, "min_epsilon_squared": 0}) != []


def test_numeric_test_without_variation_or_groups():
    same = numeric_test(pd.Series([1, 1, 1, 1]), pd.Series(list("aabb")))
    one_group = numeric_test(pd.Series([1, 2, 3]), pd.Series(list("aaa")))
    for r in (same, one_group):
        assert (r.h, r.p_value, r.epsilon_squared) == (0.0, 1.0, 0.0)
    with_blanks = numeric_test(pd.Series([1.0, None, 3.0, 4.0]), pd.Series(["a", "a", None, "b"]))
    assert with_blanks.n == 2


def test_cross_analyse_runs_pairs_and_measures_in_one_call():
    values, groups = _complaints_fixture()
    frame = pd.DataFrame({"tier": groups, "complaints": values,
                          "main_channel": ["线下"] * 20 + ["线上"] * 40, "open_rate": float("nan")})
    pairs, measures = cross_specs(frame)
    assert pairs == [("tier", "", "main_channel", "主要购买渠道")]
    assert [m[2] for m in measures] == ["complaints", "open_rate"]
    tests, insights = cross_analyse(frame, pairs, measures, **CROSS)
    # open_rate is all blank: skipped.
    assert tests["检验"].tolist() == ["卡方检验", "Kruskal–Wallis"]
    assert tests["效应量指标"].tolist() == ["Cramér's V", "ε²"]
    assert tests["发现"].tolist() == [2, 2]
    assert any(s.startswith("战略客户中100.0%为主要购买渠道「线下」") for s in insights)
    assert any(s.startswith("战略客户的年均投诉次数中位数为 2.5 次") for s in insights)
    # A stricter alpha than the tests reach silences everything.
    tests, insights = cross_analyse(frame, pairs, measures, **{**CROSS, "alpha": 1e-30})
    assert insights == [] and tests["发现"].sum() == 0


# ---------------------------------------------------------------- churn reasons

def test_churn_reasons_by_tier_with_shares_and_complaints():
    segments = pd.DataFrame({"customer_id": ["A", "B", "C", "D"],
                             "tier": ["流失预警客户", "流失预警客户", "核心客户", "普通客户"]})
    surveys = pd.DataFrame({"customer_id": ["A", "A", "B", "C", "X"],
                            "churn_reason": ["价格竞争", "产品质量", "价格竞争", "服务响应慢", "价格竞争"]})
    interactions = pd.DataFrame({"customer_id": ["A", "A", "B", "D", "D"],
                                 "kind": ["投诉", "投诉", "咨询", "投诉", "消息"]})
    got = churn_reasons(surveys, interactions, segments, ROLES)
    rows = got[["tier", "churn_reason", "mentions", "customers", "share"]].values.tolist()
    # 流失预警: 价格竞争 2 of 3 answers (A and B), 产品质量 1 of 3; 核心: 服务响应慢 1 of 1;
    # 普通: no answer; X is not segmented.
    assert rows[:3] == [["核心客户", "服务响应慢", 1, 1, 1.0],
                        ["流失预警客户", "价格竞争", 2, 2, pytest.approx(2 / 3)],
                        ["流失预警客户", "产品质量", 1, 1, pytest.approx(1 / 3)]]
    assert rows[3][:4] == ["普通客户", pd.NA, 0, 0] and math.isnan(rows[3][4])
    assert rows[4][:3] == ["未分层", "价格竞争", 1]
    by_tier = got.drop_duplicates("tier").set_index("tier")
    assert by_tier["complaints"].to_dict() == {"核心客户": 0, "流失预警客户": 2, "普通客户": 1, "未分层": 0}
    assert by_tier.loc["流失预警客户", "complaints_per_customer"] == 1.0
    assert "流失原因" in churn_reasons_display(got).columns


@pytest.mark.parametrize("surveys, says", [
    (None, "没有满意度调查数据"),
    (pd.DataFrame({"customer_id": ["A"], "score": [5]}), "没有“流失原因”一列"),
    (pd.DataFrame({"customer_id": ["A"], "churn_reason": [pd.NA]}), "没有填写流失原因"),
])
def test_churn_reasons_without_answers_is_empty_with_a_note(surveys, says):
    got = churn_reasons(surveys, None, pd.DataFrame({"customer_id": ["A"], "tier": ["普通客户"]}), ROLES)
    assert got.empty and "churn_reason" in got.columns and "share" in got.columns
    assert says in got.attrs["note"]


def test_insights_ranked_by_strength_and_capped():
    from analysis.steps.cross import cross_analyse

    # weak: a 60/40 vs 40/60 split (V = 0.2); strong: 90/10 vs 10/90 (V = 0.8); n = 200 each
    n = 100
    frame = pd.DataFrame({
        "g": ["a"] * n + ["b"] * n,
        "weak": ["x"] * 60 + ["y"] * 40 + ["x"] * 40 + ["y"] * 60,
        "strong": ["x"] * 90 + ["y"] * 10 + ["x"] * 10 + ["y"] * 90,
    })
    pairs = [("g", "组", "weak", "弱"), ("g", "组", "strong", "强")]
    _, insights = cross_analyse(frame, pairs, **{**CROSS, "min_lift": 1.1})
    assert "「强」" not in insights[0] and "为强「" in insights[0]  # the strong association first
    _, capped = cross_analyse(frame, pairs, **{**CROSS, "min_lift": 1.1, "max_insights": 1})
    assert len(capped) == 2 and capped[1].startswith("……另有 3 条")


# ---------------------------------------------------------------- small bases

def test_untestable_pairs_and_measures_say_why_with_blank_numbers():
    from analysis.steps.cross import cross_analyse, numeric_test

    # Seven customers, all in one tier: nothing can be compared across tiers. Across the two
    # clusters: industry has a single value and complaints are all 0, so neither can be tested;
    # region can (2 × 2 table, chi² = 7·(3·4 − 0·0)² / (3·4·3·4) = 7, df 1).
    frame = pd.DataFrame({
        "tier": ["普通客户"] * 7,
        "cluster_name": ["甲"] * 3 + ["乙"] * 4,
        "industry": ["制造业"] * 7,
        "region": ["华东"] * 3 + ["华南"] * 4,
        "complaints": [0] * 7,
    })
    pairs = [("tier", "", "industry", "行业"), ("cluster_name", "客户", "industry", "行业"),
             ("cluster_name", "客户", "region", "大区")]
    measures = [("tier", "", "complaints", "年均投诉次数", "次"), ("cluster_name", "客户", "complaints", "年均投诉次数", "次")]
    tests, insights = cross_analyse(frame, pairs, measures, **CROSS)
    assert tests["检验"].tolist() == ["未检验：只有 1 个分组", "未检验：只有 1 个取值", "卡方检验",
                                    "未检验：只有 1 个分组", "未检验：所有客户的数值相同"]
    untested = tests[tests["检验"].str.startswith("未检验")]
    assert untested[["统计量", "自由度", "p值", "效应量"]].isna().all().all()
    assert (untested["发现"] == 0).all() and insights == []
    assert tests.loc[2, "统计量"] == pytest.approx(7.0) and tests.loc[2, "自由度"] == 1
    assert str(tests["自由度"].dtype) == "Int64"  # shown as 1, not 1.000000, next to the blanks
    # the result objects keep their neutral numbers and say why
    assert crosstab_test(frame["tier"], frame["industry"]).untested == "只有 1 个分组"
    assert crosstab_test(frame["cluster_name"], frame["region"]).untested == ""
    empty = numeric_test(pd.Series([], dtype=float), pd.Series([], dtype=object))
    assert (empty.h, empty.p_value, empty.untested) == (0.0, 1.0, "没有数据")


def test_one_customer_is_not_tested():
    result = crosstab_test(pd.Series(["普通客户"]), pd.Series(["华东"]))
    assert (result.chi2, result.p_value, result.cramers_v, result.untested) == (0.0, 1.0, 0.0, "只有 1 个分组")


def test_main_channel_without_a_channel_column_merges_onto_any_customer_table():
    from analysis.steps.cross import main_channel

    orders = pd.DataFrame({"customer_id": pd.Series([], dtype="string"), "is_purchase": pd.Series([], dtype=bool)})
    segments = pd.DataFrame({"customer_id": pd.Series([], dtype="string")})
    merged = segments.merge(main_channel(orders), left_on="customer_id", right_index=True, how="left")
    assert merged.empty and "main_channel" in merged
    one = pd.DataFrame({"customer_id": pd.Series(["C1"], dtype="string")})
    merged = one.merge(main_channel(orders), left_on="customer_id", right_index=True, how="left")
    assert merged["main_channel"].isna().all()


# ---------------------------------------------------------------- tier order and language

def test_churn_reasons_follow_the_rules_order_of_renamed_tiers():
    from analysis.tiers import TierRoles

    roles = TierRoles(order=("Gold", "Silver"), default="Silver", high_value=("Gold",), win_back=None,
                      sleeping=("Silver",))
    segments = pd.DataFrame({"customer_id": ["A", "B"], "tier": ["Silver", "Gold"]})
    surveys = pd.DataFrame({"customer_id": ["A", "B", "X"], "churn_reason": ["价格竞争", "产品质量", "价格竞争"]})
    got = churn_reasons(surveys, None, segments, roles)
    assert got["tier"].tolist() == ["Gold", "Silver", "未分层"]


def test_tables_and_sentences_in_english():
    from analysis.vocab import language

    values, groups = _complaints_fixture()
    frame = pd.DataFrame({"tier": groups, "complaints": values, "main_channel": ["线下"] * 20 + ["线上"] * 40})
    with language("en"):
        pairs, measures = cross_specs(frame)
        assert pairs == [("tier", "", "main_channel", "Main channel")]
        assert measures[0][2:] == ("complaints", "Complaints per year", "times")
        tests, insights = cross_analyse(frame, pairs, measures, **CROSS)
        assert list(tests.columns) == ["Row", "Column", "Test", "Statistic", "df", "p-value",
                                       "Effect size measure", "Effect size", "Findings"]
        assert tests["Row"].tolist() == ["Tier", "Tier"] and tests["Test"].iloc[0] == "Chi-square test"
        assert any(s.startswith("100.0% of 战略客户 have Main channel “线下” (overall 33.3%; χ² test p=")
                   for s in insights)
        assert any(s.startswith("战略客户, Complaints per year: median 2.5 times, above everyone's (0 times); "
                                "mean 2.5 times, 3.0 times the overall mean (0.83 times) (Kruskal–Wallis test p=")
                   for s in insights)
        assert crosstab_test(pd.Series(["a"]), pd.Series(["x"])).untested == "only 1 group"
        got = churn_reasons(None, None, frame.assign(customer_id=range(60)), ROLES)
        assert got.attrs["note"] == "No satisfaction survey data, so churn reasons cannot be counted."


def _findings_frame():
    """60 customers: 制造业 30 (spend 100 each in the window), 零售 20 (50 each), 服务 10 (too few
    to be a group at min_count 20), plus two owners taking every other customer, so that they
    repurchase alike (王 3 + 8 + 3 = 14 of 30, 李 3 + 8 + 2 = 13 of 30)."""
    industry = ["制造业"] * 30 + ["零售"] * 20 + ["服务"] * 10
    # 制造业: 6 of 30 buy twice or more; 零售: 16 of 20; 服务: 5 of 10
    frequency = [2] * 6 + [1] * 24 + [3] * 16 + [1] * 4 + [2] * 5 + [0] * 5
    monetary = [100.0] * 30 + [50.0] * 20 + [10.0] * 10
    owner = ["王", "李"] * 30
    return pd.DataFrame({"industry": industry, "frequency": frequency, "monetary": monetary, "owner": owner})


def test_business_findings_by_hand():
    frame = _findings_frame()
    out = business_findings(frame, ["industry", "owner"], window_months=12, alpha=0.05, min_count=20)
    assert out["dimension"].tolist() == ["行业", "客户经理"]     # the one that differs first
    row = out.iloc[0]
    # all customers: 27 of 60 repurchase = 45%; spend 3,000 + 1,000 + 100 = 4,100
    assert row["overall_rate"] == pytest.approx(27 / 60)
    # gap × spend share: 制造业 |6/30 − 27/60| × 3000/4100 = 0.183, 零售 |16/20 − 0.45| × 1000/4100 = 0.085
    assert row["group"] == "制造业" and row["relevance"] == pytest.approx(0.25 * 3000 / 4100)
    assert row["insight"] == ("制造业客户贡献近 12 个月消费的 73.2%（占客户数 50.0%），但复购率 20%，"
                              "为各行业最低（全体 45%）")
    assert row["customer_share"] == pytest.approx(30 / 60)   # of all customers, like the profile charts
    # owners: 14 and 13 of 30 repurchase (p far above 0.05): the one with most spend named, no claim
    owners = out.iloc[1]
    assert owners["relevance"] == 0
    assert owners["insight"].endswith("各客户经理的复购率没有明显差别（全体 45%）")
    assert "p=" in row["evidence"]


def test_group_names_never_double_the_customer_word():
    assert group_name("中小企业", "company_size") == "中小企业客户"
    assert group_name("中小企业客户", "company_size") == "中小企业客户"
    assert group_name("王思远", "owner") == "王思远负责的客户"
