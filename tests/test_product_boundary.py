"""Product and tooling apart: an Airflow process loads Herald's plugin, DAGs and modules and never the tooling.

The tooling (``dev/``: demo world, fake platforms, runners) is put on the import path here on purpose, so the test
shows that nothing in the product reaches for it, not merely that it could not be found.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PRODUCT_FOLDERS = ("include", "plugins", "dags")
TOOLING_PACKAGES = ("herald_dev",)

_LOAD_LIKE_AN_AIRFLOW_PROCESS = r"""
import importlib, json, pkgutil, sys
from airflow import plugins_manager
plugins_manager.ensure_plugins_loaded()
loaded, plugin_errors = plugins_manager._get_plugins()
plugins = [p.name for p in loaded]
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
import herald, herald_airflow
for package in (herald, herald_airflow):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
files = {}
for name, module in list(sys.modules.items()):
    path = getattr(module, "__file__", None) or ""
    files.setdefault(path, []).append(name)
twice = {p: n for p, n in files.items() if p and len(n) > 1}
print(json.dumps({"modules": sorted(sys.modules), "dags": sorted(bag.dags), "errors": list(bag.import_errors),
                  "plugins": plugins, "plugin_errors": plugin_errors, "loaded_twice": twice}))
"""


@pytest.fixture(scope="module")
def airflow_process_modules() -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(REPO / p) for p in ("include", "plugins", "dev")),
           "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"), "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags")}
    done = subprocess.run([sys.executable, "-c", _LOAD_LIKE_AN_AIRFLOW_PROCESS, str(REPO / "dags")], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.integrity
def test_an_airflow_process_imports_no_tooling(airflow_process_modules):
    assert airflow_process_modules["errors"] == []
    assert airflow_process_modules["dags"], "no DAG was loaded"
    tooling = [m for m in airflow_process_modules["modules"] if m.split(".")[0] in TOOLING_PACKAGES]
    assert tooling == [], f"an Airflow process imported the tooling: {tooling}"


@pytest.mark.integrity
def test_the_plugin_folder_loads_only_the_plugin(airflow_process_modules):
    """Airflow imports each .py under plugins/ as a top-level module: only herald_plugin.py may be one."""
    modules = set(airflow_process_modules["modules"])
    stray = sorted(p.stem for p in (REPO / "plugins" / "herald_airflow").glob("*.py") if p.stem in modules)
    assert stray == [], f"plugins/herald_airflow modules loaded under their bare names: {stray}"
    assert "herald_plugin" in modules
    assert "herald" in airflow_process_modules["plugins"]
    assert airflow_process_modules["plugin_errors"] == {}
    herald_twice = {path: names for path, names in airflow_process_modules["loaded_twice"].items()
                    if any(path.startswith(str(REPO / folder)) for folder in PRODUCT_FOLDERS)}
    assert herald_twice == {}, f"modules loaded twice under two names: {herald_twice}"


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_product_module_imports_the_tooling():
    offenders = [str(path.relative_to(REPO)) for folder in PRODUCT_FOLDERS
                 for path in (REPO / folder).rglob("*.py")
                 if _imported_packages(path) & set(TOOLING_PACKAGES)]
    assert offenders == []


def test_the_product_holds_no_tooling_sql():
    """The demo world's and the benchmarks' statements live under dev/sql/, not in the product's sql/."""
    assert not (REPO / "sql" / "world").exists()
    assert not list((REPO / "sql").rglob("bench_*.sql"))
    migrations = "\n".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "sql" / "migrations").glob("*.sql")))
    assert "DROP TABLE IF EXISTS world_ground_truth" in migrations  # the demo's table moved out of the schema


def test_the_image_installs_only_the_product():
    dockerignore = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert "dev" in dockerignore and "tests" in dockerignore
    compose = (REPO / "docker-compose.yaml").read_text(encoding="utf-8")
    assert "./dev:" not in compose and "/dev:" not in compose.replace("/dev/null", "")
