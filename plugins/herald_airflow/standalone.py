"""``make up``: ``airflow standalone`` on the demo world, stopped cleanly.

Killing ``airflow standalone`` alone leaves its api-server and LocalExecutor workers behind
(they ignore SIGTERM and keep port 8080), so it runs in its own process group and the whole
group is stopped, then the port is checked.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from herald_airflow.airflow_cli import airflow_executable

PORT = 8080


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


def _stop_requested(_signum, _frame) -> None:
    raise KeyboardInterrupt  # SIGTERM (a supervisor, `kill`) stops everything the same way Ctrl-C does


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_requested)
    if not port_is_free(PORT):
        print(f"port {PORT} is in use: stop the other Airflow first", file=sys.stderr)
        return 1
    from herald.fakeplatforms import FakePlatforms
    from herald_airflow.demo import DEMO_WEIBO_USERS, fake_platform_connections

    fake = FakePlatforms.start(weibo_tokens=DEMO_WEIBO_USERS)
    print(f"fake platforms (WeChat, Weibo, CMS) on {fake.base_url}; dispatch publishes there")
    print(f"starting airflow standalone: UI on http://127.0.0.1:{PORT} (user admin; its password is in "
          f"{os.environ.get('AIRFLOW_HOME', '.airflow/home')}/simple_auth_manager_passwords.json.generated). Ctrl-C stops it.")
    # standalone starts its components as `airflow ...` found on PATH: put this environment's first.
    path = os.pathsep.join([os.path.dirname(airflow_executable()), os.environ.get("PATH", "")])
    process = subprocess.Popen([airflow_executable(), "standalone"], start_new_session=True,
                               env={**os.environ, **fake_platform_connections(fake), "PATH": path})
    try:
        return process.wait()
    except KeyboardInterrupt:
        print("\nstopping airflow standalone and all of its processes ...")
        return 0
    finally:
        stop_group(process)
        fake.stop()
        for _ in range(20):
            if port_is_free(PORT):
                break
            time.sleep(0.5)
        else:
            print(f"warning: port {PORT} is still in use", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
