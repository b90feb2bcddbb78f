"""Delegated access for activities (PUB-6, 002 art.12): a unit's time-boxed publishing rights on a Weibo account.

A unit applies (``apply``) for an interactive or live activity on an account of a platform the policy's
``delegated_access`` section lists, naming its people and the window (UTC, at most ``max_window_hours``); the
holder of the section's ``approver_role`` for the account (the competent department head: 002's 企管部负责人)
grants or rejects it (``decide``). A grant gives each named person the role ``activity_delegate`` on that account
for the window's Shanghai days (a ``role_assignments`` row, so the record of who held what stays in one place), and
``queue_delegated_post`` accepts a post by one of them only while the delegation is granted and both now and the
post's publish time lie inside the window. Everything else about the post is the regular queue's checks and the
account's approval chain (002 art.7: nothing unreviewed is published; art.12 delegates the login, not the review):
the post is queued with the policy's drafting role read as ``activity_delegate`` and without the per-item lead
time of CON-10 (the activity as a whole was applied for and approved ahead; its items are written live). The regular queue keeps refusing
the unit's people (they do not hold the drafting role), so outside a granted window they cannot publish at all.

When the window ends the ``herald_delegations`` DAG (every five minutes) marks the grant ``expired``
(``revoke_expired``); the approver may end it early (``revoke``), which cancels its posts not yet published. Each
change of state is one conditional update (applied at most once, so reruns are idempotent), a
``delegation_events`` row, and the role assignments closed on the day it ended.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from herald.db import Database, Transaction
from herald.errors import ValidationError, Violation
from herald.policy.model import LeadTime
from herald.posts.approval import role_holders
from herald.posts.events import new_id, record_event
from herald.posts.model import PostRequest
from herald.posts.policies import default_policy_for
from herald.timeutil import format_shanghai, local_day, require_aware

DELEGATE_ROLE = "activity_delegate"
ACTIVITY_LABELS = {"interactive": "网上互动", "live": "实时活动"}
STATE_LABELS = {"applied": "待批准", "granted": "已授权", "rejected": "未批准", "revoked": "已收回", "expired": "已到期收回"}
MAX_PEOPLE = 50
OPEN_POST_STATES = ("awaiting_approval", "approved")
NO_LEAD_TIME = LeadTime(regular_min_days=0, urgent_min_working_days=0)


def _policy_section(policy: Any, account: dict[str, Any], field: str = "account_id") -> Any:
    from herald.policy.citation import citation

    section = policy.delegated_access
    if section is None:
        raise ValidationError([Violation(field, "PUB-6", f"{policy.policy_id}号制度未配置活动授权（delegated_access），不能授权")])
    if account["platform"] not in section.platforms:
        raise ValidationError([Violation(field, "PUB-6", f"账号“{account['name']}”所在平台不能授权给单位开展活动"
                                                         f"（{citation(policy, 'delegated_access')}）")])
    return section


def _delegation(tx: Transaction, delegation_id: str) -> dict[str, Any]:
    row = tx.fetch_one("account_changes/delegation", delegation_id=delegation_id)
    if row is None:
        raise ValidationError([Violation("delegation_id", "PUB-6", f"没有编号为“{delegation_id}”的活动授权")])
    return row


def _event(tx: Transaction, delegation_id: str, state: str, actor_id: str | None, reason: str, now: datetime) -> None:
    tx.execute("account_changes/delegation_insert_event", event_id=new_id("DE"), delegation_id=delegation_id, state=state,
               actor_id=actor_id, reason=reason, occurred_at=now)


def apply(db: Database, account_id: str, *, unit_id: str, activity_kind: str, title: str, window_start_at: datetime,
          window_end_at: datetime, people: Sequence[str], applied_by: str, now: datetime,
          policy_for: Callable[[str], Any] = default_policy_for) -> dict[str, Any]:
    """A unit applies for time-boxed publishing rights on an account (PUB-6). Nothing is stored on refusal."""
    now = require_aware(now, "now")
    start, end = require_aware(window_start_at, "window_start_at"), require_aware(window_end_at, "window_end_at")
    with db.transaction() as tx:
        account = tx.fetch_one("account_changes/account", account_id=account_id)
        if account is None:
            raise ValidationError([Violation("account_id", "ACC-1", f"账号“{account_id}”未登记")])
        policy = policy_for(account["policy_id"])
        section = _policy_section(policy, account)
        violations: list[Violation] = []
        if account["state"] != "active":
            violations.append(Violation("account_id", "PUB-6", f"账号“{account['name']}”未启用，不能授权"))
        unit = tx.fetch_one("account_changes/delegation_unit", unit_id=unit_id)
        if unit is None:
            violations.append(Violation("unit_id", "PUB-6", f"单位“{unit_id}”不存在"))
        if activity_kind not in section.activities:
            allowed = "、".join(ACTIVITY_LABELS.get(a, a) for a in section.activities)
            violations.append(Violation("activity_kind", "PUB-6", f"活动类型“{activity_kind}”不在制度允许的范围内（{allowed}）"))
        if end <= start:
            violations.append(Violation("window_end_at", "PUB-6", "授权结束时间必须晚于开始时间"))
        elif end - start > timedelta(hours=section.max_window_hours):
            violations.append(Violation("window_end_at", "PUB-6", f"授权时段最长{section.max_window_hours}小时，"
                                                                  "更长的活动请分段申请"))
        if end <= now:
            violations.append(Violation("window_end_at", "PUB-6", f"授权结束时间 {format_shanghai(end)} 已过"))
        applicant = tx.fetch_one("posts/person", person_id=applied_by)
        if applicant is None or not applicant["is_active"] or applicant["unit_id"] != unit_id:
            violations.append(Violation("applied_by", "PUB-6", f"申请人“{applied_by}”不是单位“{unit_id}”的在册人员，"
                                                               "活动授权由需求单位自己申请"))
        unique = list(dict.fromkeys(people))
        if not unique:
            violations.append(Violation("people", "PUB-6", "请列出获得授权的本单位人员"))
        for index, person_id in enumerate(unique):
            person = tx.fetch_one("posts/person", person_id=person_id)
            if person is None or not person["is_active"] or person["unit_id"] != unit_id:
                violations.append(Violation(f"people[{index}]", "PUB-6", f"“{person_id}”不是单位“{unit_id}”的在册人员"))
        if violations:
            raise ValidationError(violations)
        delegation_id = new_id("DG")
        tx.execute("account_changes/delegation_insert", delegation_id=delegation_id, account_id=account_id, unit_id=unit_id,
                   activity_kind=activity_kind, title=title, window_start_at=start, window_end_at=end, state="applied",
                   applied_by=applied_by, applied_at=now, policy_id=policy.policy_id, policy_sha256=policy.content_hash,
                   updated_at=now)
        for person_id in unique:
            tx.execute("account_changes/delegation_insert_person", delegation_id=delegation_id, person_id=person_id)
        approver = policy.roles.get(section.approver_role, section.approver_role)
        _event(tx, delegation_id, "applied", applied_by, f"申请{ACTIVITY_LABELS[activity_kind]}“{title}”，等待{approver}批准", now)
        return {"delegation_id": delegation_id, "state": "applied"}


def decide(db: Database, delegation_id: str, *, approver_id: str, decision: str, now: datetime, reason: str | None = None,
           policy_for: Callable[[str], Any] = default_policy_for) -> dict[str, Any]:
    """The approver role's holder grants or rejects an application; a grant opens the delegates' role for the window."""
    now = require_aware(now, "now")
    with db.transaction() as tx:
        row = _delegation(tx, delegation_id)
        account = tx.fetch_one("account_changes/account", account_id=row["account_id"])
        policy = policy_for(row["policy_id"])
        section = _policy_section(policy, account)
        if decision not in ("granted", "rejected"):
            raise ValidationError([Violation("decision", "PUB-6", "决定只能是 granted（批准）或 rejected（不批准）")])
        if row["state"] != "applied":
            raise ValidationError([Violation("delegation_id", "PUB-6", f"该授权当前为“{STATE_LABELS[row['state']]}”，不能再审批")])
        holders = {h["person_id"] for h in role_holders(tx, row["account_id"], section.approver_role, local_day(now))}
        if approver_id not in holders:
            label = policy.roles.get(section.approver_role, section.approver_role)
            raise ValidationError([Violation("approver_id", "PUB-6", f"只有该账号的{label}可以批准活动授权")])
        if decision == "granted" and row["window_end_at"] <= now:
            raise ValidationError([Violation("decision", "PUB-6", f"授权时段已于{format_shanghai(row['window_end_at'])}结束，不能再批准")])
        if tx.execute("account_changes/delegation_set_state", delegation_id=delegation_id, new_state=decision, expected_state="applied",
                      actor_id=approver_id, reason=reason, now=now, decided=True) != 1:
            raise ValidationError([Violation("delegation_id", "PUB-6", "该授权刚刚已被他人处理")])
        if decision == "granted":
            first, last = local_day(row["window_start_at"]), local_day(row["window_end_at"])
            for person in tx.fetch("account_changes/delegation_people", delegation_id=delegation_id):
                tx.execute("account_changes/insert_assignment", assignment_id=f"{delegation_id}:{person['person_id']}",
                           person_id=person["person_id"], role=DELEGATE_ROLE, account_id=row["account_id"],
                           valid_from_on=first, valid_to_on=last)
            what = (f"批准：{format_shanghai(row['window_start_at'])}至{format_shanghai(row['window_end_at'])}"
                    f"授权单位{row['unit_id']}在账号上发布")
        else:
            what = "不批准"
        _event(tx, delegation_id, decision, approver_id, what + (f"；{reason}" if reason else ""), now)
        return {"delegation_id": delegation_id, "state": decision}


def _end(tx: Transaction, row: dict[str, Any], *, state: str, actor_id: str | None, reason: str, now: datetime) -> bool:
    """Close a granted delegation (once): state, event, the delegates' role to the day it ended, open posts cancelled."""
    if tx.execute("account_changes/delegation_set_state", delegation_id=row["delegation_id"], new_state=state, expected_state="granted",
                  actor_id=actor_id, reason=reason, now=now, decided=False) != 1:
        return False
    ended_on = max(local_day(min(now, row["window_end_at"])), local_day(row["window_start_at"]))
    tx.execute("account_changes/delegation_close_assignments", prefix=f"{row['delegation_id']}:", valid_to_on=ended_on)
    for post in tx.fetch("account_changes/delegation_open_posts", delegation_id=row["delegation_id"]):
        why = f"活动授权已{STATE_LABELS[state]}（{reason}），授权期内未发布的信息不再发布（PUB-6）"
        if tx.execute("posts/set_state", post_id=post["post_id"], new_state="cancelled", reason=why, now=now,
                      expected_state=post["state"]) == 1:
            record_event(tx, post["post_id"], "cancelled", why, actor_id, now)
    _event(tx, row["delegation_id"], state, actor_id, reason, now)
    return True


def revoke(db: Database, delegation_id: str, *, revoked_by: str, reason: str, now: datetime,
           policy_for: Callable[[str], Any] = default_policy_for) -> dict[str, Any]:
    """The approver ends a grant early (its posts not yet published are cancelled)."""
    now = require_aware(now, "now")
    with db.transaction() as tx:
        row = _delegation(tx, delegation_id)
        policy = policy_for(row["policy_id"])
        section = policy.delegated_access
        role = section.approver_role if section else "competent_department_head"
        if revoked_by not in {h["person_id"] for h in role_holders(tx, row["account_id"], role, local_day(now))}:
            raise ValidationError([Violation("revoked_by", "PUB-6", f"只有该账号的{policy.roles.get(role, role)}可以收回活动授权")])
        if row["state"] != "granted":
            raise ValidationError([Violation("delegation_id", "PUB-6", f"该授权当前为“{STATE_LABELS[row['state']]}”，无需收回")])
        if not _end(tx, row, state="revoked", actor_id=revoked_by, reason=reason, now=now):
            raise ValidationError([Violation("delegation_id", "PUB-6", "该授权刚刚已被收回")])
        return {"delegation_id": delegation_id, "state": "revoked"}


def revoke_expired_in(tx: Transaction, *, now: datetime) -> list[str]:
    """Every granted delegation whose window has ended becomes ``expired`` (idempotent: a rerun finds none)."""
    now = require_aware(now, "now")
    ended = []
    for row in tx.fetch("account_changes/delegation_expired_grants", now=now):
        if _end(tx, row, state="expired", actor_id=None,
                reason=f"授权时段已于{format_shanghai(row['window_end_at'])}结束，自动收回", now=now):
            ended.append(row["delegation_id"])
    return ended


def revoke_expired(db: Database, *, now: datetime) -> list[str]:
    with db.transaction() as tx:
        return revoke_expired_in(tx, now=now)


def expire_job(db: Database, run, *, now: datetime):
    """The ``herald_delegations`` task: expire ended grants and write the ledger row in one transaction."""
    from herald.jobs import run_recorded

    def body(tx: Transaction, entry) -> None:
        ended = revoke_expired_in(tx, now=now)
        entry.inputs.update({"tables": ["delegations", "delegation_posts"], "as_of": now.isoformat()})
        entry.row_counts["delegations_expired"] = len(ended)
        entry.outputs["delegation_ids"] = ended

    return run_recorded(db, run, body)


def queue_delegated_post(db: Database, delegation_id: str, request: PostRequest, *, now: datetime,
                         policy_for: Callable[[str], Any] = default_policy_for, safe_domains_for=None) -> str:
    """Queue a post by a delegated person on the delegation's account, only inside its granted window (PUB-6)."""
    from herald.posts.queue import store, validate

    now = require_aware(now, "now")
    with db.transaction() as tx:
        row = _delegation(tx, delegation_id)
        violations = []
        if request.account_id != row["account_id"]:
            violations.append(Violation("account_id", "PUB-6", f"该活动授权只适用于账号“{row['account_id']}”"))
        if row["state"] != "granted":
            violations.append(Violation("delegation_id", "PUB-6", f"该活动授权当前为“{STATE_LABELS[row['state']]}”，不能发布"))
        people = {p["person_id"] for p in tx.fetch("account_changes/delegation_people", delegation_id=delegation_id)}
        if request.author_id not in people:
            violations.append(Violation("author_id", "PUB-6", f"“{request.author_id}”不在该活动授权的人员名单中"))
        window = f"{format_shanghai(row['window_start_at'])}至{format_shanghai(row['window_end_at'])}"
        if not row["window_start_at"] <= now < row["window_end_at"]:
            violations.append(Violation("delegation_id", "PUB-6", f"现在不在授权时段（{window}）内，不能提交"))
        if not row["window_start_at"] <= request.publish_at < row["window_end_at"]:
            violations.append(Violation("publish_at", "PUB-6", f"发布时间 {format_shanghai(request.publish_at)} "
                                                               f"不在授权时段（{window}）内"))
        if violations:
            raise ValidationError(violations)

        def delegated_policy(policy_id: str) -> Any:
            # The activity was applied for and approved ahead as a whole; its items are written live inside the
            # window, so the per-item lead time (CON-10) is the application's, not each post's.
            return dataclasses.replace(policy_for(policy_id), author_role=DELEGATE_ROLE, lead_time=NO_LEAD_TIME)

        checked = validate(tx, request, now=now, policy_for=delegated_policy, safe_domains_for=safe_domains_for)
        post_id = store(tx, dataclasses.replace(checked, policy=policy_for(checked.policy.policy_id)), now=now)
        tx.execute("account_changes/delegation_insert_post", post_id=post_id, delegation_id=delegation_id)
        return post_id


def delegation_status(db: Database, delegation_id: str) -> dict[str, Any]:
    with db.transaction() as tx:
        row = _delegation(tx, delegation_id)
        return {**row, "state_label": STATE_LABELS[row["state"]],
                "people": [p["person_id"] for p in tx.fetch("account_changes/delegation_people", delegation_id=delegation_id)],
                "events": tx.fetch("account_changes/delegation_events", delegation_id=delegation_id),
                "post_ids": [p["post_id"] for p in tx.fetch("account_changes/delegation_posts", delegation_id=delegation_id)]}


def audit_rows(db: Database, account_id: str | None, from_on: date, to_on: date) -> dict[str, list[dict[str, Any]]]:
    """For the annual audit pack: delegations (PUB-6) whose window overlaps [from_on, to_on] (Shanghai days), of one
    account or (``None``) every account, with their events. SQL: ``sql/account_changes/delegation_audit*.sql``."""
    from herald.timeutil import shanghai_midnight_utc

    params = {"account_id": account_id, "from_at": shanghai_midnight_utc(from_on),
              "to_at": shanghai_midnight_utc(to_on + timedelta(days=1))}
    return {"delegations": db.fetch("account_changes/delegation_audit", **params),
            "delegation_events": db.fetch("account_changes/delegation_audit_events", **params)}
