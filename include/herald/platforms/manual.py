"""Channels without a posting API (QQ groups, Tieba, forums, some blogs): the operator publishes.

At the publish time the approved item is handed to the named operator (PUB-3); the
operator posts it and confirms the link of the published item before a deadline. The
link must be an http(s) URL on a host the channel is expected to use, so a typo or a
link to somewhere else is refused with the reason. A missed deadline is a finding
(PUB-4: every published item is filed), never a silent skip.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from herald.errors import ValidationError, Violation
from herald.timeutil import format_shanghai, require_aware

MANUAL_PLATFORMS = ("qq", "tieba", "forum", "blog")

# Where each channel's published items live. Forums and self-hosted blogs differ per
# account: their patterns come from the account's configuration.
DEFAULT_HOST_PATTERNS: dict[str, tuple[str, ...]] = {
    "tieba": ("tieba.baidu.com", "*.tieba.baidu.com"),
    "qq": ("qun.qq.com", "*.qun.qq.com", "docs.qq.com", "qm.qq.com"),
    "forum": (),
    "blog": (),
}
DEFAULT_CONFIRMATION_WINDOW = timedelta(hours=4)
CHANNEL_NAMES = {"qq": "QQ 群", "tieba": "百度贴吧", "forum": "论坛", "blog": "博客"}


@dataclass(frozen=True)
class Handoff:
    """What the operator receives, and by when the published link must be confirmed."""

    post_id: str
    account_id: str
    platform: str
    operator_id: str
    title: str
    body: str
    publish_at: datetime
    deadline_at: datetime
    expected_hosts: tuple[str, ...]
    media: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["publish_at"] = self.publish_at.isoformat()
        data["deadline_at"] = self.deadline_at.isoformat()
        data["expected_hosts"] = list(self.expected_hosts)
        data["media"] = list(self.media)
        return data

    def instructions(self) -> str:
        """The message the operator reads (Chinese, times in Beijing time)."""
        hosts = "、".join(self.expected_hosts)
        return (
            f"请于 {format_shanghai(self.publish_at)} 在{CHANNEL_NAMES.get(self.platform, self.platform)}账号 {self.account_id} 发布稿件"
            f"「{self.title or self.post_id}」，并在 {format_shanghai(self.deadline_at)} 前回填已发布内容的链接"
            f"（须为 {hosts} 下的 http(s) 链接）。逾期未回填将记为未发布的问题。"
        )


def make_handoff(
    *,
    post_id: str,
    account_id: str,
    platform: str,
    operator_id: str,
    title: str,
    body: str,
    publish_at: datetime,
    media: Sequence[str] = (),
    expected_hosts: Sequence[str] | None = None,
    window: timedelta = DEFAULT_CONFIRMATION_WINDOW,
) -> Handoff:
    violations = []
    if platform not in MANUAL_PLATFORMS:
        violations.append(Violation("platform", "PUB-3", f"{platform} 不是人工发布渠道"))
    hosts = tuple(expected_hosts) if expected_hosts else DEFAULT_HOST_PATTERNS.get(platform, ())
    if not hosts:
        violations.append(
            Violation("expected_hosts", "PUB-4", f"{platform} 账号 {account_id} 未配置已发布链接的域名，无法核对回填链接")
        )
    if not operator_id:
        violations.append(Violation("operator_id", "PUB-3", "人工发布须指定经办人"))
    if window <= timedelta(0):
        violations.append(Violation("window", "PUB-4", "回填期限须晚于发布时间"))
    if violations:
        raise ValidationError(violations)
    publish_at = require_aware(publish_at, "publish_at")
    return Handoff(
        post_id, account_id, platform, operator_id, title, body, publish_at, publish_at + window,
        tuple(h.lower() for h in hosts), tuple(media),
    )


@dataclass(frozen=True)
class Confirmation:
    post_id: str
    link: str
    confirmed_by: str
    confirmed_at: datetime
    is_late: bool  # confirmed after the deadline: accepted, and the lateness is a finding


def host_matches(host: str, patterns: Sequence[str]) -> bool:
    host = host.lower().rstrip(".")
    return any(fnmatch.fnmatchcase(host, pattern) for pattern in patterns)


def check_confirmation(handoff: Handoff, link: str, confirmed_by: str, confirmed_at: datetime) -> Confirmation:
    """Accept the operator's link, or raise ValidationError naming what is wrong with it."""
    confirmed_at = require_aware(confirmed_at, "confirmed_at")
    violations = []
    parts = urlsplit((link or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        violations.append(Violation("link", "PUB-4", "回填的链接须为 http 或 https 网址"))
    elif not host_matches(parts.hostname, handoff.expected_hosts):
        violations.append(
            Violation(
                "link", "PUB-4",
                f"链接域名 {parts.hostname} 不属于该渠道（应为 {'、'.join(handoff.expected_hosts)}）",
            )
        )
    if confirmed_by != handoff.operator_id:
        violations.append(Violation("confirmed_by", "PUB-3", "只有被指派的经办人可以回填发布链接"))
    if violations:
        raise ValidationError(violations)
    return Confirmation(handoff.post_id, link.strip(), confirmed_by, confirmed_at, confirmed_at > handoff.deadline_at)


def is_overdue(handoff: Handoff, now: datetime) -> bool:
    """True once the deadline passed without a confirmation: the caller records a finding."""
    return require_aware(now, "now") > handoff.deadline_at
