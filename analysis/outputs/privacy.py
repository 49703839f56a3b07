"""Masking personal data for anything meant for sharing (个人信息保护法, SPEC §10).

Full contact data appears only in the internal customer table. Shared copies of the workbooks
go through :func:`mask_workbook_sheets`; :func:`scan_for_personal_data` checks a written file
(or the HTML report) for anything left unmasked.

Columns to mask are named by key (:data:`NAME_COLUMNS`, :data:`CONTACT_COLUMNS`) and found by
their header in the run's language; masked labels (``A公司``, ``*先生`` …) come from
analysis/vocab/privacy.yml, the words that tell a company or a salutation from
analysis/reference/personal_data.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis.errors import KitError
from analysis.reference.personal_data import COMPANY_MARKERS, FEMALE_MARKERS, MALE_MARKERS
from analysis import vocab

__all__ = [
    "mask_phones", "mask_names", "mask_emails", "mask_text", "mask_workbook_sheets",
    "contains_unmasked_mobile", "scan_for_personal_data", "COMPANY_MARKERS", "NAME_COLUMNS",
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
               letters: dict[str, str] | None = None) -> pd.Series:
    """Companies become ``A公司``-style letters, people ``*先生`` / ``*女士`` (``*客户`` if unknown).

    Company letters are assigned in order of first appearance (A, B, …, Z, AA, …), so the
    same company keeps its letter within one output. Pass the same ``letters`` dict (company
    -> label, extended in place) to several calls to keep the letters across sheets.
    """
    text = values.astype("string")
    is_company = text.str.contains(COMPANY_MARKERS, na=False)
    letters = {} if letters is None else letters
    for name in text[is_company].unique():
        if name in letters:
            continue
        n = len(letters)
        letter = ""
        while True:
            letter = chr(ord("A") + n % 26) + letter
            n = n // 26 - 1
            if n < 0:
                break
        letters[name] = vocab.text("privacy.company", letter=letter)
    out = pd.Series(vocab.text("privacy.person.unknown"), index=values.index, dtype="string")
    if salutations is not None:
        sal = salutations.astype("string")
        out[sal.str.contains(MALE_MARKERS, na=False)] = vocab.text("privacy.person.male")
        out[sal.str.contains(FEMALE_MARKERS, na=False)] = vocab.text("privacy.person.female")
    out[is_company] = text[is_company].map(letters)
    out[text.isna()] = pd.NA
    return out


def mask_emails(values: pd.Series) -> pd.Series:
    """``zhangwei@example.com`` -> ``z***@example.com``."""
    return values.astype("string").str.replace(r"^([^@])[^@]*@", r"\1***@", regex=True)


# A mainland mobile number, optionally with +86 and 3-4-4 separators; not inside a longer number.
_MOBILE = re.compile(r"(?<![\d*])(?:(?:\+|00)?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?![\d*])")
# A landline with its area code: 021-62345678, 0571 8888 6666.
_LANDLINE = re.compile(r"(?<![\d*])(0\d{2,3})[ -](\d{5,6})(\d{2})(?![\d*])")
# An e-mail address whose local part is not already masked (a masked one has "*" before "@").
_EMAIL = re.compile(r"(?<![A-Za-z0-9.%+*_-])([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})")

# Keys of the workbook columns (analysis/outputs/workbooks.py) holding customer names or contact
# data; any other text column is still scrubbed of phone numbers and e-mails typed into it
# (feedback, remark, raw_value, …).
NAME_COLUMNS = ("customer_name",)
CONTACT_COLUMNS = ("contact",)


def contains_unmasked_mobile(text: str) -> list[str]:
    """Every full 11-digit mainland mobile number in ``text`` (for leak scans)."""
    return re.findall(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)


def mask_text(values: pd.Series) -> pd.Series:
    """Mask every mobile number, landline and e-mail inside free text; the rest is kept.

    Examples
    --------
    >>> mask_text(pd.Series(["请回电 138 1234 5678 或 li.na@corp.cn", None])).tolist()
    ['请回电 138****5678 或 l***@corp.cn', <NA>]
    """
    text = values.astype("string")
    present = text.notna().to_numpy()
    out = text.to_numpy(dtype=object, na_value=None)
    out[present] = [_mask_one(v) for v in out[present]]
    return pd.Series(out, index=values.index, dtype="string")


# Text that could hold a number or an address at all: 8+ digits and separators in a row, or @.
# Most cells (IDs, names, tiers) fail this one cheap search and skip the three substitutions.
_CANDIDATE = re.compile(r"\d[\d -]{6,}\d|@")


def _mask_one(value: str) -> str:
    if _CANDIDATE.search(value) is None:
        return value
    value = _MOBILE.sub(lambda m: f"{m[1]}****{m[3]}", value)
    value = _LANDLINE.sub(lambda m: f"{m[1]}-{'*' * len(m[2])}{m[3]}", value)
    return _EMAIL.sub(lambda m: f"{m[1]}***@{m[2]}", value)


def _mask_contact(values: pd.Series) -> pd.Series:
    # 联系方式 holds a phone or, where there is none, an e-mail (strategy.workbook_sheets).
    text = values.astype("string")
    is_email = text.str.contains("@", na=False)
    out = mask_phones(text.where(~is_email))
    out[is_email] = mask_emails(text[is_email])
    return mask_text(out)  # anything in another shape (+86 …, two numbers) still masked


def mask_workbook_sheets(sheets: dict[str, dict[str, pd.DataFrame]], *,
                         salutations: pd.Series | None = None) -> dict[str, dict[str, pd.DataFrame]]:
    """A masked copy of the workbook frames for sharing.

    ``sheets`` is what :func:`analysis.outputs.workbooks.write_workbooks` takes: workbook key ->
    sheet key -> frame whose columns are header texts in the run's language. Columns are
    recognised by key (:data:`NAME_COLUMNS`, :data:`CONTACT_COLUMNS`, ``customer_id``) through
    their header; headers, keys and column order are kept as they are.

    * 客户名称: companies -> ``A公司``, ``B公司`` … with one letter per company across every
      sheet of every workbook in this call; people -> ``*先生`` / ``*女士`` where the name or
      ``salutations`` (indexed by 客户ID, e.g. 先生/女士/男/女) says so, else ``*客户``.
    * 联系方式 (and other contact columns): ``138****5678``, ``021-******78``, ``z***@example.com``.
    * Every other text column (客户反馈, 原值 in 隔离明细, 备注 …): mobile numbers, landlines
      and e-mails inside the text are masked, the rest of the text is kept.

    Numbers and dates are untouched; the input frames are not modified.

    Examples
    --------
    >>> info = pd.DataFrame({"客户ID": ["C1"], "客户名称": ["王先生"], "联系方式": ["13812345678"]})
    >>> mask_workbook_sheets({"customer_info": {"info": info}})["customer_info"]["info"].iloc[0].tolist()
    ['C1', '*先生', '138****5678']
    """
    name_headers = {vocab.text(f"column.{key}") for key in NAME_COLUMNS}
    contact_headers = {vocab.text(f"column.{key}") for key in CONTACT_COLUMNS}
    id_header = vocab.text("column.customer_id")
    letters: dict[str, str] = {}
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for workbook, frames in sheets.items():
        out[workbook] = {}
        for sheet, frame in frames.items():
            masked = frame.copy()
            for col in masked.columns:
                values = masked[col]
                if col in name_headers:
                    hint = values.astype("string")
                    if salutations is not None and id_header in masked:
                        given = masked[id_header].astype("string").map(salutations.astype("string"))
                        hint = given.fillna(hint) if hint is not None else given
                    masked[col] = mask_names(values, hint, letters=letters).astype(object)
                elif col in contact_headers:
                    masked[col] = _mask_contact(values).astype(object)
                elif _is_text(values):
                    masked[col] = _mask_text_keep_types(values)
            out[workbook][sheet] = masked
    return out


def _is_text(values: pd.Series) -> bool:
    return values.dtype == object or pd.api.types.is_string_dtype(values.dtype)


def _mask_text_keep_types(values: pd.Series) -> pd.Series:
    # An object column may mix text with numbers or dates (隔离明细 原值): only text changes,
    # and a whole number that is a phone (13812345678 stored as a number) becomes masked text.
    out = []
    changed = False
    for value in values.tolist():
        if isinstance(value, str):
            masked = _mask_one(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            masked = _mask_one(str(value))
            masked = value if masked == str(value) else masked
        else:
            masked = value
        changed = changed or masked is not value
        out.append(masked)
    if not changed:
        return values
    return pd.Series(out, index=values.index, dtype=object)


def _masked_hit(found: str) -> str:
    # Findings are reported masked, so the scan's own output is safe to log or share.
    return mask_text(pd.Series([found])).iloc[0]


def _hits(text: str) -> list[str]:
    found = [m[0] for m in _MOBILE.finditer(text)]
    found += [m[0] for m in _EMAIL.finditer(text)]
    return found


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
        import openpyxl
        from openpyxl.utils import get_column_letter

        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
        try:
            for ws in wb.worksheets:
                for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
                    for c, value in enumerate(row, start=1):
                        if value is None or not isinstance(value, (str, int)) or isinstance(value, bool):
                            continue
                        for hit in _hits(str(value)):
                            findings.append(vocab.text(
                                "privacy.finding.cell", file=path.name, sheet=ws.title,
                                cell=f"{get_column_letter(c)}{r}", value=_masked_hit(hit)))
        finally:
            wb.close()
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
