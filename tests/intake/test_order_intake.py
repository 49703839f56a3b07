"""Orders as real exports write them: invoice lines, duplicates, cancellations, header + lines
files, money columns, columns found by content, and the gate that stops an unusable run.

Every expectation is worked out by hand beside its fixture line (CSV lines count from 1 with
the header as line 1).
"""

import pandas as pd
import pytest

from analysis.config import PARAMS_DIR
from analysis.steps.clean import clean_all, checks_frame
from analysis.outputs.quality import quality_report
from analysis.errors import InputError, KitError
from analysis.intake.read import load_raw_data
from analysis.params import load_yaml
from analysis.steps.segment import compute_rfm

AS_OF = pd.Timestamp("2026-10-31")


def _write(folder, name, text, encoding="utf-8"):
    (folder / name).write_bytes(text.encode(encoding))


def _run(folder, params=None):
    raw = load_raw_data(folder)
    result = clean_all(raw.tables, AS_OF, params or {}, raw.sources)
    return raw, result


def _spend(result):
    rfm = compute_rfm(result.orders, result.customers, AS_OF)
    return rfm.set_index("customer_id")["total_spend"].to_dict()


def _account(result, table):
    row = result.accounting.set_index("table").loc[table]
    return (int(row.rows_in), int(row.kept), int(row.quarantined), int(row.merged_or_duplicate))


# ----------------------------------------------------------------------------- invoice lines

INVOICE = (
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    "536365,A1,LANTERN,6,2026-01-05 08:26:00,2.55,17850,United Kingdom\n"   # 2: 15.30
    "536365,B2,HEART,6,2026-01-05 08:26:00,2.55,17850,United Kingdom\n"     # 3: same amount, other product
    "536365,B2,HEART,6,2026-01-05 08:26:00,2.55,17850,United Kingdom\n"     # 4: exact copy of 3 -> dropped
    "536366,C3,MUG,2,2026-02-01 10:00:00,5.00,17850,United Kingdom\n"       # 5: 10.00
    "C536379,C3,MUG,-1,2026-02-02 09:00:00,5.00,17850,United Kingdom\n"     # 6: cancellation -5.00
    "536370,D4,GIFT,1,2026-03-01 12:00:00,0,12583,France\n"                 # 7: zero amount, a purchase
    "536371,E5,BOX,3,2026-03-02 12:00:00,1.5,,France\n"                     # 8: no customer -> quarantine
)


def test_invoice_lines_priced_as_quantity_times_unit_price(tmp_path):
    _write(tmp_path, "online_retail.csv", INVOICE)
    raw, result = _run(tmp_path)
    assert raw.sources[0].column_map == {
        "InvoiceNo": "order_id", "StockCode": "product_id", "Description": "product_name",
        "Quantity": "quantity", "InvoiceDate": "order_date", "UnitPrice": "unit_price",
        "CustomerID": "customer_id", "Country": "country"}
    assert _account(result, "orders") == (7, 5, 1, 1)
    spend = _spend(result)
    assert spend["17850"] == pytest.approx(15.30 + 15.30 + 10.00 - 5.00)
    assert spend["12583"] == 0.0
    orders = result.orders.set_index("_source_row")
    # the C-invoice is a cancellation netted against the earlier order
    assert orders.loc[6, ["is_cancelled", "net_amount", "is_purchase"]].tolist() == [True, -5.0, False]
    # a zero-amount line is a purchase: it sets the customer's dates and counts for F
    assert bool(orders.loc[7, "is_purchase"])
    rfm = compute_rfm(result.orders, result.customers, AS_OF).set_index("customer_id")
    assert rfm.loc["12583", "last_order_date"] == pd.Timestamp("2026-03-01")
    assert rfm.loc["17850", "orders"] == 2            # lines of one invoice are one order
    assert result.checks["zero_amount_orders"] == 1
    assert result.checks["duplicate_order_rows"] == 1
    assert result.accounting.set_index("table").loc["orders", "amount_source"] == \
        "金额 = 「Quantity」×「UnitPrice」"


def test_discount_column_is_taken_off_the_line(tmp_path):
    _write(tmp_path, "sales.csv", "会员卡号,销售日期,商品编码,销售数量,零售价,优惠金额\n"
                                  "V1,2026-05-01,P1,3,10,2\n"      # 3 × 10 − 2 = 28
                                  "V1,2026-05-02,P2,1,8.5,\n")     # no discount: 8.5
    _, result = _run(tmp_path)
    assert _spend(result) == {"V1": pytest.approx(36.5)}
    assert "− 「优惠金额」" in result.accounting.set_index("table").loc["orders", "amount_source"]


def test_paid_amount_wins_over_the_amount_due_and_is_stated(tmp_path):
    _write(tmp_path, "orders.csv", "客户编号,下单日期,订单号,应付金额,实付金额\n"
                                   "C1,2026-05-01,O1,100,90\n")
    raw, result = _run(tmp_path)
    assert raw.sources[0].column_map["实付金额"] == "amount"
    assert _spend(result) == {"C1": 90.0}
    source = result.accounting.set_index("table").loc["orders", "amount_source"]
    assert source.startswith("金额取自列「实付金额」") and "「应付金额」未使用" in source


# ----------------------------------------------------------------------------- duplicates

CDNOW_LIKE = ("客户编号,下单日期,金额\n"
              "1,2026-01-01,11.77\n"     # 2
              "1,2026-01-01,11.77\n"     # 3: identical, but no order number: a second purchase
              "2,2026-01-02,20\n")       # 4


def test_identical_rows_without_order_number_are_kept_as_suspected(tmp_path):
    _write(tmp_path, "orders.csv", CDNOW_LIKE)
    _, result = _run(tmp_path)
    assert _account(result, "orders") == (3, 3, 0, 0)
    assert _spend(result)["1"] == pytest.approx(23.54)
    assert result.checks["suspected_duplicate_rows"] == 1
    target = load_yaml(PARAMS_DIR / "base.yml")["cleaning"]["completeness_target"]
    report = quality_report(result.accounting, result.quality, checks_frame(result.checks),
                            result.quarantine, target)
    assert "订单表·疑似重复（保留）" in report["项目"].tolist()


@pytest.mark.parametrize("mode, kept, spend", [("always", 2, 11.77), ("never", 3, 23.54),
                                               ("auto", 3, 23.54)])
def test_drop_exact_duplicates_modes(tmp_path, mode, kept, spend):
    _write(tmp_path, "orders.csv", CDNOW_LIKE)
    _, result = _run(tmp_path, {"drop_exact_duplicates": mode})
    assert _account(result, "orders")[1] == kept
    assert _spend(result)["1"] == pytest.approx(spend)


def test_rows_differing_only_in_an_unrecognised_column_are_not_duplicates(tmp_path):
    _write(tmp_path, "orders.csv", "订单号,客户编号,下单日期,金额,备注\n"
                                   "O1,C1,2026-01-01,50,蓝色\n"
                                   "O1,C1,2026-01-01,50,红色\n"    # another line of O1
                                   "O1,C1,2026-01-01,50,红色\n")   # exact copy of line 3
    _, result = _run(tmp_path)
    assert _account(result, "orders") == (3, 2, 0, 1)
    assert _spend(result) == {"C1": 100.0}


def test_bad_duplicate_mode_is_a_params_error(tmp_path):
    _write(tmp_path, "orders.csv", CDNOW_LIKE)
    with pytest.raises(KitError, match="drop_exact_duplicates"):
        _run(tmp_path, {"drop_exact_duplicates": "sometimes"})


# ----------------------------------------------------------------------------- header + lines

HEADER = ("订单编号,客户编号,下单日期,订单状态\n"
          "SO1,C1,2026-03-01,已完成\n"        # 2
          "SO2,C2,2026-03-02,已完成\n"        # 3
          "SO3,C1,2026-03-05,已取消\n"        # 4: cancelled order: its lines add nothing
          "SO4,C3,2026-03-06,已完成\n"        # 5: no lines -> set aside
          ",C3,2026-03-07,已完成\n")          # 6: no order number -> set aside
LINES = ("订单编号,商品编码,商品名称,数量,单价,产品类别\n"
         "SO1,P1,螺丝,10,1.5,五金\n"          # 2: 15
         "SO1,P2,扳手,1,30,工具\n"            # 3: 30
         "SO2,P1,螺丝,4,1.5,五金\n"           # 4: 6
         "SO3,P2,扳手,2,30,工具\n"            # 5: cancelled
         "SO9,P2,扳手,1,30,工具\n")           # 6: order not in the header -> set aside


def test_order_header_and_lines_are_joined_by_order_number(tmp_path):
    _write(tmp_path, "销售订单表头.csv", HEADER)
    _write(tmp_path, "销售订单明细.csv", LINES)
    raw, result = _run(tmp_path)
    assert set(raw.tables) == {"orders", "order_lines"}
    assert _account(result, "orders") == (5, 3, 2, 0)
    assert _account(result, "order_lines") == (5, 4, 1, 0)
    assert _spend(result) == {"C1": 45.0, "C2": 6.0}
    rfm = compute_rfm(result.orders, result.customers, AS_OF).set_index("customer_id")
    assert rfm.loc["C1", "orders"] == 1                     # SO1's two lines are one order
    assert sorted(result.orders["category"].dropna().unique()) == ["五金", "工具"]
    q = result.quarantine.set_index(["table", "source_row"])["reason"].to_dict()
    assert q == {("orders", 5): "没有对应的订单明细", ("orders", 6): "缺少订单号（无法关联明细）",
                 ("order_lines", 6): "订单号在订单表中不存在"}
    assert "按订单号关联" in result.accounting.set_index("table").loc["order_lines", "amount_source"]


def test_a_bad_header_date_is_reported_at_the_header_row(tmp_path):
    _write(tmp_path, "订单表头.csv", "订单编号,客户编号,下单日期\nSO1,C1,2026-03-01\nSO2,C2,无\n")
    _write(tmp_path, "订单明细.csv", "订单编号,金额\nSO1,10\nSO2,20\nSO2,5\n")
    _, result = _run(tmp_path, {"max_quarantine_share": 1.0})
    bad = result.quarantine[result.quarantine["reason"] == "日期无法解析"]
    assert bad[["table", "source_file", "source_row", "column"]].drop_duplicates().values.tolist() == [
        ["orders", "订单表头.csv", 3, "下单日期"]]
    assert len(bad) == 2                                       # both lines of SO2
    assert _account(result, "order_lines") == (3, 1, 2, 0)


def test_payments_give_the_amount_paid(tmp_path):
    _write(tmp_path, "orders.csv", "order_id,customer_id,order_purchase_timestamp,order_status\n"
                                   "o1,c1,2026-02-01 10:00:00,delivered\n"
                                   "o2,c2,2026-02-03 11:00:00,delivered\n"
                                   "o3,c2,2026-02-04 11:00:00,canceled\n")   # no payment
    _write(tmp_path, "order_payments.csv", "order_id,payment_sequential,payment_type,payment_value\n"
                                           "o1,1,credit_card,50.5\n"
                                           "o1,2,voucher,10\n"
                                           "o2,1,boleto,20\n")
    _write(tmp_path, "order_items.csv", "order_id,order_item_id,product_id,price,freight_value\n"
                                        "o1,1,p1,55,5.5\no2,1,p2,18,2\n")
    raw, result = _run(tmp_path)
    assert {s.path.name: s.table for s in raw.sources} == {
        "orders.csv": "orders", "order_payments.csv": "payments", "order_items.csv": "order_lines"}
    assert _spend(result) == {"c1": 60.5, "c2": 20.0}
    assert _account(result, "orders") == (3, 2, 1, 0)
    assert _account(result, "payments") == (3, 3, 0, 0)


def test_header_without_any_money_names_what_is_missing(tmp_path):
    _write(tmp_path, "orders.csv", "订单编号,客户编号,下单日期\nSO1,C1,2026-03-01\n")
    with pytest.raises(InputError, match="「金额\\(元\\)」\\(amount\\)") as err:
        load_raw_data(tmp_path)
    assert "input: {column_map: {" in str(err.value)


# ----------------------------------------------------------------------------- headers

@pytest.mark.parametrize("header, expected", [
    ("InvoiceNo,InvoiceDate,Quantity,UnitPrice,CustomerID,StockCode,Description,Country",
     ["order_id", "order_date", "quantity", "unit_price", "customer_id", "product_id",
      "product_name", "country"]),
    ("Invoice,InvoiceDate,Qty,Price,Customer ID,SKU,Description,Country",
     ["order_id", "order_date", "quantity", "unit_price", "customer_id", "product_id",
      "product_name", "country"]),
    ("卡号,交易时间,商品编码,商品名称,销售数量,单价,实收金额",
     ["customer_id", "order_date", "product_id", "product_name", "quantity", "unit_price", "amount"]),
    ("会员卡号,消费时间,商品编码,商品名称,销售数量,零售价",
     ["customer_id", "order_date", "product_id", "product_name", "quantity", "unit_price"]),
    ("会员卡号,购买时间,实收金额", ["customer_id", "order_date", "amount"]),
    ("会员卡号,销售日期,实收金额", ["customer_id", "order_date", "amount"]),
])
def test_invoice_and_retail_headers_are_recognised(tmp_path, header, expected):
    n = len(header.split(","))
    row = ",".join(["2026-03-01" if i == expected.index("order_date") else "1"
                    for i in range(n)])
    _write(tmp_path, "export.csv", f"{header}\n{row}\n")
    raw = load_raw_data(tmp_path)
    assert raw.sources[0].table == "orders"
    assert list(raw.sources[0].column_map.values()) == expected


def test_the_only_money_column_is_used_by_content_and_said_so(tmp_path):
    _write(tmp_path, "orders.csv", "客户编号,下单日期,成交价款\n"
                                   "C1,2026-03-01,12.50\nC2,2026-03-02,8\nC1,2026-03-03,8\n")
    raw, result = _run(tmp_path)
    assert raw.sources[0].inferred == {"成交价款": "amount"}
    assert any("「成交价款」" in note and "按内容" in note for note in raw.skipped)
    assert _spend(result) == {"C1": 20.5, "C2": 8.0}


def test_the_only_date_column_is_used_by_content(tmp_path):
    _write(tmp_path, "orders.csv", "客户编号,单据时刻,金额\nC1,2026-03-01 星期日,5\nC2,2026/3/2,6\n")
    raw, result = _run(tmp_path)
    assert raw.sources[0].inferred == {"单据时刻": "order_date"}
    assert sorted(result.orders["order_date"].dt.strftime("%Y-%m-%d")) == ["2026-03-01", "2026-03-02"]


def test_two_candidate_money_columns_are_named_with_the_params_line(tmp_path):
    _write(tmp_path, "orders.csv", "客户编号,下单日期,价款甲,价款乙\nC1,2026-03-01,12.5,3.5\n"
                                   "C2,2026-03-02,8,2\n")
    with pytest.raises(InputError) as err:
        load_raw_data(tmp_path)
    msg = str(err.value)
    assert msg.startswith("orders.csv: ") and "「价款甲」、「价款乙」" in msg
    assert "input: {column_map: {价款甲: amount}}" in msg


# ----------------------------------------------------------------------------- the gate

def test_every_date_unreadable_stops_with_one_line_and_an_example(tmp_path):
    _write(tmp_path, "药店销售.csv", "会员卡号,销售日期,实收金额\n"
                                    "V1,十二月一日,5\nV2,十二月二日,6\n")
    with pytest.raises(InputError) as err:
        _run(tmp_path)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("药店销售.csv 第2行 列「销售日期」: 订单表没有可用的行")
    assert "输入 2 行，可用 0 行，隔离 2 行" in msg and "「日期无法解析」（2 行）" in msg
    assert "「十二月一日」" in msg


def test_all_dates_after_the_as_of_date_stop_the_run(tmp_path):
    _write(tmp_path, "orders.csv", "客户编号,下单日期,金额\nC1,2027-01-05,5\nC2,2027-02-01,6\n")
    with pytest.raises(InputError, match="日期晚于分析基准日.*--month"):
        _run(tmp_path)


def test_most_rows_set_aside_for_one_reason_stops_the_run(tmp_path):
    rows = "".join(f"C{i},2026-03-01,{'x' if i < 6 else 5}\n" for i in range(10))
    _write(tmp_path, "orders.csv", "客户编号,下单日期,金额\n" + rows)   # 6 of 10 not numbers
    with pytest.raises(InputError, match="60%.*金额不是数字"):
        _run(tmp_path)
    _, result = _run(tmp_path, {"max_quarantine_share": 0.7})       # the user may accept it
    assert _account(result, "orders") == (10, 4, 6, 0)


def test_control_characters_are_stripped_from_ids_and_counted(tmp_path):
    _write(tmp_path, "orders.csv", "客户编号,下单日期,金额\nC\x00001,2026-03-01,5\nC001,2026-03-02,6\n"
                                   "C\u200b002,2026-03-02,1\n")
    _, result = _run(tmp_path)
    assert _spend(result) == {"C001": 11.0, "C002": 1.0}
    assert result.checks["control_characters_removed"] == 2
