"""Delegated access and handovers, every five minutes (PUB-6, ACC-5, SEC-1).

- ``expire_delegations``: every granted activity delegation (002 art.12) whose window has ended becomes ``expired``;
  its delegates' role on the account ends that day and its posts not yet published are cancelled. One conditional
  update per delegation, so a rerun or a late run changes nothing twice.
- ``rotate_credentials``: after a filed handover, the account's platform credential is rotated (WeChat: a new token
  through the account's token holder; Weibo: the old token revoked). A failure is retried on the next run and
  becomes an ACC-5 finding after an hour. No credential is logged.
- ``operator_gaps``: an active account whose operator's assignment ended (or who left) with no filed handover is an
  ACC-5 finding (keyed by account and the day the post fell empty).

Each task writes its records and its ledger row together; a failed run only means the next one does the work.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, get_current_context, task

DEFAULT_ARGS = {
    "owner": "herald-governance",
    "retries": 2,
    "retry_delay": pendulum.duration(minutes=1),
    "retry_exponential_backoff": 2.0,
}


@dag(
    dag_id="herald_delegations",
    dag_display_name="活动授权与账号交接巡检",
    schedule="*/5 * * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags={"herald", "accounts", "PUB-6", "ACC-5", "SEC-1"},
    doc_md=__doc__,
)
def herald_delegations():
    @task(pool="herald_db", task_display_name="收回到期的活动授权")
    def expire_delegations() -> dict:
        """Expire ended grants (PUB-6) with the ledger, in one transaction."""
        from herald.accounts.delegations import expire_job
        from herald.timeutil import now_utc
        from herald_airflow.context import task_run
        from herald_airflow.hooks import HeraldDatabaseHook

        entry = expire_job(HeraldDatabaseHook().get_database(), task_run(get_current_context()), now=now_utc())
        return entry.row_counts

    @task(pool="herald_db", task_display_name="交接后轮换平台凭据")
    def rotate_credentials() -> dict:
        """Rotate the credentials that handovers left pending (SEC-1), with clients from the accounts' connections."""
        from herald.accounts.changes import rotation_job
        from herald.timeutil import now_utc
        from herald_airflow.context import task_run
        from herald_airflow.dispatch_clients import ConnectionClients, client_or_none
        from herald_airflow.hooks import HeraldDatabaseHook

        db = HeraldDatabaseHook().get_database()
        entry = rotation_job(db, task_run(get_current_context()), client_or_none(ConnectionClients(db)), now=now_utc())
        return entry.row_counts

    @task(pool="herald_db", task_display_name="检查无人接任的运营岗位")
    def operator_gaps() -> dict:
        """ACC-5 findings for operator posts left empty without a filed handover."""
        from herald.accounts.changes import operator_gap_job
        from herald.timeutil import now_utc
        from herald_airflow.context import task_run
        from herald_airflow.hooks import HeraldDatabaseHook

        entry = operator_gap_job(HeraldDatabaseHook().get_database(), task_run(get_current_context()), now=now_utc())
        return entry.row_counts

    expire_delegations()
    rotate_credentials()
    operator_gaps()


herald_delegations()
