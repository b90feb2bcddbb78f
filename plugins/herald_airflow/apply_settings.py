"""Apply ``config/airflow_settings.yaml`` (pools, variables, connections) to Airflow's metadata DB.

Run as ``python -m herald_airflow.apply_settings [FILE]``; FILE defaults to
``$HERALD_SETTINGS_FILE`` or the repository's ``config/airflow_settings.yaml``. Idempotent:
existing objects are updated in place. Runs outside tasks (setup time), where Airflow's ORM is
allowed.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "config" / "airflow_settings.yaml"
_ENV_REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)\}")


class SettingsError(Exception):
    pass


def _expand(value: Any, where: str) -> Any:
    if not isinstance(value, str):
        return value

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise SettingsError(f"{where}: environment variable {name} is not set")
        return os.environ[name]

    return _ENV_REFERENCE.sub(replace, value)


def load_settings(path: Path) -> dict[str, list[dict[str, Any]]]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path}: not valid YAML: {exc}") from exc
    airflow = document.get("airflow")
    if not isinstance(airflow, dict):
        raise SettingsError(f"{path}: top-level key 'airflow' with pools/variables/connections is required")
    unknown = set(airflow) - {"pools", "variables", "connections"}
    if unknown:
        raise SettingsError(f"{path}: unknown section(s) {sorted(unknown)} under 'airflow'")
    settings = {section: list(airflow.get(section) or []) for section in ("pools", "variables", "connections")}
    for index, pool in enumerate(settings["pools"]):
        for key in ("pool_name", "pool_slot"):
            if key not in pool:
                raise SettingsError(f"{path}: airflow.pools[{index}].{key} is required")
    for index, variable in enumerate(settings["variables"]):
        for key in ("variable_name", "variable_value"):
            if key not in variable:
                raise SettingsError(f"{path}: airflow.variables[{index}].{key} is required")
    for index, connection in enumerate(settings["connections"]):
        for key in ("conn_id", "conn_type"):
            if key not in connection:
                raise SettingsError(f"{path}: airflow.connections[{index}].{key} is required")
    return settings


def pool_names(path: Path = DEFAULT_FILE) -> set[str]:
    return {pool["pool_name"] for pool in load_settings(path)["pools"]}


def apply(path: Path) -> dict[str, int]:
    settings = load_settings(path)
    from airflow.models import Connection, Pool, Variable
    from airflow.utils.session import create_session

    for pool in settings["pools"]:
        Pool.create_or_update_pool(
            name=pool["pool_name"],
            slots=int(pool["pool_slot"]),
            description=pool.get("pool_description", ""),
            include_deferred=bool(pool.get("include_deferred", False)),
        )
    for variable in settings["variables"]:
        Variable.set(variable["variable_name"], _expand(variable["variable_value"], variable["variable_name"]))
    with create_session() as session:
        for spec in settings["connections"]:
            where = f"connection {spec['conn_id']}"
            fields = {
                "conn_type": spec["conn_type"],
                "host": _expand(spec.get("conn_host"), where),
                "login": _expand(spec.get("conn_login"), where),
                "password": _expand(spec.get("conn_password"), where),
                "port": spec.get("conn_port"),
                "schema": _expand(spec.get("conn_schema"), where),
                "extra": _expand(spec.get("conn_extra"), where),
            }
            existing = session.query(Connection).filter(Connection.conn_id == spec["conn_id"]).one_or_none()
            if existing is None:
                session.add(Connection(conn_id=spec["conn_id"], **fields))
            else:
                for key, value in fields.items():
                    setattr(existing, key, value)
    return {section: len(items) for section, items in settings.items()}


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else Path(os.environ.get("HERALD_SETTINGS_FILE", DEFAULT_FILE))
    try:
        counts = apply(path)
    except SettingsError as exc:
        print(f"apply_settings: {exc}", file=sys.stderr)
        return 2
    print(f"applied {path}: " + ", ".join(f"{n} {section}" for section, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
