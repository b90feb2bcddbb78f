"""Values passed between the dispatch steps."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PUBLISHED = "published"
PENDING = "pending"  # accepted or handed off, not yet visible: ask again later
FAILED = "failed"  # the platform says it will not be published
NOT_FOUND = "not_found"  # reconciliation: the platform has no trace of it (yet)


@dataclass(frozen=True)
class Settlement:
    """What a read-only look at the platform says about one post."""

    status: str
    url: str | None = None
    platform_item_id: str | None = None
    platform_publish_id: str | None = None
    published_at: datetime | None = None
    reason: str = ""
    ref: dict[str, Any] = field(default_factory=dict)  # ids learnt by the look (reconciliation)
    operator_id: str | None = None  # manual channels: who confirmed

    @classmethod
    def published(cls, url: str | None, platform_item_id: str | None, published_at: datetime | None = None,
                  platform_publish_id: str | None = None, **extra: Any) -> Settlement:
        return cls(PUBLISHED, url, platform_item_id, platform_publish_id, published_at, **extra)

    @classmethod
    def pending(cls, reason: str = "", **extra: Any) -> Settlement:
        return cls(PENDING, reason=reason, **extra)

    @classmethod
    def failed(cls, reason: str, **extra: Any) -> Settlement:
        return cls(FAILED, reason=reason, **extra)

    @classmethod
    def not_found(cls, reason: str = "") -> Settlement:
        return cls(NOT_FOUND, reason=reason)


@dataclass(frozen=True)
class DispatchResult:
    """What happened to one post at its second (JSON-safe through ``as_dict``: it crosses the triggerer)."""

    post_id: str
    status: str  # submitted | unconfirmed | retry_later | failed | not_claimed | write_failed
    reason: str = ""
    platform_ref: dict[str, Any] = field(default_factory=dict)
    submitted_at: str | None = None  # ISO time the call went out

    def as_dict(self) -> dict[str, Any]:
        return {"post_id": self.post_id, "status": self.status, "reason": self.reason,
                "platform_ref": dict(self.platform_ref), "submitted_at": self.submitted_at}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def loads(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}
