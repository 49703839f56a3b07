"""Words and marks users' exports write inside values — reference data for the value parsers
(:mod:`analysis.intake.parse`): placeholders for "nothing", yes/no words, currency and scale
words, and the Chinese parts of dates and times.

What users' files say, not what the kit says: these stay the same whatever the report's
language. The regular-expression fragments run under RE2 (pyarrow), so they use no
look-arounds.
"""

from __future__ import annotations

__all__ = [
    "BLANK_TOKENS", "TRUE_WORDS", "FALSE_WORDS", "CURRENCY_WORDS", "SCALE_FACTORS",
    "OPEN_BRACKETS", "CLOSE_BRACKETS", "WEEKDAY_WORDS", "WEEKDAY_NUMERALS", "AM_WORD",
    "PM_WORD", "HOUR_MARKS", "MINUTE_MARK", "SECOND_MARK", "YEAR_MARK", "MONTH_MARK",
    "DAY_MARK",
]

# Cell contents that mean "nothing here": export placeholders and Excel error values.
# Compared after stripping and lower-casing.
BLANK_TOKENS = frozenset({
    "", "nan", "nat", "none", "null", "<na>", "n/a", "na", "-", "--", "---", "—", "——", "/",
    "#n/a", "#n/a n/a", "#na", "#value!", "#ref!", "#div/0!", "#num!", "#name?", "#null!",
    "#spill!", "#calc!", "#getting_data", "#field!", "#blocked!", "#unknown!", "#connect!",
    "#busy!",
})

# Yes / no flags (consent, unsubscribed …), compared after NFKC, stripping and lower-casing.
TRUE_WORDS = frozenset({
    "是", "是的", "对", "y", "yes", "true", "t", "1", "1.0", "同意", "已同意", "授权", "已授权",
    "允许", "接受", "退订", "已退订", "有", "on", "√", "✓", "✔", "ok",
})
FALSE_WORDS = frozenset({
    "否", "不是", "不", "n", "no", "false", "f", "0", "0.0", "不同意", "未同意", "拒绝", "不授权",
    "未授权", "不允许", "未退订", "没有", "无", "off", "×", "✗", "✘",
})

# Currency marks and units written around an amount (removed before the number is read), as
# one regular expression.
CURRENCY_WORDS = r"(?:人民币|RMB|rmb|CNY|cny|¥|\$|元|圆)"
# Scale words after a number: 1.2万 = 12000, 2.5k = 2500.
SCALE_FACTORS = {"万": 1e4, "亿": 1e8, "千": 1e3, "k": 1e3, "K": 1e3, "w": 1e4, "W": 1e4}

# Brackets around a note in a value ("(五)", "【星期五】"), as regular-expression class
# contents: [ and ] escaped.
OPEN_BRACKETS = r"(\[【"
CLOSE_BRACKETS = r")\]】"

# Chinese weekdays: 星期五, 周五, 礼拜天 (a prefix and a numeral), or a bare numeral in brackets.
WEEKDAY_WORDS = ("星期", "周", "礼拜")
WEEKDAY_NUMERALS = "一二三四五六日天"

# Morning / afternoon before or after a time: 下午3:00 = 15:00.
AM_WORD = "上午"
PM_WORD = "下午"
# Time parts: 8时26分, 8点26分05秒 (besides 08:26:05).
HOUR_MARKS = "时点"
MINUTE_MARK = "分"
SECOND_MARK = "秒"
# Date parts: 2024年3月15日.
YEAR_MARK = "年"
MONTH_MARK = "月"
DAY_MARK = "日"
