"""The mainland-China working-day calendar: weekends, public holidays and 调休 working days.

Due dates and send times in the kit count *working days*: Monday–Friday, minus the public
holidays, plus the weekend days the State Council declares working days (调休上班). The
holidays and adjusted working days are data (:data:`HOLIDAY_NOTICES`, in
:mod:`analysis.reference.calendar`, with the notice each year is transcribed from), for
2023–2027; **2027 is provisional** (statutory days only, no 调休, until its notice is out:
add its days through params ``strategy.holidays`` and ``strategy.extra_workdays``, passed to
:func:`working_calendar`). Dates outside 2023–2027 are plain Monday–Friday.

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

from analysis.reference.calendar import HOLIDAY_NOTICES, PROVISIONAL_YEARS
from analysis.vocab import text

__all__ = [
    "HOLIDAY_NOTICES", "PROVISIONAL_YEARS", "Calendar", "working_calendar", "is_working_day",
    "add_working_days", "next_send_time", "add_working_hours", "parse_window",
]


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
        return (f"Calendar({len(self.holidays)} holidays, {len(self.workdays)} weekend working days, "
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
        raise ValueError(text("workdays.error.holiday_and_workday",
                              dates=", ".join(sorted(str(d) for d in clash))))
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
        raise ValueError(text("workdays.error.window_format", window=window)) from err
    if not pd.Timedelta(0) <= opens < closes <= pd.Timedelta(hours=24):
        raise ValueError(text("workdays.error.window_invalid", window=window))
    return opens, closes


def next_send_time(ts, window: str, cal: Calendar | None = None):
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


def add_working_hours(ts, hours: float, window: str, cal: Calendar | None = None):
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
