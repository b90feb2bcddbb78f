"""The claim at the second: re-verify, then one conditional update; act only if exactly one row changed.

A read-then-write claim lets two workers post the same item. Here the UPDATE itself carries every
condition that must still hold (state approved, the content hash that was approved and staged, an
active account), so of two claimers exactly one sees ``rowcount == 1``. Before it, the approval chain
is re-read for the current hash: a post whose signatures no longer cover its content is never sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from herald.db import Database
from herald.posts.approval import progress
from herald.posts.queue import record_event
from herald.timeutil import format_shanghai, require_aware


@dataclass(frozen=True)
class Claim:
    claimed: bool
    post: dict[str, Any] | None
    reason: str = ""


def claim(db: Database, post_id: str, *, now: datetime) -> Claim:
    """Claim one due post for dispatch (approved -> dispatching) or say why not."""
    now = require_aware(now, "now")
    with db.transaction() as tx:
        post = tx.fetch_one("dispatch/post", post_id=post_id)
        if post is None:
            return Claim(False, None, f"信息“{post_id}”不存在")
        if post["state"] != "approved":
            # Already claimed (by another run, or before a triggerer restart), or no longer approved.
            return Claim(False, post, f"状态为“{post['state']}”，不再认领")
        chain = progress(post, tx.fetch("posts/approvals", post_id=post_id))
        if chain.next_step is not None:
            reason = (f"发布前复核：当前内容版本的审批链未完成（待第{chain.next_step}步 {chain.next_role}），"
                      "不予发布（PUB-1）")
            if tx.execute("dispatch/set_state", post_id=post_id, new_state="failed", reason=reason, now=now,
                          expected_state="approved") == 1:
                record_event(tx, post_id, "failed", reason, None, now)
            return Claim(False, post, reason)
        if post["staged_hash"] != post["content_hash"]:
            return Claim(False, post, "发布前准备（草稿、预览）与当前内容版本不符，等待重新准备")
        reason = f"已认领，于 {format_shanghai(now)} 提交平台"
        changed = tx.execute("dispatch/claim", post_id=post_id, content_hash=post["content_hash"], reason=reason, now=now)
        if changed != 1:
            return Claim(False, post, "认领未成功：状态、内容或账号已变化")
        record_event(tx, post_id, "dispatching", reason, post["operator_id"], now)
        post = dict(post, state="dispatching")
    return Claim(True, post, reason)
