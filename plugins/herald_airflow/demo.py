"""``make demo``: build the demo world on embedded defaults and run every pipeline on it.

Herald's database is the SQLite file named by ``AIRFLOW_CONN_HERALD_DB`` (config/native.env);
Airflow's metadata is SQLite under ``.airflow/``. Each DAG runs once through
``airflow dags test``; its log goes to ``.demo/logs/``. At the end the demo says where to look.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from herald.connection_url import herald_db_url
from herald.db import Database
from herald.migrate import migrate
from herald.timeutil import SHANGHAI, now_utc

REPO = Path(__file__).resolve().parents[2]
DEMO_DIR = REPO / ".demo"
LOG_DIR = DEMO_DIR / "logs"

# The pipelines the demo runs, in order; later issues append theirs.
DEMO_DAGS = ("herald_registry_check",)


def _say(message: str) -> None:
    print(f"[demo] {message}", flush=True)


def main() -> int:
    from herald.world import build_world
    from herald_airflow.airflow_cli import dags_test

    DEMO_DIR.mkdir(exist_ok=True)
    db = Database(herald_db_url())
    for migration in migrate(db):
        _say(f"Herald schema migration {migration.version:04d}_{migration.name} applied")
    as_of = datetime.now(SHANGHAI).date()
    _say(f"building the demo world as of {as_of} (Asia/Shanghai) ...")
    summary = build_world(db, as_of=as_of, replace=True)
    _say(f"world: {summary}")

    logical_date = now_utc().replace(microsecond=0).isoformat()
    failed = []
    for dag_id in DEMO_DAGS:
        log = LOG_DIR / f"{dag_id}.log"
        _say(f"running {dag_id} (airflow dags test) ... log: {log.relative_to(REPO)}")
        code = dags_test(dag_id, logical_date, log)
        if code != 0:
            failed.append(dag_id)
            _say(f"{dag_id} FAILED (exit {code}); last lines of its log:")
            print("\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]))

    findings = db.fetch("findings/open")
    by_rule: dict[str, int] = {}
    for row in findings:
        by_rule[row["rule_id"]] = by_rule.get(row["rule_id"], 0) + 1
    _say("open findings by rule: " + (", ".join(f"{k}={v}" for k, v in sorted(by_rule.items())) or "none"))
    for row in findings[:10]:
        print(f"    {row['rule_id']:6} {row['subject_id']:20} {row['summary']}")
    _say("where to look:")
    print(f"    Herald database (SQLite): {db.url.removeprefix('sqlite:///')}")
    print("    findings:                 .venv/bin/python -m herald findings   (after `set -a; . config/native.env`), or make up")
    print(f"    DAG run logs:             {LOG_DIR.relative_to(REPO)}/")
    print("    Airflow UI on this world: make up  ->  http://127.0.0.1:8080 (admin / see .airflow/home)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
