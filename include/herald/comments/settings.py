"""The comment watch's settings: the policy pack's ``comment_watch`` section, or Herald's defaults (cited).

Every value answers to 003 §3.3.2 (24-hour monitoring; illegal or reputation-damaging comments reported to the
unit's head and 宣传部 at once) and §3.3.3-3.3.4 (public-opinion crises reported, one voice through 宣传部).
The seeds set no numbers: the defaults below are Herald's, and the pack section cites them as such.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

DEFAULT_CLAUSE = "Herald default (003 §3.3.2-3.3.4 set no numbers)"


@dataclass(frozen=True)
class WatchSettings:
    poll_seconds: int = 20  # one pull of every account this often (the escalation deadline is minutes)
    run_seconds: int = 110  # one DAG run polls this long; the next run (every 2 minutes) takes over
    escalate_within_minutes: int = 2  # from the comment's arrival to the message sent
    wechat_article_days: int = 30  # WeChat comments are read per article: articles of the last N days
    illegal_categories: tuple[str, ...] = ("obscenity", "gambling", "violence", "terror", "crime_incitement", "secrets")
    reputation_categories: tuple[str, ...] = ("honour", "rumour")
    negative_categories: tuple[str, ...] = ("honour", "rumour")
    surge_threshold: int = 20  # negative comments on one account within the window open a SEC-3 crisis finding
    surge_window_minutes: int = 60
    # SEC-4 (002 art.4): a comment with one of these words is also registered as a complaint (herald.complaints)
    complaint_markers: tuple[str, ...] = ("投诉", "维权", "退款", "索赔", "举报你们")
    lexicon: str = "default"

    @classmethod
    def from_section(cls, section: Mapping[str, Any] | None, lexicon: str = "default") -> WatchSettings:
        values: dict[str, Any] = {"lexicon": lexicon}
        for f in fields(cls):
            if section and f.name in section:
                value = section[f.name]
                values[f.name] = tuple(value) if isinstance(value, list) else value
        return cls(**values)


def settings_for(policy: Any) -> WatchSettings:
    """The settings of a loaded policy (``herald.policy.load_policy``): its ``comment_watch`` section if it has one."""
    section = getattr(policy, "comment_watch", None)
    if section is not None and not isinstance(section, Mapping):
        section = {f.name: getattr(section, f.name) for f in fields(WatchSettings) if hasattr(section, f.name)}
    return WatchSettings.from_section(section, lexicon=policy.screening.lexicon)
