"""Value parsers: every accepted form, worked out by hand."""

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.parse import DateOrderWarning, is_blank, parse_amounts, parse_bools, parse_dates

T = pd.Timestamp


def _one(value, **kw):
    return parse_dates(pd.Series([value], dtype=object), **kw).iloc[0]


# ----------------------------------------------------------------------------- dates

@pytest.mark.parametrize("text, expected", [
    ("2024-03-15", T("2024-03-15")),
    ("2024-03-15 08:26:07", T("2024-03-15 08:26:07")),
    ("2024-03-15T08:26", T("2024-03-15 08:26")),
    ("2024-03-15T08:26:00+08:00", T("2024-03-15 08:26")),   # offset dropped, wall time kept
    ("2024-03-15 08:26:07.250", T("2024-03-15 08:26:07.250")),
    ("2024-3-5", T("2024-03-05")),
    ("2024/3/15", T("2024-03-15")),
    ("2024/03/15 8:26", T("2024-03-15 08:26")),
    ("2024.3.15", T("2024-03-15")),
    ("20240315", T("2024-03-15")),
    ("20240315082600", T("2024-03-15 08:26:00")),
    ("2024年3月15日", T("2024-03-15")),
    ("2024年03月15日 14:05", T("2024-03-15 14:05")),
    ("2024/3/15 下午 2:30:00", T("2024-03-15 14:30")),
    ("2024/3/15 上午 12:10", T("2024-03-15 00:10")),
    ("２０２４／３／１５", T("2024-03-15")),                 # full-width
    ("  2024-03-15  ", T("2024-03-15")),
    ("15/03/2024 08:26", T("2024-03-15 08:26")),           # 15 > 12: day first
    ("3/15/2024 2:30 PM", T("2024-03-15 14:30")),          # 15 > 12: month first
    ("45366", T("2024-03-15")),                            # Excel serial: 45366 = 2024-03-15
    ("45366.75", T("2024-03-15 18:00")),
    ("15-Mar-2024", T("2024-03-15")),
])
def test_parse_dates_accepts_each_form(text, expected):
    assert _one(text) == expected


@pytest.mark.parametrize("text", [
    "2024-02-30", "2024-13-01", "2024-03-15 25:00", "2024", "abc", "", "  ", "3/15", "15/03/24",
    "10000", "99999", "0224-03-15", "13:00 PM", "20241340",
])
def test_parse_dates_gives_nat_for_unparseable(text):
    assert pd.isna(_one(text))


def test_parse_dates_numbers_and_objects():
    values = pd.Series([20240315, 45366, 45366.5, 2024, np.nan])
    got = parse_dates(values)
    assert got.dtype == "datetime64[ns]"
    assert got.tolist()[:3] == [T("2024-03-15"), T("2024-03-15"), T("2024-03-15 12:00")]
    assert got.isna().tolist() == [False, False, False, True, True]

    mixed = pd.Series([dt.date(2024, 3, 15), dt.datetime(2024, 3, 15, 8, 30),
                       T("2024-03-15 09:00", tz="Asia/Shanghai"), "2024/3/15", 20240315, None],
                      dtype=object, index=list("abcdef"), name="d")
    got = parse_dates(mixed)
    assert got.index.tolist() == list("abcdef") and got.name == "d"
    assert got.tolist()[:5] == [T("2024-03-15"), T("2024-03-15 08:30"), T("2024-03-15 09:00"),
                                T("2024-03-15"), T("2024-03-15")]
    assert pd.isna(got["f"])


def test_parse_dates_passes_datetime_columns_through():
    s = pd.Series(pd.to_datetime(["2024-03-15", None]))
    assert parse_dates(s).tolist()[0] == T("2024-03-15")
    tz = pd.Series(pd.to_datetime(["2024-03-15 08:00"]).tz_localize("Asia/Shanghai"))
    assert parse_dates(tz).iloc[0] == T("2024-03-15 08:00")


def test_excel_serial_only_in_plausible_range():
    # 10959 = 1930-01-01, 73050 = 2099-12-31; just outside either end is not a date.
    got = parse_dates(pd.Series([10959, 73050, 10958, 73051]))
    assert got.tolist()[:2] == [T("1930-01-01"), T("2099-12-31")]
    assert got.iloc[2:].isna().all()


def test_year_last_dates_follow_the_unambiguous_values_of_the_column():
    # 13/02 can only be day-first, so 03/04 in the same column is 3 April.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = parse_dates(pd.Series(["13/02/2024", "03/04/2024", "25/12/2023 10:00"]))
    assert got.tolist() == [T("2024-02-13"), T("2024-04-03"), T("2023-12-25 10:00")]
    assert got.attrs == {"dayfirst": True, "dayfirst_source": "evidence"}

    # 12/13/2010 can only be month-first (the UCI Online Retail style).
    got = parse_dates(pd.Series(["12/1/2010 8:26", "12/13/2010 9:00"]))
    assert got.tolist() == [T("2010-12-01 08:26"), T("2010-12-13 09:00")]
    assert got.attrs["dayfirst"] is False


def test_year_last_dates_evidence_beats_the_argument():
    got = parse_dates(pd.Series(["12/1/2010", "12/13/2010"]), dayfirst=True)
    assert got.iloc[0] == T("2010-12-01")
    assert got.attrs["dayfirst_source"] == "evidence"


def test_ambiguous_year_last_dates_use_the_argument_then_warn():
    values = pd.Series(["01/02/2024", "03/04/2024"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = parse_dates(values, dayfirst=True)
    assert got.tolist() == [T("2024-02-01"), T("2024-04-03")]
    assert got.attrs == {"dayfirst": True, "dayfirst_source": "argument"}

    with pytest.warns(DateOrderWarning, match="月在前"):
        got = parse_dates(values)
    assert got.tolist() == [T("2024-01-02"), T("2024-03-04")]
    assert got.attrs == {"dayfirst": False, "dayfirst_source": "default"}


def test_mixed_orders_read_unambiguous_values_their_only_way_and_warn():
    with pytest.warns(DateOrderWarning, match="两种写法"):
        got = parse_dates(pd.Series(["13/02/2024", "14/02/2024", "02/15/2024", "03/04/2024"]))
    # two day-first against one month-first: the ambiguous 03/04 follows day-first
    assert got.tolist() == [T("2024-02-13"), T("2024-02-14"), T("2024-02-15"), T("2024-04-03")]


def test_no_warning_without_year_last_dates():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = parse_dates(pd.Series(["2024-03-15", None]))
    assert got.attrs == {"dayfirst": None, "dayfirst_source": None}


def test_parse_dates_repeated_values_and_index_kept():
    s = pd.Series(["2024/1/2"] * 3 + [None, "x"], index=[10, 11, 12, 13, 14])
    got = parse_dates(s)
    assert got.index.tolist() == [10, 11, 12, 13, 14]
    assert got.iloc[:3].eq(T("2024-01-02")).all() and got.iloc[3:].isna().all()


# ----------------------------------------------------------------------------- amounts

@pytest.mark.parametrize("text, expected", [
    ("1234.5", 1234.5),
    ("¥1,234.50", 1234.5),
    ("￥1234", 1234.0),
    ("1234.5元", 1234.5),
    ("RMB 1,000", 1000.0),
    ("1,234", 1234.0),
    ("1,234,567.8", 1234567.8),
    ("-56.00", -56.0),
    ("¥-56", -56.0),
    ("-¥56", -56.0),
    ("(56.00)", -56.0),
    ("（５６.００）", -56.0),
    ("56.00-", -56.0),
    ("１２３４", 1234.0),
    ("１，２３４．５", 1234.5),
    ("1.2万", 12000.0),
    ("3亿", 300000000.0),
    ("2.5k", 2500.0),
    ("+5", 5.0),
    (".5", 0.5),
    (" 88 ", 88.0),
])
def test_parse_amounts_accepts_each_form(text, expected):
    assert parse_amounts(pd.Series([text])).iloc[0] == expected


@pytest.mark.parametrize("text", [
    "abc", "", "-", "#N/A", "12%", "1,23", "1.234,50", "(56", "56)", "--5", "inf", "1-2",
    "10~20", "1.2.3",
])
def test_parse_amounts_gives_nan_for_unparseable(text):
    assert np.isnan(parse_amounts(pd.Series([text])).iloc[0])


def test_parse_amounts_numbers_and_mixed_objects():
    assert parse_amounts(pd.Series([1, 2, 3])).tolist() == [1.0, 2.0, 3.0]
    got = parse_amounts(pd.Series([12, "¥3.5", None, 4.25, np.inf], dtype=object, name="a"))
    assert got.name == "a"
    assert got.iloc[[0, 1, 3]].tolist() == [12.0, 3.5, 4.25]
    assert got.iloc[[2, 4]].isna().all()


# ----------------------------------------------------------------------------- booleans

def test_parse_bools():
    values = pd.Series(["是", "否", "Y", "n", "yes", "NO", "true", "False", "1", "0", "已同意",
                        "未同意", "同意", "不同意", "已退订", "未退订", " 是 ", "也许", None, ""])
    expected = [True, False, True, False, True, False, True, False, True, False, True, False,
                True, False, True, False, True, pd.NA, pd.NA, pd.NA]
    got = parse_bools(values)
    assert str(got.dtype) == "boolean"
    assert got.tolist() == expected


def test_parse_bools_numbers_and_python_bools():
    assert parse_bools(pd.Series([1, 0, 2])).tolist() == [True, False, pd.NA]
    assert parse_bools(pd.Series([True, 1, "否", None], dtype=object)).tolist() == [
        True, True, False, pd.NA]


# ----------------------------------------------------------------------------- blanks

def test_is_blank():
    values = pd.Series(["a", "", "   ", None, np.nan, "nan", "NULL", "null", "-", "#N/A",
                        "#VALUE!", "#REF!", "#DIV/0!", "N/A", "0", "无", "—"])
    expected = [False, True, True, True, True, True, True, True, True, True,
                True, True, True, True, False, False, True]
    got = is_blank(values)
    assert got.dtype == bool and got.tolist() == expected


def test_is_blank_other_dtypes():
    assert is_blank(pd.Series([1.0, np.nan])).tolist() == [False, True]
    assert is_blank(pd.Series(["x", 3, None, " "], dtype=object)).tolist() == [
        False, False, True, True]
    assert is_blank(pd.Series(["a", None], dtype="string")).tolist() == [False, True]
