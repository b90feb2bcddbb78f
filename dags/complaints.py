"""Complaint clocks (SEC-4; 002 art.4): daily, every complaint step past its due time becomes a finding.

Complaints are registered, assigned (受理), answered (答复) and followed up (回访) through the HTTP door
(``/herald/complaints``) and ``python -m herald complaint ...``, by people in their own names; the comment watch
registers the comments it classifies as complaints. Each step's due time comes from the account's policy pack
(section ``complaints``) when its clock starts. ``check_overdue`` writes one SEC-4 finding per complaint and step not
done in time (still open, or done late), keyed by complaint and step, so reruns never duplicate; a late step stays a
finding until a person resolves it. ``notify`` sends the open ones of the last year to the account's host unit and
its competent department and writes them to the digest outbox. Params: ``deliver`` false only writes the digests.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

DEFAULT_ARGS = {
    "owner": "herald-governance",
    "retries": 2,
    "retry_delay": pendulum.duration(minutes=5),
    "retry_exponential_backoff": 2.0,
}


@dag(
    dag_id="herald_complaints",
    dag_display_name="投诉处理时限检查",
    schedule="0 8 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags={"herald", "complaints", "SEC-4"},
    doc_md=__doc__,
    params={"deliver": Param(True, type="boolean", description="Send the digests; false only writes them to the outbox.")},
)
def herald_complaints():
    @task(pool="herald_db", task_display_name="检查超时的投诉环节")
    def check_overdue() -> dict:
        """Overdue complaint steps as SEC-4 findings, with the ledger, in one transaction."""
        from herald.complaints import check_overdue as check
        from herald.timeutil import now_utc
        from herald_airflow.context import task_run
        from herald_airflow.hooks import HeraldDatabaseHook

        context = get_current_context()
        entry = check(HeraldDatabaseHook().get_database(), task_run(context), now=now_utc())
        print(f"投诉处理时限（SEC-4）：超时环节 {entry.row_counts['late_steps']} 个")
        return entry.row_counts

    @task(pool="herald_db", task_display_name="通知主办单位和主管部门")
    def notify() -> dict:
        """Digests of the open SEC-4 findings of the last year per host unit and competent department."""
        from datetime import timedelta

        from herald.cadence import notify as senders
        from herald.cadence.digest import build_digests
        from herald.policy import default_policy_id, load_policy
        from herald.timeutil import local_day, now_utc
        from herald_airflow.hooks import HeraldDatabaseHook
        from herald_airflow.outbox import write_digests

        context, now = get_current_context(), now_utc()
        period = ((local_day(now) - timedelta(days=366)).isoformat(), local_day(now).isoformat())
        with HeraldDatabaseHook().get_database().transaction() as tx:
            made = build_digests(tx, periods={"SEC-4": period}, reminders=(), as_of=now)
        written = write_digests(made, context["run_id"])
        if context["params"]["deliver"] and made:
            senders.deliver(made, dict(load_policy(default_policy_id()).notifications.channels))
        return {"digests": len(made), "written": len(written)}

    check_overdue() >> notify()


herald_complaints()
