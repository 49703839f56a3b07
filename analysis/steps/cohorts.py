"""Step 02 — cohort retention: customers grouped by the month of their first purchase.

A *cohort* is every customer whose first purchase (``is_purchase`` row, dated on or before the
as-of date) falls in one calendar month. For each cohort and each month since that first month
(0 = the first month itself, 100% by definition) :func:`cohort_retention` counts

* the customers of the cohort who made a purchase in that month (``active``), and their share of
  the cohort (``share``); a return, a cancellation or a refund is not a purchase;
* the cohort's revenue in that month (``revenue``, 元): ``net_amount`` of *all* the cohort's
  orders dated in that month — purchases, and return documents (negative amounts) **in the month
  the return happens**, not the month of the order it reverses (a return rarely names its
  order, and a month already reported should not change). A return dated before the customer's
  first purchase month (its order lies before the data) is left out; so are customers who never
  made a purchase.

The window is the last ``months`` calendar months up to the as-of month (``profiling.cohort_months``);
a month in the window in which nobody bought for the first time has no row. Months after the
as-of date are blank (NaN), not 0. When the as-of date is not a month end, its month is counted
up to that day only: it is shown, but :func:`cohort_statement` compares complete months only.

Everything is vectorised on integer month numbers: the shipped sample (59,730 order rows)
takes about 0.03 s, the sample repeated 17 times (1,015,410 rows) about 0.1–0.2 s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.vocab import text

__all__ = ["CohortRetention", "cohort_retention", "retention_heatmap_table", "revenue_table",
           "cohort_extremes", "cohort_statement", "cohort_narration"]


@dataclass(frozen=True)
class CohortRetention:
    """The result of :func:`cohort_retention`.

    ``size``: customers per cohort (index: ``Period[M]`` cohorts, oldest first). ``active``,
    ``share`` and ``revenue``: cohort × months since the first purchase (columns ``0 …
    months − 1``); NaN where that month lies after the as-of date. ``complete_through``: the
    last calendar month that is over on the as-of date.
    """

    size: pd.Series
    active: pd.DataFrame
    share: pd.DataFrame
    revenue: pd.DataFrame
    as_of: pd.Timestamp
    months: int
    complete_through: pd.Period

    @property
    def partial_month(self) -> bool:
        """True when the as-of month is counted only up to the as-of date."""
        return self.complete_through < self.as_of.to_period("M")


_NO_COHORT = -(2 ** 40)   # "never bought": a month number far before any window


def _month_numbers(dates: pd.Series) -> np.ndarray:
    # Months since 1970-01: the ordinal of Period(freq="M"); NaT gives a huge negative number.
    return dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[M]").astype(np.int64)


def cohort_retention(orders: pd.DataFrame, as_of, months: int) -> CohortRetention:
    """Share of each monthly cohort still buying, and its revenue, in each later month.

    Parameters
    ----------
    orders : pd.DataFrame
        Clean orders: ``customer_id``, ``order_date``, ``is_purchase``, ``net_amount``.
    as_of : date-like
        Analysis date; later orders are ignored.
    months : int
        How many cohorts (calendar months up to the as-of month) to show —
        ``profiling.cohort_months``; months since the first purchase run ``0 … months − 1``.

    Examples
    --------
    >>> orders = pd.DataFrame({
    ...     "customer_id": ["A", "A", "B", "B"],
    ...     "order_date": pd.to_datetime(["2026-09-03", "2026-10-08", "2026-09-20", "2026-09-28"]),
    ...     "is_purchase": [True, True, True, True], "net_amount": [100.0, 40.0, 60.0, 10.0]})
    >>> result = cohort_retention(orders, pd.Timestamp("2026-10-31"), months=2)
    >>> result.share.loc[pd.Period("2026-09", "M")].tolist()     # A came back in October
    [1.0, 0.5]
    >>> result.revenue.loc[pd.Period("2026-09", "M")].tolist()
    [170.0, 40.0]
    """
    if months < 1:
        raise ValueError(text("cohort.error.months", months=months))
    as_of = pd.Timestamp(as_of)
    last = as_of.to_period("M")
    # A month is over when the as-of date is its last day (dates compare at day level).
    complete_through = last if (as_of.normalize() + pd.Timedelta(days=1)).month != as_of.month else last - 1
    first_window = last.ordinal - months + 1

    dated = (orders["order_date"] <= as_of).to_numpy(dtype=bool)   # NaT is not dated
    month = np.where(dated, _month_numbers(orders["order_date"]), 0)
    codes, _ = pd.factorize(orders["customer_id"])                  # a blank id is -1
    known = (codes >= 0) & dated
    purchase = known & orders["is_purchase"].fillna(False).to_numpy(dtype=bool)

    # Each customer's first purchase month; customers who never bought get a month far before
    # any window (so no overflow when subtracted).
    first = np.full(int(codes.max(initial=-1)) + 1, _NO_COHORT, dtype=np.int64)
    firsts = pd.Series(month[purchase]).groupby(codes[purchase]).min()
    first[firsts.index.to_numpy(dtype=np.int64)] = firsts.to_numpy(dtype=np.int64)
    cohort = np.full(len(codes), _NO_COHORT, dtype=np.int64)
    cohort[known] = first[codes[known]]
    offset = month - cohort
    in_window = known & (cohort >= first_window) & (offset >= 0)

    # Customers buying: one per customer and month, however many orders.
    bought = in_window & purchase
    pairs = pd.DataFrame({"code": codes[bought], "cohort": cohort[bought], "offset": offset[bought]})
    active = pairs.drop_duplicates(["code", "offset"]).groupby(["cohort", "offset"]).size()
    revenue = (pd.Series(orders["net_amount"].to_numpy(dtype=float)[in_window])
               .groupby([cohort[in_window], offset[in_window]]).sum())

    ordinals = np.sort(pairs["cohort"].unique())
    index = pd.PeriodIndex.from_ordinals(ordinals, freq="M").rename("cohort")
    columns = pd.RangeIndex(months, name="months_since_first")
    # Months after the as-of month cannot be seen yet: blank, not 0.
    unseen = (ordinals[:, None] + columns.to_numpy()[None, :]) > last.ordinal

    def grid(values: pd.Series) -> pd.DataFrame:
        cells = np.zeros((len(ordinals), months))
        rows = np.searchsorted(ordinals, values.index.get_level_values(0).to_numpy())
        cells[rows, values.index.get_level_values(1).to_numpy()] = values.to_numpy()
        return pd.DataFrame(np.where(unseen, np.nan, cells), index=index, columns=columns)

    active_grid = grid(active)
    size = active_grid[0].astype(int).rename("customers")
    return CohortRetention(
        size=size,
        active=active_grid,
        share=active_grid.div(size, axis=0),
        revenue=grid(revenue),
        as_of=as_of,
        months=months,
        complete_through=complete_through,
    )


def _month_label(k: int) -> str:
    return text("cohort.month_label", k=k)


def retention_heatmap_table(result: CohortRetention) -> pd.DataFrame:
    """The share table for the heatmap: months 1 and later (month 0 is 100% by definition)
    of the cohorts that have at least one later month to show; rows labelled
    ``2026-01（40人）`` (``cohort.row_label``), axes named in the run's language.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["A", "A", "B"],
    ...     "order_date": pd.to_datetime(["2026-09-03", "2026-10-08", "2026-09-20"]),
    ...     "is_purchase": [True] * 3, "net_amount": [100.0, 40.0, 60.0]})
    >>> table = retention_heatmap_table(cohort_retention(orders, pd.Timestamp("2026-10-31"), 2))
    >>> table.index.tolist(), table.columns.tolist(), table.iloc[0].tolist()
    (['2026-09（2人）'], [1], [0.5])
    """
    share = result.share.iloc[:, 1:]
    share = share[share.notna().any(axis=1)]
    table = share.copy()
    table.index = pd.Index([text("cohort.row_label", cohort=str(c), n=int(result.size[c]))
                            for c in share.index], name=text("cohort.axis.cohort_with_size"))
    table.columns = pd.Index(list(share.columns), name=text("cohort.axis.months_since"))
    return table


def revenue_table(result: CohortRetention) -> pd.DataFrame:
    """Per cohort: its customers, its revenue (元) in each month since the first purchase
    (``第0月`` …, blank where not yet seen) and the total, in the run's language."""
    customers = text("cohort.column.customers")
    revenue = result.revenue.copy()
    revenue.columns = [_month_label(k) for k in revenue.columns]
    table = pd.concat([result.size.rename(customers), revenue], axis=1)
    table[text("cohort.column.total")] = result.revenue.sum(axis=1, min_count=1)
    table.index = pd.Index([str(c) for c in result.size.index], name=text("cohort.axis.cohort"))
    return table


def cohort_extremes(result: CohortRetention, *, compare_month: int, min_size: int) -> pd.DataFrame:
    """The cohorts compared by :func:`cohort_statement`, best first.

    Eligible: cohorts of the window whose month ``compare_month`` after the first purchase is
    complete on the as-of date, with at least ``min_size`` customers. Sorted by the share buying
    in that month, highest first; equal shares put the more recent cohort first. Columns:
    ``customers``, ``share``, ``revenue``.
    """
    if compare_month >= result.share.shape[1]:
        return pd.DataFrame(columns=["customers", "share", "revenue"])
    seen = np.array([c + compare_month <= result.complete_through for c in result.size.index], dtype=bool)
    eligible = seen & (result.size.to_numpy() >= min_size)
    frame = pd.DataFrame({
        "customers": result.size[eligible],
        "share": result.share.loc[eligible, compare_month],
        "revenue": result.revenue.loc[eligible, compare_month],
    })
    frame["_recent"] = frame.index.to_numpy()
    return frame.sort_values(["share", "_recent"], ascending=[False, False], kind="stable").drop(columns="_recent")


def cohort_statement(result: CohortRetention, *, compare_month: int, min_size: int) -> str:
    """One sentence naming the best and the worst recent cohort by month-``compare_month``
    retention (see :func:`cohort_extremes`), with their numbers; or why none is named. Of
    cohorts with equal shares, the more recent is named.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["A", "A", "B", "C"],
    ...     "order_date": pd.to_datetime(["2026-08-03", "2026-09-08", "2026-08-20", "2026-09-02"]),
    ...     "is_purchase": [True] * 4, "net_amount": [100.0, 40.0, 60.0, 5.0]})
    >>> result = cohort_retention(orders, pd.Timestamp("2026-10-31"), 3)
    >>> cohort_statement(result, compare_month=1, min_size=1)
    '近3个月的同期群中（至少1位客户、首购后第1月已过完），第1月仍在购买的比例最高的是2026-08（2位客户，50.0%），最低的是2026-09（1位客户，0.0%）。'
    """
    ranked = cohort_extremes(result, compare_month=compare_month, min_size=min_size)
    fields = {"months": result.months, "k": compare_month, "min_size": min_size}
    if ranked.empty:
        return text("cohort.statement.none", **fields)
    # Ties go to the more recent cohort at both ends (ranked puts it first among equals).
    lowest = ranked[ranked["share"] == ranked["share"].min()]
    best, worst = ranked.iloc[0], lowest.iloc[0]
    named = {"best": str(ranked.index[0]), "best_n": int(best["customers"]), "best_share": best["share"],
             "worst": str(lowest.index[0]), "worst_n": int(worst["customers"]),
             "worst_share": worst["share"]}
    if len(ranked) == 1:
        return text("cohort.statement.one", **fields, cohort=named["best"], n=named["best_n"],
                    share=named["best_share"])
    if best["share"] == worst["share"]:
        return text("cohort.statement.same", **fields, count=len(ranked), share=best["share"])
    return text("cohort.statement.best_worst", **fields, **named)


def cohort_narration(result: CohortRetention) -> str:
    """What the cohort chart and table show (markdown), with a note when the as-of month is
    counted only up to the as-of date."""
    lines = [text("cohort.narration", months=result.months)]
    if result.partial_month:
        lines.append(text("cohort.partial_month", as_of=result.as_of.date().isoformat(),
                          month=str(result.as_of.to_period("M"))))
    return "\n\n".join(lines)
