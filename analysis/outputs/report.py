"""The monthly HTML report: executed notebooks → one self-contained page for managers.

``build_report`` merges the executed notebooks of a run (in pipeline order) behind an
executive summary, keeps what a reader needs — markdown, tables, charts — and drops the
rest: code, printed logs, errors, the ``parameters`` cells. It renders with the kit's own
nbconvert template (``templates/report/``): inline CSS, no scripts, charts embedded as
``data:image/png;base64``, a table of contents from the headings. ``check_self_contained``
lists anything in the page that would be fetched from elsewhere; the runner refuses to ship
a report for which it is not empty.

The page is laid out for three readers (the CSS is in the template): a desktop browser (the
contents as a sidebar), a phone (the summary straight under a compact title, the contents
after it, every table scrolling sideways inside its own box, with a hint above those wider
than a phone) and paper (A4: the summary on page one, no contents, charts kept whole, table
headers repeated on every page).

Cells are steered by tags (JupyterLab: property inspector → Cell Tags):

- ``parameters`` / ``injected-parameters`` (papermill) — never in the report;
- ``report-skip`` — leave this cell out of the report (e.g. a diagnostic table).

The page's own words (目录, 生成时间, the footer, image alt text, the ``lang`` attribute) come
from analysis/vocab/report.yml in the run's language and reach the template as
``resources.report.labels``.
"""

from __future__ import annotations

import copy
import html as html_lib
import re
import unicodedata
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell, new_notebook

from analysis.config import TEMPLATES_DIR
from analysis.reference.report_tables import CURRENCY_SIGNS, NUMBER_UNITS
from analysis.vocab import text

__all__ = [
    "REPORT_TEMPLATE",
    "SKIP_TAGS",
    "merge_notebooks",
    "render_report",
    "build_report",
    "check_self_contained",
]

REPORT_TEMPLATE = "report"  # folder in templates/ holding conf.json and index.html.j2
SKIP_TAGS = frozenset({
    "parameters", "injected-parameters", "report-skip", "papermill-error-cell-tag",
})
SUMMARY_TAG = "report-summary"

# What a reader can use; everything else (JavaScript, widgets, LaTeX needing MathJax) is dropped.
_KEPT_MIMETYPES = ("text/html", "text/markdown", "image/png", "image/jpeg", "image/svg+xml",
                   "text/plain")
# A bare object repr such as "<Axes: title={'center': '…'}>" or "<Figure size 960x540 with 1 Axes>".
_OBJECT_REPR = re.compile(r"^<[^\n]*>$")
_CHINA_TIME = timezone(timedelta(hours=8))

_CONTENT_START = "<!-- report:content -->"
_CONTENT_END = "<!-- /report:content -->"


# --------------------------------------------------------------------------- merge


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _keep_output(output) -> bool:
    """Drop logs, errors, scripts and the ``<Axes …>`` reprs a plotting call returns."""
    if output.get("output_type") not in ("display_data", "execute_result"):
        return False  # stream (stdout/stderr) and error
    data = {mime: value for mime, value in output.get("data", {}).items()
            if mime in _KEPT_MIMETYPES}
    if not data:
        return False
    if set(data) == {"text/plain"}:
        text = data["text/plain"]
        text = "".join(text) if isinstance(text, list) else text
        if _OBJECT_REPR.match(text.strip()):
            return False
    output["data"] = data
    return True


def _clean_cell(cell):
    cell = copy.deepcopy(cell)
    cell.metadata.pop("papermill", None)
    cell.metadata.pop("execution", None)
    if cell.cell_type == "code":
        cell.source = ""  # exclude_input hides it too; this keeps code out of the file entirely
        cell.outputs = [out for out in cell.get("outputs", []) if _keep_output(out)]
        for out in cell.outputs:
            if "execution_count" in out:
                out["execution_count"] = None
        cell.execution_count = None
        if not cell.outputs:
            return None
    elif cell.cell_type == "raw":
        return None
    return cell


def merge_notebooks(notebooks: list[Path], *, summary_markdown: str = "",
                    title: str = "") -> nbformat.NotebookNode:
    """Merge executed notebooks, in order, into one notebook holding only report content.

    The first cell is ``summary_markdown`` (tagged ``report-summary``) when given. From each
    notebook: markdown cells are kept; code cells keep only their rich outputs (HTML tables,
    images, markdown, plain values) — no source, no stdout/stderr, no errors, no object reprs
    such as ``<Axes …>``; cells tagged ``parameters``, ``injected-parameters`` or
    ``report-skip`` and raw cells are dropped. Cell ids are renumbered so they are unique.

    Parameters
    ----------
    notebooks : list of Path
        Executed ``.ipynb`` files, in reading order.
    summary_markdown : str, optional
        Executive summary (markdown) placed first.
    title : str, optional
        Stored as the notebook's ``metadata.title``.

    Returns
    -------
    nbformat.NotebookNode

    Examples
    --------
    >>> nb = merge_notebooks([], summary_markdown="## 执行摘要\\n客户 3,000 人")
    >>> [(c.cell_type, c.metadata["tags"]) for c in nb.cells]
    [('markdown', ['report-summary'])]
    """
    merged = new_notebook()
    cells = []
    if summary_markdown.strip():
        cells.append(new_markdown_cell(summary_markdown, metadata={"tags": [SUMMARY_TAG]}))
    for path in notebooks:
        nb = nbformat.read(Path(path), as_version=4)
        if not merged.metadata and nb.metadata.get("language_info"):
            merged.metadata["language_info"] = copy.deepcopy(nb.metadata["language_info"])
        for cell in nb.cells:
            if _tags(cell) & SKIP_TAGS:
                continue
            kept = _clean_cell(cell)
            if kept is not None:
                cells.append(kept)
    for number, cell in enumerate(cells, start=1):
        cell["id"] = f"c{number:04d}"
    merged.cells = cells
    merged.nbformat, merged.nbformat_minor = 4, 5
    if title:
        merged.metadata["title"] = title
    return merged


def _papermill_finished(notebooks: list[Path]) -> str:
    """Latest papermill end time of the run, Beijing time, or "" if not run by papermill."""
    latest = None
    for path in notebooks:
        meta = nbformat.read(Path(path), as_version=4).metadata.get("papermill", {})
        end = meta.get("end_time")
        if not end:
            continue
        moment = datetime.fromisoformat(str(end))
        if moment.tzinfo is None:  # papermill records naive UTC
            moment = moment.replace(tzinfo=timezone.utc)
        latest = moment if latest is None else max(latest, moment)
    if latest is None:
        return ""
    return text("report.beijing_time", time=latest.astimezone(_CHINA_TIME).strftime("%Y-%m-%d %H:%M"))


# --------------------------------------------------------------------------- render


def _exporter():
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    # lab's conf.json adds a Pygments CSS preprocessor; there is no code to highlight.
    config.CSSHTMLHeaderPreprocessor.enabled = False
    return HTMLExporter(
        config=config,
        template_name=REPORT_TEMPLATE,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,  # we set our own heading ids for the table of contents
        embed_images=True,  # markdown images given as local paths become data: URIs
    )


def render_report(nb: nbformat.NotebookNode, *, title: str, subtitle: str = "",
                  generated: str = "", base_dir: Path | None = None) -> str:
    """Render a merged notebook to the report HTML (a string).

    The page's own words (目录, 生成时间, footer, ``lang``) are in the run's language
    (``report.*`` in analysis/vocab/report.yml).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        Usually from :func:`merge_notebooks`.
    title, subtitle : str
        Header block text.
    generated : str, optional
        Shown as 生成时间 in the header; omitted when empty.
    base_dir : Path, optional
        Folder that relative image paths in markdown are resolved against.

    Returns
    -------
    str
        The HTML page.
    """
    resources = {
        "metadata": {"name": title, "path": str(base_dir) if base_dir else ""},
        "report": {"title": title, "subtitle": subtitle, "generated": generated,
                   "labels": _page_labels(generated)},
    }
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    head, rest = body.split(_CONTENT_START, 1)
    content, tail = rest.split(_CONTENT_END, 1)
    content, toc = _number_headings(content)
    content = _TABLE.sub(lambda m: _frame_table(_align_table(m.group(0))), content)
    content = _after_summary(content, _toc_html(toc))
    return head + content + tail


def _page_labels(generated: str) -> dict[str, str]:
    """The template's own words in the run's language (``resources.report.labels``)."""
    return {
        "lang": text("report.html_lang"),
        "generated": text("report.generated", time=generated),
        "footer": text("report.footer"),
        "chart_alt": text("report.chart_alt"),
        "image_alt": text("report.image_alt"),
    }


def build_report(notebooks: list[Path], out_path: Path, *, title: str,
                 summary_markdown: str = "", subtitle: str = "",
                 generated: str | None = None) -> Path:
    """Write the self-contained HTML report of a run.

    Parameters
    ----------
    notebooks : list of Path
        Executed notebooks in pipeline order (01 … 05).
    out_path : Path
        The ``.html`` file to write (UTF-8); its folder is created if missing.
    title : str
        Report title, e.g. ``"客户洞察月报 2026-10"``.
    summary_markdown : str, optional
        Executive summary (markdown), shown first in a highlighted box.
    subtitle : str, optional
        Line under the title, e.g. ``"数据截至 2026-10-31 · 样例公司"``.
    generated : str, optional
        生成时间 text for the header. By default the latest papermill end time recorded in
        the notebooks (Beijing time) — taken from the inputs, never the clock, so the same
        executed notebooks always give the same bytes. ``""`` hides the line.

    Returns
    -------
    Path
        ``out_path``.

    Examples
    --------
    >>> path = build_report(sorted(run.glob("0*.ipynb")), run / "report.html",
    ...                     title="客户洞察月报 2026-10", summary_markdown=summary)  # doctest: +SKIP
    >>> check_self_contained(path.read_text(encoding="utf-8"))  # doctest: +SKIP
    []
    """
    notebooks = [Path(p) for p in notebooks]
    if generated is None:
        generated = _papermill_finished(notebooks)
    nb = merge_notebooks(notebooks, summary_markdown=summary_markdown, title=title)
    base_dir = notebooks[0].parent if notebooks else None
    page = render_report(nb, title=title, subtitle=subtitle, generated=generated,
                         base_dir=base_dir)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(page.encode("utf-8"))  # bytes: no platform newline translation
    return out_path


# --------------------------------------------------------------------------- headings / TOC

_HEADING = re.compile(r"<h([1-6])((?:\s[^>]*)?)>(.*?)</h\1>", re.DOTALL | re.IGNORECASE)
_ID_ATTR = re.compile(r"""\sid\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def _number_headings(content: str) -> tuple[str, list[tuple[int, str, str]]]:
    """Give h1–h3 unique ids ``sec-1``, ``sec-2``, …; return the h1/h2 entries for the TOC."""
    toc: list[tuple[int, str, str]] = []
    counter = 0

    def renumber(match):
        nonlocal counter
        level = int(match.group(1))
        if level > 3:
            return match.group(0)
        counter += 1
        anchor = f"sec-{counter}"
        attrs = _ID_ATTR.sub("", match.group(2))
        text = " ".join(_TAG.sub("", match.group(3)).split())
        if level <= 2 and text:
            toc.append((level, anchor, text))
        return f'<h{level} id="{anchor}"{attrs}>{match.group(3)}</h{level}>'

    return _HEADING.sub(renumber, content), toc


_CELL_START = re.compile(r'<div class="jp-Cell[ "]')


def _after_summary(content: str, block: str) -> str:
    """Insert ``block`` right after the summary cell (the first cell, when tagged), else first.

    The table of contents goes there so that on a phone the summary is the first thing under
    the title.

    >>> cells = '<div class="jp-Cell"><p class="celltag_report-summary">S</p></div><div class="jp-Cell">B</div>'
    >>> _after_summary(cells, "<nav/>")
    '<div class="jp-Cell"><p class="celltag_report-summary">S</p></div><nav/><div class="jp-Cell">B</div>'
    >>> _after_summary('<div class="jp-Cell">B</div>', "<nav/>")
    '<nav/><div class="jp-Cell">B</div>'
    """
    starts = [m.start() for m in _CELL_START.finditer(content)] + [len(content)]
    at = 0
    if len(starts) > 1 and f"celltag_{SUMMARY_TAG}" in content[starts[0]:starts[1]]:
        at = starts[1]
    return content[:at] + block + content[at:]


def _toc_html(toc: list[tuple[int, str, str]]) -> str:
    """Nested list: each h1 with its h2s beneath; an h2 before any h1 stands on its own."""
    if not toc:
        return ""
    title = html_lib.escape(text("report.toc"))
    lines = [f'<nav class="report-toc" aria-label="{title}">', f'<p class="report-toc-title">{title}</p>',
             "<ol>"]
    open_group = False
    for level, anchor, heading in toc:
        link = f'<a href="#{anchor}">{heading}</a>'
        if level == 1:
            if open_group:
                lines.append("</ol></li>")
            lines.append(f'<li class="toc-h1">{link}<ol>')
            open_group = True
        else:
            lines.append(f'<li class="toc-h2">{link}</li>')
    if open_group:
        lines.append("</ol></li>")
    lines += ["</ol>", "</nav>"]
    return "\n".join(lines)


# --------------------------------------------------------------------------- table alignment

_TABLE = re.compile(r"<table\b.*?</table>", re.DOTALL | re.IGNORECASE)
_ROW = re.compile(r"<tr\b[^>]*>(.*?)</tr>", re.DOTALL | re.IGNORECASE)
_CELL = re.compile(r"<(td|th)\b([^>]*)>(.*?)</\1>", re.DOTALL | re.IGNORECASE)
_THEAD = re.compile(r"<thead\b.*?</thead>", re.DOTALL | re.IGNORECASE)
_SPAN = re.compile(r"""\b(rowspan|colspan)\s*=\s*["']?(\d+)""", re.IGNORECASE)
_CLASS = re.compile(r"""\bclass\s*=\s*"([^"]*)\"""", re.IGNORECASE)
# 1,234 · -5.2 · ¥3,000 · 12.5% · 3万元 · 1.2e+05 · 30天 (signs and units: analysis/reference)
_NUMBER = re.compile(
    r"^[-+−]?\s*[" + re.escape(CURRENCY_SIGNS) + r"]?\s*[-+−]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?"
    r"([eE][-+]?\d+)?\s*(" + "|".join(map(re.escape, NUMBER_UNITS)) + r")?$"
)
_BLANK = {"", "nan", "NaN", "<NA>", "NaT", "None", "-", "—", "--", "…", "..."}
_WIDE_TEXT = 18  # characters; longer text cells may wrap instead of widening the table


def _cell_text(inner: str) -> str:
    return html_lib.unescape(_TAG.sub("", inner)).strip()


def _is_number(text: str) -> bool:
    return bool(_NUMBER.match(text)) and any(ch.isdigit() for ch in text)


def _add_class(attrs: str, name: str) -> str:
    found = _CLASS.search(attrs)
    if found:
        start, end = found.span(1)
        return f"{attrs[:start]}{found.group(1)} {name}{attrs[end:]}"
    return f'{attrs} class="{name}"'


def _table_cells(table: str) -> list[tuple]:
    """Every cell of a table, placed on its grid (row and column spans taken into account).

    Each is ``(start, end, tag, attrs, inner, section, row, column, colspan)``: its span in
    ``table``, ``td``/``th``, its attributes and content, ``"head"`` or ``"body"``, and
    its grid position.
    """
    thead = _THEAD.search(table)
    head_span = thead.span() if thead else (0, 0)
    cells = []  # (start, end, tag, attrs, inner, section, row, column, colspan)
    grid: dict[str, set[tuple[int, int]]] = {"head": set(), "body": set()}
    rows = {"head": 0, "body": 0}
    for row in _ROW.finditer(table):
        section = "head" if head_span[0] <= row.start() < head_span[1] else "body"
        r = rows[section]
        rows[section] += 1
        column = 0
        for cell in _CELL.finditer(row.group(1)):
            spans = {k.lower(): int(v) for k, v in _SPAN.findall(cell.group(2))}
            rowspan, colspan = spans.get("rowspan", 1), spans.get("colspan", 1)
            while (r, column) in grid[section]:
                column += 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    grid[section].add((r + dr, column + dc))
            start = row.start(1) + cell.start()
            cells.append((start, row.start(1) + cell.end(), cell.group(1), cell.group(2),
                          cell.group(3), section, r, column, colspan))
            column += colspan
    return cells


def _align_table(table: str) -> str:
    """Right-align numeric columns (``class="num"`` on their td and header th).

    A column is numeric when every non-blank data cell in it reads as a number (with
    thousands separators, ¥, %, 元 …). Long text cells get ``text-wide`` so they wrap.
    """
    cells = _table_cells(table)
    numeric_seen: dict[int, bool] = {}
    not_numeric: set[int] = set()
    for _s, _e, tag, _a, inner, section, _r, column, colspan in cells:
        if section != "body" or colspan != 1:
            continue
        if tag.lower() == "th":  # row labels (the index) stay left-aligned
            not_numeric.add(column)
            continue
        text = _cell_text(inner)
        if text in _BLANK:
            continue
        if _is_number(text):
            numeric_seen[column] = True
        else:
            not_numeric.add(column)
    numeric = {c for c in numeric_seen if c not in not_numeric}

    pieces, last = [], 0
    for start, end, tag, attrs, inner, section, _r, column, colspan in cells:
        new_attrs = attrs
        if colspan == 1 and column in numeric:
            new_attrs = _add_class(attrs, "num")
        elif section == "body" and tag.lower() == "td" and len(_cell_text(inner)) > _WIDE_TEXT:
            new_attrs = _add_class(attrs, "text-wide")
        if new_attrs is not attrs:
            pieces.append(table[last:start])
            pieces.append(f"<{tag}{new_attrs}>{inner}</{tag}>")
            last = end
    pieces.append(table[last:])
    return "".join(pieces)


# How wide a table lays out, estimated from its text: a Chinese character takes two halves, a
# digit or Latin letter one; each cell adds its padding; a text-wide cell wraps at its
# min-width. Per reader, the width it has and these sizes in CSS px (the template's
# @media (max-width: 600px) and @media print blocks).
_PHONE = {"column": 360, "half": 6.8, "padding": 16, "wrap": 12 * 13}  # 390 px screen, 13 px text
_PAPER = {"column": 710, "half": 5.0, "padding": 12, "wrap": 12 * 10}  # A4 less margins, 7.5 pt


def _layout_width(table: str, reader: dict) -> float:
    """Roughly how wide a table lays out for ``reader`` (widest cell of each column), in px.

    >>> _layout_width("<table><tr><td>华东</td><td>1,234</td></tr></table>", _PHONE)
    93.2
    """
    widest: dict[int, float] = {}
    for _s, _e, _tag, attrs, inner, _section, _r, column, colspan in _table_cells(table):
        if colspan != 1:
            continue
        halves = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1
                     for ch in _cell_text(inner))
        width = halves * reader["half"]
        if "text-wide" in attrs:
            width = min(width, reader["wrap"])
        widest[column] = max(widest.get(column, 0.0), width + reader["padding"])
    return round(sum(widest.values()), 1)


def _frame_table(table: str) -> str:
    """Put a table in its own sideways-scrolling box, under a hint when a phone can't fit it.

    The box keeps a wide table from widening the page; the hint (shown only on narrow
    screens, see the template) tells the reader the table goes on to the right. A table too
    wide for A4 is marked ``print-wide``: on paper its headers wrap and its text is smaller.

    >>> _frame_table("<table><tr><td>1</td></tr></table>")
    '<div class="table-box"><table><tr><td>1</td></tr></table></div>'
    """
    hint = ""
    if _layout_width(table, _PHONE) > _PHONE["column"]:
        hint = f'<p class="table-hint">{html_lib.escape(text("report.scroll_hint"))}</p>'
    box = "table-box print-wide" if _layout_width(table, _PAPER) > _PAPER["column"] else "table-box"
    return f'{hint}<div class="{box}">{table}</div>'


# --------------------------------------------------------------------------- self-containment

# Attributes whose value the browser fetches (src-like) or navigates to (href-like).
_FETCH_ATTRS = {"src", "srcset", "poster", "data", "background", "action", "formaction"}
_LINK_ATTRS = {"href", "xlink:href"}
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.IGNORECASE)


class _UrlCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.offending: list[str] = []
        self._in_style = False

    def _flag(self, url: str):
        if url not in self.offending:
            self.offending.append(url)

    def _check_css(self, css: str):
        for match in _CSS_URL.finditer(css):
            url = (match.group(2) or match.group(4) or "").strip()
            if url and not url.lower().startswith("data:"):
                self._flag(url)

    def handle_starttag(self, tag, attrs):
        if tag == "style":
            self._in_style = True
        for name, value in attrs:
            value = (value or "").strip()
            if name in _FETCH_ATTRS:
                if name == "srcset":
                    urls = [part.split()[0] for part in value.split(",") if part.split()]
                else:
                    urls = [value] if value else []
                for url in urls:
                    if not url.lower().startswith("data:"):
                        self._flag(url)
            elif name in _LINK_ATTRS and value:
                if not (value.startswith("#") or value.lower().startswith(("data:", "mailto:"))):
                    self._flag(value)
            elif name == "style" and value:
                self._check_css(value)

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self._check_css(data)


def check_self_contained(html: str) -> list[str]:
    """List every URL in the page that points outside it; ``[]`` means self-contained.

    Flagged: any ``src``/``srcset``/``poster``/``data``/``action`` value that is not a
    ``data:`` URI (remote or relative — neither survives being emailed); any ``href`` that is
    not an in-page ``#anchor``, ``data:`` or ``mailto:``; any CSS ``url(…)`` or ``@import``
    that is not ``data:``.

    Parameters
    ----------
    html : str
        The report page.

    Returns
    -------
    list of str
        The offending URLs, each once, in order of appearance.

    Examples
    --------
    >>> check_self_contained('<a href="#sec-1">目录</a><img src="data:image/png;base64,AA==">')
    []
    >>> check_self_contained('<script src="https://cdn.example.com/require.js"></script>')
    ['https://cdn.example.com/require.js']
    """
    collector = _UrlCollector()
    collector.feed(html)
    collector.close()
    return collector.offending
