"""A post's history: every change of state is an event with its reason and who made it (``post_events``).

An administrator's override (``python -m herald ... --admin-override``, PUB-3) runs the same domain call the HTTP
door runs, directly on the database, in a named person's name. Inside ``admin_override(...)`` every post an event is
recorded for gets, in the same transaction, a second event marking the action as overridden (operating-system user,
command, reason; the actor is the person acted as) and a PUB-3 finding, so auditors see it; a refused action rolls
back both. ``note_override`` does the same for an action that records no event of its own.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from herald.db import Transaction
from herald.findings import Finding, record_event_findings
from herald.timeutil import shanghai

OVERRIDE_RULE = "PUB-3"
OVERRIDE_DETECTOR = "herald-cli --admin-override"


@dataclass(frozen=True)
class AdminOverride:
    """Who really acted (``os_user``), in whose name (``person_id``), with which command, and why."""

    os_user: str
    person_id: str
    command: str
    reason: str


# The override in force in this context, with the posts already marked (one mark per post and override). A
# finding's period is the moment of the action, to the microsecond, so two overrides of one post stay two findings.
_active: ContextVar[tuple[AdminOverride, set[str]] | None] = ContextVar("herald_admin_override", default=None)


@contextmanager
def admin_override(override: AdminOverride) -> Iterator[None]:
    """Every post event recorded inside is marked as overridden, with a PUB-3 finding (see the module doc)."""
    token = _active.set((override, set()))
    try:
        yield
    finally:
        _active.reset(token)


def new_id(prefix: str) -> str:
    """A new id for a post (P), release (R) or event (E)."""
    # Time-ordered, so events recorded within the same business timestamp still list in the order made.
    return f"{prefix}-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"


def record_event(tx: Transaction, post_id: str, state: str, reason: str, actor_id: str | None, now: datetime) -> None:
    record_events(tx, [(post_id, state, reason, actor_id)], now)


def record_events(tx: Transaction, events: list[tuple[str, str, str, str | None]], now: datetime) -> None:
    """Several posts' (post_id, state, reason, actor_id) events in one round trip (a burst's claims)."""
    tx.execute_many("posts/insert_post_event", [
        {"event_id": new_id("E"), "post_id": post_id, "state": state, "reason": reason, "actor_id": actor_id,
         "occurred_at": now} for post_id, state, reason, actor_id in events])
    note_override(tx, dict.fromkeys(post_id for post_id, _, _, _ in events), now)


def note_override(tx: Transaction, post_ids: Iterable[str], now: datetime) -> None:
    """Under ``admin_override``, mark these posts in their history and raise a PUB-3 finding each (once per post)."""
    active = _active.get()
    if active is None:
        return
    override, marked = active
    fresh = [post_id for post_id in dict.fromkeys(post_ids) if post_id not in marked]
    if not fresh:
        return
    person = tx.fetch_one("posts/person", person_id=override.person_id)
    who = f"{person['name']}（{override.person_id}）" if person else override.person_id
    said = (f"管理员越权操作：操作系统用户“{override.os_user}”未经登录，以{who}的名义直接在数据库执行"
            f"“{override.command}”，理由：{override.reason}")
    posts = {post_id: tx.fetch_one("posts/post", post_id=post_id) for post_id in fresh}
    tx.execute_many("posts/insert_post_event", [
        {"event_id": new_id("E"), "post_id": post_id, "state": post["state"], "reason": said,
         "actor_id": override.person_id, "occurred_at": now} for post_id, post in posts.items() if post])
    record_event_findings(tx, [
        Finding(OVERRIDE_RULE, "post", post_id, shanghai(now).isoformat(timespec="microseconds"), "high",
                f"{said}；涉及信息“{post['title'] or post_id}”（{post_id}，账号 {post['account_name']}）",
                {"os_user": override.os_user, "person_id": override.person_id, "command": override.command,
                 "reason": override.reason})
        for post_id, post in posts.items() if post], detected_by=OVERRIDE_DETECTOR, now=now)
    marked.update(fresh)
