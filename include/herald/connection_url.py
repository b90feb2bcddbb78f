"""Turn an Airflow-style connection (type, host, login, ...) into the SQLAlchemy URL Herald's Database takes.

Kept free of Airflow imports: the hook passes the fields in, and the CLI reads the same
``AIRFLOW_CONN_HERALD_DB`` environment variable Airflow does.
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote, unquote, urlsplit

from herald.errors import HeraldError

HERALD_DB_CONN_ID = "herald_db"
HERALD_DB_ENV = "AIRFLOW_CONN_HERALD_DB"


def url_from_fields(conn_type: str, host: str | None, login: str | None = None, password: str | None = None,
                    port: int | None = None, schema: str | None = None) -> str:
    conn_type = (conn_type or "").lower()
    if conn_type == "sqlite":
        if not host:
            raise HeraldError("herald_db: a sqlite connection needs the database file path in 'host'")
        return f"sqlite:///{host}"
    # herald_db is the connection type Herald registers for Airflow's form (a PostgreSQL database).
    if conn_type in ("postgres", "postgresql", HERALD_DB_CONN_ID):
        auth = ""
        if login:
            auth = quote(login, safe="")
            if password:
                auth += ":" + quote(password, safe="")
            auth += "@"
        netloc = f"{auth}{host or '127.0.0.1'}:{port or 5432}"
        return f"postgresql://{netloc}/{schema or 'herald'}"
    raise HeraldError(f"herald_db: connection type {conn_type!r} is not supported; use herald_db, postgres or sqlite")


def url_from_airflow_env(value: str) -> str:
    """Parse an ``AIRFLOW_CONN_*`` value: Airflow's JSON form or its URI form."""
    value = value.strip()
    if value.startswith("{"):
        fields = json.loads(value)
        return url_from_fields(
            fields.get("conn_type", ""), fields.get("host"), fields.get("login"), fields.get("password"),
            fields.get("port"), fields.get("schema"),
        )
    parts = urlsplit(value)
    if parts.scheme == "sqlite":
        # Airflow's URI form puts the path in the host slot: sqlite:///relative or sqlite:////absolute
        return f"sqlite:///{unquote(parts.path.lstrip('/')) if not parts.path.startswith('//') else parts.path[1:]}"
    return url_from_fields(
        parts.scheme, parts.hostname, unquote(parts.username or "") or None, unquote(parts.password or "") or None,
        parts.port, parts.path.lstrip("/") or None,
    )


def herald_db_url(explicit: str | None = None) -> str:
    """The URL given explicitly, else ``HERALD_DB_URL``, else the Airflow connection env variable."""
    if explicit:
        return explicit
    if os.environ.get("HERALD_DB_URL"):
        return os.environ["HERALD_DB_URL"]
    if os.environ.get(HERALD_DB_ENV):
        return url_from_airflow_env(os.environ[HERALD_DB_ENV])
    raise HeraldError(f"Herald's database is not configured: pass --db or set {HERALD_DB_ENV} (connection id {HERALD_DB_CONN_ID})")
