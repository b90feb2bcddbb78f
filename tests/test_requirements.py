"""Honest dependencies: requirements.txt says what the product imports, requirements-test.txt what the tooling adds.

Every third-party import of the product (include/, plugins/, dags/) is declared in requirements.txt, and every line
of requirements.txt is either imported by the product or listed below with the reason it is needed unimported.
The tooling (dev/, tests/) may also use requirements-test.txt, under the same two rules.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PRODUCT = ("include", "plugins", "dags")
TOOLING = ("dev", "tests")
OWN_PACKAGES = {"herald", "herald_airflow", "herald_dev", "herald_plugin", "__future__"}

# Needed at run time without an import statement naming them, each with its reason.
UNIMPORTED_RUNTIME = {
    "apache-airflow-providers-postgres": "herald_db / Airflow connections of type postgres",
    "apache-airflow-providers-sqlite": "herald_db as a SQLite connection (make demo)",
    "apache-airflow-providers-celery": "the CeleryExecutor of the production stack",
    "apache-airflow-providers-redis": "Redis as the Celery broker",
    "celery": "pinned below 5.7 for the celery provider",
    "psycopg2-binary": "SQLAlchemy's driver for postgresql:// URLs",
}
UNIMPORTED_TOOLING = {
    "pytest-timeout": "a pytest plugin (pytest.ini timeout)",
    "ruff": "the linter make test runs",
}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(path: Path) -> set[str]:
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(_normalise(re.split(r"[\[=<>!~ ;]", line, maxsplit=1)[0]))
    return names


def imported_modules(folders: tuple[str, ...]) -> dict[str, set[str]]:
    """Dotted module names imported (absolutely) by the Python files under ``folders``, with the files."""
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    found.setdefault(module, set()).add(str(path.relative_to(REPO)))
    return found


def distributions_of(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    """Distribution names behind the third-party modules (Airflow providers by their subpackage)."""
    local = {p.stem for folder in TOOLING for p in (REPO / folder).rglob("*.py")}
    by_module = packages_distributions()
    result: dict[str, set[str]] = {}
    for module, files in modules.items():
        top = module.split(".")[0]
        if top in OWN_PACKAGES or top in sys.stdlib_module_names or top in local:
            continue
        if top == "airflow":
            parts = module.split(".")
            names = {f"apache-airflow-providers-{parts[2]}"} if parts[1:2] == ["providers"] and len(parts) > 2 else {"apache-airflow"}
        else:
            assert top in by_module, f"{top} (imported by {sorted(files)[0]}) is not installed"
            names = set(by_module[top])
        for name in names:
            result.setdefault(_normalise(name), set()).update(files)
    return result


def test_every_product_import_is_declared():
    runtime = declared(REPO / "requirements.txt")
    used = distributions_of(imported_modules(PRODUCT))
    undeclared = {name: sorted(files)[:3] for name, files in used.items() if name not in runtime}
    assert undeclared == {}, f"imported by the product but not in requirements.txt: {undeclared}"


def test_every_runtime_requirement_is_imported_or_explained():
    used = set(distributions_of(imported_modules(PRODUCT)))
    unexplained = declared(REPO / "requirements.txt") - used - set(UNIMPORTED_RUNTIME)
    assert unexplained == set(), f"in requirements.txt, imported by nothing in the product: {sorted(unexplained)}"
    stale = set(UNIMPORTED_RUNTIME) & used
    assert stale == set(), f"imported after all; drop them from UNIMPORTED_RUNTIME: {sorted(stale)}"


def test_every_tooling_import_is_declared_and_every_tool_used():
    runtime, tooling = declared(REPO / "requirements.txt"), declared(REPO / "requirements-test.txt")
    used = distributions_of(imported_modules(TOOLING))
    undeclared = {name: sorted(files)[:3] for name, files in used.items() if name not in runtime | tooling}
    assert undeclared == {}, f"imported by dev/ or tests/ but declared nowhere: {undeclared}"
    unexplained = tooling - set(used) - set(UNIMPORTED_TOOLING) - {"moto"}  # moto[server]: imported as moto
    assert unexplained == set(), f"in requirements-test.txt, used by nothing: {sorted(unexplained)}"
    assert runtime & tooling == set(), "a requirement is declared twice"


def test_the_test_reads_the_files_it_means():
    """The parser sees extras and pins as the package name (a wrong parse would make the checks above vacuous)."""
    runtime = declared(REPO / "requirements.txt")
    assert {"apache-airflow", "sqlalchemy", "jinja2", "psycopg2-binary"} <= runtime
    assert "duckdb" not in runtime
    assert "moto" in declared(REPO / "requirements-test.txt")
