"""Order headers joined with their lines or payments: one orders table.

ERP exports often split a sale in two or three files: the order header (订单号、客户、日期、
状态) and its lines (订单号、商品、数量、单价、金额), or the header, its items and its payments.
When the orders table intake found has no money of its own, this step joins the money on by
order number:

- with a payments table, an order's amount is the sum of its payments (what was paid);
- otherwise every order line becomes a row of the orders table, carrying its header's
  customer, date and status, and its own amount (or quantity × unit price) and category —
  so F still counts orders, not lines.

Nothing is lost: a header row that cannot be joined (no order number, a number used by two
different headers, no lines/payments) and a line or payment whose order is not in the header
are quarantined with the reason, and each table's row account closes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.intake.parse import is_blank, parse_amounts
from analysis.intake.schema import table_label
from analysis.steps.quarantine import normalise_ids, set_aside
from analysis.vocab import text

__all__ = ["JoinedOrders", "join_order_parts", "has_money"]

# Header columns a joined line takes from its order.
_FROM_HEADER = ("customer_id", "order_date", "channel", "profit", "_first_cell")


def has_money(frame: pd.DataFrame) -> bool:
    """Whether a raw orders frame can price its own rows."""
    return "amount" in frame or "unit_price" in frame


@dataclass
class JoinedOrders:
    """The orders frame to clean, and what the join set aside.

    ``table`` names what a row of ``orders`` is (``orders`` or ``order_lines``), so the
    quarantine and the row account speak of the right file. ``accounting`` holds one
    ``(table, rows_in, used, quarantined, duplicates)`` per part table joined, the header
    included when its rows are not the rows of ``orders``.
    """

    orders: pd.DataFrame
    table: str = "orders"
    quarantine: list[pd.DataFrame] = field(default_factory=list)
    accounting: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    header_quarantined: int = 0   # header rows set aside before cleaning (when table == orders)
    header_duplicates: int = 0
    money_from: str = "orders"    # orders | order_lines | payments


def _order_ids(values: pd.Series) -> pd.Series:
    """Order numbers in the form rows are matched by; blank ones missing."""
    return normalise_ids(values).mask(is_blank(values))


def _unknown_order_id() -> str:
    """The reason given to a line or payment whose order number the header does not have."""
    return text("order_parts.reason.unknown_order_id", orders=table_label("orders"))


def _usable_headers(header: pd.DataFrame, out: JoinedOrders):
    """Header rows with a unique order number; exact copies counted, the rest set aside."""
    oid = _order_ids(header["order_id"])
    blank = oid.isna()
    exact_copy = header.duplicated(subset=["_row_key"]) if "_row_key" in header else \
        pd.Series(False, index=header.index)
    clash = oid.duplicated(keep="first") & ~blank & ~exact_copy
    parts = [set_aside(header, blank, "orders", "order_id",
                        text("order_parts.reason.header_without_order_id")),
             set_aside(header, clash, "orders", "order_id",
                        text("order_parts.reason.order_id_clash"))]
    keep = ~blank & ~exact_copy & ~clash
    return header.loc[keep].assign(_oid=oid[keep]), parts, int(exact_copy.sum())


def join_order_parts(tables: dict[str, pd.DataFrame]) -> JoinedOrders:
    """The orders frame to clean, joined with its lines or payments when it has no money.

    Examples
    --------
    >>> h = pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["A", "B"],
    ...     "order_date": ["2024-01-05", "2024-01-06"], "_source_file": "h.csv",
    ...     "_source_row": [2, 3]})
    >>> l = pd.DataFrame({"order_id": ["1", "1", "2"], "amount": ["10", "5", "7"],
    ...     "_source_file": "l.csv", "_source_row": [2, 3, 4]})
    >>> j = join_order_parts({"orders": h, "order_lines": l})
    >>> j.table, j.orders[["customer_id", "amount"]].values.tolist()
    ('order_lines', [['A', '10'], ['A', '5'], ['B', '7']])
    """
    header = tables["orders"]
    lines, payments = tables.get("order_lines"), tables.get("payments")
    if has_money(header):
        out = JoinedOrders(orders=header)
        for name, part in (("order_lines", lines), ("payments", payments)):
            if part is not None:
                out.notes.append(text("order_parts.note.part_not_used",
                                      orders=table_label("orders"), table=table_label(name),
                                      n=len(part)))
        return out
    if payments is not None:
        out = _join_payments(header, payments)
        if lines is not None:
            out.notes.append(text("order_parts.note.payments_win", payments=table_label("payments"),
                                  lines=table_label("order_lines"), n=len(lines)))
        return out
    if lines is not None:
        return _join_lines(header, lines)
    raise ValueError("an orders table without money needs order lines or payments")


def _join_payments(header: pd.DataFrame, payments: pd.DataFrame) -> JoinedOrders:
    out = JoinedOrders(orders=header, money_from="payments")
    usable, parts, n_copies = _usable_headers(header, out)
    pid = _order_ids(payments["order_id"])
    amount = parse_amounts(payments["amount"])
    blank_amount = is_blank(payments["amount"])
    checks = [(pid.isna(), "order_id", text("order_parts.reason.missing_order_id")),
              (blank_amount, "amount", text("clean.reason.missing_amount")),
              (amount.isna() & ~blank_amount, "amount", text("clean.reason.amount_not_number")),
              (~pid.isin(usable["_oid"]), "order_id", _unknown_order_id())]
    bad = pd.Series(False, index=payments.index)
    pay_parts = []
    for mask, column, reason in checks:
        hit = mask.fillna(False).astype(bool) & ~bad
        pay_parts.append(set_aside(payments, hit, "payments", column, reason))
        bad |= hit
    paid = amount[~bad].groupby(pid[~bad]).sum()
    no_payment = ~usable["_oid"].isin(paid.index)
    parts.append(set_aside(usable, no_payment, "orders", "order_id",
                            text("order_parts.reason.no_payments")))
    joined = usable.loc[~no_payment].copy()
    joined["amount"] = joined["_oid"].map(paid).to_numpy(dtype=float)
    out.orders = joined.drop(columns="_oid")
    out.quarantine = parts + pay_parts
    out.header_quarantined = int(sum(len(p) for p in parts))
    out.header_duplicates = n_copies
    n_bad = int(bad.sum())
    out.accounting.append(("payments", len(payments), len(payments) - n_bad, n_bad, 0))
    out.notes.append(text("order_parts.note.from_payments", payments=table_label("payments"),
                          n=len(paid)))
    return out


def _join_lines(header: pd.DataFrame, lines: pd.DataFrame) -> JoinedOrders:
    out = JoinedOrders(orders=header, table="order_lines", money_from="order_lines")
    usable, parts, n_copies = _usable_headers(header, out)
    lid = _order_ids(lines["order_id"])
    no_id = lid.isna()
    orphan = ~no_id & ~lid.isin(usable["_oid"])
    line_parts = [set_aside(lines, no_id, "order_lines", "order_id",
                             text("order_parts.reason.missing_order_id")),
                  set_aside(lines, orphan, "order_lines", "order_id", _unknown_order_id())]
    ok = lines.loc[~no_id & ~orphan].assign(_oid=lid[~no_id & ~orphan])
    no_lines = ~usable["_oid"].isin(ok["_oid"])
    parts.append(set_aside(usable, no_lines, "orders", "order_id",
                            text("order_parts.reason.no_lines")))
    take = [c for c in _FROM_HEADER if c in usable] + (
        ["status"] if "status" in usable and "status" not in ok else [])
    head = usable.loc[~no_lines, ["_oid", *take, "_source_file", "_source_row"]].rename(
        columns={"_source_file": "_header_file", "_source_row": "_header_row"})
    joined = ok.merge(head, on="_oid", how="left", sort=False, validate="many_to_one")
    if "status" in usable and "status" in ok:
        # A line without its own status takes the order's (整单取消 cancels every line).
        order_status = joined["_oid"].map(usable.set_index("_oid")["status"])
        joined["status"] = joined["status"].mask(is_blank(joined["status"]), order_status)
    joined.index = ok.index
    out.orders = joined.drop(columns="_oid")
    out.quarantine = parts + line_parts
    n_header_bad = int(sum(len(p) for p in parts))
    n_used = len(header) - n_header_bad - n_copies
    out.accounting.append(("orders", len(header), n_used, n_header_bad, n_copies))
    out.header_quarantined = int(no_id.sum() + orphan.sum())  # lines set aside by the join
    out.notes.append(text("order_parts.note.from_lines", orders=table_label("orders"),
                          lines=table_label("order_lines"), n_orders=n_used, n_lines=len(joined)))
    return out
