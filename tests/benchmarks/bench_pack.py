"""Annual audit packs (ACC-6): time and peak memory of the data half (queries, verdicts, tables) with the Great
Expectations gate timed apart; rendering (HTML, PDF, Excel) is not measured here.

- one account's pack: the demo world (SQLite, scans run, every item archived), built alone, then gated;
- every account's pack of a 1,000-account scale world (PostgreSQL, ``HERALD_BENCH_PACK_ROWS`` items, default
  1,000,000): built in one pass (``build_account_packs``); the gate on ``HERALD_BENCH_PACK_GATED`` packs (default
  20), extrapolated to all of them, and the output says so;
- the group pack over the 10,000-account scale world (``HERALD_BENCH_ROWS`` items, default 10,000,000; the
  database ``herald_bench_cadence_<rows>_10000`` is reused when ``make bench BENCH=cadence`` kept it with
  ``HERALD_BENCH_KEEP=1``), gated.

Baseline (the floor): one pass over the year's items that only counts them (``sql/audit/item_totals.sql`` is
the group pack's single heavy statement; the account packs read each dataset once). Peak memory is the
process's resident peak (``ru_maxrss``) after each step, so it only grows.
"""

from __future__ import annotations

import os
import resource
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from common import emit
from herald.audit.build import AuditWindow, build_account_pack, build_account_packs, build_group_pack, with_quality
from herald.db import Database, normalise_url
from herald.migrate import migrate

ADMIN_URL = os.environ.get("HERALD_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ROWS = int(os.environ.get("HERALD_BENCH_ROWS", "10000000"))
PACK_ROWS = int(os.environ.get("HERALD_BENCH_PACK_ROWS", "1000000"))
GATED = int(os.environ.get("HERALD_BENCH_PACK_GATED", "20"))
YEAR = 2025
WINDOW = AuditWindow(YEAR, datetime(YEAR + 1, 1, 14, 23, tzinfo=UTC))


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def floor_seconds(db: Database) -> float:
    with db.transaction() as tx:
        seconds, _ = timed(lambda: tx.fetch("audit/item_totals", **WINDOW.sql_params(None)))
    return seconds


def _one_account(tmp: str) -> dict:
    """The demo world as the pipelines leave it, then one account's pack."""
    from herald.cadence.scan import scan_standing, scan_weekly
    from herald.cadence.window import ScanWindow, week_of_day
    from herald.jobs import registry_check
    from herald.ledger import TaskRun
    from herald.timeutil import shanghai_midnight_utc
    from herald_dev.world import build_world

    as_of_day = date(2026, 11, 21)
    as_of = shanghai_midnight_utc(as_of_day)
    db = Database(f"sqlite:///{tmp}/herald.db")
    migrate(db)
    build_world(db, as_of=as_of_day)
    run = TaskRun.manual("bench_pack", as_of)
    window = ScanWindow.complete_weeks(week_of_day(date(2024, 12, 30)), week_of_day(as_of_day), as_of)
    scan_weekly(db, run, window, now=as_of)
    scan_standing(db, run, window, now=as_of)
    registry_check(db, run, now=as_of)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO archive_index (item_id, bundle_path, manifest_sha256, archived_at, index_on) "
                             "SELECT item_id, 'b/' || item_id, 'x', ?, ? FROM published_items",
                             ((as_of - timedelta(hours=1)).isoformat(sep=" "), as_of_day.isoformat()))
    audit = AuditWindow(YEAR, as_of)
    build, pack = timed(lambda: build_account_pack(db, "acct-grp-weibo", audit, gate=False))
    started = time.perf_counter()
    import great_expectations  # noqa: F401  (the import alone, apart)

    gx_import = time.perf_counter() - started
    gate, gated = timed(lambda: with_quality(pack))
    db.dispose()
    items = next(t for t in pack.tables if t.key == "published_items").row_count
    print(f"one account (demo world, {items} items): build {build:.2f} s, GX import {gx_import:.1f} s, gate {gate:.2f} s, "
          f"peak {peak_mib():.0f} MiB, quality {'passed' if gated.quality.passed else 'failed'}", flush=True)
    return {"build": build, "gate": gate, "gx_import": gx_import}


def _scale_db(admin, accounts: int, rows: int, name: str) -> tuple[Database, bool]:
    from herald_dev.world.scale import build_scale_world

    kept = f"herald_bench_cadence_{rows}_{accounts}"
    base, _, _ = ADMIN_URL.rpartition("/")
    with admin.connect() as conn:
        if conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (kept,)).first():
            db = Database(f"{base}/{kept}")
            migrate(db)
            print(f"scale world {accounts:,} accounts, {rows:,} items: reusing {kept}", flush=True)
            return db, False
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    db = Database(f"{base}/{name}")
    migrate(db)
    seconds, _ = timed(lambda: build_scale_world(db, accounts=accounts, log_rows=rows, seed=7, year=YEAR))
    with db.transaction() as tx:
        tx.execute("bench/analyze")
    print(f"scale world {accounts:,} accounts, {rows:,} items built in {seconds:.0f} s (not measured)", flush=True)
    return db, True


@contextmanager
def scale_world(admin, accounts: int, rows: int, name: str):
    """The scale world's database (reused if kept), disposed and, if built here, dropped after."""
    db, own = _scale_db(admin, accounts, rows, name)
    try:
        yield db
    finally:
        db.dispose()
        if own:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def all_accounts(admin) -> dict:
    with scale_world(admin, 1000, PACK_ROWS, f"herald_bench_{os.getpid()}_pack_accounts") as db:
        floor = floor_seconds(db)
        build, packs = timed(lambda: build_account_packs(db, WINDOW, gate=False))
        sample = packs[:GATED]
        gate, _ = timed(lambda: [with_quality(p) for p in sample])
        per_pack = gate / max(len(sample), 1)
        print(f"all accounts ({len(packs):,} packs, {PACK_ROWS:,} items): build {build:.1f} s, floor {floor:.1f} s, "
              f"gate {per_pack:.2f} s a pack (measured on {len(sample)}, x{len(packs)} = {per_pack * len(packs):.0f} s "
              f"extrapolated), peak {peak_mib():.0f} MiB", flush=True)
        return {"build": build, "floor": floor, "gate_per_pack": per_pack, "packs": len(packs)}


def group(admin) -> dict:
    with scale_world(admin, 10_000, ROWS, f"herald_bench_{os.getpid()}_pack_group") as db:
        floor = floor_seconds(db)
        build, pack = timed(lambda: build_group_pack(db, WINDOW, gate=False))
        gate, _ = timed(lambda: with_quality(pack))
        print(f"group pack ({pack.summary['accounts']:,} accounts, {pack.summary['items']:,} items): build {build:.1f} s, "
              f"floor (item_totals alone) {floor:.1f} s, gate {gate:.1f} s, peak {peak_mib():.0f} MiB", flush=True)
        return {"build": build, "floor": floor, "gate": gate}


def main() -> int:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        one = _one_account(tmp)
    admin = sa.create_engine(normalise_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    try:
        many = all_accounts(admin)
        whole = group(admin)
    finally:
        admin.dispose()
    emit("pack", "group_pack_seconds", whole["build"] + whole["gate"], whole["floor"], "s",
         group_build=round(whole["build"], 3), group_gate=round(whole["gate"], 3), group_rows=ROWS,
         accounts_build=round(many["build"], 3), accounts_floor=round(many["floor"], 3),
         accounts_gate_per_pack=round(many["gate_per_pack"], 3), accounts_packs=many["packs"], accounts_rows=PACK_ROWS,
         one_build=round(one["build"], 3), one_gate=round(one["gate"], 3), gx_import=round(one["gx_import"], 1),
         peak_mib=round(peak_mib()))
    return 0
