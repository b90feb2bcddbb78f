"""What a platform call came to, classified by the platform's own codes.

The tables below follow ``platform-contracts.md``. The one rule that matters most:
an outcome that is not known (a timeout after the request went out, Weibo 20032,
WeChat 45065, a possible duplicate) is ``unconfirmed``. It is settled by reading the
platform (freepublish/get, mass/get, the timeline), never by sending again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from herald.timeutil import SHANGHAI, now_utc


class OutcomeKind(str, Enum):  # noqa: UP042 - StrEnum would change how members print in logs and messages
    OK = "ok"
    REFRESH_TOKEN = "refresh_token"  # the token is stale: refresh it, then the call may be repeated
    RETRY = "retry"  # nothing happened on the platform: try again with backoff
    WAIT_QUOTA = "wait_quota"  # quota or rate limit: try again after retry_after_seconds
    FAILED = "failed"  # permanent: the platform refused this item, the reason says why
    UNCONFIRMED = "unconfirmed"  # may have been published: reconcile by reading, never resend
    CONFIG_ERROR = "config_error"  # the account's credentials, authorisation or whitelist need a person
    VALIDATION = "validation"  # the content breaks a platform limit: fix the item


# dispatch_attempts.outcome (0001) knows six values; the two kinds that need a person
# to change something are stored there as 'failed' with the code and message kept.
_ATTEMPT_OUTCOME = {
    OutcomeKind.CONFIG_ERROR: "failed",
    OutcomeKind.VALIDATION: "failed",
}


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    code: str | None = None  # the platform's code as text ("45065", "20032"), or a transport code
    message: str = ""  # already redacted: safe to log and to store
    retry_after_seconds: float | None = None
    data: dict[str, Any] = field(default_factory=dict)  # the success body, or ids adopted from an error

    @property
    def ok(self) -> bool:
        return self.kind is OutcomeKind.OK

    @property
    def attempt_outcome(self) -> str:
        """The value for ``dispatch_attempts.outcome``."""
        return _ATTEMPT_OUTCOME.get(self.kind, self.kind.value)

    def __str__(self) -> str:
        code = f" {self.code}" if self.code else ""
        return f"{self.kind.value}{code}: {self.message}".rstrip(": ")


def seconds_to_next_shanghai_day(now: datetime | None = None) -> float:
    """Daily quotas reset at midnight Beijing time."""
    local = (now or now_utc()).astimezone(SHANGHAI)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return math.ceil((midnight - local).total_seconds())


def seconds_to_next_hour(now: datetime | None = None) -> float:
    moment = now or now_utc()
    next_hour = (moment + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return math.ceil((next_hour - moment).total_seconds())


# --- WeChat: every response is HTTP 200; the errcode decides --------------------------------

WECHAT_RETRY = {-1}
WECHAT_REFRESH = {40001, 40014, 42001}
WECHAT_CONFIG = {40013, 48001, 40164, 61004, 41001, 40125}
WECHAT_FAILED = {40007, 53503, 53504, 53505}
# 45002 content, 45003 title, 45067 clientmsgid longer than 64 bytes
WECHAT_VALIDATION = {45002, 45003, 45067}
WECHAT_NEXT_DAY = {45009, 45028}
WECHAT_NEXT_MINUTE = {45011}
# 45065: this clientmsgid was already sent; the body carries the original msg_id, which is
# adopted and confirmed with mass/get. 45066: the same clientmsgid was retried within a
# minute, the first request is still being handled.
WECHAT_UNCONFIRMED = {45065, 45066}


def _int_code(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def classify_wechat(body: Any, now: datetime | None = None) -> Outcome:
    """Classify a WeChat response body (HTTP status is always 200 and says nothing)."""
    if not isinstance(body, dict):
        return Outcome(OutcomeKind.UNCONFIRMED, "bad_body", "WeChat answered with a body that is not a JSON object")
    code = _int_code(body.get("errcode"))
    message = str(body.get("errmsg", ""))
    if code in (None, 0):
        return Outcome(OutcomeKind.OK, None if code is None else "0", message, data=dict(body))
    text = str(code)
    if code in WECHAT_RETRY:
        return Outcome(OutcomeKind.RETRY, text, message)
    if code in WECHAT_REFRESH:
        return Outcome(OutcomeKind.REFRESH_TOKEN, text, message)
    if code in WECHAT_CONFIG:
        return Outcome(OutcomeKind.CONFIG_ERROR, text, message)
    if code in WECHAT_FAILED:
        return Outcome(OutcomeKind.FAILED, text, message)
    if code in WECHAT_VALIDATION:
        return Outcome(OutcomeKind.VALIDATION, text, message)
    if code in WECHAT_NEXT_DAY:
        return Outcome(OutcomeKind.WAIT_QUOTA, text, message, seconds_to_next_shanghai_day(now))
    if code in WECHAT_NEXT_MINUTE:
        return Outcome(OutcomeKind.WAIT_QUOTA, text, message, 60)
    if code in WECHAT_UNCONFIRMED:
        adopted = {"msg_id": body["msg_id"]} if "msg_id" in body else {}
        return Outcome(OutcomeKind.UNCONFIRMED, text, message, data=adopted)
    # An explicit errcode is a refusal: nothing was published. Unknown codes fail with the reason.
    return Outcome(OutcomeKind.FAILED, text, message or "unknown WeChat errcode")


# --- Weibo: HTTP 4xx/5xx with error_code (an int or a string) --------------------------------

WEIBO_RETRY = {10001, 10002, 10003, 10009}
WEIBO_NEXT_HOUR = {10022, 10023, 10024, 20016}
# 10008/10017: a parameter is wrong, e.g. the text holds no URL of the app's safe domain
WEIBO_VALIDATION = {10008, 10017, 20005, 20006, 20007, 20008, 20012}
WEIBO_POSSIBLE_DUPLICATE = {20017, 20019, 20111}
WEIBO_HUMAN_REVIEW = {20018, 20020, 20021}
WEIBO_DELAYED = {20032}
# token used, expired, revoked or refused (21332: invalid access token): re-authorise, do not retry
WEIBO_REAUTHORISE = {21314, 21315, 21316, 21317, 21319, 21325, 21327, 21330, 21332}


def classify_weibo(status: int, body: Any, now: datetime | None = None) -> Outcome:
    """Classify a Weibo response from its HTTP status and body."""
    code = _int_code(body.get("error_code")) if isinstance(body, dict) else None
    if code is None:
        if 200 <= status < 300 and isinstance(body, dict):
            return Outcome(OutcomeKind.OK, None, "", data=dict(body))
        if status in (502, 503):  # the gateway refused: the request did not reach Weibo's service
            return Outcome(OutcomeKind.RETRY, f"http_{status}", "Weibo service unavailable")
        if status == 429:
            return Outcome(OutcomeKind.WAIT_QUOTA, "http_429", "Weibo rate limit", seconds_to_next_hour(now))
        return Outcome(OutcomeKind.UNCONFIRMED, f"http_{status}", "Weibo answered without an error code")
    message = str(body.get("error", ""))
    text = str(code)
    if code in WEIBO_RETRY:
        return Outcome(OutcomeKind.RETRY, text, message)
    if code in WEIBO_NEXT_HOUR:
        return Outcome(OutcomeKind.WAIT_QUOTA, text, message, seconds_to_next_hour(now))
    if code in WEIBO_VALIDATION:
        return Outcome(OutcomeKind.VALIDATION, text, message)
    if code in WEIBO_POSSIBLE_DUPLICATE:
        return Outcome(OutcomeKind.UNCONFIRMED, text, f"possible duplicate, reconcile against the timeline: {message}")
    if code in WEIBO_DELAYED:
        return Outcome(OutcomeKind.UNCONFIRMED, text, f"published, confirmation delayed: {message}")
    if code in WEIBO_HUMAN_REVIEW:
        return Outcome(OutcomeKind.FAILED, text, f"needs human review: {message}")
    if code in WEIBO_REAUTHORISE:
        return Outcome(OutcomeKind.CONFIG_ERROR, text, f"account needs re-authorisation: {message}")
    return Outcome(OutcomeKind.FAILED, text, message or "unknown Weibo error_code")
