"""Step 04 — cross-analysis and churn warnings.

Crosstabs come with a chi-square test and Cramér's V, numeric measures (complaints, open
rate …) across segments with a Kruskal–Wallis test and ε², and an insight sentence is
written only where the association is significant and not trivial.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency, kruskal

from analysis.reference.segment_words import COMPLAINT_KIND, KIND_COUNTS, MESSAGE_KIND
from analysis.tiers import TierRoles
from analysis.vocab import all_labels, text, texts

__all__ = ["crosstab_test", "crosstab_insight", "CrosstabResult", "main_channel",
           "cross_analyse", "cross_specs", "interaction_features", "numeric_test", "numeric_insight",
           "NumericTestResult", "churn_reasons", "churn_reasons_display", "interaction_measures",
           "segment_labels", "attribute_labels", "churn_reason_labels", "ATTRIBUTES", "business_findings",
           "group_name", "findings_display", "FINDING_COLUMNS"]


def _dimension_label(column: str) -> str:
    """How a segment column is called in the test table (客户层级 …); other columns as named."""
    return texts("cross.dimension").get(column, column)


class CrosstabResult:
    """A crosstab with its chi-square test and effect size.

    ``untested`` says in the run's language why no test was possible (empty when it was tested).
    """

    def __init__(self, table: pd.DataFrame, chi2: float, p_value: float, dof: int, cramers_v: float,
                 untested: str = ""):
        self.table, self.chi2, self.p_value, self.dof, self.cramers_v = table, chi2, p_value, dof, cramers_v
        self.untested = untested

    def row_shares(self) -> pd.DataFrame:
        return self.table.div(self.table.sum(axis=1), axis=0)

    def __repr__(self):
        return (f"CrosstabResult(chi2={self.chi2:.2f}, p={self.p_value:.3g}, dof={self.dof}, "
                f"V={self.cramers_v:.3f})")


def crosstab_test(rows: pd.Series, cols: pd.Series) -> CrosstabResult:
    """Counts of ``rows`` × ``cols`` (blanks dropped), Pearson chi-square, Cramér's V.

    V = sqrt(chi2 / (n · (min(r, c) − 1))). A table with a single row or column has
    no test: chi2 = 0, p = 1, V = 0, and ``untested`` says why.

    Examples
    --------
    >>> r = crosstab_test(pd.Series(list("aabb")), pd.Series(list("xyxy")))
    >>> round(r.chi2, 3), round(r.cramers_v, 3)
    (0.0, 0.0)
    """
    table = pd.crosstab(rows, cols)
    n = int(table.to_numpy().sum())
    if n == 0 or min(table.shape) < 2:
        why = (text("cross.untested.no_pairs") if n == 0 else
               text("cross.untested.groups", n=table.shape[0]) if table.shape[0] < 2
               else text("cross.untested.one_value"))
        return CrosstabResult(table, 0.0, 1.0, 0, 0.0, untested=why)
    chi2, p, dof, _ = chi2_contingency(table.to_numpy(), correction=False)
    v = float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))
    return CrosstabResult(table, float(chi2), float(p), int(dof), v)


def crosstab_insight(result: CrosstabResult, row_label: str, col_label: str, *,
                     alpha: float, min_cramers_v: float, min_lift: float, min_count: int) -> list[str]:
    """Plain-language findings, only where the test supports them.

    For each row group with at least ``min_count`` customers, the column value whose share
    in the group exceeds its overall share by ``min_lift`` times is stated with both numbers,
    e.g. ``高价值客户中62.0%为主要购买渠道「线下」（全体为41.0%…）``. Nothing is said when
    p ≥ ``alpha`` or V < ``min_cramers_v`` (thresholds: the ``cross`` group of the params).
    """
    if result.p_value >= alpha or result.cramers_v < min_cramers_v:
        return []
    table = result.table
    overall = table.sum(axis=0) / table.to_numpy().sum()
    shares = result.row_shares()
    lines = []
    for group in table.index:
        if table.loc[group].sum() < min_count:
            continue
        lift = shares.loc[group] / overall
        best = lift.idxmax()
        if lift[best] >= min_lift:
            lines.append(text("cross.insight.crosstab", group=group, row_label=row_label,
                              share=shares.loc[group, best], col_label=col_label, value=best,
                              overall=overall[best], p=result.p_value, v=result.cramers_v))
    return lines


def main_channel(orders: pd.DataFrame) -> pd.Series:
    """Each customer's channel by purchase count (ties: the channel with more spend)."""
    if "channel" not in orders:
        # indexed by customer id (text), so that it merges onto any customer table, even an empty one
        return pd.Series(dtype="string", name="main_channel",
                         index=pd.Index([], dtype="string", name="customer_id"))
    purchases = orders.loc[orders["is_purchase"] & orders["channel"].notna(),
                           ["customer_id", "channel", "order_id", "amount"]]
    stats = purchases.groupby(["customer_id", "channel"]).agg(n=("order_id", "size"), spend=("amount", "sum"))
    best = stats.sort_values(["n", "spend"], ascending=False).reset_index().drop_duplicates("customer_id")
    return best.set_index("customer_id")["channel"].rename("main_channel")


def _untested(why: str) -> dict:
    # A 0 / p = 1 would read as "tested, nothing found": an untested row says why, numbers blank.
    if not why:
        return {}
    label = texts("cross.test")
    return {label["test"]: text("cross.test.untested", why=why), label["statistic"]: np.nan,
            label["dof"]: np.nan, label["p_value"]: np.nan, label["effect"]: np.nan}


def cross_analyse(frame: pd.DataFrame, pairs: list[tuple[str, str, str, str]], measures=(), *,
                  alpha: float, min_cramers_v: float, min_lift: float, min_count: int,
                  min_epsilon_squared: float | None, max_insights: int):
    """Test every categorical pair and every numeric measure; write the supported insights.

    ``pairs`` are ``(row_col, row_label, col_col, col_label)`` for :func:`crosstab_test`;
    ``measures`` are ``(group_col, group_label, value_col, value_label, unit)`` for
    :func:`numeric_test` (unit "%" formats a rate; see :func:`cross_specs`). Pairs or measures
    whose columns are missing or empty are skipped. The thresholds are the ``cross`` group of
    the params; ``min_epsilon_squared`` None means ``min_cramers_v²`` — the same share of
    explained variation as the crosstab threshold.

    Returns ``(tests, insights)``: one row per test (行, 列, 检验, 统计量 = χ² or H, 自由度, p值,
    效应量指标, 效应量 = Cramér's V or ε², 发现 = number of sentences) and the sentences,
    strongest association first (V² and ε² are both shares of explained variation, so they
    rank on one scale). ``max_insights`` > 0 keeps that many and says how many more there are.
    A pair or measure that cannot be tested (one group only, all customers alike — common in a
    small base) keeps its row with 检验 ``未检验：<why>`` and blank numbers. Column labels:
    ``texts("cross.test")``.
    """
    if min_epsilon_squared is None:
        min_epsilon_squared = min_cramers_v ** 2
    label = texts("cross.test")
    rows, insights = [], []
    for row_col, row_label, col_col, col_label in pairs:
        if row_col not in frame or col_col not in frame or frame[col_col].notna().sum() == 0:
            continue
        result = crosstab_test(frame[row_col], frame[col_col])
        found = crosstab_insight(result, row_label, col_label, alpha=alpha, min_cramers_v=min_cramers_v,
                                 min_lift=min_lift, min_count=min_count)
        rows.append({label["row"]: _dimension_label(row_col), label["column"]: col_label,
                     label["test"]: label["chi_square"], label["statistic"]: result.chi2, label["dof"]: result.dof,
                     label["p_value"]: result.p_value, label["effect_measure"]: "Cramér's V",
                     label["effect"]: result.cramers_v, label["findings"]: len(found),
                     **_untested(result.untested)})
        insights += [(result.cramers_v ** 2, sentence) for sentence in found]
    for spec in measures:
        group_col, group_label, value_col, value_label, unit = (tuple(spec) + ("",))[:5]
        if group_col not in frame or value_col not in frame or frame[value_col].notna().sum() == 0:
            continue
        result = numeric_test(frame[value_col], frame[group_col])
        found = numeric_insight(result, group_label, value_label, unit, alpha=alpha,
                                min_epsilon_squared=min_epsilon_squared, min_lift=min_lift, min_count=min_count)
        rows.append({label["row"]: _dimension_label(group_col), label["column"]: value_label,
                     label["test"]: "Kruskal–Wallis", label["statistic"]: result.h, label["dof"]: result.dof,
                     label["p_value"]: result.p_value, label["effect_measure"]: "ε²",
                     label["effect"]: result.epsilon_squared, label["findings"]: len(found),
                     **_untested(result.untested)})
        insights += [(result.epsilon_squared, sentence) for sentence in found]
    columns = [label[key] for key in ("row", "column", "test", "statistic", "dof", "p_value", "effect_measure",
                                      "effect", "findings")]
    ranked = [sentence for _, sentence in sorted(insights, key=lambda pair: -pair[0])]
    if max_insights and len(ranked) > max_insights:
        ranked = ranked[:max_insights] + [text("cross.insight.more", n=len(ranked) - max_insights)]
    tests = pd.DataFrame(rows, columns=columns)
    tests[label["dof"]] = tests[label["dof"]].astype("Int64")  # whole numbers, blank where untested
    return tests, ranked


# ---------------------------------------------------------------- interactions

INTERACTION_COLUMNS = ["customer_id", "inquiries", "complaints", "events", "page_views",
                       "messages_sent", "opened", "clicked", "open_rate", "click_rate"]
# Cleaned message ``event`` -> feature column (the ``kind`` words: analysis.reference.segment_words).
_EVENT_COUNTS = {"sent": "messages_sent", "opened": "opened", "clicked": "clicked"}


def interaction_features(interactions: pd.DataFrame | None, as_of: pd.Timestamp, window_days: int = 365,
                         customers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-customer interaction counts over the ``window_days`` days up to ``as_of``.

    Columns: ``customer_id``, ``inquiries`` (咨询), ``complaints`` (投诉), ``events`` (活动参与),
    ``page_views`` (浏览), ``messages_sent`` / ``opened`` / ``clicked`` (campaign messages) and
    ``open_rate`` = opened / sent, ``click_rate`` = clicked / sent (NaN when nothing was sent;
    capped at 1 because an export can log an open whose send fell before the window). With the
    default window the counts are per year (年均投诉次数 …).

    With ``customers`` every customer gets a row (zeros when they had no interaction) and the
    ``owner`` (客户经理) column is carried over when present.

    Examples
    --------
    >>> log = pd.DataFrame({"customer_id": ["C1", "C1", "C1", "C2"],
    ...                     "date": pd.to_datetime(["2026-10-01"] * 4),
    ...                     "kind": ["投诉", "消息", "消息", "咨询"],
    ...                     "event": [None, "sent", "opened", None]})
    >>> f = interaction_features(log, pd.Timestamp("2026-10-31"))
    >>> f[["customer_id", "complaints", "inquiries", "open_rate"]].to_dict("list")
    {'customer_id': ['C1', 'C2'], 'complaints': [1, 0], 'inquiries': [0, 1], 'open_rate': [1.0, nan]}
    """
    counts = INTERACTION_COLUMNS[1:8]
    if interactions is None or len(interactions) == 0:
        out = pd.DataFrame({c: pd.Series(dtype="int64") for c in counts})
        out.insert(0, "customer_id", pd.Series(dtype="string"))
    else:
        as_of = pd.Timestamp(as_of).normalize()
        date = interactions["date"]
        in_window = (date > as_of - pd.Timedelta(days=window_days)) & (date < as_of + pd.Timedelta(days=1))
        log = interactions.loc[in_window]
        kind = log["kind"].astype("string")
        event = (log["event"].astype("string") if "event" in log
                 else pd.Series(pd.NA, index=log.index, dtype="string"))
        feature = kind.map(KIND_COUNTS).astype("string")
        is_message = kind.eq(MESSAGE_KIND).fillna(False)
        feature = feature.mask(is_message, event.map(_EVENT_COUNTS).astype("string"))
        keyed = pd.DataFrame({"customer_id": log["customer_id"].astype("string"), "feature": feature}).dropna()
        # One count per (customer code, feature code) in a single bincount: pd.crosstab would
        # count with a Python function per customer.
        customer, ids = pd.factorize(keyed["customer_id"], sort=True)
        column = pd.Index(counts).get_indexer(keyed["feature"])
        known = column >= 0
        table = np.bincount(customer[known] * len(counts) + column[known], minlength=len(ids) * len(counts))
        out = pd.DataFrame(table.reshape(len(ids), len(counts)).astype("int64"), columns=counts)
        out.insert(0, "customer_id", pd.array(ids, dtype="string"))
    if customers is not None:
        keep = ["customer_id"] + (["owner"] if "owner" in customers else [])
        base = customers[keep].drop_duplicates("customer_id")
        out = base.merge(out, on="customer_id", how="left")
        out[counts] = out[counts].fillna(0).astype("int64")
    sent = out["messages_sent"].where(out["messages_sent"] > 0)
    out["open_rate"] = (out["opened"] / sent).clip(upper=1.0).astype("float64")
    out["click_rate"] = (out["clicked"] / sent).clip(upper=1.0).astype("float64")
    return out.reset_index(drop=True)


# ---------------------------------------------------------------- numeric measures

# Customer attributes crossed with every segment (columns; labels: attribute_labels()).
ATTRIBUTES = ("main_channel", "industry", "region", "company_size", "owner")


def interaction_measures() -> list[tuple[str, str, str]]:
    """The measures the notebook tests across segments: ``(column, label, unit)``; unit "%" = a rate."""
    label, times = texts("cross.measure"), text("cross.unit.times")
    return [("complaints", label["complaints"], times), ("inquiries", label["inquiries"], times),
            ("open_rate", label["open_rate"], "%"), ("click_rate", label["click_rate"], "%")]


def segment_labels() -> dict[str, str]:
    """Segment column -> the word that follows a segment name in a sentence (tier names
    already end in 客户, so none for them)."""
    suffix = text("cross.segment_suffix")
    return {"tier": "", "rfm_class": suffix, "value_band": suffix, "cluster_name": suffix}


def attribute_labels() -> dict[str, str]:
    """Customer attribute column -> its label (主要购买渠道 …)."""
    return texts("cross.attribute")


class NumericTestResult:
    """A Kruskal–Wallis test of one measure across groups, with ε² and per-group summaries."""

    def __init__(self, summary: pd.DataFrame, overall: dict, h: float, p_value: float, dof: int,
                 epsilon_squared: float, n: int, untested: str = ""):
        self.summary, self.overall = summary, overall
        self.h, self.p_value, self.dof, self.epsilon_squared, self.n = h, p_value, dof, epsilon_squared, n
        self.untested = untested  # why no test was possible (run's language); empty when tested

    def __repr__(self):
        return (f"NumericTestResult(H={self.h:.2f}, p={self.p_value:.3g}, dof={self.dof}, "
                f"eps2={self.epsilon_squared:.3f}, n={self.n})")


def numeric_test(values: pd.Series, groups: pd.Series) -> NumericTestResult:
    """Kruskal–Wallis H test of ``values`` across ``groups`` (blanks in either dropped).

    Rank-based, so it suits skewed counts and spend where an ANOVA's normality does not hold.
    Effect size ε² = H / (n − 1) (0 = no separation, 1 = groups fully separated by rank).
    ``summary`` holds n, median and mean per group; ``overall`` the same for everyone.
    Fewer than two groups, or all values equal, means no test: H = 0, p = 1, ε² = 0, and
    ``untested`` says why.

    Examples
    --------
    >>> r = numeric_test(pd.Series([1, 2, 3, 4, 5, 6]), pd.Series(list("aaabbb")))
    >>> round(r.h, 3), round(r.epsilon_squared, 3)
    (3.857, 0.771)
    """
    data = pd.DataFrame({"value": pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan),
                         "group": groups.to_numpy()}).dropna()
    summary = (data.groupby("group", sort=True)["value"].agg(n="size", median="median", mean="mean")
               .rename_axis(None))
    n = len(data)
    overall = {"n": n, "median": float(data["value"].median()) if n else np.nan,
               "mean": float(data["value"].mean()) if n else np.nan}
    samples = [g.to_numpy() for _, g in data.groupby("group", sort=True)["value"]]
    if len(samples) < 2 or data["value"].nunique() < 2:
        why = (text("cross.untested.no_data") if n == 0 else text("cross.untested.groups", n=len(samples))
               if len(samples) < 2 else text("cross.untested.all_equal"))
        return NumericTestResult(summary, overall, 0.0, 1.0, 0, 0.0, n, untested=why)
    h, p = kruskal(*samples)
    return NumericTestResult(summary, overall, float(h), float(p), len(samples) - 1, float(h / (n - 1)), n)


def _format_value(x: float, unit: str) -> str:
    if unit == "%":
        return f"{x:.1%}"
    # Two decimals at most, so that small yearly counts (0.32 vs 0.17 次) stay distinguishable.
    number = f"{x:,.2f}".rstrip("0").rstrip(".")
    return f"{number} {unit}".rstrip()


def numeric_insight(result: NumericTestResult, group_label: str, measure_label: str, unit: str = "", *,
                    alpha: float, min_epsilon_squared: float, min_lift: float, min_count: int) -> list[str]:
    """Plain-language findings for a numeric measure, only where the test supports them.

    Nothing is said when p ≥ ``alpha`` or ε² < ``min_epsilon_squared``. Otherwise each group
    with at least ``min_count`` customers whose mean is ≥ ``min_lift`` times the overall mean
    (or ≤ 1 / ``min_lift`` of it) is described with its median and mean against everyone's, e.g.
    ``战略客户的年均投诉次数中位数为 2 次，高于全体（0 次）；平均 2.4 次，是全体平均（0.83 次）的 2.9 倍…``.
    The median is quoted only when it differs from the overall median in the same direction.
    Sentences come in descending order of the group mean.
    """
    if result.p_value >= alpha or result.epsilon_squared < min_epsilon_squared:
        return []
    overall_mean, overall_median = result.overall["mean"], result.overall["median"]
    if not overall_mean > 0:
        return []
    stats = text("cross.insight.kruskal", p=result.p_value, e=result.epsilon_squared)
    lines = []
    # Most striking first: groups in descending order of their mean.
    summary = result.summary.sort_values("mean", ascending=False, kind="mergesort")
    for group, row in summary.iterrows():
        if row["n"] < min_count:
            continue
        ratio = row["mean"] / overall_mean
        overall = _format_value(overall_mean, unit)
        if ratio >= min_lift:
            compare = text("cross.insight.times", overall=overall, ratio=ratio)
            median_says = text("cross.insight.above") if row["median"] > overall_median else None
        elif ratio <= 1 / min_lift:
            compare = text("cross.insight.fraction", overall=overall, ratio=ratio)
            median_says = text("cross.insight.below") if row["median"] < overall_median else None
        else:
            continue
        head = text("cross.insight.head", group=group, group_label=group_label, measure=measure_label)
        mean = _format_value(row["mean"], unit)
        if median_says:
            lines.append(text("cross.insight.with_median", head=head, median=_format_value(row["median"], unit),
                              says=median_says, overall_median=_format_value(overall_median, unit), mean=mean,
                              compare=compare, stats=stats))
        else:
            lines.append(text("cross.insight.mean_only", head=head, mean=mean, compare=compare, stats=stats))
    return lines


def cross_specs(frame: pd.DataFrame, segments=("tier", "rfm_class", "cluster_name"),
                attributes=ATTRIBUTES, measures=None):
    """The standard ``(pairs, measures)`` for :func:`cross_analyse`: every segment column ×
    every customer attribute, and every interaction measure (default
    :func:`interaction_measures`) across every segment, keeping only columns that ``frame`` has."""
    if measures is None:
        measures = interaction_measures()
    seg_labels, attr_labels = segment_labels(), attribute_labels()
    segs = [s for s in segments if s in frame]
    pairs = [(s, seg_labels.get(s, ""), a, attr_labels.get(a, a)) for s in segs for a in attributes
             if a in frame]
    tests = [(s, seg_labels.get(s, ""), col, label, unit) for s in segs for col, label, unit in measures
             if col in frame]
    return pairs, tests


# ---------------------------------------------------------------- business findings

FINDING_COLUMNS = ["dimension", "group", "insight", "relevance", "customers", "customer_share",
                   "spend_share", "repurchase_rate", "overall_rate", "p_value", "evidence"]


def group_name(value, column: str) -> str:
    """How a group of customers is called in a sentence: 制造业客户, 华东地区客户, 王思远负责的客户
    (``cross.group.<column>``, else ``cross.group_default``). A value that already ends in 客户
    (中小企业客户) does not get a second one.

    Examples
    --------
    >>> group_name("制造业", "industry"), group_name("中小企业客户", "company_size")
    ('制造业客户', '中小企业客户')
    """
    key = f"cross.group.{column}"
    name = text(key if key in all_labels() else "cross.group_default", value=value)
    suffix = text("cross.segment_suffix")
    return name.replace(suffix + suffix, suffix)


def business_findings(frame: pd.DataFrame, attributes=ATTRIBUTES, *, window_months: int, alpha: float,
                      min_count: int) -> pd.DataFrame:
    """One business sentence per customer attribute (行业, 大区, 企业规模, 主要购买渠道, 客户经理),
    most relevant first — what the executive summary's findings are.

    ``frame`` holds one row per customer with the attribute columns and the segment columns
    ``monetary`` (net spend in the RFM window of ``window_months``) and ``frequency`` (purchases
    in it). Per attribute, among its groups of at least ``min_count`` customers (blank and 未识别
    values are not a group), the *repurchase rate* — the share of a group's customers with two
    or more purchases in the window — is tested across the groups (chi-square). Where the test
    gives p < ``alpha``, the group whose gap to everyone's rate weighs most in money (share of
    window spend × |rate − overall rate|) is described: its share of window spend and of
    customers (both of *all* customers, the denominators the profile charts use) and its rate
    against everyone's, e.g. ``制造业客户贡献近 12 个月消费的 35.0%（占客户数 33.3%），但复购率
    58%，为各行业最低（全体 70%）``. Where it does not, the group with the most spend is named
    and the sentence says the rates do not differ. ``relevance`` is that weight (0 when the
    rates do not differ); ``evidence`` carries the test for the detail section.

    Examples
    --------
    >>> f = pd.DataFrame({"industry": ["制造业"] * 30 + ["零售"] * 30,
    ...                   "monetary": [100.0] * 30 + [50.0] * 30,
    ...                   "frequency": [1] * 25 + [3] * 5 + [3] * 25 + [1] * 5})
    >>> out = business_findings(f, ["industry"], window_months=12, alpha=0.05, min_count=20)
    >>> out.loc[0, "insight"]
    '制造业客户贡献近 12 个月消费的 66.7%（占客户数 50.0%），但复购率 17%，为各行业最低（全体 50%）'
    """
    rows = []
    missing = {text("clean.industry.unrecognised"), text("plotting.missing")}
    if not len(frame) or "monetary" not in frame or "frequency" not in frame:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    spend = pd.to_numeric(frame["monetary"], errors="coerce").fillna(0.0)
    repeat = pd.to_numeric(frame["frequency"], errors="coerce").fillna(0) >= 2
    total_spend, n_all = float(spend.sum()), len(frame)
    overall = float(repeat.mean())
    for column in attributes:
        if column not in frame:
            continue
        values = frame[column].astype("string")
        values = values.where(~values.isin(missing))
        sizes = values.value_counts()
        groups = sizes[sizes >= min_count].index
        if len(groups) < 2 or total_spend <= 0:
            continue
        kept = values.isin(groups).fillna(False).to_numpy(dtype=bool)
        result = crosstab_test(values[kept], repeat[kept])
        stats = pd.DataFrame({"customers": sizes[groups],
                              "spend": spend.groupby(values).sum().reindex(groups),
                              "rate": repeat.groupby(values).mean().reindex(groups)})
        stats["spend_share"] = stats["spend"] / total_spend
        stats["weight"] = stats["spend_share"] * (stats["rate"] - overall).abs()
        dimension = attribute_labels().get(column, column)
        fields = dict(dimension=dimension, months=window_months, overall=overall)
        if result.p_value < alpha and not result.untested:
            group = stats["weight"].idxmax()
            row = stats.loc[group]
            lowest, highest = stats["rate"].idxmin(), stats["rate"].idxmax()
            below = row["rate"] < overall
            rank = (text("cross.finding.lowest", dimension=dimension) if group == lowest and below else
                    text("cross.finding.highest", dimension=dimension) if group == highest and not below else
                    text("cross.finding.below" if below else "cross.finding.above"))
            key, relevance = ("cross.finding.low" if below else "cross.finding.high"), float(row["weight"])
        else:
            group = stats["spend"].idxmax()
            row, rank, key, relevance = stats.loc[group], "", "cross.finding.even", 0.0
        sentence = text(key, group=group_name(group, column), spend_share=row["spend_share"],
                        customer_share=row["customers"] / n_all, rate=row["rate"], rank=rank, **fields)
        rows.append({"dimension": dimension, "group": str(group), "insight": sentence, "relevance": relevance,
                     "customers": int(row["customers"]), "customer_share": row["customers"] / n_all,
                     "spend_share": float(row["spend_share"]), "repurchase_rate": float(row["rate"]),
                     "overall_rate": overall, "p_value": result.p_value,
                     "evidence": result.untested or text("cross.finding.evidence", p=result.p_value,
                                                          v=result.cramers_v)})
    out = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    return out.sort_values("relevance", ascending=False, kind="mergesort").reset_index(drop=True)


def findings_display(findings: pd.DataFrame) -> pd.DataFrame:
    """:func:`business_findings` with the evidence behind each sentence, labelled for the detail
    section (``cross.finding_column.*``)."""
    label = texts("cross.finding_column")
    return findings[list(label)].rename(columns=label)


# ---------------------------------------------------------------- churn reasons

CHURN_REASON_COLUMNS = ["tier", "churn_reason", "mentions", "customers", "share", "tier_customers",
                        "complaints", "complaints_per_customer"]


def churn_reason_labels() -> dict[str, str]:
    """:func:`churn_reasons` column -> its label for tables and workbooks."""
    return texts("cross.churn_reason")


def _empty_reasons(note: str) -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype="string" if c in ("tier", "churn_reason") else "float64")
                        for c in CHURN_REASON_COLUMNS})
    out.attrs["note"] = note
    return out


def churn_reasons(surveys: pd.DataFrame | None, interactions: pd.DataFrame | None,
                  segments: pd.DataFrame, roles: TierRoles, tier_col: str = "tier") -> pd.DataFrame:
    """Survey ``churn_reason`` answers tallied by tier, with each tier's complaint count.

    One row per tier × reason: ``mentions`` (answers), ``customers`` (distinct customers giving
    it) and ``share`` (of the tier's answers that name a reason), plus the tier's size and its
    complaints (投诉 in the interaction log, whole history) and complaints per customer. Tiers
    without any reason answered appear once with a blank reason; tiers come in the rules'
    order (``roles.order``). Respondents not in ``segments`` are counted under 未分层. Without
    surveys or reasons the frame is empty and ``attrs["note"]`` says why.

    Examples
    --------
    >>> from analysis.tiers import tier_roles
    >>> roles = tier_roles({"rules": [{"tier": "核心客户"}, {"tier": "普通客户"}],
    ...                     "roles": {"high_value": ["核心客户"], "sleeping": []}})
    >>> seg = pd.DataFrame({"customer_id": ["A", "B"], "tier": ["核心客户", "普通客户"]})
    >>> sv = pd.DataFrame({"customer_id": ["A", "A", "B"], "churn_reason": ["价格竞争", "服务响应慢", None]})
    >>> churn_reasons(sv, None, seg, roles)[["tier", "churn_reason", "mentions", "share"]].values.tolist()
    [['核心客户', '价格竞争', 1, 0.5], ['核心客户', '服务响应慢', 1, 0.5], ['普通客户', <NA>, 0, nan]]
    """
    if surveys is None or len(surveys) == 0:
        return _empty_reasons(text("cross.churn_reason_note.no_surveys"))
    if "churn_reason" not in surveys:
        return _empty_reasons(text("cross.churn_reason_note.no_column"))
    answered = surveys.loc[surveys["churn_reason"].notna(), ["customer_id", "churn_reason"]]
    if answered.empty:
        return _empty_reasons(text("cross.churn_reason_note.no_answers"))
    unsegmented = text("cross.unsegmented")
    tier_of = segments.drop_duplicates("customer_id").set_index("customer_id")[tier_col]
    answered = answered.assign(tier=answered["customer_id"].map(tier_of).fillna(unsegmented).astype("string"),
                               churn_reason=answered["churn_reason"].astype("string").str.strip())
    tally = (answered.groupby(["tier", "churn_reason"])
             .agg(mentions=("customer_id", "size"), customers=("customer_id", "nunique")).reset_index())
    tally["share"] = tally["mentions"] / tally.groupby("tier")["mentions"].transform("sum")

    sizes = segments.drop_duplicates("customer_id")[tier_col].astype("string").value_counts()
    if interactions is not None and len(interactions) and "kind" in interactions:
        complained = interactions.loc[interactions["kind"] == COMPLAINT_KIND, "customer_id"]
        complaints = complained.map(tier_of).fillna(unsegmented).astype("string").value_counts()
    else:
        complaints = pd.Series(dtype="int64")
    tiers = pd.Index(sizes.index).union(pd.Index(tally["tier"].unique()))
    silent = pd.DataFrame({"tier": [t for t in tiers if t not in set(tally["tier"])]})
    out = pd.concat([tally, silent.assign(mentions=0, customers=0)], ignore_index=True)
    out["tier_customers"] = out["tier"].map(sizes).fillna(0).astype("int64")
    out["complaints"] = out["tier"].map(complaints).fillna(0).astype("int64")
    out["complaints_per_customer"] = out["complaints"] / out["tier_customers"].where(out["tier_customers"] > 0)
    order = {t: i for i, t in enumerate([*roles.order, unsegmented])}
    out = out.assign(_order=out["tier"].map(order).fillna(len(order)))
    out = out.sort_values(["_order", "tier", "mentions", "churn_reason"], ascending=[True, True, False, True],
                          kind="mergesort")
    out = out.drop(columns="_order").reset_index(drop=True)[CHURN_REASON_COLUMNS]
    out[["mentions", "customers"]] = out[["mentions", "customers"]].astype("int64")
    out["share"] = out["share"].astype("float64")
    out["tier"] = out["tier"].astype("string")
    out["churn_reason"] = out["churn_reason"].astype("string")
    out.attrs["note"] = ""
    return out


def churn_reasons_display(reasons: pd.DataFrame) -> pd.DataFrame:
    """:func:`churn_reasons` with labelled column names (:func:`churn_reason_labels`), for
    tables and workbooks."""
    return reasons.rename(columns=churn_reason_labels())
