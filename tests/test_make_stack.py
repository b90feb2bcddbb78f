"""Issue 16 in CI: ``make stack``'s HA stack, a small end-to-end run on it, one fault, and ``stack-down``.

One stack for the module (starting it is the expensive part), started as ``make stack`` starts it
(:func:`herald_dev.stack.start_stack`) on a scratch state folder, a scratch ``.env`` made the way
``make .env`` makes it, fresh databases, free ports and a Redis of its own (tests/stack_e2e.py). The tests
run in file order:

1. The stack is Airflow's HA setup (two schedulers, two triggerers, two Celery workers, the api-server,
   the dag-processor) beside the fakes, the local inbox, the object store and Redis, and every health
   check passes; ``make stack-status`` says so. The compose file's auth manager guards the REST API and
   Herald's door.
2. A small end-to-end run (tests/stack_e2e.py, :func:`run_end_to_end`): two schedulers queue a matrix
   release through the HTTP door, the leader approves through the door and one post in Airflow's
   human-in-the-loop request; dispatched in one second exactly once per the fakes' ledger, archived,
   the scheduled cadence scan delivers its digests, the audit pack passes its gate.
3. A fault (issue 16, item 3): a scheduler is killed (its whole family) while approved posts wait for
   their second; the other scheduler carries on and every post goes out exactly once.
4. ``make stack-down`` leaves no process, no port, no database.

The larger runs and every other fault: ``make stack-e2e`` and ``make stack-faults`` (tests/test_stack_e2e.py).
"""

from __future__ import annotations

import os
from collections import Counter

import psutil
import pytest
import requests

from herald_dev.stack import database_exists, describe, health, main, port_is_listening, running_jobs, state_path
from stack_e2e import (
    AUDITOR,
    ROUTER,
    approved_release,
    bring_forward,
    e2e_stack,
    exactly_once,
    run_end_to_end,
    say,
    set_paused,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.dagrun, pytest.mark.pg]

POSTS = 4  # accounts, one post each in the end-to-end run
HITL_POSTS = 1


@pytest.fixture(scope="module")
def e2e(tmp_path_factory):
    with e2e_stack("mkstack", POSTS, state_dir=tmp_path_factory.mktemp("stack")) as running:
        say(f"HA stack up in {running.timings['stack_start_s']} s")
        set_paused(running, [ROUTER], True)  # routed once, by the test, for the posts it answers in Airflow
        yield running
        say(f"timings: {running.timings}")


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_stack_is_the_ha_setup_and_healthy(e2e, capsys):
    state = e2e.state
    services = Counter(r["service"] for r in state["processes"] if r["service"])
    assert services == {"airflow-apiserver": 1, "airflow-scheduler": 2, "airflow-dag-processor": 1,
                        "airflow-triggerer": 2, "airflow-worker": 2}
    assert {r["name"] for r in state["processes"] if not r["service"]} == {
        "redis", "object-store", "fake-platforms", "local-inbox"}
    assert all(os.getpgid(r["pid"]) == r["pgid"] == r["pid"] for r in state["processes"]), "each its own group"
    assert len({r["celery_name"] for r in state["processes"] if r["celery_name"]}) == 2

    checks = health(state)
    assert [c for c in checks if not c.ok] == []
    jobs = Counter(job["job_type"] for job in running_jobs(state["meta_url"]))
    assert jobs["SchedulerJob"] == 2 and jobs["TriggererJob"] == 2 and jobs["DagProcessorJob"] == 1
    assert {c.component for c in checks} >= {"celery ping airflow-worker-1@" + os.uname().nodename,
                                             "health server airflow-scheduler-2", "api monitor triggerer"}

    assert main(["status", "--state-dir", str(e2e.state_dir)]) == 0
    assert f"{state['api_url']}: healthy" in capsys.readouterr().out
    env_file = e2e.state_dir / "env"
    summary = describe(state, env_file)
    assert state["api_url"] in summary and f"AIRFLOW_ADMIN_PASSWORD in {env_file}" in summary
    assert f"{e2e.state_dir}/logs/" in summary


def test_the_compose_auth_manager_guards_the_rest_api_and_herald_door(e2e):
    """FAB (the compose file's auth manager): a viewer reads but may not trigger; Herald's door is mounted on the
    api-server behind Airflow's sign-in."""
    from herald_dev.stack import StackError

    viewer = e2e.client(AUDITOR)
    assert viewer.request("GET", "/dags/herald_registry_check")["dag_id"] == "herald_registry_check"
    with pytest.raises(StackError, match="403"):
        viewer.trigger("herald_registry_check")
    assert requests.get(f"{e2e.api_url}/herald/posts/P-none", timeout=30).status_code == 401
    signed_in = e2e.client().session.get(f"{e2e.api_url}/herald/posts/P-none", timeout=30)
    assert signed_in.status_code == 404  # authenticated; there is simply no such post
    assert signed_in.json()["violations"][0]["field"] == "post_id"


@pytest.mark.timeout(1800)
def test_small_end_to_end_run(e2e):
    run_end_to_end(e2e, hitl=HITL_POSTS)


@pytest.mark.timeout(1200)
def test_fault_scheduler_killed_while_posts_wait(e2e, capsys):
    post_ids = approved_release(e2e, "sk", e2e.accounts)
    second = bring_forward(e2e, post_ids, lead=110)
    crashed = e2e.record("airflow-scheduler-1")
    e2e.crash("airflow-scheduler-1")
    say(f"killed airflow-scheduler-1 (pid {crashed['pid']}) with {len(post_ids)} posts waiting for {second}")
    assert not _running(crashed["pid"])
    exactly_once(e2e, post_ids, second)
    failing = {c.component for c in health(e2e.state) if not c.ok}
    assert "process airflow-scheduler-1" in failing and "health server airflow-scheduler-2" not in failing

    # `make stack-restart NAME=...` brings it back with its ports and environment; the helpers it cannot restart
    # (their state would be lost) are refused by name.
    assert main(["restart", "airflow-scheduler-1", "--state-dir", str(e2e.state_dir)]) == 0
    e2e.down.discard("airflow-scheduler-1")
    restarted = e2e.record("airflow-scheduler-1")
    assert restarted["pid"] != crashed["pid"] and _running(restarted["pid"])
    assert restarted["ports"] == crashed["ports"]
    assert main(["restart", "fake-platforms", "--state-dir", str(e2e.state_dir)]) == 1
    assert "'fake-platforms' cannot be restarted" in capsys.readouterr().err
    wait_for(lambda: all(c.ok for c in health(e2e.state)), 300, "the stack healthy again", e2e, interval=3)


def test_stack_down_leaves_no_process_port_or_database(e2e, capsys):
    state = e2e.state
    pids = [r["pid"] for r in state["processes"]]
    members = [child.pid for pid in pids if _running(pid) for child in psutil.Process(pid).children(recursive=True)]
    ports = [port for r in state["processes"] for port in r["ports"].values()]
    assert members, "the services run child processes (gunicorn/uvicorn workers, Celery pool, log servers)"
    e2e.db.dispose()

    assert main(["down", "--state-dir", str(e2e.state_dir)]) == 0

    out = capsys.readouterr().out
    assert "stopping airflow-worker-2" in out and "no process and no port" in out
    assert [pid for pid in pids + members if _running(pid)] == []
    assert [port for port in ports if port_is_listening(port)] == []
    assert not database_exists(state["meta_db"]) and not database_exists(state["herald_db"])
    assert not state_path(e2e.state_dir).exists()
    assert main(["status", "--state-dir", str(e2e.state_dir)]) == 1
