"""Value parsers: text as exported by Chinese business software -> typed values.

Intake (:mod:`analysis.intake.read`) hands every value over as text; the cleaning step types it with
these functions and quarantines what comes back missing. Each parser is vectorised (pyarrow
string kernels, work done once per distinct value) because it runs on up to 1,000,000 rows.
None of them raises on a bad value: unparseable input becomes ``NaT`` / ``NaN`` / ``<NA>``,
so the caller can compare with :func:`is_blank` to tell "missing" from "bad".
"""

from __future__ import annotations

import datetime as _dt
import unicodedata
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.reference.tokens import (
    AM_WORD, BLANK_TOKENS, CLOSE_BRACKETS, CURRENCY_WORDS, DAY_MARK, FALSE_WORDS, HOUR_MARKS,
    MINUTE_MARK, MONTH_MARK, OPEN_BRACKETS, PM_WORD, SCALE_FACTORS, SECOND_MARK, TRUE_WORDS,
    WEEKDAY_NUMERALS, WEEKDAY_WORDS, YEAR_MARK,
)
from analysis.vocab import text

__all__ = [
    "parse_dates", "parse_dates_checked", "parse_amounts", "parse_bools", "is_blank",
    "strip_control", "DateOrderWarning", "BLANK_TOKENS", "EXCEL_SERIAL_RANGE",
]

# BLANK_TOKENS (imported above, exported here): cell contents that mean "nothing here".

# Excel serial day numbers accepted as dates: 1930-01-01 .. 2099-12-31. Outside this range a
# bare number in a date column is far more likely an id or an amount than a date.
EXCEL_SERIAL_RANGE = (10959, 73050)
_EXCEL_EPOCH = np.datetime64("1899-12-30", "s")  # serial 1 = 1900-01-01 (Lotus leap-year bug)
_YEAR_RANGE = (1800, 2200)  # a year outside this is a typo, not a date

_BOOL_LOOKUP = {**{k: True for k in TRUE_WORDS}, **{k: False for k in FALSE_WORDS}}


class DateOrderWarning(UserWarning):
    """A column of ``dd/mm/yyyy``-or-``mm/dd/yyyy`` dates whose order had to be assumed."""


# ----------------------------------------------------------------------------- helpers

def _as_series(values) -> pd.Series:
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, pd.Index):
        return pd.Series(values, index=None)
    return pd.Series(list(values) if not isinstance(values, np.ndarray) else values)


def _split_object(s: pd.Series):
    """Masks of an object Series: (str, number, datetime-like). Anything else counts as bad."""
    if pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        # All text (the usual case): one C pass instead of a Python call per value.
        return s.notna().to_numpy(), np.zeros(len(s), bool), np.zeros(len(s), bool)
    kinds = np.array([_kind(x) for x in s], dtype=object)
    return kinds == "s", kinds == "n", kinds == "d"


def _kind(x) -> str:
    if x is None or x is pd.NA or x is pd.NaT or (isinstance(x, float) and x != x):
        return "-"
    if isinstance(x, str):
        return "s"
    if isinstance(x, (bool, np.bool_)):
        return "b"
    if isinstance(x, (int, float, np.integer, np.floating)):
        return "n"
    if isinstance(x, (_dt.date, _dt.time, np.datetime64)):
        return "d" if not isinstance(x, _dt.time) else "t"
    return "o"


def _unique_strings(s: pd.Series):
    """(codes, pyarrow array of the distinct stripped strings); code -1 = missing."""
    codes, uniques = pd.factorize(s.astype("str"), use_na_sentinel=True)
    arr = pa.array(uniques)  # pyarrow-backed text: no copy through Python objects
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    arr = pc.utf8_trim_whitespace(arr)
    # Full-width digits and punctuation (２０２４／３／１５, ￥１，２３４) -> ASCII. Only values
    # with characters other than ASCII and CJK ideographs (which NFKC leaves as they are:
    # "2024年3月15日", "1234元") need it, and those are few.
    odd = pc.match_substring_regex(arr, r"[^\x00-\x7f\x{4E00}-\x{9FFF}]")
    if pc.any(odd).as_py():
        arr = pc.if_else(odd, pc.utf8_normalize(arr, form="NFKC"), arr)
    return codes, arr


def _take(codes: np.ndarray, parsed: np.ndarray, fill):
    out = parsed[np.where(codes < 0, 0, codes)] if len(parsed) else np.full(len(codes), fill)
    out[codes < 0] = fill
    return out


def _group(struct: pa.StructArray, field: str) -> pa.Array:
    """One named group of an ``extract_regex`` result; null where it did not take part
    (pyarrow gives "" there)."""
    col = struct.field(field)
    return pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)


def _ints(struct: pa.StructArray, field: str) -> np.ndarray:
    """An extracted digit group as float (NaN where the group did not take part)."""
    col = pc.cast(_group(struct, field), pa.float64())
    return col.to_numpy(zero_copy_only=False)


# ----------------------------------------------------------------------------- blanks

def is_blank(values) -> pd.Series:
    """True where a value means "nothing": None, NaN, "", whitespace, "NULL", "-", "#N/A" …

    Parameters
    ----------
    values : Series or sequence
        Any dtype.

    Returns
    -------
    Series of bool, same index.

    Examples
    --------
    >>> is_blank(pd.Series(["a", " ", None, "#N/A", "NULL", "-", "0"])).tolist()
    [False, True, True, True, True, True, False]
    """
    s = _as_series(values)
    out = s.isna().to_numpy(dtype=bool, copy=True)
    if s.dtype == object:
        text = _split_object(s)[0]
    elif pd.api.types.is_string_dtype(s.dtype):
        text = ~out
    else:
        text = np.zeros(len(s), dtype=bool)
    if text.any():
        values = s[text]
        # No token holds a digit 1-9, and trimming, NFKC or lower-casing never adds or removes
        # one (no character composes with an ASCII digit): ids, dates and amounts are not
        # blank, and only the values without such a digit are looked up.
        digit = pc.match_substring_regex(pa.array(values, type=pa.large_string(), from_pandas=True),
                                         "[1-9]")
        maybe = ~digit.fill_null(False).to_numpy(zero_copy_only=False)
        hit = np.zeros(len(values), dtype=bool)
        if maybe.any():
            codes, arr = _unique_strings(values[maybe])
            blank_u = pc.is_in(pc.utf8_lower(arr), value_set=pa.array(sorted(BLANK_TOKENS)))
            hit[maybe] = _take(codes, blank_u.to_numpy(zero_copy_only=False).astype(bool), True)
        out[text] |= hit
    return pd.Series(out, index=s.index, name=s.name)


# ----------------------------------------------------------------------------- text

# C0 and C1 control characters (NUL, tab, newline, DEL …) and zero-width characters
# (U+200B–U+200D, BOM U+FEFF): invisible in Excel, but they make "C001" and "C\x00001" two ids.
_RE_CONTROL = r"[\x00-\x1f\x7f-\x{9f}\x{200B}-\x{200D}\x{FEFF}]"


def strip_control(values: pd.Series) -> tuple[pd.Series, int]:
    r"""Remove control and zero-width characters from text; count the values that changed.

    Removed: C0 controls ``\x00``–``\x1f`` (NUL, tab and line breaks included), DEL and the C1
    controls ``\x7f``–``\x9f``, and the zero-width characters U+200B–U+200D and U+FEFF (BOM).
    Nothing is put in their place and nothing else is touched (no trimming). A value made of
    such characters only becomes ``""``. Non-text values and missing values pass through.

    Parameters
    ----------
    values : Series
        Text (``object``, ``str`` or ``string`` dtype); any other dtype is returned unchanged.

    Returns
    -------
    cleaned : Series
        Same index, name and dtype; ``NA`` kept.
    n_changed : int
        Number of values (rows, not distinct values) that had such characters.

    Examples
    --------
    >>> s = pd.Series(["C\x00001", "王\u200b五", "C001", None])
    >>> cleaned, n = strip_control(s)
    >>> cleaned.tolist(), n, cleaned.dtype == s.dtype
    (['C001', '王五', 'C001', nan], 2, True)
    """
    s = _as_series(values)
    out = s.copy(deep=False)   # copy-on-write: the values are copied only if one changes
    if s.dtype == object:
        pos = np.flatnonzero(_split_object(s)[0])
        text = pa.array(np.asarray(s.iloc[pos], dtype=object), type=pa.string())
    elif pd.api.types.is_string_dtype(s.dtype):
        pos = np.arange(len(s))
        text = pa.array(s.array)  # no copy for pyarrow-backed text; NA -> null
    else:
        return out, 0
    hit = pc.match_substring_regex(text, _RE_CONTROL).fill_null(False)
    hit = hit.to_numpy(zero_copy_only=False)
    if not hit.any():
        return out, 0
    cleaned = pc.replace_substring_regex(pc.filter(text, pa.array(hit)), _RE_CONTROL, "")
    out.iloc[pos[hit]] = np.asarray(cleaned.to_pylist(), dtype=object)
    return out, int(hit.sum())


# ----------------------------------------------------------------------------- dates

# The patterns below run under RE2 (pyarrow): no look-arounds, so "what may follow" is spelt
# out as a pattern of its own (_TAIL).
_WEEKDAY_EN = (r"(?i:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?"
               r"|fri(?:day)?|sat(?:urday)?|sun(?:day)?)\.?")
_OPEN = "[" + OPEN_BRACKETS + "]"     # one opening bracket, half- or full-width
_CLOSE = "[" + CLOSE_BRACKETS + "]"
_WEEKDAY_ZH = "(?:" + "|".join(WEEKDAY_WORDS) + ")[" + WEEKDAY_NUMERALS + "]"
# A Chinese weekday anywhere, with its brackets: "星期五", " 周五", "(五)", "(星期五)". It says
# nothing the date does not, and is replaced by a space before the patterns below run.
_RE_WEEKDAY_ZH = (r"\s*" + _OPEN + r"?\s*" + _WEEKDAY_ZH + r"\s*" + _CLOSE + "?"
                  r"|\s*" + _OPEN + r"\s*[" + WEEKDAY_NUMERALS + r"]\s*" + _CLOSE)
# An English weekday in front of the date ("Fri, 01 Dec 2010") or between the date and its
# time ("2018-01-01 (Mon) 10:00"). Chinese ones are blanked out before any pattern runs.
# (No optional space at the end of _MID: it would take the space the time starts with.)
_LEAD = r"^(?:" + _WEEKDAY_EN + r"[\s,]*)?"
_MID = r"(?:\s*" + _OPEN + r"?\s*" + _WEEKDAY_EN + r"(?:\s*" + _CLOSE + r")?)?"
_TIME = (
    r"(?:(?:[\s,]+|\s*T\s*)(?:(?P<ap1>" + AM_WORD + "|" + PM_WORD + r"|AM|PM|am|pm)\s*)?"
    r"(?P<H>\d{1,2})[:" + HOUR_MARKS + r"](?P<M>\d{1,2})(?:[:" + MINUTE_MARK + r"](?P<S>\d{1,2})"
    r"(?:[.,](?P<F>\d{1,9}))?" + SECOND_MARK + r"?)?"
    r"\s*(?P<ap2>AM|PM|am|pm|" + AM_WORD + "|" + PM_WORD + r")?"
    # A zone or offset is read and dropped: the wall-clock time is kept.
    r"\s*(?:Z|(?:UTC|GMT)?\s*[+-]\d{1,2}(?::?\d{2})?|UTC|GMT)?)?"
)
# What may follow a date (and its time): nothing, or text that does not go on with a digit
# ("星期五", "(五)", "Fri", "CST", "备注…"), so "2024-03-15 25:00" and "2024-03-1512" are not
# read as 2024-03-15. A separator followed by a digit ("-12", ":00", "/2024") counts as digits.
_TAIL = (r"(?:[\s" + OPEN_BRACKETS + r"]*(?:(?:[^\d\s" + OPEN_BRACKETS
         + r"+\-/.:]|[+\-/.:](?:\D|$))(?s:.*))?)$")
# Compact dates need a space or bracket before any such text: "20180101A" is more likely an id.
_TAIL_COMPACT = (r"(?:[\s" + OPEN_BRACKETS + r"]+(?:[^\d\s" + OPEN_BRACKETS
                 + r"+\-/.:](?s:.*))?)?$")
_MONTH = (r"(?P<mon>(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
          r"|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?))\.?")
_MONTH_ABBR = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_ORDINAL = r"(?i:st|nd|rd|th)?"

_RE_ISO = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?$"
_YMD = (r"(?P<y>\d{4})\s*[-/." + YEAR_MARK + r"]\s*(?P<m>\d{1,2})\s*[-/." + MONTH_MARK
        + r"]\s*(?P<d>\d{1,2})(?:\s*" + DAY_MARK + ")?")
_RE_YMD = _LEAD + _YMD + _MID + _TIME + _TAIL
_RE_COMPACT = (r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"
               r"(?:(?:\.0+)|(?:[ T]?(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})))?" + _TAIL_COMPACT)
_DMY = r"(?P<a>\d{1,2})\s*[-/.]\s*(?P<b>\d{1,2})\s*[-/.]\s*(?P<y>\d{4})"
_RE_DMY = _LEAD + _DMY + _MID + _TIME + _TAIL
# The same without weekday or trailing text: what most values look like. Extracting groups
# costs RE2 time in proportion to the pattern's size, so those values use the short pattern.
_PLAIN = {_RE_YMD: "^" + _YMD + _TIME + "$", _RE_DMY: "^" + _DMY + _TIME + "$"}
# Month names: 2010-Dec-01, 01-Dec-2010 / 1 December 2010 / 01DEC2010, Dec 1, 2010.
_RE_YMOND = (_LEAD + r"(?P<y>\d{4})[\s\-/.,]*" + _MONTH + r"[\s\-/.,]*(?P<d>\d{1,2})" + _ORDINAL
             + _MID + _TIME + _TAIL)
_RE_DMONY = (_LEAD + r"(?P<d>\d{1,2})" + _ORDINAL + r"[\s\-/.,]*" + _MONTH + r"[\s\-/.,]*"
             r"(?P<y>\d{4})" + _MID + _TIME + _TAIL)
_RE_MONDY = (_LEAD + _MONTH + r"[\s\-/.,]*(?P<d>\d{1,2})" + _ORDINAL + r"[\s\-/.,]+"
             r"(?P<y>\d{4})" + _MID + _TIME + _TAIL)
_RE_SERIAL = r"^\d{5}(?:\.\d+)?$"
# Last resort (pandas, per distinct value) only for leftovers naming a month and a 4-digit year.
_RE_MONTH_WORD = r"(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"


def parse_dates(values, *, dayfirst: bool | None = None) -> pd.Series:
    """Parse dates in the forms Chinese exports use; ``NaT`` where missing or unparseable.

    Accepted: ISO dates/datetimes (``2024-03-15``, ``2024-03-15 08:26:00``,
    ``2024-03-15T08:26:00+08:00`` — a zone or offset (``Z``, ``+08:00``, ``UTC``,
    ``GMT+8``, ``CST``) is dropped, the wall-clock time kept), ``2024/3/15``, ``2024.3.15``,
    ``2024年3月15日``, ``20240315`` (text or integer, also ``20240315082600`` and
    ``20240315.0``), times with or without seconds and fractions, with ``上午/下午`` or
    AM/PM, year-last slash dates (``15/03/2024 08:26``, ``12/1/2010 8:26``), month names
    (``15-Mar-2024``, ``01DEC2010``, ``1 December 2010 08:26``, ``Dec 1, 2010``,
    ``2010-Dec-01``), Excel serial day numbers in :data:`EXCEL_SERIAL_RANGE` (text or number,
    fraction = time of day), Python/pandas datetimes. A weekday before or after the date is
    ignored (``2018-01-01 星期五``, ``2018-01-01(五)``, ``Fri, 01 Dec 2010``), and so is any
    text after the date and time that does not go on with a digit (``2024-03-15 备注``); text
    that does (``2024-03-15 25:00``, ``2024-03-1512``) makes the value unparseable.
    Full-width digits are accepted. Years outside 1800–2200 and two-digit years give ``NaT``.
    :func:`parse_dates_checked` also tells which values name a day that does not exist.

    Day or month first, for year-last dates (``03/04/2024``): a value whose first number is
    over 12 can only be day-first, one whose second number is over 12 only month-first; each
    such value is read the only way it can be. The ambiguous rest of the column follows the
    majority of those unambiguous values; if there are none (or a tie), ``dayfirst``; if that
    is ``None`` too, month-first — Excel's and US systems' order, which is where year-last
    dates in Chinese exports come from — with a :class:`DateOrderWarning`. The decision is
    recorded in ``result.attrs["dayfirst"]`` and ``result.attrs["dayfirst_source"]``
    (``"evidence"``, ``"argument"``, ``"default"``; ``None`` when no such dates).

    Parameters
    ----------
    values : Series or sequence
        Text, numbers, datetimes or a mix.
    dayfirst : bool, optional
        Order for ambiguous year-last dates when the column itself does not tell.

    Returns
    -------
    Series of ``datetime64[ns]``, same index and name.

    Examples
    --------
    >>> parse_dates(pd.Series(["2024/3/15", "20240315", "2024年3月15日", "45366"])).dt.strftime(
    ...     "%Y-%m-%d").tolist()
    ['2024-03-15', '2024-03-15', '2024-03-15', '2024-03-15']
    >>> parse_dates(pd.Series(["15/03/2024 08:26", "01/04/2024"])).tolist()
    [Timestamp('2024-03-15 08:26:00'), Timestamp('2024-04-01 00:00:00')]
    >>> parse_dates(pd.Series(["2018-01-01 星期一", "Dec 1, 2010 8:26 PM", "2024-03-15 25:00"])
    ...             ).tolist()
    [Timestamp('2018-01-01 00:00:00'), Timestamp('2010-12-01 20:26:00'), NaT]
    """
    return _parse_dates(values, dayfirst)[0]


def parse_dates_checked(values, *, dayfirst: bool | None = None) -> tuple[pd.Series, pd.Series]:
    """:func:`parse_dates`, plus which values name a day or time that does not exist.

    A value is *impossible* when it has the shape of a date (one of the forms
    :func:`parse_dates` reads, with a year in 1800–2200) but its month, day or time is out of
    range: ``2018-02-29``, ``2024-13-01``, ``2024-04-31``, ``31/02/2024``, ``30-Feb-2024``,
    ``2024-03-15 25:00``, ``2024-03-15 13:00 PM``, ``20240230``. For 8-digit compact dates
    (``20240230``, text or number) only a month 1–12 and a day 1–31 make the shape: an
    8-digit number such as ``20241340`` is more likely an id. Blanks, valid dates and text
    that is not a date (``abc``, ``12345678901``, ``0224-03-15``) are not impossible.

    Parameters
    ----------
    values : Series or sequence
        Text, numbers, datetimes or a mix.
    dayfirst : bool, optional
        As for :func:`parse_dates`.

    Returns
    -------
    dates : Series of ``datetime64[ns]``
        Exactly what :func:`parse_dates` returns, attrs included.
    impossible : Series of bool
        Same index and name; True where the value names a day or time that does not exist.

    Examples
    --------
    >>> dates, impossible = parse_dates_checked(
    ...     pd.Series(["2024-02-29", "2023-02-29", "2024-03-15 25:00", "abc", None]))
    >>> dates.tolist()
    [Timestamp('2024-02-29 00:00:00'), NaT, NaT, NaT, NaT]
    >>> impossible.tolist()
    [False, True, True, False, False]
    """
    return _parse_dates(values, dayfirst)


def _parse_dates(values, dayfirst: bool | None) -> tuple[pd.Series, pd.Series]:
    s = _as_series(values)
    n = len(s)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    impossible = np.zeros(n, dtype=bool)
    order = {"dayfirst": None, "dayfirst_source": None}

    if isinstance(s.dtype, pd.DatetimeTZDtype):
        out = s.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    elif pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s.to_numpy(dtype="datetime64[ns]")
    elif pd.api.types.is_bool_dtype(s.dtype):
        pass
    elif pd.api.types.is_numeric_dtype(s.dtype):
        out, impossible = _dates_from_numbers(s.to_numpy(dtype="float64", na_value=np.nan))
    else:
        if s.dtype == object:
            is_str, is_num, is_dt = _split_object(s)
        else:
            is_str, is_num, is_dt = np.ones(n, bool), np.zeros(n, bool), np.zeros(n, bool)
        if is_str.any():
            sub = s[is_str].astype("str")
            parsed = np.full(len(sub), np.datetime64("NaT"), dtype="datetime64[ns]")
            bad = np.zeros(len(sub), dtype=bool)
            # Fast path: strict ISO, the commonest form, parsed in C without factorising.
            iso = pc.match_substring_regex(pa.array(sub.array), _RE_ISO)
            iso = iso.fill_null(False).to_numpy(zero_copy_only=False)
            if iso.any():
                got = pd.to_datetime(sub[iso], format="ISO8601", errors="coerce")
                parsed[iso] = _in_year_range(got)
                # What the fast path could not read (2023-02-29, year 0224) goes the slow way,
                # which also tells impossible from out of range.
                iso &= ~np.isnat(parsed)
            rest = ~iso & sub.notna().to_numpy()
            if rest.any():
                codes, arr = _unique_strings(sub[rest])
                uniq, uniq_bad, order = _dates_from_strings(arr, dayfirst)
                parsed[rest] = _take(codes, uniq, np.datetime64("NaT"))
                bad[rest] = _take(codes, uniq_bad, False)
            out[is_str] = parsed
            impossible[is_str] = bad
        if is_num.any():
            nums = pd.to_numeric(s[is_num], errors="coerce").to_numpy(dtype="float64")
            out[is_num], impossible[is_num] = _dates_from_numbers(nums)
        if is_dt.any():
            sub = s[is_dt].map(lambda x: pd.Timestamp(x).tz_localize(None)
                               if getattr(x, "tzinfo", None) else pd.Timestamp(x))
            out[is_dt] = pd.to_datetime(sub, errors="coerce").to_numpy(dtype="datetime64[ns]")

    result = pd.Series(out, index=s.index, name=s.name, dtype="datetime64[ns]")
    result.attrs.update(order)
    return result, pd.Series(impossible, index=s.index, name=s.name, dtype=bool)


def _in_year_range(got: pd.Series) -> np.ndarray:
    """A parsed datetime Series as datetime64[ns], NaT outside :data:`_YEAR_RANGE` (checked
    before the cast, which would overflow for year 224)."""
    years = got.dt.year
    ok = (years >= _YEAR_RANGE[0]) & (years <= _YEAR_RANGE[1])
    return got.where(ok).to_numpy(dtype="datetime64[ns]")


def _year_ok(y: np.ndarray) -> np.ndarray:
    """True where a year (float array) is in :data:`_YEAR_RANGE`."""
    return (y >= _YEAR_RANGE[0]) & (y <= _YEAR_RANGE[1])


def _dates_from_numbers(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """yyyymmdd integers and Excel serials -> (datetime64[ns], impossible); else NaT."""
    out = np.full(len(x), np.datetime64("NaT"), dtype="datetime64[ns]")
    impossible = np.zeros(len(x), dtype=bool)
    finite = np.isfinite(x)
    whole = finite & (np.floor(np.where(finite, x, 0)) == np.where(finite, x, 0))
    compact = whole & (x >= 18000101) & (x <= 22001231)
    if compact.any():
        v = x[compact].astype(np.int64)
        y, m, d = v // 10000, v // 100 % 100, v % 100
        got = _assemble(y, m, d)
        out[compact] = got
        impossible[compact] = np.isnat(got) & _compact_shape(m, d)
    serial = finite & ~compact & (x >= EXCEL_SERIAL_RANGE[0]) & (x < EXCEL_SERIAL_RANGE[1] + 1)
    if serial.any():
        secs = np.round(x[serial] * 86400).astype(np.int64)
        out[serial] = (_EXCEL_EPOCH + secs.astype("timedelta64[s]")).astype("datetime64[ns]")
    return out, impossible


def _compact_shape(m, d) -> np.ndarray:
    """8 digits read as a date only when month and day could be one (else likely an id)."""
    return (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31)


def _assemble(y, m, d, hh=None, mm=None, ss=None, us=None) -> np.ndarray:
    """Date parts (float arrays, NaN = absent) -> datetime64[ns]; invalid parts -> NaT."""
    y = np.asarray(y, dtype="float64")
    n = len(y)
    zero = np.zeros(n)
    hh, mm, ss, us = (zero if a is None else np.nan_to_num(np.asarray(a, "float64"))
                      for a in (hh, mm, ss, us))
    ok = _year_ok(y) & (hh <= 23) & (mm <= 59) & (ss <= 59)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if not ok.any():
        return out
    parts = pd.DataFrame({
        "year": y[ok], "month": np.asarray(m, "float64")[ok], "day": np.asarray(d, "float64")[ok],
        "hour": hh[ok], "minute": mm[ok], "second": ss[ok], "us": us[ok],
    })
    out[ok] = pd.to_datetime(parts, errors="coerce").to_numpy(dtype="datetime64[ns]")
    return out


def _time_parts(st: pa.StructArray):
    """Hour, minute, second, microsecond from a match of :data:`_TIME`, AM/PM applied."""
    hh, mm, ss = _ints(st, "H"), _ints(st, "M"), _ints(st, "S")
    frac = _group(st, "F")
    us = pc.cast(pc.utf8_slice_codeunits(pc.utf8_rpad(frac, 6, "0"), 0, 6), pa.float64())
    us = us.to_numpy(zero_copy_only=False)
    ap = pc.coalesce(_group(st, "ap1"), _group(st, "ap2"))
    ap = pc.utf8_upper(ap).to_numpy(zero_copy_only=False)
    pm = (ap == "PM") | (ap == PM_WORD)
    am = (ap == "AM") | (ap == AM_WORD)
    has_ap = pm | am
    bad = has_ap & ((hh > 12) | (hh == 0))  # "13:00 PM" is not a time
    hh = np.where(pm & (hh < 12), hh + 12, hh)
    hh = np.where(am & (hh == 12), 0, hh)
    hh = np.where(bad, np.inf, hh)  # rejected by _assemble
    return hh, mm, ss, us


def _month_numbers(st: pa.StructArray) -> np.ndarray:
    """The ``mon`` group ("Dec", "december", "SEPT") as month numbers 1–12."""
    abbr = pc.utf8_slice_codeunits(pc.utf8_lower(st.field("mon")), 0, 3)
    idx = pc.index_in(abbr, value_set=pa.array(_MONTH_ABBR))
    return pc.add(pc.cast(idx, pa.float64()), 1.0).to_numpy(zero_copy_only=False)


def _dates_from_strings(arr: pa.Array, dayfirst: bool | None):
    """Distinct, stripped strings -> (datetime64[ns], impossible, order); each pattern only
    sees what the ones before it left."""
    n = len(arr)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    impossible = np.zeros(n, dtype=bool)
    left = np.ones(n, dtype=bool)
    order = {"dayfirst": None, "dayfirst_source": None}

    # A Chinese weekday says nothing the date does not: blank it out, so that such values
    # ("2018-01-01 10:00:00 星期一", 1,000,000 distinct ones in a big export) take the short
    # patterns below instead of the long ones, whose group extraction is several times slower.
    zh = pc.match_substring_regex(arr, _RE_WEEKDAY_ZH)
    if pc.any(zh).as_py():
        blanked = pc.utf8_trim_whitespace(pc.replace_substring_regex(arr, _RE_WEEKDAY_ZH, " "))
        arr = pc.if_else(zh, blanked, arr)

    def extract(pattern):
        """(positions in arr, extract_regex struct) of the remaining values that match."""
        idx = np.flatnonzero(left)
        sub = pc.take(arr, pa.array(idx))
        hit = pc.match_substring_regex(sub, pattern).to_numpy(zero_copy_only=False)
        idx = idx[hit]
        sub = pc.take(arr, pa.array(idx))
        plain = _PLAIN.get(pattern)
        if plain is None or not len(idx):
            return idx, pc.extract_regex(sub, pattern)
        short = pc.match_substring_regex(sub, plain).to_numpy(zero_copy_only=False)
        if short.all():
            return idx, pc.extract_regex(sub, plain)
        # Same groups either way: the plain values first, then the others, positions to match.
        parts = [pc.extract_regex(pc.filter(sub, pa.array(short)), plain),
                 pc.extract_regex(pc.filter(sub, pa.array(~short)), pattern)]
        return np.concatenate([idx[short], idx[~short]]), pa.concat_arrays(parts)

    def store(idx, got, shape):
        """Record parsed values; a NaT where the value had a date's shape is impossible."""
        out[idx] = got
        impossible[idx] = np.isnat(got) & shape
        left[idx] = False

    # Year first: ISO, 2024/3/15, 2024.3.15, 2024年3月15日, with or without a time.
    idx, st = extract(_RE_YMD)
    if len(idx):
        y = _ints(st, "y")
        store(idx, _assemble(y, _ints(st, "m"), _ints(st, "d"), *_time_parts(st)), _year_ok(y))

    # Compact 20240315 / 20240315082600.
    idx, st = extract(_RE_COMPACT)
    if len(idx):
        y, m, d = _ints(st, "y"), _ints(st, "m"), _ints(st, "d")
        got = _assemble(y, m, d, _ints(st, "H"), _ints(st, "M"), _ints(st, "S"))
        store(idx, got, _year_ok(y) & _compact_shape(m, d))

    # Year last: 15/03/2024, 12/1/2010 8:26.
    idx, st = extract(_RE_DMY)
    if len(idx):
        a, b = _ints(st, "a"), _ints(st, "b")
        only_dayfirst = (a > 12) & (b <= 12)
        only_monthfirst = (b > 12) & (a <= 12)
        n_d, n_m = int(only_dayfirst.sum()), int(only_monthfirst.sum())
        if n_d != n_m:
            col_dayfirst, source = n_d > n_m, "evidence"
            if n_d and n_m:
                key = "day_first" if col_dayfirst else "month_first"
                warnings.warn(text(f"parse.date_order.mixed_{key}", n_day_first=n_d,
                                   n_month_first=n_m), DateOrderWarning, stacklevel=4)
        elif dayfirst is not None:
            col_dayfirst, source = bool(dayfirst), "argument"
        else:
            col_dayfirst, source = False, "default"
            warnings.warn(text("parse.date_order.assumed_month_first"), DateOrderWarning,
                          stacklevel=4)
        order = {"dayfirst": col_dayfirst, "dayfirst_source": source}
        day_first = only_dayfirst | (~only_monthfirst & col_dayfirst)
        day = np.where(day_first, a, b)
        month = np.where(day_first, b, a)
        y = _ints(st, "y")
        store(idx, _assemble(y, month, day, *_time_parts(st)), _year_ok(y))

    # Month names: 2010-Dec-01, 01-Dec-2010, Dec 1, 2010.
    for pattern in (_RE_YMOND, _RE_DMONY, _RE_MONDY):
        idx, st = extract(pattern)
        if len(idx):
            y = _ints(st, "y")
            got = _assemble(y, _month_numbers(st), _ints(st, "d"), *_time_parts(st))
            store(idx, got, _year_ok(y))

    # Excel serial numbers stored as text.
    idx = np.flatnonzero(left)
    if len(idx):
        sub = pc.take(arr, pa.array(idx))
        ser = pc.match_substring_regex(sub, _RE_SERIAL).to_numpy(zero_copy_only=False)
        if ser.any():
            nums = pc.cast(pc.filter(sub, pa.array(ser)), pa.float64()).to_numpy()
            out[idx[ser]] = _dates_from_numbers(nums)[0]
            left[idx[ser]] = False

    # Last resort, only for odd leftovers naming a month in letters next to a 4-digit year
    # ("Fri Dec 1 08:26:00 2010"): too rare to vectorise, too risky to apply widely.
    idx = np.flatnonzero(left)
    if len(idx):
        sub = pc.take(arr, pa.array(idx))
        rest = (pc.match_substring_regex(sub, _RE_MONTH_WORD).to_numpy(zero_copy_only=False)
                & pc.match_substring_regex(sub, r"\d{4}").to_numpy(zero_copy_only=False))
        if rest.any():
            texts = pd.Series(pc.filter(sub, pa.array(rest)).to_pylist(), dtype=object)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = pd.to_datetime(texts, errors="coerce", format="mixed",
                                     dayfirst=bool(order["dayfirst"]), utc=True)
            out[idx[rest]] = _in_year_range(got.dt.tz_localize(None))
    return out, impossible, order


# ----------------------------------------------------------------------------- amounts

# Currency marks and units removed before the number is read. 万/亿/千/k/w scale it.
_CURRENCY = CURRENCY_WORDS
_SCALE = SCALE_FACTORS
_RE_AMOUNT = (r"^(?P<neg1>-)?\s*(?P<lp>\()?\s*(?P<neg2>[+-])?\s*"
              r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?)\s*"
              r"(?P<scale>" + "|".join(SCALE_FACTORS) + r")?\s*(?P<rp>\))?\s*(?P<neg3>-)?$")


def parse_amounts(values) -> pd.Series:
    """Parse money amounts (元) to float; ``NaN`` where missing or unparseable.

    Accepted: plain numbers, ``¥1,234.50``, ``￥1234``, ``RMB 1234``, ``1234.5元``,
    ``1,234`` (commas only as thousands separators), ``-56.00``, ``¥-56``, ``(56.00)`` and
    ``56.00-`` (accounting negatives), full-width digits, ``1.2万`` (= 12000), ``3亿``,
    ``5千``, ``2.5k``, scientific notation as spreadsheets write it (``1.2E+05`` = 120000,
    ``-3.5E-02``, ``¥1.5E+03``). Not accepted (``NaN``): percentages, ranges, ``1.234,50``-style
    decimal commas, infinities and numbers too large to be finite (``1e400``), text.

    Parameters
    ----------
    values : Series or sequence
        Text or numbers.

    Returns
    -------
    Series of float64, same index and name.

    Examples
    --------
    >>> parse_amounts(pd.Series(["¥1,234.50", "(56.00)", "1.2万", "1.2E+05", "abc"])).tolist()
    [1234.5, -56.0, 12000.0, 120000.0, nan]
    """
    s = _as_series(values)
    if pd.api.types.is_bool_dtype(s.dtype):
        return pd.Series(np.nan, index=s.index, name=s.name, dtype="float64")
    if pd.api.types.is_numeric_dtype(s.dtype):
        out = s.to_numpy(dtype="float64", na_value=np.nan, copy=True)
        out[~np.isfinite(out)] = np.nan
        return pd.Series(out, index=s.index, name=s.name)

    n = len(s)
    out = np.full(n, np.nan)
    if s.dtype == object:
        is_str, is_num, _ = _split_object(s)
        if is_num.any():
            out[is_num] = pd.to_numeric(s[is_num], errors="coerce").to_numpy(dtype="float64")
    else:
        is_str = np.ones(n, dtype=bool)
    if is_str.any():
        codes, arr = _unique_strings(s[is_str])
        out[is_str] = _take(codes, _amounts_from_strings(arr), np.nan)
    out[~np.isfinite(out)] = np.nan
    return pd.Series(out, index=s.index, name=s.name)


def _amounts_from_strings(arr: pa.Array) -> np.ndarray:
    # Fast path: most values are plain numbers.
    plain = pc.match_substring_regex(arr, r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
    plain_np = plain.to_numpy(zero_copy_only=False)
    out = np.full(len(arr), np.nan)
    if plain_np.any():
        out[plain_np] = pc.cast(pc.filter(arr, plain), pa.float64()).to_numpy()
    if plain_np.all():
        return out
    rest_idx = np.flatnonzero(~plain_np)
    rest = pc.take(arr, pa.array(rest_idx))
    rest = pc.replace_substring_regex(rest, _CURRENCY, "")
    rest = pc.replace_substring_regex(rest, r"\s+", "")
    st = pc.extract_regex(rest, _RE_AMOUNT)
    ok = st.is_valid().to_numpy(zero_copy_only=False)
    lp = pc.equal(st.field("lp"), "(").fill_null(False).to_numpy(zero_copy_only=False)
    rp = pc.equal(st.field("rp"), ")").fill_null(False).to_numpy(zero_copy_only=False)
    ok &= lp == rp  # "(56" or "56)" is not an amount
    num = pc.cast(pc.replace_substring(_group(st, "num"), ",", ""), pa.float64())
    num = num.to_numpy(zero_copy_only=False)
    signs = [pc.equal(st.field(f), "-").fill_null(False).to_numpy(zero_copy_only=False)
             for f in ("neg1", "neg2", "neg3")]
    n_neg = lp.astype(int) + sum(sig.astype(int) for sig in signs)
    ok &= (signs[0].astype(int) + signs[1] + signs[2]) <= 1
    scale_txt = _group(st, "scale").to_numpy(zero_copy_only=False)
    scale = np.array([_SCALE.get(t, 1.0) if t is not None else 1.0 for t in scale_txt]) \
        if len(scale_txt) else np.ones(0)
    # "(56)", "-56", "56-", "(-56)": any negative mark makes it negative.
    value = np.where(n_neg > 0, -num, num) * scale
    # 1.2万 must be 12000, not 11999.999999999998.
    value = np.where(scale != 1.0, np.round(value, 6), value)
    out[rest_idx] = np.where(ok, value, np.nan)
    return out


# ----------------------------------------------------------------------------- booleans

def parse_bools(values) -> pd.Series:
    """Parse yes/no flags to the nullable ``boolean`` dtype; ``<NA>`` where missing or unknown.

    True: 是, 是的, Y, yes, true, 1, 同意, 已同意, 授权, 已授权, 退订, 已退订, √ …
    False: 否, N, no, false, 0, 不同意, 未同意, 拒绝, 未授权, 未退订, 无, × …
    (case-insensitive, surrounding spaces and full-width forms ignored). Python and NumPy
    booleans pass through; numbers 1/0 map to True/False.

    Examples
    --------
    >>> parse_bools(pd.Series(["是", "N", "已同意", "未退订", "也许", None])).tolist()
    [True, False, True, False, <NA>, <NA>]
    """
    s = _as_series(values)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean")
    if pd.api.types.is_numeric_dtype(s.dtype):
        x = s.to_numpy(dtype="float64", na_value=np.nan)
        res = pd.array(np.where(x == 1, True, False), dtype="boolean")
        res[~((x == 1) | (x == 0))] = pd.NA
        return pd.Series(res, index=s.index, name=s.name)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    mapped = [_bool_of(u) for u in uniques]
    lookup = pd.array(mapped + [pd.NA], dtype="boolean")
    res = lookup.take(np.where(codes < 0, len(mapped), codes))
    return pd.Series(res, index=s.index, name=s.name)


def _bool_of(x):
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, float, np.integer, np.floating)):
        return True if x == 1 else False if x == 0 else pd.NA
    if isinstance(x, str):
        key = unicodedata.normalize("NFKC", x).strip().lower()
        return _BOOL_LOOKUP.get(key, pd.NA)
    return pd.NA
