"""All file I/O of the kit: reading the raw exports, and the interim tables between notebooks.

Intake reads whatever a Chinese SME's systems export — CSV in UTF-8 / UTF-8 with BOM / GBK /
GB18030 / UTF-16, comma-, tab-, semicolon- or bar-separated, or ``.xlsx`` with title rows
above the header — finds the header row, maps the headers onto the canonical columns of
:mod:`analysis.intake.schema` (built-in aliases plus ``input.column_map`` from params), and
recognises each file (and sheet) as one of the canonical tables by its columns.

Every value comes out as text or missing: typing and validation belong to the cleaning step,
which quarantines bad values with reasons (see :mod:`analysis.intake.parse`). Excel numbers that are
whole come out without ".0" (13812345678.0 -> "13812345678"), Excel dates as ISO text. Each
row keeps where it came from: ``_source_file`` and ``_source_row`` (the line number in a CSV,
counting the header line as a line; the row number in Excel).

Nothing is ever written into the input folder.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.config import PROJECT_ROOT
from analysis.errors import InputError, ParamsError
from analysis.intake.schema import (
    ALTERNATIVES, DERIVED_FROM, NOT_REPORTED, HandedOverTables, ORDER_PARTS, REQUIRED, TABLES, alias_index,
    column_label, normalise_header, table_disables, table_label,
)
from analysis.reference.headers import SCALED_HEADER, TABLE_NAME_HINTS
from analysis.vocab import text, texts

__all__ = [
    "SourceTable", "RawData", "load_raw_data", "TEXT_SUFFIXES", "EXCEL_SUFFIXES",
]

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
# Spreadsheet formats we can name but not read without another dependency: suffix -> the
# key of its name in the vocabulary (intake.format.<key>).
_RESAVE = {".xls": "xls", ".xlsb": "xlsb", ".ods": "ods", ".et": "et", ".numbers": "numbers"}
_IGNORED_NAMES = {"desktop.ini", "thumbs.db"}
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted .xlsx and legacy .xls

HEADER_SCAN_ROWS = 30       # the header must be among the first 30 non-blank rows
_HEAD_CHARS = 1_000_000     # text looked at to sniff the delimiter and find the header
_SNIFF_LINES = 60



def _list(items) -> str:
    """Items joined the way the current language lists them (``a、b`` / ``a, b``)."""
    return text("list.separator").join(items)


def _clauses(items) -> str:
    """Clauses joined the way the current language separates them (``a；b`` / ``a; b``)."""
    return text("intake.clause_separator").join(items)


def _quoted(value) -> str:
    return text("intake.quoted", text=value)


def _format_name(suffix: str) -> str:
    """How messages name a file format the kit cannot read (``旧版 Excel (.xls)``)."""
    if suffix in _RESAVE:
        return text(f"intake.format.{_RESAVE[suffix]}")
    return text("intake.format.other", suffix=suffix or text("intake.no_suffix"))


def _unnamed_column(position: int) -> str:
    """The name given to a column without a header: ``第3列`` for the 0-based ``position`` 2."""
    return text("intake.unnamed_column", n=position + 1)


@dataclass
class SourceTable:
    """One recognised table from one file (and sheet).

    ``header_row`` is 1-based: the CSV line or Excel row holding the header.
    """

    table: str
    path: Path
    sheet: str | None
    header_row: int
    encoding: str | None
    column_map: dict[str, str]   # original header -> canonical
    unmapped: list[str]
    n_rows: int
    # canonical -> headers that could also have served it (e.g. 应付金额 next to 实付金额)
    alternatives: dict[str, list[str]] = field(default_factory=dict)
    from_parts: list[str] = field(default_factory=list)  # e.g. ["amount"] for an order header
    inferred: dict[str, str] = field(default_factory=dict)  # header -> canonical, by content


@dataclass
class RawData:
    """What intake found: canonical tables, where each came from, and what was skipped.

    ``tables`` maps a canonical table name to a frame of its canonical columns (text or
    missing) plus ``_source_file`` (the file name; ``name[sheet]`` for workbooks with more
    than one sheet) and ``_source_row`` (the line / row number the user sees in that file).
    ``skipped`` holds one sentence per thing left out and what that disables.
    """

    tables: dict[str, pd.DataFrame]
    sources: list[SourceTable]
    skipped: list[str] = field(default_factory=list)

    def take_tables(self) -> HandedOverTables:
        """The tables, handed over: ``tables`` is empty afterwards, so that the cleaning can
        let each raw table go once it is cleaned (at 10M orders the raw text is gigabytes).
        The files are untouched; load them again to see the raw rows."""
        tables, self.tables = HandedOverTables(self.tables), {}
        return tables

    def sources_frame(self) -> pd.DataFrame:
        """One row per source file/sheet, labelled columns, for display in a notebook."""
        label = texts("intake.sources.column")
        rows = [{
            label["table"]: table_label(src.table),
            label["file"]: src.path.name,
            label["sheet"]: src.sheet or "",
            label["header_row"]: src.header_row,
            label["encoding"]: src.encoding or "",
            label["n_rows"]: src.n_rows,
            label["mapped"]: _list(f"{h}→{column_label(src.table, c)}" for h, c in src.column_map.items()),
            label["unmapped"]: _list(src.unmapped),
        } for src in self.sources]
        return pd.DataFrame(rows, columns=list(label.values()))


# ============================================================================ entry point

def load_raw_data(data_dir, *, files: dict | None = None, column_map: dict | None = None,
                  excel_sheet: str | None = None, each_file=None) -> RawData:
    """Read every export in ``data_dir`` and recognise the canonical tables in it.

    Parameters
    ----------
    data_dir : str or Path
        Folder of raw exports (never written to). A relative path is taken from the current
        directory if it exists there, else from the project root.
    files : dict, optional
        ``input.files`` from params: ``{table: file name or list of names}``, relative to
        ``data_dir``. A table named here is read only from these files.
    column_map : dict, optional
        ``input.column_map``: ``{user header: canonical column}`` (or ``"table.column"``, or
        ``None`` to ignore a header). Wins over the built-in aliases.
    excel_sheet : str, optional
        Read only this sheet of each workbook (default: every sheet).
    each_file : callable, optional
        Wraps the loop over the files (``analysis.outputs.present.progress_of``: a progress
        bar naming the file being read).

    Returns
    -------
    RawData

    Raises
    ------
    InputError
        Missing folder, no readable files, an empty / header-only / undecodable / encrypted
        or corrupt file, no orders table, or a required column missing.

    Examples
    --------
    >>> raw = load_raw_data("data/raw")                       # doctest: +SKIP
    >>> raw.tables["orders"][["customer_id", "order_date", "amount"]].head()  # doctest: +SKIP
    """
    folder = _resolve_dir(data_dir)
    explicit = _explicit_files(files, folder)
    _check_column_map(column_map)
    column_map = dict(column_map or {})

    paths, skipped_files = _list_files(folder, explicit)
    # What reading the folder learns, so that a file holding no table is skipped unless it
    # turns out to be needed (see _Intake).
    intake = _Intake(n_files=len(paths),
                     orders_named=any("orders" in tables for tables in explicit.values()))

    sources: list[SourceTable] = []
    frames: dict[str, list[pd.DataFrame]] = {}
    recognised: list[tuple[str, str]] = []   # (file label, what it was recognised as)
    near_misses: list[tuple[str, str, _Match, list[str]]] = []  # label, table, match, headers
    notes: list[str] = []

    taken_by_params = {t for tables in explicit.values() for t in tables}
    for path in (each_file or iter)(paths):
        forced = explicit.get(path)
        grids, grid_notes = _read_file(path, excel_sheet, column_map, intake, path in explicit)
        notes.extend(grid_notes)
        chosen: list[tuple[_Grid, str, _Match]] = []
        if forced:
            for table in forced:
                fits = [(g, table, _match_by_content(g, table, column_map)) for g in grids]
                fits_ok = [fit for fit in fits if fit[2].eligible]
                if not fits_ok:
                    if not fits:
                        raise InputError(text("intake.error.no_such_sheet", sheet=excel_sheet),
                                         file=path.name)
                    raise _missing_required(fits[0][0], table, fits[0][2])
                chosen.extend(fits_ok)
                for grid, _, _ in fits:
                    if all(grid is not g for g, _, _ in fits_ok):
                        notes.append(text("intake.note.lacks_required", file=grid.label,
                                          table=table_label(table)))
        else:
            for grid in grids:
                matches = {t: _match_by_content(grid, t, column_map) for t in TABLES}
                hints = {t: _hinted(f"{path.stem} {grid.sheet or ''}", t) for t in TABLES}
                table = _choose_table(matches, hints)
                if table is None:
                    near = _near_miss(matches, hints)
                    if near:
                        near_misses.append((grid.label, near, matches[near], grid.headers))
                        recognised.append((grid.label, text("intake.recognised.near_miss",
                                                            table=table_label(near))))
                    else:
                        recognised.append((grid.label, text("intake.recognised.none")))
                        cols = _list(h for h in grid.headers if h) or text("intake.none")
                        notes.append(text("intake.note.unrecognised", file=grid.label,
                                          columns=cols))
                elif table in taken_by_params:
                    recognised.append((grid.label, text("intake.recognised.unused",
                                                        table=table_label(table))))
                    notes.append(text("intake.note.taken_by_params", file=grid.label,
                                      table=table_label(table)))
                else:
                    chosen.append((grid, table, matches[table]))
        for grid, table, match in chosen:
            if grid.n_rows == 0:
                if forced or table == "orders":
                    raise InputError(text("intake.error.header_only"), file=grid.label)
                notes.append(text("intake.note.header_only_table", file=grid.label,
                                  table=table_label(table)))
                recognised.append((grid.label, text("intake.recognised.no_rows",
                                                    table=table_label(table))))
                continue
            frame, source, extra = _build(grid, table, match)
            frames.setdefault(table, []).append(frame)
            sources.append(source)
            notes.extend(extra)
            recognised.append((grid.label, table_label(table)))

    if "orders" not in frames:
        for label, table, match, headers in near_misses:
            if table == "orders":
                raise InputError(_missing_text("orders", match, headers), file=label)
        found = _clauses(f"{label} → {what}" for label, what in recognised) or text("intake.none")
        raise InputError(text("intake.error.no_orders", table=table_label("orders"), found=found),
                         file=str(folder))
    for label, table, match, headers in near_misses:
        notes.append(text("intake.note.near_miss", file=label, table=table_label(table),
                          problem=_missing_text(table, match, headers)))

    headers_only = [src for src in sources if src.table == "orders" and src.from_parts]
    parts = [t for t in ORDER_PARTS if t in frames]
    if headers_only and not parts:
        src = headers_only[0]
        raise InputError(
            text("intake.error.header_without_money", orders=table_label("orders"),
                 column=column_label("orders", "amount"),
                 columns=_list(list(src.column_map) + src.unmapped))
            + _params_hint({"amount": [h for h in src.unmapped]}), file=src.path.name)
    for t in parts:
        if "orders" in frames and not headers_only and t == "payments":
            notes.append(text("intake.note.part_not_used", orders=table_label("orders"),
                              table=table_label(t)))

    tables = {t: _concat(frames[t], t) for t in TABLES if t in frames}
    skipped = skipped_files + notes + _what_is_missing(tables)
    return RawData(tables=tables, sources=sources, skipped=skipped)


# ============================================================================ params

def _list_files(folder: Path, explicit: dict[Path, list[str]]) -> tuple[list[Path], list[str]]:
    """Readable files of the folder plus those params name, and notes on the rest."""
    notes: list[str] = []
    paths: list[Path] = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.is_file() or path.name.startswith((".", "~$")) \
                or path.name.lower() in _IGNORED_NAMES:
            continue  # hidden files, Excel lock files
        suffix = _suffix(path)
        if suffix in TEXT_SUFFIXES + EXCEL_SUFFIXES:
            paths.append(path)
        elif path in explicit:
            continue  # a hard error below
        elif suffix in _RESAVE:
            notes.append(text("intake.note.cannot_read_format", file=path.name,
                              format=_format_name(suffix)))
        else:
            notes.append(text("intake.note.not_a_table_file", file=path.name,
                              suffix=suffix or text("intake.no_suffix")))
    for path in explicit:
        if path not in paths:
            suffix = _suffix(path)
            if suffix not in TEXT_SUFFIXES + EXCEL_SUFFIXES:
                raise InputError(text("intake.error.cannot_read_format",
                                      format=_format_name(suffix)), file=path.name)
            paths.append(path)
    if not paths:
        detail = (text("intake.error.no_readable_files_detail", notes=_clauses(notes))
                  if notes else "")
        raise InputError(text("intake.error.no_readable_files", detail=detail), file=str(folder))
    return paths, notes



def _suffix(path: Path) -> str:
    """The format suffix: ``.csv`` for ``sales.csv`` and for a gzip-compressed ``sales.csv.gz``."""
    suffixes = [x.lower() for x in path.suffixes[-2:]]
    if len(suffixes) == 2 and suffixes[1] == ".gz" and suffixes[0] in TEXT_SUFFIXES:
        return suffixes[0]
    return path.suffix.lower()


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if path.suffix.lower() == ".gz":
        import gzip
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise InputError(text("intake.error.bad_gzip", error=err), file=path.name) from None
    return raw


def _resolve_dir(data_dir) -> Path:
    if data_dir is None:
        raise InputError(text("intake.error.no_data_dir"))
    folder = Path(data_dir).expanduser()
    if not folder.is_absolute() and not folder.exists():
        folder = PROJECT_ROOT / folder
    if not folder.exists():
        raise InputError(text("intake.error.data_dir_missing"), file=str(folder))
    if not folder.is_dir():
        raise InputError(text("intake.error.data_dir_not_folder"), file=str(folder))
    return folder


def _explicit_files(files: dict | None, folder: Path) -> dict[Path, list[str]]:
    """``input.files`` -> {path: [tables]}; a file may serve more than one table."""
    out: dict[Path, list[str]] = {}
    for table, names in (files or {}).items():
        if table not in TABLES:
            raise ParamsError(text("intake.error.unknown_table", name=table,
                                   known=", ".join(TABLES)))
        for name in [names] if isinstance(names, (str, Path)) else list(names or []):
            path = Path(name) if Path(name).is_absolute() else folder / name
            if not path.is_file():
                raise InputError(text("intake.error.named_file_missing", table=table_label(table)),
                                 file=str(path))
            out.setdefault(path, []).append(table)
    return out


def _check_column_map(column_map: dict | None) -> None:
    if column_map is None:
        return
    if not isinstance(column_map, dict):
        raise ParamsError(text("intake.error.column_map_not_map"))
    known = {c for cols in TABLES.values() for c in cols}
    for header, target in column_map.items():
        if target is None or str(target).strip() == "":
            continue
        table, _, column = str(target).strip().rpartition(".")
        ok = column in TABLES[table] if table in TABLES else (not table and column in known)
        if not ok:
            raise ParamsError(text("intake.error.column_map_unknown", header=header, target=target,
                                   known=", ".join(sorted(known))))


# ============================================================================ reading

@dataclass
class _Grid:
    """The cells of one file or sheet below its header row, positional columns."""

    path: Path
    sheet: str | None
    label: str                  # how messages name it: file, or file[sheet]
    encoding: str | None
    header_row: int             # 1-based line / row of the header
    headers: list[str]
    data: pd.DataFrame          # columns 0..k-1, str dtype, blank rows dropped
    rows: np.ndarray            # _source_row of each data row

    @property
    def n_rows(self) -> int:
        return len(self.data)


class _NoTable(InputError):
    """The file holds no table to read: empty, binary, one endless line, free text …

    Raised by the readers and caught by :func:`_read_file`, which skips such a file with a
    note unless it is needed (see :class:`_Intake`); never raised out of this module, because
    the runner recognises user errors by the names ``InputError`` / ``KitError``.
    """


@dataclass
class _Intake:
    """What reading one folder has learnt so far, shared by the paths :func:`_list_files` gives.

    Users leave other things in the export folder (a log saved as .txt, a stray one-line
    export, a half-finished file). Such a file, or one holding only a header, is skipped with
    a note — unless params name it, or once every file is read nothing else offers the orders
    table: then its error stops the run, as it is the likeliest reason the orders are missing.
    """

    n_files: int
    orders_named: bool            # input.files names the orders file: others never serve it
    n_read: int = 0
    orders_offered: bool = False  # some file read so far has rows that may be the orders
    failures: list[InputError] = field(default_factory=list)

    def settle(self) -> None:
        """Raise the first skipped file's error if it was needed after all."""
        if not self.failures or self.orders_offered or self.orders_named:
            return
        first, others = self.failures[0], [err.file for err in self.failures[1:]]
        message = first.message
        if self.n_files > 1:
            more = ""
            if others:
                more = text("intake.error.others_unusable", n=len(others),
                            files=_list(others[:5]) + ("…" if len(others) > 5 else ""))
            message += text("intake.error.no_other_orders", table=table_label("orders"), more=more)
        raise InputError(message, file=first.file, row=first.row, column=first.column)


def _read_file(path: Path, excel_sheet: str | None, column_map: dict,
               intake: _Intake | None = None, named: bool = False):
    """(grids, notes) of one file.

    A file with no table in it, or an orders table with only a header, is skipped with a
    note; it raises InputError when params name it (``named``), or — after the folder's last
    file — when no other file offers the orders table (see :class:`_Intake`). Without an
    ``intake`` (one file read on its own) any unreadable file raises.
    """
    needed = intake is None or named
    try:
        if path.suffix.lower() in EXCEL_SUFFIXES:
            grids, notes = _read_workbook(path, excel_sheet, column_map)
        else:
            grids, notes = [_read_delimited(path, column_map)], []
    except _NoTable as err:
        if needed:
            raise InputError(err.message, file=err.file, row=err.row, column=err.column) from None
        intake.failures.append(err)
        grids, notes = [], [text("intake.note.skipped", problem=err)]
    if not needed and not intake.orders_named:
        kept = []
        for grid in grids:
            if _may_be_orders(grid, column_map):
                if not grid.n_rows:  # an empty month's export next to the others
                    intake.failures.append(InputError(text("intake.error.header_only"),
                                                      file=grid.label))
                    notes.append(text("intake.note.header_only", file=grid.label))
                    continue
                intake.orders_offered = True
            kept.append(grid)
        grids = kept
    if intake is not None:
        intake.n_read += 1
        if intake.n_read == intake.n_files:
            intake.settle()
    return grids, notes


def _may_be_orders(grid: _Grid, column_map: dict) -> bool:
    """Whether recognition might take ``grid`` for the orders table — erring towards yes, so
    that a skipped file is never blamed while another file holds the orders: its headers make
    it eligible, or name a customer id and an order column (content may supply the rest)."""
    match = _match(grid.headers, "orders", column_map)
    return match.eligible or _content_may_complete(set(match.mapping.values()))


def _content_may_complete(named: set[str]) -> bool:
    """Whether headers naming ``named`` are orders enough for content to supply the date or
    amount column (:func:`_match_by_content`): a customer id and one order column."""
    return "customer_id" in named and bool(
        named & {"order_date", "amount", "quantity", "unit_price", "order_id"})


# ---------------------------------------------------------------------------- CSV / TXT

_CHECK_CHUNK = 1 << 24   # bytes validated at a time


def _utf8_start(raw: bytes) -> tuple[int, str] | None:
    """``(where the text starts, encoding label)`` when :func:`_decode` would read ``raw`` as
    UTF-8 — checked 16 MB at a time, never decoded whole; ``None`` otherwise (then
    :func:`_decode` decides, and words any error).

    Examples
    --------
    >>> _utf8_start("客户".encode()), _utf8_start(codecs.BOM_UTF8 + b"a"), _utf8_start("客户".encode("gbk"))
    ((0, 'UTF-8'), (3, 'UTF-8 (BOM)'), None)
    """
    if raw.startswith(codecs.BOM_UTF8):
        start, label = len(codecs.BOM_UTF8), "UTF-8 (BOM)"
    else:
        sample = raw[:4096]
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) \
                or sample.count(b"\x00") > len(sample) // 4:
            return None
        start, label = 0, "UTF-8"
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    try:
        for pos in range(start, len(raw), _CHECK_CHUNK):
            decoder.decode(view[pos:pos + _CHECK_CHUNK], final=pos + _CHECK_CHUNK >= len(raw))
    except UnicodeDecodeError:
        return None
    return start, label


def _decode(raw: bytes, name: str) -> tuple[str, str]:
    """Text and a label of its encoding: BOM first, then strict UTF-8, GBK, GB18030."""
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[len(codecs.BOM_UTF8):].decode("utf-8"), "UTF-8 (BOM)"
        except UnicodeDecodeError as err:
            raise InputError(text("intake.error.bad_utf8", byte=err.start), file=name) from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise InputError(text("intake.error.bad_utf16"), file=name) from None
    candidates = [("utf-8", "UTF-8"), ("gbk", "GBK"), ("gb18030", "GB18030")]
    sample = raw[:4096]
    if sample.count(b"\x00") > len(sample) // 4:  # UTF-16 without a BOM
        odd_zeros = sample[1::2].count(b"\x00") > sample[0::2].count(b"\x00")
        candidates.insert(0, ("utf-16-le", "UTF-16") if odd_zeros else ("utf-16-be", "UTF-16"))
    for encoding, label in candidates:
        try:
            return raw.decode(encoding), label
        except UnicodeDecodeError:
            continue
    raise InputError(text("intake.error.unknown_encoding"), file=name)


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter giving the most lines with one consistent field count (>1)."""
    best, best_key = ",", (0, 0)
    for delim in (",", "\t", ";", "|"):
        try:
            widths = Counter(len(rec) for rec in csv.reader(lines, delimiter=delim)
                             if len(rec) > 1 and any(c.strip() for c in rec))
        except csv.Error:
            continue
        if not widths:
            continue
        key = max((freq, width) for width, freq in widths.items())
        if key > best_key:
            best, best_key = delim, key
    return best


_MAX_COLUMNS = 16_384       # Excel's limit; no export has more
_BINARY_SAMPLE = 65_536     # characters looked at to tell text from binary
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # tab, line breaks, \v, \f are text


def _looks_binary(sample: str) -> bool:
    """Whether decoded text is really binary: over 1% control characters (a real export has
    none, or a stray few that cleaning strips).

    Examples
    --------
    >>> _looks_binary("客户编号,金额\\nC1,5\\n")
    False
    >>> _looks_binary("PK\\x03\\x04\\x14\\x00\\x06\\x00" * 4)   # a zip file's first bytes
    True
    """
    controls = len(_CONTROL_CHARS.findall(sample))
    return controls >= 8 and controls * 100 > len(sample)


def _read_delimited(path: Path, column_map: dict) -> _Grid:
    name = path.name
    raw = _read_bytes(path)
    if not raw:
        raise _NoTable(text("intake.error.empty_file"), file=name)
    if len(raw) > _HEAD_CHARS and raw.find(b"\n", 0, _HEAD_CHARS) < 0 \
            and raw.find(b"\r", 0, _HEAD_CHARS) < 0:
        # Checked on the bytes, before decoding: a header is never 1 MB long, and the csv
        # module and pyarrow would take seconds and gigabytes over one endless line.
        raise _NoTable(text("intake.error.one_line", mb=len(raw) / 2 ** 20), file=name)
    utf8 = _utf8_start(raw)
    if utf8 is not None:
        # UTF-8 (the usual case): pyarrow reads the bytes, only the head is decoded; the
        # whole text as a Python str would take 1-4 bytes per character on top of the file.
        start, encoding = utf8
        content = None
        cut = min(len(raw), start + 4 * _HEAD_CHARS + 4)   # over _HEAD_CHARS characters if cut
        head = codecs.getincrementaldecoder("utf-8")().decode(raw[start:cut],
                                                               final=cut == len(raw))
        more = len(head) > _HEAD_CHARS
        head = head[:_HEAD_CHARS]
    else:
        try:
            content, encoding = _decode(raw, name)
        except InputError as err:
            raise _NoTable(err.message, file=name) from None
        start, head, more = 0, content[:_HEAD_CHARS], len(content) > _HEAD_CHARS

    def whole_text() -> str:
        return content if content is not None else raw[start:].decode("utf-8")

    if _looks_binary(head[:_BINARY_SAMPLE]):
        raise _NoTable(text("intake.error.binary"), file=name)
    if not head.strip() and (not more or not whole_text().strip()):
        raise _NoTable(text("intake.error.blank_lines_only"), file=name)

    if more and "\n" in head:
        head = head[:head.rfind("\n") + 1]
    delim = _sniff_delimiter(head.splitlines()[:_SNIFF_LINES])

    # The first records with their physical line spans, to find the header.
    records: list[tuple[list[str], int, int]] = []
    reader = csv.reader(StringIO(head), delimiter=delim)
    end = 0
    try:
        for rec in reader:
            records.append((rec, end + 1, reader.line_num))
            end = reader.line_num
            if sum(1 for r, _, _ in records if _non_blank(r)) >= HEADER_SCAN_ROWS:
                break
    except csv.Error:
        pass  # a broken quote in the sample; the header is normally above it
    if not any(_non_blank(r) for r, _, _ in records):
        raise _NoTable(text("intake.error.no_header_row"), file=name)
    idx = _find_header([r for r, _, _ in records], column_map)
    header, header_start, header_end = records[idx]
    headers = [h.strip() for h in header]
    n_header = 1
    if idx + 1 < len(records):
        two_rows = _two_row_header(headers, records[idx + 1][0], column_map)
        if two_rows is not None:
            headers, n_header, header_end = two_rows, 2, records[idx + 1][2]
    width = len(headers)
    if width > _MAX_COLUMNS:  # reading on would cost minutes and gigabytes
        raise _NoTable(text("intake.error.too_many_columns", n=width, limit=_MAX_COLUMNS),
                       file=name, row=header_start)

    if content is None:
        body = pa.py_buffer(raw).slice(start)
        multiline = raw.find(b'"', start) >= 0
    else:
        body = pa.py_buffer(content.encode("utf-8"))
        multiline = '"' in content
    rows = None
    # pyarrow skips physical lines, not records: skip through the header's last line.
    data = _parse_body_fast(body, delim, header_end, width, multiline)
    del body
    if data is None:
        content = whole_text()
    del raw
    if data is None:  # blank or short rows: pandas pads them; too-long rows go slower still
        try:
            data = pd.read_csv(
                StringIO(content), sep=delim, header=None, skiprows=header_start - 1, dtype=str,
                keep_default_na=False, na_values=[""], skip_blank_lines=False, index_col=False,
                engine="c",
            ).iloc[n_header:].reset_index(drop=True)
        except pd.errors.ParserError:
            try:
                data, rows = _read_ragged(content, delim, idx + n_header - 1, width, name)
            except InputError as err:
                known = _any_table_index(column_map)
                if any(normalise_header(h) in known for h in headers):
                    raise  # a table of ours with a broken row: the user must fix that row
                # Free text (a log saved as .txt) splits into rows of any width.
                raise _NoTable(text("intake.error.free_text"), file=name, row=err.row) from None
    if rows is None:
        rows = header_end + 1 + np.arange(len(data), dtype=np.int64)
        if multiline and len(data):
            # Quoted fields may span lines; later rows start that many lines further down.
            extra = np.zeros(len(data), dtype=np.int64)
            for col in data.columns:
                extra += data[col].str.count("\n").fillna(0).to_numpy(dtype=np.int64)
            rows += np.concatenate([[0], np.cumsum(extra)[:-1]])
    if data.shape[1] < width:  # header longer than every data row
        data = data.reindex(columns=range(width))
    data.columns = range(width)
    data = _unwrap_excel_text(data.astype("str"))
    return _tidy(path, None, name, encoding, header_start, headers, data, rows)


def _unwrap_excel_text(data: pd.DataFrame) -> pd.DataFrame:
    """``="0123"`` -> ``0123``: exporters write this so that Excel keeps leading zeros and
    long digit strings (phones, ids) as text; Excel shows the value without the wrapper."""
    for col in data.columns:
        values = data[col]
        wrapped = (values.str.startswith('="') & values.str.endswith('"')).fillna(False)
        if wrapped.any():
            data[col] = values.mask(wrapped, values.str.slice(2, -1))
    return data


def _parse_body_fast(utf8: pa.Buffer, delim: str, skip: int, width: int, multiline: bool):
    """The records after the header with pyarrow's multi-threaded reader (4x pandas' speed on
    a million rows); ``None`` when a row is blank or of another width, left to pandas."""
    import pyarrow.csv as pacsv

    invalid = []

    def on_invalid(row):
        invalid.append(row)
        return "skip"

    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            utf8,
            read_options=pacsv.ReadOptions(skip_rows=skip, column_names=names),
            parse_options=pacsv.ParseOptions(
                delimiter=delim, newlines_in_values=multiline, ignore_empty_lines=False,
                invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, null_values=[""],
                strings_can_be_null=True, quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if invalid:
        return None
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype(na_value=np.nan)}.get)
    frame.columns = range(width)
    return frame


def _read_ragged(content: str, delim: str, header_idx: int, width: int, name: str):
    """Slow path for rows longer than the header: trailing empty cells are dropped; anything
    else there is a broken row, reported with its line number."""
    reader = csv.reader(StringIO(content), delimiter=delim)
    out, rows = [], []
    end = 0
    try:
        for i, rec in enumerate(reader):
            start, end = end + 1, reader.line_num
            if i <= header_idx:
                continue
            if len(rec) > width:
                if any(c.strip() for c in rec[width:]):
                    raise InputError(text("intake.error.long_row", n=len(rec), width=width,
                                          delimiter=_show(delim)), file=name, row=start)
                rec = rec[:width]
            out.append(rec + [""] * (width - len(rec)))
            rows.append(start)
    except csv.Error as err:
        raise InputError(text("intake.error.csv", error=err), file=name, row=end + 1) from None
    data = pd.DataFrame(out, columns=range(width), dtype=object).replace("", None).astype("str")
    return data, np.asarray(rows, dtype=np.int64)


def _show(delim: str) -> str:
    return text("intake.delimiter.tab") if delim == "\t" else delim


# ---------------------------------------------------------------------------- XLSX

def _read_workbook(path: Path, excel_sheet: str | None, column_map: dict):
    """(grids, notes) of a workbook, read with calamine (Rust): 4x openpyxl's speed.

    calamine gives each cell's value and the merged ranges but shows an error cell
    (``#N/A``) as empty; those are put back from the sheet's XML (see :func:`_error_cells`).
    """
    import python_calamine as calamine

    name = path.name
    size = path.stat().st_size
    if size == 0:
        raise _NoTable(text("intake.error.empty_file"), file=name)
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(_OLE2_MAGIC[:4]):
        raise InputError(text("intake.error.encrypted"), file=name)
    if not magic.startswith(b"PK"):
        raise InputError(text("intake.error.not_xlsx"), file=name)
    try:
        book = calamine.CalamineWorkbook.from_path(path)
        zipped = zipfile.ZipFile(path)
    except calamine.PasswordError:
        raise InputError(text("intake.error.encrypted"), file=name) from None
    except (calamine.CalamineError, zipfile.BadZipFile, OSError, ValueError, KeyError,
            EOFError) as err:
        raise InputError(text("intake.error.corrupt_xlsx", error=type(err).__name__),
                         file=name) from None
    grids, notes = [], []
    with book, zipped:
        all_names = book.sheet_names
        names = all_names
        if excel_sheet is not None:
            if excel_sheet not in names:
                notes.append(text("intake.note.no_such_sheet", file=name, sheet=excel_sheet,
                                  sheets=_list(names)))
                return grids, notes
            names = [excel_sheet]
        worksheets = {m.name for m in book.sheets_metadata
                      if m.typ == calamine.SheetTypeEnum.WorkSheet}  # not chart sheets
        multi = len(all_names) > 1
        any_cells = False
        for sheet in names:
            if sheet not in worksheets:
                continue
            label = f"{name}[{sheet}]" if multi else name
            try:
                ws = book.get_sheet_by_name(sheet)
                # From A1, so that list positions are Excel's rows and columns.
                cells = _cells_text(ws.to_python(skip_empty_area=False))
                merged = [(c0 + 1, r0 + 1, c1 + 1, r1 + 1)
                          for (r0, c0), (r1, c1) in ws.merged_cell_ranges or ()]
                part = _sheet_parts(zipped).get(sheet)
                errors = _error_cells(zipped.open(part)) if part else []
            except (calamine.CalamineError, zipfile.BadZipFile, KeyError, OSError, ValueError,
                    EOFError) as err:
                raise InputError(text("intake.error.corrupt_sheet", sheet=sheet,
                                      error=type(err).__name__), file=name) from None
            for row, col, value in errors:
                if row < len(cells) and col < len(cells[row]) and cells[row][col] is None:
                    cells[row][col] = value
            if not any(_non_blank(r) for r in cells):
                continue
            any_cells = True
            grid, filled = _grid_from_cells(path, sheet, label, cells, column_map, merged)
            grids.append(grid)
            if filled:
                columns = _list(dict.fromkeys(
                    header or _unnamed_column(col) for col, header in sorted(filled)))
                notes.append(text("intake.note.merged_filled", file=label, n=len(filled),
                                  columns=columns))
    if not any_cells and not notes:
        raise _NoTable(text("intake.error.empty_workbook"), file=name)
    return grids, notes


_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _sheet_parts(zipped: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip member holding its XML (``xl/worksheets/sheet1.xml``)."""
    import posixpath
    from xml.etree import ElementTree

    def relations(rels_path: str, base: str) -> dict[str, tuple[str, str]]:
        """Relation id -> (type, member), targets made relative to the zip's root."""
        out = {}
        for rel in ElementTree.fromstring(zipped.read(rels_path)):
            target = rel.get("Target", "")
            out[rel.get("Id")] = (rel.get("Type", ""), target.lstrip("/") if target.startswith("/")
                                  else posixpath.normpath(posixpath.join(base, target)))
        return out

    book_part = next((member for kind, member in relations("_rels/.rels", "").values()
                      if kind.endswith("/officeDocument")), "xl/workbook.xml")
    folder, file = posixpath.split(book_part)
    sheets = relations(posixpath.join(folder, "_rels", file + ".rels"), folder)
    book_xml = ElementTree.fromstring(zipped.read(book_part))
    return {sheet.get("name"): sheets.get(sheet.get(_REL_NS), ("", None))[1]
            for sheet in book_xml.iter() if sheet.tag.endswith("}sheet")}


_ERROR_CELL = re.compile(
    rb"""<(?:[\w.-]+:)?c\b(?=[^>]*\bt=["']e["'])[^>]*?\br=["']([A-Z]{1,3})(\d+)["'][^>]*>"""
    rb"""(?:(?!</(?:[\w.-]+:)?c>).)*?<(?:[\w.-]+:)?v>([^<]*)</(?:[\w.-]+:)?v>""", re.S)
_TAIL = 1 << 16   # an error cell, formula included, is shorter than this


def _error_cells(source) -> list[tuple[int, int, str]]:
    """The error cells (``<c r="A7" t="e"><v>#N/A</v></c>``) of a sheet's XML, as 0-based
    ``(row, column, text)``: Excel shows the error, so the user sees why the cell counts as
    empty. Streamed in 1 MB chunks; a sheet without one costs a search per chunk.

    Examples
    --------
    >>> import io
    >>> _error_cells(io.BytesIO(b'<c r="B3" s="1" t="e"><f>1/0</f><v>#DIV/0!</v></c>'))
    [(2, 1, '#DIV/0!')]
    """
    found, tail = [], b""
    with source:
        while chunk := source.read(1 << 20):
            data = tail + chunk
            if b't="e"' in data or b"t='e'" in data:  # memchr-fast; a regex is 3x slower
                # A cell cut by the chunk boundary is found whole in the next round; one that
                # ended inside the carried-over tail was found in this one.
                for m in _ERROR_CELL.finditer(data):
                    if m.end() > len(tail):
                        found.append((int(m.group(2)) - 1, _column_index(m.group(1)),
                                      m.group(3).decode("utf-8", "replace")))
            tail = data[-_TAIL:]
    return found


def _column_index(letters: bytes) -> int:
    """0-based column of Excel's letters: ``b"A"`` -> 0, ``b"AB"`` -> 27."""
    index = 0
    for ch in letters:
        index = index * 26 + ch - 64
    return index - 1


def _fill_merged_down(cells: list[list], merged, first: int) -> list[int]:
    """Give the rows of each merged range below the header its top-left value, in place.

    A customer id or order date merged down over an order's lines is shown by Excel on every
    line but stored only in the top cell. ``first`` is the index in ``cells`` of the first row
    below the header: merged cells of the header itself are left alone (a two-row header reads
    its parents from the blanks), and so are rows with nothing else in them (no row is made
    up). Returns the 0-based column of each range that filled something.

    Examples
    --------
    >>> cells = [["客户编号", "金额"], ["C1", "5"], [None, "6"], [None, None]]
    >>> _fill_merged_down(cells, [(1, 2, 1, 4)], first=1), cells[2], cells[3]
    ([0], ['C1', '6'], [None, None])
    """
    ranges = [(min_col - 1, min_row - 1, max_row) for min_col, min_row, _, max_row in merged
              if min_row - 1 >= first and max_row > min_row and min_row - 1 < len(cells)]
    targets = {i for _, top, bottom in ranges for i in range(top + 1, min(bottom, len(cells)))}
    blank = {i for i in targets if not _non_blank(cells[i])}  # before any filling
    filled = []
    for col, top, bottom in ranges:
        value = cells[top][col] if col < len(cells[top]) else None
        if value is None:
            continue
        done = False
        for i in range(top + 1, min(bottom, len(cells))):
            row = cells[i]
            if i in blank:
                continue
            if len(row) <= col:
                row.extend([None] * (col + 1 - len(row)))
            if row[col] is None:
                row[col], done = value, True
        if done:
            filled.append(col)
    return filled


_type_of = np.frompyfunc(type, 1, 1)
_iso_date = np.frompyfunc(dt.date.isoformat, 1, 1)


def _cells_text(rows: list[list]):
    """:func:`_cell_text` of every cell of a rectangular sheet, column by column: texts and
    dates (most cells) in numpy's loops, only the rest one call each — 2x faster. The grid
    comes back as a 2-D object array (rows index like lists; no list per row is built).

    Examples
    --------
    >>> _cells_text([["C1", dt.date(2024, 3, 1), 12.0], ["", dt.datetime(2024, 3, 2, 9), True]]).tolist()
    [['C1', '2024-03-01', '12'], [None, '2024-03-02 09:00:00', 'TRUE']]
    """
    if not rows or not rows[0]:
        return [[None] * len(r) for r in rows]
    grid = np.empty((len(rows), len(rows[0])), dtype=object)
    grid[:] = rows
    for j in range(grid.shape[1]):
        col = grid[:, j]
        kinds = _type_of(col)
        is_text = kinds == str
        col[is_text & (col == "")] = None
        is_date = kinds == dt.date                  # a datetime is not: its type differs
        if is_date.any():
            col[is_date] = _iso_date(col[is_date])
        other = ~(is_text | is_date)
        if other.any():
            col[other] = [_cell_text(v) for v in col[other]]
    return grid


def _cell_text(value):
    """A cell value as the text the user sees; None for empty."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return format(value, ".15g")  # Excel keeps 15 significant digits
    if isinstance(value, dt.datetime):
        if value.microsecond:
            return value.isoformat(sep=" ", timespec="milliseconds")
        if value.hour == value.minute == value.second == 0:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _grid_from_cells(path: Path, sheet: str, label: str, cells: list[list], column_map: dict,
                     merged=()):
    """The grid of one sheet's cells (rows as lists, from Excel row 1), and the merged ranges
    filled down in its body as ``(column, header)`` pairs (see :func:`_fill_merged_down`)."""
    scan, n_non_blank = [], 0
    for r in cells:
        scan.append(r)
        n_non_blank += _non_blank(r)
        if n_non_blank >= HEADER_SCAN_ROWS:
            break
    idx = _find_header(scan, column_map)
    headers = ["" if h is None else str(h).strip() for h in cells[idx]]
    n_header = 1
    if idx + 1 < len(cells):
        two_rows = _two_row_header(headers, cells[idx + 1], column_map)
        if two_rows is not None:
            headers, n_header = two_rows, 2
    filled = _fill_merged_down(cells, merged, idx + n_header) if merged else []
    body = cells[idx + n_header:]
    if isinstance(body, np.ndarray):   # a rectangular sheet (_cells_text): no row by row
        width = max(len(headers), body.shape[1])
        data = pd.DataFrame(body, columns=range(body.shape[1]), dtype=object)
        data = data.reindex(columns=range(width)).astype("str")
    else:
        width = max([len(headers)] + [len(r) for r in body])
        padded = [r + [None] * (width - len(r)) if len(r) < width else r for r in body]
        data = pd.DataFrame(padded, columns=range(width), dtype=object).astype("str")
    headers += [""] * (width - len(headers))
    first = idx + n_header + 1  # Excel rows are 1-based
    rows = np.arange(first, first + len(body), dtype=np.int64)
    grid = _tidy(path, sheet, label, None, idx + 1, headers, data, rows)
    return grid, [(col, headers[col]) for col in filled]


# ---------------------------------------------------------------------------- both

def _non_blank(record) -> bool:
    return any(c is not None and str(c).strip() != "" for c in record)


def _any_table_index(column_map: dict) -> set[str]:
    keys: set[str] = set()
    for table in TABLES:
        keys |= set(alias_index(table, column_map))
    return keys


def _find_header(records: list[list], column_map: dict) -> int:
    """Index of the header among the first records.

    The header is the earliest record naming the most canonical columns (at least two).
    Failing that — headers nobody told us about — it is the first of the widest records, so
    a title row above it (one filled cell) is still passed over.
    """
    known = _any_table_index(column_map)
    best, best_hits = None, 0
    widths = []
    for i, rec in enumerate(records):
        cells = [str(c).strip() for c in rec if c is not None and str(c).strip() != ""]
        widths.append(len(cells))
        hits = len({normalise_header(c) for c in cells} & known)
        if hits > best_hits:
            best, best_hits = i, hits
    if best is not None and best_hits >= 2:
        return best
    widest = max(widths) if widths else 0
    return next(i for i, w in enumerate(widths) if w == widest)


def _two_row_header(headers: list[str], record: list, column_map: dict) -> list[str] | None:
    """The column names of a two-row header, or ``None`` when ``record`` is a row of data.

    A parent merged across columns ("金额" over "实付 | 应付") leaves the header row blank to
    its right and puts the sub-labels in the row below, while the columns merged down both
    rows ("客户编号") are blank in that second row. ``record`` is taken as the header's second
    row only when it shows both signs and holds nothing but labels without digits — a row of
    data has an id, a date or an amount in it.

    Each sub-label is named on its own if that is a known column name ("手机" under "联系方式"),
    else with its parent before or after it ("实付" under "金额" -> "实付金额"), else
    "parent/sub" (shown as is, matched by neither).

    Examples
    --------
    >>> _two_row_header(["客户编号", "金额", ""], [None, "实付", "应付"], {})
    ['客户编号', '实付金额', '应付金额']
    >>> _two_row_header(["客户编号", "金额", ""], ["C1", "5", "备注"], {}) is None
    True
    """
    sub = ["" if c is None else str(c).strip() for c in record]
    width = max(len(headers), len(sub))
    top = list(headers) + [""] * (width - len(headers))
    sub += [""] * (width - len(sub))
    filled = [j for j in range(width) if sub[j]]
    if not filled or any(ch.isdigit() for j in filled for ch in sub[j]):
        return None
    under_span = any(sub[j] and not top[j] and any(top[:j]) for j in range(width))
    merged_down = any(top[j] and not sub[j] for j in range(width))
    if not (under_span and merged_down):
        return None
    known = _any_table_index(column_map)
    names, parent = [], ""
    for j in range(width):
        parent = top[j] or parent
        if not sub[j]:
            names.append(top[j])
            continue
        tries = [sub[j], sub[j] + parent, parent + sub[j]] if parent else [sub[j]]
        names.append(next((t for t in tries if normalise_header(t) in known),
                          f"{parent}/{sub[j]}" if parent else sub[j]))
    return names


def _tidy(path, sheet, label, encoding, header_row, headers, data, rows) -> _Grid:
    """Drop blank rows and unnamed empty columns, name unnamed columns that hold data."""
    # Narrow down column by column: after the first filled column few candidates remain.
    candidates = np.arange(len(data))
    for col in data.columns:
        if not len(candidates):
            break
        values = data[col].iloc[candidates]
        empty = (values.isna() | values.str.strip().eq("")).to_numpy(dtype=bool)
        candidates = candidates[empty]
    keep_rows = np.ones(len(data), dtype=bool)
    keep_rows[candidates] = False
    if len(candidates):   # else no copy of the whole table
        data = data.loc[keep_rows]
    rows = np.asarray(rows)[keep_rows]
    keep_cols, names = [], []
    for j, header in enumerate(headers):
        if header == "" and data[j].isna().all():
            continue
        keep_cols.append(j)
        names.append(header if header else _unnamed_column(j))
    data = data[keep_cols].reset_index(drop=True)
    data.columns = range(len(keep_cols))
    return _Grid(path=path, sheet=sheet, label=label, encoding=encoding, header_row=header_row,
                 headers=names, data=data, rows=rows)


# ============================================================================ recognition

@dataclass
class _Match:
    mapping: dict[int, str]          # column position -> canonical
    score: float                     # sum of specificity weights
    specific: int                    # mapped headers that name a column of this table only
    missing: list[str]               # required columns not found
    eligible: bool
    duplicates: list[tuple[int, str, int]]  # (unused position, canonical, used position)
    from_parts: list[str] = field(default_factory=list)  # required columns another file supplies
    inferred: dict[str, str] = field(default_factory=dict)  # header -> canonical, by content
    candidates: dict[str, list[str]] = field(default_factory=dict)  # column -> fitting headers


def _tables_per_key(column_map: dict) -> Counter:
    counts: Counter = Counter()
    for table in TABLES:
        counts.update(set(alias_index(table, column_map)))
    return counts


def _match(headers: list[str], table: str, column_map: dict) -> _Match:
    index = alias_index(table, column_map)
    spread = _tables_per_key(column_map)
    chosen: dict[str, tuple[int, int]] = {}  # canonical -> (rank, position)
    dupes = []
    for pos, header in enumerate(headers):
        key = normalise_header(header)
        if key not in index:
            continue
        column, rank = index[key]
        if column in chosen:
            old_rank, old_pos = chosen[column]
            if (rank, pos) < (old_rank, old_pos):
                dupes.append((old_pos, column, pos))
                chosen[column] = (rank, pos)
            else:
                dupes.append((pos, column, old_pos))
        else:
            chosen[column] = (rank, pos)
    mapping = {pos: column for column, (_, pos) in sorted(chosen.items(), key=lambda kv: kv[1][1])}
    weights = [1 / spread[normalise_header(headers[pos])] for pos in mapping]
    missing = [c for c in REQUIRED[table] if c not in chosen
               and not any(all(a in chosen for a in alt)
                           for alt in ALTERNATIVES.get(table, {}).get(c, ()))]
    from_parts: list[str] = []
    if table == "orders" and missing == ["amount"] and "order_id" in chosen:
        # An order header: its amount comes from an order-lines or payments file, joined
        # by order number (checked once every file has been read).
        missing, from_parts = [], ["amount"]
    eligible = not missing and (table != "customers" or len(mapping) >= 2)
    if table == "order_lines":
        has_money = "amount" in chosen or "unit_price" in chosen  # one row per unit: price
        eligible = eligible and has_money
    if table in ORDER_PARTS:
        # A file naming its customer is an orders table, not a part of one.
        names_customer = any(alias_index("orders", column_map).get(normalise_header(h), ("",))[0]
                             in ("customer_id", "order_date") for h in headers)
        eligible = eligible and not names_customer and len(mapping) >= 2
    return _Match(mapping=mapping, score=sum(weights), specific=sum(w == 1 for w in weights),
                  missing=missing, eligible=eligible, duplicates=dupes, from_parts=from_parts)


def _hinted(name: str, table: str) -> bool:
    name = name.lower()
    return any(word in name for word in TABLE_NAME_HINTS[table])


def _choose_table(matches: dict[str, _Match], hints: dict[str, bool]) -> str | None:
    """The eligible table with the best score; a name hint counts half a column."""
    eligible = [t for t in TABLES if matches[t].eligible]
    if not eligible:
        return None
    return max(eligible, key=lambda t: (matches[t].score + 0.5 * hints[t], -list(TABLES).index(t)))


def _near_miss(matches: dict[str, _Match], hints: dict[str, bool]) -> str | None:
    """The table a file seems meant to be, though a required column is missing."""
    candidates = [t for t in TABLES
                  if matches[t].mapping and (matches[t].specific >= 1 or hints[t])
                  and (t != "customers" or matches[t].missing)]
    if not candidates:
        return None
    return max(candidates, key=lambda t: (matches[t].score + 0.5 * hints[t],
                                          -list(TABLES).index(t)))


def _missing_text(table: str, match: _Match, headers: list[str]) -> str:
    names = _list(text("intake.missing.column", label=column_label(table, c), column=c)
                  for c in match.missing)
    found = _list(h for h in headers if h) or text("intake.none")
    candidates = {c: match.candidates.get(c, []) for c in match.missing}
    named = {c: heads for c, heads in candidates.items() if heads}
    maybe = [text("intake.missing.by_content", label=column_label(table, c),
                  headers=_list(_quoted(h) for h in heads))
             for c, heads in named.items()]
    unmapped = iter([h for pos, h in enumerate(headers) if h and pos not in match.mapping])
    example = {c: (named.get(c) or [next(unmapped, text("intake.your_column"))])[:1]
               for c in match.missing}
    return (_clauses([text("intake.missing.columns", names=names, found=found), *maybe])
            + _params_hint(example))


def _params_hint(candidates: dict[str, list[str]]) -> str:
    """The exact params lines that map a header onto a canonical column, as one line."""
    pairs = ", ".join(f"{(heads or [text('intake.your_column')])[0]}: {column}"
                      for column, heads in candidates.items())
    return text("intake.hint.column_map", line=f"input: {{column_map: {{{pairs}}}}}")


_CONTENT_SAMPLE = 2000


def _match_by_content(grid: _Grid, table: str, column_map: dict) -> _Match:
    """:func:`_match` by header, then — for an orders table whose date or amount column no
    header names — the one unmapped column whose values are all dates (or all money).

    Only used when the customer id and one of date / amount are named by header, so a
    customer table is never turned into orders. Two or more fitting columns are left for
    the user to choose: they are listed as ``candidates`` in the error.
    """
    match = _match(grid.headers, table, column_map)
    if table != "orders" or not match.missing:
        return match
    named = set(match.mapping.values())
    if not (set(match.missing) <= {"order_date", "amount"} and _content_may_complete(named)):
        return match
    from analysis.intake.parse import is_blank, parse_amounts, parse_dates  # intake stays light

    # A header with a scale (金额(万元)) is never silently taken as an amount in 元.
    free = [pos for pos in range(len(grid.headers)) if pos not in match.mapping
            and not re.search(SCALED_HEADER, grid.headers[pos], re.I)]
    samples = {}
    for pos in free:
        values = grid.data[pos].iloc[:_CONTENT_SAMPLE * 5]
        values = values[~is_blank(values)].iloc[:_CONTENT_SAMPLE]
        if len(values):
            samples[pos] = values
    kinds: dict[str, list[int]] = {"order_date": [], "amount": []}
    for pos, values in samples.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dates = parse_dates(values)
        if dates.notna().mean() >= 0.9:
            kinds["order_date"].append(pos)
            continue
        amounts = parse_amounts(values)
        if amounts.notna().mean() < 0.95:
            continue
        stripped = values.astype(str).str.strip()
        whole = amounts.dropna().eq(amounts.dropna().round())
        looks_like_id = (whole.all() and (amounts.is_unique or stripped.str.len().ge(8).all()))
        if not looks_like_id:
            kinds["amount"].append(pos)
    found, candidates = {}, {}
    for column in match.missing:
        fits = kinds[column]
        candidates[column] = [grid.headers[p] for p in fits]
        if len(fits) == 1:
            found[fits[0]] = column
    remaining = [c for c in match.missing if c not in found.values()]
    from_parts = []
    if remaining == ["amount"] and "order_id" in named and not candidates["amount"]:
        remaining, from_parts = [], ["amount"]   # an order header: see _match
    if remaining:
        match.candidates = candidates
        return match
    mapping = dict(sorted({**match.mapping, **found}.items()))
    inferred = {grid.headers[p]: c for p, c in found.items()}
    return _Match(mapping=mapping, score=match.score + len(found), specific=match.specific,
                  missing=[], eligible=True, duplicates=match.duplicates, inferred=inferred,
                  from_parts=from_parts)


def _missing_required(grid: _Grid, table: str, match: _Match) -> InputError:
    if match.missing:
        return InputError(text("intake.error.as_table", table=table_label(table),
                               problem=_missing_text(table, match, grid.headers)),
                          file=grid.label)
    return InputError(text("intake.error.only_customer_id", table=table_label(table),
                           columns=_list(grid.headers)), file=grid.label)


def _build(grid: _Grid, table: str, match: _Match):
    """The grid's rows as a canonical frame, its SourceTable, and notes."""
    notes = []
    data = grid.data
    # copy=False: the grid's columns are shared, not copied (copy-on-write keeps them apart).
    frame = pd.DataFrame({column: data[pos] for pos, column in match.mapping.items()}, copy=False)
    if 0 not in match.mapping and len(data):
        # An unmapped first column (序号) is where spreadsheets write 合计: keep it, hidden, so
        # cleaning can recognise a totals row.
        frame["_first_cell"] = data[0]
    rows = grid.rows
    # A header repeated inside the data (exports pasted together) is not a row of data.
    if len(frame) and match.mapping:
        candidates = np.arange(len(frame))
        for pos, column in match.mapping.items():
            values = frame[column].iloc[candidates]
            same = values.str.strip().eq(grid.headers[pos]).fillna(False).to_numpy(bool)
            candidates = candidates[same]
            if not len(candidates):
                break
        repeat = np.zeros(len(frame), dtype=bool)
        repeat[candidates] = True
        if repeat.any():
            lines = ", ".join(str(r) for r in rows[repeat][:5]) + ("…" if repeat.sum() > 5 else "")
            notes.append(text("intake.note.repeated_header", file=grid.label, rows=lines))
            frame = frame.loc[~repeat].reset_index(drop=True)
            rows = rows[~repeat]
    # Every cell of the source row, mapped or not, in one hash: an exact duplicate is a line
    # identical in every column of the file, not only in the columns the kit recognised.
    frame["_row_key"] = _row_keys(data if not len(frame) or len(data) == len(frame)
                                  else data.loc[~repeat]).to_numpy()
    frame["_source_file"] = grid.label
    frame["_source_row"] = rows.astype(np.int64)
    unmapped = [h for pos, h in enumerate(grid.headers) if pos not in match.mapping]
    for unused, column, used in match.duplicates:
        # Positions, because two columns may carry the very same name.
        notes.append(text("intake.note.duplicate_column", file=grid.label, unused=unused + 1,
                          unused_header=grid.headers[unused], used=used + 1,
                          used_header=grid.headers[used], column=column))
    for header, column in match.inferred.items():
        notes.append(text("intake.note.inferred", file=grid.label, header=header,
                          label=column_label(table, column)))
    if unmapped:
        notes.append(text("intake.note.unused_columns", file=grid.label, columns=_list(unmapped)))
    source = SourceTable(
        table=table, path=grid.path, sheet=grid.sheet, header_row=grid.header_row,
        encoding=grid.encoding,
        column_map={grid.headers[pos]: column for pos, column in match.mapping.items()},
        unmapped=unmapped, n_rows=len(frame),
        alternatives={column: [grid.headers[p] for p, c, _ in match.duplicates if c == column]
                      for column in {c for _, c, _ in match.duplicates}},
        from_parts=list(match.from_parts), inferred=dict(match.inferred),
    )
    return frame, source, notes


def _row_keys(data: pd.DataFrame) -> pd.Series:
    """A 64-bit hash of each whole row (all columns, blanks included).

    Computed on the Arrow buffers (:func:`_hash_text`), never one Python string per cell.
    Two rows get the same key when every cell is the same text, or blank in both; a blank
    is not the empty text, and text differing in a space or in case is different.

    Examples
    --------
    >>> keys = _row_keys(pd.DataFrame({0: ["C1", "C1", "C1 ", "c1", None, ""],
    ...                                1: ["5", "5", "5", "5", "5", "5"]}, dtype="str"))
    >>> keys.duplicated().tolist(), keys.nunique()
    ([False, True, False, False, False, False], 5)
    """
    keys = np.full(len(data), _ROW_SEED, dtype=np.uint64)
    mult = np.uint64(1000003)
    for j, column in enumerate(data.columns):
        # Combined the way pandas' hash_pandas_object combines columns; each step is a bijection
        # of the running key, so rows differing in one cell only never share a key.
        keys ^= _hash_text(data[column])
        keys *= mult
        mult += np.uint64(82520 + 2 * (data.shape[1] - j))
    return pd.Series(keys, index=data.index)


_ROW_SEED = np.uint64(0x345678)
_BLANK_HASH = np.uint64(0x9E3779B97F4A7C15)   # a blank cell; the empty text hashes otherwise
_LENGTH_SEED = np.uint64(0xC2B2AE3D27D4EB4F)
# Low-byte masks: _KEEP_BYTES[r] keeps the first r bytes of a little-endian word.
_KEEP_BYTES = np.array([(1 << (8 * r)) - 1 for r in range(8)] + [2 ** 64 - 1], dtype=np.uint64)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place: a bijection of uint64 that spreads every bit."""
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def _hash_text(values: pd.Series) -> np.ndarray:
    """A 64-bit hash of each text value's UTF-8 bytes, read 8 bytes at a time from the Arrow
    buffers: the length seeds it, and each word is folded in by a bijection, so two texts
    of the same length never share a hash; a blank gets :data:`_BLANK_HASH`."""
    arr = pa.array(values, type=pa.large_string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        parts = [_hash_chunk(chunk) for chunk in arr.chunks]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
    return _hash_chunk(arr)


def _hash_chunk(arr: pa.Array) -> np.ndarray:
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.large_string())   # int64 offsets, read below
    n = len(arr)
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64, count=n + 1, offset=8 * arr.offset)
    starts = offsets[:-1]
    lengths = offsets[1:] - starts
    out = _mix(lengths.astype(np.uint64) ^ _LENGTH_SEED)
    size = int(offsets[-1]) if n else 0
    if size:
        # The data buffer padded with 8 zero bytes, seen as a uint64 at every byte position.
        padded = np.zeros(size + 8, dtype=np.uint8)
        padded[:size] = np.frombuffer(data_buf, dtype=np.uint8, count=size)
        words = np.ndarray(shape=(size + 1,), dtype="<u8", buffer=padded, strides=(1,))
        rows = np.flatnonzero(lengths > 0)
        k = 0
        while len(rows):
            left = lengths[rows] - 8 * k
            word = words[starts[rows] + 8 * k] & _KEEP_BYTES[np.minimum(left, 8)]
            out[rows] = _mix(out[rows] ^ word)
            k += 1
            rows = rows[left > 8]
    if arr.null_count:
        out[arr.is_null().to_numpy(zero_copy_only=False)] = _BLANK_HASH
    return out


def _concat(frames: list[pd.DataFrame], table: str) -> pd.DataFrame:
    present = {c for f in frames for c in f.columns}
    order = ([c for c in TABLES[table] if c in present] + (["_first_cell"] if "_first_cell" in present else [])
             + ["_source_file"])
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    out = out.reindex(columns=order + ["_source_row", "_row_key"])
    for column in order:
        out[column] = out[column].astype("str")
    out["_source_row"] = out["_source_row"].astype(np.int64)
    out["_row_key"] = out["_row_key"].astype(np.uint64)
    return out


def _what_is_missing(tables: dict[str, pd.DataFrame]) -> list[str]:
    notes = []
    for table in TABLES:
        if table in ORDER_PARTS:
            continue
        if table not in tables:
            notes.append(text("intake.note.table_missing", table=table_label(table),
                              disables=table_disables(table)))
            continue
        for column, spec in TABLES[table].items():
            source = DERIVED_FROM.get(table, {}).get(column)
            if source and source in tables[table].columns:
                continue
            if column in NOT_REPORTED.get(table, ()):
                continue
            if not spec.required and column not in tables[table].columns:
                notes.append(text("intake.note.column_missing", table=table_label(table),
                                  label=spec.label, disables=spec.disables))
    return notes
