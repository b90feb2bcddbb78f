"""Content checks (CON-1, CON-2, CON-7 to CON-10) as pure functions returning every violation found.

CON-7 covers every platform text limit checked at queue time: Weibo's length and link
(``weibo``), WeChat's article title, body and article count (``wechat``).

Each check returns a list of ``herald.errors.Violation``; ``check_item`` runs all that apply to one
item so the author sees everything to fix at once. Screening (CON-3, CON-4) lives in
``herald.screening``; its ``to_violations`` output joins these lists the same way.

Limits are read by attribute name, so either ``ContentRules()`` (seed-policy defaults) or a
``herald.policy`` Policy (``.content``, ``.lead_time``, ``.mass_send``) can be passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from herald.content.fields import check_category, check_source
from herald.content.limits import ContentLimits, ContentRules, LeadTimeRules, MassSendRules
from herald.content.media import check_media, detect_image_format
from herald.content.schedule import (
    WorkingCalendarError,
    check_lead_time,
    check_mass_send,
    count_working_days,
    is_working_day,
)
from herald.content.wechat import check_wechat_article
from herald.content.weibo import URL_PATTERN, check_weibo_length, check_weibo_link, weibo_length
from herald.errors import Violation


@dataclass(frozen=True)
class ContentItem:
    """What an author submits, as far as the content rules are concerned (column names of ``posts``)."""

    platform: str  # accounts.platform: wechat, weibo, ...
    body: str
    category: str | None
    source: str | None
    requested_at: datetime
    publish_at: datetime
    urgency: str = "regular"  # regular | urgent
    kind: str = "article"  # posts.kind; "mass_send" is a WeChat mass send
    media: tuple[Mapping, ...] = ()
    preview_sent_at: datetime | None = None
    other_mass_sends_at: tuple[datetime, ...] = ()  # the account's other mass sends, scheduled or published
    title: str | None = None


def check_item(item: ContentItem, rules=None) -> list[Violation]:
    """Every content violation of one item. Media limits apply on every platform (000 adopts 002's limits group-wide)."""
    rules = rules if rules is not None else ContentRules()
    content = rules.content
    violations = check_category(item.category, content.categories)
    if content.source_required:
        violations += check_source(item.source, content.source_placeholders)
    if item.platform == "weibo":
        violations += check_weibo_length(item.body, content)
        # The account's safe domains sit with its connection, not known at queue time: presence only.
        violations += check_weibo_link(item.body, None)
    elif item.platform == "wechat":
        violations += check_wechat_article(item.title, item.body)
    violations += check_media(item.media, content)
    if item.kind == "mass_send":
        violations += check_mass_send(item.publish_at, item.other_mass_sends_at, item.preview_sent_at, rules.mass_send)
    if item.urgency not in ("regular", "urgent"):
        violations.append(Violation("urgency", "CON-10", f"紧急程度“{item.urgency}”无效：只能是常规(regular)或紧急(urgent)"))
    else:
        violations += check_lead_time(item.requested_at, item.publish_at, item.urgency == "urgent", rules.lead_time)
    return violations


__all__ = [
    "URL_PATTERN",
    "ContentItem",
    "ContentLimits",
    "ContentRules",
    "LeadTimeRules",
    "MassSendRules",
    "WorkingCalendarError",
    "check_category",
    "check_item",
    "check_lead_time",
    "check_mass_send",
    "check_media",
    "check_source",
    "check_wechat_article",
    "check_weibo_length",
    "check_weibo_link",
    "count_working_days",
    "detect_image_format",
    "is_working_day",
    "weibo_length",
]
