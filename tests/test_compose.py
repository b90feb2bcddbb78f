"""docker-compose.yaml checked statically (no Docker here, no Airflow import): the production recipe.

What is checked is what breaks a CeleryExecutor stack silently: a service on another image or
environment, a JWT secret or Fernet key that differs between services, a secret written into the
file, a variable .env.example does not document, a mount missing for Herald's code or SQL, a
start order without health conditions, and drift from the native setup (config/native.env).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest

from stack import (
    AIRFLOW_SERVICES,
    COMPOSE_FILE,
    ENV_EXAMPLE,
    INIT_SERVICE,
    REPO,
    Endpoint,
    StackError,
    common_environment,
    init_steps,
    interpolate,
    load_compose,
    native_environment,
    read_env_file,
    referenced_variables,
    volume_mounts,
)

NATIVE_ENV = REPO / "config" / "native.env"
POSTGRES_INIT = REPO / "config" / "postgres-init"
REQUIRED_SERVICES = {"postgres", "redis", *AIRFLOW_SERVICES, INIT_SERVICE}
SECRET_VARIABLES = {"AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CORE__FERNET_KEY"}
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
# Production: FAB's database users (HITL respondents matched by user name); `make up` keeps the SimpleAuthManager.
PRODUCTION_AUTH_MANAGER = "herald_airflow.auth_manager.HeraldFabAuthManager"
# Settings Herald's code and docs rely on, by name: the compose and the native setup must both set them.
HERALD_RELIED_NAMES = {
    "PYTHONPATH",
    "AIRFLOW_CONN_HERALD_DB",
    "HERALD_SETTINGS_FILE",
    "AIRFLOW__CORE__LOAD_EXAMPLES",
    "AIRFLOW__CORE__AUTH_MANAGER",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CORE__DAGS_FOLDER",
    "AIRFLOW__CORE__PLUGINS_FOLDER",
}
# Native-only names, each with the reason the containers do without it.
NATIVE_ONLY = {
    "AIRFLOW_HOME": "the image sets AIRFLOW_HOME=/opt/airflow",
    "AIRFLOW__API__HOST": "a container listens on its own network; compose publishes the port on 127.0.0.1 only",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "make up's SimpleAuthManager users; compose uses FAB's database "
                                                "users, created by airflow-init (`airflow users create`)",
}
# Names whose values differ on purpose between compose and the native setup, with the reason.
DIFFERING_ON_PURPOSE = {
    "AIRFLOW__CORE__AUTH_MANAGER": "production runs FAB with database users (HeraldFabAuthManager); "
                                   "make up keeps the SimpleAuthManager for a one-machine trial",
}
# Sized for a small machine in both setups (make up on two cores; the compose stack as shipped).
SIZING_NAMES = ("AIRFLOW__CORE__PARALLELISM", "AIRFLOW__API__WORKERS", "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES")
# Environment a single service may add to the common block.
SERVICE_EXTRA_ENV = {"airflow-worker": {"DUMB_INIT_SETSID"},
                     # The passwords of the users airflow-init creates: no other service sees them.
                     INIT_SERVICE: {"_AIRFLOW_ADMIN_PASSWORD", "_HERALD_ROUTER_PASSWORD"}}


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose()


@pytest.fixture(scope="module")
def compose_text() -> str:
    return COMPOSE_FILE.read_text(encoding="utf-8")


# The stores Airflow and Herald use; every other service runs Herald's Airflow image.
BACKING_SERVICES = ("postgres", "redis", "minio", "minio-init")


def _airflow_services(compose: dict) -> dict[str, dict]:
    return {name: svc for name, svc in compose["services"].items() if name not in BACKING_SERVICES}


def test_every_required_service_is_present(compose):
    assert REQUIRED_SERVICES <= set(compose["services"])
    assert {"minio", "minio-init"} <= set(compose["services"]), "the archive's S3-compatible store (PUB-4)"
    assert compose["services"]["flower"]["profiles"] == ["flower"], "flower only on demand"


def test_every_airflow_service_uses_the_common_image_and_environment(compose):
    common = compose["x-airflow-common"]
    assert common["build"] == "."
    env = common_environment(compose)
    for name, service in _airflow_services(compose).items():
        assert service["build"] == common["build"] and service["image"] == common["image"], name
        assert service["volumes"] == common["volumes"], name
        service_env = {k: str(v) for k, v in service["environment"].items()}
        assert {k: service_env.get(k) for k in env} == env, f"{name} changes the common environment"
        assert set(service_env) - set(env) <= SERVICE_EXTRA_ENV.get(name, set()), name


def test_core_settings_are_the_production_ones(compose):
    env = common_environment(compose)
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__CORE__AUTH_MANAGER"] == PRODUCTION_AUTH_MANAGER
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    assert env["PYTHONPATH"] == "/opt/airflow/include:/opt/airflow/plugins"
    assert env["HERALD_SETTINGS_FILE"] == "/opt/airflow/config/airflow_settings.yaml"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://") and "@redis:6379/" in env["AIRFLOW__CELERY__BROKER_URL"]
    assert "@postgres:5432/airflow" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")
    assert re.fullmatch(r"postgresql://herald:\$\{HERALD_DB_PASSWORD[^}]*\}@postgres:5432/herald",
                        env["AIRFLOW_CONN_HERALD_DB"])


def test_production_has_no_simple_auth_manager_settings(compose):
    """FAB's users live in the metadata database: no SimpleAuthManager user list, passwords file or volume."""
    env = common_environment(compose)
    assert not [name for name in env if name.startswith("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER")]
    assert "/opt/airflow/auth" not in volume_mounts(compose)


def _init_users(compose: dict) -> dict[str, dict[str, str]]:
    """``airflow users create`` steps of airflow-init: username -> its options."""
    users = {}
    for argv in init_steps(compose):
        if argv[:3] == ["airflow", "users", "create"]:
            options = dict(zip(argv[3::2], argv[4::2], strict=True))
            users[options["--username"]] = options
    return users


def test_init_creates_the_admin_and_the_routers_service_user(compose):
    """herald_approval_router calls the REST API as the herald_airflow_api connection's user: it must exist,
    with that connection's password and a role that may mark task instances skipped."""
    from stack import created_users, expand_init_argv, init_environment

    env = common_environment(compose)
    connection = json.loads(env["AIRFLOW_CONN_HERALD_AIRFLOW_API"])
    assert connection["host"] == "http://airflow-apiserver:8080"
    assert re.fullmatch(r"\$\{HERALD_ROUTER_PASSWORD:\?[^}]*\}", connection["password"]), "a secret from .env"
    users = _init_users(compose)
    assert {name: options["--role"] for name, options in users.items()} == {
        "admin": "Admin", connection["login"]: "Op"}
    steps = init_steps(compose)
    creates = [steps.index(["airflow", "users", "create", *[w for kv in u.items() for w in kv]]) for u in users.values()]
    assert min(creates) > steps.index(["airflow", "db", "migrate"]), "FAB's tables exist only after the migration"
    # The passwords reach the users as the container's shell expands them: from .env through airflow-init's
    # environment, never written into the command itself.
    variables = {"AIRFLOW_ADMIN_PASSWORD": "a-s3", "HERALD_ROUTER_PASSWORD": "r-s3"}
    init_env = {k: interpolate(v, variables) for k, v in init_environment(compose).items()}
    expanded = {}
    for argv in steps:
        expanded.update(created_users(expand_init_argv(argv, variables, init_env)))
    assert expanded == {"admin": "a-s3", connection["login"]: "r-s3"}
    # A password changed in .env reaches the router's existing user too (users create leaves it alone).
    reset = [a for a in steps if a[:3] == ["airflow", "users", "reset-password"]]
    assert [expand_init_argv(a, variables, init_env)[-1] for a in reset] == ["r-s3"]


def test_the_api_is_published_on_loopback_only(compose):
    assert compose["services"]["airflow-apiserver"]["ports"] == ["127.0.0.1:8080:8080"]


def test_jwt_secret_and_fernet_key_come_from_env_and_are_shared(compose):
    for name in SECRET_VARIABLES:
        seen = set()
        for service_name, service in _airflow_services(compose).items():
            value = str(service["environment"][name])
            assert re.fullmatch(r"\$\{" + name + r"(:\?[^}]*)?\}", value), f"{service_name}: {name}={value}"
            seen.add(value)
        assert len(seen) == 1, f"{name} differs between services: {seen}"


def test_no_literal_secret_in_compose(compose):
    environments = [common_environment(compose)] + [
        {k: str(v) for k, v in svc.get("environment", {}).items()} for svc in compose["services"].values()
    ]
    for env in environments:
        for key, value in env.items():
            if re.search(r"PASSWORD|SECRET|FERNET|TOKEN", key) and not key.endswith(("_FILE", "_USERS")):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+(:\?[^}]*)?\}", value), f"{key} holds a literal: {value}"
            # A password inside a URL must be a reference too (an empty one is allowed: Redis).
            for password in re.findall(r"://[^:/@]*:([^@]*)@", value):
                assert password == "" or re.fullmatch(r"\$\{[A-Z0-9_]+(:\?[^}]*)?\}", password), f"{key}: {value}"


def test_env_example_defines_every_variable_compose_uses(compose_text):
    documented = read_env_file(ENV_EXAMPLE)
    used = referenced_variables(compose_text)
    assert set(used) - set(documented) == set()
    assert set(documented) - set(used) == set(), ".env.example documents variables compose never reads"
    # Secrets are required (compose stops without them) and the example holds only placeholders.
    for name in SECRET_VARIABLES | {"POSTGRES_PASSWORD", "HERALD_DB_PASSWORD"}:
        assert used[name] == ":?", f"{name} should be ${{{name}:?...}} so compose refuses to start without it"
        assert documented[name].startswith("change-me"), f"{name} in .env.example must be a placeholder"


def test_compose_refuses_to_start_without_secrets(compose):
    raw = common_environment(compose)["AIRFLOW__API_AUTH__JWT_SECRET"]
    with pytest.raises(StackError, match="AIRFLOW__API_AUTH__JWT_SECRET"):
        interpolate(raw, {})
    assert interpolate(raw, {"AIRFLOW__API_AUTH__JWT_SECRET": "s3"}) == "s3"


def test_init_refuses_placeholder_secrets(compose):
    script = compose["services"][INIT_SERVICE]["command"][-1]
    assert "change-me" in script and "exit 1" in script


def test_the_env_file_make_generates_satisfies_compose(tmp_path, compose_text):
    """`make` writes .env for the native setup; compose reads the same file, so it must be enough."""
    from herald_dev.local_env import ensure_env_file

    target = tmp_path / ".env"
    ensure_env_file(target)
    generated = read_env_file(target)
    required = {name for name, op in referenced_variables(compose_text).items() if op in (":?", "?")}
    assert required - set(generated) == set()


def test_mounts_cover_herald_code_sql_config_and_logs(compose):
    mounts = volume_mounts(compose)
    for folder in ("dags", "plugins", "include", "sql", "config", "logs"):
        assert mounts[f"/opt/airflow/{folder}"] == REPO / folder, folder
    # herald.db finds its SQL at <include>/../sql: the two mounts must be siblings.
    assert Path("/opt/airflow/include").parent == Path("/opt/airflow/sql").parent
    postgres_volumes = compose["services"]["postgres"]["volumes"]
    assert "./config/postgres-init:/docker-entrypoint-initdb.d:ro" in postgres_volumes
    # The audit packs are written where a volume keeps them, not inside the image (the default root is the demo's).
    assert common_environment(compose)["HERALD_PACK_ROOT"] == "/opt/airflow/packs"
    assert mounts["/opt/airflow/packs"] == REPO / "packs"


def test_healthchecks_and_start_order_follow_the_official_stack(compose):
    services = compose["services"]
    for name in ("postgres", "redis", *AIRFLOW_SERVICES):
        assert services[name]["healthcheck"]["test"], f"{name} has no healthcheck"
    assert services["airflow-apiserver"]["healthcheck"]["test"][-1].endswith(":8080/api/v2/version")
    assert services["airflow-scheduler"]["healthcheck"]["test"][-1].endswith(":8974/health")
    assert common_environment(compose)["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"
    for name in (*AIRFLOW_SERVICES, INIT_SERVICE):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        if name != INIT_SERVICE:
            assert depends[INIT_SERVICE]["condition"] == "service_completed_successfully", name
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"


def test_init_runs_airflow_then_herald_migrations_then_settings(compose):
    steps = init_steps(compose)
    wanted = [["airflow", "db", "migrate"], ["python", "-m", "herald", "migrate"],
              ["python", "-m", "herald_airflow.apply_settings"]]
    assert [s for s in steps if s in wanted] == wanted
    assert "set -euo pipefail" in compose["services"][INIT_SERVICE]["command"][-1], "a failed step must fail init"


def test_dockerfile_base_image_matches_the_pinned_airflow():
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    base = re.search(r"^FROM apache/airflow:(\S+)-python(\S+)$", dockerfile, re.MULTILINE)
    pinned = re.search(r"^apache-airflow==(\S+)$", (REPO / "requirements.txt").read_text(), re.MULTILINE)
    assert base and pinned
    assert base.group(1) == pinned.group(1)
    assert base.group(2) == "3.11"
    assert re.search(r"pip install .*-r \S*requirements\.txt -c \S*constraints\.txt", dockerfile)


def test_the_lock_the_image_installs_with_agrees_with_requirements():
    """The Dockerfile installs requirements.txt under -c constraints.txt: a disagreeing pin breaks the build."""
    def pins(path: Path) -> dict[str, str]:
        found = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"^([A-Za-z0-9_.\[\]-]+)==(\S+)", line.strip())
            if match:
                found[re.sub(r"\[.*\]", "", match.group(1)).lower().replace("_", "-")] = match.group(2)
        return found

    required, locked = pins(REPO / "requirements.txt"), pins(REPO / "constraints.txt")
    assert {name: (version, locked.get(name)) for name, version in required.items() if locked.get(name) != version} == {}


def test_env_names_agree_with_the_native_setup(compose):
    if not NATIVE_ENV.exists():
        pytest.fail(f"{NATIVE_ENV} is missing: the native environment must be written down to compare")
    native = read_env_file(NATIVE_ENV)
    env = common_environment(compose)
    assert HERALD_RELIED_NAMES <= set(native), "native setup lacks names Herald relies on"
    assert HERALD_RELIED_NAMES <= set(env), "compose lacks names Herald relies on"
    assert set(native) - set(env) - set(NATIVE_ONLY) == set(), "names set natively but not in compose"


def test_paths_agree_with_the_native_setup(compose):
    """Map compose's container paths through its mounts: they must land where the native setup points."""
    native = read_env_file(NATIVE_ENV)
    env = common_environment(compose)
    host_of = {target: f"${{HERALD_HOME}}/{source.relative_to(REPO)}"
               for target, source in volume_mounts(compose).items() if isinstance(source, Path)}
    pattern = re.compile("|".join(re.escape(t) for t in sorted(host_of, key=len, reverse=True)))
    for name in ("PYTHONPATH", "HERALD_SETTINGS_FILE", "AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__CORE__PLUGINS_FOLDER"):
        assert pattern.sub(lambda m: host_of[m.group(0)], env[name]) == native[name], name
    for name in ("AIRFLOW__CORE__LOAD_EXAMPLES", "AIRFLOW__CORE__AUTH_MANAGER", "AIRFLOW__CORE__DEFAULT_TIMEZONE",
                 *SIZING_NAMES):
        if name not in DIFFERING_ON_PURPOSE:
            assert env[name] == native[name], name
    assert native["AIRFLOW__CORE__AUTH_MANAGER"] == SIMPLE_AUTH_MANAGER, DIFFERING_ON_PURPOSE
    assert native["AIRFLOW__API__HOST"] == "127.0.0.1", "make up listens on this machine only"


def test_the_whole_common_environment_has_a_native_counterpart(compose, tmp_path):
    """tests/stack.py runs this environment natively: every service URL and container path must map."""
    variables = {name: "x" for name in read_env_file(ENV_EXAMPLE)}
    endpoints = {
        "postgres": Endpoint("127.0.0.1", 5432, userinfo="postgres", paths={"/airflow": "/meta", "/herald": "/data"}),
        "redis": Endpoint("127.0.0.1", 6379, paths={"/0": "/7"}),
        "airflow-apiserver": Endpoint("127.0.0.1", 18080),
        "minio": Endpoint("127.0.0.1", 19000),
    }
    env = native_environment(compose, variables, endpoints, tmp_path)
    archive = json.loads(env["AIRFLOW_CONN_HERALD_ARCHIVE"])
    assert archive["extra"]["endpoint_url"] == "http://127.0.0.1:19000" and archive["conn_type"] == "aws"
    assert json.loads(env["AIRFLOW_CONN_HERALD_AIRFLOW_API"])["host"] == "http://127.0.0.1:18080"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == "postgresql+psycopg2://postgres@127.0.0.1:5432/meta"
    assert env["AIRFLOW_CONN_HERALD_DB"] == "postgresql://postgres@127.0.0.1:5432/data"
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://:@127.0.0.1:6379/7"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18080/execution/"
    assert env["PYTHONPATH"] == f"{REPO / 'include'}:{REPO / 'plugins'}"
    assert env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"] == str(tmp_path / "logs"), "logs go to scratch, not the repo"
    # Without a native endpoint for a service the translation refuses rather than leaving it behind.
    for service in ("redis", "minio"):
        with pytest.raises(StackError, match=service):
            native_environment(compose, variables, {k: v for k, v in endpoints.items() if k != service}, tmp_path)


@pytest.mark.pg
def test_postgres_init_script_creates_heralds_role_and_database():
    """Run the init script as the postgres image would, against the local server, under throw-away names."""
    import psycopg2

    from stack import PG_ADMIN_URL, drop_database

    tag = f"herald_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    role, database = f"{tag}_role", f"{tag}_initdb"
    admin = psycopg2.connect(PG_ADMIN_URL)
    admin.autocommit = True
    host, port, user = admin.info.host, admin.info.port, admin.info.user
    scripts = sorted(POSTGRES_INIT.glob("*.sh"))
    assert scripts and all(os.access(s, os.X_OK) for s in scripts), "the image only executes executable .sh files"
    try:
        for script in scripts:
            subprocess.run(
                [str(script)], check=True, capture_output=True, timeout=60,
                env={**os.environ, "PGHOST": host, "PGPORT": str(port), "POSTGRES_USER": user,
                     "POSTGRES_DB": admin.info.dbname, "HERALD_DB_PASSWORD": "it's-secret",
                     "HERALD_DB_USER": role, "HERALD_DB_NAME": database},
            )
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_userbyid(d.datdba), r.rolcanlogin, r.rolpassword IS NOT NULL, "
                "has_database_privilege('public', d.datname, 'CONNECT') "
                "FROM pg_database d JOIN pg_authid r ON r.rolname = %s WHERE d.datname = %s",
                (role, database),
            )
            assert cursor.fetchone() == (role, True, True, False)
    finally:
        drop_database(database)
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
            if cursor.fetchone():
                from psycopg2 import sql

                cursor.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
        admin.close()


def test_init_gives_the_router_the_password_of_its_connection(tmp_path):
    """service_user (SimpleAuthManager setups): the connection's password lands in the manager's file."""
    from herald_airflow.service_user import ServiceUserError, provision

    path = tmp_path / "auth" / "passwords.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"admin": "kept"}))
    connection = json.dumps({"conn_type": "http", "host": "http://api:8080", "login": "herald-router", "password": "s3"})
    assert provision(path, "admin:admin,herald-router:user", connection) == "herald-router"
    assert json.loads(path.read_text()) == {"admin": "kept", "herald-router": "s3"}
    assert provision(path, "admin:admin,herald-router:user", "http://herald-router:n%2Fw@api:8080") == "herald-router"
    assert json.loads(path.read_text())["herald-router"] == "n/w"
    with pytest.raises(ServiceUserError, match="role user, op or admin"):
        provision(path, "admin:admin,herald-router:viewer", connection)
    with pytest.raises(ServiceUserError, match="login and password"):
        provision(path, "admin:admin", json.dumps({"conn_type": "http", "host": "http://api:8080"}))
