"""``make up``: ``airflow standalone`` on the demo world, its pipelines running on their schedules, stopped cleanly.

Beside Airflow it starts the fake platforms (dispatch publishes there) and a local inbox for the
cadence scan's digests (an SMTP server and WeCom / DingTalk robot webhooks that keep every message in
``.demo/inbox/``), and unpauses Herald's DAGs once Airflow has parsed them, so the schedules run
(Airflow pauses new DAGs by default; ``HERALD_UP_PAUSED=1`` leaves them as they are).

Airflow users are the demo world's people who act on the live release, by ``people.login`` (see
:mod:`herald_dev.logins`), plus ``admin`` and the approval router's service user ``herald-router``, whose
password goes into the ``herald_airflow_api`` connection: SimpleAuthManager's users are set through
``AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS`` at start, their passwords kept in its passwords file.

Killing ``airflow standalone`` alone leaves its api-server and LocalExecutor workers behind
(they ignore SIGTERM and keep port 8080), so it runs in its own process group and the whole
group is stopped, then the port is checked.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

from herald_airflow.airflow_cli import airflow_executable
from herald_dev.processes import product_environment

PORT = 8080
INBOX_DIR = Path(__file__).resolve().parents[2] / ".demo" / "inbox"
HERALD_DAGS = "^herald_"  # every Herald DAG, as a regex for `airflow dags unpause`


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) != 0


def stop_group(process: subprocess.Popen, grace_seconds: float = 15) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after the grace period."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def unpause_when_parsed(env: dict[str, str], stop: threading.Event, *, attempts: int = 30,
                        interval: float = 10) -> bool:
    """Unpause Herald's DAGs as soon as the dag-processor has put them in the metadata database."""
    for _ in range(attempts):
        done = subprocess.run([airflow_executable(), "dags", "unpause", "--treat-dag-id-as-regex", "-y", HERALD_DAGS],
                              env=env, capture_output=True, text=True)
        if done.returncode == 0 and "herald_cadence_scan" in done.stdout:
            print("Herald's DAGs are unpaused: they run on their schedules (herald_cadence_scan daily at 07:00 "
                  "Shanghai; its latest interval runs now)", flush=True)
            return True
        if stop.wait(interval):
            return False
    print("warning: Herald's DAGs could not be unpaused; unpause them in the UI", file=sys.stderr, flush=True)
    return False


def passwords_file() -> Path:
    """Where SimpleAuthManager keeps the users' passwords (its own default under AIRFLOW_HOME)."""
    configured = os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")
    home = os.environ.get("AIRFLOW_HOME", str(Path.home() / "airflow"))
    return Path(configured) if configured else Path(home) / "simple_auth_manager_passwords.json.generated"


def user_environment(db_url: str, passwords_path: Path, api_url: str,
                     on: date | None = None) -> tuple[dict[str, str], list]:
    """The Airflow users of the demo world's people and the service users, and the router's connection."""
    from herald.db import Database
    from herald.timeutil import local_day
    from herald_dev.logins import (
        ROUTER_LOGIN,
        airflow_api_connection,
        demo_logins,
        ensure_passwords,
        simple_auth_users,
    )

    db = Database(db_url)
    try:
        logins = demo_logins(db, on=on or local_day(datetime.now(UTC)))
    finally:
        db.dispose()
    passwords = ensure_passwords(passwords_path, [item.login for item in logins])
    env = {
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": simple_auth_users(logins),
        "AIRFLOW_CONN_HERALD_AIRFLOW_API": airflow_api_connection(api_url, passwords[ROUTER_LOGIN]),
    }
    return env, logins


def _stop_requested(_signum, _frame) -> None:
    raise KeyboardInterrupt  # SIGTERM (a supervisor, `kill`) stops everything the same way Ctrl-C does


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_requested)
    if not port_is_free(PORT):
        print(f"port {PORT} is in use: stop the other Airflow first", file=sys.stderr)
        return 1
    from sqlalchemy.exc import SQLAlchemyError

    from herald.connection_url import herald_db_url
    from herald_dev.demo import DEMO_WEIBO_USERS, fake_platform_connections
    from herald_dev.fakeplatforms import FakePlatforms
    from herald_dev.fakeplatforms.inbox import LocalInbox
    from herald_dev.logins import login_table

    passwords_path = passwords_file()
    try:
        users, logins = user_environment(herald_db_url(), passwords_path,
                                         os.environ.get("AIRFLOW__API__BASE_URL", f"http://127.0.0.1:{PORT}"))
    except (LookupError, SQLAlchemyError) as error:
        print(f"the demo world is incomplete ({error}): run `make demo` first", file=sys.stderr)
        return 1
    print("Airflow users (people sign in with their people.login; the HTTP door and the approval requests "
          "know them by it):")
    print(login_table(logins))
    print(f"their passwords: {passwords_path}")
    fake = FakePlatforms.start(weibo_tokens=DEMO_WEIBO_USERS)
    print(f"fake platforms (WeChat, Weibo, CMS) on {fake.base_url}; dispatch publishes there")
    inbox = LocalInbox.start(INBOX_DIR, dingtalk_secret=secrets.token_urlsafe(24))
    print(f"local inbox (SMTP on port {inbox.smtp_port}, WeCom and DingTalk robots): the cadence scan's digests "
          f"land in {INBOX_DIR}")
    print(f"starting airflow standalone: UI on http://127.0.0.1:{PORT} (users above; passwords in {passwords_path}). "
          "Ctrl-C stops it.")
    # standalone starts its components as `airflow ...` found on PATH: put this environment's first.
    path = os.pathsep.join([os.path.dirname(airflow_executable()), os.environ.get("PATH", "")])
    env = product_environment(**fake_platform_connections(fake), **inbox.connections(), **users, PATH=path)
    process = subprocess.Popen([airflow_executable(), "standalone"], start_new_session=True, env=env)
    stop = threading.Event()
    if os.environ.get("HERALD_UP_PAUSED") != "1":
        threading.Thread(target=unpause_when_parsed, args=(env, stop), name="unpause", daemon=True).start()
    try:
        return process.wait()
    except KeyboardInterrupt:
        print("\nstopping airflow standalone and all of its processes ...")
        return 0
    finally:
        stop.set()
        stop_group(process)
        fake.stop()
        inbox.stop()
        for _ in range(20):
            if port_is_free(PORT):
                break
            time.sleep(0.5)
        else:
            print(f"warning: port {PORT} is still in use", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
