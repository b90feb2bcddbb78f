"""CON-9 (WeChat mass sends per day, preview first) and CON-10 (lead time of a publication request).

All day arithmetic is on Asia/Shanghai calendar dates: the company's days, whatever the storage zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from herald.calendar import working_day
from herald.errors import HeraldError, Violation
from herald.timeutil import format_shanghai, local_day, require_aware


class WorkingCalendarError(HeraldError):
    """The official working-day calendar does not cover a date; Herald refuses to guess it."""


def is_working_day(day: date) -> bool:
    """A Chinese working day: Monday to Friday except public holidays, plus adjusted workdays (调休)."""
    is_workday, official = working_day(day)
    if not official:
        raise WorkingCalendarError(
            f"no official working-day calendar for {day.isoformat()}; "
            "upgrade the chinesecalendar package once the State Council publishes that year's holidays")
    return is_workday


def count_working_days(first: date, stop: date, enough: int) -> int:
    """Working days d with first <= d < stop, counting no further than `enough`.

    Stopping at `enough` means a request made well before an uncovered year is still judged
    exactly, while one that needs an uncovered date raises WorkingCalendarError.
    """
    count = 0
    day = first
    while day < stop and count < enough:
        if is_working_day(day):
            count += 1
        day += timedelta(days=1)
    return count


def check_lead_time(
    requested_at: datetime, publish_at: datetime, urgent: bool, rules, field: str = "publish_at"
) -> list[Violation]:
    """CON-10, 001 art.12.2: "常规信息由各部门提前一周内提出发布需求；重要且紧急信息需提前一个工作日提出发布需求".

    Both times are judged on their Shanghai dates; the hour of the request does not matter, because
    the policy speaks in days and defines no office hours.

    - Regular: the publish date is at least `regular_min_days` calendar days after the request date
      (requested on the 1st, publishable from the 8th).
    - Urgent ("提前一个工作日"): at least `urgent_min_working_days` working days lie in
      [request date, publish date): the request date itself counts when it is a working day, the
      publish date never does. So the request must be made on the last working day before the
      publish day at the latest: for a Monday publication, by Friday (a Saturday request is late);
      after the 2026 Spring Festival (16–23 Feb off, Saturday 14 Feb an adjusted workday), a
      request for Tuesday 24 Feb must be made by Saturday 14 Feb. Adjusted workdays (调休) count,
      holidays do not (``chinese_calendar``).
    """
    requested_at = require_aware(requested_at, "requested_at")
    publish_at = require_aware(publish_at, "publish_at")
    requested_on, publish_on = local_day(requested_at), local_day(publish_at)
    shown = f"申请于 {format_shanghai(requested_at)}，计划发布于 {format_shanghai(publish_at)}"
    if urgent:
        needed = rules.urgent_min_working_days
        found = count_working_days(requested_on, publish_on, needed)
        if found < needed:
            return [Violation(field, "CON-10",
                              f"重要且紧急信息须提前 {needed} 个工作日提出发布需求：{shown}，"
                              f"其间只有 {found} 个工作日")]
        return []
    needed_days = rules.regular_min_days
    ahead = (publish_on - requested_on).days
    if ahead < needed_days:
        return [Violation(field, "CON-10",
                          f"常规信息须提前 {needed_days} 天提出发布需求：{shown}，只提前了 {max(ahead, 0)} 天")]
    return []


def check_mass_send(
    publish_at: datetime,
    other_mass_sends_at: Iterable[datetime],
    preview_sent_at: datetime | None,
    rules,
    field: str = "publish_at",
) -> list[Violation]:
    """CON-9, 002 art.10.2: "微信每天只能群发一次，群发前需进行测试".

    `other_mass_sends_at` are the account's other mass sends, scheduled or published (not this one);
    the ones on the same Shanghai date count against `max_per_day`. With `preview_required`, a
    preview send must be recorded strictly before the mass send.
    """
    publish_at = require_aware(publish_at, "publish_at")
    day = local_day(publish_at)
    same_day = sum(1 for other in other_mass_sends_at if local_day(require_aware(other, "other_mass_sends_at")) == day)
    violations = []
    if same_day + 1 > rules.max_per_day:
        violations.append(Violation(field, "CON-9",
                                    f"该公众号 {day.isoformat()}（北京时间）已有 {same_day} 次群发，"
                                    f"每天最多群发 {rules.max_per_day} 次"))
    if rules.preview_required:
        if preview_sent_at is None:
            violations.append(Violation("preview_sent_at", "CON-9", "群发前须先进行预览测试，尚无预览发送记录"))
        elif require_aware(preview_sent_at, "preview_sent_at") >= publish_at:
            violations.append(Violation("preview_sent_at", "CON-9",
                                        f"预览测试（{format_shanghai(preview_sent_at)}）须早于群发时间"
                                        f"（{format_shanghai(publish_at)}）"))
    return violations
