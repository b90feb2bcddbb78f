"""The demo world's planted violations are found exactly, and the bulk findings writer matches the shared one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from herald.cadence import standing, weekly
from herald.cadence.scan import scan_standing, scan_weekly
from herald.cadence.window import ScanWindow, week_of_day
from herald.findings import Finding, Scope, record_findings, set_finding_state
from herald.ledger import TaskRun
from herald.timeutil import shanghai_midnight_utc

CADENCE_RULES = (weekly.RULE_ID, *standing.DAY_RULES, *standing.WEEK_RULES)


@pytest.mark.slow
def test_the_demo_world_ground_truth_is_found_exactly(pg_db):
    from herald_dev.world import build_world

    as_of_day = date(2026, 11, 21)
    summary = build_world(pg_db, as_of=as_of_day)
    as_of = shanghai_midnight_utc(as_of_day)
    window = ScanWindow.complete_weeks(week_of_day(summary.history_from), week_of_day(as_of_day), as_of)
    run = TaskRun.manual("cadence_world", as_of)
    scan_weekly(pg_db, run, window, now=as_of)
    scan_standing(pg_db, run, window, now=as_of)
    with pg_db.transaction() as tx:
        found = {(r["rule_id"], r["subject_id"], r["period"]) for r in tx.fetch("findings/open")
                 if r["rule_id"] in CADENCE_RULES}
        truth = {(r["rule_id"], r["subject_id"], r["period"]) for r in tx.fetch("world/ground_truth")
                 if r["rule_id"] in CADENCE_RULES}
    assert {rule for rule, _, _ in truth} == set(CADENCE_RULES)
    assert found - truth == set(), "false positives"
    assert truth - found == set(), "missed violations"


def _findings(n: int) -> list[Finding]:
    return [Finding("PUB-5", "account", f"a{i}", "2025-W10", "medium", f"账号a{i}未更新", {"n": i}) for i in range(n)]


def _rows(db) -> list[tuple]:
    with db.transaction() as tx:
        return sorted((r["finding_id"], r["state"], r["summary"], r["evidence"], r["last_detected_at"], r["resolved_at"])
                      for r in tx.fetch("findings/all"))


def test_the_staged_writer_leaves_the_same_rows_on_both_engines(pg_db, sqlite_db):
    scope = Scope(("PUB-5",), "2025-W10", "2025-W10")
    t0 = datetime(2025, 3, 17, tzinfo=UTC)
    results = []
    for db in (pg_db, sqlite_db):
        with db.transaction() as tx:
            first = record_findings(tx, _findings(3) + _findings(1), scope=scope, detected_by="t", now=t0)
        with db.transaction() as tx:
            set_finding_state(tx, _findings(3)[0].finding_id, "acknowledged", now=t0)
            set_finding_state(tx, _findings(3)[1].finding_id, "resolved", now=t0)
        with db.transaction() as tx:  # a1 seen again reopens, a0 stays acknowledged, a2 is no longer seen
            second = record_findings(tx, _findings(2), scope=scope, detected_by="t", now=t0 + timedelta(days=1))
        results.append((first, second, _rows(db)))
    assert results[0] == results[1]
    states = [row[1] for row in results[1][2]]
    assert sorted(states) == ["acknowledged", "open", "resolved"]
