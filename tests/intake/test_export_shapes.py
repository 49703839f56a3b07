"""Whole exports in the shapes Chinese SME systems write, from file to each customer's spend.

Each fixture is a small file written the way a POS, pharmacy or ERP system exports it; the
expected spend is worked out by hand beside the rows.
"""

import openpyxl
import pandas as pd
import pytest

from analysis.intake.read import load_raw_data
from analysis.steps.clean import clean_all
from analysis.steps.segment import compute_rfm

AS_OF = pd.Timestamp("2018-12-31")


def _spend_and_last(folder, params=None):
    raw = load_raw_data(folder)
    result = clean_all(raw.tables, AS_OF, params or {}, raw.sources)
    rfm = compute_rfm(result.orders, result.customers, AS_OF).set_index("customer_id")
    return raw, result, rfm


def test_pharmacy_sales_in_gbk_with_weekday_dates_and_a_title_row(tmp_path):
    text = ("XX大药房销售明细（2018年1月）\n"
            "会员卡号,销售日期,商品编码,商品名称,销售数量,零售价,实收金额\n"
            "V001,2018-01-01 星期一,Y1,阿莫西林胶囊,2,15.5,28.00\n"     # paid 28 (a discount), not 31
            "V001,2018-01-05 星期五,Y2,板蓝根颗粒,1,12,12.00\n"
            "V002,2018-01-05 星期五,Y3,维生素C,3,8,24.00\n"
            "V002,2018-02-29 星期四,Y3,维生素C,1,8,8.00\n"             # no such day: 日期不存在
            "合计,,,,6,,72.00\n")
    (tmp_path / "销售明细.csv").write_bytes(text.encode("gbk"))
    raw, result, rfm = _spend_and_last(tmp_path)
    assert raw.sources[0].encoding == "GBK" and raw.sources[0].header_row == 2
    assert rfm.loc["V001", "total_spend"] == 40.0 and rfm.loc["V002", "total_spend"] == 24.0
    assert rfm.loc["V001", "last_order_date"] == pd.Timestamp("2018-01-05")
    reasons = result.quarantine.set_index("source_row")["reason"].to_dict()
    assert reasons == {6: "日期不存在", 7: "合计行"}
    row = result.accounting.set_index("table").loc["orders"]
    assert (row.rows_in, row.kept, row.quarantined) == (5, 3, 2)
    assert row.amount_source.startswith("金额取自列「实收金额」")


def test_erp_order_header_and_lines_in_one_workbook(tmp_path):
    wb = openpyxl.Workbook()
    head = wb.active
    head.title = "销售订单表头"
    for r in [["单据编号", "客户编码", "单据日期", "单据状态"],
              ["XS001", "K01", "2018-03-01", "已审核"],
              ["XS002", "K02", "2018-03-02", "已审核"],
              ["XS003", "K01", "2018-03-09", "已作废"]]:
        head.append(r)
    lines = wb.create_sheet("销售订单明细")
    for r in [["单据编号", "存货编码", "存货名称", "数量", "含税单价", "折扣金额"],
              ["XS001", "A1", "螺栓", 100, 0.5, 5],        # 50 − 5 = 45
              ["XS001", "A2", "螺母", 100, 0.2, None],     # 20
              ["XS002", "A1", "螺栓", 10, 0.5, None],      # 5
              ["XS003", "A2", "螺母", 50, 0.2, None]]:     # void order: adds nothing
        lines.append(r)
    wb.save(tmp_path / "销售订单.xlsx")
    raw, result, rfm = _spend_and_last(tmp_path)
    assert {s.sheet: s.table for s in raw.sources} == {"销售订单表头": "orders",
                                                      "销售订单明细": "order_lines"}
    assert rfm.loc["K01", "total_spend"] == pytest.approx(65.0)
    assert rfm.loc["K02", "total_spend"] == pytest.approx(5.0)
    assert rfm.loc["K01", "orders"] == 1                    # XS003 was voided
    assert result.orders.loc[result.orders["order_id"] == "XS003", "is_cancelled"].all()


def test_pos_export_with_merged_member_cells_and_scientific_amounts(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in [["会员卡号", "交易时间", "小票号", "实收金额"],
              ["M9", "2018-06-01 10:02", "P1", "1.2E+02"],    # 120
              [None, "2018-06-01 10:02", "P1", "30"],          # merged member cell above
              ["M8", "2018-06-03 18:40", "P2", "0"]]:          # a free gift: still a purchase
        ws.append(r)
    ws.merge_cells("A2:A3")
    wb.save(tmp_path / "pos.xlsx")
    _, result, rfm = _spend_and_last(tmp_path)
    assert rfm.loc["M9", "total_spend"] == 150.0 and rfm.loc["M9", "orders"] == 1
    assert rfm.loc["M8", "last_order_date"] == pd.Timestamp("2018-06-03")
    assert result.checks["zero_amount_orders"] == 1
