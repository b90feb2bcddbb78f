"""DAG integrity: every DAG file imports cleanly and follows the house rules."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integrity

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}, "\n".join(f"{f}: {e}" for f, e in dagbag.import_errors.items())


def test_every_dag_file_defines_a_herald_dag(dagbag):
    files = {str(p) for p in (REPO / "dags").glob("*.py") if not p.name.startswith("_")}
    seen = {dag.fileloc for dag in dagbag.dags.values()}
    assert files <= seen, f"DAG files without a DAG: {files - seen}"
    assert all(dag_id.startswith("herald_") for dag_id in dagbag.dags)


def test_tags_owner_docs_and_schedule_timezone(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert "herald" in dag.tags, dag_id
        assert dag.doc_md, f"{dag_id}: doc_md missing"
        assert str(dag.timezone) in ("Asia/Shanghai", "UTC", "Timezone('UTC')"), dag_id
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", f"{dag_id}.{task.task_id}: set an owner"


# Tasks whose only job is to fail the run loudly with what was already stored: a retry would repeat the same alarm
# later, never change it.
ALARMS = {("herald_dispatch", "failed_posts")}


def test_idempotent_tasks_retry(dagbag):
    """Herald tasks are transactions keyed by their interval, so every one may retry."""
    for dag_id, dag in dagbag.dags.items():
        for task in dag.tasks:
            if task.task_type in ("EmptyOperator",) or (dag_id, task.task_id) in ALARMS:
                continue
            assert task.retries >= 1, f"{dag_id}.{task.task_id}: idempotent tasks should retry"


def test_every_pool_used_exists_in_the_settings_file(dagbag):
    from herald_airflow.apply_settings import pool_names

    known = pool_names() | {"default_pool"}
    for dag_id, dag in dagbag.dags.items():
        for task in dag.tasks:
            assert task.pool in known, f"{dag_id}.{task.task_id}: pool {task.pool!r} is not in config/airflow_settings.yaml"


def test_every_pool_in_the_settings_file_is_used(dagbag):
    """A pool nothing runs in promises throttling that does not happen."""
    from herald_airflow.apply_settings import pool_names

    used = {task.pool for dag in dagbag.dags.values() for task in dag.tasks}
    assert pool_names() - used == set()


def test_dag_files_do_no_work_at_import():
    """Top-level DAG code stays cheap: no herald domain, pandas, GX or DB imports at module level."""
    forbidden = ("import pandas", "import great_expectations", "from herald.", "import herald", "Variable.get", "import requests")
    for path in (REPO / "dags").glob("*.py"):
        top_level = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line[0].isspace()]
        for line in top_level:
            assert not any(bad in line for bad in forbidden), f"{path.name}: top-level `{line}`"


def test_the_cadence_scan_runs_every_day_at_seven_in_shanghai(dagbag):
    import pendulum
    from airflow.timetables.base import DataInterval, TimeRestriction
    from airflow.timetables.interval import CronDataIntervalTimetable

    declared = dagbag.dags["herald_cadence_scan"].timetable  # the DAG file's definition; the scheduler's own:
    timetable = CronDataIntervalTimetable(declared.expression, declared.timezone)
    restriction = TimeRestriction(earliest=pendulum.datetime(2025, 1, 1, tz="UTC"), latest=None, catchup=True)
    first = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    second = timetable.next_dagrun_info(
        last_automated_data_interval=DataInterval(first.data_interval.start, first.data_interval.end),
        restriction=restriction)
    runs = [info.run_after.in_timezone("Asia/Shanghai") for info in (first, second)]
    assert [(r.hour, r.minute) for r in runs] == [(7, 0), (7, 0)]
    assert (runs[1] - runs[0]).in_hours() == 24
