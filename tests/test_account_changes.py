"""Changes and handovers (ACC-4, ACC-5) and the credential rotation after a handover (SEC-1), on PostgreSQL.

Working days are China's official ones: 2025-09-29 (Mon) .. 2025-10-08 spans the National Day holiday, with
2025-09-28 (Sun) and 2025-10-11 (Sat) adjusted working days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import requests

from builders import insert, small_org, table_snapshot
from herald.accounts import changes
from herald.errors import ValidationError
from herald.platforms.tokens import DatabaseTokenStore
from herald.platforms.wechat import WeChatClient
from herald.platforms.weibo import WeiboClient
from herald_dev.fakeplatforms import FakeConfig, FakePlatforms

APPID, SECRET, WEIBO_TOKEN = "wx_rotate_account", "rotate-secret-0001", "weibo-rotate-token-0001"


def at(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def org(pg_db):
    small_org(pg_db)
    insert(pg_db, "people", person_id="op_old", name="钱旧运营", unit_id="G", login="qian.jiu", is_active=True)
    insert(pg_db, "people", person_id="op_new", name="孙新运营", unit_id="G", login="sun.xin", is_active=True)
    for account in ("WX-GROUP", "WB-GROUP"):
        insert(pg_db, "role_assignments", assignment_id=f"OP-{account}", person_id="op_old", role="operator",
               unit_id=None, account_id=account, valid_from_on=date(2024, 1, 1))
    return pg_db


def findings(db, rule_id):
    return [r for r in _rows(db, "SELECT rule_id, subject_id, period, summary FROM findings ORDER BY 2") if r[0] == rule_id]


def _rows(db, sql):
    import sqlalchemy as sa

    with db.engine.connect() as conn:
        return conn.execute(sa.text(sql)).all()


def test_deadline_counts_chinese_working_days_across_national_day():
    # Effective Friday 2025-09-26: working days after it are 28 Sep (adjusted Sunday), 29, 30 Sep, 9, 10 Oct.
    assert changes.filing_deadline(date(2025, 9, 26), 5) == date(2025, 10, 10)
    assert changes.working_days_taken(date(2025, 9, 26), date(2025, 10, 10)) == 5
    assert changes.working_days_taken(date(2025, 9, 26), date(2025, 10, 11)) == 6  # the adjusted Saturday counts


def test_a_change_filed_in_time_is_recorded_and_renames_the_account(org):
    made = changes.file_change(org, "WX-GROUP", change_kind="account_name", new_value="华夏能源发布", effective_on=date(2025, 9, 26),
                               filed_by="author2", filing_ref="行政备〔2025〕12号", now=at(date(2025, 10, 10)))
    assert made["late"] is False and made["finding_id"] is None and made["deadline_on"] == date(2025, 10, 10)
    row = org.fetch_one("account_changes/change", change_id=made["change_id"])
    assert row["old_value"] == "华夏能源WX-GROUP" and row["filed_at"] == at(date(2025, 10, 10))
    assert org.fetch_one("account_changes/account", account_id="WX-GROUP")["name"] == "华夏能源发布"
    event = _rows(org, f"SELECT kind, step, filed_at FROM account_events WHERE event_id = '{made['event_id']}'")[0]
    assert event[0] == "change_filed" and event[1] == "account_name" and event[2] is not None
    assert findings(org, "ACC-4") == []


def test_a_late_filing_is_an_acc4_finding_at_once_keyed_as_the_scan_keys_it(org):
    from herald.findings import finding_id

    made = changes.file_change(org, "WX-GROUP", change_kind="maintenance_method", new_value="外包运维", effective_on=date(2025, 9, 26),
                               filed_by="author2", now=at(date(2025, 10, 13)))
    assert made["late"] is True and made["working_days_taken"] == 7
    assert made["finding_id"] == finding_id("ACC-4", "account_event", made["event_id"], "2025-09-26")
    (rule, subject, period, summary), = findings(org, "ACC-4")
    assert (subject, period) == (made["event_id"], "2025-09-26") and "晚了7个工作日" in summary


def test_a_change_never_filed_is_found_by_the_cadence_scans_standing_rule(org):
    from herald.cadence.standing import late_filing_findings
    from herald.cadence.window import ScanWindow, week_of_day
    from herald.posts.policies import default_policy_for

    noted = changes.note_change(org, "WB-GROUP", change_kind="management_team", new_value="新增管理员", effective_on=date(2025, 9, 26),
                                noted_by="competent", now=at(date(2025, 9, 29)))
    window = ScanWindow(week_of_day(date(2025, 9, 22)), week_of_day(date(2025, 10, 6)), at(date(2025, 10, 20)))
    with org.transaction() as tx:
        found, _ = late_filing_findings(tx, window, default_policy_for)
    (finding,) = [f for f in found if f.subject_id == noted["event_id"]]
    assert finding.rule_id == "ACC-4" and "仍未书面备案" in finding.summary
    # Filed later: late, and the finding it makes is the scan's (same key), not a second one.
    filed = changes.file_noted_change(org, noted["change_id"], filed_by="author2", now=at(date(2025, 10, 20)))
    assert filed["late"] is True and filed["finding_id"] == finding.finding_id
    with pytest.raises(ValidationError) as again:
        changes.file_noted_change(org, noted["change_id"], filed_by="author2", now=at(date(2025, 10, 21)))
    assert again.value.violations[0].field == "change_id"


def test_refusals_name_field_and_rule_and_store_nothing(org):
    before = table_snapshot(org)
    with pytest.raises(ValidationError) as refused:
        changes.file_change(org, "WX-GROUP", change_kind="logo", new_value="x", effective_on=date(2025, 9, 26),
                            filed_by="outsider", now=at(date(2025, 10, 1)))
    assert {(v.field, v.rule_id) for v in refused.value.violations} == {("change_kind", "ACC-4"), ("filed_by", "ACC-4")}
    with pytest.raises(ValidationError) as not_competent:
        changes.note_change(org, "WX-GROUP", change_kind="account_name", new_value="x", effective_on=date(2025, 9, 26),
                            noted_by="author2", now=at(date(2025, 10, 1)))
    assert not_competent.value.violations[0].field == "noted_by"
    with pytest.raises(ValidationError) as no_receipt:
        changes.file_handover(org, "WX-GROUP", to_person_id="op_new", from_person_id="op_old", effective_on=date(2025, 10, 9),
                              receipt_ref=None, receipt_by="author2", receipt_on=date(2025, 10, 9), filed_by="op_old",
                              now=at(date(2025, 10, 9)))
    assert {(v.field, v.rule_id) for v in no_receipt.value.violations} == {("receipt_ref", "ACC-5"), ("receipt_by", "ACC-5")}
    with pytest.raises(ValidationError) as no_from:
        changes.file_handover(org, "WX-GROUP", to_person_id="op_new", from_person_id=None, effective_on=date(2025, 10, 9),
                              receipt_ref="R-1", receipt_by="competent", receipt_on=date(2025, 10, 9), filed_by="op_new",
                              now=at(date(2025, 10, 9)))
    assert no_from.value.violations[0].field == "from_person_id"
    assert table_snapshot(org) == before


def test_the_new_operator_publishes_only_after_a_filed_handover(org):
    def operator_on(account, day):
        return [r["person_id"] for r in org.fetch("dispatch/operator", account_id=account, on=day)]

    assert operator_on("WX-GROUP", date(2025, 10, 9)) == ["op_old"]  # dispatch stages for op_old only (PUB-3)
    made = changes.file_handover(org, "WX-GROUP", to_person_id="op_new", from_person_id="op_old", effective_on=date(2025, 10, 9),
                                 receipt_ref="行政交〔2025〕3号", receipt_by="competent", receipt_on=date(2025, 10, 9),
                                 filed_by="op_old", now=at(date(2025, 10, 9)))
    assert operator_on("WX-GROUP", date(2025, 10, 8)) == ["op_old"]
    assert operator_on("WX-GROUP", date(2025, 10, 9)) == ["op_new"]
    assert made["late"] is False
    change = org.fetch_one("account_changes/change", change_id=made["change_id"])
    assert change["change_kind"] == "management_team" and change["handover_id"] == made["handover_id"]
    rotation = org.fetch_one("account_changes/rotation", rotation_id=made["rotation_id"])
    assert rotation["state"] == "pending" and rotation["fingerprint"] is None


def test_an_operator_gone_without_a_handover_is_an_acc5_finding(org):
    with org.engine.begin() as conn:
        import sqlalchemy as sa

        conn.execute(sa.text("UPDATE role_assignments SET valid_to_on = '2025-10-05' WHERE assignment_id = 'OP-WB-GROUP'"))
    with org.transaction() as tx:
        found = changes.operator_gap_findings(tx, on=date(2025, 10, 9))
    (gap,) = found
    assert (gap.rule_id, gap.subject_id, gap.period) == ("ACC-5", "WB-GROUP", "2025-10-06")
    assert "无人接任" in gap.summary
    assert org.fetch("dispatch/operator", account_id="WB-GROUP", on=date(2025, 10, 9)) == []  # dispatch refuses (PUB-3)
    changes.file_handover(org, "WB-GROUP", to_person_id="op_new", from_person_id=None, effective_on=date(2025, 10, 9),
                          receipt_ref="R-9", receipt_by="competent", receipt_on=date(2025, 10, 9), filed_by="op_new",
                          now=at(date(2025, 10, 9)))
    with org.transaction() as tx:
        assert changes.operator_gap_findings(tx, on=date(2025, 10, 9)) == []


@pytest.fixture(scope="module")
def platforms():
    with FakePlatforms.start(wechat_accounts={APPID: SECRET},
                             weibo_tokens={WEIBO_TOKEN: {"uid": "5000000077", "appkey": "k"}}) as fake:
        with fake.state.lock:
            fake.state.config = FakeConfig(publish_delay_seconds=0.05, token_grace_seconds=60)
        yield fake


def test_a_handover_rotates_the_credential_and_the_platform_refuses_the_old_token(org, platforms, caplog):
    session = requests.Session()
    wechat = WeChatClient(platforms.wechat_url, APPID, SECRET, session, DatabaseTokenStore(org), timeout=(1.0, 3.0))
    weibo = WeiboClient(platforms.weibo_url, WEIBO_TOKEN, session, timeout=(1.0, 3.0))
    old_wechat = wechat.access_token()
    assert weibo.get_token_info().ok
    made = [changes.file_handover(org, account, to_person_id="op_new", from_person_id="op_old", effective_on=date(2025, 10, 9),
                                  receipt_ref="R-2", receipt_by="competent", receipt_on=date(2025, 10, 9), filed_by="competent",
                                  now=at(date(2025, 10, 9))) for account in ("WX-GROUP", "WB-GROUP")]
    clients = {"wechat": wechat, "weibo": weibo}
    counts = changes.rotate_pending(org, lambda platform, account: clients[platform], now=at(date(2025, 10, 9), 3))
    assert counts == {"done": 2, "retry": 0, "failed": 0}
    rotated = [org.fetch_one("account_changes/rotation", rotation_id=m["rotation_id"]) for m in made]
    assert [r["state"] for r in rotated] == ["done", "done"]
    assert [r["method"] for r in rotated] == ["wechat_token_refetched", "weibo_token_revoked"]
    new_wechat = DatabaseTokenStore(org).current("wechat", APPID, datetime.now(UTC))  # decrypted (stored as ciphertext)
    assert new_wechat != old_wechat and rotated[0]["fingerprint"] == changes.fingerprint(new_wechat)
    platforms.advance_clock(61)  # WeChat's grace for the replaced token is over
    stale = session.post(f"{platforms.wechat_url}draft/add", params={"access_token": old_wechat}, json={"articles": []}).json()
    assert stale["errcode"] == 40001
    refused = session.post(f"{platforms.weibo_url}oauth2/get_token_info", data={"access_token": WEIBO_TOKEN})
    assert refused.json()["error_code"] in (21332, "21332")
    # Nothing later finds anything pending; no credential reached the logs or the rotation records.
    assert changes.rotate_pending(org, lambda p, a: clients[p], now=at(date(2025, 10, 9), 4)) == {"done": 0, "retry": 0, "failed": 0}
    recorded = repr(_rows(org, "SELECT * FROM credential_rotations")) + caplog.text
    assert old_wechat not in recorded and new_wechat not in recorded and WEIBO_TOKEN not in recorded


def test_a_rotation_without_a_connection_is_retried_then_fails_with_a_finding(org):
    made = changes.file_handover(org, "WB-GROUP", to_person_id="op_new", from_person_id="op_old", effective_on=date(2025, 10, 9),
                                 receipt_ref="R-3", receipt_by="competent", receipt_on=date(2025, 10, 9), filed_by="competent",
                                 now=at(date(2025, 10, 9)))
    for _ in range(changes.MAX_ROTATION_ATTEMPTS):
        counts = changes.rotate_pending(org, lambda p, a: None, now=at(date(2025, 10, 9), 3))
    assert counts == {"done": 0, "retry": 0, "failed": 1}
    assert org.fetch_one("account_changes/rotation", rotation_id=made["rotation_id"])["state"] == "failed"
    assert [r[1] for r in findings(org, "ACC-5")] == [made["rotation_id"]]


def test_audit_rows_for_one_account_and_the_group(org):
    changes.file_change(org, "WX-GROUP", change_kind="maintenance_method", new_value="自运维", effective_on=date(2025, 3, 3),
                        filed_by="author2", now=at(date(2025, 3, 4)))
    changes.file_handover(org, "WB-GROUP", to_person_id="op_new", from_person_id="op_old", effective_on=date(2025, 10, 9),
                          receipt_ref="R-4", receipt_by="competent", receipt_on=date(2025, 10, 9), filed_by="competent",
                          now=at(date(2025, 10, 9)))
    group = changes.audit_rows(org, None, date(2025, 1, 1), date(2025, 12, 31))
    assert len(group["account_changes"]) == 2 and len(group["account_handovers"]) == 1
    one = changes.audit_rows(org, "WX-GROUP", date(2025, 1, 1), date(2025, 12, 31))
    assert [r["change_kind"] for r in one["account_changes"]] == ["maintenance_method"] and one["account_handovers"] == []
    assert changes.audit_rows(org, None, date(2024, 1, 1), date(2024, 12, 31))["account_changes"] == []


def test_the_door_files_changes_and_handovers_as_the_signed_in_person(api, pg_db):
    from datetime import timedelta

    from herald.timeutil import local_day, now_utc

    insert(pg_db, "people", person_id="op_new", name="孙新运营", unit_id="G", login="sun.xin", is_active=True)
    today = local_day(now_utc())
    filed = api("zhou.yunying").post("/accounts/WX-GROUP/changes", json={
        "change_kind": "maintenance_method", "new_value": "外包运维", "effective_on": (today - timedelta(days=40)).isoformat()})
    assert filed.status_code == 201, filed.text
    assert filed.json()["late"] is True and filed.json()["finding_id"]
    refused = api("jiang.luren").post("/accounts/WX-GROUP/changes", json={
        "change_kind": "account_name", "new_value": "x", "effective_on": today.isoformat(), "colour": "red"})
    assert refused.status_code == 422
    assert [v["field"] for v in refused.json()["violations"]] == ["colour"]
    not_filer = api("jiang.luren").post("/accounts/WX-GROUP/changes", json={
        "change_kind": "account_name", "new_value": "x", "effective_on": today.isoformat()})
    assert not_filer.status_code == 422 and not_filer.json()["violations"][0]["field"] == "filed_by"
    handover = api("wei.xingzheng").post("/accounts/QQ-SUB/handovers", json={
        "to_person_id": "op_new", "effective_on": today.isoformat(), "receipt_ref": "行政交〔2026〕1号",
        "receipt_by": "competent", "receipt_on": today.isoformat()})
    assert handover.status_code == 201, handover.text
    shown = api("wei.xingzheng").get("/accounts/QQ-SUB/changes").json()
    (row,) = shown["handovers"]
    assert row["to_person_id"] == "op_new" and row["rotation_state"] == "not_applicable"  # QQ: no API, by hand
    assert api("wei.xingzheng").get("/accounts/NOPE/changes").status_code == 404


def test_the_command_line_files_a_change_with_an_administrators_override(org, pg_url, tmp_path, capsys):
    import json

    from herald.__main__ import main

    request = tmp_path / "change.json"
    request.write_text(json.dumps({"change_kind": "account_name", "new_value": "华夏能源资讯", "effective_on": "2025-09-26"}),
                       encoding="utf-8")
    code = main(["--db", pg_url, "change", "file", "WX-GROUP", str(request), "--admin-override", "--override-reason",
                 "补录纸质备案", "--as-person", "author2"])
    assert code == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["change_id"].startswith("CH-")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"change_kind": "logo", "new_value": "x", "effective_on": "2025-09-26"}), encoding="utf-8")
    assert main(["--db", pg_url, "change", "file", "WX-GROUP", str(bad), "--admin-override", "--override-reason", "x",
                 "--as-person", "author2"]) == 2
    assert "change_kind" in capsys.readouterr().err
    handover = tmp_path / "handover.json"
    handover.write_text(json.dumps({"to_person_id": "op_new", "from_person_id": "op_old", "effective_on": "2025-10-09",
                                    "receipt_ref": "R-CLI", "receipt_by": "competent", "receipt_on": "2025-10-09"}),
                        encoding="utf-8")
    assert main(["--db", pg_url, "handover", "WB-GROUP", str(handover), "--admin-override", "--override-reason", "补录",
                 "--as-person", "competent"]) == 0
    assert json.loads(capsys.readouterr().out)["rotation_id"].startswith("CR-")


def test_scheduled_jobs_write_their_ledger(org):
    import sqlalchemy as sa

    from herald.ledger import TaskRun

    with org.engine.begin() as conn:
        conn.execute(sa.text("UPDATE role_assignments SET valid_to_on = '2025-10-05' WHERE assignment_id = 'OP-WB-GROUP'"))
    now = at(date(2025, 10, 9))
    entry = changes.operator_gap_job(org, TaskRun.manual("operator_gaps", now), now=now)
    assert entry.row_counts["findings_reported"] == 1
    assert changes.operator_gap_job(org, TaskRun.manual("operator_gaps", now.replace(hour=3)), now=now)  # rerun: same key
    assert len(findings(org, "ACC-5")) == 1
    rotated = changes.rotation_job(org, TaskRun.manual("rotate", now), lambda p, a: None, now=now)
    assert rotated.row_counts == {"rotations_done": 0, "rotations_retry": 0, "rotations_failed": 0}
    assert len(_rows(org, "SELECT * FROM pipeline_ledger")) == 3
