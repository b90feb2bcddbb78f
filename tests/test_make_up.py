"""``make up`` (herald_dev.standalone): Herald's DAGs are unpaused once Airflow has parsed them."""

from __future__ import annotations

import json
import os
import sys
import threading
from datetime import date

from herald_dev import standalone

# Stands in for the `airflow` executable: `dags unpause` finds no DAG until its second call, as when the
# dag-processor has not yet written them to the metadata database.
FAKE_AIRFLOW = """#!{python}
import json, pathlib, sys
calls = pathlib.Path({calls!r})
seen = json.loads(calls.read_text()) if calls.exists() else []
seen.append(sys.argv[1:])
calls.write_text(json.dumps(seen))
if len(seen) < 2:
    print("No paused DAGs were found", file=sys.stderr)
    sys.exit(1)
print("dag_id              | is_paused\\nherald_cadence_scan | False")
"""


def _fake_airflow(tmp_path, monkeypatch):
    calls = tmp_path / "calls.json"
    script = tmp_path / "airflow"
    script.write_text(FAKE_AIRFLOW.format(python=sys.executable, calls=str(calls)))
    script.chmod(0o755)
    monkeypatch.setattr(standalone, "airflow_executable", lambda: str(script))
    return calls


def test_dags_are_unpaused_once_parsed(tmp_path, monkeypatch):
    calls = _fake_airflow(tmp_path, monkeypatch)
    assert standalone.unpause_when_parsed(dict(os.environ), threading.Event(), attempts=5, interval=0.01)
    seen = json.loads(calls.read_text())
    assert len(seen) == 2
    assert seen[-1] == ["dags", "unpause", "--treat-dag-id-as-regex", "-y", "^herald_"]


def test_unpausing_stops_when_make_up_stops(tmp_path, monkeypatch):
    _fake_airflow(tmp_path, monkeypatch)
    stop = threading.Event()
    stop.set()
    assert standalone.unpause_when_parsed(dict(os.environ), stop, attempts=5, interval=0.01) is False


# --- the Airflow users of `make up` (herald_dev.logins) ----------------------------------------------


def test_the_people_of_the_live_release_get_airflow_users_by_login(demo_world):
    from conftest import DEMO_AS_OF
    from herald.policy import load_policy
    from herald.posts.approval import role_holders
    from herald.posts.queue import approval_chain_for
    from herald_airflow.service_user import configured_users
    from herald_dev.logins import ADMIN_LOGIN, ROUTER_LOGIN, demo_logins, simple_auth_users
    from herald_dev.world.live import LIVE_ACCOUNTS

    on = date.fromisoformat(DEMO_AS_OF)
    logins = demo_logins(demo_world, on=on)
    by_login = {item.login: item for item in logins}
    assert len(by_login) == len(logins), "one user per login"
    users = configured_users(simple_auth_users(logins))
    assert users[ADMIN_LOGIN] == "admin" and users[ROUTER_LOGIN] == "user"

    # Every person's user is that person's people.login (the HTTP door and HITL map users back by it).
    people = {p["login"]: p for p in demo_world.fetch("people/all")}
    persons = [item for item in logins if item.person_id]
    assert persons and all(people[item.login]["person_id"] == item.person_id for item in persons)
    assert {item.login for item in logins if not item.person_id} == {ADMIN_LOGIN, ROUTER_LOGIN}

    # Whoever may answer a step of a live account's chain can sign in and answer (role user).
    with demo_world.transaction() as tx:
        for account_id in LIVE_ACCOUNTS:
            account = tx.fetch_one("posts/account_for_post", account_id=account_id)
            policy = load_policy(account["policy_id"])
            for role in approval_chain_for(policy, account["level"], None):
                holders = role_holders(tx, account_id, role, on)
                assert holders, (account_id, role)
                assert all(users[h["login"]] == "user" for h in holders), (account_id, role)
            author_logins = {h["login"] for h in role_holders(tx, account_id, policy.author_role, on)}
            assert any("排期" in "".join(by_login[login].jobs) for login in author_logins & set(by_login)), account_id
        qq_operators = {h["login"] for h in role_holders(tx, "acct-grp-qq", "operator", on)}
    assert qq_operators and all(users[login] == "user" for login in qq_operators)

    # The auditor and a reader of the competent department may only read.
    viewers = [item for item in logins if item.role == "viewer"]
    assert len(viewers) == 2 and any("审计" in item.jobs[0] for item in viewers)
    units = {people[item.login]["unit_id"] for item in viewers}
    assert len(units) == 1


def test_passwords_are_kept_and_the_missing_ones_made(tmp_path):
    from herald_dev.logins import ensure_passwords

    path = tmp_path / "home" / "simple_auth_manager_passwords.json.generated"
    first = ensure_passwords(path, ["admin", "herald-router"])
    assert set(first) == {"admin", "herald-router"} and all(len(p) >= 12 for p in first.values())
    second = ensure_passwords(path, ["admin", "herald-router", "wu.junxue"])
    assert {k: second[k] for k in first} == first, "existing passwords stay (SimpleAuthManager keeps them too)"
    assert json.loads(path.read_text()) == second and "wu.junxue" in second


def test_make_up_gives_the_router_its_connection(demo_world, tmp_path):
    from conftest import DEMO_AS_OF
    from herald_dev.logins import ROUTER_LOGIN
    from herald_dev.standalone import user_environment

    path = tmp_path / "passwords.json"
    env, logins = user_environment(str(demo_world.url), path, "http://127.0.0.1:8080",
                                   on=date.fromisoformat(DEMO_AS_OF))
    connection = json.loads(env["AIRFLOW_CONN_HERALD_AIRFLOW_API"])
    assert connection == {"conn_type": "http", "host": "http://127.0.0.1:8080", "login": ROUTER_LOGIN,
                          "password": json.loads(path.read_text())[ROUTER_LOGIN]}
    assert f"{ROUTER_LOGIN}:user" in env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"].split(",")
    assert len(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"].split(",")) == len(logins)
