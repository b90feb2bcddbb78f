"""The complaint workflow and its clocks (see the package docstring for the rules it follows)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from herald.db import Database, Transaction
from herald.errors import ValidationError, Violation
from herald.findings import Finding, record_event_findings
from herald.ledger import LedgerEntry, TaskRun
from herald.timeutil import format_shanghai, local_day, require_aware, shanghai_midnight_utc

RULE_ID = "SEC-4"
STATES = ("registered", "assigned", "answered", "followed_up")
STATE_LABELS = {"registered": "已登记", "assigned": "已受理", "answered": "已答复", "followed_up": "已回访"}
STEPS = ("assign", "answer", "follow_up")
STEP_LABELS = {"assign": "受理", "answer": "答复", "follow_up": "回访"}
CHANNEL_LABELS = {"comment": "评论", "message": "私信/留言", "phone": "电话", "email": "邮件", "letter": "信函",
                  "other": "其他"}
OUTCOME_LABELS = {"satisfied": "满意", "unsatisfied": "不满意", "unreachable": "无法联系"}
VIAS = ("api", "cli", "admin_override", "pipeline")
FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks of the machines that report a complaint may run a little ahead
MAX_WORKING_DAY_SEARCH = 400  # days looked ahead for N working days (the longest holiday is 8 days)


class ComplaintNotFound(ValidationError):
    """No complaint with that id (HTTP 404)."""


class ComplaintConflict(ValidationError):
    """The step does not apply to the complaint's current state (HTTP 409)."""


def _refuse(field: str, message: str, kind: type[ValidationError] = ValidationError) -> ValidationError:
    return kind([Violation(field, RULE_ID, message)])


# --- clocks --------------------------------------------------------------------------------------------------------


def add_working_days(day: date, amount: int) -> date:
    """The ``amount``-th Chinese working day after ``day`` (``day`` itself not counted)."""
    from herald.calendar import working_day

    current, found = day, 0
    for _ in range(MAX_WORKING_DAY_SEARCH):
        current += timedelta(days=1)
        if working_day(current)[0]:
            found += 1
            if found == amount:
                return current
    raise ValueError(f"no {amount} working days within {MAX_WORKING_DAY_SEARCH} days after {day}")


def due_at(start: datetime, clock: Any) -> datetime:
    """When a step started at ``start`` is due under ``clock`` (a ``ComplaintClock``): ``amount`` hours later, or the
    end (Beijing time) of the ``amount``-th working day after the day it started."""
    start = require_aware(start, "start")
    if clock.unit == "hours":
        return start + timedelta(hours=clock.amount)
    if clock.unit == "working_days":
        return shanghai_midnight_utc(add_working_days(local_day(start), clock.amount) + timedelta(days=1))
    raise ValueError(f"complaints clock unit {clock.unit!r} is not hours or working_days")


def _clock_label(clock: Any) -> str:
    return f"{clock.amount}小时" if clock.unit == "hours" else f"{clock.amount}个工作日"


def _complaints_policy(policy_for: Callable[[str], Any], policy_id: str) -> Any:
    policy = policy_for(policy_id)
    if policy.complaints is None:
        raise _refuse("account_id", f"账号适用的{policy_id}号制度未设定投诉处理时限（complaints），无法登记")
    return policy


def _default_policy_for() -> Callable[[str], Any]:
    from herald.policy import load_policy

    return load_policy


# --- who may act ---------------------------------------------------------------------------------------------------


def _check_person(tx: Transaction, person_id: str, host_unit_id: str, now: datetime, field: str) -> None:
    from herald.findings import answerable_units

    if host_unit_id not in answerable_units(tx, person_id, day=local_day(now)):
        raise _refuse(field, f"{person_id}不是该账号主办单位或主管部门的在职人员，无权处理此投诉")


def _event(tx: Transaction, complaint_id: str, from_state: str | None, to_state: str, *, actor: str, via: str,
           detail: dict[str, Any], now: datetime, os_user: str | None) -> None:
    tx.execute("complaints/event_insert", event_id=f"CE-{uuid.uuid4().hex}", complaint_id=complaint_id,
               from_state=from_state, to_state=to_state, actor=actor, via=via,
               detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str), os_user=os_user, now=now)


def _check_via(via: str) -> None:
    if via not in VIAS:
        raise ValueError(f"via: {via!r} is not one of {VIAS}")


def _load(tx: Transaction, complaint_id: str) -> dict[str, Any]:
    row = tx.fetch_one("complaints/detail", complaint_id=complaint_id)
    if row is None:
        raise _refuse("complaint_id", f"没有编号为“{complaint_id[:64]}”的投诉", ComplaintNotFound)
    return row


def _expect(row: dict[str, Any], states: tuple[str, ...], step: str) -> None:
    if row["state"] not in states:
        raise _refuse("state", f"该投诉当前为“{STATE_LABELS[row['state']]}”，不能{STEP_LABELS[step]}", ComplaintConflict)


# --- the steps ------------------------------------------------------------------------------------------------------


def register_complaint(tx: Transaction, *, account_id: str, content: str, channel: str, received_at: datetime,
                       actor: str, via: str, now: datetime, source_ref: str | None = None,
                       complainant: str | None = None, contact: str | None = None, os_user: str | None = None,
                       policy_for: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """Register a complaint received through ``account_id``; return it (with ``duplicate`` true when the same
    ``source_ref`` of the account was registered before: nothing is written then).

    ``actor`` is the person registering (``via`` api, cli or admin_override; they must be able to act for the
    account's host unit) or the pipeline that classified a comment as a complaint (``via="pipeline"``, e.g.
    ``"herald_comment_watch.screen"``).
    """
    now, received_at = require_aware(now, "now"), require_aware(received_at, "received_at")
    _check_via(via)
    violations = []
    if not (content or "").strip():
        violations.append(Violation("content", RULE_ID, "投诉内容不能为空"))
    if channel not in CHANNEL_LABELS:
        violations.append(Violation("channel", RULE_ID, f"投诉来源“{str(channel)[:20]}”不是{'、'.join(CHANNEL_LABELS)}之一"))
    if received_at > now + FUTURE_TOLERANCE:
        violations.append(Violation("received_at", RULE_ID, f"收到时间{format_shanghai(received_at)}晚于现在，请核对"))
    account = tx.fetch_one("complaints/account", account_id=account_id)
    if account is None:
        violations.append(Violation("account_id", RULE_ID, f"没有编号为“{account_id[:64]}”的在册账号"))
    if violations:
        raise ValidationError(violations)
    assert account is not None
    if via != "pipeline":
        _check_person(tx, actor, account["host_unit_id"], now, "account_id")
    if source_ref:
        existing = tx.fetch_one("complaints/by_source", account_id=account_id, source_ref=source_ref)
        if existing is not None:
            return {**complaint_detail(tx, existing["complaint_id"]), "duplicate": True}
    policy = _complaints_policy(policy_for or _default_policy_for(), account["policy_id"])
    clocks = policy.complaints
    complaint_id = f"CPL-{uuid.uuid4().hex[:12].upper()}"
    assign_due, answer_due = due_at(received_at, clocks.assign_within), due_at(received_at, clocks.answer_within)
    tx.execute("complaints/insert", complaint_id=complaint_id, account_id=account_id, channel=channel,
               source_ref=source_ref, complainant=complainant, contact=contact, content=content.strip(),
               received_at=received_at, registered_at=now, registered_by=actor, assign_due_at=assign_due,
               answer_due_at=answer_due, policy_id=policy.policy_id, policy_sha256=policy.content_hash)
    _event(tx, complaint_id, None, "registered", actor=actor, via=via, now=now, os_user=os_user,
           detail={"channel": channel, "source_ref": source_ref, "received_at": received_at,
                   "assign_due_at": assign_due, "answer_due_at": answer_due, "policy_id": policy.policy_id})
    return {**complaint_detail(tx, complaint_id), "duplicate": False}


def assign_complaint(tx: Transaction, complaint_id: str, *, assignee_id: str, person_id: str, via: str, now: datetime,
                     note: str | None = None, os_user: str | None = None) -> dict[str, Any]:
    """Assign (受理) the complaint to ``assignee_id``, or reassign it; the first assignment stops the assign clock."""
    now = require_aware(now, "now")
    _check_via(via)
    row = _load(tx, complaint_id)
    _check_person(tx, person_id, row["host_unit_id"], now, "complaint_id")
    _expect(row, ("registered", "assigned"), "assign")
    assignee = tx.fetch_one("findings/person", person_id=assignee_id)
    if assignee is None or not assignee["is_active"]:
        raise _refuse("assignee_id", f"没有在职人员“{assignee_id[:64]}”")
    _check_person(tx, assignee_id, row["host_unit_id"], now, "assignee_id")
    if tx.execute("complaints/assign", complaint_id=complaint_id, assignee_id=assignee_id, from_state=row["state"],
                  now=now) != 1:
        raise _refuse("state", "该投诉刚被他人处理，请刷新后再试", ComplaintConflict)
    _event(tx, complaint_id, row["state"], "assigned", actor=person_id, via=via, now=now, os_user=os_user,
           detail={"assignee_id": assignee_id, "previous_assignee_id": row["assignee_id"], "note": note})
    return complaint_detail(tx, complaint_id)


def answer_complaint(tx: Transaction, complaint_id: str, *, answer: str, person_id: str, via: str, now: datetime,
                     os_user: str | None = None, policy_for: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """Answer (答复) the complaint: only its assignee; starts the follow-up clock."""
    now = require_aware(now, "now")
    _check_via(via)
    if not (answer or "").strip():
        raise _refuse("answer", "答复内容不能为空")
    row = _load(tx, complaint_id)
    _expect(row, ("assigned",), "answer")
    if row["assignee_id"] != person_id:
        raise _refuse("complaint_id", f"该投诉的承办人是{row['assignee_name'] or row['assignee_id']}，只有承办人本人可以答复")
    policy = _complaints_policy(policy_for or _default_policy_for(), row["policy_id"])
    follow_up_due = due_at(now, policy.complaints.follow_up_within)
    if tx.execute("complaints/answer", complaint_id=complaint_id, answer=answer.strip(), follow_up_due_at=follow_up_due,
                  now=now) != 1:
        raise _refuse("state", "该投诉刚被他人处理，请刷新后再试", ComplaintConflict)
    _event(tx, complaint_id, "assigned", "answered", actor=person_id, via=via, now=now, os_user=os_user,
           detail={"answer": answer.strip(), "follow_up_due_at": follow_up_due})
    return complaint_detail(tx, complaint_id)


def follow_up_complaint(tx: Transaction, complaint_id: str, *, outcome: str, note: str, person_id: str, via: str,
                        now: datetime, os_user: str | None = None) -> dict[str, Any]:
    """Follow up (回访) an answered complaint: its assignee or anyone who may act for the account's host unit."""
    now = require_aware(now, "now")
    _check_via(via)
    if outcome not in OUTCOME_LABELS:
        raise _refuse("outcome", f"回访结果“{str(outcome)[:20]}”不是{'、'.join(OUTCOME_LABELS)}之一")
    if not (note or "").strip():
        raise _refuse("note", "回访记录不能为空")
    row = _load(tx, complaint_id)
    if row["assignee_id"] != person_id:
        _check_person(tx, person_id, row["host_unit_id"], now, "complaint_id")
    _expect(row, ("answered",), "follow_up")
    if tx.execute("complaints/follow_up", complaint_id=complaint_id, outcome=outcome, note=note.strip(), now=now) != 1:
        raise _refuse("state", "该投诉刚被他人处理，请刷新后再试", ComplaintConflict)
    _event(tx, complaint_id, "answered", "followed_up", actor=person_id, via=via, now=now, os_user=os_user,
           detail={"outcome": outcome, "note": note.strip()})
    return complaint_detail(tx, complaint_id)


# --- reading --------------------------------------------------------------------------------------------------------


def _clock_status(due: datetime | None, done: datetime | None, now: datetime) -> str:
    if due is None:
        return "not_started"
    if done is not None:
        return "on_time" if done <= due else "late"
    return "overdue" if now > due else "running"


CLOCK_LABELS = {"not_started": "未开始", "on_time": "按时", "late": "超时完成", "overdue": "已超时", "running": "进行中"}


def _clocks(row: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    pairs = (("assign", "assign_due_at", "assigned_at"), ("answer", "answer_due_at", "answered_at"),
             ("follow_up", "follow_up_due_at", "followed_up_at"))
    out = []
    for step, due_key, done_key in pairs:
        status = _clock_status(row.get(due_key), row.get(done_key), now)
        out.append({"step": step, "step_label": STEP_LABELS[step], "due_at": row.get(due_key),
                    "done_at": row.get(done_key), "status": status, "status_label": CLOCK_LABELS[status],
                    "due_shown": format_shanghai(row.get(due_key)), "done_shown": format_shanghai(row.get(done_key))})
    return out


def describe(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A complaint row with the words people read and its clocks (times shown in Beijing time)."""
    from herald.cadence.labels import platform_label

    return {**row, "state_label": STATE_LABELS[row["state"]], "channel_label": CHANNEL_LABELS.get(row["channel"], ""),
            "platform_label": platform_label(row.get("platform")), "received_shown": format_shanghai(row["received_at"]),
            "outcome_label": OUTCOME_LABELS.get(row.get("outcome") or "", ""), "clocks": _clocks(row, now)}


def complaint_detail(tx: Transaction, complaint_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    """One complaint, described, with its history (oldest first)."""
    from herald.timeutil import now_utc

    row = _load(tx, complaint_id)
    history = [{**e, "detail": json.loads(e["detail"]), "occurred_shown": format_shanghai(e["occurred_at"]),
                "to_label": STATE_LABELS[e["to_state"]]} for e in tx.fetch("complaints/events", complaint_id=complaint_id)]
    return {**describe(row, now or now_utc()), "history": history}


def list_complaints(tx: Transaction, *, person_id: str | None, now: datetime, states: tuple[str, ...] = STATES[:-1],
                    account_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Complaints of ``states``; for ``person_id`` only those of the host units they may act for (None: all)."""
    units = None
    if person_id is not None:
        from herald.findings import answerable_units

        units = json.dumps(sorted(u for u in answerable_units(tx, person_id, day=local_day(now)) if u))
    rows = tx.fetch("complaints/list", states=json.dumps(list(states)), account_id=account_id, unit_ids=units,
                    max_rows=limit)
    return [describe(row, now) for row in rows]


# --- overdue steps as findings ---------------------------------------------------------------------------------------


def overdue_findings(tx: Transaction, now: datetime, policy_for: Callable[[str], Any] | None = None) -> list[Finding]:
    """One SEC-4 finding per complaint step not done by its due time (undone at ``now``, or done late)."""
    from herald.cadence.labels import platform_label
    from herald.policy.citation import citation

    now = require_aware(now, "now")
    policy_for = policy_for or _default_policy_for()
    findings = []
    for row in tx.fetch("complaints/late_steps", now=now):
        policy = policy_for(row["policy_id"])
        for clock in _clocks(row, now):
            if clock["status"] not in ("late", "overdue"):
                continue
            step, due, done = clock["step"], clock["due_at"], clock["done_at"]
            label = STEP_LABELS[step]
            what = f"实际于{format_shanghai(done)}{label}" if done else f"截至{format_shanghai(now)}仍未{label}"
            limit = _clock_label(getattr(policy.complaints, f"{step}_within")) if policy.complaints else ""
            findings.append(Finding(
                rule_id=RULE_ID, subject_type="complaint", subject_id=f"{row['complaint_id']}/{step}",
                period=local_day(due - timedelta(microseconds=1)).isoformat(), severity="medium",  # the last day allowed
                summary=(f"账号「{row['account_name']}」（{platform_label(row['platform'])}）收到的投诉{row['complaint_id']}"
                         f"未按时{label}：应在{limit}内、于{format_shanghai(due)}前{label}，{what}"
                         f"（{citation(policy, f'complaints.{step}_within')}，规则{RULE_ID}）。"),
                evidence={"complaint_id": row["complaint_id"], "account_id": row["account_id"],
                          "host_unit_id": row["host_unit_id"], "step": step, "due_at": due.isoformat(),
                          "done_at": done.isoformat() if done else None, "assignee_id": row["assignee_id"],
                          "policy_id": row["policy_id"]}))
    return findings


def check_overdue(db: Database, run: TaskRun, *, now: datetime,
                  policy_for: Callable[[str], Any] | None = None) -> LedgerEntry:
    """The scheduled SEC-4 check: overdue steps written as findings (kept until a person resolves them), with its
    ledger entry, in one transaction."""
    from herald.jobs import run_recorded

    def body(tx: Transaction, entry: LedgerEntry) -> None:
        findings = overdue_findings(tx, now, policy_for)
        reported = record_event_findings(tx, findings, detected_by=f"{run.dag_id}.{run.task_id}", now=now)
        entry.inputs.update({"tables": ["complaints"], "as_of": now.isoformat()})
        entry.row_counts.update({"late_steps": len(findings), "findings_reported": reported})
        entry.outputs["findings"] = sorted(f.finding_id for f in findings)

    return run_recorded(db, run, body)


# --- the audit pack ------------------------------------------------------------------------------------------------


def audit_complaints(tx: Transaction, account_id: str | None, year: int, *, now: datetime) -> list[dict[str, Any]]:
    """Complaints received in the calendar ``year`` (Beijing time) through ``account_id`` (None: every account), one
    row each with every step's due time, completion and clock status (``sql/complaints/audit.sql``)."""
    from_at, to_at = shanghai_midnight_utc(date(year, 1, 1)), shanghai_midnight_utc(date(year + 1, 1, 1))
    rows = tx.fetch("complaints/audit", account_id=account_id, from_at=from_at, to_at=to_at)
    out = []
    for row in rows:
        clocks = {c["step"]: c["status"] for c in _clocks(row, now)}
        out.append({**row, **{f"{step}_status": clocks[step] for step in STEPS}})
    return out
