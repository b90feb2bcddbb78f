"""``make stack``'s HA stack (herald_dev.stack): two schedulers, two triggerers, two Celery workers, healthy;
a DAG run through the REST API; one scheduler crashes and the other carries on; ``stack-down`` leaves nothing.

One stack for the whole module (starting it is the expensive part): on a scratch state folder, a scratch
``.env`` made the way ``make .env`` makes it, fresh databases and a Redis database of its own, all removed
by the stop. The tests run in file order; the last one stops the stack and checks what is left.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

import psutil
import pytest

from herald_dev.local_env import ensure_env_file
from herald_dev.stack import (
    ApiClient,
    database_exists,
    describe,
    free_port,
    health,
    main,
    port_is_listening,
    read_env_file,
    read_state,
    redis_key_count,
    running_jobs,
    start_stack,
    state_path,
    stop_stack,
)

pytestmark = [pytest.mark.slow, pytest.mark.dagrun, pytest.mark.pg]

DAG_ID = "herald_registry_check"
REDIS_DB = 9  # neither make stack's (8) nor the other stack tests' (7)


@pytest.fixture(scope="module")
def ha_stack(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("stack")
    env_file = state_dir / "env"
    ensure_env_file(env_file)
    tag = f"herald_test_{os.getpid()}_mkstack"
    state = start_stack(state_dir, env_file=env_file, api_port=free_port(), meta_db=f"{tag}_meta",
                        herald_db=f"{tag}_herald", redis_db=REDIS_DB, scratch=True)
    try:
        yield state_dir, state, read_env_file(env_file)
    finally:
        if read_state(state_dir) is not None:  # a test failed before the stop test
            stop_stack(state_dir, grace=10)


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _record(state, name):
    return next(r for r in state["processes"] if r["name"] == name)


def test_stack_is_the_ha_setup_and_healthy(ha_stack, capsys):
    state_dir, state, _ = ha_stack
    env_file = state_dir / "env"
    services = Counter(r["service"] for r in state["processes"] if r["service"])
    assert services == {"airflow-apiserver": 1, "airflow-scheduler": 2, "airflow-dag-processor": 1,
                        "airflow-triggerer": 2, "airflow-worker": 2}
    assert {r["name"] for r in state["processes"] if not r["service"]} == {"object-store", "fake-platforms"}
    assert all(os.getpgid(r["pid"]) == r["pgid"] == r["pid"] for r in state["processes"]), "each its own group"
    assert len({r["celery_name"] for r in state["processes"] if r["celery_name"]}) == 2

    checks = health(state)
    assert [c for c in checks if not c.ok] == []
    jobs = Counter(job["job_type"] for job in running_jobs(state["meta_url"]))
    assert jobs["SchedulerJob"] == 2 and jobs["TriggererJob"] == 2 and jobs["DagProcessorJob"] == 1
    assert {c.component for c in checks} >= {"celery ping airflow-worker-1@" + os.uname().nodename,
                                             "health server airflow-scheduler-2", "api monitor triggerer"}

    assert main(["status", "--state-dir", str(state_dir)]) == 0
    assert f"{state['api_url']}: healthy" in capsys.readouterr().out
    summary = describe(state, env_file)
    assert state["api_url"] in summary and f"AIRFLOW_ADMIN_PASSWORD in {env_file}" in summary
    assert f"{state_dir}/logs/" in summary


def test_runs_succeed_and_a_second_scheduler_takes_over(ha_stack):
    _, state, variables = ha_stack
    client = ApiClient(state["api_url"], "admin", variables["AIRFLOW_ADMIN_PASSWORD"])
    client.wait_for_dag(DAG_ID, timeout=420)
    first = client.trigger(DAG_ID)
    assert client.wait_for_run(DAG_ID, first, timeout=420)["state"] == "success"

    crashed, other = _record(state, "airflow-scheduler-1"), _record(state, "airflow-scheduler-2")
    leader = psutil.Process(crashed["pid"])
    # A crash of the whole scheduler: its group and any child that left the group (children inherit its sockets).
    family = [leader, *leader.children(recursive=True)]
    os.killpg(crashed["pgid"], signal.SIGKILL)
    for process in family[1:]:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=30)  # this process started it: reaped too
    assert not _running(crashed["pid"])
    deadline = time.monotonic() + 30  # the kernel closes the listening socket once the last holder is gone
    while port_is_listening(crashed["ports"]["health"]) and time.monotonic() < deadline:
        time.sleep(1)
    assert not port_is_listening(crashed["ports"]["health"])

    second = client.trigger(DAG_ID)
    assert client.wait_for_run(DAG_ID, second, timeout=420)["state"] == "success"
    assert client.task_states(DAG_ID, second) == {"check_registry": "success"}
    failing = {c.component for c in health(state) if not c.ok}
    assert "process airflow-scheduler-1" in failing and "health server airflow-scheduler-2" not in failing
    assert _running(other["pid"])


def test_stack_down_leaves_no_process_port_database_or_key(ha_stack, capsys):
    state_dir, state, _ = ha_stack
    pids = [r["pid"] for r in state["processes"]]
    members = [child.pid for pid in pids if _running(pid) for child in psutil.Process(pid).children(recursive=True)]
    ports = [port for r in state["processes"] for port in r["ports"].values()]
    assert members, "the services run child processes (gunicorn/uvicorn workers, Celery pool, log servers)"

    assert main(["down", "--state-dir", str(state_dir)]) == 0

    out = capsys.readouterr().out
    assert "stopping airflow-worker-2" in out and "no process and no port" in out
    assert [pid for pid in pids + members if _running(pid)] == []
    assert [port for port in ports if port_is_listening(port)] == []
    assert not database_exists(state["meta_db"]) and not database_exists(state["herald_db"])
    assert redis_key_count(REDIS_DB) == 0
    assert not state_path(state_dir).exists()
    assert main(["status", "--state-dir", str(state_dir)]) == 1
