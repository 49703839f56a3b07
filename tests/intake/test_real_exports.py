"""Real public exports nobody on this project wrote (../shared/data/real/, see its README).

The kit reads them through the normal intake with no parameters; every figure is checked
against what plain pandas computes from the raw file.
"""

import os

import pandas as pd
import pytest

from analysis.steps.clean import clean_all
from analysis.config import PROJECT_ROOT
from analysis.intake.read import load_raw_data
from analysis.steps.segment import compute_rfm

REAL = PROJECT_ROOT.parent / "shared" / "data" / "real"
RETAIL = REAL / "online_retail.csv.gz"

pytestmark = pytest.mark.skipif(not RETAIL.is_file(), reason=f"{RETAIL} not present")


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    folder = tmp_path_factory.mktemp("online_retail")
    os.symlink(RETAIL, folder / RETAIL.name)    # read in place, never copied into the project
    raw = load_raw_data(folder)
    as_of = pd.Timestamp("2011-12-31")
    result = clean_all(raw.tables, as_of, {}, raw.sources)
    rfm = compute_rfm(result.orders, result.customers, as_of)
    return raw, result, rfm


@pytest.fixture(scope="module")
def plain():
    """The same figures with plain pandas, straight from the raw file."""
    df = pd.read_csv(RETAIL, dtype=str, keep_default_na=False)
    n_rows = len(df)
    copies = int(df.duplicated().sum())
    no_customer = int((df["CustomerID"] == "").sum())
    with_customer = df[df["CustomerID"] != ""]
    copies_with_customer = int(with_customer.duplicated().sum())
    # full-row copies dropped: the file has invoice numbers
    with_customer = with_customer.drop_duplicates().copy()
    with_customer["amount"] = (with_customer["Quantity"].astype(float)
                               * with_customer["UnitPrice"].astype(float))
    spend = with_customer.groupby("CustomerID")["amount"].sum()   # C-invoices are negative: netted
    return {"rows": n_rows, "copies": copies, "no_customer": no_customer,
            "copies_with_customer": copies_with_customer, "spend": spend}


def test_every_customers_spend_equals_quantity_times_price_netted(retail, plain):
    _, _, rfm = retail
    got = rfm.set_index("customer_id")["total_spend"]
    expected = plain["spend"]
    assert sorted(got.index) == sorted(expected.index)
    diff = (got.reindex(expected.index) - expected).abs()
    assert diff.max() < 1e-6, diff.sort_values().tail()
    assert got.sum() == pytest.approx(expected.sum(), abs=1e-4)


def test_the_row_account_closes_on_the_file(retail, plain):
    raw, result, _ = retail
    row = result.accounting.set_index("table").loc["orders"]
    assert row["rows_in"] == plain["rows"] == 541_909
    assert row["rows_in"] == row["kept"] + row["quarantined"] + row["merged_or_duplicate"]
    # copies among the lines without a customer are quarantined first (缺少客户ID)
    reasons = result.quarantine["reason"].value_counts().to_dict()
    assert reasons == {"缺少客户ID": plain["no_customer"]} == {"缺少客户ID": 135_080}
    assert row["merged_or_duplicate"] == plain["copies_with_customer"]
    assert plain["copies"] == 5_268
    assert row["amount_source"] == "金额 = 「Quantity」×「UnitPrice」"


def test_cancellation_invoices_are_flagged_and_lines_of_one_invoice_are_one_order(retail):
    _, result, rfm = retail
    orders = result.orders
    cancelled = orders[orders["order_id"].str.startswith("C")]
    assert len(cancelled) and cancelled["is_cancelled"].all() and (cancelled["amount"] < 0).all()
    assert not orders.loc[~orders["order_id"].str.startswith("C"), "is_cancelled"].any()
    # F counts invoices: customer 12347 has 7 invoices in the file, 182 lines
    row = rfm.set_index("customer_id").loc["12347"]
    assert row["orders"] == 7
