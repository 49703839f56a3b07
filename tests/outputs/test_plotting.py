"""Chinese-capable charts: the bundled font, the helpers' bars worked out by hand, and the backtest's
decile and gain charts on its hand-worked customers."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.ft2font import FT2Font  # noqa: E402

import analysis.steps.backtest as bt  # noqa: E402
from analysis.outputs.plotting import (  # noqa: E402
    CJK_FONT_FILE,
    plot_backtest_deciles,
    plot_backtest_gains,
    plot_crosstab_heatmap,
    plot_histogram,
    plot_share_bar,
    use_chinese_font,
)
from analysis.steps.backtest import backtest  # noqa: E402
# The backtest's six hand-worked customers (the fixture) and its stand-in for a fitted model.
from tests.steps.test_backtest import AS_OF, BETTER, PARAMS, ROLES, _fake_model, tables  # noqa: E402, F401


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _bundled_entries() -> list[str]:
    return [e.name for e in font_manager.fontManager.ttflist
            if Path(e.fname).name == CJK_FONT_FILE]


def _glyph_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught
            if "Glyph" in str(w.message) or "missing from" in str(w.message)]


def _draw_chinese_figure() -> bytes:
    fig, ax = plt.subplots()
    ax.bar(["华东", "华北", "西南"], [-1200.5, 3400, 56])
    ax.set_title("各大区累计消费（¥）同比 -12.5% ，占比 40%")
    ax.set_xlabel("大区")
    ax.set_ylabel("金额（元）")
    ax.set_yticks([-2000, 0, 2000, 4000], ["-¥2,000", "¥0", "¥2,000", "¥4,000"])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def test_use_chinese_font_registers_the_bundled_noto_font():
    name = use_chinese_font()
    assert name == "Noto Sans CJK SC"
    assert mpl.rcParams["font.sans-serif"][0] == name
    assert mpl.rcParams["font.family"] == ["sans-serif"]
    assert mpl.rcParams["axes.unicode_minus"] is False
    assert name in _bundled_entries()
    # Whichever file matplotlib resolves the name to, it draws Chinese.
    resolved = font_manager.findfont(font_manager.FontProperties(family=name),
                                     fallback_to_default=False)
    assert ord("客") in FT2Font(resolved).get_charmap()


def test_use_chinese_font_is_idempotent():
    use_chinese_font()
    before = len(font_manager.fontManager.ttflist)
    assert use_chinese_font() == use_chinese_font()
    assert len(font_manager.fontManager.ttflist) == before
    names = _bundled_entries()
    assert len(names) == len(set(names))  # matplotlib lists the file once per family name


def test_chinese_text_numbers_yen_percent_and_minus_draw_without_glyph_warnings():
    use_chinese_font()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = _draw_chinese_figure()
    assert png.startswith(b"\x89PNG")
    assert _glyph_warnings(caught) == []


def test_the_glyph_check_would_catch_a_font_without_chinese():
    # Guard against a vacuous pass: with DejaVu Sans only, the same figure must warn.
    with mpl.rc_context({"font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _draw_chinese_figure()
    assert _glyph_warnings(caught)


def test_helpers_draw_without_glyph_warnings():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for ax in (
            plot_share_bar(pd.Series({"制造业": 35, "批发和零售业": 20}), title="行业分布"),
            plot_histogram(pd.Series([-5.0, 0.0, 120.0, 3500.0, 98000.0]), title="消费分布",
                           xlabel="累计消费（元）", log=True),
            plot_crosstab_heatmap(pd.DataFrame({"线上": [0.2], "线下": [0.8]},
                                               index=["高价值"]), title="渠道偏好"),
        ):
            ax.figure.savefig(io.BytesIO(), format="png")
    assert _glyph_warnings(caught) == []


def test_share_bar_groups_the_tail_and_existing_other_into_one_bar():
    counts = pd.Series({"华东": 40, "华北": 25, "其他": 7, "华南": 20, "西南": 5, "东北": 3})
    ax = plot_share_bar(counts, title="客户地域分布", top_n=3)
    # top 3 by count: 华东 40, 华北 25, 华南 20; 其他 = 7 (already 其他) + 5 + 3 = 15; total 100
    assert [t.get_text() for t in ax.get_yticklabels()] == ["华东", "华北", "华南", "其他"]
    assert [p.get_width() for p in ax.patches] == [40, 25, 20, 15]
    assert [t.get_text() for t in ax.texts] == [
        "40（40.0%）", "25（25.0%）", "20（20.0%）", "15（15.0%）"]
    assert ax.get_title(loc="left") == "客户地域分布"


def test_share_bar_without_tail_has_no_other_bar_and_names_missing():
    counts = pd.Series([6, 3, 1], index=["中小企业", "个人", np.nan])
    ax = plot_share_bar(counts, title="企业规模", top_n=10)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["中小企业", "个人", "未填写"]
    assert len(ax.patches) == 3
    assert ax.texts[0].get_text() == "6（60.0%）"


def test_share_bar_draws_on_a_given_axes():
    fig, axes = plt.subplots(1, 2)
    ax = plot_share_bar(pd.Series({"线上": 3, "线下": 1}), title="渠道", ax=axes[1])
    assert ax is axes[1] and len(fig.axes) == 2


def test_histogram_bins_and_median():
    ax = plot_histogram(pd.Series([1, 2, 2, 3, 3, 3, None]), title="购买次数分布",
                        xlabel="购买次数（次）", bins=3)
    assert [float(p.get_height()) for p in ax.patches] == [1.0, 2.0, 3.0]
    # median of 1, 2, 2, 3, 3, 3 = 2.5; counts are whole numbers, so is the median shown
    # (str.format rounds half to even: 2)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["中位数 2"]
    assert ax.get_xlabel() == "购买次数（次）"


def test_histogram_median_of_fractions_keeps_two_decimals():
    ax = plot_histogram(pd.Series([0.5, 1.25, 2.0, 3.5]), title="客龄", xlabel="年", bins=2)
    # median of 0.5, 1.25, 2.0, 3.5 = (1.25 + 2.0) / 2 = 1.625
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["中位数 1.62"]


def test_histogram_log_axis_reports_values_it_cannot_show():
    ax = plot_histogram(pd.Series([-5.0, 0.0, 10.0, 100.0, 1000.0]), title="消费分布",
                        xlabel="累计消费（元）", log=True, bins=3)
    assert ax.get_xscale() == "log"
    assert sum(float(p.get_height()) for p in ax.patches) == 3
    assert "未显示 2 个 ≤0 的值" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_crosstab_heatmap_annotates_every_cell():
    table = pd.DataFrame({"线上": [0.2, 0.65], "线下": [0.8, 0.35]},
                         index=pd.Index(["高价值", "基础价值"], name="价值分层"))
    table.columns.name = "渠道"
    ax = plot_crosstab_heatmap(table, title="价值分层 × 渠道")
    assert [t.get_text() for t in ax.texts] == ["20%", "80%", "65%", "35%"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("渠道", "价值分层")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["高价值", "基础价值"]
    counts = plot_crosstab_heatmap(pd.DataFrame({"线上": [1200, 30]}), title="人数", fmt=",.0f")
    assert [t.get_text() for t in counts.texts] == ["1,200", "30"]


def test_heatmap_of_an_empty_table_says_so():
    import pandas as pd

    from analysis.outputs.plotting import plot_crosstab_heatmap

    ax = plot_crosstab_heatmap(pd.DataFrame(), title="价值带 × 渠道")
    assert [t.get_text() for t in ax.texts] == ["没有可用于交叉的数据"]


@pytest.mark.parametrize("counts", [
    pd.Series(dtype="int64"),                     # no categories at all
    pd.Series({"（数据中没有此列）": 0}),            # e.g. order channels when nothing was bought
])
def test_share_bar_with_nothing_counted_says_so_without_warnings(counts):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "identical low and high xlims" warning
        ax = plot_share_bar(counts, title="订单渠道分布")
    assert [t.get_text() for t in ax.texts] == ["无可用数据"]
    assert not ax.patches and ax.get_title(loc="left") == "订单渠道分布"


def test_english_run_draws_english_words():
    from analysis.vocab import language

    with language("en"):
        ax = plot_share_bar(pd.Series({"East": 40, "North": 25, "South": 20, None: 15}),
                            title="Customers by region", top_n=2)
        assert [t.get_text() for t in ax.get_yticklabels()] == ["East", "North", "Other"]
        assert ax.texts[-1].get_text() == "35 (35.0%)"
        assert ax.get_xlabel() == "Customers (in brackets the share of all customers)"
        hist = plot_histogram(pd.Series([-1.0, 10.0, 100.0, 1000.0]), title="Spend",
                              xlabel="Total spend (CNY)", log=True, bins=3)
        assert [t.get_text() for t in hist.get_legend().get_texts()] == [
            "Median 100", "1 not shown (≤ 0)"]
        assert hist.get_ylabel() == "Customers"
        empty = plot_crosstab_heatmap(pd.DataFrame(), title="Tier × channel")
        assert [t.get_text() for t in empty.texts] == ["No data to cross-tabulate"]


def test_backtest_deciles_bar_predicted_against_actual(tables, monkeypatch):
    monkeypatch.setattr(bt, "churn_model", _fake_model([]))
    result = backtest(*tables, AS_OF, PARAMS, ROLES)
    # six customers -> six deciles of one, two bars each (predicted, actual)
    ax = plot_backtest_deciles(result)
    assert len(ax.patches) == 12 and "回测" in ax.get_title()


def test_backtest_deciles_without_model_explains_why(tables):
    ax = plot_backtest_deciles(backtest(*tables, AS_OF, PARAMS, ROLES))
    assert "模型未拟合" in ax.texts[0].get_text()


def test_backtest_deciles_in_english(tables):
    from analysis.vocab import language

    with language("en"):
        result = backtest(*tables, AS_OF, PARAMS, ROLES)
        ax = plot_backtest_deciles(result)
        assert ax.texts[0].get_text().startswith("No model fitted")


def test_backtest_gains_curves_and_warning_points(tables, monkeypatch):
    monkeypatch.setattr(bt, "churn_model", _fake_model([], BETTER))
    result = backtest(*tables, AS_OF, PARAMS, ROLES)
    ax = plot_backtest_gains(result)
    random, model, by_risk = ax.get_lines()
    assert random.get_xydata().tolist() == [[0, 0], [1, 1]]
    # the warning list's order A, E, D, B, C, F with A, E, C stopped: one of the 3 at each of A, E and C
    sixths = [0, 1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 1]
    assert model.get_xdata() == pytest.approx(sixths)
    assert model.get_ydata() == pytest.approx([0, 1 / 3, 2 / 3, 2 / 3, 2 / 3, 1, 1])
    # by risk alone D, A, E, C, B, F
    assert by_risk.get_ydata() == pytest.approx([0, 0, 1 / 3, 2 / 3, 1, 1, 1])
    # the warnings as points (share warned, recall): the rule A, B; the model its top 10%, A; either A, B
    points = np.array([c.get_offsets()[0] for c in ax.collections])
    assert points.ravel() == pytest.approx([2 / 6, 1 / 3, 1 / 6, 1 / 3, 2 / 6, 1 / 3])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "随机名单", "模型排名（预警名单的排序）", "按风险（不计价值）排名", "90天规则", "MBG/NBD模型（风险×历史消费前 10%）",
        "规则或模型（组合）"]
    assert ax.get_title().startswith("回测：按模型排名预警覆盖的未再购买客户（截点 2026-05-04，随后 90 天）")


def test_backtest_gains_without_model_explains_why(tables):
    ax = plot_backtest_gains(backtest(*tables, AS_OF, PARAMS, ROLES))
    assert ax.texts[0].get_text().startswith("模型未拟合") and not ax.get_lines()


def test_backtest_gains_in_english(tables, monkeypatch):
    from analysis.vocab import language

    monkeypatch.setattr(bt, "churn_model", _fake_model([], BETTER))
    with language("en"):
        ax = plot_backtest_gains(backtest(*tables, AS_OF, PARAMS, ROLES))
        assert ax.get_xlabel() == "Share of customers warned, top of the ranking first"
        assert [t.get_text() for t in ax.get_legend().get_texts()][:3] == [
            "Random list", "Model's ranking (the warning list's order)", "Ranked by risk alone"]
