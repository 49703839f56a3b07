"""Setting rows aside: the one shape a quarantined row takes, and the id form rows are matched
by — shared by the cleaning step and the order-parts join, so every row set aside is recorded
the same way, wherever in step 01 it is found."""

from __future__ import annotations

import pandas as pd

__all__ = ["QUARANTINE_COLUMNS", "normalise_ids", "set_aside"]

QUARANTINE_COLUMNS = ["table", "source_file", "source_row", "column", "value", "reason"]


def normalise_ids(values: pd.Series) -> pd.Series:
    """Ids as text without surrounding spaces; whole numbers a spreadsheet wrote as floats
    (``1001.0``) lose the ``.0`` so they match the same id written as ``1001``.

    Examples
    --------
    >>> normalise_ids(pd.Series([" C1 ", "1001.0", None])).tolist()
    ['C1', '1001', <NA>]
    """
    ids = values.astype("string").str.strip()
    return ids.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)


def set_aside(frame: pd.DataFrame, mask, table: str, column: str, reason: str,
              label: str | None = None) -> pd.DataFrame:
    """The rows of ``frame`` under ``mask`` as quarantine records (:data:`QUARANTINE_COLUMNS`):
    their file and row, the column and raw value at fault, the reason.

    An order line joined to its header (``_header_row`` present) is reported at the header's
    file and row when the fault is in a header column (customer id, order date).
    """
    rows = frame.loc[mask]
    value = (rows[column].astype("string") if column in rows
             else pd.Series(pd.NA, index=rows.index, dtype="string"))
    source_file, source_row = rows["_source_file"], rows["_source_row"]
    if "_header_row" in rows and column in ("customer_id", "order_date"):
        source_file, source_row, table = rows["_header_file"], rows["_header_row"], "orders"
    return pd.DataFrame({
        "table": table, "source_file": source_file.astype("string"),
        "source_row": source_row.astype("Int64"), "column": label or column,
        "value": value, "reason": reason,
    })
