"""Step 01 — cleaning: standardise, deduplicate, quarantine, and account for every row.

Pure functions from raw intake frames (all strings, canonical column names, with
``_source_file``/``_source_row``) to typed, clean tables. Nothing is dropped silently: a
row that cannot be used goes to the quarantine table with its source file, row and the
reason, and per table ``rows in = kept + quarantined + merged/duplicate`` is asserted.
"""

from __future__ import annotations

import copy
import ctypes
import functools
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from analysis.config import PARAMS_DIR
from analysis.params import load_yaml
from analysis.errors import InputError, KitError, ParamsError
from analysis.steps.order_parts import join_order_parts
from analysis.steps.quarantine import QUARANTINE_COLUMNS, normalise_ids, set_aside
from analysis.intake.parse import (
    is_blank, parse_amounts, parse_bools, parse_dates, parse_dates_checked, strip_control,
)
from analysis.reference.geography import (
    INDUSTRY_ALIASES, INDUSTRY_SECTIONS, PROVINCE_OF_CITY, PROVINCE_SUFFIXES, REGION_OF_PROVINCE,
)
from analysis.reference.order_words import (
    CANCELLATION_MARK, CANCELLED_STATUS, CITY_SUFFIXES, COMPANY_NAME_PUNCTUATION, COMPANY_SIZE_WORDS,
    COMPANY_SUFFIXES, INTERACTION_KIND_WORDS, INTERACTION_KINDS, LOOKUP_PUNCTUATION, MESSAGE_CHANNEL_WORDS,
    MESSAGE_EVENT_WORDS, ORGANISATION_WORDS, RETURN_STATUS, TOTALS_ROW,
)
from analysis.intake.schema import ORDER_PARTS, TABLES, HandedOverTables, column_label
from analysis.vocab import text, texts

__all__ = [
    "CleanResult", "clean_all", "clean_orders", "clean_customers", "clean_interactions",
    "clean_surveys", "normalise_phones", "placeholder_phones", "normalise_company_names", "standardise_industry",
    "region_of_province", "province_from_city", "normalise_ids", "rekey", "standardise_company_size", "row_accounting", "completeness",
    "QUARANTINE_COLUMNS", "quarantine_labels", "totals_rows", "checks_frame",
    "label_columns", "cleaning_params",
]

# Quarantine column -> its header key in the workbook (column.<key>, analysis/vocab/workbooks.yml).
_QUARANTINE_HEADERS = {"table": "table", "source_file": "source_file", "source_row": "source_row",
                       "column": "column", "value": "raw_value", "reason": "reason"}
_SOURCE = ["_source_file", "_source_row"]


def quarantine_labels() -> dict[str, str]:
    """Quarantine column -> its header in the 隔离明细 sheet, in the run's language.

    Examples
    --------
    >>> quarantine_labels()["value"]
    '原值'
    """
    return {col: text(f"column.{key}") for col, key in _QUARANTINE_HEADERS.items()}


@functools.cache
def _base_cleaning() -> dict:
    return load_yaml(PARAMS_DIR / "base.yml")["cleaning"]


def cleaning_params(params: dict | None = None) -> dict:
    """The ``cleaning`` params: ``params`` over params/base.yml's, so a caller passing ``{}`` or
    a few keys (a test, a script, a benchmark) gets base.yml's values for the rest — the only
    defaults there are. A run passes the resolved section, which has every key.

    Examples
    --------
    >>> cleaning_params({"dayfirst": True})["dayfirst"], cleaning_params()["max_order_amount"]
    (True, 5000000)
    """
    return {**copy.deepcopy(_base_cleaning()), **(params or {})}


# ---------------------------------------------------------------- standardisers

def normalise_phones(values: pd.Series) -> pd.DataFrame:
    """Mainland mobiles to 11 digits, landlines to ``0AA-NNNNNNNN``; the rest flagged.

    Returns columns ``phone`` (standard form, NA when unusable or missing) and ``phone_kind``:
    ``mobile`` / ``landline``; ``placeholder`` for a number of the right shape typed to fill
    the field (:func:`placeholder_phones`: ``0000-0000000``, ``13800000000``,
    ``021-12345678``); ``invalid`` for anything else that is not a phone (too short, letters,
    a 12-digit mobile); ``missing`` for a blank.

    Examples
    --------
    >>> got = normalise_phones(pd.Series(["+86 138-1234-5678", "021-62345678", "12345", "00000000000"]))
    >>> got.phone.tolist(), got.phone_kind.tolist()
    (['13812345678', '021-62345678', <NA>, <NA>], ['mobile', 'landline', 'invalid', 'placeholder'])
    """
    blank = is_blank(values)
    cleaned = values.astype("string").fillna("").str.normalize("NFKC")
    digits = cleaned.str.replace(r"\D", "", regex=True)
    # Country code: +86 / 0086 / 86 in front of an 11-digit mobile.
    digits = digits.str.replace(r"^(?:0086|86)(?=1[3-9]\d{9}$)", "", regex=True)
    mobile = digits.str.fullmatch(r"1[3-9]\d{9}").fillna(False)
    landline = (digits.str.fullmatch(r"0\d{9,11}") & ~mobile).fillna(False)
    # 010 and 02x are three-digit area codes; every other area code has four digits.
    short_area = digits.str[:2].isin(["01", "02"])
    formatted_landline = (digits.str[:3] + "-" + digits.str[3:]).where(
        short_area, digits.str[:4] + "-" + digits.str[4:])
    placeholder = placeholder_phones(digits.where(mobile), formatted_landline.where(landline))
    mobile, landline = mobile & ~placeholder, landline & ~placeholder
    phone = pd.Series(pd.NA, index=values.index, dtype="string")
    phone[mobile] = digits[mobile]
    phone[landline] = formatted_landline[landline]
    kind = np.select([blank, mobile, landline, placeholder],
                     ["missing", "mobile", "landline", "placeholder"], "invalid")
    return pd.DataFrame({"phone": phone, "phone_kind": kind}, index=values.index)


def placeholder_phones(mobiles: pd.Series, landlines: pd.Series) -> pd.Series:
    """Numbers of a phone's shape typed only to fill the field: a mobile whose last 8 digits
    are one digit repeated (``13800000000``); a landline (``0AA-NNNNNNNN``) whose area code
    is all zeros (``0000-0000000``) or whose own number is one digit repeated or a run up or
    down (``021-88888888``, ``010-12345678``, ``0571-87654321``). ``mobiles`` holds 11
    digits, ``landlines`` the standard form, NA where the row is not of that kind.

    A mobile whose last digits run (``138-1234-5678``) is a number that is issued, so it is
    kept.

    Examples
    --------
    >>> placeholder_phones(pd.Series(["13800000000", "13812345678", None, None]),
    ...                    pd.Series([None, None, "0000-0000000", "010-12345678"])).tolist()
    [True, False, True, True]
    """
    tail = mobiles.astype("string").str[-8:].astype(object)
    area = landlines.astype("string").str.extract(r"^0(\d+)-", expand=False).astype(object)
    local = landlines.astype("string").str.extract(r"-(\d+)$", expand=False).astype(object)
    made_up = [isinstance(t, str) and _one_digit(t)
               or isinstance(a, str) and set(a) == {"0"}
               or isinstance(n, str) and (_one_digit(n) or _run(n))
               for t, a, n in zip(tail, area, local)]
    return pd.Series(made_up, index=mobiles.index, dtype=bool)


def _one_digit(number: str) -> bool:
    return len(set(number)) == 1


def _run(number: str) -> bool:
    # 12345678, 87654321, 7890123: each digit one more (or one less) than the one before, mod 10.
    steps = {(int(b) - int(a)) % 10 for a, b in zip(number, number[1:])}
    return steps in ({1}, {9})


_COMPANY_SUFFIXES = re.compile(COMPANY_SUFFIXES)


def normalise_company_names(values: pd.Series) -> pd.Series:
    """A matching key for company names: half-width, no brackets or legal suffixes.

    Examples
    --------
    >>> normalise_company_names(pd.Series(["恒泰机械（集团）有限公司", "恒泰机械有限责任公司"])).tolist()
    ['恒泰机械', '恒泰机械']
    """
    names = values.astype("string").str.normalize("NFKC").str.strip().str.lower()
    names = names.str.replace(COMPANY_NAME_PUNCTUATION, "", regex=True)
    return names.str.replace(_COMPANY_SUFFIXES, "", regex=True).replace("", pd.NA)


def _norm_key(value: str) -> str:
    return re.sub(LOOKUP_PUNCTUATION, "", unicodedata.normalize("NFKC", str(value)).lower())


def _industry_lookup(extra_aliases: dict | None) -> dict[str, str]:
    lookup = {_norm_key(name): code for code, name in INDUSTRY_SECTIONS.items()}
    for code, aliases in INDUSTRY_ALIASES.items():
        lookup.update({_norm_key(a): code for a in aliases})
    for alias, target in (extra_aliases or {}).items():
        code = target if target in INDUSTRY_SECTIONS else {
            v: k for k, v in INDUSTRY_SECTIONS.items()}.get(target)
        if code:
            lookup[_norm_key(alias)] = code
    return lookup


def standardise_industry(values: pd.Series, extra_aliases: dict | None = None) -> pd.Series:
    """Map industry spellings onto GB/T 4754 section names; unknown ones become 未识别
    (``clean.industry.unrecognised``, in the run's language).

    Tries, in order: the exact alias, a leading section letter (``C 制造业``), then the
    longest alias contained in the value.

    Examples
    --------
    >>> standardise_industry(pd.Series(["制造", "C 制造业", "软件开发外包", "火星贸易", None])).tolist()
    ['制造业', '制造业', '信息传输、软件和信息技术服务业', '批发和零售业', <NA>]
    """
    lookup = _industry_lookup(extra_aliases)
    by_length = sorted((k for k in lookup if len(k) >= 2), key=len, reverse=True)
    unrecognised = text("clean.industry.unrecognised")

    def one(raw: str):
        key = _norm_key(raw)
        if key in lookup:
            return INDUSTRY_SECTIONS[lookup[key]]
        letter = re.match(r"^([a-t])(?![a-z])", key)
        if letter and letter.group(1).upper() in INDUSTRY_SECTIONS:
            return INDUSTRY_SECTIONS[letter.group(1).upper()]
        for alias in by_length:
            if alias in key:
                return INDUSTRY_SECTIONS[lookup[alias]]
        return unrecognised

    blank = is_blank(values)
    uniques = values[~blank].astype(str).unique()
    mapping = {u: one(u) for u in uniques}
    out = values.astype("string").map(mapping).astype("string")
    out[blank] = pd.NA
    return out


def region_of_province(values: pd.Series) -> pd.DataFrame:
    """Province spellings to the short name and 大区 (all 34 provincial divisions).

    Examples
    --------
    >>> region_of_province(pd.Series(["广西壮族自治区", "上海市", "火星"])).region.tolist()
    ['华南', '华东', <NA>]
    """
    names = values.astype("string").str.normalize("NFKC").str.strip()
    for suffix in PROVINCE_SUFFIXES:
        names = names.str.replace(suffix + "$", "", regex=True)
    province = names.where(names.isin(list(REGION_OF_PROVINCE)))
    region = province.map(REGION_OF_PROVINCE).astype("string")
    return pd.DataFrame({"province": province.astype("string"), "region": region})


def province_from_city(values: pd.Series) -> pd.Series:
    """The province of a city name (``杭州市`` -> ``浙江``); NA when unknown.

    Examples
    --------
    >>> province_from_city(pd.Series(["杭州市", "大连", "火星市"])).tolist()
    ['浙江', '辽宁', <NA>]
    """
    names = values.astype("string").str.normalize("NFKC").str.strip()
    names = names.str.replace(CITY_SUFFIXES, "", regex=True)
    return names.map(PROVINCE_OF_CITY).astype("string")


def standardise_company_size(values: pd.Series) -> pd.Series:
    """To 个人 / 中小企业 / 大型企业 (``clean.size.*`` in the run's language; NA when blank or
    not recognisable).

    Examples
    --------
    >>> standardise_company_size(pd.Series(["小微企业", "集团", "个体户", "?"])).tolist()
    ['中小企业', '大型企业', '个人', <NA>]
    """
    sizes = values.astype("string").str.normalize("NFKC").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    for code, pattern in COMPANY_SIZE_WORDS:  # a later match wins
        out[sizes.str.contains(pattern, na=False)] = text(f"clean.size.{code}")
    return out


# ---------------------------------------------------------------- quarantine helpers

def rekey(ids: pd.Series, id_map: dict | None) -> pd.Series:
    """Merged customer ids replaced by their kept id (a hash lookup in Arrow, not a per-key
    scan, and no Python string per row); text dtype ``string``.

    Examples
    --------
    >>> rekey(pd.Series(["C1", None, "C2", "C3"], dtype="string"), {"C2": "C1", "C9": "C3"}).tolist()
    ['C1', <NA>, 'C1', 'C3']
    """
    if not id_map:
        return ids
    values = pa.array(ids.astype("string"), type=pa.large_string(), from_pandas=True)
    merged = pa.array(list(id_map), type=pa.large_string())
    kept = pa.array([str(v) for v in id_map.values()], type=pa.large_string())
    where = pc.index_in(values, value_set=merged)
    out = pc.if_else(pc.is_null(where), values, pc.take(kept, where.fill_null(0)))
    return pd.Series(pd.array(out, dtype="string"), index=ids.index, name=ids.name)


def totals_rows(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Rows a spreadsheet added as totals (合计/小计/Total in the first column or an id
    column), as a mask per column where the word was found."""
    value_cols = [c for c in frame.columns if not str(c).startswith("_")]
    probe = [c for c in dict.fromkeys(["_first_cell"] + value_cols[:1] + ["order_id", "customer_id"]) if c in frame]
    return {col: _totals_word(frame[col]) for col in probe}


_TOTALS_ROW = re.compile(TOTALS_ROW, re.IGNORECASE)


def _totals_word(values: pd.Series) -> pd.Series:
    """Where a cell is a totals word (:data:`TOTALS_ROW`, any case; blanks are not).

    A totals cell has no digit, and ids have: the regex runs once per distinct value without
    one — a handful — instead of once per cell.

    Examples
    --------
    >>> _totals_word(pd.Series(["C1", " 合计：", "TOTAL", "Total 3", None, "合计", "sum"])).tolist()
    [False, True, True, False, False, True, True]
    """
    text_values = pa.array(values.astype("string"), type=pa.large_string(), from_pandas=True)
    no_digit = pc.invert(pc.match_substring_regex(text_values, "[0-9]")).fill_null(False)
    no_digit = no_digit.to_numpy(zero_copy_only=False)
    found = np.zeros(len(values), dtype=bool)
    if no_digit.any():
        candidates = values[no_digit].astype(str)
        hit = {value: _TOTALS_ROW.search(value) is not None for value in candidates.unique()}
        found[no_digit] = candidates.map(hit).to_numpy(dtype=bool)
    return pd.Series(found, index=values.index)


def _split_bad(frame: pd.DataFrame, checks: list[tuple[pd.Series, str, str]], table: str):
    """(the rows that pass, their quarantine records): see :func:`_bad_rows`."""
    bad, quarantined = _bad_rows(frame, checks, table)
    return (frame.loc[~bad] if bad.any() else frame), quarantined


def _bad_rows(frame: pd.DataFrame, checks: list[tuple[pd.Series, str, str]], table: str):
    """Apply checks in order; each row is quarantined once, for the first reason it fails.
    Returns ``(bad, quarantined)``: a mask of the rows set aside and their records.

    A totals row (合计) is always checked first, so it is not reported as a missing id.
    """
    totals = text("clean.reason.totals_row")
    checks = [(mask, col, totals) for col, mask in totals_rows(frame).items()] + list(checks)
    bad = pd.Series(False, index=frame.index)
    parts = []
    for mask, column, reason in checks:
        hit = mask & ~bad
        if hit.any():
            parts.append(set_aside(frame, hit, table, column, reason))
        bad |= hit
    quarantined = pd.concat(parts) if parts else pd.DataFrame(columns=QUARANTINE_COLUMNS)
    return bad, quarantined


# ---------------------------------------------------------------- tables

def clean_customers(raw: pd.DataFrame, params: dict | None = None):
    """Standardise and deduplicate the customer table.

    Customers sharing a normalised mobile number, e-mail address, company name or
    customer id are one customer. The kept record is the most complete (ties: the most
    recently registered, then the smallest id); blanks in it are filled from the others
    in that same order. Returns ``(customers, quarantine, merge_log, id_map)`` where
    ``id_map`` maps every merged id to its kept id.
    """
    params = cleaning_params(params)
    table = "customers"
    frame = raw.assign(customer_id=normalise_ids(raw["customer_id"]))
    kept, quarantined = _split_bad(
        frame, [(is_blank(frame["customer_id"]), "customer_id", text("clean.reason.missing_customer_id"))],
        table)

    out = pd.DataFrame({"customer_id": kept["customer_id"]}, index=kept.index)
    for col in ["name", "email", "owner", "customer_type", "preferred_channel", "city",
                "comment"]:
        if col in kept:
            out[col] = kept[col].astype("string").str.strip().mask(is_blank(kept[col]))
    if "email" in out:
        out["email"] = out["email"].str.lower()
        valid_email = out["email"].str.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+")
        out["email_valid"] = valid_email.astype("boolean")
        out.loc[~valid_email.fillna(False), "email"] = pd.NA
    if "phone" in kept:
        out = out.join(normalise_phones(kept["phone"]))
    if "industry" in kept:
        out["industry_raw"] = kept["industry"].astype("string")
        out["industry"] = standardise_industry(
            kept["industry"], params["industry_aliases"])
    if "province" in kept:
        out = out.join(region_of_province(kept["province"]))
    if "city" in kept:
        # A city recovers a missing province (and so the 大区).
        from_city = province_from_city(kept["city"])
        out["province"] = out["province"].fillna(from_city) if "province" in out else from_city
        out["region"] = out["province"].map(REGION_OF_PROVINCE).astype("string")
    if "region" in kept:
        stated = kept["region"].astype("string").str.extract(_REGION_NAMES)[0]
        out["region"] = out["region"].fillna(stated) if "region" in out else stated
    if "company_size" in kept:
        out["company_size"] = standardise_company_size(kept["company_size"])
    for col in ["register_date", "birthday"]:
        if col in kept:
            out[col] = parse_dates(kept[col], dayfirst=params["dayfirst"])
    for col in ["marketing_consent", "unsubscribed"]:
        if col in kept:
            out[col] = parse_bools(kept[col])
    for col in ["referrals", "stated_total_spend"]:
        if col in kept:
            out[col] = parse_amounts(kept[col])
    out["_source_file"] = kept["_source_file"]
    out["_source_row"] = kept["_source_row"]

    customers, merge_log, id_map = _deduplicate(out)
    return customers, quarantined, merge_log, id_map


# A 大区 stated in a region column (华东大区, 华东区 …): the first region name found in it.
_REGION_NAMES = "(" + "|".join(dict.fromkeys(REGION_OF_PROVINCE.values())) + ")"


def _deduplicate(frame: pd.DataFrame):
    frame = frame.reset_index(drop=True)
    keys = [("customer_id", frame["customer_id"], text("clean.match.customer_id"))]
    if "phone" in frame:
        mobile = frame["phone"].where(frame.get("phone_kind") == "mobile")
        keys.append(("phone", mobile, text("clean.match.phone")))
    if "email" in frame:
        keys.append(("email", frame["email"], text("clean.match.email")))
    if "name" in frame:
        company = frame["name"].where(frame["name"].str.contains(ORGANISATION_WORDS, na=False))
        keys.append(("name", normalise_company_names(company), text("clean.match.name")))

    n = len(frame)
    rows, cols = [], []
    for _, key, _ in keys:
        codes = pd.Series(pd.factorize(key, use_na_sentinel=True)[0])
        valid = codes >= 0
        # Link every row to the first row carrying the same key.
        position = pd.Series(np.arange(n))[valid]
        first = position.groupby(codes[valid]).transform("first")
        rows.extend(position.tolist())
        cols.extend(first.tolist())
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, group = connected_components(graph, directed=False)
    frame["_group"] = group

    attr_cols = [c for c in frame.columns if not c.startswith("_") and c != "customer_id"]
    frame["_filled"] = frame[attr_cols].notna().sum(axis=1)
    reg = frame["register_date"] if "register_date" in frame else pd.Series(pd.NaT, index=frame.index)
    frame["_reg"] = reg
    ordered = frame.sort_values(["_group", "_filled", "_reg", "customer_id"],
                                ascending=[True, False, False, True], na_position="last")
    kept_id = ordered.groupby("_group")["customer_id"].first()
    frame["kept_id"] = frame["_group"].map(kept_id)

    merged = frame[frame["customer_id"] != frame["kept_id"]]
    id_map = dict(zip(merged["customer_id"], merged["kept_id"]))
    # Kept record first, then the others (most recent first) fill its blanks.
    customers = ordered.groupby("_group", sort=False).first()
    # Counts that belong to each record add up when the records are one customer.
    for col in ["stated_total_spend", "referrals"]:
        if col in frame:
            customers[col] = frame.groupby("_group")[col].sum(min_count=1)
    customers = customers.drop(columns=["_filled", "_reg", "kept_id"], errors="ignore")
    customers = customers.sort_values("customer_id").reset_index(drop=True)

    # Which keys actually tie each merged group together (vectorised: one pass per key).
    separator = text("list.separator")
    in_merge = frame["_group"].isin(merged["_group"])
    reasons = pd.Series("", index=pd.Index(frame.loc[in_merge, "_group"].unique()), dtype="object")
    for _, key, label in keys:
        pairs = pd.DataFrame({"g": frame.loc[in_merge, "_group"], "k": key[in_merge]}).dropna()
        tied = pairs.loc[pairs.duplicated(["g", "k"], keep=False), "g"].unique()
        reasons[tied] = reasons[tied] + (separator + label)
    # Every non-empty reason starts with the separator; a group tied only through others is
    # a linked match.
    reasons = reasons.str.slice(len(separator)).replace("", text("clean.match.linked"))
    merge_log = (merged.sort_values("customer_id").groupby("_group")
                 .agg(kept_id=("kept_id", "first"), merged_ids=("customer_id", separator.join),
                      n_merged=("customer_id", "size")))
    merge_log["matched_on"] = reasons.reindex(merge_log.index).to_numpy()
    merge_log = merge_log.sort_values("kept_id").reset_index(drop=True)[
        ["kept_id", "merged_ids", "n_merged", "matched_on"]]
    return customers, merge_log, id_map


def clean_orders(raw: pd.DataFrame, as_of: pd.Timestamp, params: dict | None = None,
                 id_map: dict | None = None, table: str = "orders", *, consume: bool = False):
    """Type, validate and de-duplicate orders.

    The amount of a row is its amount column; without one, quantity × unit price less a
    discount column where present (an invoice-line export). Quarantined (reason in order of
    checking): missing customer id, missing date, a date that does not exist (2018-02-29),
    unparseable date, missing / non-numeric amount (or quantity, unit price), date after the
    as-of date.

    Exact duplicates are judged on the whole source row (``_row_key``, every column of the
    file, recognised or not). ``drop_exact_duplicates`` (``auto`` | ``always`` | ``never``):
    ``auto`` drops them only when the table carries an order number — without one, two
    identical lines may well be two purchases, so they are kept and flagged
    ``suspected_duplicate`` (疑似重复).

    Cancellations: a status saying so (取消/作废/cancel), or a cancellation mark on the order
    number (``C536379`` next to plain numbers). A cancelled order with a positive amount never
    happened (it adds nothing); one with a negative amount is the reversal of an earlier
    order and is netted against it, like a return. Zero-amount orders (gifts, samples) are
    purchases. ``table`` names what a row is in the quarantine (``order_lines`` for lines
    joined to their order header). Returns ``(orders, quarantine, n_duplicates)``.

    ``consume=True``: ``raw`` is the caller's to give up (:func:`clean_all` with tables handed
    over): each of its columns is dropped once used, so the raw text and the clean orders are
    never both whole in memory (at 10M rows, gigabytes each).
    """
    params = cleaning_params(params)
    frame = raw
    date, impossible = parse_dates_checked(frame["order_date"], dayfirst=params["dayfirst"])
    date_blank = is_blank(frame["order_date"])
    money_checks, amount = _order_amounts(frame)
    tolerance = pd.Timedelta(days=params["future_tolerance_days"])
    bad, quarantined = _bad_rows(frame, [
        (is_blank(frame["customer_id"]), "customer_id", text("clean.reason.missing_customer_id")),
        (date_blank, "order_date", text("clean.reason.missing_order_date")),
        (impossible & ~date_blank, "order_date", text("clean.reason.impossible_date")),
        (date.isna() & ~date_blank, "order_date", text("clean.reason.unparseable_date")),
        *money_checks,
        (date > as_of + tolerance + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1),
         "order_date", text("clean.reason.after_as_of")),
    ], table)

    id_blank = is_blank(frame["order_id"]) if "order_id" in frame else None
    has_order_id = id_blank is not None and not id_blank.all()
    mode = str(params["drop_exact_duplicates"]).lower()
    if mode not in ("auto", "always", "never"):
        raise ParamsError(text("clean.error.drop_exact_duplicates", mode=mode))
    passed = np.flatnonzero(~bad.to_numpy(dtype=bool))   # positions of the rows that passed
    if "_row_key" in frame:
        identical = frame["_row_key"].iloc[passed].duplicated(keep="first")
    else:
        identical = frame.iloc[passed].duplicated(
            subset=[c for c in frame.columns if not c.startswith("_")], keep="first")
    identical = identical.to_numpy(dtype=bool)
    if consume:  # what the rows below still read: the rest of the raw text can go
        for column in [c for c in frame.columns if c not in _KEPT_RAW_ORDER_COLUMNS]:
            del frame[column]
    drop = mode == "always" or (mode == "auto" and has_order_id)
    duplicate = identical if drop else np.zeros(len(passed), dtype=bool)
    n_duplicates = int(duplicate.sum())
    suspected = identical & ~duplicate
    rows = passed[~duplicate]

    def kept(column: str) -> pd.Series:
        # Column by column: the kept rows are never a copy of the whole table.
        values = frame[column].iloc[rows]
        if consume:
            del frame[column]
        return values

    orders = pd.DataFrame({
        "customer_id": normalise_ids(kept("customer_id")),
        "order_date": date.iloc[rows].dt.normalize(),
        "amount": amount.iloc[rows],
    })
    orders["original_customer_id"] = orders["customer_id"]
    if id_map:
        orders["customer_id"] = rekey(orders["customer_id"], id_map)
    order_id = (kept("order_id").astype("string").str.strip().mask(id_blank.iloc[rows])
                if id_blank is not None else pd.Series(pd.NA, index=orders.index, dtype="string"))
    source_row = kept("_source_row")
    # Without an order number every line is its own order (F counts lines).
    no_id = order_id.isna()
    row_ids = pd.Series("R" + source_row[no_id].astype(str), dtype="string")
    orders["order_id"] = order_id.fillna(row_ids) if no_id.any() else order_id
    for col in ["category", "channel", "status", "product_id", "product_name"]:
        if col in frame:
            values = kept(col)
            orders[col] = values.astype("string").str.strip().mask(is_blank(values))
    if "profit" in frame:
        orders["profit"] = parse_amounts(kept("profit"))
    status = orders["status"] if "status" in orders else pd.Series(pd.NA, index=orders.index, dtype="string")
    orders["is_cancelled"] = (status.str.contains(CANCELLED_STATUS, case=False, na=False)
                              | cancellation_marks(order_id))
    orders["is_return"] = (orders["amount"] < 0) | status.str.contains(RETURN_STATUS, case=False, na=False)
    # A cancelled order never happened: it stays in the archive but adds no spend. A
    # cancelling document (negative amount) reverses an earlier order and is netted.
    # An order whose status says returned/refunded with its original (positive) amount was
    # bought and given back: like a cancelled one it adds nothing and is not a purchase. A
    # negative row is a return document and is netted against the purchase it reverses.
    undone = (orders["is_cancelled"] | orders["is_return"]) & (orders["amount"] >= 0)
    orders["net_amount"] = orders["amount"].where(~undone, 0.0)
    orders["is_purchase"] = ~undone & (orders["amount"] >= 0)
    orders["is_zero_amount"] = orders["amount"].eq(0) & ~orders["is_cancelled"]
    orders["implausible_amount"] = orders["amount"].abs() > params["max_order_amount"]
    orders["suspected_duplicate"] = suspected[~duplicate]
    orders["_source_file"] = kept("_source_file")
    orders["_source_row"] = source_row
    return orders.reset_index(drop=True), quarantined, n_duplicates


# The raw order columns clean_orders reads once the rows to keep are known.
_KEPT_RAW_ORDER_COLUMNS = ("customer_id", "order_id", "_source_row", "_source_file", "category", "channel",
                           "status", "product_id", "product_name", "profit")


def _order_amounts(frame: pd.DataFrame):
    """(quarantine checks, amount per row): the amount column, else quantity × unit price
    less discount."""
    if "amount" in frame:
        amount = parse_amounts(frame["amount"])
        blank = is_blank(frame["amount"])
        return [(blank, "amount", text("clean.reason.missing_amount")),
                (amount.isna() & ~blank, "amount", text("clean.reason.amount_not_number"))], amount
    if "unit_price" not in frame:
        raise KitError(text("clean.error.no_amount"))
    checks = []
    # An item export without a quantity (one row per unit sold) prices each row at its price.
    values = {"quantity": pd.Series(1.0, index=frame.index)}
    for col in ["quantity", "unit_price"]:
        if col not in frame:
            continue
        values[col] = parse_amounts(frame[col])
        blank = is_blank(frame[col])
        checks += [(blank, col, text(f"clean.reason.missing_{col}")),
                   (values[col].isna() & ~blank, col, text(f"clean.reason.{col}_not_number"))]
    amount = values["quantity"] * values["unit_price"]
    if "discount" in frame:
        discount = parse_amounts(frame["discount"])
        blank = is_blank(frame["discount"])
        checks.append((discount.isna() & ~blank, "discount", text("clean.reason.discount_not_number")))
        amount = amount - discount.fillna(0.0)
    # quantity × price in binary floating point: 6 × 2.55 is 15.299999999999999.
    return checks, amount.round(6)


def cancellation_marks(order_id: pd.Series) -> pd.Series:
    """Order numbers carrying a cancellation mark: a leading ``C`` (or 退/作废) in front of an
    order number of the same shape as the file's ordinary ones (``C536379`` among
    ``536365``, ``536366`` …). When most numbers start with that letter it is part of the
    numbering, not a mark.

    Examples
    --------
    >>> cancellation_marks(pd.Series(["536365", "C536379", "536366", None])).tolist()
    [False, True, False, False]
    >>> cancellation_marks(pd.Series(["C001", "C002", "C003"])).tolist()
    [False, False, False]
    """
    ids = order_id.astype("string").str.strip()
    marked = ids.str.match(CANCELLATION_MARK, na=False)
    plain = ids.str.match(r"^\d", na=False)
    if not marked.any() or plain.sum() <= marked.sum():
        return pd.Series(False, index=order_id.index)
    return marked.astype(bool)


def clean_interactions(raw: pd.DataFrame, as_of: pd.Timestamp, id_map: dict | None = None,
                       dayfirst: bool | None = None):
    """Type interactions; split campaign messages into ``channel`` × ``event``.

    ``kind`` is one of 咨询 / 投诉 / 活动参与 / 浏览 / 消息 / 其他 (stored words, the same in every
    language: ``analysis.reference.order_words.INTERACTION_KINDS``, which also holds the type
    words recognised); for 消息, ``event`` is sent / opened / clicked. A message's ``channel`` is 邮件 / 短信 / 企微 (``clean.channel.*``)
    when recognised, else the channel as written. Returns ``(interactions, quarantine)``.
    """
    table = "interactions"
    frame = raw
    date = parse_dates(frame["date"], dayfirst=dayfirst)
    kept, quarantined = _split_bad(frame, [
        (is_blank(frame["customer_id"]), "customer_id", text("clean.reason.missing_customer_id")),
        (date.isna(), "date", text("clean.reason.missing_or_unreadable_date")),
        (date > as_of + pd.Timedelta(days=1), "date", text("clean.reason.after_as_of")),
    ], table)
    type_text = kept["type"].astype("string").fillna("")
    channel_text = (kept["channel"].astype("string").fillna("") if "channel" in kept
                    else pd.Series("", index=kept.index, dtype="string"))
    both = type_text + " " + channel_text
    event = pd.Series(pd.NA, index=kept.index, dtype="string")
    for pattern, name in reversed(MESSAGE_EVENT_WORDS):  # the first listed wins
        event[type_text.str.contains(pattern, case=False)] = name
    channel = pd.Series(pd.NA, index=kept.index, dtype="string")
    for pattern, code in MESSAGE_CHANNEL_WORDS:
        channel[both.str.contains(pattern, case=False) & channel.isna()] = text(f"clean.channel.{code}")
    kind = np.select(
        [event.notna()] + [type_text.str.contains(pattern) for _, pattern in INTERACTION_KIND_WORDS],
        [INTERACTION_KINDS["message"]] + [INTERACTION_KINDS[code] for code, _ in INTERACTION_KIND_WORDS],
        INTERACTION_KINDS["other"])
    out = pd.DataFrame({
        "customer_id": rekey(normalise_ids(kept["customer_id"]), id_map),
        "date": date.loc[kept.index], "type": type_text, "kind": kind,
        "channel": channel.fillna(channel_text.mask(channel_text == "")),
        "event": event,
        "campaign_id": kept["campaign_id"].astype("string") if "campaign_id" in kept else pd.NA,
        "_source_file": kept["_source_file"], "_source_row": kept["_source_row"],
    })
    return out.reset_index(drop=True), quarantined


def clean_surveys(raw: pd.DataFrame, as_of: pd.Timestamp, id_map: dict | None = None,
                  dayfirst: bool | None = None):
    """Type survey answers; scores on a 0–100 scale are converted to 1–5 stars.

    Returns ``(surveys, quarantine)``.
    """
    table = "surveys"
    frame = raw
    date = parse_dates(frame["date"], dayfirst=dayfirst)
    score = parse_amounts(frame["score"])
    kept, quarantined = _split_bad(frame, [
        (is_blank(frame["customer_id"]), "customer_id", text("clean.reason.missing_customer_id")),
        (date.isna(), "date", text("clean.reason.missing_or_unreadable_date")),
        (score.isna(), "score", text("clean.reason.missing_or_bad_score")),
        ((score < 0) | (score > 100), "score", text("clean.reason.score_out_of_range")),
    ], table)
    score = score.loc[kept.index]
    # One file uses one scale: anything above 5 means the file is on 0–100.
    stars = score / 20.0 if (score > 5).any() else score
    out = pd.DataFrame({
        "customer_id": rekey(normalise_ids(kept["customer_id"]), id_map),
        "date": date.loc[kept.index], "score": score, "stars": stars.clip(lower=0, upper=5),
    })
    for col in ["comment", "churn_reason"]:
        if col in kept:
            out[col] = kept[col].astype("string").mask(is_blank(kept[col]))
    out["_source_file"] = kept["_source_file"]
    out["_source_row"] = kept["_source_row"]
    return out.reset_index(drop=True), quarantined


# ---------------------------------------------------------------- accounting & quality

def row_accounting(rows_in: int, kept: int, quarantined: int, merged: int, table: str,
                   suspected: int = 0, amount_source: str = "") -> dict:
    """One line of the row account; raises if it does not close.

    ``suspected`` counts kept rows identical to another (疑似重复, kept because nothing
    proves them copies); ``amount_source`` says where an order table's money came from.
    """
    closes = rows_in == kept + quarantined + merged
    if not closes:
        raise AssertionError(text("clean.error.rows_do_not_close", table=table, rows_in=rows_in,
                                  kept=kept, quarantined=quarantined, merged=merged))
    return {"table": table, "rows_in": rows_in, "kept": kept, "quarantined": quarantined,
            "merged_or_duplicate": merged, "suspected_duplicates": suspected,
            "amount_source": amount_source, "closes": closes}


def amount_derivation(frame: pd.DataFrame, sources=(), table: str = "orders") -> str:
    """How the amount of each row of an order table was obtained, in the user's column names.

    Examples
    --------
    >>> amount_derivation(pd.DataFrame(columns=["quantity", "unit_price"]))
    '金额 = 「数量」×「单价」'
    """
    names: dict[str, str] = {}
    unused: list[str] = []
    for source in sources:
        if source.table != table:
            continue
        for header, canonical in source.column_map.items():
            names.setdefault(canonical, header)
        unused += [h for h in source.alternatives.get("amount", []) if h not in unused]

    def name(column):
        return names.get(column) or column_label(table, column)

    if "amount" in frame:
        derivation = text("clean.amount.from_column", column=name("amount"))
        if unused:
            columns = text("list.separator").join(
                text("clean.amount.unused_column", column=h) for h in unused)
            derivation += text("clean.amount.unused", columns=columns)
        return derivation
    derivation = (text("clean.amount.quantity_times_price", quantity=name("quantity"),
                       unit_price=name("unit_price")) if "quantity" in frame
                  else text("clean.amount.price_only", unit_price=name("unit_price")))
    if "discount" in frame:
        derivation += text("clean.amount.less_discount", discount=name("discount"))
    return derivation


def check_usable(accounting: pd.DataFrame, quarantine: pd.DataFrame, table: str,
                 max_share: float) -> None:
    """Stop the run when a required table has no usable rows, or when one reason set aside
    more than ``max_share`` of its rows: the message names the table, the counts, the main
    reason and one raw example with its file, row and column."""
    row = accounting.loc[accounting["table"] == table]
    if row.empty:
        return
    row = row.iloc[0]
    mine = quarantine[quarantine["table"] == table]
    if table == "order_lines":  # a line set aside for its header's date is counted here too
        mine = quarantine[quarantine["table"].isin(["order_lines", "orders"])]
    if row["rows_in"] == 0:
        return
    counts = mine["reason"].value_counts()
    top = counts.index[0] if len(counts) else None
    if row["kept"] > 0 and (top is None or counts.iloc[0] <= max_share * row["rows_in"]):
        return
    label = _table_label(table)
    head = (text("clean.gate.no_rows", table=label) if row["kept"] == 0 else
            text("clean.gate.mostly_one_reason", table=label, share=counts.iloc[0] / row["rows_in"]))
    counts_text = (text("clean.gate.counts", rows_in=row["rows_in"], kept=row["kept"],
                        quarantined=row["quarantined"])
                   + (text("clean.gate.duplicates", n=row["merged_or_duplicate"])
                      if row["merged_or_duplicate"] else ""))
    if top is None:
        raise InputError(text("clean.gate.summary", head=head, counts=counts_text))
    example = mine[mine["reason"] == top].iloc[0]
    value = (text("clean.gate.blank_value") if pd.isna(example["value"])
             else text("clean.gate.value", value=example["value"]))
    raise InputError(
        text("clean.gate.stop", head=head, counts=counts_text, reason=top, n=counts.iloc[0], value=value,
             hint=_gate_hints().get(top, "")),
        file=example["source_file"], row=int(example["source_row"]), column=example["column"])


# Reasons whose stop message says what to do (clean.gate_hint.<reason key>).
_HINTED_REASONS = ("unparseable_date", "impossible_date", "after_as_of", "missing_customer_id",
                   "amount_not_number", "missing_amount")


def _gate_hints() -> dict[str, str]:
    """Quarantine reason (as written in the quarantine) -> what to do about it."""
    return {text(f"clean.reason.{key}"): text(f"clean.gate_hint.{key}") for key in _HINTED_REASONS}


def _table_label(table: str) -> str:
    """A canonical table's name for people (``table.<name>``); an unknown name as it is."""
    return texts("table").get(table, table)


def completeness(frame: pd.DataFrame, columns: list[str], table: str, target: float) -> pd.DataFrame:
    """Share of non-empty values per key field against the target."""
    rows = []
    for col in columns:
        if col not in frame:
            rows.append({"table": table, "field": col, "filled": 0, "total": len(frame),
                         "completeness": np.nan, "meets_target": False,
                         "note": text("clean.completeness.column_missing")})
            continue
        filled = int(frame[col].notna().sum())
        share = filled / len(frame) if len(frame) else np.nan
        rows.append({"table": table, "field": col, "filled": filled, "total": len(frame),
                     "completeness": share, "meets_target": bool(share >= target), "note": ""})
    return pd.DataFrame(rows)


@dataclass
class CleanResult:
    """Everything step 01 produces."""

    customers: pd.DataFrame
    orders: pd.DataFrame
    interactions: pd.DataFrame | None
    surveys: pd.DataFrame | None
    quarantine: pd.DataFrame
    merge_log: pd.DataFrame
    accounting: pd.DataFrame
    quality: pd.DataFrame
    checks: dict = field(default_factory=dict)
    examples: dict = field(default_factory=dict)   # check -> a few customer IDs it found

    def interim_tables(self) -> dict[str, pd.DataFrame]:
        tables = {"customers": self.customers, "orders": self.orders,
                  "quarantine": self.quarantine, "merge_log": self.merge_log,
                  "row_accounting": self.accounting, "quality": self.quality,
                  "quality_checks": checks_frame(self.checks, self.examples)}
        if self.interactions is not None:
            tables["interactions"] = self.interactions
        if self.surveys is not None:
            tables["surveys"] = self.surveys
        return tables


def _customers_from_orders(orders: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.Series(orders["customer_id"].unique(), dtype="string")})


def label_columns(quarantine: pd.DataFrame, sources=()) -> pd.Series:
    """The quarantine's column names as the user wrote them in the file (``下单时间``), else
    the kit's name of the canonical column (in the run's language)."""
    headers = {}
    for source in sources:
        for original, canonical in source.column_map.items():
            headers.setdefault((source.table, source.path.name), {})[canonical] = original
    labels = []
    for table, file, column in zip(quarantine["table"], quarantine["source_file"], quarantine["column"]):
        file_name = str(file).split("[")[0]
        found = headers.get((table, file_name), {}).get(column)
        if column == "_first_cell":
            found = text("clean.first_column")
        labels.append(found or (column_label(table, column) if column in TABLES.get(table, {}) else column))
    return pd.Series(labels, index=quarantine.index, dtype="string")


# Ids and names are compared and shown: a NUL or zero-width character in them (pasted from
# another system) would split one customer in two or break a workbook cell.
_CONTROL_STRIPPED = ("customer_id", "order_id", "name", "owner", "product_id", "product_name")


def _strip_control_characters(tables: dict[str, pd.DataFrame]):
    """The tables with control characters removed from ids and names, and how many values
    changed (a new dict; intake's frames are left as they are: a changed column goes into a
    shallow copy, which copy-on-write keeps apart from the original)."""
    out, changed = {}, 0
    for name, frame in tables.items():
        columns = [c for c in _CONTROL_STRIPPED if c in frame]
        if columns:
            frame = frame.copy(deep=False)
            for column in columns:
                frame[column], n = strip_control(frame[column])
                changed += n
        out[name] = frame
    return out, changed


def _give_back_memory() -> None:
    """Return the memory the last table's cleaning freed to the system: Arrow's allocator and
    glibc's keep freed blocks for reuse, and the next table's would then come on top of them
    (at 10M orders, a gigabyte). Where glibc is absent this is Arrow's part only."""
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def clean_all(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp, params: dict, sources=(), *,
              each_table=None) -> CleanResult:
    """Run every cleaning rule over the intake tables (``RawData.tables``).

    ``params`` is the ``cleaning`` section; keys it lacks take params/base.yml's value
    (:func:`cleaning_params`). ``sources`` (``RawData.sources``) lets the quarantine name
    columns as the file does. Tables handed over (``RawData.take_tables()``) are let go as
    they are cleaned, the orders a column at a time; any other mapping is left as it was.
    ``each_table`` wraps the sequence of tables cleaned (customers, orders, interactions,
    surveys — those present), e.g. ``analysis.outputs.present.progress_of``: a progress bar
    naming the table in hand.
    """
    params = cleaning_params(params)
    _give_back_memory()   # what reading the files freed
    # Each raw table is let go once it is cleaned: a caller that handed its tables over
    # (RawData.take_tables) gets the memory back as the cleaning goes (at 10M orders the
    # raw text is gigabytes); a caller that kept them keeps them, unchanged.
    handed_over = isinstance(tables, HandedOverTables)
    tables, n_control = _strip_control_characters(dict(tables))
    has_customers = "customers" in tables
    # The bar (if any) moves on each time the next table's cleaning starts.
    stages = iter((each_table or iter)([name for name in ("customers", "orders", "interactions", "surveys")
                                        if name in tables or name == "orders"]))
    accounting, quarantines = [], []
    id_map: dict = {}
    merge_log = pd.DataFrame(columns=["kept_id", "merged_ids", "n_merged", "matched_on"])
    if has_customers:
        next(stages, None)
        raw = tables.pop("customers")
        customers, q, merge_log, id_map = clean_customers(raw, params)
        quarantines.append(q)
        # Merged: records folded into another — under another id (id_map) or the same id.
        accounting.append(row_accounting(len(raw), len(customers), len(q),
                                         len(raw) - len(q) - len(customers), "customers"))
        del raw
        _give_back_memory()
    next(stages, None)
    joined = join_order_parts(tables)
    raw, joined.orders = joined.orders, None
    rows_in = len(tables[joined.table])
    money = text("clean.note_separator").join(
        joined.notes + ([] if joined.money_from == "payments"
                        else [amount_derivation(raw.iloc[:0], sources, joined.table)]))
    for part in ("orders", *ORDER_PARTS):
        tables.pop(part, None)
    # Handed-over tables are ours: the raw order text goes column by column as it is used.
    orders, q, n_dup = clean_orders(raw, as_of, params, id_map, table=joined.table,
                                    consume=handed_over)
    del raw
    _give_back_memory()
    quarantines.extend(joined.quarantine + [q])
    for name, rows_in_part, used, set_aside, copies in joined.accounting:
        accounting.append(row_accounting(rows_in_part, used, set_aside, copies, name))
    accounting.append(row_accounting(rows_in, len(orders), len(q) + joined.header_quarantined,
                                     n_dup + joined.header_duplicates, joined.table,
                                     suspected=int(orders["suspected_duplicate"].sum()),
                                     amount_source=money))

    # Customers seen only in orders still belong in the archive.
    known = customers if has_customers else _customers_from_orders(orders.iloc[:0])
    missing_ids = pd.Index(orders["customer_id"].unique()).difference(pd.Index(known["customer_id"]))
    orphan_orders = int(orders["customer_id"].isin(missing_ids).sum())
    extra = pd.DataFrame({"customer_id": pd.Series(missing_ids, dtype="string")})
    extra["in_customer_table"] = False
    known = known.assign(in_customer_table=True)
    customers = pd.concat([known, extra], ignore_index=True) if len(extra) else known

    optional = {}
    for name, cleaner in [("interactions", clean_interactions), ("surveys", clean_surveys)]:
        if name in tables:
            next(stages, None)
            raw = tables.pop(name)
            cleaned, q = cleaner(raw, as_of, id_map, dayfirst=params["dayfirst"])
            quarantines.append(q)
            accounting.append(row_accounting(len(raw), len(cleaned), len(q), 0, name))
            optional[name] = cleaned
            del raw
        else:
            optional[name] = None

    for _ in stages:  # the bar ends at its last table
        pass
    quarantine = pd.concat(quarantines, ignore_index=True) if quarantines else pd.DataFrame(
        columns=QUARANTINE_COLUMNS)
    quarantine["source_row"] = quarantine["source_row"].astype("Int64")
    quarantine["column"] = label_columns(quarantine, sources)
    target = params["completeness_target"]
    in_table = customers[customers["in_customer_table"]]
    quality = pd.concat([
        completeness(in_table, ["name", "phone", "industry", "region", "company_size", "owner"],
                     "customers", target),
        completeness(orders, ["order_id", "category", "channel"], "orders", target),
    ], ignore_index=True)

    accounting = pd.DataFrame(accounting)
    quarantine_all = pd.concat(quarantines, ignore_index=True) if quarantines else None
    if quarantine_all is not None:
        quarantine_all["column"] = label_columns(quarantine_all, sources)
        check_usable(accounting, quarantine_all, joined.table, params["max_quarantine_share"])
    checks = {
        "orders_without_customer_record": orphan_orders if has_customers else None,
        "invalid_phones": (int(customers["phone_kind"].isin(["invalid", "placeholder"]).sum())
                           if "phone_kind" in customers else None),
        "placeholder_phones": (int((customers["phone_kind"] == "placeholder").sum())
                               if "phone_kind" in customers else None),
        "duplicate_customers_merged": len(id_map),
        "duplicate_order_rows": n_dup,
        "suspected_duplicate_rows": int(orders["suspected_duplicate"].sum()),
        "control_characters_removed": n_control,
        "zero_amount_orders": int(orders["is_zero_amount"].sum()),
        "returns": int(orders["is_return"].sum()),
        "cancelled": int(orders["is_cancelled"].sum()),
        "implausible_amounts": int(orders["implausible_amount"].sum()),
    }
    examples = {"placeholder_phones": _example_ids(customers, customers.get("phone_kind") == "placeholder")}
    if "phone" in customers or "email" in customers:
        # Nobody to call or write to: no usable phone and no usable e-mail (blank or invalid).
        reachable = pd.Series(False, index=customers.index)
        for column in ["phone", "email"]:
            if column in customers:
                reachable |= customers[column].notna()
        no_contact = customers["in_customer_table"] & ~reachable
        checks["no_contact"] = int(no_contact.sum())
        examples["no_contact"] = _example_ids(customers, no_contact)
    # Returns above purchases up to the as-of date (the net spend segmentation measures): kept,
    # and kept out of value ranking by steps/segment.
    up_to_as_of = orders["order_date"].dt.normalize() <= pd.Timestamp(as_of).normalize()
    net = orders[up_to_as_of].groupby("customer_id")["net_amount"].sum()
    negative = customers["customer_id"].map(net).lt(0).fillna(False).astype(bool)
    checks["net_negative_spend"] = int(negative.sum())
    examples["net_negative_spend"] = _example_ids(customers, negative)
    if "stated_total_spend" in customers:
        actual = orders.groupby("customer_id")["net_amount"].sum()
        stated = customers.set_index("customer_id")["stated_total_spend"].dropna()
        actual = actual.reindex(stated.index).fillna(0.0)
        mismatch = (stated - actual).abs() > np.maximum(1.0, 0.01 * stated.abs())
        customers["spend_mismatch"] = customers["customer_id"].map(mismatch).astype("boolean")
        checks["stated_spend_checked"] = int(len(stated))
        checks["stated_spend_mismatch"] = int(mismatch.sum())

    return CleanResult(customers=customers.reset_index(drop=True), orders=orders,
                       interactions=optional["interactions"], surveys=optional["surveys"],
                       quarantine=quarantine, merge_log=merge_log,
                       accounting=accounting, quality=quality, checks=checks,
                       examples={k: v for k, v in examples.items() if v})


# How many customer IDs a check lists as examples (in the data-quality sheet).
_EXAMPLES = 5


def _example_ids(customers: pd.DataFrame, mask) -> list[str]:
    """The first few customer IDs (in ID order) where ``mask`` holds."""
    if not isinstance(mask, pd.Series):
        return []
    ids = customers.loc[mask.fillna(False).astype(bool), "customer_id"].astype(str)
    return sorted(ids)[:_EXAMPLES]


def checks_frame(checks: dict, examples: dict | None = None) -> pd.DataFrame:
    """The checks dict as a table (for the interim layer): ``check``, ``value`` and, per check,
    a few example customer IDs (``examples``, joined by the list separator; NA for none).

    Examples
    --------
    >>> checks_frame({"no_contact": 2, "returns": 0}, {"no_contact": ["C1", "C7"]})["examples"].tolist()
    ['C1、C7', <NA>]
    """
    examples = examples or {}
    separator = text("list.separator")
    return pd.DataFrame({"check": list(checks), "value": pd.array(list(checks.values()), dtype="Int64"),
                         "examples": pd.array([separator.join(examples[k]) if examples.get(k) else None
                                               for k in checks], dtype="string")})
