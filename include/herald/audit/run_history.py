"""The audit pack's run ledger (issue 14, item 5): Herald's pipeline ledger matched against Airflow's run history.

Herald keeps a ledger row per task try (``pipeline_ledger``); Airflow keeps a record per DAG run. Both are summed
up per run (DAG id and run id) and matched:

- ``matched`` (一致): both know the run and agree on its outcome;
- ``herald_only`` (仅 Herald 有记录): Herald's ledger has the run, Airflow's history does not (cleaned by
  ``airflow db clean``, a different Airflow, or a ledger row written under a made-up run id);
- ``airflow_only`` (仅 Airflow 有记录): Airflow ran it, Herald recorded nothing (the run failed before a task
  wrote its ledger row, or it wrote into another database);
- ``state_differs`` (状态不一致): both know it, the outcomes differ (a task failed after the ledger said success, or
  the run was still going when the history was read);
- ``outside_airflow`` (命令行运行): runs of the command line (``herald_cli``), which Airflow never sees;
- ``unverified`` (未核对): Airflow's history could not be read (no connection, api-server unreachable): Herald's
  runs are listed with the reason instead of failing the pack.

Only the DAGs that write Herald's ledger matter (``LEDGER_DAG_IDS``, plus any other DAG seen in the ledger): the
every-minute dispatch DAG writes none and is never fetched. The history is read once per audit window by the audit
pack DAG, page by page (``herald_airflow.airflow_api.AirflowApi.dag_runs``), into Herald's database in one
transaction (``sql/migrations/0013_airflow_run_history.sql``), and every pack of the window reads that snapshot:
memory stays flat while fetching and a rebuild with the same year and cutoff reads the same history.

Which year a run belongs to: its start in Airflow (``run_after`` while it has not started), else its first ledger
row. A run counts if that time is inside the Shanghai calendar year and not after the cutoff; both sides are read
with a one-day margin around the year, so a run straddling the year's edge lands on one side only.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from herald.db import Database, Transaction
from herald.timeutil import require_aware

# The DAGs whose tasks write Herald's pipeline ledger (dags/*.py calling herald_airflow.context.task_run; checked by
# tests/test_audit_run_history.py). herald_dispatch, the approval DAGs and herald_audit_pack write none.
LEDGER_DAG_IDS = ("herald_archive_published", "herald_archive_sweep", "herald_archive_verify", "herald_cadence_scan",
                  "herald_complaints", "herald_registry_check", "herald_unauthorised_accounts")
CLI_DAG_ID = "herald_cli"  # herald.ledger.TaskRun.manual: runs of the command line, unknown to Airflow
MARGIN = timedelta(days=1)
# A finding's first_detected_at is the ``now`` its scan took just before its ledger try started.
DETECTION_SLACK = timedelta(minutes=2)

MATCH_ZH = {"matched": "一致", "herald_only": "仅 Herald 有记录", "airflow_only": "仅 Airflow 有记录",
            "state_differs": "状态不一致", "outside_airflow": "命令行运行（不经 Airflow，无需核对）", "unverified": "未核对"}
MATCH_ORDER = tuple(MATCH_ZH)
STATE_ZH = {"success": "成功", "failed": "失败", "running": "运行中", "queued": "排队中"}
FETCHED, UNAVAILABLE = "fetched", "unavailable"
API_CALL = "POST /api/v2/dags/~/dagRuns/list"


@dataclass(frozen=True)
class HeraldRun:
    """One pipeline run as Herald's ledger has it (``sql/audit/ledger_run_keys.sql``)."""

    dag_id: str
    run_id: str
    first_started_at: datetime
    last_finished_at: datetime
    tasks: int
    tries: int
    failed_tasks: int  # tasks whose last try failed
    first_ledger_id: str = ""

    @property
    def status(self) -> str:
        return "failed" if self.failed_tasks else "success"

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> HeraldRun:
        return cls(row["dag_id"], row["run_id"], require_aware(row["first_started_at"], "first_started_at"),
                   require_aware(row["last_finished_at"], "last_finished_at"), int(row["tasks"]), int(row["tries"]),
                   int(row["failed_tasks"] or 0), row.get("first_ledger_id") or "")


@dataclass(frozen=True)
class AirflowRun:
    """One DAG run as Airflow's REST API (``DAGRunResponse``) or the stored snapshot has it."""

    dag_id: str
    run_id: str
    state: str
    run_type: str
    logical_at: datetime | None
    run_after_at: datetime
    started_at: datetime | None
    ended_at: datetime | None

    @classmethod
    def from_api(cls, record: Mapping[str, Any]) -> AirflowRun:
        return cls(str(record["dag_id"]), str(record["dag_run_id"]), str(record["state"]), str(record.get("run_type") or ""),
                   _instant(record.get("logical_date"), "logical_date"), _instant(record["run_after"], "run_after"),
                   _instant(record.get("start_date"), "start_date"), _instant(record.get("end_date"), "end_date"))

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> AirflowRun:
        return cls(row["dag_id"], row["run_id"], row["state"], row["run_type"], row["logical_at"], row["run_after_at"],
                   row["started_at"], row["ended_at"])

    def as_row(self, fetch_id: str) -> tuple[Any, ...]:
        return (fetch_id, self.dag_id, self.run_id, self.state, self.run_type, self.logical_at, self.run_after_at,
                self.started_at, self.ended_at)

    @property
    def began_at(self) -> datetime:
        return self.started_at or self.run_after_at


def _instant(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return require_aware(value, name).astimezone(UTC)
    text = str(value)
    return require_aware(datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text), name).astimezone(UTC)


@dataclass(frozen=True)
class MatchedRun:
    dag_id: str
    run_id: str
    match: str  # a key of MATCH_ZH
    herald: HeraldRun | None
    airflow: AirflowRun | None
    reason: str  # Chinese: why it is not 一致 ("" when it is)

    @property
    def began_at(self) -> datetime:
        if self.airflow is not None:
            return self.airflow.began_at
        assert self.herald is not None
        return self.herald.first_started_at


@dataclass(frozen=True)
class Fetch:
    """What an audit window's fetch of Airflow's history came to (``airflow_run_fetches``)."""

    status: str  # FETCHED or UNAVAILABLE
    reason: str  # Chinese, "" when fetched
    source: str
    dag_ids: tuple[str, ...]
    run_count: int

    @property
    def verified(self) -> bool:
        return self.status == FETCHED


NOT_FETCHED = Fetch(UNAVAILABLE, "本审计窗口尚未读取 Airflow 运行历史（审计包流水线的“读取Airflow运行历史”任务未运行）", "", (), 0)


@dataclass(frozen=True)
class RunMatch:
    rows: tuple[MatchedRun, ...]
    counts: dict[str, int]  # per match key (all keys present), plus herald_runs, airflow_runs, cli_runs
    fetch: Fetch


# ------------------------------------------------------------------------------------------------ the window

def fetch_id(year: int, cutoff: datetime) -> str:
    """The key of an audit window's snapshot: the year and the cutoff in UTC."""
    return f"{year}/{require_aware(cutoff, 'cutoff').astimezone(UTC).isoformat()}"


def fetch_range(year_start: datetime, year_end: datetime, cutoff: datetime) -> tuple[datetime, datetime]:
    """The range [from, to) both sides are read in: the year up to the cutoff, widened by the margin."""
    return year_start - MARGIN, min(year_end, cutoff) + MARGIN


def _counts(year_start: datetime, year_end: datetime, cutoff: datetime, at: datetime) -> bool:
    return year_start <= at < year_end and at <= cutoff


# ---------------------------------------------------------------------------------------------- the matching

def compare(herald: HeraldRun, airflow: AirflowRun) -> tuple[str, str]:
    """The match and the reason for one run both sides know."""
    if airflow.state == herald.status:
        return "matched", ""
    h, a = STATE_ZH.get(herald.status, herald.status), STATE_ZH.get(airflow.state, airflow.state)
    if airflow.state in ("queued", "running"):
        return "state_differs", f"读取历史时 Airflow 中该运行仍为“{a}”；Herald 台账：{h}"
    if herald.status == "success":
        return "state_differs", f"Airflow 记录运行{a}，Herald 台账中各任务最后一次尝试均成功（失败的任务未写台账）"
    return "state_differs", f"Airflow 记录运行{a}，Herald 台账中有 {herald.failed_tasks} 个任务最后一次尝试失败"


def match_runs(herald_runs: Iterable[HeraldRun], airflow_runs: Iterable[AirflowRun], *, year_start: datetime,
               year_end: datetime, cutoff: datetime, fetch: Fetch) -> RunMatch:
    """Match the two histories run by run; only runs that began in the year and by the cutoff are kept.

    When ``fetch`` is not verified, Airflow's side is ignored and every Herald run is ``unverified`` (CLI runs stay
    ``outside_airflow``). Rows come sorted by start, DAG and run id, so equal inputs give equal tables.
    """
    year_start, year_end, cutoff = (require_aware(t, n) for t, n in
                                    ((year_start, "year_start"), (year_end, "year_end"), (cutoff, "cutoff")))
    herald = {(r.dag_id, r.run_id): r for r in herald_runs}
    airflow = {(r.dag_id, r.run_id): r for r in airflow_runs} if fetch.verified else {}
    rows = []
    for key in herald.keys() | airflow.keys():
        h, a = herald.get(key), airflow.get(key)
        if h is not None and h.dag_id == CLI_DAG_ID:
            match, reason = "outside_airflow", ""
        elif not fetch.verified:
            match, reason = "unverified", fetch.reason
        elif h is None:
            match, reason = "airflow_only", f"Airflow 中运行{STATE_ZH.get(a.state, a.state)}，Herald 台账中没有该运行的任何任务记录"
        elif a is None:
            match, reason = "herald_only", "Airflow 运行历史中没有该运行（可能已被清理，或台账写自其他 Airflow 环境）"
        else:
            match, reason = compare(h, a)
        row = MatchedRun(key[0], key[1], match, h, a, reason)
        if _counts(year_start, year_end, cutoff, row.began_at):
            rows.append(row)
    rows.sort(key=lambda r: (r.began_at, r.dag_id, r.run_id))
    by_match = Counter(r.match for r in rows)
    counts = {m: by_match[m] for m in MATCH_ORDER}
    counts["herald_runs"] = sum(1 for r in rows if r.herald is not None and r.match != "outside_airflow")
    counts["airflow_runs"] = sum(1 for r in rows if r.airflow is not None)
    counts["cli_runs"] = by_match["outside_airflow"]
    return RunMatch(tuple(rows), counts, fetch)


def finding_runs(findings: Iterable[Mapping[str, Any]], tries: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """finding_id -> the ledger try that first detected it: a successful try of the finding's detector
    (``<dag_id>.<task_id>``) running when it was first detected (started at most ``DETECTION_SLACK`` after, since
    the scan takes its ``now`` just before the try starts); the latest such try when several overlap. Findings
    recorded with an explicit as-of time (the command line's ``--as-of``) may have none."""
    by_detector: dict[str, list[Mapping[str, Any]]] = {}
    for t in tries:
        by_detector.setdefault(f"{t['dag_id']}.{t['task_id']}", []).append(t)
    out = {}
    for f in findings:
        detected = f["first_detected_at"]
        best = None
        for t in by_detector.get(f["detected_by"], ()):
            if t["started_at"] - DETECTION_SLACK <= detected <= t["finished_at"] and (
                    best is None or (t["started_at"], t["ledger_id"]) > (best["started_at"], best["ledger_id"])):
                best = t
        if best is not None:
            out[f["finding_id"]] = best
    return out


# -------------------------------------------------------------------------------------------- the snapshot

def dag_ids_to_fetch(db: Database, year_start: datetime, year_end: datetime, cutoff: datetime) -> tuple[str, ...]:
    """The ledger-writing DAGs plus any other DAG found in the window's ledger (never the command line)."""
    from_at, to_at = fetch_range(year_start, year_end, cutoff)
    with db.transaction() as tx:
        seen = {r["dag_id"] for r in tx.fetch("audit/ledger_dag_ids", from_at=from_at, to_at=to_at, cutoff=cutoff)}
    return tuple(sorted((seen | set(LEDGER_DAG_IDS)) - {CLI_DAG_ID}))


def store_history(db: Database, year: int, cutoff: datetime, runs: Iterable[AirflowRun | Mapping[str, Any]], *,
                  dag_ids: Sequence[str], from_at: datetime, to_at: datetime, source: str, now: datetime) -> int:
    """Replace the window's snapshot with ``runs`` (API records or ``AirflowRun``), streamed in one transaction:
    if reading the history fails halfway, the earlier snapshot stays as it was. Returns the runs stored."""
    key = fetch_id(year, cutoff)
    with db.transaction() as tx:
        _clear(tx, key)
        _insert_fetch(tx, key, year, cutoff, FETCHED, "", source, dag_ids, from_at, to_at, now)
        rows = ((r if isinstance(r, AirflowRun) else AirflowRun.from_api(r)).as_row(key) for r in runs)
        count = tx.copy_rows("audit/airflow_runs_copy", "audit/airflow_runs_insert", rows,
                             ("fetch_id", "dag_id", "run_id", "state", "run_type", "logical_at", "run_after_at",
                              "started_at", "ended_at"))
        tx.execute("audit/airflow_fetch_set_count", fetch_id=key, run_count=count)
    return count


def store_unavailable(db: Database, year: int, cutoff: datetime, reason: str, *, dag_ids: Sequence[str],
                      from_at: datetime, to_at: datetime, source: str, now: datetime) -> bool:
    """Record that the history could not be read, unless an earlier fetch of the window succeeded (that snapshot
    stays, so a rebuild while the api-server is down gives the same pack). Returns whether it was recorded."""
    key = fetch_id(year, cutoff)
    with db.transaction() as tx:
        earlier = tx.fetch_one("audit/airflow_fetch", fetch_id=key)
        if earlier is not None and earlier["status"] == FETCHED:
            return False
        _clear(tx, key)
        _insert_fetch(tx, key, year, cutoff, UNAVAILABLE, reason, source, dag_ids, from_at, to_at, now)
    return True


def _clear(tx: Transaction, key: str) -> None:
    tx.execute("audit/airflow_fetch_clear_runs", fetch_id=key)
    tx.execute("audit/airflow_fetch_clear", fetch_id=key)


def _insert_fetch(tx: Transaction, key: str, year: int, cutoff: datetime, status: str, reason: str, source: str,
                  dag_ids: Sequence[str], from_at: datetime, to_at: datetime, now: datetime) -> None:
    tx.execute("audit/airflow_fetch_insert", fetch_id=key, year=year, cutoff_at=require_aware(cutoff, "cutoff"),
               status=status, reason=reason, source=source, dag_ids=json.dumps(sorted(dag_ids)),
               from_at=require_aware(from_at, "from_at"), to_at=require_aware(to_at, "to_at"), run_count=0,
               fetched_at=require_aware(now, "now"))


def read_match(tx: Transaction, year: int, year_start: datetime, year_end: datetime, cutoff: datetime) -> RunMatch:
    """The window's run ledger: Herald's ledger runs matched against the stored snapshot of Airflow's history."""
    from_at, to_at = fetch_range(year_start, year_end, cutoff)
    herald = [HeraldRun.from_row(r) for r in tx.fetch("audit/ledger_run_keys", from_at=from_at, to_at=to_at, cutoff=cutoff)]
    key = fetch_id(year, cutoff)
    row = tx.fetch_one("audit/airflow_fetch", fetch_id=key)
    if row is None:
        fetch, airflow = NOT_FETCHED, []
    else:
        fetch = Fetch(row["status"], row["reason"], row["source"], tuple(json.loads(row["dag_ids"])), int(row["run_count"]))
        airflow = [AirflowRun.from_row(r) for r in tx.fetch("audit/airflow_runs", fetch_id=key)] if fetch.verified else []
    return match_runs(herald, airflow, year_start=year_start, year_end=year_end, cutoff=cutoff, fetch=fetch)
