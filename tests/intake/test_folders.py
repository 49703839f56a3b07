"""Folders and files as users leave them: stray files skipped with a note, merged cells filled.

Every fixture is written into tmp_path by the test itself.
"""

import io
import os
import random
import time

import openpyxl
import pytest

from analysis.errors import InputError
from analysis.intake.read import _error_cells, load_raw_data

ORDERS_CSV = "客户编号,下单日期,金额\nC1,2024-03-15,100\nC2,2024-03-16,50\n"


def _write(folder, name, content):
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def _notes_about(raw, name):
    return [note for note in raw.skipped if note.startswith(name)]


# ----------------------------------------------------------------------------- stray files

_LOG = "\n".join(f"2026-10-0{1 + i % 9} 08:00:{i % 60:02d} INFO 同步任务 第{i}步" for i in range(200))
# The header is looked for in the first 30 lines; a line after them with commas in it makes
# the rows of a free-text file longer than its "header".
_LOG_WITH_COMMAS = _LOG + "\n2026-10-09 08:01:00 WARN 重试, 第2次, 超时, 连接重置\n" + _LOG
_RNG = random.Random(7)


@pytest.mark.parametrize("name, content, reason", [
    ("同步日志.txt", _LOG, "未识别为任何表"),
    ("run.log.txt", _LOG_WITH_COMMAS, "不像数据表格"),
    ("random.csv", bytes(_RNG.getrandbits(8) for _ in range(200_000)), "无法识别文件编码"),
    ("ascii_binary.csv", bytes(_RNG.getrandbits(7) for _ in range(50_000)), "控制字符"),
    ("one_line.csv", b"x," * 600_000, "前 1 MB 内没有换行"),
    ("产品目录.csv", "产品编号,产品名称,规格\nP1,螺丝,M3\nP2,螺母,M3\n", "未识别为任何表"),
    ("empty.csv", b"", "0 字节"),
    ("blank.txt", b"\r\n  \n\n", "只有空行"),
    ("空导出.csv", "客户编号,下单日期,金额\n", "只有表头"),
    ("empty.xlsx", b"", "0 字节"),
])
def test_stray_file_beside_the_orders_is_skipped_with_a_note(tmp_path, name, content, reason):
    _write(tmp_path, "订单.csv", ORDERS_CSV)
    _write(tmp_path, name, content)
    raw = load_raw_data(tmp_path)
    assert raw.tables["orders"]["customer_id"].tolist() == ["C1", "C2"]
    notes = _notes_about(raw, name)
    assert len(notes) == 1 and reason in notes[0] and notes[0].endswith("已跳过"), raw.skipped


def test_empty_workbook_beside_the_orders_is_skipped(tmp_path):
    _write(tmp_path, "订单.csv", ORDERS_CSV)
    openpyxl.Workbook().save(tmp_path / "新建工作簿.xlsx")
    raw = load_raw_data(tmp_path)
    assert any("新建工作簿.xlsx: 工作簿是空的" in note for note in raw.skipped)


def test_header_only_sheet_beside_a_sheet_of_orders(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "9月"
    wb.active.append(["客户编号", "下单日期", "金额"])
    wb.create_sheet("10月").append(["客户编号", "下单日期", "金额"])
    wb["10月"].append(["C9", "2024-10-01", 9])
    wb.save(tmp_path / "订单.xlsx")
    raw = load_raw_data(tmp_path)
    assert raw.tables["orders"]["customer_id"].tolist() == ["C9"]
    assert "订单.xlsx[9月]: 只有表头、没有数据行，已跳过" in raw.skipped


@pytest.mark.parametrize("content", [
    b"x" * (50 * 2 ** 20),                                  # one line, no line break at all
    b"\xe5\xae\xa2\xe6\x88\xb7," * (50 * 2 ** 20 // 7) + b"\n",  # one endless header line
])
def test_50_mb_one_line_file_is_rejected_fast(tmp_path, content):
    _write(tmp_path, "订单.csv", ORDERS_CSV)
    _write(tmp_path, "export.csv", content)
    start = time.perf_counter()
    raw = load_raw_data(tmp_path)
    elapsed = time.perf_counter() - start
    assert any(n.startswith("export.csv: 不是表格：50.0 MB") for n in raw.skipped), raw.skipped
    assert elapsed < 2, f"{elapsed:.2f} s"


def test_header_wider_than_excel_is_not_read(tmp_path):
    _write(tmp_path, "订单.csv", ORDERS_CSV)
    _write(tmp_path, "wide.csv", "c," * 20_000 + "\n" + "1," * 20_000 + "\n")
    raw = load_raw_data(tmp_path)
    assert any("wide.csv 第1行: 不是正常的表格：表头行有 20001 列" in n for n in raw.skipped)


# ----------------------------------------------------------------------------- when it must stop

@pytest.mark.parametrize("content, message", [
    (b"", "文件是空的（0 字节）"),
    ("客户编号,下单日期,金额\n", "只有表头，没有数据行"),
    (_LOG_WITH_COMMAS, "不像数据表格"),
])
def test_unreadable_file_stops_the_run_when_nothing_else_offers_orders(tmp_path, content, message):
    _write(tmp_path, "客户.csv", "客户编号,姓名,手机\nC1,甲,13800000000\n")
    _write(tmp_path, "订单.csv", content)
    with pytest.raises(InputError) as err:
        load_raw_data(tmp_path)
    text = str(err.value)
    assert text.startswith("订单.csv") and message in text and "没有其他文件提供订单表" in text


def test_only_file_keeps_its_own_error(tmp_path):
    _write(tmp_path, "export.csv", b"x" * (2 * 2 ** 20))
    with pytest.raises(InputError) as err:
        load_raw_data(tmp_path)
    assert str(err.value) == ("export.csv: 不是表格：2.0 MB 的内容在前 1 MB 内没有换行（单行导出、"
                              "只有表头或二进制文件）")


def test_every_file_unusable_names_the_first_and_counts_the_rest(tmp_path):
    _write(tmp_path, "a.csv", b"")
    _write(tmp_path, "b.txt", b"\n\n")
    _write(tmp_path, "c.csv", bytes(range(256)) * 40)
    with pytest.raises(InputError) as err:
        load_raw_data(tmp_path)
    assert str(err.value).startswith("a.csv: 文件是空的（0 字节）")
    assert "另有 2 个文件同样无法使用：b.txt、c.csv" in str(err.value)


def test_file_named_in_params_stops_the_run(tmp_path):
    _write(tmp_path, "订单.csv", ORDERS_CSV)
    _write(tmp_path, "客户.csv", b"")
    with pytest.raises(InputError, match=r"^客户\.csv: 文件是空的（0 字节）$"):
        load_raw_data(tmp_path, files={"customers": "客户.csv"})


def test_orders_named_in_params_others_are_never_needed(tmp_path):
    _write(tmp_path, "o.csv", ORDERS_CSV)
    _write(tmp_path, "订单_旧.csv", b"")
    raw = load_raw_data(tmp_path, files={"orders": "o.csv"})
    assert "订单_旧.csv: 文件是空的（0 字节），已跳过" in raw.skipped


def test_broken_row_in_a_table_of_ours_still_stops_the_run(tmp_path):
    # Not a stray file: an orders export with an unquoted thousands separator loses a row.
    _write(tmp_path, "订单.csv", ORDERS_CSV)
    _write(tmp_path, "订单2.csv", "客户编号,下单日期,金额\nC3,2024-03-17,1,200\n")
    with pytest.raises(InputError, match=r"订单2\.csv 第2行.*4 个字段"):
        load_raw_data(tmp_path)


def test_sources_keep_plain_paths(tmp_path):
    _write(tmp_path, "订单.csv", ORDERS_CSV)
    raw = load_raw_data(tmp_path)
    assert type(raw.sources[0].path) is type(tmp_path)


# ----------------------------------------------------------------------------- merged cells

def test_merged_cells_in_the_body_filled_down_with_excel_row_numbers(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    rows = [
        ["2024年3月订单"],                                   # 1  title, merged A1:D1
        ["客户编号", "下单日期", "金额", "产品"],               # 2  header
        ["C001", "2024-03-01", 10, "螺丝"],                  # 3  C001 merged A3:A5, date B3:B4
        [None, None, 20, "螺母"],                            # 4
        [None, "2024-03-02", 30, "垫片"],                    # 5
        ["C002", "2024-03-05", 40, "螺丝"],                  # 6  C002 merged A6:A8
        [None, "2024-03-06", 50, "螺母"],                    # 7
        [None, None, None, None],                            # 8  blank: not made into a row
        ["C003", "2024-03-07", 60, "垫片"],                  # 9  amount merged C9:D9 (across only)
    ]
    for row in rows:
        ws.append(row)
    for ref in ("A1:D1", "A3:A5", "B3:B4", "A6:A8", "C9:D9"):
        ws.merge_cells(ref)
    wb.save(tmp_path / "订单.xlsx")
    raw = load_raw_data(tmp_path)
    orders = raw.tables["orders"]
    assert orders["customer_id"].tolist() == ["C001", "C001", "C001", "C002", "C002", "C003"]
    assert orders["order_date"].tolist() == ["2024-03-01", "2024-03-01", "2024-03-02",
                                             "2024-03-05", "2024-03-06", "2024-03-07"]
    assert orders["amount"].tolist() == ["10", "20", "30", "40", "50", "60"]
    assert orders["_source_row"].tolist() == [3, 4, 5, 6, 7, 9]
    assert "订单.xlsx: 3 个合并单元格已向下填充（列：客户编号、下单日期）" in raw.skipped


def test_merged_header_cells_are_not_filled(tmp_path):
    # A two-row header reads its parents from the blanks that merging leaves.
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["客户编号", "下单日期", "金额", None], [None, None, "实付", "应付"],
                ["C1", "2024-03-01", 90, 100]):
        ws.append(row)
    for ref in ("A1:A2", "B1:B2", "C1:D1"):
        ws.merge_cells(ref)
    wb.save(tmp_path / "订单.xlsx")
    raw = load_raw_data(tmp_path)
    assert raw.sources[0].column_map["实付金额"] == "amount"
    assert raw.tables["orders"]["_source_row"].tolist() == [3]
    assert not any("合并单元格" in note for note in raw.skipped)


def test_error_cells_found_across_read_chunks():
    cut = 2 ** 20  # the scanner reads 1 MB at a time
    cell = b'<x:c r="AB12" s="3" t="e"><x:f>VLOOKUP(A12,B:C,2,0)</x:f><x:v>#N/A</x:v></x:c>'
    head = b"<worksheet><sheetData>" + b" " * (cut - 10 - len(b"<worksheet><sheetData>"))
    xml = head + cell + b'<c r="C3" t="e"><v>#REF!</v></c><c r="D3" t="n"><v>1</v></c>'
    assert xml.index(cell) < cut < xml.index(cell) + len(cell)   # cut in two by a chunk
    # AB = 28th column, row 12 -> 0-based (11, 27)
    assert _error_cells(io.BytesIO(xml)) == [(11, 27, "#N/A"), (2, 2, "#REF!")]
    assert _error_cells(io.BytesIO(b'<sheetData><c r="A1" t="s"><v>0</v></c></sheetData>')) == []
