"""Provision the approval router's Airflow user from its connection, for SimpleAuthManager setups.

The compose recipe (FAB auth manager) does not use this: its airflow-init creates ``herald-router`` with
``airflow users create`` and resets its password to the connection's on every start.

``herald_approval_router`` reads and closes human-in-the-loop requests through Airflow's REST API as the
user of the ``herald_airflow_api`` connection (``AIRFLOW_CONN_HERALD_AIRFLOW_API``). With the
SimpleAuthManager a user is a ``login:role`` pair of ``[core] simple_auth_manager_users`` and its password
lives in the manager's passwords file, where the manager generates the passwords it lacks at start. This
step writes the connection's password for its login into that file first, so the connection and the user
agree without anyone copying a generated password:

    python -m herald_airflow.service_user

It refuses (exit 1) when the connection is missing, names no login or password, or names a user that is not
configured with a role that may edit DAG runs (``user`` or above). Idempotent.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from herald_airflow.airflow_api import AIRFLOW_API_CONN_ID

CONN_ENV = f"AIRFLOW_CONN_{AIRFLOW_API_CONN_ID.upper()}"
ROLES_THAT_EDIT = ("user", "op", "admin")  # SimpleAuthManager roles allowed to skip task instances


class ServiceUserError(Exception):
    pass


def configured_users(value: str) -> dict[str, str]:
    """``login:role`` pairs of ``simple_auth_manager_users`` as a mapping (the format Airflow splits)."""
    users = {}
    for item in value.split(","):
        if item.strip():
            login, _, role = item.strip().partition(":")
            users[login] = role.split(":")[0].lower()
    return users


def router_credentials(connection: str) -> tuple[str, str]:
    """Login and password of the connection, given as JSON or as a URI (``http://login:password@host``)."""
    from urllib.parse import unquote, urlsplit

    if connection.lstrip().startswith("{"):
        fields = json.loads(connection)
        login, password = fields.get("login"), fields.get("password")
    else:
        parts = urlsplit(connection)
        login, password = unquote(parts.username or ""), unquote(parts.password or "")
    if not login or not password:
        raise ServiceUserError(f"{CONN_ENV} must name the router's login and password")
    return login, password


def provision(passwords_file: Path, users: str, connection: str) -> str:
    """Write the connection's password for its login into the passwords file; return the login."""
    login, password = router_credentials(connection)
    role = configured_users(users).get(login)
    if role not in ROLES_THAT_EDIT:
        raise ServiceUserError(f"{login} must be a simple_auth_manager_users entry with role user, op or admin "
                               f"(found {role!r}): the router marks task instances skipped")
    passwords = json.loads(passwords_file.read_text(encoding="utf-8") or "{}") if passwords_file.exists() else {}
    if passwords.get(login) != password:
        passwords[login] = password
        passwords_file.parent.mkdir(parents=True, exist_ok=True)
        passwords_file.write_text(json.dumps(passwords) + "\n", encoding="utf-8")
    return login


def main() -> int:
    from airflow.configuration import conf

    connection = os.environ.get(CONN_ENV)
    if not connection:
        print(f"{CONN_ENV} is not set: the approval router would fail on every run", file=sys.stderr)
        return 1
    from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

    if not conf.get("core", "auth_manager").endswith(".SimpleAuthManager"):
        print("not the SimpleAuthManager: create the router's user with the auth manager's own tools", file=sys.stderr)
        return 1
    try:
        login = provision(Path(SimpleAuthManager.get_generated_password_file()),
                          conf.get("core", "simple_auth_manager_users"), connection)
    except ServiceUserError as error:
        print(f"service user: {error}", file=sys.stderr)
        return 1
    print(f"service user {login}: password set from {CONN_ENV}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
