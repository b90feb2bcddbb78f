"""Chinese working days as arrays, so day counts over many events are one numpy expression.

``chinese_calendar`` knows the State Council's holiday arrangements (adjusted working weekends
included) year by year; for a year it does not know yet it raises, and the scan falls back to
Monday-to-Friday for those days and says so in the evidence (``calendar_fallback``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from herald.calendar import working_day

EPOCH = date(1970, 1, 1)


def day_number(day: date) -> int:
    return (day - EPOCH).days


def day_of_number(number: int) -> date:
    return EPOCH + timedelta(days=int(number))


@dataclass(frozen=True)
class WorkdayCalendar:
    """Working days over [first_day, first_day + len(is_workday)) as day numbers since 1970-01-01."""

    first_day: int
    is_workday: np.ndarray  # bool per day
    is_known: np.ndarray  # bool per day: the official calendar covers it
    rank: np.ndarray  # working days in [first_day, day], per day

    @classmethod
    def covering(cls, first_day: int, last_day: int) -> WorkdayCalendar:
        """A calendar from ``first_day`` to ``last_day`` (day numbers), with margin for deadlines after them."""
        first, last = int(first_day) - 1, int(last_day) + 40
        flags = [working_day(day_of_number(n)) for n in range(first, last + 1)]  # one entry per calendar day
        is_workday = np.array([f[0] for f in flags], dtype=bool)
        return cls(first, is_workday, np.array([f[1] for f in flags], dtype=bool), np.cumsum(is_workday))

    def _index(self, days: np.ndarray) -> np.ndarray:
        index = np.asarray(days, dtype=np.int64) - self.first_day
        if index.size and (index.min() < 0 or index.max() >= self.rank.size):
            raise ValueError("day outside the working-day calendar that was built for this scan")
        return index

    def workdays_after(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Working days in (start, end] for each pair: how many working days after ``start`` ``end`` came."""
        return self.rank[self._index(end)] - self.rank[self._index(start)]

    def workdays_from(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Working days in [start, end) for each pair: whole working days between a request and its day."""
        return self.workdays_after(np.asarray(start) - 1, np.asarray(end) - 1)

    def known(self, days: np.ndarray) -> np.ndarray:
        """Whether the official calendar covers each day (else Monday-to-Friday was assumed)."""
        return self.is_known[self._index(days)]
