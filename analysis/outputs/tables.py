"""Tables of step results shaped for people: a few rows picked for the report, personal data
masked (:mod:`analysis.outputs.privacy`), headers in the run's language.

Customers are shown by their alias (:func:`analysis.outputs.privacy.mask_names` with their
customer ID, e.g. ``王**（C0123）``), the same alias the ``_脱敏`` workbooks show.

* :func:`top_warnings` — the churn-warned customers with the most at stake
  (:mod:`analysis.steps.churn`; labels ``churn.top.*``).
* :func:`masked_plan_preview` — the first rows of the per-customer plan
  (:func:`analysis.steps.strategy.customer_plan`; headers ``column.*``, ``strategy.preview.*``).
"""

from __future__ import annotations

import pandas as pd

from analysis.outputs.privacy import mask_contacts, mask_names
from analysis.vocab import text, texts

__all__ = ["top_warnings", "masked_plan_preview"]


def _col(key: str) -> str:
    """A workbook column's header in the run's language (analysis/vocab/workbooks.yml)."""
    return text(f"column.{key}")


def top_warnings(churn: pd.DataFrame, segments: pd.DataFrame, customers: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The first ``n`` customers of the warning list in its own order (risk × value rank, see
    :func:`analysis.steps.churn.churn_warnings`; without a rank: most predicted value, then
    history), masked for sharing: each customer by alias (``王**（C0123）``), no contact data.
    Column labels:
    ``texts("churn.top")``; the model columns appear when the model ran."""
    frame = (churn[churn["churn_warning"]]
             .merge(segments[["customer_id", "tier", "total_spend"]], on="customer_id", how="left")
             .merge(customers[["customer_id"] + (["name"] if "name" in customers else [])],
                    on="customer_id", how="left"))
    order = ["risk_value_rank"] if "risk_value_rank" in frame else []
    by = order + [c for c in ["predicted_clv", "total_spend"] if c in frame] + ["customer_id"]
    frame = frame.sort_values(by, ascending=[True] * len(order) + [False] * (len(by) - len(order) - 1) + [True],
                              na_position="last").head(n)
    label = texts("churn.top")
    out = {
        label["customer"]: _aliases(frame),
        label["tier"]: frame["tier"], label["total_spend"]: frame["total_spend"],
    }
    for column in ["p_no_purchase", "p_alive", "expected_next_purchase", "predicted_clv"]:
        if column in frame and frame[column].notna().any():
            out[label[column]] = frame[column]
    out[label["warning_reason"]] = frame["warning_reason"]
    return pd.DataFrame(out).reset_index(drop=True)


def _aliases(frame: pd.DataFrame) -> pd.Series:
    """Each row's customer alias, from its name (``customer_name`` as the plan carries it, or
    the customer table's ``name``; blank when the data has none) and ID."""
    column = next((c for c in ["customer_name", "name"] if c in frame), None)
    names = frame[column] if column else pd.Series(pd.NA, index=frame.index, dtype="string")
    return mask_names(names, ids=frame["customer_id"])


def masked_plan_preview(plan: pd.DataFrame, customers: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The first ``n`` plan rows per the plan's order, customers by alias and their phone (else
    e-mail) masked (for the report)."""
    # The plan may carry name and contact itself; the customer table fills in what it lacks.
    missing = [c for c in ["name", "phone", "email"] if c in customers and c not in plan
               and not (c == "name" and "customer_name" in plan)]
    head = plan.head(n).merge(customers[["customer_id"] + missing], on="customer_id", how="left")
    contact = pd.Series(pd.NA, index=head.index, dtype="string")
    for column in ["phone", "email"]:
        if column in head:
            contact = contact.fillna(head[column].astype("string"))
    out = pd.DataFrame({
        _col("tier"): head["tier"],
        text("strategy.preview.customer"): _aliases(head),
        _col("contact"): mask_contacts(contact),
        _col("features"): head["features"], _col("next_action"): head["next_action"],
        _col("owner"): head["owner"], _col("due_date"): head["due_date"].dt.strftime("%Y-%m-%d"),
    })
    return out
