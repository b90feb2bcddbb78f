"""The second itself: claim, write-ahead attempt, the one call, the platform's ids stored first.

Order matters and each step is its own transaction:

1. ``claim_all`` (approved -> dispatching, one conditional update over the second's posts);
2. dispatch_attempts rows with outcome 'unconfirmed' are written BEFORE the calls: if the process
   dies during or after a call, reconciliation knows a call may have gone out and reads the
   platform; a claimed post without such a row provably made no call and goes back to 'approved';
3. the calls, concurrently (a burst of a thousand posts on a thousand accounts goes out in a few
   rounds of the platform's latency); the posts of one account go one after another, so no account
   ever has two calls in flight (the platforms limit per account);
4. once the calls have returned, in batches: each attempt's outcome and the platform's ids
   (``posts.platform_ref``) with the post's next state: 'unconfirmed' (accepted, or outcome
   unknown), 'failed' with the reason, or back to 'approved' with the reason and a retry time when
   nothing reached the platform.

``settle`` is the separate, read-only, repeatable confirmation that files the published item.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from herald.db import Database
from herald.dispatch.channels.base import Channel, ClientUnavailable
from herald.dispatch.channels.routing import Channels
from herald.dispatch.claim import claim_all
from herald.dispatch.failures import platform_name, refusal_words
from herald.dispatch.model import FAILED, PUBLISHED, DispatchResult, Settlement, dumps, loads
from herald.platforms.outcome import Outcome, OutcomeKind
from herald.posts.events import record_event
from herald.timeutil import now_utc, require_aware

MAX_SUBMITS = 5  # retryable outcomes (nothing reached the platform) are tried at most this often
RETRY_BACKOFF_SECONDS = (5, 15, 60, 300)
RETRYABLE = (OutcomeKind.RETRY, OutcomeKind.REFRESH_TOKEN, OutcomeKind.WAIT_QUOTA)
# Calls in flight at once: they wait on the network, so the bound is the platforms' and the
# database's patience, not the CPU. 200 x 50 ms answers = a thousand posts in about 0.25 s.
MAX_CALLS_IN_FLIGHT = 200
STORE_BATCH = 100  # outcomes stored per transaction


@dataclass(frozen=True)
class Submission:
    """A claimed post with its write-ahead attempt: ready for its one call."""

    post: dict[str, Any]
    channel: Channel
    attempt_id: str


def dispatch_post(db: Database, post_id: str, channels: Channels, *,
                  clock: Callable[[], datetime] = now_utc) -> DispatchResult:
    """Claim and submit one due post (the work of its publish second)."""
    return dispatch_second(db, [post_id], channels, clock=clock)[0]


def dispatch_second(db: Database, post_ids: Sequence[str], channels: Channels, *,
                    clock: Callable[[], datetime] = now_utc, max_in_flight: int = MAX_CALLS_IN_FLIGHT,
                    timings: dict[str, float] | None = None) -> list[DispatchResult]:
    """Claim and submit every post of one publish second; one result per id, in the order given.

    ``timings``, when given, receives the seconds each phase took (claim, write_ahead, calls, stores).
    """
    timings = timings if timings is not None else {}
    started = time.perf_counter()
    results: dict[str, DispatchResult] = {}
    claimed = []
    verdicts = claim_all(db, post_ids, now=clock())
    timings["claim"] = time.perf_counter() - started
    for verdict, post_id in zip(verdicts, post_ids, strict=True):
        if not verdict.claimed:
            results[post_id] = DispatchResult(post_id, "not_claimed", verdict.reason)
            continue
        try:
            channel = channels.for_post(verdict.post)
            channel.preflight()
            claimed.append((channel, verdict.post))
        except ClientUnavailable as exc:  # not configured: provably no call, so it fails now with the reason
            results[post_id] = fail_unconfigured(db, verdict.post, exc, now=clock())
        except Exception as exc:  # claimed without a call, reconciliation returns it
            results[post_id] = DispatchResult(post_id, "write_failed", f"{type(exc).__name__}: {exc}"[:500])
    for result in submit_claimed(db, claimed, clock=clock, max_in_flight=max_in_flight, timings=timings):
        results[result.post_id] = result
    return [results[post_id] for post_id in post_ids]


def fail_unconfigured(db: Database, post: dict[str, Any], error: Exception, *, now: datetime) -> DispatchResult:
    """A claimed post whose account has no usable client: no call was made (no attempt row); it fails with the reason."""
    post_id = post["post_id"]
    reason = (f"发布失败：账号“{post.get('account_name') or post['account_id']}”没有可用的{platform_name(post['platform'])}"
              f"连接配置（{error}），未调用平台")[:1000]
    with db.transaction() as tx:
        if tx.execute("dispatch/set_state", post_id=post_id, new_state="failed", reason=reason, now=now,
                      expected_state="dispatching") == 1:
            record_event(tx, post_id, "failed", reason, None, now)
    return DispatchResult(post_id, "failed", reason)


def write_ahead(db: Database, claimed: Sequence[tuple[Channel, dict[str, Any]]], *, now: datetime) -> list[Submission]:
    """One 'unconfirmed' attempt per claimed post, committed before any call is made."""
    if not claimed:
        return []
    ids = [post["post_id"] for _, post in claimed]
    with db.transaction() as tx:
        next_no = {r["post_id"]: int(r["attempt_no"])
                   for r in tx.fetch("dispatch/next_attempt_nos", post_ids=json.dumps(ids))}
        submissions = [Submission(post, channel, f"D-{post['post_id']}-{next_no.get(post['post_id'], 1)}")
                       for channel, post in claimed]
        tx.execute_many("dispatch/insert_attempt", [
            {"attempt_id": s.attempt_id, "post_id": s.post["post_id"],
             "attempt_no": next_no.get(s.post["post_id"], 1), "operation": s.channel.operation,
             "outcome": "unconfirmed", "error_code": None,
             "error_message": "written before the call: the outcome is unknown until it is stored",
             "response": None, "started_at": now, "finished_at": None} for s in submissions])
    return submissions


def _call(submission: Submission, clock: Callable[[], datetime]) -> tuple[Submission, Outcome, datetime]:
    started = clock()
    try:
        outcome = submission.channel.submit(submission.post, loads(submission.post["staged"]))
    except Exception as exc:  # a bug or an unexpected transport error after the request may have gone out
        outcome = Outcome(OutcomeKind.UNCONFIRMED, "exception", f"{type(exc).__name__}: {exc}"[:500])
    return submission, outcome, started


def _call_in_turn(submissions: list[Submission], clock) -> list[tuple[Submission, Outcome, datetime]]:
    return [_call(s, clock) for s in submissions]


def submit_claimed(db: Database, claimed: Sequence[tuple[Channel, dict[str, Any]]], *,
                   clock: Callable[[], datetime] = now_utc, max_in_flight: int = MAX_CALLS_IN_FLIGHT,
                   timings: dict[str, float] | None = None) -> list[DispatchResult]:
    """Write ahead, make each claimed post's one call, store every outcome; return the results."""
    timings = timings if timings is not None else {}
    started = time.perf_counter()
    submissions = write_ahead(db, claimed, now=clock())
    timings["write_ahead"] = time.perf_counter() - started
    started = time.perf_counter()
    by_account: dict[str, list[Submission]] = defaultdict(list)
    for submission in submissions:
        by_account[submission.post["account_id"]].append(submission)
    if len(by_account) <= 1:  # one account (or none): its calls go one after another anyway
        done = _call_in_turn(submissions, clock)
    else:
        with ThreadPoolExecutor(max_workers=min(len(by_account), max_in_flight),
                                thread_name_prefix="herald-submit") as pool:
            done = [call for calls in pool.map(lambda group: _call_in_turn(group, clock), by_account.values())
                    for call in calls]
    timings["calls"] = time.perf_counter() - started
    # Stored once every call has returned: storing alongside would take the interpreter from the
    # threads still sending (a burst's last calls went out seconds later). The write-ahead rows keep
    # a crash in between safe: reconciliation reads the platform, never sends again.
    started = time.perf_counter()
    results = [result for at in range(0, len(done), STORE_BATCH)
               for result in store_outcomes(db, done[at:at + STORE_BATCH], now=clock())]
    timings["stores"] = time.perf_counter() - started
    return results


def store_outcomes(db: Database, done: Sequence[tuple[Submission, Outcome, datetime]], *,
                   now: datetime) -> list[DispatchResult]:
    """Store a batch of outcomes in one transaction; if the batch fails, each post on its own."""
    try:
        with db.transaction() as tx:
            return [_store_outcome(tx, s, outcome, started=started, now=now) for s, outcome, started in done]
    except Exception:
        if len(done) == 1:
            raise
    results = []
    for submission, outcome, started in done:
        try:
            with db.transaction() as tx:
                results.append(_store_outcome(tx, submission, outcome, started=started, now=now))
        except Exception as exc:  # the attempt row stays 'unconfirmed': reconciliation reads the platform
            results.append(DispatchResult(submission.post["post_id"], "write_failed",
                                          f"{type(exc).__name__}: {exc}"[:500], {}, started.isoformat()))
    return results


def _retry_delay(outcome: Outcome, submits: int) -> float:
    if outcome.kind is OutcomeKind.WAIT_QUOTA and outcome.retry_after_seconds:
        return float(outcome.retry_after_seconds)
    return float(RETRY_BACKOFF_SECONDS[min(submits - 1, len(RETRY_BACKOFF_SECONDS) - 1)])


def _store_outcome(tx, submission: Submission, outcome: Outcome, *, started: datetime, now: datetime) -> DispatchResult:
    """The attempt's outcome, the platform's ids and the post's next state, in the caller's transaction."""
    channel, post, attempt_id = submission.channel, submission.post, submission.attempt_id
    post_id = post["post_id"]
    ref = channel.ref_of(outcome)
    if ref:
        ref["accepted_at"] = started.isoformat()
    kind = outcome.kind
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
            reason = (f"发布失败：已尝试提交 {submits} 次，{platform_name(post['platform'])}均未受理（最后一次："
                      f"{refusal_words(post['platform'], outcome.code, outcome.message)}）")
        else:
            not_before = now + timedelta(seconds=_retry_delay(outcome, submits))
            reason = f"平台未受理（{outcome}），未发布；将于 {not_before.isoformat()} 后重试"
            tx.execute("dispatch/retry_later", post_id=post_id, reason=reason, now=now, not_before=not_before)
            record_event(tx, post_id, "approved", reason, None, now)
            return DispatchResult(post_id, "retry_later", reason, {}, started.isoformat())
    else:
        state, status = "failed", "failed"
        reason = (f"发布失败：{platform_name(post['platform'])}拒绝"
                  f"（{refusal_words(post['platform'], outcome.code, outcome.message)}）")
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
