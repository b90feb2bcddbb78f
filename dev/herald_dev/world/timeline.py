"""The demo world's calendar: the last full calendar year and the current year up to ``as_of``.

History runs from the Monday of the ISO week holding 1 January of the last full year (so that week,
which starts in December, is complete) to the day before ``as_of``. The week holding ``as_of`` is
still running and is never judged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from herald.errors import ValidationError, Violation
from herald.timeutil import iso_week_monday

WEEK = timedelta(days=7)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Timeline:
    as_of: date

    def __post_init__(self) -> None:
        if not isinstance(self.as_of, date) or hasattr(self.as_of, "hour"):
            raise ValidationError([Violation("as_of", "PUB-5", "as_of 必须是日期（YYYY-MM-DD），不能是时间")])
        if self.as_of.year < 2006:
            raise ValidationError([Violation("as_of", "PUB-5", "as_of 早于 2006 年，无法生成演示历史")])

    @property
    def last_full_year(self) -> int:
        return self.as_of.year - 1

    @property
    def history_from(self) -> date:
        """First day with items: the Monday of the ISO week that holds 1 January of the last full year."""
        return iso_week_monday(date(self.last_full_year, 1, 1))

    @property
    def history_to(self) -> date:
        """Last day with items: the day before ``as_of``."""
        return self.as_of - DAY

    @property
    def current_week(self) -> date:
        """Monday of the week that holds ``as_of`` (incomplete, never judged)."""
        return iso_week_monday(self.as_of)

    def days(self) -> Iterator[date]:
        day = self.history_from
        while day <= self.history_to:
            yield day
            day += DAY

    def week_mondays(self) -> Iterator[date]:
        """Mondays of every complete week of the history."""
        monday = self.history_from
        while monday < self.current_week:
            yield monday
            monday += WEEK

    def is_complete_week(self, monday: date) -> bool:
        return self.history_from <= monday < self.current_week

    def recent(self, month: int, day: int, *, margin_days: int = 28) -> date:
        """That day of the current year if enough of it lies behind ``as_of``, else of the last full year.

        Lets a planted event sit in the current year for a late ``as_of`` and still exist for an early one.
        """
        this_year = date(self.as_of.year, month, day)
        return this_year if this_year + timedelta(days=margin_days) <= self.as_of else date(self.last_full_year, month, day)
