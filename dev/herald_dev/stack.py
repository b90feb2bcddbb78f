"""``make stack``: docker-compose.yaml's production configuration run natively, with Airflow's HA setup.

The environment is read from the compose file's ``x-airflow-common`` block, not written out a second
time: ``${VAR}`` references are filled from the same ``.env`` compose reads (made by ``make .env``,
:mod:`herald_dev.local_env`), URLs naming a compose service (``postgres``, ``redis``, ``minio``,
``airflow-apiserver``) are pointed at this machine, and container paths are mapped through the compose
volumes to the repository (code) or the state folder (logs). The init steps and the service commands are
also read from the compose file, so running this stack exercises the recipe itself.

``make stack`` starts the CeleryExecutor stack: Airflow's metadata and Herald's data in two persistent
databases of the local PostgreSQL (``herald_stack_meta``, ``herald_stack_herald``, created if missing and
migrated by the init steps), Redis as the broker (its own database number), two Celery workers, the
api-server, two schedulers, the dag-processor and two triggerers; beside them an S3-compatible object
store for the archive (moto, standing in for MinIO), the local fake platforms and the local inbox (the
digests' mail server and chat robots), with the connections pointed at them. It returns once every health
check passes (:func:`health`). Its processes, their process groups and ports are written to
``.stack/state.json``, so ``make stack-down`` (another shell) stops every group, escalates to SIGKILL and
checks that no process and no port is left, and ``make stack-restart NAME=...`` starts one process again
with the environment it had (:func:`restart`; :func:`crash` is the tests' machine crash).

Every process starts in its own session (process group). Stopping is not clean in Airflow (see
airflow-notes: processes survive SIGTERM, task processes move to their own group), so stopping signals
each whole group and every descendant seen, escalates to SIGKILL, and checks the ports are free.

Also used by the tests: tests/stack_e2e.py starts this stack on scratch databases with a Redis of its own
(``own_redis``) for the end-to-end runs and faults; ``tests/stack.py`` builds its single-host stacks on
:class:`NativeStack`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

from herald_dev.fakeplatforms.server import ClientBaseUrls

REPO = Path(__file__).resolve().parents[2]
DEV_DIR = REPO / "dev"
COMPOSE_FILE = REPO / "docker-compose.yaml"
ENV_EXAMPLE = REPO / ".env.example"
ENV_FILE = REPO / ".env"
STACK_DIR = REPO / ".stack"
PG_ADMIN_URL = (os.environ.get("HERALD_STACK_PG") or os.environ.get("HERALD_TEST_PG")
                or "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# Redis database numbers: never 0 (the default everyone uses); only the stack's own is flushed.
DEFAULT_REDIS_DB = 7  # the tests' scratch stacks
STACK_REDIS_DB = 8  # make stack
STACK_META_DB = "herald_stack_meta"
STACK_HERALD_DB = "herald_stack_herald"
STACK_API_PORT = 8080
INIT_SERVICE = "airflow-init"
# Services the stack starts: the long-running Airflow services of the default compose profile.
AIRFLOW_SERVICES = (
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
)
# Airflow's high-availability setup: how many of each service make stack runs.
HA_COUNTS = {"airflow-scheduler": 2, "airflow-triggerer": 2, "airflow-worker": 2}
# Container mounts that are written to: natively they go to the scratch (state) directory, not the repo.
SCRATCH_MOUNTS = ("/opt/airflow/logs", "/opt/airflow/packs")
# FAB roles of the SimpleAuthManager roles herald_dev.logins gives the demo's people.
FAB_ROLES = {"viewer": "Viewer", "user": "User", "op": "Op", "admin": "Admin"}
HEARTBEAT_WINDOW = timedelta(seconds=60)
CELERY_APP = "airflow.providers.celery.executors.celery_executor.app"


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
        else:  # hex: a URL-safe token may start with "-", which `airflow users create --password` reads as an option
            values[name] = secrets.token_hex(24)
    return values


def stack_environment(
    compose: dict,
    variables: Mapping[str, str],
    endpoints: Mapping[str, Endpoint],
    workdir: Path,
    api_port: int,
    compose_dir: Path = REPO,
) -> dict[str, str]:
    """Every Airflow process's environment: this process's without Airflow/Herald settings (``make`` exports
    config/native.env, the LocalExecutor setup), then the compose common environment made native, then what
    each container gets from the image or its own network namespace."""
    dropped = set(variables)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW", "HERALD", "PYTHONPATH", "_AIRFLOW")) and k not in dropped}
    env.update(native_environment(compose, variables, endpoints, workdir, compose_dir))
    env.update(
        AIRFLOW_HOME=str(workdir / "home"),
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(api_port),
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{api_port}",
        AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST="127.0.0.1",
        AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
        # Two slow cores: a small worker pool starts faster than Celery's default of 16.
        AIRFLOW__CELERY__WORKER_CONCURRENCY="2",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return env


# --- PostgreSQL and Redis -----------------------------------------------------------------------


def _pg_admin_connection(admin_url: str = PG_ADMIN_URL):
    import psycopg2

    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    return connection


def _pg_admin(statement, params: Sequence = (), admin_url: str = PG_ADMIN_URL):
    connection = _pg_admin_connection(admin_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchone() if cursor.description else None
    finally:
        connection.close()


def database_exists(name: str, admin_url: str = PG_ADMIN_URL) -> bool:
    return _pg_admin("SELECT 1 FROM pg_database WHERE datname = %s", (name,), admin_url) is not None


def create_database(name: str, admin_url: str = PG_ADMIN_URL) -> None:
    """A fresh, empty database (an existing one of that name is dropped first)."""
    drop_database(name, admin_url)
    from psycopg2 import sql

    _pg_admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)), admin_url=admin_url)


def ensure_database(name: str, admin_url: str = PG_ADMIN_URL) -> bool:
    """Create the database unless it exists; return whether it was created."""
    if database_exists(name, admin_url):
        return False
    from psycopg2 import sql

    _pg_admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)), admin_url=admin_url)
    return True


def drop_database(name: str, admin_url: str = PG_ADMIN_URL) -> None:
    from psycopg2 import sql

    _pg_admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)), admin_url=admin_url)


def postgres_endpoint(meta_db: str, herald_db: str, admin_url: str = PG_ADMIN_URL) -> Endpoint:
    """The compose ``postgres`` service's databases ``airflow`` and ``herald`` as databases of the local server,
    reached as its admin user (trust authentication on this machine)."""
    admin = urlsplit(admin_url)
    return Endpoint(admin.hostname or "127.0.0.1", admin.port or 5432, userinfo=admin.netloc.rpartition("@")[0],
                    paths={"/airflow": f"/{meta_db}", "/herald": f"/{herald_db}"})


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
    """``airflow`` and ``python`` of the interpreter running this (the project's venv)."""
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
    except PermissionError:
        return True
    return True


def _still_running(process) -> bool:
    import psutil

    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _reap(pid: int) -> None:
    """Collect the exit status of our own child (a zombie would look alive); others' children are not ours."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def stop_groups(pgids: Sequence[int], grace: float = 20.0, since: float | None = None) -> tuple[list[int], list[int]]:
    """SIGTERM each process group and every descendant of its leader, SIGKILL what is left after ``grace``.

    Each group leader must have been started in its own session (its pid is its group). Members are the
    processes in the groups (created at or after ``since``, a guard against reused ids) and the leaders'
    descendants, which include task processes that called setpgid and left the group.
    Returns (every pid signalled, the pids still running afterwards: empty when everything stopped).
    """
    import psutil

    wanted = set(pgids)
    own = os.getpid()

    def members() -> dict[int, psutil.Process]:
        found: dict[int, psutil.Process] = {}
        for pgid in wanted:
            try:
                root = psutil.Process(pgid)
                if since is None or root.create_time() >= since - 1:
                    for member in (root, *root.children(recursive=True)):
                        found[member.pid] = member
            except psutil.NoSuchProcess:
                pass
        for process in psutil.process_iter():
            try:
                if os.getpgid(process.pid) in wanted and (since is None or process.create_time() >= since - 1):
                    found.setdefault(process.pid, process)
                    for member in process.children(recursive=True):
                        found.setdefault(member.pid, member)
            except (ProcessLookupError, psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        found.pop(own, None)
        found.pop(1, None)
        return found

    def signal_all(sig: int, targets: Iterable[psutil.Process]) -> None:
        for pgid in wanted:
            if pgid > 1 and pgid != os.getpgid(own):
                try:
                    os.killpg(pgid, sig)
                except (ProcessLookupError, PermissionError):
                    pass
        for member in targets:
            try:
                member.send_signal(sig)
            except psutil.NoSuchProcess:
                pass

    seen = members()
    signalled = set(seen)
    signal_all(signal.SIGTERM, seen.values())
    _, alive = psutil.wait_procs(list(seen.values()), timeout=grace)
    leftovers = {p.pid: p for p in alive} | members()  # plus any spawned while shutting down
    signalled |= set(leftovers)
    if leftovers or any(_group_alive(pgid) for pgid in wanted):
        signal_all(signal.SIGKILL, leftovers.values())
        psutil.wait_procs(list(leftovers.values()), timeout=10)
    for pid in signalled:
        _reap(pid)
    running = {p.pid for p in leftovers.values() if _still_running(p)} | {p.pid for p in members().values()
                                                                         if _still_running(p)}
    return sorted(signalled), sorted(running)


def stop_process_groups(processes: Sequence[subprocess.Popen], grace: float = 20.0) -> list[int]:
    """:func:`stop_groups` for processes this one started (``start_new_session=True``), reaped afterwards.

    Returns the pids still running afterwards (empty when everything stopped).
    """
    _, running = stop_groups([p.pid for p in processes], grace)
    for process in processes:
        try:
            process.wait(timeout=5)  # reap our own children
        except subprocess.TimeoutExpired:
            pass
    return sorted(set(running) | {p.pid for p in processes if _group_alive(p.pid)})


def _create_time(pid: int) -> float:
    import psutil

    return psutil.Process(pid).create_time()


@dataclass
class Instance:
    """One process of a compose service: its own name, extra arguments and environment, the ports it opens."""

    name: str
    service: str
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    celery_name: str | None = None


def ha_instances(api_port: int, counts: Mapping[str, int] = HA_COUNTS,
                 services: Sequence[str] = AIRFLOW_SERVICES) -> list[Instance]:
    """The processes of Airflow's HA setup: ``counts`` of a service (default one), each with its own ports.

    Two schedulers on one machine need their own health-check servers, two triggerers their own log servers,
    two Celery workers their own log servers and their own Celery node names (``celery@host`` twice is one
    node to ``inspect ping``). The api-server reads running tasks' logs from the first worker's log port;
    finished tasks' logs from the shared log folder.
    """
    host = socket.gethostname()
    instances = []
    for service in services:
        count = counts.get(service, 1)
        for number in range(1, count + 1):
            name = service if count == 1 else f"{service}-{number}"
            instance = Instance(name, service)
            if service == "airflow-apiserver":
                instance.ports["api"] = api_port
            elif service == "airflow-scheduler":
                port = free_port()
                instance.env["AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT"] = str(port)
                instance.ports["health"] = port
            elif service == "airflow-triggerer":
                port = free_port()
                instance.env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"] = str(port)
                instance.ports["logs"] = port
            elif service == "airflow-worker":
                port = free_port()
                instance.env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(port)
                instance.ports["logs"] = port
                instance.celery_name = f"{name}@{host}"
                instance.args = ("--celery-hostname", instance.celery_name)
            instances.append(instance)
    return instances


class NativeStack:
    """Airflow's services as local processes, configured from the compose file."""

    def __init__(self, compose: dict, env: Mapping[str, str], workdir: Path, api_port: int,
                 variables: Mapping[str, str] | None = None, log_dir: Path | None = None):
        self.compose = compose
        self.env = dict(env)
        self.variables = dict(variables or {})  # the .env values of the stack
        self.workdir = workdir
        self.api_port = api_port
        self.log_dir = log_dir or workdir / "process-logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, subprocess.Popen] = {}
        self.instances: dict[str, Instance] = {}
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

    def add_users(self, users: Mapping[str, str], timeout: float = 600,
                  passwords: Mapping[str, str] | None = None) -> None:
        """Create more Airflow users (login -> FAB role, e.g. ``User``), with the given or generated passwords.

        ``airflow users create`` leaves an existing user as it is (its password too)."""
        for login, role in users.items():
            password = (passwords or {}).get(login) or secrets.token_hex(12)
            # --password=VALUE: a URL-safe password may start with "-", which argparse reads as an option.
            argv = ["airflow", "users", "create", "--username", login, f"--password={password}", "--role", role,
                    "--firstname", login, "--lastname", "Herald", "--email", f"{login}@herald.invalid"]
            self._run_step(argv, self.log_dir / f"user-{login}.log", self.env, timeout)
            self.passwords[login] = password

    def _launch(self, instance: Instance, mode: str = "w") -> subprocess.Popen:
        log = (self.log_dir / f"{instance.name}.log").open(mode)
        try:
            return subprocess.Popen(
                native_command([*service_command(self.compose, instance.service), *instance.args]),
                env={**self.env, **instance.env}, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()  # the child holds its own descriptor

    def start(self, services: Sequence[str] | Sequence[Instance] = AIRFLOW_SERVICES) -> None:
        """Start each service (one process named like it) or each :class:`Instance`."""
        if port_is_listening(self.api_port):
            raise StackError(f"port {self.api_port} is already taken")
        for item in services:
            instance = item if isinstance(item, Instance) else Instance(item, item)
            self.instances[instance.name] = instance
            self.processes[instance.name] = self._launch(instance)

    def restart(self, service: str, sig: int = signal.SIGKILL, pause: float = 2.0) -> None:
        """Kill one process's whole group with ``sig`` (a crash by default) and start it again."""
        self.kill(service, sig)
        time.sleep(pause)
        with (self.log_dir / f"{service}.log").open("a") as log:
            log.write(f"\n--- restarted after signal {sig}\n")
        self.processes[service] = self._launch(self.instances[service], mode="a")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal one process's whole group (SIGKILL: a crash) and wait for its leader; it stays stopped."""
        process = self.processes.pop(name)
        os.killpg(process.pid, sig)
        process.wait(timeout=60)

    def start_again(self, name: str) -> None:
        """Start a process stopped by :meth:`kill` again, as the same instance (its log is appended to)."""
        if name in self.processes:
            raise StackError(f"{name} is still running")
        with (self.log_dir / f"{name}.log").open("a") as log:
            log.write("\n--- started again\n")
        self.processes[name] = self._launch(self.instances[name], mode="a")

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
    """The few REST calls a stack needs, with a token of ``POST /auth/token``."""

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

    def task_hostnames(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        tasks = self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return {t["task_id"]: t.get("hostname") for t in tasks.get("task_instances", [])}


# --- make stack: the HA stack, its state file, health, stop from another shell ------------------------


STATE_NAME = "state.json"


@dataclass(frozen=True)
class FakeAddress(ClientBaseUrls):
    """Where the fake platforms' process listens, with the client base URLs of
    :class:`herald_dev.fakeplatforms.FakePlatforms` (what :func:`herald_dev.demo.fake_platform_connections` reads)."""

    base_url: str


@dataclass
class Check:
    component: str
    ok: bool
    detail: str


def state_path(state_dir: Path) -> Path:
    return state_dir / STATE_NAME


def read_state(state_dir: Path) -> dict | None:
    path = state_path(state_dir)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def write_state(state_dir: Path, state: Mapping) -> None:
    """Atomically, readable by this user only (it names the databases and ports, no password)."""
    _write_private(state_path(state_dir), json.dumps(state, indent=2, ensure_ascii=False) + "\n")


def _record(name: str, pid: int, *, service: str | None = None, ports: Mapping[str, int] | None = None,
            celery_name: str | None = None, instance: Instance | None = None) -> dict:
    """A process of the stack as state.json keeps it; an Airflow service's :class:`Instance` too (restarts)."""
    from dataclasses import asdict

    return {"name": name, "service": service, "pid": pid, "pgid": pid, "create_time": _create_time(pid),
            "ports": dict(ports or {}), "celery_name": celery_name,
            "instance": asdict(instance) if instance is not None else None}


def _record_alive(record: Mapping) -> bool:
    """The recorded process still runs (and its pid was not reused by another process since)."""
    import psutil

    try:
        process = psutil.Process(record["pid"])
        return abs(process.create_time() - record["create_time"]) < 1 and _still_running(process)
    except psutil.NoSuchProcess:
        return False


def _leader_reused(record: Mapping) -> bool:
    import psutil

    try:
        return abs(psutil.Process(record["pid"]).create_time() - record["create_time"]) >= 1
    except psutil.NoSuchProcess:
        return False


def _wait_for(predicate, timeout: float, what: str, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise StackError(f"{what} not ready after {timeout:.0f}s")


def _http_ok(url: str, timeout: float = 5) -> tuple[bool, str]:
    import requests

    try:
        response = requests.get(url, timeout=timeout)
    except requests.RequestException as error:
        return False, type(error).__name__
    return response.status_code == 200, f"HTTP {response.status_code}"


def _start_helper(argv: Sequence[str], log: Path, env: Mapping[str, str], cwd: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(list(argv), env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def start_object_store(state_dir: Path, log_dir: Path, env: Mapping[str, str], password: str) -> tuple[subprocess.Popen, int]:
    """minio and minio-init natively: moto's S3 server, and the archive's bucket with object locking and a
    default GOVERNANCE retention of 3650 days (what minio-init sets). Moto keeps objects in memory: the
    archive starts empty with each ``make stack``."""
    import boto3

    port = free_port()
    process = _start_helper([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
                            log_dir / "object-store.log", env, state_dir)
    _wait_for(lambda: process.poll() is not None or port_is_listening(port), 120, "object store")
    if process.poll() is not None:
        raise StackError(f"object store exited:\n{_tail(log_dir / 'object-store.log')}")
    s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                      aws_access_key_id="herald-archive", aws_secret_access_key=password)
    s3.create_bucket(Bucket="herald-archive", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket="herald-archive", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 3650}}})
    return process, port


def start_fake_platforms(state_dir: Path, log_dir: Path, env: Mapping[str, str],
                         weibo_users: Mapping[str, Mapping] | None = None) -> tuple[subprocess.Popen, FakeAddress]:
    """The fake platforms (WeChat, Weibo, CMS) with the demo's accounts and ``weibo_users``, as make demo and
    make up start them, but as a process of their own (``python -m herald_dev.fakeplatforms``): the stack
    outlives ``make stack``."""
    from herald_dev.demo import DEMO_WEIBO_USERS

    port = free_port()
    accounts = state_dir / "fake-accounts.json"
    _write_private(accounts, json.dumps({"weibo": {**DEMO_WEIBO_USERS, **(weibo_users or {})}}))
    tooling = {**env, "PYTHONPATH": os.pathsep.join([str(DEV_DIR), str(REPO / "include")])}
    process = _start_helper([sys.executable, "-m", "herald_dev.fakeplatforms", "--port", str(port),
                             "--accounts", str(accounts)], log_dir / "fake-platforms.log", tooling, state_dir)
    address = FakeAddress(f"http://127.0.0.1:{port}")
    _wait_for(lambda: process.poll() is not None or _http_ok(f"{address.base_url}/_fake/health")[0], 120,
              "fake platforms")
    if process.poll() is not None:
        raise StackError(f"fake platforms exited:\n{_tail(log_dir / 'fake-platforms.log')}")
    return process, address


def start_inbox(state_dir: Path, log_dir: Path, env: Mapping[str, str], secret: str) -> tuple[subprocess.Popen, dict]:
    """The local inbox (SMTP and the WeCom/DingTalk robots, :mod:`herald_dev.fakeplatforms.inbox`) as a process:
    the digests of the cadence scan and the other notifying DAGs land in ``state_dir/inbox/`` as files."""
    ports = {"smtp": free_port(), "robots": free_port()}
    tooling = {**env, "PYTHONPATH": os.pathsep.join([str(DEV_DIR), str(REPO / "include")]),
               "HERALD_INBOX_DINGTALK_SECRET": secret}
    process = _start_helper([sys.executable, "-m", "herald_dev.fakeplatforms.inbox", "--dir", str(state_dir / "inbox"),
                             "--smtp-port", str(ports["smtp"]), "--robots-port", str(ports["robots"])],
                            log_dir / "local-inbox.log", tooling, state_dir)
    _wait_for(lambda: process.poll() is not None or all(port_is_listening(p) for p in ports.values()), 120, "local inbox")
    if process.poll() is not None:
        raise StackError(f"local inbox exited:\n{_tail(log_dir / 'local-inbox.log')}")
    return process, ports


def redis_argv(port: int) -> list[str]:
    """A Redis of the stack's own (``make stack`` uses the machine's) that keeps nothing on disk: a restart loses
    every queued Celery message, the hardest case of a broker restart (the tests' fault)."""
    return ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]


def start_redis(state_dir: Path, log_dir: Path, env: Mapping[str, str], port: int, mode: str = "w") -> subprocess.Popen:
    with (log_dir / "redis.log").open(mode) as out:
        process = subprocess.Popen(redis_argv(port), env=dict(env), cwd=state_dir, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    _wait_for(lambda: process.poll() is not None or port_is_listening(port), 60, "redis")
    if process.poll() is not None:
        raise StackError(f"redis exited:\n{_tail(log_dir / 'redis.log')}")
    return process


def _url_of_dsn(url: str) -> str:
    """``postgresql+psycopg2://...`` (SQLAlchemy) -> ``postgresql://...``."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


def running_jobs(meta_url: str) -> list[dict]:
    """Airflow's components that heartbeat (job table) and did so within :data:`HEARTBEAT_WINDOW`."""
    import herald_dev  # noqa: F401  (its SQL folder, dev/sql/)
    from herald.db import Database

    db = Database(meta_url)
    try:
        return db.fetch("stack/running_jobs", since=datetime.now(UTC) - HEARTBEAT_WINDOW)
    finally:
        db.dispose()


def celery_ping(broker_url: str, names: Sequence[str], timeout: float = 3.0) -> set[str]:
    """``celery inspect ping -d NAME`` for each worker (through the broker, as the compose health check does);
    returns the names that answered."""
    from celery import Celery

    app = Celery(broker=broker_url)
    try:
        replies = app.control.ping(destination=list(names), timeout=timeout) or []
    finally:
        app.close()
    return {name for reply in replies for name in reply}


def health(state: Mapping) -> list[Check]:
    """Every check of a recorded stack: processes, the api-server's monitor (scheduler, triggerer and
    dag-processor heartbeats), heartbeats per component in the job table, each scheduler's health server,
    a ping to each Celery worker, the fake platforms and the object store."""
    import requests

    checks = []
    records = state["processes"]
    for record in records:
        checks.append(Check(f"process {record['name']}", _record_alive(record), f"pid {record['pid']}"))
    try:
        monitor = requests.get(f"{state['api_url']}/api/v2/monitor/health", timeout=5).json()
        for part in ("metadatabase", "scheduler", "triggerer", "dag_processor"):
            status = (monitor.get(part) or {}).get("status")
            heartbeat = next((v for k, v in (monitor.get(part) or {}).items() if k.startswith("latest")), None)
            checks.append(Check(f"api monitor {part}", status == "healthy",
                                f"{status}" + (f", last heartbeat {heartbeat}" if heartbeat else "")))
    except (requests.RequestException, ValueError) as error:
        checks.append(Check("api-server /api/v2/monitor/health", False, type(error).__name__))
    wanted = {"SchedulerJob": "airflow-scheduler", "TriggererJob": "airflow-triggerer",
              "DagProcessorJob": "airflow-dag-processor"}
    try:
        jobs = running_jobs(state["meta_url"])
        for job_type, service in wanted.items():
            expected = sum(1 for r in records if r["service"] == service)
            found = sum(1 for job in jobs if job["job_type"] == job_type)
            checks.append(Check(f"heartbeats {job_type}", found >= expected,
                                f"{found} of {expected} heartbeating in the last {HEARTBEAT_WINDOW.seconds}s"))
    except Exception as error:  # a health check reports what fails, it does not raise
        checks.append(Check("heartbeats (job table)", False, f"{type(error).__name__}: {error}"[:200]))
    for record in records:
        if record["service"] == "airflow-scheduler":
            ok, detail = _http_ok(f"http://127.0.0.1:{record['ports']['health']}/health")
            checks.append(Check(f"health server {record['name']}", ok, f":{record['ports']['health']} {detail}"))
    names = [r["celery_name"] for r in records if r.get("celery_name")]
    if names:
        try:
            answered = celery_ping(state["broker_url"], names)
        except Exception as error:  # the broker unreachable: reported, not raised
            answered, problem = set(), f"{type(error).__name__}"
        else:
            problem = ""
        for name in names:
            checks.append(Check(f"celery ping {name}", name in answered, "pong" if name in answered else
                                problem or "no answer"))
    if state.get("fake_url"):
        ok, detail = _http_ok(f"{state['fake_url']}/_fake/health")
        checks.append(Check("fake platforms", ok, f"{state['fake_url']} {detail}"))
    if state.get("object_store_port"):
        port = state["object_store_port"]
        checks.append(Check("object store", port_is_listening(port), f"127.0.0.1:{port}"))
    return checks


def wait_healthy(state: Mapping, log_dir: Path, timeout: float = 900, say=print) -> list[Check]:
    """Until every check passes; a recorded process that exits fails at once, with its log."""
    deadline = time.monotonic() + timeout
    next_report = time.monotonic() + 60
    checks: list[Check] = []
    while time.monotonic() < deadline:
        for record in state["processes"]:
            if not _record_alive(record):
                raise StackError(f"{record['name']} exited:\n{_tail(log_dir / (record['name'] + '.log'))}")
        checks = health(state)
        if all(check.ok for check in checks):
            return checks
        if time.monotonic() > next_report:
            say("waiting for: " + ", ".join(c.component for c in checks if not c.ok))
            next_report = time.monotonic() + 60
        time.sleep(3)
    failing = "\n".join(f"  {c.component}: {c.detail}" for c in checks if not c.ok)
    raise StackError(f"the stack is not healthy after {timeout:.0f}s:\n{failing}")


def _demo_users(herald_url: str, passwords_file: Path):
    """The demo world's people who act on the live release (herald_dev.logins), if the world is loaded, with
    passwords kept in ``passwords_file``; [] without a world."""
    from herald.db import Database
    from herald.timeutil import local_day, now_utc
    from herald_dev.logins import SERVICE_LOGINS, demo_logins, ensure_passwords

    db = Database(herald_url)
    try:
        logins = demo_logins(db, on=local_day(now_utc()))
    except LookupError:
        return [], {}
    finally:
        db.dispose()
    service = {item.login for item in SERVICE_LOGINS}
    people = [item for item in logins if item.login not in service]
    return people, ensure_passwords(passwords_file, [item.login for item in people])


def _build_world(herald_url: str, log_dir: Path, env: Mapping[str, str]) -> None:
    from herald.timeutil import local_day, now_utc

    tooling = {**env, "PYTHONPATH": os.pathsep.join([str(DEV_DIR), str(REPO / "include")])}
    log = log_dir / "world.log"
    with log.open("w") as out:
        done = subprocess.run([sys.executable, "-m", "herald_dev.world", "--db", herald_url,
                               "--as-of", local_day(now_utc()).isoformat()], env=tooling, stdout=out,
                              stderr=subprocess.STDOUT, cwd=REPO)
    if done.returncode != 0:
        raise StackError(f"building the demo world failed:\n{_tail(log)}")


@dataclass(frozen=True)
class WeiboAccount:
    """A Weibo user of the fake Weibo and the Airflow connection of the Herald account publishing as it
    (``herald_weibo__<account slug>``, as a subsidiary's account has in production)."""

    account_id: str
    token: str
    uid: str
    safe_domains: tuple[str, ...] = ()

    @property
    def conn_env(self) -> str:
        from herald.dispatch.connections import account_slug

        return f"AIRFLOW_CONN_HERALD_WEIBO__{account_slug(self.account_id).upper()}"

    @property
    def fake_user(self) -> dict:
        return {"uid": self.uid, "appkey": "k", "safe_domains": list(self.safe_domains)}

    def connection(self, weibo_url: str) -> str:
        return json.dumps({"conn_type": "herald_weibo", "host": weibo_url, "password": self.token,
                           "extra": {"safe_domains": list(self.safe_domains)}})


CONNECTIONS_NAME = "connections.json"  # what each Airflow process gets beyond compose: local connections, extra settings


def _helper_environment(variables: Mapping[str, str]) -> dict[str, str]:
    """The helpers' environment (fakes, inbox, object store, Redis): this process's without Airflow settings."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("AIRFLOW", "HERALD", "PYTHONPATH")) and k not in variables}


def airflow_environment(state: Mapping, variables: Mapping[str, str]) -> dict[str, str]:
    """Every Airflow process's environment for a recorded stack: the compose environment made native
    (:func:`stack_environment`) and the connections to the local services kept in ``connections.json``.
    Rebuilt from the state folder, so a process can be started again by another command (:func:`restart`)."""
    state_dir = Path(state["state_dir"])
    endpoints = {
        "postgres": postgres_endpoint(state["meta_db"], state["herald_db"], state["admin_url"]),
        "redis": Endpoint(REDIS_HOST, state.get("redis_port") or REDIS_PORT, paths={"/0": f"/{state['redis_db']}"}),
        "airflow-apiserver": Endpoint("127.0.0.1", state["api_port"]),
        "minio": Endpoint("127.0.0.1", state["object_store_port"]),
    }
    env = stack_environment(load_compose(COMPOSE_FILE), variables, endpoints, state_dir, state["api_port"])
    env.update(json.loads((state_dir / CONNECTIONS_NAME).read_text(encoding="utf-8")))
    return env


def _write_private(path: Path, content: str) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(content, encoding="utf-8")
    temporary.chmod(0o600)
    temporary.replace(path)


def start_stack(
    state_dir: Path = STACK_DIR,
    *,
    env_file: Path = ENV_FILE,
    api_port: int | None = None,
    meta_db: str = STACK_META_DB,
    herald_db: str = STACK_HERALD_DB,
    redis_db: int = STACK_REDIS_DB,
    own_redis: bool = False,
    scratch: bool = False,
    counts: Mapping[str, int] = HA_COUNTS,
    world: bool = False,
    weibo_accounts: Sequence[WeiboAccount] = (),
    extra_env: Mapping[str, str] | None = None,
    users: Mapping[str, str] | None = None,
    admin_url: str = PG_ADMIN_URL,
    timeout: float = 900,
    say=print,
) -> dict:
    """Start the HA stack and return its state (also written to ``state_dir/state.json``) once healthy.

    ``scratch``: the databases are created empty (dropped first) and dropped again by :func:`stop_stack`
    (tests); otherwise they are created only if missing and kept. ``world``: build the demo world into
    Herald's database if it has none. ``own_redis``: the broker is a Redis server of the stack's own on a
    free port (the machine's otherwise). ``weibo_accounts`` are added to the fake Weibo, each with its
    Airflow connection; ``extra_env`` goes to every Airflow process (connections, settings), ``users`` (login -> FAB role) to
    Airflow with generated passwords kept in ``passwords.json``. Anything started is stopped again if
    the start fails.
    """
    state_dir = state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    previous = read_state(state_dir)
    if previous and any(_record_alive(r) for r in previous["processes"]):
        raise StackError(f"a stack is already running (see {state_path(state_dir)}): `make stack-down` first")
    if not env_file.exists():
        raise StackError(f"{env_file} is missing: `make .env` makes it")
    variables = read_env_file(env_file)
    placeholders = sorted(k for k, v in variables.items() if "change-me" in v)
    if placeholders:  # what airflow-init refuses too
        raise StackError(f"{env_file} still holds change-me placeholders: {', '.join(placeholders)}")
    if api_port is None:
        api_port = STACK_API_PORT if not port_is_listening(STACK_API_PORT) else free_port()
    elif port_is_listening(api_port):
        raise StackError(f"port {api_port} is already taken")
    log_dir = state_dir / "logs"
    log_dir.mkdir(exist_ok=True)
    compose = load_compose(COMPOSE_FILE)
    postgres = postgres_endpoint(meta_db, herald_db, admin_url)
    state: dict = {
        "version": 2, "started_at": time.time(), "state_dir": str(state_dir), "log_dir": str(log_dir),
        "env_file": str(env_file.resolve()), "api_port": api_port, "api_url": f"http://127.0.0.1:{api_port}",
        "redis_db": redis_db, "redis_port": None, "meta_db": meta_db, "herald_db": herald_db, "scratch": scratch,
        "admin_url": admin_url,
        "meta_url": postgres.rewrite("postgresql://airflow@postgres:5432/airflow"),
        "herald_url": postgres.rewrite("postgresql://herald@postgres:5432/herald"),
        "broker_url": None, "fake_url": None, "object_store_port": None, "inbox_dir": str(state_dir / "inbox"),
        "processes": [], "users": {}, "people": [],
    }
    write_state(state_dir, state)
    try:
        helper_env = _helper_environment(variables)
        if own_redis:
            port = free_port()
            redis_process = start_redis(state_dir, log_dir, helper_env, port)
            state["processes"].append(_record("redis", redis_process.pid, ports={"redis": port}))
            state["redis_port"] = port
            say(f"Redis of the stack's own on 127.0.0.1:{port}")
        else:
            flush_redis_db(redis_db)
        for name in (meta_db, herald_db):
            if scratch:
                create_database(name, admin_url)
            elif ensure_database(name, admin_url):
                say(f"created database {name}")
        store, store_port = start_object_store(state_dir, log_dir, helper_env, variables.get("MINIO_ROOT_PASSWORD", ""))
        state["processes"].append(_record("object-store", store.pid, ports={"s3": store_port}))
        state["object_store_port"] = store_port
        fake, address = start_fake_platforms(state_dir, log_dir, helper_env, {a.token: a.fake_user for a in weibo_accounts})
        state["processes"].append(_record("fake-platforms", fake.pid, ports={"http": int(address.base_url.rsplit(":", 1)[1])}))
        state["fake_url"] = address.base_url
        inbox_secret = "SEC" + secrets.token_hex(24)
        inbox, inbox_ports = start_inbox(state_dir, log_dir, helper_env, inbox_secret)
        state["processes"].append(_record("local-inbox", inbox.pid, ports=inbox_ports))
        write_state(state_dir, state)
        say(f"object store (S3, for the archive) on 127.0.0.1:{store_port}; fake platforms on {address.base_url}; "
            f"local inbox (digests) in {state['inbox_dir']}")

        from herald_dev.demo import fake_platform_connections
        from herald_dev.fakeplatforms.inbox import inbox_connections

        connections = {**fake_platform_connections(address),
                       **{a.conn_env: a.connection(address.weibo_url) for a in weibo_accounts},
                       **inbox_connections(inbox_ports["smtp"], f"http://127.0.0.1:{inbox_ports['robots']}", inbox_secret),
                       **(extra_env or {})}
        _write_private(state_dir / CONNECTIONS_NAME, json.dumps(connections, indent=1) + "\n")
        env = airflow_environment(state, variables)
        state["broker_url"] = env["AIRFLOW__CELERY__BROKER_URL"]
        write_state(state_dir, state)
        stack = NativeStack(compose, env, state_dir, api_port, variables, log_dir=log_dir)
        say(f"init steps of {INIT_SERVICE} (migrations, settings, users); logs {log_dir}/init-*.log ...")
        stack.run_init()
        if world and not _demo_users(state["herald_url"], state_dir / "passwords.json")[0]:
            say(f"building the demo world into {herald_db} ...")
            _build_world(state["herald_url"], log_dir, helper_env)
        people, passwords = _demo_users(state["herald_url"], state_dir / "passwords.json")
        wanted = {p.login: FAB_ROLES[p.role] for p in people}
        if users:
            from herald_dev.logins import ensure_passwords

            wanted.update(users)
            passwords = {**passwords, **ensure_passwords(state_dir / "passwords.json", list(users))}
        if wanted:
            say(f"creating {len(wanted)} Airflow users (passwords in {state_dir / 'passwords.json'}) ...")
            stack.add_users(wanted, passwords=passwords)
        state["users"] = {"admin": "Admin", "herald-router": "Op", **wanted}
        state["people"] = [{"login": p.login, "name": p.name, "role": p.role, "jobs": list(p.jobs)} for p in people]
        instances = ha_instances(api_port, counts)
        stack.start(instances)
        for instance in instances:
            state["processes"].append(_record(instance.name, stack.processes[instance.name].pid,
                                              service=instance.service, ports=instance.ports,
                                              celery_name=instance.celery_name, instance=instance))
        write_state(state_dir, state)
        say(f"started {', '.join(i.name for i in instances)}; waiting for the health checks ...")
        wait_healthy(state, log_dir, timeout, say)
    except BaseException:
        say("the stack did not start: stopping what was started")
        stop_stack(state_dir, say=say, grace=10)
        raise
    return state


def crash(state_dir: Path, name: str) -> None:
    """SIGKILL one recorded process, its group and every descendant (task processes leave the group), as a
    machine crash would; it stays down until :func:`restart`."""
    import psutil

    state = read_state(state_dir.resolve())
    record = next((r for r in state["processes"] if r["name"] == name), None) if state else None
    if record is None:
        raise StackError(f"no process {name!r} recorded in {state_path(state_dir.resolve())}")
    if not _record_alive(record):
        return
    leader = psutil.Process(record["pid"])
    family = [leader, *leader.children(recursive=True)]
    try:
        os.killpg(record["pgid"], signal.SIGKILL)
    except ProcessLookupError:
        pass
    for process in family:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=30)
    _reap(record["pid"])


def restart(state_dir: Path, name: str, say=print) -> dict:
    """Start one recorded process again (after :func:`crash`, or stopping it first if it runs), with the same
    name, ports and environment; its log is appended to. Airflow services and the stack's own Redis."""
    state_dir = state_dir.resolve()
    state = read_state(state_dir)
    if state is None:
        raise StackError(f"no stack recorded in {state_path(state_dir)}")
    record = next((r for r in state["processes"] if r["name"] == name), None)
    if record is None or not (record.get("instance") or name == "redis"):
        known = [r["name"] for r in state["processes"] if r.get("instance") or r["name"] == "redis"]
        raise StackError(f"{name!r} cannot be restarted; these can: {', '.join(known)}")
    if _record_alive(record):
        say(f"stopping {name} (process group {record['pgid']})")
        stop_groups([record["pgid"]], grace=20, since=record["create_time"])
    log_dir = Path(state["log_dir"])
    with (log_dir / f"{name}.log").open("a") as log:
        log.write(f"\n--- started again at {datetime.now(UTC).isoformat()}\n")
    variables = read_env_file(Path(state["env_file"]))
    if name == "redis":
        process = start_redis(state_dir, log_dir, _helper_environment(variables), record["ports"]["redis"], mode="a")
    else:
        stack = NativeStack(load_compose(COMPOSE_FILE), airflow_environment(state, variables), state_dir,
                            state["api_port"], variables, log_dir=log_dir)
        instance = Instance(**{**record["instance"], "args": tuple(record["instance"]["args"])})
        process = stack._launch(instance, mode="a")
    record.update(pid=process.pid, pgid=process.pid, create_time=_create_time(process.pid))
    write_state(state_dir, state)
    say(f"started {name} again (pid {process.pid})")
    return record


def stop_stack(state_dir: Path = STACK_DIR, grace: float = 20.0, say=print) -> dict:
    """Stop every recorded process group (SIGTERM, then SIGKILL), check no process and no port is left,
    flush the stack's Redis database, drop scratch databases; remove the state file once all is clean."""
    state_dir = state_dir.resolve()
    state = read_state(state_dir)
    if state is None:
        say(f"no stack recorded in {state_path(state_dir)}")
        return {"stopped": [], "survivors": [], "ports": []}
    records = state["processes"]
    for record in records:
        say(f"stopping {record['name']} (process group {record['pgid']})"
            + ("" if _record_alive(record) else ": its leader is not running"))
    pgids = [r["pgid"] for r in records if not _leader_reused(r)]
    since = min((r["create_time"] for r in records), default=state["started_at"])
    signalled, survivors = stop_groups(pgids, grace, since=since) if pgids else ([], [])
    ports = [port for r in records for port in r["ports"].values()]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(port_is_listening(p) for p in ports):
        time.sleep(0.5)
    taken = [p for p in ports if port_is_listening(p)]
    if not state.get("redis_port"):  # the machine's Redis: the stack's database is emptied (its own died with it)
        flush_redis_db(state["redis_db"])
    if state.get("scratch"):
        for name in (state["meta_db"], state["herald_db"]):
            drop_database(name, state["admin_url"])
    broker = "its own Redis stopped" if state.get("redis_port") else f"Redis database {state['redis_db']} flushed"
    dropped = f"; databases {state['meta_db']}, {state['herald_db']} dropped" if state.get("scratch") else ""
    say(f"stopped {len(signalled)} processes in {len(pgids)} process groups; {broker}{dropped}")
    if survivors or taken:
        raise StackError(f"left behind: processes {survivors}, ports {taken} (state kept in {state_path(state_dir)})")
    say(f"no process and no port ({', '.join(map(str, sorted(ports)))}) left")
    state_path(state_dir).unlink()
    return {"stopped": signalled, "survivors": survivors, "ports": ports}


def describe(state: Mapping, env_file: Path = ENV_FILE) -> str:
    """What ``make stack`` prints once healthy: the URL, who signs in, where the logs are."""
    state_dir = Path(state["state_dir"])
    lines = [f"Herald's production stack is up: {state['api_url']}"
             + ("" if state["api_port"] == STACK_API_PORT else f" (port {STACK_API_PORT} was taken)"),
             "processes: " + ", ".join(r["name"] for r in state["processes"]),
             "users:",
             f"  admin (Admin): password AIRFLOW_ADMIN_PASSWORD in {env_file}",
             "  herald-router (Op): the approval router's service user (herald_airflow_api connection)"]
    people = state.get("people") or []
    if people:
        from herald_dev.logins import DemoLogin, login_table

        lines.append(f"  the demo world's people (FAB role as named), passwords in {state_dir / 'passwords.json'}:")
        table = login_table(DemoLogin(p["login"], p["name"], p["role"], tuple(p["jobs"])) for p in people)
        lines += [f"    {line}" for line in table.splitlines()]
    else:
        lines.append("  (no demo world in Herald's database: `make stack WORLD=1` builds it and its people's users)")
    lines += [f"logs: {state['log_dir']}/ (<process>.log, init-*.log; task logs under dag_id=...)",
              f"databases: {state['meta_db']} (Airflow), {state['herald_db']} (Herald); "
              + (f"its own Redis on port {state['redis_port']}" if state.get("redis_port")
                 else f"Redis database {state['redis_db']}") + f"; fake platforms {state['fake_url']}",
              f"digests delivered: {state['inbox_dir']}/; audit packs: {state_dir / 'packs'}/ (the packs page lists them)",
              "`make stack-status` checks its health, `make stack-restart NAME=<process>` starts one process again, "
              "`make stack-down` stops it."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m herald_dev.stack", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("up", "down", "status", "restart"))
    parser.add_argument("name", nargs="?", help="restart: the process to start again (e.g. airflow-worker-1)")
    parser.add_argument("--state-dir", type=Path, default=STACK_DIR)
    parser.add_argument("--world", action="store_true", help="build the demo world into Herald's database if empty")
    parser.add_argument("--api-port", type=int, help=f"default {STACK_API_PORT}, or a free one if that is taken")
    args = parser.parse_args(argv)
    say = lambda message: print(f"[stack] {message}", flush=True)  # noqa: E731
    try:
        if args.command == "up":
            state = start_stack(args.state_dir, api_port=args.api_port, world=args.world, say=say)
            print(describe(state), flush=True)
        elif args.command == "down":
            stop_stack(args.state_dir, say=say)
        elif args.command == "restart":
            if not args.name:
                parser.error("restart needs the process's name (make stack-status lists them)")
            restart(args.state_dir, args.name, say=say)
        else:
            state = read_state(args.state_dir.resolve())
            if state is None:
                say(f"no stack recorded in {state_path(args.state_dir.resolve())}")
                return 1
            checks = health(state)
            for check in checks:
                print(f"{'ok  ' if check.ok else 'FAIL'} {check.component}: {check.detail}")
            print(f"{state['api_url']}: {'healthy' if all(c.ok for c in checks) else 'NOT healthy'}")
            return 0 if all(c.ok for c in checks) else 1
    except StackError as error:
        print(f"[stack] {error}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:  # start_stack has stopped what it started
        return 130
    except Exception as error:
        import psycopg2
        import redis

        if not isinstance(error, psycopg2.OperationalError | redis.exceptions.ConnectionError):
            raise
        print(f"[stack] PostgreSQL ({PG_ADMIN_URL}) or Redis ({REDIS_HOST}:{REDIS_PORT}) is not reachable: {error}",
              file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
