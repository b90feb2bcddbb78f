"""Corporate website and blog CMS: a signed webhook.

Herald's webhook contract (the CMS side implements it; the fake CMS does):

- ``POST {base_url}/publish`` with UTF-8 JSON ``{"request_id": <uuid>, "item": {...}}``
  (``item.item_id`` required). The request id makes every request's signature unique, so
  an identical signature can only be a captured request sent again.
- Headers ``X-Herald-Timestamp`` (Unix seconds) and
  ``X-Herald-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>``.
- The CMS refuses a signature that does not match (forged), a timestamp outside the
  replay window (stale or from the future), and a publish signature it has already seen (replay).
- Publishing is idempotent by ``item_id``: a second publish of the same item returns the
  existing page with ``"duplicate": true``. Answer: ``{"item_id", "url", "duplicate"}``.
- ``GET {base_url}/items/<item_id>`` (signed over an empty body; a repeated read is harmless,
  so reads are not replay-checked) reads an item back: the reconciliation of an unconfirmed publish.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import requests

from herald.platforms.outcome import Outcome, OutcomeKind
from herald.platforms.transport import DEFAULT_TIMEOUT, exchange, install_log_redaction, json_body

log = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Herald-Timestamp"
SIGNATURE_HEADER = "X-Herald-Signature"
REPLAY_WINDOW_SECONDS = 300

# verify_signature verdicts
VALID = "valid"
MALFORMED = "malformed"
STALE = "stale"  # outside the window, in the past or the future
FORGED = "forged"


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def sign(secret: str | bytes, timestamp: str, body: bytes) -> str:
    digest = hmac.new(_key(secret), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str | bytes,
    timestamp: str | None,
    body: bytes,
    signature: str | None,
    now: float,
    window_seconds: int = REPLAY_WINDOW_SECONDS,
) -> str:
    """VALID, MALFORMED, STALE or FORGED. ``now`` is Unix seconds.

    The signature is compared in constant time; the window check comes first so a
    replayed old request is refused even when its signature is genuine.
    """
    if not timestamp or not signature or not (timestamp.isascii() and timestamp.isdigit()) or not signature.startswith("sha256="):
        return MALFORMED
    if abs(now - int(timestamp)) > window_seconds:
        return STALE
    if not hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode("utf-8")):
        return FORGED
    return VALID


class ReplayGuard:
    """Signatures seen within the window: a genuine request sent twice is refused the second time."""

    def __init__(self, window_seconds: int = REPLAY_WINDOW_SECONDS):
        self.window_seconds = window_seconds
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_time(self, signature: str, now: float) -> bool:
        with self._lock:
            horizon = now - 2 * self.window_seconds  # anything older is refused as stale anyway
            for old in [s for s, at in self._seen.items() if at < horizon]:
                del self._seen[old]
            if signature in self._seen:
                return False
            self._seen[signature] = now
            return True


def classify_cms(status: int, body: Any, retry_after: str | None = None) -> Outcome:
    data = body if isinstance(body, dict) else {}
    reason = str(data.get("error", "")) or f"HTTP {status}"
    if 200 <= status < 300 and data.get("url"):
        return Outcome(OutcomeKind.OK, None, "", data=dict(data))
    if 200 <= status < 300:
        return Outcome(OutcomeKind.UNCONFIRMED, f"http_{status}", "CMS accepted without returning the page URL")
    if status in (401, 403):  # wrong secret or clock skew: a person fixes the configuration
        return Outcome(OutcomeKind.CONFIG_ERROR, f"http_{status}", reason)
    if status in (400, 413, 422):
        return Outcome(OutcomeKind.VALIDATION, f"http_{status}", reason)
    if status == 409:  # refused as a replay: this request published nothing
        return Outcome(OutcomeKind.FAILED, "http_409", reason)
    if status == 404:
        return Outcome(OutcomeKind.FAILED, "http_404", reason)
    if status == 429:
        wait = float(retry_after) if retry_after and retry_after.isdigit() else 60.0
        return Outcome(OutcomeKind.WAIT_QUOTA, "http_429", reason, wait)
    if status in (502, 503):
        return Outcome(OutcomeKind.RETRY, f"http_{status}", reason)
    # 500, 504 and the rest: the CMS may have stored the page before failing.
    return Outcome(OutcomeKind.UNCONFIRMED, f"http_{status}", reason)


class CmsWebhookClient:
    def __init__(
        self,
        base_url: str,
        secret: str,
        session: requests.Session,
        *,
        timeout: Any = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ):
        self.base_url = base_url.rstrip("/")
        self._secret = secret
        self.session = session
        self.timeout = timeout
        self.clock = clock
        install_log_redaction()

    def __repr__(self) -> str:
        return f"CmsWebhookClient({self.base_url!r})"

    def _headers(self, body: bytes) -> dict[str, str]:
        timestamp = str(int(self.clock()))
        return {
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
            "Content-Type": "application/json; charset=utf-8",
        }

    def _send(self, method: str, url: str, body: bytes, *, write: bool) -> Outcome:
        response = exchange(
            self.session, method, url, write=write, timeout=self.timeout, secrets=[self._secret],
            data=body or None, headers=self._headers(body),
        )
        if isinstance(response, Outcome):
            outcome = response
        else:
            outcome = classify_cms(response.status_code, json_body(response), response.headers.get("Retry-After"))
            if not write and outcome.kind is OutcomeKind.UNCONFIRMED:
                outcome = Outcome(OutcomeKind.RETRY, outcome.code, outcome.message)
        log.info("cms %s %s -> %s %s", method, url, outcome.kind.value, outcome.code or "")
        return outcome

    def publish(self, item: Mapping[str, Any]) -> Outcome:
        """Publish one item; data: ``item_id``, ``url``, ``duplicate``."""
        if not item.get("item_id"):
            return Outcome(OutcomeKind.VALIDATION, "local", "item_id 必填：CMS 以它保证同一条目只发布一次")
        envelope = {"request_id": uuid.uuid4().hex, "item": dict(item)}
        body = json.dumps(envelope, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
        return self._send("POST", f"{self.base_url}/publish", body, write=True)

    def get_item(self, item_id: str) -> Outcome:
        """Read an item back (FAILED with http_404 when the CMS does not have it)."""
        return self._send("GET", f"{self.base_url}/items/{quote(str(item_id), safe='')}", b"", write=False)
