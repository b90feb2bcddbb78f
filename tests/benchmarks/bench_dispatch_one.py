"""dispatch-one: lateness from a post's publish time to the platform's acceptance, over 50 posts.

The real scheduler, dag-processor, triggerer and LocalExecutor run natively (tests/stack.py: fresh
PostgreSQL databases for Airflow's metadata and for Herald, one process group each, all stopped and
dropped at the end), against the fake platforms (CMS webhook answering in 50 ms) in this process.
Lateness = the fake platform's accepted_at minus publish_at. Phase 1: ``herald_dispatch`` (the submit
happens inside the triggerer at the second). Phase 2, same stack: the baseline, a plain
``DateTimeSensorAsync`` followed by a task doing the same claim and submit, one run per post.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO / "include"), str(REPO / "plugins"), str(REPO / "tests")]

from common import emit  # noqa: E402

POSTS = 50
SPACING_SECONDS = 2
SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def dags_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="herald-bench-dags-"))
    shutil.copy(REPO / "dags" / "dispatch.py", folder / "dispatch.py")
    shutil.copy(HERE / "dags" / "bench_dispatch_baselines.py", folder / "bench_dispatch_baselines.py")
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


def main() -> int:
    from stack import native_stack
    from herald.db import Database
    from herald.fakeplatforms import FakeConfig, FakePlatforms
    from herald.timeutil import now_utc
    from test_dispatch_world import dispatch_org, fake_accounts, queue_approved

    folder = dags_folder()
    fake = FakePlatforms.start(**fake_accounts(), config=FakeConfig(latency_ms=50))
    try:
        with native_stack("dispatchone", services=SERVICES, overrides=stack_overrides(fake, folder, {})) as stack:
            db = Database(herald_db_url(stack))
            dispatch_org(db)
            client = stack.client()
            for dag_id in ("herald_dispatch", "bench_sensor_baseline"):
                client.wait_for_dag(dag_id)

            # Phase 1: herald_dispatch. Posts from 100 s ahead (past the next run's lookahead start), 2 s apart.
            first = next_slot(timedelta(seconds=100))
            ours = {queue_approved(db, "WEB-GROUP", "website", first + timedelta(seconds=SPACING_SECONDS * i), i): None
                    for i in range(POSTS)}
            ours = {p: db.fetch_one("posts/post", post_id=p)["publish_at"] for p in ours}
            set_paused(client, "herald_dispatch", False)
            cms_ref = lambda entry: entry["post_ref"]  # noqa: E731 - the CMS ledger keys by item_id = post id
            wait_for(lambda: len(lateness_of(fake, ours, "cms", cms_ref)) == POSTS,
                     (first - now_utc()).total_seconds() + SPACING_SECONDS * POSTS + 180, "herald_dispatch posts", stack)
            herald_late = list(lateness_of(fake, ours, "cms", cms_ref).values())
            set_paused(client, "herald_dispatch", True)

            # Phase 2: the plain sensor + task, one run per post, same platform, same spacing.
            first = next_slot(timedelta(seconds=45))
            theirs = {}
            for i in range(POSTS):
                at = first + timedelta(seconds=SPACING_SECONDS * i)
                post_id = queue_approved(db, "WEB-GROUP", "website", at, 1000 + i)
                theirs[post_id] = at
            set_paused(client, "bench_sensor_baseline", False)
            for post_id, at in theirs.items():
                client.request("POST", "/dags/bench_sensor_baseline/dagRuns",
                               json={"logical_date": None, "conf": {"post_id": post_id, "publish_at": at.isoformat()}})
            wait_for(lambda: len(lateness_of(fake, theirs, "cms", cms_ref)) == POSTS,
                     (first - now_utc()).total_seconds() + SPACING_SECONDS * POSTS + 300, "baseline posts", stack)
            base_late = list(lateness_of(fake, theirs, "cms", cms_ref).values())
            states = {r["state"]: r["posts"] for r in db.fetch("dispatch/states")}
            db.dispose()
    finally:
        fake.stop()
        shutil.rmtree(folder, ignore_errors=True)

    p50, p99 = statistics.median(herald_late), percentile(herald_late, 99)
    b50, b99 = statistics.median(base_late), percentile(base_late, 99)
    print(f"dispatch-one: {POSTS} posts, one per publish second ({SPACING_SECONDS} s apart), CMS webhook (fake, 50 ms)")
    print(f"  herald_dispatch (submit in the triggerer): p50 {p50:.3f} s, p99 {p99:.3f} s, max {max(herald_late):.3f} s")
    print(f"  baseline DateTimeSensorAsync + task:        p50 {b50:.3f} s, p99 {b99:.3f} s, max {max(base_late):.3f} s")
    print(f"  post states at the end: {states}")
    emit("dispatch-one", "p99_lateness_s", p99, b99, "s", p50=round(p50, 4), baseline_p50=round(b50, 4), posts=POSTS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
