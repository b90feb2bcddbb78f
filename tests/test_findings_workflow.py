"""Findings have a workflow (issue 13): people acknowledge and resolve them with who, when, why and via; scans
keep their history; who may act (ORG-2); the CLI and HTTP doors; and the words people read (reports, digests)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

import pytest

from builders import insert, small_org
from cadence_rows import Rows, sh
from herald.cadence.labels import cite, period_label, subject_label, unit_label, week_label_zh
from herald.cadence.scan import scan_weekly
from herald.cadence.window import ScanWindow, week_of_label
from herald.errors import ValidationError
from herald.findings import (
    Finding,
    FindingNotFound,
    FindingStateConflict,
    Scope,
    acknowledge,
    answerable_units,
    find_findings,
    finding_detail,
    record_findings,
    resolve,
)
from herald.ledger import TaskRun
from herald.policy import load_policy

T0 = datetime(2026, 11, 2, 1, tzinfo=UTC)
SCOPE = Scope(rule_ids=("ACC-3",), period_from="standing", period_to="standing")


def _registry_finding(account_id: str) -> Finding:
    return Finding("ACC-3", "account", account_id, "standing", "medium", f"账号{account_id}的备案登记表不完整。")


def _scan(db, accounts: list[str], now: datetime) -> dict:
    with db.transaction() as tx:
        return record_findings(tx, [_registry_finding(a) for a in accounts], scope=SCOPE,
                               detected_by="herald_registry_check.check_registry", now=now)


def _id(account_id: str) -> str:
    return _registry_finding(account_id).finding_id


def _states(db) -> dict[str, str]:
    with db.transaction() as tx:
        return {r["subject_id"]: r["state"] for r in find_findings(tx, states=("open", "acknowledged", "resolved"))}


# --- the domain -------------------------------------------------------------------------------------------------

def test_acknowledge_then_resolve_keeps_who_when_why_and_via(any_db):
    small_org(any_db)
    _scan(any_db, ["WB-SUB"], T0)
    with any_db.transaction() as tx:
        acked = acknowledge(tx, _id("WB-SUB"), person_id="unit_head", reason="已安排补登", via="cli", now=T0)
    assert acked["state"] == "acknowledged" and acked["state_label"] == "已确认"
    with any_db.transaction() as tx:
        done = resolve(tx, _id("WB-SUB"), person_id="ent_head", reason="登记表已补全", via="api",
                       now=T0 + timedelta(hours=1))
    assert done["state"] == "resolved" and done["resolved_at"] is not None
    history = [(h["from_state"], h["to_state"], h["actor"], h["actor_name"], h["via"], h["reason"])
               for h in done["history"]]
    assert history == [("open", "acknowledged", "unit_head", "冯单位", "cli", "已安排补登"),
                       ("acknowledged", "resolved", "ent_head", "褚企管部", "api", "登记表已补全")]
    assert done["subject_label"] == "「华夏能源WB-SUB」（微博）" and done["period_label"] == "常设"
    assert done["severity_label"] == "中"


def test_a_scan_keeps_an_acknowledged_finding_and_reopens_a_resolved_one_in_the_history(any_db):
    small_org(any_db)
    _scan(any_db, ["WB-SUB", "QQ-SUB"], T0)
    with any_db.transaction() as tx:
        acknowledge(tx, _id("WB-SUB"), person_id="unit_head", reason="在办", via="cli", now=T0)
        resolve(tx, _id("QQ-SUB"), person_id="unit_head", reason="以为改好了", via="cli", now=T0)
    _scan(any_db, ["WB-SUB", "QQ-SUB"], T0 + timedelta(days=1))  # both still seen
    assert _states(any_db) == {"WB-SUB": "acknowledged", "QQ-SUB": "open"}
    _scan(any_db, [], T0 + timedelta(days=2))  # neither seen: both resolved by the scan
    assert _states(any_db) == {"WB-SUB": "resolved", "QQ-SUB": "resolved"}
    with any_db.transaction() as tx:
        history = [(h["from_state"], h["to_state"], h["actor"], h["via"])
                   for h in finding_detail(tx, _id("QQ-SUB"))["history"]]
    scan = "herald_registry_check.check_registry"
    assert history == [("open", "resolved", "unit_head", "cli"), ("resolved", "open", scan, "scan"),
                       ("open", "resolved", scan, "scan")]


def test_who_may_act_the_finding_s_unit_and_its_competent_department(any_db):
    small_org(any_db)
    _scan(any_db, ["WB-SUB"], T0)
    with any_db.transaction() as tx:
        with pytest.raises(ValidationError) as refused:  # the office is neither SUB nor its competent department
            acknowledge(tx, _id("WB-SUB"), person_id="author", reason="我来", via="api", now=T0)
        assert refused.value.violations[0].rule_id == "ORG-2" and "无权" in refused.value.violations[0].message
        assert "SUB" in answerable_units(tx, "outsider", day=date(2026, 11, 2))  # anyone of the host unit
        assert "SUB" not in answerable_units(tx, "author2", day=date(2026, 11, 2))
    insert(any_db, "role_assignments", assignment_id="RA-C", person_id="competent", role="competent_department_head",
           unit_id="G", account_id=None, valid_from_on=date(2024, 1, 1))
    with any_db.transaction() as tx:  # the group's competent head works in G: G's people supervise SUB
        assert "SUB" in answerable_units(tx, "author2", day=date(2026, 11, 2))
        assert acknowledge(tx, _id("WB-SUB"), person_id="author2", reason="主管部门督办", via="api",
                           now=T0)["state"] == "acknowledged"
        assert answerable_units(tx, "no-such-person", day=date(2026, 11, 2)) == set()


def test_refusals_reason_state_and_unknown_finding(any_db):
    small_org(any_db)
    _scan(any_db, ["WB-SUB"], T0)
    with any_db.transaction() as tx:
        with pytest.raises(ValidationError) as blank:
            acknowledge(tx, _id("WB-SUB"), person_id="unit_head", reason="  ", via="cli", now=T0)
        assert blank.value.violations[0].field == "reason"
        with pytest.raises(FindingNotFound):
            resolve(tx, "F-000000000000000000000000", person_id="unit_head", reason="x", via="cli", now=T0)
        resolve(tx, _id("WB-SUB"), person_id="unit_head", reason="已整改", via="cli", now=T0)
        with pytest.raises(FindingStateConflict) as again:
            acknowledge(tx, _id("WB-SUB"), person_id="unit_head", reason="晚了", via="cli", now=T0)
        assert "已解决" in again.value.violations[0].message
        assert len(finding_detail(tx, _id("WB-SUB"))["history"]) == 1


def test_a_manually_resolved_week_that_still_lapses_is_reopened_by_the_next_weekly_scan(pg_db):
    rows = Rows(pg_db)
    rows.account("a", date(2025, 1, 6))
    rows.weekly_items("a", date(2025, 3, 3), 3, skip={date(2025, 3, 10)})
    now = datetime(2025, 7, 1, 1, tzinfo=UTC)
    window = ScanWindow.complete_weeks(week_of_label("2025-W10"), week_of_label("2025-W12"), sh(2025, 3, 24, 7))

    def scan(at):
        scan_weekly(pg_db, TaskRun.manual("cadence_weekly", at), window, now=at, policy_for=load_policy)

    scan(now)
    with pg_db.transaction() as tx:
        (lapse,) = find_findings(tx, rule_id="PUB-5")
        assert lapse["period_label"] == "2025年第11周" and "2025年第11周（03月10日至03月16日）" in lapse["summary"]
        assert lapse["summary"].count("§4.4") == 1 and "000号制度 000" not in lapse["summary"]
        resolve(tx, lapse["finding_id"], person_id="p-head", reason="已补发", via="api", now=now)
    scan(now + timedelta(hours=1))
    with pg_db.transaction() as tx:
        after = finding_detail(tx, lapse["finding_id"])
    assert after["state"] == "open"
    assert [(h["to_state"], h["via"]) for h in after["history"]] == [("resolved", "api"), ("open", "scan")]


# --- the HTTP door ----------------------------------------------------------------------------------------------

def test_http_lists_shows_acknowledges_and_resolves_as_the_signed_in_person(api, pg_db):
    _scan(pg_db, ["WB-SUB", "WX-OFFICE"], T0)
    client = api("feng.danwei")  # 冯单位, of SUB
    listed = client.get("/findings")
    assert listed.status_code == 200, listed.text
    assert [f["subject_id"] for f in listed.json()["findings"]] == ["WB-SUB"]  # not the office's finding
    acked = client.post(f"/findings/{_id('WB-SUB')}/acknowledgements", json={"reason": "已安排补登"})
    assert acked.status_code == 201, acked.text
    assert acked.json()["history"][0]["actor"] == "unit_head" and acked.json()["history"][0]["via"] == "api"
    again = client.post(f"/findings/{_id('WB-SUB')}/acknowledgements", json={"reason": "再来"})
    assert again.status_code == 409 and again.json()["violations"][0]["field"] == "state"
    shown = client.get(f"/findings/{_id('WB-SUB')}")
    assert shown.status_code == 200 and shown.json()["state_label"] == "已确认"
    assert client.get("/findings", params={"state": "open"}).json()["count"] == 0
    done = client.post(f"/findings/{_id('WB-SUB')}/resolutions", json={"reason": "已补全"})
    assert done.status_code == 201 and done.json()["state"] == "resolved"


def test_http_refusals_are_typed_and_in_chinese(api, pg_db):
    _scan(pg_db, ["WB-SUB"], T0)
    client = api("li.xinxi")  # of the office: not SUB's
    refused = client.post(f"/findings/{_id('WB-SUB')}/resolutions", json={"reason": "我来"})
    assert refused.status_code == 422 and refused.json()["violations"][0]["rule_id"] == "ORG-2"
    assert client.post(f"/findings/{_id('WB-SUB')}/resolutions", json={}).status_code == 422  # no reason
    assert client.post(f"/findings/{_id('WB-SUB')}/resolutions", json={"reason": "x", "by": "me"}).status_code == 422
    assert client.get("/findings/F-000000000000000000000000").status_code == 404
    assert client.get("/findings/not-an-id").status_code == 422
    assert client.get("/findings", params={"limit": "many"}).status_code == 422
    assert client.get("/findings", params={"state": "closed"}).status_code == 422
    assert client.get("/findings", params={"colour": "red"}).status_code == 422


# --- the command line (the direct-database override; the door path is the HTTP door above) ----------------------

def test_cli_override_acknowledges_and_records_the_operating_system_user(sqlite_db, capsys):
    import getpass

    from herald.__main__ import main

    small_org(sqlite_db)
    _scan(sqlite_db, ["WB-SUB"], T0)
    url = ["--db", sqlite_db.url]
    assert main([*url, "findings", "ack", _id("WB-SUB"), "--reason", "已安排补登", "--admin-override",
                 "--override-reason", "服务维护中", "--as-person", "unit_head"]) == 0
    out = capsys.readouterr().out
    assert "状态：已确认" in out and "冯单位（unit_head）" in out and f"操作系统用户 {getpass.getuser()}" in out
    with sqlite_db.transaction() as tx:
        (change,) = finding_detail(tx, _id("WB-SUB"))["history"]
    assert change["via"] == "admin_override" and change["os_user"] == getpass.getuser()
    assert "服务维护中" in change["reason"]
    assert main([*url, "findings", "--admin-override", "--override-reason", "查看"]) == 0
    listed = capsys.readouterr().out
    assert "已确认" in listed and "「华夏能源WB-SUB」（微博）" in listed and "常设" in listed and "共1项" in listed
    with pytest.raises(SystemExit) as no_reason:  # --reason is required (argparse)
        main([*url, "findings", "resolve", _id("WB-SUB")])
    assert no_reason.value.code == 2


def test_cli_without_a_session_asks_to_log_in(tmp_path, monkeypatch, capsys):
    from herald.__main__ import main

    monkeypatch.setenv("HERALD_SESSION_FILE", os.fspath(tmp_path / "none.json"))
    assert main(["findings", "ack", "F-000000000000000000000000", "--reason", "x"]) == 2
    assert "login" in capsys.readouterr().err


# --- words people read -------------------------------------------------------------------------------------------

def test_labels_cite_each_clause_once_and_name_periods_in_chinese():
    assert cite(load_policy("000"), "cadence", "PUB-5") == "依据000号制度§4.4，规则PUB-5"
    assert cite(load_policy("001"), "lead_time", "CON-10") == "依据001号制度第12.2条，规则CON-10"
    assert cite(load_policy("000"), "mass_send", "CON-9") == "000号制度未作规定，参照002号制度第10.2条，规则CON-9"
    assert period_label("standing") == "常设" and period_label("2026-W45") == "2026年第45周"
    assert week_label_zh("2026-W05") == "2026年第5周" and period_label("2026-11-05") == "2026-11-05"
    post = {"subject_type": "post", "subject_id": "post-1", "account_name": "官方微博", "platform": "weibo",
            "post_title": None, "post_excerpt": "今天我们召开了年度工作会议，会议总结了一年来的工作并部署了明年任务"}
    assert subject_label(post) == "「官方微博」（微博）稿件“今天我们召开了年度工作会议，会议总结了一…”"
    operator = {"subject_type": "account_operator", "subject_id": "a/p1", "account_name": "客户群", "platform": "qq",
                "operator_id": "p0034", "operator_name": "沈颖娜"}
    assert subject_label(operator) == "沈颖娜（p0034）在「客户群」（QQ）"
    units = {"G": {"name": "华夏能源集团有限公司", "parent_id": None}, "O": {"name": "办公室", "parent_id": "G"},
             "S": {"name": "华夏电力工程有限公司", "parent_id": "G", "kind": "subsidiary"}, "SO": {"name": "综合办公室", "parent_id": "S"}}
    assert [unit_label(u, units) for u in ("G", "O", "S", "SO")] == [
        "华夏能源集团有限公司", "集团办公室", "华夏电力工程有限公司", "华夏电力工程综合办公室"]


def test_digests_are_filed_by_shanghai_date_under_their_unit_s_name(tmp_path):
    from herald.cadence.digest import Digest
    from herald_airflow.outbox import write_digests

    as_of = datetime(2026, 12, 2, 17, 30, tzinfo=UTC)  # 2026-12-03 01:30 in Shanghai
    digests = [Digest("host_unit", "u-g-office", "集团办公室", (), as_of, title="集团办公室"),
               Digest("competent_department", "u-g-office", "集团办公室", (), as_of, title="集团办公室（主管部门）")]
    paths = write_digests(digests, "manual__2026-12-02T17:47:28+00:00", directory=tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == ["2026-12-03/集团办公室.md",
                                                                   "2026-12-03/集团办公室（主管部门）.md"]
    assert paths[1].read_text(encoding="utf-8").startswith("## 【新媒体巡检】集团办公室（主管部门）：")


# --- what a task did, in words ---------------------------------------------------------------------------------

def test_tasks_say_what_they_did_in_words_and_skip_the_note_without_the_api_connection(monkeypatch, caplog):
    import logging
    from types import SimpleNamespace

    from herald import run_notes
    from herald_airflow.run_notes import set_run_note

    window = {"first_week": "2026-W45", "last_week": "2026-W48"}
    text = run_notes.cadence_weekly({"findings_reported": 3, "findings_composed": 0, "findings_resolved": 1}, window)
    assert text == "每周更新（PUB-5）判定 2026-W45..2026-W48：未达标 3 周次，写入 0 项（仅重写有变化的），已解决 1 项"
    assert "42 个启用账号" in run_notes.registry({"active_accounts": 42, "findings_reported": 6})
    assert "新存档 2 条" in run_notes.archive({"archived": 2, "days_sealed": 1})
    monkeypatch.delenv("AIRFLOW_CONN_HERALD_AIRFLOW_API", raising=False)
    with caplog.at_level(logging.INFO, logger="herald.run_notes"):
        assert set_run_note({"dag": SimpleNamespace(dag_id="herald_registry_check"), "run_id": "manual__1"},
                            text) is False
    assert text in caplog.text  # (the skip is logged too, once Airflow has set up its logging)
