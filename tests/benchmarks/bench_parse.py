"""DAG-parse cost: each DAG file parses in under 100 ms more than ``import airflow.sdk`` alone.

Measured in fresh interpreters so no import cache flatters a file: each repeat starts one
subprocess that times ``import airflow.sdk`` (the baseline), then forks once per DAG file; the
fork loads that file with importlib and times it. Every file therefore starts from the same
state, "airflow.sdk imported, nothing else" -- as in the dag-processor, which forks a parser per
file -- and pays for its own top-level imports and DAG construction only. The medians over the
repeats are reported; a file's extra is its median load time (file total = baseline + extra).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
BUDGET_EXTRA_SECONDS = 0.100
REPEATS = int(os.environ.get("HERALD_BENCH_PARSE_REPEATS", "5"))
RESULT_MARK = "BENCH_PARSE_RESULT "
# Measured beside Herald's files: what any TaskFlow DAG pays (Airflow resolves `dag` and `task`
# lazily, on first use, so that cost lands on the first DAG file and not on `import airflow.sdk`).
REFERENCE_NAME = "reference_minimal_taskflow_dag.py"
REFERENCE_DAG = """
import pendulum
from airflow.sdk import dag, task


@dag(dag_id="reference_minimal", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC"))
def reference_minimal():
    @task
    def only():
        return 1

    only()


reference_minimal()
"""


def _load_dag_file(path: Path) -> int:
    """Execute one DAG file as the dag-processor does; return how many DAGs it defined."""
    import importlib.util

    from airflow.sdk import DAG
    from airflow.sdk.definitions._internal.contextmanager import DagContext

    name = f"herald_bench_dag_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    DagContext.current_autoregister_module_name = name
    spec.loader.exec_module(module)
    dags = {id(o) for o in vars(module).values() if isinstance(o, DAG)}
    dags |= {id(dag) for dag, _ in DagContext.autoregistered_dags}
    return len(dags)


def _time_in_fork(path: Path) -> dict:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: load one file, report, exit without running the parent's cleanup
        os.close(read_end)
        try:
            start = time.perf_counter()
            dag_count = _load_dag_file(path)
            report = {"seconds": time.perf_counter() - start, "dags": dag_count}
        except BaseException as exc:  # a broken DAG file is a result, reported to the parent
            report = {"error": f"{type(exc).__name__}: {exc}"}
        os.write(write_end, json.dumps(report).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data) if data else {"error": "parser process died without a report"}


def measure_once(files: list[Path]) -> dict:
    """Runs inside a fresh interpreter: time ``import airflow.sdk``, then each file in its own fork."""
    start = time.perf_counter()
    import airflow.sdk  # noqa: F401  (the baseline being timed)

    baseline = time.perf_counter() - start
    return {"baseline": baseline, "files": {path.name: _time_in_fork(path) for path in files}}


def _run_repeat(files: list[Path], env: dict[str, str]) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--measure", *map(str, files)],
        env=env, capture_output=True, text=True, timeout=600,
    )
    for line in reversed(completed.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    raise RuntimeError(f"measuring subprocess failed ({completed.returncode}):\n{completed.stderr[-3000:]}")


def main() -> int:
    from common import emit

    files = sorted(DAGS.glob("*.py"))
    if not files:
        print(f"no DAG files in {DAGS}")
        return 1
    with tempfile.TemporaryDirectory(prefix="herald-bench-parse-") as home:
        reference = Path(home) / REFERENCE_NAME
        reference.write_text(REFERENCE_DAG, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(
            AIRFLOW_HOME=home,
            AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            PYTHONPATH=os.pathsep.join(str(REPO / p) for p in ("include", "plugins")),
        )
        repeats = [_run_repeat([*files, reference], env) for _ in range(REPEATS)]

    errors = {name: r["error"] for rep in repeats for name, r in rep["files"].items() if "error" in r}
    if errors:
        print(f"DAG files failed to load: {errors}")
        return 1
    baseline = statistics.median(rep["baseline"] for rep in repeats)
    extras = {f.name: statistics.median(rep["files"][f.name]["seconds"] for rep in repeats) for f in files}
    dag_counts = {f.name: repeats[0]["files"][f.name]["dags"] for f in files}
    reference_extra = statistics.median(rep["files"][REFERENCE_NAME]["seconds"] for rep in repeats)

    print(f"DAG-parse cost of {len(files)} file(s) in {DAGS.relative_to(REPO)}/, median of {REPEATS} fresh interpreters")
    runs = ", ".join(f"{rep['baseline'] * 1000:.0f}" for rep in repeats)
    print(f"baseline: import airflow.sdk = {baseline * 1000:.0f} ms (runs: {runs} ms)")
    for name, extra in sorted(extras.items(), key=lambda item: -item[1]):
        verdict = "ok" if extra < BUDGET_EXTRA_SECONDS else "OVER BUDGET"
        print(f"  {name:40} +{extra * 1000:7.1f} ms  ({dag_counts[name]} DAG)  {verdict}")
    print(f"  reference: a minimal TaskFlow DAG (one task)  +{reference_extra * 1000:7.1f} ms  "
          "(Airflow's own share of every file above)")
    worst_name = max(extras, key=extras.get)
    within = extras[worst_name] < BUDGET_EXTRA_SECONDS
    print(f"worst: {worst_name} +{extras[worst_name] * 1000:.1f} ms over the baseline; "
          f"budget +{BUDGET_EXTRA_SECONDS * 1000:.0f} ms: {'met' if within else 'NOT met'}")
    emit(
        "parse",
        "max_extra_parse_ms",
        baseline + extras[worst_name],
        baseline,
        "s",
        worst_file=worst_name,
        extra_ms={name: round(extra * 1000, 1) for name, extra in extras.items()},
        reference_minimal_dag_extra_ms=round(reference_extra * 1000, 1),
        budget_extra_ms=BUDGET_EXTRA_SECONDS * 1000,
        within_budget=within,
        repeats=REPEATS,
    )
    return 0


if __name__ == "__main__" and sys.argv[1:2] == ["--measure"]:
    print(RESULT_MARK + json.dumps(measure_once([Path(p) for p in sys.argv[2:]])))
