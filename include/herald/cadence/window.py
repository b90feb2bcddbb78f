"""Which weeks a cadence scan judges: whole Monday-to-Sunday weeks in Asia/Shanghai, complete at its as-of.

Weeks are numbered as ``herald.timeutil.epoch_to_local_week_index`` (week 0 starts Monday
1970-01-05 in Shanghai), so SQL and numpy can compute them with integer arithmetic. A scan
of a data interval judges the weeks completed by the interval's end and the policy's rescan
window before the interval, so logs that arrive late are counted on a later day and the
findings of those weeks are updated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from herald.timeutil import (
    epoch_to_local_week_index,
    iso_week_label,
    require_aware,
    shanghai_midnight_utc,
    week_index_monday,
)


def week_of_instant(instant: datetime) -> int:
    return epoch_to_local_week_index(int(require_aware(instant, "instant").timestamp() // 1))


def week_of_day(day: date) -> int:
    return ((day - date(1970, 1, 1)).days + 3) // 7


def week_label(week_index: int) -> str:
    return iso_week_label(week_index_monday(week_index))


def week_of_label(label: str) -> int:
    """``2025-W14`` -> its week index; refuses labels that are not ISO weeks."""
    try:
        year, week = label.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise ValueError(f"week: {label!r} is not an ISO week label like 2025-W14") from None
    return week_of_day(monday)


@dataclass(frozen=True)
class ScanWindow:
    """Weeks [first_week, last_week] judged as seen at ``as_of`` (only weeks complete by then)."""

    first_week: int
    last_week: int
    as_of: datetime

    def __post_init__(self) -> None:
        require_aware(self.as_of, "as_of")
        if self.last_week > week_of_instant(self.as_of) - 1:
            raise ValueError(
                f"last_week: {week_label(self.last_week)} is not complete at {self.as_of.isoformat()}; "
                "the current week is never judged"
            )

    @classmethod
    def complete_weeks(cls, first_week: int, last_week: int, as_of: datetime) -> ScanWindow:
        """The weeks of [first_week, last_week] that are complete at ``as_of`` (possibly none)."""
        return cls(first_week, min(last_week, week_of_instant(as_of) - 1), as_of)

    @classmethod
    def for_interval(cls, start: datetime, end: datetime, rescan_weeks: int) -> ScanWindow:
        """A scheduled run over [start, end): the weeks completed by ``end`` since ``rescan_weeks`` before ``start``."""
        if rescan_weeks < 0:
            raise ValueError("rescan_weeks: must not be negative")
        return cls.complete_weeks(week_of_instant(start) - rescan_weeks, week_of_instant(end) - 1, end)

    @classmethod
    def for_audit_year(cls, year: int, as_of: datetime) -> ScanWindow:
        """The ISO weeks of ISO week-year ``year`` (each week belongs to the year of its Thursday)."""
        first = week_of_day(date.fromisocalendar(year, 1, 1))
        last = week_of_day(date.fromisocalendar(year + 1, 1, 1)) - 1
        return cls.complete_weeks(first, last, as_of)

    @property
    def is_empty(self) -> bool:
        return self.last_week < self.first_week

    @property
    def first_label(self) -> str:
        return week_label(self.first_week)

    @property
    def last_label(self) -> str:
        return week_label(self.last_week)

    @property
    def first_day(self) -> date:
        return week_index_monday(self.first_week)

    @property
    def last_day(self) -> date:
        return week_index_monday(self.last_week) + timedelta(days=6)

    @property
    def start_at(self) -> datetime:
        """The UTC instant the first week starts (Monday 00:00 in Shanghai)."""
        return shanghai_midnight_utc(self.first_day)

    @property
    def end_at(self) -> datetime:
        """The UTC instant after the last week ends (the next Monday 00:00 in Shanghai)."""
        return shanghai_midnight_utc(self.last_day + timedelta(days=1))

    def weeks(self) -> range:
        return range(self.first_week, self.last_week + 1)

    def describe(self) -> dict[str, str]:
        return {"first_week": self.first_label, "last_week": self.last_label, "as_of": self.as_of.isoformat()}
