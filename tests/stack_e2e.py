"""The HA Celery stack end to end (issue 16): a world of many Weibo accounts, the stack, and the doors people use.

:func:`e2e_stack` starts docker-compose.yaml's configuration in Airflow's HA setup (api-server, two schedulers,
the dag-processor, two triggerers, two Celery workers: :func:`herald_dev.stack.ha_instances`) on fresh
PostgreSQL databases, its own Redis database and free ports, beside in-process fake platforms that know
every account's token and a moto object store; it seeds Herald's database with ``dispatch_org`` plus
``N`` group-level Weibo accounts (one Weibo user and one Airflow connection each).

People act through the doors only: schedulers queue releases through ``POST /herald/releases`` as
themselves, the supervising leader approves through ``POST /herald/posts/{id}/decisions`` or answers the
human-in-the-loop request of ``herald_post_approval``. One thing is not done through a door: CON-10 refuses
a request less than a week ahead (001 art.12.2), and dispatch checks it again before sending, so releases
are queued for next week and their approved posts are then moved, with their request time, to a second
about two minutes away in Herald's database (:func:`bring_forward`), which stands in for the week passing.
The publish time is not content (``content_hash``), so the approvals stand, as they would after the week.

The fakes' own ledger is the truth of what was published: :func:`ledger_counts` counts its entries per post.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import requests
import sqlalchemy as sa

SAFE = "herald.example.com"
E2E_REDIS_DB = 10  # make stack has 8, the scratch stacks 7, test_make_stack 9
SCHEDULERS = {"zhou.yunying": "author2", "li.xinxi": "author"}  # login -> person: both draft for the group
APPROVER = "wu.zhuguan"  # 吴主管, the supervising leader: the one step of a group account's chain (000)
ROUTER = "herald_approval_router"
WAIT = 600  # seconds: two slow shared cores run the whole stack
OVERRIDES = {
    # A killed worker's task is failed (and retried) after this long without a heartbeat (default 300 s).
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "60",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "10",
    # Triggers of a dead triggerer go to the other one after this long (default 30 s).
    "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "30",
}


@dataclass(frozen=True)
class WeiboAccount:
    account_id: str
    token: str
    uid: str

    @property
    def conn_env(self) -> str:
        from herald.dispatch.connections import account_slug

        return f"AIRFLOW_CONN_HERALD_WEIBO__{account_slug(self.account_id).upper()}"


def e2e_accounts(count: int) -> list[WeiboAccount]:
    return [WeiboAccount(f"WB-E2E-{i:04d}", f"e2e-token-{i:04d}", str(7_000_000_000 + i)) for i in range(count)]


def seed_world(db, accounts: Sequence[WeiboAccount]) -> None:
    """dispatch_org, a second drafter for the group, and the accounts (each with its designated operator, PUB-3)."""
    from builders import T0, insert
    from test_dispatch_world import dispatch_org

    dispatch_org(db)
    insert(db, "role_assignments", assignment_id="E2E-AUTHOR", person_id="author", role="info_officer", unit_id="G",
           valid_from_on=date(2024, 1, 1))
    with db.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO accounts (account_id, platform, name, platform_account_id, link, is_verified, purpose,"
            " content_scope, creating_unit_id, host_unit_id, supervising_leader_id, host_unit_opinion_by,"
            " host_unit_opinion_on, is_host_unit_sealed, competent_opinion_by, competent_opinion_on, level, state,"
            " opened_on, policy_id, created_at, updated_at) VALUES (:a, 'weibo', :n, :u, :link, TRUE,"
            " '对外宣传', '企业新闻', 'G', 'G', 'leader', 'unit_head', :d1, TRUE, 'competent', :d2, 'group', 'active',"
            " :d3, '000', :t, :t)"),
            [{"a": a.account_id, "n": f"集团微博矩阵{a.account_id[-4:]}", "u": a.uid, "link": f"https://weibo.com/u/{a.uid}",
              "d1": date(2024, 12, 1), "d2": date(2024, 12, 2), "d3": date(2025, 1, 1), "t": T0} for a in accounts])
        conn.execute(sa.text(
            "INSERT INTO role_assignments (assignment_id, person_id, role, account_id, valid_from_on)"
            " VALUES (:id, 'operator', 'operator', :a, :d)"),
            [{"id": f"OPE2E{i}", "a": a.account_id, "d": date(2024, 1, 1)} for i, a in enumerate(accounts)])


@dataclass
class E2E:
    """A running HA stack with its fakes, Herald's database and the people's passwords."""

    stack: object  # herald_dev.stack.NativeStack
    fake: object  # herald_dev.fakeplatforms.FakePlatforms
    db: object  # herald.db.Database
    meta_url: str
    broker_url: str
    accounts: list[WeiboAccount]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return self.stack.api_url

    def client(self, login: str = "admin"):
        return self.stack.client(login)

    def door(self, login: str) -> Door:
        return Door(self.api_url, login, self.stack.passwords[login])

    def hitl(self, login: str):
        from herald_airflow.airflow_api import AirflowApi

        return AirflowApi(self.api_url, login, self.stack.passwords[login])

    def worker_names(self) -> dict[str, str]:
        """Celery node name -> the stack's process name."""
        return {i.celery_name: name for name, i in self.stack.instances.items() if i.celery_name}


class Door:
    """Herald's HTTP door (``/herald``) as one signed-in person."""

    def __init__(self, api_url: str, login: str, password: str):
        self.base = f"{api_url}/herald"
        self.session = requests.Session()
        token = requests.post(f"{api_url}/auth/token", json={"username": login, "password": password}, timeout=60)
        token.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def call(self, method: str, path: str, expect: int, **kwargs) -> dict:
        response = self.session.request(method, f"{self.base}{path}", timeout=120, **kwargs)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text[:600]}"
        return response.json()


def wait_for(predicate, timeout: float, what: str, stack=None, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack is not None:
            stack.check_alive()
        found = predicate()
        if found:
            return found
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached after {timeout:.0f}s" + (f"\n{stack.diagnostics()}" if stack else ""))


def _ha_ready(meta_url: str, broker_url: str, workers: Sequence[str]) -> bool:
    from collections import Counter

    from herald_dev.stack import celery_ping, running_jobs

    jobs = Counter(job["job_type"] for job in running_jobs(meta_url))
    if jobs["SchedulerJob"] < 2 or jobs["TriggererJob"] < 2 or jobs["DagProcessorJob"] < 1:
        return False
    return celery_ping(broker_url, workers) == set(workers)


def _archive_bucket(port: int, password: str) -> None:
    """What minio-init sets up: the archive's bucket, object-locked, default GOVERNANCE retention of 3650 days."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                      aws_access_key_id="herald-archive", aws_secret_access_key=password or "unused")
    s3.create_bucket(Bucket="herald-archive", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket="herald-archive", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 3650}}})


@contextmanager
def e2e_stack(name: str, posts: int, *, redis_db: int = E2E_REDIS_DB) -> Iterator[E2E]:
    """The HA stack on scratch databases, folders, ports and Redis db ``redis_db``; all removed afterwards."""
    from moto.server import ThreadedMotoServer

    from dispatch_stack import herald_db_url
    from herald.db import Database
    from herald_dev.fakeplatforms import FakeConfig, FakePlatforms
    from herald_dev.stack import (
        COMPOSE_FILE,
        ENV_EXAMPLE,
        REDIS_HOST,
        REDIS_PORT,
        Endpoint,
        NativeStack,
        create_database,
        drop_database,
        flush_redis_db,
        free_port,
        generated_secrets,
        ha_instances,
        load_compose,
        postgres_endpoint,
        read_env_file,
        stack_environment,
    )
    from test_dispatch_world import fake_accounts

    started = time.monotonic()
    accounts = e2e_accounts(posts)
    spec = fake_accounts()
    spec["weibo_tokens"].update({a.token: {"uid": a.uid, "appkey": "k", "safe_domains": [SAFE]} for a in accounts})
    fake = FakePlatforms.start(**spec, config=FakeConfig(latency_ms=50))
    object_store = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port())  # stands in for MinIO
    object_store.start()
    compose = load_compose(COMPOSE_FILE)
    meta_db, herald_db = f"herald_test_{os.getpid()}_{name}_meta", f"herald_test_{os.getpid()}_{name}_herald"
    api_port = free_port()
    postgres = postgres_endpoint(meta_db, herald_db)
    endpoints = {
        "postgres": postgres,
        "redis": Endpoint(REDIS_HOST, REDIS_PORT, paths={"/0": f"/{redis_db}"}),
        "airflow-apiserver": Endpoint("127.0.0.1", api_port),
        "minio": Endpoint("127.0.0.1", object_store._server.server_port),
    }
    workdir = Path(tempfile.mkdtemp(prefix=f"herald-stack-{name}-"))
    variables = generated_secrets(list(read_env_file(ENV_EXAMPLE)))
    _archive_bucket(object_store._server.server_port, variables.get("MINIO_ROOT_PASSWORD", ""))
    env = stack_environment(compose, variables, endpoints, workdir, api_port, COMPOSE_FILE.parent)
    env.update({a.conn_env: json.dumps({"conn_type": "herald_weibo", "host": fake.weibo_url, "password": a.token,
                                        "extra": {"safe_domains": [SAFE]}}) for a in accounts})
    env.update(OVERRIDES)
    stack = NativeStack(compose, env, workdir, api_port, variables)
    created: list[str] = []
    db = None
    try:
        flush_redis_db(redis_db)
        for database in (meta_db, herald_db):
            create_database(database)
            created.append(database)
        stack.run_init()
        db = Database(herald_db_url(stack))
        seed_world(db, accounts)
        stack.add_users({**dict.fromkeys(SCHEDULERS, "User"), APPROVER: "User"})
        instances = ha_instances(api_port)
        stack.start(instances)
        stack.wait_until_serving(timeout=WAIT)
        e2e = E2E(stack, fake, db, postgres.rewrite("postgresql://airflow@postgres:5432/airflow"),
                  env["AIRFLOW__CELERY__BROKER_URL"], accounts)
        wait_for(lambda: _ha_ready(e2e.meta_url, e2e.broker_url, list(e2e.worker_names())), WAIT,
                 "two schedulers, two triggerers, the dag-processor and both workers", stack, interval=3)
        e2e.timings["stack_start_s"] = round(time.monotonic() - started, 1)
        yield e2e
    finally:
        try:
            stack.stop()
        finally:
            if db is not None:
                db.dispose()
            fake.stop()
            object_store.stop()
            flush_redis_db(redis_db)
            for database in created:
                drop_database(database)
            if os.environ.get("HERALD_STACK_KEEP"):
                print(f"e2e stack {name}: logs kept in {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)


# --- the people's doors ---------------------------------------------------------------------------------------


def queue_release(e2e: E2E, login: str, accounts: Sequence[WeiboAccount], tag: str) -> list[str]:
    """One matrix release through the door as ``login``, for next week (CON-10 holds); returns its post ids."""
    from herald.timeutil import now_utc
    from test_dispatch_world import CATEGORY

    publish_at = (now_utc() + timedelta(days=8)).replace(microsecond=0)
    body = {"account_ids": [a.account_id for a in accounts],
            "base": {"title": f"集团新能源项目投产{tag}", "body": f"<p>集团新能源项目{tag}顺利投产。</p>",
                     "category": CATEGORY, "source": "集团新闻中心", "publish_at": publish_at.isoformat()},
            "variants": {"weibo": {"title": None, "body": f"集团新能源项目{tag}顺利投产 https://{SAFE}/news/{tag}"}}}
    answer = e2e.door(login).call("POST", "/releases", 201, json=body, headers={"Idempotency-Key": f"release-{tag}"})
    assert len(answer["post_ids"]) == len(accounts)
    return answer["post_ids"]


def approve_through_door(e2e: E2E, post_ids: Sequence[str]) -> None:
    door = e2e.door(APPROVER)
    for post_id in post_ids:
        status = door.call("GET", f"/posts/{post_id}", 200)
        decided = door.call("POST", f"/posts/{post_id}/decisions", 200,
                            json={"decision": "approved", "content_hash": status["content_hash"]})
        assert decided, post_id


def approve_through_hitl(e2e: E2E, post_ids: Sequence[str]) -> None:
    """Route once (the router opens one human-in-the-loop request a step) and answer each as the approver."""
    from herald.posts.approval_requests import APPROVAL_DAG_ID, AskedStep
    from herald.posts.lifecycle import post_status
    from herald_airflow.airflow_api import AirflowApiError
    from herald_airflow.approval_operator import APPROVAL_TASK_ID

    admin = e2e.client()
    admin.request("PATCH", f"/dags/{APPROVAL_DAG_ID}", json={"is_paused": False})
    run = admin.trigger(ROUTER)
    admin.wait_for_run(ROUTER, run, timeout=WAIT)
    api = e2e.hitl(APPROVER)
    for post_id in post_ids:
        run_id = AskedStep(post_id, post_status(e2e.db, post_id)["content_hash"], 1).run_id

        def awaiting(run_id=run_id) -> bool:
            try:
                return api.hitl_request(APPROVAL_DAG_ID, run_id, APPROVAL_TASK_ID)["task_instance"]["state"] == "awaiting_input"
            except AirflowApiError as error:
                if error.status != 404:
                    raise
                return False

        wait_for(awaiting, WAIT, f"the approval request of {post_id}", e2e.stack, interval=3)
        api.respond_hitl(APPROVAL_DAG_ID, run_id, APPROVAL_TASK_ID, ["批准"], {"reason": "同意发布"})
    wait_for(lambda: all(post_status(e2e.db, p)["state"] == "approved" for p in post_ids), WAIT,
             "the answered posts approved", e2e.stack, interval=3)
    admin.request("PATCH", f"/dags/{ROUTER}", json={"is_paused": True})


def set_paused(e2e: E2E, dag_ids: Sequence[str], paused: bool) -> None:
    client = e2e.client()
    for dag_id in dag_ids:
        client.wait_for_dag(dag_id, timeout=WAIT)
        client.request("PATCH", f"/dags/{dag_id}", json={"is_paused": paused})


def bring_forward(e2e: E2E, post_ids: Sequence[str], lead: float) -> datetime:
    """The week passes: the approved posts move to one second ``lead`` seconds away (see the module's doc)."""
    from herald.timeutil import now_utc

    second = (now_utc() + timedelta(seconds=lead)).replace(microsecond=0)
    moved = 0
    with e2e.db.engine.begin() as conn:
        for post_id in post_ids:  # the request moves with it: dispatch checks the lead time again (CON-10)
            row = conn.execute(sa.text("SELECT publish_at FROM posts WHERE post_id = :p AND state = 'approved'"),
                               {"p": post_id}).one_or_none()
            if row is not None:
                moved += conn.execute(sa.text(
                    "UPDATE posts SET publish_at = :at, requested_at = requested_at - :shift WHERE post_id = :p"),
                    {"at": second, "shift": row.publish_at - second, "p": post_id}).rowcount
    assert moved == len(post_ids), "every post must be approved before its week passes"
    return second


# --- what happened ------------------------------------------------------------------------------------------------


def ledger_counts(e2e: E2E, post_ids: Sequence[str]) -> dict[str, int]:
    """Publications per post in the fakes' own ledger (Weibo keys a share by its user and text)."""
    rows = [e2e.db.fetch_one("posts/post", post_id=p) for p in post_ids]
    uid_of = {a.account_id: a.uid for a in e2e.accounts}
    post_of = {(uid_of[r["account_id"]], r["body"]): r["post_id"] for r in rows}
    counts = dict.fromkeys(post_ids, 0)
    for entry in e2e.fake.publications(platform="weibo"):
        post_id = post_of.get((entry["account"], entry["post_ref"]))
        if post_id is not None:
            counts[post_id] += 1
    return counts


def states(e2e: E2E, post_ids: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for post_id in post_ids:
        state = e2e.db.fetch_one("posts/post", post_id=post_id)["state"]
        found[state] = found.get(state, 0) + 1
    return found


def all_published(e2e: E2E, post_ids: Sequence[str]) -> bool:
    return states(e2e, post_ids) == {"published": len(post_ids)}


def items_of(e2e: E2E, post_ids: Sequence[str]) -> dict[str, str]:
    """post id -> its published item id (one row each, or the check fails)."""
    with e2e.db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT post_id, item_id FROM published_items WHERE post_id IN :ids")
                            .bindparams(sa.bindparam("ids", expanding=True)), {"ids": list(post_ids)}).all()
    assert len(rows) == len({r.post_id for r in rows}), "a post with more than one published item"
    return {r.post_id: r.item_id for r in rows}


def archived(e2e: E2E, item_ids: Sequence[str]) -> dict[str, str]:
    """item id -> its bundle path in the archive index."""
    with e2e.db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT item_id, bundle_path FROM archive_index WHERE item_id IN :ids")
                            .bindparams(sa.bindparam("ids", expanding=True)), {"ids": list(item_ids)}).all()
    return {r.item_id: r.bundle_path for r in rows}


def dispatch_tasks(e2e: E2E, state: Sequence[str]) -> list[dict]:
    """``dispatch_second`` task instances of any run in one of the states."""
    params = {"state": list(state), "limit": 100}
    found = e2e.client().request("GET", "/dags/herald_dispatch/dagRuns/~/taskInstances", params=params)
    return [t for t in found.get("task_instances", []) if t["task_id"] == "dispatch_second"]


def celery_active(broker_url: str) -> dict[str, list[dict]]:
    """Celery node -> the tasks it runs now (``celery inspect active`` through the broker)."""
    from celery import Celery

    app = Celery(broker=broker_url)
    try:
        return app.control.inspect(timeout=2.0).active() or {}
    finally:
        app.close()
