"""Airflow hooks for the publishing platforms: read a Connection, build the plain-Python client.

Connection layout (SEC-1: credentials live in connections only):

- ``host``: the API base URL (``https://api.weixin.qq.com/cgi-bin/``, ``https://api.weibo.com/2/``,
  or the CMS site URL such as ``https://www.example.com/herald``). A host without a scheme is
  combined with ``schema`` (default https), ``port`` and ``extra.path``.
- ``login``: WeChat appid / Weibo app key. ``password``: WeChat secret / Weibo access token /
  CMS webhook secret.
- ``extra`` (JSON): ``connect_timeout``, ``read_timeout``; WeChat ``token_store`` (``database``,
  the default, shares one token holder across workers through Herald's database; ``memory``
  for a single process); Weibo ``safe_domains`` (list) and ``rip``.

Airflow masks every connection's password and extra as it reads the connection (the Task SDK's
``get_connection``, in tasks and in the triggerer alike); every WeChat token fetched at run time is
passed to ``mask_secret`` here. A hook may be given the ``Connection`` already read and its parsed
``extra``, so a triggerer serving a thousand accounts reads each connection once, in bulk
(``herald_airflow.dispatch_clients.ConnectionClients.prefetch``).
"""

from __future__ import annotations

import os
import urllib.request
from typing import Any

import requests
from airflow.sdk import BaseHook, Connection
from airflow.sdk.log import mask_secret

from herald.platforms.cms import CmsWebhookClient
from herald.platforms.tokens import DatabaseTokenStore, MemoryTokenStore, TokenStore
from herald.platforms.transport import DEFAULT_TIMEOUT
from herald.platforms.wechat import WeChatClient
from herald.platforms.weibo import WeiboClient

WECHAT_DEFAULT_BASE = "https://api.weixin.qq.com/cgi-bin/"
WEIBO_DEFAULT_BASE = "https://api.weibo.com/2/"


class _PlatformHook(BaseHook):
    conn_name_attr = "conn_id"
    default_base_url: str | None = None

    def __init__(self, conn_id: str | None = None, connection: Connection | None = None,
                 extra: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.conn_id = conn_id or (connection.conn_id if connection else None) or self.default_conn_name
        self._connection = connection
        self._extra = extra

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            self._connection = self.get_connection(self.conn_id)  # masks the password and extra
        return self._connection

    @property
    def extra(self) -> dict[str, Any]:
        if self._extra is None:  # extra_dejson masks the parsed values again each time it is called
            self._extra = self.connection.extra_dejson
        return self._extra

    def base_url(self) -> str:
        conn = self.connection
        host = (conn.host or "").strip()
        if host.startswith(("http://", "https://")):
            return host
        if not host:
            if self.default_base_url is None:
                raise ValueError(f"connection {self.conn_id}: host (the base URL) is required")
            return self.default_base_url
        port = f":{conn.port}" if conn.port else ""
        return f"{conn.schema or 'https'}://{host}{port}{self.extra.get('path', '')}"

    def timeout(self) -> tuple[float, float]:
        return (
            float(self.extra.get("connect_timeout", DEFAULT_TIMEOUT[0])),
            float(self.extra.get("read_timeout", DEFAULT_TIMEOUT[1])),
        )

    def secret(self) -> str:
        password = self.connection.password
        if not password:
            raise ValueError(f"connection {self.conn_id}: the credential belongs in the password field")
        return password

    @staticmethod
    def session() -> requests.Session:
        session = requests.Session()
        session.headers["User-Agent"] = "Herald/1"
        # requests re-reads the whole environment for proxy settings on every request; a triggerer
        # holding a thousand AIRFLOW_CONN_* variables spent milliseconds per call on it. Without any
        # proxy configured there is nothing to honour, so the environment is read once, here (with
        # a proxy, requests keeps doing it: no_proxy is only honoured that way). Credentials never
        # come from .netrc anyway: they live in connections.
        if not urllib.request.getproxies():
            session.trust_env = False
            session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        return session


class WeChatHook(_PlatformHook):
    default_conn_name = "herald_wechat"
    conn_type = "herald_wechat"
    hook_name = "Herald WeChat official account"
    default_base_url = WECHAT_DEFAULT_BASE

    def __init__(self, conn_id: str | None = None, token_store: TokenStore | None = None, **kwargs: Any):
        super().__init__(conn_id, **kwargs)
        self._token_store = token_store

    def token_store(self) -> TokenStore:
        if self._token_store is None:
            if self.extra.get("token_store", "database") == "memory":
                self._token_store = MemoryTokenStore()
            else:
                from herald_airflow.hooks import HeraldDatabaseHook

                self._token_store = DatabaseTokenStore(HeraldDatabaseHook().get_database())
        return self._token_store

    def get_client(self) -> WeChatClient:
        appid = self.connection.login
        if not appid:
            raise ValueError(f"connection {self.conn_id}: login must hold the appid")
        return WeChatClient(
            self.base_url(),
            appid,
            self.secret(),
            self.session(),
            self.token_store(),
            timeout=self.timeout(),
            on_token=mask_secret,
        )


class WeiboHook(_PlatformHook):
    default_conn_name = "herald_weibo"
    conn_type = "herald_weibo"
    hook_name = "Herald Weibo account"
    default_base_url = WEIBO_DEFAULT_BASE

    def get_client(self) -> WeiboClient:
        return WeiboClient(
            self.base_url(),
            self.secret(),
            self.session(),
            safe_domains=tuple(self.extra.get("safe_domains", ())),
            rip=self.extra.get("rip"),
            timeout=self.timeout(),
        )


class CmsWebhookHook(_PlatformHook):
    default_conn_name = "herald_cms"
    conn_type = "herald_cms"
    hook_name = "Herald website/blog CMS webhook"

    def get_client(self) -> CmsWebhookClient:
        return CmsWebhookClient(self.base_url(), self.secret(), self.session(), timeout=self.timeout())
