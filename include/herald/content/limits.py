"""The content limits as plain frozen dataclasses, with the defaults of the seed policies.

Every check reads its limits by attribute name only, so the policy objects of ``herald.policy``
(``policy.content``, ``policy.lead_time``, ``policy.mass_send``), which carry the same names, can be
passed straight in instead of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MIB = 1024 * 1024


@dataclass(frozen=True)
class ContentLimits:
    """CON-1, CON-2 (001 art.11, 002 art.10.1), CON-7, CON-8 (002 art.10.2: "大于1MB小于5MB", "不超过500M"; a MB is 1 MiB)."""

    categories: tuple[str, ...] = ()  # allowed category codes; any container of codes works (a policy gives a dict)
    source_required: bool = True
    # CON-2: words that name no real source (compared by herald.content.fields.source_key).
    source_placeholders: tuple[str, ...] = (
        "未知", "不详", "来源不详", "来源未知", "网络", "来自网络", "互联网", "佚名", "匿名", "无", "暂无", "其他",
        "unknown", "n/a", "none", "null", "-", "—", "?", "？",
    )
    weibo_max_chars: int = 140
    weibo_url_weight: int = 20  # half-width units per URL, whatever its length (20 = 10 Chinese characters)
    image_types: tuple[str, ...] = ("jpeg",)
    image_min_bytes: int = 1 * MIB  # exclusive: an image must be larger
    image_max_bytes: int = 5 * MIB  # exclusive: an image must be smaller
    video_types: tuple[str, ...] = ("avi", "wma", "mov", "rm", "rmvb", "3gp")
    video_max_bytes: int = 500 * MIB  # inclusive


@dataclass(frozen=True)
class LeadTimeRules:
    """CON-10 (001 art.12.2)."""

    regular_min_days: int = 7
    urgent_min_working_days: int = 1


@dataclass(frozen=True)
class MassSendRules:
    """CON-9 (002 art.10.2: "微信每天只能群发一次，群发前需进行测试")."""

    max_per_day: int = 1
    preview_required: bool = True


@dataclass(frozen=True)
class ContentRules:
    """The three groups together, shaped like a policy (``.content``, ``.lead_time``, ``.mass_send``)."""

    content: ContentLimits = field(default_factory=ContentLimits)
    lead_time: LeadTimeRules = field(default_factory=LeadTimeRules)
    mass_send: MassSendRules = field(default_factory=MassSendRules)
