"""Findings: one row per (rule, subject, period), so re-running or backfilling updates and never duplicates.

A scan reports what it sees in a scope (rules and a period range). Findings it sees are
opened or refreshed; findings of that scope it no longer sees are resolved. An
acknowledged finding stays acknowledged while it is still seen; a resolved one that is
seen again is reopened; one seen again unchanged is not rewritten.

Every writer goes through the ``findings_stage`` temporary table and one set-based upsert:
findings made in Python are bulk-loaded into it (``record_findings``), scans that compose their
findings in SQL insert into it directly (``open_stage``, their INSERT ... SELECT, ``apply_stage``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from herald.db import Transaction
from herald.errors import ValidationError, Violation
from herald.timeutil import require_aware

SEVERITIES = ("info", "low", "medium", "high", "critical")
STANDING = "standing"  # the period of a finding about a standing state, not a time window


@dataclass(frozen=True)
class Finding:
    rule_id: str
    subject_type: str
    subject_id: str
    period: str
    severity: str
    summary: str  # Chinese, for the people responsible
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"finding.severity: {self.severity!r} is not one of {SEVERITIES}")
        for name in ("rule_id", "subject_type", "subject_id", "period", "summary"):
            if not getattr(self, name):
                raise ValueError(f"finding.{name}: must not be empty")

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.rule_id, self.subject_type, self.subject_id, self.period)

    @property
    def finding_id(self) -> str:
        return finding_id(*self.key)


def finding_id(rule_id: str, subject_type: str, subject_id: str, period: str) -> str:
    digest = hashlib.sha256("\x1f".join((rule_id, subject_type, subject_id, period)).encode()).hexdigest()
    return f"F-{digest[:24]}"


@dataclass(frozen=True)
class Scope:
    """What a scan looked at: findings of these rules in [period_from, period_to] it does not report are resolved."""

    rule_ids: tuple[str, ...]
    period_from: str
    period_to: str


STAGE_COLUMNS = ("finding_id", "rule_id", "subject_type", "subject_id", "period", "severity", "summary", "evidence",
                 "detected_by")


def open_stage(tx: Transaction) -> None:
    """An empty ``findings_stage`` for this transaction: scans fill it (COPY or INSERT ... SELECT), then apply it."""
    tx.execute("findings/stage_create")
    tx.execute("findings/stage_clear")


def apply_stage(tx: Transaction, *, scope: Scope | None, now: datetime,
                detected_by: str = "herald") -> dict[str, int]:
    """Upsert the staged findings in one set-based statement and, given a scope, resolve its findings not staged.
    Each change of state (a resolved finding reopened, a finding resolved) is kept in ``finding_history`` in
    the name of ``detected_by``, the scan.

    Return counts by outcome: ``reported``, ``resolved`` and ``rule:<id>`` per rule.
    """
    now = require_aware(now, "now")
    by_rule = {row["rule_id"]: row["findings"] for row in tx.fetch("findings/stage_counts")}
    if scope is not None:
        outside = sorted(set(by_rule) - set(scope.rule_ids))
        if outside:
            raise ValueError(f"finding.rule_id: {', '.join(outside)} outside the scan scope {scope.rule_ids}")
    tx.execute("findings/history_reopen", batch=history_batch(), now=now)
    tx.execute("findings/upsert", now=now)
    resolved = 0
    for rule_id in scope.rule_ids if scope is not None else ():
        window = {"rule_id": rule_id, "period_from": scope.period_from, "period_to": scope.period_to, "now": now}
        tx.execute("findings/history_resolve_unseen", batch=history_batch(), actor=detected_by, **window)
        resolved += tx.execute("findings/resolve_unseen", **window)
    return {"reported": sum(by_rule.values()), "resolved": resolved, **{f"rule:{r}": n for r, n in by_rule.items()}}


def _stage(tx: Transaction, findings: Iterable[Finding], *, detected_by: str) -> None:
    """Findings made in Python, staged in bulk (COPY on PostgreSQL)."""
    unique = {f.key: f for f in findings}.values()  # the same violation reported twice is one finding
    open_stage(tx)
    tx.copy_rows("findings/stage_copy", "findings/stage_insert", (
        (f.finding_id, f.rule_id, f.subject_type, f.subject_id, f.period, f.severity, f.summary,
         json.dumps(f.evidence, ensure_ascii=False, sort_keys=True, default=str), detected_by)
        for f in unique
    ), STAGE_COLUMNS)


def record_findings(
    tx: Transaction, findings: Iterable[Finding], *, scope: Scope, detected_by: str, now: datetime
) -> dict[str, int]:
    """Upsert the findings and resolve those of the scope no longer seen; return counts by outcome."""
    _stage(tx, findings, detected_by=detected_by)
    return apply_stage(tx, scope=scope, now=now, detected_by=detected_by)


def record_event_findings(tx: Transaction, findings: Iterable[Finding], *, detected_by: str, now: datetime) -> int:
    """Record findings about one-off events (an expired post, a missed deadline). Nothing is resolved by
    absence: an event that happened stays a finding until a person acknowledges or resolves it."""
    _stage(tx, findings, detected_by=detected_by)
    return apply_stage(tx, scope=None, now=now, detected_by=detected_by)["reported"]


def set_finding_state(tx: Transaction, finding_id_: str, state: str, *, now: datetime) -> None:
    """Move a finding by hand: acknowledged (someone is on it) or resolved (fixed)."""
    if state not in ("open", "acknowledged", "resolved"):
        raise ValueError(f"state: {state!r} is not one of open, acknowledged, resolved")
    changed = tx.execute("findings/set_state", finding_id=finding_id_, state=state, now=require_aware(now, "now"))
    if changed != 1:
        raise LookupError(f"finding_id: no finding {finding_id_!r}")


def open_findings(tx: Transaction) -> list[dict[str, Any]]:
    return tx.fetch("findings/open")


# --- The workflow: people acknowledge and resolve findings; every change is kept with who, when, why and how ---
#
# Who may act on a finding (rule ORG-2: the host unit's head is the first person responsible, the competent
# department supervises): the people of the finding's host unit (the unit of the account it is about) and of the
# competent department covering that unit, and whoever holds the routing roles for them (host_unit_head,
# competent_department_head: the digests' recipients), so whoever a digest tells about a finding can answer it.
# A finding about no account (an archive day) belongs to the organisation's root unit. Acknowledging says
# "someone is on it" (digests leave it out, scans keep it acknowledged while they still see it); resolving says
# "fixed" (a scan that still sees it reopens it, as for any resolved finding).

STATE_LABELS = {"open": "待处理", "acknowledged": "已确认", "resolved": "已解决"}
OPEN_STATES = ("open", "acknowledged")
VIAS = ("api", "cli", "page", "admin_override")
PERMISSION_RULE = "ORG-2"
MAX_REASON_CHARS = 500
_MOVES = {"acknowledged": ("open",), "resolved": ("open", "acknowledged")}


class FindingNotFound(ValidationError):
    """No finding with that id (HTTP 404)."""


class FindingStateConflict(ValidationError):
    """The finding is not in a state the change applies to (HTTP 409)."""


def history_batch() -> str:
    """A prefix that makes the history ids one set-based statement writes unique."""
    return f"H{uuid.uuid4().hex[:16]}-"


def _root_unit(units: dict[str, Any]) -> str | None:
    return next((u for u, row in sorted(units.items()) if not row.get("parent_id")), None)


def answerable_units(tx: Transaction, person_id: str, *, day) -> set[str]:
    """The host units whose findings ``person_id`` may acknowledge and resolve (empty for an unknown or
    inactive person). ``""`` in the set stands for findings about no account (the root unit's)."""
    from herald.cadence.digest import Router

    person = tx.fetch_one("findings/person", person_id=person_id)
    if person is None or not person["is_active"]:
        return set()
    router = Router(tx.fetch("cadence/org_units"), tx.fetch("cadence/route_holders", day=day))
    mine = set()
    for unit_id in router.units:
        _, heads = router.host_unit(unit_id)
        competent = router.competent_department(unit_id)
        answerable = {unit_id} | ({competent[0]} if competent else set())
        holders = {h["person_id"] for h in heads} | ({h["person_id"] for h in competent[1]} if competent else set())
        if person["unit_id"] in answerable or person_id in holders:
            mine.add(unit_id)
    if _root_unit(router.units) in mine:
        mine.add("")
    return mine


def find_findings(tx: Transaction, *, states: Iterable[str] = OPEN_STATES, unit_ids: set[str] | None = None,
                  rule_id: str | None = None, finding_id_: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Findings described for people (``describe``), optionally only those of ``unit_ids`` (``answerable_units``)."""
    units = None if unit_ids is None else json.dumps(sorted(u for u in unit_ids if u))
    rows = tx.fetch("findings/described", finding_id=finding_id_, states=json.dumps(list(states)), unit_ids=units,
                    unowned=bool(unit_ids and "" in unit_ids), rule_id=rule_id, max_rows=limit)
    return [describe(row) for row in rows]


def describe(row: dict[str, Any]) -> dict[str, Any]:
    """A finding row of ``findings/described`` with the words people read in place of codes and ids."""
    from herald.cadence.labels import period_label, severity_label, subject_label

    return {**row, "subject_label": subject_label(row), "severity_label": severity_label(row["severity"]),
            "period_label": period_label(row["period"]), "state_label": STATE_LABELS.get(row["state"], row["state"])}


def finding_detail(tx: Transaction, finding_id_: str) -> dict[str, Any]:
    """One finding, described, with its history (oldest change first)."""
    rows = find_findings(tx, states=("open", "acknowledged", "resolved"), finding_id_=finding_id_, limit=1)
    if not rows:
        raise FindingNotFound([Violation("finding_id", "格式", f"没有编号为“{finding_id_[:64]}”的问题")])
    history = [{**h, "from_label": STATE_LABELS[h["from_state"]], "to_label": STATE_LABELS[h["to_state"]]}
               for h in tx.fetch("findings/history", finding_id=finding_id_)]
    return {**rows[0], "history": history}


def acknowledge(tx: Transaction, finding_id_: str, *, person_id: str, reason: str, via: str, now: datetime,
                os_user: str | None = None) -> dict[str, Any]:
    """``person_id`` says someone is on the finding; return it with its history."""
    return _move(tx, finding_id_, "acknowledged", person_id=person_id, reason=reason, via=via, now=now, os_user=os_user)


def resolve(tx: Transaction, finding_id_: str, *, person_id: str, reason: str, via: str, now: datetime,
            os_user: str | None = None) -> dict[str, Any]:
    """``person_id`` says the finding is fixed; return it with its history."""
    return _move(tx, finding_id_, "resolved", person_id=person_id, reason=reason, via=via, now=now, os_user=os_user)


def _move(tx: Transaction, finding_id_: str, to_state: str, *, person_id: str, reason: str, via: str, now: datetime,
          os_user: str | None) -> dict[str, Any]:
    from herald.timeutil import local_day

    now = require_aware(now, "now")
    if via not in VIAS:
        raise ValueError(f"via: {via!r} is not one of {VIAS}")
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON_CHARS:
        raise ValidationError([Violation("reason", PERMISSION_RULE, f"请写明理由（1–{MAX_REASON_CHARS} 个字）")])
    finding = finding_detail(tx, finding_id_)
    if (finding["host_unit_id"] or "") not in answerable_units(tx, person_id, day=local_day(now)):
        raise ValidationError([Violation("finding_id", PERMISSION_RULE,
                                         f"{person_id}不属于该问题账号的主办单位或主管部门，无权处理此问题")])
    if finding["state"] not in _MOVES[to_state]:
        raise FindingStateConflict([Violation(
            "state", PERMISSION_RULE,
            f"该问题当前为“{STATE_LABELS[finding['state']]}”，不能再标记为“{STATE_LABELS[to_state]}”")])
    if tx.execute("findings/transition", finding_id=finding_id_, from_state=finding["state"], to_state=to_state,
                  now=now) != 1:
        raise FindingStateConflict([Violation("state", PERMISSION_RULE, "该问题刚被他人处理，请刷新后再试")])
    tx.execute("findings/history_record", history_id=f"H{uuid.uuid4().hex}", finding_id=finding_id_,
               from_state=finding["state"], to_state=to_state, actor=person_id, via=via, reason=reason,
               os_user=os_user, now=now)
    return finding_detail(tx, finding_id_)
