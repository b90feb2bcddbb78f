"""The Chinese working-day calendar the world is generated on (holidays and adjusted workdays).

``chinese_calendar`` knows the State Council's holiday arrangements year by year; for a year it does
not know yet (it raises ``NotImplementedError``) the world falls back to Monday-to-Friday, which is
what the arrangement will mostly be, and says so in its docstring rather than failing the demo.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

from herald.calendar import working_day


def is_workday(day: date) -> bool:
    return working_day(day)[0]


@lru_cache(maxsize=4096)
def holiday_name(day: date) -> str | None:
    """The English name chinese_calendar gives a public holiday ('Spring Festival', ...), else None."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    return name if on_holiday else None


def first_holiday_day(year: int, name: str, fallback: date) -> date:
    """The first day of the named public holiday in ``year`` (``fallback`` when the calendar lacks the year)."""
    day = date(year, 1, 1)
    while day.year == year:
        if holiday_name(day) == name:
            return day
        day += timedelta(days=1)
    return fallback


def next_workday(day: date) -> date:
    """The first working day strictly after ``day``."""
    day += timedelta(days=1)
    while not is_workday(day):
        day += timedelta(days=1)
    return day


def previous_workday(day: date) -> date:
    """The last working day strictly before ``day``."""
    day -= timedelta(days=1)
    while not is_workday(day):
        day -= timedelta(days=1)
    return day


def workday_on_or_after(day: date) -> date:
    return day if is_workday(day) else next_workday(day)


def workday_on_or_before(day: date) -> date:
    return day if is_workday(day) else previous_workday(day)


def add_workdays(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself not counted)."""
    for _ in range(count):
        day = next_workday(day)
    return day


def workdays_after(start: date, end: date) -> int:
    """Working days in (start, end]: how many working days after ``start`` a thing done on ``end`` came."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_workday(day)
    return count
