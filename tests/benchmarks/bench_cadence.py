"""Cadence scan (PUB-5) on the scale world: 10,000 accounts, 1 M and 10 M log rows over 2025.

Measured in one process, on one PostgreSQL database (``herald_bench_<pid>_cadence``, dropped at the end):

- project, steady state: the yearly PUB-5 scan as the pipeline runs it, end to end from the database
  (``herald.cadence.scan.scan_weekly`` over the ISO weeks of 2025, judging from the presence the daily
  runs keep current as week bits, one row per account and block of weeks, setting the judgement against
  what the last scan recorded, writing the findings that changed, with the ledger, committed);
- project, every finding composed again (``full=True``): what a scan of weeks not yet recorded costs (a
  new database, findings cleared) — every lapse's summary and evidence composed and compared;
- project, reconciliation: a full scan rebuilding ``cadence_presence`` from every raw log row first;
- project, daily run: one scheduled interval (its rescan window of 4 weeks recounted, then judged);
- naive: pandas, reading the log with ``read_sql`` and looping over accounts (groupby), then over
  each account's expected weeks, comparing ISO week labels — how a first version is written;
- limit: a NumPy bitmap over (account, week) built from columns already in memory, with the same
  opening / closing rules (the scale world has no suspensions): no database, no findings written.

All engines must find the same (account, week) pairs. ``HERALD_BENCH_ROWS`` (default 10,000,000) sets the
large size, the small one is a tenth of it; ``HERALD_BENCH_ACCOUNTS`` (default 10,000) the accounts;
``HERALD_BENCH_NAIVE_FULL=1`` also runs the naive scan at the large size (otherwise it is extrapolated
linearly from the small size, and the output says so).

``HERALD_BENCH_KEEP=1`` keeps each size's database (``herald_bench_cadence_<rows>_<accounts>``) after the
run and reuses it next time instead of building the world again (minutes at 10 M rows): what scans
write (presence, week bits, lapse record, findings) is emptied first, so every run starts from the state
right after the build. Drop those databases by hand when done.

The "where the steady scan goes" line adds up the seconds of each SQL statement of one more steady scan
(in one transaction that is rolled back); it is not part of the figures.
"""

from __future__ import annotations

import functools
import io
import os
import statistics
import time
from datetime import timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa

from common import emit
from herald.cadence import weekly
from herald.cadence.scan import scan_weekly
from herald.cadence.window import ScanWindow, week_label
from herald.db import Database, Transaction, normalise_url, sql_text
from herald.ledger import TaskRun
from herald.migrate import migrate
from herald.policy import load_policy
from herald.timeutil import SHANGHAI, now_utc
from herald_dev.world.scale import build_scale_world

ADMIN_URL = os.environ.get("HERALD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
LARGE = int(os.environ.get("HERALD_BENCH_ROWS", "10000000"))
SMALL = max(1, LARGE // 10)
ACCOUNTS = int(os.environ.get("HERALD_BENCH_ACCOUNTS", "10000"))
NAIVE_FULL = os.environ.get("HERALD_BENCH_NAIVE_FULL") == "1"
KEEP = os.environ.get("HERALD_BENCH_KEEP") == "1"
SEED, YEAR = 7, 2025
AS_OF = pd.Timestamp("2026-01-15 09:00", tz=SHANGHAI).to_pydatetime()
WINDOW = ScanWindow.for_audit_year(YEAR, AS_OF)
POLICY = load_policy("000").cadence


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _median(fn, repeat: int = 3):
    runs = [_timed(fn) for _ in range(repeat)]
    return statistics.median(t for t, _ in runs), runs[-1][1]


def _open_lapses(db: Database) -> set[tuple[str, str]]:
    with db.transaction() as tx:
        return {(r["subject_id"], r["period"]) for r in tx.fetch("findings/open") if r["rule_id"] == "PUB-5"}


def _run(tag: str) -> TaskRun:
    return TaskRun(dag_id="bench_cadence", run_id=f"{tag}-{time.perf_counter_ns()}", task_id="scan_weekly")


# ---------------------------------------------------------------- reference scans


def _expected_span(accounts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """First and last judged week per account (first full week after opening, last full week before closing)."""
    epoch = np.datetime64("1970-01-01", "D")
    opened = (accounts["opened_on"].to_numpy(dtype="datetime64[D]") - epoch).astype(np.int64)
    first = (opened + 9) // 7
    closed = accounts["closed_on"]
    last = np.full(len(accounts), WINDOW.last_week, dtype=np.int64)
    has_closed = closed.notna().to_numpy()
    if has_closed.any():
        closed_days = (closed[has_closed].to_numpy(dtype="datetime64[D]") - epoch).astype(np.int64)
        last[has_closed] = (closed_days + 4) // 7 - 1
    return first, last


def load_columns(db: Database) -> dict:
    """The log as compact arrays (account code, epoch second, counted flag): the limit scan's input."""
    buffer = io.StringIO()
    with db.engine.connect() as conn:
        conn.connection.driver_connection.cursor().copy_expert(sql_text("bench/log_copy", "postgresql"), buffer)
        accounts = pd.read_sql(sa.text(sql_text("bench/accounts", "postgresql")), conn)
    buffer.seek(0)
    log = pd.read_csv(buffer, header=None, names=["account_id", "epoch", "origin", "status"],
                      dtype={"account_id": str, "epoch": np.int64, "origin": "category", "status": "category"})
    code = pd.Index(accounts["account_id"]).get_indexer(log["account_id"])
    counted = (log["origin"] != "platform_observed").to_numpy() & (log["status"] != "banned").to_numpy()
    first, last = _expected_span(accounts)
    return {"account_ids": accounts["account_id"].to_numpy(), "account": code.astype(np.int32),
            "epoch": log["epoch"].to_numpy(), "counted": counted, "first": first, "last": last}


def limit_scan(cols: dict) -> set[tuple[str, str]]:
    """The fastest scan we could write by hand: integer weeks and a boolean (account, week) bitmap."""
    w0, w1 = WINDOW.first_week, WINDOW.last_week
    week = ((cols["epoch"] + 28800) // 86400 + 3) // 7
    keep = cols["counted"] & (week >= w0) & (week <= w1)
    present = np.zeros((len(cols["account_ids"]), w1 - w0 + 1), dtype=bool)
    present[cols["account"][keep], week[keep] - w0] = True
    weeks = np.arange(w0, w1 + 1)
    expected = (weeks[None, :] >= cols["first"][:, None]) & (weeks[None, :] <= cols["last"][:, None])
    account, offset = np.nonzero(expected & ~present)
    return {(cols["account_ids"][a], week_label(int(w0 + o))) for a, o in zip(account, offset)}


def naive_scan(db: Database) -> set[tuple[str, str]]:
    """A first version: read every row with pandas, loop over accounts, then over their expected weeks."""
    with db.engine.connect() as conn:
        log = pd.read_sql(sa.text(sql_text("bench/log_rows", "postgresql")), conn)
        accounts = pd.read_sql(sa.text(sql_text("bench/accounts", "postgresql")), conn)
    log = log[(log["origin"] != "platform_observed") & (log["platform_status"] != "banned")]
    log["week"] = pd.to_datetime(log["published_at"], utc=True).dt.tz_convert("Asia/Shanghai").dt.strftime("%G-W%V")
    published = {account_id: set(group["week"]) for account_id, group in log.groupby("account_id")}
    year_weeks = [WINDOW.first_day + timedelta(weeks=n) for n in range(WINDOW.last_week - WINDOW.first_week + 1)]
    missing = set()
    for account in accounts.itertuples():
        weeks = published.get(account.account_id, set())
        for monday in year_weeks:
            opened_ok = monday >= account.opened_on
            closed_ok = account.closed_on is None or pd.isna(account.closed_on) or monday + timedelta(days=6) <= account.closed_on
            label = f"{monday.isocalendar()[0]}-W{monday.isocalendar()[1]:02d}"
            if opened_ok and closed_ok and label not in weeks:
                missing.add((account.account_id, label))
    return missing


class _TimedTransaction(Transaction):
    """A transaction that adds up the seconds spent in each named SQL statement."""

    def __init__(self, connection, dialect: str, seconds: dict[str, float]):
        super().__init__(connection, dialect)
        self.seconds = seconds

    def _timed(self, method, name, params):
        start = time.perf_counter()
        try:
            return method(name, **params)
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    def execute(self, name, /, **params):
        return self._timed(super().execute, name, params)

    def fetch(self, name, /, **params):
        return self._timed(super().fetch, name, params)

    def scalar(self, name, /, **params):
        return self._timed(super().scalar, name, params)


def steady_breakdown(db: Database) -> dict[str, float]:
    """Seconds per statement of a steady scan (no refresh), in one transaction rolled back afterwards."""
    seconds: dict[str, float] = {}
    run = _run("breakdown")
    detected_by = f"{run.dag_id}.{run.task_id}"  # as scan_weekly records it, so unchanged findings stay unchanged
    with db.engine.connect() as conn:
        tx = _TimedTransaction(conn, db.dialect, seconds)
        tx.fetch("cadence/scan_settings")
        weekly.record_lapses(tx, WINDOW, load_policy, detected_by=detected_by, now=now_utc())
        conn.rollback()
    return {name.split("/")[-1]: t for name, t in sorted(seconds.items(), key=lambda kv: -kv[1]) if t >= 0.001}


# ---------------------------------------------------------------- one size


def measure(db: Database, rows: int, *, naive: bool) -> dict:
    print(f"-- {rows:,} log rows, {ACCOUNTS:,} accounts, window {WINDOW.first_label}..{WINDOW.last_label}", flush=True)
    result: dict = {"rows": rows}
    reconcile, _ = _timed(lambda: scan_weekly(db, _run("reconcile"), WINDOW, refresh=True, full=True))
    with db.transaction() as tx:
        presence_rows = tx.scalar("bench/presence_rows")
    project = _open_lapses(db)
    steady, _ = _median(lambda: scan_weekly(db, _run("steady"), WINDOW, refresh=False))
    assert _open_lapses(db) == project
    steady_full, _ = _median(lambda: scan_weekly(db, _run("steady"), WINDOW, refresh=False, full=True))
    assert _open_lapses(db) == project
    day = pd.Timestamp("2025-12-16 07:00", tz=SHANGHAI).to_pydatetime()
    daily_window = ScanWindow.for_interval(day, day + timedelta(days=1), POLICY.rescan_weeks)
    daily, _ = _median(lambda: scan_weekly(db, _run("daily"), daily_window, refresh=True))
    breakdown = steady_breakdown(db)
    load_seconds, cols = _timed(lambda: load_columns(db))
    limit, limit_found = _median(functools.partial(limit_scan, cols))
    del cols  # the columns are the limit's working set, not the project's: free them before the next phase
    assert limit_found == project, f"limit and project disagree: {len(limit_found ^ project)} pairs differ"
    result.update(project=steady, project_full=steady_full, reconcile=reconcile, daily=daily, limit=limit,
                  presence_rows=presence_rows, lapses=len(project), columns_load=load_seconds)
    print(f"   project (presence table, end to end):  {steady:8.3f} s   [{presence_rows:,} presence rows, "
          f"{len(project)} lapses]", flush=True)
    print("   where the steady scan goes:           " + ", ".join(f"{k} {v:.3f} s" for k, v in breakdown.items())
          + " (statements of one more run, rolled back; the rest is the transaction, ledger and commit)", flush=True)
    print(f"   project, every finding composed again: {steady_full:8.3f} s   [full=True: what a scan of weeks "
          "not yet recorded costs]", flush=True)
    print(f"   project reconciliation (raw rebuild):  {reconcile:8.3f} s", flush=True)
    print(f"   project daily run (4-week rescan):     {daily:8.3f} s", flush=True)
    print(f"   limit (numpy bitmap, in memory):       {limit:8.3f} s   [loading its columns took {load_seconds:.1f} s]",
          flush=True)
    if naive:
        naive_seconds, naive_found = _timed(lambda: naive_scan(db))
        assert naive_found == project, f"naive and project disagree: {len(naive_found ^ project)} pairs differ"
        result["naive"] = naive_seconds
        print(f"   naive (pandas, loop per account):      {naive_seconds:8.3f} s", flush=True)
    return result


def build_and_measure(admin, rows: int, *, naive: bool) -> dict:
    """A fresh database holding the scale world at ``rows`` log rows, measured, then dropped (kept with KEEP)."""
    name = f"herald_bench_cadence_{rows}_{ACCOUNTS}" if KEEP else f"herald_bench_{os.getpid()}_cadence"
    base, _, _ = ADMIN_URL.rpartition("/")
    with admin.connect() as conn:
        exists = conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).first()
        if not (KEEP and exists):
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    db = Database(f"{base}/{name}")
    try:
        migrate(db)
        with db.transaction() as tx:
            built = tx.scalar("world/existing_rows")
        if KEEP and built:
            with db.transaction() as tx:
                tx.execute("bench/reset")
                tx.execute("bench/analyze")
            print(f"scale world: {ACCOUNTS:,} accounts, {rows:,} rows, kept from an earlier run ({name})", flush=True)
        else:
            started = time.perf_counter()
            build_scale_world(db, accounts=ACCOUNTS, log_rows=rows, seed=SEED, year=YEAR)
            with db.transaction() as tx:
                tx.execute("bench/analyze")
            print(f"scale world: {ACCOUNTS:,} accounts, {rows:,} rows loaded in {time.perf_counter() - started:.1f} s",
                  flush=True)
        return measure(db, rows, naive=naive)
    finally:
        db.dispose()
        if not KEEP:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    admin = sa.create_engine(normalise_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    try:
        small = build_and_measure(admin, SMALL, naive=True)
        large = build_and_measure(admin, LARGE, naive=NAIVE_FULL)
    finally:
        admin.dispose()

    growth = LARGE / SMALL
    naive_large = large.get("naive")
    naive_note = "measured" if naive_large is not None else f"extrapolated linearly from {SMALL:,} rows"
    if naive_large is None:
        naive_large = small["naive"] * growth
    print(f"== at {SMALL:,} rows: project {small['project']:.3f} s, limit {small['limit']:.3f} s "
          f"(ratio {small['project'] / small['limit']:.2f}), naive {small['naive']:.1f} s")
    print(f"== at {LARGE:,} rows: project {large['project']:.3f} s, limit {large['limit']:.3f} s "
          f"(ratio {large['project'] / large['limit']:.2f}), naive {naive_large:.1f} s ({naive_note}; "
          f"{naive_large / large['project']:.0f}x the project)")
    print(f"== reconciliation {large['reconcile']:.2f} s = {large['reconcile'] / large['limit']:.1f}x the limit; "
          f"daily run {large['daily']:.2f} s")
    print(f"== growth x{growth:.0f} in rows: project x{large['project'] / small['project']:.2f}, "
          f"reconciliation x{large['reconcile'] / small['reconcile']:.2f}, limit x{large['limit'] / small['limit']:.2f}")
    emit("cadence", f"scan_seconds_{LARGE // 1_000_000}M" if LARGE >= 1_000_000 else f"scan_seconds_{LARGE}",
         large["project"], large["limit"], "s",
         naive=round(naive_large, 3), naive_basis=naive_note, naive_ratio=round(naive_large / large["limit"], 2),
         reconcile=round(large["reconcile"], 3), reconcile_ratio=round(large["reconcile"] / large["limit"], 2),
         daily=round(large["daily"], 3), full=round(large["project_full"], 3),
         small_full=round(small["project_full"], 3), presence_rows=large["presence_rows"], lapses=large["lapses"],
         small_rows=SMALL, small_value=round(small["project"], 4), small_baseline=round(small["limit"], 4),
         small_ratio=round(small["project"] / small["limit"], 4),
         small_naive=round(small["naive"], 3), small_reconcile=round(small["reconcile"], 3),
         linearity_project=round(large["project"] / small["project"], 3),
         linearity_reconcile=round(large["reconcile"] / small["reconcile"], 3),
         linearity_limit=round(large["limit"] / small["limit"], 3), rows_growth=growth, accounts=ACCOUNTS)
    return 0
