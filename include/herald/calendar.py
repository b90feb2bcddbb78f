"""Chinese working days, from the State Council's arrangements as the ``chinesecalendar`` package knows them.

One lookup for every caller. For a year the package does not cover yet it raises; ``working_day``
then answers Monday-to-Friday and says the answer is not official, and each caller decides what
that means (the content rules refuse to guess, the scans and the demo world fall back and say so).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache


@lru_cache(maxsize=8192)
def working_day(day: date) -> tuple[bool, bool]:
    """(is a working day, known to the official calendar); adjusted working weekends (调休) included."""
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day)), True
    except NotImplementedError:  # chinese_calendar's way of saying "year not covered"
        return day.isoweekday() <= 5, False
