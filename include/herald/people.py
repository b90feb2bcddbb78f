"""People and Airflow users: who can sign in as whom (``people.login`` is the Airflow login).

Herald knows a person behind an Airflow user only through ``people.login``: the HTTP door refuses a user
whose login names nobody, approval requests are assigned to the logins of the step's role holders, and a
person without a login can neither sign in nor be asked. :func:`compare` lists both kinds of gap.

Airflow's users come from the auth manager. With the SimpleAuthManager (``make up``, the compose recipe)
they are the ``login:role`` pairs of ``[core] simple_auth_manager_users``
(``AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS``); :func:`users_from_simple_auth_manager` reads that value.
Service users (Airflow's ``admin``, the approval router's ``herald-router``) are no person by design and
are reported apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SIMPLE_AUTH_USERS_ENV = "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"
SERVICE_LOGINS = ("admin", "herald-router")


@dataclass(frozen=True)
class LoginCheck:
    people_without_login: list[dict[str, Any]] = field(default_factory=list)  # active people nobody can sign in as
    people_without_user: list[dict[str, Any]] = field(default_factory=list)  # a login Airflow does not know
    users_without_person: list[str] = field(default_factory=list)  # Airflow logins that name nobody
    service_users: list[str] = field(default_factory=list)  # expected users without a person
    matched: int = 0

    @property
    def ok(self) -> bool:
        return not (self.people_without_login or self.people_without_user or self.users_without_person)


def users_from_simple_auth_manager(value: str) -> list[str]:
    """The logins of ``simple_auth_manager_users`` (``login:role[:teams]`` pairs, comma-separated)."""
    return [item.strip().split(":")[0] for item in value.split(",") if item.strip()]


def compare(people: Iterable[Mapping[str, Any]], users: Iterable[str],
            service_logins: Iterable[str] = SERVICE_LOGINS) -> LoginCheck:
    """People (rows with ``person_id``, ``name``, ``login``, ``is_active``) against Airflow's logins.

    Inactive people are left out: they are not expected to sign in (their login may stay for the record).
    """
    users = list(dict.fromkeys(users))
    known = set(users)
    services = set(service_logins)
    active = [dict(p) for p in people if p.get("is_active", True)]
    logins = {p["login"] for p in people if p.get("login")}
    return LoginCheck(
        people_without_login=[p for p in active if not p.get("login")],
        people_without_user=[p for p in active if p.get("login") and p["login"] not in known],
        users_without_person=[u for u in users if u not in logins and u not in services],
        service_users=[u for u in users if u in services and u not in logins],
        matched=sum(1 for p in active if p.get("login") in known),
    )


def check_report(check: LoginCheck) -> list[str]:
    """The check in Chinese, names before ids, ending with one summary line."""
    lines = []
    if check.people_without_login:
        lines.append("未设置 Airflow 登录名的在册人员（无法登录、无法被分配审批请求）：")
        lines += [f"  - {p['name']}（{p['person_id']}，{p.get('unit_name') or p.get('unit_id') or ''}）"
                  for p in check.people_without_login]
    if check.people_without_user:
        lines.append("登录名在 Airflow 中不存在的在册人员（需在 Airflow 中创建该用户）：")
        lines += [f"  - {p['name']}（{p['person_id']}）：{p['login']}" for p in check.people_without_user]
    if check.users_without_person:
        lines.append("不对应任何在册人员的 Airflow 用户（Herald 的接口会拒绝其操作）：")
        lines += [f"  - {login}" for login in check.users_without_person]
    if check.service_users:
        lines.append(f"服务账号（不对应人员，属正常）：{'、'.join(check.service_users)}")
    lines.append(f"核对结果：{check.matched} 人已对应 Airflow 用户；未设登录名 {len(check.people_without_login)} 人，"
                 f"登录名无对应用户 {len(check.people_without_user)} 人，无对应人员的用户 {len(check.users_without_person)} 个"
                 + ("。" if check.ok else "，请处理。"))
    return lines
