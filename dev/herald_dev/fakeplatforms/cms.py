"""Fake corporate CMS under ``/cms/<site>/``: the receiving end of Herald's signed webhook.

The CMS side of the contract (``herald.platforms.cms`` describes it; the checks here are written
from that description, not imported, so a bug in Herald's signing fails a test):

- ``X-Herald-Timestamp``: Unix seconds; ``X-Herald-Signature``: ``sha256=`` and the lowercase hex
  HMAC-SHA256, keyed by the site's secret, of the timestamp, ``.`` and the raw body.
- Refused with 401: a missing or malformed header (``signature malformed``), a timestamp more than
  the replay window away from the CMS clock, past or future (``signature stale``), a signature that
  does not match (``signature forged``). A publish whose signature was already accepted: 409.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from urllib.parse import quote, unquote

from herald_dev.fakeplatforms.state import FakeState, Fault, Reply, Request

TIMESTAMP_HEADER = "X-Herald-Timestamp"
SIGNATURE_HEADER = "X-Herald-Signature"
VALID, MALFORMED, STALE, FORGED = "valid", "malformed", "stale", "forged"
_TIMESTAMP = re.compile(r"[0-9]+")  # ASCII digits only: "²" is a digit to str.isdigit, not to int()


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)
    mac.update(f"{timestamp}.".encode("ascii"))
    mac.update(body)
    return "sha256=" + mac.hexdigest()


def check_signature(
    secret: str, timestamp: str | None, body: bytes, signature: str | None, now: float, window_seconds: int
) -> str:
    """VALID, or why the request is refused: MALFORMED, STALE (checked before the signature) or FORGED."""
    if not timestamp or not _TIMESTAMP.fullmatch(timestamp) or not (signature or "").startswith("sha256="):
        return MALFORMED
    if abs(now - int(timestamp)) > window_seconds:
        return STALE
    expected = signature_for(secret, timestamp, body).encode("ascii")
    if not hmac.compare_digest(expected, signature.encode("utf-8")):
        return FORGED
    return VALID


class ReplayGuard:
    """Publish signatures accepted while their timestamp is inside the window (later they are stale anyway).

    Not locked: the CMS handler holds the state lock.
    """

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def first_time(self, signature: str, timestamp: int, now: float, window_seconds: int) -> bool:
        self._seen = {s: t for s, t in self._seen.items() if abs(now - t) <= window_seconds}
        if signature in self._seen:
            return False
        self._seen[signature] = timestamp
        return True


def _error(status: int, message: str, **headers: str) -> Reply:
    return Reply(status, {"error": message}, dict(headers))


def handle(state: FakeState, request: Request, fault: Fault | None) -> Reply:
    site, _, rest = request.path.partition("/")
    with state.lock:
        secret = state.cms_sites.get(site)
    if secret is None:
        return _error(404, f"unknown site {site}")
    now = state.now().timestamp()
    window = state.config.cms_replay_window_seconds
    timestamp = request.headers.get(TIMESTAMP_HEADER.lower())
    signature = request.headers.get(SIGNATURE_HEADER.lower())
    verdict = check_signature(secret, timestamp, request.body, signature, now, window)
    if verdict != VALID:
        return _error(401, f"signature {verdict}")
    with state.lock:
        if request.method == "POST":
            guard = state.cms_replay_guards.setdefault(site, ReplayGuard())
            if not guard.first_time(signature, int(timestamp), now, window):
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
