"""Airflow hooks for the publishing platforms: read a Connection, build the plain-Python client.

Connection layout (SEC-1: credentials live in connections only):

- ``host``: the API base URL (``https://api.weixin.qq.com/cgi-bin/``, ``https://api.weibo.com/2/``,
  or the CMS site URL such as ``https://www.example.com/herald``). A host without a scheme is
  combined with ``schema`` (default https), ``port`` and ``extra.path``.
- ``login``: WeChat appid / Weibo app key. ``password``: WeChat secret / Weibo access token /
  CMS webhook secret.
- ``extra`` (JSON): ``connect_timeout``, ``read_timeout``; WeChat ``token_store`` (``database``,
  the default, shares one token holder across workers through Herald's database; ``memory``
  for a single process); Weibo ``safe_domains`` (list, or text with one domain a line) and ``rip``.
  Airflow's connection form fills these as labelled fields (``provider_info.py``); a field left
  empty there may be stored as null, which means the default.

Each hook's ``test_connection`` drives the form's Test button through the same client the tasks use.

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

from herald.dispatch.connections import connection_ids, parse_safe_domains
from herald.platforms import wechat
from herald.platforms.cms import CmsWebhookClient
from herald.platforms.outcome import Outcome, OutcomeKind
from herald.platforms.tokens import DatabaseTokenStore, MemoryTokenStore, TokenStore
from herald.platforms.transport import DEFAULT_TIMEOUT
from herald.platforms.wechat import TokenFetchFailed, WeChatClient
from herald.platforms.weibo import WeiboClient
from herald.secrets_at_rest import KEY_VARIABLE, TokenCipher
from herald.timeutil import now_utc
from herald_airflow.hooks import CONFIGURATION_ERRORS, HeraldDatabaseHook
from herald_airflow.provider_info import HOOK_NAMES

WECHAT_DEFAULT_BASE = "https://api.weixin.qq.com/cgi-bin/"
WEIBO_DEFAULT_BASE = "https://api.weibo.com/2/"
CMS_PROBE_ITEM = "herald-connection-test"  # read, never published: the CMS answers 404 once the signature passes

_WHAT_TO_CHECK = {
    OutcomeKind.CONFIG_ERROR: "凭据、授权或 IP 白名单有误",
    OutcomeKind.RETRY: "平台暂时无法访问",
    OutcomeKind.WAIT_QUOTA: "平台限流，请稍后再试",
}


def _describe(outcome: Outcome) -> str:
    """A failed outcome for the person who pressed Test (the outcome's own text is already redacted)."""
    if outcome.code == "connect_error":
        lead = "无法连接到该地址"
    else:
        lead = _WHAT_TO_CHECK.get(outcome.kind, "平台拒绝了请求")
    return f"{lead}（{outcome}）"


def token_cipher() -> TokenCipher:
    """The Fernet keys this Airflow process encrypts connection passwords with, for the tokens Herald keeps.

    Read from Airflow's configuration (``[core] fernet_key``: the environment, ``airflow.cfg``,
    ``fernet_key_cmd`` or ``fernet_key_secret``), lazily, the first time a token is read or stored
    (``herald.secrets_at_rest``: no key means no token is stored, never a plain one).
    """
    from airflow.configuration import conf

    return TokenCipher(conf.get("core", "fernet_key", fallback=""), source=f"{KEY_VARIABLE} ([core] fernet_key)")


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
        connect, read = self.extra.get("connect_timeout"), self.extra.get("read_timeout")
        return (
            DEFAULT_TIMEOUT[0] if connect in (None, "") else float(connect),
            DEFAULT_TIMEOUT[1] if read in (None, "") else float(read),
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
    hook_name = HOOK_NAMES["herald_wechat"]
    default_base_url = WECHAT_DEFAULT_BASE

    def __init__(self, conn_id: str | None = None, token_store: TokenStore | None = None, **kwargs: Any):
        super().__init__(conn_id, **kwargs)
        self._token_store = token_store

    def token_store(self) -> TokenStore:
        if self._token_store is None:
            if self.extra.get("token_store", "database") == "memory":
                self._token_store = MemoryTokenStore()
            else:
                self._token_store = DatabaseTokenStore(HeraldDatabaseHook().get_database(), cipher=token_cipher)
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

    def test_connection(self) -> tuple[bool, str]:
        """The Test button: WeChat issues an access_token for this AppID and AppSecret.

        A token the holder already keeps proves nothing about the secret now in the form, so a new
        one is always fetched, through the account's token holder: the workers adopt it there instead
        of being knocked out by a token they never saw. (With ``token_store`` ``memory`` the holder
        is this process only: fine for the demo and tests.)
        """
        try:
            client = self.get_client()
            held = client.token_store.current(wechat.PLATFORM, client.appid, now_utc())
            client.access_token(stale=held)
        except TokenFetchFailed as failed:
            return False, f"微信未发放 access_token：{_describe(failed.outcome)}"
        except CONFIGURATION_ERRORS as exc:
            return False, f"连接配置有误：{exc}"
        return True, f"微信已为 AppID {client.appid} 发放 access_token（{client.base_url}）"


class WeiboHook(_PlatformHook):
    default_conn_name = "herald_weibo"
    conn_type = "herald_weibo"
    hook_name = HOOK_NAMES["herald_weibo"]
    default_base_url = WEIBO_DEFAULT_BASE

    def get_client(self) -> WeiboClient:
        return WeiboClient(
            self.base_url(),
            self.secret(),
            self.session(),
            safe_domains=self.safe_domains(),
            rip=self.extra.get("rip"),
            timeout=self.timeout(),
        )

    def safe_domains(self) -> tuple[str, ...]:
        return parse_safe_domains(self.extra.get("safe_domains"))  # a list, or text: one a line or comma-separated

    def test_connection(self) -> tuple[bool, str]:
        """The Test button: Weibo accepts the access token (``oauth2/get_token_info``), for this App Key if given."""
        try:
            client = self.get_client()
            info = client.get_token_info()
        except CONFIGURATION_ERRORS as exc:
            return False, f"连接配置有误：{exc}"
        if not info.ok:
            return False, f"微博未接受该 Access Token：{_describe(info)}"
        appkey, expected = str(info.data.get("appkey") or ""), (self.connection.login or "").strip()
        if expected and appkey and appkey != expected:
            return False, f"该 Access Token 属于 App Key {appkey}，不是连接中填写的 {expected}"
        days = int(info.data.get("expire_in") or 0) // 86400
        return True, f"微博已接受该 Access Token：用户 uid {info.data.get('uid')}，约 {days} 天后到期"


class CmsWebhookHook(_PlatformHook):
    default_conn_name = "herald_cms"
    conn_type = "herald_cms"
    hook_name = HOOK_NAMES["herald_cms"]

    def get_client(self, secret: str | None = None) -> CmsWebhookClient:
        return CmsWebhookClient(self.base_url(), secret or self.secret(), self.session(), timeout=self.timeout())

    def test_connection(self) -> tuple[bool, str]:
        """The Test button: the CMS accepts a request signed with this secret and refuses a forged one.

        Both are reads of an item that does not exist (nothing is published): signed with the secret
        the CMS answers 404 (or the item), signed with another it must answer 401/403. The second
        read tells a Herald webhook from any site that answers 404 to everything.
        """
        try:
            signed = self.get_client().get_item(CMS_PROBE_ITEM)
        except CONFIGURATION_ERRORS as exc:
            return False, f"连接配置有误：{exc}"
        if signed.kind is OutcomeKind.CONFIG_ERROR:
            return False, f"CMS 拒绝了签名：Webhook 签名密钥有误，或两端时钟相差超过 5 分钟（{signed}）"
        if not (signed.ok or signed.code == "http_404"):
            return False, f"CMS 未正常应答：{_describe(signed)}"
        forged = self.get_client(secret=self.secret() + "-forged").get_item(CMS_PROBE_ITEM)
        if forged.kind is not OutcomeKind.CONFIG_ERROR:
            return False, f"该地址不校验 Herald 的签名，不像 Herald 的 CMS webhook（伪造签名的请求得到：{forged}）"
        return True, f"CMS 接受了签名，并拒绝了伪造的签名（{self.base_url()}）"


def safe_domains_for(account_id: str, platform: str) -> tuple[str, ...] | None:
    """The safe domains registered for a Weibo account's app, for the queue's CON-7 check; None when not known.

    Read in the api-server through Airflow's secrets chain (``Connection.get_connection_from_secrets``:
    environment variables, a secrets backend, the metadata database), the account's own connection
    ``herald_weibo__<account>`` first, else the shared ``herald_weibo``, as dispatch reads them. Not known:
    another platform, no connection, or one that registers no domain (the platform then judges at the second).
    """
    if platform != "weibo":
        return None
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection as StoredConnection

    for conn_id in connection_ids(platform, account_id):
        try:
            connection = StoredConnection.get_connection_from_secrets(conn_id)
        except AirflowNotFoundException:
            continue
        return parse_safe_domains(connection.extra_dejson.get("safe_domains")) or None
    return None
