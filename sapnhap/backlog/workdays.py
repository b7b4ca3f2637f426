"""Working days of Vietnamese state offices, for appointment dates and how late a dossier is.

A working day is Monday to Friday (Decision 188/1999/QĐ-TTg: state offices work five days a week)
that is not a public holiday. Public holidays are those of the Labour Code 2019, Art. 112 (New Year,
Tết by the lunar calendar, Hùng Kings' day, 30 April, 1 May, National Day 2 September and the day
next to it) with the days off the Government moves or adds each year, as the well-kept `holidays`
library lists them for Vietnam (`holidays.country_holidays("VN")`), never a hand list. Not modelled:
a Saturday the Government makes a working day in exchange for a day off (the library lists the day
off, not the working Saturday), so a count across such a swap may be one day long.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

import holidays


@functools.lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=[year]))


def is_working_day(day: date) -> bool:
    """True for a Monday to Friday that is not a Vietnamese public holiday (see the module docstring)."""
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (`start` itself not counted): the appointment date of a
    dossier received on `start` with a time limit of `days` working days. `days` 0 gives `start`.

    Raises:
        ValueError: `days` is negative.
    """
    if days < 0:
        raise ValueError(f"a time limit is a number of working days, not {days}")
    day = start
    for _ in range(days):
        day += timedelta(days=1)
        while not is_working_day(day):
            day += timedelta(days=1)
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`: how many working days late a dossier due
    on `start` is on `end` (0 when `end` is not after `start`)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count
