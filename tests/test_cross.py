"""Crosstab tests, insights and the churn rule (analysis/cross.py)."""

import math

import pandas as pd
import pytest

from analysis.cross import churn_rule_warnings, crosstab_insight, crosstab_test


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
    lines = crosstab_insight(result, "客户", "渠道", min_count=10)
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
    assert crosstab_insight(result, "", "渠道", min_count=1) == []


def test_insight_suppressed_when_effect_trivial():
    # Significant with a big n but V below the threshold.
    rows, cols = _pairs({("A", "x"): 5200, ("A", "y"): 4800, ("B", "x"): 4800, ("B", "y"): 5200})
    result = crosstab_test(rows, cols)
    assert result.p_value < 0.05 and result.cramers_v < 0.1
    assert crosstab_insight(result, "", "渠道") == []


def test_single_column_has_no_test():
    result = crosstab_test(pd.Series(["a", "b"]), pd.Series(["x", "x"]))
    assert (result.chi2, result.p_value, result.cramers_v) == (0.0, 1.0, 0.0)


def test_churn_rule_boundaries():
    features = pd.DataFrame({"days_since_last": [90, 89, 200, None], "total_spend": [2000, 5000, 1999, 9000]})
    got = churn_rule_warnings(features)
    assert got["churn_warning"].tolist() == [True, False, False, False]
    assert got["warning_reason"].iloc[0] == "90天未购买，历史消费2,000元"
