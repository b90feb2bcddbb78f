"""The audit pack's record of the extra steps of CON-5 and CON-6: one row per step, with who signed it.

SQL: ``posts/marked_posts`` and ``posts/marked_post_approvals``. Kept apart from ``herald.posts.chain`` so
that module (which ``herald.posts.approval`` reads for creation steps) imports nothing of the approval module.
"""

from __future__ import annotations

import json
from typing import Any

from herald.posts.approval import progress
from herald.posts.chain import ChainReasons, step_purposes
from herald.posts.model import PAID_REPOST_ZH, SENSITIVE_MARKS_ZH
from herald.posts.policies import default_policy_for


def audit_rows(db, account_id: str | None, from_at, to_at, *, policy_for=None) -> list[dict[str, Any]]:
    """Every post of the window (publish time in [from_at, to_at), one account or the group for None) whose chain
    has a step of CON-5 or CON-6: one row per such step, with why it is there and who signed it for the post's
    current content (nobody, for a post that expired, was rejected or is still waiting).

    SQL: ``posts/marked_posts`` and ``posts/marked_post_approvals``; the lead adds the table to the audit pack.
    """
    policy_for = policy_for or default_policy_for
    params = {"account_id": account_id, "from_at": from_at, "to_at": to_at}
    with db.transaction() as tx:
        posts = tx.fetch("posts/marked_posts", **params)
        decisions = tx.fetch("posts/marked_post_approvals", **params)
    by_post: dict[str, list[dict[str, Any]]] = {}
    for row in decisions:
        by_post.setdefault(row["post_id"], []).append(row)
    rows = []
    for post in posts:
        policy = policy_for(post["policy_id"])
        reasons = ChainReasons.from_stored(json.loads(post["screening"]).get("chain_reasons"))
        state = progress(post, by_post.get(post["post_id"], []))
        purposes = step_purposes(policy, state.chain, reasons)
        marks = [SENSITIVE_MARKS_ZH.get(m, m) for m in json.loads(post["sensitive_marks"] or "[]")]
        if post["is_paid_repost"]:
            marks.append(PAID_REPOST_ZH)
        for step_no, role in enumerate(state.chain, start=1):
            purpose = purposes.get(role)
            if purpose is None or purpose.endswith("（CON-3）"):
                continue
            signed = state.approved[step_no - 1] if step_no <= len(state.approved) else None
            rows.append({
                "post_id": post["post_id"], "account_id": post["account_id"], "account_name": post["account_name"],
                "title": post["title"], "state": post["state"], "publish_at": post["publish_at"],
                "content_hash": post["content_hash"],
                "rule_id": ", ".join(rule for rule in ("CON-5", "CON-6") if f"（{rule}）" in purpose),
                "marks": "、".join(marks), "screened_terms": "、".join(reasons.screened), "step_no": step_no,
                "role": role, "role_label": policy.role_label(role), "purpose": purpose,
                "signed_by": signed["approver_name"] if signed else None,
                "signed_at": signed["decided_at"] if signed else None, "via": signed["via"] if signed else None,
            })
    return rows
