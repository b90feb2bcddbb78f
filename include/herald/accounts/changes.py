"""Changes and handovers of an account (ACC-4, ACC-5), and the rotation of its credential after a handover (SEC-1).

**Changes (ACC-4).** A change of the account's name, management team or maintenance method is filed in writing with
the competent department within the policy's ``change_filing.within_working_days`` Chinese working days of its
effective day. ``file_change`` records a filing made now (by someone of the host unit, an administrator named on the
registration, or the competent department head); ``note_change`` records a change the competent department saw that
nobody filed (``filed_at`` empty), and ``file_noted_change`` files it later. Each change is an ``account_events`` row
of kind ``change_filed`` (its ``occurred_at`` the effective day's Shanghai midnight, its ``filed_at`` the filing) plus
an ``account_changes`` row with the old and new values and the deadline. A filing that comes late is an ACC-4
finding at once; a change still unfiled past its deadline is found by the cadence scan's standing ACC-4 rule
(``herald.cadence.standing.late_filing_findings``), which reads the same event rows and keys its findings the same
way (rule, event, effective day), so the two never duplicate each other.

**Handovers (ACC-5).** The operator post of an account changes hands only through ``file_handover``: from whom, to
whom, the effective day and the competent department's receipt (reference, who received it, when). It ends the
departing operator's own assignment the day before and opens the new operator's from the effective day, in the
same transaction as the ``handover`` event, the management-team change it files (ACC-4) and the credential rotation
it requests. The gate is where Herald already asks who the operator is: dispatch stages a post only for the operator
holding the role on its publish day (``sql/dispatch/operator.sql``, refused as PUB-3 otherwise) and, where the policy
makes the operator the author (003), the queue refuses anyone else (PUB-2). So a new operator without a filed
handover cannot publish through Herald, and anything they publish by hand is the cadence scan's ACC-5 finding
(``unassigned_operators``). ``operator_gap_findings`` adds the other half: an account whose operator's assignment
ended or who left (inactive) with nobody taking over is an ACC-5 finding until a handover is filed.

**Rotation (SEC-1).** The handover records a ``pending`` rotation of the account's platform credential; the
``herald_delegations`` DAG (every few minutes) runs ``rotate_pending`` with clients built from the account's Airflow
connection. WeChat: a new access token is fetched through the account's single token holder (``platform_tokens``),
and the platform invalidates the previous one (after its grace period); the AppSecret itself is held by the
competent department only (SEC-1), never by the operator. Weibo: the token is revoked at the platform
(``oauth2/revokeoauth2``) and the competent department re-authorises the account into its connection. Channels
without an API record ``not_applicable``: the competent department changes the password by hand. Only a fingerprint
(12 hex digits of the new token's SHA-256) is stored; no token or secret is logged or returned.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from herald.db import Database, Transaction
from herald.errors import ValidationError, Violation
from herald.findings import Finding, record_event_findings
from herald.posts.approval import role_holders
from herald.posts.events import new_id
from herald.posts.policies import default_policy_for
from herald.timeutil import format_shanghai, local_day, require_aware, shanghai_midnight_utc

log = logging.getLogger(__name__)

CHANGE_KINDS = ("account_name", "management_team", "maintenance_method")
CHANGE_LABELS = {"account_name": "账号名称", "management_team": "管理团队", "maintenance_method": "维护方式"}
COMPETENT_ROLE = "competent_department_head"
ROTATING_PLATFORMS = ("wechat", "weibo")
MAX_ROTATION_ATTEMPTS = 12  # about an hour at the DAG's five minutes
MAX_FUTURE_DAYS = 366  # an effective day further ahead is a typing error, not a plan
DETECTED_BY = "herald.accounts.changes"

ClientFor = Callable[[str, str], Any]  # (platform, account_id) -> a platform client, or None when not configured


# --- working days -------------------------------------------------------------------------------------------------

def _calendar(first: date, last: date):
    from herald.cadence.workdays import WorkdayCalendar, day_number

    return WorkdayCalendar.covering(day_number(first), day_number(last)), day_number


def working_days_taken(effective_on: date, filed_on: date) -> int:
    """Working days in (effective_on, filed_on]: the cadence scan's count (``WorkdayCalendar.workdays_after``)."""
    if filed_on <= effective_on:
        return 0
    calendar, number = _calendar(effective_on, filed_on)
    return int(calendar.workdays_after(np.array([number(effective_on)]), np.array([number(filed_on)]))[0])


def filing_deadline(effective_on: date, working_days: int) -> date:
    """The last day a filing is in time: the ``working_days``-th Chinese working day after the effective day
    (a filing on a non-working day after it, before the next working day, is still in time: it adds none)."""
    from herald.calendar import working_day

    day, counted = effective_on, 0
    while counted < working_days:
        day += timedelta(days=1)
        counted += working_day(day)[0]
    following = day + timedelta(days=1)
    while not working_day(following)[0]:
        following += timedelta(days=1)
    return following - timedelta(days=1)


# --- shared checks ------------------------------------------------------------------------------------------------

def _account(tx: Transaction, account_id: str, field: str = "account_id") -> dict[str, Any]:
    account = tx.fetch_one("account_changes/account", account_id=account_id)
    if account is None:
        raise ValidationError([Violation(field, "ACC-1", f"账号“{account_id}”未登记")])
    return account


def _person(tx: Transaction, person_id: str | None) -> dict[str, Any] | None:
    return tx.fetch_one("posts/person", person_id=person_id) if person_id else None


def _holds(tx: Transaction, account_id: str, role: str, person_id: str, on: date) -> bool:
    return any(h["person_id"] == person_id for h in role_holders(tx, account_id, role, on))


def may_file_for(tx: Transaction, account: dict[str, Any], person: dict[str, Any] | None, on: date) -> bool:
    """Someone of the host unit, an administrator named on the registration, or the competent department head."""
    if person is None or not person["is_active"]:
        return False
    if person["unit_id"] == account["host_unit_id"]:
        return True
    if tx.scalar("account_changes/is_account_admin", account_id=account["account_id"], person_id=person["person_id"]):
        return True
    return _holds(tx, account["account_id"], COMPETENT_ROLE, person["person_id"], on)


def _check_effective(effective_on: date, today: date, field: str = "effective_on") -> list[Violation]:
    if effective_on > today + timedelta(days=MAX_FUTURE_DAYS):
        return [Violation(field, "ACC-4", f"生效日期 {effective_on.isoformat()} 超过一年以后，请核对")]
    return []


def _late_finding(account: dict[str, Any], policy: Any, *, event_id: str, change_kind: str, effective_on: date,
                  filed_at: datetime, taken: int) -> Finding:
    """The ACC-4 finding of a late filing, keyed as the cadence scan keys it (rule, account_event, effective day)."""
    from herald.cadence.labels import account_label, cite

    day = effective_on.isoformat()
    allowed = policy.change_filing_working_days
    return Finding(
        rule_id="ACC-4", subject_type="account_event", subject_id=event_id, period=day, severity="medium",
        summary=f"账号{account_label(account)}于{day}变更{CHANGE_LABELS[change_kind]}，"
                f"于{format_shanghai(filed_at)}才书面备案，晚了{taken}个工作日；"
                f"应在{allowed}个工作日内备案（{cite(policy, 'change_filing', 'ACC-4')}）。",
        evidence={"policy_id": policy.policy_id, "policy_sha256": policy.content_hash,
                  "clause": policy.clause("change_filing"), "day": day, "change": change_kind,
                  "occurred_at": shanghai_midnight_utc(effective_on).isoformat(), "filed_at": filed_at.isoformat(),
                  "working_days_taken": taken, "working_days_allowed": allowed, "filed": True,
                  "account_id": account["account_id"], "host_unit_id": account["host_unit_id"]},
    )


# --- changes (ACC-4) ----------------------------------------------------------------------------------------------

def _insert_change(tx: Transaction, account: dict[str, Any], policy: Any, *, change_kind: str, new_value: str,
                   old_value: str | None, effective_on: date, reported_by: str, now: datetime, filed: bool,
                   filing_ref: str | None, handover_id: str | None = None) -> dict[str, Any]:
    change_id, event_id = new_id("CH"), new_id("AE")
    deadline = filing_deadline(effective_on, policy.change_filing_working_days)
    if change_kind == "account_name" and old_value is None:
        old_value = account["name"]
    detail = {"change_id": change_id, "old_value": old_value, "new_value": new_value, "filing_ref": filing_ref,
              "deadline_on": deadline.isoformat(), "handover_id": handover_id}
    tx.execute("account_changes/insert_event", event_id=event_id, account_id=account["account_id"], kind="change_filed",
               step=change_kind, actor_id=reported_by, from_person_id=None, to_person_id=None,
               occurred_at=shanghai_midnight_utc(effective_on), filed_at=now if filed else None,
               detail=json.dumps(detail, ensure_ascii=False, sort_keys=True))
    tx.execute("account_changes/insert_change", change_id=change_id, account_id=account["account_id"], event_id=event_id,
               change_kind=change_kind, old_value=old_value, new_value=new_value, effective_on=effective_on,
               deadline_on=deadline, reported_by=reported_by, reported_at=now, filed_by=reported_by if filed else None,
               filed_at=now if filed else None, filing_ref=filing_ref, handover_id=handover_id,
               policy_id=policy.policy_id, policy_sha256=policy.content_hash)
    return {"change_id": change_id, "event_id": event_id, "deadline_on": deadline}


def _after_filing(tx: Transaction, account: dict[str, Any], policy: Any, *, change_id: str, event_id: str,
                  change_kind: str, new_value: str, effective_on: date, now: datetime) -> dict[str, Any]:
    """What a filing settles: lateness (an ACC-4 finding at once) and a name change in effect (the registered name)."""
    taken = working_days_taken(effective_on, local_day(now))
    late = change_kind in policy.change_filing_changes and taken > policy.change_filing_working_days
    finding_id = None
    if late:
        finding = _late_finding(account, policy, event_id=event_id, change_kind=change_kind, effective_on=effective_on,
                                filed_at=now, taken=taken)
        record_event_findings(tx, [finding], detected_by=DETECTED_BY, now=now)
        finding_id = finding.finding_id
    if change_kind == "account_name" and effective_on <= local_day(now):
        tx.execute("account_changes/rename_account", account_id=account["account_id"], name=new_value, now=now)
    return {"change_id": change_id, "event_id": event_id, "late": late, "working_days_taken": taken,
            "finding_id": finding_id}


def _change_violations(change_kind: str, effective_on: date, now: datetime) -> list[Violation]:
    """What is wrong with a change itself, whoever files or notes it: its effective day and its kind (ACC-4)."""
    violations = _check_effective(effective_on, local_day(now))
    if change_kind not in CHANGE_KINDS:
        violations.append(Violation("change_kind", "ACC-4", f"变更事项“{change_kind}”不是账号名称、管理团队或维护方式之一"))
    return violations


def file_change(db: Database, account_id: str, *, change_kind: str, new_value: str, effective_on: date,
                filed_by: str, now: datetime, old_value: str | None = None, filing_ref: str | None = None,
                policy_for: Callable[[str], Any] = default_policy_for) -> dict[str, Any]:
    """File a change in writing now (ACC-4); a late filing is an ACC-4 finding at once. Nothing is stored on refusal."""
    now = require_aware(now, "now")
    with db.transaction() as tx:
        account = _account(tx, account_id)
        policy = policy_for(account["policy_id"])
        violations = _change_violations(change_kind, effective_on, now)
        if not may_file_for(tx, account, _person(tx, filed_by), local_day(now)):
            violations.append(Violation("filed_by", "ACC-4", f"“{filed_by}”不是账号“{account['name']}”的主办单位人员、登记的管理员"
                                                             "或主管部门负责人，不能为其备案变更"))
        if violations:
            raise ValidationError(violations)
        made = _insert_change(tx, account, policy, change_kind=change_kind, new_value=new_value, old_value=old_value,
                              effective_on=effective_on, reported_by=filed_by, now=now, filed=True, filing_ref=filing_ref)
        settled = _after_filing(tx, account, policy, change_id=made["change_id"], event_id=made["event_id"],
                                change_kind=change_kind, new_value=new_value, effective_on=effective_on, now=now)
        return {**settled, "deadline_on": made["deadline_on"], "filed_at": now}


def note_change(db: Database, account_id: str, *, change_kind: str, new_value: str, effective_on: date,
                noted_by: str, now: datetime, old_value: str | None = None,
                policy_for: Callable[[str], Any] = default_policy_for) -> dict[str, Any]:
    """The competent department records a change it saw that nobody has filed: its clock runs from the effective day,
    and the cadence scan's standing ACC-4 rule reports it once the deadline has passed unfiled."""
    now = require_aware(now, "now")
    with db.transaction() as tx:
        account = _account(tx, account_id)
        policy = policy_for(account["policy_id"])
        violations = _change_violations(change_kind, effective_on, now)
        if not _holds(tx, account_id, COMPETENT_ROLE, noted_by, local_day(now)):
            violations.append(Violation("noted_by", "ACC-4", "只有主管部门负责人可以登记未备案的变更"))
        if violations:
            raise ValidationError(violations)
        made = _insert_change(tx, account, policy, change_kind=change_kind, new_value=new_value, old_value=old_value,
                              effective_on=effective_on, reported_by=noted_by, now=now, filed=False, filing_ref=None)
        return {"change_id": made["change_id"], "event_id": made["event_id"], "deadline_on": made["deadline_on"]}


def file_noted_change(db: Database, change_id: str, *, filed_by: str, now: datetime, filing_ref: str | None = None,
                      policy_for: Callable[[str], Any] = default_policy_for) -> dict[str, Any]:
    """File a change noted earlier; late is an ACC-4 finding at once (the same finding the scan would key)."""
    now = require_aware(now, "now")
    with db.transaction() as tx:
        change = tx.fetch_one("account_changes/change", change_id=change_id)
        if change is None:
            raise ValidationError([Violation("change_id", "ACC-4", f"没有编号为“{change_id}”的变更")])
        account = _account(tx, change["account_id"])
        if change["filed_at"] is not None:
            raise ValidationError([Violation("change_id", "ACC-4",
                                             f"该变更已于{format_shanghai(change['filed_at'])}备案，不能重复备案")])
        if not may_file_for(tx, account, _person(tx, filed_by), local_day(now)):
            raise ValidationError([Violation("filed_by", "ACC-4", f"“{filed_by}”不是账号“{account['name']}”的主办单位人员、"
                                                                  "登记的管理员或主管部门负责人，不能为其备案变更")])
        if tx.execute("account_changes/file_change", change_id=change_id, filed_by=filed_by, filed_at=now,
                      filing_ref=filing_ref) != 1 or tx.execute("account_changes/file_event", event_id=change["event_id"],
                                                                filed_at=now) != 1:
            raise ValidationError([Violation("change_id", "ACC-4", "该变更刚刚已被他人备案")])
        policy = policy_for(account["policy_id"])
        settled = _after_filing(tx, account, policy, change_id=change_id, event_id=change["event_id"],
                                change_kind=change["change_kind"], new_value=change["new_value"],
                                effective_on=change["effective_on"], now=now)
        return {**settled, "deadline_on": change["deadline_on"], "filed_at": now}


# --- handovers (ACC-5) --------------------------------------------------------------------------------------------

def file_handover(db: Database, account_id: str, *, to_person_id: str, from_person_id: str | None, effective_on: date,
                  receipt_ref: str | None, receipt_by: str | None, receipt_on: date | None, filed_by: str,
                  now: datetime, policy_for: Callable[[str], Any] = default_policy_for) -> dict[str, Any]:
    """File a handover of the operator post (ACC-5) with the competent department's receipt; see the module doc."""
    now = require_aware(now, "now")
    today = local_day(now)
    with db.transaction() as tx:
        account = _account(tx, account_id)
        policy = policy_for(account["policy_id"])
        violations = _check_effective(effective_on, today)
        if account["state"] == "deregistered":
            violations.append(Violation("account_id", "ACC-5", f"账号“{account['name']}”已注销，不能交接"))
        to_person = _person(tx, to_person_id)
        if to_person is None or not to_person["is_active"]:
            violations.append(Violation("to_person_id", "ACC-5", f"接收人“{to_person_id}”不是在册人员"))
        if from_person_id and from_person_id == to_person_id:
            violations.append(Violation("to_person_id", "ACC-5", "接收人与移交人是同一人"))
        day_before = effective_on - timedelta(days=1)
        in_force = tx.fetch("account_changes/operator_assignments", account_id=account_id, on=day_before)
        current = [a for a in in_force if a["valid_from_on"] <= day_before]
        if from_person_id:
            mine = [a for a in in_force if a["person_id"] == from_person_id]
            if not any(a["valid_from_on"] <= day_before for a in mine):
                violations.append(Violation("from_person_id", "ACC-5", f"“{from_person_id}”在 {day_before.isoformat()} "
                                                                       f"不是账号“{account['name']}”的运营人员，不能移交"))
            elif any(a["valid_from_on"] > day_before for a in mine):
                violations.append(Violation("effective_on", "ACC-5", "移交人的运营人员任命晚于交接生效日，请核对生效日期"))
        elif current:
            names = "、".join(sorted({a["person_id"] for a in current}))
            violations.append(Violation("from_person_id", "ACC-5", f"账号“{account['name']}”现有运营人员（{names}），交接须写明移交人"))
        if any(a["person_id"] == to_person_id and (a["valid_to_on"] is None or a["valid_to_on"] >= effective_on)
               for a in in_force):
            violations.append(Violation("to_person_id", "ACC-5", f"“{to_person_id}”在生效日已是该账号的运营人员"))
        if policy.handover_filing_required:
            from herald.policy.citation import citation

            cited = citation(policy, "handover")
            if not receipt_ref:
                violations.append(Violation("receipt_ref", "ACC-5", f"交接须向主管部门备案，请填写主管部门的备案回执编号（{cited}）"))
            if not receipt_by or not receipt_on:
                violations.append(Violation("receipt_by", "ACC-5", f"请填写签收备案的主管部门负责人和签收日期（{cited}）"))
            elif not _holds(tx, account_id, COMPETENT_ROLE, receipt_by, receipt_on):
                violations.append(Violation("receipt_by", "ACC-5", f"“{receipt_by}”在 {receipt_on.isoformat()} "
                                                                   "不是该账号的主管部门负责人，不能签收交接备案"))
            if receipt_on and receipt_on > today:
                violations.append(Violation("receipt_on", "ACC-5", "签收日期不能晚于今天"))
        if not (filed_by in (from_person_id, to_person_id, receipt_by)
                or may_file_for(tx, account, _person(tx, filed_by), today)):
            violations.append(Violation("filed_by", "ACC-5", f"“{filed_by}”不是交接双方、主办单位人员或主管部门负责人，不能提交交接"))
        if violations:
            raise ValidationError(violations)

        handover_id, event_id = new_id("HO"), new_id("AE")
        for assignment in in_force:
            if assignment["person_id"] == from_person_id:
                tx.execute("account_changes/end_assignment", assignment_id=assignment["assignment_id"],
                           valid_to_on=day_before)
        tx.execute("account_changes/insert_assignment", assignment_id=f"{handover_id}:operator", person_id=to_person_id,
                   role="operator", account_id=account_id, valid_from_on=effective_on, valid_to_on=None)
        detail = {"handover_id": handover_id, "receipt_ref": receipt_ref, "receipt_by": receipt_by,
                  "receipt_on": receipt_on.isoformat() if receipt_on else None}
        tx.execute("account_changes/insert_event", event_id=event_id, account_id=account_id, kind="handover", step="operator",
                   actor_id=filed_by, from_person_id=from_person_id, to_person_id=to_person_id,
                   occurred_at=shanghai_midnight_utc(effective_on), filed_at=now,
                   detail=json.dumps(detail, ensure_ascii=False, sort_keys=True))
        tx.execute("account_changes/insert_handover", handover_id=handover_id, account_id=account_id, event_id=event_id,
                   from_person_id=from_person_id, to_person_id=to_person_id, effective_on=effective_on,
                   receipt_ref=receipt_ref or "", receipt_by=receipt_by or filed_by, receipt_on=receipt_on or today,
                   filed_by=filed_by, filed_at=now, policy_id=policy.policy_id, policy_sha256=policy.content_hash)
        # The operator is part of the management team: the handover is that change's written filing (ACC-4).
        change = _insert_change(tx, account, policy, change_kind="management_team",
                                new_value=f"运营人员：{to_person['name']}（{to_person_id}）", old_value=from_person_id,
                                effective_on=effective_on, reported_by=filed_by, now=now, filed=True,
                                filing_ref=receipt_ref, handover_id=handover_id)
        settled = _after_filing(tx, account, policy, change_id=change["change_id"], event_id=change["event_id"],
                                change_kind="management_team", new_value="", effective_on=effective_on, now=now)
        rotation_id = new_id("CR")
        if account["platform"] in ROTATING_PLATFORMS:
            tx.execute("account_changes/insert_rotation", rotation_id=rotation_id, account_id=account_id,
                       handover_id=handover_id, platform=account["platform"], state="pending", method=None,
                       detail="交接后待轮换平台凭据（数分钟内由 herald_delegations 执行）", requested_at=now, finished_at=None)
        else:
            tx.execute("account_changes/insert_rotation", rotation_id=rotation_id, account_id=account_id,
                       handover_id=handover_id, platform=account["platform"], state="not_applicable", method="manual",
                       detail="该渠道无平台接口：请主管部门修改登录密码（SEC-1），Herald 不保存密码", requested_at=now,
                       finished_at=now)
        return {"handover_id": handover_id, "event_id": event_id, "rotation_id": rotation_id,
                "change_id": change["change_id"], "late": settled["late"], "finding_id": settled["finding_id"]}


# --- credential rotation (SEC-1) ----------------------------------------------------------------------------------

FINGERPRINT_CHARS = 12


def fingerprint(token: str) -> str:
    """12 hex digits of the token's SHA-256: shows that a credential changed without revealing it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:FINGERPRINT_CHARS]


def _rotate_wechat(client: Any) -> tuple[str, str, str]:
    held = client.access_token()
    fresh = client.access_token(stale=held)
    if fresh == held:
        raise RuntimeError("the token holder returned the same token")
    return "wechat_token_refetched", fingerprint(fresh), "已通过账号的唯一令牌持有者重新获取 access_token，旧令牌在平台宽限期后失效"


def _rotate_weibo(client: Any) -> tuple[str, str, str]:
    outcome = client.revoke_token()  # the connection's token, passed only to the platform (the transport redacts it)
    if not outcome.ok:
        raise RuntimeError(f"weibo revokeoauth2: {outcome.kind.value} {outcome.code or ''}")
    return ("weibo_token_revoked", outcome.data["token_sha256"][:FINGERPRINT_CHARS],
            "旧 access_token 已在微博作废；请主管部门重新授权，把新令牌填入该账号的连接（SEC-1）")


ROTATORS = {"wechat": _rotate_wechat, "weibo": _rotate_weibo}


def rotate_pending(db: Database, client_for: ClientFor, *, now: datetime, rotation_id: str | None = None) -> dict[str, int]:
    """Rotate the pending credentials (or one): each attempt recorded; a pending one is retried on the next run,
    and after ``MAX_ROTATION_ATTEMPTS`` it fails with an ACC-5 finding (someone must rotate it by hand)."""
    now = require_aware(now, "now")
    counts = {"done": 0, "retry": 0, "failed": 0}
    for row in db.fetch("account_changes/pending_rotations", rotation_id=rotation_id):
        try:
            client = client_for(row["platform"], row["account_id"])
            if client is None:
                raise LookupError(f"no connection for {row['platform']} account {row['account_id']}")
            method, print_, detail = ROTATORS[row["platform"]](client)
        except Exception as exc:  # a platform or configuration error: recorded, retried, never the credential
            log.warning("credential rotation %s (%s %s) failed: %s", row["rotation_id"], row["platform"],
                        row["account_id"], type(exc).__name__)
            final = row["attempts"] + 1 >= MAX_ROTATION_ATTEMPTS
            with db.transaction() as tx:
                tx.execute("account_changes/finish_rotation", rotation_id=row["rotation_id"],
                           state="failed" if final else "pending", method=None, fingerprint=None,
                           detail=f"第{row['attempts'] + 1}次轮换未成功：{type(exc).__name__}", finished_at=now if final else None)
                if final:
                    record_event_findings(tx, [Finding(
                        rule_id="ACC-5", subject_type="credential_rotation", subject_id=row["rotation_id"],
                        period=local_day(now).isoformat(), severity="high",
                        summary=f"账号{row['account_id']}交接后平台凭据经{MAX_ROTATION_ATTEMPTS}次尝试仍未轮换，"
                                "离任运营人员可能仍可登录：请主管部门手工更换凭据（SEC-1）。",
                        evidence={"account_id": row["account_id"], "handover_id": row["handover_id"],
                                  "platform": row["platform"], "attempts": row["attempts"] + 1})],
                        detected_by=DETECTED_BY, now=now)
            counts["failed" if final else "retry"] += 1
            continue
        with db.transaction() as tx:
            tx.execute("account_changes/finish_rotation", rotation_id=row["rotation_id"], state="done", method=method,
                       fingerprint=print_, detail=detail, finished_at=now)
        log.info("credential rotation %s (%s %s) done: %s", row["rotation_id"], row["platform"], row["account_id"], method)
        counts["done"] += 1
    return counts


# --- ACC-5: an operator gone without a handover -------------------------------------------------------------------

def operator_gap_findings(tx: Transaction, *, on: date, policy_for: Callable[[str], Any] = default_policy_for) -> list[Finding]:
    """Active accounts whose operator's assignment ended (or who left) with nobody holding the post on ``on``."""
    from herald.cadence.labels import account_label, cite, person_label

    findings = []
    for row in tx.fetch("account_changes/operator_gaps", on=on):
        policy = policy_for(row["policy_id"])
        since = row["valid_to_on"] + timedelta(days=1) if row["valid_to_on"] and row["valid_to_on"] < on else on
        who = person_label(row["last_operator_name"], row["last_operator_id"])
        why = "已离职（停用）" if not row["is_operator_active"] else f"的任命已于{row['valid_to_on'].isoformat()}结束"
        findings.append(Finding(
            rule_id="ACC-5", subject_type="account", subject_id=row["account_id"], period=since.isoformat(),
            severity="high",
            summary=f"账号{account_label(row)}的运营人员{who}{why}，自{since.isoformat()}起无人接任，也未向主管部门办理交接备案；"
                    f"未交接前任何人不能经 Herald 发布（{cite(policy, 'handover', 'ACC-5')}）。",
            evidence={"policy_id": policy.policy_id, "policy_sha256": policy.content_hash,
                      "clause": policy.clause("handover"), "account_id": row["account_id"],
                      "last_operator_id": row["last_operator_id"], "since_on": since.isoformat(),
                      "host_unit_id": row["host_unit_id"]},
        ))
    return findings


def operator_gap_job(db: Database, run, *, now: datetime):
    """The ``herald_delegations`` task: ACC-5 findings for operator posts left empty, with the ledger row."""
    from herald.jobs import run_recorded

    def body(tx: Transaction, entry) -> None:
        found = operator_gap_findings(tx, on=local_day(now))
        entry.inputs.update({"tables": ["accounts", "role_assignments", "people"], "on": local_day(now).isoformat()})
        entry.row_counts["findings_reported"] = record_event_findings(
            tx, found, detected_by=f"{run.dag_id}.{run.task_id}", now=now) if found else 0
        entry.outputs["findings"] = sorted(f.finding_id for f in found)

    return run_recorded(db, run, body)


def rotation_job(db: Database, run, client_for: ClientFor, *, now: datetime):
    """The ``herald_delegations`` task: rotate pending credentials (each in its own transaction around its platform
    calls), then write the ledger row with the counts."""
    from herald.jobs import run_recorded

    counts = rotate_pending(db, client_for, now=now)

    def body(tx: Transaction, entry) -> None:
        entry.inputs.update({"tables": ["credential_rotations"], "as_of": now.isoformat()})
        entry.row_counts.update({f"rotations_{k}": v for k, v in counts.items()})

    return run_recorded(db, run, body)


# --- reading -------------------------------------------------------------------------------------------------------

def account_changes(db: Database, account_id: str) -> dict[str, Any]:
    """An account's changes and handovers (with their rotations), for the door and the CLI."""
    with db.transaction() as tx:
        account = _account(tx, account_id)
        return {"account_id": account_id, "name": account["name"],
                "changes": tx.fetch("account_changes/changes_of_account", account_id=account_id),
                "handovers": tx.fetch("account_changes/handovers_of_account", account_id=account_id)}


def audit_rows(db: Database, account_id: str | None, from_on: date, to_on: date) -> dict[str, list[dict[str, Any]]]:
    """For the annual audit pack: the changes (ACC-4) and handovers with their rotations (ACC-5, SEC-1) effective in
    [from_on, to_on], of one account or (``None``) every account. SQL: ``sql/account_changes/audit_*.sql``."""
    params = {"account_id": account_id, "from_on": from_on, "to_on": to_on}
    return {"account_changes": db.fetch("account_changes/audit_changes", **params),
            "account_handovers": db.fetch("account_changes/audit_handovers", **params)}
