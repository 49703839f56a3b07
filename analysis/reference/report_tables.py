"""How the report and the notebooks recognise what a table cell or column holds: number units
that may follow a value, and the words in a column name that mark a rate — reference data for
:mod:`analysis.outputs.report` (right-aligning numbers) and :mod:`analysis.outputs.present`
(formatting rates as percentages).

Both languages are recognised whatever the run's language: a table may carry values or
headers from users' files or from a run in the other language.
"""

from __future__ import annotations

__all__ = ["CURRENCY_SIGNS", "NUMBER_UNITS", "RATE_COLUMN"]

# Signs that may lead a number in a cell: ¥ and its full-width form ￥, $.
CURRENCY_SIGNS = "¥￥$"

# Units that may follow a number in a cell: 12.5% · 3万元 · 30天 · 5次 · 12 days.
NUMBER_UNITS = (
    "%", "‰", "pp", "元", "万元", "万", "亿元", "亿", "倍", "天", "次", "个", "人", "单", "分",
    "CNY", "days", "day",
)

# A column whose name matches holds fractions shown as percentages: 完成率, 占比, 差值95%下限;
# Completion rate, Share, Difference (95% lower).
RATE_COLUMN = r"率|占比|^差值|(?i:\brate\b|\bshare\b|^difference\b)"
