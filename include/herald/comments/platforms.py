"""Reading comments from the platforms, incrementally (SEC-2). The contract is in ``docs/comment-apis.md``.

WeChat official accounts list the comments of one article (``POST comment/list`` with ``msg_data_id``,
``index``, ``begin``, ``count`` <= 50, ``type`` 0 = all): the high-water mark of an article is how many of
its comments were read, and the next pull starts a few comments before it (``OVERLAP``) so a comment the
author deleted meanwhile, which shifts the offsets, costs a re-read, never a miss; comments are keyed by
``user_comment_id``, so re-reads store nothing twice. Weibo lists every comment to the authorising user
(``GET comments/to_me.json``), newest first, ``since_id`` excluding what was seen: the high-water mark is the
largest comment id read. Pages are walked until one comes back short; a comment that arrives while paging
pushes older ones down a page, which again only re-reads.

The calls go through the publishing clients' public reads (``WeChatClient.list_comments``,
``WeiboClient.comments_to_me`` in ``herald.platforms``): the same token holder, timeouts, redaction and error
classification. A read that fails leaves the high-water mark where it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from herald.platforms.outcome import Outcome, OutcomeKind

log = logging.getLogger(__name__)

WECHAT_PAGE = 50  # comment/list refuses more than 50 a call (88010)
WEIBO_PAGE = 200  # comments/to_me.json returns at most 200 a page
OVERLAP = 5  # WeChat: re-read this many comments before the high-water mark
MAX_PAGES = 50  # one pull of one source reads at most this many pages; the rest waits for the next cycle
WEIBO_SOURCE = "to_me"


@dataclass(frozen=True)
class PulledComment:
    platform: str
    account_id: str
    source_key: str
    platform_comment_id: str
    author_ref: str | None
    content: str
    commented_at: datetime | None
    record: dict[str, Any]  # the platform's own record, as received (the evidence)

    @property
    def comment_key(self) -> str:
        return f"{self.platform}:{self.account_id}:{self.platform_comment_id}"


@dataclass
class Pull:
    """What one source gave in one pull: its comments and where the next pull starts (None: unchanged)."""

    account_id: str
    source_key: str
    comments: list[PulledComment] = field(default_factory=list)
    high_water: str | None = None
    error: Outcome | None = None


def wechat_source_key(msg_data_id: str, index: int) -> str:
    return f"{msg_data_id}:{index}"


def pull_wechat(client: Any, account_id: str, msg_data_id: str, index: int, high_water: str | None) -> Pull:
    """Comments of one WeChat article after ``high_water`` (comments read so far)."""
    source = wechat_source_key(msg_data_id, index)
    pull = Pull(account_id, source)
    read = int(high_water or 0)
    begin = max(0, read - OVERLAP)
    for _ in range(MAX_PAGES):
        outcome = client.list_comments(msg_data_id, index=index, begin=begin, count=WECHAT_PAGE, comment_type=0)
        if not outcome.ok:
            if outcome.code == "88001":  # no such article, or its comments are closed: nothing to read yet
                return pull
            pull.error = outcome
            break
        items = outcome.data.get("comment") or []
        for item in items:
            pull.comments.append(PulledComment(
                "wechat", account_id, source, str(item.get("user_comment_id")), item.get("openid") or None,
                str(item.get("content") or ""), _epoch(item.get("create_time")),
                {"msg_data_id": str(msg_data_id), "index": index, **item}))
        begin += len(items)
        read = max(read, begin)
        total = int(outcome.data.get("total") or 0)
        if len(items) < WECHAT_PAGE or begin >= total:
            break
    if pull.error is None or read > int(high_water or 0):
        pull.high_water = str(read)
    return pull


def pull_weibo(client: Any, account_id: str, high_water: str | None) -> Pull:
    """Comments to the account's user with an id above ``high_water``."""
    pull = Pull(account_id, WEIBO_SOURCE)
    since = int(high_water or 0)
    newest = since
    for page in range(1, MAX_PAGES + 1):
        outcome = client.comments_to_me(since_id=since, count=WEIBO_PAGE, page=page)
        if not outcome.ok:
            pull.error = outcome
            break
        items = outcome.data.get("comments") or []
        for item in items:
            comment_id = int(item.get("idstr") or item.get("id"))
            newest = max(newest, comment_id)
            user = item.get("user") or {}
            pull.comments.append(PulledComment(
                "weibo", account_id, WEIBO_SOURCE, str(comment_id), str(user.get("idstr") or user.get("id") or "") or None,
                str(item.get("text") or ""), _weibo_time(item.get("created_at")), item))
        if len(items) < WEIBO_PAGE:
            break
    if pull.error is None:
        pull.high_water = str(newest)
    elif pull.comments:
        # Pages came newest first and a later one failed: the oldest unread may lie below what was read.
        # Keep the mark; the next pull re-reads these (stored once) and the rest.
        pull.high_water = None
    return pull


def _epoch(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _weibo_time(value: Any) -> datetime | None:
    """Weibo's ``Tue Dec 03 15:40:00 +0800 2026``, as aware UTC."""
    if not value:
        return None
    try:
        return datetime.strptime(str(value), "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)
    except ValueError:
        try:
            return parsedate_to_datetime(str(value)).astimezone(UTC)
        except (TypeError, ValueError):
            return None


def is_permanent(outcome: Outcome) -> bool:
    """A failure a person must fix (credentials, authorisation): logged loudly, retried next cycle anyway."""
    return outcome.kind in (OutcomeKind.CONFIG_ERROR, OutcomeKind.FAILED)
