"""Hooks: how Herald's code reaches what Airflow connections describe."""

from __future__ import annotations

from airflow.sdk import BaseHook

from herald.connection_url import HERALD_DB_CONN_ID, url_from_fields


class HeraldDatabaseHook(BaseHook):
    """Herald's own database (never Airflow's metadata DB), from the ``herald_db`` connection.

    The connection is ``postgres`` in production and tests, or ``sqlite`` (file path in
    ``host``) for the embedded demo. Credentials stay in the connection.
    """

    conn_name_attr = "herald_conn_id"
    default_conn_name = HERALD_DB_CONN_ID
    conn_type = "herald_db"
    hook_name = "Herald database"

    def __init__(self, herald_conn_id: str = HERALD_DB_CONN_ID, **kwargs):
        super().__init__(**kwargs)
        self.herald_conn_id = herald_conn_id
        self._database = None

    def get_url(self) -> str:
        conn = self.get_connection(self.herald_conn_id)
        return url_from_fields(conn.conn_type, conn.host, conn.login, conn.password, conn.port, conn.schema)

    def get_database(self):
        from herald.db import Database

        if self._database is None:
            self._database = Database(self.get_url())
        return self._database
