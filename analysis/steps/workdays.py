"""The mainland-China working-day calendar: weekends, public holidays and 调休 working days.

Due dates and send times in the kit count *working days*: Monday–Friday, minus the public
holidays, plus the weekend days the State Council declares working days (调休上班). The
holidays and adjusted working days are data (:data:`HOLIDAY_NOTICES`), transcribed from the
State Council General Office's annual notices, 国务院办公厅关于<year>年部分节假日安排的通知:

========  ======================  =========================================================
year      notice                  confirmed against
========  ======================  =========================================================
2023      国办发明电〔2022〕16号   full text (Xinhua 2022-12-08, mirrored on china.com.cn
          (2022-12-08)            and zh.wikisource.org, 国务院公报 2023 第1号)
2024      国办发明电〔2023〕7号    full text (国务院公报 2023 第31号 via zh.wikisource.org)
          (2023-10-25)
2025      国办发明电〔2024〕12号   full text (Xinhua 2024-11-12)
          (2024-11-12)
2026      (2025-11-04)            full text (Xinhua 2025-11-04, politics.gmw.cn)
2027      not confirmed           PROVISIONAL — see below
========  ======================  =========================================================

**2027 is provisional.** The 2027 notice could not be confirmed when this module was
written, so 2027 carries only the statutory holiday days of 《全国年节及纪念日放假办法》 (2024
revision: 元旦 1 day, 春节 除夕–初三 4 days, 清明 1, 劳动节 5-1/5-2, 端午 1, 中秋 1, 国庆 10-1–10-3)
on their 2027 dates, and **no 调休** days. The lunar dates (除夕 2-05, 春节 2-06, 端午 6-09,
中秋 9-15; 清明 4-05) are almanac dates, checked only against public almanac pages and Hong
Kong's 2027 holiday list (端午 6-09, 中秋翌日 9-16), not against a notice. A fabricated-looking
third-party "2027 arrangement" (春节 2-14–2-22) circulates; it is not used. When the notice
is out, add its extra days off and its 调休 working days through params ``strategy.holidays``
and ``strategy.extra_workdays`` (passed to :func:`working_calendar`) or update the data here.
Dates outside 2023–2027 are plain Monday–Friday.

Times are naive local (Beijing) time.

Examples
--------
>>> cal = working_calendar()
>>> is_working_day(pd.Timestamp("2026-02-14"), cal)   # a Saturday, 调休上班 before 春节
True
>>> add_working_days(pd.Timestamp("2026-02-13"), 2, cal)   # Fri -> Sat 2-14, then 2-24
Timestamp('2026-02-24 00:00:00')
>>> next_send_time(pd.Timestamp("2026-10-09 18:30"), "09:00-18:00", cal)   # Fri evening
Timestamp('2026-10-10 09:00:00')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "HOLIDAY_NOTICES", "PROVISIONAL_YEARS", "Calendar", "working_calendar", "is_working_day",
    "add_working_days", "next_send_time", "add_working_hours", "parse_window",
]

# Per year: days off as inclusive (first, last) ranges, and the weekend days that are working
# days. Ranges copy the notices' own wording ("1月28日至2月4日放假调休"), so each line can be
# checked against its notice.
HOLIDAY_NOTICES: dict[int, dict] = {
    2023: {
        "source": "国务院办公厅关于2023年部分节假日安排的通知（国办发明电〔2022〕16号，2022-12-08）",
        "holidays": [("2022-12-31", "2023-01-02"),   # 元旦
                     ("2023-01-21", "2023-01-27"),   # 春节
                     ("2023-04-05", "2023-04-05"),   # 清明节
                     ("2023-04-29", "2023-05-03"),   # 劳动节
                     ("2023-06-22", "2023-06-24"),   # 端午节
                     ("2023-09-29", "2023-10-06")],  # 中秋节、国庆节
        "workdays": ["2023-01-28", "2023-01-29", "2023-04-23", "2023-05-06", "2023-06-25",
                     "2023-10-07", "2023-10-08"],
    },
    2024: {
        "source": "国务院办公厅关于2024年部分节假日安排的通知（国办发明电〔2023〕7号，2023-10-25）",
        "holidays": [("2024-01-01", "2024-01-01"),   # 元旦
                     ("2024-02-10", "2024-02-17"),   # 春节
                     ("2024-04-04", "2024-04-06"),   # 清明节
                     ("2024-05-01", "2024-05-05"),   # 劳动节
                     ("2024-06-10", "2024-06-10"),   # 端午节
                     ("2024-09-15", "2024-09-17"),   # 中秋节
                     ("2024-10-01", "2024-10-07")],  # 国庆节
        "workdays": ["2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11",
                     "2024-09-14", "2024-09-29", "2024-10-12"],
    },
    2025: {
        "source": "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号，2024-11-12）",
        "holidays": [("2025-01-01", "2025-01-01"),   # 元旦
                     ("2025-01-28", "2025-02-04"),   # 春节
                     ("2025-04-04", "2025-04-06"),   # 清明节
                     ("2025-05-01", "2025-05-05"),   # 劳动节
                     ("2025-05-31", "2025-06-02"),   # 端午节
                     ("2025-10-01", "2025-10-08")],  # 国庆节、中秋节
        "workdays": ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
    },
    2026: {
        "source": "国务院办公厅关于2026年部分节假日安排的通知（2025-11-04，新华社）",
        "holidays": [("2026-01-01", "2026-01-03"),   # 元旦
                     ("2026-02-15", "2026-02-23"),   # 春节
                     ("2026-04-04", "2026-04-06"),   # 清明节
                     ("2026-05-01", "2026-05-05"),   # 劳动节
                     ("2026-06-19", "2026-06-21"),   # 端午节
                     ("2026-09-25", "2026-09-27"),   # 中秋节
                     ("2026-10-01", "2026-10-07")],  # 国庆节
        "workdays": ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20",
                     "2026-10-10"],
    },
    2027: {
        "source": "PROVISIONAL：未确认2027年通知；仅《全国年节及纪念日放假办法》法定假日，无调休",
        "holidays": [("2027-01-01", "2027-01-01"),   # 元旦
                     ("2027-02-05", "2027-02-08"),   # 春节 除夕–初三
                     ("2027-04-05", "2027-04-05"),   # 清明节
                     ("2027-05-01", "2027-05-02"),   # 劳动节
                     ("2027-06-09", "2027-06-09"),   # 端午节
                     ("2027-09-15", "2027-09-15"),   # 中秋节
                     ("2027-10-01", "2027-10-03")],  # 国庆节
        "workdays": [],
    },
}
PROVISIONAL_YEARS = (2027,)

_DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Calendar:
    """Which days are working days.

    ``holidays`` are days off that would otherwise be working days or weekend days;
    ``workdays`` are weekend days that are working days (调休). The two never overlap.
    """

    holidays: np.ndarray            # sorted datetime64[D]
    workdays: np.ndarray            # sorted datetime64[D]
    provisional_years: tuple[int, ...] = field(default=PROVISIONAL_YEARS)

    def __repr__(self) -> str:
        return (f"Calendar({len(self.holidays)} holidays, {len(self.workdays)} 调休 working days, "
                f"provisional years {list(self.provisional_years)})")


def _to_days(values) -> np.ndarray:
    """Anything date-like -> a datetime64[D] array (NaT kept)."""
    stamps = pd.to_datetime(pd.Series(np.atleast_1d(np.asarray(values, dtype=object))
                                      if not isinstance(values, (pd.Series, pd.Index)) else values))
    return stamps.dt.normalize().to_numpy().astype("datetime64[D]")


def _expand(ranges) -> list[np.datetime64]:
    days = []
    for first, last in ranges:
        days.extend(np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + _DAY, _DAY))
    return days


def working_calendar(extra_holidays=(), extra_workdays=()) -> Calendar:
    """The built-in calendar (:data:`HOLIDAY_NOTICES`) with overrides.

    ``extra_holidays`` become days off even if the data says they are 调休 working days;
    ``extra_workdays`` become working days even if the data says they are holidays (or they
    fall on a weekend). A date in both raises ``ValueError``.

    Examples
    --------
    >>> cal = working_calendar(extra_holidays=["2027-10-04"], extra_workdays=["2027-09-26"])
    >>> is_working_day(pd.Series(pd.to_datetime(["2027-10-04", "2027-09-26"])), cal).tolist()
    [False, True]
    """
    extra_h = set(_to_days(list(extra_holidays))) if len(extra_holidays) else set()
    extra_w = set(_to_days(list(extra_workdays))) if len(extra_workdays) else set()
    clash = extra_h & extra_w
    if clash:
        raise ValueError(f"同一日期既是节假日又是调休工作日: {sorted(str(d) for d in clash)}")
    holidays, workdays = set(), set()
    for notice in HOLIDAY_NOTICES.values():
        holidays.update(_expand(notice["holidays"]))
        workdays.update(np.datetime64(d, "D") for d in notice["workdays"])
    holidays = (holidays - extra_w) | extra_h
    workdays = (workdays - extra_h) | extra_w
    return Calendar(np.array(sorted(holidays), dtype="datetime64[D]"),
                    np.array(sorted(workdays), dtype="datetime64[D]"))


def _working_mask(days: np.ndarray, cal: Calendar) -> np.ndarray:
    # 1970-01-01 was a Thursday, so (days since epoch + 3) % 7 is 0 for Monday.
    weekday = (days.astype("int64") + 3) % 7
    return (((weekday < 5) | np.isin(days, cal.workdays)) & ~np.isin(days, cal.holidays)
            & ~np.isnat(days))


def _shape_like(result: np.ndarray, *inputs):
    """A scalar for scalar inputs, else a Series indexed like the first Series input."""
    if all(np.ndim(x) == 0 and not isinstance(x, (pd.Series, pd.Index)) for x in inputs):
        value = result[0]
        return bool(value) if result.dtype == bool else pd.Timestamp(value)
    index = next((x.index for x in inputs if isinstance(x, pd.Series)), None)
    if result.dtype == bool:
        return pd.Series(result, index=index)
    return pd.Series(pd.to_datetime(result), index=index)


def is_working_day(dates, cal: Calendar | None = None):
    """Whether each date is a working day (weekday or 调休, and not a holiday).

    Takes a scalar (returns ``bool``) or a Series/list (returns a boolean Series). The time
    of day is ignored; NaT is not a working day.
    """
    cal = cal or working_calendar()
    return _shape_like(_working_mask(_to_days(dates), cal), dates)


def _working_days_between(first: np.datetime64, last: np.datetime64, cal: Calendar) -> np.ndarray:
    days = np.arange(first, last + _DAY, _DAY)
    return days[_working_mask(days, cal)]


def add_working_days(start, n, cal: Calendar | None = None):
    """The date ``n`` working days after ``start`` (``n`` may be negative or 0).

    A start that is not a working day counts from the working day before it, so one working
    day after a Saturday is the next working day, as it is after the Friday; ``n = 0`` gives
    that working day itself. Holidays are skipped and 调休 Saturdays/Sundays count.
    Vectorised: ``start`` and ``n`` may each be a scalar or a Series (aligned by position);
    returns a Timestamp for scalars, else a Series of dates (index of the Series given).

    Examples
    --------
    >>> cal = working_calendar()
    >>> add_working_days(pd.Timestamp("2026-09-30"), 1, cal)   # 国庆 10-01..07, then Thu 10-08
    Timestamp('2026-10-08 00:00:00')
    >>> add_working_days(pd.Timestamp("2026-10-31"), pd.Series([0, 1]), cal).dt.day.tolist()
    [30, 2]
    """
    cal = cal or working_calendar()
    starts = _to_days(start)
    steps = np.asarray(n.to_numpy() if isinstance(n, pd.Series) else n)
    if np.ndim(steps) == 0:
        steps = steps.reshape(1)
    steps = steps.astype("int64")
    starts, steps = np.broadcast_arrays(starts, steps)
    out = np.full(starts.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    valid = ~np.isnat(starts)
    if valid.any():
        s, k = starts[valid], steps[valid]
        # Enough calendar days either side for the longest run of days off (春节 9 days).
        first = s.min() - np.timedelta64(30 + 2 * max(0, -int(k.min())), "D")
        last = s.max() + np.timedelta64(30 + 2 * max(0, int(k.max())), "D")
        days = _working_days_between(first, last, cal)
        on_or_before = np.searchsorted(days, s, side="right") - 1
        out[valid] = days[on_or_before + k]
    return _shape_like(out, start, n)


def parse_window(window: str) -> tuple[pd.Timedelta, pd.Timedelta]:
    """``"09:00-18:00"`` -> (9 h, 18 h) as offsets from midnight.

    >>> parse_window("09:00-18:00")
    (Timedelta('0 days 09:00:00'), Timedelta('0 days 18:00:00'))
    """
    try:
        opens, closes = (pd.Timedelta(part.strip() + ":00") for part in str(window).split("-"))
    except ValueError as err:
        raise ValueError(f"发送时段格式应为 HH:MM-HH:MM，收到 {window!r}") from err
    if not pd.Timedelta(0) <= opens < closes <= pd.Timedelta(hours=24):
        raise ValueError(f"发送时段无效: {window!r}")
    return opens, closes


def next_send_time(ts, window: str = "09:00-18:00", cal: Calendar | None = None):
    """The first moment at or after ``ts`` inside the send window on a working day.

    The window includes its opening time and excludes its closing time: a message due at
    18:00 sharp goes out at 09:00 on the next working day. Scalar or Series in, the same out.

    Examples
    --------
    >>> cal = working_calendar()
    >>> next_send_time(pd.Timestamp("2026-11-23 10:15"), "09:00-18:00", cal)   # Monday
    Timestamp('2026-11-23 10:15:00')
    >>> next_send_time(pd.Timestamp("2026-02-13 18:00"), "09:00-18:00", cal)   # 调休 Saturday next
    Timestamp('2026-02-14 09:00:00')
    """
    cal = cal or working_calendar()
    opens, closes = parse_window(window)
    stamps = pd.to_datetime(pd.Series(ts) if not isinstance(ts, pd.Series) else ts)
    day = stamps.dt.normalize()
    time_of_day = stamps - day
    working = pd.Series(_working_mask(_to_days(day), cal), index=stamps.index)
    following = add_working_days(day.reset_index(drop=True), 1, cal)
    following.index = stamps.index
    out = (following + opens).where(~(working & (time_of_day < closes)), stamps)
    out = out.where(~(working & (time_of_day < opens)), day + opens)
    out = out.where(stamps.notna())
    return out.iloc[0] if np.ndim(ts) == 0 and not isinstance(ts, pd.Series) else out


def add_working_hours(ts, hours: float, window: str = "09:00-18:00", cal: Calendar | None = None):
    """The moment ``hours`` of in-window working time after ``ts``.

    Time only runs inside the window on working days: 2 hours from 17:00 on a Friday with a
    09:00–18:00 window is 10:00 on the next working day. Used for response deadlines
    (差评工单: 2 h). Scalar or Series in, the same out.

    Examples
    --------
    >>> add_working_hours(pd.Timestamp("2026-09-30 17:00"), 2, "09:00-18:00", working_calendar())
    Timestamp('2026-10-08 10:00:00')
    """
    cal = cal or working_calendar()
    opens, closes = parse_window(window)
    current = next_send_time(pd.Series(ts) if not isinstance(ts, pd.Series) else ts, window, cal)
    left = pd.Series(pd.Timedelta(hours=hours), index=current.index)
    done = pd.Series(pd.NaT, index=current.index, dtype="datetime64[ns]")
    pending = current.notna()
    while pending.any():
        now = current[pending]
        room = now.dt.normalize() + closes - now
        fits = left[pending] <= room
        finished = fits[fits].index
        done[finished] = now[finished] + left[finished]
        rest = fits[~fits].index
        left[rest] = left[rest] - room[rest]
        current[rest] = next_send_time(now[rest].dt.normalize() + closes, window, cal)
        pending[finished] = False
    return done.iloc[0] if np.ndim(ts) == 0 and not isinstance(ts, pd.Series) else done
