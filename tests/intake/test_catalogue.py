"""Catalogue of malformed inputs: what the kit does with each kind of bad export.

Each case writes its file(s) into ``tmp_path`` and expects one of two outcomes:

(a) a clear error — :func:`analysis.intake.read.load_raw_data` raises a ``KitError`` whose single-line
    message names the file (and the row / column where there is one); or
(b) cleaned — intake and :func:`analysis.steps.clean.clean_all` succeed, every bad row sits in the
    quarantine table with its reason and the row number the user sees in the file, the good
    rows keep the expected values, and the row account closes for every table with
    ``rows_in`` equal to the number of data rows written.

Row numbers are worked out by hand in the comments beside each fixture line: a CSV line
counts from 1 with the header as a line, quoted line breaks included; Excel rows are the
sheet's row numbers.
"""

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from analysis.steps.clean import clean_all
from analysis.errors import KitError
from analysis.intake.read import load_raw_data

AS_OF = pd.Timestamp("2026-10-31")


# ----------------------------------------------------------------------------- helpers

def _write(folder, name, text, encoding="utf-8"):
    path = folder / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def _xlsx(folder, name, sheets, merges=None):
    """sheets: {sheet name: rows}; merges: {sheet name: ["A1:D1", ...]}."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        for cells in (merges or {}).get(title, []):
            ws.merge_cells(cells)
    path = folder / name
    wb.save(path)
    return path


def _error(folder, *fragments) -> str:
    """Outcome (a): the one-line message of the KitError, checked for each fragment."""
    with pytest.raises(KitError) as err:
        load_raw_data(folder)
    message = str(err.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def _clean(folder, rows_written: dict):
    """Outcome (b): intake + cleaning; the row account closes at the rows written per table."""
    raw = load_raw_data(folder)
    result = clean_all(raw.tables, AS_OF, {})
    account = result.accounting.set_index("table")
    assert sorted(account.index) == sorted(rows_written)
    for table, n in rows_written.items():
        line = account.loc[table]
        assert line["rows_in"] == n, table
        assert line["rows_in"] == line["kept"] + line["quarantined"] + line["merged_or_duplicate"]
    return raw, result


def _quarantined(result, table="orders"):
    """(file, row, reason) of the table's quarantined rows, in file order."""
    q = result.quarantine[result.quarantine["table"] == table]
    q = q.sort_values(["source_file", "source_row"])
    return [(f, int(r), why) for f, r, why in q[["source_file", "source_row", "reason"]].values]


def _dates(orders):
    return orders["order_date"].dt.strftime("%Y-%m-%d").tolist()


# ----------------------------------------------------------------------------- encodings

def test_gbk_csv(tmp_path):
    text = ("订单编号,客户编号,下单日期,实付金额,产品类别\n"   # line 1
            "D001,C1,2024-03-15,100,办公用品\n"                 # line 2
            "D002,C2,2024-03-16,250.5,劳保用品\n")              # line 3
    _write(tmp_path, "订单.csv", text, "gbk")
    raw, result = _clean(tmp_path, {"orders": 2})
    assert raw.sources[0].encoding == "GBK"
    orders = result.orders
    assert orders["category"].tolist() == ["办公用品", "劳保用品"]
    assert orders["amount"].tolist() == [100.0, 250.5]
    assert orders["_source_row"].tolist() == [2, 3]
    assert result.quarantine.empty


def test_gb18030_only_characters(tmp_path):
    # 𠀀 and 𠮷 (CJK extension B) exist in GB18030 but not in GBK.
    _write(tmp_path, "客户.csv", "客户编号,客户名称\nC1,𠀀记商行\nC2,𠮷野家\n", "gb18030")
    _write(tmp_path, "订单.csv", "客户编号,下单日期,金额\nC1,2024-03-01,10\nC2,2024-03-02,20\n")
    raw, result = _clean(tmp_path, {"customers": 2, "orders": 2})
    assert {s.path.name: s.encoding for s in raw.sources}["客户.csv"] == "GB18030"
    names = result.customers.set_index("customer_id")["name"]
    assert names["C1"] == "𠀀记商行" and names["C2"] == "𠮷野家"
    assert result.checks["orders_without_customer_record"] == 0


def test_utf8_with_bom(tmp_path):
    # The BOM must not stick to the first header ("\ufeff客户编号" would not be recognised).
    _write(tmp_path, "orders.csv", "客户编号,下单日期,金额\nC1,2024-03-01,10\n", "utf-8-sig")
    raw, result = _clean(tmp_path, {"orders": 1})
    assert raw.sources[0].encoding == "UTF-8 (BOM)"
    assert raw.sources[0].column_map["客户编号"] == "customer_id"
    assert result.orders["customer_id"].tolist() == ["C1"]


def test_utf16_tab_separated_unicode_text(tmp_path):
    # Excel "Unicode 文本 (*.txt)": UTF-16 LE with BOM, tabs, CRLF.
    text = ("客户编号\t下单日期\t金额\r\n"     # line 1
            "C1\t2024/3/15\t12.5\r\n"          # line 2
            "C2\t2024/3/16\t无\r\n")            # line 3: not a number
    _write(tmp_path, "导出.txt", text, "utf-16")
    raw, result = _clean(tmp_path, {"orders": 2})
    assert raw.sources[0].encoding == "UTF-16"
    assert _dates(result.orders) == ["2024-03-15"]
    assert result.orders["amount"].tolist() == [12.5]
    assert _quarantined(result) == [("导出.txt", 3, "金额不是数字")]


# ----------------------------------------------------------------------------- rows above the header

def test_csv_with_two_title_rows(tmp_path):
    text = ("2024年3月订单明细\n"                       # line 1: title
            "导出人：张三,导出时间：2024-04-01\n"        # line 2: second title line
            "客户编号,下单日期,金额\n"                   # line 3: header
            "C1,2024-03-01,10\n"                         # line 4
            "C2,2024-03-02,xx\n")                        # line 5: not a number
    _write(tmp_path, "orders.csv", text)
    raw, result = _clean(tmp_path, {"orders": 2})
    assert raw.sources[0].header_row == 3
    assert result.orders["_source_row"].tolist() == [4]
    assert _quarantined(result) == [("orders.csv", 5, "金额不是数字")]


def test_comment_line_before_header_is_a_title_row(tmp_path):
    # Decision: a "#" line above the header is treated like any title row, not as a comment
    # syntax — the header is still found by its column names, and line numbers count it.
    text = ("# exported by ERP, 2024-04-01\n"    # line 1
            "客户编号,下单日期,金额\n"             # line 2
            "C1,2024-03-01,10\n"                   # line 3
            "C2,2024-03-02,20\n")                  # line 4
    _write(tmp_path, "orders.csv", text)
    raw, result = _clean(tmp_path, {"orders": 2})
    assert raw.sources[0].header_row == 2
    assert result.orders["_source_row"].tolist() == [3, 4]
    assert result.orders["amount"].tolist() == [10.0, 20.0]


def test_xlsx_merged_title_and_blank_row_above_header(tmp_path):
    _xlsx(tmp_path, "orders.xlsx", {"订单": [
        ["2024年3月订单明细"],                                  # row 1, merged A1:D1
        [],                                                       # row 2
        ["订单编号", "客户编号", "下单日期", "金额"],              # row 3
        ["D1", "C1", dt.datetime(2024, 3, 1), 100],              # row 4
        ["D2", "C2", "下周", 50.5],                               # row 5: not a date
    ]}, merges={"订单": ["A1:D1"]})
    raw, result = _clean(tmp_path, {"orders": 2})
    assert raw.sources[0].header_row == 3
    assert result.orders["order_id"].tolist() == ["D1"]
    assert _dates(result.orders) == ["2024-03-01"]
    assert _quarantined(result) == [("orders.xlsx", 5, "日期无法解析")]


def test_xlsx_two_row_header_with_merged_parent(tmp_path):
    # "金额" merged over C1:D1 with "实付 | 应付" below; 客户编号 and 下单日期 merged down A1:A2,
    # B1:B2. Decision: the second row is part of the header — each sub-label is read with its
    # parent ("实付" under "金额" -> 实付金额), so amount is what was paid, 应付金额 is reported
    # as an unused duplicate, and the data starts at row 3.
    _xlsx(tmp_path, "orders.xlsx", {"Sheet1": [
        ["客户编号", "下单日期", "金额", None],                   # row 1
        [None, None, "实付", "应付"],                             # row 2
        ["C1", dt.datetime(2024, 3, 1), 90, 100],                # row 3
        ["C2", dt.datetime(2024, 3, 2), 45.5, 50],               # row 4
    ]}, merges={"Sheet1": ["A1:A2", "B1:B2", "C1:D1"]})
    raw, result = _clean(tmp_path, {"orders": 2})
    assert raw.sources[0].column_map == {"客户编号": "customer_id", "下单日期": "order_date",
                                         "实付金额": "amount"}
    assert raw.sources[0].unmapped == ["应付金额"]
    assert result.orders["amount"].tolist() == [90.0, 45.5]
    assert result.orders["_source_row"].tolist() == [3, 4]
    assert result.quarantine.empty


def test_csv_two_row_header_as_excel_saves_it(tmp_path):
    # The same sheet saved as CSV: merged cells become one filled cell and blanks.
    text = ("客户编号,下单日期,金额,\n"     # line 1
            ",,实付,应付\n"                  # line 2
            "C1,2024-03-01,90,100\n"         # line 3
            "C2,2024-03-02,45.5,50\n")       # line 4
    _write(tmp_path, "orders.csv", text)
    raw, result = _clean(tmp_path, {"orders": 2})
    assert raw.sources[0].column_map["实付金额"] == "amount"
    assert result.orders["amount"].tolist() == [90.0, 45.5]
    assert result.orders["_source_row"].tolist() == [3, 4]


# ----------------------------------------------------------------------------- blank and stray rows

def test_blank_rows_in_the_middle_and_at_the_end(tmp_path):
    text = ("客户编号,下单日期,金额\n"   # line 1
            "C1,2024-03-01,10\n"         # line 2
            "\n"                         # line 3: empty
            ",,\n"                       # line 4: empty cells
            "C2,2024-03-02,20\n"         # line 5
            "   \n"                      # line 6: spaces only
            "C3,2024-03-03,30\n"         # line 7
            "\n"                         # line 8
            ",,\n"                       # line 9
            "\n")                        # line 10
    _write(tmp_path, "orders.csv", text)
    _, result = _clean(tmp_path, {"orders": 3})   # blank lines are not data rows
    assert result.orders["_source_row"].tolist() == [2, 5, 7]
    assert result.orders["amount"].tolist() == [10.0, 20.0, 30.0]


def test_blank_rows_in_xlsx(tmp_path):
    _xlsx(tmp_path, "orders.xlsx", {"s": [
        ["客户编号", "下单日期", "金额"],            # row 1
        ["C1", dt.datetime(2024, 3, 1), 10],        # row 2
        [None, None, None],                          # row 3
        ["C2", dt.datetime(2024, 3, 2), 20],        # row 4
        [],                                          # row 5
        ["", " ", None],                             # row 6: blank text cells
    ]})
    _, result = _clean(tmp_path, {"orders": 2})
    assert result.orders["_source_row"].tolist() == [2, 4]


@pytest.mark.parametrize("totals_line", ["合计,,,360", "总计,,,360", "Total,,,360",
                                         ",合计,,360"])
def test_totals_row_at_the_bottom(tmp_path, totals_line):
    text = ("订单编号,客户编号,下单日期,金额\n"   # line 1
            "D1,C1,2024-03-01,100\n"             # line 2
            "D2,C2,2024-03-02,260\n"             # line 3
            f"{totals_line}\n")                  # line 4: the sum, not an order
    _write(tmp_path, "orders.csv", text)
    _, result = _clean(tmp_path, {"orders": 3})
    assert _quarantined(result) == [("orders.csv", 4, "合计行")]
    assert result.orders["amount"].sum() == 360.0


def test_totals_word_in_an_unmapped_first_column(tmp_path):
    text = ("序号,客户编号,下单日期,金额\n"   # line 1
            "1,C1,2024-03-01,100\n"          # line 2
            "2,C2,2024-03-02,260\n"          # line 3
            "合计,,,360\n")                   # line 4: 合计 in the unmapped 序号 column
    _write(tmp_path, "orders.csv", text)
    _, result = _clean(tmp_path, {"orders": 3})
    assert _quarantined(result) == [("orders.csv", 4, "合计行")]


# ----------------------------------------------------------------------------- bad values

def test_text_in_the_amount_column(tmp_path):
    text = ("客户编号,下单日期,金额\n"    # line 1
            "C1,2024-03-01,待定\n"        # line 2
            "C2,2024-03-02,面议\n"        # line 3
            "C3,2024-03-03,--\n"          # line 4: a dash placeholder means "no amount"
            "C4,2024-03-04,88\n")         # line 5
    _write(tmp_path, "orders.csv", text)
    _, result = _clean(tmp_path, {"orders": 4})
    assert _quarantined(result) == [("orders.csv", 2, "金额不是数字"),
                                    ("orders.csv", 3, "金额不是数字"),
                                    ("orders.csv", 4, "缺少金额")]
    assert result.quarantine.sort_values("source_row")["value"].tolist() == ["待定", "面议", "--"]
    assert result.orders["customer_id"].tolist() == ["C4"]


def test_excel_error_values(tmp_path):
    # openpyxl stores these strings as error cells (t="e"), as Excel does.
    _xlsx(tmp_path, "orders.xlsx", {"s": [
        ["客户编号", "下单日期", "金额"],               # row 1
        ["#N/A", dt.datetime(2024, 3, 1), 10],         # row 2
        ["C2", "#VALUE!", 20],                          # row 3
        ["C3", dt.datetime(2024, 3, 3), "#DIV/0!"],    # row 4
        ["#REF!", dt.datetime(2024, 3, 4), 5],         # row 5
        ["C5", dt.datetime(2024, 3, 5), "#N/A"],       # row 6
        ["C6", dt.datetime(2024, 3, 6), 60],           # row 7
    ]})
    wb = openpyxl.load_workbook(tmp_path / "orders.xlsx")
    assert wb["s"]["A2"].data_type == "e"
    _, result = _clean(tmp_path, {"orders": 6})
    assert _quarantined(result) == [("orders.xlsx", 2, "缺少客户ID"),
                                    ("orders.xlsx", 3, "缺少下单日期"),
                                    ("orders.xlsx", 4, "缺少金额"),
                                    ("orders.xlsx", 5, "缺少客户ID"),
                                    ("orders.xlsx", 6, "缺少金额")]
    # the error value is shown, so the user sees why the cell counts as empty
    values = result.quarantine.sort_values("source_row")["value"].tolist()
    assert values == ["#N/A", "#VALUE!", "#DIV/0!", "#REF!", "#N/A"]
    assert result.orders["customer_id"].tolist() == ["C6"]


def test_dates_in_many_forms(tmp_path):
    text = ("客户编号,下单日期,金额\n"       # line 1
            "C1,2024年3月15日,1\n"           # line 2
            "C2,2024/3/15,2\n"               # line 3
            "C3,20240315,3\n"                # line 4
            "C4,45366,4\n"                   # line 5: Excel serial in a CSV
            "C5,15/03/2024 08:26,5\n"        # line 6: day first (15 > 12)
            "C6,２０２４／３／１５,6\n"        # line 7: full-width
            "C7,2024-02-30,7\n"              # line 8: no such day -> 日期不存在
            "C8,3月15日,8\n")                # line 9: no year
    _write(tmp_path, "orders.csv", text)
    _, result = _clean(tmp_path, {"orders": 8})
    assert _dates(result.orders) == ["2024-03-15"] * 6
    assert result.orders["_source_row"].tolist() == [2, 3, 4, 5, 6, 7]
    assert _quarantined(result) == [("orders.csv", 8, "日期不存在"),
                                    ("orders.csv", 9, "日期无法解析")]


def test_full_width_digits_and_yuan_signs(tmp_path):
    text = ("客户编号,下单日期,金额\n"          # line 1
            "C1,2024-03-01,￥１，２３４．５０\n"  # line 2: full-width comma is not a delimiter
            "C2,2024-03-02,１２３\n"             # line 3
            "C3,2024-03-03,￥ 88元\n"            # line 4
            "C4,2024-03-04,RMB 1.2万\n"          # line 5
            "C5,2024-03-05,１２３ａ\n")          # line 6: not a number
    _write(tmp_path, "orders.csv", text)
    _, result = _clean(tmp_path, {"orders": 5})
    assert result.orders["amount"].tolist() == [1234.5, 123.0, 88.0, 12000.0]
    assert _quarantined(result) == [("orders.csv", 6, "金额不是数字")]


def test_negative_amounts_in_accounting_and_sign_forms(tmp_path):
    text = ("订单编号,客户编号,下单日期,金额\n"   # line 1
            "D1,C1,2024-03-01,200\n"              # line 2
            "D2,C1,2024-03-05,(56.00)\n"          # line 3
            "D3,C2,2024-03-06,-¥56\n"             # line 4
            "D4,C2,2024-03-07,¥-56.5\n"           # line 5
            'D5,C3,2024-03-08,"(1,200.00)"\n'     # line 6
            "D6,C3,2024-03-09,56-\n")             # line 7
    _write(tmp_path, "orders.csv", text)
    _, result = _clean(tmp_path, {"orders": 6})
    orders = result.orders
    assert orders["amount"].tolist() == [200.0, -56.0, -56.0, -56.5, -1200.0, -56.0]
    assert orders["is_return"].tolist() == [False] + [True] * 5
    assert result.checks["returns"] == 5


def test_customer_ids_stored_in_excel_as_floats(tmp_path):
    # Excel keeps every number as a float: 1001 is 1001.0 in the file and must match the
    # CSV's "1001".
    _xlsx(tmp_path, "客户.xlsx", {"客户": [
        ["客户编号", "客户名称"],      # row 1
        [1001.0, "甲公司"],            # row 2
        [1002.0, "乙"],                # row 3
    ]})
    _write(tmp_path, "订单.csv", "客户编号,下单日期,金额\n1001,2024-03-01,10\n1002,2024-03-02,20\n")
    _, result = _clean(tmp_path, {"customers": 2, "orders": 2})
    assert result.customers["customer_id"].tolist() == ["1001", "1002"]
    assert result.customers["in_customer_table"].all()
    assert result.checks["orders_without_customer_record"] == 0


def test_customer_ids_written_as_floats_in_csv(tmp_path):
    # pandas writes an id column holding blanks as floats: "1001.0" in the CSV.
    _write(tmp_path, "客户.csv", "客户编号,客户名称\n1001.0,甲公司\n,乙\n")
    _write(tmp_path, "订单.csv", "客户编号,下单日期,金额\n1001,2024-03-01,10\n")
    _, result = _clean(tmp_path, {"customers": 2, "orders": 1})
    assert _quarantined(result, "customers") == [("客户.csv", 3, "缺少客户ID")]
    assert result.customers["customer_id"].tolist() == ["1001"]
    assert result.checks["orders_without_customer_record"] == 0


# ----------------------------------------------------------------------------- delimiters and quoting

def test_semicolon_delimited(tmp_path):
    text = ("客户编号;下单日期;金额;产品类别\n"   # line 1
            "C1;2024-03-01;12.50;A类\n"           # line 2
            "C2;2024-03-02;7;B类\n")              # line 3
    _write(tmp_path, "orders.csv", text)
    _, result = _clean(tmp_path, {"orders": 2})
    assert result.orders["amount"].tolist() == [12.5, 7.0]
    assert result.orders["category"].tolist() == ["A类", "B类"]


def test_trailing_delimiter_on_every_row(tmp_path):
    text = ("客户编号,下单日期,金额,\n"   # line 1
            "C1,2024-03-01,10,\n"          # line 2
            "C2,2024-03-02,20,\n")         # line 3
    _write(tmp_path, "orders.csv", text)
    raw, result = _clean(tmp_path, {"orders": 2})
    assert raw.sources[0].unmapped == []      # the empty unnamed column is dropped
    assert result.orders["amount"].tolist() == [10.0, 20.0]


def test_quoted_fields_with_commas_and_line_breaks(tmp_path):
    text = ('订单编号,客户编号,下单日期,金额,备注\n'                 # line 1
            'D1,C1,2024-03-01,"1,234.50","送货上门, 周末"\n'       # line 2
            'D2,C2,2024-03-02,"2,000","第一行\n第二行\n第三行"\n'   # lines 3-5
            'D3,C3,2024-03-03,"abc, def",""\n'                    # line 6: not a number
            'D4,C4,2024-03-04,5,\n')                               # line 7
    _write(tmp_path, "orders.csv", text)
    _, result = _clean(tmp_path, {"orders": 4})
    assert result.orders["order_id"].tolist() == ["D1", "D2", "D4"]
    assert result.orders["_source_row"].tolist() == [2, 3, 7]
    assert result.orders["amount"].tolist() == [1234.5, 2000.0, 5.0]
    assert _quarantined(result) == [("orders.csv", 6, "金额不是数字")]


def test_unquoted_thousands_separator_is_an_error_naming_the_row(tmp_path):
    text = ("客户编号,下单日期,金额\n"    # line 1
            "C1,2024-03-01,10\n"          # line 2
            "C2,2024-03-02,1,200\n")      # line 3: four fields
    _write(tmp_path, "orders.csv", text)
    _error(tmp_path, "orders.csv", "第3行", "千分位")


# ----------------------------------------------------------------------------- headers

def test_header_with_spaces_and_full_width_brackets(tmp_path):
    text = ("  客户ＩＤ ,下单日期 ,金额（元）,【订单号】\n"   # line 1
            "C1,2024-03-01,10,D1\n")                        # line 2
    _write(tmp_path, "orders.csv", text)
    raw, result = _clean(tmp_path, {"orders": 1})
    assert raw.sources[0].column_map == {"客户ＩＤ": "customer_id", "下单日期": "order_date",
                                         "金额（元）": "amount", "【订单号】": "order_id"}
    assert result.orders[["customer_id", "order_id"]].values.tolist() == [["C1", "D1"]]


def test_duplicated_amount_headers(tmp_path):
    # Decision: the leftmost 金额 is used, and the note says which column was used and which
    # was left out by position, since the names alone cannot tell them apart.
    text = ("客户编号,下单日期,金额,金额\n"   # line 1
            "C1,2024-03-01,100,90\n")         # line 2
    _write(tmp_path, "orders.csv", text)
    raw, result = _clean(tmp_path, {"orders": 1})
    assert result.orders["amount"].tolist() == [100.0]
    assert raw.sources[0].unmapped == ["金额"]
    assert any("orders.csv" in m and "第4列" in m and "第3列" in m for m in raw.skipped), raw.skipped


def test_amount_in_ten_thousands_is_not_taken_as_yuan(tmp_path):
    _write(tmp_path, "orders.csv", "客户编号,下单日期,金额(万元)\nC1,2024-03-01,1.5\n")
    _error(tmp_path, "orders.csv", "「金额(元)」(amount)", "金额(万元)")


# ----------------------------------------------------------------------------- tables and files

def test_only_interactions_file_no_orders(tmp_path):
    _write(tmp_path, "互动记录.csv", "客户ID,互动日期,互动类型\nC1,2024-03-01,咨询\n")
    _error(tmp_path, "没有找到订单表", "客户ID、下单日期、金额", "互动记录.csv → 互动记录表")


def test_minimum_orders_and_customer_ids_with_spaces(tmp_path):
    _write(tmp_path, "订单.csv", ("客户编号,下单日期,金额\n"   # line 1
                                 "C1,2024-03-01,10\n"         # line 2
                                 "C2,2024-03-02,20\n"         # line 3
                                 "C3,2024-03-03,30\n"))       # line 4
    _write(tmp_path, "客户.csv", ("客户编号,客户名称\n"         # line 1
                                 " C1 ,甲\n"                  # line 2
                                 "C2  ,乙\n"                  # line 3
                                 "  C4,丁\n"))                # line 4
    raw, result = _clean(tmp_path, {"customers": 3, "orders": 3})
    assert set(raw.tables["orders"].columns) == {"customer_id", "order_date", "amount",
                                                 "_source_file", "_source_row", "_row_key"}
    customers = result.customers.set_index("customer_id")
    assert sorted(customers.index) == ["C1", "C2", "C3", "C4"]
    assert customers.loc[["C1", "C2", "C4"], "in_customer_table"].all()
    assert not customers.loc["C3", "in_customer_table"]
    assert result.checks["orders_without_customer_record"] == 1   # C3 only
    assert result.orders["order_id"].tolist() == ["R2", "R3", "R4"]  # made from the rows


def test_empty_second_sheet(tmp_path):
    _xlsx(tmp_path, "book.xlsx", {
        "订单": [["客户编号", "下单日期", "金额"],           # row 1
                 ["C1", dt.datetime(2024, 3, 1), 10],       # row 2
                 ["C2", dt.datetime(2024, 3, 2), "n/a"]],   # row 3: a placeholder
        "Sheet2": [],
    })
    _, result = _clean(tmp_path, {"orders": 2})
    assert result.orders["_source_file"].tolist() == ["book.xlsx[订单]"]
    assert _quarantined(result) == [("book.xlsx[订单]", 3, "缺少金额")]


@pytest.mark.parametrize("name", ["订单.xls", "订单.xlsx"])
def test_legacy_xls(tmp_path, name):
    # A real .xls, and one renamed to .xlsx: both are OLE2 compound files.
    _write(tmp_path, name, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    _error(tmp_path, name, "另存为 .xlsx")


def test_legacy_xls_next_to_a_readable_orders_file(tmp_path):
    _write(tmp_path, "旧客户.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    _write(tmp_path, "订单.csv", "客户编号,下单日期,金额\nC1,2024-03-01,10\n")
    raw, _ = _clean(tmp_path, {"orders": 1})
    assert any(m.startswith("旧客户.xls:") and "另存为 .xlsx" in m for m in raw.skipped)
