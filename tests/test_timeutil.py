"""Time rules: UTC storage, Shanghai weeks; the integer week shortcut equals the tz-aware form."""

from datetime import UTC, date, datetime, timedelta

import pytest

from herald.timeutil import (
    SHANGHAI,
    epoch_to_local_week_index,
    format_shanghai,
    iso_week_label,
    iso_week_monday,
    local_day,
    require_aware,
    shanghai_midnight_utc,
    week_index_monday,
)


def test_naive_datetime_is_refused_with_the_field_name():
    with pytest.raises(ValueError, match="publish_at: naive datetime"):
        require_aware(datetime(2026, 1, 1, 8), "publish_at")


@pytest.mark.parametrize(
    "day, label",
    [(date(2025, 12, 29), "2026-W01"), (date(2021, 1, 3), "2020-W53"), (date(2026, 12, 31), "2026-W53"),
     (date(2025, 1, 1), "2025-W01")],
)
def test_iso_week_labels_follow_iso_not_percent_w(day, label):
    assert iso_week_label(day) == label


def test_week_is_computed_on_the_shanghai_date():
    instant = datetime(2025, 12, 28, 17, 30, tzinfo=UTC)  # Monday 01:30 in Shanghai
    assert iso_week_label(instant.date()) == "2025-W52"
    assert iso_week_label(local_day(instant)) == "2026-W01"


def test_integer_week_shortcut_matches_tz_aware_weeks_over_years():
    start = datetime(2019, 12, 20, tzinfo=UTC)
    for hours in range(0, 24 * 365 * 3, 7):  # every 7 hours over three years, crossing midnights and years
        instant = start + timedelta(hours=hours)
        index = epoch_to_local_week_index(int(instant.timestamp()))
        assert week_index_monday(index) == iso_week_monday(instant.astimezone(SHANGHAI).date()), instant


def test_display_is_shanghai_wall_time():
    assert format_shanghai(datetime(2026, 1, 1, 0, 0, tzinfo=UTC)) == "2026-01-01 08:00:00 (北京时间)"
    assert shanghai_midnight_utc(date(2026, 1, 1)) == datetime(2025, 12, 31, 16, 0, tzinfo=UTC)


def test_aware_times_from_airflow_contexts_stay_aware_in_arithmetic():
    from datetime import timedelta

    import pendulum

    moment = require_aware(pendulum.datetime(2026, 11, 22, 9, 35, tz="Asia/Shanghai"), "as_of")
    assert type(moment) is datetime
    later = moment + timedelta(days=7)
    assert later.tzinfo is not None and later == datetime(2026, 11, 29, 1, 35, tzinfo=UTC)
