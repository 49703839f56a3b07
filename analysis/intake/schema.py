"""Canonical tables and columns the kit works on.

Every input file is mapped onto these names by :mod:`analysis.intake.read`. Only ``orders`` with
``customer_id``, ``order_date`` and ``amount`` is required; each optional column lists
what the kit cannot do without it, so intake can say what it skipped and why.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

from analysis.reference.headers import (
    ALIASES, HEADER_PUNCTUATION, NOTE_IN_BRACKETS, SCALE_IN_NOTE, UNIT_SUFFIX,
)
from analysis.vocab import text

__all__ = [
    "Column", "TABLES", "DERIVED_FROM", "REQUIRED", "ALTERNATIVES", "MONEY_COLUMNS",
    "ORDER_PARTS", "NOT_REPORTED", "table_label", "column_label", "table_disables",
    "optional_columns", "ALIASES", "normalise_header", "alias_index", "canonical_for",
    "HandedOverTables",
]

# table -> (required columns, optional columns), in the order the kit shows them. Each
# column's label (schema.column.<table>.<column>) and, when optional, what is disabled without
# it (schema.disables.<table>.<column>) are looked up in the vocabulary when asked for.
_LAYOUT: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "orders": (
        ("customer_id", "order_date", "amount"),
        ("order_id", "category", "channel", "profit", "status", "quantity", "unit_price",
         "discount", "product_id", "product_name", "country"),
    ),
    # Order lines of an ERP export whose header (客户、日期) is in another file: joined to the
    # orders table by order number.
    "order_lines": (
        ("order_id",),
        ("amount", "quantity", "unit_price", "discount", "category", "product_id",
         "product_name", "status"),
    ),
    # Payments per order (orders + order items + payments exports): the amount actually paid.
    "payments": (("order_id", "amount"), ("channel",)),
    "customers": (
        ("customer_id",),
        ("name", "phone", "email", "industry", "province", "city", "region", "company_size",
         "customer_type", "owner", "register_date", "birthday", "preferred_channel",
         "marketing_consent", "unsubscribed", "referrals", "stated_total_spend"),
    ),
    "interactions": (("customer_id", "date", "type"), ("channel", "campaign_id")),
    "surveys": (("customer_id", "date", "score"), ("comment", "churn_reason")),
}


@dataclass(frozen=True)
class Column:
    """One canonical column of a table; its words come from the vocabulary when asked for.

    Examples
    --------
    >>> column = TABLES["orders"]["order_id"]
    >>> column.required, column.label, column.disables
    (False, '订单号', '按订单号去重；F 以行数计')
    >>> TABLES["orders"]["amount"].disables
    ''
    """

    table: str
    name: str
    required: bool

    @property
    def label(self) -> str:
        """The column's name for people, in the current language."""
        return text(f"schema.column.{self.table}.{self.name}")

    @property
    def disables(self) -> str:
        """What the kit cannot do without this column; ``""`` for a required one."""
        return "" if self.required else text(f"schema.disables.{self.table}.{self.name}")


# table -> column -> Column, every canonical column of every table.
TABLES: dict[str, dict[str, Column]] = {
    table: {column: Column(table, column, column in required)
            for column in (*required, *optional)}
    for table, (required, optional) in _LAYOUT.items()
}

# Columns a table cannot be used without.
REQUIRED: dict[str, tuple[str, ...]] = {
    table: tuple(col for col, spec in cols.items() if spec.required)
    for table, cols in TABLES.items()
}

# A required column that other columns can stand in for: an invoice-line export has no amount
# but quantity × unit price; an order header has no amount when its lines or payments carry it.
ALTERNATIVES: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {
    "orders": {"amount": (("quantity", "unit_price"),)},
    "order_lines": {},
}

# The money columns of a table, in the order the amount of a row is taken from them.
MONEY_COLUMNS = ("amount", "quantity", "unit_price", "discount")

# Order lines and payments are joined onto the orders table; they never stand alone.
ORDER_PARTS = ("order_lines", "payments")


class HandedOverTables(dict):
    """Intake tables given up by their holder (``RawData.take_tables()``): the cleaning may
    let each go, column by column, as it uses them. A plain dict is never changed."""

# Optional columns recognised (so they are not listed as unused) but not worth a note when
# absent: nothing the kit computes depends on them.
NOT_REPORTED = {"orders": {"product_id", "product_name", "country", "quantity", "unit_price",
                           "discount"}}

# Optional columns the cleaning step derives from another column when that one is present
# (大区 from 省份), so their absence is not worth reporting.
DERIVED_FROM = {"customers": {"region": "province"}}

# Tables whose absence is worth a note (what the kit loses: schema.table_disables.<table>);
# the order parts only ever complete the orders table.
_TABLES_WITH_NOTE = ("customers", "interactions", "surveys")


def table_label(table: str) -> str:
    """The name of a canonical table for people (``table.<name>`` in the vocabulary).

    Examples
    --------
    >>> table_label("orders")
    '订单表'
    """
    return text(f"table.{table}")


def column_label(table: str, column: str) -> str:
    """The name of a canonical column for people, e.g. ``金额(元)`` for ``orders.amount``."""
    return TABLES[table][column].label


def table_disables(table: str) -> str:
    """What the kit cannot do when the whole optional ``table`` is absent; ``""`` if nothing
    worth saying (the order parts)."""
    return text(f"schema.table_disables.{table}") if table in _TABLES_WITH_NOTE else ""


def optional_columns(table: str) -> list[str]:
    """Columns of ``table`` that may be absent."""
    return [c for c in TABLES[table] if c not in REQUIRED[table]]


# ----------------------------------------------------------------------------- header aliases

# The header spellings (ALIASES) and the normalising patterns are reference data: what users'
# files say (analysis/reference/headers.py).


def normalise_header(text) -> str:
    """The form headers are compared in: half-width, lower-case, no spaces, punctuation or units.

    Examples
    --------
    >>> normalise_header(" 累计消费（元） "), normalise_header("Customer_ID"), normalise_header("金额¥")
    ('累计消费', 'customerid', '金额')
    >>> normalise_header("金额(万元)")
    '金额万元'
    """
    s = unicodedata.normalize("NFKC", "" if text is None else str(text)).strip().lower()
    dropped = NOTE_IN_BRACKETS.sub(lambda m: m.group(0) if SCALE_IN_NOTE.search(m.group(1)) else "",
                                   s)
    s = dropped if dropped.strip() else s  # "【实付金额】": the brackets hold the name itself
    s = UNIT_SUFFIX.sub("", s)
    s = s.replace("¥", "").replace("$", "")
    return HEADER_PUNCTUATION.sub("", s)


def alias_index(table: str, column_map: dict | None = None) -> dict[str, tuple[str, int]]:
    """Normalised header -> (canonical column, rank) for ``table``; lower rank wins a tie.

    ``column_map`` maps a user header to a canonical name (rank -1, so it beats every alias),
    to ``"table.column"`` to apply in one table only, or to ``None``/``""`` to ignore the
    header. A target that is not a column of ``table`` leaves the built-in aliases alone.
    """
    index = dict(_builtin_index(table))
    for header, target in (column_map or {}).items():
        key = normalise_header(header)
        if target is None or str(target).strip() == "":
            index.pop(key, None)
            continue
        target_table, _, column = str(target).strip().rpartition(".")
        if target_table in ("", table) and column in TABLES[table]:
            index[key] = (column, -1)
    return index


@functools.cache
def _builtin_index(table: str) -> dict[str, tuple[str, int]]:
    index: dict[str, tuple[str, int]] = {}
    for column, spellings in ALIASES[table].items():
        for rank, spelling in enumerate(spellings):
            index.setdefault(normalise_header(spelling), (column, rank))
    return index


def canonical_for(header, table: str, column_map: dict | None = None) -> str | None:
    """The canonical column of ``table`` a header names, or ``None``.

    Examples
    --------
    >>> canonical_for("实付金额（元）", "orders"), canonical_for("cust_no", "surveys")
    ('amount', 'customer_id')
    >>> canonical_for("成交额", "orders", {"成交额": "amount"})
    'amount'
    """
    return alias_index(table, column_map).get(normalise_header(header), (None, 0))[0]
