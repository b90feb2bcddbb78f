"""Scratch native stacks for tests: docker-compose.yaml's Airflow configuration as processes of this machine.

The runner itself is tooling (:mod:`herald_dev.stack`, also behind ``make stack``): reading the compose
file, the native environment, the init steps, starting and stopping process groups, the REST client.
This module keeps what only tests need: :func:`native_stack`, a stack on fresh databases, a scratch home
and a scratch object store, removed again afterwards (the names below are re-exported for the tests).

Usage::

    with native_stack("parse") as stack:
        client = stack.client()
        run_id = client.trigger("herald_registry_check")
        client.wait_for_run("herald_registry_check", run_id)
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from herald_dev.stack import (  # noqa: F401  (re-exported for the tests)
    AIRFLOW_SERVICES,
    COMPOSE_FILE,
    DEFAULT_REDIS_DB,
    ENV_EXAMPLE,
    INIT_SERVICE,
    PG_ADMIN_URL,
    REDIS_HOST,
    REDIS_PORT,
    REPO,
    SCRATCH_MOUNTS,
    ApiClient,
    Endpoint,
    NativeStack,
    StackError,
    common_environment,
    create_database,
    created_users,
    database_exists,
    drop_database,
    expand_init_argv,
    flush_redis_db,
    free_port,
    generated_secrets,
    init_environment,
    init_steps,
    interpolate,
    load_compose,
    native_command,
    native_environment,
    port_is_listening,
    postgres_endpoint,
    read_env_file,
    redis_key_count,
    referenced_variables,
    service_command,
    stack_environment,
    stop_process_groups,
    volume_mounts,
)


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
    api_port = free_port()
    from moto.server import ThreadedMotoServer

    object_store = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port())  # stands in for MinIO
    object_store.start()
    endpoints = {
        "postgres": postgres_endpoint(meta_db, herald_db),
        "redis": Endpoint(REDIS_HOST, REDIS_PORT, paths={"/0": f"/{redis_db}"}),
        "airflow-apiserver": Endpoint("127.0.0.1", api_port),
        "minio": Endpoint("127.0.0.1", object_store._server.server_port),
    }
    workdir = Path(tempfile.mkdtemp(prefix=f"herald-stack-{name}-"))
    variables = generated_secrets(list(read_env_file(ENV_EXAMPLE)))
    env = stack_environment(compose, variables, endpoints, workdir, api_port, compose_file.parent)
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
