"""Test bootstrap: Airflow points at a throw-away home, and Herald's databases are created per test.

PostgreSQL (127.0.0.1:5432, trust auth) is used for real: the session migrates a
template database once, each test that asks for ``pg_db`` gets a fresh copy of it,
and everything created is dropped again at the end, so a crashed run leaves at
most its own ``herald_test_*`` databases behind (cleared at the next start).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEST_AIRFLOW_HOME = REPO / ".airflow" / "test-home"

# Airflow reads these at import time, so they are set before any test imports it.
os.environ["AIRFLOW_HOME"] = str(TEST_AIRFLOW_HOME)  # never the demo home
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO / "dags"))
os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(REPO / "plugins"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{TEST_AIRFLOW_HOME / 'airflow.db'}"
# Tests never touch the demo world: each test that needs Herald's DB makes its own.
os.environ.pop("AIRFLOW_CONN_HERALD_DB", None)
TEST_AIRFLOW_HOME.mkdir(parents=True, exist_ok=True)

# The tests are tooling: they build demo worlds and clear them with the tooling's own SQL (dev/sql/).
import herald_dev  # noqa: E402,F401

PG_ADMIN_URL = os.environ.get("HERALD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# The run tag carries the pid so a later session drops only databases whose run has died,
# never those of a test run still going on beside it.
_RUN_TAG = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"


def _run_is_alive(database: str) -> bool:
    parts = database.split("_")
    pid = next((p for p in parts if p.isdigit()), None)
    if pid is None:
        return False
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True


def _admin_engine():
    import sqlalchemy as sa

    from herald.db import normalise_url

    return sa.create_engine(normalise_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")


def _pg_url(database: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{database}"


def _drop(conn, name: str) -> None:
    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_template():
    """A migrated PostgreSQL database used as the template for each test's fresh database."""
    from herald.db import Database
    from herald.migrate import migrate

    engine = _admin_engine()
    name = f"herald_test_tpl_{_RUN_TAG}"
    with engine.connect() as conn:
        _drop(conn, name)
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    db = Database(_pg_url(name))
    migrate(db)
    db.dispose()
    yield name
    with engine.connect() as conn:
        _drop(conn, name)
    engine.dispose()


@pytest.fixture
def pg_url(pg_template):
    """URL of a fresh, migrated PostgreSQL database, dropped after the test."""
    engine = _admin_engine()
    name = f"herald_test_{_RUN_TAG}_{uuid.uuid4().hex[:8]}"
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield _pg_url(name)
    with engine.connect() as conn:
        _drop(conn, name)
    engine.dispose()


@pytest.fixture
def pg_db(pg_url):
    from herald.db import Database

    db = Database(pg_url)
    yield db
    db.dispose()


@pytest.fixture
def sqlite_db(tmp_path):
    from herald.db import Database
    from herald.migrate import migrate

    db = Database(f"sqlite:///{tmp_path / 'herald.db'}")
    migrate(db)
    yield db
    db.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def any_db(request):
    """The same test on both engines Herald supports."""
    return request.getfixturevalue("pg_db" if request.param == "postgresql" else "sqlite_db")


def pytest_sessionstart(session):
    """Drop test databases a crashed earlier run may have left behind."""
    try:
        engine = _admin_engine()
        with engine.connect() as conn:
            import sqlalchemy as sa

            stale = [
                row[0]
                for row in conn.execute(
                    sa.text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
                    {"pattern": "herald\\_test\\_%"},
                )
            ]
            for name in stale:
                if not _run_is_alive(name):
                    _drop(conn, name)
        engine.dispose()
    except Exception as exc:  # PostgreSQL down: the pg tests will fail and say so
        print(f"conftest: could not clean stale test databases: {exc}")


DEMO_AS_OF = "2026-11-21"


@pytest.fixture(scope="session")
def demo_world_file(tmp_path_factory):
    """The demo world built once per session into a SQLite file (about 15 s); tests copy it."""
    from datetime import date

    from herald.db import Database
    from herald.migrate import migrate
    from herald_dev.world import build_world

    path = tmp_path_factory.mktemp("demo-world") / "herald.db"
    db = Database(f"sqlite:///{path}")
    migrate(db)
    build_world(db, as_of=date.fromisoformat(DEMO_AS_OF))
    db.dispose()
    return path


@pytest.fixture
def demo_world(demo_world_file, tmp_path):
    """A private copy of the demo world (SQLite), so a test may change it freely."""
    import shutil

    from herald.db import Database

    copy = tmp_path / "herald.db"
    shutil.copyfile(demo_world_file, copy)
    db = Database(f"sqlite:///{copy}")
    yield db
    db.dispose()


class _User:
    def __init__(self, name: str):
        self.name = name

    def get_name(self) -> str:
        return self.name

    def get_id(self) -> str:
        return self.name


@pytest.fixture
def api(pg_db, pg_url, monkeypatch):
    """Herald's HTTP door in process on the small organisation; ``api(login)`` is a client signed in as ``login``."""
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi.testclient import TestClient

    from builders import small_org
    from herald_airflow import api as herald_api
    from herald_airflow import api_common

    small_org(pg_db)
    monkeypatch.setenv("AIRFLOW_CONN_HERALD_DB", pg_url)
    api_common.forget_database()
    current = {"login": None}
    herald_api.app.dependency_overrides[get_user] = lambda: _User(current["login"])
    client = TestClient(herald_api.app, raise_server_exceptions=False)

    def as_user(login: str) -> TestClient:
        current["login"] = login
        return client

    yield as_user
    herald_api.app.dependency_overrides.clear()
    api_common.forget_database()
