"""The second itself: claim, write-ahead attempt, the one call, the platform's ids stored first.

Order matters and each step is its own transaction:

1. ``claim`` (approved -> dispatching, one conditional update);
2. a dispatch_attempts row with outcome 'unconfirmed' is written BEFORE the call: if the process dies
   during or after the call, reconciliation knows a call may have gone out and reads the platform;
   a claimed post without such a row provably made no call and goes back to 'approved';
3. the call;
4. in one transaction, the attempt's outcome and the platform's ids (``posts.platform_ref``) with the
   post's next state: 'unconfirmed' (accepted, or outcome unknown), 'failed' with the reason, or back
   to 'approved' with the reason and a retry time when nothing reached the platform.

``settle`` is the separate, read-only, repeatable confirmation that files the published item.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from herald.db import Database
from herald.dispatch.channels import Channel, Channels
from herald.dispatch.claim import claim
from herald.dispatch.model import FAILED, PUBLISHED, DispatchResult, Settlement, dumps, loads
from herald.platforms.outcome import Outcome, OutcomeKind
from herald.posts.queue import record_event
from herald.timeutil import now_utc, require_aware

MAX_SUBMITS = 5  # retryable outcomes (nothing reached the platform) are tried at most this often
RETRY_BACKOFF_SECONDS = (5, 15, 60, 300)
RETRYABLE = (OutcomeKind.RETRY, OutcomeKind.REFRESH_TOKEN, OutcomeKind.WAIT_QUOTA)


def dispatch_post(db: Database, post_id: str, channels: Channels, *,
                  clock: Callable[[], datetime] = now_utc) -> DispatchResult:
    """Claim and submit one due post (the work of its publish second)."""
    claimed = claim(db, post_id, now=clock())
    if not claimed.claimed:
        return DispatchResult(post_id, "not_claimed", claimed.reason)
    return submit_claimed(db, channels.for_post(claimed.post), claimed.post, clock=clock)


def submit_claimed(db: Database, channel: Channel, post: dict[str, Any], *,
                   clock: Callable[[], datetime] = now_utc) -> DispatchResult:
    post_id = post["post_id"]
    started = clock()
    with db.transaction() as tx:
        attempt_no = tx.scalar("dispatch/next_attempt_no", post_id=post_id)
        attempt_id = f"D-{post_id}-{attempt_no}"
        tx.execute("dispatch/insert_attempt", attempt_id=attempt_id, post_id=post_id, attempt_no=attempt_no,
                   operation=channel.operation, outcome="unconfirmed", error_code=None,
                   error_message="written before the call: the outcome is unknown until it is stored",
                   response=None, started_at=started, finished_at=None)
    try:
        outcome = channel.submit(post, loads(post["staged"]))
    except Exception as exc:  # a bug or an unexpected transport error after the request may have gone out
        outcome = Outcome(OutcomeKind.UNCONFIRMED, "exception", f"{type(exc).__name__}: {exc}"[:500])
    return store_outcome(db, channel, post, attempt_id, outcome, started=started, now=clock())


def _retry_delay(outcome: Outcome, submits: int) -> float:
    if outcome.kind is OutcomeKind.WAIT_QUOTA and outcome.retry_after_seconds:
        return float(outcome.retry_after_seconds)
    return float(RETRY_BACKOFF_SECONDS[min(submits - 1, len(RETRY_BACKOFF_SECONDS) - 1)])


def store_outcome(db: Database, channel: Channel, post: dict[str, Any], attempt_id: str, outcome: Outcome, *,
                  started: datetime, now: datetime) -> DispatchResult:
    """The attempt's outcome, the platform's ids and the post's next state, in one transaction."""
    post_id = post["post_id"]
    ref = channel.ref_of(outcome)
    if ref:
        ref["accepted_at"] = started.isoformat()
    kind = outcome.kind
    with db.transaction() as tx:
        tx.execute("dispatch/finish_attempt", attempt_id=attempt_id, outcome=outcome.attempt_outcome,
                   error_code=outcome.code, error_message=outcome.message[:2000],
                   response=dumps({"ref": ref, "kind": kind.value}), finished_at=now)
        if kind is OutcomeKind.OK:
            state, status = "unconfirmed", "submitted"
            reason = f"平台已受理（{channel.operation}），等待确认"
        elif kind is OutcomeKind.UNCONFIRMED:
            state, status = "unconfirmed", "unconfirmed"
            reason = f"提交结果未知（{outcome}），将查询平台核实，不会重发"
        elif kind in RETRYABLE:
            submits = tx.scalar("dispatch/submit_attempts_count", post_id=post_id)
            if submits >= MAX_SUBMITS:
                state, status = "failed", "failed"
                reason = f"已尝试提交 {submits} 次，平台均未受理（最后一次：{outcome}）"
            else:
                not_before = now + timedelta(seconds=_retry_delay(outcome, submits))
                reason = f"平台未受理（{outcome}），未发布；将于 {not_before.isoformat()} 后重试"
                tx.execute("dispatch/retry_later", post_id=post_id, reason=reason, now=now, not_before=not_before)
                record_event(tx, post_id, "approved", reason, None, now)
                return DispatchResult(post_id, "retry_later", reason, {}, started.isoformat())
        else:
            state, status = "failed", "failed"
            reason = f"平台拒绝发布：{outcome}"
        changed = tx.execute("dispatch/store_ref", post_id=post_id, platform_ref=dumps(ref) if ref else None,
                             new_state=state, reason=reason, now=now, expected_state="dispatching")
        if changed != 1:
            raise RuntimeError(f"post {post_id} left 'dispatching' while its call was in flight")
        record_event(tx, post_id, state, reason, None, now)
    return DispatchResult(post_id, status, reason, ref, started.isoformat())


def file_publication(tx, post: dict[str, Any], settlement: Settlement, channel: Channel, *, now: datetime) -> str:
    """The published_items row (idempotent) and the post's state 'published'."""
    ref = loads(post.get("platform_ref"))
    published_at = settlement.published_at or (datetime.fromisoformat(ref["accepted_at"]) if ref.get("accepted_at")
                                               else now)
    item_id = f"I-{post['post_id']}"
    tx.execute(
        "dispatch/insert_published_item", item_id=item_id, post_id=post["post_id"], account_id=post["account_id"],
        platform=post["platform"], origin="manual_confirmation" if channel.name == "manual" else "dispatch",
        platform_item_id=settlement.platform_item_id, platform_publish_id=settlement.platform_publish_id,
        url=settlement.url, operator_id=settlement.operator_id or post.get("operator_id"),
        is_mass_send=channel.is_mass_send, published_at=published_at, confirmed_at=now,
    )
    reason = f"已发布并确认：{settlement.url or settlement.platform_item_id}"
    if tx.execute("dispatch/set_state", post_id=post["post_id"], new_state="published", reason=reason, now=now,
                  expected_state=post["state"]) == 1:
        record_event(tx, post["post_id"], "published", reason, settlement.operator_id or post.get("operator_id"), now)
    return item_id


def apply_settlement(db: Database, post: dict[str, Any], settlement: Settlement, channel: Channel, *,
                     now: datetime) -> dict[str, Any]:
    post_id = post["post_id"]
    with db.transaction() as tx:
        if settlement.ref and not post.get("platform_ref"):
            ref = dict(settlement.ref, found_by="reconciliation")
            tx.execute("dispatch/store_ref", post_id=post_id, platform_ref=dumps(ref), new_state=post["state"],
                       reason=post["state_reason"] or "", now=now, expected_state=post["state"])
            post = dict(post, platform_ref=dumps(ref))
        if settlement.status == PUBLISHED:
            item_id = file_publication(tx, post, settlement, channel, now=now)
            return {"post_id": post_id, "state": "published", "item_id": item_id}
        if settlement.status == FAILED:
            reason = settlement.reason
            if tx.execute("dispatch/set_state", post_id=post_id, new_state="failed", reason=reason, now=now,
                          expected_state=post["state"]) == 1:
                record_event(tx, post_id, "failed", reason, None, now)
            return {"post_id": post_id, "state": "failed", "reason": reason}
    return {"post_id": post_id, "state": post["state"], "reason": settlement.reason}


def settle(db: Database, post_id: str, channels: Channels | None = None, *, now: datetime | None = None) -> dict[str, Any]:
    """Confirm a submitted post by reading the platform; safe to call any number of times."""
    now = require_aware(now or now_utc(), "now")
    post = db.fetch_one("dispatch/post", post_id=post_id)
    if post is None or post["state"] not in ("unconfirmed", "dispatching"):
        item = db.fetch_one("dispatch/published_item_of_post", post_id=post_id)
        return {"post_id": post_id, "state": post["state"] if post else None,
                "item_id": item["item_id"] if item else None}
    channel = (channels or Channels(db, None)).for_post(post)
    settlement = channel.confirm(post, loads(post["platform_ref"]))
    return apply_settlement(db, post, settlement, channel, now=now)
