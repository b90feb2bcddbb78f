"""The audit pack's run ledger (issue 14, item 5): Herald's pipeline ledger matched against Airflow's run history.

Plain functions first (herald.audit.run_history), then the snapshot in Herald's database on both engines, the
group pack's tables and tie-outs, the REST client's paging and its failures (a closed port, no connection), and
last the REST client against a real Airflow api-server started here on its own SQLite metadata database.
"""

from __future__ import annotations

import json
import os
import random
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from herald.audit import run_history as rh
from herald.audit.build import AuditWindow, build_group_pack
from herald.ledger import LedgerEntry, TaskRun, record
from herald.timeutil import shanghai_midnight_utc

REPO = Path(__file__).resolve().parents[1]
YEAR = 2026
START, END = shanghai_midnight_utc(date(YEAR, 1, 1)), shanghai_midnight_utc(date(YEAR + 1, 1, 1))
CUTOFF = shanghai_midnight_utc(date(YEAR + 1, 1, 15))
FETCHED = rh.Fetch(rh.FETCHED, "", rh.API_CALL, rh.LEDGER_DAG_IDS, 0)


def at(month: int, day: int, hour: int = 6, minute: int = 0, year: int = YEAR) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def herald(dag: str, run: str, started: datetime, *, failed: int = 0, tasks: int = 1) -> rh.HeraldRun:
    return rh.HeraldRun(dag, run, started, started + timedelta(minutes=1), tasks, tasks, failed, f"L-{run}")


def airflow(dag: str, run: str, started: datetime | None, state: str = "success", *,
            run_after: datetime | None = None) -> rh.AirflowRun:
    return rh.AirflowRun(dag, run, state, "scheduled", run_after or started, run_after or started, started,
                         started + timedelta(minutes=2) if started and state in ("success", "failed") else None)


def match(h, a, fetch=FETCHED, cutoff=CUTOFF):
    return rh.match_runs(h, a, year_start=START, year_end=END, cutoff=cutoff, fetch=fetch)


# ------------------------------------------------------------------------------------------------ matching

def test_each_kind_of_agreement_and_disagreement_is_named_with_counts():
    reg, cad, arc = "herald_registry_check", "herald_cadence_scan", "herald_archive_sweep"
    herald_side = [
        herald(reg, "scheduled__1", at(3, 1)),                    # both, success
        herald(cad, "scheduled__2", at(3, 2), failed=1),          # both, failed
        herald(reg, "scheduled__3", at(3, 3)),                    # Airflow says failed
        herald(cad, "scheduled__4", at(3, 4), failed=1),          # Airflow says success
        herald(reg, "scheduled__5", at(3, 5)),                    # Airflow still running
        herald(arc, "manual__6", at(3, 6)),                       # Airflow lost it
        herald(rh.CLI_DAG_ID, "manual__2026-03-07", at(3, 7)),    # the command line: never in Airflow
    ]
    airflow_side = [
        airflow(reg, "scheduled__1", at(3, 1)), airflow(cad, "scheduled__2", at(3, 2), "failed"),
        airflow(reg, "scheduled__3", at(3, 3), "failed"), airflow(cad, "scheduled__4", at(3, 4)),
        airflow(reg, "scheduled__5", at(3, 5), "running"),
        airflow(arc, "scheduled__8", at(3, 8), "failed"),          # Herald never heard of it
    ]
    result = match(herald_side, airflow_side)
    got = {(r.dag_id, r.run_id): r.match for r in result.rows}
    assert got == {
        (reg, "scheduled__1"): "matched", (cad, "scheduled__2"): "matched", (reg, "scheduled__3"): "state_differs",
        (cad, "scheduled__4"): "state_differs", (reg, "scheduled__5"): "state_differs", (arc, "manual__6"): "herald_only",
        (rh.CLI_DAG_ID, "manual__2026-03-07"): "outside_airflow", (arc, "scheduled__8"): "airflow_only"}
    assert result.counts == {"matched": 2, "herald_only": 1, "airflow_only": 1, "state_differs": 3,
                             "outside_airflow": 1, "unverified": 0, "herald_runs": 6, "airflow_runs": 6, "cli_runs": 1}
    reasons = {r.run_id: r.reason for r in result.rows}
    assert reasons["scheduled__1"] == "" and "运行中" in reasons["scheduled__5"]
    assert "失败的任务未写台账" in reasons["scheduled__3"] and "1 个任务最后一次尝试失败" in reasons["scheduled__4"]
    assert "没有该运行的任何任务记录" in reasons["scheduled__8"] and "Airflow 运行历史中没有该运行" in reasons["manual__6"]
    assert [r.run_id for r in result.rows][:2] == ["scheduled__1", "scheduled__2"]  # by start


def test_the_same_histories_in_any_order_give_the_same_table():
    herald_side = [herald("herald_registry_check", f"r{i}", at(1 + i % 12, 1 + i % 28, i % 24)) for i in range(200)]
    airflow_side = [airflow("herald_registry_check", f"r{i}", at(1 + i % 12, 1 + i % 28, i % 24)) for i in range(50, 260)]
    first = match(herald_side, airflow_side)
    rng = random.Random(7)
    rng.shuffle(herald_side)
    rng.shuffle(airflow_side)
    assert match(herald_side, airflow_side) == first
    assert (first.counts["matched"], first.counts["herald_only"], first.counts["airflow_only"]) == (150, 50, 60)


def test_only_runs_that_began_in_the_shanghai_year_and_by_the_cutoff_count():
    reg = "herald_registry_check"
    before_year = START - timedelta(seconds=1)  # 2025-12-31 15:59:59 UTC: still 2025 in Shanghai
    straddling = END - timedelta(seconds=2)     # began in Airflow in the year, ledger row after its end
    after_cutoff = at(11, 1)
    result = match(
        [herald(reg, "before", before_year), herald(reg, "edge", END + timedelta(seconds=3)),
         herald(reg, "late", after_cutoff), herald(reg, "first", START)],
        [airflow(reg, "before", before_year), airflow(reg, "edge", straddling), airflow(reg, "late", after_cutoff),
         airflow(reg, "first", START), airflow(reg, "queued", None, "queued", run_after=at(10, 1))],
        cutoff=at(10, 15))
    assert {(r.run_id, r.match) for r in result.rows} == {("first", "matched"), ("queued", "airflow_only")}
    # At the year's edge Airflow's start decides: the run belongs to the year, once, although its ledger row is later.
    edge = match([herald(reg, "edge", END + timedelta(seconds=3)), herald(reg, "next", END)],
                 [airflow(reg, "edge", straddling), airflow(reg, "next", END)])
    assert [(r.run_id, r.match) for r in edge.rows] == [("edge", "matched")]


def test_an_unverified_history_lists_herald_runs_with_the_reason_and_ignores_airflow():
    fetch = rh.Fetch(rh.UNAVAILABLE, "无法连接 Airflow API 服务器（http://127.0.0.1:9）：ConnectionError", rh.API_CALL, (), 0)
    result = match([herald("herald_registry_check", "a", at(2, 1)), herald(rh.CLI_DAG_ID, "m", at(2, 2))],
                   [airflow("herald_registry_check", "b", at(2, 3))], fetch=fetch)
    assert [(r.run_id, r.match, r.reason) for r in result.rows] == [
        ("a", "unverified", fetch.reason), ("m", "outside_airflow", "")]
    assert result.counts["airflow_runs"] == 0 and result.counts["herald_runs"] == 1


def test_api_records_are_read_as_utc_and_naive_times_are_refused():
    record = {"dag_id": "herald_cadence_scan", "dag_run_id": "scheduled__x", "state": "success", "run_type": "scheduled",
              "logical_date": None, "run_after": "2026-03-01T23:00:00Z", "start_date": "2026-03-02T07:00:05+08:00",
              "end_date": None}
    run = rh.AirflowRun.from_api(record)
    assert run.run_after_at == datetime(2026, 3, 1, 23, tzinfo=UTC) and run.started_at == datetime(2026, 3, 1, 23, 0, 5, tzinfo=UTC)
    assert run.logical_at is None and run.began_at == run.started_at
    with pytest.raises(ValueError):
        rh.AirflowRun.from_api({**record, "run_after": "2026-03-01T23:00:00"})


def test_a_finding_leads_to_the_try_that_first_detected_it():
    def tri(ledger_id, task, started, minutes=3):
        return {"ledger_id": ledger_id, "dag_id": "herald_cadence_scan", "task_id": task, "run_id": f"run-{ledger_id}",
                "started_at": started, "finished_at": started + timedelta(minutes=minutes)}

    tries = [tri("L1", "scan_weekly", at(3, 1, 7)), tri("L2", "scan_weekly", at(3, 8, 7)),
             tri("L3", "scan_standing", at(3, 8, 7)), tri("L4", "scan_weekly", at(3, 8, 7, 1))]
    findings = [
        {"finding_id": "F1", "detected_by": "herald_cadence_scan.scan_weekly", "first_detected_at": at(3, 1, 7) - timedelta(seconds=1)},
        {"finding_id": "F2", "detected_by": "herald_cadence_scan.scan_weekly", "first_detected_at": at(3, 8, 7, 2)},
        {"finding_id": "F3", "detected_by": "herald_cadence_scan.scan_standing", "first_detected_at": at(3, 8, 7, 1)},
        {"finding_id": "F4", "detected_by": "herald_cli.audit_world", "first_detected_at": at(3, 8, 7, 1)},
        {"finding_id": "F5", "detected_by": "herald_cadence_scan.scan_weekly", "first_detected_at": at(3, 1, 6)},
    ]
    found = {k: v["ledger_id"] for k, v in rh.finding_runs(findings, tries).items()}
    assert found == {"F1": "L1", "F2": "L4", "F3": "L3"}  # F2: both L2 and L4 were running; the later one


def test_the_ledger_dag_list_is_the_dags_whose_tasks_write_the_ledger():
    writers, others = set(), set()
    for path in sorted((REPO / "dags").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        ids = set(re.findall(r'dag_id="([a-z_]+)"', text))
        (writers if "task_run(context)" in text else others).update(ids)
    assert writers == set(rh.LEDGER_DAG_IDS)
    assert "herald_dispatch" in others and not others & writers


# ------------------------------------------------------------------------------------- the stored snapshot

def _ledger(db, dag: str, run: str, started: datetime, *, status: str = "success", task: str = "t", try_number: int = 1,
            row_counts: dict | None = None) -> None:
    with db.transaction() as tx:
        record(tx, TaskRun(dag, run, task, try_number), LedgerEntry(inputs={"as_of": started.isoformat()},
                                                                     row_counts=row_counts or {"rows": 1}),
               status=status, started_at=started, finished_at=started + timedelta(minutes=1))


def _api_record(dag: str, run: str, started: datetime, state: str = "success") -> dict:
    return {"dag_id": dag, "dag_run_id": run, "state": state, "run_type": "scheduled", "logical_date": started.isoformat(),
            "run_after": started.isoformat(), "start_date": started.isoformat(),
            "end_date": (started + timedelta(minutes=2)).isoformat()}


def _store(db, records, now=CUTOFF):
    from_at, to_at = rh.fetch_range(START, END, CUTOFF)
    return rh.store_history(db, YEAR, CUTOFF, records, dag_ids=rh.LEDGER_DAG_IDS, from_at=from_at, to_at=to_at,
                            source=rh.API_CALL, now=now)


def _read(db):
    with db.transaction() as tx:
        return rh.read_match(tx, YEAR, START, END, CUTOFF)


def test_the_snapshot_is_stored_per_window_and_replaced_whole(any_db):
    reg = "herald_registry_check"
    _ledger(any_db, reg, "r1", at(4, 1))
    _ledger(any_db, reg, "r2", at(4, 2), status="failed")
    _ledger(any_db, reg, "r2", at(4, 2, 7), try_number=2)          # retried: the last try decides
    _ledger(any_db, reg, "r3", at(4, 3), status="failed")
    _ledger(any_db, rh.CLI_DAG_ID, "manual__x", at(4, 4))
    assert _read(any_db).fetch == rh.NOT_FETCHED and _read(any_db).counts["unverified"] == 3

    assert _store(any_db, [_api_record(reg, "r1", at(4, 1)), _api_record(reg, "r2", at(4, 2)),
                           _api_record(reg, "r3", at(4, 3), "failed"), _api_record(reg, "r9", at(4, 9), "failed")]) == 4
    result = _read(any_db)
    assert result.fetch.verified and result.fetch.run_count == 4
    assert {r.run_id: r.match for r in result.rows} == {"r1": "matched", "r2": "matched", "r3": "matched",
                                                         "r9": "airflow_only", "manual__x": "outside_airflow"}
    r2 = next(r for r in result.rows if r.run_id == "r2")
    assert (r2.herald.tasks, r2.herald.tries, r2.herald.status) == (1, 2, "success")

    # A fetch that fails halfway leaves the earlier snapshot whole (one transaction).
    def broken():
        yield _api_record(reg, "r1", at(4, 1))
        raise ConnectionError("api-server went away")

    with pytest.raises(ConnectionError):
        _store(any_db, broken())
    assert _read(any_db) == result
    # An unreachable api-server later does not replace a snapshot that was read.
    from_at, to_at = rh.fetch_range(START, END, CUTOFF)
    assert not rh.store_unavailable(any_db, YEAR, CUTOFF, "无法连接", dag_ids=(), from_at=from_at, to_at=to_at,
                                    source=rh.API_CALL, now=CUTOFF)
    assert _read(any_db) == result
    # Another window (a later cutoff) has no snapshot yet.
    with any_db.transaction() as tx:
        assert rh.read_match(tx, YEAR, START, END, CUTOFF + timedelta(days=1)).fetch == rh.NOT_FETCHED


def test_an_unreachable_api_server_is_recorded_as_unverified_and_the_pack_says_so(pg_db):
    from builders import small_org
    from herald_airflow.airflow_api import AirflowApi, fetch_run_history

    small_org(pg_db)
    _ledger(pg_db, "herald_registry_check", "r1", at(4, 1))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens once the socket is closed
    api = AirflowApi(f"http://127.0.0.1:{closed}", "auditor", "secret", timeout=5)
    outcome = fetch_run_history(pg_db, YEAR, START, END, CUTOFF, now=CUTOFF, api=api)
    assert outcome["status"] == rh.UNAVAILABLE and "无法连接 Airflow API 服务器" in outcome["reason"]
    assert set(rh.LEDGER_DAG_IDS) <= set(outcome["dag_ids"]) and rh.CLI_DAG_ID not in outcome["dag_ids"]

    pack = build_group_pack(pg_db, AuditWindow(YEAR, CUTOFF), gate=False)
    table = next(t for t in pack.tables if t.key == "run_ledger")
    assert [(r[1], r[3]) for r in table.rows] == [("r1", "未核对")]
    assert table.note.startswith("未核对：无法连接 Airflow API 服务器")
    assert pack.summary["run_ledger"].startswith("未核对（无法连接") and not any("Airflow" in t.name for t in pack.tieouts)


def test_a_missing_connection_is_unverified_not_a_failure(sqlite_db, monkeypatch):
    from herald_airflow.airflow_api import fetch_run_history

    monkeypatch.delenv("AIRFLOW_CONN_HERALD_AIRFLOW_API", raising=False)
    outcome = fetch_run_history(sqlite_db, YEAR, START, END, CUTOFF, now=CUTOFF)
    assert (outcome["status"], outcome["reason"]) == (rh.UNAVAILABLE, "未配置 Airflow API 连接 herald_airflow_api")


def test_the_group_pack_lists_the_match_names_failed_tieouts_and_leads_from_findings_to_runs(pg_db):
    from builders import insert, small_org

    small_org(pg_db)
    reg = "herald_registry_check"
    _ledger(pg_db, reg, "r1", at(4, 1), task="check", row_counts={"accounts_checked": 7})
    _ledger(pg_db, reg, "r2", at(4, 2), task="check")
    insert(pg_db, "findings", finding_id="F-1", rule_id="ACC-3", subject_type="account", subject_id="WX-GROUP",
           period="2026-04-01", severity="medium", summary="备案信息不全", evidence="{}", state="open",
           detected_by=f"{reg}.check", first_detected_at=at(4, 1) - timedelta(seconds=1), last_detected_at=at(4, 1))
    _store(pg_db, [_api_record(reg, "r1", at(4, 1)), _api_record(reg, "r3", at(4, 3), "failed")])
    pack = build_group_pack(pg_db, AuditWindow(YEAR, CUTOFF), gate=False)
    table = next(t for t in pack.tables if t.key == "run_ledger")
    keys = [c.key for c in table.columns]
    assert [(r[keys.index("run_id")], r[keys.index("match_label")]) for r in table.rows] == [
        ("r1", "一致"), ("r2", "仅 Herald 有记录"), ("r3", "仅 Airflow 有记录")]
    assert table.control_totals["rows"] == 3 and table.control_totals["matched"] == 1
    assert table.source == "sql/audit/ledger_run_keys.sql; sql/audit/airflow_runs.sql"
    failed = {t.name: (t.left_value, t.right_value) for t in pack.tieouts if not t.ok}
    assert failed == {"Herald 运行台账中的运行 = 与 Airflow 运行历史一致的运行": (2, 1),
                      "Airflow 运行历史中的运行 = 与 Herald 运行台账一致的运行": (2, 1)}
    assert pack.status == "draft"
    assert pack.summary["run_ledger"] == "一致 1；仅 Herald 有记录 1；仅 Airflow 有记录 1"

    # From the finding to the run, its inputs and its counts.
    runs = next(t for t in pack.tables if t.key == "finding_runs")
    row = dict(zip([c.key for c in runs.columns], runs.rows[0], strict=True))
    assert (row["finding_id"], row["has_run"], row["dag_id"], row["run_id"], row["task_id"]) == ("F-1", True, reg, "r1", "check")
    assert json.loads(row["row_counts"]) == {"accounts_checked": 7} and "as_of" in json.loads(row["inputs"])
    ledger = next(t for t in pack.tables if t.key == "pipeline_runs")
    assert row["ledger_id"] in {r[0] for r in ledger.rows}

    # Matching Airflow's history run for run: the tie-outs agree, and the same data gives an equal pack.
    _store(pg_db, [_api_record(reg, "r1", at(4, 1)), _api_record(reg, "r2", at(4, 2))])
    agreed = build_group_pack(pg_db, AuditWindow(YEAR, CUTOFF), gate=False)
    assert all(t.ok for t in agreed.tieouts) and agreed.summary["run_ledger"] == "一致 2"
    assert build_group_pack(pg_db, AuditWindow(YEAR, CUTOFF), gate=False) == agreed


# ------------------------------------------------------------------------------ a real Airflow api-server

AIRFLOW = str(Path(sys.executable).parent / "airflow")
USER, PASSWORD = "herald-auditor", "audit-secret-1"
SEED = """
import sys
from datetime import datetime, timedelta, UTC
from airflow.models.dag import DagModel
from airflow.models.dagbundle import DagBundleModel
from airflow.models.dagrun import DagRun
from airflow.utils.session import create_session
from airflow.utils.state import DagRunState
from airflow.utils.types import DagRunType

base = datetime(2026, 3, 1, 22, tzinfo=UTC)
with create_session() as session:
    session.add(DagBundleModel(name="dags-folder"))
    session.flush()
    for dag_id in ("herald_registry_check", "herald_cadence_scan", "herald_dispatch"):
        session.add(DagModel(dag_id=dag_id, bundle_name="dags-folder", fileloc="/dev/null"))
    session.flush()
    n = 0
    def add(dag_id, run_id, run_after, state, manual=False):
        global n
        n += 1
        session.add(DagRun(dag_id=dag_id, run_id=run_id, run_type=DagRunType.MANUAL if manual else DagRunType.SCHEDULED,
                           logical_date=None if manual else run_after, run_after=run_after,
                           start_date=run_after + timedelta(seconds=5), state=state))
    for day in range(250):  # more than two pages of each ledger DAG
        add("herald_registry_check", f"scheduled__r{day:03d}", base + timedelta(days=day), DagRunState.SUCCESS)
    for i in range(120):  # 120 runs at one instant: keyset paging must go on by offset within it
        add("herald_cadence_scan", f"manual__same{i:03d}", base + timedelta(days=10, hours=1), DagRunState.FAILED,
            manual=True)
    for minute in range(150):  # the every-minute DAG: never asked for
        add("herald_dispatch", f"scheduled__m{minute:03d}", base + timedelta(minutes=minute), DagRunState.SUCCESS)
    add("herald_registry_check", "scheduled__outside", datetime(2025, 6, 1, tzinfo=UTC), DagRunState.SUCCESS)
print(n)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    """Airflow's api-server alone, on a fresh SQLite metadata database seeded with DAG runs through Airflow's ORM."""
    home = tmp_path_factory.mktemp("airflow-api-home")
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({USER: PASSWORD}))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "HERALD"))}
    env.update({
        "AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:viewer",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__API_AUTH__JWT_SECRET": "test-secret-" + "x" * 32, "AIRFLOW__API__PORT": str(port),
    })
    (home / "dags").mkdir()
    (home / "plugins").mkdir()
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    seeded = subprocess.run([sys.executable, "-c", SEED], env=env, check=True, capture_output=True, text=True, timeout=300)
    from stack import port_is_listening, stop_process_groups

    with open(home / "api-server.log", "w") as log:
        server = subprocess.Popen([AIRFLOW, "api-server", "--port", str(port), "--host", "127.0.0.1", "--workers", "1"],
                                  env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            import requests

            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 240
            while True:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((home / "api-server.log").read_text()[-3000:])
                try:
                    if requests.get(f"{url}/api/v2/monitor/health", timeout=5).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                time.sleep(1)
            yield url, int(seeded.stdout.strip().splitlines()[-1])
        finally:
            assert stop_process_groups([server], grace=5) == []
            assert not port_is_listening(port)


@pytest.mark.slow
def test_the_client_reads_the_ledger_dags_runs_page_by_page_from_a_real_api_server(api_server, sqlite_db):
    from herald_airflow.airflow_api import AirflowApi, AirflowApiError, fetch_run_history

    url, seeded = api_server
    assert seeded == 250 + 120 + 150 + 1
    api = AirflowApi(url, USER, PASSWORD)
    year_start, year_end = START, END
    calls = []
    request = api.request

    def counting(method, path, **kwargs):
        calls.append(kwargs.get("json", {}).get("page_offset"))
        return request(method, path, **kwargs)

    api.request = counting
    runs = list(api.dag_runs(["herald_registry_check", "herald_cadence_scan"], year_start, year_end, page_size=50))
    keys = [(r["dag_id"], r["dag_run_id"]) for r in runs]
    assert len(keys) == len(set(keys)) == 250 + 120  # every run once; none outside the year, no dispatch run
    assert [r["run_after"] for r in runs] == sorted(r["run_after"] for r in runs)
    assert max(calls) > 0 and len(calls) <= (250 + 120) // 50 + 4  # keyset pages, offsets only within the one instant

    # Into Herald's database and matched against the ledger.
    _ledger(sqlite_db, "herald_registry_check", "scheduled__r000", datetime(2026, 3, 1, 22, 0, 5, tzinfo=UTC))
    _ledger(sqlite_db, "herald_registry_check", "scheduled__ghost", datetime(2026, 3, 1, 23, tzinfo=UTC))
    outcome = fetch_run_history(sqlite_db, YEAR, START, END, CUTOFF, now=CUTOFF, api=AirflowApi(url, USER, PASSWORD))
    assert outcome["status"] == rh.FETCHED and outcome["runs"] == 370
    result = _read(sqlite_db)
    assert result.fetch.source == f"{rh.API_CALL}（{url}）"
    assert (result.counts["matched"], result.counts["herald_only"], result.counts["airflow_only"]) == (1, 1, 369)

    # A wrong password is refused by Airflow and recorded as such, keeping the snapshot read before.
    wrong = fetch_run_history(sqlite_db, YEAR, START, END, CUTOFF, now=CUTOFF, api=AirflowApi(url, USER, "wrong"))
    assert wrong["status"] == "kept_earlier" and "HTTP 401" in wrong["reason"]
    with pytest.raises(AirflowApiError):
        list(AirflowApi(url, USER, "wrong").dag_runs(["herald_cadence_scan"], year_start, year_end))
