"""``make soak MINUTES=N``: keep the HA Celery stack busy for N minutes, then report how it held up (issue 16, item 5).

Uses the stack recorded in the state folder (``make stack WORLD=1``), or starts one there with the demo world and
stops it again at the end, so the stack is left as it was found. For N minutes, once a cycle (``--cycle``, 30 s):

- a release through the HTTP door (``POST /herald/releases`` as a scheduler of the demo world, due in eight days:
  the door keeps CON-10's lead time on the wall clock), each post approved along its chain through the door
  (``POST /herald/posts/{id}/decisions`` as each step's approver, signed in as that person);
- a release due two minutes later on the Weibo accounts of the matrix (queued by the queue's own function with the
  clock set eight days back, as the demo's live release is, since the door allows no shorter lead), approved through
  the door the same way; ``herald_dispatch`` publishes it on the second to the fake platforms, the published-items
  asset starts ``herald_archive_published``;
- every third cycle, ``herald_cadence_scan`` (digests to the outbox only) and ``herald_archive_sweep`` by REST,
  unless a run of that DAG is still queued or running (see :func:`trigger_unless_busy` for the scheduled run
  that unpausing a DAG starts). DAGs the soak unpaused are paused again at the end.

Every ``--sample`` seconds (30) it records each component's memory (RSS of its process group and every
descendant: scheduler 1/2, triggerer 1/2, worker 1/2, api-server, dag-processor) and the size of Airflow's and
Herald's databases. At the end (after the last due posts had two minutes to publish) it reports lateness
percentiles (the fake's accepted_at minus publish_at), duplicates (publications beyond one per post in the fakes'
own ledger: must be 0), posts never published, memory over time, database growth and the DAG runs by state, and
ends with one JSON line like the benchmarks (value: p99 lateness in the second half, baseline: in the first half).
Exit status 1 when a post was published twice or never.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from herald_dev.stack import (
    ENV_FILE,
    STACK_DIR,
    ApiClient,
    StackError,
    _record_alive,
    free_port,
    read_env_file,
    read_state,
    start_stack,
    stop_stack,
)

WEIBO_ACCOUNTS = ("acct-grp-weibo", "acct-s1-weibo")  # the matrix's Weibo accounts: API publishing, no daily quota
DOOR_LEAD = timedelta(days=8)  # CON-10: a regular item needs seven days
DUE_LEAD = timedelta(seconds=120)  # beyond herald_dispatch's planning window
DRAIN = timedelta(seconds=120)  # after the last due second, for publishing and confirming
COMPONENTS = ("airflow-scheduler-1", "airflow-scheduler-2", "airflow-triggerer-1", "airflow-triggerer-2",
              "airflow-worker-1", "airflow-worker-2", "airflow-apiserver", "airflow-dag-processor")
UNPAUSED = ("herald_dispatch", "herald_archive_published")
TRIGGERED = {"herald_cadence_scan": {"deliver": False}, "herald_archive_sweep": {}}
SAFE_LINK = "https://herald.example.com/soak"


def say(message: str) -> None:
    print(f"[soak] {message}", flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# --- memory and database size -------------------------------------------------------------------


def group_rss(record: dict) -> int:
    """Bytes resident in a recorded process's group and every descendant of its leader (task processes too)."""
    import os

    import psutil

    members: dict[int, psutil.Process] = {}
    try:
        leader = psutil.Process(record["pid"])
        for process in (leader, *leader.children(recursive=True)):
            members[process.pid] = process
    except psutil.NoSuchProcess:
        return 0
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == record["pgid"]:
                members.setdefault(process.pid, process)
        except (ProcessLookupError, psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    total = 0
    for process in members.values():
        try:
            total += process.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


@dataclass
class Sampler:
    """Memory per component and database sizes every ``interval`` seconds, in a thread of its own."""

    state: dict
    interval: float
    samples: list[dict[str, Any]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def sizes(self) -> dict[str, int]:
        from herald.db import Database

        db = Database(self.state["admin_url"])
        try:
            return {name: db.fetch_one("soak/database_size", name=name)["bytes"]
                    for name in (self.state["meta_db"], self.state["herald_db"])}
        finally:
            db.dispose()

    def sample(self) -> None:
        records = {r["name"]: r for r in self.state["processes"]}
        row: dict[str, Any] = {"t": time.time(),
                               "rss": {name: group_rss(records[name]) if name in records else 0 for name in COMPONENTS}}
        row["db"] = self.sizes()
        self.samples.append(row)

    def run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> Sampler:
        self.sample()
        self._thread = threading.Thread(target=self.run, name="soak-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        self.sample()


# --- the HTTP door --------------------------------------------------------------------------------


class Door:
    """Herald's HTTP door on the api-server, one signed-in session per person (``POST /auth/token``)."""

    def __init__(self, base_url: str, passwords: dict[str, str], db):
        self.base_url = base_url
        self.passwords = passwords
        self.db = db
        self.sessions: dict[str, Any] = {}
        self.calls = 0
        self.refusals: list[str] = []

    def session(self, login: str):
        if login not in self.sessions:
            if login not in self.passwords:
                raise StackError(f"no password for {login!r}: the stack's Airflow users lack the demo world's people")
            self.sessions[login] = ApiClient(self.base_url, login, self.passwords[login]).session
        return self.sessions[login]

    def login_of(self, person_id: str) -> str:
        row = self.db.fetch_one("soak/login_of_person", person_id=person_id)
        if not row or not row["login"]:
            raise StackError(f"person {person_id} has no Airflow login")
        return row["login"]

    def call(self, login: str, method: str, path: str, body: dict | None = None) -> dict:
        response = self.session(login).request(method, f"{self.base_url}/herald{path}", json=body, timeout=60)
        self.calls += 1
        if response.status_code >= 400:
            self.refusals.append(f"{method} {path}: {response.status_code} {response.text[:300]}")
            raise StackError(self.refusals[-1])
        return response.json()

    def approve_all(self, post_ids: list[str]) -> int:
        """Each post's chain, step by step, by the first holder of the step's role who has not signed it yet."""
        from herald.posts.approval import progress, role_holders
        from herald.timeutil import local_day, now_utc

        decisions = 0
        for post_id in post_ids:
            while True:
                with self.db.transaction() as tx:
                    post = tx.fetch_one("posts/post", post_id=post_id)
                    chain = progress(post, tx.fetch("posts/approvals", post_id=post_id))
                    if chain.next_role is None:
                        break
                    signed = {post["author_id"]} | {a["approver_id"] for a in chain.approved}
                    holders = [h["person_id"] for h in role_holders(tx, post["account_id"], chain.next_role,
                                                                    local_day(now_utc())) if h["person_id"] not in signed]
                if not holders:
                    raise StackError(f"post {post_id}: nobody can approve step {chain.next_step} ({chain.next_role})")
                shown = self.call(self.login_of(holders[0]), "GET", f"/posts/{post_id}")
                self.call(self.login_of(holders[0]), "POST", f"/posts/{post_id}/decisions",
                          {"decision": "approved", "content_hash": shown["content_hash"]})
                decisions += 1
        return decisions


def release_fields(number: int, publish_at: datetime, category: str) -> dict[str, Any]:
    body = f"集团新能源项目建设进展第{number}期：本周完成设备安装调试，详见 {SAFE_LINK}/{number}"
    return {"title": None, "body": body, "category": category, "source": "集团新闻中心", "publish_at": publish_at.isoformat()}


def queue_due_release(db, author: str, number: int, publish_at: datetime, category: str) -> list[str]:
    """A release due at ``publish_at`` on the Weibo accounts, queued as of eight days before (the lead time holds)."""
    from herald.posts.model import ReleaseRequest
    from herald.posts.queue import queue_release

    release = ReleaseRequest(WEIBO_ACCOUNTS, {"author_id": author, **release_fields(number, publish_at, category)}, {})
    _, post_ids = queue_release(db, release, now=publish_at - DOOR_LEAD)
    return post_ids


# --- the run ------------------------------------------------------------------------------------------


def ensure_stack(state_dir: Path, redis_db: int | None) -> tuple[dict, bool]:
    """The running stack of ``state_dir``, or one started there with the demo world: (state, started here)."""
    state = read_state(state_dir)
    if state and all(_record_alive(r) for r in state["processes"]):
        say(f"using the running stack of {state_dir} ({state['api_url']})")
        return state, False
    if state:
        raise StackError(f"{state_dir}: a stack is recorded but not all of it runs: `make stack-down` first")
    say(f"no stack in {state_dir}: starting one with the demo world (stopped again at the end) ...")
    kwargs: dict[str, Any] = {"world": True, "say": lambda m: say(f"stack: {m}")}
    if redis_db is not None:
        kwargs["redis_db"] = redis_db
    if state_dir.resolve() != STACK_DIR.resolve():  # a scratch folder: scratch databases and a free port
        tag = f"herald_soak_{state_dir.resolve().name.replace('-', '_')}"
        kwargs.update(meta_db=f"{tag}_meta", herald_db=f"{tag}_herald", scratch=True, api_port=free_port())
    return start_stack(state_dir, **kwargs), True


def trigger_unless_busy(client: ApiClient, dag_id: str, conf: dict, run_id: str) -> bool:
    """Start a manual run unless one of the DAG's runs is queued or running (a scan at a time, no pile-up).

    A DAG the soak unpauses schedules its latest interval at once; for the cadence scan that run delivers its
    digests to the stack's local inbox, and the soak's own runs wait for it (max_active_runs=1)."""
    path = f"/dags/{dag_id}/dagRuns"
    client.request("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
    busy = bool(client.request("GET", path, params={"state": ["queued", "running"]})["dag_runs"])
    if not busy:
        client.request("POST", path, json={"dag_run_id": run_id, "logical_date": None, "conf": conf})
    return not busy


def dag_run_states(client: ApiClient, since: datetime) -> dict[str, dict[str, Any]]:
    """Per DAG: runs by state since ``since`` (manual and scheduled), and the seconds of those that succeeded."""
    counts: dict[str, dict[str, Any]] = {}
    for dag_id in (*UNPAUSED, *TRIGGERED):
        runs = client.request("GET", f"/dags/{dag_id}/dagRuns", params={"run_after_gte": since.isoformat(), "limit": 1000})
        seconds = []
        for run in runs.get("dag_runs", []):
            counts.setdefault(dag_id, {}).setdefault(run["state"], 0)
            counts[dag_id][run["state"]] += 1
            if run["state"] == "success" and run.get("start_date") and run.get("end_date"):
                seconds.append((datetime.fromisoformat(run["end_date"]) - datetime.fromisoformat(run["start_date"])).total_seconds())
        if seconds:
            counts[dag_id]["median_s"] = round(statistics.median(seconds), 1)
    return counts


def soak(state: dict, minutes: float, cycle: float, sample_every: float) -> dict[str, Any]:
    import requests

    import herald_dev  # noqa: F401  (dev/sql: the soak's statements)
    from herald.db import Database
    from herald.policy import load_policy
    from herald.timeutil import now_utc
    from herald_dev.world.live import _author

    state_dir = Path(state["state_dir"])
    passwords = json.loads((state_dir / "passwords.json").read_text(encoding="utf-8"))
    admin = ApiClient(state["api_url"], "admin", read_env_file(ENV_FILE)["AIRFLOW_ADMIN_PASSWORD"])
    db = Database(state["herald_url"])
    door = Door(state["api_url"], passwords, db)
    category = next(iter(load_policy("000").content.categories))
    author_id = _author(db, WEIBO_ACCOUNTS, now_utc())
    author = door.login_of(author_id)
    started = now_utc()
    deadline = time.monotonic() + minutes * 60
    # Left as found: each DAG the soak unpauses is paused again at the end if it was paused before.
    was_paused = {dag_id: admin.request("GET", f"/dags/{dag_id}")["is_paused"] for dag_id in (*UNPAUSED, *TRIGGERED)}
    for dag_id in UNPAUSED:
        admin.request("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
    due: dict[str, datetime] = {}  # post id -> publish_at
    posts_of: dict[str, list[str]] = {}  # body text -> the release's post ids (Weibo's ledger keys by text)
    door_posts: list[str] = []
    decisions = cycles = 0
    triggered: dict[str, int] = {}
    run_tag = started.strftime("%Y%m%dT%H%M%S")
    say(f"soaking for {minutes:g} minutes: a cycle every {cycle:.0f} s, memory every {sample_every:.0f} s")
    with Sampler(state, sample_every) as sampler:
        while time.monotonic() < deadline:
            began = time.monotonic()
            cycles += 1
            now = now_utc()
            number = int(now.timestamp())
            # 1. through the door, due in eight days, approved through the door
            door_release = door.call(author, "POST", "/releases", {
                "account_ids": list(WEIBO_ACCOUNTS),
                "base": release_fields(number, (now + DOOR_LEAD).replace(microsecond=0), category)})
            door_posts += door_release["post_ids"]
            decisions += door.approve_all(door_release["post_ids"])
            # 2. due in two minutes (unless that falls after the end), approved through the door
            publish_at = (now + DUE_LEAD).replace(microsecond=0)
            if time.monotonic() + DUE_LEAD.total_seconds() < deadline:
                post_ids = queue_due_release(db, author_id, number + 1, publish_at, category)
                decisions += door.approve_all(post_ids)
                for post_id in post_ids:
                    due[post_id] = publish_at
                    posts_of.setdefault(db.fetch_one("posts/post", post_id=post_id)["body"], []).append(post_id)
            # 3. scans and the archive sweep, every third cycle
            if cycles % 3 == 1:
                for dag_id, conf in TRIGGERED.items():
                    if trigger_unless_busy(admin, dag_id, conf, f"soak-{run_tag}-{cycles}"):
                        triggered[dag_id] = triggered.get(dag_id, 0) + 1
            say(f"cycle {cycles}: {len(door_posts)} posts queued through the door, {len(due)} due, {decisions} decisions "
                f"through the door")
            time.sleep(max(0.0, cycle - (time.monotonic() - began)))
        last_due = max(due.values(), default=now_utc())
        say(f"stopped queueing; waiting up to {DRAIN.seconds} s after the last due second for publishing ...")
        ledger: list[dict] = []
        while now_utc() < last_due + DRAIN:
            ledger = requests.get(f"{state['fake_url']}/_fake/publications", params={"platform": "weibo"},
                                  timeout=30).json()["publications"]
            if len({(e["post_ref"], e["account"]) for e in ledger if e["post_ref"] in posts_of}) >= len(due):
                break
            time.sleep(5)
        published_states = {p: db.fetch_one("posts/post", post_id=p)["state"] for p in due}
    runs = dag_run_states(admin, started)
    for dag_id, paused in was_paused.items():
        if paused:
            admin.request("PATCH", f"/dags/{dag_id}", json={"is_paused": True})
    db.dispose()
    # A release's posts share their text: the ledger tells them apart by the Weibo user (one per account).
    first: dict[tuple[str, str], float] = {}
    copies: dict[tuple[str, str], int] = {}
    for entry in ledger:
        if entry["post_ref"] not in posts_of:
            continue
        key = (entry["post_ref"], entry["account"])
        copies[key] = copies.get(key, 0) + 1
        publish_at = due[posts_of[entry["post_ref"]][0]]
        first.setdefault(key, (datetime.fromisoformat(entry["accepted_at"]) - publish_at).total_seconds())
    never = sum(max(0, len(ids) - len({a for body, a in first if body == text})) for text, ids in posts_of.items())
    return {"started": started, "minutes": minutes, "cycles": cycles, "due": due, "lateness": first,
            "duplicates": sum(n - 1 for n in copies.values()), "never": never,
            "publish_at": {text: due[ids[0]] for text, ids in posts_of.items()},
            "states": published_states, "door_posts": len(door_posts), "decisions": decisions,
            "door_calls": door.calls, "samples": sampler.samples, "runs": runs, "meta_db": state["meta_db"],
            "herald_db": state["herald_db"]}


def report(result: dict[str, Any]) -> dict[str, Any]:
    late = result["lateness"]
    values = list(late.values())
    mib = 1024 * 1024
    print(f"soak: {result['minutes']:g} minutes, {result['cycles']} cycles; {result['door_posts']} posts queued through "
          f"the HTTP door and {result['decisions']} approvals through it ({result['door_calls']} door calls)")
    if values:
        print(f"  lateness (fake accepted_at - publish_at), {len(values)} of {len(result['due'])} due posts: "
              f"p50 {statistics.median(values):.3f} s, p95 {percentile(values, 95):.3f} s, p99 {percentile(values, 99):.3f} s, "
              f"max {max(values):.3f} s")
    states: dict[str, int] = {}
    for value in result["states"].values():
        states[value] = states.get(value, 0) + 1
    print(f"  duplicates (publications beyond one per post, fakes' ledger): {result['duplicates']}; never published: "
          f"{result['never']}; post states: {states}")
    samples = result["samples"]
    t0 = samples[0]["t"]
    short = {c: c.replace("airflow-", "").replace("scheduler", "sched").replace("triggerer", "trig") for c in COMPONENTS}
    print("  memory (RSS of each process group and its descendants, MiB):")
    print("    " + f"{'min':>5} " + " ".join(f"{short[c]:>12}" for c in COMPONENTS) + f" {'total':>7}")
    step = max(1, len(samples) // 12)
    shown = samples[::step] + ([samples[-1]] if (len(samples) - 1) % step else [])
    for row in shown:
        print("    " + f"{(row['t'] - t0) / 60:5.1f} " + " ".join(f"{row['rss'][c] / mib:12.0f}" for c in COMPONENTS)
              + f" {sum(row['rss'].values()) / mib:7.0f}")
    growth = {c: (samples[-1]["rss"][c] - samples[0]["rss"][c]) / mib for c in COMPONENTS}
    db_start, db_end = samples[0]["db"], samples[-1]["db"]
    print("  databases: " + "; ".join(f"{name} {db_start[name] / mib:.1f} -> {db_end[name] / mib:.1f} MiB "
                                       f"(+{(db_end[name] - db_start[name]) / mib:.2f})" for name in db_start))
    print("  DAG runs since the start: " + "; ".join(f"{dag}: {counts}" for dag, counts in result["runs"].items()))
    ordered = sorted(late.items(), key=lambda item: result["publish_at"][item[0][0]])
    half = len(ordered) // 2
    early = [v for _, v in ordered[:half]] or values or [0.0]
    later = [v for _, v in ordered[half:]] or values or [0.0]
    record = {
        "bench": "soak", "metric": "p99_lateness_s_second_half", "value": round(percentile(later, 99), 6),
        "baseline": round(percentile(early, 99), 6), "ratio": round(percentile(later, 99) / percentile(early, 99), 4)
        if percentile(early, 99) else None, "unit": "s",
        "minutes": result["minutes"], "posts_due": len(result["due"]), "published": len(values),
        "p50": round(statistics.median(values), 4) if values else None,
        "p95": round(percentile(values, 95), 4) if values else None,
        "p99": round(percentile(values, 99), 4) if values else None,
        "duplicates": result["duplicates"], "never_published": result["never"],
        "door_posts": result["door_posts"], "door_decisions": result["decisions"],
        "rss_mib_end": {c: round(samples[-1]["rss"][c] / mib, 1) for c in COMPONENTS},
        "rss_mib_growth": {c: round(v, 1) for c, v in growth.items()},
        "db_growth_mib": {name: round((db_end[name] - db_start[name]) / mib, 3) for name in db_start},
        "dag_runs": result["runs"],
    }
    print(json.dumps(record, ensure_ascii=False))
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m herald_dev.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--state-dir", type=Path, default=STACK_DIR,
                        help="the stack's state folder (make stack's by default); a stack is started there if none runs")
    parser.add_argument("--redis-db", type=int, help="the broker's Redis database when the soak starts the stack")
    parser.add_argument("--cycle", type=float, default=30.0, help="seconds between releases")
    parser.add_argument("--sample", type=float, default=30.0, help="seconds between memory samples")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.cycle <= 0 or args.sample <= 0:
        parser.error("--minutes, --cycle and --sample must be positive")
    state_dir = args.state_dir.resolve()
    try:
        state, started_here = ensure_stack(state_dir, args.redis_db)
    except StackError as error:
        print(f"[soak] {error}", file=sys.stderr, flush=True)
        return 1
    try:
        result = soak(state, args.minutes, args.cycle, args.sample)
    finally:
        if started_here:
            say("stopping the stack this soak started ...")
            stop_stack(state_dir, say=lambda m: say(f"stack: {m}"))
    record = report(result)
    return 0 if record["duplicates"] == 0 and record["never_published"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
