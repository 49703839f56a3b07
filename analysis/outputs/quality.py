"""The cleaning step's results for people: the row account, completeness, the other checks
and the quarantine counted by reason as notebook 01 shows them, and the data-quality sheets of
客户基础信息表.

Display of :mod:`analysis.steps.clean`'s tables (``CleanResult.accounting``, ``quality``,
``checks``, ``quarantine``, ``merge_log`` or their interim copies); the step itself stays pure.
"""

from __future__ import annotations

import pandas as pd

from analysis.steps.clean import quarantine_labels
from analysis.vocab import text, texts

__all__ = [
    "accounting_display", "quarantine_summary", "quality_display", "checks_display",
    "quality_report", "quality_sheets",
]

# The merge log's columns, by header key (column.<key>, workbooks.yml).
_MERGE_HEADERS = ("kept_id", "merged_ids", "n_merged", "matched_on")

# Every label is looked up when the table is built, in the run's language: the table names
# (table.*), the key fields (clean.field.*) and the checks (clean.check.*).


def accounting_display(accounting: pd.DataFrame) -> pd.DataFrame:
    """The row account for people: 输入 = 保留 + 隔离 + 合并/重复, with the 疑似重复 rows kept
    and where an order table's amount came from (headers: ``clean.accounting_column.*``)."""
    labels = texts("clean.accounting_column")
    return pd.DataFrame({
        labels["table"]: accounting["table"].map(texts("table")),
        labels["rows_in"]: accounting["rows_in"], labels["kept"]: accounting["kept"],
        labels["quarantined"]: accounting["quarantined"],
        labels["merged_or_duplicate"]: accounting["merged_or_duplicate"],
        labels["suspected_duplicates"]: accounting.get("suspected_duplicates", 0),
        labels["closes"]: accounting["closes"].map({True: text("clean.accounting.balanced"),
                                                    False: text("clean.accounting.unbalanced")}),
        labels["amount_source"]: (accounting.get("amount_source", "").fillna("")
                                  if "amount_source" in accounting else ""),
    })


def quarantine_summary(quarantine: pd.DataFrame) -> pd.DataFrame:
    """Quarantined rows counted by table and reason (headers: ``clean.summary_column.*``)."""
    labels = texts("clean.summary_column")
    if quarantine.empty:
        return pd.DataFrame({labels["table"]: [], labels["reason"]: [], labels["rows"]: []})
    counts = quarantine.groupby(["table", "reason"]).size().rename(labels["rows"]).reset_index()
    counts["table"] = counts["table"].map(texts("table"))
    return (counts.rename(columns={"table": labels["table"], "reason": labels["reason"]})
            .sort_values(labels["rows"], ascending=False))


def quality_display(quality: pd.DataFrame) -> pd.DataFrame:
    """Completeness of key fields against the target (headers: ``clean.completeness_column.*``)."""
    labels = texts("clean.completeness_column")
    return pd.DataFrame({
        labels["table"]: quality["table"].map(texts("table")),
        labels["field"]: quality["field"].map(texts("clean.field")),
        labels["filled"]: quality["filled"], labels["total"]: quality["total"],
        labels["completeness"]: quality["completeness"],
        labels["meets_target"]: quality["meets_target"].map({True: "✔", False: "✘"}),
        labels["note"]: quality["note"],
    })


def checks_display(checks: dict, examples: dict | None = None) -> pd.DataFrame:
    """The other quality counts, labelled, with a few of the customers each found
    (``CleanResult.examples``; headers: ``clean.checks_column.*``)."""
    labels, names = texts("clean.checks_column"), texts("clean.check")
    examples = examples or {}
    separator = text("list.separator")
    rows = [{labels["check"]: names.get(k, k), labels["value"]: v,
             labels["examples"]: separator.join(examples.get(k, []))}
            for k, v in checks.items() if v is not None]
    return pd.DataFrame(rows)


# The columns of the data-quality sheet, by header key (column.<key>, workbooks.yml).
_QUALITY_HEADERS = ("category", "item", "value", "target", "met", "note")


def quality_report(accounting: pd.DataFrame, quality: pd.DataFrame, checks: pd.DataFrame,
                   quarantine: pd.DataFrame, target: float) -> pd.DataFrame:
    """The 数据质量报告 sheet: row accounting, completeness against the ``target`` share
    (``cleaning.completeness_target``), the other checks, and quarantined rows by reason —
    one line each, in the run's language."""
    tables, fields, check_names = texts("table"), texts("clean.field"), texts("clean.check")
    row_check, balanced = text("clean.quality.row_check"), text("clean.quality.balanced")
    rows = []
    for r in accounting.itertuples():
        label = tables.get(r.table, r.table)
        mine = quarantine[quarantine["table"] == r.table]["reason"].value_counts()
        reasons = text("clean.note_separator").join(f"{reason} {n:,}" for reason, n in mine.items())
        rows.append((row_check, label,
                     f"{r.rows_in:,} = {r.kept:,} + {r.quarantined:,} + {r.merged_or_duplicate:,}",
                     balanced, "✔" if r.closes else "✘",
                     text("clean.quality.row_rule")
                     + (text("clean.quality.quarantine_reasons", reasons=reasons) if reasons else "")))
        suspected = int(getattr(r, "suspected_duplicates", 0) or 0)
        if suspected:
            rows.append((row_check, text("clean.quality.suspected_item", table=label), f"{suspected:,}",
                         "", "", text("clean.quality.suspected_note")))
        source = getattr(r, "amount_source", "")
        if isinstance(source, str) and source:
            rows.append((text("clean.quality.amount_source"), label, "", "", "", source))
    for r in quality.itertuples():
        rows.append((text("clean.quality.completeness"),
                     f"{tables.get(r.table, r.table)}·{fields.get(r.field, r.field)}",
                     "—" if pd.isna(r.completeness) else f"{r.completeness:.1%}",
                     f"≥{target:.0%}", "✔" if r.meets_target else "✘",
                     r.note or f"{r.filled:,} / {r.total:,}"))
    notes = texts("clean.quality.check_note")
    for r in checks.itertuples():
        if pd.notna(r.value):
            rows.append((text("clean.quality.check"), check_names.get(r.check, r.check),
                         f"{int(r.value):,}", "", "", _check_note(notes.get(r.check, ""), r)))
    see_sheet = text("clean.quality.see_sheet", sheet=text("sheet.quarantine"))
    for r in quarantine_summary(quarantine).itertuples(index=False):
        rows.append((text("clean.quality.quarantine"), f"{r[0]}·{r[1]}", f"{r[2]:,}", "", "", see_sheet))
    return pd.DataFrame(rows, columns=[text(f"column.{key}") for key in _QUALITY_HEADERS])


def _check_note(note: str, check) -> str:
    """A check's note: what its count means, then a few of the customers it found (examples
    listed by :func:`analysis.steps.clean.checks_frame`), ``例：C1、C7 等`` when there are more."""
    examples = getattr(check, "examples", None)
    if not int(check.value) or examples is None or pd.isna(examples) or not examples:
        return note
    listed = len(str(examples).split(text("list.separator")))
    ids = text("clean.quality.examples" if listed >= int(check.value) else "clean.quality.more_examples",
               ids=examples)
    return text("clean.note_separator").join(part for part in (note, ids) if part)


def quality_sheets(accounting: pd.DataFrame, quality: pd.DataFrame, checks: pd.DataFrame,
                   quarantine: pd.DataFrame, merge_log: pd.DataFrame, target: float) -> dict:
    """The three quality sheets of 客户基础信息表 by sheet key, as
    :func:`analysis.outputs.workbooks.write_workbooks` takes them: ``quality_report``,
    ``quarantine`` and ``merges``, each frame's columns the sheet's headers (``column.*``) in
    the run's language."""
    labels = quarantine_labels()
    detail = quarantine.rename(columns=labels)
    detail[labels["table"]] = detail[labels["table"]].map(texts("table")).fillna(detail[labels["table"]])
    merges = merge_log.rename(columns={key: text(f"column.{key}") for key in _MERGE_HEADERS})
    return {"quality_report": quality_report(accounting, quality, checks, quarantine, target),
            "quarantine": detail, "merges": merges}
