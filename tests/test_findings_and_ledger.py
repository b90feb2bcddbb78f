"""Findings are keyed by rule, subject and period; the ledger commits with the task's writes."""

from datetime import UTC, datetime, timedelta

import pytest

from herald.findings import Finding, Scope, record_findings, set_finding_state
from herald.jobs import run_recorded
from herald.ledger import TaskRun

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
SCOPE = Scope(rule_ids=("PUB-5",), period_from="2026-W01", period_to="2026-W09")


def _missed(account: str, week: str) -> Finding:
    return Finding("PUB-5", "account", account, week, "medium", f"账号{account}在{week}未发布信息", {"week": week})


def _states(db) -> dict:
    return {(r["subject_id"], r["period"]): r["state"] for r in db.fetch("findings/all")}


@pytest.mark.pg
def test_rerun_updates_never_duplicates_and_resolves_what_is_gone(any_db):
    with any_db.transaction() as tx:
        record_findings(tx, [_missed("a1", "2026-W03"), _missed("a2", "2026-W05")], scope=SCOPE, detected_by="t", now=T0)
    with any_db.transaction() as tx:  # same scan again, plus one duplicate in the same batch
        counts = record_findings(
            tx, [_missed("a1", "2026-W03"), _missed("a1", "2026-W03"), _missed("a2", "2026-W05")],
            scope=SCOPE, detected_by="t", now=T0 + timedelta(hours=1),
        )
    assert counts["reported"] == 2 and counts["resolved"] == 0
    assert len(any_db.fetch("findings/all")) == 2
    # a late log arrives for a2's week: the rescan no longer sees it, so it is resolved
    with any_db.transaction() as tx:
        counts = record_findings(tx, [_missed("a1", "2026-W03")], scope=SCOPE, detected_by="t", now=T0 + timedelta(hours=2))
    assert counts["resolved"] == 1
    assert _states(any_db) == {("a1", "2026-W03"): "open", ("a2", "2026-W05"): "resolved"}


def test_findings_outside_the_scanned_periods_are_left_alone(sqlite_db):
    with sqlite_db.transaction() as tx:
        record_findings(tx, [_missed("a1", "2026-W03")], scope=SCOPE, detected_by="t", now=T0)
    narrow = Scope(rule_ids=("PUB-5",), period_from="2026-W08", period_to="2026-W09")
    with sqlite_db.transaction() as tx:
        record_findings(tx, [], scope=narrow, detected_by="t", now=T0 + timedelta(hours=1))
    assert _states(sqlite_db) == {("a1", "2026-W03"): "open"}


def test_acknowledged_stays_acknowledged_and_resolved_reopens(sqlite_db):
    finding = _missed("a1", "2026-W03")
    with sqlite_db.transaction() as tx:
        record_findings(tx, [finding], scope=SCOPE, detected_by="t", now=T0)
        set_finding_state(tx, finding.finding_id, "acknowledged", now=T0)
        record_findings(tx, [finding], scope=SCOPE, detected_by="t", now=T0 + timedelta(hours=1))
    assert _states(sqlite_db)[("a1", "2026-W03")] == "acknowledged"
    with sqlite_db.transaction() as tx:
        set_finding_state(tx, finding.finding_id, "resolved", now=T0 + timedelta(hours=2))
        record_findings(tx, [finding], scope=SCOPE, detected_by="t", now=T0 + timedelta(hours=3))
    row = sqlite_db.fetch("findings/all")[0]
    assert row["state"] == "open" and row["resolved_at"] is None
    with pytest.raises(LookupError, match="finding_id"):
        with sqlite_db.transaction() as tx:
            set_finding_state(tx, "F-missing", "resolved", now=T0)


def test_a_finding_outside_the_scope_rules_is_refused(sqlite_db):
    other = Finding("CON-9", "account", "a1", "2026-01-05", "low", "一天两次群发", {})
    with pytest.raises(ValueError, match="outside the scan scope"):
        with sqlite_db.transaction() as tx:
            record_findings(tx, [other], scope=SCOPE, detected_by="t", now=T0)


def test_bad_finding_fields_are_named():
    with pytest.raises(ValueError, match="finding.severity"):
        Finding("PUB-5", "account", "a1", "2026-W01", "urgent", "x")
    with pytest.raises(ValueError, match="finding.subject_id"):
        Finding("PUB-5", "account", "", "2026-W01", "low", "x")


@pytest.mark.pg
def test_a_failed_task_rolls_back_its_writes_but_leaves_a_failed_ledger_row(any_db):
    run = TaskRun("herald_test", "manual__1", "scan", 1, T0, T0 + timedelta(days=1))

    def body(tx, entry):
        record_findings(tx, [_missed("a1", "2026-W03")], scope=SCOPE, detected_by="t", now=T0)
        entry.row_counts["findings"] = 1
        raise RuntimeError("platform log unreadable")

    with pytest.raises(RuntimeError):
        run_recorded(any_db, run, body)
    assert any_db.fetch("findings/all") == []
    ledger = any_db.fetch("ledger/for_dag", dag_id="herald_test")
    assert [(r["status"], r["try_number"]) for r in ledger] == [("failed", 1)]
    assert "platform log unreadable" in ledger[0]["outputs"]

    retry = TaskRun("herald_test", "manual__1", "scan", 2, T0, T0 + timedelta(days=1))
    run_recorded(any_db, retry, lambda tx, entry: record_findings(
        tx, [_missed("a1", "2026-W03")], scope=SCOPE, detected_by="t", now=T0))
    ledger = any_db.fetch("ledger/for_dag", dag_id="herald_test")
    assert [(r["status"], r["try_number"]) for r in ledger] == [("failed", 1), ("success", 2)]
    assert ledger[1]["data_interval_start_at"] == T0
    assert len(any_db.fetch("findings/all")) == 1


def test_an_unchanged_finding_is_left_alone_and_a_changed_one_rewritten(any_db):
    finding = _missed("a1", "2026-W03")
    with any_db.transaction() as tx:
        record_findings(tx, [finding], scope=SCOPE, detected_by="t", now=T0)
    with any_db.transaction() as tx:
        counts = record_findings(tx, [finding], scope=SCOPE, detected_by="t", now=T0 + timedelta(hours=1))
    row = any_db.fetch("findings/all")[0]
    assert counts["reported"] == 1 and row["last_detected_at"] == T0  # seen as it stands: not rewritten
    worse = Finding(finding.rule_id, finding.subject_type, finding.subject_id, finding.period, "high",
                    finding.summary, finding.evidence)
    with any_db.transaction() as tx:
        record_findings(tx, [worse], scope=SCOPE, detected_by="t", now=T0 + timedelta(hours=2))
    row = any_db.fetch("findings/all")[0]
    assert (row["severity"], row["last_detected_at"]) == ("high", T0 + timedelta(hours=2))
    # what a scan does not stage is resolved, whatever the clock says
    with any_db.transaction() as tx:
        counts = record_findings(tx, [], scope=SCOPE, detected_by="t", now=T0 + timedelta(hours=2))
    assert counts["resolved"] == 1 and _states(any_db) == {("a1", "2026-W03"): "resolved"}
