"""``make up`` (herald_airflow.standalone): Herald's DAGs are unpaused once Airflow has parsed them."""

from __future__ import annotations

import json
import os
import sys
import threading

from herald_airflow import standalone

# Stands in for the `airflow` executable: `dags unpause` finds no DAG until its second call, as when the
# dag-processor has not yet written them to the metadata database.
FAKE_AIRFLOW = """#!{python}
import json, pathlib, sys
calls = pathlib.Path({calls!r})
seen = json.loads(calls.read_text()) if calls.exists() else []
seen.append(sys.argv[1:])
calls.write_text(json.dumps(seen))
if len(seen) < 2:
    print("No paused DAGs were found", file=sys.stderr)
    sys.exit(1)
print("dag_id              | is_paused\\nherald_cadence_scan | False")
"""


def _fake_airflow(tmp_path, monkeypatch):
    calls = tmp_path / "calls.json"
    script = tmp_path / "airflow"
    script.write_text(FAKE_AIRFLOW.format(python=sys.executable, calls=str(calls)))
    script.chmod(0o755)
    monkeypatch.setattr(standalone, "airflow_executable", lambda: str(script))
    return calls


def test_dags_are_unpaused_once_parsed(tmp_path, monkeypatch):
    calls = _fake_airflow(tmp_path, monkeypatch)
    assert standalone.unpause_when_parsed(dict(os.environ), threading.Event(), attempts=5, interval=0.01)
    seen = json.loads(calls.read_text())
    assert len(seen) == 2
    assert seen[-1] == ["dags", "unpause", "--treat-dag-id-as-regex", "-y", "^herald_"]


def test_unpausing_stops_when_make_up_stops(tmp_path, monkeypatch):
    _fake_airflow(tmp_path, monkeypatch)
    stop = threading.Event()
    stop.set()
    assert standalone.unpause_when_parsed(dict(os.environ), stop, attempts=5, interval=0.01) is False
