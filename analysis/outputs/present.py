"""Small helpers that turn results into what a manager reads in the notebook and report."""

from __future__ import annotations

import re

import pandas as pd
from IPython.display import Markdown

from analysis.reference.report_tables import RATE_COLUMN
from analysis.vocab import all_labels, text

__all__ = ["bullets", "table", "sections", "setting", "setting_name", "setting_value", "progress",
           "progress_of"]

# How a setting's value reads: a unit name (settings.unit.<unit>) per kind of value.
UNITS = ("days", "months", "customers", "yuan", "share")


def setting_name(key: str) -> str:
    """What a reader calls the parameter ``key`` (``churn.horizon_days`` → 流失预测期): the label
    table ``analysis/vocab/settings.yml``. The key itself never reaches the report.

    Examples
    --------
    >>> setting_name("rfm.window_months")
    'RFM 统计窗口'
    """
    return text(f"settings.{key}")


def setting_value(key: str, value, unit: str = "") -> str:
    """The value of parameter ``key`` as a reader says it: in ``unit`` (one of :data:`UNITS`),
    a named choice (``settings.<key>.<value>``), a list joined, or 未设置 for none.

    Examples
    --------
    >>> setting_value("churn.horizon_days", 90, "days"), setting_value("churn.model", "mbgnbd")
    ('90 天', 'MBG/NBD 模型')
    >>> setting_value("churn.warn_top_n", None, "customers")
    '未设置'
    """
    if value is None:
        return text("settings.unit.none")
    if unit:
        return text(f"settings.unit.{unit}", n=value)
    if isinstance(value, str) and f"settings.{key}.{value}" in all_labels():
        return text(f"settings.{key}.{value}")
    if isinstance(value, (list, tuple)):
        return text("summary.separator").join(str(v) for v in value)
    return str(value)


def setting(key: str, params: dict, unit: str = "") -> str:
    """The parameter ``key`` of the run's ``params`` by its name and value,
    e.g. ``流失预测期（本次 90 天）``.

    Examples
    --------
    >>> setting("churn.p_alive_threshold", {"churn": {"p_alive_threshold": 0.5}}, "share")
    '仍活跃概率门槛（本次：50%）'
    """
    value = params
    for part in key.split("."):
        value = value[part]
    return text("settings.value", name=setting_name(key), value=setting_value(key, value, unit))


def progress(items, description: str, label=None):
    """``items``, with a progress bar under the cell for the steps an analyst waits on (writing
    the workbooks takes minutes at a million customers): how many are done, the time so far
    and ``label(item)`` (by default a file's name, or the item as text), the one in hand.
    Text on stderr: no widget library needed, and the
    report leaves stderr out.

    >>> list(progress(["a", "b"], "写出", label=str.upper))
    ['a', 'b']
    """
    import sys

    from tqdm.std import tqdm

    items = list(items)
    bar = tqdm(items, desc=description, file=sys.stderr, mininterval=0.5,
               bar_format="{desc} {n_fmt}/{total_fmt} |{bar:20}| {elapsed}{postfix}")
    for item in bar:
        # by default a file by its name, never its folder's path
        bar.set_postfix_str(label(item) if label is not None else str(getattr(item, "name", item)),
                            refresh=True)
        yield item


def progress_of(description: str, label=None):
    """:func:`progress` for a loop inside a step: a function of the items, to hand to a step
    that takes one (``load_raw_data(..., each_file=progress_of("读取文件", label=...))``).

    >>> list(progress_of("读取文件")(["a.csv"]))
    ['a.csv']
    """
    return lambda items: progress(items, description, label)


def bullets(lines, empty: str | None = None) -> Markdown:
    """A markdown bullet list (``empty`` when there is nothing to say, by default （无）)."""
    lines = list(lines)
    if not lines:
        return Markdown(text("present.none") if empty is None else empty)
    return Markdown("\n".join(f"- {line}" for line in lines))


def table(frame: pd.DataFrame, *, percent=(), money=(), integer=(), decimals=(), pvalues=(),
          hide_index: bool = False, caption: str | None = None):
    """A styled table: percentages as 12.3%, money with thousands separators, p-values with two
    significant digits (below 0.001 shown as <0.001), dates without a time of day, blanks as —."""
    formats = {c: "{:.1%}" for c in percent if c in frame}
    formats.update({c: "{:,.0f}" for c in money if c in frame})
    formats.update({c: "{:,.0f}" for c in integer if c in frame})
    formats.update({c: "{:,.2f}" for c in decimals if c in frame})
    formats.update({c: (lambda p: "<0.001" if p < 0.001 else f"{p:.2g}") for c in pvalues if c in frame})
    # A date column shows its dates, not midnight (2026-11-06, not 2026-11-06 00:00:00).
    formats.update({c: "{:%Y-%m-%d}" for c in frame.columns if c not in formats
                    and pd.api.types.is_datetime64_any_dtype(frame[c])
                    and (frame[c].dropna() == frame[c].dropna().dt.normalize()).all()})
    styler = frame.style.format(formats, na_rep="—")
    if hide_index:
        styler = styler.hide(axis="index")
    if caption:
        styler = styler.set_caption(caption)
    return styler


def _auto_formats(frame: pd.DataFrame) -> dict:
    """Formats guessed from the column names and values: rates (…率, 占比, 差值…, … rate, Share;
    :data:`analysis.reference.report_tables.RATE_COLUMN`) as percentages, whole-number floats
    (counts read back with blanks) as integers, other floats to 2 places."""
    percent, integer, decimals = [], [], []
    for col in frame.columns:
        values = pd.to_numeric(frame[col], errors="coerce") if frame[col].dtype != bool else None
        if values is None or values.notna().sum() == 0 or frame[col].dtype == object and values.isna().any():
            continue
        if re.search(RATE_COLUMN, str(col)):
            percent.append(col)
        elif (values.dropna() % 1 == 0).all():
            integer.append(col)
        else:
            decimals.append(col)
    return {"percent": percent, "integer": integer, "decimals": decimals}


def sections(tables: dict, *, empty: str | None = None):
    """Several tables under their titles, as one HTML block (h3 + table each), formatted by
    :func:`_auto_formats`; a plain row number is hidden, a named index kept. An empty table
    shows ``empty`` (by default （无数据）)."""
    from IPython.display import HTML

    empty = text("present.no_data") if empty is None else empty
    parts = []
    for title, frame in tables.items():
        parts.append(f"<h3>{title}</h3>")
        if frame is None or len(frame) == 0:
            parts.append(f"<p>{empty}</p>")
        else:
            # A plain row number says nothing; a named index (上月层级) is the table's row labels.
            plain = isinstance(frame.index, pd.RangeIndex)
            parts.append(table(frame, hide_index=plain, **_auto_formats(frame)).to_html())
    return HTML("\n".join(parts))
