"""Registry check (ACC-1, ACC-3): exact on the demo world, idempotent, and self-resolving when fixed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from builders import insert, small_org
from herald.jobs import registry_check
from herald.ledger import TaskRun
from herald.registry import missing_creation_steps, missing_registration_fields

NOW = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)
REQUIRED = ("name", "purpose", "administrators", "verification_documents")


def test_missing_fields_conditions_and_blanks():
    account = {"name": "x", "purpose": "  ", "administrator_count": 0, "is_verified": True, "verification_documents": None}
    assert missing_registration_fields(account, REQUIRED, {"verification_documents": "is_verified"}) == [
        "purpose", "administrators", "verification_documents"]
    unverified = {**account, "purpose": "宣传", "administrator_count": 2, "is_verified": False}
    assert missing_registration_fields(unverified, REQUIRED, {"verification_documents": "is_verified"}) == []


def test_a_rejected_step_counts_as_missing():
    decisions = [{"step": "a", "decision": "approved"}, {"step": "b", "decision": "rejected"}]
    assert missing_creation_steps(decisions, ("a", "b", "c")) == ["b", "c"]


def _truth(db, rules):
    return {(r["rule_id"], r["subject_id"]) for r in db.fetch("world/ground_truth") if r["rule_id"] in rules}


def test_the_demo_world_ground_truth_is_found_exactly_and_reruns_do_not_duplicate(demo_world):
    run = TaskRun("herald_registry_check", "scheduled__1", "check_registry")
    registry_check(demo_world, run, now=NOW)
    findings = {(f["rule_id"], f["subject_id"]) for f in demo_world.fetch("findings/open")}
    assert findings == _truth(demo_world, {"ACC-1", "ACC-3"})
    registry_check(demo_world, TaskRun("herald_registry_check", "scheduled__2", "check_registry"), now=NOW + timedelta(days=1))
    assert len(demo_world.fetch("findings/all")) == len(findings)
    ledger = demo_world.fetch("ledger/for_dag", dag_id="herald_registry_check")
    assert [row["status"] for row in ledger] == ["success", "success"]
    assert '"active_accounts"' in ledger[0]["row_counts"]


@pytest.mark.pg
def test_fixing_the_record_resolves_the_finding_on_postgresql(pg_db):
    small_org(pg_db)
    with pg_db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE accounts SET purpose = NULL WHERE account_id = 'WB-GROUP'"))
    registry_check(pg_db, TaskRun("d", "r1", "t"), now=NOW)
    open_rules = {(f["rule_id"], f["subject_id"]) for f in pg_db.fetch("findings/open")}
    # small_org files no creation approvals and no administrators: every active account lacks both
    assert ("ACC-3", "WB-GROUP") in open_rules and ("ACC-1", "WB-GROUP") in open_rules
    summary = next(f["summary"] for f in pg_db.fetch("findings/open") if f["subject_id"] == "WB-GROUP" and f["rule_id"] == "ACC-3")
    assert "宗旨" in summary and "管理员信息" in summary

    with pg_db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE accounts SET purpose = '集团宣传' WHERE account_id = 'WB-GROUP'"))
    insert(pg_db, "account_admins", account_id="WB-GROUP", person_id="author2")
    for n, step in enumerate(("applying_department", "admin_center", "gm_office", "finance_center", "archived")):
        insert(pg_db, "account_events", event_id=f"ce{n}", account_id="WB-GROUP", kind="creation_step", step=step,
               decision="approved", actor_id="competent", occurred_at=NOW - timedelta(days=400 - n))
    registry_check(pg_db, TaskRun("d", "r2", "t"), now=NOW + timedelta(hours=1))
    still_open = {(f["rule_id"], f["subject_id"]) for f in pg_db.fetch("findings/open")}
    assert not {r for r in still_open if r[1] == "WB-GROUP"}
    resolved = [f for f in pg_db.fetch("findings/all") if f["subject_id"] == "WB-GROUP"]
    assert {f["state"] for f in resolved} == {"resolved"} and len(resolved) == 2
