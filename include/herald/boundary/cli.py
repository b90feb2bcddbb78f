"""The command line's own inputs: signing in (``herald login``) and an administrator's override (``--admin-override``).

Field names are the flags people type, so a refusal names the flag to fix. A password is never shown back in a
refusal (only its length is checked here).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from herald.boundary.models import MAX_SHORT_TEXT_CHARS, Identifier, Text, _Door, _rule, _text_only


def _stripped(value: object) -> object:
    """Blank text counts as missing: a reason of spaces is no reason (refused as empty)."""
    return value.strip() if isinstance(value, str) else value


class AdminOverrideIn(_Door):
    """``--admin-override``: an administrator acts directly on the database in a named person's name, with a reason.

    Recorded in the post's history and as a PUB-3 finding (``herald.posts.events.admin_override``)."""

    reason: Annotated[Text, BeforeValidator(_stripped), Field(min_length=1, max_length=MAX_SHORT_TEXT_CHARS)] = _rule(
        "PUB-3", "越权操作的理由（必填，记入信息历史和问题清单）", alias="--override-reason")
    as_person: Identifier | None = _rule("PUB-3", "以哪位在册人员的名义操作（人员编号；记录为该人员并标明越权）",
                                         alias="--as-person", default=None)


class LoginIn(_Door):
    """``herald login``: the Airflow api-server to sign in to and the Airflow login."""

    api: Annotated[Text, Field(max_length=2048, pattern=r"^https?://[^\s/?#]+(/\S*)?$")] = _rule(
        "PUB-3", "Airflow api-server 的地址，如 http://127.0.0.1:8080", alias="--api")
    username: Annotated[Text, BeforeValidator(_stripped), Field(min_length=1, max_length=256)] = _rule(
        "PUB-3", "Airflow 登录名（与人员名册中的 login 对应）", alias="--user")
    password: Annotated[str, BeforeValidator(_text_only), Field(min_length=1, max_length=1024)] = _rule(
        "PUB-3", "密码（交互输入不回显；脚本用 --password-stdin）", alias="password")
