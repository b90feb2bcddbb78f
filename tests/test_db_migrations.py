"""Migrations run up from empty on both engines, are idempotent, and refuse edited history."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from herald.db import Database
from herald.migrate import MigrationError, available_migrations, current_version, migrate

EXPECTED_TABLES = {
    "org_units", "people", "role_assignments", "accounts", "account_admins", "account_events",
    "posts", "post_events", "approval_steps", "dispatch_attempts", "published_items",
    "archive_index", "findings", "pipeline_ledger", "schema_migrations",
}
# The demo world's bookkeeping is tooling: its tables live in dev/sql/demo/schema.sql, never in the product's schema.
DEMO_TABLES = {"world_ground_truth", "world_builds"}


def _tables(db: Database) -> set[str]:
    import sqlalchemy as sa

    return set(sa.inspect(db.engine).get_table_names())


@pytest.mark.pg
def test_migrations_run_up_from_empty_on_both_engines(any_db):
    assert EXPECTED_TABLES <= _tables(any_db)
    assert not DEMO_TABLES & _tables(any_db)
    assert current_version(any_db) == max(m.version for m in available_migrations())
    assert migrate(any_db) == []  # a second run applies nothing


def test_migration_from_a_brand_new_sqlite_file(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'new.db'}")
    applied = migrate(db)
    assert [m.version for m in applied] == [m.version for m in available_migrations()]
    assert EXPECTED_TABLES <= _tables(db)


def test_an_edited_applied_migration_is_refused(tmp_path):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    first = migrations / "0001_first.sql"
    first.write_text("CREATE TABLE t (x INTEGER);")
    db = Database(f"sqlite:///{tmp_path / 'h.db'}")
    migrate(db, migrations)
    first.write_text("CREATE TABLE t (x INTEGER, y INTEGER);")
    with pytest.raises(MigrationError, match="0001_first.sql.*different checksum"):
        migrate(db, migrations)


def test_a_failing_migration_leaves_nothing_half_applied(tmp_path):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_ok.sql").write_text("CREATE TABLE a (x INTEGER);")
    (migrations / "0002_broken.sql").write_text("CREATE TABLE b (x INTEGER);\nCREATE TABLE broken (;")
    db = Database(f"sqlite:///{tmp_path / 'h.db'}")
    with pytest.raises(Exception, match="broken"):
        migrate(db, migrations)
    assert current_version(db) == 1
    assert "b" not in _tables(db)


def test_badly_named_migration_file_is_refused(tmp_path):
    (tmp_path / "init.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="0001_short_name.sql"):
        available_migrations(tmp_path)


@pytest.mark.pg
def test_timestamps_round_trip_as_aware_utc_on_both_engines(any_db):
    shanghai_noon = datetime(2025, 12, 28, 20, 0, tzinfo=timezone(timedelta(hours=8)))
    with any_db.transaction() as tx:
        tx.connection.exec_driver_sql(
            "INSERT INTO org_units (unit_id, name, kind, created_at) VALUES ('g', '集团', 'group', '2025-01-01 00:00:00+00:00')"
        )
    import sqlalchemy as sa

    with any_db.engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO people (person_id, name, unit_id, is_active) VALUES ('p', '张三', 'g', :a)"),
            {"a": True},
        )
        conn.execute(
            sa.text(
                "INSERT INTO role_assignments (assignment_id, person_id, role, valid_from_on) VALUES ('r', 'p', 'operator', :d)"
            ),
            {"d": date(2025, 3, 1)},
        )
        conn.execute(sa.text("UPDATE org_units SET created_at = :t"), {"t": shanghai_noon})
    with any_db.transaction() as tx:
        from herald import db as dbmod

        row = tx.connection.execute(sa.text("SELECT created_at FROM org_units")).one()
        converted = dbmod._convert_sqlite_value("created_at", row[0]) if any_db.dialect == "sqlite" else row[0]
    assert converted == shanghai_noon
    assert converted.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused_by_sqlite_binding(sqlite_db):
    import sqlalchemy as sa

    with pytest.raises(Exception, match="naive datetime"):
        with sqlite_db.engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO org_units (unit_id, name, kind, created_at) VALUES ('g', 'x', 'group', :t)"),
                {"t": datetime(2025, 1, 1)},
            )


def test_scalar_reads_are_typed_by_column_name_on_sqlite(sqlite_db, tmp_path, monkeypatch):
    import herald.db as dbmod

    (tmp_path / "probe").mkdir()
    (tmp_path / "probe" / "latest.sqlite.sql").write_text("SELECT MAX(created_at) AS latest_at FROM org_units")
    # A folder added with add_sql_root (as the tooling adds dev/sql) is searched after the product's own.
    monkeypatch.setattr(dbmod, "_SQL_ROOTS", list(dbmod._SQL_ROOTS))
    dbmod.add_sql_root(tmp_path)
    dbmod.sql_text.cache_clear()
    with sqlite_db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO org_units (unit_id, name, kind, created_at) VALUES ('g', 'x', 'group', '2025-01-01 00:00:00+00:00')")
    try:
        assert sqlite_db.scalar("probe/latest") == datetime(2025, 1, 1, tzinfo=UTC)
    finally:
        dbmod.sql_text.cache_clear()
        dbmod._templates.cache_clear()


@pytest.mark.pg
def test_pendulum_dates_from_airflow_contexts_bind_on_both_engines(any_db):
    import pendulum

    moment = pendulum.datetime(2026, 1, 5, 8, 30, tz="Asia/Shanghai")
    with any_db.transaction() as tx:
        tx.execute("ledger/upsert", ledger_id="L1", dag_id="d", run_id="r", task_id="t", try_number=1,
                   data_interval_start_at=moment, data_interval_end_at=moment.add(days=1),
                   inputs="{}", outputs="{}", row_counts="{}", status="success", started_at=moment,
                   finished_at=moment)
    row = any_db.fetch("ledger/for_dag", dag_id="d")[0]
    assert row["data_interval_start_at"] == datetime(2026, 1, 5, 0, 30, tzinfo=UTC)


def test_every_sql_file_renders_for_both_engines():
    """Each statement file names a real dialect macro and, where the engines differ, has what both need."""
    from herald.db import SQL_DIR, sql_text

    names = set()
    for path in SQL_DIR.rglob("*.sql"):
        relative = path.relative_to(SQL_DIR).as_posix()
        if relative.startswith(("migrations/", "_dialects/")):
            continue
        stem = relative[: -len(".sql")]
        for dialect in ("postgresql", "sqlite"):
            stem = stem.removesuffix(f".{dialect}")
        names.add(stem)
    rendered = 0
    for name in sorted(names):
        for dialect in ("postgresql", "sqlite"):
            generic = (SQL_DIR / f"{name}.sql").is_file()
            if generic or (SQL_DIR / f"{name}.{dialect}.sql").is_file():
                text = sql_text(name, dialect)
                assert "{{" not in text and "{%" not in text and text, f"{name} ({dialect})"
                rendered += 1
    assert rendered > 100
