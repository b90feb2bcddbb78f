"""Herald's connection types in Airflow's connection form: provider metadata, labelled fields, the Test button.

The Test button is pressed the way the API server's ``POST /connections/test`` presses it: the form's
fields become a transient connection in an ``AIRFLOW_CONN_*`` variable, then ``Connection.test_connection``
finds the hook through the ProvidersManager and calls its ``test_connection``. The platforms are the local
fakes; the database is the local PostgreSQL.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from importlib.metadata import entry_points
from urllib.parse import urlsplit

import pytest

from herald_airflow.provider_info import HOOK_NAMES, get_provider_info

pytestmark = pytest.mark.integrity  # imports Airflow

HOOKS = {
    "herald_db": "herald_airflow.hooks.HeraldDatabaseHook",
    "herald_wechat": "herald_airflow.platform_hooks.WeChatHook",
    "herald_weibo": "herald_airflow.platform_hooks.WeiboHook",
    "herald_cms": "herald_airflow.platform_hooks.CmsWebhookHook",
}
APPID, APPSECRET = "wx_conn_test", "wechat-secret-for-the-form"
WEIBO_TOKEN, WEIBO_APPKEY, WEIBO_UID = "weibo-token-for-the-form", "2012345678", "5000000077"
CMS_SITE, CMS_SECRET = "corp", "cms-secret-for-the-form"
FAST = {"connect_timeout": 1, "read_timeout": 3}


@pytest.fixture(scope="module")
def fake():
    from herald_dev.fakeplatforms import FakePlatforms

    with FakePlatforms.start(
        wechat_accounts={APPID: APPSECRET},
        weibo_tokens={WEIBO_TOKEN: {"uid": WEIBO_UID, "appkey": WEIBO_APPKEY, "safe_domains": ["herald.example.com"]}},
        cms_sites={CMS_SITE: CMS_SECRET},
    ) as server:
        yield server


@pytest.fixture
def closed_port():
    """A local port nothing listens on (held, so nothing else takes it during the test)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


def press_test(monkeypatch, conn_type: str, *, extra: dict | None = None, **fields) -> tuple[bool, str]:
    """What the API server does for the form's Test button (routes/public/connections.py, test_connection)."""
    from airflow.models.connection import Connection

    conn = Connection(conn_id="herald_form_test", conn_type=conn_type, extra=json.dumps(extra or {}), **fields)
    monkeypatch.setenv("AIRFLOW_CONN_HERALD_FORM_TEST", conn.get_uri())
    return conn.test_connection()


# --- provider metadata ---------------------------------------------------------------------------


def test_the_entry_point_gives_provider_info_that_airflow_accepts():
    from airflow.providers_manager import (
        _create_provider_info_schema_validator,
        _read_schema_from_resources_or_local_file,
    )

    found = [ep for ep in entry_points(group="apache_airflow_provider") if ep.dist and ep.dist.name == "herald"]
    assert len(found) == 1, "install the project: pip install --no-deps -e ."
    info = found[0].load()()
    _create_provider_info_schema_validator().validate(info)  # what Airflow checks at discovery
    assert info["package-name"] == "herald" and info["versions"] == [found[0].dist.version]
    # provider.yaml's schema is the strict one: it knows conn-fields and ui-field-behaviour field by field.
    import jsonschema

    strict = _read_schema_from_resources_or_local_file("provider.yaml.schema.json")["properties"]["connection-types"]
    jsonschema.validate(info["connection-types"], strict)
    assert {c["connection-type"]: c["hook-class-name"] for c in info["connection-types"]} == HOOKS


def test_provider_info_imports_nothing_heavy():
    """Every Airflow process calls get_provider_info at start."""
    probe = "import sys, herald_airflow.provider_info as p; p.get_provider_info(); " \
            "print(sorted(m for m in ('airflow', 'requests', 'sqlalchemy', 'herald') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_providers_manager_lists_the_four_types_with_their_hooks_and_form():
    from airflow.providers_manager import ProvidersManager
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    manager, runtime = ProvidersManager(), ProvidersManagerTaskRuntime()  # the API server's, the workers'
    assert manager.providers["herald"].version == get_provider_info()["versions"][0]
    for conn_type, class_name in HOOKS.items():
        hook = runtime.hooks[conn_type]
        assert hook is not None, f"{conn_type}: the hook did not import (see the log)"
        assert (hook.hook_class_name, hook.package_name, hook.connection_testable) == (class_name, "herald", True)
        assert hook.hook_name == HOOK_NAMES[conn_type]
    behaviours = manager.field_behaviours
    assert behaviours["herald_wechat"]["relabeling"] == {"login": "AppID", "password": "AppSecret", "host": "API 基础 URL"}
    assert set(behaviours["herald_wechat"]["hidden_fields"]) == {"schema", "port"}  # the URL goes in host
    assert behaviours["herald_cms"]["relabeling"]["password"] == "Webhook 签名密钥"
    assert "login" in behaviours["herald_cms"]["hidden_fields"]
    assert behaviours["herald_db"]["relabeling"]["schema"] == "数据库名"
    widgets = manager.connection_form_widgets
    for field in ("herald_wechat__token_store", "herald_wechat__preview_openid", "herald_wechat__source_url_template",
                  "herald_weibo__safe_domains", "herald_weibo__rip", "herald_cms__read_timeout"):
        assert f"extra__{field}" in widgets


def test_the_connection_form_shows_labelled_fields():
    """The data behind the UI's connection form (GET /ui/connections/hook_meta), built without importing hooks."""
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService

    forms = {meta.connection_type: meta for meta in HookMetaService.hook_meta_data()}
    wechat = forms["herald_wechat"]
    assert wechat.hook_name == HOOK_NAMES["herald_wechat"]
    assert wechat.standard_fields.login.title == "AppID" and wechat.standard_fields.password.title == "AppSecret"
    assert wechat.standard_fields.url_schema.hidden and wechat.standard_fields.port.hidden
    assert wechat.extra_fields["token_store"]["schema"]["enum"] == ["database", "memory", None]
    assert wechat.extra_fields["token_store"]["value"] is None  # a default would be shown masked: the key says "token"
    assert wechat.extra_fields["preview_openid"]["schema"]["title"] == "预览接收人 openid"
    weibo = forms["herald_weibo"]
    assert weibo.standard_fields.password.title == "Access Token"
    assert weibo.extra_fields["safe_domains"]["schema"]["title"] == "安全域名"
    assert forms["herald_cms"].standard_fields.login.hidden
    assert forms["herald_db"].standard_fields.url_schema.title == "数据库名"


# --- the Test button -----------------------------------------------------------------------------


@pytest.mark.pg
def test_database_answers(pg_url, monkeypatch, closed_port):
    url = urlsplit(pg_url)
    fields = {"host": url.hostname, "port": url.port, "login": url.username, "schema": url.path.lstrip("/")}
    ok, message = press_test(monkeypatch, "herald_db", **fields)
    assert ok, message
    ok, message = press_test(monkeypatch, "herald_db", **{**fields, "schema": "herald_no_such_database"})
    assert not ok and "herald_no_such_database" in message and "does not exist" in message
    ok, message = press_test(monkeypatch, "herald_db", **{**fields, "port": closed_port})
    assert not ok and message.startswith("数据库未应答") and str(closed_port) in message


def test_wechat_issues_a_token_for_the_form_credentials(fake, monkeypatch, closed_port):
    fields = {"host": fake.wechat_url, "login": APPID, "extra": {"token_store": "memory", **FAST}}
    ok, message = press_test(monkeypatch, "herald_wechat", password=APPSECRET, **fields)
    assert ok and APPID in message, message
    ok, message = press_test(monkeypatch, "herald_wechat", password="not-the-secret", **fields)
    assert not ok and "40001" in message and "not-the-secret" not in message, message
    ok, message = press_test(monkeypatch, "herald_wechat", password=APPSECRET, **{**fields, "login": "wx_unknown"})
    assert not ok and "40013" in message, message
    unreachable = {**fields, "host": f"http://127.0.0.1:{closed_port}/cgi-bin/"}
    ok, message = press_test(monkeypatch, "herald_wechat", password=APPSECRET, **unreachable)
    assert not ok and "无法连接" in message and APPSECRET not in message, message


@pytest.mark.pg
def test_wechat_test_fetches_through_the_shared_token_holder(fake, pg_db, pg_url, monkeypatch):
    """Each press fetches a token (a held one says nothing of the secret) and leaves it where the workers look."""
    from herald.platforms.tokens import DatabaseTokenStore
    from herald.timeutil import now_utc

    monkeypatch.setenv("AIRFLOW_CONN_HERALD_DB", pg_url)
    fields = {"host": fake.wechat_url, "login": APPID, "password": APPSECRET, "extra": FAST}
    before = fake.state.request_counts["wechat:token"]
    assert press_test(monkeypatch, "herald_wechat", **fields)[0]
    held = DatabaseTokenStore(pg_db).current("wechat", APPID, now_utc())
    assert held == fake.state.current_token[(APPID, "basic")]
    assert press_test(monkeypatch, "herald_wechat", **fields)[0]
    assert fake.state.request_counts["wechat:token"] == before + 2
    assert DatabaseTokenStore(pg_db).current("wechat", APPID, now_utc()) == fake.state.current_token[(APPID, "basic")] != held


def test_weibo_accepts_the_token_for_the_app_key(fake, monkeypatch, closed_port):
    fields = {"host": fake.weibo_url, "extra": {"safe_domains": "herald.example.com", **FAST}}
    ok, message = press_test(monkeypatch, "herald_weibo", password=WEIBO_TOKEN, login=WEIBO_APPKEY, **fields)
    assert ok and WEIBO_UID in message, message
    ok, message = press_test(monkeypatch, "herald_weibo", password=WEIBO_TOKEN, login="another-app", **fields)
    assert not ok and WEIBO_APPKEY in message and "another-app" in message, message
    ok, message = press_test(monkeypatch, "herald_weibo", password="revoked-token", **fields)
    assert not ok and "21332" in message, message
    unreachable = {**fields, "host": f"http://127.0.0.1:{closed_port}/2/"}
    ok, message = press_test(monkeypatch, "herald_weibo", password=WEIBO_TOKEN, **unreachable)
    assert not ok and "无法连接" in message, message


def test_weibo_safe_domains_from_the_form_or_from_json(monkeypatch):
    from herald_airflow.platform_hooks import WeiboHook

    def domains(value):
        monkeypatch.setenv("AIRFLOW_CONN_HERALD_WEIBO_DOMAINS", json.dumps(
            {"conn_type": "herald_weibo", "password": "t", "extra": {"safe_domains": value}}))
        return WeiboHook("herald_weibo_domains").get_client().safe_domains

    assert domains("herald.example.com\n news.example.com ,m.example.com\n") == (
        "herald.example.com", "news.example.com", "m.example.com")
    assert domains(["herald.example.com"]) == ("herald.example.com",)
    assert domains(None) == ()


def test_cms_accepts_the_signature_and_refuses_a_forged_one(fake, monkeypatch, closed_port):
    fields = {"host": fake.cms_url(CMS_SITE), "extra": FAST}
    ok, message = press_test(monkeypatch, "herald_cms", password=CMS_SECRET, **fields)
    assert ok, message
    ok, message = press_test(monkeypatch, "herald_cms", password="not-the-secret", **fields)
    assert not ok and "签名密钥有误" in message and "http_401" in message, message
    # A site that answers 404 to everything also "accepts" the signature: the forged read tells them apart.
    ok, message = press_test(monkeypatch, "herald_cms", password=CMS_SECRET, **{**fields, "host": fake.cms_url("nosite")})
    assert not ok and "不校验" in message, message
    ok, message = press_test(monkeypatch, "herald_cms", password=CMS_SECRET, **{**fields, "host": f"http://127.0.0.1:{closed_port}/herald"})
    assert not ok and "无法连接" in message, message
    assert fake.publications(platform="cms") == []  # a test publishes nothing


def test_a_missing_credential_is_reported_not_raised(fake, monkeypatch):
    ok, message = press_test(monkeypatch, "herald_cms", host=fake.cms_url(CMS_SITE))
    assert not ok and "password" in message, message
