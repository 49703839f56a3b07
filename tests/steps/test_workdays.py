"""The Chinese working-day calendar (analysis/steps/workdays.py).

Expected dates are worked out by hand from the 2026 notice (国务院办公厅关于2026年部分节假日
安排的通知, 2025-11-04): 春节 2-15 (Sun) to 2-23 (Mon) off, 2-14 (Sat) and 2-28 (Sat) worked;
中秋 9-25 (Fri) to 9-27 off; 国庆 10-01 (Thu) to 10-07 (Wed) off, 9-20 (Sun) and 10-10 (Sat) worked.
"""

import numpy as np
import pandas as pd
import pytest

from analysis.steps.workdays import (HOLIDAY_NOTICES, PROVISIONAL_YEARS, add_working_days, add_working_hours,
                               is_working_day, next_send_time, working_calendar)

CAL = working_calendar()
T = pd.Timestamp


def test_data_is_consistent():
    for year, notice in HOLIDAY_NOTICES.items():
        workdays = pd.to_datetime(notice["workdays"])
        # every 调休 working day is a Saturday or Sunday, and in its year
        assert (workdays.day_of_week >= 5).all(), year
        assert (workdays.year == year).all(), year
        for first, last in notice["holidays"]:
            assert T(first) <= T(last)
    assert not np.isin(CAL.holidays, CAL.workdays).any()
    assert PROVISIONAL_YEARS == (2027,)
    assert "PROVISIONAL" in HOLIDAY_NOTICES[2027]["source"]


def test_spring_festival_2026_days():
    days = pd.Series(pd.to_datetime(["2026-02-13", "2026-02-14", "2026-02-15", "2026-02-16",
                                     "2026-02-23", "2026-02-24", "2026-02-28", "2026-03-01"]))
    # Fri work; Sat 2-14 调休 work; Sun 2-15 .. Mon 2-23 off; Tue 2-24 work; Sat 2-28 调休; Sun 3-01 off
    assert is_working_day(days, CAL).tolist() == [True, True, False, False, False, True, True, False]
    assert is_working_day(T("2026-02-14"), CAL) is True
    assert is_working_day(pd.Series([pd.NaT]), CAL).tolist() == [False]


def test_due_dates_across_spring_festival_2026():
    # From Thu 2-12: +1 Fri 2-13, +2 Sat 2-14 (调休 counts), +3 Tue 2-24 (2-15..2-23 off), +4 Wed 2-25
    due = add_working_days(T("2026-02-12"), pd.Series([1, 2, 3, 4], index=list("abcd")), CAL)
    assert due.index.tolist() == list("abcd")
    assert due.tolist() == [T("2026-02-13"), T("2026-02-14"), T("2026-02-24"), T("2026-02-25")]
    # A start inside the holiday counts from the working day before it (Sat 2-14): +1 is Tue 2-24
    assert add_working_days(T("2026-02-18"), 1, CAL) == T("2026-02-24")
    assert add_working_days(T("2026-02-18"), 0, CAL) == T("2026-02-14")
    # Fri 2-27 +1 is the 调休 Saturday 2-28, +2 Monday 3-02
    assert add_working_days(T("2026-02-27"), 2, CAL) == T("2026-03-02")
    assert add_working_days(T("2026-02-27"), 1, CAL) == T("2026-02-28")


def test_due_dates_across_national_day_2026():
    # Fri 9-18 +1 is Sun 9-20 (调休), +2 Mon 9-21
    assert add_working_days(T("2026-09-18"), 1, CAL) == T("2026-09-20")
    assert add_working_days(T("2026-09-18"), 2, CAL) == T("2026-09-21")
    # Thu 9-24 +1: Fri 9-25 is 中秋, so Mon 9-28
    assert add_working_days(T("2026-09-24"), 1, CAL) == T("2026-09-28")
    # Wed 9-30: +1 Thu 10-08, +2 Fri 10-09, +3 Sat 10-10 (调休), +4 Mon 10-12; -1 from 10-08 is 9-30
    due = add_working_days(T("2026-09-30"), pd.Series([1, 2, 3, 4]), CAL)
    assert due.dt.strftime("%m-%d").tolist() == ["10-08", "10-09", "10-10", "10-12"]
    assert add_working_days(T("2026-10-08"), -1, CAL) == T("2026-09-30")


def test_same_semantics_as_plain_weekdays():
    # a non-working start counts from the working day before it: Fri +1 and Sat +1 are both Monday
    assert add_working_days(T("2026-10-30"), 1, CAL) == T("2026-11-02")
    assert add_working_days(T("2026-10-31"), 1, CAL) == T("2026-11-02")
    starts = pd.Series(pd.to_datetime(["2026-10-30", None]))
    assert add_working_days(starts, 1, CAL).isna().tolist() == [False, True]


def test_overrides():
    # a 2027 company day off and a weekend workday, not in the (provisional) 2027 data
    cal = working_calendar(extra_holidays=["2027-10-04"], extra_workdays=["2027-09-26"])
    assert add_working_days(T("2027-09-24"), 1, cal) == T("2027-09-26")      # Fri -> Sun (worked)
    assert add_working_days(T("2027-09-24"), 1, CAL) == T("2027-09-27")      # built-in: Monday
    # 2027: 10-01..10-03 statutory days off, 10-04 added: Thu 9-30 +1 is Tue 10-05
    assert add_working_days(T("2027-09-30"), 1, cal) == T("2027-10-05")
    # overrides beat the data both ways: 10-07 (a holiday) worked, 10-10 (a 调休 Saturday) off
    cal = working_calendar(extra_holidays=["2026-10-10"], extra_workdays=["2026-10-07"])
    assert add_working_days(T("2026-09-30"), 1, cal) == T("2026-10-07")
    assert add_working_days(T("2026-10-09"), 1, cal) == T("2026-10-12")
    with pytest.raises(ValueError):
        working_calendar(extra_holidays=["2026-10-10"], extra_workdays=["2026-10-10"])


def test_next_send_time():
    stamps = pd.Series(pd.to_datetime([
        "2026-02-13 18:00:00",   # window closed -> the 调休 Saturday 2-14 at 09:00
        "2026-02-14 12:30:00",   # inside the window on a 调休 Saturday -> itself
        "2026-02-14 18:30:00",   # after the window -> Tue 2-24 09:00 (春节 in between)
        "2026-09-30 08:00:00",   # before the window -> 09:00 the same day
        "2026-10-03 10:00:00",   # 国庆 -> Thu 10-08 09:00
        None,
    ]))
    expected = pd.to_datetime(["2026-02-14 09:00", "2026-02-14 12:30", "2026-02-24 09:00",
                               "2026-09-30 09:00", "2026-10-08 09:00", None])
    got = next_send_time(stamps, "09:00-18:00", CAL)
    assert got.isna().tolist() == [False] * 5 + [True]
    assert (got[:5] == expected[:5]).all()
    assert next_send_time(T("2026-11-23 16:00"), "10:00-16:00", CAL) == T("2026-11-24 10:00")
    with pytest.raises(ValueError):
        next_send_time(T("2026-11-23"), "18:00-09:00", CAL)


def test_add_working_hours():
    # 17:00 Wed 9-30: one hour left that day, the second at 09:00-10:00 on Thu 10-08
    assert add_working_hours(T("2026-09-30 17:00"), 2, "09:00-18:00", CAL) == T("2026-10-08 10:00")
    # a Sunday inside 春节: the clock starts at 09:00 on Tue 2-24
    assert add_working_hours(T("2026-02-22 11:00"), 2, "09:00-18:00", CAL) == T("2026-02-24 11:00")


def test_the_calendar_data_is_reference_data_and_errors_speak_the_run_language():
    from analysis.reference import calendar
    from analysis.vocab import language

    assert HOLIDAY_NOTICES is calendar.HOLIDAY_NOTICES and PROVISIONAL_YEARS is calendar.PROVISIONAL_YEARS
    with pytest.raises(ValueError, match="发送时段格式应为"):
        next_send_time(T("2026-11-23"), "9-18", CAL)
    with language("en"), pytest.raises(ValueError, match="both a holiday and a weekend working day: 2026-10-10"):
        working_calendar(extra_holidays=["2026-10-10"], extra_workdays=["2026-10-10"])
