"""docker-compose.yaml's configuration, run natively: the recipe works, proven without Docker.

The environment comes from the compose file itself (tests/stack.py): CeleryExecutor with Redis,
Airflow's metadata in PostgreSQL, Herald's database through ``AIRFLOW_CONN_HERALD_DB``, the
shared JWT secret and Fernet key, the FAB auth manager (HeraldFabAuthManager). The init steps (Airflow
migrations, Herald migrations, settings, database users) run as airflow-init runs them; scheduler, dag-processor, triggerer,
api-server and a Celery worker then run ``herald_registry_check``, triggered through the REST API.
Afterwards nothing may be left: no process, no listening API port, no database, no Redis key.
"""

from __future__ import annotations

import os
import subprocess
import sys

import psutil
import pytest

from stack import (
    DEFAULT_REDIS_DB,
    StackError,
    database_exists,
    native_stack,
    port_is_listening,
    redis_key_count,
    stop_process_groups,
)

DAG_ID = "herald_registry_check"

# A process that ignores SIGTERM and has a child that left its process group (as Airflow's task
# processes do with setpgid) and ignores SIGTERM too: what made `airflow standalone` hard to stop.
STUBBORN_TREE = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print(os.getpid(), flush=True)
subprocess.Popen([sys.executable, "-c",
    "import os, signal, time; os.setpgid(0, 0); signal.signal(signal.SIGTERM, signal.SIG_IGN);"
    "print(os.getpid(), flush=True); time.sleep(600)"])
time.sleep(600)
"""


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_stopping_kills_processes_that_ignore_sigterm_or_left_the_group():
    root = subprocess.Popen([sys.executable, "-c", STUBBORN_TREE], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    pids = [int(root.stdout.readline()), int(root.stdout.readline())]
    assert os.getpgid(pids[1]) != root.pid, "the child should have left the group"

    assert stop_process_groups([root], grace=1) == []

    root.stdout.close()
    assert [pid for pid in pids if _running(pid)] == []


def _herald_ledger(stack) -> list[dict]:
    from herald.connection_url import url_from_airflow_env
    from herald.db import Database

    db = Database(url_from_airflow_env(stack.env["AIRFLOW_CONN_HERALD_DB"]))
    try:
        return db.fetch("ledger/for_dag", dag_id=DAG_ID)
    finally:
        db.dispose()


@pytest.mark.slow
@pytest.mark.dagrun
@pytest.mark.pg
def test_compose_configuration_runs_registry_check_natively():
    with native_stack("stack", users={"auditor": "Viewer"}) as stack:
        api_port = stack.api_port
        pids = [p.pid for p in stack.processes.values()]
        databases = [stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].rsplit("/", 1)[1],
                     stack.env["AIRFLOW_CONN_HERALD_DB"].rsplit("/", 1)[1]]
        assert all(database_exists(name) for name in databases)

        client = stack.client("admin")
        dag = client.wait_for_dag(DAG_ID)
        assert dag["is_paused"], "compose pauses new DAGs at creation"
        run_id = client.trigger(DAG_ID)
        run = client.wait_for_run(DAG_ID, run_id, timeout=420)

        assert run["state"] == "success"
        assert client.task_states(DAG_ID, run_id) == {"check_registry": "success"}
        # The task reached Herald's database through the herald_db connection of the compose environment.
        # (Unpausing also lets the scheduler start the latest scheduled run, which may be in the ledger too.)
        ledger = {row["run_id"]: row["status"] for row in _herald_ledger(stack) if row["task_id"] == "check_registry"}
        assert ledger[run_id] == "success"

        # A viewer may read but the REST API refuses it a trigger (the auth manager is the compose file's: FAB).
        with pytest.raises(StackError, match="403"):
            stack.client("auditor").trigger(DAG_ID)

        # Herald's own HTTP door (the plugin's FastAPI app) is mounted on the api-server behind Airflow's auth.
        import requests

        anonymous = requests.get(f"{client.base_url}/herald/posts/P-none", timeout=30)
        assert anonymous.status_code == 401
        signed_in = client.session.get(f"{client.base_url}/herald/posts/P-none", timeout=30)
        assert signed_in.status_code == 404  # authenticated; there is simply no such post
        assert signed_in.json()["violations"][0]["field"] == "post_id"

    assert not port_is_listening(api_port), "the API server still holds its port"
    assert [pid for pid in pids if _running(pid)] == []
    assert not any(database_exists(name) for name in databases)
    assert redis_key_count(DEFAULT_REDIS_DB) == 0
