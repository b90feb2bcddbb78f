"""End to end on a native Airflow stack (tests/stack.py): both doors, one record (PUB-2).

1. A post on a 000 group account (one step: the supervising leader) is routed by
   ``herald_approval_router`` to a human-in-the-loop task assigned to the leader's Airflow user;
   answering it through the REST API as that user approves the post with ``via='hitl'``.
2. A second post is decided through the CLI while its request is open; the router's next pass
   closes the request (the task is skipped with a note) and Airflow stops asking.

The router's REST user (``herald-router``) and its ``herald_airflow_api`` connection are the ones the
compose recipe provisions (airflow-init's `airflow users create` steps): the test adds only the approver.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from builders import small_org

pytestmark = [pytest.mark.slow, pytest.mark.dagrun, pytest.mark.pg]

ROUTER = "herald_approval_router"
ROUTER_USER, APPROVER = "herald-router", "wu.zhuguan"  # wu.zhuguan is 吴主管, the supervising leader
WAIT = 480  # seconds; two slow cores run the whole stack


def _queue(db, title: str) -> tuple[str, str]:
    from herald.policy import load_policy
    from herald.posts.lifecycle import post_status
    from herald.posts.model import PostRequest
    from herald.posts.queue import queue_post

    now = datetime.now(UTC)
    request = PostRequest.from_mapping({
        "account_id": "WB-GROUP", "author_id": "author2", "title": title, "body": f"{title}，欢迎关注。 https://example.com/news",
        "category": next(iter(load_policy("000").content.categories)), "source": "集团行政中心",
        "publish_at": (now + timedelta(days=9)).isoformat()})
    post_id = queue_post(db, request, now=now)
    return post_id, post_status(db, post_id)["content_hash"]


def _route(client) -> None:
    """One pass of the router, started now rather than at the next two-minute tick."""
    run = client.request("POST", f"/dags/{ROUTER}/dagRuns", json={"logical_date": None})
    client.wait_for_run(ROUTER, run["dag_run_id"], timeout=WAIT)


def _wait_for_open_request(stack, api, run_id: str) -> dict:
    from herald.posts.approval_requests import APPROVAL_DAG_ID
    from herald_airflow.airflow_api import AirflowApiError
    from herald_airflow.approval_operator import APPROVAL_TASK_ID

    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            detail = api.hitl_request(APPROVAL_DAG_ID, run_id, APPROVAL_TASK_ID)
            if detail["task_instance"]["state"] == "awaiting_input":
                return detail
        except AirflowApiError as error:
            if error.status != 404:
                raise
        time.sleep(3)
    raise AssertionError(f"no open approval request for {run_id} after {WAIT}s\n{stack.diagnostics()}")


def test_approval_through_airflow_and_a_request_closed_after_the_cli_decided(pg_db, pg_url):
    from herald.__main__ import main as herald_cli
    from herald.posts.approval_requests import APPROVAL_DAG_ID, AskedStep
    from herald.posts.lifecycle import post_status
    from herald_airflow.airflow_api import AirflowApi, AirflowApiError
    from herald_airflow.approval_operator import APPROVAL_TASK_ID
    from stack import native_stack

    small_org(pg_db)
    first, first_hash = _queue(pg_db, "集团年度工作会议召开")
    overrides = {"AIRFLOW_CONN_HERALD_DB": pg_url}
    # The approver is an Airflow user named by their people.login (FAB role User: reads DAGs, answers requests).
    with native_stack("approval", overrides=overrides, users={APPROVER: "User"}) as stack:
        admin = stack.client("admin")
        # The router's REST credentials come from the recipe: its connection and the user init gave its password.
        connection = json.loads(stack.env["AIRFLOW_CONN_HERALD_AIRFLOW_API"])
        assert (connection["login"], connection["host"]) == (ROUTER_USER, stack.api_url)
        assert stack.passwords[ROUTER_USER] == connection["password"]
        assert admin.wait_for_dag(ROUTER, timeout=WAIT)["is_paused"] is False
        assert admin.wait_for_dag(APPROVAL_DAG_ID, timeout=WAIT)["is_paused"] is False

        # 1. Routed, asked of the leader only, answered in Airflow: the record says hitl.
        _route(admin)
        first_run = AskedStep(first, first_hash, 1).run_id
        approver = AirflowApi(stack.api_url, APPROVER, stack.passwords[APPROVER])
        request = _wait_for_open_request(stack, approver, first_run)
        assert [u["id"] for u in request["assigned_users"]] == [APPROVER]
        assert "集团年度工作会议召开" in request["subject"] and first_hash in request["body"]
        assert request["options"] == ["批准", "驳回"]
        router_user = AirflowApi(stack.api_url, ROUTER_USER, stack.passwords[ROUTER_USER])
        with pytest.raises(AirflowApiError) as not_assigned:
            router_user.respond_hitl(APPROVAL_DAG_ID, first_run, APPROVAL_TASK_ID, ["批准"])
        assert not_assigned.value.status == 403
        approver.respond_hitl(APPROVAL_DAG_ID, first_run, APPROVAL_TASK_ID, ["批准"], {"reason": "同意发布"})
        admin.wait_for_run(APPROVAL_DAG_ID, first_run, timeout=WAIT)
        status = post_status(pg_db, first)
        assert status["state"] == "approved"
        assert [(d["approver_id"], d["via"], d["content_hash"]) for d in status["decisions"]] == [
            ("leader", "hitl", first_hash)]

        # 2. Decided through the CLI while the request is open: the next pass closes the request.
        second, second_hash = _queue(pg_db, "集团安全生产月启动")
        _route(admin)
        second_run = AskedStep(second, second_hash, 1).run_id
        _wait_for_open_request(stack, approver, second_run)
        assert herald_cli(["--db", pg_url, "post", "approve", second, "--admin-override", "--override-reason",
                           "测试：命令行直接审批", "--as-person", "leader", "--content-hash", second_hash]) == 0
        _route(admin)
        task = router_user.task_instance(APPROVAL_DAG_ID, second_run, APPROVAL_TASK_ID)
        assert task["state"] == "skipped"
        assert "Herald 已关闭此审批请求" in task["note"] and "命令行" in task["note"]
        assert second_run not in {r["task_instance"]["dag_run_id"]
                                  for r in router_user.open_hitl_requests(APPROVAL_DAG_ID)}
        admin.wait_for_run(APPROVAL_DAG_ID, second_run, timeout=WAIT)
        assert [d["via"] for d in post_status(pg_db, second)["decisions"]] == ["cli"]
        # Routing twice is harmless: nothing is awaiting approval, and the two steps were asked once each.
        runs = admin.request("GET", f"/dags/{APPROVAL_DAG_ID}/dagRuns")["dag_runs"]
        assert sorted(r["dag_run_id"] for r in runs) == sorted([first_run, second_run])
