"""What a scheduler submits, and the content hash that approvals bind to."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from herald.errors import ValidationError, Violation
from herald.timeutil import require_aware

POST_KINDS = ("article", "text", "mass_send", "page")
URGENCIES = ("regular", "urgent")
# CON-5 (003 §3.2.2): what an author may mark an item as; a marked item needs the competent department's authorisation.
SENSITIVE_MARKS = ("major_event", "emergency", "social_hot_spot", "sensitive_topic")
SENSITIVE_MARKS_ZH = {"major_event": "重大事件", "emergency": "突发事件", "social_hot_spot": "社会热点",
                      "sensitive_topic": "敏感问题"}
PAID_REPOST_ZH = "转载付费信息"
# The fields a request may carry; anything else is refused so a typo never silently drops a value.
REQUEST_FIELDS = ("account_id", "author_id", "title", "body", "category", "source", "media", "publish_at",
                  "urgency", "kind", "sensitive_marks", "paid_repost")


@dataclass(frozen=True)
class PostRequest:
    account_id: str
    author_id: str
    body: str
    publish_at: datetime
    category: str | None = None
    source: str | None = None
    title: str | None = None
    media: tuple[Mapping[str, Any], ...] = ()
    urgency: str = "regular"
    kind: str = "article"
    sensitive_marks: tuple[str, ...] = ()  # CON-5: the author's marks (SENSITIVE_MARKS), in canonical order
    paid_repost: bool = False  # CON-6: a repost of paid content

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, where: str = "") -> PostRequest:
        """Build from JSON-like input (CLI file, HTTP body), naming every bad field at once."""
        prefix = f"{where}." if where else ""
        violations = [
            Violation(f"{prefix}{key}", "CON-1", f"未知字段“{key}”，允许的字段：{', '.join(REQUEST_FIELDS)}")
            for key in data if key not in REQUEST_FIELDS
        ]
        for key in ("account_id", "author_id", "body", "publish_at"):
            value = data.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                violations.append(Violation(f"{prefix}{key}", _RULE_OF_REQUIRED[key], f"必填字段“{key}”缺失"))
        for key in ("account_id", "author_id", "body", "title", "category", "source", "urgency", "kind"):
            if data.get(key) is not None and not isinstance(data[key], str):
                violations.append(Violation(f"{prefix}{key}", "CON-1", f"字段“{key}”必须是文本"))
        publish_at = None
        raw_time = data.get("publish_at")
        if isinstance(raw_time, datetime):
            publish_at = raw_time
        elif isinstance(raw_time, str) and raw_time.strip():
            try:
                publish_at = datetime.fromisoformat(raw_time.strip().replace("Z", "+00:00"))
            except ValueError:
                violations.append(Violation(f"{prefix}publish_at", "CON-10",
                                            f"发布时间“{raw_time}”不是 ISO 8601 时间（例如 2026-05-01T09:00:00+08:00）"))
        if publish_at is not None and publish_at.tzinfo is None:
            violations.append(Violation(f"{prefix}publish_at", "CON-10", "发布时间必须带时区（例如 +08:00 或 Z）"))
            publish_at = None
        media = data.get("media") or ()
        if not isinstance(media, (list, tuple)) or not all(isinstance(m, Mapping) for m in media):
            violations.append(Violation(f"{prefix}media", "CON-8", "media 必须是对象列表"))
            media = ()
        kind = data.get("kind") or "article"
        if kind not in POST_KINDS:
            violations.append(Violation(f"{prefix}kind", "CON-1", f"类型“{kind}”无效，可选：{', '.join(POST_KINDS)}"))
        urgency = data.get("urgency") or "regular"
        if urgency not in URGENCIES:
            violations.append(Violation(f"{prefix}urgency", "CON-10", f"紧急程度“{urgency}”无效，可选：regular、urgent"))
        marks = _sensitive_marks(data.get("sensitive_marks"), f"{prefix}sensitive_marks", violations)
        paid_repost = data.get("paid_repost")
        if paid_repost is None:
            paid_repost = False
        elif not isinstance(paid_repost, bool):
            violations.append(Violation(f"{prefix}paid_repost", "CON-6",
                                        "“是否转载付费信息”(paid_repost) 只能是 true 或 false"))
        if violations:
            raise ValidationError(violations)
        return cls(
            account_id=data["account_id"].strip(),
            author_id=data["author_id"].strip(),
            body=data["body"],
            publish_at=require_aware(publish_at, "publish_at"),
            category=data.get("category"),
            source=data.get("source"),
            title=data.get("title"),
            media=tuple(dict(m) for m in media),
            urgency=urgency,
            kind=kind,
            sensitive_marks=marks,
            paid_repost=paid_repost,
        )

    def screened_text(self) -> dict[str, str]:
        """Every free-text field a reader will see, by field name."""
        return {name: value for name, value in (("title", self.title), ("body", self.body),
                                                ("source", self.source)) if value}


def _sensitive_marks(value: Any, field: str, violations: list[Violation]) -> tuple[str, ...]:
    """CON-5: a list of known marks, each once; returned in the canonical order so the hash does not depend on it."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        violations.append(Violation(field, "CON-5", "敏感标记(sensitive_marks) 必须是列表，如 [\"major_event\"]"))
        return ()
    allowed = "、".join(f"{code}（{label}）" for code, label in SENSITIVE_MARKS_ZH.items())
    seen: set[str] = set()
    for index, mark in enumerate(value):
        if not isinstance(mark, str) or mark not in SENSITIVE_MARKS:
            shown = mark if isinstance(mark, str) else repr(mark)
            violations.append(Violation(f"{field}[{index}]", "CON-5", f"敏感标记“{shown[:40]}”无效，可选：{allowed}"))
            continue
        if mark in seen:
            violations.append(Violation(f"{field}[{index}]", "CON-5", f"敏感标记“{mark}”重复"))
        seen.add(mark)
    return tuple(m for m in SENSITIVE_MARKS if m in seen)


_RULE_OF_REQUIRED = {"account_id": "ACC-1", "author_id": "PUB-3", "body": "CON-1", "publish_at": "CON-10"}


@dataclass(frozen=True)
class ReleaseRequest:
    """A matrix release (PUB-7): one item for many accounts, with per-platform variants.

    ``variants`` maps a platform (``weibo``, ``wechat`` ...) to the fields that differ there
    (a short Weibo text, a WeChat article); the base fields apply everywhere else.
    """

    account_ids: tuple[str, ...]
    base: Mapping[str, Any]
    variants: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def request_for(self, account_id: str, platform: str) -> dict[str, Any]:
        return {**self.base, **self.variants.get(platform, {}), "account_id": account_id}


def content_hash(request: PostRequest) -> str:
    """SHA-256 of the content an approver sees. Any change to it voids earlier signatures.

    The publish time is not content: rescheduling is checked again (lead time) but does not
    change what was approved. The author's marks (CON-5, CON-6) are: they decide the chain's steps,
    so a change of marks voids earlier signatures too. An unmarked post hashes as before the marks existed.
    """
    canonical = {
        "account_id": request.account_id,
        "kind": request.kind,
        "title": request.title or "",
        "body": request.body,
        "category": request.category or "",
        "source": request.source or "",
        "media": sorted((dict(m) for m in request.media), key=lambda m: json.dumps(m, sort_keys=True)),
        "urgency": request.urgency,
    }
    if request.sensitive_marks:
        canonical["sensitive_marks"] = list(request.sensitive_marks)
    if request.paid_repost:
        canonical["paid_repost"] = True
    encoded = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
