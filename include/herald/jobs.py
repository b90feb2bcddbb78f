"""Jobs: each pipeline task is one transaction that does its work and writes its ledger entry.

Either everything the task wrote and its ledger row commit together, or nothing does and
a ``failed`` ledger row records the attempt. Airflow tasks and the CLI both call these.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from herald import ledger
from herald.db import Database, Transaction
from herald.findings import record_findings
from herald.ledger import LedgerEntry, TaskRun
from herald.timeutil import now_utc

JobBody = Callable[[Transaction, LedgerEntry], Any]


def run_recorded(db: Database, run: TaskRun, body: JobBody, *, clock: Callable[[], datetime] = now_utc) -> LedgerEntry:
    started = clock()
    entry = LedgerEntry()
    try:
        with db.transaction() as tx:
            body(tx, entry)
            ledger.record(tx, run, entry, status="success", started_at=started, finished_at=clock())
    except Exception as exc:
        entry.outputs["error"] = f"{type(exc).__name__}: {exc}"[:2000]
        with db.transaction() as tx:
            ledger.record(tx, run, entry, status="failed", started_at=started, finished_at=clock())
        raise
    return entry


def registry_check(db: Database, run: TaskRun, *, now: datetime | None = None) -> LedgerEntry:
    """ACC-1 and ACC-3 over every active account, written as findings."""
    from herald.policy import load_policy
    from herald.registry import SCOPE, check_registry

    now = now or now_utc()

    def body(tx: Transaction, entry: LedgerEntry) -> None:
        findings, read = check_registry(tx, load_policy)
        counts = record_findings(tx, findings, scope=SCOPE, detected_by=f"{run.dag_id}.{run.task_id}", now=now)
        entry.inputs.update({"tables": ["accounts", "account_admins", "account_events"], "as_of": now.isoformat()})
        entry.row_counts.update(read)
        entry.row_counts["findings_reported"] = counts["reported"]
        entry.row_counts["findings_resolved"] = counts["resolved"]
        entry.outputs.update({"findings": sorted(f.finding_id for f in findings)})

    return run_recorded(db, run, body)
