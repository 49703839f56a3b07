"""Value parsers: every accepted form, worked out by hand."""

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.intake.parse import (DateOrderWarning, is_blank, parse_amounts, parse_bools, parse_dates,
                            parse_dates_checked, strip_control)

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


@pytest.mark.parametrize("text, expected", [
    # a weekday after the date, or before it
    ("2018-01-01 星期五", T("2018-01-01")),
    ("2018-01-01 周五", T("2018-01-01")),
    ("2018-01-01 礼拜五", T("2018-01-01")),
    ("2018-01-01(五)", T("2018-01-01")),
    ("2018-01-01（五）", T("2018-01-01")),                 # full-width brackets
    ("2018-01-01 Fri", T("2018-01-01")),
    ("2018-01-01 Friday", T("2018-01-01")),
    ("Fri 2018-01-01", T("2018-01-01")),
    ("星期五 2018-01-01", T("2018-01-01")),
    ("Fri, 01 Dec 2010", T("2010-12-01")),
    ("Fri, 01 Dec 2010 08:26:00 +0000", T("2010-12-01 08:26")),
    ("Tuesday, 2 January 2018 10:00 AM", T("2018-01-02 10:00")),
    # a weekday between the date and its time: the time is still read
    ("2018-01-01 星期一 10:00", T("2018-01-01 10:00")),
    ("2018-01-01(一) 10:00:05", T("2018-01-01 10:00:05")),
    ("2018-01-01 (Mon) 10:00", T("2018-01-01 10:00")),
    ("2018年1月1日 星期一 下午 2:30", T("2018-01-01 14:30")),
    ("2018-01-01周一10:00", T("2018-01-01 10:00")),
    # 上午/下午 and AM/PM, with or without seconds, fractions
    ("2018/1/1 下午3:00", T("2018-01-01 15:00")),
    ("2018/1/1 3:00:09下午", T("2018-01-01 15:00:09")),
    ("2018-01-01 10:00 PM", T("2018-01-01 22:00")),
    ("2018-01-01 12:05 AM", T("2018-01-01 00:05")),
    ("2018-01-01 10:00:05.123456", T("2018-01-01 10:00:05.123456")),
    ("2018-01-01 10:00:05,5", T("2018-01-01 10:00:05.500")),
    ("2018年1月1日 10时30分", T("2018-01-01 10:30")),
    ("2018-01-01 10:00:00 星期一", T("2018-01-01 10:00")),
    # a time zone: read and dropped, the wall-clock time kept
    ("2018-01-01T10:00:00Z", T("2018-01-01 10:00")),
    ("2018-01-01 10:00+08:00", T("2018-01-01 10:00")),
    ("2018-01-01T10:00:00.000+0800", T("2018-01-01 10:00")),
    ("2018-01-01 10:00:00 -05:00", T("2018-01-01 10:00")),
    ("2018-01-01 10:00 UTC", T("2018-01-01 10:00")),
    ("2018-01-01 10:00 GMT+8", T("2018-01-01 10:00")),
    ("2018-01-01 10:00 CST", T("2018-01-01 10:00")),
    # dots
    ("2018.01.01", T("2018-01-01")),
    ("2018.1.1 10:00", T("2018-01-01 10:00")),
    # month names
    ("01-Dec-2010", T("2010-12-01")),
    ("1-dec-2010", T("2010-12-01")),
    ("01DEC2010", T("2010-12-01")),
    ("Dec 1, 2010", T("2010-12-01")),
    ("Dec 1, 2010 8:26 PM", T("2010-12-01 20:26")),
    ("1 December 2010 08:26", T("2010-12-01 08:26")),
    ("December 1 2010", T("2010-12-01")),
    ("Dec-01-2010", T("2010-12-01")),
    ("Sept. 3, 2024", T("2024-09-03")),
    ("15th March 2024", T("2024-03-15")),
    ("2010-Dec-01", T("2010-12-01")),
    ("Fri Dec  1 08:26:00 2010", T("2010-12-01 08:26")),  # odd leftover: pandas reads it
    # Excel serials and yyyymmdd as text
    ("43101", T("2018-01-01")),                           # 43101 = 2018-01-01
    ("43101.5", T("2018-01-01 12:00")),
    ("20180101", T("2018-01-01")),
    ("20180101.0", T("2018-01-01")),
    ("20180101 星期一", T("2018-01-01")),
    # any other text after the date that does not go on with a digit
    ("2018-01-01 备注：补录", T("2018-01-01")),
    ("2018-01-01 至 2018-01-31", T("2018-01-01")),         # a range: its first day
])
def test_parse_dates_reads_the_date_and_ignores_what_follows(text, expected):
    assert _one(text) == expected


@pytest.mark.parametrize("text", [
    "2024-03-1512",            # digits go on: not 2024-03-15
    "2024-03-15 12",
    "2024-03-15-12",
    "2024-03-15.5",
    "2024-03-15/2024-03-20",
    "2024-03-15 08:26:07:00",
    "2024-03-15 (12:00)",
    "20180101A",               # compact digits glued to text: an id
    "201801011",
    "1-Dec-10",                # two-digit year
    "Dec 1, 10",
    "Mar 2024 sales",
])
def test_parse_dates_rejects_a_date_that_goes_on_with_digits(text):
    got, impossible = parse_dates_checked(pd.Series([text]))
    assert pd.isna(got.iloc[0]) and not impossible.iloc[0]


def test_weekday_and_plain_values_in_one_column_keep_their_rows():
    # Plain values and values with extra text are matched by different patterns.
    values = pd.Series(["2018/1/2 10:00", "2018/1/5 (Fri) 09:00", "2018/1/1 星期一 09:00",
                        "2018/1/3", "3/1/2018 Thu", "1/4/2018 08:00"], index=list("abcdef"))
    with pytest.warns(DateOrderWarning):
        got = parse_dates(values)
    assert got.index.tolist() == list("abcdef")
    assert got.tolist() == [T("2018-01-02 10:00"), T("2018-01-05 09:00"), T("2018-01-01 09:00"),
                            T("2018-01-03"), T("2018-03-01"), T("2018-01-04 08:00")]
    assert got.attrs == {"dayfirst": False, "dayfirst_source": "default"}


# A day or time that does not exist: NaT, and flagged by parse_dates_checked.
@pytest.mark.parametrize("text", [
    "2018-02-29",              # 2018 is not a leap year
    "2024-13-01",
    "2024-04-31",
    "2024-00-10",
    "2024/2/30 10:00",
    "2024年2月30日",
    "2024-03-15 25:00",
    "2024-03-15 08:60",
    "2024-03-15 24:00",
    "2024-03-15 13:00 PM",
    "2024-03-15 星期五 25:00",
    "2023-02-29T10:00:00Z",
    "20240230",
    "20230229",
    "31/02/2024",
    "13/13/2024",
    "30-Feb-2024",
    "Feb 30, 2024",
])
def test_parse_dates_checked_flags_impossible_dates(text):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DateOrderWarning)   # 13/13/2024 has no order either
        got, impossible = parse_dates_checked(pd.Series([text]))
    assert pd.isna(got.iloc[0])
    assert impossible.iloc[0]


@pytest.mark.parametrize("value", [
    None, "", "  ", "NULL", "abc", "12345678901", "2024", "3/15", "0224-03-15", "2024-03-15",
    "2024-02-29", "2024-03-1512", "20241340", "99999", "45366", "1-Dec-10",
])
def test_parse_dates_checked_does_not_flag_blanks_valid_dates_or_other_text(value):
    _, impossible = parse_dates_checked(pd.Series([value], dtype=object))
    assert not impossible.iloc[0]


def test_parse_dates_checked_numbers_index_and_agreement_with_parse_dates():
    values = pd.Series([20240230, 20240229, 20241340, 45366, np.nan], index=list("vwxyz"), name="d")
    got, impossible = parse_dates_checked(values)
    assert impossible.tolist() == [True, False, False, False, False]
    assert got.tolist()[1] == T("2024-02-29") and got.iloc[[0, 2, 4]].isna().all()
    assert impossible.dtype == bool and impossible.index.tolist() == list("vwxyz")
    assert impossible.name == "d"

    mixed = pd.Series(["2018-02-29", 20180229, dt.date(2018, 2, 28), "15/03/2024", None],
                      dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got, impossible = parse_dates_checked(mixed)
    assert impossible.tolist() == [True, True, False, False, False]
    assert got.attrs == {"dayfirst": True, "dayfirst_source": "evidence"}
    plain = parse_dates(mixed)
    assert plain.equals(got) and plain.attrs == got.attrs
    assert impossible.attrs == {}


def test_iso_fast_path_sends_impossible_dates_the_slow_way():
    # Many strict-ISO values (fast path) with an impossible one among them.
    values = pd.Series(["2024-03-15 08:00:00"] * 50 + ["2023-02-29 08:00:00", "0224-03-15"])
    got, impossible = parse_dates_checked(values)
    assert got.iloc[:50].eq(T("2024-03-15 08:00")).all() and got.iloc[50:].isna().all()
    assert impossible.tolist() == [False] * 50 + [True, False]


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


def test_date_order_warning_speaks_the_run_language():
    from analysis.vocab import language
    with language("en"), pytest.warns(DateOrderWarning, match=r"2 values\).*\(day first\)"):
        parse_dates(pd.Series(["13/02/2024", "14/02/2024", "02/15/2024", "03/04/2024"]))


def test_recognition_words_are_reference_data_whatever_the_language():
    from analysis.vocab import language
    with language("en"):   # what users' files say does not change with the report's language
        assert parse_bools(pd.Series(["是", "未授权"])).tolist() == [True, False]
        assert parse_amounts(pd.Series(["1.2万"])).tolist() == [12000.0]
        assert _one("2024年3月15日 下午3点05分") == T("2024-03-15 15:05")


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


@pytest.mark.parametrize("text, expected", [
    ("1.2E+05", 120000.0),
    ("1.2e5", 120000.0),
    ("-3.5E-02", -0.035),
    ("¥1.5E+03", 1500.0),
    ("1.5E+03元", 1500.0),
    ("(1.2E+03)", -1200.0),
    ("1E-400", 0.0),           # underflows to zero: finite, so kept
])
def test_parse_amounts_reads_scientific_notation(text, expected):
    assert parse_amounts(pd.Series([text])).iloc[0] == expected


@pytest.mark.parametrize("text", [
    "abc", "", "-", "#N/A", "12%", "1,23", "1.234,50", "(56", "56)", "--5", "inf", "1-2",
    "10~20", "1.2.3", "-inf", "Infinity", "nan", "NaN", "1e400", "-1e400", "¥1e400", "1.2E",
    "E5", "1.2E+5.5", "1,234E2",
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


def test_is_blank_looks_up_only_values_without_a_digit_1_to_9_and_misses_no_token():
    # Full-width tokens become blank after NFKC (＃ＤＩＶ／０！ -> #div/0!, － -> -); a value with
    # a digit 1-9 never is one, whatever surrounds it.
    values = pd.Series(["＃ＤＩＶ／０！", " #div/0! ", "#DIV/1!", "Ｎ／Ａ", "0", "00", "１", "n/a1",
                        "C001", "2024-03-15", "－", None], dtype="str")
    assert is_blank(values).tolist() == [True, True, False, True, False, False, False, False,
                                         False, False, True, True]


def test_is_blank_other_dtypes():
    assert is_blank(pd.Series([1.0, np.nan])).tolist() == [False, True]
    assert is_blank(pd.Series(["x", 3, None, " "], dtype=object)).tolist() == [
        False, False, True, True]
    assert is_blank(pd.Series(["a", None], dtype="string")).tolist() == [False, True]


# ----------------------------------------------------------------------------- control chars

def test_strip_control_removes_nul_and_invisible_characters():
    values = pd.Series(["C\x00001", "C001", "王\u200b五", "\ufeffC002", "a\tb\r\n", "x\x85y\x7f",
                        "C\x00001", None, "\x00"])
    got, n = strip_control(values)
    assert got.iloc[:7].tolist() == ["C001", "C001", "王五", "C002", "ab", "xy", "C001"]
    assert pd.isna(got.iloc[7]) and got.iloc[8] == ""
    assert n == 7              # rows that changed; "C\x00001" twice, "C001" and None not at all
    assert got.dtype == values.dtype and got.index.equals(values.index)
    assert values.iloc[0] == "C\x00001"   # the input is not modified


@pytest.mark.parametrize("dtype", [object, "string", "str"])
def test_strip_control_keeps_the_dtype_and_na(dtype):
    values = pd.Series(["C\x00001", None, "ok"], dtype=dtype, index=[5, 6, 7], name="id")
    got, n = strip_control(values)
    assert n == 1 and got.dtype == values.dtype and got.name == "id"
    assert got[5] == "C001" and pd.isna(got[6]) and got[7] == "ok"


def test_strip_control_leaves_non_text_alone():
    got, n = strip_control(pd.Series(["C\x00001", 12, None, 3.5], dtype=object))
    assert got.tolist()[:2] == ["C001", 12] and got.iloc[3] == 3.5 and n == 1
    numbers = pd.Series([1, 2])
    got, n = strip_control(numbers)
    assert n == 0 and got.equals(numbers)
    got, n = strip_control(pd.Series(["clean", "text"]))
    assert n == 0 and got.tolist() == ["clean", "text"]
