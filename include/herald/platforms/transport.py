"""One HTTP exchange with a platform, and what a transport failure means.

Whether a failure happened before or after the request went out decides everything:
a connection that was never made sent nothing (``retry``); a request that went out
and got no answer may have been published (``unconfirmed`` for writes; reads are
simply retried). No automatic resending happens here.

SEC-1: tokens and secrets travel in query strings and bodies. Messages that leave
this module are redacted, and urllib3's debug log (which prints request URLs with
their query strings) gets a filter that hides them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from herald.platforms.outcome import Outcome, OutcomeKind

DEFAULT_TIMEOUT = (3.05, 15.0)  # (connect, read) seconds

_SECRET_PARAMS = re.compile(r"(?i)\b(access_token|secret|appsecret|client_secret|token)=([^&\s'\"]+)")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Hide credential query parameters and any known secret value in ``text``."""
    text = _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=***", text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


class _RedactCredentials(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        record.msg = redact(str(record.msg))
        return True


def install_log_redaction() -> None:
    """Attach the redacting filter to urllib3's request logger (once)."""
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _RedactCredentials) for f in logger.filters):
        logger.addFilter(_RedactCredentials())


def _nothing_was_sent(exc: requests.ConnectionError) -> bool:
    """True when the connection itself failed (refused, DNS, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        return isinstance(reason.reason, (NewConnectionError, ConnectTimeoutError))
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def transport_outcome(exc: requests.RequestException, *, write: bool, secrets: Iterable[str | None] = ()) -> Outcome:
    message = redact(f"{type(exc).__name__}: {exc}", secrets)
    if isinstance(exc, requests.ConnectionError) and _nothing_was_sent(exc):
        return Outcome(OutcomeKind.RETRY, "connect_error", message)
    if isinstance(exc, (requests.Timeout, requests.ConnectionError)):
        if write:
            return Outcome(OutcomeKind.UNCONFIRMED, "no_response", f"sent, no answer: {message}")
        return Outcome(OutcomeKind.RETRY, "no_response", message)
    return Outcome(OutcomeKind.FAILED, "request_error", message)


def exchange(
    session: requests.Session,
    method: str,
    url: str,
    *,
    write: bool,
    timeout: Any = DEFAULT_TIMEOUT,
    secrets: Iterable[str | None] = (),
    **kwargs: Any,
) -> requests.Response | Outcome:
    """Send one request; return the response, or the Outcome of a transport failure."""
    try:
        return session.request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        return transport_outcome(exc, write=write, secrets=secrets)


def json_body(response: requests.Response) -> Any:
    """The parsed JSON body, or None when the body is not JSON."""
    try:
        return json.loads(response.content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def utf8_json(payload: Any) -> bytes:
    """JSON as UTF-8 with Chinese left as is (WeChat stores ``\\u`` escapes literally)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
