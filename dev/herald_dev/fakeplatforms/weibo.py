"""Fake Sina Weibo API under ``/2/``: HTTP 4xx/5xx errors with ``error_code`` (int or string).

The length rule is this fake's own reading of the contract (``platform-contracts.md``, beside the repository),
not Herald's ``herald.content.weibo``: the fake checks the client, it must not share its bugs.
"""

from __future__ import annotations

import email.parser
import email.policy
import math
import re
import string
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from herald_dev.fakeplatforms import comments, directory
from herald_dev.fakeplatforms.state import SHANGHAI, FakeState, Fault, Reply, Request

TOPIC = re.compile(r"#[^#\s]+#")  # statuses/share refuses "#topic#" text

MAX_CHARS = 140  # "at most 140 Chinese characters"
URL_UNITS = 20  # a link counts 20 half-width units (10 Chinese characters) whatever its length
# A link runs over printable ASCII from http:// or https:// and stops at a space or a non-ASCII
# character; sentence punctuation right after it (``看 http://x.cn/a).``) is not part of it.
_LINK = re.compile(r"https?://[!-~]+")
_SENTENCE_PUNCTUATION = "".join(c for c in string.punctuation if c not in "/#=&_-~%+")


def links(text: str) -> list[tuple[int, int]]:
    """(start, end) of every link in ``text``."""
    found = []
    for match in _LINK.finditer(text):
        link = match.group().rstrip(_SENTENCE_PUNCTUATION)
        if len(link) > link.index("://") + 3:  # something after the scheme
            found.append((match.start(), match.start() + len(link)))
    return found


def weibo_length(text: str) -> int:
    """Weibo's count: ceil((ASCII characters + 2 x other characters + 20 per link) / 2).

    Characters are code points (an emoji is one non-ASCII character); a link's own characters
    are not counted, only its 20 units.
    """
    spans = links(text)
    in_links = {i for start, end in spans for i in range(start, end)}
    units = URL_UNITS * len(spans)
    for i, ch in enumerate(text):
        if i not in in_links:
            units += 1 if ord(ch) < 0x80 else 2
    return math.ceil(units / 2)


# HTTP status Weibo pairs with each error code family
_HTTP_STATUS = {10001: 500, 10002: 503, 10009: 503, 10023: 403, 10017: 400, 20032: 400}


def _error(state: FakeState, request: Request, code: int, message: str) -> Reply:
    state.weibo_error_count += 1
    style = state.config.weibo_error_code_style
    as_text = style == "string" or (style == "alternate" and state.weibo_error_count % 2 == 0)
    status = _HTTP_STATUS.get(code) or (401 if 21300 <= code < 21400 else 400)
    body = {"request": "/2/" + request.path, "error_code": str(code) if as_text else code, "error": message}
    return Reply(status, body)


def _form(request: Request) -> tuple[dict[str, str], bytes | None]:
    """Fields of a form-encoded or multipart body, and the uploaded ``pic`` if any."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + request.body
        )
        fields: dict[str, str] = {}
        pic = None
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if name == "pic":
                pic = payload
            elif name:
                fields[name] = payload.decode("utf-8")
        return fields, pic
    parsed = parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}, None


def _token(request: Request, fields: dict[str, str]) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.startswith("OAuth2 "):
        return auth[len("OAuth2 ") :]
    return fields.get("access_token") or request.query.get("access_token")


def handle(state: FakeState, request: Request, fault: Fault | None) -> Reply:
    fields, pic = _form(request) if request.method == "POST" else (dict(request.query), None)
    token = _token(request, fields)
    with state.lock:
        user = state.weibo_tokens.get(token or "")
        if user is None:
            return _error(state, request, 21332, "invalid_access_token")
        if token in state.weibo_expired:
            return _error(state, request, 21327, "expired_token")
        if fault is not None:
            if fault.kind == "expire_token":
                state.weibo_expired.add(token)
                return _error(state, request, 21327, "expired_token")
            if fault.kind == "quota":
                return _error(state, request, 10023, "User requests out of rate limit!")
            if fault.kind == "system_busy":
                return _error(state, request, 10009, "Too many pending tasks, system is busy!")
        if request.path == "statuses/share.json" and request.method == "POST":
            return _share(state, request, user, fields, pic, fault)
        if request.path == "oauth2/get_token_info" and request.method == "POST":
            return Reply(
                200,
                {
                    "uid": user["uid"],
                    "appkey": user.get("appkey", ""),
                    "scope": user.get("scope", ""),
                    "create_at": user.get("create_at", 0),
                    "expire_in": user.get("expire_in", 157679999),
                },
            )
        if request.path == directory.WEIBO_PATH and request.method == "GET":
            return _directory_search(state, request, fields)
        if request.path == "statuses/user_timeline.json" and request.method == "GET":
            statuses = [
                {k: v for k, v in s.items() if k != "_at"} for s in reversed(state.weibo_statuses.get(user["uid"], []))
            ]
            count = max(1, min(int(fields.get("count", 20)), 100))
            page = max(1, int(fields.get("page", 1)))
            return Reply(200, {"statuses": statuses[(page - 1) * count : page * count], "total_number": len(statuses)})
        if request.path in ("comments/to_me.json", "comments/show.json") and request.method == "GET":
            return comments.weibo_comments(state, request, user, fields, _error)  # the comment watch (SEC-2)
        if request.path == "oauth2/revokeoauth2" and request.method == "POST":
            return _revoke(state, token)  # a handover rotates the account's credential (ACC-5, SEC-1)
        return _error(state, request, 10020, "Request api not found!")


def _revoke(state: FakeState, token: str | None) -> Reply:
    """``oauth2/revokeoauth2``: the token stops working at once (later calls get 21332); caller holds the lock."""
    state.weibo_tokens.pop(token or "", None)
    return Reply(200, {"result": "true"})


def _directory_search(state: FakeState, request: Request, fields: dict[str, str]) -> Reply:
    """User-search suggestions (the ACC-1 scan reads them): ``directory.py``."""
    return directory.weibo_suggestions(state, request, fields, _error)


def _on_safe_domain(text: str, domains: list[str]) -> bool:
    for start, end in links(text):
        host = (urlsplit(text[start:end]).hostname or "").lower()
        if any(host == d or host.endswith("." + d) for d in domains):
            return True
    return False


def _share(state: FakeState, request: Request, user: dict, fields: dict, pic: bytes | None, fault: Fault | None) -> Reply:
    status = fields.get("status", "")
    if not status.strip():
        return _error(state, request, 20008, "Content is null!")
    if weibo_length(status) > MAX_CHARS:
        return _error(state, request, 20012, "Text too long, please input text less than 140 characters!")
    if TOPIC.search(status):
        return _error(state, request, 10017, "parameter (status)'s value invalid, expect (no #topic#)")
    if not _on_safe_domain(status, user.get("safe_domains", [])):
        return _error(state, request, 10017, "parameter (status)'s value invalid, expect (text not find domain!)")
    if pic is not None:
        if not pic.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")):
            return _error(state, request, 20005, "Unsupported image type, only suport JPG, GIF, PNG!")
        if len(pic) >= 5 * 1024 * 1024:
            return _error(state, request, 20006, "Image size too large.")
    if fault is not None and fault.kind == "duplicate":
        return _error(state, request, 20019, "Repeated weibo text!")
    uid = user["uid"]
    timeline = state.weibo_statuses.setdefault(uid, [])
    if timeline and timeline[-1]["text"] == status:
        return _error(state, request, 20019, "Repeated weibo text!")  # Weibo compares with the latest post
    now = state.now()
    posted_last_hour = sum(1 for s in timeline if now - s["_at"] < timedelta(hours=1))
    if posted_last_hour >= state.config.weibo_posts_per_hour:
        return _error(state, request, 10023, "User requests out of rate limit!")
    status_id = 9_100_000_000_000_000 + state.next_id()  # beyond JavaScript's 2**53, as the contract warns
    record: dict[str, Any] = {
        "created_at": now.astimezone(SHANGHAI).strftime("%a %b %d %H:%M:%S %z %Y"),
        "id": status_id,
        "idstr": str(status_id),
        "mid": str(status_id),
        "text": status,
        "source": "Herald",
        "user": {"id": int(uid) if str(uid).isdigit() else uid, "idstr": str(uid), "screen_name": user.get("name", uid)},
    }
    if pic is not None:
        record["original_pic"] = f"https://wx1.sinaimg.cn/large/{status_id}.jpg"
    timeline.append(dict(record, _at=now))
    state.record("weibo", str(uid), status, "share", str(status_id))
    if fault is not None and fault.kind == "weibo_20032":
        return _error(state, request, 20032, "Update success, while server slow now, please wait 1-2 minutes.")
    return Reply(200, record)
