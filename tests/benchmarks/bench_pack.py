"""Annual audit packs (ACC-6): time and peak memory of the data half (queries, verdicts, tables), the Great
Expectations gate (timed apart) and the rendering of every format (charts, CSV, HTML, Excel, PDF, the BagIt bag).

- one account's pack: the demo world (SQLite, scans run, every item archived), built, gated and written with all
  its formats in this process (the first PDF of a process also loads the CJK font);
- every account's pack of a 1,000-account scale world (PostgreSQL, ``HERALD_BENCH_PACK_ROWS`` items, default
  1,000,000): the data half in one pass (``build_account_packs``), then every pack built, gated and written with
  its formats as the DAG does it: runs of ``PACKS_PER_TASK`` accounts (``write_account_packs``, one mapped task's
  work), each in a fresh process (it pays the imports, Great Expectations' above all, like a task process), at most
  ``HERALD_BENCH_PACK_PARALLEL`` at once (default 4, LocalExecutor's parallelism here). ``HERALD_BENCH_PACK_RENDER``
  (default ``all``) may name a number of accounts instead: then only that many are written (whole runs, at
  least the parallelism's worth) and the wall time is extrapolated to all of them, and the output says so.
  Airflow's own per-task overhead (scheduling, starting the task process, parsing the DAG file) is not included;
- the group pack over the 10,000-account scale world (``HERALD_BENCH_ROWS`` items, default 10,000,000; the
  database ``herald_bench_cadence_<rows>_10000`` is reused when ``make bench BENCH=cadence`` kept it with
  ``HERALD_BENCH_KEEP=1``), gated and written with its formats.

Baseline (the floor): one pass over the year's items that only counts them (``sql/audit/item_totals.sql`` is
the group pack's single heavy statement; the account packs read each dataset once). Peak memory is a process's
resident peak (``ru_maxrss``), so it only grows; the account runs report their largest process.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from common import emit
from herald.audit.build import AuditWindow, build_account_pack, build_account_packs, build_group_pack, with_quality
from herald.audit.render import PACKS_PER_TASK, Phases, account_batches, write_account_packs, write_pack
from herald.db import Database, normalise_url
from herald.migrate import migrate

ADMIN_URL = os.environ.get("HERALD_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ROWS = int(os.environ.get("HERALD_BENCH_ROWS", "10000000"))
PACK_ROWS = int(os.environ.get("HERALD_BENCH_PACK_ROWS", "1000000"))
RENDER = os.environ.get("HERALD_BENCH_PACK_RENDER", "all")
PARALLEL = int(os.environ.get("HERALD_BENCH_PACK_PARALLEL", "4"))
YEAR = 2025
WINDOW = AuditWindow(YEAR, datetime(YEAR + 1, 1, 14, 23, tzinfo=UTC))


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def own_peak_mib() -> float:
    """This process's own resident peak (VmHWM): ru_maxrss survives exec, so a spawned child would report its
    parent's peak."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


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
    import weasyprint  # noqa: F401  (imported once per process: not the pack's time)

    phases = Phases()
    render, _ = timed(lambda: write_pack(gated, f"{tmp}/packs", phases))
    items = next(t for t in pack.tables if t.key == "published_items").row_count
    print(f"one account (demo world, {items} items): {build + gate + render:.2f} s = build {build:.2f} s + gate "
          f"{gate:.2f} s + formats {render:.2f} s ({phases}); GX import {gx_import:.1f} s apart; peak {peak_mib():.0f} MiB, "
          f"quality {'passed' if gated.quality.passed else 'failed'}", flush=True)
    return {"build": build, "gate": gate, "gx_import": gx_import, "render": render, "phases": phases.seconds}


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


def _account_run(url: str, account_ids: list[str], root: str) -> dict:
    """One mapped task's work in a fresh process: imports, then build, gate and write each pack of the run."""
    started, cpu = time.perf_counter(), time.process_time()
    import great_expectations  # noqa: F401  (paid once per task process, as in Airflow)
    import weasyprint  # noqa: F401

    imports = time.perf_counter() - started
    db, phases = Database(url), Phases()
    try:
        write_account_packs(db, account_ids, WINDOW, root, phases)
    finally:
        db.dispose()
    return {"packs": len(account_ids), "wall": time.perf_counter() - started, "imports": imports,
            "cpu": time.process_time() - cpu, "phases": phases.seconds, "peak_mib": own_peak_mib()}


def render_accounts(db: Database, ids: list[str]) -> dict:
    """Every account's pack with its formats, as herald_audit_pack's mapped tasks write them (see the docstring)."""
    batches = account_batches(ids)
    if RENDER != "all":
        wanted = max(int(RENDER), PARALLEL * PACKS_PER_TASK)
        batches = batches[:math.ceil(wanted / PACKS_PER_TASK)]
    done = sum(len(b) for b in batches)
    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as root:
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=PARALLEL, mp_context=spawn, max_tasks_per_child=1) as pool:
            runs = list(pool.map(_account_run, [db.url] * len(batches), batches, [root] * len(batches)))
        wall = time.perf_counter() - started
    phases = Phases()
    for run in runs:
        phases.seconds.update({k: phases.seconds.get(k, 0.0) + v for k, v in run["phases"].items()})
    per_pack = {k: v / done for k, v in phases.seconds.items()}
    imports = sum(r["imports"] for r in runs) / len(runs)
    cpu = sum(r["cpu"] for r in runs)
    whole = wall * len(ids) / done
    said = (f"all {done:,} written" if done == len(ids) else
            f"{done:,} of {len(ids):,} written (HERALD_BENCH_PACK_RENDER={RENDER}), all {len(ids):,} extrapolated")
    print(f"every account's pack with formats ({said}): {whole / 60:.1f} min for {len(ids):,} packs "
          f"({len(account_batches(ids))} tasks of {PACKS_PER_TASK}, {PARALLEL} at once on {os.cpu_count()} cores; measured "
          f"{wall:.0f} s for {done:,}); per pack: " + ", ".join(f"{k} {v:.2f} s" for k, v in per_pack.items())
          + f" (times inside processes sharing the cores); CPU {cpu / done:.2f} s a pack; imports {imports:.1f} s a task; "
          f"largest task process {max(r['peak_mib'] for r in runs):.0f} MiB", flush=True)
    return {"wall": wall, "whole": whole, "rendered": done, "per_pack": per_pack, "cpu_per_pack": cpu / done,
            "imports": imports, "peak_mib": max(r["peak_mib"] for r in runs)}


def all_accounts(admin) -> dict:
    with scale_world(admin, 1000, PACK_ROWS, f"herald_bench_{os.getpid()}_pack_accounts") as db:
        floor = floor_seconds(db)
        build, packs = timed(lambda: build_account_packs(db, WINDOW, gate=False))
        ids = [p.account_id for p in packs]
        del packs
        print(f"all accounts' data ({len(ids):,} packs, {PACK_ROWS:,} items) in one pass: build {build:.1f} s, "
              f"floor {floor:.1f} s, peak {peak_mib():.0f} MiB", flush=True)
        rendered = render_accounts(db, ids)
        return {"build": build, "floor": floor, "packs": len(ids), **rendered}


def group(admin) -> dict:
    with scale_world(admin, 10_000, ROWS, f"herald_bench_{os.getpid()}_pack_group") as db:
        floor = floor_seconds(db)
        build, pack = timed(lambda: build_group_pack(db, WINDOW, gate=False))
        gate, gated = timed(lambda: with_quality(pack))
        import weasyprint  # noqa: F401  (imported once per process, apart)

        phases = Phases()
        with tempfile.TemporaryDirectory() as root:
            render, _ = timed(lambda: write_pack(gated, root, phases))
        print(f"group pack ({pack.summary['accounts']:,} accounts, {pack.summary['items']:,} items): "
              f"{build + gate + render:.1f} s = build {build:.1f} s + gate {gate:.1f} s + formats {render:.1f} s ({phases}); "
              f"floor (item_totals alone) {floor:.1f} s, peak {peak_mib():.0f} MiB", flush=True)
        return {"build": build, "floor": floor, "gate": gate, "render": render, "phases": phases.seconds}


def _rounded(seconds: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in seconds.items()}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        one = _one_account(tmp)
    admin = sa.create_engine(normalise_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    try:
        many = all_accounts(admin)
        whole = group(admin)
    finally:
        admin.dispose()
    emit("pack", "group_pack_with_formats_seconds", whole["build"] + whole["gate"] + whole["render"], whole["floor"], "s",
         group_build=round(whole["build"], 3), group_gate=round(whole["gate"], 3), group_render=round(whole["render"], 3),
         group_phases=_rounded(whole["phases"]), group_rows=ROWS,
         accounts_build=round(many["build"], 3), accounts_floor=round(many["floor"], 3), accounts_packs=many["packs"],
         accounts_rows=PACK_ROWS, accounts_with_formats_seconds=round(many["whole"], 1),
         accounts_rendered=many["rendered"], accounts_measured_seconds=round(many["wall"], 1),
         accounts_per_pack=_rounded(many["per_pack"]), accounts_cpu_per_pack=round(many["cpu_per_pack"], 3),
         accounts_task_imports=round(many["imports"], 1), accounts_packs_per_task=PACKS_PER_TASK,
         accounts_parallel=PARALLEL, accounts_peak_mib=round(many["peak_mib"]),
         one_build=round(one["build"], 3), one_gate=round(one["gate"], 3), one_render=round(one["render"], 3),
         one_phases=_rounded(one["phases"]), gx_import=round(one["gx_import"], 1), peak_mib=round(peak_mib()))
    return 0
