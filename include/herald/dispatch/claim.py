"""The claim at the second: re-verify, then one conditional update; act only on the rows it changed.

A read-then-write claim lets two workers post the same item. Here the UPDATE itself carries every
condition that must still hold (state approved, the content hash whose approval chain was just
found complete and that was staged, an active account), so of two claimers exactly one gets the
row back. Before it, the approval chain is re-read for the current hash: a post whose signatures no
longer cover its content is never sent.

The posts of one publish second are claimed together (one read of the posts, one of their
approvals, one UPDATE ... RETURNING, one insert of their events): a burst of a thousand posts is
claimed in a few round trips, and each post is still claimed by its own row's conditions.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from herald.db import Database
from herald.posts.approval import progress
from herald.posts.events import record_events
from herald.timeutil import format_shanghai, require_aware


@dataclass(frozen=True)
class Claim:
    claimed: bool
    post: dict[str, Any] | None
    reason: str = ""


def claim(db: Database, post_id: str, *, now: datetime) -> Claim:
    """Claim one due post for dispatch (approved -> dispatching) or say why not."""
    return claim_all(db, [post_id], now=now)[0]


def claim_all(db: Database, post_ids: Sequence[str], *, now: datetime) -> list[Claim]:
    """Claim the posts of one second in one transaction; one ``Claim`` per id, in the order given."""
    now = require_aware(now, "now")
    ids = list(dict.fromkeys(post_ids))
    if not ids:
        return []
    with db.transaction() as tx:
        posts = {p["post_id"]: p for p in tx.fetch("dispatch/posts_by_ids", post_ids=json.dumps(ids))}
        approvals: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in tx.fetch("dispatch/approvals_of_posts", post_ids=json.dumps(ids)):
            approvals[row["post_id"]].append(row)

        verdicts: dict[str, Claim] = {}
        broken_chains: list[tuple[str, str, str, None]] = []
        eligible: dict[str, str] = {}
        for post_id in ids:
            post = posts.get(post_id)
            if post is None:
                verdicts[post_id] = Claim(False, None, f"信息“{post_id}”不存在")
            elif post["state"] != "approved":
                # Already claimed (by another run, or before a triggerer restart), or no longer approved.
                verdicts[post_id] = Claim(False, post, f"状态为“{post['state']}”，不再认领")
            elif (chain := progress(post, approvals[post_id])).next_step is not None:
                reason = (f"发布前复核：当前内容版本的审批链未完成（待第{chain.next_step}步 {chain.next_role}），"
                          "不予发布（PUB-1）")
                broken_chains.append((post_id, "failed", reason, None))
                verdicts[post_id] = Claim(False, post, reason)
            elif post["staged_hash"] != post["content_hash"]:
                verdicts[post_id] = Claim(False, post, "发布前准备（草稿、预览）与当前内容版本不符，等待重新准备")
            else:
                eligible[post_id] = post["content_hash"]

        failed = _fail_approved(tx, broken_chains, now)
        record_events(tx, [event for event in broken_chains if event[0] in failed], now)

        reason = f"已认领，于 {format_shanghai(now)} 提交平台"
        claimed = set()
        if eligible:
            claimed = {row["post_id"] for row in tx.fetch("dispatch/claim", claims=json.dumps(eligible), reason=reason,
                                                          now=now)}
        record_events(tx, [(p, "dispatching", reason, posts[p]["operator_id"]) for p in ids if p in claimed], now)
        for post_id in eligible:
            verdicts[post_id] = (Claim(True, dict(posts[post_id], state="dispatching"), reason) if post_id in claimed
                                 else Claim(False, posts[post_id], "认领未成功：状态、内容或账号已变化"))
    return [verdicts[post_id] for post_id in post_ids]


def _fail_approved(tx, events, now: datetime) -> set[str]:
    """Fail the approved posts whose chain no longer covers their content; return those that changed."""
    return {post_id for post_id, state, reason, _ in events
            if tx.execute("dispatch/set_state", post_id=post_id, new_state=state, reason=reason, now=now,
                          expected_state="approved") == 1}
