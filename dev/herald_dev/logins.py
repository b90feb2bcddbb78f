"""Airflow users for ``make up``: the demo world's people who act on the live release, by their ``people.login``.

Airflow's SimpleAuthManager knows only ``login:role`` pairs (``AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS``).
Herald maps an Airflow user to a person by ``people.login`` (the HTTP door, the HITL assignees and responders),
so the users ``make up`` provisions are logins of people who hold the roles of the demo's live release:

- the scheduler: the person who holds the drafting role (the policy's ``author_role``) on every live account and
  queues the release through the HTTP door or the CLI (SimpleAuthManager ``user``);
- every approver of the live accounts' chains: each holder of each step's role (``user``: answers the approval
  requests Airflow shows them);
- the operator of each live account on a manual channel (QQ), who confirms the manual post (``user``);
- an auditor, the head of the competent department (000 §2.1 行政中心), and a reader from that department
  (``viewer``: they read runs, findings and logs);
- the service users: ``admin`` (Airflow's administrator, no person) and ``herald-router``, the user of the
  ``herald_airflow_api`` connection through which the approval router reads and closes HITL requests
  (``user``: may list HITL details and mark task instances skipped).

:func:`demo_logins` reads the world; the rest are plain functions of the list.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ADMIN_LOGIN = "admin"
ROUTER_LOGIN = "herald-router"
ROLE_ORDER = ("viewer", "user", "op", "admin")  # SimpleAuthManager roles, least to most
ROLE_NAMES = {"viewer": "只读", "user": "用户", "op": "运维", "admin": "管理员"}


@dataclass(frozen=True)
class DemoLogin:
    login: str
    name: str  # the person's name, or what the service user is
    role: str  # SimpleAuthManager role
    jobs: tuple[str, ...]  # what the user does, in Chinese
    person_id: str | None = None


SERVICE_LOGINS = (
    DemoLogin(ADMIN_LOGIN, "Airflow 管理员（非人员）", "admin", ("管理 Airflow：连接、变量、池、用户",)),
    DemoLogin(ROUTER_LOGIN, "审批路由服务账号（非人员）", "user",
              ("herald_approval_router 经 herald_airflow_api 连接读取并关闭已在别处决定的审批请求",)),
)


def _merge(found: dict[str, DemoLogin], person: dict, role: str, job: str) -> None:
    login = person.get("login")
    if not login:
        return
    seen = found.get(login)
    if seen is None:
        found[login] = DemoLogin(login, person["name"], role, (job,), person["person_id"])
        return
    stronger = max(seen.role, role, key=ROLE_ORDER.index)
    jobs = seen.jobs if job in seen.jobs else (*seen.jobs, job)
    found[login] = DemoLogin(login, seen.name, stronger, jobs, seen.person_id)


def demo_logins(db, *, on: date, accounts: Sequence[str] | None = None) -> list[DemoLogin]:
    """The people who act on the live release's ``accounts`` on day ``on``, then the service users."""
    from herald.policy import load_policy
    from herald.posts.approval import role_holders
    from herald.posts.queue import approval_chain_for

    if accounts is None:
        from herald_dev.world.live import LIVE_ACCOUNTS

        accounts = LIVE_ACCOUNTS
    found: dict[str, DemoLogin] = {}
    with db.transaction() as tx:
        authors: list[list[dict]] = []
        for account_id in accounts:
            account = tx.fetch_one("posts/account_for_post", account_id=account_id)
            if account is None:
                raise LookupError(f"account {account_id} is not in the world")
            policy = load_policy(account["policy_id"])
            authors.append(role_holders(tx, account_id, policy.author_role, on))
            for step, role in enumerate(approval_chain_for(policy, account["level"], None), start=1):
                for holder in role_holders(tx, account_id, role, on):
                    _merge(found, holder, "user", f"审批 {account_id} 第{step}步（{role}）")
            if policy.channels.get(account["platform"]) == "manual":
                for holder in role_holders(tx, account_id, "operator", on):
                    _merge(found, holder, "user", f"人工发布 {account_id} 并确认链接")
        common = [h for h in authors[0] if all(h["person_id"] in {o["person_id"] for o in other} for other in authors)]
        for holder in common[:1] or [group[0] for group in authors if group]:
            _merge(found, holder, "user", f"排期：提交并排期 {', '.join(accounts)} 的信息（HTTP 接口或命令行）")
        department = tx.fetch("logins/competent_department", on=on)
        if department:
            head = department[0]
            _merge(found, head, "viewer", f"审计：{head['unit_name']}负责人，查看运行、发现与日志")
            readers = [p for p in department if p["person_id"] != head["person_id"] and p.get("login")
                       and p["login"] not in found]
            for reader in readers[:1]:
                _merge(found, reader, "viewer", f"只读：{reader['unit_name']}人员，查看运行与报告")
    people = sorted(found.values(), key=lambda item: (ROLE_ORDER.index(item.role), item.person_id or ""))
    return [*people, *SERVICE_LOGINS]


def simple_auth_users(logins: Iterable[DemoLogin]) -> str:
    """The value of ``AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS`` (``login:role`` pairs, comma-separated)."""
    pairs = []
    for item in logins:
        if not item.login or any(c in item.login for c in ",: ") or item.role not in ROLE_ORDER:
            raise ValueError(f"cannot be a SimpleAuthManager user: {item.login!r} ({item.role!r})")
        pairs.append(f"{item.login}:{item.role}")
    return ",".join(pairs)


def ensure_passwords(path: Path, logins: Iterable[str]) -> dict[str, str]:
    """Give each login a password in SimpleAuthManager's passwords file, keeping those already there.

    SimpleAuthManager reads this JSON file at start and generates only the passwords it lacks; writing
    them first lets ``make up`` put the router's password into its connection before Airflow starts.
    """
    passwords = json.loads(path.read_text(encoding="utf-8") or "{}") if path.exists() else {}
    changed = False
    for login in logins:
        if login not in passwords:
            passwords[login] = secrets.token_urlsafe(12)
            changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(passwords) + "\n", encoding="utf-8")
        path.chmod(0o600)
    return passwords


def airflow_api_connection(base_url: str, password: str, login: str = ROUTER_LOGIN) -> str:
    """``AIRFLOW_CONN_HERALD_AIRFLOW_API``: the router's REST user on the api-server (JSON connection)."""
    return json.dumps({"conn_type": "http", "host": base_url, "login": login, "password": password})


def login_table(logins: Iterable[DemoLogin]) -> str:
    """A plain-text table for the terminal: name, login, role, what the user can do."""
    rows = [("姓名", "登录名", "角色", "可做什么")]
    rows += [(item.name, item.login, f"{item.role}（{ROLE_NAMES[item.role]}）", "；".join(item.jobs)) for item in logins]
    width = [max(_width(row[i]) for row in rows) for i in range(3)]
    return "\n".join("  ".join([*(row[i] + " " * (width[i] - _width(row[i])) for i in range(3)), row[3]]).rstrip()
                     for row in rows)


def _width(text: str) -> int:
    """Terminal columns: Chinese characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
