"""Creation approval (ACC-1, ACC-2): one decision on an application's current step, by a holder of its role.

Steps are answered in order, each by a person who holds the step's role for the step's unit on the day of the
decision (``herald.accounts.chain``); whichever door decides (the CLI, the HTTP door, an Airflow human-in-the-loop
task) goes through ``decide``, so the record is the same: an ``account_events`` row of kind ``creation_step`` naming
the step code, the decision and the person, with the application, step number, unit, role, door and reason in its
detail. The step moves on by compare-and-set on ``current_step_no``, so of two answers to one step only the first
counts and the second is refused, with nothing written.

The policy's ``host_unit_opinion_step`` and ``competent_opinion_step`` sign the registration form's opinions (ACC-3)
when approved. A rejection ends the application (the account stays ``applied``, never opened). The last approval
opens the account (``active``, ``opened_on`` the Shanghai day) only if its registration record is then complete
against the policy's ``registration.required_fields``; otherwise the decision is refused, naming what is missing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from herald.accounts.chain import ChainStep, chain_from_json
from herald.accounts.registration import FIELD_LABELS
from herald.db import Database, Transaction
from herald.errors import ValidationError, Violation
from herald.posts.policies import default_policy_for
from herald.registry import missing_registration_fields
from herald.timeutil import local_day, require_aware

DECISIONS = ("approved", "rejected")
DOORS = ("cli", "api", "hitl")
STATE_ZH = {"pending": "审批中", "approved": "已批准开通", "rejected": "已驳回"}


def current_step(application: dict[str, Any]) -> ChainStep | None:
    """The step awaiting a decision, or None when the application is no longer pending."""
    chain = chain_from_json(json.loads(application["chain"]))
    number = application["current_step_no"]
    if application["state"] != "pending" or not 1 <= number <= len(chain):
        return None
    return chain[number - 1]


def step_holders(tx: Transaction, step: ChainStep, on) -> list[dict[str, Any]]:
    return tx.fetch("accounts/step_holders", role=step.role, unit_id=step.unit_id, on=on)


def _registration_after(tx: Transaction, application: dict[str, Any], opinions: dict[str, Any],
                        opened_on, policy: Any) -> list[Violation]:
    """ACC-3: what the record would still miss once this decision's opinions and opening date are written."""
    record = dict(tx.fetch_one("accounts/registration", account_id=application["account_id"]))
    record.update(opinions)
    record["opened_on"] = opened_on
    missing = missing_registration_fields(record, tuple(policy.registration_required_fields),
                                          dict(policy.conditional_required_fields))
    return [Violation(name, "ACC-3", f"备案登记表“{FIELD_LABELS.get(name, name)}”仍未填写，账号不能开通；"
                                     "请补全登记信息后再完成最后一步审批") for name in missing]


def decide(db: Database, *, application_id: str, approver_id: str, decision: str, via: str, now: datetime,
           reason: str | None = None, step_no: int | None = None, is_sealed: bool | None = None,
           policy_for: Callable[[str], Any] = default_policy_for) -> dict[str, Any]:
    """Record one decision on the application's current step; return where the application stands.

    ``step_no``, when given, is the step the person was asked (a human-in-the-loop request): a decision on any other
    step is refused. ``is_sealed`` (the host unit's seal, 003 §5.1) is recorded with the host unit opinion step.
    """
    now = require_aware(now, "now")
    reason = (reason or "").strip() or None
    with db.transaction() as tx:
        application = tx.fetch_one("accounts/application", application_id=application_id)
        if application is None:
            raise ValidationError([Violation("application_id", "ACC-2", f"开通申请“{application_id}”不存在")])
        violations = []
        step = current_step(application)
        if step is None:
            violations.append(Violation("application_id", "ACC-2", "该开通申请已审批结束（"
                                        f"{STATE_ZH.get(application['state'], application['state'])}），不能再审批"))
        elif step_no is not None and step_no != step.step_no:
            violations.append(Violation("step_no", "ACC-2", f"第{step_no}步已不在待审批状态（当前待审批为{step.title}）"))
        if decision not in DECISIONS:
            violations.append(Violation("decision", "ACC-2", f"审批意见“{decision}”无效，只能是 approved 或 rejected"))
        if decision == "rejected" and reason is None:
            violations.append(Violation("reason", "ACC-2", "驳回必须说明理由"))
        if via not in DOORS:
            violations.append(Violation("via", "ACC-2", f"审批渠道“{via}”无效"))
        approver = tx.fetch_one("accounts/person", person_id=approver_id)
        if approver is None or not approver["is_active"]:
            violations.append(Violation("approver_id", "ACC-2", f"审批人“{approver_id}”不是在册人员"))
        elif step is not None:
            holders = {h["person_id"] for h in step_holders(tx, step, local_day(now))}
            if approver_id not in holders:
                policy = policy_for(application["policy_id"])
                role = policy.roles.get(step.role, step.role)
                violations.append(Violation("approver_id", "ACC-2", f"“{approver['name']}”不是{step.unit_name}的{role}，"
                                                                    f"无权审批{step.title}"))
        if violations:
            raise ValidationError(violations)

        policy = policy_for(application["policy_id"])
        chain = chain_from_json(json.loads(application["chain"]))
        approval = policy.creation_approval
        day = local_day(now)
        opinions: dict[str, Any] = {}
        approved = decision == "approved"
        if approved and not step.related and approval is not None:
            if step.code == approval.host_unit_opinion_step:
                opinions.update(host_unit_opinion_by=approver_id, host_unit_opinion_on=day)
                if is_sealed is not None:
                    opinions["is_host_unit_sealed"] = is_sealed
            if step.code == approval.competent_opinion_step:
                opinions.update(competent_opinion_by=approver_id, competent_opinion_on=day)
        last = step.step_no == len(chain)
        if approved and last:
            missing = _registration_after(tx, application, opinions, day, policy)
            if missing:
                raise ValidationError(missing)

        tx.execute("accounts/insert_event", event_id=f"AE-{uuid.uuid4().hex[:20]}", account_id=application["account_id"],
                   kind="creation_step", step=step.code, decision=decision, actor_id=approver_id, new_state=None,
                   occurred_at=now, detail=json.dumps({
                       "application_id": application_id, "step_no": step.step_no, "unit_id": step.unit_id,
                       "role": step.role, "related": step.related, "via": via, "reason": reason}, ensure_ascii=False))
        if "host_unit_opinion_by" in opinions:
            tx.execute("accounts/set_host_opinion", account_id=application["account_id"], person_id=approver_id, on=day,
                       is_sealed=opinions.get("is_host_unit_sealed"), now=now)
        if "competent_opinion_by" in opinions:
            tx.execute("accounts/set_competent_opinion", account_id=application["account_id"], person_id=approver_id,
                       on=day, now=now)
        if not approved:
            new_state, why = "rejected", f"{step.title}被{approver['name']}驳回：{reason}"
        elif last:
            new_state, why = "approved", f"开通审批已完成，最后一步（{step.label}）由{approver['name']}批准，账号已开通"
        else:
            new_state, why = "pending", f"{step.title}已由{approver['name']}批准，等待{chain[step.step_no].title}审批"
        changed = tx.execute("accounts/advance", application_id=application_id, step_no=step.step_no,
                             next_step_no=step.step_no + 1, new_state=new_state, reason=why,
                             decided_at=None if new_state == "pending" else now, now=now)
        if changed != 1:
            raise ValidationError([Violation("application_id", "ACC-2", "该步骤已被他人审批，请刷新后重试")])
        if new_state == "approved":
            tx.execute("accounts/activate", account_id=application["account_id"], opened_on=day, now=now)
            tx.execute("accounts/insert_event", event_id=f"AE-{uuid.uuid4().hex[:20]}",
                       account_id=application["account_id"], kind="state_change", step=None, decision=None,
                       actor_id=approver_id, new_state="active", occurred_at=now,
                       detail=json.dumps({"application_id": application_id, "reason": "开通审批链已完成，账号开通"},
                                         ensure_ascii=False))
    return {"application_id": application_id, "account_id": application["account_id"], "state": new_state,
            "reason": why, "step_no": step.step_no, "step": step.code,
            "account_state": "active" if new_state == "approved" else "applied"}
