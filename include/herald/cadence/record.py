"""Writing many findings at once: ``herald.findings.record_findings`` with a bulk path on PostgreSQL.

A yearly scan can report tens of thousands of lapses; upserting them one statement at a time
costs seconds of round trips. On PostgreSQL the findings are COPYed into a temporary table and
upserted by one statement with the same rules as ``sql/findings/upsert.sql``; then the scope's
unseen findings are resolved with the shared statement. SQLite (the embedded demo) takes the
shared path unchanged.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from herald.db import Transaction
from herald.findings import Finding, Scope, record_findings
from herald.timeutil import require_aware

STAGE_COLUMNS = ("finding_id", "rule_id", "subject_type", "subject_id", "period", "severity", "summary", "evidence",
                 "detected_by")


def record_findings_bulk(tx: Transaction, findings: Iterable[Finding], *, scope: Scope, detected_by: str,
                         now: datetime) -> dict[str, int]:
    """Same effect and return value as ``record_findings``; one COPY and one upsert on PostgreSQL."""
    if tx.dialect != "postgresql":
        return record_findings(tx, findings, scope=scope, detected_by=detected_by, now=now)
    now = require_aware(now, "now")
    unique: dict[tuple[str, str, str, str], Finding] = {}
    for finding in findings:
        if finding.rule_id not in scope.rule_ids:
            raise ValueError(f"finding.rule_id: {finding.rule_id} is outside the scan scope {scope.rule_ids}")
        unique.setdefault(finding.key, finding)  # the same violation reported twice in one scan is one finding
    tx.execute("cadence/findings_stage_create")
    tx.execute("cadence/findings_stage_clear")
    tx.copy_rows("cadence/findings_stage_copy", "cadence/findings_stage_copy", (
        (f.finding_id, f.rule_id, f.subject_type, f.subject_id, f.period, f.severity, f.summary,
         json.dumps(f.evidence, ensure_ascii=False, sort_keys=True, default=str), detected_by)
        for f in unique.values()
    ), STAGE_COLUMNS)
    tx.execute("cadence/findings_stage_upsert", now=now)
    resolved = 0
    for rule_id in scope.rule_ids:
        resolved += tx.execute("findings/resolve_unseen", rule_id=rule_id, period_from=scope.period_from,
                               period_to=scope.period_to, now=now)
    return {"reported": len(unique), "resolved": resolved, **Counter(f"rule:{f.rule_id}" for f in unique.values())}
