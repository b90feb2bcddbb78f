"""Live posts for the demo: a matrix release queued last week and approved along each chain, due now.

It goes through the same doors as real users (``queue_release`` and ``decide``), with the clock
set to when a scheduler and the approvers would have acted, so every check applies as it would.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from herald.db import Database
from herald.posts.approval import decide, progress, role_holders
from herald.posts.model import ReleaseRequest
from herald.posts.queue import queue_release
from herald.timeutil import local_day, require_aware
from herald_dev.world.accounts import MATRIX_ACCOUNTS

# One account per way of publishing (WeChat and Weibo APIs, the website CMS webhook, a manual QQ group),
# plus a subordinate account whose chain has two steps (000 §4.3).
LIVE_ACCOUNTS = MATRIX_ACCOUNTS
LEAD = timedelta(days=8)  # queued with more than the week regular items need (CON-10)


def _author(db: Database, account_ids: tuple[str, ...], on: datetime) -> str:
    """Someone who holds each account's drafting role (its policy's author_role, PUB-2) on every account."""
    from herald.policy import load_policy

    common: list[str] | None = None
    with db.transaction() as tx:
        for account_id in account_ids:
            account = tx.fetch_one("posts/account_for_post", account_id=account_id)
            role = load_policy(account["policy_id"]).author_role
            holders = [h["person_id"] for h in role_holders(tx, account_id, role, local_day(on))]
            common = holders if common is None else [p for p in common if p in holders]
    if not common:
        raise LookupError(f"nobody holds the author role on every account of {', '.join(account_ids)}")
    return common[0]


def queue_and_approve_live_release(db: Database, *, publish_at: datetime) -> dict[str, Any]:
    """Queue the release as of ``publish_at - LEAD`` and approve every step an hour apart; return its ids."""
    from herald.policy import load_policy

    publish_at = require_aware(publish_at, "publish_at")
    queued_at = publish_at - LEAD
    author = _author(db, LIVE_ACCOUNTS, queued_at)
    category = next(iter(load_policy("000").content.categories))
    release = ReleaseRequest(
        account_ids=LIVE_ACCOUNTS,
        base={"author_id": author, "title": "集团举办第五届科技创新开放日",
              "body": "<p>集团第五届科技创新开放日将于本周举行，欢迎各界朋友走进研发中心，了解新能源装备的最新成果。</p>",
              "category": category, "source": "集团行政中心", "publish_at": publish_at.isoformat()},
        variants={
            "weibo": {"title": None, "body": "集团第五届科技创新开放日本周举行，欢迎走进研发中心 https://herald.example.com/open-day"},
            "qq": {"title": None, "body": "【通知】集团第五届科技创新开放日本周举行，欢迎各单位同事转发。"},
        },
    )
    release_id, post_ids = queue_release(db, release, now=queued_at)
    decided_at = queued_at
    for post_id in post_ids:
        while True:
            with db.transaction() as tx:
                post = tx.fetch_one("posts/post", post_id=post_id)
                state = progress(post, tx.fetch("posts/approvals", post_id=post_id))
                if state.next_role is None:
                    break
                signed = {post["author_id"]} | {a["approver_id"] for a in state.approved}  # one step each (PUB-2)
                holders = [h for h in role_holders(tx, post["account_id"], state.next_role, local_day(decided_at))
                           if h["person_id"] not in signed]
            if not holders:
                raise LookupError(f"post {post_id}: nobody can approve step {state.next_step} ({state.next_role})")
            decided_at += timedelta(hours=1)
            decide(db, post_id=post_id, approver_id=holders[0]["person_id"], decision="approved",
                   content_hash=post["content_hash"], via="cli", now=decided_at)
    return {"release_id": release_id, "post_ids": post_ids, "publish_at": publish_at}
