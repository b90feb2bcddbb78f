"""A dag run's note, set by its last task: what the run did in words (``herald.run_notes``).

The Task SDK of Airflow 3 gives a task no way to change its dag run (``context["dag_run"]`` is a read-only
view; the supervisor's only note is that of a run a task triggers), so the note goes through Airflow's REST API
(``PATCH /api/v2/dags/{dag_id}/dagRuns/{run_id}``) as the ``herald_airflow_api`` connection's user, as the
approval router does. Without that connection (``airflow dags test`` in ``make demo``), or with the API down, the
task logs that it skipped the note and goes on: a note is for people, never a reason to fail a run.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

log = logging.getLogger("herald.run_notes")
MAX_NOTE_CHARS = 1000  # Airflow keeps notes up to 1000 characters


def set_run_note(context: Any, text: str) -> bool:
    """Log ``text`` and make it the note of this task's dag run; return whether the note was set."""
    from herald_airflow.airflow_api import AIRFLOW_API_CONN_ID, AirflowApi

    log.info("%s", text)
    dag_id, run_id = context["dag"].dag_id, context["run_id"]
    try:
        api = AirflowApi.from_connection()
    except Exception as missing:  # AirflowNotFoundException and an incomplete connection alike
        log.info("run note skipped: connection %s not usable (%s)", AIRFLOW_API_CONN_ID, type(missing).__name__)
        return False
    try:
        api.request("PATCH", f"/dags/{quote(dag_id, safe='')}/dagRuns/{quote(run_id, safe='')}",
                    params={"update_mask": "note"}, json={"note": text[:MAX_NOTE_CHARS]})
    except Exception as failed:  # the note is for people; the run's work is done and recorded
        log.warning("run note not set: %s", failed)
        return False
    return True
