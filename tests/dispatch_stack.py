"""A native Airflow stack running the dispatch DAGs against the fake platforms: shared by the dispatch
stack tests and the dispatch benchmarks (tests/benchmarks/bench_dispatch_*.py)."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def dags_folder(*extra: Path) -> Path:
    """A DAGs folder holding only the dispatch DAGs (and ``extra`` files): the stack loads nothing else."""
    folder = Path(tempfile.mkdtemp(prefix="herald-dispatch-dags-"))
    for path in (REPO / "dags" / "dispatch.py", *extra):
        shutil.copy(path, folder / path.name)
    return folder


def stack_overrides(fake, folder: Path, extra_connections: dict[str, dict]) -> dict[str, str]:
    from test_dispatch_world import CMS, SAFE_DOMAIN, WEIBO

    site, secret = CMS["WEB-GROUP"]
    token, _ = WEIBO["WB-GROUP"]
    connections = {
        "HERALD_CMS": {"conn_type": "herald_cms", "host": fake.cms_url(site), "password": secret},
        "HERALD_WEIBO__WB_GROUP": {"conn_type": "herald_weibo", "host": fake.weibo_url, "password": token,
                                   "extra": {"safe_domains": [SAFE_DOMAIN]}},
        **extra_connections,
    }
    env = {f"AIRFLOW_CONN_{name}": json.dumps(conn) for name, conn in connections.items()}
    env.update({
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DAGS_FOLDER": str(folder),
        "AIRFLOW__CORE__PARALLELISM": "16",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
    })
    return env


def herald_db_url(stack) -> str:
    from herald.connection_url import url_from_airflow_env

    return url_from_airflow_env(stack.env["AIRFLOW_CONN_HERALD_DB"])


def set_paused(client, dag_id: str, paused: bool) -> None:
    client.request("PATCH", f"/dags/{dag_id}", json={"is_paused": paused})


def lateness_of(fake, publish_at: dict[str, datetime], platform: str, ref_of) -> dict[str, float]:
    """post_id -> seconds from publish_at to the fake's accepted_at (first acceptance)."""
    late = {}
    for entry in fake.publications(platform=platform):
        post_id = ref_of(entry)
        if post_id in publish_at and post_id not in late:
            late[post_id] = (datetime.fromisoformat(entry["accepted_at"]) - publish_at[post_id]).total_seconds()
    return late


def wait_for(predicate, timeout: float, what: str, stack=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack is not None:
            stack.check_alive()
        if predicate():
            return
        time.sleep(1)
    raise TimeoutError(f"{what} not reached after {timeout:.0f}s" + (f"\n{stack.diagnostics()}" if stack else ""))


def next_slot(lead: timedelta) -> datetime:
    from herald.timeutil import now_utc

    return (now_utc() + lead).replace(microsecond=0)


@contextmanager
def running_dispatch(name: str, *, dag_ids: tuple[str, ...] = ("herald_dispatch",), extra_dags: tuple[Path, ...] = (),
                     fake_spec: dict | None = None, connections=lambda fake: {}):
    """Fake platforms (answering in 50 ms), a DAGs folder, the native stack and Herald's database with the
    dispatch org; yields (stack, db, client, fake) once the DAGs are parsed; stops and removes it all after.

    ``connections(fake)`` gives extra Airflow connections (``{"HERALD_WEIBO__X": {...}}``) once the
    fake's address is known.
    """
    from herald.db import Database
    from herald_dev.fakeplatforms import FakeConfig, FakePlatforms
    from stack import native_stack
    from test_dispatch_world import dispatch_org, fake_accounts

    folder = dags_folder(*extra_dags)
    fake = FakePlatforms.start(**(fake_spec or fake_accounts()), config=FakeConfig(latency_ms=50))
    try:
        with native_stack(name, services=SERVICES, overrides=stack_overrides(fake, folder, connections(fake))) as stack:
            db = Database(herald_db_url(stack))
            try:
                dispatch_org(db)
                client = stack.client()
                for dag_id in dag_ids:
                    client.wait_for_dag(dag_id)
                yield stack, db, client, fake
            finally:
                db.dispose()
    finally:
        fake.stop()
        shutil.rmtree(folder, ignore_errors=True)
