"""Sending the digests: email through Airflow's SMTP provider, and WeCom / DingTalk group robots.

Connections (ids from the policy's ``notifications.channels``) hold every address and secret:
the SMTP connection as the SMTP provider defines it; a robot connection keeps the webhook URL in
``extra.webhook_url`` (or ``host``) and, for DingTalk's 加签 security setting, the ``SEC...``
secret as its password. Airflow is imported inside functions only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from herald.cadence.digest import Digest
from herald.errors import HeraldError

WECOM_MARKDOWN_MAX_BYTES = 4096  # WeCom rejects longer markdown content
DINGTALK_MARKDOWN_MAX_BYTES = 20000
TRUNCATED = "\n……(内容过长已截断,完整清单请在Herald中查看)"


class RobotError(HeraldError):
    """A group robot refused a message (non-zero errcode) or could not be reached."""


@dataclass(frozen=True)
class RobotTarget:
    url: str
    secret: str | None = None


def _truncate_utf8(text: str, max_bytes: int) -> str:
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    room = max_bytes - len(TRUNCATED.encode("utf-8"))
    return text.encode("utf-8")[:room].decode("utf-8", errors="ignore") + TRUNCATED


def wecom_payload(digest: Digest) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": _truncate_utf8(digest.markdown(), WECOM_MARKDOWN_MAX_BYTES)}}


def dingtalk_payload(digest: Digest) -> dict[str, Any]:
    return {"msgtype": "markdown",
            "markdown": {"title": digest.subject, "text": _truncate_utf8(digest.markdown(), DINGTALK_MARKDOWN_MAX_BYTES)}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret, Base64, then URL-encoded."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def dingtalk_url(target: RobotTarget, timestamp_ms: int) -> str:
    if not target.secret:
        return target.url
    separator = "&" if "?" in target.url else "?"
    return f"{target.url}{separator}timestamp={timestamp_ms}&sign={dingtalk_sign(target.secret, timestamp_ms)}"


def post_robot(url: str, payload: Mapping[str, Any], *, timeout: float = 10.0) -> dict[str, Any]:
    """POST a robot message; both robots answer ``{"errcode": 0, "errmsg": "ok"}`` on success."""
    try:
        response = requests.post(url, json=payload, timeout=timeout)
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise RobotError(f"robot webhook {urllib.parse.urlsplit(url).netloc}: {exc}") from exc
    if body.get("errcode", 0) != 0:
        raise RobotError(f"robot webhook {urllib.parse.urlsplit(url).netloc}: errcode {body.get('errcode')} "
                         f"{body.get('errmsg')}")
    return body


def send_wecom(digest: Digest, target: RobotTarget) -> dict[str, Any]:
    return post_robot(target.url, wecom_payload(digest))


def send_dingtalk(digest: Digest, target: RobotTarget, *, clock: Callable[[], float] = time.time) -> dict[str, Any]:
    return post_robot(dingtalk_url(target, int(clock() * 1000)), dingtalk_payload(digest))


def send_email(digest: Digest, *, conn_id: str) -> list[str]:
    """Email the digest's recipients through the Airflow SMTP connection; return the addresses used."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    to = sorted({r.email for r in digest.recipients if r.email})
    if not to:
        return []
    with SmtpHook(smtp_conn_id=conn_id) as hook:
        hook.send_email_smtp(to=to, subject=digest.subject, html_content=digest.html())
    return to


def robot_target(conn_id: str) -> RobotTarget:
    """The webhook URL and signing secret kept in an Airflow connection."""
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    url = conn.extra_dejson.get("webhook_url") or conn.host
    if not url:
        raise RobotError(f"connection {conn_id}: no webhook_url in extra and no host")
    return RobotTarget(url=url, secret=conn.password or None)


def deliver(digests: list[Digest], channels: Mapping[str, str], *,
            target_for: Callable[[str], RobotTarget] = robot_target) -> list[dict[str, Any]]:
    """Send every digest on every configured channel (email, wecom_robot, dingtalk_robot); return what went where.

    Robots post to the group the connection names; each digest is one message, headed by its unit.
    A channel that fails raises after the others were tried, so one broken robot does not silence email.
    """
    log: list[dict[str, Any]] = []
    failures: list[str] = []
    targets = {kind: target_for(conn_id) for kind, conn_id in channels.items() if kind != "email"}
    for digest in digests:
        for kind, conn_id in channels.items():
            entry = {"audience": digest.audience, "unit_id": digest.unit_id, "channel": kind, "conn_id": conn_id}
            try:
                if kind == "email":
                    entry["to"] = send_email(digest, conn_id=conn_id)
                elif kind == "wecom_robot":
                    send_wecom(digest, targets[kind])
                elif kind == "dingtalk_robot":
                    send_dingtalk(digest, targets[kind])
                else:
                    raise RobotError(f"channel {kind!r} is not supported")
                entry["status"] = "sent"
            except Exception as exc:  # recorded and re-raised below, after the other channels
                entry["status"] = f"failed: {type(exc).__name__}: {exc}"[:500]
                failures.append(f"{kind}/{digest.unit_id}")
            log.append(entry)
    if failures:
        raise RobotError(f"notifications failed on {', '.join(failures)}; delivered: "
                         f"{sum(e['status'] == 'sent' for e in log)} of {len(log)}")
    return log
