"""The HA Celery stack end to end (issue 16): ``make stack``'s stack with a world of many Weibo accounts.

:func:`e2e_stack` starts the stack exactly as ``make stack`` does (:func:`herald_dev.stack.start_stack`:
docker-compose.yaml's configuration in Airflow's HA setup, api-server, two schedulers, the dag-processor,
two triggerers, two Celery workers, beside the fake platforms, the local inbox and an S3 object store as
processes of their own), on a scratch state folder, scratch databases, free ports and a Redis of its own
(so a test can restart the broker). It adds ``N`` group-level Weibo accounts (one fake Weibo user and one
Airflow connection each) and seeds Herald's database with ``dispatch_org`` and those accounts.

People act through the doors only: schedulers queue releases through ``POST /herald/releases`` as
themselves, the supervising leader approves through ``POST /herald/posts/{id}/decisions`` or answers the
human-in-the-loop request of ``herald_post_approval``. One thing is not done through a door: CON-10 refuses
a request less than a week ahead (001 art.12.2), and dispatch checks it again before sending, so releases
are queued for next week and their approved posts are then moved, with their request time, to a second
about two minutes away in Herald's database (:func:`bring_forward`), which stands in for the week passing.
The publish time is not content (``content_hash``), so the approvals stand, as they would after the week.

The fakes' own ledger (``GET /_fake/publications`` of the fake platforms' process) is the truth of what was
published: :func:`ledger_counts` counts its entries per post.
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

from herald_dev.stack import WeiboAccount

SAFE = "herald.example.com"
SCHEDULERS = {"zhou.yunying": "author2", "li.xinxi": "author"}  # login -> person: both draft for the group
APPROVER = "wu.zhuguan"  # 吴主管, the supervising leader: the one step of a group account's chain (000)
AUDITOR = "auditor"  # an Airflow Viewer: reads, never triggers
ROUTER = "herald_approval_router"
WAIT = 600  # seconds: two slow shared cores run the whole stack
OVERRIDES = {
    # A killed worker's task is failed (and retried) after this long without a heartbeat (default 300 s).
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "60",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "10",
    # Triggers of a dead triggerer go to the other one after this long (default 30 s).
    "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "30",
    # A task whose Celery message a broker restart lost is queued again after this long (default 600 s).
    "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "120",
}


def e2e_accounts(count: int) -> list[WeiboAccount]:
    return [WeiboAccount(f"WB-E2E-{i:04d}", f"e2e-token-{i:04d}", str(7_000_000_000 + i), (SAFE,))
            for i in range(count)]


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


class FakeControl:
    """The fake platforms' process through its control door (``/_fake/...``)."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def _call(self, method: str, path: str, **kwargs) -> dict:
        response = requests.request(method, f"{self.base_url}/_fake/{path}", timeout=60, **kwargs)
        response.raise_for_status()
        return response.json()

    def publications(self, **filters: str) -> list[dict]:
        return self._call("GET", "publications", params=filters)["publications"]

    def inject(self, kind: str, **options) -> None:
        self._call("POST", "faults", json={"kind": kind, **options})

    def configure(self, **fields) -> None:
        self._call("POST", "config", json=fields)


@dataclass
class E2E:
    """A running stack (its state folder), Herald's database, the fakes' control door and the people's passwords."""

    state_dir: Path
    db: object  # herald.db.Database
    fake: FakeControl
    accounts: list[WeiboAccount]
    passwords: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)  # processes crashed on purpose and not yet restarted

    @property
    def state(self) -> dict:
        from herald_dev.stack import read_state

        return read_state(self.state_dir)

    @property
    def api_url(self) -> str:
        return self.state["api_url"]

    @property
    def meta_url(self) -> str:
        return self.state["meta_url"]

    @property
    def broker_url(self) -> str:
        return self.state["broker_url"]

    def client(self, login: str = "admin"):
        from herald_dev.stack import ApiClient

        return ApiClient(self.api_url, login, self.passwords[login])

    def door(self, login: str) -> Door:
        return Door(self.api_url, login, self.passwords[login])

    def hitl(self, login: str):
        from herald_airflow.airflow_api import AirflowApi

        return AirflowApi(self.api_url, login, self.passwords[login])

    def worker_names(self) -> dict[str, str]:
        """Celery node name -> the stack's process name."""
        return {r["celery_name"]: r["name"] for r in self.state["processes"] if r["celery_name"]}

    def record(self, name: str) -> dict:
        return next(r for r in self.state["processes"] if r["name"] == name)

    def crash(self, name: str) -> None:
        """SIGKILL a process and everything it started, as a machine crash would."""
        from herald_dev.stack import crash

        crash(self.state_dir, name)
        self.down.add(name)

    def restart(self, name: str) -> None:
        from herald_dev.stack import restart

        restart(self.state_dir, name, say=lambda message: print(f"[stack-e2e] {message}", flush=True))
        self.down.discard(name)

    def check_alive(self) -> None:
        from herald_dev.stack import StackError, _record_alive

        for record in self.state["processes"]:
            if record["name"] not in self.down and not _record_alive(record):
                raise StackError(f"{record['name']} exited:\n{self.log_tail(record['name'])}")

    def log_tail(self, name: str, lines: int = 25) -> str:
        from herald_dev.stack import _tail

        return _tail(Path(self.state["log_dir"]) / f"{name}.log", lines)

    def diagnostics(self) -> str:
        return "\n".join(f"--- {r['name']}\n{self.log_tail(r['name'])}" for r in self.state["processes"] if r["service"])


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


@contextmanager
def e2e_stack(name: str, posts: int, *, state_dir: Path | None = None) -> Iterator[E2E]:
    """``make stack``'s stack on a scratch state folder, databases, ports and Redis, with ``posts`` Weibo
    accounts; stopped (nothing left) and removed afterwards, unless ``HERALD_STACK_KEEP`` keeps its logs."""
    from herald.db import Database
    from herald_dev.local_env import ensure_env_file
    from herald_dev.stack import free_port, read_env_file, read_state, start_stack, stop_stack

    started = time.monotonic()
    accounts = e2e_accounts(posts)
    workdir = state_dir or Path(tempfile.mkdtemp(prefix=f"herald-stack-{name}-"))
    env_file = workdir / "env"
    ensure_env_file(env_file)
    tag = f"herald_test_{os.getpid()}_{name}"
    state = start_stack(workdir, env_file=env_file, api_port=free_port(), meta_db=f"{tag}_meta",
                        herald_db=f"{tag}_herald", own_redis=True, scratch=True, weibo_accounts=accounts,
                        extra_env=OVERRIDES, users={**dict.fromkeys(SCHEDULERS, "User"), APPROVER: "User", AUDITOR: "Viewer"},
                        say=lambda message: print(f"[stack-e2e] {message}", flush=True))
    db = None
    try:
        db = Database(state["herald_url"])
        seed_world(db, accounts)
        passwords = {**json.loads((workdir / "passwords.json").read_text(encoding="utf-8")),
                     "admin": read_env_file(env_file)["AIRFLOW_ADMIN_PASSWORD"]}
        fake = FakeControl(state["fake_url"])
        fake.configure(latency_ms=50)
        e2e = E2E(workdir, db, fake, accounts, passwords)
        e2e.timings["stack_start_s"] = round(time.monotonic() - started, 1)
        yield e2e
    finally:
        try:
            if read_state(workdir) is not None:
                stop_stack(workdir, grace=10, say=lambda message: print(f"[stack-e2e] {message}", flush=True))
        finally:
            if db is not None:
                db.dispose()
            if os.environ.get("HERALD_STACK_KEEP"):
                print(f"e2e stack {name}: logs kept in {workdir}")
            elif state_dir is None:
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


def approve_through_door(e2e: E2E, post_ids: Sequence[str], parallel: int = 4) -> None:
    """The leader reads each post and approves its content hash; a few requests in flight at once, as a
    browser keeps them (the api-server's worker answers them in turn)."""
    from concurrent.futures import ThreadPoolExecutor

    doors = [e2e.door(APPROVER) for _ in range(parallel)]

    def approve(numbered: tuple[int, str]) -> None:
        door = doors[numbered[0] % parallel]
        status = door.call("GET", f"/posts/{numbered[1]}", 200)
        decided = door.call("POST", f"/posts/{numbered[1]}/decisions", 200,
                            json={"decision": "approved", "content_hash": status["content_hash"]})
        assert decided, numbered[1]

    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(approve, enumerate(post_ids)))


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

        wait_for(awaiting, WAIT, f"the approval request of {post_id}", e2e, interval=3)
        api.respond_hitl(APPROVAL_DAG_ID, run_id, APPROVAL_TASK_ID, ["批准"], {"reason": "同意发布"})
    wait_for(lambda: all(post_status(e2e.db, p)["state"] == "approved" for p in post_ids), WAIT,
             "the answered posts approved", e2e, interval=3)
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


# --- the runs both test modules make ------------------------------------------------------------------------------

DISPATCH_DAGS = ("herald_dispatch", "herald_dispatch_reconcile", "herald_archive_published")


def say(message: str) -> None:
    print(f"[stack-e2e] {message}", flush=True)


def approved_release(e2e: E2E, tag: str, accounts: Sequence[WeiboAccount], hitl: int = 0) -> list[str]:
    """Both schedulers queue half of ``accounts`` each; all approved (the last ``hitl`` in Airflow)."""
    half = max(1, len(accounts) // 2)
    logins = list(SCHEDULERS)
    post_ids = queue_release(e2e, logins[0], accounts[:half], f"{tag}a")
    if accounts[half:]:
        post_ids += queue_release(e2e, logins[1], accounts[half:], f"{tag}b")
    approve_through_door(e2e, post_ids[:len(post_ids) - hitl])
    if hitl:
        approve_through_hitl(e2e, post_ids[-hitl:])
    assert states(e2e, post_ids) == {"approved": len(post_ids)}
    return post_ids


def exactly_once(e2e: E2E, post_ids: Sequence[str], second: datetime) -> None:
    """Every post published, each exactly once in the fakes' ledger, with one published item."""
    from herald.timeutil import now_utc

    wait_for(lambda: all_published(e2e, post_ids), (second - now_utc()).total_seconds() + WAIT,
             f"all {len(post_ids)} posts published", e2e, interval=2)
    time.sleep(5)  # a duplicate, if any, would arrive with the next planning or reconcile pass
    counts = ledger_counts(e2e, post_ids)
    assert {p: c for p, c in counts.items() if c != 1} == {}, "each post exactly once in the fakes' ledger"
    assert len(items_of(e2e, post_ids)) == len(post_ids)


def scheduled_scan(e2e: E2E) -> dict:
    """Unpause the cadence scan: its latest scheduled run is created, judges the completed weeks of the
    accounts (opened 2025, nothing published before this run: PUB-5 findings) and sends the digests to the
    people responsible through the local inbox's mail server and robots."""
    client = e2e.client()
    client.wait_for_dag("herald_cadence_scan", timeout=WAIT)
    client.request("PATCH", "/dags/herald_cadence_scan", json={"is_paused": False})
    run = wait_for(lambda: client.request("GET", "/dags/herald_cadence_scan/dagRuns")["dag_runs"], WAIT,
                   "the cadence scan's scheduled run", e2e, interval=3)[0]
    finished = client.wait_for_run("herald_cadence_scan", run["dag_run_id"], timeout=WAIT)
    client.request("PATCH", "/dags/herald_cadence_scan", json={"is_paused": True})  # (a paused DAG's runs wait)
    return finished


def audit_pack(e2e: E2E, year: int) -> list:
    """``herald_audit_pack`` for ``year`` with the cutoff now; the packs it wrote (group and accounts)."""
    from herald.audit.render import list_packs
    from herald.timeutil import now_utc
    from herald_dev.stack import airflow_environment, read_env_file

    client = e2e.client()
    client.wait_for_dag("herald_audit_pack", timeout=WAIT)
    cutoff = now_utc().replace(microsecond=0)
    run = client.trigger("herald_audit_pack", {"year": year, "cutoff": cutoff.isoformat()})
    # Unpausing creates the latest scheduled run too (last January's run: the pack of the year before), and the
    # scheduler may start it at once; the DAG runs one at a time, so that run is set aside (failed, said so).
    # (Pausing the DAG instead would hold this run too.)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for other in client.request("GET", "/dags/herald_audit_pack/dagRuns")["dag_runs"]:
            if other["run_type"] == "scheduled" and other["state"] in ("queued", "running"):
                client.request("PATCH", f"/dags/herald_audit_pack/dagRuns/{other['dag_run_id']}", json={"state": "failed"})
                say(f"set aside the scheduled run {other['dag_run_id']} that unpausing herald_audit_pack started")
        time.sleep(2)
    client.wait_for_run("herald_audit_pack", run, timeout=2 * WAIT + 3 * len(e2e.accounts))  # a pack per account
    client.request("PATCH", "/dags/herald_audit_pack", json={"is_paused": True})
    state = e2e.state
    root = Path(airflow_environment(state, read_env_file(Path(state["env_file"])))["HERALD_PACK_ROOT"])
    return [p for p in list_packs(root, year) if p.cutoff == cutoff]


def inbox_messages(e2e: E2E) -> list[Path]:
    folder = Path(e2e.state["inbox_dir"])
    return sorted(folder.glob("[0-9]*-*")) if folder.is_dir() else []


def run_end_to_end(e2e: E2E, *, hitl: int, pack: bool = True) -> list[str]:
    """Item 2 of issue 16 on the stack: queue and approve through the doors, dispatch in one second (exactly
    once per the fakes' ledger), archive (one bundle per item), the scheduled cadence scan delivering its
    digests, and the audit pack passing its gate (each account's pack counts its published post)."""
    from herald.timeutil import local_day, now_utc

    started = time.monotonic()
    post_ids = approved_release(e2e, "e2e", e2e.accounts, hitl=hitl)
    e2e.timings["queue_and_approve_s"] = round(time.monotonic() - started, 1)
    if hitl:
        decisions = {d["via"] for p in post_ids[-hitl:] for d in e2e.door(APPROVER).call("GET", f"/posts/{p}", 200)["decisions"]}
        assert decisions == {"hitl"}

    set_paused(e2e, DISPATCH_DAGS, False)
    second = bring_forward(e2e, post_ids, lead=110)
    exactly_once(e2e, post_ids, second)
    e2e.timings["published_after_second_s"] = round((now_utc() - second).total_seconds(), 1)

    items = items_of(e2e, post_ids)
    bundles = wait_for(lambda: (found := archived(e2e, list(items.values()))) and len(found) == len(items) and found,
                       WAIT, "every published item archived", e2e, interval=3)
    assert len(set(bundles.values())) == len(items), "one bundle per item"
    e2e.timings["archived_after_second_s"] = round((now_utc() - second).total_seconds(), 1)

    before = len(inbox_messages(e2e))
    scan = scheduled_scan(e2e)
    delivered = len(inbox_messages(e2e)) - before
    say(f"scheduled cadence scan {scan['dag_run_id']}: {delivered} digest messages in the local inbox")
    assert delivered > 0, "the scan's findings reach the people responsible"
    e2e.timings["scanned_after_second_s"] = round((now_utc() - second).total_seconds(), 1)

    if pack:
        year = local_day(second).year
        packs = audit_pack(e2e, year)
        group = [p for p in packs if p.account_id is None]
        assert len(group) == 1 and group[0].status == "final" and group[0].quality_passed, group
        published = {a.account_id for a in e2e.accounts}
        counted = {p.account_id: _pack_items(p) for p in packs if p.account_id in published}
        assert counted == dict.fromkeys(published, 1), "each account's pack counts its one published post"
        e2e.timings["pack_after_second_s"] = round((now_utc() - second).total_seconds(), 1)
    e2e.timings["end_to_end_s"] = round(time.monotonic() - started, 1)
    return post_ids


def _pack_items(entry) -> int:
    figures = json.loads((entry.folder / "data" / "pack.json").read_text(encoding="utf-8"))
    return figures["summary"]["items"]
