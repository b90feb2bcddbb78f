"""Complaints (SEC-4): register, assign, answer, follow up, each on its clock; overdue steps become findings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from builders import small_org, snapshot
from herald.complaints import (
    ComplaintConflict,
    answer_complaint,
    assign_complaint,
    audit_complaints,
    check_overdue,
    complaint_detail,
    due_at,
    follow_up_complaint,
    list_complaints,
    overdue_findings,
    register_complaint,
)
from herald.errors import ValidationError
from herald.ledger import TaskRun
from herald.policy.model import ComplaintClock

# Friday 2026-03-06 10:00 Beijing time.
RECEIVED = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)
RUN = TaskRun(dag_id="herald_complaints", run_id="test", task_id="check_overdue")
TABLES = ("complaints", "complaint_events", "findings")


def fields(violations) -> set[tuple[str, str]]:
    return {(v.field, v.rule_id) for v in violations}


def register(db, **overrides):
    values = {"account_id": "WB-SUB", "content": "客服电话一直打不通，退费迟迟不到账", "channel": "comment",
              "received_at": RECEIVED, "actor": "ent_office", "via": "api", "now": RECEIVED + timedelta(minutes=5),
              "source_ref": "comment-1", "complainant": "网友A"}
    values.update(overrides)
    with db.transaction() as tx:
        return register_complaint(tx, **values)


def test_clock_in_working_days_and_hours():
    # Friday: two working days later is Tuesday; due at the end of Tuesday, Beijing time (16:00 UTC).
    assert due_at(RECEIVED, ComplaintClock(2, "working_days")) == datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    assert due_at(RECEIVED, ComplaintClock(24, "hours")) == RECEIVED + timedelta(hours=24)
    # Over the Labour Day holiday (1-5 May 2026 off): received Thursday 30 April, one working day is 6 May.
    assert due_at(datetime(2026, 4, 30, 2, tzinfo=UTC), ComplaintClock(1, "working_days")) == datetime(
        2026, 5, 6, 16, 0, tzinfo=UTC)


def test_complaint_through_every_step(any_db):
    small_org(any_db)
    made = register(any_db)
    cid = made["complaint_id"]
    assert made["state"] == "registered" and made["duplicate"] is False and made["policy_id"] == "000"
    assert made["answer_due_at"] == datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    assert made["assign_due_at"] == datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
    # The comment watch reporting the same comment again registers nothing new.
    with any_db.transaction() as tx:
        again = register_complaint(tx, account_id="WB-SUB", content="同一条评论", channel="comment",
                                   received_at=RECEIVED, actor="herald_comment_watch.screen", via="pipeline",
                                   now=RECEIVED + timedelta(minutes=9), source_ref="comment-1")
    assert again["duplicate"] is True and again["complaint_id"] == cid

    with any_db.transaction() as tx:
        assign_complaint(tx, cid, assignee_id="ent_head", person_id="ent_office", via="api",
                         now=RECEIVED + timedelta(hours=3), note="请企管部处理")
        answered = answer_complaint(tx, cid, answer="已核实，退费将于3个工作日内到账。", person_id="ent_head", via="cli",
                                    now=datetime(2026, 3, 9, 3, 0, tzinfo=UTC))
    # Answered on Monday 9 March: five working days later is Monday 16 March, due at its end.
    assert answered["follow_up_due_at"] == datetime(2026, 3, 16, 16, 0, tzinfo=UTC)
    with any_db.transaction() as tx:
        done = follow_up_complaint(tx, cid, outcome="satisfied", note="电话回访，客户表示满意", person_id="ent_office",
                                   via="api", now=datetime(2026, 3, 12, 3, 0, tzinfo=UTC))
        assert overdue_findings(tx, datetime(2026, 4, 1, tzinfo=UTC)) == []
        rows = audit_complaints(tx, "WB-SUB", 2026, now=datetime(2026, 4, 1, tzinfo=UTC))
        mine = list_complaints(tx, person_id="ent_office", now=datetime(2026, 4, 1, tzinfo=UTC), states=("followed_up",))
        none_for_outsider = list_complaints(tx, person_id="author", now=datetime(2026, 4, 1, tzinfo=UTC),
                                            states=("followed_up",))
    assert done["state"] == "followed_up" and done["outcome_label"] == "满意"
    assert [(h["from_state"], h["to_state"], h["actor"]) for h in done["history"]] == [
        (None, "registered", "ent_office"), ("registered", "assigned", "ent_office"),
        ("assigned", "answered", "ent_head"), ("answered", "followed_up", "ent_office")]
    assert [c["status"] for c in done["clocks"]] == ["on_time", "on_time", "on_time"]
    assert "北京时间" in done["clocks"][1]["due_shown"]
    assert [(r["complaint_id"], r["answer_status"], r["follow_up_status"]) for r in rows] == [(cid, "on_time", "on_time")]
    assert [c["complaint_id"] for c in mine] == [cid] and none_for_outsider == []


def test_overdue_steps_become_findings_once(any_db):
    small_org(any_db)
    late = register(any_db, source_ref="comment-late")["complaint_id"]
    on_time = register(any_db, source_ref="comment-ok")["complaint_id"]
    with any_db.transaction() as tx:
        assign_complaint(tx, on_time, assignee_id="ent_head", person_id="ent_office", via="api",
                         now=RECEIVED + timedelta(hours=1))
        # Assigned late (Tuesday, after Monday's end): a breach even though it is done now.
        assign_complaint(tx, late, assignee_id="ent_head", person_id="ent_office", via="api",
                         now=datetime(2026, 3, 10, 2, tzinfo=UTC))
    check_at = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # Wednesday morning: both answers overdue
    entry = check_overdue(any_db, RUN, now=check_at)
    with any_db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT subject_id, period, summary, evidence, state FROM findings "
                                    "WHERE rule_id = 'SEC-4' ORDER BY subject_id")).mappings().all()
    assert sorted(r["subject_id"] for r in rows) == sorted([f"{late}/assign", f"{late}/answer", f"{on_time}/answer"])
    assert entry.row_counts["findings_reported"] == 3
    assign_row = next(r for r in rows if r["subject_id"] == f"{late}/assign")
    assert assign_row["period"] == "2026-03-09" and "未按时受理" in assign_row["summary"]
    assert "实际于2026-03-10 10:00:00 (北京时间)受理" in assign_row["summary"]
    assert json.loads(assign_row["evidence"])["host_unit_id"] == "SUB"
    # A second run finds the same findings: no duplicates.
    check_overdue(any_db, RUN, now=check_at + timedelta(hours=6))
    with any_db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM findings WHERE rule_id = 'SEC-4'")).scalar() == 3
    with any_db.transaction() as tx:
        detail = complaint_detail(tx, late, now=check_at)
    assert [c["status"] for c in detail["clocks"]] == ["late", "overdue", "not_started"]


def test_refusals_name_the_field_and_write_nothing(pg_db):
    small_org(pg_db)
    before = snapshot(pg_db, TABLES)
    with pytest.raises(ValidationError) as refused:
        register(pg_db, account_id="NO-SUCH", content="  ", channel="fax",
                 received_at=RECEIVED + timedelta(days=3))
    assert fields(refused.value.violations) == {("account_id", "SEC-4"), ("content", "SEC-4"), ("channel", "SEC-4"),
                                                ("received_at", "SEC-4")}
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in v.message) for v in refused.value.violations)
    with pytest.raises(ValidationError) as outsider:  # the office's info officer is not of the subsidiary's units
        register(pg_db, actor="author")
    assert fields(outsider.value.violations) == {("account_id", "SEC-4")}
    assert snapshot(pg_db, TABLES) == before

    cid = register(pg_db)["complaint_id"]
    before = snapshot(pg_db, TABLES)
    with pg_db.transaction() as tx, pytest.raises(ComplaintConflict) as early:
        answer_complaint(tx, cid, answer="答复", person_id="ent_head", via="api", now=RECEIVED + timedelta(hours=1))
    assert fields(early.value.violations) == {("state", "SEC-4")}
    with pg_db.transaction() as tx, pytest.raises(ValidationError) as wrong_assignee:
        assign_complaint(tx, cid, assignee_id="author", person_id="ent_office", via="api", now=RECEIVED + timedelta(hours=1))
    assert fields(wrong_assignee.value.violations) == {("assignee_id", "SEC-4")}
    with pg_db.transaction() as tx:
        assign_complaint(tx, cid, assignee_id="ent_head", person_id="ent_office", via="api",
                         now=RECEIVED + timedelta(hours=1))
    with pg_db.transaction() as tx, pytest.raises(ValidationError) as not_assignee:
        answer_complaint(tx, cid, answer="答复", person_id="ent_office", via="api", now=RECEIVED + timedelta(hours=2))
    assert fields(not_assignee.value.violations) == {("complaint_id", "SEC-4")}
    with pg_db.transaction() as tx, pytest.raises(ValidationError) as unknown:
        follow_up_complaint(tx, "CPL-000000000000", outcome="satisfied", note="x", person_id="ent_office", via="api",
                            now=RECEIVED)
    assert fields(unknown.value.violations) == {("complaint_id", "SEC-4")}
    assert len(snapshot(pg_db, TABLES)["complaint_events"]) == len(before["complaint_events"]) + 1  # only the assignment


def test_the_http_door(api, pg_db):
    client = api("chen.qiguanban")  # ent_office of the subsidiary
    body = {"account_id": "WB-SUB", "content": "私信反映：营业厅服务态度差", "channel": "message",
            "received_at": "2026-03-06T10:00:00+08:00", "complainant": "网友B"}
    made = client.post("/complaints", json=body)
    assert made.status_code == 201, made.text
    cid = made.json()["complaint_id"]
    assert made.json()["registered_by"] == "ent_office"
    assigned = client.post(f"/complaints/{cid}/assignment", json={"assignee_id": "ent_head"})
    assert assigned.status_code == 201 and assigned.json()["state"] == "assigned"
    not_assignee = client.post(f"/complaints/{cid}/answer", json={"answer": "已处理"})
    assert not_assignee.status_code == 422
    assert not_assignee.json()["violations"][0]["field"] == "complaint_id"
    answered = api("chu.qiguanbu").post(f"/complaints/{cid}/answer", json={"answer": "已向营业厅核实并致歉"})
    assert answered.status_code == 201 and answered.json()["state"] == "answered"
    twice = api("chu.qiguanbu").post(f"/complaints/{cid}/answer", json={"answer": "再答一次"})
    assert twice.status_code == 409
    followed = api("chen.qiguanban").post(f"/complaints/{cid}/follow-up",
                                          json={"outcome": "satisfied", "note": "回访满意"})
    assert followed.status_code == 201 and [h["to_state"] for h in followed.json()["history"]] == [
        "registered", "assigned", "answered", "followed_up"]
    listed = api("chen.qiguanban").get("/complaints", params={"state": "all"}).json()
    assert [c["complaint_id"] for c in listed["complaints"]] == [cid]
    assert api("li.xinxi").get("/complaints", params={"state": "all"}).json()["count"] == 0
    assert api("li.xinxi").get(f"/complaints/{cid}").status_code == 200
    assert api("li.xinxi").get("/complaints/CPL-000000000000").status_code == 404

    before = snapshot(pg_db, TABLES)
    bad = client.post("/complaints", json={**body, "channel": "fax", "received_at": "2026-03-06 10:00",
                                           "account_id": ""})
    assert bad.status_code == 422
    assert {v["field"] for v in bad.json()["violations"]} == {"channel", "received_at", "account_id"}
    assert {v["rule_id"] for v in bad.json()["violations"]} <= {"SEC-4", "格式"}
    assert snapshot(pg_db, TABLES) == before


def test_command_line_with_admin_override(pg_db, pg_url, capsys):
    from herald.__main__ import main

    small_org(pg_db)
    override = ["--admin-override", "--override-reason", "客服系统停机，代为登记", "--as-person", "ent_office"]
    assert main(["--db", pg_url, "complaint", "register", "--account", "WB-SUB", "--content", "电话投诉：停电未通知",
                 "--channel", "phone", "--received-at", "2026-03-06T10:00:00+08:00", *override]) == 0
    printed = capsys.readouterr().out
    cid = printed.split("投诉编号：")[1].split()[0]
    assert "状态：已登记" in printed and "答复已超时" in printed  # received in March: long past its clock
    assert main(["--db", pg_url, "complaint", "assign", cid, "--assignee", "ent_head", *override]) == 0
    assert main(["--db", pg_url, "complaint", "list", "--admin-override", "--override-reason", "核对"]) == 0
    listed = capsys.readouterr().out
    assert cid in listed and "共1条" in listed
    with pg_db.engine.connect() as conn:
        events = conn.execute(sa.text("SELECT to_state, actor, via, os_user FROM complaint_events "
                                      "WHERE complaint_id = :c ORDER BY occurred_at"), {"c": cid}).all()
    assert [(e[0], e[1], e[2]) for e in events] == [("registered", "ent_office", "admin_override"),
                                                    ("assigned", "ent_office", "admin_override")]
    assert all(e[3] for e in events)
    # A bad value is refused in Chinese, naming the field, before anything runs.
    assert main(["--db", pg_url, "complaint", "register", "--account", "WB-SUB", "--content", "x", "--channel",
                 "phone", "--received-at", "明天", *override]) == 2
    assert "received_at" in capsys.readouterr().err
