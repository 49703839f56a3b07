"""What staff type by hand into the returned workbooks — reference data for reading them back
(:mod:`analysis.outputs.staff_files`): the ways a date or a count gets written in a cell.

What people write, not what the kit says: these stay the same whatever the report's language.
"""

from __future__ import annotations

__all__ = ["DATE_TEXT_REPLACEMENTS", "THOUSANDS_SEPARATORS"]

# A date typed as text: 2026年11月3日, 2026/11/3 and 2026.11.3 all read as 2026-11-3. Each
# (what staff wrote, what it stands for), applied in order before the text is parsed.
DATE_TEXT_REPLACEMENTS = (("年", "-"), ("月", "-"), ("日", ""), ("/", "-"), (".", "-"))

# Thousands separators in a count typed as text ("1,200", "1，200" with a full-width comma).
THOUSANDS_SEPARATORS = (",", "，")
