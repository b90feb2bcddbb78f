"""Run Airflow's own CLI as a subprocess, logging to a file (demo, benchmarks and DAG-run tests share this)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def airflow_executable() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def run_airflow(args: list[str], log_path: Path, *, env: dict[str, str] | None = None, timeout: float = 900) -> int:
    """Run ``airflow <args>``; its output goes to ``log_path``. Returns the exit code."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        completed = subprocess.run(
            [airflow_executable(), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            timeout=timeout,
            check=False,
        )
    return completed.returncode


def dags_test(dag_id: str, logical_date: str, log_path: Path, *, env: dict[str, str] | None = None,
              conf: str | None = None) -> int:
    args = ["dags", "test", dag_id, logical_date]
    if conf:
        args += ["--conf", conf]
    return run_airflow(args, log_path, env=env)
