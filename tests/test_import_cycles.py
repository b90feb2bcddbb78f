"""Every module of the domain package imports on its own, without Airflow, and no two modules import each other.

Each module is imported alone in a fresh interpreter (``PYTHONPATH=include``), so a module that only
imports because some other module happened to be imported first, or that sits on an import cycle
broken only by import order, fails here by name. The same interpreter then says whether Airflow
was imported along the way: the domain package is plain Python (Airflow glue lives in
plugins/herald_airflow), so no Herald module may import Airflow at module level, directly or through
another module. The cycle check reads the source and counts every import, also those inside
functions: a cycle that today only closes at call time still ties the modules together.
"""

from __future__ import annotations

import ast
import graphlib
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
INCLUDE = REPO / "include"
EXCLUDED = ("herald.world", "herald.fakeplatforms")  # development-only, moving out of the package

PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m == "airflow" or m.startswith("airflow."))))
"""


def _modules() -> dict[str, Path]:
    """{dotted name: file} of every module under include/herald, packages by their ``__init__``."""
    modules = {}
    for path in sorted((INCLUDE / "herald").rglob("*.py")):
        parts = path.relative_to(INCLUDE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if not any(name == e or name.startswith(e + ".") for e in EXCLUDED):
            modules[name] = path
    return modules


MODULES = _modules()


def _import_alone(module: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(INCLUDE))
    return subprocess.run([sys.executable, "-c", PROBE, module], cwd=INCLUDE, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def imported_alone() -> dict[str, subprocess.CompletedProcess]:
    """Each module imported in its own interpreter, a few interpreters at a time."""
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return dict(zip(MODULES, pool.map(_import_alone, MODULES), strict=True))


def test_the_package_is_found_and_the_moved_out_parts_are_left_out():
    assert {"herald", "herald.dispatch.dispatcher", "herald.dispatch.channels.routing", "herald.posts.queue"} <= set(
        MODULES)
    assert not any(m.startswith(EXCLUDED) for m in MODULES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_imports_on_its_own_without_airflow(module, imported_alone):
    result = imported_alone[module]
    assert result.returncode == 0, f"`import {module}` failed in a fresh interpreter:\n{result.stderr}"
    airflow = json.loads(result.stdout.strip().splitlines()[-1])
    assert airflow == [], f"importing {module} imports Airflow ({', '.join(airflow[:5])} ...)"


def _imports_of(module: str, path: Path) -> set[str]:
    """The Herald modules ``module`` imports anywhere in its source (module level or inside functions)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from a import b``: the module a.b if there is one, else a name defined in a.
            found.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names)
    return {name for name in found if name in MODULES and name != module}


def test_no_import_cycle_in_the_domain_package():
    graph = {module: _imports_of(module, path) for module, path in MODULES.items()}
    assert graph["herald.dispatch.dispatcher"] >= {"herald.dispatch.channels.routing", "herald.posts.events"}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as cycle:
        pytest.fail("import cycle: " + " -> ".join(cycle.args[1]))
