"""Settle every post whose outcome is not known, by reading the platform; never by sending again.

- 'dispatching' without a write-ahead attempt: the claim happened but no call was made (the attempt
  row is written before every call), so the post goes back to 'approved' and is dispatched normally.
- ids known (``platform_ref``): the read-only confirmation (``settle``), as often as needed.
- ids unknown (timeout after sending, the process killed before storing them, Weibo 20032 or a
  duplicate-content code): the channel's ``reconcile`` looks for the post on the platform. Found: the
  ids are stored and the item filed. Not found after the settle window: 'failed' with a reason that
  says so; a person decides whether to send it again (Herald never resubmits on its own).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from herald.db import Database
from herald.dispatch.channels.routing import Channels
from herald.dispatch.dispatcher import apply_settlement, settle
from herald.dispatch.model import FAILED, NOT_FOUND, PUBLISHED, Settlement, loads
from herald.posts.events import record_event
from herald.timeutil import require_aware

DEFAULT_GRACE = timedelta(seconds=30)  # leave a just-claimed post to its own run first
DEFAULT_SETTLE_WINDOW = timedelta(minutes=10)  # Weibo's 20032 says "wait 1-2 minutes"; WeChat publishes in minutes


def reconcile_post(db: Database, post_id: str, channels: Channels, *, now: datetime,
                   settle_window: timedelta = DEFAULT_SETTLE_WINDOW) -> dict[str, Any]:
    now = require_aware(now, "now")
    post = db.fetch_one("dispatch/post", post_id=post_id)
    if post is None or post["state"] not in ("dispatching", "unconfirmed"):
        return {"post_id": post_id, "state": post["state"] if post else None}
    since = db.scalar("dispatch/first_submit_at", post_id=post_id)
    if post["state"] == "dispatching" and since is None:
        reason = "已认领但未调用平台（有调用前记录为证），退回待发布，将按时重新发布"
        with db.transaction() as tx:
            if tx.execute("dispatch/set_state", post_id=post_id, new_state="approved", reason=reason, now=now,
                          expected_state="dispatching") == 1:
                record_event(tx, post_id, "approved", reason, None, now)
        return {"post_id": post_id, "state": "approved", "reason": reason}
    if post["platform_ref"]:
        return settle(db, post_id, channels, now=now)

    channel = channels.for_post(post)
    settlement = channel.reconcile(post, loads(post["staged"]), since or post["updated_at"])
    if settlement.status in (PUBLISHED, FAILED):
        return apply_settlement(db, post, settlement, channel, now=now)
    waited = now - (since or post["updated_at"])
    if settlement.status == NOT_FOUND and waited >= settle_window:
        minutes = int(waited.total_seconds() // 60)
        settlement = Settlement.failed(
            f"发布失败：提交结果未知，提交后 {minutes} 分钟在平台上仍未找到该信息（{settlement.reason}），判定未发布；"
            "如需发布请人工重新提交（系统不会自动重发）")
        return apply_settlement(db, post, settlement, channel, now=now)
    reason = f"提交结果未知，正在查询平台核实（已等待 {int(waited.total_seconds())} 秒）：{settlement.reason}"
    with db.transaction() as tx:
        tx.execute("dispatch/set_reason", post_id=post_id, state=post["state"], reason=reason, now=now)
    return {"post_id": post_id, "state": post["state"], "reason": reason}


def reconcile_unsettled(db: Database, channels: Channels, *, now: datetime, grace: timedelta = DEFAULT_GRACE,
                        settle_window: timedelta = DEFAULT_SETTLE_WINDOW) -> list[dict[str, Any]]:
    """Every 'dispatching' or 'unconfirmed' post untouched for ``grace``: confirm or reconcile it."""
    now = require_aware(now, "now")
    rows = db.fetch("dispatch/unsettled", before=now - grace)
    return [reconcile_post(db, row["post_id"], channels, now=now, settle_window=settle_window) for row in rows]
