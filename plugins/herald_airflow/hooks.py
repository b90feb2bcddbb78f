"""Hooks: how Herald's code reaches what Airflow connections describe."""

from __future__ import annotations

from airflow.sdk import BaseHook
from sqlalchemy.exc import SQLAlchemyError

from herald.connection_url import HERALD_DB_CONN_ID, url_from_fields
from herald.errors import HeraldError
from herald_airflow.provider_info import HOOK_NAMES

# What a connection test reports as its answer rather than raising: a field missing or wrong
# (ValueError, HeraldError) or a database that does not answer (the WeChat token holder's too).
CONFIGURATION_ERRORS = (ValueError, HeraldError, SQLAlchemyError)


class HeraldDatabaseHook(BaseHook):
    """Herald's own database (never Airflow's metadata DB), from the ``herald_db`` connection.

    The connection is ``postgres`` in production and tests, or ``sqlite`` (file path in
    ``host``) for the embedded demo. Credentials stay in the connection. A connection of this
    hook's own type (``herald_db``, the one Airflow's connection form offers) is PostgreSQL.
    """

    conn_name_attr = "herald_conn_id"
    default_conn_name = HERALD_DB_CONN_ID
    conn_type = "herald_db"
    hook_name = HOOK_NAMES["herald_db"]

    def __init__(self, herald_conn_id: str = HERALD_DB_CONN_ID, **kwargs):
        super().__init__(**kwargs)
        self.herald_conn_id = herald_conn_id
        self._database = None

    def get_url(self) -> str:
        conn = self.get_connection(self.herald_conn_id)
        conn_type = "postgres" if conn.conn_type == self.conn_type else conn.conn_type
        return url_from_fields(conn_type, conn.host, conn.login, conn.password, conn.port, conn.schema)

    def get_database(self):
        from herald.db import Database

        if self._database is None:
            self._database = Database(self.get_url())
        return self._database

    def test_connection(self) -> tuple[bool, str]:
        """The connection form's Test button: the database answers ``SELECT 1``."""
        from herald.db import Database

        try:
            url = self.get_url()
            if url.startswith("postgres"):
                url += "?connect_timeout=10"  # an unreachable host fails the test in seconds, not minutes
            database = Database(url)
        except CONFIGURATION_ERRORS as exc:
            return False, f"连接配置有误：{exc}"
        try:
            database.scalar("health/ping")
        except SQLAlchemyError as exc:
            return False, f"数据库未应答：{str(getattr(exc, 'orig', None) or exc).strip()}"
        finally:
            database.dispose()
        return True, f"数据库已应答：{database!r}"
