"""Intake: encodings, delimiters, header rows, aliases, table recognition, bad input.

Every fixture is written into tmp_path by the test itself; expected values are worked out
by hand from the bytes written.
"""

import datetime as dt
import hashlib
import zipfile

import openpyxl
import pandas as pd
import pytest

from analysis.errors import InputError, KitError, ParamsError
from analysis.intake.read import load_raw_data
from analysis.intake.schema import (
    ALIASES, REQUIRED, TABLES, canonical_for, column_label, normalise_header, table_disables,
    table_label,
)
from analysis.vocab import language

ORDERS_CSV = "订单编号,客户编号,下单时间,实付金额\nO1,C1,2024-03-15,100\nO2,C2,2024/3/16,\"1,200.50\"\n"


def _write(folder, name, text, encoding="utf-8"):
    path = folder / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def _xlsx(folder, name, sheets):
    """sheets: {sheet name: list of rows}; the first sheet replaces the default one."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    path = folder / name
    wb.save(path)
    return path


def _orders(tmp_path, **kw):
    return load_raw_data(tmp_path, **kw).tables["orders"]


# ----------------------------------------------------------------------------- encodings

@pytest.mark.parametrize("encoding, label", [
    ("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 (BOM)"), ("gbk", "GBK"), ("utf-16", "UTF-16"),
])
def test_csv_encodings(tmp_path, encoding, label):
    _write(tmp_path, "orders.csv", ORDERS_CSV, encoding)
    raw = load_raw_data(tmp_path)
    orders = raw.tables["orders"]
    assert orders["customer_id"].tolist() == ["C1", "C2"]
    assert orders["amount"].tolist() == ["100", "1,200.50"]
    assert raw.sources[0].encoding == label


def test_gb18030_only_characters(tmp_path):
    # 𠮷 is outside GBK: the file decodes only as GB18030.
    text = "客户编号,客户名称,下单日期,金额\nC1,𠮷野家,2024-01-01,5\n"
    _write(tmp_path, "x.csv", text, "gb18030")
    raw = load_raw_data(tmp_path)
    assert raw.sources[0].encoding == "GB18030"
    assert raw.tables["orders"]["amount"].tolist() == ["5"]


def test_utf16_tab_separated_unicode_text_from_excel(tmp_path):
    # Excel's "Unicode 文本" export: UTF-16 LE with BOM, tab-separated, .txt
    text = "客户编号\t下单日期\t金额\r\nC1\t2024/3/15\t12.5\r\n"
    _write(tmp_path, "导出.txt", text, "utf-16")
    orders = _orders(tmp_path)
    assert orders[["customer_id", "order_date", "amount"]].values.tolist() == [
        ["C1", "2024/3/15", "12.5"]]


@pytest.mark.parametrize("delim", [",", "\t", ";", "|"])
def test_delimiter_sniffed(tmp_path, delim):
    rows = [["客户ID", "下单日期", "金额", "备注"], ["C1", "2024-01-02", "1,5", "a;b|c"],
            ["C2", "2024-01-03", "7", ""]]
    # the other candidates appear inside fields (quoted where they are the delimiter)
    text = "\n".join(delim.join(f'"{c}"' if delim in c else c for c in r) for r in rows) + "\n"
    _write(tmp_path, "data.csv", text)
    orders = _orders(tmp_path)
    assert orders["amount"].tolist() == ["1,5", "7"]
    assert orders["customer_id"].tolist() == ["C1", "C2"]


# ----------------------------------------------------------------------------- aliases

@pytest.mark.parametrize("table, canonical, headers", [
    ("orders", "customer_id", ["客户ID", "客户编号", "客户号", "会员ID", "会员编号", "客户代码",
                               "CustomerID", "Customer ID", "cust_id", "cust_no", "client_id",
                               "buyer_id"]),
    ("orders", "order_date", ["下单日期", "下单时间", "购买日期", "订单日期", "交易日期", "成交日期",
                              "付款时间", "InvoiceDate", "order_date", "OrderDate", "date"]),
    ("orders", "amount", ["金额", "实付金额", "订单金额", "交易金额", "成交金额", "消费金额", "销售额",
                          "应付金额", "支付金额", "Amount", "Sales", "Revenue", "total",
                          "order_amount", "金额(元)", "金额（元）", "金额¥", "实付金额/元"]),
    ("orders", "order_id", ["订单编号", "订单号", "单号", "InvoiceNo", "order_id"]),
    ("orders", "category", ["产品类别", "商品分类", "品类", "category"]),
    ("orders", "channel", ["购买渠道", "渠道", "销售渠道", "channel"]),
    ("orders", "profit", ["毛利", "利润", "profit"]),
    ("orders", "status", ["订单状态", "状态", "status"]),
    ("customers", "customer_id", ["客户编号", "会员编号", "cust_no"]),
    ("customers", "name", ["客户名称", "姓名", "公司名称", "customer_name"]),
    ("customers", "phone", ["联系电话", "手机", "手机号", "电话", "联系方式", "mobile", "phone", "tel"]),
    ("customers", "email", ["电子邮箱", "邮箱", "email", "E-mail"]),
    ("customers", "industry", ["所属行业", "行业", "industry"]),
    ("customers", "province", ["省份", "省", "province"]),
    ("customers", "city", ["城市", "city"]),
    ("customers", "region", ["大区", "区域", "region"]),
    ("customers", "company_size", ["企业规模", "规模", "company_size"]),
    ("customers", "customer_type", ["客户类型", "customer_type"]),
    ("customers", "owner", ["客户经理", "负责人", "owner", "account_manager"]),
    ("customers", "register_date", ["注册日期", "注册时间", "register_date"]),
    ("customers", "birthday", ["生日", "出生日期", "birthday"]),
    ("customers", "preferred_channel", ["偏好渠道", "preferred_channel"]),
    ("customers", "marketing_consent", ["是否同意营销", "营销授权", "同意接收营销", "consent",
                                        "opt_in"]),
    ("customers", "unsubscribed", ["是否退订", "退订", "unsubscribed", "opt_out"]),
    ("customers", "referrals", ["推荐人数", "referrals"]),
    ("customers", "stated_total_spend", ["累计消费", "累计消费金额", "历史消费", "total_spend",
                                         "lifetime_value", "累计消费(元)"]),
    ("interactions", "customer_id", ["客户ID", "用户ID"]),
    ("interactions", "date", ["互动日期", "日期", "时间", "date"]),
    ("interactions", "type", ["互动类型", "行为类型", "事件类型", "type", "event"]),
    ("interactions", "channel", ["触达渠道", "渠道", "channel"]),
    ("interactions", "campaign_id", ["活动编号", "活动ID", "campaign_id", "campaign"]),
    ("surveys", "date", ["调查日期", "日期", "date"]),
    ("surveys", "score", ["满意度", "满意度评分", "评分", "星级", "score", "rating", "csat",
                          "满意度（1-5）"]),
    ("surveys", "comment", ["评价内容", "评价", "comment"]),
    ("surveys", "churn_reason", ["流失原因", "churn_reason"]),
])
def test_alias_families(table, canonical, headers):
    for header in headers:
        assert canonical_for(header, table) == canonical, header


def test_every_canonical_column_has_aliases_and_none_collide():
    for table, columns in TABLES.items():
        assert set(ALIASES[table]) == set(columns)
        seen = {}
        for column, spellings in ALIASES[table].items():
            assert spellings, (table, column)
            for spelling in spellings:
                key = normalise_header(spelling)
                assert seen.setdefault(key, column) == column, (table, spelling)


def test_labels_are_looked_up_when_asked_for():
    assert table_label("payments") == "订单支付表"
    assert column_label("orders", "amount") == "金额(元)"
    assert TABLES["customers"]["birthday"].disables == "生日关怀名单"
    assert TABLES["orders"]["amount"].disables == ""       # required: nothing to lose
    assert table_disables("surveys").startswith("满意度分析") and table_disables("payments") == ""
    with language("en"):
        assert table_label("payments") == "Order payments"
        assert column_label("orders", "amount") == "Amount (yuan)"
    for code in ("zh", "en"):   # every column has its words in the vocabulary
        with language(code):
            for table, columns in TABLES.items():
                assert table_label(table)
                for column in columns.values():
                    assert column.label and bool(column.disables) != column.required
    # REQUIRED is what the layout says, whatever the language
    assert REQUIRED["orders"] == ("customer_id", "order_date", "amount")
    assert REQUIRED["payments"] == ("order_id", "amount")


def test_header_normalisation():
    assert normalise_header("  Customer_ID ") == "customerid"
    assert normalise_header("ＣＵＳＴ　ＮＯ") == "custno"           # full-width letters and space
    assert normalise_header("累计消费（元）") == "累计消费"
    assert normalise_header("【实付金额】") == "实付金额"
    # a scale in the unit must not be dropped: 万元 is not 元
    assert canonical_for("金额(万元)", "orders") is None


def test_units_in_header_do_not_stop_mapping(tmp_path):
    _write(tmp_path, "a.csv", "客户编号,下单日期,订单金额(元),实付金额（元）\nC1,2024-01-01,10,9\n")
    raw = load_raw_data(tmp_path)
    # 实付金额 is listed before 订单金额: what was paid wins; the other is reported
    assert raw.tables["orders"]["amount"].tolist() == ["9"]
    assert raw.sources[0].column_map["实付金额（元）"] == "amount"
    assert any("订单金额(元)" in m and "实付金额（元）" in m for m in raw.skipped)


def test_same_header_twice_reported_by_position(tmp_path):
    _write(tmp_path, "a.csv", "客户编号,下单日期,金额,金额\nC1,2024-01-01,10,9\n")
    raw = load_raw_data(tmp_path)
    assert raw.tables["orders"]["amount"].tolist() == ["10"]
    assert "a.csv: 第4列「金额」与第3列「金额」是同一字段，使用第3列" in raw.skipped


# ----------------------------------------------------------------------------- header rows

def test_title_rows_in_csv_and_source_rows(tmp_path):
    text = ("订单明细导出（2024年3月）,,,\n"     # line 1: title
            ",,,\n"                              # line 2: empty cells
            "\n"                                 # line 3: blank
            "客户编号,下单时间,实付金额,备注\n"      # line 4: header
            "C1,2024-03-01,10,\n"                # line 5
            "\n"                                 # line 6: blank, dropped
            "C2,2024-03-02,20,\"两行\n备注\"\n"     # lines 7-8: quoted newline
            "C3,2024-03-03,30,x\n"               # line 9
            "合计,,60,\n")                        # line 10
    _write(tmp_path, "订单.csv", text)
    raw = load_raw_data(tmp_path)
    orders = raw.tables["orders"]
    assert raw.sources[0].header_row == 4
    assert orders["_source_row"].tolist() == [5, 7, 9, 10]
    assert orders["customer_id"].tolist() == ["C1", "C2", "C3", "合计"]
    assert orders["_source_file"].eq("订单.csv").all()
    assert raw.sources[0].n_rows == 4
    assert raw.sources[0].unmapped == ["备注"]


def test_source_rows_without_blank_lines_and_multiline_cells(tmp_path):
    text = ("订单导出,,,\n"                          # line 1
            "\n"                                   # line 2
            '"客户\n编号",下单时间,实付金额,备注\n'     # lines 3-4: header with a line break
            "C1,2024-03-01,10,\n"                   # line 5
            'C2,2024-03-02,20,"两行\n备注"\n'         # lines 6-7
            "C3,2024-03-03,30,x\r\n")                # line 8
    _write(tmp_path, "o.csv", text)
    raw = load_raw_data(tmp_path)
    orders = raw.tables["orders"]
    assert raw.sources[0].header_row == 3
    assert orders["customer_id"].tolist() == ["C1", "C2", "C3"]
    assert orders["_source_row"].tolist() == [5, 6, 8]
    assert raw.sources[0].unmapped == ["备注"]


def test_title_rows_in_xlsx_and_excel_values(tmp_path):
    _xlsx(tmp_path, "export_2024.xlsx", {"Sheet1": [
        ["互动记录导出（2024-01至2024-03）"],                                   # row 1 (merged)
        [],                                                                     # row 2
        ["客户ID", "互动日期", "互动类型", "触达渠道", "活动编号"],               # row 3
        ["C1", dt.datetime(2024, 3, 1, 9, 30), "咨询", "电话", "A1"],           # row 4
        [13812345678.0, dt.datetime(2024, 3, 2), "浏览", None, 12.0],          # row 5
        [],                                                                     # row 6
        ["C3", 45366, "投诉", True, 0.1 + 0.2],                                 # row 7
    ]})
    wb = openpyxl.load_workbook(tmp_path / "export_2024.xlsx")
    wb["Sheet1"].merge_cells("A1:E1")
    wb.save(tmp_path / "export_2024.xlsx")
    _write(tmp_path, "orders.csv", ORDERS_CSV)
    raw = load_raw_data(tmp_path)
    inter = raw.tables["interactions"]
    assert [s.header_row for s in raw.sources if s.table == "interactions"] == [3]
    assert inter["_source_row"].tolist() == [4, 5, 7]
    assert inter["customer_id"].tolist() == ["C1", "13812345678", "C3"]
    assert inter["date"].tolist() == ["2024-03-01 09:30:00", "2024-03-02", "45366"]
    assert inter["campaign_id"].tolist() == ["A1", "12", "0.3"]
    assert inter["channel"].isna().tolist() == [False, True, False]
    assert inter["channel"].iloc[2] == "TRUE"


def test_two_row_header_sub_labels_named_alone_or_with_parent(tmp_path):
    _xlsx(tmp_path, "客户.xlsx", {"s": [
        ["客户编号", "联系方式", None, "累计", None],   # row 1: 联系方式 over B:C, 累计 over D:E
        [None, "手机", "邮箱", "消费", "备注说明"],      # row 2
        ["C1", 13800000000, "a@b.cn", 5, "x"],          # row 3
    ]})
    _write(tmp_path, "o.csv", ORDERS_CSV)
    raw = load_raw_data(tmp_path)
    src = next(s for s in raw.sources if s.table == "customers")
    # known alone; known with the parent in front; neither -> "parent/sub", left unmapped
    assert src.column_map == {"客户编号": "customer_id", "手机": "phone", "邮箱": "email",
                              "累计消费": "stated_total_spend"}
    assert src.unmapped == ["累计/备注说明"]
    assert raw.tables["customers"]["_source_row"].tolist() == [3]


@pytest.mark.parametrize("body, rows", [
    ("C1,2024-03-01,90,100\n\nC2,2024-03-02,45.5,50\n", [3, 5]),       # blank line: pandas
    ("C1,2024-03-01,90,100,,\nC2,2024-03-02,45.5,50\n", [3, 4]),        # too long: ragged
])
def test_two_row_header_in_csv_on_every_parse_path(tmp_path, body, rows):
    _write(tmp_path, "o.csv", "客户编号,下单日期,金额,\n,,实付,应付\n" + body)
    raw = load_raw_data(tmp_path)
    orders = raw.tables["orders"]
    assert raw.sources[0].column_map["实付金额"] == "amount"
    assert orders["amount"].tolist() == ["90", "45.5"]
    assert orders["_source_row"].tolist() == rows


@pytest.mark.parametrize("second", [
    "ABC,张三,VIP",    # no column merged down: text under the unnamed column is data
    ",张三,",          # nothing under the unnamed column
    ",张三,2号",       # a digit: data
])
def test_text_row_below_header_is_data_not_a_second_header(tmp_path, second):
    _write(tmp_path, "o.csv", ORDERS_CSV)
    _write(tmp_path, "客户.csv", f"客户编号,姓名,\n{second}\n")
    raw = load_raw_data(tmp_path)
    src = next(s for s in raw.sources if s.table == "customers")
    assert src.header_row == 1 and src.column_map == {"客户编号": "customer_id", "姓名": "name"}
    assert raw.tables["customers"]["_source_row"].tolist() == [2]


def test_header_found_without_known_aliases_via_column_map(tmp_path):
    text = "报表\nkey,when,howmuch\nC1,2024-01-01,5\n"
    _write(tmp_path, "weird.csv", text)
    orders = _orders(tmp_path, column_map={"key": "customer_id", "when": "order_date",
                                           "howmuch": "amount"})
    assert orders["_source_row"].tolist() == [3]


# ----------------------------------------------------------------------------- recognition

def test_tables_recognised_by_columns_not_names(tmp_path):
    _write(tmp_path, "a.csv", "cust_no,InvoiceDate,Revenue,InvoiceNo\nC1,12/1/2010 8:26,5,I1\n")
    _write(tmp_path, "b.csv", "会员编号,姓名,手机号\nC1,张三,13800000000\n", "gbk")
    _write(tmp_path, "c.csv", "用户ID,时间,事件,渠道\nC1,2024-01-01,打开,短信\n")
    _write(tmp_path, "d.csv", "客户编号,日期,评分,反馈\nC1,2024-01-01,5,好\n")
    raw = load_raw_data(tmp_path)
    assert {s.path.name: s.table for s in raw.sources} == {
        "a.csv": "orders", "b.csv": "customers", "c.csv": "interactions", "d.csv": "surveys"}
    assert list(raw.tables["orders"].columns) == [
        "customer_id", "order_date", "amount", "order_id", "_source_file", "_source_row",
        "_row_key"]


def test_single_export_with_meaningless_name(tmp_path):
    _xlsx(tmp_path, "export_2024.xlsx", {"数据": [["客户编号", "成交日期", "成交金额"],
                                                 ["C1", "2024-01-01", 99.5]]})
    raw = load_raw_data(tmp_path)
    assert raw.tables["orders"]["amount"].tolist() == ["99.5"]
    assert raw.tables["orders"]["_source_file"].tolist() == ["export_2024.xlsx"]
    assert set(raw.tables) == {"orders"}


def test_every_sheet_read_and_same_table_concatenated(tmp_path):
    _xlsx(tmp_path, "book.xlsx", {
        "一月": [["客户编号", "下单日期", "金额"], ["C1", "2024-01-01", 1]],
        "二月": [["客户编号", "下单日期", "金额"], ["C2", "2024-02-01", 2], ["C3", "2024-02-02", 3]],
        "说明": [["本工作簿由系统导出"]],
    })
    _write(tmp_path, "more.csv", "客户编号,下单日期,金额,订单号\nC4,2024-03-01,4,X\n")
    raw = load_raw_data(tmp_path)
    orders = raw.tables["orders"]
    assert orders["customer_id"].tolist() == ["C1", "C2", "C3", "C4"]
    assert orders["_source_file"].tolist() == ["book.xlsx[一月]", "book.xlsx[二月]",
                                               "book.xlsx[二月]", "more.csv"]
    assert orders["_source_row"].tolist() == [2, 2, 3, 2]
    assert orders["order_id"].isna().tolist() == [True, True, True, False]
    assert any("book.xlsx[说明]" in m and "未识别" in m for m in raw.skipped)

    only = load_raw_data(tmp_path, excel_sheet="二月").tables["orders"]
    assert only["customer_id"].tolist() == ["C2", "C3", "C4"]


def test_xlsx_table_away_from_a1_keeps_excel_row_numbers(tmp_path):
    # Rows 1-2 and column A empty: positions are still Excel's (the header is row 3).
    wb = openpyxl.Workbook()
    ws = wb.active
    for ref, value in {"B3": "客户编号", "C3": "下单日期", "D3": "金额",
                       "B4": "C1", "C4": "2024-03-01", "D4": 5,
                       "B6": "C2", "C6": "2024-03-02", "D6": 7.5}.items():
        ws[ref] = value
    wb.save(tmp_path / "o.xlsx")
    raw = load_raw_data(tmp_path)
    assert raw.sources[0].header_row == 3
    orders = raw.tables["orders"]
    assert orders["_source_row"].tolist() == [4, 6]
    assert orders[["customer_id", "amount"]].values.tolist() == [["C1", "5"], ["C2", "7.5"]]


def test_xlsx_with_a_wrong_size_recorded_is_read_to_its_last_row(tmp_path):
    # Some writers record a sheet size (<dimension>) smaller than the cells they write.
    path = _xlsx(tmp_path, "o.xlsx", {"s": [["客户编号", "下单日期", "金额"],
                                            ["C1", "2024-03-01", 5], ["C2", "2024-03-02", 6],
                                            ["C3", "2024-03-03", 7]]})
    with zipfile.ZipFile(path) as src:
        members = {info.filename: src.read(info) for info in src.infolist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    assert b'<dimension ref="A1:C4"' in sheet
    members["xl/worksheets/sheet1.xml"] = sheet.replace(b'<dimension ref="A1:C4"',
                                                        b'<dimension ref="A1:C2"')
    with zipfile.ZipFile(path, "w") as out:
        for name, data in members.items():
            out.writestr(name, data)
    assert _orders(tmp_path)["customer_id"].tolist() == ["C1", "C2", "C3"]


def test_chart_sheet_passed_over_and_error_cells_kept_on_any_sheet(tmp_path):
    # An error cell (#N/A) is stored as an error, not text; the second sheet's XML is
    # sheet2.xml, and a chart sheet in between holds no cells.
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本工作簿由系统导出"])
    wb.create_chartsheet("图表")
    ws = wb.create_sheet("订单")
    for row in (["客户编号", "下单日期", "金额"], ["C1", "2024-03-01", "#N/A"],
                ["C2", "2024-03-02", 6]):
        ws.append(row)
    wb.save(tmp_path / "book.xlsx")
    with zipfile.ZipFile(tmp_path / "book.xlsx") as book:
        assert b'<c r="C2" t="e"><v>#N/A</v>' in book.read("xl/worksheets/sheet2.xml")
    raw = load_raw_data(tmp_path)
    orders = raw.tables["orders"]
    assert orders["amount"].tolist() == ["#N/A", "6"]
    assert orders["_source_file"].tolist() == ["book.xlsx[订单]"] * 2
    assert not any("图表" in note for note in raw.skipped)


def test_explicit_files_from_params(tmp_path):
    _write(tmp_path, "orders_old.csv", ORDERS_CSV)
    _write(tmp_path, "orders_new.csv", "客户编号,下单日期,金额\nC9,2024-05-01,9\n")
    raw = load_raw_data(tmp_path, files={"orders": "orders_new.csv"})
    assert raw.tables["orders"]["customer_id"].tolist() == ["C9"]
    assert any("orders_old.csv" in m and "input.files" in m for m in raw.skipped)

    # a list of files, and one file serving two tables
    _write(tmp_path, "wide.csv", "客户编号,客户名称,下单日期,金额\nC1,甲公司,2024-01-01,1\n")
    raw = load_raw_data(tmp_path, files={"orders": ["orders_new.csv", "wide.csv"],
                                         "customers": "wide.csv"})
    assert raw.tables["orders"]["customer_id"].tolist() == ["C9", "C1"]
    assert raw.tables["customers"]["name"].tolist() == ["甲公司"]


def test_explicit_file_errors(tmp_path):
    _write(tmp_path, "o.csv", ORDERS_CSV)
    with pytest.raises(InputError, match="nope.csv"):
        load_raw_data(tmp_path, files={"orders": "nope.csv"})
    with pytest.raises(ParamsError, match="sales"):
        load_raw_data(tmp_path, files={"sales": "o.csv"})
    with pytest.raises(InputError, match=r"o\.csv.*互动记录表.*「互动类型」\(type\)"):
        load_raw_data(tmp_path, files={"interactions": "o.csv"})


def test_column_map_override_wins(tmp_path):
    _write(tmp_path, "o.csv", "客户编号,下单日期,金额,成交额\nC1,2024-01-01,1,100\n")
    orders = _orders(tmp_path, column_map={"成交额": "amount"})
    assert orders["amount"].tolist() == ["100"]
    orders = _orders(tmp_path, column_map={"成交额": "orders.amount", "金额": None})
    assert orders["amount"].tolist() == ["100"]
    with pytest.raises(ParamsError, match="金钱"):
        load_raw_data(tmp_path, column_map={"成交额": "金钱"})


def test_column_map_with_user_headers(tmp_path):
    _write(tmp_path, "o.csv", "买家,付款日,实收\nC1,2024-01-01,1\n")
    with pytest.raises(InputError, match="没有找到订单表"):
        load_raw_data(tmp_path)
    orders = _orders(tmp_path, column_map={"买家": "customer_id", "付款日": "order_date",
                                           "实收": "amount"})
    assert orders[["customer_id", "order_date", "amount"]].values.tolist() == [
        ["C1", "2024-01-01", "1"]]


# ----------------------------------------------------------------------------- skipped

def test_skipped_messages(tmp_path):
    _write(tmp_path, "o.csv", "客户编号,下单日期,金额\nC1,2024-01-01,1\n")
    _write(tmp_path, "notes.csv", "标题,内容\n甲,乙\n")
    _write(tmp_path, "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    _write(tmp_path, "readme.pdf", b"%PDF")
    _write(tmp_path, ".hidden.csv", "x")
    _write(tmp_path, "~$o.xlsx", b"lock")
    raw = load_raw_data(tmp_path)
    text = "\n".join(raw.skipped)
    assert "notes.csv: 未识别为任何表（列：标题、内容）" in text
    assert "old.xls" in text and "请另存为 .xlsx 或 CSV" in text
    assert "readme.pdf" in text
    assert ".hidden" not in text and "~$" not in text
    for table in ("客户表", "互动记录表", "满意度调查表"):
        assert f"未找到{table}" in text
    assert "订单表没有「订单号」列——受影响：按订单号去重" in text
    assert "订单表没有「产品类别」列——" in text


def test_optional_table_missing_required_column_is_skipped(tmp_path):
    _write(tmp_path, "o.csv", ORDERS_CSV)
    _write(tmp_path, "互动.csv", "客户ID,互动日期,活动编号\nC1,2024-01-01,A\n")
    raw = load_raw_data(tmp_path)
    assert "interactions" not in raw.tables
    assert any("互动.csv" in m and "「互动类型」(type)" in m for m in raw.skipped)


def test_header_only_optional_table_is_skipped(tmp_path):
    _write(tmp_path, "o.csv", ORDERS_CSV)
    _write(tmp_path, "s.csv", "客户编号,调查日期,满意度评分\n")
    raw = load_raw_data(tmp_path)
    assert "surveys" not in raw.tables
    assert any("s.csv" in m and "只有表头" in m for m in raw.skipped)


def test_repeated_header_rows_dropped(tmp_path):
    text = "客户编号,下单日期,金额\nC1,2024-01-01,1\n客户编号,下单日期,金额\nC2,2024-01-02,2\n"
    _write(tmp_path, "o.csv", text)
    raw = load_raw_data(tmp_path)
    assert raw.tables["orders"]["_source_row"].tolist() == [2, 4]
    assert any("第 3 行是重复的表头" in m for m in raw.skipped)


def test_sources_frame(tmp_path):
    _write(tmp_path, "o.csv", ORDERS_CSV)
    frame = load_raw_data(tmp_path).sources_frame()
    assert list(frame.columns) == ["表", "文件", "工作表", "表头行", "编码", "数据行数", "已识别列",
                                   "未使用列"]
    assert frame.iloc[0][["表", "文件", "表头行", "数据行数"]].tolist() == ["订单表", "o.csv", 1, 2]


def test_sources_frame_and_notes_follow_the_language(tmp_path):
    _write(tmp_path, "o.csv", ORDERS_CSV)
    with language("en"):
        raw = load_raw_data(tmp_path)
        frame = raw.sources_frame()
    assert list(frame.columns) == ["Table", "File", "Sheet", "Header row", "Encoding", "Rows",
                                   "Columns recognised", "Columns not used"]
    assert frame.iloc[0]["Table"] == "Orders"
    assert "No Customers table found. Affects: customer profiles" in "\n".join(raw.skipped)
    assert 'Orders has no "Product category" column. Affects' in "\n".join(raw.skipped)


def test_input_error_in_english(tmp_path):
    _write(tmp_path, "orders.csv", "客户编号,金额,备注\nC1,1,x\n")
    with language("en"), pytest.raises(InputError) as err:
        load_raw_data(tmp_path)
    message = str(err.value)
    assert message.startswith("orders.csv: ")
    assert 'the required columns "Order date" (order_date) are missing' in message
    assert "columns in the file: 客户编号, 金额, 备注" in message
    assert "(add to the params file: input: {column_map: {备注: order_date}})" in message


def test_input_folder_untouched(tmp_path):
    _write(tmp_path, "o.csv", ORDERS_CSV)
    _xlsx(tmp_path, "x.xlsx", {"s": [["客户编号", "姓名"], ["C1", "甲"]]})
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    load_raw_data(tmp_path)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    assert before == after


def test_values_stay_text_untouched(tmp_path):
    _write(tmp_path, "o.csv", '客户编号,下单日期,金额\n 007 ,2024-01-01," ¥1,2"\n00123,x,NULL\n')
    orders = _orders(tmp_path)
    # typing is the cleaning step's job: spaces, leading zeros, placeholders all kept
    assert orders["customer_id"].tolist() == [" 007 ", "00123"]
    assert orders["order_date"].tolist() == ["2024-01-01", "x"]
    assert orders["amount"].tolist() == [" ¥1,2", "NULL"]
    assert orders.dtypes["customer_id"] == "str"


def test_excel_text_wrapper_in_csv_unwrapped(tmp_path):
    # ="..." keeps leading zeros when Excel opens the CSV; the user sees the inner text
    _write(tmp_path, "o.csv", '客户编号,下单日期,金额\n="0012",2024-01-01,5\n"=""13800000000""",x,1\n')
    assert _orders(tmp_path)["customer_id"].tolist() == ["0012", "13800000000"]


# ----------------------------------------------------------------------------- bad input

def test_missing_folder(tmp_path):
    with pytest.raises(InputError, match="数据文件夹不存在") as err:
        load_raw_data(tmp_path / "nowhere")
    assert "nowhere" in str(err.value)


def test_folder_without_readable_files(tmp_path):
    with pytest.raises(InputError, match="没有可读取的文件"):
        load_raw_data(tmp_path)
    _write(tmp_path, "a.xls", b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match=r"没有可读取的文件.*a\.xls.*另存为"):
        load_raw_data(tmp_path)


@pytest.mark.parametrize("name, content, message", [
    ("e.csv", b"", "0 字节"),
    ("b.csv", b"\r\n\n  \n", "只有空行"),
    ("h.csv", "客户编号,下单日期,金额\n\n".encode(), "只有表头"),
    ("e.xlsx", b"", "0 字节"),
])
def test_empty_and_header_only_files(tmp_path, name, content, message):
    _write(tmp_path, name, content)
    with pytest.raises(InputError, match=message) as err:
        load_raw_data(tmp_path)
    assert name in str(err.value)


def test_header_only_xlsx_orders(tmp_path):
    _xlsx(tmp_path, "o.xlsx", {"s": [["客户编号", "下单日期", "金额"]]})
    with pytest.raises(InputError, match=r"o\.xlsx: 只有表头"):
        load_raw_data(tmp_path)


def test_no_orders_table_lists_what_was_found(tmp_path):
    _write(tmp_path, "客户.csv", "客户编号,姓名,手机\nC1,甲,138\n")
    _write(tmp_path, "x.csv", "a,b\n1,2\n")
    with pytest.raises(InputError, match="没有找到订单表") as err:
        load_raw_data(tmp_path)
    assert "客户.csv → 客户表" in str(err.value) and "x.csv → 未识别" in str(err.value)


def test_required_column_missing_names_it_and_lists_columns(tmp_path):
    _write(tmp_path, "sales.csv", "订单编号,客户编号,下单时间,产品类别\nO1,C1,2024-01-01,A\n")
    with pytest.raises(InputError) as err:
        load_raw_data(tmp_path)
    msg = str(err.value)
    assert msg.startswith("sales.csv: ")
    assert "「金额(元)」(amount)" in msg
    assert "订单编号、客户编号、下单时间、产品类别" in msg


def test_encrypted_xlsx(tmp_path):
    # password-protected OOXML is an OLE2 compound file
    _write(tmp_path, "locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(InputError, match=r"locked\.xlsx.*密码"):
        load_raw_data(tmp_path)


@pytest.mark.parametrize("content", [b"PK\x03\x04garbage" * 10, b"hello, not a zip"])
def test_corrupt_xlsx(tmp_path, content):
    _write(tmp_path, "broken.xlsx", content)
    with pytest.raises(InputError, match=r"broken\.xlsx.*(损坏|不是有效)"):
        load_raw_data(tmp_path)


def test_undecodable_csv(tmp_path):
    _write(tmp_path, "bad.csv", b"a,b\n\x80\x80\xff\xfe\x81\n")
    with pytest.raises(InputError, match=r"bad\.csv.*编码"):
        load_raw_data(tmp_path)


def test_row_with_too_many_fields(tmp_path):
    text = "客户编号,下单日期,金额\nC1,2024-01-01,5\nC2,2024-01-02,1,200\n"
    _write(tmp_path, "o.csv", text)
    with pytest.raises(InputError, match=r"o\.csv 第3行.*4 个字段.*表头只有 3 个"):
        load_raw_data(tmp_path)


def test_trailing_empty_fields_are_fine(tmp_path):
    _write(tmp_path, "o.csv", "客户编号,下单日期,金额\nC1,2024-01-01,5,,\nC2,2024-01-02,6\n")
    orders = _orders(tmp_path)
    assert orders["_source_row"].tolist() == [2, 3]
    assert orders["amount"].tolist() == ["5", "6"]


# ----------------------------------------------------------------------------- row keys

def test_row_keys_match_exactly_the_rows_identical_in_every_cell():
    from analysis.intake.read import _row_keys

    long = "备注" + "x" * 80            # longer than 64 bytes: read in more than eight words
    rows = [
        ("O1", "C1", "2024-01-01", "100"),     # 0
        ("O1", "C1", "2024-01-01", "100"),     # 1: copy of 0
        ("O1", "C1 ", "2024-01-01", "100"),    # 2: a trailing space
        ("O1", "c1", "2024-01-01", "100"),     # 3: other case
        ("O1", "C1", "2024-01-01", "100.0"),   # 4: the same number written otherwise
        ("O1", "C1", "2024-01-01", None),      # 5: blank
        ("O1", "C1", "2024-01-01", ""),        # 6: empty text, not a blank
        ("O1", "C1", "2024-01-01", None),      # 7: copy of 5
        ("O1C1", "", "2024-01-01", "100"),     # 8: the same characters, split otherwise
        ("O1", "C1", "2024-01-01", "100"),     # 9: copy of 0
        ("O2", long, "2024-01-01", "100"),     # 10
        ("O2", long[:-1] + "y", "2024-01-01", "100"),  # 11: differs in the last byte only
        ("O2", long, "2024-01-01", "100"),     # 12: copy of 10
        ("O2", "C1", "2024-01-01", "１００"),   # 13: full-width digits
    ]
    frame = pd.DataFrame(rows, dtype="str")
    expected = [False, True, False, False, False, False, False, True, False, True,
                False, False, True, False]
    keys = _row_keys(frame)
    assert keys.dtype == "uint64" and keys.duplicated().tolist() == expected
    # The key of a row is its content's: a slice or two files read apart give the same keys.
    assert _row_keys(frame.iloc[3:]).tolist() == keys.iloc[3:].tolist()
    chunked = pd.concat([frame.iloc[:6], frame.iloc[6:]])
    assert _row_keys(chunked).tolist() == keys.tolist()
    assert _row_keys(frame.astype(object)).tolist() == keys.tolist()


def test_near_duplicate_order_lines_are_not_dropped(tmp_path):
    from analysis.steps.clean import clean_all

    _write(tmp_path, "orders.csv", "订单号,客户编号,下单日期,金额,备注\n"
                                   "O1,C1,2026-01-01,50,蓝色\n"      # 2
                                   "O1,C1,2026-01-01,50,蓝色 \n"     # 3: a trailing space
                                   "O1,C1,2026-01-01,50.0,蓝色\n"    # 4: 50.0 is other text
                                   "O1,c1,2026-01-01,50,蓝色\n"      # 5: other case
                                   "O1,C1,2026-01-01,50,\n"         # 6: blank note
                                   "O1,C1,2026-01-01,50,蓝色\n"      # 7: copy of 2 -> dropped
                                   "O1,C1,2026-01-01,50,\n")        # 8: copy of 6 -> dropped
    raw = load_raw_data(tmp_path)
    result = clean_all(raw.tables, pd.Timestamp("2026-10-31"), {}, raw.sources)
    assert result.checks["duplicate_order_rows"] == 2
    assert result.orders["_source_row"].tolist() == [2, 3, 4, 5, 6]


# ----------------------------------------------------------------------------- UTF-8 read in chunks

LONG_ORDERS = "客户编号,下单日期,金额,备注\n" + "".join(
    f"C{i},2024-03-{i % 28 + 1:02d},{i}.5,第{i}笔“备注”\n" for i in range(1, 40))


def test_utf8_is_checked_in_chunks_a_character_may_straddle_two(tmp_path, monkeypatch):
    from analysis.intake import read

    _write(tmp_path, "o.csv", LONG_ORDERS)
    whole = load_raw_data(tmp_path).tables["orders"]
    monkeypatch.setattr(read, "_CHECK_CHUNK", 7)          # cuts inside 3-byte characters
    monkeypatch.setattr(read, "_HEAD_CHARS", 60)          # the head: the first lines only
    got = load_raw_data(tmp_path)
    pd.testing.assert_frame_equal(got.tables["orders"], whole)
    assert got.sources[0].encoding == "UTF-8"
    assert got.tables["orders"]["amount"].tolist()[-1] == "39.5"


def test_a_bad_byte_after_a_utf8_bom_is_named_by_its_position(tmp_path, monkeypatch):
    from analysis.intake import read

    body = "客户编号,下单日期,金额\nC1,2024-03-01,10\n".encode()
    _write(tmp_path, "o.csv", b"\xef\xbb\xbf" + body + b"C2,2024-03-02,\xff\n")
    monkeypatch.setattr(read, "_CHECK_CHUNK", 5)
    # Counted from 0 after the BOM: the header (8 characters of 3 bytes, 3 commas or line
    # ends: 33 bytes), a line (17 bytes), then "C2,2024-03-02," (14 bytes): byte 64.
    assert len(body) == 50
    with pytest.raises(InputError, match="第 64 字节"):
        load_raw_data(tmp_path)


def test_a_utf8_file_whose_head_is_blank_is_not_called_empty(tmp_path, monkeypatch):
    from analysis.intake import read

    monkeypatch.setattr(read, "_HEAD_CHARS", 40)
    _write(tmp_path, "o.csv", "\n" * 60 + "客户编号,下单日期,金额\nC1,2024-03-01,10\n")
    with pytest.raises(InputError) as err:
        load_raw_data(tmp_path)
    assert "只有空行" not in str(err.value)        # text follows the blank head
    _write(tmp_path, "o.csv", " \n" * 60)
    with pytest.raises(InputError, match="只有空行"):
        load_raw_data(tmp_path)


def test_the_file_loop_can_be_wrapped(tmp_path):
    (tmp_path / "订单.csv").write_text("客户编号,下单日期,金额\nC1,2026-01-05,100\n", encoding="utf-8")
    (tmp_path / "客户.csv").write_text("客户编号,客户名称\nC1,甲\n", encoding="utf-8")
    seen = []
    raw = load_raw_data(tmp_path, each_file=lambda paths: (seen.append(p.name) or p for p in paths))
    assert sorted(seen) == ["客户.csv", "订单.csv"] and set(raw.tables) == {"customers", "orders"}
