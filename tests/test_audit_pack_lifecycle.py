"""The annual audit pack includes the account lifecycle and watch records (issue 15): a small world with an
application walked along its creation chain, filed and unfiled changes, a handover and its credential rotation, a
delegation, a comment escalation, a crisis, a complaint and a lookalike account; each lands in the right account's
pack with the right counts and clocks, nothing recorded after the cutoff counts, the verdict weighs them, and the
group pack sums them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from accounts_org import account_org, form
from builders import insert
from herald.accounts import changes, delegations
from herald.accounts.approval import decide
from herald.accounts.registration import ApplicationRequest, apply_for_account
from herald.audit.build import AuditWindow, build_account_pack, build_account_packs, build_group_pack, with_quality
from herald.complaints import register_complaint
from herald.policy import load_policy

YEAR = 2026
CUTOFF = datetime(2027, 1, 10, 16, 0, tzinfo=UTC)
WINDOW = AuditWindow(YEAR, CUTOFF)
APPLIED = datetime(2026, 5, 6, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai
CHAIN_000 = ["news_head", "mkt_head", "admin_head", "gmo_head", "fin_head", "admin_head"]
ROTATED = datetime(2026, 10, 12, 3, 0, tzinfo=UTC)
LIFECYCLE_KEYS = ("creation_approvals", "account_changes", "account_handovers", "delegations", "comment_escalations",
                  "comment_crises", "complaints", "unauthorised_accounts")


def at(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _sql(db, text: str, **params) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text(text), params)


@pytest.fixture
def world(request):
    db = request.getfixturevalue(getattr(request, "param", "pg_db"))  # PostgreSQL, or SQLite where parametrized
    account_org(db)
    insert(db, "people", person_id="op_old", name="钱旧运营", unit_id="G", login="qian.jiu", is_active=True)
    insert(db, "people", person_id="op_new", name="孙新运营", unit_id="G", login="sun.xin", is_active=True)
    insert(db, "people", person_id="sub_staff", name="沈活动", unit_id="SUB", login="shen.huodong", is_active=True)
    insert(db, "role_assignments", assignment_id="OP-WB-GROUP", person_id="op_old", role="operator", unit_id=None,
           account_id="WB-GROUP", valid_from_on=date(2024, 1, 1))
    # ACC-1, ACC-2: an application from NEWS (with MKT related) walked along 000's six steps.
    form_request = ApplicationRequest.from_mapping(form(related_unit_ids=["MKT"]) | {"planned_opened_on": date(2026, 6, 1)})
    filed = apply_for_account(db, form_request, applicant_id="news_clerk", via="cli", now=APPLIED)
    for n, approver in enumerate(CHAIN_000, start=1):
        decide(db, application_id=filed["application_id"], approver_id=approver, decision="approved", via="cli",
               now=APPLIED + timedelta(hours=n), is_sealed=True if n == 1 else None)
    # ACC-4: one change filed the next day, one the competent department noted and nobody filed.
    changes.file_change(db, "WX-GROUP", change_kind="maintenance_method", new_value="自运维",
                        effective_on=date(2026, 3, 2), filed_by="author2", now=at(date(2026, 3, 3)))
    changes.note_change(db, "WX-GROUP", change_kind="account_name", new_value="华夏能源新名称",
                        effective_on=date(2026, 11, 2), noted_by="competent", now=at(date(2026, 11, 3)))
    # ACC-5: a handover on WB-GROUP, its credential rotated two days later (recorded here as the rotation job would).
    made = changes.file_handover(db, "WB-GROUP", to_person_id="op_new", from_person_id="op_old",
                                 effective_on=date(2026, 10, 9), receipt_ref="行政交〔2026〕3号", receipt_by="competent",
                                 receipt_on=date(2026, 10, 9), filed_by="competent", now=at(date(2026, 10, 9)))
    _sql(db, "UPDATE credential_rotations SET state = 'done', method = 'weibo_reauthorise', "
                "fingerprint = 'a1b2c3d4e5f6', finished_at = :at WHERE rotation_id = :r", at=ROTATED, r=made["rotation_id"])
    # PUB-6: a live activity on WB-GROUP delegated to SUB, granted, its window in June.
    start = datetime(2026, 6, 10, 6, 0, tzinfo=UTC)
    granted = delegations.apply(db, "WB-GROUP", unit_id="SUB", activity_kind="live", title="安全知识直播",
                                window_start_at=start, window_end_at=start + timedelta(hours=3), people=["sub_staff"],
                                applied_by="sub_staff", now=start - timedelta(days=2))
    delegations.decide(db, granted["delegation_id"], approver_id="competent", decision="granted",
                       now=start - timedelta(days=1))
    # SEC-4: a complaint through WB-SUB, assigned but never answered (its answer clock runs out).
    with db.transaction() as tx:
        complaint = register_complaint(tx, account_id="WB-SUB", content="退费迟迟不到账", channel="comment",
                                       received_at=at(date(2026, 3, 6)), actor="ent_office", via="api",
                                       now=at(date(2026, 3, 6), 3), source_ref="c-1")
    # SEC-2: an illegal comment on WB-SUB escalated and sent; SEC-3: a surge on WB-SUB opened a crisis, still open.
    comment_at = datetime(2026, 8, 1, 4, 0, tzinfo=UTC)
    insert(db, "comments", comment_key="weibo:WB-SUB:9001", account_id="WB-SUB", platform="weibo", source_key="to_me",
           platform_comment_id="9001", author_ref="u1", content="（违法内容）", commented_at=comment_at,
           pulled_at=comment_at + timedelta(seconds=20), verdict="illegal", is_negative=True, hits="[]",
           lexicon_sha256="0" * 64, record_sha256="1" * 64)
    insert(db, "comment_escalations", escalation_id="ESC-1", subject_key="comment:weibo:WB-SUB:9001",
           comment_key="weibo:WB-SUB:9001", finding_id=None, account_id="WB-SUB", host_unit_id="SUB", kind="illegal",
           summary="评论含赌博内容", state="sent", evidence_path="comments/2026/ESC-1.json", evidence_sha256="e" * 64,
           detected_at=comment_at + timedelta(seconds=21), sent_at=comment_at + timedelta(seconds=50), attempts=1)
    insert(db, "findings", finding_id="F-CRISIS", rule_id="SEC-3", subject_type="account", subject_id="WB-SUB",
           period="2026-08-02", severity="high", summary="负面评论激增", evidence="{}", state="open",
           detected_by="comment_watch.watch", first_detected_at=comment_at + timedelta(days=1),
           last_detected_at=comment_at + timedelta(days=1))
    # ACC-1: a lookalike Weibo account naming the subsidiary (SUB), found by the directory scan.
    insert(db, "directory_sightings", platform="weibo", platform_account_id="fake-77", screen_name="华夏能源销售客服",
           followers_count=12, matched_names=json.dumps(["华夏能源销售"]), unit_id="SUB", is_registered=False,
           first_seen_at=at(date(2026, 4, 1)), last_seen_at=at(date(2026, 4, 20)))
    insert(db, "findings", finding_id="F-LOOK", rule_id="ACC-1", subject_type="platform_account",
           subject_id="weibo:fake-77", period="directory:weibo", severity="high", summary="疑似冒用“华夏能源销售”名义的微博账号",
           evidence=json.dumps({"host_unit_id": "SUB"}), state="open", detected_by="herald_unauthorised_accounts.scan",
           first_detected_at=at(date(2026, 4, 1)), last_detected_at=at(date(2026, 4, 20)))
    return {"db": db, "application": filed, "account": filed["account_id"], "handover": made,
            "delegation": granted["delegation_id"], "complaint": complaint["complaint_id"]}


def _table(pack, key):
    table = next(t for t in pack.tables if t.key == key)
    keys = [c.key for c in table.columns]
    return table, [dict(zip(keys, row, strict=True)) for row in table.rows]


def _counts(pack) -> dict[str, int]:
    return {key: _table(pack, key)[0].row_count for key in LIFECYCLE_KEYS}


@pytest.mark.parametrize("world", ["pg_db", "sqlite_db"], indirect=True)
def test_each_record_lands_in_its_accounts_pack(world):
    db = world["db"]
    packs = {p.account_id: p for p in build_account_packs(db, WINDOW, gate=False)}
    new = world["account"]
    assert _counts(packs[new]) == dict.fromkeys(LIFECYCLE_KEYS, 0) | {"creation_approvals": 6}
    table, steps = _table(packs[new], "creation_approvals")
    assert [s["approver"].split("（")[1].rstrip("）") for s in steps] == CHAIN_000
    assert {s["state"] for s in steps} == {"approved"} and all(s["decision"] == "approved" for s in steps)
    assert table.source == "sql/audit/lifecycle_applications.sql" and table.params["cutoff"] == CUTOFF.isoformat()
    assert table.control_totals == {"rows": 6, "applications": 1, "steps_decided": 6, "applications_approved": 1}

    assert _counts(packs["WX-GROUP"]) == dict.fromkeys(LIFECYCLE_KEYS, 0) | {"account_changes": 2}
    table, rows = _table(packs["WX-GROUP"], "account_changes")
    assert [(r["change_kind"], r["clock"]) for r in rows] == [("maintenance_method", "on_time"), ("account_name", "overdue")]
    assert rows[0]["working_days"] == 1 and rows[1]["filed_at"] is None
    assert table.control_totals == {"rows": 2, "on_time": 1, "overdue": 1}

    assert _counts(packs["WB-GROUP"]) == dict.fromkeys(LIFECYCLE_KEYS, 0) | {
        "account_changes": 1, "account_handovers": 1, "delegations": 1}  # the handover is a management-team change
    _, handovers = _table(packs["WB-GROUP"], "account_handovers")
    assert handovers[0]["rotation_state"] == "done" and handovers[0]["rotation_fingerprint"] == "a1b2c3d4e5f6"
    assert handovers[0]["rotation_finished_at"] == ROTATED
    _, granted = _table(packs["WB-GROUP"], "delegations")
    assert granted[0]["delegation_id"] == world["delegation"] and granted[0]["state"] == "granted"
    assert granted[0]["is_overstayed"] is True  # its window ended in June and nothing revoked it by the cutoff

    sub = packs["WB-SUB"]
    assert _counts(sub) == dict.fromkeys(LIFECYCLE_KEYS, 0) | {
        "comment_escalations": 1, "comment_crises": 1, "complaints": 1, "unauthorised_accounts": 1}
    _, escalations = _table(sub, "comment_escalations")
    assert escalations[0]["state"] == "sent" and escalations[0]["seconds_to_send"] == 50
    _, complaints = _table(sub, "complaints")
    assert complaints[0]["complaint_id"] == world["complaint"] and complaints[0]["state"] == "registered"
    assert complaints[0]["is_clock_breached"] is True and complaints[0]["answer_clock"] == "已超时未完成"
    crisis = next(t for t in sub.tieouts if t.left == "comment_crises.rows")
    assert (crisis.left_value, crisis.right_value, crisis.ok) == (1, 1, True)  # the same surge through findings.sql
    _, lookalikes = _table(sub, "unauthorised_accounts")
    assert lookalikes[0]["screen_name"] == "华夏能源销售客服" and "SUB" in lookalikes[0]["unit"]
    # The same lookalike names SUB: every account SUB hosts carries it; the group's own accounts do not.
    assert _counts(packs["WX-SUB"])["unauthorised_accounts"] == 1 and _counts(packs["WB-GROUP"])["unauthorised_accounts"] == 0


def test_the_verdict_weighs_the_records_as_remarks_citing_the_policy(world):
    db = world["db"]
    sub = build_account_pack(db, "WB-SUB", WINDOW, gate=False)
    remarks = {r.rule_id: r for r in sub.verdict.reasons}
    assert sub.verdict.level == "pass_with_remarks"
    assert "1件客户投诉" in remarks["SEC-4"].text and "1起舆情危机" in remarks["SEC-3"].text
    assert remarks["SEC-4"].clause == load_policy("000").clause("annual_inspection.thresholds.late_complaints_max_for_pass")
    assert sub.summary["late_complaints"] == 1 and sub.summary["open_crises"] == 1 and sub.summary["unsent_escalations"] == 0
    # The group pack judges every account with the same figures: the same verdict.
    group = build_group_pack(db, WINDOW, gate=False)
    _, ranked = _table(group, "accounts_ranked")
    row = next(r for r in ranked if r["account_id"] == "WB-SUB")
    assert row["verdict"] == sub.verdict.level and row["reasons"] == "；".join(f"{r.rule_id} {r.text}" for r in sub.verdict.reasons)


def test_the_group_pack_sums_the_accounts(world):
    db = world["db"]
    packs = build_account_packs(db, WINDOW, gate=False)
    group = build_group_pack(db, WINDOW, gate=False)
    table, rows = _table(group, "lifecycle_by_account")
    assert [r["account_id"] for r in rows] == [p.account_id for p in packs]
    per_pack = {p.account_id: p for p in packs}
    for r in rows:
        counts = _counts(per_pack[r["account_id"]])
        assert (r["changes"], r["handovers"], r["delegations"], r["escalations"], r["crises"], r["complaints"],
                r["lookalikes"]) == (counts["account_changes"], counts["account_handovers"], counts["delegations"],
                                     counts["comment_escalations"], counts["comment_crises"], counts["complaints"],
                                     counts["unauthorised_accounts"])
    sums = {key: sum(_counts(p)[key] for p in packs) for key in LIFECYCLE_KEYS}
    assert table.control_totals["changes"] == sums["account_changes"] == 3
    assert table.control_totals["creation_steps"] == sums["creation_approvals"] == 6
    assert (table.control_totals["complaints"], table.control_totals["late_complaints"], table.control_totals["crises"],
            table.control_totals["open_crises"], table.control_totals["escalations"]) == (1, 1, 1, 1, 1)
    assert table.control_totals["handovers_rotated"] == 1 and table.control_totals["changes_late"] == 1
    assert (group.summary["complaints"], group.summary["late_complaints"], group.summary["open_crises"]) == (1, 1, 1)
    assert all(t.ok for t in group.tieouts if t.left == "comment_crises.rows")
    # Lookalikes: counted under each account of the unit they name; the group lists each once.
    _, group_lookalikes = _table(group, "unauthorised_accounts")
    assert [r["finding_id"] for r in group_lookalikes] == ["F-LOOK"]
    assert table.control_totals["lookalikes"] == sums["unauthorised_accounts"] == 3  # WB-SUB, WX-SUB, QQ-SUB host SUB


@pytest.mark.parametrize("world", ["pg_db", "sqlite_db"], indirect=True)
def test_nothing_recorded_after_the_cutoff_counts(world):
    db = world["db"]
    # A cutoff between the handover and its rotation: the rotation is pending and shows no fingerprint.
    early = AuditWindow(YEAR, ROTATED - timedelta(hours=1))
    _, handovers = _table(build_account_pack(db, "WB-GROUP", early, gate=False), "account_handovers")
    assert handovers[0]["rotation_state"] == "pending" and handovers[0]["rotation_fingerprint"] == ""
    # A cutoff in the middle of the creation chain: three steps decided, the application pending.
    mid = AuditWindow(YEAR, APPLIED + timedelta(hours=3, minutes=30))
    table, steps = _table(build_account_pack(db, world["account"], mid, gate=False), "creation_approvals")
    assert [bool(s["decision"]) for s in steps] == [True] * 3 + [False] * 3
    assert {s["state"] for s in steps} == {"pending"} and table.control_totals["steps_decided"] == 3
    # The complaint's assignment after the cutoff does not count; an escalation sent after it is unsent.
    with db.transaction() as tx:
        from herald.complaints import assign_complaint

        assign_complaint(tx, world["complaint"], assignee_id="ent_office", person_id="ent_office", via="api",
                         now=at(date(2026, 3, 6), 5))
    before_assignment = AuditWindow(YEAR, at(date(2026, 3, 6), 4))
    _, complaints = _table(build_account_pack(db, "WB-SUB", before_assignment, gate=False), "complaints")
    assert complaints[0]["assigned_at"] is None and complaints[0]["assignee"] == "" and complaints[0]["state"] == "registered"
    _, complaints = _table(build_account_pack(db, "WB-SUB", WINDOW, gate=False), "complaints")
    assert complaints[0]["state"] == "assigned" and complaints[0]["assign_clock"] == "按时"
    _sql(db, "UPDATE comment_escalations SET sent_at = :at", at=CUTOFF + timedelta(days=1))
    pack = build_account_pack(db, "WB-SUB", WINDOW, gate=False)
    assert _table(pack, "comment_escalations")[1][0]["state"] == "pending" and pack.summary["unsent_escalations"] == 1
    assert any(r.rule_id == "SEC-2" for r in pack.verdict.reasons)


def test_rebuilds_are_equal_and_the_gate_checks_the_new_datasets(world):
    db = world["db"]
    first = build_account_pack(db, "WB-SUB", WINDOW, gate=False)
    assert build_account_pack(db, "WB-SUB", WINDOW, gate=False) == first
    gated = with_quality(first)
    assert gated.quality.passed, gated.quality.failures
    results = json.loads(gated.quality.results_json)
    assert set(LIFECYCLE_KEYS) <= set(results)
    # A seeded defect: a naive time fails the gate with a Chinese report naming the dataset, the column and the row.
    bad_rows = tuple(row[:3] + (row[3].replace(tzinfo=None),) + row[4:] for row in _table(first, "complaints")[0].rows)
    tables = tuple(t if t.key != "complaints" else replace(t, rows=bad_rows) for t in first.tables)
    broken = with_quality(replace(first, tables=tables))
    assert not broken.quality.passed
    failed = [f for f in broken.quality.failures if f["dataset"] == "complaints"]
    assert failed and failed[0]["rows"] == world["complaint"] and "received_at" in failed[0]["expectation"]


def test_the_policy_threshold_decides_whether_a_record_is_a_remark():
    from herald.audit.verdict import Figures, judge

    policy = load_policy("003")
    figures = Figures(missed_weeks=0, unapproved_items=0, unarchived_items=0, late_complaints=1)
    verdict = judge(figures, policy)
    assert verdict.level == "pass_with_remarks" and [r.rule_id for r in verdict.reasons] == ["SEC-4"]
    assert verdict.reasons[0].clause.startswith("Herald default (003 has no complaint rule")
    inspection = policy.annual_inspection
    lenient = replace(policy, annual_inspection=replace(inspection, thresholds=replace(
        inspection.thresholds, late_complaints_max_for_pass=1)))
    assert judge(figures, lenient).level == "pass"
    assert judge(replace(figures, late_complaints=2), lenient).level == "pass_with_remarks"
    # The existing fail rules stand: an ACC-1 finding still fails, the records only add remarks.
    failing = judge(replace(figures, findings_by_rule={"ACC-1": 1}, unsent_escalations=1), policy)
    assert failing.level == "fail" and {"SEC-2", "SEC-4", "ACC-1"} <= {r.rule_id for r in failing.reasons}
