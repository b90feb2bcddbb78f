"""Daily registry check (ACC-1, ACC-3): every active account is authorised and fully registered.

Findings are written to Herald's database, keyed by rule and account, so reruns update
them instead of duplicating; the ledger records what the run read and wrote.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

DEFAULT_ARGS = {
    "owner": "herald-governance",
    "retries": 2,
    "retry_delay": pendulum.duration(minutes=5),
    "retry_exponential_backoff": 2.0,
}


@dag(
    dag_id="herald_registry_check",
    schedule="0 6 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags={"herald", "registry", "ACC-1", "ACC-3"},
    doc_md=__doc__,
)
def herald_registry_check():
    @task(pool="herald_db")
    def check_registry(**context) -> dict:
        """Check every active account against its policy pack; write findings and the ledger in one transaction."""
        from herald import run_notes
        from herald.jobs import registry_check
        from herald_airflow.context import task_run
        from herald_airflow.hooks import HeraldDatabaseHook
        from herald_airflow.run_notes import set_run_note

        entry = registry_check(HeraldDatabaseHook().get_database(), task_run(context))
        set_run_note(context, run_notes.registry(entry.row_counts))
        return entry.row_counts

    check_registry()


herald_registry_check()
