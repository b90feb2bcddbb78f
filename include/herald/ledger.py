"""The pipeline ledger: what each task read and wrote, kept in Herald's database for auditors.

Written in the same transaction as the task's own writes, so the ledger never claims
work that was rolled back. Keyed by (dag, run, task, try): a retried try adds a row,
re-recording the same try replaces it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from herald.db import Transaction
from herald.timeutil import require_aware


@dataclass(frozen=True)
class TaskRun:
    """Who is writing: the Airflow coordinates of a task try (or of a CLI run)."""

    dag_id: str
    run_id: str
    task_id: str
    try_number: int = 1
    data_interval_start: datetime | None = None
    data_interval_end: datetime | None = None

    @classmethod
    def manual(cls, task_id: str, now: datetime) -> TaskRun:
        return cls(dag_id="herald_cli", run_id=f"manual__{require_aware(now, 'now').isoformat()}", task_id=task_id)


@dataclass
class LedgerEntry:
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)


def _ledger_id(run: TaskRun) -> str:
    key = "\x1f".join((run.dag_id, run.run_id, run.task_id, str(run.try_number)))
    return "L-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(tx: Transaction, run: TaskRun, entry: LedgerEntry, *, status: str, started_at: datetime,
           finished_at: datetime) -> str:
    ledger_id = _ledger_id(run)
    tx.execute(
        "ledger/upsert",
        ledger_id=ledger_id,
        dag_id=run.dag_id,
        run_id=run.run_id,
        task_id=run.task_id,
        try_number=run.try_number,
        data_interval_start_at=run.data_interval_start and require_aware(run.data_interval_start, "data_interval_start"),
        data_interval_end_at=run.data_interval_end and require_aware(run.data_interval_end, "data_interval_end"),
        inputs=_json(entry.inputs),
        outputs=_json(entry.outputs),
        row_counts=_json(entry.row_counts),
        status=status,
        started_at=require_aware(started_at, "started_at"),
        finished_at=require_aware(finished_at, "finished_at"),
    )
    return ledger_id
