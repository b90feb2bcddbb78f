"""Findings: one row per (rule, subject, period), so re-running or backfilling updates and never duplicates.

A scan reports what it sees in a scope (rules and a period range). Findings it sees are
opened or refreshed; findings of that scope it no longer sees are resolved. An
acknowledged finding stays acknowledged while it is still seen; a resolved one that is
seen again is reopened.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
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


def _write(tx: Transaction, findings: Iterable[Finding], *, detected_by: str, now: datetime) -> list[Finding]:
    """Upsert the findings through the staging table: bulk rows, then one set-based statement."""
    unique = list({f.key: f for f in findings}.values())  # the same violation reported twice is one finding
    tx.execute("findings/stage_create")
    tx.execute("findings/stage_clear")
    tx.copy_rows("findings/stage_copy", "findings/stage_insert", (
        (f.finding_id, f.rule_id, f.subject_type, f.subject_id, f.period, f.severity, f.summary,
         json.dumps(f.evidence, ensure_ascii=False, sort_keys=True, default=str), detected_by)
        for f in unique
    ), STAGE_COLUMNS)
    tx.execute("findings/upsert", now=now)
    return unique


def record_findings(
    tx: Transaction, findings: Iterable[Finding], *, scope: Scope, detected_by: str, now: datetime
) -> dict[str, int]:
    """Upsert the findings and resolve those of the scope no longer seen; return counts by outcome."""
    now = require_aware(now, "now")
    findings = list(findings)
    for finding in findings:
        if finding.rule_id not in scope.rule_ids:
            raise ValueError(f"finding.rule_id: {finding.rule_id} is outside the scan scope {scope.rule_ids}")
    written = _write(tx, findings, detected_by=detected_by, now=now)
    resolved = 0
    for rule_id in scope.rule_ids:
        resolved += tx.execute(
            "findings/resolve_unseen", rule_id=rule_id, period_from=scope.period_from,
            period_to=scope.period_to, now=now,
        )
    return {"reported": len(written), "resolved": resolved, **Counter(f"rule:{f.rule_id}" for f in written)}


def record_event_findings(tx: Transaction, findings: Iterable[Finding], *, detected_by: str, now: datetime) -> int:
    """Record findings about one-off events (an expired post, a missed deadline). Nothing is resolved by
    absence: an event that happened stays a finding until a person acknowledges or resolves it."""
    return len(_write(tx, findings, detected_by=detected_by, now=require_aware(now, "now")))


def set_finding_state(tx: Transaction, finding_id_: str, state: str, *, now: datetime) -> None:
    """Move a finding by hand: acknowledged (someone is on it) or resolved (fixed)."""
    if state not in ("open", "acknowledged", "resolved"):
        raise ValueError(f"state: {state!r} is not one of open, acknowledged, resolved")
    changed = tx.execute("findings/set_state", finding_id=finding_id_, state=state, now=require_aware(now, "now"))
    if changed != 1:
        raise LookupError(f"finding_id: no finding {finding_id_!r}")


def open_findings(tx: Transaction) -> list[dict[str, Any]]:
    return tx.fetch("findings/open")
