"""Fake corporate CMS under ``/cms/<site>/``: the signed webhook of ``herald.platforms.cms``."""

from __future__ import annotations

import json
from urllib.parse import quote, unquote

from herald.fakeplatforms.state import Fault, FakeState, Reply, Request
from herald.platforms.cms import SIGNATURE_HEADER, TIMESTAMP_HEADER, VALID, ReplayGuard, verify_signature


def _error(status: int, message: str, **headers: str) -> Reply:
    return Reply(status, {"error": message}, dict(headers))


def handle(state: FakeState, request: Request, fault: Fault | None) -> Reply:
    site, _, rest = request.path.partition("/")
    with state.lock:
        secret = state.cms_sites.get(site)
    if secret is None:
        return _error(404, f"unknown site {site}")
    now = state.now().timestamp()
    signature = request.headers.get(SIGNATURE_HEADER.lower())
    verdict = verify_signature(
        secret,
        request.headers.get(TIMESTAMP_HEADER.lower()),
        request.body,
        signature,
        now,
        state.config.cms_replay_window_seconds,
    )
    if verdict != VALID:
        return _error(401, f"signature {verdict}")
    with state.lock:
        if request.method == "POST":
            guard = state.cms_replay_guards.setdefault(site, ReplayGuard(state.config.cms_replay_window_seconds))
            if not guard.first_time(signature, now):
                return _error(409, "signature replayed")
        if fault is not None and fault.kind == "quota":
            return _error(429, "too many requests", **{"Retry-After": "60"})
        if fault is not None and fault.kind == "system_busy":
            return _error(503, "busy")
        if rest == "publish" and request.method == "POST":
            return _publish(state, site, request.body)
        if rest.startswith("items/") and request.method == "GET":
            item = state.cms_items.get((site, unquote(rest[len("items/") :])))
            return Reply(200, item) if item else _error(404, "no such item")
    return _error(404, "not found")


def _publish(state: FakeState, site: str, body: bytes) -> Reply:
    try:
        envelope = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return _error(400, "body is not UTF-8 JSON")
    item = envelope.get("item") if isinstance(envelope, dict) else None
    if not isinstance(item, dict) or not item.get("item_id"):
        return _error(422, "item_id is required")
    item_id = str(item["item_id"])
    existing = state.cms_items.get((site, item_id))
    if existing:  # idempotent by item_id: the page exists, nothing new is published
        return Reply(200, dict(existing, duplicate=True))
    page = {
        "item_id": item_id,
        "url": f"https://{site}.herald-fake.test/news/{quote(item_id, safe='')}.html",
        "published_at": state.now().isoformat(),
        "duplicate": False,
    }
    state.cms_items[(site, item_id)] = page
    state.record("cms", site, item_id, "page", page["url"])
    return Reply(200, page)
