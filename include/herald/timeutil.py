"""Time rules: timezone-aware UTC in storage, Asia/Shanghai on screen.

Asia/Shanghai has been a fixed UTC+8 since 1991, which the scans exploit for
integer week arithmetic; ``tests/test_timeutil.py`` checks that shortcut against
the tz-aware form.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = UTC
SHANGHAI_OFFSET_SECONDS = 8 * 3600


def require_aware(value: datetime, field: str) -> datetime:
    """Refuse naive datetimes: they shifted posts by hours in peer products."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{field}: naive datetime {value.isoformat()} has no time zone; give UTC or +08:00")
    utc = value.astimezone(UTC)
    # A plain datetime, whatever came in: pendulum's (from Airflow contexts) loses its zone in arithmetic.
    return datetime(utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond, tzinfo=UTC)


def to_utc(value: datetime, field: str = "time") -> datetime:
    return require_aware(value, field)


def shanghai(value: datetime) -> datetime:
    return require_aware(value, "time").astimezone(SHANGHAI)


def format_shanghai(value: datetime | None) -> str:
    """How a time is shown to people: local wall time with its zone."""
    if value is None:
        return ""
    return shanghai(value).strftime("%Y-%m-%d %H:%M:%S") + " (北京时间)"


def local_day(value: datetime) -> date:
    return shanghai(value).date()


def shanghai_midnight_utc(day: date) -> datetime:
    """The UTC instant at which a Shanghai calendar day starts."""
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)


def iso_week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def iso_week_monday(day: date) -> date:
    return day - timedelta(days=day.isoweekday() - 1)


def epoch_to_local_week_index(epoch_seconds: int) -> int:
    """Monday-based week number counted from 1970-01-05 (a Monday), in Shanghai time.

    1970-01-01 was a Thursday, hence the +3: days since the epoch plus 3 divided by 7
    counts Monday-to-Sunday weeks.
    """
    return ((epoch_seconds + SHANGHAI_OFFSET_SECONDS) // 86400 + 3) // 7


def week_index_monday(week_index: int) -> date:
    return date(1970, 1, 1) + timedelta(days=week_index * 7 - 3)


def now_utc() -> datetime:
    return datetime.now(UTC)
