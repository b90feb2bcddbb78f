"""stack-load: dispatch-burst and the cadence scan on the HA Celery stack, beside the LocalExecutor (issue 16, item 4).

The same two loads run twice in one process, on native stacks built the same way from docker-compose.yaml
(``tests/stack.py``, fresh PostgreSQL databases, the same DAGs folder, the same fakes, parallelism 16), the
executor being the only difference:

- baseline: the LocalExecutor (api-server, scheduler, dag-processor, triggerer), as bench_dispatch_burst runs;
- measured: the CeleryExecutor in Airflow's HA setup (:func:`herald_dev.stack.ha_instances`: api-server, two
  schedulers, dag-processor, two triggerers, two Celery workers on Redis), checked to be heartbeating / answering.

Loads:

1. dispatch-burst: ``HERALD_BENCH_BURST_POSTS`` (default 1,000) posts on as many Weibo accounts due in one second,
   the fake answering in 50 ms (bench_dispatch_burst's accounts, queueing and checks); p50/p99 lateness (fake
   accepted_at minus publish_at), the time until all are confirmed, publications beyond one per post.
2. cadence: the scale world of bench_cadence (``HERALD_BENCH_ROWS`` log rows, default 10,000,000;
   ``HERALD_BENCH_ACCOUNTS`` accounts, default 10,000), built once into PostgreSQL; ``herald_cadence_scan`` triggered
   through the REST API on each stack for the ISO weeks of 2025 (``from_date`` 2024-12-30, logical date
   2025-12-29 00:00 Shanghai, digests to the outbox only; ``scan_standing`` marked skipped, so the run is the
   PUB-5 scan bench_cadence measures), twice (the first writes the findings, the second is the steady state).
   Measured from Airflow's records: ``scan_weekly``'s duration, the run's duration, and how long the first task
   waited to start after the run was queued (the scheduler's and executor's share).

The closing JSON line's value is the Celery stack's dispatch p99 lateness, the baseline the LocalExecutor's;
every other figure is an extra field. ``HERALD_BENCH_LOADS=dispatch`` or ``=cadence`` runs one load (diagnosis;
the JSON line then carries that load's figures), ``HERALD_BENCH_REDIS_DB`` (default 11) is the Celery broker's
Redis database (flushed before and after), ``HERALD_STACK_KEEP=1`` keeps the stacks' logs.
"""

from __future__ import annotations

import os
import statistics
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import bench_cadence
import bench_dispatch_burst as burst
from common import emit
from dispatch_stack import (
    dags_folder,
    herald_db_url,
    lateness_of,
    next_slot,
    percentile,
    running_dispatch,
    set_paused,
    stack_overrides,
    wait_for,
)

LOADS = os.environ.get("HERALD_BENCH_LOADS", "dispatch,cadence").split(",")
REDIS_DB = int(os.environ.get("HERALD_BENCH_REDIS_DB", "11"))
EXECUTORS = ("LocalExecutor", "CeleryExecutor")
REPO = Path(__file__).resolve().parents[2]
CADENCE_DAG = "herald_cadence_scan"
# The audit year 2025 as one manual run: weeks from its first ISO Monday, complete at its last ISO Sunday's end.
CADENCE_LOGICAL = "2025-12-29T00:00:00+08:00"
CADENCE_CONF = {"from_date": "2024-12-30", "deliver": False}
# The PUB-5 scan is what bench_cadence measures; the standing rules (and the digests after them) are skipped:
# at 1 M rows scan_standing's findings/history_resolve_unseen statement ran for more than 7 minutes (issue notes).
SKIPPED_TASKS = ("scan_standing",)


# ---------------------------------------------------------------- the Celery stack beside running_dispatch


def _wait_ha(stack, timeout: float = 600) -> None:
    """Two schedulers and two triggerers heartbeating, both Celery workers answering a ping through Redis."""
    from herald_dev.stack import celery_ping, running_jobs

    names = [i.celery_name for i in stack.instances.values() if i.celery_name]
    meta = stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]

    def ready() -> bool:
        jobs = [j["job_type"] for j in running_jobs(meta)]
        return (jobs.count("SchedulerJob") >= 2 and jobs.count("TriggererJob") >= 2
                and celery_ping(stack.env["AIRFLOW__CELERY__BROKER_URL"], names) == set(names))

    wait_for(ready, timeout, "two schedulers, two triggerers and two workers", stack)


@contextmanager
def stack_on(executor: str, name: str, folder: Path, overrides: dict[str, str]):
    """tests/stack.native_stack with the LocalExecutor's services, or the HA Celery stack's; yields (stack, client)."""
    from dispatch_stack import SERVICES
    from herald_dev.stack import HA_COUNTS, ha_instances
    from stack import native_stack

    env = dict(overrides)
    if executor == "CeleryExecutor":
        env.pop("AIRFLOW__CORE__EXECUTOR", None)  # the compose file's CeleryExecutor
        services = ha_instances(0, HA_COUNTS)  # the api port is the stack's own; the others get free ports here
    else:
        env["AIRFLOW__CORE__EXECUTOR"] = "LocalExecutor"
        services = SERVICES
    with native_stack(name, services=services, overrides=env, redis_db=REDIS_DB) as stack:
        if executor == "CeleryExecutor":
            _wait_ha(stack)
        yield stack, stack.client()


@contextmanager
def celery_dispatch(name: str, *, fake_spec: dict, connections):
    """What :func:`dispatch_stack.running_dispatch` yields, on the HA Celery stack."""
    import shutil

    from herald.db import Database
    from herald_dev.fakeplatforms import FakeConfig, FakePlatforms
    from test_dispatch_world import dispatch_org

    folder = dags_folder()
    fake = FakePlatforms.start(**fake_spec, config=FakeConfig(latency_ms=50))
    try:
        with stack_on("CeleryExecutor", name, folder, stack_overrides(fake, folder, connections(fake))) as (stack, client):
            db = Database(herald_db_url(stack))
            try:
                dispatch_org(db)
                client.wait_for_dag("herald_dispatch")
                yield stack, db, client, fake
            finally:
                db.dispose()
    finally:
        fake.stop()
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------- load 1: dispatch-burst


def dispatch_burst(executor: str) -> dict:
    """bench_dispatch_burst's Herald phase on one executor: lateness, all confirmed, duplicates."""
    from herald.timeutil import now_utc
    from test_dispatch_world import fake_accounts

    count = burst.ACCOUNTS
    tokens = [(f"burst-token-{i:04d}", str(6_000_000_000 + i)) for i in range(count)]
    spec = fake_accounts()
    spec["weibo_tokens"].update({token: {"uid": uid, "appkey": "k", "safe_domains": [burst.SAFE]} for token, uid in tokens})

    def connections(fake) -> dict:
        return {f"HERALD_WEIBO__WB_BURST_{i:04d}": {"conn_type": "herald_weibo", "host": fake.weibo_url, "password": token,
                                                   "extra": {"safe_domains": [burst.SAFE]}}
                for i, (token, _) in enumerate(tokens)}

    running = (running_dispatch("stackload", fake_spec=spec, connections=connections) if executor == "LocalExecutor"
               else celery_dispatch("stackload", fake_spec=spec, connections=connections))
    with running as (stack, db, client, fake):
        accounts = burst.burst_accounts(db)
        started = time.monotonic()
        second = next_slot(timedelta(seconds=150))
        posts = burst.queue_burst(db, accounts, second, 0)
        print(f"[{executor}] dispatch-burst: {len(posts)} posts queued and approved for {second.isoformat()} in "
              f"{time.monotonic() - started:.0f} s", flush=True)
        if (second - now_utc()).total_seconds() < 70:
            raise RuntimeError("queueing took too long: the burst second is inside the planner's window")
        text_of = {db.fetch_one("posts/post", post_id=p)["body"]: p for p in posts}
        set_paused(client, "herald_dispatch", False)

        def ref(entry: dict) -> str | None:  # Weibo's ledger keys by text
            return text_of.get(entry["post_ref"])

        wait_for(lambda: len(lateness_of(fake, posts, "weibo", ref)) == len(posts),
                 (second - now_utc()).total_seconds() + 300, f"{executor}: all accepted", stack)
        wait_for(lambda: burst.all_published(db, posts), 300, f"{executor}: all confirmed", stack)
        confirmed = (now_utc() - second).total_seconds()
        set_paused(client, "herald_dispatch", True)
        late = list(lateness_of(fake, posts, "weibo", ref).values())
        duplicates = sum(1 for entry in fake.publications(platform="weibo") if ref(entry)) - len(posts)
    result = {"p50": statistics.median(late), "p99": percentile(late, 99), "confirmed": confirmed,
              "duplicates": duplicates, "posts": len(posts)}
    print(f"[{executor}] dispatch-burst: p50 {result['p50']:.3f} s, p99 {result['p99']:.3f} s, all confirmed "
          f"{confirmed:.1f} s after the second, publications beyond one per post: {duplicates}", flush=True)
    return result


# ---------------------------------------------------------------- load 2: the cadence scan


@contextmanager
def scale_world():
    """bench_cadence's scale world (HERALD_BENCH_ROWS rows) in a database of its own; yields its URL; dropped after."""
    import sqlalchemy as sa

    from herald.db import Database, normalise_url
    from herald.migrate import migrate
    from herald_dev.world.scale import build_scale_world

    name = f"herald_bench_{os.getpid()}_stackload_cadence"
    base = bench_cadence.ADMIN_URL.rpartition("/")[0]
    admin = sa.create_engine(normalise_url(bench_cadence.ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        db = Database(f"{base}/{name}")
        try:
            migrate(db)
            started = time.perf_counter()
            build_scale_world(db, accounts=bench_cadence.ACCOUNTS, log_rows=bench_cadence.LARGE, seed=bench_cadence.SEED,
                              year=bench_cadence.YEAR)
            with db.transaction() as tx:
                tx.execute("bench/analyze")
            print(f"scale world: {bench_cadence.ACCOUNTS:,} accounts, {bench_cadence.LARGE:,} log rows loaded in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
        finally:
            db.dispose()
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _seconds(start: str | None, end: str | None) -> float:
    if not start or not end:
        raise RuntimeError(f"no start or end recorded ({start!r}, {end!r})")
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def wait_alone(client, stack, run_id: str, timeout: float = 3600) -> dict:
    """Wait for the bench's run; the run of the latest interval that unpausing schedules is failed as it appears
    (with max_active_runs=1 it would go first and hold the DAG, and it sends digests through connections the
    scratch stack does not have)."""
    runs_path = f"/dags/{CADENCE_DAG}/dagRuns"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        for other in client.request("GET", runs_path, params={"state": ["queued", "running"]})["dag_runs"]:
            if other["dag_run_id"] != run_id and other["run_type"] == "scheduled":
                client.request("PATCH", f"{runs_path}/{other['dag_run_id']}", json={"state": "failed"})
        run = client.request("GET", f"{runs_path}/{run_id}")
        if run["state"] in ("success", "failed"):
            if run["state"] != "success":
                raise RuntimeError(f"{CADENCE_DAG} {run_id} failed: tasks {client.task_states(CADENCE_DAG, run_id)}")
            return run
        time.sleep(3)
    raise TimeoutError(f"{CADENCE_DAG} {run_id} not done after {timeout:.0f} s")


def cadence_scan(executor: str, world_url: str, repeat: int = 2) -> dict:
    """herald_cadence_scan on one executor over the scale world: per run, scan_weekly's and the run's seconds."""
    import shutil

    folder = dags_folder()
    (folder / "dispatch.py").unlink()
    shutil.copy(REPO / "dags" / "cadence_scan.py", folder / "cadence_scan.py")
    overrides = {"AIRFLOW_CONN_HERALD_DB": world_url, "AIRFLOW__CORE__DAGS_FOLDER": str(folder),
                 "AIRFLOW__CORE__PARALLELISM": "16", "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                 "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True"}
    runs = []
    try:
        with stack_on(executor, "stackcadence", folder, overrides) as (stack, client):
            client.wait_for_dag(CADENCE_DAG)
            for number in range(repeat):
                run = client.request("POST", f"/dags/{CADENCE_DAG}/dagRuns", json={
                    "dag_run_id": f"bench-{number}", "conf": CADENCE_CONF,  # a second apart: one run per logical date
                    "logical_date": (datetime.fromisoformat(CADENCE_LOGICAL) + timedelta(seconds=number)).isoformat()})
                for task_id in SKIPPED_TASKS:  # before the scheduler looks at the run
                    client.request("PATCH", f"/dags/{CADENCE_DAG}/dagRuns/{run['dag_run_id']}/taskInstances/{task_id}",
                                   json={"new_state": "skipped"})
                set_paused(client, CADENCE_DAG, False)
                done = wait_alone(client, stack, run["dag_run_id"])
                tasks = {t["task_id"]: t for t in client.request(
                    "GET", f"/dags/{CADENCE_DAG}/dagRuns/{run['dag_run_id']}/taskInstances")["task_instances"]}
                first_start = min(t["start_date"] for t in tasks.values())
                runs.append({"scan_weekly": tasks["scan_weekly"]["duration"], "run": _seconds(done["start_date"], done["end_date"]),
                             "queued": _seconds(done["queued_at"], first_start)})
                print(f"[{executor}] cadence run {number + 1}: scan_weekly {runs[-1]['scan_weekly']:.2f} s, run "
                      f"{runs[-1]['run']:.1f} s, first task started {runs[-1]['queued']:.1f} s after the run was queued", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    steady = runs[-1]
    return {"scan_weekly": steady["scan_weekly"], "run": steady["run"], "queued": steady["queued"],
            "first_scan_weekly": runs[0]["scan_weekly"], "first_run": runs[0]["run"]}


# ---------------------------------------------------------------- both


def main() -> int:
    dispatch: dict[str, dict] = {}
    cadence: dict[str, dict] = {}
    if "dispatch" in LOADS:
        for executor in EXECUTORS:
            dispatch[executor] = dispatch_burst(executor)
    if "cadence" in LOADS:
        with scale_world() as url:
            for executor in EXECUTORS:
                cadence[executor] = cadence_scan(executor, url)

    local, celery = EXECUTORS
    print("stack-load: the HA Celery stack (2 schedulers, 2 triggerers, 2 workers) beside the LocalExecutor, same run")
    extra: dict[str, object] = {"redis_db": REDIS_DB}
    if dispatch:
        ours, theirs = dispatch[celery], dispatch[local]
        print(f"  dispatch-burst, {ours['posts']} posts due in one second:")
        for executor in EXECUTORS:
            d = dispatch[executor]
            print(f"    {executor:15} p50 {d['p50']:.3f} s, p99 {d['p99']:.3f} s, all confirmed after {d['confirmed']:.1f} s,"
                  f" duplicates {d['duplicates']}")
        extra.update(posts=ours["posts"], p50=round(ours["p50"], 4), all_confirmed_s=round(ours["confirmed"], 2),
                     duplicates=ours["duplicates"], baseline_p50=round(theirs["p50"], 4),
                     baseline_all_confirmed_s=round(theirs["confirmed"], 2), baseline_duplicates=theirs["duplicates"])
    if cadence:
        print(f"  cadence scan, {bench_cadence.LARGE:,} log rows, {bench_cadence.ACCOUNTS:,} accounts, the year 2025 "
              "(steady run; first run in brackets):")
        for executor in EXECUTORS:
            c = cadence[executor]
            print(f"    {executor:15} scan_weekly {c['scan_weekly']:.2f} s [{c['first_scan_weekly']:.2f}], run {c['run']:.1f} s "
                  f"[{c['first_run']:.1f}], first task after {c['queued']:.1f} s")
        extra.update(rows=bench_cadence.LARGE, accounts=bench_cadence.ACCOUNTS,
                     cadence_scan_weekly_s=round(cadence[celery]["scan_weekly"], 3),
                     cadence_run_s=round(cadence[celery]["run"], 2),
                     cadence_first_task_s=round(cadence[celery]["queued"], 2),
                     baseline_cadence_scan_weekly_s=round(cadence[local]["scan_weekly"], 3),
                     baseline_cadence_run_s=round(cadence[local]["run"], 2),
                     baseline_cadence_first_task_s=round(cadence[local]["queued"], 2))
    if dispatch:
        emit("stack-load", "dispatch_p99_lateness_s", dispatch[celery]["p99"], dispatch[local]["p99"], "s", **extra)
    else:
        emit("stack-load", "cadence_run_s", cadence[celery]["run"], cadence[local]["run"], "s", **extra)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
