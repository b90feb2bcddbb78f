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

4. ``account_steps_to_route`` / ``route_account_step``: every pending account application's current
   creation step (ACC-2) that has no request yet starts a run of ``herald_account_approval`` (run id
   ``account__<application>__<step>``); ``close_account_requests_answered_elsewhere`` closes requests
   whose step was decided through the CLI or the HTTP door.

``herald_post_approval`` is one step: a human-in-the-loop task assigned to the holders of the
step's role (for the competent department's authorisation of a sensitive item, CON-5, the holders of the
policy's ``sensitive_topics.authorising_role``; for a creation-chain step of a paid repost, CON-6, whoever
answers that step of an account application: ``herald.posts.approval.role_holders``), answered in
Airflow's UI (or its REST API), timing out after the policy's
``approval_response_timeout_hours`` and never after the publish time.
"""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import Param, dag, get_current_context, task

from herald_airflow.account_approval_operator import (
    ACCOUNT_APPROVAL_DAG_ID,
    ACCOUNT_APPROVAL_TASK_ID,
    HeraldAccountApprovalStepOperator,
)
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
    tags={"herald", "approval", "PUB-1", "PUB-2", "CON-5", "CON-6", "ACC-2"},
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

    # Account applications (ACC-2): each pending application's current creation step, asked once.
    @task(pool="herald_db")
    def account_steps_to_route() -> list[dict]:
        """Each pending account application's current step that has no approval run yet."""
        from herald.accounts.requests import pending_steps
        from herald_airflow.hooks import HeraldDatabaseHook

        ti = get_current_context()["ti"]
        steps = pending_steps(HeraldDatabaseHook().get_database())
        new = [s for s in steps if ti.get_dr_count(dag_id=ACCOUNT_APPROVAL_DAG_ID, run_ids=[s.run_id]) == 0]
        print(f"待审批的账号开通步骤 {len(steps)} 个，其中新发起审批请求 {len(new)} 个")
        return [s.trigger_kwargs() for s in new]

    @task(pool="herald_db")
    def close_account_requests_answered_elsewhere() -> list[str]:
        """Close open account-approval requests whose step was decided through the CLI or the HTTP door."""
        import logging

        from herald.accounts.requests import close_requests_decided_elsewhere
        from herald_airflow.airflow_api import AirflowApi
        from herald_airflow.hooks import HeraldDatabaseHook

        closed = close_requests_decided_elsewhere(HeraldDatabaseHook().get_database(), AirflowApi.from_connection(),
                                                  log=logging.getLogger("herald.approval_router"))
        print(f"关闭已在命令行或 HTTP 接口审批的账号开通请求 {len(closed)} 个")
        return closed

    account_routes = account_steps_to_route()
    account_routes >> close_account_requests_answered_elsewhere()
    TriggerDagRunOperator.partial(
        task_id="route_account_step",
        trigger_dag_id=ACCOUNT_APPROVAL_DAG_ID,
        logical_date=None,
        skip_when_already_exists=True,
        wait_for_completion=False,
        openlineage_inject_parent_info=False,
    ).expand_kwargs(account_routes)


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
    # A step may be the competent department's authorisation (CON-5) or a creation-chain step of a paid repost (CON-6).
    tags={"herald", "approval", "hitl", "PUB-2", "CON-5", "CON-6"},
    doc_md=__doc__,
)
def herald_post_approval():
    HeraldApprovalStepOperator(task_id=APPROVAL_TASK_ID, pool="herald_db")


@dag(
    dag_id=ACCOUNT_APPROVAL_DAG_ID,
    dag_display_name="账号开通审批",
    schedule=None,
    start_date=START,
    catchup=False,
    max_active_runs=1000,  # one parked run per open request, as for posts
    is_paused_upon_creation=False,
    default_args=DEFAULT_ARGS,
    params={
        "application_id": Param(type="string", pattern="^APP-[0-9a-f]{16}$", title="开通申请编号"),
        "step_no": Param(type="integer", minimum=1, title="审批步骤"),
    },
    tags={"herald", "approval", "hitl", "ACC-1", "ACC-2"},
)
def herald_account_approval():
    """One step of an account application's creation chain (ACC-2), asked of the holders of the step's role for its
    unit in Airflow's Required Actions; started by ``herald_approval_router``. Params: ``application_id``,
    ``step_no``. The answer is written through ``herald.accounts.approval.decide`` (the account opens when the last
    step is approved; a rejection ends the application). A failed run means nobody could be asked, the answer was
    refused, or nobody answered within the policy's ``creation_approval.response_timeout_hours`` (the step stays
    answerable through the CLI and the HTTP door)."""
    HeraldAccountApprovalStepOperator(task_id=ACCOUNT_APPROVAL_TASK_ID, pool="herald_db")


herald_approval_router()
herald_post_approval()
herald_account_approval()
