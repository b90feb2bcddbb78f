"""Which Airflow connection serves an account, and the Weibo safe domains it registers (no Airflow import).

``herald_<kind>__<account>`` where ``<kind>`` is ``wechat``, ``weibo`` or ``cms`` (websites and blogs)
and ``<account>`` the account id in lower case with every character other than a-z and 0-9 turned
into ``_``; else the platform's shared ``herald_<kind>``. The Airflow side
(``herald_airflow.dispatch_clients``, ``herald_airflow.platform_hooks``) reads the connections through
Airflow's secrets chain; processes without Airflow (the CLI) read the same ``AIRFLOW_CONN_*``
environment variables, as ``herald.connection_url`` does for ``herald_db``.

A Weibo status must carry a link to one of the safe domains registered for the account's app
(``extra.safe_domains``): known at queue time, the queue refuses the text then (CON-7) instead of
the platform refusing it at the publish second (10017).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_KINDS = ("wechat", "weibo", "cms")


def connection_kind(platform: str) -> str:
    return {"website": "cms", "blog": "cms"}.get(platform, platform if platform in API_KINDS else "manual")


def account_slug(account_id: str) -> str:
    return re.sub(r"[^a-z0-9]", "_", account_id.lower())


def connection_ids(platform: str, account_id: str) -> tuple[str, str]:
    """(the account's own connection id, the platform's shared one)."""
    kind = connection_kind(platform)
    return f"herald_{kind}__{account_slug(account_id)}", f"herald_{kind}"


def parse_safe_domains(value: Any) -> tuple[str, ...]:
    """``extra.safe_domains``: a list, or text with one domain a line or separated by commas."""
    domains = value or ()
    if isinstance(domains, str):  # typed into the connection form's text field
        domains = domains.replace(",", "\n").splitlines()
    return tuple(d.strip() for d in domains if isinstance(d, str) and d.strip())


def extra_of_env_value(value: str) -> dict[str, Any]:
    """The ``extra`` of an ``AIRFLOW_CONN_*`` value, in Airflow's JSON form or its URI form."""
    value = value.strip()
    if value.startswith("{"):
        extra = json.loads(value).get("extra") or {}
        return json.loads(extra) if isinstance(extra, str) else dict(extra)
    query = dict(parse_qsl(urlsplit(value).query))
    if "__extra__" in query:
        return json.loads(query["__extra__"])
    return query


def safe_domains_from_env(account_id: str, platform: str,
                          environ: Mapping[str, str] | None = None) -> tuple[str, ...] | None:
    """The Weibo account's safe domains from ``AIRFLOW_CONN_*`` variables; None when not known.

    Not known: another platform, no connection in the environment, or one that registers no domain
    (the platform then judges the link at the second).
    """
    if platform != "weibo":
        return None
    environ = os.environ if environ is None else environ
    for conn_id in connection_ids(platform, account_id):
        value = environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
        if value:
            return parse_safe_domains(extra_of_env_value(value).get("safe_domains")) or None
    return None
