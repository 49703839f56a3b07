"""The interim tables: every table one notebook hands to the next, named once, here.

Each :class:`Dataset` says which notebook writes it, who reads it and the columns its readers
rely on. Tables are read and written only through :func:`write_interim` /
:func:`read_interim`, which refuse a name that is not in :data:`DATASETS` and check the
columns on the way out — so a renamed column fails where it is written, not three notebooks
later. tests/test_catalog.py checks that every table written is read by someone and that the
notebooks use no name the catalogue lacks.

Files live in ``<run folder>/interim/<name>.parquet``; a run folder is self-contained.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.config import NOTEBOOK_ORDER
from analysis.errors import KitError
from analysis.vocab import text

__all__ = ["Dataset", "DATASETS", "write_interim", "read_interim", "INTERIM_PRODUCERS"]


@dataclass(frozen=True)
class Dataset:
    """One interim table."""

    name: str
    producer: str                  # the notebook that writes it
    consumers: tuple[str, ...]     # notebooks (and "report") that read it
    columns: tuple[str, ...]       # columns its readers rely on (more may be present)
    description: str
    optional: bool = False         # written only when its input exists


_C, _P, _S, _X, _T = ("01_cleaning", "02_profiling", "03_segmentation", "04_cross_analysis",
                      "05_strategy")
_ACCOUNT = ("table", "rows_in", "kept", "quarantined", "merged_or_duplicate", "closes")

DATASETS: dict[str, Dataset] = {d.name: d for d in [
    Dataset("customers", _C, (_P, _S, _X, _T), ("customer_id", "in_customer_table"),
            "The clean customer archive: one row per customer, orders-only customers included."),
    Dataset("orders", _C, (_P, _S, _X, _T, "report"),
            ("customer_id", "order_id", "order_date", "amount", "net_amount", "is_purchase",
             "is_cancelled", "is_return"),
            "Clean order rows (lines of one order share its order_id), typed and flagged."),
    Dataset("interactions", _C, (_X, _T), ("customer_id", "date", "kind", "event"),
            "Clean interactions; campaign messages split into channel × event.", optional=True),
    Dataset("surveys", _C, (_X, _T), ("customer_id", "date", "stars"),
            "Clean satisfaction answers on a 1–5 star scale.", optional=True),
    Dataset("quarantine", _C, (_T,), ("table", "source_file", "source_row", "column", "value",
                                      "reason"),
            "Every row set aside, with where it came from and why."),
    Dataset("merge_log", _C, (_T,), ("kept_id", "merged_ids", "n_merged", "matched_on"),
            "Duplicate customers merged into one."),
    Dataset("row_accounting", _C, (_T, "report"), _ACCOUNT,
            "Rows in = kept + quarantined + merged/duplicate, per table."),
    Dataset("quality", _C, (_T,), ("table", "field", "filled", "total", "completeness"),
            "Completeness of key fields against the target."),
    Dataset("quality_checks", _C, (_T,), ("check", "value"), "The other data-quality counts."),
    Dataset("segments", _S, (_X, _T, "report"),
            ("customer_id", "tier", "rfm_class", "value_band", "total_spend", "recency_days",
             "frequency", "monetary", "churn_risk"),
            "RFM, classes, value bands, tiers and clusters per customer."),
    Dataset("churn", _X, (_T, "report"), ("customer_id", "churn_warning", "warning_reason"),
            "Churn warnings (rule and model) and predicted value per customer."),
    Dataset("insights", _X, ("report",), ("insight",),
            "Business findings, one per customer attribute, most relevant first (the test behind "
            "each in evidence)."),
    Dataset("backtest_verdict", _X, ("report",), ("verdict", "headline"),
            "The backtest's one-sentence verdict on the churn warnings (notebook 04's and the "
            "executive summary's wording)."),
    Dataset("recommendations", _X, (_T,), ("customer_id", "recommended_category"),
            "Next category to offer each customer."),
    Dataset("plan", _T, (_T, "report"),
            ("customer_id", "tier", "owner", "next_action", "due_date", "control", "task_id"),
            "The month's action plan: one owned, dated task per customer (next month's loop "
            "reads it back)."),
    Dataset("lists_overview", _T, ("report",), (), "The automated target lists and their sizes."),
    Dataset("loop_completion", _T, ("report",), (), "Last month's tasks completed, per owner."),
    Dataset("loop_win_back", _T, ("report",), (), "Last month's win-back rate, treated vs control."),
]}

# Which notebook writes each table (kept for callers that only need that).
INTERIM_PRODUCERS = {name: d.producer for name, d in DATASETS.items()}


def _dataset(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"interim table {name!r} is not in analysis/catalog.py DATASETS") from None


def write_interim(frames: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Write each frame to ``folder/<name>.parquet`` (the folder is created); return the paths.

    Each name must be in :data:`DATASETS` and each frame carry the columns listed there.
    Each file is written under a temporary name and then renamed, so a failed run never
    leaves a half-written table for the next notebook.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> [p.name for p in write_interim({"insights": pd.DataFrame({"insight": ["x"]})}, folder)]
    ['insights.parquet']
    >>> read_interim(folder, "insights")["insight"].tolist()
    ['x']
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in frames.items():
        missing = [c for c in _dataset(name).columns if c not in frame.columns]
        if missing:
            raise ValueError(f"interim table {name!r} lacks the catalogued columns {missing}")
        path = folder / f"{name}.parquet"
        tmp = folder / f".{name}.parquet.tmp"
        try:
            frame.to_parquet(tmp, index=None)
        except Exception as err:  # pyarrow's type errors do not name the table
            tmp.unlink(missing_ok=True)
            raise TypeError(f"interim table {name!r} cannot be written to parquet: {err}") from err
        os.replace(tmp, path)
        paths.append(path)
    return paths


def read_interim(folder: Path, name: str, *, optional: bool = False,
                 columns: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame | None:
    """Read ``folder/<name>.parquet`` written by an earlier notebook.

    ``optional=True`` returns ``None`` for an absent table instead of raising — for tables
    that exist only when their input did (``interactions``, ``surveys``), or a previous
    month's folder. ``columns`` reads only those of the table's columns that it has (optional
    inputs may lack some), in the table's order: a per-order table is never loaded whole to
    keep a few columns.

    Raises
    ------
    KitError
        When the file is absent, naming it and the notebook that produces it.
    """
    producer = _dataset(name).producer
    path = Path(folder) / f"{name}.parquet"
    if not path.is_file():
        if optional:
            return None
        upto = NOTEBOOK_ORDER[:NOTEBOOK_ORDER.index(producer) + 1]
        present = sorted(p.stem for p in Path(folder).glob("*.parquet")) \
            if Path(folder).is_dir() else []
        have = text("catalog.error.present", tables=text("list.separator").join(present)) \
            if present else ""
        raise KitError(text("catalog.error.missing", path=path, producer=producer,
                            order=" → ".join(upto), present=have))
    if columns is not None:
        import pyarrow.parquet as pq

        wanted = set(columns)
        columns = [c for c in pq.read_schema(path).names if c in wanted]
    return pd.read_parquet(path, columns=columns)
