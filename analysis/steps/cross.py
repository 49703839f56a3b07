"""Step 04 — cross-analysis and churn warnings.

Crosstabs come with a chi-square test and Cramér's V, numeric measures (complaints, open
rate …) across segments with a Kruskal–Wallis test and ε², and an insight sentence is
written only where the association is significant and not trivial.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency, kruskal

from analysis.steps.segment import TIER_ORDER

__all__ = ["crosstab_test", "crosstab_insight", "CrosstabResult", "main_channel",
           "cross_analyse", "cross_specs", "interaction_features", "numeric_test", "numeric_insight",
           "NumericTestResult", "churn_reasons", "churn_reasons_display", "INTERACTION_MEASURES"]


# How the segment columns are called in tables.
DIMENSION_LABELS = {"tier": "客户层级", "rfm_class": "RFM分类", "value_band": "价值带", "cluster_name": "聚类"}


class CrosstabResult:
    """A crosstab with its chi-square test and effect size.

    ``untested`` says in Chinese why no test was possible (empty when it was tested).
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
        why = ("没有两项都填写的客户" if n == 0 else
               f"只有 {table.shape[0]} 个分组" if table.shape[0] < 2 else "只有 1 个取值")
        return CrosstabResult(table, 0.0, 1.0, 0, 0.0, untested=why)
    chi2, p, dof, _ = chi2_contingency(table.to_numpy(), correction=False)
    v = float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))
    return CrosstabResult(table, float(chi2), float(p), int(dof), v)


def crosstab_insight(result: CrosstabResult, row_label: str, col_label: str, *,
                     alpha: float = 0.05, min_cramers_v: float = 0.1, min_lift: float = 1.2,
                     min_count: int = 20) -> list[str]:
    """Plain-language findings, only where the test supports them.

    For each row group with at least ``min_count`` customers, the column value whose share
    in the group exceeds its overall share by ``min_lift`` times is stated with both numbers,
    e.g. ``高价值客户中62.0%偏好线下（全体为41.0%）``. Nothing is said when p ≥ ``alpha`` or
    V < ``min_cramers_v``.
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
            lines.append(f"{group}{row_label}中{shares.loc[group, best]:.1%}为{col_label}「{best}」"
                         f"（全体为{overall[best]:.1%}，χ²检验 p={result.p_value:.2g}，Cramér's V={result.cramers_v:.2f}）")
    return lines


def main_channel(orders: pd.DataFrame) -> pd.Series:
    """Each customer's channel by purchase count (ties: the channel with more spend)."""
    if "channel" not in orders:
        # indexed by customer id (text), so that it merges onto any customer table, even an empty one
        return pd.Series(dtype="string", name="main_channel",
                         index=pd.Index([], dtype="string", name="customer_id"))
    purchases = orders[orders["is_purchase"] & orders["channel"].notna()]
    stats = purchases.groupby(["customer_id", "channel"]).agg(n=("order_id", "size"), spend=("amount", "sum"))
    best = stats.sort_values(["n", "spend"], ascending=False).reset_index().drop_duplicates("customer_id")
    return best.set_index("customer_id")["channel"].rename("main_channel")


def _untested(why: str) -> dict:
    # A 0 / p = 1 would read as "tested, nothing found": an untested row says why, numbers blank.
    if not why:
        return {}
    return {"检验": f"未检验：{why}", "统计量": np.nan, "自由度": np.nan, "p值": np.nan, "效应量": np.nan}


def cross_analyse(frame: pd.DataFrame, pairs: list[tuple[str, str, str, str]], measures=(), *,
                  alpha: float = 0.05, min_cramers_v: float = 0.1, min_lift: float = 1.2, min_count: int = 20,
                  min_epsilon_squared: float | None = None, max_insights: int = 0):
    """Test every categorical pair and every numeric measure; write the supported insights.

    ``pairs`` are ``(row_col, row_label, col_col, col_label)`` for :func:`crosstab_test`;
    ``measures`` are ``(group_col, group_label, value_col, value_label, unit)`` for
    :func:`numeric_test` (unit "%" formats a rate; see :func:`cross_specs`). Pairs or measures
    whose columns are missing or empty are skipped. ``min_epsilon_squared`` defaults to
    ``min_cramers_v²`` — the same share of explained variation as the crosstab threshold.

    Returns ``(tests, insights)``: one row per test (行, 列, 检验, 统计量 = χ² or H, 自由度, p值,
    效应量指标, 效应量 = Cramér's V or ε², 发现 = number of sentences) and the sentences,
    strongest association first (V² and ε² are both shares of explained variation, so they
    rank on one scale). ``max_insights`` > 0 keeps that many and says how many more there are.
    A pair or measure that cannot be tested (one group only, all customers alike — common in a
    small base) keeps its row with 检验 ``未检验：<why>`` and blank numbers.
    """
    if min_epsilon_squared is None:
        min_epsilon_squared = min_cramers_v ** 2
    rows, insights = [], []
    for row_col, row_label, col_col, col_label in pairs:
        if row_col not in frame or col_col not in frame or frame[col_col].notna().sum() == 0:
            continue
        result = crosstab_test(frame[row_col], frame[col_col])
        found = crosstab_insight(result, row_label, col_label, alpha=alpha, min_cramers_v=min_cramers_v,
                                 min_lift=min_lift, min_count=min_count)
        rows.append({"行": DIMENSION_LABELS.get(row_col, row_col), "列": col_label, "检验": "卡方检验",
                     "统计量": result.chi2, "自由度": result.dof, "p值": result.p_value,
                     "效应量指标": "Cramér's V", "效应量": result.cramers_v, "发现": len(found),
                     **_untested(result.untested)})
        insights += [(result.cramers_v ** 2, sentence) for sentence in found]
    for spec in measures:
        group_col, group_label, value_col, value_label, unit = (tuple(spec) + ("",))[:5]
        if group_col not in frame or value_col not in frame or frame[value_col].notna().sum() == 0:
            continue
        result = numeric_test(frame[value_col], frame[group_col])
        found = numeric_insight(result, group_label, value_label, unit, alpha=alpha,
                                min_epsilon_squared=min_epsilon_squared, min_lift=min_lift, min_count=min_count)
        rows.append({"行": DIMENSION_LABELS.get(group_col, group_col), "列": value_label, "检验": "Kruskal–Wallis",
                     "统计量": result.h, "自由度": result.dof, "p值": result.p_value,
                     "效应量指标": "ε²", "效应量": result.epsilon_squared, "发现": len(found),
                     **_untested(result.untested)})
        insights += [(result.epsilon_squared, sentence) for sentence in found]
    columns = ["行", "列", "检验", "统计量", "自由度", "p值", "效应量指标", "效应量", "发现"]
    ranked = [sentence for _, sentence in sorted(insights, key=lambda pair: -pair[0])]
    if max_insights and len(ranked) > max_insights:
        ranked = ranked[:max_insights] + [f"……另有 {len(ranked) - max_insights} 条较弱的发现，见上方检验表的“发现”列。"]
    tests = pd.DataFrame(rows, columns=columns)
    tests["自由度"] = tests["自由度"].astype("Int64")  # whole numbers, blank where untested
    return tests, ranked


# ---------------------------------------------------------------- interactions

INTERACTION_COLUMNS = ["customer_id", "inquiries", "complaints", "events", "page_views",
                       "messages_sent", "opened", "clicked", "open_rate", "click_rate"]
# Cleaned ``kind`` (and message ``event``) -> feature column.
_KIND_COUNTS = {"咨询": "inquiries", "投诉": "complaints", "活动参与": "events", "浏览": "page_views"}
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
        feature = kind.map(_KIND_COUNTS).astype("string")
        is_message = kind.eq("消息").fillna(False)
        feature = feature.mask(is_message, event.map(_EVENT_COUNTS).astype("string"))
        keyed = pd.DataFrame({"customer_id": log["customer_id"].astype("string"), "feature": feature}).dropna()
        out = (pd.crosstab(keyed["customer_id"], keyed["feature"])
               .reindex(columns=counts, fill_value=0).astype("int64")
               .rename_axis(index="customer_id", columns=None).reset_index())
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

# The measures the notebook tests across segments: (column, label, unit); unit "%" = a rate.
INTERACTION_MEASURES = [("complaints", "年均投诉次数", "次"), ("inquiries", "年均咨询次数", "次"),
                        ("open_rate", "消息打开率", "%"), ("click_rate", "消息点击率", "%")]
# Segment columns and the word that follows a segment name in a sentence (tiers already end in 客户).
SEGMENT_LABELS = {"tier": "", "rfm_class": "客户", "value_band": "客户", "cluster_name": "客户"}
# Customer attributes crossed with every segment: (column, label).
ATTRIBUTE_LABELS = {"main_channel": "主要购买渠道", "industry": "行业", "region": "大区",
                    "company_size": "企业规模", "owner": "客户经理"}


class NumericTestResult:
    """A Kruskal–Wallis test of one measure across groups, with ε² and per-group summaries."""

    def __init__(self, summary: pd.DataFrame, overall: dict, h: float, p_value: float, dof: int,
                 epsilon_squared: float, n: int, untested: str = ""):
        self.summary, self.overall = summary, overall
        self.h, self.p_value, self.dof, self.epsilon_squared, self.n = h, p_value, dof, epsilon_squared, n
        self.untested = untested  # why no test was possible, in Chinese; empty when tested

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
        why = ("没有数据" if n == 0 else f"只有 {len(samples)} 个分组" if len(samples) < 2
               else "所有客户的数值相同")
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
                    alpha: float = 0.05, min_epsilon_squared: float = 0.01, min_lift: float = 1.2,
                    min_count: int = 20) -> list[str]:
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
    stats = f"Kruskal–Wallis 检验 p={result.p_value:.2g}，ε²={result.epsilon_squared:.2f}"
    lines = []
    # Most striking first: groups in descending order of their mean.
    summary = result.summary.sort_values("mean", ascending=False, kind="mergesort")
    for group, row in summary.iterrows():
        if row["n"] < min_count:
            continue
        ratio = row["mean"] / overall_mean
        if ratio >= min_lift:
            compare = f"是全体平均（{_format_value(overall_mean, unit)}）的 {ratio:.1f} 倍"
            median_says = "高于" if row["median"] > overall_median else None
        elif ratio <= 1 / min_lift:
            compare = f"仅为全体平均（{_format_value(overall_mean, unit)}）的 {ratio:.0%}"
            median_says = "低于" if row["median"] < overall_median else None
        else:
            continue
        head = f"{group}{group_label}的{measure_label}"
        if median_says:
            lines.append(f"{head}中位数为 {_format_value(row['median'], unit)}，{median_says}全体"
                         f"（{_format_value(overall_median, unit)}）；平均 {_format_value(row['mean'], unit)}，"
                         f"{compare}（{stats}）")
        else:
            lines.append(f"{head}平均 {_format_value(row['mean'], unit)}，{compare}（{stats}）")
    return lines


def cross_specs(frame: pd.DataFrame, segments=("tier", "rfm_class", "cluster_name"),
                attributes=tuple(ATTRIBUTE_LABELS), measures=INTERACTION_MEASURES):
    """The standard ``(pairs, measures)`` for :func:`cross_analyse`: every segment column ×
    every customer attribute, and every interaction measure across every segment, keeping
    only columns that ``frame`` has."""
    segs = [s for s in segments if s in frame]
    pairs = [(s, SEGMENT_LABELS.get(s, ""), a, ATTRIBUTE_LABELS.get(a, a)) for s in segs for a in attributes
             if a in frame]
    tests = [(s, SEGMENT_LABELS.get(s, ""), col, label, unit) for s in segs for col, label, unit in measures
             if col in frame]
    return pairs, tests


# ---------------------------------------------------------------- churn reasons

CHURN_REASON_COLUMNS = ["tier", "churn_reason", "mentions", "customers", "share", "tier_customers",
                        "complaints", "complaints_per_customer"]
CHURN_REASON_LABELS = {"tier": "客户层级", "churn_reason": "流失原因", "mentions": "提及次数",
                       "customers": "提及客户数", "share": "层级内占比", "tier_customers": "层级客户数",
                       "complaints": "投诉次数", "complaints_per_customer": "人均投诉次数"}
UNSEGMENTED = "未分层"


def _empty_reasons(note: str) -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype="string" if c in ("tier", "churn_reason") else "float64")
                        for c in CHURN_REASON_COLUMNS})
    out.attrs["note"] = note
    return out


def churn_reasons(surveys: pd.DataFrame | None, interactions: pd.DataFrame | None,
                  segments: pd.DataFrame, tier_col: str = "tier") -> pd.DataFrame:
    """Survey ``churn_reason`` answers tallied by tier, with each tier's complaint count.

    One row per tier × reason: ``mentions`` (answers), ``customers`` (distinct customers giving
    it) and ``share`` (of the tier's answers that name a reason), plus the tier's size and its
    complaints (投诉 in the interaction log, whole history) and complaints per customer. Tiers
    without any reason answered appear once with a blank reason. Respondents not in
    ``segments`` are counted under 未分层. Without surveys or reasons the frame is empty and
    ``attrs["note"]`` says why.

    Examples
    --------
    >>> seg = pd.DataFrame({"customer_id": ["A", "B"], "tier": ["核心客户", "普通客户"]})
    >>> sv = pd.DataFrame({"customer_id": ["A", "A", "B"], "churn_reason": ["价格竞争", "服务响应慢", None]})
    >>> churn_reasons(sv, None, seg)[["tier", "churn_reason", "mentions", "share"]].values.tolist()
    [['核心客户', '价格竞争', 1, 0.5], ['核心客户', '服务响应慢', 1, 0.5], ['普通客户', <NA>, 0, nan]]
    """
    if surveys is None or len(surveys) == 0:
        return _empty_reasons("没有满意度调查数据，无法统计流失原因。")
    if "churn_reason" not in surveys:
        return _empty_reasons("满意度调查中没有“流失原因”一列，无法统计流失原因。")
    answered = surveys.loc[surveys["churn_reason"].notna(), ["customer_id", "churn_reason"]]
    if answered.empty:
        return _empty_reasons("满意度调查中没有填写流失原因的回答。")
    tier_of = segments.drop_duplicates("customer_id").set_index("customer_id")[tier_col]
    answered = answered.assign(tier=answered["customer_id"].map(tier_of).fillna(UNSEGMENTED).astype("string"),
                               churn_reason=answered["churn_reason"].astype("string").str.strip())
    tally = (answered.groupby(["tier", "churn_reason"])
             .agg(mentions=("customer_id", "size"), customers=("customer_id", "nunique")).reset_index())
    tally["share"] = tally["mentions"] / tally.groupby("tier")["mentions"].transform("sum")

    sizes = segments.drop_duplicates("customer_id")[tier_col].astype("string").value_counts()
    if interactions is not None and len(interactions) and "kind" in interactions:
        complained = interactions.loc[interactions["kind"] == "投诉", "customer_id"]
        complaints = complained.map(tier_of).fillna(UNSEGMENTED).astype("string").value_counts()
    else:
        complaints = pd.Series(dtype="int64")
    tiers = pd.Index(sizes.index).union(pd.Index(tally["tier"].unique()))
    silent = pd.DataFrame({"tier": [t for t in tiers if t not in set(tally["tier"])]})
    out = pd.concat([tally, silent.assign(mentions=0, customers=0)], ignore_index=True)
    out["tier_customers"] = out["tier"].map(sizes).fillna(0).astype("int64")
    out["complaints"] = out["tier"].map(complaints).fillna(0).astype("int64")
    out["complaints_per_customer"] = out["complaints"] / out["tier_customers"].where(out["tier_customers"] > 0)
    order = {t: i for i, t in enumerate(TIER_ORDER + [UNSEGMENTED])}
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
    """:func:`churn_reasons` with Chinese column names, for tables and workbooks."""
    return reasons.rename(columns=CHURN_REASON_LABELS)
