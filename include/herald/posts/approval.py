"""Approval along the chain (PUB-1, PUB-2): in order, by a holder of the step's role, bound to the content hash.

Signatures count only for the hash they were given on; an edit changes the hash, so earlier
signatures stop counting and the chain starts again. Whoever decides (CLI, HTTP API or an
Airflow human-in-the-loop task) goes through ``decide``, so the record is the same.

Each step is a separate review: unless the policy says otherwise (``one_step_per_person``), a
person who signed one step of a post's chain for its current content does not sign another, and
the author signs none. Nothing is decided once the publish time has passed: the post expires
(``herald.posts.lifecycle.expire_due``) and is submitted again if it is still wanted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from herald.db import Database, Transaction
from herald.errors import ValidationError, Violation
from herald.posts.events import record_event
from herald.posts.policies import default_policy_for
from herald.posts.safety import check_text_field
from herald.timeutil import format_shanghai, local_day, require_aware

DECISIONS = ("approved", "rejected")
DOORS = ("cli", "api", "hitl")


@dataclass(frozen=True)
class ChainProgress:
    chain: tuple[str, ...]
    approved: tuple[dict[str, Any], ...]  # approvals for the current hash, in step order

    @property
    def next_step(self) -> int | None:
        """1-based number of the step awaiting a decision, or None when the chain is complete."""
        done = len(self.approved)
        return done + 1 if done < len(self.chain) else None

    @property
    def next_role(self) -> str | None:
        step = self.next_step
        return self.chain[step - 1] if step else None


def progress(post: dict[str, Any], approvals: list[dict[str, Any]]) -> ChainProgress:
    """Approvals that count: for the current hash and the step's role, consecutive from step 1.

    The role is compared too: a chain rebuilt for the same content (a newer lexicon finds a sensitive
    term, CON-5) may shift its steps, and a signature counts only for the role it was given for.
    """
    chain = tuple(json.loads(post["approval_chain"]))
    current = {a["step_no"]: a for a in approvals
               if a["content_hash"] == post["content_hash"] and a["decision"] == "approved"
               and 0 < a["step_no"] <= len(chain) and a["role"] == chain[a["step_no"] - 1]}
    counted = []
    for step_no in range(1, len(chain) + 1):
        if step_no not in current:
            break
        counted.append(current[step_no])
    return ChainProgress(chain, tuple(counted))


def role_holders(tx: Transaction, account_id: str, role: str, on) -> list[dict[str, Any]]:
    """Who holds a chain step's role for the account on a day; a creation step (``creation:<code>``, CON-6)
    is answered by its creation_approval approver (``herald.posts.chain.creation_step_holders``)."""
    if role.startswith("creation:"):
        from herald.posts.chain import creation_step_holders

        return creation_step_holders(tx, account_id, role.removeprefix("creation:"), on)
    return tx.fetch("posts/role_holders", account_id=account_id, role=role, on=on)


def _too_late(post: dict[str, Any], now: datetime) -> list[Violation]:
    """PUB-1: no decision once the post expired or its publish time passed (shown in Beijing time)."""
    when = format_shanghai(post["publish_at"])
    if post["state"] == "expired":
        return [Violation("post_id", "PUB-1", f"该信息到计划发布时间 {when} 审批链仍未完成，已过期，不能再审批；"
                                              "如仍需发布，请修改发布时间后重新提交")]
    if post["state"] == "awaiting_approval" and now >= post["publish_at"]:
        return [Violation("post_id", "PUB-1", f"计划发布时间 {when} 已过（现在是 {format_shanghai(now)}），不能再审批；"
                                              "该信息将按过期处理，如仍需发布，请修改发布时间后重新提交")]
    return []


def _signed_before(state: ChainProgress, approver: dict[str, Any], policy: Any) -> list[Violation]:
    """PUB-2: one person signs at most one step of a post's chain (for its current content), unless
    the policy allows more (``approval_chains.one_step_per_person: false``)."""
    if not policy.one_step_per_person:
        return []
    signed = [a["step_no"] for a in state.approved if a["approver_id"] == approver["person_id"]]
    if not signed:
        return []
    return [Violation("approver_id", "PUB-2",
                      f"“{approver['name']}”已签批本信息审批链的第{signed[0]}步，同一人不得签批同一审批链的两个步骤，"
                      "请由其他担任该角色的人员审批")]


def _rule_of_step(post: dict[str, Any], role: str, policy: Any) -> str:
    """The rule a step answers to: CON-6 for a creation step, CON-5 for the authorisation of a marked or
    screened sensitive item, PUB-2 for the chain's own steps."""
    if role.startswith("creation:"):
        return "CON-6"
    section = policy.sensitive_topics
    if section is not None and role == section.authorising_role and role not in policy.approval_chain(post["level"]):
        return "CON-5"
    return "PUB-2"


def decide(
    db: Database,
    *,
    post_id: str,
    approver_id: str,
    decision: str,
    content_hash: str,
    via: str,
    now: datetime,
    reason: str | None = None,
    policy_for: Callable[[str], Any] = default_policy_for,
) -> dict[str, Any]:
    """Record one decision on the post's next step; return the post's new state. All problems are named at once."""
    now = require_aware(now, "now")
    texts = {"post_id": post_id, "approver_id": approver_id, "reason": reason}
    invisible = [v for field, value in texts.items() if isinstance(value, str)
                 for v in check_text_field(field, value, html_allowed=False)]
    if invisible:  # named before any id is looked up (the database refuses a NUL outright)
        raise ValidationError(invisible)
    with db.transaction() as tx:
        post = tx.fetch_one("posts/post", post_id=post_id)
        if post is None:
            raise ValidationError([Violation("post_id", "PUB-1", f"待审信息“{post_id}”不存在")])
        violations = _too_late(post, now)
        if post["state"] not in ("awaiting_approval", "expired"):
            violations.append(Violation("post_id", "PUB-1", f"该信息当前状态为“{post['state']}”，不在待审批状态"))
        if content_hash != post["content_hash"]:
            violations.append(Violation("content_hash", "PUB-1",
                                        "审批所依据的内容版本已失效（内容已被修改），请按最新内容重新审批"))
        if decision not in DECISIONS:
            violations.append(Violation("decision", "PUB-2", f"审批意见“{decision}”无效，只能是 approved 或 rejected"))
        if decision == "rejected" and not (reason or "").strip():
            violations.append(Violation("reason", "PUB-2", "驳回必须说明理由"))
        if via not in DOORS:
            violations.append(Violation("via", "PUB-2", f"审批渠道“{via}”无效"))
        approvals = tx.fetch("posts/approvals", post_id=post_id)
        state = progress(post, approvals)
        role = state.next_role
        approver = tx.fetch_one("posts/person", person_id=approver_id)
        if approver is None or not approver["is_active"]:
            violations.append(Violation("approver_id", "PUB-2", f"审批人“{approver_id}”不是在册人员"))
        if approver_id == post["author_id"]:
            violations.append(Violation("approver_id", "PUB-2", "提交人不得审批自己提交的信息"))
        policy = policy_for(post["policy_id"])
        if role is not None and approver is not None:
            holders = {h["person_id"] for h in role_holders(tx, post["account_id"], role, local_day(now))}
            if approver_id not in holders:
                violations.append(Violation("approver_id", _rule_of_step(post, role, policy),
                                            f"“{approver['name']}”不担任本步骤所需的角色“{policy.role_label(role)}”"
                                            f"（{role}），无权审批"))
            violations += _signed_before(state, approver, policy)
        if violations:
            raise ValidationError(violations)

        step_no = state.next_step
        tx.execute(
            "posts/insert_approval", step_id=f"A-{uuid.uuid4().hex[:20]}", post_id=post_id,
            chain=f"{post['policy_id']}:{post['level']}", step_no=step_no, role=role, approver_id=approver_id,
            decision=decision, reason=reason, via=via, content_hash=content_hash, decided_at=now,
        )
        if decision == "rejected":
            new_state, why = "rejected", f"第{step_no}步（{policy.role_label(role)}）被{approver['name']}驳回：{reason}"
        elif step_no == len(state.chain):
            new_state, why = "approved", f"审批链已完成，最后一步由{approver['name']}批准，等待定时发布"
        else:
            new_state = "awaiting_approval"
            why = (f"第{step_no}步已由{approver['name']}批准，"
                   f"等待第{step_no + 1}步（{policy.role_label(state.chain[step_no])}）")
        changed = tx.execute("posts/set_state", post_id=post_id, new_state=new_state, reason=why, now=now,
                             expected_state="awaiting_approval")
        if changed != 1:
            raise ValidationError([Violation("post_id", "PUB-1", "该信息的状态已被他人更改，请刷新后重试")])
        record_event(tx, post_id, new_state, why, approver_id, now)
        return {"post_id": post_id, "state": new_state, "reason": why, "step_no": step_no, "role": role}
