"""Platform clients for dispatch, from Airflow connections (SEC-1: credentials live in connections only).

Which connection serves an account: ``herald_<kind>__<account>`` where ``<kind>`` is ``wechat``,
``weibo`` or ``cms`` (websites and blogs) and ``<account>`` is the Herald account id in lower case
with every character other than a-z and 0-9 turned into ``_`` (``WX-GROUP`` -> ``herald_wechat__wx_group``,
so it can also be an ``AIRFLOW_CONN_HERALD_WECHAT__WX_GROUP`` variable); when that connection does
not exist, the platform's shared ``herald_<kind>`` connection (the demo's fake accounts sit there).

Per-account options are read from the connection's ``extra``: ``preview_openid`` (the reviewer who
receives WeChat mass-send previews, CON-9), ``source_url_template`` (the WeChat article's original
link, must contain ``{post_id}``: it is how a lost submit is found again). Manual channels need no
credentials; ``herald_manual__<account>`` may carry ``expected_hosts`` and ``confirmation_hours``.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from airflow.exceptions import AirflowNotFoundException
from airflow.sdk import BaseHook

from herald_airflow.platform_hooks import CmsWebhookHook, WeChatHook, WeiboHook

HOOKS = {"wechat": WeChatHook, "weibo": WeiboHook, "cms": CmsWebhookHook}


def connection_kind(platform: str) -> str:
    return {"website": "cms", "blog": "cms"}.get(platform, platform if platform in HOOKS else "manual")


def account_slug(account_id: str) -> str:
    return re.sub(r"[^a-z0-9]", "_", account_id.lower())


def connection_ids(platform: str, account_id: str) -> tuple[str, str]:
    kind = connection_kind(platform)
    return f"herald_{kind}__{account_slug(account_id)}", f"herald_{kind}"


class ConnectionClients:
    """A ``herald.dispatch.channels.ClientSource``: one client per account, built once, thread-safe."""

    def __init__(self) -> None:
        self._clients: dict[tuple[str, str], Any] = {}
        self._options: dict[tuple[str, str], dict[str, Any]] = {}
        self._conn_ids: dict[tuple[str, str], str | None] = {}
        self._lock = threading.Lock()

    def _conn_id(self, platform: str, account_id: str) -> str | None:
        key = (platform, account_id)
        if key not in self._conn_ids:
            found = None
            for conn_id in connection_ids(platform, account_id):
                try:
                    BaseHook.get_connection(conn_id)
                except AirflowNotFoundException:
                    continue
                found = conn_id
                break
            self._conn_ids[key] = found
        return self._conn_ids[key]

    def client(self, platform: str, account_id: str):
        key = (platform, account_id)
        with self._lock:
            if key not in self._clients:
                conn_id = self._conn_id(platform, account_id)
                if conn_id is None:
                    raise AirflowNotFoundException(
                        f"no connection for {platform} account {account_id}: create "
                        f"{' or '.join(connection_ids(platform, account_id))}")
                self._clients[key] = HOOKS[connection_kind(platform)](conn_id).get_client()
            return self._clients[key]

    def options(self, platform: str, account_id: str) -> dict[str, Any]:
        key = (platform, account_id)
        with self._lock:
            if key not in self._options:
                conn_id = self._conn_id(platform, account_id)
                self._options[key] = dict(BaseHook.get_connection(conn_id).extra_dejson) if conn_id else {}
            return self._options[key]


def client_or_none(clients: ConnectionClients):
    """``clients.client`` that answers None for an account without a connection (reading back is optional)."""

    def client_for(platform: str, account_id: str):
        try:
            return clients.client(platform, account_id)
        except AirflowNotFoundException:
            return None

    return client_for
