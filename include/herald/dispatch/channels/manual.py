"""Manual channels (QQ groups, Tieba, forums): the hand-off to the designated operator is the one call.

Its record (``dispatch/insert_handoff``) is written once; the operator's confirmed link, taken by
``herald.dispatch.manual.confirm_manual``, is the only evidence of publication.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from herald.db import Database
from herald.dispatch.channels.base import Channel, Staged, StageFailed, pick
from herald.dispatch.model import Settlement, dumps
from herald.errors import ValidationError
from herald.platforms import manual as manual_platform
from herald.platforms.outcome import Outcome, OutcomeKind
from herald.timeutil import now_utc, require_aware


def hand_off(db: Database, handoff: manual_platform.Handoff, *, now: datetime) -> None:
    """Record the hand-off (once: a repeated hand-off of the same post changes nothing)."""
    with db.transaction() as tx:
        tx.execute("dispatch/insert_handoff", post_id=handoff.post_id, operator_id=handoff.operator_id,
                   handoff=dumps(handoff.as_dict()), handed_at=require_aware(now, "now"),
                   deadline_at=handoff.deadline_at)


def handoff_of(row: Mapping[str, Any]) -> manual_platform.Handoff:
    """The hand-off as recorded (a ``dispatch/handoff`` row)."""
    data = json.loads(row["handoff"])
    return manual_platform.Handoff(
        post_id=data["post_id"], account_id=data["account_id"], platform=data["platform"],
        operator_id=data["operator_id"], title=data["title"], body=data["body"],
        publish_at=datetime.fromisoformat(data["publish_at"]), deadline_at=row["deadline_at"],
        expected_hosts=tuple(data["expected_hosts"]), media=tuple(data.get("media") or ()),
    )


class ManualChannel(Channel):
    """QQ groups, Tieba, forums: hand the item to the designated operator, who confirms the link."""

    name = "manual"
    operation = "manual/handoff"

    def __init__(self, platform, account_id, clients, db, clock: Callable[[], datetime] = now_utc):
        super().__init__(platform, account_id, clients, clock)
        self.db = db

    def handoff(self, post: Mapping[str, Any], operator_id: str) -> manual_platform.Handoff:
        options = self.options
        window = timedelta(hours=float(options.get("confirmation_hours") or 4))
        return manual_platform.make_handoff(
            post_id=post["post_id"], account_id=post["account_id"], platform=self.platform, operator_id=operator_id,
            title=post.get("title") or "", body=post["body"], publish_at=require_aware(post["publish_at"], "publish_at"),
            expected_hosts=options.get("expected_hosts"), window=window,
            media=tuple(json.dumps(m, ensure_ascii=False) for m in json.loads(post.get("media") or "[]")),
        )

    def preflight(self) -> None:
        """A hand-off needs no platform client (its options are optional)."""

    def stage(self, post: Mapping[str, Any]) -> Staged:
        try:
            handoff = self.handoff(post, post.get("operator_id") or "")
        except ValidationError as error:
            raise StageFailed(Outcome(OutcomeKind.CONFIG_ERROR, "manual", "；".join(v.message for v in error.violations)),
                              "manual hand-off") from error
        return Staged({"expected_hosts": list(handoff.expected_hosts), "deadline_at": handoff.deadline_at.isoformat()})

    def submit(self, post, staged) -> Outcome:
        handoff = self.handoff(post, post["operator_id"])
        hand_off(self.db, handoff, now=self.clock())
        return Outcome(OutcomeKind.OK, None, handoff.instructions(),
                       data={"handed_to": handoff.operator_id, "deadline_at": handoff.deadline_at.isoformat()})

    def ref_of(self, outcome: Outcome) -> dict[str, Any]:
        return pick(outcome.data, "handed_to", "deadline_at")

    def confirm(self, post, ref) -> Settlement:
        row = self.db.fetch_one("dispatch/handoff", post_id=post["post_id"])
        if row is None:
            return Settlement.not_found("没有交接记录")
        if row["confirmed_at"] is None:
            return Settlement.pending(f"等待经办人回填发布链接（期限 {row['deadline_at'].isoformat()}）")
        return Settlement.published(row["confirmed_link"], row["confirmed_link"], row["confirmed_at"],
                                    operator_id=row["confirmed_by"])

    def reconcile(self, post, staged, since) -> Settlement:
        return self.confirm(post, {})
