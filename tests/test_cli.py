"""The command line: bad input gives one clear line and exit code 2, never a traceback."""

import subprocess
import sys
import zipfile

import pytest

from analysis.config import PROJECT_ROOT


def run_cli(*args, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True,
                          cwd=cwd or PROJECT_ROOT, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def assert_clean_error(code, err, *fragments):
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("错误")]
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("month", ["2026-13", "2026/10", "Oct"])
def test_unknown_month_format(month, tmp_path):
    code, _, err = run_cli("run", "--month", month, "--out", str(tmp_path / "o"))
    assert_clean_error(code, err, "YYYY-MM", month)


def test_unknown_parameter_name(tmp_path):
    extra = tmp_path / "p.yml"
    extra.write_text("rfm:\n  window_monts: 6\n", encoding="utf-8")
    code, _, err = run_cli("run", "--month", "2026-10", "--params", str(extra), "--out", str(tmp_path / "o"))
    assert_clean_error(code, err, "rfm.window_monts", "rfm.window_months")
    code, _, err = run_cli("run", "--month", "2026-10", "--set", "nope=1", "--out", str(tmp_path / "o"))
    assert_clean_error(code, err, "未知参数「nope」")


def test_missing_data_folder(tmp_path):
    code, _, err = run_cli("run", "--month", "2026-10", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"))
    assert_clean_error(code, err, "nowhere")
    assert not (tmp_path / "o").exists()


def test_missing_subcommand_or_option_is_one_line():
    code, _, err = run_cli("run")
    assert_clean_error(code, err, "--month")


def _batch_error(tmp_path, files):
    data = tmp_path / "raw"
    data.mkdir()
    for name, content in files.items():
        (data / name).write_bytes(content)
    code, _, err = run_cli("run", "--month", "2026-10", "--data", str(data), "--out", str(tmp_path / "o"))
    return code, err


@pytest.mark.slow
@pytest.mark.parametrize("files, fragments", [
    ({"订单.csv": b""}, ["订单.csv"]),
    ({"订单.csv": "客户ID,下单日期,金额\n".encode()}, ["订单.csv"]),
    ({"客户.csv": "客户ID,客户名称\nC1,张三\n".encode()}, ["订单"]),
    ({"订单.csv": "客户ID,金额\nC1,100\n".encode()}, ["订单.csv", "order_date", "客户ID"]),
    ({"订单.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600}, ["订单.xlsx"]),
], ids=["empty-file", "header-only", "no-orders-table", "required-column-missing", "password-protected-xlsx"])
def test_bad_input_files(tmp_path, files, fragments):
    code, err = _batch_error(tmp_path, files)
    assert_clean_error(code, err, *fragments)


@pytest.mark.slow
def test_corrupt_xlsx(tmp_path):
    broken = tmp_path / "b.xlsx"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("nothing.txt", "not a workbook")
    code, err = _batch_error(tmp_path, {"订单.xlsx": broken.read_bytes()})
    assert_clean_error(code, err, "订单.xlsx")


# ----------------------------------------------------------------------------- paths checked up front

def _raw_folder(tmp_path):
    data = tmp_path / "raw"
    data.mkdir()
    (data / "订单.csv").write_text("客户编号,下单日期,金额\nC1,2024-03-15,100\n", encoding="utf-8")
    return data


def assert_before_any_notebook(code, out, err, *fragments):
    assert_clean_error(code, err, *fragments)
    assert "[1/" not in out  # the runner logs each notebook as it starts


@pytest.mark.parametrize("where, fragments", [
    # Tests run as root, for whom permissions do not block writing: a regular file on the
    # path, and /proc, are unwritable for everyone.
    (lambda tmp: tmp / "note.txt" / "out", ["note.txt", "是一个文件，不是文件夹"]),
    (lambda tmp: tmp / "note.txt", ["note.txt", "已存在的文件"]),
    (lambda tmp: "/proc/insight-kit-out", ["/proc/insight-kit-out", "无法写入输出目录"]),
], ids=["under-a-file", "is-a-file", "proc"])
def test_unwritable_out_is_one_line_before_any_notebook(tmp_path, where, fragments):
    data = _raw_folder(tmp_path)
    (tmp_path / "note.txt").write_text("x", encoding="utf-8")
    code, out, err = run_cli("run", "--month", "2026-10", "--data", str(data), "--out", str(where(tmp_path)))
    assert_before_any_notebook(code, out, err, *fragments)
    assert (tmp_path / "note.txt").read_text(encoding="utf-8") == "x"


def test_data_that_is_a_file_is_one_line_before_any_notebook(tmp_path):
    data = _raw_folder(tmp_path) / "订单.csv"
    code, out, err = run_cli("run", "--month", "2026-10", "--data", str(data), "--out", str(tmp_path / "o"))
    assert_before_any_notebook(code, out, err, "订单.csv", "是一个文件，不是文件夹")
    assert not (tmp_path / "o").exists()


# ----------------------------------------------------------------------------- words

def test_error_location_and_report_name_follow_the_language():
    from pathlib import Path

    from analysis.errors import InputError
    from analysis.runner import report_path
    from analysis.vocab import language

    error = InputError("日期无法解析", file="orders.csv", row=12, column="下单日期")
    assert str(error) == "orders.csv 第12行 列「下单日期」: 日期无法解析"
    assert report_path(Path("out"), "2026-10") == Path("out") / "客户分析报告_2026-10.html"
    with language("en"):
        error = InputError("date not readable", file="orders.csv", row=12, column="order date")
        assert str(error) == 'orders.csv row 12 column "order date": date not readable'
        assert report_path(Path("out"), "2026-10").name == "customer_report_2026-10.html"
