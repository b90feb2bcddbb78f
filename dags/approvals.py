"""Approval routing (PUB-1, PUB-2): approvers are asked in Airflow, and whichever door decides, the record is one.

``herald_approval_router`` runs every two minutes:

1. ``expire_due_posts``: posts not fully approved by their publish time expire, with a state, an
   event and a finding (never published late in silence).
2. ``close_answered_elsewhere``: an open Airflow approval request whose step was decided through
   the CLI or the HTTP API (or made moot by an edit or expiry) is closed: its task is marked
   skipped with a note saying why, through Airflow's REST API (connection ``herald_airflow_api``).
3. ``steps_to_route`` / ``route_step``: every post's next step that has no request yet starts a
   run of ``herald_post_approval``. The run id names post, content version and step, so a step is
   asked once: a second trigger finds the run and is skipped. The next step of a chain is routed by
   the next pass after the previous one is decided (at most two minutes later).

``herald_post_approval`` is one step: a human-in-the-loop task assigned to the holders of the
step's role, answered in Airflow's UI (or its REST API), timing out after the policy's
``approval_response_timeout_hours`` and never after the publish time.
"""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import Param, dag, get_current_context, task

from herald_airflow.approval_operator import APPROVAL_DAG_ID, APPROVAL_TASK_ID, HeraldApprovalStepOperator

DEFAULT_ARGS = {
    "owner": "herald-governance",
    "retries": 2,
    "retry_delay": pendulum.duration(minutes=1),
    "retry_exponential_backoff": 2.0,
}
START = pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai")


@dag(
    dag_id="herald_approval_router",
    schedule="*/2 * * * *",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=pendulum.duration(minutes=10),
    # Paused, it would silently stop asking approvers and expiring posts: it runs once deployed.
    is_paused_upon_creation=False,
    default_args=DEFAULT_ARGS,
    tags={"herald", "approval", "PUB-1", "PUB-2"},
    doc_md=__doc__,
)
def herald_approval_router():
    @task(pool="herald_db")
    def expire_due_posts() -> list[str]:
        """Expire what was not approved by its publish time: state, event and finding in one transaction."""
        from herald.posts.lifecycle import expire_due
        from herald.timeutil import now_utc
        from herald_airflow.hooks import HeraldDatabaseHook

        ti = get_current_context()["ti"]
        expired = expire_due(HeraldDatabaseHook().get_database(), now=now_utc(), detected_by=f"{ti.dag_id}.{ti.task_id}")
        print(f"到发布时间仍未审批完成而过期 {len(expired)} 条")
        return expired

    @task(pool="herald_db")
    def close_answered_elsewhere() -> list[str]:
        """Close open approval requests whose step is no longer pending (decided through another door)."""
        import logging

        from herald.posts.approval_requests import close_requests_decided_elsewhere
        from herald_airflow.airflow_api import AirflowApi
        from herald_airflow.hooks import HeraldDatabaseHook

        closed = close_requests_decided_elsewhere(HeraldDatabaseHook().get_database(), AirflowApi.from_connection(),
                                                  log=logging.getLogger("herald.approval_router"))
        print(f"关闭已在命令行或 HTTP 接口审批的界面请求 {len(closed)} 个")
        return closed

    @task(pool="herald_db")
    def steps_to_route() -> list[dict]:
        """Each post's next step that has no approval run yet, as TriggerDagRunOperator arguments."""
        from herald.posts.approval_requests import pending_steps
        from herald.timeutil import now_utc
        from herald_airflow.hooks import HeraldDatabaseHook

        ti = get_current_context()["ti"]
        steps = pending_steps(HeraldDatabaseHook().get_database(), now_utc())
        # Asked through the execution API, so routing needs no REST credentials.
        new = [s for s in steps if ti.get_dr_count(dag_id=APPROVAL_DAG_ID, run_ids=[s.run_id]) == 0]
        print(f"待审批的步骤 {len(steps)} 个，其中新发起审批请求 {len(new)} 个")
        return [s.trigger_kwargs() for s in new]

    expired = expire_due_posts()
    routes = steps_to_route()
    expired >> [close_answered_elsewhere(), routes]
    TriggerDagRunOperator.partial(
        task_id="route_step",
        trigger_dag_id=APPROVAL_DAG_ID,
        logical_date=None,  # many steps may be routed in the same instant
        skip_when_already_exists=True,  # a run for this step exists: it was routed already
        wait_for_completion=False,
        openlineage_inject_parent_info=False,
    ).expand_kwargs(routes)


@dag(
    dag_id=APPROVAL_DAG_ID,
    schedule=None,
    start_date=START,
    catchup=False,
    # Every open request is a running DAG run (parked, holding no worker slot); Airflow's default
    # cap of 16 would leave the 17th approver unasked.
    max_active_runs=1000,
    # Its runs are started only by the router; paused, every step would queue unseen.
    is_paused_upon_creation=False,
    default_args=DEFAULT_ARGS,
    params={
        "post_id": Param(type="string", title="信息编号"),
        "content_hash": Param(type="string", minLength=64, maxLength=64, title="所审内容的哈希"),
        "step_no": Param(type="integer", minimum=1, title="审批步骤"),
    },
    tags={"herald", "approval", "hitl", "PUB-2"},
    doc_md=__doc__,
)
def herald_post_approval():
    HeraldApprovalStepOperator(task_id=APPROVAL_TASK_ID, pool="herald_db")


herald_approval_router()
herald_post_approval()
