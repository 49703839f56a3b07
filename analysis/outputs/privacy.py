"""Masking personal data for anything meant for sharing (个人信息保护法, SPEC §10).

Full contact data appears only in the internal workbooks. Shared copies of the workbooks go
through :func:`mask_workbook_sheets`, the report's customer tables through :func:`mask_names`
(analysis/outputs/tables.py). :func:`scan_sheets` checks the masked frames for anything left
unmasked before they are written; :func:`scan_for_personal_data` checks a written file (or the
HTML report) with the same patterns.

A masked customer is shown by one alias everywhere in a run — ``王**（C0123）``,
``王先生（C0123）``, ``大**公司（C0001）`` — worked out from the row alone (the name, the
customer ID and, where given, a salutation), never from the order rows appear in, so every
table and every workbook shows the same alias for the same customer, and the ID in it leads
to the full record in the internal workbook ("完整名单见…").

Columns to mask are named by key (:data:`NAME_COLUMNS`, :data:`CONTACT_COLUMNS`) and found by
their header in the run's language; the alias patterns come from analysis/vocab/privacy.yml,
the words that tell a company or a salutation from analysis/reference/personal_data.py.
"""

from __future__ import annotations

import math
import re
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.errors import KitError
from analysis.reference.personal_data import (
    COMPANY_MARKERS, FEMALE_MARKERS, FEMALE_TITLES, MALE_MARKERS, MALE_TITLES,
)
from analysis import vocab

__all__ = [
    "mask_phones", "mask_names", "mask_emails", "mask_contacts", "mask_text", "mask_workbook_sheets",
    "contains_unmasked_mobile", "scan_sheets", "scan_for_personal_data", "COMPANY_MARKERS", "NAME_COLUMNS",
    "CONTACT_COLUMNS",
]

def mask_phones(values: pd.Series) -> pd.Series:
    """``13812345678`` -> ``138****5678``; landlines keep the area code and last 2 digits.

    Examples
    --------
    >>> mask_phones(pd.Series(["13812345678", "021-62345678", None])).tolist()
    ['138****5678', '021-******78', <NA>]
    """
    text = values.astype("string")
    mobile = text.str.replace(r"^(\d{3})\d{4}(\d{4})$", r"\1****\2", regex=True)
    return mobile.str.replace(r"^(0\d{2,3})-(\d+)(\d{2})$",
                              lambda m: f"{m.group(1)}-{'*' * len(m.group(2))}{m.group(3)}", regex=True)


def mask_names(values: pd.Series, salutations: pd.Series | None = None, *,
               ids: pd.Series | None = None) -> pd.Series:
    """Each customer's alias: a masked name carrying the customer ID, the same wherever the
    customer appears (it depends on this row's name, ID and salutation only).

    * a company (a name with 公司/集团/店 …): its first character, ``**`` and the word that
      makes it a company — ``大同博汇五金有限责任公司`` -> ``大**公司``;
    * a person: the surname (first character) with ``先生`` / ``女士`` where ``salutations``
      (aligned to ``values``: 先生/女士/男/女 …) or the name itself (``王先生``) says so, else
      ``王**``;
    * ``ids`` (aligned to ``values``) appended in brackets: ``王**（C0123）``; two customers of
      the same surname differ by their ID. Without a name: ``*客户（C0123）``; without either: NA.

    Examples
    --------
    >>> names = pd.Series(["大同博汇五金有限责任公司", "王先生", "谭伟艳", "谭伟", None])
    >>> mask_names(names, ids=pd.Series(["C1", "C2", "C3", "C4", "C5"])).tolist()
    ['大**公司（C1）', '王先生（C2）', '谭**（C3）', '谭**（C4）', '*客户（C5）']
    >>> mask_names(pd.Series(["李娜"]), pd.Series(["女"])).tolist()
    ['李女士']
    """
    text = values.astype("string").str.strip()
    hint = (salutations.astype("string").reindex(values.index) if salutations is not None
            else pd.Series(pd.NA, index=values.index, dtype="string"))
    male = hint.str.contains(MALE_MARKERS, na=False) | text.str.contains(MALE_TITLES, na=False)
    female = hint.str.contains(FEMALE_MARKERS, na=False) | text.str.contains(FEMALE_TITLES, na=False)
    kind = text.str.extract(f"(?s).*({COMPANY_MARKERS})", expand=False).astype("string")
    head = text.str[0].where(text.str.len() > 0)
    alias = _fill(vocab.text("privacy.alias.person"), head=head)
    alias = alias.mask(male, _fill(vocab.text("privacy.alias.male"), head=head))
    alias = alias.mask(female, _fill(vocab.text("privacy.alias.female"), head=head))  # female wins
    alias = alias.mask(kind.notna(), _fill(vocab.text("privacy.alias.company"), head=head, kind=kind))
    if ids is None:
        return alias
    id_text = pd.Series(ids, index=values.index).astype("string")
    return _fill(vocab.text("privacy.alias.with_id"), alias=alias.fillna(vocab.text("privacy.alias.unnamed")),
                 id=id_text)


def _fill(template: str, **fields: pd.Series) -> pd.Series:
    """``template.format(**fields)`` row by row, for aligned string series (NA where a field is
    NA): one vectorised concatenation instead of a Python call per row."""
    out = None
    for literal, field, _, _ in string.Formatter().parse(template):
        parts = ([literal] if literal else []) + ([fields[field]] if field is not None else [])
        for part in parts:
            out = part if out is None else out + part
    return out


def mask_emails(values: pd.Series) -> pd.Series:
    """The local part and the domain masked, the top-level domain kept.

    Examples
    --------
    >>> mask_emails(pd.Series(["zhangwei@example.com", "li.na@corp.com.cn", None])).tolist()
    ['z***@***.com', 'l***@***.cn', <NA>]
    """
    return values.astype("string").str.replace(
        r"^([^@])[^@]*@[^@]*?(\.[A-Za-z]{2,})?$", lambda m: _masked_email(m[1], m[2]), regex=True)


def _masked_email(first: str, tld: str | None) -> str:
    return f"{first}***@***{tld or ''}"


# A mainland mobile number, optionally with +86 and 3-4-4 separators; not inside a longer number.
_MOBILE = re.compile(r"(?<![\d*])(?:(?:\+|00)?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?![\d*])")
# A landline with its area code: 021-62345678, 0571 8888 6666.
_LANDLINE = re.compile(r"(?<![\d*])(0\d{2,3})[ -](\d{5,6})(\d{2})(?![\d*])")
# An e-mail address whose local part is not already masked (a masked one has "*" before "@").
_EMAIL = re.compile(r"(?<![A-Za-z0-9.%+*_-])([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(\.[A-Za-z]{2,}))")

# Keys of the workbook columns (column.<key> in analysis/vocab/workbooks.yml) holding customer
# names or contact data: a name becomes the customer's alias, a contact column's phones and
# e-mails are masked whatever the column holds. Any other text column is still scrubbed of phone
# numbers and e-mails typed into it (feedback, remark, raw_value, …).
NAME_COLUMNS = ("customer_name",)
CONTACT_COLUMNS = ("contact", "phone", "email")


def contains_unmasked_mobile(text: str) -> list[str]:
    """Every full 11-digit mainland mobile number in ``text`` (for leak scans)."""
    return re.findall(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)


def mask_text(values: pd.Series) -> pd.Series:
    """Mask every mobile number, landline and e-mail inside free text; the rest is kept.

    Examples
    --------
    >>> mask_text(pd.Series(["请回电 138 1234 5678 或 li.na@corp.cn", None])).tolist()
    ['请回电 138****5678 或 l***@***.cn', <NA>]
    """
    text = values.astype("string")
    out = text.to_numpy(dtype=object, na_value=None)
    present = np.flatnonzero(text.notna().to_numpy())
    picked = present[_candidates(out[present])]  # the rest has nothing to mask
    out[picked] = [_mask_one(v) for v in out[picked]]
    return pd.Series(out, index=values.index, dtype="string")


# Text that could hold a number or an address at all: 8+ digits and separators in a row, or @.
# Most cells (IDs, names, tiers) fail this one cheap search and skip the three substitutions.
_CANDIDATE = re.compile(r"\d[\d -]{6,}\d|@")


def _mask_one(value: str) -> str:
    if _CANDIDATE.search(value) is None:
        return value
    value = _MOBILE.sub(lambda m: f"{m[1]}****{m[3]}", value)
    value = _LANDLINE.sub(lambda m: f"{m[1]}-{'*' * len(m[2])}{m[3]}", value)
    return _EMAIL.sub(lambda m: _masked_email(m[1], m[3]), value)


def mask_contacts(values: pd.Series) -> pd.Series:
    """Phones and e-mails of a contact column, whichever each row holds, masked.

    Examples
    --------
    >>> mask_contacts(pd.Series(["13812345678", "zhangwei@example.com", "+86 139 1234 5678"])).tolist()
    ['138****5678', 'z***@***.com', '139****5678']
    """
    text = values.astype("string")
    is_email = text.str.contains("@", na=False)
    out = mask_phones(text.where(~is_email))
    out[is_email] = mask_emails(text[is_email])
    return mask_text(out)  # anything in another shape (+86 …, two numbers) still masked


def _headers(keys) -> set[str]:
    # Headers of the keys the vocabulary has (a key another part of the kit has not added yet
    # simply matches no column).
    columns = vocab.texts("column")
    return {columns[key] for key in keys if key in columns}


def mask_workbook_sheets(sheets: dict[str, dict[str, pd.DataFrame]], *,
                         salutations: pd.Series | None = None) -> dict[str, dict[str, pd.DataFrame]]:
    """A masked copy of the workbook frames for sharing.

    ``sheets`` is what :func:`analysis.outputs.workbooks.write_workbooks` takes: workbook key ->
    sheet key -> frame whose columns are header texts in the run's language. Columns are
    recognised by key (:data:`NAME_COLUMNS`, :data:`CONTACT_COLUMNS`, ``customer_id``) through
    their header; headers, keys and column order are kept as they are.

    * 客户名称: the customer's alias (:func:`mask_names`) with the row's 客户ID, e.g.
      ``王**（C0123）`` — the same alias in every sheet and in the report; ``salutations``
      (indexed by 客户ID, e.g. 先生/女士/男/女) makes it ``王先生（C0123）``.
    * 联系方式, 联系电话, 电子邮箱: ``138****5678``, ``021-******78``, ``z***@***.com``.
    * Every other text column (客户反馈, 原值 in 隔离明细, 备注 …): mobile numbers, landlines
      and e-mails inside the text are masked, the rest of the text is kept.

    Numbers and dates are untouched; the input frames are not modified.

    Examples
    --------
    >>> info = pd.DataFrame({"客户ID": ["C1"], "客户名称": ["王先生"], "联系方式": ["13812345678"]})
    >>> mask_workbook_sheets({"customer_info": {"info": info}})["customer_info"]["info"].iloc[0].tolist()
    ['C1', '王先生（C1）', '138****5678']
    """
    name_headers = _headers(NAME_COLUMNS)
    contact_headers = _headers(CONTACT_COLUMNS)
    id_header = vocab.text("column.customer_id")
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for workbook, frames in sheets.items():
        out[workbook] = {}
        for sheet, frame in frames.items():
            masked = frame.copy()
            ids = masked[id_header] if id_header in masked else None
            for col in masked.columns:
                values = masked[col]
                if col in name_headers:
                    given = (ids.astype("string").map(salutations.astype("string"))
                             if salutations is not None and ids is not None else None)
                    masked[col] = mask_names(values, given, ids=ids).where(values.notna()).astype(object)
                elif col in contact_headers:
                    masked[col] = mask_contacts(values).astype(object)
                elif _is_text(values):
                    masked[col] = _mask_text_keep_types(values)
            out[workbook][sheet] = masked
    return out


def _is_text(values: pd.Series) -> bool:
    return values.dtype == object or pd.api.types.is_string_dtype(values.dtype)


def _mask_text_keep_types(values: pd.Series) -> pd.Series:
    # An object column may mix text with numbers or dates (隔离明细 原值): only text changes,
    # and a whole number that is a phone (13812345678 stored as a number) becomes masked text.
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        return _mask_mixed(values)
    # All text: each distinct value is looked at once, and only those the cheap candidate
    # search picks (8+ digits in a row, or @) go through the substitutions.
    codes, uniques = pd.factorize(values)
    uniques = np.asarray(uniques, dtype=object)
    masked = uniques.copy()
    for i in np.flatnonzero(_candidates(uniques)):
        masked[i] = _mask_one(uniques[i])
    changed = np.flatnonzero(masked != uniques)
    if not len(changed):
        return values
    out = values.to_numpy(dtype=object, copy=True)
    rows = np.isin(codes, changed)
    out[rows] = masked[codes[rows]]
    return pd.Series(out, index=values.index, dtype=object)


def _mask_mixed(values: pd.Series) -> pd.Series:
    out = []
    changed = False
    for value in values.tolist():
        if isinstance(value, str):
            masked = _mask_one(value)
        elif _whole_number(value):
            number = str(int(value))
            masked = _mask_one(number)
            masked = value if masked == number else masked
        else:
            masked = value
        changed = changed or masked is not value
        out.append(masked)
    if not changed:
        return values
    return pd.Series(out, index=values.index, dtype=object)


def _whole_number(value) -> bool:
    """An int, or a float with nothing after the point: a cell that can show 13812345678
    (the workbook writes a whole float of a text column as its digits)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    return isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer()


# _CANDIDATE in RE2's syntax, for Arrow's vectorised search: \d is any Unicode decimal digit
# (category Nd) in Python's patterns, \p{Nd} in RE2's.
_CANDIDATE_RE2 = _CANDIDATE.pattern.replace(r"\d", r"\p{Nd}")


def _candidates(texts: np.ndarray) -> np.ndarray:
    """Which of an array of str could hold a phone number or an e-mail (:data:`_CANDIDATE`)."""
    if not len(texts):
        return np.zeros(0, dtype=bool)
    try:
        found = pc.match_substring_regex(pa.array(texts, type=pa.large_string()), _CANDIDATE_RE2)
    except (pa.ArrowException, UnicodeError):  # text Arrow cannot hold (a lone surrogate)
        return np.array([_CANDIDATE.search(v) is not None for v in texts], dtype=bool)
    return found.to_numpy(zero_copy_only=False).astype(bool)


def _masked_hit(found: str) -> str:
    # Findings are reported masked, so the scan's own output is safe to log or share.
    return mask_text(pd.Series([found])).iloc[0]


def _hits(text: str) -> list[str]:
    found = [m[0] for m in _MOBILE.finditer(text)]
    found += [m[0] for m in _EMAIL.finditer(text)]
    return found


def scan_sheets(sheets: dict[str, dict[str, pd.DataFrame]]) -> list[str]:
    """Unmasked mainland mobile numbers and e-mail addresses left in workbook frames, found
    before they are written (the patterns of :func:`scan_for_personal_data`, which checks a
    written file).

    ``sheets`` is what :func:`analysis.outputs.workbooks.write_workbooks` takes (workbook key
    -> sheet key -> frame). Every value is checked as its cell will show it: text, and whole
    numbers (a phone stored as a number); other numbers, dates and blanks cannot hold one.
    Each finding names the workbook, sheet, record (data row, from 1) and column and shows the
    value masked; an empty list means nothing was found.

    Examples
    --------
    >>> log = pd.DataFrame({"客户ID": ["C1", "C2"], "客户反馈": ["请回电 138****5678", "请回电 13912345678"]})
    >>> scan_sheets({"execution_log": {"execution": log}})
    ['维护执行记录表 工作表「执行记录」第2条记录 列「客户反馈」: 139****5678']
    """
    from analysis.outputs.workbooks import WORKBOOKS, sheet_name, workbook_name

    findings = []
    for workbook, frames in sheets.items():
        book = workbook_name(workbook) if workbook in WORKBOOKS else workbook
        for sheet, frame in frames.items():
            # A per-owner copy ("owner_tasks:王") is the sheet named after its owner.
            shown = (sheet.split(":", 1)[1] if ":" in sheet
                     else sheet_name(sheet) if workbook in WORKBOOKS and sheet in WORKBOOKS[workbook] else sheet)
            for column in frame.columns:
                for record, hit in _column_hits(frame[column]):
                    findings.append(vocab.text("privacy.finding.record", workbook=book, sheet=shown,
                                               record=record, column=column, value=_masked_hit(hit)))
    return findings


def _column_hits(values: pd.Series) -> list[tuple[int, str]]:
    """(record number from 1, unmasked number or address) for every one in a column."""
    texts = _cell_texts(values.reset_index(drop=True))
    if not len(texts):
        return []
    codes, uniques = pd.factorize(texts)
    uniques = np.asarray(uniques, dtype=object)
    found = {i: _hits(uniques[i]) for i in np.flatnonzero(_candidates(uniques))}
    found = {i: hits for i, hits in found.items() if hits}
    if not found:
        return []
    rows = np.flatnonzero(np.isin(codes, list(found)))
    return [(int(texts.index[r]) + 1, hit) for r in rows for hit in found[codes[r]]]


def _cell_texts(values: pd.Series) -> pd.Series:
    """The values of a column that could show a phone number or an address, as text, indexed
    by position: text, and whole numbers; floats, dates, booleans and blanks are left out."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        values, dtype = values.astype(object), np.dtype(object)
    if pd.api.types.is_bool_dtype(dtype) or not (
            pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_string_dtype(dtype) or dtype == object):
        return pd.Series([], dtype=object)
    values = values.dropna()
    if pd.api.types.is_integer_dtype(dtype):
        return values.astype("int64").astype(str).astype(object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return values.astype(object)
    keep = [isinstance(v, str) or _whole_number(v) for v in values.tolist()]
    kept = values[keep]
    return pd.Series([v if isinstance(v, str) else str(int(v)) for v in kept.tolist()],
                     index=kept.index, dtype=object)


def scan_for_personal_data(path_or_text: str | Path) -> list[str]:
    """Unmasked mainland mobile numbers and e-mail addresses left in a file or text.

    ``path_or_text`` is an ``.xlsx`` file (every cell of every sheet is read), any other file
    (read as UTF-8 text, e.g. the HTML report; embedded ``data:`` images are skipped), or the
    text itself. Each finding names where it is and shows the value *masked*, so the list
    can be logged; an empty list means nothing was found.

    Examples
    --------
    >>> scan_for_personal_data("联系人 13812345678；已脱敏 139****0000")
    ['第1行: 138****5678']
    """
    path = _as_file(path_or_text)
    findings = []
    if path is not None and not path.is_file():
        raise KitError(vocab.text("privacy.error.no_file", path=path))
    if path is not None and path.suffix.lower() in (".xlsx", ".xlsm"):
        import python_calamine as calamine
        from xlsxwriter.utility import xl_rowcol_to_cell

        with calamine.CalamineWorkbook.from_path(str(path)) as book:
            for name in book.sheet_names:
                grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)  # from A1
                for r, row in enumerate(grid):
                    for c, value in enumerate(row):
                        # calamine gives every number as a float: a whole one may be a phone
                        if value.__class__ is not str:
                            if not _whole_number(value):
                                continue
                            value = str(int(value))
                        for hit in _hits(value):
                            findings.append(vocab.text(
                                "privacy.finding.cell", file=path.name, sheet=name,
                                cell=xl_rowcol_to_cell(r, c), value=_masked_hit(hit)))
        return findings
    if path is not None:
        text = path.read_text(encoding="utf-8", errors="replace")
    else:
        text = str(path_or_text)
    # Base64 images are long digit-bearing runs: an 11-digit stretch in one is noise, not data.
    text = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+", "data:", text)
    for line_number, line in enumerate(text.splitlines(), start=1):
        for hit in _hits(line):
            if path is not None:
                findings.append(vocab.text("privacy.finding.file_line", file=path.name,
                                           line=line_number, value=_masked_hit(hit)))
            else:
                findings.append(vocab.text("privacy.finding.line", line=line_number,
                                           value=_masked_hit(hit)))
    return findings


def _as_file(path_or_text) -> Path | None:
    if isinstance(path_or_text, Path):
        return path_or_text
    text = str(path_or_text)
    if len(text) < 1024 and "\n" not in text:
        try:
            candidate = Path(text)
            if candidate.is_file():
                return candidate
        except (OSError, ValueError):
            return None
    return None
