"""Run docker-compose.yaml's Airflow configuration natively, as processes of this machine.

The environment is read from the compose file's ``x-airflow-common`` block, not written out a
second time: ``${VAR}`` references are filled from generated secrets, URLs naming a compose
service (``postgres``, ``redis``, ``airflow-apiserver``) are pointed at 127.0.0.1, and container
paths are mapped through the compose volumes to the repository (code) or a scratch directory
(logs, named volumes). The init steps and the service commands are also read from the compose
file, so running this stack exercises the recipe itself.

Every Airflow process starts in its own session (process group). Stopping is not clean in
Airflow (see airflow-notes: processes survive SIGTERM, task processes move to their own group),
so :meth:`NativeStack.stop` signals each whole group and every descendant seen, escalates to
SIGKILL, and checks that the API port is free again.

Usage::

    with native_stack("parse") as stack:
        client = stack.client()
        run_id = client.trigger("herald_registry_check")
        client.wait_for_run("herald_registry_check", run_id)
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE_FILE = REPO / "docker-compose.yaml"
ENV_EXAMPLE = REPO / ".env.example"
PG_ADMIN_URL = os.environ.get("HERALD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# Redis database number of native stacks: not 0 (the default everyone uses); only it is flushed.
DEFAULT_REDIS_DB = 7
INIT_SERVICE = "airflow-init"
# Services the stack starts: the long-running Airflow services of the default compose profile.
AIRFLOW_SERVICES = (
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
)
# Container mounts that are written to: natively they go to the scratch directory, not the repo.
SCRATCH_MOUNTS = ("/opt/airflow/logs",)


class StackError(RuntimeError):
    pass


# --- reading the compose file -------------------------------------------------------------------

# Compose interpolation: $$ (a literal $), ${NAME}, ${NAME:-default}, ${NAME-default},
# ${NAME:?error}, ${NAME?error}, ${NAME:+alt}, ${NAME+alt}, and bare $NAME.
_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def load_compose(path: Path = COMPOSE_FILE) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def referenced_variables(text: str) -> dict[str, str | None]:
    """Every variable a compose text interpolates, with its operator (``None`` for a plain reference)."""
    found: dict[str, str | None] = {}
    for match in _VARIABLE.finditer(text):
        name = match.group("braced") or match.group("bare")
        if name:
            found.setdefault(name, match.group("op"))
    return found


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """Fill ``${...}`` references the way ``docker compose`` does; a required one that is unset raises."""

    def replace(match: re.Match) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("braced") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        value = variables.get(name)
        is_set = value is not None
        is_set_non_empty = bool(value)
        if op in (":-", "-"):
            return value if (is_set_non_empty if op == ":-" else is_set) else arg
        if op in (":?", "?"):
            if not (is_set_non_empty if op == ":?" else is_set):
                raise StackError(f"required variable {name} is not set: {arg}")
            return value
        if op in (":+", "+"):
            return arg if (is_set_non_empty if op == ":+" else is_set) else ""
        return value or ""

    return _VARIABLE.sub(replace, text)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (``.env`` style); blank lines and ``#`` comments are skipped."""
    values = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise StackError(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
        values[key.strip()] = value.strip()
    return values


def common_environment(compose: dict) -> dict[str, str]:
    """The raw (uninterpolated) environment every Airflow service shares."""
    return {key: str(value) for key, value in compose["x-airflow-common"]["environment"].items()}


def volume_mounts(compose: dict, compose_dir: Path = REPO) -> dict[str, Path | str]:
    """Container path -> host directory (bind mount) or volume name (named volume)."""
    mounts: dict[str, Path | str] = {}
    for spec in compose["x-airflow-common"]["volumes"]:
        source, target = spec.split(":")[:2]
        if source.startswith((".", "/")):
            mounts[target] = (compose_dir / source).resolve()
        else:
            mounts[target] = source
    return mounts


def service_command(compose: dict, service: str) -> list[str]:
    command = compose["services"][service]["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def init_steps(compose: dict) -> list[list[str]]:
    """The commands airflow-init runs through the image's ``/entrypoint``, in order (uninterpolated)."""
    script = service_command(compose, INIT_SERVICE)[-1]
    return [
        shlex.split(line.strip())[1:]
        for line in script.splitlines()
        if line.strip().startswith("/entrypoint ")
    ]


def init_environment(compose: dict) -> dict[str, str]:
    """What airflow-init's environment adds to the common one (raw): the passwords of the users it creates."""
    common = common_environment(compose)
    own = compose["services"][INIT_SERVICE].get("environment") or {}
    return {key: str(value) for key, value in own.items() if key not in common}


def expand_init_argv(argv: Sequence[str], variables: Mapping[str, str], env: Mapping[str, str]) -> list[str]:
    """An init step's words as the container's shell gets them: compose interpolation (``$$`` is a ``$``),
    then the shell's own ``${NAME}`` expansion from the service environment."""
    return [interpolate(interpolate(word, variables), env) for word in argv]


def created_users(argv: Sequence[str]) -> dict[str, str]:
    """``airflow users create --username U --password P ...`` (expanded): {U: P}; any other step: {}."""
    if list(argv[:3]) != ["airflow", "users", "create"]:
        return {}
    options = dict(zip(argv[3::2], argv[4::2], strict=False))
    username = options.get("--username") or options.get("-u")
    password = options.get("--password") or options.get("-p")
    return {username: password} if username and password else {}


# --- turning it into a native environment ---------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """Where a compose service is reached natively, and how its URLs change on the way."""

    host: str
    port: int
    userinfo: str | None = None  # replaces "user:password" when not None ("" drops it)
    paths: Mapping[str, str] = field(default_factory=dict)  # e.g. "/airflow" -> "/herald_test_1_meta"

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        path = parts.path
        if self.paths:
            if path not in self.paths:
                raise StackError(f"{url}: no native counterpart for path {path!r}")
            path = self.paths[path]
        netloc = f"{self.host}:{self.port}"
        if self.userinfo is not None:
            netloc = f"{self.userinfo}@{netloc}" if self.userinfo else netloc
        elif "@" in parts.netloc:
            netloc = f"{parts.netloc.rpartition('@')[0]}@{netloc}"
        return urlunsplit((parts.scheme, netloc, path, parts.query, parts.fragment))


_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def native_environment(
    compose: dict,
    variables: Mapping[str, str],
    endpoints: Mapping[str, Endpoint],
    scratch: Path,
    compose_dir: Path = REPO,
) -> dict[str, str]:
    """The compose common environment with secrets filled, services and paths made local.

    Raises :class:`StackError` when a value still names a compose service or a container path
    afterwards: a new setting in the compose file then needs a native counterpart here.
    """
    mounts = volume_mounts(compose, compose_dir)
    host_paths: dict[str, Path] = {}
    for container_path, source in mounts.items():
        if isinstance(source, str) or container_path in SCRATCH_MOUNTS:
            host_paths[container_path] = scratch / Path(container_path).name
        else:
            host_paths[container_path] = source
    path_pattern = re.compile(
        "(?:" + "|".join(re.escape(p) for p in sorted(host_paths, key=len, reverse=True)) + r")(?=$|[/:])"
    )

    def local(value: str) -> str:
        if _URL.match(value) and urlsplit(value).hostname in endpoints:
            return endpoints[urlsplit(value).hostname].rewrite(value)
        return value

    env = {}
    for key, raw in common_environment(compose).items():
        value = interpolate(raw, variables)
        if value.startswith("{"):  # an Airflow connection in JSON: its host and extra's URLs name services too
            connection = json.loads(value)
            if isinstance(connection.get("host"), str):
                connection["host"] = local(connection["host"])
            if "extra" in connection:
                extra = connection.get("extra") or {}
                connection["extra"] = {k: local(v) if isinstance(v, str) else v for k, v in extra.items()}
            value = json.dumps(connection)
        value = path_pattern.sub(lambda m: str(host_paths[m.group(0)]), local(value))
        env[key] = value

    services = set(compose["services"])
    for key, value in env.items():
        named = [urlsplit(u).hostname for u in re.findall(r"[a-z][a-z0-9+.-]*://[^\s\"']+", value)]
        for host in named:
            if host in services:
                raise StackError(f"{key}={value}: still names compose service {host!r}")
        if "/opt/airflow" in value:
            raise StackError(f"{key}={value}: container path without a mount to map it through")
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def generated_secrets(names: Sequence[str]) -> dict[str, str]:
    """Fresh values for the variables of .env.example (the Fernet key must be a real Fernet key)."""
    from cryptography.fernet import Fernet

    values = {}
    for name in names:
        if name == "AIRFLOW__CORE__FERNET_KEY":
            values[name] = Fernet.generate_key().decode()
        elif name == "AIRFLOW_UID":
            values[name] = str(os.getuid())
        else:
            values[name] = secrets.token_urlsafe(24)
    return values


# --- PostgreSQL and Redis scratch resources -------------------------------------------------------


def _pg_admin_connection():
    import psycopg2

    connection = psycopg2.connect(PG_ADMIN_URL)
    connection.autocommit = True
    return connection


def create_database(name: str) -> None:
    from psycopg2 import sql

    connection = _pg_admin_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()


def drop_database(name: str) -> None:
    from psycopg2 import sql

    connection = _pg_admin_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        connection.close()


def database_exists(name: str) -> bool:
    connection = _pg_admin_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            return cursor.fetchone() is not None
    finally:
        connection.close()


def flush_redis_db(db: int) -> None:
    import redis

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
    try:
        client.flushdb()
    finally:
        client.close()


def redis_key_count(db: int) -> int:
    import redis

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
    try:
        return client.dbsize()
    finally:
        client.close()


# --- processes ------------------------------------------------------------------------------------


def _executable(program: str) -> list[str]:
    """``airflow`` and ``python`` of the interpreter running the tests (the project's venv)."""
    if program == "python":
        return [sys.executable]
    if program == "airflow":
        beside = Path(sys.executable).with_name("airflow")
        return [str(beside)] if beside.exists() else [sys.executable, "-m", "airflow"]
    return [program]


def native_command(argv: Sequence[str]) -> list[str]:
    """A compose command (``api-server``, ``celery worker``, ``airflow db migrate``, ``python -m x``)."""
    if argv[0] in ("airflow", "python"):
        return _executable(argv[0]) + list(argv[1:])
    return _executable("airflow") + list(argv)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _still_running(process) -> bool:
    import psutil

    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def stop_process_groups(processes: Sequence[subprocess.Popen], grace: float = 20.0) -> list[int]:
    """SIGTERM each process's group and every descendant, SIGKILL what is left after ``grace``.

    Each process must have been started with ``start_new_session=True`` (its pid is its group).
    Returns the pids still running afterwards (empty when everything stopped).
    """
    import psutil

    def descendants() -> dict[int, psutil.Process]:
        found = {}
        for process in processes:
            try:
                root = psutil.Process(process.pid)
                for member in (root, *root.children(recursive=True)):
                    found[member.pid] = member
            except psutil.NoSuchProcess:
                pass
        return found

    def signal_all(sig: int, members: Sequence[psutil.Process]) -> None:
        for process in processes:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                pass
        # Task processes call setpgid and leave their parent's group: signal them one by one too.
        for member in members:
            try:
                member.send_signal(sig)
            except psutil.NoSuchProcess:
                pass

    seen = descendants()
    signal_all(signal.SIGTERM, list(seen.values()))
    _, alive = psutil.wait_procs(list(seen.values()), timeout=grace)
    leftovers = {p.pid: p for p in alive} | descendants()  # plus any spawned while shutting down
    if leftovers or any(_group_alive(p.pid) for p in processes):
        signal_all(signal.SIGKILL, list(leftovers.values()))
        psutil.wait_procs(list(leftovers.values()), timeout=10)
    for process in processes:
        try:
            process.wait(timeout=5)  # reap our own children
        except subprocess.TimeoutExpired:
            pass
    running = [p.pid for p in leftovers.values() if _still_running(p)]
    return sorted(set(running) | {p.pid for p in processes if _group_alive(p.pid)})


class NativeStack:
    """Airflow's services as local processes, configured from the compose file."""

    def __init__(self, compose: dict, env: Mapping[str, str], workdir: Path, api_port: int,
                 variables: Mapping[str, str] | None = None):
        self.compose = compose
        self.env = dict(env)
        self.variables = dict(variables or {})  # the .env values the stack generated
        self.workdir = workdir
        self.api_port = api_port
        self.log_dir = workdir / "process-logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, subprocess.Popen] = {}
        self.passwords: dict[str, str] = {}

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def _run_step(self, argv: Sequence[str], log: Path, env: Mapping[str, str], timeout: float) -> None:
        with log.open("w") as out:
            completed = subprocess.run(
                native_command(argv), env=env, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT,
                timeout=timeout, start_new_session=True,
            )
        if completed.returncode != 0:
            shown = " ".join(argv[:4])  # not the rest: a users step carries a password
            raise StackError(f"init step {shown!r}... exited {completed.returncode}:\n{_tail(log)}")

    def run_init(self, timeout: float = 600) -> None:
        """airflow-init's steps, in order; the first that fails stops the stack with its output.

        The users the steps create (``airflow users create``) are remembered with their passwords.
        """
        env = {**self.env, **{k: interpolate(v, self.variables) for k, v in init_environment(self.compose).items()}}
        for number, raw in enumerate(init_steps(self.compose), start=1):
            argv = expand_init_argv(raw, self.variables, env)
            self._run_step(argv, self.log_dir / f"init-{number}.log", env, timeout)
            self.passwords.update(created_users(argv))

    def add_users(self, users: Mapping[str, str], timeout: float = 600) -> None:
        """Create more Airflow users (login -> FAB role, e.g. ``User``) with generated passwords."""
        for login, role in users.items():
            password = secrets.token_urlsafe(12)
            argv = ["airflow", "users", "create", "--username", login, "--password", password, "--role", role,
                    "--firstname", login, "--lastname", "Herald", "--email", f"{login}@herald.invalid"]
            self._run_step(argv, self.log_dir / f"user-{login}.log", self.env, timeout)
            self.passwords[login] = password

    def start(self, services: Sequence[str] = AIRFLOW_SERVICES) -> None:
        if port_is_listening(self.api_port):
            raise StackError(f"port {self.api_port} is already taken")
        for service in services:
            log = (self.log_dir / f"{service}.log").open("w")
            self.processes[service] = subprocess.Popen(
                native_command(service_command(self.compose, service)),
                env=self.env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
            log.close()  # the child holds its own descriptor

    def restart(self, service: str, sig: int = signal.SIGKILL, pause: float = 2.0) -> None:
        """Kill one service's whole process group with ``sig`` (a crash by default) and start it again."""
        process = self.processes.pop(service)
        os.killpg(process.pid, sig)
        process.wait(timeout=60)
        time.sleep(pause)
        log = (self.log_dir / f"{service}.log").open("a")
        log.write(f"\n--- restarted after signal {sig}\n")
        log.flush()
        self.processes[service] = subprocess.Popen(
            native_command(service_command(self.compose, service)),
            env=self.env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()

    def check_alive(self) -> None:
        for service, process in self.processes.items():
            if process.poll() is not None:
                raise StackError(f"{service} exited with {process.returncode}:\n{self.log_tail(service)}")

    def log_tail(self, service: str, lines: int = 40) -> str:
        return _tail(self.log_dir / f"{service}.log", lines)

    def wait_until_serving(self, timeout: float = 300) -> None:
        """Wait until the API server answers (the other services are checked to be still running)."""
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if requests.get(f"{self.api_url}/api/v2/version", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(2)
        raise StackError(f"API server not serving after {timeout:.0f}s:\n{self.log_tail('airflow-apiserver')}")

    def client(self, username: str = "admin") -> ApiClient:
        return ApiClient(self.api_url, username, self.passwords[username], stack=self)

    def stop(self, grace: float = 20.0) -> None:
        """Stop every process group; raise if a process survived or the API port is still taken."""
        survivors = stop_process_groups(list(self.processes.values()), grace)
        self.processes.clear()
        if survivors:
            raise StackError(f"processes survived SIGKILL: {survivors}")
        if port_is_listening(self.api_port):
            raise StackError(f"port {self.api_port} still answers after the stack stopped")

    def diagnostics(self) -> str:
        return "\n".join(f"--- {s}\n{self.log_tail(s, 25)}" for s in self.processes)


class ApiClient:
    """The few REST calls a stack test needs, with a token of ``POST /auth/token``."""

    def __init__(self, base_url: str, username: str, password: str, stack: NativeStack | None = None):
        import requests

        self.base_url = base_url
        self.stack = stack
        self.session = requests.Session()
        response = self.session.post(
            f"{base_url}/auth/token", json={"username": username, "password": password}, timeout=30
        )
        if response.status_code not in (200, 201):
            raise StackError(f"POST /auth/token as {username}: {response.status_code} {response.text[:300]}")
        self.session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def request(self, method: str, path: str, **kwargs) -> dict:
        response = self.session.request(method, f"{self.base_url}/api/v2{path}", timeout=30, **kwargs)
        if response.status_code >= 400:
            raise StackError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else {}

    def _check_alive(self) -> None:
        if self.stack is not None:
            self.stack.check_alive()

    def wait_for_dag(self, dag_id: str, timeout: float = 300) -> dict:
        """Wait until the dag-processor has parsed and serialized the DAG."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            response = self.session.get(f"{self.base_url}/api/v2/dags/{dag_id}", timeout=30)
            if response.status_code == 200:
                return response.json()
            time.sleep(3)
        errors = self.request("GET", "/importErrors")
        raise StackError(f"DAG {dag_id} not parsed after {timeout:.0f}s; import errors: {errors}")

    def trigger(self, dag_id: str, conf: Mapping | None = None) -> str:
        """Unpause the DAG (compose pauses new DAGs) and start a manual run; return its run id."""
        self.request("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
        run = self.request("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": dict(conf or {})})
        return run["dag_run_id"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 300) -> dict:
        """Wait for the run to finish; raise with its task states unless it succeeded."""
        deadline = time.monotonic() + timeout
        run: dict = {}
        states: dict[str, str | None] = {}
        while time.monotonic() < deadline:
            self._check_alive()
            run = self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
            states = self.task_states(dag_id, run_id)
            # A retry waits retry_delay (minutes) before the run can fail: the first failure is enough.
            if run["state"] in ("success", "failed") or "up_for_retry" in states.values():
                break
            time.sleep(3)
        if run.get("state") != "success":
            detail = self.stack.diagnostics() if self.stack else ""
            raise StackError(f"run {run_id} of {dag_id} is {run.get('state')!r}; tasks {states}\n{detail}")
        return run

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        tasks = self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return {t["task_id"]: t["state"] for t in tasks.get("task_instances", [])}


@contextmanager
def native_stack(
    name: str,
    *,
    services: Sequence[str] = AIRFLOW_SERVICES,
    overrides: Mapping[str, str] | None = None,
    redis_db: int = DEFAULT_REDIS_DB,
    compose_file: Path = COMPOSE_FILE,
    users: Mapping[str, str] | None = None,
) -> Iterator[NativeStack]:
    """Fresh databases, scratch home, init steps, the services started; everything removed after.

    ``users`` (login -> auth manager role) are created after the init steps, beside the users those create;
    ``stack.passwords`` knows the password of each.

    Airflow's metadata goes to ``herald_test_<pid>_<name>_meta`` and Herald's data to
    ``herald_test_<pid>_<name>_herald`` (the pid lets conftest drop them if this run dies).
    """
    compose = load_compose(compose_file)
    meta_db = f"herald_test_{os.getpid()}_{name}_meta"
    herald_db = f"herald_test_{os.getpid()}_{name}_herald"
    admin = urlsplit(PG_ADMIN_URL)
    postgres = Endpoint(
        admin.hostname or "127.0.0.1", admin.port or 5432, userinfo=admin.netloc.rpartition("@")[0],
        paths={"/airflow": f"/{meta_db}", "/herald": f"/{herald_db}"},
    )
    api_port = free_port()
    from moto.server import ThreadedMotoServer

    object_store = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port())  # stands in for MinIO
    object_store.start()
    endpoints = {
        "postgres": postgres,
        "redis": Endpoint(REDIS_HOST, REDIS_PORT, paths={"/0": f"/{redis_db}"}),
        "airflow-apiserver": Endpoint("127.0.0.1", api_port),
        "minio": Endpoint("127.0.0.1", object_store._server.server_port),
    }
    workdir = Path(tempfile.mkdtemp(prefix=f"herald-stack-{name}-"))
    variables = generated_secrets(list(read_env_file(ENV_EXAMPLE)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "HERALD", "PYTHONPATH"))}
    env.update(native_environment(compose, variables, endpoints, workdir, compose_file.parent))
    # What each container gets from the image or its own network namespace, given natively.
    env.update(
        AIRFLOW_HOME=str(workdir / "home"),
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(api_port),
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{api_port}",
        AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
        # Two slow cores: a small worker pool starts faster than Celery's default of 16.
        AIRFLOW__CELERY__WORKER_CONCURRENCY="2",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    env.update(overrides or {})

    stack = NativeStack(compose, env, workdir, api_port, variables)
    created: list[str] = []
    try:
        flush_redis_db(redis_db)
        for database in (meta_db, herald_db):
            create_database(database)
            created.append(database)
        stack.run_init()
        stack.add_users(users or {})
        stack.start(services)
        stack.wait_until_serving()
        yield stack
    finally:
        try:
            stack.stop()
        finally:
            object_store.stop()
            flush_redis_db(redis_db)
            for database in created:
                drop_database(database)
            if os.environ.get("HERALD_STACK_KEEP"):  # diagnosis: keep the process and task logs
                print(f"native stack {name}: logs kept in {workdir}", file=sys.stderr)
            else:
                shutil.rmtree(workdir, ignore_errors=True)
