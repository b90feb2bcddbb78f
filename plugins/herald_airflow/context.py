"""Turn an Airflow task context into Herald's ``TaskRun`` (the ledger's key)."""

from __future__ import annotations

from typing import Any

from herald.ledger import TaskRun


def task_run(context: dict[str, Any]) -> TaskRun:
    ti = context["ti"]
    return TaskRun(
        dag_id=ti.dag_id,
        run_id=ti.run_id,
        task_id=ti.task_id,
        try_number=int(getattr(ti, "try_number", 1) or 1),
        data_interval_start=context.get("data_interval_start"),
        data_interval_end=context.get("data_interval_end"),
    )
