"""Herald's own database: PostgreSQL in production and tests, a SQLite file for ``make demo``.

All SQL lives in files under ``sql/``; code names a file (``"findings/upsert"``) and
passes named parameters (``:name``). A dialect may override a file with
``<name>.postgresql.sql`` or ``<name>.sqlite.sql`` beside it.

Column naming carries the type where SQLite cannot: ``*_at`` is a timezone-aware
UTC timestamp, ``*_on`` a calendar date and ``is_*`` a boolean. Rows read from SQLite
are converted by those suffixes so callers see the same Python types on both
engines.
"""

from __future__ import annotations

import csv
import hashlib
import io
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import sqlalchemy as sa
import sqlparse
from sqlalchemy.engine import Connection, Engine

from herald.errors import HeraldError

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
# Where SQL files are looked up, in order. The product's own folder always comes first; tooling that
# keeps statements of its own (the demo world, the benchmarks) adds its folder with ``add_sql_root``,
# so the product never carries their SQL and they still share its dialect macros.
_SQL_ROOTS: list[Path] = [SQL_DIR]


def _adapt_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} cannot be stored: Herald stores UTC")
    return value.astimezone(UTC).isoformat(sep=" ")


# SQLite keeps timestamps as text; writing them all as UTC ISO strings keeps
# ordering and comparisons in SQL correct.
sqlite3.register_adapter(datetime, _adapt_datetime)
sqlite3.register_adapter(date, date.isoformat)


class SqlFileNotFound(HeraldError):
    pass


def add_sql_root(folder: Path) -> None:
    """Let statements be named from ``folder`` too (after the product's own ``sql/``)."""
    folder = folder.resolve()
    if folder not in _SQL_ROOTS:
        _SQL_ROOTS.append(folder)
        _templates.cache_clear()


@lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader([str(root) for root in _SQL_ROOTS]),
                              undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)


def _sql_file(name: str, suffix: str) -> Path | None:
    for root in _SQL_ROOTS:
        path = root / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=512)
def sql_text(name: str, dialect: str) -> str:
    """The text of ``sql/<name>.sql`` for a dialect.

    A file may call the few expressions the engines write differently as ``{{ sql.epoch_seconds('col') }}``
    (macros in ``sql/_dialects/<dialect>.sql.j2``), so one file serves both; a whole-file override
    ``<name>.<dialect>.sql`` is for statements that differ throughout (COPY, locking).
    """
    override = _sql_file(name, f".{dialect}.sql")
    if override is not None:
        text = override.read_text(encoding="utf-8")
    elif _sql_file(name, ".sql") is not None:
        templates = _templates()
        dialect_macros = templates.get_template(f"_dialects/{dialect}.sql.j2").module
        text = templates.get_template(f"{name}.sql").render(sql=dialect_macros)
    else:
        roots = ", ".join(str(root) for root in _SQL_ROOTS)
        raise SqlFileNotFound(f"no SQL file for {name!r} under {roots} (dialect {dialect})")
    # Comments are for readers of the file; stripped so a ":name" in prose is never taken for a parameter.
    return sqlparse.format(text, strip_comments=True).strip()


def _convert_sqlite_value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column.endswith("_at") and isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if column.endswith("_on") and isinstance(value, str):
        return date.fromisoformat(value[:10])
    if column.startswith("is_") and isinstance(value, int):
        return bool(value)
    return value


def normalise_url(url: str) -> str:
    """Accept the URL forms Airflow connections and people write, and pin the drivers Herald uses."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://") :]
    return url


def _plain(value: Any) -> Any:
    """Subclasses of date and datetime (pendulum's, from Airflow contexts) as the plain types drivers adapt."""
    if isinstance(value, datetime) and type(value) is not datetime:
        return datetime.fromtimestamp(value.timestamp(), UTC) if value.tzinfo else datetime(*value.timetuple()[:6], value.microsecond)
    if isinstance(value, date) and not isinstance(value, datetime) and type(value) is not date:
        return date(value.year, value.month, value.day)
    return value


def _bind(params: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _plain(value) for key, value in params.items()}


class Transaction:
    """One database transaction; every statement is named by its SQL file."""

    def __init__(self, connection: Connection, dialect: str):
        self.connection = connection
        self.dialect = dialect

    def _statement(self, name: str) -> sa.TextClause:
        return sa.text(sql_text(name, self.dialect))

    def execute(self, name: str, /, **params: Any) -> int:
        """Run a statement; return the number of rows it changed."""
        return self.connection.execute(self._statement(name), _bind(params)).rowcount

    def execute_many(self, name: str, rows: Sequence[Mapping[str, Any]]) -> int:
        if not rows:
            return 0
        self.connection.execute(self._statement(name), [_bind(row) for row in rows])
        return len(rows)

    def fetch(self, name: str, /, **params: Any) -> list[dict[str, Any]]:
        result = self.connection.execute(self._statement(name), _bind(params))
        columns = list(result.keys())
        if self.dialect == "sqlite":
            return [
                {c: _convert_sqlite_value(c, v) for c, v in zip(columns, row, strict=True)} for row in result
            ]
        return [dict(zip(columns, row, strict=True)) for row in result]

    def fetch_one(self, name: str, /, **params: Any) -> dict[str, Any] | None:
        rows = self.fetch(name, **params)
        return rows[0] if rows else None

    def scalar(self, name: str, /, **params: Any) -> Any:
        """The first column of the first row (None without rows), typed by its name like ``fetch``."""
        result = self.connection.execute(self._statement(name), _bind(params))
        row = result.first()
        if row is None:
            return None
        if self.dialect == "sqlite":
            return _convert_sqlite_value(next(iter(result.keys())), row[0])
        return row[0]

    def execute_script(self, sql: str) -> None:
        """Run a multi-statement script inside this transaction (used by migrations)."""
        for statement in sqlparse.split(sql):
            if statement.strip().rstrip(";").strip():
                self.connection.exec_driver_sql(statement)

    def copy_rows(self, copy_name: str, insert_name: str, rows: Iterable[Sequence[Any]], columns: Sequence[str]) -> int:
        """Bulk load: PostgreSQL ``COPY ... FROM STDIN`` (CSV), SQLite ``executemany``.

        ``rows`` may be a generator; it is consumed in chunks so memory stays flat.
        """
        total = 0
        if self.dialect == "postgresql":
            copy_sql = sql_text(copy_name, self.dialect)
            cursor = self.connection.connection.driver_connection.cursor()
            for chunk in _chunks(rows, 200_000):
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator="\n")
                for row in chunk:
                    writer.writerow(_csv_value(v) for v in row)
                buffer.seek(0)
                cursor.copy_expert(copy_sql, buffer)
                total += len(chunk)
            return total
        statement = self._statement(insert_name)
        for chunk in _chunks(rows, 50_000):
            self.connection.execute(statement, [_bind(dict(zip(columns, row, strict=True))) for row in chunk])
            total += len(chunk)
        return total


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""  # CSV COPY reads an unquoted empty field as NULL
    if isinstance(value, datetime):
        return _adapt_datetime(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _chunks(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    chunk: list[Sequence[Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Database:
    """Herald's database, reached by a SQLAlchemy URL (built from an Airflow connection by the hook)."""

    def __init__(self, url: str, *, echo: bool = False):
        self.url = normalise_url(url)
        self.engine: Engine = _make_engine(self.url, echo=echo)
        self.dialect: str = self.engine.dialect.name

    @staticmethod
    def normalised(url: str) -> str:
        return normalise_url(url)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self.engine.begin() as connection:
            yield Transaction(connection, self.dialect)

    def fetch(self, name: str, /, **params: Any) -> list[dict[str, Any]]:
        with self.transaction() as tx:
            return tx.fetch(name, **params)

    def fetch_one(self, name: str, /, **params: Any) -> dict[str, Any] | None:
        with self.transaction() as tx:
            return tx.fetch_one(name, **params)

    def scalar(self, name: str, /, **params: Any) -> Any:
        with self.transaction() as tx:
            return tx.scalar(name, **params)

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.engine.url.render_as_string(hide_password=True)})"


def _sha256_hex(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()


def _bit_count(value: int | None) -> int | None:
    return None if value is None else int(value).bit_count()


class _BitOr:
    """SQLite's missing bit_or aggregate (NULLs ignored; no rows gives NULL, as in PostgreSQL)."""

    def __init__(self) -> None:
        self.bits: int | None = None

    def step(self, value: int | None) -> None:
        if value is not None:
            self.bits = value if self.bits is None else self.bits | value

    def finalize(self) -> int | None:
        return self.bits


def _make_engine(url: str, *, echo: bool) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, echo=echo, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial wiring
            # Let SQLAlchemy, not pysqlite, open transactions, so BEGIN covers DDL too.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.close()
            # SQLite has no hash functions; SQL that derives ids (findings) calls this one via sql.sha256_hex.
            dbapi_connection.create_function("herald_sha256_hex", 1, _sha256_hex, deterministic=True)
            # Nor bit aggregates: the cadence scan keeps weeks as bits of integers (sql/cadence/_week_bits.sql.j2).
            dbapi_connection.create_function("herald_bit_count", 1, _bit_count, deterministic=True)
            dbapi_connection.create_aggregate("herald_bit_or", 1, _BitOr)

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(connection):  # pragma: no cover - trivial wiring
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql"):
        # executemany as pages of statements (psycopg2's execute_batch), not one round trip per row:
        # a burst's thousand write-ahead attempts and events go in ten.
        return sa.create_engine(
            url, echo=echo, pool_pre_ping=True, connect_args={"options": "-c timezone=UTC"},
            executemany_mode="values_plus_batch",
        )
    raise HeraldError(f"herald_db: unsupported database URL scheme in {url.split(':', 1)[0]!r}; use postgresql or sqlite")
