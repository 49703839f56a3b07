"""No internal word reaches a reader: the report's visible text and every workbook cell.

A real run's outputs (the shared ``sample_run``: the report and all ten workbooks, internal
and ``_脱敏``) are read as their readers see them — the report's text outside tags, scripts
and styles; each workbook's sheet names, cells, comments, drop-down lists and prompts, and
print headers — and scanned for words that only the code knows: ASCII snake_case
identifiers (``customer_id``), the kit's own field names standing alone (``phone``), dotted
parameter keys (``rfm.window_months``), content keys
(``welcome:coupon``, ``wakeup:家居``), filesystem paths, raw ``nan``/``NaT``/``None`` and
the vague "若干".
Every hit is listed with where it is (file, sheet, cell and column, or report section).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import openpyxl
import pytest
import yaml

from analysis.config import PROJECT_ROOT
from analysis.intake.schema import TABLES

pytestmark = pytest.mark.slow

# What a reader must never see, most specific first. ASCII look-arounds, not \b: a Chinese
# character is a word character too, and "字段customer_id" must still be caught.
INTERNAL_WORDS = {
    "path": re.compile(r"(?<![A-Za-z0-9_.])(?:/(?:tmp|work|home|root|usr|var|opt|mnt|Users)/\S*"
                       r"|~/\S*|[A-Za-z]:\\\S*|file:/\S*)"),
    "parameter key": re.compile(r"(?<![A-Za-z0-9_.])[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+(?![A-Za-z0-9_(])"),
    "content key": re.compile(r"(?<![A-Za-z0-9_])[a-z][a-z0-9_]*:(?=[^\s/\d])[^\s、，,；;）)]*"),
    "identifier": re.compile(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+(?![A-Za-z0-9_])"),
    "missing value": re.compile(r"(?<![A-Za-z])(?:nan|NaN|NaT|None|<NA>|null)(?![A-Za-z])"),
    "vague quantity": re.compile(r"若干"),
}
# A lone ASCII word is an internal word when it is one of the kit's own names: a canonical
# table or column (``date``, ``phone`` in "联系电话→phone") or a parameter section (``churn``).
# Other lone words — "vs", an English product name in a customer's data — are genuine.
_PARAMS = yaml.safe_load((PROJECT_ROOT / "params" / "base.yml").read_text(encoding="utf-8"))
KIT_NAMES = set(TABLES) | {column for columns in TABLES.values() for column in columns} | set(_PARAMS)
LONE_WORD = re.compile(r"(?<![A-Za-z0-9_.@/-])[A-Za-z]+(?![A-Za-z0-9_-])")
# Genuine text that looks like one of the above: e-mail addresses (staff contact customers by
# them in the internal workbooks; ``zhang_wei@163.com`` is no identifier) and links a reader
# may follow. Taken out of the text before it is scanned.
GENUINE = re.compile(r"[A-Za-z0-9._%+*-]+@[A-Za-z0-9.*-]+\.[A-Za-z*]{2,}|https?://\S+|mailto:\S+")


def internal_words(text: str) -> list[tuple[str, str]]:
    """(kind, word) for every internal word in ``text``, in order; a word inside a longer one
    (``window_months`` in ``rfm.window_months``) is reported once, as the longer.

    >>> internal_words("按 rfm.window_months 计算的 customer_id 与 welcome:coupon、wakeup:家居")
    [('parameter key', 'rfm.window_months'), ('identifier', 'customer_id'), ('content key', 'welcome:coupon'), ('content key', 'wakeup:家居')]
    >>> internal_words("RFM、K-means、BG/NBD、MBG/NBD、CLV 12.5 元/人，联系 zhang_wei@163.com，08:30")
    []
    >>> internal_words("见 /tmp/x/out；值 nan、NaT；近若干个月")
    [('path', '/tmp/x/out；值'), ('missing value', 'nan'), ('missing value', 'NaT'), ('vague quantity', '若干')]
    >>> internal_words("联系电话→phone、下单时间→order_date；干预组 vs 对照组")
    [('field name', 'phone'), ('identifier', 'order_date')]
    """
    text = GENUINE.sub(" ", text)
    taken: list[tuple[int, int]] = []
    found = []
    for kind, pattern in INTERNAL_WORDS.items():
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(a <= start and end <= b for a, b in taken):
                continue
            taken.append((start, end))
            found.append((start, kind, match.group(0)))
    for match in LONE_WORD.finditer(text):
        if match.group(0) in KIT_NAMES and not any(a <= match.start() < b for a, b in taken):
            found.append((match.start(), "field name", match.group(0)))
    return [(kind, word) for _start, kind, word in sorted(found)]


class _VisibleText(HTMLParser):
    """The text a reader sees, each piece with the heading of the section it is in."""

    _HIDDEN = {"script", "style", "template", "noscript"}
    _HEADINGS = {"h1", "h2", "h3", "h4"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces: list[tuple[str, str]] = []  # (section, text)
        self._hidden = 0
        self._heading: list[str] | None = None
        self.section = "—"

    def handle_starttag(self, tag, attrs):
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._HEADINGS:
            self._heading = []

    def handle_endtag(self, tag):
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._HEADINGS and self._heading is not None:
            self.section = " ".join("".join(self._heading).split())
            self.pieces.append((self.section, self.section))
            self._heading = None

    def handle_data(self, data):
        if self._hidden:
            return
        if self._heading is not None:
            self._heading.append(data)
        elif data.strip():
            self.pieces.append((self.section, data))


def report_hits(html: str) -> list[str]:
    """One line per piece of visible text holding internal words, with its section."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    hits = []
    for section, piece in parser.pieces:
        words = internal_words(piece)
        if words:
            listed = ", ".join(f"{kind} {word!r}" for kind, word in words)
            hits.append(f"report § {section}: {listed} in {piece.strip()[:60]!r}")
    return hits


def _sheet_texts(ws):
    """(column or place, cell, text) for everything a reader of the sheet sees."""
    yield "sheet name", "", ws.title
    headers = {cell.column: cell.value for cell in next(ws.iter_rows(max_row=1), ())}
    for row in ws.iter_rows():
        for cell in row:
            value = cell.value
            column = f"column {headers.get(cell.column) or cell.column_letter}"
            if isinstance(value, str) and not value.startswith("="):  # a formula shows its result
                yield column, cell.coordinate, value
            if cell.comment is not None:
                yield f"{column} note", cell.coordinate, cell.comment.text
    for validation in ws.data_validations.dataValidation:
        for part in (validation.formula1, validation.prompt, validation.promptTitle,
                     validation.error, validation.errorTitle):
            if part and not str(part).startswith("$"):  # a list drawn from cells is read above
                yield "drop-down", str(validation.sqref), str(part)
    for header in (ws.oddHeader, ws.oddFooter):
        for part in (header.left, header.center, header.right):
            if part.text:
                yield "print header/footer", "", part.text


def workbook_hits(path) -> list[str]:
    """One line per file › sheet › column and word, with how many cells and an example."""
    found: dict[tuple, list] = {}
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for place, cell, value in _sheet_texts(ws):
            for kind, word in internal_words(value):
                seen = found.setdefault((ws.title, place, kind, word), [cell, 0, value])
                seen[1] += 1
    return [f"{path.name} › {sheet} › {place}: {kind} {word!r} in {n} cell(s), "
            f"e.g. {cell} {str(value)[:60]!r}"
            for (sheet, place, kind, word), (cell, n, value) in found.items()]


def test_report_has_no_internal_words(sample_run):
    html = next(sample_run.glob("*.html")).read_text(encoding="utf-8")
    hits = report_hits(html)
    assert hits == [], f"{len(hits)} internal words in the report:\n" + "\n".join(hits[:80])


@pytest.mark.parametrize("masked", [False, True], ids=["internal", "masked"])
def test_workbooks_have_no_internal_words(sample_run, masked):
    paths = sorted(p for p in sample_run.glob("*.xlsx") if p.stem.endswith("_脱敏") == masked)
    assert len(paths) == 5
    hits = [hit for path in paths for hit in workbook_hits(path)]
    assert hits == [], f"{len(hits)} internal words in the workbooks:\n" + "\n".join(hits[:120])
