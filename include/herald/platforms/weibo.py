"""Sina Weibo client: ``statuses/share`` with the platform's length rule, token info, timeline, comments, revocation.

Errors come as HTTP 4xx/5xx with ``error_code`` (an int or a string; ``classify_weibo``
parses both). 20032 ("published, server delayed") and the duplicate-content codes are
``unconfirmed``: confirm against ``user_timeline``, never post again. A status's ``id``
outgrows JavaScript integers, so ``idstr`` is what Herald keeps.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from herald.content.weibo import URL_PATTERN, weibo_length
from herald.platforms.outcome import Outcome, OutcomeKind, classify_weibo
from herald.platforms.transport import DEFAULT_TIMEOUT, exchange, install_log_redaction, json_body
from herald.timeutil import now_utc

log = logging.getLogger(__name__)

__all__ = ["WeiboClient", "weibo_length", "check_status", "image_type"]

MAX_STATUS_CHARS = 140
MAX_COMMENTS_PER_PAGE = 200  # comments/to_me.json returns at most 200 a page
MAX_PIC_BYTES = 5 * 1024 * 1024
TOPIC_PATTERN = re.compile(r"#[^#\s]+#")  # statuses/share refuses "#话题词#"
_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def image_type(data: bytes) -> str | None:
    """The MIME type of a JPEG, PNG or GIF by its magic bytes, else None."""
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return mime
    return None


def _on_safe_domain(url: str, safe_domains: Sequence[str]) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in (s.lower().lstrip(".") for s in safe_domains))


def check_status(status: str, safe_domains: Sequence[str] = (), pic: bytes | None = None) -> Outcome | None:
    """The share limits, checked before sending; a VALIDATION outcome or None. Codes mirror Weibo's."""
    if not status.strip():
        return Outcome(OutcomeKind.VALIDATION, "20008", "微博正文为空")
    length = weibo_length(status)
    if length > MAX_STATUS_CHARS:
        return Outcome(OutcomeKind.VALIDATION, "20012", f"微博正文按平台规则计 {length} 字，超过 {MAX_STATUS_CHARS} 字")
    if TOPIC_PATTERN.search(status):
        return Outcome(OutcomeKind.VALIDATION, "10017", "分享接口的正文不能包含 #话题词#")
    if safe_domains and not any(_on_safe_domain(u, safe_domains) for u in URL_PATTERN.findall(status)):
        return Outcome(
            OutcomeKind.VALIDATION, "10017", f"正文须包含至少一个应用安全域名（{'、'.join(safe_domains)}）下的链接"
        )
    if pic is not None:
        if image_type(pic) is None:
            return Outcome(OutcomeKind.VALIDATION, "20005", "图片须为 JPEG、GIF 或 PNG")
        if len(pic) >= MAX_PIC_BYTES:
            return Outcome(OutcomeKind.VALIDATION, "20006", "图片须小于 5 MB")
    return None


class WeiboClient:
    def __init__(
        self,
        base_url: str,
        access_token: str,
        session: requests.Session,
        *,
        safe_domains: Sequence[str] = (),
        rip: str | None = None,
        timeout: Any = DEFAULT_TIMEOUT,
        clock: Callable[[], datetime] = now_utc,
    ):
        self.base_url = base_url.rstrip("/") + "/"
        self._token = access_token
        self.session = session
        self.safe_domains = tuple(safe_domains)
        self.rip = rip
        self.timeout = timeout
        self.clock = clock
        install_log_redaction()

    def __repr__(self) -> str:
        return f"WeiboClient({self.base_url!r})"

    def _request(self, method: str, path: str, *, write: bool, **kwargs: Any) -> Outcome:
        response = exchange(
            self.session,
            method,
            self.base_url + path,
            write=write,
            timeout=self.timeout,
            secrets=[self._token],
            **kwargs,
        )
        if isinstance(response, Outcome):
            outcome = response
        else:
            outcome = classify_weibo(response.status_code, json_body(response), self.clock())
            if not write and outcome.kind is OutcomeKind.UNCONFIRMED and outcome.code.startswith("http_"):
                outcome = Outcome(OutcomeKind.RETRY, outcome.code, outcome.message)  # a read is safe to repeat
        log.info("weibo %s -> %s %s", path, outcome.kind.value, outcome.code or "")
        return outcome

    def share(self, status: str, pic: bytes | None = None, rip: str | None = None) -> Outcome:
        """``statuses/share.json``; data: ``idstr``, ``mid``, ``created_at``, ``text`` and the rest of the status."""
        refused = check_status(status, self.safe_domains, pic)
        if refused:
            return refused
        fields = {"access_token": self._token, "status": status}
        if rip or self.rip:
            fields["rip"] = rip or self.rip
        if pic is None:
            outcome = self._request("POST", "statuses/share.json", write=True, data=fields)
        else:
            mime = image_type(pic)
            files = {"pic": ("pic." + mime.split("/")[1], pic, mime)}
            outcome = self._request("POST", "statuses/share.json", write=True, data=fields, files=files)
        if outcome.ok:
            data = dict(outcome.data)
            data["idstr"] = str(data.get("idstr") or data.get("id"))
            return Outcome(OutcomeKind.OK, None, "", data=data)
        return outcome

    def get_token_info(self) -> Outcome:
        """``oauth2/get_token_info``; data adds ``expires_at`` (aware UTC) from ``expire_in``."""
        outcome = self._request("POST", "oauth2/get_token_info", write=False, data={"access_token": self._token})
        if outcome.ok and outcome.data.get("expire_in") is not None:
            expires_at = self.clock() + timedelta(seconds=int(outcome.data["expire_in"]))
            return Outcome(OutcomeKind.OK, None, "", data=dict(outcome.data, expires_at=expires_at))
        return outcome

    def user_timeline(self, count: int = 50, page: int = 1) -> Outcome:
        """``statuses/user_timeline.json`` of the authorising user: the read that settles unconfirmed shares."""
        params = {"access_token": self._token, "count": count, "page": page}
        return self._request("GET", "statuses/user_timeline.json", write=False, params=params)

    def comments_to_me(self, since_id: int | str = 0, count: int = MAX_COMMENTS_PER_PAGE, page: int = 1) -> Outcome:
        """``comments/to_me.json``: comments to the authorising user's statuses, newest first, with an id above
        ``since_id`` (0: all); data: ``comments`` (each ``idstr``, ``text``, ``created_at``, ``user``). A read."""
        count = max(1, min(int(count), MAX_COMMENTS_PER_PAGE))
        params = {"access_token": self._token, "since_id": int(since_id or 0), "count": count, "page": max(1, int(page))}
        return self._request("GET", "comments/to_me.json", write=False, params=params)

    def revoke_token(self) -> Outcome:
        """``oauth2/revokeoauth2``: the connection's access token stops working on the platform (a departing
        operator's access after a handover, ACC-5, SEC-1). data adds ``token_sha256``, the revoked token's SHA-256
        in hex, so the caller can record which credential ended without holding it. A revoked token is refused by
        every later call, this one included (21332: configuration error, re-authorise the account)."""
        outcome = self._request("POST", "oauth2/revokeoauth2", write=False, data={"access_token": self._token})
        if outcome.ok:
            digest = hashlib.sha256(self._token.encode("utf-8")).hexdigest()
            return Outcome(OutcomeKind.OK, outcome.code, outcome.message, data=dict(outcome.data, token_sha256=digest))
        return outcome
