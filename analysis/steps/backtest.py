"""Step 04 — backtest: segment on the past, score against what customers did next.

History is split at a cutoff ``churn.backtest_cutoff_days`` before the as-of date. On the
orders up to the cutoff the kit computes RFM and tiers (:mod:`analysis.steps.segment`), the 90-day
rule and the BG/NBD + Gamma-Gamma models (:mod:`analysis.steps.churn`), exactly as a run on that day
would have. The next ``churn.horizon_days`` then show what happened:

* did warned customers stop buying? — precision and recall of "no purchase in the next N
  days" for the rule alone, the model alone and the two combined;
* what share of next-period revenue did each tier bring, against its share of customers?
* were the predicted purchases right? — in total and by decile of the prediction.

The population is every customer with at least one purchase on or before the cutoff;
customers whose first purchase comes later cannot have been segmented and are counted apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.steps.churn import churn_model, churn_warnings
from analysis.steps.segment import TIER_ORDER, assign_tiers, compute_rfm, score_rfm, tier_features

__all__ = ["BacktestResult", "backtest", "plot_backtest_deciles"]


@dataclass
class BacktestResult:
    """What :func:`backtest` found; the tables carry Chinese column labels.

    Attributes
    ----------
    cutoff, end : pd.Timestamp
        Segmentation day and the last day of the scored period (cutoff, end].
    horizon_days : int
        Length of the scored period in days (shorter than asked when it would pass the as-of date).
    warnings : pd.DataFrame
        Precision and recall of each warning for "no purchase in the period", one row per warning.
    tiers : pd.DataFrame
        Per tier (cutoff tiers): customers, their share, who bought, next-period revenue and its share.
    totals : pd.DataFrame
        Predicted against actual purchases (distinct purchase days) and spend (元); empty
        when the model was not fitted.
    deciles : pd.DataFrame
        The same per customer decile of predicted purchases (1 = fewest); empty without a model.
    customers : pd.DataFrame
        Per customer: tier at the cutoff, the warnings, the model's predictions and what happened.
    rule_by_model : pd.DataFrame
        The rule's warnings split by the model's P(active): does the model tell the warned
        customers who really stopped from those who did not? Empty without a model.
    model_status : dict
        :func:`analysis.steps.churn.churn_model`'s status for the fit at the cutoff.
    findings : list[str]
        Plain-language sentences with the numbers, for the notebook and the report.
    """

    cutoff: pd.Timestamp
    end: pd.Timestamp
    horizon_days: int
    warnings: pd.DataFrame
    tiers: pd.DataFrame
    totals: pd.DataFrame
    deciles: pd.DataFrame
    customers: pd.DataFrame
    model_status: dict
    rule_by_model: pd.DataFrame = field(default_factory=pd.DataFrame)
    new_customers: int = 0
    new_customer_revenue: float = 0.0
    findings: list[str] = field(default_factory=list)


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else float("nan")


def _warning_row(name: str, warned: pd.Series, stopped: pd.Series, worth: pd.Series) -> dict:
    hits = warned & stopped
    return {
        "预警方式": name,
        "预警客户数": int(warned.sum()),
        "其中未再购买": int(hits.sum()),
        "精确率": _ratio(hits.sum(), warned.sum()),
        "召回率": _ratio(hits.sum(), stopped.sum()),
        "召回率(达消费门槛客户)": _ratio((hits & worth).sum(), (stopped & worth).sum()),
    }


def _tier_table(frame: pd.DataFrame) -> pd.DataFrame:
    revenue = frame["actual_revenue"]
    grouped = frame.groupby("tier", observed=True)
    n = grouped.size()
    table = pd.DataFrame({
        "客户数": n,
        "客户占比": n / len(frame),
        "下期购买客户占比": grouped["bought_next"].mean(),
        "下期消费(元)": grouped["actual_revenue"].sum(),
        "下期消费占比": grouped["actual_revenue"].sum() / revenue.sum() if revenue.sum() else np.nan,
        "人均下期消费(元)": grouped["actual_revenue"].mean(),
    })
    table["消费占比/客户占比"] = table["下期消费占比"] / table["客户占比"]
    order = [t for t in TIER_ORDER if t in table.index] + [t for t in table.index if t not in TIER_ORDER]
    return table.reindex(order).rename_axis("截点时客户层级")


def _decile_table(frame: pd.DataFrame) -> pd.DataFrame:
    n_groups = min(10, len(frame))
    group = pd.qcut(frame["expected_purchases"].rank(method="first"), n_groups, labels=range(1, n_groups + 1))
    grouped = frame.groupby(group, observed=True)
    table = pd.DataFrame({
        "客户数": grouped.size(),
        "平均预测购买次数": grouped["expected_purchases"].mean(),
        "平均实际购买次数": grouped["actual_purchases"].mean(),
        "预测购买次数合计": grouped["expected_purchases"].sum(),
        "实际购买次数合计": grouped["actual_purchases"].sum(),
        "平均仍活跃概率": grouped["p_alive"].mean(),
        "下期购买客户占比": grouped["bought_next"].mean(),
    })
    return table.rename_axis("预测分组(1=最低)")


def _rule_by_model(frame: pd.DataFrame, threshold: float) -> pd.DataFrame:
    warned = frame[frame["rule_warning"]]
    # the model judges only repeat buyers: P(active) is exactly 1 after a single purchase
    band = np.select([warned["frequency"] == 0, warned["p_alive"] < threshold],
                     ["仅购买一次（模型不判断）", f"仍活跃概率<{threshold:.0%}"], f"仍活跃概率≥{threshold:.0%}")
    stopped = ~warned["bought_next"]
    grouped = stopped.groupby(band)
    table = pd.DataFrame({"预警客户数": grouped.size(), "其中未再购买": grouped.sum().astype(int)})
    table["精确率"] = table["其中未再购买"] / table["预警客户数"]
    order = [f"仍活跃概率<{threshold:.0%}", f"仍活跃概率≥{threshold:.0%}", "仅购买一次（模型不判断）"]
    return table.reindex([o for o in order if o in table.index]).rename_axis("规则预警客户按模型分组")


def backtest(orders: pd.DataFrame, customers: pd.DataFrame, as_of, params: dict) -> BacktestResult:
    """Segment and warn at ``as_of − churn.backtest_cutoff_days``; score the next ``churn.horizon_days``.

    ``orders`` and ``customers`` are the cleaned tables; ``params`` the resolved params (groups
    ``rfm``, ``tiers`` and ``churn`` are used). A customer "stopped buying" when they made no
    purchase in (cutoff, cutoff + horizon]; purchases are counted as distinct purchase days and
    revenue is net spend (returns included) in 元. The period is cut at ``as_of`` when the
    cutoff is less than ``horizon_days`` before it (and the shortening is stated in ``findings``).
    Never raises because the model cannot be fitted: the model rows are then empty and the
    reason is in ``model_status["message"]``.
    """
    as_of = pd.Timestamp(as_of).normalize()
    churn = params["churn"]
    tiers = params["tiers"]
    cutoff = as_of - pd.Timedelta(days=int(churn["backtest_cutoff_days"]))
    asked = int(churn["horizon_days"])
    end = min(cutoff + pd.Timedelta(days=asked), as_of)
    horizon = int((end - cutoff).days)
    notes = []
    if horizon < asked:
        notes.append(f"截点距分析基准日仅 {horizon} 天，评估期由 {asked} 天缩短为 {horizon} 天")

    day = orders["order_date"].dt.normalize()
    history = orders[day <= cutoff]
    future = orders[(day > cutoff) & (day <= end)]
    buyers = pd.Index(history.loc[history["is_purchase"], "customer_id"].unique(), name="customer_id")
    known = customers.drop_duplicates("customer_id")
    population = pd.DataFrame({"customer_id": buyers}).merge(known, on="customer_id", how="left")

    rfm = score_rfm(compute_rfm(history, population, cutoff, int(params["rfm"]["window_months"])))
    features, _ = assign_tiers(tier_features(rfm, population), tiers["rules"],
                               churn_days=tiers["churn_days"], churn_min_spend=tiers["churn_min_spend"])
    model_frame, status = churn_model(history, cutoff, {**churn, "horizon_days": horizon},
                                      rule_days=tiers["churn_days"])
    rule = churn_warnings(features, None, days=tiers["churn_days"], min_spend=tiers["churn_min_spend"])
    combined = churn_warnings(features, model_frame, days=tiers["churn_days"], min_spend=tiers["churn_min_spend"],
                              p_alive_threshold=churn["p_alive_threshold"])

    bought = future[future["is_purchase"]]
    actual_purchases = bought.groupby("customer_id")["order_date"].nunique()
    actual_revenue = future.groupby("customer_id")["net_amount"].sum()
    by_id = model_frame.set_index("customer_id")
    frame = pd.DataFrame({
        "customer_id": features["customer_id"].to_numpy(),
        "tier": features["tier"].to_numpy(),
        "total_spend": features["total_spend"].to_numpy(),
        "rule_warning": rule["rule_warning"].to_numpy(),
        "model_warning": combined["model_warning"].to_numpy(),
        "churn_warning": combined["churn_warning"].to_numpy(),
    })
    frame["frequency"] = frame["customer_id"].map(by_id["frequency"]).astype(float)
    frame["p_alive"] = frame["customer_id"].map(by_id["p_alive"]).astype(float)
    frame["expected_purchases"] = frame["customer_id"].map(by_id["expected_purchases"]).astype(float)
    frame["predicted_spend"] = frame["expected_purchases"] * frame["customer_id"].map(by_id["expected_spend"])
    frame["actual_purchases"] = frame["customer_id"].map(actual_purchases).fillna(0).astype(float)
    frame["actual_revenue"] = frame["customer_id"].map(actual_revenue).fillna(0.0).astype(float)
    frame["bought_next"] = frame["actual_purchases"] > 0

    stopped = ~frame["bought_next"]
    worth = frame["total_spend"] >= tiers["churn_min_spend"]
    threshold = churn["p_alive_threshold"]
    rows = [_warning_row(f"{tiers['churn_days']}天规则", frame["rule_warning"], stopped, worth)]
    if status["fitted"]:
        rows.append(_warning_row(f"模型（仍活跃概率<{threshold:.0%}）", frame["model_warning"], stopped, worth))
        rows.append(_warning_row("规则或模型（组合）", frame["churn_warning"], stopped, worth))
    warnings = pd.DataFrame(rows).set_index("预警方式")
    warnings["全体未再购买率"] = _ratio(stopped.sum(), len(frame))

    if status["fitted"]:
        totals = pd.DataFrame({
            "预测": [frame["expected_purchases"].sum(), frame["predicted_spend"].sum()],
            "实际": [frame["actual_purchases"].sum(), frame["actual_revenue"].sum()],
        }, index=pd.Index(["购买次数(按天计)", "消费(元)"], name="指标"))
        totals["差异率"] = (totals["预测"] - totals["实际"]) / totals["实际"].where(totals["实际"] != 0)
        deciles = _decile_table(frame) if len(frame) else pd.DataFrame()
    else:
        totals = pd.DataFrame(columns=["预测", "实际", "差异率"])
        deciles = pd.DataFrame()

    rule_by_model = _rule_by_model(frame, threshold) if status["fitted"] else pd.DataFrame()
    new_ids = set(bought["customer_id"].unique()) - set(buyers)
    new_revenue = float(future[future["customer_id"].isin(new_ids)]["net_amount"].sum())
    result = BacktestResult(cutoff=cutoff, end=end, horizon_days=horizon, warnings=warnings,
                            tiers=_tier_table(frame) if len(frame) else pd.DataFrame(), totals=totals,
                            deciles=deciles, customers=frame, model_status=status, rule_by_model=rule_by_model,
                            new_customers=len(new_ids), new_customer_revenue=new_revenue)
    result.findings = notes + _findings(result, tiers["churn_days"])
    return result


def _findings(result: BacktestResult, rule_days: int) -> list[str]:
    lines = []
    span = f"{result.cutoff:%Y-%m-%d} 截点后 {result.horizon_days} 天"
    n = len(result.customers)
    if n == 0:
        return [f"{result.cutoff:%Y-%m-%d} 之前没有购买记录，无法回测"]
    base = result.warnings["全体未再购买率"].iloc[0]
    lines.append(f"截点前有购买的 {n:,} 位客户中，{base:.0%} 在{span}内未再购买")
    for name, row in result.warnings.iterrows():
        if row["预警客户数"]:
            lines.append(f"{name}预警 {int(row['预警客户数']):,} 位，其中 {row['精确率']:.0%} 在{span}内确实未再购买"
                         f"（精确率），覆盖全部未再购买客户的 {row['召回率']:.0%}（召回率）")
        else:
            lines.append(f"{name}没有预警任何客户")
    if not result.model_status["fitted"]:
        lines.append(f"模型回测未进行：{result.model_status['message']}")
    elif len(result.rule_by_model):
        parts = [f"{band}的 {int(row['预警客户数']):,} 位中 {row['精确率']:.0%}"
                 for band, row in result.rule_by_model.iterrows()]
        lines.append(f"{rule_days}天规则预警的客户按模型分组，未再购买的比例：" + "；".join(parts))
    tiers = result.tiers
    if len(tiers) and tiers["下期消费(元)"].sum() > 0:
        # the tier whose revenue share most exceeds its share of customers
        top = tiers["消费占比/客户占比"].idxmax()
        lines.append(f"{top}占客户的 {tiers.loc[top, '客户占比']:.1%}，贡献了随后 {result.horizon_days} 天消费的 "
                     f"{tiers.loc[top, '下期消费占比']:.1%}")
    if len(result.totals):
        row = result.totals.loc["购买次数(按天计)"]
        lines.append(f"模型预测{span}共购买 {row['预测']:,.0f} 次，实际 {row['实际']:,.0f} 次"
                     + (f"（差异 {row['差异率']:+.0%}）" if pd.notna(row["差异率"]) else ""))
    if result.new_customers:
        lines.append(f"另有 {result.new_customers:,} 位新客户在截点后首次购买，消费 {result.new_customer_revenue:,.0f} 元，"
                     "不在回测范围内")
    return lines


def plot_backtest_deciles(result: BacktestResult, ax=None, *, title: str | None = None):
    """Mean predicted against mean actual purchases per decile of the prediction (grouped bars).

    Without a fitted model the Axes states why instead. Returns the Axes.
    """
    import matplotlib.pyplot as plt

    from analysis.outputs.plotting import use_chinese_font

    use_chinese_font()
    if ax is None:
        _, ax = plt.subplots()
    ax.set_title(title or f"回测：预测与实际购买次数（截点 {result.cutoff:%Y-%m-%d}，随后 {result.horizon_days} 天）")
    deciles = result.deciles
    if deciles is None or deciles.empty:
        ax.text(0.5, 0.5, "模型未拟合，无预测可比较\n" + str(result.model_status.get("message", "")),
                ha="center", va="center", wrap=True, transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    positions = np.arange(len(deciles))
    width = 0.4
    ax.bar(positions - width / 2, deciles["平均预测购买次数"], width, label="预测", color="#2f6db5")
    ax.bar(positions + width / 2, deciles["平均实际购买次数"], width, label="实际", color="#e08a3c")
    ax.set_xticks(positions, [str(i) for i in deciles.index])
    ax.set_xlabel("按预测购买次数分组（1 = 预测最少，10 = 最多）")
    ax.set_ylabel("人均购买次数（按天计）")
    ax.legend(frameon=False)
    return ax
