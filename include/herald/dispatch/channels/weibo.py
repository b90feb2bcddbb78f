"""Weibo: statuses/share at the second; the status object is the proof, a lost answer is found in the timeline."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from herald.dispatch.channels.base import Channel, not_settled, pick
from herald.dispatch.model import Settlement
from herald.platforms.outcome import Outcome


def _weibo_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError):
        try:
            return datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")
        except ValueError:
            return None


def _weibo_settlement(status: Mapping[str, Any]) -> Settlement:
    uid = str((status.get("user") or {}).get("idstr") or (status.get("user") or {}).get("id") or "")
    idstr = str(status.get("idstr") or status.get("id"))
    mid = str(status.get("mid") or idstr)
    url = f"https://weibo.com/{uid}/{mid}" if uid else None
    return Settlement.published(url, idstr, _weibo_time(status.get("created_at")), ref={"idstr": idstr, "uid": uid})


class WeiboChannel(Channel):
    """statuses/share at the second; the returned status object is the confirmation."""

    name = "weibo"
    operation = "statuses/share"

    def submit(self, post, staged) -> Outcome:
        return self.client.share(post["body"])

    def ref_of(self, outcome: Outcome) -> dict[str, Any]:
        ref = pick(outcome.data, "idstr", "mid", "created_at")
        user = outcome.data.get("user") or {}
        if user.get("idstr") or user.get("id"):
            ref["uid"] = str(user.get("idstr") or user.get("id"))
        return ref

    def confirm(self, post, ref) -> Settlement:
        if not ref.get("idstr"):
            return Settlement.pending("尚无微博 id")
        return _weibo_settlement({"idstr": ref["idstr"], "mid": ref.get("mid"), "created_at": ref.get("created_at"),
                                  "user": {"idstr": ref.get("uid")}})

    def reconcile(self, post, staged, since) -> Settlement:
        outcome = self.client.user_timeline(count=100)
        if not outcome.ok:
            return not_settled(outcome)
        for status in outcome.data.get("statuses") or []:
            created = _weibo_time(status.get("created_at"))
            if status.get("text") == post["body"] and (created is None or created >= since - timedelta(minutes=5)):
                return _weibo_settlement(status)
        return Settlement.not_found("微博时间线中没有正文相同的新微博")
