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

import json
import re
import threading
from collections.abc import Iterable
from typing import Any

from airflow.exceptions import AirflowNotFoundException
from airflow.sdk import BaseHook, Connection
from airflow.sdk._shared.secrets_masker import _secrets_masker
from airflow.sdk._shared.secrets_masker.secrets_masker import SECRETS_TO_SKIP_MASKING
from airflow.sdk.log import mask_secret

from herald.dispatch.channels.base import ClientUnavailable
from herald.dispatch.connections import account_slug, connection_ids, connection_kind
from herald.platforms.tokens import DatabaseTokenStore
from herald_airflow.platform_hooks import CmsWebhookHook, WeChatHook, WeiboHook, token_cipher

HOOKS = {"wechat": WeChatHook, "weibo": WeiboHook, "cms": CmsWebhookHook}
__all__ = ["HOOKS", "ConnectionClients", "MissingConnection", "account_slug", "client_or_none", "connection_ids",
           "connection_kind", "mask_many"]


class MissingConnection(AirflowNotFoundException, ClientUnavailable):
    """No connection serves the account (Airflow's not-found, and Herald's "configure it": no call is made)."""


class ConnectionClients:
    """A ``herald.dispatch.channels.base.ClientSource``: one client per account, built once, thread-safe.

    Each connection is read once and its extra parsed once. ``prefetch`` reads the connections of a
    whole publish second before the second: inside the triggerer every message to the supervisor
    waits for the supervisor's loop (about 30 ms each here), and the SDK's ``get_connection`` sends
    two per connection (masking the password and the extra) and ``extra_dejson`` one more, so a
    thousand accounts took a minute and a half. ``prefetch`` asks the same secrets backends in the
    same order as the SDK and masks every credential it read with one message. With ``db``, WeChat
    accounts share one database-backed token holder on it instead of each opening Herald's database.
    """

    def __init__(self, db=None) -> None:
        self._db = db
        self._connections: dict[str, Connection | None] = {}
        self._extras: dict[str, dict[str, Any]] = {}
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.RLock()

    def _read(self, conn_id: str) -> Connection | None:
        with self._lock:
            if conn_id not in self._connections:
                try:
                    connection = BaseHook.get_connection(conn_id)  # masks its password and extra
                except AirflowNotFoundException:
                    connection = None
                self._remember(conn_id, connection, connection.extra_dejson if connection else {})
            return self._connections[conn_id]

    def _remember(self, conn_id: str, connection: Connection | None, extra: dict[str, Any]) -> None:
        self._connections[conn_id] = connection
        self._extras[conn_id] = extra

    def _connection(self, platform: str, account_id: str) -> Connection | None:
        own, shared = connection_ids(platform, account_id)
        return self._read(own) or self._read(shared)

    def prefetch(self, accounts: Iterable[tuple[str, str]]) -> int:
        """Read the connections of these (platform, account) pairs in bulk; return how many exist."""
        from airflow.sdk.execution_time.supervisor import ensure_secrets_backend_loaded

        backends = ensure_secrets_backend_loaded()
        secrets: list[Any] = []

        def read(conn_id: str) -> None:
            for backend in backends:
                try:
                    connection = backend.get_connection(conn_id=conn_id)
                except Exception:  # as the SDK does: a backend that cannot answer is skipped
                    continue
                if connection:
                    extra = json.loads(connection.extra) if connection.extra else {}
                    secrets.extend(x for x in (connection.password, extra) if x)
                    self._remember(conn_id, connection, extra)
                    return
            self._remember(conn_id, None, {})

        with self._lock:
            pairs = [connection_ids(platform, account_id) for platform, account_id in accounts]
            for own in dict.fromkeys(own for own, _ in pairs):
                if own not in self._connections:
                    read(own)
            for shared in dict.fromkeys(shared for own, shared in pairs if self._connections[own] is None):
                if shared not in self._connections:
                    read(shared)
            if secrets:
                mask_many(secrets)
            return sum(1 for conn in self._connections.values() if conn is not None)

    def client(self, platform: str, account_id: str):
        key = (platform, account_id)
        with self._lock:
            if key not in self._clients:
                connection = self._connection(platform, account_id)
                if connection is None:
                    raise MissingConnection(
                        f"no connection for {platform} account {account_id}: create "
                        f"{' or '.join(connection_ids(platform, account_id))}")
                kind = connection_kind(platform)
                extra = self._extras[connection.conn_id]
                options: dict[str, Any] = {"connection": connection, "extra": extra}
                if kind == "wechat" and self._db is not None and extra.get("token_store") != "memory":
                    options["token_store"] = DatabaseTokenStore(self._db, cipher=token_cipher)
                try:
                    self._clients[key] = HOOKS[kind](**options).get_client()
                except ValueError as exc:  # the hooks' "the credential belongs in the password field" and the like
                    raise ClientUnavailable(f"connection {connection.conn_id}: {exc}") from exc
            return self._clients[key]

    def options(self, platform: str, account_id: str) -> dict[str, Any]:
        with self._lock:
            connection = self._connection(platform, account_id)
            return dict(self._extras[connection.conn_id]) if connection else {}


def mask_many(secrets: list[Any]) -> None:
    """Mask many credentials with one message to the supervisor, compiling the local mask once.

    The SDK's masker compiles one regular expression of every secret it knows each time it learns a
    new one: quadratic, a minute of CPU for a thousand account tokens here, holding the interpreter
    the triggerer's event loop needs. The new patterns are added together and compiled once (the
    masker's own rules: minimum length, skipped words, adaptations); then ``mask_secret`` finds them
    known, adds nothing, and tells the supervisor in one message. A masker without those internals
    (another Airflow version) just gets ``mask_secret``.
    """
    masker = _secrets_masker()
    patterns = getattr(masker, "patterns", None)
    if isinstance(patterns, set) and hasattr(masker, "_adaptations") and hasattr(masker, "replacer"):
        minimum = getattr(masker, "min_length_to_mask", 0)
        learnt = {re.escape(form) for secret in secrets if isinstance(secret, str)
                  for form in masker._adaptations(secret)
                  if form and len(form) >= minimum and form.lower() not in SECRETS_TO_SKIP_MASKING} - patterns
        if learnt:
            patterns.update(learnt)
            masker.replacer = re.compile("|".join(patterns))
    mask_secret(secrets)


def client_or_none(clients: ConnectionClients):
    """``clients.client`` that answers None for an account without a connection (reading back is optional)."""

    def client_for(platform: str, account_id: str):
        try:
            return clients.client(platform, account_id)
        except AirflowNotFoundException:
            return None

    return client_for
