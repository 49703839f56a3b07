"""Step 01 — cleaning: standardise, deduplicate, quarantine, and account for every row.

Pure functions from raw intake frames (all strings, canonical column names, with
``_source_file``/``_source_row``) to typed, clean tables. Nothing is dropped silently: a
row that cannot be used goes to the quarantine table with its source file, row and the
reason, and per table ``rows in = kept + quarantined + merged/duplicate`` is asserted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from analysis.errors import InputError, KitError, ParamsError
from analysis.steps.order_parts import join_order_parts
from analysis.intake.parse import (
    is_blank, parse_amounts, parse_bools, parse_dates, parse_dates_checked, strip_control,
)
from analysis.reference.geography import (
    INDUSTRY_ALIASES, INDUSTRY_SECTIONS, PROVINCE_OF_CITY, PROVINCE_SUFFIXES, REGION_OF_PROVINCE,
)
from analysis.intake.schema import TABLES

__all__ = [
    "CleanResult", "clean_all", "clean_orders", "clean_customers", "clean_interactions",
    "clean_surveys", "normalise_phones", "normalise_company_names", "standardise_industry",
    "region_of_province", "province_from_city", "normalise_ids", "rekey", "standardise_company_size", "row_accounting", "completeness",
    "QUARANTINE_COLUMNS", "QUARANTINE_LABELS", "accounting_display", "quarantine_summary",
    "quality_display", "checks_display", "totals_rows", "quality_report", "quality_sheets", "checks_frame",
    "label_columns",
]

QUARANTINE_COLUMNS = ["table", "source_file", "source_row", "column", "value", "reason"]
QUARANTINE_LABELS = {"table": "表", "source_file": "来源文件", "source_row": "来源行号",
                     "column": "列", "value": "原值", "reason": "原因"}
_SOURCE = ["_source_file", "_source_row"]


# ---------------------------------------------------------------- standardisers

def normalise_phones(values: pd.Series) -> pd.DataFrame:
    """Mainland mobiles to 11 digits, landlines to ``0AA-NNNNNNNN``; the rest flagged.

    Returns columns ``phone`` (standard form, NA when invalid or missing) and
    ``phone_kind`` (mobile / landline / invalid / missing).

    Examples
    --------
    >>> normalise_phones(pd.Series(["+86 138-1234-5678", "021-62345678", "12345"])).phone.tolist()
    ['13812345678', '021-62345678', <NA>]
    """
    blank = is_blank(values)
    text = values.astype("string").fillna("").str.normalize("NFKC")
    digits = text.str.replace(r"\D", "", regex=True)
    # Country code: +86 / 0086 / 86 in front of an 11-digit mobile.
    digits = digits.str.replace(r"^(?:0086|86)(?=1[3-9]\d{9}$)", "", regex=True)
    mobile = digits.str.fullmatch(r"1[3-9]\d{9}")
    landline = digits.str.fullmatch(r"0\d{9,11}") & ~mobile
    # 010 and 02x are three-digit area codes; every other area code has four digits.
    short_area = digits.str[:2].isin(["01", "02"])
    formatted_landline = (digits.str[:3] + "-" + digits.str[3:]).where(
        short_area, digits.str[:4] + "-" + digits.str[4:])
    phone = pd.Series(pd.NA, index=values.index, dtype="string")
    phone[mobile.fillna(False)] = digits[mobile.fillna(False)]
    phone[landline.fillna(False)] = formatted_landline[landline.fillna(False)]
    kind = np.select([blank, mobile.fillna(False), landline.fillna(False)],
                     ["missing", "mobile", "landline"], "invalid")
    return pd.DataFrame({"phone": phone, "phone_kind": kind}, index=values.index)


_COMPANY_SUFFIXES = re.compile(
    r"(集团)?(股份有限公司|有限责任公司|有限公司|股份公司|集团公司|公司|集团)$")


def normalise_company_names(values: pd.Series) -> pd.Series:
    """A matching key for company names: half-width, no brackets or legal suffixes.

    Examples
    --------
    >>> normalise_company_names(pd.Series(["恒泰机械（集团）有限公司", "恒泰机械有限责任公司"])).tolist()
    ['恒泰机械', '恒泰机械']
    """
    text = values.astype("string").str.normalize("NFKC").str.strip().str.lower()
    text = text.str.replace(r"[()\[\]【】\s·.,，、]", "", regex=True)
    return text.str.replace(_COMPANY_SUFFIXES, "", regex=True).replace("", pd.NA)


def _norm_key(text: str) -> str:
    return re.sub(r"[\s_\-/、,，()（）]", "", unicodedata.normalize("NFKC", str(text)).lower())


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
    """Map industry spellings onto GB/T 4754 section names; unknown ones become 未识别.

    Tries, in order: the exact alias, a leading section letter (``C 制造业``), then the
    longest alias contained in the value.

    Examples
    --------
    >>> standardise_industry(pd.Series(["制造", "C 制造业", "软件开发外包", "火星贸易", None])).tolist()
    ['制造业', '制造业', '信息传输、软件和信息技术服务业', '批发和零售业', <NA>]
    """
    lookup = _industry_lookup(extra_aliases)
    by_length = sorted((k for k in lookup if len(k) >= 2), key=len, reverse=True)

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
        return "未识别"

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
    text = values.astype("string").str.normalize("NFKC").str.strip()
    for suffix in PROVINCE_SUFFIXES:
        text = text.str.replace(suffix + "$", "", regex=True)
    province = text.where(text.isin(list(REGION_OF_PROVINCE)))
    region = province.map(REGION_OF_PROVINCE).astype("string")
    return pd.DataFrame({"province": province.astype("string"), "region": region})


def province_from_city(values: pd.Series) -> pd.Series:
    """The province of a city name (``杭州市`` -> ``浙江``); NA when unknown.

    Examples
    --------
    >>> province_from_city(pd.Series(["杭州市", "大连", "火星市"])).tolist()
    ['浙江', '辽宁', <NA>]
    """
    text = values.astype("string").str.normalize("NFKC").str.strip()
    text = text.str.replace(r"(市|地区|自治州|盟)$", "", regex=True)
    return text.map(PROVINCE_OF_CITY).astype("string")


def standardise_company_size(values: pd.Series) -> pd.Series:
    """To 个人 / 中小企业 / 大型企业 (NA when blank or not recognisable)."""
    text = values.astype("string").str.normalize("NFKC").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    out[text.str.contains(r"小|中|sme|small|medium", na=False)] = "中小企业"
    out[text.str.contains(r"大|集团|上市|large|enterprise", na=False)] = "大型企业"
    out[text.str.contains(r"个人|个体|自然人|person|individual", na=False)] = "个人"
    return out


# ---------------------------------------------------------------- quarantine helpers

def normalise_ids(values: pd.Series) -> pd.Series:
    """Ids as text without surrounding spaces; whole numbers a spreadsheet wrote as floats
    (``1001.0``) lose the ``.0`` so they match the same id written as ``1001``."""
    text = values.astype("string").str.strip()
    return text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)


def rekey(ids: pd.Series, id_map: dict | None) -> pd.Series:
    """Merged customer ids replaced by their kept id (a hash lookup, not a per-key scan)."""
    if not id_map:
        return ids
    return ids.map(id_map).fillna(ids).astype("string")


def _quarantine(frame: pd.DataFrame, mask: pd.Series, table: str, column: str,
                reason: str, label: str | None = None) -> pd.DataFrame:
    rows = frame.loc[mask]
    value = rows[column].astype("string") if column in rows else pd.Series(pd.NA, index=rows.index)
    source_file, source_row = rows["_source_file"], rows["_source_row"]
    if "_header_row" in rows and column in ("customer_id", "order_date"):
        # An order line joined to its header: the bad value sits in the header's file and row.
        source_file, source_row, table = rows["_header_file"], rows["_header_row"], "orders"
    return pd.DataFrame({
        "table": table, "source_file": source_file.astype("string"),
        "source_row": source_row.astype("Int64"), "column": label or column,
        "value": value, "reason": reason,
    })


_TOTALS = r"^\s*(?:合计|總計|总计|合計|小计|小計|总和|total|grand\s*total|sum|subtotal)\s*[:：]?\s*$"


def totals_rows(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Rows a spreadsheet added as totals (合计/小计/Total in the first column or an id
    column), as a mask per column where the word was found."""
    value_cols = [c for c in frame.columns if not str(c).startswith("_")]
    probe = [c for c in dict.fromkeys(["_first_cell"] + value_cols[:1] + ["order_id", "customer_id"]) if c in frame]
    return {col: frame[col].astype("string").str.contains(_TOTALS, case=False, regex=True, na=False)
            for col in probe}


def _split_bad(frame: pd.DataFrame, checks: list[tuple[pd.Series, str, str]], table: str):
    """Apply checks in order; each row is quarantined once, for the first reason it fails.

    A totals row (合计) is always checked first, so it is not reported as a missing id.
    """
    checks = [(mask, col, "合计行") for col, mask in totals_rows(frame).items()] + list(checks)
    bad = pd.Series(False, index=frame.index)
    parts = []
    for mask, column, reason in checks:
        hit = mask & ~bad
        if hit.any():
            parts.append(_quarantine(frame, hit, table, column, reason))
        bad |= hit
    quarantined = pd.concat(parts) if parts else pd.DataFrame(columns=QUARANTINE_COLUMNS)
    return frame.loc[~bad].copy(), quarantined


# ---------------------------------------------------------------- tables

def clean_customers(raw: pd.DataFrame, params: dict | None = None):
    """Standardise and deduplicate the customer table.

    Customers sharing a normalised mobile number, e-mail address, company name or
    customer id are one customer. The kept record is the most complete (ties: the most
    recently registered, then the smallest id); blanks in it are filled from the others
    in that same order. Returns ``(customers, quarantine, merge_log, id_map)`` where
    ``id_map`` maps every merged id to its kept id.
    """
    params = params or {}
    table = "customers"
    frame = raw.copy()
    frame["customer_id"] = normalise_ids(frame["customer_id"])
    kept, quarantined = _split_bad(
        frame, [(is_blank(frame["customer_id"]), "customer_id", "缺少客户ID")], table)

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
            kept["industry"], params.get("industry_aliases"))
    if "province" in kept:
        out = out.join(region_of_province(kept["province"]))
    if "city" in kept:
        # A city recovers a missing province (and so the 大区).
        from_city = province_from_city(kept["city"])
        out["province"] = out["province"].fillna(from_city) if "province" in out else from_city
        out["region"] = out["province"].map(REGION_OF_PROVINCE).astype("string")
    if "region" in kept:
        stated = kept["region"].astype("string").str.extract(r"(华东|华北|华南|华中|西南|西北|东北)")[0]
        out["region"] = out["region"].fillna(stated) if "region" in out else stated
    if "company_size" in kept:
        out["company_size"] = standardise_company_size(kept["company_size"])
    for col in ["register_date", "birthday"]:
        if col in kept:
            out[col] = parse_dates(kept[col], dayfirst=params.get("dayfirst"))
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


def _deduplicate(frame: pd.DataFrame):
    frame = frame.reset_index(drop=True)
    keys = [("customer_id", frame["customer_id"], "客户ID相同")]
    if "phone" in frame:
        mobile = frame["phone"].where(frame.get("phone_kind") == "mobile")
        keys.append(("phone", mobile, "手机号相同"))
    if "email" in frame:
        keys.append(("email", frame["email"], "邮箱相同"))
    if "name" in frame:
        company = frame["name"].where(frame["name"].str.contains(
            r"公司|集团|厂|店|中心|研究院|事务所", na=False))
        keys.append(("name", normalise_company_names(company), "企业名称相同"))

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
    in_merge = frame["_group"].isin(merged["_group"])
    reasons = pd.Series("", index=pd.Index(frame.loc[in_merge, "_group"].unique()), dtype="object")
    for _, key, label in keys:
        pairs = pd.DataFrame({"g": frame.loc[in_merge, "_group"], "k": key[in_merge]}).dropna()
        tied = pairs.loc[pairs.duplicated(["g", "k"], keep=False), "g"].unique()
        reasons[tied] = reasons[tied] + ("、" + label)
    reasons = reasons.str.lstrip("、").replace("", "关联匹配")
    merge_log = (merged.sort_values("customer_id").groupby("_group")
                 .agg(kept_id=("kept_id", "first"), merged_ids=("customer_id", "、".join),
                      n_merged=("customer_id", "size")))
    merge_log["matched_on"] = reasons.reindex(merge_log.index).to_numpy()
    merge_log = merge_log.sort_values("kept_id").reset_index(drop=True)[
        ["kept_id", "merged_ids", "n_merged", "matched_on"]]
    return customers, merge_log, id_map


def clean_orders(raw: pd.DataFrame, as_of: pd.Timestamp, params: dict | None = None,
                 id_map: dict | None = None, table: str = "orders"):
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
    """
    params = params or {}
    frame = raw.copy()
    date, impossible = parse_dates_checked(frame["order_date"], dayfirst=params.get("dayfirst"))
    date_blank = is_blank(frame["order_date"])
    money_checks, amount = _order_amounts(frame)
    tolerance = pd.Timedelta(days=params.get("future_tolerance_days", 0))
    kept, quarantined = _split_bad(frame, [
        (is_blank(frame["customer_id"]), "customer_id", "缺少客户ID"),
        (date_blank, "order_date", "缺少下单日期"),
        (impossible & ~date_blank, "order_date", "日期不存在"),
        (date.isna() & ~date_blank, "order_date", "日期无法解析"),
        *money_checks,
        (date > as_of + tolerance + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1),
         "order_date", "日期晚于分析基准日"),
    ], table)

    has_order_id = "order_id" in kept and not is_blank(frame["order_id"]).all()
    mode = str(params.get("drop_exact_duplicates", "auto")).lower()
    if mode not in ("auto", "always", "never"):
        raise ParamsError(f"cleaning.drop_exact_duplicates 应为 auto、always 或 never，而不是「{mode}」")
    if "_row_key" in kept:
        identical = kept.duplicated(subset=["_row_key"], keep="first")
    else:
        identical = kept.duplicated(subset=[c for c in kept.columns if not c.startswith("_")],
                                    keep="first")
    drop = mode == "always" or (mode == "auto" and has_order_id)
    duplicate = identical if drop else pd.Series(False, index=kept.index)
    n_duplicates = int(duplicate.sum())
    suspected = identical & ~duplicate
    kept = kept.loc[~duplicate]

    orders = pd.DataFrame({
        "customer_id": normalise_ids(kept["customer_id"]),
        "order_date": date.loc[kept.index].dt.normalize(),
        "amount": amount.loc[kept.index],
    })
    orders["original_customer_id"] = orders["customer_id"]
    if id_map:
        orders["customer_id"] = rekey(orders["customer_id"], id_map)
    order_id = (kept["order_id"].astype("string").str.strip().mask(is_blank(kept["order_id"]))
                if "order_id" in kept else pd.Series(pd.NA, index=kept.index, dtype="string"))
    # Without an order number every line is its own order (F counts lines).
    row_ids = pd.Series("R" + kept["_source_row"].astype(str), index=kept.index, dtype="string")
    orders["order_id"] = order_id.fillna(row_ids)
    for col in ["category", "channel", "status", "product_id", "product_name"]:
        if col in kept:
            orders[col] = kept[col].astype("string").str.strip().mask(is_blank(kept[col]))
    if "profit" in kept:
        orders["profit"] = parse_amounts(kept["profit"])
    status = orders["status"] if "status" in orders else pd.Series(pd.NA, index=orders.index, dtype="string")
    orders["is_cancelled"] = (status.str.contains("取消|作废|撤销|cancel|void", case=False, na=False)
                              | cancellation_marks(order_id))
    orders["is_return"] = (orders["amount"] < 0) | status.str.contains("退|return|refund", case=False, na=False)
    # A cancelled order never happened: it stays in the archive but adds no spend. A
    # cancelling document (negative amount) reverses an earlier order and is netted.
    orders["net_amount"] = orders["amount"].where(~orders["is_cancelled"] | (orders["amount"] < 0), 0.0)
    orders["is_purchase"] = ~orders["is_cancelled"] & (orders["amount"] >= 0)
    orders["is_zero_amount"] = orders["amount"].eq(0) & ~orders["is_cancelled"]
    orders["implausible_amount"] = orders["amount"].abs() > params.get("max_order_amount", np.inf)
    orders["suspected_duplicate"] = suspected.loc[kept.index].to_numpy(dtype=bool)
    orders["_source_file"] = kept["_source_file"]
    orders["_source_row"] = kept["_source_row"]
    return orders.reset_index(drop=True), quarantined, n_duplicates


def _order_amounts(frame: pd.DataFrame):
    """(quarantine checks, amount per row): the amount column, else quantity × unit price
    less discount."""
    if "amount" in frame:
        amount = parse_amounts(frame["amount"])
        blank = is_blank(frame["amount"])
        return [(blank, "amount", "缺少金额"), (amount.isna() & ~blank, "amount", "金额不是数字")], amount
    if "unit_price" not in frame:
        raise KitError("订单表既没有金额列，也没有 数量+单价 列，无法计算金额")
    checks = []
    # An item export without a quantity (one row per unit sold) prices each row at its price.
    values = {"quantity": pd.Series(1.0, index=frame.index)}
    for col, label in [("quantity", "数量"), ("unit_price", "单价")]:
        if col not in frame:
            continue
        values[col] = parse_amounts(frame[col])
        blank = is_blank(frame[col])
        checks += [(blank, col, f"缺少{label}"), (values[col].isna() & ~blank, col, f"{label}不是数字")]
    amount = values["quantity"] * values["unit_price"]
    if "discount" in frame:
        discount = parse_amounts(frame["discount"])
        blank = is_blank(frame["discount"])
        checks.append((discount.isna() & ~blank, "discount", "折扣金额不是数字"))
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
    text = order_id.astype("string").str.strip()
    marked = text.str.match(r"^(?:[Cc]|退|作废)-?\d", na=False)
    plain = text.str.match(r"^\d", na=False)
    if not marked.any() or plain.sum() <= marked.sum():
        return pd.Series(False, index=order_id.index)
    return marked.astype(bool)


_MESSAGE_EVENT = [("点击|click", "clicked"), ("打开|阅读|open", "opened"),
                  ("发送|送达|触达|send|deliver", "sent")]
_MESSAGE_CHANNEL = [("邮件|email|mail", "邮件"), ("短信|sms", "短信"), ("企微|企业微信|wecom", "企微")]


def clean_interactions(raw: pd.DataFrame, as_of: pd.Timestamp, id_map: dict | None = None,
                       dayfirst: bool | None = None):
    """Type interactions; split campaign messages into ``channel`` × ``event``.

    ``kind`` is one of 咨询 / 投诉 / 活动参与 / 浏览 / 消息 / 其他; for 消息, ``event`` is
    sent / opened / clicked. Returns ``(interactions, quarantine)``.
    """
    table = "interactions"
    frame = raw.copy()
    date = parse_dates(frame["date"], dayfirst=dayfirst)
    kept, quarantined = _split_bad(frame, [
        (is_blank(frame["customer_id"]), "customer_id", "缺少客户ID"),
        (date.isna(), "date", "日期缺失或无法解析"),
        (date > as_of + pd.Timedelta(days=1), "date", "日期晚于分析基准日"),
    ], table)
    type_text = kept["type"].astype("string").fillna("")
    channel_text = (kept["channel"].astype("string").fillna("") if "channel" in kept
                    else pd.Series("", index=kept.index, dtype="string"))
    both = type_text + " " + channel_text
    event = pd.Series(pd.NA, index=kept.index, dtype="string")
    for pattern, name in reversed(_MESSAGE_EVENT):
        event[type_text.str.contains(pattern, case=False)] = name
    channel = pd.Series(pd.NA, index=kept.index, dtype="string")
    for pattern, name in _MESSAGE_CHANNEL:
        channel[both.str.contains(pattern, case=False) & channel.isna()] = name
    kind = np.select(
        [event.notna(), type_text.str.contains("投诉"), type_text.str.contains("咨询"),
         type_text.str.contains("活动|参会|参与"), type_text.str.contains("浏览|访问|查看")],
        ["消息", "投诉", "咨询", "活动参与", "浏览"], "其他")
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
    frame = raw.copy()
    date = parse_dates(frame["date"], dayfirst=dayfirst)
    score = parse_amounts(frame["score"])
    kept, quarantined = _split_bad(frame, [
        (is_blank(frame["customer_id"]), "customer_id", "缺少客户ID"),
        (date.isna(), "date", "日期缺失或无法解析"),
        (score.isna(), "score", "评分缺失或不是数字"),
        ((score < 0) | (score > 100), "score", "评分超出范围"),
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
        raise AssertionError(
            f"{table}: 行数不平 — 输入 {rows_in} ≠ 保留 {kept} + 隔离 {quarantined} + 合并/重复 {merged}")
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
        return names.get(column) or TABLES[table][column][0]

    if "amount" in frame:
        text = f"金额取自列「{name('amount')}」"
        if unused:
            text += f"（另有{'、'.join(f'「{h}」' for h in unused)}未使用：取实际支付/实收的金额）"
        return text
    text = (f"金额 = 「{name('quantity')}」×「{name('unit_price')}」" if "quantity" in frame
            else f"金额 = 「{name('unit_price')}」（无数量列，每行按 1 件计）")
    if "discount" in frame:
        text += f" − 「{name('discount')}」"
    return text


def check_usable(accounting: pd.DataFrame, quarantine: pd.DataFrame, table: str,
                 max_share: float = 0.5) -> None:
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
    label = TABLES_LABEL.get(table, table)
    head = (f"{label}没有可用的行" if row["kept"] == 0 else
            f"{label}的大部分行（{counts.iloc[0] / row['rows_in']:.0%}）因同一原因被隔离")
    counts_text = (f"输入 {row['rows_in']:,} 行，可用 {row['kept']:,} 行，隔离 {row['quarantined']:,} 行"
                   + (f"，重复 {row['merged_or_duplicate']:,} 行" if row["merged_or_duplicate"] else ""))
    if top is None:
        raise InputError(f"{head}：{counts_text}")
    example = mine[mine["reason"] == top].iloc[0]
    value = "（空）" if pd.isna(example["value"]) else f"「{example['value']}」"
    raise InputError(
        f"{head}，分析无法继续：{counts_text}；主要原因「{top}」（{counts.iloc[0]:,} 行），例如原值 {value}"
        f"{_GATE_HINTS.get(top, '')}",
        file=example["source_file"], row=int(example["source_row"]), column=example["column"])


TABLES_LABEL = {"customers": "客户表", "orders": "订单表", "order_lines": "订单明细表",
                "payments": "订单支付表", "interactions": "互动记录表", "surveys": "满意度调查表"}
_GATE_HINTS = {
    "日期无法解析": "。请确认该列确是日期；年在后的日期可在 params 设 cleaning.dayfirst，列对应错了可在 input.column_map 中改",
    "日期不存在": "。该日期在日历上不存在，请检查导出的日期列",
    "日期晚于分析基准日": "。请用 --month 或 --as-of 指定覆盖这些日期的分析月份",
    "缺少客户ID": "。请确认客户ID列对应正确（input.column_map），或导出时带上客户编号",
    "金额不是数字": "。请确认金额列对应正确（input.column_map）",
    "缺少金额": "。请确认金额列对应正确（input.column_map）",
}


def completeness(frame: pd.DataFrame, columns: list[str], table: str, target: float) -> pd.DataFrame:
    """Share of non-empty values per key field against the target."""
    rows = []
    for col in columns:
        if col not in frame:
            rows.append({"table": table, "field": col, "filled": 0, "total": len(frame),
                         "completeness": np.nan, "meets_target": False, "note": "缺少此列"})
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

    def interim_tables(self) -> dict[str, pd.DataFrame]:
        tables = {"customers": self.customers, "orders": self.orders,
                  "quarantine": self.quarantine, "merge_log": self.merge_log,
                  "row_accounting": self.accounting, "quality": self.quality,
                  "quality_checks": checks_frame(self.checks)}
        if self.interactions is not None:
            tables["interactions"] = self.interactions
        if self.surveys is not None:
            tables["surveys"] = self.surveys
        return tables


def _customers_from_orders(orders: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.Series(orders["customer_id"].unique(), dtype="string")})


def label_columns(quarantine: pd.DataFrame, sources=()) -> pd.Series:
    """The quarantine's column names as the user wrote them in the file (``下单时间``), else
    the Chinese name of the canonical column."""
    headers = {}
    for source in sources:
        for original, canonical in source.column_map.items():
            headers.setdefault((source.table, source.path.name), {})[canonical] = original
    labels = []
    for table, file, column in zip(quarantine["table"], quarantine["source_file"], quarantine["column"]):
        file_name = str(file).split("[")[0]
        found = headers.get((table, file_name), {}).get(column)
        if column == "_first_cell":
            found = "第1列"
        labels.append(found or TABLES.get(table, {}).get(column, (column,))[0])
    return pd.Series(labels, index=quarantine.index, dtype="string")


# Ids and names are compared and shown: a NUL or zero-width character in them (pasted from
# another system) would split one customer in two or break a workbook cell.
_CONTROL_STRIPPED = ("customer_id", "order_id", "name", "owner", "product_id", "product_name")


def _strip_control_characters(tables: dict[str, pd.DataFrame]):
    """The tables with control characters removed from ids and names, and how many values
    changed (a new dict of copies; intake's frames are left as they are)."""
    out, changed = {}, 0
    for name, frame in tables.items():
        columns = [c for c in _CONTROL_STRIPPED if c in frame]
        if columns:
            frame = frame.copy()
            for column in columns:
                frame[column], n = strip_control(frame[column])
                changed += n
        out[name] = frame
    return out, changed


def clean_all(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp, params: dict, sources=()) -> CleanResult:
    """Run every cleaning rule over the intake tables (``RawData.tables``).

    ``sources`` (``RawData.sources``) lets the quarantine name columns as the file does.
    """
    tables, n_control = _strip_control_characters(tables)
    accounting, quarantines = [], []
    id_map: dict = {}
    merge_log = pd.DataFrame(columns=["kept_id", "merged_ids", "n_merged", "matched_on"])
    if "customers" in tables:
        raw = tables["customers"]
        customers, q, merge_log, id_map = clean_customers(raw, params)
        quarantines.append(q)
        accounting.append(row_accounting(len(raw), len(customers), len(q), len(id_map), "customers"))
    joined = join_order_parts(tables)
    raw = joined.orders
    orders, q, n_dup = clean_orders(raw, as_of, params, id_map, table=joined.table)
    quarantines.extend(joined.quarantine + [q])
    for name, rows_in, used, set_aside, copies in joined.accounting:
        accounting.append(row_accounting(rows_in, used, set_aside, copies, name))
    rows_in = len(tables[joined.table])
    money = "；".join(joined.notes + ([] if joined.money_from == "payments"
                                      else [amount_derivation(raw, sources, joined.table)]))
    accounting.append(row_accounting(rows_in, len(orders), len(q) + joined.header_quarantined,
                                     n_dup + joined.header_duplicates, joined.table,
                                     suspected=int(orders["suspected_duplicate"].sum()),
                                     amount_source=money))

    # Customers seen only in orders still belong in the archive.
    known = customers if "customers" in tables else _customers_from_orders(orders.iloc[:0])
    missing_ids = pd.Index(orders["customer_id"].unique()).difference(pd.Index(known["customer_id"]))
    orphan_orders = int(orders["customer_id"].isin(missing_ids).sum())
    extra = pd.DataFrame({"customer_id": pd.Series(missing_ids, dtype="string")})
    extra["in_customer_table"] = False
    known = known.assign(in_customer_table=True)
    customers = pd.concat([known, extra], ignore_index=True) if len(extra) else known

    optional = {}
    for name, cleaner in [("interactions", clean_interactions), ("surveys", clean_surveys)]:
        if name in tables:
            raw = tables[name]
            cleaned, q = cleaner(raw, as_of, id_map, dayfirst=params.get("dayfirst"))
            quarantines.append(q)
            accounting.append(row_accounting(len(raw), len(cleaned), len(q), 0, name))
            optional[name] = cleaned
        else:
            optional[name] = None

    quarantine = pd.concat(quarantines, ignore_index=True) if quarantines else pd.DataFrame(
        columns=QUARANTINE_COLUMNS)
    quarantine["source_row"] = quarantine["source_row"].astype("Int64")
    quarantine["column"] = label_columns(quarantine, sources)
    target = params.get("completeness_target", 0.95)
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
        check_usable(accounting, quarantine_all, joined.table,
                     params.get("max_quarantine_share", 0.5))
    checks = {
        "orders_without_customer_record": orphan_orders if "customers" in tables else None,
        "invalid_phones": int((customers.get("phone_kind") == "invalid").sum()) if "phone_kind" in customers else None,
        "duplicate_customers_merged": len(id_map),
        "duplicate_order_rows": n_dup,
        "suspected_duplicate_rows": int(orders["suspected_duplicate"].sum()),
        "control_characters_removed": n_control,
        "zero_amount_orders": int(orders["is_zero_amount"].sum()),
        "returns": int(orders["is_return"].sum()),
        "cancelled": int(orders["is_cancelled"].sum()),
        "implausible_amounts": int(orders["implausible_amount"].sum()),
    }
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
                       accounting=accounting, quality=quality, checks=checks)


# ---------------------------------------------------------------- display

_TABLE_LABELS = TABLES_LABEL
_FIELD_LABELS = {"name": "客户名称", "phone": "联系电话", "industry": "所属行业", "region": "大区",
                 "company_size": "企业规模", "owner": "客户经理", "order_id": "订单号",
                 "category": "产品类别", "channel": "渠道"}
_CHECK_LABELS = {
    "duplicate_customers_merged": "合并的重复客户（条）",
    "duplicate_order_rows": "删除的重复订单行（整行相同且有订单号）",
    "suspected_duplicate_rows": "疑似重复订单行（整行相同但无订单号，按多次购买保留）",
    "zero_amount_orders": "金额为 0 的订单（赠品/样品，计为购买）",
    "control_characters_removed": "ID/名称中去除了控制字符（如 NUL）的值",
    "invalid_phones": "无效电话号码（已标记，不用于联系）",
    "orders_without_customer_record": "客户表中找不到的订单",
    "returns": "退货订单（负金额或退货状态，已冲减）",
    "cancelled": "已取消订单（正金额的不计消费；负金额的取消单冲减原订单）",
    "implausible_amounts": "金额异常大的订单（已标记）",
    "stated_spend_checked": "核对累计消费的客户",
    "stated_spend_mismatch": "累计消费与订单合计不一致的客户",
}


def accounting_display(accounting: pd.DataFrame) -> pd.DataFrame:
    """The row account in Chinese: 输入 = 保留 + 隔离 + 合并/重复, with the 疑似重复 rows kept
    and where an order table's amount came from."""
    return pd.DataFrame({
        "表": accounting["table"].map(_TABLE_LABELS),
        "输入行数": accounting["rows_in"], "保留": accounting["kept"],
        "隔离": accounting["quarantined"], "合并/重复": accounting["merged_or_duplicate"],
        "其中疑似重复(保留)": accounting.get("suspected_duplicates", 0),
        "是否平衡": accounting["closes"].map({True: "✔ 平衡", False: "✘ 不平衡"}),
        "金额来源": accounting.get("amount_source", "").fillna("") if "amount_source" in accounting else "",
    })


def quarantine_summary(quarantine: pd.DataFrame) -> pd.DataFrame:
    """Quarantined rows counted by table and reason."""
    if quarantine.empty:
        return pd.DataFrame({"表": [], "原因": [], "行数": []})
    counts = quarantine.groupby(["table", "reason"]).size().rename("行数").reset_index()
    counts["table"] = counts["table"].map(_TABLE_LABELS)
    return counts.rename(columns={"table": "表", "reason": "原因"}).sort_values("行数", ascending=False)


def quality_display(quality: pd.DataFrame) -> pd.DataFrame:
    """Completeness of key fields against the target."""
    return pd.DataFrame({
        "表": quality["table"].map(_TABLE_LABELS), "字段": quality["field"].map(_FIELD_LABELS),
        "已填写": quality["filled"], "总数": quality["total"], "完整率": quality["completeness"],
        "达标(≥目标)": quality["meets_target"].map({True: "✔", False: "✘"}), "说明": quality["note"],
    })


def checks_display(checks: dict) -> pd.DataFrame:
    """The other quality counts, labelled."""
    rows = [{"检查项": _CHECK_LABELS.get(k, k), "数量": v} for k, v in checks.items() if v is not None]
    return pd.DataFrame(rows)


def checks_frame(checks: dict) -> pd.DataFrame:
    """The checks dict as a two-column table (for the interim layer)."""
    return pd.DataFrame({"check": list(checks), "value": pd.array(list(checks.values()), dtype="Int64")})


def quality_report(accounting: pd.DataFrame, quality: pd.DataFrame, checks: pd.DataFrame,
                   quarantine: pd.DataFrame, target: float = 0.95) -> pd.DataFrame:
    """The 数据质量报告 sheet: row accounting, completeness against the target, the other
    checks, and quarantined rows by reason — one line each, in Chinese."""
    rows = []
    for r in accounting.itertuples():
        label = _TABLE_LABELS.get(r.table, r.table)
        mine = quarantine[quarantine["table"] == r.table]["reason"].value_counts()
        reasons = "；".join(f"{reason} {n:,}" for reason, n in mine.items())
        rows.append({"类别": "行数核对", "项目": label,
                     "数值": f"{r.rows_in:,} = {r.kept:,} + {r.quarantined:,} + {r.merged_or_duplicate:,}",
                     "目标": "平衡", "是否达标": "✔" if r.closes else "✘",
                     "说明": "输入 = 保留 + 隔离 + 合并/重复" + (f"（隔离：{reasons}）" if reasons else "")})
        suspected = int(getattr(r, "suspected_duplicates", 0) or 0)
        if suspected:
            rows.append({"类别": "行数核对", "项目": f"{label}·疑似重复（保留）", "数值": f"{suspected:,}",
                         "目标": "", "是否达标": "",
                         "说明": "与另一行完全相同，但表中没有订单号可证明是重复导出，按多次购买保留"})
        source = getattr(r, "amount_source", "")
        if isinstance(source, str) and source:
            rows.append({"类别": "金额来源", "项目": label, "数值": "", "目标": "", "是否达标": "",
                         "说明": source})
    for r in quality.itertuples():
        rows.append({"类别": "完整率", "项目": f"{_TABLE_LABELS.get(r.table, r.table)}·{_FIELD_LABELS.get(r.field, r.field)}",
                     "数值": "—" if pd.isna(r.completeness) else f"{r.completeness:.1%}",
                     "目标": f"≥{target:.0%}", "是否达标": "✔" if r.meets_target else "✘",
                     "说明": r.note or f"{r.filled:,} / {r.total:,}"})
    for r in checks.itertuples():
        if pd.notna(r.value):
            rows.append({"类别": "检查", "项目": _CHECK_LABELS.get(r.check, r.check), "数值": f"{int(r.value):,}",
                         "目标": "", "是否达标": "", "说明": ""})
    for r in quarantine_summary(quarantine).itertuples(index=False):
        rows.append({"类别": "隔离", "项目": f"{r[0]}·{r[1]}", "数值": f"{r[2]:,}", "目标": "", "是否达标": "",
                     "说明": "明细见「隔离明细」"})
    return pd.DataFrame(rows, columns=["类别", "项目", "数值", "目标", "是否达标", "说明"])


def quality_sheets(accounting: pd.DataFrame, quality: pd.DataFrame, checks: pd.DataFrame,
                   quarantine: pd.DataFrame, merge_log: pd.DataFrame, target: float = 0.95) -> dict:
    """The three quality sheets of 客户基础信息表: report, quarantined rows, merges."""
    detail = quarantine.rename(columns=QUARANTINE_LABELS)
    detail["表"] = detail["表"].map(_TABLE_LABELS).fillna(detail["表"])
    merges = merge_log.rename(columns={"kept_id": "保留客户ID", "merged_ids": "合并的客户ID",
                                       "n_merged": "合并数量", "matched_on": "匹配依据"})
    return {"数据质量报告": quality_report(accounting, quality, checks, quarantine, target),
            "隔离明细": detail, "合并记录": merges}
