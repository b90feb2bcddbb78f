"""Before the second: find the due posts, check them again, prepare them, and group them by second.

Staging is idempotent and bound to the content hash: a post already staged for its current hash is
left alone (the planner runs every minute), and an edit (a new hash) makes the claim refuse the old
staging. Every check of queue time runs again here with ``validate(..., for_dispatch=True)`` (the
account, the lexicon, the calendar or the day's other mass sends may have changed), judged against
the time the request was made (CON-10 lead time is about the request, not about now). A mass send's
preview (CON-9) is made here and must be recorded before the publish time.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from herald.content.schedule import check_mass_send
from herald.db import Database
from herald.dispatch.channels.base import StageFailed
from herald.dispatch.channels.routing import Channels
from herald.dispatch.dispatcher import RETRYABLE
from herald.dispatch.model import dumps
from herald.errors import ValidationError
from herald.posts.events import record_event
from herald.posts.model import PostRequest
from herald.posts.queue import validate
from herald.timeutil import local_day, require_aware

STAGED, ALREADY, FAILED, RETRY_LATER, SKIPPED = "staged", "already_staged", "failed", "retry_later", "skipped"
STAGE_WORKERS = 8  # posts staged side by side (PostgreSQL); within the engine's default pool of 5 + 10


def due_posts(db: Database, *, until: datetime) -> list[dict[str, Any]]:
    """Approved posts due by ``until`` (their publish time, or their retry time after a retryable outcome)."""
    return db.fetch("dispatch/due", until=require_aware(until, "until"))


def due_second(row: dict[str, Any], now: datetime) -> datetime:
    """The whole second a post goes out at: its publish time (or retry time), never in the past."""
    moment = max(row["publish_at"], row["dispatch_not_before_at"] or row["publish_at"], now)
    whole = datetime.fromtimestamp(math.ceil(moment.timestamp()), tz=UTC)
    return whole


def group_by_second(rows: Iterable[dict[str, Any]], now: datetime) -> dict[str, list[str]]:
    """{ISO second: [post ids]}: one deferrable wait per second, however many posts share it."""
    groups: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        groups[due_second(row, now).isoformat()].append(row["post_id"])
    return dict(sorted(groups.items()))


def _request_of(post: dict[str, Any]) -> PostRequest:
    return PostRequest(
        account_id=post["account_id"], author_id=post["author_id"], body=post["body"], publish_at=post["publish_at"],
        category=post["category"], source=post["source"], title=post["title"],
        media=tuple(json.loads(post["media"] or "[]")), urgency=post["urgency"], kind=post["kind"],
    )


def _fail(db: Database, post_id: str, reason: str, now: datetime) -> str:
    with db.transaction() as tx:
        if tx.execute("dispatch/set_state", post_id=post_id, new_state="failed", reason=reason, now=now,
                      expected_state="approved") == 1:
            record_event(tx, post_id, "failed", reason, None, now)
    return FAILED


def _record_calls(db: Database, post_id: str, calls) -> None:
    with db.transaction() as tx:
        for call in calls:
            attempt_no = tx.scalar("dispatch/next_attempt_no", post_id=post_id)
            tx.execute("dispatch/insert_attempt", attempt_id=f"D-{post_id}-{attempt_no}", post_id=post_id,
                       attempt_no=attempt_no, operation=call.operation, outcome=call.outcome.attempt_outcome,
                       error_code=call.outcome.code, error_message=call.outcome.message[:2000],
                       response=dumps(call.outcome.data), started_at=call.started_at, finished_at=call.finished_at)


def stage_post(db: Database, post_id: str, channels: Channels, *, now: datetime,
               policy_for: Callable[[str], Any] | None = None) -> str:
    """Check and prepare one approved post for its second; return what happened (STAGED, FAILED ...)."""
    now = require_aware(now, "now")
    policy_for = policy_for or channels.policy_for
    post = db.fetch_one("dispatch/post", post_id=post_id)
    if post is None or post["state"] != "approved":
        return SKIPPED
    if post["staged_hash"] == post["content_hash"]:
        return ALREADY

    day = local_day(post["publish_at"])
    operators = db.fetch("dispatch/operator", account_id=post["account_id"], on=day)
    if not operators:
        return _fail(db, post_id, f"账号 {post['account_id']} 在 {day.isoformat()} 没有指定的发布运营人员，"
                                  "只有主管部门指定的运营人员可以发布（PUB-3）", now)
    operator_id = operators[0]["person_id"]

    mass_preview_violation = ("preview_sent_at", "CON-9")
    try:
        with db.transaction() as tx:
            validate(tx, _request_of(post), now=post["requested_at"], policy_for=policy_for, exclude_post_id=post_id,
                     for_dispatch=True)
    except ValidationError as error:
        # validate() has no preview record to look at; the preview is made and checked just below.
        left = [v for v in error.violations if (v.field, v.rule_id) != mass_preview_violation]
        if left:
            return _fail(db, post_id, "发布前复核未通过：" + "；".join(f"{v.message}（{v.rule_id}）" for v in left), now)

    channel = channels.for_post(post)
    try:
        staged = channel.stage(dict(post, operator_id=operator_id))
    except StageFailed as failed:
        _record_calls(db, post_id, failed.calls)
        if failed.outcome.kind in RETRYABLE:
            reason = f"发布前准备（{failed.what}）暂未成功：{failed.outcome}；将在下一轮重试"
            with db.transaction() as tx:
                tx.execute("dispatch/set_reason", post_id=post_id, state="approved", reason=reason, now=now)
            return RETRY_LATER
        return _fail(db, post_id, f"发布前准备（{failed.what}）失败：{failed.outcome}", now)
    _record_calls(db, post_id, staged.calls)

    if channel.is_mass_send:
        preview = next((c for c in staged.calls if c.operation == "preview" and c.outcome.ok), None)
        violations = check_mass_send(post["publish_at"], (), preview.finished_at if preview else None,
                                     policy_for(post["policy_id"]).mass_send)
        late = [v for v in violations if v.field == "preview_sent_at"]
        if late:
            return _fail(db, post_id, "；".join(f"{v.message}（{v.rule_id}）" for v in late), now)

    with db.transaction() as tx:
        tx.execute("dispatch/upsert_staging", post_id=post_id, content_hash=post["content_hash"], channel=channel.name,
                   operator_id=operator_id, staged=dumps(staged.data), staged_at=now)
        tx.execute("dispatch/set_reason", post_id=post_id, state="approved", now=now,
                   reason=f"已完成发布前准备（{channel.name}），等待发布时间 {post['publish_at'].isoformat()}")
    return STAGED


def stage_due(db: Database, channels: Channels, *, now: datetime, horizon: timedelta,
              window_start: datetime | None = None) -> dict[str, Any]:
    """Stage every post due within ``horizon`` and return the ready ones grouped by second.

    With ``window_start`` (the planner's lookahead window is [window_start, now + horizon)), a post due
    before the window is planned only if this run staged it or it waits for a retry: the others were
    planned by the previous run, whose wait for their second is already deferred.
    """
    rows = due_posts(db, until=now + horizon)
    # Posts stage independently (each in its own transactions; idempotent by content hash), and a
    # WeChat post's staging waits on two platform calls: side by side on PostgreSQL. SQLite has a
    # single writer, so there they go one after another.
    workers = 1 if db.dialect == "sqlite" else min(STAGE_WORKERS, max(1, len(rows)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="herald-stage") as pool:
        staged = pool.map(lambda row: stage_post(db, row["post_id"], channels, now=now), rows)
        results = {row["post_id"]: result for row, result in zip(rows, staged, strict=True)}

    def planned_here(row) -> bool:
        if results[row["post_id"]] not in (STAGED, ALREADY):
            return False
        if window_start is None or due_second(row, now) >= window_start:
            return True
        return results[row["post_id"]] == STAGED or row["dispatch_not_before_at"] is not None

    ready = [row for row in rows if planned_here(row)]
    counts: dict[str, int] = defaultdict(int)
    for result in results.values():
        counts[result] += 1
    return {"seconds": group_by_second(ready, now), "counts": dict(counts),
            "failed": [post_id for post_id, result in results.items() if result == FAILED]}
