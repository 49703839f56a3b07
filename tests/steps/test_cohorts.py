"""Cohort retention (analysis/steps/cohorts.py), worked out by hand on a small order book."""

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ParamsError
from analysis.params import resolve_params
from analysis.steps.cohorts import (
    cohort_extremes, cohort_narration, cohort_retention, cohort_statement, retention_heatmap_table,
    revenue_table,
)
from analysis.vocab import language

NAN = np.nan
END = pd.Timestamp("2026-04-30")   # a month end: every month up to April is complete


def _order(customer, date, amount, *, cancelled=False, returned=False):
    # As steps/clean marks them: a negative row is a return document netted in its month; a
    # cancelled or returned-status row with its positive amount adds nothing and is no purchase.
    undone = (cancelled or returned) and amount >= 0
    return {"customer_id": customer, "order_date": pd.Timestamp(date), "amount": amount,
            "net_amount": 0.0 if undone else amount, "is_purchase": not undone and amount >= 0,
            "is_cancelled": cancelled, "is_return": returned or amount < 0}


def book():
    rows = [
        # A: first purchase in January, twice that month; again in March; returns 30 in April.
        _order("A", "2026-01-05", 100.0), _order("A", "2026-01-20", 50.0),
        _order("A", "2026-03-10", 200.0), _order("A", "2026-04-02", -30.0),
        # B: January, then a gap of two months, back in April.
        _order("B", "2026-01-15", 80.0), _order("B", "2026-04-10", 40.0),
        # C: first bought in December 2025 — before a 4-month window ending in April.
        _order("C", "2025-12-10", 500.0), _order("C", "2026-02-11", 500.0),
        # D: February, again in March.
        _order("D", "2026-02-01", 60.0), _order("D", "2026-03-03", 70.0),
        # E: February; a cancelled order in March is not a purchase.
        _order("E", "2026-02-20", 90.0), _order("E", "2026-03-05", 500.0, cancelled=True),
        # F: a refund in February for an order before the data, first purchase in March.
        _order("F", "2026-02-14", -25.0), _order("F", "2026-03-15", 120.0),
        # G: first purchase on the as-of date; a May order lies after it.
        _order("G", "2026-04-30", 10.0), _order("G", "2026-05-01", 999.0),
        # H: only a return document — never a purchase, so in no cohort.
        _order("H", "2026-03-20", -40.0),
    ]
    orders = pd.DataFrame(rows)
    orders["customer_id"] = orders["customer_id"].astype("string")
    for col in ("is_purchase", "is_cancelled", "is_return"):
        orders[col] = orders[col].astype("boolean")   # as clean writes them
    return orders


def _rows(frame):
    return {str(cohort): [None if pd.isna(v) else float(v) for v in values]
            for cohort, values in zip(frame.index, frame.to_numpy())}


def test_cohort_sizes_shares_and_revenue_by_hand():
    result = cohort_retention(book(), END, months=4)
    assert result.size.to_dict() == {pd.Period("2026-01", "M"): 2, pd.Period("2026-02", "M"): 2,
                                     pd.Period("2026-03", "M"): 1, pd.Period("2026-04", "M"): 1}
    assert list(result.share.columns) == [0, 1, 2, 3]
    assert _rows(result.share) == {
        "2026-01": [1.0, 0.0, 0.5, 0.5],      # Feb: nobody; Mar: A; Apr: B (A's return is no purchase)
        "2026-02": [1.0, 0.5, 0.0, None],     # Mar: D (E's cancelled order does not count); May unseen
        "2026-03": [1.0, 0.0, None, None],
        "2026-04": [1.0, None, None, None],   # G's May order is after the as-of date
    }
    assert _rows(result.active) == {"2026-01": [2, 0, 1, 1], "2026-02": [2, 1, 0, None],
                                    "2026-03": [1, 0, None, None], "2026-04": [1, None, None, None]}
    assert _rows(result.revenue) == {
        "2026-01": [230.0, 0.0, 200.0, 10.0],   # 100 + 50 + 80; Apr: B's 40 less A's 30 returned
        "2026-02": [150.0, 70.0, 0.0, None],    # 60 + 90; Mar: D's 70, E's cancelled order adds 0
        "2026-03": [120.0, 0.0, None, None],    # F's February refund precedes her cohort: left out
        "2026-04": [10.0, None, None, None],
    }
    assert not result.partial_month and result.complete_through == pd.Period("2026-04", "M")


def test_the_window_keeps_the_last_months_cohorts_only():
    result = cohort_retention(book(), END, months=2)
    assert _rows(result.share) == {"2026-03": [1.0, 0.0], "2026-04": [1.0, None]}
    assert _rows(result.revenue) == {"2026-03": [120.0, 0.0], "2026-04": [10.0, None]}
    # C (first bought December 2025) enters a window reaching back that far, with her February order.
    wide = cohort_retention(book(), END, months=5)
    assert _rows(wide.share)["2025-12"] == [1.0, 0.0, 1.0, 0.0, 0.0]
    assert _rows(wide.revenue)["2025-12"] == [500.0, 0.0, 500.0, 0.0, 0.0]


def test_tables_for_the_heatmap_and_the_report():
    result = cohort_retention(book(), END, months=4)
    heat = retention_heatmap_table(result)
    # Month 0 (100% by definition) and April's cohort (no later month yet) are not drawn.
    assert heat.index.tolist() == ["2026-01（2人）", "2026-02（2人）", "2026-03（1人）"]
    assert heat.columns.tolist() == [1, 2, 3] and heat.columns.name == "距首购的月数"
    assert _rows(heat.set_axis(["a", "b", "c"])) == {"a": [0.0, 0.5, 0.5], "b": [0.5, 0.0, None],
                                                    "c": [0.0, None, None]}
    table = revenue_table(result)
    assert table.index.tolist() == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert table.columns.tolist() == ["客户数", "第0月", "第1月", "第2月", "第3月", "合计"]
    assert table["客户数"].tolist() == [2, 2, 1, 1]
    assert table["合计"].tolist() == [440.0, 220.0, 120.0, 10.0]
    with language("en"):
        assert revenue_table(result).columns.tolist() == ["Customers", "Month 0", "Month 1", "Month 2",
                                                          "Month 3", "Total"]
        assert retention_heatmap_table(result).index[0] == "2026-01 (2)"


def test_the_existing_heatmap_helper_draws_the_shares_and_leaves_unseen_months_blank():
    from analysis.outputs.plotting import plot_crosstab_heatmap

    heat = retention_heatmap_table(cohort_retention(book(), END, months=4))
    ax = plot_crosstab_heatmap(heat, title="t")
    assert [t.get_text() for t in ax.texts] == ["0%", "50%", "50%", "50%", "0%", "0%"]
    assert ax.get_xlabel() == "距首购的月数" and ax.get_ylabel() == "首购月份（客户数）"


def test_best_and_worst_cohort_sentence():
    result = cohort_retention(book(), END, months=4)
    # Month 1 complete for January–March; March has 1 customer, below a minimum of 2.
    assert cohort_statement(result, compare_month=1, min_size=2) == (
        "近4个月的同期群中（至少2位客户、首购后第1月已过完），第1月仍在购买的比例最高的是2026-02"
        "（2位客户，50.0%），最低的是2026-01（2位客户，0.0%）。")
    with language("en"):
        assert cohort_statement(result, compare_month=1, min_size=2) == (
            "Among the cohorts of the last 4 months (at least 2 customers, month 1 after the first "
            "purchase over), the share still buying in month 1 is highest for 2026-02 (2 customers, "
            "50.0%) and lowest for 2026-01 (2 customers, 0.0%).")
    # With March admitted it ties January at 0%: the more recent cohort is named.
    ranked = cohort_extremes(result, compare_month=1, min_size=1)
    assert [str(c) for c in ranked.index] == ["2026-02", "2026-03", "2026-01"]
    assert ranked["revenue"].tolist() == [70.0, 0.0, 0.0]
    assert "最低的是2026-03（1位客户，0.0%）" in cohort_statement(result, compare_month=1, min_size=1)
    # Month 2 is complete for January (50%) and February (0%) only.
    assert "最高的是2026-01（2位客户，50.0%），最低的是2026-02（2位客户，0.0%）" in cohort_statement(
        result, compare_month=2, min_size=1)
    # Month 3: January only; month 4 lies beyond a 4-month window; too large a minimum.
    assert cohort_statement(result, compare_month=3, min_size=1) == (
        "近4个月里只有一个同期群有至少1位客户且首购后第3月已过完：2026-01（2位客户），第3月仍在购买的"
        "比例为50.0%，无从比较。")
    none = "近4个月里没有同期群有至少{n}位客户且首购后第{k}月已过完，暂不比较同期群的好坏。"
    assert cohort_statement(result, compare_month=4, min_size=1) == none.format(n=1, k=4)
    assert cohort_statement(result, compare_month=1, min_size=3) == none.format(n=3, k=1)


def test_equal_cohorts_are_not_called_best_and_worst():
    orders = pd.DataFrame([_order("A", "2026-01-05", 10.0), _order("A", "2026-02-05", 10.0),
                           _order("B", "2026-02-07", 10.0), _order("B", "2026-03-01", 10.0)])
    result = cohort_retention(orders, END, months=4)
    assert cohort_statement(result, compare_month=1, min_size=1) == (
        "近4个月的同期群中（至少1位客户、首购后第1月已过完），2个同期群第1月仍在购买的比例都是100.0%，"
        "没有最好最差之分。")


def test_as_of_in_the_middle_of_a_month():
    as_of = pd.Timestamp("2026-04-15")
    result = cohort_retention(book(), as_of, months=4)
    assert result.partial_month and result.complete_through == pd.Period("2026-03", "M")
    # G's first purchase (04-30) is after the as-of date: April has no cohort yet.
    assert _rows(result.share) == {"2026-01": [1.0, 0.0, 0.5, 0.5], "2026-02": [1.0, 0.5, 0.0, None],
                                   "2026-03": [1.0, 0.0, None, None]}
    assert _rows(result.revenue)["2026-01"] == [230.0, 0.0, 200.0, 10.0]   # B 04-10, A's return 04-02
    # March's month 1 is April, not over yet: March (0%) is not compared, so January is the worst.
    assert [str(c) for c in cohort_extremes(result, compare_month=1, min_size=1).index] == [
        "2026-02", "2026-01"]
    assert "2026-04-15不是月末：2026-04只统计到这一天" in cohort_narration(result)
    assert "不是月末" not in cohort_narration(cohort_retention(book(), END, months=4))


def test_one_cohort():
    orders = pd.DataFrame([_order("A", "2026-04-01", 10.0), _order("B", "2026-04-28", 20.0),
                           _order("A", "2026-04-09", 5.0)])
    result = cohort_retention(orders, END, months=3)
    assert _rows(result.share) == {"2026-04": [1.0, None, None]}
    assert _rows(result.revenue) == {"2026-04": [35.0, None, None]}
    assert retention_heatmap_table(result).empty
    assert cohort_statement(result, compare_month=1, min_size=1).startswith("近3个月里没有同期群")


@pytest.mark.parametrize("orders", [
    pd.DataFrame([_order("H", "2026-03-20", -40.0), _order("E", "2026-03-05", 500.0, cancelled=True)]),
    pd.DataFrame([_order("A", "2026-03-20", 40.0)]).iloc[:0],
], ids=["returns and cancellations only", "no rows"])
def test_no_purchases(orders):
    result = cohort_retention(orders, END, months=12)
    assert result.size.empty and result.share.empty and result.revenue.empty
    assert list(result.share.columns) == list(range(12))
    assert retention_heatmap_table(result).empty and revenue_table(result).empty
    assert cohort_statement(result, compare_month=3, min_size=20) == (
        "近12个月里没有同期群有至少20位客户且首购后第3月已过完，暂不比较同期群的好坏。")


def test_blank_ids_and_dates_are_left_out():
    orders = book()
    extra = pd.DataFrame([_order("Z", "2026-01-02", 70.0), _order("A", "2026-02-02", 1.0)])
    extra["customer_id"] = pd.array([pd.NA, "A"], dtype="string")
    extra.loc[1, "order_date"] = pd.NaT
    result = cohort_retention(pd.concat([orders, extra], ignore_index=True), END, months=4)
    assert _rows(result.share) == _rows(cohort_retention(orders, END, months=4).share)
    assert _rows(result.revenue) == _rows(cohort_retention(orders, END, months=4).revenue)


def test_params_check_the_comparison_month_fits_the_window():
    with pytest.raises(ParamsError, match="cohort_compare_month（12）必须小于 cohort_months（12）"):
        resolve_params("2026-10", None, ["profiling.cohort_compare_month=12"])
    with pytest.raises(ParamsError, match="profiling.min_cohort_size"):
        resolve_params("2026-10", None, ["profiling.min_cohort_size=0"])


def test_sample_data_against_plain_pandas():
    """The shipped sample's orders, cleaned, checked cell by cell against a plain groupby."""
    from analysis.intake.read import load_raw_data
    from analysis.steps.clean import clean_all

    params = resolve_params("2026-10")
    as_of = pd.Timestamp("2026-10-31")
    raw = load_raw_data("data/raw")
    orders = clean_all(raw.tables, as_of, params["cleaning"], raw.sources).orders
    result = cohort_retention(orders, as_of, months=12)

    seen = orders[orders["order_date"] <= as_of].copy()
    seen["month"] = seen["order_date"].dt.to_period("M")
    first = seen[seen["is_purchase"].fillna(False)].groupby("customer_id")["month"].min()
    seen["cohort"] = seen["customer_id"].map(first)
    window = seen[seen["cohort"] >= pd.Period("2025-11", "M")]
    assert result.size.index.tolist() == sorted(window["cohort"].unique())
    assert result.size.to_dict() == window.groupby("cohort")["customer_id"].nunique().to_dict()
    for cohort, members in window.groupby("cohort"):
        size = members["customer_id"].nunique()
        for k in range(12):
            month = cohort + k
            cell = members[members["month"] == month]
            if month > pd.Period("2026-10", "M"):
                assert np.isnan(result.share.loc[cohort, k]) and np.isnan(result.revenue.loc[cohort, k])
                continue
            buyers = cell.loc[cell["is_purchase"].fillna(False), "customer_id"].nunique()
            assert result.share.loc[cohort, k] == pytest.approx(buyers / size)
            assert result.revenue.loc[cohort, k] == pytest.approx(cell["net_amount"].sum())
