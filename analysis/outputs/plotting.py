"""Charts that render Chinese text, in the kit's house style.

``use_chinese_font()`` registers the Noto Sans CJK SC font that ships inside the ``mplfonts``
package (SIL Open Font License) with matplotlib, so charts show Chinese on any machine —
no system font, no ``mplfonts`` command line. Call it once at the top of a notebook; every
helper below calls it too.

The helpers take a Series/DataFrame plus the labels to show, draw on ``ax`` (a new figure
when ``ax`` is None) and return the Axes. The words they draw themselves (其他, 中位数, 无可用数据
…) come from analysis/vocab/plotting.yml in the run's language; the bundled font draws both.

``plot_backtest_deciles`` and ``plot_backtest_gains`` draw a step's result
(:class:`analysis.steps.backtest.BacktestResult`); their words are the backtest's own
(analysis/vocab/backtest.yml).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter, StrMethodFormatter

from analysis.vocab import text, texts

if TYPE_CHECKING:  # the chart reads a step's result; the step does not import outputs
    from analysis.steps.backtest import BacktestResult

__all__ = [
    "CJK_FONT_FILE",
    "use_chinese_font",
    "plot_share_bar",
    "plot_histogram",
    "plot_crosstab_heatmap",
    "plot_backtest_deciles",
    "plot_backtest_gains",
]

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"

# One accent colour for single-series charts, a muted one for the 其他 bar.
_ACCENT = "#2f6db5"
_MUTED = "#a7b4c2"

_font_name: str | None = None


def _font_path() -> Path:
    # Locate the package folder without importing mplfonts (its import pulls extra modules).
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(text("plotting.error.no_mplfonts"))
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / CJK_FONT_FILE
    if not path.is_file():
        raise RuntimeError(text("plotting.error.no_font_file", path=path))
    return path


def _ensure_inline_backend() -> None:
    """Inside a Jupyter kernel, make sure figures are shown (and so reach the report).

    A kernel inherits ``MPLBACKEND`` from whoever started it; ``MPLBACKEND=Agg`` (set by test
    runners and some CI shells) would make every chart vanish silently from the executed
    notebooks and the HTML report. Only the plain Agg backend is replaced; an analyst's
    ``%matplotlib widget`` or other choice is left alone.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to display into
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return
    if mpl.get_backend().lower() == "agg":
        shell.run_line_magic("matplotlib", "inline")


def use_chinese_font() -> str:
    """Make matplotlib draw Chinese text with the bundled Noto Sans CJK SC font.

    Registers the font file shipped by ``mplfonts`` with matplotlib's font manager, applies a
    clean seaborn theme (white grid, muted palette) and then the font settings, so seaborn
    cannot reset them. ``axes.unicode_minus`` is switched off: the hyphen-minus is drawn
    instead of U+2212 so negative numbers never fall back to another font. Figures default
    to 6 × 3.6 inches at 120 dpi (720 × 432 px): labels stay readable on a 390 px phone.
    Inside a Jupyter kernel whose backend was forced to plain Agg (an inherited
    ``MPLBACKEND=Agg``), it switches to the inline backend so charts still show.
    Safe to call any number of times.

    Returns
    -------
    str
        The font family name, ``"Noto Sans CJK SC"``.

    Examples
    --------
    >>> use_chinese_font()
    'Noto Sans CJK SC'
    >>> import matplotlib as mpl
    >>> mpl.rcParams["font.sans-serif"][0]
    'Noto Sans CJK SC'
    """
    global _font_name
    path = _font_path()
    if _font_name is None:
        registered = {Path(entry.fname) for entry in font_manager.fontManager.ttflist}
        if path not in registered:
            font_manager.fontManager.addfont(str(path))
        _font_name = font_manager.FontProperties(fname=str(path)).get_name()

    _ensure_inline_backend()
    import seaborn as sns  # here, not at import: it pulls in scipy.stats (~1.5 s)

    sns.set_theme(style="whitegrid", palette="muted")
    mpl.rcParams.update({
        "font.family": "sans-serif",
        # DejaVu Sans stays as a per-glyph fallback for the rare symbol Noto lacks.
        "font.sans-serif": [_font_name, "DejaVu Sans"],
        "axes.unicode_minus": False,
        # 6 in at 120 dpi = 720 px: on a 390 px phone 11 pt labels still show at ~9 px.
        "figure.figsize": (6.0, 3.6),
        "figure.dpi": 120,
        "savefig.dpi": 150,
        "savefig.bbox": "tight",
        "figure.facecolor": "white",
        "axes.titlesize": 13,
        "axes.titleweight": "normal",  # the bundled font has one weight
        "axes.titlepad": 10,
        "axes.labelsize": 11,
        "xtick.labelsize": 11,
        "ytick.labelsize": 11,
        "legend.fontsize": 11,
        "legend.frameon": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
    })
    return _font_name


def _new_axes(ax, figsize=None):
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _group_tail(counts: pd.Series, top_n: int) -> pd.Series:
    """Largest ``top_n`` categories, the rest (and any existing 其他) summed as 其他, last."""
    other_label, missing_label = text("plotting.other"), text("plotting.missing")
    counts = counts.copy()
    counts.index = [missing_label if pd.isna(key) else str(key) for key in counts.index]
    counts = counts.groupby(level=0, sort=False).sum()
    other = counts.get(other_label, 0)
    named = counts.drop(other_label, errors="ignore")
    named = named.sort_values(ascending=False, kind="stable")
    other = other + named.iloc[top_n:].sum()
    shown = named.iloc[:top_n]
    if other > 0:
        shown = pd.concat([shown, pd.Series({other_label: other})])
    return shown


def plot_share_bar(counts: pd.Series, *, title: str, ax=None, top_n: int = 10,
                   xlabel: str | None = None):
    """Horizontal bars of counts per category, labelled with count and share.

    The ``top_n`` largest categories are shown by name, largest on top; all other categories,
    together with any category already called 其他, are summed into one 其他 bar at the
    bottom. Shares are of the grand total. A missing (NaN) category is shown as 未填写.
    With nothing counted (no categories, or all counts 0) the chart says 无可用数据.

    Parameters
    ----------
    counts : pd.Series
        Count per category (index = category label), e.g. ``df["地域"].value_counts()``.
    title : str
        Chart title (Chinese).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.
    top_n : int, default 10
        How many categories to show by name.
    xlabel : str, optional
        X-axis label, saying what is counted and the shares' denominator; 客户数（括号内为占全部
        客户的比例） (``plotting.customers_share``) when None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> counts = pd.Series({"华东": 40, "华北": 25, "华南": 20, "西南": 10, "东北": 5})
    >>> ax = plot_share_bar(counts, title="客户地域分布", top_n=3)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['华东', '华北', '华南', '其他']
    >>> ax.texts[-1].get_text()  # 西南 + 东北 = 15 of 100
    '15（15.0%）'
    """
    use_chinese_font()
    if top_n < 1:
        raise ValueError(text("plotting.error.top_n"))
    shown = _group_tail(pd.Series(counts, dtype="float64"), top_n)
    total = float(pd.Series(counts, dtype="float64").sum())
    ax = _new_axes(ax, figsize=(6.0, max(2.5, 0.42 * len(shown) + 1.2)))
    if not total > 0:
        # Nothing counted (e.g. no purchases, so no order channels): say so on the chart.
        return _say_instead(ax, text("plotting.no_data"), title)

    labels = list(shown.index)
    values = shown.to_numpy(dtype=float)
    other_label = text("plotting.other")
    colors = [_MUTED if label == other_label else _ACCENT for label in labels]
    positions = np.arange(len(labels))
    ax.barh(positions, values, color=colors, height=0.65)
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()  # largest on top, 其他 at the bottom

    for pos, value in zip(positions, values):
        share = value / total if total else 0.0
        ax.annotate(
            text("plotting.bar_label", value=value, share=share), (value, pos), xytext=(4, 0),
            textcoords="offset points", va="center", ha="left", fontsize=10, color="#333333",
        )
    # Leave room on the right for the labels.
    ax.set_xlim(0, (values.max() if len(values) else 1) * 1.28)
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_xlabel(text("plotting.customers_share") if xlabel is None else xlabel)
    ax.set_ylabel("")
    ax.grid(axis="y", visible=False)
    ax.set_title(title, loc="left")
    return ax


def plot_histogram(values: pd.Series, *, title: str, xlabel: str, ax=None, log: bool = False,
                   bins: int | str = "auto", ylabel: str | None = None):
    """Histogram of a numeric column, with its median marked.

    Missing values are dropped. With ``log=True`` the x axis is logarithmic with
    log-spaced bins, for skewed amounts such as spend in 元; values ≤ 0 cannot be shown on a
    log axis and are left out (the legend says how many).

    Parameters
    ----------
    values : pd.Series
        The numbers to bin, e.g. spend per customer (元) or days since last purchase.
    title, xlabel : str
        Chart title and x-axis label (Chinese, with the unit, e.g. ``"累计消费（元）"``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.
    log : bool, default False
        Logarithmic x axis.
    bins : int or str, default "auto"
        Number of bins, or a numpy rule name.
    ylabel : str, optional
        Y-axis label; 客户数 (``plotting.customers``) when None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = plot_histogram(pd.Series([1, 2, 2, 3, 3, 3]), title="购买次数分布",
    ...                     xlabel="购买次数（次）", bins=3)
    >>> [float(p.get_height()) for p in ax.patches]
    [1.0, 2.0, 3.0]
    """
    use_chinese_font()
    ax = _new_axes(ax)
    data = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(dtype=float)
    dropped = 0
    if log:
        dropped = int((data <= 0).sum())
        data = data[data > 0]
    if len(data) == 0:
        return _say_instead(ax, text("plotting.no_data"), title)

    if log:
        low, high = np.log10(data.min()), np.log10(data.max())
        n_bins = bins if isinstance(bins, int) else 30
        edges = np.logspace(low, high if high > low else low + 1, n_bins + 1)
        ax.hist(data, bins=edges, color=_ACCENT, edgecolor="white", linewidth=0.6)
        ax.set_xscale("log")
    else:
        ax.hist(data, bins=bins, color=_ACCENT, edgecolor="white", linewidth=0.6)

    median = float(np.median(data))
    # counts and days are whole numbers, so is their median (45.5 days reads as 46)
    whole = abs(median) >= 100 or bool(np.all(data == np.round(data)))
    label = text("plotting.median_whole" if whole else "plotting.median_decimal", median=median)
    ax.axvline(median, color="#d9822b", linestyle="--", linewidth=1.5, label=label)
    if dropped:
        ax.plot([], [], " ", label=text("plotting.not_shown", n=dropped))
    ax.legend(loc="best")
    ax.xaxis.set_major_formatter(FuncFormatter(_format_tick))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(text("plotting.customers") if ylabel is None else ylabel)
    ax.set_title(title, loc="left")
    return ax


def _format_tick(x, _pos=None) -> str:
    # Thousands separators, no trailing ".0", and small log-axis ticks (0.1) stay readable.
    if abs(x) >= 1 or x == 0:
        return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"
    return f"{x:g}"


def plot_crosstab_heatmap(table: pd.DataFrame, *, title: str, ax=None, fmt: str = ".0%",
                          cmap: str = "Blues", anchor_zero: bool = True):
    """Heatmap of a crosstab with every cell annotated.

    Row and column labels come from the table's index and columns; their ``.name``, when
    set, labels the axes. For a table without negative values the colour scale starts at 0,
    so 47% and 53% look alike — as they should — instead of spanning the whole palette.

    Parameters
    ----------
    table : pd.DataFrame
        Numeric crosstab, e.g. ``pd.crosstab(df["客户层级"], df["渠道"], normalize="index")``.
    title : str
        Chart title (Chinese).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.
    fmt : str, default ".0%"
        Format spec for the annotations: ``".0%"`` for shares, ``",.0f"`` for counts.
    cmap : str, default "Blues"
        Matplotlib colour map.
    anchor_zero : bool, default True
        Start the colour scale at 0 (ignored when the table has negative values).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> table = pd.DataFrame({"线上": [0.2, 0.7], "线下": [0.8, 0.3]},
    ...                      index=pd.Index(["高价值", "基础价值"], name="价值分层"))
    >>> ax = plot_crosstab_heatmap(table, title="价值分层 × 渠道")
    >>> [t.get_text() for t in ax.texts]
    ['20%', '80%', '70%', '30%']
    """
    use_chinese_font()
    n_rows, n_cols = table.shape
    ax = _new_axes(ax, figsize=(max(5.0, 1.0 * n_cols + 2.5), max(2.8, 0.5 * n_rows + 1.5)))
    data = table.astype(float)
    if data.size == 0 or data.isna().all().all():
        # Nothing to cross (e.g. the export has no channel column): say so on the chart.
        return _say_instead(ax, text("plotting.no_crosstab_data"), title)
    vmin = 0.0 if anchor_zero and bool((data.fillna(0) >= 0).all().all()) else None
    import seaborn as sns  # here, not at import: it pulls in scipy.stats

    sns.heatmap(
        data, ax=ax, annot=True, fmt=fmt, vmin=vmin, cmap=cmap, linewidths=0.8, linecolor="white",
        cbar_kws={"shrink": 0.8}, annot_kws={"fontsize": 10},
    )
    if fmt.endswith("%"):
        colorbar = ax.collections[0].colorbar
        colorbar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0%}"))
    ax.set_xlabel("" if table.columns.name is None else str(table.columns.name))
    ax.set_ylabel("" if table.index.name is None else str(table.index.name))
    longest = max((len(str(c)) for c in table.columns), default=0)
    if n_cols * longest > 20:  # long labels under narrow cells would overlap
        plt.setp(ax.get_xticklabels(), rotation=25, ha="right", rotation_mode="anchor")
    ax.tick_params(axis="y", rotation=0)
    ax.set_title(title, loc="left")
    return ax


def _say_instead(ax, message: str, title: str | None = None):
    """An empty chart that says why in its middle (no data, no model); the Axes."""
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, transform=ax.transAxes)
    ax.set_axis_off()
    if title is not None:
        ax.set_title(title, loc="left")
    return ax


def _no_model(result: BacktestResult) -> str:
    return text("backtest.plot.no_model", message=str(result.model_status.get("message", "")))


def plot_backtest_deciles(result: BacktestResult, ax=None, *, title: str | None = None):
    """Mean predicted against mean actual purchases per decile of the prediction (grouped bars).

    Without a fitted model the Axes states why instead. Returns the Axes.
    """
    use_chinese_font()
    ax = _new_axes(ax)
    ax.set_title(title or text("backtest.plot.title", cutoff=result.cutoff, days=result.horizon_days))
    deciles = result.deciles
    if deciles is None or deciles.empty:
        return _say_instead(ax, _no_model(result))
    label, total = texts("backtest.decile"), texts("backtest.total")
    positions = np.arange(len(deciles))
    width = 0.4
    ax.bar(positions - width / 2, deciles[label["mean_predicted"]], width, label=total["predicted"], color="#2f6db5")
    ax.bar(positions + width / 2, deciles[label["mean_actual"]], width, label=total["actual"], color="#e08a3c")
    ax.set_xticks(positions, [str(i) for i in deciles.index])
    ax.set_xlabel(text("backtest.plot.x_label"))
    ax.set_ylabel(text("backtest.plot.y_label"))
    ax.legend(frameon=False)
    return ax


def plot_backtest_gains(result: BacktestResult, ax=None, *, title: str | None = None):
    """Gain chart of the backtest: the share of all customers who stopped buying that a list cut
    from the top of the model's ranking reaches (``result.gains``, cumulative, from (0, 0)),
    against the share of customers on the list — and the same ranked by risk alone when the
    table has it; the diagonal is a random list, and each warning of ``result.warnings`` is a
    point (share of customers it warned, its recall).

    Without a fitted model the Axes states why instead. Returns the Axes.
    """
    use_chinese_font()
    ax = _new_axes(ax)
    ax.set_title(title or text("backtest.gain_plot.title", cutoff=result.cutoff, days=result.horizon_days))
    gains = result.gains
    if gains is None or gains.empty:
        return _say_instead(ax, _no_model(result))
    label, column = texts("backtest.gain"), texts("backtest.column")
    x = np.concatenate([[0.0], gains[label["cum_customer_share"]].to_numpy(dtype=float)])
    y = np.concatenate([[0.0], gains[label["cum_stopped_share"]].to_numpy(dtype=float)])
    ax.plot([0, 1], [0, 1], linestyle="--", color=_MUTED, label=text("backtest.gain_plot.random"))
    ax.plot(x, y, marker="o", color=_ACCENT, label=text("backtest.gain_plot.model"))
    if label["cum_stopped_share_by_risk"] in gains:
        y_risk = np.concatenate([[0.0], gains[label["cum_stopped_share_by_risk"]].to_numpy(dtype=float)])
        ax.plot(x, y_risk, marker=".", linestyle=":", color="#e08a3c", label=text("backtest.gain_plot.by_risk"))
    n = len(result.customers)
    markers = iter(["s", "^", "D", "v", "P"])
    for name, row in result.warnings.iterrows():
        ax.scatter([row[column["warned"]] / n if n else np.nan], [row[column["recall"]]], marker=next(markers, "o"),
                   s=60, zorder=3, label=str(name))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(text("backtest.gain_plot.x_label"))
    ax.set_ylabel(text("backtest.gain_plot.y_label"))
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax
