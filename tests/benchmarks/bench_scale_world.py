"""Benchmark ``scale-world``: loading the scale world's publishing log with COPY, against executemany.

Data: the scale world (10,000 accounts, a year of items on the Chinese working-day rhythm), by
default 1,000,000 log rows (``HERALD_SCALE_ROWS`` to change it), loaded by
``herald_dev.world.scale.build_scale_world`` (``Transaction.copy_rows``, i.e. PostgreSQL COPY) into a
fresh database. Baseline, same process: a plain executemany INSERT of the first 100,000 of the same
rows into a second fresh database holding the same accounts. Both databases (``herald_bench_*``)
are dropped at the end.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid

import sqlalchemy as sa

from common import emit
from herald.db import Database, normalise_url
from herald.migrate import migrate
from herald_dev.world.scale import SCALE_COLUMNS, build_scale_world, item_rows, load_organisation, plan_scale

ADMIN_URL = os.environ.get("HERALD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
ACCOUNTS = 10_000
BASELINE_ROWS = 100_000


def _database_url(name: str) -> str:
    return ADMIN_URL.rpartition("/")[0] + "/" + name


def main() -> int:
    rows = int(os.environ.get("HERALD_SCALE_ROWS", "1000000"))
    admin = sa.create_engine(normalise_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    names = [f"herald_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}_{kind}" for kind in ("copy", "base")]
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    databases = [Database(_database_url(name)) for name in names]
    try:
        copy_db, base_db = databases
        for db in databases:
            migrate(db)
        result = build_scale_world(copy_db, accounts=ACCOUNTS, log_rows=rows)
        copy_rate = result["rows_per_second"]

        plan = plan_scale(accounts=ACCOUNTS, log_rows=rows, seed=7, year=2025)
        baseline = [dict(zip(SCALE_COLUMNS, row)) for row in itertools.islice(item_rows(plan), BASELINE_ROWS)]
        with base_db.transaction() as tx:
            load_organisation(tx, plan)
            started = time.perf_counter()
            tx.execute_many("world/insert_scale_published_items", baseline)
            base_seconds = time.perf_counter() - started
        base_rate = len(baseline) / base_seconds

        print(f"scale world: {ACCOUNTS:,} accounts, {result['rows']:,} published_items rows over 2025 (PostgreSQL)")
        print(f"  COPY via Transaction.copy_rows: {result['log_seconds']:.1f} s, {copy_rate:,.0f} rows/s "
              f"(whole build incl. org and accounts {result['seconds']:.1f} s)")
        print(f"  baseline executemany INSERT of the first {len(baseline):,} rows: {base_seconds:.1f} s, "
              f"{base_rate:,.0f} rows/s")
        emit("scale-world", "copy_rows_per_second", copy_rate, base_rate, "rows/s", rows=result["rows"],
             baseline_rows=len(baseline), accounts=ACCOUNTS)
    finally:
        for db in databases:
            db.dispose()
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
