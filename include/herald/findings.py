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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from herald.db import Transaction
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


def apply_stage(tx: Transaction, *, scope: Scope | None, now: datetime) -> dict[str, int]:
    """Upsert the staged findings in one set-based statement and, given a scope, resolve its findings not staged.

    Return counts by outcome: ``reported``, ``resolved`` and ``rule:<id>`` per rule.
    """
    now = require_aware(now, "now")
    by_rule = {row["rule_id"]: row["findings"] for row in tx.fetch("findings/stage_counts")}
    if scope is not None:
        outside = sorted(set(by_rule) - set(scope.rule_ids))
        if outside:
            raise ValueError(f"finding.rule_id: {', '.join(outside)} outside the scan scope {scope.rule_ids}")
    tx.execute("findings/upsert", now=now)
    resolved = 0
    for rule_id in scope.rule_ids if scope is not None else ():
        resolved += tx.execute(
            "findings/resolve_unseen", rule_id=rule_id, period_from=scope.period_from,
            period_to=scope.period_to, now=now,
        )
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
    return apply_stage(tx, scope=scope, now=now)


def record_event_findings(tx: Transaction, findings: Iterable[Finding], *, detected_by: str, now: datetime) -> int:
    """Record findings about one-off events (an expired post, a missed deadline). Nothing is resolved by
    absence: an event that happened stays a finding until a person acknowledges or resolves it."""
    _stage(tx, findings, detected_by=detected_by)
    return apply_stage(tx, scope=None, now=now)["reported"]


def set_finding_state(tx: Transaction, finding_id_: str, state: str, *, now: datetime) -> None:
    """Move a finding by hand: acknowledged (someone is on it) or resolved (fixed)."""
    if state not in ("open", "acknowledged", "resolved"):
        raise ValueError(f"state: {state!r} is not one of open, acknowledged, resolved")
    changed = tx.execute("findings/set_state", finding_id=finding_id_, state=state, now=require_aware(now, "now"))
    if changed != 1:
        raise LookupError(f"finding_id: no finding {finding_id_!r}")


def open_findings(tx: Transaction) -> list[dict[str, Any]]:
    return tx.fetch("findings/open")
