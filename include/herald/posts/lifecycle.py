"""A post's life after queueing: edits void signatures, unapproved posts expire visibly, state is always explained."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from herald.db import Database
from herald.errors import ValidationError, Violation
from herald.findings import Finding, record_event_findings
from herald.posts.approval import progress
from herald.posts.chain import ChainReasons, step_purposes
from herald.posts.events import record_event
from herald.posts.model import PostRequest
from herald.posts.policies import default_policy_for
from herald.posts.queue import validate
from herald.timeutil import format_shanghai, local_day, require_aware

EDITABLE_STATES = ("awaiting_approval", "approved", "rejected")


def edit_post(db: Database, post_id: str, *, editor_id: str, changes: Mapping[str, Any], now: datetime,
              policy_for: Callable[[str], Any] = default_policy_for,
              safe_domains_for: Callable[[str, str], Any] | None = None) -> dict[str, Any]:
    """Apply changes, check everything again, and restart the chain if the content changed."""
    now = require_aware(now, "now")
    with db.transaction() as tx:
        post = tx.fetch_one("posts/post", post_id=post_id)
        if post is None:
            raise ValidationError([Violation("post_id", "PUB-1", f"信息“{post_id}”不存在")])
        violations = []
        if post["state"] not in EDITABLE_STATES:
            violations.append(Violation("post_id", "PUB-1", f"状态为“{post['state']}”的信息不能修改"))
        if editor_id != post["author_id"]:
            violations.append(Violation("editor_id", "PUB-3", "只有提交人可以修改待发布信息"))
        if "account_id" in changes and changes["account_id"] != post["account_id"]:
            violations.append(Violation("account_id", "PUB-1", "不能把已提交的信息改投到其他账号，请重新提交"))
        if violations:
            raise ValidationError(violations)
        current = {
            "account_id": post["account_id"], "author_id": post["author_id"], "title": post["title"],
            "body": post["body"], "category": post["category"], "source": post["source"],
            "media": json.loads(post["media"]), "publish_at": post["publish_at"], "urgency": post["urgency"],
            "kind": post["kind"], "sensitive_marks": json.loads(post["sensitive_marks"] or "[]"),
            "paid_repost": bool(post["is_paid_repost"]),
        }
        request = PostRequest.from_mapping({**current, **dict(changes), "author_id": post["author_id"]})
        checked = validate(tx, request, now=now, policy_for=policy_for, exclude_post_id=post_id,
                           safe_domains_for=safe_domains_for)
        content_changed = checked.content_hash != post["content_hash"]
        chain_changed = list(checked.chain) != json.loads(post["approval_chain"])
        if content_changed or post["state"] == "rejected":
            state = "awaiting_approval"
            reason = "内容已修改，原有审批签字作废，审批链重新开始" if content_changed else "驳回后重新提交，审批链重新开始"
        elif chain_changed:
            # Same content, but the chain is rebuilt with another step (a newer lexicon screens it as sensitive,
            # CON-5): the signatures of the old chain do not complete the new one.
            state, reason = "awaiting_approval", "内容未变，但审批链已按最新规则调整（增加了审批环节），请按新审批链继续审批"
        else:
            state, reason = post["state"], post["state_reason"] + "（已改期，内容未变）"
        changed = tx.execute(
            "posts/update_content", post_id=post_id, expected_hash=post["content_hash"],
            title=request.title, body=request.body, category=request.category, source=request.source,
            media=json.dumps(list(request.media), ensure_ascii=False, sort_keys=True), publish_at=request.publish_at,
            urgency=request.urgency, kind=request.kind, content_hash=checked.content_hash,
            approval_chain=json.dumps(list(checked.chain)), screening=json.dumps(checked.screening, ensure_ascii=False),
            policy_id=checked.policy.policy_id, policy_sha256=checked.policy.content_hash,
            sensitive_marks=json.dumps(list(request.sensitive_marks)), is_paid_repost=request.paid_repost, state=state,
            state_reason=reason, now=now,
        )
        if changed != 1:
            raise ValidationError([Violation("post_id", "PUB-1", "该信息已被他人修改，请刷新后重试")])
        record_event(tx, post_id, state, reason, editor_id, now)
        return {"post_id": post_id, "state": state, "reason": reason, "content_hash": checked.content_hash}


def expire_due(db: Database, *, now: datetime, detected_by: str) -> list[str]:
    """Posts not fully approved by their publish time expire: a state, an event and a finding; never late in silence."""
    now = require_aware(now, "now")
    expired = []
    with db.transaction() as tx:
        for row in tx.fetch("posts/due_unapproved", now=now):
            reason = f"到计划发布时间 {format_shanghai(row['publish_at'])} 审批链仍未完成，已过期，未发布"
            if tx.execute("posts/set_state", post_id=row["post_id"], new_state="expired", reason=reason, now=now,
                          expected_state="awaiting_approval") != 1:
                continue
            record_event(tx, row["post_id"], "expired", reason, None, now)
            expired.append((row, reason))
        record_event_findings(
            tx,
            [Finding("PUB-1", "post", row["post_id"], local_day(row["publish_at"]).isoformat(), "medium",
                     f"信息 {row['post_id']}（账号 {row['account_id']}）{reason}",
                     {"publish_at": row["publish_at"], "content_hash": row["content_hash"]})
             for row, reason in expired],
            detected_by=detected_by, now=now,
        )
    return [row["post_id"] for row, _ in expired]


def post_status(db: Database, post_id: str) -> dict[str, Any]:
    """The post, its chain step by step, and its whole history: what schedulers and approvers see."""
    with db.transaction() as tx:
        post = tx.fetch_one("posts/post", post_id=post_id)
        if post is None:
            raise ValidationError([Violation("post_id", "PUB-1", f"信息“{post_id}”不存在")])
        approvals = tx.fetch("posts/approvals", post_id=post_id)
        events = tx.fetch("posts/post_events", post_id=post_id)
    state = progress(post, approvals)
    policy = default_policy_for(post["policy_id"])
    screening = json.loads(post["screening"])
    purposes = step_purposes(policy, state.chain, ChainReasons.from_stored(screening.get("chain_reasons")))
    steps = []
    for number, role in enumerate(state.chain, start=1):
        done = state.approved[number - 1] if number <= len(state.approved) else None
        steps.append({
            "step_no": number, "role": role, "role_label": policy.role_label(role), "purpose": purposes.get(role),
            "status": "approved" if done else ("pending" if number == state.next_step else "waiting"),
            "approver": done["approver_name"] if done else None,
            "decided_at": done["decided_at"] if done else None,
        })
    return {
        "post_id": post["post_id"], "account_id": post["account_id"], "account_name": post["account_name"],
        "state": post["state"], "reason": post["state_reason"], "publish_at": post["publish_at"],
        "content_hash": post["content_hash"], "chain": steps,
        "sensitive_marks": json.loads(post["sensitive_marks"] or "[]"), "paid_repost": bool(post["is_paid_repost"]),
        "decisions": [{k: a[k] for k in ("step_no", "role", "approver_id", "approver_name", "decision", "reason",
                                         "via", "content_hash", "decided_at")} for a in approvals],
        "history": [{k: e[k] for k in ("state", "reason", "actor_id", "occurred_at")} for e in events],
        "screening": screening,
    }
