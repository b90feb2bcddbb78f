"""Manual channels: take the operator's confirmed link, watch the deadline of each hand-off.

The hand-off itself is the manual channel's one call (``herald.dispatch.channels.manual``).

A missed deadline is a finding under PUB-4 (every published item is filed and archived): an item
whose publication nobody confirmed cannot be filed, and the operator may have published it without
the record. The post stays 'unconfirmed' with the reason, so it is never stuck without one; a late
confirmation is still accepted (the finding stays for the record until a person resolves it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from herald.db import Database
from herald.dispatch.channels.manual import handoff_of
from herald.dispatch.dispatcher import settle
from herald.errors import ValidationError, Violation
from herald.findings import Finding, record_event_findings
from herald.platforms import manual as manual_platform
from herald.posts.events import note_override
from herald.timeutil import format_shanghai, local_day, require_aware

RULE = "PUB-4"


def confirm_manual(db: Database, post_id: str, *, link: str, person_id: str, now: datetime) -> dict[str, Any]:
    """The operator confirms the link of the published item; the post is filed as published."""
    now = require_aware(now, "now")
    row = db.fetch_one("dispatch/handoff", post_id=post_id)
    if row is None:
        raise ValidationError([Violation("post_id", "PUB-3", f"信息“{post_id}”没有待回填的人工发布交接")])
    if row["confirmed_at"] is not None:
        raise ValidationError([Violation("post_id", "PUB-4",
                                         f"该信息已于 {format_shanghai(row['confirmed_at'])} 由 {row['confirmed_by']} 回填")])
    confirmation = manual_platform.check_confirmation(handoff_of(row), link, person_id, now)
    with db.transaction() as tx:
        changed = tx.execute("dispatch/confirm_handoff", post_id=post_id, link=confirmation.link,
                             confirmed_by=person_id, confirmed_at=now, is_late=confirmation.is_late)
        if changed != 1:
            raise ValidationError([Violation("post_id", "PUB-4", "该信息已被回填，请刷新后查看")])
        note_override(tx, [post_id], now)  # an administrator's override is marked with the confirmation itself
    settled = settle(db, post_id, now=now)
    return {"post_id": post_id, "state": settled["state"], "link": confirmation.link, "is_late": confirmation.is_late}


def missed_deadlines(db: Database, *, now: datetime, detected_by: str) -> list[str]:
    """File a finding for every hand-off past its deadline without a confirmed link; return their post ids."""
    now = require_aware(now, "now")
    with db.transaction() as tx:
        rows = tx.fetch("dispatch/overdue_handoffs", now=now)
        findings = [
            Finding(RULE, "post", row["post_id"], local_day(row["publish_at"]).isoformat(), "medium",
                    f"人工发布渠道账号 {row['account_id']} 的信息 {row['post_id']} 已交经办人 {row['operator_id']}，"
                    f"但在期限 {format_shanghai(row['deadline_at'])} 前未回填发布链接，无法备案存档",
                    {"operator_id": row["operator_id"], "handed_at": row["handed_at"], "deadline_at": row["deadline_at"]})
            for row in rows
        ]
        record_event_findings(tx, findings, detected_by=detected_by, now=now)
        for row in rows:
            tx.execute("dispatch/set_reason", post_id=row["post_id"], state="unconfirmed", now=now,
                       reason=f"经办人 {row['operator_id']} 逾期（{format_shanghai(row['deadline_at'])}）未回填发布链接，"
                              "已记为问题；回填后仍可备案")
    return [row["post_id"] for row in rows]
