"""Airflow provider metadata for Herald: the connection types and their connection form.

Airflow finds it through the ``apache_airflow_provider`` entry point of the ``herald`` distribution
(pyproject.toml) and validates it against ``airflow/provider_info.schema.json``; ``package-name`` must be
the distribution's name or Airflow refuses every provider. Every Airflow process calls it at start, so it
imports nothing beyond the standard library.

Since Airflow 3.2 the connection form is built from this metadata alone, without importing the hooks:
``hook-name``, ``ui-field-behaviour`` (standard fields hidden, relabelled, given placeholders) and
``conn-fields`` (form fields stored in ``Connection.extra`` under their own name, which is the name the
hooks read). A hook's ``get_ui_field_behaviour`` / ``get_connection_form_widgets`` are deprecated there and
ignored once this metadata exists, so the hooks define neither. The Test button calls the hook's
``test_connection`` (enabled by ``[core] test_connection = Enabled``).
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

DISTRIBUTION = "herald"

_TIMEOUTS: dict[str, dict[str, Any]] = {
    "connect_timeout": {
        "label": "连接超时（秒）",
        "description": "建立连接最多等待的秒数；留空则用 Herald 的默认值。",
        "schema": {"type": ["number", "null"], "minimum": 0.1},
    },
    "read_timeout": {
        "label": "读取超时（秒）",
        "description": "请求发出后等待应答的秒数；留空则用 Herald 的默认值。",
        "schema": {"type": ["number", "null"], "minimum": 0.1},
    },
}

HOOK_NAMES = {  # the hooks' hook_name too: the form shows this one before a hook is imported
    "herald_db": "Herald 数据库 (PostgreSQL)",
    "herald_wechat": "Herald 微信公众号 (WeChat official account)",
    "herald_weibo": "Herald 微博账号 (Weibo account)",
    "herald_cms": "Herald 网站/博客 CMS webhook",
}

# The host field takes the whole base URL. The extra JSON stays visible: the form's fields are written
# into it, and it shows (and keeps) any key the form does not know yet.
_HIDE_FOR_URL_HOSTS = ["schema", "port"]

CONNECTION_TYPES: list[dict[str, Any]] = [
    {
        "connection-type": "herald_db",
        "hook-class-name": "herald_airflow.hooks.HeraldDatabaseHook",
        "hook-name": HOOK_NAMES["herald_db"],
        "ui-field-behaviour": {
            "hidden-fields": ["extra"],
            "relabeling": {"host": "主机", "port": "端口", "schema": "数据库名", "login": "用户名", "password": "密码"},
            "placeholders": {"host": "127.0.0.1", "port": "5432", "schema": "herald", "login": "herald"},
        },
    },
    {
        "connection-type": "herald_wechat",
        "hook-class-name": "herald_airflow.platform_hooks.WeChatHook",
        "hook-name": HOOK_NAMES["herald_wechat"],
        "ui-field-behaviour": {
            "hidden-fields": _HIDE_FOR_URL_HOSTS,
            "relabeling": {"login": "AppID", "password": "AppSecret", "host": "API 基础 URL"},
            "placeholders": {
                "login": "wx0123456789abcdef",
                "host": "https://api.weixin.qq.com/cgi-bin/（留空即此地址）",
            },
        },
        "conn-fields": {
            # No default: Airflow treats every extra key containing "token" as secret and would show
            # (and could store) a default as "***". Left empty it means database.
            "token_store": {
                "label": "access_token 持有方",
                "description": "database（留空即此）：各 worker 经 Herald 数据库共用一个令牌，生产用；"
                "memory：仅限单个进程，测试、演示用。",
                "schema": {"type": ["string", "null"], "enum": ["database", "memory", None]},
            },
            "preview_openid": {
                "label": "预览接收人 openid",
                "description": "每次群发前先预览给这位审核人（CON-9）；不填则该账号无法群发。",
                "schema": {"type": ["string", "null"]},
            },
            "source_url_template": {
                "label": "原文链接模板",
                "description": "写入图文“原文链接”，须含 {post_id}：提交的应答丢失时靠它找回文章。"
                "留空即 herald://post/{post_id}。",
                "schema": {"type": ["string", "null"], "pattern": "\\{post_id\\}"},
            },
            **_TIMEOUTS,
        },
    },
    {
        "connection-type": "herald_weibo",
        "hook-class-name": "herald_airflow.platform_hooks.WeiboHook",
        "hook-name": HOOK_NAMES["herald_weibo"],
        "ui-field-behaviour": {
            "hidden-fields": _HIDE_FOR_URL_HOSTS,
            "relabeling": {"login": "App Key（可选，测试时核对令牌所属应用）", "password": "Access Token", "host": "API 基础 URL"},
            "placeholders": {"host": "https://api.weibo.com/2/（留空即此地址）"},
        },
        "conn-fields": {
            "safe_domains": {
                "label": "安全域名",
                "description": "应用在微博开放平台登记的安全域名，每行一个；分享的正文须含其中一个域名的链接。",
                "schema": {"type": ["array", "null"], "items": {"type": "string"}},
            },
            "rip": {
                "label": "发布者真实 IP（rip）",
                "description": "statuses/share 的 rip 参数：发起发布的服务器或用户的公网 IP。",
                "schema": {"type": ["string", "null"]},
            },
            **_TIMEOUTS,
        },
    },
    {
        "connection-type": "herald_cms",
        "hook-class-name": "herald_airflow.platform_hooks.CmsWebhookHook",
        "hook-name": HOOK_NAMES["herald_cms"],
        "ui-field-behaviour": {
            "hidden-fields": ["login", *_HIDE_FOR_URL_HOSTS],
            "relabeling": {"host": "CMS webhook 地址", "password": "Webhook 签名密钥"},
            "placeholders": {"host": "https://www.example.com/herald"},
        },
        "conn-fields": {**_TIMEOUTS},
    },
]


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": DISTRIBUTION,
        "name": "Herald",
        "description": "Herald 的连接类型：自有数据库、微信公众号、微博、网站/博客 CMS webhook。",
        "versions": [version(DISTRIBUTION)],
        "connection-types": CONNECTION_TYPES,
    }
