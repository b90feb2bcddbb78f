"""The platform's own record of a published item, as the bundle keeps it beside what Herald sent.

A fetcher is any callable ``fetch_platform_record(record) -> (filename, bytes)``. It may raise
``PlatformRecordUnavailable`` when the platform cannot answer now (outage, quota, token): the item
is then left for the next run instead of being archived without its record.

- ``client_fetcher``: reads the item back through Herald's platform clients (WeChat
  ``freepublish/getarticle`` or ``message/mass/get``, the Weibo timeline's status object, the CMS
  ``items/<id>``), falling back to ``default_fetcher`` for platforms it has no client for;
- ``default_fetcher``: channels without an API keep the operator's confirmation (``source:
  operator_confirmation``); anything else keeps what Herald's log knows (``source: herald_log``),
  as for the demo world, whose history has no live platform behind it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from herald.archive.records import ItemRecord
from herald.errors import HeraldError
from herald.timeutil import now_utc

WEIBO_TIMELINE_PAGES = 5  # the timeline is read newest first; older statuses are beyond a sweep's reach


class PlatformRecordUnavailable(HeraldError):
    """The platform could not be asked now; archive the item on a later run."""


class FetchPlatformRecord(Protocol):
    def __call__(self, record: ItemRecord) -> tuple[str, bytes]: ...


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_default).encode("utf-8")


def _default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _published_event(record: ItemRecord) -> dict[str, Any] | None:
    published = [e for e in record.events if e["state"] == "published"]
    return published[-1] if published else None


def operator_confirmation_record(record: ItemRecord) -> tuple[str, bytes]:
    """Manual channels: the operator's confirmation of the link, as Herald recorded it."""
    item = record.item
    return "operator_confirmation.json", _json({
        "source": "operator_confirmation",
        "item_id": record.item_id,
        "platform": record.platform,
        "account_id": record.account_id,
        "url": item.get("url"),
        "platform_item_id": item.get("platform_item_id"),
        "operator_id": item.get("operator_id"),
        "operator_name": item.get("operator_name"),
        "published_at": item.get("published_at"),
        "confirmed_at": item.get("confirmed_at"),
        "confirmation_event": _published_event(record),
    })


def herald_log_record(record: ItemRecord) -> tuple[str, bytes]:
    """What Herald's publishing log knows of the item, for items no platform can be asked about."""
    item = record.item
    last_ok = next((a for a in reversed(record.attempts) if a["outcome"] == "ok"), None)
    return "herald_log.json", _json({
        "source": "herald_log",
        "note": "平台记录未回读：按 Herald 发布日志存档（演示数据或无接口渠道）",
        "item_id": record.item_id,
        "platform": record.platform,
        "account_id": record.account_id,
        "origin": item.get("origin"),
        "platform_item_id": item.get("platform_item_id"),
        "platform_publish_id": item.get("platform_publish_id"),
        "url": item.get("url"),
        "published_at": item.get("published_at"),
        "confirmed_at": item.get("confirmed_at"),
        "platform_status": item.get("platform_status"),
        "status_checked_at": item.get("status_checked_at"),
        "last_successful_response": last_ok["response"] if last_ok else None,
    })


def default_fetcher(record: ItemRecord) -> tuple[str, bytes]:
    if record.item.get("origin") == "manual_confirmation":
        return operator_confirmation_record(record)
    return herald_log_record(record)


# --- reading the platform back through Herald's clients --------------------------------------

_DEFER = {"retry", "wait_quota", "unconfirmed", "config_error", "refresh_token"}


def _platform_record(name: str, source: str, record: ItemRecord, request: dict, outcome: Any,
                     clock: Callable[[], datetime]) -> tuple[str, bytes]:
    kind = outcome.kind.value
    if kind in _DEFER:
        raise PlatformRecordUnavailable(f"{source} for {record.item_id}: {outcome}")
    return name, _json({
        "source": source,
        "item_id": record.item_id,
        "fetched_at": clock(),
        "request": request,
        "url": record.item.get("url"),
        "found": outcome.ok,
        "outcome": kind,
        "code": outcome.code,
        "message": outcome.message,
        "response": outcome.data,
    })


# Which client kind reads an item back, by the account's platform.
CLIENT_KIND = {"wechat": "wechat", "weibo": "weibo", "website": "cms", "blog": "cms"}


def client_fetcher(
    *,
    wechat: Mapping[str, Any] | None = None,
    weibo: Mapping[str, Any] | None = None,
    cms: Mapping[str, Any] | None = None,
    fallback: FetchPlatformRecord = default_fetcher,
    clock: Callable[[], datetime] = now_utc,
) -> FetchPlatformRecord:
    """A fetcher over platform clients keyed by account id (``WeChatClient``, ``WeiboClient``,
    ``CmsWebhookClient``)."""
    keyed = {"wechat": dict(wechat or {}), "weibo": dict(weibo or {}), "cms": dict(cms or {})}
    return lookup_fetcher(lambda platform, account: keyed[CLIENT_KIND[platform]].get(account),
                          fallback=fallback, clock=clock)


def lookup_fetcher(
    client_for: Callable[[str, str], Any | None],
    *,
    fallback: FetchPlatformRecord = default_fetcher,
    clock: Callable[[], datetime] = now_utc,
) -> FetchPlatformRecord:
    """A fetcher asking ``client_for(platform, account_id)`` for each item's client (None when the account
    has none; websites and blogs answer through their CMS client). A refusal (the article is gone) is kept as the platform's answer; a
    platform that cannot answer now defers the item; an account without a client keeps ``fallback``."""

    def fetch(record: ItemRecord) -> tuple[str, bytes]:
        item, account = record.item, record.account_id
        platform_id = item.get("platform_item_id")
        kind = CLIENT_KIND.get(record.platform)
        client = client_for(record.platform, account) if kind else None
        if client is None:
            return fallback(record)
        if kind == "wechat" and platform_id:
            if item.get("is_mass_send"):
                request = {"msg_id": platform_id}
                return _platform_record("wechat_mass_get.json", "wechat:message/mass/get", record, request,
                                        client.get_mass(platform_id), clock)
            request = {"article_id": platform_id}
            return _platform_record("wechat_getarticle.json", "wechat:freepublish/getarticle", record, request,
                                    client.get_article(platform_id), clock)
        if kind == "weibo" and platform_id:
            return _weibo_status(client, record, str(platform_id), clock)
        if kind == "cms":
            cms_id = platform_id or record.item_id
            return _platform_record("cms_item.json", "cms:items", record, {"item_id": cms_id},
                                    client.get_item(cms_id), clock)
        return fallback(record)

    return fetch


def _weibo_status(client: Any, record: ItemRecord, idstr: str, clock: Callable[[], datetime]) -> tuple[str, bytes]:
    """The status object from the authorising user's timeline (newest first, a few pages)."""
    for page in range(1, WEIBO_TIMELINE_PAGES + 1):
        outcome = client.user_timeline(count=100, page=page)
        if outcome.kind.value in _DEFER:
            raise PlatformRecordUnavailable(f"weibo timeline for {record.item_id}: {outcome}")
        statuses = outcome.data.get("statuses") or [] if outcome.ok else []
        for status in statuses:
            if str(status.get("idstr") or status.get("id")) == idstr:
                return "weibo_status.json", _json({
                    "source": "weibo:statuses/user_timeline", "item_id": record.item_id, "fetched_at": clock(),
                    "request": {"idstr": idstr, "page": page}, "url": record.item.get("url"), "found": True,
                    "response": status,
                })
        if not outcome.ok or len(statuses) < 100:
            break
    return "weibo_status.json", _json({
        "source": "weibo:statuses/user_timeline", "item_id": record.item_id, "fetched_at": clock(),
        "request": {"idstr": idstr, "pages": WEIBO_TIMELINE_PAGES}, "url": record.item.get("url"), "found": False,
        "response": None, "note": "时间线中未找到该微博：可能已被删除或屏蔽",
    })
