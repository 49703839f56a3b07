"""Small helpers that turn results into what a manager reads in the notebook and report."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

__all__ = ["bullets", "table", "sections"]


def bullets(lines, empty: str = "（无）") -> Markdown:
    """A markdown bullet list (``empty`` when there is nothing to say)."""
    lines = list(lines)
    return Markdown("\n".join(f"- {line}" for line in lines) if lines else empty)


def table(frame: pd.DataFrame, *, percent=(), money=(), integer=(), decimals=(), pvalues=(),
          hide_index: bool = False, caption: str | None = None):
    """A styled table: percentages as 12.3%, money with thousands separators, p-values with two
    significant digits (below 0.001 shown as <0.001), blanks as —."""
    formats = {c: "{:.1%}" for c in percent if c in frame}
    formats.update({c: "{:,.0f}" for c in money if c in frame})
    formats.update({c: "{:,.0f}" for c in integer if c in frame})
    formats.update({c: "{:,.2f}" for c in decimals if c in frame})
    formats.update({c: (lambda p: "<0.001" if p < 0.001 else f"{p:.2g}") for c in pvalues if c in frame})
    styler = frame.style.format(formats, na_rep="—")
    if hide_index:
        styler = styler.hide(axis="index")
    if caption:
        styler = styler.set_caption(caption)
    return styler


def sections(tables: dict, *, empty: str = "（无数据）", percent=(), money=(), integer=(), decimals=()):
    """Several tables under their titles, as one HTML block (h3 + table each)."""
    from IPython.display import HTML

    parts = []
    for title, frame in tables.items():
        parts.append(f"<h3>{title}</h3>")
        if frame is None or len(frame) == 0:
            parts.append(f"<p>{empty}</p>")
        else:
            parts.append(table(frame, percent=percent, money=money, integer=integer,
                               decimals=decimals).to_html())
    return HTML("\n".join(parts))
