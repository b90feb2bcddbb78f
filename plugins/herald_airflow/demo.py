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
from herald.world.truth import compare_with_ground_truth

REPO = Path(__file__).resolve().parents[2]
DEMO_DIR = REPO / ".demo"
LOG_DIR = DEMO_DIR / "logs"

# The pipelines the demo runs, in order, with the rules whose planted violations each can find.
DEMO_DAGS: dict[str, set[str]] = {
    "herald_registry_check": {"ACC-1", "ACC-3"},
}
REPORT = DEMO_DIR / "findings.md"


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
    counts = summary.counts
    _say(f"world: {summary.accounts} accounts, {counts['posts']} posts, {counts['published_items']} published items "
         f"from {summary.history_from} to {summary.history_to}; planted violations: "
         + ", ".join(f"{rule}={n}" for rule, n in sorted(summary.ground_truth.items())))

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

    checks = compare_with_ground_truth(db, set().union(*(DEMO_DAGS[d] for d in DEMO_DAGS if d not in failed)))
    write_report(db, checks, REPORT)
    _say("planted violations (ground truth) against what the pipelines found:")
    for check in checks:
        verdict = "exact" if check.exact else f"MISSED {list(check.missed)} INVENTED {list(check.invented)}"
        print(f"    {check.rule_id:6} planted {check.planted:3}  found {check.found:3}  {verdict}")
    _say("where to look:")
    print(f"    findings report (Chinese):  {REPORT.relative_to(REPO)}")
    print(f"    Herald database (SQLite):   {db.url.removeprefix('sqlite:///')}")
    print(f"    DAG run logs:               {LOG_DIR.relative_to(REPO)}/")
    print("    the same world in the UI:   make up  ->  http://127.0.0.1:8080")
    if failed or not all(check.exact for check in checks):
        return 1
    return 0


def write_report(db: Database, checks, path: Path) -> None:
    """A short Chinese report of the open findings, for the admin center."""
    from herald.timeutil import format_shanghai

    findings = db.fetch("findings/open")
    lines = [f"# Herald 演示运行结果（生成于 {format_shanghai(now_utc())}）", "",
             "## 未关闭的发现", "", "| 规则 | 对象 | 期间 | 严重程度 | 说明 |", "|---|---|---|---|---|"]
    lines += [f"| {f['rule_id']} | {f['subject_id']} | {f['period']} | {f['severity']} | {f['summary']} |" for f in findings]
    lines += ["", "## 与演示数据预置违规的核对", "", "| 规则 | 预置 | 发现 | 结论 |", "|---|---|---|---|"]
    lines += [f"| {c.rule_id} | {c.planted} | {c.found} | {'完全一致' if c.exact else '不一致'} |" for c in checks]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
